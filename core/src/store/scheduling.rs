//! The scheduling concern of the port: practitioners, rooms, visit types,
//! appointments with their reminders, and the queries slot search needs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::ChangeSet;
use crate::ids::{AppointmentId, PractitionerId, ResourceId, VisitTypeId};
use crate::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, BusyQuery, BusySpan, CountQuery,
    DayLimitCheck, DueReminder, Practitioner, Resource, VisitType,
};
use crate::Result;

/// An insert or a versioned update of a scheduling record.
#[derive(Debug, Clone, PartialEq)]
pub enum Versioned<T> {
    /// A new record (version 1); its id must be free.
    Insert(T),
    /// A new state; the stored version must equal `expected_version` and the
    /// new one must be `expected_version + 1`.
    Update {
        /// The new state.
        value: T,
        /// The version the rule was applied to.
        expected_version: u64,
    },
}

impl<T> Versioned<T> {
    /// The record written.
    pub fn value(&self) -> &T {
        match self {
            Versioned::Insert(v) | Versioned::Update { value: v, .. } => v,
        }
    }
}

/// Marks one reminder sent; a reminder already sent is a conflict, so each
/// goes out once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSent {
    /// The appointment.
    pub appointment: AppointmentId,
    /// Which of its reminders.
    pub offset_minutes: u32,
    /// When it was sent.
    pub at: DateTime<Utc>,
}

/// What a change set writes to the schedule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleChanges {
    /// Practitioners.
    pub practitioners: Vec<Versioned<Practitioner>>,
    /// Rooms and equipment.
    pub resources: Vec<Versioned<Resource>>,
    /// Visit types.
    pub visit_types: Vec<Versioned<VisitType>>,
    /// Appointments. An active one must not overlap another active one of
    /// its practitioner or room (blocked spans) or patient (visit times):
    /// the store checks inside the transaction and fails with
    /// `double_booking`. Its reminders are stored as given, keeping the sent
    /// mark of every reminder whose due time is unchanged.
    pub appointments: Vec<Versioned<Appointment>>,
    /// Per-day limits re-checked after writing `appointments`, inside the
    /// transaction and serialized per practitioner, so bookers racing for
    /// the last place of a day cannot both get it. A violation fails the
    /// change set with the check's validation error.
    pub day_limits: Vec<DayLimitCheck>,
    /// Reminders marked sent.
    pub reminders_sent: Vec<ReminderSent>,
}

impl ChangeSet {
    /// Adds a practitioner write.
    pub fn practitioner(mut self, write: Versioned<Practitioner>) -> Self {
        self.scheduling.practitioners.push(write);
        self
    }

    /// Adds a room or equipment write.
    pub fn resource(mut self, write: Versioned<Resource>) -> Self {
        self.scheduling.resources.push(write);
        self
    }

    /// Adds a visit type write.
    pub fn visit_type(mut self, write: Versioned<VisitType>) -> Self {
        self.scheduling.visit_types.push(write);
        self
    }

    /// Adds an appointment write.
    pub fn appointment(mut self, write: Versioned<Appointment>) -> Self {
        self.scheduling.appointments.push(write);
        self
    }

    /// Adds per-day limits to re-check after the appointments are written.
    pub fn day_limits(mut self, checks: Vec<DayLimitCheck>) -> Self {
        self.scheduling.day_limits.extend(checks);
        self
    }

    /// Marks a reminder sent.
    pub fn reminder_sent(mut self, sent: ReminderSent) -> Self {
        self.scheduling.reminders_sent.push(sent);
        self
    }
}

