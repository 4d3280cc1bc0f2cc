"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012) as in d2l section 8.1 (MXNet code).

Deviations from the paper, all as in the book: one grayscale channel (Fashion-MNIST
upsampled to 224x224) instead of 224x224 RGB; a single stream instead of the two-GPU
split; no local response normalisation; 10 classes instead of 1000.
"""
from dataclasses import dataclass

from .blocks import (ConfigClassifier, Conv, NetConfig, Pool, dense_head, per_layer,
                     same_padding)

__all__ = ['AlexNetConfig', 'AlexNet']


@dataclass
class AlexNetConfig(NetConfig):
    """The book's AlexNet. Pooling follows conv1, conv2 and conv5 (fixed structure);
    every number is a knob."""
    network = 'alexnet'

    in_channels: int = 1                           # grayscale Fashion-MNIST (paper: RGB)
    num_classes: int = 10                          # Fashion-MNIST (paper: 1000 ImageNet classes)
    resize: int = 224                              # the paper's / book's input side
    channels: tuple = (96, 256, 384, 384, 256)     # conv1 ... conv5
    kernel_sizes: tuple = (11, 5, 3, 3, 3)         # conv1 ... conv5 (an int sets all)
    strides: tuple = (4, 1, 1, 1, 1)               # conv1 ... conv5
    paddings: tuple = (0, 'same', 'same', 'same', 'same')  # book: 0, 2, 1, 1, 1; 'same' = k // 2
    pool: str = 'max'                              # max pooling after conv1, conv2, conv5
    pool_size: int = 3                             # overlapping 3x3 windows (paper section 3.4)
    pool_strides: int = 2
    hidden: tuple = (4096, 4096)                   # the two huge dense layers
    activation: str = 'relu'                       # the paper's switch from sigmoid to ReLU
    dropout: float = 0.5                           # after each hidden dense layer (paper: 0.5)
    batch_norm: bool = False                       # extension: BatchNorm before each activation
    width_divisor: int = 1                         # divides the channel counts and hidden widths

    def _convs(self):
        n = len(tuple(self.channels))
        return (per_layer(self.kernel_sizes, n, 'kernel_sizes', 'AlexNet', 'conv layers'),
                per_layer(self.strides, n, 'strides', 'AlexNet', 'conv layers'),
                per_layer(self.paddings, n, 'paddings', 'AlexNet', 'conv layers'))

    def _check(self):
        if len(tuple(self.channels)) != 5:
            raise ValueError(f'channels must give the 5 conv widths, got {self.channels!r}')
        kernels, strides, paddings = self._convs()
        self._check_kernels('kernel_sizes', kernels, strides, paddings)
        self._check_positive('pool_size', 'pool_strides')

    def channel_counts(self):
        return ([(f'channels[{i}]', c) for i, c in enumerate(self.channels)]
                + [(f'hidden[{i}]', u) for i, u in enumerate(self.hidden)])

    def layers(self):
        kernels, strides, paddings = self._convs()
        act, bn = self.activation, self.batch_norm

        def conv(i):
            k = kernels[i]
            return Conv(f'conv{i + 1}', channels=self.width(self.channels[i]), kernel_size=k,
                        strides=strides[i], padding=same_padding(paddings[i], k),
                        activation=act, batch_norm=bn, knob=f'kernel_sizes[{i}]')

        def pool(i):
            return Pool(f'pool{i}', kind=self.pool, pool_size=self.pool_size,
                        strides=self.pool_strides)

        specs = [                              # N x 1 x 224 x 224
            conv(0),                           # N x 96 x 54 x 54
            pool(1),                           # N x 96 x 26 x 26
            conv(1),                           # N x 256 x 26 x 26
            pool(2),                           # N x 256 x 12 x 12
            conv(2),                           # N x 384 x 12 x 12
            conv(3),                           # N x 384 x 12 x 12
            conv(4),                           # N x 256 x 12 x 12
            pool(3),                           # N x 256 x 5 x 5 (Dense flattens: 6400)
        ]
        return specs + dense_head([self.width(u) for u in self.hidden], self.num_classes,
                                  act, self.dropout, bn)  # N x 4096, N x 4096, N x 10


class AlexNet(ConfigClassifier):
    """AlexNet as a d2l Classifier: ``AlexNet(lr=0.01)`` is the book's model."""
    config_class = AlexNetConfig

    def __init__(self, lr=0.1, num_classes=None, config=None, **overrides):
        super().__init__(lr, num_classes, config, overrides)
