"""Importing week5 has no side effects, and the headless modules never pull in a frontend."""
import subprocess
import sys

FRONTEND = ['matplotlib', 'IPython', 'ipywidgets']
HEADLESS = ['week5', 'week5.runtime', 'week5.files', 'week5.hparams', 'week5.tensors',
            'week5.fashion_mnist', 'week5.inside', 'week5.claims',
            'week5.callbacks', 'week5.core', 'week5.data', 'week5.models', 'week5.summary',
            'week5.recipe', 'week5.sidebyside',
            'week5.profiles']


def _python(code):
    """What a fresh interpreter running ``code`` printed (it must exit 0)."""
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _loaded_after(import_line):
    out = _python(f'import sys\n{import_line}\n'
                  f'print(",".join(m for m in {FRONTEND!r} if m in sys.modules))')
    return out.splitlines()[-1] if out else ''


def test_headless_modules_import_no_frontend():
    import importlib.util
    for mod in HEADLESS:
        if importlib.util.find_spec(mod) is None:
            continue
        assert _loaded_after(f'import {mod}') == '', f'{mod} imports a frontend module'


def test_the_grader_judges_without_loading_mxnet():
    """The grader's process (command line, keys, judging) grades a recorded answer of each
    kind -- a number, a network, a block factory with hidden cases -- without MXNet."""
    code = ('import sys\n'
            'import instructor.grading.cli, instructor.grading.cluster\n'
            'from instructor.grading.keyring import verdicts\n'
            'from week5.checks import parse_answers\n'
            'text = \'[week5 answer] {"check": "conv1x1_params", "data": {"value": 5}}\\n\'\n'
            '[(name, data)] = parse_answers(text)\n'
            'assert not verdicts(name, data)[name].passed\n'
            'assert not verdicts("vgg_bn_block", {"fail": "no answer yet"})["vgg_bn_block"].passed\n'
            'assert not verdicts("lenet_bn", {"kinds": []})["lenet_bn"].passed\n'
            'print(",".join(m for m in ("mxnet", "week5.core", "week5.summary") if m in sys.modules))')
    loaded = _python(code)
    assert loaded == '', f'the grader loaded {loaded}'


def test_the_lazy_api_names_every_core_name_where_it_lives():
    import week5
    import week5.core
    import week5.tensors
    for module in (week5.core, week5.tensors):
        assert set(module.__all__) <= set(week5.__all__), module.__name__
        for name in module.__all__:
            assert getattr(week5, name) is getattr(module, name), name


def test_import_sets_no_seed_and_no_rcparams():
    code = ('import numpy, random\n'
            'numpy.random.seed(123); random.seed(123)\n'
            'a = numpy.random.rand(); b = random.random()\n'
            'numpy.random.seed(123); random.seed(123)\n'
            'import week5\n'
            'assert numpy.random.rand() == a and random.random() == b, "import week5 reseeded"\n'
            'import matplotlib\n'
            'd = dict(matplotlib.rcParams)\n'
            'import week5.viz\n'
            'changed = [k for k in d if matplotlib.rcParams[k] != d[k]]\n'
            'assert not changed, changed\n'
            'print("ok")')
    assert _python(code).endswith('ok')
