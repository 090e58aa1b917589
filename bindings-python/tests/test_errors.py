"""Every core error code arrives as its own exception class, with attributes."""

from __future__ import annotations

import inspect
import json
import typing
from pathlib import Path

import pytest

import carebase as cb
from conftest import details


def test_exception_hierarchy() -> None:
    for cls, code in [
        (cb.ValidationError, "validation"),
        (cb.NotFoundError, "not_found"),
        (cb.ConflictError, "conflict"),
        (cb.DoubleBookingError, "double_booking"),
        (cb.ForbiddenError, "forbidden"),
        (cb.InvalidPolicyError, "invalid_policy"),
        (cb.UnsupportedStoreError, "unsupported_store"),
        (cb.StorageError, "storage"),
    ]:
        assert issubclass(cls, cb.CarebaseError) and cls.code == code
    assert issubclass(cb.ValidationError, ValueError)
    assert issubclass(cb.NotFoundError, KeyError)
    assert issubclass(cb.InvalidPolicyError, ValueError)


def test_each_error_is_raised(tmp_path: Path, desk: cb.Actor, system: cb.Actor) -> None:
    clinic = cb.open("memory:")
    with pytest.raises(cb.ValidationError) as v:
        clinic.register_patient(desk, cb.PatientDetails())
    assert v.value.fields and v.value.fields[0].field == "names"
    with pytest.raises(cb.NotFoundError) as nf:
        clinic.get_patient(desk, cb.new_id())
    assert nf.value.entity == "patient"
    p = clinic.register_patient(desk, details("E", "E"))
    with pytest.raises(cb.ConflictError) as c:
        clinic.update_patient(desk, p.id, 5, p.details)
    assert c.value.detail is not None and c.value.detail.kind is cb.ConflictKind.STALE_VERSION
    with pytest.raises(cb.ForbiddenError) as f:
        clinic.verify_audit(desk)
    assert f.value.reason is not None and f.value.reason.permission is cb.Permission.AUDIT_VERIFY
    with pytest.raises(cb.InvalidPolicyError) as ip:
        cb.Policy.from_toml('version = 1\n[[rules]]\nid = "x"\nroles = ["pilot"]\npermissions = ["patient.read"]\nrelationship = "any"\n')
    assert ip.value.location.startswith("line 4") and ip.value.problem
    with pytest.raises(cb.InvalidPolicyError) as syntax:
        cb.Policy.from_json("{ not json")
    assert "line 1" in syntax.value.location
    with pytest.raises(cb.UnsupportedStoreError) as us:
        cb.open("mysql://nowhere/db")
    assert us.value.scheme == "mysql"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises(cb.StorageError) as st:
        cb.open(f"sqlite://{junk}")
    assert st.value.code == "storage"
    with pytest.raises(cb.StorageError):
        cb.open(f"sqlite://{tmp_path / 'missing-dir' / 'x.db'}")


def test_a_file_that_is_not_a_database_is_a_corrupt_storage_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"not a database, just text. " * 200)
    with pytest.raises(cb.StorageError) as raised:
        cb.open(f"sqlite://{junk}")
    assert raised.value.kind is cb.StorageKind.CORRUPT


def test_a_postgres_server_nobody_listens_on_is_an_unavailable_storage_error() -> None:
    # port 1 (tcpmux): no server listens there on any machine these tests run on
    with pytest.raises(cb.StorageError) as raised:
        cb.open("postgres://carebase:secret@127.0.0.1:1/carebase?acquire_timeout=1")
    assert raised.value.kind is cb.StorageKind.UNAVAILABLE
    assert "secret" not in str(raised.value)


def test_a_storage_error_carries_cores_kind_as_a_storage_kind(tmp_path: Path) -> None:
    with pytest.raises(cb.StorageError) as st:
        cb.open(f"sqlite://{tmp_path / 'missing-dir' / 'x.db'}")
    assert isinstance(st.value.kind, cb.StorageKind)
    assert cb.StorageKind("retryable") is cb.StorageKind.RETRYABLE


def test_a_forbidden_error_always_carries_its_reason() -> None:
    hints = typing.get_type_hints(cb.ForbiddenError.__init__)
    assert hints["reason"] is cb.DenyReason


def test_every_detail_of_cores_error_form_is_an_attribute_of_its_exception() -> None:
    from carebase import _errors

    api = json.loads((Path(__file__).resolve().parents[2] / "api.json").read_text())
    for variant in api["$defs"]["Error"]["oneOf"]:
        code = variant["properties"]["code"]["const"]
        cls = _errors._BY_CODE[code]
        details = set(variant["properties"]) - {"code", "message"}
        params = set(inspect.signature(cls.__init__).parameters) - {"self", "message"}
        assert details == params, code


def test_a_relative_sqlite_url_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cb.open("sqlite://relative.db")
    assert (tmp_path / "relative.db").exists()
    absolute = tmp_path / "sub" / "absolute.db"
    absolute.parent.mkdir()
    cb.open(f"sqlite://{absolute}")  # "sqlite://" + "/abs/path": three slashes
    assert absolute.exists()


def test_errors_are_readable() -> None:
    err = cb.ValidationError("validation failed on 1 field(s)", [cb.FieldError("a", "required", "is required")])
    assert str(err) == "validation failed on 1 field(s)"
    assert repr(err) == "ValidationError(code='validation', message='validation failed on 1 field(s)')"
    assert str(cb.NotFoundError("patient not found", "patient")) == "patient not found"
    taken = cb.DoubleBookingError("double booking", cb.BookedResource.ROOM, cb.new_id())
    assert (taken.code, taken.resource) == ("double_booking", "room") and taken.appointment is not None
