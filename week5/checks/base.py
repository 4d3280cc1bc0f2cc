"""What every exercise check shares: the verdict line, answers as data, the salted hashes
keyed answers are judged by, and a built block's structural description.

A check is declared once, as a :class:`Check` row in its chapter's module
(``week5/checks/lenet.py`` ...); ``week5/checks/protocol.py`` turns the rows into the
check functions, the registry and the grader's protocol. Never imports matplotlib,
IPython or ipywidgets.
"""
import hashlib
import hmac
import json
import numbers
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

PREFIX = '[week5 check]'
VERDICT_RE = re.compile(r'^\[week5 check\] (?P<name>[a-z0-9_]+): (?P<verdict>PASSED|FAILED)'
                        r'(?: - (?P<reason>.+))?$', re.MULTILINE)
_MAX_REASON = 200
_MAX_ITEMS = 64     # an answer is a number, a shape or a short tuple: longer lists are cut

# The kinds of answer a check takes. Keyed answers (one right value) are judged by salted
# hash; the others by rules the exercise states (a design) or by the structure of what the
# student's code builds (a network, or a function/class that builds blocks).
NUMBER, SHAPE, CHOICE = 'number', 'shape', 'choice'
DESIGN, NETWORK, FACTORY = 'design', 'network', 'factory'
KEYED = (NUMBER, SHAPE, CHOICE)


@dataclass(frozen=True)
class Check:
    """One exercise check, declared once.

    ``name`` gives the function ``week5.checks.check_<name>`` and the verdict's name;
    ``question`` is that function's docstring; ``param`` its parameter's name. ``what`` is
    what the answer is, said when there is none yet. For a keyed answer (``NUMBER``,
    ``SHAPE``, ``CHOICE``) the right value lives only in ``instructor/keys``: the
    check compares salted hashes (``hashes.json``) and, for a wrong answer the keys know,
    shows its targeted hint, else ``rule`` (which explains the rule, never the result).
    ``parse`` turns a raw answer into the value to hash and may fail on what the question
    itself rules out. ``judge`` judges what is not keyed: a ``DESIGN`` value, or each case
    ``(args, X_shape, description)`` of a ``NETWORK`` (``label`` is the variable) or a
    ``FACTORY`` (``label`` is the function); ``cases`` are the visible cases."""
    name: str
    kind: str
    question: str
    what: str
    rule: str = ''
    param: str = 'answer'
    parse: Optional[Callable] = None
    judge: Optional[Callable] = None
    label: str = ''
    cases: tuple = field(default=())

    def __post_init__(self):
        if self.kind not in KEYED + (DESIGN, NETWORK, FACTORY):
            raise ValueError(f'check {self.name!r}: unknown kind {self.kind!r}')
        if self.kind in KEYED and not (self.parse and self.rule):
            raise ValueError(f'check {self.name!r}: a keyed check needs parse= and rule=')
        if self.kind not in KEYED and self.judge is None:
            raise ValueError(f'check {self.name!r}: a {self.kind} check needs judge=')


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``name``, ``passed`` and a one-line ``reason``."""
    name: str
    passed: bool
    reason: str = ''

    @property
    def line(self):
        """The verdict line exactly as printed."""
        if self.passed:
            return f'{PREFIX} {self.name}: PASSED'
        return f'{PREFIX} {self.name}: FAILED - {self.reason}'

    def __bool__(self):
        return self.passed

    def _ipython_display_(self):
        # The verdict line has already been printed; showing the object again as the
        # cell's value would print it twice.
        pass


def parse_verdicts(text):
    """All verdicts in ``text`` as a list of :class:`CheckResult`, in order."""
    return [CheckResult(m['name'], m['verdict'] == 'PASSED', m['reason'] or '')
            for m in VERDICT_RE.finditer(text)]


class Fail(Exception):
    """Raised inside a check to end it with a readable reason."""


def one_line(text):
    text = ' '.join(str(text).split())
    return text if len(text) <= _MAX_REASON else text[:_MAX_REASON - 3] + '...'

def _error_text(err):
    """The informative line of an exception message: the first line, or for MXNet's
    backend errors (a C++ traceback) the last one, without the 'MXNetError: ' prefix."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    if not lines:
        return ''
    line = lines[-1] if lines[0].startswith('Traceback') else lines[0]
    return line[len('MXNetError: '):] if line.startswith('MXNetError: ') else line




