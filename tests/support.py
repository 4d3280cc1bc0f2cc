"""What several test modules share (imported by name: `from support import ToyData`;
tests/conftest.py turns it into fixtures). A module, not conftest.py: a second conftest
(tests/fixtures/grading/conftest.py) would shadow `from conftest import ...`.

``ToyData`` / ``TinyNet``: a 4-class problem of 8x8 'images' a tiny network learns in a
second, for the training-core tests; ``outputs_text``: the text a notebook cell printed.
"""
import os
from pathlib import Path

import numpy as onp
from mxnet import init
from mxnet.gluon import nn

import week5

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / 'notebooks'


class ToyData(week5.DataModule):
    """96 training + 32 validation examples of 1x8x8 'images' in 4 separable classes."""

    def __init__(self, batch_size=16, num_train=96, num_val=32, seed=0, poison_batch=None):
        super().__init__()
        self.save_hyperparameters()
        rng = onp.random.RandomState(seed)
        n = num_train + num_val
        self.y = rng.randint(0, 4, n).astype('int32')
        self.X = (rng.rand(n, 1, 8, 8) * 0.1).astype('float32')
        self.X[onp.arange(n), 0, self.y, :] += 1.0
        if poison_batch is not None:   # inf inputs in one training batch (1-based)
            lo = (poison_batch - 1) * batch_size
            self.X[lo:lo + batch_size] = onp.inf

    def get_dataloader(self, train):
        i = slice(0, self.num_train) if train else slice(self.num_train, None)
        return self.get_tensorloader((self.X, self.y), train, i)

    def get_tensorloader(self, tensors, train, indices=slice(0, None)):
        # never shuffled, so that batch numbers are known
        return super().get_tensorloader(tensors, False, indices)


class TinyNet(week5.Classifier):
    def __init__(self, lr=0.5, num_classes=4):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential()
        self.net.add(nn.Conv2D(4, kernel_size=3, padding=1, activation='relu'),
                     nn.MaxPool2D(pool_size=2, strides=2),
                     nn.Dense(16, activation='relu'), nn.Dense(num_classes))
        self.net.initialize(init.Xavier())


def outputs_text(cell):
    parts = []
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream':
            parts.append(out.get('text', ''))
        elif 'data' in out:
            parts.append(out['data'].get('text/plain', ''))
    return ''.join(''.join(p) if isinstance(p, list) else p for p in parts)


def agg_pyplot():
    """matplotlib.pyplot on the Agg backend (set before pyplot is first imported, for the
    modules that draw without a display)."""
    os.environ.setdefault('MPLBACKEND', 'Agg')
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt
