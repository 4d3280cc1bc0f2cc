"""The expected answers of the keyed exercises and the typical wrong ones, with the hint
each wrong one gets. Instructor edition only: never released to students (the student
edition's checks know these only as salted hashes, week5/checks/hashes.json).

A hint explains what the wrong answer got wrong; it never states the right answer or the
formula that gives it with the question's numbers (tests/test_keys.py tries every hint).
The release holds each hint sealed with its wrong answer's salted hash: a student reads
it only by typing that wrong answer.
"""
from week5.checks import Key, inception_params, vgg_params
from week5.checks import conv_params as conv   # with biases; k=1: a dense layer


VGG11 = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def nin_params(c_in=1, num_classes=10):
    """NiN's parameters: four NiN blocks (conv + two 1x1 convs), no dense layer."""
    total = 0
    for c_out, k in ((96, 11), (256, 5), (384, 3), (num_classes, 3)):
        total += conv(c_in, c_out, k) + 2 * conv(c_out, c_out, 1)
        c_in = c_out
    return total


_N, _K, _M = 512, 2048, 256                 # an n x k matrix times a k x m matrix
_DENSE_227 = conv(256 * 6 * 6, 4096, 1) + conv(4096, 4096, 1)
_DENSE_224 = conv(256 * 5 * 5, 4096, 1) + conv(4096, 4096, 1)
_OUT = (80, (96, 176), (24, 56), 40)
_B3A = (192, 64, (96, 128), (16, 32), 32)      # block 3a on its 192-channel input
_V2_BRANCH = conv(192, 16, 1) + conv(16, 32, 3) + conv(32, 32, 3)   # 5x5 -> two 3x3
_VGG96, _NIN = vgg_params(VGG11, side=96)[0], nin_params()
_SIDE96 = (96 - 11) // 4 + 1                   # NiN's first block on a 96x96 image


# Counted on the networks as built (week5.summary loads MXNet, which the grader's process
# never imports): tests/test_checks.py recounts both on models built with these sizes.
INPUT_FREE = ('googlenet', 'nin')   # same parameter count at 224x224 and at 448x448
NARROW_RATIO_96 = 19                # VGG-11 // NiN at 96x96 with channels divided by 8


