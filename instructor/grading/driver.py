"""The grading driver: runs one graded notebook's cells in a kernel, inside the sandbox.

    python -m instructor.grading.driver --record-fd N  < job.json

``instructor.grading.runs`` starts this inside each submission's sandbox (bubblewrap when available)
and reads what happens over file descriptor ``N``, a pipe only the grader reads. The job
(on stdin) lists the cells to run, the per-cell timeout and which cells set a fresh
kernel up. One JSON line per event goes to the pipe, flushed at once, so a run killed at
the notebook timeout keeps what it did:

    {"event": "start", "kernel_seconds": 1.2}
    {"event": "cell", "cell": 3, "status": "ok" | "error" | "timeout" | "dead", "outputs": [...],
     "seconds": 0.4, ...}
    {"event": "restart", "after": 3, "reason": "...", "setup_errors": [...]}
    {"event": "done"}

A cell that outlives the timeout is interrupted; if the kernel does not come back within
``interrupt_grace`` seconds (a loop that swallows KeyboardInterrupt) it is killed. A
kernel that dies (``os._exit``, a segfault) is seen at once, from its process, not at the
cell timeout. After either, a new kernel runs the job's setup cells and the remaining
cells go on. This module runs no student code itself; it keeps the record channel out of
the kernel's reach: the descriptor is not inherited, and the driver makes itself
non-dumpable so that a process of the same user cannot open ``/proc/<driver>/fd``.
"""
import argparse
import ctypes
import json
import os
import sys
import time
from queue import Empty

POLL_S = 0.2
MAX_CELL_TEXT = 200_000  # characters of output kept per cell; the rest is cut with a note
BINARY_MIMES = ('image/png', 'image/jpeg', 'image/gif', 'application/pdf')  # never compared


class Recorder:
    """JSON lines on the grader's pipe."""

    def __init__(self, fd):
        os.set_inheritable(fd, False)
        self.out = os.fdopen(fd, 'w', encoding='utf-8', buffering=1)

    def __call__(self, event, **fields):
        self.out.write(json.dumps(dict(fields, event=event)) + '\n')
        self.out.flush()


def _undumpable():
    """PR_SET_DUMPABLE 0: the kernel (same user) cannot ptrace us or open our fds via /proc."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _output(msg):
    kind, content = msg['msg_type'], msg['content']
    if kind == 'stream':
        return {'output_type': 'stream', 'name': content.get('name', 'stdout'),
                'text': content.get('text', '')}
    if kind in ('display_data', 'execute_result'):
        data = {k: v for k, v in content.get('data', {}).items() if k not in BINARY_MIMES}
        return {'output_type': kind, 'data': data}
    if kind == 'error':
        return {'output_type': 'error', 'ename': content.get('ename', ''),
                'evalue': content.get('evalue', '')}
    return None


def _clip(outputs):
    """Keep at most MAX_CELL_TEXT characters of a cell's output (a 50 MB print becomes a
    note); errors are always kept."""
    budget, kept, cut = MAX_CELL_TEXT, [], False
    for out in outputs:
        size = len(json.dumps(out))
        if out['output_type'] != 'error' and (cut or size > budget):
            if not cut:
                kept.append({'output_type': 'stream', 'name': 'stderr',
                             'text': '[grader: output cut here]\n'})
            cut = True
            continue
        budget -= size
        kept.append(out)
    return kept


class Kernel:
    """One kernel and its client; `run(source, timeout)` -> (status, outputs)."""

    def __init__(self, cwd, env, startup_timeout):
        from jupyter_client import KernelManager
        self.km = KernelManager(kernel_name='python3')
        self.km.start_kernel(cwd=cwd, env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=startup_timeout)

    def exit_code(self):
        proc = getattr(self.km.provisioner, 'process', None)
        return None if proc is None else proc.poll()

    def run(self, source, timeout, grace):
        msg_id = self.kc.execute(source, allow_stdin=False, store_history=True)
        outputs, start, size = [], time.monotonic(), 0
        interrupted_at = None
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=POLL_S)
            except Empty:
                now = time.monotonic()
                if not self.km.is_alive():
                    return 'dead', outputs
                if interrupted_at is None and now - start > timeout:
                    self.km.interrupt_kernel()
                    interrupted_at = now
                elif interrupted_at is not None and now - interrupted_at > grace:
                    return 'stuck', outputs
                continue
            if msg.get('parent_header', {}).get('msg_id') != msg_id:
                continue
            if msg['msg_type'] == 'status' and msg['content'].get('execution_state') == 'idle':
                break
            out = _output(msg)
            if out is None:
                continue
            if size <= MAX_CELL_TEXT or out['output_type'] == 'error':
                outputs.append(out)   # past the budget only errors are kept (50 MB of prints)
            size += len(json.dumps(out))
        if interrupted_at is not None:
            return 'timeout', outputs
        if any(o['output_type'] == 'error' for o in outputs):
            return 'error', outputs
        return 'ok', outputs

    def kill(self):
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=True)


def run_job(job, record):
    """Run the job's cells, recording each; restart the kernel after a death or a stuck cell."""
    cwd, env = job['cwd'], dict(os.environ, **job.get('kernel_env', {}))
    timeout, grace = job['cell_timeout'], job['interrupt_grace']
    startup = job.get('startup_timeout', 60)

    def fresh_kernel(after, reason):
        kernel = Kernel(cwd, env, startup)
        errors = []
        for k, source in enumerate(job.get('setup', [])):
            status, outputs = kernel.run(source, timeout, grace)
            if status != 'ok':
                errors.append({'setup_cell': k, 'status': status, 'outputs': _clip(outputs)})
        record('restart', after=after, reason=reason, setup_errors=errors)
        return kernel

    started = time.monotonic()
    kernel = Kernel(cwd, env, startup)
    record('start', kernel_seconds=round(time.monotonic() - started, 2))
    for i, source in enumerate(job['cells']):
        if source is None:           # nbval-skip in the reference
            record('cell', cell=i, status='skipped', outputs=[], seconds=0)
            continue
        started = time.monotonic()
        status, outputs = kernel.run(source, timeout, grace)
        fields = {}
        if status == 'dead':
            fields['exit_code'] = kernel.exit_code()
        elif status == 'stuck':
            status, fields['interrupt'] = 'timeout', 'ignored'
        record('cell', cell=i, status=status, outputs=_clip(outputs),
               seconds=round(time.monotonic() - started, 2), **fields)
        if status == 'dead' or fields.get('interrupt') == 'ignored':
            kernel.kill()
            if i + 1 < len(job['cells']):
                reason = ('the kernel died' if status == 'dead'
                          else 'the cell ignored the interrupt; the kernel was killed')
                kernel = fresh_kernel(i, reason)
    kernel.kill()
    record('done')


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m instructor.grading.driver', description=__doc__.splitlines()[0])
    parser.add_argument('--record-fd', type=int, required=True,
                        help='file descriptor of the pipe to the grader')
    args = parser.parse_args(argv)
    _undumpable()
    record = Recorder(args.record_fd)
    job = json.load(sys.stdin)
    try:
        run_job(job, record)
    except Exception as e:  # reported to the grader, which says the run could not go on
        record('failed', error=f'{type(e).__name__}: {e}'[:500])
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
