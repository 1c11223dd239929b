"""Peak memory of one trajectory-matching iteration as `syn_steps` grows: MTT's full unroll vs TESLA's
constant-memory sweep (same gradient). Each point runs in a fresh process and reports its peak RSS.

    python benchmarks/tesla_memory.py                 # digits, ipc 10, syn_steps 5 10 20 40
    python benchmarks/tesla_memory.py --ipc 1 --steps 10,20,40,80
"""

import argparse, json, resource, subprocess, sys, time


def one(mode, steps, ipc, width):
    import torch
    from dd_nb.data import digits
    from dd_nb.param import Pixels
    from dd_nb.trajectory import ExpertBuffer
    from dd_nb.trajectory_matching import TrajectoryMatcher

    torch.set_num_threads(1)
    real = digits()
    g = torch.Generator().manual_seed(0)
    n = sum(p.numel() for p in TrajectoryMatcher(width=width).student(real).parameters())
    experts = ExpertBuffer(
        torch.randn(1, 3, n, generator=g) * 0.05, {'data': real.manifest()}
    )  # shapes are all that matter here
    m = TrajectoryMatcher(
        syn_steps=steps, expert_epochs=1, max_start_epoch=1, width=width, experts=experts, mode=mode, device='cpu'
    ).prepare(real, ipc)
    px = Pixels.from_real(real, ipc, syn_lr=0.01)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m.begin_iteration(0)
    t = time.perf_counter()
    loss = m.loss(*px(), lr=px.lr)
    loss.backward()
    t = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            dict(
                mode=mode,
                steps=steps,
                ipc=ipc,
                peak_mb=round(peak),
                iteration_mb=round(peak - base),
                seconds=round(t, 3),
            )
        )
    )


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--ipc', type=int, default=10)
    ap.add_argument('--width', type=int, default=128)
    ap.add_argument('--steps', default='5,10,20,40')
    ap.add_argument('--one', nargs=2)
    a = ap.parse_args()
    if a.one:
        one(a.one[0], int(a.one[1]), a.ipc, a.width)
        sys.exit()
    rows = []
    for mode in ('unroll', 'tesla'):
        for s in map(int, a.steps.split(',')):
            out = (
                subprocess.run(
                    [sys.executable, __file__, '--one', mode, str(s), '--ipc', str(a.ipc), '--width', str(a.width)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            rows.append(json.loads(out))
    print(f"digits, ipc {a.ipc}, ConvNet-3 width {a.width}, one iteration, 1 thread; peak RSS of a fresh process\n")
    print('| mode | ' + ' | '.join(f"N={r['steps']}" for r in rows if r['mode'] == 'unroll') + ' |')
    print('|---|' + '---|' * (len(rows) // 2))
    for mode, label in (('unroll', 'MTT unroll: MB for the iteration'), ('tesla', 'TESLA: MB for the iteration')):
        print(f'| {label} | ' + ' | '.join(str(r['iteration_mb']) for r in rows if r['mode'] == mode) + ' |')
    for mode, label in (('unroll', 'MTT unroll: seconds'), ('tesla', 'TESLA: seconds')):
        print(f'| {label} | ' + ' | '.join(str(r['seconds']) for r in rows if r['mode'] == mode) + ' |')
