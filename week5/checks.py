"""Exercise checks for the chapter notebooks (and for grading).

Every check prints exactly one verdict line in a fixed, parseable format::

    [week5 check] vgg_block: PASSED
    [week5 check] vgg_block: FAILED - vgg_block(2, 8) has 1 convolution(s), expected 2

and returns a :class:`CheckResult`. A check never raises: an unanswered exercise
(``...``, ``None`` or ``NotImplementedError``) or an exception in the student's code
becomes a FAILED verdict with a short reason. Reasons are deterministic (shapes,
counts, layer types; never timings or random values) so that notebooks stay
checkable with nbval. Expected values are computed here from first principles (the
convolution arithmetic of the lecture), not taken from ``week5.models``, so a check
does not change when the library's models do.

    >>> from week5 import checks
    >>> checks.check_lenet_conv2_params(880)        # doctest: +SKIP
    [week5 check] lenet_conv2_params: PASSED

``VERDICT_RE`` / :func:`parse_verdicts` read the lines back.

Answers and verdicts are two steps. :func:`describe_answer` runs the student's code and
turns the answer into plain data (numbers, tuples and strings as JSON; a network or a block
factory as a structural description -- layer kinds, kernel sizes, strides, paddings,
channels, output shapes, parameter counts -- taken by running it on the check's inputs).
:func:`judge` is a pure function of that data: it runs no student code, so the grader
calls it in its own process. In a student's notebook a check does both and prints the
verdict. Under the grader (``WEEK5_GRADE_ANSWERS=1`` in the kernel's environment) a check
prints only its answer record, ``[week5 answer] {"check": ..., "data": ...}``, and the
grader judges it: whatever the student patches in the kernel can at most forge an answer,
never a PASSED.
Never imports matplotlib, IPython or ipywidgets.
"""
import json
import numbers
import os
import re
import warnings
from dataclasses import dataclass

from .summary import iter_layers

__all__ = ['CheckResult', 'CHECKS', 'VERDICT_RE', 'parse_verdicts',
           'ANSWER_ENV', 'ANSWER_RE', 'describe_answer', 'judge', 'parse_answers',
           'check_channels_first', 'check_matmul_flops',
           'check_lenet_conv2_shape', 'check_lenet_conv2_params', 'check_lenet_modern',
           'check_alexnet_conv1_size', 'check_alexnet_dense_params', 'check_alexnet_head',
           'check_vgg_block', 'check_vgg_budget', 'check_vgg_dense_inputs',
           'check_nin_block', 'check_conv1x1_params', 'check_nin_head',
           'check_inception', 'check_inception_out_channels', 'check_inception_params',
           'check_inception_design', 'check_params_ratio', 'check_gap_saving',
           'PREDICTION_PREFIX', 'verify_prediction']

PREFIX = '[week5 check]'
VERDICT_RE = re.compile(r'^\[week5 check\] (?P<name>[a-z0-9_]+): (?P<verdict>PASSED|FAILED)'
                        r'(?: - (?P<reason>.+))?$', re.MULTILINE)
_MAX_REASON = 200
ANSWER_ENV = 'WEEK5_GRADE_ANSWERS'
ANSWER_PREFIX = '[week5 answer]'
ANSWER_RE = re.compile(r'^\[week5 answer\] (?P<record>\{.*\})$', re.MULTILINE)
_MAX_ITEMS = 64     # an answer is a number, a shape or a short tuple: longer lists are cut


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``name``, ``passed`` and a one-line ``reason``."""
    name: str
    passed: bool
    reason: str = ''

    @property
    def line(self):
        """The verdict line exactly as printed."""
        if self.passed:
            return f'{PREFIX} {self.name}: PASSED'
        return f'{PREFIX} {self.name}: FAILED - {self.reason}'

    def __bool__(self):
        return self.passed

    def _ipython_display_(self):
        # The verdict line has already been printed; showing the object again as the
        # cell's value would print it twice.
        pass


def parse_verdicts(text):
    """All verdicts in ``text`` as a list of :class:`CheckResult`, in order."""
    return [CheckResult(m['name'], m['verdict'] == 'PASSED', m['reason'] or '')
            for m in VERDICT_RE.finditer(text)]


class _Fail(Exception):
    """Raised inside a check to end it with a readable reason."""


def _one_line(text):
    text = ' '.join(str(text).split())
    return text if len(text) <= _MAX_REASON else text[:_MAX_REASON - 3] + '...'


def _error_text(err):
    """The informative line of an exception message: the first line, or for MXNet's
    backend errors (a C++ traceback) the last one, without the 'MXNetError: ' prefix."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    if not lines:
        return ''
    line = lines[-1] if lines[0].startswith('Traceback') else lines[0]
    return line[len('MXNetError: '):] if line.startswith('MXNetError: ') else line


def _reason(err):
    """The FAILED reason for an exception met while reading a student's answer."""
    if isinstance(err, _Fail):
        return _one_line(err)
    return _raised(type(err).__name__, _error_text(err))


def _raised(type_name, text):
    if type_name == 'NotImplementedError':
        return ('not answered yet: your code still raises NotImplementedError - replace it '
                'with your solution')
    return _one_line(f'your code raised {type_name}' + (f': {text}' if text else ''))


def describe_answer(name, answer):
    """The student's answer to check ``name`` as JSON-able data; runs the student's code.

    Never raises for a bad answer: what would fail the check early (no answer yet, not a
    block, the code raised) is recorded as ``{'fail': reason}``."""
    describe, _ = _entry(name)
    try:
        return describe(answer)
    except Exception as e:  # the student's code failed: the record says why
        return {'fail': _reason(e)}


def judge(name, data):
    """The :class:`CheckResult` of check ``name`` for answer data from :func:`describe_answer`.

    A pure function of ``data``: it runs no student code. Data that is not what
    :func:`describe_answer` writes (e.g. a forged record) fails, it never raises."""
    _, judge_data = _entry(name)
    try:
        if not isinstance(data, dict):
            raise _Fail('malformed answer record')
        if 'fail' in data:
            raise _Fail(str(data['fail']))
        judge_data(data)
        return CheckResult(name, True)
    except _Fail as e:
        return CheckResult(name, False, _one_line(e))
    except Exception as e:  # a malformed (e.g. forged) record
        return CheckResult(name, False, f'malformed answer record ({type(e).__name__})')


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


