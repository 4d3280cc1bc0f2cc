"""week5.summary: rows (name, output shape, params, MACs) against hand-computed values,
nested blocks, hybridized nets, totals table and error messages."""
import pytest
from mxnet import init, np, npx
from mxnet.gluon import nn

from week5.models import AlexNet, Inception, LeNet, get_model
from week5.summary import (map_shapes, LayerRow, count_params, format_summary, layer_summary,
                           print_summary)

npx.set_np()


def test_lenet_rows_by_hand():
    rows = layer_summary(LeNet().net, (1, 1, 28, 28))
    assert [r.name for r in rows] == ['Conv2D', 'AvgPool2D', 'Conv2D', 'AvgPool2D', 'Dense',
                                      'Dense', 'Dense']
    assert [r.output_shape for r in rows] == [(1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10),
                                              (1, 16, 5, 5), (1, 120), (1, 84), (1, 10)]
    assert [r.params for r in rows] == [6 * 25 + 6, 0, 16 * 6 * 25 + 16, 0, 400 * 120 + 120,
                                        120 * 84 + 84, 84 * 10 + 10]
    assert sum(r.params for r in rows) == 61706
    # MACs: output elements x (C_in * k * k) for convs, in x out for dense layers
    assert [r.macs for r in rows] == [6 * 28 * 28 * 25, 0, 16 * 10 * 10 * 6 * 25, 0,
                                       400 * 120, 120 * 84, 84 * 10]
    assert [r.path for r in rows] == [str(i) for i in range(7)]
    assert all(isinstance(r, LayerRow) and r.depth == 1 for r in rows)


def test_macs_scale_with_the_batch():
    one = layer_summary(LeNet().net, (1, 1, 28, 28))
    four = layer_summary(LeNet().net, (4, 1, 28, 28))
    assert [4 * r.macs for r in one] == [r.macs for r in four]
    assert four[0].output_shape == (4, 6, 28, 28)


def test_alexnet_by_hand():
    rows = layer_summary(AlexNet(), (1, 1, 224, 224))
    conv1, dense1 = rows[0], rows[8]
    assert conv1.params == 96 * (11 * 11 * 1) + 96 == 11712
    assert conv1.output_shape == (1, 96, 54, 54)
    assert conv1.macs == 96 * 54 * 54 * 11 * 11
    assert rows[2].macs == 256 * 26 * 26 * 96 * 5 * 5
    assert dense1.params == 6400 * 4096 + 4096 and dense1.macs == 6400 * 4096
    assert sum(r.params for r in rows) == 46764746


def test_a_model_gives_its_own_input_shape():
    model = get_model('alexnet', resize=64, width_divisor=16, kernel_sizes=(5, 5, 3, 3, 3),
                      strides=(2, 1, 1, 1, 1))
    rows = layer_summary(model)
    assert rows[0].output_shape == (1, 6, 30, 30)
    assert rows[-1].output_shape == (1, 10)


def test_nested_blocks_are_one_row_at_depth_1_and_expand_at_depth_2():
    model = get_model('googlenet', resize=32, width_divisor=8)
    top = layer_summary(model)
    assert [r.path for r in top] == ['0', '1', '2', '3', '4', '5']
    assert sum(r.params for r in top) == count_params(model.net)
    deep = layer_summary(model, depth=2)
    b3 = [r for r in deep if r.path.startswith('2.')]
    assert [r.name for r in b3] == ['Inception', 'Inception', 'MaxPool2D']
    # a parent's row carries the totals of its children
    parent = next(r for r in deep if r.path == '2')
    assert parent.params == sum(r.params for r in b3)
    assert parent.macs == sum(r.macs for r in b3)
    # one Inception by hand: 192/8 = 24 channels in at 4x4
    c_in, (c1, c2, c3, c4) = 24, (8, (12, 16), (2, 4), 4)
    inc = b3[0]
    assert inc.output_shape == (1, c1 + c2[1] + c3[1] + c4, 4, 4)
    assert inc.params == (c_in * c1 + c1 + c_in * c2[0] + c2[0] + c2[0] * 9 * c2[1] + c2[1]
                          + c_in * c3[0] + c3[0] + c3[0] * 25 * c3[1] + c3[1] + c_in * c4 + c4)
    assert inc.macs == 16 * (c_in * c1 + c_in * c2[0] + c2[0] * 9 * c2[1] + c_in * c3[0]
                              + c3[0] * 25 * c3[1] + c_in * c4)
    # rows are listed in the order of the forward pass, children indented
    table = format_summary(deep)
    assert '  2.0 Inception' in table


def test_inception_alone_and_branches_at_depth_2():
    blk = Inception(4, (2, 3), (1, 2), 5)
    blk.initialize()
    rows = layer_summary(blk, (1, 6, 8, 8))
    assert [r.path for r in rows] == ['b1_1', 'b2_1', 'b2_2', 'b3_1', 'b3_2', 'b4_1', 'b4_2']
    assert rows[2].output_shape == (1, 3, 8, 8) and rows[2].macs == 64 * 2 * 9 * 3


