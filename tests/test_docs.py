"""The docs site (mkdocs.yml, docs/hooks.py): it builds from the repository in strict mode, no link inside it is
broken, API pages document public methods with links to their source, notebook pages show documentation instead of
export cells' source and offer the notebook for download; in headless Chromium every page renders its title with every
picture loaded (the widgets page its six explorers' pictures), math is typeset (no raw `$…$` left), and the home page
links into the site. Screenshots of the home page, the gallery, the widgets page and two more go to tests/artifacts/."""

import functools, http.server, re, subprocess, sys, threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, unquote
import pytest
from browser import ROOT, ARTIFACTS, needs_chromium, sync_playwright, launch

SHOTS = {'api/evaluate/': 'docs_api_evaluate.png', '19_hmn/': 'docs_19_hmn.png', '': 'docs_home.png',
         'gallery/': 'docs_gallery.png', '81_widgets/': 'docs_widgets.png'}  # the pages kept as pictures
MIN_PICTURES = {'19_hmn/': 1, '95_fmnist/': 1, '81_widgets/': 6, 'tour/': 6, 'gallery/': 8}  # saved figures shown
SITE_PATH = urlsplit(re.search(r'^site_url: (\S+)', (ROOT / 'mkdocs.yml').read_text(), re.M).group(1)).path
MIN_HOME_LINKS = 20  # links from the home page's text into the site
# text that MathJax should have typeset: $…$ or \( … \) left in a page's paragraphs, lists, tables or headings
RAW_MATH = r"""() => {
  const text = [...document.querySelectorAll('article :is(p, li, td, h1, h2, h3, blockquote)')]
    .map(e => e.innerText).join('\n');
  return (text.match(/\$[^$\n]+\$|\\\(|\\\[/g) || []).slice(0, 3);
}"""


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
    path = unquote(u.path)
    if path.startswith(SITE_PATH):  # a path from the published site's root (mkdocs.yml: site_url)
        path = '/' + path[len(SITE_PATH):]
    base = site if path.startswith('/') else page.parent
    target = (base / path.lstrip('/')).resolve()
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
    assert '#| export' not in hmn and 'test_eq(' not in hmn  # hidden cells and test lines dropped
    assert 'href="../notebooks/19_hmn.ipynb"' in hmn and (site / 'notebooks' / '19_hmn.ipynb').is_file()  # download


def test_api_pages_document_public_methods_with_their_source(site):
    "The calls the tour makes are documented, each entry links to its lines and its notebook, no `NoneType=None`."
    for module, entry, said in [('evaluate', 'Evaluator.report', 'beside the random-real and full-data baselines'),
                                ('distill', 'Distiller.run', ''), ('data', 'RealData.random_subset', ''),
                                ('trajectory', 'ExpertBuffer.record', '')]:
        html = (site / 'api' / module / 'index.html').read_text()
        m = re.search(rf'<h3 id="{entry.lower().replace(".", "")}">{re.escape(entry)}</h3>(.*?)(<h3|$)', html, re.S)
        assert m, (module, entry)
        assert re.search(rf'href="https://github.com/dd-nb/dd_nb/blob/main/dd_nb/{module}.py#L\d+-L\d+"', m.group(1))
        assert 'notebook</a>' in m.group(1) and said in re.sub(r'<[^>]+>', '', m.group(1)), (module, entry)
    assert not [p for p in site.glob('api/*/index.html') if 'NoneType=None' in re.sub(r'<[^>]+>', '', p.read_text())]


def test_notebook_pages_show_documentation_not_export_source(site):
    "An export cell becomes its names' documentation (nbdev's way): `Pixels`' entry, not the body of its methods."
    param = (site / '06_param' / 'index.html').read_text()
    text = re.sub(r'<[^>]+>', '', param)
    assert 'class Pixels(' in text and 'def extra_repr(self)' not in text
    assert '<a href="../api/param/#pixels"><code>Pixels</code></a>' in param  # a backticked name links to its entry
    home = (site / 'index.html').read_text()
    assert 'href="95_fmnist/"' in home and 'href="gallery/"' in home  # "notebook 95", the gallery


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


def site_pages(site: Path, kind: str) -> list:
    "The pages of one kind: the API's, the notebooks' (and the tour), or the rest (home and gallery)."
    if kind == 'api':
        return sorted(f'api/{p.name}/' for p in (site / 'api').iterdir() if p.is_dir())
    if kind == 'notebooks':
        return sorted(f'{p.stem}/' for p in (ROOT / 'nbs').glob('*.ipynb') if p.stem != 'index') + ['tour/']
    return ['', 'gallery/']


def look_at(page, path: str, problems: list) -> dict:
    "Check one page in the browser (title, pictures loaded, math typeset); returns what it shows."
    title = page.locator('article h1').first.inner_text(timeout=10_000)
    if not re.search(r'\w', title):
        problems.append(f'{path}: no title')
    if page.locator('script[src*="mathjax/MathJax.js"]').count():
        try:
            page.wait_for_function(f'() => ({RAW_MATH})().length === 0', timeout=20_000)
        except Exception:
            problems.append(f'{path}: math left raw: {page.evaluate(RAW_MATH)}')
    elif page.evaluate(RAW_MATH):
        problems.append(f'{path}: math without MathJax: {page.evaluate(RAW_MATH)}')
    sizes = page.eval_on_selector_all('article img', 'imgs => imgs.map(i => i.naturalWidth)')
    if 0 in sizes:
        problems.append(f'{path}: {sizes.count(0)} of {len(sizes)} pictures did not load')
    links = page.eval_on_selector_all('article a[href]', 'as => as.map(a => a.getAttribute("href"))')
    return {'pictures': len(sizes), 'links': len([x for x in links if not x.startswith(('http', '#', 'mailto'))])}


@needs_chromium
@pytest.mark.parametrize('kind', ['api', 'notebooks', 'home'])
def test_pages_render_in_chromium_with_their_pictures(site, kind):
    pages = site_pages(site, kind)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{server.server_address[1]}/'
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems, seen = [], {}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={'width': 1300, 'height': 1000})
            for path in pages:
                r = page.goto(url + path, wait_until='load')
                if r is None or r.status != 200:
                    problems.append(f'{path}: HTTP {None if r is None else r.status}')
                    continue
                seen[path] = look_at(page, path, problems)
                if path in SHOTS:
                    if path == '81_widgets/':  # the first explorer's picture, not the prose above it
                        page.locator('article img').first.scroll_into_view_if_needed()
                    page.screenshot(path=str(ARTIFACTS / SHOTS[path]), full_page=False)
            browser.close()
    finally:
        server.shutdown()
    assert problems == []
    assert {p: n for p, n in MIN_PICTURES.items() if p in pages and seen[p]['pictures'] < n} == {}, seen
    if kind == 'home':
        assert seen['']['links'] >= MIN_HOME_LINKS, seen['']
    for path, name in SHOTS.items():
        if path in pages:
            assert (ARTIFACTS / name).stat().st_size > 10_000
