"""Scheduling through the Python API: practitioners, rooms and visit types;
free slots; booking, double booking, rescheduling, cancelling, the status
life cycle, series, schedules, access, reminders and appointment events;
FHIR R4 JSON (Appointment import and export, Schedule, Bundle of Slots).

The clinic clock stands one week before Monday 2030-01-07; the practitioner
works Mondays 09:00-17:00 Europe/Berlin (08:00-16:00 UTC in January) on a
30-minute grid, and a consultation takes 30 minutes."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import carebase as cb
from conftest import details

UTC = timezone.utc
#: Monday 2030-01-07 09:00 in Berlin.
MONDAY_NINE = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, *, weeks: int = 0) -> datetime:
    """A Berlin wall time on the first Monday (or ``weeks`` later), as UTC."""
    return MONDAY_NINE + timedelta(weeks=weeks, hours=hour - 9, minutes=minute)


@dataclass
class World:
    clinic: cb.Clinic
    clock: cb.ManualClock
    system: cb.Actor
    desk: cb.Actor
    doctor: cb.Practitioner
    visit: cb.VisitType
    room: cb.Resource
    ann: cb.Patient
    bob: cb.Patient

    def booking(self, patient: cb.Patient, start: datetime, room: Optional[cb.Resource] = None) -> cb.BookAppointment:
        return cb.BookAppointment(
            patient=patient.id,
            practitioner=self.doctor.id,
            visit_type=self.visit.id,
            start=start,
            room=room.id if room else None,
        )

    def book(self, patient: cb.Patient, start: datetime) -> cb.Appointment:
        return self.clinic.book_appointment(self.desk, self.booking(patient, start))


def mondays_nine_to_five() -> cb.Availability:
    return cb.Availability(
        weekly=[cb.WeeklyHours(weekday=cb.Weekday.MONDAY, start=time(9), end=time(17))],
        slot_minutes=30,
    )


def scheduling_world(url: str = "memory:", settings: Optional[cb.Settings] = None) -> World:
    clock = cb.ManualClock(MONDAY_NINE - timedelta(days=7))
    clinic = cb.open(url, settings=settings, clock=clock)
    system, desk = cb.Actor.system(), cb.Actor.new(cb.Role.FRONT_DESK)
    doctor = clinic.add_practitioner(
        system,
        cb.NewPractitioner(name="Dr Python", time_zone="Europe/Berlin", availability=mondays_nine_to_five()),
    )
    visit = clinic.add_visit_type(
        system,
        cb.NewVisitType(
            code="consult", name="Consultation", duration_minutes=30, horizon_days=3650,
            reminder_offsets_minutes=[1440],
        ),
    )
    room = clinic.add_resource(system, cb.NewResource(kind=cb.ResourceKind.ROOM, name="Room 1", time_zone="Europe/Berlin"))
    ann = clinic.register_patient(desk, details("Planner", "Ann"))
    bob = clinic.register_patient(desk, details("Planner", "Bob", (1990, 2, 3)))
    return World(clinic, clock, system, desk, doctor, visit, room, ann, bob)


@pytest.fixture
def w() -> World:
    return scheduling_world()


def monday_slots(w: World, limit: int, cursor: Optional[str] = None) -> cb.SlotPage:
    query = cb.SlotQuery(
        visit_type=w.visit.id, practitioners=[w.doctor.id],
        from_=at(0), to=at(24), limit=limit, cursor=cursor,
    )
    return w.clinic.find_free_slots(w.desk, query)


# ------------------------------------------------------------- definitions


def test_practitioner_visit_type_and_room_are_defined_and_listed(w: World) -> None:
    doctor = w.clinic.get_practitioner(w.desk, w.doctor.id)
    assert doctor.version == 1 and doctor.active and doctor.time_zone == "Europe/Berlin"
    hours = doctor.availability.weekly[0]
    assert (hours.weekday, hours.start, hours.end) == (cb.Weekday.MONDAY, time(9), time(17))
    assert doctor.availability.slot_minutes == 30
    assert [p.id for p in w.clinic.list_practitioners(w.desk)] == [w.doctor.id]
    assert [(v.code, v.duration_minutes, v.reminder_offsets_minutes) for v in w.clinic.list_visit_types(w.desk)] == [
        ("consult", 30, [1440])
    ]
    assert [(r.id, r.kind) for r in w.clinic.list_resources(w.desk)] == [(w.room.id, cb.ResourceKind.ROOM)]


def test_a_practitioner_keeps_the_id_the_host_gives(w: World) -> None:
    mine = cb.new_id()
    added = w.clinic.add_practitioner(w.system, cb.NewPractitioner(id=mine, name="Dr Own", time_zone="UTC"))
    assert added.id == mine and added.availability.weekly == []


def test_set_availability_replaces_hours_and_bumps_the_version(w: World) -> None:
    new = cb.Availability(
        weekly=[
            cb.WeeklyHours(weekday=cb.Weekday.TUESDAY, start=time(8, 30), end=time(12), valid_from=date(2030, 1, 1)),
        ],
        exceptions=[cb.DateException(date=date(2030, 1, 8))],
        time_off=[cb.TimeOff(start=at(0, weeks=2), end=at(24, weeks=2), reason="conference")],
        slot_minutes=15,
        max_per_day=8,
    )
    updated = w.clinic.set_availability(w.system, w.doctor.id, 1, new)
    assert updated.version == 2 and updated.availability == new
    with pytest.raises(cb.ConflictError):
        w.clinic.set_availability(w.system, w.doctor.id, 1, new)


def test_managing_the_schedule_needs_schedule_manage(w: World) -> None:
    with pytest.raises(cb.ForbiddenError) as denied:
        w.clinic.add_visit_type(w.desk, cb.NewVisitType(code="x", name="X", duration_minutes=10, horizon_days=1))
    assert denied.value.reason is not None and denied.value.reason.permission is cb.Permission.SCHEDULE_MANAGE


# --------------------------------------------------------------- free slots


def test_free_slots_page_through_the_day_with_next_cursor(w: World) -> None:
    first = monday_slots(w, 5)
    assert [s.start for s in first] == [at(9), at(9, 30), at(10), at(10, 30), at(11)]
    assert all(s.end - s.start == timedelta(minutes=30) and s.practitioner == w.doctor.id for s in first)
    assert first.next_cursor is not None
    second = monday_slots(w, 5, first.next_cursor)
    assert second.slots[0].start == at(11, 30)
    starts: List[datetime] = []
    cursor: Optional[str] = None
    while True:
        page = monday_slots(w, 5, cursor)
        starts += [s.start for s in page]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert starts == [at(9) + timedelta(minutes=30 * i) for i in range(16)]


def all_starts(clinic: cb.Clinic, query: cb.SlotQuery) -> List[datetime]:
    """Every free start of ``query``, following its cursors."""
    starts: List[datetime] = []
    while True:
        page = clinic.find_free_slots(cb.Actor.system(), query)
        assert len(page.slots) <= (query.limit or 20)
        starts += [s.start for s in page]
        if page.next_cursor is None:
            return starts
        query = replace(query, cursor=page.next_cursor)


def test_slot_pages_resume_after_their_cursor_when_the_repeated_hour_crosses_midnight() -> None:
    # Goose Bay, 7 November 2010: at 00:01 ADT (03:01 UTC) clocks went back to
    # 23:01 AST, so Saturday 23:01 to Sunday 00:01 was shown twice.
    clinic = cb.open("memory:", clock=cb.ManualClock(datetime(2010, 11, 1, tzinfo=UTC)))
    system = cb.Actor.system()
    doctor = clinic.add_practitioner(
        system,
        cb.NewPractitioner(
            name="Dr Goose", time_zone="America/Goose_Bay",
            availability=cb.Availability(
                weekly=[
                    cb.WeeklyHours(weekday=cb.Weekday.SATURDAY, start=time(23, 50), end=time(23, 59)),
                    cb.WeeklyHours(weekday=cb.Weekday.SUNDAY, start=time(0), end=time(0, 20)),
                ],
                slot_minutes=5,
            ),
        ),
    )
    visit = clinic.add_visit_type(
        system, cb.NewVisitType(code="quick", name="Quick", duration_minutes=5, horizon_days=3650),
    )
    expected = [datetime(2010, 11, 7, h, m, tzinfo=UTC) for h, m in [(2, 50), (2, 55), (3, 0), (4, 5), (4, 10), (4, 15)]]
    for limit in (1, 2, 3, 500):
        query = cb.SlotQuery(
            visit_type=visit.id, practitioners=[doctor.id], limit=limit,
            from_=datetime(2010, 11, 6, 12, tzinfo=UTC), to=datetime(2010, 11, 8, tzinfo=UTC),
        )
        assert all_starts(clinic, query) == expected, limit


def test_weekly_hours_that_overlap_are_refused_naming_the_later_window(w: World) -> None:
    monday = cb.Weekday.MONDAY
    overlapping = cb.Availability(
        weekly=[
            cb.WeeklyHours(weekday=monday, start=time(9), end=time(12)),
            cb.WeeklyHours(weekday=monday, start=time(12), end=time(13)),
            cb.WeeklyHours(weekday=monday, start=time(11), end=time(14), valid_from=date(2030, 2, 1)),
        ],
        exceptions=[cb.DateException(date=date(2030, 1, 7), extra_hours=cb.TimeWindow(time(8), time(10)))],
        slot_minutes=30,
    )
    with pytest.raises(cb.ValidationError) as refused:
        w.clinic.set_availability(w.system, w.doctor.id, 1, overlapping)
    assert [(f.field, f.code) for f in refused.value.fields] == [
        ("weekly[2]", "overlaps"),
        ("exceptions[0].extra_hours", "overlaps"),
    ]


def test_a_day_off_with_extra_hours_replaces_the_weekly_hours_of_that_date(w: World) -> None:
    replaced = cb.Availability(
        weekly=mondays_nine_to_five().weekly,
        exceptions=[
            cb.DateException(date=date(2030, 1, 7)),
            cb.DateException(date=date(2030, 1, 7), extra_hours=cb.TimeWindow(time(16), time(18))),
        ],
        slot_minutes=30,
    )
    w.clinic.set_availability(w.system, w.doctor.id, 1, replaced)
    assert [s.start for s in monday_slots(w, 20)] == [at(16), at(16, 30), at(17), at(17, 30)]


def test_a_booked_slot_is_no_longer_free(w: World) -> None:
    w.book(w.ann, at(9))
    assert monday_slots(w, 1).slots[0].start == at(9, 30)


# ------------------------------------------------------------------ booking


def test_booking_returns_a_booked_appointment_with_its_reminders(w: World) -> None:
    a = w.clinic.book_appointment(w.desk, w.booking(w.ann, at(10), room=w.room))
    assert a.status is cb.AppointmentStatus.BOOKED and a.version == 1
    assert (a.patient, a.practitioner, a.room, a.visit_type) == (w.ann.id, w.doctor.id, w.room.id, w.visit.id)
    assert (a.start, a.end) == (at(10), at(10, 30))
    assert [(r.offset_minutes, r.due_at, r.sent_at) for r in a.reminders] == [(1440, at(10) - timedelta(days=1), None)]
    assert a.cancellation is None and a.reschedules == [] and a.series is None
    assert w.clinic.get_appointment(w.desk, a.id) == a


def test_booking_can_be_proposed_first(w: World) -> None:
    booking = w.booking(w.ann, at(10))
    booking.status = cb.AppointmentStatus.PROPOSED
    proposed = w.clinic.book_appointment(w.desk, booking)
    assert proposed.status is cb.AppointmentStatus.PROPOSED
    booked = w.clinic.change_appointment_status(w.desk, proposed.id, 1, cb.AppointmentStatus.BOOKED)
    assert booked.status is cb.AppointmentStatus.BOOKED


def test_double_booking_raises_naming_the_first_appointment(w: World) -> None:
    first = w.book(w.ann, at(9))
    with pytest.raises(cb.DoubleBookingError) as taken:
        w.book(w.bob, at(9))
    assert taken.value.code == "double_booking"
    assert taken.value.appointment == first.id
    assert taken.value.resource == "practitioner"
    assert isinstance(taken.value, cb.CarebaseError)
    assert "Planner" not in str(taken.value)


def test_a_start_outside_hours_is_a_validation_error_on_start(w: World) -> None:
    with pytest.raises(cb.ValidationError) as invalid:
        w.book(w.ann, at(18))
    assert [(f.field, f.code) for f in invalid.value.fields] == [("start", "outside_hours")]


# --------------------------------------------------------- changing a visit


def test_reschedule_moves_the_visit_and_keeps_its_history(w: World) -> None:
    a = w.book(w.ann, at(9))
    moved = w.clinic.reschedule_appointment(w.desk, a.id, a.version, cb.RescheduleAppointment(start=at(14)))
    assert (moved.start, moved.end, moved.version) == (at(14), at(14, 30), 2)
    [history] = moved.reschedules
    assert (history.from_start, history.from_end, history.from_practitioner) == (at(9), at(9, 30), w.doctor.id)
    assert history.by == w.desk.id
    # the old time is free again
    assert w.book(w.bob, at(9)).start == at(9)


def test_reschedule_with_a_stale_version_is_a_conflict(w: World) -> None:
    a = w.book(w.ann, at(9))
    with pytest.raises(cb.ConflictError):
        w.clinic.reschedule_appointment(w.desk, a.id, a.version + 1, cb.RescheduleAppointment(start=at(14)))


def test_cancel_records_the_reason_and_is_not_late_well_ahead(w: World) -> None:
    a = w.book(w.ann, at(9))
    cancelled = w.clinic.cancel_appointment(w.desk, a.id, a.version, cb.CancelAppointment(reason=cb.CancellationReason.PAT, note="flu"))
    assert cancelled.status is cb.AppointmentStatus.CANCELLED
    c = cancelled.cancellation
    assert c is not None and (c.reason, c.note, c.late, c.by) == ("pat", "flu", False, w.desk.id)
    assert "flu" not in repr(c) and cancelled.reminders == []


def test_cancel_inside_the_late_window_is_flagged_late(w: World) -> None:
    a = w.book(w.ann, at(9))
    w.clock.set(at(9) - timedelta(hours=3))
    cancelled = w.clinic.cancel_appointment(w.desk, a.id, a.version, cb.CancelAppointment(reason=cb.CancellationReason.PAT))
    assert cancelled.cancellation is not None and cancelled.cancellation.late


def test_the_late_cancellation_window_is_a_setting() -> None:
    assert scheduling_world().clinic.settings().late_cancellation_window == timedelta(hours=24)
    w = scheduling_world(settings=cb.Settings(late_cancellation_window=timedelta(hours=2)))
    assert w.clinic.settings().late_cancellation_window == timedelta(hours=2)
    a = w.book(w.ann, at(9))
    w.clock.set(at(9) - timedelta(hours=3))
    cancelled = w.clinic.cancel_appointment(w.desk, a.id, a.version, cb.CancelAppointment(reason=cb.CancellationReason.PAT))
    assert cancelled.cancellation is not None and not cancelled.cancellation.late


def test_status_moves_along_the_life_cycle(w: World) -> None:
    a = w.book(w.ann, at(9))
    arrived = w.clinic.change_appointment_status(w.desk, a.id, 1, cb.AppointmentStatus.ARRIVED)
    done = w.clinic.change_appointment_status(w.desk, a.id, arrived.version, cb.AppointmentStatus.FULFILLED)
    assert (arrived.status, done.status, done.version) == (cb.AppointmentStatus.ARRIVED, cb.AppointmentStatus.FULFILLED, 3)


def test_a_status_jump_is_an_invalid_transition(w: World) -> None:
    a = w.book(w.ann, at(9))
    with pytest.raises(cb.ValidationError) as invalid:
        w.clinic.change_appointment_status(w.desk, a.id, 1, cb.AppointmentStatus.FULFILLED)
    [problem] = invalid.value.fields
    assert (problem.field, problem.code) == ("status", "invalid_transition")
    assert "booked to fulfilled" in problem.message
    assert w.clinic.get_appointment(w.desk, a.id).status is cb.AppointmentStatus.BOOKED


# ------------------------------------------------------------------- series


def test_a_series_is_booked_in_one_go(w: World) -> None:
    series = w.clinic.book_series(w.desk, w.booking(w.ann, at(10)), cb.Recurrence(every_weeks=1, count=3))
    assert [a.start for a in series] == [at(10, weeks=k) for k in range(3)]
    assert series[0].series is not None and {a.series for a in series} == {series[0].series}


def test_a_colliding_series_writes_nothing(w: World) -> None:
    w.book(w.bob, at(10, weeks=2))
    with pytest.raises(cb.ValidationError) as invalid:
        w.clinic.book_series(w.desk, w.booking(w.ann, at(10)), cb.Recurrence(every_weeks=1, count=3))
    assert [(f.field, f.code) for f in invalid.value.fields] == [("occurrences[2].start", "taken")]
    query = cb.AppointmentQuery(patient=w.ann.id, from_=at(0), to=at(0, weeks=5))
    assert w.clinic.list_appointments(w.desk, query) == []


# ------------------------------------------------------------------ reading


def test_list_appointments_of_a_patient_and_of_a_practitioner(w: World) -> None:
    ann1, bob1, ann2 = w.book(w.ann, at(9)), w.book(w.bob, at(10)), w.book(w.ann, at(9, weeks=1))
    mine = w.clinic.list_appointments(w.desk, cb.AppointmentQuery(patient=w.ann.id, from_=at(0), to=at(0, weeks=2)))
    assert [a.id for a in mine] == [ann1.id, ann2.id]
    schedule = w.clinic.list_appointments(
        w.desk, cb.AppointmentQuery(practitioner=w.doctor.id, from_=at(0), to=at(0, weeks=2))
    )
    assert [a.id for a in schedule] == [ann1.id, bob1.id, ann2.id]
    assert [row["status"] for row in schedule.to_dicts()] == ["booked"] * 3


def test_cancelled_visits_are_listed_only_when_asked(w: World) -> None:
    a = w.book(w.ann, at(9))
    w.clinic.cancel_appointment(w.desk, a.id, a.version, cb.CancelAppointment(reason=cb.CancellationReason.PAT))
    query = cb.AppointmentQuery(patient=w.ann.id, from_=at(0), to=at(24))
    assert w.clinic.list_appointments(w.desk, query) == []
    query.include_inactive = True
    listed = w.clinic.list_appointments(w.desk, query)
    assert [x.status for x in listed] == [cb.AppointmentStatus.CANCELLED]


# ------------------------------------------------------------------- access


def test_a_patient_books_their_own_visit(w: World) -> None:
    ann = cb.Actor.for_patient(w.ann.id)
    a = w.clinic.book_appointment(ann, w.booking(w.ann, at(9)))
    assert a.booked_by == ann.id
    cancelled = w.clinic.cancel_appointment(ann, a.id, a.version, cb.CancelAppointment(reason=cb.CancellationReason.PAT))
    assert cancelled.status is cb.AppointmentStatus.CANCELLED


def test_a_patient_cannot_book_or_cancel_for_another(w: World) -> None:
    ann = cb.Actor.for_patient(w.ann.id)
    with pytest.raises(cb.ForbiddenError) as denied:
        w.clinic.book_appointment(ann, w.booking(w.bob, at(9)))
    assert denied.value.reason is not None and denied.value.reason.permission is cb.Permission.APPOINTMENT_BOOK
    bobs = w.book(w.bob, at(9))
    with pytest.raises(cb.ForbiddenError):
        w.clinic.cancel_appointment(ann, bobs.id, bobs.version, cb.CancelAppointment(reason=cb.CancellationReason.PAT))


def test_a_practitioner_sees_their_own_schedule_only(w: World) -> None:
    a = w.book(w.ann, at(9))
    other = w.clinic.add_practitioner(w.system, cb.NewPractitioner(name="Dr Other", time_zone="Europe/Berlin"))
    me = cb.Actor.for_practitioner(w.doctor.id)
    own = w.clinic.list_appointments(me, cb.AppointmentQuery(practitioner=w.doctor.id, from_=at(0), to=at(24)))
    assert [x.id for x in own] == [a.id]
    with pytest.raises(cb.ForbiddenError) as denied:
        w.clinic.list_appointments(me, cb.AppointmentQuery(practitioner=other.id, from_=at(0), to=at(24)))
    assert denied.value.reason is not None and denied.value.reason.permission is cb.Permission.CALENDAR_READ
    decision = w.clinic.explain_access(me, cb.Permission.CALENDAR_READ)
    assert cb.Relationship.OWN_SCHEDULE in {step.relationship for step in decision.steps}


# ---------------------------------------------------------------- reminders


def test_due_reminders_are_sent_once(w: World) -> None:
    a = w.book(w.ann, at(9))
    due = w.clinic.due_reminders(w.system, at(0, weeks=-1), at(0, weeks=1), 10)
    assert [(r.appointment, r.patient, r.offset_minutes, r.due_at) for r in due] == [
        (a.id, w.ann.id, 1440, at(9) - timedelta(days=1))
    ]
    w.clinic.mark_reminder_sent(w.system, a.id, 1440)
    with pytest.raises(cb.ConflictError):
        w.clinic.mark_reminder_sent(w.system, a.id, 1440)
    assert w.clinic.due_reminders(w.system, at(0, weeks=-1), at(0, weeks=1), 10) == []
    [sent] = w.clinic.get_appointment(w.desk, a.id).reminders
    assert sent.sent_at is not None


def test_sending_reminders_needs_reminder_send(w: World) -> None:
    with pytest.raises(cb.ForbiddenError) as denied:
        w.clinic.due_reminders(w.desk, at(0), at(24), 10)
    assert denied.value.reason is not None and denied.value.reason.permission is cb.Permission.REMINDER_SEND


# ------------------------------------------------------------------- events


def test_appointment_changes_go_to_the_outbox(w: World) -> None:
    a = w.book(w.ann, at(9))
    a = w.clinic.reschedule_appointment(w.desk, a.id, a.version, cb.RescheduleAppointment(start=at(10)))
    a = w.clinic.change_appointment_status(w.desk, a.id, a.version, cb.AppointmentStatus.ARRIVED)
    b = w.book(w.bob, at(11))
    w.clinic.cancel_appointment(w.desk, b.id, b.version, cb.CancelAppointment(reason=cb.CancellationReason.PROV, note="private"))
    events = [e for e in w.clinic.poll_events(w.system, "calendar-sync", 100) if e.kind.startswith("appointment.")]
    # each patient's events in the order they happened (ordered per outbox partition)
    of_ann = [e for e in events if e.patient == w.ann.id]
    of_bob = [e for e in events if e.patient == w.bob.id]
    assert [e.kind for e in of_ann] == ["appointment.booked", "appointment.rescheduled", "appointment.status_changed"]
    assert [e.kind for e in of_bob] == ["appointment.booked", "appointment.cancelled"]
    assert len(events) == 5 and of_ann[0].payload["appointment_id"] == str(a.id)
    assert "private" not in str([e.payload for e in events])
    kinds = dict(cb.event_types())
    assert all(kinds[e.kind] == e.schema_version for e in events)
    assert of_bob[-1].schema_version == 2 and of_bob[-1].payload["reason"] == "prov"


# ------------------------------------------------------------------ FHIR R4

#: The HL7 example Appointment (read-only shared fixture).
FHIR_EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "fhir" / "r4-examples"


def fhir_example(name: str) -> Dict[str, Any]:
    resource: Dict[str, Any] = json.loads((FHIR_EXAMPLES / name).read_text(encoding="utf-8"))
    return resource


def fhir_references(w: World) -> Dict[str, str]:
    """Every Patient/Practitioner/Location reference of Appointment-example.json."""
    return {
        "Patient/example": str(w.ann.id),
        "Practitioner/example": str(w.doctor.id),
        "Location/1": str(w.room.id),
    }


def followup(w: World) -> cb.VisitType:
    """The visit type whose code matches the example's appointmentType FOLLOWUP."""
    return w.clinic.add_visit_type(
        w.system, cb.NewVisitType(code="followup", name="Follow-up", duration_minutes=30, horizon_days=60)
    )


