"""The book's tensor helpers (d2l's ``config.ini`` aliases: ``d2l.ones``, ``d2l.randn``,
``d2l.reduce_sum`` ...) and ``use_np``, MXNet's NumPy semantics switched on lazily. (Not
``tensor.py``: the submodule would shadow ``d2l.tensor``, which `import week5` loads lazily.)"""
import functools

import mxnet as mx
from mxnet import np, npx

__all__ = [
    'use_np', 'size', 'transpose', 'sigmoid', 'batch_matmul', 'ones_like', 'ones',
    'zeros_like', 'zeros', 'arange', 'meshgrid', 'sin', 'sinh', 'cos', 'cosh', 'tanh',
    'linspace', 'exp', 'log', 'tensor', 'normal', 'randn', 'expand_dims', 'rand', 'matmul',
    'int32', 'int64', 'float32', 'concat', 'stack', 'abs', 'eye', 'numpy', 'reshape', 'to',
    'reduce_sum', 'argmax', 'astype', 'reduce_mean', 'swapaxes', 'repeat',
]


# --- NumPy semantics -----------------------------------------------------------------
def use_np():
    """Activate MXNet's NumPy semantics (``npx.set_np()``) for the calling thread.

    d2l's chapters call ``npx.set_np()`` themselves; week5 calls this lazily -- in
    ``Module.__init__``, ``Trainer.fit``, the data loaders and the tensor helpers -- rather
    than at import, so that importing week5 changes nothing. The array semantics is per
    thread in MXNet, so a training thread started by a widget gets it from ``fit``.
    """
    if not (mx.util.is_np_array() and mx.util.is_np_shape()):
        npx.set_np()


def _np_creator(fn):
    """Wrap an ``mxnet.np`` array creator so that it switches NumPy semantics on first."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        use_np()
        return fn(*args, **kwargs)
    return wrapper


# --- tensor helpers with the book's names (d2l's config.ini aliases) ----------------------
size = lambda a: a.size  # noqa: E731
transpose = lambda a: a.T  # noqa: E731
sigmoid = npx.sigmoid
batch_matmul = npx.batch_dot
ones_like = np.ones_like
zeros_like = np.zeros_like
meshgrid = np.meshgrid
sin, sinh, cos, cosh, tanh = np.sin, np.sinh, np.cos, np.cosh, np.tanh
exp, log, abs = np.exp, np.log, np.abs  # noqa: A001  (the book's name)
expand_dims, concat, stack = np.expand_dims, np.concatenate, np.stack
matmul = np.dot
int32, int64, float32 = np.int32, np.int64, np.float32
ones, zeros, arange, linspace, eye = (_np_creator(f) for f in (
    np.ones, np.zeros, np.arange, np.linspace, np.eye))
tensor = _np_creator(np.array)
normal, randn, rand = (_np_creator(f) for f in (
    np.random.normal, np.random.randn, np.random.rand))
numpy = lambda x, *args, **kwargs: x.asnumpy(*args, **kwargs)  # noqa: E731
reshape = lambda x, *args, **kwargs: x.reshape(*args, **kwargs)  # noqa: E731
to = lambda x, *args, **kwargs: (x.as_in_ctx if hasattr(x, 'as_in_ctx')  # noqa: E731
                                  else x.as_in_context)(*args, **kwargs)
reduce_sum = lambda x, *args, **kwargs: x.sum(*args, **kwargs)  # noqa: E731
argmax = lambda x, *args, **kwargs: x.argmax(*args, **kwargs)  # noqa: E731
astype = lambda x, *args, **kwargs: x.astype(*args, **kwargs)  # noqa: E731
reduce_mean = lambda x, *args, **kwargs: x.mean(*args, **kwargs)  # noqa: E731
swapaxes = lambda x, *args, **kwargs: x.swapaxes(*args, **kwargs)  # noqa: E731
repeat = lambda x, *args, **kwargs: x.repeat(*args, **kwargs)  # noqa: E731
