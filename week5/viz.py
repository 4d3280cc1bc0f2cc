"""Pure plotting: training curves, image grids, filter grids, feature maps, confusion
matrices, and the book's `show_images` / `use_svg_display` / `set_figsize`.

Every plotting function takes data (numpy arrays, MXNet arrays, History objects or plain
rows) and an optional ``ax``; it draws on that axes, or on a new pyplot figure when
``ax`` is None, and returns what it drew on. Nothing here trains or keeps state, so all
of it is testable under the Agg backend.

Importing this module changes no rcParams and no display mode, and does not import
``matplotlib.pyplot`` (pyplot is imported only when a function needs a new figure).
Off-screen rendering for live plots uses `new_figure` + `figure_to_png`: a pyplot-free
``Figure`` drawn by Agg, which is safe from a background thread.
"""
import dataclasses
import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
import matplotlib
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from mxnet import autograd
from mxnet.gluon import nn
from PIL import Image

from .core import child_blocks
from .models import Inception, NiNConfig, VGGConfig
from .models.blocks import Conv, Dense, Dropout, Flatten, GlobalAvgPool, Pool, Stage
from .models.googlenet import InceptionSpec
from .summary import iter_layers, layer_costs, layer_summary

__all__ = ['use_svg_display', 'set_figsize', 'set_axes', 'plot', 'show_images',
           'show_image_grid', 'metric_of', 'curve_metrics', 'curve_data', 'draw_curve',
           'curve_legend', 'CurveEndLabels', 'end_labels', 'place_end_labels', 'plot_history',
           'run_label', 'format_metrics',
           'filter_mosaic', 'plot_filters', 'plot_feature_maps', 'list_layers',
           'feature_maps', 'conv_layers', 'conv_weights', 'confusion_matrix',
           'plot_confusion_matrix', 'new_figure', 'array_to_png', 'figure_to_png',
           'canvas_to_png', 'png_size', 'to_mx_array', 'plot_runs', 'plot_gradient_norms',
           'plot_accuracy_vs_cost', 'architecture_rows', 'draw_architecture',
           'layer_by_layer_maps', 'plot_layer_by_layer', 'plot_filters_before_after',
           'inception_blocks', 'draw_inception_block', 'inception_branch_maps',
           'plot_inception_branches', 'draw_nin_vs_vgg_block']

# Diverging map for signed weights: red positive, blue negative, white at zero.
SIGNED_CMAP = 'RdBu_r'
TILE_GAP_COLOR = '0.85'  # light grey between tiles of a mosaic

_HISTORY_KEYS = ('train_loss', 'val_loss', 'train_acc', 'val_acc')