def raised(type_name, text):
    if type_name == 'NotImplementedError':
        return ('not answered yet: your code still raises NotImplementedError - replace it '
                'with your solution')
    return one_line(f'your code raised {type_name}' + (f': {text}' if text else ''))



def reason(err):
    """The FAILED reason for an exception met while reading a student's answer."""
    if isinstance(err, Fail):
        return one_line(err)
    return raised(type(err).__name__, _error_text(err))


# ----------------------------------------------------------------------------------
# salted hashes of keyed answers

HASH_FILE = Path(__file__).with_name('hashes.json')
HASH_SCHEME = 'pbkdf2-hmac-sha256'
HASH_ITERATIONS = 100_000


def canonical(kind, value):
    """The text a keyed answer is hashed as: a whole number in decimal without separators
    (``1234``), a shape as its numbers joined by commas (``1,3,8,8``), a choice as its
    normalised name (``nin``)."""
    if kind == NUMBER:
        return str(int(value))
    if kind == SHAPE:
        return ','.join(str(int(d)) for d in value)
    if kind == CHOICE:
        return str(value)
    raise ValueError(f'kind {kind!r} has no canonical form: only {KEYED} are hashed')


def digest(name, text, salt, iterations=HASH_ITERATIONS):
    """PBKDF2-HMAC-SHA256 of ``<check name>:<canonical answer>`` with the check's salt."""
    return hashlib.pbkdf2_hmac('sha256', f'{name}:{text}'.encode(), bytes.fromhex(salt),
                               iterations).hex()


@dataclass(frozen=True)
class Key:
    """A keyed check's plain key, as the instructor's edition holds it (a student's check
    knows it only as salted hashes): the answer as the check's ``parse`` returns it, and
    typical wrong answers, each mapped to the hint it gets."""
    answer: object
    wrong: dict = field(default_factory=dict)


def _derived(secret, purpose, size=32):
    """``size`` bytes derived from a wrong answer's digest ``secret`` for ``purpose``."""
    out, block = b'', 0
    while len(out) < size:
        out += hashlib.sha256(bytes.fromhex(secret) + purpose + block.to_bytes(4, 'big')).digest()
        block += 1
    return out[:size]


def _hint_id(secret):
    """Where the hash file keeps a wrong answer's sealed hint: nothing about its key."""
    return _derived(secret, b'hint id').hex()


def _sealed(secret, text):
    """A hint readable only with its wrong answer's digest (XOR with a derived stream)."""
    data = text.encode()
    return bytes(a ^ b for a, b in zip(data, _derived(secret, b'hint', len(data)))).hex()


def _unsealed(secret, sealed):
    data = bytes.fromhex(sealed)
    return bytes(a ^ b for a, b in zip(data, _derived(secret, b'hint', len(data)))).decode()


def hash_row(check, key, salt):
    """Check ``check``'s row of the hash file for its plain ``key`` and ``salt`` (hex): the
    answer's salted hash, and each known wrong answer's hint sealed with that wrong
    answer's hash, so a hint can be read only once its wrong answer is typed."""
    def secret(value):
        return digest(check.name, canonical(check.kind, check.parse(value)), salt)
    answer, hints = secret(key.answer), {}
    for value, hint in key.wrong.items():
        wrong = secret(value)
        if wrong == answer:
            raise ValueError(f'{check.name}: the wrong answer {value!r} of its key equals '
                             'the answer: remove it from the key\'s wrong answers')
        hints[_hint_id(wrong)] = _sealed(wrong, hint)
    return {'salt': salt, 'answer': answer, 'hints': hints}


def load_hashes(path=HASH_FILE):
    """``{check name: {'salt', 'answer', 'hints': {id: sealed hint}}}`` from the hash file."""
    data = json.loads(Path(path).read_text(encoding='utf-8'))
    if data.get('scheme') != HASH_SCHEME or data.get('iterations') != HASH_ITERATIONS:
        raise ValueError(f'{path}: written for scheme {data.get("scheme")!r} x '
                         f'{data.get("iterations")}, expected {HASH_SCHEME!r} x '
                         f'{HASH_ITERATIONS}: regenerate it (python -m instructor.keys.hashes)')
    return data['checks']


