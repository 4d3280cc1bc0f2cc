"""The report: CSV rows, the run records beside them, ``--check`` and the printed table."""
import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

from week5.checks import CheckResult
from week5.files import atomic_write
from .judging import NotebookResult
from .policy import fmt_points
from .keyring import verdicts
from .sandbox import DESCRIPTIONS

__all__ = ['CSV_FIELDS', 'write_csv', 'write_report', 'records_path', 'stored_runs_path', 'check_report', 'format_table']

WHOLE_NOTEBOOK_STATUSES = ('missing', 'unreadable', 'unknown-notebook')
CSV_FIELDS = ['student', 'notebook', 'status', 'passed', 'total', 'score_percent', 'passed_checks',
              'failed_checks', 'errored_cells', 'outputs_differ', 'seconds', 'note', 'isolation',
              'points', 'max_points', 'hand_points', 'late', 'late_days', 'late_penalty']



def _summed(scores):
    """A student's scores added up (None if a notebook was graded without a policy)."""
    if any(s is None for s in scores) or not scores:
        return None
    keys = ('points', 'possible', 'hand', 'late_days', 'penalty')
    total = {k: sum(s[k] for s in scores) for k in keys}
    return dict(total, late=any(s['late'] for s in scores))


def _points(score):
    """The policy's columns of a row: points after the penalty, out of, hand-graded
    points, lateness."""
    if score is None:
        return {k: '' for k in ('points', 'max_points', 'hand_points', 'late', 'late_days',
                                'late_penalty')}
    return {'points': fmt_points(score['points']), 'max_points': fmt_points(score['possible']),
            'hand_points': fmt_points(score['hand']), 'late': 'late' if score['late'] else '',
            'late_days': str(score['late_days']), 'late_penalty': fmt_points(score['penalty'])}


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
                'seconds': f'{r.seconds:.1f}', 'note': r.note, 'isolation': r.isolation,
                **_points(r.score)}
        passed, total = sum(r.passed for r in rs), sum(r.total for r in rs)
        yield {'student': student, 'notebook': 'TOTAL',
               'status': 'ok' if all(r.status == 'ok' for r in rs) else 'problems',
               'passed': str(passed), 'total': str(total),
               'score_percent': f'{100 * passed / total:.0f}' if total else '',
               'passed_checks': '', 'failed_checks': '', 'errored_cells': '', 'outputs_differ': '',
               'seconds': f'{sum(r.seconds for r in rs):.1f}', 'note': '',
               'isolation': ', '.join(sorted({r.isolation for r in rs if r.isolation})),
               **_points(_summed([r.score for r in rs]))}


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


def stored_runs_path(csv_path):
    """The folder where each run's record is stored as it finishes (what a rerun resumes from)."""
    return Path(f'{csv_path}.runs')


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
        judged = {}
        for name, data in r.answers.items():
            judged.update(verdicts(name, data))
        for c in r.checks:
            if c.name in judged:
                again = judged[c.name]
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
    head = f'{"student":<14} {"notebook":<22} {"score":>7} {"points":>13}  status'
    levels = sorted({r.isolation for r in results if r.isolation})
    lines = [f'isolation: {DESCRIPTIONS[level]}' for level in levels] + ([''] if levels else [])
    lines += [head, '-' * len(head)]
    for row in _rows(results):
        score = f'{row["passed"]}/{row["total"]}'
        points = f'{row["points"]}/{row["max_points"]}' if row['max_points'] else ''
        late = f', late {row["late_days"]} d (-{row["late_penalty"]})' if row['late'] else ''
        lines.append(f'{_clip(row["student"], 14):<14} {_clip(row["notebook"], 22):<22} '
                     f'{score:>7} {points:>13}  {row["status"]}{late}')
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

