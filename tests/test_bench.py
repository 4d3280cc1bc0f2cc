"""The training benchmark keeps running (tiny sizes; its numbers are not checked here:
speed targets live in bench/, never in timed unit tests)."""
import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _bench(name):
    """bench/NAME.py as a module (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f'bench_{name}', os.path.join(ROOT, 'bench', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train = _bench('train')


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


chapters = _bench('chapters')


def test_chapters_says_what_each_slow_cell_trained():
    cells = [{'index': 3, 'id': 'a', 'code': 'x = 1', 'start': 0.0, 'end': 1.0},
             {'index': 5, 'id': 'b', 'code': 'runs = ...', 'start': 2.0, 'end': 30.0},
             {'index': 7, 'id': 'c', 'code': 'trainer.fit(model, data)', 'start': 31.0,
              'end': 40.0}]
    fit = dict(network='VGG', images=6000, resize=[32, 32], epochs=3)
    fits = [dict(fit, seed=s, start=3.0 + s, end=4.0 + s) for s in (0, 1, 2)] + \
        [dict(fit, network='LeNet', images=60000, resize=[28, 28], epochs=6, seed=None,
              start=31.5, end=39.0),
         dict(fit, seed=0, start=5.0, end=5.0, loaded=True)]
    rows = chapters.slowest_cells(cells, fits, n=2)
    assert [r['index'] for r in rows] == [5, 7] and rows[0]['seconds'] == 28.0
    assert rows[0]['trained'] == ['3 x VGG 6,000 images at 32px, 3 epochs, seeds 0 1 2',
                                  '1 x VGG 6,000 images at 32px, loaded, seeds 0']
    assert rows[1]['trained'] == ['1 x LeNet 60,000 images at 28px, 6 epochs, seeds -']


def test_chapters_rewrites_only_the_measured_rows_of_the_readme(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text(f'# course\n\nbefore\n{chapters.BEGIN}\n| notebook | old |\n|---|---|\n'
                      '| `00_overview.ipynb` | 15 s |\n| `03_vgg.ipynb` | 327 s |\n\nold '
                      f'sentence\n{chapters.END}\nafter\n')
    slow = [{'index': 9, 'id': 'vgg-seeds', 'code': 'runs = ...', 'seconds': 120.0,
             'trained': ['9 x VGG 6,000 images at 32px, 3 epochs, seeds 0 1 2']}]
    results = {'03_vgg': {'wall': 300.0, 'cpu': 200.0, 'slowest': slow}}
    machine = dict(cpu='Some CPU', isa='AVX2', cores=2, profile='laptop', load_start=1.0,
                   load_end=2.5, date='2026-12-07')
    chapters.rewrite_readme(results, {'wall': 10.0, 'cpu': 8.0}, machine, path=readme)
    text = readme.read_text()
    assert text.startswith('# course\n\nbefore\n') and text.endswith(f'{chapters.END}\nafter\n')
    assert '| `00_overview.ipynb` | 15 s |' in text                 # not measured: kept
    assert ('| `03_vgg.ipynb` | 300 s | 200 s | 30.0 | over (CPU within) | 120 s: 9 x VGG '
            '6,000 images at 32px, 3 epochs, seeds 0 1 2 |') in text
    assert 'old sentence' not in text and 'Some CPU (AVX2), 2 cores, load average 1.0' in text
    readme.write_text('no markers')
    with pytest.raises(SystemExit, match='add the two markers'):
        chapters.rewrite_readme(results, {'wall': 10.0, 'cpu': 8.0}, machine, path=readme)


def test_chapters_names_the_cpu_and_its_vector_instructions():
    model, isa = chapters.cpu_info()         # week5.runtime's
    assert model and isa in ('AVX-512', 'AVX2', 'AVX', 'SSE4.2', 'other', 'unknown')


def test_chapters_save_writes_the_executed_notebook_and_keeps_the_cell_timings(tmp_path):
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('print(6 * 7)')]
    path = tmp_path / '09_tiny.ipynb'
    nbformat.write(nb, str(path))
    r = chapters.execute_chapter(path, timeout=120, save=True)
    assert [c['index'] for c in r['cells']] == [0]          # timings read before they are dropped
    saved = nbformat.read(str(path), as_version=4)
    assert saved.cells[0].outputs[0]['text'] == '42\n'
    assert 'execution' not in saved.cells[0].metadata


def test_chapters_keeps_a_row_whose_slowest_cells_are_unknown(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text(f'{chapters.BEGIN}\n{chapters.END}\n')
    machine = {'date': '2026-12-08', 'profile': 'laptop', 'cpu': 'cpu', 'isa': 'AVX2',
               'cores': 2, 'load_start': 0.0, 'load_end': 1.0}
    chapters.rewrite_readme({'01_lenet': {'wall': 261.0, 'cpu': 284.0, 'slowest': [], 'fits': 14}},
                            {'wall': 7.0, 'cpu': 8.0}, machine, path=readme)
    text = readme.read_text()
    assert '| `01_lenet.ipynb` | 261 s | 284 s | 37.3 | over | - |' in text
    assert '240 s on a 2-core AVX2 laptop' in text and '34.3 reference epochs, 240 s on' in text


def test_chapters_budget_on_a_faster_host_is_the_avx2_budget_in_reference_epochs():
    assert chapters.budget_here('AVX2') == 240
    here = chapters.budget_here('AVX-512')
    assert here == pytest.approx(240 / chapters.AVX2_SLOWER)
    assert chapters.verdict({'wall': here - 1, 'cpu': here + 50}, here) == 'ok'
    assert chapters.verdict({'wall': here + 1, 'cpu': here - 1}, here) == 'over (CPU within)'
    assert chapters.verdict({'wall': here + 1, 'cpu': here + 1}, here) == 'over'


@pytest.mark.timeout(300)
def test_bench_sidebyside_trains_the_same_runs_both_ways_and_prints_the_ratio(tmp_path):
    from week5.fashion_mnist import _data_cache
    if _data_cache().exists():                   # the runs' memo goes to tmp_path
        (tmp_path / 'fashion-mnist').symlink_to(_data_cache())
    env = dict(os.environ, WEEK5_PROGRESS='0', WEEK5_CACHE=str(tmp_path))
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'bench', 'sidebyside.py'), '--runs', '2',
         '--images', '512', '--epochs', '1', '--processes', '2'],
        capture_output=True, text=True, timeout=280, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith('bench/sidebyside.py: 2 x lenet, 512 images x 1 epoch(s);')
    one, two = (next(ln for ln in lines if ln.startswith(p))
                for p in ('one after the other', 'side by side (2 at a time)'))
    assert one.split('val acc')[1] == two.split('val acc')[1]     # the same runs
    assert lines[-1].startswith('side by side takes ') and 'x faster' in lines[-1]


@pytest.mark.timeout(300)
def test_bench_accuracy_long_trains_as_chapter_6_does_and_memoises_the_run(tmp_path):
    from week5.fashion_mnist import _data_cache
    from week5.chapters.compare import LONG_RESULTS
    if _data_cache().exists():
        (tmp_path / 'fashion-mnist').symlink_to(_data_cache())
    stored = LONG_RESULTS.read_bytes()
    env = dict(os.environ, WEEK5_PROGRESS='0', WEEK5_CACHE=str(tmp_path))
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'accuracy.py'), '--long',
                          '--profile', 'quick', '--only', 'lenet'],
                         capture_output=True, text=True, timeout=280, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    row = next(ln for ln in out.stdout.splitlines() if ln.startswith('LeNet (ReLU, max, BN)'))
    assert ' 512 ' in row and 'NOT met' in row              # the quick sizes: far from 0.90
    assert len(list((tmp_path / 'runs' / 'memo').glob('*.json'))) == 1    # chapter 6 loads it
    assert LONG_RESULTS.read_bytes() == stored              # only the laptop profile writes it
