"""The five networks of the week as configurable d2l Classifiers.

    >>> from week5.models import get_model, list_models
    >>> list_models()
    ['lenet', 'alexnet', 'vgg', 'nin', 'googlenet']
    >>> model = get_model('lenet', activation='relu', pool='max')   # a variant
    >>> model.config.activation
    'relu'

Each network is a config dataclass with the paper's / book's defaults (``LeNetConfig``
...) plus one ``layers()`` table; the config is validated with shape arithmetic before
any MXNet compute. Variants: ``dataclasses.replace(config, ...)`` or overrides.
"""
from .blocks import ACTIVATIONS, POOLS, Fix, NetConfig, ShapeError, check_knobs
from .lenet import LeNet, LeNetConfig
from .alexnet import AlexNet, AlexNetConfig
from .vgg import VGG, VGG11_ARCH, VGGConfig, vgg_block
from .nin import NiN, NiNConfig, nin_block
from .googlenet import GOOGLENET_STAGES, GoogLeNet, GoogLeNetConfig, GoogleNet, Inception

__all__ = ['MODELS', 'get_model', 'get_config', 'list_models', 'LeNet', 'LeNetConfig',
           'AlexNet', 'AlexNetConfig', 'VGG', 'VGGConfig', 'VGG11_ARCH', 'vgg_block', 'NiN',
           'NiNConfig', 'nin_block', 'GoogLeNet', 'GoogleNet', 'GoogLeNetConfig',
           'Inception', 'GOOGLENET_STAGES', 'NetConfig', 'Fix', 'ShapeError', 'ACTIVATIONS',
           'POOLS', 'check_knobs']

# One entry per network, in the order of the lecture; variants are overrides.
MODELS = {
    'lenet': LeNet,
    'alexnet': AlexNet,
    'vgg': VGG,
    'nin': NiN,
    'googlenet': GoogLeNet,
}


def list_models():
    """The registered network names, in the order of the lecture."""
    return list(MODELS)


def _lookup(name):
    if name not in MODELS:
        raise ValueError(f'unknown model {name!r} — choose one of '
                         f'{", ".join(map(repr, MODELS))}')
    return MODELS[name]


def get_config(name, **overrides):
    """The validated config of network ``name`` with some fields overridden."""
    cls = _lookup(name).config_class
    check_knobs(cls, overrides)
    return cls(**overrides)


def get_model(name, lr=None, **overrides):
    """A freshly initialised model: ``get_model('alexnet', resize=64, width_divisor=4)``.

    ``lr`` defaults to the model class's default; ``momentum``, ``weight_decay`` and
    ``init`` are the model's training knobs (see ``ConfigClassifier``); the other keyword
    arguments are fields of the network's config (``MODELS[name].config_class.knobs()``),
    checked by the model, which names an unknown one and the closest valid one."""
    cls = _lookup(name)
    return cls(**overrides) if lr is None else cls(lr=lr, **overrides)
