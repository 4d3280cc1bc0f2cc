"""week5.checks: a correct answer passes, wrong answers fail with the right reason, an
unanswered exercise or broken student code gives a FAILED verdict instead of a crash,
and every check prints exactly one parseable line."""
import pytest
from mxnet import np
from mxnet.gluon import nn

from week5 import checks
from week5.checks import VERDICT_RE, CheckResult, parse_verdicts


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


def nin_block(out_channels, kernel_size, strides, padding):
    return seq(nn.Conv2D(out_channels, kernel_size, strides, padding, activation='relu'),
               nn.Conv2D(out_channels, kernel_size=1, activation='relu'),
               nn.Conv2D(out_channels, kernel_size=1, activation='relu'))


def make_inception(k3=3, p3=1, k5=5, p5=2, pool_stride=1, act='relu', axis=1):
    class Inception(nn.Block):
        def __init__(self, c1, c2, c3, c4, **kwargs):
            super().__init__(**kwargs)
            self.p1 = nn.Conv2D(c1, 1, activation=act)
            self.p2_1 = nn.Conv2D(c2[0], 1, activation=act)
            self.p2_2 = nn.Conv2D(c2[1], k3, padding=p3, activation=act)
            self.p3_1 = nn.Conv2D(c3[0], 1, activation=act)
            self.p3_2 = nn.Conv2D(c3[1], k5, padding=p5, activation=act)
            self.p4_1 = nn.MaxPool2D(3, pool_stride, 1)
            self.p4_2 = nn.Conv2D(c4, 1, activation=act)

        def forward(self, x):
            return np.concatenate((self.p1(x), self.p2_2(self.p2_1(x)),
                                   self.p3_2(self.p3_1(x)), self.p4_2(self.p4_1(x))),
                                  axis=axis)
    return Inception


def lenet(act='relu', pool=nn.MaxPool2D, hidden=(120, 84)):
    return seq(nn.Conv2D(6, 5, padding=2, activation=act), pool(2, 2),
               nn.Conv2D(16, 5, activation=act), pool(2, 2),
               nn.Dense(hidden[0], activation=act), nn.Dense(hidden[1], activation=act),
               nn.Dense(10))


def alexnet_head(rate=0.5, units=4096, act='relu'):
    return seq(nn.Dense(units, activation=act), nn.Dropout(rate),
               nn.Dense(units, activation=act), nn.Dropout(rate), nn.Dense(10))


# ----------------------------------------------------------------------- the format
def test_verdict_format_and_parsing(capsys):
    passes(capsys, checks.check_lenet_conv2_params, 2416)
    fails(capsys, checks.check_lenet_conv2_params, 2400, 'biases')
    text = ('noise\n[week5 check] a_b: PASSED\n'
            '[week5 check] vgg_block: FAILED - vgg_block(2, 8) has 1 convolution(s)\n')
    assert parse_verdicts(text) == [
        CheckResult('a_b', True, ''),
        CheckResult('vgg_block', False, 'vgg_block(2, 8) has 1 convolution(s)')]


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
    reason = fails(capsys, checks.check_vgg_block, boom, 'your code raised ValueError',
                   'first line of a long error')
    assert 'second line' not in reason and len(reason) <= 200


# ------------------------------------------------------------------- number answers
@pytest.mark.parametrize('check, right, wrongs', [
    (checks.check_matmul_flops, 2 * 1024 ** 3,
     {1024 ** 3: 'multiply and the add', 1024 ** 2: 'output entries', 5: 'too small'}),
    (checks.check_lenet_conv2_params, 2416,
     {2400: 'biases', 416: 'all 6 input channels', 99999: 'too large'}),
    (checks.check_alexnet_conv1_size, 54,
     {55: "paper's 227x227", 56: 'must fit', 26: 'first max-pooling', 10: 'too small'}),
    (checks.check_alexnet_dense_params, 42999808,
     {42999808 - 8192: 'biases', 6400 * 4096 + 4096: 'first of the two',
      4096 * 4096 + 4096: 'second of the two'}),
    (checks.check_vgg_dense_inputs, 25088,
     {512: 'flattened', 49: '512 channels', 100352: 'four blocks'}),
    (checks.check_conv1x1_params, 147840,
     {147456: 'biases', 768: 'all 384 input channels', 384 * 384 * 9 + 384: '3x3'}),
    (checks.check_inception_out_channels, 480,
     {352: '1x1 reductions', 640: 'stay inside', 479: 'too small'}),
    (checks.check_inception_params, 163696, {163328: 'biases', 200000: 'too large'}),
])
def test_number_checks(capsys, check, right, wrongs):
    passes(capsys, check, right)
    passes(capsys, check, float(right))            # 2416.0 is a whole number
    for wrong, fragment in wrongs.items():
        fails(capsys, check, wrong, fragment)
    fails(capsys, check, ..., 'no answer yet')
    fails(capsys, check, None, 'no answer yet')
    fails(capsys, check, 'many', 'whole number')
    fails(capsys, check, 1.5, 'whole number')
    fails(capsys, check, True, 'whole number')


