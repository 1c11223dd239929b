"""Issue 25's tables: every method's set beside random real and the coreset baselines, with its hard-label accuracy,
its accuracy under its own recipe and DD-Ranking's label- and augmentation-robust scores (`dd_nb.fair.fair_scores`).
Resumable: one row per (dataset, method, IPC, distillation seed) appended to `benchmarks/results/fair_table.jsonl` and
skipped on the next call. One job at a time (2 cores).

    python benchmarks/fair_table.py --select-temperature               # dsa-teacher's T on the digits validation split
    python benchmarks/fair_table.py --methods herding,kcenter,el2n,rded,sre2l --ipcs 1 --seeds 0,1,2
    python benchmarks/fair_table.py --methods dc,dsa,dm --ipcs 1,10 --seeds 0,1,2
    python benchmarks/fair_table.py --table                            # the Markdown table from the results file

Each row: `dd_nb_distill --method M --ipc I --seed S --no-eval` with the method's preset (a Fashion-MNIST set the
Fashion-MNIST table already distilled is read from `benchmarks/results/fmnist_sets/` instead), then `fair_scores`:
5 fresh ConvNet-3s per run (distillation seed S: evaluation seeds and random subsets 5S … 5S+4; `--models 2` takes
the first two, a reduction the table states: Fashion-MNIST at IPC 10 costs ≈ 5 min a network on 2 CPU threads) under
- the hard-label recipe without augmentation (DC-classic) on the set's hard labels (argmax of soft ones): HLR's run;
- the method's own recipe (its protocol; RDED and SRe2L: `dsa-teacher`, their own cached teacher in the loop), and the
  same recipe with augmentation switched: IOR's and ARS's runs, each beside random real under that recipe;
- sets with soft labels (TESLA, DATM, RDED, SRe2L) also under `dsa` on their static labels (`soft_static`).
The whole training set's DC-classic accuracy is the evaluator's cached full-data baseline (5 models) on digits.
Random-real runs (recipe, size, evaluation seed, teacher) are kept in `benchmarks/results/fair_random_runs.jsonl` and
reused by every later row, in this session or the next; each set's runs (the same and a digest of the set) in
`fair_set_runs.jsonl`, so a row cut short resumes from its last finished run. The Fashion-MNIST teachers (≈ 30 min
each on 2 cores) are kept in `benchmarks/results/fair_teachers/` and copied into dd_nb's cache when it lacks them
(`sync_teachers`).
On a lent GPU, `benchmarks/fair_device.sh` runs a batch of rows in parallel.
"""

import argparse, json, statistics, subprocess, sys, time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository: rows name stored sets relative to it
RESULTS = Path(__file__).parent / 'results' / 'fair_table.jsonl'
TEMPERATURES = RESULTS.parent / 'fair_temperature.jsonl'
RANDOM_RUNS = RESULTS.parent / 'fair_random_runs.jsonl'  # the random-real runs, shared by every row and session
SET_RUNS = RESULTS.parent / 'fair_set_runs.jsonl'  # every set's runs, so that a row cut short resumes run by run
FMNIST_SETS = RESULTS.parent / 'fmnist_sets'
TEACHERS = RESULTS.parent / 'fair_teachers'  # the cached classifiers of every dataset but digits (minutes there)
RUNS = Path('runs/fair')
MODELS = 5  # evaluation networks per run (DD-Ranking's rounds)
TEMPERATURE_GRID = (1.0, 4.0, 20.0)  # dsa-teacher's T: the demo configs' 1, RDED's 20, one between
TEMPERATURE_MODELS = 3  # networks per temperature on the validation split


def rows(path=RESULTS) -> list:
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()] if path.is_file() else []


def append(row: dict, path=RESULTS):
    from yardstick import append_row

    append_row(path, row)
    print(json.dumps({k: v for k, v in row.items() if k not in ('runs', 'machine')}), flush=True)


class RunMemo(dict):
    """One of `fair_scores`' memos (random-real runs, or the sets' own runs), also kept in `path` (one line a run,
    with its dataset), so that a table built over several sessions evaluates each run once."""

    def __init__(self, dataset, path=RANDOM_RUNS):
        from dd_nb.evaluate import EvalResult

        super().__init__()
        self.dataset, self.path = dataset, path
        for r in rows(path):
            if r['dataset'] == dataset:
                super().__setitem__(r['key'], EvalResult(**{**r['result'], 'cached': True}))

    def __setitem__(self, key, result):
        from dataclasses import asdict
        from yardstick import append_row

        super().__setitem__(key, result)
        row = dict(dataset=self.dataset, key=key, result=asdict(result), date=time.strftime('%Y-%m-%d'))
        append_row(self.path, row)


