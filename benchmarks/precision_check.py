"""Does a method's gradient survive mixed precision? (issue 22)

For each method and IPC, one distillation step from the same state (same network, real batches, augmentation draws)
in fp32 and under bf16 autocast: the loss, and the cosine between the two gradients with respect to the synthetic
images. A method whose second-order path (gradient matching's synthetic gradients, trajectory unrolls) loses its
direction in bf16 keeps fp32. Where the CPU has no native bf16 this is slow (bf16 is emulated) but still exact.

    python benchmarks/precision_check.py                       # dm dc dsa mtt tesla datm × IPC 1, 10 × seeds 0–2
    python benchmarks/precision_check.py --methods dm --ipcs 1 --seeds 0
    python benchmarks/precision_check.py --evaluate     # the Evaluator in fp32 and bf16 on random real subsets

Rows are appended to benchmarks/results/precision_check.jsonl.
"""

import argparse, time
from pathlib import Path
import torch
from dd_nb.core import cpu_flags, BF16_FLAGS, autocast
from dd_nb.data import digits
from dd_nb.methods import build
from yardstick import append_row

RESULTS = Path(__file__).parent / 'results' / 'precision_check.jsonl'
# the precision of each method's second-order path under precision='bf16' (gradient matching keeps its synthetic
# gradients in fp32: chosen from this benchmark's rows with 'bf16' there); DM has none
SECOND_ORDER = dict(dm='none', dc='fp32', dsa='fp32', mtt='bf16', tesla='bf16', datm='bf16')


def step(method, real, ipc, seed, precision):
    "(loss, gradient w.r.t. the synthetic images) of the first iteration's first step, in `precision`."
    p, m, _, _ = build(method, real, ipc, seed=seed, init='real')
    m.compile = False
    m.prepare(real, ipc)
    m.begin_iteration(0)
    x, y = p()
    with autocast(precision, 'cpu'):
        loss = m.loss(x, y, **({'lr': p.lr} if m.learns_lr else {}))
    (g,) = torch.autograd.grad(loss, p.images)
    return float(loss.detach()), g.float()


def evaluate(real, ipcs, seeds, protocol='dc-classic'):
    "Final test accuracy of the same networks trained on the same random real subset in fp32 and in bf16."
    from dd_nb.evaluate import Evaluator

    for ipc in ipcs:
        x, y = real.random_subset(ipc, seed=100)
        row = dict(
            kind='evaluate', ipc=ipc, protocol=protocol, seeds=seeds, native_bf16=bool(set(BF16_FLAGS) & cpu_flags())
        )
        for precision in ('fp32', 'bf16'):
            ev = Evaluator(real, protocol, models=len(seeds), seed=seeds[0], progress=False, precision=precision)
            t = time.perf_counter()
            res = ev.evaluate(x, y)
            row[precision] = dict(accs=res.accs, mean=res.mean, std=res.std, seconds=time.perf_counter() - t)
            print(f'ipc {ipc} {precision}: {res} ({row[precision]["seconds"]:.0f} s)', flush=True)
        append_row(RESULTS, row)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--methods', default='dm,dc,dsa,mtt,tesla,datm')
    ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--evaluate', action='store_true', help='check the Evaluator instead (random real, DC-classic)')
    a = ap.parse_args()
    real = digits()
    if a.evaluate:
        return evaluate(real, [int(i) for i in a.ipcs.split(',')], [int(s) for s in a.seeds.split(',')])
    native = bool(set(BF16_FLAGS) & cpu_flags())
    for method in a.methods.split(','):
        for ipc in map(int, a.ipcs.split(',')):
            for seed in map(int, a.seeds.split(',')):
                t = time.perf_counter()
                l32, g32 = step(method, real, ipc, seed, 'fp32')
                t32 = time.perf_counter() - t
                t = time.perf_counter()
                l16, g16 = step(method, real, ipc, seed, 'bf16')
                t16 = time.perf_counter() - t
                cos = float(torch.nn.functional.cosine_similarity(g32.flatten(), g16.flatten(), dim=0))
                row = dict(
                    method=method,
                    ipc=ipc,
                    seed=seed,
                    loss_fp32=l32,
                    loss_bf16=l16,
                    loss_rel_diff=abs(l16 - l32) / max(abs(l32), 1e-12),
                    grad_cos=cos,
                    grad_norm_ratio=float(g16.norm() / g32.norm()),
                    seconds_fp32=t32,
                    seconds_bf16=t16,
                    native_bf16=native,
                    second_order=SECOND_ORDER[method],
                    torch=torch.__version__,
                )
                print(
                    f'{method} ipc {ipc} seed {seed}: loss {l32:.5g} vs {l16:.5g}, grad cos {cos:.4f}, '
                    f'norm ratio {row["grad_norm_ratio"]:.3f} ({t32:.1f} s fp32, {t16:.1f} s bf16)',
                    flush=True,
                )
                append_row(RESULTS, row)


if __name__ == '__main__':
    main()
