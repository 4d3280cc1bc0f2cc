"""Chapter 0, the overview: why deep CNNs took until 2012 -- this machine's matrix-multiply
throughput beside a 2012 GPU's and today's."""
import time

import numpy
from mxnet import np, npx

from ..results import about_times, record
from ..tensors import use_np

__all__ = ['GPU_REFERENCE', 'cpu_gflops', 'print_speeds']


GPU_REFERENCE = {     # NVIDIA's published peak float32 throughput; `era` names the record
    'GeForce GTX 580 (2010; AlexNet was trained on two)':
        dict(gflops=1581, cores=512, clock_ghz=1.544, era='gpu2010'),
    'A100 (2020)': dict(gflops=19500, cores=6912, clock_ghz=1.41, era='gpu2020'),
}


def cpu_gflops(n=1024, repeats=5, use_mxnet=True):
    """Measure this machine's float32 matrix-multiply throughput in GFLOP/s: the best of
    ``repeats`` products of two n x n matrices (2 n^3 floating-point operations each),
    through MXNet (with week5's thread settings) or through NumPy."""
    if not isinstance(n, int) or n < 16:
        raise ValueError(f'n must be an int >= 16 (the matrix side), got {n!r}')
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f'repeats must be an int >= 1, got {repeats!r}')
    rng = numpy.random.RandomState(0)
    A = rng.standard_normal((n, n)).astype('float32')
    B = rng.standard_normal((n, n)).astype('float32')
    if use_mxnet:
        use_np()
        A, B = np.array(A), np.array(B)
        dot, sync = np.dot, npx.waitall
    else:
        dot, sync = numpy.dot, (lambda: None)
    dot(A, B)
    sync()
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        dot(A, B)
        sync()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def print_speeds(mxnet_gflops, numpy_gflops, print_fn=print):
    """Print this CPU's measured GFLOP/s beside the reference GPUs' peaks and how many
    times faster each GPU is than the better CPU measurement. Records for the text:
    ``cpu_gflops`` (that measurement), ``gpu2010_factor`` / ``gpu2020_factor`` (the
    ratios) and ``gpu2010_words`` / ``gpu2020_words`` ('about 22 times'). Returns the
    ratios by era, e.g. ``{'gpu2010': 22.4, 'gpu2020': 276.3}``."""
    cpu = record('cpu_gflops', max(mxnet_gflops, numpy_gflops))
    print_fn(f'this CPU, MXNet (as week5 trains): {mxnet_gflops:8.1f} GFLOP/s')
    print_fn(f'this CPU, NumPy (all cores):       {numpy_gflops:8.1f} GFLOP/s')
    factors = {}
    for gpu, spec in GPU_REFERENCE.items():
        factor = record(f'{spec["era"]}_factor', spec['gflops'] / cpu)
        record(f'{spec["era"]}_words', about_times(factor))
        factors[spec['era']] = factor
        print_fn(f'{gpu}: {spec["gflops"]:,} GFLOP/s peak, {spec["cores"]:,} cores at '
                 f'{spec["clock_ghz"]} GHz -> {factor:,.0f}x')
    return factors
