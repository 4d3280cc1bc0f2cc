"""week5.widgets driven from Python: set .value, .click(); short real trainings in the
quick profile (512 training images)."""
import os
import re
import threading

os.environ.setdefault('MPLBACKEND', 'Agg')

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from week5 import widgets  # noqa: E402
from week5.callbacks import Callback  # noqa: E402
from week5.core import Classifier  # noqa: E402
from week5.profiles import get_profile  # noqa: E402


def _profile_lr(**knobs):
    """The learning rate the quick profile suggests for LeNet with these knobs."""
    return get_profile('quick').recipe('lenet', **knobs).lr


def _label(number=1, **knobs):
    """The label of a LeNet lab run that changed ``knobs`` (quick profile)."""
    quick = get_profile('quick')
    return quick.recipe('lenet', **knobs).label(quick.recipe('lenet'), number)


def lab_for(model='lenet', **kwargs):
    kwargs.setdefault('headless', False)
    return widgets.TrainingLab(model, profile='quick', **kwargs)


class Recorder(Callback):
    """Remembers the thread fit ran on and every trainer it saw."""

    def __init__(self):
        self.threads, self.batches = set(), 0

    def on_train_batch_end(self, trainer, model, batch_idx):
        self.threads.add(threading.current_thread())
        self.batches += 1


class BlockAt(Callback):
    """Holds the training thread after global batch `at` until released."""

    def __init__(self, at):
        self.at, self.reached, self.release = at, threading.Event(), threading.Event()

    def on_train_batch_end(self, trainer, model, batch_idx):
        if trainer.train_batch_idx == self.at:
            self.reached.set()
            assert self.release.wait(60), 'the test never released the training thread'


# ------------------------------------------------------------------------- controls
def test_controls_are_generated_from_each_config():
    lab = lab_for('lenet')
    cfg = lab.recipe.config
    assert list(lab.controls) == ['resize', 'kernel_sizes[0]', 'kernel_sizes[1]', 'pool',
                                  'activation', 'dropout', 'batch_norm', 'width_divisor',
                                  'lr', 'momentum', 'lr_schedule', 'init', 'num_epochs']
    assert lab.controls['activation'].value == cfg.activation == 'sigmoid'
    assert lab.controls['kernel_sizes[1]'].value == 5
    assert lab.controls['lr'].value == lab.recipe.lr == 0.9
    assert lab.controls['num_epochs'].value == 1
    assert "starts from the <b>quick</b> profile's recipe" in lab.box.children[0].value
    sized = lab_for('lenet', num_train=1024, batch_size=32, dropout=0.5, num_epochs=3)
    assert sized.controls['num_epochs'].value == 3
    sized.controls['num_epochs'].value = 2
    assert sized.next_recipe().num_epochs == 2
    assert sized.next_recipe().num_train == 1024 and sized.next_recipe().batch_size == 32
    assert sized.controls['dropout'].value == 0.5 and sized.next_recipe().config.dropout == 0.5
    bundle = lab._repr_mimebundle_()                   # a live frontend gets the panel
    assert bundle['application/vnd.jupyter.widget-view+json']['model_id'] == lab.box.model_id
    assert bundle['text/plain'].startswith("TrainingLab('lenet', profile='quick'): resize=28")
    alex = lab_for('alexnet')
    assert [k for k in alex.controls if k.startswith('kernel')] == [
        f'kernel_sizes[{i}]' for i in range(5)]
    assert alex.controls['kernel_sizes[0]'].value == 5            # the quick profile's
    assert alex.controls['resize'].value == 64
    vgg = lab_for('vgg')
    assert 'kernel_sizes' in vgg.controls and vgg.controls['kernel_sizes'].value == 3


