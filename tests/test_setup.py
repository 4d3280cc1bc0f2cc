"""scripts/setup.sh refuses interpreters other than 3.11 with a message saying what to do."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _fake_python(bindir, version):
    bindir.mkdir(parents=True, exist_ok=True)
    major, minor = version
    for name in ['python3', 'python', f'python{major}.{minor}']:
        p = bindir / name
        p.write_text('#!/bin/sh\n'
                     f'if [ "$1" = "-c" ]; then exit $(( {minor} == 11 ? 0 : 1 )); fi\n'
                     f'if [ "$1" = "--version" ]; then echo "Python {major}.{minor}.0"; exit 0; fi\n'
                     'exit 3\n')
        p.chmod(0o755)


def _run_setup(tmp_path, version):
    bindir = tmp_path / 'bin'
    _fake_python(bindir, version)
    tools = tmp_path / 'tools'
    tools.mkdir()
    for tool in ['bash', 'dirname', 'id', 'cat', 'env']:
        src = subprocess.run(['which', tool], capture_output=True, text=True).stdout.strip()
        if src:
            os.symlink(src, tools / tool)
    env = {'PATH': f'{bindir}:{tools}', 'VENV': str(tmp_path / 'venv'), 'HOME': str(tmp_path)}
    return subprocess.run(['bash', str(ROOT / 'scripts' / 'setup.sh')], env=env,
                          capture_output=True, text=True, timeout=60)


def test_python_312_is_refused_with_a_clear_message(tmp_path):
    res = _run_setup(tmp_path, (3, 12))
    assert res.returncode == 1
    assert 'no Python 3.11 interpreter found' in res.stderr
    assert 'Python 3.12.0' in res.stderr
    assert 'numpy < 1.24' in res.stderr
    assert 'PYTHON=' in res.stderr
    assert not (tmp_path / 'venv').exists()


def test_setup_accepts_python_311_from_PYTHON_variable():
    # The real interpreter running these tests is 3.11: the check setup.sh uses accepts it.
    check = 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'
    assert subprocess.run([sys.executable, '-c', check]).returncode == 0
    assert check in (ROOT / 'scripts' / 'setup.sh').read_text()


def test_ci_runs_the_readme_commands():
    readme = (ROOT / 'README.md').read_text()
    ci = (ROOT / '.ci' / 'run').read_text()
    assert 'make lab' in readme and 'make test' in readme
    assert 'make setup' in ci and 'make test' in ci
    makefile = (ROOT / 'Makefile').read_text()
    assert 'lab: setup' in makefile and 'test: setup' in makefile
