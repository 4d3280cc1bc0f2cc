"""instructor/keys: the instructor's answers and hidden tests. The committed hash file
matches the keys (and a stale one is detected), the hash-judged checks agree with the plain keys, and
the hidden cases catch code that only fits the visible ones."""
import ast
import itertools
import json
import math
import re
from pathlib import Path

import pytest
from mxnet.gluon import nn

from instructor import keys, sources
from instructor.keys import HIDDEN, KEYS, hashes
from week5 import checks
from week5.checks.base import FACTORY, KEYED, NETWORK

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_hash_file_matches_the_keys():
    assert hashes.is_current(), 'run `python -m instructor.keys.hashes`'


def test_a_stale_hash_file_is_detected(tmp_path, monkeypatch):
    stale = tmp_path / 'hashes.json'
    stale.write_text(checks.base.HASH_FILE.read_text())
    assert hashes.is_current(stale)
    monkeypatch.setitem(KEYS, 'conv1x1_params',
                        keys.answers.Key(KEYS['conv1x1_params'].answer + 1))  # an edited key
    assert not hashes.is_current(stale)
    assert hashes.main(['--check']) == 1


def test_every_keyed_check_has_a_key_and_every_code_check_a_hidden_case():
    kinds = {n: c.kind for n, c in checks.DECLARATIONS.items()}
    assert {n for n, k in kinds.items() if k in KEYED} == set(KEYS)
    assert {n for n, k in kinds.items() if k in (NETWORK, FACTORY)} == set(HIDDEN)
    assert all(len(cases) >= 1 for cases in HIDDEN.values())


def test_the_hash_file_holds_no_answer_in_readable_form(tmp_path):
    from instructor.keys import scan
    (tmp_path / 'hashes.json').write_text(checks.base.HASH_FILE.read_text())
    assert scan.scan(tmp_path) == []
    (tmp_path / 'leak.py').write_text('EXPECTED = 54_534_144\nalexnet_conv1_size = 55\n'
                                      "print((1, 16, 14, 14), ('googlenet', 'nin'))\n")
    found = {what for _, _, what in scan.scan(tmp_path)}
    assert found == {'alexnet_dense_params answer', 'alexnet_conv1_size answer',
                     'lenet_conv2_shape answer', 'input_free_params answer'}


def test_hash_judged_checks_agree_with_the_plain_keys():
    for name, key in KEYS.items():
        for value in [key.answer, *key.wrong, 12345]:
            data = checks.describe_answer(name, value)
            by_hash = checks.judge(name, data)
            assert [by_hash] == keys.grade(name, data), (name, value)
            assert by_hash.passed == (value == key.answer)


def _hidden_file(tmp_path, monkeypatch):
    path = tmp_path / 'hidden.json'
    path.write_text(json.dumps(HIDDEN))
    monkeypatch.setenv(checks.ANSWER_ENV, '1')
    monkeypatch.setenv(checks.HIDDEN_ENV, str(path))


def nin_head(padding):
    """A small NiN head (1x1 reduction, then a 3x3) with the 3x3's padding."""
    net = nn.Sequential()
    net.add(nn.Conv2D(16, 1, activation='relu'),
            nn.Conv2D(10, 3, padding=padding, activation='relu'),
            nn.GlobalAvgPool2D(), nn.Flatten())
    return net


def test_hidden_cases_reach_the_description_only_under_the_grader(tmp_path, monkeypatch):
    monkeypatch.setenv(checks.HIDDEN_ENV, str(tmp_path / 'hidden.json'))
    (tmp_path / 'hidden.json').write_text(json.dumps(HIDDEN))
    assert 'hidden' not in checks.describe_answer('nin_small_head', nin_head(1))  # a student's run
    _hidden_file(tmp_path, monkeypatch)
    data = checks.describe_answer('nin_small_head', nin_head(1))
    assert [d['input'] for d in data['hidden']] == [list(x) for _, x in HIDDEN['nin_small_head']]


