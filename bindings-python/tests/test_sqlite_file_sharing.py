"""The SQLite file shared with the host's own SQLite: Python's ``sqlite3``
module (and pandas on top of it) links a different SQLite library than
carebase. Reading the file with it while carebase runs must never cost an
acknowledged write, even when the process then dies."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import List, Tuple

import pytest

import carebase as cb

TRIES = 5

# A child process: one patient, a peek with the standard-library sqlite3
# (read-write, or mode=ro followed by another process's reader), five more
# patients, SIGKILL. It writes how many patients the peek saw beside the file.
CHILD = r"""
import os, signal, sqlite3, subprocess, sys
from datetime import date
import carebase as cb

path, peek = sys.argv[1], sys.argv[2]
clinic = cb.open(f"sqlite://{path}")
desk = cb.Actor.new(cb.Role.FRONT_DESK)

def register(n):
    for i in range(n):
        clinic.register_patient(desk, cb.PatientDetails(
            names=[cb.HumanName(family=f"Kept{i}", given=["Ada"])],
            gender=cb.Gender.FEMALE, birth_date=date(1984, 7, 1)))

register(1)
if peek == "rw":
    con = sqlite3.connect(path)
else:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
seen = con.execute("SELECT count(*) FROM patients").fetchone()[0]
con.close()
if peek == "ro":
    other = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT 1 FROM patients'); c.close()"
    subprocess.run([sys.executable, "-c", other, path], check=True)
register(5)
with open(path + ".peeked", "w") as f:
    f.write(str(seen))
os.kill(os.getpid(), signal.SIGKILL)
"""


def register(clinic: cb.Clinic, desk: cb.Actor, n: int) -> None:
    for i in range(n):
        clinic.register_patient(
            desk,
            cb.PatientDetails(
                names=[cb.HumanName(family=f"Kept{i}", given=["Ada"])],
                gender=cb.Gender.FEMALE,
                birth_date=date(1984, 7, 1),
            ),
        )


def patients_in(path: Path, desk: cb.Actor) -> int:
    """Patients carebase finds after reopening the file."""
    return len(cb.open(f"sqlite://{path}").search_patients(desk, cb.PatientQuery(limit=100)))


def crash_after_peek(tmp_path: Path, desk: cb.Actor, peek: str) -> List[Tuple[int, int]]:
    """(patients the peek saw, patients kept) for each crashed child."""
    runs = []
    for attempt in range(TRIES):
        db = tmp_path / f"try{attempt}" / "clinic.db"
        db.parent.mkdir()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(db), peek], capture_output=True, text=True, timeout=120
        )
        assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
        seen = int(Path(f"{db}.peeked").read_text())
        runs.append((seen, patients_in(db, desk)))
    return runs


def test_acknowledged_patients_survive_a_sqlite3_peek_and_a_crash(tmp_path: Path, desk: cb.Actor) -> None:
    # before the fix: [(1, 1), ...], five of six patients gone in every try
    assert crash_after_peek(tmp_path, desk, "rw") == [(1, 6)] * TRIES


def test_acknowledged_patients_survive_a_read_only_peek_another_reader_and_a_crash(
    tmp_path: Path, desk: cb.Actor
) -> None:
    # before the fix the mode=ro close dropped carebase's locks, and the
    # other process's reader then deleted the WAL: [(1, 1), ...]
    assert crash_after_peek(tmp_path, desk, "ro") == [(1, 6)] * TRIES


def test_sqlite3_reads_the_patients_carebase_committed(tmp_path: Path, desk: cb.Actor) -> None:
    db = tmp_path / "clinic.db"
    clinic = cb.open(f"sqlite://{db}")
    register(clinic, desk, 2)
    for con in [sqlite3.connect(db), sqlite3.connect(f"file:{db}?mode=ro", uri=True)]:
        assert con.execute("SELECT count(*) FROM patients").fetchone()[0] == 2
        con.close()


def test_pandas_keeps_reading_while_carebase_writes(tmp_path: Path, desk: cb.Actor) -> None:
    pd = pytest.importorskip("pandas")
    db = tmp_path / "clinic.db"
    clinic = cb.open(f"sqlite://{db}")
    con = sqlite3.connect(db)
    for n in range(1, 6):
        register(clinic, desk, 1)
        frame = pd.read_sql_query("SELECT count(*) AS n FROM patients", con)
        assert int(frame["n"][0]) == n
    con.close()
    register(clinic, desk, 1)
    del clinic
    assert patients_in(db, desk) == 6
    check = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check.close()
