//! MemoryStore's health record: every version of every entry, per patient.
//! Reads walk one patient's entries (or, across patients, all of them):
//! the reference semantics the SQL backends answer from their indexes.

use async_trait::async_trait;
use imbl::{OrdMap, Vector};
use uuid::Uuid;

use super::{MemoryStore, State};
use crate::ids::{EntryId, PatientId};
use crate::record::{ClinicalEntry, CodeQuery, EntryKind, EntryQuery, PatientScope};
use crate::store::{RecordStore, RecordWrites};
use crate::Result;

/// Every version of every entry, keyed by patient then entry.
pub(super) type Records = OrdMap<(PatientId, EntryId), Vector<ClinicalEntry>>;

/// The current versions of `patient`'s entries, in id order.
fn current_of(records: &Records, patient: PatientId) -> impl Iterator<Item = &ClinicalEntry> {
    let first = (patient, EntryId(Uuid::nil()));
    let last = (patient, EntryId(Uuid::max()));
    records
        .range(first..=last)
        .filter_map(|(_, versions)| versions.last())
}

/// Whether `entry` is coded `(system, code)`.
fn coded(entry: &ClinicalEntry, system: &str, code: &str) -> bool {
    entry
        .body
        .code()
        .is_some_and(|c| c.system == system && c.code == code)
}

#[async_trait]
impl RecordWrites for State {
    async fn current_entry_version(&mut self, patient: PatientId, id: EntryId) -> Result<u32> {
        Ok(self
            .records
            .get(&(patient, id))
            .and_then(|versions| versions.last())
            .map_or(0, |entry| entry.version.get()))
    }

    async fn append_entry(&mut self, entry: &ClinicalEntry) -> Result<()> {
        self.records
            .entry((entry.patient, entry.id))
            .or_default()
            .push_back(entry.clone());
        Ok(())
    }
}

#[async_trait]
impl RecordStore for MemoryStore {
    async fn entry(&self, patient: PatientId, id: EntryId) -> Result<Option<ClinicalEntry>> {
        let state = self.lock();
        Ok(state
            .records
            .get(&(patient, id))
            .and_then(|versions| versions.last().cloned()))
    }

    async fn entry_versions(&self, patient: PatientId, id: EntryId) -> Result<Vec<ClinicalEntry>> {
        let state = self.lock();
        Ok(state
            .records
            .get(&(patient, id))
            .map(|versions| versions.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn entries(&self, query: &EntryQuery) -> Result<Vec<ClinicalEntry>> {
        let state = self.lock();
        let mut found: Vec<ClinicalEntry> = current_of(&state.records, query.patient)
            .filter(|e| query.include_retracted || !e.is_retracted())
            .filter(|e| query.kinds.is_empty() || query.kinds.contains(&e.kind()))
            .filter(|e| {
                query
                    .code
                    .as_ref()
                    .is_none_or(|(system, code)| coded(e, system, code))
            })
            .filter(|e| query.from.is_none_or(|from| e.effective_at >= from))
            .filter(|e| query.to.is_none_or(|to| e.effective_at < to))
            .filter(|e| query.after.is_none_or(|after| e.position() > after))
            .cloned()
            .collect();
        found.sort_by_key(ClinicalEntry::position);
        found.truncate(query.limit as usize);
        Ok(found)
    }

    async fn latest_entries(
        &self,
        patient: PatientId,
        kind: EntryKind,
        codes: &[(String, String)],
    ) -> Result<Vec<ClinicalEntry>> {
        let state = self.lock();
        let mut latest: std::collections::BTreeMap<(String, String), ClinicalEntry> =
            Default::default();
        for entry in current_of(&state.records, patient) {
            let Some(coding) = entry.body.code() else {
                continue;
            };
            let key = (coding.system.clone(), coding.code.clone());
            if entry.kind() != kind
                || entry.is_retracted()
                || !(codes.is_empty() || codes.contains(&key))
            {
                continue;
            }
            let newer = latest
                .get(&key)
                .is_none_or(|held| entry.position() > held.position());
            if newer {
                latest.insert(key, entry.clone());
            }
        }
        Ok(latest.into_values().collect())
    }

    async fn entries_by_code(&self, query: &CodeQuery) -> Result<Vec<ClinicalEntry>> {
        let state = self.lock();
        let in_scope = |patient: PatientId| match &query.scope {
            PatientScope::All => true,
            PatientScope::CareTeamOf(practitioner) => {
                state.care_team.contains_key(&(patient, *practitioner))
            }
        };
        let mut found: Vec<ClinicalEntry> = state
            .records
            .values()
            .filter_map(|versions| versions.last())
            .filter(|e| e.kind() == query.kind && !e.is_retracted())
            .filter(|e| coded(e, &query.system, &query.code))
            .filter(|e| query.from.is_none_or(|from| e.effective_at >= from))
            .filter(|e| query.to.is_none_or(|to| e.effective_at < to))
            .filter(|e| in_scope(e.patient))
            .filter(|e| query.after.is_none_or(|after| e.position() > after))
            .cloned()
            .collect();
        found.sort_by_key(ClinicalEntry::position);
        found.truncate(query.limit as usize);
        Ok(found)
    }
}
