"""Conversion between the Python types and the native module's JSON wire
format (the serde form of the Rust types), driven by type annotations.

Python-level type mismatches (an ``int`` where a ``str`` is due, a ``str``
where a ``date`` is due, ``None`` for a required value, a naive
``datetime``) raise ``TypeError`` naming the argument path, never the value.
Everything about the *value* (ranges, formats, unknown codes, bad ids) is
checked by core and raised as ``ValidationError``. No clinic rule lives here.

A name that would be a Python keyword carries a trailing underscore
(``from_``); its wire name drops it (``from``).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import json
import typing
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Dict, List, Tuple, Type, TypeVar, Union
from uuid import UUID

from . import _native

T = TypeVar("T")

_NONE: type = type(None)

_HINTS: Dict[Any, Dict[str, Any]] = {}


def _hints(obj: Any) -> Dict[str, Any]:
    """The resolved annotations of a class or function (cached)."""
    hints = _HINTS.get(obj)
    if hints is None:
        hints = _HINTS[obj] = typing.get_type_hints(obj)
    return hints


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def _mismatch(path: str, hint: Any, value: Any) -> TypeError:
    return TypeError(f"{path}: expected {_name(hint)}, got {type(value).__name__}")


def wire_name(name: str) -> str:
    """The JSON name of a field or argument: ``from_`` is ``from``."""
    return name[:-1] if name.endswith("_") else name


def micros(td: timedelta) -> int:
    """Whole microseconds (the manual clock's step)."""
    return (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds


_MINUTE = timedelta(minutes=1)


def _minutes(td: timedelta) -> Any:
    """Whole minutes, the unit of every duration that crosses to core; a
    fraction goes as a fraction, for core to refuse (``invalid_value``)."""
    return td // _MINUTE if td % _MINUTE == timedelta(0) else td / _MINUTE


def _accepts(value: Any, hint: Any) -> bool:
    """Whether ``value`` is meant as ``hint`` (to pick a Union member)."""
    origin = typing.get_origin(hint)
    if origin in (list, List):
        return isinstance(value, (list, tuple))
    if origin in (dict, Dict):
        return isinstance(value, dict)
    if hint is Any:
        return True
    if hint is UUID:
        return isinstance(value, (UUID, str))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return isinstance(value, (hint, str))
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return False


def encode(value: Any, hint: Any, path: str) -> Any:
    """``value`` (declared as ``hint``) in its JSON wire form."""
    origin = typing.get_origin(hint)
    if origin is Union:
        members = typing.get_args(hint)
        if value is None:
            if _NONE in members:
                return None
            raise TypeError(f"{path}: must not be None")
        for member in members:
            if member is not _NONE and _accepts(value, member):
                return encode(value, member, path)
        raise _mismatch(path, hint, value)
    if hint is Any:
        return _json(value, path)
    if value is None:
        raise TypeError(f"{path}: must not be None")
    if origin in (list, List):
        if not isinstance(value, (list, tuple)):
            raise _mismatch(path, hint, value)
        (item,) = typing.get_args(hint)
        return [encode(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin in (dict, Dict):
        if not isinstance(value, dict):
            raise _mismatch(path, hint, value)
        (key, item) = typing.get_args(hint)
        out: Dict[str, Any] = {}
        for k, v in value.items():
            if not _accepts(k, key):
                raise TypeError(f"{path}: expected {_name(key)} keys, got {type(k).__name__}")
            out[k] = encode(v, item, f"{path}[{k!r}]")
        return out
    if dataclasses.is_dataclass(hint):
        cls: Any = hint
        if not isinstance(value, cls):
            raise _mismatch(path, hint, value)
        hints = _hints(cls)
        out = {}
        for f in dataclasses.fields(cls):
            encoded = encode(getattr(value, f.name), hints[f.name], f"{path}.{f.name}")
            if encoded is not None:
                out[wire_name(f.name)] = encoded
        return out
    if not _accepts(value, hint):
        if hint is date and isinstance(value, datetime):
            raise TypeError(f"{path}: expected date, got datetime")
        raise _mismatch(path, hint, value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return value.value if isinstance(value, enum.Enum) else value
    if hint is UUID:
        return str(value)
    if hint is datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError(f"{path}: expected a timezone-aware datetime")
        return value.astimezone(timezone.utc).isoformat()
    if hint is date:
        return value.isoformat()
    if hint is time:
        if value.tzinfo is not None:
            raise TypeError(f"{path}: expected a local (naive) time")
        return value.isoformat()
    if hint is timedelta:
        return _minutes(value)
    if hint in (str, int, bool):
        return value
    raise TypeError(f"{path}: cannot convert {_name(hint)}")  # pragma: no cover


def _child(path: str, key: Any, top: bool = False) -> str:
    """The argument path of a member (``key`` a ``str``) or item (an
    ``int``) of ``path``; ``path`` itself for the value at the ``top``."""
    if top:
        return path
    return f"{path}[{key!r}]" if isinstance(key, str) else f"{path}[{key}]"


def _json(value: Any, path: str) -> Any:
    """``value`` checked to be JSON (``dict`` with ``str`` keys, ``list``,
    ``str``, ``int``, finite ``float``, ``bool``, ``None``), as JSON.

    Walks with an explicit stack, not by recursion: a host document may nest
    deeper than Python's recursion limit, and how deep a document may be is
    core's rule (it answers ``ValidationError`` ``too_deep``), not this
    conversion's."""
    root: List[Any] = [None]
    # Frames: (the copy being filled, its source's items, its path, its id).
    stack: List[Tuple[Any, Any, str, int]] = [(root, iter([(0, value)]), path, 0)]
    open_ids = set()
    while stack:
        target, items, at, ident = stack[-1]
        step = next(items, None)
        if step is None:
            stack.pop()
            open_ids.discard(ident)
            continue
        key, v = step
        if isinstance(target, dict) and not isinstance(key, str):
            raise TypeError(f"{at}: expected str keys, got {type(key).__name__}")
        if v is None or isinstance(v, (str, bool, int)):
            target[key] = v
            continue
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                raise TypeError(f"{_child(at, key, target is root)}: expected a finite number")
            target[key] = v
            continue
        where = _child(at, key, target is root)
        if isinstance(v, (list, tuple)):
            child: Any = [None] * len(v)
            children: Any = enumerate(v)
        elif isinstance(v, dict):
            child = {}
            children = iter(v.items())
        else:
            raise TypeError(f"{where}: expected a JSON value, got {type(v).__name__}")
        if id(v) in open_ids:
            raise TypeError(f"{where}: a JSON value cannot contain itself")
        target[key] = child
        open_ids.add(id(v))
        stack.append((child, children, where, id(v)))
    return root[0]


class _Raw(str):
    """Text written as is by ``_dumps_deep`` (punctuation, never a value)."""


def _dumps_deep(value: Any) -> str:
    """The compact JSON text of an encoded value of any depth, without
    recursion (``json.dumps`` recurses once per level)."""
    parts: List[str] = []
    stack: List[Any] = [value]
    while stack:
        item = stack.pop()
        if type(item) is _Raw:
            parts.append(item)
        elif isinstance(item, dict):
            parts.append("{")
            stack.append(_Raw("}"))
            entries = list(item.items())
            for i in reversed(range(len(entries))):
                k, v = entries[i]
                stack.append(v)
                stack.append(_Raw(("," if i else "") + json.dumps(k) + ":"))
        elif isinstance(item, list):
            parts.append("[")
            stack.append(_Raw("]"))
            for i in reversed(range(len(item))):
                stack.append(item[i])
                if i:
                    stack.append(_Raw(","))
        else:
            parts.append(json.dumps(item, allow_nan=False))
    return "".join(parts)


def _datetime(text: str) -> datetime:
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def decode(hint: Any, raw: Any) -> Any:
    """The Python value of ``hint`` for its JSON wire form ``raw``."""
    origin = typing.get_origin(hint)
    if origin is Union:
        if raw is None:
            return None
        (member,) = [m for m in typing.get_args(hint) if m is not _NONE]
        return decode(member, raw)
    if hint is Any or hint is None or hint is _NONE or raw is None:
        return raw
    if origin in (list, List):
        (item,) = typing.get_args(hint)
        return [decode(item, r) for r in raw]
    if origin in (dict, Dict):
        return raw
    if origin is tuple:
        return tuple(decode(h, r) for h, r in zip(typing.get_args(hint), raw))
    if isinstance(origin, type) and issubclass(origin, list):
        (item,) = typing.get_args(hint)
        return origin(decode(item, r) for r in raw)
    if dataclasses.is_dataclass(hint):
        cls: Any = hint
        hints = _hints(cls)
        kwargs = {
            f.name: decode(hints[f.name], raw[wire_name(f.name)])
            for f in dataclasses.fields(cls)
            if wire_name(f.name) in raw
        }
        return cls(**kwargs)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(raw)
    if hint is UUID:
        return UUID(raw)
    if hint is datetime:
        return _datetime(raw)
    if hint is date:
        return date.fromisoformat(raw)
    if hint is time:
        return time.fromisoformat(raw)
    if hint is timedelta:
        return timedelta(minutes=raw)
    if hint is float:
        return float(raw)
    return raw


def decode_json(hint: Type[T], text: str) -> T:
    """Decodes a native JSON result as ``hint``."""
    return typing.cast(T, decode(hint, json.loads(text)))


def to_json(args: Dict[str, Any]) -> str:
    """The JSON text of encoded arguments (ids, dates already strings). A
    document nested past Python's recursion limit is written without
    recursion, so core sees it and answers."""
    try:
        return json.dumps(args, allow_nan=False)
    except RecursionError:
        return _dumps_deep(args)


F = TypeVar("F", bound=Callable[..., Any])


def _payload(fn: Any, arguments: Any) -> str:
    """The JSON arguments of a call: each encoded by its annotation, ``None``
    left out, keyword names back to wire names."""
    hints = _hints(fn)
    payload: Dict[str, Any] = {}
    for arg, value in arguments:
        encoded = encode(value, hints[arg], arg)
        if encoded is not None:
            payload[wire_name(arg)] = encoded
    return to_json(payload)


def bridge(fn: F) -> F:
    """Makes ``fn`` (a generated ``Clinic`` method or host function whose
    body only raises) call core's entry point of the same name: encode the
    arguments by their annotations, call core with the GIL released, decode
    the result by the return annotation. Nothing else happens in a binding."""
    signature = inspect.signature(fn)
    name = fn.__name__
    method = next(iter(signature.parameters), None) == "self"

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = list(bound.arguments.items())
        if method:
            raw = arguments[0][1]._native.call(name, _payload(fn, arguments[1:]))
        else:
            raw = _native.call_function(name, _payload(fn, arguments))
        return decode(_hints(fn)["return"], json.loads(raw))

    return typing.cast(F, call)


def encode_args(items: List[Tuple[str, Any, Any]]) -> str:
    """JSON of ``(name, value, hint)`` arguments (None values left out)."""
    payload = {}
    for arg, value, hint in items:
        encoded = encode(value, hint, arg)
        if encoded is not None:
            payload[arg] = encoded
    return to_json(payload)
