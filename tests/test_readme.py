"""The README as a newcomer meets it: at most 200 lines, its two quick starts run exactly as written, and every number
it quotes is a committed study's (the headline table and the main job's numbers)."""

import os, re, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / 'README.md').read_text()
MAX_LINES = 200


def block(name: str) -> str:
    "The text between `<!-- name -->` and `<!-- /name -->`, without a code fence around it."
    text = README[README.index(f'<!-- {name} -->') + len(f'<!-- {name} -->') : README.index(f'<!-- /{name} -->')]
    fence = re.fullmatch(r'\s*```\w*\n(.*)```\s*', text, re.S)
    return fence.group(1) if fence else text


def numbers(text: str) -> list:
    return [float(x) for x in re.findall(r'\d+\.\d+', text)]


@pytest.fixture
def env(tmp_path):
    return {**os.environ, 'DD_NB_CACHE': str(tmp_path / 'cache'), 'DD_NB_NO_COMPILE': '1'}


def test_readme_is_at_most_200_lines():
    assert len(README.splitlines()) <= MAX_LINES


def test_python_quick_start_runs_as_written(tmp_path, env):
    r = subprocess.run([sys.executable, '-c', block('quickstart-python')], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    got = re.search(r'^ConvNet +(\d+\.\d+) ± +\d+\.\d+ +(\d+\.\d+) ±', r.stdout, re.M)  # this set, random real
    assert got and float(got.group(1)) > float(got.group(2)), r.stdout  # DM's one image a class beats random real
    assert (tmp_path / 'dm1.safetensors').stat().st_size > 1000 and (tmp_path / 'dm1.png').stat().st_size > 1000


def test_study_quick_start_runs_as_written(tmp_path, env):
    r = subprocess.run(['bash', '-ec', block('quickstart-study')], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = list(dict.fromkeys(x for x in r.stdout.splitlines() if x.startswith('| digits |')))  # run's, table's
    assert [x.split('|')[3].strip() for x in lines] == ['dc', 'dm'] and all('| 0,1 |' in x for x in lines), r.stdout
    assert len(list((tmp_path / 'runs' / 'two' / 'cells').iterdir())) == 4


def study_lines(name: str) -> list:
    from dd_nb.store import Store, table_lines

    return table_lines(Store.from_export(ROOT / 'benchmarks' / 'results' / name / 'results.jsonl').rows())


def test_headline_table_is_the_fmnist_study():
    "Every row of the headline table: the fmnist study's line of that method, IPC and budget, its seeds, its papers."
    from dd_nb.study import Study

    lines = study_lines('fmnist')
    published = Study.load(ROOT / 'benchmarks' / 'studies' / 'fmnist.toml').published
    rows = [[c.strip() for c in x.strip('|').split('|')] for x in block('headline').splitlines() if x.startswith('| ')]
    assert len(rows[1:]) == 10
    for ipc, method, its, ours, rand, paper in rows[1:]:
        name = method.rstrip(' †')
        (line,) = [x for x in lines if (x['method'], x['ipc'], x['iterations'], x['param'] or 'pixels')
                   == (name, int(ipc), int(its), 'pixels')]
        assert len(line['seeds']) == (1 if '†' in method else 3), (method, ipc)
        assert [round(v, 2) for v in line['set'][:2]] == numbers(ours), (method, ipc)
        assert [round(v, 2) for v in line['random'][:2]] == numbers(rand), (method, ipc)
        same = [p['accuracy'] for p in published if (p['method'], p['ipc']) == (name, int(ipc))]
        assert same == ([paper] if paper != '–' else []), (method, ipc)
    said = re.search(r'random real: (.*) at IPC 1, (.*) at IPC 10', block('headline')).groups()
    papers = [[p['accuracy'] for p in published if (p['method'], p['ipc']) == ('random', i)][0] for i in (1, 10)]
    assert list(said) == papers


def test_main_job_numbers_are_the_digits_study():
    "The main job (DC, IPC 1, seed 0, 5 networks, 2 on the full data) is the digits study's DC IPC 1 cell."
    from dd_nb.store import Store
    from dd_nb.study import Study

    lines = study_lines('digits')
    said = numbers(block('main-job'))
    (dc,) = [x for x in lines if (x['method'], x['ipc']) == ('dc', 1)]
    paper = [p['accuracy'] for p in Study.load(ROOT / 'benchmarks/studies/digits.toml').published
             if (p['method'], p['ipc']) == ('dc', 1)]
    want = [*[round(v, 2) for v in dc['set'][:2]], *[round(v, 2) for v in dc['random'][:2]], *numbers(paper[0]),
            *[round(v, 2) for v in dc['full data %'][:2]]]
    assert said == want
    assert (dc['iterations'], dc['seeds'], dc['models']) == (200, [0], 5)
    rows = Store.from_export(ROOT / 'benchmarks/results/digits/results.jsonl').rows()
    (row,) = [r for r in rows if r['cell'] == 'dc-ipc1-s0']
    assert row['config']['full_models'] == 2  # the main job's --full-models 2
