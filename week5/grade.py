"""Grade a folder of student notebooks against the reference notebooks, each run sealed off.

    python -m week5.grade SUBMISSIONS_DIR [--reference notebooks/] [--out report.csv]
                          [--timeout 300] [--notebook-timeout 900] [--jobs 2]
                          [--isolation auto|bubblewrap|user|none]
    python -m week5.grade --check report.csv

Layout: one folder per student, holding notebooks named like the reference ones::

    SUBMISSIONS_DIR/alice/03_vgg.ipynb
    SUBMISSIONS_DIR/alice/05_googlenet.ipynb
    SUBMISSIONS_DIR/bob/03_vgg.ipynb

Every notebook name that at least one student submitted is graded for every student
(a student without it gets the status ``missing``, with the files in their folder whose
names are close, e.g. ``03_vgg (1).ipynb``). A name with no reference notebook is reported
as ``unknown-notebook``.

How one submission is graded (the grader's own process never runs student code):

1. All submissions and references are read into memory first. Invalid JSON or a file that
   is not a notebook gives the status ``unreadable`` with the reason.
2. A graded copy is built from the student's code cells, matched to the reference cells
   by cell id, else by identical source. A cell the student left unchanged is compared
   with the reference's outputs (nbval's rules and markers, ``sanitize.cfg``); a cell the
   student wrote or edited must run but is not compared, and nbval markers the student
   added are disarmed. Check cells always run with the reference's source, and are put
   back if the student deleted them.
3. The copy runs in its own scratch folder, sealed off by ``week5.sandbox`` (bubblewrap
   where available: no other files, no network, every process killed afterwards), driven
   by ``week5.gradebox``, which reports each cell over a pipe. In the kernel
   ``WEEK5_GRADE_ANSWERS=1`` makes each check print the student's *answer* as data
   (``[week5 answer] {...}``), not a verdict.
4. This process judges the answers with ``week5.checks.judge`` (a pure function of the
   data). Text a kernel prints, patched checks or hooks can at most forge an answer.
   A check without an answer fails with the reason (its cell raised, timed out, the
   kernel died, not reached).

A cell that outlives ``--timeout`` is interrupted; one that ignores the interrupt is
killed with its kernel, and a new kernel runs the reference's setup cells so that the
later exercises are still graded. A kernel that dies is reported at once, as a crash.

The report lists, per student and notebook, the checks passed and failed (with reasons),
the cells that raised, timed out or crashed, the unchanged cells whose output differs from
the reference, and a total; per student a ``TOTAL`` row sums the notebooks. It is written
only after all runs, atomically, as CSV (``--out``), with the run records beside it
(``<out>.runs.json``, which ``--check`` re-judges and compares with the CSV), and printed
as a table headed by the isolation that was in force.
"""
import argparse
import csv
import difflib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .checks import VERDICT_RE, CheckResult, judge, parse_answers, parse_verdicts as parse_verdict_list
from .data import decoded_dir
from .files import atomic_write
from .sandbox import DESCRIPTIONS, ISOLATIONS, WARNING_NONE, make_sandbox

__all__ = ['NotebookResult', 'grade', 'grade_notebook', 'write_csv', 'write_report',
           'check_report', 'format_table', 'main']

CHECK_CALL_RE = re.compile(r'\bcheck_(?P<name>[A-Za-z0-9_]+)\s*\(')
# nbval's comment markers and cell tags: a student must not be able to switch checking off.
NBVAL_COMMENT_RE = re.compile(
    r'^(\s*)#+\s*(NBVAL_\w+|PYTEST_VALIDATE_IGNORE_OUTPUT)\s*$', re.MULTILINE)
NBVAL_TAGS = {'nbval-ignore-output', 'nbval-check-output', 'nbval-raises-exception',
              'nbval-skip', 'raises-exception'}
# What nbval leaves out when it compares outputs (without --nbdime).
SKIP_COMPARE = {'metadata', 'traceback', 'prompt_number', 'output_type', 'name', 'execution_count',
                'application/vnd.jupyter.widget-view+json', 'image/png', 'image/jpeg'}
