"""Benchmark week5.data against d2l 1.0.3's own FashionMNIST, over the same files, in one run.

    .venv/bin/python bench/data.py [--root DIR] [--batches-224 N]

Prints cold load (verify + decode the .gz files into an empty cache), warm load (from the
decoded cache), and batches per second of one epoch of training batches (batch 128, all
60,000 images) at 28x28 and at 224x224, each with its ratio to d2l's dataloader. At
224x224 d2l needs minutes per epoch, so both sides are timed on the same first N batches
(default 60) and our full epoch is printed too. At 28x28 two epochs are timed: the first
includes making the loader (d2l starts its worker processes), the second reuses it, as
d2l's Trainer does. Every batch is waited for
(MXNet is asynchronous), so the figures are for finished arrays. Also prints the peak RSS
of a separate process running one epoch at 224x224 with week5 alone.

d2l reads the data through gluon.data.vision.FashionMNIST, which downloads MXNet's re-hosted
copies and checks their SHA-1. To make it read the very same files we give it a temporary
root holding links to them and, inside this script only, a subclass of gluon's dataset whose
expected SHA-1s are those of these files (so gluon finds them and downloads nothing).
"""
import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH = 128
TARGETS = {'cold': 3.0, 'warm': 0.5, 'ratio28': 10.0, 'ratio224': 3.0, 'rss_mb': 1024}


def rss_mb():
    """Current resident set size in MB (Linux)."""
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    return float('nan')


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_batches(make_loader, max_batches=None):
    """(seconds, batches) to make a loader (``make_loader()``) and pull and finish its
    batches; timing the making too counts one-time set-up (worker pools, conversion)."""
    start, n = time.perf_counter(), 0
    for X, y in make_loader():
        X.wait_to_read()
        y.wait_to_read()
        n += 1
        if max_batches is not None and n == max_batches:
            break
    return time.perf_counter() - start, n


def two_epochs(module):
    """The first epoch, including making the loader, and a second over the same loader
    (d2l's Trainer makes one loader per fit)."""
    loaders = []

    def make():
        loaders.append(module.train_dataloader())
        return loaders[0]
    return time_batches(make), time_batches(lambda: loaders[0])


def find_gz_dir(wd):
    """Debian's folder, else the user's week5 cache (read only)."""
    user_cache = Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache') / 'week5'
    for folder in (*wd.SYSTEM_DIRS, user_cache / 'fashion-mnist'):
        if all(Path(folder, name).is_file() for name in wd.FILES):
            return folder
    sys.exit('bench/data.py: no .gz files found; run `python -m week5.data prepare` or '
             'pass --root DIR')


def d2l_on_these_files(gz_dir, tmp):
    """Make d2l's FashionMNIST (gluon's dataset) read the .gz files in gz_dir, offline."""
    from mxnet import gluon
    from mxnet.gluon.data.vision import datasets
    root = Path(tmp) / 'gluon-fashion-mnist'
    root.mkdir()
    sha1 = {}
    for name in ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
                 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'):
        os.symlink(Path(gz_dir).resolve() / name, root / name)
        sha1[name] = hashlib.sha1((root / name).read_bytes()).hexdigest()

    class SameFiles(datasets.FashionMNIST):
        def __init__(self, root=str(root), train=True, transform=None):
            super().__init__(root=root, train=train, transform=transform)

        def _get_data(self):
            for attr in ('_train_data', '_train_label', '_test_data', '_test_label'):
                name = getattr(self, attr)[0]
                setattr(self, attr, (name, sha1[name]))
            super()._get_data()

    gluon.data.vision.FashionMNIST = SameFiles   # d2l looks it up there at call time


