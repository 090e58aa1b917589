//! The in-memory backend: the reference semantics every other backend must
//! match (the conformance suite runs against it first). One lock guards the
//! whole state, so a change set is atomic and its preconditions are checked
//! under the same lock that applies it. The state lives in persistent maps,
//! so the copy a change set is applied to costs O(1), not O(size).

mod schedule;

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

use imbl::{HashMap, OrdMap as BTreeMap, Vector};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    AckWrite, Applied, CareTeamWrite, ChangeSet, CheckpointWrite, GrantWrite, MergeWrite,
    PatientWrite, Reference, ReferenceKind, Store,
};
use crate::access::{BreakGlassGrant, CareAssignment};
use crate::audit::{
    seal, AuditCheckpoint, AuditEntry, AuditKey, AuditQuery, ChainHead, GENESIS_HASH,
};
use crate::error::ConflictDetail;
use crate::events::OutboxEvent;
use crate::ids::{ActorId, AuditEntryId, GrantId, MergeId, PatientId, PractitionerId};
use crate::ids::{AppointmentId, ResourceId, VisitTypeId};
use crate::patient::normalize::SearchKeys;
use crate::patient::{MergeRecord, Patient, PatientSearch};
use crate::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, BusyQuery, BusySpan, CountQuery, DueReminder,
    Practitioner, Resource, VisitType,
};
use crate::{Error, Result};

#[derive(Default, Clone)]
struct State {
    patients: BTreeMap<PatientId, Patient>,
    keys: HashMap<PatientId, SearchKeys>,
    identifiers: HashMap<(String, String), PatientId>,
    care_team: BTreeMap<(PatientId, PractitionerId), CareAssignment>,
    grants: BTreeMap<GrantId, BreakGlassGrant>,
    merges: BTreeMap<MergeId, MergeRecord>,
    counters: HashMap<String, u64>,
    consumers: HashMap<String, u64>,
    audit: BTreeMap<AuditEntryId, AuditEntry>,
    chains: HashMap<Option<PatientId>, Vector<AuditEntryId>>,
    heads: HashMap<Option<PatientId>, ChainHead>,
    checkpoints: Vector<AuditCheckpoint>,
    pinned: HashMap<Option<PatientId>, ChainHead>,
    audit_key: AuditKey,
    events: Vector<OutboxEvent>,
    schedules: schedule::Schedules,
}

/// A store in process memory: for tests, demos and hosts that persist elsewhere.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change
        // set (apply works on a copy), so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `edit` on the raw audit rows of one chain. Exists so tests can
    /// tamper with the trail and prove that verification notices.
    #[doc(hidden)]
    pub fn tamper_audit_chain(
        &self,
        chain: Option<PatientId>,
        edit: impl FnOnce(&mut Vec<AuditEntry>),
    ) {
        let mut state = self.lock();
        let ids = state.chains.get(&chain).cloned().unwrap_or_default();
        let mut entries: Vec<AuditEntry> = ids
            .iter()
            .filter_map(|id| state.audit.get(id).cloned())
            .collect();
        edit(&mut entries);
        for id in ids {
            state.audit.remove(&id);
        }
        state
            .chains
            .insert(chain, entries.iter().map(|e| e.draft.id).collect());
        for e in entries {
            state.audit.insert(e.draft.id, e);
        }
    }

    /// Runs `edit` on the raw chain heads, for tamper tests.
    #[doc(hidden)]
    pub fn tamper_audit_heads(&self, edit: impl FnOnce(&mut Vec<ChainHead>)) {
        let mut state = self.lock();
        let mut heads: Vec<ChainHead> = state.heads.values().cloned().collect();
        edit(&mut heads);
        state.heads = heads.into_iter().map(|h| (h.chain, h)).collect();
    }

    /// Runs `edit` on the raw checkpoint history, for tamper tests.
    #[doc(hidden)]
    pub fn tamper_audit_checkpoints(&self, edit: impl FnOnce(&mut Vec<AuditCheckpoint>)) {
        let mut state = self.lock();
        let mut checkpoints: Vec<AuditCheckpoint> = state.checkpoints.iter().cloned().collect();
        edit(&mut checkpoints);
        state.checkpoints = checkpoints.into_iter().collect();
    }
}

