"""What a student sees before running anything: the outputs committed in notebooks/*.ipynb
must look intentional. No absolute path of the machine that ran them, no warning, no pink
stderr box, no error, no leftover of a progress bar, no empty placeholder plot, and no
training or lab result at chance (a run that learned nothing printed as a result; a claim
that says NOT TESTABLE because a run sat at chance is the honest exception).

`scan_notebook` lists every such problem; fixture notebooks built here (one clean, one
per problem) show that it finds each kind, and each committed notebook must have none.
"""
import base64
import io
import json
import os
import re
from pathlib import Path

os.environ.setdefault('MPLBACKEND', 'Agg')

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from week5 import curves, png, slides, viz  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / 'notebooks').glob('*.ipynb'))

# /home/ann/..., /work/main/week5/lab/panel.py:606, /tmp/tmpab12/..., C:\Users\ann\...; not
# the path part of a URL (https://host/home/...), nor a relative path (data/home/x).
ABSOLUTE_PATH = re.compile(
    r'(?<![\w.~:/-])/(?:home|root|tmp|work|Users|usr|opt|var|private|mnt|srv|media|scratch)/'
    r'[^\s\'"<>]*|\b[A-Za-z]:\\(?:Users|Windows|Program Files)\\[^\s\'"<>]*')
WARNING = re.compile(r'\b[A-Z]\w*Warning\b|(?i:\bwarning\b\s*[:\]])')
PROGRESS = re.compile(r'\d+%\|')          # tqdm's "epoch 1/6:  10%|█▏  | 6/60 ..."
# a result at chance: a val accuracy below 0.15 (chance is 0.10 on ten classes), or a loss
# of 2.30 = ln 10 (a flat, uniform prediction), under the names the library prints them
# ('val_acc 0.101', 'val acc 0.10', 'train loss (epoch mean) 2.30')
AT_CHANCE_ACC = re.compile(r'\bval[_ ]acc(?: \([^)]*\))? (\d+\.\d+)')
CHANCE_ACC = 0.15
FLAT_LOSS = re.compile(r'\b(?:train|val)[_ ]loss(?: \([^)]*\))? 2\.30\d*\b')
TEXT_MIMES = ('text/plain', 'text/html', 'text/markdown', 'text/latex', 'image/svg+xml',
              'application/json')


def _texts(out):
    """(what, text) pairs of one output: streams, text bundles, error tracebacks."""
    if out.output_type == 'stream':
        return [(f'{out.name} stream', out.text)]
    if out.output_type == 'error':
        return [('error', '\n'.join([out.ename, out.evalue, *out.traceback]))]
    return [(mime, v if isinstance(v, str) else json.dumps(v))
            for mime, v in out.get('data', {}).items() if mime in TEXT_MIMES]


def at_chance(text):
    """The measures of ``text`` that say a run learned nothing (see AT_CHANCE_ACC), except
    on claim lines whose verdict is NOT TESTABLE (week5.claims says so for runs at chance)."""
    found = []
    for line in text.splitlines():
        if line.startswith('[week5 claim]') and ': NOT TESTABLE - ' in line:
            continue
        found += [m.group(0) for m in AT_CHANCE_ACC.finditer(line)
                  if float(m.group(1)) < CHANCE_ACC]
        found += [m.group(0) for m in FLAT_LOSS.finditer(line)]
    return found


def _images(out, widget_state):
    """PNG bytes an output shows: its own, or those of the widgets it displays."""
    data = out.get('data', {})
    found = [data['image/png']] if 'image/png' in data else []
    view = data.get(slides.WIDGET_VIEW)
    if view and 'image/png' not in data:
        found += [d for mime, d in slides._widget_images(view.get('model_id'), widget_state)
                  if mime == 'image/png']
    return [base64.b64decode(d) if isinstance(d, str) else bytes(d) for d in found]


