"""`python -m instructor.grading`: sealed grading of a folder of student submissions.

Two grading runs are shared by most tests: an ordinary class (correct, wrong vgg_bn_block,
missing exercise, syntax error, infinite loop, corrupted file, ...) and the adversarial
class of tests/fixtures/grading/build_class.py (every in-kernel cheat of issue #13, a
tampering student, a crash, a swallowed interrupt, a misnamed file). The references are
the small executed notebooks in tests/fixtures/grading/reference/.
"""
import csv
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from week5 import checks
from instructor.grading import batch, judging, keyring, notebooks, report, sandbox

_spec = importlib.util.spec_from_file_location(
    'build_class', Path(__file__).parent / 'fixtures' / 'grading' / 'build_class.py')
build_class = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_class)
submission, write = build_class.submission, build_class.write

REFERENCE = build_class.REFERENCE
GRADED = keyring.graded_names(build_class.CHECKS)   # the three checks and lenet_bn's hidden test
VGG = 'vgg_exercises.ipynb'
FLOPS = 'flops.ipynb'
CELL_TIMEOUT = 20  # generous: the import cell must not time out on a loaded machine

GOOD_VGG_BLOCK = '''\
def vgg_bn_block(num_convs, channels):
    blk = nn.Sequential()
    for _ in range(num_convs):
        blk.add(nn.Conv2D(channels, kernel_size=3, padding=1), nn.BatchNorm(),
                nn.Activation('relu'))
    blk.add(nn.MaxPool2D(pool_size=2, strides=2))
    return blk'''
WRONG_VGG_BLOCK = '''\
def vgg_bn_block(num_convs, channels):
    blk = nn.Sequential()
    blk.add(nn.Conv2D(channels, kernel_size=3, padding=1), nn.BatchNorm(),
            nn.Activation('relu'))
    blk.add(nn.MaxPool2D(pool_size=2, strides=2))
    return blk'''


def reference(name):
    return nbformat.read(str(REFERENCE / name), as_version=4)


FULL_VGG = {'ex1': GOOD_VGG_BLOCK, 'ex2': 'dense_inputs = 512 * 5 * 5'}


@pytest.fixture(scope='module')
def graded(tmp_path_factory):
    """One grading run over the whole fixture class; (results by (student, nb), csv rows, stdout)."""
    root = tmp_path_factory.mktemp('submissions')
    write(root, 'alice', VGG, submission(VGG, FULL_VGG))
    write(root, 'alice', FLOPS, submission(FLOPS, {'ex1': 'flops = 2 * 512 * 2048 * 256'}))
    write(root, 'alice', 'extra.ipynb', submission(FLOPS))
    write(root, 'bob', VGG, submission(VGG, dict(FULL_VGG, ex1=WRONG_VGG_BLOCK)))
    # carol skipped exercise 1: deleted its cell and its check cell
    write(root, 'carol', VGG, submission(VGG, FULL_VGG, drop={'ex1', 'ex1-check'}))
    write(root, 'dave', VGG, submission(VGG, dict(FULL_VGG, ex1='def vgg_bn_block(num_convs, channels)\n    pass')))
    write(root, 'erin', VGG, submission(VGG, dict(FULL_VGG, ex2='while True:\n    pass')))
    write(root, 'frank', VGG, (REFERENCE / VGG).read_text()[:700])  # cut short: corrupt JSON
    write(root, 'grace', VGG, json.dumps({'nbformat': 4, 'nbformat_minor': 5, 'metadata': {}}))
    # heidi tries to fake it: a printed verdict, an edited check cell and a skip marker
    write(root, 'heidi', VGG, submission(VGG, {
        'ex1': 'def vgg_bn_block(num_convs, channels):\n'
               '    raise NotImplementedError\n'
               'print("[week5 check] vgg_bn_block: PASSED")',
        'ex1-check': '# NBVAL_SKIP\nprint("[week5 check] vgg_bn_block: PASSED")',
        'ex2': 'dense_inputs = 512 * 5 * 5'}))
    # ivan shadows sum(), so the unchanged lecture cell prints something else than the reference
    write(root, 'ivan', VGG, submission(VGG, FULL_VGG, insert_before={'arch': ['sum = lambda xs: 11']}))

    out = root / 'report.csv'
    proc = subprocess.run(  # a relative --reference: the runs happen in scratch folders
        [sys.executable, '-m', 'instructor.grading', str(root), '--reference', REFERENCE.name,
         '--out', str(out), '--timeout', str(CELL_TIMEOUT), '--jobs', '2'],
        capture_output=True, text=True, timeout=600, cwd=REFERENCE.parent)
    assert proc.returncode == 0, proc.stderr
    with open(out, newline='') as f:
        rows = {(r['student'], r['notebook']): r for r in csv.DictReader(f)}
    return rows, proc.stdout


