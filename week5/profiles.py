"""How much work the notebooks do: the ``quick``, ``laptop`` and ``full`` profiles.

One switch picks the profile: an argument, or the ``WEEK5_PROFILE`` environment variable
(default ``laptop``). The notebook text never changes with the profile, only sizes,
epochs and data subsets do:

    >>> from week5.profiles import get_profile
    >>> profile = get_profile()                 # WEEK5_PROFILE or 'laptop'
    >>> profile.settings('alexnet')             # a plain dict
    {'resize': 64, 'width_divisor': 4, ...}
    >>> model, data, trainer = profile.make('alexnet')
    >>> trainer.fit(model, data)

* ``full``: the book's settings (224x224 for AlexNet/VGG/NiN, 96x96 for GoogLeNet, all
  60,000 training images, 10 epochs, batch 128, the book's learning rates); for a GPU.
* ``laptop``: each architecture keeps its shape (same layers, same order, same relative
  kernel/stride pattern) at a lower resolution and a fraction of the width, so that it
  trains on 2 CPU cores in minutes to a meaningful accuracy (see bench/accuracy.py).
* ``quick``: seconds per network, for CI and nbval: a tiny subset and one short epoch.

A network's settings mix three kinds of keys: data (``batch_size``, ``num_train``,
``num_val``; ``resize`` goes to both data and model), trainer (``num_epochs``) and
model (``lr`` and any config field such as ``width_divisor`` or ``kernel_sizes``).
Some settings depend on a model knob (a sigmoid LeNet needs a larger learning rate than
a ReLU LeNet): those rules are listed in the profile as data too.
"""
import math
import os
from dataclasses import dataclass, field

from .core import Callback

__all__ = ['Profile', 'PROFILES', 'get_profile', 'profile_names', 'CosineLR', 'DATA_KEYS',
           'TRAINER_KEYS', 'ENV_VAR', 'DEFAULT_PROFILE']

ENV_VAR = 'WEEK5_PROFILE'
DEFAULT_PROFILE = 'laptop'
DATA_KEYS = ('batch_size', 'num_train', 'num_val')
TRAINER_KEYS = ('num_epochs', 'lr_schedule')
LR_SCHEDULES = (None, 'cosine')
_REQUIRED = ('resize', 'num_epochs', 'batch_size', 'lr', 'num_train', 'num_val')


