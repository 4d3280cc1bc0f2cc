"""nbgrader: each chapter as an nbgrader source assignment.

    python -m instructor.grading.nbgrader_export COURSE_DIR [--notebook 01_lenet ...]
                                                 [--policy grading.toml]
    (make nbgrader COURSE=...)
    cd COURSE_DIR && nbgrader generate_assignment 01_lenet && ... && nbgrader autograde 01_lenet

writes ``COURSE_DIR/source/<chapter>/<chapter>.ipynb`` (and ``nbgrader_config.py`` if the
folder has none). In it:

- the speaker notes are left out, as in the student edition;
- each exercise cell is an nbgrader *solution* cell holding the reference answer of its
  ``%%solution`` block between ``### BEGIN SOLUTION`` / ``### END SOLUTION``;
- each check cell is an *autograded test* cell worth the policy's points of its exercise
  (for an exercise with a hidden test: the visible share), which calls the check and
  asserts that it passed (the student still sees the verdict line);
- each exercise with hidden cases gets a second test cell, worth the rest, whose body sits
  between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``: it builds the student's
  answer on the hidden cases and judges it with the check's own rules.

Points per exercise are the same as this grader's (``policy.score``). nbgrader runs the
test cells in the student's kernel, so a student who patches ``week5.checks`` can pass
them: for verdicts that count, grade the submissions with ``python -m instructor.grading``,
which judges outside the kernel.
"""
import argparse
import json
import sys
from pathlib import Path

import nbformat

from week5.files import atomic_write
from instructor.keys import HIDDEN, hidden_name
from instructor.sources import parse_source
from instructor.release import student_notebook
from .notebooks import CHECK_CALL_RE, default_reference_dir, is_check_cell
from .policy import load_policy

__all__ = ['nbgrader_notebook', 'export_course', 'main']

SCHEMA = 3
CONFIG = '''c = get_config()
c.CourseDirectory.course_id = "week5"
# the chapters read the quick profile when autograded (set WEEK5_PROFILE before nbgrader to change)
'''

HIDDEN_TEST = '''### BEGIN HIDDEN TESTS
import json as _json, os as _os, tempfile as _tempfile
from week5.checks import ANSWER_ENV as _ANSWER_ENV, HIDDEN_ENV as _HIDDEN_ENV
from week5.checks import describe_answer as _describe, judge as _judge, judge_cases as _judge_cases
_cases = _json.loads({cases!r})
with _tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as _f:
    _json.dump({{{name!r}: _cases}}, _f)
_os.environ.update({{_ANSWER_ENV: '1', _HIDDEN_ENV: _f.name}})
try:
    _data = _describe({name!r}, {answer})
finally:
    del _os.environ[_ANSWER_ENV], _os.environ[_HIDDEN_ENV]
    _os.remove(_f.name)
assert _judge({name!r}, _data).passed, 'the visible check fails first'
_hidden = _judge_cases({name!r}, _cases, _data.get('hidden') if isinstance(_data, dict) else None)
assert _hidden.passed, 'the hidden test failed'
### END HIDDEN TESTS'''


def _meta(grade_id, solution=False, grade=False, points=None):
    meta = {'grade': grade, 'grade_id': grade_id, 'locked': grade and not solution,
            'schema_version': SCHEMA, 'solution': solution, 'task': False}
    if grade:
        meta['points'] = points
    return meta


def nbgrader_notebook(ref_nb, solutions, policy, notebook):
    """The nbgrader source version of reference notebook `ref_nb` (``solutions``: {exercise
    cell id: reference answer}); `notebook` names it in the policy."""
    nb = nbformat.from_dict(json.loads(json.dumps(ref_nb)))
    cells = []
    for cell in nb.cells:
        if cell.cell_type == 'code':
            cell.update(outputs=[], execution_count=None)
        cid = cell.get('id')
        if cell.cell_type == 'code' and cid in solutions:
            cell.source = f'### BEGIN SOLUTION\n{solutions[cid].strip()}\n### END SOLUTION'
            cell.metadata['nbgrader'] = _meta(cid, solution=True)
        elif is_check_cell(cell):
            calls = list(CHECK_CALL_RE.finditer(cell.source))
            if len(calls) != 1:
                raise ValueError(f'{notebook}: check cell {cid!r} calls {len(calls)} checks; '
                                 'give each check its own cell')
            name = calls[0].group('name')
            answer = cell.source[calls[0].end():].rsplit(')', 1)[0].strip()   # check_x(<answer>)
            hidden = name in HIDDEN
            worth = policy.exercise_points(notebook, name, hidden)
            visible = worth * policy.visible_share if hidden else worth
            cell.source = f'_result = {cell.source.strip()}\nassert _result.passed, _result.reason'
            cell.metadata['nbgrader'] = _meta(name, grade=True, points=visible)
            cells.append(cell)
            if hidden:
                test = nbformat.v4.new_code_cell(HIDDEN_TEST.format(
                    cases=json.dumps(HIDDEN[name]), name=name, answer=answer))
                test.id = f'{cid}-hidden'
                test.metadata['nbgrader'] = _meta(hidden_name(name), grade=True, points=worth - visible)
                cells.append(test)
            continue
        cells.append(cell)
    nb.cells = cells
    return nb


def export_course(course_dir, reference_dir=None, notebooks=None, policy_path=None, solutions=None):
    """Write ``course_dir/source/<name>/<name>.ipynb`` for each chapter; returns the paths.

    ``solutions``: {notebook name: {cell id: answer}}; default: the ``%%solution`` blocks of
    ``notebooks/src/<name>.nbsrc``."""
    reference_dir = Path(reference_dir) if reference_dir is not None else default_reference_dir()
    policy = load_policy(policy_path)
    names = [n if n.endswith('.ipynb') else n + '.ipynb' for n in notebooks] if notebooks else \
        sorted(p.name for p in reference_dir.glob('*.ipynb'))
    paths = []
    for name in names:
        ref = reference_dir / name
        if not ref.is_file():
            raise ValueError(f'--notebook {name}: not in {reference_dir}')
        if solutions is not None:
            answers = solutions.get(name, {})
        else:
            src = reference_dir / 'src' / f'{Path(name).stem}.nbsrc'
            answers = parse_source(src)[1] if src.is_file() else {}
        if not answers:
            continue                       # no exercises to grade
        # without the speaker notes (they hold the answers), as the student edition
        nb = nbgrader_notebook(nbformat.reads(student_notebook(ref), as_version=4), answers,
                               policy, name)
        path = Path(course_dir) / 'source' / Path(name).stem / name
        atomic_write(path, nbformat.writes(nb))
        paths.append(path)
    config = Path(course_dir) / 'nbgrader_config.py'
    if not config.exists():
        atomic_write(config, CONFIG)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m instructor.grading.nbgrader_export',
                                     description=__doc__.splitlines()[0])
    parser.add_argument('course_dir', help='the nbgrader course folder (made if new)')
    parser.add_argument('--reference', default=None, help='reference notebooks (default: notebooks/)')
    parser.add_argument('--notebook', action='append', dest='notebooks', metavar='NAME',
                        help='a chapter to export (repeatable; default: every chapter with exercises)')
    parser.add_argument('--policy', metavar='TOML', help='the grading policy (points)')
    args = parser.parse_args(argv)
    try:
        paths = export_course(args.course_dir, args.reference, args.notebooks, args.policy)
    except ValueError as e:
        parser.error(str(e))
    print('\n'.join(f'wrote {p}' for p in paths))
    print(f'next: cd {args.course_dir} && nbgrader generate_assignment NAME (for each chapter)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
