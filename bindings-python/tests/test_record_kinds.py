"""Issue 13 (record kinds) from Python: a prescription meeting a standing
allergy is refused with ``allergy_conflict`` naming the allergy, unless it
is overridden with a reason. MemoryStore only until the SQL record store
lands (record-store's branch)."""

from __future__ import annotations

from datetime import timedelta

import carebase as cb
from test_scheduling import scheduling_world

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def penicillin() -> cb.Coding:
    return cb.Coding(system=RXNORM, code="7980")


def test_a_prescription_meeting_an_allergy_is_refused_naming_it_unless_overridden() -> None:
    w = scheduling_world()
    w.clinic.assign_care_team(cb.Actor.new(cb.Role.ADMIN), w.ann.id, w.doctor.id)
    login = cb.Actor.for_practitioner(w.doctor.id)
    now = w.clock.now() - timedelta(minutes=1)
    allergy = w.clinic.record_allergy(
        login, w.ann.id, now, None,
        cb.Allergy(substance=penicillin(), clinical_status=cb.AllergyStatus.ACTIVE),
    )
    rx = cb.Prescription(medication=penicillin(), prescriber=w.doctor.id, status=cb.PrescriptionStatus.ACTIVE)
    try:
        w.clinic.prescribe(login, w.ann.id, now, None, rx)
        raise AssertionError("expected allergy_conflict")
    except cb.AllergyConflictError as e:
        assert e.code == "allergy_conflict"
        assert list(e.allergies) == [allergy.id]
    rx.allergy_overrides = [cb.AllergyOverride(allergy=allergy.id, reason="desensitised")]
    issued = w.clinic.prescribe(login, w.ann.id, now, None, rx)
    assert issued.version == 1 and issued.body.kind == cb.EntryBodyKind.PRESCRIPTION
