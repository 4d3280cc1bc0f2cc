"""The grading policy: points per exercise, deadlines, the late penalty, hand-graded items.

    python -m instructor.grading SUBMISSIONS --policy grading.toml [--deadline 2026-12-01T23:59]

A policy is a TOML file in the instructor's repository (read with Python's ``tomllib``)::

    [hidden]
    visible_share = 0.5       # passing the visible part of an exercise with a hidden test
                              # earns this share of its points; its hidden test the rest

    [late]
    penalty_per_day = 0.1     # share of the notebook's points lost per started day late
    max_penalty = 0.5         # never more than this share
    unknown_time_days = 1     # the platform says "late" but gives no time: counted as 1 day

    [notebooks."01_lenet"]
    deadline = 2026-12-01T23:59:00Z      # a TOML date-time (no zone: UTC)
    points = { lenet_bn = 4, lenet_conv2_shape = 1, lenet_conv2_params = 1 }
    hand = [ { name = "Exercise 4 (discussion)", cell = "lenet-ex4", points = 2 },
             { name = "Prediction", cell = "lenet-predict", points = 1 } ]

Without a file (or for what it leaves out) the defaults reproduce the grades of a plain
run: every check is worth 1 point and an exercise with a hidden test 2 (its visible part
1, the hidden test 1), no deadline, no penalty, nothing graded by hand.

:func:`score` turns one notebook's verdicts, its hand grades and its lateness into points
(a ``Score``: plain data, stored in the run records and shown in the report, the
gradebooks and the feedback).
"""
import math
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from instructor.keys import HIDDEN_SUFFIX

__all__ = ['HandItem', 'NotebookPolicy', 'Policy', 'Score', 'PolicyError', 'load_policy', 'parse_deadline',
           'score_class', 'submission_time', 'fmt_points',
           'days_late', 'score', 'notebook_stem', 'DEFAULT_VISIBLE_SHARE']

DEFAULT_VISIBLE_SHARE = 0.5


def fmt_points(value):
    """Points as people write them: ``2``, ``1.5``, ``0.33``."""
    return f'{value:.2f}'.rstrip('0').rstrip('.')


def notebook_stem(name):
    """``01_lenet.ipynb`` and ``01_lenet`` name the same notebook in a policy."""
    return name[:-len('.ipynb')] if name.endswith('.ipynb') else name


@dataclass(frozen=True)
class HandItem:
    """An answer graded by hand: the cell (by id) of the question whose answer is read."""
    name: str
    cell: str
    points: float


@dataclass(frozen=True)
class NotebookPolicy:
    points: dict = field(default_factory=dict)     # check name -> points of its exercise
    hand: tuple = ()                               # HandItem, in notebook order
    deadline: datetime = None


@dataclass(frozen=True)
class Policy:
    notebooks: dict = field(default_factory=dict)  # notebook stem -> NotebookPolicy
    visible_share: float = DEFAULT_VISIBLE_SHARE
    penalty_per_day: float = 0.0
    max_penalty: float = 1.0
    unknown_time_days: int = 1
    deadline: datetime = None                      # --deadline: every notebook without its own

    def of(self, notebook):
        return self.notebooks.get(notebook_stem(notebook), NotebookPolicy())

    def deadline_of(self, notebook):
        return self.of(notebook).deadline or self.deadline

    def exercise_points(self, notebook, check, hidden=False):
        """The policy's points, else 1 per verdict (2 for an exercise with a hidden test)."""
        return float(self.of(notebook).points.get(check, 2.0 if hidden else 1.0))


@dataclass
class Score:
    """One notebook's points, all plain data (it goes into the run records as a dict)."""
    points: float            # after the late penalty
    possible: float
    auto: float              # from the checks
    hand: float              # graded by hand (None items count 0 until graded)
    penalty: float           # points taken for lateness
    late_days: int           # 0: on time (or no deadline known)
    late: bool
    exercises: list          # [{'check', 'points', 'possible', 'passed', 'hidden'}]
    hand_items: list         # [{'name', 'points', 'possible', 'comment', 'graded'}]

    def as_dict(self):
        return asdict(self)


class PolicyError(ValueError):
    """A policy file that cannot be used: the message names the key and the fix."""


def parse_deadline(value, what='--deadline'):
    """A deadline from TOML (a datetime or date) or the command line (ISO 8601); a time
    without a zone is UTC."""
    if isinstance(value, datetime):
        when = value
    elif hasattr(value, 'year') and not isinstance(value, datetime):   # a TOML date
        when = datetime(value.year, value.month, value.day, 23, 59, 59)
    else:
        try:
            when = datetime.fromisoformat(str(value).replace('Z', '+00:00'))
        except ValueError:
            raise PolicyError(f'{what} {value!r} is not a date-time: write it as ISO 8601, '
                              'e.g. 2026-12-01T23:59 (UTC) or 2026-12-01T23:59+01:00') from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _number(table, key, where, default, low=0.0, high=None):
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low \
            or (high is not None and value > high):
        bound = f'between {low:g} and {high:g}' if high is not None else f'at least {low:g}'
        raise PolicyError(f'{where}.{key} = {value!r}: write a number {bound}')
    return value


