"""What the lecture tells, the notebook shows (issue 25): augmentation gallery, class
activation maps, receptive fields, memory table, branch use."""
import numpy as np
import pytest

from support import agg_pyplot

plt = agg_pyplot()            # the Agg backend, chosen before pyplot is imported
from week5 import png, viz  # noqa: E402
from week5.data import FashionMNIST  # noqa: E402

pytestmark = pytest.mark.usefixtures('close_figures')


# ------------------------------------------------------------------- augmentation gallery
@pytest.fixture(scope='module')
def augmented():
    return FashionMNIST(batch_size=8, num_train=40, num_val=8, augment=True, progress=False)


def test_gallery_draws_from_the_training_pipeline(augmented, monkeypatch):
    calls = []
    train_transform = augmented.get_dataloader(True).transforms[0]
    real = type(train_transform).to_numpy

    def spy(self, images, rng=None, out=None):
        calls.append((self, rng is not None))
        return real(self, images, rng, out)
    monkeypatch.setattr(type(train_transform), 'to_numpy', spy)
    fig = viz.show_augmentations(augmented, index=3, num=16)
    assert (train_transform, True) in calls          # the training batches' own transform
    assert png.min_text_px(fig, dpi=100) >= 17.5


def test_copies_are_flips_and_crops_of_the_image(augmented):
    original, copies = augmented.augmented_copies(index=3, num=16, seed=1)
    assert copies.shape == (16, 1, 28, 28)
    image, pad = original[0], 2
    padded = [np.pad(im, pad) for im in (image, image[:, ::-1])]
    for copy in copies[:, 0]:
        assert any(np.array_equal(copy, p[dy:dy + 28, dx:dx + 28]) for p in padded
                   for dy in range(2 * pad + 1) for dx in range(2 * pad + 1))
    assert len({c.tobytes() for c in copies}) > 4          # not one copy repeated


def test_gallery_needs_an_augmenting_data_module():
    plain = FashionMNIST(batch_size=8, num_train=20, num_val=8, progress=False)
    with pytest.raises(ValueError, match='augment=True'):
        plain.augmented_copies()


# ------------------------------------------------------------------ class activation maps
def _gap_input(model, X):
    """What the net's global average pooling receives (captured by a hook)."""
    import mxnet as mx
    from mxnet.gluon import nn
    from week5.summary import iter_layers
    [gap] = [b for _, b, _ in iter_layers(model.net) if isinstance(b, nn.GlobalAvgPool2D)]
    seen = []
    handle = gap.register_forward_pre_hook(lambda block, args: seen.append(args[0].asnumpy()))
    with mx.autograd.predict_mode():
        logits = model.net(mx.np.array(X)).asnumpy()
    handle.detach()
    return seen[0], logits


@pytest.fixture(scope='module')
def gap_nets():
    from mxnet import npx
    from week5.core import set_seed
    from week5.models import get_model
    npx.set_np()
    set_seed(0)          # the weights, whatever ran before (a test below needs them mixed)
    return {'nin': get_model('nin', resize=28, width_divisor=8, kernel_sizes=(3, 5, 3),
                             channels=(96, 256), strides=1, paddings=(0, 'same', 'same'),
                             batch_norm=True),
            'googlenet': get_model('googlenet', resize=48, width_divisor=8, batch_norm=True)}


def test_cam_is_the_heads_weighted_sum_of_the_last_feature_maps(gap_nets):
    from week5 import inside
    model = gap_nets['googlenet']
    X = np.random.default_rng(0).random((2, 1, 48, 48)).astype(np.float32)
    features, logits = _gap_input(model, X)
    dense = model.net[-1]
    W, b = dense.weight.data().asnumpy(), dense.bias.data().asnumpy()
    expected = (W[None, :, :, None, None] * features[:, None]).sum(axis=2) + b[None, :, None, None]
    maps = inside.class_activation_maps(model, X)
    assert maps.shape == (2, 10) + features.shape[2:]
    assert np.allclose(maps, expected, atol=1e-4)
    assert np.allclose(maps.mean(axis=(2, 3)), logits, atol=1e-4)      # GAP of the map = score


def test_nin_cam_is_its_class_block_and_localises_at_5x5(gap_nets):
    from week5 import inside
    model = gap_nets['nin']
    X = np.random.default_rng(1).random((2, 1, 28, 28)).astype(np.float32)
    features, logits = _gap_input(model, X)
    maps = inside.class_activation_maps(model, X)
    assert maps.shape == (2, 10, 5, 5)
    assert np.allclose(maps, features) and np.allclose(maps.mean(axis=(2, 3)), logits, atol=1e-5)


def test_cam_needs_a_gap_head():
    from week5 import inside
    from week5.models import get_model
    with pytest.raises(ValueError, match='no global average pooling'):
        inside.class_activation_maps(get_model('lenet'), np.zeros((1, 1, 28, 28), np.float32))


def test_localising_nin_keeps_5x5_class_maps():
    from week5 import profiles
    from week5.chapters import nin
    for name in ('quick', 'laptop'):
        chapter = profiles.get_profile(name).recipe('nin')
        recipe = nin.localising_nin(chapter)
        assert dict(recipe.config.shapes())['block3'][1:] == (5, 5)
        assert recipe.num_train <= min(chapter.num_train or 60000, nin.CAM_BUDGET['num_train'])


