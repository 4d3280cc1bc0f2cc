"""Chapter 1, LeNet: what the chapter's activation x pooling experiment claims.

The experiment itself is ``claims.compare_seeds`` over four LeNet variants (the notebook
spells them out); this module holds what only this chapter asks of its runs.
"""
from ..claims import claim, mean_std, run_metric

__all__ = ['claim_bigger_effect']


def claim_bigger_effect(name, runs, bigger, smaller, key='val_acc', print_fn=print):
    """Claim that changing ``bigger`` = (a, b) moves ``key`` more than changing
    ``smaller`` = (c, d) does (effects are differences of the means over seeds; HOLDS
    when the gap between the effects exceeds the spreads involved)."""
    stats = {label: mean_std(run_metric(runs[label], key)) for label in (*bigger, *smaller)}
    big = stats[bigger[0]][0] - stats[bigger[1]][0]
    small = stats[smaller[0]][0] - stats[smaller[1]][0]
    noise = sum(sd for _, sd in stats.values()) / 2
    text = (f'{bigger[0]} vs {bigger[1]}: {big:+.3f}; {smaller[0]} vs {smaller[1]}: '
            f'{small:+.3f} ({key}, mean over {len(runs[bigger[0]])} seeds, spread ~{noise:.3f})')
    return claim(name, abs(big) > abs(small) + noise, text, print_fn)
