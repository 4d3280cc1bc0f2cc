"""Layer summaries of Gluon networks, in the spirit of Keras' ``model.summary()``.

``layer_summary(net, X_shape)`` runs one forward pass on random data and returns rows
(name, output shape, parameter count, FLOPs); ``format_summary(rows)`` turns them into a
table with totals; ``print_summary`` does both. Computing and printing are separate, so
tests assert on rows and notebooks print tables.

What is counted:

* ``params``: the elements of every parameter under the layer, each shared parameter
  once, *except* BatchNorm's running mean and variance (statistics, not learned
  weights; PyTorch calls them buffers). LeNet-5 with 10 classes: 61,706.
* ``flops``: **multiply-accumulates (MACs)** of the convolutions and dense layers for
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
from collections import namedtuple

import mxnet as mx
from mxnet import util
from mxnet.gluon import Block, HybridBlock, nn

__all__ = ['LayerRow', 'layer_summary', 'format_summary', 'print_summary', 'count_params']

LayerRow = namedtuple('LayerRow', 'name output_shape params flops path depth')
LayerRow.__doc__ = """One row of a layer summary.

name: the layer's class name ('Conv2D'); output_shape: its output shape (batch included);
params: parameter count; flops: multiply-accumulates (MACs); path: position in the net
('2' or '2.b1_1'); depth: 1 for children of the net, 2 for their children, ..."""

_MAC_LAYERS = (nn.Conv1D, nn.Conv2D, nn.Conv3D, nn.Dense)
_STATISTICS = ('running_mean', 'running_var')


def count_params(block):
    """Learned parameter elements under ``block`` (shared ones once, BatchNorm's running
    statistics left out). Shapes must be known (after a forward pass)."""
    total = 0
    for name, p in block.collect_params().items():
        if not name.endswith(_STATISTICS):
            size = 1
            for n in p.shape:
                size *= n
            total += size
    return total


def _is_symbolic(args):
    return any(isinstance(a, mx.sym.Symbol) for a in args)


def _shape(out):
    if isinstance(out, (list, tuple)):
        return tuple(_shape(o) for o in out)
    return tuple(out.shape)


def _macs(block, out):
    """MACs of one call of a conv / dense layer: weight elements x output positions."""
    if not isinstance(block, _MAC_LAYERS) or isinstance(out, (list, tuple)):
        return 0
    w = block.weight.shape
    size = 1
    for n in w:
        size *= n
    return size * out.size // w[0]


def _descendants(block, path='', depth=0, seen=None):
    """(block, path, depth) for every block under ``block``, depth-first; a block used
    in several places (shared weights) is listed once, at its first place."""
    seen = set() if seen is None else seen
    for key, child in block._children.items():
        if id(child) in seen:
            continue
        seen.add(id(child))
        child_path = f'{path}.{key}' if path else key
        yield child, child_path, depth + 1
        yield from _descendants(child, child_path, depth + 1, seen)


def _check_initialized(net):
    for name, p in net.collect_params().items():
        if p._data is None and not p._deferred_init:
            raise ValueError(f'parameter {name} is not initialized — call net.initialize() '
                             f'(e.g. net.initialize(init.Xavier())) before layer_summary')


def _random_input(net, X_shape):
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

    blocks = list(_descendants(net)) or [(net, '0', 1)]
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
                record[0] = _shape(out)
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
            net(_random_input(net, tuple(X_shape)))
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


def _human(n):
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
        lines.append(f'{label:<{w1}}{shape:<{w2}}{r.params:>12,}{r.flops:>16,}')
    top = [r for r in rows if r.depth == 1]
    params, flops = sum(r.params for r in top), sum(r.flops for r in top)
    lines += ['=' * len(header),
              f'Total params: {params:,} ({_human(params)})',
              f'Total MACs:   {flops:,} ({_human(flops)}) per forward pass of the input '
              f'batch; FLOPs ~ 2 x MACs']
    return '\n'.join(lines)


def print_summary(net, X_shape=None, depth=1, print_fn=print):
    """Compute the rows, print the table with ``print_fn`` and return the rows."""
    rows = layer_summary(net, X_shape, depth)
    print_fn(format_summary(rows))
    return rows
