"""Documents a host hands in (policies, FHIR resources) are bounded by core
before anything reads them: past a bound the answer is a typed error naming
where, never a crash, a ``RecursionError`` or a write that cannot be read
back (issue 10, defects 1, 2 and 11). The bounds are core's; this file only
uses sizes far past them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import carebase as cb
from conftest import details

UTC = timezone.utc
START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def nested(levels: int, leaf: Any) -> Any:
    """``levels`` lists around ``leaf``, built without recursion."""
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


class World:
    def __init__(self, url: str) -> None:
        self.clock = cb.ManualClock(START - timedelta(days=7))
        self.clinic = cb.open(url, clock=self.clock)
        self.system = cb.Actor.system()
        self.doctor = self.clinic.add_practitioner(
            self.system, cb.NewPractitioner(name="Dr Deep", time_zone="Europe/Berlin")
        )
        self.visit = self.clinic.add_visit_type(
            self.system, cb.NewVisitType(code="consult", name="Consultation", duration_minutes=30, horizon_days=365)
        )
        self.patient = self.clinic.register_patient(self.system, details("Deep", "Dora"))

    def resource(self, extension: Any) -> Dict[str, Any]:
        return {
            "resourceType": "Appointment",
            "status": "booked",
            "start": "2030-01-07T08:00:00Z",
            "end": "2030-01-07T08:30:00Z",
            "participant": [
                {"actor": {"reference": f"Patient/{self.patient.id}"}},
                {"actor": {"reference": f"Practitioner/{self.doctor.id}"}},
            ],
            "extension": extension,
        }

    def import_(self, resource: Dict[str, Any]) -> cb.Appointment:
        # A migration keeps the FHIR times: these tests are about the document,
        # not the practitioner's hours.
        return self.clinic.import_appointment_fhir(self.system, resource, visit_type=self.visit.id, migration=True)

    def patients_list(self) -> List[cb.Appointment]:
        query = cb.AppointmentQuery(patient=self.patient.id, from_=START - timedelta(days=1), to=START + timedelta(days=1))
        return list(self.clinic.list_appointments(self.system, query))

    def calendar(self) -> List[cb.Appointment]:
        query = cb.AppointmentQuery(practitioner=self.doctor.id, from_=START - timedelta(days=1), to=START + timedelta(days=1))
        return list(self.clinic.list_appointments(self.system, query))


@pytest.fixture(params=["memory", "sqlite"])
def w(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    return World("memory:" if request.param == "memory" else f"sqlite://{tmp_path / 'deep.db'}")


def fields(error: cb.ValidationError) -> List[Tuple[str, str]]:
    return [(f.field, f.code) for f in error.fields]


# ------------------------------------------------------------------ policies


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_a_json_policy_nested_ten_thousand_deep_is_an_invalid_policy_error(depth: int) -> None:
    text = '{"version": 1, "rules": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(cb.InvalidPolicyError) as invalid:
        cb.Policy.from_json(text)
    assert invalid.value.location.startswith("line 1, column ")
    assert "levels of nesting" in invalid.value.problem


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_a_toml_policy_nested_ten_thousand_deep_is_an_invalid_policy_error(depth: int) -> None:
    for text in ("rules = " + "[" * depth + "1" + "]" * depth, ".".join(["a"] * depth) + " = 1"):
        with pytest.raises(cb.InvalidPolicyError):
            cb.Policy.from_toml(text)


# ------------------------------------------------------------ FHIR resources


@pytest.mark.parametrize("depth", [100, 10_000])
def test_a_fhir_dict_nested_ten_thousand_deep_is_a_too_deep_validation_error(w: World, depth: int) -> None:
    # 100 levels parse in the native module and core refuses the value; 10,000
    # are refused on the text before anything is parsed: the same answer.
    with pytest.raises(cb.ValidationError) as invalid:
        w.import_(w.resource(nested(depth, {})))
    assert fields(invalid.value) == [("resource", "too_deep")]
    assert w.patients_list() == []


def test_an_extension_nested_124_deep_is_refused_and_the_calendar_still_reads(w: World) -> None:
    # It used to commit, after which every read of the calendar failed with
    # "corrupt appointment details".
    with pytest.raises(cb.ValidationError) as invalid:
        w.import_(w.resource(nested(124, "x")))
    assert fields(invalid.value) == [("resource", "too_deep")]
    assert w.patients_list() == [] and w.calendar() == []
    booked = w.import_(w.resource(nested(20, "x")))
    assert w.clinic.get_appointment(w.system, booked.id) == booked
    assert w.patients_list() == [booked] and w.calendar() == [booked]
    exported = w.clinic.export_appointment_fhir(w.system, booked.id)
    assert exported["extension"] == nested(20, "x")
    w.clinic.cancel_appointment(w.system, booked.id, booked.version, cb.CancelAppointment(reason=cb.CancellationReason.PAT))


def test_a_forty_megabyte_fhir_string_is_too_long_naming_its_path(w: World) -> None:
    resource = w.resource([])
    resource["text"] = {"status": "generated", "div": "x" * (40 << 20)}
    with pytest.raises(cb.ValidationError) as invalid:
        w.import_(resource)
    assert ("text.div", "too_long") in fields(invalid.value)
    assert w.patients_list() == []


def test_a_million_item_fhir_array_is_too_many_naming_its_path(w: World) -> None:
    with pytest.raises(cb.ValidationError) as invalid:
        w.import_(w.resource([0] * 1_000_000))
    assert fields(invalid.value) == [("extension", "too_many")]
    assert w.patients_list() == []


def test_a_fhir_dict_that_contains_itself_is_a_type_error(w: World) -> None:
    loop: Dict[str, Any] = {}
    loop["again"] = [loop]
    with pytest.raises(TypeError, match=r"resource\['extension'\]\['again'\]\[0\]"):
        w.import_(w.resource(loop))
