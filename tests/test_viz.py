"""week5.viz under Agg: assertions on drawn artists and image data, not on pixels."""
import matplotlib
import numpy as np
import pytest

from support import agg_pyplot

plt = agg_pyplot()            # the Agg backend, chosen before pyplot is imported
from week5 import curves, inside, png, viz  # noqa: E402
from week5.chapters import googlenet as ch_googlenet, nin as ch_nin  # noqa: E402

pytestmark = pytest.mark.usefixtures('close_figures')


def _rows(n=3, offset=0.0):
    return [{'epoch': i + 1, 'train_loss': 2.0 - i * 0.5 + offset, 'train_acc': 0.3 + 0.2 * i,
             'val_loss': 2.1 - i * 0.5 + offset, 'val_acc': 0.25 + 0.2 * i}
            for i in range(n)]


class FakeHistory:
    """The shape API.md promises for week5.core.History."""

    def __init__(self, epochs, batches=()):
        self.epochs, self.batches = list(epochs), list(batches)


# ---------------------------------------------------------------------------- curves
def test_plot_history_one_run_two_panels():
    axes = curves.plot_history(_rows())
    assert len(axes) == 2
    loss_ax, acc_ax = axes
    assert [l.get_label() for l in loss_ax.lines] == ['train_loss', 'val_loss']
    assert [l.get_label() for l in acc_ax.lines] == ['train_acc', 'val_acc']
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), [2.0, 1.5, 1.0])
    np.testing.assert_allclose(loss_ax.lines[0].get_xdata(), [1, 2, 3])
    assert loss_ax.lines[1].get_linestyle() == '--'      # validation dashed
    assert loss_ax.get_ylabel() == 'loss' and acc_ax.get_xlabel() == 'epoch'


def test_plot_history_overlays_runs_with_labels_and_colours():
    runs = {'sigmoid': FakeHistory(_rows()), 'relu': FakeHistory(_rows(offset=-0.3))}
    loss_ax, acc_ax = curves.plot_history(runs)
    labels = [l.get_label() for l in loss_ax.lines]
    assert labels == ['sigmoid train_loss', 'sigmoid val_loss',
                      'relu train_loss', 'relu val_loss']
    colours = [l.get_color() for l in loss_ax.lines]
    assert colours[0] == colours[1] != colours[2] == colours[3]
    # one legend for the figure: a colour per run, a line style per split
    (legend,) = loss_ax.figure.legends
    assert [t.get_text() for t in legend.get_texts()] == ['sigmoid', 'relu', 'train',
                                                          'validation']
    assert loss_ax.get_legend() is None and acc_ax.get_legend() is None
    # the old place, inside each panel, on request
    loss_ax, _ = curves.plot_history(runs, legend_loc='upper right')
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == labels


def _three_runs():
    """Three runs as the lab overlays them: a sigmoid plateau, two that learn."""
    def run(seed, plateau=False):
        rng = np.random.default_rng(seed)
        batches = [{'step': (i + 1) / 10,
                    'train_loss': 2.3 if plateau else 0.4 + 2 * np.exp(-(i + 1) / 10) + rng.normal(0, .05),
                    'train_acc': 0.1 if plateau else 0.85 - 0.7 * np.exp(-(i + 1) / 10)}
                   for i in range(60)]
        epochs = [{'epoch': e + 1, 'val_loss': 2.3 if plateau else 0.45 + 2 * np.exp(-(e + 1)),
                   'val_acc': 0.1 if plateau else 0.83 - 0.7 * np.exp(-(e + 1))} for e in range(6)]
        return FakeHistory(epochs, batches)
    return {'#1 sigmoid': run(0, True), '#2 relu, lr 0.1': run(1),
            '#3 relu, lr 0.1, dropout 0.5': run(2)}


def _value_labels(ax):
    return [t for a in ax.artists if isinstance(a, curves.CurveEndLabels) for t in a.texts]


def _extent(artist):
    return artist.get_window_extent(artist.figure.canvas.get_renderer())


def _assert_nothing_covers_the_data(axes, legend):
    fig = axes[0].figure
    fig.canvas.draw()
    box = _extent(legend)
    for a in axes:
        assert not box.overlaps(a.bbox), 'the legend covers a plotting area'
        if not a.lines:
            continue
        texts = [t for t in _value_labels(a) if t.get_visible()]
        assert len(texts) == len(a.lines)       # one final value per curve
        extents = sorted((_extent(t) for t in texts), key=lambda b: b.y0)
        for b in extents:
            assert b.x0 >= a.bbox.x1 - 1, 'a value label lies inside the plotting area'
            assert not b.overlaps(box)
        for lower, upper in zip(extents, extents[1:]):
            assert lower.y1 <= upper.y0 + 0.5, 'two value labels overlap'
    inside = fig.bbox.padded(1)
    for artist in [legend] + [t for a in axes for t in _value_labels(a)]:
        b = _extent(artist)
        assert inside.x0 <= b.x0 and b.x1 <= inside.x1 and inside.y0 <= b.y0 and b.y1 <= inside.y1, \
            f'{artist} is cut off by the figure edge'


