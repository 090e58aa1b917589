//! Who may book and see what, setup input validated field by field, and notes kept out of `Debug`.

use super::*;
use carebase::{Count32, Count64};

#[tokio::test]
async fn patients_book_their_own_and_practitioners_see_their_own_schedule() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let other_doc = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let (me, someone) = (f.patient().await, f.patient().await);
    let me_actor = Actor::patient(ActorId::new(), me);
    let mine = f
        .clinic
        .book_appointment(&me_actor, f.booking(me, &p, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let err = f
        .clinic
        .book_appointment(
            &me_actor,
            f.booking(someone, &p, &v, utc(2030, 1, 7, 9, 30)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let theirs = f
        .clinic
        .book_appointment(&f.desk, f.booking(someone, &p, &v, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap();
    let err = f
        .clinic
        .cancel_appointment(
            &me_actor,
            theirs.id,
            Count64::new(1),
            CancelAppointment {
                reason: CancellationReason::Pat,
                note: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    f.clinic.get_appointment(&me_actor, mine.id).await.unwrap();

    let doc = Actor::practitioner(ActorId::new(), p.id);
    let schedule_of = |practitioner| AppointmentQuery {
        patient: None,
        practitioner: Some(practitioner),
        from: utc(2030, 1, 7, 0, 0),
        to: utc(2030, 1, 8, 0, 0),
        include_inactive: false,
        limit: None,
    };
    let own = f
        .clinic
        .list_appointments(&doc, schedule_of(p.id))
        .await
        .unwrap();
    assert_eq!(
        own.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![mine.id, theirs.id]
    );
    let err = f
        .clinic
        .list_appointments(&doc, schedule_of(other_doc.id))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let arrived = f
        .clinic
        .change_appointment_status(&doc, mine.id, Count64::new(1), AppointmentStatus::Arrived)
        .await
        .unwrap();
    assert_eq!(arrived.status, AppointmentStatus::Arrived);
    let err = f
        .clinic
        .add_visit_type(
            &f.desk,
            NewVisitType {
                code: "x".into(),
                name: "X".into(),
                duration_minutes: Count32::new(10),
                buffer_before_minutes: Count32::new(0),
                buffer_after_minutes: Count32::new(0),
                min_notice_minutes: Count32::new(0),
                horizon_days: Count32::new(10),
                max_per_day: None,
                reminder_offsets_minutes: vec![],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");

    // Every read of the schedule was audited under each patient.
    let log = f
        .clinic
        .audit_log(
            &f.system,
            &carebase::audit::AuditQuery {
                patient: Some(someone),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.draft.action.as_str()).collect();
    assert!(actions.contains(&"calendar.read"), "{actions:?}");
    assert!(actions.contains(&"appointment.book"), "{actions:?}");
}

#[tokio::test]
async fn setup_input_is_validated_field_by_field() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let mut a = hours(every_day(t(11, 0), t(9, 0)), 0);
    a.weekly.truncate(1);
    let err = f
        .clinic
        .add_practitioner(
            &f.system,
            NewPractitioner {
                id: None,
                name: " ".into(),
                time_zone: "Mars/Olympus".into(),
                availability: a,
            },
        )
        .await
        .unwrap_err();
    assert_field(&err, "name", "required");
    assert_field(&err, "time_zone", "unknown_time_zone");
    assert_field(&err, "availability.slot_minutes", "out_of_range");
    assert_field(&err, "availability.weekly[0].end", "before_start");
    let err = f
        .clinic
        .add_visit_type(
            &f.system,
            NewVisitType {
                code: "Bad Code".into(),
                name: "x".into(),
                duration_minutes: Count32::new(0),
                buffer_before_minutes: Count32::new(0),
                buffer_after_minutes: Count32::new(0),
                min_notice_minutes: Count32::new(0),
                horizon_days: Count32::new(0),
                max_per_day: None,
                reminder_offsets_minutes: vec![Count32::new(60), Count32::new(60)],
            },
        )
        .await
        .unwrap_err();
    assert_field(&err, "code", "invalid_format");
    assert_field(&err, "duration_minutes", "out_of_range");
    assert_field(&err, "horizon_days", "out_of_range");
    assert_field(&err, "reminder_offsets_minutes[1]", "duplicate");
}

#[tokio::test]
async fn debug_output_hides_notes() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let patient = f.patient().await;
    let booking = f.booking(patient, &p, &v, utc(2030, 1, 7, 9, 0));
    assert!(!format!("{booking:?}").contains("private note"));
    let a = f.clinic.book_appointment(&f.desk, booking).await.unwrap();
    assert!(!format!("{a:?}").contains("private note"));
}
