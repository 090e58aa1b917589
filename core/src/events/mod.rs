//! The transactional outbox: domain events written with the change that
//! caused them, delivered at least once to consumers that poll and ack.
//!
//! Payloads carry ids, versions and field names, never demographics: events
//! leave the clinic's database for brokers and webhooks.

use crate::{Count32, Count64};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{EventId, PatientId};

/// `patient.registered`, schema v1.
pub const PATIENT_REGISTERED: &str = "patient.registered";
/// `patient.updated`, schema v1.
pub const PATIENT_UPDATED: &str = "patient.updated";
/// `patient.deactivated`, schema v1.
pub const PATIENT_DEACTIVATED: &str = "patient.deactivated";
/// `patient.reactivated`, schema v1.
pub const PATIENT_REACTIVATED: &str = "patient.reactivated";
/// `patient.merged`, schema v1: written twice by one merge, into each
/// patient's stream.
///
/// A merge changes two patients, and consumers read each patient's events
/// from that patient's partition alone ([`partition_of`]), so the merge
/// writes one event about the survivor and one about the merged patient, in
/// the same change set: the same payload (`merge_id`, `survivor_id`,
/// `merged_id`, both versions), each event's `patient` saying whose stream
/// it is in. A consumer of the merged patient's stream learns the record
/// went inactive and was replaced, after that patient's earlier events.
/// When both patients share a partition, the survivor's event comes first.
/// Idempotency keys: `patient.merged:<merge_id>:survivor:1` and
/// `patient.merged:<merge_id>:merged:1`. The payload names no stream: the
/// event's own `patient` does, so the schema stays v1.
pub const PATIENT_MERGED: &str = "patient.merged";
/// `patient.unmerged`, schema v1: written twice by one unmerge, into each
/// patient's stream, as [`PATIENT_MERGED`] is (survivor's first; keys
/// `patient.unmerged:<merge_id>:survivor:2` and
/// `patient.unmerged:<merge_id>:merged:2`).
pub const PATIENT_UNMERGED: &str = "patient.unmerged";

/// `appointment.booked`, schema v1.
pub const APPOINTMENT_BOOKED: &str = "appointment.booked";
/// `appointment.cancelled`, schema v2 (v1 carried the reason as free text).
pub const APPOINTMENT_CANCELLED: &str = "appointment.cancelled";
/// `appointment.rescheduled`, schema v1.
pub const APPOINTMENT_RESCHEDULED: &str = "appointment.rescheduled";
/// `appointment.status_changed`, schema v1.
pub const APPOINTMENT_STATUS_CHANGED: &str = "appointment.status_changed";

/// `encounter.started`, schema v1.
pub const ENCOUNTER_STARTED: &str = "encounter.started";
/// `encounter.finished`, schema v1.
pub const ENCOUNTER_FINISHED: &str = "encounter.finished";
/// `observation.recorded`, schema v1.
pub const OBSERVATION_RECORDED: &str = "observation.recorded";
/// `condition.recorded`, schema v1.
pub const CONDITION_RECORDED: &str = "condition.recorded";
/// `prescription.issued`, schema v1.
pub const PRESCRIPTION_ISSUED: &str = "prescription.issued";
/// `entry.amended`, schema v1.
pub const ENTRY_AMENDED: &str = "entry.amended";
/// `entry.retracted`, schema v1.
pub const ENTRY_RETRACTED: &str = "entry.retracted";

/// Every event type this version emits, with its schema version. (The
/// record's event types join this list with the operation that emits them.)
pub const EVENT_TYPES: &[(&str, u32)] = &[
    (PATIENT_REGISTERED, 1),
    (PATIENT_UPDATED, 1),
    (PATIENT_DEACTIVATED, 1),
    (PATIENT_REACTIVATED, 1),
    (PATIENT_MERGED, 1),
    (PATIENT_UNMERGED, 1),
    (APPOINTMENT_BOOKED, 1),
    (APPOINTMENT_CANCELLED, 2),
    (APPOINTMENT_RESCHEDULED, 1),
    (APPOINTMENT_STATUS_CHANGED, 1),
];

/// An event before the store gives it a sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventDraft {
    /// Event id.
    pub id: EventId,
    /// Event type, e.g. `patient.registered`.
    pub kind: String,
    /// Version of the payload's JSON contract (`schemas/events/<kind>.v<N>.json`).
    pub schema_version: Count32,
    /// The patient concerned, if any.
    pub patient: Option<PatientId>,
    /// The versioned JSON payload.
    pub payload: Value,
    /// Same key ⇒ same fact: consumers deduplicate redeliveries with it.
    pub idempotency_key: String,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
}

