"""week5.profiles: the switch (argument / WEEK5_PROFILE), the recipe of every network in
every profile, and a couple of training batches in the quick profile."""
import dataclasses
import math

import pytest

from week5.core import Trainer
from week5.data import FashionMNIST
from week5.models import MODELS, list_models
from week5.profiles import PROFILES, TRAINED_LONG, Profile, book, get_profile, profile_names
from week5.recipe import CosineLR, Recipe


def test_profile_names_and_default(monkeypatch):
    assert profile_names() == ['quick', 'laptop', 'full']
    monkeypatch.delenv('WEEK5_PROFILE', raising=False)
    assert get_profile().name == 'laptop'
    monkeypatch.setenv('WEEK5_PROFILE', 'quick')
    assert get_profile().name == 'quick'
    assert get_profile('full').name == 'full'          # an argument beats the variable
    assert get_profile(' Laptop ').name == 'laptop'
    assert get_profile(PROFILES['full']) is PROFILES['full']
    monkeypatch.setenv('WEEK5_PROFILE', '')
    assert get_profile().name == 'laptop'


def test_unknown_profiles_list_the_valid_ones(monkeypatch):
    with pytest.raises(ValueError, match="unknown profile 'fast' — choose one of 'quick', "
                                         "'laptop', 'full'"):
        get_profile('fast')
    monkeypatch.setenv('WEEK5_PROFILE', 'gpu')
    with pytest.raises(ValueError, match="unknown WEEK5_PROFILE 'gpu' — choose one of"):
        get_profile()


@pytest.mark.parametrize('profile', list(PROFILES))
@pytest.mark.parametrize('name', list(MODELS))
def test_every_profile_has_a_valid_recipe_for_every_network(profile, name):
    r = get_profile(profile).recipe(name)
    assert isinstance(r, Recipe) and r.network == name
    model, data, trainer = r.build()
    assert data.resize == r.resize == r.config.input_shape[1:] == model.config.input_shape[1:]
    assert (data.batch_size, data.num_train, data.num_val) == \
        (r.batch_size, r.num_train or 60000, r.num_val or 10000)
    assert trainer.max_epochs == r.num_epochs
    assert [type(c) for c in trainer.callbacks] == (
        [CosineLR] if r.lr_schedule == 'cosine' else [])
    assert (model.lr, model.momentum, model.init) == (r.lr, r.momentum, r.init)
    # the profile keeps the architecture: the same layers in the same order
    assert _layers(r.config) == _layers(MODELS[name].config_class())


def _layers(config):
    """The names of a network's layers in order (dropout aside: a knob may remove it)."""
    return [n for n, _ in config.shapes() if 'dropout' not in n]


@pytest.mark.parametrize('name', list(MODELS))
def test_the_long_recipes_keep_the_architecture_and_the_full_data(name):
    # the 0.90 recipes are compared on the same footing: all 60,000 training images,
    # the 10,000 test images, seed 0; each network keeps its layers and their order
    r = TRAINED_LONG[name]
    assert (r.num_train, r.num_val, r.seed, r.network) == (None, None, 0, name)
    assert _layers(r.config) == _layers(MODELS[name].config_class())
    assert r.config.dropout == get_profile('laptop').recipe(name).config.dropout


def test_full_is_the_book():
    full = get_profile('full')
    for name in list_models():
        r = full.recipe(name)
        assert r == book(name)
        assert (r.num_epochs, r.batch_size, r.num_train, r.num_val) == (10, 128, None, None)
        assert r.resize[0] == (96 if name == 'googlenet' else 28 if name == 'lenet' else 224)
        assert (r.momentum, r.init, r.lr_schedule, r.config.batch_norm) == \
            (0.0, 'xavier', None, False)
        assert r.config.width_divisor == 1
    assert {n: full.recipe(n).lr for n in list_models()} == {
        'lenet': 0.1, 'alexnet': 0.01, 'vgg': 0.01, 'nin': 0.05, 'googlenet': 0.01}
    assert full.recipe('vgg').config.arch == ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))


def test_laptop_and_quick_are_smaller_than_full():
    full, laptop, quick = (get_profile(n) for n in ('full', 'laptop', 'quick'))
    for name in list_models():
        f, l, q = full.recipe(name), laptop.recipe(name), quick.recipe(name)
        assert l.resize <= f.resize and q.resize <= l.resize
        assert l.num_epochs <= f.num_epochs and q.num_epochs == 1
        assert q.num_train <= 1000 and q.num_val <= 1000
        # quick runs the laptop networks: only data and epochs differ
        assert q.replace(num_train=l.num_train, num_val=l.num_val, num_epochs=l.num_epochs,
                         batch_size=l.batch_size) == l
        assert l.config.width_divisor >= f.config.width_divisor


