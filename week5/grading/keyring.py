"""The instructor's answer keys, as the grader uses them (``keys/`` beside the ``week5``
package: the instructor's edition only; the student edition has neither keys nor grader).

Each recorded answer is judged by :func:`verdicts`: keyed answers against the plain keys,
code answers by their visible cases and then by the hidden cases of ``keys/hidden.py``,
reported as ``<check>_hidden``. The hidden cases reach a student's kernel only at grading
time, through the file :func:`write_hidden_cases` writes into the run's sealed scratch
folder (named by ``WEEK5_HIDDEN_CASES``).
"""
import json
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if (_ROOT / 'keys' / '__init__.py').exists() and str(_ROOT) not in sys.path:
    sys.path.append(str(_ROOT))     # keys/ is a folder of the repository, not installed

try:
    import keys
except ImportError as e:  # the student edition, or keys/ deleted
    raise ImportError('grading needs the instructor edition\'s keys/ folder beside week5/ '
                      f'({_ROOT / "keys"}): grade from the instructor repository') from e

from ..checks import CheckResult, HIDDEN_ENV

__all__ = ['HIDDEN_ENV', 'graded_names', 'verdicts', 'write_hidden_cases']


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


def write_hidden_cases(path, expected):
    """Write the hidden cases of the checks ``expected`` to ``path`` (JSON); return it."""
    cases = {n: keys.HIDDEN[n] for n in expected if n in keys.HIDDEN}
    Path(path).write_text(json.dumps(cases), encoding='utf-8')
    return str(path)
