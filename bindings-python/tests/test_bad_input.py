"""Bad Python input at every entry point: wrong types, None, NaN, empty and
1 MB strings, invalid dates. Each ends in a typed error (TypeError or a
CarebaseError such as ValidationError), never a crash, hang or other error."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
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
}
REQUIRED = {"str", "int", "id", "actor", "details", "permission", "policy"}


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
    return dict(clinic=clinic, desk=desk, system=system, doctor=doctor, p=p, merge=merge, grant=grant)


def entry_points(w: Dict[str, Any]) -> List[Tuple[str, Callable[..., Any], Dict[str, Any], Dict[str, str]]]:
    c: cb.Clinic = w["clinic"]
    s, desk, p = w["system"], w["desk"], w["p"]
    pid = p.id
    return [
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
        ("events_after", c.events_after, dict(actor=s, after=0, limit=1), dict(actor="actor", after="int", limit="int")),
        ("ack_events", c.ack_events, dict(actor=s, consumer="bad-input", seq=0), dict(actor="actor", consumer="str", seq="int")),
        ("replace_policy", c.replace_policy, dict(actor=desk, policy=cb.Policy.default()), dict(actor="actor", policy="policy")),
    ]


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
    c = cb.open("memory:", settings=cb.Settings(break_glass_max=big))
    p = c.register_patient(cb.Actor.new(cb.Role.FRONT_DESK), details("Big", "Span"))
    with pytest.raises(cb.ValidationError) as raised:
        c.request_emergency_access(cb.Actor.for_practitioner(cb.new_id()), p.id, "x", big)
    assert [f.field for f in raised.value.fields] == ["duration"]
    clock = cb.ManualClock(datetime(2020, 1, 1, tzinfo=cb_utc()))
    clock.advance(big)  # saturates at the calendar's end instead of panicking
    # the clinic still works afterwards
    assert c.get_patient(cb.Actor.new(cb.Role.FRONT_DESK), p.id).id == p.id
