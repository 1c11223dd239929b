"""PAD ablation on digits: base matcher, +FIEX, +FIEM, +both, for trajectory, gradient and distribution matching.

Every (family, ipc, variant, seed) is one distillation with the digits preset, run for the ablation's
iteration budget below (`ITERATIONS`, times `--scale`; sized so the whole grid fits a few hours of a
2-core CPU), evaluated with `--models` fresh ConvNets under the method's protocol on the test split,
beside the random-real baseline under the same protocol (the same random subsets for every variant of a
seed, computed once per seed and protocol recipe). Rows are appended to `--out` (JSON lines; by default
`benchmarks/results/pad_ablation.jsonl`, which is committed) as they finish, and rows already there are not
run again, so an interrupted ablation continues where it stopped, in this session or the next. The table (mean ± std
over distillation seeds of the per-seed mean accuracy) is printed at the end.

    python benchmarks/pad_ablation.py                                    # everything: 3 families × 2 IPC × 4
    variants × 3 seeds
    python benchmarks/pad_ablation.py --families trajectory,distribution --ipcs 1 --seeds 0,1,2
    python benchmarks/pad_ablation.py --table                            # only print what --out holds

Variants (PAD paper: FIEX = filtering information extraction, FIEM = filtering information embedding):
  trajectory    base = DATM; +FIEX = experts on the EL2N curriculum (PAD with α = 0); +FIEM = DATM with α = 0.25;
                +both = PAD with α = 0.25
  gradient      base = DSA; +FIEX = the hardest `drop_hard` removed (paper Table 6a: 20 % at IPC 1, 25 % at IPC 10);
                +FIEM = α = 0.25 (Table 7a); +both
  distribution  base = DM; +FIEX = hardest removed (Table 6b: 50 % at IPC 1, 20 % at IPC 10); +FIEM = α = 0.25, i.e. the
                outputs of blocks 1 and 2 matched (Table 7b); +both
"""

import argparse, time
from dd_nb.data import load_data
from dd_nb.methods import build, preset
from dd_nb.distill import Distiller
from ablation_common import Results, table

# ablation budget: below the digits presets' iterations (README table) so that 72 distillations fit on 2 cores;
# DSA at IPC 10 runs 5 iterations as the official digits run in peer-targets.md (each one is 10 outer loops)
ITERATIONS = {
    ('trajectory', 1): 100,
    ('trajectory', 10): 50,
    ('gradient', 1): 100,
    ('gradient', 10): 5,
    ('distribution', 1): 400,
    ('distribution', 10): 200,
}
DROP_HARD = {('gradient', 1): 0.2, ('gradient', 10): 0.25, ('distribution', 1): 0.5, ('distribution', 10): 0.2}


def variant(family, ipc, name):
    "(method, overrides) for one cell of the ablation."
    fiex, fiem = name in ('fiex', 'both'), name in ('fiem', 'both')
    if family == 'trajectory':
        return ('pad' if fiex else 'datm'), (
            {'alpha': 0.25 if fiem else 0.0} if fiex else ({'alpha': 0.25} if fiem else {})
        )
    method = {'gradient': 'dsa', 'distribution': 'dm'}[family]
    o = {}
    if fiex:
        o['drop_hard'] = DROP_HARD[(family, ipc)]
    if fiem:
        o['alpha'] = 0.25
    return method, o


def run_one(real, res, family, ipc, name, seed, scale, models):
    method, o = variant(family, ipc, name)
    its = max(1, round(ITERATIONS[(family, ipc)] * scale))
    p, m, its, cfg = build(method, real, ipc, seed=seed, iterations=its, **o)
    t0 = time.perf_counter()
    Distiller(p, m, real, its, seed=seed, progress=False).run()
    secs = (time.perf_counter() - t0) / its
    return dict(
        family=family,
        ipc=ipc,
        variant=name,
        seed=seed,
        method=method,
        overrides=o,
        iterations=its,
        seconds_per_iteration=secs,
        **res.evaluate(real, method, p, ipc, seed, models),
    )


VARIANTS = ['base', 'fiex', 'fiem', 'both']


def pad_table(rows):
    return table(
        rows,
        ['family', 'ipc', 'variant'],
        lambda r: (r['family'], r['ipc'], VARIANTS.index(r['variant'])),
        lambda r: r['method'] + ''.join(f' {k}={v}' for k, v in r['overrides'].items()),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--families', default='trajectory,gradient,distribution')
    ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--variants', default='base,fiex,fiem,both')
    ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--scale', type=float, default=1.0, help='multiplies the ablation budget ITERATIONS')
    ap.add_argument('--models', type=int, default=2)
    ap.add_argument('--dataset', default='digits', help='digits, or fashion-mnist (give another --out)')
    ap.add_argument(
        '--out',
        default='benchmarks/results/pad_ablation.jsonl',
        help='JSON lines, appended; with --table, several files comma-separated',
    )
    ap.add_argument('--table', action='store_true', help='print the table of --out and stop')
    a = ap.parse_args()
    res = Results(a.out, key=lambda r: (r['family'], r['ipc'], r['variant'], r['seed']))
    if not a.table:
        real = load_data(a.dataset)
        for seed in map(int, a.seeds.split(',')):  # seeds outermost: an interrupted grid stays balanced
            for family in a.families.split(','):
                for ipc in map(int, a.ipcs.split(',')):
                    for name in a.variants.split(','):
                        if res.done(family, ipc, name, seed):
                            continue
                        r = run_one(real, res, family, ipc, name, seed, a.scale, a.models)
                        res.add(r)
                        print(
                            f"{family} ipc {ipc} {name} seed {seed}: {100 * r['acc']:.2f} (random "
                            f"{100 * r['random']:.2f}), "
                            f"{r['seconds_per_iteration']:.2f} s/it",
                            flush=True,
                        )
    print(pad_table(res.rows))


if __name__ == '__main__':
    main()
