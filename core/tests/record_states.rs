//! Specification of what a replaced (merged) or inactive record accepts:
//! one rule, the same for every operation that targets a patient.

mod common;

use carebase::clinic::BookSeries;
use carebase::patient::Patient;
use carebase::schedule::{
    AppointmentQuery, AppointmentStatus, CancelAppointment, CancellationReason, Recurrence,
    RescheduleAppointment,
};
use carebase::Count32;
use carebase::{Error, Result};
use chrono::Duration;
use common::world::{full_details, monday, World};

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Merged,
    Inactive,
}

/// `ok` or the error code, for a table.
fn outcome<T>(r: Result<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(Error::Conflict { detail }) => format!("conflict: {detail}"),
        Err(e) => e.code().into(),
    }
}

/// A patient with a booked and a proposed appointment, then put in `state`.
async fn record_in(w: &World, state: State) -> (Patient, Vec<carebase::schedule::Appointment>) {
    let p = w.patient("State", "Stan").await;
    // On the care team while active, so removal can be tried later.
    w.clinic
        .assign_care_team(&w.admin, p.id, w.practitioner.id)
        .await
        .unwrap();
    let booked = w
        .clinic
        .book_appointment(&w.desk, w.booking(p.id, monday(9, 0)))
        .await
        .unwrap();
    let mut proposal = w.booking(p.id, monday(10, 0));
    proposal.status = Some(AppointmentStatus::Proposed);
    let proposed = w.clinic.book_appointment(&w.desk, proposal).await.unwrap();
    let another = w
        .clinic
        .book_appointment(&w.desk, w.booking(p.id, monday(11, 0)))
        .await
        .unwrap();
    let p = match state {
        State::Inactive => w
            .clinic
            .deactivate_patient(&w.desk, p.id, p.version)
            .await
            .unwrap(),
        State::Merged => {
            let survivor = w.patient("State", "Stan").await;
            w.clinic
                .merge_patients(&w.system, survivor.id, survivor.version, p.id, p.version)
                .await
                .unwrap();
            w.clinic.get_patient(&w.system, p.id).await.unwrap()
        }
    };
    (p, vec![booked, proposed, another])
}

