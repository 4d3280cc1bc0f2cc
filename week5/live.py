"""Callbacks that draw while `Trainer.fit` runs: training curves and first-layer filters.

Each callback renders an off-screen matplotlib figure with Agg to PNG bytes and hands the
bytes to a *sink*: a callable ``sink(png)``, or any object with a ``value`` attribute
(an ``ipywidgets.Image``; this module never imports ipywidgets), or None to only keep
the latest picture in ``callback.png``.

Cadence. Redraws happen only right after the Trainer has read its metrics back (a new
row in ``trainer.history.batches``) or at the end of an epoch: the curves have something
new then, and the device queue is nearly empty, so reading the weights does not stall
training behind the queued batches. The first metrics of a run are shown at once, and
so are those of an epoch's last batch (the validation pass that follows brings nothing
new for a while). Otherwise redraws are spaced by the time drawing took divided by
``budget`` (so that drawing costs about that share of the wall time), but never closer
than ``1 / max_fps`` and never further apart than ``max_interval`` seconds (1.5: with
the next metrics row a few tenths later, a redraw at least every 2 s): a plot that
stands still for longer looks hung. A final redraw happens at the end of ``fit``. If
drawing is slow, the curves draw less per redraw (see `LiveCurves`), not less often.

Everything, including reading the conv weights, runs on the thread that calls the
hooks, which is the training thread (MXNet state is per thread).
"""
import math
import time

import numpy as np

from .callbacks import Callback
from .curves import curve_data, curve_legend, curve_metrics, draw_curve, end_labels, metric_of
from .inside import conv_weights
from .viz import filter_mosaic, plot_filters
from .png import array_to_png, canvas_to_png, figure_to_png, new_figure

__all__ = ['LiveCallback', 'LiveCurves', 'LiveFilters']


class LiveCallback(Callback):
    """Base class: throttling, figure, PNG rendering and delivery to the sink.

    Subclasses implement ``render(trainer, model)``: return True after drawing on
    ``self.fig``, PNG bytes when they encoded the picture themselves, or False when
    there is nothing to show yet. A picture identical to the last one is not sent.
    Time spent waiting for MXNet to finish the queued batches before device data can be
    read (``self.wait_seconds`` += ...) is training time, not drawing: it is kept apart
    and does not count against the budget. Counters for tests and benchmarks:
    ``num_redraws``, ``render_seconds``, ``wait_seconds``, ``png``; ``redraw_times``
    (clock readings when each picture was delivered), ``fit_start_time`` and
    ``first_data_time`` (when the first metrics row of this fit was seen).
    """

    def __init__(self, sink=None, figsize=(4.0, 3.0), dpi=80, max_fps=2.0, budget=0.02,
                 max_interval=1.5, clock=time.perf_counter):
        if sink is not None and not callable(sink) and not hasattr(sink, 'value'):
            raise TypeError(f'sink must be a callable taking PNG bytes, an object with a '
                            f'.value attribute (an ipywidgets.Image) or None, got '
                            f'{type(sink).__name__}')
        if not max_fps > 0:
            raise ValueError(f'max_fps must be > 0 redraws per second, got {max_fps!r}')
        if not 0 < budget <= 1:
            raise ValueError(f'budget is the largest fraction of time spent drawing, in '
                             f'(0, 1], e.g. 0.02; got {budget!r}')
        if not max_interval >= 1.0 / max_fps:
            raise ValueError(f'max_interval (the longest time between two redraws, in '
                             f'seconds) must be at least 1 / max_fps = {1.0 / max_fps:g}; '
                             f'got {max_interval!r}')
        self.sink, self.max_fps, self.budget, self.clock = sink, max_fps, budget, clock
        self.max_interval = max_interval
        self.fig = new_figure(figsize, dpi=dpi)
        self.png = None
        self.num_redraws = 0
        self.render_seconds = 0.0
        self.wait_seconds = 0.0
        self.redraw_times = []
        self.fit_start_time = self.first_data_time = None
        self._next_time = 0.0
        self._rows_seen = self._rows_at_start = 0
        self._data_shown = False

    # hooks ------------------------------------------------------------------------
    def on_fit_start(self, trainer, model):
        self._next_time = 0.0
        self._rows_seen = self._rows_at_start = len(trainer.history.batches)
        self._data_shown = False
        self.fit_start_time, self.first_data_time = self.clock(), None
        self.redraw(trainer, model)

    def on_train_batch_end(self, trainer, model, batch_idx):
        rows = len(trainer.history.batches)
        if rows != self._rows_seen:          # the trainer just synced its metrics
            self._rows_seen = rows
            now = self.clock()
            if self.first_data_time is None:
                self.first_data_time = now
            # the last batch of an epoch, too: the validation pass that follows shows
            # nothing new for a while, so start it from an up-to-date picture
            last = batch_idx == getattr(trainer, 'num_train_batches', 0) - 1
            if now >= self._next_time or not self._data_shown or last:
                self.redraw(trainer, model)

    def on_epoch_end(self, trainer, model, epoch):
        if self.clock() >= self._next_time:
            self.redraw(trainer, model)

    def on_fit_end(self, trainer, model):
        self.redraw(trainer, model)       # the final state, whatever the throttle says

    # drawing ----------------------------------------------------------------------
    def render(self, trainer, model):
        raise NotImplementedError('LiveCallback subclasses draw on self.fig in render()')

    def redraw(self, trainer, model):
        """Render now, deliver the PNG, and schedule the earliest next redraw."""
        start, waited = self.clock(), self.wait_seconds
        rows = len(trainer.history.batches)
        out = self.render(trainer, model)
        if out:
            png = out if isinstance(out, bytes) else figure_to_png(self.fig)
            out = png != self.png          # the same picture again: nothing to send
        if out:
            self.png = png
            self.num_redraws += 1
            if callable(self.sink):
                self.sink(self.png)
            elif self.sink is not None:
                self.sink.value = self.png
            self.redraw_times.append(self.clock())
            self._data_shown = self._data_shown or rows > self._rows_at_start
        spent = self.clock() - start - (self.wait_seconds - waited)
        self.render_seconds += spent
        if out:                            # nothing shown yet: try again at the next row
            self._next_time = start + min(self.max_interval,
                                          max(1.0 / self.max_fps, spent / self.budget))


