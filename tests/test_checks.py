"""week5.checks: a correct answer passes, wrong answers fail with the right reason, an
unanswered exercise or broken student code gives a FAILED verdict instead of a crash,
and every check prints exactly one parseable line."""
import re

import pytest
from mxnet import np
from mxnet.gluon import nn

from week5 import checks
from week5.checks import VERDICT_RE, CheckResult, parse_verdicts
from instructor.keys import answers
from support import ROOT


def run(capsys, check, answer):
    """Run a check; return (result, the printed text) and assert one verdict line."""
    result = check(answer)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 1, out
    match = VERDICT_RE.fullmatch(lines[0])
    assert match, lines[0]
    assert isinstance(result, CheckResult)
    assert match['name'] == result.name
    assert (match['verdict'] == 'PASSED') == result.passed
    assert lines[0] == result.line
    return result, lines[0]


def passes(capsys, check, answer):
    result, line = run(capsys, check, answer)
    assert result.passed, line
    assert line.endswith(': PASSED')


def fails(capsys, check, answer, *fragments):
    result, line = run(capsys, check, answer)
    assert not result.passed, line
    assert ': FAILED - ' in line
    for fragment in fragments:
        assert fragment in result.reason, (fragment, result.reason)
    return result.reason


# ---------------------------------------------------------------------------- helpers
def seq(*layers):
    net = nn.Sequential()
    net.add(*layers)
    return net


def vgg_block(num_convs, channels):
    blk = nn.Sequential()
    for _ in range(num_convs):
        blk.add(nn.Conv2D(channels, kernel_size=3, padding=1, activation='relu'))
    blk.add(nn.MaxPool2D(pool_size=2, strides=2))
    return blk


def vgg_bn_block(num_convs, channels, bias=True, act='relu', bn=True, pool=nn.MaxPool2D):
    blk = nn.Sequential()
    for _ in range(num_convs):
        blk.add(nn.Conv2D(channels, kernel_size=3, padding=1, use_bias=bias))
        blk.add(*([nn.BatchNorm()] if bn else []), nn.Activation(act))
    blk.add(pool(pool_size=2, strides=2))
    return blk


def nin_block(out_channels, kernel_size, strides, padding):
    return seq(nn.Conv2D(out_channels, kernel_size, strides, padding, activation='relu'),
               nn.Conv2D(out_channels, kernel_size=1, activation='relu'),
               nn.Conv2D(out_channels, kernel_size=1, activation='relu'))


def make_inception_v2(p3=1, branch3=('3', '3'), mid=None, pool_stride=1, act='relu', axis=1):
    """MyInceptionV2 and its typical mistakes: ``branch3`` the kernels after the 1x1
    reduction ('5' is the original block), ``mid`` the channels of the first 3x3 (None:
    c3[1]), ``p3`` the 3x3s' padding."""
    class InceptionV2(nn.Block):
        def __init__(self, c1, c2, c3, c4, **kwargs):
            super().__init__(**kwargs)
            self.p1 = nn.Conv2D(c1, 1, activation=act)
            self.p2_1 = nn.Conv2D(c2[0], 1, activation=act)
            self.p2_2 = nn.Conv2D(c2[1], 3, padding=p3, activation=act)
            self.p3 = nn.Sequential()
            self.p3.add(nn.Conv2D(c3[0], 1, activation=act))
            for i, k in enumerate(branch3):
                last = i == len(branch3) - 1
                channels = c3[1] if last or mid is None else (c3[0] if mid == 'reduce' else mid)
                pad = (p3 if k == '3' else 2)
                self.p3.add(nn.Conv2D(channels, int(k), padding=pad, activation=act))
            self.p4_1 = nn.MaxPool2D(3, pool_stride, 1)
            self.p4_2 = nn.Conv2D(c4, 1, activation=act)

        def forward(self, x):
            return np.concatenate((self.p1(x), self.p2_2(self.p2_1(x)), self.p3(x),
                                   self.p4_2(self.p4_1(x))), axis=axis)
    return InceptionV2


def lenet(act='relu', pool=nn.MaxPool2D, hidden=(120, 84)):
    return seq(nn.Conv2D(6, 5, padding=2, activation=act), pool(2, 2),
               nn.Conv2D(16, 5, activation=act), pool(2, 2),
               nn.Dense(hidden[0], activation=act), nn.Dense(hidden[1], activation=act),
               nn.Dense(10))


def lenet_bn(act='sigmoid', pool=nn.AvgPool2D, bias=True, built_in=(), axis=1, out=()):
    """LeNet-5 with a BatchNorm before each hidden activation; ``built_in`` names the hidden
    layers (0-3) whose activation is inside the layer instead of after their BatchNorm."""
    specs = [(nn.Conv2D, dict(channels=6, kernel_size=5, padding=2)),
             (nn.Conv2D, dict(channels=16, kernel_size=5)),
             (nn.Dense, dict(units=120)), (nn.Dense, dict(units=84))]
    layers = []
    for k, (kind, kwargs) in enumerate(specs):
        layers += [kind(activation=act if k in built_in else None, use_bias=bias, **kwargs),
                   nn.BatchNorm(axis=axis if k < 2 else 1)]
        layers += [] if k in built_in else [nn.Activation(act)]
        layers += [pool(2, 2)] if k < 2 else []
    return seq(*layers, nn.Dense(10), *out)


