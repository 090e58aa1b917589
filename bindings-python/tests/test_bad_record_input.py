"""Bad input to every health-record operation (test_bad_input.py's table,
for the record): each row hands one operation one value Python's types let
through and core refuses, and asserts core's stable answer, the error's
code and the field it names (for `not_found`, the field and the entity).
The rules are core's (core/tests/record_*.rs); the same rows run in Node
(errors.test.mjs) and Kotlin (BadRecordInputTest.kt)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, List, Tuple
from uuid import UUID

import pytest

import carebase as cb
from test_scheduling import MONDAY_NINE, scheduling_world

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
ELSEWHERE = "0190a000-0000-7000-8000-0000000000ff"


@dataclass
class Chart:
    clinic: cb.Clinic
    desk: cb.Actor
    login: cb.Actor
    doctor: UUID
    patient: UUID
    weight: UUID
    visit: UUID
    appointment: UUID
    at: datetime


def weight(unit: str = "kg") -> cb.Observation:
    return cb.Observation(
        code=cb.Coding(system=LOINC, code="29463-7"),
        category=cb.ObservationCategory.VITAL_SIGNS,
        status=cb.ObservationStatus.FINAL,
        value=cb.ObservationValue(type=cb.ObservationValueType.QUANTITY, value=Decimal("70"), unit=unit),
    )


def weight_body(unit: str = "kg") -> cb.EntryBody:
    return cb.EntryBody(kind=cb.EntryBodyKind.OBSERVATION, observation=weight(unit))


def snomed(code: str) -> cb.Coding:
    return cb.Coding(system=SNOMED, code=code)


def prescription(refills: int = 0, doctor: Any = None) -> cb.Prescription:
    return cb.Prescription(
        medication=cb.Coding(system=RXNORM, code="308182"), prescriber=doctor,
        status=cb.PrescriptionStatus.ACTIVE, refills=refills,
    )


@pytest.fixture(scope="module")
def chart() -> Chart:
    w = scheduling_world()
    admin = cb.Actor.new(cb.Role.ADMIN)
    w.clinic.assign_care_team(admin, w.ann.id, w.doctor.id)
    login = cb.Actor.for_practitioner(w.doctor.id)
    at = w.clock.now() - timedelta(hours=1)
    entry = w.clinic.record_entry(login, w.ann.id, cb.NewEntry(effective_at=at, body=weight_body()))
    visit = w.clinic.start_encounter(
        login, w.ann.id,
        cb.NewEncounter(class_=cb.EncounterClass.AMBULATORY, status=cb.EncounterStatus.IN_PROGRESS, started_at=at),
    )
    booking = cb.BookAppointment(patient=w.ann.id, practitioner=w.doctor.id, visit_type=w.visit.id, start=MONDAY_NINE)
    appointment = w.clinic.book_appointment(w.desk, booking)
    return Chart(w.clinic, w.desk, login, w.doctor.id, w.ann.id, entry.id, visit.id, appointment.id, at)


#: (operation, the call with one bad value, error code, field, field code or entity)
Row = Tuple[str, Callable[[], Any], str, str, str]


def rows(ch: Chart) -> List[Row]:
    c, who, p, at = ch.clinic, ch.login, ch.patient, ch.at
    e, enc = ch.weight, ch.visit
    return [
        ("record_entry", lambda: c.record_entry(who, p, cb.NewEntry(effective_at=at, body=weight_body("cm"))),
         "validation", "body.value.unit", "invalid_unit"),
        ("change_entry_status", lambda: c.change_entry_status(who, p, e, 1, "maybe"), "validation", "status", "unknown_code"),
        ("amend_entry", lambda: c.amend_entry(who, p, e, 1, weight_body(), " "), "validation", "reason", "required"),
        ("retract_entry", lambda: c.retract_entry(who, p, e, 1, ""), "validation", "reason", "required"),
        ("patient_timeline", lambda: c.patient_timeline(who, p, cb.TimelineQuery(limit=0)), "validation", "limit", "out_of_range"),
        ("entry_history", lambda: c.entry_history(who, p, "not-a-uuid"), "validation", "entry", "invalid_format"),
        ("latest_vitals", lambda: c.latest_vitals(who, "not-a-uuid"), "validation", "patient", "invalid_format"),
        ("latest_observations", lambda: c.latest_observations(who, p, [cb.Coding(system="", code="1")]),
         "validation", "codes[0].system", "out_of_range"),
        ("observations_across_patients",
         lambda: c.observations_across_patients(who, cb.ObservationQuery(code=cb.Coding(system=LOINC, code="29463-7"), limit=0)),
         "validation", "limit", "out_of_range"),
        ("record_condition", lambda: c.record_condition(
            who, p, at, None,
            cb.Condition(code=snomed(""), clinical_status=cb.ConditionStatus.ACTIVE, verification_status=cb.VerificationStatus.CONFIRMED)),
         "validation", "body.code.code", "required"),
        ("record_allergy", lambda: c.record_allergy(
            who, p, at, None, cb.Allergy(substance=cb.Coding(system="", code="7980"), clinical_status=cb.AllergyStatus.ACTIVE)),
         "validation", "body.substance.system", "required"),
        ("record_procedure", lambda: c.record_procedure(
            who, p, at, None, cb.Procedure(code=snomed("80146002"), status=cb.ProcedureStatus.COMPLETED, ended_at=at - timedelta(days=1))),
         "validation", "body.ended_at", "before_start"),
        ("record_immunization", lambda: c.record_immunization(
            who, p, at, None, cb.Immunization(vaccine=cb.Coding(system=CVX, code="140"), status=cb.ImmunizationStatus.COMPLETED, lot="")),
         "validation", "body.lot", "required"),
        ("prescribe", lambda: c.prescribe(who, p, at, None, prescription(refills=1000, doctor=ch.doctor)),
         "validation", "body.refills", "out_of_range"),
        ("change_prescription_status", lambda: c.change_prescription_status(who, p, e, 1, cb.PrescriptionStatus.ON_HOLD),
         "not_found", "entry", "prescription"),
        ("renew_prescription", lambda: c.renew_prescription(who, p, e, 1, cb.PrescriptionStatus.ACTIVE, prescription(doctor=ch.doctor)),
         "validation", "ends_as", "out_of_range"),
        ("write_note", lambda: c.write_note(who, p, at, None, None, " "), "validation", "body.text", "required"),
        ("import_entry_fhir", lambda: c.import_entry_fhir(who, p, {"resourceType": "Claim"}),
         "validation", "resourceType", "wrong_resource_type"),
        ("export_entry_fhir", lambda: c.export_entry_fhir(who, p, ELSEWHERE), "not_found", "entry", "entry"),
        ("start_encounter", lambda: c.start_encounter(
            who, p, cb.NewEncounter(class_=cb.EncounterClass.AMBULATORY, status=cb.EncounterStatus.FINISHED, started_at=at)),
         "validation", "encounter.status", "out_of_range"),
        ("change_encounter_status", lambda: c.change_encounter_status(who, p, enc, -1, cb.EncounterStatus.FINISHED),
         "validation", "expected_version", "invalid_value"),
        ("finish_encounter", lambda: c.finish_encounter(who, p, enc, 1, at - timedelta(days=1)),
         "validation", "ended_at", "out_of_range"),
        ("cancel_encounter", lambda: c.cancel_encounter(who, p, enc, 1, ""), "validation", "reason", "required"),
        ("check_in_appointment",
         lambda: c.check_in_appointment(ch.desk, ch.appointment, 1, cb.CheckIn(status=cb.EncounterStatus.FINISHED)),
         "validation", "check_in.status", "out_of_range"),
        ("record_observation", lambda: c.record_observation(who, p, at, None, weight("cm")),
         "validation", "observation.value.unit", "invalid_unit"),
        ("record_lab_report", lambda: c.record_lab_report(
            who, p, at, None, cb.Coding(system=LOINC, code="51990-0"), cb.ReportStatus.AMENDED, []),
         "validation", "status", "out_of_range"),
        ("attach_document", lambda: c.attach_document(who, p, at, None, "text/html", None, b"<p>"),
         "validation", "content_type", "not_allowed"),
        ("read_document", lambda: c.read_document(who, p, e), "not_found", "entry", "document"),
    ]


def answer(call: Callable[[], Any]) -> Tuple[str, str, str]:
    """The error's code, the field it names and that field's code (for
    `not_found`, its entity); the call's result is no answer."""
    try:
        call()
    except cb.ValidationError as e:
        fields = [(f.field, f.code) for f in e.fields]
        assert len(fields) == 1, fields
        return e.code, fields[0][0], fields[0][1]
    except cb.NotFoundError as e:
        return e.code, e.field or "", e.entity
    return "ok", "", ""


