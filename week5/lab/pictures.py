"""What the lab shows: its pictures (PNG bytes rendered by Agg) and HTML, and how a panel
displays itself with or without a live frontend.

* In a live frontend, pictures are ``ipywidgets.Image`` widgets whose ``value`` is PNG
  bytes; each is shown at its own pixel width but never wider than its column (CSS
  ``max-width: 100%``, ``height: auto``), so a narrow notebook (JupyterLab's sidebar
  open at 1280x720) shrinks a picture instead of cutting it with a scrollbar.
* Headless (nbconvert, nbval, plain Python), a panel is its static picture (skipped by
  nbval) and a text with rounded numbers.
"""
import base64
import html
import sys

import ipywidgets as W
import numpy as np

from ..summary import format_summary, layer_summary
from ..curves import plot_history
from ..inside import conv_layers, conv_weights, filter_change
from ..viz import plot_filters
from ..png import figure_to_png, new_figure, png_size

# the train curves are means over the batches between two points (a tenth of an epoch
# by default), not the epoch means the status line shows: the legend says which
TRAIN_CURVE = 'train (mean since the previous point)'


# ------------------------------------------------------------------------ display
def display(*objs):
    """IPython's display when a shell runs, else nothing (the caller prints text)."""
    ipython = sys.modules.get('IPython')
    if ipython is not None and ipython.get_ipython() is not None:
        from IPython.display import display as show
        show(*objs)
        return True
    return False


def png_bundle(png, text):
    bundle = {'text/plain': text}
    if png:
        bundle['image/png'] = base64.b64encode(png).decode('ascii')
    return bundle


class Panel:
    """A widget box plus headless display: the box in a live frontend, else the
    panel's static picture (PNG, skipped by nbval) and its text."""
    headless = False
    box = None

    def _text(self):
        raise NotImplementedError

    def _static_png(self):
        return None

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.headless:
            return png_bundle(self._static_png(), self._text())
        bundle = self.box._repr_mimebundle_(include=include, exclude=exclude)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data['text/plain'] = self._text()
        return bundle

    def __repr__(self):
        return self._text()


class StaticResult:
    """A headless cell output: the PNG (ignored by nbval) and the rounded summary."""

    def __init__(self, png, text):
        self.png, self.text = png, text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return png_bundle(self.png, self.text)


# ------------------------------------------------------------------------ image widgets
def _own_width(change):
    """Show an image widget's new PNG at its own pixel width (the height follows); the
    layout's ``max_width`` still shrinks it to its column."""
    width, _ = png_size(bytes(change['new']))   # ipywidgets holds a memoryview
    change['owner'].layout.width = f'{width}px'


def image(css_class):
    """An Image widget for PNG bytes: its own size, at most its column's width, the
    height following the width (no stretching by the flex boxes around it)."""
    widget = W.Image(format='png', layout=W.Layout(
        height='auto', max_width='100%', object_fit='contain', align_self='flex-start'))
    widget.observe(_own_width, names='value')
    widget.add_class(css_class)
    return widget


def column(*children, basis='auto', grow=0):
    """A VBox that may shrink below its content's width (``min-width: 0``), so that the
    pictures in it shrink with it (side by side) instead of overflowing the row."""
    return W.VBox(list(children), layout=W.Layout(min_width='0', flex=f'{grow} 1 {basis}'))


# ------------------------------------------------------------------------ pictures
def placeholder(text, figsize=(3.2, 1.0)):
    fig = new_figure(figsize, dpi=80)
    fig.text(0.5, 0.5, text, ha='center', va='center', color='0.4')
    return figure_to_png(fig)


def filters_png(model, title):
    """The first convolution's filters as a mosaic with a title; None without a conv."""
    if not conv_layers(model) or conv_weights(model) is None:
        return None
    fig = new_figure((3.2, 3.4), dpi=80, layout='constrained')
    plot_filters(conv_weights(model), ax=fig.add_subplot(), max_tiles=64, title=title)
    return figure_to_png(fig)


def draw_filter_change(axes, before, after, number):
    """conv1 before a run | after it | the difference, on three axes. Filter i has ONE
    scale in all three (its largest |weight| before or after): a small change shows as a
    pale difference, a large one as a strong one. The difference's title gives the median
    filter's change ('change 65%', `week5.inside.filter_change`)."""
    before, after = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    scale = np.maximum(np.abs(before), np.abs(after)).reshape(len(before), -1).max(axis=1)
    moved = float(np.median(filter_change(before, after)))
    titles = ('conv1 before', f'after run #{number}', f'change {moved:.0%}')
    for ax, w, title in zip(axes, (before, after, after - before), titles):
        plot_filters(w, ax=ax, max_tiles=64, title=title, scale=scale)


