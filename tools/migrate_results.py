"""Move the rows `benchmarks/fmnist_table.py` appended to `benchmarks/results/fmnist_table.jsonl` into the
study store's form (`nbs/86_store.ipynb`): one sealed row per run, its `RunConfig` the cell of
`benchmarks/studies/fmnist.toml` that computes it, written as the study's export
`benchmarks/results/fmnist/results.jsonl`.
Run once; it checks that every row lands (one row a cell, none left over) and prints what it did.

    python tools/migrate_results.py
"""

import json, statistics, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / 'benchmarks' / 'results' / 'fmnist_table.jsonl'
STUDY = ROOT / 'benchmarks' / 'studies' / 'fmnist.toml'
OUT = ROOT / 'benchmarks' / 'results' / 'fmnist'
SETS = ROOT / 'benchmarks' / 'results' / 'fmnist_sets'
# fmnist_table.py's SAME_RECIPE: the protocols that train a random real subset exactly as DSA's recipe does
SAME_RECIPE = {'dm': 'dsa', 'mtt': 'dsa', 'datm': 'dsa'}


def param_of(extra) -> tuple:
    "(parameterization, overrides) from a row's `extra` flags."
    param, over = 'pixels', {}
    for flag, value in zip(extra[::2], extra[1::2]):
        if flag == '--param':
            param = value
        elif flag == '--set':
            k, _, v = value.partition('=')
            over[k] = json.loads(v)
    return param, over


def main():
    from dd_nb.store import Store, STORE_FILE, EXPORT_FILE
    from dd_nb.study import Study, set_digest

    study = Study.load(STUDY)
    cells = study.configs(OUT)
    index = {}
    for name, cfg in cells:
        c = cfg.check()
        recipe = c.recipe.name
        over = json.dumps(c.overrides, sort_keys=True)
        index[(c.method, c.param, c.ipc, c.seed, c.iterations, recipe, over)] = (name, c)
    rows = [json.loads(x) for x in SOURCE.read_text().splitlines() if x.strip()]
    randoms = {(r['ipc'], r['protocol']): r['accs'] for r in rows if r['kind'] == 'random'}
    store, seen = Store(OUT / STORE_FILE), set()
    for i, r in enumerate(rows, 1):
        if r['kind'] == 'set':
            param, over = param_of(r['extra'])
            over = json.dumps(over, sort_keys=True)
            key = (r['method'], param, r['ipc'], r['seed'], r['iterations'], r['protocol'], over)
            arch = {'set': {'accs': r['accs']}}
            same = SAME_RECIPE.get(r['protocol'], r['protocol'])
            if (r['ipc'], same) in randoms:  # the five random subsets every set of this IPC and recipe was set beside
                arch['random'] = {'accs': randoms[r['ipc'], same], 'from': f'random real row (ipc {r["ipc"]}, {same})'}
        else:
            method = 'random'
            ipc = r['ipc'] if r['kind'] == 'random' else 1
            key = (method, 'pixels', ipc, r['seed'], None, r['protocol'], '{}')
            arch = {r['kind']: {'accs': r['accs']}}
        name, cfg = index[key]
        assert cfg.models == r['models'] and cfg.evaluation_seed == 0, (name, cfg)
        seen.add(name)
        result = dict(
            dataset='fashion-mnist', method=cfg.method if cfg.param == 'pixels' else f'{cfg.param}-{cfg.method}',
            ipc=cfg.ipc, iterations=r.get('iterations', 0), models=r['models'], seed=0,
            protocol={'name': r['protocol']},
            archs={'ConvNet': arch}, seconds=r.get('eval_seconds'), config=r.get('config'),
            seconds_per_iteration=r.get('seconds_per_iteration'), peak_rss_mb=r.get('peak_rss_mb'),
            migrated=dict(source=str(SOURCE.relative_to(ROOT)), line=i, date=r['date'], commit=r['commit'],
                          **({'distilled_on': r['distilled_on']} if 'distilled_on' in r else {})),
        )
        if 'set' in arch:
            result.update(accuracy_mean=statistics.mean(r['accs']))
        config = {**cfg.to_dict(), 'out': f'cells/{name}'}
        result['run_config'] = config
        label = cfg.method if cfg.param == 'pixels' else f'{cfg.param}-{cfg.method}'
        set_file = SETS / f'{label}-ipc{cfg.ipc}-s{cfg.seed}-{r.get("iterations")}it.safetensors'
        store.put(dict(
            key=cfg.key(), cell=name, status='done', config=config, result=result, machine=r.get('machine'),
            set_path=str(set_file.relative_to(ROOT)) if set_file.is_file() else r.get('run'),
            set_sha256=set_digest(set_file) if set_file.is_file() else None,
        ))
    store.export(OUT / EXPORT_FILE)
    got = store.rows()
    assert len(got) == len(rows) == len(cells) == len(seen) and not store.bad, (len(got), len(rows), len(cells))
    print(f'{SOURCE.name}: {len(rows)} lines → {len(got)} rows of study {study.name} ({len(cells)} cells) in '
          f'{(OUT / EXPORT_FILE).relative_to(ROOT)}')


if __name__ == '__main__':
    sys.exit(main())
