"""The expected answers of the keyed exercises and the typical wrong ones, with the hint
each wrong one gets. Instructor edition only: never released to students (the student
edition's checks know these only as salted hashes, week5/checks/hashes.json).

A hint explains what the wrong answer got wrong; it never states the right answer or the
formula that gives it (it is released in readable form, keyed by the wrong answer's hash).
"""
from dataclasses import dataclass, field

from week5.checks.googlenet import inception_params
from week5.checks.vgg import vgg_params


VGG11 = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def nin_params(c_in=1, num_classes=10):
    """NiN's parameters: four NiN blocks (conv + two 1x1 convs), no dense layer."""
    total = 0
    for c_out, k in ((96, 11), (256, 5), (384, 3), (num_classes, 3)):
        total += conv(c_in, c_out, k) + 2 * conv(c_out, c_out, 1)
        c_in = c_out
    return total


def conv(c_in, c_out, k):
    """Parameters of a k x k convolution (or, with k=1, a dense layer) with biases."""
    return c_in * c_out * k * k + c_out


@dataclass(frozen=True)
class Key:
    answer: object                          # the value the check's parse() returns
    wrong: dict = field(default_factory=dict)   # typical wrong value -> targeted hint


_N, _K, _M = 512, 2048, 256                 # an n x k matrix times a k x m matrix
_DENSE_227 = conv(256 * 6 * 6, 4096, 1) + conv(4096, 4096, 1)
_DENSE_224 = conv(256 * 5 * 5, 4096, 1) + conv(4096, 4096, 1)
_OUT = (80, (96, 176), (24, 56), 40)
_B3B = (256, 128, (128, 192), (32, 96), 64)     # block 3b on its 256-channel input
_VGG, _NIN = vgg_params(VGG11)[0], nin_params()

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
        16 * 6 * 3 * 3: 'you forgot the 16 biases, one per output channel',
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
        _DENSE_227 - 2 * 4096: 'you forgot the 2 x 4096 biases',
        conv(256 * 6 * 6, 4096, 1): 'that is only the first of the two layers',
        conv(4096, 4096, 1): 'that is only the second of the two layers',
        _DENSE_224: 'that is for 256 x 5 x 5 (our 224x224 input); at 227x227 the last '
                    'pooling outputs 256 x 6 x 6',
        _DENSE_227 + conv(4096, 10, 1): 'that includes the 10-class output layer; count only '
                                        'the two 4096-unit layers'}),
    'vgg_dense_inputs': Key(512 * 5 * 5, {
        512: 'Dense sees the flattened feature map: channels x height x width',
        5 * 5: 'multiply by the 512 channels',
        512 * 10 * 10: 'that is after four blocks; there are five',
        512 * 7 * 7: 'that is for a 224x224 input (the chapter prints it); here the input is '
                     '160x160'}),
    'conv1x1_params': Key(conv(256, 64, 1), {
        256 * 64: 'you forgot the 64 biases',
        256 + 64: 'each output channel sees all 256 input channels',
        conv(256, 64, 3): 'that is a 3x3 kernel; this one is 1x1',
        conv(256, 256, 1): 'the convolution maps 256 channels to 64',
        256 * 64 + 256: 'there is one bias per output channel (64)',
        conv(384, 384, 1): 'that is 384 -> 384; here 256 -> 64'}),
    'inception_out_channels': Key(_OUT[0] + _OUT[1][1] + _OUT[2][1] + _OUT[3], {
        _OUT[0] + _OUT[1][0] + _OUT[2][0] + _OUT[3]:
            'the 96 and 24 are the 1x1 reductions inside branches 2 and 3; count what each '
            'branch outputs',
        _OUT[0] + sum(_OUT[1]) + sum(_OUT[2]) + _OUT[3]:
            'the reductions (96, 24) stay inside their branches',
        _OUT[0] + _OUT[1][1] + _OUT[2][1]: 'branch 4 (pool -> 1x1) outputs channels too'}),
    'inception_params': Key(inception_params(*_B3B), {
        inception_params(*_B3B) - (128 + 128 + 192 + 32 + 96 + 64):
            'you forgot the biases (one per output channel of each of the six convolutions)',
        inception_params(192, *_B3B[1:]):
            'that is on 192 input channels; block 3b receives the 256 channels that block 3a '
            'outputs',
        inception_params(480, *_B3B[1:]):
            'that is on 480 channels, what 3b outputs; its input is the 256 channels of '
            'block 3a',
        inception_params(192, 64, (96, 128), (16, 32), 32):
            'that is block 3a (printed in section 6a); this is block 3b',
        inception_params(*_B3B) - 128 * 192 * 8 - 32 * 96 * 24:
            'the 3x3 and 5x5 convolutions have 9 and 25 weights per channel pair'}),
    'params_ratio': Key(_VGG // _NIN, {
        round(_VGG / _NIN): 'that is rounded to the nearest; round down (//)',
        0: 'divide the larger count (VGG-11) by the smaller (NiN)'}),
    'gap_saving': Key('nin', {
        'googlenet': 'GoogLeNet uses global average pooling, but borrowed it from an earlier '
                     'network',
        'lenet': 'lenet ends with dense layers',
        'alexnet': 'alexnet ends with dense layers',
        'vgg': 'vgg ends with dense layers'}),
}