def budget_head(shrink=(nn.MaxPool2D(2, 2),), units=(1024, 1024), rate=0.5, act='relu'):
    return seq(*shrink, nn.Dense(units[0], activation=act), nn.Dropout(rate),
               nn.Dense(units[1], activation=act), nn.Dropout(rate), nn.Dense(10))


# ----------------------------------------------------------------------- the format
def test_verdict_format_and_parsing(capsys):
    passes(capsys, checks.check_lenet_conv2_params, 880)
    fails(capsys, checks.check_lenet_conv2_params, 864, 'biases')
    text = ('noise\n[week5 check] a_b: PASSED\n'
            '[week5 check] vgg_bn_block: FAILED - vgg_bn_block(2, 8) has 1 convolution(s)\n')
    assert parse_verdicts(text) == [
        CheckResult('a_b', True, ''),
        CheckResult('vgg_bn_block', False, 'vgg_bn_block(2, 8) has 1 convolution(s)')]


def test_result_is_not_displayed_twice():
    result = CheckResult('x', True)
    assert result._ipython_display_() is None      # the printed line is the display
    assert bool(result) and not bool(CheckResult('x', False, 'why'))


def test_registry_names_match_verdicts(capsys):
    for name, check in checks.CHECKS.items():
        result = check(...)
        assert result.name == name
        assert not result.passed
        assert 'no answer yet' in result.reason, (name, result.reason)
    capsys.readouterr()


def test_long_reasons_are_one_short_line(capsys):
    def boom(num_convs, channels):
        raise ValueError('first line of a long error\nsecond line ' + 'x' * 500)
    reason = fails(capsys, checks.check_vgg_bn_block, boom, 'your code raised ValueError',
                   'first line of a long error')
    assert 'second line' not in reason and len(reason) <= 200


# ------------------------------------------------------------------- number answers
@pytest.mark.parametrize('check, right, wrongs', [
    (checks.check_matmul_flops, 536870912,
     {268435456: 'multiply and the add', 131072: 'output entries', 536739840: 'one addition fewer',
      2 * 1024 ** 3: '1024x1024', 2 * 512 * 2048 * 2048: 'as many columns', 5: None}),
    (checks.check_lenet_conv2_params, 880,
     {864: 'biases', 2416: 'here the kernels are 3x3', 2400: '5x5 kernel without biases',
      160: 'all 6 input channels', 144: 'all 6 input channels', 99999: None}),
    (checks.check_alexnet_conv1_size, 55,
     {54: '224x224', 56: 'must fit', 57: 'must fit', 27: 'first max-pooling', 217: 'stride 1',
      10: None}),
    (checks.check_alexnet_dense_params, 54534144,
     {54534144 - 8192: 'biases', 9216 * 4096 + 4096: 'first of the two',
      4096 * 4096 + 4096: 'second of the two', 42999808: '256 x 6 x 6',
      54534144 + 40970: '10-class output layer'}),
    (checks.check_vgg_dense_inputs, 12800,
     {512: 'flattened', 25: 'channels too', 51200: 'four blocks', 25088: '224x224'}),
    (checks.check_conv1x1_params, 16448,
     {16384: 'biases', 320: 'all 256 input channels', 256 * 64 * 9 + 64: '3x3',
      65792: '256 channels to 64', 16640: 'one bias per output channel', 147840: '384 -> 384'}),
    (checks.check_nin_conv1x1_macs, 4460544,
     {26873856: '224x224', 9216: 'number of weights', 9312: 'number of parameters',
      46464: 'all the input channels', 8921088: 'two', 4875264: 'must fit',
      4064256: 'first window position', 5308416: '96 / 4', 4460545: None}),
    (checks.check_inception_out_channels, 352,
     {240: '1x1 reductions', 472: 'stay inside', 312: 'branch 4', 351: None}),
    (checks.check_inception_v2_branch_params, 16976,
     {15920: 'original branch', 16896: 'biases', 12368: 'reads the 32 channels',
      13888: 'count it too', 64576: 'reduction comes first', 10048: 'already outputs',
      164752: 'whole block', 17000: None}),
    (checks.check_params_ratio_96, 22,
     {64: '224x224', 23: 'rounded up', 0: 'larger count', 4: 'convolutions only',
      19: 'laptop profile', 3: None}),
])
def test_number_checks(capsys, check, right, wrongs):
    passes(capsys, check, right)
    passes(capsys, check, float(right))            # 2416.0 is a whole number
    rule = checks.declaration(check.__name__[len('check_'):]).rule
    for wrong, fragment in wrongs.items():
        reason = fails(capsys, check, wrong, fragment or rule)
        assert reason.startswith(f'{wrong:,} is not it: ')      # never higher or lower
        assert 'too small' not in reason and 'too large' not in reason
    fails(capsys, check, ..., 'no answer yet')
    fails(capsys, check, None, 'no answer yet')
    fails(capsys, check, 'many', 'whole number')
    fails(capsys, check, 1.5, 'whole number')
    fails(capsys, check, True, 'whole number')


