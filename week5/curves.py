"""Training curves: from one or several runs' Histories to lines, legends and end labels.

``curve_data`` turns runs into plain line data (what the live plot and the static plots
share), ``plot_history`` / ``plot_runs`` draw them, ``curve_legend`` keeps the legend
outside the data. Everything takes data; nothing here trains.
"""
import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from .viz import iterate_values, new_axes

__all__ = ['metric_of', 'curve_metrics', 'curve_data', 'draw_curve', 'curve_legend',
           'CurveEndLabels', 'end_labels', 'place_end_labels', 'plot_history', 'plot_runs']


_HISTORY_KEYS = ('train_loss', 'val_loss', 'train_acc', 'val_acc')


def _rows_of(history):
    """(epoch rows, batch rows) of a History, a `to_dict()` dict, columns or rows."""
    if hasattr(history, 'history') and not isinstance(history, Mapping):
        history = history.history          # a lab run or a Trainer
    if hasattr(history, 'epochs') and hasattr(history, 'batches'):
        return list(history.epochs), list(history.batches)
    if isinstance(history, Mapping):
        if 'epochs' in history and isinstance(history['epochs'], Sequence):
            return list(history['epochs']), list(history.get('batches', []))
        columns = {k: list(iterate_values(v)) for k, v in history.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f'history columns have different lengths {sorted(lengths)}; '
                             f'pass one value per epoch for every key')
        n = lengths.pop() if lengths else 0
        rows = [{k: v[i] for k, v in columns.items()} for i in range(n)]
        for i, row in enumerate(rows):
            row.setdefault('epoch', i + 1)
        return rows, []
    if isinstance(history, Sequence) and all(isinstance(r, Mapping) for r in history):
        rows = [dict(r) for r in history]
        for i, row in enumerate(rows):
            row.setdefault('epoch', i + 1)
        return rows, []
    raise TypeError(f'cannot read training curves from {type(history).__name__}: pass a '
                    f'History, its to_dict(), a dict of per-epoch lists or a list of '
                    f'per-epoch dicts')


def _is_one_run(obj):
    if hasattr(obj, 'epochs') or hasattr(obj, 'history'):
        return True
    if isinstance(obj, Mapping):
        return 'epochs' in obj or all(not isinstance(v, Mapping) and not hasattr(v, 'epochs')
                                      for v in obj.values())
    return isinstance(obj, Sequence) and all(isinstance(r, Mapping) and 'epochs' not in r
                                             for r in obj) and len(obj) > 0


def _runs_of(runs, labels):
    """[(label, epoch rows, batch rows)] for one run, a list of runs or {label: run}."""
    if _is_one_run(runs):
        runs = [runs]
    if not isinstance(runs, (Mapping, Sequence)):
        _rows_of(runs)  # raises the TypeError that names the accepted inputs
    if isinstance(runs, Mapping):
        labels = list(runs.keys()) if labels is None else labels
        runs = list(runs.values())
    runs = list(runs)
    if labels is not None:
        labels = [labels] if isinstance(labels, str) else list(labels)
        if len(labels) != len(runs):
            raise ValueError(f'labels has {len(labels)} entries for {len(runs)} runs; '
                             f'pass one label per run')
    out = []
    for i, run in enumerate(runs):
        label = labels[i] if labels is not None else getattr(run, 'label', None)
        if label is None:
            label = f'run {i + 1}' if len(runs) > 1 else ''
        out.append((str(label), *_rows_of(run)))
    return out


def metric_of(key):
    """The panel of a History key: 'loss' for 'train_loss' and 'val_loss'."""
    for prefix in ('train_', 'val_'):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _series(key, epochs, batches, use_batches):
    """x (fractional epochs) and y of one key: batch rows for train keys when present."""
    rows, xkey = epochs, 'epoch'
    if use_batches and key.startswith('train_') and any(key in r for r in batches):
        rows, xkey = batches, 'step'
    pts = [(float(r[xkey]), float(r[key])) for r in rows
           if r.get(key) is not None and r.get(xkey) is not None
           and math.isfinite(float(r[key]))]
    return [p[0] for p in pts], [p[1] for p in pts]


def curve_metrics(keys):
    """The panels `plot_history` draws for ``keys``: ['loss', 'acc'] for the defaults."""
    keys = [keys] if isinstance(keys, str) else list(keys)
    return list(dict.fromkeys(metric_of(k) for k in keys))


