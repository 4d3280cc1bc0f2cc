"""week5.core: Module / Classifier / Trainer / Callback / History on tiny synthetic data."""
import dataclasses
import json
import math
import os
import signal
import subprocess
import sys

import numpy as onp
import pytest
from mxnet import autograd, init, np
from mxnet.gluon import nn

import week5
from week5 import core

from support import TinyNet, ToyData


def _fit(max_epochs=2, model=None, data=None, **kwargs):
    trainer = week5.Trainer(max_epochs=max_epochs, progress=False, **kwargs)
    model = model or TinyNet()
    trainer.fit(model, data or ToyData())
    return trainer, model


NUMBERS = ('train_loss', 'train_acc', 'val_loss', 'val_acc')


def _values(history):
    return ([{k: r[k] for k in NUMBERS} for r in history.epochs],
            [{k: r[k] for k in ('step', 'train_loss', 'train_acc')} for r in history.batches])


# --- training and history --------------------------------------------------------------
def test_fit_records_epoch_and_interval_rows_and_learns():
    week5.set_seed(0)
    trainer, _ = _fit(max_epochs=3, log_every=2)
    h = trainer.history
    assert len(h.epochs) == 3 and len(h.batches) == 3 * 3   # 6 batches / 2 per row
    for key in History_keys():
        assert key in h.epochs[0]
    assert h['epoch'] == [1, 2, 3]
    assert [r['step'] for r in h.batches[:3]] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert h['val_acc'][-1] > 0.9 and h['train_loss'][-1] < h['train_loss'][0]
    assert all(r['examples_per_sec'] > 0 for r in h.epochs)
    assert h['wall_time'] == sorted(h['wall_time'])


def History_keys():
    return week5.History.EPOCH_KEYS


def test_epoch_metrics_are_example_weighted_means_of_the_batches():
    week5.set_seed(0)
    data = ToyData(batch_size=40)      # 96 = 40 + 40 + 16: unequal batches
    trainer, model = _fit(max_epochs=1, data=data, log_every=1)
    rows = trainer.history.batches
    sizes = [40, 40, 16]
    mean = sum(r['train_loss'] * n for r, n in zip(rows, sizes)) / 96
    assert trainer.history.epochs[0]['train_loss'] == pytest.approx(mean)
    X, y = np.array(data.X[96:]), np.array(data.y[96:])
    expected = float(model.loss(model(X), y))
    assert trainer.history.epochs[0]['val_loss'] == pytest.approx(expected, rel=1e-4)


def test_metrics_are_read_back_once_per_interval_not_per_batch(monkeypatch):
    calls = []
    original = np.ndarray.asnumpy

    def counting(self, *args, **kwargs):
        calls.append(self.shape)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(np.ndarray, 'asnumpy', counting)
    _fit(max_epochs=1, data=ToyData(batch_size=8), log_every=6)   # 12 batches
    # 2 intervals x (loss, acc) + validation (loss, acc): far fewer than 12 batches x 2
    assert len(calls) == 2 * 2 + 2, calls


def test_module_plot_records_custom_keys_into_history():
    class Logged(TinyNet):
        def training_step(self, batch):
            l = super().training_step(batch)
            self.plot('double_loss', 2 * l, train=True)
            return l
    trainer, _ = _fit(max_epochs=1, model=Logged(), log_every=3)
    row = trainer.history.batches[-1]
    assert row['train_double_loss'] == pytest.approx(2 * row['train_loss'])
    assert trainer.history['train_double_loss'][0] == pytest.approx(
        2 * trainer.history['train_loss'][0])


def test_a_training_step_that_does_not_plot_still_gets_its_loss_recorded():
    class Quiet(TinyNet):
        def training_step(self, batch):
            return self.loss(self(*batch[:-1]), batch[-1])
    trainer, _ = _fit(max_epochs=1, model=Quiet())
    assert math.isfinite(trainer.history['train_loss'][0])
    assert trainer.history['train_acc'] == [None]


def test_plot_outside_fit_says_what_to_do():
    with pytest.raises(RuntimeError, match='during trainer.fit'):
        TinyNet().plot('loss', 1.0, train=True)


