"""The tour notebook in a real browser: JupyterLab on localhost with a fresh kernel, driven by Playwright in
Debian's headless Chromium. Runs every cell, asserts that widget views render and that no cell errored, and
saves a screenshot (`tests/artifacts/jupyterlab_tour.png`, or under `$DD_NB_ARTIFACTS`).

Needs `/usr/bin/chromium` (Debian's `chromium` package; `.ci/run` installs it) and the `playwright` Python
package (a dev requirement). Playwright's own browser download is never used: it fails offline."""

import json, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get('DD_NB_CHROMIUM') or shutil.which('chromium') or shutil.which('chromium-browser')
ARTIFACTS = Path(os.environ.get('DD_NB_ARTIFACTS', ROOT / 'tests' / 'artifacts'))
RUN_ALL_TIMEOUT = 1500  # seconds: the tour distils, evaluates and scores on digits

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - CI installs it
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason='no Chromium: install Debian\'s `chromium` package (apt-get install -y chromium) '
        'or set DD_NB_CHROMIUM to a Chromium binary',
    ),
    pytest.mark.skipif(
        sync_playwright is None, reason='the `playwright` Python package is missing: pip install -e ".[dev]"'
    ),
]


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    "A JupyterLab server on localhost serving a copy of the tour notebook; yields (url, notebook path)."
    work = tmp_path / 'lab'
    work.mkdir()
    nb = work / 'index.ipynb'
    shutil.copy(ROOT / 'nbs' / 'index.ipynb', nb)
    port = _free_port()
    settings = tmp_path / 'lab-settings' / '@jupyterlab' / 'apputils-extension'
    settings.mkdir(parents=True)
    (settings / 'notification.jupyterlab-settings').write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'
    )  # no news toast over the page
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
        yield url, nb
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_tour_runs_in_jupyterlab_with_rendered_widgets(lab):
    url, nb_path = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / 'jupyterlab_tour.png'
    args = [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            page = browser.new_page(viewport={'width': 1400, 'height': 1000})
            page.goto(f'{url}/lab/tree/index.ipynb', timeout=120_000)
            page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=120_000)
            page.wait_for_function(
                '() => window.jupyterapp && window.jupyterapp.shell.currentWidget '
                '&& window.jupyterapp.shell.currentWidget.sessionContext.session '
                '&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel '
                '&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === "idle"',
                timeout=120_000,
            )
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
            bad = page.locator('.jp-OutputArea-output:has-text("Error displaying widget")').count()
            page.evaluate('() => window.jupyterapp.commands.execute("docmanager:save")')
            page.wait_for_timeout(2000)
            browser_widget = page.locator('.widget-slider').nth(0)
            browser_widget.scroll_into_view_if_needed()
            page.screenshot(path=str(shot))
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
    assert shot.is_file() and shot.stat().st_size > 10_000