def test_changing_a_knob_suggests_the_profiles_learning_rate():
    lab = lab_for('lenet')
    relu_lr, sigmoid_lr = _profile_lr(activation='relu'), _profile_lr(activation='sigmoid')
    assert relu_lr != sigmoid_lr                    # else this test could not fail
    lab.controls['activation'].value = 'relu'
    assert lab.controls['lr'].value == relu_lr      # the profile's rule for ReLU LeNet
    assert lab.controls['momentum'].value == 0.9 and lab.controls['lr_schedule'].value == 'cosine'
    lab.controls['activation'].value = 'sigmoid'
    assert lab.controls['lr'].value == sigmoid_lr
    assert lab.controls['momentum'].value == 0.0
    assert lab.controls['lr_schedule'].value == 'constant'          # shown, not blank
    assert lab.next_recipe().lr_schedule is None                    # the recipe's None
    laptop = widgets.TrainingLab('lenet', profile='laptop', headless=False)
    laptop.controls['activation'].value = 'relu'     # the rule sets the epochs too
    assert laptop.controls['num_epochs'].value == \
        get_profile('laptop').recipe('lenet', activation='relu').num_epochs == 7


def test_invalid_combination_shows_the_error_and_starts_nothing():
    lab = lab_for('lenet')
    lab.controls['resize'].value = 16
    lab.controls['kernel_sizes[1]'].value = 11
    lab.train_button.click()
    assert 'Not started' in lab.status.value and 'kernel_sizes[1]' in lab.status.value
    assert lab._thread is None and lab.runs == []
    with pytest.raises(ValueError, match='not a control'):
        lab.train(kernel=3)
    with pytest.raises(ValueError, match='unknown model'):
        widgets.TrainingLab('resnet', profile='quick')


# ------------------------------------------------------------------------- training
def test_a_real_training_through_the_panel_updates_pictures_and_stores_runs():
    rec = Recorder()
    lab = lab_for('lenet', callbacks=[rec])
    filter_values, curve_values = [], []
    lab.filters.observe(lambda ch: filter_values.append(ch['new']), names='value')
    lab.curves.observe(lambda ch: curve_values.append(ch['new']), names='value')
    placeholder = lab.filters.value
    lab.controls['activation'].value = 'relu'
    lab.controls['kernel_sizes[0]'].value = 3
    lab.controls['dropout'].value = 0.2
    lab.controls['num_epochs'].value = 2
    lab.train_button.click()
    assert lab.wait(120)
    assert lab.last_error is None, lab.message
    (run,) = lab.runs
    cfg = run.recipe.config
    assert (cfg.activation, cfg.kernel_sizes, cfg.dropout) == ('relu', (3, 5), 0.2)
    assert run.recipe.num_epochs == 2
    assert run.recipe.lr == _profile_lr(activation='relu', kernel_sizes=(3, 5), dropout=0.2)
    assert len(run.history.epochs) == 2 and not run.stopped
    assert rec.threads and threading.main_thread() not in rec.threads
    # the live pictures changed during the run: initial filters, then newer ones
    assert len(set(filter_values)) >= 2 and placeholder != filter_values[-1]
    assert len(set(curve_values)) >= 2
    assert run.model.net[0].weight.shape == (6, 1, 3, 3)
    assert 'Finished' in lab.status.value and 'val_acc' in lab.status.value

    lab.train(activation='sigmoid', num_epochs=1)           # a second run, overlaid
    assert lab.wait(120) and len(lab.runs) == 2
    assert lab.runs[1].recipe.config.activation == 'sigmoid'
    assert lab.runs[1].label.startswith('#2 ')
    best = lab.best_run('val_acc')
    assert best.final('val_acc') == max(r.final('val_acc') for r in lab.runs)
    axes = lab.compare()
    assert len(axes[0].lines) == 4                      # 2 runs x (train, val) loss
    assert axes[0].lines[0].get_label().startswith(
        _label(1, activation='relu', kernel_sizes=(3, 5), dropout=0.2, num_epochs=2))
    assert '#1 kernel_sizes (3, 5), relu, dropout 0.2' in lab.runs_table.value
    assert '<details><summary>recipe</summary>' in lab.runs_table.value
    # the best model is usable later, on this thread
    from week5.data import FashionMNIST
    X, y = next(iter(FashionMNIST(batch_size=16, num_train=64, num_val=16,
                                  progress=False).val_dataloader()))
    assert best.model(X).shape == (16, 10)


