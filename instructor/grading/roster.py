"""The roster: every student of the course is in the report, `missing` where they handed
nothing in.

    python -m instructor.grading SUBMISSIONS ... --roster roster.csv

The roster is a CSV with a ``student`` column (the folder names under SUBMISSIONS), or
the gradebook Canvas exports (``Student``, ``ID``: matched by the Canvas id that collect
kept), or a text file with one student per line.
"""
import csv
from pathlib import Path

from .judging import prepare
from .notebooks import load_notebook

__all__ = ['read_roster', 'add_missing']


def read_roster(path, intake=None):
    """The student folder names of the roster at `path` (ValueError names the fix)."""
    try:
        with open(path, newline='', encoding='utf-8-sig') as f:
            rows = [r for r in csv.reader(f) if r and any(x.strip() for x in r)]
    except OSError as e:
        raise ValueError(f'--roster {str(path)!r} cannot be read ({e.strerror})') from None
    if not rows:
        raise ValueError(f'--roster {str(path)!r} is empty: one student per line, or a CSV '
                         'with a student column')
    header = [h.strip() for h in rows[0]]
    if 'student' in header:
        col = header.index('student')
        return [r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip()]
    if header[:2] == ['Student', 'ID']:         # Canvas' gradebook export
        by_id = {info['id']: folder for folder, info in (intake or {}).get('students', {}).items()}
        out = []
        for r in rows[1:]:
            if len(r) < 2 or not r[1].strip().isdigit():
                continue                         # "Points Possible", the test student
            name = ''.join(ch for ch in r[0].lower() if ch.isalnum())
            out.append(by_id.get(r[1].strip(), f'{name}_{r[1].strip()}'))
        return out
    return [r[0].strip() for r in rows]


def add_missing(results, roster, reference_dir):
    """`results` with a ``missing`` result for every roster student and graded notebook
    that has none; sorted by student, notebook."""
    have = {(r.student, r.notebook) for r in results}
    notebooks = sorted({r.notebook for r in results if r.status != 'unknown-notebook'})
    extra = []
    for name in notebooks:
        ref = Path(reference_dir) / name
        ref_nb = load_notebook(ref)
        for student in roster:
            if (student, name) not in have:
                extra.append(prepare(student, None, ref, ref_nb))
    return sorted(list(results) + extra, key=lambda r: (r.student, r.notebook))
