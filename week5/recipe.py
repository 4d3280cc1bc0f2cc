"""One training run, described completely: the ``Recipe``; and what it produced: the ``Run``.

A ``Recipe`` is a frozen dataclass in the style of nanoGPT's ``GPTConfig``: the network
(its registry name and config dataclass), the optimizer, the initialisation, the
learning-rate schedule, the data sizes, the epochs and an optional seed. It is the one
description of a run that the profiles, the chapters' experiments, chapter 6 and the
training lab share:

    >>> from week5.profiles import get_profile
    >>> recipe = get_profile('laptop').recipe('lenet', activation='relu')
    >>> recipe.lr, recipe.momentum, recipe.lr_schedule
    (0.1, 0.9, 'cosine')
    >>> model, data, trainer = recipe.build()      # the only place a run is assembled
    >>> trainer.fit(model, data)
    >>> print(recipe.describe(versus=get_profile('full').recipe('lenet')))

``recipe.replace(**changes)`` takes recipe fields and config fields alike (``lr=0.05``,
``activation='relu'``, ``resize=32``) and validates: an unknown name raises a
``ValueError`` naming the closest valid one, an impossible architecture the config's
pre-flight ``ShapeError`` (e.g. a kernel larger than its feature map).

A ``Run`` keeps a recipe with the History and the trained model; ``save_run`` /
``load_run`` store the recipe and the History as JSON next to the weights.

Budgets (``BUDGETS``, ``shrink``) are Recipe transformations: an experiment takes the
profile's recipe and shrinks its data and epochs, whatever the profile.

Never imports matplotlib, IPython or ipywidgets.
"""
import dataclasses
import datetime
import difflib
import functools
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import mxnet as mx

from .callbacks import Callback, History
from .core import Trainer, log_run, set_seed
from .data import FashionMNIST, cache_dir
from .files import atomic_write_json
from .models import MODELS, NetConfig, get_config
from .models.blocks import check_training
from .summary import count_params

__all__ = ['Recipe', 'Run', 'CosineLR', 'LR_SCHEDULES', 'BUDGETS', 'shrink', 'save_run',
           'load_run', 'runs_dir', 'RunLoadError', 'memo_dir', 'run_key', 'RETRAIN_ENV']

LR_SCHEDULES = (None, 'cosine')
# The widest line of `Recipe.describe` (characters): what fits a slide at full size.
DESCRIBE_WIDTH = 96
FULL_TRAIN, FULL_VAL = 60000, 10000         # Fashion-MNIST's split