def checks_of(row):
    """{name: None for PASSED, reason for FAILED} from a CSV row."""
    result = {n: None for n in row['passed_checks'].split('; ') if n}
    for part in filter(None, row['failed_checks'].split('; ')):
        name, _, reason = part.partition(': ')
        result[name] = reason
    return result


@pytest.mark.slow
def test_correct_submission_scores_full_marks(graded):
    rows, _ = graded
    row = rows['alice', VGG]
    assert (row['status'], row['passed'], row['total'], row['score_percent']) == ('ok', '3', '3', '100')
    assert checks_of(row) == {'vgg_bn_block': None, 'vgg_bn_block_hidden': None,
                              'vgg_dense_inputs': None}
    assert row['errored_cells'] == '' and row['outputs_differ'] == ''
    assert rows['alice', FLOPS]['passed'] == '1'
    total = rows['alice', 'TOTAL']
    assert (total['passed'], total['total']) == ('4', '4')


@pytest.mark.slow
def test_wrong_vgg_bn_block_fails_with_the_check_reason(graded):
    rows, _ = graded
    row = rows['bob', VGG]
    checks = checks_of(row)
    assert row['status'] == 'ok' and row['passed'] == '1'
    assert checks['vgg_dense_inputs'] is None
    assert checks['vgg_bn_block'] == 'vgg_bn_block(2, 8) has 1 convolution(s), expected 2'


@pytest.mark.slow
def test_missing_exercise_fails_even_when_its_check_cell_was_deleted(graded):
    rows, _ = graded
    row = rows['carol', VGG]
    checks = checks_of(row)
    assert checks['vgg_dense_inputs'] is None
    assert "NameError: name 'vgg_bn_block' is not defined" in checks['vgg_bn_block']
    assert 'restored from the reference' in row['errored_cells']


@pytest.mark.slow
def test_syntax_error_is_reported_on_the_students_cell(graded):
    rows, _ = graded
    row = rows['dave', VGG]
    assert row['status'] == 'errors'
    assert 'cell 4 `def vgg_bn_block(num_convs, channels)`: SyntaxError' in row['errored_cells']
    assert checks_of(row)['vgg_dense_inputs'] is None
    assert checks_of(row)['vgg_bn_block'].startswith('check cell raised NameError')


@pytest.mark.slow
def test_infinite_loop_times_out_and_the_rest_still_runs(graded):
    rows, _ = graded
    row = rows['erin', VGG]
    checks = checks_of(row)
    assert row['status'] == 'timeout'
    assert f'cell 10 `while True:`: timed out after {CELL_TIMEOUT} s' in row['errored_cells']
    assert checks['vgg_bn_block'] is None  # before the loop: still graded
    assert checks['vgg_dense_inputs'] is not None  # after it: fails, with a reason
    assert float(row['seconds']) < 120


@pytest.mark.parametrize('student, reason', [
    ('frank', 'unreadable: invalid JSON'),
    ('grace', 'unreadable: not a valid notebook: The notebook is invalid and is missing an expected key: cells'),
])
@pytest.mark.slow
def test_corrupted_files_are_reported_and_score_zero(graded, student, reason):
    rows, _ = graded
    row = rows[student, VGG]
    assert row['status'] == 'unreadable'
    assert row['note'].startswith(reason)
    assert (row['passed'], row['total']) == ('0', '3')


