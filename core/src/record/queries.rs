//! What the store is asked about the record: one patient's timeline, the
//! latest entry per code, and entries of one code across patients. Each is
//! an index read in every backend (see `ARCHITECTURE.md`).

use chrono::{DateTime, Utc};

use super::EntryKind;
use crate::ids::{EntryId, PatientId, PractitionerId};

/// A place on a timeline: entries are ordered by effective time, then id,
/// so a cursor past one position never repeats or skips an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryPosition {
    /// The entry's clinical time.
    pub effective_at: DateTime<Utc>,
    /// The entry, breaking ties.
    pub id: EntryId,
}

/// One patient's entries, current versions only, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryQuery {
    /// Whose record.
    pub patient: PatientId,
    /// Only these kinds (empty: every kind).
    pub kinds: Vec<EntryKind>,
    /// Only entries coded `(system, code)`.
    pub code: Option<(String, String)>,
    /// Effective at or after.
    pub from: Option<DateTime<Utc>>,
    /// Effective before.
    pub to: Option<DateTime<Utc>>,
    /// Whether retracted entries are listed (their retracting version).
    pub include_retracted: bool,
    /// Start after this position.
    pub after: Option<EntryPosition>,
    /// At most this many.
    pub limit: u32,
}

/// Whose entries a read across patients may return: the store filters by
/// it in its query (never core after the fact), so a page is filled from
/// visible patients only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientScope {
    /// Every patient (an actor the policy allows everyone's record).
    All,
    /// The patients on this practitioner's care team.
    CareTeamOf(PractitionerId),
}

/// Current entries of one code across patients, in a time range, ordered
/// by effective time, then id (entry ids are unique across patients).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeQuery {
    /// The kind of entry.
    pub kind: EntryKind,
    /// The code's system URI.
    pub system: String,
    /// The code.
    pub code: String,
    /// Effective at or after.
    pub from: Option<DateTime<Utc>>,
    /// Effective before.
    pub to: Option<DateTime<Utc>>,
    /// Whose entries.
    pub scope: PatientScope,
    /// Start after this position.
    pub after: Option<EntryPosition>,
    /// At most this many.
    pub limit: u32,
}
