"""The Fashion-MNIST table: dd_nb's methods against the DC and DSA papers' published rows, beside random real
subsets and the whole training set under the same recipes. Resumable: every finished row is appended to
`benchmarks/results/fmnist_table.jsonl` and skipped on the next call; a distillation killed half-way continues from its
checkpoint (`dd_nb_distill --resume`). One job at a time (2 cores); run it again to go on. A row longer than a session
survives a fresh disk: `--park` copies each unfinished run's checkpoint to `benchmarks/results/fmnist_parked/` (commit
it), and the row's next call restores it from there.

    python benchmarks/fmnist_table.py --jobs random --ipcs 1,10 --seeds 0 # random-real baselines, both protocols
    python benchmarks/fmnist_table.py --jobs dm,dsa,dc --ipcs 1 --seeds 0,1,2
    python benchmarks/fmnist_table.py --jobs full --full-epochs 10         # the whole training set, a short recipe
    python benchmarks/fmnist_table.py --table                              # print the table from the results file
    python benchmarks/fmnist_table.py --park                               # before a session ends: keep unfinished runs

Each distillation row: `dd_nb_distill --dataset fashion-mnist --method M --ipc I --seed S --no-eval` with the
method's Fashion-MNIST preset (its iterations are this machine's budget; the paper's budget is printed beside it),
then 5 fresh ConvNet-3s under the method's own protocol, final-epoch test accuracy (evaluation seeds 0-4).
`--flip` distils and evaluates with the DSA strategy *with* the flip (what the official code does on Fashion-MNIST;
dd_nb follows the DSA README's no-flip advice for MNIST-like sets): the same rows marked `flip`, distilled in this
process because the command line has no strategy option.
"""

import argparse, copy, json, os, re, shutil, statistics, subprocess, sys, time
from pathlib import Path
from ablation_common import drop_parked, park, unpark

RESULTS = Path(__file__).parent / 'results' / 'fmnist_table.jsonl'
SETS = RESULTS.parent / 'fmnist_sets'  # every row's distilled set (small: IPC 1 is 10 images), for the figures
# unfinished distillations parked by `--park` (checkpoint and loss curve, ~400 KB for a DSA IPC 1 run): committed,
# so a row longer than a session continues on a fresh disk; a parked run is restored when its row starts, dropped when
# it ends
PARKED = RESULTS.parent / 'fmnist_parked'
# HMN's row is its equal-storage ablation's pruned variant (`hmn_ablation.py --dataset fashion-mnist`): the same
# `build_hmn` a `--jobs hmn:dsa` row would run, evaluated with 2 networks a seed instead of 5 (a 140-image set costs
# ≈ 8 min a network on 2 cores), so the pruned container is not distilled twice
HMN_ABLATION = RESULTS.parent / 'fmnist_hmn_ablation.jsonl'
DATASET = 'fashion-mnist'
# the papers' numbers (ConvNet, test %, mean ± std): ../shared/research/fashion-mnist.md
PUBLISHED = {
    ('random', 1): '51.4 ± 3.8',
    ('random', 10): '73.8 ± 0.7',
    ('random', 50): '82.5 ± 0.7',
    ('dc', 1): '70.5 ± 0.6',
    ('dc', 10): '82.3 ± 0.4',
    ('dc', 50): '83.6 ± 0.4',
    ('dsa', 1): '70.6 ± 0.6',
    ('dsa', 10): '84.6 ± 0.3',
    ('dsa', 50): '88.7 ± 0.2',
    ('kip-images', 1): '73.8',
    ('kip-images', 10): '86.8',
    ('kip-images', 50): '87.8',
    ('full', 0): '93.5 ± 0.1',
}
RANDOM_PROTOCOLS = ('dc-classic', 'dsa')  # DC's recipe (300 epochs, no augmentation) and DSA/DM's (1000, DSA)
# protocols that train a random real subset exactly as DSA's recipe does (dd_nb.train.PROTOCOLS): DM's is DSA's under
# its own name; MTT's and DATM's add the learned learning rate, which a real subset has not (so 0.01 as DSA's), and
# DATM's batch of 128 equals 256 on sets of up to 128 images (IPC 1 and 10)
SAME_RECIPE = {'dm': 'dsa', 'mtt': 'dsa', 'datm': 'dsa'}
FLIP = 'color_crop_cutout_flip_scale_rotate'  # the official DSA strategy (dd_nb.data.NO_FLIP drops the flip)


