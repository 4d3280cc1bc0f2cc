"""ipywidgets panels: the `TrainingLab` and small focused viewers. The only module of
week5 that imports ipywidgets.

Design (see /work/shared/DESIGN.md, "Live plots, widgets and nbval"):

* Training runs on ONE background thread, so Stop and the rest of the notebook stay
  responsive; everything MXNet does for a run (building the model, fit, reading the
  filters) happens on that thread.
* Pictures are ``ipywidgets.Image`` widgets holding PNG bytes rendered by Agg (no
  ``Output`` + ``clear_output`` from threads, no ipympl), redrawn by the throttled
  callbacks of `week5.live`.
* Headless (nbconvert, nbval, plain Python, or ``WEEK5_HEADLESS=1``): the same calls
  train synchronously and leave one static figure and a text summary with rounded
  metrics as the output, so notebooks stay checkable and exportable.
"""
import base64
import dataclasses
import html
import sys
import threading
import time

import ipywidgets as W

import numpy as onp
from mxnet import init

from .callbacks import Callback
from .runtime import is_headless
from .live import LiveCurves, LiveFilters
from .models import ACTIVATIONS, MODELS, POOLS, Inception
from .models.blocks import INITS
from .profiles import get_profile
from .recipe import Recipe, Run
from .summary import count_params, format_summary, layer_summary
from .curves import format_metrics, plot_history
from .inside import conv_layers, conv_weights, feature_maps, list_layers, to_mx_array
from .viz import figure_to_png, new_figure, plot_feature_maps, plot_filters, png_size, show_images

__all__ = ['is_headless', 'TrainingLab', 'FilterViewer', 'FeatureMapExplorer',
           'InceptionPanel']

_SUMMARY_DIGITS = 2        # rounding of metrics in headless text output (stable for nbval)


def _own_width(change):
    """Show an image widget's new PNG at its own pixel width (the height follows)."""
    width, _ = png_size(bytes(change['new']))   # ipywidgets holds a memoryview
    change['owner'].layout.width = f'{width}px'


def _display(*objs):
    """IPython's display when a shell runs, else nothing (the caller prints text)."""
    ipython = sys.modules.get('IPython')
    if ipython is not None and ipython.get_ipython() is not None:
        from IPython.display import display
        display(*objs)
        return True
    return False


def _png_bundle(png, text):
    bundle = {'text/plain': text}
    if png:
        bundle['image/png'] = base64.b64encode(png).decode('ascii')
    return bundle


def _placeholder(text, figsize=(3.2, 1.0)):
    fig = new_figure(figsize, dpi=80)
    fig.text(0.5, 0.5, text, ha='center', va='center', color='0.4')
    return figure_to_png(fig)


class _Panel:
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
            return _png_bundle(self._static_png(), self._text())
        bundle = self.box._repr_mimebundle_(include=include, exclude=exclude)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data['text/plain'] = self._text()
        return bundle

    def __repr__(self):
        return self._text()


# ---------------------------------------------------------------------------- the runs
class _StopGuard(Callback):
    """Applies a Stop pressed before ``fit`` began (fit resets ``should_stop``)."""

    def __init__(self, lab):
        self.lab = lab

    def on_fit_start(self, trainer, model):
        if self.lab._stop_requested:
            trainer.stop()


class _StatusLine(Callback):
    """Progress in the status line, at most twice a second."""

    def __init__(self, lab, number, interval=0.5):
        self.lab, self.number, self.interval, self._last = lab, number, interval, 0.0

    def on_train_batch_end(self, trainer, model, batch_idx):
        now = time.perf_counter()
        if now - self._last >= self.interval:
            self._last = now
            row = trainer.history.batches[-1] if trainer.history.batches else {}
            self.lab._say(f'Run {self.number}: epoch {trainer.epoch + 1}/{trainer.max_epochs}, '
                          f'batch {batch_idx + 1}/{trainer.num_train_batches}'
                          + (f', {format_metrics(row, digits=3)}' if row else ''))


# ------------------------------------------------------------------------ control table
_ODD_KERNELS = dict(min=1, step=2)
_RESIZES = (16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224)
# the schedule dropdown shows 'constant' for the recipe's None (a Dropdown whose value is
# None shows no selection at all)
_CONSTANT = 'constant'
_SCHEDULES = (_CONSTANT, 'cosine')
_STYLE = {'description_width': 'initial'}


