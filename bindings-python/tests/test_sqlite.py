"""Opening stores by URL; data survives reopening a SQLite file."""

from __future__ import annotations

from pathlib import Path

import carebase as cb
from conftest import details, settings


def test_a_sqlite_file_persists_across_opens(tmp_path: Path, desk: cb.Actor) -> None:
    url = f"sqlite://{tmp_path / 'persist.db'}"
    p = cb.open(url, settings=settings()).register_patient(desk, details("Kept", "Here"), mrn_facility="north")
    again = cb.open(url, settings=settings())
    assert again.get_patient(desk, p.id).details.names[0].family == "Kept"
    # the MRN counter is stored too
    assert again.generate_mrn(desk, "north").value == "00000026"


def test_every_url_form_opens(tmp_path: Path, desk: cb.Actor) -> None:
    for url in ["memory:", "sqlite::memory:", f"sqlite:///{tmp_path}/abs.db"]:
        clinic = cb.open(url)
        p = clinic.register_patient(desk, details("Url", "Form"))
        assert clinic.get_patient(desk, p.id).version == 1
        assert repr(clinic) == "Clinic()"
