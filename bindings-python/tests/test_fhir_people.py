"""FHIR R4 Patient import and export: core/tests/fhir_people/main.rs from Python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

import carebase as cb
from conftest import actor

FHIR_EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "fhir" / "r4-examples"


def fhir_example(name: str) -> Dict[str, Any]:
    with open(FHIR_EXAMPLES / name, encoding="utf-8") as f:
        resource: Dict[str, Any] = json.load(f)
    return resource


def test_an_imported_example_patient_exports_as_it_came(clinic: cb.Clinic, desk: cb.Actor) -> None:
    resource = fhir_example("Patient-example.json")
    patient = clinic.import_patient_fhir(desk, resource)
    assert patient.details.names[0].family == "Chalmers"
    assert patient.fhir_extra is not None and patient.fhir_extra["source_id"] == "example"
    exported = clinic.export_patient_fhir(desk, patient.id)
    assert exported == {**resource, "id": str(patient.id)}


def test_an_import_given_a_facility_also_gets_an_mrn(clinic: cb.Clinic, desk: cb.Actor) -> None:
    patient = clinic.import_patient_fhir(desk, fhir_example("Patient-example.json"), mrn_facility="north")
    assert patient.details.identifiers[-1].system == "urn:carebase:mrn:north"


def test_a_refused_import_names_the_fhir_path_and_its_code(clinic: cb.Clinic, desk: cb.Actor) -> None:
    resource = {**fhir_example("Patient-example.json"), "birthDate": "2999-01-01"}
    with pytest.raises(cb.ValidationError) as refused:
        clinic.import_patient_fhir(desk, resource)
    assert [(f.field, f.code) for f in refused.value.fields] == [("birthDate", "in_future")]


def test_an_identifier_another_patient_holds_is_a_conflict(clinic: cb.Clinic, desk: cb.Actor) -> None:
    clinic.import_patient_fhir(desk, fhir_example("Patient-example.json"))
    with pytest.raises(cb.ConflictError):
        clinic.import_patient_fhir(desk, fhir_example("Patient-example.json"))


def test_an_export_shows_only_what_the_actor_may_see(clinic: cb.Clinic, desk: cb.Actor) -> None:
    patient = clinic.import_patient_fhir(desk, fhir_example("Patient-example.json"))
    exported = clinic.export_patient_fhir(actor(cb.Role.BILLING), patient.id)
    assert "telecom" not in exported and "text" not in exported
    assert exported["name"][0]["family"] == "Chalmers"


def test_an_imported_example_practitioner_exports_as_it_came(clinic: cb.Clinic, admin: cb.Actor) -> None:
    resource = fhir_example("Practitioner-example.json")
    practitioner = clinic.import_practitioner_fhir(admin, resource, "Europe/Amsterdam")
    assert practitioner.time_zone == "Europe/Amsterdam"
    assert practitioner.fhir_extra is not None and practitioner.fhir_extra["source_id"] == "example"
    exported = clinic.export_practitioner_fhir(admin, practitioner.id)
    assert exported == {**resource, "id": str(practitioner.id)}


def test_a_refused_practitioner_import_names_each_field_and_its_code(clinic: cb.Clinic, admin: cb.Actor) -> None:
    with pytest.raises(cb.ValidationError) as refused:
        clinic.import_practitioner_fhir(admin, {"resourceType": "Practitioner"}, "Mars/Olympus")
    assert sorted((f.field, f.code) for f in refused.value.fields) == [
        ("name", "required"),
        ("time_zone", "unknown_time_zone"),
    ]


def test_a_practitioner_import_needs_scheduling_rights(clinic: cb.Clinic, desk: cb.Actor) -> None:
    with pytest.raises(cb.ForbiddenError):
        clinic.import_practitioner_fhir(desk, fhir_example("Practitioner-example.json"), "UTC")
