//! Every list and text a host hands in has a documented maximum, checked
//! before anything else looks at it; a validation error lists a bounded
//! number of fields; free text holds no control characters; dates of death
//! make sense. (Issue 10, defect 11.)

mod common;

use carebase::clinic::NewPatient;
use carebase::patient::{
    Address, ContactPoint, ContactSystem, EmergencyContact, HumanName, Identifier, PatientDetails,
    PatientQuery,
};
use carebase::schedule::{
    Availability, BookAppointment, CancelAppointment, DateException, NewPractitioner, NewVisitType,
    SlotQuery, TimeOff, Weekday, WeeklyHours,
};
use carebase::store::{AuditStore, PatientStore};
use carebase::Count32;
use carebase::{Actor, ActorId, Clinic, Error, FieldError, PractitionerId, Role};
use chrono::{Duration, NaiveTime, TimeZone, Utc};
use common::{actor, clinic, details};

/// The field errors of a validation failure.
fn fields(err: Error) -> Vec<FieldError> {
    match err {
        Error::Validation { fields } => fields,
        other => panic!("expected validation, got {}", other.code()),
    }
}

/// The failures as `"field code"`.
fn failures(err: Error) -> Vec<String> {
    fields(err)
        .into_iter()
        .map(|f| format!("{} {}", f.field, f.code))
        .collect()
}

async fn register(clinic: &Clinic, details: PatientDetails) -> Result<(), Error> {
    clinic
        .register_patient(
            &actor(Role::FrontDesk),
            NewPatient {
                details,
                mrn_facility: None,
            },
        )
        .await
        .map(|_| ())
}

fn phone(value: &str) -> ContactPoint {
    ContactPoint {
        system: ContactSystem::Phone,
        value: value.into(),
        usage: None,
    }
}

fn visit_type(reminders: Vec<u32>) -> NewVisitType {
    NewVisitType {
        code: "consult".into(),
        name: "Consultation".into(),
        duration_minutes: Count32::new(30),
        buffer_before_minutes: Count32::new(0),
        buffer_after_minutes: Count32::new(0),
        min_notice_minutes: Count32::new(0),
        horizon_days: Count32::new(90),
        max_per_day: None,
        reminder_offsets_minutes: reminders.into_iter().map(Count32::new).collect(),
    }
}

#[tokio::test]
async fn fifty_thousand_given_names_are_one_too_many_error_and_nothing_is_written() {
    let (clinic, store, _) = clinic();
    let mut d = details("Garcia", "Ana", (1980, 1, 1));
    d.names[0].given = (0..50_000).map(|i| format!("Given{i}")).collect();
    let err = register(&clinic, d).await.unwrap_err();
    let found = fields(err);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].field, "names[0].given");
    assert_eq!(found[0].code, "too_many");
    assert_eq!(found[0].message, "at most 20 given names");
    let everyone = carebase::patient::PatientSearch {
        limit: 10,
        ..Default::default()
    };
    assert!(store.search_patients(&everyone).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_hundred_thousand_telecom_entries_are_one_too_many_error() {
    let (clinic, _, _) = clinic();
    let mut d = details("Garcia", "Ana", (1980, 1, 1));
    d.telecom = (0..100_000).map(|_| phone("+1 555 0100")).collect();
    let err = register(&clinic, d).await.unwrap_err();
    assert_eq!(failures(err), ["telecom too_many"]);
}

#[tokio::test]
async fn a_hundred_thousand_reminder_offsets_are_one_too_many_error() {
    let (clinic, _, _) = clinic();
    let err = clinic
        .add_visit_type(&Actor::system(), visit_type((0..100_000).collect()))
        .await
        .unwrap_err();
    let found = fields(err);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].field, "reminder_offsets_minutes");
    assert_eq!(found[0].code, "too_many");
    assert_eq!(found[0].message, "at most 10 reminders");
}

#[tokio::test]
async fn every_list_of_a_patient_has_a_maximum() {
    let (clinic, _, _) = clinic();
    let name = |n: usize| HumanName {
        family: Some("F".into()),
        given: vec!["G".into()],
        prefix: vec!["Dr".into(); n],
        suffix: vec!["Jr".into(); n],
        ..HumanName::default()
    };
    let contact = EmergencyContact {
        relationship: "spouse".into(),
        name: name(0),
        telecom: vec![phone("+1 555 0100"); 51],
    };
    let d = PatientDetails {
        identifiers: (0..51)
            .map(|i| Identifier {
                system: "urn:x".into(),
                value: format!("{i}"),
            })
            .collect(),
        names: vec![name(11)],
        addresses: vec![Address {
            lines: vec!["1 Main St".into(); 11],
            ..Address::default()
        }],
        emergency_contacts: vec![contact],
        ..PatientDetails::default()
    };
    let err = register(&clinic, d.clone()).await.unwrap_err();
    assert_eq!(
        failures(err),
        [
            "identifiers too_many",
            "names[0].prefix too_many",
            "names[0].suffix too_many",
            "addresses[0].lines too_many",
            "emergency_contacts[0].telecom too_many",
        ]
    );
    let many = PatientDetails {
        names: vec![name(0); 21],
        addresses: vec![Address::default(); 21],
        emergency_contacts: vec![d.emergency_contacts[0].clone(); 21],
        ..PatientDetails::default()
    };
    let err = register(&clinic, many).await.unwrap_err();
    assert_eq!(
        failures(err),
        [
            "names too_many",
            "addresses too_many",
            "emergency_contacts too_many",
        ]
    );
}

