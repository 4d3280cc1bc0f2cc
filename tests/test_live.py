"""week5.live: throttled redraws into sinks, driven with a fake clock and a fake trainer,
then once through a real `Trainer.fit`."""
import os

os.environ.setdefault('MPLBACKEND', 'Agg')

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from week5 import live  # noqa: E402
from week5.callbacks import Callback  # noqa: E402


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class FakeHistory:
    def __init__(self):
        self.epochs, self.batches = [], []


class FakeTrainer:
    """The counters of week5.core.Trainer: `train_batch_idx` counts batches across
    epochs, `batch_in_epoch` within one."""

    def __init__(self, num_train_batches=100):
        self.history = FakeHistory()
        self.epoch, self.train_batch_idx, self.batch_in_epoch = 0, 0, 0
        self.num_train_batches = num_train_batches


def _run(cb, clock, num_batches=1000, dt=0.01, trainer=None, model=None, on_batch=None,
         log_every=1):
    """Call the hooks as a Trainer would: `num_batches` batches of `dt` seconds each, a
    metrics row every `log_every` batches (unless `on_batch` writes the rows)."""
    trainer = trainer or FakeTrainer()
    cb.on_fit_start(trainer, model)
    for i in range(num_batches):
        clock.t += dt
        trainer.epoch, trainer.batch_in_epoch = divmod(i, trainer.num_train_batches)
        trainer.train_batch_idx = i + 1
        if on_batch:
            on_batch(trainer, i)
        elif (i + 1) % log_every == 0:
            trainer.history.batches.append({'step': (i + 1) / trainer.num_train_batches,
                                            'train_loss': 1.0})
        cb.on_train_batch_end(trainer, model, trainer.batch_in_epoch)
        if trainer.batch_in_epoch == trainer.num_train_batches - 1:
            cb.on_epoch_end(trainer, model, trainer.epoch)
    cb.on_fit_end(trainer, model)
    return trainer


class Counting(live.LiveCallback):
    """Draws a dot; `cost` seconds of fake time per render."""

    def __init__(self, clock, cost=0.0, **kwargs):
        super().__init__(clock=clock, **kwargs)
        self.cost, self._clock, self.renders = cost, clock, 0

    def render(self, trainer, model):
        self._clock.t += self.cost
        self.renders += 1
        self.fig.clf()
        self.fig.add_subplot().plot([0], [trainer.train_batch_idx], 'o')
        return True


def test_redraws_are_throttled_by_time_never_per_batch():
    clock = FakeClock()
    cb = Counting(clock, max_fps=2.0, sink=lambda png: None)
    _run(cb, clock, num_batches=640, dt=1 / 64,          # 10 s of training, 640 batches
         trainer=FakeTrainer(num_train_batches=10_000))   # (in one epoch)
    # fit start + one every 0.5 s + the final one
    assert cb.num_redraws == 1 + 20 + 1
    assert cb.png[:4] == b'\x89PNG'


def test_redraws_only_right_after_the_trainer_read_its_metrics():
    clock = FakeClock()
    at = []
    cb = Counting(clock, max_fps=100.0, sink=lambda png: at.append(trainer.train_batch_idx))
    trainer = FakeTrainer()
    _run(cb, clock, num_batches=95, dt=0.1, trainer=trainer, log_every=10)
    # fit start, then only where a metrics row was just written, then the final one
    assert at == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95]


def test_slow_renders_are_spaced_to_stay_within_budget():
    clock = FakeClock()
    starts = []
    cb = Counting(clock, cost=0.01, max_fps=2.0, budget=0.01,
                  sink=lambda png: starts.append(clock.t - 0.01))
    _run(cb, clock, num_batches=576, dt=1 / 64,          # 9 s of training, one epoch
         trainer=FakeTrainer(num_train_batches=10_000))
    assert cb.render_seconds == pytest.approx(0.01 * cb.renders)
    # fit start, the first metrics at once, then each 0.01 s redraw is followed by
    # 1 s (0.01 / 0.01) without one, then the final one
    gaps = np.diff(starts[1:-1])
    assert len(gaps) >= 7 and (gaps >= 1.0).all() and (gaps <= 1.0 + 1 / 64).all()


