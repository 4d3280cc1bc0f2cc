"""The chapters' key experiments, as library functions the notebooks call.

Each chapter notebook teaches with short cells; the work behind them lives here:

* training variants of a network side by side under a named budget (``compare``,
  ``runs_table``, ``plot_runs``, ``final_metrics``);
* gradients through depth (``gradient_norms``, ``gradient_norms_by_activation``,
  ``gradient_table``, ``plot_gradient_norms``) for AlexNet's ReLU vs sigmoid;
* where parameters and FLOPs sit (``param_split``, ``body_head_table``,
  ``stage_table``, ``inception_branch_table``, ``allocation_table``);
* NiN's claims checked numerically (``conv1x1_as_dense``, ``nin_without_1x1``);
* a drawn architecture (``draw_architecture``) and this machine's matrix-multiply
  throughput (``cpu_gflops``, ``gpu_reference``) for the overview;
* the comparison of all five networks (``cost_table``, ``plot_accuracy_vs_cost``).

Budgets (``BUDGETS``) scale the profile's settings (``WEEK5_PROFILE``), so an experiment
is short in every profile and the notebook text never changes. Tables are printed with
fixed formatting from integer counts, so the cells that print them are deterministic.

matplotlib is imported inside the plotting functions only.
"""
import time
from collections import namedtuple
from .summary import _human  # one formatter for counts across the tables

__all__ = ['BUDGETS', 'Run', 'GPU_REFERENCE', 'budget_settings', 'compare',
           'train_networks', 'lab_sizes', 'speed_rows', 'speed_table', 'run_rows',
           'runs_table', 'plot_runs', 'final_metrics', 'gradient_norms',
           'gradient_norms_by_activation', 'gradient_ratios', 'gradient_table',
           'plot_gradient_norms', 'layer_costs', 'param_split', 'body_head_rows', 'body_head_table',
           'stage_rows', 'stage_table', 'inception_branches', 'inception_params',
           'inception_branch_table', 'allocation_rows', 'allocation_table',
           'conv1x1_as_dense', 'conv1x1_difference', 'nin_without_1x1',
           'architecture_rows', 'draw_architecture', 'gpu_reference', 'cpu_gflops',
           'cost_rows', 'cost_table', 'plot_accuracy_vs_cost']

# How an experiment shrinks the profile's budget. ``max_train`` caps the training
# subset, ``train_fraction`` takes a share of it (the larger of the two limits that still
# fits the profile wins), ``max_val`` caps the validation subset; the number of epochs is
# the profile's times ``epochs``, kept within [``min_epochs``, ``max_epochs``];
# ``batch_size`` (optional) replaces the profile's.
BUDGETS = {
    # a side-by-side comparison of variants: a tenth of the data, half the epochs
    'experiment': dict(max_train=6000, train_fraction=0.1, max_val=2000, epochs=0.5,
                       min_epochs=1, max_epochs=3),
    # capacity control: a small training set, small batches and many epochs, so that a
    # network without regularisation overfits visibly
    'overfit': dict(max_train=1000, train_fraction=0.0, max_val=2000, epochs=6,
                    min_epochs=2, max_epochs=18, batch_size=32),
    # chapter 6, for a network whose chapter has not run: equal data for every network
    'compare': dict(max_train=10000, train_fraction=0.0, max_val=2000, epochs=0.5,
                    min_epochs=1, max_epochs=2),
    # what the profile says, unchanged
    'profile': None,
}

Run = namedtuple('Run', 'label model history seconds settings')
Run.__doc__ = """One trained variant: its label, the trained model, its History, the wall
time of the fit in seconds, and the settings it was trained with."""


def _profile(profile):
    from .profiles import get_profile
    return get_profile(profile)


