"""Grade a folder of student notebooks against the reference notebooks, each run sealed off.

    python -m instructor.grading SUBMISSIONS_DIR [--reference notebooks/] [--out report.csv]
                                 [--timeout 300] [--notebook-timeout 900] [--jobs 2]
                                 [--isolation auto|bubblewrap|user|none]
    python -m instructor.grading --check report.csv

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
3. The copy runs in its own scratch folder, sealed off by ``instructor.grading.sandbox`` (bubblewrap
   where available: no other files, no network, every process killed afterwards), driven
   by ``instructor.grading.driver``, which reports each cell over a pipe. In the kernel
   ``WEEK5_GRADE_ANSWERS=1`` makes each check print the student's *answer* as data
   (``[week5 answer] {...}``), not a verdict.
4. This process judges the answers with ``instructor.keys`` (``keys.grade``: the
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

Points: ``--policy grading.toml`` weighs the exercises, sets deadlines (or ``--deadline``),
the late penalty and the items graded by hand (``hand`` exports them, ``--hand`` reads
them back); ``--roster`` lists every student, so one without a file is ``missing``. The
report adds ``points``, ``max_points``, ``hand_points`` and the lateness; the class
statistics follow the table (``--stats`` writes them as CSV). See ``policy`` and
``classwork``.
"""
import argparse
import signal
import sys
from pathlib import Path

from . import classwork
from .batch import grade
from .feedback import write_feedback
from .gradebook import GRADEBOOKS, write_gradebook
from .intake import MAX_FILE_BYTES, PLATFORMS, collect, read_intake
from .report import check_report, format_table, records_path, stored_runs_path, write_report
from .runs import DEFAULT_CELL_TIMEOUT, DEFAULT_INTERRUPT_GRACE, DEFAULT_NOTEBOOK_TIMEOUT
from .sandbox import ISOLATIONS

__all__ = ['main']


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f'signal {signum}')


def collect_main(argv):
    parser = argparse.ArgumentParser(
        prog='python -m instructor.grading collect',
        description='Map a learning platform\'s download to SUBMISSIONS/<student>/<notebook>.ipynb, '
                    'keeping the platform\'s ids, the latest resubmission and lateness, and '
                    'reporting every file it could not place.')
    parser.add_argument('source', metavar='ARCHIVE_OR_FOLDER', help='the zip the platform gave, or a folder')
    parser.add_argument('--from', dest='platform', choices=tuple(PLATFORMS),
                        help='the platform whose naming scheme the download follows')
    parser.add_argument('--pattern', help='instead of --from: a regular expression over the paths in '
                        'the download with named groups student and file (optional: id, name, late, attempt)')
    parser.add_argument('--out', required=True, help='the submissions folder to write (new or empty)')
    parser.add_argument('--reference', default=None,
                        help='folder of reference notebooks the files are matched to (default: notebooks/)')
    parser.add_argument('--assignment', help='classroom: the repositories\' "{assignment}-" prefix '
                        '(default: what all repository folders share)')
    parser.add_argument('--max-file-mb', type=float, default=MAX_FILE_BYTES / 2**20,
                        help='larger files are not unpacked (default: %(default)g)')
    args = parser.parse_args(argv)
    if args.platform is None and args.pattern is None:
        parser.error('pass --from canvas|moodle|classroom, or --pattern for another platform')
    try:
        intake = collect(args.source, args.platform, args.out, args.reference, args.pattern,
                         args.assignment, max_file_bytes=int(args.max_file_mb * 2**20))
    except ValueError as e:
        parser.error(str(e))
    print('\n'.join(intake.summary()))
    print(f'\nsubmissions written to {args.out} (ids, lateness and the files not placed: '
          f'{args.out}/intake.json)')
    return 0 if intake.placed else 1


