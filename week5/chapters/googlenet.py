"""Chapter 5, GoogLeNet: the Inception block's four branches -- their costs, how the
channels are allocated across branches and stages, what a 1x1 reduction saves, the block
diagram and the feature maps each branch makes."""
from mxnet import autograd
from mxnet.gluon import nn

from ..claims import claim
from ..core import child_blocks
from ..inside import dims_text, net_of, one_image
from ..models import Inception
from ..models.blocks import Conv, Stage
from ..models.googlenet import InceptionSpec
from ..summary import (config_of, count_params, human_count, inception_branches, iter_layers,
                       layer_costs, output_shape, random_input)
from ..viz import SLIDE_WIDTH, diagram_axes, draw_arrow, draw_box, draw_input, draw_strip, figure_of_size, maps_title, pick_channels, positive_int
from ..png import SLIDE_FONT

__all__ = ['claim_reduction_saves', 'inception_blocks', 'draw_inception_block',
           'inception_branch_maps', 'plot_inception_branches', 'stage_rows', 'stage_table',
           'largest_branch', 'inception_branch_table', 'allocation_rows', 'allocation_table',
           'branch_use', 'branch_use_table']


def claim_reduction_saves(name, c_in, reduce, out, kernel_size, size, factor=2.0,
                          print_fn=print):
    """Claim that a 1x1 reduction to ``reduce`` channels before a ``kernel_size``
    convolution (``c_in`` -> ``out`` channels, on a size x size map) cuts the branch's
    parameters and MACs at least ``factor``-fold; counted with the layer specs' cost."""
    pad = kernel_size // 2
    shape = (c_in, size, size)
    conv = Conv('conv', channels=out, kernel_size=kernel_size, padding=pad)
    reduced = [Conv('reduce', channels=reduce, kernel_size=1).cost(shape),
               conv.cost((reduce, size, size))]
    direct = conv.cost(shape)
    with_p, with_m = (sum(c[i] for c in reduced) for i in (0, 1))
    text = (f'{kernel_size}x{kernel_size} branch {c_in} -> {out} channels on {size}x{size}: '
            f'{with_p:,} params / {with_m:,} MACs with a 1x1 reduction to {reduce}, '
            f'{direct[0]:,} / {direct[1]:,} without ({direct[0] / with_p:.1f}x, '
            f'{direct[1] / with_m:.1f}x)')
    return claim(name, direct[0] >= factor * with_p and direct[1] >= factor * with_m, text,
                 print_fn)


def inception_blocks(config):
    """``[(name, InceptionSpec, input shape (C, H, W))]`` of every Inception block of a
    GoogLeNet config (or a model with one), e.g. ('b3.inception1', spec, (192, 12, 12)):
    shape arithmetic on the layer table, width divisor applied."""
    config = getattr(config, 'config', config)
    out, shape = [], config.input_shape
    for spec in config.layers():
        for child in spec.layers if isinstance(spec, Stage) else ():
            if isinstance(child, InceptionSpec):
                out.append((f'{spec.name}.{child.name}', child, shape))
            shape = child.out_shape(shape)
        if not isinstance(spec, Stage):
            shape = spec.out_shape(shape)
    return out


def _as_inception_spec(spec, c_in, size):
    """(InceptionSpec, c_in, size) from a spec, a (c1, (c2r, c2), (c3r, c3), c4) row, or
    a GoogLeNet config / model (its first Inception block, with that block's input)."""
    if hasattr(getattr(spec, 'config', spec), 'layers'):
        blocks = inception_blocks(spec)
        if not blocks:
            raise ValueError(f'{type(spec).__name__} has no Inception block; pass a '
                             f'GoogLeNet config, an InceptionSpec or (c1, c2, c3, c4)')
        _, spec, shape = blocks[0]
        return spec, c_in or shape[0], size or shape[1]
    if isinstance(spec, InceptionSpec):
        return spec, c_in, size
    try:
        c1, c2, c3, c4 = spec
        return InceptionSpec('inception', c1, tuple(c2), tuple(c3), c4), c_in, size
    except (TypeError, ValueError):
        raise ValueError(f'spec_or_config={spec!r}; pass (c1, (c2_reduce, c2), (c3_reduce, '
                         f'c3), c4), an InceptionSpec or a GoogLeNet config') from None


