"""The carebase domain types as Python enums and dataclasses.

They mirror the Rust types field for field (the serde form is the wire
format). Classes that hold patient data never show it in ``repr``/``str``:
``Patient`` shows id, version and active only, the others ``<redacted>``.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterator, List, Optional, TypeVar, Union
from uuid import UUID

from . import _native

from ._enums import (
    AddressUse,
    CheckDigit,
    ContactSystem,
    ContactUse,
    Gender,
    NameUse,
    Outcome,
    PatientField,
    Permission,
    ProblemKind,
    Relationship,
    Role,
    StorageKind,
)

__all__ = [
    "IdLike",
    "Role",
    "StorageKind",
    "NameUse",
    "Gender",
    "ContactSystem",
    "ContactUse",
    "AddressUse",
    "PatientField",
    "Outcome",
    "Permission",
    "Relationship",
    "CheckDigit",
    "ProblemKind",
    "ConflictKind",
    "Identifier",
    "HumanName",
    "ContactPoint",
    "Address",
    "EmergencyContact",
    "PatientDetails",
    "Patient",
    "PatientQuery",
    "PageQuery",
    "Page",
    "Records",
    "FieldScore",
    "DuplicateScore",
    "DuplicateCandidate",
    "MergeRecord",
    "CareAssignment",
    "BreakGlassGrant",
    "ReasonStep",
    "Decision",
    "DenyReason",
    "AuditEntry",
    "AuditQuery",
    "ChainProblem",
    "AuditVerification",
    "AuditCheckpoint",
    "AccessRecord",
    "OutboxEvent",
    "FieldError",
    "ConflictDetail",
    "IdentifierSystem",
    "MrnNamespace",
    "Settings",
    "Rule",
    "Policy",
    "Actor",
    "new_id",
    "DEFAULT_POLICY_TOML",
]

#: An id argument: a ``uuid.UUID`` or its canonical text (checked by core).
IdLike = Union[UUID, str]

#: The default access policy document (TOML), as shipped with core.
DEFAULT_POLICY_TOML: str = _native.DEFAULT_POLICY_TOML


def new_id() -> UUID:
    """A fresh time-ordered (v7) id, made by core (for actors, practitioners)."""
    return UUID(_native.new_id())


# --------------------------------------------------------------------- enums


class ConflictKind(str, enum.Enum):
    """Why a write lost against the current state."""

    STALE_VERSION = "stale_version"
    DUPLICATE_IDENTIFIER = "duplicate_identifier"
    INVALID_STATE = "invalid_state"
    ALREADY_EXISTS = "already_exists"


# ------------------------------------------------------------ table helpers


def _plain(value: Any) -> Any:
    """Plain Python values for tables: enums become their codes."""
    if isinstance(value, Patient):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _to_pandas(rows: List[Dict[str, Any]]) -> Any:
    try:
        pandas = importlib.import_module("pandas")
    except ImportError as e:
        raise ImportError(
            "to_pandas() needs pandas, which is not installed: "
            "pip install pandas (or carebase[pandas])"
        ) from e
    return pandas.DataFrame(rows)


T = TypeVar("T")


class Records(List[T]):
    """A list of results that also converts to a table (for notebooks)."""

    def to_dicts(self) -> List[Dict[str, Any]]:
        """One dict per record; enums become their string codes."""
        return [_plain(r) for r in self]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per record (needs pandas)."""
        return _to_pandas(self.to_dicts())


class _Private:
    """Base of types holding patient data: ``repr`` never shows it."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<redacted>)"


# ------------------------------------------------------------------ patients


@dataclass(repr=False)
class Identifier(_Private):
    """An identifier (system URI + value), e.g. an MRN."""

    system: str
    value: str


@dataclass(repr=False)
class HumanName(_Private):
    """A person's name."""

    family: Optional[str] = None
    given: List[str] = field(default_factory=list)
    prefix: List[str] = field(default_factory=list)
    suffix: List[str] = field(default_factory=list)
    usage: NameUse = NameUse.USUAL


@dataclass(repr=False)
class ContactPoint(_Private):
    """A phone number or e-mail address."""

    system: ContactSystem
    value: str
    usage: Optional[ContactUse] = None


