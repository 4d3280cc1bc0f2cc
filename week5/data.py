"""Data for the course: the d2l-compatible ``DataModule`` and ``FashionMNIST``.

Finding the data, in order (the first verified copy of each file wins):

1. an explicit ``root=`` folder, or the ``WEEK5_DATA`` environment variable -- used alone:
   if its files are missing or corrupt that is an error, never a silent fallback;
2. the user cache, ``$WEEK5_CACHE`` or ``$XDG_CACHE_HOME/week5`` or ``~/.cache/week5``;
3. Debian's ``dataset-fashion-mnist`` in ``/usr/share/datasets/fashion-mnist``;
4. a download from the official locations (``WEEK5_MIRRORS`` overrides the list) into the
   cache, with a progress bar, retries, and a temporary file renamed into place only once
   it is verified.

Every file from every source is checked against SHA-256 sums pinned below: the upstream
``.gz`` bytes, or -- because Debian re-compressed the files -- the decompressed contents.
The four files are decoded once into ``<cache>/fashion-mnist/decoded/`` as uncompressed IDX
files, whose SHA-256 is the pinned content hash, so the decoded cache is verified on every
load (about 50 ms) and a stale or damaged one is rebuilt.

In memory the set is uint8 (55 MB). Each batch is gathered and converted on its own:
uint8 -> float32 in [0, 1] -> resized by two matrix products with precomputed interpolation
matrices (bilinear with half-pixel centres, like OpenCV; antialiased when shrinking), in
NumPy (two threads for large batches, beside MXNet's engine thread), and handed to MXNet
without a copy. The resized set is never materialised (at 224x224 it would be 14 GB).

Never imports matplotlib, IPython or ipywidgets at module level.
"""
import argparse
import gzip
import hashlib
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .core import HyperParameters, seed_sequence
from .files import atomic_write

__all__ = ['DataModule', 'FashionMNIST', 'ArrayLoader', 'DataUnavailableError',
           'load_fashion_mnist', 'fetch_fashion_mnist', 'cache_dir', 'decoded_dir',
           'interpolation_matrix', 'stratified_indices', 'TEXT_LABELS']

TEXT_LABELS = ('t-shirt', 'trouser', 'pullover', 'dress', 'coat',
               'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot')

# The official locations (Zalando's S3 bucket, then the GitHub repository).
MIRRORS = ('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
           'https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/')
SYSTEM_DIRS = ('/usr/share/datasets/fashion-mnist',)   # Debian's dataset-fashion-mnist
APT_PACKAGE = 'dataset-fashion-mnist'

RETRIES = 2            # extra attempts per URL after a network failure or HTTP 5xx
RETRY_DELAY = 1.0      # seconds before the first retry; doubles each time
TIMEOUT = 30           # seconds without data before a download attempt fails
MAX_BATCH_BYTES = 512 * 2**20   # one float32 batch larger than this is refused


@dataclass(frozen=True)
class _File:
    name: str          # the .gz file name, as published
    gz_sha256: str     # SHA-256 of the upstream .gz bytes
    raw_sha256: str    # SHA-256 of the decompressed IDX file (same for every source)
    magic: int         # IDX magic number: 2051 images, 2049 labels
    count: int         # number of examples

    @property
    def raw_name(self):
        return self.name[:-len('.gz')]


FILES = {f.name: f for f in (
    _File('train-images-idx3-ubyte.gz',
          '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
          'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888', 2051, 60000),
    _File('train-labels-idx1-ubyte.gz',
          'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
          'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9', 2049, 60000),
    _File('t10k-images-idx3-ubyte.gz',
          '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
          '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b', 2051, 10000),
    _File('t10k-labels-idx1-ubyte.gz',
          '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
          '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34', 2049, 10000),
)}
_NAMES = tuple(FILES)
_FILE_LIST = ', '.join(_NAMES)


class DataUnavailableError(RuntimeError):
    """No source could provide a verified copy of the Fashion-MNIST files."""


# ---------------------------------------------------------------------------------------
# Where things live
# ---------------------------------------------------------------------------------------
def cache_dir():
    """The week5 cache: ``$WEEK5_CACHE``, else ``$XDG_CACHE_HOME/week5``, else ``~/.cache/week5``."""
    if os.environ.get('WEEK5_CACHE'):
        return Path(os.environ['WEEK5_CACHE']).expanduser()
    base = os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache'
    return Path(base).expanduser() / 'week5'


