"""Chapter 1, LeNet: what the chapter's activation x pooling experiment claims.

The experiment itself is ``claims.compare_seeds`` over four LeNet variants (the notebook
spells them out); this module holds what only this chapter asks of its runs.
"""
from ..claims import claim, mean_std, run_metric, untestable
from ..results import compare_words, record

__all__ = ['claim_bigger_effect', 'record_effects']

# the four variants of section 6, by their labels in the notebook
SIGMOID_AVG, SIGMOID_MAX = 'sigmoid + avg (1998)', 'sigmoid + max'
RELU_AVG, RELU_MAX = 'relu + avg', 'relu + max (modern)'


def claim_bigger_effect(name, runs, bigger, smaller, key='val_acc', print_fn=print):
    """Claim that changing ``bigger`` = (a, b) moves ``key`` more than changing
    ``smaller`` = (c, d) does (effects are differences of the means over seeds; HOLDS
    when the gap between the effects exceeds the spreads involved)."""
    stuck = untestable(name, runs, (*bigger, *smaller), key, print_fn)
    if stuck is not None:
        return stuck
    stats = {label: mean_std(run_metric(runs[label], key)) for label in (*bigger, *smaller)}
    big = stats[bigger[0]][0] - stats[bigger[1]][0]
    small = stats[smaller[0]][0] - stats[smaller[1]][0]
    noise = sum(sd for _, sd in stats.values()) / 2
    text = (f'{bigger[0]} vs {bigger[1]}: {big:+.3f}; {smaller[0]} vs {smaller[1]}: '
            f'{small:+.3f} ({key}, mean over {len(runs[bigger[0]])} seeds, spread ~{noise:.3f})')
    return claim(name, abs(big) > abs(small) + noise, text, print_fn)


def record_effects(runs, key='val_acc'):
    """Record what section 6's text says about its four variants, as ``lenet_effects``:
    the effect of the activation (``activation``: relu + avg minus sigmoid + avg), of max
    pooling with ReLU and with sigmoid (``pool_relu``, ``pool_sigmoid``), each with the
    larger standard deviation between seeds of its pair (``*_spread``) and the words for
    it (``*_words``: 'ahead of', 'behind' or 'within the seed spread of'), and the means
    (``relu_max``, ``sigmoid_avg``). Returns the dict."""
    stats = {label: mean_std(run_metric(runs[label], key))
             for label in (SIGMOID_AVG, SIGMOID_MAX, RELU_AVG, RELU_MAX)}
    effects = {'relu_max': stats[RELU_MAX][0], 'sigmoid_avg': stats[SIGMOID_AVG][0]}
    for name, (a, b) in {'activation': (RELU_AVG, SIGMOID_AVG), 'pool_relu': (RELU_MAX, RELU_AVG),
                         'pool_sigmoid': (SIGMOID_MAX, SIGMOID_AVG)}.items():
        (ma, sa), (mb, sb) = stats[a], stats[b]
        spread = max(sa, sb)
        effects.update({name: ma - mb, f'{name}_spread': spread,
                        f'{name}_words': compare_words(ma, mb, spread, 'ahead of', 'behind',
                                                       'within the seed spread of')})
    return record('lenet_effects', effects)
