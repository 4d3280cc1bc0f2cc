"""Build the chapter notebooks from their plain-text sources in notebooks/src/.

    python -m instructor.sources            # write notebooks/NN_*.ipynb from sources
    python -m instructor.sources --check    # exit 1 if a notebook is out of date
    python -m instructor.sources --solutions DIR   # solved copies (for graders)
    python -m instructor.sources --pull            # notebooks edited in JupyterLab -> sources
    python -m instructor.sources --pull DIR        # solved copies edited in DIR -> sources

The sources round-trip: `--pull` writes each notebook's cells back into its source (ids,
cell types, slide types, tags and text; other cell metadata is not kept and `--pull` names
what it drops). Pulling a solved copy (built with `--solutions`, marked so in its metadata)
writes its exercise cells into the `%%solution` blocks and keeps the stubs; pulling the
ordinary notebooks keeps the solutions.

A source file is a sequence of cells, each introduced by a header line::

    %%cell id=lenet-history type=markdown slide=slide
    %%cell id=lenet-train type=code slide=subslide tags=nbval-ignore-output
    %%solution id=lenet-ex1-code

`id` becomes the nbformat cell id (stable, so tests/lecture_checklist.json can point at
it); `slide` becomes `metadata.slideshow.slide_type`; `tags` (comma-separated) become
`metadata.tags` (`nbval-ignore-output` for cells whose output varies, `exercise` for the
cell a student edits, `check` for a cell printing a `week5.checks` verdict). A
`%%solution` block holds the reference answer for the exercise cell with that id: it is
not part of the student notebook, only of the solved copies.

Numbers in Markdown cells and speaker notes are references to what the run recorded
(``{glue:text}`name:.3f```, see week5/results.py). Once every code cell of a notebook has
its outputs, the build fills each reference from the records in those outputs and keeps
the source's text in the cell's ``metadata.week5.template`` (so `--pull` gives the
references back); a reference without a record is an error naming the cell and the name.
A notebook still to be executed keeps its references unfilled: build, execute, build.
`--check` fails when a filled text differs from what the records give.

Rebuilding keeps the outputs of every code cell whose id and source did not change, so
text edits do not throw away an executed notebook; a changed code cell loses its outputs
and the script says which notebooks need executing again::

    .venv/bin/python -m instructor.execute notebooks/NN_name.ipynb --profile laptop
"""
import argparse
import copy
import json
import sys
from pathlib import Path

from week5 import results

ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = ROOT / 'notebooks' / 'src'
OUT_DIR = ROOT / 'notebooks'
SLIDE_TYPES = ('slide', 'subslide', 'fragment', 'skip', 'notes', '-')
CELL_TYPES = ('markdown', 'code')
KERNELSPEC = {'display_name': 'Python 3 (ipykernel)', 'language': 'python', 'name': 'python3'}
LANGUAGE_INFO = {'name': 'python', 'version': '3.11', 'mimetype': 'text/x-python',
                 'file_extension': '.py', 'codemirror_mode': {'name': 'ipython', 'version': 3},
                 'nbconvert_exporter': 'python', 'pygments_lexer': 'ipython3'}


class SourceError(ValueError):
    """A malformed notebook source (names the file and line)."""


def _parse_header(line, where):
    kind, _, rest = line.partition(' ')
    fields = {}
    for item in rest.split():
        key, sep, value = item.partition('=')
        if not sep:
            raise SourceError(f'{where}: expected key=value in the header, got {item!r}')
        fields[key] = value
    return kind, fields


def parse_source(path):
    """(cells, solutions): cells as dicts (id, type, slide, tags, source);
    solutions as {exercise cell id: source}."""
    cells, solutions, current = [], {}, None
    lines = Path(path).read_text(encoding='utf-8').splitlines()
    for number, line in enumerate(lines, 1):
        where = f'{path}:{number}'
        if line.startswith('%%cell') or line.startswith('%%solution'):
            kind, fields = _parse_header(line, where)
            if kind == '%%cell':
                unknown = set(fields) - {'id', 'type', 'slide', 'tags'}
                if unknown or 'id' not in fields:
                    raise SourceError(f'{where}: a cell header needs id= and may have '
                                      f'type=, slide=, tags= (got {sorted(fields)})')
                cell = {'id': fields['id'], 'type': fields.get('type', 'markdown'),
                        'slide': fields.get('slide', '-'),
                        'tags': [t for t in fields.get('tags', '').split(',') if t],
                        'lines': []}
                if cell['type'] not in CELL_TYPES:
                    raise SourceError(f'{where}: type must be one of {CELL_TYPES}')
                if cell['slide'] not in SLIDE_TYPES:
                    raise SourceError(f'{where}: slide must be one of {SLIDE_TYPES}')
                cells.append(cell)
                current = cell
            elif kind == '%%solution':
                if set(fields) != {'id'}:
                    raise SourceError(f'{where}: a solution header is `%%solution id=CELL`')
                current = {'id': fields['id'], 'lines': []}
                solutions[fields['id']] = current
            else:
                raise SourceError(f'{where}: unknown header {kind!r}')
        elif current is None:
            if line.strip():
                raise SourceError(f'{where}: text before the first %%cell header')
        else:
            current['lines'].append(line)
    ids = [c['id'] for c in cells]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SourceError(f'{path}: duplicate cell ids {dupes}')
    for cell in cells:
        cell['source'] = '\n'.join(cell.pop('lines')).strip('\n')
    solved = {}
    for cid, sol in solutions.items():
        if cid not in ids:
            raise SourceError(f'{path}: solution for unknown cell id {cid!r}')
        solved[cid] = '\n'.join(sol['lines']).strip('\n')
    return cells, solved


