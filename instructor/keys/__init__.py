"""The instructor's answer keys and hidden tests (never released to students).

- ``answers.KEYS``: the expected answer of every keyed exercise (a number, a shape, a
  name) and its typical wrong answers with their hints;
- ``hidden.HIDDEN``: hidden cases of every code exercise (a network or a block factory);
- :func:`grade`: the grader's verdicts for one recorded answer, judged with the plain keys
  and the hidden cases;
- ``python -m instructor.keys.hashes``: writes week5/checks/hashes.json, the salted hashes the
  checks of both editions judge keyed answers with (``--check``: is it up to date?).
"""
from week5.checks import CheckResult, judge, judge_cases

from .answers import KEYS
from .hidden import HIDDEN

HIDDEN_SUFFIX = '_hidden'


def hidden_name(name):
    """The name a hidden test's verdict is reported under: ``vgg_block_hidden``."""
    return name + HIDDEN_SUFFIX


def grade(name, data):
    """The grader's verdicts for check ``name``'s recorded answer ``data``: a list with the
    visible check's :class:`CheckResult` (a keyed answer judged with its plain key) and,
    for a code exercise, its hidden test's (``<name>_hidden``), which passes only if the
    visible check passed too."""
    visible = judge(name, data, key=KEYS.get(name))
    if name not in HIDDEN:
        return [visible]
    if not visible.passed:
        return [visible, CheckResult(hidden_name(name), False,
                                     'not run: the visible check failed first')]
    recorded = data.get('hidden') if isinstance(data, dict) else None
    return [visible, judge_cases(name, HIDDEN[name], recorded, hidden_name(name))]


def hidden_names(names):
    """The hidden tests the grader adds for the checks ``names``, in order."""
    return [hidden_name(n) for n in names if n in HIDDEN]
