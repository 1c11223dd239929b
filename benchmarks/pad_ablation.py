"""PAD ablation on digits: base matcher, +FIEX, +FIEM, +both, for trajectory, gradient and distribution matching.

Every (family, ipc, variant, seed) is one distillation with the digits preset, run for the ablation's
iteration budget below (`ITERATIONS`, times `--scale`; sized so the whole grid fits a few hours of a
2-core CPU), evaluated with `--models` fresh ConvNets under the method's protocol on the test split,
beside the random-real baseline under the same protocol (the same random subsets for every variant of a
seed, computed once per seed). Rows are appended to `--out` (JSON lines) as
they finish, and rows already there are not run again, so an interrupted ablation continues where it
stopped. The table (mean ± std over distillation seeds of the per-seed mean accuracy) is printed at the end.

    python benchmarks/pad_ablation.py                                    # everything: 3 families × 2 IPC × 4 variants × 3 seeds
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
import argparse, json, statistics, time
from pathlib import Path
from dd_nb.data import digits
from dd_nb.methods import build, preset
from dd_nb.distill import Distiller
from dd_nb.evaluate import Evaluator
from dd_nb.methods import DEFAULT_PROTOCOL
from dd_nb.evaluate import get_protocol

# ablation budget: below the digits presets' iterations (README table) so that 72 distillations fit on 2 cores;
# DSA at IPC 10 runs 5 iterations as the official digits run in peer-targets.md (each one is 10 outer loops)
ITERATIONS = {('trajectory', 1): 100, ('trajectory', 10): 50, ('gradient', 1): 100, ('gradient', 10): 5,
              ('distribution', 1): 400, ('distribution', 10): 200}
DROP_HARD = {('gradient', 1): 0.2, ('gradient', 10): 0.25, ('distribution', 1): 0.5, ('distribution', 10): 0.2}

def variant(family, ipc, name):
    "(method, overrides) for one cell of the ablation."
    fiex, fiem = name in ('fiex', 'both'), name in ('fiem', 'both')
    if family == 'trajectory':
        return ('pad' if fiex else 'datm'), ({'alpha': 0.25 if fiem else 0.0} if fiex else ({'alpha': 0.25} if fiem else {}))
    method = {'gradient': 'dsa', 'distribution': 'dm'}[family]
    o = {}
    if fiex: o['drop_hard'] = DROP_HARD[(family, ipc)]
    if fiem: o['alpha'] = 0.25
    return method, o

_RANDOM = {}
def _random_key(method, ipc, seed, models):
    "Protocols with the same recipe (dsa and dm) share their random-real baseline."
    p = get_protocol(DEFAULT_PROTOCOL[method])
    return json.dumps([{k: v for k, v in p.__dict__.items() if k != 'name'}, ipc, seed, models], sort_keys=True)

def random_baseline(ev, method, ipc, seed):
    "(mean, std) of the random-real baseline of one (protocol recipe, ipc, seed, models), computed once (also across restarts)."
    k = _random_key(method, ipc, seed, ev.models)
    if k not in _RANDOM:
        r = ev.random_baseline(ipc); _RANDOM[k] = (r.mean, r.std)
    return _RANDOM[k]

def run_one(real, family, ipc, name, seed, scale, models):
    method, o = variant(family, ipc, name)
    its = max(1, round(ITERATIONS[(family, ipc)] * scale))
    p, m, its, cfg = build(method, real, ipc, seed=seed, iterations=its, **o)
    t0 = time.perf_counter()
    Distiller(p, m, real, its, seed=seed, progress=False).run()
    secs = (time.perf_counter() - t0) / its
    x, y = p()
    ev = Evaluator(real, DEFAULT_PROTOCOL[method], models=models, seed=seed, progress=False)
    r = ev.evaluate(x.detach(), y.detach(), lr=None if p.lr is None else p.lr.detach())
    rnd_mean, rnd_std = random_baseline(ev, method, ipc, seed)
    return dict(family=family, ipc=ipc, variant=name, seed=seed, method=method, overrides=o, iterations=its,
                seconds_per_iteration=secs, acc=r.mean, acc_std=r.std, random=rnd_mean, random_std=rnd_std, models=models)

def table(rows):
    out = ['| family | IPC | variant | method + overrides | acc % (mean ± std over seeds) | seeds | random real % |', '|---|---|---|---|---|---|---|']
    key = lambda r: (r['family'], r['ipc'], ['base', 'fiex', 'fiem', 'both'].index(r['variant']))
    groups = {}
    for r in sorted(rows, key=key): groups.setdefault(key(r), []).append(r)
    for k, rs in groups.items():
        a = [100 * r['acc'] for r in rs]; rn = [100 * r['random'] for r in rs]
        sd = statistics.stdev(a) if len(a) > 1 else 0.0
        o = ' '.join(f'{k_}={v}' for k_, v in rs[0]['overrides'].items())
        out.append(f"| {rs[0]['family']} | {rs[0]['ipc']} | {rs[0]['variant']} | {rs[0]['method']} {o} | "
                   f"{statistics.mean(a):.2f} ± {sd:.2f} | {len(a)} | {statistics.mean(rn):.2f} |")
    return '\n'.join(out)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--families', default='trajectory,gradient,distribution'); ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--variants', default='base,fiex,fiem,both'); ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--scale', type=float, default=1.0, help='multiplies the ablation budget ITERATIONS')
    ap.add_argument('--models', type=int, default=3)
    ap.add_argument('--out', default='runs/pad_ablation.jsonl', help='JSON lines, appended; with --table, several files comma-separated')
    ap.add_argument('--table', action='store_true', help='print the table of --out and stop')
    a = ap.parse_args()
    files = [Path(f) for f in a.out.split(',')]
    out = files[0]; out.parent.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(l) for f in files if f.is_file() for l in f.read_text().splitlines()]
    if not a.table:
        real = digits()
        done = {(r['family'], r['ipc'], r['variant'], r['seed']) for r in rows}
        for r in rows: _RANDOM.setdefault(_random_key(r['method'], r['ipc'], r['seed'], r['models']), (r['random'], r['random_std']))
        for seed in map(int, a.seeds.split(',')):               # seeds outermost: an interrupted grid stays balanced
            for family in a.families.split(','):
                for ipc in map(int, a.ipcs.split(',')):
                    for name in a.variants.split(','):
                        if (family, ipc, name, seed) in done: continue
                        r = run_one(real, family, ipc, name, seed, a.scale, a.models)
                        rows.append(r)
                        with open(out, 'a') as f: f.write(json.dumps(r) + '\n')
                        print(f"{family} ipc {ipc} {name} seed {seed}: {100 * r['acc']:.2f} (random {100 * r['random']:.2f}), "
                              f"{r['seconds_per_iteration']:.2f} s/it", flush=True)
    print(table(rows))

if __name__ == '__main__':
    main()
