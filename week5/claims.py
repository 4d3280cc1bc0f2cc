"""Claims and seeded comparisons: what every chapter uses to test a sentence by a run.

* ``claim`` / ``claim_greater`` / ``claim_within`` print one verdict line,
  ``[week5 claim] name: HOLDS - evidence``, from runs (``parse_claims`` reads them back);
* ``compare`` / ``compare_seeds`` train variants of a network side by side under a named
  budget, ``seeds_table`` / ``runs_table`` / ``final_metrics`` print them, ``best_variant``,
  ``mean_metric`` and ``within`` read them;
* ``keep_run`` / ``kept_run``: the runs the chapters keep for chapter 6.

Every run is a ``Recipe`` (week5/recipe.py): the profile's (``WEEK5_PROFILE``), shrunk
by a budget (``recipe.BUDGETS``), with the variant's changes; ``Recipe.build`` assembles
it. A chapter's own experiments are in its module, week5/chapters/. Tables are printed
with fixed formatting from integer counts, so the cells that print them are deterministic.
"""
import json
import math
import re
from dataclasses import dataclass
from typing import Optional

from .callbacks import Callback
from .profiles import get_profile
from .recipe import Run, load_run, runs_dir, save_run, shrink
from .results import record
from .sidebyside import Job, fit_all

__all__ = ['CHAPTERS', 'CLAIM_RE', 'Claim', 'claim', 'parse_claims', 'runs_at_chance',
           'untestable', 'claim_greater',
           'claim_within', 'mean_std', 'compare_seeds', 'seeds_table',
           'clean_train_accuracy', 'CleanTrainAccuracy', 'Regime', 'regimes_table',
           'mean_metric', 'best_variant', 'within',
           'budget_recipe', 'compare', 'keep_run', 'kept_run', 'run_rows',
           'runs_table', 'final_metrics']


# ----------------------------------------------------------------------------------
# claims: every comparative sentence of a chapter is a verdict printed by its experiment

CLAIM_RE = re.compile(r'^\[week5 claim\] ([a-z0-9_]+): (HOLDS|DOES NOT HOLD|NOT TESTABLE) - (.+)$',
                      re.MULTILINE)
NUM_CLASSES = 10               # Fashion-MNIST: chance is 0.10
CHANCE_MARGIN = 0.05           # a run whose val acc is below chance + this learned nothing
ACCURACY_KEYS = ('val_acc', 'train_acc', 'clean_train_acc', 'clean_gap')


@dataclass(frozen=True)
class Claim:
    """A chapter's claim and what its experiment showed. ``str()`` is the verdict line,
    ``[week5 claim] name: HOLDS - evidence`` (or ``DOES NOT HOLD``, or ``NOT TESTABLE``
    when ``holds`` is None: a compared run learned nothing), which tests/test_claims.py
    reads back from the committed notebooks."""
    name: str
    holds: Optional[bool]
    evidence: str

    @property
    def verdict(self):
        return {True: 'HOLDS', False: 'DOES NOT HOLD', None: 'NOT TESTABLE'}[self.holds]

    def __str__(self):
        return f'[week5 claim] {self.name}: {self.verdict} - {self.evidence}'

    def _ipython_display_(self):
        """Shown as a cell's last value: nothing, the verdict line is printed already."""


def claim(name, holds, evidence, print_fn=print):
    """Print and return the verdict line of claim ``name`` (a snake_case identifier), and
    record it for the chapter's text under the same name: ``{glue:text}`name.verdict```
    and ``{glue:text}`name.evidence``` (week5/results.py)."""
    if not re.fullmatch(r'[a-z0-9_]+', name):
        raise ValueError(f'claim name {name!r} must be snake_case, e.g. relu_beats_sigmoid')
    verdict = Claim(name, None if holds is None else bool(holds), evidence)
    print_fn(str(verdict))
    return record(name, verdict)


