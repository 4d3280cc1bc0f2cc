"""Runs trained side by side: the seeds of an experiment, each in its own process.

One training run keeps about one core busy (one OpenMP thread per operator, see
``week5.runtime``), so on a 2-core laptop an experiment of 4 variants x 3 seeds leaves a
core idle for its whole length. ``fit_all`` trains the runs of a list that are not
memoised yet in worker processes, as many at once as the machine has cores (at most
``MAX_WORKERS``), and hands back the same ``Run`` objects, in the same order, that
training them one after the other in this process gives: a run is a pure function of
its recipe and seed (``Recipe.fit``), wherever it trains (tests/test_sidebyside.py
checks it bit for bit). bench/sidebyside.py measures what it saves.

    >>> runs = fit_all([Job(recipe.replace(seed=s), 'seed %d' % s) for s in (0, 1, 2)])

Runs stay in this process when that is cheaper or when they cannot move: fewer than two
runs to train, less than ``MIN_WORK`` of work in all (a worker's start, importing MXNet
and reading the data, costs seconds: the ``quick`` profile never pays it), one core, ``WEEK5_SIDE_BY_SIDE=1``, or a run whose model factory or callbacks
cannot be sent to another process (a lambda, or a function of the script being run). Each worker trains silently (no live
curves); a line says how many runs trained side by side. Interrupting the cell stops the
workers; the runs they had finished are memoised and load next time.

Never imports matplotlib, IPython or ipywidgets.
"""
import concurrent.futures
import contextlib
import multiprocessing
import os
import pickle
import shutil
import sys
import tempfile
import time
import types
from dataclasses import dataclass

from .recipe import FULL_TRAIN, FULL_VAL, _absolute, _retrain, load_run, memo_dir, run_key, save_run

__all__ = ['Job', 'fit_all', 'fit_alone', 'workers', 'SIDE_BY_SIDE_ENV', 'MAX_WORKERS', 'MIN_WORK']

SIDE_BY_SIDE_ENV = 'WEEK5_SIDE_BY_SIDE'   # processes at once: 1 trains in this process
MAX_WORKERS = 4              # each worker holds its own copy of the data set
# Below this much work in all (``_work``: about 10 s of LeNet training on the course's
# 2-core machine) the workers' start -- importing MXNet, reading the data -- costs more
# than it saves (bench/sidebyside.py: 4 LeNet runs of 30,000 images x 1 epoch took 1.13x
# longer side by side; of 60,000 x 2, 0.58x as long).
MIN_WORK = 200_000


@dataclass(frozen=True)
class Job:
    """One run to train: what ``Recipe.fit`` takes (``label``, ``factory``, ``callbacks``)."""
    recipe: object
    label: str = ''
    factory: object = None
    callbacks: tuple = ()


def workers(requested=None):
    """How many runs train at once: ``requested``, else ``WEEK5_SIDE_BY_SIDE``, else the
    number of cores (at most ``MAX_WORKERS``)."""
    value = requested if requested is not None else os.environ.get(SIDE_BY_SIDE_ENV, '').strip()
    if value in ('', None):
        return max(1, min(os.cpu_count() or 1, MAX_WORKERS))
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f'{SIDE_BY_SIDE_ENV}={value!r}: give the number of runs to train at '
                         f'once, e.g. 2, or 1 to train every run in this process')
    return n


def fit_all(jobs, retrain=None, processes=None, min_work=MIN_WORK, progress=False,
            print_fn=print):
    """The ``Run`` of every ``Job``, in order: memoised runs loaded, the others trained,
    side by side in worker processes when that pays (see the module docstring), else here.
    ``retrain`` and ``progress`` (of a run trained here): as ``Recipe.fit``;
    ``processes``: runs at once (default ``workers()``)."""
    jobs = [job if isinstance(job, Job) else Job(*job) for job in jobs]
    todo = [i for i, job in enumerate(jobs) if _needs_training(job, retrain)]
    movable = [i for i in todo if _picklable(jobs[i])]
    n = min(workers(processes), len(movable))
    if processes is None and not os.environ.get(SIDE_BY_SIDE_ENV) and len(movable) == n + 1:
        n += 1        # one run more than cores: they share the cores instead of the last
        #               training alone (3 AlexNet runs on 2 cores: 26.8 s against 29.5 s)
    work = sum(_work(jobs[i].recipe) for i in movable)
    trained = {}
    if n >= 2 and work >= min_work:
        trained = _train_side_by_side([jobs[i] for i in movable], n, print_fn)
        trained = dict(zip(movable, trained))
    runs = []
    for i, job in enumerate(jobs):
        if i in trained:
            runs.append(trained[i])
        else:
            runs.append(job.recipe.fit(job.label, factory=job.factory,
                                       callbacks=job.callbacks, progress=progress,
                                       retrain=retrain, print_fn=print_fn))
    return runs