def judge_keyed(check, value, entry=None, key=None):
    """Pass if ``value`` is the answer; else the known wrong answer's hint, else the
    check's rule. Judged with the plain ``key`` (a :class:`Key`) when given, else with
    ``entry``, the check's row of the hash file (salted hashes, sealed hints)."""
    if key is not None:
        if value == key.answer:
            return
        hint = key.wrong.get(value)
    else:
        got = digest(check.name, canonical(check.kind, value), entry['salt'])
        if hmac.compare_digest(got, entry['answer']):
            return
        sealed = entry['hints'].get(_hint_id(got))
        hint = _unsealed(got, sealed) if sealed else None
    raise Fail(f'{shown(value)} is not it: {hint or check.rule}')


def shown(value):
    """A keyed answer as a verdict shows it: ``1,234``, ``(1, 3, 8, 8)``, ``'lenet'``."""
    if isinstance(value, numbers.Integral):
        return f'{int(value):,}'
    return repr(value) if isinstance(value, str) else str(value)

# ----------------------------------------------------------------------------------
# answers as data: numbers, strings, tuples; anything else by type and repr

class _Opaque:
    """An answer that is not a number, string or sequence, as the judge sees it."""

    def __init__(self, type_name, text):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return self.text


def encode(answer):
    """A JSON-able copy of an answer: tuples are ``{'tuple': [...]}``, sets sorted lists,
    ``...`` is ``{'ellipsis': True}``, anything else ``{'type': name, 'repr': text}``."""
    if answer is None or isinstance(answer, (bool, str)):
        return answer if not isinstance(answer, str) else answer[:_MAX_REASON]
    if answer is Ellipsis:
        return {'ellipsis': True}
    if isinstance(answer, numbers.Integral):
        return int(answer)
    if isinstance(answer, numbers.Real):
        return float(answer)
    if isinstance(answer, (set, frozenset)):     # a set of names: a list in a fixed order
        return encode(sorted(answer, key=repr))
    if isinstance(answer, (tuple, list)):
        items = [encode(a) for a in answer[:_MAX_ITEMS]]
        return {'tuple': items} if isinstance(answer, tuple) else items
    if hasattr(answer, 'tolist') and hasattr(answer, 'shape'):   # NumPy / MXNet arrays
        return encode(answer.tolist())
    return {'type': type(answer).__name__, 'repr': one_line(repr(answer))}


def decode(data):
    if isinstance(data, list):
        return [decode(d) for d in data]
    if not isinstance(data, dict):
        return data
    if data.get('ellipsis') is True:
        return Ellipsis
    if isinstance(data.get('tuple'), list):
        return tuple(decode(d) for d in data['tuple'])
    return type(str(data.get('type', 'object')), (_Opaque,), {})(
        str(data.get('type', 'object')), str(data.get('repr', '?')))


# ----------------------------------------------------------------------------------
# answers: numbers, shapes, tuples

def require(answer, what):
    if answer is Ellipsis or answer is None:
        raise Fail(f'no answer yet: replace the ... with {what}')
    return answer


def as_int(answer, what):
    require(answer, what)
    if isinstance(answer, bool):
        raise Fail(f'expected a whole number ({what}), got {answer!r}')
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise Fail(f'expected a whole number ({what}), got {type(answer).__name__} '
                    f'{answer!r}') from None
    if value != int(value):
        raise Fail(f'expected a whole number ({what}), got {answer!r}')
    return int(value)


def as_shape(answer, what):
    require(answer, what)
    try:
        shape = tuple(answer)
    except TypeError:
        raise Fail(f'expected a shape such as (1, 3, 8, 8) ({what}), got '
                    f'{answer!r}') from None
    return tuple(as_int(d, 'each entry of the shape') for d in shape)


# ----------------------------------------------------------------------------------
# blocks: build, run, inspect

def _is_np_mode():
    import mxnet as mx
    return mx.util.is_np_array()


def _input(shape):
    """A deterministic standard-normal input (positive and negative values)."""
    import numpy
    import mxnet as mx
    x = numpy.random.RandomState(0).standard_normal(shape).astype('float32')
    return mx.np.array(x) if _is_np_mode() else mx.nd.array(x)


