"""`python -m week5.slides`: offline reveal.js decks of the notebooks.

The fixture chapter (tests/fixtures/deck/chapter.ipynb) holds every kind of output a
deck must handle; the chapter notebooks in notebooks/ are built and parsed too.
"""
import base64
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup

from week5 import slides

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / 'tests' / 'fixtures' / 'deck' / 'chapter.ipynb'
CHAPTERS = sorted((ROOT / 'notebooks').glob('*.ipynb'))
MIN_SLIDES = 6  # a chapter deck: title, history, architecture, training, experiment, exercises
WIDGET_TEXT = re.compile(
    r'application/vnd\.jupyter\.widget|A Jupyter widget could not be displayed|'
    r'\b(?:VBox|HBox|Box|Image|Output|HTML|Button|IntSlider|FloatSlider|Dropdown|Tab|'
    r'ToggleButtons|Checkbox|Label)\((?:children|value|description|layout|outputs)=')


def leaf_slides(soup):
    """The slides a viewer steps through: innermost <section>s."""
    return [s for s in soup.select('.reveal .slides section') if not s.find('section')]


def outputs_text(node):
    """The text of the cell outputs under ``node`` (not the code that made them)."""
    return '\n'.join(o.get_text(' ', strip=True) for o in node.select('.jp-OutputArea'))


def local_refs(soup):
    """Relative URLs the page loads (scripts, styles, images), without query strings."""
    refs = [t.get('src') for t in soup.find_all(['script', 'img']) if t.get('src')]
    refs += [t.get('href') for t in soup.find_all('link') if t.get('href')]
    return [unquote(urlsplit(r).path) for r in refs if not r.startswith('data:')]


@pytest.fixture(scope='module')
def fixture_deck(tmp_path_factory):
    out = tmp_path_factory.mktemp('slides')
    [path] = slides.build_slides(FIXTURE.parent, out, log=lambda msg: None)
    return path, BeautifulSoup(path.read_text(encoding='utf-8'), 'html.parser')


@pytest.fixture(scope='module')
def chapter_decks(tmp_path_factory):
    if not CHAPTERS:
        pytest.skip('no notebooks in notebooks/ yet')
    out = tmp_path_factory.mktemp('chapters')
    paths = slides.build_slides(ROOT / 'notebooks', out, log=lambda msg: None)
    return {p.name.replace('.slides.html', ''): p for p in paths}


def test_deck_ships_its_own_reveal_and_loads_nothing_remote(fixture_deck):
    path, soup = fixture_deck
    text = path.read_text(encoding='utf-8')
    assert slides.remote_loads(text) == []
    refs = local_refs(soup)
    for needed in ('reveal.js/dist/reveal.css', 'reveal.js/dist/theme/white.css',
                   'vendor/require.js', 'vendor/jquery.min.js', 'vendor/mathjax/MathJax.js'):
        assert needed in refs
    for ref in refs:
        assert (path.parent / ref).is_file(), ref
    # loaded by require.js, so not in a src attribute
    assert '"reveal.js/dist/reveal.js"' in text and '"reveal.js/plugin/notes/notes.js"' in text
    for f in ('reveal.js/dist/reveal.js', 'reveal.js/plugin/notes/notes.js',
              'vendor/mathjax/config/TeX-AMS_CHTML-full.js', 'vendor/mathjax/config/Safe.js',
              'vendor/mathjax/jax/output/CommonHTML/jax.js'):
        assert (path.parent / f).is_file(), f
    assert 'mermaid' not in text and 'unpkg' not in text and 'cdnjs' not in text


def test_remote_loads_finds_what_a_browser_would_fetch():
    page = ('<script src="https://cdn.x/a.js"></script><link rel="stylesheet" href="http://b/c.css">'
            '<img src="https://d/e.png"><a href="https://docs.example/">a link is fine</a>'
            '<style>@import url("https://fonts.googleapis.com/css?family=Lato");</style>'
            "<script type=module>import m from 'https://cdn.y/m.mjs';</script>")
    assert slides.remote_loads(page) == ['http://b/c.css', 'https://cdn.x/a.js', 'https://cdn.y/m.mjs',
                                         'https://d/e.png', 'https://fonts.googleapis.com/css?family=Lato']


def test_slide_structure_notes_and_math(fixture_deck):
    _, soup = fixture_deck
    top = soup.select('.reveal .slides > section')
    assert len(top) == 5  # one per `slide` cell
    assert len(leaf_slides(soup)) == 6  # the panel is a sub-slide
    assert soup.select_one('aside.notes').get_text(strip=True) == \
        'Speaker note: ask who has trained a CNN before.'
    assert soup.select_one('.fragment').find(string=re.compile(r'\\lfloor'))
    assert soup.title.get_text() == 'Fixture chapter: figures and widgets slides'
    # slides that do not fit are scaled to fit (FIT_SCRIPT), not cut off or scrolled;
    # text outputs wrap between words only; the browser test checks the result
    assert 'week5FitSlides' in str(soup) and 'var scroll = false' in str(soup)
    assert 'word-break: normal' in str(soup.head) and 'break-all' not in slides.FIT_CSS