def _needs_training(job, retrain):
    key = run_key(job.recipe, job.factory, job.callbacks)
    return key is None or _retrain(retrain) or not (memo_dir() / f'{key}.json').exists()


def _picklable(job):
    """Whether ``job`` can be sent to a worker: picklable (not a lambda factory, not a
    callback holding a widget ...) and not referring to the ``__main__`` module, which
    workers do not import (``_main_module_hidden``)."""
    try:
        data = pickle.dumps(job)
    except Exception:
        return False
    return b'__main__' not in data


def _work(recipe):
    """What a run costs, in LeNet-sized images: the images it trains on and validates
    (forward only: a third) over all epochs, times its input's area over 28x28."""
    train, val = _absolute(recipe.num_train, FULL_TRAIN), _absolute(recipe.num_val, FULL_VAL)
    return (train + val / 3) * recipe.num_epochs * (recipe.resize[0] / 28) ** 2


def _train_side_by_side(jobs, n, print_fn):
    """Train ``jobs`` in ``n`` worker processes; their Runs, with weights, in order."""
    start = time.perf_counter()
    runs = [run for run, _ in _in_workers(jobs, n)]
    # one short line (it sits on a slide): a run's own seconds count the cores it shared
    print_fn(f'trained {len(jobs)} runs side by side, {n} at a time, in '
             f'{time.perf_counter() - start:.0f} s ({SIDE_BY_SIDE_ENV}=1: one after another)')
    return runs


def fit_alone(job, threads=2):
    """Train ``job`` alone in a worker process of its own with ``threads`` OpenMP threads
    per operator (a notebook's kernel keeps ``week5.runtime``'s one: its MXNet is loaded);
    (Run with weights, the worker's CPU seconds for the fit). For a long run that has the
    machine to itself: on 2 idle cores two threads train GoogLeNet and AlexNet 1.4x
    faster than one (bench/accuracy.py --long), where two busy processes would fight
    over them. The run is memoised, as ``Recipe.fit`` does."""
    [(run, cpu)] = _in_workers([job], 1, env={'OMP_NUM_THREADS': str(threads)})
    return run, cpu


def _in_workers(jobs, n, env=None):
    """[(Run with weights, CPU seconds of its fit)] of ``jobs`` trained in ``n`` worker
    processes started with ``env`` added to this process' environment."""
    out = tempfile.mkdtemp(prefix='week5-side-by-side-')
    context = multiprocessing.get_context('spawn')    # MXNet's threads do not survive fork
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=n, mp_context=context)
    try:
        with _main_module_hidden(), _environment(env or {}):    # the workers start on submit
            futures = [pool.submit(_train_one, job, os.path.join(out, str(i)))
                       for i, job in enumerate(jobs)]
        done = []
        for job, future in zip(jobs, futures):
            try:
                done.append(future.result())
            except Exception as err:
                raise RuntimeError(f'training {job.label or job.recipe.network!r} (seed '
                                   f'{job.recipe.seed}) in a worker process failed: {err} '
                                   f'— {SIDE_BY_SIDE_ENV}=1 trains it in this process, '
                                   f'with the full traceback') from err
        runs = [(_loaded(job, path), cpu) for job, (path, cpu) in zip(jobs, done)]
    except BaseException:                              # KeyboardInterrupt: stop the workers
        for process in list(getattr(pool, '_processes', {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        shutil.rmtree(out, ignore_errors=True)
    pool.shutdown()
    return runs


def _loaded(job, path):
    """The Run a worker saved at ``path``, with its weights, as ``job`` names it."""
    run = load_run(path, weights=True, factory=job.factory)
    run.recipe, run.label = job.recipe, job.label
    return run


@contextlib.contextmanager
def _environment(changes):
    """``os.environ`` with ``changes`` while workers are started (they copy it)."""
    before = {k: os.environ.get(k) for k in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _main_module_hidden():
    """Start workers without the script that runs this process: multiprocessing's spawn
    imports a ``__main__`` that is a file in every worker, and a script without an
    ``if __name__ == '__main__':`` guard would run again there (training everything
    again, or failing). A job never needs it: one that refers to ``__main__`` stays in
    this process (``_picklable``). A notebook's ``__main__`` is no file: nothing changes."""
    main = sys.modules.get('__main__')
    if getattr(main, '__file__', None) is None:
        yield
        return
    sys.modules['__main__'] = types.ModuleType('__main__')
    try:
        yield
    finally:
        sys.modules['__main__'] = main


def _train_one(job, path):
    """In a worker: train (memoising the run as ``Recipe.fit`` does), save it at ``path``;
    (path, CPU seconds of the fit)."""
    cpu = time.process_time()
    run = job.recipe.fit(job.label, factory=job.factory, callbacks=job.callbacks,
                         retrain=True, print_fn=lambda *_: None)
    cpu = time.process_time() - cpu
    save_run(run, path)
    return path, cpu