def test_a_fhir_appointment_imports_with_its_participants_and_visit_type_by_code(w: World) -> None:
    visit = followup(w)
    a = w.clinic.import_appointment_fhir(
        w.system, fhir_example("Appointment-example.json"), references=fhir_references(w), migration=True
    )
    assert (a.patient, a.practitioner, a.room, a.visit_type) == (w.ann.id, w.doctor.id, w.room.id, visit.id)
    assert (a.status, a.start, a.end) == (
        cb.AppointmentStatus.BOOKED,
        datetime(2013, 12, 10, 9, 0, tzinfo=UTC),
        datetime(2013, 12, 10, 11, 0, tzinfo=UTC),
    )
    assert w.clinic.get_appointment(w.desk, a.id) == a


def test_an_imported_fhir_appointment_exports_unchanged_but_its_id(w: World) -> None:
    followup(w)
    original = fhir_example("Appointment-example.json")
    a = w.clinic.import_appointment_fhir(w.system, original, references=fhir_references(w), migration=True)
    exported = w.clinic.export_appointment_fhir(w.desk, a.id)
    assert exported == {**original, "id": str(a.id)}


def test_an_explicit_visit_type_wins_over_the_fhir_code(w: World) -> None:
    resource = fhir_example("Appointment-example.json")
    resource["appointmentType"]["coding"][0]["code"] = "ROUTINE"
    a = w.clinic.import_appointment_fhir(
        w.system, resource, visit_type=w.visit.id, references=fhir_references(w), migration=True
    )
    assert a.visit_type == w.visit.id


