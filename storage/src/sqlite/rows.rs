//! Row ↔ domain conversions: how ids, instants, counters and JSON columns are
//! encoded, and the row structs the reads decode into.

use carebase::{Count32, Count64};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::audit::{AuditDraft, AuditEntry, Outcome};
use carebase::events::{EventDraft, OutboxEvent};
use carebase::patient::{MergeRecord, Patient};
use carebase::{Error, PatientId, Result, Role};

/// Reads a row struct from a row whose columns are named as its fields.
macro_rules! from_row {
    ($row:ident { $($field:ident),* $(,)? }) => {
        impl $row {
            /// The row, each field read from the column of its name.
            pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(Self {
                    $($field: row.get(stringify!($field))?,)*
                })
            }
        }
    };
}
pub(crate) use from_row;

/// A stored value could not be decoded: the database was edited by hand or
/// is damaged. The message names the kind of value, never the value.
pub(crate) fn corrupt(what: &'static str) -> Error {
    crate::failure::corrupt("sqlite", what)
}

/// Canonical text form of an id: lowercase, hyphenated (text order == uuid order).
pub(crate) fn id_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

/// Parses a stored id.
pub(crate) fn parse_id<T: From<Uuid>>(text: &str, what: &'static str) -> Result<T> {
    Uuid::parse_str(text)
        .map(T::from)
        .map_err(|_| corrupt(what))
}

/// Parses an optional stored id.
pub(crate) fn parse_opt_id<T: From<Uuid>>(
    text: Option<&str>,
    what: &'static str,
) -> Result<Option<T>> {
    text.map(|t| parse_id(t, what)).transpose()
}

/// An instant as RFC 3339 UTC with nine fractional digits: exact round trip,
/// fixed width, so text order is time order.
pub(crate) fn ts(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Parses a stored instant.
pub(crate) fn parse_ts(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| corrupt("timestamp"))
}

/// Parses an optional stored instant.
pub(crate) fn parse_opt_ts(text: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    text.map(parse_ts).transpose()
}

/// A civil date as `YYYY-MM-DD`.
pub(crate) fn date_text(date: &NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A `u64` stored in an INTEGER column, bit for bit (lossless both ways).
pub(crate) fn to_db(value: u64) -> i64 {
    value as i64
}

/// The inverse of [`to_db`].
pub(crate) fn from_db(value: i64) -> u64 {
    value as u64
}

/// A `u64` used as a lower bound in a query, clamped into INTEGER range.
pub(crate) fn bound(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The audit chain key: the patient id, or `''` for entries about no patient.
pub(crate) fn chain_key(chain: Option<PatientId>) -> String {
    chain.map(|p| id_text(p.0)).unwrap_or_default()
}

/// The inverse of [`chain_key`].
pub(crate) fn parse_chain(key: &str) -> Result<Option<PatientId>> {
    if key.is_empty() {
        Ok(None)
    } else {
        parse_id(key, "audit chain").map(Some)
    }
}

/// Serializes a value stored as a JSON column.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<String> {
    serde_json::to_string(value).map_err(|_| crate::failure::unencodable("sqlite", what))
}

/// Parses a JSON column.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| corrupt(what))
}

/// Columns selected for a patient (see [`PatientRow`]).
pub(crate) const PATIENT_COLUMNS: &str =
    "p.id, p.version, p.active, p.merged_into, p.created_at, p.updated_at, p.details";

/// A `patients` row.
pub(crate) struct PatientRow {
    id: String,
    version: i64,
    active: bool,
    merged_into: Option<String>,
    created_at: String,
    updated_at: String,
    details: String,
}

from_row!(PatientRow {
    id,
    version,
    active,
    merged_into,
    created_at,
    updated_at,
    details
});

impl PatientRow {
    /// The stored patient.
    pub(crate) fn into_patient(self) -> Result<Patient> {
        let (details, fhir_extra) = carebase::store::read_details_document(&self.details)
            .map_err(|_| corrupt("patient details"))?;
        Ok(Patient {
            id: parse_id(&self.id, "patient id")?,
            version: Count64::new(from_db(self.version)),
            details,
            active: self.active,
            merged_into: parse_opt_id(self.merged_into.as_deref(), "patient id")?,
            created_at: parse_ts(&self.created_at)?,
            updated_at: parse_ts(&self.updated_at)?,
            hidden_fields: Vec::new(),
            fhir_extra,
        })
    }
}

/// Columns selected for an audit entry (see [`AuditRow`]).
pub(crate) const AUDIT_COLUMNS: &str = "id, patient_id, chain_seq, at, actor_id, roles, action, \
     outcome, reason, break_glass, subject, prev_hash, hash";

/// An `audit_entries` row.
pub(crate) struct AuditRow {
    id: String,
    patient_id: String,
    chain_seq: i64,
    at: String,
    actor_id: String,
    roles: String,
    action: String,
    outcome: String,
    reason: String,
    break_glass: Option<String>,
    subject: Option<String>,
    prev_hash: String,
    hash: String,
}