def budget_settings(name, budget='experiment', profile=None, **overrides):
    """The profile's settings for network ``name`` shrunk by ``budget`` (see
    ``BUDGETS``), then ``overrides`` (model knobs or settings keys) applied."""
    if budget not in BUDGETS:
        raise ValueError(f'budget {budget!r} is unknown — choose one of '
                         f'{", ".join(map(repr, BUDGETS))}')
    prof = _profile(profile)
    base = prof.settings(name)
    rule = BUDGETS[budget]
    changes = {}
    if rule is not None:
        n_train = base['num_train'] or 60000
        n_val = base['num_val'] or 10000
        cap = max(rule['max_train'], int(n_train * rule['train_fraction']))
        changes['num_train'] = min(n_train, cap)
        changes['num_val'] = min(n_val, rule['max_val'])
        epochs = int(round(base['num_epochs'] * rule['epochs']))
        changes['num_epochs'] = min(rule['max_epochs'], max(rule['min_epochs'], epochs))
        if 'batch_size' in rule:
            changes['batch_size'] = rule['batch_size']
    return prof.settings(name, **{**changes, **overrides})


def _variant_kwargs(spec):
    if callable(spec):
        return {}, spec
    if not isinstance(spec, dict):
        raise TypeError(f'a variant is a dict of overrides (e.g. dict(activation="relu")) '
                        f'or a function returning a model, got {type(spec).__name__}')
    return dict(spec), None


def _train(name, overrides, factory, budget, prof, seed, progress, callbacks, label):
    from .core import Trainer, set_seed
    from .data import FashionMNIST
    from .models import get_model
    overrides = dict(overrides)
    augment = overrides.pop('augment', False)
    settings = budget_settings(name, budget, prof, **overrides)
    model_kw, data_kw, trainer_kw = prof.split(name, **settings)
    set_seed(seed)
    model = factory(**model_kw) if factory else get_model(name, **model_kw)
    data = FashionMNIST(**data_kw, augment=augment, seed=seed, progress=False)
    trainer = Trainer(**trainer_kw, progress=progress, board=False)
    start = time.perf_counter()
    trainer.fit(model, data, callbacks=callbacks)
    from .summary import count_params
    return Run(label, model, trainer.history, time.perf_counter() - start,
               dict(settings, augment=augment, params=count_params(model.net)))


def compare(name, variants, budget='experiment', profile=None, seed=0, progress=False,
            callbacks=()):
    """Train each variant of network ``name`` under the same budget; returns
    ``{label: Run}`` in the order given.

    ``variants`` maps a label to config overrides (``dict(activation='relu')``; the data
    key ``augment=True`` turns on augmentation) or to a function ``f(**model_kwargs)``
    returning a model built from the profile's model settings. Every variant sees the
    same data subset, the same shuffling and the same initialisation seed."""
    if not variants:
        raise ValueError('variants is empty: give at least one {label: overrides} entry')
    prof = _profile(profile)
    runs = {}
    for label, spec in variants.items():
        overrides, factory = _variant_kwargs(spec)
        runs[label] = _train(name, overrides, factory, budget, prof, seed, progress,
                             callbacks, label)
    return runs


def train_networks(names=None, budget='compare', profile=None, seed=0, progress=False):
    """Train several networks (registry names), each as its profile configures it,
    under the same budget; returns ``{name: Run}``."""
    from .models import list_models
    prof = _profile(profile)
    _warm_up()
    return {name: _train(name, {}, None, budget, prof, seed, progress, (), name)
            for name in (names or list_models())}


def _runs_dir(profile_name):
    from .data import cache_dir
    return cache_dir() / 'runs' / profile_name


def save_run(name, model, history, profile=None):
    """Keep a chapter's training run of network ``name`` for the comparison of chapter 6:
    its History, settings and parameter count, as JSON in the week5 cache (one file per
    network and profile, replaced by the next run)."""
    import json
    import os
    from .summary import count_params
    prof = _profile(profile)
    settings = dict(prof.settings(name), params=count_params(model.net))
    record = {'network': name, 'profile': prof.name, 'settings': settings,
              'config': repr(getattr(model, 'config', None)), 'history': history.to_dict(),
              'seconds': history.last('wall_time', 0.0)}
    path = _runs_dir(prof.name) / f'{name}.json'
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.tmp')
    tmp.write_text(json.dumps(record, default=repr), encoding='utf-8')
    os.replace(tmp, path)


