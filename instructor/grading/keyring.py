"""The instructor's answer keys, as the grader uses them (``instructor.keys``: the
instructor's edition only; the student edition has neither keys nor grader).

Each recorded answer is judged by :func:`verdicts`: keyed answers against the plain keys,
code answers by their visible cases and then by the hidden cases of
``instructor/keys/hidden.py``, reported as ``<check>_hidden``. The hidden cases reach a
student's kernel only at grading time: :func:`hidden_cases` puts them in the job, and the sealed run writes them into its
scratch folder (named by ``WEEK5_HIDDEN_CASES``, ``runs.run_record``).
"""
from week5.checks import CheckResult

from .. import keys

__all__ = ['graded_names', 'verdicts', 'hidden_cases']


def graded_names(expected):
    """The verdict names for the checks ``expected``: each followed by its hidden test."""
    return [n for name in expected for n in [name, *keys.hidden_names([name])]]


def verdicts(name, data):
    """``{verdict name: CheckResult}`` for check ``name``'s recorded answer ``data``; a
    failed check if the reference names a check week5.checks lacks."""
    try:
        return {r.name: r for r in keys.grade(name, data)}
    except ValueError as e:
        return {name: CheckResult(name, False, f'cannot be judged: {e}')}


def hidden_cases(expected):
    """The hidden cases of the checks ``expected`` (plain data: the run writes them into
    its sealed scratch folder, ``runs.run_record``)."""
    return {n: keys.HIDDEN[n] for n in expected if n in keys.HIDDEN}