def commit():
    try:
        return subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    except OSError:
        return None


def machine():
    import torch
    from eval_speed import cpu_model

    from dd_nb.core import default_device

    dev = default_device()
    gpu = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else None  # rows distilled on a GPU say which
    return dict(cpu=cpu_model(), threads=torch.get_num_threads(), torch=torch.__version__, gpu=gpu)


def rows():
    if not RESULTS.is_file():
        return []
    return [json.loads(l) for l in RESULTS.read_text().splitlines() if l.strip()]


def done(key: dict) -> bool:
    "A row with this key is in the results file (rows written before `extra` existed have none: [])."
    return any(all(r.get(k, [] if k == 'extra' else None) == v for k, v in key.items()) for r in rows())


def append(row: dict):
    from yardstick import append_row

    append_row(RESULTS, row)
    print(json.dumps({k: v for k, v in row.items() if k not in ('accs', 'machine', 'config')}), flush=True)


def evaluator(real, protocol, models, quiet, seed=0):
    from dd_nb.evaluate import Evaluator

    return Evaluator(real, protocol=protocol, models=models, seed=seed, progress=not quiet)


def result_row(res, **key):
    return dict(
        **key,
        accs=[float(a) for a in res.accs],
        mean=100 * res.mean,
        std=100 * res.std,
        eval_seconds=round(res.seconds, 1),
        date=time.strftime('%Y-%m-%d'),
        commit=commit(),
        machine=machine(),
    )


def random_rows(real, ipcs, seeds, models, quiet, flip=False, protocols=RANDOM_PROTOCOLS):
    """Random real subsets: `models` ConvNets per row, each on its own subset (subset seed = evaluation seed); `flip`:
    the augmenting protocols with the flipping DSA strategy (rows marked `flip`)."""
    from dd_nb.train import PROTOCOLS

    marks = ['flip'] if flip else []
    for ipc in ipcs:
        for protocol in protocols:
            if flip and not PROTOCOLS[protocol].augment:
                continue
            for seed in seeds:
                key = dict(kind='random', method='random', ipc=ipc, protocol=protocol, seed=seed, models=models)
                key['extra'] = marks
                if done(key):
                    continue
                ev = evaluator(real, protocol, models, quiet, seed=seed * models)  # disjoint model / subset seeds
                append(result_row(ev.random_baseline(ipc), **key))


def full_rows(real, epochs, models, quiet):
    "The whole training split under a stated short recipe: the DSA protocol's optimiser, `epochs` epochs, no aug."
    from dd_nb.train import Protocol

    protocol = Protocol(f'full-{epochs}ep', epochs)
    key = dict(kind='full', method='full', ipc=0, protocol=protocol.name, seed=0, models=models)
    if done(key):
        return
    ev = evaluator(real, protocol, models, quiet)
    append(result_row(ev.full_baseline(use_cache=False), **key))


def with_flip(real):
    "`real` whose DSA augmentation flips (distillation and evaluation alike); the loaded data is shared, not copied."
    r = copy.copy(real)
    r.dsa_strategy = FLIP
    return r


def distill_here(real, method, ipc, seed, its, out, quiet):
    "What `dd_nb_distill --no-eval` does, in this process: for data the command line cannot describe (`with_flip`)."
    from dd_nb.run import RunConfig, distil, save_run

    cfg = RunConfig(
        dataset=real.name, method=method, ipc=ipc, seed=seed, iterations=its, no_eval=True, out=str(out), quiet=quiet
    ).check()
    out.mkdir(parents=True, exist_ok=True)
    save_run(cfg, real, distil(cfg, real, resume=(out / 'checkpoint.pt').is_file()))


