"""Watching a fit: the ``Callback`` protocol, the ``History`` a fit records, the one-line
progress bar, and the book's ``ProgressBoard`` with the callback that feeds it.

The Trainer (week5/core.py) knows nothing of these beyond the hooks. matplotlib, IPython and
tqdm are imported inside the drawing methods only, so headless training never loads them.
"""
import collections
import time

from .hparams import HyperParameters
from .runtime import in_notebook, progress_stream

__all__ = ['Callback', 'History', 'ProgressBar', 'ProgressBoard', 'BoardCallback']


class Callback:
    """Observer of ``Trainer.fit``: override the hooks you need; all default to no-ops.

    Read what you need from ``trainer.history``, ``trainer.epoch``,
    ``trainer.train_batch_idx``, ``trainer.num_train_batches`` and ``trainer.max_epochs``;
    call ``trainer.stop()`` to end the fit after the current batch.
    """

    def on_fit_start(self, trainer, model):
        pass

    def on_train_batch_end(self, trainer, model, batch_idx):
        pass

    def on_epoch_end(self, trainer, model, epoch):
        pass

    def on_fit_end(self, trainer, model):
        pass


class History:
    """Metrics of a fit: ``epochs`` (one dict per epoch) and ``batches`` (one dict per
    reporting interval, ``step`` = fractional epoch). ``history['val_acc']`` is the list
    of per-epoch values of a key.
    """
    EPOCH_KEYS = ('epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc',
                  'examples_per_sec', 'wall_time')

    def __init__(self, epochs=None, batches=None):
        self.epochs = list(epochs or [])
        self.batches = list(batches or [])

    def __getitem__(self, key):
        if not self.epochs or key not in self.epochs[-1]:
            known = sorted({k for row in self.epochs for k in row}) or list(self.EPOCH_KEYS)
            if self.epochs:
                raise KeyError(f'history has no per-epoch key {key!r}; known: {known}')
        return [row.get(key) for row in self.epochs]

    def __len__(self):
        return len(self.epochs)

    def last(self, key, default=None):
        """The latest value of ``key`` from the epoch rows, else the batch rows."""
        for rows in (self.epochs, self.batches):
            for row in reversed(rows):
                if row.get(key) is not None:
                    return row[key]
        return default

    def to_dict(self):
        return {'epochs': [dict(r) for r in self.epochs],
                'batches': [dict(r) for r in self.batches]}

    @classmethod
    def from_dict(cls, d):
        return cls(d.get('epochs'), d.get('batches'))

    def __repr__(self):
        return f'History({len(self.epochs)} epochs, {len(self.batches)} batch rows)'


class ProgressBar(Callback):
    """One text progress line (tqdm) for the whole fit: the epoch, the batches done and
    the latest metrics, ending as one finished line. Off with ``Trainer(progress=False)``
    or the environment variable ``WEEK5_PROGRESS=0``.

    Where it goes (``file=None``): in a terminal, stderr, as tqdm does; in a Jupyter
    notebook with a frontend, stdout (stderr shows as a pink error box, and the
    frontend keeps only the line's last state when the notebook is saved); in a kernel
    that no frontend watches (nbconvert, nbval: `is_headless`), nowhere: the raw
    updates would be saved as they were written, so executed notebooks keep no bar.
    """

    def __init__(self, file=None):
        self.file = file
        self._bar = None
        self._out = None

    def on_fit_start(self, trainer, model):
        self._close()
        self._seen = len(trainer.history.batches)
        self._out = self.file if self.file is not None else progress_stream()

    def on_train_batch_end(self, trainer, model, batch_idx):
        if self._out is None:
            return
        desc = f'epoch {trainer.epoch + 1}/{trainer._target}'
        if self._bar is None:
            from tqdm import tqdm
            todo = trainer._target - trainer._epochs_done
            self._bar = tqdm(total=todo * trainer.num_train_batches, file=self._out,
                             desc=desc, unit='batch', leave=True, mininterval=0.5,
                             dynamic_ncols=True)
        elif self._bar.desc != desc:
            self._bar.set_description(desc, refresh=False)
        self._bar.update(1)
        if len(trainer.history.batches) > self._seen:
            self._seen = len(trainer.history.batches)
            self._bar.set_postfix(_fmt(trainer.history.batches[-1], (
                'train_loss', 'train_acc')), refresh=False)

    def on_epoch_end(self, trainer, model, epoch):
        if self._bar is not None:
            self._bar.set_postfix(_fmt(trainer.history.epochs[-1], (
                'train_loss', 'train_acc', 'val_loss', 'val_acc', 'examples_per_sec')),
                refresh=False)

    def on_fit_end(self, trainer, model):
        self._close()

    def _close(self):
        if self._bar is not None:
            self._bar.close()            # the finished line, then a newline
            self._bar = None


