"""The chapter notebooks: structure, slide metadata, the lecture checklist, exercises
and their checks, agreement with their sources, slides export, and nbval itself
catching an altered output."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from instructor import sources
from support import outputs_text

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / 'notebooks'
NOTEBOOKS = sorted(NB_DIR.glob('[0-9][0-9]_*.ipynb'))
CHAPTERS = [p for p in NOTEBOOKS if p.stem[:2] in ('01', '02', '03', '04', '05')]
CHECKLIST = json.loads((Path(__file__).parent / 'lecture_checklist.json').read_text())
SLIDE_TYPES = {'slide', 'subslide', 'fragment', 'skip', 'notes', '-'}
SECTIONS = ['History and idea', 'Architecture as code', 'Architecture figure',
            'Training with live curves', 'First-layer filters', 'Key experiment',
            'Training lab', 'Exercises']
IGNORE = 'nbval-ignore-output'
# Calls whose output depends on timing, randomness or the profile: never in checked cells.
VARYING = ('.fit(', 'compare(', 'train_networks(', 'cpu_gflops(', 'TrainingLab(',
           '.train(', 'FilterViewer(', 'Panel(', 'visualize(', 'draw_architecture(',
           'plot_', 'gradient_norms', 'get_profile()', 'speed_table', 'runs_table',
           'final_metrics')


def load(path):
    return nbformat.read(str(path), as_version=4)


def text(cell):
    return cell.source if isinstance(cell.source, str) else ''.join(cell.source)


def norm(s):
    return ' '.join(s.lower().split())


def test_all_seven_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == ['00_overview', '01_lenet', '02_alexnet', '03_vgg',
                                           '04_nin', '05_googlenet', '06_compare']


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_valid_with_stable_ids_and_slide_metadata(path):
    nb = load(path)
    nbformat.validate(nb)
    prefix = path.stem.split('_', 1)[1]
    ids = [c.get('id') for c in nb.cells]
    assert len(set(ids)) == len(ids)
    for cell in nb.cells:
        assert cell.id.startswith(prefix + '-'), cell.id
        slide = cell.metadata.get('slideshow', {}).get('slide_type')
        assert slide in SLIDE_TYPES, (cell.id, slide)
    assert nb.cells[0].metadata.slideshow.slide_type == 'slide'
    assert text(nb.cells[0]).startswith('# ')
    headings = [c for c in nb.cells if c.cell_type == 'markdown' and text(c).startswith('## ')]
    assert headings and all(c.metadata.slideshow.slide_type == 'slide' for c in headings)


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_every_code_cell_is_executed_in_order(path):
    counts = [c.execution_count for c in load(path).cells if c.cell_type == 'code']
    assert None not in counts, 'run the notebook (see instructor/sources.py)'
    assert counts == sorted(counts)
    for cell in load(path).cells:
        for out in cell.get('outputs', []):
            assert out.get('output_type') != 'error', (cell.id, out.get('evalue'))


def test_chapters_share_the_same_section_order():
    for path in CHAPTERS:
        nb = load(path)
        found = [m.groups() for c in nb.cells if c.cell_type == 'markdown'
                 for m in [re.match(r'## (\d+) · (.+?)(?::|$)', text(c))] if m]
        assert [int(n) for n, _ in found] == list(range(1, len(SECTIONS) + 1)), path.stem
        assert [t for _, t in found] == SECTIONS, path.stem


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_import_only_week5_and_mxnet(path):
    for cell in load(path).cells:
        if cell.cell_type != 'code':
            continue
        for line in text(cell).splitlines():
            m = re.match(r'\s*(?:from|import)\s+([\w.]+)', line)
            if m:
                assert m.group(1).split('.')[0] in ('week5', 'mxnet'), (cell.id, line)


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_varying_cells_are_ignored_by_nbval(path):
    for cell in load(path).cells:
        if cell.cell_type == 'code' and IGNORE not in cell.metadata.get('tags', []):
            src = text(cell)
            hits = [call for call in VARYING if call in src]
            assert not hits, f'{cell.id} calls {hits}: tag it {IGNORE}'
            # nbval runs cells without storing history, so IPython's trailing-semicolon
            # suppression does not work there: a checked cell must not rely on it
            assert not src.rstrip().endswith(';'), f'{cell.id} ends with ";"'


@pytest.mark.parametrize('path', CHAPTERS, ids=lambda p: p.stem)
def test_chapter_exercises_and_checks(path):
    nb = load(path)
    by_id = {c.id: c for c in nb.cells}
    exercises = [m for c in nb.cells if c.cell_type == 'markdown'
                 for m in re.findall(r'\*\*Exercise (\d+) \((checked|discussion)\)', text(c))]
    assert 3 <= len(exercises) <= 5, exercises
    assert [int(n) for n, _ in exercises] == list(range(1, len(exercises) + 1))
    checked = [n for n, kind in exercises if kind == 'checked']
    assert len(checked) >= 2
    prefix = path.stem.split('_', 1)[1]
    for n in checked:
        code, check = by_id[f'{prefix}-ex{n}-code'], by_id[f'{prefix}-ex{n}-check']
        assert 'exercise' in code.metadata.tags and 'check' in check.metadata.tags
        assert re.fullmatch(r'checks\.check_\w+\(\w+\)', text(check).strip())
        verdicts = re.findall(r'^\[week5 check\] \w+: (PASSED|FAILED)', outputs_text(check),
                              re.M)
        assert len(verdicts) == 1, (check.id, outputs_text(check))


def _solved_sources(path):
    return sources.parse_source(NB_DIR / 'src' / f'{path.stem}.nbsrc')


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_reference_solutions_pass_every_check(path, capsys):
    """Run the setup cell, every reference solution and every check cell of a notebook:
    each check prints PASSED (so the exercises can be solved, and the checks agree with
    the solutions), while the committed stubs print FAILED without crashing."""
    cells, solutions = _solved_sources(path)
    assert solutions, 'every notebook with exercises has reference solutions'
    namespace = {}
    setup = next(c for c in cells if c['id'].endswith('-setup'))
    exec(compile(setup['source'], f'{path.stem}:setup', 'exec'), namespace)
    # the chapters' own definitions an exercise may build on
    for cid in ('nin-block-code',):
        for c in cells:
            if c['id'] == cid:
                exec(compile(c['source'], cid, 'exec'), namespace)
    capsys.readouterr()
    expected = 0
    for cell in cells:
        if cell['id'] in solutions:
            exec(compile(solutions[cell['id']], cell['id'], 'exec'), namespace)
        elif 'check' in cell['tags']:
            exec(compile(cell['source'], cell['id'], 'exec'), namespace)
            expected += 1
    out = capsys.readouterr().out
    verdicts = re.findall(r'^\[week5 check\] (\w+): (PASSED|FAILED)(.*)$', out, re.M)
    assert len(verdicts) == expected >= 2
    assert all(v == 'PASSED' for _, v, _ in verdicts), verdicts
    stubs = [outputs_text(c) for c in load(path).cells if 'check' in c.metadata.get('tags', [])]
    assert all(': FAILED - ' in s for s in stubs), stubs


def test_checklist_facts_are_taught_where_listed():
    facts = CHECKLIST['facts']
    assert len(facts) >= 80
    cells = {}
    for path in NOTEBOOKS:
        cells.update({(path.stem, c.id): text(c) for c in load(path).cells})
    for fact in facts:
        key = (fact['notebook'], fact['cell'])
        assert key in cells, f'{key} (teaching "{fact["fact"]}") is missing'
        assert norm(fact['phrase']) in norm(cells[key]), \
            f'{key} no longer says "{fact["phrase"]}" ({fact["fact"]})'
    topics = {f['topic'] for f in facts}
    assert {'LeNet', 'AlexNet', 'VGG', 'NiN', 'GoogLeNet', 'overview', 'compare'} <= topics


def test_checklist_detects_a_removed_section(tmp_path):
    """The checklist test would fail if a listed cell disappeared."""
    nb = load(NB_DIR / '01_lenet.ipynb')
    nb.cells = [c for c in nb.cells if c.id != 'lenet-history']
    ids = {c.id for c in nb.cells}
    missing = [f for f in CHECKLIST['facts']
               if f['notebook'] == '01_lenet' and f['cell'] not in ids]
    assert len(missing) >= 10


def test_notebooks_match_their_sources():
    assert sources.main(['--check']) == 0


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_exports_to_slides(path):
    from nbconvert import SlidesExporter
    body, _ = SlidesExporter().from_notebook_node(load(path))
    nb = load(path)
    titles = [c for c in nb.cells if c.metadata.slideshow.slide_type == 'slide']
    assert body.count('<section') >= len(titles)
    assert 'aside class="notes"' in body          # speaker notes survive the export
    first = text(nb.cells[0]).splitlines()[0].lstrip('# ').split(':')[0]
    assert first.split('·')[-1].strip() in body


def test_nbval_fails_when_a_checked_output_is_altered(tmp_path):
    """Copy the overview notebook, change one checked output, run nbval on it in the
    quick profile: it must fail on that cell (and the unaltered cells still pass)."""
    src = NB_DIR / '00_overview.ipynb'
    nb = load(src)
    cell = next(c for c in nb.cells if c.id == 'overview-api-summary')
    assert IGNORE not in cell.metadata.get('tags', [])
    out = cell.outputs[0]
    out['text'] = out['text'].replace('61,706', '61,707')
    target = tmp_path / 'altered.ipynb'
    nbformat.write(nb, str(target))
    shutil.copy(NB_DIR / 'sanitize.cfg', tmp_path / 'sanitize.cfg')
    env = dict(os.environ, WEEK5_PROFILE='quick', WEEK5_PROGRESS='0')
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--nbval',
         '--nbval-current-env', '--nbval-sanitize-with', str(tmp_path / 'sanitize.cfg'),
         '--nbval-cell-timeout=300', '-o', 'addopts=', str(target)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 1, report
    failed = re.findall(r'FAILED \S+::(\S+)', report)
    assert len(failed) == 1, report
    assert '61,707' in report and '61,706' in report
