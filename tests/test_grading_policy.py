"""Grading the way instructors grade (issue 27): the policy's points, lateness, hand
grading, the roster, class statistics, HTML feedback and the Canvas bulk-upload zip.

The fast tests build NotebookResults directly; `test_a_class_graded_with_a_policy` grades a
small fixture class for real (sealed runs of tests/fixtures/grading/reference/flops.ipynb
and lenet_exercises.ipynb) collected from a Canvas zip.
"""
import csv
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest

from week5.checks import CheckResult
from week5.checks.base import encode
from instructor.grading import exercises, feedback, feedback_html, handgrading, intake, policy, roster, stats
from instructor.grading.judging import NotebookResult
from instructor.grading.notebooks import expected_checks

FIXTURES = Path(__file__).parent / 'fixtures' / 'grading'
ROOT = Path(__file__).resolve().parents[1]
REFERENCE = FIXTURES / 'reference'
LENET, FLOPS, VGG = 'lenet_exercises.ipynb', 'flops.ipynb', 'vgg_exercises.ipynb'

_spec = importlib.util.spec_from_file_location('build_class', FIXTURES / 'build_class.py')
build_class = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_class)
_spec = importlib.util.spec_from_file_location('platforms', FIXTURES / 'platforms.py')
platforms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(platforms)

DEADLINE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)
POLICY = '''
[hidden]
visible_share = 0.75

[late]
penalty_per_day = 0.1
max_penalty = 0.3

[notebooks.lenet_exercises]
deadline = 2026-12-01T23:59:00Z
points = { lenet_bn = 4, lenet_conv2_shape = 2 }
hand = [ { name = "Explain conv2", cell = "ex1", points = 2 } ]
'''


def lenet_result(student, bn=True, bn_hidden=True, params=True, shape=True, status='ok'):
    return NotebookResult(student, LENET, status, [
        CheckResult('lenet_conv2_params', params, '' if params else '864 is not it: count the biases'),
        CheckResult('lenet_conv2_shape', shape, '' if shape else '(1, 16, 16, 16) is not it: no padding'),
        CheckResult('lenet_bn', bn, '' if bn else 'found 2 BatchNorm layer(s), expected 4'),
        CheckResult('lenet_bn_hidden', bn and bn_hidden, '' if bn_hidden else 'a batch of 3 fails')],
        answers={'lenet_conv2_params': {'value': encode(864 if not params else 880)},
                 'lenet_conv2_shape': {'value': encode((1, 16, 16, 16) if not shape else (1, 16, 14, 14))},
                 'lenet_bn': {'cases': []}})


@pytest.fixture
def weighted(tmp_path):
    path = tmp_path / 'grading.toml'
    path.write_text(POLICY)
    return policy.load_policy(path)


# ---------------------------------------------------------------- points

@pytest.mark.parametrize('flags', [(True, True, True, True), (True, False, True, True),
                                   (False, False, False, True), (False, False, False, False)])
def test_the_default_policy_reproduces_the_checks_passed(flags):
    r = lenet_result('amy', *flags)
    s = policy.score(r, policy.load_policy())
    assert (s.points, s.possible) == (r.passed, r.total)
    assert not s.late and s.penalty == 0


def test_weights_and_the_hidden_share(weighted):
    full = policy.score(lenet_result('amy'), weighted)
    assert (full.auto, full.possible) == (1 + 2 + 4, 1 + 2 + 4 + 2)   # + the hand item
    visible_only = policy.score(lenet_result('bo', bn_hidden=False), weighted)
    assert visible_only.auto == 1 + 2 + 0.75 * 4
    by_check = {e['check']: e for e in visible_only.exercises}
    assert by_check['lenet_bn'] == {'check': 'lenet_bn', 'points': 3.0, 'possible': 4.0,
                                    'passed': True, 'hidden': False}
    assert 'lenet_bn_hidden' not in by_check    # the hidden test shares its exercise's points


