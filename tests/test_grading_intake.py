"""`python -m instructor.grading collect`: platform downloads -> SUBMISSIONS/<student>/<notebook>.ipynb;
notebooks in every editor's shape; the gradebook CSVs and the feedback files.

The downloads are built here from each platform's documented naming scheme (Canvas'
"Download submissions" zip, Moodle's "Download all submissions" zip, GitHub Classroom's
one repository per student); they are graded in tests/test_grading_cluster.py.
"""
import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from week5.checks import CheckResult
from instructor.grading import feedback, gradebook, intake, notebooks
from instructor.grading.judging import NotebookResult

REFERENCE = Path(__file__).parent / 'fixtures' / 'grading' / 'reference'
FLOPS, VGG = 'flops.ipynb', 'vgg_exercises.ipynb'


_spec = importlib.util.spec_from_file_location(
    'platforms', Path(__file__).parent / 'fixtures' / 'grading' / 'platforms.py')
platforms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(platforms)
notebook_bytes, make_zip = platforms.notebook_bytes, platforms.make_zip
canvas_zip, moodle_zip, classroom_repos = platforms.canvas_zip, platforms.moodle_zip, platforms.classroom_repos


def marker(path):
    return nbformat.reads(Path(path).read_text(), as_version=4).cells[0].source


def test_canvas_zip_latest_resubmission_lateness_and_ids(tmp_path):
    out = tmp_path / 'subs'
    got = intake.collect(canvas_zip(tmp_path / 'canvas.zip'), 'canvas', out, REFERENCE)
    placed = {(p.student, p.notebook): p for p in got.placed}
    assert set(placed) == {('smithjohn_101', FLOPS), ('doejane_102', VGG), ('leeann_103', FLOPS)}
    assert marker(out / 'smithjohn_101' / FLOPS) == '# john latest'
    assert placed['smithjohn_101', FLOPS].attempt == 2
    assert placed['doejane_102', VGG].late is True and placed['smithjohn_101', FLOPS].late is False
    assert placed['leeann_103', FLOPS].source == 'leeann_103_5003_Copy of flops.ipynb'
    reasons = {u.source: u.reason for u in got.unplaced}
    assert reasons['smithjohn_101_5001_flops.ipynb'].startswith('an earlier submission of flops.ipynb (attempt 0)')
    assert 'attempt 1' in reasons['smithjohn_101_5001_flops-1.ipynb']
    assert reasons['doejane_102_5002_notes.pdf'] == 'not a notebook (.pdf)'
    assert reasons['readme.txt'].startswith('name does not follow the canvas scheme')
    assert reasons['__MACOSX/._leeann_103_5003_flops.ipynb'].startswith('macOS archive metadata')
    assert len(got.placed) + len(got.unplaced) == 8     # every file is accounted for
    record = json.loads((out / 'intake.json').read_text())
    assert record['students']['doejane_102']['id'] == '102'
    assert record['students']['doejane_102']['notebooks'][VGG]['late'] is True


def test_moodle_folder_zip(tmp_path):
    out = tmp_path / 'subs'
    got = intake.collect(moodle_zip(tmp_path / 'moodle.zip'), 'moodle', out, REFERENCE)
    assert {(p.student, p.notebook, p.id, p.name) for p in got.placed} == {
        ('jane-doe_201', FLOPS, '201', 'Jane Doe'), ('max-mustermann_202', VGG, '202', 'Max Mustermann')}
    assert marker(out / 'jane-doe_201' / FLOPS) == '# jane moodle'
    reasons = {u.source: u.reason for u in got.unplaced}
    assert reasons['Jane Doe_201_assignsubmission_file_/.ipynb_checkpoints/flops-checkpoint.ipynb'] \
        .startswith('a Jupyter checkpoint copy')
    assert reasons['Jane Doe_201_assignsubmission_onlinetext_/onlinetext.html'] == \
        'Moodle online text, not a submitted file'
    assert all(p.late is None for p in got.placed)   # Moodle's names do not say


def test_three_classroom_repositories_links_not_followed(tmp_path):
    out = tmp_path / 'subs'
    got = intake.collect(classroom_repos(tmp_path / 'repos'), 'classroom', out, REFERENCE)
    assert {(p.student, p.notebook) for p in got.placed} == {
        ('alice', FLOPS), ('bob-smith', FLOPS), ('carol', VGG)}
    reasons = {u.source: u.reason for u in got.unplaced}
    assert reasons['week5-cnn-carol/flops.ipynb'] == 'symbolic link: not followed'
    assert reasons['week5-cnn-bob-smith/.git/'] == 'git metadata (2 files), not a submission'
    assert reasons['week5-cnn-carol/README.md'] == 'not a notebook (.md)'
    assert not (out / 'carol' / FLOPS).exists()
    with pytest.raises(ValueError, match='--assignment'):
        intake.collect(tmp_path / 'repos' / 'week5-cnn-alice', 'classroom', tmp_path / 'o2', REFERENCE)