DEFAULT_CELL_TIMEOUT = 300
DEFAULT_NOTEBOOK_TIMEOUT = 900
DEFAULT_INTERRUPT_GRACE = 10   # seconds a cell has to stop after the interrupt
REPO_ROOT = Path(__file__).resolve().parents[1]


class GradingInputError(ValueError):
    """A submission or reference notebook that cannot be graded (the reason is the message)."""


@dataclass
class NotebookResult:
    student: str
    notebook: str
    # ok | errors | timeout | crashed | killed | unreadable | missing | unknown-notebook
    status: str
    checks: list = field(default_factory=list)
    errored_cells: list = field(default_factory=list)
    differing_cells: list = field(default_factory=list)
    seconds: float = 0.0
    note: str = ''
    isolation: str = ''
    answers: dict = field(default_factory=dict)   # check name -> the answer data judged

    @property
    def passed(self):
        return sum(c.passed for c in self.checks)

    @property
    def total(self):
        return len(self.checks)


# ---------------------------------------------------------------- reading notebooks

def load_notebook(path_or_bytes):
    """Read and validate a notebook (a path, or its bytes already read); GradingInputError
    says what is wrong with the file."""
    import nbformat
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


# ---------------------------------------------------------------- one sealed run

def _nbval_options(cell):
    """nbval's options of a cell from its tags and comment markers (comments win)."""
    from nbval.plugin import find_comment_markers, find_metadata_tags
    options = dict(find_metadata_tags(cell.metadata))
    options.update(find_comment_markers(cell.source))
    return options


def build_job(nb, ref_nb, scratch, cell_timeout, interrupt_grace, profile, threads):
    """What the driver in the sandbox runs: the cells (None for a skipped one), the setup
    cells for a restarted kernel, timeouts, and the kernel's environment."""
    cells = [None if _nbval_options(c).get('skip') else c.source for c in nb.cells]
    kernel_env = {'WEEK5_GRADE_ANSWERS': '1', 'WEEK5_PROFILE': profile,
                  'MPLBACKEND': 'module://matplotlib_inline.backend_inline'}
    if threads:
        kernel_env['OMP_NUM_THREADS'] = str(threads)
    return {'cwd': str(Path(scratch) / 'work'), 'cells': cells, 'setup': setup_sources(ref_nb),
            'cell_timeout': cell_timeout, 'interrupt_grace': interrupt_grace,
            'kernel_env': kernel_env}


def run_sealed(sandbox, scratch, job, notebook_timeout):
    """Run the driver on `job` in the sandbox; returns (events, finished, stderr tail).

    The driver reports over a pipe that only this process reads; whatever the run started
    is killed before this returns."""
    read_fd, write_fd = os.pipe()
    argv, kwargs = sandbox.command(scratch, [sys.executable, '-m', 'week5.gradebox',
                                             '--record-fd', str(write_fd)],
                                   sandbox.env(scratch, {}))
    events = []
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=err, pass_fds=(write_fd,), start_new_session=True,
                                    **kwargs)
        finally:
            os.close(write_fd)

        def read():
            with os.fdopen(read_fd, 'r', encoding='utf-8', errors='replace') as f:
                for line in f:
                    try:
                        events.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue  # a line cut short by a kill

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        finished = True
        try:
            proc.stdin.write(json.dumps(job).encode())
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=notebook_timeout)
        except subprocess.TimeoutExpired:
            finished = False
        sandbox.kill(proc, scratch)
        reader.join(timeout=10)
        err.seek(0)
        tail = err.read()[-4000:].decode('utf-8', 'replace')
    return list(events), finished, tail


# ---------------------------------------------------------------- judging a run

def load_sanitize(path):
    """nbval's (regex, replacement) pairs from a sanitize file (None: no file)."""
    from nbval.plugin import get_sanitize_patterns
    if path is None:
        return []
    try:
        return get_sanitize_patterns(Path(path).read_text(encoding='utf-8'))
    except OSError as e:
        raise ValueError(f'sanitize file {str(path)!r} cannot be read ({e.strerror}): pass an '
                         'existing sanitize.cfg, or none') from None