def test_lateness_from_the_time_and_from_the_platforms_flag(weighted):
    r = lenet_result('amy')
    hand = {'Explain conv2': (2.0, 'clear')}
    on_time = policy.score(r, weighted, hand, submitted=DEADLINE - timedelta(minutes=5))
    assert (on_time.points, on_time.late) == (9, False)
    late = policy.score(r, weighted, hand, submitted=DEADLINE + timedelta(hours=26))
    assert (late.late_days, late.penalty, late.points) == (2, 1.8, 7.2)      # 20 % of 9
    very_late = policy.score(r, weighted, hand, submitted=DEADLINE + timedelta(days=9))
    assert very_late.penalty == pytest.approx(0.3 * 9)                      # the cap
    no_deadline = policy.load_policy(deadline=None)
    flagged = policy.score(r, no_deadline, late_flag=True)
    assert (flagged.late, flagged.late_days, flagged.penalty) == (True, 1, 0)  # shown, no penalty set


@pytest.mark.parametrize('text, message', [
    ('[notebooks.lenet_exercises]\npoints = { lenet_bm = 2 }', "names 'lenet_bm'.*use one of"),
    ('[late]\npenalty_per_day = 2', r'\[late\].penalty_per_day = 2: write a number between 0 and 1'),
    ('[notebooks.x]\ndeadline = "next friday"', 'notebooks."x".deadline .* ISO 8601'),
    ('[notebooks.x]\nhand = [ { name = "a" } ]', 'hand\\[0\\] needs name, cell'),
    ('[grades]\n', 'unknown table'),
])
def test_a_policy_mistake_names_the_key_and_the_fix(tmp_path, text, message):
    path = tmp_path / 'grading.toml'
    path.write_text(text)
    with pytest.raises(policy.PolicyError, match=message):
        policy.load_policy(path, known_checks={'lenet_exercises': build_class.CHECKS})


# ---------------------------------------------------------------- hand grading, roster

def test_hand_grades_go_out_to_a_csv_and_come_back(tmp_path, weighted):
    subs = tmp_path / 'subs'
    build_class.write(subs, 'amy', LENET, build_class.submission(LENET, {'ex1': 'conv2_params = 880  # 16*6*9+16'}))
    build_class.write(subs, 'bo', LENET, build_class.submission(LENET))
    refs = {LENET: nbformat.read(str(REFERENCE / LENET), as_version=4)}
    [path] = handgrading.export_hand({'amy': {LENET: subs / 'amy' / LENET}, 'bo': {LENET: subs / 'bo' / LENET},
                                      'cy': {}}, refs, weighted, tmp_path / 'hand')
    rows = {r['student']: r for r in csv.DictReader(open(path))}
    assert rows['amy']['answer'] == 'conv2_params = 880  # 16*6*9+16'
    assert rows['bo']['answer'] == '' and rows['cy']['answer'] == '(not submitted)'
    assert rows['amy']['max_points'] == '2'
    rows['amy'].update(points='1.5', comment='say why the bias counts')
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=handgrading.HAND_COLUMNS)
        w.writeheader()
        w.writerows(rows.values())
    grades = handgrading.read_hand(tmp_path / 'hand', weighted)
    assert grades[('amy', 'lenet_exercises')] == {'Explain conv2': (1.5, 'say why the bias counts')}
    assert grades[('bo', 'lenet_exercises')] == {'Explain conv2': (None, '')}
    s = policy.score(lenet_result('amy'), weighted, grades[('amy', 'lenet_exercises')])
    assert (s.hand, s.points) == (1.5, 8.5)
    # a second export keeps what was entered
    handgrading.export_hand({'amy': {LENET: subs / 'amy' / LENET}}, refs, weighted, tmp_path / 'hand')
    assert next(csv.DictReader(open(path)))['points'] == '1.5'
    rows['bo']['points'] = '3'
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=handgrading.HAND_COLUMNS)
        w.writeheader()
        w.writerows(rows.values())
    with pytest.raises(policy.PolicyError, match=r'row 3: points .3. for bo: write a number from 0 to 2'):
        handgrading.read_hand(tmp_path / 'hand', weighted)


