"""Plotting shared by the chapters: image grids, filter grids, feature maps, confusion
matrices, architecture diagrams, and the book's `show_images` / `use_svg_display` /
`set_figsize`.

Most functions take data (numpy or MXNet arrays, plain rows) and an optional ``ax``;
they draw on that axes, or on new axes (`new_axes`) when ``ax`` is None, and return
what they drew on. The pictures of a network's inside (`draw_architecture`,
`plot_layer_by_layer`) run the given network forward on one input (week5/inside.py);
nothing here trains or keeps state, so all of it is testable under the Agg backend.

Importing this module changes no rcParams and no display mode, and does not import
``matplotlib.pyplot`` (pyplot is imported only when a function needs a new figure).
PNG bytes (off-screen rendering for live plots, the slides' text-size record) are
week5/png.py's job.
"""
import math

import numpy as np
import matplotlib
from mxnet.gluon import nn

from .png import SIGNED_CMAP, SLIDE_FONT, TILE_GAP_COLOR
from .inside import dims_text, layer_by_layer_maps, to_numpy, top_layer_names
from .summary import iter_layers, layer_summary

__all__ = ['use_svg_display', 'set_figsize', 'set_axes', 'plot', 'show_images',
           'show_image_grid', 'filter_mosaic', 'plot_filters', 'plot_feature_maps',
           'confusion_matrix', 'plot_confusion_matrix', 'architecture_rows',
           'draw_architecture', 'plot_layer_by_layer', 'plot_filters_before_after',
           'plot_conv_step', 'show_augmentations', 'plot_class_activation_maps']



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
        axes = new_axes(figsize=figsize)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        x, y = to_numpy(x), to_numpy(y)
        axes.plot(x, y, fmt) if len(x) else axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    return axes


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5, ax=None):
    """Plot a list of images in a ``num_rows`` x ``num_cols`` grid (the book's helper).

    Images may be MXNet or numpy arrays shaped (H, W), (H, W, C) or (C, H, W) with C in
    (1, 3, 4); single-channel images are drawn in grey. Returns the flat array of axes
    (``ax``: an existing sequence of at least ``num_rows * num_cols`` axes).
    """
    num_rows, num_cols = positive_int(num_rows, 'num_rows'), positive_int(num_cols, 'num_cols')
    if ax is None:
        axes = new_axes(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
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
    images = [_as_image(img) for img in iterate_values(images)]
    if not images:
        raise ValueError('images is empty: pass at least one image')
    num_cols = min(positive_int(num_cols, 'num_cols'), len(images))
    num_rows = math.ceil(len(images) / num_cols)

    def names(values, what):
        if values is None:
            return None
        values = [v.item() if hasattr(v, 'item') else v for v in iterate_values(values)]
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
    w = to_numpy(weights).astype(np.float64)
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
        n = min(out, positive_int(max_tiles, 'max_tiles'))
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
        ax = new_axes(figsize=(max(2.0, 0.45 * cols), max(2.0, 0.45 * rows)))
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
    m = to_numpy(maps).astype(np.float64)
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
        ax = new_axes(figsize=(max(2.0, 0.9 * cols), max(2.0, 0.9 * rows)))
    cmap = matplotlib.colormaps[SIGNED_CMAP if signed else 'viridis'].copy()
    cmap.set_bad(TILE_GAP_COLOR)
    ax.imshow(mosaic, cmap=cmap, vmin=-1.0 if signed else 0.0, vmax=1.0,
              interpolation='nearest')
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax


# ------------------------------------------------------------------------------ confusion
def confusion_matrix(y_true, y_pred, num_classes=None):
    """counts[i, j] = number of examples of class i predicted as j."""
    y_true = to_numpy(y_true).astype(np.int64).ravel()
    y_pred = to_numpy(y_pred).astype(np.int64).ravel()
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
                          annotate=True, digits=2, percent=False):
    """Rows are true classes, columns predictions; ``normalize`` divides each row by its
    total (recall per class). ``percent`` (with ``normalize``) writes each share as a whole
    percentage and leaves the cells under 0.5 % empty: short enough for 10 x 10 cells at a
    slide's text size. Returns the axes."""
    counts = to_numpy(counts)
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
        ax = new_axes(figsize=(0.5 * n + 2, 0.5 * n + 1.5))
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
                if normalize and percent:
                    text = f'{100 * v:.0f}' if round(100 * v) else ''
                else:
                    text = f'{v:.{digits}f}' if normalize else f'{int(v)}'
                ax.text(j, i, text, ha='center', va='center', fontsize='x-small',
                        color='white' if v > top / 2 else 'black')
    return ax


