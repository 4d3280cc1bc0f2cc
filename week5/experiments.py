"""The chapters' experiments, as library functions the notebooks call.

Each chapter notebook teaches with short cells; the work behind them lives here:

* training variants of a network side by side under a named budget (``compare``,
  ``runs_table``, ``final_metrics``), and the runs the chapters keep for chapter 6
  (``keep_run``, ``chapter_runs``);
* gradients through depth (``gradient_norms``, ``gradient_norms_by_activation``,
  ``gradient_table``) for AlexNet's ReLU vs sigmoid;
* NiN's claims checked numerically (``conv1x1_as_dense``, ``nin_without_1x1``);
* this machine's matrix-multiply throughput (``cpu_gflops``, ``gpu_reference``) for the
  overview.

Every run is a ``Recipe`` (week5/recipe.py): the profile's (``WEEK5_PROFILE``), shrunk
by a budget (``recipe.BUDGETS``), with the variant's changes; ``Recipe.build`` assembles
it. The figures are in ``week5.viz`` (``plot_runs``, ``draw_architecture`` ...), the
cost tables in ``week5.summary``. Tables are printed with fixed formatting from integer
counts, so the cells that print them are deterministic.
"""
import math
import re
import time
from dataclasses import dataclass

import numpy
from mxnet import autograd, np, npx
from mxnet.gluon import nn

from .tensor import use_np
from .models import list_models
from .models.blocks import INITS, Conv, Stage, build, dense_head
from .profiles import get_profile
from .recipe import Recipe, Run, RunLoadError, load_run, runs_dir, save_run, shrink
from .summary import body_head_rows, iter_layers, param_split

__all__ = ['GPU_REFERENCE', 'CHAPTERS', 'CLAIM_RE', 'Claim', 'claim', 'parse_claims',
           'claim_greater', 'claim_within', 'claim_bigger_effect', 'mean_std', 'compare_seeds', 'seeds_table',
           'clean_train_accuracy', 'mean_metric', 'best_variant', 'within',
           'claim_vanishing_gradients', 'claim_head_share',
           'claim_bigger_params', 'claim_reduction_saves',
           'budget_recipe', 'compare', 'train_networks', 'train_networks_seeds', 'recipes_table',
           'keep_run', 'kept_run', 'chapter_runs', 'lab_sizes', 'speed_rows', 'speed_table',
           'run_rows', 'runs_table', 'final_metrics', 'gradient_norms',
           'gradient_norms_by_activation', 'gradient_ratios', 'gradient_table',
           'conv1x1_as_dense', 'conv1x1_difference', 'nin_without_1x1', 'nin_dense_head',
           'gpu_reference',
           'cpu_gflops']


# ----------------------------------------------------------------------------------
# claims: every comparative sentence of a chapter is a verdict printed by its experiment

CLAIM_RE = re.compile(r'^\[week5 claim\] ([a-z0-9_]+): (HOLDS|DOES NOT HOLD) - (.+)$',
                      re.MULTILINE)


@dataclass(frozen=True)
class Claim:
    """A chapter's claim and what its experiment showed. ``str()`` is the verdict line,
    ``[week5 claim] name: HOLDS - evidence`` (or ``DOES NOT HOLD``), which
    tests/test_claims.py reads back from the committed notebooks."""
    name: str
    holds: bool
    evidence: str

    def __str__(self):
        return (f'[week5 claim] {self.name}: {"HOLDS" if self.holds else "DOES NOT HOLD"}'
                f' - {self.evidence}')

    def _ipython_display_(self):
        """Shown as a cell's last value: nothing, the verdict line is printed already."""


def claim(name, holds, evidence, print_fn=print):
    """Print and return the verdict line of claim ``name`` (a snake_case identifier)."""
    if not re.fullmatch(r'[a-z0-9_]+', name):
        raise ValueError(f'claim name {name!r} must be snake_case, e.g. relu_beats_sigmoid')
    verdict = Claim(name, bool(holds), evidence)
    print_fn(str(verdict))
    return verdict


