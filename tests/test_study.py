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
