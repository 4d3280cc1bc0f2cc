"""One sealed run: the driver started in the sandbox, its events read over a pipe.

This is the part of grading that runs student code (inside the sandbox); everything it
returns is data that the grader's process judges (``week5.grading.judging``).
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .notebooks import nbval_options, setup_sources

__all__ = ['DEFAULT_CELL_TIMEOUT', 'DEFAULT_NOTEBOOK_TIMEOUT', 'DEFAULT_INTERRUPT_GRACE',
           'build_job', 'run_sealed']

DEFAULT_CELL_TIMEOUT = 300
DEFAULT_NOTEBOOK_TIMEOUT = 900
DEFAULT_INTERRUPT_GRACE = 10   # seconds a cell has to stop after the interrupt


def build_job(nb, ref_nb, scratch, cell_timeout, interrupt_grace, profile, threads):
    """What the driver in the sandbox runs: the cells (None for a skipped one), the setup
    cells for a restarted kernel, timeouts, and the kernel's environment."""
    cells = [None if nbval_options(c).get('skip') else c.source for c in nb.cells]
    kernel_env = {'WEEK5_GRADE_ANSWERS': '1', 'WEEK5_PROFILE': profile,
                  'MPLBACKEND': 'module://matplotlib_inline.backend_inline'}
    if threads:
        kernel_env['OMP_NUM_THREADS'] = str(threads)
    return {'cwd': str(Path(scratch) / 'work'), 'cells': cells, 'setup': setup_sources(ref_nb),
            'cell_timeout': cell_timeout, 'interrupt_grace': interrupt_grace,
            'kernel_env': kernel_env}


def run_sealed(sandbox, scratch, job, notebook_timeout):
    """Run the driver on `job` in the sandbox; returns (events, finished, stderr tail).

    The driver reports over a pipe that only this process reads; whatever the run started
    is killed before this returns."""
    read_fd, write_fd = os.pipe()
    argv, kwargs = sandbox.command(scratch, [sys.executable, '-m', 'week5.grading.driver',
                                             '--record-fd', str(write_fd)],
                                   sandbox.env(scratch, {}))
    events = []
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
                        events.append(json.loads(line))
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

