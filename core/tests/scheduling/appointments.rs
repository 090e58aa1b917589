//! The appointment life cycle: booking, double booking, status transitions, cancellation, rescheduling, series and reminders.

use super::*;
use carebase::BookedResource;
use carebase::{Count32, Count64};

#[tokio::test]
async fn booking_outside_hours_names_the_rule() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let patient = f.patient().await;
    for start in [
        utc(2030, 1, 7, 8, 30),
        utc(2030, 1, 7, 9, 10),
        utc(2030, 1, 7, 10, 45),
    ] {
        let err = f
            .clinic
            .book_appointment(&f.desk, f.booking(patient, &p, &v, start))
            .await
            .unwrap_err();
        assert_field(&err, "start", "outside_hours");
    }
}

#[tokio::test]
async fn a_patient_cannot_be_in_two_places() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let a = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let b = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let patient = f.patient().await;
    let first = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &a, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let err = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &b, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::double_booking(BookedResource::Patient, first.id)
    );
    assert_eq!(err.code(), "double_booking");
    assert!(!err.to_string().contains("Sched"));
}

#[tokio::test]
async fn the_life_cycle_allows_only_its_transitions() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let patient = f.patient().await;
    let mut proposal = f.booking(patient, &p, &v, utc(2030, 1, 7, 9, 0));
    proposal.status = Some(AppointmentStatus::Proposed);
    let a = f.clinic.book_appointment(&f.desk, proposal).await.unwrap();
    assert_eq!(a.status, AppointmentStatus::Proposed);
    let err = f
        .clinic
        .change_appointment_status(&f.desk, a.id, Count64::new(1), AppointmentStatus::Fulfilled)
        .await
        .unwrap_err();
    match &err {
        Error::Validation { fields } => {
            assert_eq!(fields[0].field, "status");
            assert_eq!(fields[0].code, "invalid_transition");
            assert!(
                fields[0].message.contains("proposed to fulfilled"),
                "{}",
                fields[0].message
            );
        }
        other => panic!("{other:?}"),
    }
    let mut version = 1;
    for next in [
        AppointmentStatus::Booked,
        AppointmentStatus::Arrived,
        AppointmentStatus::Fulfilled,
    ] {
        let moved = f
            .clinic
            .change_appointment_status(&f.desk, a.id, Count64::new(version), next)
            .await
            .unwrap();
        assert_eq!(moved.status, next);
        version = moved.version.get();
    }
    let err = f
        .clinic
        .cancel_appointment(
            &f.desk,
            a.id,
            Count64::new(version),
            CancelAppointment {
                reason: CancellationReason::Pat,
                note: None,
            },
        )
        .await
        .unwrap_err();
    assert_field(&err, "status", "invalid_transition");
    let stale = f
        .clinic
        .change_appointment_status(&f.desk, a.id, Count64::new(1), AppointmentStatus::Noshow)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict");
}

