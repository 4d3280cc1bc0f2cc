"""Reading notebooks and building the graded copy (the grader's side; no student code runs here).

A submission is read into memory and validated (``load_notebook``); the graded copy is
built from the student's code cells matched to the reference's (``build_graded_notebook``):
unchanged cells carry the reference's outputs and are compared the way nbval compares them
(``outputs_differ``, with ``sanitize.cfg``), cells the student wrote must only run, and
check cells always run with the reference's source.
"""
import json
import re
from collections import defaultdict
from pathlib import Path

import nbformat
from nbval.plugin import coalesce_streams, find_comment_markers, find_metadata_tags, get_sanitize_patterns

from week5.checks import VERDICT_RE, parse_verdicts

__all__ = ['GradingInputError', 'load_notebook', 'output_text', 'is_check_cell', 'expected_checks',
           'setup_sources', 'build_graded_notebook', 'nbval_options', 'load_sanitize',
           'outputs_differ', 'CHECK_CALL_RE', 'default_reference_dir']

CHECK_CALL_RE = re.compile(r'\bcheck_(?P<name>[A-Za-z0-9_]+)\s*\(')
# nbval's comment markers and cell tags: a student must not be able to switch checking off.
NBVAL_COMMENT_RE = re.compile(
    r'^(\s*)#+\s*(NBVAL_\w+|PYTEST_VALIDATE_IGNORE_OUTPUT)\s*$', re.MULTILINE)
NBVAL_TAGS = {'nbval-ignore-output', 'nbval-check-output', 'nbval-raises-exception',
              'nbval-skip', 'raises-exception'}
# What nbval leaves out when it compares outputs (without --nbdime), and the records of
# numbers for the text (week5.results.MIME; notebooks/conftest.py tells nbval the same;
# spelled out here because grading never imports week5, which loads MXNet).
SKIP_COMPARE = {'metadata', 'traceback', 'prompt_number', 'output_type', 'name', 'execution_count',
                'application/vnd.jupyter.widget-view+json', 'image/png', 'image/jpeg',
                'application/vnd.week5.record+json'}
REPO_ROOT = Path(__file__).resolve().parents[2]


class GradingInputError(ValueError):
    """A submission or reference notebook that cannot be graded (the reason is the message)."""



# ---------------------------------------------------------------- reading notebooks

def _decode(raw):
    """The text of a notebook file as an editor saved it: UTF-8 with or without the BOM
    Windows editors add, or UTF-16 with its BOM (Notepad's "Unicode")."""
    if raw.startswith((b'\xff\xfe', b'\xfe\xff')):
        return raw.decode('utf-16')
    return raw.decode('utf-8-sig')


def _normalize(data):
    """The shapes editors save a v4 notebook in, made valid without changing what runs.

    VS Code and nbclassic write cell ``id``s into notebooks whose ``nbformat_minor`` is
    below 5 (invalid there): the notebook is read as 4.5, and cells without an id get one.
    Windows line ends in a cell's source become ``\n`` (so an unchanged cell still matches
    the reference's)."""
    cells = data.get('cells')
    if data.get('nbformat') != 4 or not isinstance(cells, list):
        return data
    has_ids = any(isinstance(c, dict) and 'id' in c for c in cells)
    if has_ids or data.get('nbformat_minor', 0) >= 5:
        data['nbformat_minor'] = max(5, data.get('nbformat_minor', 0))
        taken = {c.get('id') for c in cells if isinstance(c, dict)}
        for i, c in enumerate(cells):
            if isinstance(c, dict) and not c.get('id'):
                new = f'week5-grader-{i}'
                while new in taken:
                    new += '-'
                c['id'] = new
                taken.add(new)
    for c in cells:
        if isinstance(c, dict) and isinstance(c.get('source'), (str, list)):
            src = c['source'] if isinstance(c['source'], str) else ''.join(map(str, c['source']))
            c['source'] = src.replace('\r\n', '\n')
    return data