def distill_rows(real, method, ipcs, seeds, models, quiet, runs, iterations=None, extra=(), flip=False):
    """One row per (method, ipc, seed): distil with the preset (or `iterations`), then evaluate under its protocol;
    `flip`: both with the flipping DSA strategy (rows marked `flip`)."""
    import torch
    from dd_nb.distilled import DistilledSet
    from dd_nb.matcher import METHODS
    from dd_nb.methods import preset, preset_file

    for ipc in ipcs:
        pre = preset(method, DATASET, ipc)
        its = iterations or pre['iterations']
        protocol = METHODS[method].protocol
        for seed in seeds:
            marks = [*extra, *(['flip'] if flip else [])]
            key = dict(kind='set', method=method, ipc=ipc, seed=seed, iterations=its, models=models, extra=marks)
            if done(key):
                continue
            tag = ''.join('-' + e.strip('-').replace(' ', '_').replace('=', '') for e in marks)
            out = Path(runs) / f'{method}-ipc{ipc}-s{seed}-{its}it{tag}'
            rep = out / 'report.json'
            unpark(out, PARKED)
            if not out.exists():  # a shorter finished run of the same seed is extended (`--resume`: bit-identical)
                shorter = _shorter_run(Path(runs), f'{method}-ipc{ipc}-s{seed}-', tag, its)
                if shorter is not None:
                    shutil.copytree(shorter, out)
            fresh = not (rep.is_file() and json.loads(rep.read_text()).get('iterations') == its)
            if fresh and flip:
                t0 = time.time()
                distill_here(real, method, ipc, seed, its, out, quiet)
                print(f'distilled in {time.time() - t0:.0f} s', flush=True)
            elif fresh:
                cmd = [
                    'dd_nb_distill',
                    '--dataset',
                    DATASET,
                    '--method',
                    method,
                    '--ipc',
                    str(ipc),
                    '--seed',
                    str(seed),
                ]
                cmd += ['--iterations', str(its), '--no-eval', '--out', str(out), *extra]
                cmd += ['--resume'] if (out / 'checkpoint.pt').is_file() else ['--overwrite']
                cmd += ['--quiet'] if quiet else []
                print('+', ' '.join(cmd), flush=True)
                t0 = time.time()
                subprocess.run(cmd, check=True, env={**os.environ, 'PYTHONUNBUFFERED': '1'})
                print(f'distilled in {time.time() - t0:.0f} s', flush=True)
            r = json.loads(rep.read_text())
            ds = DistilledSet.load(out / 'distilled.safetensors')
            keep_set(ds, stored_set(row_name(method, marks), ipc, seed, its))
            ev = evaluator(real, protocol, models, quiet)
            torch.manual_seed(0)
            res = ev.evaluate(ds.images, ds.labels, lr=ds.lr, desc=f'{method} ipc {ipc} seed {seed}')
            append(
                result_row(
                    res,
                    **key,
                    protocol=protocol,
                    paper_iterations=preset_file(method)['official'].get('iterations'),
                    seconds_per_iteration=r.get('seconds_per_iteration'),
                    peak_rss_mb=r.get('peak_rss_mb'),
                    run=str(out),
                    config=r.get('config'),
                )
            )
            drop_parked(out, PARKED)  # the row is in the results file now


def park_finished(run: Path) -> bool:
    "A run folder whose distillation reached its budget (its row can be written without distilling again)."
    its, rep = re.search(r'-(\d+)it', run.name), run / 'report.json'
    return its is None or (rep.is_file() and json.loads(rep.read_text()).get('iterations') == int(its.group(1)))


def _shorter_run(runs: Path, stem, tag, its):
    "The longest finished run `runs/{stem}{n}it{tag}` with n < its (its checkpoint continues to `its`), or None."
    found = []
    for d in runs.glob(f'{stem}*it{tag}'):
        n = d.name[len(stem) : len(d.name) - len(f'it{tag}')]
        if n.isdigit() and int(n) < its and (d / 'checkpoint.pt').is_file() and (d / 'report.json').is_file():
            found.append((int(n), d))
    return max(found)[1] if found else None


def row_name(method, extra) -> str:
    "A row's name: 'glad-dm' for `--param glad` over DM, other marks in brackets ('dm (flip)')."
    extra = list(extra)
    name = method
    if '--param' in extra:
        i = extra.index('--param')
        name = f'{extra[i + 1]}-{method}'
        del extra[i : i + 2]
    return name + (f" ({' '.join(extra)})" if extra else '')


def stored_set(name, ipc, seed, its) -> Path:
    "Where a row's distilled set is kept beside the results (the runs folder is machine-local)."
    stem = re.sub(r'[^A-Za-z0-9_-]+', '_', name).strip('_')  # 'hpd-dm (--set a=2)' → 'hpd-dm_--set_a_2'
    return SETS / f'{stem}-ipc{ipc}-s{seed}-{its}it.safetensors'