def _comparable(outputs, patterns):
    """Outputs as nbval compares them: streams coalesced, keys flattened, sanitized."""
    import nbformat
    from nbval.plugin import coalesce_streams

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
    if ref_cell.get('execution_count') is None or _nbval_options(ref_cell).get('check') is False:
        return False
    return _comparable(outputs, patterns) != _comparable(ref_cell.get('outputs', []), patterns)


def _error_summary(outputs):
    errors = [o for o in outputs if o.get('output_type') == 'error']
    if not errors:
        return 'failed'
    e = errors[-1]
    value = e['evalue'].strip().splitlines()[0] if e['evalue'].strip() else ''
    return f"{e['ename']}: {value}"[:160] if value else e['ename']


def classify_events(events, nb, labels, check_cells, cell_timeout, patterns=(), finished=True):
    """Sort the driver's events into what the report says.

    Returns a dict: ``errored`` (readable lines), ``differing`` (labels of unchanged cells
    whose output differs from the reference), ``timed_out`` and ``crashed`` (flags),
    ``cell_problem`` ({code-cell index: why it gave no answer}), ``answers`` ({check name:
    data} recorded by the check cells), ``started``. A run that `finished` (was not killed
    at the notebook timeout) without the driver's last event was cut short from inside.
    """
    errored, differing, cell_problem, answers = [], [], {}, {}
    timed_out = crashed = started = False
    for ev in events:
        kind = ev.get('event')
        if kind == 'start':
            started = True
        elif kind == 'failed':
            errored.append(f"the run could not go on: {ev.get('error', '')}")
        elif kind == 'restart':
            bad = ev.get('setup_errors') or []
            if bad:
                errored.append('after the restart the setup cells failed: '
                               + _error_summary(bad[0].get('outputs', [])))
        if kind != 'cell' or not isinstance(ev.get('cell'), int) or not 0 <= ev['cell'] < len(labels):
            continue
        i, status, outputs = ev['cell'], ev.get('status'), ev.get('outputs') or []
        label, cell = labels[i], nb.cells[i]
        if status == 'timeout':
            timed_out = True
            why = f'timed out after {cell_timeout:g} s'
            if ev.get('interrupt') == 'ignored':
                why += ' and ignored the interrupt: kernel killed, restarted with the setup cells'
            cell_problem[i] = why
            errored.append(f'{label}: {why}')
        elif status == 'dead':
            crashed = True
            code = ev.get('exit_code')
            why = (f"the kernel died after {ev.get('seconds', 0):g} s"
                   + (f' (exit code {code})' if code is not None else ''))
            cell_problem[i] = why
            errored.append(f'{label}: {why} - restarted with the setup cells')
        elif status == 'error' and not _nbval_options(cell).get('check_exception'):
            cell_problem[i] = f'raised {_error_summary(outputs)}'
            errored.append(f'{label}: {_error_summary(outputs)}')
        elif status == 'ok' and cell.get('outputs') is not None and \
                cell.metadata.get('week5_grade') != 'check' and outputs_differ(outputs, cell, patterns):
            differing.append(label)
        if i in check_cells:
            called = {m.group('name') for m in CHECK_CALL_RE.finditer(cell.source)}
            text = ''.join(_text(o.get('text', '')) for o in outputs if o.get('output_type') == 'stream')
            for name, data in parse_answers(text):
                if name in called:
                    answers[name] = data
    if finished and started and not any(ev.get('event') in ('done', 'failed') for ev in events):
        errored.append('the run stopped before the end of the notebook (its driver was ended)')
    return {'errored': errored, 'differing': differing, 'timed_out': timed_out, 'crashed': crashed,
            'cell_problem': cell_problem, 'answers': answers, 'started': started}


def _missing_reason(check, nb, check_cells, reached, cell_problem, finished, notebook_timeout):
    """Why a check recorded no answer: its cell raised, timed out or was never reached."""
    cells = [i for i in sorted(check_cells)
             if check in {m.group('name') for m in CHECK_CALL_RE.finditer(nb.cells[i].source)}]
    cells = cells or sorted(check_cells)
    for i in cells:
        if i in cell_problem:
            return f'check cell {cell_problem[i]}'
    if not finished and not any(i in reached for i in cells):
        return f'not reached: notebook stopped at the {notebook_timeout:g} s timeout'
    if not any(i in reached for i in cells):
        return 'check did not run'
    return 'check recorded no answer'


