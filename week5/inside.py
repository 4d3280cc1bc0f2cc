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

from .models.blocks import conv_out_size
from .summary import iter_layers
from .tensors import use_np

__all__ = ['to_numpy', 'to_mx_array', 'dims_text', 'net_of', 'list_layers', 'feature_maps', 'conv_layers',
           'conv_weights', 'filter_change', 'one_image', 'layer_by_layer_maps', 'gradient_norms',
           'size_rule_text', 'conv_problems', 'conv_step', 'first_conv', 'model_conv_step',
           'last_feature_maps', 'class_activation_maps', 'batch_of_images']


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


def batch_of_images(data=None, images=None):
    """``images`` (N, C, H, W), or the first validation batch of ``data`` (a DataModule),
    as a float32 numpy array: what the viewers show."""
    if images is None:
        if data is None:
            raise ValueError('pass images (N, C, H, W) or data (a DataModule) to take '
                             'the first validation batch from')
        images, _ = next(iter(data.val_dataloader()))
    images = to_numpy(images).astype(np.float32)
    if images.ndim != 4:
        raise ValueError(f'images has shape {images.shape}; pass a batch shaped '
                         f'(N, C, H, W)')
    return images


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


# ------------------------------------------------------------------ one convolution step
# What the convolution explorer shows (week5/lab/explorer.py draws it, viz.plot_conv_step
# is its picture): one output value of a convolution computed before the student's eyes,
# from a real image and a real trained kernel, and the size rule with the numbers in.

def size_rule_text(n, kernel_size, stride=1, padding=0):
    """The size rule with the numbers filled in, e.g.
    'floor((28 + 2·2 − 5) / 1) + 1 = 28'."""
    out = conv_out_size(n, kernel_size, stride, padding)
    return (f'floor(({n} + 2·{padding} − {kernel_size}) / {stride}) + 1 = '
            f'{out if out > 0 else "no output"}')


def conv_problems(n, kernel_size, stride=1, padding=0, what='kernel'):
    """Why a (size, kernel, stride, padding) setting does not do what one expects, as
    sentences (empty when it is fine). Nothing is clipped: each reason says what happens
    and the fix."""
    k, s, p = kernel_size, stride, padding
    problems = []
    if k > n + 2 * p:
        problems.append(f'the {what} ({k}×{k}) is larger than the padded input '
                        f'({n} + 2·{p} = {n + 2 * p}): no window fits, so there is no '
                        f'output; lower the {what} to at most {n + 2 * p} or raise the '
                        f'padding to at least {-(-(k - n) // 2)}')
        return problems
    if s > k:
        problems.append(f'stride {s} is larger than the {what} ({k}): {s - k} '
                        f'column(s) and row(s) between neighbouring windows are never '
                        f'read; lower the stride to at most {k}')
    left = (n + 2 * p - k) % s
    if left:
        problems.append(f'(n + 2p − k) = {n + 2 * p - k} is not a multiple of the stride '
                        f'{s}: the floor drops the last {left} row(s) and column(s) of the '
                        f'padded input; change the padding or the stride')
    if p >= k:
        problems.append(f'padding {p} is not smaller than the {what} ({k}): the windows '
                        f'at the border read only padding zeros; lower the padding to at '
                        f'most {k - 1}')
    return problems


def _fit_kernel(weights, k):
    """A (C, kh, kw) kernel cropped (centre) or zero-padded to k×k."""
    c, kh, _ = weights.shape
    if k <= kh:
        start = (kh - k) // 2
        return weights[:, start:start + k, start:start + k]
    out = np.zeros((c, k, k), dtype=weights.dtype)
    start = (k - kh) // 2
    out[:, start:start + kh, start:start + kh] = weights
    return out