def test_shape_checks(capsys):
    passes(capsys, checks.check_lenet_conv2_shape, (1, 16, 14, 14))
    passes(capsys, checks.check_lenet_conv2_shape, [1, 16, 14, 14])
    fails(capsys, checks.check_lenet_conv2_shape, (1, 14, 14, 16), 'channels-last')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 16, 18, 18), 'removes 4 rows')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 16, 7, 7), 'after the pooling')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 6, 14, 14), '16 output channels')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 16, 10, 10), '28x28 image')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 16, 12, 12), 'padding 2')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 16, 32, 32), 'halves the size')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 16, 15, 15), 'one at a time')
    fails(capsys, checks.check_lenet_conv2_shape, 16, 'expected a shape')
    fails(capsys, checks.check_lenet_conv2_shape, ..., 'no answer yet')
    passes(capsys, checks.check_channels_first, (64, 3, 96, 96))
    fails(capsys, checks.check_channels_first, (64, 96, 96, 3), 'Keras')
    fails(capsys, checks.check_channels_first, (32, 1, 28, 28), '32 grey 28x28')
    fails(capsys, checks.check_channels_first, (64, 1, 96, 96), '3 channels')
    fails(capsys, checks.check_channels_first, (3, 64, 96, 96), 'batch axis comes first')
    fails(capsys, checks.check_channels_first, (64, 96, 3, 96), 'order')
    fails(capsys, checks.check_channels_first, (64, 3, 96), '4 numbers')
    fails(capsys, checks.check_channels_first, (64, 3, 28, 28), 'not 28x28')
    fails(capsys, checks.check_channels_first, ..., 'no answer yet')


def test_design_checks(capsys):
    vgg11 = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
    passes(capsys, checks.check_vgg_budget, ((1, 64), (1, 128), (2, 256), (2, 512), (2, 128)))
    passes(capsys, checks.check_vgg_budget, [[1, 64], [1, 128], [2, 256], [2, 512], [2, 512],
                                             [1, 512]])          # a sixth block: 3x3 maps
    fails(capsys, checks.check_vgg_budget, vgg11, '128,806,154 parameters',
          '68,806,154 over', '512 x 7 x 7 = 25,088 inputs')
    fails(capsys, checks.check_vgg_budget, ((1, 8), (1, 8), (1, 8), (1, 8), (1, 8)),
          '5 convolutions', 'at least 8')
    fails(capsys, checks.check_vgg_budget, ((1, 8),) * 8, '8 blocks', 'at most 7')
    fails(capsys, checks.check_vgg_budget, ((0, 64), (8, 64)), 'at least one convolution')
    fails(capsys, checks.check_vgg_budget, 'VGG-11', 'pairs')
    fails(capsys, checks.check_vgg_budget, ..., 'no answer yet')

    passes(capsys, checks.check_inception_design, (16, (32, 208), (16, 16), 16))
    passes(capsys, checks.check_inception_design, [16, [40, 208], [16, 16], 16])
    fails(capsys, checks.check_inception_design, (64, (96, 128), (16, 32), 32),
          '163,696 parameters', '63,696 over', '96 x 128 x 9 + 128')
    fails(capsys, checks.check_inception_design, (16, (41, 208), (16, 16), 16),
          '100,553 parameters, 553 over')
    fails(capsys, checks.check_inception_design, (16, (32, 200), (16, 16), 16),
          '= 248 channels, 8 too few')
    fails(capsys, checks.check_inception_design, (16, (96, 208), (32, 32), 16),
          '= 272 channels, 16 too many', 'reductions stay inside')
    fails(capsys, checks.check_inception_design, (8, (32, 216), (16, 16), 16),
          'the 1x1 branch outputs 8 channels, 8 short of the minimum of 16')
    fails(capsys, checks.check_inception_design, (100, (32, 100), (16, 40), 16),
          'the 3x3 branch outputs 100 channels, the 1x1 branch 100', 'at least 1 more')
    fails(capsys, checks.check_inception_design, (16, (0, 208), (16, 16), 16), 'reduction')
    fails(capsys, checks.check_inception_design, (16, 208, 16, 16), 'expected (c1, (c2_reduce')
    fails(capsys, checks.check_inception_design, ..., 'no answer yet')


def test_design_budgets_match_the_library():
    """The design checks' first-principles counts agree with week5.summary's."""
    from week5 import summary

    def counted(*block):        # summary's per-branch rows of the block as it is built
        return sum(params for _, _, params, _ in summary.inception_branches(*block, 1))
    assert checks.inception_params(192, 16, (32, 208), (16, 16), 16) == \
        counted(192, 16, (32, 208), (16, 16), 16) == 81968
    assert checks.inception_params(256, 128, (128, 192), (32, 96), 64) == \
        counted(256, 128, (128, 192), (32, 96), 64)
    arch = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 128))
    split = summary.body_head_rows('vgg', {'a': dict(arch=arch)})['a']
    assert checks.vgg.vgg_params(arch)[0] == split['total_params'] == 47753738
    assert checks.vgg.vgg_params(answers.VGG11)[0] == summary.cost_rows(['vgg'])['vgg']['total_params']
    assert answers.nin_params() == summary.cost_rows(['nin'])['nin']['total_params'] == 1992166


def test_input_free_params(capsys):
    """A set of names in any container or one string, normalised; unknown names fail with
    the valid ones; each typical wrong set gets its hint."""
    passes(capsys, checks.check_input_free_params, ('googlenet', 'nin'))
    passes(capsys, checks.check_input_free_params, ['NiN', 'GoogLeNet', 'nin'])
    passes(capsys, checks.check_input_free_params, {'inception', 'nin'})
    passes(capsys, checks.check_input_free_params, 'nin, googlenet')
    fails(capsys, checks.check_input_free_params, 'nin', "('nin',) is not it", 'another network')
    fails(capsys, checks.check_input_free_params, ['googlenet'], 'another network')
    fails(capsys, checks.check_input_free_params, ('nin', 'googlenet', 'vgg'), "VGG's first dense")
    fails(capsys, checks.check_input_free_params, 'lenet, nin, googlenet', "LeNet's first dense")
    fails(capsys, checks.check_input_free_params, ('alexnet', 'nin', 'googlenet'), 'AlexNet')
    fails(capsys, checks.check_input_free_params, (), 'no layer whose weights')
    fails(capsys, checks.check_input_free_params, ('lenet', 'alexnet', 'vgg', 'nin', 'googlenet'),
          'more pixels, more weights')
    fails(capsys, checks.check_input_free_params, ('nin', 'resnet'),
          "'resnet' is not one of lenet, alexnet, vgg, nin, googlenet")
    fails(capsys, checks.check_input_free_params, 3, 'expected names')
    fails(capsys, checks.check_input_free_params, [1, 2], 'strings')
    fails(capsys, checks.check_input_free_params, ..., 'no answer yet')


