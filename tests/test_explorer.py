"""The convolution explorer (issue 25 item 1): its value is the network's own output,
its size rule MXNet's output shape, and settings that do not fit give the reason."""
import os

os.environ.setdefault('MPLBACKEND', 'Agg')
os.environ['WEEK5_HEADLESS'] = '1'

import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from mxnet import npx  # noqa: E402

from week5 import inside, png, viz  # noqa: E402
from week5.lab import ConvolutionExplorer  # noqa: E402
from week5.models import get_model  # noqa: E402

npx.set_np()


def _model(name='lenet', shape=(1, 1, 28, 28), **cfg):
    model = get_model(name, **cfg)
    model.net(mx.np.zeros(shape))
    return model


@pytest.fixture(scope='module')
def lenet():
    return _model()


@pytest.fixture(scope='module')
def images():
    return np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)


@pytest.mark.parametrize('channel,row,col', [(0, 0, 0), (3, 13, 27), (5, 27, 4)])
def test_value_is_the_networks_own_output(lenet, images, channel, row, col):
    own = inside.feature_maps(lenet, images[1], 0)[0]          # conv1 + sigmoid
    step = inside.model_conv_step(lenet, images[1], channel=channel, row=row, col=col)
    assert step['activation'] == 'sigmoid'
    assert step['value'] == pytest.approx(float(own[channel, row, col]), abs=1e-5)


@pytest.mark.parametrize('k,s,p,size', [(5, 2, 0, 28), (3, 3, 1, 28), (5, 1, 0, 20),
                                        (2, 2, 0, 9), (7, 4, 3, 28)])
def test_other_settings_match_mxnet(lenet, images, k, s, p, size):
    conv = inside.first_conv(lenet)[0]
    step = inside.model_conv_step(lenet, images[0], channel=2, kernel_size=k, stride=s,
                                  padding=p, size=size, row=1, col=1)
    top = (28 - size) // 2
    X = mx.np.array(images[:1, :, top:top + size, top:top + size])
    kernels = np.stack([inside._fit_kernel(w, k) for w in conv.weight.data().asnumpy()])
    ref = npx.convolution(X, mx.np.array(kernels), conv.bias.data(), kernel=(k, k),
                          stride=(s, s), pad=(p, p), num_filter=len(kernels))
    assert step['out_size'] == ref.shape[-1] == ref.shape[-2]
    assert step['z'] == pytest.approx(float(ref[0, 2, 1, 1]), abs=1e-4)
    assert np.allclose(step['output'], 1 / (1 + np.exp(-ref[0, 2].asnumpy())), atol=1e-5)


@pytest.mark.parametrize('n,k,s,p', [(28, 5, 1, 2), (28, 11, 4, 0), (13, 3, 2, 1),
                                     (7, 7, 1, 0), (32, 2, 2, 0)])
def test_size_rule_matches_mxnet_shape(n, k, s, p):
    out = npx.convolution(mx.np.zeros((1, 1, n, n)), mx.np.zeros((1, 1, k, k)),
                          mx.np.zeros(1), kernel=(k, k), stride=(s, s), pad=(p, p),
                          num_filter=1)
    assert inside.conv_step(np.zeros((n, n)), np.zeros((k, k)), stride=s,
                            padding=p)['out_size'] == out.shape[-1]
    assert inside.size_rule_text(n, k, s, p) == (
        f'floor(({n} + 2·{p} − {k}) / {s}) + 1 = {out.shape[-1]}')


def test_invalid_settings_are_explained_not_clipped():
    step = inside.conv_step(np.ones((4, 4)), np.ones((7, 7)), padding=1)
    assert step['out_size'] <= 0 and step['value'] is None
    [reason] = step['problems']
    assert 'larger than the padded input' in reason and '4 + 2·1 = 6' in reason
    assert 'padding to at least 2' in reason
    skips = inside.conv_step(np.ones((12, 12)), np.ones((3, 3)), stride=4)['problems']
    assert any('never read' in r and 'stride to at most 3' in r for r in skips)
    drops = inside.conv_step(np.ones((28, 28)), np.ones((5, 5)), stride=2)['problems']
    assert any('not a multiple of the stride 2' in r for r in drops)
    assert inside.conv_step(np.ones((28, 28)), np.ones((5, 5)), padding=2)['problems'] == []
    with pytest.raises(ValueError, match='row and col in 0..2'):
        inside.conv_step(np.ones((7, 7)), np.ones((3, 3)), stride=2, row=3)


def test_pooling_window_size_rule():
    step = inside.conv_step(np.ones((28, 28)), np.ones((5, 5)), padding=2, pool=2)
    assert step['pooled_size'] == 14
    assert step['pool_rule'] == 'floor((28 + 2·0 − 2) / 2) + 1 = 14'


def test_picture_is_slide_sized(lenet, images):
    import matplotlib.pyplot as plt
    fig = viz.plot_conv_step(inside.model_conv_step(lenet, images[0], row=3, col=4))
    texts = ' '.join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, 'get_text')))
    assert 'floor((28 + 2·2 − 5) / 1) + 1 = 28' in texts
    assert png.min_text_px(fig, dpi=100) >= 18 - 0.5
    plt.close(fig)


def test_explorer_panel_follows_its_sliders(lenet, images):
    explorer = ConvolutionExplorer(lenet, images=images)
    assert 'k=5, s=1, p=2' in repr(explorer) and explorer.step['out_size'] == 28
    first = explorer.image.value
    explorer.controls['row'].value = 27
    explorer.controls['stride'].value = 3       # 28 -> 10: the position follows
    assert explorer.step['out_size'] == 10
    assert explorer.controls['row'].max == 9 and explorer.step['row'] == 9
    assert explorer.image.value != first
    explorer.controls['size'].value = 4
    explorer.controls['padding'].value = 0
    assert explorer.step['value'] is None and 'larger than the padded input' in repr(explorer)
    assert explorer.controls['row'].disabled


def test_explorer_starts_in_the_middle_of_the_output(lenet, images):
    explorer = ConvolutionExplorer(lenet, images=images, stride=2, padding=0)   # 12x12
    assert (explorer.step['row'], explorer.step['col']) == (6, 6)
