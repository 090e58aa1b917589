"""What carebase stores, Python can read: an instant outside years 1 to
9999 or in a leap second, handed in or derived by core (an expiry, a series
occurrence), is a ``ValidationError`` with code ``out_of_range`` before
anything is written, never a success followed by a ``ValueError`` on every
later read (issue 10, defect 7)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import carebase as cb
from conftest import details

UTC = timezone.utc
#: 9999-12-31 (a Friday), 23:00 UTC: an hour before the last year ends.
LAST_HOUR = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)


def every_day() -> cb.Availability:
    return cb.Availability(
        weekly=[cb.WeeklyHours(weekday=day, start=time(0), end=time(23, 59)) for day in cb.Weekday],
        slot_minutes=30,
    )


class World:
    def __init__(self, url: str, now: datetime) -> None:
        self.clock = cb.ManualClock(now)
        self.clinic = cb.open(url, clock=self.clock)
        self.system = cb.Actor.system()
        self.doctor = self.clinic.add_practitioner(
            self.system, cb.NewPractitioner(name="Dr Time", time_zone="UTC", availability=every_day())
        )
        self.visit = self.clinic.add_visit_type(
            self.system, cb.NewVisitType(code="consult", name="Consultation", duration_minutes=30, horizon_days=365)
        )
        self.patient = self.clinic.register_patient(self.system, details("Time", "Tess"))

    def fhir(self, start: str, end: str) -> Dict[str, Any]:
        return {
            "resourceType": "Appointment",
            "status": "booked",
            "start": start,
            "end": end,
            "participant": [
                {"actor": {"reference": f"Patient/{self.patient.id}"}},
                {"actor": {"reference": f"Practitioner/{self.doctor.id}"}},
            ],
        }

    def patients_list(self) -> List[cb.Appointment]:
        query = cb.AppointmentQuery(
            patient=self.patient.id,
            from_=datetime(1, 1, 1, tzinfo=UTC),
            to=datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
            include_inactive=True,
        )
        return list(self.clinic.list_appointments(self.system, query))

    def calendar(self) -> List[cb.Appointment]:
        query = cb.AppointmentQuery(
            practitioner=self.doctor.id,
            from_=datetime(1, 1, 1, tzinfo=UTC),
            to=datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        )
        return list(self.clinic.list_appointments(self.system, query))


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory:" if request.param == "memory" else f"sqlite://{tmp_path / 'instants.db'}"


def fields(error: cb.ValidationError) -> List[Tuple[str, str]]:
    return [(f.field, f.code) for f in error.fields]


def test_a_leap_second_fhir_start_is_refused_and_nothing_is_written(url: str) -> None:
    w = World(url, datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(cb.ValidationError) as invalid:
        w.clinic.import_appointment_fhir(
            w.system, w.fhir("2030-01-07T09:59:60Z", "2030-01-07T10:30:00Z"), visit_type=w.visit.id
        )
    assert fields(invalid.value) == [("start", "out_of_range")]
    assert w.patients_list() == [] and w.calendar() == []


def test_a_year_0000_fhir_start_is_refused_and_nothing_is_written(url: str) -> None:
    w = World(url, datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(cb.ValidationError) as invalid:
        w.clinic.import_appointment_fhir(
            w.system, w.fhir("0000-01-07T09:00:00Z", "0000-01-07T09:30:00Z"), visit_type=w.visit.id
        )
    assert fields(invalid.value) == [("start", "out_of_range"), ("end", "out_of_range")]
    assert w.patients_list() == [] and w.calendar() == []


def test_break_the_glass_with_the_clock_at_9999_12_31_2300_is_a_validation_error(url: str) -> None:
    w = World(url, LAST_HOUR)
    doctor = cb.Actor.for_practitioner(cb.new_id())
    with pytest.raises(cb.ValidationError) as invalid:
        w.clinic.request_emergency_access(doctor, w.patient.id, "cardiac arrest")
    assert fields(invalid.value) == [("duration", "out_of_range")]
    assert w.clinic.grants_awaiting_review(w.system, 10) == []
    grant = w.clinic.request_emergency_access(doctor, w.patient.id, "cardiac arrest", timedelta(minutes=30))
    assert grant.expires_at == datetime(9999, 12, 31, 23, 30, tzinfo=UTC)


def test_a_series_with_the_clock_at_9999_12_31_2300_is_a_validation_error(url: str) -> None:
    w = World(url, LAST_HOUR)
    first = cb.BookAppointment(patient=w.patient.id, practitioner=w.doctor.id, visit_type=w.visit.id, start=LAST_HOUR)
    with pytest.raises(cb.ValidationError) as invalid:
        w.clinic.book_series(w.system, first, cb.Recurrence(every_weeks=1, count=2))
    assert fields(invalid.value) == [("occurrences[1].start", "out_of_range")]
    assert w.patients_list() == []
    # The single visit still fits in the last hour and reads back.
    booked = w.clinic.book_appointment(w.system, first)
    assert w.patients_list() == [booked] and booked.end == datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
