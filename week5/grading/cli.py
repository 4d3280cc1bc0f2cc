"""Grade a folder of student notebooks against the reference notebooks, each run sealed off.

    python -m week5.grade SUBMISSIONS_DIR [--reference notebooks/] [--out report.csv]
                          [--timeout 300] [--notebook-timeout 900] [--jobs 2]
                          [--isolation auto|bubblewrap|user|none]
    python -m week5.grade --check report.csv

Layout: one folder per student, holding notebooks named like the reference ones::

    SUBMISSIONS_DIR/alice/03_vgg.ipynb
    SUBMISSIONS_DIR/alice/05_googlenet.ipynb
    SUBMISSIONS_DIR/bob/03_vgg.ipynb

Every notebook name that at least one student submitted is graded for every student
(a student without it gets the status ``missing``, with the files in their folder whose
names are close, e.g. ``03_vgg (1).ipynb``). A name with no reference notebook is reported
as ``unknown-notebook``.

How one submission is graded (the grader's own process never runs student code):

1. All submissions and references are read into memory first. Invalid JSON or a file that
   is not a notebook gives the status ``unreadable`` with the reason.
2. A graded copy is built from the student's code cells, matched to the reference cells
   by cell id, else by identical source. A cell the student left unchanged is compared
   with the reference's outputs (nbval's rules and markers, ``sanitize.cfg``); a cell the
   student wrote or edited must run but is not compared, and nbval markers the student
   added are disarmed. Check cells always run with the reference's source, and are put
   back if the student deleted them.
3. The copy runs in its own scratch folder, sealed off by ``week5.grading.sandbox`` (bubblewrap
   where available: no other files, no network, every process killed afterwards), driven
   by ``week5.grading.driver``, which reports each cell over a pipe. In the kernel
   ``WEEK5_GRADE_ANSWERS=1`` makes each check print the student's *answer* as data
   (``[week5 answer] {...}``), not a verdict.
4. This process judges the answers with the instructor's ``keys/`` (``keys.grade``: the
   plain answers, and the hidden cases of each code exercise, ``<check>_hidden``; a pure function of the
   data). Text a kernel prints, patched checks or hooks can at most forge an answer.
   A check without an answer fails with the reason (its cell raised, timed out, the
   kernel died, not reached).

A cell that outlives ``--timeout`` is interrupted; one that ignores the interrupt is
killed with its kernel, and a new kernel runs the reference's setup cells so that the
later exercises are still graded. A kernel that dies is reported at once, as a crash.

The report lists, per student and notebook, the checks passed and failed (with reasons),
the cells that raised, timed out or crashed, the unchanged cells whose output differs from
the reference, and a total; per student a ``TOTAL`` row sums the notebooks. It is written
only after all runs, atomically, as CSV (``--out``), with the run records beside it
(``<out>.runs.json``, which ``--check`` re-judges and compares with the CSV), and printed
as a table headed by the isolation that was in force.
"""
import argparse
import sys

from .batch import grade
from .report import check_report, format_table, records_path, write_report
from .runs import DEFAULT_CELL_TIMEOUT, DEFAULT_INTERRUPT_GRACE, DEFAULT_NOTEBOOK_TIMEOUT
from .sandbox import ISOLATIONS

__all__ = ['main']


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m week5.grade',
        description='Run every student notebook sealed off, judge the exercise answers outside '
                    'the students\' kernels and report the checks passed, failed and the cells '
                    'that raised.',
        epilog='Layout: SUBMISSIONS_DIR/<student>/<notebook>.ipynb, names as in --reference.')
    parser.add_argument('submissions_dir', nargs='?')
    parser.add_argument('--reference', default=None,
                        help='folder of reference notebooks (default: notebooks/)')
    parser.add_argument('--out', default='report.csv', help='CSV report path (default: report.csv)')
    parser.add_argument('--timeout', type=float, default=DEFAULT_CELL_TIMEOUT,
                        help=f'seconds one cell may run (default: {DEFAULT_CELL_TIMEOUT})')
    parser.add_argument('--notebook-timeout', type=float, default=DEFAULT_NOTEBOOK_TIMEOUT,
                        help=f'seconds one notebook may run in all (default: {DEFAULT_NOTEBOOK_TIMEOUT})')
    parser.add_argument('--jobs', type=int, default=2, help='notebooks run at once (default: 2)')
    parser.add_argument('--interrupt-grace', type=float, default=DEFAULT_INTERRUPT_GRACE,
                        help='seconds a timed-out cell has to stop after the interrupt before its '
                             f'kernel is killed and restarted (default: {DEFAULT_INTERRUPT_GRACE})')
    parser.add_argument('--profile', default='quick', help='WEEK5_PROFILE for the runs (default: quick)')
    parser.add_argument('--notebook', action='append', dest='notebooks', metavar='NAME',
                        help='grade only this notebook (repeatable), e.g. 03_vgg')
    parser.add_argument('--isolation', choices=('auto',) + ISOLATIONS, default=None,
                        help='how runs are sealed off (default: $WEEK5_GRADE_ISOLATION or auto, '
                             'the strongest that works here)')
    parser.add_argument('--check', metavar='REPORT',
                        help='re-verify a written report against its run records and exit')
    args = parser.parse_args(argv)
    if args.check:
        problems = check_report(args.check)
        for p in problems:
            print(p)
        print(f'{args.check}: ' + ('matches its run records' if not problems
                                   else f'{len(problems)} problem(s)'))
        return 1 if problems else 0
    if args.submissions_dir is None:
        parser.error('submissions_dir is required (or --check REPORT)')
    try:
        results = grade(args.submissions_dir, args.reference, jobs=args.jobs,
                        cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                        profile=args.profile, notebooks=args.notebooks, isolation=args.isolation,
                        interrupt_grace=args.interrupt_grace,
                        progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    except ValueError as e:
        parser.error(str(e))
    write_report(results, args.out)
    print(format_table(results))
    print(f'\nreport written to {args.out} (run records: {records_path(args.out)})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
