"""Building blocks shared by the five networks: layer specs, the shape walker, the builder.

A network is *data*: its config's ``layers()`` returns a list of small frozen specs
(``Conv``, ``Pool``, ``Dense``, ``Dropout``, ``Stage`` ...). The same list is used twice:

* ``infer_shapes(specs, input_shape)`` walks it with shape arithmetic only (no MXNet
  compute) and raises a ``ShapeError`` naming the layer, the shapes and a fix when a
  kernel or pooling window no longer fits its feature map;
* ``build(specs, input_shape)`` turns it into a hybridizable Gluon ``HybridSequential``,
  one Gluon child per spec, so the walker's shapes are exactly the network's shapes (a
  test checks that against real forward passes). Given the input shape, every layer is
  built with its input size, so the parameters exist right away (no deferred
  initialisation: weights can be shown or saved before the first batch).

``NetConfig`` is the base of the per-network config dataclasses: field checks, the
shape walk with a "raise resize to at least N" hint, and ``replace`` with a clear error
for unknown knobs.

Never imports matplotlib, IPython or ipywidgets.
"""
import dataclasses
import difflib
import math
from dataclasses import KW_ONLY, dataclass
from typing import Optional

from mxnet import gluon, init
from mxnet.gluon import nn

from ..core import Classifier

__all__ = ['ACTIVATIONS', 'POOLS', 'INITS', 'Fix', 'ShapeError', 'Conv', 'Pool', 'GlobalAvgPool',
           'Dense', 'Dropout', 'Flatten', 'Stage', 'infer_shapes', 'build', 'conv_out_size',
           'NetConfig', 'ConfigClassifier', 'dense_head', 'check_knobs', 'check_choice',
           'check_training', 'per_layer', 'same_padding']

ACTIVATIONS = ('relu', 'sigmoid', 'tanh')
# weight initialisations: the book's Xavier (Glorot & Bengio, 2010), and He et al.'s
# (2015) for deep ReLU networks, whose signal Xavier halves at every layer
INITS = {
    'xavier': lambda: init.Xavier(),
    'kaiming': lambda: init.Xavier(rnd_type='gaussian', factor_type='in', magnitude=2),
}
# per-layer knobs that also accept one int for all layers
_INT_OR_TUPLE = ('kernel_sizes', 'strides', 'paddings')
POOLS = ('max', 'avg')
# The largest input side the "raise resize to at least N" hint searches up to.
_MAX_RESIZE_HINT = 2048


@dataclass(frozen=True)
class Fix:
    """One way out of a `ShapeError`: set config field ``knob`` (``'kernel_sizes[2]'``,
    ``'pool_size'``, ``'resize'``) to at most (``bound='max'``) or at least
    (``bound='min'``) ``limit``. A panel reads these fields instead of parsing text."""
    knob: str
    limit: int
    bound: str                     # 'max' (lower it) or 'min' (raise it)

    def __post_init__(self):
        if self.bound not in ('max', 'min'):
            raise ValueError(f"Fix.bound must be 'max' or 'min', got {self.bound!r}")

    def __str__(self):
        if self.bound == 'max':
            return f'lower {self.knob} to at most {self.limit}'
        return f'raise {self.knob} to at least {self.limit}'


class ShapeError(ValueError):
    """A layer whose window does not fit its input. ``str()`` reads
    ``"conv3: kernel 11 on a 5x5 input — lower kernel_sizes[2] to at most 5 or raise
    resize to at least 96"``; ``fixes`` holds the same advice as `Fix` objects (knob,
    limit, bound)."""

    def __init__(self, layer, problem, fixes=()):
        self.layer, self.problem, self.fixes = layer, problem, tuple(fixes)
        if not all(isinstance(f, Fix) for f in self.fixes):
            raise TypeError('ShapeError fixes must be Fix objects (knob, limit, bound)')
        text = f'{layer}: {problem}'
        if self.fixes:
            text += ' — ' + ' or '.join(map(str, self.fixes))
        super().__init__(text)

    def with_fix(self, fix):
        return ShapeError(self.layer, self.problem, self.fixes + (fix,))


def conv_out_size(n, kernel_size, strides=1, padding=0):
    """Output side of a convolution or pooling window (MXNet's default 'valid'
    convention, i.e. floor): ``(n + 2 * padding - kernel_size) // strides + 1``."""
    return (n + 2 * padding - kernel_size) // strides + 1