def parse_claims(text):
    """[(name, holds, evidence)] of the verdict lines in ``text``."""
    return [(n, v == 'HOLDS', e) for n, v, e in CLAIM_RE.findall(text)]


def mean_std(values):
    """(mean, sample standard deviation) of a list of numbers (std 0 for one value)."""
    values = [float(v) for v in values]
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _metric(runs, key):
    """Per run: a History key, 'params', or 'clean_train_acc' / 'clean_gap' (training
    accuracy in evaluation mode on clean images, and its gap to the validation accuracy)."""
    if key == 'clean_train_acc':
        return [clean_train_accuracy(r) for r in runs]
    if key == 'clean_gap':
        return [clean_train_accuracy(r) - r.final('val_acc') for r in runs]
    if key == 'params':
        return [r.params for r in runs]
    return [r.final(key) for r in runs]


def _evidence(runs, a, b, key, what):
    (ma, sa), (mb, sb) = mean_std(_metric(runs[a], key)), mean_std(_metric(runs[b], key))
    epochs = len(runs[a][0].history)
    seeds = len(runs[a])
    fmt = ',.0f' if max(abs(ma), abs(mb)) >= 10 else '.3f'
    text = (f'{what} {ma:{fmt}} ± {sa:{fmt}} ({a}) vs {mb:{fmt}} ± {sb:{fmt}} ({b}) after '
            f'{epochs} epoch{"s" if epochs != 1 else ""}, {seeds} seed{"s" if seeds != 1 else ""}')
    return (ma, sa), (mb, sb), text


def claim_greater(name, runs, higher, lower, key='val_acc', what='val acc', print_fn=print):
    """Claim that variant ``higher`` beats ``lower`` on ``key`` ('val_acc', 'gap' or
    'clean_train_acc') over seeds (``runs``: ``{label: [Run, ...]}`` from
    ``compare_seeds``). HOLDS when the means differ by more than the two spreads."""
    (ma, sa), (mb, sb), text = _evidence(runs, higher, lower, key, what)
    return claim(name, ma - mb > sa + sb, text, print_fn)


def claim_within(name, runs, a, b, tolerance, key='val_acc', what='val acc', print_fn=print):
    """Claim that variants ``a`` and ``b`` are within ``tolerance`` of each other on
    ``key`` (or ``a`` is better), over seeds."""
    (ma, _), (mb, _), text = _evidence(runs, a, b, key, what)
    return claim(name, ma >= mb - tolerance, f'{text} (tolerance {tolerance:.2f})', print_fn)


def claim_bigger_effect(name, runs, bigger, smaller, key='val_acc', print_fn=print):
    """Claim that changing ``bigger`` = (a, b) moves ``key`` more than changing
    ``smaller`` = (c, d) does (effects are differences of the means over seeds; HOLDS
    when the gap between the effects exceeds the spreads involved)."""
    stats = {label: mean_std(_metric(runs[label], key)) for label in (*bigger, *smaller)}
    big = stats[bigger[0]][0] - stats[bigger[1]][0]
    small = stats[smaller[0]][0] - stats[smaller[1]][0]
    noise = sum(sd for _, sd in stats.values()) / 2
    text = (f'{bigger[0]} vs {bigger[1]}: {big:+.3f}; {smaller[0]} vs {smaller[1]}: '
            f'{small:+.3f} ({key}, mean over {len(runs[bigger[0]])} seeds, spread ~{noise:.3f})')
    return claim(name, abs(big) > abs(small) + noise, text, print_fn)


def mean_metric(runs, key='val_acc'):
    """``{label: mean of key over seeds}`` of ``{label: [Run, ...]}`` (``key`` as in
    ``claim_greater``: a History key, 'clean_train_acc' or 'clean_gap')."""
    return {label: mean_std(_metric(rs, key))[0] for label, rs in runs.items()}


