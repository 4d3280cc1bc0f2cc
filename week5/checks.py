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
    >>> checks.check_lenet_conv2_params(2416)       # doctest: +SKIP
    [week5 check] lenet_conv2_params: PASSED

``VERDICT_RE`` / :func:`parse_verdicts` read the lines back (e.g. for a gradebook).
Never imports matplotlib, IPython or ipywidgets.
"""
import re
import warnings
from dataclasses import dataclass

from .summary import iter_layers

__all__ = ['CheckResult', 'CHECKS', 'VERDICT_RE', 'parse_verdicts',
           'check_channels_first', 'check_matmul_flops',
           'check_lenet_conv2_shape', 'check_lenet_conv2_params', 'check_lenet_modern',
           'check_alexnet_conv1_size', 'check_alexnet_dense_params', 'check_alexnet_head',
           'check_vgg_block', 'check_vgg16_arch', 'check_vgg_dense_inputs',
           'check_nin_block', 'check_conv1x1_params', 'check_nin_head',
           'check_inception', 'check_inception_out_channels', 'check_inception_params',
           'check_most_params', 'check_gap_saving']

PREFIX = '[week5 check]'
VERDICT_RE = re.compile(r'^\[week5 check\] (?P<name>[a-z0-9_]+): (?P<verdict>PASSED|FAILED)'
                        r'(?: - (?P<reason>.+))?$', re.MULTILINE)
_MAX_REASON = 200


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


def _run_check(name, body):
    """Run ``body()``; turn every outcome into one printed verdict."""
    try:
        body()
        result = CheckResult(name, True)
    except _Fail as e:
        result = CheckResult(name, False, _one_line(e))
    except NotImplementedError:
        result = CheckResult(name, False, 'not answered yet: your code still raises '
                             'NotImplementedError - replace it with your solution')
    except Exception as e:  # the student's code failed: report, never crash the notebook
        text = _error_text(e)
        result = CheckResult(name, False, f'your code raised {type(e).__name__}'
                             + (f': {text}' if text else ''))
    print(result.line)
    return result


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


def _compare_number(value, expected, hints, generic):
    """Fail with a hint for a known wrong answer, else a direction and ``generic``."""
    if value == expected:
        return
    if value in hints:
        raise _Fail(f'{value:,} is not it: {hints[value]}')
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
    from .core import use_np
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


def _inventory(block):
    """Counts of what a student's block contains, by kind."""
    from mxnet.gluon import nn
    inv = {'conv': [], 'dense': [], 'dropout': [], 'pool': [], 'gap': 0, 'act': []}
    for layer in _layers(block):
        if isinstance(layer, nn.Conv2D):
            inv['conv'].append(layer._kwargs['kernel'][0])
            if layer.act is not None:
                inv['act'].append(layer.act._act_type)
        elif isinstance(layer, nn.Dense):
            inv['dense'].append(layer._units)
            if layer.act is not None:
                inv['act'].append(layer.act._act_type)
        elif isinstance(layer, nn.Dropout):
            inv['dropout'].append(layer._rate)
        elif isinstance(layer, nn.Activation):
            inv['act'].append(layer._act_type)
        elif hasattr(layer, '_kwargs') and 'pool_type' in getattr(layer, '_kwargs', {}):
            if layer._kwargs.get('global_pool'):
                inv['gap'] += 1
            else:
                inv['pool'].append((layer._kwargs['pool_type'], layer._kwargs['kernel'][0],
                                    layer._kwargs['stride'][0]))
    return inv


