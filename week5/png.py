"""Figures as PNG bytes: off-screen rendering that is safe from a training thread
(`new_figure` + `figure_to_png`, `array_to_png` for live filters), and the record of a
figure's smallest text that the slides test reads (`figure_png`, `use_slide_display`).

Importing it changes no rcParams and no display mode and never imports pyplot; it needs
nothing of week5 (the book's ProgressBoard uses it from its drawing method).
"""
import base64
import io

import matplotlib
import numpy as np
from matplotlib.image import imsave
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, PngImagePlugin


__all__ = ['SIGNED_CMAP', 'TILE_GAP_COLOR', 'TEXT_SIZE_KEY', 'SLIDE_FONT', 'array_to_png',
           'new_figure', 'figure_to_png', 'canvas_to_png', 'png_size', 'slide_fonts',
           'min_text_px', 'figure_png', 'png_text', 'use_slide_display']

TILE_GAP_COLOR = '0.85'  # light grey between tiles of a mosaic
# Diverging map for signed weights: red positive, blue negative, white at zero.
SIGNED_CMAP = 'RdBu_r'


def array_to_png(values, cmap=SIGNED_CMAP, vmin=-1.0, vmax=1.0, scale=None,
                 width=288, bad=TILE_GAP_COLOR):
    """A 2-D array (e.g. a `filter_mosaic`) straight to PNG bytes through a colour map,
    each value a ``scale`` x ``scale`` block (default: about ``width`` pixels wide), NaN
    in the ``bad`` colour. No axes and no text, so it takes about a millisecond where a
    figure takes tens: what live filter plots use."""
    values = np.asarray(values.asnumpy() if hasattr(values, 'asnumpy') else values,
                        dtype=np.float64)
    if values.ndim != 2 or 0 in values.shape:
        raise ValueError(f'values has shape {values.shape}; pass a non-empty 2-D array')
    if scale is None:
        scale = max(1, width // values.shape[1])
    cm = matplotlib.colormaps[cmap].copy()
    cm.set_bad(bad)
    big = np.repeat(np.repeat(values, scale, axis=0), scale, axis=1)
    buf = io.BytesIO()
    imsave(buf, big, cmap=cm, vmin=vmin, vmax=vmax, format='png',
           metadata={TEXT_SIZE_KEY: 'none'})
    return buf.getvalue()


def new_figure(figsize=(4.0, 3.0), dpi=80, layout=None):
    """A figure that belongs to no pyplot window, drawn by Agg: for off-screen,
    any-thread rendering. ``layout='tight'`` or ``'constrained'`` re-runs the layout at
    every save (slow for live redraws; live plots fix their margins once instead)."""
    fig = Figure(figsize=figsize, dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def figure_to_png(fig, dpi=None):
    """Render a figure with Agg and return the PNG bytes (with its text-size record,
    see `figure_png`)."""
    return figure_png(fig, dpi=dpi, bbox_inches=None)


# A picture's text is as readable as its smallest letters. Every PNG drawn here records
# the size of its smallest text, in pixels of that PNG, as a tEXt chunk: the slides test
# multiplies it by the picture's displayed width / its width in pixels to get the size on
# the projector. 'none' marks a picture without text.
TEXT_SIZE_KEY = 'week5:min-text-px'


# Points of the smallest text in a figure meant for a slide: at the default 100 dpi a
# figure up to 11.5 inches wide is shown at its own size on a 1200-pixel-wide slide, where
# 13 points are 18 pixels, on a 1280x720 projector (`week5.slides`).
SLIDE_FONT = 13


_SLIDE_RC = {'font.size': SLIDE_FONT, 'axes.titlesize': SLIDE_FONT + 1,
             'axes.labelsize': SLIDE_FONT, 'xtick.labelsize': SLIDE_FONT,
             'ytick.labelsize': SLIDE_FONT, 'legend.fontsize': SLIDE_FONT,
             'legend.title_fontsize': SLIDE_FONT, 'figure.titlesize': SLIDE_FONT + 1}


def slide_fonts():
    """A context (``with slide_fonts(): ...``) in which new text is at least SLIDE_FONT
    points: what the figure functions here draw their text with."""
    return matplotlib.rc_context(_SLIDE_RC)


def _drawn_texts(artist):
    """The non-empty Text artists that drawing ``artist`` draws (hidden ones and the
    axis labels and ticks of an axes drawn with ``axis('off')`` left out)."""
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.text import Text
    if not artist.get_visible():
        return
    if isinstance(artist, Text) and artist.get_text().strip():
        yield artist
    for child in artist.get_children():
        if isinstance(child, Axis) and isinstance(artist, Axes) and not artist.axison:
            continue
        yield from _drawn_texts(child)


def min_text_px(fig, dpi=None, layout=True):
    """The smallest text ``fig`` draws, in pixels of a PNG saved at ``dpi`` (default:
    the figure's), or None when it draws no text. ``layout``: lay the figure out first
    (tick labels exist only once it is drawn); False when it was just drawn."""
    if layout:
        fig.draw_without_rendering()
    sizes = [t.get_fontsize() for t in _drawn_texts(fig)]
    if not sizes:
        return None
    return min(sizes) * (dpi or fig.dpi) / 72


def figure_png(fig, dpi=None, bbox_inches='tight'):
    """PNG bytes of ``fig`` (as Jupyter shows figures: cropped to what is drawn) whose
    metadata records the smallest text in pixels of the PNG (`TEXT_SIZE_KEY`)."""
    dpi = dpi or fig.dpi
    px = min_text_px(fig, dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi, bbox_inches=bbox_inches,
                facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor(),
                metadata={TEXT_SIZE_KEY: 'none' if px is None else f'{px:.2f}'})
    return buf.getvalue()


def png_text(png):
    """The tEXt chunks of PNG bytes as a dict (keyword -> text)."""
    png_size(png)                                   # the same check of the bytes
    out, at = {}, 8
    while at + 8 <= len(png):
        length = int.from_bytes(png[at:at + 4], 'big')
        kind = png[at + 4:at + 8]
        if kind == b'tEXt':
            key, _, value = png[at + 8:at + 8 + length].partition(b'\0')
            out[key.decode('latin-1')] = value.decode('latin-1')
        if kind == b'IEND':
            break
        at += 12 + length
    return out


def _slide_png_formatter(fig):
    if not fig.axes and not fig.lines:                 # an empty figure shows nothing
        return None
    return base64.b64encode(figure_png(fig)).decode('ascii')


def use_slide_display():
    """Draw text at slide size (at least SLIDE_FONT points: the rcParams of
    `slide_fonts`) and show matplotlib figures in Jupyter as PNGs that record their
    smallest text size (`figure_png`), which the slides test reads (explicit; never at
    import). Call it
    after the first pyplot import: activating the inline backend resets the formatter.
    Outside IPython this does nothing."""
    try:
        from IPython import get_ipython
    except ImportError:  # no IPython: nothing to configure
        return
    shell = get_ipython()
    if shell is None:
        return
    import matplotlib.pyplot as plt
    plt.close(plt.figure())   # loads the backend: the inline one registers its formatter now
    matplotlib.rcParams.update(_SLIDE_RC)
    shell.display_formatter.formatters['image/png'].for_type(Figure, _slide_png_formatter)


def canvas_to_png(fig):
    """PNG bytes of what the figure's Agg canvas holds now, without drawing it again
    (after ``canvas.draw()`` or blitting with ``restore_region`` / ``draw_artist``):
    a few milliseconds where `figure_to_png` re-renders the whole figure."""
    canvas = fig.canvas
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer('RGBA', (width, height), canvas.buffer_rgba(), 'raw', 'RGBA', 0, 1)
    px = min_text_px(fig, layout=False)      # drawn already: its texts exist
    info = PngImagePlugin.PngInfo()
    info.add_text(TEXT_SIZE_KEY, 'none' if px is None else f'{px:.2f}')
    buf = io.BytesIO()
    image.save(buf, format='png', compress_level=1, pnginfo=info)
    return buf.getvalue()


def png_size(png):
    """(width, height) in pixels of PNG bytes, read from the header: size an image
    widget to this (or to a width and ``height = width * h / w``) so that the picture
    keeps its own aspect ratio."""
    if not isinstance(png, (bytes, bytearray)) or png[:8] != b'\x89PNG\r\n\x1a\n' or len(png) < 24:
        raise ValueError('png must be the bytes of a PNG image (they start with \\x89PNG)')
    return int.from_bytes(png[16:20], 'big'), int.from_bytes(png[20:24], 'big')