def test_legend_and_final_values_never_cover_the_curves():
    axes = curves.plot_history(_three_runs())
    (legend,) = axes[0].figure.legends
    _assert_nothing_covers_the_data(axes, legend)
    loss_ax, acc_ax = axes
    # the value labels say where each curve ends, in its colour
    ends = {(t.get_color(), t.get_text()) for t in _value_labels(acc_ax)}
    last = {(ln.get_color(), f'{ln.get_ydata()[-1]:.2f}') for ln in acc_ax.lines}
    assert ends == last
    bold = [t.get_fontweight() for t in _value_labels(acc_ax)]
    assert bold == ['normal', 'bold'] * 3          # validation values in bold


@pytest.mark.parametrize('layout', ['constrained', 'tight'])
def test_legend_outside_also_on_the_callers_axes(layout):
    """The lab's static picture: curves on the caller's first two panels, filters on a
    third. Constrained layout: one legend above all panels; tight: above the first."""
    fig, axes = plt.subplots(1, 3, figsize=(10, 3), layout=layout)
    curves.plot_history(_three_runs(), ax=axes[:2])
    viz.plot_filters(np.random.randn(6, 1, 5, 5), ax=axes[2], title='conv1 filters (last run)')
    if layout == 'constrained':
        (legend,) = fig.legends
    else:
        legend = axes[0].get_legend()
        fig.tight_layout()
    assert axes[1].get_legend() is None
    _assert_nothing_covers_the_data(list(axes), legend)
    fig.canvas.draw()
    assert not _extent(legend).overlaps(_extent(axes[2].title))
    for a in axes:                     # nothing cut off at the figure's edges
        b = a.get_tightbbox(fig.canvas.get_renderer())
        assert fig.bbox.x0 - 1 <= b.x0 and b.x1 <= fig.bbox.x1 + 1 and b.y1 <= fig.bbox.y1 + 1


def test_plot_history_uses_batch_rows_for_train_curves():
    batches = [{'step': s, 'train_loss': 3 - s, 'train_acc': s / 4} for s in (0.5, 1, 1.5, 2)]
    h = FakeHistory(_rows(2), batches)
    (loss_ax,) = curves.plot_history(h, keys=['train_loss', 'val_loss'])
    np.testing.assert_allclose(loss_ax.lines[0].get_xdata(), [0.5, 1, 1.5, 2])
    np.testing.assert_allclose(loss_ax.lines[1].get_xdata(), [1, 2])
    (loss_ax2,) = curves.plot_history(h, keys=['train_loss'], use_batches=False)
    np.testing.assert_allclose(loss_ax2.lines[0].get_xdata(), [1, 2])


def test_plot_history_accepts_to_dict_columns_and_run_objects():
    cols = {'train_loss': [1.0, 0.5], 'val_acc': [0.5, 0.7]}
    loss_ax, acc_ax = curves.plot_history(cols, keys=['train_loss', 'val_acc'])
    np.testing.assert_allclose(acc_ax.lines[0].get_ydata(), [0.5, 0.7])
    as_dict = {'epochs': _rows(2), 'batches': []}

    class Run:
        label = 'lr=0.9'
        history = FakeHistory(_rows(2))

    axes = curves.plot_history([as_dict, Run()])
    assert [l.get_label() for l in axes[0].lines][-1] == 'lr=0.9 val_loss'
    assert axes[0].lines[0].get_label() == 'run 1 train_loss'


def test_plot_history_skips_missing_and_nan_values():
    rows = _rows(3)
    rows[1]['val_loss'] = float('nan')
    del rows[2]['val_loss']
    loss_ax, _ = curves.plot_history(rows)
    np.testing.assert_allclose(loss_ax.lines[1].get_xdata(), [1])


def test_plot_history_single_axes_and_bad_input():
    fig, ax = plt.subplots()
    assert curves.plot_history(_rows(), ax=ax) == [ax]
    assert len(ax.lines) == 4
    with pytest.raises(ValueError, match='one axes per metric'):
        curves.plot_history(_rows(), ax=[ax])
    with pytest.raises(TypeError, match='History'):
        curves.plot_history(42)
    with pytest.raises(ValueError, match='labels'):
        curves.plot_history([_rows(), _rows()], labels=['only one'])


# ---------------------------------------------------------------------------- images
def test_show_images_book_signature_and_channel_layouts():
    imgs = [np.random.rand(28, 28), np.random.rand(1, 28, 28), np.random.rand(3, 8, 8),
            np.random.rand(8, 8, 3)]
    axes = viz.show_images(imgs, 2, 2, titles=['a', 'b', 'c', 'd'])
    assert len(axes) == 4
    shapes = [a.images[0].get_array().shape for a in axes]
    assert shapes == [(28, 28), (28, 28), (8, 8, 3), (8, 8, 3)]
    assert axes[0].images[0].get_cmap().name == 'gray'
    assert [a.get_title() for a in axes] == ['a', 'b', 'c', 'd']
    assert not axes[0].get_xaxis().get_visible()


