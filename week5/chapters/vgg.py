"""Chapter 3, VGG: where the parameters and the work of a VGG network sit (the dense head
holds most parameters, the convolutional body does most multiply-accumulates), and what
two more blocks cost and buy in a short training budget, and what one output of a stack
of 3x3 convolutions sees (its receptive field)."""
import numpy
from mxnet import autograd, init
from mxnet.gluon import nn

from ..claims import claim, mean_std, run_metric
from ..inside import to_mx_array, to_numpy
from ..png import SLIDE_FONT
from ..results import compare_words
from ..summary import body_head_rows
from ..tensors import use_np
from ..viz import draw_input, figure_of_size

__all__ = ['claim_head_share', 'depth_results', 'receptive_field', 'plot_receptive_fields']


def claim_head_share(name, network, variants, min_dense_params=0.5, min_conv_macs=0.9,
                     print_fn=print):
    """Claim that in every variant (``summary.body_head_rows``) the dense head holds more
    than ``min_dense_params`` of the parameters while the convolutions do more than
    ``min_conv_macs`` of the multiply-accumulates."""
    rows = body_head_rows(network, variants)
    shares = {label: (s['dense_params'] / s['total_params'], s['conv_macs'] / s['total_macs'])
              for label, s in rows.items()}
    holds = all(p > min_dense_params and m > min_conv_macs for p, m in shares.values())
    text = '; '.join(f'{label}: dense {p:.0%} of params, convs {m:.0%} of MACs'
                     for label, (p, m) in shares.items())
    return claim(name, holds, text, print_fn)


def depth_results(runs, shallow='3 blocks', deep='VGG-11 (5 blocks)'):
    """What the text of section 6 reads from the depth experiment (the notebook records
    it as ``vgg_depth``): per variant (``shallow_`` / ``deep_``) the mean and standard
    deviation over seeds (``_sd``) of the validation accuracy (``_acc``) and of the
    training speed in examples/s (``_speed``), and the shallow network's speed over the
    deep one's (``speed_ratio``); the budget (``epochs``, ``num_train``);
    and the words chosen from those numbers as the claim lines choose their verdicts (a
    difference within the two spreads is no difference): ``speed_words`` (VGG-11 trains
    'fewer examples per second than' the shallow network, 'more ... than' or 'about as
    many ... as') and ``acc_words`` (the shallow network is 'ahead of' VGG-11, 'behind'
    or 'level with')."""
    out = {}
    for prefix, label in (('shallow', shallow), ('deep', deep)):
        for key, metric in (('acc', 'val_acc'), ('speed', 'examples_per_sec')):
            mean, sd = mean_std(run_metric(runs[label], metric))
            out[f'{prefix}_{key}'], out[f'{prefix}_{key}_sd'] = mean, sd
    first = runs[deep][0]
    out['epochs'] = len(first.history)
    out['num_train'] = first.recipe.num_train
    out['speed_ratio'] = out['shallow_speed'] / out['deep_speed']
    out['speed_words'] = compare_words(
        out['deep_speed'], out['shallow_speed'], out['deep_speed_sd'] + out['shallow_speed_sd'],
        'more examples per second than', 'fewer examples per second than',
        'about as many examples per second as')
    out['acc_words'] = compare_words(
        out['shallow_acc'], out['deep_acc'], out['shallow_acc_sd'] + out['deep_acc_sd'],
        'ahead of', 'behind', 'level with')
    return out


def receptive_field(image, num_convs, at=None, kernel_size=3):
    """Which input pixels one output of ``num_convs`` stacked ``kernel_size`` x
    ``kernel_size`` convolutions (padding keeps the size, as in a VGG block) depends on:
    the gradient of that output with respect to the input, computed by autograd through
    a stack whose weights are all positive (so no pixel's influence cancels out).
    ``image`` (C, H, W); ``at`` = (row, col) of the output (default: the centre).
    Returns (|gradient| as (H, W), the side of the square it covers)."""
    use_np()
    X = to_numpy(image).astype(numpy.float32)
    X = X[None] if X.ndim == 3 else X
    _, c, h, w = X.shape
    row, col = (h // 2, w // 2) if at is None else at
    stack = nn.HybridSequential()
    for _ in range(num_convs):
        stack.add(nn.Conv2D(1, kernel_size, padding=kernel_size // 2, use_bias=False))
    stack.initialize(init.Constant(1.0 / kernel_size ** 2))
    X = to_mx_array(X)
    X.attach_grad()
    with autograd.record():
        out = stack(X)[0, 0, row, col]
    out.backward()
    grad = numpy.abs(X.grad.asnumpy()[0]).sum(axis=0)
    rows, cols = numpy.nonzero(grad)
    return grad, int(max(rows.max() - rows.min(), cols.max() - cols.min()) + 1)


def plot_receptive_fields(image, depths=(1, 2, 3), at=None, fig=None):
    """The input pixels that one output of 1, 2, 3 stacked 3x3 convolutions sees, drawn
    over a real image (`receptive_field`: by the gradient; brighter = counted more often).
    Returns the figure."""
    from matplotlib.patches import Rectangle
    image = to_numpy(image)
    image = image[0] if image.ndim == 4 else image
    fig = figure_of_size(fig, (3.4 * len(depths), 4.2))
    axes = [fig.add_subplot(1, len(depths), i + 1) for i in range(len(depths))]
    h, w = image.shape[-2:]
    row, col = (h // 2, w // 2) if at is None else at
    for ax, n in zip(axes, depths):
        grad, side = receptive_field(image, n, (row, col))
        draw_input(ax, image, f'{n} conv{"s" if n > 1 else ""} 3×3: sees {side}×{side}')
        shown = numpy.ma.masked_where(grad == 0, grad)
        ax.imshow(shown, cmap='autumn', alpha=0.65)
        ax.add_patch(Rectangle((col - side // 2 - 0.5, row - side // 2 - 0.5), side, side,
                               fill=False, edgecolor='red', linewidth=2))
        ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, color='cyan'))
    fig.suptitle('the pixels one output (cyan) depends on, found by its gradient',
                 fontsize=SLIDE_FONT + 1)
    return fig
