"""Chapter 5 (GoogLeNet): the checks of its exercises."""
import re

from .base import DESIGN, FACTORY, NUMBER, Check, Fail, as_int, conv_params, expect_params, \
    expect_relu, expect_shape, expect_within_budget, fmt_args, inventory, ran, require


def inception_params(c_in, c1, c2, c3, c4):
    """Parameters of an Inception block (six convolutions with biases) on ``c_in`` channels."""
    return (conv_params(c_in, c1, 1)
            + conv_params(c_in, c2[0], 1) + conv_params(c2[0], c2[1], 3)
            + conv_params(c_in, c3[0], 1) + conv_params(c3[0], c3[1], 5)
            + conv_params(c_in, c4, 1))


def inception_v2_params(c_in, c1, c2, c3, c4):
    """Parameters of the Inception block whose third branch stacks two 3x3 convolutions
    (1x1 to c3[0], 3x3 to c3[1], 3x3 c3[1] -> c3[1]) instead of one 5x5."""
    return (conv_params(c_in, c1, 1)
            + conv_params(c_in, c2[0], 1) + conv_params(c2[0], c2[1], 3)
            + conv_params(c_in, c3[0], 1) + conv_params(c3[0], c3[1], 3)
            + conv_params(c3[1], c3[1], 3)
            + conv_params(c_in, c4, 1))


_SAME = 'pad every 3x3 conv by 1 and the max-pool by 1 (stride 1)'


def _concat_error(label, desc):
    """The readable reason of a failed concatenation: the wrong axis, or branches whose
    height and width differ."""
    message = str((desc.get('run_error') or {}).get('message', ''))
    if 'Incompatible input shape' not in message:
        return
    found = re.search(r'expected \[([^]]*)\], got \[([^]]*)\]', message)
    axes = found.group(1).split(',') if found else []
    axis = axes.index('-1') if '-1' in axes else 1
    if axis != 1:
        raise Fail(f'{label}: the branches are concatenated on axis {axis}; '
                   'concatenate them on the channel axis (axis=1)')
    detail = f' (expected [{found.group(1)}], got [{found.group(2)}])' if found else ''
    raise Fail(f'{label}: branch outputs differ in height/width{detail} - {_SAME}')


def _judge_inception_v2(args, X_shape, desc):
    c1, c2, c3, c4 = args
    label = f'MyInceptionV2{fmt_args(args)}'
    kernels = sorted(inventory(desc)['conv'])
    if 5 in kernels:
        raise Fail(f'{label}: conv kernel sizes {kernels} still hold a 5x5 - replace '
                   "branch 3's 5x5 by two stacked 3x3 convolutions")
    if kernels != [1, 1, 1, 1, 3, 3, 3]:
        raise Fail(f'{label}: conv kernel sizes {kernels}, expected four 1x1 and three '
                   '3x3 (one in branch 2, two stacked in branch 3)')
    if [(t, k) for t, k, _ in inventory(desc)['pool']] != [('max', 3)]:
        raise Fail(f'{label}: expected one 3x3 max-pooling layer (branch 4), '
                   f"found {inventory(desc)['pool']}")
    b, c_in, h, w = X_shape
    _concat_error(label, desc)
    shape, count, negative = ran(desc)
    if shape[2:] != (h, w):
        raise Fail(f'{label}: height x width changed from {h}x{w} to '
                   f'{shape[2]}x{shape[3]} - {_SAME}')
    expect_shape(label, shape, (b, c1 + c2[1] + c3[1] + c4, h, w),
                 'concatenate the four branches on the channel axis')
    expect_params(label, count, inception_v2_params(c_in, c1, c2, c3, c4),
                  'branch 3 is 1x1 (c3[0] channels), then 3x3 (c3[1]), then 3x3 '
                  '(c3[1] to c3[1])')
    expect_relu(label, negative, 'at least one branch')


