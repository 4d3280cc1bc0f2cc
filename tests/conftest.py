"""Shared fixtures (the helpers themselves are in tests/support.py).
Grader integration tests, training runs and browser tests carry ``@pytest.mark.slow``.
"""
import os

import nbformat
import pytest

# Tests train what they test: no run is loaded from the user's memo of finished runs
# (week5.recipe.memo_dir), here or in the processes and kernels the tests start. The
# memo's own tests ask for it with retrain=False.
os.environ['WEEK5_RETRAIN'] = '1'

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


@pytest.fixture
def close_figures():
    """Close every matplotlib figure a test left open."""
    yield
    import matplotlib.pyplot as plt
    plt.close('all')