def test_input_free_params_key_matches_built_models():
    """The key's set is what MXNet counts on models built at 224x224 and 448x448."""
    from week5.models import get_model
    from week5.summary import count_params
    same = []
    for name in checks.compare.NETWORKS:
        counts = []
        for side in (224, 448):
            model = get_model(name, resize=side)
            model(np.zeros((1, 1, side, side)))
            counts.append(count_params(model))
        if counts[0] == counts[1]:
            same.append(name)
    assert tuple(sorted(same)) == answers.KEYS['input_free_params'].answer == ('googlenet', 'nin')


def test_the_narrow_ratio_hint_is_what_the_summaries_count():
    from week5.summary import config_of, param_split

    def count(name):
        return param_split(config_of(name, {'resize': 96, 'width_divisor': 8}))['total_params']
    assert answers.NARROW_RATIO_96 == count('vgg') // count('nin')
    assert answers.NARROW_RATIO_96 in answers.KEYS['params_ratio_96'].wrong


def test_chapter_4_to_6_numbers_match_built_blocks():
    """The keyed numbers of chapters 4-6 as MXNet counts them on built blocks."""
    from week5.models import get_model
    from week5.summary import count_params, layer_summary
    first = seq(nn.Conv2D(96, 11, 4, 0, activation='relu'), nn.Conv2D(96, 1, activation='relu'),
                nn.Conv2D(96, 1, activation='relu'))
    first.initialize()
    rows = layer_summary(first, (1, 1, 96, 96), depth=1)
    assert rows[1].output_shape == (1, 96, 22, 22)
    assert rows[1].macs == answers.KEYS['nin_conv1x1_macs'].answer == 4460544
    branch = seq(nn.Conv2D(16, 1, activation='relu'),
                 nn.Conv2D(32, 3, padding=1, activation='relu'),
                 nn.Conv2D(32, 3, padding=1, activation='relu'))
    branch.initialize()
    branch(np.zeros((1, 192, 28, 28)))
    assert count_params(branch) == answers.KEYS['inception_v2_branch_params'].answer == 16976
    vgg, nin = get_model('vgg', resize=96), get_model('nin', resize=96)
    vgg(np.zeros((1, 1, 96, 96)))
    nin(np.zeros((1, 1, 96, 96)))
    assert count_params(vgg) // count_params(nin) == answers.KEYS['params_ratio_96'].answer == 22
    head = seq(nin_block(10, 3, 1, 1), nn.GlobalAvgPool2D(), nn.Flatten())
    head.initialize()
    head(np.zeros((2, 96, 5, 5)))
    assert count_params(head) == 8870 > checks.nin.HEAD_BUDGET      # the question's figure


# ------------------------------------------------------------------ predictions
def test_a_prediction_prints_one_line_that_is_no_verdict(capsys):
    assert checks.verify_prediction('winner', 'Relu + Avg ', 'relu + avg') is True
    assert checks.verify_prediction('winner', 'sigmoid + max', 'relu + avg',
                                    why='ReLU keeps gradients alive') is False
    assert checks.verify_prediction('winner', ..., 'relu + avg') is None
    assert checks.verify_prediction('acc', 0.8, 0.83, tolerance=0.05) is True
    assert checks.verify_prediction('acc', 0.7, 0.83, tolerance=0.05) is False
    assert checks.verify_prediction('keeps_up', True, False) is False
    assert checks.verify_prediction('keeps_up', 1, True) is False      # True or False, not 1
    assert checks.verify_prediction('odd', object(), 'x') is False     # never raises
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[:4] == [
        "[week5 prediction] winner: your prediction 'Relu + Avg ' - the run: 'relu + avg' (right)",
        "[week5 prediction] winner: your prediction 'sigmoid + max' - the run: 'relu + avg' "
        '(not this time: ReLU keeps gradients alive)',
        '[week5 prediction] winner: no prediction yet - write it in the cell before the '
        'experiment (without peeking at the table), then run this cell',
        '[week5 prediction] acc: your prediction 0.8 - the run: 0.83 (right, within 0.05)']
    assert len(lines) == 8 and all(ln.startswith('[week5 prediction] ') for ln in lines)
    # The grader scores only [week5 check] / [week5 answer] records: none here.
    assert checks.parse_verdicts(out) == []
    assert checks.parse_answers(out) == []


def test_a_prediction_cell_is_not_a_check_cell_for_the_grader(capsys):
    import nbformat
    from instructor.grading import notebooks as grade
    source = "checks.verify_prediction('winner', predicted_winner, experiments.best_variant(runs))"
    checks.verify_prediction('winner', ..., 'relu + avg')
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata['tags'] = ['nbval-ignore-output']
    cell.outputs = [nbformat.v4.new_output('stream', text=capsys.readouterr().out)]
    assert not grade.is_check_cell(cell)
    ref = nbformat.v4.new_notebook(cells=[cell])
    assert grade.expected_checks(ref) == []