def test_show_images_accepts_mxnet_arrays():
    from mxnet import np as mnp
    axes = viz.show_images(mnp.ones((2, 5, 5)), 1, 2)
    assert axes[1].images[0].get_array().shape == (5, 5)


def test_show_image_grid_marks_mistakes():
    imgs = np.random.rand(5, 28, 28)
    axes = viz.show_image_grid(imgs, labels=[0, 1, 2, 3, 4], preds=[0, 1, 9, 3, 4],
                               class_names=[str(c) * 2 for c in range(10)], num_cols=3)
    assert len(axes) == 6 and not axes[5].get_visible()
    assert axes[0].get_title() == '00'
    assert axes[2].get_title() == '22\n99'
    assert axes[2].title.get_color() == 'red' and axes[0].title.get_color() == 'black'
    with pytest.raises(ValueError, match='labels has 2 entries'):
        viz.show_image_grid(imgs, labels=[0, 1])


# ---------------------------------------------------------------------------- filters
def test_filter_mosaic_normalises_each_filter_and_keeps_sign():
    w = np.zeros((6, 1, 5, 5))
    for i in range(6):
        w[i, 0, 0, 0] = -(i + 1) * 10.0
        w[i, 0, 4, 4] = (i + 1) * 5.0
    mosaic, rows, cols = viz.filter_mosaic(w)
    assert (rows, cols) == (2, 3)
    assert mosaic.shape == (2 * 5 + 1, 3 * 5 + 2)      # 1-pixel gaps
    assert np.isnan(mosaic[5]).all()                  # gap row between tile rows
    tiles = [mosaic[r * 6:r * 6 + 5, c * 6:c * 6 + 5] for r in range(2) for c in range(3)]
    for t in tiles:                                  # each filter scaled on its own
        assert t[0, 0] == -1.0 and t[4, 4] == 0.5 and t[2, 2] == 0.0


def test_filter_mosaic_in_channels_layouts_and_errors():
    w = np.random.randn(4, 3, 3, 3)
    m, rows, cols = viz.filter_mosaic(w)
    assert (rows, cols) == (4, 3) and np.nanmax(np.abs(m)) == pytest.approx(1.0)
    m, rows, cols = viz.filter_mosaic(w, in_channels='mean')
    assert (rows, cols) == (2, 2)
    m, rows, cols = viz.filter_mosaic(w, in_channels=2)
    np.testing.assert_allclose(m[:3, :3], w[0, 2] / np.abs(w[0, 2]).max())
    m, rows, cols = viz.filter_mosaic(np.random.randn(100, 1, 11, 11))
    assert (rows, cols) == (10, 10)
    with pytest.raises(ValueError, match='in_channels=5'):
        viz.filter_mosaic(w, in_channels=5)
    with pytest.raises(ValueError, match='out_channels, in_channels'):
        viz.filter_mosaic(np.zeros((2, 2, 2, 2, 2)))


def test_plot_filters_uses_symmetric_diverging_colormap():
    ax = viz.plot_filters(np.random.randn(16, 1, 5, 5), title='conv1')
    (im,) = ax.images
    assert im.get_clim() == (-1.0, 1.0)
    assert im.get_cmap().name.startswith(viz.SIGNED_CMAP)
    assert np.nanmax(np.abs(im.get_array())) == pytest.approx(1.0)
    assert ax.get_title() == 'conv1'


def test_plot_feature_maps_colormap_follows_sign():
    relu_maps = np.abs(np.random.randn(1, 6, 10, 10))
    ax = viz.plot_feature_maps(relu_maps)
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert ax.images[0].get_cmap().name.startswith('viridis')
    ax = viz.plot_feature_maps(np.random.randn(6, 10, 10))
    assert ax.images[0].get_clim() == (-1.0, 1.0)
    with pytest.raises(ValueError, match='channels, height, width'):
        viz.plot_feature_maps(np.zeros((2, 3, 4, 5)))


def _tiny_net():
    from mxnet import init
    from mxnet.gluon import nn
    net = nn.Sequential()
    net.add(nn.Conv2D(4, kernel_size=3, padding=1, activation='relu'),
            nn.MaxPool2D(pool_size=2), nn.Dense(10))
    net.initialize(init.Xavier())
    return net


def _on_fresh_thread(check, np_mode):
    """Run ``check()`` on a new thread, with or without npx.set_np(), and re-raise what
    it raised here: MXNet's array semantics is per thread and other tests (or
    week5.core) may have switched this one to npx.set_np()."""
    import threading
    from mxnet import npx
    errors = []

    def run():
        try:
            if np_mode:
                npx.set_np()
            check()
        except BaseException as err:   # re-raised on the test's thread
            errors.append(err)
    t = threading.Thread(target=run)
    t.start()
    t.join()
    if errors:
        raise errors[0]


@pytest.mark.parametrize('np_mode', [False, True], ids=['legacy', 'npx.set_np'])
def test_list_layers_and_feature_maps_from_a_net(np_mode):
    _on_fresh_thread(lambda: _check_layers_and_maps(_tiny_net()), np_mode)


