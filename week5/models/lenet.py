"""LeNet-5 (LeCun et al., 1998) as in d2l section 7.6.

Deviations from the paper, all as in the book: one 28x28 grayscale input padded by 2 in
conv1 instead of a 32x32 input; full connections between conv1 and conv2 (the paper
wired a subset of the channel pairs); a plain dense output layer instead of the Gaussian
RBF units; 10 Fashion-MNIST classes.
"""
from dataclasses import dataclass

from .blocks import (ConfigClassifier, Conv, NetConfig, Pool, dense_head, per_layer,
                     same_padding)

__all__ = ['LeNetConfig', 'LeNet']


@dataclass
class LeNetConfig(NetConfig):
    """The book's LeNet-5; every field is a knob (``dataclasses.replace`` for variants,
    e.g. ``replace(cfg, activation='relu', pool='max')`` for the modern LeNet)."""
    network = 'lenet'

    in_channels: int = 1             # grayscale Fashion-MNIST
    num_classes: int = 10            # Fashion-MNIST classes
    resize: int = 28                 # input side; conv1's padding 2 stands in for the paper's 32x32
    channels: tuple = (6, 16)        # output channels of conv1 and conv2
    kernel_sizes: tuple = (5, 5)     # conv1, conv2 (an int sets both)
    paddings: tuple = ('same', 0)    # 'same' = kernel_size // 2, i.e. 2 for the 5x5 kernel
    pool: str = 'avg'                # the paper's subsampling averages 2x2 windows
    pool_size: int = 2               # non-overlapping windows, stride = pool_size
    hidden: tuple = (120, 84)        # widths of the hidden dense layers
    activation: str = 'sigmoid'      # the paper's squashing function; ReLU came later
    dropout: float = 0.0             # after each hidden dense layer; LeNet predates dropout
    batch_norm: bool = False         # extension (d2l 8.5): BatchNorm before each activation
    width_divisor: int = 1           # divides the channel counts and hidden widths

    def _check(self):
        if len(tuple(self.channels)) != 2:
            raise ValueError(f'channels must give the 2 conv widths, got {self.channels!r}')
        kernels = per_layer(self.kernel_sizes, 2, 'kernel_sizes', 'LeNet', 'conv layers')
        paddings = per_layer(self.paddings, 2, 'paddings', 'LeNet', 'conv layers')
        self._check_kernels('kernel_sizes', kernels, paddings=paddings)
        self._check_positive('pool_size')

    def channel_counts(self):
        return ([(f'channels[{i}]', c) for i, c in enumerate(self.channels)]
                + [(f'hidden[{i}]', u) for i, u in enumerate(self.hidden)])

    def layers(self):
        k = per_layer(self.kernel_sizes, 2, 'kernel_sizes', 'LeNet', 'conv layers')
        p = per_layer(self.paddings, 2, 'paddings', 'LeNet', 'conv layers')
        act, bn, pool, size = self.activation, self.batch_norm, self.pool, self.pool_size
        specs = [                                                  # N x 1 x 28 x 28
            Conv('conv1', channels=self.width(self.channels[0]), kernel_size=k[0],
                 padding=same_padding(p[0], k[0]), activation=act, batch_norm=bn,
                 knob='kernel_sizes[0]'),                                 # N x 6 x 28 x 28
            Pool('pool1', kind=pool, pool_size=size, strides=size),       # N x 6 x 14 x 14
            Conv('conv2', channels=self.width(self.channels[1]), kernel_size=k[1],
                 padding=same_padding(p[1], k[1]), activation=act, batch_norm=bn,
                 knob='kernel_sizes[1]'),                                 # N x 16 x 10 x 10
            Pool('pool2', kind=pool, pool_size=size, strides=size),       # N x 16 x 5 x 5
        ]
        # Dense flattens: 400 -> N x 120 -> N x 84 -> N x 10
        return specs + dense_head([self.width(u) for u in self.hidden], self.num_classes,
                                  act, self.dropout, bn)


class LeNet(ConfigClassifier):
    """LeNet-5 as a d2l Classifier: ``LeNet(lr=0.1)`` is the book's model,
    ``LeNet(activation='relu', pool='max')`` a variant, ``model.config`` its config."""
    config_class = LeNetConfig

    def __init__(self, lr=0.1, num_classes=None, config=None, **overrides):
        super().__init__(lr, num_classes, config, overrides)