def test_a_roster_student_without_a_file_is_missing(tmp_path):
    path = tmp_path / 'roster.csv'
    path.write_text('student,email\namy,a@x\nzed,z@x\n')
    results = roster.add_missing([lenet_result('amy')], roster.read_roster(path), REFERENCE)
    assert [(r.student, r.status, r.total) for r in results] == [('amy', 'ok', 4), ('zed', 'missing', 4)]
    canvas = tmp_path / 'canvas.csv'
    canvas.write_text('Student,ID,SIS User ID\n    Points Possible,,\n"Smith, John",101,s1\n"Ng, Lin",104,s4\n')
    book = {'students': {'smithjohn_101': {'id': '101'}}}
    assert roster.read_roster(canvas, book) == ['smithjohn_101', 'nglin_104']


def test_intake_suggests_the_close_name(tmp_path):
    zip_path = platforms.make_zip(tmp_path / 'd.zip', {
        'doejane_102_5002_lenet.ipynb': platforms.notebook_bytes('x'),
        'doejane_102_5002_flops.ipynb': platforms.notebook_bytes('y')})
    got = intake.collect(zip_path, 'canvas', tmp_path / 'out', REFERENCE)
    [u] = got.unplaced
    assert 'did you mean lenet_exercises.ipynb?' in u.reason
    chapters = tmp_path / 'chapters'
    chapters.mkdir()
    for name in ('01_lenet.ipynb', '02_alexnet.ipynb', '03_vgg.ipynb'):
        (chapters / name).write_bytes((REFERENCE / FLOPS).read_bytes())
    got = intake.collect(zip_path, 'canvas', tmp_path / 'out2', chapters)
    assert [u.reason.split(':')[1].strip() for u in got.unplaced if 'lenet' in u.source] == \
        ['did you mean 01_lenet.ipynb? Rename the file to 01_lenet.ipynb in the download and collect again']


def test_classroom_lateness_is_the_last_commit_of_the_file(tmp_path):
    repo = tmp_path / 'download' / 'week5-cnn-alice'
    repo.mkdir(parents=True)
    (repo / FLOPS).write_bytes(platforms.notebook_bytes('alice'))
    late = DEADLINE + timedelta(hours=3)
    env = dict(os.environ, GIT_AUTHOR_DATE=late.isoformat(), GIT_COMMITTER_DATE=late.isoformat(),
               GIT_AUTHOR_NAME='a', GIT_AUTHOR_EMAIL='a@x', GIT_COMMITTER_NAME='a', GIT_COMMITTER_EMAIL='a@x')
    for args in (['init', '-q'], ['add', FLOPS], ['commit', '-q', '-m', 'done']):
        subprocess.run(['git', '-C', str(repo), *args], check=True, env=env, capture_output=True)
    (tmp_path / 'download' / 'week5-cnn-bob').mkdir()
    (tmp_path / 'download' / 'week5-cnn-bob' / FLOPS).write_bytes(platforms.notebook_bytes('bob'))
    got = intake.collect(tmp_path / 'download', 'classroom', tmp_path / 'subs', REFERENCE)
    times = {p.student: p.submitted for p in got.placed}
    assert times['alice'] == late.isoformat(timespec='seconds')   # not the clone's file time
    when = policy.submission_time(tmp_path / 'subs', 'alice', FLOPS, intake.read_intake(tmp_path / 'subs'))
    assert policy.days_late(when, DEADLINE) == 1
    assert datetime.fromisoformat(times['bob']) > DEADLINE           # no history: the file's time


# ---------------------------------------------------------------- statistics and feedback

