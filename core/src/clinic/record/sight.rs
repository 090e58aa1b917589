//! What an actor sees of a patient's health record, decided in ONE place
//! and applied on every read path (timeline, history, latest values,
//! reads across patients).
//!
//! - `record.read`: the full record, except note text (and document
//!   content, read through the blob port) unless `record.notes` too.
//! - `record.codes` only: a codes view for claims — encounters, conditions
//!   and procedures with their codes, statuses and dates; every other kind
//!   is left out and no value, free text or kept FHIR element is shown.
//! - neither: `forbidden`, audited with the reason of `record.read`.

use super::super::{Attempt, Clinic};
use crate::actor::Actor;
use crate::ids::PatientId;
use crate::policy::{AccessFacts, Permission, Policy};
use crate::record::{ClinicalEntry, EntryBody, EntryKind};
use crate::Result;

/// The kinds the codes view shows.
pub(super) const CODED_KINDS: [EntryKind; 3] = [
    EntryKind::Encounter,
    EntryKind::Condition,
    EntryKind::Procedure,
];

/// How much of a patient's record one actor sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::clinic) enum RecordSight {
    /// Everything; note text and document content only with `notes`.
    Full {
        /// Whether `record.notes` is granted too.
        notes: bool,
    },
    /// Codes, statuses and dates of encounters, conditions, procedures.
    Codes,
}

impl RecordSight {
    /// What `policy` lets `actor` see given `facts`, with the permission
    /// the read is audited under; `None` when it sees nothing.
    fn of(policy: &Policy, actor: &Actor, facts: &AccessFacts) -> Option<(Self, Permission)> {
        if policy.decide(actor, Permission::RecordRead, facts).allowed {
            let notes = policy.decide(actor, Permission::RecordNotes, facts).allowed;
            return Some((RecordSight::Full { notes }, Permission::RecordRead));
        }
        if policy.decide(actor, Permission::RecordCodes, facts).allowed {
            return Some((RecordSight::Codes, Permission::RecordCodes));
        }
        None
    }

    /// Whether note text and document content are shown.
    pub fn sees_notes(self) -> bool {
        matches!(self, RecordSight::Full { notes: true })
    }

    /// Whether entries of `kind` are shown at all.
    pub fn sees_kind(self, kind: EntryKind) -> bool {
        match self {
            RecordSight::Full { .. } => true,
            RecordSight::Codes => CODED_KINDS.contains(&kind),
        }
    }

    /// `entry` as the actor may see it, or `None` when its kind is hidden.
    /// A hidden note keeps its author but loses its title and text (empty
    /// text, which a recorded note never has, says it was withheld).
    pub fn show(self, mut entry: ClinicalEntry) -> Option<ClinicalEntry> {
        if !self.sees_kind(entry.kind()) {
            return None;
        }
        match self {
            RecordSight::Full { .. } => {
                if !self.sees_notes() {
                    match &mut entry.body {
                        EntryBody::Note(note) => {
                            note.title = None;
                            note.text.clear();
                        }
                        // Its title can say as much as a note's, and so
                        // can what an import kept (a description, the
                        // narrative); the content type, size and hash say
                        // nothing.
                        EntryBody::Document(document) => {
                            document.title = None;
                            entry.fhir = None;
                        }
                        _ => {}
                    }
                }
            }
            RecordSight::Codes => {
                entry.fhir = None;
                entry.revision.reason = None;
                if let EntryBody::Encounter(e) = &mut entry.body {
                    e.location = None;
                }
            }
        }
        Some(entry)
    }

    /// Every entry of `entries` the actor may see, as it may see it.
    pub fn show_all(self, entries: Vec<ClinicalEntry>) -> Vec<ClinicalEntry> {
        entries.into_iter().filter_map(|e| self.show(e)).collect()
    }
}

impl Clinic {
    /// Authorizes a read of `patient`'s record: the attempt (under
    /// `record.read`, or `record.codes` for a codes view) and what the
    /// actor sees; `forbidden` (audited) when it sees nothing.
    pub(in crate::clinic) async fn record_reader<'a>(
        &self,
        actor: &'a Actor,
        patient: PatientId,
    ) -> Result<(Attempt<'a>, RecordSight)> {
        super::super::check_actor(actor)?;
        let facts = self.facts(actor, Some(patient)).await?;
        let policy = self.policy();
        let seen = RecordSight::of(&policy, actor, &facts);
        let permission = seen.map_or(Permission::RecordRead, |(_, p)| p);
        let decision = policy.decide(actor, permission, &facts);
        let attempt = Attempt {
            actor,
            permission,
            patient: Some(patient),
            facts,
            decision,
        };
        match seen {
            Some((sight, _)) => Ok((attempt, sight)),
            None => {
                let reason = attempt.decision.deny_reason();
                Err(self.deny(&attempt, reason).await)
            }
        }
    }
}
