"""GAN parameterizations on digits: pixels vs GLaD (latents at the generator's middle stage) vs H-PD, and H-PD's
search basis (CAM distance vs matcher loss vs none; paper Table 15), for DSA, DM and MTT at IPC 1 and 10.

Every (method, ipc, variant, seed) distils with the method's digits preset for the same number of matcher
iterations (`ITERATIONS`, times `--scale`; H-PD spreads them over its spaces, one generator stage each), and is
evaluated with `--models` fresh ConvNets under the method's protocol on the test split, beside the random-real
baseline under the same recipe. GAN variants use the cached digits generator (`--generator-steps`, default
600) and, for H-PD, the cached real-data classifier; GLaD's learning rates are the official ones unless
`--set` overrides them (choose them on the validation split: `dd_nb.glad.GLAD_LRS` is for StyleGAN-XL).
Rows are appended to `--out` and skipped when present, so the grid can be run in pieces; the same command run in
several processes shares the grid (a row is claimed in `<out>.claims/`; delete that folder after a crash).

    python benchmarks/gan_ablation.py                                      # 3 methods × 2 IPC × 5 variants × 3 seeds
    python benchmarks/gan_ablation.py --methods dm --ipcs 1 --variants pixels,glad,hpd-cam
    python benchmarks/gan_ablation.py --table
    for i in 1 2; do OMP_NUM_THREADS=1 python benchmarks/gan_ablation.py & done; wait     # 2 cores, 2 processes
"""

import argparse, time
from dd_nb.data import load_data
from dd_nb.methods import build
from dd_nb.glad import build_glad
from dd_nb.hpd import HPD
from dd_nb.distill import Distiller
from dd_nb.run import parse_overrides
from ablation_common import Results, table

ITERATIONS = {('dsa', 1): 100, ('dsa', 10): 5, ('dm', 1): 400, ('dm', 10): 200, ('mtt', 1): 100, ('mtt', 10): 50}
VARIANTS = ['pixels', 'glad', 'hpd-cam', 'hpd-loss', 'hpd-none']
HPD_ONLY = {
    'classifier_epochs',
    'eval_protocol',
    'eval_models',
    'per_class',
    'stages_per_space',
    'steps_per_space',
    'start_stage',
}


def run_one(real, res, method, ipc, name, seed, its, models, gen_steps, extra):
    t0 = time.perf_counter()
    if name.startswith('hpd'):
        h = HPD(
            real,
            method,
            ipc,
            search=name[4:],
            seed=seed,
            iterations=its,
            generator_steps=gen_steps,
            progress=False,
            **extra,
        )
        p = h.run()
        n = sum(len(r.losses) for r in h.results)
        info = dict(
            stage=p.stage, spaces=[dict(stage=r.stage, best_step=r.best_step, val=r.val_accuracy) for r in h.results]
        )
    else:
        if name == 'glad':
            glad = {k: v for k, v in extra.items() if k not in HPD_ONLY}
            p, m, n, _ = build_glad(method, real, ipc, seed=seed, iterations=its, generator_steps=gen_steps, **glad)
        else:
            p, m, n, _ = build(method, real, ipc, seed=seed, iterations=its)
        Distiller(p, m, real, n, seed=seed, progress=False).run()
        info = dict(stage=getattr(p, 'stage', None))
    secs = (time.perf_counter() - t0) / n
    return dict(
        method=method,
        ipc=ipc,
        variant=name,
        seed=seed,
        iterations=n,
        seconds_per_iteration=secs,
        overrides=extra,
        storage_floats=p.storage_floats(),
        **info,
        **res.evaluate(real, method, p, ipc, seed, models),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--methods', default='dsa,dm,mtt')
    ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--variants', default=','.join(VARIANTS))
    ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--scale', type=float, default=1.0)
    ap.add_argument('--models', type=int, default=2)
    ap.add_argument('--generator-steps', type=int, default=600)
    ap.add_argument('--set', default='', help='overrides for the GAN variants, e.g. "lr_img=1 lr_w=0.01"')
    ap.add_argument('--dataset', default='digits', help='digits, or fashion-mnist (give another --out)')
    ap.add_argument('--out', default='benchmarks/results/gan_ablation.jsonl')
    ap.add_argument('--table', action='store_true')
    a = ap.parse_args()
    res = Results(a.out, key=lambda r: (r['method'], r['ipc'], r['variant'], r['seed']))
    if not a.table:
        real, extra = load_data(a.dataset), parse_overrides(a.set)
        for seed in map(int, a.seeds.split(',')):
            for method in a.methods.split(','):
                for ipc in map(int, a.ipcs.split(',')):
                    for name in a.variants.split(','):
                        if not res.claim(method, ipc, name, seed):
                            continue
                        its = max(1, round(ITERATIONS[(method, ipc)] * a.scale))
                        r = run_one(
                            real,
                            res,
                            method,
                            ipc,
                            name,
                            seed,
                            its,
                            a.models,
                            a.generator_steps,
                            extra if name != 'pixels' else {},
                        )
                        res.add(r)
                        print(
                            f"{method} ipc {ipc} {name} seed {seed}: {100 * r['acc']:.2f} (random "
                            f"{100 * r['random']:.2f})",
                            flush=True,
                        )
    print(
        table(
            res.rows,
            ['method', 'ipc', 'variant'],
            lambda r: (r['method'], r['ipc'], VARIANTS.index(r['variant'])),
            lambda r: describe(r, res.rows),
        )
    )


def describe(r, rows):
    "The stage each seed's set lives at (H-PD picks it on val) and the floats it stores."
    same = sorted(
        (x for x in rows if (x['method'], x['ipc'], x['variant']) == (r['method'], r['ipc'], r['variant'])),
        key=lambda x: x['seed'],
    )
    fl = sorted({x['storage_floats'] for x in same})
    floats = f"{fl[0]:,}" + (f"–{fl[-1]:,}" if len(fl) > 1 else '') + ' floats'
    return floats if r.get('stage') is None else f"stage {'/'.join(str(x['stage']) for x in same)}, {floats}"


if __name__ == '__main__':
    main()
