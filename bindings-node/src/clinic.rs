//! The `Clinic` class: one async method per `carebase::Clinic` operation.
//! Each converts its arguments, calls core, and converts the result. The
//! scheduling methods are a second `impl` block in `schedule/clinic.rs`.

use carebase as cb;
use napi::Result;
use napi_derive::napi;

use crate::convert::{list, policy_in, Check};
use crate::error::JsResult;
use crate::types::*;

/// The clinic's rules over one store. Every method returns a Promise.
#[napi]
pub struct Clinic {
    pub(crate) inner: cb::Clinic,
}

impl Clinic {
    pub fn new(inner: cb::Clinic) -> Self {
        Self { inner }
    }
}

#[napi]
impl Clinic {
    /// Registers a patient (optionally allocating an MRN for `mrnFacility`).
    #[napi(strict)]
    pub async fn register_patient(&self, actor: Actor, patient: NewPatient) -> Result<Patient> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let details = c.details(patient.details.0);
        c.done_details(&details, self.inner.settings()).js()?;
        let new = cb::clinic::NewPatient {
            details,
            mrn_facility: patient.mrn_facility,
        };
        Ok(self.inner.register_patient(&actor, new).await.js()?.into())
    }

    /// Reads one patient, masked to what the actor may see.
    #[napi(strict)]
    pub async fn get_patient(&self, actor: Actor, id: String) -> Result<Patient> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.patient_id("id", &id);
        c.done().js()?;
        Ok(self.inner.get_patient(&actor, id).await.js()?.into())
    }

    /// Replaces a patient's details; `expectedVersion` must be current.
    #[napi(strict)]
    pub async fn update_patient(
        &self,
        actor: Actor,
        id: String,
        expected_version: f64,
        details: PatientDetails,
    ) -> Result<Patient> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.patient_id("id", &id);
        let version = c.count("expected_version", expected_version);
        let details = c.details(details);
        c.done_details(&details, self.inner.settings()).js()?;
        let updated = self.inner.update_patient(&actor, id, version, details);
        Ok(updated.await.js()?.into())
    }

    /// Marks a patient inactive.
    #[napi(strict)]
    pub async fn deactivate_patient(
        &self,
        actor: Actor,
        id: String,
        expected_version: f64,
    ) -> Result<Patient> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.patient_id("id", &id);
        let version = c.count("expected_version", expected_version);
        c.done().js()?;
        let done = self.inner.deactivate_patient(&actor, id, version);
        Ok(done.await.js()?.into())
    }

    /// Marks an inactive patient active again.
    #[napi(strict)]
    pub async fn reactivate_patient(
        &self,
        actor: Actor,
        id: String,
        expected_version: f64,
    ) -> Result<Patient> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.patient_id("id", &id);
        let version = c.count("expected_version", expected_version);
        c.done().js()?;
        let done = self.inner.reactivate_patient(&actor, id, version);
        Ok(done.await.js()?.into())
    }

    /// Searches patients; page on with `nextCursor`.
    #[napi(strict)]
    pub async fn search_patients(
        &self,
        actor: Actor,
        query: Option<PatientQuery>,
    ) -> Result<PatientPage> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let query = query.map(|q| c.query(q)).unwrap_or_default();
        c.done().js()?;
        Ok(self
            .inner
            .search_patients(&actor, &query)
            .await
            .js()?
            .into())
    }

    /// Allocates the next MRN of a facility's namespace.
    #[napi(strict)]
    pub async fn generate_mrn(&self, actor: Actor, facility: String) -> Result<Identifier> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        c.done().js()?;
        Ok(self
            .inner
            .generate_mrn(&actor, &facility)
            .await
            .js()?
            .into())
    }

    /// Possible duplicates of a patient, best first.
    #[napi(strict)]
    pub async fn find_duplicates(
        &self,
        actor: Actor,
        id: String,
        limit: f64,
    ) -> Result<Vec<DuplicateCandidate>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.patient_id("id", &id);
        let limit = c.small("limit", limit);
        c.done().js()?;
        Ok(list(
            self.inner.find_duplicates(&actor, id, limit).await.js()?,
        ))
    }

    /// Merges `merged` into `survivor` (both at their expected versions).
    #[napi(strict)]
    pub async fn merge_patients(
        &self,
        actor: Actor,
        survivor: String,
        survivor_version: f64,
        merged: String,
        merged_version: f64,
    ) -> Result<MergeRecord> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let survivor = c.patient_id("survivor", &survivor);
        let survivor_version = c.count("survivor_version", survivor_version);
        let merged = c.patient_id("merged", &merged);
        let merged_version = c.count("merged_version", merged_version);
        c.done().js()?;
        let merge =
            self.inner
                .merge_patients(&actor, survivor, survivor_version, merged, merged_version);
        Ok(merge.await.js()?.into())
    }

    /// Undoes a merge; returns the restored patient.
    #[napi(strict)]
    pub async fn unmerge_patients(&self, actor: Actor, merge_id: String) -> Result<Patient> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let merge_id = cb::MergeId(c.uuid("merge_id", &merge_id));
        c.done().js()?;
        Ok(self
            .inner
            .unmerge_patients(&actor, merge_id)
            .await
            .js()?
            .into())
    }

    /// The merges a patient took part in.
    #[napi(strict)]
    pub async fn merge_history(&self, actor: Actor, patient: String) -> Result<Vec<MergeRecord>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let patient = c.patient_id("patient", &patient);
        c.done().js()?;
        Ok(list(self.inner.merge_history(&actor, patient).await.js()?))
    }

    /// Puts a practitioner on a patient's care team.
    #[napi(strict)]
    pub async fn assign_care_team(
        &self,
        actor: Actor,
        patient: String,
        practitioner: String,
    ) -> Result<CareAssignment> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let patient = c.patient_id("patient", &patient);
        let practitioner = cb::PractitionerId(c.uuid("practitioner", &practitioner));
        c.done().js()?;
        let assigned = self.inner.assign_care_team(&actor, patient, practitioner);
        Ok(assigned.await.js()?.into())
    }

    /// Takes a practitioner off a patient's care team.
    #[napi(strict)]
    pub async fn remove_care_team(
        &self,
        actor: Actor,
        patient: String,
        practitioner: String,
    ) -> Result<()> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let patient = c.patient_id("patient", &patient);
        let practitioner = cb::PractitionerId(c.uuid("practitioner", &practitioner));
        c.done().js()?;
        let removed = self.inner.remove_care_team(&actor, patient, practitioner);
        removed.await.js()
    }

    /// A patient's care team.
    #[napi(strict)]
    pub async fn care_team(&self, actor: Actor, patient: String) -> Result<Vec<CareAssignment>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let patient = c.patient_id("patient", &patient);
        c.done().js()?;
        Ok(list(self.inner.care_team(&actor, patient).await.js()?))
    }

    /// A practitioner's "my patients", paged with `nextCursor`.
    #[napi(strict)]
    pub async fn patients_of_practitioner(
        &self,
        actor: Actor,
        practitioner: String,
        query: Option<PageQuery>,
    ) -> Result<PatientPage> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let practitioner = cb::PractitionerId(c.uuid("practitioner", &practitioner));
        let query = query.map_or_else(Default::default, |q| cb::patient::PageQuery {
            limit: q.limit.map(|n| c.small("limit", n)),
            cursor: q.cursor,
        });
        c.done().js()?;
        let page = self
            .inner
            .patients_of_practitioner(&actor, practitioner, &query);
        Ok(page.await.js()?.into())
    }

    /// What the policy answers for `actor` asking `permission` (on `patient`).
    #[napi(strict)]
    pub async fn explain_access(
        &self,
        actor: Actor,
        permission: Permission,
        patient: Option<String>,
    ) -> Result<Decision> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let patient = c.opt_uuid("patient", patient.as_deref()).map(cb::PatientId);
        c.done().js()?;
        let decision = self
            .inner
            .explain_access(&actor, permission.into(), patient);
        Ok(decision.await.js()?.into())
    }

    /// Break-the-glass: time-limited emergency access with a mandatory reason.
    #[napi(strict)]
    pub async fn request_emergency_access(
        &self,
        actor: Actor,
        patient: String,
        reason: String,
        duration_minutes: Option<f64>,
    ) -> Result<BreakGlassGrant> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let patient = c.patient_id("patient", &patient);
        let duration = duration_minutes.map(|m| c.minutes("duration", m));
        c.done().js()?;
        let grant = self
            .inner
            .request_emergency_access(&actor, patient, &reason, duration);
        Ok(grant.await.js()?.into())
    }

    /// Break-the-glass grants not yet reviewed, oldest first.
    #[napi(strict)]
    pub async fn grants_awaiting_review(
        &self,
        actor: Actor,
        limit: f64,
    ) -> Result<Vec<BreakGlassGrant>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let limit = c.small("limit", limit);
        c.done().js()?;
        Ok(list(
            self.inner
                .grants_awaiting_review(&actor, limit)
                .await
                .js()?,
        ))
    }

    /// Records the review of a break-the-glass grant.
    #[napi(strict)]
    pub async fn review_emergency_access(
        &self,
        actor: Actor,
        grant: String,
        note: Option<String>,
    ) -> Result<BreakGlassGrant> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let grant = cb::GrantId(c.uuid("grant", &grant));
        c.done().js()?;
        let reviewed = self
            .inner
            .review_emergency_access(&actor, grant, note.as_deref());
        Ok(reviewed.await.js()?.into())
    }

    /// Audit entries in recording order (page with `query.after`).
    #[napi(strict)]
    pub async fn audit_log(
        &self,
        actor: Actor,
        query: Option<AuditQuery>,
    ) -> Result<Vec<AuditEntry>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let query = query.map(|q| c.audit_query(q)).unwrap_or_default();
        c.done().js()?;
        Ok(list(self.inner.audit_log(&actor, &query).await.js()?))
    }

    /// Verifies the audit trail against the newest stored checkpoint and,
    /// when given, a checkpoint kept outside the database (`trusted`).
    #[napi(strict)]
    pub async fn verify_audit(
        &self,
        actor: Actor,
        trusted: Option<AuditCheckpoint>,
    ) -> Result<AuditVerification> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let trusted = trusted.map(|t| c.checkpoint("trusted", t));
        c.done().js()?;
        let report = self.inner.verify_audit(&actor, trusted.as_ref()).await;
        Ok(report.js()?.into())
    }

    /// Verifies the trail and signs a checkpoint over every chain head (a
    /// trail that fails verification is refused with `conflict`). Keep the
    /// result outside the database.
    #[napi(strict)]
    pub async fn audit_checkpoint(&self, actor: Actor) -> Result<AuditCheckpoint> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        c.done().js()?;
        Ok(self.inner.audit_checkpoint(&actor).await.js()?.into())
    }

    /// The public fingerprint of the audit key in use (for diagnostics).
    #[napi]
    pub async fn audit_key_id(&self) -> Result<String> {
        Ok(self.inner.audit_key_id().to_owned())
    }

    /// Who accessed a patient's record, newest first.
    #[napi(strict)]
    pub async fn who_accessed(
        &self,
        actor: Actor,
        patient: String,
        limit: Option<f64>,
    ) -> Result<Vec<AccessRecord>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let patient = c.patient_id("patient", &patient);
        let limit = limit.map(|n| c.small("limit", n));
        c.done().js()?;
        Ok(list(
            self.inner.who_accessed(&actor, patient, limit).await.js()?,
        ))
    }

    /// The next outbox events after `consumer`'s acknowledged position.
    #[napi(strict)]
    pub async fn poll_events(
        &self,
        actor: Actor,
        consumer: String,
        limit: f64,
    ) -> Result<Vec<OutboxEvent>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let limit = c.small("limit", limit);
        c.done().js()?;
        Ok(list(
            self.inner
                .poll_events(&actor, &consumer, limit)
                .await
                .js()?,
        ))
    }

    /// Outbox events after a position: `after[p]` is the last sequence
    /// number seen in partition `p` (`[]` reads everything).
    #[napi(strict)]
    pub async fn events_after(
        &self,
        actor: Actor,
        after: Vec<f64>,
        limit: f64,
    ) -> Result<Vec<OutboxEvent>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let after = c.counts("after", &after);
        let limit = c.small("limit", limit);
        c.done().js()?;
        Ok(list(
            self.inner.events_after(&actor, after, limit).await.js()?,
        ))
    }

    /// Acknowledges `consumer`'s events of `partition` up to `seq`; returns
    /// the new position in that partition.
    #[napi(strict)]
    pub async fn ack_events(
        &self,
        actor: Actor,
        consumer: String,
        partition: f64,
        seq: f64,
    ) -> Result<f64> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let partition = c.small("partition", partition);
        let seq = c.count("seq", seq);
        c.done().js()?;
        let position = self
            .inner
            .ack_events(&actor, &consumer, partition, seq)
            .await
            .js()?;
        Ok(position as f64)
    }

    /// Replaces the access policy (TOML or JSON text); audited.
    #[napi(strict)]
    pub async fn replace_policy(&self, actor: Actor, policy: String) -> Result<()> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        c.done().js()?;
        let policy = policy_in(&policy).js()?;
        self.inner.replace_policy(&actor, policy).await.js()
    }
}