@dataclass(frozen=True)
class Recipe:
    """Everything one training run needs. Defaults are the book's (d2l 7.6, 8.1-8.4)."""
    network: str                        # registry name ('lenet', ...) or a custom model's name
    config: Optional[NetConfig]         # architecture and input side (config.resize); None: custom
    # optimizer: minibatch SGD
    lr: float = 0.1                     # learning rate (the book: 0.1 LeNet, 0.01 AlexNet/VGG ...)
    momentum: float = 0.0               # 0 = the book's plain SGD; the papers used 0.9
    weight_decay: float = 0.0           # L2 penalty; the AlexNet/VGG papers used 5e-4
    init: str = 'xavier'                # 'xavier' (the book) or 'kaiming' (He et al., 2015)
    lr_schedule: Optional[str] = None   # None = constant lr (the book); 'cosine' = decay to 0
    # data: Fashion-MNIST
    batch_size: int = 128
    num_train: Optional[int] = None     # a class-balanced subset; None = all 60,000 images
    num_val: Optional[int] = None       # None = all 10,000 validation images
    augment: bool = False               # random flips and crops of the training images
    # schedule of the run
    num_epochs: int = 10
    # seeds everything random: weights, dropout, subset, shuffling, augmentation; None =
    # whatever the last set_seed set (random if it was never called)
    seed: Optional[int] = None

    def __post_init__(self):
        self._validate()

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def for_network(cls, network, **changes):
        """The book's recipe of a registered network (its config's defaults), changed."""
        if network not in MODELS:
            raise ValueError(f'unknown network {network!r} — choose one of '
                             f'{", ".join(map(repr, MODELS))}')
        return cls(network, get_config(network)).replace(**changes)

    def replace(self, **changes):
        """A validated copy with recipe fields and/or config fields changed."""
        own = {f.name for f in dataclasses.fields(self)} - {'network'}
        knobs = set(self.config.knobs()) if self.config is not None else set()
        for key in changes:
            if key not in own and key not in knobs:
                valid = sorted(own | knobs)
                close = difflib.get_close_matches(key, valid, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ''
                raise ValueError(f'unknown option {key!r} for a {self.network} recipe{hint} — '
                                 f'valid options: {", ".join(valid)}')
        config = changes.pop('config', self.config)
        config_changes = {k: changes.pop(k) for k in list(changes) if k not in own}
        if config_changes:
            config = config.replace(**config_changes)      # validates: ShapeError & co.
        return dataclasses.replace(self, config=config, **changes)

    def _validate(self):
        if self.config is not None:
            cls = MODELS.get(self.network)
            if cls is None:
                raise ValueError(f'unknown network {self.network!r} — choose one of '
                                 f'{", ".join(map(repr, MODELS))}')
            if not isinstance(self.config, cls.config_class):
                raise TypeError(f'config must be a {cls.config_class.__name__} for network '
                                f'{self.network!r}, got {type(self.config).__name__}')
        check_training(self.lr, self.momentum, self.weight_decay, self.init)
        checks = (
            ('batch_size', self.batch_size, _int, lambda v: v >= 1, 'an int >= 1, e.g. 128'),
            ('num_epochs', self.num_epochs, _int, lambda v: v >= 1, 'an int >= 1'),
            ('num_train', self.num_train, _count, lambda v: True,
             'None (all 60,000), a positive int or a fraction in (0, 1]'),
            ('num_val', self.num_val, _count, lambda v: True,
             'None (all 10,000), a positive int or a fraction in (0, 1]'),
            ('seed', self.seed, _seed, lambda v: True, 'None or an int >= 0'),
        )
        for name, value, kind, ok, rule in checks:
            if not kind(value) or (value is not None and not ok(value)):
                raise ValueError(f'{name} must be {rule}, got {value!r}')
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f'lr_schedule {self.lr_schedule!r} is not supported — use None '
                             f"(constant lr, as in the book) or 'cosine'")
        if not isinstance(self.augment, bool):
            raise ValueError(f'augment must be True or False, got {self.augment!r}')

    # -- what the run is ------------------------------------------------------------------
    @property
    def resize(self):
        """(height, width) of the input images."""
        return tuple(self.config.input_shape[1:]) if self.config is not None else (28, 28)

    @property
    def model_class(self):
        return MODELS[self.network]

    # -- building -------------------------------------------------------------------------
    def model(self, factory=None):
        """A freshly initialised model (seeded first when the recipe has a seed).
        ``factory(recipe)`` builds a custom model instead of the registry's."""
        if self.seed is not None:
            set_seed(self.seed)
        if factory is not None:
            return factory(self)
        if self.config is None:
            raise ValueError(f'recipe {self.network!r} has no config: pass a factory that '
                             f'builds the model')
        return self.model_class(lr=self.lr, config=self.config, momentum=self.momentum,
                                weight_decay=self.weight_decay, init=self.init)

    def data(self):
        """The Fashion-MNIST data module this recipe trains on (its subset, shuffling and
        augmentation drawn from the recipe's seed, else from the last ``set_seed``'s)."""
        return FashionMNIST(batch_size=self.batch_size, resize=self.resize,
                            num_train=self.num_train, num_val=self.num_val,
                            augment=self.augment, seed=self.seed, progress=False)

    def build(self, data=None, factory=None, callbacks=(), progress=None, board=None):
        """(model, data, trainer) for this recipe: **the** place a run is assembled.

        ``data``: a data module to reuse (its batches must match the recipe's resize);
        ``factory``: see ``model``; ``callbacks``: extra Trainer callbacks (the schedule's
        comes first); ``progress`` / ``board``: the Trainer's (None = its defaults)."""
        model = self.model(factory)
        data = self.data() if data is None else data
        schedule = [CosineLR()] if self.lr_schedule == 'cosine' else []
        trainer = Trainer(self.num_epochs, progress=progress, board=board,
                          callbacks=[*schedule, *callbacks])
        return model, data, trainer

    def fit(self, label='', data=None, factory=None, callbacks=(), progress=False,
            retrain=None, print_fn=print):
        """Build, train, and return the ``Run`` (weights and History kept if stopped).

        A run is a pure function of its recipe (seed included) and of the library's
        training code, so a finished run is memoised on disk (``memo_dir()``): the same
        recipe again loads it (weights and History, bit for bit) and ``print_fn`` says
        "loaded the run trained at ...". ``retrain=True`` (or ``WEEK5_RETRAIN=1``) trains
        it again and replaces the stored one. Runs that are not pure functions of the
        recipe are never memoised: no seed, a ``data`` module passed in, a callback
        without a ``memo_key`` (one that records more metrics declares it, see
        ``run_key``), or a ``factory`` that is not a module-level function."""
        key = None if data is not None else run_key(self, factory, callbacks)
        if key is not None and not _retrain(retrain):
            run = _load_memo(key, self, label, factory, print_fn)
            if run is not None:
                return run
        model, data, trainer = self.build(data, factory, callbacks, progress, board=False)
        start = time.perf_counter()
        trainer.fit(model, data)
        run = Run(self, trainer.history, model, time.perf_counter() - start,
                  stopped=trainer.should_stop, label=label)
        if key is not None and not run.stopped:
            save_run(run, memo_dir() / key, key=key)
            _prune_memo()
        return run

    def memoised(self, label='', factory=None, print_fn=print):
        """The run of this recipe memoised by an earlier ``fit`` (with its weights), or
        None (also when ``WEEK5_RETRAIN`` asks for every run to be trained): nothing is
        trained here."""
        key = run_key(self, factory)
        if key is None or _retrain(None):
            return None
        return _load_memo(key, self, label, factory, print_fn)

    # -- describing -----------------------------------------------------------------------
    def items(self):
        """[(label, value text)] of everything that defines the run, in a fixed order."""
        rows = [('network', self.network)]
        if self.config is not None:
            h, w = self.resize
            rows.append(('input', f'{h}x{w}'))
            for f in dataclasses.fields(self.config):
                if f.name not in ('resize', 'in_channels', 'num_classes'):
                    rows.append((f.name, _text(getattr(self.config, f.name))))
        rows += [('optimizer', 'SGD' if not self.momentum else f'SGD, momentum {self.momentum:g}'),
                 ('lr', f'{self.lr:g}'),
                 ('lr_schedule', 'constant' if self.lr_schedule is None else self.lr_schedule),
                 ('weight_decay', f'{self.weight_decay:g}'),
                 ('init', self.init),
                 ('batch_size', str(self.batch_size)),
                 ('num_train', _count_text(self.num_train, FULL_TRAIN)),
                 ('num_val', _count_text(self.num_val, FULL_VAL)),
                 ('augment', 'yes' if self.augment else 'no'),
                 ('num_epochs', str(self.num_epochs)),
                 ('seed', 'none' if self.seed is None else str(self.seed))]
        return rows

    def changes(self, versus):
        """[(label, this value, versus's value)] where the two recipes differ."""
        theirs = dict(versus.items())
        return [(k, v, theirs.get(k, '-')) for k, v in self.items() if theirs.get(k) != v]

    def describe(self, versus=None, names=('this run', 'book')):
        """A text table of the recipe; with ``versus`` (e.g. the ``full`` profile's book
        recipe) only the rows that differ, side by side. A row wider than DESCRIBE_WIDTH
        (e.g. VGG's ``arch``) writes the ``versus`` value on a line of its own below, so
        that the table fits a slide at full size."""
        if versus is None:
            rows = self.items()
            width = max(len(k) for k, _ in rows)
            return '\n'.join(f'{k:<{width}}  {v}' for k, v in rows)
        rows = [(k, v, b) for k, v, b in self.changes(versus) if k != 'seed']
        if not rows:
            return f'same as the {names[1]} in every setting'
        w0 = max(len('setting'), *(len(k) for k, _, _ in rows))
        w1 = max(len(names[0]), *(len(v) for _, v, _ in rows))
        lines = [f'{"setting":<{w0}}  {names[0]:<{w1}}  {names[1]}',
                 f'{"-" * w0}  {"-" * w1}  {"-" * max(len(names[1]), 4)}']
        for k, v, b in rows:
            if w0 + w1 + len(b) + 4 <= DESCRIBE_WIDTH:
                lines.append(f'{k:<{w0}}  {v:<{w1}}  {b}')
            else:
                lines += [f'{k:<{w0}}  {v}', f'{"":<{w0}}  {names[1]}: {b}']
        return '\n'.join(lines)

    def label(self, versus, number=None):
        """A short run label naming only what differs from ``versus``:
        ``'#2 relu, lr 0.1'`` (``'#1 as set up'`` when nothing differs)."""
        parts = [_short(key, value) for key, value, _ in self.changes(versus)
                 if key not in ('seed', 'input')]
        head = f'#{number} ' if number is not None else ''
        return head + (', '.join(p for p in parts if p) or 'as set up')

    # -- persistence ----------------------------------------------------------------------
    def to_dict(self):
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out['config'] = (None if self.config is None else
                         {f.name: getattr(self.config, f.name)
                          for f in dataclasses.fields(self.config)})
        return json.loads(json.dumps(out))            # tuples -> lists, plain JSON

    @classmethod
    def from_dict(cls, d):
        """The recipe ``to_dict`` wrote; ValueError/TypeError if it no longer validates."""
        d = dict(d)
        config = d.pop('config')
        if config is not None:
            config = get_config(d['network'], **{k: _tuples(v) for k, v in config.items()})
        return cls(config=config, **d)