def sync_teachers():
    "Copy the kept teachers into dd_nb's classifier cache where it lacks them, and keep the cache's non-digits ones."
    import shutil

    from dd_nb.train import cache_dir

    cache = cache_dir() / 'classifiers'
    for src, dst in ((TEACHERS, cache), (cache, TEACHERS)):
        for meta in sorted(src.glob('classifier-*.json')):
            if json.loads(meta.read_text())['data']['dataset'] == 'digits' or (dst / meta.name).is_file():
                continue
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy2(meta.with_suffix('.safetensors'), dst)  # the weights first: the metadata marks it complete
            shutil.copy2(meta, dst)


def distilled(real, method, ipc, seed, quiet=True):
    "The set of (method, ipc, seed): the Fashion-MNIST table's stored one when there is one, else distilled here."
    from dd_nb.distilled import DistilledSet

    if real.name == 'fashion-mnist':
        stored = FMNIST_SETS.glob(f'{method}-ipc{ipc}-s{seed}-*it.safetensors')
        longest = max(stored, key=lambda p: int(p.stem.split('-')[-1][:-2]), default=None)  # the most iterations
        if longest is not None:
            return DistilledSet.load(longest), str(longest.resolve().relative_to(ROOT))
    out = RUNS / f'{real.name}-{method}-ipc{ipc}-s{seed}'
    if not (out / 'distilled.safetensors').is_file():
        cmd = ['dd_nb_distill', '--dataset', real.name, '--method', method, '--ipc', str(ipc), '--seed', str(seed)]
        cmd += ['--no-eval', '--out', str(out), '--overwrite'] + (['--quiet'] if quiet else [])
        subprocess.run(cmd, check=True)
    return DistilledSet.load(out / 'distilled.safetensors'), str(out)


def own_protocol(method, temperature):
    "The method's own recipe; a teacher recipe at the temperature chosen on validation."
    from dd_nb.matcher import METHODS
    from dd_nb.train import get_protocol

    p = get_protocol(METHODS[method].protocol)
    return replace(p, name=f'{p.name}-T{temperature:g}', temperature=temperature) if p.teacher else p


def chosen_temperature(dataset) -> float:
    "The dsa-teacher temperature with the best validation accuracy in the selection file (1 when none was run)."
    sel = [r for r in rows(TEMPERATURES) if r['dataset'] in (dataset, 'digits')]
    return max(sel, key=lambda r: r['val'])['temperature'] if sel else 1.0


def select_temperature(real, seed=0):
    "RDED's IPC 1 set of `seed` under dsa-teacher at each T of the grid, scored on the validation split."
    from dd_nb.evaluate import Evaluator
    from dd_nb.methods import method_teacher
    from dd_nb.train import get_protocol

    ds, _ = distilled(real, 'rded', 1, seed)
    teacher = method_teacher('rded', real, ds.manifest['config'])
    for t in TEMPERATURE_GRID:
        if any(r['dataset'] == real.name and r['temperature'] == t for r in rows(TEMPERATURES)):
            continue
        p = replace(get_protocol('dsa-teacher'), temperature=t)
        ev = Evaluator(real, p, models=TEMPERATURE_MODELS, split='val', teacher=teacher, progress=False)
        r = ev.evaluate(ds.images, ds.labels)
        append(
            dict(
                dataset=real.name,
                method='rded',
                ipc=1,
                seed=seed,
                temperature=t,
                val=r.mean,
                val_std=r.std,
                models=TEMPERATURE_MODELS,
                date=time.strftime('%Y-%m-%d'),
            ),
            TEMPERATURES,
        )


def full_hard(real):
    """The whole training set's hard-label accuracy (a fraction) for HLR: None on digits (the evaluator's cached
    DC-classic baseline, 5 models); on Fashion-MNIST the Fashion-MNIST table's short full-data recipe (its 300-epoch
    DC-classic run is days on 2 cores), stated in the table."""
    if real.name != 'fashion-mnist':
        return None
    full = [r for r in rows(RESULTS.parent / 'fmnist_table.jsonl') if r['kind'] == 'full']
    if not full:
        raise SystemExit('no full-data row yet: python benchmarks/fmnist_table.py --jobs full --full-epochs 2')
    return full[0]['mean'] / 100