def load_run(name, profile=None):
    """The run ``save_run`` kept for network ``name`` in this profile (a ``Run`` whose
    ``model`` is None), or None when there is none (or it cannot be read)."""
    import json
    from .core import History
    path = _runs_dir(_profile(profile).name) / f'{name}.json'
    try:
        record = json.loads(path.read_text(encoding='utf-8'))
        history = History.from_dict(record['history'])
        settings = dict(record['settings'])
        settings['resize'] = tuple(settings['resize']) if isinstance(
            settings['resize'], list) else settings['resize']
        return Run(name, None, history, float(record['seconds']), settings)
    except (OSError, ValueError, KeyError, TypeError):
        return None


CHAPTERS = {'lenet': 1, 'alexnet': 2, 'vgg': 3, 'nin': 4, 'googlenet': 5}


def chapter_runs(names=None, budget='compare', profile=None, refresh=False, seed=0,
                 print_fn=print):
    """``{name: Run}``: for each network the run its chapter notebook kept in this
    profile (``save_run``); a network whose chapter has not run yet (or all, with
    ``refresh=True``) is trained now under ``budget``. Prints where each run came from."""
    from .models import list_models
    prof = _profile(profile)
    names = list(names or list_models())
    runs = {n: None if refresh else load_run(n, prof) for n in names}
    if any(run is None for run in runs.values()):
        _warm_up()
    for name in names:
        if runs[name] is not None:
            print_fn(f'{name:<10} the run of chapter {CHAPTERS.get(name, "?")} '
                     f'({len(runs[name].history)} epoch(s), profile {prof.name!r})')
            continue
        runs[name] = _train(name, {}, None, budget, prof, seed, False, (), name)
        print_fn(f'{name:<10} trained now: its chapter has not run in profile '
                 f'{prof.name!r} ({budget!r} budget, {len(runs[name].history)} epoch(s))')
    return runs


def _warm_up():
    """One tiny fit, so that the first timed network does not pay for loading the data
    and for MXNet's one-off start-up costs."""
    from .core import Trainer
    from .data import FashionMNIST
    from .models import get_model
    data = FashionMNIST(batch_size=64, num_train=128, num_val=64, progress=False)
    Trainer(1, progress=False, board=False).fit(get_model('lenet'), data)


def _axes(figsize):
    import matplotlib.pyplot as plt
    return plt.subplots(figsize=figsize)[1]


def _fmt_num(x, digits=3):
    return '-' if x is None else f'{x:.{digits}f}'


def lab_sizes(name, budget='experiment', profile=None):
    """The data sizes (``num_train``, ``num_val``) of ``budget`` for network ``name``:
    pass them to a ``TrainingLab`` so that its runs take seconds, not minutes."""
    s = budget_settings(name, budget, profile)
    return {'num_train': s['num_train'], 'num_val': s['num_val']}


def speed_rows(runs):
    """Per run: input side, parameters, measured training throughput (examples/s) and
    the seconds a full 60,000-image epoch would take at that rate."""
    rows = []
    for label, run in runs.items():
        rate = run.history.last('examples_per_sec') or float('nan')
        side = run.settings.get('resize')
        rows.append({'label': label, 'resize': side if isinstance(side, int) else side[0],
                     'params': run.settings['params'], 'examples_per_sec': rate,
                     'epoch_seconds': 60000 / rate})
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
                     'params': run.settings['params'], 'seconds': run.seconds})
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


def plot_runs(runs, keys=('train_loss', 'val_acc')):
    """Overlaid curves of ``{label: Run}``, one colour per run: by default the training
    loss and the validation accuracy (pass ``keys`` for more)."""
    from .viz import plot_history
    return plot_history({label: run.history for label, run in runs.items()}, keys)


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
    """Leaf Conv2D / Dense layers of ``net`` in order, labelled conv1.. / dense1.."""
    from mxnet.gluon import nn
    out, counts = [], {'conv': 0, 'dense': 0}

    def walk(block):
        if isinstance(block, (nn.Conv2D, nn.Dense)):
            kind = 'conv' if isinstance(block, nn.Conv2D) else 'dense'
            counts[kind] += 1
            out.append((f'{kind}{counts[kind]}', block))
            return
        for child in block._children.values():
            walk(child)
    walk(net)
    return out


