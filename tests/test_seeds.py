"""A seed makes a run repeat: the same seeded laptop run, in two fresh processes, gives
the same History to the last bit (week5.core.set_seed, Recipe.seed).

Each process is started from scratch (its own numpy / Python / MXNet state and its own
hash seed), so nothing one run leaves behind can make the other look repeatable. The thread
settings are the library's defaults (week5.core.THREAD_DEFAULTS, set when week5 is
imported): the environment's own are removed before the processes start.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A few hundred updates in all: 4,096 images at batch 128, 2 epochs -> 64 updates a run,
# four runs a process (two networks, two ways to seed).
SHRUNK = dict(num_train=4096, num_val=512, batch_size=128, num_epochs=2)

# name -> (network, recipe changes, how the seed is given)
RUNS = {
    # set_seed(n) and a recipe without a seed: the case that did not repeat (the data
    # module drew its subset and shuffling from fresh entropy)
    'lenet, set_seed': ('lenet', {}, 'set_seed'),
    'vgg, set_seed': ('vgg', dict(augment=True), 'set_seed'),
    # a recipe with a seed; VGG has dropout in its head and here random flips and crops
    'lenet, recipe seed': ('lenet', dict(activation='relu'), 'recipe'),
    'vgg, recipe seed': ('vgg', dict(augment=True), 'recipe'),
}
SEED = 7
TIMING = ('examples_per_sec', 'wall_time', 'epoch_time')


def run_all():
    """Run every entry of RUNS in this process; {name: History.to_dict() minus timings}."""
    from week5.core import set_seed
    from week5.profiles import get_profile
    laptop = get_profile('laptop')
    out = {}
    for name, (network, changes, how) in RUNS.items():
        if how == 'set_seed':
            set_seed(SEED)
            recipe = laptop.recipe(network, **SHRUNK, **changes)
            assert recipe.seed is None
        else:
            recipe = laptop.recipe(network, **SHRUNK, **changes, seed=SEED)
        history = recipe.fit(name).history.to_dict()
        out[name] = {part: [{k: v for k, v in row.items() if k not in TIMING} for row in rows]
                     for part, rows in history.items()}
    return out


def _fresh_process(hash_seed):
    env = {k: v for k, v in os.environ.items()
           if k not in ('OMP_NUM_THREADS', 'MXNET_CPU_WORKER_NTHREADS', 'MXNET_ENGINE_TYPE')}
    env.update(PYTHONPATH=str(ROOT), PYTHONHASHSEED=str(hash_seed), WEEK5_PROGRESS='0')
    done = subprocess.run([sys.executable, __file__], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_seeded_laptop_run_repeats_in_a_fresh_process():
    first, second = _fresh_process(1), _fresh_process(2)
    assert list(first) == list(RUNS)
    for name in RUNS:
        a, b = first[name], second[name]
        assert len(a['epochs']) == SHRUNK['num_epochs']
        for key in ('train_loss', 'train_acc', 'val_loss', 'val_acc'):
            assert all(row[key] is not None for row in a['epochs']), (name, key)
            assert [row[key] for row in a['epochs']] == [row[key] for row in b['epochs']], \
                f'{name}: {key} differs between two fresh processes'
        assert a == b, f'{name}: the batch rows differ between two fresh processes'


if __name__ == '__main__':
    print(json.dumps(run_all()))