def _check_layers_and_maps(net):

    class Model:                       # a Classifier keeps its layers in .net
        pass
    model = Model()
    model.net = net
    layers = inside.list_layers(model, (1, 1, 8, 8))
    assert layers == [(0, '0: Conv2D', (1, 4, 8, 8)), (1, '1: MaxPool2D', (1, 4, 4, 4)),
                      (2, '2: Dense', (1, 10))]
    X = np.random.rand(1, 8, 8).astype(np.float32)
    maps = inside.feature_maps(model, X, '1: MaxPool2D')
    assert maps.shape == (1, 4, 4, 4) and (maps >= 0).all()
    np.testing.assert_allclose(inside.feature_maps(net, X, 0).max(), maps.max(), rtol=1e-6)
    with pytest.raises(ValueError, match='pick 0..2'):
        inside.feature_maps(net, X, 7)


def test_conv_layers_finds_nested_convs_and_first_weights():
    from mxnet import init
    from mxnet.gluon import nn
    block = nn.Sequential()
    block.add(nn.Conv2D(3, kernel_size=1), nn.Activation('relu'))
    net = nn.Sequential()
    net.add(nn.Conv2D(5, kernel_size=3, in_channels=1), nn.MaxPool2D(), block, nn.Dense(2))
    assert inside.conv_weights(net) is None                  # initialize() not called
    net.initialize(init.Xavier())
    assert inside.conv_weights(net, 1) is None               # deferred until a forward pass
    assert [p for p, _ in inside.conv_layers(net)] == ['0', '2.0']
    w = inside.conv_weights(net)
    assert w.shape == (5, 1, 3, 3)
    np.testing.assert_array_equal(w, net[0].weight.data().asnumpy())
    with pytest.raises(ValueError, match='pick 0..1'):
        inside.conv_weights(net, 2)
    with pytest.raises(ValueError, match='no convolution'):
        inside.conv_weights(nn.Dense(3))