def _entry(name):
    if name not in _CHECKS:
        raise ValueError(f'unknown check {name!r}: known checks are {", ".join(sorted(_CHECKS))}')
    return _CHECKS[name]


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


# ----------------------------------------------------------------------------------
# answers as data: numbers, strings, tuples; anything else by type and repr

class _Opaque:
    """An answer that is not a number, string or sequence, as the judge sees it."""

    def __init__(self, type_name, text):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return self.text


def _encode(answer):
    """A JSON-able copy of an answer: tuples are ``{'tuple': [...]}``, ``...`` is
    ``{'ellipsis': True}``, anything else ``{'type': name, 'repr': text}``."""
    if answer is None or isinstance(answer, (bool, str)):
        return answer if not isinstance(answer, str) else answer[:_MAX_REASON]
    if answer is Ellipsis:
        return {'ellipsis': True}
    if isinstance(answer, numbers.Integral):
        return int(answer)
    if isinstance(answer, numbers.Real):
        return float(answer)
    if isinstance(answer, (tuple, list)):
        items = [_encode(a) for a in answer[:_MAX_ITEMS]]
        return {'tuple': items} if isinstance(answer, tuple) else items
    if hasattr(answer, 'tolist') and hasattr(answer, 'shape'):   # NumPy / MXNet arrays
        return _encode(answer.tolist())
    return {'type': type(answer).__name__, 'repr': _one_line(repr(answer))}


def _decode(data):
    if isinstance(data, list):
        return [_decode(d) for d in data]
    if not isinstance(data, dict):
        return data
    if data.get('ellipsis') is True:
        return Ellipsis
    if isinstance(data.get('tuple'), list):
        return tuple(_decode(d) for d in data['tuple'])
    return type(str(data.get('type', 'object')), (_Opaque,), {})(
        str(data.get('type', 'object')), str(data.get('repr', '?')))


def _value(judge_value):
    """Describe / judge pair of a check whose answer is a value (number, shape, name)."""
    return (lambda answer: {'value': _encode(answer)},
            lambda data: judge_value(_decode(data['value'])))


# ----------------------------------------------------------------------------------
# answers: numbers, shapes, tuples

def _require(answer, what):
    if answer is Ellipsis or answer is None:
        raise _Fail(f'no answer yet: replace the ... with {what}')
    return answer


def _as_int(answer, what):
    _require(answer, what)
    if isinstance(answer, bool):
        raise _Fail(f'expected a whole number ({what}), got {answer!r}')
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise _Fail(f'expected a whole number ({what}), got {type(answer).__name__} '
                    f'{answer!r}') from None
    if value != int(value):
        raise _Fail(f'expected a whole number ({what}), got {answer!r}')
    return int(value)


def _as_shape(answer, what):
    _require(answer, what)
    try:
        shape = tuple(answer)
    except TypeError:
        raise _Fail(f'expected a shape such as (1, 3, 8, 8) ({what}), got '
                    f'{answer!r}') from None
    return tuple(_as_int(d, 'each entry of the shape') for d in shape)


def _hint(value, hints, shown=None):
    """Fail with the targeted hint when ``value`` is a known wrong answer."""
    if value in hints:
        raise _Fail(f'{shown or value} is not it: {hints[value]}')


def _compare_number(value, expected, hints, generic):
    """Fail with a hint for a known wrong answer, else a direction and ``generic``."""
    if value == expected:
        return
    _hint(value, hints, f'{value:,}')
    direction = 'too small' if value < expected else 'too large'
    raise _Fail(f'{value:,} is {direction}: {generic}')


# ----------------------------------------------------------------------------------
# blocks: build, run, inspect

def _is_np_mode():
    import mxnet as mx
    return mx.util.is_np_array()


def _input(shape):
    """A deterministic standard-normal input (positive and negative values)."""
    import numpy
    import mxnet as mx
    x = numpy.random.RandomState(0).standard_normal(shape).astype('float32')
    return mx.np.array(x) if _is_np_mode() else mx.nd.array(x)


def _as_block(obj, label):
    from mxnet.gluon import Block
    if obj is None:
        raise _Fail(f'{label} returned None: return the block you built')
    if obj is Ellipsis:
        raise _Fail(f'no answer yet: {label} is still ...')
    if not isinstance(obj, Block):
        raise _Fail(f'{label} is a {type(obj).__name__}, expected a Gluon block '
                    '(e.g. nn.Sequential)')
    return obj


def _built(net, label):
    """A block the student filled with layers (an empty one is an unanswered exercise)."""
    block = _as_block(_require(net, f'your {label}'), label)
    if next(iter_layers(block, max_depth=1), None) is None:
        raise _Fail(f'no answer yet: {label} has no layers - add them with '
                    f'{label}.add(...)')
    return block


def _call_factory(factory, args, fname):
    _require(factory, f'your {fname}')
    if not callable(factory):
        raise _Fail(f'{fname} should be a function or class, got {type(factory).__name__}')
    from .tensor import use_np
    use_np()        # build with week5's array semantics, as the notebooks do
    label = f'{fname}{_fmt_args(args)}'
    return _as_block(factory(*args), label), label


def _fmt_args(args):
    return '(' + ', '.join(repr(a) for a in args) + ')'


def _run(block, X_shape):
    """Initialise uninitialised parameters (quietly), run once; (output shape,
    number of parameters, output as numpy)."""
    params = list(block.collect_params().values())
    if any(p._data is None and p._deferred_init == () for p in params):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            block.initialize()
    Y = block(_input(X_shape))
    Y = Y.asnumpy()
    count = sum(int(p.data().size) for p in block.collect_params().values())
    return tuple(Y.shape), count, Y


def _layers(block):
    """The leaf layers of a block in registration order."""
    from mxnet.gluon import nn
    leaves = (nn.Conv2D, nn.Dense, nn.Dropout, nn.Activation, nn.Flatten)
    if isinstance(block, leaves) or next(iter_layers(block, max_depth=1), None) is None:
        yield block
        return
    for _, child, _ in iter_layers(block, max_depth=1):
        yield from _layers(child)