#[tokio::test]
async fn a_validation_error_lists_at_most_a_hundred_fields_then_says_more_were_left_out() {
    let (clinic, _, _) = clinic();
    let bad = HumanName {
        given: vec!["\u{0}".into(); 20],
        ..HumanName::default()
    };
    let d = PatientDetails {
        names: vec![bad; 20],
        ..PatientDetails::default()
    };
    let found = fields(register(&clinic, d).await.unwrap_err());
    assert_eq!(found.len(), 101);
    assert!(found[..100].iter().all(|f| f.code == "invalid_format"));
    assert_eq!(found[100].code, "too_many_errors");
    assert_eq!(found[100].field, "");
}

#[tokio::test]
async fn a_family_name_of_zero_width_characters_only_is_required() {
    let (clinic, _, _) = clinic();
    let mut d = details("Garcia", "Ana", (1980, 1, 1));
    d.names[0].family = Some("\u{200B}\u{200C}\u{200D}\u{FEFF}\u{2060}".into());
    d.names[0].given.clear();
    let err = register(&clinic, d).await.unwrap_err();
    assert_eq!(
        failures(err),
        ["names[0].family required", "names required"]
    );
}

#[tokio::test]
async fn a_death_in_the_future_or_before_birth_is_rejected() {
    let (clinic, _, _) = clinic();
    let mut d = details("Garcia", "Ana", (1980, 1, 1));
    d.deceased = true;
    d.deceased_at = Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).single();
    let err = register(&clinic, d.clone()).await.unwrap_err();
    assert_eq!(failures(err), ["deceased_at in_future"]);
    d.deceased_at = Utc.with_ymd_and_hms(1979, 12, 31, 23, 0, 0).single();
    let err = register(&clinic, d.clone()).await.unwrap_err();
    assert_eq!(failures(err), ["deceased_at out_of_range"]);
    d.deceased_at = Utc.with_ymd_and_hms(2020, 5, 1, 0, 0, 0).single();
    register(&clinic, d).await.unwrap();
}

#[tokio::test]
async fn a_death_before_year_one_is_out_of_range_even_without_a_birth_date() {
    // Year 0 reads back in no host (Python's datetime starts at year 1).
    let (clinic, _, _) = clinic();
    let mut d = details("Garcia", "Ana", (1980, 1, 1));
    d.birth_date = None;
    d.deceased = true;
    d.deceased_at = Utc.with_ymd_and_hms(0, 6, 1, 0, 0, 0).single();
    let err = register(&clinic, d).await.unwrap_err();
    assert_eq!(failures(err), ["deceased_at out_of_range"]);
}

