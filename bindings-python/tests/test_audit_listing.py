"""A patient's audit listing pages along that patient's chain: core's audit_entries_* conformance tests from Python."""

from __future__ import annotations

import pytest

import carebase as cb
from conftest import actor, details


def test_a_patients_audit_listing_refuses_a_cursor_from_another_patients_chain(
    clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor
) -> None:
    mine = clinic.register_patient(desk, details("Chain", "Mine", (1970, 3, 3)))
    theirs = clinic.register_patient(actor(cb.Role.FRONT_DESK), details("Chain", "Theirs", (1971, 4, 4)))
    [their_entry] = clinic.audit_log(system, cb.AuditQuery(patient=theirs.id))
    with pytest.raises(cb.ValidationError) as info:
        clinic.audit_log(system, cb.AuditQuery(patient=mine.id, after=their_entry.id))
    assert [(f.field, f.code) for f in info.value.fields] == [("after", "invalid_cursor")]
    # The refusal and the listings are audited on the chain: its own entry
    # is a cursor, and the next page starts at the next position.
    [first] = clinic.audit_log(system, cb.AuditQuery(patient=mine.id, limit=1))
    after_first = clinic.audit_log(system, cb.AuditQuery(patient=mine.id, after=first.id))
    assert [e.chain_seq for e in after_first] == list(range(2, 2 + len(after_first)))
    assert after_first[0].outcome is cb.Outcome.FAILED