# ------------------------------------------------------------------------------- helpers
def new_axes(num_rows=1, num_cols=1, figsize=None, layout=None):
    """The axes of a new pyplot figure (one, or an array of ``num_rows`` x ``num_cols``):
    the one maker of new axes here (a drawing on a given ``fig`` uses `figure_of_size`)."""
    import matplotlib.pyplot as plt
    _, axes = plt.subplots(num_rows, num_cols, figsize=figsize, squeeze=True, layout=layout)
    return axes


def iterate_values(x):
    x = to_numpy(x) if hasattr(x, 'asnumpy') else x
    return list(x)


def _as_image(img):
    img = to_numpy(img)
    if img.ndim == 3 and img.shape[0] in (1, 3, 4) and img.shape[-1] not in (1, 3, 4):
        img = np.transpose(img, (1, 2, 0))
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3):
        raise ValueError(f'an image has shape {img.shape}; pass (H, W), (H, W, C) or '
                         f'(C, H, W) arrays (squeeze the batch axis first)')
    return img


def positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f'{name} must be a positive integer, got {value!r}')
    return int(value)


def _check_pair(value, name):
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and v > 0 for v in value)):
        raise ValueError(f'{name} must be a (width, height) pair of positive numbers in '
                         f'inches, got {value!r}')


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
    names = top_layer_names(model, len(rows)) or [r.name for r in rows]
    children = [block for _, block, _ in iter_layers(model, max_depth=1)]
    return [(name, _kind(child), _composition(child), r.output_shape, r.params, r.macs)
            for name, child, r in zip(names, children, rows)]

def draw_architecture(model, X_shape, ax=None, per_line=7):
    """Draw a network left to right: the input, then one box per top-level layer or
    stage, its height growing with the feature map's side and its width with the
    channels; under each box its output shape and what it contains, at slide size
    (SLIDE_FONT). More than ``per_line`` boxes wrap onto a second line. Returns the axes."""
    from matplotlib.patches import Rectangle
    rows = [('input', 'other', '', tuple(X_shape), 0, 0)] + architecture_rows(model, X_shape)
    per_line = positive_int(per_line, 'per_line')
    lines = math.ceil(len(rows) / per_line)
    cols = min(len(rows), per_line)
    pitch, line_h = 1.6, 4.4                 # data units: about an inch at this size
    if ax is None:
        ax = new_axes(figsize=(max(6.0, pitch * cols + 0.3), 2.3 * lines + 0.4))
    top = 0.0
    for i, (name, kind, what, shape, params, _) in enumerate(rows):
        line, col = divmod(i, per_line)
        channels = shape[1] if len(shape) > 1 else 1
        side = shape[2] if len(shape) == 4 else 1
        w = 0.3 + 0.09 * math.log2(channels + 1)
        h = 0.4 + 0.3 * math.log2(side + 1)
        x, y = col * pitch + (pitch - w) / 2, -line * line_h
        top = max(top, h)
        ax.add_patch(Rectangle((x, y), w, h, facecolor=_KIND_COLOURS[kind],
                               edgecolor='black', alpha=0.85))
        ax.text(x + w / 2, y + h + 0.12, name, ha='center', va='bottom',
                fontsize=SLIDE_FONT, fontweight='bold')
        dims = 'x'.join(str(d) for d in shape[1:])
        ax.text(x + w / 2, y - 0.15, dims, ha='center', va='top', fontsize=SLIDE_FONT)
        if what:
            ax.text(x + w / 2, y - 0.75, what, ha='center', va='top', fontsize=SLIDE_FONT,
                    color='#333333')
    ax.set_xlim(0, pitch * cols)
    ax.set_ylim(-(lines - 1) * line_h - 2.6, top + 0.9)
    ax.axis('off')
    kinds = [k for k in _KIND_COLOURS if any(r[1] == k for r in rows[1:])]
    handles = [Rectangle((0, 0), 1, 1, facecolor=_KIND_COLOURS[k]) for k in kinds]
    ax.legend(handles, kinds, loc='lower left', bbox_to_anchor=(0, 1), fontsize=SLIDE_FONT,
              ncol=len(kinds), frameon=False)
    return ax


# ---------------------------------------------------------------------- inside the networks
# In the spirit of CNN Explainer (Wang et al., 2020): one real image through the layers,
# the first-layer filters before and after training, and block diagrams drawn from the
# networks' layer specs. Figures fit a 1280x720 slide at dpi 80 (at most 11 x 5 inches).
SLIDE_WIDTH, SLIDE_HEIGHT = 11.0, 5.0
_MAP_TILE_PX = 24          # feature maps smaller than this are enlarged, pixel by pixel
_PICKS = ('active', 'first')
_BOX_TEXT = SLIDE_FONT     # points: readable from the back of a lecture room


