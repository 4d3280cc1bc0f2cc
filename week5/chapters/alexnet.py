"""Chapter 2, AlexNet: gradients through depth with ReLU and with sigmoid -- the measured
reason the 2012 network trains where a sigmoid one of its depth stalls."""
from ..claims import claim
from ..inside import dims_text
from ..models import AlexNetConfig, LeNetConfig
from ..models.blocks import Conv, Dense, Dropout, Pool
from ..viz import diagram_axes, draw_arrow, draw_box, new_axes
from ..png import SLIDE_FONT
from ..inside import gradient_norms
from ..profiles import get_profile

__all__ = ['DROPOUT_REGIMES', 'DROPOUT_REGIME', 'CAPACITY_VARIANTS', 'capacity_regime',
           'gradient_norms_by_activation', 'claim_vanishing_gradients', 'gradient_ratios',
           'gradient_table', 'plot_gradient_norms', 'lenet_alexnet_rows',
           'draw_lenet_vs_alexnet']

# Regimes tried for "dropout controls capacity" (bench/regimes.py trains and prints them):
# (label, changes to the profile's AlexNet recipe, what it tries, run by the chapter?).
# Dropout can only narrow a gap that exists: each regime tries to let the network
# without dropout memorise its training images.
DROPOUT_REGIMES = [
    ('dropout_few_images_long', dict(num_train=500, num_val=1000, batch_size=32,
                                     num_epochs=40, lr=0.01),
     'half the images, twice the epochs, half the learning rate', False),
    ('dropout_wide_head', dict(num_train=1000, num_val=1000, batch_size=32, num_epochs=25,
                               lr=0.01, hidden=(16384, 16384)),
     'dense layers 4x wider (2,048 units at width / 8)', False),
    ('dropout_constant_lr', dict(num_train=1000, num_val=1000, batch_size=32, num_epochs=25,
                                 lr=0.005, lr_schedule=None),
     'a small constant learning rate, no decay', False),
    ('dropout_memorise', dict(num_train=500, num_val=500, batch_size=32, num_epochs=30,
                              lr=0.01),
     '500 images for 30 epochs at lr 0.01: the first regime, cheaper', True),
]
# the one the chapter runs: (label, changes)
DROPOUT_REGIME = next((label, changes) for label, changes, _, chapter in DROPOUT_REGIMES
                      if chapter)
# its variants, one change at a time: dropout off, the book's dropout, then augmentation
CAPACITY_VARIANTS = {'no dropout': dict(dropout=0.0), 'dropout 0.5': dict(dropout=0.5),
                     'dropout 0.5 + flip/crop': dict(dropout=0.5, augment=True)}


def capacity_regime(profile=None):
    """The profile with AlexNet's recipe changed to ``DROPOUT_REGIME`` (pass it as
    ``profile=`` with ``budget='profile'``)."""
    label, changes = DROPOUT_REGIME
    return get_profile(profile).regime('alexnet', label, **changes)


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
