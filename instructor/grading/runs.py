"""One sealed run: the driver started in the sandbox, its events read over a pipe.

This is the part of grading that runs student code (inside the sandbox); everything it
returns is data that the grader's process judges (``instructor.grading.judging``).
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from week5.checks import HIDDEN_ENV
from week5.files import atomic_write_json
from .notebooks import nbval_options, setup_sources

__all__ = ['DEFAULT_CELL_TIMEOUT', 'DEFAULT_NOTEBOOK_TIMEOUT', 'DEFAULT_INTERRUPT_GRACE',
           'build_job', 'run_record', 'run_sealed']

DEFAULT_CELL_TIMEOUT = 300
DEFAULT_NOTEBOOK_TIMEOUT = 900
DEFAULT_INTERRUPT_GRACE = 10   # seconds a cell has to stop after the interrupt


def build_job(nb, ref_nb, cell_timeout, interrupt_grace, profile):
    """What the driver in the sandbox runs: the cells (None for a skipped one), the setup
    cells for a restarted kernel, timeouts, and the kernel's environment. The same
    submission and settings give the same job (its digest is the resume key)."""
    cells = [None if nbval_options(c).get('skip') else c.source for c in nb.cells]
    kernel_env = {'WEEK5_GRADE_ANSWERS': '1', 'WEEK5_PROFILE': profile,
                  'MPLBACKEND': 'module://matplotlib_inline.backend_inline'}
    return {'cells': cells, 'setup': setup_sources(ref_nb), 'cell_timeout': cell_timeout,
            'interrupt_grace': interrupt_grace, 'kernel_env': kernel_env}


def run_record(sandbox, job, notebook_timeout, threads=None):
    """One sealed run of `job` in a fresh scratch folder of `sandbox`: the run record.

    ``{'events', 'finished', 'stderr', 'seconds', 'isolation', 'startup_seconds'}``:
    plain data, judged by the grader (``startup_seconds``: from starting the sandbox to
    the driver's kernel being ready; ``kernel_seconds`` in the start event is the kernel's
    part of it)."""
    start = time.monotonic()
    scratch = sandbox.scratch()
    env = dict(job['kernel_env'], **({'OMP_NUM_THREADS': str(threads)} if threads else {}))
    if job.get('hidden_cases'):
        hidden = Path(scratch) / 'hidden_cases.json'
        atomic_write_json(hidden, job['hidden_cases'])
        env[HIDDEN_ENV] = str(hidden)
    job = dict(job, cwd=str(Path(scratch) / 'work'), kernel_env=env)
    try:
        events, finished, stderr = run_sealed(sandbox, scratch, job, notebook_timeout)
    finally:
        sandbox.remove(scratch)
    started = next((ev for ev in events if ev.get('event') == 'start'), {})
    return {'events': events, 'finished': finished, 'stderr': stderr,
            'seconds': round(time.monotonic() - start, 1), 'isolation': sandbox.isolation,
            'startup_seconds': started.get('at'), 'kernel_seconds': started.get('kernel_seconds')}


def run_sealed(sandbox, scratch, job, notebook_timeout):
    """Run the driver on `job` in the sandbox; returns (events, finished, stderr tail).

    The driver reports over a pipe that only this process reads; whatever the run started
    is killed before this returns."""
    read_fd, write_fd = os.pipe()
    argv, kwargs = sandbox.command(scratch, [sys.executable, '-m', 'instructor.grading.driver',
                                             '--record-fd', str(write_fd)],
                                   sandbox.env(scratch, {}))
    events = []
    launched = time.monotonic()
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=err, pass_fds=(write_fd,), start_new_session=True,
                                    **kwargs)
        finally:
            os.close(write_fd)

        def read():
            with os.fdopen(read_fd, 'r', encoding='utf-8', errors='replace') as f:
                for line in f:
                    try:
                        event = json.loads(line)
                        if isinstance(event, dict) and event.get('event') == 'start':
                            event['at'] = round(time.monotonic() - launched, 2)
                        events.append(event)
                    except json.JSONDecodeError:
                        continue  # a line cut short by a kill

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        finished = True
        try:
            proc.stdin.write(json.dumps(job).encode())
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=notebook_timeout)
        except subprocess.TimeoutExpired:
            finished = False
        sandbox.kill(proc, scratch)
        reader.join(timeout=10)
        err.seek(0)
        tail = err.read()[-4000:].decode('utf-8', 'replace')
    return list(events), finished, tail