def test_shape_checks(capsys):
    passes(capsys, checks.check_lenet_conv2_shape, (1, 16, 10, 10))
    passes(capsys, checks.check_lenet_conv2_shape, [1, 16, 10, 10])
    fails(capsys, checks.check_lenet_conv2_shape, (1, 10, 10, 16), 'channels-last')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 16, 14, 14), 'removes 4 rows')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 16, 5, 5), 'after the pooling')
    fails(capsys, checks.check_lenet_conv2_shape, (1, 6, 10, 10), '16 output channels')
    fails(capsys, checks.check_lenet_conv2_shape, 16, 'expected a shape')
    passes(capsys, checks.check_channels_first, (32, 1, 28, 28))
    fails(capsys, checks.check_channels_first, (32, 28, 28, 1), 'Keras')
    fails(capsys, checks.check_channels_first, (32, 28, 1, 28), 'order')
    fails(capsys, checks.check_channels_first, (32, 1, 28), '4 numbers')
    fails(capsys, checks.check_channels_first, (64, 1, 28, 28), 'same numbers')


def test_arch_and_name_checks(capsys):
    vgg16 = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
    passes(capsys, checks.check_vgg16_arch, vgg16)
    passes(capsys, checks.check_vgg16_arch, [list(row) for row in vgg16])
    fails(capsys, checks.check_vgg16_arch,
          ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)), '8 conv layers')
    fails(capsys, checks.check_vgg16_arch, vgg16[:4], '4 blocks')
    fails(capsys, checks.check_vgg16_arch,
          ((2, 64), (2, 128), (3, 256), (3, 256), (3, 512)), 'channels')
    fails(capsys, checks.check_vgg16_arch,
          ((3, 64), (3, 128), (3, 256), (2, 512), (2, 512)), 'convs per block')
    fails(capsys, checks.check_vgg16_arch, 'VGG-16', 'pairs')
    passes(capsys, checks.check_most_params, 'vgg')
    passes(capsys, checks.check_most_params, 'VGG-11')
    fails(capsys, checks.check_most_params, 'alexnet', 'dense layers')
    fails(capsys, checks.check_most_params, 'resnet', 'not one of')
    passes(capsys, checks.check_gap_saving, 'NiN')
    fails(capsys, checks.check_gap_saving, 'googlenet', 'borrowed')
    fails(capsys, checks.check_gap_saving, 'vgg', 'dense layers')


# ------------------------------------------------------------------- built networks
def test_vgg_block(capsys):
    passes(capsys, checks.check_vgg_block, vgg_block)

    def no_relu(n, c):
        return seq(*[nn.Conv2D(c, 3, padding=1) for _ in range(n)], nn.MaxPool2D(2, 2))

    def one_conv(n, c):
        return vgg_block(1, c)

    def kernel5(n, c):
        return seq(*[nn.Conv2D(c, 5, padding=2, activation='relu') for _ in range(n)],
                   nn.MaxPool2D(2, 2))

    def no_padding(n, c):
        return seq(*[nn.Conv2D(c, 3, activation='relu') for _ in range(n)],
                   nn.MaxPool2D(2, 2))

    def avg_pool(n, c):
        return seq(*[nn.Conv2D(c, 3, padding=1, activation='relu') for _ in range(n)],
                   nn.AvgPool2D(2, 2))

    def no_pool(n, c):
        return seq(*[nn.Conv2D(c, 3, padding=1, activation='relu') for _ in range(n)])

    def stub(n, c):
        blk = nn.Sequential()
        ...
        return blk

    def todo(n, c):
        raise NotImplementedError

    fails(capsys, checks.check_vgg_block, no_relu, 'no ReLU')
    fails(capsys, checks.check_vgg_block, one_conv, 'has 1 convolution(s), expected 2')
    fails(capsys, checks.check_vgg_block, kernel5, 'expected 3x3')
    fails(capsys, checks.check_vgg_block, no_padding, 'output shape (2, 8, 6, 6)',
          'expected (2, 8, 8, 8)')
    fails(capsys, checks.check_vgg_block, avg_pool, "['avg']")
    fails(capsys, checks.check_vgg_block, no_pool, 'pooling []')
    fails(capsys, checks.check_vgg_block, stub, 'has 0 convolution(s)')
    fails(capsys, checks.check_vgg_block, lambda n, c: None, 'returned None')
    fails(capsys, checks.check_vgg_block, lambda n, c: 3, 'expected a Gluon block')
    fails(capsys, checks.check_vgg_block, todo, 'NotImplementedError')
    fails(capsys, checks.check_vgg_block, ..., 'no answer yet')
    fails(capsys, checks.check_vgg_block, 'vgg', 'function or class')
    fails(capsys, checks.check_vgg_block, lambda n: vgg_block(n, 8), 'TypeError')


