"""Feedback for students: one Markdown file per student and notebook (``--feedback DIR``).

``DIR/<student>/<notebook>.md`` says the score, then each check with its verdict and the
hint the check gave, the cells that raised (with the error), timed out or crashed, the
unchanged lecture cells whose output differs, and whether the submission was late. A
hidden test's result (``<check>_hidden``, or marked ``hidden``) shows its name and verdict only: neither its reason nor
its answer is revealed.
"""
from pathlib import Path

from week5.files import atomic_write
from .exercises import is_hidden
from .policy import fmt_points

__all__ = ['feedback_markdown', 'write_feedback']

STATUS_TEXT = {
    'ok': 'every cell ran',
    'errors': 'some cells raised an error',
    'timeout': 'a cell ran out of time',
    'crashed': 'the kernel crashed',
    'killed': 'the notebook ran out of time and was stopped',
    'unreadable': 'the file could not be read as a notebook',
    'missing': 'no file for this notebook was handed in',
    'unknown-notebook': 'this notebook is not part of the assignment'}


def _md(text):
    """Text safe inside a Markdown line (no tables or emphasis from a student's names)."""
    return str(text).replace('\\', '\\\\').replace('`', "'").replace('|', '\\|').replace('*', '\\*')


def feedback_markdown(result, student_name='', late=None):
    """The feedback file's text for one NotebookResult."""
    who = f'{_md(student_name)} ({_md(result.student)})' if student_name else _md(result.student)
    lines = [f'# {_md(result.notebook)}: feedback for {who}', '']
    score = (f'**{result.passed} of {result.total} checks passed**' if result.total
             else '**no checks in this notebook**')
    lines.append(f'{score} - {STATUS_TEXT.get(result.status, result.status)}.')
    points = result.score
    if points is not None:
        lines += ['', f"**{fmt_points(points['points'])} of {fmt_points(points['possible'])} points**"
                  + (f" (handed in {points['late_days']} day(s) late: "
                     f"-{fmt_points(points['penalty'])})" if points['late'] else '')]
        for item in points['hand_items']:
            got = fmt_points(item['points']) if item['graded'] else 'not graded yet'
            lines.append(f"- {_md(item['name'])} (graded by hand): {got} / "
                         f"{fmt_points(item['possible'])}" + (f" - {_md(item['comment'])}"
                                                              if item['comment'] else ''))
    if late and not (points and points['late']):
        lines.append('')
        lines.append('Submitted after the deadline (as the platform recorded it).')
    if result.note:
        lines += ['', f'Note: {_md(result.note)}']
    if result.checks:
        lines += ['', '## Checks', '']
        for c in result.checks:
            verdict = 'PASSED' if c.passed else 'FAILED'
            if getattr(c, 'hidden', False) or is_hidden(c.name):
                lines.append(f'- `{c.name}` (hidden check): {verdict}')
            elif c.passed:
                lines.append(f'- `{c.name}`: PASSED')
            else:
                lines.append(f'- `{c.name}`: FAILED - {_md(c.reason)}')
    if result.errored_cells:
        lines += ['', '## Cells that raised, timed out or crashed', '']
        lines += [f'- {_md(e)}' for e in result.errored_cells]
    if result.differing_cells:
        lines += ['', '## Lecture cells whose output differs from the lecture\'s', '',
                  'You did not change these cells, but they printed something else: an '
                  'earlier cell of yours changed what they use.', '']
        lines += [f'- {_md(d)}' for d in result.differing_cells]
    return '\n'.join(lines) + '\n'


def write_feedback(results, folder, intake=None):
    """One file per (student, notebook) under `folder`; returns the paths written."""
    students = (intake or {}).get('students', {})
    paths = []
    for r in results:
        info = students.get(r.student, {})
        late = info.get('notebooks', {}).get(r.notebook, {}).get('late')
        path = Path(folder) / r.student / f'{Path(r.notebook).stem}.md'
        atomic_write(path, feedback_markdown(r, info.get('name', ''), late))
        paths.append(path)
    return paths