def filter_change_png(before, after, number):
    """`draw_filter_change` as a PNG for the filter column (three mosaics, stacked)."""
    fig = new_figure((3.2, 6.6), dpi=80, layout='constrained')
    draw_filter_change(fig.subplots(3, 1), before, after, number)
    return figure_to_png(fig)


def runs_png(runs, first_filters=None):
    """Curves of every run and, when ``first_filters`` (the last run's conv1 before it
    trained) is given, its before | after | difference; else its filters after
    training. Returns (PNG bytes, the figure), or (None, None) before the first run."""
    if not runs:
        return None, None
    last = runs[-1]
    convs = bool(conv_layers(last.model))
    change = convs and first_filters is not None
    fig = new_figure((13.0 if change else 11.0, 3.4), dpi=80, layout='constrained')
    ratios = (1, 1, 0.55, 0.55, 0.55) if change else (1, 1, 0.7)
    grid = fig.add_gridspec(1, len(ratios), width_ratios=ratios)
    axes = [fig.add_subplot(grid[0, i]) for i in range(len(ratios))]
    plot_history(runs, labels=[r.label for r in runs], ax=axes[:2], train_name=TRAIN_CURVE)
    if change:
        draw_filter_change(axes[2:], first_filters, conv_weights(last.model), len(runs))
    elif convs:
        plot_filters(conv_weights(last.model), ax=axes[2], max_tiles=64,
                     title=f'conv1 after run #{len(runs)}')
    else:
        axes[2].axis('off')
    return figure_to_png(fig), fig


# ------------------------------------------------------------------------ HTML
def network_html(model, title, resize):
    """The network's layer table, open, for the first screen."""
    try:
        table = format_summary(layer_summary(model, (1, 1, *resize)))
    except (ValueError, TypeError) as err:        # e.g. a custom net without input_shape
        table = f'(no layer table: {err})'
    return (f'<details open><summary><b>The network</b> ({html.escape(title)}, '
            f'{resize[0]}&times;{resize[1]} input)</summary>'
            f'<pre style="font-size:85%;line-height:1.2;max-width:100%;overflow-x:auto">'
            f'{html.escape(table)}</pre></details>')


# what to try, per knob the panel has (a knob the panel lacks is never suggested)
_TRIES = (
    ('activation', 'switch <b>activation</b> between sigmoid and relu: the recipe suggests '
                   'a learning rate for each (the status line says what it changed)'),
    ('kernel_sizes[0]', 'a smaller or larger first kernel (<b>kernel_sizes[0]</b>): watch '
                        'the filters on the right'),
    ('kernel_sizes', 'a different <b>kernel_sizes</b>: watch the filters on the right'),
    ('dropout', 'raise <b>dropout</b> and compare the gap between train and val accuracy'),
    ('batch_norm', 'turn on <b>batch_norm</b>: it tolerates a larger learning rate'),
    ('width_divisor', 'a smaller <b>width_divisor</b> (a wider network): slower, often '
                      'more accurate'),
    ('lr', 'halve or double the <b>learning rate</b>; press <b>Stop</b> when a run '
           'clearly goes nowhere'),
)


def first_screen_html(controls):
    """What to try, before the first run, naming only knobs the panel has."""
    tries = [text for name, text in _TRIES if name in controls]
    if 'kernel_sizes[0]' in controls:
        tries = [t for t in tries if 'a different <b>kernel_sizes' not in t]
    items = ''.join(f'<li>{t}</li>' for t in tries)
    return ('<div class="week5-first"><b>Before the first run.</b> Press <b>Train</b> to '
            'train the recipe as set up; each run is kept, overlaid on the curves and '
            f'listed below. Then try:<ul style="margin:2px 0">{items}</ul></div>')


def runs_html(runs, start):
    """The table of runs under the plot: what each changed, its result, and its full
    recipe one click away."""
    if not runs:
        return ''
    cell = 'style="padding:2px 12px 2px 0;text-align:left;vertical-align:top"'
    rows = []
    for run in runs:
        acc = run.final('val_acc')
        recipe = html.escape(run.recipe.describe(versus=start, names=('this run', 'lab start')))
        rows.append(
            f'<tr><td {cell}>{html.escape(run.label)}</td><td {cell}>{len(run.history)}'
            f'{" (stopped)" if run.stopped else ""}</td>'
            f'<td {cell}>{"-" if acc is None else f"{acc:.3f}"}</td>'
            f'<td {cell}>{run.seconds:.0f} s</td>'
            f'<td {cell}><details><summary>recipe</summary><pre style="margin:0">{recipe}'
            f'</pre></details></td></tr>')
    return (f'<table class="week5-runs" style="border-collapse:collapse"><tr>'
            f'<th {cell}>run (what changed)</th><th {cell}>epochs</th><th {cell}>val acc</th>'
            f'<th {cell}>time</th><th {cell}></th></tr>' + ''.join(rows) + '</table>')