def test_visible_pass_hidden_fail_names_the_hidden_check(tmp_path, monkeypatch):
    _hidden_file(tmp_path, monkeypatch)
    data = json.loads(json.dumps(checks.describe_answer('nin_small_head', nin_head(0))))
    visible, hidden = keys.grade('nin_small_head', data)
    assert visible.passed                    # no padding still gives (2, 10) on 5x5 inputs
    assert hidden.name == 'nin_small_head_hidden' and not hidden.passed
    assert 'raised' in hidden.reason         # a 3x3 kernel without padding on a 1x1 input
    good = json.loads(json.dumps(checks.describe_answer('nin_small_head', nin_head(1))))
    assert [r.passed for r in keys.grade('nin_small_head', good)] == [True, True]

    def hard_coded(num_convs, channels):     # fits the two visible cases only
        blk = nn.Sequential()
        for _ in range(num_convs if num_convs < 3 else 2):
            blk.add(nn.Conv2D(channels, 3, padding=1), nn.BatchNorm(), nn.Activation('relu'))
        blk.add(nn.MaxPool2D(2, 2))
        return blk
    data = checks.describe_answer('vgg_bn_block', hard_coded)
    visible, hidden = keys.grade('vgg_bn_block', data)
    assert visible.passed and not hidden.passed
    assert 'vgg_bn_block(3, 5) has 2 convolution(s), expected 3' in hidden.reason
    # a record without the hidden cases (a kernel that skipped them) fails them
    del data['hidden']
    assert not keys.grade('vgg_bn_block', data)[1].passed


class _BatchOf2(nn.Sequential):
    """Flattens for the visible case's batch of 2 before its first Dense: written for the
    visible input only."""
    def forward(self, x):
        for block in self._children.values():
            x = block(x.reshape((2, -1)) if isinstance(block, nn.Dense) else x)
        return x


def _lenet_bn(net):
    net.add(nn.Conv2D(6, 5, padding=2), nn.BatchNorm(), nn.Activation('relu'),
            nn.MaxPool2D(2, 2), nn.Conv2D(16, 5), nn.BatchNorm(), nn.Activation('relu'),
            nn.MaxPool2D(2, 2), nn.Dense(120), nn.BatchNorm(), nn.Activation('relu'),
            nn.Dense(84), nn.BatchNorm(), nn.Activation('relu'), nn.Dense(10))
    return net


def _budget_head(net):
    net.add(nn.MaxPool2D(2, 2), nn.Dense(1024, activation='relu'), nn.Dropout(0.5),
            nn.Dense(1024, activation='relu'), nn.Dropout(0.5), nn.Dense(10))
    return net


@pytest.mark.parametrize('name, build', [('lenet_bn', _lenet_bn),
                                         ('alexnet_head_budget', _budget_head)])
def test_a_net_that_hard_codes_the_batch_fails_the_hidden_cases(name, build, tmp_path,
                                                                monkeypatch):
    _hidden_file(tmp_path, monkeypatch)
    data = json.loads(json.dumps(checks.describe_answer(name, build(_BatchOf2()))))
    visible, hidden = keys.grade(name, data)
    assert visible.passed and not hidden.passed and 'raised' in hidden.reason
    good = json.loads(json.dumps(checks.describe_answer(name, build(nn.Sequential()))))
    assert [r.passed for r in keys.grade(name, good)] == [True, True]


def test_reference_solutions_pass_the_hidden_cases(tmp_path, monkeypatch, capsys):
    _hidden_file(tmp_path, monkeypatch)
    graded = set()
    for src in sorted((ROOT / 'notebooks' / 'src').glob('*.nbsrc')):
        cells, solutions = sources.parse_source(src)
        namespace = {}
        for cell in cells:
            if cell['id'].endswith('-setup') or cell['id'] == 'nin-block-code':
                exec(compile(cell['source'], cell['id'], 'exec'), namespace)
            if cell['id'] in solutions:
                exec(compile(solutions[cell['id']], cell['id'], 'exec'), namespace)
            elif 'check' in cell['tags']:
                exec(compile(cell['source'], cell['id'], 'exec'), namespace)
        for name, data in checks.parse_answers(capsys.readouterr().out):
            results = keys.grade(name, data)
            assert all(r.passed for r in results), results
            graded |= {r.name for r in results}
    assert {f'{n}_hidden' for n in HIDDEN} <= graded


# --- hints teach without solving -------------------------------------------------------

