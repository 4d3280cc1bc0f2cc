"""The training lab's panel: its controls and their layout, wired to a `RunController`
(the thread, Stop, the runs) and to the pictures (`week5.lab.pictures`).

The controls describe one `Recipe`. Model knobs are generated from the network's config;
the optimizer row holds the recipe fields a student may change. A custom model gets only
the controls that reach it (its own ``lr`` / ``momentum`` hyperparameters, the schedule
and the epochs). Changing a model knob re-suggests the profile's optimizer settings for
it, keeps every value the student typed, and says in the status line what it changed.
Numbers the run cannot use (a learning rate <= 0, epochs < 1, ...) and architectures that
do not fit are refused with the reason, naming only controls the panel has.
"""
import dataclasses
import html

import ipywidgets as W
import traitlets

from ..runtime import is_headless
from ..live import LiveCurves, LiveFilters
from ..models import ACTIVATIONS, MODELS, POOLS, ShapeError
from ..models.blocks import INITS
from ..profiles import get_profile
from ..recipe import FULL_TRAIN, FULL_VAL, Recipe, _absolute
from ..curves import plot_history
from ..inside import conv_layers, conv_weights
from . import pictures
from .controller import RunController, final_text
from .pictures import Panel

__all__ = ['is_headless', 'TrainingLab', 'Knobs', 'NumberBox', 'START', 'MIN_STEPS',
           'LAB_TRAIN', 'LAB_VAL',
           'start_recipe']

_SUMMARY_DIGITS = 2        # rounding of metrics in headless text output (stable for nbval)
_RESIZES = (16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224)
# the schedule dropdown shows 'constant' for the recipe's None (a Dropdown whose value is
# None shows no selection at all)
_CONSTANT = 'constant'
_STYLE = {'description_width': 'initial'}
_OPTIMIZER = ('lr', 'momentum', 'lr_schedule', 'init', 'num_epochs')
# what a number of the optimizer row must be, checked before anything runs
_RULES = {
    'lr': (lambda v: 0 < v <= 10, 'above 0 and at most 10 (e.g. 0.1): SGD with a rate '
                                  '<= 0 does not descend, above 10 it diverges at once'),
    'momentum': (lambda v: 0 <= v < 1, 'in [0, 1), e.g. 0.9 (or 0 for plain SGD)'),
    'num_epochs': (lambda v: isinstance(v, int) and 1 <= v <= 100,
                   'a whole number from 1 to 100'),
}


# ------------------------------------------------------------------------ the start
# Where the lab starts, per network, before the student changes anything: a recipe that
# visibly learns in one run in every profile. The 1998 LeNet (sigmoid, average pooling,
# plain SGD) of the quick profile sits at chance for dozens of epochs and moves conv1 by
# about 1 % of its largest weight: a student sees nothing happen. The chapter's
# experiment compares it with the modern recipe; the lab starts from the modern one.
START = {'lenet': {'activation': 'relu', 'pool': 'max'}}
# ... and plans at least this many SGD steps (the quick profile's 512 images in batches of
# 64 are 8 steps an epoch). Measured on the relu LeNet of the quick profile: its median
# filter moves by about 11 % of its largest initial weight after 8 steps (seed 0), 40-67 %
# after 24 (seeds 0-4; val acc 0.30-0.51 against 0.10 for the 1998 recipe).
MIN_STEPS = 24
# ... and, but in the book's ``full`` profile, trains on at most LAB_TRAIN images and
# validates on at most LAB_VAL: a lab run is one try of a knob, to be compared with the
# next, so it costs a fraction of the chapter's section-4 run of the same network (a
# fifth of its training images at the same epochs) and a student can try several in a
# sitting; ``num_train=None`` (or any size) in the lab's constructor asks for more.
LAB_TRAIN, LAB_VAL = 12_000, 5_000