def test_chapter_prediction_cells_are_ungraded():
    """Every chapter 01-06 has a prediction stub before its experiment and a verify cell
    after it, and none of them counts as a check for the grader."""
    import nbformat
    from pathlib import Path
    from instructor.grading import notebooks as grade
    root = Path(__file__).resolve().parents[1] / 'notebooks'
    for path in sorted(root.glob('0[1-6]_*.ipynb')):
        nb = nbformat.read(str(path), as_version=4)
        cells = [c for c in nb.cells if c.cell_type == 'code']
        verify = [i for i, c in enumerate(cells) if 'verify_prediction(' in c.source]
        stubs = [i for i, c in enumerate(cells) if c.source.rstrip().endswith('= ...')
                 and c.source.lstrip().startswith('# Predict')]
        assert verify and stubs and stubs[0] < verify[0], path.name
        for i in verify:
            assert 'nbval-ignore-output' in cells[i].metadata.get('tags', []), path.name
            assert not grade.is_check_cell(cells[i]), path.name
        for i in stubs:
            assert 'exercise' in cells[i].metadata.get('tags', []), path.name


# ------------------------------------------------------------------- built networks
def test_vgg_bn_block(capsys):
    passes(capsys, checks.check_vgg_bn_block, vgg_bn_block)
    # the conv bias is redundant before a BatchNorm: the check accepts it dropped
    passes(capsys, checks.check_vgg_bn_block, lambda n, c: vgg_bn_block(n, c, bias=False))

    def relu_in_conv(n, c):          # the ReLU inside the conv runs before the BatchNorm
        return seq(*[layer for _ in range(n) for layer in
                     (nn.Conv2D(c, 3, padding=1, activation='relu'), nn.BatchNorm())],
                   nn.MaxPool2D(2, 2))

    def bn_after_relu(n, c):
        return seq(*[layer for _ in range(n) for layer in
                     (nn.Conv2D(c, 3, padding=1), nn.Activation('relu'), nn.BatchNorm())],
                   nn.MaxPool2D(2, 2))

    def one_bn(n, c):                # a single BatchNorm for the whole block
        return seq(*[layer for _ in range(n) for layer in
                     (nn.Conv2D(c, 3, padding=1), nn.Activation('relu'))],
                   nn.BatchNorm(), nn.MaxPool2D(2, 2))

    def no_padding(n, c):
        return seq(*[layer for _ in range(n) for layer in
                     (nn.Conv2D(c, 3), nn.BatchNorm(), nn.Activation('relu'))],
                   nn.MaxPool2D(2, 2))

    def stub(n, c):
        blk = nn.Sequential()
        ...
        return blk

    def todo(n, c):
        raise NotImplementedError

    fails(capsys, checks.check_vgg_bn_block, vgg_block, "activation='relu' built in",
          "add nn.Activation('relu') after its BatchNorm")
    fails(capsys, checks.check_vgg_bn_block, relu_in_conv, 'built in')
    fails(capsys, checks.check_vgg_bn_block, bn_after_relu,
          "convolution 1 is followed by Activation('relu') -> BatchNorm, expected BatchNorm")
    fails(capsys, checks.check_vgg_bn_block, one_bn,
          "convolution 1 is followed by Activation('relu'), expected BatchNorm")
    fails(capsys, checks.check_vgg_bn_block, lambda n, c: vgg_bn_block(n, c, bn=False),
          "is followed by Activation('relu'), expected BatchNorm")
    fails(capsys, checks.check_vgg_bn_block, lambda n, c: vgg_bn_block(n, c, act='sigmoid'),
          "is 'sigmoid', expected 'relu'")
    fails(capsys, checks.check_vgg_bn_block, lambda n, c: vgg_bn_block(1, c),
          'has 1 convolution(s), expected 2')
    fails(capsys, checks.check_vgg_bn_block, no_padding, 'padding [0, 0]', 'padding=1')
    fails(capsys, checks.check_vgg_bn_block,
          lambda n, c: vgg_bn_block(n, c, pool=nn.AvgPool2D), 'AvgPool2D', 'nn.MaxPool2D(2, 2)')
    fails(capsys, checks.check_vgg_bn_block,
          lambda n, c: vgg_bn_block(n, c)[:-1], 'expected BatchNorm', '-> the pooling')
    fails(capsys, checks.check_vgg_bn_block, stub, 'no answer yet', 'built a block without layers')
    fails(capsys, checks.check_vgg_bn_block, lambda n, c: None, 'returned None')
    fails(capsys, checks.check_vgg_bn_block, lambda n, c: 3, 'expected a Gluon block')
    fails(capsys, checks.check_vgg_bn_block, todo, 'NotImplementedError')
    fails(capsys, checks.check_vgg_bn_block, ..., 'no answer yet')
    fails(capsys, checks.check_vgg_bn_block, 'vgg', 'function or class')
    fails(capsys, checks.check_vgg_bn_block, lambda n: vgg_bn_block(n, 8), 'TypeError')


def test_library_blocks_pass_their_checks(capsys):
    """The reference values of the checks agree with week5.models' blocks."""
    from week5.models import get_model, vgg_block as lib_vgg
    passes(capsys, checks.check_vgg_bn_block, lambda n, c: lib_vgg(n, c, batch_norm=True))
    passes(capsys, checks.check_lenet_bn, get_model('lenet', batch_norm=True).net)