impl EventDraft {
    /// An event at the schema version this release emits for `kind` (see
    /// [`EVENT_TYPES`]) whose idempotency key is `kind:aggregate:version`.
    pub fn new(
        kind: &str,
        patient: Option<PatientId>,
        aggregate: &str,
        version: u64,
        payload: Value,
        occurred_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: EventId::new(),
            kind: kind.to_owned(),
            schema_version: EVENT_TYPES
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or(Count32::new(1), |(_, v)| Count32::new(*v)),
            patient,
            payload,
            idempotency_key: format!("{kind}:{aggregate}:{version}"),
            occurred_at,
        }
    }
}

/// How many partitions an outbox with concurrent writers spreads its events
/// over (PostgreSQL, `MemoryStore`).
///
/// Why partitions: one sequence for every event makes every writer wait for
/// the one before it to commit (numbers must become visible in order).
/// Numbered per partition, writers about different patients take different
/// numbers and never wait for each other; a consumer keeps one position per
/// partition, as with Kafka. Fixed, because an event's partition must not
/// move once a consumer has read it.
pub const OUTBOX_PARTITIONS: u32 = 16;

/// The partition of an event about `patient` in an outbox of `partitions`
/// partitions (see [`OUTBOX_PARTITIONS`]).
///
/// Partition 0 holds the events about no patient (and, in a PostgreSQL
/// database migrated from a single-sequence outbox, every earlier event);
/// a patient's events all go to `1 + id % (partitions - 1)`, so they are
/// ordered among themselves. The id's 128 bits as one integer: stable in
/// every language, and UUID v7's random tail spreads patients evenly. An
/// outbox of one partition (SQLite, a single writer) puts everything in 0.
pub fn partition_of(patient: Option<PatientId>, partitions: u32) -> u32 {
    match patient {
        Some(id) if partitions > 1 => {
            let spread = u128::from(partitions - 1);
            // The remainder is below `partitions - 1`, a u32.
            1 + u32::try_from(id.0.as_u128() % spread).unwrap_or(0)
        }
        _ => 0,
    }
}

/// An event in the outbox, ordered within its partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OutboxEvent {
    /// The outbox partition holding the event ([`partition_of`] its patient).
    pub partition: Count32,
    /// Position in its partition: 1, 2, 3… in commit order, no gaps.
    pub seq: Count64,
    /// The event.
    #[serde(flatten)]
    pub draft: EventDraft,
}

/// The JSON Schema of each event type, embedded so hosts can publish them.
pub fn schema(kind: &str, version: u32) -> Option<&'static str> {
    match (kind, version) {
        (PATIENT_REGISTERED, 1) => Some(include_str!(
            "../../schemas/events/patient.registered.v1.json"
        )),
        (PATIENT_UPDATED, 1) => Some(include_str!("../../schemas/events/patient.updated.v1.json")),
        (PATIENT_DEACTIVATED, 1) => Some(include_str!(
            "../../schemas/events/patient.deactivated.v1.json"
        )),
        (PATIENT_REACTIVATED, 1) => Some(include_str!(
            "../../schemas/events/patient.reactivated.v1.json"
        )),
        (PATIENT_MERGED, 1) => Some(include_str!("../../schemas/events/patient.merged.v1.json")),
        (PATIENT_UNMERGED, 1) => Some(include_str!(
            "../../schemas/events/patient.unmerged.v1.json"
        )),
        (APPOINTMENT_BOOKED, 1) => Some(include_str!(
            "../../schemas/events/appointment.booked.v1.json"
        )),
        (APPOINTMENT_CANCELLED, 1) => Some(include_str!(
            "../../schemas/events/appointment.cancelled.v1.json"
        )),
        (APPOINTMENT_CANCELLED, 2) => Some(include_str!(
            "../../schemas/events/appointment.cancelled.v2.json"
        )),
        (APPOINTMENT_RESCHEDULED, 1) => Some(include_str!(
            "../../schemas/events/appointment.rescheduled.v1.json"
        )),
        (APPOINTMENT_STATUS_CHANGED, 1) => Some(include_str!(
            "../../schemas/events/appointment.status_changed.v1.json"
        )),
        (ENCOUNTER_STARTED, 1) => Some(include_str!(
            "../../schemas/events/encounter.started.v1.json"
        )),
        (ENCOUNTER_FINISHED, 1) => Some(include_str!(
            "../../schemas/events/encounter.finished.v1.json"
        )),
        (OBSERVATION_RECORDED, 1) => Some(include_str!(
            "../../schemas/events/observation.recorded.v1.json"
        )),
        (CONDITION_RECORDED, 1) => Some(include_str!(
            "../../schemas/events/condition.recorded.v1.json"
        )),
        (PRESCRIPTION_ISSUED, 1) => Some(include_str!(
            "../../schemas/events/prescription.issued.v1.json"
        )),
        (ENTRY_AMENDED, 1) => Some(include_str!("../../schemas/events/entry.amended.v1.json")),
        (ENTRY_RETRACTED, 1) => Some(include_str!("../../schemas/events/entry.retracted.v1.json")),
        _ => None,
    }
}
