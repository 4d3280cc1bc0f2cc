"""Feedback students can receive: one HTML page per student and notebook, and the zip a
platform's bulk upload takes.

    python -m instructor.grading SUBMISSIONS ... --feedback feedback/

``feedback/<student>/<notebook>.html`` (beside the Markdown of ``feedback.py``) greets the
student by the name the platform gave (else the folder name), gives the points (after any
late penalty) and, per exercise as the notebook titles it, the verdict, the hint and the
points; then the hand-graded items with the grader's comment, the cells that raised, timed
out or crashed, and the lateness. A hidden test shows its verdict only.

For a class collected from Canvas, ``feedback/canvas-feedback.zip`` holds the pages named
like the files of Canvas' "Download submissions" zip
(``{name}_{user id}_{submission id}_feedback-{notebook}.html``), which Canvas' "Upload
submission comments" attaches to each student's submission. For Moodle,
``feedback/moodle-feedback.zip`` holds one folder per participant named as in Moodle's
download, for the assignment's "Upload multiple feedback files in a zip".
"""
import html
import io
import zipfile
from pathlib import Path, PurePosixPath

from week5.files import atomic_write
from .exercises import is_hidden, title_of
from .feedback import STATUS_TEXT
from .intake import CANVAS_RE
from .policy import fmt_points

__all__ = ['feedback_html', 'write_feedback_html', 'canvas_feedback_zip', 'moodle_feedback_zip', 'BULK_UPLOAD']

STYLE = ('body{font-family:system-ui,sans-serif;max-width:46em;margin:2em auto;line-height:1.45}'
         'table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;'
         'padding:.3em .5em;text-align:left;vertical-align:top}.pass{color:#176117}'
         '.fail{color:#a01919}.late{color:#8a4b00}')


def _e(text):
    return html.escape(str(text), quote=True)



def feedback_html(result, titles=None, student_name='', late_flag=None):
    """The page for one NotebookResult (``titles``: {check: title} of its notebook)."""
    titles = titles or {}
    score = result.score
    who = student_name or result.student
    out = [f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
           f'<title>{_e(result.notebook)}: feedback</title><style>{STYLE}</style></head><body>',
           f'<h1>{_e(result.notebook)}</h1>', f'<p>Hello {_e(who)},</p>']
    if score is not None:
        out.append(f'<p><strong>{fmt_points(score["points"])} of {fmt_points(score["possible"])} points</strong>'
                   f' - {_e(STATUS_TEXT.get(result.status, result.status))}.</p>')
    else:
        out.append(f'<p><strong>{result.passed} of {result.total} checks passed</strong> - '
                   f'{_e(STATUS_TEXT.get(result.status, result.status))}.</p>')
    if score is not None and score['late']:
        out.append(f'<p class="late">Handed in {score["late_days"]} day(s) after the deadline: '
                   f'{fmt_points(score["penalty"])} point(s) taken off.</p>')
    elif late_flag:
        out.append('<p class="late">Handed in after the deadline (as the platform recorded it).</p>')
    if result.note:
        out.append(f'<p>Note: {_e(result.note)}</p>')
    points = {e['check']: e for e in (score or {}).get('exercises', [])}
    if result.checks:
        out.append('<h2>Exercises</h2><table><tr><th>exercise</th><th>verdict</th>'
                   '<th>what to look at</th><th>points</th></tr>')
        for c in result.checks:
            cls, verdict = ('pass', 'PASSED') if c.passed else ('fail', 'FAILED')
            hint = '' if c.passed or is_hidden(c.name) else c.reason
            pts = points.get(c.name)
            cell = f'{fmt_points(pts["points"])} / {fmt_points(pts["possible"])}' if pts else ''
            out.append(f'<tr><td>{_e(title_of(c.name, titles))}</td><td class="{cls}">{verdict}</td>'
                       f'<td>{_e(hint)}</td><td>{cell}</td></tr>')
        out.append('</table>')
    items = (score or {}).get('hand_items', [])
    if items:
        out.append('<h2>Graded by hand</h2><table><tr><th>item</th><th>points</th>'
                   '<th>comment</th></tr>')
        for item in items:
            got = fmt_points(item['points']) if item['graded'] else 'not graded yet'
            out.append(f'<tr><td>{_e(item["name"])}</td><td>{got} / {fmt_points(item["possible"])}</td>'
                       f'<td>{_e(item["comment"])}</td></tr>')
        out.append('</table>')
    if result.errored_cells:
        out.append('<h2>Cells that raised, timed out or crashed</h2><ul>')
        out += [f'<li>{_e(e)}</li>' for e in result.errored_cells]
        out.append('</ul>')
    out.append('</body></html>')
    return '\n'.join(out) + '\n'


def write_feedback_html(results, folder, titles=None, intake=None):
    """``folder/<student>/<notebook>.html`` for every result; returns {(student, notebook): path}."""
    students = (intake or {}).get('students', {})
    paths = {}
    for r in results:
        info = students.get(r.student, {})
        flag = info.get('notebooks', {}).get(r.notebook, {}).get('late')
        path = Path(folder) / r.student / f'{PurePosixPath(r.notebook).stem}.html'
        atomic_write(path, feedback_html(r, (titles or {}).get(r.notebook), info.get('name', ''), flag))
        paths[r.student, r.notebook] = path
    return paths


def _bulk_zip(paths, intake, zip_path, entry_name):
    """Write the pages into one zip, each under ``entry_name(info, notebook)`` (None: the
    platform has nothing to attach it to); returns the pages left out."""
    students = intake.get('students', {})
    buf, left_out = io.BytesIO(), []
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as zf:
        for (student, notebook), path in sorted(paths.items()):
            name = entry_name(students.get(student, {}), notebook)
            if name is None:
                left_out.append(f'{student}/{notebook}')
            else:
                zf.writestr(name, path.read_bytes())
    atomic_write(Path(zip_path), buf.getvalue())
    return left_out


def _moodle_entry(info, notebook):
    if not info.get('id') or not info.get('name'):
        return None
    return (f"{info['name']}_{info['id']}_assignsubmission_file_/"
            f'feedback-{PurePosixPath(notebook).stem}.html')


def _canvas_entry(info, notebook):
    entry = info.get('notebooks', {}).get(notebook)
    m = CANVAS_RE.match(PurePosixPath(entry['source']).name) if entry and info.get('id') else None
    if m is None:
        return None
    return (f"{m['name']}_{'LATE_' if m['late'] else ''}{m['id']}_{m['submission']}_"
            f'feedback-{PurePosixPath(notebook).stem}.html')


def moodle_feedback_zip(paths, intake, zip_path):
    """The zip of Moodle's "Upload multiple feedback files in a zip": one folder per
    participant named as in Moodle's download (``{Full Name}_{participant id}_assignsubmission_file_``).
    Returns the pages left out (no Moodle participant id)."""
    return _bulk_zip(paths, intake, zip_path, _moodle_entry)


def canvas_feedback_zip(paths, intake, zip_path):
    """The zip of Canvas' "Upload submission comments": each page named with the prefix of
    the student's file in the download. Returns the pages left out (no Canvas submission
    to attach to)."""
    return _bulk_zip(paths, intake, zip_path, _canvas_entry)


# platform -> (zip name, writer, what the platform calls the upload)
BULK_UPLOAD = {'canvas': ('canvas-feedback.zip', canvas_feedback_zip, 'Upload submission comments'),
               'moodle': ('moodle-feedback.zip', moodle_feedback_zip,
                          'Upload multiple feedback files in a zip')}
