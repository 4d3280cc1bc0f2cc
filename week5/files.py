"""Files the course writes: one atomic writer and the JSON form of hyperparameters.

Everything week5 stores -- the decoded data set, saved runs and models, the grader's
reports and run records -- is written through ``atomic_write``: to a temporary file in
the destination's folder, then renamed into place, so a crash or a Ctrl-C never leaves a
half-written file where a reader would take it for a whole one.

No MXNet, matplotlib, IPython or ipywidgets here: the grader uses this module too.
"""
import dataclasses
import importlib
import json
import os
import tempfile
from pathlib import Path

import numpy as onp

__all__ = ['atomic_write', 'atomic_write_json', 'to_json', 'from_json', 'import_qualified']


def atomic_write(path, data):
    """Write ``data`` (bytes or str, str as UTF-8) to ``path`` atomically; returns the Path.

    The parent folder is created; the temporary file ``<name>.<random>.part`` sits beside
    the destination (a rename within one file system is atomic) and is removed if the
    write fails.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode('utf-8')
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + '.', suffix='.part')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path, value, **dump_kwargs):
    """``atomic_write`` of ``json.dumps(value, **dump_kwargs)``."""
    return atomic_write(path, json.dumps(value, **dump_kwargs))


def to_json(value, name):
    """A hyperparameter as JSON: dataclasses, tuples and dicts keep their type (tagged)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return {'__dataclass__': f'{cls.__module__}:{cls.__qualname__}',
                'fields': {f.name: to_json(getattr(value, f.name), f'{name}.{f.name}')
                           for f in dataclasses.fields(value)}}
    if isinstance(value, (list, tuple)):
        return {'__tuple__': [to_json(v, name) for v in value]} if isinstance(
            value, tuple) else [to_json(v, name) for v in value]
    if isinstance(value, dict):
        return {'__dict__': {str(k): to_json(v, name) for k, v in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, onp.generic):
        return value.item()
    raise TypeError(f'hyperparameter {name!r} = {value!r} ({type(value).__name__}) cannot be '
                    'saved as JSON: use numbers, strings, lists/tuples, dicts or a dataclass, '
                    'or pass it in save_hyperparameters(ignore=[...])')


def from_json(value):
    """The inverse of ``to_json``."""
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if '__tuple__' in value:
            return tuple(from_json(v) for v in value['__tuple__'])
        if '__dict__' in value:
            return {k: from_json(v) for k, v in value['__dict__'].items()}
        if '__dataclass__' in value:
            cls = import_qualified(value['__dataclass__'])
            if not dataclasses.is_dataclass(cls):
                raise TypeError(f'{value["__dataclass__"]} is not a dataclass')
            return cls(**{k: from_json(v) for k, v in value['fields'].items()})
    return value


def import_qualified(name):
    """``'package.module:Class.attr'`` -> the object."""
    module, _, qualname = name.partition(':')
    obj = importlib.import_module(module)
    for part in qualname.split('.'):
        obj = getattr(obj, part)
    return obj