def test_library_blocks_pass_their_checks(capsys):
    """The reference values of the checks agree with week5.models' blocks."""
    from week5.models import Inception, nin_block as lib_nin_block, vgg_block as lib_vgg
    passes(capsys, checks.check_vgg_block, lib_vgg)
    passes(capsys, checks.check_nin_block, lib_nin_block)
    passes(capsys, checks.check_inception, Inception)


def test_nin_block(capsys):
    passes(capsys, checks.check_nin_block, nin_block)

    def one_1x1(c, k, s, p):
        return seq(nn.Conv2D(c, k, s, p, activation='relu'),
                   nn.Conv2D(c, 1, activation='relu'))

    def ignores_stride(c, k, s, p):
        return nin_block(c, k, 1, p)

    def linear(c, k, s, p):
        return seq(nn.Conv2D(c, k, s, p), nn.Conv2D(c, 1), nn.Conv2D(c, 1))

    def with_pool(c, k, s, p):
        return seq(*nin_block(c, k, s, p)._children.values(), nn.MaxPool2D(1, 1))

    fails(capsys, checks.check_nin_block, one_1x1, '[5, 1]', 'expected [5, 1, 1]')
    fails(capsys, checks.check_nin_block, ignores_stride, 'output shape',
          'expected (2, 8, 7, 7)')
    fails(capsys, checks.check_nin_block, linear, 'no ReLU')
    fails(capsys, checks.check_nin_block, with_pool, 'only convolutions')
    fails(capsys, checks.check_nin_block, lambda c, k, s, p: None, 'returned None')


def test_inception(capsys):
    passes(capsys, checks.check_inception, make_inception())
    fails(capsys, checks.check_inception, make_inception(p3=0), 'differ in height/width',
          'pad the 3x3 conv by 1')
    fails(capsys, checks.check_inception, make_inception(p3=0, p5=0, pool_stride=1),
          'differ in height/width')
    fails(capsys, checks.check_inception, make_inception(k5=3, p5=1), 'one 5x5')
    fails(capsys, checks.check_inception, make_inception(pool_stride=2),
          'differ in height/width (expected [2,-1,8,8], got [2,4,4,4])')
    fails(capsys, checks.check_inception, make_inception(act=None), 'no ReLU')
    fails(capsys, checks.check_inception, make_inception(axis=2), 'on axis 2',
          'channel axis (axis=1)')

    class Stub(nn.Block):
        def __init__(self, c1, c2, c3, c4, **kwargs):
            super().__init__(**kwargs)
            ...

        def forward(self, x):
            ...
    fails(capsys, checks.check_inception, Stub, 'conv kernel sizes []')


def test_lenet_modern(capsys):
    passes(capsys, checks.check_lenet_modern, lenet())
    fails(capsys, checks.check_lenet_modern, lenet(act='sigmoid'), 'sigmoid')
    fails(capsys, checks.check_lenet_modern, lenet(pool=nn.AvgPool2D), 'average-pooling')
    fails(capsys, checks.check_lenet_modern, lenet(hidden=(100, 84)), '61,706')
    fails(capsys, checks.check_lenet_modern, nn.Sequential(), 'no answer yet',
          'modern_net.add')
    fails(capsys, checks.check_lenet_modern,
          seq(*list(lenet()._children.values())[:-1]), 'expected 2 and 3')


def test_alexnet_head(capsys):
    passes(capsys, checks.check_alexnet_head, alexnet_head())
    fails(capsys, checks.check_alexnet_head, alexnet_head(rate=0.3), 'dropout rates')
    fails(capsys, checks.check_alexnet_head, alexnet_head(act='sigmoid'), 'activations')
    fails(capsys, checks.check_alexnet_head,
          seq(nn.Dense(4096, activation='relu'), nn.Dense(4096, activation='relu'),
              nn.Dense(10)), 'dropout rates []')
    fails(capsys, checks.check_alexnet_head, nn.Sequential(), 'no answer yet')