def test_stop_ends_the_run_within_one_batch_and_a_second_train_is_refused():
    hold = BlockAt(3)
    lab = lab_for('lenet', callbacks=[hold])
    lab.controls['num_epochs'].value = 3
    lab.train_button.click()
    assert hold.reached.wait(60), lab.message
    thread = lab._thread
    lab.train_button.click()                          # refused: one run at a time
    assert 'already in progress' in lab.status.value
    assert lab._thread is thread
    lab.stop_button.click()
    assert 'Stopping' in lab.status.value
    hold.release.set()
    assert lab.wait(60)
    (run,) = lab.runs
    assert run.stopped
    assert run.history.epochs[-1]['stopped_at_batch'] == 3     # no batch after Stop
    assert sum(r.get('examples', 0) for r in run.history.epochs) == 3 * 64
    assert 'Stopped' in lab.status.value


def test_reset_restores_controls_and_clears_runs():
    lab = lab_for('lenet', headless=True)
    lab.train(dropout=0.1)
    assert len(lab.runs) == 1
    lab.controls['activation'].value = 'relu'
    lab.reset_button.click()
    assert lab.runs == [] and lab.controls['activation'].value == 'sigmoid'
    assert lab.controls['dropout'].value == 0.0
    assert lab.controls['lr'].value == _profile_lr(activation='sigmoid')
    assert 'Reset' in lab.status.value and '1 stored run cleared' in lab.status.value
    lab.stop_button.click()
    assert 'Nothing to stop' in lab.status.value


# ------------------------------------------------------------------------- headless
def test_headless_trains_synchronously_and_prints_a_rounded_summary(capsys):
    lab = lab_for('lenet', headless=True)
    lab.train(activation='relu')
    assert len(lab.runs) == 1 and lab._thread is None       # no background thread
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    label = re.escape(_label(1, activation='relu'))
    assert re.fullmatch(rf'Run {label}: 1 epoch, train_loss \d\.\d\d, '
                        r'train_acc \d\.\d\d, val_loss \d\.\d\d, val_acc \d\.\d\d', out[0])
    bundle = lab._repr_mimebundle_()
    assert set(bundle) == {'text/plain', 'image/png'}
    assert bundle['text/plain'].startswith("TrainingLab('lenet', profile='quick'):")
    assert lab.figure.axes[2].images                         # the filters of the run
    lab.train(resize=16, **{'kernel_sizes[1]': 11})
    assert 'Not started' in capsys.readouterr().out and len(lab.runs) == 1


def test_given_data_fixes_the_resolution():
    from week5.data import FashionMNIST
    data = FashionMNIST(batch_size=64, resize=32, num_train=256, num_val=64, progress=False)
    lab = lab_for('lenet', data=data, headless=True)
    assert lab.controls['resize'].value == 32 and lab.controls['resize'].disabled
    lab.train()
    (run,) = lab.runs
    assert run.recipe.config.resize == 32 and run.history.epochs[-1]['examples'] == 256


def test_headless_detection(monkeypatch):
    monkeypatch.delenv('WEEK5_HEADLESS', raising=False)
    assert widgets.is_headless()                         # pytest: no kernel
    monkeypatch.setenv('WEEK5_HEADLESS', '0')
    assert not widgets.is_headless()
    monkeypatch.setenv('WEEK5_HEADLESS', '1')
    assert widgets.is_headless()
    assert widgets.TrainingLab('lenet', profile='quick').headless


