"""Check that this machine is ready for the course (`make check`): Python 3.11, the
pinned packages, Fashion-MNIST, one LeNet forward pass and the exercise checks.

    .venv/bin/python scripts/check_setup.py

Prints one line per step and `setup OK` at the end; exits 1 at the first failing step
with what to do about it.
"""
import importlib
import sys
import time


def step(label, run):
    t0 = time.perf_counter()
    try:
        detail = run()
    except Exception as e:  # any failure: say which step and why, then stop
        print(f'  FAILED  {label}: {type(e).__name__}: {e}')
        return False
    print(f'  ok      {label}{": " + detail if detail else ""} ({time.perf_counter() - t0:.1f} s)')
    return True


def python():
    if sys.version_info[:2] != (3, 11):
        raise RuntimeError(f'Python {sys.version.split()[0]}; the course needs 3.11 '
                           '(run `make setup`, which makes .venv with it)')
    return sys.version.split()[0]


def packages():
    found = []
    for name in ('mxnet', 'numpy', 'matplotlib', 'ipywidgets', 'jupyterlab', 'week5'):
        module = importlib.import_module(name)
        found.append(f"{name} {getattr(module, '__version__', '')}".strip())
    return ', '.join(found)


def data():
    from week5.data import load_fashion_mnist
    loaded = load_fashion_mnist()
    return f'{len(loaded.train_labels) + len(loaded.val_labels):,} images from {loaded.source}'


def forward():
    import week5
    from week5.models import get_model
    from mxnet import np
    week5.use_np()
    net = get_model('lenet')
    y = net(np.zeros((2, 1, 28, 28)))
    return f'LeNet maps (2, 1, 28, 28) to {tuple(y.shape)}'


def exercise_checks():
    from week5 import checks
    result = checks.judge('conv1x1_params', checks.describe_answer('conv1x1_params', 1))
    if result.passed or not result.reason.startswith('1 is not it'):
        raise RuntimeError(f'the checks do not judge answers: {result.reason}')
    return f'{len(checks.CHECKS)} checks ready'


def main():
    print('week5 setup check')
    steps = [('Python', python), ('packages', packages), ('Fashion-MNIST', data),
             ('a LeNet forward pass', forward), ('exercise checks', exercise_checks)]
    for label, run in steps:
        if not step(label, run):
            return 1
    print('setup OK: run `make lab`')
    return 0


if __name__ == '__main__':
    sys.exit(main())
