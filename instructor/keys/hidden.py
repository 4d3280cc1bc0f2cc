"""Hidden cases of the code exercises: other input sizes, channel counts and edge cases the
grader runs a student's network or block factory on, beyond the visible cases of the
released check. Instructor edition only. Each case is ``(args, X_shape)`` as in the check's
declaration (a network takes no args); the check's own rules judge them.
"""
HIDDEN = {
    # other batch sizes: a net that hard-codes the batch (reshape((2, -1))) fails; batch 1
    # runs the BatchNorms in prediction mode on their running statistics
    'lenet_bn': [((), (4, 1, 28, 28)), ((), (1, 1, 28, 28))],
    # the question fixes the features at 256 x 5 x 5: other batch sizes only
    'alexnet_head_budget': [((), (3, 256, 5, 5)), ((), (1, 256, 5, 5))],
    # other spatial sizes: global pooling must not depend on 5x5; a 1x1 map needs padded 3x3s
    'nin_small_head': [((), (3, 96, 7, 7)), ((), (1, 96, 1, 1))],
    # three convolutions, odd sizes (7 -> 3); one channel in and out on a 2x2 input
    'vgg_bn_block': [((3, 5), (1, 2, 7, 7)), ((1, 1), (3, 1, 2, 2))],
    # one-channel branches, odd and tiny inputs
    'inception_v2': [((1, (2, 3), (1, 1), 1), (1, 3, 5, 5)),
                     ((8, (1, 16), (4, 2), 2), (2, 1, 3, 3))],
}
