//! The pure FHIR R4 mapping: official examples round-trip, imports read references, instants and statuses, and refusals name their FHIR paths.

use super::*;

#[test]
fn every_example_appointment_round_trips_exactly() {
    let all = examples("Appointment");
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Appointment-2docs.json",
            "Appointment-example.json",
            "Appointment-examplereq.json"
        ]
    );
    for (name, original) in all {
        let read = FhirAppointment::from_fhir(&original).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(read.to_fhir(), original, "{name}");
    }
}

#[test]
fn every_example_schedule_and_slot_round_trips_exactly() {
    let schedules = examples("Schedule");
    let slots = examples("Slot");
    assert_eq!((schedules.len(), slots.len()), (3, 4));
    for (name, original) in schedules {
        let read = FhirSchedule::from_fhir(&original).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(read.to_fhir(), original, "{name}");
    }
    for (name, original) in slots {
        let read = FhirSlot::from_fhir(&original).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(read.to_fhir(), original, "{name}");
    }
}

#[test]
fn importable_examples_export_as_imported_but_for_the_id() {
    for name in ["Appointment-example.json", "Appointment-2docs.json"] {
        let original = example(name);
        let (refs, patient, practitioner, room) = example_refs();
        let imported = appointment_from_fhir(&original, &refs).unwrap();
        assert_eq!(imported.patient, patient);
        assert_eq!(
            imported.practitioner, practitioner,
            "the first practitioner"
        );
        let has_room = name == "Appointment-example.json";
        assert_eq!(imported.room, has_room.then_some(room));
        assert_eq!(imported.status, AppointmentStatus::Booked);
        let a = stored(imported);
        assert_eq!(fhir_source_id(&a), original["id"].as_str());
        let kept = &a.fhir_extra.as_ref().unwrap()["resource"]["participant"];
        assert_eq!(kept[0]["actor"]["reference"], format!("Patient/{patient}"));
        assert_eq!(appointment_to_fhir(&a), with_id(original, a.id), "{name}");
    }
}

#[test]
fn the_request_example_cannot_be_imported_without_times_or_practitioner() {
    let (refs, ..) = example_refs();
    let err = appointment_from_fhir(&example("Appointment-examplereq.json"), &refs).unwrap_err();
    assert_eq!(
        field_codes(&err),
        [
            ("start".into(), "required".into()),
            ("end".into(), "required".into()),
            ("participant".into(), "missing_practitioner".into()),
        ]
    );
}

#[test]
fn unsupported_statuses_and_unreadable_elements_name_their_fhir_paths() {
    let (refs, ..) = example_refs();
    let mut r = example("Appointment-example.json");
    r["status"] = json!("entered-in-error");
    r["start"] = json!("2013-12-10");
    r["participant"][1]["actor"]["reference"] = json!(42);
    let err = appointment_from_fhir(&r, &refs).unwrap_err();
    let codes = field_codes(&err);
    for expected in [
        ("status", "unsupported_status"),
        ("start", "invalid_format"),
        ("participant[1].actor.reference", "invalid_type"),
    ] {
        assert!(
            codes.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {codes:?}"
        );
    }
    assert!(!format!("{err}").contains("2013"), "no values in messages");
}

#[test]
fn the_export_follows_the_model_when_it_moved_on() {
    let original = example("Appointment-example.json");
    let (refs, ..) = example_refs();
    let mut a = stored(appointment_from_fhir(&original, &refs).unwrap());
    let other = PractitionerId::new();
    a.practitioner = other;
    a.start += Duration::hours(1);
    a.status = AppointmentStatus::Cancelled;
    a.cancellation = Some(Cancellation {
        reason: CancellationReason::Prov,
        note: None,
        late: false,
        at: Utc::now(),
        by: ActorId::new(),
    });
    let out = appointment_to_fhir(&a);
    assert_eq!(out["start"], "2013-12-10T10:00:00Z");
    assert_eq!(out["status"], "cancelled");
    assert_eq!(out["cancelationReason"]["coding"][0]["code"], "prov");
    let refs: Vec<&str> = out["participant"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["actor"]["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        [
            "Patient/example",
            "Location/1",
            &format!("Practitioner/{other}")
        ],
        "the old practitioner's entry is replaced, the others keep their text"
    );
}