def _describe_layer(layer):
    """One leaf layer as data: its kind and the settings the checks look at."""
    from mxnet.gluon import nn
    kwargs = getattr(layer, '_kwargs', None) or {}
    act = getattr(getattr(layer, 'act', None), '_act_type', None)
    if isinstance(layer, nn.Conv2D):
        return {'kind': 'conv', 'channels': layer._channels, 'kernel': list(kwargs['kernel']),
                'strides': list(kwargs['stride']), 'padding': list(kwargs['pad']), 'act': act}
    if isinstance(layer, nn.Dense):
        return {'kind': 'dense', 'units': layer._units, 'act': act}
    if isinstance(layer, nn.Dropout):
        return {'kind': 'dropout', 'rate': layer._rate}
    if isinstance(layer, nn.Activation):
        return {'kind': 'act', 'act': layer._act_type}
    if 'pool_type' in kwargs:
        return {'kind': 'pool', 'pool_type': kwargs['pool_type'],
                'global': bool(kwargs.get('global_pool')), 'kernel': list(kwargs['kernel']),
                'strides': list(kwargs['stride']), 'padding': list(kwargs['pad'])}
    return {'kind': 'other', 'type': type(layer).__name__}


def _describe_block(block, X_shape):
    """A block as data: its leaf layers, then what running it on the check's input gave
    (output shape, parameter count, whether the output has negative values) or raised."""
    desc = {'layers': [_describe_layer(layer) for layer in _layers(block)],
            'input': list(X_shape)}
    try:
        shape, count, Y = _run(block, X_shape)
    except Exception as e:  # judged later: e.g. Inception's concatenation errors
        desc['run_error'] = {'type': type(e).__name__, 'text': _error_text(e),
                             'message': str(e)[:2000]}
        return desc
    desc.update(output=list(shape), params=count, negative=bool((Y < 0).any()))
    return desc


def _network(label, X_shape):
    """Describe / judge-input for a check whose answer is one network (a built block)."""
    return lambda net: _describe_block(_built(net, label), X_shape)


def _factory(fname, cases):
    """Describe for a check whose answer builds blocks: one description per case."""
    def describe(factory):
        described = []
        for args, X_shape in cases:
            try:
                block, label = _call_factory(factory, args, fname)
                described.append(dict(_describe_block(block, X_shape), label=label))
            except Exception as e:  # this case fails; the judge reads the reason
                described.append({'fail': _reason(e)})
        return {'cases': described}
    return describe


def _cases(data, cases):
    """The recorded cases, in the check's own order; a case that failed ends the check."""
    recorded = data['cases']
    if not isinstance(recorded, list) or len(recorded) != len(cases):
        raise _Fail('malformed answer record')
    for (args, X_shape), case in zip(cases, recorded):
        if 'fail' in case:
            raise _Fail(str(case['fail']))
        yield args, X_shape, case


def _ran(desc):
    """(output shape, parameter count, output has negatives) of a described block."""
    err = desc.get('run_error')
    if err is not None:
        raise _Fail(_raised(str(err.get('type')), str(err.get('text') or '')))
    return tuple(int(d) for d in desc['output']), int(desc['params']), bool(desc['negative'])


def _inventory(desc):
    """Counts of what a described block contains, by kind."""
    inv = {'conv': [], 'dense': [], 'dropout': [], 'pool': [], 'gap': 0, 'act': []}
    for layer in desc['layers']:
        kind = layer.get('kind')
        if kind == 'conv':
            inv['conv'].append(layer['kernel'][0])
        elif kind == 'dense':
            inv['dense'].append(layer['units'])
        elif kind == 'dropout':
            inv['dropout'].append(layer['rate'])
        elif kind == 'pool':
            if layer['global']:
                inv['gap'] += 1
            else:
                inv['pool'].append((layer['pool_type'], layer['kernel'][0], layer['strides'][0]))
        if kind in ('conv', 'dense', 'act') and layer.get('act') is not None:
            inv['act'].append(layer['act'])
    return inv


