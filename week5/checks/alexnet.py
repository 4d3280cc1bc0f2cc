"""Chapter 2 (AlexNet): the checks of its exercises."""
from .base import NETWORK, NUMBER, Check, Fail, as_int, conv_params, expect_params, \
    expect_shape, inventory, ran


def _judge_head(args, X_shape, desc):
    inv = inventory(desc)
    if inv['dense'] != [4096, 4096, 10]:
        raise Fail(f"dense layers {inv['dense']}, expected [4096, 4096, 10]")
    if inv['dropout'] != [0.5, 0.5]:
        raise Fail(f"dropout rates {inv['dropout']}, expected [0.5, 0.5] (one after "
                   'each hidden layer)')
    if inv['act'].count('relu') != 2 or 'sigmoid' in inv['act']:
        raise Fail(f"activations {inv['act']}, expected ReLU on the two hidden layers "
                   'and none on the output')
    shape, count, _ = ran(desc)
    flat = X_shape[1] * X_shape[2] * X_shape[3]
    expect_shape('head', shape, (X_shape[0], 10), 'Dense flattens its input itself')
    expect_params('head', count, conv_params(flat, 4096, 1) + conv_params(4096, 4096, 1)
                  + conv_params(4096, 10, 1), f'{flat} -> 4096 -> 4096 -> 10 with biases')


CHECKS = (
    Check('alexnet_conv1_size', NUMBER,
          "Height (= width) after AlexNet's first conv (11x11, stride 4, no padding) on 227.",
          what='the height of the output',
          parse=lambda answer: as_int(answer, 'the height of the output'),
          rule='a window of size k moved in steps of s fits floor((n - k) / s) + 1 times '
               'into n pixels (n already includes any padding)'),
    Check('alexnet_dense_params', NUMBER,
          'Parameters of the two 4096-unit hidden layers at 227x227 (input 256 x 6 x 6).',
          what='the number of parameters',
          parse=lambda answer: as_int(answer, 'the number of parameters'),
          rule='a dense layer has inputs x units weights plus one bias per unit; the first '
               'layer sees the flattened feature map, the second the first one\'s units'),
    Check('alexnet_head', NETWORK,
          "AlexNet's dense head on (2, 256, 5, 5) features: 4096-4096-10 with dropout 0.5.",
          param='head', what='your head', label='head', judge=_judge_head,
          cases=(((), (2, 256, 5, 5)),)),
)