def _judge_known(name, data):
    """judge(), or a failed check if the reference names a check week5.checks lacks."""
    try:
        return judge(name, data)
    except ValueError as e:
        return CheckResult(name, False, f'cannot be judged: {e}')


def grade_notebook(student, student_nb, ref_path, cell_timeout=DEFAULT_CELL_TIMEOUT,
                   notebook_timeout=DEFAULT_NOTEBOOK_TIMEOUT, sanitize=None, profile='quick',
                   threads=None, sandbox=None, interrupt_grace=DEFAULT_INTERRUPT_GRACE,
                   ref_nb=None):
    """Grade one student notebook (a path, its bytes, or None if missing) against its
    reference; never raises for a bad submission."""
    name = Path(ref_path).name
    ref_nb = ref_nb if ref_nb is not None else load_notebook(ref_path)
    patterns = load_sanitize(sanitize) if not isinstance(sanitize, list) else sanitize
    expected = expected_checks(ref_nb)
    start = time.monotonic()
    own_sandbox = sandbox is None
    isolation = '' if own_sandbox else sandbox.isolation

    def failed_all(status, reason, note=''):
        return NotebookResult(student, name, status, [CheckResult(n, False, reason) for n in expected],
                              note=note or reason, seconds=round(time.monotonic() - start, 1),
                              isolation=isolation)

    if student_nb is None:
        return failed_all('missing', 'notebook not submitted')
    try:
        student_nb = load_notebook(student_nb)
    except GradingInputError as e:
        return failed_all('unreadable', 'notebook unreadable', note=f'unreadable: {e}')

    nb, labels, check_cells = build_graded_notebook(student_nb, ref_nb)
    if own_sandbox:
        sandbox = make_sandbox(os.environ.get('WEEK5_GRADE_ISOLATION', 'auto'),
                               data_dir=_instructor_data_dir())
        isolation = sandbox.isolation
    try:
        scratch = sandbox.scratch()
        job = build_job(nb, ref_nb, scratch, cell_timeout, interrupt_grace, profile, threads)
        events, finished, stderr = run_sealed(sandbox, scratch, job, notebook_timeout)
        sandbox.remove(scratch)
    finally:
        if own_sandbox:
            sandbox.cleanup()

    outcome = classify_events(events, nb, labels, check_cells, cell_timeout, patterns, finished)
    errored, differing = outcome['errored'], outcome['differing']
    answers, cell_problem = outcome['answers'], outcome['cell_problem']
    reached = {ev['cell'] for ev in events if ev.get('event') == 'cell'}
    if not outcome['started'] and finished:
        last = stderr.strip().splitlines()[-1:] or ['no output']
        errored.insert(0, f'the notebook could not start: {last[0][:200]}')
        cell_problem.update({i: 'not run: the notebook could not start' for i in check_cells})
    checks = []
    for n in expected:
        if n in answers:
            checks.append(_judge_known(n, answers[n]))
        else:
            checks.append(CheckResult(n, False, _missing_reason(n, nb, check_cells, reached, cell_problem,
                                                                finished, notebook_timeout)))
    status = ('killed' if not finished else 'crashed' if outcome['crashed']
              else 'timeout' if outcome['timed_out'] else 'errors' if errored else 'ok')
    note = '' if finished else f'stopped after the {notebook_timeout:g} s notebook timeout'
    return NotebookResult(student, name, status, checks, errored, differing,
                          round(time.monotonic() - start, 1), note, isolation,
                          {n: answers[n] for n in expected if n in answers})


# ---------------------------------------------------------------- the class

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


def _name_key(filename):
    """A file name reduced to what a student meant: no case, download suffixes or extra
    extensions (``01_LeNet (1).ipynb.txt`` -> ``01_lenet``)."""
    key = filename.lower()
    while True:
        stem, dot, ext = key.rpartition('.')
        if not dot or ext not in ('ipynb', 'txt', 'json', 'bak', 'download', 'crdownload'):
            break
        key = stem
    key = re.sub(r'(\s*\(\d+\)|\s*-?\s*copy(\s*\d+)?)+$', '', key.strip())
    return re.sub(r'[\s_\-]+', '_', key)