fn write_checkpoint(state: &mut State, write: CheckpointWrite) -> Result<()> {
    let newest = state.checkpoints.last();
    let (seq, signature) = newest.map_or((0, GENESIS_HASH), |c| (c.seq, c.signature.as_str()));
    let cp = write.checkpoint;
    if cp.seq != seq + 1 || cp.prev_signature != signature {
        return Err(Error::stale(
            "audit checkpoint",
            cp.seq.saturating_sub(1),
            seq,
        ));
    }
    for head in write.changed_heads {
        state.pinned.insert(head.chain, head);
    }
    state.checkpoints.push_back(cp);
    Ok(())
}

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

fn write_patient(state: &mut State, write: PatientWrite) -> Result<()> {
    let patient = match write {
        PatientWrite::Insert { patient, keys } => {
            if state.patients.contains_key(&patient.id) {
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
            let stored = state
                .patients
                .get(&patient.id)
                .ok_or_else(|| Error::not_found("patient"))?;
            if stored.version != expected_version {
                return Err(Error::stale("patient", expected_version, stored.version));
            }
            let old = stored.details.identifiers.clone();
            for ident in old {
                state.identifiers.remove(&(ident.system, ident.value));
            }
            (patient, keys)
        }
    };
    let (mut patient, keys) = patient;
    claim_identifiers(state, &patient)?;
    patient.hidden_fields.clear();
    state.keys.insert(patient.id, keys);
    state.patients.insert(patient.id, patient);
    Ok(())
}

fn write_care_team(state: &mut State, write: CareTeamWrite) -> Result<()> {
    match write {
        CareTeamWrite::Assign(a) => {
            let key = (a.patient, a.practitioner);
            if state.care_team.contains_key(&key) {
                return Err(Error::Conflict {
                    detail: ConflictDetail::AlreadyExists {
                        entity: "care team assignment".into(),
                    },
                });
            }
            state.care_team.insert(key, a);
        }
        CareTeamWrite::Remove {
            patient,
            practitioner,
        } => {
            state
                .care_team
                .remove(&(patient, practitioner))
                .ok_or_else(|| Error::not_found("care team assignment"))?;
        }
    }
    Ok(())
}

fn write_grant(state: &mut State, write: GrantWrite) -> Result<()> {
    match write {
        GrantWrite::Insert(g) => {
            state.grants.insert(g.id, g);
        }
        GrantWrite::Review { id, by, at, note } => {
            let g = state
                .grants
                .get_mut(&id)
                .ok_or_else(|| Error::not_found("break-glass grant"))?;
            if g.reviewed_at.is_some() {
                return Err(Error::invalid_state(
                    "break-glass grant",
                    "already reviewed",
                ));
            }
            g.reviewed_by = Some(by);
            g.reviewed_at = Some(at);
            g.review_note = note;
        }
    }
    Ok(())
}

fn write_merge(state: &mut State, write: MergeWrite) -> Result<()> {
    match write {
        MergeWrite::Insert(m) => {
            state.merges.insert(m.id, m);
        }
        MergeWrite::Undo { id, by, at } => {
            let m = state
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

fn write_ack(state: &mut State, write: AckWrite) {
    let pos = state.consumers.entry(write.consumer).or_insert(0);
    *pos = (*pos).max(write.seq);
}

/// Whether the record `reference` names exists.
fn exists(state: &State, reference: &Reference) -> bool {
    let sched = &state.schedules;
    match reference.kind {
        ReferenceKind::Patient => state.patients.contains_key(&PatientId(reference.id)),
        ReferenceKind::Practitioner => sched
            .practitioners
            .contains_key(&PractitionerId(reference.id)),
        ReferenceKind::Resource => sched.resources.contains_key(&ResourceId(reference.id)),
        ReferenceKind::VisitType => sched.visit_types.contains_key(&VisitTypeId(reference.id)),
    }
}

fn apply_to(state: &mut State, changes: ChangeSet) -> Result<Applied> {
    if let Some(missing) = changes.references.iter().find(|r| !exists(state, r)) {
        return Err(missing.missing());
    }
    for w in changes.patients {
        write_patient(state, w)?;
    }
    for w in changes.care_team {
        write_care_team(state, w)?;
    }
    for w in changes.grants {
        write_grant(state, w)?;
    }
    for w in changes.merges {
        write_merge(state, w)?;
    }
    for w in changes.acks {
        write_ack(state, w);
    }
    let sched = &mut state.schedules;
    for w in changes.practitioners {
        schedule::write(&mut sched.practitioners, w)?;
    }
    for w in changes.resources {
        schedule::write(&mut sched.resources, w)?;
    }
    for w in changes.visit_types {
        schedule::write(&mut sched.visit_types, w)?;
    }
    for w in changes.appointments {
        schedule::write_appointment(&mut sched.appointments, w)?;
    }
    schedule::check_day_limits(sched, &changes.day_limits)?;
    for sent in changes.reminders_sent {
        schedule::mark_sent(&mut sched.appointments, sent)?;
    }
    if let Some(w) = changes.checkpoint {
        write_checkpoint(state, w)?;
    }
    let mut applied = Applied::default();
    for draft in changes.audit {
        let chain = draft.patient;
        let entry = seal(draft, state.heads.get(&chain), &state.audit_key);
        state.heads.insert(
            chain,
            ChainHead {
                chain,
                seq: entry.chain_seq,
                hash: entry.hash.clone(),
            },
        );
        state
            .chains
            .entry(chain)
            .or_default()
            .push_back(entry.draft.id);
        state.audit.insert(entry.draft.id, entry.clone());
        applied.audit.push(entry);
    }
    for draft in changes.events {
        let seq = state.events.last().map_or(1, |e| e.seq + 1);
        let event = OutboxEvent { seq, draft };
        state.events.push_back(event.clone());
        applied.events.push(event);
    }
    Ok(applied)
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
        && s.after.is_none_or(|after| p.id > after)
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

fn chain_entries(state: &State, chain: Option<PatientId>) -> Vec<AuditEntry> {
    state
        .chains
        .get(&chain)
        .map(|ids| {
            ids.iter()
                .filter_map(|id| state.audit.get(id).cloned())
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait]
impl Store for MemoryStore {
    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        let mut state = self.lock();
        // Work on a copy so a failing precondition leaves nothing behind.
        let mut next = state.clone();
        let applied = apply_to(&mut next, changes)?;
        *state = next;
        Ok(applied)
    }

    fn use_audit_key(&self, key: AuditKey) {
        self.lock().audit_key = key;
    }

    async fn patient(&self, id: PatientId) -> Result<Option<Patient>> {
        Ok(self.lock().patients.get(&id).cloned())
    }

    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<Patient>> {
        let state = self.lock();
        let range = match search.after {
            Some(after) => state.patients.range(after..),
            None => state.patients.range::<_, PatientId>(..),
        };
        Ok(range
            .filter(|(id, p)| matches(p, state.keys.get(*id), search))
            .map(|(_, p)| p.clone())
            .take(search.limit as usize)
            .collect())
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

    async fn allocate(&self, name: &str) -> Result<u64> {
        let mut state = self.lock();
        let next = state.counters.get(name).copied().unwrap_or(0) + 1;
        state.counters.insert(name.to_owned(), next);
        Ok(next)
    }

    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>> {
        Ok(self
            .lock()
            .care_team
            .values()
            .filter(|a| a.patient == patient)
            .cloned()
            .collect())
    }

    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool> {
        Ok(self.lock().care_team.contains_key(&(patient, practitioner)))
    }

    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>> {
        Ok(self.lock().grants.get(&id).cloned())
    }

    async fn active_grant(
        &self,
        actor: ActorId,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Result<Option<BreakGlassGrant>> {
        Ok(self
            .lock()
            .grants
            .values()
            .rev()
            .find(|g| g.actor == actor && g.patient == patient && g.is_active(now))
            .cloned())
    }

    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>> {
        Ok(self
            .lock()
            .grants
            .values()
            .filter(|g| g.reviewed_at.is_none())
            .take(limit as usize)
            .cloned()
            .collect())
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

    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let state = self.lock();
        let limit = query.limit.unwrap_or(100).min(1000) as usize;
        let range = match query.after {
            Some(after) => state.audit.range(after..),
            None => state.audit.range::<_, AuditEntryId>(..),
        };
        Ok(range
            .map(|(_, e)| e)
            .filter(|e| query.after != Some(e.draft.id))
            .filter(|e| query.patient.is_none_or(|p| e.draft.patient == Some(p)))
            .filter(|e| query.actor.is_none_or(|a| e.draft.actor == a))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>> {
        Ok(self.lock().heads.values().cloned().collect())
    }

    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>> {
        let state = self.lock();
        let mut chains: HashSet<Option<PatientId>> = state.heads.keys().copied().collect();
        chains.extend(
            state
                .chains
                .iter()
                .filter(|(_, ids)| !ids.is_empty())
                .map(|(c, _)| *c),
        );
        let mut chains: Vec<_> = chains.into_iter().collect();
        chains.sort();
        Ok(chains)
    }

    async fn audit_chain(
        &self,
        chain: Option<PatientId>,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let state = self.lock();
        let mut entries = chain_entries(&state, chain);
        entries.sort_by_key(|e| e.chain_seq);
        Ok(entries
            .into_iter()
            .filter(|e| e.chain_seq >= from_seq)
            .take(limit as usize)
            .collect())
    }

    async fn audit_checkpoints(&self, after: u64, limit: u32) -> Result<Vec<AuditCheckpoint>> {
        Ok(self
            .lock()
            .checkpoints
            .iter()
            .filter(|c| c.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>> {
        Ok(self.lock().checkpoints.last().cloned())
    }

    async fn audit_checkpoint_heads(&self) -> Result<Vec<ChainHead>> {
        Ok(self.lock().pinned.values().cloned().collect())
    }

    async fn practitioner(&self, id: PractitionerId) -> Result<Option<Practitioner>> {
        Ok(self.lock().schedules.practitioners.get(&id).cloned())
    }

    async fn practitioners(&self) -> Result<Vec<Practitioner>> {
        Ok(self
            .lock()
            .schedules
            .practitioners
            .values()
            .cloned()
            .collect())
    }

    async fn resource(&self, id: ResourceId) -> Result<Option<Resource>> {
        Ok(self.lock().schedules.resources.get(&id).cloned())
    }

    async fn resources(&self) -> Result<Vec<Resource>> {
        Ok(self.lock().schedules.resources.values().cloned().collect())
    }

    async fn visit_type(&self, id: VisitTypeId) -> Result<Option<VisitType>> {
        Ok(self.lock().schedules.visit_types.get(&id).cloned())
    }

    async fn visit_types(&self) -> Result<Vec<VisitType>> {
        Ok(self
            .lock()
            .schedules
            .visit_types
            .values()
            .cloned()
            .collect())
    }

    async fn appointment(&self, id: AppointmentId) -> Result<Option<Appointment>> {
        Ok(self.lock().schedules.appointments.get(&id).cloned())
    }

    async fn appointments(&self, query: &AppointmentQuery) -> Result<Vec<Appointment>> {
        Ok(schedule::appointments(&self.lock().schedules, query))
    }

    async fn busy(&self, query: &BusyQuery) -> Result<Vec<BusySpan>> {
        Ok(schedule::busy(&self.lock().schedules, query))
    }

    async fn appointment_counts(&self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        Ok(schedule::counts(&self.lock().schedules, query))
    }

    async fn due_reminders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueReminder>> {
        Ok(schedule::due(&self.lock().schedules, from, to, limit))
    }

    async fn events_after(&self, after: u64, limit: u32) -> Result<Vec<OutboxEvent>> {
        Ok(self
            .lock()
            .events
            .iter()
            .filter(|e| e.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn consumer_position(&self, consumer: &str) -> Result<u64> {
        Ok(self.lock().consumers.get(consumer).copied().unwrap_or(0))
    }
}