def start_recipe(profile, network, **changes):
    """The recipe the lab starts from for registry network ``network``: the profile's,
    with the lab's `START` changes and sizes (`LAB_TRAIN`, `LAB_VAL`), seeded (0: runs
    that differ in one knob start from the same weights and see the same batches, and
    the first screen shows the first run's weights), with at least `MIN_STEPS` steps
    unless ``changes`` set ``num_epochs``; ``changes`` win."""
    recipe = profile.recipe(network, **{'seed': 0, **START.get(network, {}), **changes})
    if profile.name != 'full':
        sizes = {key: min(_absolute(getattr(recipe, key), total), cap)
                 for key, total, cap in (('num_train', FULL_TRAIN, LAB_TRAIN),
                                         ('num_val', FULL_VAL, LAB_VAL)) if key not in changes}
        recipe = recipe.replace(**sizes)
    if 'num_epochs' in changes:
        return recipe
    steps = -(-_absolute(recipe.num_train, FULL_TRAIN) // recipe.batch_size)
    if steps * recipe.num_epochs < MIN_STEPS:
        recipe = recipe.replace(num_epochs=-(-MIN_STEPS // steps))
    return recipe


# ------------------------------------------------------------------------ control table
def _config_controls(config):
    """One widget per knob of the config the lab exposes, generated from its fields:
    kernel sizes (one slider per conv stage), activation, pool, dropout, batch norm,
    width divisor and input resolution. Returns {name: widget}; names match the
    config's error messages (e.g. 'kernel_sizes[2]')."""
    out = {}
    for f in dataclasses.fields(config):
        value, name = getattr(config, f.name), f.name
        if name == 'kernel_sizes':
            sizes = [value] if isinstance(value, int) else list(value)
            for i, k in enumerate(sizes):
                name = 'kernel_sizes' if isinstance(value, int) else f'kernel_sizes[{i}]'
                out[name] = W.IntSlider(value=k, min=1, step=2, max=max(11, k),
                                        description=name, style=_STYLE)
        elif name in ('activation', 'pool'):
            out[name] = W.Dropdown(options=ACTIVATIONS if name == 'activation' else POOLS,
                                   value=value, description=name, style=_STYLE)
        elif name == 'dropout':
            out[name] = W.FloatSlider(value=value, min=0.0, max=0.9, step=0.05,
                                      description=name, style=_STYLE)
        elif name == 'batch_norm':
            out[name] = W.Checkbox(value=value, description=name, indent=False)
        elif name == 'width_divisor':
            out[name] = W.Dropdown(options=sorted({1, 2, 4, 8, 16, 32, value}), value=value,
                                   description=name, style=_STYLE)
        elif name == 'resize' and isinstance(value, int):
            out[name] = W.Dropdown(options=sorted(set(_RESIZES) | {value}), value=value,
                                   description='resize (pixels)', style=_STYLE)
    return out


class NumberBox(W.Text):
    """A text box for a number that keeps what was typed: the lab refuses ``'abc'`` by
    quoting it (a FloatText turns it into 0.0 before the kernel sees it). A number set
    from Python is shown as text."""

    value = traitlets.CUnicode(help='the text in the box').tag(sync=True)


def _optimizer_controls(recipe, names=_OPTIMIZER):
    """The optimizer row. Number fields are text boxes (`NumberBox`): a value that is not
    a number or out of range is refused with the reason on Train, never clamped silently."""
    make = {
        'lr': lambda: NumberBox(value=recipe.lr, description='learning rate'),
        'momentum': lambda: NumberBox(value=recipe.momentum, description='momentum'),
        'lr_schedule': lambda: W.Dropdown(options=(_CONSTANT, 'cosine'),
                                          value=recipe.lr_schedule or _CONSTANT,
                                          description='lr schedule'),
        'init': lambda: W.Dropdown(options=tuple(INITS), value=recipe.init,
                                   description='init'),
        'num_epochs': lambda: NumberBox(value=recipe.num_epochs, description='epochs'),
    }
    controls = {name: make[name]() for name in names}
    for widget in controls.values():
        widget.style = _STYLE
        if isinstance(widget, NumberBox):
            widget.layout = W.Layout(width='190px')
    return controls


def _shown(recipe, name):
    """A recipe field as its control shows it."""
    value = getattr(recipe, name)
    if name == 'lr_schedule' and value is None:
        return _CONSTANT
    return str(value) if name in _RULES else value


def _number(widget, name):
    """The number a box holds, or Refused quoting what was typed."""
    text, (ok, rule) = widget.value.strip(), _RULES[name]
    try:
        value = float(text)
    except ValueError:
        raise Refused(f'{widget.description} {text!r} is not a number: it must be '
                      f'{rule}') from None
    if name == 'num_epochs' and value.is_integer():
        value = int(value)
    if not ok(value):
        raise Refused(f'{widget.description} {text} cannot be used: it must be {rule}')
    return value


def _config_values(controls):
    """Config field overrides from the model knobs' values."""
    values = {}
    kernels = sorted((k for k in controls if k.startswith('kernel_sizes[')),
                     key=lambda k: int(k[len('kernel_sizes['):-1]))
    if kernels:
        values['kernel_sizes'] = tuple(int(controls[k].value) for k in kernels)
    values.update({k: w.value for k, w in controls.items() if not k.startswith('kernel_sizes[')})
    return values


class Refused(ValueError):
    """A run the panel will not start; the message says why and what to change."""


def panel_refusal(err, controls):
    """The refusal of a config error, naming only controls the panel has: a ShapeError's
    fixes (`week5.models.Fix`: knob, limit, bound) that use a knob the panel lacks (e.g.
    AlexNet's pool_size) are left out, and 'raise resize to at least 33' becomes the
    resize option to pick."""
    if not isinstance(err, ShapeError):
        return Refused(str(err))
    fixes = []
    resize = controls.get('resize')
    for fix in err.fixes:                     # structured: knob, limit, bound
        if fix.knob != 'resize':
            if fix.knob in controls:
                fixes.append(str(fix))
        elif resize is not None and not resize.disabled:
            pick = min((o for o in resize.options if o >= fix.limit), default=None)
            if pick is not None:
                fixes.append(f'choose resize (pixels) {pick} or more')
        else:
            fixes.append(f'pass data with a resolution of at least {fix.limit} pixels')
    if not fixes:
        kernels = [k for k in controls if k.startswith('kernel_sizes')]
        fixes = [f'lower a kernel size ({", ".join(kernels)})' if kernels else
                 'change the network']
    return Refused(f'{err.layer}: {err.problem} — {" or ".join(fixes)}')


# ------------------------------------------------------------------------ the knobs
class Knobs:
    """The panel's controls (``model`` knobs and the ``optimizer`` row), which of them the
    student set (``typed``), and the recipe they describe (``recipe()``).

    ``start``: the recipe the controls start from; ``suggest(config_values)``: the
    recipe the profile suggests for model knobs (None for a custom model, which has
    none); ``say(text)``: where to tell what a knob change re-suggested; ``fixed``:
    controls the given data fixes (disabled); ``name``: how messages name the recipe
    (e.g. "the quick recipe")."""

    def __init__(self, start, optimizer_names=_OPTIMIZER, suggest=None,
                 say=lambda text: None, fixed=(), name='the recipe'):
        self.start, self.suggest_for, self.say, self.name = start, suggest, say, name
        self.model = _config_controls(start.config) if start.config is not None else {}
        for name in fixed:
            if name in self.model:
                self.model[name].disabled = True
        self.optimizer = _optimizer_controls(start, optimizer_names)
        self.all = {**self.model, **self.optimizer}
        self.defaults = {k: w.value for k, w in self.all.items()}
        self.typed, self._setting = set(), False
        for name, widget in self.optimizer.items():
            widget.observe(lambda change, name=name: self._on_typed(name), names='value')
        for widget in self.model.values():
            widget.observe(self._on_model_knob, names='value')

    def _on_typed(self, name):
        if not self._setting:
            self.typed.add(name)

    def set(self, name, value):
        """Set a control as the lab does (not a value the student typed)."""
        self._setting = True
        try:
            self.all[name].value = value
        finally:
            self._setting = False

    def reset(self):
        for name, value in self.defaults.items():
            self.set(name, value)
        for name in self.optimizer:                     # after the knobs' re-suggestions
            self.set(name, self.defaults[name])
        self.typed.clear()

    def suggested(self):
        """The recipe suggested for the current model knobs (raises for invalid ones)."""
        return self.suggest_for(_config_values(self.model))

    def _on_model_knob(self, change):
        """Re-suggest the optimizer row for the new knobs; keep what the student typed;
        say what changed and what was kept."""
        if self._setting or self.suggest_for is None:
            return
        try:
            suggested = self.suggested()
        except (ValueError, TypeError):
            return                                      # an invalid combination: on Train
        changed, kept = [], []
        for name, widget in self.optimizer.items():
            value, label = _shown(suggested, name), widget.description
            if value == widget.value:
                continue
            if name in self.typed:
                kept.append(f'{label} {widget.value} (it suggests {value})')
            else:
                changed.append(f'{label} {widget.value} → {value}')
                self.set(name, value)
        what = f'{change["owner"].description} {change["new"]}'
        if changed or kept:
            text = f'{what}: {self.name}'
            text += (' set ' + ', '.join(changed)) if changed else ' changed nothing'
            text += ('; kept what you typed: ' + ', '.join(kept)) if kept else ''
            self.say(text + '.')

    def apply(self, values):
        """Set controls by name (``kernel_sizes`` sets every kernel slider); model knobs
        first (they re-suggest the optimizer row), then the optimizer fields given."""
        kernels = [k for k in self.all if k.startswith('kernel_sizes[')]
        for name in sorted(values, key=lambda n: n in self.optimizer):
            value = values[name]
            if name == 'kernel_sizes' and kernels:
                sizes = [value] * len(kernels) if isinstance(value, int) else list(value)
                if len(sizes) != len(kernels):
                    raise ValueError(f'kernel_sizes has {len(sizes)} entries; this network '
                                     f'has {len(kernels)} kernel knobs')
                for k, size in zip(kernels, sizes):
                    self.all[k].value = size
            elif name in self.all:
                self.all[name].value = value
            else:
                raise ValueError(f'{name!r} is not a control of this lab: use one of '
                                 f'{", ".join(self.all)}')

    def recipe(self):
        """The recipe the next run trains, validated now (no MXNet work); raises Refused
        with the reason and the control to change."""
        values = {}
        for name, widget in self.optimizer.items():
            values[name] = _number(widget, name) if name in _RULES else widget.value
        if values.get('lr_schedule') == _CONSTANT:
            values['lr_schedule'] = None
        try:
            base = self.suggested() if self.suggest_for is not None else self.start
            return base.replace(**values)
        except (ValueError, TypeError) as err:
            raise panel_refusal(err, self.all) from None


# ------------------------------------------------------------------------- TrainingLab
class TrainingLab(Panel):
    """A panel to train any registered network (or a custom Classifier) interactively.

        lab = TrainingLab('lenet')            # the profile from WEEK5_PROFILE
        lab                                   # shows the panel
        lab.train(activation='sigmoid')       # or set controls and press Train
        lab.wait(); lab.best_run().model      # reuse a trained model later

    The lab starts from the profile's ``Recipe`` of the network with the lab's `START`
    changes (``lab.recipe``; `start_recipe`) and trains exactly the recipe its controls
    describe. Its first run starts from the weights the first screen shows. Each finished
    or stopped run is kept in ``lab.runs`` (a ``week5.recipe.Run``: recipe, History,
    trained model), labelled by what it changed from the lab's start; its conv1 before
    training is in ``lab.controller.first_filters`` (by run number).

    Args:
        model: a registry name ('lenet', ...) or a model instance (a registry model's
            config starts the controls; a custom Classifier gets the controls that reach
            it: its own ``lr`` and ``momentum`` hyperparameters, schedule, epochs).
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
        self.max_overlay, self.data = max_overlay, data
        self.network, factory, names, self.recipe = _start(self.profile, data, model, changes)
        # model knobs set at construction stay; the optimizer row follows the profile
        self.start_changes = {k: v for k, v in changes.items() if k not in _OPTIMIZER}
        self.controller = RunController(self.say, self._done, data, factory, callbacks,
                                        self.headless)
        self._warning = None                  # a warning kept until the next action
        suggest = None if self.network is None else (
            lambda values: start_recipe(self.profile, self.network,
                                        **{**self.start_changes, **values}))
        self.knobs = Knobs(self.recipe, names, suggest, self.say,
                           fixed=('resize',) if data is not None else (),
                           name=f'the {self.profile.name} recipe')
        self.controls, self.optimizer = self.knobs.all, self.knobs.optimizer
        view = _View(self.title, self._header(), self.knobs,
                     {'train': self._on_train, 'stop': self.controller.stop,
                      'reset': self._on_reset}, self._action)
        self.box, self.status, self.curves, self.filters = (view.box, view.status,
                                                            view.curves, view.filters)
        self.runs_table, self.first_screen = view.runs_table, view.first_screen
        self.train_button, self.stop_button, self.reset_button = view.buttons
        for widget in self.controls.values():         # a changed knob is an action too
            widget.observe(lambda change: self._action(), names='value')
        self._show_start()

    def _header(self):
        r = self.recipe
        data = (f'data {type(self.data).__name__}' if self.data is not None else
                f'{"all" if r.num_train is None else f"{r.num_train:,}"} training images, '
                f'batch {r.batch_size}')
        return (f'<b>Training lab: {html.escape(self.title)}</b> &mdash; starts from the '
                f'<b>{self.profile.name}</b> profile\'s recipe ({data})')

    def _show_start(self):
        """The first screen: what to try, the network's layer table and its untrained
        first-layer filters, which are the weights the first run starts from (the
        curves need a run)."""
        self.first_screen.value = pictures.first_screen_html(self.controls)
        self.curves.value = pictures.placeholder('press Train: loss and accuracy curves '
                                                 'appear here while it trains', (7.0, 0.6))
        model = self.recipe.model(self.controller.factory)
        # the layer table first: its forward pass settles a custom net's deferred shapes
        self.runs_table.value = pictures.network_html(model, self.title, self.recipe.resize)
        self._initial = (self.recipe, [p.data().asnumpy().copy() for p in
                                       model.net.collect_params().values()])
        self.start_filters = conv_weights(model) if conv_layers(model) else None
        self.filters.value = (pictures.filters_png(model, 'conv1 before training')
                              or pictures.placeholder('no convolution to show', (3.2, 1.0)))
        self.say('Set the knobs and press Train.')

    @property
    def title(self):
        return self.network or self.recipe.network

    def say(self, text, kind='info'):
        """Show ``text`` in the status line (headless: warnings and errors are printed).
        A warning stays above the lines that follow it until the student's next action
        (a button, a knob)."""
        self.message = text
        if self.headless and kind != 'info':
            print(text)
        color = {'info': 'inherit', 'warn': '#b36b00', 'error': '#c00'}[kind]
        line = f'<span style="color:{color}">{html.escape(text, quote=False)}</span>'
        if kind == 'warn':
            self._warning = line
        elif self._warning is not None:
            line = f'{self._warning}<br>{line}'
        self.status.value = line

    def _action(self):
        """The student acted: a kept warning has been read."""
        self._warning = None

    # -- state and actions ----------------------------------------------------------------
    runs = property(lambda self: self.controller.runs)
    running = property(lambda self: self.controller.running)
    last_error = property(lambda self: self.controller.last_error)

    def wait(self, timeout=None):
        """Block until the current run (if any) ends; True if none is running after."""
        return self.controller.wait(timeout)

    def best_run(self, key='val_acc'):
        """The stored run with the best final ``key`` (highest; lowest for a loss)."""
        scored = [(r.final(key), r) for r in self.runs if r.final(key) is not None]
        if not scored:
            raise ValueError(f'no stored run has {key!r} yet: train a run first (runs '
                             f'stopped before validation have no val_ metrics)')
        return (min if 'loss' in key else max)(scored, key=lambda sr: sr[0])[1]

    def compare(self, keys=('train_loss', 'val_loss', 'train_acc', 'val_acc'), ax=None):
        """All stored runs' curves overlaid, on a pyplot figure (for a later cell)."""
        if not self.runs:
            raise ValueError('no runs to compare yet: press Train (or call lab.train())')
        return plot_history(self.runs, keys, labels=[r.label for r in self.runs], ax=ax)

    def train(self, **values):
        """Set controls (by name, e.g. ``activation='relu'``, ``kernel_sizes=(3, 5)``,
        ``lr=0.05`` or ``**{'kernel_sizes[0]': 3}``) and press Train. Model knobs are set
        first (they re-suggest the optimizer row), then the optimizer fields given.
        Interactive: returns at once (see ``wait``); headless: trains now and shows the
        result."""
        self.knobs.apply(values)
        self.train_button.click()

    def stop(self):
        self.stop_button.click()

    def reset(self):
        self.reset_button.click()

    def next_recipe(self):
        """The recipe the next run trains, as the controls describe it (raises Refused)."""
        return self.knobs.recipe()

    def _on_train(self):
        try:
            recipe = self.next_recipe()
        except Refused as err:
            self.say(f'Not started: {err}', 'error')
            return
        live = lambda number, label: [                              # noqa: E731
            LiveCurves(sink=self.curves, label=label, train_name=pictures.TRAIN_CURVE,
                       previous=self.runs[-self.max_overlay:] if self.max_overlay else []),
            LiveFilters(sink=self.filters, width=256)]
        # the first run of an unchanged architecture starts from the first screen's weights
        shown, weights = self._initial
        same = (not self.runs and self.network is not None and recipe.config == shown.config
                and recipe.init == shown.init)
        self.first_screen.value = ''
        if self.controller.start(recipe, lambda n: recipe.label(self.recipe, n), live,
                                 weights if same else None) \
                and self.headless and self.last_error is None:
            png = self._static_png()
            self.curves.value = png
            text = final_text(self.runs[-1], len(self.runs), _SUMMARY_DIGITS)
            if not pictures.display(pictures.StaticResult(png, text)):
                print(text)

    def _done(self, run, number):
        self.runs_table.value = pictures.runs_html(self.runs, self.recipe)
        before = self.controller.first_filters.get(number)
        if before is not None and not self.headless:
            self.filters.value = pictures.filter_change_png(before, conv_weights(run.model),
                                                            number)
        self.say(final_text(run, number))

    def _on_reset(self):
        if self.running:
            self.say('A run is in progress: press Stop before Reset.', 'warn')
            return
        self.knobs.reset()
        n = self.controller.clear()
        self._show_start()
        self.say(f'Reset: controls back to their defaults, {n} stored run'
                 f'{"s" if n != 1 else ""} cleared.')

    # -- headless output ------------------------------------------------------------------
    def _static_png(self):
        """Curves of every stored run and the last run's before | after | difference of
        conv1; None before the first run (a headless panel then shows its text only, no
        empty picture)."""
        before = self.controller.first_filters.get(len(self.runs)) if self.runs else None
        png, self.figure = pictures.runs_png(self.runs, before)
        return png

    def _text(self):
        knobs = ', '.join(f'{k}={w.value if isinstance(w, NumberBox) else repr(w.value)}'
                          for k, w in self.controls.items())
        lines = [f'TrainingLab({self.title!r}, profile={self.profile.name!r}): {knobs}']
        lines += [final_text(r, i + 1, _SUMMARY_DIGITS) for i, r in enumerate(self.runs)]
        return '\n'.join(lines)


class _View:
    """The lab's widgets and their layout: the model knobs in two columns, the optimizer
    row with the buttons, the status line, the curves beside the filters (each column
    may shrink, and its picture with it), the runs table. ``handlers`` maps 'train',
    'stop' and 'reset' to what a click does; ``acted()`` is called first on any click."""

    def __init__(self, title, header, knobs, handlers, acted):
        self.buttons = tuple(
            W.Button(description=name.title(), icon=icon, button_style=style)
            for name, icon, style in (('train', 'play', 'success'), ('stop', 'stop', 'danger'),
                                      ('reset', 'undo', '')))
        for button, name in zip(self.buttons, ('train', 'stop', 'reset')):
            button.on_click(lambda _, act=handlers[name]: (acted(), act()))
        self.status = W.HTML(value='')
        self.status.add_class('week5-status')           # a handle for the browser test
        self.curves = pictures.image('week5-curves')
        self.filters = pictures.image('week5-filters')
        self.runs_table, self.first_screen = W.HTML(value=''), W.HTML(value='')
        self.runs_table.add_class('week5-runs')
        model, opt = list(knobs.model.values()), list(knobs.optimizer.values())
        half = (len(model) + 1) // 2
        self.box = W.VBox([
            W.HTML(header),
            W.HBox([W.VBox(model[:half]), W.VBox(model[half:])]),
            W.HBox(opt[:3], layout=W.Layout(flex_flow='row wrap')),
            W.HBox(opt[3:] + list(self.buttons), layout=W.Layout(flex_flow='row wrap')),
            self.status,
            W.HBox([pictures.column(self.first_screen, self.curves, basis='auto', grow=1),
                    pictures.column(W.HTML('<b>conv1 filters</b>: red +, blue &minus;, '
                                           'each scaled to its own largest weight'),
                                    self.filters, basis='260px')],
                   layout=W.Layout(width='100%')),
            self.runs_table])


def _start(profile, data, model, changes):
    """(network name or None, factory or None, optimizer control names, the recipe the
    controls start from (validated)) of the lab's model; ``changes`` may gain the
    resolution of the given ``data``."""
    size = getattr(data, 'resize', None)
    if size is not None and not isinstance(size, int) and size[0] != size[1]:
        raise ValueError(f'data.resize={size} is not square; the lab models take square '
                         f'inputs: use FashionMNIST(resize={size[0]})')
    if size is not None:                              # the given data fixes the resolution
        changes['resize'] = size if isinstance(size, int) else size[0]
    if isinstance(model, str):
        if model not in MODELS:
            raise ValueError(f'unknown model {model!r}: choose one of '
                             f'{", ".join(map(repr, MODELS))} or pass a model instance')
        return model, None, _OPTIMIZER, start_recipe(profile, model, **changes)
    if not (hasattr(model, 'net') and hasattr(model, 'configure_optimizers')):
        raise TypeError(f'model must be a registry name or a Classifier instance, got '
                        f'{type(model).__name__}')
    network = next((n for n, c in MODELS.items() if isinstance(model, c)), None)
    if network is not None:                           # a registry model: its config and SGD
        start = {f.name: getattr(model.config, f.name)
                 for f in dataclasses.fields(model.config)}
        changes.update({**start, 'lr': model.lr, 'momentum': model.momentum,
                        'weight_decay': model.weight_decay, 'init': model.init,
                        **changes})
        return network, None, _OPTIMIZER, start_recipe(profile, network, **changes)
    # a custom Classifier, rebuilt per run from its own hyperparameters: the controls are
    # those that reach it (its lr and momentum, if it has them; schedule; epochs)
    changes.pop('resize', None)
    hparams, cls = dict(getattr(model, 'hparams', {})), type(model)
    unknown = set(changes) - {f.name for f in dataclasses.fields(Recipe)}
    if unknown:
        raise ValueError(f'{", ".join(sorted(unknown))}: a custom model has no config '
                         f'knobs; pass recipe fields such as lr, num_epochs or num_train')
    passed = [k for k in ('lr', 'momentum') if k in hparams]
    lenet = profile.recipe('lenet')                   # a custom model: LeNet's data sizes
    own = {'lr': getattr(model, 'lr', lenet.lr), 'momentum': hparams.get('momentum', 0.0),
           'lr_schedule': lenet.lr_schedule if 'lr' in hparams else None}
    recipe = Recipe(cls.__name__, None, **{
        f.name: getattr(lenet, f.name) for f in dataclasses.fields(Recipe)
        if f.name not in ('network', 'config')}).replace(**{**own, **changes})
    names = passed + (['lr_schedule'] if 'lr' in hparams else []) + ['num_epochs']

    def factory(recipe):
        return cls(**{**hparams, **{k: getattr(recipe, k) for k in passed}})
    return None, factory, tuple(names), recipe
