"""The package's shape: every module imports only modules of earlier notebooks (so there are no import cycles), and
no notebook cell mixes imports with other code (nbdev's docs processing runs such cells out of context)."""

import ast, json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def notebook_order() -> dict:
    "module name -> position of the notebook that exports it, in the notebooks' file-name order."
    out = {}
    for i, nb in enumerate(sorted((ROOT / 'nbs').glob('*.ipynb'))):
        for c in json.loads(nb.read_text())['cells']:
            m = re.match(r'#\|\s*default_exp\s+(\S+)', ''.join(c['source']))
            if c['cell_type'] == 'code' and m:
                out[m.group(1)] = i
    return out


def imports_of(path: Path) -> set:
    "The dd_nb modules a module imports, anywhere in it (function-level imports too)."
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                out.add(node.module.split('.')[0])
            elif node.module and node.module.startswith('dd_nb.'):
                out.add(node.module.split('.')[1])
            elif node.module == 'dd_nb':
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split('.')[1] for a in node.names if a.name.startswith('dd_nb.'))
    return out


def test_imports_point_back_down_the_notebook_order():
    order = notebook_order()
    assert {'core', 'train', 'evaluate', 'methods', 'cli'} <= set(order)
    bad = []
    for mod, pos in order.items():
        for dep in imports_of(ROOT / 'dd_nb' / f'{mod}.py') - {'_modidx'}:
            if dep in order and order[dep] >= pos:
                bad.append(f'{mod} imports {dep}')
    assert not bad, bad


def test_no_import_cycles():
    order = notebook_order()
    graph = {m: imports_of(ROOT / 'dd_nb' / f'{m}.py') & set(order) - {m} for m in order}
    seen, stack = set(), set()

    def visit(m, path):
        assert m not in stack, ' -> '.join(path + [m])
        if m in seen:
            return
        stack.add(m)
        for d in graph[m]:
            visit(d, path + [m])
        stack.discard(m)
        seen.add(m)

    for m in graph:
        visit(m, [])


def test_the_check_finds_a_forward_import(tmp_path):
    "The checker itself: a planted function-level import of a later module is seen."
    f = tmp_path / 'm.py'
    f.write_text('def f():\n    from dd_nb.cli import run_script\n    from .hmn import HMN\n')
    assert imports_of(f) == {'cli', 'hmn'}


def test_imports_have_their_own_cells():
    bad = []
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            src = ''.join(c['source'])
            if c['cell_type'] != 'code' or 'nbdev_export()' in src or src.lstrip().startswith('%'):
                continue
            body = ast.parse(src).body
            kinds = {isinstance(s, (ast.Import, ast.ImportFrom)) for s in body}
            if kinds == {True, False}:
                bad.append(f'{nb.name} cell {c.get("id")}')
    assert not bad, bad