def test_slow_renders_still_come_every_max_interval():
    """Drawing that takes 0.1 s would wait 5 s at a 2 % budget: the plot would look hung.
    The gap is capped at max_interval (2 s); the redraws take a larger share instead."""
    clock = FakeClock()
    starts = []
    cb = Counting(clock, cost=0.1, max_fps=2.0, budget=0.02, max_interval=2.0,
                  sink=lambda png: starts.append(clock.t - 0.1))
    _run(cb, clock, num_batches=1280, dt=1 / 64,         # 20 s of training, one epoch
         trainer=FakeTrainer(num_train_batches=10_000))
    gaps = np.diff(starts)
    assert gaps.max() <= 2.0 + 1 / 64
    assert (gaps[1:-1] >= 2.0).all()                      # and no more often than that
    assert cb.num_redraws == 2 + 10 + 1                   # start, first data, 10, final
    with pytest.raises(ValueError, match='max_interval'):
        Counting(clock, max_fps=2.0, max_interval=0.1)


def test_an_epochs_last_metrics_are_drawn_before_validation():
    """Validation brings nothing new for a while: the picture it starts from must be
    up to date, whatever the throttle says."""
    clock = FakeClock()
    at = []
    cb = Counting(clock, max_fps=0.1, max_interval=100.0,
                  sink=lambda png: at.append(trainer.train_batch_idx))
    trainer = FakeTrainer(num_train_batches=50)
    _run(cb, clock, num_batches=150, dt=0.01, trainer=trainer, log_every=10)
    assert at == [0, 10, 50, 100, 150]      # start, first metrics, three epoch ends


def test_final_redraw_happens_even_inside_the_throttle_window():
    clock = FakeClock()
    cb = Counting(clock)
    _run(cb, clock, num_batches=3, dt=0.01)
    assert cb.num_redraws == 3                # start, the first metrics at once, the end


def test_the_same_picture_is_not_sent_twice():
    got = []
    clock = FakeClock()
    cb = Counting(clock, sink=got.append)
    trainer = FakeTrainer()
    cb.on_fit_start(trainer, None)
    cb.on_fit_end(trainer, None)             # nothing happened in between
    assert len(got) == cb.num_redraws == 1 and cb.renders == 2


def test_sinks_callable_value_object_or_none():
    got = []

    class ImageLike:
        value = b''

    clock = FakeClock()
    target = ImageLike()
    for sink in (got.append, target, None):
        cb = Counting(clock, sink=sink)
        _run(cb, clock, num_batches=2)
        assert cb.png is not None
    assert got[-1][:4] == b'\x89PNG' and target.value[:4] == b'\x89PNG'
    with pytest.raises(TypeError, match='sink must be a callable'):
        Counting(clock, sink=42)
    with pytest.raises(ValueError, match='budget'):
        Counting(clock, budget=0)
    with pytest.raises(ValueError, match='max_fps'):
        Counting(clock, max_fps=0)


def _grow_history(trainer, i):
    step = (i + 1) / trainer.num_train_batches
    trainer.history.batches.append({'step': step, 'train_loss': 2.0 / (1 + step),
                                    'train_acc': step / (1 + step)})
    if (i + 1) % trainer.num_train_batches == 0:
        trainer.history.epochs.append({'epoch': trainer.epoch + 1, 'val_loss': 1 / (1 + step),
                                       'val_acc': 0.5 + 0.1 * step, 'train_loss': 1.0,
                                       'train_acc': 0.5})


def test_live_curves_redraw_growing_history_and_overlay_previous_runs():
    class PrevRun:
        label = 'sigmoid'
        history = FakeHistory()
    PrevRun.history.epochs = [{'epoch': 1, 'train_loss': 2.0, 'val_loss': 2.1,
                               'train_acc': 0.2, 'val_acc': 0.2}]
    pngs = []
    clock = FakeClock()
    cb = live.LiveCurves(sink=pngs.append, previous=[PrevRun()], label='relu', clock=clock)
    _run(cb, clock, num_batches=300, dt=0.02, on_batch=_grow_history)
    assert len(pngs) == cb.num_redraws >= 5
    assert len(set(pngs)) == len(pngs)                   # every redraw shows something new
    loss_ax, acc_ax = cb.fig.axes
    labels = [ln.get_label() for ln in loss_ax.lines]
    assert labels == ['sigmoid train_loss', 'sigmoid val_loss', 'relu train_loss',
                      'relu val_loss']
    train = loss_ax.lines[2]
    assert len(train.get_xdata()) == 300                 # the final redraw has every point
    assert train.get_xdata()[-1] == pytest.approx(3.0)
    assert loss_ax.get_xlim()[1] >= 3.0                  # rescaled as data grew