def _normalized(layer, channels, activation):
    """layer -> BatchNorm -> activation, as one HybridSequential (d2l 8.5's order)."""
    blk = nn.HybridSequential()
    blk.add(layer, nn.BatchNorm(in_channels=channels))
    if activation:
        blk.add(nn.Activation(activation))
    return blk


def _window_out(name, kind, shape, kernel_size, strides, padding, knob):
    """Shared shape rule of Conv and Pool: check the window fits, return (h, w) out."""
    _, h, w = shape
    if kernel_size > min(h, w) + 2 * padding:
        problem = f'{kind} {kernel_size} on a {h}x{w} input'
        if padding:
            problem += f' (padding {padding})'
        fixes = []
        if knob:
            fixes.append(Fix(knob, min(h, w) + 2 * padding, 'max'))
        raise ShapeError(name, problem, fixes)
    return (conv_out_size(h, kernel_size, strides, padding),
            conv_out_size(w, kernel_size, strides, padding))


# ---------------------------------------------------------------------------------------
# Layer specs: each knows its output shape (for an input of shape (C, H, W) or (D,),
# batch axis left out) and how to build its Gluon block.
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Conv:
    """A 2-D convolution followed by its activation (with ``batch_norm``:
    Conv2D -> BatchNorm -> Activation, as in d2l's batch-norm LeNet)."""
    name: str
    _: KW_ONLY                  # every field after the name by keyword: Conv('c', channels=6, ...)
    channels: int
    kernel_size: int
    strides: int = 1
    padding: int = 0
    activation: Optional[str] = 'relu'
    batch_norm: bool = False
    knob: Optional[str] = None  # the config field that sets kernel_size, for error hints

    def out_shape(self, shape, name=None):
        h, w = _window_out(name or self.name, 'kernel', shape, self.kernel_size,
                           self.strides, self.padding, self.knob)
        return (self.channels, h, w)

    def cost(self, shape):
        """(params, MACs per example, BatchNorm params) on an input of ``shape``."""
        weights = shape[0] * self.channels * self.kernel_size ** 2
        _, h, w = self.out_shape(shape)
        return (weights + self.channels, weights * h * w,
                2 * self.channels if self.batch_norm else 0)

    def build(self, in_shape=None):
        conv = dict(channels=self.channels, kernel_size=self.kernel_size,
                    strides=self.strides, padding=self.padding,
                    in_channels=in_shape[0] if in_shape else 0)
        if not self.batch_norm:
            return nn.Conv2D(activation=self.activation, **conv)
        return _normalized(nn.Conv2D(**conv), self.channels, self.activation)


@dataclass(frozen=True)
class Pool:
    """Max or average pooling over ``pool_size`` windows."""
    name: str
    _: KW_ONLY                  # every field after the name by keyword: Conv('c', channels=6, ...)
    kind: str
    pool_size: int
    strides: int
    padding: int = 0
    knob: Optional[str] = 'pool_size'

    def out_shape(self, shape, name=None):
        h, w = _window_out(name or self.name, 'pooling window', shape, self.pool_size,
                           self.strides, self.padding, self.knob)
        return (shape[0], h, w)

    def build(self, in_shape=None):
        layer = nn.MaxPool2D if self.kind == 'max' else nn.AvgPool2D
        return layer(pool_size=self.pool_size, strides=self.strides, padding=self.padding)


@dataclass(frozen=True)
class GlobalAvgPool:
    """Average over the whole feature map: (C, H, W) -> (C, 1, 1)."""
    name: str

    def out_shape(self, shape, name=None):
        return (shape[0], 1, 1)

    def build(self, in_shape=None):
        return nn.GlobalAvgPool2D()


@dataclass(frozen=True)
class Dense:
    """A fully connected layer (flattens its input, as Gluon's Dense does)."""
    name: str
    _: KW_ONLY                  # every field after the name by keyword: Conv('c', channels=6, ...)
    units: int
    activation: Optional[str] = None
    batch_norm: bool = False

    def out_shape(self, shape, name=None):
        return (self.units,)

    def cost(self, shape):
        """(params, MACs per example, BatchNorm params) on an input of ``shape``."""
        weights = math.prod(shape) * self.units
        return weights + self.units, weights, 2 * self.units if self.batch_norm else 0

    def build(self, in_shape=None):
        in_units = math.prod(in_shape) if in_shape else 0
        if not self.batch_norm:
            return nn.Dense(self.units, activation=self.activation, in_units=in_units)
        return _normalized(nn.Dense(self.units, in_units=in_units), self.units,
                           self.activation)