# ---------------------------------------------------------------------------- confusion
def test_confusion_matrix_counts_and_plot():
    cm = viz.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], num_classes=3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    ax = viz.plot_confusion_matrix(cm, class_names=['a', 'b', 'c'])
    data = ax.images[0].get_array()
    np.testing.assert_allclose(data.sum(axis=1), 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ['a', 'b', 'c']
    assert len(ax.texts) == 9 and ax.texts[0].get_text() == '0.50'
    with pytest.raises(ValueError, match='raise num_classes'):
        viz.confusion_matrix([0, 5], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match='square'):
        viz.plot_confusion_matrix(np.zeros((2, 3)))


# ---------------------------------------------------------------------------- figures
def test_canvas_to_png_encodes_the_canvas_as_drawn_and_png_size_reads_it():
    from PIL import Image
    import io
    fig = png.new_figure((2.0, 1.0), dpi=50)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_facecolor('red')
    fig.canvas.draw()
    data = png.canvas_to_png(fig)
    assert png.png_size(data) == (100, 50)
    assert Image.open(io.BytesIO(data)).convert('RGB').getpixel((50, 25)) == (255, 0, 0)
    ax.set_facecolor('blue')                 # not drawn yet: the bytes show the canvas
    assert Image.open(io.BytesIO(png.canvas_to_png(fig))).convert('RGB').getpixel((50, 25)) == (255, 0, 0)
    with pytest.raises(ValueError, match='PNG'):
        png.png_size(b'GIF89a')


def test_figure_to_png_renders_offscreen_figure():
    fig = png.new_figure()
    viz.plot_filters(np.random.randn(6, 1, 5, 5), ax=fig.add_subplot())
    data = png.figure_to_png(fig)
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 500
    assert plt.get_fignums() == []          # never registered with pyplot


def test_set_figsize_and_use_svg_display_are_explicit():
    old = matplotlib.rcParams['figure.figsize']
    try:
        viz.set_figsize((4, 3))
        assert tuple(matplotlib.rcParams['figure.figsize']) == (4, 3)
    finally:
        matplotlib.rcParams['figure.figsize'] = old
    viz.use_svg_display()                   # outside IPython: a no-op, no error
    with pytest.raises(ValueError, match='figsize'):
        viz.set_figsize(3)


def test_book_plot_draws_each_series():
    x = np.arange(0, 3, 0.5)
    ax = viz.plot(x, [x ** 2, 2 * x], 'x', 'f(x)', legend=['x^2', '2x'])
    assert len(ax.lines) == 2 and ax.get_xlabel() == 'x'


# ---------------------------------------------------------------------------- insides
def _laptop_model(name):
    from week5.profiles import get_profile
    return get_profile('laptop').recipe(name).model()


def _image(model, seed=0):
    return np.random.default_rng(seed).random(model.config.input_shape, dtype=np.float32)


def _strip_axes(fig):
    """The axes of a layer-by-layer figure that show feature maps (not the input or a
    colour bar), in drawing order."""
    return [ax for ax in fig.axes if ax.get_xticks().size]


def _expected_rows(config):
    """(name, 'C×H×W') of every top-level layer with a (C, H, W) output, from the
    config's shape walker, dropout left out."""
    return [(n, '×'.join(map(str, s))) for n, s in config.shapes()
            if '.' not in n and len(s) == 3 and not n.startswith('dropout')]


@pytest.mark.parametrize('name', ['lenet', 'alexnet', 'vgg', 'nin', 'googlenet'])
def test_plot_layer_by_layer_rows_follow_the_config_at_laptop_sizes(name):
    model = _laptop_model(name)
    fig = viz.plot_layer_by_layer(model, _image(model), fig=png.new_figure())
    c, h, w = model.config.input_shape
    assert fig.axes[0].get_title(loc='left') == f'input\n{c}×{h}×{w}'
    strips = _strip_axes(fig)
    expected = _expected_rows(model.config)
    assert [tuple(ax.get_title(loc='left').split()[:2]) for ax in strips] == expected
    for ax, (_, dims) in zip(strips, expected):
        channels = int(dims.split('×')[0])
        assert len(ax.get_xticks()) == min(8, channels)
        if channels > 8:
            assert ax.get_title(loc='left').endswith(f'(8 most active of {channels})')
    width, height = fig.get_size_inches()
    assert width <= 11.0 and height <= 5.0
    assert png.figure_to_png(fig)[:4] == b'\x89PNG'


def test_layer_by_layer_maps_are_the_layers_outputs_in_predict_mode():
    _on_fresh_thread(_check_layer_by_layer_maps, np_mode=True)   # as in a notebook


def _check_layer_by_layer_maps():
    model = _laptop_model('nin')
    X = _image(model)
    rows = inside.layer_by_layer_maps(model, X[None])
    names = [n for n, _ in rows]
    assert 'dropout' not in names                                  # identity at prediction
    np.testing.assert_array_equal(rows[0][1], X)
    pool1 = inside.feature_maps(model, X, 1)[0]
    np.testing.assert_allclose(rows[names.index('pool1')][1], pool1, rtol=1e-5)
    again = inside.layer_by_layer_maps(model, inside.to_mx_array(X), layers=['block4', 0])
    assert [n for n, _ in again] == ['input', 'block1', 'block4']
    np.testing.assert_allclose(again[2][1], rows[names.index('block4')][1], rtol=1e-5)
    with pytest.raises(ValueError, match='recipe.data'):
        inside.layer_by_layer_maps(model, np.zeros((1, 64, 64)))
    with pytest.raises(ValueError, match='not in this net'):
        inside.layer_by_layer_maps(model, X, layers=['conv9'])


def test_plot_layer_by_layer_picks_the_most_active_or_the_first_channels():
    model = _laptop_model('alexnet')
    X = _image(model, seed=1)
    maps = dict(inside.layer_by_layer_maps(model, X))['conv2']          # 32 channels
    strength = np.abs(maps).reshape(len(maps), -1).mean(axis=1)
    fig = viz.plot_layer_by_layer(model, X, max_maps=4, layers=['conv2'],
                                  fig=png.new_figure())
    (ax,) = _strip_axes(fig)
    shown = [int(t.get_text()) for t in ax.get_xticklabels()]
    assert shown == list(np.argsort(-strength, kind='stable')[:4])
    assert ax.get_title(loc='left') == 'conv2   32×14×14   (4 most active of 32)'
    fig = viz.plot_layer_by_layer(model, X, max_maps=4, layers=['conv2'], pick='first',
                                  fig=png.new_figure())
    (ax,) = _strip_axes(fig)
    assert [t.get_text() for t in ax.get_xticklabels()] == ['0', '1', '2', '3']
    assert ax.get_title(loc='left').endswith('(first 4 of 32)')
    lo, hi = ax.images[0].get_clim()                       # one scale for the layer
    assert (lo, hi) == (pytest.approx(maps.min()), pytest.approx(maps.max()))


def test_conv_weights_is_a_copy_that_training_does_not_change():
    from mxnet import autograd
    model = _laptop_model('lenet')
    before = inside.conv_weights(model)
    kept = before.copy()
    trainer = model.configure_optimizers()
    X = inside.to_mx_array(np.random.rand(4, 1, 28, 28).astype(np.float32))
    with autograd.record():
        loss = (model.net(X) ** 2).sum()
    loss.backward()
    trainer.step(4)                                      # updates the weights in place
    after = inside.conv_weights(model)
    assert not np.allclose(after, kept)
    np.testing.assert_array_equal(before, kept)


def test_plot_filters_before_after_uses_each_array_on_a_shared_scale():
    rng = np.random.default_rng(0)
    before = rng.uniform(-1, 1, (6, 1, 5, 5))
    before[:, 0, 0, 0] = 1.0                             # each filter's largest weight
    after = before.copy()
    fig = viz.plot_filters_before_after(before, after, fig=png.new_figure())
    ax_before, ax_after = fig.axes[:2]
    assert ax_before.get_title() == 'conv1 before training'
    assert ax_after.get_title() == 'conv1 after training'
    first_before = ax_before.images[0].get_array().filled(np.nan)
    np.testing.assert_array_equal(first_before, ax_after.images[0].get_array().filled(np.nan))
    after[2, 0, 3, 3] = -0.9                             # one weight changes in training
    fig = viz.plot_filters_before_after(before, after, fig=png.new_figure())
    ax_before, ax_after = fig.axes[:2]
    np.testing.assert_array_equal(ax_before.images[0].get_array().filled(np.nan), first_before)
    changed = ~np.isclose(ax_after.images[0].get_array().filled(np.nan), first_before,
                          equal_nan=True)
    assert changed.sum() == 1 and np.argwhere(changed).tolist() == [[3, 15]]   # filter 2: row 0, column 2
    fig = viz.plot_filters_before_after(before, 2 * after, fig=png.new_figure())
    ax_before, ax_after = fig.axes[:2]
    assert np.nanmax(np.abs(ax_before.images[0].get_array())) == pytest.approx(0.5)
    assert np.nanmax(np.abs(ax_after.images[0].get_array())) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='same layer'):
        viz.plot_filters_before_after(before, after[:3])


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_draw_inception_block_labels_come_from_the_allocation():
    from week5.models import GoogLeNetConfig
    from week5.checks import inception_params
    allocation = GoogLeNetConfig().stages[0][0]                 # (64, (96, 128), (16, 32), 32)
    texts = _texts(ch_googlenet.draw_inception_block(allocation, ax=png.new_figure().add_subplot()))
    for label in ('1×1 conv\n64 channels', '1×1 conv\n96 channels', '3×3 conv\n128 channels',
                  '1×1 conv\n16 channels', '5×5 conv\n32 channels', '3×3 max-pool',
                  '1×1 conv\n32 channels', 'input',
                  'concatenate: 256 channels  (64 + 128 + 32 + 32)'):
        assert label in texts
    assert not any('params' in t for t in texts)                # no c_in: no costs
    changed = (128, (96, 64), (8, 16), 48)
    texts = _texts(ch_googlenet.draw_inception_block(changed, c_in=192, size=12,
                                            ax=png.new_figure().add_subplot()))
    assert 'concatenate: 256 channels  (128 + 64 + 16 + 48)' in texts
    assert '3×3 conv\n64 channels' in texts and '1×1 conv\n8 channels' in texts
    assert 'input: 192 channels, 12×12' in texts
    assert f'whole block:\n{inception_params(192, *changed):,} params' in texts
    assert f'{192 * 128 + 128:,} params\n{192 * 128 * 144:,} MACs' in texts   # branch 1


