"""Grading a class end to end: collected downloads graded, a real Dask scheduler and two
workers on 127.0.0.1 (one killed mid-run), and a SIGTERM followed by the same command.

All slow (each sealed run starts a kernel); the class is three students of the small
``flops`` reference notebook so the whole file stays within a few minutes on 2 cores.
"""
import csv
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    'platforms', Path(__file__).parent / 'fixtures' / 'grading' / 'platforms.py')
platforms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(platforms)
canvas_zip, moodle_zip, classroom_repos = platforms.canvas_zip, platforms.moodle_zip, platforms.classroom_repos

_spec = importlib.util.spec_from_file_location(
    'build_class', Path(__file__).parent / 'fixtures' / 'grading' / 'build_class.py')
build_class = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_class)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
REFERENCE = build_class.REFERENCE
FLOPS = 'flops.ipynb'
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
BOUND = 600   # seconds any one command may take before the test fails (bounds the work)


def grade_cmd(subs, out, *extra):
    return [sys.executable, '-m', 'instructor.grading', str(subs), '--reference', str(REFERENCE),
            '--out', str(out), '--timeout', '60', *extra]


def rows_without_seconds(path):
    """The report's rows without the measured wall times (which differ between any two runs)."""
    with open(path, newline='') as f:
        return [{k: v for k, v in r.items() if k != 'seconds'} for r in csv.DictReader(f)]


@pytest.fixture(scope='module')
def small_class(tmp_path_factory):
    """Three students of the flops notebook: right, wrong, raising."""
    root = tmp_path_factory.mktemp('class') / 'subs'
    for student, answer in (('amy', 'flops = 2 * 512 * 2048 * 256'), ('ben', 'flops = 3'),
                            ('cat', 'flops = undefined_name')):
        build_class.write(root, student, FLOPS, build_class.submission(FLOPS, {'ex1': answer}))
    return root


