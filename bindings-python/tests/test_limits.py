"""Issue 10, defect 11: every list and text has a documented maximum, a
validation error lists a bounded number of fields, free text holds no
control characters, dates of death make sense, settings are checked when a
clinic opens, and the clinic's phone region makes both spellings of one
number the same number. Rules live in core; these check they reach Python."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Tuple

import pytest

import carebase as cb
from conftest import details, settings


def fields(err: cb.ValidationError) -> List[str]:
    return [f"{f.field} {f.code}" for f in err.fields]


def phone(value: str) -> cb.ContactPoint:
    return cb.ContactPoint(system=cb.ContactSystem.PHONE, value=value)


def test_fifty_thousand_given_names_are_one_too_many_error(clinic: cb.Clinic, desk: cb.Actor) -> None:
    d = details("Garcia", "Ana")
    d.names[0].given = [f"Given{i}" for i in range(50_000)]
    with pytest.raises(cb.ValidationError) as raised:
        clinic.register_patient(desk, d)
    assert fields(raised.value) == ["names[0].given too_many"]
    assert raised.value.fields[0].message == "at most 20 given names"
    assert clinic.search_patients(desk, cb.PatientQuery()).items == []


def test_a_hundred_thousand_telecom_entries_are_one_too_many_error(clinic: cb.Clinic, desk: cb.Actor) -> None:
    d = details("Garcia", "Ana")
    d.telecom = [phone("+1 555 0100")] * 100_000
    with pytest.raises(cb.ValidationError) as raised:
        clinic.register_patient(desk, d)
    assert fields(raised.value) == ["telecom too_many"]


def test_a_hundred_thousand_reminder_offsets_are_one_too_many_error(clinic: cb.Clinic, system: cb.Actor) -> None:
    visit = cb.NewVisitType(
        code="consult",
        name="Consultation",
        duration_minutes=30,
        horizon_days=90,
        reminder_offsets_minutes=list(range(100_000)),
    )
    with pytest.raises(cb.ValidationError) as raised:
        clinic.add_visit_type(system, visit)
    assert fields(raised.value) == ["reminder_offsets_minutes too_many"]
    assert raised.value.fields[0].message == "at most 10 reminders"


def test_a_validation_error_lists_a_hundred_fields_then_says_the_rest_were_left_out(
    clinic: cb.Clinic, desk: cb.Actor
) -> None:
    bad = cb.HumanName(given=["\x00"] * 20)
    d = cb.PatientDetails(names=[bad] * 20)
    with pytest.raises(cb.ValidationError) as raised:
        clinic.register_patient(desk, d)
    found = raised.value.fields
    assert len(found) == 101
    assert {f.code for f in found[:100]} == {"invalid_format"}
    assert (found[100].field, found[100].code) == ("", "too_many_errors")


def test_a_family_name_of_zero_width_characters_only_is_required(clinic: cb.Clinic, desk: cb.Actor) -> None:
    d = details("\u200b\u200c\u200d\ufeff", "Ana")
    d.names[0].given = []
    with pytest.raises(cb.ValidationError) as raised:
        clinic.register_patient(desk, d)
    assert fields(raised.value) == ["names[0].family required", "names required"]


def test_a_death_in_the_future_or_before_birth_is_rejected(clinic: cb.Clinic, desk: cb.Actor) -> None:
    d = details("Garcia", "Ana", (1980, 1, 1))
    d.deceased = True
    d.deceased_at = datetime(2099, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(cb.ValidationError) as raised:
        clinic.register_patient(desk, d)
    assert fields(raised.value) == ["deceased_at in_future"]
    d.deceased_at = datetime(1979, 12, 31, 23, tzinfo=timezone.utc)
    with pytest.raises(cb.ValidationError) as raised:
        clinic.register_patient(desk, d)
    assert fields(raised.value) == ["deceased_at out_of_range"]


def test_a_nul_byte_in_a_break_the_glass_reason_is_invalid_format(
    clinic: cb.Clinic, desk: cb.Actor, doctor: cb.Actor
) -> None:
    p = clinic.register_patient(desk, details("Garcia", "Ana"))
    with pytest.raises(cb.ValidationError) as raised:
        clinic.request_emergency_access(doctor, p.id, "unconscious\x00")
    assert fields(raised.value) == ["reason invalid_format"]
    grant = clinic.request_emergency_access(doctor, p.id, "unconscious,\nno id")
    assert grant.reason == "unconscious,\nno id"


def with_namespace(**change: Any) -> cb.Settings:
    ns = dataclasses.replace(settings().mrn_namespaces[0], **change)
    return dataclasses.replace(settings(), mrn_namespaces=[ns])


BAD_SETTINGS: Dict[str, Tuple[Callable[[], cb.Settings], List[str]]] = {
    "mrn digits 0": (lambda: with_namespace(digits=0), ["settings.mrn_namespaces[0].digits out_of_range"]),
    "mrn digits 1000": (lambda: with_namespace(digits=1000), ["settings.mrn_namespaces[0].digits out_of_range"]),
    "a 1-digit namespace": (lambda: with_namespace(digits=1), ["settings.mrn_namespaces[0].digits out_of_range"]),
    "a facility with a space": (
        lambda: with_namespace(facility="north wing"),
        ["settings.mrn_namespaces[0].facility invalid_format"],
    ),
    "a negative break_glass_max": (
        lambda: dataclasses.replace(settings(), break_glass_max=timedelta(hours=-1)),
        ["settings.break_glass_max out_of_range", "settings.break_glass_default out_of_range"],
    ),
    "a default above the max": (
        lambda: dataclasses.replace(settings(), break_glass_default=timedelta(hours=48)),
        ["settings.break_glass_default out_of_range"],
    ),
    "a negative late-cancellation window": (
        lambda: dataclasses.replace(settings(), late_cancellation_window=timedelta(minutes=-5)),
        ["settings.late_cancellation_window out_of_range"],
    ),
    "a duplicate identifier system": (
        lambda: dataclasses.replace(settings(), identifier_systems=settings().identifier_systems * 2),
        ["settings.identifier_systems[1].system duplicate"],
    ),
    "a namespace of an unknown system": (
        lambda: with_namespace(system="urn:nowhere"),
        ["settings.mrn_namespaces[0].system unknown"],
    ),
    "an unknown phone region": (
        lambda: dataclasses.replace(settings(), phone_region="Narnia"),
        ["settings.phone_region invalid_value"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_a_bad_setting_is_a_validation_error_naming_it(case: str) -> None:
    make, expected = BAD_SETTINGS[case]
    with pytest.raises(cb.ValidationError) as raised:
        cb.open("memory:", settings=make())
    assert fields(raised.value) == expected


def test_the_phone_region_is_a_setting() -> None:
    c = cb.open("memory:", settings=dataclasses.replace(settings(), phone_region="US"))
    assert c.settings().phone_region == "US"
    assert cb.open("memory:").settings().phone_region is None


def test_with_a_phone_region_both_spellings_of_a_number_find_each_other(
    desk: cb.Actor, system: cb.Actor
) -> None:
    c = cb.open("memory:", settings=dataclasses.replace(settings(), phone_region="US"))
    a = details("Okafor", "Chi", (1985, 3, 4))
    a.telecom = [phone("+1 555 0100")]
    b = details("Nwosu", "Ada", (1950, 1, 1))
    b.telecom = [phone("555-0100")]
    first = c.register_patient(desk, a)
    c.register_patient(desk, b)
    for typed in ["555-0100", "+1 555 0100", "(555) 0100"]:
        assert len(c.search_patients(desk, cb.PatientQuery(phone=typed)).items) == 2, typed
    # The system sees phones (an admin matches on names and identifiers only).
    found = c.find_duplicates(system, first.id, 10)
    assert len(found) == 1
    assert found[0].score.phone.similarity == 1.0


def test_a_patient_with_every_list_at_its_maximum_is_accepted_and_reads_back(
    clinic: cb.Clinic, desk: cb.Actor
) -> None:
    text = "é" * 200
    name = cb.HumanName(family=text, given=[text] * 20, prefix=[text] * 10, suffix=[text] * 10)
    contact = cb.EmergencyContact(relationship=text, name=name, telecom=[phone("+1 555 0100")] * 50)
    d = cb.PatientDetails(
        identifiers=[cb.Identifier(system=f"urn:x:{i}", value=text) for i in range(50)],
        names=[name] * 20,
        telecom=[phone("+1 555 0100")] * 50,
        addresses=[cb.Address(lines=[text] * 10, city=text)] * 20,
        language="zh-Hant-TW",
        emergency_contacts=[contact] * 20,
    )
    p = clinic.register_patient(desk, d)
    assert clinic.get_patient(desk, p.id).details == p.details
    assert p.details.names == d.names and p.details.emergency_contacts == d.emergency_contacts
