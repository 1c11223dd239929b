"""HMN on digits at equal storage: pixels under the same gradient-matching loss (DSA augmentation, IDC distance)
vs HMN within the budget without pruning vs HMN distilled 10 % over budget then AUM-pruned (β chosen on the
validation split), at IPC 1 and 10, over distillation seeds.

Every row distils for `ITERATIONS` (times `--scale`) and is evaluated with `--models` fresh ConvNets under the DSA
protocol on the test split, beside the random-real baseline of the same recipe. Rows are appended to `--out` and
skipped when present, so the grid can be run in pieces; inside a row, the distillation checkpoints and the pruning
saves its AUM and β scores in `--runs`/<row>/, so a row stopped part-way (SIGTERM) continues where it was; `--park`
copies unfinished rows' folders next to `--out` (`<out>_parked/`, to be committed) and a row's next run restores its
folder from there, so a row longer than a session survives a fresh disk.

    python benchmarks/hmn_ablation.py                      # 2 IPC × 3 variants × 3 seeds
    python benchmarks/hmn_ablation.py --ipcs 1 --seeds 0 --variants hmn,hmn-pruned
    python benchmarks/hmn_ablation.py --table
    python benchmarks/hmn_ablation.py --dataset fashion-mnist --out benchmarks/results/fmnist_hmn_ablation.jsonl --park

Fashion-MNIST (the Fashion-MNIST table's HMN row): IPC 1, 100 iterations, β from {0, ½, 1} with one network each
(the default grid's 10 networks of ≈ 8 min on 140 decoded images are ≈ 80 min a seed on 2 cores); the pixels'
lr_img under the IDC distance first chosen on validation (DSA's 0.1 leaves them at their real initialisation: the IDC
distance's image gradients are ≈ 200× smaller than DSA's), rows in `<out>_pixel_lr.jsonl`:

    python benchmarks/hmn_ablation.py --dataset fashion-mnist --ipcs 1 --select-pixel-lr 0.1,1,10,100,1000,10000 \
        --out benchmarks/results/fmnist_hmn_ablation.jsonl --runs runs/fmnist_hmn_ablation        # → 1000
    python benchmarks/hmn_ablation.py --dataset fashion-mnist --ipcs 1 --scale 0.5 --beta-grid 0,0.5,1 \
        --beta-models 1 --pixel-lr 1000 --out benchmarks/results/fmnist_hmn_ablation.jsonl \
        --runs runs/fmnist_hmn_ablation
"""

import argparse, re, time
from pathlib import Path
from dd_nb.data import load_data
from dd_nb.methods import build
from dd_nb.distill import Distiller
from ablation_common import Results, drop_parked, park, table, unpark

# IPC 1: the DSA digits preset's 200 iterations; IPC 10: 5 (as the PAD ablation's DSA and the official digits run in
# peer-targets.md: one IPC-10 HMN iteration is 10 outer loops of 17 decoded images per class, about 38 s on 2 cores)
ITERATIONS = {1: 200, 10: 5}
VARIANTS = ['pixels', 'hmn', 'hmn-pruned']


def run_one(real, res, ipc, name, seed, its, models, out, prune=None, pixel_lr=None):
    """One row: distil variant `name`, prune it (`prune`: `build_hmn`'s β settings, None: its defaults), evaluate;
    `pixel_lr`: the pixels' lr_img (None: DSA's preset)."""
    t0 = time.perf_counter()
    resumed = (out / 'checkpoint.pt').is_file()
    if name == 'pixels':
        p, m, n, cfg = build('dsa', real, ipc, seed=seed, iterations=its, metric='idc', lr_img=pixel_lr)
    else:
        p, m, n, cfg = build(
            'dsa',
            real,
            ipc,
            param='hmn',
            seed=seed,
            iterations=its,
            **({'over_budget': 0.0, 'prune': False} if name == 'hmn' else prune or {}),
        )
    Distiller(p, m, real, n, seed=seed, out=out, progress=False).run(resume=resumed)
    gipc_distilled = p.gipc() if hasattr(p, 'gipc') else [ipc] * real.num_classes
    pcfg = getattr(p, 'prune_config', None) or {}  # `finalize` clears it
    if hasattr(p, 'finalize'):
        p = p.finalize(real, out=out)
    pr = getattr(p, 'prune_result', None) or {}
    return dict(
        method='dsa',
        ipc=ipc,
        variant=name,
        seed=seed,
        iterations=n,
        seconds=time.perf_counter() - t0,  # this process's part when resumed
        resumed=resumed,
        storage_floats=p.storage_floats(),
        gipc_distilled=gipc_distilled,
        gipc=p.gipc() if hasattr(p, 'gipc') else gipc_distilled,
        beta=pr.get('beta'),
        beta_val=pr.get('val'),
        beta_models=pcfg.get('models'),
        k=pr.get('k'),
        lr_img=cfg.get('lr_img'),
        **res.evaluate(real, 'dsa', p, ipc, seed, models),
    )


