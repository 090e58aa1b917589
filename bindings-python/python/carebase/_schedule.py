"""The scheduling types as Python enums and dataclasses (mirroring
``core/src/schedule/model.rs`` field for field; the serde form is the wire
format).

Local wall-clock times are ``datetime.time``, local dates ``datetime.date``
and instants timezone-aware ``datetime``. Two fields are named ``from_``
because ``from`` is a Python keyword (their wire name is ``from``). Free
text (notes, time-off and cancellation reasons' notes) never shows in
``repr``, as in core's ``Debug``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Dict, Iterator, List, Optional
from uuid import UUID

from ._enums import AppointmentStatus, CancellationReason, ResourceKind, Weekday

#: ``date`` under a name a field called ``date`` cannot shadow.
_Date = date

__all__ = [
    "Weekday",
    "ResourceKind",
    "AppointmentStatus",
    "CancellationReason",
    "TimeWindow",
    "WeeklyHours",
    "DateException",
    "TimeOff",
    "Availability",
    "Practitioner",
    "NewPractitioner",
    "Resource",
    "NewResource",
    "VisitType",
    "NewVisitType",
    "Cancellation",
    "Reschedule",
    "Reminder",
    "Appointment",
    "BookAppointment",
    "Recurrence",
    "RescheduleAppointment",
    "CancelAppointment",
    "Slot",
    "SlotQuery",
    "SlotPage",
    "AppointmentQuery",
    "DueReminder",
]


# -------------------------------------------------------------- availability


@dataclass
class TimeWindow:
    """A window of local wall-clock time within one day (``start < end``)."""

    start: time
    end: time


@dataclass
class WeeklyHours:
    """Recurring weekly hours, e.g. "Mondays 09:00–12:00 from 1 March"."""

    weekday: Weekday
    start: time
    end: time
    valid_from: Optional[date] = None
    valid_until: Optional[date] = None


@dataclass
class DateException:
    """A date that differs from the weekly pattern: a day off (no
    ``extra_hours``) or extra hours on that date. A date's exceptions
    combine: a day off plus extra hours on the same date replaces that
    date's weekly hours by the extra hours."""

    date: _Date
    extra_hours: Optional[TimeWindow] = None


@dataclass(repr=False)
class TimeOff:
    """An absence between two instants; ``reason`` is staff free text."""

    start: datetime
    end: datetime
    reason: Optional[str] = None

    def __repr__(self) -> str:
        return f"TimeOff(start={self.start.isoformat()}, end={self.end.isoformat()})"


@dataclass
class Availability:
    """When a practitioner can be booked, in their own time zone. Windows
    that apply on the same date must not overlap (touching is fine): a
    weekly window overlapping an earlier one of its weekday is refused as
    ``weekly[i]``, extra hours overlapping other hours of their date as
    ``exceptions[i].extra_hours``, both with code ``overlaps``."""

    weekly: List[WeeklyHours] = field(default_factory=list)
    exceptions: List[DateException] = field(default_factory=list)
    time_off: List[TimeOff] = field(default_factory=list)
    slot_minutes: int = 15
    max_per_day: Optional[int] = None


# -------------------------------------------------- practitioners, resources


@dataclass
class Practitioner:
    """A person who sees patients (``Actor.practitioner`` links a login to ``id``)."""

    id: UUID
    version: int
    name: str
    time_zone: str
    availability: Availability
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class NewPractitioner:
    """What adding a practitioner takes (``id``: one the host already uses)."""

    name: str
    time_zone: str
    availability: Availability = field(default_factory=Availability)
    id: Optional[UUID] = None


@dataclass
class Resource:
    """A room or piece of equipment, free whenever it is not booked."""

    id: UUID
    version: int
    kind: ResourceKind
    name: str
    time_zone: str
    active: bool


@dataclass
class NewResource:
    """What adding a room or piece of equipment takes."""

    kind: ResourceKind
    name: str
    time_zone: str


@dataclass
class VisitType:
    """A kind of visit: how long it takes and the rules for booking it."""

    id: UUID
    version: int
    code: str
    name: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    horizon_days: int
    max_per_day: Optional[int]
    reminder_offsets_minutes: List[int]


@dataclass
class NewVisitType:
    """What defining a visit type takes (every rule of ``VisitType`` but its id)."""

    code: str
    name: str
    duration_minutes: int
    horizon_days: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 0
    max_per_day: Optional[int] = None
    reminder_offsets_minutes: List[int] = field(default_factory=list)


# -------------------------------------------------------------- appointments


