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
import dataclasses
import html
import os
import sys
import threading
import time

import ipywidgets as W

from .core import Callback, Trainer
from .live import LiveCurves, LiveFilters
from .viz import (conv_layers, conv_weights, feature_maps, figure_to_png, format_metrics,
                  list_layers, new_figure, plot_feature_maps, plot_filters, plot_history,
                  run_label, show_images, to_mx_array)

__all__ = ['is_headless', 'Run', 'TrainingLab', 'FilterViewer', 'FeatureMapExplorer',
           'InceptionPanel']

HEADLESS_ENV = 'WEEK5_HEADLESS'
_TRUE, _FALSE = ('1', 'true', 'yes', 'on'), ('0', 'false', 'no', 'off')
_SUMMARY_DIGITS = 2        # rounding of metrics in headless text output (stable for nbval)


# ---------------------------------------------------------------------------- headless
def is_headless():
    """True when no Jupyter frontend will render widgets.

    1. ``WEEK5_HEADLESS=1`` / ``=0`` decides when set.
    2. No IPython kernel (plain Python, pytest, a terminal IPython): headless.
    3. In a kernel: a Jupyter server (JupyterLab, Notebook) starts kernels with
       ``JPY_SESSION_NAME`` in their environment and VS Code defines
       ``__vsc_ipynb_file__``; kernels started by nbconvert / nbclient / nbval / papermill
       have neither: headless. A kernel whose parent process is such a runner is
       headless too, even with an inherited ``JPY_SESSION_NAME`` (``!make test`` run
       from a notebook).
    """
    flag = os.environ.get(HEADLESS_ENV, '').strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    ipython = sys.modules.get('IPython')
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or 'IPKernelApp' not in getattr(shell, 'config', {}):
        return True
    if '__vsc_ipynb_file__' in shell.user_ns:
        return False
    return not os.environ.get('JPY_SESSION_NAME') or _started_by_runner()


_RUNNERS = ('pytest', 'py.test', 'nbval', 'jupyter-nbconvert', 'nbconvert', 'nbclient',
            'jupyter-execute', 'papermill')


def _started_by_runner():
    """True when the kernel's parent (``JPY_PARENT_PID``, set by jupyter_client) runs
    pytest / nbconvert / papermill. Reads /proc (Linux); elsewhere False."""
    try:
        pid = int(os.environ.get('JPY_PARENT_PID', ''))
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            argv = f.read().decode(errors='replace').split('\0')
    except (ValueError, OSError):
        return False
    # `python -m pytest`, a script run through its shebang (`python .../pytest`), or a
    # binary
    programs = argv[2:3] if argv[1:2] == ['-m'] else argv[:2]
    return any(os.path.basename(p) in _RUNNERS for p in programs)


def _display(*objs):
    """IPython's display when a shell runs, else nothing (the caller prints text)."""
    ipython = sys.modules.get('IPython')
    if ipython is not None and ipython.get_ipython() is not None:
        from IPython.display import display
        display(*objs)
        return True
    return False


def _png_bundle(png, text):
    import base64
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
@dataclasses.dataclass
class Run:
    """One finished (or stopped) training run of a TrainingLab: what was set, what
    happened, and the trained model with its final weights."""
    number: int
    network: str
    config: object          # the model's config dataclass (None for a custom model)
    settings: dict          # lr, num_epochs, batch_size, num_train, num_val, resize
    history: object         # week5.core.History
    model: object           # the trained Classifier
    stopped: bool = False
    seconds: float = 0.0

    @property
    def label(self):
        return _run_name(self.number, self.network, self.config, self.settings['lr'])

    def final(self, key='val_acc'):
        """The last recorded value of ``key`` (None if never recorded)."""
        return self.history.last(key)

    def summary(self, digits=_SUMMARY_DIGITS):
        epochs = len(self.history.epochs)
        row = {k: self.final(k) for k in ('train_loss', 'train_acc', 'val_loss', 'val_acc')}
        text = f'Run {self.label}: {epochs} epoch{"s" if epochs != 1 else ""}'
        metrics = format_metrics(row, digits=digits)
        if metrics:
            text += f', {metrics}'
        if self.stopped:
            text += ' (stopped)'
        return text

    def __repr__(self):
        return self.summary()


def _run_name(number, network, config, lr):
    what = run_label(config) if config is not None else network
    return f'#{number} {what}, lr={lr:g}'


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


