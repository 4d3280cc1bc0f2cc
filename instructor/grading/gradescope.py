"""Gradescope: the autograder zip, and what runs inside Gradescope's container.

    python -m instructor.grading.gradescope build [--notebook 01_lenet ...] [--policy grading.toml]
                                                  [--out dist/gradescope/autograder.zip]
    (make gradescope)

The zip follows Gradescope's autograder specification: ``setup.sh`` and ``run_autograder``
at its root; Gradescope unpacks it into ``/autograder/source``, runs ``setup.sh`` once as
root on its Ubuntu image, then ``run_autograder`` for every submission, with the student's
files in ``/autograder/submission``, and reads ``/autograder/results/results.json``.

``setup.sh`` installs Python 3.11 (Ubuntu's, else the deadsnakes PPA), the student
requirements (the same pinned set as the student edition) plus the grader's, bubblewrap,
and the Fashion-MNIST files; ``run_autograder`` calls :func:`run`, which grades each
``/autograder/submission/**/*.ipynb`` matched to the zip's reference notebooks with the
same sealed run and keys as ``python -m instructor.grading``. The keys live only in the
zip (students never see it).

Isolation: the container is the sandbox Gradescope gives every submission. Inside it the
run is sealed as at home, with the strongest level that works (``sandbox.make_sandbox``):
bubblewrap where the container allows user namespaces (Docker's default seccomp profile
usually does not), else the separate user ``nobody`` (the autograder runs as root), for
which :func:`run` first makes the keys, the reference notebooks, the submission and the
results readable by root only. ``results.json`` says which level graded the submission.

``results.json`` has one test per exercise as the notebook titles it (``score``,
``max_score``, ``status``, ``output``: the verdict and the check's hint), the points of the
policy; an exercise with a hidden test has a second test for it, with
``visibility: after_due_date`` and its verdict only. An unreadable notebook, or none,
scores 0 with a message that says what to resubmit. Lateness is Gradescope's own setting.
"""
import argparse
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from week5.files import atomic_write
from .exercises import exercise_titles, title_of
from .intake import notebook_key
from .batch import grade
from .judging import prepare
from .notebooks import REPO_ROOT, default_reference_dir, load_notebook
from .policy import load_policy, score
from .runs import DEFAULT_CELL_TIMEOUT, DEFAULT_NOTEBOOK_TIMEOUT
from .sandbox import DESCRIPTIONS, INSTRUCTOR_DIR, WEEK5_DIR

__all__ = ['build', 'run', 'results_json', 'main', 'DEFAULT_ZIP']

DEFAULT_ZIP = Path('dist') / 'gradescope' / 'autograder.zip'
CONFIG = 'gradescope.json'
STUDENT = 'submission'   # the one student of a Gradescope run
# what the grader needs beyond the student's requirements (pins read from the instructor's)
GRADER_PACKAGES = ('nbval', 'nbformat', 'nbclient', 'jupyter-client', 'jupyter_client', 'ipykernel',
                   'dask', 'distributed')

SETUP_SH = r'''#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
set -euo pipefail
SRC=/autograder/source
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if ! command -v python3.11 >/dev/null 2>&1; then
    apt-get install -y -qq python3.11 python3.11-venv 2>/dev/null || {
        apt-get install -y -qq software-properties-common
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update -qq
        apt-get install -y -qq python3.11 python3.11-venv
    }
fi
apt-get install -y -qq python3.11-venv bubblewrap || true
python3.11 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install -q --upgrade pip
/autograder/venv/bin/python -m pip install -q -r "$SRC/requirements.txt"
# the Fashion-MNIST files, found or downloaded and verified, decoded once into root's cache
PYTHONPATH="$SRC" /autograder/venv/bin/python -m week5.data prepare
# the keys and references are root's alone (a run as user nobody cannot read them)
chmod -R go-rwx "$SRC/instructor/keys" "$SRC/reference"
'''