def test_cam_picture_names_the_classes(gap_nets):
    from week5.data import TEXT_LABELS
    X = np.random.default_rng(2).random((4, 1, 28, 28)).astype(np.float32)
    fig = viz.plot_class_activation_maps(gap_nets['nin'], X, [0, 1, 2, 3], TEXT_LABELS)
    titles = [ax.get_title() for ax in fig.axes]
    assert 'true\ntrouser' in titles and sum(t.startswith('predicted\n') for t in titles) == 4
    assert png.min_text_px(fig, dpi=100) >= 17.5


# ------------------------------------------------------------------ receptive fields
@pytest.mark.parametrize('n', [1, 2, 3])
def test_receptive_field_of_stacked_3x3_convs_is_found_by_the_gradient(n):
    from week5.chapters import vgg
    image = np.random.default_rng(0).random((1, 20, 20)).astype(np.float32)
    grad, side = vgg.receptive_field(image, n, at=(9, 11))
    assert side == 2 * n + 1
    expected = np.zeros((20, 20), bool)
    expected[9 - n:9 + n + 1, 11 - n:11 + n + 1] = True
    assert np.array_equal(grad > 0, expected)
    assert grad[9, 11] == grad.max()                    # the centre is counted most often


def test_receptive_field_picture():
    from week5.chapters import vgg
    image = np.random.default_rng(0).random((1, 32, 32)).astype(np.float32)
    fig = vgg.plot_receptive_fields(image)
    titles = [ax.get_title(loc='left') for ax in fig.axes]
    assert titles == ['1 conv 3×3: sees 3×3', '2 convs 3×3: sees 5×5', '3 convs 3×3: sees 7×7']
    assert png.min_text_px(fig, dpi=100) >= 17.5


# ------------------------------------------------------------------ memory table
@pytest.mark.parametrize('name', ['lenet', 'alexnet'])
def test_memory_rows_match_the_summary(name):
    from week5 import profiles, summary
    recipe = profiles.get_profile('laptop').recipe(name)
    model = recipe.model()
    measured = summary.layer_summary(model, (1,) + recipe.config.input_shape)
    rows = summary.memory_rows(recipe.config)
    assert [r.params for r in rows] == [r.params for r in measured]
    assert [r.param_bytes for r in rows] == [4 * r.params for r in measured]
    assert [r.activation_bytes for r in rows] == [4 * int(np.prod(r.output_shape))
                                                  for r in measured]


@pytest.mark.parametrize('name', ['vgg', 'nin', 'googlenet'])
def test_memory_totals_match_the_summary_of_nested_networks(name):
    from week5 import profiles, summary
    recipe = profiles.get_profile('laptop').recipe(name)
    measured = summary.layer_summary(recipe.model(), (1,) + recipe.config.input_shape)
    rows = summary.memory_rows(recipe.config)
    assert sum(r.params for r in rows) == sum(r.params for r in measured)
    assert rows[-1].activation_bytes == 4 * int(np.prod(measured[-1].output_shape))


def test_memory_table_prints_both_sizes_and_the_batch_totals():
    from week5 import profiles, summary
    lines = []
    rows = summary.memory_table({'book 224x224': profiles.book('alexnet').config,
                                 'laptop': profiles.get_profile('laptop').recipe('alexnet').config},
                                batch_size=128, print_fn=lines.append)
    book = rows['book 224x224']
    assert book[0].activation_bytes == 96 * 54 * 54 * 4                 # conv1 at 224
    assert max(book, key=lambda r: r.param_bytes).name == 'dense1'
    text = '\n'.join(lines)
    assert 'for a batch of 128' in text and 'laptop:' in text
    total = summary.count_params(profiles.book('alexnet').model().net)
    assert sum(r.params for r in book) == total


# ------------------------------------------------------------------ branch use
class _OwnPredictions:
    """Validation batches labelled with the network's own predictions (accuracy 1.0
    for the intact network)."""

    def __init__(self, model, n=64, size=48):
        import mxnet as mx
        X = mx.np.array(np.random.default_rng(0).random((n, 1, size, size)).astype(np.float32))
        with mx.autograd.predict_mode():
            y = model.net(X).argmax(axis=1).astype('int32')
        self.batches = [(X[i:i + 32], y[i:i + 32]) for i in range(0, n, 32)]

    def val_dataloader(self):
        return iter(self.batches)


def test_branch_use_zeroes_each_branch_and_restores_it(gap_nets):
    import mxnet as mx
    from week5.chapters import googlenet
    model = gap_nets['googlenet']
    data = _OwnPredictions(model)
    before = [p.data().asnumpy().copy() for p in model.net.collect_params().values()]
    rows, intact, used = googlenet.branch_use(model, data, blocks=(0, 'b5.inception2'),
                                             num_images=64)
    assert intact == 1.0 and used == 64
    assert [r[0] for r in rows] == ['b3.inception1'] * 4 + ['b5.inception2'] * 4
    assert sum(r[3] for r in rows[:4]) == pytest.approx(1.0)
    assert all(0 <= r[4] <= 1 for r in rows) and min(r[4] for r in rows) < 1.0
    after = [p.data().asnumpy() for p in model.net.collect_params().values()]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    _, _, blk = googlenet._find_inception(model, 0)
    params = googlenet._branch_scale(blk, ('b3_1', 'b3_2'))
    X = mx.np.array(np.random.default_rng(1).random((2, 24, 12, 12)).astype(np.float32))
    kept = [p.data().copy() for p in params]
    for p in params:
        p.set_data(p.data() * 0)
    with mx.autograd.predict_mode():
        assert float(abs(blk.b3_2(blk.b3_1(X))).max().item()) == 0.0
    for p, v in zip(params, kept):
        p.set_data(v)
