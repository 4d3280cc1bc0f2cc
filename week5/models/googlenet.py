"""GoogLeNet (Szegedy et al., 2015) as in d2l section 8.4: stem b1-b2, body b3-b5 of nine
Inception blocks, head = global average pooling + one dense layer.

Deviations from the paper, all as in the book: one grayscale channel at 96x96 instead
of 224x224 RGB; no local response normalisation; no auxiliary classifiers; no dropout
before the classifier (the paper used 40%: ``dropout=0.4`` puts it back); 10 classes.
"""
from dataclasses import dataclass

from mxnet import util
from mxnet.gluon import nn

from .blocks import (ConfigClassifier, Conv, Dense, Dropout, GlobalAvgPool, NetConfig, Pool,
                     Stage, per_layer, same_padding)

__all__ = ['GoogLeNetConfig', 'GoogLeNet', 'GoogleNet', 'Inception', 'InceptionSpec',
           'GOOGLENET_STAGES']


def _sequence(value, n):
    return isinstance(value, (tuple, list)) and len(value) == n


class Inception(nn.HybridBlock):
    """The four-branch Inception block; ``c1`` ... ``c4`` allocate the output channels:
    branch 1 a 1x1 conv (c1); branch 2 a 1x1 conv (c2[0]) then a 3x3 conv (c2[1]);
    branch 3 a 1x1 conv (c3[0]) then a 5x5 conv (c3[1]); branch 4 a 3x3 pooling then a
    1x1 conv (c4). Every branch keeps height and width; the outputs are concatenated
    along the channels: c1 + c2[1] + c3[1] + c4 channels out."""

    def __init__(self, c1, c2, c3, c4, activation='relu', batch_norm=False, pool='max',
                 in_channels=0, **kwargs):
        super().__init__(**kwargs)
        x = (in_channels,) if in_channels else None   # 0: infer on the first forward pass

        def conv(name, channels, kernel_size, in_shape=x):
            return Conv(name, channels=channels, kernel_size=kernel_size,
                        padding=kernel_size // 2, activation=activation,
                        batch_norm=batch_norm).build(in_shape)
        self.b1_1 = conv('b1_1', c1, 1)
        self.b2_1 = conv('b2_1', c2[0], 1)
        self.b2_2 = conv('b2_2', c2[1], 3, x and (c2[0],))
        self.b3_1 = conv('b3_1', c3[0], 1)
        self.b3_2 = conv('b3_2', c3[1], 5, x and (c3[0],))
        self.b4_1 = Pool('b4_1', kind=pool, pool_size=3, strides=1, padding=1).build(x)
        self.b4_2 = conv('b4_2', c4, 1)

    def hybrid_forward(self, F, x):
        b1 = self.b1_1(x)
        b2 = self.b2_2(self.b2_1(x))
        b3 = self.b3_2(self.b3_1(x))
        b4 = self.b4_2(self.b4_1(x))
        if util.is_np_array():
            return F.np.concatenate((b1, b2, b3, b4), axis=1)
        return F.concat(b1, b2, b3, b4, dim=1)


@dataclass(frozen=True)
class InceptionSpec:
    """Spec of an Inception block for the shape walker and the builder: every branch is
    'same'-padded, so any input side fits and only the channels change."""
    name: str
    c1: int
    c2: tuple
    c3: tuple
    c4: int
    activation: str = 'relu'
    batch_norm: bool = False
    pool: str = 'max'

    def out_shape(self, shape, name=None):
        return (self.c1 + self.c2[1] + self.c3[1] + self.c4,) + tuple(shape[1:])

    def branches(self, shape):
        """Per branch on an input of ``shape``: (label, output channels, params, MACs,
        BatchNorm params), from the branch's convolution specs."""
        c, side = shape[0], tuple(shape[1:])
        rows = []
        for label, convs in (('1x1', [(self.c1, 1)]),
                             ('1x1 -> 3x3', [(self.c2[0], 1), (self.c2[1], 3)]),
                             ('1x1 -> 5x5', [(self.c3[0], 1), (self.c3[1], 5)]),
                             ('pool -> 1x1', [(self.c4, 1)])):
            total, c_in = (0, 0, 0), c
            for channels, k in convs:
                spec = Conv(label, channels=channels, kernel_size=k, padding=k // 2,
                            activation=self.activation, batch_norm=self.batch_norm)
                total = tuple(a + b for a, b in zip(total, spec.cost((c_in,) + side)))
                c_in = channels
            rows.append((label, convs[-1][0], *total))
        return rows

    def cost(self, shape):
        """(params, MACs per example, BatchNorm params) on an input of ``shape``."""
        return tuple(sum(r[i] for r in self.branches(shape)) for i in (2, 3, 4))

    def build(self, in_shape=None):
        return Inception(self.c1, self.c2, self.c3, self.c4, self.activation,
                         self.batch_norm, self.pool, in_shape[0] if in_shape else 0)


# (c1, (c2 reduce, c2), (c3 reduce, c3), c4) of each Inception block in b3, b4, b5,
# as in the paper's table 1; the channels out are given after each row.
GOOGLENET_STAGES = (
    ((64, (96, 128), (16, 32), 32),           # 3a: 256
     (128, (128, 192), (32, 96), 64)),        # 3b: 480
    ((192, (96, 208), (16, 48), 64),          # 4a: 512
     (160, (112, 224), (24, 64), 64),         # 4b: 512
     (128, (128, 256), (24, 64), 64),         # 4c: 512
     (112, (144, 288), (32, 64), 64),         # 4d: 528
     (256, (160, 320), (32, 128), 128)),      # 4e: 832
    ((256, (160, 320), (32, 128), 128),       # 5a: 832
     (384, (192, 384), (48, 128), 128)),      # 5b: 1024
)


