"""Chapter 2 (AlexNet): the checks of its exercises."""
from .base import NETWORK, NUMBER, Check, Fail, as_int, expect_shape, expect_within_budget, \
    layer_names, ran, weighted_groups


HEAD_BUDGET = 4_000_000     # parameters of the whole head; the book's has 43,040,778
MIN_WIDTH = 1024            # units of the first hidden layer, at least


def _judge_head_budget(args, X_shape, desc):
    """A dense head on (N, 256, 5, 5) features within the budget: two hidden Dense layers,
    each followed by Dropout(0.5), the first at least MIN_WIDTH wide."""
    _, groups = weighted_groups(desc)
    dense = [(i, layer, after) for i, layer, after in groups if layer['kind'] == 'dense']
    if len(dense) != 3:
        raise Fail(f'{len(dense)} Dense layer(s), expected 3: two hidden layers and the '
                   'output layer')
    if groups[-3:] != dense:
        raise Fail('a convolution comes after the first Dense layer: the head is '
                   'Dense -> Dropout -> Dense -> Dropout -> Dense at its end')
    if dense[0][1]['units'] < MIN_WIDTH:
        raise Fail(f"the first hidden layer has {dense[0][1]['units']} units: the question "
                   f'asks for at least {MIN_WIDTH:,}')
    if dense[2][1]['units'] != 10:
        raise Fail(f"the output layer has {dense[2][1]['units']} units, expected 10 (one "
                   'per class)')
    for k, (_, layer, after) in enumerate(dense[:2]):
        acts = [layer['act']] + [a['act'] for a in after if a['kind'] == 'act']
        kinds = [a['kind'] for a in after if a['kind'] != 'act']
        if kinds != ['dropout'] or after[-1]['kind'] != 'dropout':
            raise Fail(f'hidden layer {k + 1} is followed by {layer_names(after)}: follow '
                       'each hidden layer (after its ReLU) by one Dropout, then the next Dense')
        if after[-1]['rate'] != 0.5:
            raise Fail(f"the Dropout after hidden layer {k + 1} has rate {after[-1]['rate']}, "
                       'expected 0.5')
        if [a for a in acts if a is not None] != ['relu']:
            raise Fail(f'hidden layer {k + 1} has activations {[a for a in acts if a]}, '
                       'expected one ReLU')
    if dense[2][1]['act'] is not None or dense[2][2]:
        raise Fail('the output layer must give the 10 raw scores: no activation or other '
                   'layer after Dense(10)')
    shape, count, _ = ran(desc)
    expect_shape('head', shape, (X_shape[0], 10), 'Dense flattens its input itself')
    first = desc['layer_params'][dense[0][0]]
    expect_within_budget(count, HEAD_BUDGET,
                         f'{first:,} of them are in the first hidden layer alone: one weight '
                         f"for each of its inputs and each of its {dense[0][1]['units']:,} units")


CHECKS = (
    Check('alexnet_conv1_size', NUMBER,
          "Height (= width) after AlexNet's first conv (11x11, stride 4, no padding) on 227.",
          what='the height of the output',
          parse=lambda answer: as_int(answer, 'the height of the output'),
          rule='count the positions the window takes inside the image, the first one '
               'included, moving by the stride; section 2 prints each layer\'s output size '
               'to compare with'),
    Check('alexnet_dense_params', NUMBER,
          'Parameters of the two 4096-unit hidden layers at 227x227 (input 256 x 6 x 6).',
          what='the number of parameters',
          parse=lambda answer: as_int(answer, 'the number of parameters'),
          rule='a dense layer has a weight for every pair of an input and a unit, and a bias '
               'per unit; the first layer reads the flattened feature map, the second the '
               'first one\'s units (section 2)'),
    Check('alexnet_head_budget', NETWORK,
          'A dense head for (N, 256, 5, 5) features: two hidden layers (the first >= 1024\n'
          'units), each followed by Dropout(0.5), 10 outputs, at most 4,000,000 parameters.',
          param='head', what='your head', label='head', judge=_judge_head_budget,
          cases=(((), (2, 256, 5, 5)),)),
)
