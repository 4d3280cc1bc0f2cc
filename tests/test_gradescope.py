"""The Gradescope autograder (issue 27): `python -m instructor.grading.gradescope build`
writes the zip; unpacked into a temporary folder laid out as /autograder (relocated with
AUTOGRADER_ROOT), its run_autograder grades a good, a wrong, a crashing and a corrupt
submission of the LeNet fixture, and results.json follows Gradescope's specification with
the points this grader gives (tests/fixtures/grading/build_class.py's EXPECTED).
"""
import importlib.util
import json
import os
import stat
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / 'fixtures' / 'grading'
_spec = importlib.util.spec_from_file_location('build_class', FIXTURES / 'build_class.py')
build_class = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_class)
LENET = build_class.LENET
VISIBILITY = {'hidden', 'after_due_date', 'after_published', 'visible'}


@pytest.fixture(scope='module')
def autograder_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist') / 'autograder.zip'
    proc = subprocess.run([sys.executable, '-m', 'instructor.grading.gradescope', 'build',
                           '--reference', str(build_class.REFERENCE), '--notebook', 'lenet_exercises',
                           '--timeout', '20', '--notebook-timeout', '240', '--out', str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return out


def test_the_zip_has_gradescopes_layout_and_the_keys(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read('setup.sh').decode()
        requirements = zf.read('requirements.txt').decode()
    assert {'setup.sh', 'run_autograder', 'requirements.txt', 'instructor/keys/answers.py',
            'instructor/keys/hidden.py', 'instructor/grading/driver.py', 'week5/checks/hashes.json',
            'reference/lenet_exercises.ipynb', 'reference/sanitize.cfg'} <= names
    assert not any(n.startswith(('reference/flops', 'notebooks/', 'tests/')) for n in names)
    assert modes['run_autograder'] & stat.S_IXUSR and modes['setup.sh'] & stat.S_IXUSR
    assert 'python3.11' in setup and 'week5.data prepare' in setup
    assert 'mxnet==1.9.1' in requirements and 'nbval' in requirements


def _grade(zip_path, root, notebook_text):
    """Unpack the zip as Gradescope does into root/source, put the submission in, run."""
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / 'source')
    for name in ('run_autograder', 'setup.sh'):
        (root / 'source' / name).chmod(0o755)
    (root / 'submission').mkdir()
    if notebook_text is not None:
        (root / 'submission' / LENET).write_text(notebook_text)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), WEEK5_AUTOGRADER_PYTHON=sys.executable)
    env.pop('PYTHONPATH', None)    # the zip's own copy of week5 and the grader is what runs
    proc = subprocess.run([str(root / 'source' / 'run_autograder')], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((root / 'results' / 'results.json').read_text())


def _valid(results):
    """Gradescope's results.json: a total, and tests with score <= max_score."""
    assert isinstance(results['score'], (int, float)) and isinstance(results['output'], str)
    for t in results['tests']:
        assert set(t) >= {'name', 'score', 'max_score', 'output', 'visibility', 'status'}
        assert 0 <= t['score'] <= t['max_score'] and t['visibility'] in VISIBILITY
        assert t['status'] in ('passed', 'failed')
    assert results['score'] == pytest.approx(sum(t['score'] for t in results['tests']))
    return {t['name']: t for t in results['tests']}


def _nb(student_nb):
    import nbformat
    return nbformat.writes(student_nb)


@pytest.mark.slow
def test_run_autograder_on_good_wrong_crashing_and_corrupt_submissions(autograder_zip, tmp_path):
    sub, answers = build_class.submission, build_class.ANSWERS
    cases = {
        'victim': _nb(sub(LENET, answers)),
        'partial': _nb(sub(LENET, dict(answers, ex1='conv2_params = 6 * 16 * 3 * 3'))),
        'crash': _nb(sub(LENET, answers, insert_before={'ex2': [build_class.CRASH]})),
        'corrupt': '{"cells": [',
        'nothing': None,
    }
    with ThreadPoolExecutor(3) as pool:
        futures = {name: pool.submit(_grade, autograder_zip, tmp_path / name / 'autograder', text)
                   for name, text in cases.items()}
        results = {name: f.result() for name, f in futures.items()}
    tests = {name: _valid(r) for name, r in results.items()}
    for student in ('victim', 'partial', 'crash'):
        _, passed, total = build_class.EXPECTED[student]
        assert results[student]['score'] == passed, (student, results[student])   # this grader's points
        assert sum(t['max_score'] for t in tests[student].values()) == total
    good = tests['victim']
    assert set(good) == {'lenet_exercises: lenet_conv2_params', 'lenet_exercises: lenet_conv2_shape',
                         'lenet_exercises: lenet_bn', 'lenet_exercises: lenet_bn (hidden test)'}
    assert good['lenet_exercises: lenet_bn (hidden test)']['visibility'] == 'after_due_date'
    assert all(t['visibility'] == 'visible' for n, t in good.items() if 'hidden' not in n)
    wrong = tests['partial']['lenet_exercises: lenet_conv2_params']
    assert wrong['score'] == 0 and wrong['output'].startswith('FAILED - 864 is not it')
    assert 'os._exit' not in results['crash']['output'] and 'kernel died' in results['crash']['output']
    assert results['corrupt']['score'] == 0
    assert 'could not be read as a notebook (unreadable: invalid JSON' in results['corrupt']['output']
    assert 'File > Download' in results['corrupt']['output']
    assert 'no notebook named lenet_exercises.ipynb in your submission' in results['nothing']['output']
    assert all(r['output'].startswith('Isolation: bubblewrap') or r['output'].startswith('Isolation: separate user')
               for name, r in results.items() if name in ('victim', 'partial', 'crash'))
    assert all(results[name]['output'].startswith('Isolation: none needed, no notebook of yours was run')
               for name in ('corrupt', 'nothing'))
