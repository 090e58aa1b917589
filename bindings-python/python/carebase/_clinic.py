"""``carebase.open`` and ``Clinic``: every operation of ``carebase::Clinic``
(the scheduling ones live in ``_scheduling``).

Each method converts its arguments, calls core (with the GIL released, on
one process-wide runtime) and converts the result; see ``_convert.bridge``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import List, Optional

from . import _native
from ._convert import bridge, decode_json, encode_args, micros, to_json
from ._scheduling import SchedulingOperations
from ._types import (
    AccessRecord,
    Actor,
    AuditCheckpoint,
    AuditEntry,
    AuditQuery,
    AuditVerification,
    BreakGlassGrant,
    CareAssignment,
    Decision,
    DuplicateCandidate,
    Identifier,
    IdLike,
    MergeRecord,
    OutboxEvent,
    Page,
    Patient,
    PatientDetails,
    PatientQuery,
    Permission,
    Policy,
    Records,
    Settings,
)

__all__ = ["Clinic", "ManualClock", "open"]


class ManualClock:
    """A clock tests move by hand (e.g. to expire a break-the-glass grant)."""

    def __init__(self, start: datetime) -> None:
        self._native = _native.ManualClock(encode_args([("at", start, datetime)]))

    def advance(self, by: timedelta) -> None:
        """Moves time forward (or back with a negative duration)."""
        encode_args([("by", by, timedelta)])  # checks the type
        self._native.advance(to_json({"by": micros(by)}))

    def set(self, at: datetime) -> None:
        """Jumps to an instant."""
        self._native.set(encode_args([("at", at, datetime)]))

    def now(self) -> datetime:
        """The clock's current instant (UTC)."""
        return decode_json(datetime, self._native.now())

    def __repr__(self) -> str:
        return f"ManualClock(now={self.now().isoformat()})"


def open(
    url: str,
    *,
    settings: Optional[Settings] = None,
    policy: Optional[Policy] = None,
    clock: Optional[ManualClock] = None,
    audit_key: Optional[bytes] = None,
) -> Clinic:
    """Opens the store ``url`` names (``memory:``, ``sqlite:///path.db``,
    ``sqlite::memory:``) and returns a clinic over it, with optional
    settings, access policy (default: core's) and clock (default: system).

    ``audit_key`` (at least 32 random bytes, kept outside the database)
    seals the audit trail so that someone who can write the database cannot
    forge or silently delete entries. Without it the public development key
    is used and every ``AuditVerification`` says ``keyed=False``: production
    hosts must set one."""
    args = encode_args(
        [
            ("url", url, str),
            ("settings", settings, Optional[Settings]),
            ("policy", policy, Optional[Policy]),
        ]
    )
    if clock is not None and not isinstance(clock, ManualClock):
        raise TypeError(f"clock: expected ManualClock, got {type(clock).__name__}")
    if audit_key is not None and not isinstance(audit_key, (bytes, bytearray, memoryview)):
        raise TypeError(f"audit_key: expected bytes, got {type(audit_key).__name__}")
    native = _native.open(
        args,
        clock._native if clock is not None else None,
        bytes(audit_key) if audit_key is not None else None,
    )
    return Clinic(native)


