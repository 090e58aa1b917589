"""Operations release the GIL while Rust works, so Python threads run in
parallel with them.

Two measurements:
- while one thread is inside a single long native call (verifying a large
  audit log), another thread keeps executing Python code: its timestamps
  show no gap anywhere near the call's length (with the GIL held it could
  not run at all until the call returned);
- two threads registering patients on separate SQLite files overlap in time
  (barrier + timestamps), and, when the machine has a spare core, finish
  clearly faster than one after the other.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Dict, List, Tuple

import carebase as cb
from conftest import details


def test_python_keeps_running_during_a_long_native_call(desk: cb.Actor, system: cb.Actor) -> None:
    clinic = cb.open("memory:")
    for i in range(300):
        clinic.register_patient(desk, details("Gil", f"N{i}"))
    for _ in range(40):  # each search audits 300 reads: a long audit log
        clinic.search_patients(desk, cb.PatientQuery(name="gil", limit=300))

    stamps: List[float] = []
    done = threading.Event()

    def python_work() -> None:
        while not done.is_set():
            sum(range(100))
            stamps.append(time.perf_counter())

    ticker = threading.Thread(target=python_work)
    ticker.start()
    try:
        time.sleep(0.05)
        t0 = time.perf_counter()
        report = clinic.verify_audit(system)
        t1 = time.perf_counter()
    finally:
        done.set()
        ticker.join()
    assert report.ok and report.entries_checked > 10_000
    call = t1 - t0
    inside = [t0] + [s for s in stamps if t0 < s < t1] + [t1]
    largest_gap = max(b - a for a, b in zip(inside, inside[1:]))
    assert len(inside) > 100, (call, len(inside))
    assert largest_gap < 0.25 * call, (largest_gap, call)


N = 150


def test_two_threads_registering_on_separate_files_overlap(tmp_path: Path, desk: cb.Actor) -> None:
    clinics = [cb.open(f"sqlite://{tmp_path / f'gil{i}.db'}") for i in range(2)]
    for c in clinics:  # warm up (runtime, connection pools)
        c.register_patient(desk, details("Warm", "Up"))

    def work(c: cb.Clinic) -> None:
        for i in range(N):
            c.register_patient(desk, details("Thread", f"N{i}"))

    serial = []
    for c in clinics:
        t0 = time.perf_counter()
        work(c)
        serial.append(time.perf_counter() - t0)

    spans: Dict[int, Tuple[float, float]] = {}
    barrier = threading.Barrier(2)
    errors: List[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            t0 = time.perf_counter()
            work(clinics[i])
            spans[i] = (t0, time.perf_counter())
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    wall = time.perf_counter() - start
    assert not errors, errors
    (a0, a1), (b0, b1) = spans[0], spans[1]
    overlap = min(a1, b1) - max(a0, b0)
    assert overlap > 0.5 * min(a1 - a0, b1 - b0), (spans, wall)
    print(f"\nparallel wall {wall:.3f}s vs serial sum {sum(serial):.3f}s")
    cores = os.cpu_count() or 1
    if cores >= 2 and os.getloadavg()[0] < cores - 1:
        assert wall < 0.85 * sum(serial), (wall, serial)
    for c in clinics:
        assert len(c.search_patients(desk, cb.PatientQuery(name="thread", limit=500))) == 2 * N
