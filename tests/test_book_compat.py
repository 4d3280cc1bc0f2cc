"""`import week5 as d2l` runs the MXNet code of the d2l book's CNN chapters.

1. Every name those chapters (and the d2l classes they stand on) reach exists in week5
   with a signature that accepts every call the stock d2l 1.0.3 signature accepts.
2. The chapters' code (tests/book/*.py) prints the same layer shapes with week5 as with
   stock d2l, and trains (shrunk in epochs, batches and resolution) through week5.
"""
import contextlib
import inspect
import io
import math
import pathlib
import warnings

import pytest

import week5
from week5 import core

BOOK = pathlib.Path(__file__).parent / 'book'
STOCK_IMPORT = 'from d2l import mxnet as d2l'

# (name, attribute path) pairs reached by the chapters and the d2l base classes.
NAMES = [
    'HyperParameters.save_hyperparameters', 'ProgressBoard.__init__', 'ProgressBoard.draw',
    'Module.__init__', 'Module.loss', 'Module.forward', 'Module.plot',
    'Module.training_step', 'Module.validation_step', 'Module.configure_optimizers',
    'Classifier.validation_step', 'Classifier.accuracy', 'Classifier.loss',
    'Classifier.layer_summary', 'DataModule.get_dataloader',
    'DataModule.train_dataloader', 'DataModule.val_dataloader',
    'DataModule.get_tensorloader', 'FashionMNIST.text_labels', 'FashionMNIST.visualize',
    'FashionMNIST.get_dataloader', 'Trainer.__init__', 'Trainer.prepare_data',
    'Trainer.prepare_model', 'Trainer.fit', 'Trainer.fit_epoch', 'Trainer.prepare_batch',
    'Trainer.clip_gradients', 'add_to_class', 'cpu', 'gpu', 'num_gpus', 'try_gpu',
    'try_all_gpus', 'randn', 'rand', 'normal', 'zeros', 'ones', 'arange', 'tensor',
    'reshape', 'numpy', 'astype', 'argmax', 'reduce_mean', 'reduce_sum', 'to', 'size',
    'concat', 'stack', 'exp', 'matmul', 'float32', 'int32', 'nn_Module',
]
# Deliberate differences in defaults: week5's loaders need no worker processes and find
# the data themselves (see week5/data.py).
DEFAULT_EXCEPTIONS = {('DataModule.__init__', 'root'), ('DataModule.__init__', 'num_workers')}


def _resolve(module, dotted):
    obj = module
    for part in dotted.split('.'):
        obj = getattr(obj, part)
    return obj


@pytest.fixture(scope='module')
def stock():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        from d2l import mxnet as d2l_stock
    return d2l_stock