def _branch_cost(row, size):
    """'12,352 params' (and the MACs when the input side is known) of one branch row."""
    _, _, params, macs, norm = row
    return f'{params + norm:,} params' + (f'\n{macs:,} MACs' if size else '')


def draw_inception_block(spec_or_config, c_in=None, size=None, ax=None):
    """An Inception block drawn from its channel allocation: the input on top, four
    branches side by side (1×1 | 1×1→3×3 | 1×1→5×5 | 3×3 pool→1×1), each box with its
    kernel and output channels, arrows into a 'concatenate: N channels' box. With
    ``c_in`` (input channels; taken from a config) each branch's parameters are written
    under it, with ``size`` (input side) its MACs too. ``spec_or_config``: (c1, (c2_reduce,
    c2), (c3_reduce, c3), c4) as in ``GoogLeNetConfig().stages[0][0]``, an
    ``InceptionSpec``, or a GoogLeNet config or model (its first block). Returns the axes."""
    spec, c_in, size = _as_inception_spec(spec_or_config, c_in, size)
    ax = diagram_axes(ax, (9.0, 4.6))
    w, h, top, bottom = 0.86, 0.55, 4.3, 0.5      # branch boxes; input and concat rows
    pool = f'3×3 {spec.pool}-pool'
    branches = [[], [(f'1×1 conv\n{spec.c2[0]} channels', 'conv')],
                [(f'1×1 conv\n{spec.c3[0]} channels', 'conv')], [(pool, 'pool')]]
    for column, (k, c) in zip(branches, ((1, spec.c1), (3, spec.c2[1]), (5, spec.c3[1]),
                                         (1, spec.c4))):
        column.append((f'{k}×{k} conv\n{c} channels', 'conv'))
    inp = 'input' + (f': {c_in} channels' if c_in else '') + (f', {size}×{size}' if size else '')
    draw_box(ax, 1.5, top, 2.2, 0.45, inp, 'other')
    costs = spec.branches((c_in, size or 1, size or 1)) if c_in else None
    below = 1.5 if costs else 2.3 - h / 2                # where the arrows to concat start
    for x, column in enumerate(branches):
        ys = [3.3, 2.3][-len(column):]
        draw_arrow(ax, (1.5 + (x - 1.5) * 0.3, top - 0.45 / 2), (x, ys[0] + h / 2))
        for y, (text, kind) in zip(ys, column):
            draw_box(ax, x, y, w, h, text, kind)
        if len(ys) == 2:
            draw_arrow(ax, (x, ys[0] - h / 2), (x, ys[1] + h / 2))
        if costs:
            ax.text(x, 1.75, _branch_cost(costs[x], size), ha='center', va='center',
                    fontsize=SLIDE_FONT, color='0.25')
        draw_arrow(ax, (x, below), (1.5 + (x - 1.5) * 0.3, bottom + 0.45 / 2))
    total = spec.out_shape((c_in or 0, 1, 1))[0]
    draw_box(ax, 1.5, bottom, 2.6, 0.45, f'concatenate: {total} channels  '
         f'({spec.c1} + {spec.c2[1]} + {spec.c3[1]} + {spec.c4})', 'block')
    if costs:
        ax.text(2.85, bottom, f'whole block:\n{sum(r[2] + r[4] for r in costs):,} params',
                ha='left', va='center', fontsize=SLIDE_FONT, color='0.25')
    ax.set_xlim(-0.55, 3.55)
    ax.set_ylim(bottom - 0.3, top + 0.3)
    return ax


_BRANCH_LAYERS = (('branch 1: 1×1 conv', ('b1_1',)),
                  ('branch 2: 1×1 → 3×3 conv', ('b2_1', 'b2_2')),
                  ('branch 3: 1×1 → 5×5 conv', ('b3_1', 'b3_2')),
                  ('branch 4: 3×3 pool → 1×1 conv', ('b4_1', 'b4_2')))   # Inception's attributes