# --------------------------------------------------------------------------- the book's
def use_svg_display():
    """Use the svg format to display plots in Jupyter (explicit; never at import).

    Outside IPython this does nothing. Note that nbval compares SVG output, so a cell
    that draws after this call must not be a checked cell.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # no IPython: nothing to configure
        return
    if get_ipython() is None:
        return
    from matplotlib_inline import backend_inline
    backend_inline.set_matplotlib_formats('svg')


def set_figsize(figsize=(3.5, 2.5)):
    """Set the default figure size for matplotlib (the book's helper; explicit)."""
    _check_pair(figsize, 'figsize')
    use_svg_display()
    matplotlib.rcParams['figure.figsize'] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Set the labels, limits, scales and legend of a matplotlib axes (the book's)."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'), figsize=(3.5, 2.5),
         axes=None):
    """Plot data points (the book's `d2l.plot`); returns the axes."""
    def has_one_axis(X):
        return (hasattr(X, 'ndim') and X.ndim == 1
                or isinstance(X, list) and not hasattr(X[0], '__len__'))

    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    if axes is None:
        axes = _new_axes(figsize=figsize)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        x, y = _to_numpy(x), _to_numpy(y)
        axes.plot(x, y, fmt) if len(x) else axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    return axes


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5, ax=None):
    """Plot a list of images in a ``num_rows`` x ``num_cols`` grid (the book's helper).

    Images may be MXNet or numpy arrays shaped (H, W), (H, W, C) or (C, H, W) with C in
    (1, 3, 4); single-channel images are drawn in grey. Returns the flat array of axes
    (``ax``: an existing sequence of at least ``num_rows * num_cols`` axes).
    """
    num_rows, num_cols = _positive_int(num_rows, 'num_rows'), _positive_int(num_cols, 'num_cols')
    if ax is None:
        axes = _new_axes(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    else:
        axes = ax
    axes = np.asarray(axes, dtype=object).ravel()
    if len(axes) < num_rows * num_cols:
        raise ValueError(f'ax has {len(axes)} axes but num_rows * num_cols = '
                         f'{num_rows * num_cols}; pass that many axes or ax=None')
    titles = list(titles) if titles is not None else None
    for i, (a, img) in enumerate(zip(axes, imgs)):
        img = _as_image(img)
        a.imshow(img, cmap='gray' if img.ndim == 2 else None)
        a.axes.get_xaxis().set_visible(False)
        a.axes.get_yaxis().set_visible(False)
        if titles and i < len(titles):
            a.set_title(titles[i])
    return axes


def show_image_grid(images, labels=None, preds=None, class_names=None, num_cols=8,
                    scale=1.5, ax=None):
    """Images with their labels; with ``preds``, each title reads 'true / predicted'
    and the wrong ones are red. Returns the flat array of axes."""
    images = [_as_image(img) for img in _iterate(images)]
    if not images:
        raise ValueError('images is empty: pass at least one image')
    num_cols = min(_positive_int(num_cols, 'num_cols'), len(images))
    num_rows = math.ceil(len(images) / num_cols)

    def names(values, what):
        if values is None:
            return None
        values = [v.item() if hasattr(v, 'item') else v for v in _iterate(values)]
        if len(values) != len(images):
            raise ValueError(f'{what} has {len(values)} entries for {len(images)} images; '
                             f'pass one per image')
        if class_names is None:
            return [str(v) for v in values]
        return [class_names[int(v)] if not isinstance(v, str) else v for v in values]

    true, pred = names(labels, 'labels'), names(preds, 'preds')
    titles = None
    if true is not None and pred is not None:
        titles = [t if t == p else f'{t}\n{p}' for t, p in zip(true, pred)]
    elif true is not None or pred is not None:
        titles = true if true is not None else pred
    axes = show_images(images, num_rows, num_cols, titles=titles, scale=scale, ax=ax)
    for a in axes[len(images):]:
        a.set_visible(False)
    if true is not None and pred is not None:
        for a, t, p in zip(axes, true, pred):
            a.title.set_color('black' if t == p else 'red')
    return axes


# ------------------------------------------------------------------------- training curves
def _rows_of(history):
    """(epoch rows, batch rows) of a History, a `to_dict()` dict, columns or rows."""
    if hasattr(history, 'history') and not isinstance(history, Mapping):
        history = history.history          # a lab run or a Trainer
    if hasattr(history, 'epochs') and hasattr(history, 'batches'):
        return list(history.epochs), list(history.batches)
    if isinstance(history, Mapping):
        if 'epochs' in history and isinstance(history['epochs'], Sequence):
            return list(history['epochs']), list(history.get('batches', []))
        columns = {k: list(_iterate(v)) for k, v in history.items()}
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


def curve_legend(ax, lines, width=None, fontsize='small'):
    """One legend for a row of curve panels, outside the plotting area: a colour per
    labelled run, then the two line styles (train solid, validation dashed).

    ``ax``: an Axes (the legend goes just above it) or a Figure (at its top left corner;
    with the constrained layout, above all its panels, in the room the layout makes).
    ``lines``: `curve_data` entries. The columns wrap so that the legend is at most
    ``width`` display pixels wide (default: the width of ``ax``), which keeps it inside
    the space that tight and constrained layouts make for it. Returns the Legend, or
    None when there is nothing to explain."""
    runs = dict.fromkeys((d['run_label'], d['color']) for d in lines if d['run_label'])
    handles = [Line2D([], [], color=c, linewidth=2, label=r) for r, c in runs]
    kinds = dict.fromkeys(d['val'] for d in lines)
    if runs or len(kinds) > 1:
        neutral = '0.35' if runs else lines[0]['color']
        handles += [Line2D([], [], color=neutral, linestyle='--' if val else '-',
                           marker='o' if val else None, markersize=3,
                           label='validation' if val else 'train') for val in sorted(kinds)]
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

    def __init__(self, ax, curves, fontsize='small'):
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


def end_labels(ax, curves, animated=False, fontsize='small'):
    """Add a `CurveEndLabels` for ``curves`` (Line2Ds) to ``ax`` and return it."""
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
                 figsize=None, legend_loc='outside', values=True):
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
    constrained layout, which makes room for both. Returns the list of axes.
    """
    lines = curve_data(runs, keys, labels, use_batches)
    metrics = curve_metrics(keys)
    if ax is None:
        figsize = figsize or (3.6 * len(metrics) + 0.4, 3.0)
        axes = list(np.ravel(_new_axes(1, len(metrics), figsize=figsize,
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
            a.legend(fontsize='small', loc=legend_loc)
    if lines and legend_loc == 'outside':
        # with the constrained layout (our own figure, or the caller's): above every
        # panel; otherwise above the first panel, within its width, where the tight
        # layout makes room for it
        fig = panels[0].figure
        curve_legend(fig if _constrained(fig) else panels[0], lines)
    return panels


def _constrained(fig):
    return type(fig.get_layout_engine()).__name__ == 'ConstrainedLayoutEngine'


def run_label(config=None, **extra):
    """Short label of a run: the config fields that differ from their defaults plus
    ``extra`` (e.g. lr=0.1), like 'activation=relu, kernel_sizes=(3, 5), lr=0.1'."""
    parts = []
    if config is not None:
        if not dataclasses.is_dataclass(config):
            raise TypeError(f'config must be a dataclass instance, got '
                            f'{type(config).__name__}')
        for f in dataclasses.fields(config):
            value = getattr(config, f.name)
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = object()
            if value != default:
                parts.append(f'{f.name}={_short(value)}')
    parts += [f'{k}={_short(v)}' for k, v in extra.items()]
    return ', '.join(parts) if parts else 'defaults'


def format_metrics(row, keys=('train_loss', 'train_acc', 'val_loss', 'val_acc'), digits=3):
    """'train_loss 0.512, train_acc 0.812, ...' with values rounded to ``digits``."""
    parts = [f'{k} {float(row[k]):.{digits}f}' for k in keys
             if row.get(k) is not None and math.isfinite(float(row[k]))]
    return ', '.join(parts)


# ---------------------------------------------------------------------- filters and maps
def filter_mosaic(weights, num_cols=None, in_channels='all', max_tiles=256, gap=1,
                  scale=None):
    """Tile conv weights into one 2-D array, each filter scaled to [-1, 1] on its own.

    ``weights``: (out, in, kh, kw), (out, kh, kw) or (kh, kw). With one input channel the
    filters fill a near-square grid; with several, ``in_channels='all'`` puts one filter
    per row and its input channels in columns, ``'mean'`` averages them and an int picks
    one. Per-filter normalisation divides by the filter's largest absolute weight (or by
    ``scale[i]`` for filter i, to compare two sets of weights on one scale), so
    0 stays 0 and the sign is kept. Gaps are NaN. Returns (mosaic, num_rows, num_cols).
    """
    w = _to_numpy(weights).astype(np.float64)
    if w.ndim == 2:
        w = w[None, None]
    elif w.ndim == 3:
        w = w[:, None]
    if w.ndim != 4 or 0 in w.shape:
        raise ValueError(f'weights has shape {w.shape}; pass conv weights shaped '
                         f'(out_channels, in_channels, kh, kw)')
    if in_channels == 'mean':
        w = w.mean(axis=1, keepdims=True)
    elif isinstance(in_channels, (int, np.integer)) and not isinstance(in_channels, bool):
        if not 0 <= in_channels < w.shape[1]:
            raise ValueError(f'in_channels={in_channels} but the weights have '
                             f'{w.shape[1]} input channels; pick 0..{w.shape[1] - 1}')
        w = w[:, [in_channels]]
    elif in_channels != 'all':
        raise ValueError(f"in_channels={in_channels!r}; use 'all', 'mean' or a channel index")
    if scale is None:
        scale = np.abs(w).reshape(len(w), -1).max(axis=1)
    scale = np.asarray(scale, dtype=np.float64)
    w = w / np.where(scale > 0, scale, 1.0)[:, None, None, None]
    out, cin, kh, kw = w.shape
    if cin == 1:
        n = min(out, _positive_int(max_tiles, 'max_tiles'))
        cols = num_cols or math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        tiles = [w[i, 0] for i in range(n)]
    else:
        rows = min(out, max(1, max_tiles // cin))
        cols = cin
        tiles = [w[i, c] for i in range(rows) for c in range(cin)]
    mosaic = np.full((rows * (kh + gap) - gap, cols * (kw + gap) - gap), np.nan)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        mosaic[r * (kh + gap):r * (kh + gap) + kh, c * (kw + gap):c * (kw + gap) + kw] = tile
    return mosaic, rows, cols


def plot_filters(weights, ax=None, num_cols=None, in_channels='all', max_tiles=256,
                 title=None, colorbar=False, scale=None):
    """Conv filters as one grid of tiles, per-filter contrast (``scale``: see
    `filter_mosaic`), diverging colour map centred at 0 (red positive, blue negative).
    Returns the axes."""
    mosaic, rows, cols = filter_mosaic(weights, num_cols, in_channels, max_tiles,
                                       scale=scale)
    if ax is None:
        ax = _new_axes(figsize=(max(2.0, 0.45 * cols), max(2.0, 0.45 * rows)))
    cmap = matplotlib.colormaps[SIGNED_CMAP].copy()
    cmap.set_bad(TILE_GAP_COLOR)
    im = ax.imshow(mosaic, cmap=cmap, vmin=-1.0, vmax=1.0, interpolation='nearest')
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_feature_maps(maps, ax=None, num_cols=None, max_maps=64, title=None):
    """The channels of one activation, (C, H, W) or (1, C, H, W), as a grid of tiles,
    each scaled by its own largest absolute value. Non-negative maps (after ReLU) use
    'viridis' on [0, 1]; signed maps the diverging map on [-1, 1]. Returns the axes."""
    m = _to_numpy(maps).astype(np.float64)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim == 2:
        m = m[None]
    if m.ndim != 3:
        raise ValueError(f'maps has shape {m.shape}; pass one image\'s activations shaped '
                         f'(channels, height, width), e.g. feature_maps(net, X, layer)[0]')
    signed = bool((m < 0).any())
    mosaic, rows, cols = filter_mosaic(m, num_cols=num_cols, max_tiles=max_maps)
    if ax is None:
        ax = _new_axes(figsize=(max(2.0, 0.9 * cols), max(2.0, 0.9 * rows)))
    cmap = matplotlib.colormaps[SIGNED_CMAP if signed else 'viridis'].copy()
    cmap.set_bad(TILE_GAP_COLOR)
    ax.imshow(mosaic, cmap=cmap, vmin=-1.0 if signed else 0.0, vmax=1.0,
              interpolation='nearest')
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax


def _net_of(model):
    return getattr(model, 'net', model)


def _layer_path(net):
    """The top-level layers of a (Hybrid)Sequential net, in order."""
    try:
        return [net[i] for i in range(len(net))]
    except TypeError:
        raise TypeError(f'{type(net).__name__} is not a Sequential network; pass a model '
                        f'whose .net is an nn.Sequential / nn.HybridSequential') from None


def list_layers(model, X_shape):
    """[(index, 'index: Name', output shape)] of the model's top-level layers for an input
    of ``X_shape`` (e.g. (1, 1, 28, 28)). Runs one forward pass on zeros."""
    X = to_mx_array(np.zeros(tuple(X_shape), dtype=np.float32))
    out = []
    for i, layer in enumerate(_layer_path(_net_of(model))):
        X = layer(X)
        out.append((i, f'{i}: {type(layer).__name__}', tuple(X.shape)))
    return out


def feature_maps(model, X, layer):
    """The output of top-level layer ``layer`` (index, or 'index: Name' from
    `list_layers`) of the model's net for input ``X`` (numpy or MXNet, (C, H, W) or
    (N, C, H, W)), as a numpy array. Call it on the thread that trains the model."""
    layers = _layer_path(_net_of(model))
    if isinstance(layer, str):
        layer = int(layer.split(':', 1)[0])
    if not -len(layers) <= int(layer) < len(layers):
        raise ValueError(f'layer={layer} but the net has {len(layers)} top-level layers; '
                         f'pick 0..{len(layers) - 1} (see list_layers)')
    layer = int(layer) % len(layers)
    X = _to_numpy(X).astype(np.float32)
    if X.ndim == 3:
        X = X[None]
    X = to_mx_array(X)
    for blk in layers[:layer + 1]:
        X = blk(X)
    return X.asnumpy()


def conv_layers(model):
    """[(path, block)] of every convolution in the model's net, depth first, e.g.
    [('0', Conv2D), ('3.0', Conv2D), ...] (nested blocks joined by dots)."""
    return [(path, block) for path, block, _ in iter_layers(_net_of(model))
            if isinstance(block, (nn.Conv1D, nn.Conv2D, nn.Conv3D))]


def conv_weights(model, index=0):
    """The weights of the model's ``index``-th convolution (0: the first layer) as a numpy
    array (out, in, kh, kw), or None while they are not initialised yet (deferred
    initialisation waits for the first forward pass). The array is a copy: keep
    ``before = conv_weights(model)`` before training to compare with the trained filters
    (`plot_filters_before_after`).
    Call it on the thread that trains the model (MXNet state is per thread)."""
    from mxnet.gluon.parameter import DeferredInitializationError
    convs = conv_layers(model)
    if not convs:
        raise ValueError(f'{type(_net_of(model)).__name__} has no convolution layer; '
                         f'filters exist only for convolutional networks')
    if not -len(convs) <= index < len(convs):
        raise ValueError(f'index={index} but the net has {len(convs)} conv layers; '
                         f'pick 0..{len(convs) - 1}')
    try:
        return convs[index][1].weight.data().asnumpy()
    except DeferredInitializationError:
        return None
    except RuntimeError as err:           # initialize() not called yet
        if 'not been initialized' in str(err):
            return None
        raise


# ------------------------------------------------------------------------------ confusion
def confusion_matrix(y_true, y_pred, num_classes=None):
    """counts[i, j] = number of examples of class i predicted as j."""
    y_true = _to_numpy(y_true).astype(np.int64).ravel()
    y_pred = _to_numpy(y_pred).astype(np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f'y_true has {y_true.size} labels but y_pred {y_pred.size}; '
                         f'pass one prediction per label')
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0
                        or max(y_true.max(), y_pred.max()) >= num_classes):
        raise ValueError(f'labels must lie in 0..{num_classes - 1}; raise num_classes')
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion_matrix(counts, class_names=None, normalize=True, ax=None,
                          annotate=True, digits=2):
    """Rows are true classes, columns predictions; ``normalize`` divides each row by its
    total (recall per class). Returns the axes."""
    counts = _to_numpy(counts)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f'counts has shape {counts.shape}; pass a square matrix '
                         f'from confusion_matrix(y_true, y_pred)')
    n = counts.shape[0]
    if class_names is not None and len(class_names) != n:
        raise ValueError(f'class_names has {len(class_names)} names for {n} classes')
    values = counts.astype(np.float64)
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    if ax is None:
        ax = _new_axes(figsize=(0.5 * n + 2, 0.5 * n + 1.5))
    ax.imshow(values, cmap='Blues', vmin=0, vmax=1.0 if normalize else values.max() or 1)
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    ax.set_xticks(range(n), names, rotation=90)
    ax.set_yticks(range(n), names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    if annotate:
        top = values.max() or 1
        for i in range(n):
            for j in range(n):
                v = values[i, j]
                text = f'{v:.{digits}f}' if normalize else f'{int(v)}'
                ax.text(j, i, text, ha='center', va='center', fontsize='x-small',
                        color='white' if v > top / 2 else 'black')
    return ax


# ---------------------------------------------------------------------- figures and bytes
def array_to_png(values, cmap=SIGNED_CMAP, vmin=-1.0, vmax=1.0, scale=None,
                 width=288, bad=TILE_GAP_COLOR):
    """A 2-D array (e.g. a `filter_mosaic`) straight to PNG bytes through a colour map,
    each value a ``scale`` x ``scale`` block (default: about ``width`` pixels wide), NaN
    in the ``bad`` colour. No axes and no text, so it takes about a millisecond where a
    figure takes tens: what live filter plots use."""
    from matplotlib.image import imsave
    values = _to_numpy(values).astype(np.float64)
    if values.ndim != 2 or 0 in values.shape:
        raise ValueError(f'values has shape {values.shape}; pass a non-empty 2-D array')
    if scale is None:
        scale = max(1, width // values.shape[1])
    cm = matplotlib.colormaps[cmap].copy()
    cm.set_bad(bad)
    big = np.repeat(np.repeat(values, scale, axis=0), scale, axis=1)
    buf = io.BytesIO()
    imsave(buf, big, cmap=cm, vmin=vmin, vmax=vmax, format='png')
    return buf.getvalue()


def new_figure(figsize=(4.0, 3.0), dpi=80, layout=None):
    """A figure that belongs to no pyplot window, drawn by Agg: for off-screen,
    any-thread rendering. ``layout='tight'`` or ``'constrained'`` re-runs the layout at
    every save (slow for live redraws; live plots fix their margins once instead)."""
    fig = Figure(figsize=figsize, dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def figure_to_png(fig, dpi=None):
    """Render a figure with Agg and return the PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi)
    return buf.getvalue()


