"""The package's shape: every module imports only modules of earlier notebooks (so there are no import cycles), no
notebook cell mixes imports with other code (nbdev's docs processing runs such cells out of context), and every
argument of the public API carries a docment (the API pages show them)."""

import ast, dataclasses, importlib, inspect, json, logging, re
from pathlib import Path
from fastcore.docments import docments

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


def undocumented(obj) -> list:
    """The arguments of a public function or class (its `__init__`, or a dataclass's fields) without a docment;
    `*args`/`**kwargs` need none, and a `call_parse` option's `Param('help', ...)` is its documentation."""
    if dataclasses.is_dataclass(obj):
        return undocumented_fields(obj)
    f = obj.__init__ if inspect.isclass(obj) else obj
    if inspect.isclass(obj) and not getattr(f, '__module__', '').startswith('dd_nb'):
        return []  # inherited from another library (a logging.Filter's `name`): documented there
    f = inspect.unwrap(f)  # through functools.cache and friends, whose wrapper docments cannot read
    try:
        sig, doc = inspect.signature(f), docments(f)
    except (TypeError, ValueError, OSError):  # a builtin or an object without source: nothing to read
        return []
    out = []
    for name, p in sig.parameters.items():
        if name == 'self' or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if isinstance(p.annotation, str) and p.annotation.startswith('Param('):
            continue
        if not doc.get(name):
            out.append(name)
    return out


def undocumented_fields(cls) -> list:
    "A dataclass's fields without a docment in the class, or in the dd_nb dataclass it inherits the field from."
    documented = set()
    for k in cls.__mro__:
        if dataclasses.is_dataclass(k) and k.__module__.startswith('dd_nb'):
            documented |= {n for n, v in docments(k).items() if v}
    return [f.name for f in dataclasses.fields(cls) if f.name not in documented]


def test_every_public_argument_has_a_docment():
    bad = []
    for path in sorted((ROOT / 'dd_nb').glob('*.py')):
        if path.stem.startswith('_'):
            continue
        mod = importlib.import_module(f'dd_nb.{path.stem}')
        for name in getattr(mod, '__all__', []):
            obj = getattr(mod, name)
            if callable(obj) and undocumented(obj):
                bad.append(f'{path.stem}.{name}: {", ".join(undocumented(obj))}')
    assert bad == [], bad


def test_the_docment_check_sees_a_missing_comment():
    def f(
        a,  # documented
        b=2,
        *args,
        **kw,
    ):
        "A made-up function with one argument undocumented."

    assert undocumented(f) == ['b']
    assert undocumented(type('Quiet', (logging.Filter,), {'__module__': 'dd_nb.core'})) == []  # logging's own
    from dd_nb.distribution import DMOptions

    assert 'iterations' in {f.name for f in dataclasses.fields(DMOptions)}  # documented in MethodOptions, inherited
    assert undocumented(DMOptions) == []


def unsafe_loads(source: str) -> list:
    "Line numbers of the `torch.load` / `pickle.load(s)` calls in `source` that could run pickled code."
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = getattr(node.func.value, 'id', None)
        if owner == 'torch' and node.func.attr == 'load':
            safe = any(k.arg == 'weights_only' and getattr(k.value, 'value', None) is True for k in node.keywords)
            if not safe:
                out.append(node.lineno)
        elif owner == 'pickle' and node.func.attr in ('load', 'loads'):
            out.append(node.lineno)
    return out


def test_no_pickle_is_ever_loaded():
    """Every `torch.load` in the package passes `weights_only=True`; nothing calls `pickle.load` (CIFAR's data-only
    unpickler is a subclass that admits arrays and builtins only)."""
    found = {p.name: unsafe_loads(p.read_text()) for p in sorted((ROOT / 'dd_nb').glob('*.py'))}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_pickle_check_sees_an_unsafe_load():
    src = "import torch, pickle\na = torch.load(p)\nb = torch.load(p, weights_only=False)\nc = pickle.loads(s)\n"
    src += "d = torch.load(p, map_location='cpu', weights_only=True)\n"
    assert unsafe_loads(src) == [2, 3, 4]


# what no saved output of a notebook may show: a library warning (fixed at its source, not filtered per notebook), or
# a path of the machine that ran it (the package's folder, a home)
OUTPUT_NOISE = re.compile(r'\w*Warning: |No CUDA runtime is found|site-packages/|/work/|/root/|/home/')


def noisy_outputs(nb: dict) -> list:
    "(cell index, the offending line) of every saved output of a notebook that shows `OUTPUT_NOISE`."
    found = []
    for i, c in enumerate(nb['cells']):
        for o in c.get('outputs', []):
            texts = [''.join(o.get('text', '')), ''.join(o.get('data', {}).get('text/plain', ''))]
            found += [(i, line[:200]) for t in texts for line in t.splitlines() if OUTPUT_NOISE.search(line)]
    return found


def test_saved_outputs_carry_no_warnings_or_machine_paths():
    got = {p.name: noisy_outputs(json.loads(p.read_text())) for p in sorted((ROOT / 'nbs').glob('*.ipynb'))}
    assert {k: v for k, v in got.items() if v} == {}


def test_the_output_check_sees_a_warning():
    out = {'output_type': 'stream', 'name': 'stderr', 'text': ['x.py:3: UserWarning: Converting a tensor\n']}
    found = noisy_outputs({'cells': [{'cell_type': 'code', 'outputs': [out]}]})
    assert found == [(0, 'x.py:3: UserWarning: Converting a tensor')]
