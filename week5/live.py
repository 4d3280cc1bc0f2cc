"""Callbacks that draw while `Trainer.fit` runs: training curves and first-layer filters.

Each callback renders an off-screen matplotlib figure with Agg to PNG bytes and hands the
bytes to a *sink*: a callable ``sink(png)``, or any object with a ``value`` attribute
(an ``ipywidgets.Image``; this module never imports ipywidgets), or None to only keep
the latest picture in ``callback.png``.

Redraws are throttled by time, never per batch: at most ``max_fps`` per second, and
spaced so that drawing takes at most ``budget`` of the wall time (after a redraw that
took d seconds the next one waits d / budget). During an epoch they happen only right
after the Trainer has read its metrics back (a new row in ``trainer.history.batches``):
the curves have something new then, and the device queue is nearly empty, so reading
the weights does not stall training behind the queued batches. A final redraw happens
at the end of ``fit``. Everything, including reading the conv weights, runs on the thread that calls
the hooks, which is the training thread (MXNet state is per thread).
"""
import time

from .core import Callback
from .viz import (array_to_png, conv_weights, curve_data, curve_metrics, draw_curve,
                  figure_to_png, filter_mosaic, new_figure, plot_filters, plot_history)

__all__ = ['LiveCallback', 'LiveCurves', 'LiveFilters']


class LiveCallback(Callback):
    """Base class: throttling, figure, PNG rendering and delivery to the sink.

    Subclasses implement ``render(trainer, model)``: return True after drawing on
    ``self.fig``, PNG bytes when they encoded the picture themselves, or False when
    there is nothing to show yet. Time spent waiting for MXNet to finish the queued
    batches before device data can be read (``self.wait_seconds`` += ...) is training
    time, not drawing: it is kept apart and does not count against the budget.
    Counters for tests and benchmarks: ``num_redraws``, ``render_seconds``,
    ``wait_seconds``, ``png``.
    """

    def __init__(self, sink=None, figsize=(4.0, 3.0), dpi=80, max_fps=2.0, budget=0.02,
                 clock=time.perf_counter):
        if sink is not None and not callable(sink) and not hasattr(sink, 'value'):
            raise TypeError(f'sink must be a callable taking PNG bytes, an object with a '
                            f'.value attribute (an ipywidgets.Image) or None, got '
                            f'{type(sink).__name__}')
        if not max_fps > 0:
            raise ValueError(f'max_fps must be > 0 redraws per second, got {max_fps!r}')
        if not 0 < budget <= 1:
            raise ValueError(f'budget is the largest fraction of time spent drawing, in '
                             f'(0, 1], e.g. 0.02; got {budget!r}')
        self.sink, self.max_fps, self.budget, self.clock = sink, max_fps, budget, clock
        self.fig = new_figure(figsize, dpi=dpi)
        self.png = None
        self.num_redraws = 0
        self.render_seconds = 0.0
        self.wait_seconds = 0.0
        self._next_time = 0.0
        self._rows_seen = 0

    # hooks ------------------------------------------------------------------------
    def on_fit_start(self, trainer, model):
        self._next_time = 0.0
        self._rows_seen = len(trainer.history.batches)
        self.redraw(trainer, model)

    def on_train_batch_end(self, trainer, model, batch_idx):
        rows = len(trainer.history.batches)
        if rows != self._rows_seen:          # the trainer just synced its metrics
            self._rows_seen = rows
            if self.clock() >= self._next_time:
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
        out = self.render(trainer, model)
        if out:
            self.png = out if isinstance(out, bytes) else figure_to_png(self.fig)
            self.num_redraws += 1
            if callable(self.sink):
                self.sink(self.png)
            elif self.sink is not None:
                self.sink.value = self.png
        spent = self.clock() - start - (self.wait_seconds - waited)
        self.render_seconds += spent
        if out:                            # nothing shown yet: try again at the next row
            self._next_time = start + max(1.0 / self.max_fps, spent / self.budget)


def _progress(trainer):
    """Fractional epochs done: ``train_batch_idx`` counts the batches trained in this
    run (across epochs), ``num_train_batches`` those of one epoch."""
    total = getattr(trainer, 'num_train_batches', 0)
    if not total:
        return float(getattr(trainer, 'epoch', 0) or 0)
    return getattr(trainer, 'train_batch_idx', 0) / total


class LiveCurves(LiveCallback):
    """Loss and accuracy curves of the running fit, overlaid on ``previous`` runs
    (objects with ``.history`` and ``.label``, e.g. a TrainingLab's ``runs``)."""

    def __init__(self, sink=None, keys=('train_loss', 'val_loss', 'train_acc', 'val_acc'),
                 previous=(), label='this run', figsize=(7.0, 2.6), **kwargs):
        super().__init__(sink, figsize=figsize, **kwargs)
        self.keys, self.previous, self.label = tuple(keys), list(previous), label
        self._lines = None                 # label -> Line2D once the axes exist

    def _runs(self, trainer):
        runs = [getattr(r, 'history', r) for r in self.previous] + [trainer.history]
        labels = [getattr(r, 'label', f'run {i + 1}') for i, r in enumerate(self.previous)]
        return runs, labels + [self.label]

    def render(self, trainer, model):
        runs, labels = self._runs(trainer)
        lines = curve_data(runs, self.keys, labels)
        if not lines:                      # nothing recorded yet
            return False
        if self._lines is None:
            # first draw: build the axes. Fixed margins and legend place: tight_layout
            # and loc='best' would cost more than the drawing itself.
            self.fig.clf()
            axes = self.fig.subplots(1, len(curve_metrics(self.keys)), squeeze=False)[0]
            self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.17, top=0.96,
                                     wspace=0.25)
            plot_history(runs, self.keys, labels, ax=list(axes), legend_loc='upper right')
            self._lines = {ln.get_label(): ln for a in axes for ln in a.lines}
            return True
        metrics = curve_metrics(self.keys)
        for d in lines:                    # move the data of known lines, add new ones
            line = self._lines.get(d['label'])
            if line is None:
                a = self.fig.axes[metrics.index(d['metric'])]
                self._lines[d['label']] = draw_curve(a, d)
                a.legend(fontsize='small', loc='upper right')
            else:
                line.set_data(d['x'], d['y'])
        for a in self.fig.axes:
            a.relim()
            a.autoscale_view()
        return True


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