def load_notebook(path_or_bytes):
    """Read and validate a notebook (a path, or its bytes already read); GradingInputError
    says what is wrong with the file.

    Every shape an editor saves is read as written: JupyterLab and Notebook (4.x), Colab
    (its metadata), VS Code (ids in older minor versions), Jupyter before 4.0 (nbformat 3,
    converted), Windows editors (BOM, CRLF, UTF-16)."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        raw = bytes(path_or_bytes)
    else:
        try:
            raw = Path(path_or_bytes).read_bytes()
        except OSError as e:
            raise GradingInputError(f'cannot read file: {e.strerror}') from None
    if not raw.strip():
        raise GradingInputError('empty file')
    try:
        data = json.loads(_decode(raw))
    except UnicodeDecodeError:
        raise GradingInputError('not a text file (not UTF-8 or UTF-16)') from None
    except json.JSONDecodeError as e:
        raise GradingInputError(f'invalid JSON ({e.msg} at line {e.lineno}, column {e.colno})') from None
    if not isinstance(data, dict) or 'nbformat' not in data:
        raise GradingInputError('not a Jupyter notebook (no "nbformat" field)')
    if data.get('nbformat') not in (3, 4):
        raise GradingInputError(f'nbformat {data.get("nbformat")!r} is not a notebook version '
                                'Jupyter writes (3 or 4): save it again from Jupyter')
    try:
        nb = nbformat.reads(json.dumps(_normalize(data)), as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # nbformat raises several types for malformed notebooks
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GradingInputError(f'not a valid notebook: {first[:120]}') from None
    if nb.nbformat_minor < 5:
        nb.nbformat_minor = 5
        for i, c in enumerate(nb.cells):
            c.setdefault('id', f'week5-grader-{i}')
    return nb


def default_reference_dir():
    """``notebooks/`` of the working folder, else of this checkout."""
    here = Path('notebooks')
    return here if here.is_dir() else REPO_ROOT / 'notebooks'


def _text(value):
    return value if isinstance(value, str) else ''.join(value)


def output_text(outputs):
    """The printed text (streams and text/plain) of a list of nbformat outputs."""
    parts = []
    for out in outputs:
        if out.get('output_type') == 'stream':
            parts.append(_text(out.get('text', '')))
        elif out.get('output_type') in ('display_data', 'execute_result'):
            parts.append(_text(out.get('data', {}).get('text/plain', '')))
    return '\n'.join(parts)



def is_check_cell(cell):
    """A code cell tagged `check`, calling a `check_*` function or printing a verdict."""
    return cell.cell_type == 'code' and (
        'check' in cell.metadata.get('tags', [])
        or CHECK_CALL_RE.search(cell.source) is not None
        or VERDICT_RE.search(output_text(cell.get('outputs', []))) is not None)


def expected_checks(ref_nb):
    """Check names the reference expects, in notebook order.

    They are read from the reference's executed outputs; a check cell that was never run
    contributes the name of the function it calls (``check_vgg_bn_block(...)`` -> ``vgg_bn_block``).
    """
    names = []
    for cell in ref_nb.cells:
        if not is_check_cell(cell):
            continue
        found = [c.name for c in parse_verdicts(output_text(cell.get('outputs', [])))]
        if not found:
            found = [m.group('name') for m in CHECK_CALL_RE.finditer(cell.source)]
        names.extend(n for n in found if n not in names)
    return names


def setup_sources(ref_nb):
    """What a restarted kernel runs before the remaining cells: the reference's cells tagged
    ``setup``, else its first code cell (the imports)."""
    code = [c for c in ref_nb.cells if c.cell_type == 'code']
    tagged = [c.source for c in code if 'setup' in c.metadata.get('tags', [])]
    return tagged or [c.source for c in code[:1]]


# ---------------------------------------------------------------- the graded copy

def _disarm_markers(source):
    """Turn nbval comment markers a student wrote into plain comments."""
    return NBVAL_COMMENT_RE.sub(lambda m: f'{m.group(1)}# (grader: ignored {m.group(2)})', source)


def _first_line(source, width=40):
    line = next((ln.strip() for ln in source.splitlines() if ln.strip()), '')
    return line if len(line) <= width else line[:width - 3] + '...'


def build_graded_notebook(student_nb, ref_nb):
    """The notebook nbval runs, plus a label and a role for each of its code cells.

    Returns ``(nb, labels, check_cells)``: ``labels[i]`` names code cell ``i`` of the graded
    copy in the student's terms ("cell 7 `def vgg_bn_block(...`"), ``check_cells`` is the set
    of code-cell indices that came from the reference's check cells.
    """
    ref_code = [c for c in ref_nb.cells if c.cell_type == 'code']
    by_id = {c.get('id'): i for i, c in enumerate(ref_code) if c.get('id')}
    by_source = {}
    for i, c in enumerate(ref_code):
        by_source.setdefault(c.source.strip(), []).append(i)
    check_refs = {i for i, c in enumerate(ref_code) if is_check_cell(c)}

    used = set()
    emitted = []  # (cell, label, ref index or None)
    for pos, cell in enumerate(student_nb.cells, start=1):
        if cell.cell_type != 'code':
            continue
        ref_i = by_id.get(cell.get('id'))
        if ref_i is None or ref_i in used:
            ref_i = next((i for i in by_source.get(cell.source.strip(), []) if i not in used), None)
        label = f'cell {pos} `{_first_line(cell.source)}`'
        if ref_i is not None and ref_i in check_refs:
            used.add(ref_i)
            emitted.append((_as_check_cell(ref_code[ref_i]), label, ref_i))
        elif ref_i is not None and cell.source.strip() == ref_code[ref_i].source.strip():
            used.add(ref_i)
            emitted.append((nbformat.from_dict(ref_code[ref_i]), label, ref_i))
        else:
            if ref_i is not None:
                used.add(ref_i)
            emitted.append((_as_student_cell(cell), label, ref_i))

    # Check cells the student deleted go back after the cell they followed in the reference.
    for ref_i in sorted(check_refs - used):
        new = (_as_check_cell(ref_code[ref_i]),
               f'check cell `{_first_line(ref_code[ref_i].source)}` (restored from the reference)',
               ref_i)
        at = next((k + 1 for k in range(len(emitted) - 1, -1, -1)
                   if emitted[k][2] is not None and emitted[k][2] < ref_i), len(emitted))
        emitted.insert(at, new)

    nb = nbformat.v4.new_notebook(metadata={'kernelspec': ref_nb.metadata.get('kernelspec', {})})
    nb.cells = [c for c, _, _ in emitted]
    labels = [label for _, label, _ in emitted]
    checks = {k for k, (c, _, _) in enumerate(emitted) if c.metadata.get('week5_grade') == 'check'}
    return nb, labels, checks


def _as_check_cell(ref_cell):
    """The reference's check cell, run but not compared (its verdicts are parsed instead)."""
    cell = nbformat.v4.new_code_cell(ref_cell.source)
    cell.metadata['week5_grade'] = 'check'
    return cell


