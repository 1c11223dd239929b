"""Move the results that `benchmarks/fair_table.py` appended to `benchmarks/results/fair_table.jsonl` into the study
store's form (`nbs/86_store.ipynb`): one sealed row per run, its `RunConfig` the cell of `benchmarks/studies/fair.toml`
that computes it, written as the study's export `benchmarks/results/fair/results.jsonl`. Run once; it checks that
every row lands (the same count, each key a cell of the study) and prints what it did.

    python tools/migrate_results.py
"""

import json, statistics, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / 'benchmarks' / 'results' / 'fair_table.jsonl'
STUDY = ROOT / 'benchmarks' / 'studies' / 'fair.toml'
OUT = ROOT / 'benchmarks' / 'results' / 'fair'
MODELS = 5  # fair_table.py's MODELS: distillation seed S evaluated with seeds 5S … 5S + 4
PROTOCOL_NAMES = {'dsa-teacher-T20': 'dsa-teacher'}  # the name fair_table.py gave dsa-teacher at T = 20, its value now


def fair_row(row: dict, line: int, study) -> dict:
    "A store row from one line of fair_table.jsonl: its config is the study's cell of the same name."
    from dd_nb.run import SOFT_STATIC_RUN
    from dd_nb.study import cell_name, set_digest

    name = cell_name(dict(dataset=row['dataset'], method=row['method'], ipc=row['ipc'], seed=row['seed']))
    cfg = dict(study)[name].check()  # as it runs: the method's protocol filled in
    own = PROTOCOL_NAMES.get(row['own'], row['own'])
    assert (cfg.protocol, cfg.models, cfg.evaluation_seed) == (own, row['models'], MODELS * row['seed']), name
    runs = {k: {'accs': v} for k, v in row['runs'].items()}
    if 'soft_static' in row:
        runs[SOFT_STATIC_RUN] = {'accs': row['soft_static']}
    main = {'set': runs['set, own recipe'], 'random': runs['random real, own recipe']}
    result = dict(
        dataset=row['dataset'], method=row['method'], ipc=row['ipc'], iterations=row['iterations'],
        models=row['models'], seed=cfg.evaluation_seed, protocol={'name': own},
        accuracy_mean=statistics.mean(main['set']['accs']), random_mean=statistics.mean(main['random']['accs']),
        archs={'ConvNet': main}, seconds=row['seconds'],
        fair=dict(lrs={'mean': row['lrs'], 'std': row['lrs_std']}, ars={'mean': row['ars'], 'std': row['ars_std']},
                  terms=row['terms'], runs=runs),
        migrated=dict(source=str(SOURCE.relative_to(ROOT)), line=line, date=row['date'], commit=row['commit']),
    )
    config = {**cfg.to_dict(), 'out': f'cells/{name}'}
    result['run_config'] = config
    set_file = ROOT / row['source']
    return dict(
        key=cfg.key(), cell=name, status='done', config=config, result=result, machine=row['machine'],
        set_path=row['source'], set_sha256=set_digest(set_file) if set_file.is_file() else None,
    )


def main():
    from dd_nb.store import Store, STORE_FILE, EXPORT_FILE
    from dd_nb.study import Study

    study = Study.load(STUDY)
    cells = study.configs(OUT)
    lines = [json.loads(x) for x in SOURCE.read_text().splitlines() if x.strip()]
    store = Store(OUT / STORE_FILE)
    for i, row in enumerate(lines, 1):
        store.put(fair_row(row, i, cells))
    store.export(OUT / EXPORT_FILE)
    got = store.rows()
    assert len(got) == len(lines) and not store.bad, (len(got), len(lines), store.bad)
    print(f'{SOURCE.name}: {len(lines)} lines → {len(got)} rows of study {study.name} ({len(cells)} cells) in '
          f'{(OUT / EXPORT_FILE).relative_to(ROOT)}')


if __name__ == '__main__':
    sys.exit(main())
