"""Chapter 6's long story (week5.chapters.compare): each network trained long beside the
short budget — from the memo, a stored table or a run asked for — and the reading chosen
from the numbers."""
import json

import matplotlib
import pytest

matplotlib.use('Agg')

from week5 import recipe as rc  # noqa: E402
from week5.chapters import compare  # noqa: E402
from week5.profiles import trained_long  # noqa: E402


@pytest.fixture
def memo(tmp_path, monkeypatch):
    monkeypatch.setattr(rc, 'memo_dir', lambda: tmp_path / 'memo')
    monkeypatch.delenv('WEEK5_RETRAIN', raising=False)
    return tmp_path / 'memo'


def _row(acc, source='stored'):
    return {'val_acc': acc, 'images': 60000, 'epochs': 8, 'source': source}


def test_long_runs_come_from_the_memo_the_stored_table_or_a_run_asked_for(memo, tmp_path):
    stored = tmp_path / 'long.json'
    said = []
    out = compare.long_runs(['lenet'], 'laptop', train=False, path=stored,
                            print_fn=said.append)
    assert out == {'lenet': None} and 'not trained long yet: lenet' in said[0]
    # a stored row is used only when it was made with the recipe asked for
    recipe = trained_long('lenet', 'laptop')
    table = {'rows': {'lenet': dict(_row(0.9), recipe=recipe.to_dict()),
                      'vgg': dict(_row(0.8), recipe=recipe.replace(lr=0.01).to_dict())},
             'machine': dict(cpu='Some CPU', isa='AVX2', cores=2, load=1.5, date='2026-12-07'),
             'command': compare.LONG_COMMAND}
    stored.write_text(json.dumps(table))
    said.clear()
    out = compare.long_runs(['lenet', 'vgg'], 'laptop', train=False, path=stored,
                            print_fn=said.append)
    assert out['lenet']['val_acc'] == 0.9 and out['lenet']['source'] == 'stored'
    assert out['lenet']['run'] is None and out['vgg'] is None
    assert any('Some CPU (AVX2, 2 cores, load 1.5)' in s and compare.LONG_COMMAND in s
               for s in said)
    # asked for: trained now, and from then on loaded from this machine's memo
    trained = compare.long_runs(['vgg'], 'quick', train=False, path=stored,
                                print_fn=said.append)          # the quick profile trains
    assert trained['vgg']['source'] == 'trained now' and trained['vgg']['run'].model is not None
    again = compare.long_runs(['vgg'], 'quick', train=False, path=stored, print_fn=said.append)
    assert again['vgg']['source'].startswith('loaded, trained here 20')
    assert again['vgg']['val_acc'] == trained['vgg']['val_acc']


def test_write_long_results_stores_what_long_runs_shows(memo, tmp_path):
    stored = tmp_path / 'long.json'
    stored.write_text(json.dumps({'rows': {'nin': {'kept': True}}}))
    rows = compare.write_long_results(['lenet'], path=stored, profile='quick',
                                      print_fn=lambda *_: None)
    table = json.loads(stored.read_text())
    assert table['rows']['nin'] == {'kept': True}                 # others kept
    assert table['rows']['lenet']['val_acc'] == rows['lenet']['val_acc']
    assert table['rows']['lenet']['cpu_seconds'] > 0 and table['command'] == compare.LONG_COMMAND
    assert {'cpu', 'isa', 'cores', 'load', 'date'} <= set(table['machine'])


def test_the_reading_is_chosen_from_the_numbers():
    near = compare.long_reading({'lenet': _row(0.905), 'vgg': _row(0.915), 'nin': None})
    assert near['words'] == 'saturate near the same accuracy' and near['best'] == 'vgg'
    assert near['spread'] == pytest.approx(1.0)
    apart = compare.long_reading({'lenet': _row(0.88), 'vgg': _row(0.915)})
    assert apart['words'] == 'do not saturate together (vgg ahead of lenet by 3.5 points)'
    assert (apart['lo'], apart['hi'], apart['networks']) == (0.88, 0.915, 2)
    assert compare.long_reading({'lenet': _row(0.9)}) is None


def test_long_table_sets_the_long_result_beside_the_short_one():
    class Run:
        def __init__(self, acc):
            self.recipe = trained_long('lenet', 'quick').replace(num_train=10000)
            self.history = [1, 2]
            self.acc = acc

        def final(self, key):
            return self.acc
    lines = []
    compare.long_table({'lenet': [Run(0.85), Run(0.87)]},
                       {'lenet': _row(0.912), 'vgg': None}, print_fn=lines.append)
    assert lines[1].split()[:5] == ['lenet', '0.860', '±', '0.014', '10,000']
    assert '0.912' in lines[1] and '60,000 x 8' in lines[1] and lines[1].endswith('stored')
    assert lines[2].endswith('not trained long')


@pytest.mark.slow
def test_a_long_run_asked_for_trains_alone_in_a_worker_and_is_memoised(tmp_path, monkeypatch):
    from week5.fashion_mnist import _data_cache
    if _data_cache().exists():
        (tmp_path / 'fashion-mnist').symlink_to(_data_cache())
    monkeypatch.setenv('WEEK5_CACHE', str(tmp_path))       # the worker's memo too
    monkeypatch.delenv('WEEK5_RETRAIN', raising=False)
    small = trained_long('lenet', 'quick').replace(num_train=256, num_val=128)
    said = []
    run, cpu = compare._train_long(small, 'lenet', 'laptop', said.append)
    assert cpu > 0 and run.label == 'lenet' and run.recipe == small and said == []
    assert len(list((tmp_path / 'runs' / 'memo').glob('*.json'))) == 1
    again, cpu = compare._train_long(small, 'lenet', 'laptop', said.append)
    assert cpu is None and said[0].startswith('loaded the run trained at ')
