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


def _micros(td: timedelta) -> int:
    return (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds


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
        return _micros(value)
    if hint in (str, int, bool):
        return value
    raise TypeError(f"{path}: cannot convert {_name(hint)}")  # pragma: no cover


def _json(value: Any, path: str) -> Any:
    """``value`` checked to be JSON (``dict`` with ``str`` keys, ``list``,
    ``str``, ``int``, finite ``float``, ``bool``, ``None``), as JSON."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError(f"{path}: expected a finite number")
        return value
    if isinstance(value, (list, tuple)):
        return [_json(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{path}: expected str keys, got {type(k).__name__}")
            out[k] = _json(v, f"{path}[{k!r}]")
        return out
    raise TypeError(f"{path}: expected a JSON value, got {type(value).__name__}")


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
        return timedelta(microseconds=raw)
    if hint is float:
        return float(raw)
    return raw


def decode_json(hint: Type[T], text: str) -> T:
    """Decodes a native JSON result as ``hint``."""
    return typing.cast(T, decode(hint, json.loads(text)))


def require(value: Any, hint: Any, path: str) -> Any:
    """``value`` checked against ``hint`` (``TypeError`` otherwise)."""
    if not _accepts(value, hint):
        raise _mismatch(path, hint, value)
    return value


def to_json(args: Dict[str, Any]) -> str:
    """The JSON text of encoded arguments (ids, dates already strings)."""
    return json.dumps(args, allow_nan=False)


F = TypeVar("F", bound=Callable[..., Any])


def bridge(fn: F) -> F:
    """Makes ``fn`` (a ``Clinic`` method whose body is ``...``) call the
    native method of the same name: encode the arguments by their
    annotations, call core with the GIL released, decode the result by the
    return annotation. Nothing else happens in a binding method."""
    signature = inspect.signature(fn)
    name = fn.__name__

    @functools.wraps(fn)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        hints = _hints(fn)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        payload: Dict[str, Any] = {}
        for arg, value in list(bound.arguments.items())[1:]:
            encoded = encode(value, hints[arg], arg)
            if encoded is not None:
                payload[wire_name(arg)] = encoded
        raw = getattr(self._native, name)(to_json(payload))
        return decode(hints["return"], json.loads(raw))

    return typing.cast(F, call)


def encode_args(items: List[Tuple[str, Any, Any]]) -> str:
    """JSON of ``(name, value, hint)`` arguments (None values left out)."""
    payload = {}
    for arg, value, hint in items:
        encoded = encode(value, hint, arg)
        if encoded is not None:
            payload[arg] = encoded
    return to_json(payload)
