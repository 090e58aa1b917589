//! MemoryStore's scheduling tables: the reference semantics of versioned
//! scheduling writes, the no-overlap guarantee and reminder bookkeeping.

use imbl::OrdMap as BTreeMap;

use chrono::{DateTime, Utc};

use crate::error::ConflictDetail;
use crate::ids::{AppointmentId, PractitionerId, ResourceId, VisitTypeId};
use crate::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, BusyQuery, BusySpan, CountQuery,
    DayLimitCheck, DueReminder, Practitioner, Resource, VisitType,
};
use crate::store::{ReminderSent, Versioned};
use crate::{Error, Result};

/// The scheduling part of the state.
#[derive(Default, Clone)]
pub(super) struct Schedules {
    pub practitioners: BTreeMap<PractitionerId, Practitioner>,
    pub resources: BTreeMap<ResourceId, Resource>,
    pub visit_types: BTreeMap<VisitTypeId, VisitType>,
    pub appointments: BTreeMap<AppointmentId, Appointment>,
}

/// What versioned records have in common.
pub(super) trait Record: Clone {
    const ENTITY: &'static str;
    type Id: Ord + Clone;
    fn id(&self) -> Self::Id;
    fn version(&self) -> u64;
}

macro_rules! record {
    ($ty:ty, $id:ty, $entity:literal) => {
        impl Record for $ty {
            const ENTITY: &'static str = $entity;
            type Id = $id;
            fn id(&self) -> $id {
                self.id
            }
            fn version(&self) -> u64 {
                self.version
            }
        }
    };
}

record!(Practitioner, PractitionerId, "practitioner");
record!(Resource, ResourceId, "resource");
record!(VisitType, VisitTypeId, "visit type");
record!(Appointment, AppointmentId, "appointment");

/// Checks a versioned write against `table` and returns the stored previous
/// state (for updates).
pub(super) fn check_version<T: Record>(
    table: &BTreeMap<T::Id, T>,
    write: &Versioned<T>,
) -> Result<Option<T>> {
    match write {
        Versioned::Insert(v) => {
            if table.contains_key(&v.id()) {
                return Err(Error::Conflict {
                    detail: ConflictDetail::AlreadyExists {
                        entity: T::ENTITY.into(),
                    },
                });
            }
            Ok(None)
        }
        Versioned::Update {
            value,
            expected_version,
        } => {
            let stored = table
                .get(&value.id())
                .ok_or_else(|| Error::not_found(T::ENTITY))?;
            if stored.version() != *expected_version {
                return Err(Error::stale(T::ENTITY, *expected_version, stored.version()));
            }
            Ok(Some(stored.clone()))
        }
    }
}

/// Writes a practitioner, resource or visit type.
pub(super) fn write<T: Record>(table: &mut BTreeMap<T::Id, T>, write: Versioned<T>) -> Result<()> {
    check_version(table, &write)?;
    let value = match write {
        Versioned::Insert(v) | Versioned::Update { value: v, .. } => v,
    };
    table.insert(value.id(), value);
    Ok(())
}

