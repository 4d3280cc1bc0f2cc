"""week5.models: registry, configs and validation, documented shapes vs MXNet, parameter
counts against hand computation, knobs, book-compatible signatures."""
import dataclasses
import re

import pytest
from mxnet import np, npx
from mxnet.gluon import nn

import week5.models as models
from week5.core import Classifier
from week5.models import (GOOGLENET_STAGES, MODELS, AlexNet, AlexNetConfig, Fix, GoogLeNet,
                          GoogLeNetConfig, GoogleNet, Inception, LeNet, LeNetConfig, NiN, NiNConfig,
                          ShapeError, VGG, VGGConfig, get_config, get_model, list_models, nin_block,
                          vgg_block)
from week5.models.blocks import Stage, build
from week5.summary import count_params

npx.set_np()

# Small but structurally faithful variants, for forward passes in milliseconds.
SMALL = {
    'lenet': dict(width_divisor=2),
    'alexnet': dict(resize=64, width_divisor=16, kernel_sizes=(5, 5, 3, 3, 3),
                    strides=(2, 1, 1, 1, 1)),
    'vgg': dict(resize=32, width_divisor=16),
    'nin': dict(resize=64, width_divisor=16, kernel_sizes=(5, 5, 3, 3), strides=(2, 1, 1, 1)),
    'googlenet': dict(resize=32, width_divisor=16),
}


def forward_shapes(block, specs, X, prefix=''):
    """Run X through the Gluon children one by one, recursing into stages; return
    (name, output shape without batch) in the shape walker's order."""
    children = list(block)
    assert len(children) == len(specs)
    rows = []
    for spec, child in zip(specs, children):
        name = f'{prefix}.{spec.name}' if prefix else spec.name
        if isinstance(spec, Stage):
            rows += forward_shapes(child, spec.layers, X, name)
        X = child(X)
        rows.append((name, tuple(X.shape[1:])))
    return rows


# ---------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------
def test_registry_lists_the_five_networks_in_lecture_order():
    assert list_models() == ['lenet', 'alexnet', 'vgg', 'nin', 'googlenet']
    assert MODELS == {'lenet': LeNet, 'alexnet': AlexNet, 'vgg': VGG, 'nin': NiN,
                      'googlenet': GoogLeNet}


@pytest.mark.parametrize('name', list(MODELS))
def test_get_model_returns_a_classifier_with_its_config(name):
    model = get_model(name, **SMALL[name])
    assert isinstance(model, Classifier) and isinstance(model, MODELS[name])
    assert isinstance(model.config, MODELS[name].config_class)
    for key, value in SMALL[name].items():
        assert getattr(model.config, key) == value
    assert isinstance(model.net, nn.HybridSequential)


def test_get_model_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown model 'resnet' — choose one of 'lenet', "
                                         "'alexnet', 'vgg', 'nin', 'googlenet'"):
        get_model('resnet')


def test_unknown_override_lists_valid_knobs_and_suggests_the_closest():
    with pytest.raises(ValueError) as err:
        get_model('lenet', kernel_size=3)
    msg = str(err.value)
    assert "unknown option 'kernel_size' for lenet (did you mean 'kernel_sizes'?)" in msg
    assert 'valid options: in_channels, num_classes, resize' in msg and 'lr' in msg
    with pytest.raises(ValueError, match="unknown option 'colour' for vgg — valid options"):
        get_config('vgg', colour='red')
    with pytest.raises(ValueError, match="unknown option 'depth' for alexnet"):
        AlexNet(depth=3)


def test_get_model_lr_default_and_override():
    assert get_model('lenet').lr == 0.1
    assert get_model('lenet', lr=0.9).lr == 0.9
    assert get_model('lenet', lr=0.9).config == LeNetConfig()


