"""Scan a folder (the student edition) for answers in readable form: each keyed answer's
literal forms, the expressions that compute it, solution markers and the lines that only
the reference solutions hold. ``make release`` refuses to write a release with a hit.

Distinctive answers (four digits or more, shapes, sets of names) are searched everywhere; a
small number or one name (``55``, ``'nin'``) occurs in any course text for other reasons, so
it counts as a hit only on a line that also names its check.
"""
import re
from pathlib import Path

from .. import sources
from .answers import KEYS

ROOT = sources.ROOT

# Expressions the old, readable checks computed answers with.
EXPRESSIONS = {
    'alexnet_conv1_size': [r'\(227 - 11\) ?// ?4', r'floor\(\(227 - 11\) / 4\)'],
    'lenet_conv2_params': [r'6 \* 16 \* 3 \* 3 \+ 16', r'16 \* 6 \* 3 \* 3 \+ 16'],
    'matmul_flops': [r'2 \* 512 \* 2048 \* 256', r'2 x n x k x m'],
    'vgg_dense_inputs': [r'512 \* 5 \* 5'],
    'conv1x1_params': [r'256 \* 64 \+ 64'],
    'inception_out_channels': [r'80 \+ 176 \+ 56 \+ 40'],
}
MARKERS = [r'%%solution', r'\bsolution_of\b', r'keys\.answers', r'from (instructor\.)?keys import']


def _number_forms(value):
    return [str(value), f'{value:,}', f'{value:_}', f'{value:,}'.replace(',', ' ')]


def patterns():
    """``[(what, compiled regex)]``: what a release must not contain."""
    found = []
    for name, key in KEYS.items():
        answer = key.answer
        if isinstance(answer, tuple) and all(isinstance(d, str) for d in answer):
            # a set of names, quoted or not: ('googlenet', 'nin'), [googlenet, nin]
            names = [r'[\'"]?' + re.escape(d) + r'[\'"]?' for d in answer]
            forms = [r'[(\[{]\s*' + r'\s*,\s*'.join(names) + r'\s*,?\s*[)\]}]',
                     re.escape(','.join(answer))]
        elif isinstance(answer, tuple):
            nums = [str(d) for d in answer]
            forms = [r'[(\[]\s*' + r'\s*,\s*'.join(nums) + r'\s*[)\]]', ','.join(nums)]
        elif isinstance(answer, int) and abs(answer) >= 1000:
            forms = [r'(?<![\w.,])' + re.escape(f) + r'(?!\w|[.,_]\d)' for f in _number_forms(answer)]
        else:       # small or a name: only beside its check's name
            value = re.escape(str(answer))
            named = rf'(?<![a-z0-9]){name}(?![a-z0-9])'
            forms = [rf'{named}.*(?<![\w.]){value}(?![\w.])',
                     rf'(?<![\w.]){value}(?![\w.]).*{named}']
        found += [(f'{name} answer', re.compile(f, re.I)) for f in forms]
        found += [(f'{name} expression', re.compile(e)) for e in EXPRESSIONS.get(name, [])]
    found += [('solution marker', re.compile(m)) for m in MARKERS]
    return found


def solution_lines(root=ROOT):
    """Lines of the reference solutions found nowhere else in this repository's notebooks
    and package: if one shows up in a release, a solution leaked."""
    elsewhere = '\n'.join(p.read_text(encoding='utf-8') for pattern in
                          ('notebooks/*.ipynb', 'week5/**/*.py') for p in root.glob(pattern))
    lines = set()
    for src in sorted((root / 'notebooks' / 'src').glob('*.nbsrc')):
        for text in sources.parse_source(src)[1].values():
            for line in text.splitlines():
                line = line.strip()
                if len(line) >= 12 and not line.startswith('#') and \
                        json_free(line) not in elsewhere and line not in elsewhere:
                    lines.add(line)
    return sorted(lines)


def json_free(line):
    """A line as it appears inside a notebook's JSON (quotes escaped)."""
    return line.replace('\\', '\\\\').replace('"', '\\"')


def scan(folder, root=ROOT):
    """``[(file, line number, what)]`` for every hit in the text files under ``folder``."""
    rules = patterns()
    solutions = solution_lines(root)
    hits = []
    for path in sorted(Path(folder).rglob('*')):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding='utf-8')
        except UnicodeDecodeError:      # binary files: search their bytes as text
            text = path.read_bytes().decode('latin-1')
        for number, line in enumerate(text.splitlines(), 1):
            hits += [(path, number, what) for what, rule in rules if rule.search(line)]
            hits += [(path, number, 'solution line: ' + s) for s in solutions
                     if s in line or json_free(s) in line]
    return hits