def test_rules_and_overrides():
    laptop = get_profile('laptop')
    sigmoid = laptop.recipe('lenet')
    relu = laptop.recipe('lenet', activation='relu', pool='max')
    assert relu.config.activation == 'relu' and relu.config.pool == 'max'
    assert relu.lr != sigmoid.lr                     # the rule for ReLU LeNets
    assert relu.momentum == 0.9 and sigmoid.momentum == 0.0
    quick = get_profile('quick').recipe('lenet', activation='relu')
    assert quick.num_epochs == 1 and quick.lr == relu.lr
    assert laptop.recipe('lenet', activation='relu', lr=0.01).lr == 0.01  # caller wins
    assert laptop.recipe('alexnet', num_epochs=1).num_epochs == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        laptop.recipe('vgg').lr = 123                # recipes are frozen


def test_recipe_errors():
    laptop = get_profile('laptop')
    with pytest.raises(ValueError, match="unknown model 'resnet' — profile 'laptop' has "
                                         "recipes for 'lenet', 'alexnet'"):
        laptop.recipe('resnet')
    with pytest.raises(ValueError, match="unknown option 'epochs' for a alexnet recipe "
                                         ".*did you mean 'num_epochs'"):
        laptop.recipe('alexnet', epochs=3)


def test_describe_lists_every_network():
    text = get_profile('laptop').describe()
    assert text.startswith("profile 'laptop':")
    for name in list_models():
        assert f'  {name}' in text
    assert 'momentum 0.9, cosine lr, kaiming init, batch norm, width / 8' in text
    assert get_profile('full').describe('vgg').count('\n') == 2    # sizes, then training
    assert max(len(line) for line in text.splitlines()) <= 90       # a slide's width


def test_a_custom_profile():
    tiny = Profile('tiny', 'for this test',
                   {'lenet': Recipe.for_network('lenet', num_epochs=1, batch_size=8,
                                                num_train=16, num_val=8)})
    assert tiny.recipe('lenet').batch_size == 8
    with pytest.raises(ValueError, match="profile 'tiny' has recipes for 'lenet'"):
        tiny.recipe('vgg')


@pytest.mark.parametrize('name', list(MODELS))
def test_quick_profile_trains_a_couple_of_batches(name):
    model, data, trainer = get_profile('quick').make(name, num_train=128, num_val=64)
    assert isinstance(data, FashionMNIST) and isinstance(trainer, Trainer)
    assert (data.num_train, data.num_val) == (128, 64)
    assert data.resize == model.config.input_shape[1:]
    trainer.progress = False
    trainer.fit(model, data)
    (row,) = trainer.history.epochs
    assert math.isfinite(row['train_loss']) and 0 <= row['val_acc'] <= 1


def test_recipe_errors_for_the_schedule():
    with pytest.raises(ValueError, match="lr_schedule 'step' is not supported — use None "
                                         r"\(constant lr, as in the book\) or 'cosine'"):
        get_profile('laptop').recipe('lenet', lr_schedule='step')


class _Optim:
    def set_learning_rate(self, lr):
        self.learning_rate = lr


class _Trainer:
    def __init__(self, max_epochs, num_train_batches, train_batch_idx=0):
        self.max_epochs, self.num_train_batches = max_epochs, num_train_batches
        self.train_batch_idx, self.optim = train_batch_idx, _Optim()


class _Model:
    lr = 0.4


def test_cosine_schedule_anneals_over_one_fit():
    trainer, model, cb = _Trainer(2, 50, train_batch_idx=30), _Model(), CosineLR()
    cb.on_fit_start(trainer, model)
    seen = []
    for step in range(100):
        trainer.train_batch_idx += 1
        cb.on_train_batch_end(trainer, model, step % 50)
        seen.append(trainer.optim.learning_rate)
    assert seen[0] == pytest.approx(0.4 * 0.5 * (1 + math.cos(math.pi / 100)))
    assert seen[49] == pytest.approx(0.2)                     # half-way: half the rate
    assert seen[-1] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in zip(seen, seen[1:]))
    assert model.lr == 0.4                                    # the model keeps its lr


def test_cosine_schedule_in_a_real_fit():
    model, data, trainer = get_profile('quick').make('lenet', num_train=128, num_val=64,
                                                     lr_schedule='cosine', num_epochs=2)
    trainer.progress = False
    trainer.fit(model, data)
    assert trainer.optim.learning_rate == pytest.approx(0.0, abs=1e-12)
    assert model.lr == get_profile('quick').recipe('lenet').lr


def test_a_long_run_in_the_quick_profile_scales_its_rate_with_the_smaller_batch():
    from week5.profiles import QUICK, TRAINED_LONG, trained_long
    for name, long in TRAINED_LONG.items():
        quick = trained_long(name, 'quick')
        assert quick.batch_size == QUICK.recipe(name).batch_size
        assert quick.lr == pytest.approx(long.lr * quick.batch_size / long.batch_size)
    assert trained_long('googlenet', 'quick').lr == pytest.approx(0.05)   # 0.2 at batch 256
