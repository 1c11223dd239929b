"""The study layer end to end: `benchmarks/studies/quick.toml` runs to a table; killed with SIGKILL midway and started
again it ends with the same table and the same sets; Ray's executor gives the same; a damaged store row is recomputed,
never read as a result."""

import json, os, re, shutil, signal, sqlite3, subprocess, time
from pathlib import Path
import pytest

QUICK = Path(__file__).resolve().parents[1] / 'benchmarks' / 'studies' / 'quick.toml'
CELLS = ['digits-dc-ipc1-s0', 'digits-dc-ipc1-s1', 'digits-dm-ipc1-s0', 'digits-dm-ipc1-s1']


def study(*args, env, timeout=900):
    return subprocess.run(['dd_nb_study', *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)


def rows(folder) -> dict:
    "{cell: row} of a study's export."
    lines = (Path(folder) / 'results.jsonl').read_text().splitlines()
    return {r['cell']: r for r in map(json.loads, lines)}


def table(folder, env) -> str:
    r = study('table', folder, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    return {**os.environ, 'DD_NB_CACHE': str(tmp_path_factory.mktemp('cache')), 'OMP_NUM_THREADS': '1'}


@pytest.fixture(scope='module')
def reference(tmp_path_factory, env):
    "The quick study run without interruption on the local executor, two processes at once."
    out = tmp_path_factory.mktemp('study') / 'quick'
    r = study('run', QUICK, '--out', out, '--jobs', 2, '--quiet', env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def test_quick_runs_to_a_table(reference, env):
    got = rows(reference)
    assert sorted(got) == CELLS and {r['status'] for r in got.values()} == {'done'}
    lines = [ln for ln in table(reference, env).splitlines() if ln.startswith('| digits')]
    assert len(lines) == 2  # DC and DM, each over seeds 0 and 1
    for r in got.values():  # every set beats chance (10 %) by far; random real under the same recipe beside it
        assert r['result']['accuracy_mean'] > 0.5 and r['result']['random_mean'] > 0.5
        assert r['config']['out'] == f"cells/{r['cell']}"  # no machine path in what git would hold
    dm = [r['result']['accuracy_mean'] for c, r in got.items() if '-dm-' in c]
    rnd = [r['result']['random_mean'] for r in got.values()]
    assert min(dm) > max(rnd)  # 20 DM iterations already beat random real on both seeds
    st = study('status', reference, env=env)
    assert st.returncode == 0 and st.stdout.strip().endswith('4 done'), st.stdout


def test_sigkill_midway_then_resume_gives_the_same_table_and_sets(reference, env, tmp_path):
    out = tmp_path / 'quick'
    p = subprocess.Popen(
        ['dd_nb_study', 'run', str(QUICK), '--out', str(out), '--quiet'], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:  # kill once a cell is done and a later one has checkpointed but not finished
        deadline = time.time() + 600
        while time.time() < deadline:
            done = set(rows(out)) if (out / 'results.jsonl').is_file() else set()
            ckpt = [c for c in CELLS if c not in done and (out / 'cells' / c / 'checkpoint.pt').is_file()]
            if done and ckpt:
                break
            assert p.poll() is None, 'the study ended before it could be killed'
            time.sleep(0.2)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    before = rows(out)
    assert 1 <= len(before) < len(CELLS)
    st = study('status', out, env=env)
    assert 'interrupted' in st.stdout, st.stdout  # the killed cell: its checkpoint is there to resume
    r = study('run', QUICK, '--out', out, '--quiet', env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    after, ref = rows(out), rows(reference)
    for c, row in before.items():  # finished cells were not recomputed
        assert after[c]['finished'] == row['finished']
    assert {c: r['set_sha256'] for c, r in after.items()} == {c: r['set_sha256'] for c, r in ref.items()}
    for c in CELLS:  # the tensors of every set, byte for byte
        a, b = out / 'cells' / c / 'distilled.safetensors', reference / 'cells' / c / 'distilled.safetensors'
        assert _tensors(a) == _tensors(b), c
    assert table(out, env) == table(reference, env)


def _tensors(path) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), 'pt') as f:
        return {k: f.get_tensor(k).numpy().tobytes() for k in f.keys()}


def test_ray_executor_gives_the_same_sets_and_table(reference, env, tmp_path):
    pytest.importorskip('ray', reason='the Ray executor needs pip install "dd_nb[ray]"')
    out = tmp_path / 'quick'
    r = study('run', QUICK, '--out', out, '--executor', 'ray', '--jobs', 2, '--quiet', env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    got, ref = rows(out), rows(reference)
    assert {c: r['set_sha256'] for c, r in got.items()} == {c: r['set_sha256'] for c, r in ref.items()}
    assert table(out, env) == table(reference, env)


@pytest.mark.parametrize('damage', ['edited', 'half-written'])
def test_a_damaged_row_is_recomputed_not_read(reference, env, tmp_path, damage):
    out = tmp_path / 'quick'
    shutil.copytree(reference, out)
    cell = 'digits-dm-ipc1-s1'
    db = sqlite3.connect(out / 'store.sqlite')
    (text,) = db.execute('SELECT result FROM runs WHERE cell = ?', (cell,)).fetchone()
    bad = text.replace('"accuracy_mean": 0.', '"accuracy_mean": 0.9') if damage == 'edited' else text[: len(text) // 2]
    assert bad != text
    with db:
        db.execute('UPDATE runs SET result = ? WHERE cell = ?', (bad, cell))
    db.close()
    st = study('status', out, env=env)
    assert 'damaged store row' in st.stdout and '3 done' in st.stdout, st.stdout
    assert '| 0 (± over 2 networks) |' in table(out, env)  # DM's line now has seed 0 alone
    r = study('run', QUICK, '--out', out, '--quiet', env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'its cell runs again' in r.stdout
    got, ref = rows(out), rows(reference)
    assert got[cell]['finished'] > ref[cell]['finished']  # recomputed
    assert all(got[c]['finished'] == ref[c]['finished'] for c in CELLS if c != cell)  # the others were not
    assert got[cell]['set_sha256'] == ref[cell]['set_sha256']
    assert table(out, env) == table(reference, env)


def test_bad_study_is_one_line(tmp_path, env):
    bad = tmp_path / 'bad.toml'
    bad.write_text('[study]\nname = "bad"\n[grid]\nmethod = ["dm", "kip"]\n')
    r = study('run', bad, '--out', tmp_path / 'out', env=env)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "cell kip: unknown method 'kip'" in r.stderr
    assert not (tmp_path / 'out').exists()


def readme_tables(title: str, end: str) -> list:
    "The Markdown tables of the README section from `title` to `end`, as lists of cell lists."
    text = (Path(__file__).resolve().parents[1] / 'README.md').read_text()
    sec = text[text.index(title) : text.index(end)]
    blocks = re.findall(r'((?:^\|.*\|\n)+)', sec, re.M)
    return [[[c.strip() for c in ln.strip().strip('|').split('|')] for ln in b.splitlines()[2:]] for b in blocks]


def test_readme_fair_tables_are_the_committed_store(tmp_path):
    "Every number of the README's fair-score tables equals the table of the committed export of the fair study."
    from dd_nb.store import Store, table_lines

    store = Store(tmp_path / 'store.sqlite')
    assert store.load_export(Path(__file__).resolve().parents[1] / 'benchmarks/results/fair/results.jsonl') == []
    lines = table_lines(store.rows())
    tables = readme_tables('## Fair scores', '## Digits numbers')
    assert len(tables) == 2 and sum(map(len, tables)) == len(lines) == 48
    cols = ['set', 'hard labels, no aug %', 'soft labels, dsa %', 'random', 'LRS', 'ARS']
    for dataset, table in zip(['digits', 'fashion-mnist'], tables):
        for row in table:
            (line,) = [x for x in lines if (x['dataset'], x['ipc'], x['method']) == (dataset, int(row[0]), row[1])]
            assert line['protocol'] == {'dsa-teacher-T20': 'dsa-teacher'}.get(row[2], row[2])
            assert len(line['seeds']) == int(row[9].split()[0])
            for shown, col in zip(row[3:9], cols):
                want = [float(x) for x in re.findall(r'\d+\.\d+', shown)]
                got = line.get(col)
                if not want:
                    assert got is None, (dataset, row[:2], col)
                    continue
                digits = 3 if col in ('LRS', 'ARS') else 2
                assert [round(v, digits) for v in got[: len(want)]] == want, (dataset, row[:2], col, got, want)


def test_readme_fmnist_table_is_the_committed_store(tmp_path):
    "Every number of the README's Fashion-MNIST table (but HMN's line, an ablation's) is the fmnist study's."
    from dd_nb.store import Store, table_lines

    store = Store(tmp_path / 'store.sqlite')
    assert store.load_export(Path(__file__).resolve().parents[1] / 'benchmarks/results/fmnist/results.jsonl') == []
    lines = table_lines(store.rows())
    (table,) = readme_tables('## Fashion-MNIST (', '## Speed')[:1]
    nums = lambda text: [float(x) for x in re.findall(r'\d+\.\d+', text)]
    checked = 0
    for name, ipc, protocol, its, seeds, ours, rand, _ in table:
        if name.startswith('hmn'):
            continue
        if name.startswith(('random real', 'whole training set')):
            method, param, kind, ipc = 'random', 'pixels', 'full data %' if name[0] == 'w' else 'random', ipc
            got = [x for x in lines if (x['method'], x['protocol']) == (method, protocol)]
            got = [x for x in got if kind == 'full data %' or x['ipc'] == int(ipc)]
            want = {kind: nums(ours)}
        else:
            param, _, method = name.split(' (')[0].rpartition('-')
            got = [x for x in lines if (x['method'], x['param'] or 'pixels', x['ipc'], x['iterations'])
                   == (method, param or 'pixels', int(ipc), int(re.match(r'\d+', its).group()))]
            want = {'set': nums(ours), 'random': nums(rand)}
            assert len(got) == 1 and ','.join(map(str, got[0]['seeds'])) == seeds, (name, ipc, its)
        assert len(got) == 1, (name, ipc, protocol)
        for col, w in want.items():
            assert [round(v, 2) for v in got[0][col][:2]] == w, (name, ipc, its, col, got[0][col], w)
        checked += 1
    assert checked == len(lines) == 25  # every line of the study's table is in the README


def test_a_method_is_one_notebook_and_one_preset_and_one_study_line(tmp_path, env):
    """`random` (notebook 22) was added as a method is: one notebook's cells registering it and one preset file; one
    word in a study's method list puts it beside DC, DSA and DM, and its cell runs like theirs."""
    from dd_nb.matcher import METHODS
    from dd_nb.methods import preset_file
    from dd_nb.study import Study

    assert METHODS.names()[:3] == ['dc', 'dsa', 'dm'] and METHODS.modules['random'] == 'dd_nb.coresets'
    assert preset_file('random')['official']['iterations'] == 0
    study = tmp_path / 'four.toml'
    study.write_text(  # quick: the fast recipe, one network, one iteration where a method optimises
        '[study]\nname = "four"\n[grid]\nmethod = ["dc", "dsa", "dm", "random"]\nipc = [1]\nseed = [0]\n'
        '[run]\nquick = true\nno_full = true\n'
    )
    names = ['dc-ipc1-s0', 'dsa-ipc1-s0', 'dm-ipc1-s0', 'random-ipc1-s0']
    assert [n for n, _ in Study.load(study).configs(tmp_path)] == names
    r = subprocess.run(['dd_nb_study', 'run', str(study), '--out', str(tmp_path / 'out'), '--quiet'],
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    got = rows(tmp_path / 'out')
    assert sorted(got) == sorted(names) and [got[n]['result']['iterations'] for n in names] == [1, 1, 1, 0]
    assert got['random-ipc1-s0']['result']['accuracy_mean'] > 0.3  # random real digits, one a class: far above 10 %


def test_readme_digits_tables_are_the_committed_store(tmp_path):
    "Every number of the README's digits tables is the digits study's (its export), and so is every official number."
    from dd_nb.store import Store, table_lines
    from dd_nb.study import Study

    root = Path(__file__).resolve().parents[1]
    lines = table_lines(Store.from_export(root / 'benchmarks/results/digits/results.jsonl').rows())
    published = Study.load(root / 'benchmarks/studies/digits.toml').published
    nums = lambda text: [float(x) for x in re.findall(r'\d+\.\d+', text)]
    evals, runs = readme_tables('## Digits numbers', '## Fashion-MNIST (')
    kinds = {'random real, IPC 1': (1, 'dc-classic', 'random'), 'random real, IPC 10': (10, 'dc-classic', 'random'),
             'full training split (1,211 images)': (1, 'dc-classic', 'full data %'),
             'full training split, DSA protocol (1,000 epochs, augmentation)': (1, 'dsa', 'full data %')}
    for name, ours, _ in evals:
        ipc, protocol, col = kinds[name]
        (line,) = [x for x in lines if (x['method'], x['ipc'], x['protocol']) == ('random', ipc, protocol)]
        assert [round(v, 2) for v in line[col][:2]] == nums(ours), name
    for name, ipc, its, ours, rand, official in runs:
        method = name.split()[0].lower()
        (line,) = [x for x in lines if (x['method'], x['ipc']) == (method, int(ipc))]
        assert line['iterations'] == int(its) and line['seeds'] == [0], name
        assert [round(v, 2) for v in line['set'][:2]] == nums(ours), (name, ipc)
        assert [round(v, 2) for v in line['random'][:2]] == nums(rand), (name, ipc)
        paper = [p['accuracy'] for p in published if (p['method'], p['ipc']) == (method, int(ipc))]
        assert paper == ([official] if official != '–' else []), (name, ipc)
    assert len(runs) + len(evals) == len(lines) + 1  # the IPC 1 random cell holds two README numbers


@pytest.mark.parametrize('name', ['digits', 'fmnist', 'fair', 'pad', 'gan', 'hmn'])
def test_a_committed_study_has_every_cell_in_its_export(name):
    """Every cell of a committed study is a sound row of its export, under the key the cell computes: `dd_nb_study
    run` over the imported export runs nothing, and no row is left over."""
    from dd_nb.store import Store
    from dd_nb.study import Study

    root = Path(__file__).resolve().parents[1]
    cells = Study.load(root / f'benchmarks/studies/{name}.toml').configs(root / 'runs' / name)
    rows = Store.from_export(root / f'benchmarks/results/{name}/results.jsonl').rows()
    assert sorted(c.key() for _, c in cells) == sorted(r['key'] for r in rows)
    assert all(r['status'] == 'done' for r in rows)
