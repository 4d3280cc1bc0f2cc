"""Numbers in prose come from the run: record() in a chapter, {glue:text}`name` in its
Markdown, filled by the notebook build from the executed notebook's outputs."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from instructor import sources as b
from week5 import results
from week5.results import RecordError, about_times, compare_words, fill, record

ROOT = Path(__file__).resolve().parents[1]


def test_record_returns_the_value_and_remembers_it_as_json():
    assert record('test_val', np.float32(0.875)) == np.float32(0.875)
    assert results.recorded('test_val') == 0.875 and type(results.recorded('test_val')) is float
    record('test_words', {'word': 'ahead of', 'n': np.int64(3)})
    assert results.recorded('test_words') == {'word': 'ahead of', 'n': 3}
    with pytest.raises(RecordError, match='identifier'):
        record('two words', 1)
    with pytest.raises(RecordError, match="convert it"):
        record('test_list', [1, 2])


def test_every_claim_is_recorded_with_its_verdict_and_evidence():
    from week5.claims import claim
    verdict = claim('x_beats_y', False, 'x 0.81 vs y 0.83', print_fn=lambda line: None)
    assert fill('{glue:text}`x_beats_y.verdict`: {glue:text}`x_beats_y.evidence`',
                results.recorded()) == 'DOES NOT HOLD: x 0.81 vs y 0.83'
    record('test_claim', verdict)
    assert results.recorded('test_claim') == results.recorded('x_beats_y')


def test_fill_formats_each_reference_and_names_what_is_missing():
    records = {'acc': 0.87123, 'n': 61706, 'ratio': 22.31, 'word': 'ahead of',
               'pair': {'a': 0.5}}
    text = ('{glue:text}`acc:.3f` and {glue:text}`acc`, {glue:text}`n` params, '
            '{glue}`ratio:.0f`x, {glue:text}`word`, {glue:text}`pair.a:.0%`, `code` stays')
    assert fill(text, records) == '0.871 and 0.871, 61,706 params, 22x, ahead of, 50%, `code` stays'
    with pytest.raises(RecordError, match=r'cell lenet-x: \{glue:text\}`gone` has no record') as e:
        fill('is {glue:text}`gone:.2f`', records, where='cell lenet-x')
    assert (e.value.name, e.value.where) == ('gone', 'cell lenet-x')
    with pytest.raises(RecordError, match="no key 'b'"):
        fill('{glue:text}`pair.b`', records)
    with pytest.raises(RecordError, match="format 'd'"):
        fill('{glue:text}`acc:d`', records)
    assert fill('at {glue:text}`acc:.3f`.', records, missing='(run the cells above)') == \
        'at (run the cells above).'
    assert results.references(text) == ['acc', 'acc', 'n', 'ratio', 'word', 'pair.a']


def test_words_are_chosen_from_the_numbers():
    assert compare_words(0.88, 0.86) == 'ahead of'
    assert compare_words(0.86, 0.88) == 'behind'
    assert compare_words(0.874, 0.860, spread=0.02) == 'level with'
    assert compare_words(0.874, 0.860, 0.01, 'ahead by', 'behind by', 'within') == 'ahead by'
    assert [about_times(r) for r in (22.3, 266.0, 1.46, 9.96)] == \
        ['about 22 times', 'about 270 times', 'about 1.5 times', 'about 10 times']
    with pytest.raises(RecordError, match='positive'):
        about_times(0)


FAKE_CELLS = """
%%cell id=fake-run type=code slide=-
acc = train()

%%cell id=fake-discussion type=markdown slide=-
The network ends at {glue:text}`fake_acc:.3f`, {glue:text}`fake_words` the baseline.

%%cell id=fake-notes type=markdown slide=notes
Say: it reached {glue:text}`fake_acc:.2f`.
"""


def _fake_records(src, seed):
    """A record for every reference of chapter ``src``, as another seed's run would give."""
    cells, _ = b.parse_source(src)
    records = {}
    for ref in (r for c in cells if c['type'] == 'markdown' for r in results.references(c['source'])):
        name, _, key = ref.partition('.')
        value = f'words of seed {seed}' if ref.endswith('words') else 0.5 + seed / 10
        if key:
            records.setdefault(name, {})[key] = value
        else:
            records[name] = value
    return records


def _executed(notebook, records):
    """``notebook`` as if run: every code cell has outputs, the first one holds ``records``."""
    nb = json.loads(json.dumps(notebook))
    code = [c for c in nb['cells'] if c['cell_type'] == 'code']
    for i, cell in enumerate(code):
        cell['execution_count'] = i + 1
        cell['outputs'] = [] if i else [
            {'output_type': 'display_data', 'metadata': {},
             'data': {results.MIME: {'name': name, 'value': value}}}
            for name, value in records.items()]
    return nb


def _cell(nb, cid):
    return next(c for c in nb['cells'] if c['id'] == cid)


def _text(nb):
    return {c['id']: b._source_text(c) for c in nb['cells'] if c['cell_type'] == 'markdown'}


def test_a_chapter_built_with_fake_records_follows_the_records(tmp_path):
    """Chapter 1 re-executed with another seed: every text with a reference changes, no
    other text does, and the source still holds the references."""
    src = ROOT / 'notebooks' / 'src' / '01_lenet.nbsrc'
    fresh, stale = b.build_notebook(src)
    assert stale
    templates = _text(fresh)
    filled = [(_text(b.build_notebook(src, _executed(fresh, _fake_records(src, seed)))[0]))
              for seed in (1, 2)]
    referring = {cid for cid, text in templates.items() if results.references(text)}
    assert referring, 'chapter 1 refers to no record'
    for cid, text in templates.items():
        if cid in referring:
            assert filled[0][cid] != filled[1][cid] and '{glue' not in filled[0][cid], cid
            assert 'words of seed 1' in filled[0][cid] or '0.6' in filled[0][cid], cid
        else:
            assert filled[0][cid] == filled[1][cid] == text, cid