def best_variant(runs, key='val_acc', lowest=False):
    """The label whose mean ``key`` over seeds is highest (``lowest``: smallest), e.g. the
    observed outcome a prediction is compared with; ties go to the first label."""
    means = mean_metric(runs, key)
    pick = min if lowest else max
    return pick(means, key=lambda label: means[label])


def within(runs, a, b, tolerance, key='val_acc'):
    """True if variant ``a``'s mean ``key`` is at most ``tolerance`` below ``b``'s (or
    above it): the outcome ``claim_within`` tests, as a value."""
    means = mean_metric({a: runs[a], b: runs[b]}, key)
    return bool(means[a] >= means[b] - tolerance)


def clean_train_accuracy(run):
    """Accuracy of a trained run's model on its own training subset, in evaluation mode
    (dropout off) on clean images (no augmentation): what over-fitting arguments need,
    unlike the running train accuracy logged during training."""
    data = run.recipe.replace(augment=False).data()
    correct = total = 0
    for X, y in data.train_dataloader():
        y_hat = run.model(X)                       # outside autograd.record: predict mode
        correct += float((y_hat.argmax(axis=1).astype(y.dtype) == y).sum())
        total += y.shape[0]
    return correct / total


def compare_seeds(name, variants, seeds=(0, 1, 2), budget='experiment', profile=None,
                  progress=False):
    """``compare`` once per seed: ``{label: [Run for each seed]}``."""
    runs = {label: [] for label in variants}
    for seed in seeds:
        for label, run in compare(name, variants, budget, profile, seed, progress).items():
            runs[label].append(run)
    return runs


def seeds_table(runs, clean_train=False, print_fn=print):
    """Per variant of ``{label: [Run, ...]}``: mean ± std over seeds of the validation
    accuracy (and, with ``clean_train``, of the clean training accuracy and the gap), the
    parameters and the mean seconds per run."""
    width = max(len('variant'), *(len(k) for k in runs))
    head = f'{"variant":<{width}}  seeds  epochs  {"val acc":>13}'
    if clean_train:
        head += f'  {"train acc (eval)":>16}  {"gap":>13}'
    lines = [head + f'  {"params":>9}  {"s / run":>7}']
    for label, rs in runs.items():
        val = mean_std([r.final('val_acc') for r in rs])
        line = f'{label:<{width}}  {len(rs):>5}  {len(rs[0].history):>6}  ' \
               f'{val[0]:>6.3f} ± {val[1]:.3f}'
        if clean_train:
            train = [clean_train_accuracy(r) for r in rs]
            gap = mean_std([t - r.final('val_acc') for t, r in zip(train, rs)])
            train = mean_std(train)
            line += f'  {train[0]:>9.3f} ± {train[1]:.3f}  {gap[0]:>6.3f} ± {gap[1]:.3f}'
        seconds = sum(r.seconds for r in rs) / len(rs)
        lines.append(line + f'  {rs[0].params:>9,}  {seconds:>7.1f}')
    print_fn('\n'.join(lines))      # one output: slides and readers see one table


def budget_recipe(name, budget='experiment', profile=None, **changes):
    """The profile's recipe of network ``name`` with ``changes`` (its rules applied),
    shrunk by ``budget`` (see ``week5.recipe.BUDGETS``); explicit changes win."""
    base = get_profile(profile).recipe(name, **changes)
    return shrink(base, budget).replace(**changes)


def _variant(spec):
    """(recipe changes, model factory or None) of one variant."""
    if callable(spec):
        return {}, spec
    if not isinstance(spec, dict):
        raise TypeError(f'a variant is a dict of recipe changes (e.g. dict(activation="relu")) '
                        f'or a function recipe -> model, got {type(spec).__name__}')
    return dict(spec), None