def keep_set(ds, path: Path):
    "Keep the images, labels and lr a learner trains on (not a parameterization's latents: GLaD's are 1 MB a set)."
    from dd_nb.distilled import DistilledSet, save

    path.parent.mkdir(parents=True, exist_ok=True)
    save(DistilledSet(ds.images, ds.labels, ds.lr, {}, ds.manifest, ds.transform), path)


def _stats(vals, ddof=0):
    """Mean and std: `ddof=1` (the sample std, as the ablation scripts print) over distillation seeds, `ddof=0` (the
    papers' `np.std`) over evaluation models and random subsets."""
    import numpy as np

    return float(np.mean(vals)), float(np.std(vals, ddof=ddof)) if len(vals) > ddof else float('nan')  # one seed


def _fmt(mean, std) -> str:
    return f'{mean:.2f} ± {std:.2f}'


def on_gpu(row) -> bool:
    "Whether the row's set was distilled on a lent GPU (`fmnist_device.sh`; `distilled_on`: evaluated elsewhere)."
    return bool(row.get('machine', {}).get('gpu') or row.get('distilled_on'))


def table() -> str:
    """The Markdown table of every finished row: sets as mean ± sample std over distillation seeds, baselines as mean ±
    std over all their models and subsets."""
    rs = rows()
    out = [
        '| method | IPC | protocol | iterations (paper) | seeds | dd_nb % | random real % (same protocol) '
        '| published % |',
        '|---|---|---|---|---|---|---|---|',
    ]
    rand = {}  # (ipc, protocol, flip) → the random subsets' accuracies
    for r in rs:
        if r['kind'] == 'random':
            rand.setdefault((r['ipc'], r['protocol'], 'flip' in r.get('extra', [])), []).extend(r['accs'])
    groups = {}
    for r in rs:
        if r['kind'] == 'set':
            groups.setdefault((r['method'], r['ipc'], r['protocol'], r['iterations'], tuple(r['extra'])), []).append(r)
    order = lambda kv: (row_name(kv[0][0], kv[0][4]), kv[0][1], kv[0][3], kv[0][2])  # name, IPC, iterations
    for (method, ipc, protocol, its, extra), g in sorted(groups.items(), key=order):
        g = sorted(g, key=lambda x: x['seed'])
        m, s = _stats([x['mean'] for x in g], ddof=1)
        gpu = '†' if any(on_gpu(x) for x in g) else ''
        shown = f'**{_fmt(m, s)}**' if len(g) > 1 else f"**{m:.2f}** (one seed; its models ± {g[0]['std']:.2f})"
        rr = rand.get((ipc, SAME_RECIPE.get(protocol, protocol), 'flip' in extra))
        base = _fmt(*_stats([100 * a for a in rr])) if rr else '–'
        name = row_name(method, extra)
        published = PUBLISHED.get((method, ipc), '–') if '--param' not in extra else '–'  # pixel rows only
        out.append(
            f"| {name} | {ipc} | {protocol} | {its}{gpu} ({g[0].get('paper_iterations')}) | "
            f"{','.join(str(x['seed']) for x in g)} | {shown} | {base} | {published} |"
        )
    out += hmn_rows(rand)
    for (ipc, protocol, flip), accs in sorted(rand.items()):
        out.append(
            f"| random real{' (flip)' if flip else ''} | {ipc} | {protocol} | – | {len(accs)} subsets "
            f'| {_fmt(*_stats([100 * a for a in accs]))} '
            f"| – | {PUBLISHED.get(('random', ipc), '–')} |"
        )
    for r in rs:
        if r['kind'] == 'full':
            out.append(
                f"| whole training set | – | {r['protocol']} | – | {r['models']} model{'s' * (r['models'] > 1)} "
                f"| {_fmt(r['mean'], r['std'])} "
                f"| – | {PUBLISHED[('full', 0)]} (300 epochs) |"
            )
    if any(on_gpu(r) for r in rs):
        out.append('\n† distilled on a lent GPU (an H200; `benchmarks/fmnist_device.sh`), evaluated as every row.')
    return '\n'.join(out)


