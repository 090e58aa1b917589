//! A day at a small clinic, end to end on an embedded SQLite file:
//! registration (with the errors a front desk really makes), a care team,
//! a denied read and its reason, break-the-glass, a duplicate found and
//! merged, a follow-up found among free slots, booked, contested and moved,
//! the audit trail checkpointed and verified, and the outbox a relay would
//! publish.
//!
//! Run: `cargo run -p carebase-examples --bin clinic-day [path/to/clinic.db]`

use carebase::Count32;
use std::error::Error as StdError;
use std::path::PathBuf;

use carebase::clinic::NewPatient;
use carebase::patient::{
    CheckDigit, ContactPoint, ContactSystem, Gender, HumanName, IdentifierSystem, MrnNamespace,
    PatientDetails, PatientQuery,
};
use carebase::schedule::{
    AppointmentQuery, Availability, BookAppointment, CancelAppointment, CancellationReason,
    NewPractitioner, NewVisitType, RescheduleAppointment, SlotQuery, Weekday, WeeklyHours,
};
use carebase::{Actor, ActorId, Clinic, Error, PractitionerId, Role, Settings};
use chrono::{Duration, NaiveDate, NaiveTime, Utc};

const MRN: &str = "urn:carebase:mrn:north";

fn person(family: &str, given: &str, birth: (i32, u32, u32), phone: &str) -> PatientDetails {
    PatientDetails {
        names: vec![HumanName {
            family: Some(family.into()),
            given: vec![given.into()],
            ..HumanName::default()
        }],
        gender: Some(Gender::Female),
        birth_date: NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2),
        telecom: vec![ContactPoint {
            system: ContactSystem::Phone,
            value: phone.into(),
            usage: None,
        }],
        ..PatientDetails::default()
    }
}

fn settings() -> Settings {
    Settings {
        identifier_systems: vec![IdentifierSystem {
            system: MRN.into(),
            check_digit: Some(CheckDigit::Luhn),
        }],
        mrn_namespaces: vec![MrnNamespace {
            facility: "north".into(),
            system: MRN.into(),
            prefix: String::new(),
            digits: Count32::new(7),
            check_digit: Some(CheckDigit::Luhn),
        }],
        ..Settings::default()
    }
}

/// Weekday mornings, 09:00–12:00 in the practitioner's own time zone.
fn weekday_mornings() -> Result<Availability, Box<dyn StdError>> {
    let start = NaiveTime::from_hms_opt(9, 0, 0).ok_or("09:00")?;
    let end = NaiveTime::from_hms_opt(12, 0, 0).ok_or("12:00")?;
    let weekly = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ]
    .into_iter()
    .map(|weekday| WeeklyHours {
        weekday,
        start,
        end,
        valid_from: None,
        valid_until: None,
    })
    .collect();
    Ok(Availability {
        weekly,
        ..Availability::default()
    })
}