def parse_claims(text):
    """[(name, holds, evidence)] of the verdict lines in ``text`` (holds: True for HOLDS,
    False for DOES NOT HOLD, None for NOT TESTABLE)."""
    verdicts = {'HOLDS': True, 'DOES NOT HOLD': False, 'NOT TESTABLE': None}
    return [(n, verdicts[v], e) for n, v, e in CLAIM_RE.findall(text)]


def runs_at_chance(runs, labels):
    """``[(label, seed index, val acc)]`` of the compared runs that ended at chance (val acc
    below 1/10 + CHANCE_MARGIN): a run that learned nothing is no baseline and no winner."""
    return [(label, i, acc) for label in labels for i, run in enumerate(runs[label])
            if (acc := run.final('val_acc')) is not None
            and acc < 1 / NUM_CLASSES + CHANCE_MARGIN]


def untestable(name, runs, labels, key, print_fn=print):
    """The NOT TESTABLE verdict when a compared run is at chance and the claim is about
    accuracy (a timing or a parameter count of such a run still counts); else None."""
    if key not in ACCURACY_KEYS:
        return None
    stuck = runs_at_chance(runs, labels)
    if not stuck:
        return None
    which = ', '.join(f'{label} seed {i} at val acc {acc:.3f}' for label, i, acc in stuck)
    return claim(name, None, f'{which}, chance is {1 / NUM_CLASSES:.2f}: a run that learned '
                             'nothing cannot be compared; train it longer or fix its recipe',
                 print_fn)


def mean_std(values):
    """(mean, sample standard deviation) of a list of numbers (std 0 for one value)."""
    values = [float(v) for v in values]
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def run_metric(runs, key):
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
    (ma, sa), (mb, sb) = mean_std(run_metric(runs[a], key)), mean_std(run_metric(runs[b], key))
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
    stuck = untestable(name, runs, (higher, lower), key, print_fn)
    if stuck is not None:
        return stuck
    (ma, sa), (mb, sb), text = _evidence(runs, higher, lower, key, what)
    return claim(name, ma - mb > sa + sb, text, print_fn)


def claim_within(name, runs, a, b, tolerance, key='val_acc', what='val acc', print_fn=print):
    """Claim that variants ``a`` and ``b`` are within ``tolerance`` of each other on
    ``key`` (or ``a`` is better), over seeds."""
    stuck = untestable(name, runs, (a, b), key, print_fn)
    if stuck is not None:
        return stuck
    (ma, _), (mb, _), text = _evidence(runs, a, b, key, what)
    return claim(name, ma >= mb - tolerance, f'{text} (tolerance {tolerance:.2f})', print_fn)


def mean_metric(runs, key='val_acc'):
    """``{label: mean of key over seeds}`` of ``{label: [Run, ...]}`` (``key`` as in
    ``claim_greater``: a History key, 'clean_train_acc' or 'clean_gap')."""
    return {label: mean_std(run_metric(rs, key))[0] for label, rs in runs.items()}


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
    unlike the running train accuracy logged during training. A run trained with
    ``CleanTrainAccuracy`` has it in its History already (also for a run without weights)."""
    if run.history.epochs and run.history.epochs[-1].get('clean_train_acc') is not None:
        return run.history.epochs[-1]['clean_train_acc']
    return _accuracy(run.model, run.recipe.replace(augment=False).data().train_dataloader())


def _accuracy(model, batches):
    correct = total = 0
    for X, y in batches:
        y_hat = model(X)                           # outside autograd.record: predict mode
        correct += float((y_hat.argmax(axis=1).astype(y.dtype) == y).sum())
        total += y.shape[0]
    return correct / total


class CleanTrainAccuracy(Callback):
    """Records ``clean_train_acc`` in every epoch row: the accuracy on the run's training
    subset in evaluation mode on clean images (``clean_train_accuracy`` per epoch), so a
    plot can show whether and when the network memorises its training set. ``recipe``:
    the run's (its subset and seed; augmentation is switched off for this measurement)."""

    def __init__(self, recipe):
        self.recipe = recipe.replace(augment=False)
        # a pure function of the run: a memoised run with this callback is keyed by it
        self.memo_key = 'clean_train_acc ' + json.dumps(self.recipe.to_dict(), sort_keys=True)
        self._batches = None

    def on_fit_start(self, trainer, model):
        if self._batches is None:
            self._batches = self.recipe.data().train_dataloader()

    def on_epoch_end(self, trainer, model, epoch):
        trainer.history.epochs[-1]['clean_train_acc'] = _accuracy(model, self._batches)


