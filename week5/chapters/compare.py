"""Chapter 6, the five networks side by side: the runs the chapters kept (or trained here
when a chapter has not run), their recipes, speed, accuracy over seeds and cost, the
short budget beside each chapter's long one and beside each network's 0.90 recipe trained
long, and the mistakes the best network makes."""
import datetime
import fcntl
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from mxnet import npx

from ..claims import CHAPTERS, budget_recipe, claim, kept_run, mean_std, run_metric, runs_at_chance
from ..data import TEXT_LABELS
from ..png import SLIDE_FONT
from ..models import MODELS, list_models
from ..files import atomic_write_json
from ..profiles import LONG_THREADS, get_profile, trained_long
from ..recipe import FULL_TRAIN, Recipe, RunLoadError, _absolute
from ..results import about_times, compare_words, record
from ..runtime import cpu_info
from ..sidebyside import Job, fit_alone
from ..summary import param_split
from ..viz import confusion_matrix, new_axes, plot_confusion_matrix, show_image_grid

__all__ = ['COMMON_TRAINING', 'MODERN_LENET', 'common_recipe', 'train_networks',
           'train_networks_seeds', 'recipes_table', 'chapter_runs', 'speed_rows',
           'speed_table', 'cost_points', 'plot_accuracy_vs_cost', 'claim_bigger_params',
           'record_accuracy', 'long_budget_table', 'LONG_RESULTS', 'LONG_COMMAND', 'long_runs',
           'long_table', 'long_reading', 'Mistakes', 'mistakes', 'plot_confusion',
           'plot_confident_mistakes']


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


# ------------------------------------------------------- the long budget, and the mistakes
def long_budget_table(short, long, print_fn=print):
    """Per network, the short budget's validation accuracy (``short``: ``{name: [Run per
    seed]}``, the common recipe) beside the longer one's (``long``: ``{name: Run}``, the
    run its chapter kept: the chapter's recipe and images, or the short budget when the
    chapter has not run), with the images and epochs of each. Records ``short_val`` and ``long_val``
    (``{name: mean val acc}``), ``long_min`` / ``long_max`` and ``long_best`` (a name)."""
    print_fn(f'{"network":<10}  {"short: images":>13}  {"epochs":>6}  {"val acc":>13}'
             f'  {"chapter: images":>15}  {"epochs":>6}  {"val acc":>7}')
    short_val, long_val = {}, {}
    for name in long:
        runs, run = short[name], long[name]
        mean, sd = mean_std([r.final('val_acc') for r in runs])
        short_val[name], long_val[name] = mean, run.final('val_acc')
        images = _absolute(run.recipe.num_train, FULL_TRAIN)
        print_fn(f'{name:<10}  {_absolute(runs[0].recipe.num_train, FULL_TRAIN):>13,}  '
                 f'{len(runs[0].history):>6}  '
                 f'{mean:>6.3f} ± {sd:.3f}  {images:>15,}  {len(run.history):>6}  '
                 f'{long_val[name]:>7.3f}')
    record('short_val', short_val)
    record('long_val', long_val)
    record('long_min', min(long_val.values()))
    record('long_max', max(long_val.values()))
    return record('long_best', max(long_val, key=long_val.get))


# ----------------------------------------------------------------------------------
# trained long with the 0.90 recipes (profiles.TRAINED_LONG), all 60,000 images

# The long runs take minutes each, more than a chapter can spend: a run memoised on this
# machine is loaded; else the table below, written by ``write_long_results`` on the
# machine it names, is shown; else (``train=True``) the run is trained.
LONG_RESULTS = Path(__file__).with_name('long_results.json')
LONG_COMMAND = 'python -c "from week5.chapters import compare; compare.write_long_results()"'


def _long_row(run, source):
    recipe = run.recipe
    return {'network': recipe.network, 'recipe': recipe.to_dict(),
            'val_acc': run.final('val_acc'), 'curve': run.history['val_acc'],
            'images': recipe.num_train or 60000, 'epochs': len(run.history),
            'seconds': run.seconds, 'trained_at': run.trained_at, 'source': source,
            'run': run}


def _stored_rows(path=LONG_RESULTS):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        return {'rows': {}}


