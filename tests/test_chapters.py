"""week5.claims and week5/chapters/: the numbers behind the chapters' key experiments."""
import matplotlib
import pytest

matplotlib.use('Agg')

from week5.models import Inception, get_config, get_model  # noqa: E402
from week5.profiles import get_profile  # noqa: E402
from week5.callbacks import History  # noqa: E402
from week5.recipe import Recipe, Run  # noqa: E402
from week5.results import recorded  # noqa: E402
from week5.recipe import RunLoadError  # noqa: E402
from week5.summary import count_params, layer_summary  # noqa: E402
from week5 import checks, claims, curves, inside, summary, viz  # noqa: E402
from week5.chapters import alexnet as ch_alexnet, compare as ch_compare  # noqa: E402
from week5.chapters import googlenet as ch_googlenet, nin as ch_nin  # noqa: E402
from week5.chapters import overview as ch_overview  # noqa: E402

SMALL = {'lenet': {}, 'alexnet': dict(resize=64, width_divisor=8, kernel_sizes=(5, 5, 3, 3, 3),
                                      strides=(2, 1, 1, 1, 1)),
         'vgg': dict(resize=32, width_divisor=16), 'nin': dict(resize=32, width_divisor=8,
                                                                 kernel_sizes=(3, 3, 3, 3),
                                                                 strides=(1, 1, 1, 1)),
         'googlenet': dict(resize=32, width_divisor=16)}


@pytest.mark.parametrize('name', list(SMALL))
@pytest.mark.parametrize('batch_norm', [False, True])
def test_shape_arithmetic_matches_a_forward_pass(name, batch_norm):
    """layer_costs (no compute) agrees with week5.summary's measured rows."""
    model = get_model(name, batch_norm=batch_norm, **SMALL[name])
    split = summary.param_split(model)
    measured = summary.param_split(model.net, model.input_shape)
    assert split == measured
    assert split['total_params'] == count_params(model.net)
    rows = layer_summary(model, model.input_shape)
    assert split['total_macs'] == sum(r.macs for r in rows)


def test_book_costs_and_dense_shares():
    costs = summary.cost_rows()
    assert costs['lenet']['total_params'] == 61706
    assert costs['alexnet']['dense_params'] == 6400 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 10 + 10
    assert costs['nin']['dense_params'] == 0
    assert costs['vgg']['total_params'] == max(c['total_params'] for c in costs.values())
    assert costs['vgg']['dense_params'] > 10 * costs['vgg']['conv_params'] / 2


def test_body_head_rows_take_arch_overrides():
    vgg16 = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
    rows = summary.body_head_rows('vgg', {'11': {}, '16': dict(arch=vgg16)})
    assert rows['11']['dense_params'] == rows['16']['dense_params']
    assert rows['16']['conv_params'] > rows['11']['conv_params']
    by_name = summary.body_head_rows(None, {'NiN': 'nin'})
    assert by_name['NiN']['dense_params'] == 0


def test_stage_rows_and_unknown_stage():
    groups = {'stem': ('b1', 'b2'), 'body': ('b3', 'b4', 'b5'), 'head': ('dense',)}
    rows = ch_googlenet.stage_rows('googlenet', groups)
    assert sum(p for p, _ in rows.values()) == 5977530 == \
        summary.param_split(get_config('googlenet'))['total_params']
    assert rows['head'][0] == 1024 * 10 + 10
    with pytest.raises(ValueError, match=r"unknown stages \['head'\].*'dense'"):
        ch_googlenet.stage_rows('googlenet', {'head': ('head',)})


def test_inception_branches_match_the_block():
    blk = Inception(64, (96, 128), (16, 32), 32, in_channels=192)
    blk.initialize()
    assert checks.inception_params(192, 64, (96, 128), (16, 32), 32) == count_params(blk) == 163696
    rows = summary.inception_branches(192, 64, (96, 128), (16, 32), 32, 28)
    assert [r[1] for r in rows] == [64, 128, 32, 32]
    alloc = ch_googlenet.allocation_rows(192, {'a': (64, (96, 128), (16, 32), 32),
                                     'no reduction': (64, (192, 128), (192, 32), 32)}, 28)
    assert alloc['a'][0] == alloc['no reduction'][0] == 256
    assert alloc['no reduction'][1] > 2 * alloc['a'][1]