def _int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _count(v):
    return v is None or (_int(v) and v >= 1) or (isinstance(v, float) and 0 < v <= 1)


def _seed(v):
    return v is None or (_int(v) and v >= 0)


def _tuples(v):
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


def _text(v):
    if isinstance(v, tuple):
        return '(' + ', '.join(_text(x) for x in v) + (',)' if len(v) == 1 else ')')
    return f'{v:g}' if isinstance(v, float) else str(v)


def _short(key, value):
    """One item of a run label: 'relu', 'lr 0.1', 'momentum 0.9', 'cosine', '7 epochs'."""
    if key in ('activation', 'pool', 'init'):
        return value
    if key == 'optimizer':
        return value.replace('SGD, ', '') if 'momentum' in value else 'no momentum'
    if key == 'lr_schedule':
        return f'{value} lr'
    if key == 'num_epochs':
        return f'{value} epoch' + ('' if value == '1' else 's')
    if key == 'batch_norm':
        return 'batch norm' if value == 'True' else 'no batch norm'
    return f'{key} {value}'


def _count_text(n, total):
    if n is None:
        return f'{total:,} (all)'
    return f'{n:,}' if isinstance(n, int) else f'{int(n * total):,} ({n:.0%})'


class CosineLR(Callback):
    """Anneal the learning rate from ``model.lr`` to 0 along half a cosine over the
    batches of one ``fit`` (Loshchilov & Hutter, 2017, without restarts).

    Plain SGD at a constant rate (the book's) keeps bouncing around the minimum; a short
    CPU run gets the last point or two of accuracy from the low rates at its end. A
    recipe with ``lr_schedule='cosine'`` adds it; ``model.lr`` itself is left unchanged.
    """

    def on_fit_start(self, trainer, model):
        self.base = model.lr
        self.start = trainer.train_batch_idx
        self.total = max(1, trainer.max_epochs * trainer.num_train_batches)

    def on_train_batch_end(self, trainer, model, batch_idx):
        done = min(1.0, (trainer.train_batch_idx - self.start) / self.total)
        trainer.optim.set_learning_rate(self.base * 0.5 * (1 + math.cos(math.pi * done)))