from_row!(AuditRow {
    id,
    patient_id,
    chain_seq,
    at,
    actor_id,
    roles,
    action,
    outcome,
    reason,
    break_glass,
    subject,
    prev_hash,
    hash
});

impl AuditRow {
    /// The stored entry.
    pub(crate) fn into_entry(self) -> Result<AuditEntry> {
        let roles: Vec<Role> = from_json(&self.roles, "audit roles")?;
        let outcome = Outcome::parse(&self.outcome).ok_or_else(|| corrupt("audit outcome"))?;
        Ok(AuditEntry {
            draft: AuditDraft {
                id: parse_id(&self.id, "audit entry id")?,
                at: parse_ts(&self.at)?,
                actor: parse_id(&self.actor_id, "actor id")?,
                roles,
                action: self.action,
                patient: parse_chain(&self.patient_id)?,
                outcome,
                reason: self.reason,
                break_glass: parse_opt_id(self.break_glass.as_deref(), "grant id")?,
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
pub(crate) struct GrantRow {
    id: String,
    patient_id: String,
    actor_id: String,
    reason: String,
    granted_at: String,
    expires_at: String,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    review_note: Option<String>,
}

from_row!(GrantRow {
    id,
    patient_id,
    actor_id,
    reason,
    granted_at,
    expires_at,
    reviewed_by,
    reviewed_at,
    review_note
});

impl GrantRow {
    /// The stored grant.
    pub(crate) fn into_grant(self) -> Result<BreakGlassGrant> {
        Ok(BreakGlassGrant {
            id: parse_id(&self.id, "grant id")?,
            actor: parse_id(&self.actor_id, "actor id")?,
            patient: parse_id(&self.patient_id, "patient id")?,
            reason: self.reason,
            granted_at: parse_ts(&self.granted_at)?,
            expires_at: parse_ts(&self.expires_at)?,
            reviewed_by: parse_opt_id(self.reviewed_by.as_deref(), "actor id")?,
            reviewed_at: parse_opt_ts(self.reviewed_at.as_deref())?,
            review_note: self.review_note,
        })
    }
}

/// A `care_team` row.
pub(crate) struct CareRow {
    patient_id: String,
    practitioner_id: String,
    assigned_by: String,
    assigned_at: String,
}

from_row!(CareRow {
    patient_id,
    practitioner_id,
    assigned_by,
    assigned_at
});

impl CareRow {
    /// The stored assignment.
    pub(crate) fn into_assignment(self) -> Result<CareAssignment> {
        Ok(CareAssignment {
            patient: parse_id(&self.patient_id, "patient id")?,
            practitioner: parse_id(&self.practitioner_id, "practitioner id")?,
            assigned_by: parse_id(&self.assigned_by, "actor id")?,
            assigned_at: parse_ts(&self.assigned_at)?,
        })
    }
}

/// A `merges` row: the record JSON plus the undo columns, which are the truth.
pub(crate) struct MergeRow {
    record: String,
    unmerged_by: Option<String>,
    unmerged_at: Option<String>,
}

from_row!(MergeRow {
    record,
    unmerged_by,
    unmerged_at
});

impl MergeRow {
    /// The stored merge record.
    pub(crate) fn into_record(self) -> Result<MergeRecord> {
        let mut record: MergeRecord = from_json(&self.record, "merge record")?;
        record.unmerged_by = parse_opt_id(self.unmerged_by.as_deref(), "actor id")?;
        record.unmerged_at = parse_opt_ts(self.unmerged_at.as_deref())?;
        Ok(record)
    }
}

/// Columns selected for an outbox event (see [`EventRow`]).
pub(crate) const EVENT_COLUMNS: &str =
    "seq, id, kind, schema_version, patient_id, payload, idempotency_key, occurred_at";

/// An `outbox_events` row.
pub(crate) struct EventRow {
    seq: i64,
    id: String,
    kind: String,
    schema_version: i64,
    patient_id: Option<String>,
    payload: String,
    idempotency_key: String,
    occurred_at: String,
}

from_row!(EventRow {
    seq,
    id,
    kind,
    schema_version,
    patient_id,
    payload,
    idempotency_key,
    occurred_at
});

impl EventRow {
    /// The stored event.
    pub(crate) fn into_event(self) -> Result<OutboxEvent> {
        Ok(OutboxEvent {
            partition: Count32::new(0),
            seq: Count64::new(from_db(self.seq)),
            draft: EventDraft {
                id: parse_id(&self.id, "event id")?,
                kind: self.kind,
                schema_version: Count32::new(
                    u32::try_from(self.schema_version)
                        .map_err(|_| corrupt("event schema version"))?,
                ),
                patient: parse_opt_id(self.patient_id.as_deref(), "patient id")?,
                payload: from_json(&self.payload, "event payload")?,
                idempotency_key: self.idempotency_key,
                occurred_at: parse_ts(&self.occurred_at)?,
            },
        })
    }
}
