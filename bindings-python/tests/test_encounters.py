"""Issue 13 (encounters, check-in, observations, lab reports) from Python:
core/tests/record_encounters.rs, record_check_in.rs, record_lab_reports.rs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

import carebase as cb
from conftest import START
from test_record import LOINC, charted
from test_scheduling import MONDAY_NINE, scheduling_world

GLUCOSE = "2339-0"
PANEL = "51990-0"


def mg(value: str) -> cb.Quantity:
    return cb.Quantity(value=Decimal(value), unit="mg/dL")


def glucose(value: str, unit: str = "mg/dL") -> cb.Observation:
    return cb.Observation(
        code=cb.Coding(system=LOINC, code=GLUCOSE),
        category=cb.ObservationCategory.LABORATORY,
        status=cb.ObservationStatus.FINAL,
        value=cb.ObservationValue(type=cb.ObservationValueType.QUANTITY, value=Decimal(value), unit=unit),
        reference_ranges=[cb.ReferenceRange(low=mg("70"), high=mg("100"))],
    )


def test_an_encounter_started_in_progress_finishes_announcing_start_and_end(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    assert doctor.practitioner is not None
    started = clinic.start_encounter(
        doctor, patient,
        cb.NewEncounter(
            class_=cb.EncounterClass.AMBULATORY, status=cb.EncounterStatus.IN_PROGRESS,
            started_at=START - timedelta(minutes=30), practitioners=[doctor.practitioner], location="Room 1",
        ),
    )
    assert started.body.encounter is not None and started.body.encounter.status is cb.EncounterStatus.IN_PROGRESS
    done = clinic.finish_encounter(doctor, patient, started.id, 1)
    assert done.version == 2 and done.body.encounter is not None
    assert done.body.encounter.ended_at == START
    kinds = [e.kind for e in clinic.events_after(cb.Actor.system(), [], 100) if e.kind.startswith("encounter.")]
    assert kinds == ["encounter.started", "encounter.finished"]


def test_a_finish_without_start_is_refused(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    planned = clinic.start_encounter(
        doctor, patient,
        cb.NewEncounter(class_=cb.EncounterClass.VIRTUAL, status=cb.EncounterStatus.PLANNED, started_at=START + timedelta(days=2)),
    )
    with pytest.raises(cb.ConflictError) as info:
        clinic.finish_encounter(doctor, patient, planned.id, 1)
    assert info.value.detail is not None and info.value.detail.kind is cb.ConflictKind.INVALID_STATE
    cancelled = clinic.cancel_encounter(doctor, patient, planned.id, 1, "patient unwell")
    assert cancelled.revision.reason == "patient unwell"
    moved = clinic.change_encounter_status
    with pytest.raises(cb.ConflictError):
        moved(doctor, patient, planned.id, 2, cb.EncounterStatus.ARRIVED)


def test_checking_in_starts_the_encounter_linked_both_ways_and_a_second_check_in_writes_nothing() -> None:
    w = scheduling_world()
    booking = cb.BookAppointment(patient=w.ann.id, practitioner=w.doctor.id, visit_type=w.visit.id, start=MONDAY_NINE)
    appointment = w.clinic.book_appointment(w.desk, booking)
    arrived = w.clinic.check_in_appointment(w.desk, appointment.id, 1, cb.CheckIn(status=cb.EncounterStatus.IN_PROGRESS))
    assert arrived.status is cb.AppointmentStatus.ARRIVED and arrived.encounter is not None
    history = w.clinic.entry_history(w.system, w.ann.id, arrived.encounter)
    assert len(history) == 1 and history[0].body.encounter is not None
    assert history[0].body.encounter.appointment == appointment.id
    with pytest.raises(cb.ConflictError):
        w.clinic.check_in_appointment(w.desk, appointment.id, 1)
    assert len(w.clinic.entry_history(w.system, w.ann.id, arrived.encounter)) == 1
    with pytest.raises(cb.ForbiddenError):
        w.clinic.entry_history(w.desk, w.ann.id, arrived.encounter)


def test_a_lab_report_and_its_results_are_written_together(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    at = START - timedelta(hours=1)
    written = clinic.record_lab_report(
        doctor, patient, at, None,
        code=cb.Coding(system=LOINC, code=PANEL), status=cb.ReportStatus.PRELIMINARY,
        results=[glucose("90"), glucose("130")],
    )
    assert written.report.body.diagnostic_report is not None
    assert written.report.body.diagnostic_report.results == [r.id for r in written.results]
    flags = [r.body.observation.interpretation for r in written.results if r.body.observation is not None]
    assert flags == [cb.Interpretation.NORMAL, cb.Interpretation.HIGH]
    made_final = clinic.change_entry_status(doctor, patient, written.report.id, 1, "final")
    assert made_final.body.diagnostic_report is not None
    assert made_final.body.diagnostic_report.status is cb.ReportStatus.FINAL


def test_a_bad_result_refuses_the_whole_report_naming_its_field(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    with pytest.raises(cb.ValidationError) as info:
        clinic.record_lab_report(
            doctor, patient, START - timedelta(hours=1), None,
            code=cb.Coding(system=LOINC, code=PANEL), status=cb.ReportStatus.FINAL,
            results=[glucose("90"), glucose("91"), glucose("92", "furlongs")],
        )
    assert all(f.field.startswith("results[2].value") for f in info.value.fields), info.value.fields
    assert len(clinic.patient_timeline(doctor, patient)) == 0


def test_an_observation_is_recorded_with_its_interpretation_computed_by_core(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    entry = clinic.record_observation(doctor, patient, START - timedelta(minutes=5), None, glucose("60"))
    assert entry.body.observation is not None
    assert entry.body.observation.interpretation is cb.Interpretation.LOW
