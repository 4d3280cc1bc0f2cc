"""Grade a folder of student notebooks with nbval against the reference notebooks.

    python -m week5.grade SUBMISSIONS_DIR [--reference notebooks/] [--out report.csv]
                          [--timeout 300] [--notebook-timeout 900] [--jobs 2]

Layout: one folder per student, holding notebooks named like the reference ones::

    SUBMISSIONS_DIR/alice/03_vgg.ipynb
    SUBMISSIONS_DIR/alice/05_googlenet.ipynb
    SUBMISSIONS_DIR/bob/03_vgg.ipynb

Every notebook name that at least one student submitted is graded for every student
(a student without it gets the status ``missing``). A name with no reference notebook is
reported as ``unknown-notebook``.

How one submission is graded:

1. The student's notebook is read; invalid JSON or a file that is not a notebook gives
   the status ``unreadable`` with the reason, and grading moves on.
2. A graded copy is built from the student's code cells, matched to the reference cells
   by cell id, else by identical source. A cell the student left unchanged gets the
   reference's outputs and nbval tags, so nbval compares the student's run against the
   reference outputs. A cell the student wrote or edited is run (it must not raise) but
   its output is not compared, and nbval markers the student added are disarmed. Check
   cells (tagged ``check``, calling a ``check_*`` function or printing ``[week5 check]``
   verdicts in the reference) always run with the reference's source, and are put back if the
   student deleted them.
3. ``pytest --nbval`` runs the copy in a fresh subprocess in a scratch folder, in the
   ``quick`` profile, with a per-cell timeout and a wall timeout for the whole notebook.
   A small pytest plugin (a ``conftest.py`` written beside the copy) records each cell's
   outcome and outputs as it goes, so a killed run still leaves what it did.
4. The ``[week5 check] <name>: PASSED`` / ``FAILED - <reason>`` lines printed by the check
   cells are the exercise verdicts; the checks expected are those the reference
   notebook's outputs name. A check that printed nothing fails with the reason (the cell
   raised, timed out, was not reached).

The report lists, per student and notebook, the checks passed and failed (with reasons),
the cells that raised or timed out, the unchanged cells whose output differs from the
reference, and a total; per student a ``TOTAL`` row sums the notebooks. It is written as
CSV (``--out``) and printed as a table.

Student code runs with your permissions: grade in a throwaway container or account.
"""
import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .checks import VERDICT_RE, CheckResult, parse_verdicts as parse_verdict_list

__all__ = ['NotebookResult', 'grade', 'grade_notebook', 'write_csv',
           'format_table', 'main']

CHECK_CALL_RE = re.compile(r'\bcheck_(?P<name>[A-Za-z0-9_]+)\s*\(')
# nbval's comment markers and cell tags: a student must not be able to switch checking off.
NBVAL_COMMENT_RE = re.compile(
    r'^(\s*)#+\s*(NBVAL_\w+|PYTEST_VALIDATE_IGNORE_OUTPUT)\s*$', re.MULTILINE)
NBVAL_TAGS = {'nbval-ignore-output', 'nbval-check-output', 'nbval-raises-exception',
              'nbval-skip', 'raises-exception'}
DEFAULT_CELL_TIMEOUT = 300
DEFAULT_NOTEBOOK_TIMEOUT = 900
REPO_ROOT = Path(__file__).resolve().parents[1]