def curve_data(runs, keys=_HISTORY_KEYS, labels=None, use_batches=True):
    """The lines `plot_history` draws, as data: one dict per (run, key) that has points,
    with 'label', 'key', 'metric', 'x', 'y', 'color', 'val', 'run' (index of the run)
    and 'run_label'."""
    keys = [keys] if isinstance(keys, str) else list(keys)
    if not keys:
        raise ValueError('keys is empty: name at least one History key, e.g. "train_loss"')
    out = []
    for i, (label, epochs, batches) in enumerate(_runs_of(runs, labels)):
        for key in keys:
            x, y = _series(key, epochs, batches, use_batches)
            if x:
                out.append({'label': f'{label} {key}'.strip(), 'key': key,
                            'metric': metric_of(key), 'x': x, 'y': y, 'color': f'C{i % 10}',
                            'val': not key.startswith('train_'), 'run': i,
                            'run_label': label})
    return out


def draw_curve(ax, line):
    """Draw one entry of `curve_data` on ``ax`` in the style of `plot_history` (train
    solid, validation dashed with markers); returns the Line2D."""
    (drawn,) = ax.plot(line['x'], line['y'], color=line['color'],
                       linestyle='--' if line['val'] else '-',
                       marker='o' if line['val'] else None, markersize=3,
                       label=line['label'])
    return drawn


def curve_legend(ax, lines, width=None, fontsize=None, train_name='train'):
    """One legend for a row of curve panels, outside the plotting area: a colour per
    labelled run, then the two line styles (train solid, validation dashed).

    ``ax``: an Axes (the legend goes just above it) or a Figure (at its top left corner;
    with the constrained layout, above all its panels, in the room the layout makes).
    ``lines``: `curve_data` entries. The columns wrap so that the legend is at most
    ``width`` display pixels wide (default: the width of ``ax``), which keeps it inside
    the space that tight and constrained layouts make for it. ``fontsize`` None: the
    rcParams' legend size, which `png.use_slide_display` sets to the slide size (a
    relative size such as 'small' would shrink it below). ``train_name`` names the solid
    train line (e.g. what its points are means of); the columns wrap for it too. Returns
    the Legend, or None when there is nothing to explain."""
    runs = dict.fromkeys((d['run_label'], d['color']) for d in lines if d['run_label'])
    handles = [Line2D([], [], color=c, linewidth=2, label=r) for r, c in runs]
    kinds = dict.fromkeys(d['val'] for d in lines)
    if runs or len(kinds) > 1:
        neutral = '0.35' if runs else lines[0]['color']
        handles += [Line2D([], [], color=neutral, linestyle='--' if val else '-',
                           marker='o' if val else None, markersize=3,
                           label='validation' if val else train_name) for val in sorted(kinds)]
    if not handles:
        return None
    width = ax.bbox.width if width is None else width
    if not isinstance(ax, Figure):
        place = dict(loc='lower left', bbox_to_anchor=(0.0, 1.02), borderaxespad=0.0)
    elif _constrained(ax):
        place = dict(loc='outside upper left')
    else:
        place = dict(loc='upper left', bbox_to_anchor=(0.0, 1.0), borderaxespad=0.3)
    for ncol in range(len(handles), 0, -1):
        legend = ax.legend(handles=handles, ncol=ncol, frameon=False, fontsize=fontsize,
                           handlelength=1.8, columnspacing=1.2, **place)
        if ncol == 1 or legend.get_window_extent().width <= width:
            return legend
        legend.remove()


class CurveEndLabels(Artist):
    """The final value of each curve (Line2D) written just right of the plotting area,
    level with the curve's end, in the curve's colour (bold for validation curves, which
    are dashed). The labels are placed when drawn, after any layout engine has sized the
    axes, and pushed apart vertically so that none overlaps another. ``texts`` are the
    Text artists; layouts (tight, constrained, bbox_inches='tight') see their extent."""

    def __init__(self, ax, curves, fontsize=None):
        super().__init__()
        self.axes = ax
        self.set_figure(ax.figure)
        self.set_clip_on(False)
        self.curves = list(curves)
        self.texts = []
        for line in self.curves:
            text = Text(1.02, 0.5, '', transform=ax.transAxes, color=line.get_color(),
                        fontsize=fontsize, va='center', ha='left', clip_on=False,
                        fontweight='bold' if line.get_linestyle() == '--' else 'normal')
            text.set_figure(ax.figure)
            self.texts.append(text)

    def place(self):
        place_end_labels(self.axes, self.texts, self.curves)

    def draw(self, renderer):
        if not self.get_visible():
            return
        self.place()
        for text in self.texts:
            text.draw(renderer)
        self.stale = False

    def get_window_extent(self, renderer=None):
        self.place()
        boxes = [t.get_window_extent(renderer) for t in self.texts
                 if t.get_visible() and t.get_text()]
        return Bbox.union(boxes) if boxes else Bbox.null()


def end_labels(ax, curves, animated=False, fontsize=None):
    """Add a `CurveEndLabels` for ``curves`` (Line2Ds) to ``ax`` and return it
    (``fontsize`` None: the rcParams' font size, slide-sized under `png.slide_fonts`)."""
    labels = CurveEndLabels(ax, curves, fontsize=fontsize)
    labels.set_animated(animated)
    ax.add_artist(labels)
    labels.set_clip_on(False)            # add_artist clips to the axes by default
    labels.set_clip_path(None)
    return labels