@dataclass(frozen=True)
class Profile:
    """A named table of per-network training settings.

    ``networks`` maps a registry name to its settings; ``rules`` maps a registry name
    to ``[(when, changes), ...]``: ``changes`` apply when the model knobs (the config's
    defaults updated with the caller's overrides) match every item of ``when``.
    """
    name: str
    description: str
    networks: dict
    rules: dict = field(default_factory=dict)

    def settings(self, name, **overrides):
        """The settings of network ``name`` as a new dict: the profile's values, then the
        rules matching the model knobs, then ``overrides`` (which always win)."""
        from .models import MODELS, TRAINING_KNOBS, check_knobs
        if name not in self.networks:
            raise ValueError(f'unknown model {name!r} — profile {self.name!r} has settings '
                             f'for {", ".join(map(repr, self.networks))}')
        config_class = MODELS[name].config_class
        check_knobs(config_class, overrides,
                    extra=DATA_KEYS + TRAINER_KEYS + ('lr',) + TRAINING_KNOBS)
        out = dict(self.networks[name])
        defaults = {f: getattr(config_class, f, None) for f in config_class.knobs()}
        knobs = {**defaults, **out, **overrides}
        for when, changes in self.rules.get(name, ()):
            if all(knobs.get(k) == v for k, v in when.items()):
                out.update(changes)
        out.update(overrides)
        # every settings dict has these keys, whatever the profile spells out
        out.setdefault('width_divisor', defaults['width_divisor'])
        out.setdefault('lr_schedule', None)
        return out

    def split(self, name, **overrides):
        """``settings`` split into (model kwargs, data kwargs, trainer kwargs), ready for
        ``get_model(name, **m)``, ``FashionMNIST(**d)`` and ``Trainer(**t)``."""
        s = self.settings(name, **overrides)
        data = {k: s[k] for k in DATA_KEYS}
        data['resize'] = _pair(s['resize'])
        schedule = s.get('lr_schedule')
        if schedule not in LR_SCHEDULES:
            raise ValueError(f'lr_schedule {schedule!r} is not supported — use None (constant '
                             f"lr, as in the book) or 'cosine'")
        trainer = {'max_epochs': s['num_epochs'],
                   'callbacks': [CosineLR()] if schedule == 'cosine' else []}
        model = {k: v for k, v in s.items() if k not in DATA_KEYS + TRAINER_KEYS}
        return model, data, trainer

    def make(self, name, **overrides):
        """(model, data, trainer) for network ``name`` in this profile; ``overrides`` are
        any settings keys or model knobs, e.g. ``make('lenet', activation='relu')``."""
        from .core import Trainer
        from .data import FashionMNIST
        from .models import get_model
        model_kw, data_kw, trainer_kw = self.split(name, **overrides)
        model = get_model(name, **model_kw)            # validates before loading data
        return model, FashionMNIST(**data_kw), Trainer(**trainer_kw)

    def describe(self, name=None):
        """A short text table of the settings (one network or all)."""
        names = [name] if name else list(self.networks)
        lines = [f'profile {self.name!r}: {self.description}']
        for n in names:
            s = self.settings(n)
            extra = ', '.join(f'{k}={v}' for k, v in s.items()
                              if k not in _REQUIRED and v is not None
                              and not (k == 'width_divisor' and v == 1))
            lines.append(f'  {n:<10} resize {_pair(s["resize"])[0]:>3}, batch {s["batch_size"]}, '
                         f'lr {s["lr"]}, {s["num_epochs"]} epoch'
                         f'{"" if s["num_epochs"] == 1 else "s"}, '
                         f'train {_count(s["num_train"], 60000)}, '
                         f'val {_count(s["num_val"], 10000)}' + (f'; {extra}' if extra else ''))
        return '\n'.join(lines)


class CosineLR(Callback):
    """Anneal the learning rate from ``model.lr`` to 0 along half a cosine over the
    batches of one ``fit`` (Loshchilov & Hutter, 2017, without restarts).

    Plain SGD at a constant rate (the book's) keeps bouncing around the minimum; a short
    CPU run gets the last point or two of accuracy from the low rates at its end. Set by
    the profiles with ``lr_schedule='cosine'``; ``model.lr`` itself is left unchanged.
    """

    def on_fit_start(self, trainer, model):
        self.base = model.lr
        self.start = trainer.train_batch_idx
        self.total = max(1, trainer.max_epochs * trainer.num_train_batches)

    def on_train_batch_end(self, trainer, model, batch_idx):
        done = min(1.0, (trainer.train_batch_idx - self.start) / self.total)
        trainer.optim.set_learning_rate(self.base * 0.5 * (1 + math.cos(math.pi * done)))


def _pair(resize):
    return (resize, resize) if isinstance(resize, int) else tuple(resize)


def _count(n, total):
    return f'{total if n is None else n:,}'


# ---------------------------------------------------------------------------------------
# The three profiles. Book references: d2l.ai chapters 7.6 and 8.1-8.4 (MXNet code).
# ---------------------------------------------------------------------------------------
_BOOK = dict(num_epochs=10, batch_size=128, num_train=None, num_val=None)

FULL = Profile(
    'full', "the book's sizes: all data, 10 epochs (for a GPU)",
    networks={
        'lenet': dict(_BOOK, resize=28, lr=0.1),
        'alexnet': dict(_BOOK, resize=224, lr=0.01),
        # the book trains VGG-11 with a quarter of the conv channels (and the full head)
        'vgg': dict(_BOOK, resize=224, lr=0.01,
                    arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))),
        'nin': dict(_BOOK, resize=224, lr=0.05),
        'googlenet': dict(_BOOK, resize=96, lr=0.01),
    },
)