def test_a_zip_that_tries_path_traversal_writes_nothing_outside(tmp_path):
    out = tmp_path / 'deep' / 'subs'
    zpath = make_zip(tmp_path / 'evil.zip', {
        '../evil.ipynb': notebook_bytes('up'),
        '/abs_1_1_flops.ipynb': notebook_bytes('abs'),
        'x/../../smith_1_1_flops.ipynb': notebook_bytes('sneaky'),
        'C:\\Windows\\smith_1_1_flops.ipynb': notebook_bytes('drive'),
        'link_2_2_flops.ipynb': ('symlink', '/etc/passwd'),
        'big_3_3_flops.ipynb': b'{' + b' ' * 5000 + b'}',
        'good_4_4_flops.ipynb': notebook_bytes('good'),
    })
    got = intake.collect(zpath, 'canvas', out, REFERENCE, max_file_bytes=4000)
    assert [(p.student, p.notebook) for p in got.placed] == [('good_4', FLOPS)]
    reasons = {u.source: u.reason for u in got.unplaced}
    assert reasons['../evil.ipynb'].startswith('path traversal')
    assert reasons['x/../../smith_1_1_flops.ipynb'].startswith('path traversal')
    assert reasons['/abs_1_1_flops.ipynb'].startswith('absolute path')
    assert reasons['C:/Windows/smith_1_1_flops.ipynb'].startswith('absolute path')
    assert reasons['link_2_2_flops.ipynb'] == 'symbolic link in the archive: not followed'
    assert 'over the 4000-byte limit' in reasons['big_3_3_flops.ipynb']
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob('*') if p.is_file())
    assert written == ['deep/subs/good_4/flops.ipynb', 'deep/subs/intake.json', 'evil.zip']


def test_pattern_for_another_platform_and_its_errors(tmp_path):
    src = tmp_path / 'dl'
    for rel in ('alice/flops.ipynb', 'bob/late/flops.ipynb', 'stray.ipynb'):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(notebook_bytes(rel))
    got = intake.collect(src, None, tmp_path / 'out', REFERENCE,
                         pattern=r'^(?P<student>[^/]+)/(?:(?P<late>late)/)?(?P<file>[^/]+)$')
    assert {(p.student, p.late) for p in got.placed} == {('alice', False), ('bob', True)}
    assert [u.source for u in got.unplaced] == ['stray.ipynb']
    with pytest.raises(ValueError, match='--pattern needs the named groups file'):
        intake.collect(src, None, tmp_path / 'o2', REFERENCE, pattern=r'(?P<student>.+)')
    with pytest.raises(ValueError, match='--from must be one of canvas, moodle, classroom'):
        intake.collect(src, 'blackboard', tmp_path / 'o3', REFERENCE)


def test_collect_refuses_a_folder_it_did_not_write_and_recollects_its_own(tmp_path):
    out = tmp_path / 'subs'
    out.mkdir()
    (out / 'mine.txt').write_text('x')
    with pytest.raises(ValueError, match='--out .* is not empty'):
        intake.collect(canvas_zip(tmp_path / 'c.zip'), 'canvas', out, REFERENCE)
    out2 = tmp_path / 'subs2'
    intake.collect(tmp_path / 'c.zip', 'canvas', out2, REFERENCE)
    intake.collect(moodle_zip(tmp_path / 'm.zip'), 'moodle', out2, REFERENCE)
    assert sorted(p.name for p in out2.iterdir()) == ['intake.json', 'jane-doe_201', 'max-mustermann_202']