def test_live_curves_show_the_first_metrics_at_once():
    clock = FakeClock()
    cb = live.LiveCurves(clock=clock)
    trainer = FakeTrainer()
    cb.on_fit_start(trainer, None)
    assert cb.num_redraws == 0                          # no metrics yet: nothing drawn
    clock.t += 0.01                                     # well inside the 0.5 s throttle
    trainer.history.batches.append({'step': 0.01, 'train_loss': 2.3})
    cb.on_train_batch_end(trainer, None, 0)
    assert cb.num_redraws == 1


class ToyModel:
    """A model with a Sequential `.net` whose first conv weights we change by hand."""

    def __init__(self, deferred=False):
        from mxnet import init
        from mxnet.gluon import nn
        self.net = nn.Sequential()
        self.net.add(nn.Conv2D(6, kernel_size=5, in_channels=0 if deferred else 1),
                     nn.Dense(10))
        self.net.initialize(init.Normal(0.1))


def test_live_filters_follow_the_weights():
    import mxnet as mx
    model = ToyModel()
    pngs = []
    clock = FakeClock()
    cb = live.LiveFilters(sink=pngs.append, clock=clock, fast=False)

    def perturb(trainer, i):
        w = model.net[0].weight
        d = w.data()             # a legacy or an np array, by the semantics the thread has
        noise = (np.random.normal(size=w.shape) * 0.05).astype('float32')
        w.set_data(d + (mx.np.array(noise) if isinstance(d, mx.np.ndarray) else mx.nd.array(noise)))
        trainer.history.batches.append({'step': (i + 1) / 100, 'train_loss': 1.0})
    _run(cb, clock, num_batches=120, dt=0.01, model=model, on_batch=perturb)
    assert len(pngs) >= 3 and len(set(pngs)) == len(pngs)
    np.testing.assert_array_equal(cb.weights, model.net[0].weight.data().asnumpy())
    (ax,) = cb.fig.axes
    assert ax.images[0].get_clim() == (-1.0, 1.0)
    assert ax.get_title() == 'conv1 filters, epoch 1.20'


def test_fast_live_filters_encode_the_mosaic_directly():
    import io
    from PIL import Image
    model = ToyModel()
    w = model.net[0].weight
    values = np.zeros(w.shape, dtype=np.float32)
    values[:, 0, 0, 0] = -1.0                 # top-left pixel of every filter: negative
    values[:, 0, 4, 4] = 2.0                  # bottom-right: positive
    w.set_data(values)
    clock = FakeClock()
    cb = live.LiveFilters(clock=clock, width=300)
    cb.on_fit_start(FakeTrainer(), model)
    img = Image.open(io.BytesIO(cb.png)).convert('RGB')
    scale = 300 // 17                          # 6 filters -> 2 x 3 tiles of 5 + 1-px gaps
    assert img.size == (17 * scale, 11 * scale)
    r, g, b = img.getpixel((0, 0))
    assert b > r                               # negative weights are blue
    r, g, b = img.getpixel((4 * scale, 4 * scale))
    assert r > b                               # positive red
    assert len(set(img.getpixel((5 * scale, 0)))) == 1      # the grey gap
    assert cb.fig.axes == []                   # no figure was drawn


def test_live_filters_wait_for_deferred_initialisation():
    model = ToyModel(deferred=True)
    clock = FakeClock()
    cb = live.LiveFilters(clock=clock)
    cb.on_fit_start(FakeTrainer(), model)
    assert cb.png is None and cb.num_redraws == 0


def test_live_callbacks_through_a_real_fit():
    from week5.core import Trainer
    from week5.data import FashionMNIST
    from week5.models import LeNet
    data = FashionMNIST(batch_size=32, num_train=256, num_val=64, progress=False)
    model = LeNet(lr=0.5, activation='relu')
    first = model.net[0].weight.data().asnumpy().copy()
    curves, filters = [], []
    live_curves = live.LiveCurves(sink=curves.append)
    live_filters = live.LiveFilters(sink=filters.append, fast=False)
    trainer = Trainer(max_epochs=2, progress=False, board=False)
    trainer.fit(model, data, callbacks=[live_curves, live_filters])
    assert 2 <= live_curves.num_redraws <= 2 + trainer.train_batch_idx
    assert filters[0] != filters[-1] and curves[0] != curves[-1]
    assert not np.allclose(live_filters.weights, first)       # the final weights
    np.testing.assert_array_equal(live_filters.weights, model.net[0].weight.data().asnumpy())
    loss_ax = live_curves.fig.axes[0]
    assert [ln.get_label() for ln in loss_ax.lines] == ['this run train_loss',
                                                         'this run val_loss']
    assert loss_ax.lines[0].get_xdata()[-1] == pytest.approx(2.0)
    assert cb_title(live_filters) == 'conv1 filters, epoch 2.00'