# ---------------------------------------------------------------------------------------
# Budgets: how an experiment shrinks a profile's recipe
# ---------------------------------------------------------------------------------------

# ``max_train`` caps the training subset, ``train_fraction`` takes a share of it (the
# larger of the two limits that still fits the recipe wins), ``max_val`` caps the
# validation subset; the number of epochs is the recipe's times ``epochs``, kept within
# [``min_epochs``, ``max_epochs``]; ``batch_size`` (optional) replaces the recipe's, and
# then the learning rate is scaled by the same factor (the linear scaling rule of Goyal
# et al., 2017), so a smaller batch does not take steps tuned for a larger one.
BUDGETS = {
    # a side-by-side comparison of variants: a tenth of the data, half the epochs
    'experiment': dict(max_train=6000, train_fraction=0.1, max_val=2000, epochs=0.5,
                       min_epochs=1, max_epochs=3),
    # capacity control: a small training set, small batches and many epochs, so that a
    # network without regularisation overfits visibly
    'overfit': dict(max_train=1000, train_fraction=0.0, max_val=2000, epochs=6,
                    min_epochs=2, max_epochs=18, batch_size=32),
    # chapter 6, for a network whose chapter has not run: equal data for every network
    'compare': dict(max_train=10000, train_fraction=0.0, max_val=2000, epochs=0.5,
                    min_epochs=1, max_epochs=2),
    # the recipe unchanged
    'profile': None,
}