def gradient_norms(model, X, y):
    """L2 norm of each weight layer's gradient after one forward/backward pass of the
    batch (X, y) through ``model`` (a Classifier): ``[(layer, norm), ...]`` from the
    input side to the output."""
    from mxnet import autograd
    from .core import use_np
    use_np()
    layers = _weight_layers(model.net)
    with autograd.record():
        loss = model.loss(model(X), y)
    loss.backward()
    return [(label, float((layer.weight.grad() ** 2).sum().item() ** 0.5))
            for label, layer in layers]


def gradient_norms_by_activation(name, activations=('relu', 'sigmoid'), batch_size=64,
                                 seed=0, profile=None, **overrides):
    """``{activation: [(layer, gradient norm), ...]}`` for freshly initialised copies of
    network ``name`` (as the profile sizes it, plus ``overrides``) that differ only in
    their activation, on the same batch of real Fashion-MNIST images."""
    from .core import set_seed
    from .data import FashionMNIST
    from .models import get_model
    model_kw, _, _ = _profile(profile).split(name, **overrides)
    overrides = {k: v for k, v in model_kw.items() if k not in ('lr', 'activation')}
    out, batch = {}, None
    for act in activations:
        set_seed(seed)
        model = get_model(name, activation=act, **overrides)
        if batch is None:
            side = model.config.input_shape[1:]
            data = FashionMNIST(batch_size=batch_size, resize=side, num_train=batch_size,
                                num_val=10, seed=seed, progress=False)
            batch = next(iter(data.train_dataloader()))
        out[act] = gradient_norms(model, *batch)
    return out


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


def plot_gradient_norms(grads, ax=None):
    """Gradient norm per layer (log scale), one line per activation."""
    if ax is None:
        ax = _axes((5.0, 2.8))
    for name, rows in grads.items():
        ax.plot([label for label, _ in rows], [norm for _, norm in rows], marker='o',
                label=name)
    ax.set_yscale('log')
    ax.set_xlabel('layer (input side → output side)')
    ax.set_ylabel('weight gradient norm')
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


# ----------------------------------------------------------------------------------
# where the parameters and FLOPs sit

def _config(spec, overrides=None):
    """A network config: from a registry name (+ overrides), a model, or a config."""
    from .models import get_config
    if isinstance(spec, str):
        return get_config(spec, **(overrides or {}))
    return getattr(spec, 'config', spec)


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def layer_costs(config):
    """Shape arithmetic over a network config's layer table (no MXNet compute): one
    row (name, kind, params, MACs, output shape) per layer with weights or none,
    nested stages flattened; kind is 'conv', 'dense' or 'other' (BatchNorm's scale and
    shift get their own 'other' row, as in ``week5.summary``); MACs are per example."""
    from .models.blocks import Conv, Dense, Stage
    from .models.googlenet import InceptionSpec

    def walk(specs, shape, prefix):
        for spec in specs:
            name = f'{prefix}.{spec.name}' if prefix else spec.name
            if isinstance(spec, Stage):
                yield from walk(spec.layers, shape, name)
                shape = spec.out_shape(shape, name)
                continue
            out = spec.out_shape(shape, name)
            kind, params, macs, bn = 'other', 0, 0, 0
            if isinstance(spec, Conv):
                weights = shape[0] * spec.channels * spec.kernel_size ** 2
                kind, params, macs = 'conv', weights + spec.channels, weights * out[1] * out[2]
                bn = spec.channels if spec.batch_norm else 0
            elif isinstance(spec, Dense):
                weights = _prod(shape) * spec.units
                kind, params, macs = 'dense', weights + spec.units, weights
                bn = spec.units if spec.batch_norm else 0
            elif isinstance(spec, InceptionSpec):
                rows = inception_branches(shape[0], spec.c1, spec.c2, spec.c3, spec.c4,
                                          (shape[1], shape[2]))
                kind, params, macs = 'conv', sum(r[2] for r in rows), sum(r[3] for r in rows)
                if spec.batch_norm:     # 6 convolutions, each followed by BatchNorm
                    bn = spec.c1 + sum(spec.c2) + sum(spec.c3) + spec.c4
            yield name, kind, params, macs, out
            if bn:                      # BatchNorm's scale and shift: neither conv nor dense
                yield f'{name}.batch_norm', 'other', 2 * bn, 0, out
            shape = out

    return list(walk(config.layers(), config.input_shape, ''))


