import os, sys, subprocess, tempfile
from pathlib import Path
import numpy as np
import pytest

os.environ.setdefault('DD_NB_CACHE', tempfile.mkdtemp(prefix='dd_nb_cache_'))
import matplotlib

matplotlib.use('Agg')


def run_cli(*args, timeout=600):
    "Run a console script in a fresh process; returns the CompletedProcess."
    env = {**os.environ, 'PYTHONWARNINGS': 'ignore'}
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def png_folder(tmp_path):
    "An ImageFolder of 3 classes × 8 small RGB PNGs whose red channel encodes the class."
    from PIL import Image

    for c in range(3):
        d = tmp_path / 'folder' / f'class{c}'
        d.mkdir(parents=True)
        for i in range(8):
            a = np.random.default_rng(10 * c + i).integers(0, 256, (10, 12, 3), dtype=np.uint8)
            a[..., 0] = 80 * c
            Image.fromarray(a).save(d / f'{i}.png')
    return tmp_path / 'folder'