def _config_controls(config):
    """One widget per knob of the config the lab exposes, generated from its fields:
    kernel sizes (one slider per conv stage), activation, pool, dropout, batch norm,
    width divisor and input resolution. Returns {name: widget}; names match the
    config's error messages (e.g. 'kernel_sizes[2]')."""
    from .models import ACTIVATIONS, POOLS
    style = {'description_width': 'initial'}
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if f.name == 'kernel_sizes':
            sizes = [value] if isinstance(value, int) else list(value)
            for i, k in enumerate(sizes):
                name = 'kernel_sizes' if isinstance(value, int) else f'kernel_sizes[{i}]'
                out[name] = W.IntSlider(value=k, max=max(11, k), description=name,
                                        style=style, **_ODD_KERNELS)
        elif f.name == 'activation':
            out[f.name] = W.Dropdown(options=ACTIVATIONS, value=value, description=f.name,
                                     style=style)
        elif f.name == 'pool':
            out[f.name] = W.Dropdown(options=POOLS, value=value, description=f.name,
                                     style=style)
        elif f.name == 'dropout':
            out[f.name] = W.FloatSlider(value=value, min=0.0, max=0.9, step=0.05,
                                        description=f.name, style=style)
        elif f.name == 'batch_norm':
            out[f.name] = W.Checkbox(value=value, description=f.name, indent=False)
        elif f.name == 'width_divisor':
            options = sorted({1, 2, 4, 8, 16, 32, value})
            out[f.name] = W.Dropdown(options=options, value=value, description=f.name,
                                     style=style)
        elif f.name == 'resize' and isinstance(value, int):
            options = sorted(set(_RESIZES) | {value})
            out[f.name] = W.Dropdown(options=options, value=value,
                                     description='resize (pixels)', style=style)
    return out


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