def test_history_round_trips_and_names_unknown_keys():
    trainer, _ = _fit(max_epochs=1)
    h2 = week5.History.from_dict(json.loads(json.dumps(trainer.history.to_dict())))
    assert h2.epochs == trainer.history.epochs and h2.batches == trainer.history.batches
    with pytest.raises(KeyError, match='val_acc'):
        h2['no_such_key']


def test_student_dataloader_overrides_are_used():
    class Half(ToyData):
        def train_dataloader(self):
            return self.get_tensorloader((self.X, self.y), True, slice(0, 48))
    trainer, _ = _fit(max_epochs=1, data=Half())
    assert trainer.num_train_batches == 3 and trainer.history.epochs[0]['examples'] == 48


# --- fast path ------------------------------------------------------------------------------
def test_sequential_of_hybrid_blocks_runs_hybridized_with_the_same_parameters():
    week5.set_seed(0)
    model = TinyNet()
    X = np.array(ToyData().X[:4])
    before = model(X).asnumpy()
    trainer = week5.Trainer(max_epochs=1, progress=False)
    trainer.prepare_model(model)
    fast = model.__dict__['_fast_net']
    assert isinstance(fast.net, nn.HybridSequential) and fast.net._active
    assert list(fast.net._children.values()) == list(model.net._children.values())
    onp.testing.assert_allclose(model(X).asnumpy(), before, rtol=1e-5)
    with autograd.record():
        model.loss(model(X), np.array([0, 1, 2, 3])).backward()
    assert float(abs(model.net[0].weight.grad()).sum()) > 0


def test_models_with_plain_blocks_still_train():
    class Branchy(nn.Block):   # like the book's Inception: not hybridizable as a whole
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2D(2, kernel_size=1)
            self.b = nn.Conv2D(2, kernel_size=3, padding=1)

        def forward(self, x):
            return np.concatenate((self.a(x), self.b(x)), axis=1)

    class Net(week5.Classifier):
        def __init__(self, lr=0.3):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential()
            self.net.add(Branchy(), nn.Dense(4))
            self.net.initialize()
    trainer, model = _fit(max_epochs=1, model=Net())
    assert '_fast_net' not in model.__dict__ and model.net[1]._active
    assert math.isfinite(trainer.history['train_loss'][0])


# --- callbacks, stopping, continuing -----------------------------------------------------------
class Recorder(week5.Callback):
    def __init__(self, stop_at=None, raise_at=None):
        self.events, self.stop_at, self.raise_at = [], stop_at, raise_at

    def on_fit_start(self, trainer, model):
        self.events.append('start')

    def on_train_batch_end(self, trainer, model, batch_idx):
        self.events.append(('batch', trainer.epoch, batch_idx))
        if self.stop_at == trainer.train_batch_idx:
            trainer.stop()
        if self.raise_at == trainer.train_batch_idx:
            raise KeyboardInterrupt

    def on_epoch_end(self, trainer, model, epoch):
        self.events.append(('epoch', epoch))

    def on_fit_end(self, trainer, model):
        self.events.append('end')


def test_callback_hooks_run_in_order():
    rec = Recorder()
    trainer = week5.Trainer(max_epochs=2, progress=False)
    trainer.fit(TinyNet(), ToyData(batch_size=48), callbacks=[rec])
    assert rec.events == ['start', ('batch', 0, 0), ('batch', 0, 1), ('epoch', 0),
                          ('batch', 1, 0), ('batch', 1, 1), ('epoch', 1), 'end']
    assert week5.Callback().on_epoch_end(trainer, None, 0) is None


def test_stop_keeps_weights_and_history_and_fit_continues():
    rec = Recorder(stop_at=8)            # 6 batches per epoch: stop in epoch 2, batch 2
    trainer, model = week5.Trainer(max_epochs=3, progress=False), TinyNet()
    trainer.fit(model, ToyData(), callbacks=[rec])
    h = trainer.history
    assert len(h.epochs) == 2 and h.epochs[1]['stopped_at_batch'] == 2
    assert h.epochs[1]['val_loss'] is None and trainer.train_batch_idx == 8
    weights = model.net[0].weight.data().asnumpy().copy()
    trainer.fit(model, ToyData())        # continues with epoch 3
    assert h is trainer.history and h['epoch'] == [1, 2, 3]
    assert not onp.allclose(weights, model.net[0].weight.data().asnumpy())
    trainer.fit(model, ToyData())        # a finished run trains max_epochs more
    assert h['epoch'] == [1, 2, 3, 4, 5, 6]


