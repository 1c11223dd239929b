"""Seconds per distillation iteration for every method at IPC 1 and 10 on digits, against the
official code's figures (shared/research/peer-targets.md: one torch thread).

    python benchmarks/matcher_speed.py                                 # the whole table: dc,dsa,dm,mtt,tesla,datm at
    IPC 1 and 10
    python benchmarks/matcher_speed.py [--threads 1] [--methods dm,dsa,dc] [--ipcs 1,10] [--eval-models 5] [--out
    rows.json]

Each run does a few iterations; the first one (which compiles) is reported apart from the steady
state. Peak memory is the process's maximum resident set size after each run. "eval s" is the time to
train and test `--eval-models` fresh ConvNets on the resulting set under the method's own evaluation
protocol (1,000 epochs for DSA / DM / MTT / DATM, 300 for DC), the work behind every reported number;
the official figures give no evaluation time to compare with. `--eval-models 0` skips it.
"GFLOP/s" is the achieved rate of the steady iterations: the convolution and matrix-product FLOPs of one
iteration (counted by torch's FlopCounterMode on one extra, uncompiled iteration of the same work) over the
steady seconds per iteration; a 2048² fp32 matmul on the same threads is measured before and after the table.
"""

import argparse, resource, time, json
import torch
from torch.utils.flop_counter import FlopCounterMode
from dd_nb.data import digits
from dd_nb.methods import build
from dd_nb.distill import Distiller
from dd_nb.evaluate import Evaluator
from dd_nb.matcher import METHODS
from eval_speed import matmul_gflops, cpu_model

OFFICIAL = {
    ('dm', 1): 0.552,
    ('dm', 10): 1.169,
    ('dsa', 1): 1.359,
    ('dsa', 10): 58.0,
    ('dc', 1): 1.384,
    ('dc', 10): 52.7,
    ('mtt', 1): 0.649,
    ('mtt', 10): 4.616,
}
ITERS = {1: 8, 10: 3}
# the official figures' settings where our digits presets differ (MTT defaults: 20 steps on the whole synthetic set);
# TESLA and DATM are compared with the official MTT figure at the same settings (no official CPU figure of their own)
SAME_AS_OFFICIAL = {
    'mtt': dict(syn_steps=20),
    'tesla': dict(syn_steps=20),
    'datm': dict(syn_steps=20, threshold=1e9),
}  # datm: never skip


def iteration_flops(p, m, real) -> int:
    "Convolution / matmul FLOPs of one iteration (run uncompiled: the compiled kernels do the same arithmetic)."
    compile_was, m.compile = m.compile, False
    with FlopCounterMode(display=False) as fc:
        Distiller(p, m, real, 1, progress=False).run()
    m.compile = compile_was
    return fc.get_total_flops()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--methods', default='dc,dsa,dm,mtt,tesla,datm')
    ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--out', default=None)
    ap.add_argument(
        '--eval-models', type=int, default=5, help='fresh networks timed under the method\'s protocol (0: skip)'
    )
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    real, rows = digits(), []
    mm = [matmul_gflops()]
    print(f"digits, ConvNet-3, {torch.get_num_threads()} thread(s), {cpu_model()}; 2048² matmul {mm[0]:.0f} GFLOP/s")
    print(
        f"{'method':<7}{'ipc':>4}{'first s':>9}{'steady s/it':>13}{'official':>10}"
        f"{'ratio':>8}{'GFLOP/s':>9}{'peak MB':>9}{'eval s':>9}"
    )
    for method in a.methods.split(','):
        for ipc in map(int, a.ipcs.split(',')):
            p, m, _, _ = build(
                method,
                real,
                ipc,
                device='cpu',
                **({**SAME_AS_OFFICIAL[method], 'batch_syn': 10 * ipc} if method in SAME_AS_OFFICIAL else {}),
            )
            m.compile = True
            d = Distiller(p, m, real, ITERS[ipc], progress=False)
            d.run()
            s = [h['seconds'] for h in d.history]
            steady = sum(s[1:]) / (len(s) - 1)
            off = OFFICIAL.get((method, ipc)) or OFFICIAL.get(('mtt', ipc) if method in SAME_AS_OFFICIAL else None)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            gflops = iteration_flops(p, m, real) / steady / 1e9
            ev_s = float('nan')
            if a.eval_models:
                ds = p.to_distilled(real)
                ev_s = (
                    Evaluator(real, METHODS[method].protocol, models=a.eval_models, device='cpu', progress=False)
                    .evaluate(ds.images, ds.labels, lr=ds.lr)
                    .seconds
                )
            rows.append(
                dict(
                    method=method,
                    ipc=ipc,
                    first=s[0],
                    steady=steady,
                    official=off,
                    ratio=steady / off if off else None,
                    gflops=gflops,
                    peak_mb=peak,
                    eval_seconds=ev_s,
                    eval_models=a.eval_models,
                    eval_protocol=METHODS[method].protocol,
                )
            )
            print(
                f"{method:<7}{ipc:>4}{s[0]:>9.2f}{steady:>13.3f}{off or float('nan'):>10.3f}"
                f"{steady / off if off else float('nan'):>8.2f}{gflops:>9.1f}{peak:>9.0f}{ev_s:>9.1f}",
                flush=True,
            )
    mm.append(matmul_gflops())
    print(f"2048² matmul after the table: {mm[1]:.0f} GFLOP/s")
    if a.out:
        json.dump(
            dict(cpu=cpu_model(), rows=rows, matmul_gflops=mm, threads=torch.get_num_threads()),
            open(a.out, 'w'),
            indent=1,
        )


if __name__ == '__main__':
    main()
