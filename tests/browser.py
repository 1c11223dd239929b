"""What the browser tests share: Debian's headless Chromium driven by Playwright (never Playwright's own browser
download, which fails offline), where screenshots go, and the skip marks that say what is missing."""

import os, shutil
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get('DD_NB_CHROMIUM') or shutil.which('chromium') or shutil.which('chromium-browser')
ARTIFACTS = Path(os.environ.get('DD_NB_ARTIFACTS', ROOT / 'tests' / 'artifacts'))
# a container's Chromium: no sandbox or GPU, nothing fetched in the background
CHROMIUM_ARGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - CI installs it
    sync_playwright = None

NEEDS_CHROMIUM = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason='no Chromium: install Debian\'s `chromium` package (apt-get install -y chromium) '
        'or set DD_NB_CHROMIUM to a Chromium binary',
    ),
    pytest.mark.skipif(
        sync_playwright is None, reason='the `playwright` Python package is missing: pip install -e ".[dev]"'
    ),
]


def launch(p):
    "Headless Chromium from a `sync_playwright()` context."
    return p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def needs_chromium(test):
    "Skip `test`, saying what is missing, where Chromium or Playwright is not installed."
    for mark in NEEDS_CHROMIUM:
        test = mark(test)
    return test
