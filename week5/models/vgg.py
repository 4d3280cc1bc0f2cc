"""VGG (Simonyan & Zisserman, 2014) as in d2l section 8.2: VGG-11 from an ``arch`` table.

Deviations from the paper, all as in the book: one grayscale channel, 10 classes. (The
book trains a VGG-11 with a quarter of the channels: ``width_divisor`` does that for the
convolutions; the ``full`` profile passes the book's narrow ``arch`` instead.)
"""
from dataclasses import dataclass

from .blocks import (ConfigClassifier, Conv, NetConfig, Pool, Stage, build, dense_head,
                     per_layer, same_padding)

__all__ = ['VGGConfig', 'VGG', 'vgg_block', 'vgg_stage', 'VGG11_ARCH']

# (number of 3x3 convolutions, output channels) of each block: VGG-11 ("configuration A").
VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def vgg_stage(name, num_convs, channels, kernel_size=3, activation='relu', pool='max',
              batch_norm=False, knob='kernel_sizes'):
    """The spec of one VGG block: ``num_convs`` 'same'-padded convolutions, then a 2x2
    pooling with stride 2 that halves height and width."""
    layers = tuple(Conv(f'conv{j}', channels=channels, kernel_size=kernel_size,
                        padding=same_padding('same', kernel_size), activation=activation,
                        batch_norm=batch_norm, knob=knob)
                   for j in range(1, num_convs + 1))
    return Stage(name, layers + (Pool('pool', kind=pool, pool_size=2, strides=2, knob=None),))


def vgg_block(num_convs, channels, kernel_size=3, activation='relu', pool='max',
              batch_norm=False):
    """A VGG block as a Gluon HybridSequential (the book's ``vgg_block``)."""
    return build(vgg_stage('block', num_convs, channels, kernel_size, activation, pool,
                           batch_norm).layers)


@dataclass
class VGGConfig(NetConfig):
    """VGG-11 as in the book. ``arch`` is the table of blocks; ``kernel_sizes`` gives the
    kernel of every conv in a block (an int for all blocks)."""
    network = 'vgg'

    in_channels: int = 1              # grayscale Fashion-MNIST (paper: RGB)
    num_classes: int = 10             # Fashion-MNIST (paper: 1000)
    resize: int = 224                 # the paper's / book's input side
    arch: tuple = VGG11_ARCH          # (num_convs, channels) per block; each block halves H, W
    kernel_sizes: tuple = 3           # per block; 3x3 'same'-padded throughout in the paper
    pool: str = 'max'                 # 2x2 max pooling, stride 2, closing each block
    hidden: tuple = (4096, 4096)      # the dense head, as in AlexNet
    activation: str = 'relu'
    dropout: float = 0.5              # after each hidden dense layer
    batch_norm: bool = False          # extension (VGG-BN): BatchNorm before each activation
    width_divisor: int = 1            # divides the channel counts and hidden widths

    def _kernels(self):
        return per_layer(self.kernel_sizes, len(tuple(self.arch)), 'kernel_sizes', 'VGG',
                         'blocks in arch')

    def _check(self):
        arch = tuple(self.arch)
        if not arch:
            raise ValueError('arch is empty — give at least one (num_convs, channels) block, '
                             f'e.g. {VGG11_ARCH}')
        for i, block in enumerate(arch):
            if not isinstance(block, (tuple, list)) or len(block) != 2 \
                    or not isinstance(block[0], int) or block[0] < 1:
                raise ValueError(f'arch[{i}] must be (num_convs, channels) with num_convs '
                                 f'>= 1, got {block!r}')
        self._check_kernels('kernel_sizes', self._kernels())

    def channel_counts(self):
        return ([(f'arch[{i}] channels', c) for i, (_, c) in enumerate(self.arch)]
                + [(f'hidden[{i}]', u) for i, u in enumerate(self.hidden)])

    def layers(self):
        kernels = self._kernels()
        act, bn = self.activation, self.batch_norm
        specs = [vgg_stage(f'block{i + 1}', n, self.width(c), kernels[i], act, self.pool, bn,
                           knob=f'kernel_sizes[{i}]')
                 for i, (n, c) in enumerate(self.arch)]
        # N x 1 x 224 x 224 -> block1 N x 64 x 112 x 112 -> block2 N x 128 x 56 x 56
        # -> block3 N x 256 x 28 x 28 -> block4 N x 512 x 14 x 14 -> block5 N x 512 x 7 x 7
        # Dense flattens: 25088 -> N x 4096 -> N x 4096 -> N x 10
        return specs + dense_head([self.width(u) for u in self.hidden], self.num_classes,
                                  act, self.dropout, bn)


class VGG(ConfigClassifier):
    """VGG as a d2l Classifier: ``VGG(arch=((1, 16), (1, 32), (2, 64), (2, 128),
    (2, 128)), lr=0.01)`` is the model the book trains."""
    config_class = VGGConfig

    def __init__(self, arch=VGG11_ARCH, lr=0.1, num_classes=None, config=None,
                 **overrides):
        if config is None or arch is not VGG11_ARCH:
            overrides['arch'] = arch
        super().__init__(lr, num_classes, config, overrides)
