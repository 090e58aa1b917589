"""FHIR R4 in and out of the health record from Python
(core/tests/record_fhir.rs): an official Observation imports and exports
unchanged but its id, and a weight in centimetres is refused on its FHIR
path, as ``record_entry`` refuses it; a DocumentReference brings its bytes
inline and a clinician's export gives them back."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, Dict

import pytest

import carebase as cb
from test_record import charted

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "fhir" / "r4-examples"


def example(name: str) -> Dict[str, Any]:
    resource: Dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return resource


def test_an_official_observation_imports_and_exports_unchanged_but_its_id(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    original = example("Observation-example.json")
    entry = clinic.import_entry_fhir(doctor, patient, original, references={"Patient/example": str(patient)})
    assert entry.body.kind == cb.EntryBodyKind.OBSERVATION and entry.fhir is not None
    assert clinic.export_entry_fhir(doctor, patient, entry.id) == {**original, "id": str(entry.id)}


def test_an_imported_weight_in_centimetres_is_refused_on_its_fhir_path(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    resource = example("Observation-example.json")
    resource["valueQuantity"]["code"] = "cm"
    with pytest.raises(cb.ValidationError) as info:
        clinic.import_entry_fhir(doctor, patient, resource, references={"Patient/example": str(patient)})
    assert info.value.code == "validation"
    assert [f.field for f in info.value.fields] == ["valueQuantity.code"]


def test_an_unmodelled_element_nested_near_the_document_bound_reads_back_from_the_store(
    clinic: cb.Clinic, doctor: cb.Actor
) -> None:
    patient = charted(clinic, doctor)
    resource = example("Observation-example.json")
    deep: Any = "end"
    for _ in range(60):
        deep = {"nested": deep}
    resource["note"] = [{"text": "kept", "extension": [deep]}]
    entry = clinic.import_entry_fhir(doctor, patient, resource, references={"Patient/example": str(patient)})
    assert clinic.export_entry_fhir(doctor, patient, entry.id) == {**resource, "id": str(entry.id)}


def test_a_document_reference_with_its_bytes_exports_unchanged_with_its_data_for_a_clinician(
    clinic: cb.Clinic, doctor: cb.Actor
) -> None:
    patient = charted(clinic, doctor)
    letter = b"%PDF-1.7\n a referral letter \x00\xff\x10"
    resource = {
        "resourceType": "DocumentReference",
        "status": "current",
        "subject": {"reference": "Patient/p1"},
        "date": "2013-04-02T09:30:00Z",
        "description": "Referral to cardiology",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "data": base64.b64encode(letter).decode("ascii"),
                    "size": len(letter),
                    "hash": base64.b64encode(hashlib.sha1(letter).digest()).decode("ascii"),
                    "title": "Referral letter",
                }
            }
        ],
    }
    entry = clinic.import_entry_fhir(doctor, patient, resource, references={"Patient/p1": str(patient)})
    assert entry.body.kind == cb.EntryBodyKind.DOCUMENT
    assert clinic.read_document(doctor, patient, entry.id).bytes == letter
    assert clinic.export_entry_fhir(doctor, patient, entry.id) == {**resource, "id": str(entry.id)}