fn show_error(what: &str, err: &Error) {
    println!("  ✗ {what}: [{}] {err}", err.code());
    if let Error::Validation { fields } = err {
        for f in fields {
            println!("      - {} ({}): {}", f.field, f.code, f.message);
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    let path: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("carebase-clinic-day.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = format!("sqlite://{}", path.display());
    println!("carebase clinic day — store {url}\n");
    let store = carebase_storage::open(&url).await?;
    // A production host loads its audit key from a secret store and adds
    // `.with_audit_key(key)`; the demo runs on the public development key,
    // which every verification report admits (`keyed=false`).
    let clinic = Clinic::new(store).with_settings(settings())?;

    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    let admin = Actor::new(ActorId::new(), vec![Role::Admin]);
    let system = Actor::system();
    // Staff join care teams once they are on the practitioner list.
    let osei = clinic
        .add_practitioner(
            &admin,
            NewPractitioner {
                id: None,
                name: "Dr Osei".into(),
                time_zone: "America/Toronto".into(),
                availability: weekday_mornings()?,
            },
        )
        .await?;
    let dr_osei = Actor::practitioner(ActorId::new(), osei.id);
    let dr_lind = Actor::practitioner(ActorId::new(), PractitionerId::new());

    println!("08:00 front desk registers the morning's patients");
    let register = |details: PatientDetails| NewPatient {
        details,
        mrn_facility: Some("north".into()),
    };
    let jose = clinic
        .register_patient(
            &desk,
            register(person("Núñez", "José", (1984, 7, 1), "+1 555 0101")),
        )
        .await?;
    println!(
        "  ✓ registered patient {} with MRN {}",
        jose.id, jose.details.identifiers[0].value
    );
    let amara = clinic
        .register_patient(
            &desk,
            register(person("Okafor", "Amara", (1990, 3, 4), "555-0199")),
        )
        .await?;
    println!(
        "  ✓ registered patient {} with MRN {}",
        amara.id, amara.details.identifiers[0].value
    );
    let mut typo = person("", "", (2031, 1, 1), "call me");
    typo.telecom.push(ContactPoint {
        system: ContactSystem::Email,
        value: "amara(at)example".into(),
        usage: None,
    });
    if let Err(e) = clinic.register_patient(&desk, register(typo)).await {
        show_error("a rushed registration form", &e);
    }
    // A second visit: same person, registered again under a spelling variant.
    let amara_again = clinic
        .register_patient(
            &desk,
            register(person("Okafor", "Amarah", (1990, 3, 4), "(555) 0199")),
        )
        .await?;
    println!(
        "  ✓ registered patient {} (looks familiar…)",
        amara_again.id
    );

    println!("\n08:30 search: \"jose\" finds \"José\"");
    let page = clinic
        .search_patients(
            &desk,
            &PatientQuery {
                name: Some("jose".into()),
                ..PatientQuery::default()
            },
        )
        .await?;
    let found: Vec<String> = page.items.iter().map(|p| p.id.to_string()).collect();
    println!("  ✓ {} result(s): {}", page.items.len(), found.join(", "));

    println!("\n09:00 admin puts Dr Osei on José's care team");
    let osei_practitioner = dr_osei.practitioner.ok_or("practitioner id")?;
    clinic
        .assign_care_team(&admin, jose.id, osei_practitioner)
        .await?;
    let seen = clinic.get_patient(&dr_osei, jose.id).await?;
    println!(
        "  ✓ Dr Osei reads José's record (version {}, nothing hidden: {})",
        seen.version,
        seen.hidden_fields.is_empty()
    );

    println!("\n09:15 Dr Lind, not on the care team, tries to read it");
    if let Err(e) = clinic.get_patient(&dr_lind, jose.id).await {
        show_error("denied", &e);
    }

    println!("\n11:40 José collapses in the waiting room; Dr Lind breaks the glass");
    let grant = clinic
        .request_emergency_access(
            &dr_lind,
            jose.id,
            "patient collapsed, treating physician unavailable",
            None,
        )
        .await?;
    println!(
        "  ✓ grant {} until {}",
        grant.id,
        grant.expires_at.format("%H:%M UTC")
    );
    clinic.get_patient(&dr_lind, jose.id).await?;
    println!("  ✓ Dr Lind reads the record; the access is flagged in the audit");

    println!("\n12:00 billing looks José up for a claim (masked view)");
    let billing = Actor::new(ActorId::new(), vec![Role::Billing]);
    let for_claim = clinic.get_patient(&billing, jose.id).await?;
    let hidden: Vec<_> = for_claim.hidden_fields.iter().map(|f| f.as_str()).collect();
    println!("  ✓ billing sees the record without: {}", hidden.join(", "));

    println!("\n14:00 data quality: duplicates of Amara");
    // A similarity is absent when either record lacks the field.
    let similarity = |s: Option<f64>| s.map_or_else(|| "—".to_owned(), |s| format!("{s:.2}"));
    for c in clinic
        .find_duplicates(&system, amara.id, Count32::new(5))
        .await?
    {
        let s = &c.score;
        println!(
            "  ? {} score {:.2} (name {}, birth date {}, phone {}, email {}, identifier {})",
            c.patient.id,
            s.total,
            similarity(s.name.similarity),
            similarity(s.birth_date.similarity),
            similarity(s.phone.similarity),
            similarity(s.email.similarity),
            similarity(s.identifier.similarity)
        );
    }
    let merge = clinic
        .merge_patients(
            &system,
            amara.id,
            amara.version,
            amara_again.id,
            amara_again.version,
        )
        .await?;
    let merged = clinic.get_patient(&desk, amara_again.id).await?;
    let survivor = merged
        .merged_into
        .map_or_else(|| "nobody".to_owned(), |id| id.to_string());
    println!(
        "  ✓ merge {}: {} now replaced by {survivor}, still readable",
        merge.id, merged.id
    );

    println!("\n15:00 José needs a follow-up with Dr Osei (Toronto, weekday mornings)");
    let follow_up = clinic
        .add_visit_type(
            &admin,
            NewVisitType {
                code: "follow-up".into(),
                name: "Follow-up".into(),
                duration_minutes: Count32::new(20),
                buffer_before_minutes: Count32::new(0),
                buffer_after_minutes: Count32::new(10),
                min_notice_minutes: Count32::new(60),
                horizon_days: Count32::new(60),
                max_per_day: None,
                reminder_offsets_minutes: vec![Count32::new(24 * 60)],
            },
        )
        .await?;
    let from = Utc::now() + Duration::days(1);
    let slots = clinic
        .find_free_slots(
            &desk,
            SlotQuery {
                visit_type: follow_up.id,
                practitioners: vec![osei.id],
                room: None,
                from,
                to: from + Duration::days(14),
                limit: Some(Count32::new(3)),
                cursor: None,
            },
        )
        .await?;
    for slot in &slots.slots {
        println!(
            "  · free {} – {} UTC",
            slot.start.format("%a %d %b %H:%M"),
            slot.end.format("%H:%M")
        );
    }
    let (first, later) = match slots.slots.as_slice() {
        [first, .., last] => (first.start, last.start),
        _ => return Err("Dr Osei has no free mornings in the next two weeks".into()),
    };
    let booking = |patient, start| BookAppointment {
        patient,
        practitioner: osei.id,
        room: None,
        visit_type: follow_up.id,
        start,
        status: None,
        note: None,
    };
    let visit = clinic
        .book_appointment(&desk, booking(jose.id, first))
        .await?;
    println!(
        "  ✓ booked {} at {} ({} reminder(s) scheduled)",
        visit.id,
        visit.start.format("%a %d %b %H:%M UTC"),
        visit.reminders.len()
    );
    if let Err(e) = clinic
        .book_appointment(&desk, booking(amara.id, first))
        .await
    {
        show_error("a second patient in the same slot", &e);
    }
    let moved = clinic
        .reschedule_appointment(
            &desk,
            visit.id,
            visit.version,
            RescheduleAppointment {
                start: later,
                practitioner: None,
                room: None,
            },
        )
        .await?;
    println!(
        "  ✓ José asks for later: moved to {} (version {})",
        moved.start.format("%a %d %b %H:%M UTC"),
        moved.version
    );
    let calendar = clinic
        .list_appointments(
            &dr_osei,
            AppointmentQuery {
                patient: None,
                practitioner: Some(osei.id),
                from,
                to: from + Duration::days(14),
                include_inactive: false,
                limit: None,
            },
        )
        .await?;
    println!("  ✓ Dr Osei's calendar holds {} visit(s)", calendar.len());
    let cancelled = clinic
        .cancel_appointment(
            &desk,
            moved.id,
            moved.version,
            CancelAppointment {
                reason: CancellationReason::Pat,
                note: None,
            },
        )
        .await?;
    println!(
        "  ✓ José calls to cancel: {} (the slot is free again)",
        cancelled.status.as_str()
    );

    println!("\n17:00 admin reviews emergency access");
    for g in clinic
        .grants_awaiting_review(&admin, Count32::new(10))
        .await?
    {
        clinic
            .review_emergency_access(&admin, g.id, Some("justified: collapse in waiting room"))
            .await?;
        println!("  ✓ reviewed grant {}", g.id);
    }
    let me = Actor::patient(ActorId::new(), jose.id);
    println!("  José asks who accessed his record:");
    for r in clinic.who_accessed(&me, jose.id, None).await? {
        let roles: Vec<_> = r.roles.iter().map(|r| r.as_str()).collect();
        println!(
            "    {} {:<20} {:<8} by {} [{}]{}",
            r.at.format("%H:%M:%S"),
            r.action,
            r.outcome.as_str(),
            r.actor,
            roles.join(","),
            if r.break_glass {
                "  ⚠ break-the-glass"
            } else {
                ""
            }
        );
    }

    println!("\n18:00 end of day");
    let checkpoint = clinic.audit_checkpoint(&system).await?;
    println!(
        "  ✓ audit checkpoint #{} over {} chains (export it: {} bytes of JSON)",
        checkpoint.seq,
        checkpoint.chains,
        serde_json::to_string(&checkpoint)?.len()
    );
    let report = clinic.verify_audit(&system, Some(&checkpoint)).await?;
    println!(
        "  ✓ audit verified: ok={} keyed={} ({} chains, {} entries)",
        report.ok, report.keyed, report.chains_checked, report.entries_checked
    );
    println!("  outbox, as a relay would publish it:");
    let events = clinic
        .poll_events(&system, "demo-relay", Count32::new(100))
        .await?;
    for e in &events {
        println!(
            "    {:>2}/#{:<3} {:<22} {}",
            e.partition, e.seq, e.draft.kind, e.draft.payload
        );
    }
    // A relay acknowledges each partition up to the last event it published there.
    let mut last = std::collections::BTreeMap::new();
    for e in &events {
        last.insert(e.partition, e.seq);
    }
    for (partition, seq) in last {
        clinic
            .ack_events(&system, "demo-relay", partition, seq)
            .await?;
        println!("  ✓ acknowledged partition {partition} up to #{seq}");
    }
    println!("\ndone — the day is in {}", path.display());
    Ok(())
}
