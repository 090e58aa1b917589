"""Registering, reading, updating, searching: core/tests/patients.rs from Python."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import List
from uuid import UUID

import pytest

import carebase as cb
from conftest import MRN_SYSTEM, actor, details


def test_register_and_get_round_trip_typed_values(clinic: cb.Clinic, desk: cb.Actor) -> None:
    p = clinic.register_patient(
        desk,
        cb.PatientDetails(
            names=[cb.HumanName(family="Núñez", given=["José"], usage=cb.NameUse.OFFICIAL)],
            birth_date=date(1984, 7, 1),
            gender=cb.Gender.MALE,
            telecom=[cb.ContactPoint(system=cb.ContactSystem.EMAIL, value="jose@example.org", usage=cb.ContactUse.HOME)],
            addresses=[cb.Address(lines=["1 Main St"], city="Springfield", usage=cb.AddressUse.HOME)],
            emergency_contacts=[
                cb.EmergencyContact(relationship="sister", name=cb.HumanName(given=["Ana"]))
            ],
            language="es",
        ),
    )
    assert isinstance(p.id, __import__("uuid").UUID)
    assert p.version == 1 and p.active and p.merged_into is None
    assert p.created_at.utcoffset() == timedelta(0)
    got = clinic.get_patient(desk, p.id)
    assert got.details.names[0].family == "Núñez"
    assert got.details.names[0].usage is cb.NameUse.OFFICIAL
    assert got.details.birth_date == date(1984, 7, 1)
    assert got.details.gender is cb.Gender.MALE
    assert got.details.telecom[0].usage is cb.ContactUse.HOME
    assert got.details.addresses[0].city == "Springfield"
    assert got.details.emergency_contacts[0].name.given == ["Ana"]
    # ids may also be given as text
    assert clinic.get_patient(desk, str(p.id)).id == p.id


def test_registration_reports_every_invalid_field_at_once(clinic: cb.Clinic, desk: cb.Actor) -> None:
    bad = details("", "", (2999, 1, 1))
    bad.telecom.append(cb.ContactPoint(system=cb.ContactSystem.EMAIL, value="not-an-email"))
    with pytest.raises(cb.ValidationError) as info:
        clinic.register_patient(desk, bad)
    err = info.value
    paths = [f.field for f in err.fields]
    assert any(p.startswith("names") for p in paths), paths
    assert "birth_date" in paths
    assert any(p.startswith("telecom[1]") for p in paths)
    assert all(f.code and f.message for f in err.fields)
    assert err.code == "validation"
    assert isinstance(err, ValueError)
    assert "not-an-email" not in str(err) and "not-an-email" not in repr(err)
    assert "not-an-email" not in repr(err.fields)


def test_registration_assigns_a_check_digit_mrn(clinic: cb.Clinic, desk: cb.Actor) -> None:
    a = clinic.register_patient(desk, details("A", "A"), mrn_facility="north")
    b = clinic.register_patient(desk, details("B", "B"), mrn_facility="north")
    assert a.details.identifiers[0].system == MRN_SYSTEM
    assert a.details.identifiers[0].value == "00000018"
    assert b.details.identifiers[0].value == "00000026"
    mrn = clinic.generate_mrn(desk, "north")
    assert mrn.value == "00000034" and mrn.system == MRN_SYSTEM
    with pytest.raises(cb.ValidationError):
        clinic.generate_mrn(desk, "nowhere")


def test_identifier_with_a_wrong_check_digit_is_rejected(clinic: cb.Clinic, desk: cb.Actor) -> None:
    p = details("A", "A")
    p.identifiers.append(cb.Identifier(system=MRN_SYSTEM, value="00000019"))
    with pytest.raises(cb.ValidationError) as info:
        clinic.register_patient(desk, p)
    assert info.value.fields[0].code == "check_digit"


def test_duplicate_identifier_conflict_names_the_system_not_the_value(clinic: cb.Clinic, desk: cb.Actor) -> None:
    p = details("A", "A")
    p.identifiers.append(cb.Identifier(system="urn:ssn", value="123-45-6789"))
    clinic.register_patient(desk, p)
    with pytest.raises(cb.ConflictError) as info:
        clinic.register_patient(desk, p)
    assert info.value.detail == cb.ConflictDetail(kind=cb.ConflictKind.DUPLICATE_IDENTIFIER, system="urn:ssn")
    assert "123-45" not in str(info.value)


def test_update_with_a_stale_version_is_a_conflict(clinic: cb.Clinic, desk: cb.Actor) -> None:
    p = clinic.register_patient(desk, details("A", "A"))
    changed = dataclasses.replace(p.details, language="fr")
    v2 = clinic.update_patient(desk, p.id, p.version, changed)
    assert v2.version == 2 and v2.details.language == "fr"
    with pytest.raises(cb.ConflictError) as info:
        clinic.update_patient(desk, p.id, p.version, changed)
    d = info.value.detail
    assert d is not None
    assert (d.kind, d.entity, d.expected, d.actual) == (cb.ConflictKind.STALE_VERSION, "patient", 1, 2)


def test_deactivate_then_reactivate(clinic: cb.Clinic, desk: cb.Actor) -> None:
    p = clinic.register_patient(desk, details("A", "A"))
    off = clinic.deactivate_patient(desk, p.id, 1)
    assert not off.active and off.version == 2
    with pytest.raises(cb.ConflictError):
        clinic.deactivate_patient(desk, p.id, 2)
    on = clinic.reactivate_patient(desk, p.id, 2)
    assert on.active and on.version == 3


def test_search_is_accent_and_case_insensitive(clinic: cb.Clinic, desk: cb.Actor) -> None:
    jose = clinic.register_patient(desk, details("Núñez", "José"))
    clinic.register_patient(desk, details("Smith", "Ann"))
    page = clinic.search_patients(desk, cb.PatientQuery(name="JOSE nun"))
    assert [p.id for p in page] == [jose.id]
    assert page.next_cursor is None
    assert [p.id for p in clinic.search_patients(desk, cb.PatientQuery(birth_date=date(1984, 7, 1)))]


def test_search_pages_follow_the_cursor_to_the_end(clinic: cb.Clinic, desk: cb.Actor) -> None:
    ids = [clinic.register_patient(desk, details("Page", f"N{i}")).id for i in range(5)]
    query = cb.PatientQuery(name="page", limit=2)
    sizes: List[int] = []
    seen: List[UUID] = []
    while True:
        page = clinic.search_patients(desk, query)
        sizes.append(len(page))
        seen.extend(p.id for p in page.items)
        if page.next_cursor is None:
            break
        query = dataclasses.replace(query, cursor=page.next_cursor)
    assert sizes == [2, 2, 1]
    assert seen == ids


def test_a_forged_cursor_and_a_zero_limit_are_both_reported(clinic: cb.Clinic, desk: cb.Actor) -> None:
    with pytest.raises(cb.ValidationError) as info:
        clinic.search_patients(desk, cb.PatientQuery(cursor="garbage", limit=0))
    assert sorted(f.field for f in info.value.fields) == ["cursor", "limit"]


def test_billing_sees_claim_fields_but_not_contacts(clinic: cb.Clinic, desk: cb.Actor) -> None:
    p = clinic.register_patient(desk, details("Bill", "Able"))
    seen = clinic.get_patient(actor(cb.Role.BILLING), p.id)
    assert seen.details.telecom == []
    assert cb.PatientField.TELECOM in seen.hidden_fields
    assert seen.details.names == p.details.names


def test_an_update_through_a_masked_view_keeps_the_hidden_fields(
    clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor
) -> None:
    p = clinic.register_patient(desk, details("Mask", "Keep"))
    names_only = cb.Policy.from_toml(
        """
