"""The progress line of `Trainer.fit`: one bar for the whole fit that ends as one finished
line; stdout in a notebook with a frontend, nothing in a notebook that nobody watches
(nbconvert, nbval), stderr in a terminal."""
import io
import sys
import types

import pytest

import week5
from week5 import callbacks, runtime


@pytest.fixture
def fit(tiny_net, toy_data):
    return lambda stream, epochs=3: _fit(stream, tiny_net, toy_data, epochs)


def _fit(stream, tiny_net, toy_data, epochs=3):
    trainer = week5.Trainer(max_epochs=epochs, progress=False, log_every=2)
    trainer.fit(tiny_net(), toy_data(), callbacks=[callbacks.ProgressBar(file=stream)])
    return trainer


def _last_state(text):
    """What a terminal or JupyterLab shows: each line as its last carriage return left it."""
    return [line.split('\r')[-1] for line in text.split('\n') if line.split('\r')[-1].strip()]


def test_one_finished_line_for_the_whole_fit(fit):
    out = io.StringIO()
    fit(out, epochs=3)
    shown = _last_state(out.getvalue())
    assert len(shown) == 1, shown                        # not one line per epoch
    line = shown[0]
    assert line.startswith('epoch 3/3: 100%') and '18/18' in line, line   # 6 batches x 3
    assert 'val_acc=' in line


class _Shell:
    """What `_in_notebook` looks for: an IPython shell run by a kernel."""
    config = {'IPKernelApp': {}}
    user_ns = {}


@pytest.fixture
def kernel(monkeypatch):
    fake = types.ModuleType('IPython')
    fake.get_ipython = lambda: _Shell()
    monkeypatch.setitem(sys.modules, 'IPython', fake)
    monkeypatch.delenv('WEEK5_HEADLESS', raising=False)
    return monkeypatch


def test_where_the_line_goes(kernel, capsys, tiny_net, toy_data):
    # a notebook in JupyterLab: stdout, never the pink stderr box
    kernel.setenv('JPY_SESSION_NAME', 'lab.ipynb')
    kernel.delenv('JPY_PARENT_PID', raising=False)
    assert runtime.progress_stream() is sys.stdout
    week5.Trainer(max_epochs=1, progress=True, board=False, log_every=2).fit(tiny_net(), toy_data())
    captured = capsys.readouterr()
    assert 'epoch 1/1' in captured.out and captured.err == ''
    # the same notebook run by nbconvert / nbval: no Jupyter server session, no bar
    kernel.delenv('JPY_SESSION_NAME')
    assert runtime.is_headless() and runtime.progress_stream() is None
    week5.Trainer(max_epochs=1, progress=True, board=False, log_every=2).fit(tiny_net(), toy_data())
    captured = capsys.readouterr()
    assert captured.out == '' and captured.err == ''
    kernel.setenv('WEEK5_HEADLESS', '0')                 # the override
    assert runtime.progress_stream() is sys.stdout


def test_a_terminal_keeps_stderr(monkeypatch):
    monkeypatch.delitem(sys.modules, 'IPython', raising=False)
    assert runtime.is_headless() and runtime.progress_stream() is sys.stderr
