"""Exercise checks for the chapter notebooks (and for grading).

Every check prints exactly one verdict line in a fixed, parseable format::

    [week5 check] vgg_bn_block: PASSED
    [week5 check] vgg_bn_block: FAILED - vgg_bn_block(2, 8) has 1 convolution(s), expected 2

and returns a :class:`CheckResult`. A check never raises: an unanswered exercise
(``...``, ``None`` or ``NotImplementedError``) or an exception in the student's code
becomes a FAILED verdict with a short reason. Reasons are deterministic (shapes,
counts, layer types; never timings or random values) so that notebooks stay
checkable with nbval.

Each check is declared once, as a ``Check`` row in its chapter's module (``overview``,
``lenet``, ``alexnet``, ``vgg``, ``nin``, ``googlenet``, ``compare``); the check
functions ``check_<name>``, the registry ``CHECKS`` and ``__all__`` follow from those rows
(``protocol.py``). A check whose answer is one value (a number, a shape, a name) holds no
answer: it compares a salted hash of the student's value with ``hashes.json``, which the
instructor's edition generates from ``instructor/keys`` (see docs/instructors.md). Design
exercises are judged by the rules their question states; a network or a block factory by
the structure it builds on the check's inputs (and, under the grader, on hidden ones).

    >>> from week5 import checks
    >>> checks.check_lenet_conv2_params(...)        # doctest: +SKIP
    [week5 check] lenet_conv2_params: FAILED - no answer yet: replace the ... with the number of parameters

``VERDICT_RE`` / :func:`parse_verdicts` read the lines back. Never imports matplotlib,
IPython or ipywidgets.
"""
from .base import HASH_FILE, VERDICT_RE, Check, CheckResult, Key, conv_params, parse_verdicts
from .googlenet import inception_params
from .predictions import PREDICTION_PREFIX, prediction_spans, verify_prediction
from .protocol import (ANSWER_ENV, ANSWER_RE, CHECKS, DECLARATIONS, HIDDEN_ENV, declaration,
                       describe_answer, hash_file, judge, judge_cases, parse_answers)
from .vgg import vgg_params

globals().update({f'check_{name}': function for name, function in CHECKS.items()})

__all__ = (['Check', 'CheckResult', 'CHECKS', 'DECLARATIONS', 'VERDICT_RE', 'parse_verdicts',
            'ANSWER_ENV', 'ANSWER_RE', 'HIDDEN_ENV', 'describe_answer', 'judge',
            'judge_cases', 'declaration', 'parse_answers', 'PREDICTION_PREFIX',
            'verify_prediction', 'prediction_spans', 'Key', 'HASH_FILE', 'hash_file',
            # the shape arithmetic the design checks' budgets use (and the keys)
            'conv_params', 'vgg_params', 'inception_params']
           + [f'check_{name}' for name in CHECKS])