def _accepts(ours, theirs, name):
    """Every way of calling ``theirs`` binds to ``ours`` with the same meaning."""
    problems = []
    op = list(ours.parameters.values())
    tp = list(theirs.parameters.values())
    positional = [p for p in tp if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    ours_pos = [p for p in op if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    has_var = {k: any(p.kind == k for p in op) for k in (
        inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)}
    for i, p in enumerate(positional):
        if i < len(ours_pos):
            if ours_pos[i].name != p.name:
                problems.append(f'{name}: parameter {i} is {ours_pos[i].name!r}, '
                                f'book has {p.name!r}')
            elif (name, p.name) not in DEFAULT_EXCEPTIONS and (
                    (ours_pos[i].default is inspect.Parameter.empty)
                    != (p.default is inspect.Parameter.empty)
                    or p.default is not inspect.Parameter.empty
                    and tuple(_seq(ours_pos[i].default)) != tuple(_seq(p.default))):
                problems.append(f'{name}({p.name}): default {ours_pos[i].default!r}, '
                                f'book has {p.default!r}')
        elif not has_var[inspect.Parameter.VAR_POSITIONAL]:
            problems.append(f'{name}: missing positional parameter {p.name!r}')
    for p in tp:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and not has_var[p.kind]:
            problems.append(f'{name}: book accepts {p}, week5 does not')
    extra_required = [p.name for p in op[len(positional):]
                      if p.default is inspect.Parameter.empty
                      and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if extra_required:
        problems.append(f'{name}: week5 requires extra parameters {extra_required}')
    return problems


def _seq(value):
    return value if isinstance(value, (list, tuple)) else [value]


def test_every_book_name_exists_with_a_compatible_signature(stock):
    problems = []
    for name in NAMES + ['DataModule.__init__', 'FashionMNIST.__init__']:
        if not hasattr(week5, name.split('.')[0]):
            problems.append(f'week5 lacks {name}')
            continue
        ours, theirs = _resolve(week5, name), _resolve(stock, name)
        if not callable(theirs) or isinstance(theirs, type) and name in (
                'float32', 'int32'):
            continue
        try:
            sig_t = inspect.signature(theirs)
        except (TypeError, ValueError):
            continue   # builtins without a signature: existence is what counts
        problems += _accepts(inspect.signature(ours), sig_t, name)
    assert not problems, '\n'.join(problems)


def test_names_are_exported_in_all():
    missing = [n.split('.')[0] for n in NAMES if n.split('.')[0] not in week5.__all__]
    assert not missing, missing


def test_signature_check_catches_a_mismatch(stock):
    def fit(self, data, model):   # arguments swapped
        pass
    assert _accepts(inspect.signature(fit), inspect.signature(stock.Trainer.fit), 'fit')


# --- running the chapters ---------------------------------------------------------------------
CHAPTERS = {'lenet': 28, 'alexnet': 67, 'vgg': 32, 'nin': 67, 'googlenet': 32}


def _split(chapter):
    source = (BOOK / f'{chapter}.py').read_text()
    assert STOCK_IMPORT in source
    model_part, _, train_part = source.partition('# --- training')
    assert train_part, f'{chapter}.py lacks the training marker'
    return model_part, train_part


@pytest.fixture
def restore_classes():
    """Book code patches d2l.Classifier with add_to_class: undo it after each test."""
    saved = {cls: dict(vars(cls)) for cls in (core.Module, core.Classifier)}
    yield
    for cls, attrs in saved.items():
        for key in set(vars(cls)) - set(attrs):
            delattr(cls, key)
        for key, value in attrs.items():
            if vars(cls).get(key) is not value:
                setattr(cls, key, value)


def _run(source, namespace):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        exec(compile(source, '<book>', 'exec'), namespace)
    return out.getvalue()


def _shapes(printout):
    return [line.split('\t')[-1].strip() for line in printout.splitlines()
            if 'output shape' in line]


@pytest.mark.parametrize('chapter', list(CHAPTERS))
def test_chapter_prints_the_same_layer_shapes(chapter, stock, restore_classes):
    model_part, _ = _split(chapter)
    theirs = _run(model_part, {})
    ours = _run(model_part.replace(STOCK_IMPORT, 'import week5 as d2l'), {})
    assert _shapes(ours) and ours == theirs


@pytest.fixture(scope='module')
def fashion_mnist_available():
    try:
        week5.FashionMNIST(batch_size=8, num_train=8, num_val=8).train_dataloader()
    except Exception as err:  # noqa: BLE001  (any reason the data is missing)
        pytest.skip(f'Fashion-MNIST not available: {err}')


@pytest.mark.parametrize('chapter', list(CHAPTERS))
def test_chapter_trains_with_week5(chapter, restore_classes, fashion_mnist_available,
                                   monkeypatch):
    monkeypatch.setenv('WEEK5_PROGRESS', '0')
    model_part, train_part = _split(chapter)
    source = (model_part + train_part).replace(STOCK_IMPORT, 'import week5 as d2l')
    ns = {'SHRINK': {'num_train': 64, 'num_val': 32}, 'RESIZE': CHAPTERS[chapter]}
    _run(source, ns)
    rows = ns['trainer'].history.epochs
    assert len(rows) == 1 and rows[0]['examples'] == 64
    assert math.isfinite(rows[0]['train_loss']) and 0 <= rows[0]['val_acc'] <= 1