@pytest.fixture(scope='module')
def local_report(small_class, tmp_path_factory):
    out = tmp_path_factory.mktemp('local') / 'report.csv'
    proc = subprocess.run(grade_cmd(small_class, out, '--jobs', '2'), capture_output=True, text=True,
                          timeout=BOUND, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return out


def test_the_local_run_grades_each_student_as_answered(local_report):
    rows = {r['student']: r for r in rows_without_seconds(local_report) if r['notebook'] == FLOPS}
    assert [rows[s]['passed'] for s in ('amy', 'ben', 'cat')] == ['1', '0', '0']
    assert rows['cat']['status'] == 'errors' and 'NameError' in rows['cat']['errored_cells']


def test_collected_downloads_are_graded_once_each_with_gradebook_and_feedback(tmp_path):
    for platform, source in (('canvas', canvas_zip(tmp_path / 'canvas.zip')),
                             ('moodle', moodle_zip(tmp_path / 'moodle.zip')),
                             ('classroom', classroom_repos(tmp_path / 'repos'))):
        subs, out, fb = tmp_path / platform, tmp_path / f'{platform}.csv', tmp_path / f'fb-{platform}'
        proc = subprocess.run([sys.executable, '-m', 'instructor.grading', 'collect', str(source), '--from',
                               platform, '--out', str(subs), '--reference', str(REFERENCE)],
                              capture_output=True, text=True, timeout=120, env=ENV)
        assert proc.returncode == 0, proc.stderr
        intake = json.loads((subs / 'intake.json').read_text())
        placed = {(s, nb) for s, info in intake['students'].items() for nb in info['notebooks']}
        extra = ['--feedback', str(fb)] + (['--gradebook', platform] if platform != 'classroom' else [])
        if platform == 'canvas':     # without its export, Canvas needs the column as it heads it
            extra += ['--assignment', 'Week 5 (1234)']
        proc = subprocess.run(grade_cmd(subs, out, '--jobs', '2', *extra), capture_output=True,
                              text=True, timeout=BOUND, env=ENV)
        assert proc.returncode == 0, proc.stderr
        with open(out, newline='') as f:
            rows = [r for r in csv.DictReader(f) if r['notebook'] != 'TOTAL']
        graded = [(r['student'], r['notebook']) for r in rows if r['status'] != 'missing']
        assert sorted(graded) == sorted(placed), platform           # every placed file, once
        assert proc.stderr.count('started ') == len(placed)
        for student, notebook in {(r['student'], r['notebook']) for r in rows}:
            assert (fb / student / notebook.replace('.ipynb', '.md')).is_file()
        if platform != 'classroom':
            book = list(csv.reader(open(out.with_suffix(f'.{platform}.csv'))))
            ids = {info['id'] for info in intake['students'].values()}
            id_col = 1 if platform == 'canvas' else 0
            assert {r[id_col].replace('Participant ', '') for r in book[1:] if r[0].strip() != 'Points Possible'} == ids


def _start(argv, log):
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=ENV, start_new_session=True)


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes (no nanny) on 127.0.0.1."""
    from distributed import Client
    sched_file = tmp_path / 'scheduler.json'
    log = open(tmp_path / 'dask.log', 'wb')
    procs = [_start([sys.executable, '-m', 'dask', 'scheduler', '--host', '127.0.0.1', '--port', '0',
                     '--no-dashboard', '--scheduler-file', str(sched_file)], log)]
    try:
        deadline = time.monotonic() + 120
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = {}
        for name in ('w1', 'w2'):
            p = _start([sys.executable, '-m', 'dask', 'worker', '--scheduler-file', str(sched_file),
                        '--host', '127.0.0.1', '--nthreads', '1', '--no-nanny', '--no-dashboard',
                        '--name', name], log)
            procs.append(p)
            workers[p.pid] = p
        address = json.loads(sched_file.read_text())['address']
        with Client(address, timeout='60s') as client:
            client.wait_for_workers(2, timeout=120)
        yield address, workers
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()


def test_a_scheduler_with_two_workers_gives_the_local_report(dask_cluster, small_class, local_report, tmp_path):
    address, _ = dask_cluster
    out = tmp_path / 'report.csv'
    proc = subprocess.run(grade_cmd(small_class, out, '--scheduler', address), capture_output=True,
                          text=True, timeout=BOUND, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert rows_without_seconds(out) == rows_without_seconds(local_report)
    assert proc.stderr.count('started ') == 3


def test_killing_a_worker_mid_run_loses_nothing(dask_cluster, small_class, local_report, tmp_path):
    address, workers = dask_cluster
    out = tmp_path / 'report.csv'
    grader = subprocess.Popen(grade_cmd(small_class, out, '--scheduler', address), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=ENV)
    killed = None
    try:
        for line in grader.stderr:          # the grader says where each run started
            if line.startswith('started ') and killed is None:
                pid = int(line.rsplit('(pid ', 1)[1].split(')')[0])
                assert pid in workers, line
                os.kill(pid, signal.SIGKILL)   # that worker is running a sealed run now
                killed = line.split()[1]
        stdout = grader.stdout.read()
        assert grader.wait(timeout=BOUND) == 0
    finally:
        if grader.poll() is None:
            grader.kill()
    assert killed is not None
    assert rows_without_seconds(out) == rows_without_seconds(local_report)   # complete, identical
    assert f'{killed}: run again on ' in stdout and 'was lost mid-run' in stdout


def test_sigterm_then_the_same_command_resumes_to_the_identical_report(small_class, local_report, tmp_path):
    out = tmp_path / 'report.csv'
    stored = Path(f'{out}.runs')
    cmd = grade_cmd(small_class, out, '--jobs', '1')
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        deadline = time.monotonic() + BOUND
        while not list(stored.rglob('*.json')) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        first.send_signal(signal.SIGTERM)      # one run is stored, the others are not
        assert first.wait(timeout=120) == 130, first.stderr.read()
    finally:
        if first.poll() is None:
            first.kill()
    assert not out.exists()
    done = len(list(stored.rglob('*.json')))
    assert 1 <= done < 3
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=BOUND, env=ENV)
    assert second.returncode == 0, second.stderr
    assert f'{done} of 3 runs stored by an earlier run' in second.stderr
    assert second.stderr.count('started ') == 3 - done       # only the unfinished ones
    assert rows_without_seconds(out) == rows_without_seconds(local_report)
