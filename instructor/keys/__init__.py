"""The instructor's answer keys and hidden tests (never released to students).

- ``answers.KEYS``: the expected answer of every keyed exercise (a number, a shape, a
  name) and its typical wrong answers with their hints;
- ``hidden.HIDDEN``: hidden cases of every code exercise (a network or a block factory);
- :func:`grade`: the grader's verdicts for one recorded answer, judged with the plain keys
  and the hidden cases;
- ``python -m instructor.keys.hashes``: writes week5/checks/hashes.json, the salted hashes the
  checks of both editions judge keyed answers with (``--check``: is it up to date?).
"""
from week5.checks import CheckResult, declaration, judge, judge_cases
from week5.checks.base import KEYED, Fail, decode, one_line, shown

from .answers import KEYS
from .hidden import HIDDEN

HIDDEN_SUFFIX = '_hidden'


def hidden_name(name):
    """The name a hidden test's verdict is reported under: ``vgg_block_hidden``."""
    return name + HIDDEN_SUFFIX


def _judge_with_key(name, data):
    check, key = declaration(name), KEYS[name]
    try:
        if not isinstance(data, dict):
            raise Fail('malformed answer record')
        if 'fail' in data:
            raise Fail(str(data['fail']))
        value = check.parse(decode(data['value']))
        if value == key.answer:
            return CheckResult(name, True)
        hint = key.wrong.get(value, check.rule)
        raise Fail(f'{shown(value)} is not it: {hint}')
    except Fail as e:
        return CheckResult(name, False, one_line(e))
    except Exception as e:  # a malformed (e.g. forged) record
        return CheckResult(name, False, f'malformed answer record ({type(e).__name__})')


def grade(name, data):
    """The grader's verdicts for check ``name``'s recorded answer ``data``: a list with the
    visible check's :class:`CheckResult` and, for a code exercise, its hidden test's
    (``<name>_hidden``), which passes only if the visible check passed too."""
    check = declaration(name)
    if check.kind in KEYED:
        return [_judge_with_key(name, data)]
    visible = judge(name, data)
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