RUN_AUTOGRADER = r'''#!/usr/bin/env bash
# Gradescope runs this for every submission; AUTOGRADER_ROOT relocates it (for tests).
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${WEEK5_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT"
PYTHONPATH="$ROOT/source" exec "$PY" -m instructor.grading.gradescope run --root "$ROOT"
'''


# ---------------------------------------------------------------- building the zip

def _requirements():
    """The student requirements, plus the grader's packages pinned as the instructor's set."""
    student = (REPO_ROOT / 'requirements.txt').read_text(encoding='utf-8')
    have = {line.split('==')[0].strip().lower().replace('_', '-') for line in student.splitlines()
            if line.strip() and not line.startswith('#')}
    extra = []
    instructor = REPO_ROOT / 'requirements-instructor.txt'
    lines = instructor.read_text(encoding='utf-8').splitlines() if instructor.is_file() else []
    for line in lines:
        name = line.split('==')[0].strip().lower().replace('_', '-')
        if name in GRADER_PACKAGES and name not in have:
            extra.append(line.strip())
            have.add(name)
    return student.rstrip('\n') + ('\n# the grader\n' + '\n'.join(extra) if extra else '') + '\n'


def _package_files(folder, under):
    """(path in the zip, file) for every source file of a package folder."""
    for path in sorted(Path(folder).rglob('*')):
        if path.is_file() and '__pycache__' not in path.parts and path.suffix != '.pyc':
            yield f'{under}/{path.relative_to(folder).as_posix()}', path


def _add(zf, name, data, executable=False):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = ((stat.S_IFREG | (0o755 if executable else 0o644)) << 16)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build(out=DEFAULT_ZIP, reference_dir=None, notebooks=None, policy_path=None,
          cell_timeout=DEFAULT_CELL_TIMEOUT, notebook_timeout=DEFAULT_NOTEBOOK_TIMEOUT):
    """Write the autograder zip; returns its path. ``notebooks``: the reference names this
    Gradescope assignment grades (default: every notebook with exercise checks)."""
    reference_dir = Path(reference_dir) if reference_dir is not None else default_reference_dir()
    available = {p.name: p for p in sorted(reference_dir.glob('*.ipynb'))}
    if notebooks:
        wanted = [n if n.endswith('.ipynb') else n + '.ipynb' for n in notebooks]
        unknown = [n for n in wanted if n not in available]
        if unknown:
            raise ValueError(f'--notebook {", ".join(unknown)}: not in {reference_dir}; use one of '
                             + ', '.join(available))
    else:
        wanted = [n for n, p in available.items() if exercise_titles(load_notebook(p))]
    if not wanted:
        raise ValueError(f'--reference {str(reference_dir)!r} has no notebook with exercise checks')
    if policy_path is not None:
        load_policy(policy_path)        # a mistake stops here, not in Gradescope
    config = {'notebooks': wanted, 'cell_timeout': cell_timeout, 'notebook_timeout': notebook_timeout}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as zf:
        _add(zf, 'setup.sh', SETUP_SH, executable=True)
        _add(zf, 'run_autograder', RUN_AUTOGRADER, executable=True)
        _add(zf, 'requirements.txt', _requirements())
        _add(zf, CONFIG, json.dumps(config, indent=1))
        if policy_path is not None:
            _add(zf, 'grading.toml', Path(policy_path).read_bytes())
        for name, path in _package_files(WEEK5_DIR, 'week5'):
            _add(zf, name, path.read_bytes())
        _add(zf, 'instructor/__init__.py', (INSTRUCTOR_DIR / '__init__.py').read_bytes())
        for sub in ('grading', 'keys'):
            for name, path in _package_files(INSTRUCTOR_DIR / sub, f'instructor/{sub}'):
                _add(zf, name, path.read_bytes())
        for name in wanted + (['sanitize.cfg'] if (reference_dir / 'sanitize.cfg').is_file() else []):
            _add(zf, f'reference/{name}', (reference_dir / name).read_bytes())
    atomic_write(Path(out), buf.getvalue())
    return Path(out)