version = 1
[[rules]]
id = "desk-names-only"
roles = ["front_desk"]
permissions = ["patient.read", "patient.update"]
relationship = "any"
fields = ["names"]
[[rules]]
id = "system"
roles = ["system"]
permissions = ["policy.manage", "patient.read"]
relationship = "any"
"""
    )
    clinic.replace_policy(system, names_only)
    seen = clinic.get_patient(desk, p.id)
    assert seen.details.telecom == []
    seen.details.names[0].given = ["Renamed"]
    clinic.update_patient(desk, p.id, seen.version, seen.details)
    stored = clinic.get_patient(system, p.id)
    assert stored.details.telecom == p.details.telecom
    assert stored.details.names[0].given == ["Renamed"]


def test_reading_a_missing_patient_is_not_found(clinic: cb.Clinic, desk: cb.Actor) -> None:
    with pytest.raises(cb.NotFoundError) as info:
        clinic.get_patient(desk, cb.new_id())
    assert info.value.code == "not_found" and info.value.entity == "patient"
    assert isinstance(info.value, KeyError)
    assert str(info.value) == "patient not found"


def test_repr_and_str_never_show_demographics(clinic: cb.Clinic, desk: cb.Actor) -> None:
    d = details("Secretname", "Hidden", (1984, 7, 1))
    d.identifiers.append(cb.Identifier(system="urn:ssn", value="999-88-7777"))
    d.addresses.append(cb.Address(city="Secretville"))
    p = clinic.register_patient(desk, d)
    texts = [
        repr(p), str(p), repr(p.details), str(p.details), repr(p.details.names),
        repr(p.details.identifiers), repr(p.details.telecom), repr(p.details.addresses),
        repr(cb.PatientQuery(name="Secretname")),
        repr(clinic.search_patients(desk, cb.PatientQuery(name="secretname"))),
    ]
    for text in texts:
        # Dates and the phone (as typed and as stored, E.164) in full: a
        # bare "555" or "1984" also occurs in random UUIDs.
        for secret in ("Secretname", "Hidden", "1984-07", "999-88", "555 0100", "5550100", "Secretville"):
            assert secret not in text, text
    assert repr(p) == f"Patient(id={p.id}, version=1, active=True)"
