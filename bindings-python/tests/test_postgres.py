"""Read-your-writes over a PostgreSQL store opened through ``carebase.open``.

Needs ``CAREBASE_PG_URL`` (``eval "$(bash scripts/postgres | tail -n 1)"``):
without it the tests skip, or fail when ``CI`` is set. The database is shared
across runs, so every name, MRN facility and identifier system carries a
random suffix unique to this run.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List, Tuple

import pytest

import carebase as cb
from conftest import details

SUFFIX = uuid.uuid4().hex[:10]
FACILITY = f"pg-{SUFFIX}"
MRN_SYSTEM = f"urn:carebase:mrn:pg-{SUFFIX}"


def pg_settings() -> cb.Settings:
    return cb.Settings(
        identifier_systems=[cb.IdentifierSystem(system=MRN_SYSTEM, check_digit=cb.CheckDigit.LUHN)],
        mrn_namespaces=[
            cb.MrnNamespace(facility=FACILITY, system=MRN_SYSTEM, digits=7, check_digit=cb.CheckDigit.LUHN)
        ],
    )


@pytest.fixture(scope="module")
def pg() -> Iterator[cb.Clinic]:
    url = os.environ.get("CAREBASE_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI is set but CAREBASE_PG_URL is not: run `bash scripts/postgres` first")
        pytest.skip('CAREBASE_PG_URL is not set (eval "$(bash scripts/postgres | tail -n 1)")')
    yield cb.open(url, settings=pg_settings())


DESK = cb.Actor.new(cb.Role.FRONT_DESK)
ADMIN = cb.Actor.new(cb.Role.ADMIN)
SYSTEM = cb.Actor.system()


def test_pg_register_get_update_and_stale_conflict(pg: cb.Clinic) -> None:
    p = pg.register_patient(DESK, details(f"Rw{SUFFIX}", "Ada", (1984, 7, 1)))
    assert p.version == 1 and p.active
    got = pg.get_patient(DESK, p.id)
    assert (got.id, got.version, got.details) == (p.id, 1, p.details)
    changed = dataclasses.replace(got.details, language="es-MX")
    v2 = pg.update_patient(DESK, p.id, 1, changed)
    assert v2.version == 2 and pg.get_patient(DESK, p.id).details.language == "es-MX"
    with pytest.raises(cb.ConflictError) as info:
        pg.update_patient(DESK, p.id, 1, changed)
    d = info.value.detail
    assert d is not None and (d.kind, d.expected, d.actual) == (cb.ConflictKind.STALE_VERSION, 1, 2)
    assert pg.get_patient(DESK, p.id).version == 2


def test_pg_search_pages_by_unique_prefix_and_folds_accents(pg: cb.Clinic) -> None:
    ids = [pg.register_patient(DESK, details(f"Page{SUFFIX}", f"N{i}")).id for i in range(5)]
    query = cb.PatientQuery(name=f"page{SUFFIX}", limit=2)
    sizes: List[int] = []
    seen: List[uuid.UUID] = []
    while True:
        page = pg.search_patients(DESK, query)
        sizes.append(len(page))
        seen.extend(p.id for p in page)
        if page.next_cursor is None:
            break
        query = dataclasses.replace(query, cursor=page.next_cursor)
    assert sizes == [2, 2, 1] and seen == ids

    jose = pg.register_patient(DESK, details(f"Núñez{SUFFIX}", f"José{SUFFIX}"))
    for q in [f"jose{SUFFIX}", f"JOSÉ{SUFFIX.upper()}", f"nunez{SUFFIX} jose"]:
        assert [p.id for p in pg.search_patients(DESK, cb.PatientQuery(name=q))] == [jose.id], q


def test_pg_concurrent_mrn_registrations_are_distinct_and_duplicates_conflict(pg: cb.Clinic) -> None:
    def register(i: int) -> cb.Patient:
        return pg.register_patient(DESK, details(f"Mrn{SUFFIX}", f"P{i}"), mrn_facility=FACILITY)

    with ThreadPoolExecutor(max_workers=20) as pool:
        patients = list(pool.map(register, range(20)))
    mrns = [p.details.identifiers[0] for p in patients]
    assert all(m.system == MRN_SYSTEM for m in mrns)
    assert len({m.value for m in mrns}) == 20
    assert pg.get_patient(DESK, patients[7].id).details.identifiers == [mrns[7]]

    dup = details(f"Dup{SUFFIX}", "Lic")
    dup.identifiers.append(cb.Identifier(system=MRN_SYSTEM, value=mrns[0].value))
    with pytest.raises(cb.ConflictError) as info:
        pg.register_patient(DESK, dup)
    assert info.value.detail == cb.ConflictDetail(kind=cb.ConflictKind.DUPLICATE_IDENTIFIER, system=MRN_SYSTEM)


def test_pg_merge_and_unmerge(pg: cb.Clinic) -> None:
    a = pg.register_patient(DESK, details(f"Okafor{SUFFIX}", "Amara", (1990, 3, 4)))
    b = pg.register_patient(DESK, details(f"Okafor{SUFFIX}", "Amarah", (1990, 3, 4)))
    merge = pg.merge_patients(SYSTEM, a.id, a.version, b.id, b.version)
    assert (merge.survivor, merge.merged) == (a.id, b.id)
    gone = pg.get_patient(DESK, b.id)
    assert gone.merged_into == a.id and not gone.active
    restored = pg.unmerge_patients(SYSTEM, merge.id)
    assert restored.active and restored.merged_into is None
    assert restored.details.names == b.details.names
    with pytest.raises(cb.ConflictError):
        pg.unmerge_patients(SYSTEM, merge.id)
    history = pg.merge_history(SYSTEM, b.id)
    assert [m.id for m in history] == [merge.id] and history[0].unmerged_at is not None


def test_pg_denied_read_carries_its_reason(pg: cb.Clinic) -> None:
    p = pg.register_patient(DESK, details(f"Deny{SUFFIX}", "Me"))
    doctor = cb.Actor.for_practitioner(cb.new_id())
    with pytest.raises(cb.ForbiddenError) as info:
        pg.get_patient(doctor, p.id)
    reason = info.value.reason
    assert reason is not None and reason.permission is cb.Permission.PATIENT_READ
    assert reason.steps and not any(s.held for s in reason.steps)
    denied = pg.audit_log(SYSTEM, cb.AuditQuery(actor=doctor.id))
    assert [(e.action, e.outcome, e.patient) for e in denied] == [("patient.read", cb.Outcome.DENIED, p.id)]


PARTITIONS = 16
END = 2**63 - 1  # a position past every event of a partition


def newest_position(pg: cb.Clinic) -> List[int]:
    """The newest sequence number of each partition, found with O(log n) probes each."""
    position = []
    for p in range(PARTITIONS):
        def any_after(seq: int) -> bool:
            only = [END] * PARTITIONS
            only[p] = seq
            return bool(pg.events_after(SYSTEM, only, 1))
        lo, hi = 0, 1
        while any_after(hi):
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if any_after(mid) else (lo, mid)
        position.append(hi if any_after(lo) else lo)
    return position


def test_pg_events_after_a_position_and_audit_verifies(pg: cb.Clinic) -> None:
    after = newest_position(pg)
    mine = [pg.register_patient(DESK, details(f"Ev{SUFFIX}", f"E{i}")).id for i in range(3)]
    found: List[Tuple[int, int, str]] = []
    while True:
        batch = pg.events_after(SYSTEM, after, 1000)
        if not batch:
            break
        found.extend((e.partition, e.seq, e.kind) for e in batch if e.patient in mine)
        for e in batch:
            after[e.partition] = e.seq
    assert [k for _, _, k in found] == ["patient.registered"] * 3

    report = pg.verify_audit(ADMIN)
    assert report.ok, report.problem
    assert report.problem is None and report.chains_checked >= 3