def hmn_rows(rand) -> list:
    """The table's HMN lines, one per IPC: the HMN ablation's pruned rows (`HMN_ABLATION`), mean ± sample std over
    distillation seeds, beside the table's random real of DSA's recipe (pooled over 5 subsets, not the ablation's)."""
    if not HMN_ABLATION.is_file():
        return []
    rs = [json.loads(l) for l in HMN_ABLATION.read_text().splitlines() if l.strip()]
    out = []
    for ipc in sorted({r['ipc'] for r in rs}):
        g = sorted((r for r in rs if r['ipc'] == ipc and r['variant'] == 'hmn-pruned'), key=lambda r: r['seed'])
        if not g:
            continue
        a = [100 * r['acc'] for r in g]
        m, s = statistics.mean(a), statistics.stdev(a) if len(a) > 1 else float('nan')  # as hmn_ablation.py prints
        shown = (
            f'**{m:.2f} ± {s:.2f}**'
            if len(g) > 1
            else f"**{m:.2f}** (one seed; its models ± {100 * g[0]['acc_std']:.2f})"
        )
        rr = rand.get((ipc, 'dsa', False))
        base = _fmt(*_stats([100 * a for a in rr])) if rr else '–'
        out.append(
            f"| hmn (pruned; {g[0]['models']} models a seed, {HMN_ABLATION.name}) | {ipc} | dsa "
            f"| {g[0]['iterations']} (–) | {','.join(str(r['seed']) for r in g)} | {shown} | {base} | – |"
        )
    return out