def shrink(recipe, budget='experiment'):
    """``recipe`` shrunk by the named budget (see ``BUDGETS``)."""
    if budget not in BUDGETS:
        raise ValueError(f'budget {budget!r} is unknown — choose one of '
                         f'{", ".join(map(repr, BUDGETS))}')
    rule = BUDGETS[budget]
    if rule is None:
        return recipe
    n_train = _absolute(recipe.num_train, FULL_TRAIN)
    n_val = _absolute(recipe.num_val, FULL_VAL)
    cap = max(rule['max_train'], int(n_train * rule['train_fraction']))
    epochs = int(round(recipe.num_epochs * rule['epochs']))
    changes = dict(num_train=min(n_train, cap), num_val=min(n_val, rule['max_val']),
                   num_epochs=min(rule['max_epochs'], max(rule['min_epochs'], epochs)))
    if 'batch_size' in rule:
        changes['batch_size'] = rule['batch_size']
        changes['lr'] = recipe.lr * rule['batch_size'] / recipe.batch_size
    return recipe.replace(**changes)


def _absolute(n, total):
    return total if n is None else n if isinstance(n, int) else int(n * total)


# ---------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------

@dataclass
class Run:
    """One finished (or stopped) training run: its recipe, its History, the trained model
    (None for a run loaded without weights), the wall time of the fit, whether it was
    stopped early, and a label for tables and legends."""
    recipe: Recipe
    history: History
    model: object = None
    seconds: float = 0.0
    stopped: bool = False
    label: str = ''
    params: Optional[int] = None        # learned parameters; counted from model if None
    trained_at: Optional[str] = None    # when it was trained (UTC, ISO 8601), once saved

    def __post_init__(self):
        if self.params is None and self.model is not None and hasattr(self.model, 'net'):
            self.params = count_params(self.model.net)

    def final(self, key='val_acc'):
        """The last recorded value of ``key`` (None if never recorded)."""
        return self.history.last(key)

    def summary(self, digits=2):
        """'Run #1 relu: 2 epochs, train_loss 0.52, ...' with rounded metrics."""
        epochs = len(self.history.epochs)
        keys = ('train_loss', 'train_acc', 'val_loss', 'val_acc')
        metrics = ', '.join(f'{k} {self.final(k):.{digits}f}' for k in keys
                            if self.final(k) is not None)
        text = f'Run {self.label or self.recipe.network}: {epochs} epoch' \
               f'{"s" if epochs != 1 else ""}' + (f', {metrics}' if metrics else '')
        return text + (' (stopped)' if self.stopped else '')

    def __repr__(self):
        return self.summary()