# ---------------------------------------------------------------------------------------
# documented shapes (the comments in the model files) and the walker vs MXNet
# ---------------------------------------------------------------------------------------
DOCUMENTED = {
    'lenet': [('conv1', (6, 28, 28)), ('pool1', (6, 14, 14)), ('conv2', (16, 10, 10)),
              ('pool2', (16, 5, 5)), ('dense1', (120,)), ('dense2', (84,)),
              ('dense3', (10,))],
    'alexnet': [('conv1', (96, 54, 54)), ('pool1', (96, 26, 26)), ('conv2', (256, 26, 26)),
                ('pool2', (256, 12, 12)), ('conv3', (384, 12, 12)), ('conv4', (384, 12, 12)),
                ('conv5', (256, 12, 12)), ('pool3', (256, 5, 5)), ('dense1', (4096,)),
                ('dropout1', (4096,)), ('dense2', (4096,)), ('dropout2', (4096,)),
                ('dense3', (10,))],
    'vgg': [('block1', (64, 112, 112)), ('block2', (128, 56, 56)), ('block3', (256, 28, 28)),
            ('block4', (512, 14, 14)), ('block5', (512, 7, 7)), ('dense1', (4096,)),
            ('dropout1', (4096,)), ('dense2', (4096,)), ('dropout2', (4096,)),
            ('dense3', (10,))],
    'nin': [('block1', (96, 54, 54)), ('pool1', (96, 26, 26)), ('block2', (256, 26, 26)),
            ('pool2', (256, 12, 12)), ('block3', (384, 12, 12)), ('pool3', (384, 5, 5)),
            ('dropout', (384, 5, 5)), ('block4', (10, 5, 5)), ('global_pool', (10, 1, 1)),
            ('flatten', (10,))],
    'googlenet': [('b1', (64, 24, 24)), ('b2', (192, 12, 12)), ('b3', (480, 6, 6)),
                  ('b4', (832, 3, 3)), ('b5', (1024, 1, 1)), ('dense', (10,))],
}


@pytest.mark.parametrize('name', list(MODELS))
def test_documented_top_level_shapes_of_the_default_configs(name):
    config = MODELS[name].config_class()
    top = [(n, s) for n, s in config.shapes() if '.' not in n]
    assert top == DOCUMENTED[name]


def test_documented_nested_shapes():
    googlenet = dict(GoogLeNetConfig().shapes())
    assert googlenet['b1.conv'] == (64, 48, 48)
    assert googlenet['b3.inception1'] == (256, 12, 12)
    assert [googlenet[f'b4.inception{i}'][0] for i in range(1, 6)] == [512, 512, 512, 528, 832]
    assert googlenet['b5.inception2'] == (1024, 3, 3)
    vgg = dict(VGGConfig().shapes())
    assert vgg['block3.conv2'] == (256, 56, 56) and vgg['block3.pool'] == (256, 28, 28)
    assert dict(NiNConfig().shapes())['block1.mlp2'] == (96, 54, 54)


@pytest.mark.parametrize('name', list(MODELS))
@pytest.mark.parametrize('variant', ['default', 'small', 'knobs'])
def test_walker_shapes_equal_mxnet_forward_shapes(name, variant):
    overrides = {'default': {}, 'small': SMALL[name],
                 'knobs': dict(SMALL[name], batch_norm=True, pool='avg', dropout=0.3,
                               activation='tanh')}[variant]
    if variant == 'default' and name == 'vgg':
        overrides = dict(arch=((1, 4), (1, 4), (2, 4), (2, 4), (2, 4)), hidden=(8, 8))
    model = get_model(name, **overrides)
    X = np.random.uniform(size=(2,) + model.config.input_shape)
    assert forward_shapes(model.net, model.config.layers(), X) == model.config.shapes()
    assert model(X).shape == (2, model.config.num_classes)


def test_hybridized_networks_give_the_same_outputs():
    for name in MODELS:
        model = get_model(name, **SMALL[name])
        X = np.random.uniform(size=(2,) + model.config.input_shape)
        before = model.net(X).asnumpy()
        model.net.hybridize()
        assert abs(model.net(X).asnumpy() - before).max() < 1e-5, name


def test_non_square_resize():
    config = LeNetConfig(resize=(28, 36))
    assert config.input_shape == (1, 28, 36)
    assert dict(config.shapes())['pool2'] == (16, 5, 7)
    model = LeNet(config=config)
    assert forward_shapes(model.net, config.layers(),
                          np.zeros((1, 1, 28, 36))) == config.shapes()


# ---------------------------------------------------------------------------------------
# parameter counts against hand computation
# ---------------------------------------------------------------------------------------
def conv(c_in, c_out, k):
    return c_out * c_in * k * k + c_out


