"""python -m instructor.execute: notebooks run with the slide display switched on from
outside (the kernel's start-up line), so no chapter carries a cell for it."""
import base64

import nbformat
import pytest

from instructor import execute
from week5 import png

FIGURE = ('import matplotlib.pyplot as plt\n'
          'fig, ax = plt.subplots()\n'
          'ax.plot([0, 1], [1, 0])\n'
          'ax.set_title("a title")\n'
          'plt.show()')


def _pngs(nb):
    return [base64.b64decode(o['data']['image/png']) for c in nb.cells
            for o in c.get('outputs', []) if 'image/png' in o.get('data', {})]


@pytest.mark.slow
def test_executed_figures_record_their_text_size_without_a_cell_for_it(tmp_path, monkeypatch):
    # the kernel inherits this process' environment: other test modules set MPLBACKEND=Agg
    # (no figure would be shown) and WEEK5_HEADLESS=1 at import
    monkeypatch.delenv('MPLBACKEND', raising=False)
    monkeypatch.delenv('WEEK5_HEADLESS', raising=False)
    path = tmp_path / 'chapter.ipynb'
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FIGURE)]), str(path))
    written = execute.execute(path, profile='quick', timeout=300, out=tmp_path / 'out')
    [picture] = _pngs(nbformat.read(str(written), as_version=4))
    assert float(png.png_text(picture)[png.TEXT_SIZE_KEY]) >= png.SLIDE_FONT
    assert 'use_slide_display' not in path.read_text()


def test_chapter_sources_have_no_slide_setup_cell():
    from instructor import sources
    for src in sources.sources():
        assert 'use_slide_display' not in src.read_text(), src.name
