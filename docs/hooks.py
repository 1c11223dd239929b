"""Build hooks of the docs site (`mkdocs build`, see mkdocs.yml). Before mkdocs reads any page they stage the site's
sources in `.docs_src/` from the repository, so every page has one source of truth:

- the notebooks of `nbs/`, as nbdev shows them: `#| hide` and `#| default_exp` cells dropped, `#|` directive lines
  removed, saved outputs kept (mkdocs-jupyter renders them; nothing is executed);
- `index.md`, the README (its `nbs/` paths made relative to the site);
- `extra.css`, the site's styles (wider pages, wrapping code);
- `api/<module>.md`, one page per module of dd_nb: the module's docstring, then nbdev's `show_doc` of every public name
  (the signature with one comment per argument, and the docstring).
"""

import importlib, inspect, json, re, shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / '.docs_src'  # rebuilt on every build (ignored by git)
HIDDEN = ('hide', 'default_exp')  # nbdev directives of cells the docs do not show
DIRECTIVE = re.compile(r'^\s*#\|\s*(\w+)')
SOURCE_LINK = re.compile(r'^\[source\]\(.*$', re.M)  # show_doc's Quarto-only link to a line of the source


def notebook_for_docs(src: Path, dst: Path):
    "Copy a notebook without its hidden cells and with its code cells' directive lines removed."
    nb = json.loads(src.read_text())
    cells = []
    for c in nb['cells']:
        lines = ''.join(c['source']).splitlines(keepends=True)
        found = [m.group(1) for m in map(DIRECTIVE.match, lines) if m]
        if c['cell_type'] == 'code':
            if any(d in HIDDEN for d in found):
                continue
            c['source'] = [l for l in lines if not DIRECTIVE.match(l)]
        cells.append(c)
    nb['cells'] = cells
    dst.write_text(json.dumps(nb, indent=1, ensure_ascii=False))


def api_entry(obj, name: str, md: str) -> str:
    """One name's entry from `show_doc`'s markdown: without its Quarto-only source link, `class` for a class (show_doc
    writes `def`), and the whole docstring as plain text (show_doc italicises its first line only, so a sentence
    running on to the next line lost its closing `*`)."""
    md = SOURCE_LINK.sub('', md)
    if inspect.isclass(obj):
        md = md.replace(f'def {name}(', f'class {name}(', 1)
    head, fence, _ = md.rpartition('```')  # the signature's closing fence; the italic first line follows it
    return head + fence + '\n\n' + (inspect.getdoc(obj) or '') if fence else md


def api_page(module: str) -> str:
    "Markdown for one module: its docstring and `show_doc` of each name in its `__all__`."
    from nbdev.showdoc import show_doc

    mod = importlib.import_module(f'dd_nb.{module}')
    out = [f'# dd_nb.{module}', '', (mod.__doc__ or '').strip(), '']
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name)
        if callable(obj):
            out.append(api_entry(obj, name, show_doc(obj, name=name)._repr_markdown_()))
    return '\n\n'.join(out) + '\n'  # blank lines: a docstring above show_doc's `---` is no heading


def stage() -> list:
    "Write `.docs_src/` from the repository; returns the site's navigation."
    shutil.rmtree(STAGE, ignore_errors=True)
    (STAGE / 'api').mkdir(parents=True)
    shutil.copytree(ROOT / 'nbs' / 'images', STAGE / 'images')
    shutil.copy(ROOT / 'docs' / 'extra.css', STAGE / 'extra.css')
    (STAGE / 'index.md').write_text((ROOT / 'README.md').read_text().replace('](nbs/', ']('))
    notebooks = sorted(p for p in (ROOT / 'nbs').glob('*.ipynb') if p.name != 'index.ipynb')
    for p in notebooks:
        notebook_for_docs(p, STAGE / p.name)
    notebook_for_docs(ROOT / 'nbs' / 'index.ipynb', STAGE / 'tour.ipynb')
    modules = sorted(p.stem for p in (ROOT / 'dd_nb').glob('*.py') if not p.stem.startswith('_'))
    for m in modules:
        (STAGE / 'api' / f'{m}.md').write_text(api_page(m))
    return [
        {'Home': 'index.md'},
        {'Tour': 'tour.ipynb'},
        {'Notebooks': [p.name for p in notebooks]},
        {'API': [{f'dd_nb.{m}': f'api/{m}.md'} for m in modules]},
    ]


def on_config(config):
    "mkdocs hook: stage the sources, then read the pages from there."
    config['nav'] = stage()
    config['docs_dir'] = str(STAGE)
    return config
