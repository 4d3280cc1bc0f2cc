"""Chapter 3, VGG: where the parameters and the work of a VGG network sit (the dense head
holds most parameters, the convolutional body does most multiply-accumulates)."""
from ..claims import claim
from ..summary import body_head_rows

__all__ = ['claim_head_share']


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