def compare(name, variants, budget='experiment', profile=None, seed=0, progress=False,
            callbacks=()):
    """Train each variant of network ``name`` under the same budget; returns
    ``{label: Run}`` in the order given.

    ``variants`` maps a label to recipe changes (``dict(activation='relu')``,
    ``dict(augment=True)``) or to a function ``f(recipe)`` returning a model. Every
    variant sees the same data subset, the same shuffling and the same initialisation
    seed."""
    if not variants:
        raise ValueError('variants is empty: give at least one {label: changes} entry')
    runs = {}
    for label, spec in variants.items():
        changes, factory = _variant(spec)
        recipe = budget_recipe(name, budget, profile, seed=seed, **changes)
        runs[label] = recipe.fit(label, factory=factory, callbacks=callbacks,
                                 progress=progress)
    return runs


def train_networks(names=None, budget='compare', profile=None, seed=0, progress=False):
    """Train several networks (registry names), each as its profile's recipe says, under
    the same budget (the same data subset and epochs); returns ``{name: Run}``."""
    _warm_up()
    return {name: budget_recipe(name, budget, profile, seed=seed).fit(name, progress=progress)
            for name in (names or list_models())}


def train_networks_seeds(names=None, seeds=(0, 1, 2), budget='compare', profile=None):
    """``train_networks`` once per seed: ``{name: [Run for each seed]}``."""
    runs = {name: [] for name in (names or list_models())}
    for seed in seeds:
        for name, run in train_networks(list(runs), budget, profile, seed).items():
            runs[name].append(run)
    return runs


def recipes_table(names=None, budget='compare', profile=None, print_fn=print):
    """What differs between the networks' recipes under one budget: input, optimizer,
    learning rate, schedule, initialisation, batch norm, data and epochs."""
    recipes = {n: budget_recipe(n, budget, profile) for n in (names or list_models())}
    keys = ('input', 'optimizer', 'lr', 'lr_schedule', 'init', 'batch_norm', 'num_train',
            'num_epochs')
    rows = {n: dict(r.items()) for n, r in recipes.items()}
    widths = [max(len(k), *(len(rows[n].get(k, '-')) for n in rows)) for k in keys]
    print_fn(f'{"network":<10}  ' + '  '.join(f'{k:<{w}}' for k, w in zip(keys, widths)))
    for n in rows:
        print_fn((f'{n:<10}  ' + '  '.join(f'{rows[n].get(k, "-"):<{w}}'
                                            for k, w in zip(keys, widths))).rstrip())


CHAPTERS = {'lenet': 1, 'alexnet': 2, 'vgg': 3, 'nin': 4, 'googlenet': 5}


def keep_run(name, recipe, model, history, profile=None):
    """Keep a chapter's training run of network ``name`` for chapter 6: its recipe,
    History and weights in the week5 cache (``runs/<profile>/<name>``), replaced by the
    next run. Returns the ``Run``."""
    run = Run(recipe, history, model, history.last('wall_time', 0.0), label=name)
    save_run(run, runs_dir(get_profile(profile).name) / name)
    return run


def kept_run(name, profile=None):
    """The run ``keep_run`` kept for network ``name`` in this profile (without weights);
    FileNotFoundError if there is none, RunLoadError if it can no longer be used."""
    return load_run(runs_dir(get_profile(profile).name) / name)


def chapter_runs(names=None, budget='compare', profile=None, refresh=False, seed=0,
                 print_fn=print):
    """``{name: Run}``: for each network the run its chapter notebook kept in this
    profile (``keep_run``); a network whose chapter has not run yet (or all, with
    ``refresh=True``) is trained now under ``budget``. Prints where each run came from."""
    prof = get_profile(profile)
    names = list(names or list_models())
    runs, why = {}, {}
    for name in names:
        try:
            runs[name] = None if refresh else kept_run(name, prof)
        except FileNotFoundError:
            runs[name], why[name] = None, 'its chapter has not run'
        except RunLoadError as err:
            runs[name], why[name] = None, str(err)
    if any(run is None for run in runs.values()):
        _warm_up()
    for name in names:
        if runs[name] is not None:
            print_fn(f'{name:<10} the run of chapter {CHAPTERS.get(name, "?")} '
                     f'({len(runs[name].history)} epoch(s), profile {prof.name!r})')
            continue
        runs[name] = budget_recipe(name, budget, prof, seed=seed).fit(name)
        print_fn(f'{name:<10} trained now: {why.get(name, "refresh asked")} in profile '
                 f'{prof.name!r} ({budget!r} budget, {len(runs[name].history)} epoch(s))')
    return runs