# ---------------------------------------------------------------- inside the container

def _root_only(paths):
    """Make files readable by root only (the run is user nobody when bubblewrap is missing)."""
    for top in paths:
        if not top.exists():
            continue
        for p in [top, *top.rglob('*')]:
            os.chmod(p, stat.S_IRWXU if p.is_dir() else stat.S_IRUSR | stat.S_IWUSR)


def _match(references, files):
    """{reference name: submitted file or None}: the same name, else the name a student
    meant (``Copy of 01_LeNet (1).ipynb``), else the only notebook for the only reference."""
    by_key = {}
    for f in files:
        by_key.setdefault(notebook_key(f.name), f)
    found = {}
    for name in references:
        exact = [f for f in files if f.name == name]
        found[name] = exact[0] if exact else by_key.get(notebook_key(name))
    if len(references) == 1 and found[references[0]] is None and len(files) == 1:
        found[references[0]] = files[0]
    return found


def results_json(graded, isolation, visible_share, seconds=None):
    """Gradescope's results: ``graded`` is [(NotebookResult, Score, titles, file name)];
    an exercise with a hidden test is split into its visible part (``visible_share`` of
    its points) and the hidden test (the rest, shown after the due date)."""
    tests, notes, total = [], [], 0.0
    for number, (result, points, titles, fname) in enumerate(graded, start=1):
        verdicts = {c.name: c for c in result.checks}
        for k, e in enumerate(points.exercises, start=1):
            visible = verdicts[e['check']]
            title = f'{Path(result.notebook).stem}: {title_of(e["check"], titles)}'
            worth = e['possible'] * (1.0 if e['hidden'] is None else visible_share)
            tests.append({'name': title, 'number': f'{number}.{k}',
                          'score': round(worth if visible.passed else 0.0, 4),
                          'max_score': round(worth, 4),
                          'status': 'passed' if visible.passed else 'failed',
                          'output': 'PASSED' if visible.passed else f'FAILED - {visible.reason}',
                          'visibility': 'visible'})
            if e['hidden'] is not None:
                rest = e['possible'] - worth
                tests.append({'name': f'{title} (hidden test)', 'number': f'{number}.{k}h',
                              'score': round(rest if e['hidden'] else 0.0, 4),
                              'max_score': round(rest, 4),
                              'status': 'passed' if e['hidden'] else 'failed',
                              'output': 'PASSED' if e['hidden'] else 'FAILED',
                              'visibility': 'after_due_date'})
        total += points.points
        if result.status in ('missing', 'unreadable'):
            notes.append(f'{result.notebook}: {result.note}')
        elif fname and fname != result.notebook:
            notes.append(f'{result.notebook}: graded your file {fname}')
        notes += [f'{result.notebook}: {e}' for e in result.errored_cells]
    where = (f'Isolation: {DESCRIPTIONS.get(isolation, isolation)} inside Gradescope\'s container.'
             if isolation else 'Isolation: none needed, no notebook of yours was run.')
    output = '\n'.join([where] + notes)
    out = {'score': round(total, 4), 'output': output, 'stdout_visibility': 'hidden', 'tests': tests}
    if seconds is not None:
        out['execution_time'] = round(seconds)
    return out


