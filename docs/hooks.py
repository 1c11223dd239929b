"""Build hooks of the docs site (`mkdocs build`, see mkdocs.yml). Before mkdocs reads any page they stage the site's
sources in `.docs_src/` from the repository, so every page has one source of truth:

- the notebooks of `nbs/`, as nbdev's own docs show them: `#| hide` and `#| default_exp` cells dropped, an export
  cell shown as the documentation of what it defines (`show_doc`) and its public constants, never its source; saved
  outputs kept (mkdocs-jupyter renders them; nothing is executed), a widget view replaced by the picture stored
  beside it; a link to download the notebook as committed;
- `index.md`, the README (its `nbs/` paths and links into the published site made relative), then a map of the
  library;
- `gallery.md`, the results gallery, written from the committed study exports (`benchmarks/results/<study>/`);
- `api/<module>.md`, one page per module of dd_nb: the module's docstring, then `show_doc` of every public name and
  of every public method of its public classes, each with a link to its source and to its notebook;
- `mathjax/`, MathJax 2 from the `jupyter-server-mathjax` package, so math renders offline;
- `extra.css`, the site's styles (wider pages, wrapping code).

After each page is rendered, backticked names of the API become links to their entries and "notebook NN" links to
the notebook's page.
"""

import ast, importlib, inspect, json, re, shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / '.docs_src'  # rebuilt on every build (ignored by git)
SITE = 'https://dd-nb.github.io/dd_nb/'  # the published site (mkdocs.yml: site_url): the README's links into it
REPO = 'https://github.com/dd-nb/dd_nb/blob/main'  # where an API entry's source link points (mkdocs.yml: repo_url)
HIDDEN = ('hide', 'default_exp')  # nbdev directives of cells the docs do not show
EXPORT = ('export', 'exports')  # directives of cells whose source the docs replace by their documentation
TEST_CALL = re.compile(r'^\s*test_\w+\(')  # fastcore's test_eq / test_close / test_fail lines of an example cell
DIRECTIVE = re.compile(r'^\s*#\|\s*(\w+)')
SOURCE_LINK = re.compile(r'^\[source\]\(.*$', re.M)  # show_doc's own link (to line None of the module)
NONE_TYPE = re.compile(r':NoneType(?==None)')  # show_doc's guess for an argument without annotation, default None
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'
# the gallery's studies (benchmarks/studies/<name>.toml) and their headings
STUDIES = {'digits': 'Digits', 'fmnist': 'Fashion-MNIST', 'fair': "Fair scores (DD-Ranking's LRS and ARS)",
           'xarch': 'Cross-architecture: digits, IPC 10'}
GALLERY_SETS = ROOT / 'benchmarks' / 'results' / 'fmnist_sets'  # the committed Fashion-MNIST sets
DIGITS_PICTURES = {'random_digits.png': 'Random real digits, one per class',
                   'distilled_dm1.png': 'A DM set of digits, IPC 1'}  # nbs/images, made by the notebooks
_API = {}  # name or Class.method → (module, anchor), filled by `stage`
_PAGES = {}  # notebook number ('05a') → page folder ('05a_evaluate'), filled by `stage`


def slug(name: str) -> str:
    "The anchor mkdocs gives a heading (its toc extension's slugify)."
    from markdown.extensions.toc import slugify

    return slugify(name, '-')


def source_links(obj, depth: int) -> str:
    "A Markdown line linking an object to its lines on GitHub and to the notebook that defines it."
    try:
        obj = inspect.unwrap(obj.fget if isinstance(obj, property) else obj)
        path = Path(inspect.getsourcefile(obj)).resolve()
        lines, start = inspect.getsourcelines(obj)
    except (TypeError, OSError):
        return ''
    if ROOT not in path.parents:
        return ''
    rel = path.relative_to(ROOT).as_posix()
    text = path.read_text().splitlines()[:start]
    cell = next((t for t in reversed(text) if t.startswith('# %% ../nbs/')), '')
    nb = re.match(r'# %% \.\./nbs/(\S+)\.ipynb', cell)
    links = [f'[source]({REPO}/{rel}#L{start}-L{start + len(lines) - 1})']
    if nb:
        links.append(f'[notebook]({"../" * depth}{nb.group(1)}/)')
    return '<small>' + ' · '.join(links) + '</small>'


