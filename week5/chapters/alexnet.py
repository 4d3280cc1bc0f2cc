"""Chapter 2, AlexNet: gradients through depth with ReLU and with sigmoid -- the measured
reason the 2012 network trains where a sigmoid one of its depth stalls -- and dropout
in a regime where the network without it memorises its training images."""
from dataclasses import dataclass

from ..claims import (CleanTrainAccuracy, Regime, claim, claim_greater, mean_metric, mean_std,
                      regimes_table)
from ..inside import dims_text
from ..models import AlexNetConfig, LeNetConfig
from ..models.blocks import Conv, Dense, Dropout, Pool
from ..viz import diagram_axes, draw_arrow, draw_box, new_axes
from ..png import SLIDE_FONT
from ..inside import gradient_norms
from ..profiles import get_profile
from ..results import compare_words, record
from ..sidebyside import Job, fit_all

__all__ = ['MEMORISED', 'VAL_FALL', 'DROPOUT_ARMS', 'DROPOUT_REGIMES', 'DropoutExperiment',
           'memorisation', 'train_arms', 'dropout_experiment', 'dropout_verdict',
           'plot_memorisation',
           'gradient_norms_by_activation', 'claim_vanishing_gradients', 'gradient_ratios',
           'gradient_table', 'plot_gradient_norms', 'lenet_alexnet_rows',
           'draw_lenet_vs_alexnet']

# ------------------------------------------------ dropout in a memorising regime
# The lecture: dropout lets a network that can memorise its training images generalise
# better. The question fixes the regime before any run: few images (256) so that a small
# AlexNet can memorise them, many epochs, no augmentation; the two arms differ in dropout
# only, 3 seeds. A regime where the network without dropout does not memorise (training
# accuracy in eval mode on clean images below MEMORISED at the end, or validation
# accuracy that does not fall after its peak) cannot answer the question: it is a regime
# failure, printed as such, and the next regime says what it changed and why.
MEMORISED = 0.98       # clean training accuracy (eval mode) of a network that memorised
VAL_FALL = 0.005       # ... and its validation accuracy at the end this far below its peak

DROPOUT_ARMS = {'no dropout': dict(dropout=0.0), 'dropout 0.5': dict(dropout=0.5)}

DROPOUT_REGIMES = (
    Regime('few_images_constant_lr',
           'fixed from the question: 256 images to memorise, 40 epochs of batch 32, the '
           'laptop lr held constant (no decay that stops the fit), no augmentation',
           dict(num_train=256, num_val=1000, batch_size=32, num_epochs=40, lr=0.02,
                lr_schedule=None, augment=False)),
    Regime('few_images_cosine_batch16',
           'the first did not memorise: its training accuracy was still rising and jumped '
           'from epoch to epoch; so twice the updates (batch 16), 50 epochs, and the '
           'cosine decay to settle the fit',
           dict(num_train=256, num_val=1000, batch_size=16, num_epochs=50, lr=0.02,
                lr_schedule='cosine', augment=False)),
)


@dataclass
class DropoutExperiment:
    """What ``dropout_experiment`` trained: per regime tried, ``{arm: [Run per seed]}``
    (only 'no dropout' where it did not memorise) and its row for ``regimes_table``;
    ``runs`` are the last regime's (the chapter's: ``dropout_verdict`` judges them)."""
    regimes: list
    rows: list
    runs: dict

    @property
    def effect(self):
        """Mean final val acc with dropout minus without, in the chapter's regime (None
        if its network without dropout did not memorise: no dropout arm was trained)."""
        if 'dropout 0.5' not in self.runs:
            return None
        means = mean_metric(self.runs)
        return means['dropout 0.5'] - means['no dropout']


def memorisation(runs):
    """(memorised?, why not or None, numbers) of one arm's ``[Run per seed]`` (trained
    with ``CleanTrainAccuracy``): on the mean over seeds, the final clean training
    accuracy must reach ``MEMORISED`` and the validation accuracy end at least
    ``VAL_FALL`` below its peak. numbers: train, val_peak, peak_epoch, val_final."""
    train = mean_std([r.final('clean_train_acc') for r in runs])[0]
    curve = [sum(v) / len(v) for v in zip(*(r.history['val_acc'] for r in runs))]
    peak_epoch = max(range(len(curve)), key=curve.__getitem__)
    numbers = dict(train=train, val_peak=curve[peak_epoch], peak_epoch=peak_epoch + 1,
                   val_final=curve[-1])
    if train < MEMORISED:
        return False, f'train (eval) {train:.3f} < {MEMORISED}', numbers
    if curve[-1] > curve[peak_epoch] - VAL_FALL:
        return False, (f'val acc did not fall after its peak ({curve[peak_epoch]:.3f} at '
                       f'epoch {peak_epoch + 1}, {curve[-1]:.3f} at the end)'), numbers
    return True, None, numbers


