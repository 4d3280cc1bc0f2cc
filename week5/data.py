"""Data for the course: the d2l-compatible ``DataModule`` and ``FashionMNIST``.

The files themselves (finding, downloading, verifying, decoding, caching) are
week5/fashion_mnist.py's job; this module turns the decoded arrays into batches.

In memory the set is uint8 (55 MB). Each batch is gathered and converted on its own:
uint8 -> float32 in [0, 1] -> resized by two matrix products with precomputed interpolation
matrices (bilinear with half-pixel centres, like OpenCV; antialiased when shrinking), in
NumPy (two threads for large batches, beside MXNet's engine thread), and handed to MXNet
without a copy. The resized set is never materialised (at 224x224 it would be 14 GB).

Never imports matplotlib, IPython or ipywidgets at module level.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from .core import seed_sequence
from .hparams import HyperParameters
from .fashion_mnist import (TEXT_LABELS, DataUnavailableError, cache_dir,  # noqa: F401
                            decoded_dir, fetch_fashion_mnist, load_fashion_mnist, mirror_urls)


__all__ = ['DataModule', 'FashionMNIST', 'ArrayLoader', 'DataUnavailableError',
           'load_fashion_mnist', 'fetch_fashion_mnist', 'cache_dir', 'decoded_dir',
           'interpolation_matrix', 'stratified_indices', 'TEXT_LABELS']

MAX_BATCH_BYTES = 512 * 2**20   # one float32 batch larger than this is refused

# ---------------------------------------------------------------------------------------
# Transforms
# ---------------------------------------------------------------------------------------
def interpolation_matrix(n_out, n_in):
    """(n_out, n_in) float64 matrix M with ``resized = M @ image`` along one axis.

    Bilinear with half-pixel centres (OpenCV's INTER_LINEAR, d2l's transforms.Resize) when
    enlarging; a triangle filter widened by the scale (antialiased, like PIL) when shrinking.
    Rows are non-negative and sum to 1, so constant images stay constant."""
    scale = n_in / n_out
    support = max(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) * scale - 0.5      # source coordinate of each output
    weights = np.clip(1 - np.abs(centres[:, None] - np.arange(n_in)) / support, 0, None)
    return weights / weights.sum(axis=1, keepdims=True)


def _augment(images, rng, padding):
    """Random horizontal flip and random crop after zero padding, on a uint8 batch (b, h, w)."""
    b, h, w = images.shape
    flip = rng.random(b) < 0.5
    images = np.where(flip[:, None, None], images[:, :, ::-1], images)
    if padding:
        padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(1, 2))
        dy, dx = rng.integers(0, 2 * padding + 1, size=(2, b))
        images = windows[np.arange(b), dy, dx]
    return images


_POOL = None


def _threads():
    """A small thread pool for resizing (NumPy's BLAS releases the GIL); no processes."""
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor
        _POOL = ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1),
                                   thread_name_prefix='week5-data')
    return _POOL


def _to_mx(array):
    """A C-contiguous numpy array as an mxnet.np array sharing its memory (no copy)."""
    import mxnet as mx
    return mx.nd.from_numpy(array, zero_copy=True).as_np_ndarray()