@dataclass
class GoogLeNetConfig(NetConfig):
    """The book's GoogLeNet. ``stages`` is the channel allocation of b3, b4 and b5."""
    network = 'googlenet'

    in_channels: int = 1                 # grayscale Fashion-MNIST (paper: RGB)
    num_classes: int = 10                # Fashion-MNIST (paper: 1000)
    resize: int = 96                     # the book's side (paper: 224) to keep training fast
    stem_channels: tuple = (64, 64, 192)  # b1's 7x7 conv; b2's 1x1 and 3x3 convs
    kernel_sizes: tuple = (7, 3)         # b1's conv (stride 2) and b2's 3x3 conv, 'same' padding
    stages: tuple = GOOGLENET_STAGES     # Inception channel allocations of b3, b4, b5
    pool: str = 'max'                    # 3x3 stride-2 pooling closing b1-b4, and branch 4
    activation: str = 'relu'
    dropout: float = 0.0                 # before the dense head; the book has none (paper: 0.4)
    batch_norm: bool = False             # extension (Inception-v2): BatchNorm before activations
    width_divisor: int = 1               # divides every channel count of stem and Inceptions

    def _kernels(self):
        return per_layer(self.kernel_sizes, 2, 'kernel_sizes', 'GoogLeNet',
                         'spatial stem convs')

    def _check(self):
        if len(tuple(self.stem_channels)) != 3:
            raise ValueError('stem_channels must give the 3 stem conv widths, got '
                             f'{self.stem_channels!r}')
        if len(tuple(self.stages)) != 3:
            raise ValueError(f'stages must give the Inception blocks of b3, b4 and b5 (3 '
                             f'tuples), got {len(tuple(self.stages))}')
        for s, stage in enumerate(self.stages):
            if not isinstance(stage, (tuple, list)) or not stage:
                raise ValueError(f'stages[{s}] must be a non-empty tuple of Inception blocks, '
                                 f'got {stage!r}')
            for b, block in enumerate(stage):
                if not (_sequence(block, 4) and _sequence(block[1], 2)
                        and _sequence(block[2], 2)):
                    raise ValueError(f'stages[{s}][{b}] must be (c1, (c2_reduce, c2), '
                                     f'(c3_reduce, c3), c4), got {block!r}')
        self._check_kernels('kernel_sizes', self._kernels())

    def channel_counts(self):
        counts = [(f'stem_channels[{i}]', c) for i, c in enumerate(self.stem_channels)]
        for s, stage in enumerate(self.stages):
            for b, (c1, c2, c3, c4) in enumerate(stage):
                at = f'stages[{s}][{b}]'
                counts += [(f'{at} c1', c1), (f'{at} c2[0]', c2[0]), (f'{at} c2[1]', c2[1]),
                           (f'{at} c3[0]', c3[0]), (f'{at} c3[1]', c3[1]), (f'{at} c4', c4)]
        return counts

    def layers(self):
        k1, k2 = self._kernels()
        w, act, bn, pool = self.width, self.activation, self.batch_norm, self.pool

        def inception(name, c1, c2, c3, c4):
            return InceptionSpec(name, w(c1), (w(c2[0]), w(c2[1])), (w(c3[0]), w(c3[1])),
                                 w(c4), act, bn, pool)

        def body(name, stage, last):
            blocks = tuple(inception(f'inception{j + 1}', *b) for j, b in enumerate(stage))
            return Stage(name, blocks + (last,))

        def halve():
            return Pool('pool', kind=pool, pool_size=3, strides=2, padding=1, knob=None)

        c = [w(n) for n in self.stem_channels]
        specs = [                                                     # N x 1 x 96 x 96
            Stage('b1', (Conv('conv', channels=c[0], kernel_size=k1, strides=2,
                              padding=same_padding('same', k1), activation=act,
                              batch_norm=bn, knob='kernel_sizes[0]'),  # N x 64 x 48 x 48
                         halve())),                                   # N x 64 x 24 x 24
            Stage('b2', (Conv('conv1', channels=c[1], kernel_size=1, activation=act,
                              batch_norm=bn),                         # N x 64 x 24 x 24
                         Conv('conv2', channels=c[2], kernel_size=k2,
                              padding=same_padding('same', k2), activation=act,
                              batch_norm=bn, knob='kernel_sizes[1]'),  # N x 192 x 24 x 24
                         halve())),                                   # N x 192 x 12 x 12
            body('b3', self.stages[0], halve()),                      # N x 480 x 6 x 6
            body('b4', self.stages[1], halve()),                      # N x 832 x 3 x 3
            body('b5', self.stages[2], GlobalAvgPool('global_pool')),  # N x 1024 x 1 x 1
        ]
        if self.dropout:
            specs.append(Dropout('dropout', self.dropout))
        specs.append(Dense('dense', units=self.num_classes))         # N x 10
        return specs


class GoogLeNet(ConfigClassifier):
    """GoogLeNet as a d2l Classifier: ``GoogLeNet(lr=0.01)`` is the book's model."""
    config_class = GoogLeNetConfig

    def __init__(self, lr=0.1, num_classes=None, config=None, **overrides):
        super().__init__(lr, num_classes, config, overrides)


GoogleNet = GoogLeNet  # the book's spelling of the class name