def _as_block(obj, label):
    from mxnet.gluon import Block
    if obj is None:
        raise Fail(f'{label} returned None: return the block you built')
    if obj is Ellipsis:
        raise Fail(f'no answer yet: {label} is still ...')
    if not isinstance(obj, Block):
        raise Fail(f'{label} is a {type(obj).__name__}, expected a Gluon block '
                    '(e.g. nn.Sequential)')
    return obj


def _children(block):
    """A block's direct child layers. Like MXNet above, week5.summary is imported only
    here, where a student's answer is built: judging recorded data needs neither."""
    from ..summary import iter_layers
    return (child for _, child, _ in iter_layers(block, max_depth=1))


def _has_no_layers(block):
    """True for a block without child layers: an empty Sequential, or a stub class."""
    return next(_children(block), None) is None


def built(net, label):
    """A block the student filled with layers (an empty one is an unanswered exercise)."""
    block = _as_block(require(net, f'your {label}'), label)
    if _has_no_layers(block):
        raise Fail(f'no answer yet: {label} has no layers - add them with '
                    f'{label}.add(...)')
    return block


def call_factory(factory, args, fname):
    require(factory, f'your {fname}')
    if not callable(factory):
        raise Fail(f'{fname} should be a function or class, got {type(factory).__name__}')
    from ..tensors import use_np
    use_np()        # build with week5's array semantics, as the notebooks do
    label = f'{fname}{fmt_args(args)}'
    block = _as_block(factory(*args), label)
    if _has_no_layers(block):   # the stub, as released
        raise Fail(f'no answer yet: {label} built a block without layers - create them '
                   'where the ... is')
    return block, label


def fmt_args(args):
    return '(' + ', '.join(repr(a) for a in args) + ')'


def _run(block, X_shape):
    """Initialise uninitialised parameters (quietly), run once; (output shape,
    number of parameters, output as numpy)."""
    params = list(block.collect_params().values())
    if any(p._data is None and p._deferred_init == () for p in params):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            block.initialize()
    Y = block(_input(X_shape))
    Y = Y.asnumpy()
    count = sum(int(p.data().size) for p in block.collect_params().values())
    return tuple(Y.shape), count, Y


def _layers(block):
    """The leaf layers of a block in registration order."""
    from mxnet.gluon import nn
    leaves = (nn.Conv2D, nn.Dense, nn.Dropout, nn.Activation, nn.Flatten)
    if isinstance(block, leaves) or _has_no_layers(block):
        yield block
        return
    for child in _children(block):
        yield from _layers(child)


def _describe_layer(layer):
    """One leaf layer as data: its kind and the settings the checks look at."""
    from mxnet.gluon import nn
    kwargs = getattr(layer, '_kwargs', None) or {}
    act = getattr(getattr(layer, 'act', None), '_act_type', None)
    if isinstance(layer, nn.Conv2D):
        return {'kind': 'conv', 'channels': layer._channels, 'kernel': list(kwargs['kernel']),
                'strides': list(kwargs['stride']), 'padding': list(kwargs['pad']), 'act': act}
    if isinstance(layer, nn.Dense):
        return {'kind': 'dense', 'units': layer._units, 'act': act}
    if isinstance(layer, nn.Dropout):
        return {'kind': 'dropout', 'rate': layer._rate}
    if isinstance(layer, nn.Activation):
        return {'kind': 'act', 'act': layer._act_type}
    if isinstance(layer, nn.BatchNorm):     # its channel count is known once it has run
        return {'kind': 'bn', 'channels': int(layer.gamma.shape[0])}
    if 'pool_type' in kwargs:
        return {'kind': 'pool', 'pool_type': kwargs['pool_type'],
                'global': bool(kwargs.get('global_pool')), 'kernel': list(kwargs['kernel']),
                'strides': list(kwargs['stride']), 'padding': list(kwargs['pad'])}
    return {'kind': 'other', 'type': type(layer).__name__}


