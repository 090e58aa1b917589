"""Duplicates, merge, unmerge and the merge log."""

from __future__ import annotations

import pytest

import carebase as cb
from conftest import details


def test_duplicates_merge_and_unmerge(clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor) -> None:
    amara = clinic.register_patient(desk, details("Okafor", "Amara", (1990, 3, 4)))
    again = clinic.register_patient(desk, details("Okafor", "Amarah", (1990, 3, 4)))
    clinic.register_patient(desk, details("Smith", "Zed", (1950, 1, 1)))
    found = clinic.find_duplicates(system, amara.id, 5)
    assert found and found[0].patient.id == again.id
    score = found[0].score
    assert 0.0 < score.total <= 1.0
    assert score.birth_date.similarity == 1.0 and score.birth_date.weight == pytest.approx(0.30)
    assert score.name.similarity is not None and score.name.similarity > 0.9
    assert isinstance(score.email.weight, float) and score.email.similarity is None

    merge = clinic.merge_patients(system, amara.id, amara.version, again.id, again.version)
    assert (merge.survivor, merge.merged, merge.merged_by) == (amara.id, again.id, system.id)
    assert merge.merged_before.id == again.id and merge.unmerged_at is None
    # the merged patient's own stream (its partition) says it was merged
    stream = [e for e in clinic.events_after(system, [], 100) if e.patient == again.id]
    assert [e.kind for e in stream] == ["patient.registered", "patient.merged"]
    assert stream[0].partition == stream[1].partition
    gone = clinic.get_patient(desk, again.id)
    assert gone.merged_into == amara.id and not gone.active
    with pytest.raises(cb.ConflictError):  # the survivor's version moved
        clinic.merge_patients(system, amara.id, amara.version, again.id, gone.version)

    restored = clinic.unmerge_patients(system, merge.id)
    assert restored.active and restored.merged_into is None
    assert restored.details.names == again.details.names
    with pytest.raises(cb.ConflictError):
        clinic.unmerge_patients(system, merge.id)
    history = clinic.merge_history(system, again.id)
    assert [m.id for m in history] == [merge.id]
    assert history[0].unmerged_by == system.id and history[0].unmerged_at is not None
    with pytest.raises(cb.NotFoundError):
        clinic.unmerge_patients(system, cb.new_id())


def test_merge_into_itself_and_bad_limits_are_validation(clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor) -> None:
    p = clinic.register_patient(desk, details("Solo", "One"))
    with pytest.raises(cb.ValidationError) as info:
        clinic.merge_patients(system, p.id, 1, p.id, 1)
    assert info.value.fields[0].code == "same_patient"
    with pytest.raises(cb.ValidationError):
        clinic.find_duplicates(system, p.id, 0)
    with pytest.raises(cb.ForbiddenError):
        clinic.find_duplicates(desk, p.id, 5)
