"""The notebooks in a real browser: JupyterLab on localhost, driven by Playwright in Debian's headless Chromium.

- The tour runs every cell with a fresh kernel; every widget view is scrolled to, photographed and must not be blank
  (the spread of its pixels); the notebook is saved (with JupyterLab's "Save Widget State Automatically" on), closed and
  reopened, and no "Error displaying widget" may appear.
- The widgets notebook, as committed (run by `tools/run_nbs.py`, which saves the widgets' state), is opened without
  running anything: its explorers must show, each photographed and not blank, each with its picture loaded (no
  broken-image icon), and no error may appear.

Screenshots go to `tests/artifacts/` (or `$DD_NB_ARTIFACTS`): `jupyterlab_tour.png`, `tour_widget_<i>.png`,
`saved_widget_<i>.png`.

Needs `/usr/bin/chromium` (Debian's `chromium` package; `.ci/run` installs it) and the `playwright` Python
package (a dev requirement). Playwright's own browser download is never used: it fails offline."""

import io, json, os, shutil, socket, subprocess, sys, time, urllib.request
import numpy as np
import pytest
from browser import ROOT, ARTIFACTS, NEEDS_CHROMIUM, sync_playwright, launch

RUN_ALL_TIMEOUT = 1500  # seconds: the tour distils, evaluates and scores on digits
MIN_PIXEL_STD = 8.0  # grey levels: below this a widget's picture is taken for blank (one flat colour, or nothing)
# a cell's output that is a widget view (JupyterLab marks other outputs with data-mime-type, widget views not)
WIDGET_VIEW = '.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output:has(.jupyter-widgets)'
WIDGET_ERROR = '.jp-OutputArea-output:has-text("Error displaying widget")'
pytestmark = NEEDS_CHROMIUM


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on localhost serving copies of the tour and the widgets notebook, saving widget state;
    yields (url, folder)."""
    work = tmp_path / 'lab'
    work.mkdir()
    for name in ('index.ipynb', '81_widgets.ipynb'):
        shutil.copy(ROOT / 'nbs' / name, work / name)
    port = _free_port()
    settings = tmp_path / 'lab-settings' / '@jupyterlab' / 'apputils-extension'
    settings.mkdir(parents=True)
    (settings / 'notification.jupyterlab-settings').write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'
    )  # no news toast over the page
    widgets = tmp_path / 'lab-settings' / '@jupyter-widgets' / 'jupyterlab-manager'
    widgets.mkdir(parents=True)
    (widgets / 'plugin.jupyterlab-settings').write_text('{"saveState": true}')  # as the README advises
    notebook = tmp_path / 'lab-settings' / '@jupyterlab' / 'notebook-extension'
    notebook.mkdir(parents=True)
    # every cell drawn, not only those on screen (JupyterLab 4 draws a window of cells): the checks see all outputs
    (notebook / 'tracker.jupyterlab-settings').write_text('{"windowingMode": "none"}')
    env = {
        **os.environ,
        'DD_NB_CACHE': str(tmp_path / 'cache'),
        'JUPYTER_CONFIG_DIR': str(tmp_path / 'jcfg'),
        'JUPYTER_RUNTIME_DIR': str(tmp_path / 'jrt'),
        'JUPYTERLAB_SETTINGS_DIR': str(tmp_path / 'lab-settings'),
        'PYTHONWARNINGS': 'ignore',
    }
    log = open(tmp_path / 'jupyter.log', 'w')
    proc = subprocess.Popen(
        [
            sys.executable,
            '-m',
            'jupyter',
            'lab',
            '--no-browser',
            '--ip',
            '127.0.0.1',
            f'--port={port}',
            '--IdentityProvider.token=',
            '--ServerApp.password=',
            '--allow-root',
            f'--ServerApp.root_dir={work}',
            '--LabApp.expose_app_in_browser=True',
            '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f'http://127.0.0.1:{port}'
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f'{url}/api/status', timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        else:
            pytest.fail('JupyterLab did not answer within 60 s:\n' + (tmp_path / 'jupyter.log').read_text()[-3000:])
        if proc.poll() is not None:
            pytest.fail('JupyterLab exited:\n' + (tmp_path / 'jupyter.log').read_text()[-3000:])
        yield url, work
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def pixel_std(png: bytes) -> float:
    "Spread of the grey levels of a PNG screenshot (a blank or one-colour picture is near 0)."
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert('L'), dtype=np.float32).std())


def photograph_widgets(page, prefix: str) -> tuple:
    """Scroll to every widget view on the page, save its screenshot as `<prefix>_<i>.png`; returns each one's pixel
    std, and the natural widths of the pictures inside each (0: a picture that did not load, a broken-image icon)."""
    views = page.locator(WIDGET_VIEW)
    spreads, pictures = [], []
    for i in range(views.count()):
        v = views.nth(i)
        v.scroll_into_view_if_needed()
        page.wait_for_timeout(300)  # JupyterLab draws a cell's output once it is on screen
        png = v.screenshot()
        (ARTIFACTS / f'{prefix}_{i}.png').write_bytes(png)
        spreads.append(pixel_std(png))
        pictures.append(v.evaluate("el => [...el.querySelectorAll('img')].map(i => i.complete ? i.naturalWidth : 0)"))
    return spreads, pictures


def pictures_missing(pictures: list) -> list:
    "The views (by position) without a loaded picture, or with a broken one."
    return [i for i, widths in enumerate(pictures) if not widths or 0 in widths]


def open_notebook(page, url: str, name: str):
    "Open a notebook in JupyterLab and wait until its kernel is idle."
    page.goto(f'{url}/lab/tree/{name}', timeout=120_000)
    page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=120_000)
    page.wait_for_function(
        '() => window.jupyterapp && window.jupyterapp.shell.currentWidget '
        '&& window.jupyterapp.shell.currentWidget.sessionContext.session '
        '&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel '
        '&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === "idle"',
        timeout=120_000,
    )


def test_tour_runs_in_jupyterlab_with_rendered_widgets(lab):
    url, work = lab
    nb_path = work / 'index.ipynb'
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / 'jupyterlab_tour.png'
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={'width': 1400, 'height': 1000})
            open_notebook(page, url, 'index.ipynb')
            page.evaluate('() => window.jupyterapp.commands.execute("notebook:run-all-cells")')
            # finished when every code cell has an execution count and the kernel is idle again
            page.wait_for_function(
                '''() => {
                const nb = window.jupyterapp.shell.currentWidget;
                const cells = nb.content.widgets.filter(c => c.model.type === 'code');
                const done = cells.every(c => c.model.executionCount !== null) ||
                document.querySelector('[data-mime-type="application/vnd.jupyter.error"]');
                return done && nb.sessionContext.session.kernel.status === 'idle';
            }''',
                timeout=RUN_ALL_TIMEOUT * 1000,
                polling=2000,
            )
            errors = page.locator('[data-mime-type="application/vnd.jupyter.error"]')
            if errors.count():
                errors.first.scroll_into_view_if_needed()
                page.screenshot(path=str(shot))
                pytest.fail(f'a cell errored in the browser (screenshot {shot}):\n{errors.first.inner_text()[:3000]}')
            # widget views: the live dashboard, the set browser and the CAM explorer are real, rendered controls
            page.wait_for_selector('.jupyter-widgets.widget-slider', timeout=60_000)
            n_views = page.locator('.jupyter-widgets').count()
            n_sliders = page.locator('.widget-slider').count()
            stop_buttons = page.locator('button.jupyter-button:has-text("Stop")').count()
            bad = page.locator(WIDGET_ERROR).count()
            spreads, pictures = photograph_widgets(page, 'tour_widget')
            page.locator('.widget-slider').nth(0).scroll_into_view_if_needed()
            page.screenshot(path=str(shot))
            page.evaluate('() => window.jupyterapp.commands.execute("docmanager:save")')
            page.wait_for_timeout(2000)
            # closed and opened again: the saved widget state draws the views, with no kernel-side widget alive
            page.evaluate('() => window.jupyterapp.commands.execute("application:close-all")')
            page.wait_for_timeout(1000)
            open_notebook(page, url, 'index.ipynb')
            page.wait_for_selector(WIDGET_VIEW, state='attached', timeout=60_000)
            page.wait_for_timeout(3000)
            reopened_views = page.locator(WIDGET_VIEW).count()
            reopened_errors = page.locator(WIDGET_ERROR).count()
        finally:
            browser.close()
    saved = json.loads(nb_path.read_text())
    code = [c for c in saved['cells'] if c['cell_type'] == 'code']
    assert all(c['execution_count'] for c in code), 'not every code cell ran'
    assert not [o for c in code for o in c['outputs'] if o['output_type'] == 'error']
    views = [o for c in code for o in c['outputs'] if 'application/vnd.jupyter.widget-view+json' in o.get('data', {})]
    assert len(views) >= 3, (
        f'expected the dashboard, the set browser and the CAM explorer as widget views, got {len(views)}'
    )
    assert n_views >= 10 and n_sliders >= 3 and stop_buttons == 1 and bad == 0, (n_views, n_sliders, stop_buttons, bad)
    assert len(spreads) == len(views) and min(spreads) > MIN_PIXEL_STD, spreads
    assert pictures_missing(pictures) == [], pictures  # every explorer shows its picture, none broken
    assert 'application/vnd.jupyter.widget-state+json' in saved['metadata'].get('widgets', {})
    assert reopened_views == len(views) and reopened_errors == 0, (reopened_views, reopened_errors)
    assert shot.is_file() and shot.stat().st_size > 10_000


def test_saved_widget_notebook_reopens_with_its_pictures(lab):
    "The widgets notebook as committed: its saved widget state draws every explorer without running a cell."
    url, work = lab
    saved = json.loads((work / '81_widgets.ipynb').read_text())
    code = [c for c in saved['cells'] if c['cell_type'] == 'code']
    views = [o for c in code for o in c['outputs'] if 'application/vnd.jupyter.widget-view+json' in o.get('data', {})]
    assert len(views) >= 5, 'run tools/run_nbs.py nbs/81_widgets.ipynb: the committed notebook has no widget views'
    assert 'application/vnd.jupyter.widget-state+json' in saved['metadata'].get('widgets', {})
    # each view's output carries the explorer's picture as PNG too: what cannot draw a widget shows that instead
    assert [v for v in views if 'image/png' not in v['data']] == []
    # JupyterLab draws widgets only in a trusted notebook (untrusted, it shows the PNG of the same output)
    subprocess.run([sys.executable, '-m', 'jupyter', 'trust', str(work / '81_widgets.ipynb')], check=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={'width': 1400, 'height': 1000})
            open_notebook(page, url, '81_widgets.ipynb')
            page.wait_for_selector('.jupyter-widgets.widget-slider', timeout=60_000)
            spreads, pictures = photograph_widgets(page, 'saved_widget')
            bad = page.locator(WIDGET_ERROR).count()
        finally:
            browser.close()
    assert bad == 0 and len(spreads) == len(views) and min(spreads) > MIN_PIXEL_STD, (bad, spreads)
    assert pictures_missing(pictures) == [], pictures  # each explorer's picture is in its saved state, and loads