def test_draw_inception_block_from_a_config_takes_its_first_block_and_input():
    from week5.models import GoogLeNetConfig
    config = GoogLeNetConfig(width_divisor=8, pool='avg')
    (name, spec, shape), *_ = ch_googlenet.inception_blocks(config)
    assert name == 'b3.inception1' and shape == (24, 12, 12)
    texts = _texts(ch_googlenet.draw_inception_block(config, ax=png.new_figure().add_subplot()))
    assert 'input: 24 channels, 12×12' in texts and '3×3 avg-pool' in texts
    assert 'concatenate: 32 channels  (8 + 16 + 4 + 4)' in texts
    with pytest.raises(ValueError, match='c1, \\(c2_reduce'):
        ch_googlenet.draw_inception_block((1, 2, 3))


def test_inception_branch_maps_have_the_allocated_channels_and_make_the_output():
    from mxnet import autograd
    model = _laptop_model('googlenet')
    X = _image(model)
    blocks = ch_googlenet.inception_blocks(model)
    name, maps = ch_googlenet.inception_branch_maps(model, X)
    _, spec, shape = blocks[0]
    assert name == 'b3.inception1'
    assert maps['block input'].shape == shape
    assert [m.shape[0] for k, m in maps.items() if k != 'block input'] == [
        spec.c1, spec.c2[1], spec.c3[1], spec.c4]
    _, path, block = ch_googlenet._find_inception(model, 'b3.inception1')
    with autograd.predict_mode():
        out = block(inside.to_mx_array(maps['block input'][None])).asnumpy()[0]
    np.testing.assert_allclose(np.concatenate([m for k, m in maps.items()
                                               if k != 'block input']), out, rtol=1e-5)
    name, maps = ch_googlenet.inception_branch_maps(model, X, block='b4.inception2')
    assert maps['block input'].shape == blocks[3][2]                  # 4a's output, 4b's input
    fig = ch_googlenet.plot_inception_branches(model, X, block=2, fig=png.new_figure())
    titles = [ax.get_title(loc='left') for ax in fig.axes]
    assert titles[0] == 'image   1×48×48'
    assert titles[1].startswith(f'block input   {"×".join(map(str, blocks[2][2]))}')
    assert [t.split('   ')[0] for t in titles[2:]] == [
        'branch 1: 1×1 conv', 'branch 2: 1×1 → 3×3 conv', 'branch 3: 1×1 → 5×5 conv',
        'branch 4: 3×3 pool → 1×1 conv']
    assert 'b4.inception1' in fig.texts[0].get_text()           # the suptitle
    with pytest.raises(ValueError, match='pick an index 0..8'):
        ch_googlenet.inception_branch_maps(model, X, block=9)


