"""Looking inside a network: the layers it has, the feature maps an image makes at each,
the first-layer filters, and the gradient each weight layer receives.

Everything here runs a network (a forward pass, or one backward pass for gradients) and
returns numbers as NumPy arrays; drawing them is week5/viz.py's job. No matplotlib,
IPython or ipywidgets, so the lab's training thread and the tests use it headless.
"""
import mxnet as mx
import numpy as np
from mxnet import autograd
from mxnet.gluon import nn

from .summary import iter_layers
from .tensor import use_np

__all__ = ['to_numpy', 'to_mx_array', 'dims_text', 'net_of', 'list_layers', 'feature_maps', 'conv_layers',
           'conv_weights', 'filter_change', 'one_image', 'layer_by_layer_maps', 'gradient_norms']


def _weight_layers(net):
    """Conv2D / Dense layers of ``net`` in order, labelled conv1.. / dense1.."""
    out, counts = [], {'conv': 0, 'dense': 0}
    for _, block, _ in iter_layers(net):
        if isinstance(block, (nn.Conv2D, nn.Dense)):
            kind = 'conv' if isinstance(block, nn.Conv2D) else 'dense'
            counts[kind] += 1
            out.append((f'{kind}{counts[kind]}', block))
    return out


def gradient_norms(model, X, y):
    """L2 norm of each weight layer's gradient after one forward/backward pass of the
    batch (X, y) through ``model`` (a Classifier): ``[(layer, norm), ...]`` from the
    input side to the output."""
    use_np()
    layers = _weight_layers(model.net)
    with autograd.record():
        loss = model.loss(model(X), y)
    loss.backward()
    return [(label, float((layer.weight.grad() ** 2).sum().item() ** 0.5))
            for label, layer in layers]


def net_of(model):
    return getattr(model, 'net', model)


def _layer_path(net):
    """The top-level layers of a (Hybrid)Sequential net, in order."""
    try:
        return [net[i] for i in range(len(net))]
    except TypeError:
        raise TypeError(f'{type(net).__name__} is not a Sequential network; pass a model '
                        f'whose .net is an nn.Sequential / nn.HybridSequential') from None


def list_layers(model, X_shape):
    """[(index, 'index: Name', output shape)] of the model's top-level layers for an input
    of ``X_shape`` (e.g. (1, 1, 28, 28)). Runs one forward pass on zeros."""
    X = to_mx_array(np.zeros(tuple(X_shape), dtype=np.float32))
    out = []
    for i, layer in enumerate(_layer_path(net_of(model))):
        X = layer(X)
        out.append((i, f'{i}: {type(layer).__name__}', tuple(X.shape)))
    return out


def feature_maps(model, X, layer):
    """The output of top-level layer ``layer`` (index, or 'index: Name' from
    `list_layers`) of the model's net for input ``X`` (numpy or MXNet, (C, H, W) or
    (N, C, H, W)), as a numpy array. Call it on the thread that trains the model."""
    layers = _layer_path(net_of(model))
    if isinstance(layer, str):
        layer = int(layer.split(':', 1)[0])
    if not -len(layers) <= int(layer) < len(layers):
        raise ValueError(f'layer={layer} but the net has {len(layers)} top-level layers; '
                         f'pick 0..{len(layers) - 1} (see list_layers)')
    layer = int(layer) % len(layers)
    X = to_numpy(X).astype(np.float32)
    if X.ndim == 3:
        X = X[None]
    X = to_mx_array(X)
    for blk in layers[:layer + 1]:
        X = blk(X)
    return X.asnumpy()


def conv_layers(model):
    """[(path, block)] of every convolution in the model's net, depth first, e.g.
    [('0', Conv2D), ('3.0', Conv2D), ...] (nested blocks joined by dots)."""
    return [(path, block) for path, block, _ in iter_layers(net_of(model))
            if isinstance(block, (nn.Conv1D, nn.Conv2D, nn.Conv3D))]