def train_arms(regime, arms, seeds=(0, 1, 2), profile=None):
    """``{arm: [Run per seed]}`` of AlexNet in ``regime`` with each of ``arms`` (label ->
    recipe changes), every run recording its clean training accuracy per epoch."""
    prof = regime.profile('alexnet', profile)
    jobs = []
    for seed in seeds:
        for label, changes in arms.items():
            recipe = prof.recipe('alexnet', seed=seed, **changes)
            jobs.append(Job(recipe, label, callbacks=(CleanTrainAccuracy(recipe),)))
    runs = {label: [] for label in arms}
    for job, run in zip(jobs, fit_all(jobs)):       # side by side when that pays
        runs[job.label].append(run)
    return runs


def dropout_experiment(seeds=(0, 1, 2), regimes=DROPOUT_REGIMES, profile=None,
                       print_fn=print):
    """Dropout vs none in every regime tried, in order: the arm without dropout first; if
    it memorised (``memorisation``), the arm with dropout and the regime's verdict (does
    dropout raise the final validation accuracy beyond the seeds' spread?). Prints a line
    per regime as it goes; ``dropout_verdict`` prints the table and the claim."""
    base = get_profile(profile).recipe('alexnet')
    done, rows = [], []
    for regime in regimes:
        recipe = regime.profile('alexnet', profile).recipe('alexnet')
        print_fn(f'{regime.label}: {regime.why}')
        print_fn('  ' + recipe.describe(versus=base, names=(regime.label, 'section 4'))
                 .replace('\n', '\n  '))
        runs = train_arms(regime, {'no dropout': DROPOUT_ARMS['no dropout']}, seeds, profile)
        memorised, why_not, numbers = memorisation(runs['no dropout'])
        verdict = f'regime failure: {why_not}'
        with_dropout = None
        if memorised:
            runs.update(train_arms(regime, {'dropout 0.5': DROPOUT_ARMS['dropout 0.5']},
                                   seeds, profile))
            with_dropout = mean_std([r.final('val_acc') for r in runs['dropout 0.5']])[0]
            verdict = claim_greater('dropout_helps_a_memorising_network', runs,
                                    'dropout 0.5', 'no dropout', print_fn=lambda *_: None).verdict
        done.append((regime, runs))
        rows.append({'regime': regime.label, 'images': recipe.num_train,
                     'epochs': recipe.num_epochs, 'seeds': len(seeds),
                     'train (eval)': numbers['train'], 'val peak': numbers['val_peak'],
                     'val final': numbers['val_final'], 'with dropout': with_dropout,
                     'verdict': verdict})
    return DropoutExperiment(done, rows, done[-1][1])


def dropout_verdict(experiment, print_fn=print):
    """Print the regimes table and the claim of the chapter's regime (the last tried),
    whatever it says; record the numbers the chapter's text refers to:
    ``memorised_threshold`` (``MEMORISED``), ``dropout_regimes_tried``,
    ``dropout_failed_regimes``, ``dropout_train`` (the clean training accuracy without
    dropout), ``dropout_val_peak`` / ``dropout_val_final`` (its validation accuracy),
    ``dropout_val`` (with dropout), ``dropout_effect`` (with minus without),
    ``dropout_verdict`` (the claim) and ``dropout_verdict_words`` (what dropout did, in
    words chosen from the verdict, with both accuracies: recorded whatever the verdict,
    unlike ``dropout_val`` and ``dropout_effect``). Returns the claim."""
    regimes_table(experiment.rows, print_fn)
    runs, row = experiment.runs, experiment.rows[-1]
    record('memorised_threshold', MEMORISED)
    failed = sum(r['verdict'].startswith('regime failure') for r in experiment.rows)
    record('dropout_regimes_tried', len(experiment.rows))
    record('dropout_failed_regimes', failed)
    record('dropout_train', row['train (eval)'])
    record('dropout_val_peak', row['val peak'])
    record('dropout_val_final', row['val final'])
    if 'dropout 0.5' not in runs:
        verdict = claim('dropout_helps_a_memorising_network', None,
                        f'no regime tried memorised (the last: {row["verdict"]})', print_fn)
        words = ('cannot be judged here: no regime tried made the network without dropout '
                 'memorise, so no arm with dropout was trained.')
    else:
        verdict = claim_greater('dropout_helps_a_memorising_network', runs, 'dropout 0.5',
                                'no dropout', print_fn=print_fn)
        effect = experiment.effect
        record('dropout_val', row['with dropout'])
        record('dropout_effect', effect)
        (_, sd), (_, sn) = (mean_std([r.final('val_acc') for r in runs[arm]])
                            for arm in ('dropout 0.5', 'no dropout'))
        did = 'cannot be judged: a run learned nothing' if verdict.holds is None else \
            compare_words(effect, 0.0, sd + sn,
                          'raises the validation accuracy beyond the spread between seeds',
                          'lowers the validation accuracy beyond the spread between seeds',
                          'leaves the validation accuracy within the spread between seeds')
        words = (f'{did}: with dropout the final validation accuracy is '
                 f'{row["with dropout"]:.3f}, against {row["val final"]:.3f} without.')
    record('dropout_verdict', verdict)
    record('dropout_verdict_words', words)
    return verdict