def score_row(real, method, ipc, seed, memo, sets, quiet=True, models=MODELS) -> dict:
    from dd_nb.evaluate import Evaluator
    from dd_nb.fair import fair_scores, set_run_key
    from dd_nb.methods import method_teacher
    from fmnist_table import commit, machine

    t0 = time.time()
    ds, source = distilled(real, method, ipc, seed, quiet)
    own = own_protocol(method, chosen_temperature(real.name))
    teacher = method_teacher(method, real, ds.manifest['config']) if own.teacher else None
    rep = fair_scores(
        real,
        ds.images,
        ds.labels,
        own=own,
        teacher=teacher,
        lr=ds.lr,
        full_hard=full_hard(real),
        models=models,
        seed=seed * MODELS,  # disjoint evaluation networks and random subsets per distillation seed (fewer: a subset)
        progress=not quiet,
        memo=memo,
        set_memo=sets,
    )
    row = dict(
        dataset=real.name,
        method=method,
        ipc=ipc,
        seed=seed,
        own=own.name,
        source=source,
        iterations=ds.manifest['config'].get('iterations'),
        models=models,
        runs={k: [float(a) for a in r.accs] for k, r in rep.runs.items()},
        lrs=rep.lrs.mean,
        lrs_std=rep.lrs.std,
        ars=rep.ars.mean,
        ars_std=rep.ars.std,
        terms={k: float(statistics.mean(v)) for s in (rep.lrs, rep.ars) for k, v in s.terms.items()},
    )
    if ds.labels.dim() == 2:  # soft labels: also the plain soft-label recipe on them, no teacher
        ev = Evaluator(real, 'dsa', models=models, seed=seed * MODELS, progress=False)
        common = dict(net=ev.net, models=models, seed=seed * MODELS, width=ev.width)
        key = set_run_key(ev.protocol, ipc, None, common, ds.images, ds.labels, ds.lr)
        if key not in sets:
            sets[key] = ev.evaluate(ds.images, ds.labels, lr=ds.lr)
        row['soft_static'] = [float(a) for a in sets[key].accs]
    row.update(seconds=round(time.time() - t0), date=time.strftime('%Y-%m-%d'), commit=commit(), machine=machine())
    return row


def _pm(vals) -> str:
    m = 100 * statistics.mean(vals)
    return f'{m:.2f} ± {100 * statistics.stdev(vals):.2f}' if len(vals) > 1 else f'{m:.2f}'


def table(dataset='digits') -> str:
    "Markdown: per (method, IPC), means ± std over distillation seeds of each run's mean, and the scores."
    groups = {}
    for r in rows():
        if r['dataset'] == dataset:
            groups.setdefault((r['ipc'], r['method'], r['models']), []).append(r)  # a reduced cell on its own line
    head = '| IPC | method | own recipe | own % | hard labels, no aug % | soft labels, dsa % | random real, own % |'
    head += ' LRS | ARS | seeds |'
    out = [head, '|' + '---|' * 10]
    for (ipc, method, models), rs in sorted(groups.items()):
        run = lambda k: [statistics.mean(r['runs'][k]) for r in rs]
        soft = [statistics.mean(r['soft_static']) for r in rs if 'soft_static' in r]
        out.append(
            f"| {ipc} | {method} | {rs[0]['own']} | {_pm(run('set, own recipe'))} | {_pm(run('set, hard labels'))} | "
            f"{_pm(soft) if soft else '–'} | {_pm(run('random real, own recipe'))} | "
            f"{statistics.mean(r['lrs'] for r in rs):.3f} | {statistics.mean(r['ars'] for r in rs):.3f} | "
            f"{len(rs)}{'' if models == MODELS else f' × {models} models'} |"
        )
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dataset', default='digits')
    ap.add_argument('--methods', default='herding,kcenter,el2n,rded,sre2l,dc,dsa,dm')
    ap.add_argument('--ipcs', default='1')
    ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--models', type=int, default=MODELS, help='networks a run (fewer: a stated reduction)')
    ap.add_argument('--select-temperature', action='store_true', help="choose dsa-teacher's T on validation")
    ap.add_argument('--table', action='store_true', help='print the table from the results file')
    ap.add_argument('--verbose', action='store_true', help='progress bars')
    a = ap.parse_args()
    if a.table:
        print(table(a.dataset))
        return
    from dd_nb.data import load_data

    real = load_data(a.dataset)
    if a.select_temperature:
        select_temperature(real)
        return
    memo = RunMemo(a.dataset)  # random-real runs shared by every row, this process's and the earlier ones'
    sets = RunMemo(a.dataset, SET_RUNS)  # the sets' runs: a row cut short resumes from its last finished run
    sync_teachers()
    for ipc in map(int, a.ipcs.split(',')):
        for method in a.methods.split(','):
            for seed in map(int, a.seeds.split(',')):
                key = (a.dataset, method, ipc, seed, a.models)  # a reduced row does not stand in for a full one
                if any((r['dataset'], r['method'], r['ipc'], r['seed'], r['models']) == key for r in rows()):
                    continue
                append(score_row(real, method, ipc, seed, memo, sets, quiet=not a.verbose, models=a.models))
                sync_teachers()


if __name__ == '__main__':
    sys.path.insert(0, str(Path(__file__).parent))
    main()
