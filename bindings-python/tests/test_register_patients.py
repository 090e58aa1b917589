"""Registering many patients in one call (register_patients): core/tests/register_patients.rs from Python."""

from __future__ import annotations

import pytest

import carebase as cb
from conftest import actor, details


def test_a_batch_with_one_bad_patient_registers_the_others_and_refuses_it_with_its_field(
    clinic: cb.Clinic, desk: cb.Actor
) -> None:
    batch = [
        cb.NewPatient(details=details("Abara", "Ann")),
        cb.NewPatient(details=details("Later", "Ann", birth=(3000, 1, 1))),
        cb.NewPatient(details=details("Bello", "Ann")),
    ]
    answer = clinic.register_patients(desk, batch)
    assert (answer.registered, answer.refused) == (2, 1)
    first, bad, last = answer.answers
    assert first.patient is not None and first.refusal is None
    assert last.patient is not None and last.patient.details.names[0].family == "Bello"
    assert bad.patient is None and bad.refusal is not None
    assert bad.refusal.code == "validation"
    assert [(f.field, f.code) for f in bad.refusal.fields] == [("birth_date", "in_future")]
    assert bad.refusal.error["code"] == "validation"
    assert clinic.get_patient(desk, first.patient.id).id == first.patient.id


def test_an_actor_who_may_not_register_gets_one_forbidden_for_the_batch(clinic: cb.Clinic) -> None:
    with pytest.raises(cb.ForbiddenError):
        clinic.register_patients(actor(cb.Role.PATIENT), [cb.NewPatient(details=details("Abara", "Ann"))])


def test_a_list_longer_than_the_bound_is_refused_whole_naming_patients(clinic: cb.Clinic, desk: cb.Actor) -> None:
    many = [cb.NewPatient(details=details(f"N{i}", "Ann")) for i in range(1001)]
    with pytest.raises(cb.ValidationError) as refused:
        clinic.register_patients(desk, many)
    assert [(f.field, f.code) for f in refused.value.fields] == [("patients", "too_many")]
    assert clinic.search_patients(desk, cb.PatientQuery(name="N1")).items == []