class _ImageBatches:
    """uint8 (b, h, w) numpy -> float32 (b, 1, H, W) mxnet.np in [0, 1].

    Resizing is two matrix products per image, ``A @ X @ B.T`` (as two large GEMMs over
    the batch), with 1/255 folded into A. Rows of A and B sum to 1; A is scaled by
    (1 - 2**-20) so float32 rounding never lifts a pixel above 1.0 (white comes out as
    0.999999) and no clipping pass is needed. Large batches are split over two threads;
    the result is handed to MXNet without a copy."""

    def __init__(self, resize, augment=False, padding=0):
        self.resize, self.augment, self.padding = resize, augment, padding
        self._mats = {}

    def __call__(self, images, rng=None):
        return _to_mx(self.to_numpy(images, rng))

    def to_numpy(self, images, rng=None, out=None):
        if self.augment and rng is not None:
            images = _augment(images, rng, self.padding)
        b, h, w = images.shape
        H, W = self.resize
        if out is None:
            out = np.empty((b, 1, H, W), dtype=np.float32)
        if (H, W) == (h, w):
            np.divide(images, np.float32(255), out=out[:, 0], dtype=np.float32)
        elif b * H * W < 2**19 or b < 2:
            self._resize(images, out)
        else:
            half = b // 2
            jobs = [_threads().submit(self._resize, images[i:j], out[i:j])
                    for i, j in ((0, half), (half, b))]
            for job in jobs:
                job.result()
        return out

    def _resize(self, images, out):
        b, h, w = images.shape
        H, W = self.resize
        if (h, w) not in self._mats:
            self._mats[h, w] = (
                (interpolation_matrix(H, h) * ((1 - 2**-20) / 255)).T.astype(np.float32),
                interpolation_matrix(W, w).T.astype(np.float32))
        rows_t, cols_t = self._mats[h, w]
        # (b*w, h) @ (h, H) -> (b, w, H) -> (b, H, w) -> (b*H, w) @ (w, W) -> (b, 1, H, W)
        Z = images.astype(np.float32).transpose(0, 2, 1).reshape(b * w, h) @ rows_t
        Z = Z.reshape(b, w, H).transpose(0, 2, 1).reshape(b * H, w)
        np.matmul(Z, cols_t, out=out.reshape(b * H, W))


# ---------------------------------------------------------------------------------------
# Loaders and data modules
# ---------------------------------------------------------------------------------------
def _is_mx(a):
    return hasattr(a, 'asnumpy')


class ArrayLoader:
    """Batches over in-memory arrays: an iterable with ``__len__``, re-iterable every epoch.

    ``shuffle=True`` draws a new permutation from ``rng`` each epoch (without ``rng``: a
    generator seeded by the last ``set_seed``, else by fresh entropy; see
    ``core.seed_sequence``). The last partial batch is kept (as in d2l's gluon
    DataLoader). No worker processes. Each array is one of:

    - an ``mxnet.np`` array: batches are gathered on the device (``take``) or sliced;
    - a numpy array without a transform: copied to MXNet once (on the first epoch) and
      then treated like an ``mxnet.np`` array -- no per-epoch host copy stalls the device;
    - a numpy array with a transform (``transforms[i]``, a function of the host batch,
      also given ``rng`` when ``i in needs_rng``): gathered on the host and transformed
      per batch -- for images whose converted form is too large to keep.
    """

    def __init__(self, arrays, batch_size, shuffle=False, rng=None, transforms=None,
                 needs_rng=()):
        self.arrays = tuple(arrays)
        self.n = len(self.arrays[0])
        if any(len(a) != self.n for a in self.arrays):
            raise ValueError(f'arrays must have the same length (got '
                             f'{[len(a) for a in self.arrays]})')
        self.batch_size, self.shuffle = batch_size, shuffle
        self.rng = rng if rng is not None else np.random.default_rng(seed_sequence())
        self.transforms = transforms or (None,) * len(self.arrays)
        self.needs_rng = needs_rng
        self._on_device = None     # the transform-free numpy arrays, copied to MXNet once

    def __len__(self):
        return -(-self.n // self.batch_size)

    def __iter__(self):
        from mxnet import np as mnp
        order = self.rng.permutation(self.n) if self.shuffle else None
        device_order = None if order is None else mnp.array(order, dtype=np.int32)
        if self._on_device is None:
            self._on_device = tuple(mnp.array(a, dtype=a.dtype) if f is None and not _is_mx(a)
                                    else a for a, f in zip(self.arrays, self.transforms))
        epoch = []
        for a, f in zip(self._on_device, self.transforms):
            if f is None and order is not None:
                a = (a, device_order)      # gathered per batch
            epoch.append(a)
        for start in range(0, self.n, self.batch_size):
            stop = start + self.batch_size
            batch = []
            for i, (a, f) in enumerate(zip(epoch, self.transforms)):
                if isinstance(a, tuple):
                    batch.append(mnp.take(a[0], a[1][start:stop], axis=0))
                elif f is None:
                    batch.append(a[start:stop])
                else:
                    part = a[start:stop] if order is None else a[order[start:stop]]
                    batch.append(f(part, self.rng) if i in self.needs_rng else f(part))
            yield tuple(batch)


def _check_positive_int(value, name, example):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f'{name} must be a positive integer (got {value!r}); '
                         f'pass e.g. {name}={example}')
    return int(value)