def _new_cell(spec):
    metadata = {'slideshow': {'slide_type': spec['slide']}}
    if spec['tags']:
        metadata['tags'] = list(spec['tags'])
    cell = {'cell_type': spec['type'], 'id': spec['id'], 'metadata': metadata,
            'source': spec['source']}
    if spec['type'] == 'code':
        cell.update(execution_count=None, outputs=[])
    return cell


def _source_text(cell):
    source = cell.get('source', '')
    return ''.join(source) if isinstance(source, list) else source


def build_notebook(src_path, old=None):
    """The notebook dict for one source; outputs carried over from ``old`` where the
    code cell is unchanged. Returns (notebook, ids of code cells needing execution)."""
    cells, _ = parse_source(src_path)
    old_cells = {c.get('id'): c for c in (old or {}).get('cells', [])}
    new_cells, stale = [], []
    for spec in cells:
        cell = _new_cell(spec)
        if spec['type'] == 'code':
            prev = old_cells.get(spec['id'])
            if (prev is not None and prev.get('cell_type') == 'code'
                    and _source_text(prev) == spec['source']):
                cell['execution_count'] = prev.get('execution_count')
                cell['outputs'] = prev.get('outputs', [])
            if cell['execution_count'] is None:
                stale.append(spec['id'])
        new_cells.append(cell)
    if not stale:
        fill_references(new_cells, f'{Path(src_path).name}')
    metadata = copy.deepcopy((old or {}).get('metadata', {}))
    metadata['kernelspec'] = KERNELSPEC
    metadata.setdefault('language_info', LANGUAGE_INFO)
    return {'cells': new_cells, 'metadata': metadata, 'nbformat': 4,
            'nbformat_minor': 5}, stale


def fill_references(cells, where):
    """Fill the Markdown cells' references from the records in the code cells' outputs,
    keeping each filled cell's source text in ``metadata.week5.template``."""
    records = results.records_of({'cells': cells})
    for cell in cells:
        template = _source_text(cell)
        if cell['cell_type'] == 'markdown' and results.references(template):
            cell['source'] = results.fill(template, records, where=f'{where}: cell {cell["id"]}')
            cell['metadata']['week5'] = {'template': template}


def template_text(cell, records):
    """(the source text of a built cell, a note if its filled text was edited): a filled
    cell gives its references back."""
    text = _source_text(cell)
    template = cell.get('metadata', {}).get('week5', {}).get('template')
    if template is None:
        return text, None
    try:
        edited = results.fill(template, records) != text
    except results.RecordError:
        edited = True
    return template, (f'{cell.get("id")}: an edit of text filled from the run (edit its '
                      'references in the source instead)' if edited else None)


def solved_notebook(src_path, notebook):
    """A copy of ``notebook`` whose exercise cells hold the reference solutions."""
    _, solutions = parse_source(src_path)
    solved = copy.deepcopy(notebook)
    solved['metadata']['week5'] = {'solved': True}     # --pull writes its exercises to %%solution
    for cell in solved['cells']:
        if cell.get('id') in solutions:
            cell['source'] = solutions[cell['id']]
            cell['outputs'], cell['execution_count'] = [], None
    return solved


KEPT_METADATA = ('slideshow', 'tags', 'week5')