def test_pull_gives_the_references_back_and_names_an_edited_filled_text(tmp_path):
    src = tmp_path / '00_overview.nbsrc'
    src.write_text('%%cell id=fake-title type=markdown slide=slide\n# Fake\n' + FAKE_CELLS)
    fresh, _ = b.build_notebook(src)
    nb, stale = b.build_notebook(src, _executed(fresh, {'fake_acc': 0.8712, 'fake_words': 'behind'}))
    assert not stale
    assert _cell(nb, 'fake-discussion')['source'] == 'The network ends at 0.871, behind the baseline.'
    assert _cell(nb, 'fake-notes')['source'] == 'Say: it reached 0.87.'
    built = tmp_path / 'built.ipynb'
    built.write_text(b.dumps(nb))
    before = b.parse_source(src)
    assert b.pull(built, src) == []
    assert b.parse_source(src) == before
    # an edit of the filled text in JupyterLab is named, not silently turned into a typed number
    _cell(nb, 'fake-discussion')['source'] = 'The network ends at 0.99.'
    built.write_text(b.dumps(nb))
    assert b.pull(built, src) == ['fake-discussion: an edit of text filled from the run '
                                  '(edit its references in the source instead)']


def test_a_reference_without_a_record_fails_the_build_naming_cell_and_name(tmp_path):
    src = tmp_path / '00_overview.nbsrc'
    src.write_text(FAKE_CELLS.replace('fake_words', 'fake_missing'))
    fresh, _ = b.build_notebook(src)
    with pytest.raises(RecordError, match=r'00_overview.nbsrc: cell fake-discussion: '
                                          r'\{glue:text\}`fake_missing` has no record'):
        b.build_notebook(src, _executed(fresh, {'fake_acc': 0.87}))


def test_check_fails_when_the_filled_text_does_not_match_the_records(tmp_path, monkeypatch):
    (tmp_path / 'src').mkdir()
    src = tmp_path / 'src' / '00_overview.nbsrc'
    src.write_text(FAKE_CELLS)
    monkeypatch.setattr(b, 'SRC_DIR', tmp_path / 'src')
    monkeypatch.setattr(b, 'OUT_DIR', tmp_path)
    monkeypatch.setattr(b, 'ROOT', tmp_path)
    fresh, _ = b.build_notebook(src)
    nb, _ = b.build_notebook(src, _executed(fresh, {'fake_acc': 0.87, 'fake_words': 'ahead of'}))
    (tmp_path / '00_overview.ipynb').write_text(b.dumps(nb))
    assert b.main(['--check']) == 0
    _cell(nb, 'fake-run')['outputs'][0]['data'][results.MIME]['value'] = 0.5   # re-executed
    (tmp_path / '00_overview.ipynb').write_text(b.dumps(nb))
    assert b.main(['--check']) == 1
    assert b.main([]) == 0                                                      # rebuild fills
    rebuilt = json.loads((tmp_path / '00_overview.ipynb').read_text())
    assert b._source_text(_cell(rebuilt, 'fake-discussion')).startswith('The network ends at 0.500,')
    assert b.main(['--check']) == 0


NBVAL_FIXTURE = {
    'cells': [{'cell_type': 'code', 'id': 'rec', 'metadata': {}, 'execution_count': 1,
               'source': "import week5\nweek5.record('val_acc', 0.25)\nprint('done')",
               'outputs': [{'output_type': 'display_data', 'metadata': {},
                            'data': {results.MIME: {'name': 'val_acc', 'value': 0.87}}},
                           {'output_type': 'stream', 'name': 'stdout', 'text': 'done\n'}]}],
    'metadata': {'kernelspec': b.KERNELSPEC, 'language_info': b.LANGUAGE_INFO},
    'nbformat': 4, 'nbformat_minor': 5}


def _nbval(folder):
    return subprocess.run(
        [sys.executable, '-m', 'pytest', '--nbval', '--nbval-current-env', '-q', '-p',
         'no:cacheprovider', '--rootdir', str(folder), str(folder / 'fixture.ipynb')],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={'PATH': '/usr/bin:/bin', 'PYTHONPATH': str(ROOT), 'WEEK5_PROFILE': 'quick',
             'HOME': str(Path.home())})


def test_nbval_passes_a_record_whose_value_changed_and_shows_no_text(tmp_path):
    """The stored run recorded 0.87, the fresh one 0.25 (another profile): nbval passes
    with notebooks/conftest.py, and would fail without it."""
    (tmp_path / 'fixture.ipynb').write_text(json.dumps(NBVAL_FIXTURE))
    res = _nbval(tmp_path)
    assert res.returncode == 1 and 'week5.record+json' in res.stdout, res.stdout[-2000:]
    assert "'value': 0.25" in res.stdout, res.stdout[-2000:]     # the kernel recorded it
    shutil.copy2(ROOT / 'notebooks' / 'conftest.py', tmp_path / 'conftest.py')
    res = _nbval(tmp_path)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]


def test_the_grader_does_not_compare_records_either():
    from instructor.grading import notebooks
    assert results.MIME in notebooks.SKIP_COMPARE