def select_pixel_lr(real, ipc, seed, its, models, lrs, runs, path) -> float:
    """The pixels' lr_img under the IDC distance, chosen on the validation split: each of `lrs` distils `its`
    iterations (seed `seed`) and is scored by `models` ConvNets on validation (DSA protocol); rows appended to `path`
    (resumable); returns the best."""
    import json
    from dd_nb.evaluate import Evaluator

    path = Path(path)
    rows = [json.loads(l) for l in path.read_text().splitlines() if l.strip()] if path.is_file() else []
    key = dict(dataset=real.name, ipc=ipc, seed=seed, iterations=its, models=models)
    for lr in lrs:
        if any(r['lr_img'] == lr and all(r.get(k) == v for k, v in key.items()) for r in rows):
            continue
        p, m, n, _ = build('dsa', real, ipc, seed=seed, iterations=its, metric='idc', lr_img=lr)
        out = Path(runs) / f'{real.name}-ipc{ipc}-pixels-lr{lr:g}-s{seed}-{its}it'
        Distiller(p, m, real, n, seed=seed, out=out, progress=False).run(resume=(out / 'checkpoint.pt').is_file())
        x, y = p()
        val = Evaluator(real, 'dsa', models=models, seed=seed, split='val', progress=False).evaluate(x.detach(), y)
        rows.append(dict(key, lr_img=lr, val=val.mean, val_accs=val.accs))
        with open(path, 'a') as f:
            f.write(json.dumps(rows[-1]) + '\n')
        print(f'pixels lr_img {lr:g}: validation {100 * val.mean:.2f}', flush=True)
    mine = [r for r in rows if all(r.get(k) == v for k, v in key.items()) and r['lr_img'] in lrs]
    return max(mine, key=lambda r: r['val'])['lr_img']


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--variants', default=','.join(VARIANTS))
    ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--scale', type=float, default=1.0)
    ap.add_argument('--models', type=int, default=2)
    ap.add_argument('--dataset', default='digits', help='digits, or fashion-mnist (give another --out)')
    ap.add_argument('--out', default='benchmarks/results/hmn_ablation.jsonl')
    ap.add_argument('--runs', default='runs/hmn_ablation', help="each row's checkpoints (machine-local)")
    ap.add_argument(
        '--beta-grid', default=None, help="the pruning β tried on validation (default build_hmn's: 0,.25,…,1)"
    )
    ap.add_argument('--beta-models', type=int, default=None, help="networks per β (default build_hmn's: 2)")
    ap.add_argument('--pixel-lr', type=float, default=None, help="the pixels' lr_img (default: DSA's preset)")
    ap.add_argument(
        '--select-pixel-lr',
        default=None,
        help="only choose the pixels' lr_img on validation among these (0.1,1,10,100) at --select-iterations",
    )
    ap.add_argument('--select-iterations', type=int, default=50)
    ap.add_argument('--table', action='store_true')
    ap.add_argument('--park', action='store_true', help="only copy unfinished rows' folders to <out>_parked/")
    a = ap.parse_args()
    res = Results(a.out, key=lambda r: (r['ipc'], r['variant'], r['seed']))
    parked = Path(a.out).with_name(Path(a.out).stem + '_parked')
    if a.park:

        def finished(run):
            m = re.search(r'-ipc(\d+)-(.+)-s(\d+)-\d+it-\d+m(-lr[^-]+)?$', run.name)
            return m is None or res.done(int(m.group(1)), m.group(2), int(m.group(3)))

        print('parked:', ', '.join(park(a.runs, parked, finished)) or 'nothing (no unfinished row)')
        return
    prune = dict(
        beta_grid=tuple(map(float, a.beta_grid.split(','))) if a.beta_grid else None, beta_models=a.beta_models
    )
    prune = {k: v for k, v in prune.items() if v is not None}
    if a.select_pixel_lr:
        real = load_data(a.dataset)
        ipc, seed = int(a.ipcs.split(',')[0]), int(a.seeds.split(',')[0])
        lrs = [float(v) for v in a.select_pixel_lr.split(',')]
        sel = Path(a.out).with_name(Path(a.out).stem + '_pixel_lr.jsonl')
        best = select_pixel_lr(real, ipc, seed, a.select_iterations, a.models, lrs, a.runs, sel)
        print(f"pixels' lr_img chosen on validation: {best:g} ({sel})")
        return
    if not a.table:
        real = load_data(a.dataset)
        for seed in map(int, a.seeds.split(',')):
            for ipc in map(int, a.ipcs.split(',')):
                for name in a.variants.split(','):
                    if res.done(ipc, name, seed):
                        continue
                    its = max(1, round(ITERATIONS[ipc] * a.scale))
                    lr = f'-lr{a.pixel_lr:g}' if name == 'pixels' and a.pixel_lr is not None else ''
                    out = Path(a.runs) / f'{a.dataset}-ipc{ipc}-{name}-s{seed}-{its}it-{a.models}m{lr}'
                    unpark(out, parked)
                    r = run_one(real, res, ipc, name, seed, its, a.models, out, prune, a.pixel_lr)
                    res.add(r)
                    drop_parked(out, parked)
                    print(
                        f"ipc {ipc} {name} seed {seed}: {100 * r['acc']:.2f} (random {100 * r['random']:.2f}), "
                        f"{r['storage_floats']:,} floats, GIPC {r['gipc'][0]}",
                        flush=True,
                    )
    print(
        table(
            res.rows,
            ['ipc', 'variant'],
            lambda r: (r['ipc'], VARIANTS.index(r['variant'])),
            lambda r: f"{r['storage_floats']:,} floats, GIPC {r['gipc'][0]}",
        )
    )
    pruned = sorted((r for r in res.rows if r.get('beta') is not None), key=lambda r: (r['ipc'], r['seed']))
    print(
        '\nβ chosen on validation: '
        + ', '.join(f"IPC {r['ipc']} seed {r['seed']}: {r['beta']} (k {r['k']})" for r in pruned)
    )


if __name__ == '__main__':
    main()