@pytest.mark.slow
def test_printed_or_edited_verdicts_do_not_count(graded):
    rows, _ = graded
    checks = checks_of(rows['heidi', VGG])
    assert checks['vgg_bn_block'].startswith('not answered yet')
    assert checks['vgg_dense_inputs'] is None


@pytest.mark.slow
def test_unchanged_cells_are_compared_with_the_reference_outputs(graded):
    rows, _ = graded
    row = rows['ivan', VGG]
    assert row['outputs_differ'].startswith('cell ')
    assert 'arch = ((1, 64)' in row['outputs_differ']
    # the `address` cell prints a new memory address each run: equal only through sanitize.cfg
    assert rows['alice', VGG]['outputs_differ'] == ''


def test_an_unreadable_sanitize_file_names_the_parameter(tmp_path):
    (tmp_path / 'sanitize.cfg').mkdir()           # there, but not a readable file
    with pytest.raises(ValueError, match='sanitize file .* cannot be read'):
        notebooks.load_sanitize(tmp_path / 'sanitize.cfg')


@pytest.mark.slow
def test_missing_and_unknown_notebooks(graded):
    rows, _ = graded
    assert rows['bob', FLOPS]['status'] == 'missing'
    assert rows['bob', FLOPS]['total'] == '1'
    assert rows['alice', 'extra.ipynb']['status'] == 'unknown-notebook'
    assert ('bob', 'extra.ipynb') not in rows  # only who submitted an unknown name hears of it


@pytest.mark.slow
def test_stdout_table_lists_every_student_with_reasons(graded):
    rows, stdout = graded
    students = {s for s, _ in rows}
    assert students == {'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan'}
    for s in students:
        assert f'\n{s:<14} TOTAL' in stdout
    assert 'FAILED vgg_bn_block: vgg_bn_block(2, 8) has 1 convolution(s), expected 2' in stdout
    assert 'NOTE unreadable: invalid JSON' in stdout


# ---------------------------------------------------------------- fast unit tests

def test_load_notebook_names_what_is_wrong(tmp_path):
    cases = {'empty.ipynb': ('', 'empty file'),
             'bin.ipynb': (b'\xff\xfe\x00', 'not a text file'),
             'list.ipynb': ('[1, 2]', 'not a Jupyter notebook'),
             'cut.ipynb': ('{"cells": [', 'invalid JSON')}
    for name, (content, message) in cases.items():
        p = tmp_path / name
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        with pytest.raises(notebooks.GradingInputError, match=message):
            notebooks.load_notebook(p)
    with pytest.raises(notebooks.GradingInputError, match='cannot read'):
        notebooks.load_notebook(tmp_path / 'absent.ipynb')


def test_expected_checks_come_from_the_reference_outputs():
    assert notebooks.expected_checks(reference(VGG)) == ['vgg_bn_block', 'vgg_dense_inputs']
    unrun = reference(FLOPS)
    for cell in unrun.cells:
        if cell.cell_type == 'code':
            cell.outputs, cell.execution_count = [], None
    assert notebooks.expected_checks(unrun) == ['matmul_flops']  # from the call's name


def test_graded_copy_keeps_reference_outputs_only_for_unchanged_cells():
    student = submission(VGG, {'ex1': GOOD_VGG_BLOCK + '\n# NBVAL_SKIP', 'ex2': 'dense_inputs = 1'},
                         insert_before={'arch': ['x = 1']})
    student.cells[-2].metadata['tags'] = ['nbval-skip', 'mine']  # the student's ex2 cell
    student.cells[1].metadata['tags'] = ['nbval-skip']  # an unchanged cell: reference tags win
    nb, labels, check_cells = notebooks.build_graded_notebook(student, reference(VGG))
    sources = [c.source for c in nb.cells]
    arch = next(i for i, s in enumerate(sources) if s.startswith('arch'))
    assert nb.cells[arch].outputs[0]['text'] == '8 conv layers\n'  # compared by nbval
    ex1 = next(i for i, s in enumerate(sources) if s.startswith('def vgg_bn_block'))
    assert nb.cells[ex1].outputs == [] and nb.cells[ex1].execution_count is None
    assert '# (grader: ignored NBVAL_SKIP)' in sources[ex1]
    assert nb.cells[arch - 1].source == 'x = 1'
    assert nb.cells[-2].metadata['tags'] == ['mine']
    assert 'tags' not in nb.cells[0].metadata
    assert {sources[i] for i in check_cells} == {'check_vgg_bn_block(vgg_bn_block)',
                                                 'check_vgg_dense_inputs(dense_inputs)'}
    assert all(nb.cells[i].outputs == [] for i in check_cells)
    assert labels[ex1].startswith('cell 4 `def vgg_bn_block(')