# The laptop recipe, tuned with bench/accuracy.py (its docstring has the measured table).
# Architecture: each network keeps its layers and their order; the input is smaller and
# the layers narrower. Training: the papers' SGD with momentum 0.9 (AlexNet, VGG, NiN and
# GoogLeNet were trained so; the book drops it for simplicity) and a cosine decay of the
# learning rate over the run; He ('kaiming') initialisation where a deep ReLU stack
# stalls for epochs under Xavier. NiN and GoogLeNet are trained with their batch-norm
# extension (GoogLeNet + BN is the BN-Inception of Ioffe & Szegedy, 2015): narrow and
# without it, NiN needs far more epochs than a laptop budget to leave its initial
# plateau (its class maps go through ReLUs before the average), and GoogLeNet often
# spends its first epoch or two there (0.86-0.87 after 8 epochs instead of 0.89 after 6).
_ALL_DATA = dict(num_train=None, num_val=None, batch_size=128)
_PAPER_SGD = dict(momentum=0.9, lr_schedule='cosine')
LAPTOP = Profile(
    'laptop', 'minutes per network on 2 CPU cores: lower resolution, narrower layers',
    networks={
        # the 1998 LeNet as is: plain SGD at a high rate (sigmoids learn slowly)
        'lenet': dict(_ALL_DATA, resize=28, num_epochs=6, lr=0.9),
        # 64x64 and a 5x5/2 conv1: 30 -> 14 -> 6 -> 2 after the pools, like 54 -> 26 ->
        # 12 -> 5 at 224 with 11x11/4
        'alexnet': dict(_ALL_DATA, **_PAPER_SGD, resize=64, width_divisor=8,
                        kernel_sizes=(5, 5, 3, 3, 3), strides=(2, 1, 1, 1, 1),
                        num_epochs=6, lr=0.02),
        # 32x32: five halvings leave 1x1 (7x7 at 224)
        'vgg': dict(_ALL_DATA, **_PAPER_SGD, resize=32, width_divisor=8, init='kaiming',
                    num_epochs=6, lr=0.05),
        # native 28x28 and a 3x3/1 first conv: 26 -> 12 -> 5 -> 2 after the pools (54 ->
        # 26 -> 12 -> 5 at 224)
        'nin': dict(_ALL_DATA, **_PAPER_SGD, resize=28, width_divisor=8,
                    kernel_sizes=(3, 5, 3, 3), strides=1, paddings=(0, 'same', 'same', 'same'),
                    init='kaiming', batch_norm=True, num_epochs=5, lr=0.1),
        # 48x48: b1-b4 halve to 24, 12, 6, 3 -> 2, as 96 gives 48, 24, 12, 6, 3
        'googlenet': dict(_ALL_DATA, **_PAPER_SGD, resize=48, width_divisor=8,
                          init='kaiming', batch_norm=True, num_epochs=6, lr=0.1),
    },
    rules={
        # the modern LeNet (ReLU) diverges at the sigmoid LeNet's rate: the laptop recipe
        'lenet': [({'activation': 'relu'}, dict(_PAPER_SGD, lr=0.1, num_epochs=7))],
    },
)

# Quick: the laptop networks and recipe, on 512 images for one epoch.
_QUICK = dict(num_train=512, num_val=256, num_epochs=1, batch_size=64)
QUICK = Profile(
    'quick', 'seconds per network, for CI and nbval: 512 images, one epoch',
    networks={name: dict(s, **_QUICK) for name, s in LAPTOP.networks.items()},
    rules={name: [(when, {k: v for k, v in changes.items() if k not in _QUICK})
                  for when, changes in rules]
           for name, rules in LAPTOP.rules.items()},
)

PROFILES = {'quick': QUICK, 'laptop': LAPTOP, 'full': FULL}


def profile_names():
    return list(PROFILES)


def get_profile(name=None):
    """The profile called ``name``; None reads ``WEEK5_PROFILE`` (default 'laptop')."""
    if isinstance(name, Profile):
        return name
    source = 'profile'
    if name is None:
        name, source = os.environ.get(ENV_VAR) or DEFAULT_PROFILE, ENV_VAR
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in PROFILES:
        raise ValueError(f'unknown {source} {name!r} — choose one of '
                         f'{", ".join(map(repr, PROFILES))}')
    return PROFILES[key]
