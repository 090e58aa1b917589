//! Row ↔ domain conversions for PostgreSQL: ids are `uuid`, instants
//! `timestamptz`, dates `date`, counters `bigint` (same bits as the u64),
//! JSON documents `text`.

use carebase::{Count32, Count64};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::audit::{AuditDraft, AuditEntry, Outcome};
use carebase::events::{EventDraft, OutboxEvent};
use carebase::patient::{MergeRecord, Patient};
use carebase::{Error, PatientId, Result, Role};

/// A stored value could not be decoded. The message names the kind of
/// value, never the value.
pub(crate) fn corrupt(what: &'static str) -> Error {
    crate::failure::corrupt("postgres", what)
}

/// A `u64` stored in a BIGINT column, bit for bit (lossless both ways).
pub(crate) fn to_db(value: u64) -> i64 {
    value as i64
}

/// The inverse of [`to_db`].
pub(crate) fn from_db(value: i64) -> u64 {
    value as u64
}

/// A `u64` used as a lower bound in a query, clamped into BIGINT range.
pub(crate) fn bound(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The audit chain key: the patient id, or the nil uuid for entries about
/// no patient (it sorts first, like `None`).
pub(crate) fn chain_key(chain: Option<PatientId>) -> Uuid {
    chain.map_or(Uuid::nil(), |p| p.0)
}

/// The inverse of [`chain_key`].
pub(crate) fn parse_chain(key: Uuid) -> Option<PatientId> {
    if key.is_nil() {
        None
    } else {
        Some(PatientId::from(key))
    }
}

/// Serializes a value stored as a JSON text column.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<String> {
    serde_json::to_string(value).map_err(|_| crate::failure::unencodable("postgres", what))
}

/// Parses a JSON text column.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| corrupt(what))
}

/// Columns selected for a patient (see [`PatientRow`]).
pub(crate) const PATIENT_COLUMNS: &str =
    "p.patient_id, p.version, p.active, p.merged_into, p.created_at, p.updated_at, p.details";

/// A `patients` row.
#[derive(sqlx::FromRow)]
pub(crate) struct PatientRow {
    patient_id: Uuid,
    version: i64,
    active: bool,
    merged_into: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    details: String,
}

impl PatientRow {
    /// The stored patient.
    pub(crate) fn into_patient(self) -> Result<Patient> {
        let (details, fhir_extra) = carebase::store::read_details_document(&self.details)
            .map_err(|_| corrupt("patient details"))?;
        Ok(Patient {
            id: PatientId::from(self.patient_id),
            version: Count64::new(from_db(self.version)),
            details,
            active: self.active,
            merged_into: self.merged_into.map(PatientId::from),
            created_at: self.created_at,
            updated_at: self.updated_at,
            hidden_fields: Vec::new(),
            fhir_extra,
        })
    }
}

/// Columns selected for an audit entry (see [`AuditRow`]).
pub(crate) const AUDIT_COLUMNS: &str = "id, patient_id, chain_seq, at, actor_id, roles, action, \
     outcome, reason, break_glass, subject, prev_hash, hash";

/// An `audit_entries` row.
#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: Uuid,
    patient_id: Uuid,
    chain_seq: i64,
    at: DateTime<Utc>,
    actor_id: Uuid,
    roles: String,
    action: String,
    outcome: String,
    reason: String,
    break_glass: Option<Uuid>,
    subject: Option<String>,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    /// The stored entry.
    pub(crate) fn into_entry(self) -> Result<AuditEntry> {
        let roles: Vec<Role> = from_json(&self.roles, "audit roles")?;
        let outcome = Outcome::parse(&self.outcome).ok_or_else(|| corrupt("audit outcome"))?;
        Ok(AuditEntry {
            draft: AuditDraft {
                id: self.id.into(),
                at: self.at,
                actor: self.actor_id.into(),
                roles,
                action: self.action,
                patient: parse_chain(self.patient_id),
                outcome,
                reason: self.reason,
                break_glass: self.break_glass.map(Into::into),
                subject: self.subject,
            },
            chain_seq: Count64::new(from_db(self.chain_seq)),
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// Columns selected for a grant (see [`GrantRow`]).
pub(crate) const GRANT_COLUMNS: &str = "id, patient_id, actor_id, reason, granted_at, expires_at, \
     reviewed_by, reviewed_at, review_note";

/// A `break_glass_grants` row.
#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    id: Uuid,
    patient_id: Uuid,
    actor_id: Uuid,
    reason: String,
    granted_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    reviewed_by: Option<Uuid>,
    reviewed_at: Option<DateTime<Utc>>,
    review_note: Option<String>,
}

impl GrantRow {
    /// The stored grant.
    pub(crate) fn into_grant(self) -> BreakGlassGrant {
        BreakGlassGrant {
            id: self.id.into(),
            actor: self.actor_id.into(),
            patient: self.patient_id.into(),
            reason: self.reason,
            granted_at: self.granted_at,
            expires_at: self.expires_at,
            reviewed_by: self.reviewed_by.map(Into::into),
            reviewed_at: self.reviewed_at,
            review_note: self.review_note,
        }
    }
}

/// A `care_team` row.
#[derive(sqlx::FromRow)]
pub(crate) struct CareRow {
    patient_id: Uuid,
    practitioner_id: Uuid,
    assigned_by: Uuid,
    assigned_at: DateTime<Utc>,
}

impl CareRow {
    /// The stored assignment.
    pub(crate) fn into_assignment(self) -> CareAssignment {
        CareAssignment {
            patient: self.patient_id.into(),
            practitioner: self.practitioner_id.into(),
            assigned_by: self.assigned_by.into(),
            assigned_at: self.assigned_at,
        }
    }
}

/// A `merges` row: the record JSON plus the undo columns, which are the truth.
#[derive(sqlx::FromRow)]
pub(crate) struct MergeRow {
    record: String,
    unmerged_by: Option<Uuid>,
    unmerged_at: Option<DateTime<Utc>>,
}

impl MergeRow {
    /// The stored merge record.
    pub(crate) fn into_record(self) -> Result<MergeRecord> {
        let mut record: MergeRecord = from_json(&self.record, "merge record")?;
        record.unmerged_by = self.unmerged_by.map(Into::into);
        record.unmerged_at = self.unmerged_at;
        Ok(record)
    }
}

/// Columns selected for an outbox event (see [`EventRow`]).
pub(crate) const EVENT_COLUMNS: &str =
    "partition_id, seq, id, kind, schema_version, patient_id, payload, idempotency_key, occurred_at";

/// An `outbox_events` row.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    partition_id: i32,
    seq: i64,
    id: Uuid,
    kind: String,
    schema_version: i32,
    patient_id: Option<Uuid>,
    payload: String,
    idempotency_key: String,
    occurred_at: DateTime<Utc>,
}

impl EventRow {
    /// The stored event.
    pub(crate) fn into_event(self) -> Result<OutboxEvent> {
        Ok(OutboxEvent {
            partition: Count32::new(
                u32::try_from(self.partition_id).map_err(|_| corrupt("event partition"))?,
            ),
            seq: Count64::new(from_db(self.seq)),
            draft: EventDraft {
                id: self.id.into(),
                kind: self.kind,
                schema_version: Count32::new(
                    u32::try_from(self.schema_version)
                        .map_err(|_| corrupt("event schema version"))?,
                ),
                patient: self.patient_id.map(Into::into),
                payload: from_json(&self.payload, "event payload")?,
                idempotency_key: self.idempotency_key,
                occurred_at: self.occurred_at,
            },
        })
    }
}