def _warm_up():
    """One tiny fit, so that the first timed network does not pay for loading the data
    and for MXNet's one-off start-up costs."""
    Recipe.for_network('lenet', batch_size=64, num_train=128, num_val=64,
                       num_epochs=1).fit()


def _fmt_num(x, digits=3):
    return '-' if x is None else f'{x:.{digits}f}'


def lab_sizes(name, budget='experiment', profile=None):
    """The data sizes (``num_train``, ``num_val``) of ``budget`` for network ``name``:
    pass them to a ``TrainingLab`` so that its runs take seconds, not minutes."""
    r = budget_recipe(name, budget, profile)
    return {'num_train': r.num_train, 'num_val': r.num_val}


def speed_rows(runs):
    """Per run: input side, parameters, measured training throughput (examples/s) and
    the seconds a full 60,000-image epoch would take at that rate."""
    rows = []
    for label, run in runs.items():
        rate = run.history.last('examples_per_sec') or float('nan')
        rows.append({'label': label, 'resize': run.recipe.resize[0], 'params': run.params,
                     'examples_per_sec': rate, 'epoch_seconds': 60000 / rate})
    return rows


def speed_table(runs, print_fn=print):
    """Print ``speed_rows(runs)`` as a table."""
    print_fn(f'{"network":<10}  {"input":>7}  {"params":>10}  {"examples/s":>10}  '
             f'{"s / 60k epoch":>13}')
    for r in speed_rows(runs):
        side = r['resize']
        print_fn(f'{r["label"]:<10}  {side:>3}x{side:<3}  {r["params"]:>10,}  '
                 f'{r["examples_per_sec"]:>10,.0f}  {r["epoch_seconds"]:>13,.0f}')


def run_rows(runs):
    """Per run: epochs, final train / validation accuracy, their gap, validation loss,
    parameters and wall time."""
    rows = []
    for label, run in runs.items():
        h = run.history
        train_acc, val_acc = h.last('train_acc'), h.last('val_acc')
        gap = None if train_acc is None or val_acc is None else train_acc - val_acc
        rows.append({'label': label, 'epochs': len(h), 'train_acc': train_acc,
                     'val_acc': val_acc, 'gap': gap, 'val_loss': h.last('val_loss'),
                     'params': run.params, 'seconds': run.seconds})
    return rows


def runs_table(runs, print_fn=print):
    """Print ``run_rows(runs)`` as a table."""
    rows = run_rows(runs)
    width = max(len('variant'), *(len(r['label']) for r in rows))
    print_fn(f'{"variant":<{width}}  epochs  train acc  val acc    gap  val loss'
             f'      params  time (s)')
    for r in rows:
        print_fn(f'{r["label"]:<{width}}  {r["epochs"]:>6}  {_fmt_num(r["train_acc"]):>9}'
                 f'  {_fmt_num(r["val_acc"]):>7}  {_fmt_num(r["gap"]):>5}'
                 f'  {_fmt_num(r["val_loss"]):>8}  {r["params"]:>10,}  {r["seconds"]:>8.1f}')


