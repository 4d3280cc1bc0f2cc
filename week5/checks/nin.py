"""Chapter 4 (NiN): the checks of its exercises."""
from .base import NETWORK, NUMBER, Check, Fail, as_int, expect_shape, expect_within_budget, ran

HEAD_BUDGET = 5_000     # parameters of the small head; the chapter's nin_block(10, 3, 1, 1)
                        # head on 96 channels has 8,870


def _nin_macs(answer):
    return as_int(answer, 'the number of multiply-adds')


def _is_global_avg(layer):
    return layer.get('kind') == 'pool' and layer.get('global') and layer.get('pool_type') == 'avg'


def _judge_small_head(args, X_shape, desc):
    """The constraints of the question, each with what breaks it: no Dense layer, a 3x3
    convolution, global average pooling, (N, 10) out, at most HEAD_BUDGET parameters."""
    layers = desc['layers']
    dense = [layer for layer in layers if layer.get('kind') == 'dense']
    if dense:
        raise Fail(f'the head has {len(dense)} Dense layer(s): the question allows none - '
                   'let a convolution produce the 10 class channels')
    convs = [layer for layer in layers if layer.get('kind') == 'conv']
    if not any(layer['kernel'] == [3, 3] for layer in convs):
        kernels = [layer['kernel'][0] for layer in convs]
        raise Fail(f'conv kernel sizes {kernels}: the head needs at least one 3x3 '
                   'convolution (so that each class map sees a neighbourhood)')
    pools = [i for i, layer in enumerate(layers) if _is_global_avg(layer)]
    if not pools:
        raise Fail('no global average pooling: end with nn.GlobalAvgPool2D() to turn each '
                   'class map into one score')
    last = pools[-1]
    after = [layer.get('type', layer.get('kind')) for layer in layers[last + 1:]
             if layer.get('type') != 'Flatten']
    if after:
        raise Fail(f'{", ".join(map(str, after))} after the global average pooling: the head '
                   'ends with the pooling (then a flatten); the convolutions come before it')
    shape, count, _ = ran(desc)
    expect_shape('nin_small_head', shape, (X_shape[0], 10),
                 'the last convolution makes 10 channels; flatten after the pooling')
    wide = ', '.join(str(layer['channels']) for layer in convs if layer['kernel'] == [3, 3])
    expect_within_budget(count, HEAD_BUDGET,
                         'a 3x3 conv pays 9 weights per input channel for each of its output '
                         f'channels (yours output {wide}) - shrink what it reads or what it '
                         'writes')


CHECKS = (
    Check('nin_conv1x1_macs', NUMBER,
          'Multiply-adds of ONE 1x1 convolution (96 -> 96) of NiN\'s first block, for one\n'
          '96x96 grey image (first conv: 11x11, stride 4, no padding, 96 channels).',
          what='the number of multiply-adds', parse=_nin_macs,
          rule='a 1x1 convolution does one multiply-add per weight at every output pixel: '
               'find the height and width after the 11x11 convolution first'),
    Check('conv1x1_params', NUMBER,
          'Parameters of a 1x1 convolution from 256 to 64 channels.',
          what='the number of parameters',
          parse=lambda answer: as_int(answer, 'the number of parameters'),
          rule='a 1x1 convolution is a dense layer applied at every pixel: count it as '
               'that dense layer (section 1, "A 1x1 convolution is a dense layer at every '
               'pixel")'),
    Check('nin_small_head', NETWORK,
          'A head for (N, 96, H, W) features and 10 classes: no Dense layer, at least one\n'
          '3x3 convolution, global average pooling and a flatten to (N, 10), at most\n'
          f'{HEAD_BUDGET:,} parameters.',
          param='head', what='your nin_small_head', label='nin_small_head',
          judge=_judge_small_head, cases=(((), (2, 96, 5, 5)),)),
)