# Written as conftest.py beside the graded copy: records each cell as nbval runs it, one
# JSON line per cell, flushed at once so that a run killed at the wall timeout keeps them.
_CAPTURE_PLUGIN = textwrap.dedent('''\
    import json, os
    import pytest

    _LOG = os.environ["WEEK5_GRADE_LOG"]

    def _texts(outputs):
        rows = []
        for out in outputs or ():
            kind = out.get("output_type")
            if kind == "stream":
                rows.append({"type": "stream", "name": out.get("name"), "text": out.get("text", "")})
            elif kind == "error":
                rows.append({"type": "error", "ename": out.get("ename", ""),
                             "evalue": out.get("evalue", "")})
            elif kind in ("display_data", "execute_result"):
                text = out.get("data", {}).get("text/plain", "")
                rows.append({"type": "data", "text": text if isinstance(text, str) else "".join(text)})
        return rows

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        cell_num = getattr(item, "cell_num", None)
        if cell_num is None or (call.when != "call" and report.passed):
            return
        message = ""
        if call.excinfo is not None:
            exc = call.excinfo.value
            if exc.args and isinstance(exc.args[0], str) and type(exc).__name__ == "NbCellError":
                message = exc.args[0]
            else:
                message = f"{type(exc).__name__}: {exc}"

        record = {"cell": cell_num, "when": call.when, "outcome": report.outcome,
                  "xfail": bool(getattr(report, "wasxfail", "")), "message": message,
                  "outputs": _texts(getattr(item, "test_outputs", None))}
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\\n")
    ''')


class GradingInputError(ValueError):
    """A submission or reference notebook that cannot be graded (the reason is the message)."""


@dataclass
class NotebookResult:
    student: str
    notebook: str
    status: str  # ok | errors | timeout | killed | unreadable | missing | unknown-notebook
    checks: list = field(default_factory=list)
    errored_cells: list = field(default_factory=list)
    differing_cells: list = field(default_factory=list)
    seconds: float = 0.0
    note: str = ''

    @property
    def passed(self):
        return sum(c.passed for c in self.checks)

    @property
    def total(self):
        return len(self.checks)


# ---------------------------------------------------------------- reading notebooks

def load_notebook(path):
    """Read and validate a notebook; GradingInputError says what is wrong with the file."""
    import nbformat
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GradingInputError(f'cannot read file: {e.strerror}') from None
    if not raw.strip():
        raise GradingInputError('empty file')
    try:
        data = json.loads(raw.decode('utf-8'))
    except UnicodeDecodeError:
        raise GradingInputError('not a text file (not UTF-8)') from None
    except json.JSONDecodeError as e:
        raise GradingInputError(f'invalid JSON ({e.msg} at line {e.lineno}, column {e.colno})') from None
    if not isinstance(data, dict) or 'nbformat' not in data:
        raise GradingInputError('not a Jupyter notebook (no "nbformat" field)')
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # nbformat raises several types for malformed notebooks
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GradingInputError(f'not a valid notebook: {first[:120]}') from None
    return nb


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


def parse_verdicts(text):
    """{check name: CheckResult} from `[week5 check]` lines; a later line wins."""
    return {c.name: c for c in parse_verdict_list(text)}


def is_check_cell(cell):
    """A code cell tagged `check`, calling a `check_*` function or printing a verdict."""
    return cell.cell_type == 'code' and (
        'check' in cell.metadata.get('tags', [])
        or CHECK_CALL_RE.search(cell.source) is not None
        or VERDICT_RE.search(output_text(cell.get('outputs', []))) is not None)