def empty_plot_areas(png, min_size=30):
    """Plotting areas drawn with nothing in them: rectangles framed by dark lines (axes
    spines) at least ``min_size`` pixels wide and high whose inside holds no ink (grid
    lines are too light to count). [(top, bottom, left, right)] in pixels."""
    img = np.asarray(Image.open(io.BytesIO(png)).convert('RGB')).astype(int)
    dark = img.mean(axis=2) < 140
    ink = (img.min(axis=2) < 200) | (img.max(axis=2) - img.min(axis=2) > 40)
    by_top = {}                                # dark vertical runs, by their top row
    for c in range(dark.shape[1]):
        edges = np.flatnonzero(np.diff(np.r_[0, dark[:, c].astype(int), 0]))
        for top, end in zip(edges[::2], edges[1::2]):
            if end - 1 - top >= min_size:
                by_top.setdefault(top, []).append((c, end - 1))
    found = []
    for top, runs in by_top.items():
        near = [(c, b) for t in range(top - 2, top + 3) for c, b in by_top.get(t, [])]
        for left, b1 in runs:
            for right, b2 in near:
                if right - left < min_size or abs(b1 - b2) > 5:
                    continue
                if dark[top, left:right + 1].mean() < 0.9:
                    continue              # no top edge between the two verticals
                bottom = next((r for r in range(min(b1, b2), top + min_size, -1)
                               if dark[r, left:right + 1].mean() >= 0.9), None)
                if bottom is None:
                    continue
                inside = ink[top + 3:bottom - 2, left + 3:right - 2]
                if inside.size and inside.mean() < 0.001:
                    found.append((top, bottom, left, right))
    return sorted(set(found))


def is_blank(png, min_ink=0.003):
    """True for a picture with (almost) nothing drawn on its background."""
    img = np.asarray(Image.open(io.BytesIO(png)).convert('RGB')).astype(int)
    background = np.median(img.reshape(-1, 3), axis=0)
    return (np.abs(img - background).max(axis=2) > 40).mean() < min_ink


def scan_notebook(nb, name='notebook'):
    """Every problem of the saved outputs of ``nb``, one line each."""
    state = nb.metadata.get('widgets', {}).get(slides.WIDGET_STATE, {}).get('state', {})
    problems = []
    for cell in nb.cells:
        if cell.cell_type != 'code':
            continue
        where = f'{name} cell {cell.get("id", "?")}'
        tags = cell.metadata.get('tags', [])
        for out in cell.outputs:
            if out.output_type == 'stream' and out.name == 'stderr' and out.text.strip():
                problems.append(f'{where}: stderr output (shown as a pink error box): '
                                f'{out.text.strip()[:120]!r}')
            if out.output_type == 'error' and 'raises-exception' not in tags:
                problems.append(f'{where}: an error: {out.ename}: {out.evalue[:120]}')
            for what, text in _texts(out):
                for m in ABSOLUTE_PATH.finditer(text):
                    problems.append(f'{where}: an absolute path of this machine in the '
                                    f'{what}: {m.group(0)!r}')
                m = WARNING.search(text)
                if m:
                    line = next(ln for ln in text.splitlines() if m.group(0) in ln)
                    problems.append(f'{where}: a warning in the {what}: {line.strip()[:160]!r}')
                if out.output_type == 'stream' and ('\r' in text or PROGRESS.search(text)):
                    problems.append(f'{where}: a progress bar left in the {what}')
                if what in ('stdout stream', 'text/plain') and at_chance(text):
                    problems.append(f'{where}: a training result at chance in the {what}: '
                                    f'{", ".join(at_chance(text)[:3])}')
            for picture in _images(out, state):
                empty = empty_plot_areas(picture)
                if empty:
                    problems.append(f'{where}: a picture with {len(empty)} empty plot '
                                    f'area(s) (axes with nothing drawn)')
                elif is_blank(picture):
                    problems.append(f'{where}: a blank picture')
    return problems


# ------------------------------------------------------------------ fixture notebooks
def _png(draw, figsize=(6.0, 2.4)):
    fig = png.new_figure(figsize, dpi=80, layout='constrained')
    draw(fig)
    return base64.b64encode(png.figure_to_png(fig)).decode()


def _curves(fig):
    rows = [{'epoch': e + 1, 'train_loss': 2 / (e + 1), 'val_loss': 2.1 / (e + 1),
             'train_acc': 0.5 + 0.05 * e, 'val_acc': 0.45 + 0.05 * e} for e in range(6)]
    curves.plot_history([rows], labels=['#1 relu'], ax=fig.subplots(1, 2))


def _empty_axes(fig):                    # what the old headless lab saved before a run
    fig.subplots(1, 3)


def _notebook(*outputs, tags=()):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('lab.train()')
    cell.id = 'lab-run'
    cell.metadata['tags'] = list(tags)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells = [nbformat.v4.new_markdown_cell('# A chapter'), cell]
    return nb


def _display(**data):
    return {'output_type': 'display_data', 'data': data, 'metadata': {}}