def conv_step(image, kernel, bias=0.0, stride=1, padding=0, row=0, col=0, pool=1,
              activation=None):
    """One output value of a convolution, computed as the explorer shows it.

    ``image`` (C, H, W) or (H, W) with H == W == n; ``kernel`` (C, k, k) or (k, k);
    output position (``row``, ``col``); ``pool``: a pooling window (and stride) applied
    to the convolution's output, for the size rule only (1: none). Returns a dict:
    ``n, k, stride, padding, out_size, rule, problems, padded`` (C, n+2p, n+2p),
    ``window`` (top, left) in padded coordinates, ``patch``, ``kernel``, ``z`` (the sum
    of patch × kernel + bias), ``value`` (after ``activation``: None, 'relu', 'sigmoid',
    'tanh'), ``output`` (the whole output map, (out, out), after the activation),
    ``pooled_size`` and ``pool_rule``. Settings where no window fits give
    ``out_size <= 0``, ``value`` None and the reason in ``problems``."""
    X = to_numpy(image).astype(np.float64)
    X = X[None] if X.ndim == 2 else X
    K = to_numpy(kernel).astype(np.float64)
    K = K[None] if K.ndim == 2 else K
    if X.ndim != 3 or X.shape[1] != X.shape[2]:
        raise ValueError(f'image has shape {X.shape}; pass one square image (C, n, n)')
    if K.ndim != 3 or K.shape[1] != K.shape[2] or K.shape[0] != X.shape[0]:
        raise ValueError(f'kernel has shape {K.shape} for an image of {X.shape[0]} '
                         f'channel(s); pass ({X.shape[0]}, k, k)')
    for name, value, low in (('stride', stride, 1), ('padding', padding, 0), ('pool', pool, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f'{name} must be an int >= {low}, got {value!r}')
    n, k = X.shape[1], K.shape[1]
    out = conv_out_size(n, k, stride, padding)
    padded = np.pad(X, ((0, 0), (padding, padding), (padding, padding)))
    step = dict(n=n, k=k, stride=stride, padding=padding, out_size=out, padded=padded,
                kernel=K, bias=float(bias), activation=activation,
                rule=size_rule_text(n, k, stride, padding),
                problems=conv_problems(n, k, stride, padding),
                window=None, patch=None, z=None, value=None, output=None, row=row, col=col,
                pool=pool, pooled_size=None, pool_rule=None)
    if out <= 0:
        return step
    if not (0 <= row < out and 0 <= col < out):
        raise ValueError(f'output position ({row}, {col}) is outside the {out}×{out} output; '
                         f'pick row and col in 0..{out - 1}')
    act = {None: lambda z: z, 'relu': lambda z: np.maximum(z, 0),
           'sigmoid': lambda z: 1 / (1 + np.exp(-z)), 'tanh': np.tanh}
    if activation not in act:
        raise ValueError(f'activation={activation!r}; use None, relu, sigmoid or tanh')
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))
    windows = windows[:, ::stride, ::stride][:, :out, :out]      # (C, out, out, k, k)
    Z = np.einsum('cijkl,ckl->ij', windows, K) + bias
    top, left = row * stride, col * stride
    step.update(window=(top, left), patch=padded[:, top:top + k, left:left + k],
                z=float(Z[row, col]), value=float(act[activation](Z[row, col])),
                output=act[activation](Z))
    if pool > 1:
        step.update(pooled_size=conv_out_size(out, pool, pool),
                    pool_rule=size_rule_text(out, pool, pool),
                    problems=step['problems'] + ['pooling: ' + text for text in
                                                  conv_problems(out, pool, pool, what='pooling window')])
    return step


def first_conv(model):
    """The model's first convolution: (Conv2D block, its kernel size, stride, padding,
    activation name or None). With batch norm the activation comes after the
    normalisation, so the block's own output has none."""
    convs = conv_layers(model)
    if not convs:
        raise ValueError(f'{type(net_of(model)).__name__} has no convolution layer')
    conv = convs[0][1]
    kw = conv._kwargs
    act = getattr(conv, 'act', None)
    return (conv, kw['kernel'][0], kw['stride'][0], kw['pad'][0],
            act._act_type if act is not None else None)