def _progress(trainer):
    """Fractional epochs done: ``train_batch_idx`` counts the batches trained in this
    run (across epochs), ``num_train_batches`` those of one epoch."""
    total = getattr(trainer, 'num_train_batches', 0)
    if not total:
        return float(getattr(trainer, 'epoch', 0) or 0)
    return getattr(trainer, 'train_batch_idx', 0) / total


class LiveCurves(LiveCallback):
    """Loss and accuracy curves of the running fit, overlaid on ``previous`` runs
    (objects with ``.history`` and ``.label``, e.g. a TrainingLab's ``runs``), in the
    style of `plot_history`: a legend above the panels, each curve's final value right
    of its panel.

    Redraws are blitted: the axes, the legend and the previous runs are drawn once into
    a cached background; each redraw restores it and draws only this run's lines and
    the value labels (at most ``max_points`` points per line), then encodes the canvas.
    The x axis spans the planned epochs from the start, the y axes leave headroom and
    this run's lines exist (empty) from the start, so the background is drawn again
    only when a curve leaves the axes; ``num_full_draws`` counts those draws.

    ``train_name`` is the legend's name for the solid train curves, whose points are
    means over the batches since the previous point (the TrainingLab says so, because its
    status line shows epoch means).
    """

    # fixed margins in pixels: tight_layout or a constrained layout at every redraw
    # would cost more than the drawing itself
    LEFT, RIGHT, GAP, BOTTOM = 50, 42, 92, 38

    def __init__(self, sink=None, keys=('train_loss', 'val_loss', 'train_acc', 'val_acc'),
                 previous=(), label='this run', figsize=(7.0, 3.0), max_points=400,
                 train_name='train', **kwargs):
        super().__init__(sink, figsize=figsize, **kwargs)
        self.keys, self.previous, self.label = tuple(keys), list(previous), label
        self.train_name = train_name
        self.max_points = max_points
        self.num_full_draws = 0
        self._planned_epochs = None
        self._background = None
        self._drawn = None                  # the axis limits the background was drawn for
        self._live = []                     # (key, Line2D) of this run
        self._labels = []                   # the CurveEndLabels of each panel

    def on_fit_start(self, trainer, model):
        epochs = getattr(trainer, 'max_epochs', None)
        self._planned_epochs = (len(trainer.history.epochs) + epochs) if epochs else None
        self._background = self._drawn = None
        super().on_fit_start(trainer, model)

    def _runs(self, trainer):
        runs = [getattr(r, 'history', r) for r in self.previous] + [trainer.history]
        labels = [getattr(r, 'label', f'run {i + 1}') for i, r in enumerate(self.previous)]
        return runs, labels + [self.label]

    def _limits(self, lines):
        """Axis limits per panel, rounded outward so that small growth keeps them."""
        xmax = max(max(d['x']) for d in lines)
        xmax = max(self._planned_epochs or 0, math.ceil(xmax - 1e-9), 1)
        limits = []
        for metric in curve_metrics(self.keys):
            ys = [v for d in lines if d['metric'] == metric for v in d['y']]
            if not ys:
                limits.append((xmax, 0.0, 1.0))
            elif metric == 'acc' and 0.0 <= min(ys) and max(ys) <= 1.0:
                limits.append((xmax, 0.0, 1.0))
            else:
                lo = 0.0 if min(ys) >= 0 else -_nice_ceil(-min(ys) * 1.05)
                limits.append((xmax, lo, _nice_ceil(max(ys) * 1.05) if max(ys) > 0 else 1.0))
        return limits

    def render(self, trainer, model):
        runs, labels = self._runs(trainer)
        lines = curve_data(runs, self.keys, labels)
        if not lines:                      # nothing recorded yet
            return False
        limits = self._limits(lines)
        canvas = self.fig.canvas
        if self._background is None or limits != self._drawn:
            self._draw_background(lines, limits)
            self._drawn = limits
        else:
            canvas.restore_region(self._background)
        mine = {d['key']: d for d in lines if d['run'] == len(self.previous)}
        for key, line in self._live:
            d = mine.get(key)
            if d is not None:
                line.set_data(*_thin(d['x'], d['y'], self.max_points))
                line.axes.draw_artist(line)
        for labels in self._labels:
            labels.axes.draw_artist(labels)
        return canvas_to_png(self.fig)

    def _draw_background(self, lines, limits):
        """Everything but this run's lines and the value labels, drawn once and kept.
        This run gets a line per key from the start (empty until its data arrives), so
        that its first points or its validation curves need no new background."""
        fig = self.fig
        fig.clf()
        metrics = curve_metrics(self.keys)
        axes = fig.subplots(1, len(metrics), squeeze=False)[0]
        current = len(self.previous)
        earlier = [d for d in lines if d['run'] != current]
        mine = [{'label': f'{self.label} {key}'.strip(), 'key': key, 'metric': metric_of(key),
                 'x': [], 'y': [], 'color': f'C{current % 10}',
                 'val': not key.startswith('train_'), 'run': current,
                 'run_label': self.label} for key in self.keys]
        self._live, self._labels = [], []
        for d in earlier + mine:
            line = draw_curve(axes[metrics.index(d['metric'])], d)
            if d['run'] == current:
                line.set_animated(True)    # left out of the background, blitted
                self._live.append((d['key'], line))
        for ax, metric, (xmax, lo, hi) in zip(axes, metrics, limits):
            ax.set_xlim(0, xmax)
            ax.set_ylim(lo, hi)
            ax.set_xlabel('epoch')
            ax.set_ylabel(metric)
            ax.grid(True, alpha=0.3)
            if ax.lines:
                self._labels.append(end_labels(ax, ax.lines, animated=True))
        legend = curve_legend(fig, earlier + mine, train_name=self.train_name)
        top = legend.get_window_extent().height + 8 if legend is not None else 10
        self._place(axes, top, self.LEFT, self.GAP, self.RIGHT)
        fig.canvas.draw()
        # room for what the fixed margins may not hold at this font size (the slide
        # display's larger fonts): the y tick labels and the axis label left of each
        # panel, the end labels (such as '0.000', 2 % of a panel right of it) right of
        # it; never one panel's end labels over the next one's axis label
        renderer = fig.canvas.get_renderer()
        left = max(ax.bbox.x0 - ax.yaxis.get_tightbbox(renderer).x0 for ax in axes) + 6
        ends = 0.02 * axes[0].bbox.width + self._value_width(renderer) + 6
        if left > self.LEFT or left + ends > self.GAP or ends > self.RIGHT:
            self._place(axes, top, max(self.LEFT, left), max(self.GAP, left + ends),
                        max(self.RIGHT, ends))
            fig.canvas.draw()
        self._background = self.fig.canvas.copy_from_bbox(fig.bbox)
        self.num_full_draws += 1

    def _place(self, axes, top, left, gap, right):
        """Margins in pixels: ``left`` of the first panel, ``gap`` between panels,
        ``right`` of the last, the legend's height ``top`` above them."""
        fig = self.fig
        width, height = fig.bbox.width, fig.bbox.height
        n = len(axes)
        panel = (width - left - right - (n - 1) * gap) / n
        fig.subplots_adjust(left=left / width, right=1 - right / width,
                            bottom=self.BOTTOM / height, top=1 - top / height,
                            wspace=gap / panel if n > 1 else 0.2)

    def _value_width(self, renderer):
        """How wide an end label such as '0.000' is in the end labels' font."""
        texts = [t for labels in self._labels for t in labels.texts]
        probe = self.fig.text(0, 0, '0.000', fontweight='bold',
                              fontsize=texts[0].get_fontsize() if texts else None)
        width = probe.get_window_extent(renderer).width
        probe.remove()
        return width