@dataclass(frozen=True)
class Regime:
    """One setting of an experiment, fixed before its runs are looked at: ``changes`` to
    the profile's recipe of the network (fewer images, more epochs, ...) and ``why`` it
    was chosen (for a later regime: what the one before it showed). A chapter keeps every
    regime it tried, in order, and prints them all with ``regimes_table``."""
    label: str
    why: str
    changes: dict

    def profile(self, network, profile=None):
        """The profile with ``network``'s recipe changed to this regime (pass it as
        ``profile=`` with ``budget='profile'``)."""
        return get_profile(profile).regime(network, self.label, **self.changes)


TABLE_WIDTH = 105      # characters of a printed table that fit a slide at 18 px


def regimes_table(rows, print_fn=print):
    """Print the regimes a claim was tried in, one row each (dicts with the same keys, in
    the order of the first row's keys; numbers < 1 as 0.000, None as '-'), so a reader
    sees every regime and its verdict, not only the one that was kept. A table wider than
    ``TABLE_WIDTH`` prints its ``verdict`` column (else its last) under the table instead,
    one line per regime, so that it still fits a slide."""
    keys = list(rows[0])
    lines = _table(keys, rows)
    if max(map(len, lines)) > TABLE_WIDTH and len(keys) > 2:
        below = 'verdict' if 'verdict' in keys[1:] else keys[-1]
        lines = _table([k for k in keys if k != below], rows) + [''] + [
            f'{_cell(row.get(keys[0]))}: {_cell(row.get(below))}' for row in rows]
    print_fn('\n'.join(lines))      # one output: slides and readers see one table


def _table(keys, rows):
    cells = [[_cell(row.get(k)) for k in keys] for row in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    right = ['>' if all(isinstance(row.get(k), (int, float, type(None))) for row in rows)
             else '<' for k in keys]                     # numbers right, words left
    lines = ['  '.join(f'{k:{a}{w}}' for k, a, w in zip(keys, right, widths)).rstrip()]
    return lines + ['  '.join(f'{c:{a}{w}}' for c, a, w in zip(cell, right, widths)).rstrip()
                    for cell in cells]


def _cell(value):
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.3f}' if abs(value) < 10 else f'{value:,.0f}'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'{value:,}'
    return str(value)


def compare_seeds(name, variants, seeds=(0, 1, 2), budget='experiment', profile=None,
                  progress=False, retrain=None):
    """``compare`` once per seed: ``{label: [Run for each seed]}``. Every run of every seed
    is one list for ``fit_all``, so the runs not memoised train side by side."""
    jobs = [job for seed in seeds
            for job in _variant_jobs(name, variants, budget, profile, seed)]
    runs = {label: [] for label in variants}
    for job, run in zip(jobs, fit_all(jobs, retrain=retrain, progress=progress)):
        runs[job.label].append(run)
    return runs


