"""Grading a class: every (student, notebook) of a submissions folder, each run sealed off."""
import difflib
import hashlib
import json
import os
import re
import sys
from pathlib import Path

from week5.files import atomic_write_json
from .cluster import Runner
from .intake import notebook_key
from .judging import NotebookResult, judge_run, prepare
from .notebooks import default_reference_dir, load_notebook, load_sanitize
from .runs import DEFAULT_CELL_TIMEOUT, DEFAULT_INTERRUPT_GRACE, DEFAULT_NOTEBOOK_TIMEOUT
from .sandbox import DESCRIPTIONS, ISOLATIONS, WARNING_NONE

__all__ = ['find_submissions', 'near_matches', 'default_reference_dir', 'grade', 'task_key', 'RunStore']

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


def near_matches(name, filenames):
    """Files in a student's folder that look like a misnamed `name` (a second download,
    other case, an extra extension)."""
    want = notebook_key(name)
    return [f for f in sorted(filenames) if f != name and
            (notebook_key(f) == want or difflib.SequenceMatcher(None, notebook_key(f), want).ratio() >= 0.85)]



def task_key(prepared, notebook_timeout, isolation):
    """The resume key of a run: a digest of everything the run depends on (the job built
    from the submission and the reference, the timeouts, the isolation asked for)."""
    blob = json.dumps([prepared.student, prepared.name, prepared.job, notebook_timeout, isolation],
                      sort_keys=True).encode('utf-8')
    return f'week5-grade-{hashlib.sha256(blob).hexdigest()[:24]}'


class RunStore:
    """Finished runs' records, one JSON file each, written atomically as each run ends:
    ``<folder>/<student>/<notebook>.json`` holding the task key and the run record."""

    def __init__(self, folder):
        self.folder = Path(folder) if folder is not None else None

    def _path(self, task):
        return self.folder / task['student'] / f"{task['notebook']}.json"

    def get(self, task):
        if self.folder is None:
            return None
        try:
            stored = json.loads(self._path(task).read_text(encoding='utf-8'))
        except (OSError, ValueError):
            return None
        return stored.get('run') if stored.get('key') == task['key'] else None

    def put(self, task, record):
        if self.folder is not None and not record.get('lost'):
            atomic_write_json(self._path(task), {'key': task['key'], 'run': record})


def _checked(jobs, cell_timeout, notebook_timeout, interrupt_grace, scheduler, reference_dir,
             isolation):
    """``grade``'s arguments checked (a ValueError names the parameter and the fix); returns
    the reference folder and the isolation asked for."""
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f'jobs must be a positive integer, got {jobs!r}')
    for pname, value in (('cell_timeout', cell_timeout), ('notebook_timeout', notebook_timeout),
                         ('interrupt_grace', interrupt_grace)):
        if not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f'{pname} must be a positive number of seconds, got {value!r}')
    if scheduler is not None and not re.match(r'^(tcp|tls|inproc|ucx|ws|wss)://', str(scheduler)):
        raise ValueError(f'scheduler must be an address like tcp://HOST:PORT, got {scheduler!r}')
    reference_dir = Path(reference_dir) if reference_dir is not None else default_reference_dir()
    reference_dir = reference_dir.resolve()
    if not reference_dir.is_dir():
        raise ValueError(f'reference_dir {str(reference_dir)!r} is not a folder: pass --reference '
                         'with the folder of reference notebooks (e.g. notebooks/)')
    isolation = isolation or os.environ.get('WEEK5_GRADE_ISOLATION', 'auto')
    if isolation not in ('auto',) + ISOLATIONS:
        raise ValueError(f'isolation must be one of auto, {", ".join(ISOLATIONS)}; got {isolation!r}')
    return reference_dir, isolation


def _prepared(student, name, nbs, references, reference_dir, submissions_dir, cell_timeout,
              interrupt_grace, profile):
    """Notebook ``name`` of ``student`` (``nbs``: their files) prepared as a job, or the
    NotebookResult it gets without a run (missing, unreadable, no such reference), or None
    (a reference notebook this student did not hand in, and nobody else did either)."""
    if name not in references:
        if name not in nbs:
            return None
        return NotebookResult(student, name, 'unknown-notebook',
                              note=f'no reference notebook {name} in {reference_dir}; known: '
                                   + ', '.join(sorted(references)))
    ref_path, ref_nb = references[name]
    p = prepare(student, nbs[name].read_bytes() if name in nbs else None, ref_path, ref_nb,
                cell_timeout, interrupt_grace, profile)
    if isinstance(p, NotebookResult) and p.status == 'missing':
        files = [f.name for f in (Path(submissions_dir) / student).iterdir() if f.is_file()]
        near = near_matches(name, files)
        if near:
            p.note = (f'notebook not submitted - found {", ".join(near)} in {student}/: '
                      f'rename it to {name}')
    return p


