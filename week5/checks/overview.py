"""Chapter 0 (overview): the checks of its exercises."""
from .base import NUMBER, SHAPE, Check, Fail, as_int, as_shape

_KERAS = (64, 96, 96, 3)        # the question's batch, as Keras holds it


def _batch_shape(answer):
    shape = as_shape(answer, 'the MXNet shape of the batch')
    if len(shape) != 4:
        raise Fail(f'expected 4 numbers (batch, channels, height, width), got {len(shape)}')
    return shape


def _whole(what):
    return lambda answer: as_int(answer, what)


CHECKS = (
    Check('channels_first', SHAPE,
          "Keras' batch of 64 colour 96x96 images, (64, 96, 96, 3), as MXNet expects it.",
          what='the MXNet shape of the batch', parse=_batch_shape,
          rule='MXNet orders the axes (batch, channels, height, width), and the batch holds '
               f'the same numbers as {_KERAS}'),
    Check('matmul_flops', NUMBER,
          'Floating-point operations of one 512x2048 by 2048x256 matrix product.',
          what='the number of floating-point operations',
          parse=_whole('the number of floating-point operations'),
          rule='each entry of the product is a dot product: count one multiply and one add '
               'per term, for every entry of the output'),
)