def long_runs(names=None, profile=None, train=False, path=LONG_RESULTS, print_fn=print):
    """``{name: row or None}``: each network's long-budget result (``trained_long``):
    the run memoised on this machine (with its weights), else the stored table's row when
    it was made with the same recipe, else trained now when ``train`` (always in the quick
    profile, where it takes seconds), else None. A row has 'val_acc', 'curve', 'images',
    'epochs', 'seconds', 'trained_at', 'source' and 'run' (None when stored)."""
    prof = get_profile(profile)
    train = train or prof.name == 'quick'
    stored = _stored_rows(path)
    out = {}
    for name in names or list_models():
        recipe = trained_long(name, prof)
        run = recipe.memoised(name, print_fn=lambda *_: None)
        if run is not None:
            when = (run.trained_at or '?')[:16].replace('T', ' ')
            out[name] = _long_row(run, f'loaded, trained here {when}')
            continue
        row = stored['rows'].get(name)
        if row is not None and row['recipe'] == recipe.to_dict():
            out[name] = dict(row, source='stored', run=None)
        elif train:
            out[name] = _long_row(_train_long(recipe, name, prof, print_fn)[0], 'trained now')
        else:
            out[name] = None
    missing = [n for n, row in out.items() if row is None]
    if missing:
        print_fn(f'not trained long yet: {", ".join(missing)} (minutes each: '
                 f'compare.long_runs(train=True) trains them)')
    if any(row is not None and row['source'] == 'stored' for row in out.values()):
        m = stored['machine']
        print_fn(f'stored: trained on {m["date"]} on {m["cpu"]} ({m["isa"]}, {m["cores"]} '
                 f'cores, load {m["load"]:.1f}) by: {stored["command"]}')
    return out


def _train_long(recipe, name, profile, print_fn):
    """(Run, CPU seconds of its fit or None when loaded): the long run of ``recipe``,
    loaded when memoised, else trained alone in a worker process with ``LONG_THREADS``
    OpenMP threads per operator (``sidebyside.fit_alone``: a long run has the machine to
    itself); in the quick profile here, in seconds."""
    run = recipe.memoised(name, print_fn=print_fn)
    if run is not None:
        return run, None
    if get_profile(profile).name == 'quick':
        cpu = time.process_time()
        run = recipe.fit(name, retrain=True, print_fn=print_fn)
        return run, time.process_time() - cpu
    return fit_alone(Job(recipe, name), threads=LONG_THREADS)