def grade(submissions_dir, reference_dir=None, jobs=2, cell_timeout=DEFAULT_CELL_TIMEOUT,
          notebook_timeout=DEFAULT_NOTEBOOK_TIMEOUT, profile='quick', notebooks=None, progress=None,
          isolation=None, interrupt_grace=DEFAULT_INTERRUPT_GRACE, scheduler=None, records_dir=None):
    """Grade every submission, each sealed off; returns NotebookResults ordered by student
    then notebook.

    ``isolation`` (default ``$WEEK5_GRADE_ISOLATION`` or ``auto``) is one of ``auto``,
    ``bubblewrap``, ``user``, ``none``. The runs go to the Dask scheduler at ``scheduler``
    (``tcp://HOST:PORT``), else to a local cluster of ``jobs`` worker processes. With
    ``records_dir`` each finished run is stored there as it ends, and a run already stored
    for the same submission and settings is not run again (resume)."""
    progress = progress or (lambda msg: None)
    reference_dir, isolation = _checked(jobs, cell_timeout, notebook_timeout, interrupt_grace,
                                        scheduler, reference_dir, isolation)
    # Everything is read before any student code runs.
    references = {p.name: (p, load_notebook(p)) for p in reference_dir.glob('*.ipynb')}
    sanitize = reference_dir / 'sanitize.cfg'
    patterns = load_sanitize(sanitize if sanitize.is_file() else None)
    students = find_submissions(submissions_dir)
    names = sorted({n for nbs in students.values() for n in nbs})
    if notebooks:
        wanted = {n if n.endswith('.ipynb') else n + '.ipynb' for n in notebooks}
        names = [n for n in names if n in wanted]
    if isolation == 'none':
        print(WARNING_NONE, file=sys.stderr, flush=True)

    results, prepared, tasks = [], {}, []
    for student, nbs in students.items():
        for n in names:
            p = _prepared(student, n, nbs, references, reference_dir, submissions_dir,
                          cell_timeout, interrupt_grace, profile)
            if p is None or isinstance(p, NotebookResult):
                results += [p] if p else []
                continue
            key = task_key(p, notebook_timeout, isolation)
            prepared[key] = p
            tasks.append({'key': key, 'student': student, 'notebook': n, 'label': f'{student}/{n}',
                          'job': p.job, 'notebook_timeout': notebook_timeout, 'isolation': isolation,
                          'threads': None if scheduler else max(1, (os.cpu_count() or 1) // jobs)})

    store = RunStore(records_dir)
    runs = {t['key']: store.get(t) for t in tasks}
    todo = [t for t in tasks if runs[t['key']] is None]
    if len(todo) < len(tasks):
        progress(f'{len(tasks) - len(todo)} of {len(tasks)} runs stored by an earlier run '
                 f'({records_dir}); running the other {len(todo)}')
    graded = []

    def done(task, record):
        record['rerun'] = runner.rerun_note(task['key'])
        store.put(task, record)
        runs[task['key']] = record
        r = judge_run(prepared[task['key']], record, patterns, notebook_timeout)
        graded.append(r)
        progress(f'[{len(graded)}/{len(todo)}] {r.student}/{r.notebook}: {r.passed}/{r.total} checks, '
                 f'{r.status}, {r.seconds:.0f} s' + (f' - {record["rerun"]}' if record['rerun'] else ''))

    if todo:
        with Runner(scheduler, jobs, progress) as runner:
            for level in sorted(set(runner.isolation(isolation).values())):
                progress(f'isolation: {DESCRIPTIONS[level]}')
                if level == 'none' and isolation != 'none':
                    print(WARNING_NONE, file=sys.stderr, flush=True)
            runner.run(todo, done)
    for t in tasks:
        r = judge_run(prepared[t['key']], runs[t['key']], patterns, notebook_timeout)
        r.rerun = runs[t['key']].get('rerun', '')
        results.append(r)
    levels = ', '.join(sorted({r.isolation for r in results if r.isolation}))
    for r in results:
        r.isolation = r.isolation or levels
    return sorted(results, key=lambda r: (r.student, r.notebook))
