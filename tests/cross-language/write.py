"""Cross-language proof, step 1 (Python writer).

Usage: python write.py <clinic.db> <expected.json>

Creates a fresh SQLite clinic at <clinic.db>, registers a fixed set of patients
(accented names, MRNs from the "north" facility, phones and emails), updates
one, merges a duplicate, assigns a care team, breaks the glass, takes an audit
checkpoint, then writes <expected.json>: what every other language must read
back from the same file. The audit key comes from CAREBASE_AUDIT_KEY (hex),
as a host would keep it: outside the database; the checkpoint goes into
expected.json, as a host would export it.
The searches are stored as data (`query`) so each reader runs exactly them.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from datetime import date
from typing import Any, Dict, List

import carebase as cb

MRN = "urn:carebase:mrn:north"

SETTINGS = cb.Settings(
    identifier_systems=[cb.IdentifierSystem(system=MRN, check_digit=cb.CheckDigit.LUHN)],
    mrn_namespaces=[
        cb.MrnNamespace(facility="north", system=MRN, digits=7, check_digit=cb.CheckDigit.LUHN)
    ],
)

# family, given, birth date, gender, phone, email
PEOPLE = [
    ("Núñez", "José", date(1984, 7, 1), cb.Gender.MALE, "+1 555 0101", "jose.nunez@example.org"),
    ("Okafor", "Amara", date(1990, 3, 4), cb.Gender.FEMALE, "555-0199", "amara@example.org"),
    ("Okafor", "Amarah", date(1990, 3, 4), cb.Gender.FEMALE, "(555) 0199", None),
    ("Okamoto", "Kenji", date(1975, 11, 23), cb.Gender.MALE, "+81 3 5555 0123", "kenji@example.jp"),
    ("Nuñez", "Josefina", date(1984, 7, 1), cb.Gender.FEMALE, "+1 555 0102", None),
    ("Müller", "Jürgen", date(1968, 2, 29), cb.Gender.MALE, "+49 30 5550 1234", "juergen@example.de"),
    ("Dubois", "Zoë", date(2001, 12, 31), cb.Gender.FEMALE, None, "zoe.dubois@example.fr"),
    ("García", "José Luis", date(1979, 1, 1), cb.Gender.MALE, "+34 91 555 0100", None),
    ("O'Brien", "Siobhán", date(1992, 8, 15), cb.Gender.FEMALE, "+353 1 555 0199", "siobhan@example.ie"),
    ("Kierkegaard", "Søren", date(1955, 5, 5), cb.Gender.MALE, "+45 55 50 01 00", None),
]


def details(family: str, given: str, birth: date, gender: cb.Gender, phone: Any, email: Any) -> cb.PatientDetails:
    telecom = []
    if phone:
        telecom.append(cb.ContactPoint(system=cb.ContactSystem.PHONE, value=phone, usage=cb.ContactUse.MOBILE))
    if email:
        telecom.append(cb.ContactPoint(system=cb.ContactSystem.EMAIL, value=email))
    return cb.PatientDetails(
        names=[cb.HumanName(family=family, given=given.split(" "))],
        gender=gender,
        birth_date=birth,
        telecom=telecom,
    )


def search_all(clinic: cb.Clinic, actor: cb.Actor, **query: Any) -> List[str]:
    """Every result id of a search, in order, following the cursor."""
    ids: List[str] = []
    cursor = None
    while True:
        page = clinic.search_patients(actor, cb.PatientQuery(limit=3, cursor=cursor, **query))
        ids += [str(p.id) for p in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids


def count_events(clinic: cb.Clinic, actor: cb.Actor) -> int:
    # the position a relay keeps: the last sequence number per partition
    count, after = 0, [0] * 16
    while True:
        batch = clinic.events_after(actor, after, 1000)
        if not batch:
            return count
        count += len(batch)
        for e in batch:
            after[e.partition] = e.seq


def main() -> None:
    db, out = sys.argv[1], sys.argv[2]
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(db + suffix)
        except FileNotFoundError:
            pass
    audit_key = bytes.fromhex(os.environ["CAREBASE_AUDIT_KEY"])
    clinic = cb.open(f"sqlite://{os.path.abspath(db)}", settings=SETTINGS, audit_key=audit_key)
    desk = cb.Actor.new(cb.Role.FRONT_DESK)
    admin = cb.Actor.new(cb.Role.ADMIN)
    system = cb.Actor.system()

    patients = [
        clinic.register_patient(desk, details(*person), mrn_facility="north") for person in PEOPLE
    ]
    jose, amara, amarah = patients[0], patients[1], patients[2]

    # An update: José's preferred language and a second phone.
    jose = clinic.update_patient(
        desk,
        jose.id,
        jose.version,
        replace(
            jose.details,
            language="es-MX",
            telecom=jose.details.telecom
            + [cb.ContactPoint(system=cb.ContactSystem.PHONE, value="+1 555 0177", usage=cb.ContactUse.HOME)],
        ),
    )
    # A merge: Amarah was Amara registered twice.
    clinic.merge_patients(system, amara.id, amara.version, amarah.id, amarah.version)
    # A care team: Dr Osei on José's team, who then reads the record.
    staff = cb.NewPractitioner(name="Dr Osei", time_zone="UTC")
    osei = cb.Actor.for_practitioner(clinic.add_practitioner(admin, staff).id)
    assert osei.practitioner is not None
    clinic.assign_care_team(admin, jose.id, osei.practitioner)
    clinic.get_patient(osei, jose.id)
    # Break-the-glass: Dr Lind, not on the team, in an emergency.
    lind = cb.Actor.for_practitioner(cb.new_id())
    clinic.request_emergency_access(lind, jose.id, "patient collapsed in the waiting room")
    clinic.get_patient(lind, jose.id)

    expected_patients: List[Dict[str, Any]] = []
    for p in patients:
        now = clinic.get_patient(system, p.id)
        name = now.details.names[0] if now.details.names else None
        expected_patients.append(
            {
                "id": str(now.id),
                "version": now.version,
                "active": now.active,
                "merged_into": str(now.merged_into) if now.merged_into else None,
                "family": name.family if name else None,
                "given": list(name.given) if name else [],
                "identifiers": [[i.system, i.value] for i in now.details.identifiers],
            }
        )

    jose_mrn = jose.details.identifiers[0].value
    queries: List[Dict[str, Any]] = [
        {"name": "jose"},
        {"name": "oka"},
        {"name": "NUNEZ jo"},
        {"birth_date": "1984-07-01"},
        {"phone": "555 0199"},
        {"email": "zoe.dubois@example.fr"},
        {"identifier_system": MRN, "identifier_value": jose_mrn},
    ]
    searches = []
    for q in queries:
        args = {k: (date.fromisoformat(v) if k == "birth_date" else v) for k, v in q.items()}
        searches.append({"query": q, "ids": search_all(clinic, system, **args)})

    checkpoint = clinic.audit_checkpoint(system)
    verification = clinic.verify_audit(system, trusted=checkpoint)
    expected = {
        "patients": expected_patients,
        "searches": searches,
        "audit": {
            "ok": verification.ok,
            "keyed": verification.keyed,
            "chains_checked": verification.chains_checked,
            "checkpoint": json.loads(checkpoint.to_json()),
        },
        "events": count_events(clinic, system),
    }
    if not (verification.ok and verification.keyed and verification.trusted == checkpoint.seq):
        sys.exit(f"write.py: audit verification failed right after writing: {verification}")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=2)
    print(
        f"python: wrote {len(patients)} patients, {len(searches)} searches, "
        f"{expected['events']} events, {verification.chains_checked} audit chains"
    )


if __name__ == "__main__":
    main()