def plot_memorisation(runs, ax=None):
    """Per arm of ``{arm: [Run per seed]}`` (trained with ``CleanTrainAccuracy``), the
    mean over seeds per epoch of the training accuracy in eval mode on clean images
    (solid) and of the validation accuracy (dashed), one colour per arm. Returns the axes."""
    if ax is None:
        ax = new_axes(figsize=(6.4, 3.2))
    for i, (label, seeded) in enumerate(runs.items()):
        colour = f'C{i}'
        for key, style, what in (('clean_train_acc', '-', 'train (eval)'),
                                 ('val_acc', '--', 'val')):
            curve = [sum(v) / len(v) for v in zip(*(r.history[key] for r in seeded))]
            ax.plot(range(1, len(curve) + 1), curve, style, color=colour,
                    label=f'{label}: {what}')
    ax.axhline(MEMORISED, color='0.6', linewidth=0.8, linestyle=':')
    ax.set_xlabel(f'epoch (mean of {len(next(iter(runs.values())))} seeds)')
    ax.set_ylabel('accuracy')
    ax.grid(True, alpha=0.3)
    ax.legend(loc='lower right', fontsize='small')
    return ax


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


def plot_gradient_norms(grads, ax=None):
    """Gradient norm per layer (log scale), one line per activation."""
    if ax is None:
        ax = new_axes(figsize=(5.0, 2.8))
    for name, rows in grads.items():
        ax.plot([label for label, _ in rows], [norm for _, norm in rows], marker='o',
                label=name)
    ax.set_yscale('log')
    ax.set_xlabel('layer (input side → output side)')
    ax.set_ylabel('weight gradient norm')
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


# ------------------------------------------------------------ from LeNet to AlexNet
_KINDS = ((Conv, 'conv'), (Pool, 'pool'), (Dense, 'dense'))


def lenet_alexnet_rows(config):
    """[(box text, kind, output shape)] of a LeNet or AlexNet config, from its layer
    table: the input, then each conv / pool / dense layer (a dropout joins the dense
    layer before it), e.g. ('conv 11×11, 96 ch, stride 4, ReLU', 'conv', (96, 54, 54))."""
    shapes = dict(config.shapes())
    rows = [(f'input {dims_text(config.input_shape)}', 'other', config.input_shape)]
    for spec in config.layers():
        if isinstance(spec, Dropout) and rows:
            text, kind, shape = rows[-1]
            rows[-1] = (f'{text} + dropout {spec.rate:g}', kind, shape)
            continue
        kind = next((k for cls, k in _KINDS if isinstance(spec, cls)), 'other')
        act = f', {getattr(spec, "activation", None)}' if getattr(spec, 'activation', None) else ''
        act = act.replace('relu', 'ReLU')
        if isinstance(spec, Conv):
            stride = f', stride {spec.strides}' if spec.strides != 1 else ''
            text = f'conv {spec.kernel_size}×{spec.kernel_size}, {spec.channels} ch{stride}{act}'
        elif isinstance(spec, Pool):
            text = f'{spec.kind}-pool {spec.pool_size}×{spec.pool_size}, stride {spec.strides}'
        elif isinstance(spec, Dense):
            text = f'dense {spec.units}{act}'
        else:
            text = spec.name
        rows.append((text, kind, shapes[spec.name]))
    return rows


def draw_lenet_vs_alexnet(lenet=None, alexnet=None, ax=None):
    """The lecture's figure: LeNet (left: 2 conv + 3 dense layers on a 28×28 image) beside
    AlexNet (right: 5 conv + 3 dense layers on a 224×224 image), layer by layer from the
    configs' layer tables, each box with its kernel, channels and activation and its
    output shape (C×H×W) beside it. ``lenet`` / ``alexnet``: configs (default: the
    book's). Returns the axes."""
    columns = []
    for title, config in (('LeNet', lenet or LeNetConfig()),
                          ('AlexNet', alexnet or AlexNetConfig())):
        rows = lenet_alexnet_rows(config)
        convs = sum(r[1] == 'conv' for r in rows)
        dense = sum(r[1] == 'dense' for r in rows)
        columns.append((f'{title}: {convs} conv + {dense} dense, '
                        f'{dims_text(config.input_shape)} input', rows))
    pitch, h, w = 0.5, 0.38, 3.7
    n = max(len(rows) for _, rows in columns)
    ax = diagram_axes(ax, (11.4, 0.7 + 0.4 * n))
    for x, (title, rows) in zip((2.0, 8.0), columns):
        ax.text(x - w / 2, 0.35, title, ha='left', va='bottom', fontsize=SLIDE_FONT + 1,
                fontweight='bold')
        for i, (text, kind, shape) in enumerate(rows):
            y = -i * pitch
            draw_box(ax, x, y, w, h, text, kind, fontsize=SLIDE_FONT)
            if i:
                ax.text(x + w / 2 + 0.1, y, dims_text(shape), ha='left', va='center',
                        fontsize=SLIDE_FONT, color='0.25')
                draw_arrow(ax, (x, y + pitch - h / 2), (x, y + h / 2))
    ax.set_xlim(0.0, 11.6)
    ax.set_ylim(-(n - 1) * pitch - 0.3, 0.75)
    return ax
