"""The docs site (mkdocs.yml, docs/hooks.py): it builds from the repository in strict mode, no link inside it is
broken, and in headless Chromium every API page and every notebook page renders its title, with every picture loaded
(notebook pages with saved figures show them). Screenshots of two pages go to tests/artifacts/."""

import functools, http.server, re, subprocess, sys, threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, unquote
import pytest
from browser import ROOT, ARTIFACTS, needs_chromium, sync_playwright, launch

SHOTS = {'api/evaluate/': 'docs_api_evaluate.png', '19_hmn/': 'docs_19_hmn.png'}  # the pages kept as pictures
NOTEBOOKS_WITH_FIGURES = ['19_hmn/', '95_fmnist/']  # pages whose saved outputs include figures


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site built by `mkdocs build --strict` into a temporary folder."
    out = tmp_path_factory.mktemp('site')
    r = subprocess.run(
        [sys.executable, '-m', 'mkdocs', 'build', '--strict', '--site-dir', str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return out


class Links(HTMLParser):
    "Every href and src of a page."

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found += [v for k, v in attrs if k in ('href', 'src') and v]


def local_target(page: Path, link: str, site: Path):
    """The file a link inside the site points to (None for links that leave the site or stay on the page); a path
    from the root (the 404 page's) starts at the site's folder."""
    u = urlsplit(link)
    if u.scheme or u.netloc or not u.path or link.startswith('#'):
        return None
    base = site if u.path.startswith('/') else page.parent
    target = (base / unquote(u.path).lstrip('/')).resolve()
    return target / 'index.html' if target.is_dir() or link.endswith('/') else target


def test_site_has_a_page_per_module_and_notebook(site):
    modules = sorted(p.stem for p in (ROOT / 'dd_nb').glob('*.py') if not p.stem.startswith('_'))
    notebooks = sorted(p.stem for p in (ROOT / 'nbs').glob('*.ipynb') if p.stem != 'index')
    assert [m for m in modules if not (site / 'api' / m / 'index.html').is_file()] == []
    assert [n for n in notebooks if not (site / n / 'index.html').is_file()] == []
    evaluate = (site / 'api' / 'evaluate' / 'index.html').read_text()
    assert 'Evaluator' in evaluate and 'networks for the full-data baseline' in evaluate  # docments are shown
    text = re.sub(r'<[^>]+>', '', evaluate)  # the words, without the highlighter's spans
    assert 'class Evaluator(' in text and 'def Evaluator(' not in text  # a class says so
    run = (site / 'api' / 'run' / 'index.html').read_text()  # `claim_out`, notebook 85
    assert 'a folder this created and left empty is removed' in run  # a docstring's later lines are shown too
    hmn = (site / '19_hmn' / 'index.html').read_text()
    assert '#| export' not in hmn and 'test_eq(' not in hmn.split('Saving and re-decoding')[0]  # hidden cells dropped


def test_no_broken_links_inside_the_site(site):
    broken = []
    for page in site.rglob('*.html'):
        p = Links()
        p.feed(page.read_text(errors='replace'))
        for link in p.found:
            t = local_target(page, link, site)
            if t is not None and not t.exists():
                broken.append(f'{page.relative_to(site)} → {link}')
    assert broken == []


@needs_chromium
@pytest.mark.parametrize('kind', ['api', 'notebooks'])
def test_pages_render_in_chromium_with_their_pictures(site, kind):
    if kind == 'api':
        pages = sorted(f'api/{p.name}/' for p in (site / 'api').iterdir() if p.is_dir())
    else:
        pages = sorted(f'{p.stem}/' for p in (ROOT / 'nbs').glob('*.ipynb') if p.stem != 'index') + ['tour/']
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{server.server_address[1]}/'
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems, pictures = [], {}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={'width': 1300, 'height': 1000})
            for path in pages:
                r = page.goto(url + path, wait_until='load')
                if r is None or r.status != 200:
                    problems.append(f'{path}: HTTP {None if r is None else r.status}')
                    continue
                title = page.locator('article h1').first.inner_text(timeout=10_000)
                if not re.search(r'\w', title):
                    problems.append(f'{path}: no title')
                sizes = page.eval_on_selector_all('article img', 'imgs => imgs.map(i => i.naturalWidth)')
                if 0 in sizes:
                    problems.append(f'{path}: {sizes.count(0)} of {len(sizes)} pictures did not load')
                pictures[path] = len(sizes)
                if path in SHOTS:
                    page.screenshot(path=str(ARTIFACTS / SHOTS[path]), full_page=False)
            browser.close()
    finally:
        server.shutdown()
    assert problems == []
    if kind == 'notebooks':
        assert [n for n in NOTEBOOKS_WITH_FIGURES if pictures.get(n, 0) < 1] == [], pictures
    for path, name in SHOTS.items():
        if path in pages:
            assert (ARTIFACTS / name).stat().st_size > 10_000