/// Reads of the schedule.
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// One practitioner.
    async fn practitioner(&self, id: PractitionerId) -> Result<Option<Practitioner>>;
    /// Every practitioner, by id.
    async fn practitioners(&self) -> Result<Vec<Practitioner>>;
    /// One room or device.
    async fn resource(&self, id: ResourceId) -> Result<Option<Resource>>;
    /// Every room and device, by id.
    async fn resources(&self) -> Result<Vec<Resource>>;
    /// One visit type.
    async fn visit_type(&self, id: VisitTypeId) -> Result<Option<VisitType>>;
    /// Every visit type, by id.
    async fn visit_types(&self) -> Result<Vec<VisitType>>;
    /// One appointment, with its reminders.
    async fn appointment(&self, id: AppointmentId) -> Result<Option<Appointment>>;
    /// Appointments of a patient and/or practitioner starting in the range,
    /// ordered by start then id, at most `limit` (the query's, default 100).
    async fn appointments(&self, query: &AppointmentQuery) -> Result<Vec<Appointment>>;
    /// Active appointments in the way of a booking (see [`BusyQuery`]),
    /// ordered by blocked start then id.
    async fn busy(&self, query: &BusyQuery) -> Result<Vec<BusySpan>>;
    /// Active appointments starting in each range of `query`, one count per
    /// range in the query's order.
    async fn appointment_counts(&self, query: &CountQuery) -> Result<Vec<AppointmentCount>>;
    /// Unsent reminders of active appointments due in `[from, to)`, by due
    /// time, then appointment, then offset.
    async fn due_reminders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueReminder>>;
}

/// Scheduling write primitives, inside a backend's transaction.
#[async_trait]
pub trait ScheduleWrites: Send {
    /// Inserts (`already_exists` when the id is taken) or updates (stale
    /// version or `not_found`) a practitioner.
    async fn write_practitioner(&mut self, write: Versioned<Practitioner>) -> Result<()>;
    /// Same for a room or piece of equipment.
    async fn write_resource(&mut self, write: Versioned<Resource>) -> Result<()>;
    /// Same for a visit type.
    async fn write_visit_type(&mut self, write: Versioned<VisitType>) -> Result<()>;
    /// Writes an appointment: its version, then (when active) no overlap
    /// with another active appointment (`double_booking` naming the one in
    /// the way; earlier writes of this transaction count), then its
    /// reminders, keeping the sent mark of each whose offset and due time
    /// are unchanged.
    async fn write_appointment(&mut self, write: Versioned<Appointment>) -> Result<()>;
    /// Hook before the appointments of a change set with day limits are
    /// written: a backend whose writers run concurrently serializes the
    /// writers of each practitioner here (PostgreSQL takes advisory locks),
    /// so the counts after the writes see every committed booking. A
    /// backend with one writer at a time does nothing.
    async fn lock_day_limits(&mut self, checks: &[DayLimitCheck]) -> Result<()> {
        let _ = checks;
        Ok(())
    }
    /// Active appointments per range, as [`ScheduleStore::appointment_counts`]
    /// but inside the transaction (its own writes included).
    async fn count_appointments(&mut self, query: &CountQuery) -> Result<Vec<AppointmentCount>>;
    /// Marks one reminder sent (`not_found` when there is none, `already
    /// sent` when it was).
    async fn mark_reminder_sent(&mut self, sent: ReminderSent) -> Result<()>;
}

/// Records, then appointments under the day-limit hook, then the limits
/// re-checked against the counts the writes left, then reminders sent.
pub(super) async fn write<T: ScheduleWrites + ?Sized>(
    tx: &mut T,
    changes: ScheduleChanges,
) -> Result<()> {
    for write in changes.practitioners {
        tx.write_practitioner(write).await?;
    }
    for write in changes.resources {
        tx.write_resource(write).await?;
    }
    for write in changes.visit_types {
        tx.write_visit_type(write).await?;
    }
    if !changes.day_limits.is_empty() {
        tx.lock_day_limits(&changes.day_limits).await?;
    }
    for write in changes.appointments {
        tx.write_appointment(write).await?;
    }
    for check in &changes.day_limits {
        let query = CountQuery {
            visit_type: check.visit_type,
            ranges: vec![check.range],
        };
        let counts = tx.count_appointments(&query).await?;
        check.verify(counts.first().copied().unwrap_or_default())?;
    }
    for sent in changes.reminders_sent {
        tx.mark_reminder_sent(sent).await?;
    }
    Ok(())
}
