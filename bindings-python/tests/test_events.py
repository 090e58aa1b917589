"""The outbox: poll, ack, redelivery, schemas."""

from __future__ import annotations

import json

import pytest

import carebase as cb
from conftest import details


def test_events_are_redelivered_until_acknowledged(clinic: cb.Clinic, desk: cb.Actor, system: cb.Actor) -> None:
    a = clinic.register_patient(desk, details("Ev", "One"))
    clinic.update_patient(desk, a.id, 1, details("Ev", "Uno"))
    b = clinic.register_patient(desk, details("Ev", "Two"))
    first = clinic.poll_events(system, "relay", 10)
    # a patient's events share a partition, in the order they happened
    of_a = [e for e in first if e.patient == a.id]
    assert [e.kind for e in of_a] == ["patient.registered", "patient.updated"]
    assert of_a[0].partition == of_a[1].partition and of_a[0].seq + 1 == of_a[1].seq
    assert of_a[0].payload["patient_id"] == str(a.id) and of_a[0].schema_version == 1
    assert of_a[0].idempotency_key == f"patient.registered:{a.id}:1"
    again = clinic.poll_events(system, "relay", 10)
    assert [e.id for e in again] == [e.id for e in first]  # not acked: redelivered
    last = of_a[-1]
    assert clinic.ack_events(system, "relay", last.partition, last.seq) == last.seq
    rest = clinic.poll_events(system, "relay", 10)
    assert [(e.kind, e.patient) for e in rest] == [("patient.registered", b.id)]
    # another consumer still sees everything, and events_after keeps its own position
    assert len(clinic.poll_events(system, "audit-sink", 10)) == 3
    after = [0] * 16
    after[of_a[0].partition] = of_a[0].seq
    assert {e.id for e in clinic.events_after(system, after, 10)} == {of_a[1].id, rest[0].id}
    # acks never move back, and name a sequence number and a partition that exist
    assert clinic.ack_events(system, "relay", last.partition, 0) == last.seq
    with pytest.raises(cb.ValidationError):
        clinic.ack_events(system, "relay", last.partition, 10_000)
    with pytest.raises(cb.ValidationError):
        clinic.ack_events(system, "relay", 16, 0)
    for e in rest:
        assert "Two" not in json.dumps(e.payload)


def test_consumer_names_and_limits_are_checked_together(clinic: cb.Clinic, system: cb.Actor) -> None:
    with pytest.raises(cb.ValidationError) as info:
        clinic.poll_events(system, "bad name!", 0)
    assert sorted(f.field for f in info.value.fields) == ["consumer", "limit"]


def test_only_permitted_actors_read_the_outbox(clinic: cb.Clinic, desk: cb.Actor) -> None:
    with pytest.raises(cb.ForbiddenError):
        clinic.poll_events(desk, "relay", 10)


def test_event_schemas_are_published() -> None:
    kinds = dict(cb.event_types())
    assert kinds["patient.registered"] == 1
    schema = cb.event_schema("patient.registered", 1)
    assert schema is not None and json.loads(schema)["type"] == "object"
    assert cb.event_schema("nope", 1) is None
