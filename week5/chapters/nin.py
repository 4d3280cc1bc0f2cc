"""Chapter 4, NiN: a 1x1 convolution is a dense layer applied at every pixel, NiN without
its 1x1 layers, NiN with a dense head instead of global average pooling, and the
VGG-vs-NiN block diagram."""
import math

import numpy
from mxnet import np
from mxnet.gluon import nn

from ..claims import claim
from ..models import NiNConfig, VGGConfig
from ..models.blocks import (INITS, Conv, Dense, Dropout, Flatten, GlobalAvgPool, Pool, Stage,
                             build, dense_head)
from ..inside import dims_text
from ..profiles import get_profile
from ..summary import layer_costs
from ..tensor import use_np
from ..viz import SLIDE_HEIGHT, SLIDE_WIDTH, diagram_axes, draw_arrow, draw_box
from ..png import SLIDE_FONT

# (nin_without_1x1 is not exported: only bench/regimes.py's search uses it now)
__all__ = ['NIN_REGIMES', 'NIN_REGIME', 'HEAD_VARIANTS', 'head_regime', 'conv1x1_as_dense',
           'conv1x1_difference', 'nin_dense_head', 'draw_nin_vs_vgg_block', 'CAM_BUDGET',
           'localising_nin']

# Regimes tried for NiN's GAP head (at little accuracy cost against a dense head) and its
# 1x1 convolutions (helping accuracy); bench/regimes.py trains and prints them:
# (label, changes to the profile's NiN recipe, what it tries, run by the chapter?).
NIN_REGIMES = [
    ('nin_experiment_budget', dict(num_train=6000, num_val=2000, num_epochs=2),
     "the 'experiment' budget: 6,000 images for 2 epochs", False),
    ('nin_more_epochs', dict(num_train=6000, num_val=2000, num_epochs=6),
     'the first experiment\'s 6,000 images for 6 epochs instead of 2', True),
    ('nin_small_data_long', dict(num_train=2000, num_val=2000, num_epochs=15),
     '2,000 images for 15 epochs: where a dense head can overfit', False),
    ('nin_longer', dict(num_train=4000, num_val=2000, num_epochs=6),
     '4,000 images for 6 epochs: 2x the updates of the first experiment', False),
    ('nin_lower_lr', dict(num_train=4000, num_val=2000, num_epochs=6, lr=0.05),
     'as nin_longer at half the learning rate', False),
]
# the one the chapter runs: (label, changes)
NIN_REGIME = next((label, changes) for label, changes, _, chapter in NIN_REGIMES if chapter)


def head_regime(profile=None):
    """The profile with NiN's recipe changed to ``NIN_REGIME`` (pass it as ``profile=``
    with ``budget='profile'``)."""
    label, changes = NIN_REGIME
    return get_profile(profile).regime('nin', label, **changes)


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


# the variants of the chapter's experiment, one change from NiN: its head (the ablation
# without 1x1 convolutions, nin_without_1x1, is in bench/regimes.py: it showed no gain)
HEAD_VARIANTS = {'NiN (GAP head)': {}, 'NiN body + AlexNet head': nin_dense_head}


_ACTIVATION_NAMES = {'relu': 'ReLU'}


def _spec_text(spec):
    """A box label from a layer spec: '3×3 conv, 256 ch, ReLU', 'dense 4096', ..."""
    if isinstance(spec, Conv):
        k = spec.kernel_size
        text = f'{k}×{k} conv, {spec.channels} ch' + (', BN' if spec.batch_norm else '')
        text += f', {_ACTIVATION_NAMES.get(spec.activation, spec.activation)}' \
            if spec.activation else ''
        return text + ('\n= a dense layer at every pixel' if k == 1 else '')
    if isinstance(spec, Pool):
        return f'{spec.pool_size}×{spec.pool_size} {spec.kind}-pool, stride {spec.strides}'
    if isinstance(spec, Dense):
        act = _ACTIVATION_NAMES.get(spec.activation, spec.activation)
        return f'dense {spec.units}' + (f', {act}' if act else '')
    if isinstance(spec, GlobalAvgPool):
        return 'global average pooling'
    if isinstance(spec, Flatten):
        return 'flatten'
    if isinstance(spec, Stage):
        first = spec.layers[0]
        return (f'NiN block, {first.channels} ch:\n{first.kernel_size}×{first.kernel_size} '
                f'conv → 1×1 → 1×1')             # two lines: one is wider than its box
    return spec.name


_SPEC_KINDS = ((Conv, 'conv'), (Pool, 'pool'), (GlobalAvgPool, 'pool'), (Dense, 'dense'),
               (Stage, 'block'))


def _stack_rows(config, specs, prefix=''):
    """[(text, kind, output shape, params)] of top-level ``specs`` of ``config`` (or the
    children of a stage with ``prefix``); a dropout joins the layer before it."""
    costs = layer_costs(config)
    shapes = dict(config.shapes())
    rows = []
    for spec in specs:
        name = f'{prefix}.{spec.name}' if prefix else spec.name
        if isinstance(spec, Dropout) and rows:
            rows[-1][0] += f' + dropout {spec.rate:g}'
            continue
        kind = next((k for cls, k in _SPEC_KINDS if isinstance(spec, cls)), 'other')
        params = sum(r[2] for r in costs if r[0] == name or r[0].startswith(name + '.'))
        rows.append([_spec_text(spec), kind, shapes[name], params])
    return rows


