"""week5.recipe: the Recipe (validation, build, describe, labels), budgets, and Runs kept
on disk (recipe + History as JSON next to the weights)."""
import dataclasses
import json
from pathlib import Path

import pytest

import week5
import week5.core
from week5 import recipe as rc
from week5.models import ShapeError
from week5.profiles import book, get_profile
from week5.recipe import CosineLR, Recipe, Run, RunLoadError, load_run, save_run, shrink

ROOT = Path(__file__).resolve().parents[1]


def test_replace_routes_recipe_and_config_fields_and_validates():
    r = Recipe.for_network('lenet')
    changed = r.replace(lr=0.05, activation='relu', resize=32, momentum=0.9)
    assert (changed.lr, changed.momentum, changed.config.activation, changed.resize) == \
        (0.05, 0.9, 'relu', (32, 32))
    assert r.config.activation == 'sigmoid'                      # the original is unchanged
    with pytest.raises(ValueError, match="unknown option 'activaton' .*did you mean "
                                         "'activation'"):
        r.replace(activaton='relu')
    with pytest.raises(ShapeError, match='raise resize to at least'):
        Recipe.for_network('alexnet').replace(resize=32)
    for bad, match in ((dict(lr=0), 'lr must be'), (dict(momentum=1.0), 'momentum must be'),
                       (dict(batch_size=0), 'batch_size must be'),
                       (dict(num_train=-3), 'num_train must be'),
                       (dict(init='he'), "init 'he' is not supported"),
                       (dict(seed=-1), 'seed must be'), (dict(augment='yes'), 'augment')):
        with pytest.raises(ValueError, match=match):
            r.replace(**bad)
    with pytest.raises(TypeError, match='config must be a LeNetConfig'):
        Recipe('lenet', Recipe.for_network('vgg').config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.lr = 1.0


def test_build_sets_up_model_data_and_trainer_from_the_recipe():
    r = get_profile('quick').recipe('alexnet', seed=3)
    model, data, trainer = r.build()
    assert (model.lr, model.momentum, model.weight_decay, model.init) == \
        (r.lr, r.momentum, r.weight_decay, r.init)
    assert model.config == r.config and data.resize == r.resize == (64, 64)
    assert (data.batch_size, data.num_train, data.num_val) == (64, 512, 256)
    assert trainer.max_epochs == r.num_epochs
    assert [type(c) for c in trainer.callbacks] == [CosineLR]
    assert [type(c) for c in r.replace(lr_schedule=None).build()[2].callbacks] == []
    again, _, _ = r.build()                                       # seeded: same weights
    assert (again.net[0].weight.data() == model.net[0].weight.data()).all()


def _metrics(run):
    timing = ('examples_per_sec', 'wall_time', 'epoch_time')
    return [{k: v for k, v in row.items() if k not in timing} for row in run.history.epochs]


def test_a_seed_repeats_the_whole_run_whether_the_recipe_or_set_seed_gives_it(monkeypatch):
    """Weights, dropout (VGG's head), subset, shuffling and augmentation all follow the
    seed: the same metrics to the last bit, in-process (tests/test_seeds.py: across
    processes)."""
    monkeypatch.setattr(week5.core, '_seed', None)          # restored afterwards
    r = get_profile('quick').recipe('vgg', num_train=192, num_val=64, augment=True)
    seeded = _metrics(r.replace(seed=4).fit())
    assert seeded == _metrics(r.replace(seed=4).fit())
    week5.set_seed(4)
    assert _metrics(r.fit()) == seeded                      # set_seed(4) + no recipe seed
    assert _metrics(r.replace(seed=5).fit()) != seeded


def test_describe_lists_only_what_differs_from_the_book():
    laptop = get_profile('laptop').recipe('alexnet')
    text = laptop.describe(versus=book('alexnet'))
    lines = text.splitlines()
    assert lines[0].split() == ['setting', 'this', 'run', 'book']
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {'input', 'kernel_sizes', 'strides', 'width_divisor', 'optimizer',
                         'lr', 'lr_schedule', 'num_epochs', 'num_train'}
    assert '64x64' in rows['input'] and '224x224' in rows['input']
    assert 'momentum 0.9' in rows['optimizer']
    assert '15,000' in rows['num_train'] and '60,000 (all)' in rows['num_train']
    assert book('lenet').describe(versus=book('lenet')) == 'same as the book in every setting'
    full = get_profile('laptop').recipe('vgg').describe()
    assert 'activation' in full and 'num_train' in full and '60,000 (all)' in full


def test_labels_name_only_what_changed():
    laptop = get_profile('laptop')
    start = laptop.recipe('lenet')
    assert start.label(start, 1) == '#1 as set up'
    assert start.replace(lr=0.5).label(start, 2) == '#2 lr 0.5'
    relu = laptop.recipe('lenet', activation='relu')
    assert relu.label(start, 3) == '#3 relu, momentum 0.9, lr 0.1, cosine lr, 7 epochs'


def test_budgets_shrink_a_recipe():
    r = get_profile('laptop').recipe('vgg')
    small = shrink(r, 'experiment')
    assert (small.num_train, small.num_val, small.num_epochs) == (6000, 2000, 3)
    over = shrink(r, 'overfit')
    assert over.batch_size == 32 and over.lr == pytest.approx(r.lr * 32 / 128)
    assert shrink(r, 'profile') is r
    with pytest.raises(ValueError, match="budget 'tiny' is unknown"):
        shrink(r, 'tiny')


def test_runs_are_kept_with_their_recipe_and_weights(tmp_path):
    r = get_profile('quick').recipe('lenet', num_train=128, num_val=64, seed=0)
    run = r.fit('first')
    assert isinstance(run, Run) and run.params == 61706 and len(run.history) == 1
    path = save_run(run, tmp_path / 'lenet')
    record = json.loads(Path(path).read_text())
    assert record['recipe']['config']['kernel_sizes'] == [5, 5]
    back = load_run(tmp_path / 'lenet', weights=True)
    assert back.recipe == r and back.history.epochs == run.history.epochs
    assert (back.model.net[0].weight.data() == run.model.net[0].weight.data()).all()
    assert load_run(tmp_path / 'lenet').model is None
    # a recipe that no longer validates (say, a renamed field) is reported as such
    record['recipe']['config']['kernel_size'] = record['recipe']['config'].pop('kernel_sizes')
    Path(path).write_text(json.dumps(record))
    with pytest.raises(RunLoadError, match='no longer validates .* train the run again'):
        load_run(tmp_path / 'lenet')
    with pytest.raises(FileNotFoundError):
        load_run(tmp_path / 'none')


def test_a_stopped_fit_keeps_history_and_weights():
    class StopAfterTwo(rc.Callback):
        def on_train_batch_end(self, trainer, model, batch_idx):
            if trainer.train_batch_idx >= 2:
                trainer.stop()
    r = get_profile('quick').recipe('lenet', num_train=256, num_val=64, num_epochs=3)
    run = r.fit('stopped', callbacks=[StopAfterTwo()])
    assert run.stopped and run.model is not None and run.history.batches


def test_describe_fits_a_slide_writing_a_wide_book_value_below():
    """VGG's arch row (this run's tuple beside the book's) is wider than a slide: the
    book's value goes on its own line, and no line is wider than DESCRIBE_WIDTH."""
    from week5.recipe import DESCRIBE_WIDTH
    lines = get_profile('laptop').recipe('vgg').describe(versus=book('vgg')).splitlines()
    assert max(len(line) for line in lines) <= DESCRIBE_WIDTH
    at = next(i for i, line in enumerate(lines) if line.startswith('arch '))
    assert lines[at + 1].split()[0] == 'book:' and '((1, 16)' in lines[at + 1]


# -- memoised runs ------------------------------------------------------------------------
# tests/conftest.py sets WEEK5_RETRAIN=1 for the suite (tests train what they test); these
# tests ask for the memo with retrain=False and keep it in a temporary folder.

@pytest.fixture
def memo(tmp_path, monkeypatch):
    monkeypatch.setattr(rc, 'memo_dir', lambda: tmp_path / 'memo')
    return tmp_path / 'memo'


def _small(**changes):
    return get_profile('quick').recipe('lenet', **{
        'activation': 'relu', 'num_train': 256, 'num_val': 128, 'seed': 3, **changes})


def _weights(run):
    return [p.data().asnumpy() for p in run.model.net.collect_params().values()]


TIMING = ('examples_per_sec', 'wall_time', 'epoch_time')


def _same_run(a, b):
    """The same History (but for the clocks) and the same weights, to the last bit."""
    def metrics(run):
        return {part: [{k: v for k, v in row.items() if k not in TIMING} for row in rows]
                for part, rows in run.history.to_dict().items()}
    assert metrics(a) == metrics(b) and metrics(a)['epochs']
    for x, y in zip(_weights(a), _weights(b), strict=True):
        assert x.tobytes() == y.tobytes()


def test_a_memoised_run_equals_a_retrained_one_bit_for_bit(memo):
    said = []
    first = _small().fit('first', retrain=False, print_fn=said.append)
    assert said == [] and len(list(memo.glob('*.json'))) == 1
    loaded = _small().fit('again', retrain=False, print_fn=said.append)
    assert len(said) == 1 and said[0].startswith('loaded the run trained at ')
    assert first.trained_at in said[0] and 'retrain=True or WEEK5_RETRAIN=1' in said[0]
    assert loaded.label == 'again' and loaded.recipe == _small()
    retrained = _small().fit('retrained', retrain=True, print_fn=said.append)
    assert len(said) == 1                              # trained, not loaded
    _same_run(loaded, retrained)
    _same_run(first, retrained)
    # the loaded model predicts as the trained one
    X = first.recipe.data().val_dataloader().__iter__().__next__()[0]
    assert (loaded.model(X).asnumpy() == first.model(X).asnumpy()).all()


def test_a_changed_recipe_field_or_seed_misses_the_memo(memo):
    said = []
    _small().fit(retrain=False, print_fn=said.append)
    for changed in (_small(lr=0.05), _small(seed=4), _small(activation='sigmoid')):
        assert rc.run_key(changed) != rc.run_key(_small())
        changed.fit(retrain=False, print_fn=said.append)
    assert said == [] and len(list(memo.glob('*.json'))) == 4


def test_runs_that_are_not_a_function_of_their_recipe_are_not_memoised(memo):
    assert rc.run_key(_small(seed=None)) is None
    assert rc.run_key(_small(), factory=lambda r: r.model()) is None
    assert rc.run_key(_small(), factory=rc.Recipe.model) is None      # a method, not a function
    _small().fit(retrain=False, callbacks=[rc.Callback()])
    assert not memo.exists() or not list(memo.glob('*.json'))


def test_a_corrupt_memo_entry_is_trained_again_not_used(memo):
    said = []
    first = _small().fit(retrain=False, print_fn=said.append)
    key = rc.run_key(_small())
    for damage in ('json', 'params', 'other recipe'):
        said.clear()
        if damage == 'json':
            (memo / f'{key}.json').write_text('{"format": "week5-run-1", "reci')
        elif damage == 'params':
            (memo / f'{key}.params').write_bytes(b'not weights')
        else:
            record = json.loads((memo / f'{key}.json').read_text())
            record['recipe']['lr'] = 0.5
            (memo / f'{key}.json').write_text(json.dumps(record))
        again = _small().fit(retrain=False, print_fn=said.append)
        assert len(said) == 1 and 'cannot be used' in said[0] and 'training it again' in said[0]
        _same_run(first, again)
        said.clear()
        _small().fit(retrain=False, print_fn=said.append)        # the memo is mended
        assert said[0].startswith('loaded the run trained at ')


def test_the_retrain_variable_trains_again(memo, monkeypatch):
    said = []
    _small().fit(retrain=False, print_fn=said.append)
    monkeypatch.setenv('WEEK5_RETRAIN', '1')
    _small().fit(print_fn=said.append)
    monkeypatch.setenv('WEEK5_RETRAIN', '0')
    _small().fit(print_fn=said.append)
    assert len(said) == 1 and said[0].startswith('loaded')


def test_memoised_loads_without_training_unless_every_run_is_to_be_trained(memo, monkeypatch):
    monkeypatch.delenv('WEEK5_RETRAIN', raising=False)
    assert _small().memoised(print_fn=lambda *_: None) is None      # nothing trained yet
    first = _small().fit(retrain=False)
    _same_run(first, _small().memoised(print_fn=lambda *_: None))
    monkeypatch.setenv('WEEK5_RETRAIN', '1')
    assert _small().memoised() is None