def _data_cache():
    return cache_dir() / 'fashion-mnist'


def _mirrors(mirrors=None):
    if mirrors is None:
        env = os.environ.get('WEEK5_MIRRORS', '')
        mirrors = env.replace(',', ' ').split() or MIRRORS
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    mirrors = list(mirrors)
    if not mirrors or not all(isinstance(m, str) and '://' in m for m in mirrors):
        raise ValueError(f'mirrors must be a list of base URLs such as {MIRRORS[0]!r} '
                         f'(got {mirrors!r})')
    return [m if m.endswith('/') else m + '/' for m in mirrors]


def _explicit_root(root):
    """The explicit data folder (``root=`` or ``WEEK5_DATA``) as (Path, label), or None."""
    label = 'root'
    if root is None and os.environ.get('WEEK5_DATA'):
        root, label = os.environ['WEEK5_DATA'], 'WEEK5_DATA'
    if root is None:
        return None
    if not isinstance(root, (str, os.PathLike)):
        raise ValueError(f'{label} must be a folder path (got {root!r}); pass the folder '
                         f'holding {_FILE_LIST}, or root=None to find the data automatically')
    path = Path(root).expanduser()
    if not path.is_dir():
        what = 'is not a folder' if path.exists() else 'does not exist'
        raise ValueError(f'{label}={str(root)!r} {what}: pass the folder holding the four '
                         f'Fashion-MNIST files ({_FILE_LIST}), or root=None to use the cache, '
                         f"Debian's {APT_PACKAGE} or a download")
    return path, label


# ---------------------------------------------------------------------------------------
# Verification and decoding
# ---------------------------------------------------------------------------------------
def _sha256(data):
    return hashlib.sha256(data).hexdigest()


class _KnownGood:
    """SHA-256 sums of re-compressed .gz files (e.g. Debian's) already verified by content,
    kept in the cache so a second check needs one hash instead of a decompression."""

    def __init__(self):
        self.path = _data_cache() / 'verified-gz.json'
        try:
            self.sums = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.sums = {}

    def __contains__(self, item):
        name, digest = item
        return digest in self.sums.get(name, ())

    def add(self, name, digest):
        self.sums.setdefault(name, [])
        if digest not in self.sums[name]:
            self.sums[name].append(digest)
            try:
                atomic_write(self.path, json.dumps(self.sums, indent=1).encode())
            except OSError:
                pass   # a read-only cache only costs a decompression next time


