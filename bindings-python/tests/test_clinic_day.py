"""examples/src/clinic_day.rs, told in Python over an embedded SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

import carebase as cb
from conftest import details, settings


def test_a_day_at_the_clinic(tmp_path: Path) -> None:
    clinic = cb.open(f"sqlite:///{tmp_path}/clinic-day.db", settings=settings())
    desk, admin, system = cb.Actor.new(cb.Role.FRONT_DESK), cb.Actor.new(cb.Role.ADMIN), cb.Actor.system()
    dr_osei, dr_lind = cb.Actor.for_practitioner(cb.new_id()), cb.Actor.for_practitioner(cb.new_id())

    # 08:00 registrations, one of them rushed
    jose = clinic.register_patient(desk, details("Núñez", "José", (1984, 7, 1)), mrn_facility="north")
    amara = clinic.register_patient(desk, details("Okafor", "Amara", (1990, 3, 4)), mrn_facility="north")
    rushed = details("", "", (2031, 1, 1))
    rushed.telecom = [
        cb.ContactPoint(system=cb.ContactSystem.PHONE, value="call me"),
        cb.ContactPoint(system=cb.ContactSystem.EMAIL, value="amara(at)example"),
    ]
    with pytest.raises(cb.ValidationError) as rushed_error:
        clinic.register_patient(desk, rushed, mrn_facility="north")
    assert len(rushed_error.value.fields) >= 4
    amara_again = clinic.register_patient(desk, details("Okafor", "Amarah", (1990, 3, 4)), mrn_facility="north")

    # 08:30 "jose" finds "José"
    assert [p.id for p in clinic.search_patients(desk, cb.PatientQuery(name="jose"))] == [jose.id]

    # 09:00 care team; 09:15 a denied read with its reason
    assert dr_osei.practitioner is not None
    clinic.add_practitioner(admin, cb.NewPractitioner(id=dr_osei.practitioner, name="Dr Osei", time_zone="UTC"))
    clinic.assign_care_team(admin, jose.id, dr_osei.practitioner)
    assert clinic.get_patient(dr_osei, jose.id).hidden_fields == []
    with pytest.raises(cb.ForbiddenError) as denied:
        clinic.get_patient(dr_lind, jose.id)
    assert denied.value.reason is not None and len(denied.value.reason.steps) == 2

    # 11:40 break the glass
    grant = clinic.request_emergency_access(dr_lind, jose.id, "patient collapsed, treating physician unavailable")
    clinic.get_patient(dr_lind, jose.id)

    # 12:00 billing's masked view
    seen = clinic.get_patient(cb.Actor.new(cb.Role.BILLING), jose.id)
    assert cb.PatientField.TELECOM in seen.hidden_fields

    # 14:00 duplicates of Amara, merged
    candidates = clinic.find_duplicates(system, amara.id, 5)
    assert candidates[0].patient.id == amara_again.id
    clinic.merge_patients(system, amara.id, amara.version, amara_again.id, amara_again.version)

    # 17:00 review, verify, relay
    clinic.review_emergency_access(admin, grant.id, "appropriate")
    assert clinic.verify_audit(system).ok
    events = clinic.poll_events(system, "relay", 100)
    assert [e.kind for e in events].count("patient.registered") == 3
    merged = [e for e in events if e.kind == "patient.merged"]
    assert sorted(str(e.patient) for e in merged) == sorted([str(amara.id), str(amara_again.id)])
    for e in merged:  # into each patient's stream, the newest event about that patient
        assert max(s.seq for s in events if s.patient == e.patient) == e.seq
    for e in events:  # a relay acknowledges each partition it published from
        assert clinic.ack_events(system, "relay", e.partition, e.seq) == e.seq
    assert clinic.poll_events(system, "relay", 100) == []
