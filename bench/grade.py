"""How fast `python -m instructor.grading` grades a class: notebooks per minute, overheads, projection.

Builds N student submissions from the chapter notebooks' reference solutions
(`python -m instructor.sources --solutions`): student i hands in chapter 01..05 in turn, and
every third student gets one answer wrong so failing checks are exercised too. Then grades
them (the real command, timed from outside) with 1 and 2 local workers and through a
local `dask scheduler` with 2 `dask worker` processes, and prints notebooks per minute for
each, the per-run overheads (cluster dispatch, sandbox start, kernel start; from the run
records), and the projection for 300 students x 7 notebooks at 16, 64 and 256 worker cores.

    .venv/bin/python bench/grade.py                 # 10 submissions, chapters 01-05
    .venv/bin/python bench/grade.py -n 4 --chapters 01_lenet

Other processes share the CPU: compare the ratios, not absolute seconds across runs.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from instructor import sources

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ['01_lenet', '02_alexnet', '03_vgg', '04_nin', '05_googlenet']


def spoil(nb):
    """Give a wrong answer to the first answer-style exercise (`name = value`)."""
    for cell in nb.cells:
        if 'exercise' in cell.metadata.get('tags', []) and '\ndef ' not in '\n' + cell.source:
            name = cell.source.split('=')[0].strip()
            if name.isidentifier():
                cell.source = f'{name} = 1  # a wrong answer'
                return True
    return False


def write_solutions(out, chapters):
    """Solved copies of the reference notebooks (their exercise cells hold the answers),
    made with instructor.sources' own function, without touching notebooks/."""
    out.mkdir(parents=True)
    for chapter in chapters:
        reference = json.loads((ROOT / 'notebooks' / f'{chapter}.ipynb').read_text(encoding='utf-8'))
        solved = sources.solved_notebook(sources.SRC_DIR / f'{chapter}.nbsrc', reference)
        (out / f'{chapter}.ipynb').write_text(sources.dumps(solved), encoding='utf-8')
    return out


def make_class(solutions, out, n, chapters):
    for i in range(n):
        chapter = chapters[i % len(chapters)]
        nb = nbformat.read(str(solutions / f'{chapter}.ipynb'), as_version=4)
        if i % 3 == 2:
            spoil(nb)
        student = out / f'student{i:02d}'
        student.mkdir(parents=True)
        nbformat.write(nb, str(student / f'{chapter}.ipynb'))


def grade_once(subs, report, isolation, jobs=None, scheduler=None):
    """Grade the class once; (wall seconds, graded rows, stdout, run records) or None on failure."""
    where = ['--scheduler', scheduler] if scheduler else ['--jobs', str(jobs)]
    start = time.monotonic()
    proc = subprocess.run([sys.executable, '-m', 'instructor.grading', str(subs),
                           '--reference', str(ROOT / 'notebooks'), '--out', str(report),
                           '--isolation', isolation, *where],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, sep='\n')
        return None
    # every student gets a `missing` row for the chapters others handed in: not graded
    rows = [r for r in csv.DictReader(open(report))
            if r['notebook'] != 'TOTAL' and r['status'] != 'missing']
    runs = [json.loads(p.read_text())['run'] for p in Path(f'{report}.runs').rglob('*.json')]
    return wall, rows, proc.stdout, runs


def dispatch_overhead(n=20):
    """(seconds to start a local cluster of 2 workers, median round trip of a no-op task)."""
    from distributed import Client, LocalCluster
    start = time.monotonic()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        started = time.monotonic() - start
        client.submit(os.getpid, pure=False).result()
        trips = []
        for _ in range(n):
            t = time.monotonic()
            client.submit(os.getpid, pure=False).result()
            trips.append(time.monotonic() - t)
    return started, statistics.median(trips)


def start_scheduler(tmp, workers=2):
    """`dask scheduler` + `dask worker` processes on 127.0.0.1: (address, processes)."""
    sched_file = tmp / 'scheduler.json'
    procs = [subprocess.Popen([sys.executable, '-m', 'dask', 'scheduler', '--host', '127.0.0.1',
                               '--port', '0', '--no-dashboard', '--scheduler-file', str(sched_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    while not sched_file.exists():
        time.sleep(0.2)
    for i in range(workers):
        procs.append(subprocess.Popen([sys.executable, '-m', 'dask', 'worker', '--scheduler-file',
                                       str(sched_file), '--host', '127.0.0.1', '--nthreads', '1',
                                       '--no-dashboard', '--name', f'bench{i}'],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    address = json.loads(sched_file.read_text())['address']
    from distributed import Client
    with Client(address) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-n', type=int, default=10, help='submissions (default: 10)')
    parser.add_argument('--chapters', nargs='+', default=CHAPTERS)
    parser.add_argument('--isolation', default='auto', choices=['auto', 'bubblewrap', 'user', 'none'])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='week5-bench-grade-') as tmp:
        tmp = Path(tmp)
        solutions = write_solutions(tmp / 'solutions', args.chapters)
        subs = tmp / 'submissions'
        make_class(solutions, subs, args.n, args.chapters)
        measured = {}
        configs = [('1 local worker', {'jobs': 1}), ('2 local workers', {'jobs': 2}),
                   ('scheduler + 2 workers', {'scheduler': True})]
        for label, where in configs:
            procs = []
            if where.get('scheduler'):
                where['scheduler'], procs = start_scheduler(tmp)
            try:
                graded = grade_once(subs, tmp / f'report-{label[0]}-{len(measured)}.csv', args.isolation, **where)
            finally:
                for p in procs:
                    p.terminate()
                    p.wait()
            if graded is None:
                return 1
            wall, rows, stdout, runs = graded
            measured[label] = (wall, rows, runs)
            print(f'{label:<24} {len(rows)} notebooks in {wall:.0f} s: '
                  f'{60 * len(rows) / wall:.2f} notebooks/minute (isolation {rows[0]["isolation"]})')
        cluster_start, trip = dispatch_overhead()
        runs = [r for _, _, rs in measured.values() for r in rs]
        startup = statistics.median(r['startup_seconds'] for r in runs if r.get('startup_seconds'))
        kernel = statistics.median(r['kernel_seconds'] for r in runs if r.get('kernel_seconds'))
        per_nb = statistics.median(r['seconds'] for r in measured['1 local worker'][2])
        wall2, rows2, _ = measured['2 local workers']
        core_s = 2 * wall2 / len(rows2)     # core-seconds per notebook with both cores busy
        print(f'\nper-run overheads (medians of {len(runs)} runs):')
        print(f'  cluster dispatch       {1000 * trip:.0f} ms per task round trip '
              f'(local cluster start: {cluster_start:.1f} s, once per grading)')
        print(f'  sandbox start          {startup - kernel:.2f} s (bubblewrap + driver import, to the kernel start)')
        print(f'  kernel start           {kernel:.2f} s')
        print(f'  whole run, 1 worker    {per_nb:.1f} s per notebook; {core_s:.1f} core-seconds per '
              'notebook with 2 workers on 2 cores')
        total = 300 * 7
        print(f'\nprojection for 300 students x 7 notebooks = {total} runs '
              f'({core_s:.1f} core-s each + {trip:.2f} s dispatch):')
        for cores in (16, 64, 256):
            waves = -(-total // cores)
            hours = (waves * (core_s + trip) + cluster_start) / 3600
            print(f'  {cores:>3} worker cores   {hours:5.2f} h ({waves} runs per core)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
