//! Scheduling (harness = false, plain timing loops):
//!
//! * `slots/first-20`: `Clinic::find_free_slots` for 50 practitioners (ten
//!   time zones, 07:00–19:00 local every day, 20-minute grid) over 30 days
//!   with 20,000 existing bookings, as a front-desk actor; the time until
//!   the first page of 20 slots is back. Also a page starting mid-range.
//! * `book+cancel`: `book_appointment` then `cancel_appointment`, one
//!   transaction each, sequential; pairs per second.
//!
//! SQLite always; PostgreSQL too when `CAREBASE_PG_URL` is set (a fresh
//! schema, dropped at the end).
//!
//! Run: `eval "$(bash scripts/postgres | tail -n 1)"; cargo bench -p carebase-benches --bench scheduling`.
//! Without `--bench` (`cargo test --benches`) it runs a short smoke pass.

use carebase::{Count32, Count64};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carebase::clinic::NewPatient;
use carebase::ids::{ActorId, AppointmentId};
use carebase::schedule::slots::blocked;
use carebase::schedule::{
    Appointment, AppointmentStatus, Availability, BookAppointment, CancelAppointment,
    CancellationReason, NewPractitioner, NewVisitType, Practitioner, SlotQuery, VisitType, Weekday,
    WeeklyHours,
};
use carebase::store::{ChangeSet, ScheduleChanges, Versioned};
use carebase::{Actor, Clinic, ManualClock, PatientId, Store};
use carebase_benches::report::ThreadUsage;
use carebase_benches::{details_for, front_desk, percentile, PgSchema, Result};
use carebase_storage::{parse_postgres_url, PgPoolOptions, PostgresStore};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};

const PRACTITIONERS: usize = 50;
const DAYS: i64 = 30;
const BOOKINGS: usize = 20_000;
const PATIENTS: usize = 2_000;
const ZONES: [&str; 10] = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "UTC",
];

fn start_of_range() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

struct World {
    clinic: Clinic,
    practitioners: Vec<Practitioner>,
    search: VisitType,
    fill: VisitType,
    patients: Vec<PatientId>,
}

