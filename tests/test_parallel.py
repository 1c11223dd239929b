"""Scale-out on torch.distributed: two CPU processes on gloo (launched with torchrun) give the same experts,
evaluation accuracies and cross-architecture sweeps as one process, and the same DM / DSA distillation up to
floating-point summation order."""

import os, shutil, subprocess, sys
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


def _torchrun(*args, env=None):
    "dd_nb_distill under torchrun with two CPU processes (gloo)."
    return subprocess.Popen(
        [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2',
         shutil.which('dd_nb_distill'), *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, 'OMP_NUM_THREADS': '1', 'DD_NB_DEVICE': 'cpu', 'DD_NB_NO_COMPILE': '1', **(env or {})},
    )


def test_an_input_error_under_torchrun_is_said_once(tmp_path):
    "Every rank finds the bad --resume before any work; rank 0 alone prints it, and all ranks exit 2."
    p = _torchrun('--method', 'dm', '--ipc', '1', '--resume', '--quiet', '--out', tmp_path / 'none')
    _, err = p.communicate(timeout=600)
    ours = [ln for ln in err.splitlines() if ln.startswith('dd_nb_distill: error:')]
    assert p.returncode != 0 and len(ours) == 1 and 'nothing to continue' in ours[0], err[-3000:]


def test_a_lost_peer_leaves_the_last_complete_iteration(tmp_path):
    "SIGKILL one of two ranks mid-run: the survivor saves the last complete iteration, which resumes."
    import signal, time

    out = tmp_path / 'run'
    p = _torchrun('--method', 'dm', '--ipc', '1', '--iterations', '2000', '--no-eval', '--quiet', '--out', out)
    deadline = time.time() + 300
    while time.time() < deadline and not (out / 'metrics.jsonl').is_file():
        time.sleep(0.5)
    while time.time() < deadline and len((out / 'metrics.jsonl').read_text().splitlines()) < 5:
        time.sleep(0.2)
    kids = subprocess.run(['pgrep', '-P', str(p.pid)], capture_output=True, text=True).stdout.split()
    rank1 = [k for k in kids if b'RANK=1\0' in Path(f'/proc/{k}/environ').read_bytes()]
    assert rank1, kids
    done = len((out / 'metrics.jsonl').read_text().splitlines())
    os.kill(int(rank1[0]), signal.SIGKILL)
    p.communicate(timeout=600)
    st = torch.load(out / 'checkpoint.pt', weights_only=True)
    assert st['it'] >= done, (st['it'], done)
