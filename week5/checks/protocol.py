"""The checks' protocol: the registry of declared checks, answers as data, verdicts.

Answers and verdicts are two steps. :func:`describe_answer` runs the student's code and
turns the answer into plain data (numbers, tuples and strings as JSON; a network or a block
factory as a structural description -- layer kinds, kernel sizes, strides, paddings,
channels, output shapes, parameter counts -- taken by running it on the check's inputs).
:func:`judge` is a pure function of that data: it runs no student code, so the grader
calls it in its own process. In a student's notebook a check does both and prints the
verdict. Under the grader (``WEEK5_GRADE_ANSWERS=1`` in the kernel's environment) a check
prints only its answer record, ``[week5 answer] {"check": ..., "data": ...}``, and the
grader judges it: whatever the student patches in the kernel can at most forge an answer,
never a PASSED. There the grader may also name a file of hidden cases
(``WEEK5_HIDDEN_CASES``): a network or block factory is then described on those inputs
too, and the grader judges them with :func:`judge_cases` and the instructor's keys.
"""
import inspect
import json
import os
import re

from . import alexnet, compare, googlenet, lenet, nin, overview, vgg
from .base import (DESIGN, FACTORY, HASH_FILE, HASH_ITERATIONS, HASH_SCHEME, KEYED, NETWORK,
                   CheckResult, Fail, built, call_factory, decode, describe_block, encode,
                   hash_row, judge_keyed, load_hashes, one_line, reason)

ANSWER_ENV = 'WEEK5_GRADE_ANSWERS'
HIDDEN_ENV = 'WEEK5_HIDDEN_CASES'
ANSWER_PREFIX = '[week5 answer]'
ANSWER_RE = re.compile(r'^\[week5 answer\] (?P<record>\{.*\})$', re.MULTILINE)

# The one registry: every check as its chapter declares it, in the course's order.
DECLARATIONS = {c.name: c for chapter in (overview, lenet, alexnet, vgg, nin, googlenet, compare)
                for c in chapter.CHECKS}


def declaration(name):
    """The :class:`~week5.checks.base.Check` declared as ``name``."""
    if name not in DECLARATIONS:
        raise ValueError(f'unknown check {name!r}: known checks are '
                         f'{", ".join(sorted(DECLARATIONS))}')
    return DECLARATIONS[name]


def as_case(case):
    """``(args, X_shape)`` with JSON lists back as tuples (so labels read ``(4, 8)``)."""
    def tuples(x):
        return tuple(tuples(v) for v in x) if isinstance(x, (list, tuple)) else x
    args, X_shape = case
    return tuples(args), tuples(X_shape)


def _hidden_cases(name):
    """The hidden cases the grader put in the file named by ``WEEK5_HIDDEN_CASES`` (only
    under the grader), else none."""
    path = os.environ.get(HIDDEN_ENV)
    if not (os.environ.get(ANSWER_ENV) and path and os.path.exists(path)):
        return []
    with open(path, encoding='utf-8') as f:
        return [as_case(c) for c in json.load(f).get(name, [])]


def _describe_cases(check, answer, cases):
    described = []
    for args, X_shape in cases:
        try:
            if check.kind == NETWORK:
                described.append(describe_block(built(answer, check.label), X_shape))
            else:
                block, label = call_factory(answer, args, check.label)
                described.append(dict(describe_block(block, X_shape), label=label))
        except Exception as e:  # this case fails; the judge reads the reason
            described.append({'fail': reason(e)})
    return described


def describe_answer(name, answer):
    """The student's answer to check ``name`` as JSON-able data; runs the student's code.

    Never raises for a bad answer: what would fail the check early (no answer yet, not a
    block, the code raised) is recorded as ``{'fail': reason}``."""
    check = declaration(name)
    try:
        if check.kind not in (NETWORK, FACTORY):
            return {'value': encode(answer)}
        data = {'cases': _describe_cases(check, answer, check.cases)}
        if check.kind == NETWORK:       # one input: the record is that description
            data = data['cases'][0]
        hidden = _hidden_cases(name)
        if hidden:
            data['hidden'] = _describe_cases(check, answer, hidden)
        return data
    except Exception as e:  # the student's code failed: the record says why
        return {'fail': reason(e)}


_HASHES = {}


def _hash_entry(name):
    if not _HASHES:
        try:
            _HASHES.update(load_hashes())
        except (OSError, ValueError) as e:
            raise Fail(f'cannot read the answer hashes {HASH_FILE.name} ({one_line(e)}): '
                       'reinstall the course') from None
    if name not in _HASHES:
        raise Fail(f'{HASH_FILE.name} has no entry for this check: reinstall the course')
    return _HASHES[name]


def _judge_case(check, args, X_shape, desc):
    if not isinstance(desc, dict):
        raise Fail('malformed answer record')
    if 'fail' in desc:
        raise Fail(str(desc['fail']))
    check.judge(args, X_shape, desc)


