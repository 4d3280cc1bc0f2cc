"""Hand grading: the class's answers to the policy's hand-graded items, out to one CSV per
item and back.

    python -m instructor.grading hand SUBMISSIONS --policy grading.toml --out hand/
    (fill in the points and comment columns, in a spreadsheet)
    python -m instructor.grading SUBMISSIONS --policy grading.toml --hand hand/ ...

``hand/<notebook>--<item>.csv`` has one row per student: ``notebook, item, student,
max_points, points, comment, answer``. The answer is what the student wrote for the item:
the question cell (by its id) if they edited it, and the cells they added right after it.
Exporting again keeps the points and comments already entered. Reading checks every row
(a known item and student, points between 0 and the maximum) and names the file and row
of a mistake.
"""
import csv
import io
import re
from pathlib import Path

from week5.files import atomic_write
from .notebooks import GradingInputError, load_notebook
from .policy import PolicyError, notebook_stem

__all__ = ['HAND_COLUMNS', 'hand_answer', 'export_hand', 'read_hand']

HAND_COLUMNS = ['notebook', 'item', 'student', 'max_points', 'points', 'comment', 'answer']


def _slug(text):
    return re.sub(r'[^A-Za-z0-9]+', '-', text).strip('-').lower() or 'item'


def hand_answer(student_nb, ref_nb, cell_id):
    """The text a student wrote for the question cell `cell_id`: the cell itself if they
    changed it, then every cell they added after it (up to the next cell of the reference)."""
    ref_cells = {c.get('id'): c for c in ref_nb.cells}
    cells = student_nb.cells
    at = next((i for i, c in enumerate(cells) if c.get('id') == cell_id), None)
    if at is None:
        return ''
    parts = []
    own = ref_cells.get(cell_id)
    if own is None or cells[at].source.strip() != own.source.strip():
        parts.append(cells[at].source.strip())
    for c in cells[at + 1:]:
        if c.get('id') in ref_cells:
            break
        if c.source.strip():
            parts.append(c.source.strip())
    return '\n\n'.join(parts)


def _path(folder, notebook, item):
    return Path(folder) / f'{notebook_stem(notebook)}--{_slug(item.name)}.csv'


def _read_rows(path):
    with open(path, newline='', encoding='utf-8-sig') as f:
        return list(csv.DictReader(f))


def export_hand(students, references, policy, folder):
    """Write one CSV per hand-graded item; returns the paths.

    ``students``: {student: {notebook name: path}} (``batch.find_submissions``);
    ``references``: {notebook name: reference notebook}."""
    paths = []
    for name, ref_nb in sorted(references.items()):
        for item in policy.of(name).hand:
            path = _path(folder, name, item)
            kept = {}
            if path.is_file():      # grades already entered survive a second export
                kept = {r['student']: r for r in _read_rows(path)}
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=HAND_COLUMNS, lineterminator='\n')
            writer.writeheader()
            for student, nbs in sorted(students.items()):
                if name not in nbs:
                    answer = '(not submitted)'
                else:
                    try:
                        answer = hand_answer(load_notebook(nbs[name]), ref_nb, item.cell)
                    except GradingInputError as e:
                        answer = f'(unreadable notebook: {e})'
                old = kept.get(student, {})
                writer.writerow({'notebook': notebook_stem(name), 'item': item.name,
                                 'student': student, 'max_points': f'{item.points:g}',
                                 'points': old.get('points', ''), 'comment': old.get('comment', ''),
                                 'answer': answer})
            atomic_write(path, buf.getvalue())
            paths.append(path)
    return paths


def read_hand(folder, policy):
    """{(student, notebook stem): {item name: (points or None, comment)}} from the CSVs in
    `folder`; PolicyError names the file and row of a mistake."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PolicyError(f'--hand {str(folder)!r} is not a folder: pass the folder that '
                          '`python -m instructor.grading hand ... --out FOLDER` wrote')
    grades = {}
    for path in sorted(folder.glob('*.csv')):
        for n, row in enumerate(_read_rows(path), start=2):
            where = f'{path.name} row {n}'
            items = {h.name: h for h in policy.of(row.get('notebook', '')).hand}
            item = items.get(row.get('item'))
            if item is None:
                raise PolicyError(f'{where}: item {row.get("item")!r} of notebook '
                                  f'{row.get("notebook")!r} is not in the policy (--policy): '
                                  f'known: {", ".join(items) or "none"}')
            text = (row.get('points') or '').strip()
            points = None
            if text:
                try:
                    points = float(text)
                except ValueError:
                    points = -1.0
                if not 0 <= points <= item.points:
                    raise PolicyError(f'{where}: points {text!r} for {row["student"]}: write a '
                                      f'number from 0 to {item.points:g}, or leave it empty '
                                      'until graded')
            key = (row['student'], notebook_stem(row['notebook']))
            grades.setdefault(key, {})[item.name] = (points, (row.get('comment') or '').strip())
    return grades