@dataclass(repr=False)
class Address(_Private):
    """A postal address."""

    usage: Optional[AddressUse] = None
    lines: List[str] = field(default_factory=list)
    city: Optional[str] = None
    district: Optional[str] = None
    state: Optional[str] = None
    postal_code: Optional[str] = None
    country: Optional[str] = None


@dataclass(repr=False)
class EmergencyContact(_Private):
    """Someone to call for the patient."""

    relationship: str
    name: HumanName
    telecom: List[ContactPoint] = field(default_factory=list)


@dataclass(repr=False)
class PatientDetails(_Private):
    """Demographics: what registering or updating a patient takes."""

    identifiers: List[Identifier] = field(default_factory=list)
    names: List[HumanName] = field(default_factory=list)
    gender: Optional[Gender] = None
    birth_date: Optional[date] = None
    telecom: List[ContactPoint] = field(default_factory=list)
    addresses: List[Address] = field(default_factory=list)
    language: Optional[str] = None
    emergency_contacts: List[EmergencyContact] = field(default_factory=list)
    deceased: bool = False
    deceased_at: Optional[datetime] = None


@dataclass(repr=False)
class Patient:
    """A patient record as the actor may see it (``hidden_fields`` were masked)."""

    id: UUID
    version: int
    details: PatientDetails
    active: bool
    merged_into: Optional[UUID]
    created_at: datetime
    updated_at: datetime
    hidden_fields: List[PatientField] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Patient(id={self.id!s}, version={self.version}, active={self.active})"

    def to_dict(self) -> Dict[str, Any]:
        """A flat dict (record fields, then demographics) for tables."""
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


@dataclass(repr=False)
class PatientQuery(_Private):
    """A patient search: every given criterion must match; ``cursor`` pages."""

    name: Optional[str] = None
    birth_date: Optional[date] = None
    identifier_system: Optional[str] = None
    identifier_value: Optional[str] = None
    phone: Optional[str] = None
    email: Optional[str] = None
    gender: Optional[Gender] = None
    active: Optional[bool] = None
    limit: Optional[int] = None
    cursor: Optional[str] = None


@dataclass
class PageQuery:
    """A page of a list without filters (``patients_of_practitioner``)."""

    limit: Optional[int] = None
    cursor: Optional[str] = None


@dataclass
class Page:
    """One page of search results; pass ``next_cursor`` to get the next."""

    items: List[Patient]
    next_cursor: Optional[str] = None

    def __iter__(self) -> Iterator[Patient]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_dicts(self) -> List[Dict[str, Any]]:
        """One flat dict per patient (see ``Patient.to_dict``)."""
        return [p.to_dict() for p in self.items]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per patient (needs pandas)."""
        return _to_pandas(self.to_dicts())


@dataclass
class FieldScore:
    """Similarity of one field (``None`` when either side lacks it) and its weight."""

    similarity: Optional[float]
    weight: float


@dataclass
class DuplicateScore:
    """A duplicate score with its per-field breakdown."""

    total: float
    name: FieldScore
    birth_date: FieldScore
    phone: FieldScore
    email: FieldScore
    identifier: FieldScore


@dataclass
class DuplicateCandidate:
    """A likely duplicate and why."""

    patient: Patient
    score: DuplicateScore


@dataclass
class MergeRecord:
    """One merge in the merge log (``merged_before`` is what unmerge restores)."""

    id: UUID
    survivor: UUID
    merged: UUID
    merged_before: Patient
    merged_version_after: int
    merged_by: UUID
    merged_at: datetime
    unmerged_by: Optional[UUID] = None
    unmerged_at: Optional[datetime] = None


# -------------------------------------------------------------------- access


@dataclass
class CareAssignment:
    """A practitioner on a patient's care team."""

    patient: UUID
    practitioner: UUID
    assigned_by: UUID
    assigned_at: datetime


