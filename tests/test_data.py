"""week5.data: finding, downloading, verifying, caching and batching Fashion-MNIST.

Every test gets its own cache (WEEK5_CACHE in a tmp dir), so the user's real cache is
never touched. Download tests run a real HTTP server on 127.0.0.1 serving the real files.
"""
import gzip
import hashlib
import http.server
import shutil
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pytest

import week5.data as wd
import week5.fashion_mnist as fm
from week5.data import DataModule, DataUnavailableError, FashionMNIST
from week5.fashion_mnist import FILES

DEBIAN = Path('/usr/share/datasets/fashion-mnist')
LABELS = 'train-labels-idx1-ubyte.gz'


# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private cache, no WEEK5_DATA / WEEK5_MIRRORS from the environment, no waiting."""
    monkeypatch.setenv('WEEK5_CACHE', str(tmp_path / 'cache'))
    monkeypatch.delenv('WEEK5_DATA', raising=False)
    monkeypatch.delenv('WEEK5_MIRRORS', raising=False)
    monkeypatch.setattr(fm, 'RETRY_DELAY', 0.0)
    return tmp_path / 'cache'


@pytest.fixture(scope='session')
def gz_dir():
    """A folder with the four real .gz files (Debian's, verified by content)."""
    if not all((DEBIAN / name).is_file() for name in FILES):
        pytest.skip(f'needs the real files in {DEBIAN} (apt-get install dataset-fashion-mnist)')
    return DEBIAN


@pytest.fixture(scope='session')
def warm_cache(gz_dir, tmp_path_factory):
    """A cache already holding the decoded set (shared: tests must not modify it)."""
    cache = tmp_path_factory.mktemp('warm-cache')
    mp = pytest.MonkeyPatch()
    mp.setenv('WEEK5_CACHE', str(cache))
    mp.delenv('WEEK5_DATA', raising=False)
    try:
        wd.load_fashion_mnist(progress=False)
    finally:
        mp.undo()
    return cache


@pytest.fixture
def warm(warm_cache, monkeypatch):
    monkeypatch.setenv('WEEK5_CACHE', str(warm_cache))
    return warm_cache


