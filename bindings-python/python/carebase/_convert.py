"""Conversion between the Python types and core's JSON wire form, driven by
the generated annotations: one (encode, decode) pair per annotation, built
on first use, so a call does no reflection. A value of the wrong Python type
(``None`` where one is due, a naive ``datetime``) raises ``TypeError``
naming its path, never the value; every rule about values is core's. A
Python keyword as a name carries a trailing ``_`` (``from_``) the wire drops.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import functools
import inspect
import json
import typing
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Dict, List, Sequence, Tuple, Type, TypeVar
from uuid import UUID

from . import _native

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
Encode = Callable[[Any, str], Any]
Decode = Callable[[Any], Any]
_NONE: Any = type(None)
_MINUTE = timedelta(minutes=1)


def _expected(what: Any, value: Any, path: str) -> TypeError:
    if value is None:
        return TypeError(f"{path}: must not be None")
    name = what if isinstance(what, str) else getattr(what, "__name__", None) or str(what)
    return TypeError(f"{path}: expected {name.replace('typing.', '')}, got {type(value).__name__}")


def _same(value: Any) -> Any:
    return value


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text).astimezone(timezone.utc)


def _minutes(td: timedelta) -> Any:
    """Whole minutes, every duration's unit; a fraction goes as one, for core to refuse."""
    return td // _MINUTE if td % _MINUTE == timedelta(0) else td / _MINUTE


def _plain(accepts: Callable[[Any], bool], what: str, to_wire: Decode = _same, from_wire: Decode = _same) -> Tuple[Encode, Decode]:
    def encode(value: Any, path: str) -> Any:
        if not accepts(value):
            raise _expected(what, value, path)
        return to_wire(value)

    return encode, from_wire


_CODECS: Dict[Any, Tuple[Encode, Decode]] = {  # plain values, then each annotation met
    str: _plain(lambda v: isinstance(v, str), "str"),
    bool: _plain(lambda v: isinstance(v, bool), "bool"),
    int: _plain(lambda v: isinstance(v, int) and not isinstance(v, bool), "int"),
    float: _plain(lambda v: isinstance(v, float), "float", _same, float),
    UUID: _plain(lambda v: isinstance(v, (UUID, str)), "UUID", str, UUID),
    date: _plain(lambda v: isinstance(v, date) and not isinstance(v, datetime), "date", date.isoformat, date.fromisoformat),
    datetime: _plain(lambda v: isinstance(v, datetime) and v.utcoffset() is not None, "a timezone-aware datetime",
                     lambda v: v.astimezone(timezone.utc).isoformat(), _instant),
    time: _plain(lambda v: isinstance(v, time) and v.tzinfo is None, "a local (naive) time", time.isoformat, time.fromisoformat),
    timedelta: _plain(lambda v: isinstance(v, timedelta), "timedelta", _minutes, lambda m: timedelta(minutes=m)),
    # exact decimals cross as text ("72.50"); a float is refused: it is not exact
    Decimal: _plain(lambda v: isinstance(v, Decimal) and v.is_finite(), "a finite Decimal", lambda v: format(v, "f"), Decimal),
    _NONE: ((lambda value, path: value), _same),  # a result of nothing
    # raw bytes (a document's content) never enter the JSON: ``bridge`` hands
    # them to core beside the text, and puts a result's bytes in its field
    bytes: _plain(lambda v: isinstance(v, (bytes, bytearray, memoryview)), "bytes", bytes, _same),
}


def codec(hint: Any) -> Tuple[Encode, Decode]:
    """The (encode, decode) pair of an annotation, built once."""
    if hint not in _CODECS:
        _CODECS[hint] = _build(hint)
    return _CODECS[hint]