def near_matches(name, filenames):
    """Files in a student's folder that look like a misnamed `name` (a second download,
    other case, an extra extension)."""
    want = _name_key(name)
    return [f for f in sorted(filenames) if f != name and
            (_name_key(f) == want or difflib.SequenceMatcher(None, _name_key(f), want).ratio() >= 0.85)]


def default_reference_dir():
    here = Path('notebooks')
    return here if here.is_dir() else REPO_ROOT / 'notebooks'


def _instructor_data_dir():
    """The decoded Fashion-MNIST files of this user's cache, shared read-only with the runs."""
    decoded = decoded_dir()
    return decoded if decoded.is_dir() else None


def grade(submissions_dir, reference_dir=None, jobs=2, cell_timeout=DEFAULT_CELL_TIMEOUT,
          notebook_timeout=DEFAULT_NOTEBOOK_TIMEOUT, profile='quick', notebooks=None, progress=None,
          isolation=None, interrupt_grace=DEFAULT_INTERRUPT_GRACE):
    """Grade every submission, each sealed off; returns NotebookResults ordered by student
    then notebook. ``isolation`` (default ``$WEEK5_GRADE_ISOLATION`` or ``auto``) is one of
    ``auto``, ``bubblewrap``, ``user``, ``none``."""
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f'jobs must be a positive integer, got {jobs!r}')
    for pname, value in (('cell_timeout', cell_timeout), ('notebook_timeout', notebook_timeout),
                         ('interrupt_grace', interrupt_grace)):
        if not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f'{pname} must be a positive number of seconds, got {value!r}')
    reference_dir = Path(reference_dir) if reference_dir is not None else default_reference_dir()
    reference_dir = reference_dir.resolve()
    if not reference_dir.is_dir():
        raise ValueError(f'reference_dir {str(reference_dir)!r} is not a folder: pass --reference '
                         'with the folder of reference notebooks (e.g. notebooks/)')
    isolation = isolation or os.environ.get('WEEK5_GRADE_ISOLATION', 'auto')
    if isolation not in ('auto',) + ISOLATIONS:
        raise ValueError(f'isolation must be one of auto, {", ".join(ISOLATIONS)}; got {isolation!r}')
    # Everything is read before any student code runs.
    references = {p.name: (p, load_notebook(p)) for p in reference_dir.glob('*.ipynb')}
    sanitize = reference_dir / 'sanitize.cfg'
    patterns = load_sanitize(sanitize if sanitize.is_file() else None)
    students = find_submissions(submissions_dir)
    contents = {(s, n): p.read_bytes() for s, nbs in students.items() for n, p in nbs.items()}
    folders = {s: [p.name for p in (Path(submissions_dir) / s).iterdir() if p.is_file()]
               for s in students}
    names = sorted({n for nbs in students.values() for n in nbs})
    if notebooks:
        wanted = {n if n.endswith('.ipynb') else n + '.ipynb' for n in notebooks}
        names = [n for n in names if n in wanted]

    sandbox = make_sandbox(isolation, data_dir=_instructor_data_dir())
    if sandbox.isolation == 'none':
        print(WARNING_NONE, file=sys.stderr, flush=True)
    if progress:
        progress(f'isolation: {sandbox.description}')
    results, tasks = [], []
    for student, nbs in students.items():
        for n in names:
            if n not in references:
                if n in nbs:
                    results.append(NotebookResult(
                        student, n, 'unknown-notebook', isolation=sandbox.isolation,
                        note=f'no reference notebook {n} in {reference_dir}; known: '
                             + ', '.join(sorted(references))))
                continue
            tasks.append((student, n))

    threads = max(1, (os.cpu_count() or 1) // jobs)
    done = []

    def run(task):
        student, n = task
        ref_path, ref_nb = references[n]
        result = grade_notebook(student, contents.get(task), ref_path, cell_timeout=cell_timeout,
                                notebook_timeout=notebook_timeout, sanitize=patterns,
                                profile=profile, threads=threads, sandbox=sandbox,
                                interrupt_grace=interrupt_grace, ref_nb=ref_nb)
        if result.status == 'missing':
            near = near_matches(n, folders.get(student, []))
            if near:
                result.note = (f'notebook not submitted - found {", ".join(near)} in {student}/: '
                               f'rename it to {n}')
        done.append(result)
        if progress:
            progress(f'[{len(done)}/{len(tasks)}] {result.student}/{result.notebook}: '
                     f'{result.passed}/{result.total} checks, {result.status}, {result.seconds:.0f} s')
        return result

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results.extend(pool.map(run, tasks))
    finally:
        sandbox.cleanup()
    return sorted(results, key=lambda r: (r.student, r.notebook))


# ---------------------------------------------------------------- reports

WHOLE_NOTEBOOK_STATUSES = ('missing', 'unreadable', 'unknown-notebook')
CSV_FIELDS = ['student', 'notebook', 'status', 'passed', 'total', 'score_percent', 'passed_checks',
              'failed_checks', 'errored_cells', 'outputs_differ', 'seconds', 'note', 'isolation']


def _rows(results):
    """Per-notebook rows, then one TOTAL row per student (all values strings, as in the CSV)."""
    by_student = {}
    for r in results:
        by_student.setdefault(r.student, []).append(r)
    for student, rs in by_student.items():
        for r in rs:
            yield {
                'student': r.student, 'notebook': r.notebook, 'status': r.status,
                'passed': str(r.passed), 'total': str(r.total),
                'score_percent': f'{100 * r.passed / r.total:.0f}' if r.total else '',
                'passed_checks': '; '.join(c.name for c in r.checks if c.passed),
                'failed_checks': '; '.join(f'{c.name}: {c.reason}' for c in r.checks if not c.passed),
                'errored_cells': '; '.join(r.errored_cells),
                'outputs_differ': '; '.join(r.differing_cells),
                'seconds': f'{r.seconds:.1f}', 'note': r.note, 'isolation': r.isolation}
        passed, total = sum(r.passed for r in rs), sum(r.total for r in rs)
        yield {'student': student, 'notebook': 'TOTAL',
               'status': 'ok' if all(r.status == 'ok' for r in rs) else 'problems',
               'passed': str(passed), 'total': str(total),
               'score_percent': f'{100 * passed / total:.0f}' if total else '',
               'passed_checks': '', 'failed_checks': '', 'errored_cells': '', 'outputs_differ': '',
               'seconds': f'{sum(r.seconds for r in rs):.1f}', 'note': '',
               'isolation': ', '.join(sorted({r.isolation for r in rs if r.isolation}))}


def _csv_text(results):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS)
    writer.writeheader()
    writer.writerows(_rows(results))
    return buf.getvalue()


