//! Scheduling semantics every backend must share: versioned records, the
//! no-overlap guarantee inside the transaction (also under concurrency),
//! the busy and appointment queries, and send-once reminders. Booking
//! through a clinic (races, day limits, moves) is in `booking`.

mod booking;

pub use booking::*;

use crate::{Count32, Count64};
use std::sync::Arc;

use chrono::{Duration, NaiveTime};
use serde_json::json;

use super::{at, audit_about, patient};
use crate::ids::{ActorId, AppointmentId, PatientId, PractitionerId, ResourceId, VisitTypeId};
use crate::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, AppointmentStatus, Availability, BusyQuery,
    Cancellation, CancellationReason, CountQuery, CountRange, Practitioner, Reminder, Reschedule,
    Resource, ResourceKind, VisitType, Weekday, WeeklyHours,
};
use crate::store::{ChangeSet, PatientWrite, ReminderSent, Store, Versioned};
use crate::BookedResource;
use crate::Error;

fn practitioner() -> Practitioner {
    Practitioner {
        id: PractitionerId::new(),
        version: Count64::new(1),
        name: "Dr Conformance".into(),
        time_zone: "Europe/Berlin".into(),
        availability: Availability::default(),
        active: true,
        created_at: at(0),
        updated_at: at(0),
        fhir_extra: None,
    }
}

fn room() -> Resource {
    Resource {
        id: ResourceId::new(),
        version: Count64::new(1),
        kind: ResourceKind::Room,
        name: "Room 1".into(),
        time_zone: "Europe/Berlin".into(),
        active: true,
    }
}

/// A booked appointment `[start, start+len)` blocking `buffer` either side.
pub(super) fn appointment(
    patient: PatientId,
    practitioner: PractitionerId,
    room: Option<ResourceId>,
    start: i64,
    len: i64,
    buffer: i64,
) -> Appointment {
    let (s, e) = (at(start * 60), at((start + len) * 60));
    Appointment {
        id: AppointmentId::new(),
        version: Count64::new(1),
        patient,
        practitioner,
        room,
        visit_type: VisitTypeId::new(),
        status: AppointmentStatus::Booked,
        start: s,
        end: e,
        blocked_from: s - Duration::minutes(buffer),
        blocked_until: e + Duration::minutes(buffer),
        series: None,
        cancellation: None,
        reschedules: Vec::new(),
        reminders: Vec::new(),
        note: None,
        fhir_extra: None,
        encounter: None,
        booked_by: ActorId::new(),
        created_at: at(0),
        updated_at: at(0),
    }
}

pub(super) fn insert(a: &Appointment) -> ChangeSet {
    ChangeSet::default()
        .appointment(Versioned::Insert(a.clone()))
        .audit(audit_about(Some(a.patient), "appointment.book"))
}

pub(super) async fn two_patients(store: &Arc<dyn Store>) -> (PatientId, PatientId) {
    let (a, b) = (
        patient("Sched", "A", (1980, 1, 1)),
        patient("Sched", "B", (1981, 1, 1)),
    );
    store
        .apply(
            ChangeSet::default()
                .patient(PatientWrite::insert(a.clone(), None))
                .patient(PatientWrite::insert(b.clone(), None)),
        )
        .await
        .unwrap();
    (a.id, b.id)
}