def _stages(config):
    return [s for s in config.layers() if isinstance(s, Stage)]


def _vgg_vs_nin_rows(vgg, nin):
    """(title, block rows, head rows) for VGG and NiN, from their configs' layer tables:
    VGG's block with the most convolutions and its dense head (flatten first); NiN's
    second block and its head, the last NiN block onwards."""
    v_specs, n_specs = vgg.layers(), nin.layers()
    v_block = max(_stages(vgg), key=lambda s: len(s.layers))
    v_last = max(i for i, s in enumerate(v_specs) if isinstance(s, Stage))
    flat = dict(vgg.shapes())[v_specs[v_last].name]
    v_head = [[f'flatten: {dims_text(flat)} → {math.prod(flat):,}', 'other', (math.prod(flat),), 0]]
    v_head += _stack_rows(vgg, v_specs[v_last + 1:])
    n_stages = _stages(nin)
    n_block = n_stages[min(1, len(n_stages) - 2)]
    n_head = _stack_rows(nin, n_specs[n_specs.index(n_stages[-1]):])
    for head in (v_head, n_head):
        head[-1][0] += f' → {math.prod(head[-1][2])} class scores'
    return [(f'VGG block ({v_block.name})', _stack_rows(vgg, v_block.layers, v_block.name),
             'VGG head', v_head),
            (f'NiN block ({n_block.name})', _stack_rows(nin, n_block.layers, n_block.name),
             'NiN head', n_head)]


def _draw_stack(ax, x, y, title, rows, w=2.9, pitch=0.62):
    """A column of boxes from top (y) down with arrows between them, the output shape
    and parameters to the right of each. Returns the y below the last box."""
    ax.text(x - w / 2, y, title, ha='left', va='bottom', fontsize=SLIDE_FONT, fontweight='bold')
    y -= 0.38
    for i, (text, kind, shape, params) in enumerate(rows):
        draw_box(ax, x, y, w, 0.46, text, kind, fontsize=SLIDE_FONT)
        ax.text(x + w / 2 + 0.08, y, f'{dims_text(shape)}\n{params:,} params', ha='left',
                va='center', fontsize=SLIDE_FONT, color='0.25')
        if i:
            draw_arrow(ax, (x, y + pitch - 0.23), (x, y + 0.23))
        y -= pitch
    return y


def draw_nin_vs_vgg_block(ax=None, vgg=None, nin=None):
    """A VGG block beside a NiN block, then their heads, drawn from the configs' layer
    specs (`week5.models.vgg.vgg_stage`, `week5.models.nin.nin_stage`): VGG = n × (3×3
    conv, ReLU) then 2×2 max-pool, and a dense head (flatten → dense → dense → classes);
    NiN = k×k conv then two 1×1 convs (a dense layer at every pixel), and a head without
    dense layers (a last NiN block with one channel per class → global average pooling).
    Each box has its output shape and parameters beside it, each head its total.
    ``vgg`` / ``nin``: configs (default: the book's). Returns the axes."""
    vgg, nin = vgg or VGGConfig(), nin or NiNConfig()
    ax = diagram_axes(ax, (SLIDE_WIDTH, SLIDE_HEIGHT))
    bottoms = []
    for x, (block_title, block, head_title, head) in zip((1.5, 6.3),
                                                         _vgg_vs_nin_rows(vgg, nin)):
        y = _draw_stack(ax, x, 6.0, block_title, block)
        params = sum(r[3] for r in head)
        bottoms.append(_draw_stack(ax, x, y - 0.1, f'{head_title}: {params:,} params', head))
    ax.set_title(f'VGG and NiN on a {dims_text(vgg.input_shape)} input: one block, then the '
                 f'head', fontsize=SLIDE_FONT)
    ax.set_xlim(-0.1, 9.3)
    ax.set_ylim(min(bottoms) + 0.3, 6.3)
    return ax


# ------------------------------------------------------------------ class activation maps
# Where the class maps can localise: the laptop NiN's class maps are 2x2 on a 28x28 image
# (26 -> 12 -> 5 -> 2 after its three poolings). With one NiN block (and one pooling)
# fewer they stay 5x5 -- a map per class that a garment's position shows up in.
CAM_BUDGET = dict(num_train=6000, num_epochs=2)


def localising_nin(recipe):
    """``recipe`` (the chapter's NiN) with its third NiN block and pooling left out, so
    that its class maps are 5x5 instead of 2x2 at 28x28; trained on at most
    ``CAM_BUDGET``'s images and epochs (the recipe's own when smaller)."""
    cfg = recipe.config
    keep = lambda values: tuple(values[:2]) + tuple(values[-1:])  # noqa: E731
    per_block = {k: keep(getattr(cfg, k)) for k in ('kernel_sizes', 'strides', 'paddings')
                 if isinstance(getattr(cfg, k), (tuple, list))}
    budget = {k: min(v, getattr(recipe, k) or v) for k, v in CAM_BUDGET.items()}
    return recipe.replace(channels=tuple(cfg.channels[:2]), **per_block, **budget)