def test_conv1x1_is_a_dense_layer_per_pixel(capsys):
    diff, x_shape, pixels = ch_nin.conv1x1_difference(6, 3, 4)
    assert diff < 1e-5 and x_shape == (1, 6, 4, 4) and pixels == (16, 6)
    ch_nin.conv1x1_as_dense()
    assert '[week5 claim] conv1x1_is_a_dense_layer_per_pixel: HOLDS - same weights, same ' \
        'outputs: max |difference| < 1e-5 over 25 pixels x 4 channels' in capsys.readouterr().out


def test_nin_conv1x1_fields_remove_or_linearise_the_1x1_convs():
    full = get_model('nin', **SMALL['nin'])
    cut = get_model('nin', conv1x1=0, **SMALL['nin'])
    kernels = [k for k in (layer._kwargs['kernel'][0] for _, layer in
                           inside._weight_layers(cut.net))]
    assert 1 not in kernels and len(kernels) == 4
    assert count_params(cut.net) < count_params(full.net)
    blocks = [s for s in get_config('nin', linear_class_maps=True).layers()
              if s.name.startswith('block')]
    assert [c.activation for c in blocks[-1].layers] == ['relu', None, None]   # last block
    assert all(c.activation == 'relu' for b in blocks[:-1] for c in b.layers)  # only
    with pytest.raises(ValueError, match='conv1x1 must be an int >= 0'):
        get_config('nin', conv1x1=-1)
    with pytest.raises(ValueError, match='linear_class_maps=True needs 1x1 convolutions'):
        get_config('nin', conv1x1=0, linear_class_maps=True)


def test_the_matched_control_has_ninS_parameters_without_1x1_convs():
    recipe = ch_nin.ABLATION_REGIME.profile('nin', 'laptop').recipe('nin')
    variants = ch_nin.ablation_variants(recipe)
    assert list(variants) == ['NiN', 'NiN body + AlexNet head', 'no 1x1 convs',
                              'no 1x1, wider (matched)', 'linear class maps']
    matched = recipe.replace(**variants['no 1x1, wider (matched)']).config
    nin, control, cut = (ch_nin._params(c) for c in
                         (recipe.config, matched, recipe.config.replace(conv1x1=0)))
    assert matched.conv1x1 == 0 and abs(control - nin) < 0.01 * nin < nin - cut


def _seeded(label, val_curves, train_curves):
    return [Run(Recipe.for_network('alexnet', seed=i),
                History([{'epoch': e + 1, 'val_acc': v, 'clean_train_acc': t}
                         for e, (v, t) in enumerate(zip(val, train))]), label=label, params=1)
            for i, (val, train) in enumerate(zip(val_curves, train_curves))]


def test_memorisation_needs_the_train_accuracy_and_a_falling_validation_curve():
    memorised = _seeded('no dropout', [[0.5, 0.74, 0.72]] * 3, [[0.6, 0.95, 0.99]] * 3)
    assert ch_alexnet.memorisation(memorised)[0] is True
    ok, why, numbers = ch_alexnet.memorisation(
        _seeded('no dropout', [[0.5, 0.74, 0.72]] * 3, [[0.6, 0.9, 0.93]] * 3))
    assert not ok and why == 'train (eval) 0.930 < 0.98'
    assert numbers['val_peak'] == pytest.approx(0.74)
    ok, why, _ = ch_alexnet.memorisation(
        _seeded('no dropout', [[0.5, 0.70, 0.74]] * 3, [[0.6, 0.99, 1.0]] * 3))
    assert not ok and why.startswith('val acc did not fall after its peak')