DESIGN_IN = 192            # a 192 x 28 x 28 input, as GoogLeNet's block 3a
DESIGN_OUT = 256
DESIGN_BUDGET = 100_000
DESIGN_MIN = 16


def _judge_design(allocation):
    require(allocation, 'a tuple (c1, (c2_reduce, c2), (c3_reduce, c3), c4)')
    try:
        c1, (r2, c2), (r3, c3), c4 = allocation
        c1, r2, c2, r3, c3, c4 = (as_int(v, 'a channel count') for v in (c1, r2, c2, r3, c3, c4))
    except (TypeError, ValueError):
        raise Fail('expected (c1, (c2_reduce, c2), (c3_reduce, c3), c4), e.g. '
                   '(64, (96, 128), (16, 32), 32)') from None
    if min(r2, r3) < 1:
        raise Fail('each 1x1 reduction needs at least one channel')
    outputs = {'1x1': c1, '3x3': c2, '5x5': c3, 'pool': c4}
    total = sum(outputs.values())
    if total != DESIGN_OUT:
        raise Fail(f'the branches output {c1} + {c2} + {c3} + {c4} = {total} channels, '
                   f'{abs(total - DESIGN_OUT)} too {"many" if total > DESIGN_OUT else "few"}'
                   f' (the reductions stay inside their branches)')
    small = {k: v for k, v in outputs.items() if v < DESIGN_MIN}
    if small:
        k, v = next(iter(small.items()))
        raise Fail(f'the {k} branch outputs {v} channels, {DESIGN_MIN - v} short of the '
                   f'minimum of {DESIGN_MIN}')
    rival = max((v, k) for k, v in outputs.items() if k != '3x3')
    if c2 <= rival[0]:
        raise Fail(f'the 3x3 branch outputs {c2} channels, the {rival[1]} branch {rival[0]}: '
                   f'the 3x3 branch needs at least {rival[0] - c2 + 1} more than any other')
    params = inception_params(DESIGN_IN, c1, (r2, c2), (r3, c3), c4)
    expect_within_budget(params, DESIGN_BUDGET,
                         f'the 3x3 conv alone has {r2} x {c2} x 9 + {c2} = '
                         f'{conv_params(r2, c2, 3):,}: its 1x1 reduction sets the price')


CHECKS = (
    Check('inception_v2', FACTORY,
          '``MyInceptionV2(c1, c2, c3, c4)``: Inception with branch 3 as 1x1 -> 3x3 -> 3x3.',
          param='MyInceptionV2', what='your MyInceptionV2', label='MyInceptionV2',
          judge=_judge_inception_v2,
          cases=(((4, (4, 8), (2, 4), 4), (2, 6, 8, 8)), ((2, (3, 5), (1, 2), 3), (1, 5, 6, 6)))),
    Check('inception_out_channels', NUMBER,
          'Output channels of Inception(80, (96, 176), (24, 56), 40).',
          what='the number of output channels',
          parse=lambda answer: as_int(answer, 'the number of output channels'),
          rule='add up the channels that leave each of the four branches'),
    Check('inception_v2_branch_params', NUMBER,
          "Parameters of block 3a's third branch with its 5x5 replaced by two stacked 3x3:\n"
          '192 -> 16 (1x1), 16 -> 32 (3x3), 32 -> 32 (3x3), all with biases.',
          what='the number of parameters',
          parse=lambda answer: as_int(answer, 'the number of parameters'),
          rule='add the three convolutions, each with in x out x k x k weights and one bias '
               'per output channel; each conv reads what the previous one wrote'),
    Check('inception_design', DESIGN,
          'Design: (c1, (c2_reduce, c2), (c3_reduce, c3), c4) of an Inception block on a\n'
          '192-channel input with 256 output channels, at most 100,000 parameters, at least 16\n'
          'output channels per branch and the 3x3 branch the widest.',
          param='allocation', what='a tuple (c1, (c2_reduce, c2), (c3_reduce, c3), c4)',
          judge=_judge_design),
)