def test_keyboard_interrupt_ends_the_fit_cleanly(capsys):
    trainer, model = week5.Trainer(max_epochs=2, progress=False), TinyNet()
    trainer.fit(model, ToyData(), callbacks=[Recorder(raise_at=3)])
    assert trainer.should_stop and 'interrupted' in capsys.readouterr().err
    assert len(trainer.history.batches) >= 1
    model(np.array(ToyData().X[:2])).asnumpy()   # the model still works


def test_sigint_stops_after_the_current_batch():
    class Interrupt(week5.Callback):
        def on_train_batch_end(self, trainer, model, batch_idx):
            if trainer.train_batch_idx == 2:
                os.kill(os.getpid(), signal.SIGINT)
    previous = signal.getsignal(signal.SIGINT)
    trainer = week5.Trainer(max_epochs=2, progress=False)
    trainer.fit(TinyNet(), ToyData(), callbacks=[Interrupt()])
    assert trainer.train_batch_idx == 2 and trainer.history.epochs[0]['stopped_at_batch'] == 2
    assert signal.getsignal(signal.SIGINT) is previous


def test_nan_loss_stops_with_epoch_batch_and_learning_rate():
    class Fragile(TinyNet):     # inf in the input -> NaN logits (ReLU alone would hide it)
        def forward(self, X):
            return super().forward(X) + 0 * X.max()
    with pytest.raises(week5.NonFiniteLossError) as err:
        _fit(max_epochs=1, model=Fragile(), data=ToyData(poison_batch=4), log_every=3)
    msg = str(err.value)
    assert 'epoch 1, batch 4 of 6' in msg and 'learning rate 0.5' in msg and 'lower' in msg
    assert isinstance(err.value, ValueError)


# --- devices, seeds, persistence ---------------------------------------------------------------
def test_num_gpus_falls_back_to_cpu_and_warns_once(monkeypatch):
    monkeypatch.setattr(core, '_warned_no_gpu', False)
    with pytest.warns(UserWarning, match='training on the CPU'):
        trainer = week5.Trainer(max_epochs=1, num_gpus=1, progress=False)
    assert trainer.gpus == [] and trainer.devices == [week5.cpu()]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        week5.Trainer(max_epochs=1, num_gpus=2, progress=False)
    trainer.fit(TinyNet(), ToyData())
    assert week5.try_gpu() == week5.cpu() and week5.try_all_gpus() == [week5.cpu()]


def test_same_seed_gives_identical_history():
    runs = []
    for _ in range(2):
        week5.set_seed(7)
        trainer, _ = _fit(max_epochs=2, data=ToyData(),
                          log_every=2)
        runs.append(_values(trainer.history))
    assert runs[0] == runs[1]
    week5.set_seed(8)
    trainer, _ = _fit(max_epochs=2, log_every=2)
    assert _values(trainer.history) != runs[0]


@dataclasses.dataclass
class SavedCfg:
    width: int = 16
    kernel: tuple = (3, 3)


class Saved(week5.Classifier):
    def __init__(self, arch=((1, 4),), config=None, lr=0.1, **overrides):
        super().__init__()
        self.save_hyperparameters()
        config = dataclasses.replace(config or SavedCfg(), **overrides)
        self.net = nn.Sequential()
        self.net.add(nn.Dense(config.width), nn.Dense(arch[0][1]))
        self.net.initialize(init.Xavier())