def test_draw_nin_vs_vgg_block_is_built_from_the_layer_specs():
    from week5.models import NiNConfig, VGGConfig
    from week5.summary import param_split
    texts = _texts(ch_nin.draw_nin_vs_vgg_block(ax=png.new_figure().add_subplot()))
    assert texts.count('3×3 conv, 256 ch, ReLU') == 2                   # VGG-11 block3
    assert '2×2 max-pool, stride 2' in texts and '5×5 conv, 256 ch, ReLU' in texts
    assert texts.count('1×1 conv, 256 ch, ReLU\n= a dense layer at every pixel') == 2
    assert 'flatten: 512×7×7 → 25,088' in texts
    assert texts.count('dense 4096, ReLU + dropout 0.5') == 2
    assert f'VGG head: {param_split(VGGConfig())["dense_params"]:,} params' in texts
    assert 'NiN block, 10 ch:\n3×3 conv → 1×1 → 1×1' in texts
    assert 'global average pooling' in texts
    vgg = VGGConfig(arch=((1, 32), (3, 64)), hidden=(256,), resize=64)
    nin = NiNConfig(channels=(16, 24), kernel_sizes=(5, 3, 3), strides=(2, 1, 1),
                    paddings=(0, 'same', 'same'), resize=64, batch_norm=True)
    texts = _texts(ch_nin.draw_nin_vs_vgg_block(ax=png.new_figure().add_subplot(), vgg=vgg,
                                             nin=nin))
    assert texts.count('3×3 conv, 64 ch, ReLU') == 3
    assert 'dense 256, ReLU + dropout 0.5' in texts and 'dense 10 → 10 class scores' in texts
    assert '3×3 conv, 24 ch, BN, ReLU' in texts
    assert 'VGG block (block2)' in texts and 'NiN block (block2)' in texts


def test_pngs_record_their_smallest_text_for_the_slides():
    from week5 import png
    fig = png.new_figure((4, 3), dpi=80)
    ax = fig.add_subplot()
    ax.plot([1, 2])
    ax.set_title('title', fontsize=20)
    ax.tick_params(labelsize=9)
    record = png.png_text(png.figure_to_png(fig))[png.TEXT_SIZE_KEY]
    assert float(record) == pytest.approx(9 * 80 / 72, abs=0.01)     # the tick labels
    ax.axis('off')                                                  # ticks not drawn
    assert png.min_text_px(fig) == pytest.approx(20 * 80 / 72)
    assert png.png_text(png.array_to_png([[0.0, 1.0]]))[png.TEXT_SIZE_KEY] == 'none'
    with png.slide_fonts():
        fig2 = png.new_figure((4, 3), dpi=100)
        fig2.add_subplot().plot([1, 2])
    assert png.min_text_px(fig2) >= png.SLIDE_FONT * 100 / 72 - 1e-9


def test_the_lenet_alexnet_figure_labels_every_layer():
    from week5.chapters import alexnet
    from week5.models import AlexNetConfig, LeNetConfig
    rows = alexnet.lenet_alexnet_rows(AlexNetConfig())
    assert [r[1] for r in rows].count('conv') == 5 and [r[1] for r in rows].count('dense') == 3
    assert rows[1] == ('conv 11×11, 96 ch, stride 4, ReLU', 'conv', (96, 54, 54))
    assert alexnet.lenet_alexnet_rows(LeNetConfig())[1][0] == 'conv 5×5, 6 ch, sigmoid'
    ax = alexnet.draw_lenet_vs_alexnet()
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith('LeNet: 2 conv + 3 dense') for t in texts)
    assert any(t.startswith('AlexNet: 5 conv + 3 dense') for t in texts)


# ------------------------------------------------- slide figures: readable from the back row

def on_slide(png_bytes, code_lines=2):
    """(smallest text in CSS px, shown width, shown height) of a figure's PNG as a deck
    shows it alone on a slide below ``code_lines`` of code: at its own width, widened by
    `slides.ReadableFigures` when its text is small, never wider than the slide."""
    from week5 import slides
    record = float(png.png_text(png_bytes)[png.TEXT_SIZE_KEY])
    width, height = png.png_size(png_bytes)
    shown = width if record >= slides.READABLE_PX else width * slides.READABLE_PX / record
    shown = min(shown, slides.CONTENT_WIDTH)
    room = slides.SLIDE_HEIGHT - 40 - 30 * code_lines     # reveal's padding, the code
    k = min(shown / width, room / height)                 # the deck shrinks what is taller
    return record * k, width * k, height * k


