"""Small viewers: the filters of a model's conv layers, the feature maps of a layer for
a picked image, and the channel allocation of one Inception block. Each is a `Panel`: a
widget box in a live frontend, a static picture and a text headless."""
import ipywidgets as W

import numpy as onp
from mxnet import init

from ..runtime import is_headless
from ..models import Inception
from ..summary import count_params
from ..inside import (batch_of_images, conv_layers, conv_weights, feature_maps, list_layers,
                      to_mx_array)
from ..viz import plot_feature_maps, plot_filters, show_images
from ..png import figure_to_png, new_figure
from .pictures import Panel, image

__all__ = ['FilterViewer', 'FeatureMapExplorer', 'InceptionPanel']


class FilterViewer(Panel):
    """The filters of a trained model's conv layers: pick a layer and how to show
    several input channels ('all' = one row per filter, or 'mean')."""

    def __init__(self, model, conv_index=0, in_channels='all', max_tiles=128, headless=None):
        self.model, self.max_tiles = model, max_tiles
        self.headless = is_headless() if headless is None else bool(headless)
        convs = conv_layers(model)
        if not convs:
            raise ValueError(f'{type(model).__name__} has no convolution layer to show')
        options = [(f'conv{i + 1} (layer {path}): '
                    f'{"x".join(map(str, b.weight.shape))}', i)
                   for i, (path, b) in enumerate(convs)]
        self.layer = W.Dropdown(options=options, value=conv_index, description='conv layer')
        self.channels = W.Dropdown(options=['all', 'mean'], value=in_channels,
                                   description='in channels')
        self.image = image('week5-filter-viewer')
        self.layer.observe(lambda _: self.refresh(), names='value')
        self.channels.observe(lambda _: self.refresh(), names='value')
        self.box = W.VBox([W.HBox([self.layer, self.channels]), self.image])
        self.refresh()

    def refresh(self):
        w = conv_weights(self.model, self.layer.value)
        fig = new_figure((4.0, 4.0), dpi=80)
        plot_filters(w, ax=fig.add_subplot(), in_channels=self.channels.value,
                     max_tiles=self.max_tiles, title=f'conv layer {self.layer.value + 1}: '
                     f'{w.shape[0]} filters {w.shape[2]}x{w.shape[3]}', colorbar=True)
        fig.tight_layout()
        self.image.value = figure_to_png(fig)

    def _static_png(self):
        return self.image.value

    def _text(self):
        return f'FilterViewer: {self.layer.label}, in channels {self.channels.value!r}'


class FeatureMapExplorer(Panel):
    """Pick an image and a layer; see the image and that layer's feature maps.

    ``images``: an array (N, C, H, W) (numpy or MXNet), or None to take the first
    validation batch of ``data``."""

    def __init__(self, model, data=None, images=None, layer=0, index=0, max_maps=32,
                 headless=None):
        images = batch_of_images(data, images)
        self.model, self.images, self.max_maps = model, images, max_maps
        self.headless = is_headless() if headless is None else bool(headless)
        layers = list_layers(model, (1,) + images.shape[1:])
        spatial = [(f'{name} -> {shape}', i) for i, name, shape in layers if len(shape) == 4]
        if not spatial:
            raise ValueError(f'{type(model).__name__} has no layer with (C, H, W) outputs')
        self.index = W.IntSlider(value=index, min=0, max=len(images) - 1, description='image')
        self.layer = W.Dropdown(options=spatial, value=layer if layer in dict(
            (v, v) for _, v in spatial) else spatial[0][1], description='layer')
        self.image = image('week5-feature-maps')
        for w in (self.index, self.layer):
            w.observe(lambda _: self.refresh(), names='value')
        self.box = W.VBox([W.HBox([self.index, self.layer]), self.image])
        self.refresh()

    def refresh(self):
        maps = feature_maps(self.model, self.images[self.index.value], self.layer.value)[0]
        self.maps = maps
        fig = new_figure((8.0, 3.6), dpi=80)
        grid = fig.add_gridspec(1, 2, width_ratios=(1, 3))
        show_images([self.images[self.index.value]], 1, 1,
                    titles=[f'image {self.index.value}'], ax=[fig.add_subplot(grid[0, 0])])
        plot_feature_maps(maps, ax=fig.add_subplot(grid[0, 1]), max_maps=self.max_maps,
                          title=f'{self.layer.label}')
        fig.tight_layout()
        self.image.value = figure_to_png(fig)

    def _static_png(self):
        return self.image.value

    def _text(self):
        return (f'FeatureMapExplorer: image {self.index.value}, layer {self.layer.label}, '
                f'{self.maps.shape[0]} maps')


class InceptionPanel(Panel):
    """Channel allocation of one Inception block: sliders for c1, c2 (reduce, out),
    c3 (reduce, out) and c4 show the block's output shape and parameter count."""

    def __init__(self, in_channels=192, size=28, c1=64, c2=(96, 128), c3=(16, 32), c4=32,
                 headless=None, max_channels=512):
        for name, v in (('in_channels', in_channels), ('size', size)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f'{name} must be a positive int, got {v!r}')
        self.in_channels, self.size = in_channels, size
        self.headless = is_headless() if headless is None else bool(headless)
        style = {'description_width': 'initial'}

        def slider(label, value):
            return W.IntSlider(value=value, min=1, max=max(max_channels, value),
                               description=label, style=style, continuous_update=True)
        self.sliders = {'c1': slider('c1 (1x1)', c1),
                        'c2_reduce': slider('c2 reduce (1x1)', c2[0]),
                        'c2': slider('c2 (3x3)', c2[1]),
                        'c3_reduce': slider('c3 reduce (1x1)', c3[0]),
                        'c3': slider('c3 (5x5)', c3[1]),
                        'c4': slider('c4 (pool, 1x1)', c4)}
        self.info = W.HTML()
        for s in self.sliders.values():
            s.observe(lambda _: self.refresh(), names='value')
        self.box = W.VBox([W.HTML(f'<b>Inception block</b> on a {in_channels} x {size} x '
                                  f'{size} input'),
                           W.HBox([W.VBox(list(self.sliders.values())[:3]),
                                   W.VBox(list(self.sliders.values())[3:])]),
                           self.info])
        self.refresh()

    def refresh(self):
        """Build the block and measure it (week5.models.Inception + week5.summary)."""
        v = {k: s.value for k, s in self.sliders.items()}
        block = Inception(v['c1'], (v['c2_reduce'], v['c2']), (v['c3_reduce'], v['c3']),
                          v['c4'], in_channels=self.in_channels)
        block.initialize(init.Xavier())
        X = to_mx_array(onp.zeros((1, self.in_channels, self.size, self.size), 'float32'))
        self.output_shape = tuple(block(X).shape)
        self.params = count_params(block)
        branches = {'1x1': v['c1'], '3x3': v['c2'], '5x5': v['c3'], 'pool': v['c4']}
        total = self.output_shape[1]
        self.info.value = (
            f'output shape <b>{self.output_shape}</b>, parameters <b>{self.params:,}</b><br>'
            + ', '.join(f'{k}: {c} ({100 * c / total:.0f}%)' for k, c in branches.items()))

    def _text(self):
        v = {k: s.value for k, s in self.sliders.items()}
        return (f'Inception(c1={v["c1"]}, c2=({v["c2_reduce"]}, {v["c2"]}), '
                f'c3=({v["c3_reduce"]}, {v["c3"]}), c4={v["c4"]}) on '
                f'{(1, self.in_channels, self.size, self.size)}: output shape '
                f'{self.output_shape}, {self.params:,} parameters')