def test_inception_v2(capsys):
    passes(capsys, checks.check_inception_v2, make_inception_v2())
    fails(capsys, checks.check_inception_v2, make_inception_v2(branch3=('5',)), 'still hold a 5x5',
          'two stacked 3x3')
    fails(capsys, checks.check_inception_v2, make_inception_v2(branch3=('3',)),
          'expected four 1x1 and three 3x3')
    fails(capsys, checks.check_inception_v2, make_inception_v2(p3=0), 'differ in height/width',
          'pad every 3x3 conv by 1')
    fails(capsys, checks.check_inception_v2, make_inception_v2(mid='reduce'), 'parameters',
          'then 3x3 (c3[1] to c3[1])')
    fails(capsys, checks.check_inception_v2, make_inception_v2(pool_stride=2),
          'differ in height/width (expected [2,-1,8,8], got [2,4,4,4])')
    fails(capsys, checks.check_inception_v2, make_inception_v2(act=None), 'no ReLU')
    fails(capsys, checks.check_inception_v2, make_inception_v2(axis=2), 'on axis 2',
          'channel axis (axis=1)')

    class Stub(nn.Block):
        def __init__(self, c1, c2, c3, c4, **kwargs):
            super().__init__(**kwargs)
            ...

        def forward(self, x):
            ...
    fails(capsys, checks.check_inception_v2, Stub, 'no answer yet', 'without layers')


def test_lenet_bn(capsys):
    passes(capsys, checks.check_lenet_bn, lenet_bn())
    passes(capsys, checks.check_lenet_bn, lenet_bn('relu', nn.MaxPool2D))
    # the biases before a BatchNorm are redundant: the check accepts them dropped
    passes(capsys, checks.check_lenet_bn, lenet_bn(bias=False))
    fails(capsys, checks.check_lenet_bn, lenet(act='sigmoid', pool=nn.AvgPool2D),
          'found 0 BatchNorm layer(s), expected 4')
    fails(capsys, checks.check_lenet_bn, lenet_bn(built_in=(3,)),
          "dense2 has activation='sigmoid' built in", "add nn.Activation('sigmoid') after")
    fails(capsys, checks.check_lenet_bn, lenet_bn(out=(nn.BatchNorm(),)),
          'found 5 BatchNorm layer(s), expected 4')
    fails(capsys, checks.check_lenet_bn, lenet_bn(out=(nn.Activation('sigmoid'),)),
          'the output layer must give the 10 raw scores')
    fails(capsys, checks.check_lenet_bn, lenet_bn(axis=3), 'BatchNorm channel counts',
          'axis=1')
    fails(capsys, checks.check_lenet_bn, lenet_bn(pool=nn.MaxPool2D)[:-1],
          'found 2 convolution(s) and 2 dense layer(s)')
    after_act = lenet_bn()                       # Activation before the BatchNorm
    after_act = seq(*[after_act[i] for i in (0, 2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)])
    fails(capsys, checks.check_lenet_bn, after_act,
          "conv1 is followed by Activation('sigmoid'), not by a BatchNorm")
    no_act = seq(*[layer for i, layer in enumerate(lenet_bn()) if i != 6])
    fails(capsys, checks.check_lenet_bn, no_act,
          'the BatchNorm after conv2 is followed by AvgPool2D')
    mixed = lenet_bn()
    mixed = seq(*[nn.Activation('relu') if i == 2 else layer for i, layer in enumerate(mixed)])
    fails(capsys, checks.check_lenet_bn, mixed, 'use one activation everywhere')
    wide = seq(*[nn.Conv2D(8, 5, padding=2) if i == 0 else layer
                 for i, layer in enumerate(lenet_bn())])
    fails(capsys, checks.check_lenet_bn, wide, "keep LeNet-5's sizes")
    fails(capsys, checks.check_lenet_bn, nn.Sequential(), 'no answer yet', 'bn_net.add')
    wrong_in = seq(*[nn.BatchNorm(in_channels=6) if i == 5 else layer
                     for i, layer in enumerate(lenet_bn())])
    fails(capsys, checks.check_lenet_bn, wrong_in, 'channel counts [6, 6, 120, 84]',
          'in_channels')
    never_ran = seq(*[nn.Conv2D(6, 5, padding=2, in_channels=3) if i == 0 else layer
                      for i, layer in enumerate(lenet_bn())])   # fails before any BatchNorm
    fails(capsys, checks.check_lenet_bn, never_ran, 'your code raised')   # not 'channels [0'


def test_lenet_bn_runs_in_prediction_mode_on_one_image(capsys):
    """A batch of one: the check runs the net outside autograd.record, so each BatchNorm
    uses its running statistics (in training mode a dense layer's batch variance is 0)."""
    from instructor.keys.hidden import HIDDEN
    from week5.checks.base import describe_block
    from week5.checks import judge_cases
    recorded = [describe_block(lenet_bn(), x) for _, x in HIDDEN['lenet_bn']]
    assert [d['output'] for d in recorded] == [[4, 10], [1, 10]]
    assert judge_cases('lenet_bn', HIDDEN['lenet_bn'], recorded).passed


