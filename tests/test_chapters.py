"""week5.claims and week5/chapters/: the numbers behind the chapters' key experiments."""
import matplotlib
import pytest

matplotlib.use('Agg')

from week5.models import Inception, get_config, get_model  # noqa: E402
from week5.profiles import get_profile  # noqa: E402
from week5.callbacks import History  # noqa: E402
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


def test_nin_without_1x1_drops_only_the_1x1_convs():
    full = get_model('nin', **SMALL['nin'])
    cut = ch_nin.nin_without_1x1(get_profile('quick').recipe('nin', **SMALL['nin']))
    kernels = [k for k in (layer._kwargs['kernel'][0] for _, layer in
                           inside._weight_layers(cut.net))]
    assert 1 not in kernels and len(kernels) == 4
    assert count_params(cut.net) < count_params(full.net)


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


def test_cpu_gflops_and_gpu_reference():
    assert ch_overview.cpu_gflops(n=64, repeats=2) > 0
    assert ch_overview.cpu_gflops(n=64, repeats=1, use_mxnet=False) > 0
    with pytest.raises(ValueError, match='n must be an int >= 16'):
        ch_overview.cpu_gflops(n=4)
    with pytest.raises(ValueError, match='repeats'):
        ch_overview.cpu_gflops(repeats=0)
    ref = ch_overview.gpu_reference()
    assert all(spec['gflops'] > 1000 and spec['cores'] > 500 for spec in ref.values())


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


def test_the_chapters_regimes_are_valid_recipes():
    for label, changes, why, _ in ch_alexnet.DROPOUT_REGIMES + ch_nin.NIN_REGIMES:
        network = 'alexnet' if label.startswith('dropout') else 'nin'
        recipe = get_profile('laptop').regime(network, label, **changes).recipe(network)
        assert recipe.num_train == changes['num_train'] and why
    assert sum(chapter for *_, chapter in ch_alexnet.DROPOUT_REGIMES) <= 1
    assert sum(chapter for *_, chapter in ch_nin.NIN_REGIMES) <= 1


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


def test_the_chapter_regimes_change_only_their_network():
    alex = ch_alexnet.capacity_regime('laptop')
    label, changes = ch_alexnet.DROPOUT_REGIME
    assert alex.name == f'laptop/{label}'
    assert alex.recipe('alexnet').num_epochs == changes['num_epochs']
    assert alex.recipe('nin') == get_profile('laptop').recipe('nin')
    nin = ch_nin.head_regime('quick')
    assert nin.recipe('nin').num_train == 512                     # quick sizes kept
    assert nin.recipe('nin').lr == ch_nin.NIN_REGIME[1].get('lr', 0.1)
    assert set(ch_alexnet.CAPACITY_VARIANTS) == {'no dropout', 'dropout 0.5',
                                                 'dropout 0.5 + flip/crop'}
    assert ch_nin.HEAD_VARIANTS['NiN body + AlexNet head'] is ch_nin.nin_dense_head
    assert ch_nin.NIN_REGIME[1]['num_epochs'] > 2            # more than the first budget
