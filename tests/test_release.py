"""make release: the student edition is a complete repository without answers, speaker
notes, keys, tests or grader; its checks PASS right answers and FAIL typical wrong ones
with their hints; (slow) its setup check passes and its notebooks run on their own."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from instructor import release, sources
from instructor.keys import KEYS, scan

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='module')
def student(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist') / 'student'
    release.release(out)
    return out


def _env(student, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith('WEEK5_GRADE')}
    env.update(PYTHONPATH=str(student), **extra)
    return env


def test_the_release_is_a_repository_without_answers(student):
    files = {p.relative_to(student).as_posix() for p in student.rglob('*') if p.is_file()}
    for needed in ('README.md', 'Makefile', 'requirements.txt', 'environment.yml',
                   'pyproject.toml', 'scripts/setup.sh', 'scripts/check_setup.py',
                   'week5/__init__.py', 'week5/checks/hashes.json',
                   *[f'notebooks/{p.name}' for p in (ROOT / 'notebooks').glob('*.ipynb')]):
        assert needed in files, needed
    tops = {f.split('/')[0] for f in files}
    assert not tops & {'instructor', 'keys', 'tests', 'bench', 'docs', '.ci', 'dist'}, tops
    assert not [f for f in files if f.endswith('.nbsrc') or '__pycache__' in f]
    targets = re.findall(r'^([a-z]+):', (student / 'Makefile').read_text(), re.M)
    assert {'lab', 'check', 'setup'} <= set(targets)
    assert not set(targets) & {'grade', 'release', 'bench', 'test'}
    readme = (student / 'README.md').read_text()
    assert 'make lab' in readme and 'make check' in readme
    assert scan.scan(student) == []


def test_the_student_edition_installs_and_requires_only_the_students_side(student):
    assert 'instructor' not in (student / 'pyproject.toml').read_text()
    assert (student / 'requirements.txt').read_bytes() == (ROOT / 'requirements.txt').read_bytes()
    assert not (student / 'requirements-instructor.txt').exists()


def test_the_student_package_is_a_copy_of_week5(student):
    def tree(root):
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob('*')
                if p.is_file() and '__pycache__' not in p.parts}
    assert tree(student / 'week5') == tree(ROOT / 'week5')


def test_speaker_notes_stay_with_the_instructor(student):
    for path in (ROOT / 'notebooks').glob('*.ipynb'):
        mine = json.loads(path.read_text())
        theirs = json.loads((student / 'notebooks' / path.name).read_text())
        notes = [c for c in mine['cells']
                 if c['metadata'].get('slideshow', {}).get('slide_type') == 'notes']
        assert notes, f'{path.name} has speaker notes to remove'
        assert [c['id'] for c in theirs['cells']] == \
            [c['id'] for c in mine['cells'] if c not in notes]
    assert 'Ask the room' not in (student / 'notebooks' / '01_lenet.ipynb').read_text()


def test_no_cell_between_a_prediction_and_its_verify_cell_has_outputs(student):
    from week5.checks.predictions import prediction_spans
    hidden = 0
    for path in sorted((ROOT / 'notebooks').glob('*.ipynb')):
        theirs = json.loads((student / 'notebooks' / path.name).read_text())['cells']
        mine = {c['id']: c for c in json.loads(path.read_text())['cells']}
        for first, last in prediction_spans(c['id'] for c in theirs):
            for cell in theirs[first:last + 1]:
                assert not cell.get('outputs'), f'{path.name}: {cell["id"]} shows its outputs'
                hidden += bool(mine[cell['id']].get('outputs'))
    assert hidden, 'the instructor\'s notebooks had no outputs there to hide'


def test_the_scan_finds_answers_and_solutions_that_leak(student, tmp_path):
    leaky = tmp_path / 'leaky'
    shutil.copytree(student / 'notebooks', leaky / 'notebooks')
    sources.main(['--solutions', str(leaky / 'solved')])    # solved copies
    (leaky / 'readable.py').write_text(''.join(
        f'checks.check_{name}({key.answer!r})\n' for name, key in KEYS.items()))
    (leaky / 'formatted.txt').write_text(''.join(
        f'expected: {key.answer:,}\n' for key in KEYS.values()
        if isinstance(key.answer, int) and key.answer >= 1000))
    hits = scan.scan(leaky)
    found = {what.split(':')[0] for _, _, what in hits}
    assert 'solution line' in found
    assert {f'{name} answer' for name in KEYS} <= found
    assert len({n for p, n, _ in hits if p.name == 'formatted.txt'}) == \
        sum(isinstance(k.answer, int) and k.answer >= 1000 for k in KEYS.values())


CHECK_SCRIPT = r'''
import json, sys
from week5 import checks
assert checks.__file__.startswith(sys.argv[1]), checks.__file__
for name, value in json.load(sys.stdin):
    value = tuple(value) if isinstance(value, list) else value
    getattr(checks, 'check_' + name)(value)
'''


def test_the_released_checks_pass_right_and_fail_wrong_answers_with_hints(student):
    cases = [(name, answer) for name, key in KEYS.items()
             for answer in [key.answer, *key.wrong]]
    res = subprocess.run([sys.executable, '-c', CHECK_SCRIPT, str(student)], cwd=student,
                         input=json.dumps(cases), capture_output=True, text=True,
                         env=_env(student), timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    lines = re.findall(r'^\[week5 check\].*$', res.stdout, re.M)
    assert len(lines) == len(cases)
    for (name, answer), line in zip(cases, lines):
        if answer == KEYS[name].answer:
            assert line == f'[week5 check] {name}: PASSED'
        else:
            assert line.endswith(KEYS[name].wrong[answer]), line


@pytest.mark.slow
def test_the_student_edition_runs_on_its_own(student, tmp_path):
    """Its setup check passes and two chapters run in the quick profile, their check cells
    printing the stubs' verdicts."""
    env = _env(student, WEEK5_PROFILE='quick', WEEK5_PROGRESS='0', MPLBACKEND='Agg')
    res = subprocess.run([sys.executable, 'scripts/check_setup.py'], cwd=student,
                         capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0 and 'setup OK' in res.stdout, res.stdout + res.stderr[-2000:]
    for name in ('00_overview', '04_nin'):
        out = tmp_path / f'{name}.ipynb'
        res = subprocess.run([sys.executable, '-m', 'jupyter', 'nbconvert', '--to', 'notebook',
                              '--execute', f'notebooks/{name}.ipynb', '--output', str(out),
                              '--ExecutePreprocessor.timeout=600'], cwd=student,
                             capture_output=True, text=True, env=env, timeout=1200)
        assert res.returncode == 0, res.stderr[-3000:]
        nb = json.loads(out.read_text())
        checked = [''.join(o.get('text', '')) for c in nb['cells']
                   if 'check' in c['metadata'].get('tags', []) for o in c['outputs']]
        assert checked and all(': FAILED - no answer yet' in t or ': FAILED - ' in t
                               for t in checked), checked


@pytest.mark.slow
def test_the_grader_grades_a_student_edition_notebook_with_the_hidden_tests(student, tmp_path):
    """Chapter 4 as handed out, filled in by a student whose small NiN head has no padding:
    it passes every visible check, fails nin_small_head's hidden test (a 1x1 input), and
    gets the visible points only; the report names the hidden check."""
    nb = json.loads((student / 'notebooks' / '04_nin.ipynb').read_text())
    _, solutions = sources.parse_source(ROOT / 'notebooks' / 'src' / '04_nin.nbsrc')
    answers = dict(solutions)
    answers['nin-ex3-code'] = solutions['nin-ex3-code'].replace('padding=1', 'padding=0')
    for cell in nb['cells']:
        if cell['id'] in answers:
            cell['source'], cell['outputs'] = answers[cell['id']], []
    (tmp_path / 'subs' / 'zoe').mkdir(parents=True)
    (tmp_path / 'subs' / 'zoe' / '04_nin.ipynb').write_text(json.dumps(nb))
    refs = tmp_path / 'refs'
    refs.mkdir()
    shutil.copy2(ROOT / 'notebooks' / '04_nin.ipynb', refs / '04_nin.ipynb')
    out = tmp_path / 'report.csv'
    res = subprocess.run([sys.executable, '-m', 'instructor.grading', str(tmp_path / 'subs'),
                          '--reference', str(refs), '--out', str(out), '--timeout', '600'],
                         cwd=ROOT, capture_output=True, text=True, timeout=1800,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert res.returncode == 0, res.stderr[-3000:]
    import csv
    with open(out, newline='') as f:
        rows = [r for r in csv.DictReader(f) if r['notebook'] == '04_nin.ipynb']
    assert len(rows) == 1, rows
    row = rows[0]
    passed = row['passed_checks'].split('; ')
    assert set(passed) == {'nin_conv1x1_macs', 'conv1x1_params', 'nin_small_head'}
    assert row['failed_checks'].startswith('nin_small_head_hidden: '), row['failed_checks']
    assert (row['passed'], row['total']) == ('3', '4')


@pytest.mark.skipif(not os.environ.get('WEEK5_FRESH_VENV'),
                    reason='downloads the student set into a new venv (minutes): '
                           'WEEK5_FRESH_VENV=1 runs it; test_packaging checks the imports statically')
def test_a_fresh_venv_of_the_students_requirements_runs_the_edition(student, tmp_path):
    """requirements.txt alone, in a new venv without this one's packages, imports every
    module of the edition's week5 and passes its setup check."""
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True, timeout=300)
    py = str(venv / 'bin' / 'python')
    for args in (['-r', 'requirements.txt'], ['--no-deps', '-e', '.']):
        res = subprocess.run([py, '-m', 'pip', 'install', '-q', '--disable-pip-version-check',
                              *args], cwd=student, capture_output=True, text=True, timeout=3600)
        assert res.returncode == 0, res.stderr[-2000:]
    imports = ('import importlib, pkgutil, week5\n'
               'for m in pkgutil.walk_packages(week5.__path__, "week5."):\n'
               '    if m.name != "week5.grade":\n'
               '        importlib.import_module(m.name)\n')
    env = {'PATH': f'{venv}/bin:/usr/bin:/bin', 'HOME': str(tmp_path), 'WEEK5_PROFILE': 'quick',
           'MPLBACKEND': 'Agg', 'WEEK5_CACHE': os.environ.get('WEEK5_CACHE', '')}
    for argv in ([py, '-c', imports], [py, 'scripts/check_setup.py']):
        res = subprocess.run(argv, cwd=student, capture_output=True, text=True, timeout=900,
                             env={k: v for k, v in env.items() if v})
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
