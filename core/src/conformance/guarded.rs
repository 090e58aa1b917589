//! A store kept together with what must outlive it in a test.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::access::{BreakGlassGrant, CareAssignment};
use crate::audit::{AuditCheckpoint, AuditEntry, AuditKey, AuditQuery, ChainHead};
use crate::events::OutboxEvent;
use crate::ids::{
    ActorId, AppointmentId, EntryId, GrantId, MergeId, PatientId, PractitionerId, ResourceId,
    VisitTypeId,
};
use crate::patient::normalize::SearchKeys;
use crate::patient::{MergeRecord, Patient, PatientSearch, SearchHit};
use crate::record::{ClinicalEntry, CodeQuery, EntryKind, EntryQuery};
use crate::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, BusyQuery, BusySpan, CountQuery, DueReminder,
    Practitioner, Resource, VisitType,
};
use crate::store::{
    AccessStore, Applied, AuditStore, ChangeSet, OutboxStore, PatientStore, RecordStore,
    ScheduleStore, Store,
};
use crate::Result;

/// A backend's store plus its test fixture (a temporary directory, a schema
/// to drop…). Fields drop in order: the store (and its connections) goes
/// before the guard cleans up. Every method of every store trait goes to
/// `store`, so any backend's tests can hand it to the conformance suite as
/// `Arc<dyn Store>`.
pub struct Guarded<S, G> {
    /// The store under test.
    pub store: S,
    /// What must outlive it.
    pub guard: G,
}

#[async_trait]
impl<S: Store, G: Send + Sync> Store for Guarded<S, G> {
    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        self.store.apply(changes).await
    }
    async fn apply_each(&self, change_sets: Vec<ChangeSet>) -> Vec<Result<Applied>> {
        self.store.apply_each(change_sets).await
    }
    fn use_audit_key(&self, key: AuditKey) {
        self.store.use_audit_key(key)
    }
    fn blobs(&self) -> Option<std::sync::Arc<dyn crate::store::BlobStore>> {
        self.store.blobs()
    }
}

#[async_trait]
impl<S: Store, G: Send + Sync> PatientStore for Guarded<S, G> {
    async fn patient(&self, id: PatientId) -> Result<Option<Patient>> {
        self.store.patient(id).await
    }
    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<SearchHit>> {
        self.store.search_patients(search).await
    }
    async fn duplicate_candidates(
        &self,
        patient: &Patient,
        keys: &SearchKeys,
        limit: u32,
    ) -> Result<Vec<Patient>> {
        self.store.duplicate_candidates(patient, keys, limit).await
    }
    async fn counter(&self, name: &str) -> Result<u64> {
        self.store.counter(name).await
    }
    async fn allocate(&self, name: &str) -> Result<u64> {
        self.store.allocate(name).await
    }
    async fn allocate_block(&self, name: &str, count: u32) -> Result<std::ops::Range<u64>> {
        self.store.allocate_block(name, count).await
    }
    async fn merge(&self, id: MergeId) -> Result<Option<MergeRecord>> {
        self.store.merge(id).await
    }
    async fn merges_for(&self, patient: PatientId) -> Result<Vec<MergeRecord>> {
        self.store.merges_for(patient).await
    }
}

