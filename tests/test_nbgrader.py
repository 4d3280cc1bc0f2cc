"""nbgrader (issue 27): the LeNet fixture exported as an nbgrader source assignment, then
the real `nbgrader generate_assignment` and `nbgrader autograde` on a right and a wrong
submission; their points equal this grader's (tests/fixtures/grading/build_class.py's
EXPECTED) and the student's version holds neither the solutions nor the hidden test.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from instructor.grading import nbgrader_export

nbgrader = pytest.importorskip('nbgrader')   # requirements-instructor.txt

FIXTURES = Path(__file__).parent / 'fixtures' / 'grading'
_spec = importlib.util.spec_from_file_location('build_class', FIXTURES / 'build_class.py')
build_class = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_class)
LENET = build_class.LENET
ASSIGNMENT = 'lenet_exercises'
ROOT = Path(__file__).resolve().parents[1]


def _nbgrader(course, *args):
    bindir = Path(sys.executable).parent      # nbgrader runs alembic from PATH (an active venv)
    env = dict(os.environ, PYTHONPATH=str(ROOT), WEEK5_PROFILE='quick',
               PATH=f'{bindir}{os.pathsep}{os.environ.get("PATH", "")}')
    nbgrader_bin = bindir / 'nbgrader'
    proc = subprocess.run([str(nbgrader_bin), *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_the_source_assignment_marks_solutions_tests_and_hidden_tests(tmp_path):
    [path] = nbgrader_export.export_course(tmp_path, build_class.REFERENCE, [ASSIGNMENT],
                                           solutions={LENET: build_class.ANSWERS})
    assert path == tmp_path / 'source' / ASSIGNMENT / LENET
    cells = {c.get('id'): c for c in nbformat.read(str(path), as_version=4).cells}
    assert cells['ex3'].source.startswith('### BEGIN SOLUTION\nbn_net = nn.Sequential()')
    assert cells['ex3'].metadata['nbgrader']['solution'] is True
    test = cells['ex3-check'].metadata['nbgrader']
    assert (test['grade'], test['grade_id'], test['points']) == (True, 'lenet_bn', 1.0)
    hidden = cells['ex3-check-hidden']
    assert hidden.source.startswith('### BEGIN HIDDEN TESTS') and hidden.metadata['nbgrader']['points'] == 1.0
    assert 'ex1-check-hidden' not in cells         # a keyed exercise has no hidden test
    assert (tmp_path / 'nbgrader_config.py').is_file()


def test_a_chapter_goes_out_without_its_speaker_notes_and_with_its_solutions(tmp_path):
    [path] = nbgrader_export.export_course(tmp_path, ROOT / 'notebooks', ['01_lenet'])
    cells = nbformat.read(str(path), as_version=4).cells
    assert not [c for c in cells if c.metadata.get('slideshow', {}).get('slide_type') == 'notes']
    graded = [c.metadata['nbgrader'] for c in cells if 'nbgrader' in c.metadata]
    assert [g['grade_id'] for g in graded if g['grade']] == [
        'lenet_conv2_shape', 'lenet_conv2_params', 'lenet_bn', 'lenet_bn_hidden']
    assert sum(g['points'] for g in graded if g['grade']) == 4     # as this grader's default
    assert len([g for g in graded if g['solution']]) == 3


@pytest.mark.slow
def test_nbgrader_generates_and_autogrades_with_this_graders_points(tmp_path):
    course = tmp_path / 'course'
    nbgrader_export.export_course(course, build_class.REFERENCE, [ASSIGNMENT],
                                  solutions={LENET: build_class.ANSWERS})
    _nbgrader(course, 'generate_assignment', ASSIGNMENT, '--force')
    released = course / 'release' / ASSIGNMENT / LENET
    text = released.read_text()
    assert 'nn.BatchNorm(), nn.Activation' not in text     # the solution is gone
    assert '_cases' not in text and 'HIDDEN TESTS' not in text
    students = {'victim': build_class.ANSWERS,
                'partial': dict(build_class.ANSWERS, ex1='conv2_params = 6 * 16 * 3 * 3')}
    for student, answers in students.items():
        nb = nbformat.read(str(released), as_version=4)
        for cell in nb.cells:
            if cell.get('id') in answers:
                cell.source = answers[cell.get('id')]
        target = course / 'submitted' / student / ASSIGNMENT / LENET
        target.parent.mkdir(parents=True)
        nbformat.write(nb, str(target))
    _nbgrader(course, 'autograde', ASSIGNMENT, '--force')
    from nbgrader.api import Gradebook
    with Gradebook(f'sqlite:///{course / "gradebook.db"}') as gb:
        for student in students:
            submission = gb.find_submission(ASSIGNMENT, student)
            _, passed, total = build_class.EXPECTED[student]
            assert (submission.score, submission.max_score) == (passed, total), student
    shutil.rmtree(course / 'autograded', ignore_errors=True)