def source_text(notebook, src_path):
    """The source text for ``notebook`` (an nbformat dict), keeping what the current source
    at ``src_path`` holds that the notebook does not (the solutions, or for a solved copy
    the stubs). Returns (text, notes about metadata that the source cannot keep)."""
    old_cells, solutions = parse_source(src_path) if Path(src_path).exists() else ([], {})
    stubs = {c['id']: c['source'] for c in old_cells}
    solved = bool(notebook.get('metadata', {}).get('week5', {}).get('solved'))
    parts, dropped = [], []
    records = results.records_of(notebook)
    for cell in notebook['cells']:
        cid, kind = cell.get('id'), cell['cell_type']
        if kind not in CELL_TYPES:
            raise SourceError(f'{src_path}: cell {cid} is a {kind} cell; sources hold only '
                              f'{CELL_TYPES} cells: change its type in JupyterLab')
        meta = cell.get('metadata', {})
        slide = meta.get('slideshow', {}).get('slide_type', '-')
        tags = list(meta.get('tags', []))
        bad = [t for t in tags if not t or ',' in t or any(ch.isspace() for ch in t)]
        if bad or slide not in SLIDE_TYPES or not cid or any(ch.isspace() for ch in cid):
            raise SourceError(f'{src_path}: cell {cid!r}: ids and tags may not hold spaces or '
                              f'commas (tags {bad}), slide types are {SLIDE_TYPES}')
        dropped += [f'{cid}: metadata {k}' for k in meta if k not in KEPT_METADATA]
        text, note = template_text(cell, records)
        dropped += [note] if note else []
        if solved and cid in solutions:
            solutions[cid], text = text, stubs.get(cid, text)
        header = f'%%cell id={cid} type={kind} slide={slide}' + (f' tags={",".join(tags)}' if tags else '')
        parts.append(f'{header}\n{text}\n')
        if cid in solutions:
            parts.append(f'%%solution id={cid}\n{solutions[cid]}\n')
    return '\n'.join(parts), dropped


def pull(notebook_path, src_path):
    """Write ``notebook_path`` (edited in JupyterLab) back into ``src_path``; returns the
    notes about dropped metadata. The source parses back to the notebook's cells."""
    notebook = json.loads(Path(notebook_path).read_text(encoding='utf-8'))
    text, dropped = source_text(notebook, src_path)
    Path(src_path).write_text(text, encoding='utf-8')
    parse_source(src_path)          # what was written must read back
    return dropped


def dumps(notebook):
    """The text nbformat (and so `nbconvert --inplace`) writes for ``notebook``."""
    import nbformat
    return nbformat.writes(nbformat.from_dict(copy.deepcopy(notebook)), version=4)


def skeleton(notebook):
    """What a notebook must share with its source: ids, types, sources, metadata."""
    return [(c.get('id'), c['cell_type'], _source_text(c), c.get('metadata', {}))
            for c in notebook['cells']]


def sources(names=()):
    paths = sorted(SRC_DIR.glob('*.nbsrc'))
    if names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in names)]
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*', help='notebook name prefixes (default: all)')
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if a notebook differs from its source')
    parser.add_argument('--solutions', metavar='DIR',
                        help='also write solved copies of the notebooks into DIR')
    parser.add_argument('--pull', metavar='DIR', nargs='?', const=str(OUT_DIR),
                        help='write notebooks edited in JupyterLab (default: notebooks/) back '
                             'into their sources, then rebuild')
    args = parser.parse_args(argv)
    if args.pull:
        for src in sources(args.names):
            edited = Path(args.pull) / f'{src.stem}.ipynb'
            if edited.exists():
                for note in pull(edited, src):
                    print(f'  {src.name}: not kept: {note}')
                print(f'pulled {edited} -> {src.relative_to(ROOT)}')
    out_of_date = []
    for src in sources(args.names):
        target = OUT_DIR / f'{src.stem}.ipynb'
        old = json.loads(target.read_text(encoding='utf-8')) if target.exists() else None
        try:
            notebook, stale = build_notebook(src, old)
        except results.RecordError as e:
            print(f'error: {e}', file=sys.stderr)
            out_of_date.append(f'{target.name} (a reference without a record: {e.name})')
            continue
        text = dumps(notebook)
        if args.check:
            if old is None:
                out_of_date.append(target.name)
            elif skeleton(old) != skeleton(notebook):
                differ = [new[0] for was, new in zip(skeleton(old), skeleton(notebook))
                          if was != new]
                out_of_date.append(f'{target.name} (first: {(differ or ["cells added or removed"])[0]})')
            elif stale:
                out_of_date.append(f'{target.name} (not executed: {stale[0]})')
            continue
        if old is None or dumps(old) != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding='utf-8')
            print(f'wrote {target.relative_to(ROOT)}')
        if stale:
            print(f'  {target.name}: {len(stale)} code cell(s) need executing '
                  f'(first: {stale[0]})')
        if args.solutions:
            out = Path(args.solutions)
            out.mkdir(parents=True, exist_ok=True)
            (out / target.name).write_text(dumps(solved_notebook(src, notebook)),
                                           encoding='utf-8')
    if out_of_date:
        print('out of date (run python -m instructor.sources): ' + ', '.join(out_of_date))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
