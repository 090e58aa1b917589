"""The scheduling operations of ``Clinic`` (mirroring
``core/src/clinic/scheduling.rs``, ``core/src/clinic/appointments.rs`` and
``core/src/clinic/fhir.rs``).

FHIR R4 resources cross as plain JSON ``dict``s (what ``json.load`` gives).

``Clinic`` inherits them; each method converts its arguments, calls core
(with the GIL released) and converts the result, see ``_convert.bridge``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

from ._convert import bridge
from ._schedule import (
    Appointment,
    AppointmentQuery,
    AppointmentStatus,
    Availability,
    BookAppointment,
    CancelAppointment,
    DueReminder,
    NewPractitioner,
    NewResource,
    NewVisitType,
    Practitioner,
    Recurrence,
    RescheduleAppointment,
    Resource,
    SlotPage,
    SlotQuery,
    VisitType,
)
from ._types import Actor, IdLike, Records

__all__ = ["SchedulingOperations"]


class SchedulingOperations:
    """Practitioners, rooms, visit types, free slots, appointments,
    reminders and their FHIR R4 JSON (mixed into ``Clinic``)."""

    # ---------------------------------------------------------- scheduling

    @bridge
    def add_practitioner(self, actor: Actor, practitioner: NewPractitioner) -> Practitioner:
        """Adds a practitioner with their time zone and availability."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def set_availability(
        self, actor: Actor, practitioner: IdLike, expected_version: int, availability: Availability
    ) -> Practitioner:
        """Replaces a practitioner's availability (existing appointments stay)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def get_practitioner(self, actor: Actor, id: IdLike) -> Practitioner:
        """One practitioner."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def list_practitioners(self, actor: Actor) -> List[Practitioner]:
        """Every practitioner, by id."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def add_resource(self, actor: Actor, resource: NewResource) -> Resource:
        """Adds a room or piece of equipment."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def list_resources(self, actor: Actor) -> List[Resource]:
        """Every room and piece of equipment, by id."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def add_visit_type(self, actor: Actor, visit_type: NewVisitType) -> VisitType:
        """Defines a kind of visit (duration, buffers, notice, horizon, reminders)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def list_visit_types(self, actor: Actor) -> List[VisitType]:
        """Every visit type, by id."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def find_free_slots(self, actor: Actor, query: SlotQuery) -> SlotPage:
        """Bookable slots (pass ``page.next_cursor`` as ``query.cursor`` for more)."""
        raise NotImplementedError  # replaced by @bridge

    # -------------------------------------------------------- appointments

    @bridge
    def book_appointment(self, actor: Actor, booking: BookAppointment) -> Appointment:
        """Books one appointment; an occupied time is a ``DoubleBookingError``."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def book_series(
        self, actor: Actor, first: BookAppointment, recurrence: Recurrence
    ) -> List[Appointment]:
        """Books a recurring series: every occurrence or, on any failure, none."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def get_appointment(self, actor: Actor, id: IdLike) -> Appointment:
        """One appointment."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def reschedule_appointment(
        self, actor: Actor, id: IdLike, expected_version: int, change: RescheduleAppointment
    ) -> Appointment:
        """Moves an appointment; the old time goes into ``reschedules``."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def cancel_appointment(
        self, actor: Actor, id: IdLike, expected_version: int, cancel: CancelAppointment
    ) -> Appointment:
        """Cancels with a reason (flagged late inside the clinic's window)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def change_appointment_status(
        self, actor: Actor, id: IdLike, expected_version: int, status: AppointmentStatus
    ) -> Appointment:
        """Moves along the life cycle (proposed → booked → arrived → fulfilled, or no-show)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def list_appointments(self, actor: Actor, query: AppointmentQuery) -> Records[Appointment]:
        """A patient's appointments or a practitioner's schedule, by start."""
        raise NotImplementedError  # replaced by @bridge

    # ----------------------------------------------------------- reminders

    @bridge
    def due_reminders(
        self, actor: Actor, from_: datetime, to: datetime, limit: int
    ) -> Records[DueReminder]:
        """Unsent reminders due in ``[from_, to)`` (returned until marked sent)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def mark_reminder_sent(self, actor: Actor, appointment: IdLike, offset_minutes: int) -> None:
        """Marks one reminder sent; a second mark is a ``ConflictError``."""
        raise NotImplementedError  # replaced by @bridge

    # ------------------------------------------------------------ FHIR R4

    @bridge
    def export_appointment_fhir(self, actor: Actor, id: IdLike) -> Dict[str, Any]:
        """One appointment as a FHIR R4 Appointment (``id`` is the carebase id;
        what an import kept is merged back)."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def import_appointment_fhir(
        self,
        actor: Actor,
        resource: Dict[str, Any],
        visit_type: Optional[IdLike] = None,
        references: Optional[Dict[str, str]] = None,
        migration: bool = False,
    ) -> Appointment:
        """Imports a FHIR R4 Appointment as a new appointment. ``references``
        maps reference text used in the resource (``"Patient/example"``) to a
        carebase id; without ``visit_type`` the one whose code matches
        ``appointmentType.coding[].code`` (ignoring case) is used.

        An import is a booking: the booking rules apply (hours, grid, notice,
        horizon, day limits, overlaps) and ``end`` must be ``start`` plus the
        visit type's duration. ``migration=True`` keeps the record as it was
        in the system being replaced; it needs ``appointment.migrate``
        (system and admin by default) and is flagged in the audit."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def export_schedule_fhir(self, actor: Actor, practitioner: IdLike) -> Dict[str, Any]:
        """A practitioner's FHIR R4 Schedule."""
        raise NotImplementedError  # replaced by @bridge

    @bridge
    def export_free_slots_fhir(self, actor: Actor, query: SlotQuery) -> Dict[str, Any]:
        """One page of free slots as a FHIR R4 ``searchset`` Bundle of Slots (the
        next page's cursor in the ``next`` link, ``?cursor=<cursor>``)."""
        raise NotImplementedError  # replaced by @bridge