def test_alexnet_head_budget(capsys):
    passes(capsys, checks.check_alexnet_head_budget, budget_head())
    passes(capsys, checks.check_alexnet_head_budget,
           budget_head(shrink=(nn.GlobalAvgPool2D(),), units=(2048, 512)))
    passes(capsys, checks.check_alexnet_head_budget,      # a 1x1 convolution shrinks too
           budget_head(shrink=(nn.Conv2D(64, 1, activation='relu'),)))
    book = seq(nn.Dense(4096, activation='relu'), nn.Dropout(0.5),
               nn.Dense(4096, activation='relu'), nn.Dropout(0.5), nn.Dense(10))
    reason = fails(capsys, checks.check_alexnet_head_budget, book,
                   '43,040,778 parameters, 39,040,778 over the budget of 4,000,000',
                   '26,218,496 of them are in the first hidden layer')
    assert 'pool' not in reason.lower()           # where the parameters are, not the fix
    fails(capsys, checks.check_alexnet_head_budget, budget_head(shrink=(), units=(1024, 1024)),
          'over the budget', '6,554,624 of them')
    fails(capsys, checks.check_alexnet_head_budget, budget_head(shrink=(), units=(512, 512)),
          'the first hidden layer has 512 units', 'at least 1,024')
    fails(capsys, checks.check_alexnet_head_budget, budget_head(rate=0.3),
          'has rate 0.3, expected 0.5')
    fails(capsys, checks.check_alexnet_head_budget, budget_head(act='sigmoid'),
          "activations ['sigmoid'], expected one ReLU")
    fails(capsys, checks.check_alexnet_head_budget,
          seq(nn.MaxPool2D(2, 2), nn.Dense(1024, activation='relu'),
              nn.Dense(1024, activation='relu'), nn.Dropout(0.5), nn.Dropout(0.5),
              nn.Dense(10)), 'hidden layer 1 is followed by nothing')
    fails(capsys, checks.check_alexnet_head_budget,
          seq(nn.MaxPool2D(2, 2), nn.Dense(1024, activation='relu'), nn.Dropout(0.5),
              nn.Dense(10)), '2 Dense layer(s), expected 3')
    fails(capsys, checks.check_alexnet_head_budget,
          seq(nn.MaxPool2D(2, 2), nn.Dense(1024, activation='relu'), nn.Dropout(0.5),
              nn.Dense(512, activation='relu'), nn.Dropout(0.5), nn.Dense(10),
              nn.Activation('sigmoid')), 'raw scores')
    fails(capsys, checks.check_alexnet_head_budget, nn.Sequential(), 'no answer yet')


def small_head(*convs):
    """A head of the given (channels, kernel, padding) convs, then global average pooling
    and a flatten."""
    return seq(*[nn.Conv2D(c, k, padding=p, activation='relu') for c, k, p in convs],
               nn.GlobalAvgPool2D(), nn.Flatten())


def test_nin_small_head(capsys):
    passes(capsys, checks.check_nin_small_head, small_head((16, 1, 0), (10, 3, 1), (10, 1, 0)))
    passes(capsys, checks.check_nin_small_head, small_head((5, 3, 1), (10, 1, 0)))
    fails(capsys, checks.check_nin_small_head,
          seq(nin_block(10, 3, 1, 1), nn.GlobalAvgPool2D(), nn.Flatten()),
          '8,870 parameters, 3,870 over the budget of 5,000')
    fails(capsys, checks.check_nin_small_head, small_head((16, 1, 0), (10, 1, 0)),
          'conv kernel sizes [1, 1]', 'at least one 3x3')
    fails(capsys, checks.check_nin_small_head,
          seq(nn.Conv2D(16, 1), nn.Conv2D(10, 3, padding=1), nn.Flatten(), nn.Dense(10)),
          '1 Dense layer(s)')
    fails(capsys, checks.check_nin_small_head,
          seq(nn.Conv2D(16, 1), nn.Conv2D(10, 3, padding=1), nn.GlobalMaxPool2D(), nn.Flatten()),
          'no global average pooling')
    fails(capsys, checks.check_nin_small_head,
          seq(nn.Conv2D(16, 1), nn.Conv2D(10, 3, padding=1), nn.GlobalAvgPool2D()),
          'output shape (2, 10, 1, 1)')
    fails(capsys, checks.check_nin_small_head, small_head((16, 1, 0), (12, 3, 1)),
          'output shape (2, 12)')
    fails(capsys, checks.check_nin_small_head,
          seq(nn.GlobalAvgPool2D(), nn.Conv2D(16, 1), nn.Conv2D(10, 3, padding=1), nn.Flatten()),
          'conv after the global average pooling', 'convolutions come before it')
    fails(capsys, checks.check_nin_small_head, nn.Sequential(), 'no answer yet')


# ------------------------------------------------- answers as data, verdicts from data

def test_judge_is_a_pure_function_of_the_recorded_answer(capsys):
    """describe_answer runs the code; judge sees only the JSON and gives the same verdict."""
    import json
    from week5.tensors import use_np
    use_np()        # the networks below are built as in the notebooks, after npx.set_np()
    for name, answer in [('vgg_bn_block', vgg_bn_block),
                         ('lenet_bn', lenet_bn()), ('alexnet_head_budget', budget_head()),
                         ('nin_small_head', small_head((16, 1, 0), (10, 3, 1))),
                         ('inception_v2', make_inception_v2()), ('vgg_dense_inputs', 12800),
                         ('lenet_conv2_shape', (1, 16, 14, 14)),
                         ('inception_design', (16, (32, 208), (16, 16), 16)),
                         ('vgg_budget', ((1, 64), (1, 128), (2, 256), (2, 512), (2, 128)))]:
        data = json.loads(json.dumps(checks.describe_answer(name, answer)))
        assert checks.judge(name, data) == CheckResult(name, True), name
    dense = json.dumps(checks.describe_answer('inception_v2', lambda *a: seq(nn.Dense(3))))
    wrong = json.loads(dense)
    assert wrong['cases'][0]['layers'] == [{'kind': 'dense', 'units': 3, 'act': None}]
    assert not checks.judge('inception_v2', wrong).passed
    assert capsys.readouterr().out == ''    # neither step prints