class RunLoadError(ValueError):
    """A saved run that cannot be used as it is (unreadable, or its recipe no longer
    validates); the message says which file and what to do."""


def runs_dir(profile_name):
    """Where chapters keep their runs for chapter 6: ``<week5 cache>/runs/<profile>``."""
    return cache_dir() / 'runs' / profile_name


def save_run(run, path, key=None):
    """Write ``path.json`` (recipe, History, seconds, parameters, when it was trained and,
    for a memoised run, its ``key``) and, when the run has a model, ``path.params`` (its
    weights), each to a temporary file renamed into place."""
    base = os.fspath(path)
    base = base[:-5] if base.endswith('.json') else base
    os.makedirs(os.path.dirname(os.path.abspath(base)), exist_ok=True)
    if run.trained_at is None:
        run.trained_at = datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds')
    record = {'format': 'week5-run-1', 'recipe': run.recipe.to_dict(),
              'history': run.history.to_dict(), 'seconds': run.seconds,
              'stopped': run.stopped, 'label': run.label, 'params': run.params,
              'trained_at': run.trained_at, 'key': key}
    if run.model is not None:     # a name of its own: two processes may save one run
        tmp = f'{base}.params.{os.getpid()}.part'
        try:
            run.model.save_parameters(tmp)
            os.replace(tmp, base + '.params')
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    atomic_write_json(base + '.json', record)
    return base + '.json'


def load_run(path, weights=False, factory=None):
    """The ``Run`` ``save_run`` wrote (``model`` None unless ``weights``; ``factory`` builds
    a custom model to load them into, see ``Recipe.model``). Raises FileNotFoundError when
    there is none and RunLoadError when it cannot be used."""
    base = os.fspath(path)
    base = base[:-5] if base.endswith('.json') else base
    with open(base + '.json', encoding='utf-8') as f:
        try:
            record = json.load(f)
        except ValueError as err:
            raise RunLoadError(f'{base}.json is not valid JSON ({err}) — delete it and '
                               f'train the run again') from None
    try:
        recipe = Recipe.from_dict(record['recipe'])
    except (ValueError, TypeError, KeyError) as err:
        raise RunLoadError(f'{base}.json was saved with a recipe that no longer validates '
                           f'({err}) — train the run again to replace it') from None
    model = None
    if weights:
        model = recipe.model(factory)
        try:
            model.load_parameters(base + '.params')
        except FileNotFoundError:
            raise
        except Exception as err:              # MXNetError: truncated or mismatched weights
            raise RunLoadError(f'{base}.params cannot be loaded into the recipe\'s model '
                               f'({str(err).splitlines()[0]}) — train the run again to '
                               f'replace it') from None
    return Run(recipe, History.from_dict(record['history']), model,
               float(record.get('seconds', 0.0)), bool(record.get('stopped', False)),
               record.get('label', ''), record.get('params'), record.get('trained_at'))


# ---------------------------------------------------------------------------------------
# Memoised runs: a run is a pure function of its recipe, its seed and the training code
# ---------------------------------------------------------------------------------------

RETRAIN_ENV = 'WEEK5_RETRAIN'
# What a trained run depends on besides its recipe: the library's training code (these
# modules of week5, and the module of a model factory) and MXNet's version. A change to
# any of them is a new key, so a stale run is never loaded.
_TRAINING_CODE = ('callbacks.py', 'core.py', 'data.py', 'fashion_mnist.py', 'files.py',
                  'hparams.py', 'recipe.py', 'runtime.py', 'summary.py', 'tensors.py',
                  'models')


# The memo keeps the newest runs up to this many bytes (weights and JSON) and deletes the
# oldest beyond it: every change to the training code starts new keys.
MEMO_LIMIT_BYTES = 1 << 30


