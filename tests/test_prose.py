"""Typed prose says why, never how much: no chapter's Markdown or speaker notes type a
measured-looking number (week5/results.py typed_numbers) that is neither a reference to a
record nor a declared constant (week5/chapters/facts.py)."""
from pathlib import Path

import pytest

from instructor import sources as b
from week5.chapters.facts import FACTS
from week5.results import typed_numbers

ROOT = Path(__file__).resolve().parents[1]

# Until the helpers rewriting these chapters' prose land (issue 24): the lead removes the
# marks at merge.
IN_REWRITE = {}


def _marked(src):
    helper = IN_REWRITE.get(src.stem)
    if helper is None:
        return src
    return pytest.param(src, marks=pytest.mark.xfail(
        reason=f'prose of {src.stem} is being rewritten by `{helper}` (issue 24)', strict=False))


@pytest.mark.parametrize('src', [_marked(s) for s in b.sources()], ids=lambda p: p.stem)
def test_no_measured_number_is_typed_in_a_chapter(src):
    cells, _ = b.parse_source(src)
    facts = FACTS[src.stem]
    typed = [(c['id'], n) for c in cells if c['type'] == 'markdown'
             for n in typed_numbers(c['source'], facts)]
    assert not typed, (f'{src.name}: numbers typed in the text (refer to a record, '
                       f'{{glue:text}}`name:.3f`, or declare a paper fact in '
                       f'week5/chapters/facts.py): {typed}')


def test_every_chapter_declares_its_facts_and_each_fact_is_in_its_text():
    assert set(FACTS) == {s.stem for s in b.sources()}
    for src in b.sources():
        text = src.read_text(encoding='utf-8')
        unused = [f for f in FACTS[src.stem] if f not in text]
        assert not unused, f'{src.stem}: declared facts its text no longer holds: {unused}'


@pytest.mark.parametrize('sentence, found', [
    ('a 2010 GPU beats this CPU about ten times, a 2020 GPU 266x', ['ten times', '266x']),
    ('by a factor of about a hundred, a 10-fold gain', ['factor of about a hundred', '10-fold']),
    ('max pooling adds 1.4 points, inside the spread', ['1.4 points']),
    ('val acc 0.871 after 40 s at 1,200 ex/s', ['0.871', '40 s', '1,200 ex/s']),
    ('it reaches 30 GFLOP/s and takes 3 minutes; 5 times as fast', ['30 GFLOP/s', '3 minutes', '5 times']),
    ('a 3x3 kernel on 224×224 images, 6 epochs, 3 seeds, LeNet (1998), the 1990s', []),
    ('it ends at {glue:text}`acc:.3f`, lr `0.1`, Python 3.11.2', []),
])
def test_what_counts_as_a_typed_measured_number(sentence, found):
    assert typed_numbers(sentence) == found
    assert typed_numbers('top-5 error of 15.3%', facts={'15.3%': 'AlexNet paper'}) == []
