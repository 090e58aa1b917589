"""The typing contract: the native stub matches the built module (stubtest),
the package type-checks under mypy --strict, and so does this test suite
(it uses the API the way a typed host would)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run(*args: str) -> str:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "MYPY_CACHE_DIR": cache}
        # run outside the source tree so only the installed package is seen
        proc = subprocess.run(
            [sys.executable, "-m", *args], cwd=cache, env=env, capture_output=True, text=True, timeout=600
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_stubtest_finds_no_drift() -> None:
    out = run("mypy.stubtest", "carebase", "--allowlist", str(HERE / "stubtest-allowlist.txt"))
    assert "Success" in out


def test_package_and_typed_usage_pass_mypy_strict() -> None:
    import carebase

    assert (Path(carebase.__file__).parent / "py.typed").exists()
    assert (Path(carebase.__file__).parent / "_native.pyi").exists()
    out = run(
        "mypy", "--strict", "--allow-untyped-defs",
        str(ROOT / "python" / "carebase"), str(HERE),
    )
    assert "Success" in out


CORE_OPERATIONS = {
    "register_patient", "get_patient", "update_patient", "deactivate_patient",
    "reactivate_patient", "search_patients", "generate_mrn", "find_duplicates",
    "merge_patients", "unmerge_patients", "merge_history", "assign_care_team",
    "remove_care_team", "care_team", "explain_access", "request_emergency_access",
    "grants_awaiting_review", "review_emergency_access", "audit_log", "verify_audit",
    "audit_checkpoint", "audit_key_id", "who_accessed", "poll_events", "events_after", "ack_events", "replace_policy",
    # scheduling
    "add_practitioner", "set_availability", "get_practitioner", "list_practitioners",
    "add_resource", "list_resources", "add_visit_type", "list_visit_types", "find_free_slots",
    "book_appointment", "book_series", "get_appointment", "reschedule_appointment",
    "cancel_appointment", "change_appointment_status", "list_appointments", "due_reminders",
    "mark_reminder_sent",
    # FHIR R4 JSON
    "export_appointment_fhir", "import_appointment_fhir", "export_schedule_fhir", "export_free_slots_fhir",
}


def test_every_core_operation_is_bridged_to_a_native_method() -> None:
    import carebase
    from carebase import _native

    public = {n for n in dir(carebase.Clinic) if not n.startswith("_")}
    native = {n for n in dir(_native.Clinic) if not n.startswith("_")}
    assert CORE_OPERATIONS <= public
    assert public == native  # nothing missing on either side