def _as_student_cell(student_cell):
    """A cell the student wrote: it must run, its output is not compared."""
    cell = nbformat.v4.new_code_cell(_disarm_markers(student_cell.source))
    tags = [t for t in student_cell.metadata.get('tags', []) if t not in NBVAL_TAGS]
    if tags:
        cell.metadata['tags'] = tags
    return cell


def nbval_options(cell):
    """nbval's options of a cell from its tags and comment markers (comments win)."""
    options = dict(find_metadata_tags(cell.metadata))
    options.update(find_comment_markers(cell.source))
    return options



def load_sanitize(path):
    """nbval's (regex, replacement) pairs from a sanitize file (None: no file)."""
    if path is None:
        return []
    try:
        return get_sanitize_patterns(Path(path).read_text(encoding='utf-8'))
    except OSError as e:
        raise ValueError(f'sanitize file {str(path)!r} cannot be read ({e.strerror}): pass an '
                         'existing sanitize.cfg, or none') from None


def _comparable(outputs, patterns):
    """Outputs as nbval compares them: streams coalesced, keys flattened, sanitized."""

    def clean(value):
        if not isinstance(value, str):
            return value
        for regex, replace in patterns:
            value = re.sub(regex, replace, value)
        return value

    flat = defaultdict(list)
    nodes = coalesce_streams([nbformat.from_dict(dict(o)) for o in outputs])
    for out in nodes:
        if out.get('output_type') == 'stream':
            flat[out['name']].append(clean(_text(out.get('text', ''))))
            continue
        for key, value in out.items():
            if key == 'data':
                for mime, data in value.items():
                    if mime not in SKIP_COMPARE:
                        flat[mime].append(clean(_text(data) if isinstance(data, list) else data))
            elif key not in SKIP_COMPARE:
                flat[key].append(clean(value))
    return dict(flat)


def outputs_differ(outputs, ref_cell, patterns):
    """True if a run of an unchanged cell does not reproduce the reference's outputs."""
    if ref_cell.get('execution_count') is None or nbval_options(ref_cell).get('check') is False:
        return False
    return _comparable(outputs, patterns) != _comparable(ref_cell.get('outputs', []), patterns)

