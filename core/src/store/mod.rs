//! The storage port. Reads are methods; every write is one [`ChangeSet`]
//! that a backend applies atomically, checking its preconditions (expected
//! versions, identifier uniqueness, state rules) inside the same transaction
//! and chaining the audit entries with [`crate::audit::seal`] under the key
//! the clinic handed it ([`Store::use_audit_key`]).

pub mod memory;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::access::{BreakGlassGrant, CareAssignment};
use crate::audit::{AuditCheckpoint, AuditDraft, AuditEntry, AuditKey, AuditQuery, ChainHead};
use crate::events::{EventDraft, OutboxEvent};
use crate::ids::{
    ActorId, AppointmentId, GrantId, MergeId, PatientId, PractitionerId, ResourceId, VisitTypeId,
};
use crate::patient::normalize::{search_keys, SearchKeys};
use crate::patient::{MergeRecord, Patient, PatientSearch};
use crate::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, BusyQuery, BusySpan, CountQuery,
    DayLimitCheck, DueReminder, Practitioner, Resource, VisitType,
};
use crate::{Error, Result};

/// The kind of record a stored id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// A patient.
    Patient,
    /// A practitioner.
    Practitioner,
    /// A room or piece of equipment.
    Resource,
    /// A visit type.
    VisitType,
}

impl ReferenceKind {
    /// The entity a `not_found` error names.
    pub fn entity(self) -> &'static str {
        match self {
            ReferenceKind::Patient => "patient",
            ReferenceKind::Practitioner => "practitioner",
            ReferenceKind::Resource => "resource",
            ReferenceKind::VisitType => "visit type",
        }
    }
}

/// An id a change set stores, which must name a record that exists: the
/// store checks inside the transaction so no write leaves a dangling id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// What it names.
    pub kind: ReferenceKind,
    /// The id.
    pub id: Uuid,
    /// The input field it came from, named by the `not_found` error.
    pub field: String,
}

impl Reference {
    /// A patient id stored from `field`.
    pub fn patient(id: PatientId, field: &str) -> Self {
        Self::to(ReferenceKind::Patient, id.0, field)
    }

    /// A practitioner id stored from `field`.
    pub fn practitioner(id: PractitionerId, field: &str) -> Self {
        Self::to(ReferenceKind::Practitioner, id.0, field)
    }

    /// A room or equipment id stored from `field`.
    pub fn resource(id: ResourceId, field: &str) -> Self {
        Self::to(ReferenceKind::Resource, id.0, field)
    }

    /// A visit type id stored from `field`.
    pub fn visit_type(id: VisitTypeId, field: &str) -> Self {
        Self::to(ReferenceKind::VisitType, id.0, field)
    }

    fn to(kind: ReferenceKind, id: Uuid, field: &str) -> Self {
        Self {
            kind,
            id,
            field: field.to_owned(),
        }
    }

    /// The error when the record does not exist.
    pub fn missing(&self) -> Error {
        Error::missing(self.kind.entity(), &self.field)
    }
}

/// A patient write with its precondition, and the search keys core
/// computed for it (with the clinic's settings): the store indexes exactly
/// these and never derives keys itself.
// Change sets are short-lived and moved once; boxing the record buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum PatientWrite {
    /// A new record (version 1); its identifiers must be free.
    Insert {
        /// The record.
        patient: Patient,
        /// Its search keys.
        keys: SearchKeys,
    },
    /// A new state of an existing record; the stored version must equal
    /// `expected_version` and `patient.version` must be `expected_version + 1`.
    Update {
        /// The new state.
        patient: Patient,
        /// Its search keys (they replace the stored ones).
        keys: SearchKeys,
        /// The version the rule was applied to.
        expected_version: u64,
    },
}