def place_end_labels(ax, texts, curves):
    """Move each Text of a `CurveEndLabels` to the end of its curve, write its last value,
    and push the texts apart (by a line of text, in the axes' current size)."""
    ends = []
    ylo, yhi = ax.get_ylim()
    for text, line in zip(texts, curves):
        y = np.asarray(line.get_ydata(), dtype=float)
        y = y[np.isfinite(y)]
        text.set_visible(bool(len(y)))
        if len(y):
            text.set_text(_value_text(y[-1]))
            frac = (y[-1] - ylo) / (yhi - ylo) if yhi != ylo else 0.5
            ends.append([min(max(frac, 0.0), 1.0), text])
    if not ends:
        return
    size = ends[0][1].get_fontsize()
    height = max(ax.bbox.height, 1.0)
    gap = 1.2 * size * ax.figure.dpi / 72 / height   # a line of text, in axes fractions
    ends.sort(key=lambda e: e[0])
    for i in range(1, len(ends)):            # push up ...
        ends[i][0] = max(ends[i][0], ends[i - 1][0] + gap)
    overflow = ends[-1][0] - 1.0
    if overflow > 0:                           # ... then back down into the axes
        ends[-1][0] -= overflow
        for i in range(len(ends) - 2, -1, -1):
            ends[i][0] = min(ends[i][0], ends[i + 1][0] - gap)
    for frac, text in ends:
        text.set_position((1.02, frac))


def _value_text(value):
    return f'{value:.2f}' if abs(value) < 100 else f'{value:.0f}'


def plot_history(runs, keys=_HISTORY_KEYS, labels=None, ax=None, use_batches=True,
                 figsize=None, legend_loc='outside', values=True, train_name='train'):
    """Training curves of one or several runs, overlaid.

    ``runs``: a History (or `Trainer`, or lab run), its ``to_dict()``, a dict of per-epoch
    lists, a list of per-epoch dicts, or a list / ``{label: run}`` dict of any of these.
    Each run gets one colour and is labelled by ``labels`` (or its ``.label``); train
    curves are solid (per reporting interval when batch rows exist), validation dashed
    with markers. One panel per metric (loss, acc, ...) when ``ax`` is None or a
    sequence with one axes per metric; everything on one panel when ``ax`` is an Axes.

    Nothing is drawn over the data: ``legend_loc='outside'`` puts one legend (a colour
    per run, a line style per split) above the panels, and ``values`` writes each
    curve's final value just right of its panel, level with the curve's end. Any other
    ``legend_loc`` (e.g. 'best') puts a legend of every line inside each panel, as
    before; None leaves the legend out. With ``ax=None`` the new figure uses the
    constrained layout, which makes room for both. ``train_name``: the outside legend's
    name for the solid train lines. Returns the list of axes.
    """
    lines = curve_data(runs, keys, labels, use_batches)
    metrics = curve_metrics(keys)
    if ax is None:
        figsize = figsize or (3.6 * len(metrics) + 0.4, 3.0)
        axes = list(np.ravel(new_axes(1, len(metrics), figsize=figsize,
                                       layout='constrained')))
    elif isinstance(ax, Axes):
        axes = [ax] * len(metrics)
    else:
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) != len(metrics):
            raise ValueError(f'ax has {len(axes)} axes for {len(metrics)} metrics '
                             f'{metrics}; pass one axes per metric, one Axes, or ax=None')
    for line in lines:
        draw_curve(axes[metrics.index(line['metric'])], line)
    panels = list(dict.fromkeys(axes))
    for a in panels:
        names = [m for m, b in zip(metrics, axes) if b is a]
        a.set_xlabel('epoch')
        a.set_ylabel(', '.join(names))
        a.grid(True, alpha=0.3)
        if values and a.lines:
            end_labels(a, a.lines)
        if a.lines and legend_loc not in ('outside', None):
            a.legend(loc=legend_loc)
    if lines and legend_loc == 'outside':
        # with the constrained layout (our own figure, or the caller's): above every
        # panel; otherwise above the first panel, within its width, where the tight
        # layout makes room for it
        fig = panels[0].figure
        curve_legend(fig if _constrained(fig) else panels[0], lines, train_name=train_name)
    return panels


def _constrained(fig):
    return type(fig.get_layout_engine()).__name__ == 'ConstrainedLayoutEngine'


def plot_runs(runs, keys=('train_loss', 'val_acc')):
    """Overlaid curves of ``{label: Run}``, one colour per run: by default the training
    loss and the validation accuracy (pass ``keys`` for more)."""
    return plot_history({label: run.history for label, run in runs.items()}, keys)