def _config_controls(config):
    """One widget per knob of the config the lab exposes, generated from its fields:
    kernel sizes (one slider per conv stage), activation, pool, dropout, batch norm,
    width divisor and input resolution. Returns {name: widget}; names match the
    config's error messages (e.g. 'kernel_sizes[2]')."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if f.name == 'kernel_sizes':
            sizes = [value] if isinstance(value, int) else list(value)
            for i, k in enumerate(sizes):
                name = 'kernel_sizes' if isinstance(value, int) else f'kernel_sizes[{i}]'
                out[name] = W.IntSlider(value=k, max=max(11, k), description=name,
                                        style=_STYLE, **_ODD_KERNELS)
        elif f.name == 'activation':
            out[f.name] = W.Dropdown(options=ACTIVATIONS, value=value, description=f.name,
                                     style=_STYLE)
        elif f.name == 'pool':
            out[f.name] = W.Dropdown(options=POOLS, value=value, description=f.name,
                                     style=_STYLE)
        elif f.name == 'dropout':
            out[f.name] = W.FloatSlider(value=value, min=0.0, max=0.9, step=0.05,
                                        description=f.name, style=_STYLE)
        elif f.name == 'batch_norm':
            out[f.name] = W.Checkbox(value=value, description=f.name, indent=False)
        elif f.name == 'width_divisor':
            options = sorted({1, 2, 4, 8, 16, 32, value})
            out[f.name] = W.Dropdown(options=options, value=value, description=f.name,
                                     style=_STYLE)
        elif f.name == 'resize' and isinstance(value, int):
            options = sorted(set(_RESIZES) | {value})
            out[f.name] = W.Dropdown(options=options, value=value,
                                     description='resize (pixels)', style=_STYLE)
    return out


def _optimizer_controls(recipe):
    """The optimizer row: every training field of the recipe a student may change."""
    return {
        'lr': W.BoundedFloatText(value=recipe.lr, min=1e-5, max=10.0, step=0.01,
                                 description='learning rate', style=_STYLE),
        'momentum': W.BoundedFloatText(value=recipe.momentum, min=0.0, max=0.99, step=0.05,
                                       description='momentum', style=_STYLE),
        'lr_schedule': W.Dropdown(options=_SCHEDULES, value=recipe.lr_schedule or _CONSTANT,
                                  description='lr schedule', style=_STYLE),
        'init': W.Dropdown(options=tuple(INITS), value=recipe.init, description='init',
                           style=_STYLE),
        'num_epochs': W.BoundedIntText(value=recipe.num_epochs, min=1, max=100,
                                       description='epochs', style=_STYLE),
    }


def _config_values(config, controls):
    """Config field overrides from the control values."""
    values = {}
    kernels = sorted((k for k in controls if k.startswith('kernel_sizes[')),
                     key=lambda k: int(k[len('kernel_sizes['):-1]))
    if kernels:
        values['kernel_sizes'] = tuple(int(controls[k].value) for k in kernels)
    for name, widget in controls.items():
        if not name.startswith('kernel_sizes[') and hasattr(config, name):
            values[name] = widget.value
    return values


def _runs_html(runs, start):
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


# ------------------------------------------------------------------------- TrainingLab
class TrainingLab(_Panel):
    """A panel to train any registered network (or a custom Classifier) interactively.

        lab = TrainingLab('lenet')            # the profile from WEEK5_PROFILE
        lab                                   # shows the panel
        lab.train(activation='relu')          # or set controls and press Train
        lab.wait(); lab.best_run().model      # reuse a trained model later

    The lab starts from the profile's ``Recipe`` of the network (``lab.recipe``) and
    trains exactly the recipe its controls describe: the model knobs generated from the
    config, and the optimizer row (learning rate, momentum, schedule, initialisation,
    epochs). Changing a model knob re-suggests the profile's optimizer settings for it
    (e.g. a ReLU LeNet needs a smaller learning rate than the sigmoid LeNet). Each
    finished or stopped run is kept in ``lab.runs`` (a ``week5.recipe.Run``: recipe,
    History, trained model), labelled by what it changed from the lab's start.

    Args:
        model: a registry name ('lenet', ...) or a model instance (its class and config
            start the controls; every run trains a fresh copy).
        profile: 'quick', 'laptop', 'full' or None (``WEEK5_PROFILE``).
        data: a DataModule to use instead of the recipe's FashionMNIST subset.
        headless: None detects (`is_headless`); True trains synchronously and prints.
        callbacks: extra Callbacks for every run's Trainer.
        max_overlay: how many earlier runs the live curves overlay.
        **changes: recipe or config fields to start from (e.g. ``num_train=6000``).
    """

    def __init__(self, model='lenet', profile=None, data=None, headless=None,
                 callbacks=(), max_overlay=4, **changes):
        self.profile = get_profile(profile)
        self.headless = is_headless() if headless is None else bool(headless)
        self.callbacks, self.max_overlay, self.data = list(callbacks), max_overlay, data
        self._factory = None
        size = getattr(data, 'resize', None)
        if size is not None:                        # the given data fixes the resolution
            if not isinstance(size, int) and size[0] != size[1]:
                raise ValueError(f'data.resize={size} is not square; the lab models take '
                                 f'square inputs: use FashionMNIST(resize={size[0]})')
        if isinstance(model, str):
            if model not in MODELS:
                raise ValueError(f'unknown model {model!r}: choose one of '
                                 f'{", ".join(map(repr, MODELS))} or pass a model instance')
            self.network = model
        elif hasattr(model, 'net') and hasattr(model, 'configure_optimizers'):
            self.network = next((n for n, c in MODELS.items() if isinstance(model, c)), None)
            if self.network is None:                # a custom Classifier: rebuilt per run
                hparams = dict(getattr(model, 'hparams', {}))
                cls = type(model)
                self._factory = lambda recipe: cls(**dict(hparams, lr=recipe.lr))
                self._title_text = cls.__name__
            else:                                   # a registry model: its config and SGD
                changes = {**{f.name: getattr(model.config, f.name)
                              for f in dataclasses.fields(model.config)},
                           'lr': model.lr, 'momentum': model.momentum,
                           'weight_decay': model.weight_decay, 'init': model.init, **changes}
        else:
            raise TypeError(f'model must be a registry name or a Classifier instance, got '
                            f'{type(model).__name__}')
        if size is not None and self.network is not None:
            changes = dict(changes, resize=size if isinstance(size, int) else size[0])
        if self.network is None:
            lenet = self.profile.recipe('lenet')    # a custom model: LeNet's data sizes
            unknown = set(changes) - {f.name for f in dataclasses.fields(Recipe)}
            if unknown:
                raise ValueError(f'{", ".join(sorted(unknown))}: a custom model has no '
                                 f'config knobs; pass recipe fields such as lr, num_epochs '
                                 f'or num_train')
            self.recipe = Recipe(self._title_text, None, **{
                f.name: getattr(lenet, f.name) for f in dataclasses.fields(Recipe)
                if f.name not in ('network', 'config')}).replace(
                lr=getattr(model, 'lr', lenet.lr), **changes)
        else:
            self.recipe = self.profile.recipe(self.network, **changes)   # validates
        # model knobs set at construction stay; the optimizer row follows the profile
        self._changes = {k: v for k, v in changes.items()
                         if k not in _optimizer_controls(self.recipe)}
        self.runs = []
        self._next_number = 1
        self.last_error = None
        self._lock = threading.Lock()
        self._thread = None
        self._trainer = None
        self._stop_requested = False
        self._data_cache = {}
        self._build_widgets()

    # -- widgets ------------------------------------------------------------------------
    def _build_widgets(self):
        config = self.recipe.config
        self.knobs = _config_controls(config) if config is not None else {}
        if self.data is not None and 'resize' in self.knobs:
            self.knobs['resize'].disabled = True        # the given data fixes it
        self.optimizer = _optimizer_controls(self.recipe)
        self.controls = {**self.knobs, **self.optimizer}
        self._defaults = {k: w.value for k, w in self.controls.items()}
        for widget in self.knobs.values():
            widget.observe(self._on_knob_change, names='value')
        self.train_button = W.Button(description='Train', button_style='success',
                                     icon='play')
        self.stop_button = W.Button(description='Stop', button_style='danger', icon='stop')
        self.reset_button = W.Button(description='Reset', icon='undo')
        self.train_button.on_click(self._on_train)
        self.stop_button.on_click(self._on_stop)
        self.reset_button.on_click(self._on_reset)
        self.status = W.HTML(value='')
        # CSS classes: stable handles for the browser test and for custom styling
        self.status.add_class('week5-status')
        # pictures at their own aspect ratio: no stretching by the flex boxes around them
        image_layout = dict(height='auto', max_width='100%', object_fit='contain',
                            align_self='flex-start')
        self.curves = W.Image(format='png', layout=W.Layout(**image_layout))
        self.filters = W.Image(format='png', layout=W.Layout(**image_layout))
        for image in (self.curves, self.filters):       # width follows each new picture
            image.observe(_own_width, names='value')
        self.curves.add_class('week5-curves')
        self.filters.add_class('week5-filters')
        self.runs_table = W.HTML(value='')
        self.runs_table.add_class('week5-runs')
        knobs = list(self.knobs.values())
        half = (len(knobs) + 1) // 2
        self.box = W.VBox([
            W.HTML(f'<b>Training lab: {html.escape(self._title())}</b> &mdash; starts from '
                   f'the <b>{self.profile.name}</b> profile\'s recipe ({self._data_text()})'),
            W.HBox([W.VBox(knobs[:half]), W.VBox(knobs[half:])]),
            W.HBox(list(self.optimizer.values())[:3]),
            W.HBox(list(self.optimizer.values())[3:]
                   + [self.train_button, self.stop_button, self.reset_button]),
            self.status,
            W.HBox([self.curves,
                    W.VBox([W.HTML('<b>conv1 filters</b>: red +, blue &minus;, each scaled '
                                   'to its own largest weight'), self.filters])]),
            self.runs_table,
        ])
        self._show_start()
        self._say('Set the knobs and press Train.')

    def _show_start(self):
        """Before the first run: the untrained first-layer filters, and the network's
        layer table where the runs table will be (the curves need a run)."""
        self.curves.value = _placeholder('press Train: loss and accuracy curves appear '
                                         'here while the network trains', (7.0, 0.6))
        if self.recipe.config is None:
            self.filters.value = _placeholder('conv1 filters', (3.2, 1.0))
            self.runs_table.value = ''
            return
        model = self.recipe.model()
        fig = new_figure((3.2, 3.4), dpi=80, layout='constrained')
        plot_filters(conv_weights(model), ax=fig.add_subplot(), max_tiles=64,
                     title='conv1 before training')
        self.filters.value = figure_to_png(fig)
        table = format_summary(layer_summary(model))
        self.runs_table.value = (
            f'<details open><summary><b>The network</b> ({html.escape(self._title())}, '
            f'{self.recipe.resize[0]}&times;{self.recipe.resize[1]} input)</summary>'
            f'<pre style="font-size:85%;line-height:1.2">{html.escape(table)}</pre></details>')

    def _title(self):
        return self.network or self._title_text

    def _data_text(self):
        if self.data is not None:
            return f'data {type(self.data).__name__}'
        r = self.recipe
        n = 'all' if r.num_train is None else f'{r.num_train:,}'
        return f'{n} training images, batch {r.batch_size}'

    def _say(self, text, kind='info', echo=False):
        """Show ``text`` in the status line (``echo``: print it too, for headless)."""
        self.message = text
        if echo:
            print(text)
        color = {'info': 'inherit', 'warn': '#b36b00', 'error': '#c00'}[kind]
        self.status.value = (f'<span style="color:{color}">{html.escape(text, quote=False)}'
                             f'</span>')

    def _suggested(self):
        """The profile's recipe for the current model knobs (raises for invalid ones)."""
        values = _config_values(self.recipe.config, self.knobs)
        return self.profile.recipe(self.network, **{**self._changes, **values})

    def _on_knob_change(self, change):
        """A model knob moved: suggest the profile's optimizer row for the new knobs
        (learning rate, momentum, schedule, initialisation and epochs)."""
        if self.network is None:
            return
        try:
            suggested = self._suggested()
        except (ValueError, TypeError):
            return                       # an invalid combination: reported on Train
        for name, widget in self.optimizer.items():
            value = getattr(suggested, name)
            widget.value = _CONSTANT if name == 'lr_schedule' and value is None else value

    # -- state --------------------------------------------------------------------------
    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout=None):
        """Block until the current run (if any) ends; True if none is running after."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def best_run(self, key='val_acc'):
        """The stored run with the best final ``key`` (highest; lowest for a loss)."""
        scored = [(r.final(key), r) for r in self.runs if r.final(key) is not None]
        if not scored:
            raise ValueError(f'no stored run has {key!r} yet: train a run first (runs '
                             f'stopped before validation have no val_ metrics)')
        pick = min if 'loss' in key else max
        return pick(scored, key=lambda sr: sr[0])[1]

    def compare(self, keys=('train_loss', 'val_loss', 'train_acc', 'val_acc'), ax=None):
        """All stored runs' curves overlaid, on a pyplot figure (for a later cell)."""
        if not self.runs:
            raise ValueError('no runs to compare yet: press Train (or call lab.train())')
        return plot_history(self.runs, keys, labels=[r.label for r in self.runs], ax=ax)

    # -- actions ------------------------------------------------------------------------
    def train(self, **values):
        """Set controls (by name, e.g. ``activation='relu'``, ``kernel_sizes=(3, 5)``,
        ``lr=0.05`` or ``**{'kernel_sizes[0]': 3}``) and press Train. Model knobs are set
        first (they re-suggest the optimizer row), then the optimizer fields given.
        Interactive: returns at once (see ``wait``); headless: trains now and shows the
        result."""
        order = sorted(values, key=lambda n: n in self.optimizer)
        for name in order:
            value = values[name]
            if name == 'kernel_sizes' and 'kernel_sizes' not in self.controls:
                sizes = [value] * self._num_kernel_controls() if isinstance(value, int) \
                    else list(value)
                if len(sizes) != self._num_kernel_controls():
                    raise ValueError(f'kernel_sizes has {len(sizes)} entries; this network '
                                     f'has {self._num_kernel_controls()} kernel knobs')
                for i, k in enumerate(sizes):
                    self.controls[f'kernel_sizes[{i}]'].value = k
            elif name in self.controls:
                self.controls[name].value = value
            else:
                raise ValueError(f'{name!r} is not a control of this lab: use one of '
                                 f'{", ".join(self.controls)}')
        self.train_button.click()

    def _num_kernel_controls(self):
        return sum(k.startswith('kernel_sizes[') for k in self.controls)

    def stop(self):
        self.stop_button.click()

    def reset(self):
        self.reset_button.click()

    def next_recipe(self):
        """The recipe the next run trains, as the controls describe it, validated now (no
        MXNet work): the profile's recipe for the model knobs, with the optimizer row."""
        lr = self.optimizer['lr'].value
        if not lr > 0:
            raise ValueError(f'learning rate must be > 0, got {lr}')
        base = self._suggested() if self.network is not None else self.recipe
        values = {name: w.value for name, w in self.optimizer.items()}
        if values['lr_schedule'] == _CONSTANT:
            values['lr_schedule'] = None
        return base.replace(**values)

    def _on_train(self, _button=None):
        with self._lock:
            if self.running:
                self._say('A run is already in progress: press Stop first, or wait for it '
                          'to finish.', 'warn', echo=self.headless)
                return
            try:
                recipe = self.next_recipe()
            except (ValueError, TypeError) as err:
                self._say(f'Not started: {err}', 'error', echo=self.headless)
                return
            self._stop_requested = False
            number = self._next_number
            self._next_number += 1
            self._say(f'Run {recipe.label(self.recipe, number)}: starting')
            if self.headless:
                self._train(number, recipe)
                self._show_static()
                return
            self._thread = threading.Thread(target=self._train, args=(number, recipe),
                                            name=f'week5-lab-run-{number}', daemon=True)
            self._thread.start()

    def _on_stop(self, _button=None):
        if not self.running:
            self._say('Nothing to stop: no run is in progress.')
            return
        self._stop_requested = True
        if self._trainer is not None:
            self._trainer.stop()
        self._say('Stopping after the current batch...')

    def _on_reset(self, _button=None):
        if self.running:
            self._say('A run is in progress: press Stop before Reset.', 'warn')
            return
        for name, value in self._defaults.items():
            self.controls[name].value = value
        for name in self.optimizer:                 # after the knobs' re-suggestions
            self.controls[name].value = self._defaults[name]
        n = len(self.runs)
        self.runs.clear()
        self._next_number = 1
        self._show_start()
        self._say(f'Reset: controls back to their defaults, {n} stored run'
                  f'{"s" if n != 1 else ""} cleared.')

    # -- the run (on the training thread) -----------------------------------------------
    def _data_for(self, recipe):
        if self.data is not None:
            return self.data
        key = (recipe.resize, recipe.batch_size, recipe.num_train, recipe.num_val,
               recipe.augment, recipe.seed)
        if key not in self._data_cache:
            self._data_cache[key] = recipe.data()
        return self._data_cache[key]

    def _train(self, number, recipe):
        start = time.perf_counter()
        label = recipe.label(self.recipe, number)
        try:
            self._say(f'Run {number}: loading data and building the model...')
            callbacks = [_StopGuard(self)] + self.callbacks
            if not self.headless:
                previous = self.runs[-self.max_overlay:] if self.max_overlay else []
                callbacks += [_StatusLine(self, number),
                              LiveCurves(sink=self.curves, previous=previous, label=label),
                              LiveFilters(sink=self.filters)]
            model, data, trainer = recipe.build(self._data_for(recipe), self._factory,
                                                callbacks, progress=False, board=False)
            self._trainer = trainer
            trainer.fit(model, data)
        except Exception as err:             # shown in the status line, kept for code
            self.last_error = err
            self._say(f'Run {number} failed: {err}', 'error', echo=self.headless)
            return
        finally:
            self._trainer = None
        run = Run(recipe, trainer.history, model, time.perf_counter() - start,
                  stopped=trainer.should_stop, label=label)
        self.runs.append(run)
        self.runs_table.value = _runs_html(self.runs, self.recipe)
        self.last_error = None
        self._say(('Stopped. ' if run.stopped else 'Finished. ') + run.summary(3))

    # -- headless output ----------------------------------------------------------------
    def _static_png(self):
        """Curves of every stored run and the last run's first-layer filters; None before
        the first run (a headless panel then shows its text only, no empty picture)."""
        if not self.runs:
            return None
        fig = new_figure((11.0, 3.2), dpi=80, layout='constrained')
        grid = fig.add_gridspec(1, 3, width_ratios=(1, 1, 0.7))
        axes = [fig.add_subplot(grid[0, i]) for i in range(3)]
        plot_history(self.runs, labels=[r.label for r in self.runs], ax=axes[:2])
        last = self.runs[-1]
        if conv_layers(last.model):
            plot_filters(conv_weights(last.model), ax=axes[2], max_tiles=64,
                         title=f'conv1 after run #{len(self.runs)}')
        else:
            axes[2].axis('off')
        self.figure = fig
        return figure_to_png(fig)

    def _show_static(self):
        if self.last_error is not None:
            return                            # the error was printed instead
        png = self._static_png()
        self.curves.value = png
        text = self.runs[-1].summary() if self.runs else self.message
        if not _display(_StaticResult(png, text)):
            print(text)

    def _text(self):
        knobs = ', '.join(f'{k}={w.value!r}' for k, w in self.controls.items())
        lines = [f'TrainingLab({self._title()!r}, profile={self.profile.name!r}): {knobs}']
        lines += [r.summary() for r in self.runs]
        if self.headless:
            lines.append('(headless: lab.train(...) trains now; the interactive panel '
                         'needs a live Jupyter frontend)')
        return '\n'.join(lines)