@dataclass(repr=False)
class BreakGlassGrant:
    """Emergency access to one patient for a bounded time, reviewed afterwards."""

    id: UUID
    actor: UUID
    patient: UUID
    reason: str
    granted_at: datetime
    expires_at: datetime
    reviewed_by: Optional[UUID] = None
    reviewed_at: Optional[datetime] = None
    review_note: Optional[str] = None

    def __repr__(self) -> str:
        return (
            f"BreakGlassGrant(id={self.id!s}, patient={self.patient!s}, "
            f"expires_at={self.expires_at.isoformat()}, reviewed={self.reviewed_at is not None})"
        )


@dataclass
class ReasonStep:
    """One policy rule considered for a decision, and whether it held."""

    rule: str
    role: Role
    relationship: Relationship
    held: bool


@dataclass
class Decision:
    """The policy's answer, with its reasons."""

    allowed: bool
    permission: Permission
    steps: List[ReasonStep]
    visible_fields: List[PatientField]
    break_glass: Optional[UUID] = None


@dataclass
class DenyReason:
    """Why a request was denied: the permission and each rule considered;
    ``fields`` names the input fields refused because they touch a patient
    field the actor may not see (e.g. a search filter on ``phone``)."""

    permission: Permission
    steps: List[ReasonStep]
    fields: List[str] = field(default_factory=list)


# --------------------------------------------------------------------- audit


@dataclass
class AuditEntry:
    """A chained audit entry (ids and codes only, never patient data)."""

    id: UUID
    at: datetime
    actor: UUID
    roles: List[Role]
    action: str
    patient: Optional[UUID]
    outcome: Outcome
    reason: str
    break_glass: Optional[UUID]
    subject: Optional[str]
    chain_seq: int
    prev_hash: str
    hash: str


@dataclass
class AuditQuery:
    """Filter for listing audit entries; ``after`` pages (exclusive)."""

    patient: Optional[UUID] = None
    actor: Optional[UUID] = None
    after: Optional[UUID] = None
    limit: Optional[int] = None


@dataclass
class ChainProblem:
    """The first problem verification found. ``checkpoint`` names the
    checkpoint concerned for problems found against one."""

    chain: Optional[UUID]
    seq: int
    entry: Optional[UUID]
    kind: ProblemKind
    checkpoint: Optional[int] = None


@dataclass
class AuditVerification:
    """What verifying the audit trail found, and what it checked.

    ``keyed`` is False when the clinic runs on the public development key
    (no ``audit_key`` given to ``open``): then the result proves nothing
    against someone who can write the database. ``anchor`` is the newest
    stored checkpoint the chains were checked against; ``trusted`` the
    checkpoint passed to ``verify_audit``, found in the stored history."""

    ok: bool
    chains_checked: int
    entries_checked: int
    keyed: bool
    key_id: str
    checkpoints_checked: int
    problem: Optional[ChainProblem] = None
    anchor: Optional[int] = None
    trusted: Optional[int] = None


@dataclass(frozen=True)
class AuditCheckpoint:
    """A signed checkpoint over every audit chain head. Export it
    (``to_json``) and keep it outside the database (WORM storage, another
    system); pass it back to ``verify_audit`` to detect deleted checkpoints
    or a database rolled back to an older copy."""

    seq: int
    at: datetime
    chains: int
    entries: int
    root: str
    prev_signature: str
    key_id: str
    signature: str

    def to_json(self) -> str:
        """The checkpoint as JSON text (core's own form)."""
        from ._convert import encode, to_json

        return to_json(encode(self, AuditCheckpoint, "checkpoint"))

    @classmethod
    def from_json(cls, text: str) -> "AuditCheckpoint":
        """A checkpoint from ``to_json`` text."""
        from ._convert import decode_json

        return decode_json(AuditCheckpoint, text)


@dataclass
class AccessRecord:
    """One access to a patient's record, as shown to that patient."""

    at: datetime
    actor: UUID
    roles: List[Role]
    action: str
    outcome: Outcome
    break_glass: bool


# -------------------------------------------------------------------- events


@dataclass
class OutboxEvent:
    """A domain event in the outbox (payload: ids, versions, field names).

    ``seq`` counts 1, 2, 3... within ``partition`` (0 for events about no
    patient, otherwise chosen by the patient id): a relay keeps its position
    per partition and acknowledges each with ``ack_events``."""

    partition: int
    seq: int
    id: UUID
    kind: str
    schema_version: int
    patient: Optional[UUID]
    payload: Dict[str, Any]
    idempotency_key: str
    occurred_at: datetime


