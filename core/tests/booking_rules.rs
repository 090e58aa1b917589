//! Specification of the booking rules on every way in: a FHIR import is a
//! booking (a migration import skips the rules only with its own
//! permission, flagged in the audit), a double booking names the other
//! appointment only to who may read it, and every id an operation stores
//! names a record that exists.

mod common;

use carebase::audit::{AuditQuery, Outcome};
use carebase::schedule::{AppointmentQuery, RescheduleAppointment};
use carebase::store::AuditStore;
use carebase::{Actor, ActorId, Error, PatientId, PractitionerId, ResourceId, VisitTypeId};
use chrono::{DateTime, Duration, Utc};
use common::world::{monday, World};

/// The `(field, code)` pairs of a validation error.
fn fields(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn appointments_of(w: &World, patient: PatientId) -> usize {
    w.clinic
        .list_appointments(
            &w.system,
            AppointmentQuery {
                patient: Some(patient),
                practitioner: None,
                from: monday(0, 0) - Duration::days(30),
                to: monday(0, 0) + Duration::days(400),
                include_inactive: true,
                limit: None,
            },
        )
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_patient_login_cannot_import_what_booking_refuses() {
    let w = World::new().await;
    let p = w.patient("Book", "Bea").await;
    let me = Actor::patient(ActorId::new(), p.id);
    let cases: [(&str, DateTime<Utc>, &str); 4] = [
        ("outside hours", monday(13, 0), "outside_hours"),
        ("off the grid", monday(9, 10), "outside_hours"),
        ("in the past", monday(9, 0) - Duration::days(1), "too_soon"),
        (
            "beyond the horizon",
            monday(9, 0) + Duration::days(61),
            "beyond_horizon",
        ),
    ];
    for (case, start, code) in cases {
        let booked = w
            .clinic
            .book_appointment(&me, w.booking(p.id, start))
            .await
            .unwrap_err();
        assert_eq!(fields(&booked), [("start".into(), code.into())], "{case}");
        let imported = w
            .clinic
            .import_appointment_fhir(&me, w.fhir(p.id, start, start + Duration::minutes(30)))
            .await
            .unwrap_err();
        assert_eq!(fields(&imported), fields(&booked), "{case}");
    }
    assert_eq!(appointments_of(&w, p.id).await, 0, "nothing was written");
    // What booking accepts, an import accepts.
    let a = w
        .clinic
        .import_appointment_fhir(&me, w.fhir(p.id, monday(9, 0), monday(9, 30)))
        .await
        .unwrap();
    assert_eq!((a.start, a.end), (monday(9, 0), monday(9, 30)));
}

#[tokio::test]
async fn an_import_longer_than_its_visit_type_is_refused_naming_end() {
    let w = World::new().await;
    let p = w.patient("Long", "Lou").await;
    for who in [Actor::patient(ActorId::new(), p.id), w.desk.clone()] {
        let err = w
            .clinic
            .import_appointment_fhir(
                &who,
                w.fhir(p.id, monday(9, 0), monday(9, 0) + Duration::hours(23)),
            )
            .await
            .unwrap_err();
        assert_eq!(fields(&err), [("end".into(), "out_of_range".into())]);
    }
    assert_eq!(appointments_of(&w, p.id).await, 0);
}

#[tokio::test]
async fn a_migration_import_needs_its_own_permission_and_is_flagged_in_the_audit() {
    let w = World::new().await;
    let p = w.patient("Old", "Ola").await;
    // Off the grid, outside hours and in the past: a record from elsewhere.
    let start = monday(3, 17) - Duration::days(10);
    let mut migration = w.fhir(p.id, start, start + Duration::minutes(45));
    migration.migration = true;
    for who in [Actor::patient(ActorId::new(), p.id), w.desk.clone()] {
        let err = w
            .clinic
            .import_appointment_fhir(&who, migration.clone())
            .await
            .unwrap_err();
        let Error::Forbidden { reason } = err else {
            panic!("expected forbidden");
        };
        assert_eq!(reason.permission.as_str(), "appointment.migrate");
    }
    let a = w
        .clinic
        .import_appointment_fhir(&w.admin, migration)
        .await
        .unwrap();
    assert_eq!((a.start, a.end), (start, start + Duration::minutes(45)));
    let entries = w
        .store
        .audit_entries(&AuditQuery {
            actor: Some(w.admin.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let entry = entries
        .iter()
        .find(|e| e.draft.subject == Some(format!("appointment:{}", a.id)))
        .expect("the import is audited");
    assert_eq!(entry.draft.action, "appointment.migrate");
    assert_eq!(entry.draft.outcome, Outcome::Success);
    assert!(
        entry
            .draft
            .reason
            .ends_with("booking rules skipped (migration)"),
        "{}",
        entry.draft.reason
    );
}

#[tokio::test]
async fn a_double_booking_names_the_other_appointment_only_to_who_may_read_it() {
    let w = World::new().await;
    let ann = w.patient("Slot", "Ann").await;
    let bob = w.patient("Slot", "Bob").await;
    let anns = w
        .clinic
        .book_appointment(&w.desk, w.booking(ann.id, monday(9, 0)))
        .await
        .unwrap();
    let bob_login = Actor::patient(ActorId::new(), bob.id);
    let taken = |r: Result<carebase::schedule::Appointment, Error>| match r {
        Err(Error::DoubleBooking {
            resource,
            appointment,
        }) => (resource, appointment),
        other => panic!("expected a double booking, got {other:?}"),
    };
    let booked = w
        .clinic
        .book_appointment(&bob_login, w.booking(bob.id, monday(9, 0)))
        .await;
    assert_eq!(
        taken(booked),
        (carebase::BookedResource::Practitioner, None)
    );
    let imported = w
        .clinic
        .import_appointment_fhir(&bob_login, w.fhir(bob.id, monday(9, 0), monday(9, 30)))
        .await;
    assert_eq!(
        taken(imported),
        (carebase::BookedResource::Practitioner, None)
    );
    let bobs = w
        .clinic
        .book_appointment(&bob_login, w.booking(bob.id, monday(10, 0)))
        .await
        .unwrap();
    let moved = w
        .clinic
        .reschedule_appointment(
            &bob_login,
            bobs.id,
            bobs.version,
            RescheduleAppointment {
                start: monday(9, 0),
                practitioner: None,
                room: None,
            },
        )
        .await;
    assert_eq!(taken(moved), (carebase::BookedResource::Practitioner, None));
    let message = w
        .clinic
        .book_appointment(&bob_login, w.booking(bob.id, monday(9, 0)))
        .await
        .unwrap_err()
        .to_string();
    assert!(!message.contains(&anns.id.to_string()), "{message}");
    // The front desk may read Ann's appointment, so it is named.
    let desk = w
        .clinic
        .book_appointment(&w.desk, w.booking(bob.id, monday(9, 0)))
        .await;
    assert_eq!(
        taken(desk),
        (carebase::BookedResource::Practitioner, Some(anns.id))
    );
    // Ann's own login bumping into her own appointment learns which.
    let ann_login = Actor::patient(ActorId::new(), ann.id);
    let own = w
        .clinic
        .book_appointment(&ann_login, w.booking(ann.id, monday(9, 0)))
        .await;
    assert_eq!(taken(own).1, Some(anns.id));
}

#[tokio::test]
async fn assigning_an_unregistered_practitioner_to_a_care_team_is_not_found() {
    let w = World::new().await;
    let p = w.patient("Team", "Tia").await;
    let err = w
        .clinic
        .assign_care_team(&w.admin, p.id, PractitionerId::new())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::NotFound {
            entity: "practitioner".into(),
            field: Some("practitioner".into()),
        }
    );
    assert!(w.clinic.care_team(&w.admin, p.id).await.unwrap().is_empty());
    w.clinic
        .assign_care_team(&w.admin, p.id, w.practitioner.id)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_stored_reference_must_exist_or_the_operation_is_not_found_naming_the_field() {
    let w = World::new().await;
    let p = w.patient("Ref", "Rae").await;
    let missing = |err: Error| match err {
        Error::NotFound { entity, field } => (entity, field.unwrap_or_default()),
        other => panic!("expected not_found, got {other:?}"),
    };
    let mut booking = w.booking(p.id, monday(9, 0));
    booking.room = Some(ResourceId::new());
    let err = w
        .clinic
        .book_appointment(&w.desk, booking)
        .await
        .unwrap_err();
    assert_eq!(missing(err), ("resource".into(), "room".into()));
    let mut booking = w.booking(p.id, monday(9, 0));
    booking.visit_type = VisitTypeId::new();
    let err = w
        .clinic
        .book_appointment(&w.desk, booking)
        .await
        .unwrap_err();
    assert_eq!(missing(err), ("visit type".into(), "visit_type".into()));
    let mut booking = w.booking(p.id, monday(9, 0));
    booking.practitioner = PractitionerId::new();
    let err = w
        .clinic
        .book_appointment(&w.desk, booking)
        .await
        .unwrap_err();
    assert_eq!(missing(err), ("practitioner".into(), "practitioner".into()));
    let err = w
        .clinic
        .book_appointment(&w.desk, w.booking(PatientId::new(), monday(9, 0)))
        .await
        .unwrap_err();
    assert_eq!(missing(err), ("patient".into(), "patient".into()));
    let err = w
        .clinic
        .request_emergency_access(&w.doctor, PatientId::new(), "arrest", None)
        .await
        .unwrap_err();
    assert_eq!(missing(err), ("patient".into(), "patient".into()));
    let a = w
        .clinic
        .book_appointment(&w.desk, w.booking(p.id, monday(9, 0)))
        .await
        .unwrap();
    let err = w
        .clinic
        .reschedule_appointment(
            &w.desk,
            a.id,
            a.version,
            RescheduleAppointment {
                start: monday(10, 0),
                practitioner: Some(PractitionerId::new()),
                room: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(missing(err), ("practitioner".into(), "practitioner".into()));
    let mut migration = w.fhir(p.id, monday(11, 0), monday(11, 30));
    migration.migration = true;
    migration.resource["participant"]
        .as_array_mut()
        .unwrap()
        .push(
            serde_json::json!({"actor": {"reference": format!("Location/{}", ResourceId::new())}}),
        );
    let err = w
        .clinic
        .import_appointment_fhir(&w.system, migration)
        .await
        .unwrap_err();
    assert_eq!(missing(err), ("resource".into(), "room".into()));
    assert_eq!(appointments_of(&w, p.id).await, 1);
}