def figure(path, ipc=1, seed=0, names=None):
    """The distilled sets of every method at `ipc` (distillation seed `seed`; `names`: only these rows), one row per
    method and each class's first image, as a PNG: from the stored sets, else from the runs folder."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from dd_nb.data import FASHION_CLASSES
    from dd_nb.distilled import DistilledSet

    runs = {}
    for r in rows():
        if r['kind'] != 'set' or r['ipc'] != ipc or r['seed'] != seed:
            continue
        name = row_name(r['method'], r['extra'])
        for f in (stored_set(name, ipc, seed, r['iterations']), Path(r['run']) / 'distilled.safetensors'):
            if f.is_file() and (names is None or name in names):
                runs[name] = f
                break
    runs = dict(sorted(runs.items()))
    if not runs:
        return None
    fig, axs = plt.subplots(len(runs), 10, figsize=(10, 1.15 * len(runs) + 0.4), squeeze=False)
    for i, (m, p) in enumerate(runs.items()):
        x = DistilledSet.load(p).images.detach()
        x = x * 0.3530 + 0.2861  # the official normalisation constants (dd_nb.data.SMALL_STATS)
        for c in range(10):
            ax = axs[i, c]
            ax.imshow(x[c * ipc, 0].clamp(0, 1), cmap='gray_r', vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(FASHION_CLASSES[c], fontsize=8)
        axs[i, 0].set_ylabel(m.split(' (')[0].upper(), fontsize=9)  # settings in brackets: see the table
    shown = '' if ipc == 1 else f' (first of {ipc} images per class)'
    fig.suptitle(f'Fashion-MNIST, IPC {ipc}, distillation seed {seed}{shown}', fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def _published_mean(method, ipc):
    text = PUBLISHED.get((method, ipc))
    return float(text.split(' ± ')[0]) if text else None


def trend(path, methods=('dc', 'dsa', 'dm')):
    """Accuracy against distillation iterations for the pixel rows of `methods`, one panel per IPC: every seed's
    accuracy (dots), the mean over seeds (line) and the published row (dashed); random real is in the table."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rs = [r for r in rows() if r['kind'] == 'set' and r['method'] in methods and not r['extra']]
    ipcs = sorted({r['ipc'] for r in rs})
    if not ipcs:
        return None
    fig, axs = plt.subplots(1, len(ipcs), figsize=(5.2 * len(ipcs), 3.8), squeeze=False)
    for ax, ipc in zip(axs[0], ipcs):
        for k, method in enumerate(methods):
            mine = [r for r in rs if r['ipc'] == ipc and r['method'] == method]
            if not mine:
                continue
            colour = f'C{k}'
            its = sorted({r['iterations'] for r in mine})
            means = [_stats([r['mean'] for r in mine if r['iterations'] == i])[0] for i in its]
            ax.scatter([r['iterations'] for r in mine], [r['mean'] for r in mine], s=12, color=colour, alpha=0.6)
            ax.plot(its, means, 'o-', color=colour, label=f"{method.upper()} ({', '.join(map(str, its))} it)")
            if _published_mean(method, ipc) is not None:
                ax.axhline(_published_mean(method, ipc), color=colour, ls='--', lw=1)
        ax.set_xscale('log')
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks(sorted({r['iterations'] for r in rs if r['ipc'] == ipc}))
        ax.set_xlabel('distillation iterations (log)')
        ax.set_ylabel('test accuracy % (5 ConvNets, final epoch)')
        ax.set_title(f'IPC {ipc}: dots = seeds, line = their mean, dashed = the paper', fontsize=9)
        ax.legend(fontsize=8, loc='lower right')
        ax.tick_params(axis='x', labelrotation=45, labelsize=8)
    fig.suptitle(
        "Fashion-MNIST: accuracy against the distillation budget (the papers': DC, DSA 1,000; DM 20,000)", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def main():
    global RESULTS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        '--jobs', default='random,dm,dsa,dc', help='random, full, methods (dm) or param:method (hpd:dm), in this order'
    )
    ap.add_argument('--ipcs', default='1')
    ap.add_argument('--seeds', default='0,1,2', help='distillation seeds (random rows: evaluation seed groups)')
    ap.add_argument('--models', type=int, default=5)
    ap.add_argument('--iterations', type=int, default=None, help="default: the method's Fashion-MNIST preset")
    ap.add_argument('--set', default=None, help='passed to dd_nb_distill --set (recorded in the row)')
    ap.add_argument('--flip', action='store_true', help='distil and evaluate with the flipping DSA strategy')
    ap.add_argument('--full-epochs', type=int, default=10)
    ap.add_argument('--protocols', default=','.join(RANDOM_PROTOCOLS), help='the random rows\' recipes')
    ap.add_argument('--runs', default='runs/fmnist')
    ap.add_argument('--results', default=None, help='rows file (default: benchmarks/results/fmnist_table.jsonl)')
    ap.add_argument('--quiet', action='store_true')
    ap.add_argument('--table', action='store_true', help='only print the table of finished rows')
    ap.add_argument('--park', action='store_true', help=f'only copy unfinished runs to {PARKED} (commit them)')
    ap.add_argument('--figure', default=None, help='write the sets of distillation seed 0 to this PNG')
    ap.add_argument('--figure-ipc', type=int, default=1, help="the figure's IPC (one image per class is shown)")
    ap.add_argument('--figure-rows', default=None, help='only these rows in the figure (glad-dm,hpd-dm)')
    ap.add_argument('--trend', default=None, help='write accuracy against iterations (DC, DSA, DM) to this PNG')
    a = ap.parse_args()
    RESULTS = Path(a.results) if a.results else RESULTS  # a trial run writes elsewhere
    if a.park:
        print('parked:', ', '.join(park(a.runs, PARKED, park_finished)) or 'nothing (no unfinished run)')
        return
    if a.figure:
        names = a.figure_rows.split(',') if a.figure_rows else None
        print(figure(a.figure, ipc=a.figure_ipc, names=names) or 'no distilled set yet')
    if a.trend:
        print(trend(a.trend) or 'no DC / DSA / DM row yet')
    if a.table or a.figure or a.trend:
        print(table())
        return
    from dd_nb.data import load_data

    real = load_data(DATASET)
    ipcs, seeds = [int(i) for i in a.ipcs.split(',')], [int(s) for s in a.seeds.split(',')]
    extra = ('--set', a.set) if a.set else ()
    for job in a.jobs.split(','):
        if job == 'random':
            data = with_flip(real) if a.flip else real
            random_rows(data, ipcs, seeds, a.models, a.quiet, a.flip, a.protocols.split(','))
        elif job == 'full':
            full_rows(real, a.full_epochs, a.models, a.quiet)
        else:
            param, _, method = job.rpartition(':')  # 'glad:dm': DM over GLaD's latents
            more = ('--param', param) if param else ()
            data = with_flip(real) if a.flip else real
            distill_rows(data, method, ipcs, seeds, a.models, a.quiet, a.runs, a.iterations, more + extra, a.flip)
    print(table())


if __name__ == '__main__':
    sys.exit(main())