def figure_of_size(fig, figsize):
    """``fig`` (cleared, with a constrained layout), or a new pyplot figure."""
    if fig is None:
        import matplotlib.pyplot as plt
        return plt.figure(figsize=figsize, layout='constrained')
    fig.clear()
    fig.set_layout_engine('constrained')
    return fig


def pick_channels(maps, max_maps, pick):
    """Indices of the channels to show: the ``max_maps`` most active (largest mean
    absolute value, strongest first) or the first ``max_maps``."""
    if pick not in _PICKS:
        raise ValueError(f"pick={pick!r}; use 'active' (the strongest channels) or 'first'")
    n = min(len(maps), positive_int(max_maps, 'max_maps'))
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


def draw_strip(ax, maps, channels, title):
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
    ax.set_xticks(centres, [str(c) for c in channels], fontsize=SLIDE_FONT)
    ax.set_yticks([])
    ax.tick_params(length=0, pad=1)
    ax.set_anchor('W')
    ax.set_title(title, loc='left', fontsize=_BOX_TEXT)
    return ax


def maps_title(name, maps, channels, pick):
    title = f'{name}   {dims_text(maps.shape)}'
    if len(channels) < len(maps):
        title += (f'   ({len(channels)} most active of {len(maps)})' if pick == 'active'
                  else f'   (first {len(channels)} of {len(maps)})')
    return title


def draw_input(ax, image, title):
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
    fig = figure_of_size(fig, (SLIDE_WIDTH if cols == 2 else 7.0,
                        min(SLIDE_HEIGHT + 0.5, 0.7 + 1.2 * max(per_col, 2))))
    grid = fig.add_gridspec(per_col, cols + 1, width_ratios=(1.3,) + (4.8,) * cols)
    draw_input(fig.add_subplot(grid[:, 0]), image, f'input\n{dims_text(image.shape)}')
    for i, (name, maps) in enumerate(rows):
        channels = pick_channels(maps, max_maps, pick)
        draw_strip(fig.add_subplot(grid[i % per_col, 1 + i // per_col]), maps, channels,
                    maps_title(name, maps, channels, pick))
    fig.suptitle(f'{type(model).__name__}: one image, layer by layer. Numbers: channels; '
                 f'colours: one scale per layer, brightest = strongest', fontsize=SLIDE_FONT)
    return fig


def plot_filters_before_after(before, after, fig=None, max_tiles=64):
    """The first-layer filters before and after training side by side: two mosaics in
    which filter i has the SAME signed colour scale (its largest absolute weight before
    or after), so a filter that grew looks stronger after. ``before`` / ``after``: weight
    arrays (out, in, kh, kw), numpy or MXNet, e.g. ``conv_weights(model)`` taken before
    and after ``trainer.fit``. Returns the figure."""
    before = to_numpy(before).astype(np.float64)
    after = to_numpy(after).astype(np.float64)
    if before.shape != after.shape or before.ndim != 4:
        raise ValueError(f'before has shape {before.shape} and after {after.shape}; pass '
                         f'the same layer\'s weights (out, in, kh, kw) twice, e.g. '
                         f'conv_weights(model) before and after training')
    scale = np.maximum(np.abs(before), np.abs(after)).reshape(len(before), -1).max(axis=1)
    mosaic, _, _ = filter_mosaic(after, max_tiles=max_tiles)
    side = 3.6                                      # inches per mosaic, its longer side
    aspect = mosaic.shape[0] / mosaic.shape[1]
    fig = figure_of_size(fig, (2 * side * min(1.0, 1 / aspect) + 1.5,
                        side * min(1.0, aspect) + 0.8))
    axes = fig.subplots(1, 2)
    for ax, w, title in zip(axes, (before, after), ('conv1 before training',
                                                    'conv1 after training')):
        plot_filters(w, ax=ax, max_tiles=max_tiles, title=title, scale=scale)
    fig.colorbar(axes[1].images[0], ax=list(axes), shrink=0.8,
                 label='weight / largest |weight|\nof that filter (before or after)')
    return fig


# ------------------------------------------------------------------------- block diagrams
def draw_box(ax, x, y, w, h, text, kind, fontsize=_BOX_TEXT):
    """A labelled box centred at (x, y), tinted by the layer kind."""
    from matplotlib.patches import FancyBboxPatch
    colour = _KIND_COLOURS[kind]
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle='round,pad=0,rounding_size=0.05',
                                facecolor=matplotlib.colors.to_rgba(colour, 0.22),
                                edgecolor=colour, linewidth=1.5))
    ax.text(x, y, text, ha='center', va='center', fontsize=fontsize)