_WORD_OPS = {'x': '*', '×': '*', 'times': '*', 'plus': '+', 'minus': '-'}
_TOKEN = re.compile(r'\d[\d,]*\d|\d|//|[-+*/()×]|[A-Za-z_][A-Za-z_\']*|[;:=.!?]')


def _numbers(text):
    return {int(n.replace(',', '')) for n in re.findall(r'\d[\d,]*\d|\d', text)}


def _tokens(text):
    """A hint as expression tokens: numbers, operators (also 'x', 'plus', ...), '(' ')',
    'floor', one variable per run of other words, and '|' where a sentence breaks."""
    out = []
    for tok in _TOKEN.findall(re.sub(r'(\d)x(\d)', r'\1 x \2', text)):
        tok = _WORD_OPS.get(tok.lower(), tok)
        if tok[0].isdigit():
            out.append(tok.replace(',', ''))
        elif tok in '+-*/()//' or tok == 'floor':
            out.append(tok)
        elif tok in ';:=.!?':
            out.append('|')
        elif out and out[-1].startswith('v_'):
            out[-1] += '_' + re.sub(r'\W', '', tok)
        else:
            out.append('v_' + re.sub(r'\W', '', tok))
    return out


def _formulas(text):
    """Every run of a hint's tokens that reads as an arithmetic expression."""
    toks, found = _tokens(text), set()
    for i in range(len(toks)):
        for j in range(i + 1, len(toks) + 1):
            window = toks[i:j]
            if '|' in window or not any(t in ('+', '-', '*', '/', '//') for t in window):
                continue
            expr = ' '.join(window)
            try:
                ast.parse(expr, mode='eval')
            except SyntaxError:
                continue
            found.add(expr)
    return sorted(found)


def _evaluates_to(expr, pool, answer):
    names = sorted(set(re.findall(r'\bv_\w+', expr)))
    if len(pool) ** len(names) > 200_000:
        return None
    code = compile(expr, '<hint>', 'eval')
    for values in itertools.product(sorted(pool), repeat=len(names)):
        try:
            got = eval(code, {'floor': math.floor, '__builtins__': {}}, dict(zip(names, values)))
        except (ArithmeticError, TypeError):
            continue
        if abs(got - answer) < 1e-9:
            return dict(zip(names, values))
    return None


def reachable_hints():
    """(check, wrong value or None, hint) for every hint a student can reach: each keyed
    check's rule (what an unknown wrong answer gets) and every hint of hashes.json, opened
    the way a student opens it -- by typing its wrong answer into the released judge."""
    for name, key in KEYS.items():
        check = checks.declaration(name)
        yield name, None, check.rule
        for value in key.wrong:
            data = json.loads(json.dumps(checks.describe_answer(name, value)))
            reason = checks.judge(name, data).reason
            yield name, value, reason.split(' is not it: ', 1)[1]


@pytest.mark.parametrize('name', sorted(KEYS))
def test_no_reachable_hint_computes_the_answer_from_the_questions_numbers(name):
    """A hint is one substitution from the answer when a formula it states, filled with the
    question's (or its own) numbers, gives the answer, or when the wrong answer it replies
    to and a number it names give the answer in one operation ('you forgot the 16
    biases')."""
    answer, question = KEYS[name].answer, checks.declaration(name).question
    leaks = []
    for check, wrong, hint in reachable_hints():
        if check != name:
            continue
        if any(re.search(rf'(?<![\d,]){re.escape(form)}(?![\d,])', hint) for form in
               {str(answer), f'{answer:,}' if isinstance(answer, int) else str(answer)}):
            leaks.append(f'{hint!r} states the answer')
        if not isinstance(answer, int):
            continue
        pool = _numbers(question) | _numbers(hint)
        for expr in _formulas(hint):
            filled = _evaluates_to(expr, pool, answer)
            if filled is not None:
                leaks.append(f'{hint!r}: {expr} with {filled} gives the answer')
        if isinstance(wrong, int):
            named = _numbers(hint) | {a * b for a in _numbers(hint) for b in _numbers(hint)}
            if any(answer in (wrong + n, wrong - n, wrong * n) or (n and wrong // n == answer)
                   for n in named):
                leaks.append(f'{hint!r} to {wrong}: one operation with its numbers gives the answer')
    assert not leaks, '\n'.join(leaks)