def rss_child(root):
    """In a fresh process: RSS after importing week5 and MXNet, and peak RSS after a full
    training epoch plus a validation pass at 224x224 (prints both, in MB)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import mxnet  # noqa: F401
    import week5.data as wd
    base = rss_mb()
    data = wd.FashionMNIST(batch_size=BATCH, resize=(224, 224), root=root)
    time_batches(data.train_dataloader)
    time_batches(data.val_dataloader)
    print(base, peak_rss_mb())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', default=None,
                        help='folder with the four .gz files (default: Debian\'s, else the '
                             'user cache)')
    parser.add_argument('--batches-224', type=int, default=60,
                        help='batches timed on both sides at 224x224 (default 60)')
    parser.add_argument('--rss-child', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        return rss_child(args.root)

    tmp = tempfile.mkdtemp(prefix='week5-bench-')
    os.environ['WEEK5_CACHE'] = tmp          # an empty cache: the cold load decodes
    os.environ.pop('WEEK5_DATA', None)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import week5.data as wd
    gz_dir = args.root or find_gz_dir(wd)
    from d2l import mxnet as d2l             # sets MXNet's numpy mode, as in the book
    d2l_on_these_files(gz_dir, tmp)
    print(f'week5.data benchmark (files: {gz_dir}; batch {BATCH}; 2 shared cores: absolute '
          f'times are inflated by other work, the ratios are measured in the same run)')
    rows = []

    t = time.perf_counter()
    wd.load_fashion_mnist(root=args.root, progress=False)
    cold = time.perf_counter() - t
    warm = min(_timed(lambda: wd.load_fashion_mnist(root=args.root, progress=False))
               for _ in range(3))
    t = time.perf_counter()
    d2l.FashionMNIST(batch_size=BATCH)
    d2l_load = time.perf_counter() - t
    rows.append(('cold load, 70,000 images (verify + decode .gz)', f'{cold:.2f} s',
                 f'target < {TARGETS["cold"]} s', cold < TARGETS['cold']))
    rows.append(('warm load (decoded cache, verified)', f'{warm:.3f} s',
                 f'target < {TARGETS["warm"]} s', warm < TARGETS['warm']))
    rows.append(("  (d2l's own load, for reference)", f'{d2l_load:.2f} s', '', None))

    # 28x28: two full epochs on both sides, the first including each loader's set-up.
    ours = wd.FashionMNIST(batch_size=BATCH, root=args.root)
    theirs = d2l.FashionMNIST(batch_size=BATCH)
    first_ours, second_ours = two_epochs(ours)
    first_d2l, second_d2l = two_epochs(theirs)
    for what, o, d in (('1st epoch at 28x28 (with set-up)', first_ours, first_d2l),
                       ('2nd epoch at 28x28', second_ours, second_d2l)):
        rows.append((f'{what}, week5', f'{o[1] / o[0]:,.0f} batch/s',
                     f'{o[1]} batches in {o[0]:.2f} s', None))
        rows.append((f'{what}, d2l', f'{d[1] / d[0]:,.0f} batch/s',
                     f'{d[1]} batches in {d[0]:.2f} s', None))
        ratio = (o[1] / o[0]) / (d[1] / d[0])
        rows.append(('  ratio week5 / d2l', f'{ratio:.1f}x',
                     f'target >= {TARGETS["ratio28"]:.0f}x', ratio >= TARGETS['ratio28']))

    # 224x224: our full epoch, then the same first N batches on both sides.
    ours = wd.FashionMNIST(batch_size=BATCH, resize=(224, 224), root=args.root)
    s_full, n_full = time_batches(ours.train_dataloader)
    s_ours, n_ours = time_batches(ours.train_dataloader, args.batches_224)
    s_d2l, n_d2l = time_batches(
        d2l.FashionMNIST(batch_size=BATCH, resize=(224, 224)).train_dataloader,
        args.batches_224)
    ratio224 = (n_ours / s_ours) / (n_d2l / s_d2l)
    rows.append(('epoch at 224x224, week5 (full epoch)', f'{n_full / s_full:,.1f} batch/s',
                 f'{n_full} batches in {s_full:.1f} s', None))
    rows.append((f'first {n_ours} batches at 224x224, week5', f'{n_ours / s_ours:,.1f} batch/s',
                 f'{s_ours:.2f} s', None))
    rows.append((f'first {n_d2l} batches at 224x224, d2l', f'{n_d2l / s_d2l:,.1f} batch/s',
                 f'{s_d2l:.2f} s', None))
    rows.append(('  ratio week5 / d2l at 224x224', f'{ratio224:.1f}x',
                 f'target >= {TARGETS["ratio224"]:.0f}x', ratio224 >= TARGETS['ratio224']))
    base, peak = (float(v) for v in subprocess.run(
        [sys.executable, __file__, '--rss-child', *(['--root', args.root] if args.root else [])],
        check=True, capture_output=True, text=True, env=os.environ).stdout.split())
    rows.append(('peak RSS, week5 only, 1 epoch at 224x224 (own process)', f'{peak:,.0f} MB',
                 f'{peak - base:,.0f} MB over the {base:,.0f} MB of Python + MXNet; '
                 f'target < {TARGETS["rss_mb"]} MB', peak < TARGETS['rss_mb']))

    width = max(len(r[0]) for r in rows)
    for name, value, note, ok in rows:
        mark = '' if ok is None else ('  ok' if ok else '  MISSED')
        print(f'{name:<{width}}  {value:>16}  {note}{mark}')
    shutil.rmtree(tmp, ignore_errors=True)


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == '__main__':
    main()