def test_widget_views_become_their_last_image(fixture_deck):
    _, soup = fixture_deck
    nb = nbformat.read(str(FIXTURE), as_version=4)
    state = nb.metadata.widgets['application/vnd.jupyter.widget-state+json']['state']
    [last_frame] = [m['buffers'][0]['data'] for m in state.values() if m['model_name'] == 'ImageModel']
    panel = soup.find(id='cell-id=panel')
    [img] = panel.select('.jp-OutputArea img')
    assert img['src'] == 'data:image/png;base64,' + last_frame
    assert base64.b64decode(last_frame)[:8] == b'\x89PNG\r\n\x1a\n'
    both = soup.find(id='cell-id=both')  # widget + figure: the figure alone stays
    assert len(both.select('.jp-OutputArea-output')) == 1 and both.select('img')
    control = soup.find(id='cell-id=control')  # a bare control: no output at all
    assert control.select('.jp-OutputArea-output') == []
    assert not WIDGET_TEXT.search(outputs_text(soup))
    assert not soup.select('script[type="application/vnd.jupyter.widget-view+json"]')
    assert not soup.select('script[type="application/vnd.jupyter.widget-state+json"]')


def test_fallback_keeps_a_picture_the_bundle_already_has():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('panel')
    cell.outputs = [nbformat.v4.new_output('display_data', data={
        slides.WIDGET_VIEW: {'model_id': 'gone', 'version_major': 2, 'version_minor': 0},
        'image/png': 'iVBORw0KGgo=', 'text/plain': 'VBox(children=(...))'})]
    nb.cells = [cell]
    nb, _ = slides.WidgetFallback().preprocess(nb, {})
    assert [dict(o.data) for o in nb.cells[0].outputs] == [{'image/png': 'iVBORw0KGgo='}]


def test_records_leave_no_empty_output_on_a_slide():
    from week5.results import MIME
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('d2l.record(...)')
    cell.outputs = [nbformat.v4.new_output('display_data', data={MIME: {'name': 'x', 'value': 1}}),
                    nbformat.v4.new_output('stream', name='stdout', text='shown\n')]
    nb.cells = [cell]
    nb, _ = slides.WidgetFallback().preprocess(nb, {})
    assert [o.output_type for o in nb.cells[0].outputs] == ['stream']


def test_index_lists_the_decks(fixture_deck):
    path, _ = fixture_deck
    index = BeautifulSoup((path.parent / 'index.html').read_text(), 'html.parser')
    assert [a['href'] for a in index.select('li a')] == ['chapter.slides.html']
    assert 'Fixture chapter: figures and widgets' in index.get_text()


def test_bad_input_names_the_fix(tmp_path):
    with pytest.raises(ValueError, match='no notebooks in'):
        slides.build_slides(tmp_path, tmp_path / 'out')
    with pytest.raises(ValueError, match='loads its fonts from the network: choose an offline one: .*white'):
        slides.build_slides(FIXTURE.parent, tmp_path / 'out', theme='simple', log=lambda m: None)
    with pytest.raises(ValueError, match="theme 'nope' is not a reveal.js theme"):
        slides.build_slides(FIXTURE.parent, tmp_path / 'out', theme='nope', log=lambda m: None)
    with pytest.raises(RuntimeError, match='npm is needed once'):
        slides.ensure_vendor(tmp_path / 'empty-vendor', npm='no-such-npm-binary')


def test_command_line(tmp_path):
    proc = subprocess.run([sys.executable, '-m', 'week5.slides', '--notebooks', str(FIXTURE.parent),
                           '--out', str(tmp_path / 'decks')], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 'decks' / 'chapter.slides.html').is_file()
    assert '1 deck(s)' in proc.stdout
    proc = subprocess.run([sys.executable, '-m', 'week5.slides', 'zz', '--notebooks', str(FIXTURE.parent),
                           '--out', str(tmp_path / 'decks')], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and 'no notebooks matching zz' in proc.stderr


# ---------------------------------------------------------------- the chapter decks

def test_every_chapter_has_a_deck(chapter_decks):
    assert sorted(chapter_decks) == [p.stem for p in CHAPTERS]


@pytest.mark.parametrize('notebook', CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_deck(chapter_decks, notebook):
    soup = BeautifulSoup(chapter_decks[notebook.stem].read_text(encoding='utf-8'), 'html.parser')
    title = slides.notebook_title(nbformat.read(str(notebook), as_version=4), None)
    assert title, f'{notebook.name} has no Markdown heading to title its deck'
    assert soup.title.get_text() == f'{title} slides'
    first = leaf_slides(soup)[0]
    assert title in first.get_text()
    leaves = leaf_slides(soup)
    assert len(leaves) >= MIN_SLIDES, f'{notebook.stem}: only {len(leaves)} slides'
    for i, section in enumerate(leaves):
        text = section.get_text(' ', strip=True)
        assert section.find('img') or section.find('svg') or text, f'slide {i} is empty'
        shown = outputs_text(section)
        assert not WIDGET_TEXT.search(shown), f'slide {i} shows widget text: {shown[:200]}'
        for out in section.select('.jp-OutputArea-output'):
            assert out.get_text(strip=True) or out.find(['img', 'svg', 'table']), \
                f'slide {i} has an empty output box'
    assert slides.remote_loads(str(soup)) == []