def _build(hint: Any) -> Tuple[Encode, Decode]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        members = [codec(m) for m in args if m is not _NONE]

        def either(value: Any, path: str) -> Any:
            if value is None and _NONE in args:
                return None
            for write, _ in members[:-1]:  # an id: a UUID or its text
                try:
                    return write(value, path)
                except TypeError:
                    pass
            return members[-1][0](value, path)

        return either, members[0][1]
    if hint is Any or (origin is dict and args[1] is Any):
        return _document, _same  # opaque JSON (FHIR resources, event payloads)
    if origin is dict:
        write, read = codec(args[1])

        def mapping(value: Any, path: str) -> Any:
            if not isinstance(value, dict):
                raise _expected(hint, value, path)
            for k in value:
                if not isinstance(k, str):
                    raise TypeError(f"{path}: expected str keys, got {type(k).__name__}")
            return {k: write(v, f"{path}[{k!r}]") for k, v in value.items()}

        return mapping, lambda raw: {k: read(v) for k, v in raw.items()}
    if origin in (tuple, collections.abc.Sequence) or (isinstance(origin, type) and issubclass(origin, list)):
        write, read = codec(Any if origin is tuple else args[0])  # a tuple holds plain values
        make = list if origin is collections.abc.Sequence else origin

        def items(value: Any, path: str) -> Any:
            if not isinstance(value, (list, tuple)):
                raise _expected(hint, value, path)
            return [write(v, f"{path}[{i}]") for i, v in enumerate(value)]

        return items, lambda raw: make([read(r) for r in raw])
    if dataclasses.is_dataclass(hint):
        return _record(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _plain(lambda v: isinstance(v, (hint, str)), hint.__name__, lambda v: getattr(v, "value", v), hint)
    raise TypeError(f"cannot convert {hint}")


def _wrapped(cls: Any, tag: str) -> Tuple[Encode, Decode]:
    """A union of records tagged by ``tag`` (``EntryBody``): the record in the
    field the tag names goes on the wire flattened beside the tag."""

    def encode(value: Any, path: str) -> Any:
        if not isinstance(value, cls):
            raise _expected(cls, value, path)
        hints = typing.get_type_hints(cls)
        code = codec(hints[tag])[0](getattr(value, tag), f"{path}.{tag}")
        member = getattr(value, code, None)
        if member is None:
            raise TypeError(f"{path}.{code}: must not be None")
        return {tag: code, **codec(hints[code])[0](member, f"{path}.{code}")}

    def decode(raw: Any) -> Any:
        hints = typing.get_type_hints(cls)
        code = raw[tag]
        rest = {k: v for k, v in raw.items() if k != tag}
        return cls(**{tag: codec(hints[tag])[1](code), code: codec(hints[code])[1](rest)})

    return encode, decode


def _record(cls: Any) -> Tuple[Encode, Decode]:
    tag = getattr(cls, "_wraps_by", None)
    if tag is not None:
        return _wrapped(cls, tag)
    fields: List[Tuple[str, str, Encode, Decode]] = []  # on first use: a record may hold itself

    def plan() -> List[Tuple[str, str, Encode, Decode]]:
        if not fields:
            hints = typing.get_type_hints(cls)
            fields[:] = [(f.name, f.name.rstrip("_"), *codec(hints[f.name])) for f in dataclasses.fields(cls)]
        return fields

    def encode(value: Any, path: str) -> Any:
        if not isinstance(value, cls):
            raise _expected(cls, value, path)
        return {w: v for n, w, write, _ in plan() if (v := write(getattr(value, n), f"{path}.{n}")) is not None}

    def decode(raw: Any) -> Any:
        return cls(**{n: None if raw[w] is None else read(raw[w]) for n, w, _, read in plan() if w in raw})

    return encode, decode


def _document(value: Any, path: str) -> Any:
    """``value`` checked to be JSON (``dict`` with ``str`` keys, ``list``,
    ``str``, ``int``, finite ``float``, ``bool``, ``None``), copied. An
    explicit stack, not recursion: a host document may nest deeper than
    Python's recursion limit, and how deep it may be is core's rule."""
    root: List[Any] = [None]
    # Frames: (the copy being filled, its source's items, its path, its id).
    stack: List[Tuple[Any, Any, str, int]] = [(root, iter([(0, value)]), "", 0)]
    open_ids = set()
    while stack:
        target, entries, at, ident = stack[-1]
        step = next(entries, None)
        if step is None:
            stack.pop()
            open_ids.discard(ident)
            continue
        key, v = step
        if isinstance(target, dict) and not isinstance(key, str):
            raise TypeError(f"{at}: expected str keys, got {type(key).__name__}")
        if v is None or isinstance(v, (str, int)) or (isinstance(v, float) and abs(v) != float("inf") and v == v):
            target[key] = v
            continue
        where = path if target is root else f"{at}[{key!r}]" if isinstance(key, str) else f"{at}[{key}]"
        if isinstance(v, (list, tuple)):
            child: Any = [None] * len(v)
            children: Any = enumerate(v)
        elif isinstance(v, dict):
            child, children = {}, iter(v.items())
        else:
            raise TypeError(f"{where}: expected {'a finite number' if isinstance(v, float) else 'a JSON value'}")
        if id(v) in open_ids:
            raise TypeError(f"{where}: a JSON value cannot contain itself")
        target[key] = child
        open_ids.add(id(v))
        stack.append((child, children, where, id(v)))
    return root[0]


def _dumps_deep(value: Any) -> str:
    """The compact JSON text of an encoded value of any depth, without
    recursion (``json.dumps`` recurses once per level). The stack holds
    values and, as ``(text,)``, punctuation written as is."""
    parts: List[str] = []
    stack: List[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            parts.append(item[0])
        elif isinstance(item, (dict, list)):
            pairs = [(json.dumps(k) + ":", v) for k, v in item.items()] if isinstance(item, dict) else [("", v) for v in item]
            parts.append("{" if isinstance(item, dict) else "[")
            stack.append(("}" if isinstance(item, dict) else "]",))
            for i in reversed(range(len(pairs))):
                stack.extend([pairs[i][1], ("," * (i > 0) + pairs[i][0],)])
        else:
            parts.append(json.dumps(item, allow_nan=False))
    return "".join(parts)


def to_json(args: Dict[str, Any]) -> str:
    """The JSON text of encoded arguments; a document nested past Python's
    recursion limit is written without recursion, so core sees it and answers."""
    try:
        return json.dumps(args, allow_nan=False)
    except RecursionError:
        return _dumps_deep(args)


def encode(value: Any, hint: Any, path: str) -> Any:
    """``value`` (declared as ``hint``) in its JSON wire form."""
    return codec(hint)[0](value, path)


def decode_json(hint: Type[T], text: str) -> T:
    """Decodes a native JSON result as ``hint``."""
    return typing.cast(T, codec(typing.cast(Any, hint))[1](json.loads(text)))


def bridge(fn: F) -> F:
    """Makes ``fn`` (a generated ``Clinic`` method or host function whose
    body only raises) call core's entry point of the same name: arguments
    encoded by their annotations (``None`` left out), core called with the
    GIL released, the result decoded by the return annotation."""
    signature = inspect.signature(fn)
    names = list(signature.parameters)
    method = names[:1] == ["self"]
    # each argument's (name, wire name, encoder), the result's decoder, the
    # argument carried beside the JSON (annotated ``bytes``) and the result's
    # field that receives the bytes carried back
    plan: List[Any] = []

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        if not plan:
            hints = typing.get_type_hints(fn)
            result = hints["return"]
            fields = typing.get_type_hints(result) if dataclasses.is_dataclass(result) else {}
            plan[:] = [
                [(n, n.rstrip("_"), codec(hints[n])[0]) for n in names[method:] if hints[n] is not bytes],
                codec(result)[1],
                next((n for n in names[method:] if hints[n] is bytes), None),
                next((f for f, hint in fields.items() if hint is bytes), None),
            ]
        if kwargs or len(args) != len(names):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments.values())
        values = dict(zip(names, args))
        text = to_json({w: v for n, w, write in plan[0] if (v := write(values[n], n)) is not None})
        if plan[2] is None and plan[3] is None:
            raw = json.loads(args[0]._native.call(fn.__name__, text) if method else _native.call_function(fn.__name__, text))
        else:
            data = None if plan[2] is None else codec(bytes)[0](values[plan[2]], plan[2])
            answer, carried = args[0]._native.call_bytes(fn.__name__, text, data)
            raw = json.loads(answer)
            if plan[3] is not None and isinstance(raw, dict):
                raw[plan[3]] = carried
        return None if raw is None else plan[1](raw)

    return typing.cast(F, call)