def test_nin_head(capsys):
    passes(capsys, checks.check_nin_head,
           seq(nin_block(10, 3, 1, 1), nn.GlobalAvgPool2D(), nn.Flatten()))
    fails(capsys, checks.check_nin_head,
          seq(nin_block(10, 3, 1, 1), nn.Dense(10)), 'dense layer')
    fails(capsys, checks.check_nin_head, seq(nin_block(10, 3, 1, 1), nn.Flatten()),
          'GlobalAvgPool2D')
    fails(capsys, checks.check_nin_head, seq(nin_block(10, 3, 1, 1), nn.GlobalAvgPool2D()),
          'output shape (2, 10, 1, 1)')
    fails(capsys, checks.check_nin_head,
          seq(nin_block(10, 5, 1, 2), nn.GlobalAvgPool2D(), nn.Flatten()), '[3, 1, 1]')


# ------------------------------------------------- answers as data, verdicts from data

def test_judge_is_a_pure_function_of_the_recorded_answer(capsys):
    """describe_answer runs the code; judge sees only the JSON and gives the same verdict."""
    import json
    for name, answer in [('vgg_block', vgg_block), ('nin_block', nin_block),
                         ('inception', make_inception()), ('vgg_dense_inputs', 25088),
                         ('lenet_conv2_shape', (1, 16, 10, 10))]:
        data = json.loads(json.dumps(checks.describe_answer(name, answer)))
        assert checks.judge(name, data) == CheckResult(name, True), name
    wrong = json.loads(json.dumps(checks.describe_answer('nin_block', lambda *a: seq(nn.Dense(3)))))
    assert wrong['cases'][0]['layers'] == [{'kind': 'dense', 'units': 3, 'act': None}]
    assert not checks.judge('nin_block', wrong).passed
    assert capsys.readouterr().out == ''    # neither step prints


def test_a_network_is_described_by_its_structure():
    data = checks.describe_answer('vgg_block', vgg_block)
    first = data['cases'][0]
    assert first['layers'][0] == {'kind': 'conv', 'channels': 8, 'kernel': [3, 3], 'strides': [1, 1],
                                  'padding': [1, 1], 'act': 'relu'}
    assert first['layers'][-1]['kind'] == 'pool' and first['layers'][-1]['pool_type'] == 'max'
    assert (first['output'], first['params'], first['negative']) == ([2, 8, 8, 8], 880, False)


@pytest.mark.parametrize('data', [None, [], {'value': {'type': 'int', 'repr': '25088'}},
                                  {'cases': []}, {'cases': [{'layers': 'x'}, {}]},
                                  {'layers': [], 'output': 'x'}, {'fail': 'PASSED'}])
def test_forged_or_malformed_records_fail_and_never_raise(data):
    for name in ('vgg_dense_inputs', 'vgg_block', 'lenet_modern'):
        result = checks.judge(name, data)
        assert not result.passed, (name, data)


def test_values_keep_their_type_through_the_record():
    assert checks.judge('lenet_conv2_shape', checks.describe_answer('lenet_conv2_shape', [1, 16, 10, 10])).passed
    assert checks.judge('channels_first', {'value': {'tuple': [32, 28, 28, 1]}}).reason.startswith(
        'that is the Keras')
    assert checks.judge('matmul_flops', checks.describe_answer('matmul_flops', ...)).reason.startswith(
        'no answer yet')
    assert checks.judge('matmul_flops', checks.describe_answer('matmul_flops', True)).reason == \
        'expected a whole number (the number of floating-point operations), got True'
    assert 'got dict' in checks.judge('matmul_flops', checks.describe_answer('matmul_flops', {})).reason
    with pytest.raises(ValueError, match="unknown check 'nope'"):
        checks.judge('nope', {})


def test_under_the_grader_a_check_prints_its_answer_not_a_verdict(capsys, monkeypatch):
    monkeypatch.setenv(checks.ANSWER_ENV, '1')
    assert checks.check_vgg_dense_inputs(25088) is None
    out = capsys.readouterr().out
    assert VERDICT_RE.search(out) is None
    assert checks.parse_answers(out) == [('vgg_dense_inputs', {'value': 25088})]
    assert checks.parse_answers('[week5 answer] {not json}\n[week5 answer] {"x": 1}') == []
