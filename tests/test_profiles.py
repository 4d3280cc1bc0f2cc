"""week5.profiles: the switch (argument / WEEK5_PROFILE), the settings of every network in
every profile, and a couple of training batches in the quick profile."""
import math

import pytest

from week5.core import Trainer
from week5.data import FashionMNIST
from week5.models import MODELS, TRAINING_KNOBS, get_config, list_models
from week5.profiles import (DATA_KEYS, PROFILES, CosineLR, Profile, get_profile,
                            profile_names)

REQUIRED = {'resize', 'num_epochs', 'batch_size', 'lr', 'num_train', 'num_val'}


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
def test_every_profile_has_valid_settings_for_every_network(profile, name):
    p = get_profile(profile)
    s = p.settings(name)
    assert REQUIRED | {'width_divisor', 'lr_schedule'} <= set(s)
    model_kw, data_kw, trainer_kw = p.split(name)
    model_kw.pop('lr')
    config = get_config(name, **{k: v for k, v in model_kw.items()
                                 if k not in TRAINING_KNOBS})
    assert data_kw['resize'] == config.input_shape[1:]
    assert set(data_kw) == set(DATA_KEYS) | {'resize'}
    assert trainer_kw['max_epochs'] == s['num_epochs']
    assert [type(c) for c in trainer_kw['callbacks']] == (
        [CosineLR] if s.get('lr_schedule') == 'cosine' else [])
    # the profile keeps the architecture: the same layers in the same order
    default = MODELS[name].config_class()
    assert [n for n, _ in config.shapes() if 'dropout' not in n] == \
        [n for n, _ in default.shapes() if 'dropout' not in n]


def test_full_is_the_book():
    full = get_profile('full')
    for name in list_models():
        s = full.settings(name)
        assert (s['num_epochs'], s['batch_size'], s['num_train'], s['num_val']) == \
            (10, 128, None, None)
        assert s['resize'] == (96 if name == 'googlenet' else 28 if name == 'lenet' else 224)
        assert not {'momentum', 'init', 'batch_norm'} & set(s)
        assert (s['width_divisor'], s['lr_schedule']) == (1, None)
    assert {n: full.settings(n)['lr'] for n in list_models()} == {
        'lenet': 0.1, 'alexnet': 0.01, 'vgg': 0.01, 'nin': 0.05, 'googlenet': 0.01}
    assert full.settings('vgg')['arch'] == ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))


def test_laptop_and_quick_are_smaller_than_full():
    full, laptop, quick = (get_profile(n) for n in ('full', 'laptop', 'quick'))
    for name in list_models():
        f, l, q = full.settings(name), laptop.settings(name), quick.settings(name)
        assert l['resize'] <= f['resize'] and q['resize'] <= l['resize']
        assert l['num_epochs'] <= f['num_epochs'] and q['num_epochs'] == 1
        assert q['num_train'] <= 1000 and q['num_val'] <= 1000
        # quick runs the laptop networks: only data and epochs differ
        assert {k: v for k, v in q.items() if k not in ('num_train', 'num_val', 'num_epochs',
                                                        'batch_size')} == \
            {k: v for k, v in l.items() if k not in ('num_train', 'num_val', 'num_epochs',
                                                     'batch_size')}
        assert l['width_divisor'] >= f['width_divisor']


def test_rules_and_overrides():
    laptop = get_profile('laptop')
    sigmoid = laptop.settings('lenet')
    relu = laptop.settings('lenet', activation='relu', pool='max')
    assert relu['activation'] == 'relu' and relu['pool'] == 'max'
    assert relu['lr'] != sigmoid['lr']               # the rule for ReLU LeNets
    assert relu['momentum'] == 0.9 and 'momentum' not in sigmoid
    quick = get_profile('quick').settings('lenet', activation='relu')
    assert quick['num_epochs'] == 1 and quick['lr'] == relu['lr']
    assert laptop.settings('lenet', activation='relu', lr=0.01)['lr'] == 0.01  # caller wins
    assert laptop.settings('alexnet', num_epochs=1)['num_epochs'] == 1
    s = laptop.settings('vgg')
    s['lr'] = 123
    assert laptop.settings('vgg')['lr'] != 123       # a fresh dict every time


def test_settings_errors():
    laptop = get_profile('laptop')
    with pytest.raises(ValueError, match="unknown model 'resnet' — profile 'laptop' has "
                                         "settings for 'lenet', 'alexnet'"):
        laptop.settings('resnet')
    with pytest.raises(ValueError, match="unknown option 'epochs' for alexnet .*did you mean "
                                         "'num_epochs'"):
        laptop.settings('alexnet', epochs=3)


def test_describe_lists_every_network():
    text = get_profile('laptop').describe()
    assert text.startswith("profile 'laptop':")
    for name in list_models():
        assert f'  {name}' in text
    assert get_profile('full').describe('vgg').count('\n') == 1


def test_a_custom_profile():
    tiny = Profile('tiny', 'for this test', {'lenet': dict(resize=28, num_epochs=1,
                                                          batch_size=8, lr=0.1, num_train=16,
                                                          num_val=8)})
    assert tiny.settings('lenet')['batch_size'] == 8
    with pytest.raises(ValueError, match="profile 'tiny' has settings for 'lenet'"):
        tiny.settings('vgg')


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


def test_settings_errors_for_the_schedule():
    with pytest.raises(ValueError, match="lr_schedule 'step' is not supported — use None "
                                         r"\(constant lr, as in the book\) or 'cosine'"):
        get_profile('laptop').split('lenet', lr_schedule='step')


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
    assert model.lr == get_profile('quick').settings('lenet')['lr']
