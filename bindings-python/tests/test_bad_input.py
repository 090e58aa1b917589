"""Bad Python input at every entry point: wrong types, None, NaN, empty and
1 MB strings, invalid dates. Each ends in a typed error (TypeError or a
CarebaseError such as ValidationError), never a crash, hang or other error."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Dict, List, Tuple

import pytest

import carebase as cb
from conftest import details, settings

BIG = "x" * 1_000_000
NAN = math.nan


class Weird:
    pass


# Values of the wrong Python type for every argument kind.
NOT_ANYTHING: List[Any] = [Weird(), NAN, math.inf, b"bytes", {"a": 1}, {1, 2}]
NOT_STR: List[Any] = NOT_ANYTHING + [1, 3.5, True, ["a"], date(2020, 1, 1)]
NOT_INT: List[Any] = NOT_ANYTHING + ["1", 3.5, True, [1], date(2020, 1, 1)]
NOT_ID: List[Any] = NOT_ANYTHING + [1, 3.5, ["a"]]
# Right type, bad value: core must answer with a CarebaseError (or accept it).
ODD_STR: List[Any] = ["", " ", BIG, "\x00", "\ud800", "é" * 300, "2024-02-30"]
ODD_INT: List[Any] = [-1, 0, 2**31, 2**64, 2**200]
ODD_ID: List[Any] = ["", BIG, "not-a-uuid", "2024-02-30", "00000000-0000-0000-0000-000000000000"]
# JSON arguments (FHIR resources, reference maps).
NOT_JSON_OBJECT: List[Any] = [Weird(), NAN, b"bytes", {1, 2}, "x", 1, [], {"a": NAN}, {"a": [math.inf]}, {"a": Weird()}, {1: "a"}]
ODD_JSON_OBJECT: List[Any] = [{}, {"a": 1}, {"resourceType": "Patient"}, {"resourceType": "Appointment", "start": BIG},
                              {"resourceType": "Appointment", "participant": [None] * 1000}, {"a": 2**200}]
NOT_STR_MAP: List[Any] = NOT_ANYTHING + ["x", 1, [("a", "b")], {1: "a"}, {"a": None}, {"a": 1}]
ODD_STR_MAP: List[Any] = [{}, {"": ""}, {"Patient/example": "not-a-uuid"}, {BIG: BIG}]
UTC = timezone.utc
NOT_INSTANT: List[Any] = NOT_ANYTHING + ["2030-01-07T08:00:00Z", 1, date(2030, 1, 7), datetime(2030, 1, 7)]
ODD_INSTANT: List[Any] = [datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC)]
#: Monday 2030-01-07 09:00 Berlin: the practitioner of ``world`` works then.
MONDAY_NINE = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)

KINDS: Dict[str, Tuple[List[Any], List[Any]]] = {
    "str": (NOT_STR, ODD_STR),
    "int": (NOT_INT, ODD_INT),
    "id": (NOT_ID, ODD_ID),
    "opt_str": (NOT_STR, ODD_STR),
    "opt_int": (NOT_INT, ODD_INT),
    "opt_id": (NOT_ID, ODD_ID),
    "actor": (NOT_ANYTHING + ["admin", 1, [cb.Role.ADMIN]], []),
    "details": (NOT_ANYTHING + ["x", 1, [], cb.PatientQuery()], []),
    "query": (NOT_ANYTHING + ["x", 1, cb.PatientDetails()], []),
    "audit_query": (NOT_ANYTHING + ["x", 1, cb.PatientQuery()], []),
    "policy": (NOT_ANYTHING + ["version = 1", 1, None], []),
    "permission": (NOT_STR, ODD_STR + ["patient.fly"]),
    "timedelta": (NOT_ANYTHING + [3600, "1h", 3.5], [timedelta(0), timedelta(days=-1), timedelta.max, timedelta.min]),
    "instant": (NOT_INSTANT, ODD_INSTANT),
    "status": (NOT_STR, ODD_STR + ["done", "cancelled"]),
    "record": (NOT_ANYTHING + ["x", 1, [], cb.PatientDetails()], []),
    "json": (NOT_JSON_OBJECT, ODD_JSON_OBJECT),
    "opt_str_map": (NOT_STR_MAP, ODD_STR_MAP),
    "int_list": (NOT_ANYTHING + ["x", 1, ["a"], [1.5], [None], [[1]]], [[], [-1], [2**64], [0] * 17, [0] * 100_000]),
}
REQUIRED = {"int_list", "str", "int", "id", "actor", "details", "permission", "policy", "instant", "status", "record", "json"}


def outcome(fn: Callable[[], Any]) -> str:
    try:
        fn()
    except TypeError:
        return "type"
    except cb.CarebaseError:
        return "core"
    return "ok"


@pytest.fixture(scope="module")
def world() -> Dict[str, Any]:
    clinic = cb.open("memory:", settings=settings())
    desk = cb.Actor.new(cb.Role.FRONT_DESK)
    system = cb.Actor.system()
    doctor = cb.Actor.for_practitioner(cb.new_id())
    p = clinic.register_patient(desk, details("Bad", "Input"))
    q = clinic.register_patient(desk, details("Bad", "Inputs"))
    merge = clinic.merge_patients(system, p.id, p.version, q.id, q.version)
    grant = clinic.request_emergency_access(doctor, p.id, "why")
    dr = clinic.add_practitioner(
        system,
        cb.NewPractitioner(
            name="Dr Bad",
            time_zone="Europe/Berlin",
            availability=cb.Availability(weekly=[cb.WeeklyHours(weekday=cb.Weekday.MONDAY, start=time(9), end=time(17))]),
        ),
    )
    visit = clinic.add_visit_type(system, cb.NewVisitType(code="v", name="V", duration_minutes=15, horizon_days=3650))
    booking = cb.BookAppointment(patient=p.id, practitioner=dr.id, visit_type=visit.id, start=MONDAY_NINE)
    appointment = clinic.book_appointment(desk, booking)
    return dict(
        clinic=clinic, desk=desk, system=system, doctor=doctor, p=p, merge=merge, grant=grant,
        dr=dr, visit=visit, booking=booking, appointment=appointment,
    )


EntryPoint = Tuple[str, Callable[..., Any], Dict[str, Any], Dict[str, str]]


def entry_points(w: Dict[str, Any]) -> List[EntryPoint]:
    c: cb.Clinic = w["clinic"]
    s, desk, p = w["system"], w["desk"], w["p"]
    pid = p.id
    patients: List[EntryPoint] = [
        ("register_patient", c.register_patient, dict(actor=desk, details=details("A", "B"), mrn_facility="north"),
         dict(actor="actor", details="details", mrn_facility="opt_str")),
        ("get_patient", c.get_patient, dict(actor=desk, id=pid), dict(actor="actor", id="id")),
        ("update_patient", c.update_patient, dict(actor=desk, id=pid, expected_version=99, details=details("A", "B")),
         dict(actor="actor", id="id", expected_version="int", details="details")),
        ("deactivate_patient", c.deactivate_patient, dict(actor=desk, id=pid, expected_version=99),
         dict(actor="actor", id="id", expected_version="int")),
        ("reactivate_patient", c.reactivate_patient, dict(actor=desk, id=pid, expected_version=99),
         dict(actor="actor", id="id", expected_version="int")),
        ("search_patients", c.search_patients, dict(actor=desk, query=cb.PatientQuery(name="bad")), dict(actor="actor", query="query")),
        ("generate_mrn", c.generate_mrn, dict(actor=desk, facility="north"), dict(actor="actor", facility="str")),
        ("find_duplicates", c.find_duplicates, dict(actor=s, id=pid, limit=5), dict(actor="actor", id="id", limit="int")),
        ("merge_patients", c.merge_patients, dict(actor=s, survivor=pid, survivor_version=99, merged=cb.new_id(), merged_version=1),
         dict(actor="actor", survivor="id", survivor_version="int", merged="id", merged_version="int")),
        ("unmerge_patients", c.unmerge_patients, dict(actor=s, merge_id=cb.new_id()), dict(actor="actor", merge_id="id")),
        ("merge_history", c.merge_history, dict(actor=s, patient=pid), dict(actor="actor", patient="id")),
        ("assign_care_team", c.assign_care_team, dict(actor=s, patient=cb.new_id(), practitioner=cb.new_id()),
         dict(actor="actor", patient="id", practitioner="id")),
        ("remove_care_team", c.remove_care_team, dict(actor=s, patient=cb.new_id(), practitioner=cb.new_id()),
         dict(actor="actor", patient="id", practitioner="id")),
        ("care_team", c.care_team, dict(actor=s, patient=pid), dict(actor="actor", patient="id")),
        ("explain_access", c.explain_access, dict(actor=s, permission=cb.Permission.PATIENT_READ, patient=pid),
         dict(actor="actor", permission="permission", patient="opt_id")),
        ("request_emergency_access", c.request_emergency_access, dict(actor=w["doctor"], patient=pid, reason="r", duration=timedelta(minutes=1)),
         dict(actor="actor", patient="id", reason="str", duration="timedelta")),
        ("grants_awaiting_review", c.grants_awaiting_review, dict(actor=s, limit=5), dict(actor="actor", limit="int")),
        ("review_emergency_access", c.review_emergency_access, dict(actor=s, grant=cb.new_id(), note="n"),
         dict(actor="actor", grant="id", note="opt_str")),
        ("audit_log", c.audit_log, dict(actor=s, query=cb.AuditQuery(limit=1)), dict(actor="actor", query="audit_query")),
        ("verify_audit", c.verify_audit, dict(actor=desk), dict(actor="actor")),
        ("who_accessed", c.who_accessed, dict(actor=s, patient=pid, limit=5), dict(actor="actor", patient="id", limit="opt_int")),
        ("poll_events", c.poll_events, dict(actor=s, consumer="bad-input", limit=1), dict(actor="actor", consumer="str", limit="int")),
        ("events_after", c.events_after, dict(actor=s, after=[], limit=1), dict(actor="actor", after="int_list", limit="int")),
        ("ack_events", c.ack_events, dict(actor=s, consumer="bad-input", partition=0, seq=0),
         dict(actor="actor", consumer="str", partition="int", seq="int")),
        ("replace_policy", c.replace_policy, dict(actor=desk, policy=cb.Policy.default()), dict(actor="actor", policy="policy")),
    ]
    return patients + scheduling_entry_points(w)


def scheduling_entry_points(w: Dict[str, Any]) -> List[EntryPoint]:
    c: cb.Clinic = w["clinic"]
    s, desk, dr, visit = w["system"], w["desk"], w["dr"].id, w["visit"].id
    appt = w["appointment"].id
    later = MONDAY_NINE + timedelta(hours=1)
    slots = cb.SlotQuery(visit_type=visit, practitioners=[dr], from_=MONDAY_NINE, to=later)
    schedule = cb.AppointmentQuery(practitioner=dr, from_=MONDAY_NINE, to=later)
    return [
        ("add_practitioner", c.add_practitioner, dict(actor=s, practitioner=cb.NewPractitioner(name="Dr", time_zone="UTC")),
         dict(actor="actor", practitioner="record")),
        ("set_availability", c.set_availability, dict(actor=s, practitioner=dr, expected_version=99, availability=cb.Availability()),
         dict(actor="actor", practitioner="id", expected_version="int", availability="record")),
        ("get_practitioner", c.get_practitioner, dict(actor=desk, id=dr), dict(actor="actor", id="id")),
        ("list_practitioners", c.list_practitioners, dict(actor=desk), dict(actor="actor")),
        ("add_resource", c.add_resource, dict(actor=s, resource=cb.NewResource(kind=cb.ResourceKind.ROOM, name="R", time_zone="UTC")),
         dict(actor="actor", resource="record")),
        ("list_resources", c.list_resources, dict(actor=desk), dict(actor="actor")),
        ("add_visit_type", c.add_visit_type, dict(actor=s, visit_type=cb.NewVisitType(code="c", name="C", duration_minutes=5, horizon_days=1)),
         dict(actor="actor", visit_type="record")),
        ("list_visit_types", c.list_visit_types, dict(actor=desk), dict(actor="actor")),
        ("find_free_slots", c.find_free_slots, dict(actor=desk, query=slots), dict(actor="actor", query="record")),
        ("book_appointment", c.book_appointment, dict(actor=desk, booking=w["booking"]), dict(actor="actor", booking="record")),
        ("book_series", c.book_series, dict(actor=desk, first=w["booking"], recurrence=cb.Recurrence(every_weeks=1, count=2)),
         dict(actor="actor", first="record", recurrence="record")),
        ("get_appointment", c.get_appointment, dict(actor=desk, id=appt), dict(actor="actor", id="id")),
        ("reschedule_appointment", c.reschedule_appointment,
         dict(actor=desk, id=appt, expected_version=99, change=cb.RescheduleAppointment(start=later)),
         dict(actor="actor", id="id", expected_version="int", change="record")),
        ("cancel_appointment", c.cancel_appointment, dict(actor=desk, id=appt, expected_version=99, cancel=cb.CancelAppointment(reason=cb.CancellationReason.PAT)),
         dict(actor="actor", id="id", expected_version="int", cancel="record")),
        ("change_appointment_status", c.change_appointment_status,
         dict(actor=desk, id=appt, expected_version=99, status=cb.AppointmentStatus.ARRIVED),
         dict(actor="actor", id="id", expected_version="int", status="status")),
        ("list_appointments", c.list_appointments, dict(actor=desk, query=schedule), dict(actor="actor", query="record")),
        ("due_reminders", c.due_reminders, dict(actor=s, from_=MONDAY_NINE, to=later, limit=5),
         dict(actor="actor", from_="instant", to="instant", limit="int")),
        ("mark_reminder_sent", c.mark_reminder_sent, dict(actor=s, appointment=appt, offset_minutes=1440),
         dict(actor="actor", appointment="id", offset_minutes="int")),
        ("export_appointment_fhir", c.export_appointment_fhir, dict(actor=desk, id=appt), dict(actor="actor", id="id")),
        # unknown practitioner: every import here is refused, the world stays as it is
        ("import_appointment_fhir", c.import_appointment_fhir,
         dict(actor=desk, resource=fhir_appointment(), visit_type=visit,
              references={"Patient/p": str(w["p"].id), "Practitioner/d": str(cb.new_id())}),
         dict(actor="actor", resource="json", visit_type="opt_id", references="opt_str_map")),
        ("export_schedule_fhir", c.export_schedule_fhir, dict(actor=desk, practitioner=dr), dict(actor="actor", practitioner="id")),
        ("export_free_slots_fhir", c.export_free_slots_fhir, dict(actor=desk, query=slots), dict(actor="actor", query="record")),
    ]


def fhir_appointment() -> Dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "start": "2030-01-07T08:00:00Z",
        "end": "2030-01-07T08:15:00Z",
        "participant": [
            {"actor": {"reference": "Patient/p"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/d"}, "status": "accepted"},
        ],
    }


def test_every_entry_point_rejects_bad_arguments(world: Dict[str, Any]) -> None:
    checked = 0
    for name, fn, good, kinds in entry_points(world):
        for arg, kind in kinds.items():
            wrong, odd = KINDS[kind]
            for value in wrong + ([None] if kind in REQUIRED else []):
                got = outcome(lambda: fn(**{**good, arg: value}))
                assert got in ("type", "core"), (name, arg, type(value).__name__, got)
                checked += 1
            for value in odd:
                got = outcome(lambda: fn(**{**good, arg: value}))
                assert got in ("core", "ok"), (name, arg, type(value).__name__, got)
                checked += 1
        with pytest.raises(TypeError):
            fn(**good, unexpected=1)
        with pytest.raises(TypeError):
            fn()
    assert checked > 500


def bad_details() -> List[cb.PatientDetails]:
    d = cb.PatientDetails
    name = [cb.HumanName(family="A")]
    return [
        d(names=[cb.HumanName(family=123)]),  # type: ignore[arg-type]
        d(names=[cb.HumanName(given="José")]),  # type: ignore[arg-type]
        d(names=[cb.HumanName(family=None, given=[None])]),  # type: ignore[list-item]
        d(names=name, birth_date="1984-13-45"),  # type: ignore[arg-type]
        d(names=name, birth_date=datetime(1984, 1, 1)),
        d(names=name, birth_date=NAN),  # type: ignore[arg-type]
        d(names=name, deceased=True, deceased_at=datetime(2020, 1, 1)),  # naive
        d(names=name, gender="robot"),  # type: ignore[arg-type]
        d(names=name, gender=cb.Role.ADMIN),  # type: ignore[arg-type]
        d(names=name, telecom=[cb.ContactPoint(system="fax", value="1")]),  # type: ignore[arg-type]
        d(names=name, telecom=[cb.ContactPoint(system=cb.ContactSystem.PHONE, value=BIG)]),
        d(names=name, identifiers=[cb.Identifier(system="", value="")]),
        d(names=name, identifiers=[cb.Identifier(system=BIG, value=BIG)]),
        d(names=name, addresses=[cb.Address(lines=[BIG], postal_code="")]),
        d(names=name, language=""),
        d(names=name, emergency_contacts=[cb.EmergencyContact(relationship="", name=cb.HumanName())]),
        d(names=name, emergency_contacts=[cb.EmergencyContact(relationship="x", name=None)]),  # type: ignore[arg-type]
        d(names=name, deceased=NAN),  # type: ignore[arg-type]
        d(names=name, deceased="yes"),  # type: ignore[arg-type]
        d(names=[cb.HumanName(family=BIG, given=[BIG] * 3)]),
        d(names=name, birth_date=date(9999, 12, 31)),
        d(names=name, birth_date=date(1, 1, 1), deceased=True, deceased_at=datetime.max.replace(tzinfo=cb_utc())),
    ]


def cb_utc() -> Any:
    from datetime import timezone

    return timezone.utc


def test_bad_nested_values_are_typed_errors(world: Dict[str, Any]) -> None:
    c, desk = world["clinic"], world["desk"]
    for i, bad in enumerate(bad_details()):
        got = outcome(lambda: c.register_patient(desk, bad))
        assert got in ("type", "core"), (i, got)
    queries = [
        cb.PatientQuery(limit=NAN),  # type: ignore[arg-type]
        cb.PatientQuery(limit=-1),
        cb.PatientQuery(limit=10**30),
        cb.PatientQuery(birth_date="1984-07-01"),  # type: ignore[arg-type]
        cb.PatientQuery(name=""),
        cb.PatientQuery(name=BIG),
        cb.PatientQuery(phone="x", email="y"),
        cb.PatientQuery(cursor=BIG),
        cb.PatientQuery(gender="robot"),  # type: ignore[arg-type]
        cb.PatientQuery(active="yes"),  # type: ignore[arg-type]
    ]
    for i, q in enumerate(queries):
        assert outcome(lambda: c.search_patients(desk, q)) in ("type", "core"), i
    audit = [
        cb.AuditQuery(patient="not-a-uuid"),  # type: ignore[arg-type]
        cb.AuditQuery(limit=0),
        cb.AuditQuery(limit=NAN),  # type: ignore[arg-type]
        cb.AuditQuery(after=123),  # type: ignore[arg-type]
    ]
    for i, a in enumerate(audit):
        assert outcome(lambda: c.audit_log(world["system"], a)) in ("type", "core"), i
    actors = [
        cb.Actor(id="not-a-uuid", roles=[cb.Role.ADMIN]),  # type: ignore[arg-type]
        cb.Actor(id=cb.new_id(), roles=["pilot"]),  # type: ignore[list-item]
        cb.Actor(id=cb.new_id(), roles="admin"),  # type: ignore[arg-type]
        cb.Actor(id=cb.new_id(), roles=[None]),  # type: ignore[list-item]
        cb.Actor(id=None, roles=[]),  # type: ignore[arg-type]
        cb.Actor(id=cb.new_id(), roles=[], practitioner=NAN),  # type: ignore[arg-type]
    ]
    for i, who in enumerate(actors):
        assert outcome(lambda: c.get_patient(who, world["p"].id)) in ("type", "core"), i


def bad_scheduling_records(w: Dict[str, Any]) -> List[Tuple[str, Any]]:
    dr, visit, booking = w["dr"].id, w["visit"].id, w["booking"]
    hours = cb.WeeklyHours
    monday = cb.Weekday.MONDAY
    avail = cb.Availability
    berlin = timezone(timedelta(hours=1))
    return [
        ("practitioner", cb.NewPractitioner(name="", time_zone="Mars/Olympus")),
        ("practitioner", cb.NewPractitioner(name=BIG, time_zone=BIG)),
        ("practitioner", cb.NewPractitioner(name="X", time_zone="UTC", id="not-a-uuid")),  # type: ignore[arg-type]
        ("availability", avail(weekly=[hours(weekday=monday, start="09:00", end=time(17))])),  # type: ignore[arg-type]
        ("availability", avail(weekly=[hours(weekday=monday, start=time(9, tzinfo=berlin), end=time(17))])),
        ("availability", avail(weekly=[hours(weekday=monday, start=time(17), end=time(9))])),
        ("availability", avail(weekly=[hours(weekday="funday", start=time(9), end=time(17))])),  # type: ignore[arg-type]
        ("availability", avail(weekly=[hours(weekday=monday, start=time(9), end=time(17), valid_from=datetime(2030, 1, 1))])),
        ("availability", avail(exceptions=[cb.DateException(date=date(2030, 1, 1), extra_hours=cb.TimeWindow(time(12), time(11)))])),
        ("availability", avail(time_off=[cb.TimeOff(start=datetime(2030, 1, 2), end=datetime(2030, 1, 1))])),  # naive
        ("availability", avail(time_off=[cb.TimeOff(start=MONDAY_NINE, end=MONDAY_NINE - timedelta(days=1), reason=BIG)])),
        ("availability", avail(slot_minutes=0)),
        ("availability", avail(slot_minutes=NAN)),  # type: ignore[arg-type]
        ("availability", avail(max_per_day=-1)),
        ("visit_type", cb.NewVisitType(code="", name="", duration_minutes=0, horizon_days=0)),
        ("visit_type", cb.NewVisitType(code="x", name="x", duration_minutes=2**40, horizon_days=2**40)),
        ("visit_type", cb.NewVisitType(code="x", name="x", duration_minutes=30, horizon_days=1, reminder_offsets_minutes=[-1])),
        ("visit_type", cb.NewVisitType(code="x", name="x", duration_minutes=NAN, horizon_days=1)),  # type: ignore[arg-type]
        ("resource", cb.NewResource(kind="closet", name="x", time_zone="UTC")),  # type: ignore[arg-type]
        ("resource", cb.NewResource(kind=cb.ResourceKind.EQUIPMENT, name="", time_zone="Nowhere")),
        ("slots", cb.SlotQuery(visit_type=visit, practitioners=[], from_=MONDAY_NINE, to=MONDAY_NINE)),
        ("slots", cb.SlotQuery(visit_type=visit, practitioners=[dr], from_=MONDAY_NINE, to=MONDAY_NINE + timedelta(days=400))),
        ("slots", cb.SlotQuery(visit_type=visit, practitioners=[dr], from_=MONDAY_NINE, to=MONDAY_NINE - timedelta(days=1))),
        ("slots", cb.SlotQuery(visit_type=visit, practitioners=[dr], from_=MONDAY_NINE, to=MONDAY_NINE, limit=0, cursor=BIG)),
        ("slots", cb.SlotQuery(visit_type=visit, practitioners=[dr], from_=datetime.min.replace(tzinfo=UTC), to=datetime.max.replace(tzinfo=UTC))),
        ("slots", cb.SlotQuery(visit_type=visit, practitioners=["x"], from_=MONDAY_NINE, to=MONDAY_NINE)),  # type: ignore[list-item]
        ("booking", cb.BookAppointment(patient=booking.patient, practitioner=dr, visit_type=visit, start=datetime(2030, 1, 7))),
        ("booking", cb.BookAppointment(patient=booking.patient, practitioner=dr, visit_type=visit, start=MONDAY_NINE, note=BIG)),
        ("booking", cb.BookAppointment(patient=booking.patient, practitioner=dr, visit_type=visit, start=datetime.max.replace(tzinfo=UTC))),
        ("booking", cb.BookAppointment(patient=booking.patient, practitioner=dr, visit_type=visit, start=MONDAY_NINE,
                                       status=cb.AppointmentStatus.FULFILLED)),
        ("series", cb.Recurrence(every_weeks=0)),
        ("series", cb.Recurrence(every_weeks=1)),
        ("series", cb.Recurrence(every_weeks=1, count=100_000)),
        ("series", cb.Recurrence(every_weeks=2**31, count=3)),
        ("series", cb.Recurrence(every_weeks=1, until=date(9999, 12, 31))),
        ("series", cb.Recurrence(every_weeks=1, until=MONDAY_NINE)),
        ("query", cb.AppointmentQuery(from_=MONDAY_NINE, to=MONDAY_NINE)),
        ("query", cb.AppointmentQuery(practitioner=dr, from_=MONDAY_NINE, to=MONDAY_NINE, limit=0)),
        ("cancel", cb.CancelAppointment(reason="", note=BIG)),  # type: ignore[arg-type]
        ("cancel", cb.CancelAppointment(reason=BIG)),  # type: ignore[arg-type]
        ("cancel", cb.CancelAppointment(reason=cb.CancellationReason.PAT, note=BIG)),
        ("reschedule", cb.RescheduleAppointment(start=datetime(2030, 1, 7))),
        ("reschedule", cb.RescheduleAppointment(start=datetime.max.replace(tzinfo=UTC), room=cb.new_id())),
    ]


def test_bad_scheduling_values_are_typed_errors(world: Dict[str, Any]) -> None:
    c: cb.Clinic = world["clinic"]
    s, desk, appt = world["system"], world["desk"], world["appointment"]
    calls: Dict[str, Callable[[Any], Any]] = {
        "practitioner": lambda r: c.add_practitioner(s, r),
        "availability": lambda r: c.set_availability(s, world["dr"].id, 1, r),
        "visit_type": lambda r: c.add_visit_type(s, r),
        "resource": lambda r: c.add_resource(s, r),
        "slots": lambda r: c.find_free_slots(desk, r),
        "booking": lambda r: c.book_appointment(desk, r),
        "series": lambda r: c.book_series(desk, world["booking"], r),
        "query": lambda r: c.list_appointments(desk, r),
        "cancel": lambda r: c.cancel_appointment(desk, appt.id, appt.version, r),
        "reschedule": lambda r: c.reschedule_appointment(desk, appt.id, appt.version, r),
    }
    for i, (kind, record) in enumerate(bad_scheduling_records(world)):
        assert outcome(lambda: calls[kind](record)) in ("type", "core"), (i, kind)
    assert c.get_appointment(desk, appt.id) == appt  # nothing above changed it
    # the widest range is a valid (if large) question, not a crash
    everything = cb.AppointmentQuery(practitioner=world["dr"].id, from_=datetime.min.replace(tzinfo=UTC), to=datetime.max.replace(tzinfo=UTC))
    assert [a.id for a in c.list_appointments(desk, everything)] == [appt.id]


def test_bad_configuration_is_a_typed_error() -> None:
    not_urls: List[Any] = [None, 1, NAN, b"memory:"]
    for bad in not_urls:
        assert outcome(lambda: cb.open(bad)) == "type"
    for url in ["", BIG, "sqlite://", "memory", "\x00"]:
        assert outcome(lambda: cb.open(url)) == "core", url
    bad_settings: List[Any] = [
        "x",
        cb.Settings(mrn_namespaces=[cb.MrnNamespace(facility="f", system="s", digits=-1)]),
        cb.Settings(mrn_namespaces=[cb.MrnNamespace(facility="f", system="s", digits=NAN)]),  # type: ignore[arg-type]
        cb.Settings(identifier_systems=[cb.IdentifierSystem(system="s", check_digit="crc")]),  # type: ignore[arg-type]
        cb.Settings(break_glass_default=timedelta.max),
        cb.Settings(break_glass_max=3600),  # type: ignore[arg-type]
        cb.Settings(late_cancellation_window=3600),  # type: ignore[arg-type]
        cb.Settings(late_cancellation_window=timedelta.max),
    ]
    for s in bad_settings:
        assert outcome(lambda: cb.open("memory:", settings=s)) in ("type", "core")
    assert outcome(lambda: cb.open("memory:", policy="version = 1")) == "type"  # type: ignore[arg-type]
    assert outcome(lambda: cb.open("memory:", clock="now")) == "type"  # type: ignore[arg-type]
    not_texts: List[Any] = [None, 1, NAN]
    for bad in not_texts:
        assert outcome(lambda: cb.Policy.from_toml(bad)) == "type"
        assert outcome(lambda: cb.Policy.from_json(bad)) == "type"
    for text in ["", BIG, "\x00", "[[rules]]", '{"version": 1, "rules": []}', "nan = nan"]:
        assert outcome(lambda: cb.Policy.from_toml(text)) == "core"
        assert outcome(lambda: cb.Policy.from_json(text)) == "core"
    assert outcome(lambda: cb.ManualClock(datetime(2020, 1, 1))) == "type"  # naive
    assert outcome(lambda: cb.ManualClock("2020-01-01")) == "type"  # type: ignore[arg-type]
    clock = cb.ManualClock(datetime(2020, 1, 1, tzinfo=cb_utc()))
    assert outcome(lambda: clock.advance(3600)) == "type"  # type: ignore[arg-type]
    assert outcome(lambda: clock.advance(timedelta.max)) in ("core", "ok")
    assert outcome(lambda: cb.event_schema(None, 1)) == "type"  # type: ignore[arg-type]


def test_a_duration_past_the_calendar_is_a_validation_error_not_a_crash(world: Dict[str, Any]) -> None:
    big = timedelta(days=100_000_000)
    c = cb.open("memory:")
    p = c.register_patient(cb.Actor.new(cb.Role.FRONT_DESK), details("Big", "Span"))
    with pytest.raises(cb.ValidationError) as raised:
        c.request_emergency_access(cb.Actor.for_practitioner(cb.new_id()), p.id, "x", big)
    assert [f.field for f in raised.value.fields] == ["duration"]
    clock = cb.ManualClock(datetime(2020, 1, 1, tzinfo=cb_utc()))
    clock.advance(big)  # saturates at the calendar's end instead of panicking
    # the clinic still works afterwards
    assert c.get_patient(cb.Actor.new(cb.Role.FRONT_DESK), p.id).id == p.id


def test_a_record_takes_only_the_members_core_declares() -> None:
    # Python cannot hand core an unknown member: a dataclass refuses it
    # first, as core would (unknown_field).
    with pytest.raises(TypeError):
        cb.HumanName(family="Use", use="official")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        cb.Settings(break_glass_default_minutes=30)  # type: ignore[call-arg]
