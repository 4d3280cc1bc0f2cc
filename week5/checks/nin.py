"""Chapter 4 (NiN): the checks of its exercises."""
from .base import FACTORY, NETWORK, NUMBER, Check, Fail, as_int, conv_params, expect_params, \
    expect_relu, expect_shape, fmt_args, inventory, ran


def _judge_block(args, X_shape, desc):
    c, k, s, p = args
    label = f'nin_block{fmt_args(args)}'
    inv = inventory(desc)
    if inv['conv'] != [k, 1, 1]:
        raise Fail(f"{label}: conv kernel sizes {inv['conv']}, expected "
                   f'{[k, 1, 1]} (one {k}x{k} convolution, then two 1x1)')
    if inv['pool'] or inv['dense']:
        raise Fail(f'{label}: a NiN block has only convolutions (no pooling, no '
                   'dense layer)')
    b, c_in, h, w = X_shape
    side = (h + 2 * p - k) // s + 1
    shape, count, negative = ran(desc)
    expect_shape(label, shape, (b, c, side, side), 'the first convolution uses '
                 'the given stride and padding, the 1x1 ones keep the size')
    expect_params(label, count, conv_params(c_in, c, k) + 2 * conv_params(c, c, 1),
                  'a 1x1 conv from c to c channels has c x c weights + c biases')
    expect_relu(label, negative, 'the last 1x1 convolution')


def _judge_head(args, X_shape, desc):
    inv = inventory(desc)
    if inv['dense']:
        raise Fail(f"head has {len(inv['dense'])} dense layer(s): NiN needs none - "
                   'let the last 1x1 convolution produce the 10 class channels')
    if inv['gap'] != 1:
        raise Fail('expected one nn.GlobalAvgPool2D to average each class channel')
    if inv['conv'] != [3, 1, 1]:
        raise Fail(f"conv kernel sizes {inv['conv']}, expected [3, 1, 1] "
                   '(nin_block(10, kernel_size=3, strides=1, padding=1))')
    shape, count, _ = ran(desc)
    expect_shape('nin_head', shape, (X_shape[0], 10), 'end with nn.Flatten() after the pooling')
    expect_params('nin_head', count, conv_params(X_shape[1], 10, 3) + 2 * conv_params(10, 10, 1),
                  f'a 3x3 conv from {X_shape[1]} to 10 channels, then two 1x1 convs 10 -> 10')


CHECKS = (
    Check('nin_block', FACTORY,
          '``nin_block(out_channels, kernel_size, strides, padding)``: conv + two 1x1 convs.',
          param='nin_block', what='your nin_block', label='nin_block', judge=_judge_block,
          cases=(((8, 5, 2, 1), (2, 3, 15, 15)), ((4, 3, 1, 1), (2, 2, 6, 6)))),
    Check('conv1x1_params', NUMBER,
          'Parameters of a 1x1 convolution from 256 to 64 channels.',
          what='the number of parameters',
          parse=lambda answer: as_int(answer, 'the number of parameters'),
          rule='a 1x1 conv is a dense layer applied at every pixel: in x out weights plus '
               'one bias per output channel'),
    Check('nin_head', NETWORK,
          "NiN's head on (2, 96, 5, 5) features: nin_block(10, 3, 1, 1) + global avg pool.",
          param='head', what='your nin_head', label='nin_head', judge=_judge_head,
          cases=(((), (2, 96, 5, 5)),)),
)
