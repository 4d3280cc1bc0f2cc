"""The notebook sources round-trip: an instructor's edit in JupyterLab (a sentence, a slide
type, a tag, a solution) reaches the source with `--pull` and survives a rebuild."""
import json
import shutil
from pathlib import Path

import pytest

from instructor import sources as b

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize('src', b.sources(), ids=lambda p: p.stem)
def test_pulling_an_unedited_notebook_gives_its_source_back(src, tmp_path):
    copy = tmp_path / src.name
    shutil.copy2(src, copy)
    assert b.pull(ROOT / 'notebooks' / f'{src.stem}.ipynb', copy) == []
    assert b.parse_source(copy) == b.parse_source(src)


def _cell(nb, cid):
    return next(c for c in nb['cells'] if c['id'] == cid)


def test_edits_made_in_jupyterlab_reach_the_source_and_survive_a_rebuild(tmp_path):
    src = tmp_path / '04_nin.nbsrc'
    shutil.copy2(ROOT / 'notebooks' / 'src' / '04_nin.nbsrc', src)
    nb, _ = b.build_notebook(src)
    # as JupyterLab saves it: a sentence, a slide type, a tag, a new cell with its own id
    text = _cell(nb, 'nin-ex2')
    text['source'] = text['source'].replace('**Exercise 2', 'A changed sentence.\n\n**Exercise 2')
    _cell(nb, 'nin-ex2')['metadata']['slideshow']['slide_type'] = 'fragment'
    _cell(nb, 'nin-ex2-check')['metadata']['tags'].append('new-tag')
    nb['cells'].insert(3, {'cell_type': 'markdown', 'id': 'a1b2c3d4', 'source': 'New cell.',
                           'metadata': {'slideshow': {'slide_type': 'notes'}}})
    edited = tmp_path / 'edited.ipynb'
    edited.write_text(b.dumps(nb))
    assert b.pull(edited, src) == []
    # a solution changed in a solved copy
    solved = b.solved_notebook(src, b.build_notebook(src)[0])
    _cell(solved, 'nin-ex2-code')['source'] = 'conv1x1_params = 64 + 256 * 64  # changed'
    solved_path = tmp_path / 'solved.ipynb'
    solved_path.write_text(b.dumps(solved))
    b.pull(solved_path, src)

    cells, solutions = b.parse_source(src)
    rebuilt, _ = b.build_notebook(src, json.loads(edited.read_text()))
    assert [c['id'] for c in rebuilt['cells']] == [c['id'] for c in nb['cells']]
    assert 'A changed sentence.' in _cell(rebuilt, 'nin-ex2')['source']
    assert _cell(rebuilt, 'nin-ex2')['metadata']['slideshow']['slide_type'] == 'fragment'
    assert 'new-tag' in _cell(rebuilt, 'nin-ex2-check')['metadata']['tags']
    assert _cell(rebuilt, 'a1b2c3d4')['metadata']['slideshow']['slide_type'] == 'notes'
    assert solutions['nin-ex2-code'].endswith('# changed')
    assert '...' in _cell(rebuilt, 'nin-ex2-code')['source']          # the stub stays the stub
    assert _cell(b.solved_notebook(src, rebuilt), 'nin-ex2-code')['source'].endswith('# changed')
    assert len(solutions) == len(b.parse_source(ROOT / 'notebooks' / 'src' / '04_nin.nbsrc')[1])


def test_metadata_the_source_cannot_keep_is_named_and_bad_tags_refused(tmp_path):
    src = tmp_path / '00_overview.nbsrc'
    shutil.copy2(ROOT / 'notebooks' / 'src' / '00_overview.nbsrc', src)
    nb, _ = b.build_notebook(src)
    nb['cells'][0]['metadata']['collapsed'] = True
    path = tmp_path / 'nb.ipynb'
    path.write_text(b.dumps(nb))
    assert b.pull(path, src) == [f"{nb['cells'][0]['id']}: metadata collapsed"]
    nb['cells'][0]['metadata']['tags'] = ['two words']
    path.write_text(b.dumps(nb))
    with pytest.raises(b.SourceError, match='tags'):
        b.pull(path, src)