def _nice_ceil(value):
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of
    ten) at or above ``value``: an axis limit that small growth does not change."""
    if value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if value <= step * scale * (1 + 1e-9):
            return step * scale
    return 10.0 * scale


def _thin(x, y, max_points):
    """At most ``max_points`` evenly spaced points of a curve, always with its last."""
    if len(x) <= max_points:
        return x, y
    idx = np.unique(np.r_[np.linspace(0, len(x) - 1, max_points).astype(int), len(x) - 1])
    return np.asarray(x)[idx], np.asarray(y)[idx]


class LiveFilters(LiveCallback):
    """The filters of the model's first convolution (``conv_index``), per-filter contrast,
    diverging colours centred at 0 (red positive, blue negative).

    ``fast=True`` (the default) encodes the filter mosaic straight to PNG (`array_to_png`,
    about ``width`` pixels wide, no axes or title: a millisecond per redraw, so it can
    follow training closely); ``fast=False`` draws a matplotlib figure whose title tells
    how far training has come."""

    def __init__(self, sink=None, conv_index=0, in_channels='all', max_tiles=64,
                 figsize=(3.2, 3.4), fast=True, width=288, **kwargs):
        super().__init__(sink, figsize=figsize, **kwargs)
        self.conv_index, self.in_channels, self.max_tiles = conv_index, in_channels, max_tiles
        self.fast, self.width = fast, width
        self._image = None
        self.weights = None                # numpy copy of the last weights drawn

    def render(self, trainer, model):
        start = self.clock()
        w = conv_weights(model, self.conv_index)     # waits for the queued batches
        self.wait_seconds += self.clock() - start
        if w is None:                      # deferred initialisation: nothing to draw yet
            return False
        self.weights = w
        if self.fast:
            mosaic, _, _ = filter_mosaic(w, in_channels=self.in_channels,
                                         max_tiles=self.max_tiles)
            return array_to_png(mosaic, width=self.width)
        title = f'conv{self.conv_index + 1} filters, epoch {_progress(trainer):.2f}'
        mosaic, _, _ = filter_mosaic(w, in_channels=self.in_channels,
                                     max_tiles=self.max_tiles)
        if self._image is None or self._image.get_array().shape != mosaic.shape:
            self.fig.clf()
            ax = plot_filters(w, ax=self.fig.add_subplot(), in_channels=self.in_channels,
                              max_tiles=self.max_tiles, title=title)
            self.fig.tight_layout()
            self._image = ax.images[0]
        else:
            self._image.set_data(mosaic)
            self._image.axes.set_title(title)
        return True