fn overlaps(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// The active appointment `a` would collide with, as a `double_booking` error.
pub(super) fn collision(
    appointments: &BTreeMap<AppointmentId, Appointment>,
    a: &Appointment,
) -> Result<()> {
    if !a.status.is_active() {
        return Ok(());
    }
    let others = || {
        appointments
            .values()
            .filter(|o| o.id != a.id && o.status.is_active())
    };
    let blocked = (a.blocked_from, a.blocked_until);
    if let Some(o) = others().find(|o| {
        o.practitioner == a.practitioner && overlaps(blocked, (o.blocked_from, o.blocked_until))
    }) {
        return Err(Error::double_booking("practitioner", o.id));
    }
    if let Some(o) = others().find(|o| {
        a.room.is_some() && o.room == a.room && overlaps(blocked, (o.blocked_from, o.blocked_until))
    }) {
        return Err(Error::double_booking("room", o.id));
    }
    if let Some(o) =
        others().find(|o| o.patient == a.patient && overlaps((a.start, a.end), (o.start, o.end)))
    {
        return Err(Error::double_booking("patient", o.id));
    }
    Ok(())
}

/// Writes an appointment: version, no overlap, reminders keep their sent mark.
pub(super) fn write_appointment(
    appointments: &mut BTreeMap<AppointmentId, Appointment>,
    write: Versioned<Appointment>,
) -> Result<()> {
    let previous = check_version(appointments, &write)?;
    let mut value = match write {
        Versioned::Insert(v) | Versioned::Update { value: v, .. } => v,
    };
    collision(appointments, &value)?;
    if let Some(previous) = previous {
        for r in &mut value.reminders {
            if let Some(old) = previous
                .reminders
                .iter()
                .find(|o| o.offset_minutes == r.offset_minutes && o.due_at == r.due_at)
            {
                r.sent_at = old.sent_at;
            }
        }
    }
    value
        .reminders
        .sort_by_key(|r| (r.due_at, r.offset_minutes));
    appointments.insert(value.id, value);
    Ok(())
}

/// Marks a reminder sent, once.
pub(super) fn mark_sent(
    appointments: &mut BTreeMap<AppointmentId, Appointment>,
    sent: ReminderSent,
) -> Result<()> {
    let appointment = appointments
        .get_mut(&sent.appointment)
        .ok_or_else(|| Error::not_found("reminder"))?;
    let reminder = appointment
        .reminders
        .iter_mut()
        .find(|r| r.offset_minutes == sent.offset_minutes)
        .ok_or_else(|| Error::not_found("reminder"))?;
    if reminder.sent_at.is_some() {
        return Err(Error::invalid_state("reminder", "already sent"));
    }
    reminder.sent_at = Some(sent.at);
    Ok(())
}

/// Appointments matching `query`, by start then id.
pub(super) fn appointments(s: &Schedules, query: &AppointmentQuery) -> Vec<Appointment> {
    let mut found: Vec<Appointment> = s
        .appointments
        .values()
        .filter(|a| query.patient.is_none_or(|p| a.patient == p))
        .filter(|a| query.practitioner.is_none_or(|p| a.practitioner == p))
        .filter(|a| a.start >= query.from && a.start < query.to)
        .filter(|a| query.include_inactive || a.status.is_active())
        .cloned()
        .collect();
    found.sort_by_key(|a| (a.start, a.id));
    found.truncate(query.limit.unwrap_or(100) as usize);
    found
}

/// Active appointments in the way, by blocked start then id.
pub(super) fn busy(s: &Schedules, q: &BusyQuery) -> Vec<BusySpan> {
    let mut found: Vec<BusySpan> = s
        .appointments
        .values()
        .filter(|a| a.status.is_active())
        .filter(|a| {
            let blocked = (a.blocked_from < q.to) && (q.from < a.blocked_until);
            (blocked
                && (q.practitioners.contains(&a.practitioner)
                    || a.room.is_some_and(|r| q.rooms.contains(&r))))
                || (q.patients.contains(&a.patient) && a.start < q.to && q.from < a.end)
        })
        .map(BusySpan::from)
        .collect();
    found.sort_by_key(|s| (s.blocked_from, s.appointment));
    found
}

/// Active appointments starting in each range.
pub(super) fn counts(s: &Schedules, q: &CountQuery) -> Vec<AppointmentCount> {
    q.ranges
        .iter()
        .map(|range| {
            s.appointments
                .values()
                .filter(|a| a.status.is_active() && a.practitioner == range.practitioner)
                .filter(|a| range.from <= a.start && a.start < range.to)
                .fold(AppointmentCount::default(), |count, a| AppointmentCount {
                    all: count.all + 1,
                    of_visit_type: count.of_visit_type + u32::from(a.visit_type == q.visit_type),
                })
        })
        .collect()
}

/// Every per-day limit holds after the writes (the caller holds the lock,
/// so no other writer is in between).
pub(super) fn check_day_limits(s: &Schedules, checks: &[DayLimitCheck]) -> Result<()> {
    for check in checks {
        let query = CountQuery {
            visit_type: check.visit_type,
            ranges: vec![check.range],
        };
        let count = counts(s, &query).first().copied().unwrap_or_default();
        check.verify(count)?;
    }
    Ok(())
}

/// Unsent reminders due in `[from, to)`.
pub(super) fn due(
    s: &Schedules,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u32,
) -> Vec<DueReminder> {
    let mut found: Vec<DueReminder> = s
        .appointments
        .values()
        .filter(|a| a.status.is_active())
        .flat_map(|a| {
            a.reminders
                .iter()
                .filter(|r| r.sent_at.is_none() && r.due_at >= from && r.due_at < to)
                .map(|r| DueReminder {
                    appointment: a.id,
                    patient: a.patient,
                    practitioner: a.practitioner,
                    start: a.start,
                    offset_minutes: r.offset_minutes,
                    due_at: r.due_at,
                })
        })
        .collect();
    found.sort_by_key(|r| (r.due_at, r.appointment, r.offset_minutes));
    found.truncate(limit as usize);
    found
}
