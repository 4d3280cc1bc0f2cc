"""Network in Network (Lin, Chen & Yan, 2013) as in d2l section 8.3.

The book's NiN borrows AlexNet's convolution shapes (11x11/4, 5x5, 3x3) for the first
conv of each NiN block; deviations from the paper, all as in the book: one grayscale
channel, 10 classes, this AlexNet-like layout instead of the paper's CIFAR/ImageNet ones.
"""
from dataclasses import dataclass

from .blocks import (ConfigClassifier, Conv, Dropout, Flatten, GlobalAvgPool, NetConfig,
                     Pool, Stage, build, per_layer, same_padding)

__all__ = ['NiNConfig', 'NiN', 'nin_block', 'nin_stage']


def nin_stage(name, out_channels, kernel_size, strides, padding, activation='relu',
              batch_norm=False, knob='kernel_sizes', conv1x1=2, conv1x1_activation='same'):
    """The spec of one NiN block: a kernel_size x kernel_size convolution followed by
    ``conv1x1`` 1x1 convolutions (two: a small MLP applied at every pixel; 0: none) whose
    activation is ``conv1x1_activation`` ('same' as the first convolution's; None: linear)."""
    act = activation if conv1x1_activation == 'same' else conv1x1_activation
    return Stage(name, (
        Conv('conv', channels=out_channels, kernel_size=kernel_size, strides=strides,
             padding=padding, activation=activation, batch_norm=batch_norm, knob=knob),
        *(Conv(f'mlp{i + 1}', channels=out_channels, kernel_size=1, activation=act,
               batch_norm=batch_norm) for i in range(conv1x1)),
    ))


def nin_block(out_channels, kernel_size, strides, padding, activation='relu',
              batch_norm=False):
    """A NiN block as a Gluon HybridSequential (the book's ``nin_block``)."""
    return build(nin_stage('block', out_channels, kernel_size, strides, padding, activation,
                           batch_norm).layers)


@dataclass
class NiNConfig(NetConfig):
    """The book's NiN: three NiN blocks with max pooling between them, dropout, and a
    last NiN block with ``num_classes`` channels averaged by global pooling — no dense
    layer at all."""
    network = 'nin'

    in_channels: int = 1                          # grayscale Fashion-MNIST
    num_classes: int = 10                         # also the channels of the last NiN block
    resize: int = 224                             # the book's input side
    channels: tuple = (96, 256, 384)              # NiN blocks 1-3 (block 4 has num_classes)
    kernel_sizes: tuple = (11, 5, 3, 3)           # first conv of blocks 1-4 (an int sets all)
    strides: tuple = (4, 1, 1, 1)                 # first conv of blocks 1-4
    paddings: tuple = (0, 'same', 'same', 'same')  # book: 0, 2, 1, 1; 'same' = k // 2
    pool: str = 'max'                             # pooling after blocks 1-3
    pool_size: int = 3                            # 3x3 windows with stride 2, as in AlexNet
    pool_strides: int = 2
    activation: str = 'relu'
    dropout: float = 0.5                          # before the last block (the paper's choice)
    batch_norm: bool = False                      # extension: BatchNorm before each activation
    width_divisor: int = 1                        # divides blocks 1-3's channels
    conv1x1: int = 2                              # 1x1 convolutions per block (0: the ablation)
    linear_class_maps: bool = False               # last block's 1x1 convs without activation

    def _convs(self):
        n = len(tuple(self.channels)) + 1
        return (per_layer(self.kernel_sizes, n, 'kernel_sizes', 'NiN', 'NiN blocks'),
                per_layer(self.strides, n, 'strides', 'NiN', 'NiN blocks'),
                per_layer(self.paddings, n, 'paddings', 'NiN', 'NiN blocks'))

    def _check(self):
        if not tuple(self.channels):
            raise ValueError('channels is empty — give the widths of the NiN blocks before '
                             'the last one, e.g. (96, 256, 384)')
        kernels, strides, paddings = self._convs()
        self._check_kernels('kernel_sizes', kernels, strides, paddings)
        self._check_positive('pool_size', 'pool_strides')
        if isinstance(self.conv1x1, bool) or not isinstance(self.conv1x1, int) \
                or self.conv1x1 < 0:
            raise ValueError(f'conv1x1 must be an int >= 0 (1x1 convolutions per NiN block), '
                             f'got {self.conv1x1!r} — 2 is the paper\'s, 0 removes them')
        if not isinstance(self.linear_class_maps, bool):
            raise ValueError(f'linear_class_maps must be True or False, got '
                             f'{self.linear_class_maps!r}')
        if self.linear_class_maps and not self.conv1x1:
            raise ValueError('linear_class_maps=True needs 1x1 convolutions to make linear — '
                             'set conv1x1 to 1 or 2, or linear_class_maps=False')

    def channel_counts(self):
        return [(f'channels[{i}]', c) for i, c in enumerate(self.channels)]

    def layers(self):
        kernels, strides, paddings = self._convs()
        act, bn = self.activation, self.batch_norm

        def block(i, channels, conv1x1_activation='same'):
            k = kernels[i]
            return nin_stage(f'block{i + 1}', channels, k, strides[i],
                             same_padding(paddings[i], k), act, bn, knob=f'kernel_sizes[{i}]',
                             conv1x1=self.conv1x1, conv1x1_activation=conv1x1_activation)

        # N x 1 x 224 x 224 -> block1 N x 96 x 54 x 54 -> pool1 N x 96 x 26 x 26
        # -> block2 N x 256 x 26 x 26 -> pool2 N x 256 x 12 x 12
        # -> block3 N x 384 x 12 x 12 -> pool3 N x 384 x 5 x 5
        specs = []
        for i, c in enumerate(self.channels):
            specs.append(block(i, self.width(c)))
            specs.append(Pool(f'pool{i + 1}', kind=self.pool, pool_size=self.pool_size,
                              strides=self.pool_strides))
        if self.dropout:
            specs.append(Dropout('dropout', self.dropout))
        n = len(self.channels)
        last = None if self.linear_class_maps else 'same'
        specs += [block(n, self.num_classes, last),         # N x 10 x 5 x 5: a map per class
                  GlobalAvgPool('global_pool'),             # N x 10 x 1 x 1
                  Flatten('flatten')]                       # N x 10
        return specs


class NiN(ConfigClassifier):
    """NiN as a d2l Classifier: ``NiN(lr=0.05)`` is the book's model."""
    config_class = NiNConfig

    def __init__(self, lr=0.1, num_classes=None, config=None, **overrides):
        super().__init__(lr, num_classes, config, overrides)
