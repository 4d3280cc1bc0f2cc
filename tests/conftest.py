"""Shared fixtures (the helpers themselves are in tests/support.py).
Grader integration tests, training runs and browser tests carry ``@pytest.mark.slow``.
"""
import nbformat
import pytest

from support import TinyNet, ToyData, outputs_text


@pytest.fixture
def toy_data():
    """The ToyData class (call it, with options, for a data module)."""
    return ToyData


@pytest.fixture
def tiny_net():
    """The TinyNet class (call it for a fresh model)."""
    return TinyNet


@pytest.fixture
def notebook_outputs():
    """path -> everything the committed notebook's cells printed, as one text."""
    def read(path):
        cells = nbformat.read(str(path), as_version=4).cells
        return '\n'.join(outputs_text(cell) for cell in cells)
    return read