def _experiment(no_dropout_val, dropout_val, memorised=True):
    train = [[0.5, 1.0]] * 3 if memorised else [[0.5, 0.9]] * 3
    runs = {'no dropout': _seeded('no dropout', [[0.75, v] for v in no_dropout_val], train)}
    row = {'regime': 'r', 'train (eval)': 1.0 if memorised else 0.9, 'val peak': 0.75,
           'val final': sum(no_dropout_val) / 3, 'with dropout': None,
           'verdict': 'regime failure: train (eval) 0.900 < 0.98'}
    if memorised:
        runs['dropout 0.5'] = _seeded('dropout 0.5', [[0.7, v] for v in dropout_val], train)
        row.update({'with dropout': sum(dropout_val) / 3, 'verdict': 'x'})
    return ch_alexnet.DropoutExperiment([], [row], runs)


def test_the_dropout_verdict_prints_what_the_numbers_say(capsys):
    holds = ch_alexnet.dropout_verdict(_experiment([0.70, 0.71, 0.72], [0.76, 0.77, 0.78]))
    assert holds.holds is True and recorded('dropout_verdict_words').startswith('raises')
    assert recorded('dropout_effect') == pytest.approx(0.06)
    fails = ch_alexnet.dropout_verdict(_experiment([0.70, 0.71, 0.72], [0.66, 0.67, 0.68]))
    out = capsys.readouterr().out
    assert fails.holds is False and recorded('dropout_verdict_words') == \
        'lowers the validation accuracy beyond the spread between seeds: with dropout the ' \
        'final validation accuracy is 0.670, against 0.710 without.'
    level = ch_alexnet.dropout_verdict(_experiment([0.70, 0.71, 0.72], [0.70, 0.705, 0.71]))
    assert level.holds is False and recorded('dropout_verdict_words').startswith(
        'leaves the validation accuracy within the spread between seeds')
    assert '[week5 claim] dropout_helps_a_memorising_network: DOES NOT HOLD - val acc 0.670' \
        in out and out.splitlines()[0].split()[:2] == ['regime', 'train']
    none = ch_alexnet.dropout_verdict(_experiment([0.70, 0.71, 0.72], None, memorised=False))
    assert none.holds is None and 'no regime tried memorised' in capsys.readouterr().out
    assert recorded('dropout_verdict')['verdict'] == 'NOT TESTABLE'
    assert recorded('dropout_verdict_words').startswith('cannot be judged here')


def test_nin_verdicts_and_their_words_follow_the_numbers(capsys):
    val = {'NiN': 0.80, 'NiN body + AlexNet head': 0.81, 'no 1x1 convs': 0.85,
           'no 1x1, wider (matched)': 0.84, 'linear class maps': 0.70}
    runs = {label: _seeded(label, [[v - 0.01], [v], [v + 0.01]], [[1.0]] * 3)
            for label, v in val.items()}
    verdicts = ch_nin.ablation_verdicts(runs)
    assert {k: v.holds for k, v in verdicts.items()} == {
        'gap_head_verdict': True, 'conv1x1_verdict': False,
        'conv1x1_matched_verdict': False, 'gap_nonlinear_verdict': True}
    assert recorded('gap_head_words') == 'costs little accuracy'
    assert recorded('conv1x1_words') == 'hurt: NiN without them is ahead beyond the spread ' \
        'between seeds'
    assert recorded('conv1x1_matched_words').startswith('do not help beyond their parameters')
    assert recorded('gap_nonlinear_words').startswith('GAP needs the nonlinearities here')
    level = dict(runs, **{'no 1x1 convs': _seeded('x', [[0.79], [0.80], [0.81]], [[1.0]] * 3)})
    ch_nin.ablation_verdicts(level)
    assert recorded('conv1x1_words') == 'make no difference beyond the spread between seeds'
    assert recorded('no_1x1_val') == pytest.approx(0.80)         # the last call's
    assert 'conv1x1_layers_help_accuracy: DOES NOT HOLD' in capsys.readouterr().out