# ------------------------------------------------------------------------- TrainingLab
class TrainingLab(_Panel):
    """A panel to train any registered network (or a custom Classifier) interactively.

        lab = TrainingLab('lenet')            # the profile from WEEK5_PROFILE
        lab                                   # shows the panel
        lab.train(activation='relu')          # or set controls and press Train
        lab.wait(); lab.best_run().model      # reuse a trained model later

    Controls are generated from the model's config (``lab.controls``), plus ``lr`` and
    ``num_epochs``; the data sizes come from the profile. Each finished or stopped run
    is kept in ``lab.runs`` (config, settings, History, trained model). Changing a model
    knob re-suggests the profile's learning rate for it (e.g. a ReLU LeNet needs a
    smaller one than the sigmoid LeNet).

    Args:
        model: a registry name ('lenet', ...) or a model instance (its class and config
            start the controls; every run trains a fresh copy).
        profile: 'quick', 'laptop', 'full' or None (``WEEK5_PROFILE``).
        data: a DataModule to use instead of the profile's FashionMNIST subset.
        headless: None detects (`is_headless`); True trains synchronously and prints.
        callbacks: extra Callbacks for every run's Trainer.
        max_overlay: how many earlier runs the live curves overlay.
        **overrides: profile settings or config knobs to start from.
    """

    def __init__(self, model='lenet', profile=None, data=None, headless=None,
                 callbacks=(), max_overlay=4, **overrides):
        from .models import MODELS
        from .profiles import get_profile
        self.profile = get_profile(profile)
        self.headless = is_headless() if headless is None else bool(headless)
        self.callbacks, self.max_overlay, self.data = list(callbacks), max_overlay, data
        self._model_class, instance = None, None
        if isinstance(model, str):
            if model not in MODELS:
                raise ValueError(f'unknown model {model!r}: choose one of '
                                 f'{", ".join(map(repr, MODELS))} or pass a model instance')
            self.network = model
        elif hasattr(model, 'net') and hasattr(model, 'configure_optimizers'):
            instance = model
            self.network = next((n for n, c in MODELS.items() if isinstance(model, c)), None)
            if self.network is None:
                self._model_class = type(model)
        else:
            raise TypeError(f'model must be a registry name or a Classifier instance, got '
                            f'{type(model).__name__}')
        profile_name = self.network or 'lenet'     # a custom model: LeNet's data sizes
        size = getattr(data, 'resize', None)
        if self.network and size is not None:     # the given data fixes the resolution
            side = size if isinstance(size, int) else size[0]
            if not isinstance(size, int) and size[0] != size[1]:
                raise ValueError(f'data.resize={size} is not square; the lab models take '
                                 f'square inputs: use FashionMNIST(resize={size[0]})')
            overrides = dict(overrides, resize=side)
        if self.network is None:
            self.settings = self.profile.settings('lenet')
            self._hparams = dict(getattr(instance, 'hparams', {}))
            self.settings['lr'] = getattr(instance, 'lr', self.settings['lr'])
            self.base_config = None
            unknown = set(overrides) - {'lr', 'num_epochs', 'batch_size', 'num_train',
                                        'num_val'}
            if unknown:
                raise ValueError(f'{", ".join(sorted(unknown))}: a custom model has no '
                                 f'config knobs; pass lr, num_epochs or data sizes')
            self.settings.update(overrides)
        else:
            cls = MODELS[profile_name].config_class
            if instance is not None:
                start = {f.name: getattr(instance.config, f.name)
                         for f in dataclasses.fields(instance.config)}
                start.update(lr=instance.lr)
                start.update(overrides)
                overrides = start
            self.settings = self.profile.settings(profile_name, **overrides)
            knobs = {k: v for k, v in self.settings.items() if k in cls.knobs()}
            self.base_config = cls(**knobs)        # validates
        # what every run starts from before the controls are applied (lr excluded, so
        # the profile's rules can suggest one per knob combination)
        self._overrides = {k: v for k, v in overrides.items() if k != 'lr'}
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
        style = {'description_width': 'initial'}
        self.controls = (_config_controls(self.base_config)
                         if self.base_config is not None else {})
        if self.data is not None and 'resize' in self.controls:
            self.controls['resize'].disabled = True      # the given data fixes it
        self.controls['lr'] = W.BoundedFloatText(
            value=self.settings['lr'], min=1e-5, max=10.0, step=0.01,
            description='learning rate', style=style)
        self.controls['num_epochs'] = W.BoundedIntText(
            value=self.settings['num_epochs'], min=1, max=100, description='epochs',
            style=style)
        self._defaults = {k: w.value for k, w in self.controls.items()}
        for name, widget in self.controls.items():
            if name not in ('lr', 'num_epochs'):
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
        self.curves = W.Image(value=_placeholder('training curves appear here',
                                                 (7.0, 2.6)), format='png')
        self.filters = W.Image(value=_placeholder('conv1 filters', (3.2, 3.4)),
                               format='png')
        self.curves.add_class('week5-curves')
        self.filters.add_class('week5-filters')
        names = list(self.controls)
        knobs = [self.controls[n] for n in names if n not in ('lr', 'num_epochs')]
        half = (len(knobs) + 1) // 2
        self.box = W.VBox([
            W.HTML(f'<b>Training lab: {html.escape(self._title())}</b> '
                   f'(profile {self.profile.name!r}: {self._data_text()})'),
            W.HBox([W.VBox(knobs[:half]), W.VBox(knobs[half:]),
                    W.VBox([self.controls['lr'], self.controls['num_epochs']])]),
            W.HBox([self.train_button, self.stop_button, self.reset_button]),
            self.status,
            W.HBox([self.curves,
                    W.VBox([W.HTML('<b>conv1 filters</b>: red +, blue &minus;, each scaled '
                                   'to its own largest weight'), self.filters])]),
        ])
        self._say('Set the knobs and press Train.')

    def _title(self):
        return self.network if self.network else self._model_class.__name__

    def _data_text(self):
        if self.data is not None:
            return f'data {type(self.data).__name__}'
        s = self.settings
        n = 'all' if s['num_train'] is None else f'{s["num_train"]:,}'
        return f'{n} training images, batch {s["batch_size"]}'

    def _say(self, text, kind='info', echo=False):
        """Show ``text`` in the status line (``echo``: print it too, for headless)."""
        self.message = text
        if echo:
            print(text)
        color = {'info': 'inherit', 'warn': '#b36b00', 'error': '#c00'}[kind]
        self.status.value = (f'<span style="color:{color}">{html.escape(text, quote=False)}'
                             f'</span>')

    def _on_knob_change(self, change):
        """A model knob moved: suggest the profile's learning rate for the new knobs."""
        if self.network is None:
            return
        try:
            values = _config_values(self.base_config, self.controls)
            suggested = self.profile.settings(self.network,
                                              **{**self._overrides, **values})['lr']
        except (ValueError, TypeError):
            return                       # an invalid combination: reported on Train
        self.controls['lr'].value = suggested

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
        """Set controls (by name, e.g. ``activation='relu'``, ``kernel_sizes=(3, 5)`` or
        ``**{'kernel_sizes[0]': 3}``) and press Train. Interactive: returns at once (see
        ``wait``); headless: trains now and shows the result."""
        for name, value in values.items():
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

    def _spec(self):
        """What the next run trains, validated now (no MXNet work): (config, settings)."""
        lr, epochs = self.controls['lr'].value, self.controls['num_epochs'].value
        if not lr > 0:
            raise ValueError(f'learning rate must be > 0, got {lr}')
        if self.network is None:
            settings = dict(self.settings, lr=lr, num_epochs=epochs)
            return None, settings
        values = _config_values(self.base_config, self.controls)
        config = self.base_config.replace(**values)            # validate(): ValueError
        settings = self.profile.settings(self.network, **{
            **self._overrides, **values, 'lr': lr, 'num_epochs': epochs})
        return config, settings

    def _on_train(self, _button=None):
        with self._lock:
            if self.running:
                self._say('A run is already in progress: press Stop first, or wait for it '
                          'to finish.', 'warn', echo=self.headless)
                return
            try:
                config, settings = self._spec()
            except (ValueError, TypeError) as err:
                self._say(f'Not started: {err}', 'error', echo=self.headless)
                return
            self._stop_requested = False
            number = self._next_number
            self._next_number += 1
            self._say(f'Run {number}: starting ({run_label(config) if config else ""})')
            if self.headless:
                self._train(number, config, settings)
                self._show_static()
                return
            self._thread = threading.Thread(target=self._train,
                                            args=(number, config, settings),
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
        self.controls['lr'].value = self._defaults['lr']
        n = len(self.runs)
        self.runs.clear()
        self._next_number = 1
        self.curves.value = _placeholder('training curves appear here', (7.0, 2.6))
        self.filters.value = _placeholder('conv1 filters', (3.2, 3.4))
        self._say(f'Reset: controls back to their defaults, {n} stored run'
                  f'{"s" if n != 1 else ""} cleared.')

    # -- the run (on the training thread) -----------------------------------------------
    def _data_for(self, settings):
        if self.data is not None:
            return self.data
        from .data import FashionMNIST
        r = settings['resize']
        key = (r, settings['batch_size'], settings['num_train'], settings['num_val'])
        if key not in self._data_cache:
            self._data_cache[key] = FashionMNIST(
                batch_size=settings['batch_size'], resize=(r, r) if isinstance(r, int) else r,
                num_train=settings['num_train'], num_val=settings['num_val'], progress=False)
        return self._data_cache[key]

    def _make_model(self, config, settings):
        if self.network is None:
            return self._model_class(**dict(self._hparams, lr=settings['lr']))
        from .models import MODELS
        return MODELS[self.network](lr=settings['lr'], config=config)

    def _train(self, number, config, settings):
        start = time.perf_counter()
        try:
            self._say(f'Run {number}: loading data and building the model...')
            data = self._data_for(settings)
            model = self._make_model(config, settings)
            trainer = Trainer(settings['num_epochs'], progress=False, board=False)
            self._trainer = trainer
            previous = self.runs[-self.max_overlay:] if self.max_overlay else []
            label = _run_name(number, self._title(), config, settings['lr'])
            callbacks = [_StopGuard(self)] + self.callbacks
            if not self.headless:
                callbacks += [_StatusLine(self, number),
                              LiveCurves(sink=self.curves, previous=previous, label=label),
                              LiveFilters(sink=self.filters)]
            trainer.fit(model, data, callbacks=callbacks)
        except Exception as err:             # shown in the status line, kept for code
            self.last_error = err
            self._say(f'Run {number} failed: {err}', 'error', echo=self.headless)
            return
        finally:
            self._trainer = None
        run = Run(number, self.network or self._model_class.__name__, config, settings,
                  trainer.history, model, stopped=trainer.should_stop,
                  seconds=time.perf_counter() - start)
        self.runs.append(run)
        self.last_error = None
        self._say(('Stopped. ' if run.stopped else 'Finished. ') + run.summary(3))

    # -- headless output ----------------------------------------------------------------
    def _static_png(self):
        """Curves of every stored run and the last run's first-layer filters."""
        fig = new_figure((10.0, 2.8), dpi=80)
        grid = fig.add_gridspec(1, 3, width_ratios=(1, 1, 0.8))
        axes = [fig.add_subplot(grid[0, i]) for i in range(3)]
        if self.runs:
            plot_history(self.runs, labels=[r.label for r in self.runs], ax=axes[:2])
            w = conv_weights(self.runs[-1].model) if conv_layers(self.runs[-1].model) else None
            if w is not None:
                plot_filters(w, ax=axes[2], max_tiles=64, title='conv1 filters (last run)')
        fig.tight_layout()
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
        import numpy as onp
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
        import numpy as onp
        from mxnet import init
        from .models import Inception
        from .summary import count_params
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