RECORD_OPERATIONS = [
    "record_entry", "change_entry_status", "amend_entry", "retract_entry", "patient_timeline", "entry_history",
    "latest_vitals", "latest_observations", "observations_across_patients", "record_condition", "record_allergy",
    "record_procedure", "record_immunization", "prescribe", "change_prescription_status", "renew_prescription",
    "write_note", "import_entry_fhir", "export_entry_fhir", "start_encounter", "change_encounter_status",
    "finish_encounter", "cancel_encounter", "check_in_appointment", "record_observation", "record_lab_report",
    "attach_document", "read_document",
]


def test_the_table_has_a_row_for_every_record_operation(chart: Chart) -> None:
    assert [name for name, *_ in rows(chart)] == RECORD_OPERATIONS


@pytest.mark.parametrize("index", range(len(RECORD_OPERATIONS)), ids=RECORD_OPERATIONS)
def test_a_bad_value_to_a_record_operation_is_core_s_typed_error_naming_its_field(chart: Chart, index: int) -> None:
    name, call, code, field, detail = rows(chart)[index]
    assert answer(call) == (code, field, detail), name


def test_the_refused_calls_left_the_record_as_it_was(chart: Chart) -> None:
    for _, call, *_ in rows(chart):
        answer(call)
    history = chart.clinic.entry_history(chart.login, chart.patient, chart.weight)
    assert [v.version for v in history] == [1]
    kinds = {e.body.kind for e in chart.clinic.patient_timeline(chart.login, chart.patient)}
    assert kinds == {cb.EntryBodyKind.OBSERVATION, cb.EntryBodyKind.ENCOUNTER}