def final_metrics(history, print_fn=print):
    """Print the last epoch's metrics of a History, rounded."""
    if not len(history):
        print_fn('no finished epoch yet')
        return
    row = history.epochs[-1]
    keys = ('train_loss', 'train_acc', 'val_loss', 'val_acc', 'examples_per_sec')
    text = ', '.join(f'{k} {row[k]:.3f}' if k != 'examples_per_sec' else
                     f'{row[k]:,.0f} examples/s' for k in keys if row.get(k) is not None)
    print_fn(f'after {len(history)} epoch(s): {text}')


# ----------------------------------------------------------------------------------
# gradients through depth

def _weight_layers(net):
    """Conv2D / Dense layers of ``net`` in order, labelled conv1.. / dense1.."""
    out, counts = [], {'conv': 0, 'dense': 0}
    for _, block, _ in iter_layers(net):
        if isinstance(block, (nn.Conv2D, nn.Dense)):
            kind = 'conv' if isinstance(block, nn.Conv2D) else 'dense'
            counts[kind] += 1
            out.append((f'{kind}{counts[kind]}', block))
    return out


def gradient_norms(model, X, y):
    """L2 norm of each weight layer's gradient after one forward/backward pass of the
    batch (X, y) through ``model`` (a Classifier): ``[(layer, norm), ...]`` from the
    input side to the output."""
    use_np()
    layers = _weight_layers(model.net)
    with autograd.record():
        loss = model.loss(model(X), y)
    loss.backward()
    return [(label, float((layer.weight.grad() ** 2).sum().item() ** 0.5))
            for label, layer in layers]


def gradient_norms_by_activation(name, activations=('relu', 'sigmoid'), batch_size=64,
                                 seed=0, profile=None, **changes):
    """``{activation: [(layer, gradient norm), ...]}`` for freshly initialised copies of
    network ``name`` (the profile's recipe, plus ``changes``) that differ only in their
    activation, on the same batch of real Fashion-MNIST images."""
    base = get_profile(profile).recipe(name, **changes).replace(
        seed=seed, batch_size=batch_size, num_train=batch_size, num_val=10)
    batch = next(iter(base.data().train_dataloader()))
    return {act: gradient_norms(base.replace(activation=act).model(), *batch)
            for act in activations}


def claim_vanishing_gradients(name, network='alexnet', seeds=(0, 1, 2), profile=None,
                              print_fn=print):
    """Claim that with sigmoid the first layer's gradient is < 1% of the last layer's
    while with ReLU it stays above 10%, for every seed's fresh initialisation."""
    ratios = {'relu': [], 'sigmoid': []}
    for seed in seeds:
        for act, r in gradient_ratios(gradient_norms_by_activation(
                network, tuple(ratios), seed=seed, profile=profile)).items():
            ratios[act].append(r)
    holds = max(ratios['sigmoid']) < 1e-2 and min(ratios['relu']) > 1e-1
    text = ('first/last layer gradient norm: ' + '; '.join(
        f'{act} {min(v):.1e} to {max(v):.1e}' for act, v in ratios.items())
        + f' ({len(seeds)} initialisations)')
    return claim(name, holds, text, print_fn)


def gradient_ratios(grads):
    """``{activation: first layer's gradient norm / last layer's}``."""
    return {n: rows[0][1] / rows[-1][1] if rows[-1][1] else float('nan')
            for n, rows in grads.items()}


def gradient_table(grads, print_fn=print):
    """Print the gradient norms side by side, with each column's first/last ratio."""
    names = list(grads)
    layers = [label for label, _ in grads[names[0]]]
    print_fn(f'{"layer":<10}' + ''.join(f'{n:>14}' for n in names))
    for i, layer in enumerate(layers):
        print_fn(f'{layer:<10}' + ''.join(f'{grads[n][i][1]:>14.3e}' for n in names))
    ratios = gradient_ratios(grads)
    print_fn(f'{"first/last":<10}' + ''.join(f'{ratios[n]:>14.1e}' for n in names))


# ----------------------------------------------------------------------------------
# NiN: 1x1 convolutions