def test_live_curves_name_the_train_curves_and_keep_the_legend_inside():
    name = 'train (mean since the previous point)'
    cb = live.LiveCurves(train_name=name, previous=[_finished_run('#1 sigmoid', seed=1)],
                         label='#2 relu, lr 0.1, max, kernel_sizes (3, 5)')
    trainer = FakeTrainer()
    trainer.history.batches.append({'step': 0.1, 'train_loss': 2.0, 'train_acc': 0.2})
    cb.on_fit_start(trainer, None)
    (legend,) = cb.fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert name in texts and 'train' not in texts and 'validation' in texts
    assert legend.get_window_extent().width <= cb.fig.bbox.width


def cb_title(cb):
    return cb.fig.axes[0].get_title()


def _finished_run(label, epochs=12, batches_per_epoch=10, seed=0):
    """A lab run of `epochs` epochs: what `previous` holds after a few trainings."""
    rng = np.random.default_rng(seed)

    class Run:
        pass
    run = Run()
    run.label, run.history = label, FakeHistory()
    for i in range(epochs * batches_per_epoch):
        step = (i + 1) / batches_per_epoch
        run.history.batches.append({'step': step, 'train_loss': 2.3 / (1 + step) + rng.normal(0, .05),
                                    'train_acc': step / (1 + step)})
    for e in range(epochs):
        run.history.epochs.append({'epoch': e + 1, 'val_loss': 2.0 / (2 + e), 'val_acc': 0.6 + 0.02 * e,
                                   'train_loss': 1.0, 'train_acc': 0.6})
    return run


class _BatchClock(Callback):
    """A clock that counts work, not time: ``dt`` per trained batch. The live callbacks
    read it, so their throttle spaces redraws by batches on any machine, loaded or not."""

    def __init__(self, dt):
        self.dt, self.batches = dt, 0

    def __call__(self):
        return self.batches * self.dt

    def on_train_batch_end(self, trainer, model, batch_idx):
        self.batches = trainer.train_batch_idx


def test_curves_move_with_a_real_lenet_fit_measured_in_batches():
    """The lab's live pictures on a real LeNet fit (2 epochs of 96 batches, a metrics
    row every tenth of an epoch), with a clock that counts batches (0.05 s each, a
    modest CPU): the first metrics are drawn at the batch they appear, then a new curve
    picture comes at least every max_interval of that clock (plus one metrics row),
    never more than once per metrics row, and the earlier runs go into the cached
    background, drawn a few times, not per redraw. Wall-clock figures (first picture,
    longest gap, drawing share) are printed by bench/live.py, not asserted here."""
    from week5.core import Trainer, set_seed
    from week5.data import FashionMNIST
    from week5.models import LeNet
    set_seed(0)
    data = FashionMNIST(batch_size=128, num_train=12288, num_val=1024, progress=False)
    model = LeNet(lr=0.1, activation='relu', pool='max')
    clock = _BatchClock(0.05)
    drawn = []                                     # the batch of each curve picture
    trainer = Trainer(max_epochs=2, progress=False, board=False)
    curves = live.LiveCurves(sink=lambda png: drawn.append(clock.batches),
                             previous=[_finished_run('#1 sigmoid', seed=1),
                                       _finished_run('#2 relu, lr 0.1', seed=2)],
                             label='#3 relu, lr 0.1, max', clock=clock)
    filters = live.LiveFilters(sink=lambda png: None, clock=clock)
    rows = []                                      # the batch of each metrics row

    class Rows(Callback):
        def on_train_batch_end(self, trainer, model, batch_idx):
            if len(trainer.history.batches) > len(rows):
                rows.append(trainer.train_batch_idx)
    trainer.fit(model, data, callbacks=[clock, Rows(), curves, filters])
    assert trainer.train_batch_idx == 2 * 96 and len(rows) >= 10
    assert rows[0] in drawn                        # the first metrics, drawn at once
    every = int(curves.max_interval / clock.dt) + max(np.diff(rows))
    gaps = np.diff([0] + drawn)
    assert gaps.max() <= every, f'pictures at batches {drawn}'
    assert curves.num_redraws <= len(rows) + 2 * 2 + 2      # per row (+ epoch ends), not batch
    assert filters.num_redraws >= 3
    assert curves.num_full_draws <= 6 < curves.num_redraws
    loss_ax = curves.fig.axes[0]
    assert [ln.get_animated() for ln in loss_ax.lines] == [False] * 4 + [True] * 2