#[tokio::test]
async fn every_operation_on_a_merged_or_inactive_record_follows_one_rule() {
    let refused_merged = "conflict: patient was merged into another record; use the survivor";
    let refused_inactive = "conflict: patient is inactive";
    // (operation, outcome when merged, outcome when inactive), in the
    // order they run; reactivating comes last as it changes the state.
    let expected: Vec<(&str, &str, &str)> = vec![
        ("get_patient", "ok", "ok"),
        ("list_appointments", "ok", "ok"),
        ("update_patient", refused_merged, "ok"),
        ("merge_into_another", refused_merged, "ok"),
        ("book_appointment", refused_merged, refused_inactive),
        ("book_series", refused_merged, refused_inactive),
        ("import_appointment_fhir", refused_merged, refused_inactive),
        ("import_migration", refused_merged, refused_inactive),
        ("reschedule_appointment", refused_merged, refused_inactive),
        ("confirm_proposed", refused_merged, refused_inactive),
        ("mark_arrived", "ok", "ok"),
        ("cancel_appointment", "ok", "ok"),
        ("assign_care_team", refused_merged, "ok"),
        ("request_emergency_access", refused_merged, "ok"),
        ("remove_care_team", "ok", "ok"),
        ("reactivate_patient", refused_merged, "ok"),
    ];
    for state in [State::Merged, State::Inactive] {
        let w = World::new().await;
        let second = w
            .clinic
            .add_practitioner(
                &w.system,
                carebase::schedule::NewPractitioner {
                    id: None,
                    name: "Dr Second".into(),
                    time_zone: "UTC".into(),
                    availability: Default::default(),
                },
            )
            .await
            .unwrap();
        let (p, appts) = record_in(&w, state).await;
        let (booked, proposed, another) = (&appts[0], &appts[1], &appts[2]);
        let c = &w.clinic;
        let current = |id| {
            let c = c.clone();
            let system = w.system.clone();
            async move { c.get_patient(&system, id).await.unwrap() }
        };
        let mut got: Vec<(&str, String)> = Vec::new();
        got.push(("get_patient", outcome(c.get_patient(&w.desk, p.id).await)));
        let listing = AppointmentQuery {
            patient: Some(p.id),
            practitioner: None,
            from: monday(0, 0),
            to: monday(23, 0),
            include_inactive: true,
            limit: None,
        };
        got.push((
            "list_appointments",
            outcome(c.list_appointments(&w.desk, listing).await),
        ));
        let details = full_details("State", "Stan");
        got.push((
            "update_patient",
            outcome(c.update_patient(&w.desk, p.id, p.version, details).await),
        ));
        let p = current(p.id).await;
        let other = w.patient("Other", "Olga").await;
        let merged = c
            .merge_patients(&w.system, other.id, other.version, p.id, p.version)
            .await;
        got.push(("merge_into_another", outcome(merged.clone())));
        if let Ok(m) = merged {
            // Back to the state under test: unmerge restores it exactly.
            c.unmerge_patients(&w.system, m.id).await.unwrap();
        }
        let p = current(p.id).await;
        got.push((
            "book_appointment",
            outcome(
                c.book_appointment(&w.desk, w.booking(p.id, monday(9, 30)))
                    .await,
            ),
        ));
        let series = BookSeries {
            first: w.booking(p.id, monday(9, 30)),
            recurrence: Recurrence {
                every_weeks: Count32::new(1),
                until: None,
                count: Some(Count32::new(2)),
            },
        };
        got.push(("book_series", outcome(c.book_series(&w.desk, series).await)));
        let import = w.fhir(p.id, monday(9, 30), monday(10, 0));
        got.push((
            "import_appointment_fhir",
            outcome(c.import_appointment_fhir(&w.desk, import.clone()).await),
        ));
        let migration = carebase::schedule::fhir::FhirAppointmentImport {
            migration: true,
            ..import
        };
        got.push((
            "import_migration",
            outcome(c.import_appointment_fhir(&w.system, migration).await),
        ));
        let moved = RescheduleAppointment {
            start: monday(9, 30) + Duration::days(1),
            practitioner: None,
            room: None,
        };
        got.push((
            "reschedule_appointment",
            outcome(
                c.reschedule_appointment(&w.desk, booked.id, booked.version, moved)
                    .await,
            ),
        ));
        got.push((
            "confirm_proposed",
            outcome(
                c.change_appointment_status(
                    &w.desk,
                    proposed.id,
                    proposed.version,
                    AppointmentStatus::Booked,
                )
                .await,
            ),
        ));
        got.push((
            "mark_arrived",
            outcome(
                c.change_appointment_status(
                    &w.desk,
                    booked.id,
                    booked.version,
                    AppointmentStatus::Arrived,
                )
                .await,
            ),
        ));
        let cancel = CancelAppointment {
            reason: CancellationReason::PatMv,
            note: None,
        };
        got.push((
            "cancel_appointment",
            outcome(
                c.cancel_appointment(&w.desk, another.id, another.version, cancel)
                    .await,
            ),
        ));
        got.push((
            "assign_care_team",
            outcome(c.assign_care_team(&w.admin, p.id, second.id).await),
        ));
        got.push((
            "request_emergency_access",
            outcome(
                c.request_emergency_access(&w.doctor, p.id, "unconscious", None)
                    .await,
            ),
        ));
        got.push((
            "remove_care_team",
            outcome(c.remove_care_team(&w.admin, p.id, w.practitioner.id).await),
        ));
        got.push((
            "reactivate_patient",
            outcome(c.reactivate_patient(&w.desk, p.id, p.version).await),
        ));
        let want: Vec<(&str, String)> = expected
            .iter()
            .map(|(op, merged, inactive)| {
                let o = if state == State::Merged {
                    merged
                } else {
                    inactive
                };
                (*op, (*o).to_owned())
            })
            .collect();
        assert_eq!(got, want, "{state:?}");
    }
}