def test_deleted_check_cells_are_restored_in_place():
    student = submission(VGG, drop={'ex1-check', 'ex2-check'})
    nb, labels, check_cells = notebooks.build_graded_notebook(student, reference(VGG))
    sources = [c.source for c in nb.cells]
    assert sources.index('check_vgg_bn_block(vgg_bn_block)') == sources.index(reference(VGG).cells[3].source) + 1
    assert sources[-1] == 'check_vgg_dense_inputs(dense_inputs)'
    assert len(check_cells) == 2
    assert all('restored from the reference' in labels[i] for i in check_cells)


def test_report_formats(tmp_path):
    CheckResult = checks.CheckResult
    results = [
        judging.NotebookResult('ann', 'a.ipynb', 'errors',
                             [CheckResult('x', True), CheckResult('y', False, 'too small')],
                             ['cell 3 `foo()`: NameError: foo'], [], 2.0),
        judging.NotebookResult('ann', 'b.ipynb', 'missing', [CheckResult('z', False, 'not submitted')],
                             note='notebook not submitted')]
    path = tmp_path / 'r.csv'
    report.write_csv(results, path)
    rows = list(csv.DictReader(open(path)))
    assert [r['notebook'] for r in rows] == ['a.ipynb', 'b.ipynb', 'TOTAL']
    assert rows[0]['failed_checks'] == 'y: too small'
    assert (rows[2]['passed'], rows[2]['total'], rows[2]['score_percent']) == ('1', '3', '33')
    table = report.format_table(results)
    assert 'FAILED y: too small' in table and 'ERROR cell 3 `foo()`: NameError: foo' in table
    assert 'NOTE notebook not submitted' in table and 'FAILED z' not in table