@dataclass(repr=False)
class Cancellation:
    """Why and when an appointment was called off (``late``: inside the
    clinic's late-cancellation window)."""

    reason: CancellationReason
    late: bool
    at: datetime
    by: UUID
    note: Optional[str] = None

    def __repr__(self) -> str:
        return f"Cancellation(reason={self.reason.value!r}, late={self.late}, at={self.at.isoformat()})"


@dataclass
class Reschedule:
    """One move of an appointment: where it was before."""

    from_start: datetime
    from_end: datetime
    from_practitioner: UUID
    from_room: Optional[UUID]
    at: datetime
    by: UUID


@dataclass
class Reminder:
    """A reminder due before an appointment; sent at most once."""

    offset_minutes: int
    due_at: datetime
    sent_at: Optional[datetime] = None


@dataclass(repr=False)
class Appointment:
    """A patient's visit with a practitioner (and optionally a room).

    ``reschedules`` holds earlier times, oldest first; ``fhir_extra`` the
    FHIR elements carebase does not model, kept for export."""

    id: UUID
    version: int
    patient: UUID
    practitioner: UUID
    room: Optional[UUID]
    visit_type: UUID
    status: AppointmentStatus
    start: datetime
    end: datetime
    blocked_from: datetime
    blocked_until: datetime
    series: Optional[UUID]
    cancellation: Optional[Cancellation]
    reschedules: List[Reschedule]
    reminders: List[Reminder]
    note: Optional[str]
    fhir_extra: Optional[Dict[str, Any]]
    booked_by: UUID
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        return (
            f"Appointment(id={self.id!s}, version={self.version}, "
            f"status={self.status.value}, start={self.start.isoformat()}, "
            f"end={self.end.isoformat()})"
        )


@dataclass(repr=False)
class BookAppointment:
    """What booking takes: a start the free-slot search would return;
    ``status`` is ``BOOKED`` (default) or ``PROPOSED``."""

    patient: UUID
    practitioner: UUID
    visit_type: UUID
    start: datetime
    room: Optional[UUID] = None
    status: Optional[AppointmentStatus] = None
    note: Optional[str] = None

    def __repr__(self) -> str:
        return (
            f"BookAppointment(practitioner={self.practitioner!s}, "
            f"visit_type={self.visit_type!s}, start={self.start.isoformat()})"
        )


@dataclass
class Recurrence:
    """How a series repeats: every ``every_weeks`` weeks at the same local
    time, until a local date or for a count (at least one of them)."""

    every_weeks: int
    until: Optional[date] = None
    count: Optional[int] = None


@dataclass
class RescheduleAppointment:
    """Where an appointment moves to (same practitioner/room when ``None``)."""

    start: datetime
    practitioner: Optional[UUID] = None
    room: Optional[UUID] = None


@dataclass(repr=False)
class CancelAppointment:
    """What cancelling takes: a reason from the closed FHIR set and, for
    anything more, a free-text note (kept with the appointment, never in
    events or errors)."""

    reason: CancellationReason
    note: Optional[str] = None

    def __repr__(self) -> str:
        reason = self.reason.value if isinstance(self.reason, CancellationReason) else self.reason
        return f"CancelAppointment(reason={reason!r})"


# ----------------------------------------------------------------- searching


@dataclass
class Slot:
    """A free slot, bookable as is."""

    practitioner: UUID
    room: Optional[UUID]
    start: datetime
    end: datetime


@dataclass
class SlotQuery:
    """A free-slot search: starts in ``[from_, to)`` (at most 92 days);
    pass the previous page's ``next_cursor`` as ``cursor`` for more."""

    visit_type: UUID
    practitioners: List[UUID]
    from_: datetime
    to: datetime
    room: Optional[UUID] = None
    limit: Optional[int] = None
    cursor: Optional[str] = None


@dataclass
class SlotPage:
    """One page of free slots, by start then practitioner id."""

    slots: List[Slot]
    next_cursor: Optional[str] = None

    def __iter__(self) -> Iterator[Slot]:
        return iter(self.slots)

    def __len__(self) -> int:
        return len(self.slots)


@dataclass
class AppointmentQuery:
    """A patient's appointments or a practitioner's schedule, starting in
    ``[from_, to)``."""

    from_: datetime
    to: datetime
    patient: Optional[UUID] = None
    practitioner: Optional[UUID] = None
    include_inactive: bool = False
    limit: Optional[int] = None


@dataclass
class DueReminder:
    """A reminder that is due and not yet sent."""

    appointment: UUID
    patient: UUID
    practitioner: UUID
    start: datetime
    offset_minutes: int
    due_at: datetime