async fn build(store: Arc<dyn Store>, bookings: usize) -> Result<World> {
    let clock = Arc::new(ManualClock::new(
        start_of_range() - chrono::Duration::days(1),
    ));
    let clinic = Clinic::new(store.clone()).with_clock(clock);
    let system = Actor::system();
    let weekly: Vec<WeeklyHours> = Weekday::ALL
        .into_iter()
        .map(|weekday| WeeklyHours {
            weekday,
            start: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(19, 0, 0).unwrap_or_default(),
            valid_from: None,
            valid_until: None,
        })
        .collect();
    let mut practitioners = Vec::new();
    for i in 0..PRACTITIONERS {
        let new = NewPractitioner {
            id: None,
            name: format!("Dr Bench {i}"),
            time_zone: ZONES[i % ZONES.len()].into(),
            availability: Availability {
                weekly: weekly.clone(),
                slot_minutes: Count32::new(20),
                ..Availability::default()
            },
        };
        practitioners.push(clinic.add_practitioner(&system, new).await?);
    }
    let visit = |code: &str, buffer: u32| NewVisitType {
        code: code.into(),
        name: code.into(),
        duration_minutes: Count32::new(20),
        buffer_before_minutes: Count32::new(buffer),
        buffer_after_minutes: Count32::new(buffer),
        min_notice_minutes: Count32::new(0),
        horizon_days: Count32::new(3650),
        max_per_day: Some(Count32::new(40)),
        reminder_offsets_minutes: vec![Count32::new(1440), Count32::new(120)],
    };
    let fill = clinic.add_visit_type(&system, visit("fill", 0)).await?;
    let search = clinic
        .add_visit_type(&system, visit("follow-up", 5))
        .await?;
    let mut patients = Vec::new();
    for i in 0..PATIENTS {
        let new = NewPatient {
            details: details_for(i as u64),
            mrn_facility: None,
        };
        patients.push(clinic.register_patient(&front_desk(), new).await?.id);
    }
    // Booking i: practitioner i % 50, group g = i / 50 → day g % 30 and the
    // (g / 30)-th of 36 daily grid positions, spread over the day. The 50
    // bookings of a group share a time but not a patient.
    let per_day_positions = 36;
    let mut batch = Vec::new();
    for i in 0..bookings {
        let p = &practitioners[i % PRACTITIONERS];
        let g = i / PRACTITIONERS;
        let day = (g as i64) % DAYS;
        let position = ((g as i64 / DAYS) * 2 + day % 2) % per_day_positions;
        let Some(tz) = carebase::schedule::slots::zone(&p.time_zone) else {
            continue;
        };
        let local = (start_of_range().date_naive() + chrono::Duration::days(day))
            .and_hms_opt(7, 0, 0)
            .unwrap_or_default()
            + chrono::Duration::minutes(20 * position);
        let Some(start) = carebase::schedule::slots::local_start(&tz, local) else {
            continue;
        };
        let (blocked_from, blocked_until) = blocked(&fill, start);
        let now = start_of_range();
        batch.push(Versioned::Insert(Appointment {
            id: AppointmentId::new(),
            version: Count64::new(1),
            patient: patients[i % PATIENTS],
            practitioner: p.id,
            room: None,
            visit_type: fill.id,
            status: AppointmentStatus::Booked,
            start,
            end: start + chrono::Duration::minutes(20),
            blocked_from,
            blocked_until,
            series: None,
            cancellation: None,
            reschedules: Vec::new(),
            reminders: Vec::new(),
            note: None,
            fhir_extra: None,
            encounter: None,
            booked_by: ActorId::new(),
            created_at: now,
            updated_at: now,
        }));
        if batch.len() == 500 {
            store
                .apply(ChangeSet {
                    scheduling: ScheduleChanges {
                        appointments: std::mem::take(&mut batch),
                        ..ScheduleChanges::default()
                    },
                    ..ChangeSet::default()
                })
                .await?;
        }
    }
    if !batch.is_empty() {
        store
            .apply(ChangeSet {
                scheduling: ScheduleChanges {
                    appointments: batch,
                    ..ScheduleChanges::default()
                },
                ..ChangeSet::default()
            })
            .await?;
    }
    Ok(World {
        clinic,
        practitioners,
        search,
        fill,
        patients,
    })
}

fn query(world: &World, from: DateTime<Utc>) -> SlotQuery {
    SlotQuery {
        visit_type: world.search.id,
        practitioners: world.practitioners.iter().map(|p| p.id).collect(),
        room: None,
        from,
        to: start_of_range() + chrono::Duration::days(DAYS),
        limit: Some(Count32::new(20)),
        cursor: None,
    }
}

/// One slot search: its latency, and what its thread used meanwhile (the
/// search runs on this thread: SQLite's reads too).
struct Sample {
    wall: u64,
    used: ThreadUsage,
}

/// The latencies, then the CPU the searches used, then how many waited for
/// a CPU (preempted) and the latency of those that did not: on a loaded
/// machine the wall p99 is the scheduler's, the CPU p99 carebase's.
fn report_searches(name: &str, samples: &[Sample]) {
    let mut wall: Vec<u64> = samples.iter().map(|s| s.wall).collect();
    report(name, &mut wall);
    let mut cpu: Vec<u64> = samples
        .iter()
        .map(|s| s.used.cpu.as_micros() as u64)
        .collect();
    cpu.sort_unstable();
    let mut unpreempted: Vec<u64> = samples
        .iter()
        .filter(|s| s.used.preempted == 0)
        .map(|s| s.wall)
        .collect();
    unpreempted.sort_unstable();
    let preempted = samples.len() - unpreempted.len();
    println!(
        "{:<34} cpu p50 {:>7} µs  p99 {:>7} µs  preempted {preempted}/{}  unpreempted p99 {} µs",
        "",
        percentile(&cpu, 0.50),
        percentile(&cpu, 0.99),
        samples.len(),
        percentile(&unpreempted, 0.99),
    );
}