def _find_inception(model, block):
    """(name, path, Inception) of block ``block``: an index among the net's Inception
    blocks (None: the first), a config name ('b3.inception1') or a path ('2.0')."""
    found = [(path, b) for path, b, _ in iter_layers(model) if isinstance(b, Inception)]
    if not found:
        raise ValueError(f'{type(model).__name__} has no Inception block; pass a GoogLeNet')
    config = getattr(model, 'config', None)
    names = [n for n, _, _ in inception_blocks(config)] if config is not None else []
    names = names if len(names) == len(found) else [p for p, _ in found]
    keys = {**{p: i for i, (p, _) in enumerate(found)}, **{n: i for i, n in enumerate(names)}}
    i = 0 if block is None else keys.get(block, block)
    if not isinstance(i, int) or not -len(found) <= i < len(found):
        raise ValueError(f'block={block!r}; pick an index 0..{len(found) - 1} or a name '
                         f'from {names}')
    return names[i], found[i][0], found[i][1]


def _input_at(net, path, X):
    """Run ``X`` through every block before ``path`` (e.g. '2.1': net[0], net[1], then
    net[2][0]) and return what the block at ``path`` receives."""
    container = net
    for key in path.split('.'):
        for name, child in child_blocks(container):
            if name == key:
                container = child
                break
            X = child(X)
    return X


def inception_branch_maps(model, image, block=None):
    """What each branch of one Inception block of a GoogLeNet computes for one image:
    ``(name, {'block input': maps, 'branch 1: 1×1 conv': maps, ...})``, numpy (C, H, W)
    arrays. ``block``: index among the Inception blocks (default 0, the first of b3),
    or a name such as 'b3.inception2'. The stages before the block run to get its
    input; then its branches b1_1, b2_1→b2_2, b3_1→b3_2, b4_1→b4_2 run on it."""
    name, path, blk = _find_inception(model, block)
    with autograd.predict_mode():
        X = _input_at(net_of(model), path, one_image(model, image))
        out = {'block input': X.asnumpy()[0]}
        for label, layers in _BRANCH_LAYERS:
            Y = X
            for attr in layers:
                Y = getattr(blk, attr)(Y)
            out[label] = Y.asnumpy()[0]
    return name, out


def plot_inception_branches(model, image, block=None, max_maps=6, fig=None, pick='active'):
    """One Inception block at work on one image: the image, the block's input, and what
    each of its four branches outputs (``max_maps`` channels each, `plot_layer_by_layer`
    style; see `inception_branch_maps`). The branches are concatenated along the
    channels into the block's output. Returns the figure."""
    name, maps = inception_branch_maps(model, image, block)
    width = min(SLIDE_WIDTH, 3.2 + 0.62 * positive_int(max_maps, 'max_maps'))
    fig = figure_of_size(fig, (width, 4.8))
    grid = fig.add_gridspec(len(maps), 2, width_ratios=(1.6, width - 1.6))
    image = one_image(model, image).asnumpy()[0]
    draw_input(fig.add_subplot(grid[:, 0]), image, f'image   {dims_text(image.shape)}')
    for i, (label, m) in enumerate(maps.items()):
        channels = pick_channels(m, max_maps, pick)
        draw_strip(fig.add_subplot(grid[i, 1]), m, channels,
                    maps_title(label, m, channels, pick))
    total = sum(m.shape[0] for label, m in maps.items() if label != 'block input')
    fig.suptitle(f'Inception block {name}: 4 branches, concatenated: {total} channels',
                 fontsize=SLIDE_FONT)
    return fig


def stage_rows(name, groups, **overrides):
    """``{group: (params, MACs)}`` for named groups of a network's top-level stages,
    e.g. ``groups={'stem': ('b1', 'b2'), 'body': ('b3', 'b4', 'b5'), 'head': ('dense',)}``
    (names of the config's layer table), per example at the config's input size."""
    rows = layer_costs(config_of(name, overrides))
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
                 f'{human_count(m):>10}  {m / total_m:>6.1%}')


def largest_branch(c_in, c1, c2, c3, c4):
    """The label of the branch of ``Inception(c1, c2, c3, c4)`` on ``c_in`` channels
    with the most parameters (e.g. '1x1 -> 3x3')."""
    return max(inception_branches(c_in, c1, c2, c3, c4, 1), key=lambda row: row[2])[0]