class _StaticResult:
    """A headless cell output: the PNG (ignored by nbval) and the rounded summary."""

    def __init__(self, png, text):
        self.png, self.text = png, text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return _png_bundle(self.png, self.text)


# ------------------------------------------------------------------------ small widgets
class FilterViewer(_Panel):
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
        self.image = W.Image(format='png')
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


class FeatureMapExplorer(_Panel):
    """Pick an image and a layer; see the image and that layer's feature maps.

    ``images``: an array (N, C, H, W) (numpy or MXNet), or None to take the first
    validation batch of ``data``."""

    def __init__(self, model, data=None, images=None, layer=0, index=0, max_maps=32,
                 headless=None):
        if images is None:
            if data is None:
                raise ValueError('pass images (N, C, H, W) or data (a DataModule) to take '
                                 'the first validation batch from')
            images, _ = next(iter(data.val_dataloader()))
        images = images.asnumpy() if hasattr(images, 'asnumpy') else onp.asarray(images)
        if images.ndim != 4:
            raise ValueError(f'images has shape {images.shape}; pass a batch shaped '
                             f'(N, C, H, W)')
        self.model, self.images, self.max_maps = model, images, max_maps
        self.headless = is_headless() if headless is None else bool(headless)
        layers = list_layers(model, (1,) + images.shape[1:])
        spatial = [(f'{name} -> {shape}', i) for i, name, shape in layers if len(shape) == 4]
        if not spatial:
            raise ValueError(f'{type(model).__name__} has no layer with (C, H, W) outputs')
        self.index = W.IntSlider(value=index, min=0, max=len(images) - 1, description='image')
        self.layer = W.Dropdown(options=spatial, value=layer if layer in dict(
            (v, v) for _, v in spatial) else spatial[0][1], description='layer')
        self.image = W.Image(format='png')
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


class InceptionPanel(_Panel):
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
