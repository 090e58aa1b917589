"""The health record from Python: core/tests/record_*.rs (pipeline, reads, access, observations)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Tuple
from uuid import UUID

import pytest

import carebase as cb
from conftest import START, actor, details

LOINC = "http://loinc.org"
BODY_WEIGHT = "29463-7"
GLUCOSE = "2345-7"


def charted(clinic: cb.Clinic, doctor: cb.Actor) -> UUID:
    """A patient whose care team holds the doctor."""
    admin, desk = actor(cb.Role.ADMIN), actor(cb.Role.FRONT_DESK)
    assert doctor.practitioner is not None
    clinic.add_practitioner(admin, cb.NewPractitioner(id=doctor.practitioner, name="Dr Chart", time_zone="UTC"))
    patient = clinic.register_patient(desk, details("Chart", "Ada")).id
    clinic.assign_care_team(admin, patient, doctor.practitioner)
    return patient


def observation(code: str, value: str, unit: str, high: str = "") -> cb.NewEntry:
    ranges = [cb.ReferenceRange(high=cb.Quantity(value=Decimal(high), unit=unit))] if high else []
    return cb.NewEntry(
        effective_at=START - timedelta(hours=1),
        body=cb.EntryBody(
            kind=cb.EntryBodyKind.OBSERVATION,
            observation=cb.Observation(
                code=cb.Coding(system=LOINC, code=code),
                category=cb.ObservationCategory.VITAL_SIGNS,
                status=cb.ObservationStatus.FINAL,
                value=cb.ObservationValue(type=cb.ObservationValueType.QUANTITY, value=Decimal(value), unit=unit),
                reference_ranges=ranges,
            ),
        ),
    )


def recorded(clinic: cb.Clinic, doctor: cb.Actor) -> Tuple[UUID, cb.ClinicalEntry]:
    patient = charted(clinic, doctor)
    return patient, clinic.record_entry(doctor, patient, observation(BODY_WEIGHT, "72.50", "kg"))


def test_a_recorded_observation_reads_back_its_exact_decimal(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    _, entry = recorded(clinic, doctor)
    assert entry.version == 1 and entry.revision.kind == cb.RevisionKind.RECORDED
    assert entry.body.observation is not None and entry.body.observation.value is not None
    assert entry.body.observation.value.value == Decimal("72.50")
    assert str(entry.body.observation.value.value) == "72.50"


def test_a_body_weight_in_centimetres_is_a_validation_error_naming_the_unit(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    with pytest.raises(cb.ValidationError) as info:
        clinic.record_entry(doctor, patient, observation(BODY_WEIGHT, "70", "cm"))
    assert [f.field for f in info.value.fields] == ["body.value.unit"]


def test_the_interpretation_is_computed_by_core(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    entry = clinic.record_entry(doctor, patient, observation(GLUCOSE, "150", "mg/dL", high="99"))
    assert entry.body.observation is not None
    assert entry.body.observation.interpretation == cb.Interpretation.HIGH


def test_an_amendment_keeps_both_versions_in_the_history(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient, first = recorded(clinic, doctor)
    fixed = observation(BODY_WEIGHT, "27.50", "kg").body
    amended = clinic.amend_entry(doctor, patient, first.id, 1, fixed, "digits swapped")
    assert amended.version == 2 and amended.revision.reason == "digits swapped"
    assert [v.version for v in clinic.entry_history(doctor, patient, first.id)] == [1, 2]


def test_a_stale_expected_version_is_a_conflict(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient, first = recorded(clinic, doctor)
    clinic.amend_entry(doctor, patient, first.id, 1, observation(BODY_WEIGHT, "72.6", "kg").body, "re-weighed")
    with pytest.raises(cb.ConflictError):
        clinic.retract_entry(doctor, patient, first.id, 1, "stale")


def test_an_encounter_moves_along_its_life_cycle(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    visit = cb.EntryBody(
        kind=cb.EntryBodyKind.ENCOUNTER,
        encounter=cb.Encounter(class_=cb.EncounterClass.AMBULATORY, status=cb.EncounterStatus.IN_PROGRESS),
    )
    entry = clinic.record_entry(doctor, patient, cb.NewEntry(effective_at=START, body=visit))
    finished = clinic.change_entry_status(doctor, patient, entry.id, 1, "finished")
    assert finished.body.encounter is not None and finished.body.encounter.status == cb.EncounterStatus.FINISHED


def test_the_timeline_pages_with_a_cursor_and_leaves_retracted_entries_out(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient, first = recorded(clinic, doctor)
    second = clinic.record_entry(doctor, patient, observation(BODY_WEIGHT, "73", "kg"))
    page = clinic.patient_timeline(doctor, patient, cb.TimelineQuery(limit=1))
    assert len(page) == 1 and page.next_cursor is not None
    rest = clinic.patient_timeline(doctor, patient, cb.TimelineQuery(limit=1, cursor=page.next_cursor))
    assert {page.items[0].id, rest.items[0].id} == {first.id, second.id}
    clinic.retract_entry(doctor, patient, first.id, 1, "wrong patient")
    assert [e.id for e in clinic.patient_timeline(doctor, patient)] == [second.id]


def test_latest_vitals_give_one_value_per_code_and_a_long_table(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient, _ = recorded(clinic, doctor)
    latest = clinic.record_entry(doctor, patient, observation(BODY_WEIGHT, "73.25", "kg"))
    vitals = clinic.latest_vitals(doctor, patient)
    assert [e.id for e in vitals] == [latest.id]
    frame = vitals.to_pandas()
    assert list(frame.columns) == ["patient", "entry", "kind", "code", "value", "unit", "time", "flag"]
    assert frame.iloc[0]["value"] == Decimal("73.25") and frame.iloc[0]["unit"] == "kg"
    assert frame.iloc[0]["patient"] == str(patient)


def test_observations_across_patients_list_the_care_teams_patients(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    _, entry = recorded(clinic, doctor)
    page = clinic.observations_across_patients(doctor, cb.ObservationQuery(code=cb.Coding(system=LOINC, code=BODY_WEIGHT)))
    assert [e.id for e in page] == [entry.id]


def test_billing_sees_no_observations_and_the_front_desk_nothing(clinic: cb.Clinic, doctor: cb.Actor, desk: cb.Actor) -> None:
    patient, _ = recorded(clinic, doctor)
    assert list(clinic.patient_timeline(actor(cb.Role.BILLING), patient)) == []
    with pytest.raises(cb.ForbiddenError):
        clinic.patient_timeline(desk, patient)