pub async fn scheduling_records_roundtrip_with_versions(store: Arc<dyn Store>) {
    let mut p = practitioner();
    p.availability.weekly.push(WeeklyHours {
        weekday: Weekday::Monday,
        start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
        valid_from: None,
        valid_until: None,
    });
    let r = room();
    let v = VisitType {
        id: VisitTypeId::new(),
        version: Count64::new(1),
        code: "follow-up".into(),
        name: "Follow-up".into(),
        duration_minutes: Count32::new(20),
        buffer_before_minutes: Count32::new(5),
        buffer_after_minutes: Count32::new(10),
        min_notice_minutes: Count32::new(60),
        horizon_days: Count32::new(90),
        max_per_day: Some(Count32::new(8)),
        reminder_offsets_minutes: vec![Count32::new(2880), Count32::new(120)],
    };
    store
        .apply(
            ChangeSet::default()
                .practitioner(Versioned::Insert(p.clone()))
                .resource(Versioned::Insert(r.clone()))
                .visit_type(Versioned::Insert(v.clone())),
        )
        .await
        .unwrap();
    assert_eq!(store.practitioner(p.id).await.unwrap(), Some(p.clone()));
    assert_eq!(store.resource(r.id).await.unwrap(), Some(r.clone()));
    assert_eq!(store.visit_type(v.id).await.unwrap(), Some(v.clone()));
    assert_eq!(store.practitioners().await.unwrap(), vec![p.clone()]);
    assert_eq!(store.resources().await.unwrap(), vec![r]);
    assert_eq!(store.visit_types().await.unwrap(), vec![v]);

    let mut p2 = p.clone();
    p2.version = Count64::new(2);
    p2.availability.slot_minutes = Count32::new(10);
    store
        .apply(ChangeSet::default().practitioner(Versioned::Update {
            value: p2.clone(),
            expected_version: 1,
        }))
        .await
        .unwrap();
    let stale = store
        .apply(ChangeSet::default().practitioner(Versioned::Update {
            value: p2.clone(),
            expected_version: 1,
        }))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict");
    let twice = store
        .apply(ChangeSet::default().practitioner(Versioned::Insert(p.clone())))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), "conflict");
    assert_eq!(store.practitioner(p.id).await.unwrap(), Some(p2));
}

/// What a FHIR import kept of a practitioner reads back as written, one
/// by one and in the list (the list's cache included), through an update.
pub async fn a_practitioners_kept_fhir_elements_read_back_as_written(store: Arc<dyn Store>) {
    let mut p = practitioner();
    p.fhir_extra = Some(serde_json::json!({
        "source_id": "f001",
        "resource": {
            "identifier": [{"system": "urn:oid:2.16.528.1.1007.3.1", "value": "938273695"}],
            "qualification": [{"code": {"text": "Kept \"quoted\" \u{1} é"}}],
            "_active": {"extension": [{"url": "x", "valueDecimal": 1.5}]}
        }
    }));
    store
        .apply(ChangeSet::default().practitioner(Versioned::Insert(p.clone())))
        .await
        .unwrap();
    assert_eq!(store.practitioner(p.id).await.unwrap().as_ref(), Some(&p));
    assert_eq!(store.practitioners().await.unwrap(), vec![p.clone()]);
    let mut p2 = p.clone();
    p2.version = Count64::new(2);
    p2.fhir_extra = None;
    store
        .apply(ChangeSet::default().practitioner(Versioned::Update {
            value: p2.clone(),
            expected_version: 1,
        }))
        .await
        .unwrap();
    assert_eq!(store.practitioner(p.id).await.unwrap(), Some(p2.clone()));
    assert_eq!(store.practitioners().await.unwrap(), vec![p2]);
}

pub async fn appointment_roundtrips_with_history_and_reminders(store: Arc<dyn Store>) {
    let (pa, _) = two_patients(&store).await;
    let pr = PractitionerId::new();
    let mut a = appointment(pa, pr, Some(ResourceId::new()), 600, 30, 5);
    a.reschedules.push(Reschedule {
        from_start: at(100),
        from_end: at(200),
        from_practitioner: PractitionerId::new(),
        from_room: None,
        at: at(50),
        by: ActorId::new(),
    });
    a.reminders = vec![
        Reminder {
            offset_minutes: Count32::new(120),
            due_at: a.start - Duration::minutes(120),
            sent_at: None,
        },
        Reminder {
            offset_minutes: Count32::new(30),
            due_at: a.start - Duration::minutes(30),
            sent_at: None,
        },
    ];
    a.note = Some("bring the x-ray".into());
    a.fhir_extra = Some(json!({"priority": 5, "serviceCategory": [{"text": "x"}]}));
    a.series = Some(crate::ids::SeriesId::new());
    store.apply(insert(&a)).await.unwrap();
    assert_eq!(store.appointment(a.id).await.unwrap(), Some(a.clone()));

    let mut cancelled = a.clone();
    cancelled.version = Count64::new(2);
    cancelled.status = AppointmentStatus::Cancelled;
    cancelled.cancellation = Some(Cancellation {
        reason: CancellationReason::Pat,
        note: None,
        late: true,
        at: at(60),
        by: ActorId::new(),
    });
    cancelled.reminders.clear();
    store
        .apply(ChangeSet::default().appointment(Versioned::Update {
            value: cancelled.clone(),
            expected_version: 1,
        }))
        .await
        .unwrap();
    assert_eq!(store.appointment(a.id).await.unwrap(), Some(cancelled));
    assert_eq!(store.appointment(AppointmentId::new()).await.unwrap(), None);
}