@dataclass(frozen=True)
class Dropout:
    name: str
    rate: float

    def out_shape(self, shape, name=None):
        return shape

    def build(self, in_shape=None):
        return nn.Dropout(self.rate)


@dataclass(frozen=True)
class Flatten:
    name: str

    def out_shape(self, shape, name=None):
        return (math.prod(shape),)

    def build(self, in_shape=None):
        return nn.Flatten()


@dataclass(frozen=True)
class Stage:
    """A named group of specs, built as a nested HybridSequential (a VGG or NiN block,
    GoogLeNet's b1 ... b5)."""
    name: str
    layers: tuple

    def out_shape(self, shape, name=None):
        for _, shape in _walk(self.layers, shape, name or self.name):
            pass
        return shape

    def build(self, in_shape=None):
        return build(self.layers, in_shape)


def dense_head(hidden, num_classes, activation, dropout, batch_norm):
    """The fully connected head of LeNet, AlexNet and VGG: one Dense (+ Dropout when
    ``dropout``) per width in ``hidden``, then the ``num_classes`` output layer."""
    specs = []
    for i, units in enumerate(hidden, 1):
        specs.append(Dense(f'dense{i}', units=units, activation=activation, batch_norm=batch_norm))
        if dropout:
            specs.append(Dropout(f'dropout{i}', dropout))
    return specs + [Dense(f'dense{len(hidden) + 1}', units=num_classes)]


def _walk(specs, shape, prefix=''):
    """Yield (qualified name, output shape) for every spec, nested ones included."""
    for spec in specs:
        name = f'{prefix}.{spec.name}' if prefix else spec.name
        if isinstance(spec, Stage):
            for row in _walk(spec.layers, shape, name):
                yield row
                shape = row[1]  # the last row of a level is its last layer's output
        else:
            shape = spec.out_shape(shape, name)
        yield name, shape


def infer_shapes(specs, input_shape):
    """Walk the specs with shape arithmetic only; return ``[(name, shape), ...]`` for
    every layer in order (a stage's children come before the stage's own row; shapes
    leave out the batch axis). Raises ``ShapeError`` (a ValueError) at the first layer
    whose window does not fit."""
    return list(_walk(specs, tuple(input_shape)))


def build(specs, input_shape=None):
    """Build a hybridizable Gluon network with one child per spec. With the
    ``input_shape`` (C, H, W), layers get their input sizes (no deferred init);
    without it, MXNet infers them on the first forward pass."""
    net = nn.HybridSequential()
    shape = tuple(input_shape) if input_shape else None
    for spec in specs:
        net.add(spec.build(shape))
        if shape:
            shape = spec.out_shape(shape)
    return net


# ---------------------------------------------------------------------------------------
# Config base class
# ---------------------------------------------------------------------------------------

def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def per_layer(value, n, knob, network, what):
    """Expand an int to ``n`` copies, or check a sequence has ``n`` entries."""
    if _is_int(value) or isinstance(value, str):
        return (value,) * n
    if not isinstance(value, (tuple, list)):
        raise ValueError(f'{knob} must be an int or a tuple of {n} values, got {value!r}')
    values = tuple(value)
    if len(values) != n:
        raise ValueError(f'{knob} has {len(values)} entries but {network} has {n} {what} '
                         f'— give {n} values or a single int for all of them')
    return values


def same_padding(padding, kernel_size):
    """'same' -> kernel_size // 2 (keeps the side for odd kernels at stride 1)."""
    return kernel_size // 2 if padding == 'same' else padding