def _fmt(row, keys):
    short = {'train_loss': 'loss', 'train_acc': 'acc', 'val_loss': 'val_loss',
             'val_acc': 'val_acc', 'examples_per_sec': 'ex/s'}
    return {short[k]: (f'{row[k]:.0f}' if k == 'examples_per_sec' else f'{row[k]:.3f}')
            for k in keys if row.get(k) is not None}


class BoardCallback(Callback):
    """Feeds ``model.board`` (the book's ProgressBoard) from the History: train curves at
    each reporting interval, validation at each epoch end, redrawn at most every
    ``min_interval`` seconds -- never a draw per batch."""

    def __init__(self, min_interval=2.0):
        self.min_interval = min_interval
        self._seen = 0
        self._last = 0.0

    def on_fit_start(self, trainer, model):
        self._seen = len(trainer.history.batches)

    def on_train_batch_end(self, trainer, model, batch_idx):
        rows = trainer.history.batches
        if len(rows) > self._seen:
            for row in rows[self._seen:]:
                for key in ('train_loss', 'train_acc'):
                    if row.get(key) is not None:
                        model.board.add(row['step'], row[key], key)
            self._seen = len(rows)
            if time.perf_counter() - self._last > self.min_interval:
                self._render(model)

    def on_epoch_end(self, trainer, model, epoch):
        row = trainer.history.epochs[-1]
        for key in ('val_loss', 'val_acc'):
            if row.get(key) is not None:
                model.board.add(row['epoch'], row[key], key)
        self._render(model)

    def _render(self, model):
        self._last = time.perf_counter()
        model.board.render()


# --- the progress board (d2l's API; draws with Agg, never through pylabtools) -----------
class ProgressBoard(HyperParameters):
    """The book's animated board: ``draw(x, y, label, every_n)`` averages every ``every_n``
    points of a curve and redraws.

    It renders with Matplotlib's Agg canvas (no pyplot, no ``backend2gui``) into
    ``self.fig``; inside Jupyter it shows the picture as a PNG that replaces itself.
    Outside Jupyter it only keeps the figure, so headless training never fails.
    """

    def __init__(self, xlabel=None, ylabel=None, xlim=None,
                 ylim=None, xscale='linear', yscale='linear',
                 ls=('-', '--', '-.', ':'), colors=('C0', 'C1', 'C2', 'C3'),
                 fig=None, axes=None, figsize=(3.5, 2.5), display=True):
        self.save_hyperparameters()
        self.raw_points = collections.OrderedDict()
        self.data = collections.OrderedDict()
        self._handle = None

    def add(self, x, y, label, every_n=1):
        """Record a point without redrawing; returns True if a new averaged point exists."""
        if label not in self.raw_points:
            self.raw_points[label], self.data[label] = [], []
        points = self.raw_points[label]
        points.append((float(x), float(y)))
        if len(points) < max(1, int(every_n)):
            return False
        xs, ys = zip(*points)
        self.data[label].append((sum(xs) / len(xs), sum(ys) / len(ys)))
        points.clear()
        return True

    def draw(self, x, y, label, every_n=1):
        """Add a point (``y`` may be a device scalar) and redraw if a new average exists."""
        if hasattr(y, 'asnumpy'):
            y = float(y.asnumpy())
        if self.add(x, y, label, every_n) and self.display:
            self.render()

    def render(self):
        """Draw the curves into ``self.fig`` (and show it when running in Jupyter)."""
        from matplotlib.figure import Figure
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        if self.fig is None:
            # constrained layout costs nothing until the figure is actually drawn
            self.fig = Figure(figsize=self.figsize, layout='constrained')
            FigureCanvasAgg(self.fig)
        axes = self.axes if self.axes is not None else (
            self.fig.axes[0] if self.fig.axes else self.fig.add_subplot())
        axes.cla()
        for (label, line), ls, color in zip(self.data.items(), self.ls, self.colors):
            if line:
                axes.plot([p[0] for p in line], [p[1] for p in line], linestyle=ls,
                          color=color, label=label)
        if self.xlim:
            axes.set_xlim(self.xlim)
        if self.ylim:
            axes.set_ylim(self.ylim)
        axes.set_xlabel(self.xlabel or 'epoch')
        if self.ylabel:
            axes.set_ylabel(self.ylabel)
        axes.set_xscale(self.xscale)
        axes.set_yscale(self.yscale)
        if self.data:
            # above the plot, never over the curves (the constrained layout makes room)
            axes.legend(loc='lower left', bbox_to_anchor=(0.0, 1.02), borderaxespad=0.0,
                        ncol=2, frameon=False, handlelength=1.5, columnspacing=1.0)
        if in_notebook():
            self._show()
        return self.fig

    def _show(self):
        from IPython import display
        from .png import figure_png        # matplotlib only when a notebook shows a board
        image = display.Image(data=figure_png(self.fig, bbox_inches=None), format='png')
        if self._handle is None:
            self._handle = display.display(image, display_id=True)
        else:
            self._handle.update(image)
