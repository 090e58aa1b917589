"""Shared builders for the carebase Python tests (mirroring core/tests/common)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator, Tuple

import pytest

import carebase as cb

MRN_SYSTEM = "urn:carebase:mrn:north"


def settings() -> cb.Settings:
    return cb.Settings(
        identifier_systems=[cb.IdentifierSystem(system=MRN_SYSTEM, check_digit=cb.CheckDigit.LUHN)],
        mrn_namespaces=[
            cb.MrnNamespace(
                facility="north", system=MRN_SYSTEM, digits=7, check_digit=cb.CheckDigit.LUHN
            )
        ],
    )


def details(family: str, given: str, birth: Tuple[int, int, int] = (1984, 7, 1)) -> cb.PatientDetails:
    return cb.PatientDetails(
        names=[cb.HumanName(family=family, given=[given])],
        gender=cb.Gender.FEMALE,
        birth_date=date(*birth),
        telecom=[cb.ContactPoint(system=cb.ContactSystem.PHONE, value="+1 555 0100")],
    )


def actor(role: cb.Role) -> cb.Actor:
    return cb.Actor.new(role)


START = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> cb.ManualClock:
    return cb.ManualClock(START)


@pytest.fixture(params=["memory", "sqlite"])
def clinic(request: pytest.FixtureRequest, tmp_path: Path, clock: cb.ManualClock) -> Iterator[cb.Clinic]:
    """The same scenarios over MemoryStore and over a SQLite file."""
    url = "memory:" if request.param == "memory" else f"sqlite://{tmp_path / 'clinic.db'}"
    yield cb.open(url, settings=settings(), clock=clock)


@pytest.fixture
def desk() -> cb.Actor:
    return actor(cb.Role.FRONT_DESK)


@pytest.fixture
def admin() -> cb.Actor:
    return actor(cb.Role.ADMIN)


@pytest.fixture
def system() -> cb.Actor:
    return cb.Actor.system()


@pytest.fixture
def doctor() -> cb.Actor:
    return cb.Actor.for_practitioner(cb.new_id())
