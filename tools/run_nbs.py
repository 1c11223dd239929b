"""Run notebooks top to bottom and save them with their outputs, so they read as documents in JupyterLab, on a code
host and on the docs site without running anything:

- every code cell runs in one in-process IPython (execnb, as `nbdev_test` runs them), from the notebook's folder;
- `#| slow` cells are skipped and keep the outputs of their last full run (`--slow` runs them too);
- the state of every ipywidget the notebook made is saved in its metadata (`widgets`), the format JupyterLab writes with
  "Save Widget State Automatically": reopened without a kernel, the explorers show their controls and pictures instead
  of "Error displaying widget: model not found";
- then `nbdev_clean` (execution counts and superfluous metadata go, outputs stay).

    python tools/run_nbs.py                       # every notebook of nbs/
    python tools/run_nbs.py nbs/19_hmn.ipynb      # some
"""

import argparse, os, re, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDGET_STATE = 'application/vnd.jupyter.widget-state+json'
SLOW = re.compile(r'^\s*#\|\s*slow\b', re.M)


def run(path: Path, slow: bool) -> float:
    "Execute one notebook in place in a fresh process (one IPython, its own widgets); returns the seconds it took."
    t0 = time.perf_counter()
    code = (
        'import sys\n'
        f'sys.argv = [{str(path)!r}]\n'
        'from tools.run_nbs import run_here\n'
        f'run_here({str(path)!r}, {slow!r})\n'
    )
    subprocess.run([sys.executable, '-c', code], check=True, cwd=ROOT, env={**os.environ, 'PYTHONPATH': str(ROOT)})
    subprocess.run(['nbdev_clean', '--fname', str(path)], check=True, cwd=ROOT)
    return time.perf_counter() - t0


def run_here(path: str, slow: bool):
    "What `run` does inside its fresh process."
    from ipywidgets.embed import embed_data
    from ipywidgets.widgets.widget import _instances as live_widgets
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell

    path = Path(path)
    os.chdir(path.parent)  # notebooks read and write relative to their folder, as under nbdev_test
    nb = read_nb(path)
    sh = CaptureShell()
    skip = lambda c: c.cell_type == 'code' and not slow and bool(SLOW.search(c.source))
    for c in nb.cells:  # execnb leaves a cell's old outputs when it prints nothing now: a cell that runs starts empty
        if c.cell_type == 'code' and not skip(c):
            c.outputs = []
    sh.run_all(nb, exc_stop=True, preproc=skip)
    if live_widgets:
        nb.metadata['widgets'] = {WIDGET_STATE: embed_data(views=None)['manager_state']}
    else:
        nb.metadata.pop('widgets', None)
    write_nb(nb, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('notebooks', nargs='*', help='default: every notebook of nbs/')
    ap.add_argument('--slow', action='store_true', help='run the `#| slow` cells too')
    a = ap.parse_args()
    paths = [Path(p).resolve() for p in a.notebooks] or sorted((ROOT / 'nbs').glob('*.ipynb'))
    for p in paths:
        print(f'{p.name}: {run(p, a.slow):.0f} s', flush=True)


if __name__ == '__main__':
    main()