class Clinic(SchedulingOperations):
    """The clinic's rules over one store. Thread-safe: share one instance.

    The scheduling operations (practitioners, visit types, free slots,
    appointments, reminders) are inherited from ``SchedulingOperations``."""

    def __init__(self, native: _native.Clinic) -> None:
        self._native = native

    def __repr__(self) -> str:
        return "Clinic()"

    def settings(self) -> Settings:
        """The settings in force."""
        return decode_json(Settings, self._native.settings())

    def policy(self) -> Policy:
        """The access policy in force."""
        return decode_json(Policy, self._native.policy())

    def audit_key_id(self) -> str:
        """The public fingerprint of the audit key in use (for diagnostics)."""
        return self._native.audit_key_id()

    # ------------------------------------------------------------ patients

    @bridge
    def register_patient(
        self, actor: Actor, details: PatientDetails, *, mrn_facility: Optional[str] = None
    ) -> Patient:
        """Registers a patient (with an MRN from ``mrn_facility``'s namespace, if given)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def get_patient(self, actor: Actor, id: IdLike) -> Patient:
        """Reads one patient (masked to what the actor may see); audited."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def update_patient(
        self, actor: Actor, id: IdLike, expected_version: int, details: PatientDetails
    ) -> Patient:
        """Replaces the demographics; a stale ``expected_version`` is a ``ConflictError``."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def deactivate_patient(self, actor: Actor, id: IdLike, expected_version: int) -> Patient:
        """Marks a patient inactive."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def reactivate_patient(self, actor: Actor, id: IdLike, expected_version: int) -> Patient:
        """Marks an inactive patient active again."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def search_patients(self, actor: Actor, query: Optional[PatientQuery] = None) -> Page:
        """Searches patients (pass ``page.next_cursor`` as ``query.cursor`` for more)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def generate_mrn(self, actor: Actor, facility: str) -> Identifier:
        """Allocates the next MRN of a facility's namespace."""
        raise NotImplementedError  # replaced by @bridge

    # --------------------------------------------------------------- merge

    @bridge
    def find_duplicates(self, actor: Actor, id: IdLike, limit: int) -> List[DuplicateCandidate]:
        """Likely duplicates of a patient, best first, with per-field scores."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def merge_patients(
        self,
        actor: Actor,
        survivor: IdLike,
        survivor_version: int,
        merged: IdLike,
        merged_version: int,
    ) -> MergeRecord:
        """Merges ``merged`` into ``survivor`` (nothing is moved; unmerge restores it)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def unmerge_patients(self, actor: Actor, merge_id: IdLike) -> Patient:
        """Undoes a merge; returns the restored record."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def merge_history(self, actor: Actor, patient: IdLike) -> List[MergeRecord]:
        """The merge log of a patient, oldest first."""
        raise NotImplementedError  # replaced by @bridge

    # -------------------------------------------------------------- access

    @bridge
    def assign_care_team(self, actor: Actor, patient: IdLike, practitioner: IdLike) -> CareAssignment:
        """Puts a practitioner on a patient's care team."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def remove_care_team(self, actor: Actor, patient: IdLike, practitioner: IdLike) -> None:
        """Takes a practitioner off a patient's care team."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def care_team(self, actor: Actor, patient: IdLike) -> List[CareAssignment]:
        """A patient's care team."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def explain_access(
        self, actor: Actor, permission: Permission, patient: Optional[IdLike] = None
    ) -> Decision:
        """What the policy answers, with its reasons (reads nothing, writes nothing)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def request_emergency_access(
        self,
        actor: Actor,
        patient: IdLike,
        reason: str,
        duration: Optional[timedelta] = None,
    ) -> BreakGlassGrant:
        """Break-the-glass: time-limited emergency access, flagged in the audit."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def grants_awaiting_review(self, actor: Actor, limit: int) -> List[BreakGlassGrant]:
        """Break-the-glass grants not reviewed yet, oldest first."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def review_emergency_access(
        self, actor: Actor, grant: IdLike, note: Optional[str] = None
    ) -> BreakGlassGrant:
        """Marks a grant reviewed, with an optional note."""
        raise NotImplementedError  # replaced by @bridge

    # --------------------------------------------------------------- audit

    @bridge
    def audit_log(self, actor: Actor, query: Optional[AuditQuery] = None) -> Records[AuditEntry]:
        """Audit entries in recording order (page with ``query.after``)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def verify_audit(
        self, actor: Actor, trusted: Optional[AuditCheckpoint] = None
    ) -> AuditVerification:
        """Verifies the whole audit trail (every seal and link, every chain
        against the newest stored checkpoint, the checkpoint history) and,
        given ``trusted`` (a checkpoint kept outside the database), that the
        stored history still holds it. Reports the first problem."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def audit_checkpoint(self, actor: Actor) -> AuditCheckpoint:
        """Verifies the trail and signs a checkpoint over every chain head
        (needs ``audit.checkpoint``). A trail that fails verification is
        refused with ``ConflictError``. Export the result and keep it."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def who_accessed(
        self, actor: Actor, patient: IdLike, limit: Optional[int] = None
    ) -> Records[AccessRecord]:
        """Who accessed a patient's record, oldest first (audited too)."""
        raise NotImplementedError  # replaced by @bridge

    # -------------------------------------------------------------- outbox

    @bridge
    def poll_events(self, actor: Actor, consumer: str, limit: int) -> Records[OutboxEvent]:
        """The next events after ``consumer``'s acknowledged position."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def events_after(self, actor: Actor, after: int, limit: int) -> Records[OutboxEvent]:
        """Events after a sequence number (for consumers keeping their own position)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def ack_events(self, actor: Actor, consumer: str, seq: int) -> int:
        """Acknowledges events up to ``seq``; returns the consumer's position."""
        raise NotImplementedError  # replaced by @bridge

    # -------------------------------------------------------------- policy

    @bridge
    def replace_policy(self, actor: Actor, policy: Policy) -> None:
        """Replaces the access policy at run time (needs ``policy.manage``; audited)."""
        raise NotImplementedError  # replaced by @bridge