def _check_gz(path, spec, known):
    """Verify one .gz file. Returns (reason, raw): reason is None when the file is good;
    raw is the decompressed content when it had to be computed (else None)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return 'missing', None
    except OSError as e:
        return f'unreadable ({e.strerror or e})', None
    if not data:
        return 'empty file', None
    digest = _sha256(data)
    if digest == spec.gz_sha256 or (spec.name, digest) in known:
        return None, None
    try:
        raw = gzip.decompress(data)
    except EOFError:
        return f'truncated ({len(data):,} bytes; the gzip stream ends early)', None
    except (OSError, zlib.error) as e:
        return f'SHA-256 mismatch (and not a valid gzip file: {e})', None
    if _sha256(raw) != spec.raw_sha256:
        return (f'SHA-256 mismatch (contents {_sha256(raw)[:12]}..., '
                f'expected {spec.raw_sha256[:12]}...)'), None
    known.add(spec.name, digest)
    return None, raw


def _parse_idx(raw, spec):
    """IDX bytes -> uint8 array (N, 28, 28) for images or (N,) for labels."""
    shape = (spec.count, 28, 28) if spec.magic == 2051 else (spec.count,)
    header = 4 * (1 + len(shape))
    dims = np.frombuffer(raw, dtype='>u4', count=1 + len(shape))
    if dims[0] != spec.magic or tuple(dims[1:]) != shape or len(raw) != header + np.prod(shape):
        raise ValueError(f'{spec.raw_name}: unexpected IDX header {dims.tolist()}')
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


# ---------------------------------------------------------------------------------------
# Downloading
# ---------------------------------------------------------------------------------------
class _Retryable(Exception):
    pass


def _fetch_url(url, dest, progress):
    """One attempt: stream url into dest. Raises _Retryable for transient failures."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            total = resp.headers.get('Content-Length')
            total = int(total) if total and total.isdigit() else None
            bar = None
            if progress:
                from tqdm.std import tqdm   # text bar; tqdm.auto could pull in ipywidgets
                bar = tqdm(total=total, unit='B', unit_scale=True, leave=False,
                           desc=url.rsplit('/', 1)[-1], file=sys.stderr, mininterval=0.5)
            got = 0
            try:
                with open(dest, 'wb') as f:
                    while chunk := resp.read(1 << 16):
                        f.write(chunk)
                        got += len(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
            if total is not None and got != total:
                raise _Retryable(f'connection closed after {got:,} of {total:,} bytes')
    except urllib.error.HTTPError as e:
        if e.code >= 500 or e.code == 429:
            raise _Retryable(f'HTTP {e.code} {e.reason}') from None
        raise OSError(f'HTTP {e.code} {e.reason}') from None
    except urllib.error.URLError as e:
        raise _Retryable(f'cannot connect ({e.reason})') from None
    except (http.client.HTTPException, ConnectionError, socket.timeout) as e:
        raise _Retryable(f'{type(e).__name__}: {e}') from None


def _download(url, dest, spec, known, progress, failures):
    """Download url to dest (verified, renamed into place). Appends to failures; True on success."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + '.', suffix='.part')
    os.close(fd)
    tmp = Path(tmp)
    delay = RETRY_DELAY
    try:
        for attempt in range(RETRIES + 1):
            try:
                _fetch_url(url, tmp, progress)
            except _Retryable as e:
                if attempt == RETRIES:
                    failures.append(f'{url}: {e} (tried {RETRIES + 1} times)')
                    return False
                time.sleep(delay)
                delay *= 2
                continue
            except OSError as e:
                failures.append(f'{url}: {e}')
                return False
            reason, _ = _check_gz(tmp, spec, known)
            if reason is not None:
                failures.append(f'{url}: downloaded file rejected: {reason}')
                return False
            os.replace(tmp, dest)
            return True
    finally:
        tmp.unlink(missing_ok=True)
    return False


# ---------------------------------------------------------------------------------------
# Finding the four files
# ---------------------------------------------------------------------------------------
def _locate(root=None, mirrors=None, progress=True):
    """Find a verified copy of each .gz file. Returns {name: (path, source, raw or None)}."""
    known = _KnownGood()
    explicit = _explicit_root(root)
    if explicit is not None:
        path, label = explicit
        found, problems = {}, []
        for name, spec in FILES.items():
            reason, raw = _check_gz(path / name, spec, known)
            if reason is None:
                found[name] = (path / name, f'{label} {path}', raw)
            else:
                problems.append(f'{name}: {reason}')
        if problems:
            raise ValueError(f'{label}={str(path)!r} does not hold good Fashion-MNIST files: '
                             + '; '.join(problems) + '. Replace them with the official files '
                             f'(python -m week5.data fetch --dest {path}), or pass root=None '
                             f'(and unset WEEK5_DATA) to use the cache, Debian or a download')
        return found

    cache = _data_cache()
    urls = _mirrors(mirrors)
    found, failures = {}, []
    for name, spec in FILES.items():
        cached = cache / name
        reason, raw = _check_gz(cached, spec, known)
        if reason is None:
            found[name] = (cached, f'cache {cache}', raw)
            continue
        if reason != 'missing' and not reason.startswith('unreadable'):
            cached.unlink(missing_ok=True)      # never leave a bad file where we look first
            reason += ', removed'
        failures.append(f'cache {cache}: {name}: {reason}')
        first_problem = len(failures) if reason == 'missing' else len(failures) - 1
        for system in SYSTEM_DIRS:
            reason, raw = _check_gz(Path(system) / name, spec, known)
            if reason is None:
                found[name] = (Path(system) / name, f'Debian {APT_PACKAGE} {system}', raw)
                break
            failures.append(f'{system}: {name}: {reason}')
        else:
            for base in urls:
                if _download(base + name, cached, spec, known, progress, failures):
                    found[name] = (cached, f'download {base}', None)
                    break
        if name not in found:
            raise DataUnavailableError(_unavailable_message(failures))
        problems = [f for f in failures[first_problem:] if ': missing' not in f]
        if problems:   # it worked in the end, but say what went wrong on the way
            warnings.warn(f'week5.data: {name} came from {found[name][1]} after: '
                          + '; '.join(problems), stacklevel=3)
    return found


def _unavailable_message(failures):
    tried = '\n'.join(f'  - {f}' for f in failures)
    return (f'Fashion-MNIST is not available. Sources tried, in order:\n{tried}\n'
            f'Fix it in one of two ways:\n'
            f'  1. install the Debian package:  sudo apt-get install {APT_PACKAGE}\n'
            f'  2. put the four files ({_FILE_LIST}) in a folder, e.g. ~/fashion-mnist, and '
            f"pass root='~/fashion-mnist' (or set WEEK5_DATA=~/fashion-mnist)")


def fetch_fashion_mnist(dest, root=None, mirrors=None, progress=True):
    """Copy a verified set of the four .gz files into ``dest`` (for offline machines);
    returns {file name: source}."""
    dest = Path(dest).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    sources = {}
    for name, (path, source, _) in _locate(root, mirrors, progress).items():
        if path.resolve() != (dest / name).resolve():
            shutil.copyfile(path, dest / name)
        sources[name] = source
    return sources


# ---------------------------------------------------------------------------------------
# Loading (decoded cache first)
# ---------------------------------------------------------------------------------------
@dataclass
class FashionMNISTArrays:
    train_images: np.ndarray   # uint8 (60000, 28, 28)
    train_labels: np.ndarray   # int32 (60000,)
    val_images: np.ndarray     # uint8 (10000, 28, 28)
    val_labels: np.ndarray     # int32 (10000,)
    source: str                # where the data came from, for people


def decoded_dir():
    """The folder of the decoded (verified, uncompressed) Fashion-MNIST files in the cache;
    it may not exist yet. The grader shares it read-only with sealed runs."""
    return _data_cache() / 'decoded'


def _read_decoded():
    """The decoded cache as {name: raw bytes} if all four files verify, else None."""
    out = {}
    for name, spec in FILES.items():
        try:
            raw = (decoded_dir() / spec.raw_name).read_bytes()
        except OSError:
            return None
        if _sha256(raw) != spec.raw_sha256:
            return None
        out[name] = raw
    return out


def _decode(found):
    """Decompress the located .gz files (unless verification already did)."""
    return {name: raw if raw is not None else gzip.decompress(Path(path).read_bytes())
            for name, (path, _, raw) in found.items()}


def load_fashion_mnist(root=None, mirrors=None, progress=True):
    """Find, verify and decode Fashion-MNIST (see the module docstring for the order).

    Returns FashionMNISTArrays. Raises ValueError for a bad ``root`` and
    DataUnavailableError (listing every source tried and the fixes) when nothing works."""
    decoded_source = decoded_dir() / 'source.json'
    explicit = _explicit_root(root)
    raws = None if explicit is not None else _read_decoded()
    if raws is not None:
        try:
            origin = json.loads(decoded_source.read_text())['source']
        except (OSError, ValueError, KeyError):
            origin = 'unknown'
        source = f'decoded cache {decoded_dir()} (from {origin})'
    else:
        found = _locate(root, mirrors, progress)
        source = '; '.join(sorted({src for _, src, _ in found.values()}))
        if explicit is not None:
            raws = _read_decoded()    # verified root + a good cache: no need to decode again
        if raws is None:
            raws = _decode(found)
            for spec in FILES.values():
                if _sha256(raws[spec.name]) != spec.raw_sha256:   # changed since verified
                    raise DataUnavailableError(f'{spec.name} changed while being read; '
                                               f'run again')
            try:
                for spec in FILES.values():
                    atomic_write(decoded_dir() / spec.raw_name, raws[spec.name])
                atomic_write(decoded_source, json.dumps({'source': source}).encode())
            except OSError as e:
                warnings.warn(f'week5: cannot write the decoded cache ({e}); the data will be '
                              f'decoded again next time. Set WEEK5_CACHE to a writable folder.')
    arrays = {name: _parse_idx(raws[name], spec) for name, spec in FILES.items()}
    return FashionMNISTArrays(
        train_images=arrays['train-images-idx3-ubyte.gz'],
        train_labels=arrays['train-labels-idx1-ubyte.gz'].astype(np.int32),
        val_images=arrays['t10k-images-idx3-ubyte.gz'],
        val_labels=arrays['t10k-labels-idx1-ubyte.gz'].astype(np.int32),
        source=source)


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
        _mirrors(mirrors)                      # validate before any work

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
