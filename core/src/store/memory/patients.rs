//! MemoryStore's register and merge log: the reference semantics of
//! patient writes (versions, identifier uniqueness, search keys as core
//! computed them) and of every patient query.

use std::ops::Range;

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::error::ConflictDetail;
use crate::ids::{MergeId, PatientId};
use crate::patient::normalize::SearchKeys;
use crate::patient::{MergeRecord, Patient, PatientSearch, SearchHit};
use crate::store::{MergeWrite, PatientStore, PatientWrite, PatientWrites};
use crate::{Error, Result};

fn claim_identifiers(state: &mut State, patient: &Patient) -> Result<()> {
    for ident in &patient.details.identifiers {
        let key = (ident.system.clone(), ident.value.clone());
        match state.identifiers.get(&key) {
            Some(owner) if *owner != patient.id => {
                return Err(Error::Conflict {
                    detail: ConflictDetail::DuplicateIdentifier {
                        system: ident.system.clone(),
                    },
                })
            }
            _ => {
                state.identifiers.insert(key, patient.id);
            }
        }
    }
    Ok(())
}

#[async_trait]
impl PatientWrites for State {
    async fn write_patient(&mut self, write: PatientWrite) -> Result<()> {
        let (mut patient, keys) = match write {
            PatientWrite::Insert { patient, keys } => {
                if self.patients.contains_key(&patient.id) {
                    return Err(Error::Conflict {
                        detail: ConflictDetail::AlreadyExists {
                            entity: "patient".into(),
                        },
                    });
                }
                (patient, keys)
            }
            PatientWrite::Update {
                patient,
                keys,
                expected_version,
            } => {
                let stored = self
                    .patients
                    .get(&patient.id)
                    .ok_or_else(|| Error::not_found("patient"))?;
                if stored.version != expected_version {
                    return Err(Error::stale(
                        "patient",
                        expected_version,
                        stored.version.get(),
                    ));
                }
                let old = stored.details.identifiers.clone();
                for ident in old {
                    self.identifiers.remove(&(ident.system, ident.value));
                }
                (patient, keys)
            }
        };
        claim_identifiers(self, &patient)?;
        patient.hidden_fields.clear();
        self.keys.insert(patient.id, keys);
        self.patients.insert(patient.id, patient);
        Ok(())
    }

    async fn write_merge(&mut self, write: MergeWrite) -> Result<()> {
        match write {
            MergeWrite::Insert(m) => {
                self.merges.insert(m.id, m);
            }
            MergeWrite::Undo { id, by, at } => {
                let m = self
                    .merges
                    .get_mut(&id)
                    .ok_or_else(|| Error::not_found("merge"))?;
                if m.unmerged_at.is_some() {
                    return Err(Error::invalid_state("merge", "already undone"));
                }
                m.unmerged_by = Some(by);
                m.unmerged_at = Some(at);
            }
        }
        Ok(())
    }
}

/// The smallest of a patient's name tokens that starts with `driver`: its
/// place in a name search's page order.
fn name_key(keys: &SearchKeys, driver: &str) -> Option<String> {
    keys.name_tokens
        .iter()
        .filter(|t| t.starts_with(driver))
        .min()
        .cloned()
}

fn matches(p: &Patient, keys: Option<&SearchKeys>, s: &PatientSearch) -> bool {
    let empty = SearchKeys::default();
    let keys = keys.unwrap_or(&empty);
    let d = &p.details;
    s.name_prefixes
        .iter()
        .all(|pre| keys.name_tokens.iter().any(|t| t.starts_with(pre.as_str())))
        && s.birth_date.is_none_or(|b| d.birth_date == Some(b))
        && s.identifier_value.as_ref().is_none_or(|v| {
            d.identifiers.iter().any(|i| {
                &i.value == v
                    && s.identifier_system
                        .as_ref()
                        .is_none_or(|sys| &i.system == sys)
            })
        })
        && (s.identifier_value.is_some()
            || s.identifier_system
                .as_ref()
                .is_none_or(|sys| d.identifiers.iter().any(|i| &i.system == sys)))
        && s.phone.as_ref().is_none_or(|ph| keys.phones.contains(ph))
        && s.email.as_ref().is_none_or(|em| keys.emails.contains(em))
        && s.gender.is_none_or(|g| d.gender == Some(g))
        && s.active.is_none_or(|a| p.active == a)
}

fn shares_blocking_key(a: &Patient, ak: &SearchKeys, b: &Patient, bk: &SearchKeys) -> bool {
    let any = |x: &[String], y: &[String]| x.iter().any(|v| y.contains(v));
    any(&ak.name_tokens, &bk.name_tokens)
        || (a.details.birth_date.is_some() && a.details.birth_date == b.details.birth_date)
        || any(&ak.phones, &bk.phones)
        || any(&ak.emails, &bk.emails)
        || a.details
            .identifiers
            .iter()
            .any(|i| b.details.identifiers.iter().any(|j| i.value == j.value))
}

#[async_trait]
impl PatientStore for MemoryStore {
    async fn patient(&self, id: PatientId) -> Result<Option<Patient>> {
        Ok(self.lock().patients.get(&id).cloned())
    }

    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<SearchHit>> {
        let state = self.lock();
        let empty = SearchKeys::default();
        let mut hits: Vec<SearchHit> = state
            .patients
            .iter()
            .filter(|(id, p)| matches(p, state.keys.get(*id), search))
            .map(|(id, p)| SearchHit {
                patient: p.clone(),
                name_key: search
                    .name_prefixes
                    .first()
                    .and_then(|driver| name_key(state.keys.get(id).unwrap_or(&empty), driver)),
            })
            .filter(|hit| {
                search
                    .after
                    .as_ref()
                    .is_none_or(|after| hit.position() > *after)
            })
            .collect();
        hits.sort_by_key(SearchHit::position);
        hits.truncate(search.limit as usize);
        Ok(hits)
    }

    async fn duplicate_candidates(
        &self,
        patient: &Patient,
        probe_keys: &SearchKeys,
        limit: u32,
    ) -> Result<Vec<Patient>> {
        let state = self.lock();
        let empty = SearchKeys::default();
        Ok(state
            .patients
            .values()
            .filter(|p| p.id != patient.id && p.active && p.merged_into.is_none())
            .filter(|p| {
                let keys = state.keys.get(&p.id).unwrap_or(&empty);
                shares_blocking_key(patient, probe_keys, p, keys)
            })
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn counter(&self, name: &str) -> Result<u64> {
        Ok(self.lock().counters.get(name).copied().unwrap_or(0))
    }

    async fn allocate_block(&self, name: &str, count: u32) -> Result<Range<u64>> {
        let mut state = self.lock();
        let first = state.counters.get(name).copied().unwrap_or(0) + 1;
        let end = first.saturating_add(u64::from(count));
        state.counters.insert(name.to_owned(), end - 1);
        Ok(first..end)
    }

    async fn merge(&self, id: MergeId) -> Result<Option<MergeRecord>> {
        Ok(self.lock().merges.get(&id).cloned())
    }

    async fn merges_for(&self, patient: PatientId) -> Result<Vec<MergeRecord>> {
        Ok(self
            .lock()
            .merges
            .values()
            .filter(|m| m.survivor == patient || m.merged == patient)
            .cloned()
            .collect())
    }
}
