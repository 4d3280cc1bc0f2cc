"""Chapter 1 (LeNet): the checks of its exercises."""
from .base import NETWORK, NUMBER, SHAPE, Check, Fail, as_int, as_shape, expect_params, \
    expect_shape, inventory, ran

_LENET5_PARAMS = 61706      # LeNet-5 as the chapter prints it: the exercise keeps its sizes


def _judge_modern(args, X_shape, desc):
    inv = inventory(desc)
    if 'sigmoid' in inv['act']:
        raise Fail("found sigmoid activations: use activation='relu' everywhere")
    avg = [p for p in inv['pool'] if p[0] == 'avg']
    if avg:
        raise Fail(f'found {len(avg)} average-pooling layer(s): use nn.MaxPool2D')
    if len(inv['conv']) != 2 or len(inv['dense']) != 3:
        raise Fail(f"{len(inv['conv'])} conv and {len(inv['dense'])} dense layers, "
                   'expected 2 and 3 as in LeNet')
    if len(inv['pool']) != 2:
        raise Fail(f"{len(inv['pool'])} pooling layer(s), expected 2 (one after "
                   'each convolution)')
    if inv['act'].count('relu') != 4:
        raise Fail(f"{inv['act'].count('relu')} ReLU activation(s), expected 4 (both "
                   'convolutions and both hidden dense layers)')
    shape, count, _ = ran(desc)
    expect_shape('modern_net', shape, (X_shape[0], 10), 'one score per class')
    expect_params('modern_net', count, _LENET5_PARAMS, 'same layer sizes as LeNet-5: 6 and '
                  '16 channels, 5x5 kernels, 120-84-10 dense layers')


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
          rule='weights = out_channels x in_channels x kernel height x kernel width, plus one '
               'bias per output channel'),
    Check('lenet_modern', NETWORK,
          'LeNet with ReLU and max-pooling: same shapes and 61,706 parameters.',
          param='net', what='your modern_net', label='modern_net', judge=_judge_modern,
          cases=(((), (1, 1, 28, 28)),)),
)
