"""Documents from Python: core/tests/record_documents.rs. The bytes travel
beside the JSON text (``bytes`` in, ``bytes`` back), never inside it."""

from __future__ import annotations

import hashlib
import typing
from pathlib import Path
from uuid import UUID

import pytest

import carebase as cb
from conftest import START, actor, details, settings

SCAN = b"%PDF-1.7\n a referral letter \x00\xff\x10"
LIMIT = 20 << 20  # MAX_ATTACHMENT_BYTES


def charted(clinic: cb.Clinic, doctor: cb.Actor) -> UUID:
    """A patient whose care team holds the doctor."""
    admin, desk = actor(cb.Role.ADMIN), actor(cb.Role.FRONT_DESK)
    assert doctor.practitioner is not None
    clinic.add_practitioner(admin, cb.NewPractitioner(id=doctor.practitioner, name="Dr Letter", time_zone="UTC"))
    patient = clinic.register_patient(desk, details("Letter", "Ada")).id
    clinic.assign_care_team(admin, patient, doctor.practitioner)
    return patient


def attach(clinic: cb.Clinic, who: cb.Actor, patient: UUID, data: bytes = SCAN) -> cb.ClinicalEntry:
    return clinic.attach_document(who, patient, START, None, "application/pdf", "Referral letter", data)


def test_an_attached_document_reads_back_identical_bytes(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    entry = attach(clinic, doctor, patient)
    document = clinic.read_document(doctor, patient, entry.id)
    assert isinstance(document.bytes, bytes)
    assert document.bytes == SCAN
    assert document.entry.id == entry.id


def test_core_computes_the_size_and_sha256(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    body = attach(clinic, doctor, patient).body.document
    assert body is not None
    assert body.size == len(SCAN)
    assert body.sha256 == hashlib.sha256(SCAN).hexdigest()


def test_a_bytearray_or_memoryview_is_accepted_as_bytes(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    view = typing.cast(bytes, memoryview(bytearray(SCAN)))  # annotated bytes; any bytes-like value is read
    entry = clinic.attach_document(doctor, patient, START, None, "image/png", None, view)
    assert clinic.read_document(doctor, patient, entry.id).bytes == SCAN


def test_text_where_bytes_are_due_is_a_type_error(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    with pytest.raises(TypeError, match="bytes"):
        clinic.attach_document(doctor, patient, START, None, "image/png", None, "not bytes")  # type: ignore[arg-type]


def test_a_document_over_the_limit_is_too_large(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    with pytest.raises(cb.ValidationError) as info:
        attach(clinic, doctor, patient, bytes(LIMIT + 1))
    assert [(f.field, f.code) for f in info.value.fields] == [("bytes", "too_large")]


def test_a_content_type_outside_the_allow_list_is_not_allowed(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    with pytest.raises(cb.ValidationError) as info:
        clinic.attach_document(doctor, patient, START, None, "text/html", None, b"<script>")
    assert [(f.field, f.code) for f in info.value.fields] == [("content_type", "not_allowed")]


def test_billing_and_the_front_desk_cannot_read_a_document(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    patient = charted(clinic, doctor)
    entry = attach(clinic, doctor, patient)
    for role in (cb.Role.BILLING, cb.Role.FRONT_DESK):
        with pytest.raises(cb.ForbiddenError):
            clinic.read_document(actor(role), patient, entry.id)


def test_the_patient_reads_a_document_only_when_the_policy_grants_notes(tmp_path: Path, doctor: cb.Actor) -> None:
    url = f"sqlite://{tmp_path / 'clinic.db'}"
    clinic = cb.open(url, settings=settings())
    patient = charted(clinic, doctor)
    entry = attach(clinic, doctor, patient)
    me = cb.Actor.for_patient(patient)
    with pytest.raises(cb.ForbiddenError):
        clinic.read_document(me, patient, entry.id)
    granted = cb.DEFAULT_POLICY_TOML.replace(
        'permissions = ["record.read"]\nrelationship = "self"',
        'permissions = ["record.read", "record.notes"]\nrelationship = "self"',
    )
    reopened = cb.open(url, settings=settings(), policy=cb.Policy.from_toml(granted))
    assert reopened.read_document(me, patient, entry.id).bytes == SCAN


def test_a_sqlite_clinic_keeps_the_bytes_in_a_folder_beside_its_file(tmp_path: Path, doctor: cb.Actor) -> None:
    clinic = cb.open(f"sqlite://{tmp_path / 'clinic.db'}", settings=settings())
    patient = charted(clinic, doctor)
    digest = hashlib.sha256(SCAN).hexdigest()
    attach(clinic, doctor, patient)
    assert (tmp_path / "clinic.db.blobs" / digest[:2] / digest).read_bytes() == SCAN


def test_a_tampered_file_is_a_corrupt_storage_error(tmp_path: Path, doctor: cb.Actor) -> None:
    clinic = cb.open(f"sqlite://{tmp_path / 'clinic.db'}", settings=settings())
    patient = charted(clinic, doctor)
    entry = attach(clinic, doctor, patient)
    digest = hashlib.sha256(SCAN).hexdigest()
    (tmp_path / "clinic.db.blobs" / digest[:2] / digest).write_bytes(b"forged")
    with pytest.raises(cb.StorageError) as info:
        clinic.read_document(doctor, patient, entry.id)
    assert info.value.kind == cb.StorageKind.CORRUPT