# -------------------------------------------------------------------- errors


@dataclass
class FieldError:
    """One failing input field: its path, a stable rule code, a message."""

    field: str
    code: str
    message: str


@dataclass
class ConflictDetail:
    """What conflicted; which attributes are set depends on ``kind``."""

    kind: ConflictKind
    entity: Optional[str] = None
    expected: Optional[int] = None
    actual: Optional[int] = None
    system: Optional[str] = None
    rule: Optional[str] = None


# ------------------------------------------------------------ configuration


@dataclass
class IdentifierSystem:
    """Rules for one identifier system."""

    system: str
    check_digit: Optional[CheckDigit] = None


@dataclass
class MrnNamespace:
    """How MRNs are generated for one facility: prefix + zero-padded counter (+ check digit)."""

    facility: str
    system: str
    digits: int
    prefix: str = ""
    check_digit: Optional[CheckDigit] = None


@dataclass
class Settings:
    """Clinic-wide configuration; ``None`` durations keep core's defaults.

    ``phone_region`` is an ISO 3166 alpha-2 region (``"US"``, ``"GB"``…):
    phone numbers typed without a country code are read as numbers of that
    region, so ``"555-0100"`` and ``"+1 555 0100"`` are one number. Without
    it only numbers in international form (``+…``) are read as such.
    Core checks every setting when the clinic opens (``ValidationError`` on
    ``settings.…`` fields)."""

    identifier_systems: List[IdentifierSystem] = field(default_factory=list)
    mrn_namespaces: List[MrnNamespace] = field(default_factory=list)
    break_glass_default: Optional[timedelta] = None
    break_glass_max: Optional[timedelta] = None
    late_cancellation_window: Optional[timedelta] = None
    phone_region: Optional[str] = None


@dataclass
class Rule:
    """One row of the policy table."""

    id: str
    roles: List[Role]
    permissions: List[Permission]
    relationship: Relationship
    fields: Optional[List[PatientField]] = None


@dataclass
class Policy:
    """An access policy: allow rules; anything not listed is denied.

    Build one with ``from_toml``/``from_json`` (core checks it and names the
    line and field of any error) or in code (checked when used).
    """

    version: int
    rules: List[Rule]

    @classmethod
    def from_toml(cls, text: str) -> Policy:
        """Parses and checks a TOML policy document."""
        from ._convert import decode_json, require

        return decode_json(Policy, _native.policy_from_toml(require(text, str, "text")))

    @classmethod
    def from_json(cls, text: str) -> Policy:
        """Parses and checks a JSON policy document."""
        from ._convert import decode_json, require

        return decode_json(Policy, _native.policy_from_json(require(text, str, "text")))

    @classmethod
    def default(cls) -> Policy:
        """The default policy shipped with core."""
        from ._convert import decode_json

        return decode_json(Policy, _native.default_policy())


@dataclass
class Actor:
    """Who is asking: built by the host from its own authentication."""

    id: UUID
    roles: List[Role]
    practitioner: Optional[UUID] = None
    patient: Optional[UUID] = None

    @classmethod
    def new(cls, *roles: Role) -> Actor:
        """An actor with a fresh id and these roles."""
        return cls(id=new_id(), roles=list(roles))

    @classmethod
    def system(cls) -> Actor:
        """A trusted system process with a fresh id."""
        return cls(id=new_id(), roles=[Role.SYSTEM])

    @classmethod
    def for_practitioner(cls, practitioner: UUID, id: Optional[UUID] = None) -> Actor:
        """A practitioner login linked to a practitioner id."""
        return cls(id=id or new_id(), roles=[Role.PRACTITIONER], practitioner=practitioner)

    @classmethod
    def for_patient(cls, patient: UUID, id: Optional[UUID] = None) -> Actor:
        """A patient login linked to their own record."""
        return cls(id=id or new_id(), roles=[Role.PATIENT], patient=patient)
