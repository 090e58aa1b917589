//! FHIR R4 JSON for scheduling as specifications: every official example
//! Appointment, Schedule and Slot round-trips; an imported appointment
//! exports as it came (its `id` becomes the carebase id, the source id is
//! kept in `fhir_extra.source_id`); schedules and free slots export with
//! stable references and ids.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use carebase::clinic::NewPatient;
use carebase::events::schema;
use carebase::schedule::fhir::{
    appointment_from_fhir, appointment_to_fhir, fhir_source_id, format_instant, parse_instant,
    reference_parts, slot_id, FhirAppointment, FhirAppointmentImport, FhirRefs, FhirSchedule,
    FhirSlot, ImportedAppointment,
};
use carebase::schedule::{
    Appointment, AppointmentStatus, Availability, Cancellation, CancellationReason,
    NewPractitioner, NewResource, NewVisitType, Practitioner, Resource, ResourceKind, SlotQuery,
    VisitType, Weekday, WeeklyHours,
};
use carebase::{
    Actor, ActorId, AppointmentId, Clinic, Error, PatientId, PractitionerId, ResourceId, Role,
    VisitTypeId,
};
use chrono::{Duration, NaiveTime, TimeZone, Utc};
use serde_json::{json, Value};

const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/fhir/r4-examples"
);

fn example(name: &str) -> Value {
    let path = PathBuf::from(EXAMPLES).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The example files whose name starts with `prefix-`, sorted.
fn examples(prefix: &str) -> Vec<(String, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(EXAMPLES)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{prefix}-")) && n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| (n.clone(), example(&n)))
        .collect()
}

fn with_id(mut resource: Value, id: impl ToString) -> Value {
    resource["id"] = json!(id.to_string());
    resource
}

fn field_codes(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// An appointment as the clinic would store an import (no buffers).
fn stored(imported: ImportedAppointment) -> Appointment {
    let now = Utc::now();
    let by = ActorId::new();
    Appointment {
        id: AppointmentId::new(),
        version: 1,
        patient: imported.patient,
        practitioner: imported.practitioner,
        room: imported.room,
        visit_type: VisitTypeId::new(),
        status: imported.status,
        start: imported.start,
        end: imported.end,
        blocked_from: imported.start,
        blocked_until: imported.end,
        series: None,
        cancellation: imported.cancellation_reason.map(|reason| Cancellation {
            reason,
            note: imported.cancellation_note,
            late: false,
            at: now,
            by,
        }),
        reschedules: Vec::new(),
        reminders: Vec::new(),
        note: imported.note,
        fhir_extra: Some(imported.fhir_extra),
        booked_by: by,
        created_at: now,
        updated_at: now,
    }
}

fn example_refs() -> (FhirRefs, PatientId, PractitionerId, ResourceId) {
    let (patient, practitioner, room) =
        (PatientId::new(), PractitionerId::new(), ResourceId::new());
    let mut refs = FhirRefs::new();
    refs.insert("Patient/example", patient)
        .insert("Practitioner/example", practitioner)
        .insert("Location/1", room);
    (refs, patient, practitioner, room)
}

// ---------------------------------------------------------------- pure ---

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
        slot_minutes: 30,
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
        duration_minutes: 30,
        buffer_before_minutes: 0,
        buffer_after_minutes: after,
        min_notice_minutes: 0,
        horizon_days: 60,
        max_per_day: None,
        reminder_offsets_minutes: vec![60],
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

    let events = w.clinic.events_after(&w.system, vec![], 100).await.unwrap();
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
    assert_eq!(resource, "practitioner");
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
        limit: Some(4),
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