def test_class_statistics_name_the_most_failed_exercise_and_its_common_wrong_answer():
    results = [lenet_result('a', shape=False), lenet_result('b', shape=False),
               lenet_result('c', shape=False, params=False), lenet_result('d'),
               lenet_result('e', bn=False, bn_hidden=False),
               NotebookResult('f', LENET, 'missing', [CheckResult(n, False, 'notebook not submitted')
                                                      for n in build_class.CHECKS])]
    titles = {LENET: {'lenet_conv2_shape': 'Exercise 2'}}
    table = stats.class_stats(results, titles)
    worst = table[0]
    assert (worst.check, worst.title, worst.passed, worst.submitted) == ('lenet_conv2_shape', 'Exercise 2', 2, 5)
    assert worst.common() == [('(1, 16, 16, 16)', 3)]
    text = stats.format_stats(table)
    assert text.splitlines()[3].split()[:2] == [LENET, 'Exercise']
    assert '3 x (1, 16, 16, 16)' in text


def test_exercise_titles_as_the_notebook_shows_them():
    nb = nbformat.read(str(REFERENCE / VGG), as_version=4)
    assert exercises.exercise_titles(nb) == {'vgg_bn_block': 'Exercise 1', 'vgg_dense_inputs': 'Exercise 2'}
    assert exercises.title_of('vgg_bn_block_hidden', exercises.exercise_titles(nb)) == 'Exercise 1 (hidden test)'


def test_html_feedback_greets_by_name_and_hides_the_hidden_reason(tmp_path, weighted):
    r = lenet_result('doejane_102', shape=False, bn_hidden=False)
    r.errored_cells = ['cell 5 `x = <b>`: NameError']
    policy.score_class([r], weighted, tmp_path, None, {('doejane_102', 'lenet_exercises'): {'Explain conv2': (1.0, 'ok')}})
    page = feedback_html.feedback_html(r, {'lenet_conv2_shape': 'Exercise 2', 'lenet_bn': 'Exercise 3'},
                                       'Jane Doe')
    assert 'Hello Jane Doe,' in page
    assert '<td>Exercise 2</td><td class="fail">FAILED</td><td>(1, 16, 16, 16) is not it: no padding</td><td>0 / 2</td>' in page
    assert '<td>Exercise 3 (hidden test)</td><td class="fail">FAILED</td><td></td>' in page
    assert 'a batch of 3 fails' not in page                        # the hidden case stays hidden
    assert 'x = &lt;b&gt;' in page and '<b>' not in page
    assert 'Explain conv2</td><td>1 / 2</td><td>ok' in page
    text = feedback.feedback_markdown(r)
    assert '- `lenet_bn_hidden` (hidden check): FAILED' in text and 'a batch of 3 fails' not in text


def test_canvas_feedback_zip_is_named_like_the_download(tmp_path):
    page = tmp_path / 'p.html'
    page.write_text('<p>hi</p>')
    book = {'students': {'doejane_102': {'id': '102', 'notebooks': {VGG: {
        'source': 'doejane_LATE_102_5002_vgg_exercises.ipynb', 'late': True, 'submission': '5002'}}}}}
    left = feedback_html.canvas_feedback_zip({('doejane_102', VGG): page, ('bob', VGG): page}, book,
                                             tmp_path / 'c.zip')
    assert zipfile.ZipFile(tmp_path / 'c.zip').namelist() == ['doejane_LATE_102_5002_feedback-vgg_exercises.html']
    assert left == ['bob/vgg_exercises.ipynb']


# ---------------------------------------------------------------- a class, end to end

CANVAS_EXPORT = '''Student,ID,SIS User ID,SIS Login ID,Section,Week 5 (4411)
    Points Possible,,,,,20
"Smith, Amy",101,s101,asmith,A,
"Doe, Bo",102,s102,bdoe,A,
"Lee, Cy",103,s103,clee,A,
'''