def conv1x1_as_dense(in_channels=8, out_channels=4, size=5, seed=0, print_fn=print):
    """Show that a 1x1 convolution equals a dense layer applied to every pixel's channel
    vector: copy the weights, compare outputs, print the verdict as a claim line."""
    diff, x_shape, pixels_shape = conv1x1_difference(in_channels, out_channels, size, seed)
    print_fn(f'1x1 convolution: {x_shape} -> {(1, out_channels, size, size)}')
    print_fn(f'dense layer on each of the {size * size} pixels: '
             f'{pixels_shape} -> {(size * size, out_channels)}')
    claim('conv1x1_is_a_dense_layer_per_pixel', diff < 1e-5,
          f'same weights, same outputs: max |difference| < 1e-5 over {size * size} pixels '
          f'x {out_channels} channels', print_fn)


def conv1x1_difference(in_channels=8, out_channels=4, size=5, seed=0):
    """(largest |difference| between a 1x1 convolution and a per-pixel dense layer with
    the same weights, input shape, per-pixel matrix shape)."""
    use_np()
    rng = numpy.random.RandomState(seed)
    X = np.array(rng.standard_normal((1, in_channels, size, size)).astype('float32'))
    conv = nn.Conv2D(out_channels, kernel_size=1, in_channels=in_channels)
    dense = nn.Dense(out_channels, in_units=in_channels, flatten=False)
    conv.initialize()
    dense.initialize()
    W = np.array(rng.standard_normal((out_channels, in_channels)).astype('float32'))
    b = np.array(rng.standard_normal(out_channels).astype('float32'))
    conv.weight.set_data(W.reshape(out_channels, in_channels, 1, 1))
    conv.bias.set_data(b)
    dense.weight.set_data(W)
    dense.bias.set_data(b)
    Y_conv = conv(X)                                             # (1, out, size, size)
    pixels = X.transpose(0, 2, 3, 1).reshape(-1, in_channels)    # one row per pixel
    Y_dense = dense(pixels).reshape(1, size, size, out_channels).transpose(0, 3, 1, 2)
    return float(np.abs(Y_conv - Y_dense).max().item()), tuple(X.shape), tuple(pixels.shape)



def nin_without_1x1(recipe):
    """A NiN model built from ``recipe`` whose blocks keep only their first convolution:
    the 1x1 'mlp' convolutions are removed, the rest is unchanged (a factory for
    ``compare``)."""
    model = recipe.model()
    specs = []
    for spec in model.config.layers():
        if isinstance(spec, Stage):
            spec = Stage(spec.name, tuple(s for s in spec.layers
                                         if not s.name.startswith('mlp')))
        specs.append(spec)
    model.net = build(specs, model.config.input_shape)
    model.net.initialize(INITS[recipe.init]())
    return model


def claim_head_share(name, network, variants, min_dense_params=0.5, min_conv_macs=0.9,
                     print_fn=print):
    """Claim that in every variant (``summary.body_head_rows``) the dense head holds more
    than ``min_dense_params`` of the parameters while the convolutions do more than
    ``min_conv_macs`` of the multiply-accumulates."""
    rows = body_head_rows(network, variants)
    shares = {label: (s['dense_params'] / s['total_params'], s['conv_macs'] / s['total_macs'])
              for label, s in rows.items()}
    holds = all(p > min_dense_params and m > min_conv_macs for p, m in shares.values())
    text = '; '.join(f'{label}: dense {p:.0%} of params, convs {m:.0%} of MACs'
                     for label, (p, m) in shares.items())
    return claim(name, holds, text, print_fn)


def claim_bigger_params(name, profile, heavy, light, factor=3.0, print_fn=print):
    """Claim that each network in ``light`` trains at least ``factor`` times fewer
    parameters than each in ``heavy``, as the profile's recipes build them."""
    prof = get_profile(profile)
    params = {n: param_split(prof.recipe(n).config)['total_params'] for n in heavy + light}
    ratio = min(params[h] for h in heavy) / max(params[l] for l in light)
    text = ', '.join(f'{n} {params[n]:,}' for n in heavy + light) + \
        f' parameters in profile {prof.name!r}: heavy/light >= {ratio:.1f}x'
    return claim(name, ratio >= factor, text, print_fn)