def test_collect_command_line(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, '-m', 'instructor.grading', 'collect', str(canvas_zip(tmp_path / 'c.zip')),
                           '--from', 'canvas', '--out', str(tmp_path / 'subs'), '--reference', str(REFERENCE)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert 'canvas: placed 3 notebook(s) of 3 student(s), 1 late' in proc.stdout
    assert '  doejane_102_5002_notes.pdf: not a notebook (.pdf)' in proc.stdout
    bad = subprocess.run([sys.executable, '-m', 'instructor.grading', 'collect', str(tmp_path / 'c.zip'),
                          '--out', str(tmp_path / 'x')], capture_output=True, text=True, timeout=120, env=env)
    assert bad.returncode == 2 and '--pattern' in bad.stderr


# ---------------------------------------------------------------- every editor's shape

BASE = {'cells': [{'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'outputs': [],
                   'source': ['x = 1\r\n', 'y = 2']}],
        'metadata': {}, 'nbformat': 4, 'nbformat_minor': 2}


def shaped(**changes):
    nb = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        if key == 'cell':
            nb['cells'][0].update(value)
        else:
            nb[key] = value
    return nb


@pytest.mark.parametrize('shape, raw', [
    ('JupyterLab 4.5', json.dumps(shaped(nbformat_minor=5, cell={'id': 'a1'}), indent=1).encode()),
    ('Jupyter 4.2 (no ids)', json.dumps(shaped()).encode()),
    ('VS Code (ids in 4.2)', json.dumps(shaped(cell={'id': 'a1', 'metadata': {'vscode': {'languageId': 'python'}}})).encode()),
    ('Colab', json.dumps(shaped(nbformat_minor=0, metadata={'colab': {'provenance': []}, 'accelerator': 'GPU'},
                                cell={'metadata': {'id': 'Xy', 'outputId': 'o1'}})).encode()),
    ('Windows BOM + CRLF', b'\xef\xbb\xbf' + json.dumps(shaped(), indent=1).replace('\n', '\r\n').encode()),
    ('Notepad UTF-16', json.dumps(shaped()).encode('utf-16')),
    ('Jupyter 2.x (nbformat 3)', json.dumps({
        'metadata': {'name': ''}, 'nbformat': 3, 'nbformat_minor': 0, 'worksheets': [{'cells': [{
            'cell_type': 'code', 'collapsed': False, 'input': ['x = 1\n', 'y = 2'], 'language': 'python',
            'metadata': {}, 'outputs': [], 'prompt_number': 1}], 'metadata': {}}]}).encode()),
])
def test_every_editors_notebook_is_read_as_written(shape, raw):
    nb = notebooks.load_notebook(raw)
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5
    assert [c.source for c in nb.cells] == ['x = 1\ny = 2'], shape
    assert all(c.get('id') for c in nb.cells)
    nbformat.validate(nb)


def test_a_windows_saved_unchanged_cell_still_matches_the_reference():
    ref = nbformat.read(str(REFERENCE / FLOPS), as_version=4)
    student = json.loads(nbformat.writes(ref))
    for cell in student['cells']:
        cell.pop('id', None)
        src = ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
        cell['source'] = src.replace('\n', '\r\n')
    student['nbformat_minor'] = 4
    nb, labels, checks = notebooks.build_graded_notebook(notebooks.load_notebook(json.dumps(student).encode()), ref)
    ref_code = [c for c in ref.cells if c.cell_type == 'code']
    # unchanged cells carry the reference's outputs (compared), as for a Linux save
    assert [c.get('outputs') for c in nb.cells if c.metadata.get('week5_grade') != 'check'] == \
        [c.outputs for c in ref_code if not notebooks.is_check_cell(c)]


def test_a_notebook_version_jupyter_never_wrote_says_so():
    with pytest.raises(notebooks.GradingInputError, match='nbformat 5 is not a notebook version'):
        notebooks.load_notebook(json.dumps(shaped(nbformat=5)).encode())


# ---------------------------------------------------------------- gradebooks and feedback

def _intake(platform, students):
    return {'platform': platform, 'students': {
        folder: {'id': i, 'name': name, 'notebooks': {FLOPS: {'late': late}}}
        for folder, (i, name, late) in students.items()}}


RESULTS = [NotebookResult('smithjohn_101', FLOPS, 'ok', [CheckResult('a', True), CheckResult('b', False, 'too small')]),
           NotebookResult('smithjohn_101', VGG, 'ok', [CheckResult('c', True), CheckResult('d', True)]),
           NotebookResult('doejane_102', FLOPS, 'errors', [CheckResult('a', False, 'x'), CheckResult('b', False, 'y')],
                          ['cell 3 `foo()`: NameError: foo'])]

CANVAS_EXPORT = '''Student,ID,SIS User ID,SIS Login ID,Section,Week 5 notebooks (4411),Quiz 1 (4412)
    Points Possible,,,,,20,10
"Smith, John",101,s101,jsmith,A,,7
"Doe, Jane",102,s102,jdoe,A,,9
"Ng, Lin",104,s104,lng,B,,8
'''

MOODLE_WORKSHEET = '''Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,Last modified (submission),Last modified (grade),Feedback comments
Participant 101,John Smith,js@uni.edu,Submitted for grading,,100.00,Yes,"Monday, 3 March 2025, 10:00 AM",-,
Participant 102,Jane Doe,jd@uni.edu,Submitted for grading - 2 hours late,,100.00,Yes,"Monday, 3 March 2025, 1:00 PM",-,
'''


def _csv(path):
    return list(csv.reader(open(path, newline='')))


def test_canvas_gradebook_keeps_the_exports_layout_and_fills_the_assignment(tmp_path):
    export = tmp_path / 'export.csv'
    export.write_text(CANVAS_EXPORT)
    book = _intake('canvas', {'smithjohn_101': ('101', 'smithjohn', False), 'doejane_102': ('102', 'doejane', True)})
    path = tmp_path / 'canvas.csv'
    warnings = gradebook.write_gradebook(RESULTS, book, 'canvas', path, 'Week 5 notebooks', export)
    rows, want = _csv(path), list(csv.reader(io.StringIO(CANVAS_EXPORT)))
    assert rows[0] == want[0] and rows[1] == want[1]          # header and Points Possible kept
    assert [r[5] for r in rows[2:]] == ['15', '0', '']          # 3/4 of 20 points; 0/2; not graded
    assert [r[6] for r in rows[2:]] == ['7', '9', '8'] and warnings == []
    with pytest.raises(ValueError, match="--assignment 'Week 6' names 0 columns"):
        gradebook.write_gradebook(RESULTS, book, 'canvas', path, 'Week 6', export)
    # without the export, a column without Canvas' assignment id would import as a new assignment
    with pytest.raises(ValueError, match="--assignment 'Week 5 notebooks' has no Canvas assignment id"):
        gradebook.write_gradebook(RESULTS, book, 'canvas', tmp_path / 'plain.csv', 'Week 5 notebooks')
    gradebook.write_gradebook(RESULTS, book, 'canvas', tmp_path / 'plain.csv', 'Week 5 notebooks (4411)')
    plain = _csv(tmp_path / 'plain.csv')
    assert plain[0] == gradebook.CANVAS_COLUMNS + ['Week 5 notebooks (4411)']
    assert plain[1][0].strip() == 'Points Possible' and plain[1][5] == '4'
    assert sorted((r[1], r[5]) for r in plain[2:]) == [('101', '3'), ('102', '0')]


def test_moodle_gradebook_fills_the_grading_worksheet(tmp_path):
    sheet = tmp_path / 'worksheet.csv'
    sheet.write_text(MOODLE_WORKSHEET)
    book = _intake('moodle', {'john-smith_101': ('101', 'John Smith', None), 'jane-doe_102': ('102', 'Jane Doe', None)})
    results = [NotebookResult('john-smith_101', FLOPS, 'ok', [CheckResult('a', True), CheckResult('b', False, 'x')]),
               NotebookResult('jane-doe_102', FLOPS, 'ok', [CheckResult('a', True), CheckResult('b', True)])]
    path = tmp_path / 'moodle.csv'
    gradebook.write_gradebook(results, book, 'moodle', path, export=sheet)
    rows, want = _csv(path), list(csv.reader(io.StringIO(MOODLE_WORKSHEET)))
    assert rows[0] == want[0] == gradebook.MOODLE_COLUMNS
    assert [r[4] for r in rows[1:]] == ['50', '100']
    assert [r[:4] + r[5:] for r in rows[1:]] == [r[:4] + r[5:] for r in want[1:]]
    gradebook.write_gradebook(results, book, 'moodle', tmp_path / 'plain.csv')
    plain = _csv(tmp_path / 'plain.csv')
    assert plain[0] == gradebook.MOODLE_COLUMNS
    assert sorted((r[0], r[4], r[5]) for r in plain[1:]) == [('Participant 101', '1', '2'), ('Participant 102', '2', '2')]
    with pytest.raises(ValueError, match='--gradebook needs the platform ids'):
        gradebook.write_gradebook(results, None, 'moodle', path)


def test_feedback_says_what_went_wrong_and_hides_hidden_checks(tmp_path):
    hidden = types.SimpleNamespace(name='secret_case', passed=False, reason='expected 42 for input 7', hidden=True)
    result = NotebookResult('doejane_102', FLOPS, 'errors',
                            [CheckResult('matmul_flops', False, '3 is too small: each output needs 2048 multiplies'),
                             CheckResult('shape', True), hidden],
                            ['cell 3 `foo()`: NameError: foo'], ['cell 2 `print(sum([1]))`'])
    book = _intake('canvas', {'doejane_102': ('102', 'doejane', True)})
    [path] = feedback.write_feedback([result], tmp_path / 'fb', book)
    assert path == tmp_path / 'fb' / 'doejane_102' / 'flops.md'
    text = path.read_text()
    assert '**1 of 3 checks passed**' in text
    assert '- `matmul_flops`: FAILED - 3 is too small: each output needs 2048 multiplies' in text
    assert '- `shape`: PASSED' in text
    assert '- `secret_case` (hidden check): FAILED' in text and '42' not in text
    assert '- cell 3 \'foo()\': NameError: foo' in text
    assert 'Submitted after the deadline' in text