#[test]
fn an_appointment_booked_in_carebase_exports_from_the_model() {
    let (refs, ..) = example_refs();
    let mut a = stored(appointment_from_fhir(&example("Appointment-example.json"), &refs).unwrap());
    a.fhir_extra = None;
    a.note = None;
    assert_eq!(
        appointment_to_fhir(&a),
        json!({
            "resourceType": "Appointment",
            "id": a.id.to_string(),
            "status": "booked",
            "start": "2013-12-10T09:00:00Z",
            "end": "2013-12-10T11:00:00Z",
            "participant": [
                {"actor": {"reference": format!("Patient/{}", a.patient)}, "status": "accepted"},
                {"actor": {"reference": format!("Practitioner/{}", a.practitioner)}, "status": "accepted"},
                {"actor": {"reference": format!("Location/{}", a.room.unwrap())}, "status": "accepted"},
            ]
        })
    );
}

#[test]
fn reference_parts_read_relative_absolute_and_versioned_references() {
    assert_eq!(reference_parts("Patient/ex"), Some(("Patient", "ex")));
    assert_eq!(
        reference_parts("https://h/fhir/Location/1/_history/3"),
        Some(("Location", "1"))
    );
    assert_eq!(reference_parts("#p1"), None);
    assert_eq!(reference_parts("urn:uuid:0190"), None);
    assert_eq!(reference_parts("Patient/"), None);
}

#[test]
fn instants_are_read_with_their_zone_and_written_in_utc() {
    let at = parse_instant("2013-12-10T10:00:00+01:00");
    assert_eq!(
        at.map(format_instant).as_deref(),
        Some("2013-12-10T09:00:00Z")
    );
    assert_eq!(parse_instant("2013-12-10"), None);
    let frac = parse_instant("2013-12-10T09:00:00.250Z");
    assert_eq!(
        frac.map(format_instant).as_deref(),
        Some("2013-12-10T09:00:00.250Z")
    );
}

fn small_resource() -> Value {
    json!({
        "resourceType": "Appointment",
        "id": "a1",
        "status": "booked",
        "start": "2030-01-07T10:00:00+01:00",
        "end": "2030-01-07T09:30:00Z",
        "participant": [
            {"actor": {"reference": "Patient/p", "display": "X"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/d"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/other"}, "status": "tentative"}
        ]
    })
}

fn small_refs() -> FhirRefs {
    let mut refs = FhirRefs::new();
    refs.insert("Patient/p", PatientId::new())
        .insert("Practitioner/d", PractitionerId::new());
    refs
}

#[test]
fn the_first_practitioner_is_booked_and_the_others_are_kept() {
    let imported = appointment_from_fhir(&small_resource(), &small_refs()).unwrap();
    assert_eq!(imported.source_id.as_deref(), Some("a1"));
    assert_eq!(
        imported.fhir_extra["resource"]["participant"][2]["actor"]["reference"],
        "Practitioner/other"
    );
    assert_eq!(
        imported.fhir_extra["instants"]["start"],
        "2030-01-07T10:00:00+01:00"
    );
    assert!(imported.fhir_extra["instants"].get("end").is_none());
}

#[test]
fn unresolved_and_duplicate_participants_name_their_paths() {
    let mut r = small_resource();
    r["participant"][2] = json!({"actor": {"reference": "Patient/again"}});
    r["participant"][1] = json!({"actor": {"reference": "Practitioner/unknown"}});
    let Err(Error::Validation { fields }) = appointment_from_fhir(&r, &small_refs()) else {
        panic!("expected a validation error");
    };
    let got: Vec<_> = fields
        .iter()
        .map(|f| (f.field.as_str(), f.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("participant[1].actor.reference", "unresolved_reference"),
            ("participant[2].actor.reference", "too_many"),
        ]
    );
}

#[test]
fn cancelled_needs_a_reason_code() {
    let mut r = small_resource();
    r["status"] = json!("cancelled");
    let err = appointment_from_fhir(&r, &small_refs()).unwrap_err();
    assert!(format!("{err:?}").contains("cancelationReason.coding[0].code"));
    r["cancelationReason"] = json!({"coding": [{"code": "pat"}], "text": "moved"});
    let imported = appointment_from_fhir(&r, &small_refs()).unwrap();
    assert_eq!(imported.cancellation_reason, Some(CancellationReason::Pat));
    r["cancelationReason"] = json!({"coding": [{"code": "called in sick"}]});
    let err = appointment_from_fhir(&r, &small_refs()).unwrap_err();
    assert_eq!(
        field_codes(&err),
        [(
            "cancelationReason.coding[0].code".into(),
            "invalid_value".into()
        )]
    );
    assert_eq!(imported.cancellation_note.as_deref(), Some("moved"));
}

// -------------------------------------------------------------- clinic ---