def dense(n_in, n_out):
    return n_in * n_out + n_out


def inception(c_in, c1, c2, c3, c4):
    return (conv(c_in, c1, 1) + conv(c_in, c2[0], 1) + conv(c2[0], c2[1], 3)
            + conv(c_in, c3[0], 1) + conv(c3[0], c3[1], 5) + conv(c_in, c4, 1))


def uninitialized(config):
    """The network of a config without allocating its weights: the builder knows every
    parameter's shape (the big default nets would take seconds to initialise)."""
    return build(config.layers(), config.input_shape)


def test_lenet_has_61706_parameters():
    assert count_params(LeNet().net) == 61706
    assert (conv(1, 6, 5) + conv(6, 16, 5) + dense(400, 120) + dense(120, 84)
            + dense(84, 10)) == 61706


def test_alexnet_parameters():
    expected = (conv(1, 96, 11) + conv(96, 256, 5) + conv(256, 384, 3) + conv(384, 384, 3)
                + conv(384, 256, 3) + dense(256 * 5 * 5, 4096) + dense(4096, 4096)
                + dense(4096, 10))
    assert conv(1, 96, 11) == 11712
    assert expected == 46764746
    assert count_params(uninitialized(AlexNetConfig())) == expected


def test_vgg11_parameters():
    convs = (conv(1, 64, 3) + conv(64, 128, 3) + conv(128, 256, 3) + conv(256, 256, 3)
             + conv(256, 512, 3) + 3 * conv(512, 512, 3))
    expected = convs + dense(512 * 7 * 7, 4096) + dense(4096, 4096) + dense(4096, 10)
    assert expected == 128806154
    assert count_params(uninitialized(VGGConfig())) == expected
    # the book's narrow VGG (a quarter of the channels) at 224
    narrow = uninitialized(VGGConfig(arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))))
    assert count_params(narrow) == (
        conv(1, 16, 3) + conv(16, 32, 3) + conv(32, 64, 3) + conv(64, 64, 3)
        + conv(64, 128, 3) + 3 * conv(128, 128, 3) + dense(128 * 7 * 7, 4096)
        + dense(4096, 4096) + dense(4096, 10))


def test_nin_parameters():
    def block(c_in, c, k):
        return conv(c_in, c, k) + 2 * conv(c, c, 1)
    expected = block(1, 96, 11) + block(96, 256, 5) + block(256, 384, 3) + block(384, 10, 3)
    assert expected == 1992166
    assert count_params(NiN().net) == expected


def test_googlenet_parameters():
    stem = conv(1, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3)
    body, c_in = 0, 192
    for stage in models.GOOGLENET_STAGES:
        for c1, c2, c3, c4 in stage:
            body += inception(c_in, c1, c2, c3, c4)
            c_in = c1 + c2[1] + c3[1] + c4
    assert c_in == 1024
    expected = stem + body + dense(1024, 10)
    assert expected == 5977530
    assert count_params(GoogLeNet().net) == expected


def test_width_divisor_divides_channels_and_hidden_widths():
    model = LeNet(width_divisor=2)
    assert model.config.shapes()[0][1] == (3, 28, 28)
    assert count_params(model.net) == (conv(1, 3, 5) + conv(3, 8, 5) + dense(8 * 25, 60)
                                       + dense(60, 42) + dense(42, 10))


# ---------------------------------------------------------------------------------------
# validation: every message names the layer / field and a fix
# ---------------------------------------------------------------------------------------
def test_kernel_too_large_names_layer_shapes_and_both_fixes():
    with pytest.raises(ShapeError) as err:
        LeNetConfig(kernel_sizes=(5, 15))
    assert str(err.value) == ('conv2: kernel 15 on a 14x14 input — lower kernel_sizes[1] '
                              'to at most 14 or raise resize to at least 32')
    assert err.value.layer == 'conv2'
    # the same advice as fields, for a panel to read without parsing the text
    assert err.value.fixes == (Fix('kernel_sizes[1]', 14, 'max'), Fix('resize', 32, 'min'))
    # the suggested resize is really enough
    LeNetConfig(kernel_sizes=(5, 15), resize=32)


