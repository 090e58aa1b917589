//! FHIR through the clinic: imports are bookings (or migrations) with the same rules, and schedules and free slots export with stable ids.

use super::*;
use carebase::Count32;

struct World {
    clinic: Clinic,
    system: Actor,
    patient: PatientId,
    other_patient: PatientId,
    doctor: Practitioner,
    second: Practitioner,
    room: Resource,
    followup: VisitType,
    walkin: VisitType,
}

fn nine_to_noon() -> Availability {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    Availability {
        weekly: Weekday::ALL
            .into_iter()
            .map(|weekday| WeeklyHours {
                weekday,
                start: t(9),
                end: t(12),
                valid_from: None,
                valid_until: None,
            })
            .collect(),
        slot_minutes: Count32::new(30),
        ..Availability::default()
    }
}

async fn world() -> World {
    let (clinic, _, _) = common::clinic();
    let system = Actor::system();
    let desk = common::actor(Role::FrontDesk);
    let register = |given: &'static str| {
        let clinic = clinic.clone();
        let desk = desk.clone();
        async move {
            clinic
                .register_patient(
                    &desk,
                    NewPatient {
                        details: common::details("Fhir", given, (1970, 1, 1)),
                        mrn_facility: None,
                    },
                )
                .await
                .unwrap()
                .id
        }
    };
    let patient = register("Peter").await;
    let other_patient = register("Paula").await;
    let practitioner = |name: &str| NewPractitioner {
        id: None,
        name: name.into(),
        time_zone: "Europe/Amsterdam".into(),
        availability: nine_to_noon(),
    };
    let doctor = clinic
        .add_practitioner(&system, practitioner("Dr Adam Careful"))
        .await
        .unwrap();
    let second = clinic
        .add_practitioner(&system, practitioner("Luigi Maas"))
        .await
        .unwrap();
    let room = clinic
        .add_resource(
            &system,
            NewResource {
                kind: ResourceKind::Room,
                name: "South Wing, second floor".into(),
                time_zone: "Europe/Amsterdam".into(),
            },
        )
        .await
        .unwrap();
    let visit = |code: &str, after: u32| NewVisitType {
        code: code.into(),
        name: code.into(),
        duration_minutes: Count32::new(30),
        buffer_before_minutes: Count32::new(0),
        buffer_after_minutes: Count32::new(after),
        min_notice_minutes: Count32::new(0),
        horizon_days: Count32::new(60),
        max_per_day: None,
        reminder_offsets_minutes: vec![Count32::new(60)],
    };
    let followup = clinic
        .add_visit_type(&system, visit("followup", 15))
        .await
        .unwrap();
    let walkin = clinic
        .add_visit_type(&system, visit("walkin", 0))
        .await
        .unwrap();
    World {
        clinic,
        system,
        patient,
        other_patient,
        doctor,
        second,
        room,
        followup,
        walkin,
    }
}

impl World {
    /// A migration import (the examples are records from elsewhere, in 2013).
    fn import(&self, resource: Value) -> FhirAppointmentImport {
        FhirAppointmentImport {
            migration: true,
            ..self.booking_import(resource)
        }
    }