def api_entry(obj, name: str, depth: int = 2) -> str:
    """One name's entry from `show_doc`'s markdown: its own source links, `class` for a class (show_doc writes
    `def`), no `NoneType` guessed from a default of None, and the whole docstring as plain text (show_doc italicises
    its first line only, so a sentence running on to the next line lost its closing `*`)."""
    from nbdev.showdoc import show_doc

    md = SOURCE_LINK.sub('', show_doc(obj, name=name)._repr_markdown_())
    md = NONE_TYPE.sub('', md)
    md = md.replace(f'### {name}\n', f'### {name}\n\n{source_links(obj, depth)}\n', 1)
    if inspect.isclass(obj):
        md = md.replace(f'def {name}(', f'class {name}(', 1)
    head, fence, _ = md.rpartition('```')  # the signature's closing fence; the italic first line follows it
    return head + fence + '\n\n' + (inspect.getdoc(obj) or '') if fence else md


def public_methods(cls) -> list:
    "(name, function) of a class's own public methods and properties, in definition order (patched ones too)."
    out = []
    for k, v in vars(cls).items():
        f = v.__func__ if isinstance(v, (classmethod, staticmethod)) else v
        if k.startswith('_') or not (inspect.isfunction(f) or isinstance(f, property)):
            continue
        out.append((k, f))
    return out


def api_page(module: str) -> str:
    "Markdown for one module: its docstring, `show_doc` of each name in its `__all__` and of its classes' methods."
    mod = importlib.import_module(f'dd_nb.{module}')
    out = [f'# dd_nb.{module}', '', (mod.__doc__ or '').strip(), '']
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name)
        if not callable(obj):
            continue
        out.append(api_entry(obj, name))
        if inspect.isclass(obj) and obj.__module__.startswith('dd_nb'):
            out += [api_entry(f, f'{name}.{k}') for k, f in public_methods(obj)]
    return '\n\n'.join(out) + '\n'  # blank lines: a docstring above show_doc's `---` is no heading


def api_index(modules: list) -> dict:
    "name and Class.method → (module, anchor) of every API entry; a name is entered where it is defined."
    index = {}
    for m in modules:
        mod = importlib.import_module(f'dd_nb.{m}')
        for name in getattr(mod, '__all__', []):
            obj = getattr(mod, name)
            if not callable(obj) or getattr(obj, '__module__', f'dd_nb.{m}') != f'dd_nb.{m}':
                continue
            index.setdefault(name, (m, slug(name)))
            if inspect.isclass(obj):
                for k, _ in public_methods(obj):
                    index.setdefault(f'{name}.{k}', (m, slug(f'{name}.{k}')))
    return index


def defined_names(source: str) -> tuple:
    """(documented, constants) of an export cell: its public defs and classes (patched methods as Class.name), and the
    source lines of its public top-level assignments."""
    tree = ast.parse(source)
    names, consts = [], []
    lines = source.splitlines()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith('_'):
            patched = any(getattr(d, 'id', getattr(getattr(d, 'func', None), 'id', None)) == 'patch'
                          for d in node.decorator_list)
            if patched and node.args.args and node.args.args[0].annotation is not None:
                names.append(f'{ast.unparse(node.args.args[0].annotation)}.{node.name}')
            else:
                names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            ids = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            if any(not i.startswith('_') and i != '__all__' for i in ids):
                consts += lines[node.lineno - 1:node.end_lineno]
    return names, consts


def resolve(module, name: str):
    "The object a documented name (`f` or `Class.method`) is in `module`, or None."
    obj = module
    for part in name.split('.'):
        obj = getattr(obj, part, None)
    return obj


def markdown_cell(text: str) -> dict:
    return {'cell_type': 'markdown', 'metadata': {}, 'source': text}


def export_cells(source: str, module) -> list:
    "What the docs show for an export cell: each public name's documentation, then its public constants as code."
    names, consts = defined_names(source)
    out = []
    for n in names:
        obj = resolve(module, n)
        if obj is not None:
            out.append(markdown_cell(api_entry(obj, n, depth=1)))
    if consts:
        out.append({'cell_type': 'code', 'metadata': {}, 'execution_count': None, 'outputs': [],
                    'source': '\n'.join(consts)})
    return out


def picture_outputs(outputs: list) -> list:
    "A cell's outputs with each widget view replaced by the picture saved beside it (a view without one is dropped)."
    out = []
    for o in outputs:
        data = o.get('data', {})
        if WIDGET_VIEW in data:
            if 'image/png' not in data:
                continue
            o = {**o, 'data': {k: v for k, v in data.items() if k != WIDGET_VIEW}}
        out.append(o)
    return out