def test_hybridized_net_is_summarised_and_stays_hybridized():
    model = get_model('googlenet', resize=32, width_divisor=16)
    model.net.hybridize()
    X = np.random.uniform(size=(2, 1, 32, 32))
    before = model.net(X).asnumpy()
    rows = layer_summary(model, depth=2)
    assert any(r.name == 'Inception' for r in rows)
    assert model.net._active and model.net[2][0]._active
    assert not model.net[2][0]._forward_hooks and not model.net[2][0]._forward_pre_hooks
    assert abs(model.net(X).asnumpy() - before).max() < 1e-5


def test_deferred_initialisation_and_shared_parameters():
    net = nn.HybridSequential()
    shared = nn.Dense(8)
    net.add(nn.Dense(8), shared, shared)
    net.initialize(init.Xavier())
    rows = layer_summary(net, (2, 5))
    assert [r.params for r in rows] == [5 * 8 + 8, 8 * 8 + 8]      # shared layer: one row
    assert rows[1].macs == 2 * (2 * 8 * 8)                         # ... called twice
    assert count_params(net) == 5 * 8 + 8 + 8 * 8 + 8


def test_batch_norm_running_statistics_are_not_parameters():
    model = get_model('lenet', batch_norm=True)
    rows = layer_summary(model, depth=2)
    bn = [r for r in rows if r.name == 'BatchNorm']
    assert [r.params for r in bn] == [2 * 6, 2 * 16, 2 * 120, 2 * 84]


def test_format_and_print_summary_totals():
    rows = layer_summary(LeNet(), (1, 1, 28, 28))
    table = format_summary(rows, title='LeNet')
    lines = table.splitlines()
    assert lines[0] == 'LeNet'
    assert lines[1].split() == ['Layer', 'Output', 'shape', 'Params', 'MACs']
    assert '0 Conv2D' in lines[3] and '(1, 6, 28, 28)' in lines[3] and '117,600' in lines[3]
    assert 'Total params: 61,706 (61.71 K)' in table
    assert 'Total MACs:   416,520 (416.52 K)' in table
    printed = []
    assert print_summary(LeNet(), (1, 1, 28, 28), print_fn=printed.append) == rows
    assert printed == [format_summary(rows)]


def test_a_single_layer_is_its_own_row():
    layer = nn.Conv2D(4, 3, in_channels=2)
    layer.initialize()
    rows = layer_summary(layer, (1, 2, 5, 5))
    assert len(rows) == 1 and rows[0].params == 4 * 2 * 9 + 4


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(X_shape=None), ValueError, 'X_shape is required for a plain Gluon net'),
    (dict(X_shape=(1, 0, 28)), ValueError, 'X_shape must be a tuple of positive ints'),
    (dict(X_shape='1x28x28'), ValueError, 'X_shape must be a tuple of positive ints'),
    (dict(X_shape=(1, 3, 28, 28)), ValueError, r'the forward pass on an input of shape '
                                               r'\(1, 3, 28, 28\) failed — check X_shape'),
    (dict(X_shape=(1, 1, 28, 28), depth=0), ValueError, 'depth must be an int >= 1, got 0'),
])
def test_summary_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        layer_summary(LeNet().net, **kwargs)


def test_uninitialised_net_and_non_block():
    net = nn.HybridSequential()
    net.add(nn.Dense(3))
    with pytest.raises(ValueError, match=r'parameter \S+ is not initialized — call '
                                         r'net.initialize\(\)'):
        layer_summary(net, (1, 4))
    with pytest.raises(TypeError, match='net must be a Gluon Block or a model with a .net, '
                                        'got list'):
        layer_summary([], (1, 4))
    with pytest.raises(ValueError, match='no rows to format'):
        format_summary([])


def test_map_shapes_follow_the_input_size():
    # the book's AlexNet: 224 -> conv1 (224 - 11) // 4 + 1 = 54 -> ... -> pool3 5x5
    book = map_shapes('alexnet')
    assert book['input'] == '1×224×224'
    assert (book['conv1'], book['conv5'], book['pool3']) == ('96×54×54', '256×12×12', '256×5×5')
    assert 'dense1' not in book                     # a vector, not a feature map
    small = map_shapes(get_model('alexnet', resize=64, kernel_sizes=(5, 5, 3, 3, 3),
                                 strides=(2, 1, 1, 1, 1)))
    assert (small['conv1'], small['conv5']) == ('96×30×30', '256×6×6')
    nested = map_shapes('vgg')                       # stage names: dots become underscores
    assert nested['block5'] == '512×7×7' and nested['block1_conv1'] == '64×224×224'
