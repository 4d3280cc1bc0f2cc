"""Predictions: committed before an experiment, compared with its run, never graded."""
import numbers

from .base import one_line

PREDICTION_PREFIX = '[week5 prediction]'
_PREDICTION_HINT = 'compare the means with the spread between seeds in the table above'


def _shown(value):
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, numbers.Integral):
        return f'{int(value):,}'
    if isinstance(value, numbers.Real):
        return f'{float(value):.3g}'
    return repr(value) if isinstance(value, str) else one_line(repr(value))


def _same(predicted, observed, tolerance, factor=None):
    if factor is not None:                       # a quantity: within a factor either way
        return (isinstance(predicted, numbers.Real) and not isinstance(predicted, bool)
                and predicted > 0 and observed > 0
                and observed / factor <= predicted <= observed * factor)
    if isinstance(observed, str):
        return isinstance(predicted, str) and \
            predicted.strip().lower() == observed.strip().lower()
    if isinstance(observed, bool) or isinstance(predicted, bool):
        return predicted is observed or (isinstance(predicted, bool) and predicted == observed)
    if isinstance(observed, numbers.Real) and isinstance(predicted, numbers.Real):
        return abs(float(predicted) - float(observed)) <= (tolerance or 0)
    return predicted == observed


def verify_prediction(name, predicted, observed, tolerance=None, why=None, print_fn=print,
                      factor=None):
    """Compare a prediction the student committed before an experiment with what the run
    showed, and print one line::

        [week5 prediction] lenet_winner: your prediction 'relu + max (modern)' - the run: 'relu + avg' (not this time: ...)

    Unlike the checks, the outcome depends on the run (seeds, profile), so it is not an
    exercise verdict: it never prints a ``[week5 check]`` line and the grader never scores
    it (nor does its name start with ``check_``, which would make its cell a check cell).
    Strings compare without case or surrounding spaces; numbers within ``tolerance``, or,
    for a quantity whose order of magnitude is the point (a ratio, a count, a speed-up),
    within ``factor`` of the run either way (``factor=2``: from half to twice it);
    ``why`` is the hint printed for a miss. Never raises; returns True, False, or None
    when there is no prediction yet."""
    try:
        if predicted is Ellipsis or predicted is None:
            print_fn(f'{PREDICTION_PREFIX} {name}: no prediction yet - write it in the cell '
                     'before the experiment (without peeking at the table), then run this cell')
            return None
        right = bool(_same(predicted, observed, tolerance, factor))
        near = ('' if not tolerance or isinstance(observed, str) else f', within {tolerance:g}')
        near = f', within a factor of {factor:g}' if factor else near
        verdict = 'right' + near if right else f'not this time: {why or _PREDICTION_HINT}'
        print_fn(f'{PREDICTION_PREFIX} {name}: your prediction {_shown(predicted)} - the run: '
                 f'{_shown(observed)} ({verdict})')
        return right
    except Exception as e:  # a prediction never breaks the notebook
        print_fn(f'{PREDICTION_PREFIX} {name}: could not compare ({type(e).__name__})')
        return False


PREDICT_SUFFIX, VERIFY_SUFFIX = '-predict', '-predict-verify'


def prediction_spans(cell_ids):
    """[(first, last)] indices of each prediction cell (id ``X-predict``) and its verify
    cell (``X-predict-verify``) in a notebook's ``cell_ids``: the student edition clears
    the outputs from one to the other, so the answer is not on the page before the student
    commits a prediction and runs the experiment."""
    ids = list(cell_ids)
    spans = []
    for first, cid in enumerate(ids):
        if cid and cid.endswith(PREDICT_SUFFIX):
            verify = cid + VERIFY_SUFFIX[len(PREDICT_SUFFIX):]
            if verify not in ids or ids.index(verify) < first:
                raise ValueError(f'prediction cell {cid!r} has no verify cell {verify!r} after '
                                 'it: add one that calls checks.verify_prediction')
            spans.append((first, ids.index(verify)))
    return spans