KEYS = {
    'channels_first': Key((64, 3, 96, 96), {
        (64, 96, 96, 3): 'that is the Keras (channels-last) shape; MXNet puts the channels '
                         'right after the batch axis',
        (32, 1, 28, 28): 'that is a batch of 32 grey 28x28 images; this one holds 64 colour '
                         '96x96 images',
        (64, 1, 96, 96): 'colour images have 3 channels (red, green, blue)',
        (3, 64, 96, 96): 'the batch axis comes first, then the channels',
        (64, 96, 3, 96): 'the order is (batch, channels, height, width)',
        (64, 3, 28, 28): 'the images are 96x96, not 28x28'}),
    'matmul_flops': Key(2 * _N * _K * _M, {
        _N * _K * _M: 'that counts each multiply-add once; count the multiply and the add as '
                      'two operations',
        _N * _M: 'that is the number of output entries; each one is a whole dot product',
        _N * _M * (2 * _K - 1): 'that counts one addition fewer than multiplies per output; '
                                'the usual convention counts a multiply and an add per term',
        2 * 1024 ** 3: 'that is two 1024x1024 matrices; use the sizes of the question',
        2 * _N * _K * _K: 'the output has as many columns as the second matrix',
        2 * _N * _N * _K: 'the output has as many columns as the second matrix'}),
    'lenet_conv2_shape': Key((1, 16, 14, 14), {
        (1, 14, 14, 16): "that is channels-last (Keras' order); MXNet is (batch, channels, "
                         'height, width)',
        (1, 16, 18, 18): "18x18 is the conv's input: a 5x5 kernel without padding removes 4 "
                         'rows and 4 columns',
        (1, 16, 7, 7): '7x7 is after the pooling layer; the question asks before it',
        (1, 6, 14, 14): 'the second convolution has 16 output channels',
        (1, 16, 10, 10): 'that is for a 28x28 image (the shape the chapter prints); redo the '
                         'arithmetic for 36x36',
        (1, 16, 12, 12): 'conv1 has padding 2, so its 5x5 kernel keeps 36x36',
        (1, 16, 32, 32): 'the 2x2 pooling with stride 2 halves the size before conv2'}),
    'lenet_conv2_params': Key(conv(6, 16, 3), {
        16 * 6 * 3 * 3: 'you forgot the biases',
        conv(6, 16, 5): 'that is the 5x5 kernel of the printed summary; here the kernels are '
                        '3x3',
        16 * 6 * 5 * 5: 'that is a 5x5 kernel without biases; here the kernels are 3x3 and '
                        'each output channel has a bias',
        conv(1, 16, 3): 'each of the 16 filters spans all 6 input channels',
        16 * 3 * 3: 'each of the 16 filters spans all 6 input channels, and each output '
                    'channel has a bias'}),
    'alexnet_conv1_size': Key((227 - 11) // 4 + 1, {
        54: 'that is for a 224x224 input; the paper used 227x227',
        56: '227 / 4 ignores that the 11x11 window must fit inside',
        57: '227 / 4 ignores that the 11x11 window must fit inside',
        27: 'that is after the first max-pooling layer',
        217: 'that is with stride 1; the window moves 4 pixels at a time'}),
    'alexnet_dense_params': Key(_DENSE_227, {
        _DENSE_227 - 2 * 4096: 'you forgot the biases of both layers',
        conv(256 * 6 * 6, 4096, 1): 'that is only the first of the two layers',
        conv(4096, 4096, 1): 'that is only the second of the two layers',
        _DENSE_224: 'that is for 256 x 5 x 5 (our 224x224 input); at 227x227 the last '
                    'pooling outputs 256 x 6 x 6',
        _DENSE_227 + conv(4096, 10, 1): 'that includes the 10-class output layer; count only '
                                        'the two 4096-unit layers'}),
    'vgg_dense_inputs': Key(512 * 5 * 5, {
        512: 'Dense sees the flattened feature map: channels x height x width',
        5 * 5: 'the feature map has channels too: Dense reads every value of it',
        512 * 10 * 10: 'that is after four blocks; there are five',
        512 * 7 * 7: 'that is for a 224x224 input (the chapter prints it); here the input is '
                     '160x160'}),
    'conv1x1_params': Key(conv(256, 64, 1), {
        256 * 64: 'you forgot the biases',
        256 + 64: 'each output channel sees all 256 input channels',
        conv(256, 64, 3): 'that is a 3x3 kernel; this one is 1x1',
        conv(256, 256, 1): 'the convolution maps 256 channels to 64',
        256 * 64 + 256: 'there is one bias per output channel (64)',
        conv(384, 384, 1): 'that is 384 -> 384; here 256 -> 64'}),
    'nin_conv1x1_macs': Key(_SIDE96 * _SIDE96 * 96 * 96, {
        54 * 54 * 96 * 96: "54x54 is the first block's output for a 224x224 image (the "
                           "chapter's summary); redo the size arithmetic for 96x96",
        96 * 96: 'that is the number of weights; each weight is used once at every output '
                 'pixel',
        96 * 96 + 96: 'that is the number of parameters; multiply-adds are counted at every '
                      'output pixel (and a bias is an add, not a multiply-add)',
        _SIDE96 * _SIDE96 * 96: 'each output value at a pixel is a dot product over all the '
                                'input channels: count its multiply-adds',
        2 * _SIDE96 * _SIDE96 * 96 * 96: 'that counts a multiply and an add as two '
                                         'operations, or both 1x1 convolutions: one '
                                         'multiply-add, one convolution',
        23 * 23 * 96 * 96: 'the 11x11 window must fit inside the image: check the size '
                           'arithmetic (no padding, stride 4)',
        21 * 21 * 96 * 96: 'the output size counts the first window position too',
        24 * 24 * 96 * 96: '96 / 4 ignores that the 11x11 window must fit inside the image'}),
    'inception_out_channels': Key(_OUT[0] + _OUT[1][1] + _OUT[2][1] + _OUT[3], {
        _OUT[0] + _OUT[1][0] + _OUT[2][0] + _OUT[3]:
            'the 96 and 24 are the 1x1 reductions inside branches 2 and 3; count what each '
            'branch outputs',
        _OUT[0] + sum(_OUT[1]) + sum(_OUT[2]) + _OUT[3]:
            'the reductions (96, 24) stay inside their branches',
        _OUT[0] + _OUT[1][1] + _OUT[2][1]: 'branch 4 (pool -> 1x1) outputs channels too'}),
    'inception_v2_branch_params': Key(_V2_BRANCH, {
        conv(192, 16, 1) + conv(16, 32, 5): 'that is the original branch, 1x1 then 5x5; '
                                            'here the 5x5 is replaced',
        _V2_BRANCH - (16 + 32 + 32): 'you forgot the biases, one per output channel of '
                                     'each of the three convolutions',
        conv(192, 16, 1) + 2 * conv(16, 32, 3): 'the second 3x3 reads the 32 channels the '
                                                'first one writes, not the 16 of the '
                                                'reduction',
        conv(16, 32, 3) + conv(32, 32, 3): 'the branch starts with its 1x1 reduction from '
                                           '192 channels: count it too',
        conv(192, 32, 3) + conv(32, 32, 3): 'the 3x3 convolutions read the reduced channels: '
                                            'the 1x1 reduction comes first',
        conv(192, 16, 1) + conv(16, 16, 3) + conv(16, 32, 3):
            'the first 3x3 already outputs the 32 channels of the branch',
        inception_params(*_B3A) - conv(16, 32, 5) + conv(16, 32, 3) + conv(32, 32, 3):
            'that is the whole block; the question asks for its third branch only'}),
    'params_ratio_96': Key(_VGG96 // _NIN, {
        vgg_params(VGG11)[0] // _NIN: 'that is the ratio at 224x224 (the cost table); at '
                                      "96x96 VGG's first dense layer reads a smaller map",
        -(-_VGG96 // _NIN): 'that is rounded up (or to the nearest); round down (//)',
        0: 'divide the larger count (VGG-11) by the smaller (NiN)',
        (_VGG96 - vgg_params(VGG11, side=96)[1]) // _NIN:
            "that compares VGG's convolutions only; count its dense head too",
        NARROW_RATIO_96: "that is with the laptop profile's narrow networks (channels "
                            "divided by 8); the question uses the book's widths"}),
    'input_free_params': Key(INPUT_FREE, {
        ('nin',): 'NiN is one, but another network of the five also ends without a layer '
                  'whose size depends on the feature map',
        ('googlenet',): 'GoogLeNet is one, but another network of the five also has no '
                        'layer whose size depends on the feature map',
        ('googlenet', 'lenet', 'nin'): "LeNet's first dense layer reads the flattened "
                                       'feature map, which grows with the input',
        ('alexnet', 'googlenet', 'nin'): "AlexNet's first dense layer reads the flattened "
                                         'feature map, which grows with the input',
        ('googlenet', 'nin', 'vgg'): "VGG's first dense layer reads the flattened feature "
                                     'map, which grows with the input',
        (): 'some networks have no layer whose weights depend on the feature-map size: '
            'a convolution\'s weights depend only on its kernel and channels',
        ('alexnet', 'googlenet', 'lenet', 'nin', 'vgg'):
            'a dense layer that reads a flattened feature map has one weight per input '
            'value: more pixels, more weights'}),
}
