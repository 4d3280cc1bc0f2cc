"""Where the course runs: MXNet's thread settings and whether a frontend is watching.

Imported by ``week5.core`` before MXNet loads. Neither MXNet nor matplotlib, IPython or
ipywidgets is imported here.
"""
import os
import platform
import re
import sys

__all__ = ['THREAD_DEFAULTS', 'HEADLESS_ENV', 'in_notebook', 'is_headless', 'progress_stream',
           'cpu_info']

# --- MXNet threading defaults --------------------------------------------------------
# The one accepted side effect of importing week5 (DESIGN: no other import effects): these are
# read by libmxnet / libgomp only when mxnet is first imported, so they are set here,
# before `import mxnet` below, and only where the user has not set them (setdefault).
# Measured on the course machines (2 cores; hybridized book LeNet, batch 128, img/s; the
# numbers drift by +-20% between runs on these shared hosts, the orderings do not):
#   idle:             OMP=1 threaded 6,500-7,400 | OMP=2 threaded 4,200-5,000 (the engine's
#                     worker, its OpenMP team and Python oversubscribe 2 cores) |
#                     OMP=2 + NaiveEngine 7,500-9,400
#   one busy process: OMP=1 threaded 4,300-6,900 | OMP=2 + NaiveEngine 1,700-2,800 --
#                     libgomp's barriers collapse as soon as another process wants a core,
#                     the normal state of a laptop with a browser or of a shared grader.
# One OpenMP thread per operator on MXNet's threaded engine is therefore the default (the
# engine still overlaps Python with compute). On 2 cores it is also what MXNet picks by
# itself (omp_get_max_threads() is 1 after import); pinning it keeps machines with more
# cores on the measured, robust setting. These settings are read when libmxnet loads
# and cannot be changed afterwards (omp_set_num_threads from Python only reaches the
# calling thread, not the engine's workers). NaiveEngine is MXNet's synchronous debugging
# engine (it segfaulted here when the thread count changed at run time), so it is not a
# default; export OMP_NUM_THREADS / MXNET_ENGINE_TYPE before starting Jupyter to try it.
THREAD_DEFAULTS = {
    'OMP_NUM_THREADS': '1',
    'MXNET_CPU_WORKER_NTHREADS': '1',
}
if 'mxnet' not in sys.modules:
    for _key, _value in THREAD_DEFAULTS.items():
        os.environ.setdefault(_key, _value)


# --- is anybody watching? ------------------------------------------------------------
def in_notebook():
    """True inside a Jupyter kernel (checked without importing IPython)."""
    ipython = sys.modules.get('IPython')
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and 'IPKernelApp' in getattr(shell, 'config', {})


HEADLESS_ENV = 'WEEK5_HEADLESS'
_TRUE, _FALSE = ('1', 'true', 'yes', 'on'), ('0', 'false', 'no', 'off')
_RUNNERS = ('pytest', 'py.test', 'nbval', 'jupyter-nbconvert', 'nbconvert', 'nbclient',
            'jupyter-execute', 'papermill')


def is_headless():
    """True when no Jupyter frontend will render what this process displays.

    1. ``WEEK5_HEADLESS=1`` / ``=0`` decides when set.
    2. No IPython kernel (plain Python, pytest, a terminal IPython): headless.
    3. In a kernel: a Jupyter server (JupyterLab, Notebook) starts kernels with
       ``JPY_SESSION_NAME`` in their environment and VS Code defines
       ``__vsc_ipynb_file__``; kernels started by nbconvert / nbclient / nbval / papermill
       have neither: headless. A kernel whose parent process is such a runner is
       headless too, even with an inherited ``JPY_SESSION_NAME`` (``!make test`` run
       from a notebook).
    Checked without importing IPython (only if a kernel already imported it).
    """
    flag = os.environ.get(HEADLESS_ENV, '').strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    if not in_notebook():
        return True
    shell = sys.modules['IPython'].get_ipython()
    if '__vsc_ipynb_file__' in shell.user_ns:
        return False
    return not os.environ.get('JPY_SESSION_NAME') or _started_by_runner()


def _started_by_runner():
    """True when the kernel's parent (``JPY_PARENT_PID``, set by jupyter_client) runs
    pytest / nbconvert / papermill. Reads /proc (Linux); elsewhere False."""
    try:
        pid = int(os.environ.get('JPY_PARENT_PID', ''))
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            argv = f.read().decode(errors='replace').split('\0')
    except (ValueError, OSError):
        return False
    # `python -m pytest`, a script run through its shebang (`python .../pytest`), or a
    # binary
    programs = argv[2:3] if argv[1:2] == ['-m'] else argv[:2]
    return any(os.path.basename(p) in _RUNNERS for p in programs)


def progress_stream():
    """Where a progress line goes: stderr outside Jupyter, stdout in a notebook that a
    frontend shows, None (no line) in a notebook that nobody watches."""
    if not in_notebook():
        return sys.stderr
    return None if is_headless() else sys.stdout


# --- which machine ---------------------------------------------------------------------
def cpu_info():
    """(model name, widest vector instruction set) of this CPU, from /proc/cpuinfo. Hosts
    with AVX-512 train up to 3x faster than AVX2 ones while their matrix products run
    equally fast: a time is worth little without it."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            text = f.read()
    except OSError:
        return platform.processor() or platform.machine(), 'unknown'
    model = re.search(r'^model name\s*:\s*(.+)$', text, re.MULTILINE)
    flags = re.search(r'^flags\s*:\s*(.+)$', text, re.MULTILINE)
    flags = set(flags.group(1).split()) if flags else set()
    isa = next((name for flag, name in (('avx512f', 'AVX-512'), ('avx2', 'AVX2'),
                                        ('avx', 'AVX'), ('sse4_2', 'SSE4.2')) if flag in flags),
               'other')
    return (model.group(1).strip() if model else platform.machine()), isa
