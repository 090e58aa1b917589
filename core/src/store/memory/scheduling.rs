//! MemoryStore's scheduling tables: the reference semantics of versioned
//! scheduling writes, the no-overlap guarantee and reminder bookkeeping.

use crate::Count32;
use imbl::OrdMap as BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, State};
use crate::error::ConflictDetail;
use crate::ids::{AppointmentId, PractitionerId, ResourceId, VisitTypeId};
use crate::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, BusyQuery, BusySpan, CountQuery, DueReminder,
    Practitioner, Resource, VisitType,
};
use crate::store::{ReminderSent, ScheduleStore, ScheduleWrites, Versioned};
use crate::BookedResource;
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
trait Record: Clone {
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
                self.version.get()
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
fn check_version<T: Record>(table: &BTreeMap<T::Id, T>, write: &Versioned<T>) -> Result<Option<T>> {
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
fn write<T: Record>(table: &mut BTreeMap<T::Id, T>, write: Versioned<T>) -> Result<()> {
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
fn collision(appointments: &BTreeMap<AppointmentId, Appointment>, a: &Appointment) -> Result<()> {
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
        return Err(Error::double_booking(BookedResource::Practitioner, o.id));
    }
    if let Some(o) = others().find(|o| {
        a.room.is_some() && o.room == a.room && overlaps(blocked, (o.blocked_from, o.blocked_until))
    }) {
        return Err(Error::double_booking(BookedResource::Room, o.id));
    }
    if let Some(o) =
        others().find(|o| o.patient == a.patient && overlaps((a.start, a.end), (o.start, o.end)))
    {
        return Err(Error::double_booking(BookedResource::Patient, o.id));
    }
    Ok(())
}

/// Writes an appointment: version, no overlap, reminders keep their sent mark.
fn write_appointment(
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
fn mark_sent(
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
fn appointments(s: &Schedules, query: &AppointmentQuery) -> Vec<Appointment> {
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
    found.truncate(usize::from(query.limit.unwrap_or(Count32::new(100))));
    found
}

/// Active appointments in the way, by blocked start then id.
fn busy(s: &Schedules, q: &BusyQuery) -> Vec<BusySpan> {
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
fn counts(s: &Schedules, q: &CountQuery) -> Vec<AppointmentCount> {
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

/// Unsent reminders due in `[from, to)`.
fn due(s: &Schedules, from: DateTime<Utc>, to: DateTime<Utc>, limit: u32) -> Vec<DueReminder> {
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

#[async_trait]
impl ScheduleWrites for State {
    async fn write_practitioner(&mut self, w: Versioned<Practitioner>) -> Result<()> {
        write(&mut self.schedules.practitioners, w)
    }

    async fn write_resource(&mut self, w: Versioned<Resource>) -> Result<()> {
        write(&mut self.schedules.resources, w)
    }

    async fn write_visit_type(&mut self, w: Versioned<VisitType>) -> Result<()> {
        write(&mut self.schedules.visit_types, w)
    }

    async fn write_appointment(&mut self, w: Versioned<Appointment>) -> Result<()> {
        write_appointment(&mut self.schedules.appointments, w)
    }

    // One lock guards the whole state, so no other writer is in between.
    async fn count_appointments(&mut self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        Ok(counts(&self.schedules, query))
    }

    async fn mark_reminder_sent(&mut self, sent: ReminderSent) -> Result<()> {
        mark_sent(&mut self.schedules.appointments, sent)
    }
}

#[async_trait]
impl ScheduleStore for MemoryStore {
    async fn practitioner(&self, id: PractitionerId) -> Result<Option<Practitioner>> {
        Ok(self.lock().schedules.practitioners.get(&id).cloned())
    }

    async fn practitioners(&self) -> Result<Vec<Practitioner>> {
        Ok(self
            .lock()
            .schedules
            .practitioners
            .values()
            .cloned()
            .collect())
    }

    async fn resource(&self, id: ResourceId) -> Result<Option<Resource>> {
        Ok(self.lock().schedules.resources.get(&id).cloned())
    }

    async fn resources(&self) -> Result<Vec<Resource>> {
        Ok(self.lock().schedules.resources.values().cloned().collect())
    }

    async fn visit_type(&self, id: VisitTypeId) -> Result<Option<VisitType>> {
        Ok(self.lock().schedules.visit_types.get(&id).cloned())
    }

    async fn visit_types(&self) -> Result<Vec<VisitType>> {
        Ok(self
            .lock()
            .schedules
            .visit_types
            .values()
            .cloned()
            .collect())
    }

    async fn appointment(&self, id: AppointmentId) -> Result<Option<Appointment>> {
        Ok(self.lock().schedules.appointments.get(&id).cloned())
    }

    async fn appointments(&self, query: &AppointmentQuery) -> Result<Vec<Appointment>> {
        Ok(appointments(&self.lock().schedules, query))
    }

    async fn busy(&self, query: &BusyQuery) -> Result<Vec<BusySpan>> {
        Ok(busy(&self.lock().schedules, query))
    }

    async fn appointment_counts(&self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        Ok(counts(&self.lock().schedules, query))
    }

    async fn due_reminders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueReminder>> {
        Ok(due(&self.lock().schedules, from, to, limit))
    }
}
