"""Tamper evidence of the audit trail against someone who can write the
database file but does not hold the audit key (issue 10, defect 4), from
Python, as the attacker worked: a separate process with the standard
library's ``sqlite3`` that recomputes seals anyone can compute."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path
from typing import Tuple

import pytest

import carebase as cb
from conftest import actor, details, settings

KEY = os.urandom(32)

# The attacker's tools, run in a process of their own. They know the schema
# and the legacy seal (SHA-256 over serde's JSON of the entry), not the key.
ATTACK = r'''
import hashlib, json, sqlite3, sys, uuid

path, what, patient = sys.argv[1], sys.argv[2], sys.argv[3]
db = sqlite3.connect(path, timeout=30)
cols = ("id, patient_id, chain_seq, at, actor_id, roles, action, outcome, reason, "
        "break_glass, subject, prev_hash, hash")

def auto_si(text):
    # chrono's serde form of an instant: 0, 3, 6 or 9 fractional digits.
    head, frac = text[:-1].split(".")
    frac = frac.ljust(9, "0")
    for digits in (0, 3, 6):
        if frac[digits:] == "0" * (9 - digits):
            return head + ("." + frac[:digits] if digits else "") + "Z"
    return head + "." + frac + "Z"

def v1_seal(draft, seq, prev):
    canonical = {"v": 1, "draft": draft, "chain_seq": seq, "prev_hash": prev}
    text = json.dumps(canonical, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()

if what == "forge-tail":
    last = db.execute(f"SELECT {cols} FROM audit_entries WHERE patient_id = ? "
                      "ORDER BY chain_seq DESC LIMIT 1", (patient,)).fetchone()
    (_, pid, seq, at, actor_id, roles, _, _, reason, bg, subject, _, prev) = last
    new_id = str(uuid.uuid4())
    draft = {"id": new_id, "at": auto_si(at), "actor": actor_id, "roles": json.loads(roles),
             "action": "patient.read", "patient": pid, "outcome": "success",
             "reason": reason, "break_glass": bg, "subject": subject}
    seal = v1_seal(draft, seq + 1, prev)
    db.execute(f"INSERT INTO audit_entries ({cols}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (new_id, pid, seq + 1, at, actor_id, roles, "patient.read", "success",
                reason, bg, subject, prev, seal))
    db.execute("UPDATE audit_heads SET seq = ?, hash = ? WHERE chain = ?", (seq + 1, seal, pid))
elif what == "delete-newest-checkpoint":
    db.execute("DELETE FROM audit_checkpoints WHERE seq = (SELECT MAX(seq) FROM audit_checkpoints)")
elif what == "delete-patient":
    for table in ("patient_identifiers", "patient_name_tokens", "patient_phones",
                  "patient_emails", "care_team", "break_glass_grants", "appointment_reminders",
                  "appointments", "outbox_events", "audit_entries"):
        db.execute(f"DELETE FROM {table} WHERE patient_id = ?", (patient,))
    db.execute("DELETE FROM audit_heads WHERE chain = ?", (patient,))
    db.execute("DELETE FROM patients WHERE id = ?", (patient,))
else:
    sys.exit(f"unknown attack {what}")
db.commit()
db.close()
'''


def attack(path: Path, what: str, patient: object = "") -> None:
    subprocess.run([sys.executable, "-c", ATTACK, str(path), what, str(patient)], check=True)


def keyed(path: Path, key: bytes = KEY) -> cb.Clinic:
    return cb.open(f"sqlite://{path}", settings=settings(), audit_key=key)


def trail(path: Path) -> Tuple[cb.Patient, cb.AuditCheckpoint]:
    """A keyed trail with a checkpoint; the clinic is closed afterwards."""
    clinic = keyed(path)
    desk, system = actor(cb.Role.FRONT_DESK), cb.Actor.system()
    p = clinic.register_patient(desk, details("Keyed", "Kim"))
    other = clinic.register_patient(desk, details("Other", "Oli"))
    for patient in (p, p, other):
        clinic.get_patient(desk, patient.id)
    checkpoint = clinic.audit_checkpoint(system)
    del clinic
    gc.collect()
    return p, checkpoint


def test_a_tail_row_forged_with_a_recomputed_sha256_and_an_advanced_head_is_detected(
    tmp_path: Path,
) -> None:
    path = tmp_path / "forged.db"
    p, kept = trail(path)
    attack(path, "forge-tail", p.id)
    report = keyed(path).verify_audit(cb.Actor.system())
    assert not report.ok
    assert report.problem is not None
    assert report.problem.kind is cb.ProblemKind.FORGED
    assert report.problem.chain == p.id
    assert report.keyed and report.anchor == kept.seq


def test_a_checkpoint_exports_as_json_and_anchors_verification(tmp_path: Path) -> None:
    path = tmp_path / "export.db"
    _, kept = trail(path)
    text = kept.to_json()
    assert cb.AuditCheckpoint.from_json(text) == kept
    clinic = keyed(path)
    report = clinic.verify_audit(cb.Actor.system(), trusted=cb.AuditCheckpoint.from_json(text))
    assert report.ok, report
    assert (report.keyed, report.key_id, report.trusted) == (True, kept.key_id, kept.seq)
    assert report.key_id == clinic.audit_key_id()
    assert report.checkpoints_checked == 1


def test_deleting_the_newest_checkpoint_is_detected_with_the_exported_one(tmp_path: Path) -> None:
    path = tmp_path / "rollback.db"
    _, kept = trail(path)
    attack(path, "delete-newest-checkpoint")
    report = keyed(path).verify_audit(cb.Actor.system(), trusted=kept)
    assert not report.ok and report.problem is not None
    assert report.problem.kind is cb.ProblemKind.CHECKPOINT_MISSING
    assert report.problem.checkpoint == kept.seq


def test_deleting_a_patient_entirely_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "erased.db"
    p, _ = trail(path)
    attack(path, "delete-patient", p.id)
    report = keyed(path).verify_audit(cb.Actor.system())
    assert not report.ok and report.problem is not None
    assert report.problem.kind is cb.ProblemKind.MISSING_CHAIN
    assert report.problem.chain == p.id


def test_a_trail_that_fails_verification_is_not_checkpointed(tmp_path: Path) -> None:
    path = tmp_path / "refused.db"
    p, _ = trail(path)
    attack(path, "forge-tail", p.id)
    with pytest.raises(cb.ConflictError):
        keyed(path).audit_checkpoint(cb.Actor.system())


def test_taking_a_checkpoint_needs_its_own_permission(tmp_path: Path) -> None:
    clinic = keyed(tmp_path / "perm.db")
    with pytest.raises(cb.ForbiddenError) as info:
        clinic.audit_checkpoint(actor(cb.Role.FRONT_DESK))
    assert info.value.reason is not None
    assert info.value.reason.permission is cb.Permission.AUDIT_CHECKPOINT
    assert clinic.audit_checkpoint(actor(cb.Role.ADMIN)).seq == 1


def test_a_clinic_without_a_key_says_so_in_every_report() -> None:
    clinic = cb.open("memory:")
    clinic.register_patient(actor(cb.Role.FRONT_DESK), details("Dev", "Key"))
    report = clinic.verify_audit(cb.Actor.system())
    assert report.ok and not report.keyed
    assert report.key_id == clinic.audit_key_id()


def test_a_trail_opened_with_another_key_reports_a_wrong_key(tmp_path: Path) -> None:
    path = tmp_path / "wrong.db"
    trail(path)
    report = keyed(path, os.urandom(32)).verify_audit(cb.Actor.system())
    assert not report.ok and report.problem is not None
    assert report.problem.kind is cb.ProblemKind.WRONG_KEY


def test_a_short_or_mistyped_audit_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(cb.ValidationError) as info:
        cb.open("memory:", audit_key=b"short secret")
    assert info.value.fields[0].field == "audit_key"
    assert "short secret" not in str(info.value)
    with pytest.raises(TypeError):
        cb.open("memory:", audit_key="a str is not bytes, even a long one!!")  # type: ignore[arg-type]


def test_the_key_never_shows_in_reprs_or_reports(tmp_path: Path) -> None:
    clinic = keyed(tmp_path / "repr.db")
    kept = clinic.audit_checkpoint(cb.Actor.system())
    report = clinic.verify_audit(cb.Actor.system(), trusted=kept)
    shown = repr(clinic) + repr(kept) + repr(report) + kept.to_json()
    assert KEY.hex() not in shown