def write_csv(results, path):
    atomic_write(Path(path), _csv_text(results).encode('utf-8'))


def records_path(csv_path):
    return Path(f'{csv_path}.runs.json')


def write_report(results, path):
    """The run records (``<path>.runs.json``), then the CSV, each written atomically."""
    records = [dict(asdict(r), checks=[asdict(c) for c in r.checks]) for r in results]
    atomic_write(records_path(path), json.dumps({'results': records}, indent=1).encode('utf-8'))
    write_csv(results, path)


def _result_from_record(rec):
    return NotebookResult(**dict(rec, checks=[CheckResult(**c) for c in rec['checks']]))


def check_report(path):
    """Re-judge the answers in a report's run records and compare the CSV with them.

    Returns a list of problems (empty: the report is what its records give)."""
    try:
        records = json.loads(records_path(path).read_text(encoding='utf-8'))['results']
        results = [_result_from_record(rec) for rec in records]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return [f'cannot read the run records {records_path(path)}: {e}']
    problems = []
    for r in results:
        for c in r.checks:
            if c.name in r.answers:
                again = judge(c.name, r.answers[c.name])
                if again != c:
                    problems.append(f'{r.student}/{r.notebook}: {c.name} recorded as '
                                    f'{"PASSED" if c.passed else "FAILED"}, its answer gives '
                                    f'{"PASSED" if again.passed else "FAILED - " + again.reason}')
            elif c.passed:
                problems.append(f'{r.student}/{r.notebook}: {c.name} passed without an answer')
    try:
        with open(path, newline='', encoding='utf-8') as f:
            on_disk = list(csv.DictReader(f))
    except OSError as e:
        return problems + [f'cannot read {path}: {e.strerror}']
    expected = list(_rows(results))
    for want, got in zip(expected, on_disk):
        if want != got:
            keys = [k for k in CSV_FIELDS if want.get(k) != got.get(k)]
            problems.append(f'{want["student"]}/{want["notebook"]}: the CSV differs from the '
                            f'records in {", ".join(keys)}')
    if len(expected) != len(on_disk):
        problems.append(f'the CSV has {len(on_disk)} rows, the records give {len(expected)}')
    return problems


