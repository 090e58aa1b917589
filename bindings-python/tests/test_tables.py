"""Notebook helpers: results as lists of dicts and pandas DataFrames."""

from __future__ import annotations

import sys
import uuid
from datetime import date

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
