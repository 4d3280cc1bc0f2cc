"""The convolution explorer: one output value of a trained network's first convolution
computed before the student's eyes (the input grid with its padding, the window at the
chosen output position, the kernel, the output grid), with the size rule
floor((n + 2p − k) / s) + 1 filled in and settings that do not fit explained.

The numbers are `inside.model_conv_step`'s, the picture `viz.plot_conv_step`'s; this
module only wires sliders to them. Headless it is one static picture and a text."""
import ipywidgets as W

from ..runtime import is_headless
from ..inside import batch_of_images, first_conv, model_conv_step
from ..viz import plot_conv_step
from ..png import figure_to_png, new_figure
from .pictures import Panel, image

__all__ = ['ConvolutionExplorer']

class ConvolutionExplorer(Panel):
    """Slide a trained first-layer kernel over a real image.

    ``model``: a trained model (its first convolution's filters and settings);
    ``images``: (N, C, H, W) or None to take the first validation batch of ``data``.
    ``kernel_size``, ``stride``, ``padding`` start at the layer's own settings (there the
    value shown is the network's own output); ``size`` crops the image's centre; ``row``,
    ``col``: the output position (default: the middle of the output)."""

    def __init__(self, model, data=None, images=None, index=0, channel=0, size=None,
                 kernel_size=None, stride=None, padding=None, pool=1, row=None, col=None,
                 headless=None):
        images = batch_of_images(data, images)
        self.model, self.images = model, images
        self.headless = is_headless() if headless is None else bool(headless)
        conv, k0, s0, p0, _ = first_conv(model)
        n = min(images.shape[2:])
        out = model_conv_step(model, images[index], channel, kernel_size, stride, padding,
                              size=size, pool=pool)['out_size']
        middle = max(out, 1) // 2                # the default output position
        self.controls = {
            'index': W.IntSlider(index, 0, len(images) - 1, description='image'),
            'channel': W.IntSlider(channel, 0, conv.weight.shape[0] - 1, description='filter'),
            'size': W.IntSlider(n if size is None else size, 1, n, description='input n'),
            'kernel_size': W.IntSlider(k0 if kernel_size is None else kernel_size, 1, 11,
                                       description='kernel k'),
            'stride': W.IntSlider(s0 if stride is None else stride, 1, 8,
                                  description='stride s'),
            'padding': W.IntSlider(p0 if padding is None else padding, 0, 6,
                                   description='padding p'),
            'pool': W.IntSlider(pool, 1, 4, description='pooling'),
            'row': W.IntSlider(middle if row is None else row, 0, n - 1,
                               description='output row'),
            'col': W.IntSlider(middle if col is None else col, 0, n - 1,
                               description='output col'),
        }
        for name, widget in self.controls.items():
            widget.continuous_update = False
            widget.style.description_width = '6em'
            widget.layout.width = '16em'
            widget.add_class(f'week5-conv-{name.replace("_", "-")}')
            widget.observe(lambda _: self.refresh(), names='value')
        self.image = image('week5-conv-explorer')
        c = list(self.controls.values())
        self.box = W.VBox([W.HBox([W.VBox(c[0:3]), W.VBox(c[3:6]), W.VBox(c[6:9])]),
                           self.image])
        self._refreshing = False
        self.refresh()

    def settings(self):
        return {name: w.value for name, w in self.controls.items()}

    def refresh(self):
        if self._refreshing:
            return
        self._refreshing = True
        try:
            values = self.settings()
            step = self._step(values)
            out = max(step['out_size'], 1)
            for name in ('row', 'col'):          # keep the position inside the output
                slider = self.controls[name]
                slider.max = out - 1
                slider.disabled = step['out_size'] <= 0
            if (values['row'], values['col']) != (self.controls['row'].value,
                                                  self.controls['col'].value):
                step = self._step(self.settings())
        finally:
            self._refreshing = False
        self.step = step
        fig = new_figure((11.0, 5.0), dpi=80)      # plot_conv_step sets its height
        plot_conv_step(step, fig=fig)
        self.image.value = figure_to_png(fig)

    def _step(self, values):
        values = dict(values)
        index = values.pop('index')
        out = model_conv_step(self.model, self.images[index], **{
            **values, 'row': 0, 'col': 0})['out_size']
        values['row'] = min(values['row'], max(out - 1, 0))
        values['col'] = min(values['col'], max(out - 1, 0))
        return model_conv_step(self.model, self.images[index], **values)

    def _static_png(self):
        return self.image.value

    def _text(self):
        step = self.step
        text = (f'ConvolutionExplorer: n={step["n"]}, k={step["k"]}, s={step["stride"]}, '
                f'p={step["padding"]}: output {step["rule"]}')
        if step['value'] is not None:
            text += f'; output ({step["row"]}, {step["col"]}) = {step["value"]:.3f}'
        return text + ''.join(f'\n  {p}' for p in step['problems'])