def canvas_to_png(fig):
    """PNG bytes of what the figure's Agg canvas holds now, without drawing it again
    (after ``canvas.draw()`` or blitting with ``restore_region`` / ``draw_artist``):
    a few milliseconds where `figure_to_png` re-renders the whole figure."""
    canvas = fig.canvas
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer('RGBA', (width, height), canvas.buffer_rgba(), 'raw', 'RGBA', 0, 1)
    buf = io.BytesIO()
    image.save(buf, format='png', compress_level=1)
    return buf.getvalue()


def png_size(png):
    """(width, height) in pixels of PNG bytes, read from the header: size an image
    widget to this (or to a width and ``height = width * h / w``) so that the picture
    keeps its own aspect ratio."""
    if not isinstance(png, (bytes, bytearray)) or png[:8] != b'\x89PNG\r\n\x1a\n' or len(png) < 24:
        raise ValueError('png must be the bytes of a PNG image (they start with \\x89PNG)')
    return int.from_bytes(png[16:20], 'big'), int.from_bytes(png[20:24], 'big')


# ------------------------------------------------------------------------------- helpers
def _new_axes(num_rows=1, num_cols=1, figsize=None, layout=None):
    import matplotlib.pyplot as plt
    _, axes = plt.subplots(num_rows, num_cols, figsize=figsize, squeeze=True, layout=layout)
    return axes