def claim_reduction_saves(name, c_in, reduce, out, kernel_size, size, factor=2.0,
                          print_fn=print):
    """Claim that a 1x1 reduction to ``reduce`` channels before a ``kernel_size``
    convolution (``c_in`` -> ``out`` channels, on a size x size map) cuts the branch's
    parameters and MACs at least ``factor``-fold; counted with the layer specs' cost."""
    pad = kernel_size // 2
    shape = (c_in, size, size)
    reduced = [Conv('reduce', reduce, 1).cost(shape),
               Conv('conv', out, kernel_size, 1, pad).cost((reduce, size, size))]
    direct = Conv('conv', out, kernel_size, 1, pad).cost(shape)
    with_p, with_m = (sum(c[i] for c in reduced) for i in (0, 1))
    text = (f'{kernel_size}x{kernel_size} branch {c_in} -> {out} channels on {size}x{size}: '
            f'{with_p:,} params / {with_m:,} MACs with a 1x1 reduction to {reduce}, '
            f'{direct[0]:,} / {direct[1]:,} without ({direct[0] / with_p:.1f}x, '
            f'{direct[1] / with_m:.1f}x)')
    return claim(name, direct[0] >= factor * with_p and direct[1] >= factor * with_m, text,
                 print_fn)


def nin_dense_head(recipe):
    """A NiN model built from ``recipe`` whose head is AlexNet's instead of NiN's: the
    body up to the last pooling is unchanged, then flatten -> two dense layers of
    4096 / width_divisor units with dropout -> 10 scores, instead of the last NiN block
    and global average pooling (a factory for ``compare``)."""
    model = recipe.model()
    cfg = model.config
    specs = model.config.layers()
    last_pool = max(i for i, s in enumerate(specs) if s.name.startswith('pool'))
    specs = specs[:last_pool + 1] + dense_head(
        [cfg.width(4096)] * 2, cfg.num_classes, cfg.activation, cfg.dropout or 0.5,
        cfg.batch_norm)
    model.net = build(specs, cfg.input_shape)
    model.net.initialize(INITS[recipe.init]())
    return model


# ----------------------------------------------------------------------------------
# compute: this machine vs a GPU

GPU_REFERENCE = {
    'GeForce GTX 580 (2010; AlexNet was trained on two)':
        dict(gflops=1581, cores=512, clock_ghz=1.544),
    'A100 (2020)': dict(gflops=19500, cores=6912, clock_ghz=1.41),
}



def gpu_reference():
    """The published GPU figures, as a dict (see ``GPU_REFERENCE``)."""
    return {k: dict(v) for k, v in GPU_REFERENCE.items()}



def cpu_gflops(n=1024, repeats=5, use_mxnet=True):
    """Measure this machine's float32 matrix-multiply throughput in GFLOP/s: the best of
    ``repeats`` products of two n x n matrices (2 n^3 floating-point operations each),
    through MXNet (with week5's thread settings) or through NumPy."""
    if not isinstance(n, int) or n < 16:
        raise ValueError(f'n must be an int >= 16 (the matrix side), got {n!r}')
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f'repeats must be an int >= 1, got {repeats!r}')
    rng = numpy.random.RandomState(0)
    A = rng.standard_normal((n, n)).astype('float32')
    B = rng.standard_normal((n, n)).astype('float32')
    if use_mxnet:
        use_np()
        A, B = np.array(A), np.array(B)
        dot, sync = np.dot, npx.waitall
    else:
        dot, sync = numpy.dot, (lambda: None)
    dot(A, B)
    sync()
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        dot(A, B)
        sync()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9

