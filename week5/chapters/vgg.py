"""Chapter 3, VGG: where the parameters and the work of a VGG network sit (the dense head
holds most parameters, the convolutional body does most multiply-accumulates), and what
two more blocks cost and buy in a short training budget."""
from ..claims import claim, mean_std, run_metric
from ..results import compare_words
from ..summary import body_head_rows

__all__ = ['claim_head_share', 'depth_results']


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