def assert_slide_sized(fig, code_lines=2, legend=True):
    """``fig`` shown alone on a slide: text >= 18 px at 1280x720 (a slide's CSS px are
    1.016 screen px there, see `week5.slides`), no legend over a plotting area, nothing
    outside the picture."""
    data = png.figure_png(fig)
    px, w, h = on_slide(data, code_lines)
    assert px * 1.016 >= 18, f'smallest text {px * 1.016:.1f} px on a slide ({w:.0f}x{h:.0f})'
    renderer = fig.canvas.get_renderer()
    panels = [a.get_window_extent(renderer) for a in fig.axes]
    from matplotlib.legend import Legend
    legends = fig.findobj(Legend)
    for leg in legends:
        box = leg.get_window_extent(renderer)
        assert not any(box.overlaps(p) for p in panels), 'a legend covers a plotting area'
    assert legends or not legend, 'no legend found'
    return px


def _history(n, lo=0.5):
    from week5.callbacks import History
    return History([{'epoch': i + 1, 'train_loss': 2.0 / (i + 1), 'val_loss': 2.1 / (i + 1),
             'train_acc': lo + 0.04 * i, 'val_acc': lo - 0.01 + 0.04 * i} for i in range(n)])


def test_plot_runs_draws_slide_sized_text_with_the_legend_above():
    class Run:
        def __init__(self, lo):
            self.history = _history(6, lo)
    runs = {'NiN (GAP head)': Run(0.6), 'NiN body + AlexNet head': Run(0.62),
            'dropout 0.5 + flip/crop': Run(0.55)}
    with png.slide_fonts():
        axes = curves.plot_runs(runs)
    assert assert_slide_sized(axes[0].figure) >= png.SLIDE_FONT * 100 / 72 - 1e-6
    # what the notebooks had before: the legend at 'small' (15 px in the PNG)
    with png.slide_fonts():
        small = curves.plot_runs(runs)[0].figure
        from matplotlib.legend import Legend
        for text in [t for leg in small.findobj(Legend) for t in leg.get_texts()]:
            text.set_fontsize('small')
    record = png.png_text(png.figure_png(small))[png.TEXT_SIZE_KEY]
    assert float(record) < 18        # the deck would have to widen it (or shrink it)


def test_accuracy_vs_cost_panels_are_slide_sized():
    from week5.chapters import compare as ch_compare
    from week5.callbacks import History

    class Run:
        def __init__(self, acc, rate, params):
            self.history = History([{'epoch': 1, 'val_acc': acc, 'examples_per_sec': rate}])
            self.params = params
    runs = {name: [Run(acc + d, rate, params) for d in (0.0, 0.01, -0.01)]
            for name, acc, rate, params in [('lenet', 0.85, 4000, 61706),
                                            ('alexnet', 0.8, 300, 3.7e6),
                                            ('vgg', 0.81, 500, 1.2e5),
                                            ('nin', 0.79, 400, 2.3e5),
                                            ('googlenet', 0.81, 200, 6e5)]}
    with png.slide_fonts():        # as the chapter 6 notebook draws it
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout='constrained')
        ch_compare.plot_accuracy_vs_cost(runs, ax=left, cost='params')
        ch_compare.plot_accuracy_vs_cost(runs, ax=right, cost='time')
    assert_slide_sized(fig, code_lines=3)
    # tick labels do not collide: only the major ones are written, plainly
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax in (left, right):
        labels = [t for t in ax.get_xticklabels(minor=False) + ax.get_xticklabels(minor=True)
                  if t.get_text() and t.get_visible()
                  and ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]]
        boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
        assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:])), [t.get_text() for t in labels]


def test_the_progress_board_is_slide_sized_with_its_legend_above():
    from week5.callbacks import ProgressBoard
    with png.slide_fonts():
        board = ProgressBoard(display=False)
        for x in range(1, 6):
            for label in ('train_loss', 'val_loss', 'val_acc'):
                board.draw(x, 1.0 / x, label)
        fig = board.render()
    assert_slide_sized(fig, code_lines=5)


def test_the_nin_vs_vgg_figure_is_slide_sized_and_no_text_runs_into_another():
    with png.slide_fonts():
        ax = ch_nin.draw_nin_vs_vgg_block()
    fig = ax.figure
    assert_slide_sized(fig, code_lines=1, legend=False)
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts
             if t.get_text().strip()]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not box_a.overlaps(box_b), (a, b)
    for text, box in boxes:       # a box's label stays inside it, other text outside
        for patch in ax.patches:
            p = patch.get_window_extent(renderer)
            inside = (p.x0 - 1 <= box.x0 and box.x1 <= p.x1 + 1 and p.y0 - 1 <= box.y0
                      and box.y1 <= p.y1 + 1)
            assert inside or not box.overlaps(p), text


def test_confusion_matrix_in_percent_writes_whole_numbers_and_leaves_zeros_empty():
    counts = np.array([[87, 13], [0, 100]])
    ax = viz.plot_confusion_matrix(counts, ['a', 'b'], percent=True)
    assert [t.get_text() for t in ax.texts] == ['87', '13', '', '100']
    plt.close(ax.figure)