#[tokio::test]
async fn a_cancellation_inside_the_window_is_late_and_frees_the_slot() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let (pa, pb) = (f.patient().await, f.patient().await);
    let early = f
        .clinic
        .book_appointment(&f.desk, f.booking(pa, &p, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let late = f
        .clinic
        .book_appointment(&f.desk, f.booking(pb, &p, &v, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap();
    let cancel = || CancelAppointment {
        reason: CancellationReason::Pat,
        note: Some("called in".into()),
    };
    let not_late = f
        .clinic
        .cancel_appointment(&f.desk, early.id, Count64::new(1), cancel())
        .await
        .unwrap();
    assert!(!not_late.cancellation.as_ref().unwrap().late);
    f.clock.advance(Duration::days(6) + Duration::hours(9));
    let flagged = f
        .clinic
        .cancel_appointment(&f.desk, late.id, Count64::new(1), cancel())
        .await
        .unwrap();
    let c = flagged.cancellation.unwrap();
    assert!(c.late);
    assert_eq!(c.reason, CancellationReason::Pat);
    assert_eq!(flagged.status, AppointmentStatus::Cancelled);
    let again = f
        .clinic
        .book_appointment(&f.desk, f.booking(pa, &p, &v, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap();
    assert_eq!(again.start, utc(2030, 1, 7, 10, 0));
    let free_text = serde_json::json!({"reason": "Not A Code!"});
    assert!(serde_json::from_value::<CancelAppointment>(free_text).is_err());
}

#[tokio::test]
async fn rescheduling_keeps_the_history_and_the_old_time_frees_up() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f
        .visit(30, |v| v.reminder_offsets_minutes = vec![Count32::new(60)])
        .await;
    let patient = f.patient().await;
    let a = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &p, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    // Moving onto its own current span is allowed (it does not block itself).
    let moved = f
        .clinic
        .reschedule_appointment(
            &f.desk,
            a.id,
            Count64::new(1),
            RescheduleAppointment {
                start: utc(2030, 1, 7, 9, 30),
                practitioner: None,
                room: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.version, 2);
    assert_eq!(moved.reschedules.len(), 1);
    assert_eq!(moved.reschedules[0].from_start, utc(2030, 1, 7, 9, 0));
    assert_eq!(moved.reminders[0].due_at, utc(2030, 1, 7, 8, 30));
    let slots = f
        .slots(&v, &[&p], utc(2030, 1, 7, 0, 0), utc(2030, 1, 7, 12, 0))
        .await;
    assert_eq!(
        slots,
        vec![
            utc(2030, 1, 7, 9, 0),
            utc(2030, 1, 7, 10, 0),
            utc(2030, 1, 7, 10, 30)
        ]
    );
    let err = f
        .clinic
        .reschedule_appointment(
            &f.desk,
            a.id,
            Count64::new(2),
            RescheduleAppointment {
                start: utc(2030, 1, 7, 12, 0),
                practitioner: None,
                room: None,
            },
        )
        .await
        .unwrap_err();
    assert_field(&err, "start", "outside_hours");
}

#[tokio::test]
async fn a_series_keeps_local_time_and_is_booked_whole_or_not_at_all() {
    let f = fixture(utc(2030, 3, 1, 0, 0));
    let mut weekly = every_day(t(9, 0), t(10, 0));
    weekly.truncate(1); // Mondays
    let p = f.practitioner("Europe/Berlin", hours(weekly, 30)).await;
    let v = f.visit(30, |_| {}).await;
    let (pa, pb) = (f.patient().await, f.patient().await);
    // Mondays 09:00 Berlin, across the change on 31 March.
    let series = f
        .clinic
        .book_series(
            &f.desk,
            BookSeries {
                first: f.booking(pa, &p, &v, utc(2030, 3, 25, 8, 0)),
                recurrence: Recurrence {
                    every_weeks: Count32::new(1),
                    until: None,
                    count: Some(Count32::new(3)),
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(
        series.iter().map(|a| a.start).collect::<Vec<_>>(),
        vec![
            utc(2030, 3, 25, 8, 0),
            utc(2030, 4, 1, 7, 0),
            utc(2030, 4, 8, 7, 0)
        ]
    );
    let sid = series[0].series;
    assert!(sid.is_some() && series.iter().all(|a| a.series == sid));

    // A fortnightly series that hits the booked 25 March and 8 April.
    let err = f
        .clinic
        .book_series(
            &f.desk,
            BookSeries {
                first: f.booking(pb, &p, &v, utc(2030, 3, 11, 8, 0)),
                recurrence: Recurrence {
                    every_weeks: Count32::new(2),
                    until: NaiveDate::from_ymd_opt(2030, 4, 30),
                    count: None,
                },
            },
        )
        .await
        .unwrap_err();
    match &err {
        Error::Validation { fields } => {
            let named: Vec<_> = fields
                .iter()
                .map(|f| (f.field.as_str(), f.code.as_str()))
                .collect();
            assert_eq!(
                named,
                vec![
                    ("occurrences[1].start", "taken"),
                    ("occurrences[2].start", "taken")
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let listed = f
        .clinic
        .list_appointments(
            &f.desk,
            AppointmentQuery {
                patient: Some(pb),
                practitioner: None,
                from: utc(2030, 1, 1, 0, 0),
                to: utc(2031, 1, 1, 0, 0),
                include_inactive: true,
                limit: None,
            },
        )
        .await
        .unwrap();
    assert!(
        listed.is_empty(),
        "nothing of the failed series was written"
    );
    let bad = f
        .clinic
        .book_series(
            &f.desk,
            BookSeries {
                first: f.booking(pb, &p, &v, utc(2030, 3, 11, 8, 0)),
                recurrence: Recurrence {
                    every_weeks: Count32::new(0),
                    until: None,
                    count: None,
                },
            },
        )
        .await
        .unwrap_err();
    assert_field(&bad, "recurrence.every_weeks", "out_of_range");
    assert_field(&bad, "recurrence", "required");
}

#[tokio::test]
async fn reminders_come_due_and_go_out_once() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f
        .visit(30, |v| {
            v.reminder_offsets_minutes = vec![Count32::new(2880), Count32::new(120)]
        })
        .await;
    let patient = f.patient().await;
    let a = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &p, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let due = f
        .clinic
        .due_reminders(
            &f.system,
            utc(2030, 1, 5, 0, 0),
            utc(2030, 1, 6, 0, 0),
            Count32::new(10),
        )
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].due_at, utc(2030, 1, 5, 9, 0));
    assert_eq!((due[0].appointment, due[0].patient), (a.id, patient));
    f.clinic
        .mark_reminder_sent(&f.system, a.id, Count32::new(2880))
        .await
        .unwrap();
    let again = f
        .clinic
        .mark_reminder_sent(&f.system, a.id, Count32::new(2880))
        .await
        .unwrap_err();
    assert_eq!(again.code(), "conflict");
    let due = f
        .clinic
        .due_reminders(
            &f.system,
            utc(2030, 1, 1, 0, 0),
            utc(2030, 1, 8, 0, 0),
            Count32::new(10),
        )
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|r| r.offset_minutes).collect::<Vec<_>>(),
        vec![120]
    );
    let denied = f
        .clinic
        .due_reminders(
            &f.desk,
            utc(2030, 1, 1, 0, 0),
            utc(2030, 1, 8, 0, 0),
            Count32::new(10),
        )
        .await
        .unwrap_err();
    assert_eq!(denied.code(), "forbidden");
}