impl PatientWrite {
    /// Inserts `patient` with the keys of a clinic whose phone region is
    /// `phone_region` (see [`crate::patient::normalize::search_keys`]).
    pub fn insert(patient: Patient, phone_region: Option<&str>) -> Self {
        let keys = search_keys(&patient.details, phone_region);
        Self::Insert { patient, keys }
    }

    /// Updates to `patient` from `expected_version`, with the keys of a
    /// clinic whose phone region is `phone_region`.
    pub fn update(patient: Patient, expected_version: u64, phone_region: Option<&str>) -> Self {
        let keys = search_keys(&patient.details, phone_region);
        Self::Update {
            patient,
            keys,
            expected_version,
        }
    }
}

/// A care-team write.
#[derive(Debug, Clone, PartialEq)]
pub enum CareTeamWrite {
    /// Adds an assignment; an existing one is a conflict.
    Assign(CareAssignment),
    /// Removes an assignment; a missing one is not-found.
    Remove {
        /// The patient.
        patient: PatientId,
        /// The practitioner.
        practitioner: PractitionerId,
    },
}

/// A break-the-glass grant write.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantWrite {
    /// Records a new grant.
    Insert(BreakGlassGrant),
    /// Marks a grant reviewed; an already reviewed one is a conflict.
    Review {
        /// The grant.
        id: GrantId,
        /// The reviewer.
        by: ActorId,
        /// When.
        at: DateTime<Utc>,
        /// The reviewer's note.
        note: Option<String>,
    },
}

/// A merge-log write.
// Short-lived and moved once; boxing the record buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum MergeWrite {
    /// Records a merge.
    Insert(MergeRecord),
    /// Marks a merge undone; an already undone one is a conflict.
    Undo {
        /// The merge.
        id: MergeId,
        /// Who undid it.
        by: ActorId,
        /// When.
        at: DateTime<Utc>,
    },
}

/// Moves a consumer's acknowledged position forward (never backward).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckWrite {
    /// Consumer name.
    pub consumer: String,
    /// Last acknowledged event sequence.
    pub seq: u64,
}

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

/// A new audit checkpoint and the chain heads it pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointWrite {
    /// The signed checkpoint. Its `seq` must be one past the newest stored
    /// one and its `prev_signature` that one's signature (or the genesis
    /// value for the first), else the change set fails with a stale-version
    /// conflict: two checkpoints racing cannot both extend the history.
    pub checkpoint: AuditCheckpoint,
    /// The pinned heads that differ from the previous checkpoint's; the
    /// store keeps, per chain, the head the newest checkpoint pinned.
    pub changed_heads: Vec<ChainHead>,
}

/// Everything one operation writes, applied all-or-nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    /// Ids the writes store that must name existing records. Checked
    /// first, inside the transaction (PostgreSQL also locks each named row
    /// against deletion until commit); a missing one fails the change set
    /// with `not_found` naming its field.
    pub references: Vec<Reference>,
    /// Patient inserts and updates.
    pub patients: Vec<PatientWrite>,
    /// Care-team changes.
    pub care_team: Vec<CareTeamWrite>,
    /// Break-the-glass grants.
    pub grants: Vec<GrantWrite>,
    /// Merge log.
    pub merges: Vec<MergeWrite>,
    /// Consumer acknowledgements.
    pub acks: Vec<AckWrite>,
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
    /// Per-day limits the store re-checks after writing `appointments`,
    /// inside the transaction and serialized per practitioner, so bookers
    /// racing for the last place of a day cannot both get it. A violation
    /// fails the change set with the check's validation error.
    pub day_limits: Vec<DayLimitCheck>,
    /// Reminders marked sent.
    pub reminders_sent: Vec<ReminderSent>,
    /// Audit entries to chain, in order.
    pub audit: Vec<AuditDraft>,
    /// Events to append to the outbox, in order.
    pub events: Vec<EventDraft>,
    /// An audit checkpoint to record.
    pub checkpoint: Option<CheckpointWrite>,
}

