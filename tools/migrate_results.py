"""Move the ablations' JSON-lines rows (`benchmarks/results/*ablation*.jsonl`) and the README's digits table into the
stores of the studies that compute them (`benchmarks/studies/{pad,gan,hmn,digits}.toml`): one sealed row per run,
its `RunConfig` the study cell's, written as each study's export `benchmarks/results/<study>/results.jsonl`.
Those files kept a set's mean and std over its networks, not each network's accuracy: the rows keep them as
`{'mean', 'std', 'n'}`. Run once; it checks that every row lands on its own cell and prints what it did.

    python tools/migrate_results.py
"""

import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RES = ROOT / 'benchmarks' / 'results'


def summary(mean, std, n) -> dict:
    return {'mean': mean, 'std': std, 'n': n}


def pad_rows():
    for f, ds in (('pad_ablation', 'digits'), ('fmnist_pad_ablation', 'fashion-mnist')):
        for i, r in enumerate(lines(f), 1):
            arch = {'set': summary(r['acc'], r['acc_std'], r['models']),
                    'random': summary(r['random'], r['random_std'], r['models'])}
            keep = {k: r[k] for k in ('family', 'variant', 'seconds_per_iteration')}
            yield (ds, 'pixels', r['method'], r['ipc'], r['seed'], r['overrides'], None, 'test'), r, arch, keep, f, i


def gan_rows():
    for f, ds in (('gan_ablation', 'digits'), ('fmnist_gan_ablation', 'fashion-mnist')):
        for i, r in enumerate(lines(f), 1):
            v = r['variant']
            param = 'hpd' if v.startswith('hpd') else v
            over = {}
            if param == 'hpd':
                over = {'search': v[4:], **({'classifier_epochs': 2} if ds == 'fashion-mnist' else {})}
            arch = {'set': summary(r['acc'], r['acc_std'], r['models']),
                    'random': summary(r['random'], r['random_std'], r['models'])}
            keep = {k: r[k] for k in ('variant', 'seconds_per_iteration', 'storage_floats', 'stage', 'spaces',
                                      'overrides') if k in r}
            yield (ds, param, r['method'], r['ipc'], r['seed'], over, None, 'test'), r, arch, keep, f, i


def hmn_rows():
    for f, ds in (('hmn_ablation', 'digits'), ('fmnist_hmn_ablation', 'fashion-mnist')):
        for i, r in enumerate(lines(f), 1):
            v = r['variant']
            if v == 'pixels':
                key = (ds, 'pixels', 'dsa', r['ipc'], r['seed'], {'metric': 'idc'}, r['lr_img'], 'test')
            elif v == 'hmn':
                key = (ds, 'hmn', 'dsa', r['ipc'], r['seed'], {'over_budget': 0.0, 'prune': False}, None, 'test')
            else:
                pruning = {'beta_grid': [0.0, 0.5, 1.0], 'beta_models': 1} if ds == 'fashion-mnist' else {}
                key = (ds, 'hmn', 'dsa', r['ipc'], r['seed'], pruning, None, 'test')
            arch = {'set': summary(r['acc'], r['acc_std'], r['models']),
                    'random': summary(r['random'], r['random_std'], r['models'])}
            keep = {k: r[k] for k in ('variant', 'seconds', 'resumed', 'storage_floats', 'gipc_distilled', 'gipc',
                                      'beta', 'beta_val', 'beta_models', 'k', 'lr_img') if k in r}
            yield key, r, arch, keep, f, i
        for i, r in enumerate(lines(f + '_pixel_lr'), 1):
            key = (r['dataset'], 'pixels', 'dsa', r['ipc'], r['seed'], {'metric': 'idc'}, r['lr_img'], 'val')
            yield key, r, {'set': {'accs': r['val_accs']}}, {}, f + '_pixel_lr', i


# the README's digits table (commit ab06d4a): (method, ipc, set, random) and the evaluations above it
DIGITS = [
    ('dc', 1, (87.16, 0.60), (63.82, 5.57)), ('dsa', 1, (92.80, 0.87), (71.20, 5.14)),
    ('dm', 1, (92.93, 0.45), (71.20, 5.14)), ('mtt', 1, (93.56, 0.63), (71.20, 5.14)),
    ('tesla', 1, (93.78, 0.82), (71.20, 5.14)), ('datm', 1, (93.91, 0.75), (71.20, 5.14)),
    ('dc', 10, (95.20, 0.61), (94.04, 0.59)), ('dsa', 10, (98.00, 0.37), (97.07, 0.99)),
    ('dm', 10, (97.96, 0.43), (96.89, 0.85)), ('mtt', 10, (97.47, 0.30), (96.89, 0.85)),
    ('tesla', 10, (97.38, 0.45), (96.89, 0.85)), ('datm', 10, (96.93, 0.41), (96.89, 0.85)),
]
DIGITS_RANDOM = [  # (ipc, protocol, random real, whole training split)
    (1, 'dc-classic', (63.78, 5.58), (99.60, 0.17)), (10, 'dc-classic', (94.09, 0.50), None),
    (1, 'dsa', None, (99.82, 0.09)),
]


