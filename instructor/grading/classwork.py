"""What the command line does with a class's results after the runs: the policy's points
(weights, lateness, hand grades), the roster's missing students, the class statistics and
the HTML feedback; and ``python -m instructor.grading hand`` (the hand-grading export).

``cli`` adds these options with :func:`add_arguments`, reads them with :func:`setup`
before any run (so a mistake in the policy stops the grading at once), calls
:func:`finish` on the results before the report and :func:`hand_back` after it.
"""
import argparse
import sys
from pathlib import Path

from .batch import find_submissions
from .exercises import exercise_titles
from .feedback_html import BULK_UPLOAD, write_feedback_html
from .handgrading import export_hand, read_hand
from .notebooks import default_reference_dir, expected_checks, load_notebook
from .policy import PolicyError, load_policy, notebook_stem, score_class
from .roster import add_missing, read_roster
from .stats import class_stats, format_stats, write_stats

__all__ = ['add_arguments', 'setup', 'finish', 'hand_back', 'hand_main']


def add_arguments(parser):
    parser.add_argument('--policy', metavar='TOML',
                        help='grading policy: points per exercise, deadlines, late penalty, '
                             'hand-graded items (default: 1 point per check)')
    parser.add_argument('--deadline', metavar='ISO',
                        help='deadline of every notebook the policy gives none, e.g. '
                             '2026-12-01T23:59 (UTC unless a zone is given)')
    parser.add_argument('--hand', metavar='DIR',
                        help='the hand-graded CSVs (`python -m instructor.grading hand`), filled in')
    parser.add_argument('--roster', metavar='CSV',
                        help='every student of the course (student column, Canvas gradebook '
                             'export, or one per line): who handed nothing in is "missing"')
    parser.add_argument('--stats', metavar='CSV',
                        help='also write the class statistics per exercise to this CSV')


def _references(reference_dir):
    folder = Path(reference_dir) if reference_dir is not None else default_reference_dir()
    return folder, {p.name: load_notebook(p) for p in sorted(folder.glob('*.ipynb'))}


def setup(args, intake):
    """(policy, hand grades, roster) from the options; ValueError names the option."""
    _, refs = _references(args.reference)
    known = {notebook_stem(n): expected_checks(nb) for n, nb in refs.items()}
    policy = load_policy(args.policy, args.deadline, known)
    hand = read_hand(args.hand, policy) if args.hand else {}
    roster = read_roster(args.roster, intake) if args.roster else []
    return policy, hand, roster


def finish(results, args, intake, policy, hand, roster):
    """The roster's missing students and everyone's points; returns the results to report."""
    folder, _ = _references(args.reference)
    if roster:
        results = add_missing(results, roster, folder)
    return score_class(results, policy, args.submissions_dir, intake, hand)


def hand_back(results, args, intake):
    """After the report: the class statistics (printed, ``--stats``) and the HTML feedback
    with the Canvas bulk-upload zip (``--feedback``)."""
    _, refs = _references(args.reference)
    titles = {n: exercise_titles(nb) for n, nb in refs.items()}
    stats = class_stats(results, titles)
    print('\n' + format_stats(stats))
    if args.stats:
        write_stats(stats, args.stats)
        print(f'class statistics written to {args.stats}')
    if args.feedback:
        paths = write_feedback_html(results, args.feedback, titles, intake)
        print(f'{len(paths)} HTML feedback page(s) written to {args.feedback}')
        platform = (intake or {}).get('platform')
        if platform in BULK_UPLOAD:
            name, write_zip, upload = BULK_UPLOAD[platform]
            left = write_zip(paths, intake, Path(args.feedback) / name)
            print(f'{platform} bulk upload ("{upload}"): {Path(args.feedback) / name}'
                  + (f' ({len(left)} page(s) without a {platform} submission left out)' if left else ''))


def hand_main(argv):
    parser = argparse.ArgumentParser(
        prog='python -m instructor.grading hand',
        description='Export the class\'s answers to the policy\'s hand-graded items, one CSV '
                    'per item (student, answer, points, comment); fill in points and comments, '
                    'then grade with --hand DIR.')
    parser.add_argument('submissions_dir')
    parser.add_argument('--policy', required=True, metavar='TOML', help='the grading policy')
    parser.add_argument('--reference', default=None, help='reference notebooks (default: notebooks/)')
    parser.add_argument('--out', required=True, metavar='DIR', help='folder for the CSVs')
    args = parser.parse_args(argv)
    try:
        _, refs = _references(args.reference)
        policy = load_policy(args.policy)
        paths = export_hand(find_submissions(args.submissions_dir), refs, policy, args.out)
    except ValueError as e:
        parser.error(str(e))
    if not paths:
        print(f'{args.policy} names no hand-graded items ([[notebooks."NAME".hand]])', file=sys.stderr)
        return 1
    print('\n'.join(f'wrote {p}' for p in paths))
    return 0