def _to_numpy(x):
    if hasattr(x, 'asnumpy'):
        return x.asnumpy()
    return np.asarray(x)


def to_mx_array(x):
    """An MXNet array of the flavour the current thread uses (npx.set_np() or legacy)."""
    import mxnet as mx
    if mx.util.is_np_array():
        return mx.np.array(x)
    return mx.nd.array(x)


def _iterate(x):
    x = _to_numpy(x) if hasattr(x, 'asnumpy') else x
    return list(x)


def _as_image(img):
    img = _to_numpy(img)
    if img.ndim == 3 and img.shape[0] in (1, 3, 4) and img.shape[-1] not in (1, 3, 4):
        img = np.transpose(img, (1, 2, 0))
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3):
        raise ValueError(f'an image has shape {img.shape}; pass (H, W), (H, W, C) or '
                         f'(C, H, W) arrays (squeeze the batch axis first)')
    return img


def _short(value):
    if isinstance(value, float):
        return f'{value:g}'
    if isinstance(value, (list, tuple)):
        return '(' + ', '.join(_short(v) for v in value) + (',)' if len(value) == 1 else ')')
    return str(value)


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f'{name} must be a positive integer, got {value!r}')
    return int(value)


def _check_pair(value, name):
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and v > 0 for v in value)):
        raise ValueError(f'{name} must be a (width, height) pair of positive numbers in '
                         f'inches, got {value!r}')


# --------------------------------------------------------------------------- experiments
def _axes(figsize):
    import matplotlib.pyplot as plt
    return plt.subplots(figsize=figsize)[1]

def plot_runs(runs, keys=('train_loss', 'val_acc')):
    """Overlaid curves of ``{label: Run}``, one colour per run: by default the training
    loss and the validation accuracy (pass ``keys`` for more)."""
    return plot_history({label: run.history for label, run in runs.items()}, keys)

def plot_gradient_norms(grads, ax=None):
    """Gradient norm per layer (log scale), one line per activation."""
    if ax is None:
        ax = _axes((5.0, 2.8))
    for name, rows in grads.items():
        ax.plot([label for label, _ in rows], [norm for _, norm in rows], marker='o',
                label=name)
    ax.set_yscale('log')
    ax.set_xlabel('layer (input side → output side)')
    ax.set_ylabel('weight gradient norm')
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax

def plot_accuracy_vs_cost(runs, ax=None, cost='time'):
    """Validation accuracy against cost, one point per network: ``{label: Run}``, or
    ``{label: [Run, ...]}`` over seeds (then the mean with error bars of one standard
    deviation). ``cost``: 'time' (training ms per example, log scale) or 'params'
    (learned parameters, log scale)."""
    if ax is None:
        ax = _axes((6.0, 3.4))
    for i, (label, seeded) in enumerate(runs.items()):
        seeded = seeded if isinstance(seeded, (list, tuple)) else [seeded]
        accs = np.array([r.history.last('val_acc') for r in seeded], dtype=float)
        if cost == 'params':
            x = float(seeded[0].params)
        else:
            x = float(np.mean([1e3 / r.history.last('examples_per_sec', float('nan'))
                               for r in seeded]))
        ax.errorbar([x], [accs.mean()], yerr=[accs.std(ddof=1) if len(accs) > 1 else 0.0],
                    fmt='o', ms=7, capsize=4, color=f'C{i % 10}')
        ax.annotate(label, (x, accs.mean()), textcoords='offset points', xytext=(7, 4),
                    fontsize=9)
    ax.set_xscale('log')
    ax.set_xlabel('training time per example (ms, log scale)' if cost == 'time'
                  else 'learned parameters (log scale)')
    ax.set_ylabel('validation accuracy')
    ax.margins(x=0.25, y=0.15)
    ax.grid(True, alpha=0.3)
    return ax


# --------------------------------------------------------------------------- architecture
_KIND_COLOURS = {'conv': '#4c72b0', 'pool': '#dd8452', 'dense': '#55a868',
                 'block': '#8172b3', 'other': '#999999'}

def _describe(block):
    """A short name of one layer: 'conv 5x5', 'max-pool 3x3', 'dense', 'Inception'..."""
    if isinstance(block, nn.Conv2D):
        k = block._kwargs['kernel']
        return f'conv {k[0]}x{k[1]}'
    kw = getattr(block, '_kwargs', {})
    if 'pool_type' in kw:
        if kw.get('global_pool'):
            return f'global {kw["pool_type"]}-pool'
        return f'{kw["pool_type"]}-pool {kw["kernel"][0]}x{kw["kernel"][1]}'
    if isinstance(block, nn.Dense):
        return 'dense'
    if isinstance(block, nn.HybridSequential) or isinstance(block, nn.Sequential):
        return None                       # described by its children
    return type(block).__name__

def _composition(block):
    """'2x conv 3x3, max-pool 2x2' for a stage; the layer itself for a leaf."""
    if not isinstance(block, (nn.HybridSequential, nn.Sequential)):
        return _describe(block) or ''
    parts = []
    for _, child, _ in iter_layers(block, max_depth=1):
        text = _describe(child)
        if text is None:
            text = _composition(child)
        if parts and parts[-1][0] == text:
            parts[-1][1] += 1
        else:
            parts.append([text, 1])
    return '\n'.join(f'{n}x {t}' if n > 1 else t for t, n in parts)