def test_bad_arguments_name_the_fix(tmp_path):
    with pytest.raises(ValueError, match='submissions_dir .* is not a folder'):
        batch.find_submissions(tmp_path / 'nope')
    (tmp_path / 'x.ipynb').write_text('{}')
    with pytest.raises(ValueError, match='SUBMISSIONS_DIR/<student>/<notebook>.ipynb'):
        batch.find_submissions(tmp_path)
    with pytest.raises(ValueError, match='jobs must be a positive integer'):
        batch.grade(tmp_path, REFERENCE, jobs=0)
    with pytest.raises(ValueError, match='reference_dir'):
        batch.grade(tmp_path, tmp_path / 'missing')
    proc = subprocess.run([sys.executable, '-m', 'instructor.grading', str(tmp_path / 'nope')],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and 'is not a folder' in proc.stderr


def test_the_old_command_still_grades_with_a_one_line_notice(tmp_path):
    proc = subprocess.run([sys.executable, '-m', 'week5.grade', str(tmp_path / 'nope')],
                          capture_output=True, text=True, timeout=120)
    notice, *rest = proc.stderr.splitlines()
    assert 'deprecated' in notice and 'python -m instructor.grading' in notice
    assert proc.returncode == 2 and 'is not a folder' in '\n'.join(rest)


def test_the_old_command_without_the_instructor_package_says_where_the_grader_is():
    hide = ('import importlib.util, runpy, sys\n'
            'find = importlib.util.find_spec\n'
            'importlib.util.find_spec = lambda name, *a: None if name == "instructor" else find(name, *a)\n'
            'sys.argv = ["week5.grade", "submissions"]\n'
            'runpy.run_module("week5.grade", run_name="__main__")\n')
    proc = subprocess.run([sys.executable, '-c', hide], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert "the grader is in the instructor's edition" in proc.stderr.splitlines()[-1]


def _grade_processes(marker):
    """Pids of live processes whose environment mentions `marker` (the runs' HOME is in it)."""
    pids = []
    for d in Path('/proc').iterdir():
        if not d.name.isdigit():
            continue
        try:
            env = (d / 'environ').read_bytes()
        except OSError:
            continue
        if str(marker).encode() in env:
            pids.append(int(d.name))
    return pids


@pytest.mark.skipif(not Path('/proc/self/environ').exists(), reason='needs /proc')
@pytest.mark.slow
def test_notebook_wall_timeout_kills_the_run_and_its_kernel(tmp_path, monkeypatch):
    scratch = tmp_path / 'scratch'
    scratch.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(scratch))
    write(tmp_path / 'subs', 'zed', FLOPS, submission(FLOPS, {'ex1': 'while True:\n    pass'}))
    [result] = batch.grade(tmp_path / 'subs', REFERENCE, jobs=1, cell_timeout=300,
                           notebook_timeout=12)
    assert result.status == 'killed'
    assert result.checks[0].reason == 'not reached: notebook stopped at the 12 s timeout'
    assert 'notebook timeout' in result.note
    deadline = time.monotonic() + 20
    while _grade_processes(scratch) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _grade_processes(scratch) == []


def _cell(cell, status='ok', outputs=(), **extra):
    return dict(extra, event='cell', cell=cell, status=status, outputs=list(outputs))


def test_classify_events_after_a_timeout_a_crash_and_a_stuck_cell():
    sources = ['x = 1', 'check_a(x)', 'while True: pass', 'import os; os._exit(1)',
               'check_b(y)', 'print(1)']
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    labels = [f'cell {i + 1} `c{i}`' for i in range(len(sources))]
    answer = {'output_type': 'stream', 'name': 'stdout',
              'text': '[week5 answer] {"check": "a", "data": {"value": 1}}\n'}
    events = [
        {'event': 'start'},
        _cell(0, outputs=[answer]),  # printed by a student cell: does not count
        _cell(1, outputs=[answer, dict(answer, text='[week5 answer] {"check": "b", "data": {}}\n')]),
        _cell(2, 'timeout', interrupt='ignored'),
        {'event': 'restart', 'after': 2, 'reason': '...', 'setup_errors': []},
        _cell(3, 'dead', exit_code=1, seconds=0.3),
        {'event': 'restart', 'after': 3, 'reason': '...', 'setup_errors': []},
        _cell(4, 'error', [{'output_type': 'error', 'ename': 'NameError', 'evalue': "name 'y' is not defined"}]),
        {'event': 'done'},
    ]
    out = judging.classify_events(events, nb, labels, check_cells={1, 4}, cell_timeout=5)
    assert out['timed_out'] and out['crashed'] and out['started']
    assert out['errored'] == [
        'cell 3 `c2`: timed out after 5 s and ignored the interrupt: kernel killed, restarted with the setup cells',
        'cell 4 `c3`: the kernel died after 0.3 s (exit code 1) - restarted with the setup cells',
        "cell 5 `c4`: NameError: name 'y' is not defined"]
    assert out['answers'] == {'a': {'value': 1}}  # "b" came from the cell that calls check_a
    assert out['cell_problem'][4] == "raised NameError: name 'y' is not defined"
    assert 'the run stopped before the end of the notebook (its driver was ended)' not in out['errored']
    cut_short = judging.classify_events(events[:3], nb, labels, check_cells={1, 4}, cell_timeout=5)
    assert cut_short['errored'] == ['the run stopped before the end of the notebook (its driver was ended)']
    killed = judging.classify_events(events[:3], nb, labels, check_cells={1, 4}, cell_timeout=5, finished=False)
    assert killed['errored'] == []  # the notebook timeout says it


# ---------------------------------------------------------------- the adversarial class

def _digest(paths):
    h = hashlib.sha256()
    for root in paths:
        for p in sorted(Path(root).rglob('*')) if Path(root).is_dir() else [Path(root)]:
            if p.is_file():
                h.update(str(p).encode() + p.read_bytes())
    return h.hexdigest()


def _isolation():
    """The isolation the grader will pick here, or None when it falls back to none."""
    try:
        box = sandbox.make_sandbox('bubblewrap')
    except ValueError:
        return None
    box.cleanup()
    return box.isolation


BWRAP = _isolation()
needs_bwrap = pytest.mark.skipif(BWRAP is None, reason='bubblewrap (bwrap with user namespaces) '
                                 'does not work on this machine: apt-get install bubblewrap')


@pytest.fixture(scope='module')
def adversarial(tmp_path_factory):
    """One grading run over the adversarial class; the tamperer also attacks a copy of the
    references, the week5 package (only where bubblewrap protects it) and the report."""
    tmp = tmp_path_factory.mktemp('adversarial')
    refs = tmp / 'reference'
    refs.mkdir()
    for p in REFERENCE.iterdir():
        (refs / p.name).write_bytes(p.read_bytes())
    package = Path(sandbox.__file__).parents[1]   # week5/
    protected = [refs] + ([package] if BWRAP else [])
    out = tmp / 'report.csv'
    # without bubblewrap the tamperer's late rewrite would succeed (as docs/instructors.md says):
    # there it attacks a decoy, and the tests of tampering are skipped
    victim = build_class.build_class(tmp / 'subs', out if BWRAP else tmp / 'decoy.csv', protected, delay=3)
    before = {'protected': _digest(protected), 'victim': victim.read_bytes()}
    cache = tmp / 'instructor-cache'   # the grader's own WEEK5_CACHE (runs of chapter 6 live here)
    proc = subprocess.run(
        [sys.executable, '-m', 'instructor.grading', str(tmp / 'subs'), '--reference', str(refs),
         '--out', str(out), '--timeout', str(CELL_TIMEOUT), '--interrupt-grace', '3', '--jobs', '2'],
        capture_output=True, text=True, timeout=900, env=dict(os.environ, WEEK5_CACHE=str(cache)))
    assert proc.returncode == 0, proc.stderr
    report_at_exit = out.read_bytes()
    time.sleep(5)  # longer than the tamperer's background process waits
    with open(out, newline='') as f:
        rows = {(r['student'], r['notebook']): r for r in csv.DictReader(f)}
    return {'rows': rows, 'stdout': proc.stdout, 'out': out, 'victim': victim, 'before': before,
            'protected': protected, 'cache': cache, 'report_at_exit': report_at_exit}


@pytest.mark.parametrize('student', sorted(build_class.EXPECTED))
@pytest.mark.slow
def test_every_row_of_the_adversarial_class_is_what_its_answers_deserve(adversarial, student):
    row = adversarial['rows'][student, build_class.LENET]
    status, passed, total = build_class.EXPECTED[student]
    assert (row['status'], row['passed'], row['total']) == (status, str(passed), str(total)), row


@pytest.mark.parametrize('student', sorted(build_class.CHEATS) + ['mallory'])
@pytest.mark.slow
def test_no_cheat_earns_a_point(adversarial, student):
    checks = checks_of(adversarial['rows'][student, build_class.LENET])
    assert set(checks) == set(GRADED)
    assert all(reason is not None for reason in checks.values()), checks  # all FAILED


@pytest.mark.slow
def test_a_crash_is_reported_as_a_crash_at_once_and_later_exercises_still_run(adversarial):
    row = adversarial['rows']['crash', build_class.LENET]
    [error] = [e for e in row['errored_cells'].split('; ') if 'died' in e]
    assert error.startswith('cell 5 `import os`: the kernel died after ')
    assert error.endswith('(exit code 1) - restarted with the setup cells')
    seconds = float(error.split('died after ')[1].split(' s')[0])
    # seen from the kernel's exit, not from the cell timeout: reported before it would fire
    # (no bound in seconds of its own, which a loaded machine could miss)
    assert seconds < CELL_TIMEOUT
    assert 'timed out' not in row['errored_cells']
    assert checks_of(row) == {n: None for n in GRADED}  # after the crash too


@pytest.mark.slow
def test_a_swallowed_interrupt_kills_the_kernel_and_later_exercises_still_run(adversarial):
    row = adversarial['rows']['stubborn', build_class.LENET]
    assert (f'cell 7 `import signal, time`: timed out after {CELL_TIMEOUT} s and ignored the interrupt: '
            'kernel killed, restarted with the setup cells') in row['errored_cells']
    assert checks_of(row)['lenet_bn'] is None  # the exercise after the loop


@pytest.mark.slow
def test_honest_students_get_what_their_answers_deserve(adversarial):
    rows = adversarial['rows']
    assert checks_of(rows['victim', build_class.LENET]) == {n: None for n in GRADED}
    partial = checks_of(rows['partial', build_class.LENET])
    assert partial['lenet_conv2_params'] == '864 is not it: you forgot the biases'


@pytest.mark.slow
def test_missing_names_a_near_match_and_the_rename(adversarial):
    row = adversarial['rows']['kim', build_class.LENET]
    assert row['note'] == ('notebook not submitted - found lenet_exercises (1).ipynb in kim/: '
                           'rename it to lenet_exercises.ipynb')


@needs_bwrap
@pytest.mark.slow
@pytest.mark.slow
def test_the_tamperer_changes_no_other_file_nor_the_report(adversarial):
    assert adversarial['victim'].read_bytes() == adversarial['before']['victim']
    assert _digest(adversarial['protected']) == adversarial['before']['protected']
    assert not (adversarial['cache'] / 'runs').exists()  # the instructor's run cache
    assert adversarial['out'].read_bytes() == adversarial['report_at_exit']  # no late rewrite
    assert adversarial['rows']['victim', build_class.LENET]['passed'] == '4'


@pytest.mark.slow
def test_the_report_on_disk_equals_the_printed_table(adversarial):
    stdout = adversarial['stdout']
    assert stdout.startswith('isolation: ')
    for (student, notebook), row in adversarial['rows'].items():
        line = f'{student[:11] + "..." if len(student) > 14 else student:<14} '
        assert any(ln.startswith(line) and ln.endswith(f'{row["passed"]}/{row["total"]}  {row["status"]}')
                   for ln in stdout.splitlines()), (student, notebook)
    proc = subprocess.run([sys.executable, '-m', 'instructor.grading', '--check', str(adversarial['out'])],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.slow
def test_check_finds_a_changed_row_and_a_forged_verdict(adversarial, tmp_path):
    out = tmp_path / 'report.csv'
    text = adversarial['out'].read_text()
    records = json.loads(report.records_path(adversarial['out']).read_text())
    out.write_text(text.replace('mallory,lenet_exercises.ipynb,ok,0,4,0',
                                'mallory,lenet_exercises.ipynb,ok,3,4,75'))
    report.records_path(out).write_text(json.dumps(records))
    assert report.check_report(out) == ['mallory/lenet_exercises.ipynb: the CSV differs from the '
                                       'records in passed, score_percent']
    out.write_text(text)
    for rec in records['results']:
        if rec['student'] == 'partial':
            rec['checks'][0]['passed'] = True  # a verdict the answer does not give
    report.records_path(out).write_text(json.dumps(records))
    verdict, row, total = report.check_report(out)
    assert verdict.startswith('partial/lenet_exercises.ipynb: lenet_conv2_params recorded as PASSED, '
                              'its answer gives FAILED - 864 is not it')
    assert row.startswith('partial/lenet_exercises.ipynb: the CSV differs from the records in passed')
    assert total.startswith('partial/TOTAL: the CSV differs from the records in passed')


@needs_bwrap
@pytest.mark.slow
def test_the_bubblewrap_sandbox_seals_a_run(tmp_path):
    """Inside: no network, no other processes, nothing of the host writable but scratch,
    no home folder; after kill() nothing the run started is left."""
    box = sandbox.make_sandbox('bubblewrap')
    try:
        scratch = box.scratch()
        probe = textwrap.dedent(f"""
            import os, socket, subprocess, sys
            subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],
                             start_new_session=True, env={{}})
            try:
                socket.create_connection(('1.1.1.1', 53), timeout=2)
                print('network')
            except OSError:
                pass
            pids = [p for p in os.listdir('/proc') if p.isdigit()]
            print('pids', len(pids))
            for path in ({str(Path(sandbox.__file__))!r}, {str(tmp_path / 'outside.txt')!r}):
                try:
                    open(path, 'a').close()
                    print('wrote', path)
                except OSError:
                    pass
            print('home', os.path.exists({str(Path.home() / '.cache')!r}))
            open('inside.txt', 'w').write('ok')
            """)
        argv, kwargs = box.command(scratch, [sys.executable, '-c', probe], box.env(scratch, {}))
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True, **kwargs)
        out = proc.stdout.read()
        box.kill(proc, scratch)
        lines = out.splitlines()
        assert 'network' not in lines and not any(ln.startswith('wrote') for ln in lines), out
        assert int(lines[0].split()[1]) <= 4, out   # bwrap's init, python, the sleeper
        assert 'home False' in lines, out   # the instructor's caches are not there
        assert (scratch / 'work' / 'inside.txt').read_text() == 'ok'
        time.sleep(0.5)
        assert _grade_processes(scratch) == []
    finally:
        box.cleanup()


def test_bad_isolation_names_the_parameter(tmp_path):
    with pytest.raises(ValueError, match='isolation must be one of auto, bubblewrap, user, none'):
        batch.grade(tmp_path, REFERENCE, isolation='docker')


def test_near_matches_are_the_usual_misnamings():
    files = ['01_lenet (1).ipynb', '01_LeNet.ipynb', '01_lenet.ipynb.txt', '01_lenet - Copy.ipynb',
             '02_alexnet.ipynb', 'notes.txt']
    assert batch.near_matches('01_lenet.ipynb', files) == [
        '01_LeNet.ipynb', '01_lenet (1).ipynb', '01_lenet - Copy.ipynb', '01_lenet.ipynb.txt']
    assert batch.near_matches('03_vgg.ipynb', files) == []


def test_grading_without_isolation_warns_loudly(tmp_path, capsys):
    write(tmp_path, 'amy', FLOPS, submission(FLOPS))
    assert batch.grade(tmp_path, REFERENCE, isolation='none', notebooks=['nothing']) == []
    assert 'WARNING: no isolation: student code runs with your permissions' in capsys.readouterr().err
    table = report.format_table([judging.NotebookResult('amy', FLOPS, 'ok', isolation='none')])
    assert table.startswith("isolation: NONE - student code ran with the grader's permissions")


def test_parallel_jobs_get_distinct_scratch_folders():
    box = sandbox.make_sandbox('none')
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            folders = list(pool.map(lambda _: box.scratch(), range(64)))
        assert len(set(folders)) == 64 and all((f / 'work').is_dir() for f in folders)
        box.remove(folders[0])
        assert not folders[0].exists()
    finally:
        box.cleanup()


def test_an_answer_to_a_check_week5_does_not_have_fails_instead_of_crashing():
    result = keyring.verdicts('no_such_check', {'value': 1})['no_such_check']
    assert not result.passed and result.reason.startswith("cannot be judged: unknown check 'no_such_check'")


@pytest.mark.slow
def test_a_kernel_that_kills_the_driver_ends_only_its_own_run(adversarial):
    row = adversarial['rows']['driver_killer', build_class.LENET]
    assert 'the run stopped before the end of the notebook (its driver was ended)' in row['errored_cells']
    checks = checks_of(row)
    assert checks['lenet_conv2_params'] is None  # answered before
    assert checks['lenet_conv2_shape'] == checks['lenet_bn'] == 'check did not run'
