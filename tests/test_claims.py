"""The chapters' comparative claims, as their committed (laptop-profile) outputs print
them: every chapter 01-06 prints at least one `[week5 claim] ...` verdict, whatever it
says (HOLDS, DOES NOT HOLD, or NOT TESTABLE with its reason), and none quotes a run at
chance. Also the claim helpers themselves."""
import re
from pathlib import Path

import pytest

from week5.callbacks import History
from week5.recipe import Recipe, Run

from week5 import claims

NB_DIR = Path(__file__).resolve().parent.parent / 'notebooks'
CHAPTERS = sorted(p for p in NB_DIR.glob('0[1-6]_*.ipynb'))


def test_six_chapters_are_checked():
    assert [p.stem[:2] for p in CHAPTERS] == ['01', '02', '03', '04', '05', '06']


@pytest.mark.parametrize('path', CHAPTERS, ids=lambda p: p.stem)
def test_committed_claims_hold(path, notebook_outputs):
    printed = claims.parse_claims(notebook_outputs(path))
    assert printed, f'{path.name} prints no [week5 claim] verdict'
    at_chance = [f'{name}: {evidence}' for name, _, evidence in printed
                 if evidence.startswith('val acc') and
                 any(float(m) < 0.1 + claims.CHANCE_MARGIN
                     for m in re.findall(r'(\d\.\d+) ± \d\.\d+ \(', evidence))]
    assert not at_chance, f'{path.name}: a claim quotes a run at chance: {at_chance}'


def _run(val, label, seed):
    recipe = Recipe.for_network('lenet', seed=seed)
    return Run(recipe, History([{'epoch': 1, 'val_acc': val, 'train_acc': val + 0.05}]),
               label=label, params=1)


def test_claim_lines_round_trip_and_judge_the_spread(capsys):
    far = {'a': [_run(v, 'a', i) for i, v in enumerate((0.86, 0.85, 0.87))],
           'b': [_run(v, 'b', i) for i, v in enumerate((0.41, 0.46, 0.36))]}
    verdict = claims.claim_greater('a_beats_b', far, 'a', 'b')
    line = capsys.readouterr().out.strip()
    assert verdict.holds and line == str(verdict)
    assert line.startswith('[week5 claim] a_beats_b: HOLDS - val acc 0.860 ± 0.010 (a) vs '
                           '0.410 ± 0.050 (b) after 1 epoch, 3 seeds')
    assert claims.parse_claims(line) == [('a_beats_b', True, line.split(' - ', 1)[1])]
    close = {'a': [_run(v, 'a', i) for i, v in enumerate((0.86, 0.84, 0.88))],
             'b': [_run(v, 'b', i) for i, v in enumerate((0.85, 0.83, 0.87))]}
    assert not claims.claim_greater('a_beats_b', close, 'a', 'b').holds   # within the spread
    assert 'DOES NOT HOLD' in capsys.readouterr().out
    assert claims.claim_within('a_matches_b', close, 'b', 'a', tolerance=0.02).holds
    assert not claims.claim_within('b_matches_a', far, 'b', 'a', tolerance=0.02).holds
    with pytest.raises(ValueError, match='snake_case'):
        claims.claim('Not A Name', True, 'x')


def test_a_claim_against_a_run_at_chance_is_not_testable(capsys):
    """A baseline that learned nothing (val acc 0.10) makes any accuracy claim void: the
    verdict says NOT TESTABLE and names the run, instead of an easy HOLDS."""
    trained = [_run(v, 'net', i) for i, v in enumerate((0.78, 0.80, 0.79))]
    at_chance = [_run(v, 'lenet', i) for i, v in enumerate((0.100, 0.101, 0.099))]
    one_stuck = [_run(v, 'vgg', i) for i, v in enumerate((0.10, 0.75, 0.76))]
    runs = {'net': trained, 'lenet': at_chance, 'vgg': one_stuck}
    verdict = claims.claim_greater('net_beats_lenet', runs, 'net', 'lenet')
    line = capsys.readouterr().out.strip()
    assert verdict.holds is None and line.startswith('[week5 claim] net_beats_lenet: NOT TESTABLE')
    assert 'lenet seed 0 at val acc 0.100' in line
    assert claims.parse_claims(line) == [('net_beats_lenet', None, line.split(' - ', 1)[1])]
    # the winner's side too: one seed of three at chance is no mean to quote
    assert claims.claim_greater('vgg_beats_net', runs, 'vgg', 'net').holds is None
    assert claims.claim_within('net_matches_vgg', runs, 'net', 'vgg', 0.02).holds is None
    assert claims.claim_greater('x', runs, 'net', 'lenet', key='train_acc').holds is None
    # a count (parameters, examples/s) of a run at chance still counts
    assert claims.claim_greater('x', runs, 'net', 'lenet', key='params', what='params').holds \
        is False
    capsys.readouterr()
    fine = {'net': trained, 'base': [_run(v, 'base', i) for i, v in enumerate((0.6, 0.62, 0.61))]}
    assert claims.claim_greater('net_beats_base', fine, 'net', 'base').holds is True