def test_a_fhir_appointment_without_start_is_a_validation_error_naming_start(w: World) -> None:
    followup(w)
    resource = fhir_example("Appointment-example.json")
    del resource["start"]
    with pytest.raises(cb.ValidationError) as invalid:
        w.clinic.import_appointment_fhir(w.desk, resource, references=fhir_references(w))
    assert "start" in [f.field for f in invalid.value.fields]
    assert w.clinic.list_appointments(w.desk, cb.AppointmentQuery(patient=w.ann.id, from_=at(0, weeks=-900), to=at(0))) == []


def test_a_practitioner_exports_as_a_fhir_schedule(w: World) -> None:
    schedule = w.clinic.export_schedule_fhir(w.desk, w.doctor.id)
    assert (schedule["resourceType"], schedule["id"]) == ("Schedule", str(w.doctor.id))
    assert schedule["actor"][0]["reference"] == f"Practitioner/{w.doctor.id}"


def test_free_slots_export_as_a_fhir_bundle_of_slots(w: World) -> None:
    query = cb.SlotQuery(visit_type=w.visit.id, practitioners=[w.doctor.id], from_=at(0), to=at(24), limit=3)
    page = w.clinic.find_free_slots(w.desk, query)
    bundle = w.clinic.export_free_slots_fhir(w.desk, query)
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "searchset")
    slots = [entry["resource"] for entry in bundle["entry"]]
    assert [s["resourceType"] for s in slots] == ["Slot"] * 3
    assert [s["start"] for s in slots] == [slot.start.strftime("%Y-%m-%dT%H:%M:%SZ") for slot in page.slots]
    assert bundle["link"] == [{"relation": "next", "url": f"?cursor={page.next_cursor}"}]


# ------------------------------------------------------------------- sqlite


def test_appointments_persist_in_a_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'schedule.db'}"
    w = scheduling_world(url)
    a = w.book(w.ann, at(9))
    again = cb.open(url, clock=w.clock)
    assert again.get_appointment(w.desk, a.id) == a
    assert [p.id for p in again.list_practitioners(w.desk)] == [w.doctor.id]
    with pytest.raises(cb.DoubleBookingError) as taken:
        again.book_appointment(w.desk, w.booking(w.bob, at(9)))
    assert taken.value.appointment == a.id
