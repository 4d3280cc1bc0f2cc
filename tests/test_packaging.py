"""The install files agree with each other and with what is installed."""
import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _norm(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def requirement_pins(name='requirements.txt'):
    """{package: version} of a requirements file, with the files it includes (-r)."""
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        if line.startswith('-r '):
            pins.update(requirement_pins(line[3:].strip()))
            continue
        m = re.fullmatch(r'([A-Za-z0-9_.\-]+)==([^\s;]+)', line)
        assert m, f'{name}: {line!r} is not pinned with =='
        pins[_norm(m.group(1))] = m.group(2)
    return pins


def environment_pins():
    """(name, version) of every package environment.yml names, conda and pip sections."""
    pins = {}
    for raw in (ROOT / 'environment.yml').read_text().splitlines():
        line = raw.split('#', 1)[0].strip()
        m = re.fullmatch(r'-\s+([A-Za-z0-9_.\-]+)\s*(==|=)\s*([^\s]+)', line)
        if m:
            pins[_norm(m.group(1))] = m.group(3)
    return pins


def test_every_requirement_is_pinned_and_core_packages_are_there():
    pins = requirement_pins()
    for name in ['mxnet', 'numpy', 'd2l', 'jupyterlab', 'ipywidgets', 'matplotlib', 'tqdm']:
        assert name in pins, f'{name} missing from requirements.txt'
    assert pins['mxnet'] == '1.9.1'
    assert tuple(int(x) for x in pins['numpy'].split('.')[:2]) < (1, 24)


def test_the_students_set_holds_no_instructors_tool():
    student, instructor = requirement_pins(), requirement_pins('requirements-instructor.txt')
    tools = {'pytest', 'pytest-timeout', 'nbval', 'playwright', 'dask', 'distributed',
             'beautifulsoup4', 'jupyterlab-rise'}
    assert not tools & set(student), tools & set(student)
    assert tools <= set(instructor) and set(student) <= set(instructor)


def test_environment_yml_pins_the_same_versions():
    req, env = requirement_pins(), environment_pins()
    assert env.pop('python') == '3.11'
    assert env, 'environment.yml names no pinned package'
    mismatched = {k: (v, req.get(k)) for k, v in env.items() if req.get(k) != v}
    assert not mismatched, f'environment.yml vs requirements.txt (env, req): {mismatched}'
    missing = sorted(set(req) - set(env))
    assert not missing, f'pinned in requirements.txt but not in environment.yml: {missing}'


def test_installed_versions_match_the_pins():
    wrong = {}
    for name, version in requirement_pins('requirements-instructor.txt').items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = None
        if have != version:
            wrong[name] = (version, have)
    assert not wrong, f'pinned vs installed: {wrong}'


def test_binder_apt_file_names_the_debian_dataset():
    assert 'dataset-fashion-mnist' in (ROOT / 'apt.txt').read_text().split()


def test_design_card_layout_exists():
    for entry in ['notebooks', 'week5', 'tests', 'environment.yml', 'requirements.txt',
                  'README.md', 'pyproject.toml', '.ci/run', 'Makefile']:
        assert (ROOT / entry).exists(), entry


def test_ci_and_setup_install_bubblewrap_for_sealed_grading():
    ci_apt = next(ln for ln in (ROOT / '.ci' / 'run').read_text().splitlines()
                  if ln.startswith('apt-get install'))
    assert 'bubblewrap' in ci_apt.split()
    assert 'bubblewrap' in (ROOT / 'apt.txt').read_text().split()
    assert 'bubblewrap' in (ROOT / 'scripts' / 'setup.sh').read_text()


def _student_imports():
    """{top-level module: a file importing it} over what the student edition runs: the
    week5 package, scripts/check_setup.py and the notebooks' code cells."""
    import ast
    import json
    import sys
    found = {}

    def scan(text, where):
        for node in ast.walk(ast.parse(text)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for name in names:
                found.setdefault(name.split('.')[0], where)
    for path in [*(ROOT / 'week5').rglob('*.py'), ROOT / 'scripts' / 'check_setup.py']:
        scan(path.read_text(), path.name)
    for path in (ROOT / 'notebooks').glob('*.ipynb'):
        for cell in json.loads(path.read_text())['cells']:
            if cell['cell_type'] == 'code':
                lines = ''.join(cell['source']).splitlines()
                scan('\n'.join('' if ln.lstrip().startswith(('%', '!')) else ln
                               for ln in lines), path.name)
    return {m: w for m, w in found.items() if m not in sys.stdlib_module_names and m != 'week5'}


def _closure(names):
    """The distributions ``names`` install, with everything they require (no extras)."""
    from packaging.requirements import Requirement
    todo, seen = [_norm(n) for n in names], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for spec in metadata.requires(name) or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({'extra': ''}):
                todo.append(_norm(req.name))
    return seen


def test_every_import_of_the_student_edition_is_in_the_students_set():
    installed = _closure(requirement_pins())
    providers = metadata.packages_distributions()
    missing = {module: where for module, where in _student_imports().items()
               if not {_norm(d) for d in providers.get(module, [])} & installed}
    assert not missing, f'imported by the student edition, not installed by requirements.txt: {missing}'
    assert {'mxnet', 'matplotlib', 'ipywidgets', 'nbconvert'} <= set(_student_imports())