@pytest.mark.slow
def test_dropout_experiment_runs_every_regime_and_records_the_curves(capsys):
    experiment = ch_alexnet.dropout_experiment(seeds=(0,), profile='quick')
    assert [r['regime'] for r in experiment.rows] == \
        [r.label for r in ch_alexnet.DROPOUT_REGIMES]
    run = experiment.runs['no dropout'][0]
    assert len(run.history['clean_train_acc']) == len(run.history) == 1
    # quick: 512 images for one epoch memorise nothing, a regime failure, not a verdict
    assert all(r['verdict'].startswith('regime failure') for r in experiment.rows)
    ax = ch_alexnet.plot_memorisation(experiment.runs)
    assert [l.get_label() for l in ax.get_lines()[:2]] == ['no dropout: train (eval)',
                                                           'no dropout: val']


@pytest.mark.slow
def test_nin_ablations_train_every_variant_and_print_four_verdicts(capsys):
    runs = ch_nin.ablations(seeds=(0,), profile='quick')
    ch_nin.params_arithmetic(runs)
    verdicts = ch_nin.ablation_verdicts(runs)
    ch_nin.gap_head_regimes(runs)
    out = capsys.readouterr().out
    assert [n for n, _, _ in claims.parse_claims(out)] == [
        'gap_head_costs_little_accuracy', 'conv1x1_layers_help_accuracy',
        'conv1x1_help_beyond_their_parameters', 'gap_needs_nonlinear_class_maps']
    assert set(verdicts) == {'gap_head_verdict', 'conv1x1_verdict', 'conv1x1_matched_verdict',
                             'gap_nonlinear_verdict'}
    assert 'not trained: the same for every seed' in out
    assert recorded('dense_head_params') > 10 * recorded('nin_params')
    table = out[out.index('regime  '):].splitlines()
    assert len(table) == 2 + len(ch_nin.GAP_HEAD_REGIMES_BEFORE) and 'this run' in table[-1]
    assert recorded('gap_head_regimes_tried') == len(table) - 1