def test_save_and_load_round_trip(tmp_path):
    model = Saved(arch=((1, 5),), config=SavedCfg(width=8), lr=0.05, kernel=(5, 5))
    X = np.random.uniform(size=(2, 3))
    expected = model(X).asnumpy()
    json_path, params_path = model.save(tmp_path / 'sub' / 'm')
    meta = json.loads(open(json_path).read())
    assert meta['hparams']['lr'] == 0.05 and params_path.endswith('.params')
    loaded = week5.Classifier.load(tmp_path / 'sub' / 'm.params')
    assert type(loaded) is Saved and loaded.arch == ((1, 5),)
    assert loaded.config == SavedCfg(width=8, kernel=(3, 3)) and loaded.lr == 0.05
    assert loaded.overrides == {'kernel': (5, 5)}
    onp.testing.assert_allclose(loaded(X).asnumpy(), expected, rtol=1e-6)
    with pytest.raises(TypeError, match='not a TinyNet'):
        TinyNet.load(json_path)
    with pytest.raises(FileNotFoundError, match='model.save'):
        TinyNet.load(tmp_path / 'missing')


def test_save_hyperparameters_keeps_arguments_only():
    width = 3

    class Local(week5.HyperParameters):
        def __init__(self, a, b=2, *rest, **extra):
            c = width   # a closure variable, not an argument
            self.save_hyperparameters(ignore=['b'])
    h = Local(1, 2, 3, d=4).hparams
    assert h == {'a': 1, 'rest': (3,), 'extra': {'d': 4}}


def test_unsaveable_hyperparameter_is_named(tmp_path):
    class Odd(TinyNet):
        def __init__(self, lr=0.1, fn=print):
            super().__init__(lr)
            self.save_hyperparameters()
    with pytest.raises(TypeError, match="'fn'"):
        Odd().save(tmp_path / 'odd')


# --- helpers -----------------------------------------------------------------------------------
def test_gradient_clipping_bounds_the_global_norm():
    model = TinyNet()
    X, y = np.array(ToyData().X[:16]) * 100, np.array(ToyData().y[:16])
    with autograd.record():
        model.loss(model(X), y).backward()
    trainer = week5.Trainer(max_epochs=1, gradient_clip_val=0.01, progress=False)
    trainer.clip_gradients(0.01, model)
    norm = math.sqrt(sum(float((p.grad() ** 2).sum())
                         for p in model.collect_params().values()))
    assert norm == pytest.approx(0.01, rel=1e-3)
    trainer, _ = _fit(max_epochs=1, gradient_clip_val=1.0)
    assert math.isfinite(trainer.history['train_loss'][0])


@pytest.mark.parametrize('kwargs, name', [
    ({'max_epochs': 0}, 'max_epochs'), ({'max_epochs': 1, 'num_gpus': -1}, 'num_gpus'),
    ({'max_epochs': 1, 'gradient_clip_val': -1}, 'gradient_clip_val'),
    ({'max_epochs': 1, 'log_every': 0}, 'log_every')])
def test_bad_trainer_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        week5.Trainer(**kwargs)