def _clip(text, width):
    return text if len(text) <= width else text[:width - 3] + '...'


def format_table(results, width=110):
    """A plain-text table headed by the isolation the runs had: one line per student and
    notebook, problems indented below."""
    head = f'{"student":<14} {"notebook":<22} {"score":>7}  status'
    levels = sorted({r.isolation for r in results if r.isolation})
    lines = [f'isolation: {DESCRIPTIONS[level]}' for level in levels] + ([''] if levels else [])
    lines += [head, '-' * len(head)]
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
        description='Run every student notebook sealed off, judge the exercise answers outside '
                    'the students\' kernels and report the checks passed, failed and the cells '
                    'that raised.',
        epilog='Layout: SUBMISSIONS_DIR/<student>/<notebook>.ipynb, names as in --reference.')
    parser.add_argument('submissions_dir', nargs='?')
    parser.add_argument('--reference', default=None,
                        help='folder of reference notebooks (default: notebooks/)')
    parser.add_argument('--out', default='report.csv', help='CSV report path (default: report.csv)')
    parser.add_argument('--timeout', type=float, default=DEFAULT_CELL_TIMEOUT,
                        help=f'seconds one cell may run (default: {DEFAULT_CELL_TIMEOUT})')
    parser.add_argument('--notebook-timeout', type=float, default=DEFAULT_NOTEBOOK_TIMEOUT,
                        help=f'seconds one notebook may run in all (default: {DEFAULT_NOTEBOOK_TIMEOUT})')
    parser.add_argument('--jobs', type=int, default=2, help='notebooks run at once (default: 2)')
    parser.add_argument('--interrupt-grace', type=float, default=DEFAULT_INTERRUPT_GRACE,
                        help='seconds a timed-out cell has to stop after the interrupt before its '
                             f'kernel is killed and restarted (default: {DEFAULT_INTERRUPT_GRACE})')
    parser.add_argument('--profile', default='quick', help='WEEK5_PROFILE for the runs (default: quick)')
    parser.add_argument('--notebook', action='append', dest='notebooks', metavar='NAME',
                        help='grade only this notebook (repeatable), e.g. 03_vgg')
    parser.add_argument('--isolation', choices=('auto',) + ISOLATIONS, default=None,
                        help='how runs are sealed off (default: $WEEK5_GRADE_ISOLATION or auto, '
                             'the strongest that works here)')
    parser.add_argument('--check', metavar='REPORT',
                        help='re-verify a written report against its run records and exit')
    args = parser.parse_args(argv)
    if args.check:
        problems = check_report(args.check)
        for p in problems:
            print(p)
        print(f'{args.check}: ' + ('matches its run records' if not problems
                                   else f'{len(problems)} problem(s)'))
        return 1 if problems else 0
    if args.submissions_dir is None:
        parser.error('submissions_dir is required (or --check REPORT)')
    try:
        results = grade(args.submissions_dir, args.reference, jobs=args.jobs,
                        cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                        profile=args.profile, notebooks=args.notebooks, isolation=args.isolation,
                        interrupt_grace=args.interrupt_grace,
                        progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    except ValueError as e:
        parser.error(str(e))
    write_report(results, args.out)
    print(format_table(results))
    print(f'\nreport written to {args.out} (run records: {records_path(args.out)})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
