//! The ONE order in which a change set is written, whatever the backend.
//!
//! A backend opens its transaction, hands it to [`apply_changes`], and
//! commits when it returns `Ok` (rolls back otherwise). The driver calls the
//! backend's per-kind write primitives ([`Transaction`]) in the order the
//! rules need:
//!
//! 1. references: every stored id names an existing record (`not_found`
//!    naming the field), before anything is written;
//! 2. patients (records and their keys), access (care teams, grants), the
//!    merge log, consumer acknowledgements;
//! 3. scheduling: practitioners, rooms, visit types, then the day-limit
//!    hook, appointments (no overlap), the day limits re-counted, reminders
//!    marked sent; then the health record: each entry version must follow
//!    its entry's current one, then is appended;
//! 4. audit: the heads of the chains involved are read (held), the entries
//!    sealed with the clinic's key and appended, the heads moved;
//! 5. the audit checkpoint, which must extend the newest one;
//! 6. events, last, so an outbox writer holds its ordering point for as
//!    short a time as possible.
//!
//! A new domain adds its step here, its primitives trait beside the others
//! and a bound on [`Transaction`]; see `ARCHITECTURE.md`.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;

use super::{
    access, audit, outbox, patients, record, scheduling, AccessWrites, Applied, AuditWrites,
    ChangeSet, OutboxWrites, PatientWrites, RecordWrites, Reference, ScheduleWrites,
};
use crate::audit::AuditKey;
use crate::{Error, Result};

/// A backend's open write transaction: every domain's write primitives plus
/// the reference check. Everything it does is rolled back unless the
/// backend commits after [`apply_changes`] succeeded.
#[async_trait]
pub trait Transaction:
    PatientWrites + AccessWrites + ScheduleWrites + RecordWrites + AuditWrites + OutboxWrites + Send
{
    /// Whether the record `reference` names exists, held until commit
    /// against deletion where writers run concurrently.
    async fn exists(&mut self, reference: &Reference) -> Result<bool>;
}

/// Writes `changes` through `tx` in the one order the rules need (see the
/// module docs), sealing audit entries with `key`. On an error the caller
/// must roll back: some writes may have happened.
pub async fn apply_changes<T: Transaction + ?Sized>(
    tx: &mut T,
    changes: ChangeSet,
    key: &AuditKey,
) -> Result<Applied> {
    for reference in &changes.references {
        if !tx.exists(reference).await? {
            return Err(reference.missing());
        }
    }
    patients::write_records(tx, changes.patients.records).await?;
    access::write(tx, changes.access).await?;
    patients::write_merges(tx, changes.patients.merges).await?;
    outbox::acknowledge(tx, changes.outbox).await?;
    scheduling::write(tx, changes.scheduling).await?;
    record::write(tx, changes.record).await?;
    let audit = audit::append(tx, changes.audit, key).await?;
    if let Some(write) = changes.checkpoint {
        audit::checkpoint(tx, write).await?;
    }
    let events = outbox::append(tx, changes.events).await?;
    Ok(Applied { audit, events })
}

/// [`apply_changes`] over a transaction whose primitives never wait (state
/// in memory, a blocking connection owned by the calling thread), run to
/// completion on the calling thread without an async runtime. A primitive
/// that does wait is a bug in that backend and fails the change set.
pub fn apply_now<T: Transaction + ?Sized>(
    tx: &mut T,
    changes: ChangeSet,
    key: &AuditKey,
) -> Result<Applied> {
    let mut driver = pin!(apply_changes(tx, changes, key));
    match driver
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(done) => done,
        Poll::Pending => Err(Error::storage(
            "a write primitive waited inside a synchronous transaction",
        )),
    }
}