def model_conv_step(model, image, channel=0, kernel_size=None, stride=None, padding=None,
                    row=0, col=0, size=None, pool=1):
    """`conv_step` with filter ``channel`` of the model's trained first convolution on
    one image (C, H, W). ``kernel_size``, ``stride``, ``padding`` default to the layer's
    own; another kernel size takes the centre of the trained filter (or pads it with
    zeros). ``size``: crop the image's centre to size×size (default: the whole image).
    With the layer's own settings ``value`` is the layer's own output at (channel, row,
    col). Call it on the thread that trains the model."""
    conv, k0, s0, p0, act = first_conv(model)
    weights = conv.weight.data().asnumpy()
    if not 0 <= channel < len(weights):
        raise ValueError(f'channel={channel} but the first conv layer has {len(weights)} '
                         f'filters; pick 0..{len(weights) - 1}')
    X = to_numpy(image).astype(np.float32)
    X = X[0] if X.ndim == 4 else X
    X = X[None] if X.ndim == 2 else X
    if size is not None:
        if not 1 <= size <= min(X.shape[1:]):
            raise ValueError(f'size={size}; the image is {dims_text(X.shape[1:])}: pick a '
                             f'size in 1..{min(X.shape[1:])}')
        top, left = (X.shape[1] - size) // 2, (X.shape[2] - size) // 2
        X = X[:, top:top + size, left:left + size]
    k = k0 if kernel_size is None else kernel_size
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f'kernel_size must be a positive int, got {kernel_size!r}')
    bias = conv.bias.data().asnumpy()[channel] if conv.bias is not None else 0.0
    step = conv_step(X, _fit_kernel(weights[channel], k), bias,
                     s0 if stride is None else stride, p0 if padding is None else padding,
                     row, col, pool, act)
    step.update(channel=channel, own=(k0, s0, p0), trained_k=weights.shape[-1])
    return step


# ------------------------------------------------------------------ class activation maps
# A network that ends in global average pooling scores class c as the spatial mean of a
# map: NiN's last block makes one map per class; GoogLeNet's dense head is linear, so its
# score is the mean of sum_k w[c, k] f_k(x, y) + b[c] over the last feature maps f (Zhou et
# al., 2016, "Learning Deep Features for Discriminative Localization").

def _gap_path(net):
    """The net's blocks in order with every Sequential that holds the global average
    pooling opened up: (blocks before the pooling, blocks after it)."""
    def contains_gap(block):
        return any(isinstance(b, nn.GlobalAvgPool2D) for _, b, _ in iter_layers(block))

    flat = []
    for block in _layer_path(net):
        if not isinstance(block, nn.GlobalAvgPool2D) and contains_gap(block):
            flat.extend(_layer_path(block))
        else:
            flat.append(block)
    at = [i for i, b in enumerate(flat) if isinstance(b, nn.GlobalAvgPool2D)]
    if not at:
        raise ValueError(f'{type(net).__name__} has no global average pooling: class '
                         f'activation maps need a GAP head (NiN, GoogLeNet)')
    after = [b for b in flat[at[-1] + 1:] if not isinstance(b, (nn.Flatten, nn.Dropout))]
    if len(after) > 1 or (after and not isinstance(after[0], nn.Dense)):
        raise ValueError(f'after its global average pooling {type(net).__name__} has '
                         f'{[type(b).__name__ for b in after]}; class activation maps need '
                         f'nothing or one dense layer there')
    return flat[:at[-1]], after


def last_feature_maps(model, images):
    """The maps the global average pooling of the model's head averages: numpy
    (N, K, h, w), in predict mode."""
    before, _ = _gap_path(net_of(model))
    X = to_numpy(images).astype(np.float32)
    X = to_mx_array(X[None] if X.ndim == 3 else X)
    with autograd.predict_mode():
        for block in before:
            X = block(X)
    return X.asnumpy()


def class_activation_maps(model, images):
    """One map per class whose spatial mean is the network's score (logit) for that
    class: numpy (N, num_classes, h, w). Without a dense head (NiN) they are the last
    block's maps; with one (GoogLeNet) the head's weighted sum of the last feature maps,
    ``sum_k w[c, k] * f_k + b[c]``. ``images``: (N, C, H, W) or one (C, H, W)."""
    features = last_feature_maps(model, images)
    _, after = _gap_path(net_of(model))
    if not after:
        return features
    dense = after[0]
    W = dense.weight.data().asnumpy()
    b = dense.bias.data().asnumpy() if dense.bias is not None else 0.0
    return np.einsum('ck,nkhw->nchw', W, features) + np.reshape(b, (1, -1, 1, 1))