def test_kernel_too_large_deep_in_alexnet():
    with pytest.raises(ValueError) as err:
        AlexNetConfig(resize=64, kernel_sizes=(5, 5, 11, 3, 3), strides=(2, 1, 1, 1, 1),
                      paddings=(0, 'same', 0, 'same', 'same'))
    assert str(err.value) == ('conv3: kernel 11 on a 6x6 input — lower kernel_sizes[2] to '
                              'at most 6 or raise resize to at least 113')
    AlexNetConfig(resize=113, kernel_sizes=(5, 5, 11, 3, 3), strides=(2, 1, 1, 1, 1),
                  paddings=(0, 'same', 0, 'same', 'same'))


def test_pooling_window_too_large():
    with pytest.raises(ShapeError, match=r'^block5\.pool: pooling window 2 on a 1x1 input — '
                                         r'raise resize to at least 32$'):
        VGGConfig(resize=28)
    with pytest.raises(ShapeError, match=r'^pool3: pooling window 3 on a 2x2 input — lower '
                                         r'pool_size to at most 2 or raise resize to at least '
                                         r'67$'):
        AlexNetConfig(resize=64)


def test_padding_is_named_in_the_shape_message():
    with pytest.raises(ShapeError, match=r'conv2: kernel 9 on a 2x2 input \(padding 1\) — '
                                         r'lower kernel_sizes\[1\] to at most 4'):
        LeNetConfig(resize=4, kernel_sizes=(3, 9), paddings=(1, 1))


def test_no_resize_hint_when_no_size_fits():
    # the 1x1 conv maps of a 1x1 kernel never shrink, but a 2049-wide kernel never fits
    with pytest.raises(ShapeError) as err:
        LeNetConfig(kernel_sizes=(5, 4000))
    assert 'raise resize' not in str(err.value)
    assert 'lower kernel_sizes[1] to at most 14' in str(err.value)


