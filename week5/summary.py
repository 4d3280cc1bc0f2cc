"""Layer summaries of Gluon networks, in the spirit of Keras' ``model.summary()``.

``layer_summary(net, X_shape)`` runs one forward pass on random data and returns rows
(name, output shape, parameter count, MACs); ``format_summary(rows)`` turns them into a
table with totals; ``print_summary`` does both. Computing and printing are separate, so
tests assert on rows and notebooks print tables.

What is counted:

* ``params``: the elements of every parameter under the layer, each shared parameter
  once, *except* BatchNorm's running mean and variance (statistics, not learned
  weights; PyTorch calls them buffers). LeNet-5 with 10 classes: 61,706.
* ``macs``: **multiply-accumulates (MACs)** of the convolutions and dense layers for
  one forward pass on an input of ``X_shape`` (batch included; use a batch of 1 for
  per-example numbers). A k x k convolution with C_in input channels costs
  C_in * k * k MACs per output element; a dense layer in_units MACs per output.
  Pooling, activations, BatchNorm and the bias additions are not counted (they are a
  small fraction); one MAC is about two floating-point operations.

Works for nested blocks: ``depth=1`` gives one row per child of ``net`` (an Inception
block or a VGG block is one row with its totals); ``depth=2`` adds their children,
indented. Hybridized networks are run imperatively for the summary and left hybridized.

Never imports matplotlib, IPython or ipywidgets.
"""
import math
from collections import namedtuple

import mxnet as mx
from mxnet import util
from mxnet.gluon import Block, HybridBlock, nn

from .core import child_blocks
from .models import get_config, list_models
from .models.blocks import Dense, Stage
from .models.googlenet import InceptionSpec

__all__ = ['LayerRow', 'iter_layers', 'layer_summary', 'format_summary', 'print_summary',
           'count_params', 'layer_costs', 'param_split', 'body_head_rows',
           'body_head_table', 'inception_branches', 'cost_rows',
           'cost_table', 'map_shapes', 'MemoryRow', 'memory_rows', 'memory_table',
           'memory_totals']

LayerRow = namedtuple('LayerRow', 'name output_shape params macs path depth')
LayerRow.__doc__ = """One row of a layer summary.

name: the layer's class name ('Conv2D'); output_shape: its output shape (batch included);
params: parameter count; macs: multiply-accumulates (MACs; FLOPs ~ 2 x MACs); path: position in the net
('2' or '2.b1_1'); depth: 1 for children of the net, 2 for their children, ..."""

_MAC_LAYERS = (nn.Conv1D, nn.Conv2D, nn.Conv3D, nn.Dense)
_STATISTICS = ('running_mean', 'running_var')


def count_params(block):
    """Learned parameter elements under ``block`` (shared ones once, BatchNorm's running
    statistics left out). Shapes must be known (after a forward pass)."""
    return sum(math.prod(p.shape) for name, p in block.collect_params().items()
               if not name.endswith(_STATISTICS))


def _is_symbolic(args):
    return any(isinstance(a, mx.sym.Symbol) for a in args)


def output_shape(out):
    if isinstance(out, (list, tuple)):
        return tuple(output_shape(o) for o in out)
    return tuple(out.shape)


def _macs(block, out):
    """MACs of one call of a conv / dense layer: weight elements x output positions."""
    if not isinstance(block, _MAC_LAYERS) or isinstance(out, (list, tuple)):
        return 0
    w = block.weight.shape
    return math.prod(w) * out.size // w[0]


def iter_layers(net, max_depth=None, leaves=False):
    """``(path, block, depth)`` for every block inside ``net`` (a Gluon block or a model
    with a ``.net``), depth-first in registration order: path '2' or '2.b1_1', depth 1 for
    the net's own children. A block used in several places (shared weights) is listed
    once, at its first place. ``max_depth`` stops descending; ``leaves`` keeps only the
    blocks without children (Conv2D, Dense, Activation, ...).

    The one walker over a network's structure in week5 (checks, viz, summary use it)."""
    net = net.net if hasattr(net, 'net') and isinstance(net.net, Block) else net
    seen = set()

    def walk(block, path, depth):
        for key, child in child_blocks(block):
            if id(child) in seen:
                continue
            seen.add(id(child))
            child_path = f'{path}.{key}' if path else key
            inner = child_blocks(child)
            if not leaves or not inner:
                yield child_path, child, depth + 1
            if max_depth is None or depth + 1 < max_depth:
                yield from walk(child, child_path, depth + 1)
    yield from walk(net, '', 0)


def _check_initialized(net):
    for name, p in net.collect_params().items():
        if p._data is None and not p._deferred_init:
            raise ValueError(f'parameter {name} is not initialized — call net.initialize() '
                             f'(e.g. net.initialize(init.Xavier())) before layer_summary')


