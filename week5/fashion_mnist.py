"""The four Fashion-MNIST files: where they are, how they are downloaded, verified, decoded
and cached. ``week5.data`` builds the data modules on top of ``load_fashion_mnist``.

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

No MXNet, matplotlib, IPython or ipywidgets here (the grader shares the decoded cache).
"""
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

from .files import atomic_write

__all__ = ['TEXT_LABELS', 'FILES', 'MIRRORS', 'SYSTEM_DIRS', 'APT_PACKAGE', 'DataUnavailableError',
           'FashionMNISTArrays', 'cache_dir', 'decoded_dir', 'load_fashion_mnist',
           'fetch_fashion_mnist', 'mirror_urls']


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


def mirror_urls(mirrors=None):
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
    urls = mirror_urls(mirrors)
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