def test_a_custom_book_style_model(capsys):
    from mxnet.gluon import nn

    class TinyNet(Classifier):
        def __init__(self, lr=0.1, num_classes=10):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential()
            self.net.add(nn.Conv2D(4, kernel_size=3, activation='relu'), nn.MaxPool2D(),
                         nn.Dense(num_classes))
            self.net.initialize()

    lab = widgets.TrainingLab(TinyNet(lr=0.2), profile='quick', headless=True)
    assert list(lab.controls) == ['lr', 'momentum', 'lr_schedule', 'init', 'num_epochs']
    assert lab.controls['lr'].value == 0.2
    lab.train()
    (run,) = lab.runs
    assert isinstance(run.model, TinyNet) and run.recipe.network == 'TinyNet'
    assert 'Run #1 as set up: 1 epoch' in capsys.readouterr().out
    with pytest.raises(ValueError, match='no config knobs'):
        widgets.TrainingLab(TinyNet(), profile='quick', activation='relu')


# ------------------------------------------------------------------------- small widgets
@pytest.fixture(scope='module')
def lenet():
    from week5.models import get_model
    return get_model('lenet', activation='relu')


def test_filter_viewer_switches_layers_and_channel_modes(lenet):
    viewer = widgets.FilterViewer(lenet, headless=False)
    first = viewer.image.value
    assert first[:4] == b'\x89PNG'
    assert [v for _, v in viewer.layer.options] == [0, 1]
    viewer.layer.value = 1                                  # conv2: 16 filters x 6 inputs
    assert viewer.image.value != first
    assert repr(viewer) == "FilterViewer: conv2 (layer 2): 16x6x5x5, in channels 'all'"
    all_channels = viewer.image.value
    viewer.channels.value = 'mean'
    assert viewer.image.value != all_channels


def test_feature_map_explorer_follows_image_and_layer(lenet):
    images = np.random.rand(3, 1, 28, 28).astype(np.float32)
    explorer = widgets.FeatureMapExplorer(lenet, images=images, headless=False)
    assert explorer.maps.shape == (6, 28, 28)
    shown = explorer.image.value
    explorer.index.value = 2
    assert explorer.image.value != shown
    explorer.layer.value = 2                                # conv2
    assert explorer.maps.shape == (16, 10, 10)
    assert [label.split(' ->')[0] for label, _ in explorer.layer.options] == [
        '0: Conv2D', '1: AvgPool2D', '2: Conv2D', '3: AvgPool2D']
    with pytest.raises(ValueError, match='pass images'):
        widgets.FeatureMapExplorer(lenet)


def _inception_params(cin, c1, c2, c3, c4):
    return (cin * c1 + c1 + cin * c2[0] + c2[0] + c2[0] * c2[1] * 9 + c2[1]
            + cin * c3[0] + c3[0] + c3[0] * c3[1] * 25 + c3[1] + cin * c4 + c4)


def test_inception_panel_shows_shape_and_params_as_sliders_move():
    panel = widgets.InceptionPanel(in_channels=192, size=28, headless=False)
    assert panel.output_shape == (1, 256, 28, 28)
    assert panel.params == _inception_params(192, 64, (96, 128), (16, 32), 32) == 163696
    assert '163,696' in panel.info.value
    panel.sliders['c3'].value = 96
    panel.sliders['c1'].value = 128
    assert panel.output_shape == (1, 384, 28, 28)
    assert panel.params == _inception_params(192, 128, (96, 128), (16, 96), 32)
    assert repr(panel).startswith('Inception(c1=128, c2=(96, 128), c3=(16, 96), c4=32)')
    with pytest.raises(ValueError, match='in_channels'):
        widgets.InceptionPanel(in_channels=0)


HEADLESS_CELLS = [
    "from week5.widgets import TrainingLab, is_headless\nprint('headless:', is_headless())",
    "lab = TrainingLab('lenet', profile='quick')\nlab",
    "lab.train(activation='relu')",
    "print(len(lab.runs), lab.runs[-1].recipe.config.activation)",
]


