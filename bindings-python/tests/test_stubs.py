"""The typing contract: the native stub matches the built module (stubtest),
the package type-checks under mypy --strict, and so does this test suite
(it uses the API the way a typed host would)."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict

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


def test_every_operation_of_cores_list_is_a_clinic_method() -> None:
    import carebase
    from carebase import _native

    listed = set(_native.operations())
    public = {n for n in dir(carebase.Clinic) if not n.startswith("_")}
    assert CORE_OPERATIONS - {"audit_key_id"} <= listed
    assert sorted(listed - public) == []  # an operation of core's list the package lacks
    assert public - listed == {"settings", "policy", "audit_key_id"}  # the clinic's own accessors


def test_the_native_module_has_one_entry_point_for_every_operation() -> None:
    from carebase import _native

    native = {n for n in dir(_native.Clinic) if not n.startswith("_")}
    # `call_bytes`: the same entry point with bytes beside the JSON text (documents)
    assert native == {"call", "call_bytes", "settings", "policy", "audit_key_id"}


def _api() -> Dict[str, Any]:
    document: Dict[str, Any] = json.loads((ROOT.parent / "api.json").read_text())
    return document


def test_every_type_an_operation_reaches_is_in_the_package() -> None:
    import carebase

    defs: Dict[str, Any] = _api()["$defs"]
    # Types a Python host holds as its own: ids as uuid.UUID, durations as
    # timedelta, exact decimals as decimal.Decimal, raw bytes as bytes, the error as the
    # CarebaseError classes, a patient page as Page.
    native = {name for name, schema in defs.items() if schema.get("format") in ("uuid", "decimal", "bytes")}
    native |= {"Minutes", "Error", "PatientPage"}
    # Argument bundles whose fields are the method's own arguments (#[flatten]).
    flattened = {
        arg["schema"]["$ref"].rsplit("/", 1)[1]
        for op in _api()["operations"]
        for arg in op["args"]
        if arg["flatten"]
    }
    missing = [n for n in defs if n not in native | flattened and not hasattr(carebase, n)]
    assert missing == []


def test_a_flattened_argument_bundle_is_spelt_out_as_the_methods_arguments() -> None:
    import carebase

    api = _api()
    for op in api["operations"]:
        params = set(inspect.signature(getattr(carebase.Clinic, op["name"])).parameters)
        for arg in op["args"]:
            if arg["flatten"]:
                bundle = api["$defs"][arg["schema"]["$ref"].rsplit("/", 1)[1]]
                fields = {f + "_" if f == "from" else f for f in bundle["properties"]}
                assert fields <= params, (op["name"], sorted(fields - params))


def test_every_error_code_of_core_has_its_exception_class() -> None:
    from carebase import _errors

    tags = [v["properties"]["code"]["const"] for v in _api()["$defs"]["Error"]["oneOf"]]
    assert sorted(tags) == sorted(_errors._BY_CODE)


def test_every_code_enum_has_cores_codes_as_its_values() -> None:
    import carebase

    for name, schema in _api()["$defs"].items():
        variants = schema.get("oneOf", [])
        if variants and all("const" in v and "x-name" in v for v in variants):
            cls = getattr(carebase, name)
            assert [m.value for m in cls] == [v["const"] for v in variants], name