class _Server:
    """http.server on 127.0.0.1 serving <dir>/m1/* and <dir>/m2/* (two mirrors).

    ``faults[(mirror, name)]`` is a list of actions used up one request at a time:
    '500' (HTTP 500), 'drop' (announce the full length, send half, hang up),
    'corrupt' (flip bytes), 'truncate' (a shorter file, consistently announced), '404'."""

    def __init__(self, root):
        self.root, self.faults, self.log = Path(root), {}, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                _, mirror, name = self.path.split('/', 2)
                server.log.append((mirror, name))
                actions = server.faults.get((mirror, name), [])
                action = actions.pop(0) if actions else 'ok'
                path = server.root / mirror / name
                if action in ('404', '500') or not path.is_file():
                    self.send_error(500 if action == '500' else 404)
                    return
                body = path.read_bytes()
                if action == 'corrupt':
                    body = body[:1000] + bytes(b ^ 0xFF for b in body[1000:1100]) + body[1100:]
                elif action == 'truncate':
                    body = body[:len(body) // 2]
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                if action == 'drop':
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        base = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.mirrors = [f'{base}/m1/', f'{base}/m2/']

    def stop(self):
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()


@pytest.fixture
def server(gz_dir, tmp_path, monkeypatch):
    """Both mirrors serve the real files; Debian's folder is hidden from week5.data."""
    for mirror in ('m1', 'm2'):
        (tmp_path / 'www' / mirror).mkdir(parents=True)
        for name in FILES:
            shutil.copyfile(gz_dir / name, tmp_path / 'www' / mirror / name)
    monkeypatch.setattr(fm, 'SYSTEM_DIRS', (str(tmp_path / 'no-debian'),))
    srv = _Server(tmp_path / 'www')
    monkeypatch.setenv('WEEK5_MIRRORS', ' '.join(srv.mirrors))
    yield srv
    srv.stop()


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _content_ok(path, name):
    return hashlib.sha256(gzip.decompress(Path(path).read_bytes())).hexdigest() == \
        FILES[name].raw_sha256


# ---------------------------------------------------------------------------------------
# Finding and verifying
# ---------------------------------------------------------------------------------------
def test_loads_real_files_from_the_debian_folder(gz_dir, isolated):
    data = wd.load_fashion_mnist(progress=False)
    assert 'Debian' in data.source and str(gz_dir) in data.source
    assert data.train_images.shape == (60000, 28, 28) and data.train_images.dtype == np.uint8
    assert data.val_images.shape == (10000, 28, 28)
    assert data.train_labels.dtype == np.int32
    assert np.bincount(data.train_labels).tolist() == [6000] * 10
    assert np.bincount(data.val_labels).tolist() == [1000] * 10
    # decoded once into the cache, as uncompressed IDX files with the pinned hashes
    for spec in FILES.values():
        assert _sha256(isolated / 'fashion-mnist' / 'decoded' / spec.raw_name) == spec.raw_sha256


def test_explicit_root_and_env_var(gz_dir, tmp_path, monkeypatch):
    data = wd.load_fashion_mnist(root=gz_dir, progress=False)
    assert data.source.startswith('root ')
    monkeypatch.setenv('WEEK5_DATA', str(gz_dir))
    assert wd.load_fashion_mnist(progress=False).source.startswith('WEEK5_DATA ')


@pytest.mark.parametrize('damage, reason', [
    (lambda p: p.write_bytes(p.read_bytes()[:-500]), 'truncated'),
    (lambda p: p.write_bytes(b'not gzip at all'), 'SHA-256 mismatch .and not a valid gzip'),
    (lambda p: p.write_bytes(gzip.compress(b'\0' * 100)), 'SHA-256 mismatch'),
    (lambda p: p.unlink(), 'missing'),
])
def test_bad_explicit_root_is_a_clear_error(gz_dir, tmp_path, damage, reason):
    root = tmp_path / 'mine'
    shutil.copytree(gz_dir, root)
    damage(root / LABELS)
    with pytest.raises(ValueError, match=reason) as e:
        FashionMNIST(root=root)
    msg = str(e.value)
    assert 'root=' in msg and LABELS in msg and 'fetch --dest' in msg and 'root=None' in msg


def test_nonexistent_root_and_env_var_errors(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"root='.*nope' does not exist.*train-images"):
        FashionMNIST(root=tmp_path / 'nope')
    (tmp_path / 'file').write_text('x')
    with pytest.raises(ValueError, match='is not a folder'):
        FashionMNIST(root=tmp_path / 'file')
    with pytest.raises(ValueError, match='root must be a folder path'):
        FashionMNIST(root=3)
    monkeypatch.setenv('WEEK5_DATA', str(tmp_path / 'gone'))
    with pytest.raises(ValueError, match=r"WEEK5_DATA='.*gone' does not exist"):
        FashionMNIST()


def test_corrupt_decoded_cache_is_rebuilt(gz_dir, isolated):
    wd.load_fashion_mnist(progress=False)
    decoded = isolated / 'fashion-mnist' / 'decoded' / 'train-images-idx3-ubyte'
    raw = bytearray(decoded.read_bytes())
    raw[5000] ^= 0xFF
    decoded.write_bytes(raw)
    data = wd.load_fashion_mnist(progress=False)
    assert 'decoded cache' not in data.source           # it noticed and decoded again
    assert _sha256(decoded) == FILES['train-images-idx3-ubyte.gz'].raw_sha256
    decoded.write_bytes(raw[:1000])                      # truncated: same story
    assert 'decoded cache' not in wd.load_fashion_mnist(progress=False).source
    assert 'decoded cache' in wd.load_fashion_mnist(progress=False).source


def test_unwritable_cache_still_loads_and_says_so(gz_dir, tmp_path, monkeypatch):
    (tmp_path / 'not-a-folder').write_text('x')
    monkeypatch.setenv('WEEK5_CACHE', str(tmp_path / 'not-a-folder'))
    with pytest.warns(UserWarning, match='cannot write the decoded cache.*WEEK5_CACHE'):
        data = wd.load_fashion_mnist(progress=False)
    assert 'Debian' in data.source and len(data.val_labels) == 10000


# ---------------------------------------------------------------------------------------
# Downloading from a real HTTP server on 127.0.0.1
# ---------------------------------------------------------------------------------------
def test_download_good_files_into_the_cache(server, isolated):
    data = wd.load_fashion_mnist(progress=False)
    assert data.source == f'download {server.mirrors[0]}'
    assert sorted(server.log) == sorted(('m1', name) for name in FILES)
    for name in FILES:
        assert _content_ok(isolated / 'fashion-mnist' / name, name)
    assert not list((isolated / 'fashion-mnist').glob('*.part'))
    assert np.bincount(data.val_labels).tolist() == [1000] * 10


@pytest.mark.parametrize('fault, reason', [('corrupt', 'SHA-256 mismatch'),
                                           ('truncate', 'truncated')])
def test_bad_file_from_first_mirror_is_rejected_and_reported(server, isolated, fault, reason):
    server.faults[('m1', LABELS)] = [fault]
    with pytest.warns(UserWarning, match=f'{LABELS} came from download .*/m2/ .*/m1/{LABELS}: '
                                         f'downloaded file rejected: {reason}'):
        found = fm._locate(progress=False)
    assert found[LABELS][1] == f'download {server.mirrors[1]}'
    assert _content_ok(isolated / 'fashion-mnist' / LABELS, LABELS)
    assert ('m2', LABELS) in server.log


@pytest.mark.parametrize('fault', ['500', 'drop'])
def test_server_failing_once_is_retried(server, isolated, fault):
    server.faults[('m1', LABELS)] = [fault]
    found = fm._locate(progress=False)
    assert found[LABELS][1] == f'download {server.mirrors[0]}'
    assert server.log.count(('m1', LABELS)) == 2 and ('m2', LABELS) not in server.log
    assert _content_ok(isolated / 'fashion-mnist' / LABELS, LABELS)


def test_persistent_failure_gives_up_after_the_retries(server, isolated):
    server.faults[('m1', LABELS)] = ['500'] * 10
    with pytest.warns(UserWarning, match=r'HTTP 500 .*\(tried 3 times\)'):
        fm._locate(progress=False)
    assert server.log.count(('m1', LABELS)) == fm.RETRIES + 1


def test_all_sources_failing_is_one_error_with_the_fixes(server, isolated):
    server.faults[('m1', LABELS)] = ['404']
    server.faults[('m2', LABELS)] = ['truncate']
    with pytest.raises(DataUnavailableError) as e:
        FashionMNIST(progress=False)
    msg = str(e.value)
    for part in (f'cache {isolated / "fashion-mnist"}: {LABELS}: missing',
                 f'no-debian: {LABELS}: missing',
                 f'{server.mirrors[0]}{LABELS}: HTTP 404',
                 f'{server.mirrors[1]}{LABELS}: downloaded file rejected: truncated',
                 'sudo apt-get install dataset-fashion-mnist', 'WEEK5_DATA', "root='"):
        assert part in msg
    server.stop()                                   # nothing listening at all
    with pytest.raises(DataUnavailableError, match='cannot connect'):
        wd.load_fashion_mnist(progress=False)


def test_second_load_needs_neither_network_nor_decoder(server, monkeypatch):
    wd.load_fashion_mnist(progress=False)
    server.stop()

    def fail(*args, **kwargs):
        raise AssertionError('decoded again')
    monkeypatch.setattr(fm, '_decode', fail)
    monkeypatch.setattr(fm.gzip, 'decompress', fail)
    data = FashionMNIST(batch_size=16, progress=False)
    assert data.source.startswith('decoded cache') and 'download' in data.source
    assert len(data.train) == 60000


def test_corrupt_cached_download_is_replaced(server, isolated):
    wd.load_fashion_mnist(progress=False)
    cached = isolated / 'fashion-mnist' / LABELS
    cached.write_bytes(cached.read_bytes()[:3000])
    shutil.rmtree(isolated / 'fashion-mnist' / 'decoded')
    server.log.clear()
    with pytest.warns(UserWarning, match=f'{LABELS}: truncated.*removed'):
        data = wd.load_fashion_mnist(progress=False)
    assert server.log == [('m1', LABELS)]            # only the bad file was fetched again
    assert _content_ok(cached, LABELS)
    assert np.bincount(data.train_labels).tolist() == [6000] * 10


def test_cli_prepare_and_fetch(server, tmp_path, capsys):
    assert wd.main(['prepare']) == 0
    out = capsys.readouterr().out
    assert '70,000 images' in out and f'download {server.mirrors[0]}' in out
    dest = tmp_path / 'offline'
    assert wd.main(['fetch', '--dest', str(dest)]) == 0
    assert 'WEEK5_DATA' in capsys.readouterr().out
    assert all(_content_ok(dest / name, name) for name in FILES)
    assert wd.main(['prepare', '--root', str(tmp_path / 'nope')]) == 1
    assert 'does not exist' in capsys.readouterr().err


def test_python_m_week5_data_prepare_runs_cleanly(warm):
    import os
    import subprocess
    run = subprocess.run([sys.executable, '-m', 'week5.data', 'prepare'], capture_output=True,
                         text=True, env={**os.environ, 'WEEK5_CACHE': str(warm)}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert 'Fashion-MNIST ready: 70,000 images' in run.stdout and 'decoded cache' in run.stdout
    assert 'Warning' not in run.stderr          # e.g. runpy's "found in sys.modules"


# ---------------------------------------------------------------------------------------
# Resizing
# ---------------------------------------------------------------------------------------
def _transform(images, resize):
    return wd._ImageBatches(resize)(np.asarray(images, dtype=np.uint8)).asnumpy()


def test_interpolation_matrix_by_hand():
    np.testing.assert_allclose(wd.interpolation_matrix(4, 2),
                               [[1, 0], [.75, .25], [.25, .75], [0, 1]])
    np.testing.assert_allclose(wd.interpolation_matrix(3, 3), np.eye(3))
    # shrinking 4 -> 2: a triangle of half-width 2 around source x = 0.5 (and 2.5) weighs
    # pixels 0..3 by .75, .75, .25, 0; the tap at -1 falls outside, the rest is renormalised
    np.testing.assert_allclose(wd.interpolation_matrix(2, 4),
                               [[3 / 7, 3 / 7, 1 / 7, 0], [0, 1 / 7, 3 / 7, 3 / 7]])
    for n_out in (7, 14, 28, 96, 224):
        np.testing.assert_allclose(wd.interpolation_matrix(n_out, 28).sum(1), 1)


def test_resize_known_pixels():
    img = np.array([[[0, 100], [200, 40]]])
    up = _transform(img, (4, 4))[0, 0] * 255
    rows = np.array([[1, 0], [.75, .25], [.25, .75], [0, 1]])
    np.testing.assert_allclose(up, rows @ img[0] @ rows.T, atol=1e-3)
    # row 1 = .75 * [0, 100] + .25 * [200, 40] = [50, 85], then widened the same way
    np.testing.assert_allclose(up[1], [50, 58.75, 76.25, 85], atol=1e-3)
    np.testing.assert_allclose(up[:, 0], [0, 50, 150, 200], atol=1e-3)
    wide = _transform(img, (2, 4))[0, 0] * 255                  # height kept, width doubled
    np.testing.assert_allclose(wide, img[0] @ rows.T, atol=1e-3)


def test_resize_constant_images_stay_constant_and_shapes():
    batch = np.full((3, 28, 28), 200, dtype=np.uint8)
    for size in ((224, 224), (20, 36), (28, 28), (7, 7)):
        out = _transform(batch, size)
        assert out.shape == (3, 1) + size and out.dtype == np.float32
        np.testing.assert_allclose(out, 200 / 255, rtol=1e-6)
    for size in ((96, 96), (50, 17), (224, 224), (13, 41)):     # white never exceeds 1.0
        ones = _transform(np.full((2, 28, 28), 255), size)
        assert ones.max() <= 1.0 and ones.min() >= 1 - 2e-6


def test_resize_matches_opencv_bilinear_on_a_real_image(warm):
    import mxnet as mx
    img = wd.load_fashion_mnist().train_images[:1]
    ours = _transform(img, (56, 56))[0, 0] * 255
    # OpenCV's resize is a legacy-ndarray operator: run it outside NumPy semantics, which
    # other tests in the same process switch on (it is per thread and sticky).
    with mx.util.np_array(False), mx.util.np_shape(False):
        cv = mx.image.imresize(mx.nd.array(img[0][:, :, None], dtype='uint8'), 56, 56).asnumpy()
    assert np.abs(ours - cv[:, :, 0]).max() <= 1.0      # OpenCV rounds to uint8


def test_identity_resize_is_exact(warm):
    data = FashionMNIST(batch_size=10, num_val=10, progress=False)
    X, y = next(iter(data.val_dataloader()))
    np.testing.assert_array_equal(X.asnumpy()[:, 0], data.val.images[:10] / np.float32(255))
    np.testing.assert_array_equal(y.asnumpy(), data.val.labels[:10])


# ---------------------------------------------------------------------------------------
# The data module
# ---------------------------------------------------------------------------------------
def test_batches_dtype_shape_range_and_last_batch(warm):
    data = FashionMNIST(batch_size=32, resize=(40, 30), num_train=100, num_val=50)
    loader = data.train_dataloader()
    batches = list(loader)
    assert len(loader) == len(batches) == 4 and [len(y) for _, y in batches] == [32, 32, 32, 4]
    X, y = batches[0]
    assert X.shape == (32, 1, 40, 30) and str(X.dtype) == 'float32' and str(y.dtype) == 'int32'
    assert 0 <= float(X.min()) and float(X.max()) <= 1
    assert len(data.val_dataloader()) == 2
    assert data.num_train == len(data.train) == 100 and data.num_val == len(data.val) == 50


def test_training_batches_are_reshuffled_each_epoch_and_seeded(warm):
    def epochs(seed):
        data = FashionMNIST(batch_size=16, num_train=64, seed=seed)
        loader = data.train_dataloader()
        return [np.concatenate([y.asnumpy() for _, y in loader]) for _ in range(2)], data
    (e1, e2), data = epochs(3)
    assert sorted(e1) == sorted(e2) == sorted(data.train.labels)   # each example once
    assert not np.array_equal(e1, e2)                              # a new order each epoch
    (f1, f2), _ = epochs(3)
    assert np.array_equal(e1, f1) and np.array_equal(e2, f2)       # seeded
    val = np.concatenate([y.asnumpy() for _, y in data.val_dataloader()])
    assert np.array_equal(val, data.val.labels)                    # validation in order


def test_stratified_subset(warm):
    data = FashionMNIST(num_train=100, num_val=0.05, seed=1)
    assert np.bincount(data.train.labels).tolist() == [10] * 10
    assert np.bincount(data.val.labels).tolist() == [50] * 10
    again = FashionMNIST(num_train=100, num_val=0.05, seed=1)
    np.testing.assert_array_equal(data.train.images, again.train.images)
    other = FashionMNIST(num_train=100, seed=2)
    assert not np.array_equal(data.train.images, other.train.images)
    assert np.bincount(FashionMNIST(num_train=105).train.labels).tolist() == [11] * 5 + [10] * 5
    assert FashionMNIST(num_train=1.0).num_train == 60000


def test_stratified_indices_unbalanced_labels():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    idx = wd.stratified_indices(labels, 10, np.random.default_rng(0))
    assert np.bincount(labels[idx]).tolist() == [5, 3, 2]
    assert list(idx) == sorted(set(idx))


def test_dataset_views(warm):
    data = FashionMNIST(resize=32, num_val=20)
    X, y = data.val[-1]
    assert X.shape == (1, 32, 32) and isinstance(y, int) and y == data.val.labels[-1]
    assert len(data.train) == 60000 and len(data.val) == 20
    with pytest.raises(IndexError):
        data.val[20]
    with pytest.raises(TypeError, match='train_dataloader'):
        data.val[0:2]


def test_text_labels(warm):
    data = FashionMNIST(num_val=10)
    assert data.text_labels(range(10)) == ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
                                           'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
    _, y = next(iter(data.val_dataloader()))
    assert data.text_labels(y) == [fm.TEXT_LABELS[i] for i in y.asnumpy()]
    with pytest.raises(ValueError, match='label 10 is out of range'):
        data.text_labels([10])


def test_augment_keeps_shape_and_range_is_seeded_and_train_only(warm):
    def first(seed, augment):
        data = FashionMNIST(batch_size=64, num_train=64, num_val=64, augment=augment,
                            seed=seed)
        X, _ = next(iter(data.train_dataloader()))
        V, _ = next(iter(data.val_dataloader()))
        return X.asnumpy(), V.asnumpy()
    X1, V1 = first(0, True)
    X1b, _ = first(0, True)
    X2, _ = first(5, True)
    X0, V0 = first(0, False)
    assert X1.shape == (64, 1, 28, 28) and X1.min() >= 0 and X1.max() <= 1
    np.testing.assert_array_equal(X1, X1b)
    assert not np.array_equal(X1, X2) and not np.array_equal(X1, X0)
    np.testing.assert_array_equal(V1, V0)                   # validation never augmented


def test_augment_is_a_flip_and_a_shifted_window():
    rng = np.random.default_rng(0)
    images = np.random.default_rng(1).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    flipped = wd._augment(images, rng, padding=0)
    same = [np.array_equal(a, b) for a, b in zip(flipped, images)]
    mirrored = [np.array_equal(a, b[:, ::-1]) for a, b in zip(flipped, images)]
    assert all(s or m for s, m in zip(same, mirrored)) and 10 < sum(mirrored) < 40
    cropped = wd._augment(images, np.random.default_rng(2), padding=2)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    for out, p in zip(cropped, padded):
        windows = [p[dy:dy + 28, dx:dx + 28] for dy in range(5) for dx in range(5)]
        assert any(np.array_equal(out, w) or np.array_equal(out, w[:, ::-1]) for w in windows)


def test_visualize_calls_viz_show_images(warm, monkeypatch):
    calls = []
    fake = types.ModuleType('week5.viz')
    fake.show_images = lambda imgs, num_rows, num_cols, titles=None, scale=1.5: \
        calls.append((imgs.shape, num_rows, num_cols, titles))
    monkeypatch.setitem(sys.modules, 'week5.viz', fake)
    data = FashionMNIST(batch_size=16, num_val=16)
    batch = next(iter(data.val_dataloader()))
    data.visualize(batch)
    data.visualize(batch, nrows=2, ncols=3, labels=['a'] * 6)
    assert calls[0] == ((8, 28, 28), 1, 8, data.text_labels(data.val.labels[:8]))
    assert calls[1] == ((6, 28, 28), 2, 3, ['a'] * 6)


def test_data_module_base_and_tensorloader():
    from mxnet import np as mnp

    class Synthetic(DataModule):
        def __init__(self, batch_size=4, seed=7):
            super().__init__()
            self.save_hyperparameters()
    with pytest.raises(NotImplementedError):
        Synthetic().train_dataloader()
    X = mnp.arange(20, dtype='float32').reshape(10, 2)
    y = mnp.arange(10, dtype='float32')
    loader = Synthetic().get_tensorloader((X, y), train=True, indices=slice(0, 9))
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [4, 4, 1]
    order = np.concatenate([b[1].asnumpy() for b in batches])
    assert sorted(order) == list(range(9))
    np.testing.assert_array_equal(np.concatenate([b[0].asnumpy() for b in batches])[:, 0],
                                  order * 2)                    # rows stay paired
    again = Synthetic().get_tensorloader((X, y), train=True, indices=slice(0, 9))
    assert np.array_equal(order, np.concatenate([b[1].asnumpy() for b in again]))
    val = Synthetic().get_tensorloader((X, y), train=False)
    assert np.concatenate([b[1].asnumpy() for b in val]).tolist() == list(range(10))
    host = Synthetic().get_tensorloader((X.asnumpy(), y.asnumpy()), train=True,
                                        indices=slice(0, 9))      # numpy works the same
    assert np.array_equal(order, np.concatenate([b[1].asnumpy() for b in host]))



def test_host_arrays_are_copied_to_mxnet_once_per_loader(monkeypatch):
    """A per-epoch host->MXNet copy of the whole set stalls the device at every epoch start
    (bench/train.py measured it at ~5% of a short epoch); one copy per loader is enough."""
    import mxnet
    from week5.data import ArrayLoader
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.arange(20, dtype=np.int32)
    loader = ArrayLoader((X, y), batch_size=8, shuffle=True, rng=np.random.default_rng(0))
    real, whole = mxnet.np.array, []

    def counting(a, *args, **kwargs):
        if getattr(a, 'shape', None) == X.shape:     # the whole image set
            whole.append(a.shape)
        return real(a, *args, **kwargs)
    monkeypatch.setattr(mxnet.np, 'array', counting)
    epochs = [np.concatenate([b[1].asnumpy() for b in loader]) for _ in range(3)]
    assert len(whole) == 1                   # once, for three epochs
    assert all(sorted(e) == list(range(20)) for e in epochs)
    assert not np.array_equal(epochs[0], epochs[1])      # still reshuffled every epoch
    first = next(iter(loader))
    np.testing.assert_array_equal(first[0].asnumpy()[:, 0], first[1].asnumpy() * 2)


# ---------------------------------------------------------------------------------------
# Argument errors name the argument and the fix
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('kwargs, match', [
    (dict(batch_size=0), r'batch_size must be a positive integer \(got 0\).*batch_size=64'),
    (dict(batch_size=2.5), 'batch_size must be a positive integer'),
    (dict(batch_size=True), 'batch_size must be a positive integer'),
    (dict(resize=(0, 28)), r'resize must be a pair of positive ints.*resize=\(224, 224\)'),
    (dict(resize=(28,)), 'resize must be a pair'),
    (dict(resize=(28.0, 28)), 'resize must be a pair'),
    (dict(resize='224'), 'resize must be a pair'),
    (dict(resize=-3), 'resize must be a pair'),
    (dict(num_train=0), r'num_train must be a count in 1..60,000 or a fraction'),
    (dict(num_train=60001), 'num_train must be a count'),
    (dict(num_train=1.5), r'num_train as a fraction must be in \(0, 1\]'),
    (dict(num_train=0.0), 'num_train as a fraction'),
    (dict(num_val=10001), r'num_val must be a count in 1..10,000'),
    (dict(augment='yes'), 'augment must be True or False'),
    (dict(crop_padding=-1), 'crop_padding must be an int'),
    (dict(seed='a'), 'seed must be an int or None'),
    (dict(mirrors=['ftp.example.org']), 'mirrors must be a list of base URLs'),
    (dict(batch_size=4096, resize=224), 'lower batch_size or resize'),
])
def test_bad_arguments(kwargs, match, monkeypatch):
    monkeypatch.setattr(wd, 'load_fashion_mnist', lambda *a: pytest.fail('loaded data'))
    with pytest.raises(ValueError, match=match):
        FashionMNIST(**kwargs)


def test_resize_int_means_square(warm):
    assert FashionMNIST(resize=32, num_val=10).resize == (32, 32)