@pytest.mark.slow
def test_headless_in_a_kernel_without_frontend(monkeypatch):
    """As nbval / nbconvert run a notebook: a kernel, but no Jupyter server session.
    The lab detects it, trains synchronously and leaves text + a static PNG.
    The kernel even inherits JPY_SESSION_NAME (as when `make test` runs from a notebook
    cell): its parent process is pytest, so it is still headless.
    (The notebook is built here, not stored, so nbval never collects it.)"""
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.delenv('WEEK5_HEADLESS', raising=False)
    monkeypatch.setenv('JPY_SESSION_NAME', '/somewhere/outer.ipynb')
    monkeypatch.setenv('WEEK5_PROGRESS', '0')
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in HEADLESS_CELLS]
    NotebookClient(nb, timeout=300, kernel_name='python3').execute()
    outs = [c.outputs for c in nb.cells]
    assert outs[0][0]['text'] == 'headless: True\n'
    shown = outs[1][0]['data']
    assert 'application/vnd.jupyter.widget-view+json' not in shown
    assert shown['text/plain'].startswith("TrainingLab('lenet', profile='quick'):")
    (result,) = [o for o in outs[2] if o['output_type'] == 'display_data']
    assert set(result['data']) == {'text/plain', 'image/png'}
    label = re.escape(_label(1, activation='relu'))
    assert re.fullmatch(rf'Run {label}: 1 epoch, train_loss \d\.\d\d, '
                        r'train_acc \d\.\d\d, val_loss \d\.\d\d, val_acc \d\.\d\d',
                        result['data']['text/plain'])
    assert not [o for o in outs[2] if o['output_type'] == 'stream']   # no stray stderr
    assert outs[3][0]['text'] == '1 relu\n'


# ------------------------------------------------------------------------- recipe
class _CaptureAtStart(Callback):
    """Keeps the trainer and model of a fit and stops it before the first batch."""

    def on_fit_start(self, trainer, model):
        self.trainer, self.model = trainer, model
        trainer.stop()


def _setup(trainer, model):
    """What decides how a run trains: optimizer, its settings, init, schedule, epochs."""
    optim = model.configure_optimizers()._optimizer
    return (type(optim).__name__, optim.lr, getattr(optim, 'momentum', 0.0), optim.wd,
            getattr(model, 'init', None), type(model).__name__, model.config,
            [type(c).__name__ for c in trainer.callbacks
             if type(c).__module__ != 'week5.widgets' and not isinstance(c, _CaptureAtStart)],
            trainer.max_epochs)


@pytest.mark.parametrize('name', ['lenet', 'alexnet', 'vgg', 'nin', 'googlenet'])
def test_the_lab_trains_exactly_the_recipe_build_sets_up(name):
    """For every network, the lab's first run is set up as the profile's
    ``recipe.build()`` sets it up (no training needed to compare)."""
    capture = _CaptureAtStart()
    sizes = dict(num_train=256, num_val=64)
    lab = widgets.TrainingLab(name, profile='laptop', headless=True, callbacks=[capture],
                              **sizes)
    lab.train()
    recipe = get_profile('laptop').recipe(name, **sizes)
    assert lab.runs[-1].recipe == recipe
    model, _, trainer = recipe.build()
    assert _setup(capture.trainer, capture.model) == _setup(trainer, model)
    assert _setup(trainer, model)[2] == recipe.momentum      # the comparison sees momentum


def test_before_the_first_run_the_panel_shows_the_network_not_empty_axes():
    lab = lab_for('alexnet')
    assert '<b>The network</b>' in lab.runs_table.value and 'Total params' in lab.runs_table.value
    from PIL import Image
    import io
    width, height = Image.open(io.BytesIO(lab.filters.value)).size
    assert width > 150 and height > 150               # a filter mosaic, not a text strip
    headless = lab_for('lenet', headless=True)
    assert set(headless._repr_mimebundle_()) == {'text/plain'}   # no picture before a run
    headless.train()
    assert set(headless._repr_mimebundle_()) == {'text/plain', 'image/png'}
    assert '#1 as set up' in headless.runs_table.value


def test_pictures_are_shown_at_their_own_size():
    from week5.viz import png_size
    lab = lab_for('lenet')
    for image in (lab.curves, lab.filters):
        width, _ = png_size(bytes(image.value))
        assert image.layout.width == f'{width}px' and image.layout.height == 'auto'