def _conv_params(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def _expect_shape(label, got, expected, hint):
    if got != expected:
        raise _Fail(f'{label}: output shape {got}, expected {expected} ({hint})')


def _expect_params(label, got, expected, hint):
    if got != expected:
        raise _Fail(f'{label}: {got:,} parameters, expected {expected:,} ({hint})')


def _expect_relu(label, Y, where):
    if (Y < 0).any():
        raise _Fail(f'{label}: the output has negative values, so {where} has no ReLU - '
                    "add activation='relu'")


# ----------------------------------------------------------------------------------
# 00 overview

def check_channels_first(answer):
    """Keras' batch of 32 grey 28x28 images, (32, 28, 28, 1), as MXNet expects it."""
    def body():
        shape = _as_shape(answer, 'the MXNet shape of the batch')
        if shape == (32, 28, 28, 1):
            raise _Fail('that is the Keras (channels-last) shape; MXNet puts the '
                        'channels right after the batch axis')
        if len(shape) != 4:
            raise _Fail(f'expected 4 numbers (batch, channels, height, width), got {len(shape)}')
        if sorted(shape) != sorted((32, 1, 28, 28)):
            raise _Fail(f'{shape} does not hold the same numbers as (32, 28, 28, 1)')
        if shape != (32, 1, 28, 28):
            raise _Fail(f'{shape}: the order is (batch, channels, height, width)')
    return _run_check('channels_first', body)


def check_matmul_flops(answer):
    """Floating-point operations of one 1024x1024 by 1024x1024 matrix product."""
    def body():
        value = _as_int(answer, 'the number of floating-point operations')
        _compare_number(value, 2 * 1024 ** 3,
                        {1024 ** 3: 'that counts each multiply-add once; count the '
                                    'multiply and the add as two operations',
                         1024 ** 2: 'that is the number of output entries; each needs '
                                    '1024 multiplies and 1024 adds'},
                        'each of the 1024 x 1024 outputs needs 1024 multiplies and '
                        '1024 adds')
    return _run_check('matmul_flops', body)


# ----------------------------------------------------------------------------------
# 01 LeNet

def check_lenet_conv2_shape(answer):
    """Output shape of LeNet's second convolution for one 28x28 image (before pooling)."""
    def body():
        shape = _as_shape(answer, 'a shape such as (1, 6, 28, 28)')
        hints = {(1, 10, 10, 16): "that is channels-last (Keras' order); MXNet is "
                                  '(batch, channels, height, width)',
                 (1, 16, 14, 14): "14x14 is the conv's input: a 5x5 kernel without "
                                  'padding removes 4 rows and 4 columns',
                 (1, 16, 5, 5): '5x5 is after the pooling layer; the question asks '
                                'before it',
                 (1, 6, 10, 10): 'the second convolution has 16 output channels'}
        if shape in hints:
            raise _Fail(f'{shape} is not it: {hints[shape]}')
        if shape != (1, 16, 10, 10):
            raise _Fail(f'{shape} is not it: work through conv1 (padding 2), the 2x2 '
                        'pooling and conv2 (no padding) one at a time')
    return _run_check('lenet_conv2_shape', body)


def check_lenet_conv2_params(answer):
    """Parameters of LeNet's second convolution (6 -> 16 channels, 5x5)."""
    def body():
        value = _as_int(answer, 'the number of parameters')
        _compare_number(value, _conv_params(6, 16, 5),
                        {2400: 'you forgot the 16 biases, one per output channel',
                         416: 'each of the 16 filters spans all 6 input channels',
                         400: 'each of the 16 filters spans all 6 input channels, and '
                              'each output channel has a bias'},
                        'weights = out_channels x in_channels x 5 x 5, plus one bias per '
                        'output channel')
    return _run_check('lenet_conv2_params', body)


def check_lenet_modern(net):
    """LeNet with ReLU and max-pooling: same shapes and 61,706 parameters."""
    def body():
        block = _built(net, 'modern_net')
        inv = _inventory(block)
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
        shape, count, _ = _run(block, (1, 1, 28, 28))
        _expect_shape('modern_net', shape, (1, 10), 'one score per class')
        _expect_params('modern_net', count, 61706, 'same layer sizes as LeNet-5: 6 and 16 '
                       'channels, 5x5 kernels, 120-84-10 dense layers')
    return _run_check('lenet_modern', body)


# ----------------------------------------------------------------------------------
# 02 AlexNet

def check_alexnet_conv1_size(answer):
    """Height (= width) after AlexNet's first conv (11x11, stride 4, no padding) on 224."""
    def body():
        value = _as_int(answer, 'the height of the output')
        _compare_number(value, (224 - 11) // 4 + 1,
                        {55: "that is the paper's 227x227 input; ours is 224 with no "
                             'padding',
                         56: '224 / 4 ignores that the 11x11 window must fit inside',
                         26: 'that is after the first max-pooling layer'},
                        'use floor((224 - 11) / 4) + 1')
    return _run_check('alexnet_conv1_size', body)


_ALEXNET_DENSE = _conv_params(256 * 5 * 5, 4096, 1) + _conv_params(4096, 4096, 1)


def check_alexnet_dense_params(answer):
    """Parameters of the two 4096-unit hidden layers (input 256 x 5 x 5 = 6400)."""
    def body():
        value = _as_int(answer, 'the number of parameters')
        _compare_number(value, _ALEXNET_DENSE,
                        {_ALEXNET_DENSE - 2 * 4096: 'you forgot the 2 x 4096 biases',
                         6400 * 4096 + 4096: 'that is only the first of the two layers',
                         4096 * 4096 + 4096: 'that is only the second of the two layers'},
                        'the first layer sees 256 x 5 x 5 = 6400 inputs, the second 4096; '
                        'add one bias per unit')
    return _run_check('alexnet_dense_params', body)


def check_alexnet_head(head):
    """AlexNet's dense head on (2, 256, 5, 5) features: 4096-4096-10 with dropout 0.5."""
    def body():
        block = _built(head, 'head')
        inv = _inventory(block)
        if inv['dense'] != [4096, 4096, 10]:
            raise _Fail(f"dense layers {inv['dense']}, expected [4096, 4096, 10]")
        if inv['dropout'] != [0.5, 0.5]:
            raise _Fail(f"dropout rates {inv['dropout']}, expected [0.5, 0.5] (one after "
                        'each hidden layer)')
        if inv['act'].count('relu') != 2 or 'sigmoid' in inv['act']:
            raise _Fail(f"activations {inv['act']}, expected ReLU on the two hidden layers "
                        'and none on the output')
        shape, count, _ = _run(block, (2, 256, 5, 5))
        _expect_shape('head', shape, (2, 10), 'Dense flattens its input itself')
        _expect_params('head', count, _ALEXNET_DENSE + _conv_params(4096, 10, 1),
                       '6400 -> 4096 -> 4096 -> 10 with biases')
    return _run_check('alexnet_head', body)


# ----------------------------------------------------------------------------------
# 03 VGG

def check_vgg_block(vgg_block):
    """``vgg_block(num_convs, channels)``: 3x3 convs (padding 1, ReLU), 2x2 max-pool."""
    cases = [((2, 8), (2, 4, 16, 16)), ((1, 6), (2, 3, 8, 8))]

    def body():
        for (num_convs, channels), X_shape in cases:
            block, label = _call_factory(vgg_block, (num_convs, channels), 'vgg_block')
            inv = _inventory(block)
            if len(inv['conv']) != num_convs:
                raise _Fail(f"{label} has {len(inv['conv'])} convolution(s), expected "
                            f'{num_convs}')
            if any(k != 3 for k in inv['conv']):
                raise _Fail(f"{label}: kernel sizes {inv['conv']}, expected 3x3 everywhere")
            if [p[0] for p in inv['pool']] != ['max']:
                raise _Fail(f"{label}: pooling {[p[0] for p in inv['pool']]}, expected one "
                            'max-pooling layer at the end')
            c_in, h, w = X_shape[1:]
            shape, count, Y = _run(block, X_shape)
            _expect_shape(label, shape, (X_shape[0], channels, h // 2, w // 2),
                          'padding 1 keeps the size, the 2x2 pool with stride 2 halves it')
            expected = sum(_conv_params(c_in if i == 0 else channels, channels, 3)
                           for i in range(num_convs))
            _expect_params(label, count, expected, 'each conv maps its input channels to '
                           '`channels` with a 3x3 kernel and a bias')
            _expect_relu(label, Y, 'a convolution')
    return _run_check('vgg_block', body)


_VGG16 = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


def check_vgg16_arch(arch):
    """The ``arch`` tuple of VGG-16: ((num_convs, channels), ...) for five blocks."""
    def body():
        _require(arch, 'a tuple of (num_convs, channels) pairs')
        try:
            rows = tuple((int(n), int(c)) for n, c in arch)
        except (TypeError, ValueError):
            raise _Fail('arch must be a tuple of (num_convs, channels) pairs, like '
                        '((1, 64), (1, 128), ...)') from None
        if len(rows) != 5:
            raise _Fail(f'{len(rows)} blocks, expected 5 (each ends with a pooling layer)')
        convs = sum(n for n, _ in rows)
        if convs != 13:
            raise _Fail(f'{convs} conv layers; VGG-16 has 16 weight layers: 13 conv + 3 '
                        'dense')
        if tuple(c for _, c in rows) != tuple(c for _, c in _VGG16):
            raise _Fail(f'channels {[c for _, c in rows]}: start at 64 and double per '
                        'block up to 512')
        if rows != _VGG16:
            raise _Fail(f'convs per block {[n for n, _ in rows]}: the first two blocks '
                        'have 2 convolutions, the last three have 3')
    return _run_check('vgg16_arch', body)


def check_vgg_dense_inputs(answer):
    """Inputs of VGG's first dense layer for a 224x224 image (five halvings, 512 ch)."""
    def body():
        value = _as_int(answer, 'the number of inputs')
        _compare_number(value, 512 * 7 * 7,
                        {512: 'Dense sees the flattened feature map: channels x height '
                              'x width',
                         7 * 7: 'multiply by the 512 channels',
                         512 * 14 * 14: 'that is after four blocks; there are five'},
                        '224 halves five times; the last block has 512 channels')
    return _run_check('vgg_dense_inputs', body)


# ----------------------------------------------------------------------------------
# 04 NiN

def check_nin_block(nin_block):
    """``nin_block(out_channels, kernel_size, strides, padding)``: conv + two 1x1 convs."""
    cases = [((8, 5, 2, 1), (2, 3, 15, 15)), ((4, 3, 1, 1), (2, 2, 6, 6))]

    def body():
        for (c, k, s, p), X_shape in cases:
            block, label = _call_factory(nin_block, (c, k, s, p), 'nin_block')
            inv = _inventory(block)
            if inv['conv'] != [k, 1, 1]:
                raise _Fail(f"{label}: conv kernel sizes {inv['conv']}, expected "
                            f'{[k, 1, 1]} (one {k}x{k} convolution, then two 1x1)')
            if inv['pool'] or inv['dense']:
                raise _Fail(f'{label}: a NiN block has only convolutions (no pooling, no '
                            'dense layer)')
            b, c_in, h, w = X_shape
            side = (h + 2 * p - k) // s + 1
            shape, count, Y = _run(block, X_shape)
            _expect_shape(label, shape, (b, c, side, side), 'the first convolution uses '
                          'the given stride and padding, the 1x1 ones keep the size')
            _expect_params(label, count, _conv_params(c_in, c, k) + 2 * _conv_params(c, c, 1),
                           'a 1x1 conv from c to c channels has c x c weights + c biases')
            _expect_relu(label, Y, 'the last 1x1 convolution')
    return _run_check('nin_block', body)


def check_conv1x1_params(answer):
    """Parameters of a 1x1 convolution from 384 to 384 channels."""
    def body():
        value = _as_int(answer, 'the number of parameters')
        _compare_number(value, _conv_params(384, 384, 1),
                        {384 * 384: 'you forgot the 384 biases',
                         384 + 384: 'each output channel sees all 384 input channels',
                         384 * 384 * 9 + 384: 'that is a 3x3 kernel; this one is 1x1'},
                        'a 1x1 conv is a dense layer applied at every pixel: in x out '
                        'weights plus out biases')
    return _run_check('conv1x1_params', body)


def check_nin_head(head):
    """NiN's head on (2, 96, 5, 5) features: nin_block(10, 3, 1, 1) + global avg pool."""
    def body():
        block = _built(head, 'nin_head')
        inv = _inventory(block)
        if inv['dense']:
            raise _Fail(f"head has {len(inv['dense'])} dense layer(s): NiN needs none - "
                        'let the last 1x1 convolution produce the 10 class channels')
        if inv['gap'] != 1:
            raise _Fail('expected one nn.GlobalAvgPool2D to average each class channel')
        if inv['conv'] != [3, 1, 1]:
            raise _Fail(f"conv kernel sizes {inv['conv']}, expected [3, 1, 1] "
                        '(nin_block(10, kernel_size=3, strides=1, padding=1))')
        shape, count, _ = _run(block, (2, 96, 5, 5))
        _expect_shape('nin_head', shape, (2, 10), 'end with nn.Flatten() after the pooling')
        _expect_params('nin_head', count, _conv_params(96, 10, 3) + 2 * _conv_params(10, 10, 1),
                       'a 3x3 conv from 96 to 10 channels, then two 1x1 convs 10 -> 10')
    return _run_check('nin_head', body)


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
    cases = [((4, (4, 8), (2, 4), 4), (2, 6, 8, 8)),
             ((2, (3, 5), (1, 2), 3), (1, 5, 6, 6))]

    def body():
        for (c1, c2, c3, c4), X_shape in cases:
            block, label = _call_factory(Inception, (c1, c2, c3, c4), 'Inception')
            inv = _inventory(block)
            kernels = sorted(inv['conv'])
            if kernels != [1, 1, 1, 1, 3, 5]:
                raise _Fail(f'{label}: conv kernel sizes {kernels}, expected four 1x1, '
                            'one 3x3 and one 5x5')
            if [(t, k) for t, k, _ in inv['pool']] != [('max', 3)]:
                raise _Fail(f'{label}: expected one 3x3 max-pooling layer (branch 4), '
                            f"found {inv['pool']}")
            b, c_in, h, w = X_shape
            try:
                shape, count, Y = _run(block, X_shape)
            except Exception as e:
                if 'Incompatible input shape' not in str(e):
                    raise
                found = re.search(r'expected \[([^]]*)\], got \[([^]]*)\]', str(e))
                axis = found.group(1).split(',').index('-1') if found and '-1' in \
                    found.group(1).split(',') else 1
                if axis != 1:
                    raise _Fail(f'{label}: the branches are concatenated on axis {axis}; '
                                'concatenate them on the channel axis (axis=1)')
                detail = f' (expected [{found.group(1)}], got [{found.group(2)}])' \
                    if found else ''
                raise _Fail(f'{label}: branch outputs differ in height/width{detail} - '
                            f'{_SAME}')
            if shape[2:] != (h, w):
                raise _Fail(f'{label}: height x width changed from {h}x{w} to '
                            f'{shape[2]}x{shape[3]} - {_SAME}')
            _expect_shape(label, shape, (b, c1 + c2[1] + c3[1] + c4, h, w),
                          'concatenate the four branches on the channel axis')
            _expect_params(label, count, _inception_params(c_in, c1, c2, c3, c4),
                           'branch 2 is 1x1 (c2[0]) then 3x3 (c2[1]), branch 3 is 1x1 '
                           '(c3[0]) then 5x5 (c3[1])')
            _expect_relu(label, Y, 'at least one branch')
    return _run_check('inception', body)


def check_inception_out_channels(answer):
    """Output channels of Inception(128, (128, 192), (32, 96), 64)."""
    def body():
        value = _as_int(answer, 'the number of output channels')
        _compare_number(value, 128 + 192 + 96 + 64,
                        {128 + 128 + 32 + 64: 'the 128 and 32 are the 1x1 reductions inside '
                                              'branches 2 and 3; count what each branch '
                                              'outputs',
                         128 + 128 + 192 + 32 + 96 + 64: 'the reductions (128, 32) stay '
                                                         'inside their branches'},
                        'add up the channels that leave each of the four branches')
    return _run_check('inception_out_channels', body)


def check_inception_params(answer):
    """Parameters of Inception(64, (96, 128), (16, 32), 32) on 192 input channels."""
    expected = _inception_params(192, 64, (96, 128), (16, 32), 32)
    no_bias = expected - (64 + 96 + 128 + 16 + 32 + 32)

    def body():
        value = _as_int(answer, 'the number of parameters')
        _compare_number(value, expected,
                        {no_bias: 'you forgot the biases (one per output channel of each '
                                  'of the six convolutions)'},
                        'add the six convolutions: 1x1 (192->64), 1x1 (192->96), 3x3 '
                        '(96->128), 1x1 (192->16), 5x5 (16->32), 1x1 (192->32), each with '
                        'biases')
    return _run_check('inception_params', body)


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


def check_most_params(answer):
    """Which network has the most parameters at the book's resolution?"""
    def body():
        name = _as_network(answer)
        if name != 'vgg':
            raise _Fail(f'{name} is not it: look at the parameter column of the table; '
                        'the dense layers after the last block dominate')
    return _run_check('most_params', body)


def check_gap_saving(answer):
    """Which network first replaced the dense head by global average pooling?"""
    def body():
        name = _as_network(answer)
        if name == 'googlenet':
            raise _Fail('GoogLeNet uses global average pooling, but borrowed it from an '
                        'earlier network')
        if name != 'nin':
            raise _Fail(f'{name} ends with dense layers')
    return _run_check('gap_saving', body)


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
    'vgg16_arch': check_vgg16_arch,
    'vgg_dense_inputs': check_vgg_dense_inputs,
    'nin_block': check_nin_block,
    'conv1x1_params': check_conv1x1_params,
    'nin_head': check_nin_head,
    'inception': check_inception,
    'inception_out_channels': check_inception_out_channels,
    'inception_params': check_inception_params,
    'most_params': check_most_params,
    'gap_saving': check_gap_saving,
}
