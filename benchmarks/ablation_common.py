"""What the ablation scripts share: resumable JSON-lines results, random-real baselines computed once per recipe,
evaluation of a distilled parameterization under the method's protocol, the mean ± std-over-seeds table, and parking
unfinished runs in the repository so that a row longer than a session survives a fresh disk."""

import json, os, shutil, statistics
from pathlib import Path
from dd_nb.evaluate import Evaluator
from dd_nb.train import get_protocol
from dd_nb.matcher import METHODS


class Results:
    "Rows in JSON-lines files (the first one is appended to); `done(key)` says whether a cell already ran."

    def __init__(self, paths: str, key):
        self.files = [Path(f) for f in paths.split(',')]
        self.files[0].parent.mkdir(parents=True, exist_ok=True)
        self.key, self.random = key, {}
        self.reload()

    def reload(self):
        "Re-read the files (rows other processes appended since), with the random-real baselines they hold."
        self.rows = [json.loads(l) for f in self.files if f.is_file() for l in f.read_text().splitlines() if l.strip()]
        for r in self.rows:
            self.random.setdefault(
                _random_key(r['method'], r['ipc'], r['seed'], r['models']), (r['random'], r['random_std'])
            )

    def done(self, *cell) -> bool:
        return any(self.key(r) == cell for r in self.rows)

    def claim(self, *cell) -> bool:
        """Whether this process should run `cell`: not done, and (so that several processes can share one grid: run the
        same command in each) not claimed by another process, which creates `<first file>.claims/<cell>` first."""
        self.reload()
        if self.done(*cell):
            return False
        d = self.files[0].with_suffix('.claims')
        d.mkdir(exist_ok=True)
        try:
            os.close(os.open(d / '-'.join(map(str, cell)), os.O_CREAT | os.O_EXCL))
            return True
        except FileExistsError:
            return False

    def add(self, row: dict):
        self.rows.append(row)
        with open(self.files[0], 'a') as f:
            f.write(json.dumps(row) + '\n')

    def evaluate(self, real, method, param, ipc, seed, models) -> dict:
        """Test accuracy of `param`'s set under `method`'s protocol, beside the random-real baseline of the same
        recipe (computed once)."""
        ev = Evaluator(real, METHODS[method].protocol, models=models, seed=seed, progress=False)
        x, y = param()
        r = ev.evaluate(x.detach(), y.detach(), lr=None if param.lr is None else param.lr.detach())
        k = _random_key(method, ipc, seed, models)
        if k not in self.random:
            b = ev.random_baseline(ipc)
            self.random[k] = (b.mean, b.std)
        return dict(acc=r.mean, acc_std=r.std, random=self.random[k][0], random_std=self.random[k][1], models=models)


def _random_key(method, ipc, seed, models):
    "Protocols with the same recipe (dsa and dm) share their random-real baseline."
    p = get_protocol(METHODS[method].protocol)
    return json.dumps([{k: v for k, v in p.__dict__.items() if k != 'name'}, ipc, seed, models], sort_keys=True)


def table(rows, columns, order, describe=lambda r: '') -> str:
    """Markdown: one line per group of `columns` (sorted by `order(row)`), accuracy mean ± std over seeds, random real
    beside."""
    head = [*columns, 'setting', 'acc % (mean ± std over seeds)', 'seeds', 'random real %']
    out = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    groups = {}
    for r in sorted(rows, key=order):
        groups.setdefault(tuple(r[c] for c in columns), []).append(r)
    for k, rs in groups.items():
        a = [100 * r['acc'] for r in rs]
        rn = [100 * r['random'] for r in rs]
        acc = (
            f'{statistics.mean(a):.2f} ± {statistics.stdev(a):.2f}'
            if len(a) > 1
            else f"{a[0]:.2f} (one seed; ± {100 * rs[0]['acc_std']:.2f} over {rs[0]['models']} models)"
        )
        out.append(
            '| ' + ' | '.join(map(str, k)) + f" | {describe(rs[0])} | {acc} | {len(a)} | {statistics.mean(rn):.2f} |"
        )
    return '\n'.join(out)


def park(runs, parked, finished=lambda run: False) -> list:
    """Copy every run folder of `runs` that holds a checkpoint and is not `finished(folder)` to `parked/<name>/` (its
    checkpoint, saved pruning scores, loss curve and command: small files, to be committed); returns their names."""
    names = []
    for ck in sorted(Path(runs).glob('*/checkpoint.pt')):
        run = ck.parent
        if finished(run):
            continue
        (Path(parked) / run.name).mkdir(parents=True, exist_ok=True)
        for f in run.iterdir():
            if f.is_file() and not f.name.startswith('.'):
                shutil.copy2(f, Path(parked) / run.name / f.name)
        names.append(run.name)
    return names


def unpark(out, parked) -> bool:
    "Restore a run parked by an earlier session into `out` when `out` holds no checkpoint of its own."
    src, out = Path(parked) / Path(out).name, Path(out)
    if not (src / 'checkpoint.pt').is_file() or (out / 'checkpoint.pt').is_file():
        return False
    shutil.copytree(src, out, dirs_exist_ok=True)
    print(f'restored the parked run {src} into {out}', flush=True)
    return True


def drop_parked(out, parked):
    "Forget the parked copy of a run whose row is in the results file now."
    shutil.rmtree(Path(parked) / Path(out).name, ignore_errors=True)
