//! Outbox events.

use super::*;

/// A domain event from the outbox.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutboxEvent {
    /// Strictly increasing position in the outbox.
    pub seq: u64,
    /// Event id.
    pub id: String,
    /// Event type, e.g. `patient.registered`.
    pub kind: String,
    /// Version of the payload's JSON contract.
    pub schema_version: u32,
    /// The patient concerned, if any.
    pub patient: Option<String>,
    /// The versioned payload as JSON text.
    pub payload: String,
    /// Same key ⇒ same fact.
    pub idempotency_key: String,
    /// When the change happened.
    pub occurred_at: String,
}

impl From<cb::events::OutboxEvent> for OutboxEvent {
    fn from(e: cb::events::OutboxEvent) -> Self {
        let d = e.draft;
        Self {
            seq: e.seq,
            id: d.id.to_string(),
            kind: d.kind,
            schema_version: d.schema_version,
            patient: ids(d.patient),
            payload: d.payload.to_string(),
            idempotency_key: d.idempotency_key,
            occurred_at: ts(d.occurred_at),
        }
    }
}
