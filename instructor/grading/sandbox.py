"""Sealed runs for the grader: one scratch folder per submission, the OS's isolation around it.

Three levels, the best one that works on this machine is used (``WEEK5_GRADE_ISOLATION``
or ``isolation=`` picks one):

``bubblewrap``
    ``bwrap`` (Debian's ``bubblewrap``) with new user, PID, network, IPC, UTS and cgroup
    namespaces: the run sees a read-only system (``/usr``, a few ``/etc`` files), the Python
    installation, the ``week5`` package and the grader's driver read-only (not the keys),
    the decoded Fashion-MNIST files read-only, a private ``/tmp`` and its own scratch
    folder -- nothing else: no other submission, no reference folder, no report, no
    project checkout, no home folder, no network (loopback only), no other processes in
    ``/proc``. Inside it is uid 65534 with no capabilities and cannot make further user namespaces. Killing ``bwrap`` ends its
    PID namespace, so every process the run started dies with it (also ones that
    double-forked into their own session).
``user``
    No namespaces, but the run is a separate unprivileged user (``nobody``) when the grader
    runs as root: it cannot write the grader's files, but it can read what ``nobody`` can
    and use the network. Its processes are killed by process group and by a marker in
    their environment (a process that clears its environment and leaves its session
    escapes).
``none``
    Student code runs with your permissions: a loud warning is printed and stored in the
    report.

Not a defence against kernel exploits, nor against using up CPU or memory beyond the
timeouts.
"""
import importlib.util
import itertools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from week5.fashion_mnist import decoded_dir

__all__ = ['ISOLATIONS', 'DESCRIPTIONS', 'Sandbox', 'make_sandbox', 'run_processes',
           'shared_data_dir']

ISOLATIONS = ('bubblewrap', 'user', 'none')
NOBODY = 65534
# Bound read-only into runs: the course package and the grader's own package with its
# driver -- but not the answer keys beside it (instructor/keys).
WEEK5_DIR = Path(importlib.util.find_spec('week5').origin).parent
INSTRUCTOR_DIR = Path(__file__).resolve().parents[1]
RUN_CODE = (WEEK5_DIR, INSTRUCTOR_DIR / '__init__.py', INSTRUCTOR_DIR / 'grading')
RUN_PATH = os.pathsep.join(sorted({str(WEEK5_DIR.parent), str(INSTRUCTOR_DIR.parent)}))
# The only /etc files a run sees (no passwd hashes, keys or the instructor's configuration).
ETC_FILES = ('ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'passwd', 'group', 'nsswitch.conf',
             'localtime', 'timezone', 'hosts', 'fonts', 'mime.types', 'os-release', 'alternatives')
SYSTEM_DIRS = ('usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32')
DESCRIPTIONS = {
    'bubblewrap': 'bubblewrap (user, pid and network namespaces; read-only system; own scratch '
                  'folder only)',
    'user': 'separate user nobody (no namespaces: the network and world-readable files were '
            'reachable)',
    'none': "NONE - student code ran with the grader's permissions"}
WARNING_NONE = ('WARNING: no isolation: student code runs with your permissions and can read '
                'and change your files, other submissions and the report. Install bubblewrap '
                '(apt-get install bubblewrap) or grade in a throwaway account.')


def _python_roots():
    """Folders holding the interpreter and its packages (the venv and its base Python)."""
    roots = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    roots.add(Path(os.path.realpath(sys.executable)).parents[1])
    roots = sorted(r for r in roots if not any(r.is_relative_to(f'/{d}') for d in SYSTEM_DIRS))
    return [r for r in roots if not any(r != o and r.is_relative_to(o) for o in roots)]