fn report(name: &str, lat: &mut [u64]) {
    lat.sort_unstable();
    let mean = lat.iter().sum::<u64>() as f64 / lat.len().max(1) as f64;
    println!(
        "{name:<34} n={:<5} mean {:>8.0} µs  p50 {:>7} µs  p99 {:>7} µs",
        lat.len(),
        mean,
        percentile(lat, 0.50),
        percentile(lat, 0.99),
    );
}

async fn run(label: &str, store: Arc<dyn Store>, benching: bool) -> Result<()> {
    let (n, pairs, bookings) = if benching {
        (300, 500, BOOKINGS)
    } else {
        (5, 5, 500)
    };
    let setup = Instant::now();
    let world = build(store, bookings).await?;
    println!(
        "{label}: {} practitioners, {} bookings over {DAYS} days, set up in {:.1} s",
        PRACTITIONERS,
        bookings,
        setup.elapsed().as_secs_f64()
    );
    let desk = front_desk();
    for (name, from) in [
        ("first-20", start_of_range()),
        (
            "first-20-from-day-15",
            start_of_range() + chrono::Duration::days(15),
        ),
    ] {
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let (usage, t) = (ThreadUsage::now(), Instant::now());
            let page = world
                .clinic
                .find_free_slots(&desk, query(&world, from))
                .await?;
            samples.push(Sample {
                wall: t.elapsed().as_micros() as u64,
                used: ThreadUsage::now().since(usage),
            });
            assert_eq!(page.slots.len(), 20);
        }
        report_searches(&format!("{label}/slots/{name}"), &samples);
    }

    // Book a free slot of the fill type and cancel it again.
    let page = world
        .clinic
        .find_free_slots(
            &desk,
            SlotQuery {
                visit_type: world.fill.id,
                limit: Some(Count32::new(500)),
                ..query(&world, start_of_range() + chrono::Duration::days(2))
            },
        )
        .await?;
    let mut lat = Vec::with_capacity(pairs);
    let began = Instant::now();
    for i in 0..pairs {
        let slot = page.slots[i % page.slots.len()];
        let t = Instant::now();
        let a = world
            .clinic
            .book_appointment(
                &desk,
                BookAppointment {
                    // Patients beyond the fill's 50-per-time group never clash.
                    patient: world.patients[(PATIENTS - 1) - (i % 50)],
                    practitioner: slot.practitioner,
                    room: None,
                    visit_type: world.fill.id,
                    start: slot.start,
                    status: None,
                    note: None,
                },
            )
            .await?;
        world
            .clinic
            .cancel_appointment(
                &desk,
                a.id,
                a.version,
                CancelAppointment {
                    reason: CancellationReason::Pat,
                    note: None,
                },
            )
            .await?;
        lat.push(t.elapsed().as_micros() as u64);
    }
    let per_sec = pairs as f64 / began.elapsed().as_secs_f64();
    report(&format!("{label}/book+cancel"), &mut lat);
    println!("{label}/book+cancel throughput: {per_sec:.0} pairs/s");
    Ok(())
}

fn main() -> Result<()> {
    let benching = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("carebase.db").display());
        let store = carebase_storage::open(&url).await?;
        run("sqlite", store, benching).await?;
        match std::env::var("CAREBASE_PG_URL") {
            Ok(url) => {
                let (admin, _) = parse_postgres_url(&url)?;
                let schema = PgSchema::create(&admin).await?;
                let pool = PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30));
                let store = Arc::new(PostgresStore::connect(schema.options(), pool).await?);
                run("postgres", store, benching).await?;
                schema.drop_now().await?;
            }
            Err(_) => println!("postgres: skipped (CAREBASE_PG_URL is not set)"),
        }
        Ok(())
    })
}
