"""The table of cases every host answers alike (``tests/agreement/cases.json``),
handed to the Python API as a Python user writes it: keyword arguments,
dataclasses, enums, ``date``/``datetime`` values, ids as text. Outcomes are
compared in core's form (the result encoded back, the error's code, fields
and details)."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import typing
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional
from uuid import UUID

import pytest

import carebase as cb
from carebase._convert import encode

TABLE: Dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "tests" / "agreement" / "cases.json").read_text()
)


def at(value: Any, path: str) -> Any:
    for part in path.split(".") if path else []:
        if part == "#" and isinstance(value, list):
            value = len(value)
        elif isinstance(value, list):
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            value = None
    return value


def resolve(value: Any, saved: Dict[str, Any]) -> Any:
    if isinstance(value, dict) and "$ref" in value:
        name, _, rest = value["$ref"].partition(".")
        return at(saved[name], rest)
    if isinstance(value, dict) and "$repeat" in value:
        text, n = value["$repeat"]
        return text * n
    if isinstance(value, dict):
        return {k: resolve(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, saved) for v in value]
    return value


def build(hint: Any, raw: Any) -> Any:
    """The value a Python user hands in for core's JSON ``raw``; text the
    host takes as is (ids, codes) stays text, so core judges it."""
    origin = typing.get_origin(hint)
    if raw is None:
        return None
    if origin is typing.Union:
        members = [m for m in typing.get_args(hint) if m is not type(None)]
        if str in members:
            return raw
        return build(members[0], raw)
    if origin in (list, List):
        return [build(typing.get_args(hint)[0], r) for r in raw]
    if dataclasses.is_dataclass(hint) and isinstance(hint, type) and isinstance(raw, dict):
        hints = typing.get_type_hints(hint)
        return hint(**{
            f.name: build(hints[f.name], raw[f.name.rstrip("_")])
            for f in dataclasses.fields(hint) if f.name.rstrip("_") in raw
        })
    parse: Dict[Any, Any] = {
        date: date.fromisoformat,
        datetime: lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")),
        time: time.fromisoformat,
        timedelta: lambda m: timedelta(minutes=m),
    }
    try:
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return hint(raw)
        if hint is UUID:
            return UUID(raw)
        return parse[hint](raw) if hint in parse else raw
    except (ValueError, TypeError):
        return raw


def core_form(value: Any) -> Any:
    """Instants as core writes them (``Z``), everything else as JSON."""
    if isinstance(value, str) and value.endswith("+00:00"):
        return value[: -len("+00:00")] + "Z"
    if isinstance(value, dict):
        return {k: core_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [core_form(v) for v in value]
    return value


def run(clinic: cb.Clinic, step: Dict[str, Any], saved: Dict[str, Any]) -> Any:
    if "open" in step:
        settings = step["open"].get("settings")
        cb.open("memory:", settings=build(cb.Settings, settings))
        return None
    args = resolve(step["args"], saved)
    method = getattr(clinic, step["op"])
    hints = typing.get_type_hints(method)
    kwargs = {"actor": build(cb.Actor, TABLE["actors"][step["actor"]])}
    for name in list(inspect.signature(method).parameters)[1:]:
        if name.rstrip("_") in args:
            kwargs[name] = build(hints[name], args[name.rstrip("_")])
    return core_form(encode(method(**kwargs), hints["return"], "result"))


def outcome(case: Dict[str, Any]) -> Optional[str]:
    """What went wrong with one case, if anything."""
    clinic = cb.open("memory:")
    saved: Dict[str, Any] = {}
    for step in case.get("given", []):
        saved[step["save"]] = run(clinic, step, saved)
    then = case["then"]
    try:
        result = run(clinic, case["when"], saved)
    except cb.CarebaseError as e:
        if then.get("error") != e.code:
            return f"expected {then}, got {e.code}: {e}"
        if "fields" in then:
            got = [[f.field, f.code] for f in getattr(e, "fields", [])]
            if got != then["fields"]:
                return f"fields: expected {then['fields']}, got {got}"
        for name, want in then.get("details", {}).items():
            got_detail = getattr(e, name)
            got_detail = str(got_detail) if isinstance(got_detail, UUID) else got_detail
            if got_detail != resolve(want, saved):
                return f"{name}: expected {resolve(want, saved)}, got {got_detail}"
        return None
    if "result" not in then:
        return f"expected {then}, got a result"
    for path, want in then["result"].items():
        if at(result, path) != resolve(want, saved):
            return f"{path}: expected {resolve(want, saved)}, got {at(result, path)}"
    return None


CASES = [c for c in TABLE["cases"] if "python" not in c.get("unrepresentable", {})]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_python_answers_each_case_of_the_agreement_table_as_core_does(case: Dict[str, Any]) -> None:
    assert outcome(case) is None
