"""The training benchmark keeps running (tiny sizes; its numbers are not checked here:
speed targets live in bench/, never in timed unit tests)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'bench'))
import train  # noqa: E402


def test_best_of_keeps_the_fastest_round_per_key():
    rounds = [{'train_per_sec': 10.0, 'epoch_sec': 3.0},
              {'train_per_sec': 12.0, 'epoch_sec': 4.0}]
    assert train.best_of(rounds) == {'train_per_sec': 12.0, 'epoch_sec': 3.0}
    kernels = [{'conv1': {'mx_fwd': 2.0, 'torch_fwd': 1.0}},
               {'conv1': {'mx_fwd': 1.5, 'torch_fwd': 1.2}}]
    assert train.best_of(kernels) == {'conv1': {'mx_fwd': 1.5, 'torch_fwd': 1.0}}


@pytest.mark.timeout(300)
def test_bench_train_runs_end_to_end_and_prints_the_ratios():
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'bench', 'train.py'), '--num-train', '512',
         '--num-val', '256', '--rounds', '1', '--busy', '1', '--only', 'week5 board off',
         'd2l board off', 'mxnet loop, 1 thread', 'kernels'],
        capture_output=True, text=True, timeout=280)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'failed' not in out.stdout, out.stdout
    lines = out.stdout.splitlines()
    assert '1 busy process(es) alongside' in lines[0]
    row = next(ln for ln in lines if ln.startswith('week5 board off'))
    assert float(row.split()[3]) > 0                       # train ex/s
    assert any(ln.startswith('conv1 1->6') for ln in lines)
    assert any(ln.startswith('week5 board off / mxnet loop, 1 thread') for ln in lines)
    assert any(ln.startswith('week5 board off / d2l board off (epoch throughput): ')
               for ln in lines)
