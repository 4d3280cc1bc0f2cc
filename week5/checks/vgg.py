"""Chapter 3 (VGG): the checks of its exercises."""
from .base import DESIGN, FACTORY, NUMBER, Check, Fail, as_int, conv_params, expect_params, \
    expect_shape, expect_within_budget, fmt_args, layer_name, layer_names, ran, require, \
    weighted_groups

BUDGET = 60_000_000     # parameters at 224x224, 1 input channel, the book's dense head
MIN_CONVS = 8


def vgg_params(arch, side=224, c_in=1, num_classes=10):
    """(total, dense head, flattened inputs) of a VGG: 3x3 convs with padding 1, a 2x2
    pool per block, then the book's head 4096 -> 4096 -> num_classes."""
    body, c = 0, c_in
    for num_convs, channels in arch:
        for _ in range(num_convs):
            body += conv_params(c, channels, 3)
            c = channels
        side //= 2
    flat = c * side * side
    head = (conv_params(flat, 4096, 1) + conv_params(4096, 4096, 1)
            + conv_params(4096, num_classes, 1))
    return body + head, head, flat


def _judge_bn_conv(label, k, layer, after, channels, last):
    """Convolution k of a block: 3x3, padding 1, linear, then BatchNorm, then ReLU (and
    after the last one the pooling)."""
    name = f'{label}: convolution {k + 1}'
    if (layer['kernel'], layer['padding'], layer['strides']) != ([3, 3], [1, 1], [1, 1]):
        raise Fail(f"{name} has kernel {layer['kernel']}, padding {layer['padding']}, stride "
                   f"{layer['strides']}: use kernel_size=3, padding=1 (stride 1)")
    if layer['channels'] != channels:
        raise Fail(f"{name} has {layer['channels']} channels, expected channels={channels}")
    if layer['act'] is not None:
        raise Fail(f"{name} has activation={layer['act']!r} built in, so it acts before the "
                   "BatchNorm: leave the convolution linear and add nn.Activation('relu') "
                   'after its BatchNorm')
    expected = ['bn', 'act'] + (['pool'] if last else [])
    if [a['kind'] for a in after] != expected:
        raise Fail(f'{name} is followed by {layer_names(after)}, expected BatchNorm -> '
                   "Activation('relu')" + (' -> the pooling' if last else
                                           ' and then the next convolution'))
    if after[1]['act'] != 'relu':
        raise Fail(f"{name}: the activation after its BatchNorm is {after[1]['act']!r}, "
                   "expected 'relu'")


def _judge_bn_block(args, X_shape, desc):
    num_convs, channels = args
    label = f'vgg_bn_block{fmt_args(args)}'
    before, groups = weighted_groups(desc)
    kinds = [layer['kind'] for _, layer, _ in groups]
    if kinds.count('conv') != num_convs:
        raise Fail(f"{label} has {kinds.count('conv')} convolution(s), expected {num_convs}")
    if before or 'dense' in kinds:
        raise Fail(f'{label} starts with {layer_names(before + [groups[0][1]])}: a block is '
                   'convolutions, each with its BatchNorm and ReLU, then one pooling layer')
    for k, (_, layer, after) in enumerate(groups):
        _judge_bn_conv(label, k, layer, after, channels, last=k == num_convs - 1)
    pool = groups[-1][2][-1]
    if (pool['pool_type'], pool['kernel'], pool['strides'], pool['global']) \
            != ('max', [2, 2], [2, 2], False):
        raise Fail(f'{label}: the pooling is {layer_name(pool)} with a {pool["kernel"]} '
                   f'window and stride {pool["strides"]}, expected nn.MaxPool2D(2, 2)')
    c_in, h, w = X_shape[1:]
    shape, count, _ = ran(desc)
    expect_shape(label, shape, (X_shape[0], channels, h // 2, w // 2),
                 'padding 1 keeps the size, the 2x2 pool with stride 2 halves it')
    weights = sum(conv_params(c_in if i == 0 else channels, channels, 3) - channels
                  for i in range(num_convs))
    full = weights + 5 * channels * num_convs       # bias + BatchNorm's 4 per channel
    if count not in {full - channels * dropped for dropped in range(num_convs + 1)}:
        expect_params(label, count, full, 'each conv maps its input channels to `channels` '
                      'with a 3x3 kernel and a bias (the bias may go); each BatchNorm '
                      'stores a scale, a shift, a running mean and a running variance per '
                      'channel')


def _judge_budget(arch):
    require(arch, 'a tuple of (num_convs, channels) pairs')
    try:
        rows = tuple((as_int(n, 'num_convs'), as_int(c, 'channels')) for n, c in arch)
    except (TypeError, ValueError):
        raise Fail('arch must be a tuple of (num_convs, channels) pairs, like '
                   '((1, 64), (1, 128), ...)') from None
    if not rows or any(n < 1 or c < 1 for n, c in rows):
        raise Fail('every block needs at least one convolution and one channel')
    if 224 >> len(rows) < 1:
        raise Fail(f'{len(rows)} blocks halve 224 down to 0x0: at most 7 blocks fit')
    convs = sum(n for n, _ in rows)
    if convs < MIN_CONVS:
        raise Fail(f'{convs} convolutions: the design needs at least {MIN_CONVS}')
    total, head, flat = vgg_params(rows)
    side = 224 >> len(rows)
    expect_within_budget(total, BUDGET, f'{head:,} of them are in the dense head, whose first '
                         f'layer sees {rows[-1][1]} x {side} x {side} = {flat:,} inputs')


CHECKS = (
    Check('vgg_bn_block', FACTORY,
          '``vgg_bn_block(num_convs, channels)``: 3x3 convs (padding 1) each followed by\n'
          'BatchNorm and ReLU, then a 2x2 max-pool with stride 2.',
          param='vgg_bn_block', what='your vgg_bn_block', label='vgg_bn_block',
          judge=_judge_bn_block, cases=(((2, 8), (2, 4, 16, 16)), ((1, 6), (2, 3, 8, 8)))),
    Check('vgg_budget', DESIGN,
          'Design: an ``arch`` with at least 8 convolutions and at most 60,000,000 parameters\n'
          "at 224x224 (one input channel, the book's 4096-4096-10 dense head).",
          param='arch', what='a tuple of (num_convs, channels) pairs', judge=_judge_budget),
    Check('vgg_dense_inputs', NUMBER,
          "Inputs of VGG-11's first dense layer for a 160x160 image (five halvings, 512 ch).",
          what='the number of inputs',
          parse=lambda answer: as_int(answer, 'the number of inputs'),
          rule="Dense sees the last block's output flattened: channels x height x width, "
               'where each block\'s pooling halves height and width (rounding down)'),
)