def _parser():
    """The command line of ``python -m instructor.grading`` (grading a class)."""
    parser = argparse.ArgumentParser(
        prog='python -m instructor.grading',
        description='Run every student notebook sealed off, judge the exercise answers outside '
                    'the students\' kernels and report the checks passed, failed and the cells '
                    'that raised. `python -m instructor.grading collect --help`: intake from Canvas, '
                    'Moodle or GitHub Classroom.',
        epilog='Layout: SUBMISSIONS_DIR/<student>/<notebook>.ipynb, names as in --reference.')
    parser.add_argument('submissions_dir', nargs='?')
    parser.add_argument('--reference', default=None,
                        help='folder of reference notebooks (default: notebooks/)')
    parser.add_argument('--out', default='report.csv', help='CSV report path (default: report.csv)')
    parser.add_argument('--timeout', type=float, default=DEFAULT_CELL_TIMEOUT,
                        help=f'seconds one cell may run (default: {DEFAULT_CELL_TIMEOUT})')
    parser.add_argument('--notebook-timeout', type=float, default=DEFAULT_NOTEBOOK_TIMEOUT,
                        help=f'seconds one notebook may run in all (default: {DEFAULT_NOTEBOOK_TIMEOUT})')
    parser.add_argument('--jobs', type=int, default=2,
                        help='worker processes of the local cluster (default: 2; ignored with --scheduler)')
    parser.add_argument('--scheduler', metavar='tcp://HOST:PORT',
                        help='run the sealed runs on the workers of this Dask scheduler')
    parser.add_argument('--interrupt-grace', type=float, default=DEFAULT_INTERRUPT_GRACE,
                        help='seconds a timed-out cell has to stop after the interrupt before its '
                             f'kernel is killed and restarted (default: {DEFAULT_INTERRUPT_GRACE})')
    parser.add_argument('--profile', default='quick', help='WEEK5_PROFILE for the runs (default: quick)')
    parser.add_argument('--notebook', action='append', dest='notebooks', metavar='NAME',
                        help='grade only this notebook (repeatable), e.g. 03_vgg')
    parser.add_argument('--isolation', choices=('auto',) + ISOLATIONS, default=None,
                        help='how runs are sealed off (default: $WEEK5_GRADE_ISOLATION or auto, '
                             'the strongest that works here)')
    parser.add_argument('--gradebook', choices=GRADEBOOKS,
                        help='also write the platform\'s gradebook import CSV (<out>.<platform>.csv)')
    parser.add_argument('--gradebook-export', metavar='CSV',
                        help='the gradebook (Canvas) or grading worksheet (Moodle) the platform '
                             'exported: its rows and columns are kept, the grades filled in')
    parser.add_argument('--assignment', default='week5',
                        help='Canvas: the assignment column to fill: its name in --gradebook-export, '
                             'else "NAME (ID)" as Canvas heads it (default: week5)')
    parser.add_argument('--feedback', metavar='DIR',
                        help='write per student and notebook an HTML page and a Markdown file in '
                             'DIR (and, from Canvas, the bulk-upload zip DIR/canvas-feedback.zip)')
    classwork.add_arguments(parser)
    parser.add_argument('--check', metavar='REPORT',
                        help='re-verify a written report against its run records and exit')
    return parser


def _check(report):
    """``--check REPORT``: re-verify a written report against its run records."""
    problems = check_report(report)
    for p in problems:
        print(p)
    print(f'{report}: ' + ('matches its run records' if not problems
                           else f'{len(problems)} problem(s)'))
    return 1 if problems else 0


def _write_results(results, args, intake, parser):
    """The report, the table, and what the options ask for: gradebook, feedback, hand-backs."""
    write_report(results, args.out)
    print(format_table(results))
    reruns = [r for r in results if r.rerun]
    if reruns:
        print(f'\n{len(reruns)} run(s) were run again because their worker was lost:')
        print('\n'.join(f'  {r.student}/{r.notebook}: {r.rerun}' for r in reruns))
    print(f'\nreport written to {args.out} (run records: {records_path(args.out)})')
    if args.gradebook:
        path = Path(args.out).with_suffix(f'.{args.gradebook}.csv')
        try:
            warnings = write_gradebook(results, intake, args.gradebook, path, args.assignment,
                                       args.gradebook_export)
        except ValueError as e:
            parser.error(str(e))
        print('\n'.join(warnings + [f'{args.gradebook} gradebook import written to {path}']))
    if args.feedback:
        paths = write_feedback(results, args.feedback, intake)
        print(f'{len(paths)} feedback file(s) written to {args.feedback}')
    classwork.hand_back(results, args, intake)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ['collect']:     # a submissions folder named "collect": pass ./collect
        return collect_main(argv[1:])
    if argv[:1] == ['hand']:        # likewise ./hand
        return classwork.hand_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.check:
        return _check(args.check)
    if args.submissions_dir is None:
        parser.error('submissions_dir is required (or --check REPORT)')
    intake = read_intake(args.submissions_dir) if Path(args.submissions_dir).is_dir() else None
    if args.gradebook and intake is None:
        parser.error('--gradebook needs the platform ids that collect keeps: run `python -m '
                     'instructor.grading collect ... --out SUBMISSIONS/` and grade that folder')
    try:
        policy, hand, roster = classwork.setup(args, intake)
    except ValueError as e:
        parser.error(str(e))
    records = stored_runs_path(args.out)
    signal.signal(signal.SIGTERM, _interrupt)    # a killed job stores what it finished
    try:
        results = grade(args.submissions_dir, args.reference, jobs=args.jobs,
                        cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                        profile=args.profile, notebooks=args.notebooks, isolation=args.isolation,
                        interrupt_grace=args.interrupt_grace, scheduler=args.scheduler,
                        records_dir=records,
                        progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    except ValueError as e:
        parser.error(str(e))
    except KeyboardInterrupt:
        print(f'interrupted: the finished runs are stored in {records}; run the same command '
              'again to grade the rest', file=sys.stderr, flush=True)
        return 130
    _write_results(classwork.finish(results, args, intake, policy, hand, roster), args, intake,
                   parser)
    return 0


if __name__ == '__main__':
    sys.exit(main())