@dataclass
class NetConfig:
    """Base of the per-network configs. Subclasses are dataclasses that define their
    fields (with the paper's defaults) and:

    * ``layers()`` -> list of specs (the architecture table);
    * ``channel_counts()`` -> [(label, count), ...] of every configured width, so
      non-positive widths and too large a ``width_divisor`` are caught by name;
    * ``_check()`` for network-specific field checks (optional).
    """
    network = 'network'  # display name, overridden by subclasses (class attribute)

    def __post_init__(self):
        self.validate()

    # -- public API -----------------------------------------------------------------
    @classmethod
    def knobs(cls):
        """The names of the fields a user may override."""
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, **changes):
        """A validated copy with some fields changed (``dataclasses.replace`` with a
        clear error for unknown names)."""
        check_knobs(type(self), changes)
        return dataclasses.replace(self, **changes)

    @property
    def input_shape(self):
        """(C, H, W) of one input image."""
        h, w = self._resize_hw()
        return (self.in_channels, h, w)

    def shapes(self):
        """[(layer name, output shape), ...] from the shape walker (no MXNet compute)."""
        return infer_shapes(self.layers(), self.input_shape)

    def output_shape(self):
        return self.shapes()[-1][1]

    def validate(self):
        """Check every field, then walk the layers; raise ValueError naming the field or
        layer and the fix. Returns self."""
        self._check_common()
        self._check()
        self._check_widths()
        specs = self.layers()
        try:
            infer_shapes(specs, self.input_shape)
        except ShapeError as err:
            need = self._min_resize(specs)
            if need is not None:
                raise err.with_fix(Fix('resize', need, 'min')) from None
            raise
        return self

    def width(self, channels):
        """A channel count divided by ``width_divisor`` (validated to stay >= 1)."""
        return max(1, channels // self.width_divisor)

    # -- checks -----------------------------------------------------------------------
    def _check(self):
        """Network-specific checks; subclasses override."""

    def _check_common(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(f.default, tuple) and f.name not in _INT_OR_TUPLE \
                    and not isinstance(value, (tuple, list)):
                raise ValueError(f'{f.name} must be a tuple (default {f.default!r}), got '
                                 f'{value!r}')
        self._check_positive('in_channels', 'num_classes', 'width_divisor')
        self._resize_hw()
        check_choice('activation', self.activation, ACTIVATIONS)
        check_choice('pool', self.pool, POOLS)
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) \
                or not 0 <= self.dropout < 1:
            raise ValueError(f'dropout must be a number in [0, 1), got {self.dropout!r} — '
                             f'0 turns dropout off, 0.5 is the usual value')
        if not isinstance(self.batch_norm, bool):
            raise ValueError(f'batch_norm must be True or False, got {self.batch_norm!r}')

    def _resize_hw(self):
        r = self.resize
        hw = (r, r) if _is_int(r) else tuple(r) if isinstance(r, (tuple, list)) else ()
        if len(hw) != 2 or not all(_is_int(n) and n >= 1 for n in hw):
            raise ValueError(f'resize must be a positive int (the side of the square '
                             f'input) or a (height, width) pair, got {r!r}')
        return hw

    def _check_widths(self):
        counts = self.channel_counts()
        for label, count in counts:
            if not _is_int(count) or count < 1:
                raise ValueError(f'{label}: {count!r} channels — channel counts must be '
                                 f'positive ints')
        label, smallest = min(counts, key=lambda lc: lc[1])
        if self.width_divisor > smallest:
            raise ValueError(f'width_divisor={self.width_divisor} leaves {label} '
                             f'({smallest} channels) with none — use width_divisor at most '
                             f'{smallest}')

    def _check_positive(self, *knobs):
        """Scalar fields that must be positive ints (pool_size, pool_strides, ...)."""
        for knob in knobs:
            value = getattr(self, knob)
            if not _is_int(value) or value < 1:
                raise ValueError(f'{knob} must be a positive int, got {value!r}')

    def _check_kernels(self, knob, values, strides=None, paddings=None):
        """Positive int kernels/strides, non-negative paddings (or 'same')."""
        for i, k in enumerate(values):
            if not _is_int(k) or k < 1:
                raise ValueError(f'{knob}[{i}] must be a positive int, got {k!r}')
        for name, vals in (('strides', strides), ('paddings', paddings)):
            for i, v in enumerate(vals or ()):
                ok = v == 'same' if isinstance(v, str) else \
                    _is_int(v) and (v >= 1 if name == 'strides' else v >= 0)
                if not ok:
                    rule = 'a positive int' if name == 'strides' else \
                        "a non-negative int or 'same'"
                    raise ValueError(f'{name}[{i}] must be {rule}, got {v!r}')

    def _min_resize(self, specs):
        """The smallest square input side >= the current one at which the layers fit."""
        h, w = self._resize_hw()
        for side in range(max(h, w) + 1, _MAX_RESIZE_HINT + 1):
            try:
                infer_shapes(specs, (self.in_channels, side, side))
                return side
            except ShapeError:
                continue
        return None


def check_knobs(config_class, changes, extra=()):
    """Raise ValueError for override names that are not fields of the config."""
    valid = config_class.knobs() + tuple(extra)
    for key in changes:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ''
            raise ValueError(f'unknown option {key!r} for {config_class.network}{hint} — '
                             f'valid options: {", ".join(valid)}')

# ---------------------------------------------------------------------------------------
# The Classifier every network shares: config in, Gluon net out
# ---------------------------------------------------------------------------------------

class ConfigClassifier(Classifier):
    """A d2l ``Classifier`` whose ``net`` is built from a config dataclass.

    Subclasses set ``config_class`` and keep the book's signature, e.g.
    ``LeNet(lr=0.1, num_classes=None, config=None, **overrides)``: ``config`` defaults to
    the paper's, ``overrides`` are config fields (validated, unknown names rejected) or
    the training knobs below, and ``num_classes`` (when given) overrides the config's.
    The net is a hybridizable ``HybridSequential``.

    Training knobs: the optimizer is the book's minibatch SGD on ``lr``; ``momentum`` and
    ``weight_decay`` default to 0 (the book) and can be set as the AlexNet, VGG, NiN and
    GoogLeNet papers did (momentum 0.9, weight decay 5e-4). ``init`` is 'xavier' (the
    book) or 'kaiming' (He et al., 2015; trains deep ReLU nets from scratch faster).
    """
    config_class = None

    def __init__(self, lr, num_classes, config, overrides):
        super().__init__()
        cls = self.config_class
        if config is None:
            config = cls()
        elif not isinstance(config, cls):
            raise TypeError(f'config must be a {cls.__name__}, got {type(config).__name__} '
                            f'— build one with {cls.__name__}(...) or pass its fields as '
                            f'keyword arguments')
        check_knobs(cls, overrides, extra=('lr', 'momentum', 'weight_decay', 'init'))
        momentum = overrides.pop('momentum', 0.0)
        weight_decay = overrides.pop('weight_decay', 0.0)
        init_name = overrides.pop('init', 'xavier')
        check_training(lr, momentum, weight_decay, init_name)
        if num_classes is not None:
            overrides['num_classes'] = num_classes
        self.config = config.replace(**overrides) if overrides else config
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.num_classes = self.config.num_classes
        # what Module.save writes and Module.load passes back to __init__
        self.init = init_name
        self.hparams = {'lr': lr, 'config': self.config, 'momentum': momentum,
                        'weight_decay': weight_decay, 'init': init_name}
        self.net = build(self.config.layers(), self.config.input_shape)
        self.net.initialize(INITS[init_name]())

    def configure_optimizers(self):
        """Minibatch SGD on ``lr`` with ``momentum`` and ``weight_decay``."""
        opts = {'learning_rate': self.lr}
        if self.momentum:
            opts['momentum'] = self.momentum
        if self.weight_decay:
            opts['wd'] = self.weight_decay
        return gluon.Trainer(self.collect_params(), 'sgd', opts)

    @property
    def input_shape(self):
        """(1, C, H, W): one example of the input the config expects (for summaries)."""
        return (1,) + self.config.input_shape

    def shapes(self):
        """[(layer name, output shape), ...] from the config's shape walker."""
        return self.config.shapes()


def check_choice(name, value, options):
    """Raise ValueError naming ``name`` and the valid ``options`` unless ``value`` is one."""
    if value not in options:
        raise ValueError(f'{name} {value!r} is not supported — choose one of '
                         f'{", ".join(map(repr, options))}')


def check_training(lr, momentum, weight_decay, init_name):
    """The optimizer's and the initialisation's knobs, with the fix in each message."""
    check_choice('init', init_name, tuple(INITS))
    for name, value, ok, rule in (
            ('lr', lr, lambda v: v > 0, 'a positive number, e.g. lr=0.1'),
            ('momentum', momentum, lambda v: 0 <= v < 1, 'in [0, 1), e.g. momentum=0.9'),
            ('weight_decay', weight_decay, lambda v: v >= 0, '>= 0, e.g. weight_decay=5e-4')):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok(value):
            raise ValueError(f'{name} must be {rule}, got {value!r}')