def _judge(check, data, cases, key):
    if not isinstance(data, dict):
        raise Fail('malformed answer record')
    if 'fail' in data:
        raise Fail(str(data['fail']))
    if check.kind in KEYED:
        entry = _hash_entry(check.name) if key is None else None
        judge_keyed(check, check.parse(decode(data['value'])), entry, key)
    elif check.kind == DESIGN:
        check.judge(decode(data['value']))
    elif check.kind == NETWORK:
        for args, X_shape in cases:
            _judge_case(check, args, X_shape, data)
    else:
        recorded = data['cases']
        if not isinstance(recorded, list) or len(recorded) != len(cases):
            raise Fail('malformed answer record')
        for (args, X_shape), desc in zip(cases, recorded):
            _judge_case(check, args, X_shape, desc)


def _verdict(name, judging):
    try:
        judging()
        return CheckResult(name, True)
    except Fail as e:
        return CheckResult(name, False, one_line(e))
    except Exception as e:  # a malformed (e.g. forged) record
        return CheckResult(name, False, f'malformed answer record ({type(e).__name__})')


def judge(name, data, key=None):
    """The :class:`CheckResult` of check ``name`` for answer data from :func:`describe_answer`:
    the one judge of every answer, for a student's check, the grader and the keys.

    A pure function of ``data``: it runs no student code and loads no MXNet. Data that is
    not what :func:`describe_answer` writes (e.g. a forged record) fails, it never raises.
    A keyed answer (a number, a shape, a name) is judged with its plain ``key`` (a
    :class:`Key`, the instructor's) when given, else with the salted hashes of
    ``hashes.json``. Judges the visible cases; :func:`judge_cases` judges hidden ones."""
    check = declaration(name)
    if key is not None and check.kind not in KEYED:
        raise ValueError(f'key= is for checks with one right value; {name!r} judges a '
                         f'{check.kind}: call judge({name!r}, data) (hidden cases: judge_cases)')
    return _verdict(name, lambda: _judge(check, data, check.cases, key))


def hash_file(keys, salts):
    """The content of ``hashes.json`` for the plain ``keys`` ({check name: :class:`Key`})
    and ``salts`` ({check name: hex}), one of each for every keyed check."""
    keyed = [name for name, check in DECLARATIONS.items() if check.kind in KEYED]
    missing = [name for name in keyed if name not in keys or name not in salts]
    if missing:
        raise ValueError(f'keys= and salts= need an entry for every keyed check; missing: '
                         f'{", ".join(missing)}')
    return {'scheme': HASH_SCHEME, 'iterations': HASH_ITERATIONS,
            'checks': {name: hash_row(DECLARATIONS[name], keys[name], salts[name])
                       for name in keyed}}


def judge_cases(name, cases, recorded, result_name=None):
    """The :class:`CheckResult` (named ``result_name``, default ``name``) of the described
    blocks ``recorded`` (``data['hidden']`` of a record) judged on ``cases`` -- the
    ``(args, X_shape)`` pairs they were built and run with -- by the check's own rules."""
    check = declaration(name)
    if check.kind not in (NETWORK, FACTORY):
        raise ValueError(f'check {name!r} judges a {check.kind}: only networks and block '
                         'factories have cases')
    cases = [as_case(c) for c in cases]

    def judging():
        if not isinstance(recorded, list) or len(recorded) != len(cases):
            raise Fail('the hidden cases were not recorded (the check cell did not run '
                       'them)')
        for (args, X_shape), desc in zip(cases, recorded):
            _judge_case(check, args, X_shape, desc)
    return _verdict(result_name or name, judging)


def parse_answers(text):
    """``[(check name, data), ...]`` from the ``[week5 answer]`` lines in ``text``."""
    found = []
    for m in ANSWER_RE.finditer(text):
        try:
            record = json.loads(m['record'])
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get('check'), str):
            found.append((record['check'], record.get('data')))
    return found


def _check(name, answer):
    """What a check function does: describe the answer, then judge and print the verdict;
    under the grader only print the answer record (the grader judges it)."""
    data = describe_answer(name, answer)
    if os.environ.get(ANSWER_ENV):
        print(f'{ANSWER_PREFIX} ' + json.dumps({'check': name, 'data': data}, default=repr))
        return None
    result = judge(name, data)
    print(result.line)
    return result


def _function(check):
    """``check_<name>(<param>)``: the check function a notebook calls."""
    signature = inspect.Signature([inspect.Parameter(
        check.param, inspect.Parameter.POSITIONAL_OR_KEYWORD)])

    def run(*args, **kwargs):
        return _check(check.name, signature.bind(*args, **kwargs).arguments[check.param])
    run.__name__ = run.__qualname__ = f'check_{check.name}'
    run.__doc__ = check.question
    run.__signature__ = signature
    run.__module__ = 'week5.checks'
    return run


# name -> check function, in the course's order
CHECKS = {name: _function(check) for name, check in DECLARATIONS.items()}