def test_gradient_norms_vanish_with_sigmoid():
    grads = ch_alexnet.gradient_norms_by_activation('alexnet', ('relu', 'sigmoid'), batch_size=16,
                                            profile='quick')
    assert [label for label, _ in grads['relu']] == [
        'conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'dense1', 'dense2', 'dense3']
    ratios = ch_alexnet.gradient_ratios(grads)
    assert ratios['sigmoid'] < 1e-2 < ratios['relu']


def test_budgets_shrink_the_profile():
    s = claims.budget_recipe('alexnet', 'experiment', profile='laptop')
    assert s.num_train == 6000 and s.num_val == 2000 and 1 <= s.num_epochs <= 3
    q = claims.budget_recipe('alexnet', 'overfit', profile='quick')
    assert q.num_train == 512 and q.num_epochs >= 2 and q.batch_size == 32
    # a smaller batch takes proportionally smaller steps (linear scaling rule)
    base = get_profile('quick').recipe('alexnet')
    assert q.lr == pytest.approx(base.lr * 32 / base.batch_size)
    relu_lr = get_profile('laptop').recipe('lenet', activation='relu').lr
    assert relu_lr != get_profile('laptop').recipe('lenet').lr
    assert claims.budget_recipe('lenet', 'experiment', profile='laptop',
                            activation='relu').lr == relu_lr     # the profile's rule
    assert claims.budget_recipe('lenet', 'experiment', profile='laptop', num_epochs=5,
                            lr=0.3).num_epochs == 5              # explicit changes win
    with pytest.raises(ValueError, match="budget 'huge' is unknown"):
        claims.budget_recipe('lenet', 'huge')


def test_compare_trains_each_variant_on_the_same_budget(capsys):
    runs = claims.compare('lenet', {'sigmoid': {}, 'relu': dict(activation='relu')},
                      budget='experiment', profile='quick')
    assert list(runs) == ['sigmoid', 'relu']
    assert runs['relu'].model.config.activation == 'relu'
    assert all(len(r.history) == 1 for r in runs.values())
    rows = claims.run_rows(runs)
    assert [r['params'] for r in rows] == [61706, 61706]
    claims.runs_table(runs)
    claims.final_metrics(runs['relu'].history)
    out = capsys.readouterr().out
    assert 'variant' in out and 'after 1 epoch(s): train_loss' in out
    axes = curves.plot_runs(runs)
    assert len(axes) == 2
    with pytest.raises(ValueError, match='variants is empty'):
        claims.compare('lenet', {})
    with pytest.raises(TypeError, match='a variant is a dict'):
        claims.compare('lenet', {'x': 3})


def test_architecture_rows_and_figure():
    model = get_model('vgg')
    rows = viz.architecture_rows(model, (1, 1, 224, 224))
    assert [r[0] for r in rows][:5] == [n for n, _ in model.config.shapes() if '.' not in n][:5]
    assert rows[0][2] == 'conv 3x3\nmax-pool 2x2' and rows[2][2] == '2x conv 3x3\nmax-pool 2x2'
    assert rows[0][3] == (1, 64, 112, 112)
    ax = viz.draw_architecture(get_model('lenet'), (1, 1, 28, 28))
    assert len(ax.patches) == 8          # the input and seven layers


def test_cpu_gflops_and_the_gpu_reference_table():
    assert ch_overview.cpu_gflops(n=64, repeats=2) > 0
    assert ch_overview.cpu_gflops(n=64, repeats=1, use_mxnet=False) > 0
    with pytest.raises(ValueError, match='n must be an int >= 16'):
        ch_overview.cpu_gflops(n=4)
    with pytest.raises(ValueError, match='repeats'):
        ch_overview.cpu_gflops(repeats=0)
    assert all(spec['gflops'] > 1000 and spec['cores'] > 500
               for spec in ch_overview.GPU_REFERENCE.values())


def test_print_speeds_records_the_gpu_factors_the_text_refers_to():
    from week5 import results
    lines = []
    factors = ch_overview.print_speeds(30.0, 50.0, print_fn=lines.append)
    assert factors == {'gpu2010': 1581 / 50.0, 'gpu2020': 19500 / 50.0}
    assert lines[2].endswith('-> 32x') and lines[3].endswith('-> 390x')
    assert results.recorded('cpu_gflops') == 50.0
    assert results.recorded('gpu2010_words') == 'about 32 times'
    assert results.recorded('gpu2020_factor') == 390.0


def test_chapter_runs_reuse_saved_runs_and_train_the_rest(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('WEEK5_CACHE', str(tmp_path))
    with pytest.raises(FileNotFoundError):
        claims.kept_run('lenet', profile='quick')
    runs = claims.compare('lenet', {'lenet': {}}, budget='experiment', profile='quick')
    run = runs['lenet']
    claims.keep_run('lenet', run.recipe, run.model, run.history, profile='quick')
    saved = claims.kept_run('lenet', profile='quick')
    assert saved.history.epochs == run.history.epochs
    assert saved.recipe == run.recipe and saved.params == 61706 and saved.model is None
    with pytest.raises(FileNotFoundError):
        claims.kept_run('lenet', profile='laptop')                    # kept per profile
    got = ch_compare.chapter_runs(['lenet', 'vgg'], profile='quick')
    out = capsys.readouterr().out
    assert 'lenet      the run of chapter 1' in out and 'vgg        trained now' in out
    assert got['lenet'].history.epochs == saved.history.epochs
    assert [r['label'] for r in ch_compare.speed_rows(got)] == ['lenet', 'vgg']
    assert claims.run_rows(got)[0]['params'] == 61706
    (tmp_path / 'runs' / 'quick' / 'lenet.json').write_text('{broken')
    with pytest.raises(RunLoadError, match='not valid JSON'):
        claims.kept_run('lenet', profile='quick')
    got = ch_compare.chapter_runs(['lenet'], profile='quick')             # unreadable: retrained
    assert 'lenet      trained now' in capsys.readouterr().out


class _FakeRun:
    """Just what the mean/best helpers read: ``final(key)``."""

    def __init__(self, **finals):
        self.finals = finals

    def final(self, key='val_acc'):
        return self.finals.get(key)


def test_best_variant_and_within_use_the_mean_over_seeds():
    runs = {'a': [_FakeRun(val_acc=0.90, examples_per_sec=100), _FakeRun(val_acc=0.50, examples_per_sec=120)],
            'b': [_FakeRun(val_acc=0.72, examples_per_sec=300), _FakeRun(val_acc=0.72, examples_per_sec=280)],
            'c': [_FakeRun(val_acc=0.60, examples_per_sec=50), _FakeRun(val_acc=0.61, examples_per_sec=60)]}
    assert claims.mean_metric(runs) == pytest.approx({'a': 0.70, 'b': 0.72, 'c': 0.605})
    assert claims.best_variant(runs) == 'b'              # not 'a', the best single run
    assert claims.best_variant(runs, lowest=True) == 'c'
    assert claims.best_variant(runs, key='examples_per_sec') == 'b'
    assert claims.best_variant({'x': runs['b'], 'y': runs['b']}) == 'x'     # ties: the first
    assert claims.within(runs, 'a', 'b', 0.03) is True   # 0.70 >= 0.72 - 0.03
    assert claims.within(runs, 'c', 'b', 0.02) is False
    assert claims.within(runs, 'b', 'c', 0.0) is True    # above counts as within


def test_regime_changes_one_network_and_keeps_the_quick_sizes():
    laptop = get_profile('laptop')
    memorise = laptop.regime('alexnet', 'memorise', num_train=500, num_epochs=40, lr=0.01)
    assert memorise.name == 'laptop/memorise'
    r = memorise.recipe('alexnet')
    assert (r.num_train, r.num_epochs, r.lr) == (500, 40, 0.01)
    assert r.config.width_divisor == laptop.recipe("alexnet").config.width_divisor  # kept
    assert memorise.recipe('nin') == laptop.recipe('nin')                # other nets too
    assert memorise.recipe("alexnet", dropout=0.0).config.dropout == 0.0   # variants on top
    # a profile rule (ReLU LeNet: lr 0.1, 7 epochs) no longer overrides the regime's lr
    lenet = laptop.regime('lenet', 'slow', lr=0.01).recipe('lenet', activation='relu')
    assert lenet.lr == 0.01 and lenet.num_epochs == 7
    quick = get_profile('quick').regime('alexnet', 'memorise', num_train=500, num_epochs=40,
                                        lr=0.01)
    q = quick.recipe('alexnet')
    assert (q.num_train, q.num_epochs, q.lr) == (512, 1, 0.01)           # CI stays in seconds
    with pytest.raises(ValueError, match='snake_case'):
        laptop.regime('alexnet', 'Mem orise')
    with pytest.raises(ValueError, match="unknown option 'epochs'"):
        laptop.regime('alexnet', 'bad', epochs=3)


def test_common_recipe_trains_every_network_the_same_way():
    for name in ('lenet', 'alexnet', 'vgg', 'nin', 'googlenet'):
        r = ch_compare.common_recipe(name, budget='compare', profile='laptop', seed=1)
        assert (r.config.batch_norm, r.init, r.momentum, r.lr_schedule, r.lr) == \
            (True, 'kaiming', 0.9, 'cosine', 0.1), name
        assert (r.num_train, r.num_epochs, r.seed) == (10000, 2, 1), name
    lenet = ch_compare.common_recipe('lenet', profile='laptop')
    assert (lenet.config.activation, lenet.config.pool) == ('relu', 'max')
    as_chapters = ch_compare.common_recipe('lenet', profile='laptop', common=False)
    assert (as_chapters.config.activation, as_chapters.config.batch_norm) == ('sigmoid', False)


def test_recipes_table_shows_the_common_recipe(capsys):
    ch_compare.recipes_table(['lenet', 'vgg'], profile='quick')
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ['network', 'input', 'activation', 'pool']
    assert out[1].split()[:4] == ['lenet', '28x28', 'relu', 'max']
    assert all('True' in line and 'kaiming' in line for line in out[1:])


class _CostRun:
    def __init__(self, val_acc, rate, params):
        self.history = History([{'epoch': 1, 'val_acc': val_acc, 'examples_per_sec': rate}])
        self.params = params


def test_accuracy_vs_cost_draws_each_seed_and_the_mean_no_error_bar():
    runs = {'vgg': [_CostRun(0.10, 1000, 500), _CostRun(0.75, 1000, 500),
                    _CostRun(0.76, 1000, 500)],
            'nin': _CostRun(0.80, 500, 50)}
    points = ch_compare.cost_points(runs, cost='time')
    assert points['vgg'][0] == pytest.approx(1.0) and points['nin'][0] == pytest.approx(2.0)
    assert points['vgg'][1] == [0.10, 0.75, 0.76]
    assert points['vgg'][2] == pytest.approx(0.5366, abs=1e-3)
    assert ch_compare.cost_points(runs, cost='params')['nin'][0] == 50.0
    with pytest.raises(ValueError, match="cost must be 'time' or 'params'"):
        ch_compare.cost_points(runs, cost='macs')
    ax = ch_compare.plot_accuracy_vs_cost(runs, cost='params')
    drawn = sorted(round(float(y), 3) for c in ax.collections for _, y in c.get_offsets())
    assert drawn == sorted([0.10, 0.75, 0.76, 0.537, 0.80, 0.80])     # seeds + means
    assert not ax.containers                  # no errorbar: it spanned values no seed reached
    low, high = ax.get_ylim()
    assert low < 0.10 and high > 0.80


def test_long_budget_table_puts_each_chapter_run_beside_the_short_seeds(capsys):
    short = {'lenet': _seeded('lenet', [[0.84], [0.85], [0.86]], [[1.0]] * 3),
             'nin': _seeded('nin', [[0.80], [0.80], [0.80]], [[1.0]] * 3)}
    long = {'lenet': _seeded('lenet', [[0.80, 0.89]], [[1.0, 1.0]])[0],
            'nin': _seeded('nin', [[0.85, 0.90]], [[1.0, 1.0]])[0]}
    assert ch_compare.long_budget_table(short, long) == 'nin'
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ['lenet', '60,000', '1', '0.850', '±', '0.010', '60,000', '2',
                                '0.890']
    assert recorded('long_val') == {'lenet': 0.89, 'nin': 0.90}
    assert (recorded('long_min'), recorded('long_max')) == (0.89, 0.90)


def test_mistakes_of_a_trained_run_name_the_most_confused_classes():
    recipe = get_profile('quick').recipe('lenet', num_epochs=1, num_val=256, seed=0)
    found = ch_compare.mistakes('lenet', run=recipe.fit('lenet'))
    assert len(found.y_true) == len(found.y_pred) == len(found.images) == 256
    assert found.counts().sum() == 256 and found.images.shape[1:] == (28, 28)
    worst = found.most_confident(5)
    assert all(found.y_true[worst] != found.y_pred[worst])
    assert list(found.confidence[worst]) == sorted(found.confidence[worst], reverse=True)
    pair = recorded('confused_pair')
    assert ' taken for ' in pair and 0 < recorded('confused_share') <= 1
    ax = ch_compare.plot_confusion(found)
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ['t-shirt', 'trouser']
    axes = ch_compare.plot_confident_mistakes(found, n=4, num_cols=4)
    assert axes[0].get_title().startswith(pair.split(' taken for ')[0]) or '→' in \
        axes[0].get_title()


class _DepthRun(_FakeRun):
    """A finished run of the VGG depth experiment: finals, its epochs and its budget."""

    def __init__(self, epochs=3, num_train=6000, **finals):
        super().__init__(**finals)
        self.history = History([{'epoch': e + 1} for e in range(epochs)])
        self.recipe = get_profile('quick').recipe('vgg').replace(num_train=num_train)


def test_vgg_depth_results_choose_their_words_from_the_numbers():
    from week5.chapters import vgg as ch_vgg
    runs = {'3 blocks': [_DepthRun(val_acc=a, examples_per_sec=s)
                         for a, s in ((0.78, 2400), (0.79, 2500), (0.77, 2300))],
            'VGG-11 (5 blocks)': [_DepthRun(val_acc=a, examples_per_sec=s)
                                  for a, s in ((0.60, 1900), (0.68, 1800), (0.66, 2000))]}
    out = ch_vgg.depth_results(runs)
    assert out['shallow_acc'] == pytest.approx(0.78) and out['deep_speed'] == pytest.approx(1900)
    assert (out['epochs'], out['num_train']) == (3, 6000)
    assert out['speed_ratio'] == pytest.approx(2400 / 1900)
    assert out['acc_words'] == 'ahead of'
    assert out['speed_words'] == 'fewer examples per second than'
    # the deep network catches up and the speeds overlap: the words follow
    runs['VGG-11 (5 blocks)'] = [_DepthRun(val_acc=a, examples_per_sec=s)
                                 for a, s in ((0.80, 2300), (0.77, 2500), (0.79, 2400))]
    out = ch_vgg.depth_results(runs)
    assert out['acc_words'] == 'level with'
    assert out['speed_words'] == 'about as many examples per second as'


def test_nin_book_savings_are_the_table_arithmetic():
    out = ch_nin.book_savings()
    # 46,764,746 / 1,992,166 = 23.5 and 128,806,154 / 1,992,166 = 64.7 (the layer tables)
    assert out['params_m'] == pytest.approx(1.992166)
    assert (out['alexnet_times'], out['vgg_times']) == ('about 23 times', 'about 65 times')
    assert out['conv_macs_vs_alexnet'] == pytest.approx(762_297_352 / 895_105_920, rel=1e-3)


def test_lenet_records_the_effects_its_text_refers_to():
    from week5 import results
    from week5.chapters import lenet as ch_lenet
    runs = {label: [_FakeRun(val_acc=v) for v in values] for label, values in {
        ch_lenet.SIGMOID_AVG: (0.58, 0.60, 0.62), ch_lenet.SIGMOID_MAX: (0.57, 0.59, 0.61),
        ch_lenet.RELU_AVG: (0.84, 0.85, 0.86), ch_lenet.RELU_MAX: (0.90, 0.91, 0.92)}.items()}
    effects = ch_lenet.record_effects(runs)
    assert results.recorded('lenet_effects') == effects
    assert effects['activation'] == pytest.approx(0.25)
    assert effects['activation_words'] == 'ahead of'
    assert effects['pool_relu'] == pytest.approx(0.06) and effects['pool_relu_words'] == 'ahead of'
    assert effects['pool_sigmoid_words'] == 'within the seed spread of'     # -0.01, spread 0.02
    assert effects['pool_sigmoid_spread'] == pytest.approx(0.02)


def test_final_metrics_records_the_last_epoch_for_the_text():
    from week5 import results
    from week5.callbacks import History
    history = History(epochs=[{'epoch': 0, 'train_loss': 0.5, 'val_acc': 0.5},
                              {'epoch': 1, 'train_loss': 0.2, 'val_acc': 0.8}])
    lines = []
    claims.final_metrics(history, print_fn=lines.append, record_as='test_run')
    assert results.recorded('test_run') == {'epochs': 2, 'train_loss': pytest.approx(0.2),
                                           'val_acc': 0.8}


def test_compare_records_what_its_text_says_about_the_common_budget():
    from types import SimpleNamespace
    from week5 import results

    def seeded(params, *accs):
        recipe = SimpleNamespace(num_train=10000, batch_size=128, num_epochs=2)
        return [SimpleNamespace(final=lambda key='val_acc', a=a: a, params=params,
                                recipe=recipe) for a in accs]
    runs = {'lenet': seeded(62158, 0.85, 0.86, 0.84), 'alexnet': seeded(394682, 0.79, 0.80, 0.78),
            'vgg': seeded(448218, 0.81, 0.80, 0.81), 'nin': seeded(35914, 0.78, 0.78, 0.79),
            'googlenet': seeded(97488, 0.10, 0.81, 0.80)}
    acc = ch_compare.record_accuracy(runs)
    assert results.recorded('compare_acc') == acc
    assert (acc['best'], acc['worst'], acc['best_larger']) == ('LeNet', 'GoogLeNet', 'VGG')
    assert acc['lenet_words'] == 'ahead of all four larger networks'
    assert acc['chance_words'] == '1 run(s) end at chance (GoogLeNet)'
    assert acc['updates'] == 79 * 2
    assert acc['alexnet_nin_params'] == 'about 11 times'
    assert acc['alexnet_nin_words'] == 'within the seed spread of'      # spread ~0.41