def notebook_for_docs(src: Path, dst: Path, download: str):
    "Copy a notebook as the docs show it (see the module's docstring); `download` is the link to the committed file."
    nb = json.loads(src.read_text())
    module = None
    cells = []
    for c in nb['cells']:
        lines = ''.join(c['source']).splitlines(keepends=True)
        found = [m.group(1) for m in map(DIRECTIVE.match, lines) if m]
        if c['cell_type'] == 'code':
            if 'default_exp' in found:
                module = importlib.import_module('dd_nb.' + lines[0].split()[-1])
            if any(d in HIDDEN for d in found):
                continue
            code = ''.join(l for l in lines if not DIRECTIVE.match(l) and not TEST_CALL.match(l))
            if any(d in EXPORT for d in found) and module is not None:
                cells += export_cells(code, module)
                continue
            if not code.strip():
                continue
            c = {**c, 'source': code, 'outputs': picture_outputs(c.get('outputs', []))}
        cells.append(c)
    cells.insert(1, markdown_cell(f'<small>[Download this notebook]({download})</small>'))  # below the title
    nb['cells'] = cells
    nb['metadata'].pop('widgets', None)  # no widget renderer from a CDN: the pictures stand in for the views
    dst.write_text(json.dumps(nb, indent=1, ensure_ascii=False))


def library_map(notebooks: list) -> str:
    "The home page's map: one line per notebook, with its module's API page and its one-line summary."
    out = ['', '## Map of the library', '', '| notebook | API | what it holds |', '|---|---|---|']
    for p in notebooks:
        nb = json.loads(p.read_text())
        first = ''.join(nb['cells'][0]['source']).splitlines()
        title = first[0].lstrip('# ').strip()
        summary = next((x.lstrip('> ').strip() for x in first if x.startswith('>')), '')
        exp = [c for c in nb['cells'] if c['cell_type'] == 'code' and '#| default_exp' in ''.join(c['source'])]
        module = ''.join(exp[0]['source']).split()[-1] if exp else None
        api = f'[dd_nb.{module}](api/{module}/)' if module else '–'
        out.append(f'| [{p.stem}]({p.stem}/) · {title} | {api} | {summary} |')
    return '\n'.join(out) + '\n'


def gallery() -> str:
    "The results gallery: each study's table and figure from its committed export, and pictures of its sets."
    import matplotlib

    matplotlib.use('Agg')
    from dd_nb.store import Store, results_table, results_figure
    from dd_nb.study import Study

    out = ['# Results gallery', '', 'Every number here is read from a committed study export '
           '(`benchmarks/results/<study>/results.jsonl`; `dd_nb_study import` then `dd_nb_study table` prints the '
           'same table). Each line names its budget (distillation iterations, the evaluation protocol × networks, '
           'the distillation seeds) and random real under the same recipe beside the set.', '']
    (STAGE / 'gallery').mkdir()
    for name, title in STUDIES.items():
        export = ROOT / 'benchmarks' / 'results' / name / 'results.jsonl'
        if not export.is_file():  # a study whose first cells have not run yet
            continue
        study = Study.load(ROOT / 'benchmarks' / 'studies' / f'{name}.toml')
        rows = Store.from_export(export).rows()
        prose, commands = study_notes(study.source)
        results_figure(rows, STAGE / 'gallery' / f'{name}.png')
        out += [f'## {title}', '', prose, '', '```bash', *commands, '```', '',
                results_table(rows, published=study.published), '', f'![{title}: every line](gallery/{name}.png)', '']
    out += ['## The sets', '']
    for png, caption in DIGITS_PICTURES.items():
        out += [f'![{caption}](images/{png})', '', f'*{caption}.*', '']
    out += set_pictures()
    return '\n'.join(out) + '\n'


def study_notes(source: str) -> tuple:
    "(prose, commands) of a study file's opening comment: what it measures and its budget, and how to run it."
    head = []
    for line in source.splitlines():
        if not line.startswith('#'):
            break
        head.append(line.lstrip('#').strip())
    commands = [x for x in head if x.startswith('dd_nb_study')]
    return ' '.join(x for x in head if x and x not in commands), commands


def set_pictures() -> list:
    "Markdown of a picture of each committed Fashion-MNIST IPC 1 set (seed 0, its longest budget)."
    import matplotlib.pyplot as plt
    from dd_nb.distilled import DistilledSet, denormalize
    from dd_nb.viz import image_grid

    best = {}
    for p in sorted(GALLERY_SETS.glob('*-ipc1-s0-*it.safetensors')):
        kind, its = p.stem.rsplit('-ipc1-s0-', 1)
        if int(its[:-2]) >= best.get(kind, (0, None))[0]:
            best[kind] = (int(its[:-2]), p)
    out = []
    for kind, (its, p) in sorted(best.items()):
        ds = DistilledSet.load(p)
        fig = image_grid(denormalize(ds), ds.labels, ds.manifest.get('classes'), title=f'{kind}, {its} iterations')
        fig.savefig(STAGE / 'gallery' / f'{p.stem}.png', dpi=80)
        plt.close(fig)
        out += [f'![Fashion-MNIST IPC 1, {kind}](gallery/{p.stem}.png)', '']
    return out


