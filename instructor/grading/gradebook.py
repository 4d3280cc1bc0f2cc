"""Results back to the platform: the gradebook import CSV of Canvas or Moodle.

``--gradebook canvas``  Canvas' gradebook import: the columns of Canvas' gradebook export
    (``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per assignment
    headed ``Name (assignment id)``; the second row is ``Points Possible``). With
    ``--gradebook-export`` (the CSV Canvas exported) every row and column is kept and the
    assignment column (``--assignment``) is filled; without it the file has the five
    identity columns, from the ids kept at intake, and the assignment column. The value is
    the checks passed, scaled to the assignment's points possible.
``--gradebook moodle``  Moodle's grading worksheet (Assignment -> "Download grading
    worksheet", uploaded with "Upload grading worksheet"): ``Identifier`` is
    ``Participant {id}``, ``Grade`` is filled, scaled to ``Maximum Grade``. With
    ``--gradebook-export`` (the downloaded worksheet) every other column is kept.

Students are matched by the platform's id that ``collect`` kept in ``intake.json``.
"""
import csv
import io
import re
from pathlib import Path

from week5.files import atomic_write
from .policy import fmt_points

__all__ = ['GRADEBOOKS', 'CANVAS_COLUMNS', 'MOODLE_COLUMNS', 'gradebook_rows', 'write_gradebook']

GRADEBOOKS = ('canvas', 'moodle')
ASSIGNMENT_ID_RE = re.compile(r'\(\d+\)\s*$')    # Canvas heads a column "Name (12345)"
CANVAS_COLUMNS = ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section']
MOODLE_COLUMNS = ['Identifier', 'Full name', 'Email address', 'Status', 'Grade', 'Maximum Grade',
                  'Grade can be changed', 'Last modified (submission)', 'Last modified (grade)',
                  'Feedback comments']


def _scores(results, intake):
    """{platform id: (points, possible)} summed over each student's notebooks: the
    policy's points after the late penalty (``policy.score_class``), else checks passed."""
    students = intake['students']
    scores = {}
    for r in results:
        info = students.get(r.student)
        if info is None:
            continue
        got, possible = ((r.score['points'], r.score['possible']) if r.score is not None
                         else (r.passed, r.total))
        passed, total = scores.get(info['id'], (0, 0))
        scores[info['id']] = (passed + got, total + possible)
    return scores


def _late_note(results, intake):
    """{platform id: 'late: 01_lenet 2 d (-1.5)'} for the students handed in late."""
    students, notes = intake['students'], {}
    for r in results:
        info = students.get(r.student)
        if info is not None and r.score is not None and r.score['late']:
            notes.setdefault(info['id'], []).append(
                f"{r.notebook} {r.score['late_days']} d (-{fmt_points(r.score['penalty'])})")
    return {i: 'late: ' + ', '.join(n) for i, n in notes.items()}



def _read_export(path):
    try:
        with open(path, newline='', encoding='utf-8-sig') as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise ValueError(f'--gradebook-export {str(path)!r} cannot be read ({e.strerror})') from None
    if not rows:
        raise ValueError(f'--gradebook-export {str(path)!r} is empty: pass the CSV the platform exported')
    return rows[0], rows[1:]


def _canvas(results, intake, assignment, export):
    scores = _scores(results, intake)
    if export is None:
        if not ASSIGNMENT_ID_RE.search(assignment):
            raise ValueError(f'--assignment {assignment!r} has no Canvas assignment id: Canvas '
                             'would import the column as a new assignment. Pass '
                             '--gradebook-export with the gradebook Canvas exported, or '
                             '--assignment "NAME (ID)" as that export heads the column')
        header = CANVAS_COLUMNS + [assignment]
        possible = max((t for _, t in scores.values()), default=0)
        body = [['    Points Possible', '', '', '', ''] + [fmt_points(possible)]]
        for folder, info in sorted(intake['students'].items(), key=lambda kv: kv[1]['name']):
            passed, total = scores.get(info['id'], (0, 0))
            body.append([info['name'], info['id'], '', '', ''] + [fmt_points(passed)])
        return header, body, []
    header, body = _read_export(export)
    if header[:2] != CANVAS_COLUMNS[:2]:
        raise ValueError(f'--gradebook-export {str(export)!r} is not a Canvas gradebook export '
                         f'(its columns start {header[:2]}, expected {CANVAS_COLUMNS[:2]})')
    matches = [i for i, h in enumerate(header) if h == assignment or h.startswith(assignment + ' (')]
    if len(matches) != 1:
        raise ValueError(f'--assignment {assignment!r} names {len(matches)} columns of the Canvas '
                         f'export: pass one of {", ".join(header[len(CANVAS_COLUMNS):])}')
    col = matches[0]
    points = next((r for r in body if r and r[0].strip() == 'Points Possible'), None)
    scale = float(points[col]) if points and points[col].strip() else None
    seen = set()
    for row in body:
        if len(row) > col and row[1] in scores:
            passed, total = scores[row[1]]
            row[col] = fmt_points(passed * scale / total if scale and total else passed)
            seen.add(row[1])
    missing = sorted(set(scores) - seen)
    return header, body, [f'not in the Canvas export (id {i}): not written' for i in missing]


def _moodle(results, intake, export):
    scores, late = _scores(results, intake), _late_note(results, intake)
    if export is None:
        header = MOODLE_COLUMNS
        body = []
        for folder, info in sorted(intake['students'].items(), key=lambda kv: kv[1]['name']):
            passed, total = scores.get(info['id'], (0, 0))
            body.append([f"Participant {info['id']}", info['name'], '', '', fmt_points(passed), fmt_points(total),
                         'Yes', '', '', late.get(info['id'], '')])
        return header, body, []
    header, body = _read_export(export)
    if 'Identifier' not in header or 'Grade' not in header:
        raise ValueError(f'--gradebook-export {str(export)!r} is not a Moodle grading worksheet '
                         '(no Identifier and Grade columns)')
    ident, grade = header.index('Identifier'), header.index('Grade')
    maximum = header.index('Maximum Grade') if 'Maximum Grade' in header else None
    comments = header.index('Feedback comments') if 'Feedback comments' in header else None
    seen = set()
    for row in body:
        pid = row[ident].replace('Participant', '').strip() if len(row) > ident else ''
        if pid in scores:
            passed, total = scores[pid]
            top = float(row[maximum]) if maximum is not None and row[maximum].strip() else None
            row[grade] = fmt_points(passed * top / total if top and total else passed)
            if comments is not None and pid in late:
                row[comments] = '; '.join(filter(None, [row[comments].strip(), late[pid]]))
            seen.add(pid)
    missing = sorted(set(scores) - seen)
    return header, body, [f'not in the Moodle worksheet (Participant {i}): not written' for i in missing]


def gradebook_rows(results, intake, platform, assignment='week5', export=None):
    """(header, rows, warnings) of the import CSV for `platform`."""
    if platform not in GRADEBOOKS:
        raise ValueError(f'--gradebook must be one of {", ".join(GRADEBOOKS)}, got {platform!r}')
    if intake is None:
        raise ValueError('--gradebook needs the platform ids that collect keeps: run '
                         '`python -m instructor.grading collect ... --out SUBMISSIONS/` and grade that folder')
    if platform == 'canvas':
        return _canvas(results, intake, assignment, export)
    return _moodle(results, intake, export)


def write_gradebook(results, intake, platform, path, assignment='week5', export=None):
    """Write the import CSV atomically; returns the warnings (students not written)."""
    header, rows, warnings = gradebook_rows(results, intake, platform, assignment, export)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write(Path(path), buf.getvalue())
    return warnings