def _stream(name, text):
    return {'output_type': 'stream', 'name': name, 'text': text}


def test_a_clean_notebook_passes():
    figure = _png(_curves)
    nb = _notebook(_stream('stdout', 'after 6 epoch(s): train_loss 0.474, val_acc 0.831\n'),
                   _stream('stdout', '[week5 claim] relu_beats_sigmoid: NOT TESTABLE - sigmoid '
                                     'seed 0 at val acc 0.098, chance is 0.10: a run that '
                                     'learned nothing cannot be compared\n'),
                   _display(**{'image/png': figure, 'text/plain': '<Figure size 480x192>'}),
                   _stream('stdout', 'epoch 6/6: 100% done, see https://d2l.ai/home/x\n'),
                   {'output_type': 'error', 'ename': 'ShapeError', 'evalue': 'kernel too large',
                    'traceback': ['ShapeError: kernel too large']},
                   tags=['raises-exception'])
    assert scan_notebook(nb) == []


BAD = {
    'absolute path': [_stream('stdout', 'saved to /home/ann/week5/run.params\n')],
    'stderr output': [_stream('stderr', 'loading\n')],
    'warning in the stderr': [_stream(
        'stderr', '/work/main/week5/lab/panel.py:606: UserWarning: Tight layout not applied. '
                  'tight_layout cannot make axes width small enough\n  fig.tight_layout()\n')],
    'warning in the text/plain': [_display(**{'text/plain': 'DeprecationWarning: use np.int64'})],
    'progress bar left': [_stream('stdout', 'epoch 1/6:  10%|█         | 6/60 [00:01<00:09]\r'
                                            'epoch 1/6: 100%|██████████| 60/60 [00:09<00:00]\n')],
    'empty plot area': [_display(**{'image/png': _png(_empty_axes, (10.0, 2.8)),
                                    'text/plain': "TrainingLab('lenet')"})],
    'blank picture': [_display(**{'image/png': _png(lambda fig: None),
                                  'text/plain': '<Figure>'})],
    'training result at chance': [_display(**{
        'text/plain': 'Finished run #1 (max, relu, momentum 0.9, lr 0.1, cosine lr, 2 epochs): '
                      'train loss (epoch mean) 2.30, train acc (epoch mean) 0.10, val loss '
                      '2.30, val acc 0.10'})],
    'an error': [{'output_type': 'error', 'ename': 'NameError', 'evalue': "name 'x' is not defined",
                  'traceback': []}],
}


@pytest.mark.parametrize('kind', BAD)
def test_the_scan_finds_each_problem(kind):
    problems = scan_notebook(_notebook(*BAD[kind]), 'fixture')
    assert problems and all(p.startswith('fixture cell lab-run: ') for p in problems)
    assert any(kind in p for p in problems), problems


def test_the_old_lab_placeholder_has_three_empty_plot_areas_and_curves_none():
    empty = base64.b64decode(_png(_empty_axes, (10.0, 2.8)))
    assert len(empty_plot_areas(empty)) == 3
    assert empty_plot_areas(base64.b64decode(_png(_curves))) == []
    filters = _png(lambda fig: viz.plot_filters(np.random.randn(6, 1, 5, 5), ax=fig.add_subplot()))
    assert empty_plot_areas(base64.b64decode(filters)) == []


def test_a_widget_view_is_judged_by_the_picture_it_shows():
    nb = _notebook({'output_type': 'display_data', 'metadata': {}, 'data': {
        slides.WIDGET_VIEW: {'model_id': 'img', 'version_major': 2, 'version_minor': 0},
        'text/plain': 'Image(value=...)'}})
    nb.metadata['widgets'] = {slides.WIDGET_STATE: {'version_major': 2, 'version_minor': 0, 'state': {
        'img': {'model_name': 'ImageModel', 'model_module': '@jupyter-widgets/controls',
                'model_module_version': '2.0.0',
                'state': {'_model_name': 'ImageModel', 'format': 'png'},
                'buffers': [{'path': ['value'], 'encoding': 'base64',
                             'data': _png(_empty_axes, (10.0, 2.8))}]}}}}
    assert any('empty plot area' in p for p in scan_notebook(nb))


# ------------------------------------------------------------------ the committed notebooks
@pytest.mark.parametrize('notebook', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_outputs_look_intentional(notebook):
    problems = scan_notebook(nbformat.read(str(notebook), as_version=4), notebook.name)
    assert not problems, '\n'.join(problems)