#[tokio::test]
async fn a_nul_byte_in_a_break_the_glass_reason_is_invalid_format() {
    let (clinic, _, _) = clinic();
    let p = clinic
        .register_patient(
            &actor(Role::FrontDesk),
            NewPatient {
                details: details("Garcia", "Ana", (1980, 1, 1)),
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    let doctor = Actor::practitioner(ActorId::new(), PractitionerId::new());
    let err = clinic
        .request_emergency_access(&doctor, p.id, "unconscious\u{0}", None)
        .await
        .unwrap_err();
    assert_eq!(failures(err), ["reason invalid_format"]);
    let err = clinic
        .request_emergency_access(&doctor, p.id, &"x".repeat(1001), None)
        .await
        .unwrap_err();
    assert_eq!(failures(err), ["reason too_long"]);
    let grant = clinic
        .request_emergency_access(&doctor, p.id, "unconscious,\nno id", None)
        .await
        .unwrap();
    let admin = actor(Role::Admin);
    let err = clinic
        .review_emergency_access(&admin, grant.id, Some("ok\u{7}"))
        .await
        .unwrap_err();
    assert_eq!(failures(err), ["note invalid_format"]);
}

#[tokio::test]
async fn notes_and_free_text_of_scheduling_refuse_control_characters() {
    let (clinic, _, _) = clinic();
    let system = Actor::system();
    let now = Utc
        .with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap();
    let off = TimeOff {
        start: now,
        end: now + Duration::hours(1),
        reason: Some("flu\u{0}".into()),
    };
    let err = clinic
        .add_practitioner(
            &system,
            NewPractitioner {
                id: None,
                name: "Dr Weber".into(),
                time_zone: "Europe/Berlin".into(),
                availability: Availability {
                    time_off: vec![off],
                    ..Availability::default()
                },
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        failures(err),
        ["availability.time_off[0].reason invalid_format"]
    );

    let booking = BookAppointment {
        patient: carebase::PatientId::new(),
        practitioner: PractitionerId::new(),
        room: None,
        visit_type: carebase::VisitTypeId::new(),
        start: now,
        status: None,
        note: Some("call first\u{1b}[2J".into()),
    };
    let err = clinic.book_appointment(&system, booking).await.unwrap_err();
    assert_eq!(failures(err), ["note invalid_format"]);
    let cancel = CancelAppointment {
        reason: carebase::schedule::CancellationReason::Pat,
        note: Some("x".repeat(2001)),
    };
    let mut errors = Vec::new();
    carebase::schedule::validate::cancellation(&mut errors, &cancel);
    let codes: Vec<_> = errors
        .iter()
        .map(|f| format!("{} {}", f.field, f.code))
        .collect();
    assert_eq!(codes, ["note too_long"]);
}

#[tokio::test]
async fn availability_lists_over_their_maximum_are_too_many_and_not_walked() {
    let (clinic, _, _) = clinic();
    let window = WeeklyHours {
        weekday: Weekday::Monday,
        start: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        valid_from: None,
        valid_until: None,
    };
    let day_off = DateException {
        date: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        extra_hours: None,
    };
    let now = Utc
        .with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap();
    let off = TimeOff {
        start: now,
        end: now,
        reason: None,
    };
    let err = clinic
        .add_practitioner(
            &Actor::system(),
            NewPractitioner {
                id: None,
                name: "Dr Weber".into(),
                time_zone: "Europe/Berlin".into(),
                availability: Availability {
                    weekly: vec![window; 100_000],
                    exceptions: vec![day_off; 100_000],
                    time_off: vec![off; 100_000],
                    ..Availability::default()
                },
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        failures(err),
        [
            "availability.weekly too_many",
            "availability.exceptions too_many",
            "availability.time_off too_many",
        ]
    );
}

#[tokio::test]
async fn query_lists_and_texts_have_a_maximum() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let now = Utc
        .with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .unwrap();
    let query = SlotQuery {
        visit_type: carebase::VisitTypeId::new(),
        practitioners: vec![PractitionerId::new(); 100_000],
        room: None,
        from: now,
        to: now + Duration::days(1),
        limit: None,
        cursor: Some("A".repeat(10_000)),
    };
    let err = clinic.find_free_slots(&desk, query).await.unwrap_err();
    assert_eq!(
        failures(err),
        ["practitioners too_many", "cursor invalid_cursor"]
    );
    let query = PatientQuery {
        name: Some("x".repeat(201)),
        cursor: Some("A".repeat(10_000)),
        ..PatientQuery::default()
    };
    let err = clinic.search_patients(&desk, &query).await.unwrap_err();
    assert_eq!(failures(err), ["name too_long", "cursor invalid_cursor"]);
}

#[tokio::test]
async fn an_actor_with_a_million_roles_is_refused_before_anything_is_audited() {
    let (clinic, store, _) = clinic();
    let actor = Actor::new(ActorId::new(), vec![Role::Admin; 1_000_000]);
    let err = clinic.list_practitioners(&actor).await.unwrap_err();
    assert_eq!(failures(err), ["actor.roles too_many"]);
    let audit = store
        .audit_entries(&carebase::audit::AuditQuery::default())
        .await
        .unwrap();
    assert!(audit.is_empty());
}

#[tokio::test]
async fn a_patient_with_every_list_at_its_maximum_is_accepted_and_reads_back() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let text = |c: char| c.to_string().repeat(200);
    let name = HumanName {
        family: Some(text('f')),
        given: vec![text('g'); 20],
        prefix: vec![text('p'); 10],
        suffix: vec![text('s'); 10],
        ..HumanName::default()
    };
    let contact = EmergencyContact {
        relationship: text('r'),
        name: name.clone(),
        telecom: vec![phone("+1 555 0100"); 50],
    };
    let d = PatientDetails {
        identifiers: (0..50)
            .map(|i| Identifier {
                system: format!("urn:x:{i}"),
                value: text('v'),
            })
            .collect(),
        names: vec![name; 20],
        telecom: vec![phone("+1 555 0100"); 50],
        addresses: vec![
            Address {
                lines: vec![text('l'); 10],
                city: Some(text('c')),
                ..Address::default()
            };
            20
        ],
        language: Some("zh-Hant-TW".into()),
        emergency_contacts: vec![contact; 20],
        ..PatientDetails::default()
    };
    let p = clinic
        .register_patient(
            &desk,
            NewPatient {
                details: d.clone(),
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    assert!(clinic.get_patient(&desk, p.id).await.unwrap().details == d);
}
