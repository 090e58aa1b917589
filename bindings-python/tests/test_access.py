"""Access policy, care teams, break-the-glass, audit: core/tests/access.rs from Python."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

import carebase as cb
from conftest import actor, details, settings


def registered(clinic: cb.Clinic) -> cb.Patient:
    return clinic.register_patient(actor(cb.Role.FRONT_DESK), details("Care", "Ful", (1970, 3, 3)))


def test_a_patient_reads_their_own_record_only(clinic: cb.Clinic) -> None:
    mine, other = registered(clinic), registered(clinic)
    me = cb.Actor.for_patient(mine.id)
    assert clinic.get_patient(me, mine.id).id == mine.id
    with pytest.raises(cb.ForbiddenError):
        clinic.get_patient(me, other.id)


def test_a_denied_read_carries_its_reason_and_is_audited(clinic: cb.Clinic, doctor: cb.Actor, system: cb.Actor) -> None:
    p = registered(clinic)
    with pytest.raises(cb.ForbiddenError) as info:
        clinic.get_patient(doctor, p.id)
    err = info.value
    assert err.code == "forbidden"
    assert err.reason is not None
    assert err.reason.permission is cb.Permission.PATIENT_READ
    assert [(s.rule, s.relationship, s.held) for s in err.reason.steps] == [
        ("clinician-care-team", cb.Relationship.CARE_TEAM, False),
        ("clinician-break-glass-read", cb.Relationship.BREAK_GLASS, False),
    ]
    assert all(s.role is cb.Role.PRACTITIONER for s in err.reason.steps)
    assert "Care" not in str(err)
    denied = clinic.audit_log(system, cb.AuditQuery(actor=doctor.id))
    assert [(e.action, e.outcome) for e in denied] == [("patient.read", cb.Outcome.DENIED)]
    assert denied[0].patient == p.id


def test_care_team_grants_and_removal_revokes(clinic: cb.Clinic, doctor: cb.Actor, admin: cb.Actor) -> None:
    p = registered(clinic)
    assert doctor.practitioner is not None
    clinic.add_practitioner(admin, cb.NewPractitioner(id=doctor.practitioner, name="Dr Care", time_zone="UTC"))
    a = clinic.assign_care_team(admin, p.id, doctor.practitioner)
    assert (a.patient, a.practitioner, a.assigned_by) == (p.id, doctor.practitioner, admin.id)
    assert clinic.get_patient(doctor, p.id).hidden_fields == []
    assert [m.practitioner for m in clinic.care_team(doctor, p.id)] == [doctor.practitioner]
    with pytest.raises(cb.ConflictError) as info:
        clinic.assign_care_team(admin, p.id, doctor.practitioner)
    assert info.value.detail is not None and info.value.detail.kind is cb.ConflictKind.ALREADY_EXISTS
    assert clinic.remove_care_team(admin, p.id, doctor.practitioner) is None
    with pytest.raises(cb.ForbiddenError):
        clinic.get_patient(doctor, p.id)


def test_an_admin_manages_care_teams_but_cannot_read_the_record(clinic: cb.Clinic, admin: cb.Actor) -> None:
    p = registered(clinic)
    with pytest.raises(cb.ForbiddenError):
        clinic.get_patient(admin, p.id)
    decision = clinic.explain_access(admin, cb.Permission.CARE_TEAM_MANAGE, p.id)
    assert decision.allowed and decision.permission is cb.Permission.CARE_TEAM_MANAGE
    assert not clinic.explain_access(admin, cb.Permission.PATIENT_READ, p.id).allowed
    assert clinic.explain_access(admin, "audit.verify").allowed  # type: ignore[arg-type]  # codes work too


def test_break_the_glass_needs_a_reason(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    p = registered(clinic)
    with pytest.raises(cb.ValidationError) as info:
        clinic.request_emergency_access(doctor, p.id, "   ")
    assert info.value.fields[0].field == "reason"


def test_break_the_glass_expires_after_an_hour_by_default(
    clinic: cb.Clinic, doctor: cb.Actor, clock: cb.ManualClock
) -> None:
    p = registered(clinic)
    grant = clinic.request_emergency_access(doctor, p.id, "cardiac arrest")
    assert grant.expires_at - grant.granted_at == timedelta(hours=1)
    assert grant.granted_at == clock.now()
    clinic.get_patient(doctor, p.id)
    clock.advance(timedelta(minutes=61))
    with pytest.raises(cb.ForbiddenError):
        clinic.get_patient(doctor, p.id)


def test_break_the_glass_longer_than_the_maximum_is_rejected(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    p = registered(clinic)
    with pytest.raises(cb.ValidationError) as info:
        clinic.request_emergency_access(doctor, p.id, "transfer", timedelta(hours=48))
    assert info.value.fields[0].field == "duration"
    short = clinic.request_emergency_access(doctor, p.id, "transfer", duration=timedelta(minutes=5))
    assert short.expires_at - short.granted_at == timedelta(minutes=5)


def test_a_duration_with_a_fraction_of_a_minute_is_an_invalid_value(clinic: cb.Clinic, doctor: cb.Actor) -> None:
    p = registered(clinic)
    with pytest.raises(cb.ValidationError) as info:
        clinic.request_emergency_access(doctor, p.id, "transfer", timedelta(seconds=90))
    assert [(f.field, f.code) for f in info.value.fields] == [("duration", "invalid_value")]
    with pytest.raises(cb.ValidationError) as bad_setting:
        cb.open("memory:", settings=cb.Settings(break_glass_default=timedelta(seconds=90)))
    assert [(f.field, f.code) for f in bad_setting.value.fields] == [
        ("settings.break_glass_default", "invalid_value")
    ]


def test_every_access_under_break_the_glass_is_flagged_and_reviewable(
    clinic: cb.Clinic, doctor: cb.Actor, admin: cb.Actor, system: cb.Actor
) -> None:
    p = registered(clinic)
    grant = clinic.request_emergency_access(doctor, p.id, "unconscious")
    assert "unconscious" not in repr(grant)
    clinic.get_patient(doctor, p.id)
    clinic.get_patient(doctor, p.id)
    reads = [e for e in clinic.audit_log(system, cb.AuditQuery(actor=doctor.id)) if e.action == "patient.read"]
    assert len(reads) == 2 and all(e.break_glass == grant.id for e in reads)
    waiting = clinic.grants_awaiting_review(admin, 10)
    assert [g.id for g in waiting] == [grant.id]
    reviewed = clinic.review_emergency_access(admin, grant.id, "appropriate")
    assert reviewed.reviewed_by == admin.id and reviewed.review_note == "appropriate"
    assert reviewed.reviewed_at is not None
    assert clinic.grants_awaiting_review(admin, 10) == []
    with pytest.raises(cb.ConflictError):
        clinic.review_emergency_access(admin, grant.id)
    with pytest.raises(cb.NotFoundError):
        clinic.review_emergency_access(admin, cb.new_id())


def test_a_patient_sees_who_accessed_their_record(clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor) -> None:
    p = registered(clinic)
    clinic.get_patient(desk, p.id)
    me = cb.Actor.for_patient(p.id)
    log = clinic.who_accessed(me, p.id)
    assert any(r.actor == desk.id and r.action == "patient.read" for r in log)
    assert all(isinstance(r.outcome, cb.Outcome) and r.break_glass is False for r in log)
    mine = clinic.audit_log(system, cb.AuditQuery(actor=me.id))
    assert [e.action for e in mine] == ["audit.access_log"]
    with pytest.raises(cb.ForbiddenError):
        clinic.who_accessed(me, registered(clinic).id, limit=5)


def test_audit_log_pages_and_carries_no_demographics(clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor) -> None:
    p = registered(clinic)
    clinic.get_patient(desk, p.id)
    first = clinic.audit_log(system, cb.AuditQuery(limit=1))
    assert len(first) == 1
    rest = clinic.audit_log(system, cb.AuditQuery(after=first[0].id))
    assert first[0].id not in [e.id for e in rest]
    # (ids and hashes are hex, so only the text fields are searched)
    text = repr([(e.action, e.reason, e.subject, e.roles) for e in clinic.audit_log(system)])
    for secret in ("Care", "Ful", "1970-03-03", "555 0100", "5550100"):
        assert secret not in text


def test_verify_reports_the_first_edited_entry(tmp_path: Path, desk: cb.Actor, system: cb.Actor) -> None:
    path = tmp_path / "tamper.db"
    clinic = cb.open(f"sqlite://{path}", settings=settings())
    p = registered(clinic)
    clinic.get_patient(desk, p.id)
    report = clinic.verify_audit(system)
    assert report.ok and report.problem is None and report.entries_checked >= 2
    entries = clinic.audit_log(system, cb.AuditQuery(patient=p.id))
    target = entries[1].id
    with sqlite3.connect(path) as db:
        db.execute("UPDATE audit_entries SET outcome = 'denied' WHERE id = ?", (str(target),))
    report = clinic.verify_audit(system)
    assert not report.ok
    assert report.problem is not None
    assert report.problem.entry == target and report.problem.kind is cb.ProblemKind.EDITED
    assert report.problem.chain == p.id


def test_a_replaced_policy_takes_effect_and_is_audited(clinic: cb.Clinic, system: cb.Actor) -> None:
    p = registered(clinic)
    billing = actor(cb.Role.BILLING)
    clinic.get_patient(billing, p.id)
    strict = cb.Policy.from_json(
        '{"version": 1, "rules": [{"id": "system", "roles": ["system"],'
        ' "permissions": ["policy.manage", "audit.read"], "relationship": "any"}]}'
    )
    clinic.replace_policy(system, strict)
    assert clinic.policy() == strict
    with pytest.raises(cb.ForbiddenError):
        clinic.get_patient(billing, p.id)
    changes = clinic.audit_log(system, cb.AuditQuery(actor=system.id))
    assert changes[0].action == "policy.manage"


def test_a_front_desk_actor_cannot_replace_the_policy(clinic: cb.Clinic, desk: cb.Actor) -> None:
    with pytest.raises(cb.ForbiddenError) as info:
        clinic.replace_policy(desk, cb.Policy.default())
    assert info.value.reason is not None and info.value.reason.steps == []


def test_policy_built_in_code_is_checked_by_core(clinic: cb.Clinic, system: cb.Actor) -> None:
    bad = cb.Policy(version=1, rules=[cb.Rule(id="", roles=[cb.Role.ADMIN], permissions=[cb.Permission.AUDIT_READ], relationship=cb.Relationship.ANY)])
    with pytest.raises(cb.InvalidPolicyError) as info:
        clinic.replace_policy(system, bad)
    assert "rules[0].id" in info.value.location
    with pytest.raises(cb.InvalidPolicyError):
        cb.open("memory:", policy=bad)
    custom = cb.Policy.default()
    opened = cb.open("memory:", policy=custom)
    assert opened.policy() == custom
    assert cb.Policy.from_toml(cb.DEFAULT_POLICY_TOML) == custom


def test_settings_round_trip(clinic: cb.Clinic) -> None:
    s = clinic.settings()
    assert s.identifier_systems == settings().identifier_systems
    assert s.mrn_namespaces == settings().mrn_namespaces
    assert s.break_glass_default == timedelta(hours=1)
    assert s.break_glass_max == timedelta(hours=24)
    short = cb.open("memory:", settings=cb.Settings(break_glass_default=timedelta(minutes=10), break_glass_max=timedelta(minutes=30)))
    assert short.settings().break_glass_max == timedelta(minutes=30)