def expected_checks(ref_nb):
    """Check names the reference expects, in notebook order.

    They are read from the reference's executed outputs; a check cell that was never run
    contributes the name of the function it calls (``check_vgg_block(...)`` -> ``vgg_block``).
    """
    names = []
    for cell in ref_nb.cells:
        if not is_check_cell(cell):
            continue
        found = list(parse_verdicts(output_text(cell.get('outputs', []))))
        if not found:
            found = [m.group('name') for m in CHECK_CALL_RE.finditer(cell.source)]
        names.extend(n for n in found if n not in names)
    return names


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
    copy in the student's terms ("cell 7 `def vgg_block(...`"), ``check_cells`` is the set
    of code-cell indices that came from the reference's check cells.
    """
    import nbformat
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
    import nbformat
    cell = nbformat.v4.new_code_cell(ref_cell.source)
    cell.metadata['week5_grade'] = 'check'
    return cell


def _as_student_cell(student_cell):
    """A cell the student wrote: it must run, its output is not compared."""
    import nbformat
    cell = nbformat.v4.new_code_cell(_disarm_markers(student_cell.source))
    tags = [t for t in student_cell.metadata.get('tags', []) if t not in NBVAL_TAGS]
    if tags:
        cell.metadata['tags'] = tags
    return cell


# ---------------------------------------------------------------- running nbval

def _kill_group(proc):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def run_nbval(nb_path, log_path, cell_timeout, notebook_timeout, sanitize=None, profile='quick',
              threads=None):
    """Run ``pytest --nbval`` on one notebook in a subprocess; True if it finished in time."""
    nb_path = Path(nb_path)
    (nb_path.parent / 'conftest.py').write_text(_CAPTURE_PLUGIN, encoding='utf-8')
    cmd = [sys.executable, '-m', 'pytest', '--nbval', '--nbval-current-env',
           f'--nbval-cell-timeout={cell_timeout}', '-p', 'no:cacheprovider',
           '--rootdir', str(nb_path.parent), '-o', 'addopts=', '-q', '--no-header',
           '-W', 'ignore::UserWarning']
    if sanitize:
        cmd += ['--nbval-sanitize-with', str(sanitize)]
    cmd.append(str(nb_path))
    env = dict(os.environ, WEEK5_PROFILE=profile, WEEK5_GRADE_LOG=str(log_path),
               PYTHONDONTWRITEBYTECODE='1', MPLBACKEND='module://matplotlib_inline.backend_inline')
    if threads:
        env.setdefault('OMP_NUM_THREADS', str(threads))
    proc = subprocess.Popen(cmd, cwd=nb_path.parent, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        proc.wait(timeout=notebook_timeout)
        return True
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return False


def read_log(log_path):
    """Cell records written by the capture plugin, keyed by code-cell index (last wins)."""
    records = {}
    try:
        lines = Path(log_path).read_text(encoding='utf-8').splitlines()
    except FileNotFoundError:
        return records
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a kill
        records[rec['cell']] = rec
    return records


def _error_summary(rec):
    errors = [o for o in rec['outputs'] if o['type'] == 'error']
    if errors:
        e = errors[-1]
        value = e['evalue'].strip().splitlines()[0] if e['evalue'].strip() else ''
        return f"{e['ename']}: {value}"[:160] if value else e['ename']
    return rec['message'].strip().splitlines()[0][:160] if rec['message'].strip() else 'failed'


def _is_timeout(rec):
    return 'Timeout' in rec['message']


# ---------------------------------------------------------------- grading

def classify_cells(records, labels, check_cells, cell_timeout):
    """Sort the capture plugin's cell records into what the report says.

    Returns a dict: ``errored`` (readable lines), ``differing`` (labels of cells whose
    output differs from the reference), ``timed_out``, ``cell_problem`` ({code-cell index:
    why it gave nothing}) and ``verdicts`` ({check name: CheckResult} printed by check cells).
    """
    errored, differing, timed_out, setup_error = [], [], False, None
    verdicts, cell_problem = {}, {}
    for i, rec in sorted(records.items()):
        if i >= len(labels):
            continue
        label = labels[i]
        if _is_timeout(rec):
            timed_out = True
            cell_problem[i] = f'timed out after {cell_timeout:g} s'
            errored.append(f'{label}: timed out after {cell_timeout:g} s')
        elif any(o['type'] == 'error' for o in rec['outputs']) or rec['message'].startswith('Cell execution'):
            cell_problem[i] = f'raised {_error_summary(rec)}'
            errored.append(f'{label}: {_error_summary(rec)}')
        elif 'differ' in rec['message']:
            if not rec['xfail']:  # after a timeout every later cell is expected to fail
                differing.append(label)
        elif rec['when'] == 'setup' and rec['outcome'] == 'failed':
            setup_error = setup_error or f'the notebook could not start: {_error_summary(rec)}'
            cell_problem[i] = 'not run: the notebook could not start'
        elif rec['outcome'] != 'passed' and rec['message'].strip():
            # e.g. "Kernel dead on test start" after a cell killed the kernel
            summary = _error_summary(rec)
            cell_problem[i] = f'not run: {summary}'
            if not any(e.endswith(summary) for e in errored):
                errored.append(f'{label}: {summary}')
        if i in check_cells:
            text = '\n'.join(o.get('text', '') for o in rec['outputs'] if o['type'] in ('stream', 'data'))
            verdicts.update(parse_verdicts(text))
    if setup_error:
        errored.insert(0, setup_error)
    return {'errored': errored, 'differing': differing, 'timed_out': timed_out,
            'cell_problem': cell_problem, 'verdicts': verdicts}


def grade_notebook(student, student_path, ref_path, cell_timeout=DEFAULT_CELL_TIMEOUT,
                   notebook_timeout=DEFAULT_NOTEBOOK_TIMEOUT, sanitize=None, profile='quick',
                   threads=None):
    """Grade one student notebook against its reference; never raises for a bad submission."""
    name = Path(ref_path).name
    ref_nb = load_notebook(ref_path)
    expected = expected_checks(ref_nb)
    start = time.monotonic()

    def failed_all(status, reason, note=''):
        return NotebookResult(student, name, status, [CheckResult(n, False, reason) for n in expected],
                              note=note or reason, seconds=round(time.monotonic() - start, 1))

    if student_path is None:
        return failed_all('missing', 'notebook not submitted')
    try:
        student_nb = load_notebook(student_path)
    except GradingInputError as e:
        return failed_all('unreadable', 'notebook unreadable', note=f'unreadable: {e}')

    import nbformat
    nb, labels, check_cells = build_graded_notebook(student_nb, ref_nb)
    with tempfile.TemporaryDirectory(prefix='week5-grade-') as tmp:
        graded = Path(tmp) / name
        nbformat.write(nb, str(graded))
        log = Path(tmp) / 'cells.jsonl'
        finished = run_nbval(graded, log, cell_timeout, notebook_timeout, sanitize, profile, threads)
        records = read_log(log)

    outcome = classify_cells(records, labels, check_cells, cell_timeout)
    errored, differing = outcome['errored'], outcome['differing']
    verdicts, cell_problem = outcome['verdicts'], outcome['cell_problem']
    checks = []
    for n in expected + [n for n in verdicts if n not in expected]:
        if n in verdicts:
            checks.append(verdicts[n])
        else:
            checks.append(CheckResult(n, False, _missing_reason(n, nb, check_cells, records, cell_problem,
                                                                finished, notebook_timeout)))
    status = ('killed' if not finished else 'timeout' if outcome['timed_out']
              else 'errors' if errored else 'ok')
    note = '' if finished else f'stopped after the {notebook_timeout:g} s notebook timeout'
    return NotebookResult(student, name, status, checks, errored, differing,
                          round(time.monotonic() - start, 1), note)


def _missing_reason(check, nb, check_cells, records, cell_problem, finished, notebook_timeout):
    """Why a check printed no verdict: its cell raised, timed out or was never reached."""
    cells = [i for i in sorted(check_cells)
             if check in {m.group('name') for m in CHECK_CALL_RE.finditer(nb.cells[i].source)}]
    cells = cells or sorted(check_cells)
    for i in cells:
        if i in cell_problem:
            return f'check cell {cell_problem[i]}'
    if not finished and not any(i in records for i in cells):
        return f'not reached: notebook stopped at the {notebook_timeout:g} s timeout'
    if not any(i in records for i in cells):
        return 'check did not run'
    return 'check printed no verdict'


def find_submissions(submissions_dir):
    """{student: {notebook name: path}} from SUBMISSIONS_DIR/<student>/<notebook>.ipynb."""
    root = Path(submissions_dir)
    if not root.is_dir():
        raise ValueError(f'submissions_dir {str(root)!r} is not a folder: pass the folder that holds '
                         'one sub-folder per student (SUBMISSIONS_DIR/<student>/<notebook>.ipynb)')
    students = {}
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith('.')):
        nbs = {p.name: p for p in sorted(student_dir.glob('*.ipynb'))}
        students[student_dir.name] = nbs
    loose = sorted(p.name for p in root.glob('*.ipynb'))
    if loose:
        raise ValueError(f'submissions_dir holds notebooks directly ({", ".join(loose[:3])}): put each '
                         'student\'s notebooks in a folder named after the student, '
                         'SUBMISSIONS_DIR/<student>/<notebook>.ipynb')
    if not any(students.values()):
        raise ValueError(f'no notebooks found in {str(root)!r}: expected '
                         'SUBMISSIONS_DIR/<student>/<notebook>.ipynb')
    return students


def default_reference_dir():
    here = Path('notebooks')
    return here if here.is_dir() else REPO_ROOT / 'notebooks'


def grade(submissions_dir, reference_dir=None, jobs=2, cell_timeout=DEFAULT_CELL_TIMEOUT,
          notebook_timeout=DEFAULT_NOTEBOOK_TIMEOUT, profile='quick', notebooks=None, progress=None):
    """Grade every submission; returns NotebookResults ordered by student then notebook."""
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f'jobs must be a positive integer, got {jobs!r}')
    for pname, value in (('cell_timeout', cell_timeout), ('notebook_timeout', notebook_timeout)):
        if not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f'{pname} must be a positive number of seconds, got {value!r}')
    reference_dir = Path(reference_dir) if reference_dir is not None else default_reference_dir()
    reference_dir = reference_dir.resolve()  # the runs happen in scratch folders
    if not reference_dir.is_dir():
        raise ValueError(f'reference_dir {str(reference_dir)!r} is not a folder: pass --reference '
                         'with the folder of reference notebooks (e.g. notebooks/)')
    references = {p.name: p for p in reference_dir.glob('*.ipynb')}
    sanitize = reference_dir / 'sanitize.cfg'
    sanitize = sanitize if sanitize.is_file() else None
    students = find_submissions(submissions_dir)
    names = sorted({n for nbs in students.values() for n in nbs})
    if notebooks:
        wanted = {n if n.endswith('.ipynb') else n + '.ipynb' for n in notebooks}
        names = [n for n in names if n in wanted]

    results, tasks = [], []
    for student, nbs in students.items():
        for n in names:
            if n not in references:
                if n in nbs:
                    results.append(NotebookResult(
                        student, n, 'unknown-notebook',
                        note=f'no reference notebook {n} in {reference_dir}; known: '
                             + ', '.join(sorted(references))))
                continue
            tasks.append((student, nbs.get(n), references[n]))

    threads = max(1, (os.cpu_count() or 1) // jobs)
    done = []

    def run(task):
        result = grade_notebook(*task, cell_timeout=cell_timeout, notebook_timeout=notebook_timeout,
                                sanitize=sanitize, profile=profile, threads=threads)
        done.append(result)
        if progress:
            progress(f'[{len(done)}/{len(tasks)}] {result.student}/{result.notebook}: '
                     f'{result.passed}/{result.total} checks, {result.status}, {result.seconds:.0f} s')
        return result

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results.extend(pool.map(run, tasks))
    return sorted(results, key=lambda r: (r.student, r.notebook))


# ---------------------------------------------------------------- reports

WHOLE_NOTEBOOK_STATUSES = ('missing', 'unreadable', 'unknown-notebook')
CSV_FIELDS = ['student', 'notebook', 'status', 'passed', 'total', 'score_percent', 'passed_checks',
              'failed_checks', 'errored_cells', 'outputs_differ', 'seconds', 'note']


def _rows(results):
    """Per-notebook rows, then one TOTAL row per student."""
    by_student = {}
    for r in results:
        by_student.setdefault(r.student, []).append(r)
    for student, rs in by_student.items():
        for r in rs:
            yield {
                'student': r.student, 'notebook': r.notebook, 'status': r.status,
                'passed': r.passed, 'total': r.total,
                'score_percent': f'{100 * r.passed / r.total:.0f}' if r.total else '',
                'passed_checks': '; '.join(c.name for c in r.checks if c.passed),
                'failed_checks': '; '.join(f'{c.name}: {c.reason}' for c in r.checks if not c.passed),
                'errored_cells': '; '.join(r.errored_cells),
                'outputs_differ': '; '.join(r.differing_cells),
                'seconds': f'{r.seconds:.1f}', 'note': r.note}
        passed, total = sum(r.passed for r in rs), sum(r.total for r in rs)
        yield {'student': student, 'notebook': 'TOTAL',
               'status': 'ok' if all(r.status == 'ok' for r in rs) else 'problems',
               'passed': passed, 'total': total,
               'score_percent': f'{100 * passed / total:.0f}' if total else '',
               'passed_checks': '', 'failed_checks': '', 'errored_cells': '', 'outputs_differ': '',
               'seconds': f'{sum(r.seconds for r in rs):.1f}', 'note': ''}


def write_csv(results, path):
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(_rows(results))


def _clip(text, width):
    return text if len(text) <= width else text[:width - 3] + '...'


def format_table(results, width=110):
    """A plain-text table: one line per student and notebook, problems indented below."""
    head = f'{"student":<14} {"notebook":<22} {"score":>7}  status'
    lines = [head, '-' * len(head)]
    for row in _rows(results):
        score = f'{row["passed"]}/{row["total"]}'
        lines.append(f'{_clip(row["student"], 14):<14} {_clip(row["notebook"], 22):<22} '
                     f'{score:>7}  {row["status"]}')
        whole = row['status'] in WHOLE_NOTEBOOK_STATUSES  # one note says it all
        for key, tag in (('failed_checks', 'FAILED'), ('errored_cells', 'ERROR'),
                         ('outputs_differ', 'DIFFERS'), ('note', 'NOTE')):
            if not row[key] or (whole and key == 'failed_checks'):
                continue
            for part in row[key].split('; '):
                lines.append('    ' + _clip(f'{tag} {part}', width - 4))
        if row['notebook'] == 'TOTAL':
            lines.append('')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m week5.grade',
        description='Run nbval on every student notebook against the reference notebooks and '
                    'report the exercise checks passed, failed and the cells that raised.',
        epilog='Layout: SUBMISSIONS_DIR/<student>/<notebook>.ipynb, names as in --reference.')
    parser.add_argument('submissions_dir')
    parser.add_argument('--reference', default=None,
                        help='folder of reference notebooks (default: notebooks/)')
    parser.add_argument('--out', default='report.csv', help='CSV report path (default: report.csv)')
    parser.add_argument('--timeout', type=float, default=DEFAULT_CELL_TIMEOUT,
                        help=f'seconds one cell may run (default: {DEFAULT_CELL_TIMEOUT})')
    parser.add_argument('--notebook-timeout', type=float, default=DEFAULT_NOTEBOOK_TIMEOUT,
                        help=f'seconds one notebook may run in all (default: {DEFAULT_NOTEBOOK_TIMEOUT})')
    parser.add_argument('--jobs', type=int, default=2, help='notebooks run at once (default: 2)')
    parser.add_argument('--profile', default='quick', help='WEEK5_PROFILE for the runs (default: quick)')
    parser.add_argument('--notebook', action='append', dest='notebooks', metavar='NAME',
                        help='grade only this notebook (repeatable), e.g. 03_vgg')
    args = parser.parse_args(argv)
    try:
        results = grade(args.submissions_dir, args.reference, jobs=args.jobs,
                        cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                        profile=args.profile, notebooks=args.notebooks,
                        progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    except ValueError as e:
        parser.error(str(e))
    write_csv(results, args.out)
    print(format_table(results))
    print(f'\nreport written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
