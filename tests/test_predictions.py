"""Predictions that bite: each chapter asks for at least one quantity before its
experiment, compares it with the run, and the student edition shows neither outputs nor
filled numbers between the prediction and its verify cell."""
import ast
from pathlib import Path

import pytest

from instructor import release
from instructor import sources as b
from week5 import checks
from week5.checks.predictions import prediction_spans

ROOT = Path(__file__).resolve().parents[1]


def test_a_quantity_is_right_within_a_factor_of_the_run(capsys):
    assert checks.verify_prediction('gpu_factor', 30, 22.4, factor=2) is True
    assert checks.verify_prediction('gpu_factor', 10, 22.4, factor=2) is False
    assert checks.verify_prediction('gpu_factor', 300, 266, factor=3) is True
    assert checks.verify_prediction('gpu_factor', -1, 22.4, factor=2) is False
    assert checks.verify_prediction('gpu_factor', 'ten', 22.4, factor=2) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == '[week5 prediction] gpu_factor: your prediction 30 - the run: 22.4 ' \
                       '(right, within a factor of 2)'
    assert 'not this time' in lines[1]


def test_prediction_spans_pair_each_prediction_with_its_verify_cell():
    ids = ['a', 'x-predict', 'x-run', 'x-text', 'x-predict-verify', 'b', 'y-predict',
           'y-predict-verify']
    assert prediction_spans(ids) == [(1, 4), (6, 7)]
    with pytest.raises(ValueError, match="'z-predict-verify'"):
        prediction_spans(['z-predict', 'z-run'])


def _verify_calls(source):
    return [call for call in ast.walk(ast.parse(source)) if isinstance(call, ast.Call)
            and getattr(call.func, 'attr', getattr(call.func, 'id', None)) == 'verify_prediction']


@pytest.mark.parametrize('src', b.sources(), ids=lambda p: p.stem)
def test_every_chapter_asks_for_a_quantity_before_its_experiment(src):
    """A prediction cell, its verify cell after it, and at least one verify call that
    compares a number (``factor=`` for an order of magnitude or a ratio, ``tolerance=``)."""
    cells, _ = b.parse_source(src)
    spans = prediction_spans(c['id'] for c in cells)
    assert spans, f'{src.name}: no prediction cell (id ending in -predict)'
    calls = [call for first, last in spans for call in _verify_calls(cells[last]['source'])]
    assert calls, f'{src.name}: a verify cell that does not call checks.verify_prediction'
    assert any(k.arg in ('factor', 'tolerance') for call in calls for k in call.keywords), \
        f'{src.name}: every prediction is categorical; ask for a quantity (factor=...)'
    for first, _ in spans:
        assert 'exercise' in cells[first]['tags'], cells[first]['id']


def test_the_student_edition_hides_what_lies_between_prediction_and_verify():
    cells = [{'cell_type': 'code', 'id': 'x-predict', 'source': 'guess = ...', 'metadata': {},
              'outputs': [], 'execution_count': 1},
             {'cell_type': 'code', 'id': 'x-run', 'source': 'run()', 'metadata': {},
              'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': '22.4x\n'}],
              'execution_count': 2},
             {'cell_type': 'markdown', 'id': 'x-text', 'source': 'About 22 times faster.',
              'metadata': {'week5': {'template': '{glue:text}`words` faster.'}}},
             {'cell_type': 'code', 'id': 'x-predict-verify', 'source': 'verify()', 'metadata': {},
              'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': 'run: 22.4\n'}],
              'execution_count': 3},
             {'cell_type': 'markdown', 'id': 'after', 'source': 'About 22 times.',
              'metadata': {'week5': {'template': '{glue:text}`words`.'}}}]
    release.hide_predicted(cells)
    assert [c.get('outputs') for c in cells if c['cell_type'] == 'code'] == [[], [], []]
    assert cells[2]['source'] == f'{release.NOT_RUN_YET} faster.'
    assert cells[4]['source'] == 'About 22 times.'          # after the verify cell: kept