#[async_trait]
impl<S: Store, G: Send + Sync> AccessStore for Guarded<S, G> {
    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>> {
        self.store.care_team(patient).await
    }
    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool> {
        self.store.is_on_care_team(patient, practitioner).await
    }
    async fn patients_of_practitioner(
        &self,
        practitioner: PractitionerId,
        after: Option<PatientId>,
        limit: u32,
        include_inactive: bool,
    ) -> Result<Vec<PatientId>> {
        self.store
            .patients_of_practitioner(practitioner, after, limit, include_inactive)
            .await
    }
    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>> {
        self.store.grant(id).await
    }
    async fn active_grant(
        &self,
        actor: ActorId,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Result<Option<BreakGlassGrant>> {
        self.store.active_grant(actor, patient, now).await
    }
    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>> {
        self.store.grants_awaiting_review(limit).await
    }
}

#[async_trait]
impl<S: Store, G: Send + Sync> AuditStore for Guarded<S, G> {
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.store.audit_entries(query).await
    }
    async fn audit_heads(&self) -> Result<Vec<ChainHead>> {
        self.store.audit_heads().await
    }
    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>> {
        self.store.audit_chains().await
    }
    async fn audit_chain(
        &self,
        chain: Option<PatientId>,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        self.store.audit_chain(chain, from_seq, limit).await
    }
    async fn audit_checkpoints(&self, after: u64, limit: u32) -> Result<Vec<AuditCheckpoint>> {
        self.store.audit_checkpoints(after, limit).await
    }
    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>> {
        self.store.latest_audit_checkpoint().await
    }
    async fn audit_checkpoint_heads(&self) -> Result<Vec<ChainHead>> {
        self.store.audit_checkpoint_heads().await
    }
}

#[async_trait]
impl<S: Store, G: Send + Sync> ScheduleStore for Guarded<S, G> {
    async fn practitioner(&self, id: PractitionerId) -> Result<Option<Practitioner>> {
        self.store.practitioner(id).await
    }
    async fn practitioners(&self) -> Result<Vec<Practitioner>> {
        self.store.practitioners().await
    }
    async fn resource(&self, id: ResourceId) -> Result<Option<Resource>> {
        self.store.resource(id).await
    }
    async fn resources(&self) -> Result<Vec<Resource>> {
        self.store.resources().await
    }
    async fn visit_type(&self, id: VisitTypeId) -> Result<Option<VisitType>> {
        self.store.visit_type(id).await
    }
    async fn visit_types(&self) -> Result<Vec<VisitType>> {
        self.store.visit_types().await
    }
    async fn appointment(&self, id: AppointmentId) -> Result<Option<Appointment>> {
        self.store.appointment(id).await
    }
    async fn appointments(&self, query: &AppointmentQuery) -> Result<Vec<Appointment>> {
        self.store.appointments(query).await
    }
    async fn busy(&self, query: &BusyQuery) -> Result<Vec<BusySpan>> {
        self.store.busy(query).await
    }
    async fn appointment_counts(&self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        self.store.appointment_counts(query).await
    }
    async fn due_reminders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueReminder>> {
        self.store.due_reminders(from, to, limit).await
    }
}

#[async_trait]
impl<S: Store, G: Send + Sync> OutboxStore for Guarded<S, G> {
    fn outbox_partitions(&self) -> u32 {
        self.store.outbox_partitions()
    }
    async fn events_after(&self, after: &[u64], limit: u32) -> Result<Vec<OutboxEvent>> {
        self.store.events_after(after, limit).await
    }
    async fn last_seq(&self, partition: u32) -> Result<u64> {
        self.store.last_seq(partition).await
    }
    async fn consumer_position(&self, consumer: &str) -> Result<Vec<u64>> {
        self.store.consumer_position(consumer).await
    }
}

#[async_trait]
impl<S: Store, G: Send + Sync> RecordStore for Guarded<S, G> {
    async fn entry(&self, patient: PatientId, id: EntryId) -> Result<Option<ClinicalEntry>> {
        self.store.entry(patient, id).await
    }
    async fn entry_versions(&self, patient: PatientId, id: EntryId) -> Result<Vec<ClinicalEntry>> {
        self.store.entry_versions(patient, id).await
    }
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<ClinicalEntry>> {
        self.store.entries(query).await
    }
    async fn latest_entries(
        &self,
        patient: PatientId,
        kind: EntryKind,
        codes: &[(String, String)],
    ) -> Result<Vec<ClinicalEntry>> {
        self.store.latest_entries(patient, kind, codes).await
    }
    async fn entries_by_code(&self, query: &CodeQuery) -> Result<Vec<ClinicalEntry>> {
        self.store.entries_by_code(query).await
    }
}
