"""A practitioner's "my patients" (patients_of_practitioner): core/tests/my_patients.rs from Python."""

from __future__ import annotations

from typing import List
from uuid import UUID

import pytest

import carebase as cb
from conftest import actor, details


def with_patients(clinic: cb.Clinic, doctor: cb.Actor, count: int) -> List[UUID]:
    """`count` patients on the doctor's care team (and one on nobody's), ids sorted."""
    admin, desk = actor(cb.Role.ADMIN), actor(cb.Role.FRONT_DESK)
    assert doctor.practitioner is not None
    clinic.add_practitioner(admin, cb.NewPractitioner(id=doctor.practitioner, name="Dr Care", time_zone="UTC"))
    ids = []
    for i in range(count):
        p = clinic.register_patient(desk, details(f"Mine{i}", "Ann"))
        clinic.assign_care_team(admin, p.id, doctor.practitioner)
        ids.append(p.id)
    clinic.register_patient(desk, details("Nobodys", "Ann"))
    return sorted(ids)


def test_a_practitioner_pages_through_their_own_patients(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    mine = with_patients(clinic, doctor, 3)
    assert doctor.practitioner is not None
    first = clinic.patients_of_practitioner(doctor, doctor.practitioner, cb.PageQuery(limit=2))
    assert [p.id for p in first] == mine[:2] and first.next_cursor is not None
    assert all(p.hidden_fields == [] for p in first)
    rest = clinic.patients_of_practitioner(doctor, doctor.practitioner, cb.PageQuery(limit=2, cursor=first.next_cursor))
    assert [p.id for p in rest] == mine[2:] and rest.next_cursor is None


def test_an_admin_sees_only_who_the_patients_are(clinic: cb.Clinic, doctor: cb.Actor, admin: cb.Actor) -> None:
    with_patients(clinic, doctor, 1)
    assert doctor.practitioner is not None
    [seen] = clinic.patients_of_practitioner(admin, doctor.practitioner)
    assert cb.PatientField.TELECOM in seen.hidden_fields and seen.details.telecom == []


def test_each_listed_patient_is_audited(clinic: cb.Clinic, doctor: cb.Actor, system: cb.Actor) -> None:
    mine = with_patients(clinic, doctor, 2)
    assert doctor.practitioner is not None
    clinic.patients_of_practitioner(doctor, doctor.practitioner)
    entries = clinic.audit_log(system, cb.AuditQuery(actor=doctor.id))
    assert sorted(e.patient for e in entries if e.patient is not None) == mine
    assert {e.action for e in entries} == {"care_team.patients"}


def test_another_practitioners_list_is_forbidden(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    other = cb.Actor.for_practitioner(cb.new_id())
    with_patients(clinic, other, 1)
    assert other.practitioner is not None
    with pytest.raises(cb.ForbiddenError) as info:
        clinic.patients_of_practitioner(doctor, other.practitioner)
    assert info.value.code == "forbidden"


def test_an_unknown_practitioner_is_not_found(clinic: cb.Clinic, admin: cb.Actor) -> None:
    with pytest.raises(cb.NotFoundError) as info:
        clinic.patients_of_practitioner(admin, cb.new_id())
    assert (info.value.entity, info.value.field) == ("practitioner", "practitioner")


def test_a_bad_cursor_is_a_validation_error_on_cursor(clinic: cb.Clinic, admin: cb.Actor, doctor: cb.Actor) -> None:
    with_patients(clinic, doctor, 1)
    assert doctor.practitioner is not None
    with pytest.raises(cb.ValidationError) as info:
        clinic.patients_of_practitioner(admin, doctor.practitioner, cb.PageQuery(cursor="nope"))
    assert [f.field for f in info.value.fields] == ["cursor"]


def test_merged_away_patients_are_never_listed_and_inactive_ones_only_on_request(
    clinic: cb.Clinic, doctor: cb.Actor, system: cb.Actor
) -> None:
    assert doctor.practitioner is not None
    kept, gone, quiet = (clinic.get_patient(system, i) for i in with_patients(clinic, doctor, 3))
    clinic.merge_patients(system, kept.id, kept.version, gone.id, gone.version)
    clinic.deactivate_patient(system, quiet.id, quiet.version)
    today = clinic.patients_of_practitioner(doctor, doctor.practitioner)
    assert [p.id for p in today] == [kept.id]
    everyone = clinic.patients_of_practitioner(doctor, doctor.practitioner, cb.PageQuery(include_inactive=True))
    assert [p.id for p in everyone] == sorted([kept.id, quiet.id])
