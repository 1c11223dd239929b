"""Scale-out on torch.distributed: two CPU processes on gloo (launched with torchrun) give the same experts,
evaluation accuracies and cross-architecture sweeps as one process, and the same DM / DSA distillation up to
floating-point summation order."""

import os, subprocess, sys
from pathlib import Path
import torch

WORKER = Path(__file__).with_name('parallel_worker.py')


def _run(args, out, tmp_path):
    env = {
        **os.environ,
        'OMP_NUM_THREADS': '1',
        'PYTHONWARNINGS': 'ignore',
        'DD_NB_DEVICE': 'cpu',
        'DD_NB_CACHE': str(tmp_path / 'cache'),
    }
    r = subprocess.run([*args, str(WORKER), str(out)], capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return torch.load(out, weights_only=False)


def test_two_gloo_processes_match_one(tmp_path):
    one = _run([sys.executable], tmp_path / 'one.pt', tmp_path)
    two = _run(
        [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2'],
        tmp_path / 'two.pt',
        tmp_path,
    )
    assert (one['world'], two['world']) == (1, 2)
    assert one['experts'].shape == (3, 3, two['experts'].shape[-1])
    assert torch.equal(one['experts'], two['experts'])  # expert e trained on rank e mod 2, bit-identical
    assert one['accs'] == two['accs']  # models split over ranks, gathered in order
    assert one['table'] == two['table']  # a cross-architecture sweep split over ranks
    assert set(one['table']) == {'ConvNet', 'MLP'} and one['table']['ConvNet']['set'] != one['table']['MLP']['set']
    for k, (x1, l1) in one['sets'].items():
        x2, l2 = two['sets'][k]
        assert torch.allclose(x1, x2, rtol=1e-4, atol=1e-4), (k, float((x1 - x2).abs().max()))
        assert torch.allclose(torch.tensor(l1), torch.tensor(l2), rtol=1e-4, atol=1e-6), (k, l1, l2)
        assert not torch.equal(x1, x1.new_zeros(x1.shape)) and l1[-1] != l1[0]  # a real run: images and loss moved
