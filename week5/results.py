"""Numbers in prose come from the run (after MyST-NB's ``glue``).

A chapter records the results its text interprets, in a code cell or inside the library
where the number is made::

    d2l.record('relu_max_val', mean_val)          # returns mean_val

and its Markdown cells and speaker notes refer to them with MyST-NB's inline role::

    The modern LeNet ends at {glue:text}`relu_max_val:.3f` validation accuracy.

``record`` displays one output of mime type ``application/vnd.week5.record+json``
(``{"name": ..., "value": ...}``): no text a student sees (JupyterLab draws nothing for
it), and nbval skips it (notebooks/conftest.py), so a quick-profile run that records other
numbers than the committed laptop one still passes. The notebook build
(instructor/sources.py) reads the records back from the executed notebook
(``records_of``) and fills every reference (``fill``); the source keeps the reference.

A value is a number, a string, a claim (its verdict and evidence), or a dict of those
(referred to as ``name.key``). Words that judge a result ("ahead", "within the spread",
"about 20 times") are chosen here from the numbers (``compare_words``, ``about_times``)
and recorded like any number: typed prose says why, never how much.

Never imports matplotlib or MXNet; IPython only when a kernel already imported it.
"""
import math
import numbers
import re

from .runtime import in_notebook

__all__ = ['MIME', 'RecordError', 'record', 'recorded', 'records_of', 'references',
           'fill', 'compare_words', 'about_times']

MIME = 'application/vnd.week5.record+json'
NAME_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
# {glue:text}`name`, {glue:text}`name:.3f`, {glue:text}`name.key:+.1%`; also {glue}`name`
REFERENCE_RE = re.compile(
    r'\{glue(?::text)?\}`(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\.(?P<key>[A-Za-z_][A-Za-z0-9_]*))?'
    r'(?::(?P<spec>[^`]*))?`')
_SESSION = {}          # what this process recorded, by name (``recorded``)


class RecordError(ValueError):
    """A record or a reference that cannot be used; ``name`` is the record's name,
    ``where`` the cell (or file) that refers to it."""

    def __init__(self, message, name=None, where=None):
        super().__init__(message)
        self.name, self.where = name, where


def _plain(value, name):
    """``value`` as JSON (a number, a string, a bool, or a dict of those)."""
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, 'verdict') and hasattr(value, 'evidence'):      # a claims.Claim
        return {'verdict': value.verdict, 'evidence': value.evidence}
    if isinstance(value, dict):
        bad = [k for k in value if not (isinstance(k, str) and NAME_RE.fullmatch(k))]
        if bad:
            raise RecordError(f'record {name!r}: dict keys must be identifiers (they are '
                              f'referred to as {name}.key), got {bad}', name)
        return {k: _plain(v, f'{name}.{k}') for k, v in value.items()}
    if hasattr(value, 'item') and getattr(value, 'size', None) == 1:  # numpy/MXNet scalar
        return _plain(value.item(), name)
    raise RecordError(f'record {name!r}: a value must be a number, a string, a claim or a '
                      f'dict of those, got {type(value).__name__}: convert it (e.g. float(x))',
                      name)


def record(name, value):
    """Record ``value`` under ``name`` for the chapter's text and return ``value``.

    In a Jupyter kernel it displays one ``application/vnd.week5.record+json`` output (no
    text); elsewhere it only remembers the value (``recorded``). Record again under the
    same name to replace it: the last record in the notebook wins."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise RecordError(f'record name {name!r} must be an identifier such as '
                          'relu_max_val (letters, digits and _)', name)
    stored = _plain(value, name)
    _SESSION[name] = stored
    if in_notebook():       # IPython is loaded already: the kernel runs on it
        from IPython.display import display
        display({MIME: {'name': name, 'value': stored}}, raw=True)
    return value


def recorded(name=None):
    """What this process recorded: the value of ``name``, or all records as a dict."""
    if name is None:
        return dict(_SESSION)
    if name not in _SESSION:
        raise RecordError(f'nothing recorded as {name!r} yet; recorded: '
                          f'{sorted(_SESSION) or "nothing"}', name)
    return _SESSION[name]


def records_of(notebook):
    """{name: value} of the records in an executed notebook (an nbformat dict or node),
    in cell order: a name recorded twice keeps its last value."""
    found = {}
    for cell in notebook['cells']:
        for output in cell.get('outputs', []) if cell['cell_type'] == 'code' else []:
            data = output.get('data', {}).get(MIME)
            if isinstance(data, dict) and 'name' in data:
                found[data['name']] = data.get('value')
    return found


def references(text):
    """The record names ``text`` refers to, in order (``name`` or ``name.key``)."""
    return [m['name'] + (f".{m['key']}" if m['key'] else '') for m in REFERENCE_RE.finditer(text)]


def _format(value, spec, ref, where):
    if value is None or isinstance(value, (dict, list)):
        raise RecordError(f'{where}: {{glue:text}}`{ref}` is {type(value).__name__}, not a '
                          'number or words: refer to one of its keys (name.key)', ref, where)
    if not spec:
        if isinstance(value, bool) or isinstance(value, str):
            return str(value)
        if isinstance(value, int):
            return f'{value:,}'
        return f'{value:.3g}'
    try:
        return format(value, spec)
    except (ValueError, TypeError) as e:
        raise RecordError(f'{where}: {{glue:text}}`{ref}:{spec}`: format {spec!r} does not '
                          f'suit {value!r} ({e})', ref, where) from None


def fill(text, records, where='markdown', missing=None):
    """``text`` with every ``{glue:text}`name[:spec]``` replaced by its record, formatted
    with ``spec`` (Python's format mini-language; without one: integers with thousands
    separators, other numbers to 3 significant figures, words as they are).

    A reference without a record raises RecordError naming ``where`` and the name, unless
    ``missing`` is a string to put in its place (the student edition's "(run the cells
    above)")."""
    def replace(m):
        ref = m['name'] + (f".{m['key']}" if m['key'] else '')
        if missing is not None:
            return missing
        if m['name'] not in records:
            raise RecordError(f'{where}: {{glue:text}}`{ref}` has no record: run the cell that '
                              f'calls record({m["name"]!r}, ...) (recorded: '
                              f'{", ".join(sorted(records)) or "nothing"})', m['name'], where)
        value = records[m['name']]
        if m['key']:
            if not isinstance(value, dict) or m['key'] not in value:
                keys = sorted(value) if isinstance(value, dict) else 'none (not a dict)'
                raise RecordError(f'{where}: {{glue:text}}`{ref}`: record {m["name"]!r} has '
                                  f'no key {m["key"]!r} (keys: {keys})', ref, where)
            value = value[m['key']]
        return _format(value, m['spec'], ref, where)
    return REFERENCE_RE.sub(replace, text)


