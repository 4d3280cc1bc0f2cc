"""Build the student edition into dist/student/ (`make release`).

    python -m instructor.release [--out DIR]

The student edition is a complete repository on its own: the notebooks as handed out
(speaker notes removed; exercise cells hold their stubs; from each prediction cell to its
verify cell no outputs and no numbers filled from the run), the `week5` package whole (the
grader, keys and builders live in `instructor/`, which is not copied), requirements.txt /
environment.yml / pyproject.toml / apt.txt, scripts/setup.sh, scripts/check_setup.py, a README and a Makefile for students (`make check`, `make lab`,
`make slides`). It holds no answer in readable form: no notebook sources, no keys, no
tests, no bench. The keyed checks judge with week5/checks/hashes.json (salted hashes).

Before writing, the release refuses to go out when the hash file is out of date with
the keys or a notebook with its source; after writing, it scans every file it wrote for
the answers' literal forms, their expressions and the solutions' lines
(instructor/keys/scan.py) and deletes the release if anything is found.
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

from week5 import results
from week5.checks import prediction_spans

from . import sources
from .keys import hashes, scan

ROOT = Path(__file__).resolve().parent.parent

STUDENT = ROOT / 'scripts' / 'student'
COPIED = ['requirements.txt', 'environment.yml', 'apt.txt', '.gitignore',
          'scripts/setup.sh', 'scripts/check_setup.py']
PACKAGES = ('# instructor/ is in the instructor\'s checkout only: the release writes this line as '
            '["week5*"]\ninclude = ["week5*", "instructor*"]', 'include = ["week5*"]')
TEMPLATES = {'README.md': 'README.md', 'Makefile': 'Makefile',
             'notebooks-README.md': 'notebooks/README.md'}


class ReleaseError(RuntimeError):
    """The release cannot go out as things are (says what to run)."""


NOT_RUN_YET = '(run the cells above)'


def hide_predicted(cells):
    """From each prediction cell to its verify cell: code cells lose their outputs and
    text filled from the run shows NOT_RUN_YET, so the page does not give the answer
    before the student commits a prediction and runs the experiment."""
    for first, last in prediction_spans(c.get('id') for c in cells):
        for cell in cells[first:last + 1]:
            if cell['cell_type'] == 'code':
                cell['outputs'], cell['execution_count'] = [], None
            template = cell.get('metadata', {}).get('week5', {}).get('template')
            if template is not None:
                cell['source'] = results.fill(template, {}, missing=NOT_RUN_YET)


def student_notebook(path):
    """A committed notebook as handed out: the cells with slide type `notes` removed,
    the predictions' answers hidden (``hide_predicted``)."""
    nb = json.loads(path.read_text(encoding='utf-8'))
    nb['cells'] = [c for c in nb['cells']
                   if c.get('metadata', {}).get('slideshow', {}).get('slide_type') != 'notes']
    hide_predicted(nb['cells'])
    return sources.dumps(nb)


def student_pyproject():
    """pyproject.toml as the student edition installs it: the package week5 only."""
    text = (ROOT / 'pyproject.toml').read_text(encoding='utf-8')
    ours, theirs = PACKAGES
    if ours not in text:
        raise ReleaseError(f'pyproject.toml has no lines {ours!r}: update PACKAGES in '
                           'instructor/release.py to its package list')
    return text.replace(ours, theirs)


def _ignore_in_package(folder, names):
    return {n for n in names if n == '__pycache__' or n.endswith('.pyc')}


def preflight():
    if not hashes.is_current():
        raise ReleaseError('week5/checks/hashes.json is out of date with the keys: run '
                           '`python -m instructor.keys.hashes` and commit it')
    if sources.main(['--check']) != 0:
        raise ReleaseError('a notebook differs from its source: run `python -m '
                           'instructor.sources` (and `python -m instructor.execute` on what '
                           'it names)')


def write(out):
    """Write the student edition into ``out`` (replacing it); return its files."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / 'week5', out / 'week5', ignore=_ignore_in_package)
    for name in COPIED:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, out / name)
    (out / 'pyproject.toml').write_text(student_pyproject(), encoding='utf-8')
    for src, dest in TEMPLATES.items():
        (out / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(STUDENT / src, out / dest)
    for path in sorted((ROOT / 'notebooks').glob('*.ipynb')):
        (out / 'notebooks' / path.name).write_text(student_notebook(path), encoding='utf-8')
    return sorted(p for p in out.rglob('*') if p.is_file())


def summary(out, files):
    """Files and bytes per top-level entry of the release, as printed lines."""
    groups = {}
    for p in files:
        top = p.relative_to(out).parts[0]
        n, size = groups.get(top, (0, 0))
        groups[top] = (n + 1, size + p.stat().st_size)
    lines = [f'  {top:<18} {n:>3} files {size / 1024:>8.1f} KiB' for top, (n, size) in sorted(groups.items())]
    total = sum(p.stat().st_size for p in files)
    return lines + [f'  {"total":<18} {len(files):>3} files {total / 1024:>8.1f} KiB']


def release(out, check=True):
    """Build the student edition into ``out``; raise ReleaseError if it cannot go out."""
    if check:
        preflight()
    files = write(out)
    hits = scan.scan(out)
    if hits:
        shutil.rmtree(out)
        listed = '\n'.join(f'  {p.relative_to(out)}:{n}: {what}' for p, n, what in hits[:20])
        raise ReleaseError(f'the release would hold answers; nothing written:\n{listed}')
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=str(ROOT / 'dist' / 'student'),
                        help='folder to write (default: dist/student)')
    args = parser.parse_args(argv)
    out = Path(args.out)
    try:
        files = release(out)
    except ReleaseError as e:
        print(f'release: {e}', file=sys.stderr)
        return 1
    print(f'release: wrote the student edition to {out}')
    print('\n'.join(summary(out, files)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
