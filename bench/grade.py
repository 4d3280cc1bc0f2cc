"""How long `python -m week5.grade` takes for a class: N submissions on 2 cores.

Builds N student submissions from the chapter notebooks' reference solutions
(`scripts/build_notebooks.py --solutions`): student i hands in chapter 01..05 in turn, and
every third student gets one answer wrong so failing checks are exercised too. Then grades
them with `--jobs 2` (the real command, timed from outside) and prints the wall
time against the 10-minute budget for 10 submissions, the sum of per-notebook times
(what one job would take) and the speed-up of running two at a time. With several
`--isolation` levels the same class is graded once per level and the cost of sealing the
runs is printed as a ratio against the first level.

    .venv/bin/python bench/grade.py                 # 10 submissions, chapters 01-05
    .venv/bin/python bench/grade.py -n 10 --chapters 03_vgg
    .venv/bin/python bench/grade.py --isolation none bubblewrap   # the cost of bubblewrap

Other processes share the CPU: compare the ratios, not absolute seconds across runs.
"""
import argparse
import csv
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 600  # the target: 10 submissions in under 10 minutes on 2 cores
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
    made with scripts/build_notebooks.py's own function, without touching notebooks/."""
    spec = importlib.util.spec_from_file_location('build_notebooks', ROOT / 'scripts' / 'build_notebooks.py')
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    out.mkdir(parents=True)
    for chapter in chapters:
        reference = json.loads((ROOT / 'notebooks' / f'{chapter}.ipynb').read_text(encoding='utf-8'))
        solved = build.solved_notebook(build.SRC_DIR / f'{chapter}.nbsrc', reference)
        (out / f'{chapter}.ipynb').write_text(build.dumps(solved), encoding='utf-8')
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


def grade_once(subs, report, jobs, isolation):
    """Grade the class once; (wall seconds, graded rows, stdout) or None on failure."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, '-m', 'week5.grade', str(subs),
                           '--reference', str(ROOT / 'notebooks'), '--out', str(report),
                           '--jobs', str(jobs), '--isolation', isolation],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, sep='\n')
        return None
    # every student gets a `missing` row for the chapters others handed in: not graded
    rows = [r for r in csv.DictReader(open(report))
            if r['notebook'] != 'TOTAL' and r['status'] != 'missing']
    return wall, rows, proc.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-n', type=int, default=10, help='submissions (default: 10)')
    parser.add_argument('--chapters', nargs='+', default=CHAPTERS)
    parser.add_argument('--jobs', type=int, default=2)
    parser.add_argument('--isolation', nargs='+', default=['auto'],
                        choices=['auto', 'bubblewrap', 'user', 'none'],
                        help='grade once per level; the first is the baseline (default: auto)')
    args = parser.parse_args(argv)
    walls = {}
    with tempfile.TemporaryDirectory(prefix='week5-bench-grade-') as tmp:
        tmp = Path(tmp)
        solutions = write_solutions(tmp / 'solutions', args.chapters)
        subs = tmp / 'submissions'
        make_class(solutions, subs, args.n, args.chapters)
        for isolation in args.isolation:
            graded = grade_once(subs, tmp / f'report-{isolation}.csv', args.jobs, isolation)
            if graded is None:
                return 1
            wall, rows, stdout = graded
            walls[isolation] = wall
            print('\n'.join(line for line in stdout.splitlines()
                            if ' missing' not in line and 'NOTE notebook not submitted' not in line))
            per_nb = [float(r['seconds']) for r in rows]
            print(f'isolation              {isolation} ({rows[0]["isolation"]})')
            print(f'submissions graded     {len(rows)} ({", ".join(sorted({r["notebook"] for r in rows}))})')
            print(f'wall time, --jobs {args.jobs}   {wall:.0f} s')
            print(f'sum of notebook times  {sum(per_nb):.0f} s (one at a time); '
                  f'speed-up of --jobs {args.jobs}: {sum(per_nb) / wall:.2f}x')
            print(f'slowest notebook       {max(per_nb):.0f} s; median {sorted(per_nb)[len(per_nb) // 2]:.0f} s')
            scaled = wall * 10 / len(rows)
            print(f'budget                 {scaled:.0f} s for 10 submissions vs {BUDGET_S} s: '
                  f'{scaled / BUDGET_S:.2f} of the budget ({"OK" if scaled < BUDGET_S else "OVER"})\n')
    if len(walls) > 1:
        base, *others = args.isolation
        for level in others:
            print(f'cost of {level} vs {base}: {walls[level] / walls[base]:.2f}x the wall time '
                  f'({walls[level] - walls[base]:+.0f} s for {args.n} submissions)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
