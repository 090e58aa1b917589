"""What Python's record types do beyond their fields (hand-written; the
fields are generated into ``_types.py``). A class ``XMethods`` here is the
base of the generated dataclass ``X`` (tools/codegen reads this file for
them); annotations under ``TYPE_CHECKING`` only tell mypy what the
dataclass holds (at run time the converter reads the dataclass's own).
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, TypeVar, Union
from uuid import UUID

from . import _native
from ._enums import Role

if TYPE_CHECKING:
    import pandas

    from ._types import Actor, AuditCheckpoint, Patient, PatientDetails, Policy, Slot

__all__ = ["IdLike", "Records", "DEFAULT_POLICY_TOML"]

#: An id argument: a ``uuid.UUID`` or its canonical text (checked by core).
IdLike = Union[UUID, str]

#: The default access policy document (TOML), as shipped with core.
DEFAULT_POLICY_TOML: str = _native.DEFAULT_POLICY_TOML



def _shown(record: Any, names: Sequence[str]) -> str:
    """``Type(a=…, b=…)`` with only ``names`` (core's ``x-shown``): the other
    fields can hold patient data. Ids and instants print as text."""

    def text(value: Any) -> str:
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, enum.Enum):
            return repr(value.value)
        return repr(value)

    shown = ", ".join(f"{n}={text(getattr(record, n))}" for n in names)
    return f"{type(record).__name__}({shown or '<redacted>'})"


def _plain(value: Any) -> Any:
    """Plain Python values for tables: records become dicts, enums codes."""
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None:
        return to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


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
        raise ImportError(
            "to_pandas() needs pandas, which is not installed: "
            "pip install pandas (or carebase[pandas])"
        ) from e
    frame: pandas.DataFrame = pd.DataFrame([_flat(r) for r in rows])
    for column in frame.columns:
        values = [v for v in frame[column] if v is not None and v == v]
        if values and all(isinstance(v, datetime) for v in values):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        elif values and all(isinstance(v, date) for v in values):
            frame[column] = pd.to_datetime(frame[column])
    return frame


T = TypeVar("T")


class Records(List[T]):
    """A list of results that also converts to a table (for notebooks)."""

    def to_dicts(self) -> List[Dict[str, Any]]:
        """One dict per record; enums become their string codes."""
        return [_plain(r) for r in self]

    def to_pandas(self) -> pandas.DataFrame:
        """A ``pandas.DataFrame``, one row per record, flat columns
        (``name.family``, ``names.0.family``), dates and instants as
        ``datetime64`` (needs pandas)."""
        return _to_pandas(self.to_dicts())


class PatientMethods:
    if TYPE_CHECKING:  # the generated fields, for mypy only
        id: UUID
        version: int
        details: PatientDetails
        active: bool
        merged_into: Optional[UUID]
        created_at: datetime
        updated_at: datetime
        hidden_fields: List[Any]

    def to_dict(self) -> Dict[str, Any]:
        """A dict for tables: record fields, then demographics."""
        row: Dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "active": self.active,
            "merged_into": self.merged_into,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "hidden_fields": _plain(self.hidden_fields),
        }
        row.update(_plain(self.details))
        return row


class PatientPageMethods:
    if TYPE_CHECKING:
        items: List[Patient]

    def __iter__(self) -> Iterator[Patient]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_dicts(self) -> List[Dict[str, Any]]:
        """One dict per patient (see ``Patient.to_dict``)."""
        return [p.to_dict() for p in self.items]

    def to_pandas(self) -> pandas.DataFrame:
        """A ``pandas.DataFrame``, one row per patient (see ``Records.to_pandas``)."""
        return _to_pandas(self.to_dicts())


class SlotPageMethods:
    if TYPE_CHECKING:
        slots: List[Slot]

    def __iter__(self) -> Iterator[Slot]:
        return iter(self.slots)

    def __len__(self) -> int:
        return len(self.slots)


class AuditCheckpointMethods:
    def to_json(self) -> str:
        """The checkpoint as JSON text (core's own form)."""
        from ._convert import encode, to_json
        from ._types import AuditCheckpoint

        return to_json(encode(self, AuditCheckpoint, "checkpoint"))

    @classmethod
    def from_json(cls, text: str) -> AuditCheckpoint:
        """A checkpoint from ``to_json`` text."""
        from ._convert import decode_json
        from ._types import AuditCheckpoint

        return decode_json(AuditCheckpoint, text)


# Core's host functions are imported where used: they return generated types.


class PolicyMethods:
    @classmethod
    def from_toml(cls, text: str) -> Policy:
        """Parses and checks a TOML policy document (core names the line and
        field of any error: ``InvalidPolicyError``)."""
        from ._functions import policy_from_toml

        return policy_from_toml(text)

    @classmethod
    def from_json(cls, text: str) -> Policy:
        """Parses and checks a JSON policy document."""
        from ._functions import policy_from_json

        return policy_from_json(text)

    @classmethod
    def default(cls) -> Policy:
        """The default policy shipped with core."""
        from ._functions import default_policy

        return default_policy()


class ActorMethods:
    @classmethod
    def new(cls, *roles: Role) -> Actor:
        """An actor with a fresh id and these roles."""
        from ._functions import actor_with_roles

        return actor_with_roles(list(roles))

    @classmethod
    def system(cls) -> Actor:
        """A trusted system process with a fresh id."""
        from ._functions import system_actor

        return system_actor()

    @classmethod
    def for_practitioner(cls, practitioner: IdLike, id: Optional[IdLike] = None) -> Actor:
        """A practitioner login linked to a practitioner id."""
        from ._functions import practitioner_actor

        return practitioner_actor(practitioner, id)

    @classmethod
    def for_patient(cls, patient: IdLike, id: Optional[IdLike] = None) -> Actor:
        """A patient login linked to their own record."""
        from ._functions import patient_actor

        return patient_actor(patient, id)
