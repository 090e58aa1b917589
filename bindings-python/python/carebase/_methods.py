"""What Python's record types do beyond their generated fields: a class
``XMethods`` here is the base of the generated dataclass ``X`` (tools/codegen
reads this file for them); annotations under ``TYPE_CHECKING`` are for mypy.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Generic, Iterator, List, Optional, Sequence, TypeVar, Union
from uuid import UUID

from . import _convert, _native
from ._enums import Role

if TYPE_CHECKING:
    import pandas

    from ._types import Actor, AuditCheckpoint, ClinicalEntry, Patient, PatientDetails, Policy, Slot

__all__ = ["IdLike", "Records", "DEFAULT_POLICY_TOML"]

#: An id argument: a ``uuid.UUID`` or its canonical text (checked by core).
IdLike = Union[UUID, str]

#: The default access policy document (TOML), as shipped with core.
DEFAULT_POLICY_TOML: str = _native.DEFAULT_POLICY_TOML

T = TypeVar("T")


def _shown(record: Any, names: Sequence[str]) -> str:
    """``Type(a=…, b=…)`` with only ``names`` (core's ``x-shown``): the other
    fields can hold patient data. Ids and instants print as text."""

    def text(v: Any) -> str:
        if isinstance(v, (date, UUID)):
            return v.isoformat() if isinstance(v, date) else str(v)
        return repr(v.value if isinstance(v, enum.Enum) else v)

    shown = ", ".join(f"{n}={text(getattr(record, n))}" for n in names)
    return f"{type(record).__name__}({shown or '<redacted>'})"


def _plain(value: Any) -> Any:
    """Plain Python values for tables: records become dicts, enums codes."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.value if isinstance(value, enum.Enum) else value


def _flat(row: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """One table row: a nested record's fields become ``name.family``
    columns, a list of records ``names.0.family`` (one column set per
    position); lists of codes or text stay lists; ids become text."""
    out: Dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                out.update(_flat(item, f"{name}.{i}."))
        else:
            out[name] = str(value) if isinstance(value, UUID) else value
    return out


def _to_pandas(rows: List[Dict[str, Any]]) -> pandas.DataFrame:
    try:
        pd: Any = importlib.import_module("pandas")
    except ImportError as e:
        needs = "to_pandas() needs pandas, which is not installed: pip install pandas (or carebase[pandas])"
        raise ImportError(needs) from e
    frame: pandas.DataFrame = pd.DataFrame([_flat(r) for r in rows])
    for column in frame.columns:
        values = [v for v in frame[column] if v is not None and v == v]
        if values and all(isinstance(v, date) for v in values):
            utc = all(isinstance(v, datetime) for v in values)
            frame[column] = pd.to_datetime(frame[column], utc=True) if utc else pd.to_datetime(frame[column])
    return frame


class _Table:
    """Tables of a list of records (for notebooks)."""

    def to_dicts(self) -> List[Dict[str, Any]]:
        """One dict per record; enums become their string codes."""
        return [_plain(r) for r in self]  # type: ignore[attr-defined]

    def to_pandas(self) -> pandas.DataFrame:
        """A ``pandas.DataFrame``, one row per record, flat columns
        (``name.family``, ``names.0.family``), dates and instants as
        ``datetime64`` (needs pandas)."""
        return _to_pandas(self.to_dicts())


class Records(List[T], _Table):
    """A list of results that also converts to a table (for notebooks)."""


class PatientMethods:
    if TYPE_CHECKING:  # the generated fields, for mypy only
        details: PatientDetails

    def to_dict(self) -> Dict[str, Any]:
        """A dict for tables: record fields, then demographics."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        row = {f.name: _plain(getattr(self, f.name)) for f in fields if f.name != "details"}
        return {**row, **_plain(self.details)}


class _Page(Generic[T]):
    """A page iterates its records, the field ``_records`` names."""

    _records: ClassVar[str]

    def __iter__(self) -> Iterator[T]:
        return iter(getattr(self, self._records))

    def __len__(self) -> int:
        return len(getattr(self, self._records))


class PatientPageMethods(_Page["Patient"], _Table):
    _records = "items"


class SlotPageMethods(_Page["Slot"]):
    _records = "slots"


#: The columns of a page of entries in long format.
ENTRY_COLUMNS = ["patient", "entry", "kind", "code", "value", "unit", "time", "flag"]


def _long_rows(entry: ClinicalEntry) -> List[Dict[str, Any]]:
    """One row per value of an entry: an observation's own and each of its
    components' (blood pressure: systolic and diastolic); an entry without
    a value gives one row with its code."""
    kind = entry.body.kind.value
    body = getattr(entry.body, kind)
    base = {"patient": str(entry.patient), "entry": str(entry.id), "kind": kind, "time": entry.effective_at}

    def row(code: Any, value: Any, flag: Any) -> Dict[str, Any]:
        quantity = value is not None and value.type.value == "quantity"
        shown: Any = value.value if quantity else None if value is None else value.text or value.answer or value.coding
        return {
            **base,
            "code": None if code is None else code.code,
            "value": getattr(shown, "code", shown),
            "unit": value.unit if quantity else None,
            "flag": None if flag is None else flag.value,
        }

    if kind != "observation":
        return [row(getattr(body, "code", None), None, None)]
    rows = [row(body.code, body.value, body.interpretation)] if body.value is not None or not body.components else []
    rows.extend(row(c.code, c.value, c.interpretation) for c in body.components)
    return rows


class EntryPageMethods(_Page["ClinicalEntry"]):
    _records = "items"

    def to_pandas(self) -> pandas.DataFrame:
        """A ``pandas.DataFrame`` in long format: one row per value
        (patient, entry, kind, code, value, unit, time, flag); quantities stay
        exact ``decimal.Decimal``, times are UTC ``datetime64`` (needs pandas)."""
        rows = [r for e in self for r in _long_rows(e)]
        try:
            pd: Any = importlib.import_module("pandas")
        except ImportError as e:
            needs = "to_pandas() needs pandas, which is not installed: pip install pandas (or carebase[pandas])"
            raise ImportError(needs) from e
        frame: pandas.DataFrame = pd.DataFrame(rows, columns=ENTRY_COLUMNS)
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame


class AuditCheckpointMethods:
    def to_json(self) -> str:
        """The checkpoint as JSON text (core's own form)."""
        return _convert.to_json(_convert.encode(self, type(self), "checkpoint"))

    @classmethod
    def from_json(cls, text: str) -> AuditCheckpoint:
        """A checkpoint from ``to_json`` text."""
        return _convert.decode_json(_types.AuditCheckpoint, text)


class PolicyMethods:
    @classmethod
    def from_toml(cls, text: str) -> Policy:
        """Parses and checks a TOML policy document (core names the line and
        field of any error: ``InvalidPolicyError``)."""
        return _functions.policy_from_toml(text)

    @classmethod
    def from_json(cls, text: str) -> Policy:
        """Parses and checks a JSON policy document."""
        return _functions.policy_from_json(text)

    @classmethod
    def default(cls) -> Policy:
        """The default policy shipped with core."""
        return _functions.default_policy()


class ActorMethods:
    @classmethod
    def new(cls, *roles: Role) -> Actor:
        """An actor with a fresh id and these roles."""
        return _functions.actor_with_roles(list(roles))

    @classmethod
    def system(cls) -> Actor:
        """A trusted system process with a fresh id."""
        return _functions.system_actor()

    @classmethod
    def for_practitioner(cls, practitioner: IdLike, id: Optional[IdLike] = None) -> Actor:
        """A practitioner login linked to a practitioner id."""
        return _functions.practitioner_actor(practitioner, id)

    @classmethod
    def for_patient(cls, patient: IdLike, id: Optional[IdLike] = None) -> Actor:
        """A patient login linked to their own record."""
        return _functions.patient_actor(patient, id)


# Last: the host functions and the generated types need this module first.
from . import _functions, _types  # noqa: E402
