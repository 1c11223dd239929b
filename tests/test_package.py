"The package as users install it."

import subprocess, sys, zipfile


def test_wheel_ships_only_the_package(tmp_path):
    r = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(tmp_path), '.'],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    whl = next(tmp_path.glob('dd_nb-*.whl'))
    tops = {n.split('/')[0] for n in zipfile.ZipFile(whl).namelist()}
    assert 'dd_nb' in tops and 'tests' not in tops
    names = zipfile.ZipFile(whl).namelist()
    assert all(f'dd_nb/{m}.py' in names for m in ['core', 'data', 'nets', 'augment', 'distilled', 'evaluate', 'cli'])