def load_policy(path=None, deadline=None, known_checks=None):
    """The Policy of a TOML file (None: the defaults), with ``deadline`` (``--deadline``)
    for every notebook the file gives no deadline. ``known_checks`` ({notebook stem:
    check names}) lets a misspelt check name fail here rather than grade silently."""
    data = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding='utf-8'))
        except OSError as e:
            raise PolicyError(f'--policy {str(path)!r} cannot be read ({e.strerror}): pass the '
                              'grading.toml of your course') from None
        except tomllib.TOMLDecodeError as e:
            raise PolicyError(f'--policy {str(path)!r} is not valid TOML ({e})') from None
    unknown = set(data) - {'hidden', 'late', 'notebooks'}
    if unknown:
        raise PolicyError(f'--policy: unknown table(s) {", ".join(sorted(unknown))}: the tables '
                          'are [hidden], [late] and [notebooks."NAME"]')
    hidden, late = data.get('hidden', {}), data.get('late', {})
    notebooks = {}
    for name, table in data.get('notebooks', {}).items():
        where = f'notebooks."{name}"'
        stem = notebook_stem(name)
        points = dict(table.get('points', {}))
        for check, value in points.items():
            _number(points, check, f'{where}.points', 1)
            if known_checks is not None and stem in known_checks and check not in known_checks[stem]:
                raise PolicyError(f'{where}.points names {check!r}, which notebook {stem} does not '
                                  f'check: use one of {", ".join(known_checks[stem])}')
        items = []
        for i, item in enumerate(table.get('hand', [])):
            if not isinstance(item, dict) or not {'name', 'cell', 'points'} <= set(item):
                raise PolicyError(f'{where}.hand[{i}] needs name, cell (the question cell\'s id) '
                                  'and points')
            items.append(HandItem(str(item['name']), str(item['cell']),
                                  float(_number(item, 'points', f'{where}.hand[{i}]', 0))))
        if len({h.name for h in items}) != len(items):
            raise PolicyError(f'{where}.hand: two items share a name; give each its own')
        when = parse_deadline(table['deadline'], f'{where}.deadline') if 'deadline' in table else None
        notebooks[stem] = NotebookPolicy(points, tuple(items), when)
    return Policy(notebooks,
                  float(_number(hidden, 'visible_share', '[hidden]', DEFAULT_VISIBLE_SHARE, 0, 1)),
                  float(_number(late, 'penalty_per_day', '[late]', 0.0, 0, 1)),
                  float(_number(late, 'max_penalty', '[late]', 1.0, 0, 1)),
                  int(_number(late, 'unknown_time_days', '[late]', 1)),
                  parse_deadline(deadline) if deadline is not None else None)


def days_late(submitted, deadline, late_flag=None, unknown_time_days=1):
    """Started days after the deadline (0: on time). ``submitted`` is an aware datetime
    or None; without a time, the platform's own late flag counts ``unknown_time_days``."""
    if deadline is not None and submitted is not None:
        over = (submitted - deadline).total_seconds()
        return max(0, math.ceil(over / 86400))
    return unknown_time_days if late_flag else 0


def score(result, policy, hand=None, submitted=None, late_flag=None):
    """The Score of one NotebookResult under `policy`.

    ``hand``: {item name: (points or None, comment)} from the imported hand grades;
    ``submitted``: when the notebook was handed in (aware datetime or None);
    ``late_flag``: the platform's own lateness mark (Canvas' LATE_), or None."""
    hand = hand or {}
    by_name = {c.name: c for c in result.checks}
    exercises, auto, possible = [], 0.0, 0.0
    for c in result.checks:
        if c.name.endswith(HIDDEN_SUFFIX) and c.name[:-len(HIDDEN_SUFFIX)] in by_name:
            continue                        # counted with its exercise
        hidden = by_name.get(c.name + HIDDEN_SUFFIX)
        worth = policy.exercise_points(result.notebook, c.name, hidden is not None)
        if hidden is None:
            got = worth if c.passed else 0.0
        else:
            share = policy.visible_share
            got = worth * (share * c.passed + (1 - share) * (c.passed and hidden.passed))
        exercises.append({'check': c.name, 'points': round(got, 4), 'possible': worth,
                          'passed': c.passed, 'hidden': None if hidden is None else hidden.passed})
        auto += got
        possible += worth
    items, hand_points = [], 0.0
    for item in policy.of(result.notebook).hand:
        got, comment = hand.get(item.name, (None, ''))
        if result.status in ('missing', 'unknown-notebook'):
            got = 0.0 if got is None else got
        items.append({'name': item.name, 'points': got, 'possible': item.points,
                      'comment': comment, 'graded': got is not None})
        hand_points += got or 0.0
        possible += item.points
    deadline = policy.deadline_of(result.notebook)
    days = 0 if result.status == 'missing' else days_late(
        submitted, deadline, late_flag, policy.unknown_time_days)
    late = days > 0
    share = min(policy.max_penalty, policy.penalty_per_day * days)
    total = auto + hand_points
    penalty = round(total * share, 4)
    return Score(round(total - penalty, 4), possible, round(auto, 4), round(hand_points, 4),
                 penalty, days, late, exercises, items)


def submission_time(submissions_dir, student, notebook, intake=None):
    """When `student` handed `notebook` in: the time collect kept from the download, else
    the file's modification time (collect sets it to the hand-in time); None if absent."""
    info = ((intake or {}).get('students', {}).get(student, {})
            .get('notebooks', {}).get(notebook, {}))
    if info.get('submitted'):
        return parse_deadline(info['submitted'], 'intake.json submitted')
    path = Path(submissions_dir) / student / notebook
    if path.is_file():
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return None


def score_class(results, policy, submissions_dir, intake=None, hand=None):
    """Set each NotebookResult's ``score`` (a dict) under `policy`, with the hand grades
    ({(student, notebook stem): {item: (points, comment)}}) and the lateness of each file."""
    hand = hand or {}
    students = (intake or {}).get('students', {})
    for r in results:
        flag = students.get(r.student, {}).get('notebooks', {}).get(r.notebook, {}).get('late')
        when = submission_time(submissions_dir, r.student, r.notebook, intake) \
            if policy.deadline_of(r.notebook) is not None else None
        r.score = score(r, policy, hand.get((r.student, notebook_stem(r.notebook))),
                        when, flag).as_dict()
    return results