class DataModule(HyperParameters):
    """The base class of data (d2l's ``DataModule``): subclasses implement
    ``get_dataloader(train)``. ``num_workers`` is accepted for compatibility and ignored:
    every loader here works in memory, in the calling process."""

    def __init__(self, root=None, num_workers=0):
        self.save_hyperparameters()

    def get_dataloader(self, train):
        raise NotImplementedError

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

    def _shuffle_rng(self):
        if getattr(self, '_rng', None) is None:
            # self.seed when set, else the last set_seed's, else fresh entropy
            self._rng = np.random.default_rng(seed_sequence(getattr(self, 'seed', None)))
        return self._rng

    def get_tensorloader(self, tensors, train, indices=slice(0, None)):
        """An in-memory loader over ``tensors`` (mxnet or numpy arrays) restricted to
        ``indices``; shuffled when ``train`` (seeded by ``self.seed`` when set, else by
        the last ``set_seed``)."""
        batch_size = _check_positive_int(getattr(self, 'batch_size', None), 'batch_size', 32)
        tensors = tuple((t if _is_mx(t) else np.asarray(t))[indices] for t in tensors)
        return ArrayLoader(tensors, batch_size, shuffle=train, rng=self._shuffle_rng())


def stratified_indices(labels, n, rng):
    """Sorted indices of a class-balanced subset of size ``n``: each class gets its share
    (largest remainder; ties to the lower class), drawn at random with ``rng``."""
    classes, counts = np.unique(labels, return_counts=True)
    share = n * counts / counts.sum()
    quota = np.floor(share).astype(int)
    extra = np.lexsort((classes, -(share - quota)))[:n - quota.sum()]
    quota[extra] += 1
    picked = [rng.permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked))