    /// An import under the booking rules.
    fn booking_import(&self, resource: Value) -> FhirAppointmentImport {
        let references: BTreeMap<String, String> = [
            ("Patient/example", self.patient.to_string()),
            ("Practitioner/example", self.doctor.id.to_string()),
            ("Practitioner/f202", self.second.id.to_string()),
            ("Location/1", self.room.id.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        FhirAppointmentImport {
            resource,
            visit_type: None,
            references,
            migration: false,
        }
    }
}

#[tokio::test]
async fn imported_examples_are_booked_readable_announced_and_export_unchanged() {
    let w = world().await;
    let mut imported = Vec::new();
    for (name, visit) in [
        ("Appointment-example.json", &w.followup),
        ("Appointment-2docs.json", &w.walkin),
    ] {
        let original = example(name);
        let a = w
            .clinic
            .import_appointment_fhir(&w.system, w.import(original.clone()))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(a.visit_type, visit.id, "{name}: by appointmentType code");
        assert_eq!((a.patient, a.practitioner), (w.patient, w.doctor.id));
        assert_eq!(a.status, AppointmentStatus::Booked);
        assert!(a.reminders.is_empty(), "no reminders in the past");
        assert_eq!(fhir_source_id(&a), original["id"].as_str());
        let exported = w
            .clinic
            .export_appointment_fhir(&w.system, a.id)
            .await
            .unwrap();
        assert_eq!(exported, with_id(original, a.id), "{name}");
        let read = w.clinic.get_appointment(&w.system, a.id).await.unwrap();
        assert_eq!(read, a);
        imported.push(a);
    }
    let example = &imported[0];
    assert_eq!(example.room, Some(w.room.id));
    assert_eq!(
        example.blocked_until,
        example.end + Duration::minutes(15),
        "the visit type's buffer after"
    );

    let events = w
        .clinic
        .events_after(&w.system, vec![], Count32::new(100))
        .await
        .unwrap();
    for a in &imported {
        let event = events
            .iter()
            .find(|e| {
                e.draft.kind == "appointment.booked"
                    && e.draft.payload["appointment_id"] == json!(a.id)
            })
            .expect("appointment.booked in the outbox");
        let schema: Value = serde_json::from_str(schema("appointment.booked", 1).unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        assert!(validator.is_valid(&serde_json::to_value(event).unwrap()));
    }
}

#[tokio::test]
async fn an_explicit_visit_type_wins_and_an_unknown_code_is_refused() {
    let w = world().await;
    let mut import = w.import(example("Appointment-example.json"));
    import.resource["appointmentType"]["coding"][0]["code"] = json!("ROUTINE");
    let err = w
        .clinic
        .import_appointment_fhir(&w.system, import.clone())
        .await
        .unwrap_err();
    assert_eq!(
        field_codes(&err),
        [("appointmentType".into(), "unknown_visit_type".into())]
    );
    import.visit_type = Some(w.walkin.id);
    let a = w
        .clinic
        .import_appointment_fhir(&w.system, import)
        .await
        .unwrap();
    assert_eq!(a.visit_type, w.walkin.id);
}

#[tokio::test]
async fn future_migration_imports_keep_their_times_and_get_future_reminders() {
    let w = world().await;
    let mut import = w.import(example("Appointment-example.json"));
    // A Sunday 03:17 UTC: off the grid and outside hours, but a record from elsewhere.
    import.resource["start"] = json!("2026-11-29T04:17:00+01:00");
    import.resource["end"] = json!("2026-11-29T04:47:00+01:00");
    let a = w
        .clinic
        .import_appointment_fhir(&w.system, import.clone())
        .await
        .unwrap();
    assert_eq!(
        a.start,
        Utc.with_ymd_and_hms(2026, 11, 29, 3, 17, 0).unwrap()
    );
    assert_eq!(a.reminders.len(), 1);
    assert_eq!(a.reminders[0].due_at, a.start - Duration::minutes(60));
    let exported = w
        .clinic
        .export_appointment_fhir(&w.system, a.id)
        .await
        .unwrap();
    assert_eq!(
        exported,
        with_id(import.resource, a.id),
        "the offset text is kept"
    );
}

#[tokio::test]
async fn the_request_example_is_refused_naming_start() {
    let w = world().await;
    let err = w
        .clinic
        .import_appointment_fhir(&w.system, w.import(example("Appointment-examplereq.json")))
        .await
        .unwrap_err();
    assert!(field_codes(&err).contains(&("start".into(), "required".into())));
}

#[tokio::test]
async fn an_unknown_patient_is_not_found() {
    let w = world().await;
    let mut import = w.import(example("Appointment-example.json"));
    import.resource["participant"][0]["actor"]["reference"] =
        json!(format!("Patient/{}", PatientId::new()));
    let err = w
        .clinic
        .import_appointment_fhir(&w.system, import)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");

    let mut import = w.import(example("Appointment-example.json"));
    import.references.remove("Patient/example");
    let err = w
        .clinic
        .import_appointment_fhir(&w.system, import)
        .await
        .unwrap_err();
    assert_eq!(
        field_codes(&err),
        [(
            "participant[0].actor.reference".into(),
            "unresolved_reference".into()
        )]
    );
}

#[tokio::test]
async fn overlapping_imports_for_one_practitioner_are_a_double_booking() {
    let w = world().await;
    w.clinic
        .import_appointment_fhir(&w.system, w.import(example("Appointment-example.json")))
        .await
        .unwrap();
    let mut second = example("Appointment-2docs.json");
    second["start"] = json!("2013-12-10T10:00:00Z");
    second["end"] = json!("2013-12-10T10:30:00Z");
    let mut import = w.import(second);
    import
        .references
        .insert("Patient/example".into(), w.other_patient.to_string());
    let err = w
        .clinic
        .import_appointment_fhir(&w.system, import)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "double_booking");
    let Error::DoubleBooking { resource, .. } = err else {
        unreachable!()
    };
    assert_eq!(resource, carebase::BookedResource::Practitioner);
}

#[tokio::test]
async fn unsupported_statuses_are_refused_naming_status() {
    let w = world().await;
    for status in ["pending", "waitlist", "fulfilled"] {
        let mut resource = example("Appointment-example.json");
        resource["status"] = json!(status);
        let err = w
            .clinic
            .import_appointment_fhir(&w.system, w.import(resource))
            .await
            .unwrap_err();
        assert_eq!(
            field_codes(&err),
            [("status".into(), "unsupported_status".into())],
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_patient_may_not_import_for_another_patient() {
    let w = world().await;
    // Monday 09:00 Amsterdam: a free slot of the thirty-minute follow-up.
    let mut resource = example("Appointment-example.json");
    resource["start"] = json!("2026-11-23T08:00:00Z");
    resource["end"] = json!("2026-11-23T08:30:00Z");
    let paula = Actor::patient(ActorId::new(), w.other_patient);
    let err = w
        .clinic
        .import_appointment_fhir(&paula, w.booking_import(resource.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let peter = Actor::patient(ActorId::new(), w.patient);
    let a = w
        .clinic
        .import_appointment_fhir(&peter, w.booking_import(resource))
        .await
        .unwrap();
    let err = w
        .clinic
        .export_appointment_fhir(&paula, a.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn a_practitioners_schedule_exports_as_a_fhir_schedule() {
    let w = world().await;
    let desk = common::actor(Role::FrontDesk);
    let schedule = w
        .clinic
        .export_schedule_fhir(&desk, w.doctor.id)
        .await
        .unwrap();
    assert_eq!(schedule["resourceType"], "Schedule");
    assert_eq!(schedule["id"], w.doctor.id.to_string());
    assert_eq!(schedule["active"], true);
    assert_eq!(
        schedule["actor"],
        json!([{"reference": format!("Practitioner/{}", w.doctor.id), "display": "Dr Adam Careful"}])
    );
    assert_eq!(
        schedule["planningHorizon"],
        json!({"start": "2026-11-22T09:00:00Z", "end": "2027-01-21T09:00:00Z"}),
        "from now to the longest visit-type horizon (60 days)"
    );
    assert!(schedule["comment"]
        .as_str()
        .unwrap()
        .starts_with("Weekly hours (Europe/Amsterdam): Monday 09:00-12:00"));
    FhirSchedule::from_fhir(&schedule).unwrap();
    let err = w
        .clinic
        .export_schedule_fhir(&desk, PractitionerId::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn free_slots_export_as_a_searchset_bundle_with_stable_ids_and_a_next_link() {
    let w = world().await;
    let desk = common::actor(Role::FrontDesk);
    let query = SlotQuery {
        visit_type: w.walkin.id,
        practitioners: vec![w.doctor.id],
        room: None,
        from: Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap(),
        to: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap(),
        limit: Some(Count32::new(4)),
        cursor: None,
    };
    let page = w
        .clinic
        .find_free_slots(&desk, query.clone())
        .await
        .unwrap();
    let bundle = w
        .clinic
        .export_free_slots_fhir(&desk, query.clone())
        .await
        .unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "searchset");
    let cursor = page.next_cursor.clone().unwrap();
    assert_eq!(
        bundle["link"],
        json!([{"relation": "next", "url": format!("?cursor={cursor}")}])
    );
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    for (entry, slot) in entries.iter().zip(&page.slots) {
        let id = slot_id(slot, &w.walkin);
        assert_eq!(entry["fullUrl"], format!("urn:uuid:{id}"));
        assert_eq!(entry["search"]["mode"], "match");
        let resource = &entry["resource"];
        let read = FhirSlot::from_fhir(resource).unwrap();
        assert_eq!(read.id.as_deref(), Some(id.as_str()));
        assert_eq!(
            read.schedule.reference,
            Some(format!("Schedule/{}", w.doctor.id))
        );
        assert_eq!((read.start, read.end), (slot.start, slot.end));
        assert_eq!(resource["status"], "free");
        assert_eq!(resource["appointmentType"]["coding"][0]["code"], "walkin");
    }
    // 09:00 Amsterdam is 08:00 UTC in November.
    assert_eq!(entries[0]["resource"]["start"], "2026-11-23T08:00:00Z");
    assert_eq!(entries[0]["resource"]["end"], "2026-11-23T08:30:00Z");

    let again = w
        .clinic
        .export_free_slots_fhir(&desk, query.clone())
        .await
        .unwrap();
    assert_eq!(again, bundle, "same state, same ids");
    let ids: std::collections::BTreeSet<_> = entries
        .iter()
        .map(|e| e["resource"]["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 4, "distinct slots, distinct ids");

    let next = w
        .clinic
        .export_free_slots_fhir(
            &desk,
            SlotQuery {
                cursor: Some(cursor),
                ..query
            },
        )
        .await
        .unwrap();
    assert_eq!(
        next["entry"][0]["resource"]["start"],
        "2026-11-23T10:00:00Z"
    );
}