@pytest.mark.parametrize('cls, overrides, message', [
    (LeNetConfig, dict(channels=(6, 0)), "channels[1]: 0 channels — channel counts must be "
                                         "positive ints"),
    (LeNetConfig, dict(hidden=(120, -4)), 'hidden[1]: -4 channels'),
    (VGGConfig, dict(arch=((1, 64), (1, 0))), 'arch[1] channels: 0 channels'),
    (GoogLeNetConfig, dict(stem_channels=(64, 0, 192)), 'stem_channels[1]: 0 channels'),
    (GoogLeNetConfig, dict(stages=(((0, (96, 128), (16, 32), 32),),) + GOOGLENET_STAGES[1:]),
     'stages[0][0] c1: 0 channels'),
    (GoogLeNetConfig, dict(stages=((), (), ())), 'stages[0] must be a non-empty tuple of '
                                                 'Inception blocks, got ()'),
    (LeNetConfig, dict(channels=6), 'channels must be a tuple (default (6, 16)), got 6'),
    (NiNConfig, dict(channels=(96, 2.5, 384)), 'channels[1]: 2.5 channels'),
    (LeNetConfig, dict(width_divisor=8), 'width_divisor=8 leaves channels[0] (6 channels) '
                                         'with none — use width_divisor at most 6'),
    (GoogLeNetConfig, dict(width_divisor=32), 'width_divisor=32 leaves stages[0][0] c3[0] '
                                              '(16 channels) with none — use width_divisor '
                                              'at most 16'),
    (LeNetConfig, dict(width_divisor=0), 'width_divisor must be a positive int, got 0'),
    (LeNetConfig, dict(dropout=1.0), 'dropout must be a number in [0, 1), got 1.0 — 0 turns '
                                     'dropout off, 0.5 is the usual value'),
    (AlexNetConfig, dict(dropout=-0.1), 'dropout must be a number in [0, 1), got -0.1'),
    (AlexNetConfig, dict(dropout='0.5'), "dropout must be a number in [0, 1), got '0.5'"),
    (LeNetConfig, dict(activation='gelu'), "activation 'gelu' is not supported — choose one "
                                           "of 'relu', 'sigmoid', 'tanh'"),
    (NiNConfig, dict(pool='min'), "pool 'min' is not supported — choose one of 'max', 'avg'"),
    (LeNetConfig, dict(kernel_sizes=(5, 5, 5)), 'kernel_sizes has 3 entries but LeNet has 2 '
                                                'conv layers — give 2 values or a single int'),
    (VGGConfig, dict(kernel_sizes=(3, 3)), 'kernel_sizes has 2 entries but VGG has 5 blocks '
                                           'in arch'),
    (AlexNetConfig, dict(strides=(4, 1)), 'strides has 2 entries but AlexNet has 5 conv'),
    (NiNConfig, dict(paddings=(0,) * 5), 'paddings has 5 entries but NiN has 4 NiN blocks'),
    (LeNetConfig, dict(kernel_sizes=(0, 5)), 'kernel_sizes[0] must be a positive int, got 0'),
    (AlexNetConfig, dict(strides=(0, 1, 1, 1, 1)), 'strides[0] must be a positive int, got 0'),
    (AlexNetConfig, dict(paddings=(-1, 2, 1, 1, 1)),
     "paddings[0] must be a non-negative int or 'same', got -1"),
    (LeNetConfig, dict(pool_size=0), 'pool_size must be a positive int, got 0'),
    (AlexNetConfig, dict(pool_strides=0), 'pool_strides must be a positive int, got 0'),
    (NiNConfig, dict(pool_size=2.5), 'pool_size must be a positive int, got 2.5'),
    (LeNetConfig, dict(kernel_sizes=3.5), 'kernel_sizes must be an int or a tuple of 2 '
                                          'values, got 3.5'),
    (VGGConfig, dict(arch=(64, 128)), 'arch[0] must be (num_convs, channels) with num_convs'),
    (LeNetConfig, dict(resize=0), 'resize must be a positive int (the side of the square '
                                  'input) or a (height, width) pair, got 0'),
    (LeNetConfig, dict(resize=(28,)), 'resize must be a positive int'),
    (LeNetConfig, dict(in_channels=0), 'in_channels must be a positive int, got 0'),
    (LeNetConfig, dict(num_classes=1.5), 'num_classes must be a positive int, got 1.5'),
    (LeNetConfig, dict(batch_norm='yes'), "batch_norm must be True or False, got 'yes'"),
    (LeNetConfig, dict(channels=(6, 16, 32)), 'channels must give the 2 conv widths'),
    (AlexNetConfig, dict(channels=(96,)), 'channels must give the 5 conv widths'),
    (VGGConfig, dict(arch=()), 'arch is empty — give at least one (num_convs, channels)'),
    (VGGConfig, dict(arch=((0, 64),)), 'arch[0] must be (num_convs, channels) with num_convs '
                                       '>= 1, got (0, 64)'),
    (NiNConfig, dict(channels=()), 'channels is empty — give the widths of the NiN blocks'),
    (GoogLeNetConfig, dict(stem_channels=(64, 192)), 'stem_channels must give the 3 stem'),
    (GoogLeNetConfig, dict(stages=((),)), 'stages must give the Inception blocks of b3, b4 '
                                          'and b5 (3 tuples), got 1'),
    (GoogLeNetConfig, dict(stages=(((64, 96, (16, 32), 32),),) + GOOGLENET_STAGES[1:]),
     'stages[0][0] must be (c1, (c2_reduce, c2), (c3_reduce, c3), c4), got'),
])
def test_invalid_configs_raise_named_errors(cls, overrides, message):
    with pytest.raises(ValueError) as err:
        cls(**overrides)
    assert message in str(err.value)


def test_validation_runs_before_any_network_is_built(monkeypatch):
    from week5.models import blocks

    def no_build(*args, **kwargs):
        raise AssertionError('built a network for an invalid config')
    monkeypatch.setattr(blocks, 'build', no_build)
    with pytest.raises(ShapeError):
        get_model('vgg', resize=16)
    with pytest.raises(ValueError, match='dropout'):
        get_model('alexnet', dropout=2)


def test_replace_validates_and_leaves_the_original_alone():
    base = AlexNetConfig()
    relu_avg = dataclasses.replace(base, pool='avg')
    assert relu_avg.pool == 'avg' and base.pool == 'max'
    with pytest.raises(ShapeError):
        dataclasses.replace(base, resize=32)
    with pytest.raises(ValueError, match="unknown option 'kernel' for alexnet"):
        base.replace(kernel=3)
    assert base.replace(dropout=0.1).dropout == 0.1


