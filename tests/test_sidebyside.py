"""Runs trained side by side in worker processes (week5/sidebyside.py) are the runs that
training them one after the other here gives, to the last bit; memoised runs are loaded,
not sent to a worker; runs stay here when moving them would cost more or cannot work."""
import pytest

from week5 import recipe as rc
from week5 import sidebyside as sbs
from week5.callbacks import Callback
from week5.claims import CleanTrainAccuracy
from week5.profiles import get_profile

pytestmark = pytest.mark.slow


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A week5 cache of its own (workers read the environment, not a monkeypatch): the
    data come from the system copy or the user's cache; the memo is empty."""
    from week5.fashion_mnist import _data_cache
    data = _data_cache()
    monkeypatch.setenv('WEEK5_CACHE', str(tmp_path))
    if data.exists():
        (tmp_path / 'fashion-mnist').symlink_to(data)
    return tmp_path


def _small(**changes):
    return get_profile('quick').recipe('lenet', **{
        'activation': 'relu', 'num_train': 256, 'num_val': 128, 'seed': 3, **changes})


def _weights(run):
    return [p.data().asnumpy().tobytes() for p in run.model.net.collect_params().values()]


def _metrics(run):
    timing = ('examples_per_sec', 'wall_time', 'epoch_time')
    return [{k: v for k, v in row.items() if k not in timing} for row in run.history.epochs]


def _side_by_side(said):
    return [line for line in said if 'side by side' in line]


def test_runs_trained_side_by_side_equal_runs_trained_here_bit_for_bit(cache):
    jobs = [sbs.Job(_small(seed=s), f'seed {s}') for s in (0, 1, 2)]
    said = []
    runs = sbs.fit_all(jobs, retrain=True, processes=2, min_work=0, print_fn=said.append)
    assert len(_side_by_side(said)) == 1 and 'trained 3 runs side by side, 2 at a time' in said[0]
    for job, run in zip(jobs, runs, strict=True):
        here = job.recipe.fit(retrain=True, print_fn=said.append)
        assert run.label == job.label and run.recipe == job.recipe
        assert _metrics(run) == _metrics(here) and _metrics(run)
        assert _weights(run) == _weights(here)
    # the workers memoised their runs: asked again, they load, and nothing trains
    said.clear()
    again = sbs.fit_all(jobs, retrain=False, processes=2, min_work=0, print_fn=said.append)
    assert not _side_by_side(said) and len(said) == 3
    assert all(line.startswith('loaded the run trained at ') for line in said)
    assert [_weights(r) for r in again] == [_weights(r) for r in runs]


def test_only_the_runs_not_memoised_go_to_the_workers(cache):
    said = []
    _small(seed=0).fit(retrain=False, print_fn=said.append)        # memoised here
    jobs = [sbs.Job(_small(seed=s), str(s)) for s in (0, 1, 2)]
    runs = sbs.fit_all(jobs, retrain=False, processes=2, min_work=0, print_fn=said.append)
    assert 'trained 2 runs side by side' in _side_by_side(said)[0]
    assert sum(line.startswith('loaded the run') for line in said) == 1
    assert [r.label for r in runs] == ['0', '1', '2']


def test_small_experiments_one_core_or_the_variable_keep_runs_here(cache, monkeypatch):
    jobs = [sbs.Job(_small(seed=s)) for s in (0, 1)]
    said = []
    sbs.fit_all(jobs, retrain=True, processes=2, print_fn=said.append)    # 512 images x 1
    sbs.fit_all(jobs, retrain=True, processes=1, min_work=0, print_fn=said.append)
    monkeypatch.setenv(sbs.SIDE_BY_SIDE_ENV, '1')
    sbs.fit_all(jobs, retrain=True, min_work=0, print_fn=said.append)
    assert not _side_by_side(said)
    monkeypatch.setenv(sbs.SIDE_BY_SIDE_ENV, 'two')
    with pytest.raises(ValueError, match='WEEK5_SIDE_BY_SIDE=.two.*e.g. 2'):
        sbs.fit_all(jobs, retrain=True, min_work=0, print_fn=said.append)


