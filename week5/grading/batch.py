"""Grading a class: every (student, notebook) of a submissions folder, each run sealed off."""
import difflib
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .judging import NotebookResult, grade_notebook, instructor_data_dir
from .notebooks import load_notebook, load_sanitize
from .runs import DEFAULT_CELL_TIMEOUT, DEFAULT_INTERRUPT_GRACE, DEFAULT_NOTEBOOK_TIMEOUT
from .sandbox import ISOLATIONS, WARNING_NONE, make_sandbox

__all__ = ['find_submissions', 'near_matches', 'default_reference_dir', 'grade']

REPO_ROOT = Path(__file__).resolve().parents[2]


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

    sandbox = make_sandbox(isolation, data_dir=instructor_data_dir())
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
