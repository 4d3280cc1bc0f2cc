"""Chapter 6, the five networks side by side: the runs the chapters kept (or trained here
when a chapter has not run), their recipes, speed, accuracy over seeds and cost."""
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..claims import CHAPTERS, budget_recipe, claim, kept_run
from ..viz import new_axes
from ..png import SLIDE_FONT
from ..models import list_models
from ..profiles import get_profile
from ..recipe import Recipe, RunLoadError
from ..summary import param_split

__all__ = ['COMMON_TRAINING', 'MODERN_LENET', 'common_recipe', 'train_networks',
           'train_networks_seeds', 'recipes_table', 'chapter_runs', 'speed_rows',
           'speed_table', 'cost_points', 'plot_accuracy_vs_cost', 'claim_bigger_params']


# One training recipe for all five networks in the accuracy comparison, so that what
# differs between them is the architecture (and its input side): batch norm before every
# activation (what NiN and GoogLeNet need to leave their plateau in a few minutes, given
# to all), He initialisation, SGD with momentum 0.9 and a cosine decay from 0.1.
COMMON_TRAINING = dict(batch_norm=True, init='kaiming', momentum=0.9, lr_schedule='cosine',
                       lr=0.1)
# LeNet with chapter 1's modern choices (ReLU and max pooling instead of the 1998 scaled
# tanh / sigmoid and average pooling): the comparison is about the architecture's depth,
# width and head, not about the activation, which chapter 1 measures on its own.
MODERN_LENET = dict(activation='relu', pool='max')


def common_recipe(name, budget='compare', profile=None, seed=None, common=True):
    """The recipe of network ``name`` in the comparison: the profile's, with
    ``COMMON_TRAINING`` (and ``MODERN_LENET`` for LeNet) when ``common``, shrunk by
    ``budget``; every network gets the same data subset and epochs."""
    changes = dict(COMMON_TRAINING, **(MODERN_LENET if name == 'lenet' else {})) \
        if common else {}
    return budget_recipe(name, budget, profile, seed=seed, **changes)


def train_networks(names=None, budget='compare', profile=None, seed=0, progress=False,
                   common=True):
    """Train several networks (registry names) under the same budget (the same data
    subset and epochs) and, with ``common``, the same training recipe
    (``common_recipe``); returns ``{name: Run}``."""
    _warm_up()
    return {name: common_recipe(name, budget, profile, seed, common).fit(name, progress=progress)
            for name in (names or list_models())}


def train_networks_seeds(names=None, seeds=(0, 1, 2), budget='compare', profile=None,
                         common=True):
    """``train_networks`` once per seed: ``{name: [Run for each seed]}``."""
    runs = {name: [] for name in (names or list_models())}
    for seed in seeds:
        for name, run in train_networks(list(runs), budget, profile, seed,
                                        common=common).items():
            runs[name].append(run)
    return runs


def recipes_table(names=None, budget='compare', profile=None, common=True, print_fn=print):
    """The networks' recipes under one budget side by side (``common``: as
    ``common_recipe`` makes them): input, activation, pooling, optimizer, learning rate,
    schedule, initialisation, batch norm (BN), training images and epochs."""
    recipes = {n: common_recipe(n, budget, profile, common=common)
               for n in (names or list_models())}
    keys = ('input', 'activation', 'pool', 'optimizer', 'lr', 'lr_schedule', 'init',
            'batch_norm', 'num_train', 'num_epochs')
    # short headings keep the table within 105 characters: it fits a slide at full size
    heads = dict(zip(keys, ('input', 'activation', 'pool', 'optimizer', 'lr', 'schedule',
                            'init', 'BN', 'train', 'epochs')))
    rows = {n: dict(r.items()) for n, r in recipes.items()}
    widths = [max(len(heads[k]), *(len(rows[n].get(k, '-')) for n in rows)) for k in keys]
    print_fn(f'{"network":<10}  ' + '  '.join(f'{heads[k]:<{w}}' for k, w in zip(keys, widths)))
    for n in rows:
        print_fn((f'{n:<10}  ' + '  '.join(f'{rows[n].get(k, "-"):<{w}}'
                                            for k, w in zip(keys, widths))).rstrip())


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