def test_a_network_is_described_by_its_structure():
    data = checks.describe_answer('vgg_bn_block', vgg_bn_block)
    first = data['cases'][0]
    assert first['layers'][0] == {'kind': 'conv', 'channels': 8, 'kernel': [3, 3], 'strides': [1, 1],
                                  'padding': [1, 1], 'act': None}
    assert first['layers'][1:3] == [{'kind': 'bn', 'channels': 8}, {'kind': 'act', 'act': 'relu'}]
    assert first['layers'][-1]['kind'] == 'pool' and first['layers'][-1]['pool_type'] == 'max'
    # conv 4x3x3x8 + 8, BatchNorm 4 x 8 (scale, shift, running mean and variance), ...
    assert first['layer_params'] == [296, 32, 0, 584, 32, 0, 0]
    assert (first['output'], first['params'], first['negative']) == ([2, 8, 8, 8], 944, False)


def test_a_block_that_fails_to_run_is_still_described():
    data = checks.describe_answer('lenet_bn', seq(nn.Conv2D(6, 5), nn.BatchNorm(axis=4)))
    assert 'run_error' in data and 'layer_params' not in data
    assert [layer['kind'] for layer in data['layers']] == ['conv', 'bn']


@pytest.mark.parametrize('data', [None, [], {'value': {'type': 'int', 'repr': '25088'}},
                                  {'cases': []}, {'cases': [{'layers': 'x'}, {}]},
                                  {'layers': [], 'output': 'x'}, {'fail': 'PASSED'}])
def test_forged_or_malformed_records_fail_and_never_raise(data):
    for name in ('vgg_dense_inputs', 'vgg_bn_block', 'lenet_bn', 'alexnet_head_budget'):
        result = checks.judge(name, data)
        assert not result.passed, (name, data)


def test_values_keep_their_type_through_the_record():
    assert checks.judge('lenet_conv2_shape', checks.describe_answer('lenet_conv2_shape', [1, 16, 14, 14])).passed
    assert 'that is the Keras' in checks.judge('channels_first', {'value': {'tuple': [64, 96, 96, 3]}}).reason
    assert checks.judge('matmul_flops', checks.describe_answer('matmul_flops', ...)).reason.startswith(
        'no answer yet')
    assert checks.judge('matmul_flops', checks.describe_answer('matmul_flops', True)).reason == \
        'expected a whole number (the number of floating-point operations), got True'
    assert 'got dict' in checks.judge('matmul_flops', checks.describe_answer('matmul_flops', {})).reason
    with pytest.raises(ValueError, match="unknown check 'nope'"):
        checks.judge('nope', {})


def test_under_the_grader_a_check_prints_its_answer_not_a_verdict(capsys, monkeypatch):
    monkeypatch.setenv(checks.ANSWER_ENV, '1')
    assert checks.check_vgg_dense_inputs(12800) is None
    out = capsys.readouterr().out
    assert VERDICT_RE.search(out) is None
    assert checks.parse_answers(out) == [('vgg_dense_inputs', {'value': 12800})]
    assert checks.parse_answers('[week5 answer] {not json}\n[week5 answer] {"x": 1}') == []


# ------------------------------------------- the committed notebooks' stubs, unchanged
@pytest.mark.parametrize('chapter', ['00_overview', '01_lenet', '02_alexnet', '03_vgg',
                                     '04_nin', '05_googlenet', '06_compare'])
def test_committed_stub_verdicts_are_unchanged(chapter, capsys):
    """Running a chapter's setup, its exercise stubs and its check cells prints exactly the
    verdict lines the committed notebook shows (nbval compares them)."""
    import re
    from pathlib import Path
    import nbformat
    nb = nbformat.read(str(Path(__file__).resolve().parents[1] / 'notebooks' / f'{chapter}.ipynb'),
                       as_version=4)
    namespace = {}
    shown = []
    for cell in nb.cells:
        tags = cell.metadata.get('tags', [])
        if cell.cell_type != 'code' or not (cell.id.endswith('-setup') or 'exercise' in tags
                                            or 'check' in tags or cell.id == 'nin-block-code'):
            continue
        exec(compile(cell.source, cell.id, 'exec'), namespace)
        if 'check' in tags:
            shown += [o.get('text', '') for o in cell.outputs if o.output_type == 'stream']
    printed = re.findall(r'^\[week5 check\].*$', capsys.readouterr().out, re.M)
    assert printed and printed == re.findall(r'^\[week5 check\].*$', ''.join(shown), re.M)


def test_the_instructors_exercise_table_lists_every_check_with_its_kind():
    """docs/instructors.md's table of checked exercises names each check once, with its kind."""
    from week5.checks.protocol import DECLARATIONS
    text = (ROOT / 'docs' / 'instructors.md').read_text(encoding='utf-8')
    rows = re.findall(r'^\| \d \| `(\w+)` \| (\w+) \|', text, re.M)
    assert sorted(name for name, _ in rows) == sorted(DECLARATIONS)
    assert {name: kind for name, kind in rows} == \
        {name: check.kind for name, check in DECLARATIONS.items()}