# not in __all__: the notebook never calls it; LONG_COMMAND (the stored table's maker) does
def write_long_results(names=None, path=LONG_RESULTS, profile='laptop', print_fn=print):
    """Train (or load, when memoised) each network's long recipe of ``profile`` and
    store the results ``long_runs`` shows where the runs are not on this machine, with
    the machine, the date and the command that made them; rows of networks not named are
    kept (read again just before writing, under a lock, so that two processes may each
    train some). Returns ``{name: row}``, each row with the fit's CPU seconds and the load."""
    rows = {}
    for name in names or list_models():
        run, cpu = _train_long(trained_long(name, profile), name, profile, print_fn)
        row = _long_row(run, 'stored')
        row['cpu_seconds'] = cpu                   # None: loaded, trained before
        row['threads'] = LONG_THREADS
        row['load'] = os.getloadavg()[0]           # other processes inflate 'seconds'
        rows[name] = row
        print_fn(f'{name:<10} val acc {row["val_acc"]:.3f} after {row["epochs"]} epochs, '
                 f'{row["seconds"]:.0f} s wall'
                 + (f', {cpu:.0f} s CPU' if cpu is not None else ' (loaded)'))
    cpu, isa = cpu_info()
    with open(Path(tempfile.gettempdir()) / 'week5-long-results.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = _stored_rows(path)
        for name, row in rows.items():
            stored['rows'][name] = {k: v for k, v in row.items() if k not in ('run', 'source')}
        stored['machine'] = {'cpu': cpu, 'isa': isa, 'cores': os.cpu_count(),
                             'load': os.getloadavg()[0],
                             'date': datetime.date.today().isoformat()}
        stored['command'] = LONG_COMMAND
        atomic_write_json(path, stored)
    return rows


def long_table(short, long, print_fn=print):
    """Per network: the short budget's val acc (mean ± std over the seeds of ``short``,
    ``{name: [Run, ...]}``, with its images and epochs) beside the long budget's
    (``long_runs``), and where the long result comes from."""
    print_fn(f'{"network":<10}  {"short budget":>15}  {"images x ep":>11}  '
             f'{"trained long":>12}  {"images x ep":>11}  from')
    for name in long:
        runs, row = short.get(name), long[name]
        if runs:
            mean, std = mean_std([r.final('val_acc') for r in runs])
            size = f'{runs[0].recipe.num_train or 60000:,} x {len(runs[0].history)}'
            left = f'{mean:>7.3f} ± {std:.3f}  {size:>11}'
        else:
            left = f'{"-":>15}  {"-":>11}'
        if row:
            size = f'{row["images"]:,} x {row["epochs"]}'
            right = f'{row["val_acc"]:>12.3f}  {size:>11}  {row["source"]}'
        else:
            right = f'{"-":>12}  {"-":>11}  not trained long'
        print_fn(f'{name:<10}  {left}  {right}')


# what "near the same accuracy" means: the long runs' best and worst within this much
SATURATION_POINTS = 2.0


def long_reading(long):
    """What the long runs say, chosen from their numbers: ``{'best', 'worst', 'spread'
    (points), 'words'}`` — 'saturate near the same accuracy' when the best and the worst
    are within SATURATION_POINTS, else who leads by how much; None without two results."""
    accs = {n: row['val_acc'] for n, row in long.items() if row is not None}
    if len(accs) < 2:
        return None
    best, worst = max(accs, key=accs.get), min(accs, key=accs.get)
    spread = 100 * (accs[best] - accs[worst])
    together = spread <= SATURATION_POINTS
    words = ('saturate near the same accuracy' if together else
             f'do not saturate together ({best} ahead of {worst} by {spread:.1f} points)')
    meaning = ('the extra depth and width that paid off on ImageNet buy little on these '
               'small grey images' if together else
               'the architecture still matters on these small grey images')
    return {'best': best, 'worst': worst, 'spread': spread, 'words': words, 'meaning': meaning,
            'hi': accs[best], 'lo': accs[worst], 'networks': len(accs)}


@dataclass
class Mistakes:
    """A trained network's predictions on its validation images: true labels, predicted
    labels, the softmax probability of each prediction, and the 28x28 images."""
    name: str
    y_true: np.ndarray
    y_pred: np.ndarray
    confidence: np.ndarray
    images: np.ndarray

    def counts(self):
        """Confusion counts: [true class, predicted class]."""
        return confusion_matrix(self.y_true, self.y_pred, len(TEXT_LABELS))

    def most_confident(self, n=12):
        """Indices of the ``n`` wrong predictions made with the highest probability."""
        wrong = np.flatnonzero(self.y_true != self.y_pred)
        return wrong[np.argsort(-self.confidence[wrong], kind='stable')][:n]


def mistakes(name, profile=None, run=None):
    """``Mistakes`` of ``run`` (a Run of network ``name``; without its model, or None: the
    run its chapter kept in this profile, with its weights), on the validation images of
    its recipe. Records
    ``confused_pair`` (words: which class is most often taken for which) and
    ``confused_share`` (the share of that true class's images so taken)."""
    if run is None or run.model is None:            # a kept run is loaded without weights
        run = kept_run(name, profile, weights=True)
    data = run.recipe.replace(augment=False).data()
    preds, confs = [], []
    for X, _ in data.val_dataloader():
        p = npx.softmax(run.model(X))
        preds.append(p.argmax(axis=1).asnumpy().astype(np.int64))
        confs.append(p.max(axis=1).asnumpy())
    found = Mistakes(name, data.val.labels.astype(np.int64), np.concatenate(preds),
                     np.concatenate(confs), data.val.images)
    counts = found.counts().astype(float)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    np.fill_diagonal(share, 0.0)
    true, pred = np.unravel_index(np.argmax(share), share.shape)
    record('confused_pair', f'{TEXT_LABELS[true]} taken for {TEXT_LABELS[pred]}')
    record('confused_share', float(share[true, pred]))
    return found


def plot_confusion(found, ax=None):
    """The confusion matrix of ``Mistakes`` (rows: true class, percent of its images per
    predicted class, empty under 0.5 %), with class names, at a slide's text size. Returns
    the axes."""
    if ax is None:
        ax = new_axes(figsize=(7.0, 5.2))   # a slide of its own: under 720 px with its code line
    plot_confusion_matrix(found.counts(), TEXT_LABELS, ax=ax, percent=True)
    for text in ax.texts + ax.get_xticklabels() + ax.get_yticklabels():
        text.set_fontsize(SLIDE_FONT)
    ax.xaxis.label.set_fontsize(SLIDE_FONT)
    ax.yaxis.label.set_fontsize(SLIDE_FONT)
    ax.set_title(f'{found.name}: % of each true class, {len(found.y_true):,} validation images',
                 fontsize=SLIDE_FONT)
    return ax


def plot_confident_mistakes(found, n=12, num_cols=6):
    """The ``n`` most confident mistakes of ``Mistakes``: each image titled with its true
    class, then '→ predicted class' and the probability given to it. Returns the axes."""
    idx = found.most_confident(n)
    axes = show_image_grid(found.images[idx], found.y_true[idx], found.y_pred[idx],
                           class_names=TEXT_LABELS, num_cols=num_cols, scale=2.0)
    for a, i in zip(axes, idx):   # one short line each: a long one runs into its neighbour's
        a.set_title(f'{TEXT_LABELS[found.y_true[i]]}\n→ {TEXT_LABELS[found.y_pred[i]]}\n'
                    f'p = {found.confidence[i]:.2f}', fontsize=SLIDE_FONT, color='red')
    axes[0].figure.subplots_adjust(hspace=0.9, wspace=0.3)   # three title lines per row
    return axes
def record_accuracy(runs, key='val_acc'):
    """Record what sections 4-5 say about ``{name: [Run per seed]}`` under one budget, as
    ``compare_acc``: each network's mean (by registry name), ``spread`` (the largest
    standard deviation between seeds), the best and worst network over all five and over
    the four larger ones (``best``, ``worst``, ``best_larger``, ``worst_larger``, display
    names) with the gaps (``gap``, ``larger_gap``), the larger ones' range (``larger_low``,
    ``larger_high``), where LeNet stands (``lenet_words``), AlexNet against NiN
    (``alexnet_nin_words``, ``alexnet_nin_params``: 'about 11 times'), the runs at chance
    (``chance_words``) and the parameter updates each run made (``updates``). Returns it."""
    stats = {n: mean_std(run_metric(rs, key)) for n, rs in runs.items()}
    means = {n: m for n, (m, _) in stats.items()}
    spread = max(sd for _, sd in stats.values())
    shown = {n: getattr(MODELS.get(n), '__name__', n) for n in runs}
    larger = [n for n in runs if n != 'lenet']
    best, worst = max(means, key=means.get), min(means, key=means.get)
    best_l, worst_l = max(larger, key=means.get), min(larger, key=means.get)
    lo, hi = means[worst_l], means[best_l]
    lenet = means.get('lenet')
    where = ('ahead of all four' if lenet > hi else 'behind all four' if lenet < lo
             else 'in the middle of the four')
    stuck = runs_at_chance(runs, list(runs))
    recipe = runs[best][0].recipe
    values = dict(means, spread=spread, best=shown[best], worst=shown[worst],
                  gap=means[best] - means[worst], best_larger=shown[best_l],
                  worst_larger=shown[worst_l], larger_gap=hi - lo, larger_low=lo,
                  larger_high=hi, lenet_words=f'{where} larger networks',
                  chance_words=('no run ends at chance' if not stuck else
                                f'{len(stuck)} run(s) end at chance (' +
                                ', '.join(sorted({shown[n] for n, _, _ in stuck})) + ')'),
                  updates=-(-(recipe.num_train or 60000) // recipe.batch_size) * recipe.num_epochs)
    if 'alexnet' in runs and 'nin' in runs:
        values['alexnet_nin_words'] = compare_words(means['alexnet'], means['nin'], spread,
                                                    'ahead of', 'behind', 'within the seed spread of')
        values['alexnet_nin_params'] = about_times(runs['alexnet'][0].params / runs['nin'][0].params)
    return record('compare_acc', values)