def digits_rows():
    pct = lambda p: summary(p[0] / 100, p[1] / 100, 5)
    for i, (m, ipc, s, rnd) in enumerate(DIGITS, 1):
        yield ('digits', 'pixels', m, ipc, 0, {}, None, 'test'), {}, {'set': pct(s), 'random': pct(rnd)}, {}, \
            'README.md digits table', i
    for i, (ipc, proto, rnd, full) in enumerate(DIGITS_RANDOM, 1):
        arch = {**({'random': pct(rnd)} if rnd else {}), **({'full': pct(full)} if full else {})}
        yield ('digits', 'pixels', 'random', ipc, 0, {}, None, 'test', proto), {}, arch, {}, 'README.md digits table', \
            len(DIGITS) + i


def lines(name):
    return [json.loads(x) for x in (RES / f'{name}.jsonl').read_text().splitlines() if x.strip()]


def cell_key(c, with_protocol=False):
    k = (c.dataset, c.param, c.method, c.ipc, c.seed, json.dumps(c.overrides, sort_keys=True), c.lr_img, c.eval_split)
    return (*k, c.protocol) if with_protocol else k


def migrate(study_name, source):
    from dd_nb.store import Store, STORE_FILE, EXPORT_FILE
    from dd_nb.study import Study

    study = Study.load(ROOT / 'benchmarks' / 'studies' / f'{study_name}.toml')
    out = RES / study_name
    cells = study.configs(out)
    proto = study_name == 'digits'
    index = {cell_key(cfg.check(), proto and cfg.method == 'random'): (name, cfg.check()) for name, cfg in cells}
    assert len(index) == len(cells)
    store, seen, n = Store(out / STORE_FILE), set(), 0
    for key, r, arch, keep, src, line in source():
        key = (*key[:5], json.dumps(key[5], sort_keys=True), *key[6:])
        name, cfg = index[key]
        assert name not in seen, name
        seen.add(name)
        n += 1
        if 'models' in r:
            assert cfg.models == r['models'], (name, cfg.models, r['models'])
        if 'iterations' in r and cfg.param != 'hpd':
            assert cfg.iterations == r['iterations'], (name, cfg.iterations, r['iterations'])
        its = r.get('iterations') or cfg.iterations
        if study_name == 'digits' and cfg.method != 'random':
            from dd_nb.methods import preset
            its = preset(cfg.method, 'digits', cfg.ipc)['iterations']
        config = {**cfg.to_dict(), 'out': f'cells/{name}'}
        label = cfg.method if cfg.param == 'pixels' else f'{cfg.param}-{cfg.method}'
        result = dict(dataset=cfg.dataset, method=label, ipc=cfg.ipc, iterations=its, models=cfg.models,
                      seed=cfg.evaluation_seed, protocol={'name': cfg.protocol}, archs={'ConvNet': arch},
                      split=cfg.eval_split, **keep, run_config=config,
                      migrated=dict(source=src if src.startswith('README') else f'benchmarks/results/{src}.jsonl',
                                    line=line))
        if 'set' in arch:
            result['accuracy_mean'] = arch['set'].get('mean') or sum(arch['set']['accs']) / len(arch['set']['accs'])
        store.put(dict(key=cfg.key(), cell=name, status='done', config=config, result=result, machine=None,
                       set_path=None, set_sha256=None))
    store.export(out / EXPORT_FILE)
    got = store.rows()
    assert len(got) == n == len(cells) == len(seen) and not store.bad, (study_name, len(got), n, len(cells))
    (out / STORE_FILE).unlink()
    for extra in out.glob(STORE_FILE + '-*'):
        extra.unlink()
    print(f'{study_name}: {n} rows → {len(cells)} cells of study {study.name} in '
          f'{(out / EXPORT_FILE).relative_to(ROOT)}')


def main():
    for name, source in (('pad', pad_rows), ('gan', gan_rows), ('hmn', hmn_rows), ('digits', digits_rows)):
        migrate(name, source)


if __name__ == '__main__':
    sys.exit(main())