def inception_branch_table(c_in, c1, c2, c3, c4, size, print_fn=print):
    """Print what each branch of ``Inception(c1, c2, c3, c4)`` on a c_in x size x size
    input outputs and costs; cross-checked against ``week5.models.Inception``."""
    rows = inception_branches(c_in, c1, c2, c3, c4, size)
    blk = Inception(c1, c2, c3, c4, in_channels=c_in)
    blk.initialize()
    out_shape = output_shape(blk(random_input(blk, (1, c_in, size, size))))
    assert count_params(blk) == sum(r[2] for r in rows), 'branch table disagrees with model'
    print_fn(f'input {c_in} x {size} x {size} -> output {tuple(out_shape)[1:]}')
    print_fn(f'{"branch":<12}  {"channels":>8}  {"params":>9}  {"MACs":>10}')
    for label, ch, p, m in rows:
        print_fn(f'{label:<12}  {ch:>8}  {p:>9,}  {human_count(m):>10}')
    print_fn(f'{"total":<12}  {sum(r[1] for r in rows):>8}  {sum(r[2] for r in rows):>9,}  '
             f'{human_count(sum(r[3] for r in rows)):>10}')


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
        print_fn(f'{label:<{width}}  {ch:>8}  {p:>9,}  {human_count(m):>10}')


# ------------------------------------------------------------------ branch use, measured
def _branch_scale(block, attrs):
    """The parameters whose zeroing makes a branch output zeros: the last conv's weight
    and bias, or (with batch norm) the normalisation's scale and shift."""
    last = getattr(block, attrs[-1])
    layers = [last[i] for i in range(len(last))] if isinstance(last, nn.HybridSequential) \
        else [last]
    norm = [b for b in layers if isinstance(b, nn.BatchNorm)]
    if norm:
        return [norm[0].gamma, norm[0].beta]
    conv = layers[0]
    return [conv.weight] + ([conv.bias] if conv.bias is not None else [])


def _accuracy(model, batches):
    with autograd.predict_mode():
        right = sum(int((model.net(X).argmax(axis=1).astype('int32') == y).sum())
                    for X, y in batches)
    return right / sum(len(y) for _, y in batches)


def branch_use(model, data, blocks=(None,), num_images=2000):
    """How much a trained GoogLeNet uses each branch of its Inception ``blocks`` (indices
    or names, see `inception_branch_maps`; None: the first), measured on the first
    ``num_images`` validation images: each branch's share of the block's output (mean
    absolute activation of its channels over the total, on the first batch) and the
    validation accuracy when that branch's output is replaced by zeros. Returns rows ``(block, branch, channels,
    share, accuracy with the branch zeroed)``, the accuracy of the intact network and the
    number of images it was measured on.
    Call it on the thread that trained the model."""
    batches = []
    for X, y in data.val_dataloader():
        batches.append((X, y))
        if sum(len(b) for _, b in batches) >= num_images:
            break
    intact = _accuracy(model, batches)
    rows = []
    for block in blocks:
        name, path, blk = _find_inception(model, block)
        with autograd.predict_mode():
            X = _input_at(net_of(model), path, batches[0][0])
            outputs = []
            for _, attrs in _BRANCH_LAYERS:
                Y = X
                for attr in attrs:
                    Y = getattr(blk, attr)(Y)
                outputs.append(Y)
        strength = [float(abs(Y).mean().item()) * Y.shape[1] for Y in outputs]
        for (label, attrs), Y, s in zip(_BRANCH_LAYERS, outputs, strength):
            params = _branch_scale(blk, attrs)
            kept = [p.data().copy() for p in params]
            try:
                for p in params:
                    p.set_data(p.data() * 0)
                zeroed = _accuracy(model, batches)
            finally:
                for p, value in zip(params, kept):
                    p.set_data(value)
            rows.append((name, label, int(Y.shape[1]), s / sum(strength), zeroed))
    return rows, intact, sum(len(y) for _, y in batches)


def branch_use_table(model, data, blocks=(None,), num_images=2000, print_fn=print):
    """Print `branch_use` as a table: per branch, its channels, its share of the block's
    output and the accuracy drop when it is zeroed. Returns what `branch_use` returns."""
    rows, intact, used = branch_use(model, data, blocks, num_images)
    print_fn(f'validation accuracy of the trained network: {intact:.3f} '
             f'(on {used:,} validation images)')
    print_fn(f'{"block":<15}{"branch":<32}{"channels":>9}{"share of output":>17}'
             f'{"acc. zeroed":>13}{"drop":>8}')
    for name, label, channels, share, zeroed in rows:
        print_fn(f'{name:<15}{label:<32}{channels:>9}{share:>17.1%}{zeroed:>13.3f}'
                 f'{intact - zeroed:>+8.3f}')
    return rows, intact, used