def _canvas_download(path):
    """Canvas' "Download submissions" zip, with the hand-in times Canvas stores."""
    sub, answers = build_class.submission, build_class.ANSWERS
    files = {
        'smithamy_101_5001_lenet_exercises.ipynb': (sub(LENET, answers), DEADLINE - timedelta(hours=1)),
        'doebo_LATE_102_5002_lenet_exercises.ipynb':
            (sub(LENET, dict(answers, ex1='conv2_params = 6 * 16 * 3 * 3')), DEADLINE + timedelta(hours=26)),
        'leecy_103_5003_lenet.ipynb': (sub(LENET, answers), DEADLINE - timedelta(hours=2)),
    }
    with zipfile.ZipFile(path, 'w') as zf:
        for name, (nb, when) in files.items():
            zf.writestr(zipfile.ZipInfo(name, when.timetuple()[:6]), nbformat.writes(nb))
    return path


def _run(*args, cwd=None, env=None):
    proc = subprocess.run([sys.executable, '-m', 'instructor.grading', *map(str, args)],
                          capture_output=True, text=True, timeout=900, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def documented_commands():
    """The command lines of docs/instructors.md's step by step ("Teaching this course")."""
    text = (ROOT / 'docs' / 'instructors.md').read_text()
    block = text.split('<!-- teaching-commands -->', 1)[1].split('```bash', 1)[1].split('```', 1)[0]
    return [line.strip() for line in block.strip().splitlines() if line.strip()]


def _checkout(tmp_path):
    """A course checkout in tmp_path: this Makefile, the fixture references as notebooks/,
    .venv (this interpreter's), and what the instructor has beside them."""
    for name in ('Makefile', 'requirements.txt', 'requirements-instructor.txt', 'pyproject.toml',
                 'scripts/setup.sh'):
        if (ROOT / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, tmp_path / name)
            os.utime(tmp_path / name, (0, 0))      # older than the venv's setup stamp: no setup
    (tmp_path / 'notebooks').mkdir()
    for name in (LENET, 'sanitize.cfg'):
        shutil.copy(REFERENCE / name, tmp_path / 'notebooks' / name)
    (tmp_path / '.venv').symlink_to(sys.prefix)
    (tmp_path / 'grading.toml').write_text(POLICY)
    (tmp_path / 'gradebook.csv').write_text(CANVAS_EXPORT)
    _canvas_download(tmp_path / 'submissions.zip')
    return dict(os.environ, PYTHONPATH=str(ROOT), VENV=sys.prefix)


def _fill_hand_grades(folder):
    [sheet] = folder.glob('*.csv')
    rows = list(csv.DictReader(open(sheet)))
    assert [r['student'] for r in rows] == ['doebo_102', 'smithamy_101']
    assert rows[1]['answer'] == build_class.ANSWERS['ex1']
    for row, points in zip(rows, ('1', '2')):
        row.update(points=points, comment=f'{points} of 2')
    with open(sheet, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=handgrading.HAND_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.slow
def test_the_documented_step_by_step_grades_a_class_with_a_policy(tmp_path):
    """docs/instructors.md's commands, verbatim, on a Canvas class: weighted points, a
    26-hour-late submission's 2-day penalty, hand-graded points and a roster student
    without a file, in report.csv, both gradebooks, the feedback and the statistics."""
    env = _checkout(tmp_path)
    commands = documented_commands()
    assert [c.split()[:4] for c in commands] == [
        ['.venv/bin/python', '-m', 'instructor.grading', 'collect'],
        ['.venv/bin/python', '-m', 'instructor.grading', 'hand'], ['make', 'grade', 'SUBMISSIONS=submissions', 'POLICY=grading.toml']]
    outputs = []
    for command in commands:
        proc = subprocess.run(['bash', '-c', command], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=900)
        assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr[-3000:])
        outputs.append(proc.stdout)
        if ' hand ' in command:
            _fill_hand_grades(tmp_path / 'hand')
    assert 'did you mean lenet_exercises.ipynb?' in outputs[0]
    stdout = outputs[-1]
    report = {(r['student'], r['notebook']): r for r in csv.DictReader(open(tmp_path / 'report.csv'))}
    amy, bo, cy = (report[s, LENET] for s in ('smithamy_101', 'doebo_102', 'leecy_103'))
    assert (amy['points'], amy['max_points'], amy['hand_points'], amy['late']) == ('9', '9', '2', '')
    # bo: 1 (of 1) missed, 2 + 4 + hand 1 = 7, handed in 26 h late: 2 days of 10 %
    assert (bo['points'], bo['hand_points'], bo['late'], bo['late_days'], bo['late_penalty']) == \
        ('5.6', '1', 'late', '2', '1.4')
    assert (cy['status'], cy['points'], cy['max_points']) == ('missing', '0', '9')
    assert report['doebo_102', 'TOTAL']['points'] == '5.6'
    assert 'late 2 d (-1.4)' in stdout and 'class statistics' in stdout
    canvas = list(csv.reader(open(tmp_path / 'report.canvas.csv')))
    assert [(r[1], r[5]) for r in canvas[2:]] == [('101', '20'), ('102', '12.44'), ('103', '')]
    page = (tmp_path / 'feedback' / 'doebo_102' / 'lenet_exercises.html').read_text()
    assert '5.6 of 9 points' in page and '2 day(s) after the deadline: 1.4 point(s) taken off' in page
    assert 'Explain conv2</td><td>1 / 2</td><td>1 of 2' in page and 'Hello doebo,' in page
    markdown = (tmp_path / 'feedback' / 'doebo_102' / 'lenet_exercises.md').read_text()
    assert '**5.6 of 9 points** (handed in 2 day(s) late: -1.4)' in markdown
    assert zipfile.ZipFile(tmp_path / 'feedback' / 'canvas-feedback.zip').namelist() == [
        'doebo_LATE_102_5002_feedback-lenet_exercises.html', 'smithamy_101_5001_feedback-lenet_exercises.html']
    stats_rows = list(csv.DictReader(open(tmp_path / 'stats.csv')))
    assert (stats_rows[0]['check'], stats_rows[0]['pass_rate'], stats_rows[0]['common_wrong_answers']) == \
        ('lenet_conv2_params', '50%', '1x 864')
    # Moodle's worksheet from the same runs (resumed from the run records: nothing runs again)
    _run('submissions', '--reference', 'notebooks', '--policy', 'grading.toml', '--hand', 'hand',
         '--roster', 'gradebook.csv', '--gradebook', 'moodle', cwd=tmp_path, env=env)
    moodle = {r[0]: r for r in csv.reader(open(tmp_path / 'report.moodle.csv'))}
    assert (moodle['Participant 102'][4], moodle['Participant 102'][5]) == ('5.6', '9')
    assert moodle['Participant 102'][9] == 'late: lenet_exercises.ipynb 2 d (-1.4)'


def test_the_documented_example_policy_fits_the_chapters():
    refs = {p.stem: nbformat.read(str(p), as_version=4) for p in (ROOT / 'notebooks').glob('0*.ipynb')}
    example = policy.load_policy(ROOT / 'docs' / 'grading.example.toml',
                                 known_checks={n: expected_checks(nb) for n, nb in refs.items()})
    cells = {n: {c.get('id') for c in nb.cells} for n, nb in refs.items()}
    for name, table in example.notebooks.items():
        assert all(item.cell in cells[name] for item in table.hand), name


def test_moodle_feedback_zip_has_the_downloads_folders(tmp_path):
    page = tmp_path / 'p.html'
    page.write_text('<p>hi</p>')
    book = {'students': {'jane-doe_201': {'id': '201', 'name': 'Jane Doe', 'notebooks': {}}}}
    left = feedback_html.moodle_feedback_zip({('jane-doe_201', FLOPS): page, ('x', FLOPS): page}, book,
                                             tmp_path / 'm.zip')
    assert zipfile.ZipFile(tmp_path / 'm.zip').namelist() == [
        'Jane Doe_201_assignsubmission_file_/feedback-flops.html']
    assert left == ['x/flops.ipynb']