def stage() -> list:
    "Write `.docs_src/` from the repository; returns the site's navigation."
    global _API
    shutil.rmtree(STAGE, ignore_errors=True)
    (STAGE / 'api').mkdir(parents=True)
    shutil.copytree(ROOT / 'nbs' / 'images', STAGE / 'images')
    shutil.copy(ROOT / 'docs' / 'extra.css', STAGE / 'extra.css')
    stage_mathjax()
    notebooks = sorted(p for p in (ROOT / 'nbs').glob('*.ipynb') if p.name != 'index.ipynb')
    (STAGE / 'notebooks').mkdir()
    readme = (ROOT / 'README.md').read_text().replace('](nbs/index.ipynb)', '](tour.ipynb)').replace('](nbs/', '](')
    readme = readme.replace(f']({SITE}gallery/)', '](gallery.md)').replace(f']({SITE})', '](index.md)')
    (STAGE / 'index.md').write_text(readme + library_map(notebooks))
    for p in [*notebooks, ROOT / 'nbs' / 'index.ipynb']:
        name = 'tour.ipynb' if p.stem == 'index' else p.name
        shutil.copy(p, STAGE / 'notebooks' / p.name)
        notebook_for_docs(p, STAGE / name, f'../notebooks/{p.name}')
        _PAGES[p.stem.split('_')[0]] = Path(name).stem
    modules = sorted(p.stem for p in (ROOT / 'dd_nb').glob('*.py') if not p.stem.startswith('_'))
    _API = api_index(modules)
    for m in modules:
        (STAGE / 'api' / f'{m}.md').write_text(api_page(m))
    (STAGE / 'gallery.md').write_text(gallery())
    return [
        {'Home': 'index.md'},
        {'Tour': 'tour.ipynb'},
        {'Results gallery': 'gallery.md'},
        {'Notebooks': [p.name for p in notebooks]},
        {'API': [{f'dd_nb.{m}': f'api/{m}.md'} for m in modules]},
    ]


def stage_mathjax():
    "MathJax 2 from the jupyter-server-mathjax package (the copy Jupyter serves), as it is."
    import jupyter_server_mathjax

    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / 'static', STAGE / 'mathjax')


# the jupyter-server-mathjax bundle has the STIX-Web fonts only (MathJax would look for its TeX fonts first)
MATHJAX_FONTS = ('<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], '
                 'preferredFont: null, webFont: "STIX-Web", imageFont: null}});</script>')
TAG = re.compile(r'(<[^>]+>)')
CODE_NAME = re.compile(r'<code>([A-Za-z_][\w.]*)(\(\))?</code>')
NOTEBOOK_REF = re.compile(r'\b([Nn]otebooks? )(\d\d[a-z]?(?:(?:, | and | or |–)\d\d[a-z]?)*)\b')


def link_names(html: str, depth: int, here: str) -> str:
    """`html` with backticked API names linked to their entries and "notebook NN" to its page, outside links, code
    blocks and scripts; `depth` is the page's folder depth, `here` its module page (`api/<m>/`) if any."""
    up = '../' * depth
    parts, out, skip = TAG.split(html), [], 0

    def code(m):
        if m.group(1) not in _API:
            return m.group(0)
        mod, anchor = _API[m.group(1)]
        page = '' if here == f'api/{mod}/' else f'{up}api/{mod}/'
        return f'<a href="{page}#{anchor}">{m.group(0)}</a>'

    def notebook(m):
        nums = re.sub(r'\d\d[a-z]?', lambda n: f'<a href="{up}{_PAGES[n.group(0)]}/">{n.group(0)}</a>'
                      if n.group(0) in _PAGES else n.group(0), m.group(2))
        return m.group(1) + nums

    for i, p in enumerate(parts):
        if i % 2:  # a tag
            name = re.match(r'</?(\w+)', p)
            if name and name.group(1) in ('a', 'pre', 'script', 'style', 'h1', 'h2', 'h3'):
                skip += -1 if p.startswith('</') else 1
            out.append(p)
        elif skip <= 0:
            out.append(NOTEBOOK_REF.sub(notebook, p))
        else:
            out.append(p)
    html = ''.join(out)
    pieces = re.split(r'(<a\b.*?</a>|<pre\b.*?</pre>|<h\d.*?</h\d>)', html, flags=re.S)
    return ''.join(x if j % 2 else CODE_NAME.sub(code, x) for j, x in enumerate(pieces))


def on_config(config):
    "mkdocs hook: stage the sources, then read the pages from there."
    config['nav'] = stage()
    config['docs_dir'] = str(STAGE)
    return config


def on_page_content(html, page, config, files):
    "mkdocs hook: link backticked API names and notebook numbers in every page."
    url = page.url or ''
    html = MATHJAX_FONTS + html if 'mathjax/MathJax.js' in html else html
    return link_names(html, url.count('/'), url)