def test_the_lenet_chapter_effect_claim_follows_the_same_rule(capsys):
    from week5.chapters import lenet
    runs = {label: [_run(v, label, i) for i, v in enumerate(values)] for label, values in {
        'relu': (0.84, 0.85, 0.83), 'sigmoid': (0.10, 0.10, 0.10),
        'relu max': (0.86, 0.87, 0.85)}.items()}
    verdict = lenet.claim_bigger_effect('act', runs, ('relu', 'sigmoid'), ('relu max', 'relu'))
    assert verdict.holds is None and 'NOT TESTABLE' in capsys.readouterr().out


def test_clean_train_accuracy_is_measured_in_eval_mode_without_augmentation():
    recipe = Recipe.for_network('lenet', activation='relu', lr=0.1, momentum=0.9,
                                num_train=256, num_val=64, num_epochs=2, batch_size=64,
                                seed=0, dropout=0.5, augment=True)
    run = recipe.fit('r')
    clean = claims.clean_train_accuracy(run)
    again = claims.clean_train_accuracy(run)
    assert clean == again                          # no dropout, no random crops: repeatable
    assert 0.0 <= clean <= 1.0


def test_regimes_table_shows_every_regime_numbers_right_words_left(capsys):
    claims.regimes_table([
        {'regime': 'first', 'images': 256, 'train (eval)': 0.93, 'with dropout': None,
         'verdict': 'regime failure: train (eval) 0.930 < 0.98'},
        {'regime': 'second_longer', 'images': 2000, 'train (eval)': 1.0, 'with dropout': 0.7,
         'verdict': 'DOES NOT HOLD'}])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ['regime', 'images', 'train', '(eval)', 'with', 'dropout',
                                'verdict']
    assert lines[1].split()[:4] == ['first', '256', '0.930', '-']
    assert lines[2].split() == ['second_longer', '2,000', '1.000', '0.700', 'DOES', 'NOT',
                                'HOLD']
    assert lines[1].index('256') + 3 == lines[2].index('2,000') + 5     # numbers right-aligned
    assert lines[1].index('regime failure') == lines[2].index('DOES NOT HOLD')


def test_a_regimes_table_too_wide_for_a_slide_prints_its_verdicts_under_it(capsys):
    row = {'regime': 'few_images_cosine_batch16', 'images': 256, 'epochs': 50, 'seeds': 3,
           'train (eval)': 0.984, 'val peak': 0.732, 'val final': 0.725, 'with dropout': None}
    claims.regimes_table([dict(row, verdict='regime failure: train (eval) 0.896 < 0.98',
                               margin=0.01),
                          dict(row, regime='second', verdict='DOES NOT HOLD', margin=0.02)])
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= claims.TABLE_WIDTH
    assert 'verdict' not in lines[0] and lines[0].endswith('margin') and lines[3] == ''
    assert lines[4:] == ['few_images_cosine_batch16: regime failure: train (eval) 0.896 < 0.98',
                         'second: DOES NOT HOLD']


def test_clean_train_accuracy_is_recorded_every_epoch():
    from week5.profiles import get_profile
    recipe = get_profile('quick').recipe('lenet', num_epochs=2, num_train=128, num_val=64,
                                         batch_size=64, seed=0)
    run = recipe.fit('lenet', callbacks=[claims.CleanTrainAccuracy(recipe)])
    per_epoch = run.history['clean_train_acc']
    assert len(per_epoch) == 2 and all(0 <= a <= 1 for a in per_epoch)
    run.history.epochs[-1].pop('clean_train_acc')           # measured again from the model
    assert claims.clean_train_accuracy(run) == pytest.approx(per_epoch[-1])