# --- words chosen from the numbers ---------------------------------------------------

def compare_words(a, b, spread=None, ahead='ahead of', behind='behind', level='level with'):
    """How ``a`` stands against ``b``: ``ahead`` / ``behind``, or ``level`` when the
    difference is within ``spread`` (e.g. the larger standard deviation between seeds),
    since such a difference is noise. Pass the words the sentence needs::

        compare_words(max_acc, avg_acc, spread, 'ahead of', 'behind', 'within the seed spread of')
    """
    if spread is not None and abs(a - b) <= spread:
        return level
    return ahead if a > b else behind


def _significant(x, digits):
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def about_times(ratio, digits=2):
    """'about 22 times' for 22.3, 'about 270 times' for 266, 'about 1.5 times' for 1.46:
    a ratio said with ``digits`` significant figures, never a rounder word than the run
    gives."""
    if not isinstance(ratio, numbers.Real) or not math.isfinite(ratio) or ratio <= 0:
        raise RecordError(f'about_times: ratio must be a positive finite number, got {ratio!r}')
    return f'about {_significant(float(ratio), digits):g} times'


# --- typed numbers that should have been references --------------------------------

_NUMBER_WORDS = ('two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|fifty|'
                 'a hundred|hundred|a thousand|thousand')
# What a run measures, typed: a decimal (accuracy, loss), a percentage or points of a
# difference, a ratio ("22x", "3 times", "ten times"), a speed, a time.
MEASURED_RE = re.compile(
    r'(?<![\w.])\d[\d,]*\.\d+(?!\w|\.\d)(?:\s*%|\s*(?:percentage )?points?)?'  # 0.871, 15.3%
    r'|(?<![\w.])\d+\s*%|(?<![\w.])\d+\s+(?:percentage )?points?\b'            # 3 %, 3 points
    r'|(?<![\w.])\d+(?:\.\d+)?\s?[x×](?!\s?\d)(?!\w)'                        # 22x (not 3x3)
    r'|\b(?:\d+|' + _NUMBER_WORDS + r')\s+times\b'                            # 3 times, ten times
    r'|\bfactor of (?:about |roughly |around )?(?:\d+|' + _NUMBER_WORDS + r')\b'  # a factor of ten
    r'|\b(?:\d+|' + _NUMBER_WORDS + r')-?fold\b'                              # tenfold
    r'|(?<![\w.])\d[\d,]*\s*(?:ex/s|examples?/s|images?/s|img/s|samples?/s|it/s|[GMT]FLOP/s)'
    r'|(?<![\w.])\d+(?:\s*(?:ms|secs?|seconds?|mins?|minutes?|hours?)|\s+[sh])\b(?!-)',  # 40 s
    re.IGNORECASE)
_CODE_RE = re.compile(r'```.*?```|`[^`\n]*`', re.DOTALL)


def typed_numbers(markdown, facts=()):
    """The measured-looking numbers typed in ``markdown`` (a Markdown cell or speaker
    note of a chapter source): what a run measures (a decimal accuracy or loss, a
    percentage or points, a ratio such as "22x" or "ten times", a speed, a time) written
    as text instead of a ``{glue:text}`` reference. References, code spans and the
    declared constants ``facts`` (the exact strings as typed, e.g. '15.3%') are not
    counted; see week5/chapters/facts.py."""
    text = REFERENCE_RE.sub(' ', markdown)
    for fact in sorted(facts, key=len, reverse=True):
        text = text.replace(fact, ' ')
    text = _CODE_RE.sub(' ', text)
    return [m.group(0).strip() for m in MEASURED_RE.finditer(text)]