impl ChangeSet {
    /// A change set that only records audit entries (reads, denials, failures).
    pub fn audit_only(audit: Vec<AuditDraft>) -> Self {
        Self {
            audit,
            ..Self::default()
        }
    }
}

/// What a successful apply produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// The sealed audit entries, in the order given.
    pub audit: Vec<AuditEntry>,
    /// The outbox events with their sequence numbers.
    pub events: Vec<OutboxEvent>,
}

/// A backend. Implementations: [`memory::MemoryStore`] here, SQLite (and
/// later PostgreSQL) in `carebase-storage`; all pass `conformance`.
#[async_trait]
pub trait Store: Send + Sync {
    /// Applies a change set atomically; on any error nothing is written.
    /// Audit entries are sealed with the key of [`Store::use_audit_key`] and
    /// each chain's head is advanced in the same transaction.
    async fn apply(&self, changes: ChangeSet) -> Result<Applied>;

    /// Seals every audit entry applied from now on with `key` (a new store
    /// seals with the development key). [`crate::Clinic::with_audit_key`]
    /// calls it, so the clinic verifies with the key the store seals with.
    fn use_audit_key(&self, key: AuditKey);

    /// One patient by id (merged and inactive ones too).
    async fn patient(&self, id: PatientId) -> Result<Option<Patient>>;
    /// Patients matching a normalized search, ordered by id, after the cursor.
    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<Patient>>;
    /// Active, unmerged patients other than `patient` that share a blocking
    /// key with it: a name token, birth date, phone or email (of `keys`,
    /// computed by core) or identifier value.
    async fn duplicate_candidates(
        &self,
        patient: &Patient,
        keys: &SearchKeys,
        limit: u32,
    ) -> Result<Vec<Patient>>;
    /// Current value of a named sequence (0 when nothing was allocated).
    async fn counter(&self, name: &str) -> Result<u64>;
    /// Atomically allocates the next number of a named sequence (1, 2, …)
    /// in its own transaction, like a database sequence: concurrent callers
    /// never get the same number; a number whose use later fails is skipped,
    /// never reused.
    async fn allocate(&self, name: &str) -> Result<u64>;

    /// A patient's care team.
    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>>;
    /// Whether `practitioner` is on `patient`'s care team.
    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool>;

    /// One grant by id.
    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>>;
    /// The actor's newest grant for the patient that is active at `now`.
    async fn active_grant(
        &self,
        actor: ActorId,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Result<Option<BreakGlassGrant>>;
    /// Grants not yet reviewed, oldest first.
    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>>;

    /// One merge by id.
    async fn merge(&self, id: MergeId) -> Result<Option<MergeRecord>>;
    /// Merges where the patient is survivor or merged, oldest first.
    async fn merges_for(&self, patient: PatientId) -> Result<Vec<MergeRecord>>;

    /// Audit entries in recording order, filtered.
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// Every chain's head.
    async fn audit_heads(&self) -> Result<Vec<ChainHead>>;
    /// Every chain that has entries (including ones without a head).
    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>>;
    /// One chain's entries in stored `chain_seq` order, from `from_seq`, at most `limit`.
    async fn audit_chain(
        &self,
        chain: Option<PatientId>,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;

    /// Stored audit checkpoints with `seq > after`, oldest first, at most `limit`.
    async fn audit_checkpoints(&self, after: u64, limit: u32) -> Result<Vec<AuditCheckpoint>>;
    /// The newest stored audit checkpoint.
    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>>;
    /// Per chain, the head the newest checkpoint pinned (none before the first).
    async fn audit_checkpoint_heads(&self) -> Result<Vec<ChainHead>>;

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

    /// Outbox events with `seq > after`, at most `limit`, in order.
    async fn events_after(&self, after: u64, limit: u32) -> Result<Vec<OutboxEvent>>;
    /// A consumer's last acknowledged sequence (0 when new).
    async fn consumer_position(&self, consumer: &str) -> Result<u64>;
}
