"""Chapter 1 (LeNet): the checks of its exercises."""
from itertools import combinations

from .base import NETWORK, NUMBER, SHAPE, Check, Fail, as_int, as_shape, expect_params, \
    expect_shape, layer_names, ran, weighted_groups

_LENET5_PARAMS = 61706      # LeNet-5 as the chapter prints it: the exercise keeps its sizes
_NAMES = ('conv1', 'conv2', 'dense1', 'dense2', 'the output layer')
_CONVS = ((6, 2), (16, 0))  # (channels, padding) of LeNet-5's 5x5 convolutions
_UNITS = (120, 84, 10)
_NORMED = (6, 16, 120, 84)  # the channels (units) of the four layers a BatchNorm follows
_SIZES = ('keep LeNet-5\'s sizes: Conv2D(6, 5, padding=2), Conv2D(16, 5), Dense(120), '
          'Dense(84), Dense(10)')


def _judge_sizes(groups):
    kinds = [layer['kind'] for _, layer, _ in groups]
    if kinds != ['conv'] * 2 + ['dense'] * 3:
        raise Fail(f"found {kinds.count('conv')} convolution(s) and {kinds.count('dense')} "
                   'dense layer(s) in the order ' + ' -> '.join(kinds) + ": keep LeNet-5's 2 "
                   'convolutions followed by 3 dense layers')
    convs = [(g[1]['channels'], g[1]['kernel'], g[1]['padding']) for g in groups[:2]]
    if convs != [(c, [5, 5], [p, p]) for c, p in _CONVS] \
            or [g[1]['units'] for g in groups[2:]] != list(_UNITS):
        raise Fail(_SIZES)


def _judge_order(name, layer, after, pooled):
    """layer -> BatchNorm -> Activation (-> pooling): the order of one normalised layer."""
    if layer.get('act') is not None:
        raise Fail(f"{name} has activation={layer['act']!r} built in, so it acts before the "
                   'BatchNorm: leave the layer without an activation and add '
                   f"nn.Activation({layer['act']!r}) after its BatchNorm")
    if not after or after[0]['kind'] != 'bn':
        raise Fail(f'{name} is followed by {layer_names(after[:1])}, not by a BatchNorm: put '
                   f'nn.BatchNorm() right after {name} (layer -> BatchNorm -> Activation)')
    if len(after) < 2 or after[1]['kind'] != 'act':
        raise Fail(f'the BatchNorm after {name} is followed by {layer_names(after[1:2])}: '
                   'add the activation right after it, as nn.Activation(...)')
    expected = ['bn', 'act'] + (['pool'] if pooled else [])
    if [a['kind'] for a in after] != expected:
        raise Fail(f'{name} is followed by {layer_names(after)}, expected BatchNorm -> '
                   'Activation' + (' -> one pooling layer' if pooled else ' and then the '
                                   'next Dense'))
    if pooled and (after[2]['kernel'][0], after[2]['strides'][0]) != (2, 2):
        raise Fail(f"the pooling after {name} has a {after[2]['kernel'][0]}x"
                   f"{after[2]['kernel'][0]} window with stride {after[2]['strides'][0]}: "
                   "keep LeNet-5's 2x2 window with stride 2")


def _judge_bn(args, X_shape, desc):
    """LeNet-5 with a BatchNorm between each hidden layer and its activation."""
    before, groups = weighted_groups(desc)
    norms = [layer for layer in desc['layers'] if layer['kind'] == 'bn']
    if before:
        raise Fail(f'the network starts with {layer_names(before)}: start with '
                   'conv1, as LeNet-5 does')
    _judge_sizes(groups)
    if len(norms) != 4:
        raise Fail(f'found {len(norms)} BatchNorm layer(s), expected 4: one right after each '
                   'convolution and each hidden dense layer, none after the output layer')
    for k, (_, layer, after) in enumerate(groups[:4]):
        _judge_order(_NAMES[k], layer, after, pooled=k < 2)
    out, after = groups[4][1], groups[4][2]
    if out.get('act') is not None or after:
        raise Fail('the output layer must give the 10 raw scores: no activation, BatchNorm '
                   'or other layer after Dense(10)')
    shape, count, _ = ran(desc)     # before the channels: a BatchNorm that never ran has 0
    if [n['channels'] for n in norms] != list(_NORMED):
        raise Fail(f"BatchNorm channel counts {[n['channels'] for n in norms]}, expected "
                   f'{list(_NORMED)}: a BatchNorm normalises the channels of the layer '
                   'before it (axis=1, the default; leave in_channels out or give it right)')
    acts = [after[1]['act'] for _, _, after in groups[:4]]
    if len(set(acts)) != 1 or acts[0] not in ('sigmoid', 'relu'):
        raise Fail(f"activations {acts}: use one activation everywhere, 'sigmoid' or 'relu'")
    expect_shape('bn_net', shape, (X_shape[0], 10), 'one score per class')
    full = _LENET5_PARAMS + 4 * sum(_NORMED)
    if count not in {full - sum(dropped) for r in range(5) for dropped in
                     combinations(_NORMED, r)}:     # a bias before a BatchNorm may go
        expect_params('bn_net', count, full, "LeNet-5's 61,706 plus, per BatchNorm channel, "
                      'its scale, shift, running mean and running variance')


CHECKS = (
    Check('lenet_conv2_shape', SHAPE,
          "Output shape of LeNet's second convolution for one 36x36 image (before pooling).",
          what='a shape such as (1, 6, 28, 28)',
          parse=lambda answer: as_shape(answer, 'a shape such as (1, 6, 28, 28)'),
          rule='work through conv1 (padding 2), the 2x2 pooling and conv2 (no padding) one '
               'at a time'),
    Check('lenet_conv2_params', NUMBER,
          "Parameters of LeNet's second convolution with 3x3 kernels (6 -> 16 channels).",
          what='the number of parameters',
          parse=lambda answer: as_int(answer, 'the number of parameters'),
          rule='count what one filter holds (it spans every input channel), how many '
               'filters there are, and their biases; section 2 counts the chapter\'s conv2 '
               'the same way in its summary'),
    Check('lenet_bn', NETWORK,
          "LeNet-5's sizes with a BatchNorm between each hidden layer and its activation.",
          param='net', what='your bn_net', label='bn_net', judge=_judge_bn,
          cases=(((), (2, 1, 28, 28)),)),
)
