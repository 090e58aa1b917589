"""A struct handed to core's JSON door as an array of its fields (what
serde would read positionally) is refused as `invalid_type` naming it
(core/src/api/arguments/objects.rs, tagged.rs). Python's own methods cannot send one
(a dataclass argument is checked before the call), so these go through the
binding's one native entry point, `Clinic.call(name, json)`, with the JSON
text a host could hand it."""

from __future__ import annotations

import json

import pytest

import carebase as cb
from conftest import details


def test_an_actor_handed_as_an_array_of_its_fields_is_invalid_type_naming_it() -> None:
    clinic = cb.open("memory:")
    desk = cb.Actor.new(cb.Role.FRONT_DESK)
    patient = clinic.register_patient(desk, details("Array", "Ann"))
    args = {"actor": [str(desk.id), ["front_desk"]], "id": str(patient.id)}
    with pytest.raises(cb.ValidationError) as info:
        clinic._native.call("get_patient", json.dumps(args))
    assert [(f.field, f.code) for f in info.value.fields] == [("actor", "invalid_type")]


def test_a_name_handed_as_an_array_is_invalid_type_at_its_path_and_registers_no_one() -> None:
    clinic = cb.open("memory:")
    desk = cb.Actor.new(cb.Role.FRONT_DESK)
    args = {"actor": {"id": str(desk.id), "roles": ["front_desk"]}, "details": {"names": [[None, "Secret", ["Ann"]]]}}
    with pytest.raises(cb.ValidationError) as info:
        clinic._native.call("register_patient", json.dumps(args))
    assert [(f.field, f.code) for f in info.value.fields] == [("details.names[0]", "invalid_type")]
    assert "Secret" not in str(info.value)
    assert list(clinic.search_patients(desk, cb.PatientQuery(name="Secret"))) == []


def test_a_code_inside_an_entry_body_handed_as_an_array_is_invalid_type_at_its_path() -> None:
    clinic = cb.open("memory:")
    desk = cb.Actor.new(cb.Role.FRONT_DESK)
    patient = clinic.register_patient(desk, details("Array", "Ann"))
    doctor = {"id": str(desk.id), "roles": ["practitioner"]}
    body = {"kind": "observation", "code": ["http://loinc.org", "29463-7"], "category": "vital-signs", "status": "final"}
    args = {"actor": doctor, "patient": str(patient.id), "entry": {"effective_at": "2024-01-01T00:00:00Z", "body": body}}
    with pytest.raises(cb.ValidationError) as info:
        clinic._native.call("record_entry", json.dumps(args))
    assert [(f.field, f.code) for f in info.value.fields] == [("entry.body.code", "invalid_type")]