def _kind(block):
    if isinstance(block, nn.Conv2D):
        return 'conv'
    if isinstance(block, nn.Dense):
        return 'dense'
    if 'pool_type' in getattr(block, '_kwargs', {}):
        return 'pool'
    if next(iter_layers(block, max_depth=1), None) is not None:
        return 'block'
    return 'other'

def architecture_rows(model, X_shape):
    """One row per top-level layer or stage: (name, kind, what it contains, output
    shape, params, MACs); names come from the model's config when it has one."""
    rows = layer_summary(model, X_shape, depth=1)
    names = _top_names(model, len(rows)) or [r.name for r in rows]
    children = [block for _, block, _ in iter_layers(model, max_depth=1)]
    return [(name, _kind(child), _composition(child), r.output_shape, r.params, r.macs)
            for name, child, r in zip(names, children, rows)]

def draw_architecture(model, X_shape, ax=None):
    """Draw a network left to right: the input, then one box per top-level layer or
    stage, its height growing with the feature map's side and its width with the
    channels; under each box its output shape and what it contains. Returns the axes."""
    from matplotlib.patches import Rectangle
    rows = [('input', 'other', '', tuple(X_shape), 0, 0)] + architecture_rows(model, X_shape)
    if ax is None:
        ax = _axes((max(7.0, 1.05 * len(rows) + 1.0), 3.6))
    x, top = 0.0, 0.0
    for name, kind, what, shape, params, _ in rows:
        channels = shape[1] if len(shape) > 1 else 1
        side = shape[2] if len(shape) == 4 else 1
        w = 0.3 + 0.1 * math.log2(channels + 1)
        h = 0.5 + 0.5 * math.log2(side + 1)
        top = max(top, h)
        ax.add_patch(Rectangle((x, 0), w, h, facecolor=_KIND_COLOURS[kind],
                               edgecolor='black', alpha=0.85))
        ax.text(x + w / 2, h + 0.15, name, ha='center', va='bottom', fontsize=8,
                fontweight='bold')
        dims = 'x'.join(str(d) for d in shape[1:])
        ax.text(x + w / 2, -0.2, dims, ha='center', va='top', fontsize=7)
        if what:
            ax.text(x + w / 2, -0.75, what, ha='center', va='top', fontsize=6,
                    color='#333333')
        x += w + 0.6
    ax.set_xlim(-0.3, x - 0.3)
    ax.set_ylim(-4.0, top + 1.0)
    ax.axis('off')
    kinds = [k for k in _KIND_COLOURS if any(r[1] == k for r in rows[1:])]
    handles = [Rectangle((0, 0), 1, 1, facecolor=_KIND_COLOURS[k]) for k in kinds]
    ax.legend(handles, kinds, loc='upper right', fontsize=7, ncol=len(kinds),
              frameon=False)
    return ax


# ---------------------------------------------------------------------- inside the networks
# In the spirit of CNN Explainer (Wang et al., 2020): one real image through the layers,
# the first-layer filters before and after training, and block diagrams drawn from the
# networks' layer specs. Figures fit a 1280x720 slide at dpi 80 (at most 11 x 5 inches).
_SLIDE_WIDTH, _SLIDE_HEIGHT = 11.0, 5.0
_MAP_TILE_PX = 24          # feature maps smaller than this are enlarged, pixel by pixel
_PICKS = ('active', 'first')
_BOX_TEXT = 9              # points: readable from the back of a lecture room


def _figure(fig, figsize):
    """``fig`` (cleared, with a constrained layout), or a new pyplot figure."""
    if fig is None:
        import matplotlib.pyplot as plt
        return plt.figure(figsize=figsize, layout='constrained')
    fig.clear()
    fig.set_layout_engine('constrained')
    return fig


def _top_names(model, count):
    """The config's names of the net's ``count`` top-level layers ('conv1', 'block2',
    'b3'), or None when the model has no config (or it does not match the net)."""
    config = getattr(model, 'config', None)
    if config is None:
        return None
    top = [n for n, _ in config.shapes() if '.' not in n]
    return top if len(top) == count else None


def _dims(shape):
    return '×'.join(str(d) for d in shape)


def _one_image(model, image):
    """``image`` (numpy or MXNet, (H, W), (C, H, W) or (1, C, H, W)) as a (1, C, H, W)
    array of the thread's MXNet flavour, checked against the model's input shape."""
    X = _to_numpy(image).astype(np.float32)
    X = X.reshape((1,) * (4 - X.ndim) + X.shape) if X.ndim in (2, 3) else X
    if X.ndim != 4 or X.shape[0] != 1:
        raise ValueError(f'image has shape {X.shape}; pass one image shaped (C, H, W) or '
                         f'(1, C, H, W), e.g. X[0] of a validation batch')
    want = getattr(getattr(model, 'config', None), 'input_shape', None)
    if want is not None and tuple(X.shape[1:]) != tuple(want):
        raise ValueError(f'image is {_dims(X.shape[1:])} but the model expects '
                         f'{_dims(want)}: take it from the recipe\'s data '
                         f'(recipe.data() resizes the images)')
    return to_mx_array(X)


def layer_by_layer_maps(model, image, layers=None):
    """One image through the model's net, top-level layer by layer: ``[(name, maps)]``,
    first ('input', image) then every layer whose output is (C, H, W), as numpy arrays
    (C, H, W). Names come from the config ('conv1', 'block2', 'b3') or read 'index: Name'.
    Dropout layers are left out (at prediction they pass their input on unchanged).
    ``layers``: names or indices of the layers to keep (default: all). Runs in predict
    mode on the calling thread (the thread that trains the model)."""
    blocks = _layer_path(_net_of(model))
    names = _top_names(model, len(blocks)) or [f'{i}: {type(b).__name__}'
                                               for i, b in enumerate(blocks)]
    if layers is not None:
        unknown = [k for k in layers if k not in names and k not in range(len(blocks))]
        if unknown:
            raise ValueError(f'layers {unknown} are not in this net; use names from '
                             f'{names} or indices 0..{len(blocks) - 1}')
    X = _one_image(model, image)
    out = [('input', X.asnumpy()[0])]
    with autograd.predict_mode():
        for i, (name, block) in enumerate(zip(names, blocks)):
            X = block(X)
            wanted = layers is None or name in layers or i in layers
            if wanted and X.ndim == 4 and not isinstance(block, nn.Dropout):
                out.append((name, X.asnumpy()[0]))
    return out


def _pick_channels(maps, max_maps, pick):
    """Indices of the channels to show: the ``max_maps`` most active (largest mean
    absolute value, strongest first) or the first ``max_maps``."""
    if pick not in _PICKS:
        raise ValueError(f"pick={pick!r}; use 'active' (the strongest channels) or 'first'")
    n = min(len(maps), _positive_int(max_maps, 'max_maps'))
    if pick == 'first':
        return list(range(n))
    strength = np.abs(maps).reshape(len(maps), -1).mean(axis=1)
    return [int(i) for i in np.argsort(-strength, kind='stable')[:n]]