def random_input(net, X_shape):
    ctx = mx.cpu()
    for p in net.collect_params().values():
        ctx = p._deferred_init[1][0] if p._data is None else p.list_ctx()[0]
        break
    if util.is_np_array():
        return mx.np.random.normal(size=X_shape, ctx=ctx)
    return mx.nd.random.normal(shape=X_shape, ctx=ctx)


def layer_summary(net, X_shape=None, depth=1):
    """Rows (``LayerRow``) for the layers of ``net`` on a random input of ``X_shape``.

    ``net`` is a Gluon block or a model with a ``.net`` (then ``X_shape`` defaults to the
    model's ``input_shape``, a batch of one). ``depth`` >= 1 is how deep to list nested
    blocks. Raises ValueError for a bad ``X_shape`` or an uninitialised net."""
    if hasattr(net, 'net') and isinstance(net.net, Block):
        if X_shape is None:
            X_shape = getattr(net, 'input_shape', None)
        net = net.net
    if not isinstance(net, Block):
        raise TypeError(f'net must be a Gluon Block or a model with a .net, got '
                        f'{type(net).__name__}')
    if X_shape is None:
        raise ValueError('X_shape is required for a plain Gluon net — give (batch, channels, '
                         'height, width), e.g. (1, 1, 28, 28)')
    if not isinstance(X_shape, (tuple, list)) or not X_shape or not all(
            isinstance(n, int) and n >= 1 for n in X_shape):
        raise ValueError(f'X_shape must be a tuple of positive ints such as (1, 1, 28, 28), '
                         f'got {X_shape!r}')
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f'depth must be an int >= 1, got {depth!r}')
    _check_initialized(net)

    blocks = [(b, path, d) for path, b, d in iter_layers(net)] or [(net, '0', 1)]
    calls = {}   # path -> [output shape of the first call, MACs over all calls]
    order = []   # paths in the order the blocks were first called

    def hooks(path):
        def pre(block, args):
            if _is_symbolic(args):  # MXNet's deferred shape inference runs on symbols
                return
            if path not in calls:
                order.append(path)
                calls[path] = [None, 0]

        def post(block, args, out):
            if _is_symbolic(args):
                return
            record = calls[path]
            if record[0] is None:
                record[0] = output_shape(out)
            record[1] += _macs(block, out)
        return pre, post

    handles, was_active = [], []
    for block, path, _ in blocks:
        pre, post = hooks(path)
        handles += [block.register_forward_pre_hook(pre), block.register_forward_hook(post)]
    for block in [net] + [b for b, _, _ in blocks]:
        if isinstance(block, HybridBlock) and block._active:
            # hooks of children do not fire inside a cached graph: run imperatively once
            was_active.append(block)
            block._active = False
    try:
        with mx.autograd.predict_mode():
            net(random_input(net, tuple(X_shape)))
    except mx.base.MXNetError as err:
        raise ValueError(f'the forward pass on an input of shape {tuple(X_shape)} failed — '
                         f'check X_shape is (batch, channels, height, width) as the net '
                         f'expects. MXNet said: {str(err).splitlines()[0]}') from None
    finally:
        for h in handles:
            h.detach()
        for block in was_active:
            block._active = True

    rows = []
    for block, path, d in blocks:
        if d > depth or path not in calls:
            continue
        inside = [p for p in calls if p == path or p.startswith(path + '.')]
        rows.append(LayerRow(type(block).__name__, calls[path][0], count_params(block),
                             sum(calls[p][1] for p in inside), path, d))
    position = {p: i for i, p in enumerate(order)}
    rows.sort(key=lambda r: position[r.path])
    return rows


