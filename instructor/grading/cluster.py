"""Sealed runs on a Dask cluster: each submission one task, each task one sealed run.

``--scheduler tcp://HOST:PORT`` sends the runs to the workers of a running
``dask.distributed`` cluster (``dask scheduler`` + ``dask worker`` processes, dask-jobqueue
on Slurm/PBS, dask-kubernetes); without it a local cluster of ``--jobs`` worker processes
runs them, by the same code. A worker builds its sandbox once (bubblewrap on the worker,
the worker's own decoded data set shared read-only) and returns a *run record* (plain
data: the driver's events); the grader's process judges the records and runs no student
code.

A worker that dies mid-run (killed, out of memory, its node gone) loses nothing: the
scheduler gives its task to another worker, and every task announces where it starts
(the ``week5-grade`` event topic), so the grader knows which runs were run again.

Workers need the same ``week5`` (and Python packages) as the grader, ``bwrap`` for the
sealed runs, and the data set prepared in their cache (``python -m week5.data prepare``).
"""
import atexit
import os
import threading

from distributed import Client, LocalCluster, as_completed, get_worker
from distributed.client import FutureCancelledError
from distributed.scheduler import KilledWorker

from .runs import run_record
from .sandbox import make_sandbox, shared_data_dir

__all__ = ['TOPIC', 'Runner', 'run_task', 'worker_isolation']

TOPIC = 'week5-grade'
_SANDBOXES = {}
_LOCK = threading.Lock()


def _sandbox(isolation):
    """This worker process's sandbox for `isolation` (built on first use, removed at exit)."""
    with _LOCK:
        if isolation not in _SANDBOXES:
            box = make_sandbox(isolation, data_dir=shared_data_dir())
            _SANDBOXES[isolation] = box
            atexit.register(box.cleanup)
        return _SANDBOXES[isolation]


def worker_isolation(isolation):
    """Run on every worker before grading: the isolation it will use (raises ValueError
    naming ``isolation`` when the one asked for does not work on that worker)."""
    return _sandbox(isolation).isolation


def run_task(task):
    """One sealed run on this worker: the run record, with where it ran."""
    worker = get_worker()
    worker.log_event(TOPIC, {'key': task['key'], 'label': task['label'], 'worker': worker.address,
                             'pid': os.getpid()})
    threads = task.get('threads') or max(
        1, len(os.sched_getaffinity(0)) // max(1, worker.state.nthreads))
    record = run_record(_sandbox(task['isolation']), task['job'], task['notebook_timeout'], threads)
    record['worker'] = worker.address
    return record


class Runner:
    """The cluster the runs go to: ``with Runner(scheduler, jobs) as r: r.run(tasks, done)``."""

    def __init__(self, scheduler=None, jobs=2, progress=None):
        self.scheduler, self.jobs, self.progress = scheduler, jobs, progress or (lambda msg: None)
        self.starts = {}          # task key -> [(worker address, pid)]
        self._cluster = self.client = None

    def __enter__(self):
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout='30s')
            except (OSError, TimeoutError) as e:
                raise ValueError(f'--scheduler {self.scheduler!r}: no Dask scheduler answers there '
                                 f'({e}); start one (docs/instructors.md) or leave --scheduler out '
                                 'to grade on this machine') from None
        else:
            self._cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=40)
            self.client = Client(self._cluster)
        self.client.subscribe_topic(TOPIC, self._started)
        return self

    def __exit__(self, *exc):
        try:
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()

    def _started(self, event):
        _, msg = event
        self.starts.setdefault(msg['key'], []).append((msg['worker'], msg['pid']))
        again = ' (again: its first worker was lost)' if len(self.starts[msg['key']]) > 1 else ''
        self.progress(f"started {msg['label']} on {msg['worker']} (pid {msg['pid']}){again}")

    def isolation(self, isolation):
        """{worker address: isolation} after every worker built its sandbox."""
        if not self.client.scheduler_info().get('workers'):
            self.client.wait_for_workers(1, timeout=120)
        try:
            return self.client.run(worker_isolation, isolation)
        except ValueError as e:
            raise ValueError(f'on a worker: {e}') from None

    def run(self, tasks, done):
        """Run every task; ``done(task, record)`` in this thread as each finishes. A task
        whose workers kept dying gets a record saying so (and no events)."""
        futures = {self.client.submit(run_task, t, key=t['key'], pure=False): t for t in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                record = future.result()
            except (KilledWorker, FutureCancelledError) as e:
                record = {'events': [], 'finished': True, 'seconds': 0.0, 'isolation': '',
                          'stderr': f'the run was lost with its worker each time it ran ({e})',
                          'lost': True}
            done(task, record)

    def rerun_note(self, key):
        """Why a task ran more than once ('' if it ran once)."""
        starts = self.starts.get(key, [])
        if len(starts) < 2:
            return ''
        lost = ', '.join(w for w, _ in starts[:-1])
        return f'run again on {starts[-1][0]} after worker {lost} was lost mid-run'
