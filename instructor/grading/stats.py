"""Class statistics: per exercise, how many passed, the most common wrong answers, errors.

    python -m instructor.grading SUBMISSIONS ... --stats stats.csv

One row per exercise verdict (a hidden test has its own): how many students handed the
notebook in, how many passed, the pass rate, how many gave no answer because their cell
raised, timed out or was not reached, and the most common wrong answers with their counts
(the value for a number, a shape or a name; the check's reason for code). The terminal
table puts the most failed exercise first.
"""
import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from week5.files import atomic_write
from instructor.keys import HIDDEN_SUFFIX
from .exercises import title_of

__all__ = ['ExerciseStats', 'class_stats', 'format_stats', 'write_stats', 'STATS_COLUMNS']

NOT_HANDED_IN = ('missing', 'unreadable', 'unknown-notebook')
STATS_COLUMNS = ['notebook', 'exercise', 'check', 'submitted', 'passed', 'pass_rate', 'no_answer',
                 'wrong', 'common_wrong_answers']
TOP = 3
# reasons of a verdict without an answer to count (judging._missing_reason, keys.grade, the checks)
NO_ANSWER = ('check cell', 'not reached', 'not run', 'check did not run', 'check recorded no answer',
             'not answered yet', 'no answer yet')


@dataclass
class ExerciseStats:
    notebook: str
    check: str
    title: str
    submitted: int = 0
    passed: int = 0
    no_answer: int = 0          # the check cell raised, timed out, crashed, was not reached
    wrong: Counter = field(default_factory=Counter)   # wrong answer (or reason) -> students

    @property
    def pass_rate(self):
        return self.passed / self.submitted if self.submitted else 0.0

    def common(self, n=TOP):
        return self.wrong.most_common(n)


def _shown(value):
    """An answer as recorded (``week5.checks.describe_answer``'s JSON) written as in Python:
    ``1,234``, ``(1, 16, 14, 14)``, ``'lenet'``."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return f'{value:,}'
    if isinstance(value, list):
        return '[' + ', '.join(map(_shown, value)) + ']'
    if isinstance(value, dict):
        if 'tuple' in value:
            items = list(map(_shown, value['tuple']))
            return '(' + ', '.join(items) + (',)' if len(items) == 1 else ')')
        if value.get('ellipsis'):
            return '...'
        return str(value.get('repr', value))
    return repr(value) if isinstance(value, str) else str(value)


def _wrong_answer(check, reason, answers):
    """What a failed verdict's student answered: the value of a keyed answer, else the reason."""
    data = answers.get(check)
    if isinstance(data, dict) and 'value' in data and not check.endswith(HIDDEN_SUFFIX):
        return _shown(data['value'])
    return reason


def class_stats(results, titles=None):
    """[ExerciseStats] over NotebookResults, most failed first (lowest pass rate).
    ``titles``: {notebook: {check: title}} (``exercises.exercise_titles``)."""
    titles = titles or {}
    table = {}
    for r in results:
        if r.notebook == 'TOTAL' or r.status == 'unknown-notebook':
            continue
        for c in r.checks:
            key = (r.notebook, c.name)
            s = table.setdefault(key, ExerciseStats(r.notebook, c.name,
                                                    title_of(c.name, titles.get(r.notebook, {}))))
            if r.status in NOT_HANDED_IN:
                continue
            s.submitted += 1
            if c.passed:
                s.passed += 1
            elif c.name.split(HIDDEN_SUFFIX)[0] not in r.answers or c.reason.startswith(NO_ANSWER):
                s.no_answer += 1
            else:
                s.wrong[_wrong_answer(c.name, c.reason, r.answers)] += 1
    return sorted(table.values(), key=lambda s: (s.pass_rate, s.notebook, s.check))


def _rows(stats):
    for s in stats:
        yield {'notebook': s.notebook, 'exercise': s.title, 'check': s.check,
               'submitted': str(s.submitted), 'passed': str(s.passed),
               'pass_rate': f'{100 * s.pass_rate:.0f}%', 'no_answer': str(s.no_answer),
               'wrong': str(sum(s.wrong.values())),
               'common_wrong_answers': '; '.join(f'{n}x {a}' for a, n in s.common())}


def write_stats(stats, path):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=STATS_COLUMNS, lineterminator='\n')
    writer.writeheader()
    writer.writerows(_rows(stats))
    atomic_write(Path(path), buf.getvalue())


def format_stats(stats, width=110):
    """The terminal table: one line per exercise, its common wrong answers indented below."""
    head = f'{"notebook":<22} {"exercise":<30} {"passed":>9} {"rate":>5} {"no answer":>9}'
    lines = ['class statistics (most failed first)', head, '-' * len(head)]
    for row, s in zip(_rows(stats), stats):
        lines.append(f'{row["notebook"][:22]:<22} {row["exercise"][:30]:<30} '
                     f'{s.passed:>4}/{s.submitted:<4} {row["pass_rate"]:>5} {s.no_answer:>9}')
        for answer, n in s.common():
            text = f'{n} x {answer}'
            lines.append('    ' + (text if len(text) <= width - 4 else text[:width - 7] + '...'))
    return '\n'.join(lines)