def seeds_table(runs, clean_train=False, print_fn=print):
    """Per variant of ``{label: [Run, ...]}``: mean ± std over its seeds (their number is
    in the claim lines) of the validation accuracy (and, with ``clean_train``, of the
    clean training accuracy and the gap), the parameters and the mean seconds per run.
    At most 96 characters wide for labels up to 23: it fits a slide at full size."""
    width = max(len('variant'), *(len(k) for k in runs))
    head = f'{"variant":<{width}}  epochs  {"val acc":>13}'
    if clean_train:
        head += f'  {"train (eval)":>13}  {"gap":>13}'
    lines = [head + f'  {"params":>9}  {"s / run":>7}']
    for label, rs in runs.items():
        val = mean_std([r.final('val_acc') for r in rs])
        line = f'{label:<{width}}  {len(rs[0].history):>6}  ' \
               f'{val[0]:>6.3f} ± {val[1]:.3f}'
        if clean_train:
            train = [clean_train_accuracy(r) for r in rs]
            gap = mean_std([t - r.final('val_acc') for t, r in zip(train, rs)])
            train = mean_std(train)
            line += f'  {train[0]:>6.3f} ± {train[1]:.3f}  {gap[0]:>6.3f} ± {gap[1]:.3f}'
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
            callbacks=(), retrain=None):
    """Train each variant of network ``name`` under the same budget; returns
    ``{label: Run}`` in the order given.

    ``variants`` maps a label to recipe changes (``dict(activation='relu')``,
    ``dict(augment=True)``) or to a function ``f(recipe)`` returning a model. Every
    variant sees the same data subset, the same shuffling and the same initialisation
    seed. A run already trained with the same recipe is loaded (``Recipe.fit``; ``retrain``
    trains it again); the others train side by side when that pays (``fit_all``)."""
    jobs = _variant_jobs(name, variants, budget, profile, seed, callbacks)
    return dict(zip(variants, fit_all(jobs, retrain=retrain, progress=progress)))


def _variant_jobs(name, variants, budget, profile, seed, callbacks=()):
    """One ``Job`` per variant of ``{label: spec}`` (see ``compare``) at ``seed``."""
    if not variants:
        raise ValueError('variants is empty: give at least one {label: changes} entry')
    jobs = []
    for label, spec in variants.items():
        changes, factory = _variant(spec)
        jobs.append(Job(budget_recipe(name, budget, profile, seed=seed, **changes), label,
                        factory, tuple(callbacks)))
    return jobs


CHAPTERS = {'lenet': 1, 'alexnet': 2, 'vgg': 3, 'nin': 4, 'googlenet': 5}


def keep_run(name, recipe, model, history, profile=None):
    """Keep a chapter's training run of network ``name`` for chapter 6: its recipe,
    History and weights in the week5 cache (``runs/<profile>/<name>``), replaced by the
    next run. Returns the ``Run``."""
    run = Run(recipe, history, model, history.last('wall_time', 0.0), label=name)
    save_run(run, runs_dir(get_profile(profile).name) / name)
    return run


def kept_run(name, profile=None, weights=False):
    """The run ``keep_run`` kept for network ``name`` in this profile (with its trained
    weights if ``weights``); FileNotFoundError if there is none, RunLoadError if it can
    no longer be used."""
    return load_run(runs_dir(get_profile(profile).name) / name, weights=weights)


def _fmt_num(x, digits=3):
    return '-' if x is None else f'{x:.{digits}f}'


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


def final_metrics(history, print_fn=print, record_as=None):
    """Print the last epoch's metrics of a History, rounded; ``record_as``: also record
    them for the chapter's text under that name (with ``epochs``, week5/results.py)."""
    if not len(history):
        print_fn('no finished epoch yet')
        return
    row = history.epochs[-1]
    keys = ('train_loss', 'train_acc', 'val_loss', 'val_acc', 'examples_per_sec')
    if record_as:
        record(record_as, {'epochs': len(history),
                           **{k: row[k] for k in keys if row.get(k) is not None}})
    text = ', '.join(f'{k} {row[k]:.3f}' if k != 'examples_per_sec' else
                     f'{row[k]:,.0f} examples/s' for k in keys if row.get(k) is not None)
    print_fn(f'after {len(history)} epoch(s): {text}')


# ----------------------------------------------------------------------------------
# gradients through depth


# ----------------------------------------------------------------------------------
# NiN: 1x1 convolutions


# ----------------------------------------------------------------------------------
# compute: this machine vs a GPU