def draw_arrow(ax, start, end):
    ax.annotate('', xy=end, xytext=start,
                arrowprops=dict(arrowstyle='-|>', color='0.35', lw=1.2, shrinkA=0,
                                shrinkB=0))


def diagram_axes(ax, figsize):
    """``ax`` (or new axes of ``figsize``) without axis lines, for a diagram."""
    if ax is None:
        ax = new_axes(figsize=figsize, layout='constrained')
    ax.axis('off')
    return ax




# -------------------------------------------------------------- one convolution step
def _grid_lines(ax, rows, cols, colour='0.6', width=0.4):
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which='minor', color=colour, linewidth=width)
    ax.tick_params(which='both', length=0)
    ax.set_xticks([])
    ax.set_yticks([])


def _wrap(text, width=110):
    import textwrap
    return '\n'.join(textwrap.wrap(text, width))


def plot_conv_step(step, fig=None):
    """The picture of `inside.conv_step` / `inside.model_conv_step`: the padded input
    (padding shaded) with the window at the chosen output position, the kernel, and the
    output grid with that position marked; the size rule with its numbers on top, the
    sum that makes the value and any problem of the setting (in red) below. Returns the
    figure."""
    from matplotlib.patches import Rectangle
    problems = '\n'.join(_wrap('• ' + problem) for problem in step['problems'])
    text_lines = 1 + (problems.count('\n') + 2 if problems else 0)
    # the grids give up the height the red lines take: the picture keeps the height of one
    # without problems, so on a slide its text is not shrunk below 18 px
    top = max(3.0, 4.4 - 0.26 * (text_lines - 1))
    size = (11.0, top + 0.26 * text_lines)
    fig = figure_of_size(fig, size)
    fig.set_size_inches(*size)                  # also a figure passed in (the explorer's)
    grid = fig.add_gridspec(2, 3, width_ratios=(1.25, 0.75, 1.0),
                            height_ratios=(top, 0.26 * text_lines))
    n, k, p, s = step['n'], step['k'], step['padding'], step['stride']
    padded = step['padded'].mean(axis=0)
    ax = fig.add_subplot(grid[0, 0])
    ax.imshow(padded, cmap='gray', vmin=0, vmax=max(1e-6, padded.max()),
              interpolation='nearest')
    if p:
        shade = np.zeros(padded.shape + (4,))
        shade[..., :3] = (0.55, 0.75, 1.0)
        inner = np.ones(padded.shape, bool)
        inner[p:p + n, p:p + n] = False
        shade[inner, 3] = 0.55
        ax.imshow(shade, interpolation='nearest')
    _grid_lines(ax, *padded.shape, width=0.3 if padded.shape[0] > 16 else 0.6)
    ax.set_title(f'input {n}×{n}, padding {p} (blue)', fontsize=SLIDE_FONT)
    out = step['out_size']
    if step['window'] is not None:
        top, left = step['window']
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), k, k, fill=False,
                               edgecolor='red', linewidth=2.5))
        if step['col'] + 1 < out:    # the next window to the right, dashed: the stride
            ax.add_patch(Rectangle((left + s - 0.5, top - 0.5), k, k, fill=False,
                                   edgecolor='orange', linewidth=1.5, linestyle='--'))
    kernel = step['kernel'].mean(axis=0)
    ax = fig.add_subplot(grid[0, 1])
    lim = max(1e-6, np.abs(kernel).max())
    ax.imshow(kernel, cmap=SIGNED_CMAP, vmin=-lim, vmax=lim, interpolation='nearest')
    _grid_lines(ax, k, k, width=0.8)
    title = f'kernel {k}×{k}'
    if 'channel' in step:
        title += f', filter {step["channel"]}'
        trained = step['trained_k']
        if trained != k:
            title += (f'\n(centre of the trained {trained}×{trained})' if k < trained else
                      f'\n(trained {trained}×{trained} + zero border)')
    ax.set_title(title, fontsize=SLIDE_FONT)
    ax = fig.add_subplot(grid[0, 2])
    if out > 0:
        ax.imshow(step['output'], cmap='viridis', interpolation='nearest')
        _grid_lines(ax, out, out, width=0.3 if out > 16 else 0.6)
        ax.add_patch(Rectangle((step['col'] - 0.5, step['row'] - 0.5), 1, 1, fill=False,
                               edgecolor='red', linewidth=2.5))
        ax.set_title(f'output {out}×{out}, stride {s}', fontsize=SLIDE_FONT)
    else:
        ax.set_axis_off()
        ax.set_title('no output', fontsize=SLIDE_FONT, color='firebrick')
    fig.suptitle(f'output size = {step["rule"]}' + (
        f';   after {step["pool"]}×{step["pool"]} pooling: {step["pool_rule"]}'
        if step['pool_rule'] else ''), fontsize=SLIDE_FONT + 1)
    lines = []
    if step['value'] is not None:
        act = step['activation']
        line = (f'output ({step["row"]}, {step["col"]}) = sum of the red window × kernel '
                f'+ bias = {step["z"]:.3f}')
        lines.append(line + (f';   {act}({step["z"]:.3f}) = {step["value"]:.3f}'
                             if act else ''))
    text = fig.add_subplot(grid[1, :])
    text.set_axis_off()
    text.text(0, 1, '\n'.join(lines), fontsize=SLIDE_FONT, va='top', transform=text.transAxes)
    if problems:
        text.text(0, 1 - 1.4 / text_lines if lines else 1, problems,
                  fontsize=SLIDE_FONT, va='top', color='firebrick', transform=text.transAxes)
    return fig