def test_wrong_config_type_is_a_type_error():
    with pytest.raises(TypeError, match='config must be a LeNetConfig, got AlexNetConfig'):
        LeNet(config=AlexNetConfig())


# ---------------------------------------------------------------------------------------
# knobs change the network
# ---------------------------------------------------------------------------------------
def layers_of(block, kind):
    found = []
    for child in block._children.values():
        if isinstance(child, kind):
            found.append(child)
        found += layers_of(child, kind)
    return found


def test_activation_pool_dropout_and_batch_norm_knobs():
    book = LeNet()
    assert [c.act._act_type for c in layers_of(book.net, nn.Conv2D)] == ['sigmoid'] * 2
    assert len(layers_of(book.net, nn.AvgPool2D)) == 2 and not layers_of(book.net, nn.Dropout)
    modern = LeNet(activation='relu', pool='max', dropout=0.25)
    assert [c.act._act_type for c in layers_of(modern.net, nn.Conv2D)] == ['relu'] * 2
    assert len(layers_of(modern.net, nn.MaxPool2D)) == 2
    assert [d._rate for d in layers_of(modern.net, nn.Dropout)] == [0.25, 0.25]
    bn = LeNet(batch_norm=True)
    assert len(layers_of(bn.net, nn.BatchNorm)) == 4           # 2 convs + 2 hidden dense
    assert [a._act_type for a in layers_of(bn.net, nn.Activation)] == ['sigmoid'] * 4
    assert not layers_of(AlexNet(dropout=0.0, **SMALL['alexnet']).net, nn.Dropout)
    assert len(layers_of(NiN(**SMALL['nin']).net, nn.Dropout)) == 1
    assert len(layers_of(GoogLeNet(dropout=0.4, **SMALL['googlenet']).net, nn.Dropout)) == 1
    gn = GoogLeNet(pool='avg', activation='tanh', **SMALL['googlenet'])
    assert not layers_of(gn.net, nn.MaxPool2D)
    assert {c.act._act_type for c in layers_of(gn.net, nn.Conv2D)} == {'tanh'}


def test_kernel_size_knobs_shape_the_weights():
    model = AlexNet(**dict(SMALL['alexnet'], kernel_sizes=(7, 5, 3, 3, 3)))
    convs = layers_of(model.net, nn.Conv2D)
    assert [c.weight.shape[-1] for c in convs] == [7, 5, 3, 3, 3]
    vgg = VGG(**dict(SMALL['vgg'], kernel_sizes=5))
    assert {c.weight.shape[-1] for c in layers_of(vgg.net, nn.Conv2D)} == {5}
    gn = GoogLeNet(**dict(SMALL['googlenet'], kernel_sizes=(5, 3)))
    assert layers_of(gn.net, nn.Conv2D)[0].weight.shape == (4, 1, 5, 5)


def test_parameters_exist_before_the_first_batch():
    # built with input sizes from the shape walker: no deferred initialisation
    model = get_model('alexnet', **SMALL['alexnet'])
    assert model.net[0].weight.data().shape == (6, 1, 5, 5)
    assert model.net[-1].weight.shape == (10, 4096 // 16)


# ---------------------------------------------------------------------------------------
# the book's signatures and blocks
# ---------------------------------------------------------------------------------------
def test_book_signatures():
    assert LeNet(lr=0.1).lr == 0.1
    vgg = VGG(arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128)), lr=0.01)
    assert vgg.config.arch[0] == (1, 16) and vgg.lr == 0.01
    assert GoogleNet is GoogLeNet
    assert LeNet(num_classes=5).config.num_classes == 5
    assert LeNet(config=LeNetConfig(num_classes=3)).config.num_classes == 3