def human_count(n):
    """A count in G / M / K with two decimals (e.g. '1.99 M'), else as it is."""
    for unit, scale in (('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if abs(n) >= scale:
            return f'{n / scale:.2f} {unit}'
    return str(n)


def format_summary(rows, title=None):
    """A text table of summary rows with totals (from the depth-1 rows)."""
    if not rows:
        raise ValueError('no rows to format — pass the result of layer_summary(net, X_shape)')
    labels = [('  ' * (r.depth - 1)) + f'{r.path} {r.name}' for r in rows]
    shapes = [str(r.output_shape) for r in rows]
    w1 = max(len('Layer'), *map(len, labels)) + 2
    w2 = max(len('Output shape'), *map(len, shapes)) + 2
    header = f'{"Layer":<{w1}}{"Output shape":<{w2}}{"Params":>12}{"MACs":>16}'
    rule = '-' * len(header)
    lines = ([title] if title else []) + [header, rule]
    for label, shape, r in zip(labels, shapes, rows):
        lines.append(f'{label:<{w1}}{shape:<{w2}}{r.params:>12,}{r.macs:>16,}')
    top = [r for r in rows if r.depth == 1]
    params, macs = sum(r.params for r in top), sum(r.macs for r in top)
    lines += ['=' * len(header),
              f'Total params: {params:,} ({human_count(params)})',
              f'Total MACs:   {macs:,} ({human_count(macs)}) per forward pass of the input '
              f'batch; FLOPs ~ 2 x MACs']
    return '\n'.join(lines)


def print_summary(net, X_shape=None, depth=1, print_fn=print):
    """Compute the rows, print the table with ``print_fn`` and return the rows."""
    rows = layer_summary(net, X_shape, depth)
    print_fn(format_summary(rows))
    return rows


# ---------------------------------------------------------------------------------------
# Costs from a config's layer table: shape arithmetic, no MXNet compute. Each layer spec
# knows its ``cost(shape)`` beside its ``out_shape``; these tables add them up.
# ---------------------------------------------------------------------------------------

def config_of(spec, overrides=None):
    """A network config: from a registry name (+ overrides), a model, or a config."""
    if isinstance(spec, str):
        return get_config(spec, **(overrides or {}))
    return getattr(spec, 'config', spec)


def layer_costs(config):
    """One row (name, kind, params, MACs, output shape) per layer of a network config's
    layer table, nested stages flattened; kind is 'conv', 'dense' or 'other'
    (BatchNorm's scale and shift get their own 'other' row, as in ``layer_summary``);
    MACs are per example. Each spec's ``cost(shape)`` does the arithmetic."""
    def walk(specs, shape, prefix):
        for spec in specs:
            name = f'{prefix}.{spec.name}' if prefix else spec.name
            if isinstance(spec, Stage):
                yield from walk(spec.layers, shape, name)
                shape = spec.out_shape(shape, name)
                continue
            out = spec.out_shape(shape, name)
            params, macs, norm = spec.cost(shape) if hasattr(spec, 'cost') else (0, 0, 0)
            kind = 'dense' if isinstance(spec, Dense) else 'conv' if macs else 'other'
            yield name, kind, params, macs, out
            if norm:                    # BatchNorm's scale and shift: neither conv nor dense
                yield f'{name}.batch_norm', 'other', norm, 0, out
            shape = out

    return list(walk(config.layers(), config.input_shape, ''))


def param_split(spec, X_shape=None):
    """Parameters and MACs (per example) in convolutions vs dense layers: a dict with
    conv_params, dense_params, conv_macs, dense_macs, total_params, total_macs.

    ``spec``: a network config, a model with a ``.config`` or a registry name (shape
    arithmetic, instant even for VGG at 224x224); or a plain Gluon net with ``X_shape``
    (measured with one forward pass through ``week5.summary``)."""
    out = {'conv_params': 0, 'dense_params': 0, 'conv_macs': 0, 'dense_macs': 0}
    config = config_of(spec)
    if hasattr(config, 'layers'):
        rows = [(kind, params, macs) for _, kind, params, macs, _ in layer_costs(config)]
        total = sum(r[1] for r in rows)     # BatchNorm included
    else:
        if X_shape is None:
            raise ValueError('X_shape is required for a plain Gluon net, e.g. (1, 1, 28, 28)')
        rows = [({'Conv2D': 'conv', 'Dense': 'dense'}.get(r.name, 'other'), r.params,
                 r.macs // X_shape[0]) for r in layer_summary(spec, X_shape, depth=8)]
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
    return {label: param_split(config_of(spec) if name is None else config_of(name, spec))
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
                 f'{share:>11.1%}  {human_count(s["conv_macs"]):>10}  {human_count(s["dense_macs"]):>10}')


def map_shapes(spec):
    """``{layer: 'C×H×W'}`` of a network config (or registry name, or model) at its input
    size: ``'input'`` and every layer of its table whose output is a feature map, dots in
    nested names made underscores (``'block5'``, ``'b3_inception1'``), so a chapter can
    record them (``record('vgg_maps', map_shapes(recipe.config))``) and its text say the
    sizes this run trains instead of the book's."""
    config = config_of(spec)
    shapes = [('input', tuple(config.input_shape))] + list(config.shapes())
    return {name.replace('.', '_'): '×'.join(str(d) for d in shape)
            for name, shape in shapes if len(shape) == 3}


def inception_branches(c_in, c1, c2, c3, c4, size):
    """Per branch of an Inception block on a c_in x size x size input (``size`` an int
    or an (h, w) pair): (label, output channels, params, MACs)."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    spec = InceptionSpec('inception', c1, tuple(c2), tuple(c3), c4)
    return [row[:4] for row in spec.branches((c_in,) + size)]


def cost_rows(names=None, configs=None):
    """``{name: param_split(...)}`` of each network: at the book's input size (the
    configs' defaults: 28x28 LeNet, 96x96 GoogLeNet, 224x224 the others), or of the
    given ``configs`` (``{name: config}``, e.g. a profile's recipes' configs)."""
    configs = configs or {name: config_of(name) for name in (names or list_models())}
    return {name: param_split(config) for name, config in configs.items()}


def cost_table(names=None, configs=None, print_fn=print):
    """Print parameters and MACs per example of each network (see ``cost_rows``), with
    the share of parameters in dense layers."""
    configs = configs or {name: config_of(name) for name in (names or list_models())}
    print_fn(f'{"network":<10}  {"input":>9}  {"params":>12}  {"in dense":>8}  '
             f'{"MACs":>10}')
    for name, s in cost_rows(configs=configs).items():
        _, h, w = configs[name].input_shape
        share = s['dense_params'] / s['total_params']
        print_fn(f'{name:<10}  {h:>4}x{w:<4}  {s["total_params"]:>12,}  '
                 f'{share:>8.1%}  {human_count(s["total_macs"]):>10}')


# ---------------------------------------------------------------------------------------
# Memory: what each layer keeps per image (its output, needed again by the backward
# pass) against what it keeps once (its parameters), in float32 bytes. The two-GPU split
# of AlexNet (and why activations, not weights, fill a GPU at large batches) reads off it.
# ---------------------------------------------------------------------------------------
FLOAT_BYTES = 4
MemoryRow = namedtuple('MemoryRow', 'name output_shape activation_bytes param_bytes params')
MemoryRow.__doc__ = """One layer's memory: output_shape per image; activation_bytes: its
output for one image (float32); param_bytes: its parameters (float32); params: their count
(as ``layer_summary`` counts them)."""


def memory_rows(spec):
    """One `MemoryRow` per layer of a network config (or model, or registry name), from
    its layer table (`layer_costs`: shape arithmetic, instant at 224x224)."""
    return [MemoryRow(name, out, math.prod(out) * FLOAT_BYTES, params * FLOAT_BYTES, params)
            for name, _, params, _, out in layer_costs(config_of(spec))]


def _mb(n):
    return f'{n / 2**20:,.2f}'


def memory_table(variants, batch_size=128, print_fn=print):
    """Print, per layer, activation memory per image and parameter memory of each of
    ``variants`` (``{label: config or model}``, e.g. the book's 224x224 network and the
    laptop one; layers matched by name), then the totals: activations for a batch of
    ``batch_size`` against parameters with their gradients and momentum (3 copies).
    Returns ``{label: [MemoryRow, ...]}``."""
    rows = {label: memory_rows(spec) for label, spec in variants.items()}
    names = list(dict.fromkeys(r.name for rs in rows.values() for r in rs))
    by_name = {label: {r.name: r for r in rs} for label, rs in rows.items()}
    head = f'{"layer":<16}' + ''.join(f'{"act KB/img":>12}{"params KB":>13}'
                                      for _ in variants)
    print_fn(f'{"":<16}' + ''.join(f'{label[:24]:>25}' for label in variants))
    print_fn(head)
    print_fn('-' * len(head))
    for name in names:
        cells = ''
        for label in variants:
            r = by_name[label].get(name)
            cells += (f'{r.activation_bytes / 2**10:>12,.2f}{r.param_bytes / 2**10:>13,.2f}'
                      if r else f'{"-":>12}{"-":>13}')
        print_fn(f'{name:<16}{cells}')
    print_fn('=' * len(head))
    for label, rs in rows.items():
        act = sum(r.activation_bytes for r in rs)
        par = sum(r.param_bytes for r in rs)
        print_fn(f'{label}: activations {_mb(act)} MB per image, {_mb(act * batch_size)} MB '
                 f'for a batch of {batch_size}; parameters {_mb(par)} MB, {_mb(3 * par)} MB '
                 f'with gradients and momentum')
    return rows


def memory_totals(configs, batch_size=128, title=None, print_fn=print):
    """Print one line per network (``{name: config}``): activation memory per image
    and for a batch, parameter memory, and where the most of each sits, under
    ``title``. Returns ``{name: [MemoryRow, ...]}``."""
    if title:
        print_fn(title)
    print_fn(f'{"network":<10}{"input":>9}{"act MB/img":>12}{"act MB/batch":>14}'
             f'{"params MB":>11}  {"most activations":<18}{"most parameters":<16}')
    out = {}
    for name, spec in configs.items():
        rs = memory_rows(spec)
        _, h, w = config_of(spec).input_shape
        act = sum(r.activation_bytes for r in rs)
        par = sum(r.param_bytes for r in rs)
        top_act = max(rs, key=lambda r: r.activation_bytes).name
        top_par = max(rs, key=lambda r: r.param_bytes).name
        print_fn(f'{name:<10}{f"{h}x{w}":>9}{_mb(act):>12}{_mb(act * batch_size):>14}'
                 f'{_mb(par):>11}  {top_act:<18}{top_par:<16}')
        out[name] = rs
    return out