def _strip(maps):
    """Channels (n, h, w) side by side, small maps enlarged to about _MAP_TILE_PX
    pixels, NaN gaps between them. Returns (strip, x centre of each tile)."""
    n, h, w = maps.shape
    r = max(1, round(_MAP_TILE_PX / max(h, w)))
    tiles = np.repeat(np.repeat(maps, r, axis=1), r, axis=2)
    step, gap = w * r + max(1, h * r // 12), max(1, h * r // 12)
    out = np.full((h * r, n * step - gap), np.nan)
    for i, tile in enumerate(tiles):
        out[:, i * step:i * step + w * r] = tile
    return out, [i * step + (w * r - 1) / 2 for i in range(n)]


def _draw_strip(ax, maps, channels, title):
    """The chosen channels of one layer in a row, on ONE colour scale for the whole
    layer (signed maps: -max|x| .. max|x| diverging; others: min .. max in viridis), the
    channel numbers under the tiles."""
    signed = bool((maps < 0).any())
    low, high = (-np.abs(maps).max(), np.abs(maps).max()) if signed else (maps.min(),
                                                                          maps.max())
    cmap = matplotlib.colormaps[SIGNED_CMAP if signed else 'viridis'].copy()
    cmap.set_bad(TILE_GAP_COLOR)
    strip, centres = _strip(maps[channels])
    ax.imshow(strip, cmap=cmap, vmin=low, vmax=high if high > low else low + 1,
              interpolation='nearest')
    ax.set_xticks(centres, [str(c) for c in channels], fontsize=8)
    ax.set_yticks([])
    ax.tick_params(length=0, pad=1)
    ax.set_anchor('W')
    ax.set_title(title, loc='left', fontsize=_BOX_TEXT)
    return ax


def _maps_title(name, maps, channels, pick):
    title = f'{name}   {_dims(maps.shape)}'
    if len(channels) < len(maps):
        title += (f'   ({len(channels)} most active of {len(maps)})' if pick == 'active'
                  else f'   (first {len(channels)} of {len(maps)})')
    return title


def _draw_input(ax, image, title):
    img = _as_image(image)
    ax.imshow(img, cmap='gray' if img.ndim == 2 else None)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_anchor('W')
    ax.set_title(title, loc='left', fontsize=_BOX_TEXT)
    return ax


def plot_layer_by_layer(model, image, max_maps=8, layers=None, fig=None, pick='active'):
    """Feature maps of ONE image through the network: the input, then one row per
    top-level layer or stage with a (C, H, W) output (`layer_by_layer_maps`), titled
    with its name and shape C×H×W, showing ``max_maps`` channels (``pick='active'``: the
    strongest, numbered under the tiles; ``'first'``: channels 0, 1, ...). One colour
    scale per layer, so weak channels look weak. Two columns of rows when there are many
    layers, read top to bottom. Returns the figure (``fig``: draw on this one instead)."""
    (_, image), *rows = layer_by_layer_maps(model, image, layers)
    cols = 1 if len(rows) <= 3 else 2
    per_col = max(1, math.ceil(len(rows) / cols))
    fig = _figure(fig, (_SLIDE_WIDTH if cols == 2 else 7.0,
                        min(_SLIDE_HEIGHT, 0.6 + 0.9 * max(per_col, 2))))
    grid = fig.add_gridspec(per_col, cols + 1, width_ratios=(1.3,) + (4.8,) * cols)
    _draw_input(fig.add_subplot(grid[:, 0]), image, f'input   {_dims(image.shape)}')
    for i, (name, maps) in enumerate(rows):
        channels = _pick_channels(maps, max_maps, pick)
        _draw_strip(fig.add_subplot(grid[i % per_col, 1 + i // per_col]), maps, channels,
                    _maps_title(name, maps, channels, pick))
    fig.suptitle(f'{type(model).__name__}: one image, layer by layer. Numbers: channels; '
                 f'colours: one scale per layer, brightest = strongest', fontsize=10)
    return fig


def plot_filters_before_after(before, after, fig=None, max_tiles=64):
    """The first-layer filters before and after training side by side: two mosaics in
    which filter i has the SAME signed colour scale (its largest absolute weight before
    or after), so a filter that grew looks stronger after. ``before`` / ``after``: weight
    arrays (out, in, kh, kw), numpy or MXNet, e.g. ``conv_weights(model)`` taken before
    and after ``trainer.fit``. Returns the figure."""
    before = _to_numpy(before).astype(np.float64)
    after = _to_numpy(after).astype(np.float64)
    if before.shape != after.shape or before.ndim != 4:
        raise ValueError(f'before has shape {before.shape} and after {after.shape}; pass '
                         f'the same layer\'s weights (out, in, kh, kw) twice, e.g. '
                         f'conv_weights(model) before and after training')
    scale = np.maximum(np.abs(before), np.abs(after)).reshape(len(before), -1).max(axis=1)
    mosaic, _, _ = filter_mosaic(after, max_tiles=max_tiles)
    side = 3.6                                      # inches per mosaic, its longer side
    aspect = mosaic.shape[0] / mosaic.shape[1]
    fig = _figure(fig, (2 * side * min(1.0, 1 / aspect) + 1.5,
                        side * min(1.0, aspect) + 0.8))
    axes = fig.subplots(1, 2)
    for ax, w, title in zip(axes, (before, after), ('conv1 before training',
                                                    'conv1 after training')):
        plot_filters(w, ax=ax, max_tiles=max_tiles, title=title, scale=scale)
    fig.colorbar(axes[1].images[0], ax=list(axes), shrink=0.8,
                 label='weight / largest |weight|\nof that filter (before or after)')
    return fig


# ------------------------------------------------------------------------- block diagrams
def _box(ax, x, y, w, h, text, kind, fontsize=_BOX_TEXT):
    """A labelled box centred at (x, y), tinted by the layer kind."""
    from matplotlib.patches import FancyBboxPatch
    colour = _KIND_COLOURS[kind]
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle='round,pad=0,rounding_size=0.05',
                                facecolor=matplotlib.colors.to_rgba(colour, 0.22),
                                edgecolor=colour, linewidth=1.5))
    ax.text(x, y, text, ha='center', va='center', fontsize=fontsize)


def _arrow(ax, start, end):
    ax.annotate('', xy=end, xytext=start,
                arrowprops=dict(arrowstyle='-|>', color='0.35', lw=1.2, shrinkA=0,
                                shrinkB=0))


def _diagram_axes(ax, figsize):
    if ax is None:
        ax = _figure(None, figsize).add_subplot()
    ax.axis('off')
    return ax


def inception_blocks(config):
    """``[(name, InceptionSpec, input shape (C, H, W))]`` of every Inception block of a
    GoogLeNet config (or a model with one), e.g. ('b3.inception1', spec, (192, 12, 12)):
    shape arithmetic on the layer table, width divisor applied."""
    config = getattr(config, 'config', config)
    out, shape = [], config.input_shape
    for spec in config.layers():
        for child in spec.layers if isinstance(spec, Stage) else ():
            if isinstance(child, InceptionSpec):
                out.append((f'{spec.name}.{child.name}', child, shape))
            shape = child.out_shape(shape)
        if not isinstance(spec, Stage):
            shape = spec.out_shape(shape)
    return out


def _as_inception_spec(spec, c_in, size):
    """(InceptionSpec, c_in, size) from a spec, a (c1, (c2r, c2), (c3r, c3), c4) row, or
    a GoogLeNet config / model (its first Inception block, with that block's input)."""
    if hasattr(getattr(spec, 'config', spec), 'layers'):
        blocks = inception_blocks(spec)
        if not blocks:
            raise ValueError(f'{type(spec).__name__} has no Inception block; pass a '
                             f'GoogLeNet config, an InceptionSpec or (c1, c2, c3, c4)')
        _, spec, shape = blocks[0]
        return spec, c_in or shape[0], size or shape[1]
    if isinstance(spec, InceptionSpec):
        return spec, c_in, size
    try:
        c1, c2, c3, c4 = spec
        return InceptionSpec('inception', c1, tuple(c2), tuple(c3), c4), c_in, size
    except (TypeError, ValueError):
        raise ValueError(f'spec_or_config={spec!r}; pass (c1, (c2_reduce, c2), (c3_reduce, '
                         f'c3), c4), an InceptionSpec or a GoogLeNet config') from None


def _branch_cost(row, size):
    """'12,352 params' (and the MACs when the input side is known) of one branch row."""
    _, _, params, macs, norm = row
    return f'{params + norm:,} params' + (f'\n{macs:,} MACs' if size else '')


def draw_inception_block(spec_or_config, c_in=None, size=None, ax=None):
    """An Inception block drawn from its channel allocation: the input on top, four
    branches side by side (1×1 | 1×1→3×3 | 1×1→5×5 | 3×3 pool→1×1), each box with its
    kernel and output channels, arrows into a 'concatenate: N channels' box. With
    ``c_in`` (input channels; taken from a config) each branch's parameters are written
    under it, with ``size`` (input side) its MACs too. ``spec_or_config``: (c1, (c2_reduce,
    c2), (c3_reduce, c3), c4) as in ``GoogLeNetConfig().stages[0][0]``, an
    ``InceptionSpec``, or a GoogLeNet config or model (its first block). Returns the axes."""
    spec, c_in, size = _as_inception_spec(spec_or_config, c_in, size)
    ax = _diagram_axes(ax, (9.0, 4.6))
    w, h, top, bottom = 0.86, 0.55, 4.3, 0.5      # branch boxes; input and concat rows
    pool = f'3×3 {spec.pool}-pool'
    branches = [[], [(f'1×1 conv\n{spec.c2[0]} channels', 'conv')],
                [(f'1×1 conv\n{spec.c3[0]} channels', 'conv')], [(pool, 'pool')]]
    for column, (k, c) in zip(branches, ((1, spec.c1), (3, spec.c2[1]), (5, spec.c3[1]),
                                         (1, spec.c4))):
        column.append((f'{k}×{k} conv\n{c} channels', 'conv'))
    inp = 'input' + (f': {c_in} channels' if c_in else '') + (f', {size}×{size}' if size else '')
    _box(ax, 1.5, top, 2.2, 0.45, inp, 'other')
    costs = spec.branches((c_in, size or 1, size or 1)) if c_in else None
    below = 1.5 if costs else 2.3 - h / 2                # where the arrows to concat start
    for x, column in enumerate(branches):
        ys = [3.3, 2.3][-len(column):]
        _arrow(ax, (1.5 + (x - 1.5) * 0.3, top - 0.45 / 2), (x, ys[0] + h / 2))
        for y, (text, kind) in zip(ys, column):
            _box(ax, x, y, w, h, text, kind)
        if len(ys) == 2:
            _arrow(ax, (x, ys[0] - h / 2), (x, ys[1] + h / 2))
        if costs:
            ax.text(x, 1.75, _branch_cost(costs[x], size), ha='center', va='center',
                    fontsize=8, color='0.25')
        _arrow(ax, (x, below), (1.5 + (x - 1.5) * 0.3, bottom + 0.45 / 2))
    total = spec.out_shape((c_in or 0, 1, 1))[0]
    _box(ax, 1.5, bottom, 2.6, 0.45, f'concatenate: {total} channels  '
         f'({spec.c1} + {spec.c2[1]} + {spec.c3[1]} + {spec.c4})', 'block')
    if costs:
        ax.text(2.85, bottom, f'whole block:\n{sum(r[2] + r[4] for r in costs):,} params',
                ha='left', va='center', fontsize=8, color='0.25')
    ax.set_xlim(-0.55, 3.55)
    ax.set_ylim(bottom - 0.3, top + 0.3)
    return ax


_BRANCH_LAYERS = (('branch 1: 1×1 conv', ('b1_1',)),
                  ('branch 2: 1×1 → 3×3 conv', ('b2_1', 'b2_2')),
                  ('branch 3: 1×1 → 5×5 conv', ('b3_1', 'b3_2')),
                  ('branch 4: 3×3 pool → 1×1 conv', ('b4_1', 'b4_2')))   # Inception's attributes


def _find_inception(model, block):
    """(name, path, Inception) of block ``block``: an index among the net's Inception
    blocks (None: the first), a config name ('b3.inception1') or a path ('2.0')."""
    found = [(path, b) for path, b, _ in iter_layers(model) if isinstance(b, Inception)]
    if not found:
        raise ValueError(f'{type(model).__name__} has no Inception block; pass a GoogLeNet')
    config = getattr(model, 'config', None)
    names = [n for n, _, _ in inception_blocks(config)] if config is not None else []
    names = names if len(names) == len(found) else [p for p, _ in found]
    keys = {**{p: i for i, (p, _) in enumerate(found)}, **{n: i for i, n in enumerate(names)}}
    i = 0 if block is None else keys.get(block, block)
    if not isinstance(i, int) or not -len(found) <= i < len(found):
        raise ValueError(f'block={block!r}; pick an index 0..{len(found) - 1} or a name '
                         f'from {names}')
    return names[i], found[i][0], found[i][1]


def _input_at(net, path, X):
    """Run ``X`` through every block before ``path`` (e.g. '2.1': net[0], net[1], then
    net[2][0]) and return what the block at ``path`` receives."""
    container = net
    for key in path.split('.'):
        for name, child in child_blocks(container):
            if name == key:
                container = child
                break
            X = child(X)
    return X


def inception_branch_maps(model, image, block=None):
    """What each branch of one Inception block of a GoogLeNet computes for one image:
    ``(name, {'block input': maps, 'branch 1: 1×1 conv': maps, ...})``, numpy (C, H, W)
    arrays. ``block``: index among the Inception blocks (default 0, the first of b3),
    or a name such as 'b3.inception2'. The stages before the block run to get its
    input; then its branches b1_1, b2_1→b2_2, b3_1→b3_2, b4_1→b4_2 run on it."""
    name, path, blk = _find_inception(model, block)
    with autograd.predict_mode():
        X = _input_at(_net_of(model), path, _one_image(model, image))
        out = {'block input': X.asnumpy()[0]}
        for label, layers in _BRANCH_LAYERS:
            Y = X
            for attr in layers:
                Y = getattr(blk, attr)(Y)
            out[label] = Y.asnumpy()[0]
    return name, out


def plot_inception_branches(model, image, block=None, max_maps=6, fig=None, pick='active'):
    """One Inception block at work on one image: the image, the block's input, and what
    each of its four branches outputs (``max_maps`` channels each, `plot_layer_by_layer`
    style; see `inception_branch_maps`). The branches are concatenated along the
    channels into the block's output. Returns the figure."""
    name, maps = inception_branch_maps(model, image, block)
    width = min(_SLIDE_WIDTH, 3.2 + 0.62 * _positive_int(max_maps, 'max_maps'))
    fig = _figure(fig, (width, 4.8))
    grid = fig.add_gridspec(len(maps), 2, width_ratios=(1.6, width - 1.6))
    image = _one_image(model, image).asnumpy()[0]
    _draw_input(fig.add_subplot(grid[:, 0]), image, f'image   {_dims(image.shape)}')
    for i, (label, m) in enumerate(maps.items()):
        channels = _pick_channels(m, max_maps, pick)
        _draw_strip(fig.add_subplot(grid[i, 1]), m, channels,
                    _maps_title(label, m, channels, pick))
    total = sum(m.shape[0] for label, m in maps.items() if label != 'block input')
    fig.suptitle(f'Inception block {name}: 4 branches, concatenated: {total} channels',
                 fontsize=10)
    return fig


_ACTIVATION_NAMES = {'relu': 'ReLU'}


def _spec_text(spec):
    """A box label from a layer spec: '3×3 conv, 256 ch, ReLU', 'dense 4096', ..."""
    if isinstance(spec, Conv):
        k = spec.kernel_size
        text = f'{k}×{k} conv, {spec.channels} ch' + (', BN' if spec.batch_norm else '')
        text += f', {_ACTIVATION_NAMES.get(spec.activation, spec.activation)}' \
            if spec.activation else ''
        return text + ('\n= a dense layer at every pixel' if k == 1 else '')
    if isinstance(spec, Pool):
        return f'{spec.pool_size}×{spec.pool_size} {spec.kind}-pool, stride {spec.strides}'
    if isinstance(spec, Dense):
        act = _ACTIVATION_NAMES.get(spec.activation, spec.activation)
        return f'dense {spec.units}' + (f', {act}' if act else '')
    if isinstance(spec, GlobalAvgPool):
        return 'global average pooling'
    if isinstance(spec, Flatten):
        return 'flatten'
    if isinstance(spec, Stage):
        first = spec.layers[0]
        return (f'NiN block, {first.channels} ch: {first.kernel_size}×{first.kernel_size} '
                f'conv → 1×1 → 1×1')
    return spec.name


_SPEC_KINDS = ((Conv, 'conv'), (Pool, 'pool'), (GlobalAvgPool, 'pool'), (Dense, 'dense'),
               (Stage, 'block'))


def _stack_rows(config, specs, prefix=''):
    """[(text, kind, output shape, params)] of top-level ``specs`` of ``config`` (or the
    children of a stage with ``prefix``); a dropout joins the layer before it."""
    costs = layer_costs(config)
    shapes = dict(config.shapes())
    rows = []
    for spec in specs:
        name = f'{prefix}.{spec.name}' if prefix else spec.name
        if isinstance(spec, Dropout) and rows:
            rows[-1][0] += f' + dropout {spec.rate:g}'
            continue
        kind = next((k for cls, k in _SPEC_KINDS if isinstance(spec, cls)), 'other')
        params = sum(r[2] for r in costs if r[0] == name or r[0].startswith(name + '.'))
        rows.append([_spec_text(spec), kind, shapes[name], params])
    return rows


def _stages(config):
    return [s for s in config.layers() if isinstance(s, Stage)]


def _vgg_vs_nin_rows(vgg, nin):
    """(title, block rows, head rows) for VGG and NiN, from their configs' layer tables:
    VGG's block with the most convolutions and its dense head (flatten first); NiN's
    second block and its head, the last NiN block onwards."""
    v_specs, n_specs = vgg.layers(), nin.layers()
    v_block = max(_stages(vgg), key=lambda s: len(s.layers))
    v_last = max(i for i, s in enumerate(v_specs) if isinstance(s, Stage))
    flat = dict(vgg.shapes())[v_specs[v_last].name]
    v_head = [[f'flatten: {_dims(flat)} → {math.prod(flat):,}', 'other', (math.prod(flat),), 0]]
    v_head += _stack_rows(vgg, v_specs[v_last + 1:])
    n_stages = _stages(nin)
    n_block = n_stages[min(1, len(n_stages) - 2)]
    n_head = _stack_rows(nin, n_specs[n_specs.index(n_stages[-1]):])
    for head in (v_head, n_head):
        head[-1][0] += f' → {math.prod(head[-1][2])} class scores'
    return [(f'VGG block ({v_block.name})', _stack_rows(vgg, v_block.layers, v_block.name),
             'VGG head', v_head),
            (f'NiN block ({n_block.name})', _stack_rows(nin, n_block.layers, n_block.name),
             'NiN head', n_head)]


def _draw_stack(ax, x, y, title, rows, w=2.3, pitch=0.62):
    """A column of boxes from top (y) down with arrows between them, the output shape
    and parameters to the right of each. Returns the y below the last box."""
    ax.text(x - w / 2, y, title, ha='left', va='bottom', fontsize=10, fontweight='bold')
    y -= 0.38
    for i, (text, kind, shape, params) in enumerate(rows):
        _box(ax, x, y, w, 0.46, text, kind, fontsize=8.5)
        ax.text(x + w / 2 + 0.08, y, f'{_dims(shape)}\n{params:,} params', ha='left',
                va='center', fontsize=8, color='0.25')
        if i:
            _arrow(ax, (x, y + pitch - 0.23), (x, y + 0.23))
        y -= pitch
    return y


def draw_nin_vs_vgg_block(ax=None, vgg=None, nin=None):
    """A VGG block beside a NiN block, then their heads, drawn from the configs' layer
    specs (`week5.models.vgg.vgg_stage`, `week5.models.nin.nin_stage`): VGG = n × (3×3
    conv, ReLU) then 2×2 max-pool, and a dense head (flatten → dense → dense → classes);
    NiN = k×k conv then two 1×1 convs (a dense layer at every pixel), and a head without
    dense layers (a last NiN block with one channel per class → global average pooling).
    Each box has its output shape and parameters beside it, each head its total.
    ``vgg`` / ``nin``: configs (default: the book's). Returns the axes."""
    vgg, nin = vgg or VGGConfig(), nin or NiNConfig()
    ax = _diagram_axes(ax, (_SLIDE_WIDTH, _SLIDE_HEIGHT))
    bottoms = []
    for x, (block_title, block, head_title, head) in zip((1.2, 5.4),
                                                         _vgg_vs_nin_rows(vgg, nin)):
        y = _draw_stack(ax, x, 6.0, block_title, block)
        params = sum(r[3] for r in head)
        bottoms.append(_draw_stack(ax, x, y - 0.1, f'{head_title}: {params:,} params', head))
    ax.set_title(f'VGG and NiN on a {_dims(vgg.input_shape)} input: one block, then the '
                 f'head', fontsize=10)
    ax.set_xlim(-0.1, 8.2)
    ax.set_ylim(min(bottoms) + 0.3, 6.3)
    return ax