def param_split(spec, X_shape=None):
    """Parameters and MACs (per example) in convolutions vs dense layers: a dict with
    conv_params, dense_params, conv_macs, dense_macs, total_params, total_macs.

    ``spec``: a network config, a model with a ``.config`` or a registry name (shape
    arithmetic, instant even for VGG at 224x224); or a plain Gluon net with ``X_shape``
    (measured with one forward pass through ``week5.summary``)."""
    out = {'conv_params': 0, 'dense_params': 0, 'conv_macs': 0, 'dense_macs': 0}
    config = _config(spec)
    if hasattr(config, 'layers'):
        rows = [(kind, params, macs) for _, kind, params, macs, _ in layer_costs(config)]
        total = sum(r[1] for r in rows)     # BatchNorm included
    else:
        from .summary import count_params, layer_summary
        if X_shape is None:
            raise ValueError('X_shape is required for a plain Gluon net, e.g. (1, 1, 28, 28)')
        rows = [({'Conv2D': 'conv', 'Dense': 'dense'}.get(r.name, 'other'), r.params,
                 r.flops // X_shape[0]) for r in layer_summary(spec, X_shape, depth=8)]
        total = count_params(spec)
    for kind, params, macs in rows:
        if kind != 'other':
            out[f'{kind}_params'] += params
            out[f'{kind}_macs'] += macs
    out['total_params'] = total
    out['total_macs'] = out['conv_macs'] + out['dense_macs']
    return out


def body_head_rows(name, variants):
    """``{label: param_split(...)}`` for several networks at their configs' input size:
    ``variants`` maps a label to config overrides of network ``name`` (e.g.
    ``dict(arch=...)``), or, with ``name=None``, to a registry name."""
    return {label: param_split(_config(spec) if name is None else _config(name, spec))
            for label, spec in variants.items()}


def body_head_table(name, variants, print_fn=print):
    """Print parameters and MACs of the conv body vs the dense head (``body_head_rows``)."""
    out = body_head_rows(name, variants)
    width = max(len('network'), *(len(k) for k in out))
    print_fn(f'{"network":<{width}}  {"conv params":>12}  {"dense params":>12}  '
             f'{"dense share":>11}  {"conv MACs":>10}  {"dense MACs":>10}')
    for label, s in out.items():
        share = s['dense_params'] / s['total_params'] if s['total_params'] else 0.0
        print_fn(f'{label:<{width}}  {s["conv_params"]:>12,}  {s["dense_params"]:>12,}  '
                 f'{share:>11.1%}  {_human(s["conv_macs"]):>10}  {_human(s["dense_macs"]):>10}')


def stage_rows(name, groups, **overrides):
    """``{group: (params, MACs)}`` for named groups of a network's top-level stages,
    e.g. ``groups={'stem': ('b1', 'b2'), 'body': ('b3', 'b4', 'b5'), 'head': ('dense',)}``
    (names of the config's layer table), per example at the config's input size."""
    rows = layer_costs(_config(name, overrides))
    top = list(dict.fromkeys(r[0].split('.')[0] for r in rows))
    unknown = [st for stages in groups.values() for st in stages if st not in top]
    if unknown:
        raise ValueError(f'groups name unknown stages {unknown}; the stages of {name} are '
                         f'{top}')
    return {g: (sum(r[2] for r in rows if r[0].split('.')[0] in stages),
                sum(r[3] for r in rows if r[0].split('.')[0] in stages))
            for g, stages in groups.items()}


def stage_table(name, groups, print_fn=print, **overrides):
    """Print ``stage_rows`` with each group's share of parameters and MACs."""
    out = stage_rows(name, groups, **overrides)
    total_p = sum(p for p, _ in out.values()) or 1
    total_m = sum(m for _, m in out.values()) or 1
    print_fn(f'{"part":<6}  {"stages":<14}  {"params":>11}  {"share":>6}  {"MACs":>10}  '
             f'{"share":>6}')
    for g, (p, m) in out.items():
        print_fn(f'{g:<6}  {", ".join(groups[g]):<14}  {p:>11,}  {p / total_p:>6.1%}  '
                 f'{_human(m):>10}  {m / total_m:>6.1%}')


def _conv(c_in, c_out, k, size):
    """(params, MACs) of a 'same'-padded k x k convolution on a size (h, w) map."""
    return c_in * c_out * k * k + c_out, c_in * c_out * k * k * size[0] * size[1]


def inception_branches(c_in, c1, c2, c3, c4, size):
    """Per branch of an Inception block on a c_in x size x size input (``size`` an int
    or an (h, w) pair): (label, output channels, params, MACs)."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    def add(*parts):
        return tuple(map(sum, zip(*parts)))
    return [
        ('1x1', c1, *_conv(c_in, c1, 1, size)),
        ('1x1 -> 3x3', c2[1], *add(_conv(c_in, c2[0], 1, size), _conv(c2[0], c2[1], 3, size))),
        ('1x1 -> 5x5', c3[1], *add(_conv(c_in, c3[0], 1, size), _conv(c3[0], c3[1], 5, size))),
        ('pool -> 1x1', c4, *_conv(c_in, c4, 1, size)),
    ]


def inception_params(c_in, c1, c2, c3, c4):
    """Parameters of ``Inception(c1, c2, c3, c4)`` on ``c_in`` input channels."""
    return sum(p for _, _, p, _ in inception_branches(c_in, c1, c2, c3, c4, 1))


def inception_branch_table(c_in, c1, c2, c3, c4, size, print_fn=print):
    """Print what each branch of ``Inception(c1, c2, c3, c4)`` on a c_in x size x size
    input outputs and costs; cross-checked against ``week5.models.Inception``."""
    from .core import use_np
    from .models import Inception
    from .summary import count_params
    from mxnet import np
    rows = inception_branches(c_in, c1, c2, c3, c4, size)
    use_np()
    blk = Inception(c1, c2, c3, c4, in_channels=c_in)
    blk.initialize()
    out_shape = blk(np.zeros((1, c_in, size, size))).shape
    assert count_params(blk) == sum(r[2] for r in rows), 'branch table disagrees with model'
    print_fn(f'input {c_in} x {size} x {size} -> output {tuple(out_shape)[1:]}')
    print_fn(f'{"branch":<12}  {"channels":>8}  {"params":>9}  {"MACs":>10}')
    for label, ch, p, m in rows:
        print_fn(f'{label:<12}  {ch:>8}  {p:>9,}  {_human(m):>10}')
    print_fn(f'{"total":<12}  {sum(r[1] for r in rows):>8}  {sum(r[2] for r in rows):>9,}  '
             f'{_human(sum(r[3] for r in rows)):>10}')


def allocation_rows(c_in, allocations, size):
    """``{label: (output channels, params, MACs)}`` of channel allocations
    ``{label: (c1, c2, c3, c4)}`` of an Inception block on c_in x size x size."""
    out = {}
    for label, (c1, c2, c3, c4) in allocations.items():
        rows = inception_branches(c_in, c1, c2, c3, c4, size)
        out[label] = tuple(sum(r[i] for r in rows) for i in (1, 2, 3))
    return out


def allocation_table(c_in, allocations, size, print_fn=print):
    """Print ``allocation_rows`` as a table."""
    width = max(len('allocation'), *(len(k) for k in allocations))
    print_fn(f'{"allocation":<{width}}  {"channels":>8}  {"params":>9}  {"MACs":>10}')
    for label, (ch, p, m) in allocation_rows(c_in, allocations, size).items():
        print_fn(f'{label:<{width}}  {ch:>8}  {p:>9,}  {_human(m):>10}')


def conv1x1_as_dense(in_channels=8, out_channels=4, size=5, seed=0, print_fn=print):
    """Show that a 1x1 convolution equals a dense layer applied to every pixel's channel
    vector: copy the weights, compare outputs, print the verdict."""
    diff, x_shape, pixels_shape = conv1x1_difference(in_channels, out_channels, size, seed)
    print_fn(f'1x1 convolution: {x_shape} -> {(1, out_channels, size, size)}')
    print_fn(f'dense layer on each of the {size * size} pixels: '
             f'{pixels_shape} -> {(size * size, out_channels)}')
    print_fn(f'same weights, same outputs (max |difference| < 1e-5): {diff < 1e-5}')


def conv1x1_difference(in_channels=8, out_channels=4, size=5, seed=0):
    """(largest |difference| between a 1x1 convolution and a per-pixel dense layer with
    the same weights, input shape, per-pixel matrix shape)."""
    import numpy
    from mxnet import np
    from mxnet.gluon import nn
    from .core import use_np
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


def nin_without_1x1(lr=None, **model_kwargs):
    """A NiN model (``get_model('nin', ...)``) whose blocks keep only their first
    convolution: the 1x1 'mlp' convolutions are removed, the rest is unchanged."""
    from mxnet import init
    from .models import get_model
    from .models.blocks import Stage, build
    model = get_model('nin', **({'lr': lr} if lr is not None else {}), **model_kwargs)
    specs = []
    for spec in model.config.layers():
        if isinstance(spec, Stage):
            spec = Stage(spec.name, tuple(s for s in spec.layers
                                         if not s.name.startswith('mlp')))
        specs.append(spec)
    model.net = build(specs, model.config.input_shape)
    model.net.initialize(init.Xavier())
    return model


# ----------------------------------------------------------------------------------
# the architecture figure

_KIND_COLOURS = {'conv': '#4c72b0', 'pool': '#dd8452', 'dense': '#55a868',
                 'block': '#8172b3', 'other': '#999999'}


def _describe(block):
    """A short name of one layer: 'conv 5x5', 'max-pool 3x3', 'dense', 'Inception'..."""
    from mxnet.gluon import nn
    if isinstance(block, nn.Conv2D):
        k = block._kwargs['kernel']
        return f'conv {k[0]}x{k[1]}'
    kw = getattr(block, '_kwargs', {})
    if 'pool_type' in kw:
        if kw.get('global_pool'):
            return f'global {kw["pool_type"]}-pool'
        return f'{kw["pool_type"]}-pool {kw["kernel"][0]}x{kw["kernel"][1]}'
    if isinstance(block, nn.Dense):
        return 'dense'
    if isinstance(block, nn.HybridSequential) or isinstance(block, nn.Sequential):
        return None                       # described by its children
    return type(block).__name__


def _composition(block):
    """'2x conv 3x3, max-pool 2x2' for a stage; the layer itself for a leaf."""
    from mxnet.gluon import nn
    if not isinstance(block, (nn.HybridSequential, nn.Sequential)):
        return _describe(block) or ''
    parts = []
    for child in block._children.values():
        text = _describe(child)
        if text is None:
            text = _composition(child)
        if parts and parts[-1][0] == text:
            parts[-1][1] += 1
        else:
            parts.append([text, 1])
    return '\n'.join(f'{n}x {t}' if n > 1 else t for t, n in parts)


def _kind(block):
    from mxnet.gluon import nn
    if isinstance(block, nn.Conv2D):
        return 'conv'
    if isinstance(block, nn.Dense):
        return 'dense'
    if 'pool_type' in getattr(block, '_kwargs', {}):
        return 'pool'
    if block._children:
        return 'block'
    return 'other'


def architecture_rows(model, X_shape):
    """One row per top-level layer or stage: (name, kind, what it contains, output
    shape, params, MACs); names come from the model's config when it has one."""
    from .summary import layer_summary
    rows = layer_summary(model, X_shape, depth=1)
    net = getattr(model, 'net', model)
    names = [r.name for r in rows]
    config = getattr(model, 'config', None)
    if config is not None:
        top = [n for n, _ in config.shapes() if '.' not in n]
        if len(top) == len(rows):
            names = top
    children = list(net._children.values())
    return [(name, _kind(child), _composition(child), r.output_shape, r.params, r.flops)
            for name, child, r in zip(names, children, rows)]


def draw_architecture(model, X_shape, ax=None):
    """Draw a network left to right: the input, then one box per top-level layer or
    stage, its height growing with the feature map's side and its width with the
    channels; under each box its output shape and what it contains. Returns the axes."""
    import math
    from matplotlib.patches import Rectangle
    rows = [('input', 'other', '', tuple(X_shape), 0, 0)] + architecture_rows(model, X_shape)
    if ax is None:
        ax = _axes((max(7.0, 1.05 * len(rows) + 1.0), 3.6))
    x, top = 0.0, 0.0
    for name, kind, what, shape, params, _ in rows:
        channels = shape[1] if len(shape) > 1 else 1
        side = shape[2] if len(shape) == 4 else 1
        w = 0.3 + 0.1 * math.log2(channels + 1)
        h = 0.5 + 0.5 * math.log2(side + 1)
        top = max(top, h)
        ax.add_patch(Rectangle((x, 0), w, h, facecolor=_KIND_COLOURS[kind],
                               edgecolor='black', alpha=0.85))
        ax.text(x + w / 2, h + 0.15, name, ha='center', va='bottom', fontsize=8,
                fontweight='bold')
        dims = 'x'.join(str(d) for d in shape[1:])
        ax.text(x + w / 2, -0.2, dims, ha='center', va='top', fontsize=7)
        if what:
            ax.text(x + w / 2, -0.75, what, ha='center', va='top', fontsize=6,
                    color='#333333')
        x += w + 0.6
    ax.set_xlim(-0.3, x - 0.3)
    ax.set_ylim(-4.0, top + 1.0)
    ax.axis('off')
    kinds = [k for k in _KIND_COLOURS if any(r[1] == k for r in rows[1:])]
    handles = [Rectangle((0, 0), 1, 1, facecolor=_KIND_COLOURS[k]) for k in kinds]
    ax.legend(handles, kinds, loc='upper right', fontsize=7, ncol=len(kinds),
              frameon=False)
    return ax


# ----------------------------------------------------------------------------------
# compute: this machine vs a GPU

# NVIDIA's published peak single-precision (FP32) throughput, without tensor cores.
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
    import numpy
    if not isinstance(n, int) or n < 16:
        raise ValueError(f'n must be an int >= 16 (the matrix side), got {n!r}')
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f'repeats must be an int >= 1, got {repeats!r}')
    rng = numpy.random.RandomState(0)
    A = rng.standard_normal((n, n)).astype('float32')
    B = rng.standard_normal((n, n)).astype('float32')
    if use_mxnet:
        from mxnet import np, npx
        from .core import use_np
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


# ----------------------------------------------------------------------------------
# chapter 6: all five networks

def cost_rows(names=None):
    """``{name: param_split(...)}`` of each network at the book's input size (the
    configs' defaults: 28x28 LeNet, 96x96 GoogLeNet, 224x224 the others)."""
    from .models import list_models
    return {name: param_split(_config(name)) for name in (names or list_models())}


def cost_table(names=None, print_fn=print):
    """Print parameters and MACs per example of each network at the book's input size,
    with the share of parameters in dense layers."""
    print_fn(f'{"network":<10}  {"input":>9}  {"params":>12}  {"in dense":>8}  '
             f'{"MACs":>10}')
    for name, s in cost_rows(names).items():
        _, h, w = _config(name).input_shape
        share = s['dense_params'] / s['total_params']
        print_fn(f'{name:<10}  {h:>4}x{w:<4}  {s["total_params"]:>12,}  '
                 f'{share:>8.1%}  {_human(s["total_macs"]):>10}')


def plot_accuracy_vs_cost(runs, ax=None):
    """Validation accuracy against training time per example, one point per network
    (``{label: Run}`` from ``compare`` runs of different networks)."""
    if ax is None:
        ax = _axes((5.0, 3.2))
    for i, (label, run) in enumerate(runs.items()):
        per_example = 1e3 / run.history.last('examples_per_sec', float('nan'))
        acc = run.history.last('val_acc')
        ax.scatter([per_example], [acc], s=60, color=f'C{i % 10}', label=label)
        ax.annotate(label, (per_example, acc), textcoords='offset points', xytext=(5, 5),
                    fontsize=8)
    ax.set_xscale('log')
    ax.set_xlabel('training time per example (ms, log scale)')
    ax.set_ylabel('validation accuracy')
    ax.grid(True, alpha=0.3)
    return ax
