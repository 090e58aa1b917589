"""Notebook helpers: results as lists of dicts and pandas DataFrames."""

from __future__ import annotations

import sys
import uuid
from datetime import date, timedelta

import pytest

import carebase as cb
from conftest import details


def test_page_and_audit_to_dicts(clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor) -> None:
    p = clinic.register_patient(desk, details("Tab", "Le"))
    rows = clinic.search_patients(desk, cb.PatientQuery(name="tab")).to_dicts()
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == p.id and isinstance(row["id"], uuid.UUID)
    assert row["birth_date"] == date(1984, 7, 1)
    assert row["gender"] == "female" and row["names"][0]["family"] == "Tab"
    audit = clinic.audit_log(system).to_dicts()
    assert {"id", "at", "actor", "roles", "action", "patient", "outcome", "chain_seq", "hash"} <= set(audit[0])
    assert audit[0]["outcome"] == "success" and audit[0]["roles"] == ["front_desk"]
    access = clinic.who_accessed(cb.Actor.for_patient(p.id), p.id).to_dicts()
    assert access[0]["action"] == "patient.register" and access[0]["break_glass"] is False
    assert clinic.poll_events(system, "t", 10).to_dicts()[0]["kind"] == "patient.registered"


def test_to_pandas(clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor) -> None:
    pd = pytest.importorskip("pandas")
    for i in range(3):
        clinic.register_patient(desk, details("Frame", f"N{i}"))
    df = clinic.search_patients(desk, cb.PatientQuery(name="frame")).to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == 3
    assert list(df["version"]) == [1, 1, 1]
    audit = clinic.audit_log(system).to_pandas()
    assert len(audit) >= 3 and set(audit["outcome"]) == {"success"}
    assert str(audit["at"].dtype).startswith("datetime64")


def test_to_pandas_without_pandas_says_what_to_install(
    clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic.register_patient(desk, details("No", "Pandas"))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        clinic.search_patients(desk).to_pandas()
    with pytest.raises(ImportError, match="pip install pandas"):
        clinic.audit_log(system).to_pandas()


def test_to_pandas_flattens_nested_records_into_named_columns_with_datetime64_dates(
    clinic: cb.Clinic, desk: cb.Actor
) -> None:
    pd = pytest.importorskip("pandas")
    clinic.register_patient(desk, details("Flat", "Col"))
    df = clinic.search_patients(desk, cb.PatientQuery(name="flat")).to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert df.loc[0, "names.0.family"] == "Flat"
    assert df.loc[0, "names.0.given"] == ["Col"]
    assert str(df["birth_date"].dtype).startswith("datetime64")
    assert str(df["created_at"].dtype).startswith("datetime64")
    assert df.loc[0, "gender"] == "female"
    assert not any(isinstance(v, dict) for column in df.columns for v in df[column])


def test_record_types_carry_cores_docs_and_defaults() -> None:
    assert cb.Availability().slot_minutes == 15
    assert cb.HumanName().usage is None
    assert cb.Settings().break_glass_default == timedelta(hours=1)
    assert cb.Patient.__doc__ == "A stored patient: details plus identity, version and status."


def test_to_pandas_is_typed_as_a_pandas_data_frame() -> None:
    for method in (cb.Records.to_pandas, cb.Page.to_pandas):
        assert method.__annotations__["return"] == "pandas.DataFrame"