def test_a_run_that_cannot_travel_trains_here(cache):
    said = []
    factory = lambda recipe: recipe.model()                   # noqa: E731 (not picklable)
    jobs = [sbs.Job(_small(seed=0), 'lambda', factory), sbs.Job(_small(seed=1), 'plain'),
            sbs.Job(_small(seed=2), 'plain too')]
    runs = sbs.fit_all(jobs, retrain=True, processes=2, min_work=0, print_fn=said.append)
    assert 'trained 2 runs side by side' in _side_by_side(said)[0]
    assert [r.label for r in runs] == ['lambda', 'plain', 'plain too']
    assert _weights(runs[0]) == _weights(_small(seed=0).fit(retrain=True))


class Fails(Callback):
    """A callback that breaks the run it watches (module level: a worker can import it)."""
    memo_key = 'fails'

    def on_fit_start(self, trainer, model):
        raise ArithmeticError('this run was asked to fail')


def test_a_failing_worker_names_the_run_and_the_way_to_see_the_traceback(cache):
    jobs = [sbs.Job(_small(seed=0), 'ok'), sbs.Job(_small(seed=1), 'broken', None, (Fails(),))]
    with pytest.raises(RuntimeError, match=r"'broken' \(seed 1\).*asked to fail.*"
                                           r"WEEK5_SIDE_BY_SIDE=1"):
        sbs.fit_all(jobs, retrain=True, processes=2, min_work=0, print_fn=lambda *_: None)


def test_a_metric_callback_with_a_memo_key_is_part_of_the_key():
    recipe = _small()
    plain, clean = rc.run_key(recipe), rc.run_key(recipe, callbacks=[CleanTrainAccuracy(recipe)])
    assert plain and clean and plain != clean
    other = rc.run_key(recipe, callbacks=[CleanTrainAccuracy(recipe.replace(num_train=128))])
    assert other not in (plain, clean)
    assert rc.run_key(recipe, callbacks=[CleanTrainAccuracy(recipe), Callback()]) is None


def test_one_run_more_than_cores_shares_them_instead_of_training_last_alone(cache, monkeypatch):
    monkeypatch.setattr(sbs.os, 'cpu_count', lambda: 2)
    said = []
    sbs.fit_all([sbs.Job(_small(seed=s)) for s in (0, 1, 2)], retrain=True, min_work=0,
                print_fn=said.append)
    assert '3 at a time' in _side_by_side(said)[0]
    said.clear()
    sbs.fit_all([sbs.Job(_small(seed=s)) for s in (0, 1, 2, 3)], retrain=True, min_work=0,
                print_fn=said.append)
    assert '2 at a time' in _side_by_side(said)[0]


SCRIPT = '''
from week5.profiles import get_profile
from week5.sidebyside import Job, fit_all
print('the script runs')
recipe = get_profile('quick').recipe('lenet', activation='relu', num_train=256, num_val=128)
runs = fit_all([Job(recipe.replace(seed=s)) for s in (0, 1)], retrain=True, processes=2,
               min_work=0)
print('val acc', [round(r.final('val_acc'), 3) for r in runs])
'''


def test_a_script_without_a_main_guard_runs_once(cache, tmp_path):
    import os
    import subprocess
    import sys
    script = tmp_path / 'experiment.py'
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, env=dict(os.environ), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count('the script runs') == 1 and 'side by side' in out.stdout
    assert out.stdout.count('val acc') == 1


class RecordsThreads(Callback):
    """Records the OpenMP threads its process was started with (module level: a worker
    can import it)."""
    memo_key = 'omp threads'

    def on_epoch_end(self, trainer, model, epoch):
        import os
        trainer.history.epochs[-1]['omp_threads'] = float(os.environ['OMP_NUM_THREADS'])


def test_a_long_run_trains_alone_in_a_worker_with_two_threads(cache):
    import os
    before = os.environ.get('OMP_NUM_THREADS')
    job = sbs.Job(_small(seed=5), 'long', None, (RecordsThreads(),))
    run, cpu = sbs.fit_alone(job, threads=2)
    assert run.history['omp_threads'] == [2.0] and run.label == 'long' and cpu > 0
    assert os.environ.get('OMP_NUM_THREADS') == before            # this process' is kept
    said = []
    again = job.recipe.fit(callbacks=[RecordsThreads()], retrain=False, print_fn=said.append)
    assert said[0].startswith('loaded the run trained at ')      # memoised by the worker
    assert _weights(again) == _weights(run)