def _conv_params(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def _expect_shape(label, got, expected, hint):
    if got != expected:
        raise _Fail(f'{label}: output shape {got}, expected {expected} ({hint})')


def _expect_params(label, got, expected, hint):
    if got != expected:
        raise _Fail(f'{label}: {got:,} parameters, expected {expected:,} ({hint})')


def _expect_relu(label, negative, where):
    if negative:
        raise _Fail(f'{label}: the output has negative values, so {where} has no ReLU - '
                    "add activation='relu'")


# ----------------------------------------------------------------------------------
# 00 overview

def check_channels_first(answer):
    """Keras' batch of 64 colour 96x96 images, (64, 96, 96, 3), as MXNet expects it."""
    return _check('channels_first', answer)


def _judge_channels_first(answer):
    shape = _as_shape(answer, 'the MXNet shape of the batch')
    hints = {(64, 96, 96, 3): 'that is the Keras (channels-last) shape; MXNet puts the '
                              'channels right after the batch axis',
             (32, 1, 28, 28): 'that is a batch of 32 grey 28x28 images; this one holds '
                              '64 colour 96x96 images',
             (64, 1, 96, 96): 'colour images have 3 channels (red, green, blue)',
             (3, 64, 96, 96): 'the batch axis comes first, then the channels'}
    _hint(shape, hints)
    if len(shape) != 4:
        raise _Fail(f'expected 4 numbers (batch, channels, height, width), got {len(shape)}')
    if sorted(shape) != sorted((64, 3, 96, 96)):
        raise _Fail(f'{shape} does not hold the same numbers as (64, 96, 96, 3)')
    if shape != (64, 3, 96, 96):
        raise _Fail(f'{shape}: the order is (batch, channels, height, width)')


_MATMUL = (512, 2048, 256)      # (n, k, m): an n x k matrix times a k x m matrix


def check_matmul_flops(answer):
    """Floating-point operations of one 512x2048 by 2048x256 matrix product."""
    return _check('matmul_flops', answer)


def _judge_matmul_flops(answer):
    n, k, m = _MATMUL
    value = _as_int(answer, 'the number of floating-point operations')
    _compare_number(value, 2 * n * k * m,
                    {n * k * m: 'that counts each multiply-add once; count the '
                                'multiply and the add as two operations',
                     n * m: 'that is the number of output entries; each needs '
                            f'{k} multiplies and {k} adds',
                     n * m * (2 * k - 1): f'that counts {k - 1} additions per output; '
                                          f'count {k} (the usual convention: 2 x n x k x m)',
                     2 * 1024 ** 3: 'that is two 1024x1024 matrices; here the inner '
                                    f'dimension is {k} and the output is {n} x {m}',
                     2 * n * k * k: f'the output is {n} x {m}: one dot product of length '
                                    f'{k} per output entry',
                     2 * n * n * k: f'the output is {n} x {m}: one dot product of length '
                                    f'{k} per output entry'},
                    f'the {n} x {m} outputs each need {k} multiplies and {k} adds')


# ----------------------------------------------------------------------------------
# 01 LeNet

def check_lenet_conv2_shape(answer):
    """Output shape of LeNet's second convolution for one 36x36 image (before pooling)."""
    return _check('lenet_conv2_shape', answer)


def _judge_lenet_conv2_shape(answer):
    shape = _as_shape(answer, 'a shape such as (1, 6, 28, 28)')
    hints = {(1, 14, 14, 16): "that is channels-last (Keras' order); MXNet is "
                              '(batch, channels, height, width)',
             (1, 16, 18, 18): "18x18 is the conv's input: a 5x5 kernel without "
                              'padding removes 4 rows and 4 columns',
             (1, 16, 7, 7): '7x7 is after the pooling layer; the question asks '
                            'before it',
             (1, 6, 14, 14): 'the second convolution has 16 output channels',
             (1, 16, 10, 10): 'that is for a 28x28 image (the shape the chapter prints); '
                              'redo the arithmetic for 36x36',
             (1, 16, 12, 12): 'conv1 has padding 2, so its 5x5 kernel keeps 36x36',
             (1, 16, 32, 32): 'the 2x2 pooling with stride 2 halves the size before '
                              'conv2'}
    _hint(shape, hints)
    if shape != (1, 16, 14, 14):
        raise _Fail(f'{shape} is not it: work through conv1 (padding 2), the 2x2 '
                    'pooling and conv2 (no padding) one at a time')


def check_lenet_conv2_params(answer):
    """Parameters of LeNet's second convolution with 3x3 kernels (6 -> 16 channels)."""
    return _check('lenet_conv2_params', answer)


def _judge_lenet_conv2_params(answer):
    value = _as_int(answer, 'the number of parameters')
    _compare_number(value, _conv_params(6, 16, 3),
                    {16 * 6 * 3 * 3: 'you forgot the 16 biases, one per output channel',
                     _conv_params(6, 16, 5): 'that is the 5x5 kernel of the printed summary; '
                                             'here the kernels are 3x3',
                     16 * 6 * 5 * 5: 'that is a 5x5 kernel without biases; here the '
                                     'kernels are 3x3 and each output channel has a bias',
                     _conv_params(1, 16, 3): 'each of the 16 filters spans all 6 input '
                                             'channels',
                     16 * 3 * 3: 'each of the 16 filters spans all 6 input channels, and '
                                 'each output channel has a bias'},
                    'weights = out_channels x in_channels x 3 x 3, plus one bias per '
                    'output channel')


def check_lenet_modern(net):
    """LeNet with ReLU and max-pooling: same shapes and 61,706 parameters."""
    return _check('lenet_modern', net)


def _judge_lenet_modern(desc):
    inv = _inventory(desc)
    if 'sigmoid' in inv['act']:
        raise _Fail("found sigmoid activations: use activation='relu' everywhere")
    avg = [p for p in inv['pool'] if p[0] == 'avg']
    if avg:
        raise _Fail(f'found {len(avg)} average-pooling layer(s): use nn.MaxPool2D')
    if len(inv['conv']) != 2 or len(inv['dense']) != 3:
        raise _Fail(f"{len(inv['conv'])} conv and {len(inv['dense'])} dense layers, "
                    'expected 2 and 3 as in LeNet')
    if len(inv['pool']) != 2:
        raise _Fail(f"{len(inv['pool'])} pooling layer(s), expected 2 (one after "
                    'each convolution)')
    if inv['act'].count('relu') != 4:
        raise _Fail(f"{inv['act'].count('relu')} ReLU activation(s), expected 4 (both "
                    'convolutions and both hidden dense layers)')
    shape, count, _ = _ran(desc)
    _expect_shape('modern_net', shape, (1, 10), 'one score per class')
    _expect_params('modern_net', count, 61706, 'same layer sizes as LeNet-5: 6 and 16 '
                   'channels, 5x5 kernels, 120-84-10 dense layers')


# ----------------------------------------------------------------------------------
# 02 AlexNet

def check_alexnet_conv1_size(answer):
    """Height (= width) after AlexNet's first conv (11x11, stride 4, no padding) on 227."""
    return _check('alexnet_conv1_size', answer)


def _judge_alexnet_conv1_size(answer):
    value = _as_int(answer, 'the height of the output')
    _compare_number(value, (227 - 11) // 4 + 1,
                    {54: 'that is for a 224x224 input; the paper used 227x227',
                     56: '227 / 4 ignores that the 11x11 window must fit inside',
                     57: '227 / 4 ignores that the 11x11 window must fit inside',
                     27: 'that is after the first max-pooling layer',
                     217: 'that is with stride 1; the window moves 4 pixels at a time'},
                    'use floor((227 - 11) / 4) + 1')


_ALEXNET_DENSE = _conv_params(256 * 5 * 5, 4096, 1) + _conv_params(4096, 4096, 1)
_ALEXNET_DENSE_227 = _conv_params(256 * 6 * 6, 4096, 1) + _conv_params(4096, 4096, 1)


def check_alexnet_dense_params(answer):
    """Parameters of the two 4096-unit hidden layers at 227x227 (input 256 x 6 x 6)."""
    return _check('alexnet_dense_params', answer)


def _judge_alexnet_dense_params(answer):
    value = _as_int(answer, 'the number of parameters')
    first, second = _conv_params(256 * 6 * 6, 4096, 1), _conv_params(4096, 4096, 1)
    _compare_number(value, _ALEXNET_DENSE_227,
                    {_ALEXNET_DENSE_227 - 2 * 4096: 'you forgot the 2 x 4096 biases',
                     first: 'that is only the first of the two layers',
                     second: 'that is only the second of the two layers',
                     _ALEXNET_DENSE: 'that is for 256 x 5 x 5 (our 224x224 input); at '
                                     '227x227 the last pooling outputs 256 x 6 x 6',
                     _ALEXNET_DENSE_227 + _conv_params(4096, 10, 1):
                         'that includes the 10-class output layer; count only the two '
                         '4096-unit layers'},
                    'the first layer sees 256 x 6 x 6 = 9216 inputs, the second 4096; '
                    'add one bias per unit')


def check_alexnet_head(head):
    """AlexNet's dense head on (2, 256, 5, 5) features: 4096-4096-10 with dropout 0.5."""
    return _check('alexnet_head', head)


def _judge_alexnet_head(desc):
    inv = _inventory(desc)
    if inv['dense'] != [4096, 4096, 10]:
        raise _Fail(f"dense layers {inv['dense']}, expected [4096, 4096, 10]")
    if inv['dropout'] != [0.5, 0.5]:
        raise _Fail(f"dropout rates {inv['dropout']}, expected [0.5, 0.5] (one after "
                    'each hidden layer)')
    if inv['act'].count('relu') != 2 or 'sigmoid' in inv['act']:
        raise _Fail(f"activations {inv['act']}, expected ReLU on the two hidden layers "
                    'and none on the output')
    shape, count, _ = _ran(desc)
    _expect_shape('head', shape, (2, 10), 'Dense flattens its input itself')
    _expect_params('head', count, _ALEXNET_DENSE + _conv_params(4096, 10, 1),
                   '6400 -> 4096 -> 4096 -> 10 with biases')


# ----------------------------------------------------------------------------------
# 03 VGG

def check_vgg_block(vgg_block):
    """``vgg_block(num_convs, channels)``: 3x3 convs (padding 1, ReLU), 2x2 max-pool."""
    return _check('vgg_block', vgg_block)


_VGG_BLOCK_CASES = [((2, 8), (2, 4, 16, 16)), ((1, 6), (2, 3, 8, 8))]


def _judge_vgg_block(data):
    for (num_convs, channels), X_shape, desc in _cases(data, _VGG_BLOCK_CASES):
        label = f'vgg_block{_fmt_args((num_convs, channels))}'
        inv = _inventory(desc)
        if len(inv['conv']) != num_convs:
            raise _Fail(f"{label} has {len(inv['conv'])} convolution(s), expected "
                        f'{num_convs}')
        if any(k != 3 for k in inv['conv']):
            raise _Fail(f"{label}: kernel sizes {inv['conv']}, expected 3x3 everywhere")
        if [p[0] for p in inv['pool']] != ['max']:
            raise _Fail(f"{label}: pooling {[p[0] for p in inv['pool']]}, expected one "
                        'max-pooling layer at the end')
        c_in, h, w = X_shape[1:]
        shape, count, negative = _ran(desc)
        _expect_shape(label, shape, (X_shape[0], channels, h // 2, w // 2),
                      'padding 1 keeps the size, the 2x2 pool with stride 2 halves it')
        expected = sum(_conv_params(c_in if i == 0 else channels, channels, 3)
                       for i in range(num_convs))
        _expect_params(label, count, expected, 'each conv maps its input channels to '
                       '`channels` with a 3x3 kernel and a bias')
        _expect_relu(label, negative, 'a convolution')


_VGG_BUDGET = 60_000_000     # parameters at 224x224, 1 input channel, the book's dense head
_VGG_MIN_CONVS = 8


def _vgg_params(arch, side=224, c_in=1, num_classes=10):
    """(total, dense head, flattened inputs) of a VGG: 3x3 convs with padding 1, a 2x2
    pool per block, then the book's head 4096 -> 4096 -> num_classes."""
    body, c = 0, c_in
    for num_convs, channels in arch:
        for _ in range(num_convs):
            body += _conv_params(c, channels, 3)
            c = channels
        side //= 2
    flat = c * side * side
    head = (_conv_params(flat, 4096, 1) + _conv_params(4096, 4096, 1)
            + _conv_params(4096, num_classes, 1))
    return body + head, head, flat


def check_vgg_budget(arch):
    """Design: an ``arch`` with at least 8 convolutions and at most 60,000,000 parameters
    at 224x224 (one input channel, the book's 4096-4096-10 dense head)."""
    return _check('vgg_budget', arch)


def _judge_vgg_budget(arch):
    _require(arch, 'a tuple of (num_convs, channels) pairs')
    try:
        rows = tuple((_as_int(n, 'num_convs'), _as_int(c, 'channels')) for n, c in arch)
    except (TypeError, ValueError):
        raise _Fail('arch must be a tuple of (num_convs, channels) pairs, like '
                    '((1, 64), (1, 128), ...)') from None
    if not rows or any(n < 1 or c < 1 for n, c in rows):
        raise _Fail('every block needs at least one convolution and one channel')
    if 224 >> len(rows) < 1:
        raise _Fail(f'{len(rows)} blocks halve 224 down to 0x0: at most 7 blocks fit')
    convs = sum(n for n, _ in rows)
    if convs < _VGG_MIN_CONVS:
        raise _Fail(f'{convs} convolutions: the design needs at least {_VGG_MIN_CONVS}')
    total, head, flat = _vgg_params(rows)
    if total > _VGG_BUDGET:
        side = 224 >> len(rows)
        raise _Fail(f'{total:,} parameters, {total - _VGG_BUDGET:,} over the budget of '
                    f'{_VGG_BUDGET:,}; {head:,} of them are in the dense head, whose first '
                    f'layer sees {rows[-1][1]} x {side} x {side} = {flat:,} inputs')


def check_vgg_dense_inputs(answer):
    """Inputs of VGG-11's first dense layer for a 160x160 image (five halvings, 512 ch)."""
    return _check('vgg_dense_inputs', answer)


def _judge_vgg_dense_inputs(answer):
    value = _as_int(answer, 'the number of inputs')
    _compare_number(value, 512 * 5 * 5,
                    {512: 'Dense sees the flattened feature map: channels x height '
                          'x width',
                     5 * 5: 'multiply by the 512 channels',
                     512 * 10 * 10: 'that is after four blocks; there are five',
                     512 * 7 * 7: 'that is for a 224x224 input (the chapter prints it); '
                                  'here the input is 160x160'},
                    '160 halves five times; the last block has 512 channels')


# ----------------------------------------------------------------------------------
# 04 NiN

def check_nin_block(nin_block):
    """``nin_block(out_channels, kernel_size, strides, padding)``: conv + two 1x1 convs."""
    return _check('nin_block', nin_block)


_NIN_BLOCK_CASES = [((8, 5, 2, 1), (2, 3, 15, 15)), ((4, 3, 1, 1), (2, 2, 6, 6))]


def _judge_nin_block(data):
    for (c, k, s, p), X_shape, desc in _cases(data, _NIN_BLOCK_CASES):
        label = f'nin_block{_fmt_args((c, k, s, p))}'
        inv = _inventory(desc)
        if inv['conv'] != [k, 1, 1]:
            raise _Fail(f"{label}: conv kernel sizes {inv['conv']}, expected "
                        f'{[k, 1, 1]} (one {k}x{k} convolution, then two 1x1)')
        if inv['pool'] or inv['dense']:
            raise _Fail(f'{label}: a NiN block has only convolutions (no pooling, no '
                        'dense layer)')
        b, c_in, h, w = X_shape
        side = (h + 2 * p - k) // s + 1
        shape, count, negative = _ran(desc)
        _expect_shape(label, shape, (b, c, side, side), 'the first convolution uses '
                      'the given stride and padding, the 1x1 ones keep the size')
        _expect_params(label, count, _conv_params(c_in, c, k) + 2 * _conv_params(c, c, 1),
                       'a 1x1 conv from c to c channels has c x c weights + c biases')
        _expect_relu(label, negative, 'the last 1x1 convolution')


def check_conv1x1_params(answer):
    """Parameters of a 1x1 convolution from 256 to 64 channels."""
    return _check('conv1x1_params', answer)


def _judge_conv1x1_params(answer):
    value = _as_int(answer, 'the number of parameters')
    _compare_number(value, _conv_params(256, 64, 1),
                    {256 * 64: 'you forgot the 64 biases',
                     256 + 64: 'each output channel sees all 256 input channels',
                     _conv_params(256, 64, 3): 'that is a 3x3 kernel; this one is 1x1',
                     _conv_params(256, 256, 1): 'the convolution maps 256 channels to 64',
                     256 * 64 + 256: 'there is one bias per output channel (64)',
                     _conv_params(384, 384, 1): 'that is 384 -> 384; here 256 -> 64'},
                    'a 1x1 conv is a dense layer applied at every pixel: in x out '
                    'weights plus out biases')


def check_nin_head(head):
    """NiN's head on (2, 96, 5, 5) features: nin_block(10, 3, 1, 1) + global avg pool."""
    return _check('nin_head', head)


def _judge_nin_head(desc):
    inv = _inventory(desc)
    if inv['dense']:
        raise _Fail(f"head has {len(inv['dense'])} dense layer(s): NiN needs none - "
                    'let the last 1x1 convolution produce the 10 class channels')
    if inv['gap'] != 1:
        raise _Fail('expected one nn.GlobalAvgPool2D to average each class channel')
    if inv['conv'] != [3, 1, 1]:
        raise _Fail(f"conv kernel sizes {inv['conv']}, expected [3, 1, 1] "
                    '(nin_block(10, kernel_size=3, strides=1, padding=1))')
    shape, count, _ = _ran(desc)
    _expect_shape('nin_head', shape, (2, 10), 'end with nn.Flatten() after the pooling')
    _expect_params('nin_head', count, _conv_params(96, 10, 3) + 2 * _conv_params(10, 10, 1),
                   'a 3x3 conv from 96 to 10 channels, then two 1x1 convs 10 -> 10')


# ----------------------------------------------------------------------------------
# 05 GoogLeNet

def _inception_params(c_in, c1, c2, c3, c4):
    return (_conv_params(c_in, c1, 1)
            + _conv_params(c_in, c2[0], 1) + _conv_params(c2[0], c2[1], 3)
            + _conv_params(c_in, c3[0], 1) + _conv_params(c3[0], c3[1], 5)
            + _conv_params(c_in, c4, 1))


_SAME = 'pad the 3x3 conv by 1, the 5x5 by 2, the max-pool by 1 (stride 1)'


def check_inception(Inception):
    """``Inception(c1, c2, c3, c4)``: four branches concatenated on the channel axis."""
    return _check('inception', Inception)


_INCEPTION_CASES = [((4, (4, 8), (2, 4), 4), (2, 6, 8, 8)),
                    ((2, (3, 5), (1, 2), 3), (1, 5, 6, 6))]


def _judge_inception(data):
    for (c1, c2, c3, c4), X_shape, desc in _cases(data, _INCEPTION_CASES):
        label = f'Inception{_fmt_args((c1, c2, c3, c4))}'
        inv = _inventory(desc)
        kernels = sorted(inv['conv'])
        if kernels != [1, 1, 1, 1, 3, 5]:
            raise _Fail(f'{label}: conv kernel sizes {kernels}, expected four 1x1, '
                        'one 3x3 and one 5x5')
        if [(t, k) for t, k, _ in inv['pool']] != [('max', 3)]:
            raise _Fail(f'{label}: expected one 3x3 max-pooling layer (branch 4), '
                        f"found {inv['pool']}")
        b, c_in, h, w = X_shape
        message = str((desc.get('run_error') or {}).get('message', ''))
        if 'Incompatible input shape' in message:
            found = re.search(r'expected \[([^]]*)\], got \[([^]]*)\]', message)
            axis = found.group(1).split(',').index('-1') if found and '-1' in \
                found.group(1).split(',') else 1
            if axis != 1:
                raise _Fail(f'{label}: the branches are concatenated on axis {axis}; '
                            'concatenate them on the channel axis (axis=1)')
            detail = f' (expected [{found.group(1)}], got [{found.group(2)}])' \
                if found else ''
            raise _Fail(f'{label}: branch outputs differ in height/width{detail} - '
                        f'{_SAME}')
        shape, count, negative = _ran(desc)
        if shape[2:] != (h, w):
            raise _Fail(f'{label}: height x width changed from {h}x{w} to '
                        f'{shape[2]}x{shape[3]} - {_SAME}')
        _expect_shape(label, shape, (b, c1 + c2[1] + c3[1] + c4, h, w),
                      'concatenate the four branches on the channel axis')
        _expect_params(label, count, _inception_params(c_in, c1, c2, c3, c4),
                       'branch 2 is 1x1 (c2[0]) then 3x3 (c2[1]), branch 3 is 1x1 '
                       '(c3[0]) then 5x5 (c3[1])')
        _expect_relu(label, negative, 'at least one branch')


_OUT_BLOCK = (80, (96, 176), (24, 56), 40)


def check_inception_out_channels(answer):
    """Output channels of Inception(80, (96, 176), (24, 56), 40)."""
    return _check('inception_out_channels', answer)


def _judge_inception_out_channels(answer):
    c1, c2, c3, c4 = _OUT_BLOCK
    value = _as_int(answer, 'the number of output channels')
    _compare_number(value, c1 + c2[1] + c3[1] + c4,
                    {c1 + c2[0] + c3[0] + c4: f'the {c2[0]} and {c3[0]} are the 1x1 '
                                              'reductions inside branches 2 and 3; count '
                                              'what each branch outputs',
                     c1 + sum(c2) + sum(c3) + c4: f'the reductions ({c2[0]}, {c3[0]}) stay '
                                                  'inside their branches',
                     c1 + c2[1] + c3[1]: 'branch 4 (pool -> 1x1) outputs channels too'},
                    'add up the channels that leave each of the four branches')


_PARAMS_BLOCK = (256, 128, (128, 192), (32, 96), 64)     # block 3b on its 256-channel input


def check_inception_params(answer):
    """Parameters of Inception(128, (128, 192), (32, 96), 64) on 256 input channels."""
    return _check('inception_params', answer)


def _judge_inception_params(answer):
    c_in, c1, c2, c3, c4 = _PARAMS_BLOCK
    expected = _inception_params(c_in, c1, c2, c3, c4)
    biases = c1 + sum(c2) + sum(c3) + c4
    value = _as_int(answer, 'the number of parameters')
    _compare_number(value, expected,
                    {expected - biases: 'you forgot the biases (one per output channel of '
                                        'each of the six convolutions)',
                     _inception_params(192, c1, c2, c3, c4):
                         'that is on 192 input channels; block 3b receives the 256 channels '
                         'that block 3a outputs',
                     _inception_params(480, c1, c2, c3, c4):
                         'that is on 480 channels, what 3b outputs; its input is the 256 '
                         'channels of block 3a',
                     _inception_params(192, 64, (96, 128), (16, 32), 32):
                         'that is block 3a (printed in section 6a); this is block 3b',
                     _inception_params(c_in, c1, c2, c3, c4) - c2[0] * c2[1] * 8 - c3[0] * c3[1] * 24:
                         'the 3x3 and 5x5 convolutions have 9 and 25 weights per channel pair'},
                    f'add the six convolutions: 1x1 ({c_in}->{c1}), 1x1 ({c_in}->{c2[0]}), '
                    f'3x3 ({c2[0]}->{c2[1]}), 1x1 ({c_in}->{c3[0]}), 5x5 ({c3[0]}->{c3[1]}), '
                    f'1x1 ({c_in}->{c4}), each with biases')


_DESIGN_IN = 192            # a 192 x 28 x 28 input, as GoogLeNet's block 3a
_DESIGN_OUT = 256
_DESIGN_BUDGET = 100_000
_DESIGN_MIN = 16


def check_inception_design(allocation):
    """Design: (c1, (c2_reduce, c2), (c3_reduce, c3), c4) of an Inception block on a
    192-channel input with 256 output channels, at most 100,000 parameters, at least 16
    output channels per branch and the 3x3 branch the widest."""
    return _check('inception_design', allocation)


def _judge_inception_design(allocation):
    _require(allocation, 'a tuple (c1, (c2_reduce, c2), (c3_reduce, c3), c4)')
    try:
        c1, (r2, c2), (r3, c3), c4 = allocation
        c1, r2, c2, r3, c3, c4 = (_as_int(v, 'a channel count') for v in (c1, r2, c2, r3, c3, c4))
    except (TypeError, ValueError):
        raise _Fail('expected (c1, (c2_reduce, c2), (c3_reduce, c3), c4), e.g. '
                    '(64, (96, 128), (16, 32), 32)') from None
    if min(r2, r3) < 1:
        raise _Fail('each 1x1 reduction needs at least one channel')
    outputs = {'1x1': c1, '3x3': c2, '5x5': c3, 'pool': c4}
    total = sum(outputs.values())
    if total != _DESIGN_OUT:
        raise _Fail(f'the branches output {c1} + {c2} + {c3} + {c4} = {total} channels, '
                    f'{abs(total - _DESIGN_OUT)} too {"many" if total > _DESIGN_OUT else "few"}'
                    f' (the reductions stay inside their branches)')
    small = {k: v for k, v in outputs.items() if v < _DESIGN_MIN}
    if small:
        k, v = next(iter(small.items()))
        raise _Fail(f'the {k} branch outputs {v} channels, {_DESIGN_MIN - v} short of the '
                    f'minimum of {_DESIGN_MIN}')
    rival = max((v, k) for k, v in outputs.items() if k != '3x3')
    if c2 <= rival[0]:
        raise _Fail(f'the 3x3 branch outputs {c2} channels, the {rival[1]} branch {rival[0]}: '
                    f'the 3x3 branch needs at least {rival[0] - c2 + 1} more than any other')
    params = _inception_params(_DESIGN_IN, c1, (r2, c2), (r3, c3), c4)
    if params > _DESIGN_BUDGET:
        cost3 = _conv_params(r2, c2, 3)
        raise _Fail(f'{params:,} parameters, {params - _DESIGN_BUDGET:,} over the budget of '
                    f'{_DESIGN_BUDGET:,}; the 3x3 conv alone has {r2} x {c2} x 9 + {c2} = '
                    f'{cost3:,}: its 1x1 reduction sets the price')


# ----------------------------------------------------------------------------------
# 06 compare

_NETWORKS = ('lenet', 'alexnet', 'vgg', 'nin', 'googlenet')


def _as_network(answer):
    _require(answer, "a network's name, e.g. 'lenet'")
    name = str(answer).strip().lower().replace('-', '').replace(' ', '')
    name = {'vgg11': 'vgg', 'inception': 'googlenet'}.get(name, name)
    if name not in _NETWORKS:
        raise _Fail(f'{answer!r} is not one of {", ".join(_NETWORKS)}')
    return name


def _nin_params(c_in=1, num_classes=10):
    """NiN's parameters: four NiN blocks (conv + two 1x1 convs), no dense layer."""
    total = 0
    for c_out, k in ((96, 11), (256, 5), (384, 3), (num_classes, 3)):
        total += _conv_params(c_in, c_out, k) + 2 * _conv_params(c_out, c_out, 1)
        c_in = c_out
    return total


_VGG11 = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def check_params_ratio(answer):
    """How many times more parameters VGG-11 has than NiN at 224x224, rounded down."""
    return _check('params_ratio', answer)


def _judge_params_ratio(answer):
    vgg, nin = _vgg_params(_VGG11)[0], _nin_params()
    value = _as_int(answer, 'a whole number of times')
    _compare_number(value, vgg // nin,
                    {round(vgg / nin): 'that is rounded to the nearest; round down (//)',
                     0: 'divide the larger count (VGG-11) by the smaller (NiN)'},
                    "divide VGG-11's parameter count by NiN's, both from the cost table")


def check_gap_saving(answer):
    """Which network first replaced the dense head by global average pooling?"""
    return _check('gap_saving', answer)


def _judge_gap_saving(answer):
    name = _as_network(answer)
    if name == 'googlenet':
        raise _Fail('GoogLeNet uses global average pooling, but borrowed it from an '
                    'earlier network')
    if name != 'nin':
        raise _Fail(f'{name} ends with dense layers')


# ----------------------------------------------------------------------------------
# predictions: committed before an experiment, compared with its run, never graded

PREDICTION_PREFIX = '[week5 prediction]'
_PREDICTION_HINT = 'compare the means with the spread between seeds in the table above'


def _shown(value):
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, numbers.Integral):
        return f'{int(value):,}'
    if isinstance(value, numbers.Real):
        return f'{float(value):.3g}'
    return repr(value) if isinstance(value, str) else _one_line(repr(value))


def _same(predicted, observed, tolerance):
    if isinstance(observed, str):
        return isinstance(predicted, str) and \
            predicted.strip().lower() == observed.strip().lower()
    if isinstance(observed, bool) or isinstance(predicted, bool):
        return predicted is observed or (isinstance(predicted, bool) and predicted == observed)
    if isinstance(observed, numbers.Real) and isinstance(predicted, numbers.Real):
        return abs(float(predicted) - float(observed)) <= (tolerance or 0)
    return predicted == observed


def verify_prediction(name, predicted, observed, tolerance=None, why=None, print_fn=print):
    """Compare a prediction the student committed before an experiment with what the run
    showed, and print one line::

        [week5 prediction] lenet_winner: your prediction 'relu + max (modern)' - the run: 'relu + avg' (not this time: ...)

    Unlike the checks, the outcome depends on the run (seeds, profile), so it is not an
    exercise verdict: it never prints a ``[week5 check]`` line and the grader never scores
    it (nor does its name start with ``check_``, which would make its cell a check cell).
    Strings compare without case or surrounding spaces; numbers within ``tolerance``;
    ``why`` is the hint printed for a miss. Never raises; returns True, False, or None
    when there is no prediction yet."""
    try:
        if predicted is Ellipsis or predicted is None:
            print_fn(f'{PREDICTION_PREFIX} {name}: no prediction yet - write it in the cell '
                     'before the experiment (without peeking at the table), then run this cell')
            return None
        right = bool(_same(predicted, observed, tolerance))
        near = '' if not tolerance or isinstance(observed, str) else f', within {tolerance:g}'
        verdict = 'right' + near if right else f'not this time: {why or _PREDICTION_HINT}'
        print_fn(f'{PREDICTION_PREFIX} {name}: your prediction {_shown(predicted)} - the run: '
                 f'{_shown(observed)} ({verdict})')
        return right
    except Exception as e:  # a prediction never breaks the notebook
        print_fn(f'{PREDICTION_PREFIX} {name}: could not compare ({type(e).__name__})')
        return False


CHECKS = {
    'channels_first': check_channels_first,
    'matmul_flops': check_matmul_flops,
    'lenet_conv2_shape': check_lenet_conv2_shape,
    'lenet_conv2_params': check_lenet_conv2_params,
    'lenet_modern': check_lenet_modern,
    'alexnet_conv1_size': check_alexnet_conv1_size,
    'alexnet_dense_params': check_alexnet_dense_params,
    'alexnet_head': check_alexnet_head,
    'vgg_block': check_vgg_block,
    'vgg_budget': check_vgg_budget,
    'vgg_dense_inputs': check_vgg_dense_inputs,
    'nin_block': check_nin_block,
    'conv1x1_params': check_conv1x1_params,
    'nin_head': check_nin_head,
    'inception': check_inception,
    'inception_out_channels': check_inception_out_channels,
    'inception_params': check_inception_params,
    'inception_design': check_inception_design,
    'params_ratio': check_params_ratio,
    'gap_saving': check_gap_saving,
}

# name -> (describe: answer -> data, runs student code; judge: data -> None or _Fail, pure)
_CHECKS = {
    'channels_first': _value(_judge_channels_first),
    'matmul_flops': _value(_judge_matmul_flops),
    'lenet_conv2_shape': _value(_judge_lenet_conv2_shape),
    'lenet_conv2_params': _value(_judge_lenet_conv2_params),
    'lenet_modern': (_network('modern_net', (1, 1, 28, 28)), _judge_lenet_modern),
    'alexnet_conv1_size': _value(_judge_alexnet_conv1_size),
    'alexnet_dense_params': _value(_judge_alexnet_dense_params),
    'alexnet_head': (_network('head', (2, 256, 5, 5)), _judge_alexnet_head),
    'vgg_block': (_factory('vgg_block', _VGG_BLOCK_CASES), _judge_vgg_block),
    'vgg_budget': _value(_judge_vgg_budget),
    'vgg_dense_inputs': _value(_judge_vgg_dense_inputs),
    'nin_block': (_factory('nin_block', _NIN_BLOCK_CASES), _judge_nin_block),
    'conv1x1_params': _value(_judge_conv1x1_params),
    'nin_head': (_network('nin_head', (2, 96, 5, 5)), _judge_nin_head),
    'inception': (_factory('Inception', _INCEPTION_CASES), _judge_inception),
    'inception_out_channels': _value(_judge_inception_out_channels),
    'inception_params': _value(_judge_inception_params),
    'inception_design': _value(_judge_inception_design),
    'params_ratio': _value(_judge_params_ratio),
    'gap_saving': _value(_judge_gap_saving),
}