def claim_bigger_params(name, profile, heavy, light, factor=3.0, print_fn=print):
    """Claim that each network in ``light`` trains at least ``factor`` times fewer
    parameters than each in ``heavy``, as the profile's recipes build them."""
    prof = get_profile(profile)
    params = {n: param_split(prof.recipe(n).config)['total_params'] for n in heavy + light}
    ratio = min(params[h] for h in heavy) / max(params[l] for l in light)
    text = ', '.join(f'{n} {params[n]:,}' for n in heavy + light) + \
        f' parameters in profile {prof.name!r}: heavy/light >= {ratio:.1f}x'
    return claim(name, ratio >= factor, text, print_fn)


def cost_points(runs, cost='time'):
    """``{label: (x, [val acc of each seed], mean val acc)}`` of ``{label: Run}`` or
    ``{label: [Run, ...]}``: x is the parameters (``cost='params'``) or the mean training
    time per example in ms (``cost='time'``)."""
    if cost not in ('time', 'params'):
        raise ValueError(f"cost must be 'time' or 'params', got {cost!r}")
    points = {}
    for label, seeded in runs.items():
        seeded = seeded if isinstance(seeded, (list, tuple)) else [seeded]
        accs = [float(r.history.last('val_acc')) for r in seeded]
        if cost == 'params':
            x = float(seeded[0].params)
        else:
            x = float(np.mean([1e3 / r.history.last('examples_per_sec', float('nan'))
                               for r in seeded]))
        points[label] = (x, accs, float(np.mean(accs)))
    return points


def _short_number(value, _pos=None):
    """0.5, 20, 200k, 2M: a log axis' tick label."""
    for size, unit in ((1e6, 'M'), (1e3, 'k')):
        if value >= size:
            return f'{value / size:g}{unit}'
    return f'{value:g}'


def _plain_log_ticks(ax):
    """Labels only at 1, 2, 5 x 10^k (at 10^k alone over more than two decades), written
    plainly: matplotlib's minor labels (3x10^-1, 4x10^-1, ...) collide at slide-sized
    fonts."""
    lo, hi = ax.get_xlim()
    subs = (1.0,) if hi / lo > 100 else (1.0, 2.0, 5.0)
    ax.xaxis.set_major_locator(LogLocator(subs=subs))
    ax.xaxis.set_major_formatter(FuncFormatter(_short_number))
    ax.xaxis.set_minor_formatter(NullFormatter())


def plot_accuracy_vs_cost(runs, ax=None, cost='time'):
    """Validation accuracy against cost: ``{label: Run}`` or ``{label: [Run, ...]}`` over
    seeds. Each seed is a small dot, the mean over seeds a short bar through them (no
    error bar: it would span values no seed reached). ``cost``: 'time' (training ms per
    example, log scale) or 'params' (learned parameters, log scale)."""
    if ax is None:
        ax = new_axes(figsize=(6.0, 3.4))
    for i, (label, (x, accs, mean)) in enumerate(cost_points(runs, cost).items()):
        color = f'C{i % 10}'
        ax.scatter([x] * len(accs), accs, s=22, color=color, alpha=0.75, zorder=3,
                   label='one seed' if i == 0 else None)
        ax.scatter([x], [mean], marker='_', s=500, linewidths=2.5, color=color, zorder=4,
                   label='mean over seeds' if i == 0 else None)
        ax.annotate(label, (x, mean), textcoords='offset points', xytext=(12, -3),
                    fontsize=SLIDE_FONT)
    ax.set_xscale('log')
    ax.set_xlabel('training time per example (ms, log scale)' if cost == 'time'
                  else 'learned parameters (log scale)')
    ax.set_ylabel('validation accuracy')
    ax.margins(x=0.25, y=0.15)
    _plain_log_ticks(ax)
    ax.grid(True, alpha=0.3)
    # above the panel, outside the data; the rcParams' size (slide-sized in the slides)
    ax.legend(loc='lower left', bbox_to_anchor=(0.0, 1.02), borderaxespad=0.0, ncol=2,
              frameon=False)
    return ax