def run(root='/autograder', isolation=None):
    """Grade the submission under ``root`` (Gradescope's /autograder); writes
    results/results.json and returns it."""
    started = time.monotonic()
    root = Path(root)
    src = root / 'source'
    config = json.loads((src / CONFIG).read_text(encoding='utf-8'))
    policy = load_policy(src / 'grading.toml' if (src / 'grading.toml').is_file() else None)
    if os.geteuid() == 0:
        _root_only([src / 'instructor' / 'keys', src / 'reference', root / 'submission', root / 'results'])
    files = sorted(p for p in (root / 'submission').rglob('*.ipynb')
                   if '.ipynb_checkpoints' not in p.parts) if (root / 'submission').is_dir() else []
    found = _match(config['notebooks'], files)
    references = src / 'reference'
    asked = isolation or os.environ.get('WEEK5_GRADE_ISOLATION', 'auto')
    # The one grading path (batch.grade), on a class of one laid out as it expects.
    results = {}
    with tempfile.TemporaryDirectory(prefix='week5-gradescope-') as tmp:
        (Path(tmp) / STUDENT).mkdir()
        for name, path in found.items():
            if path is not None:
                shutil.copyfile(path, Path(tmp) / STUDENT / name)
        if any(found.values()):
            results = {r.notebook: r for r in grade(tmp, reference_dir=references, jobs=1,
                                                    cell_timeout=config['cell_timeout'],
                                                    notebook_timeout=config['notebook_timeout'],
                                                    notebooks=config['notebooks'],
                                                    isolation=asked)}
    graded = []
    for name in config['notebooks']:
        ref = references / name
        path = found[name]
        result = results.get(name) or prepare(STUDENT, None, ref)
        if result.status == 'missing':
            result.note = (f'no notebook named {name} in your submission'
                           + (f' (found: {", ".join(f.name for f in files)})' if files else '')
                           + f': upload {name} as you downloaded it from Jupyter')
        elif result.status == 'unreadable':
            result.note = (f'{path.name} could not be read as a notebook ({result.note}): in '
                           'Jupyter use File > Download, then upload that file again')
        graded.append((result, score(result, policy), exercise_titles(load_notebook(ref)),
                       path.name if path else ''))
    level = next((r.isolation for r in results.values() if r.isolation), None)
    out = results_json(graded, level, policy.visible_share, time.monotonic() - started)
    (root / 'results').mkdir(parents=True, exist_ok=True)
    atomic_write(root / 'results' / 'results.json', json.dumps(out, indent=1))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m instructor.grading.gradescope',
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    b = sub.add_parser('build', help='write the autograder zip')
    b.add_argument('--out', default=str(DEFAULT_ZIP), help='default: %(default)s')
    b.add_argument('--reference', default=None, help='reference notebooks (default: notebooks/)')
    b.add_argument('--notebook', action='append', dest='notebooks', metavar='NAME',
                   help='a notebook this assignment grades (repeatable; default: every one with checks)')
    b.add_argument('--policy', metavar='TOML', help='the grading policy (points; default: 1 per check)')
    b.add_argument('--timeout', type=float, default=DEFAULT_CELL_TIMEOUT, help='seconds per cell')
    b.add_argument('--notebook-timeout', type=float, default=DEFAULT_NOTEBOOK_TIMEOUT,
                   help='seconds per notebook (keep it under the assignment\'s Gradescope timeout)')
    r = sub.add_parser('run', help='(inside Gradescope) grade /autograder/submission')
    r.add_argument('--root', default='/autograder')
    args = parser.parse_args(argv)
    if args.command == 'build':
        try:
            path = build(args.out, args.reference, args.notebooks, args.policy, args.timeout,
                         args.notebook_timeout)
        except ValueError as e:
            parser.error(str(e))
        print(f'Gradescope autograder written to {path}: upload it in the assignment\'s '
              '"Configure Autograder" page (Ubuntu image)')
        return 0
    try:
        out = run(args.root)
    except Exception as e:      # Gradescope shows results.json: say what failed there
        out = {'score': 0, 'output': f'The autograder failed ({type(e).__name__}: {e}); '
                                     'your instructor has been shown this message.', 'tests': []}
        (Path(args.root) / 'results').mkdir(parents=True, exist_ok=True)
        atomic_write(Path(args.root) / 'results' / 'results.json', json.dumps(out, indent=1))
        print(f'autograder failed: {type(e).__name__}: {e}', file=sys.stderr)
        raise
    print(json.dumps(out, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