def test_book_blocks():
    blk = vgg_block(2, 16)
    blk.initialize()
    assert blk(np.zeros((1, 3, 32, 32))).shape == (1, 16, 16, 16)
    assert len(layers_of(blk, nn.Conv2D)) == 2
    blk = nin_block(96, kernel_size=11, strides=4, padding=0)
    blk.initialize()
    assert blk(np.zeros((1, 1, 224, 224))).shape == (1, 96, 54, 54)
    blk = Inception(64, (96, 128), (16, 32), 32)
    blk.initialize()
    assert blk(np.zeros((1, 192, 12, 12))).shape == (1, 256, 12, 12)
    blk.hybridize()
    assert blk(np.zeros((1, 192, 12, 12))).shape == (1, 256, 12, 12)


def test_layer_summary_keeps_the_books_printout(capsys):
    LeNet().layer_summary((1, 1, 28, 28))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'Conv2D output shape:\t (1, 6, 28, 28)'
    assert lines[-1] == 'Dense output shape:\t (1, 10)'


def test_save_and_load_keep_the_config(tmp_path):
    model = get_model('vgg', lr=0.05, **SMALL['vgg'])
    model.save(tmp_path / 'vgg')
    loaded = VGG.load(tmp_path / 'vgg')
    assert loaded.config == model.config and loaded.lr == 0.05
    X = np.random.uniform(size=(2,) + model.config.input_shape)
    assert abs(loaded(X).asnumpy() - model(X).asnumpy()).max() < 1e-6


def test_model_shapes_and_input_shape():
    model = get_model('googlenet', **SMALL['googlenet'])
    assert model.input_shape == (1, 1, 32, 32)
    assert model.shapes() == model.config.shapes()
    assert re.fullmatch(r'b\d(\.\w+)?|dense', model.shapes()[-1][0])


# ---------------------------------------------------------------------------------------
# training knobs: optimizer and initialisation
# ---------------------------------------------------------------------------------------
def test_optimizer_knobs():
    book = get_model('lenet').configure_optimizers()
    assert book._optimizer.momentum == 0 and book._optimizer.wd == 0
    paper = get_model('alexnet', lr=0.01, momentum=0.9, weight_decay=5e-4,
                      **SMALL['alexnet']).configure_optimizers()
    assert (paper.learning_rate, paper._optimizer.momentum, paper._optimizer.wd) == \
        (0.01, 0.9, 5e-4)


def test_kaiming_init_scales_weights_by_fan_in():
    import numpy as onp
    model = get_model('vgg', init='kaiming', **dict(SMALL['vgg'], width_divisor=1))
    w = model.net[1][0].weight.data().asnumpy()          # block2.conv1: 64 x 3 x 3 inputs
    assert abs(w.std() - (2 / (64 * 9)) ** 0.5) < 0.1 * (2 / (64 * 9)) ** 0.5
    xavier = get_model('vgg', **dict(SMALL['vgg'], width_divisor=1))
    w = xavier.net[1][0].weight.data().asnumpy()         # uniform, variance 2 / (fan_in + fan_out)
    assert abs(w.std() - (2 / (64 * 9 + 128 * 9)) ** 0.5) < 0.1 * (2 / (64 * 9 + 128 * 9)) ** 0.5
    assert onp.abs(w).max() <= (6 / (64 * 9 + 128 * 9)) ** 0.5 + 1e-6


@pytest.mark.parametrize('kwargs, message', [
    (dict(init='he'), "init 'he' is not supported — choose one of 'xavier', 'kaiming'"),
    (dict(momentum=1.0), 'momentum must be in [0, 1), e.g. momentum=0.9, got 1.0'),
    (dict(weight_decay=-1), 'weight_decay must be >= 0, e.g. weight_decay=5e-4, got -1'),
    (dict(lr=0), 'lr must be a positive number, e.g. lr=0.1, got 0'),
    (dict(lr='0.1'), "lr must be a positive number, e.g. lr=0.1, got '0.1'"),
])
def test_training_knob_errors(kwargs, message):
    with pytest.raises(ValueError) as err:
        get_model('lenet', **kwargs)
    assert message in str(err.value)


def test_save_and_load_keep_the_training_knobs(tmp_path):
    model = get_model('lenet', lr=0.05, momentum=0.9, init='kaiming', activation='relu')
    model.save(tmp_path / 'lenet')
    loaded = LeNet.load(tmp_path / 'lenet')
    assert (loaded.lr, loaded.momentum, loaded.init, loaded.config.activation) == \
        (0.05, 0.9, 'kaiming', 'relu')