def conv_weights(model, index=0):
    """The weights of the model's ``index``-th convolution (0: the first layer) as a numpy
    array (out, in, kh, kw), or None while they are not initialised yet (deferred
    initialisation waits for the first forward pass). The array is a copy: keep
    ``before = conv_weights(model)`` before training to compare with the trained filters
    (`plot_filters_before_after`).
    Call it on the thread that trains the model (MXNet state is per thread)."""
    from mxnet.gluon.parameter import DeferredInitializationError
    convs = conv_layers(model)
    if not convs:
        raise ValueError(f'{type(net_of(model)).__name__} has no convolution layer; '
                         f'filters exist only for convolutional networks')
    if not -len(convs) <= index < len(convs):
        raise ValueError(f'index={index} but the net has {len(convs)} conv layers; '
                         f'pick 0..{len(convs) - 1}')
    try:
        return convs[index][1].weight.data().asnumpy()
    except DeferredInitializationError:
        return None
    except RuntimeError as err:           # initialize() not called yet
        if 'not been initialized' in str(err):
            return None
        raise


def top_layer_names(model, count):
    """The config's names of the net's ``count`` top-level layers ('conv1', 'block2',
    'b3'), or None when the model has no config (or it does not match the net)."""
    config = getattr(model, 'config', None)
    if config is None:
        return None
    top = [n for n, _ in config.shapes() if '.' not in n]
    return top if len(top) == count else None


def one_image(model, image):
    """``image`` (numpy or MXNet, (H, W), (C, H, W) or (1, C, H, W)) as a (1, C, H, W)
    array of the thread's MXNet flavour, checked against the model's input shape."""
    X = to_numpy(image).astype(np.float32)
    X = X.reshape((1,) * (4 - X.ndim) + X.shape) if X.ndim in (2, 3) else X
    if X.ndim != 4 or X.shape[0] != 1:
        raise ValueError(f'image has shape {X.shape}; pass one image shaped (C, H, W) or '
                         f'(1, C, H, W), e.g. X[0] of a validation batch')
    want = getattr(getattr(model, 'config', None), 'input_shape', None)
    if want is not None and tuple(X.shape[1:]) != tuple(want):
        raise ValueError(f'image is {dims_text(X.shape[1:])} but the model expects '
                         f'{dims_text(want)}: take it from the recipe\'s data '
                         f'(recipe.data() resizes the images)')
    return to_mx_array(X)


def layer_by_layer_maps(model, image, layers=None):
    """One image through the model's net, top-level layer by layer: ``[(name, maps)]``,
    first ('input', image) then every layer whose output is (C, H, W), as numpy arrays
    (C, H, W). Names come from the config ('conv1', 'block2', 'b3') or read 'index: Name'.
    Dropout layers are left out (at prediction they pass their input on unchanged).
    ``layers``: names or indices of the layers to keep (default: all). Runs in predict
    mode on the calling thread (the thread that trains the model)."""
    blocks = _layer_path(net_of(model))
    names = top_layer_names(model, len(blocks)) or [f'{i}: {type(b).__name__}'
                                               for i, b in enumerate(blocks)]
    if layers is not None:
        unknown = [k for k in layers if k not in names and k not in range(len(blocks))]
        if unknown:
            raise ValueError(f'layers {unknown} are not in this net; use names from '
                             f'{names} or indices 0..{len(blocks) - 1}')
    X = one_image(model, image)
    out = [('input', X.asnumpy()[0])]
    with autograd.predict_mode():
        for i, (name, block) in enumerate(zip(names, blocks)):
            X = block(X)
            wanted = layers is None or name in layers or i in layers
            if wanted and X.ndim == 4 and not isinstance(block, nn.Dropout):
                out.append((name, X.asnumpy()[0]))
    return out


def to_numpy(x):
    if hasattr(x, 'asnumpy'):
        return x.asnumpy()
    return np.asarray(x)


def dims_text(shape):
    return '×'.join(str(d) for d in shape)


def filter_change(before, after):
    """How far training moved each filter: per filter, its largest weight change divided
    by its largest initial weight, max|after - before| / max|before| (0.1: the strongest
    pixel moved by a tenth of the filter's initial contrast). Numpy (out,) array; pass
    `conv_weights` before and after training."""
    b = np.asarray(to_numpy(before), dtype=np.float64).reshape(len(before), -1)
    a = np.asarray(to_numpy(after), dtype=np.float64).reshape(len(after), -1)
    if a.shape != b.shape:
        raise ValueError(f'before has shape {b.shape} and after {a.shape}: pass the same '
                         f'layer\'s weights twice')
    return np.abs(a - b).max(axis=1) / np.maximum(np.abs(b).max(axis=1), 1e-12)


def to_mx_array(x):
    """An MXNet array of the flavour the current thread uses (npx.set_np() or legacy)."""
    if mx.util.is_np_array():
        return mx.np.array(x)
    return mx.nd.array(x)