class _Split:
    """A d2l-style dataset view: ``len(data.train)``, ``data.train[i] -> (X, y)`` with X a
    float32 (1, H, W) mxnet.np array and y an int. ``images`` (uint8) and ``labels`` (int32)
    are the underlying numpy arrays."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self._transform = images, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        if not isinstance(i, (int, np.integer)):
            raise TypeError(f'index with an int (got {type(i).__name__}); for batches use '
                            f'train_dataloader()')
        i = range(len(self))[i]                 # negative indices and bounds, as for lists
        return self._transform(self.images[i:i + 1])[0], int(self.labels[i])


class FashionMNIST(DataModule):
    """The Fashion-MNIST dataset (d2l's ``FashionMNIST``), fast and verified.

    Args:
        batch_size: examples per batch.
        resize: (height, width) of the batches, or one int for a square.
        root: a folder holding the four official ``.gz`` files; None finds the data
            (``WEEK5_DATA``, the cache, Debian's package, then a download).
        num_train, num_val: a class-balanced subset, as a count or a fraction in (0, 1];
            None keeps all (60,000 / 10,000).
        augment: random horizontal flips and random crops (after ``crop_padding`` pixels of
            zero padding at 28x28) on training batches only.
        seed: seeds the subset, the shuffling and the augmentation. The default 0 gives
            the same subset and batch order in every process; None follows ``set_seed``
            (the seed it was last called with, or fresh entropy if it never was).
        mirrors: download base URLs (default: ``WEEK5_MIRRORS`` or the official ones).
        progress: show a progress bar while downloading.

    Batches are ``(X, y)``: X float32 ``mxnet.np`` (b, 1, H, W) in [0, 1], y int32 (b,).
    Training batches are reshuffled each epoch; the last partial batch is kept.
    """

    def __init__(self, batch_size=64, resize=(28, 28), root=None, num_train=None,
                 num_val=None, augment=False, seed=0, crop_padding=2, mirrors=None,
                 progress=True):
        super().__init__(root=root)
        self.save_hyperparameters()
        self.batch_size = _check_positive_int(batch_size, 'batch_size', 64)
        self.resize = self._check_resize(resize)
        if not isinstance(augment, bool):
            raise ValueError(f'augment must be True or False (got {augment!r})')
        if isinstance(crop_padding, bool) or not isinstance(crop_padding, (int, np.integer)) \
                or not 0 <= crop_padding < 28:
            raise ValueError(f'crop_padding must be an int in 0..27 pixels (got '
                             f'{crop_padding!r}); e.g. crop_padding=2')
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f'seed must be an int or None (got {seed!r})')
        batch_bytes = self.batch_size * self.resize[0] * self.resize[1] * 4
        if batch_bytes > MAX_BATCH_BYTES:
            raise ValueError(f'one batch of {self.batch_size} images at {self.resize} would '
                             f'take {batch_bytes / 2**20:,.0f} MB: lower batch_size or resize')
        self._check_subset(num_train, 'num_train', 60000)
        self._check_subset(num_val, 'num_val', 10000)
        mirror_urls(mirrors)                   # validate before any work

        data = load_fashion_mnist(root, mirrors, progress)
        self.source = data.source
        sub_rng, self._rng = map(np.random.default_rng, seed_sequence(seed).spawn(2))
        train_idx = self._subset(data.train_labels, num_train, sub_rng)
        val_idx = self._subset(data.val_labels, num_val, sub_rng)
        self._plain = _ImageBatches(self.resize)
        self._augmented = _ImageBatches(self.resize, True, crop_padding) if augment else None
        self.train = _Split(data.train_images[train_idx], data.train_labels[train_idx],
                            self._plain)
        self.val = _Split(data.val_images[val_idx], data.val_labels[val_idx], self._plain)
        self.num_train, self.num_val = len(self.train), len(self.val)

    @staticmethod
    def _check_resize(resize):
        pair = (resize, resize) if isinstance(resize, (int, np.integer)) else resize
        try:
            h, w = pair
            ok = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
                     for v in (h, w))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f'resize must be a pair of positive ints (height, width) or one '
                             f'positive int for a square (got {resize!r}); '
                             f'e.g. resize=(224, 224) or resize=28')
        return int(h), int(w)

    @staticmethod
    def _check_subset(value, name, total):
        if value is None:
            return
        if isinstance(value, float):
            if not 0 < value <= 1:
                raise ValueError(f'{name} as a fraction must be in (0, 1] (got {value}); '
                                 f'e.g. {name}=0.1, or a count such as {name}={total // 10}')
        elif isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                or not 1 <= value <= total:
            raise ValueError(f'{name} must be a count in 1..{total:,} or a fraction in (0, 1] '
                             f'(got {value!r}); e.g. {name}={total // 10}, or None for all')

    @staticmethod
    def _subset(labels, value, rng):
        if value is None:
            return slice(None)
        n = max(1, round(value * len(labels))) if isinstance(value, float) else int(value)
        return stratified_indices(labels, n, rng) if n < len(labels) else slice(None)

    def __repr__(self):
        return (f'FashionMNIST(batch_size={self.batch_size}, resize={self.resize}, '
                f'num_train={self.num_train}, num_val={self.num_val}, '
                f'augment={self.augment})')

    def text_labels(self, indices):
        """The names of label indices (d2l's ten names)."""
        out = []
        for i in indices:
            i = int(i)
            if not 0 <= i < len(TEXT_LABELS):
                raise ValueError(f'label {i} is out of range: Fashion-MNIST labels are 0..9')
            out.append(TEXT_LABELS[i])
        return out

    def get_dataloader(self, train):
        """Batches of the training (shuffled, augmented if asked) or validation split.

        Each batch is gathered from the uint8 images and converted (and resized) on its
        own, into memory handed to MXNet without a copy. Measured on 2 cores this is as
        fast per epoch as gathering from a set converted to float32 beforehand, needs no
        set-up pass and a quarter of the memory -- and at 224x224 the converted set (14 GB)
        could not be kept anyway."""
        split = self.train if train else self.val
        augment = train and self._augmented is not None
        return ArrayLoader((split.images, split.labels), self.batch_size, shuffle=train,
                           rng=self._rng,
                           transforms=(self._augmented if augment else self._plain, None),
                           needs_rng=(0,) if augment else ())

    def augmented_copies(self, index=0, num=16, seed=0):
        """Training image ``index`` and ``num`` copies of it made by the training batches'
        own transform (the one `get_dataloader(train=True)` applies: random flip and crop,
        then the resize): ``(original (1, H, W), copies (num, 1, H, W))``, numpy float32.
        ``seed`` draws the copies (the training run's own draws are left untouched)."""
        if self._augmented is None:
            raise ValueError('this data module trains without augmentation: build it '
                             'with augment=True (e.g. recipe.replace(augment=True).data())')
        num = _check_positive_int(num, 'num', 16)
        if not 0 <= index < len(self.train):
            raise ValueError(f'index={index}; pick a training image in 0..{len(self.train) - 1}')
        images = np.repeat(self.train.images[index:index + 1], num, axis=0)
        copies = self._augmented.to_numpy(images, np.random.default_rng(seed))
        return self._plain.to_numpy(self.train.images[index:index + 1])[0], copies

    def visualize(self, batch, nrows=1, ncols=8, labels=()):
        """Show the first ``nrows * ncols`` images of a batch with their label names."""
        from .viz import show_images   # lazily: data.py never imports matplotlib
        X, y = batch
        n = nrows * ncols
        if not labels:
            labels = self.text_labels(y[:n].asnumpy() if hasattr(y, 'asnumpy') else y[:n])
        X = X[:n].asnumpy() if hasattr(X, 'asnumpy') else np.asarray(X[:n])
        return show_images(X.squeeze(1), nrows, ncols, titles=list(labels)[:n])


# ---------------------------------------------------------------------------------------
# Command line: python -m week5.data prepare | fetch --dest DIR
# ---------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m week5.data',
        description='Find, download, verify and decode Fashion-MNIST for week5.')
    sub = parser.add_subparsers(dest='command', required=True)
    prep = sub.add_parser('prepare', help='make the data ready (decoded into the cache)')
    fetch = sub.add_parser('fetch', help='copy the four verified .gz files into a folder '
                                         '(for offline machines)')
    fetch.add_argument('--dest', required=True, help='folder to put the four .gz files in')
    for p in (prep, fetch):
        p.add_argument('--root', help='folder holding the four .gz files (default: search)')
        p.add_argument('--mirror', action='append', dest='mirrors',
                       help='download base URL (repeatable; default: the official ones)')
    args = parser.parse_args(argv)
    try:
        if args.command == 'prepare':
            t0 = time.perf_counter()
            data = load_fashion_mnist(args.root, args.mirrors)
            n = len(data.train_labels) + len(data.val_labels)
            print(f'week5.data: Fashion-MNIST ready: {n:,} images in '
                  f'{time.perf_counter() - t0:.2f} s\n  from: {data.source}\n'
                  f'  decoded cache: {decoded_dir()}')
        else:
            sources = fetch_fashion_mnist(args.dest, args.root, args.mirrors)
            print(f'week5.data: the four files are in {Path(args.dest).expanduser()}')
            for name, source in sources.items():
                print(f'  {name}  <- {source}')
            print(f"  use them with FashionMNIST(root='{args.dest}') or WEEK5_DATA={args.dest}")
    except (ValueError, DataUnavailableError) as e:
        print(f'week5.data: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
