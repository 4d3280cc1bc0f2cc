"""Exercises as the notebook shows them: a check's name -> "Exercise 3".

The title is the bold opening of the last Markdown cell before the check's cell that
starts with ``**Exercise`` (``**Exercise 3 (checked).**`` -> ``Exercise 3``); a check with
no such cell keeps its name. A hidden test is titled after its exercise.
"""
import re

from instructor.keys import HIDDEN_SUFFIX
from .notebooks import CHECK_CALL_RE, is_check_cell

__all__ = ['exercise_titles', 'title_of', 'is_hidden']

TITLE_RE = re.compile(r'^\s*\*\*(?P<title>Exercise\s+[\w.]+?)(?:\s*\([^)]*\))?\.?\*\*')


def exercise_titles(ref_nb):
    """{check name: title as the notebook shows it} for the check cells of `ref_nb`."""
    titles, current = {}, None
    for cell in ref_nb.cells:
        if cell.cell_type == 'markdown':
            m = TITLE_RE.match(cell.source)
            if m:
                current = m.group('title').rstrip('.')
        elif is_check_cell(cell):
            for m in CHECK_CALL_RE.finditer(cell.source):
                titles.setdefault(m.group('name'), current or m.group('name'))
    return titles


def is_hidden(verdict):
    """Is this the verdict of a hidden test (``<check>_hidden``)? Its reason is not shown to
    students: it would tell the hidden case."""
    return verdict.endswith(HIDDEN_SUFFIX)


def title_of(check, titles):
    """The title of a verdict: its exercise's, "(hidden test)" added for a hidden one."""
    if check.endswith(HIDDEN_SUFFIX) and check[:-len(HIDDEN_SUFFIX)] in titles:
        return f'{titles[check[:-len(HIDDEN_SUFFIX)]]} (hidden test)'
    return titles.get(check, check)