def memo_dir():
    """Where finished runs are memoised: ``<week5 cache>/runs/memo`` (never committed)."""
    return cache_dir() / 'runs' / 'memo'


def _prune_memo(limit=MEMO_LIMIT_BYTES):
    """Delete the least recently written memoised runs beyond ``limit`` bytes."""
    files = []
    for path in memo_dir().glob('*.*'):
        try:
            files.append((path.stat(), path))
        except FileNotFoundError:       # another process (a side-by-side worker) pruned it
            continue
    total = 0
    for stat, path in sorted(files, key=lambda f: f[0].st_mtime, reverse=True):
        total += stat.st_size
        if total > limit:
            path.unlink(missing_ok=True)


@functools.lru_cache(maxsize=None)
def _code_digest(*extra_files):
    """SHA-256 over the training code's sources (and ``extra_files``) and MXNet's version."""
    here = Path(__file__).resolve().parent
    files = []
    for name in _TRAINING_CODE:
        path = here / name
        files += sorted(path.rglob('*.py')) if path.is_dir() else [path]
    digest = hashlib.sha256(mx.__version__.encode())
    for path in [*files, *map(Path, extra_files)]:
        digest.update(str(path.relative_to(here) if path.is_relative_to(here)
                          else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_key(recipe, factory=None, callbacks=()):
    """The memo key of a run of ``recipe`` (hex), or None when the run is not a pure
    function of the recipe: no seed, a ``factory`` that is not a module-level function
    (a lambda or a closure may build anything), or a callback without a ``memo_key``: a
    callback that only records metrics (a pure function of the run and its recipe)
    declares one, a string naming what it records, which becomes part of the key."""
    memo_keys = [getattr(cb, 'memo_key', None) for cb in callbacks]
    if recipe.seed is None or None in memo_keys:
        return None
    extra, name = (), None
    if factory is not None:
        module = sys.modules.get(getattr(factory, '__module__', None) or '')
        qualname = getattr(factory, '__qualname__', '<?>')
        source = getattr(module, '__file__', None)
        if source is None or '<' in qualname or getattr(module, qualname, None) is not factory:
            return None
        extra, name = (os.path.abspath(source),), f'{module.__name__}.{qualname}'
    text = json.dumps({'recipe': recipe.to_dict(), 'factory': name,
                       'code': _code_digest(*extra),
                       **({'callbacks': memo_keys} if memo_keys else {})}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _retrain(retrain):
    if retrain is not None:
        return bool(retrain)
    return os.environ.get(RETRAIN_ENV, '').strip().lower() not in ('', '0', 'no', 'false')


def _load_memo(key, recipe, label, factory, print_fn):
    """The memoised run of ``key`` with its weights, or None (nothing stored, or a stored
    run that cannot be used: then it is said, and the caller trains it again)."""
    base = memo_dir() / key
    try:
        run = load_run(base, weights=True, factory=factory)
        with open(f'{base}.json', encoding='utf-8') as f:
            stored = json.load(f)
        if stored.get('key') != key or stored.get('recipe') != recipe.to_dict():
            raise RunLoadError(f'{base}.json holds another run than its name says')
    except FileNotFoundError:
        return None
    except (RunLoadError, ValueError, KeyError, TypeError) as err:
        print_fn(f'the stored run {key} cannot be used ({err}): training it again')
        return None
    run.recipe, run.label = recipe, label
    epochs = len(run.history)
    now = time.time()
    log_run(network=type(run.model).__name__, images=_absolute(recipe.num_train, FULL_TRAIN),
            resize=list(recipe.resize), epochs=epochs, seed=recipe.seed, start=now, end=now,
            loaded=True)
    print_fn(f'loaded the run trained at {run.trained_at} ({recipe.network}, seed '
             f'{recipe.seed}, {epochs} epoch{"" if epochs == 1 else "s"}); '
             f'retrain=True or {RETRAIN_ENV}=1 trains it again')
    return run