# ------------------------------------------------------------------- augmentation
def show_augmentations(data, index=0, num=16, seed=0, fig=None):
    """One training image and ``num`` copies from the data module's own training
    transform (`FashionMNIST.augmented_copies`: the flips and crops a run trains on).
    Returns the figure."""
    original, copies = data.augmented_copies(index, num, seed)
    cols = math.ceil(math.sqrt(num))
    rows = math.ceil(num / cols)
    fig = figure_of_size(fig, (11.0, 5.6))
    grid = fig.add_gridspec(rows, cols + rows, wspace=0.08, hspace=0.08)
    name = data.text_labels([data.train.labels[index]])[0]
    draw_input(fig.add_subplot(grid[:, :rows]), original, f'training image {index}: {name}')
    for i, copy in enumerate(copies):
        ax = fig.add_subplot(grid[i // cols, rows + i % cols])
        ax.imshow(_as_image(copy), cmap='gray', vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f'{num} augmented copies from the training pipeline: random flips and '
                 f'crops', fontsize=SLIDE_FONT + 1)
    return fig


# ------------------------------------------------------------------ class activation maps
def plot_class_activation_maps(model, images, labels, class_names, num=4, fig=None):
    """Where a GAP head looks: for ``num`` images (two per row), the image, then the class
    activation map of the predicted class and that of the true class
    (`inside.class_activation_maps`) over it, on one colour scale per image, titled with
    the class names (a wrong prediction in red). Returns the figure."""
    from .inside import class_activation_maps
    images, labels = to_numpy(images), [int(v) for v in iterate_values(labels)]
    num = min(positive_int(num, 'num'), len(images))
    maps = class_activation_maps(model, images[:num])
    rows = math.ceil(num / 2)
    # a map of a few cells drawn smooth would suggest detail it does not have
    smooth = 'bilinear' if min(maps.shape[2:]) >= 4 else 'nearest'
    fig = figure_of_size(fig, (11.0, 2.6 * rows + 0.6))
    grid = fig.add_gridspec(rows, 7, width_ratios=(1, 1, 1, 0.25, 1, 1, 1))
    for i in range(num):
        img = _as_image(images[i])
        pred, true = int(maps[i].mean(axis=(1, 2)).argmax()), labels[i]
        first = 4 * (i % 2)
        draw_input(fig.add_subplot(grid[i // 2, first]), img, f'image\n{img.shape[0]}×{img.shape[1]}')
        low, high = maps[i].min(), maps[i].max()
        for j, (what, c) in enumerate((('predicted', pred), ('true', true))):
            ax = fig.add_subplot(grid[i // 2, first + 1 + j])
            ax.imshow(img, cmap='gray')
            ax.imshow(maps[i, c], cmap='inferno', alpha=0.6, vmin=low, vmax=high,
                      interpolation=smooth, extent=(-0.5, img.shape[1] - 0.5,
                                                    img.shape[0] - 0.5, -0.5))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f'{what}\n{class_names[c]}', fontsize=SLIDE_FONT,
                         color='firebrick' if what == 'predicted' and pred != true else 'black')
    fig.suptitle(f'class activation maps ({maps.shape[2]}×{maps.shape[3]}): bright = '
                 f'counts for that class', fontsize=SLIDE_FONT + 1)
    return fig