def describe_block(block, X_shape):
    """A block as data: what running it on the check's input gave (output shape,
    parameter count, whether the output has negative values) or raised, and its leaf layers
    (after a run that worked, with each one's parameter count in ``layer_params``)."""
    desc = {'input': list(X_shape)}
    try:
        shape, count, Y = _run(block, X_shape)
    except Exception as e:  # judged later: e.g. Inception's concatenation errors
        desc['run_error'] = {'type': type(e).__name__, 'text': _error_text(e),
                             'message': str(e)[:2000]}
    else:
        desc.update(output=list(shape), params=count, negative=bool((Y < 0).any()))
    # described after the run: a BatchNorm (like a Dense) learns its input size from it
    layers = list(_layers(block))
    desc['layers'] = [_describe_layer(layer) for layer in layers]
    if 'run_error' not in desc:
        desc['layer_params'] = [_leaf_params(layer) for layer in layers]
    return desc


def _leaf_params(layer):
    """The number of values a leaf layer stores, as the check's total counts them."""
    import math
    return sum(math.prod(p.shape) for p in layer.collect_params().values())


def ran(desc):
    """(output shape, parameter count, output has negatives) of a described block."""
    err = desc.get('run_error')
    if err is not None:
        raise Fail(raised(str(err.get('type')), str(err.get('text') or '')))
    return tuple(int(d) for d in desc['output']), int(desc['params']), bool(desc['negative'])


def inventory(desc):
    """Counts of what a described block contains, by kind."""
    inv = {'conv': [], 'dense': [], 'dropout': [], 'pool': [], 'gap': 0, 'act': []}
    for layer in desc['layers']:
        kind = layer.get('kind')
        if kind == 'conv':
            inv['conv'].append(layer['kernel'][0])
        elif kind == 'dense':
            inv['dense'].append(layer['units'])
        elif kind == 'dropout':
            inv['dropout'].append(layer['rate'])
        elif kind == 'pool':
            if layer['global']:
                inv['gap'] += 1
            else:
                inv['pool'].append((layer['pool_type'], layer['kernel'][0], layer['strides'][0]))
        if kind in ('conv', 'dense', 'act') and layer.get('act') is not None:
            inv['act'].append(layer['act'])
    return inv


def weighted_groups(desc):
    """A described block's leaf layers split at each conv or dense layer: ``(before,
    groups)``, where ``before`` lists what comes before the first of them and each group is
    ``(i, layer, after)``: the layer's index in ``desc['layers']``, the layer, and the layers
    up to the next conv or dense layer. Flatten layers are left out (Dense flattens anyway)."""
    before, groups = [], []
    for i, layer in enumerate(desc['layers']):
        if layer.get('kind') in ('conv', 'dense'):
            groups.append((i, layer, []))
        elif layer.get('kind') == 'other' and layer.get('type') == 'Flatten':
            continue
        else:
            (groups[-1][2] if groups else before).append(layer)
    return before, groups


def layer_name(layer):
    """A described layer as a message names it: ``Conv2D``, ``BatchNorm``, ``Activation('relu')``."""
    kind = layer.get('kind')
    if kind == 'act':
        return f"Activation({layer.get('act')!r})"
    if kind == 'pool':
        kind = 'Max' if layer.get('pool_type') == 'max' else 'Avg'
        return f"Global{kind}Pool2D" if layer.get('global') else f'{kind}Pool2D'
    return {'conv': 'Conv2D', 'dense': 'Dense', 'dropout': 'Dropout',
            'bn': 'BatchNorm'}.get(kind, str(layer.get('type', kind)))


def layer_names(layers):
    """A run of described layers as a message names it: ``BatchNorm -> Activation('relu')``."""
    return ' -> '.join(layer_name(a) for a in layers) or 'nothing'


def conv_params(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def expect_shape(label, got, expected, hint):
    if got != expected:
        raise Fail(f'{label}: output shape {got}, expected {expected} ({hint})')


def expect_params(label, got, expected, hint):
    if got != expected:
        raise Fail(f'{label}: {got:,} parameters, expected {expected:,} ({hint})')


def expect_within_budget(count, budget, where):
    """A design with at most ``budget`` parameters; ``where`` says where they sit."""
    if count > budget:
        raise Fail(f'{count:,} parameters, {count - budget:,} over the budget of '
                   f'{budget:,}; {where}')


def expect_relu(label, negative, where):
    if negative:
        raise Fail(f'{label}: the output has negative values, so {where} has no ReLU - '
                    "add activation='relu'")