pub async fn overlapping_active_appointments_are_double_bookings(store: Arc<dyn Store>) {
    let (pa, pb) = two_patients(&store).await;
    let (pr, pr2) = (PractitionerId::new(), PractitionerId::new());
    let rm = ResourceId::new();
    let first = appointment(pa, pr, Some(rm), 600, 30, 10);
    store.apply(insert(&first)).await.unwrap();
    let before = store.events_after(&[], 100).await.unwrap().len();
    let heads = store.audit_heads().await.unwrap();

    // The practitioner's buffers overlap (blocked spans).
    let clash = appointment(pb, pr, None, 640, 30, 5);
    match store.apply(insert(&clash)).await.unwrap_err() {
        Error::DoubleBooking {
            resource,
            appointment,
        } => {
            assert_eq!(resource, BookedResource::Practitioner);
            assert_eq!(appointment, Some(first.id));
        }
        other => panic!("expected double_booking, got {other:?}"),
    }
    // Same room with another practitioner.
    let room_clash = appointment(pb, pr2, Some(rm), 620, 30, 0);
    let err = store.apply(insert(&room_clash)).await.unwrap_err();
    assert_eq!(err, Error::double_booking(BookedResource::Room, first.id));
    // Same patient elsewhere (visit times, not buffers).
    let patient_clash = appointment(pa, pr2, None, 615, 10, 0);
    let err = store.apply(insert(&patient_clash)).await.unwrap_err();
    assert_eq!(
        err,
        Error::double_booking(BookedResource::Patient, first.id)
    );
    // Nothing of the failed change sets was written.
    assert_eq!(store.events_after(&[], 100).await.unwrap().len(), before);
    assert_eq!(store.audit_heads().await.unwrap().len(), heads.len());
    assert_eq!(store.appointment(clash.id).await.unwrap(), None);

    // Touching blocked spans and other rooms are fine.
    let after_buffers = appointment(pb, pr, Some(ResourceId::new()), 650, 30, 0);
    store.apply(insert(&after_buffers)).await.unwrap();
    // A patient's visits may abut.
    let patient_next = appointment(pa, pr2, None, 630, 10, 0);
    store.apply(insert(&patient_next)).await.unwrap();

    // A cancelled appointment frees its time; a no-show too.
    let mut cancelled = first.clone();
    cancelled.version = Count64::new(2);
    cancelled.status = AppointmentStatus::Cancelled;
    store
        .apply(ChangeSet::default().appointment(Versioned::Update {
            value: cancelled,
            expected_version: 1,
        }))
        .await
        .unwrap();
    store
        .apply(insert(&appointment(pb, pr, Some(rm), 600, 30, 0)))
        .await
        .unwrap();
    // Re-activating an appointment re-checks it.
    let mut back = first.clone();
    back.version = Count64::new(3);
    let err = store
        .apply(ChangeSet::default().appointment(Versioned::Update {
            value: back,
            expected_version: 2,
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "double_booking");
}

pub async fn a_series_change_set_is_all_or_nothing(store: Arc<dyn Store>) {
    let (pa, _) = two_patients(&store).await;
    let pr = PractitionerId::new();
    let one = appointment(pa, pr, None, 0, 30, 0);
    let two = appointment(pa, pr, None, 7 * 24 * 60, 30, 0);
    let clash = appointment(pa, pr, None, 15, 30, 0);
    let err = store
        .apply(
            ChangeSet::default()
                .appointment(Versioned::Insert(one.clone()))
                .appointment(Versioned::Insert(two.clone()))
                .appointment(Versioned::Insert(clash)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::double_booking(BookedResource::Practitioner, one.id)
    );
    assert_eq!(store.appointment(one.id).await.unwrap(), None);
    assert_eq!(store.appointment(two.id).await.unwrap(), None);
}

pub async fn busy_and_appointment_queries_filter_and_order(store: Arc<dyn Store>) {
    let (pa, pb) = two_patients(&store).await;
    let (pr, pr2) = (PractitionerId::new(), PractitionerId::new());
    let rm = ResourceId::new();
    let late = appointment(pa, pr, None, 300, 30, 10);
    let early = appointment(pb, pr, None, 100, 30, 0);
    let other = appointment(pb, pr2, Some(rm), 200, 30, 0);
    let mut gone = appointment(pa, pr, None, 150, 30, 0);
    gone.status = AppointmentStatus::Cancelled;
    for a in [&late, &early, &other, &gone] {
        store.apply(insert(a)).await.unwrap();
    }
    let busy = |practitioners: Vec<PractitionerId>,
                rooms: Vec<ResourceId>,
                patients: Vec<PatientId>,
                from: i64,
                to: i64| BusyQuery {
        practitioners,
        rooms,
        patients,
        from: at(from * 60),
        to: at(to * 60),
    };
    let ids = |spans: Vec<crate::schedule::BusySpan>| {
        spans.into_iter().map(|s| s.appointment).collect::<Vec<_>>()
    };
    let all = store
        .busy(&busy(vec![pr], vec![], vec![], 0, 1000))
        .await
        .unwrap();
    assert_eq!(ids(all), vec![early.id, late.id]);
    // Blocked spans count: `late` blocks from 290.
    let edge = store
        .busy(&busy(vec![pr], vec![], vec![], 280, 291))
        .await
        .unwrap();
    assert_eq!(ids(edge), vec![late.id]);
    let none = store
        .busy(&busy(vec![pr], vec![], vec![], 130, 290))
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
    let by_room = store
        .busy(&busy(vec![], vec![rm], vec![], 0, 1000))
        .await
        .unwrap();
    assert_eq!(ids(by_room), vec![other.id]);
    let by_patient = store
        .busy(&busy(vec![], vec![], vec![pa], 0, 1000))
        .await
        .unwrap();
    assert_eq!(ids(by_patient), vec![late.id]);

    let query =
        |patient: Option<PatientId>, practitioner: Option<PractitionerId>| AppointmentQuery {
            patient,
            practitioner,
            from: at(0),
            to: at(1000 * 60),
            include_inactive: false,
            limit: None,
        };
    let of = |list: Vec<Appointment>| list.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        of(store.appointments(&query(None, Some(pr))).await.unwrap()),
        vec![early.id, late.id]
    );
    let mut with_inactive = query(Some(pa), None);
    with_inactive.include_inactive = true;
    assert_eq!(
        of(store.appointments(&with_inactive).await.unwrap()),
        vec![gone.id, late.id]
    );
    let mut limited = query(None, Some(pr));
    limited.limit = Some(Count32::new(1));
    assert_eq!(
        of(store.appointments(&limited).await.unwrap()),
        vec![early.id]
    );
    let mut window = query(None, Some(pr));
    window.from = at(100 * 60 + 1);
    assert_eq!(
        of(store.appointments(&window).await.unwrap()),
        vec![late.id]
    );
}

pub async fn appointment_counts_are_per_range_by_start_and_active_only(store: Arc<dyn Store>) {
    let (pa, pb) = two_patients(&store).await;
    let (pr, pr2) = (PractitionerId::new(), PractitionerId::new());
    let first = appointment(pa, pr, None, 100, 30, 10);
    let mut second = appointment(pb, pr, None, 200, 30, 0);
    second.visit_type = first.visit_type;
    let other_type = appointment(pa, pr, None, 300, 30, 0);
    let mut gone = appointment(pb, pr, None, 400, 30, 0);
    gone.visit_type = first.visit_type;
    gone.status = AppointmentStatus::Cancelled;
    let elsewhere = appointment(pb, pr2, None, 100, 30, 0);
    for a in [&first, &second, &other_type, &gone, &elsewhere] {
        store.apply(insert(a)).await.unwrap();
    }
    let range = |practitioner: PractitionerId, from: i64, to: i64| CountRange {
        practitioner,
        from: at(from * 60),
        to: at(to * 60),
    };
    let counts = store
        .appointment_counts(&CountQuery {
            visit_type: first.visit_type,
            ranges: vec![
                range(pr, 0, 1000),
                // By start, from inclusive and to exclusive: `first`
                // blocks from 90 but starts at 100.
                range(pr, 95, 100),
                range(pr, 100, 300),
                range(pr2, 0, 1000),
                range(PractitionerId::new(), 0, 1000),
                range(pr, 0, 1000),
            ],
        })
        .await
        .unwrap();
    let count = |all: u32, of_visit_type: u32| AppointmentCount { all, of_visit_type };
    assert_eq!(
        counts,
        vec![
            count(3, 2),
            count(0, 0),
            count(2, 2),
            count(1, 0),
            count(0, 0),
            count(3, 2),
        ]
    );
    let none = store
        .appointment_counts(&CountQuery {
            visit_type: first.visit_type,
            ranges: Vec::new(),
        })
        .await
        .unwrap();
    assert!(none.is_empty());
}

pub async fn reminders_are_due_until_marked_sent_once(store: Arc<dyn Store>) {
    let (pa, pb) = two_patients(&store).await;
    let pr = PractitionerId::new();
    let reminders = |a: &Appointment, offsets: &[u32]| {
        offsets
            .iter()
            .map(|o| Reminder {
                offset_minutes: Count32::new(*o),
                due_at: a.start - Duration::minutes(i64::from(*o)),
                sent_at: None,
            })
            .collect::<Vec<_>>()
    };
    let mut a = appointment(pa, pr, None, 3000, 30, 0);
    a.reminders = reminders(&a, &[2880, 120]);
    let mut b = appointment(pb, pr, None, 4000, 30, 0);
    b.reminders = reminders(&b, &[120]);
    store.apply(insert(&a)).await.unwrap();
    store.apply(insert(&b)).await.unwrap();

    let due = store
        .due_reminders(at(0), at(10_000 * 60), 10)
        .await
        .unwrap();
    let keys: Vec<_> = due
        .iter()
        .map(|r| (r.appointment, r.offset_minutes))
        .collect();
    assert_eq!(
        keys,
        vec![
            (a.id, Count32::new(2880)),
            (a.id, Count32::new(120)),
            (b.id, Count32::new(120))
        ]
    );
    assert_eq!(due[0].patient, pa);
    assert_eq!(due[0].due_at, at(120 * 60));
    let window = store.due_reminders(at(0), at(121 * 60), 10).await.unwrap();
    assert_eq!(window.len(), 1);

    let sent = |appointment, offset_minutes| {
        ChangeSet::default().reminder_sent(ReminderSent {
            appointment,
            offset_minutes,
            at: at(5),
        })
    };
    store.apply(sent(a.id, 2880)).await.unwrap();
    let again = store.apply(sent(a.id, 2880)).await.unwrap_err();
    assert_eq!(again.code(), "conflict");
    let missing = store.apply(sent(a.id, 7)).await.unwrap_err();
    assert_eq!(missing.code(), "not_found");
    let due = store
        .due_reminders(at(0), at(10_000 * 60), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 2);

    // An update that keeps the due time keeps the sent mark…
    let mut confirmed = a.clone();
    confirmed.version = Count64::new(2);
    confirmed.note = Some("confirmed".into());
    store
        .apply(ChangeSet::default().appointment(Versioned::Update {
            value: confirmed,
            expected_version: 1,
        }))
        .await
        .unwrap();
    let stored = store.appointment(a.id).await.unwrap().unwrap();
    assert_eq!(stored.reminders[0].sent_at, Some(at(5)));
    // …a cancellation (no reminders) removes them from the due list.
    let mut cancelled = stored.clone();
    cancelled.version = Count64::new(3);
    cancelled.status = AppointmentStatus::Cancelled;
    cancelled.reminders.clear();
    store
        .apply(ChangeSet::default().appointment(Versioned::Update {
            value: cancelled,
            expected_version: 2,
        }))
        .await
        .unwrap();
    let due = store
        .due_reminders(at(0), at(10_000 * 60), 10)
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|r| r.appointment).collect::<Vec<_>>(),
        vec![b.id]
    );
}
