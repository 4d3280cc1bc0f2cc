"""The package is laid out the way the course reads: every week5 name a notebook calls lives
in that notebook's chapter module, in a shared module that two or more notebooks use, or
in the d2l-compatible API (`import week5 as d2l`);
chapter modules never import each other; the import graph of week5 has no cycle."""
import ast
import importlib
import importlib.util
import inspect
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

from week5.chapters import NOTEBOOKS

from support import NOTEBOOK_DIR, ROOT

PACKAGE = ROOT / 'week5'
FACADE = set(importlib.import_module('week5').__all__)   # the d2l-compatible API


def _code(path):
    cells = nbformat.read(str(path), as_version=4).cells
    return [c.source for c in cells if c.cell_type == 'code']


def _python(source):
    """A cell's source as Python (IPython magics and shell lines blanked)."""
    return '\n'.join('' if line.lstrip().startswith(('%', '!')) else line
                     for line in source.splitlines())


def _week5_bindings(tree):
    """{local name: module object or (module, attribute)} for the week5 imports of a cell."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'week5':
                    bound[alias.asname or alias.name] = importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or '').split('.')[0] == 'week5':
            module = importlib.import_module(node.module)
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if value is None:          # a submodule: `from week5 import claims`
                    value = importlib.import_module(f'{node.module}.{alias.name}')
                bound[alias.asname or alias.name] = value
    return bound


def _home(value, accessed_from):
    """The week5 module a name is defined in."""
    module = getattr(value, '__module__', None) if not inspect.ismodule(value) else None
    if isinstance(module, str) and module.startswith('week5'):
        return module
    return accessed_from


def notebook_uses(path):
    """{defining module: {names}} of every week5 name the notebook calls or reads."""
    trees = [ast.parse(_python(src)) for src in _code(path)]
    bound = {}
    for tree in trees:
        bound.update(_week5_bindings(tree))
    uses = defaultdict(set)
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                owner = bound.get(node.value.id)
                if inspect.ismodule(owner) and hasattr(owner, node.attr):
                    value = getattr(owner, node.attr)
                    if inspect.ismodule(value):
                        continue
                    uses[_home(value, owner.__name__)].add(node.attr)
            elif isinstance(node, ast.Name) and node.id in bound and \
                    not inspect.ismodule(bound[node.id]):
                value = bound[node.id]
                uses[_home(value, value.__module__)].add(node.id)
    return uses


USES = {path.stem: notebook_uses(path) for path in sorted(NOTEBOOK_DIR.glob('[0-9][0-9]_*.ipynb'))}


def test_every_notebook_has_a_chapter_module():
    assert sorted(USES) == sorted(NOTEBOOKS)
    for stem, module in NOTEBOOKS.items():
        assert f'week5.chapters.{module}' in USES[stem], f'{stem} does not use its chapter module'


def _shared_modules():
    users = defaultdict(set)
    for stem, uses in USES.items():
        for module in uses:
            users[module].add(stem)
    return {m: stems for m, stems in users.items() if not m.startswith('week5.chapters.')}, users


@pytest.mark.parametrize('stem', sorted(USES))
def test_a_notebooks_helpers_are_in_its_chapter_module_or_shared(stem):
    shared, users = _shared_modules()
    own = f'week5.chapters.{NOTEBOOKS[stem]}'
    wrong = []
    for module, names in USES[stem].items():
        if module == own:
            continue
        if module.startswith('week5.chapters.'):
            wrong.append(f'{sorted(names)} from another chapter\'s module {module}')
        elif len(users[module]) < 2 and not names <= FACADE:
            wrong.append(f'{sorted(names)} from {module}, which only {stem} uses: '
                         f'move them to {own}')
    assert not wrong, wrong


def test_every_chapter_module_helper_serves_its_notebook():
    """A chapter module holds its chapter's helpers, not another chapter's."""
    for stem, module in NOTEBOOKS.items():
        mod = importlib.import_module(f'week5.chapters.{module}')
        used = USES[stem].get(mod.__name__, set())
        internal = _names_used_inside(mod)
        unused = [n for n in mod.__all__ if n not in used and n not in internal]
        assert not unused, f'{mod.__name__} exports {unused}, which {stem} never calls'


def _names_used_inside(mod):
    tree = ast.parse(inspect.getsource(mod))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _imports(path):
    """The week5 modules a source file imports (resolved relative imports)."""
    rel = path.relative_to(ROOT).with_suffix('')
    parts = list(rel.parts)
    package = parts[:-1] if parts[-1] != '__init__' else parts[:-1]
    if parts[-1] == '__init__':
        parts = parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = '.'.join(base + ([node.module] if node.module else []))
                names = [f'{target}.{a.name}' for a in node.names]
            else:
                target, names = node.module or '', []
            for candidate in [*names, target]:
                if candidate.startswith('week5') and _is_module(candidate):
                    found.add(candidate)
                    break
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith('week5'))
    return found - {'.'.join(parts)}


def _is_module(name):
    path = ROOT.joinpath(*name.split('.'))
    return path.with_suffix('.py').exists() or (path / '__init__.py').exists()


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


GRAPH = {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob('*.py'))}


def test_chapter_modules_never_import_each_other():
    for module, deps in GRAPH.items():
        if module.startswith('week5.chapters.'):
            others = [d for d in deps if d.startswith('week5.chapters.')]
            assert not others, f'{module} imports {others}'


def test_the_import_graph_has_no_cycle():
    graph = GRAPH
    state = {}

    def visit(node, stack):
        state[node] = 'open'
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 'open':
                raise AssertionError(' -> '.join(stack + [node, dep]))
            if dep not in state:
                visit(dep, stack + [node])
        state[node] = 'done'

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_the_instructor_uses_the_course_package_only_through_public_names():
    seen = set()
    for path in sorted((ROOT / 'instructor').rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names if a.name.split('.')[0] == 'week5']
                assert not modules, f'{path}: import {modules}: use from week5.<module> import <name>'
            elif isinstance(node, ast.ImportFrom) and (node.module or '').split('.')[0] == 'week5':
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if hasattr(module, '__path__') and \
                            importlib.util.find_spec(f'{node.module}.{alias.name}'):
                        # a module (`from week5 import results`): what it is asked for
                        sub = importlib.import_module(f'{node.module}.{alias.name}')
                        _only_public_attributes(path, alias.asname or alias.name, sub)
                    else:
                        assert alias.name in module.__all__, \
                            f'{path}: {alias.name} is not in {node.module}.__all__'
                seen.add(node.module)
    assert {'week5.checks', 'week5.files'} <= seen       # the test reads the imports


def _only_public_attributes(path, name, module):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id == name:
            assert node.attr in module.__all__, \
                f'{path}: {name}.{node.attr} is not in {module.__name__}.__all__'


def test_the_course_package_never_imports_the_instructors():
    for path in sorted(PACKAGE.rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ''] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n.split('.')[0] == 'instructor'], path