@dataclass
class Sandbox:
    """How runs are sealed off; `command()` wraps the driver, `kill()` ends a run."""
    isolation: str
    root: Path                               # holds the scratch folders, 0711
    data_dir: Path = None                    # decoded Fashion-MNIST, shared read-only
    markers: dict = field(default_factory=dict)
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def description(self):
        return DESCRIPTIONS[self.isolation]

    def scratch(self):
        """A new empty scratch folder for one run, with home, cache and tmp inside."""
        path = self.root / f'run{next(self._numbers):04d}'   # next() is atomic: jobs share us
        for sub in ('', 'home', 'cache', 'tmp', 'work'):
            (path / sub).mkdir(mode=0o700)
        if self.data_dir is not None:
            (path / 'cache' / 'fashion-mnist').mkdir()
            decoded = path / 'cache' / 'fashion-mnist' / 'decoded'
            if self.isolation == 'bubblewrap':
                decoded.mkdir()                  # the mount point of the read-only copy
            else:
                decoded.symlink_to(self.data_dir)
        if self.isolation == 'user':
            for p in [path, *path.rglob('*')]:
                os.lchown(p, NOBODY, NOBODY)
        return path

    def env(self, scratch, extra):
        home = scratch / 'home'
        env = {'PATH': f'{Path(sys.executable).parent}:/usr/bin:/bin', 'HOME': str(home),
               'LANG': 'C.UTF-8', 'PYTHONPATH': RUN_PATH,
               'PYTHONDONTWRITEBYTECODE': '1', 'WEEK5_CACHE': str(scratch / 'cache'),
               'XDG_CACHE_HOME': str(home / '.cache'), 'XDG_CONFIG_HOME': str(home / '.config'),
               'XDG_DATA_HOME': str(home / '.local' / 'share'),
               'MPLCONFIGDIR': str(home / '.matplotlib'), 'IPYTHONDIR': str(home / '.ipython'),
               'JUPYTER_CONFIG_DIR': str(home / '.jupyter'),
               'JUPYTER_DATA_DIR': str(home / '.local' / 'share' / 'jupyter'),
               'JUPYTER_RUNTIME_DIR': str(home / '.jupyter' / 'runtime'),
               'TMPDIR': '/tmp' if self.isolation == 'bubblewrap' else str(scratch / 'tmp')}
        env.update(extra)
        return env

    def command(self, scratch, argv, env):
        """(argv, Popen keyword arguments) that run `argv` sealed in `scratch`."""
        marker = secrets.token_hex(8)
        self.markers[str(scratch)] = marker
        env = dict(env, WEEK5_GRADE_RUN=marker)
        if self.isolation != 'bubblewrap':
            kwargs = {'env': env, 'cwd': scratch / 'work'}
            if self.isolation == 'user':
                kwargs.update(user=NOBODY, group=NOBODY, extra_groups=[])
            return argv, kwargs
        return self._bwrap(scratch, env) + list(argv), {}

    def _bwrap(self, scratch, env):
        args = ['bwrap', '--unshare-all', '--unshare-user', '--uid', str(NOBODY), '--gid',
                str(NOBODY), '--disable-userns', '--die-with-parent', '--new-session',
                '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp']
        for name in SYSTEM_DIRS:
            path = Path('/') / name
            if path.is_symlink():
                args += ['--symlink', os.readlink(path), str(path)]
            elif path.is_dir():
                args += ['--ro-bind', str(path), str(path)]
        for name in ETC_FILES:
            args += ['--ro-bind-try', f'/etc/{name}', f'/etc/{name}']
        for root in _python_roots() + list(RUN_CODE):
            args += ['--ro-bind', str(root), str(root)]
        args += ['--bind', str(scratch), str(scratch)]
        if self.data_dir is not None:
            args += ['--ro-bind', str(self.data_dir), str(scratch / 'cache' / 'fashion-mnist' / 'decoded')]
        args += ['--chdir', str(scratch / 'work'), '--clearenv']
        for key, value in env.items():
            args += ['--setenv', key, value]
        return args

    def kill(self, proc, scratch):
        """Kill everything the run in `scratch` started; wait for `proc`."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        if self.isolation != 'bubblewrap':  # no PID namespace: hunt the run's processes down
            marker = self.markers.get(str(scratch), '')
            for _ in range(20):
                pids = run_processes(marker)
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                time.sleep(0.05)

    def remove(self, scratch):
        """Delete a finished run's scratch folder."""
        self.markers.pop(str(scratch), None)
        shutil.rmtree(scratch, ignore_errors=True)

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


def run_processes(marker):
    """Pids of live processes whose environment carries ``WEEK5_GRADE_RUN=marker``."""
    if not marker or not Path('/proc').is_dir():
        return []
    needle = f'WEEK5_GRADE_RUN={marker}'.encode()
    pids = []
    for d in Path('/proc').iterdir():
        if d.name.isdigit():
            try:
                if needle in (d / 'environ').read_bytes().split(b'\0'):
                    pids.append(int(d.name))
            except OSError:
                continue
    return pids


def _works(sandbox):
    """Can a run start under this sandbox (the driver module imports)?"""
    scratch = sandbox.scratch()
    argv, kwargs = sandbox.command(scratch, [sys.executable, '-c', 'import instructor.grading.driver'],
                                   sandbox.env(scratch, {}))
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                              **kwargs)
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        sandbox.remove(scratch)
    return proc.returncode == 0


def shared_data_dir():
    """The decoded Fashion-MNIST files of this user's cache, shared read-only with the runs
    (None when they are not there: each run then finds or downloads its own)."""
    decoded = decoded_dir()
    return decoded if decoded.is_dir() else None


def make_sandbox(isolation='auto', data_dir=None):
    """The strongest working isolation (or the one asked for); raises ValueError naming
    ``isolation`` and the fix when the one asked for does not work here."""
    if isolation not in ('auto',) + ISOLATIONS:
        raise ValueError(f'isolation must be one of auto, {", ".join(ISOLATIONS)}; got {isolation!r}')
    root = Path(tempfile.mkdtemp(prefix='week5-grade-'))
    root.chmod(0o711)
    shared = None
    if data_dir is not None and Path(data_dir).is_dir():
        shared = root / 'data'
        shutil.copytree(data_dir, shared)
        for p in [shared, *shared.rglob('*')]:
            p.chmod(0o555 if p.is_dir() else 0o444)
    candidates = ISOLATIONS if isolation == 'auto' else (isolation,)
    for level in candidates:
        if level == 'bubblewrap' and shutil.which('bwrap') is None:
            continue
        if level == 'user' and os.geteuid() != 0:
            continue
        sandbox = Sandbox(level, root, shared)
        if level == 'none' or _works(sandbox):
            return sandbox
    shutil.rmtree(root, ignore_errors=True)
    fixes = {'bubblewrap': 'install bubblewrap (apt-get install bubblewrap) and allow user '
                           'namespaces (sysctl kernel.unprivileged_userns_clone=1)',
             'user': 'run the grader as root, with Python installed where user nobody can '
                     'read it'}
    raise ValueError(f'isolation={isolation!r} does not work on this machine: {fixes[isolation]}; '
                     'or pass isolation="auto"')