def test_fit_emits_no_deprecation_warnings():
    """The per-interval metric read and the book helper ``to`` use MXNet's current API:
    a warning per read would flood a student's notebook and cost time per batch."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        trainer, model = _fit(max_epochs=1, gradient_clip_val=1.0)
        week5.to(week5.ones(2), week5.cpu())
    ours = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert not ours, [str(w.message) for w in ours]
    assert trainer.history.epochs[0]['val_acc'] is not None

def test_bad_seed_is_rejected():
    with pytest.raises(ValueError, match='seed'):
        week5.set_seed(-1)


def test_tensor_helpers_and_layer_summary(capsys):
    X = week5.randn(2, 3)
    assert isinstance(X, np.ndarray) and week5.numpy(week5.reshape(X, (3, 2))).shape == (3, 2)
    assert week5.size(X) == 6 and float(week5.reduce_sum(week5.ones(4))) == 4
    assert week5.astype(week5.argmax(week5.tensor([[0., 2.], [3., 1.]]), axis=1),
                        week5.int32).tolist() == [1, 0]
    TinyNet().layer_summary((1, 1, 8, 8))
    assert capsys.readouterr().out.splitlines() == [
        'Conv2D output shape:\t (1, 4, 8, 8)', 'MaxPool2D output shape:\t (1, 4, 4, 4)',
        'Dense output shape:\t (1, 16)', 'Dense output shape:\t (1, 4)']


@week5.add_to_class(TinyNet)
def doubled(self, x):
    return 2 * x


def test_add_to_class_attaches_methods():
    assert TinyNet().doubled(3) == 6


# --- progress line and board -------------------------------------------------------------------
def test_progress_line_on_off_and_env(capsys, monkeypatch):
    week5.Trainer(max_epochs=1, progress=True).fit(TinyNet(), ToyData())
    err = capsys.readouterr().err
    assert 'epoch 1/1' in err and 'val_acc=' in err
    monkeypatch.setenv('WEEK5_PROGRESS', '0')
    week5.Trainer(max_epochs=1).fit(TinyNet(), ToyData())
    assert 'epoch 1/1' not in capsys.readouterr().err


def test_board_draws_from_history_outside_jupyter():
    trainer, model = _fit(max_epochs=2, board=True, log_every=3)
    assert set(model.board.data) == {'train_loss', 'train_acc', 'val_loss', 'val_acc'}
    assert len(model.board.data['val_loss']) == 2 and len(model.board.data['train_loss']) == 4
    ax = model.board.fig.axes[0]
    assert len(ax.lines) == 4 and ax.get_xlim() == (0, 2)


def test_progress_board_averages_every_n_points():
    board = week5.ProgressBoard(xlabel='x', display=False)
    for i in range(4):
        board.draw(i, week5.tensor(float(i)), 'y', every_n=2)
    assert board.data['y'] == [(0.5, 0.5), (2.5, 2.5)] and board.fig is None
    assert board.render().axes[0].get_xlabel() == 'x'


# --- import-time behaviour (subprocesses: a fresh interpreter each) ------------------------------
def _python(code, env=None):
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_numpy_semantics_switch_on_lazily_and_threads_default():
    code = ('import os, week5, mxnet\n'
            'before = mxnet.util.is_np_array()\n'
            'week5.randn(1)\n'
            'print(before, mxnet.util.is_np_array(), os.environ["OMP_NUM_THREADS"])')
    env = {k: v for k, v in os.environ.items() if k != 'OMP_NUM_THREADS'}
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.stdout.split() == ['False', 'True', '1'], out.stderr
    assert _python('import os, week5; print(os.environ["OMP_NUM_THREADS"])',
                   {'OMP_NUM_THREADS': '2'}) == '2'


def test_fit_on_a_thread_activates_numpy_semantics_there():
    code = ('import threading, week5\n'
            'from support import TinyNet, ToyData\n'
            'model = TinyNet(); out = []\n'
            'def run():\n'
            '    t = week5.Trainer(max_epochs=1, progress=False)\n'
            '    t.fit(model, ToyData()); out.append(t.history["val_acc"][0])\n'
            'th = threading.Thread(target=run); th.start(); th.join()\n'
            'print(len(out))')
    tests = os.path.dirname(os.path.abspath(__file__))
    assert _python(code, {'PYTHONPATH': os.pathsep.join([tests, os.environ.get('PYTHONPATH', '')])}) == '1'


def test_fit_returns_nothing_so_a_cell_ending_with_it_shows_no_repr():
    """d2l's fit returns None; a notebook cell whose last line is trainer.fit(model, data)
    must not print History(...) under the plots. The record is trainer.history."""
    trainer = week5.Trainer(max_epochs=1, progress=False)
    assert trainer.fit(TinyNet(), ToyData()) is None
    assert len(trainer.history) == 1 and trainer.history['val_acc'][0] is not None


def test_each_fit_says_what_it_trained_in_the_run_log(tmp_path, monkeypatch):
    log = tmp_path / 'runs.jsonl'
    core.Trainer(max_epochs=2, progress=False, board=False).fit(TinyNet(), ToyData())
    assert not log.exists()                                   # no log unless asked
    monkeypatch.setenv('WEEK5_RUN_LOG', str(log))
    trainer = core.Trainer(max_epochs=2, progress=False, board=False)
    model = TinyNet()
    trainer.fit(model, ToyData(seed=5))                       # the data's own seed
    trainer.fit(model, ToyData(seed=5))                       # two more epochs
    first, second = [json.loads(line) for line in log.read_text().splitlines()]
    assert first['network'] == 'TinyNet' and first['epochs'] == 2 == second['epochs']
    assert first['seed'] == 5 and first['start'] <= first['end'] <= second['start']
