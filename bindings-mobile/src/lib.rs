//! Kotlin/Swift bindings for carebase (uniffi proc-macros).
//!
//! A thin adapter: each method converts its arguments, calls
//! [`carebase::Clinic`], and converts the result. Errors become
//! [`CarebaseError`] in one place (`error.rs`); types mirror core's
//! (`types/`). Scheduling methods are a second exported impl block in
//! `scheduling.rs`. Async methods run on tokio and surface as Kotlin `suspend`
//! / Swift `async`. No clinic rule lives here.

mod error;
mod scheduling;
mod types;

use std::sync::Arc;

use carebase as cb;

pub use error::{CarebaseError, Result};
pub use types::*;

uniffi::setup_scaffolding!();

/// A fresh, time-ordered id (UUID v7) for hosts that mint actor or
/// practitioner ids.
#[uniffi::export]
pub fn new_id() -> String {
    cb::ActorId::new().to_string()
}

/// The default access policy document (TOML).
#[uniffi::export]
pub fn default_policy_toml() -> String {
    cb::policy::DEFAULT_POLICY_TOML.to_owned()
}

/// The JSON Schema of an event type, if this version emits it.
#[uniffi::export]
pub fn event_schema(kind: String, version: u32) -> Option<String> {
    cb::events::schema(&kind, version).map(str::to_owned)
}

/// The default settings (no identifier systems or MRN namespaces,
/// break-the-glass 1 h default, 24 h maximum).
#[uniffi::export]
pub fn default_settings() -> Settings {
    cb::Settings::default().into()
}

/// An access policy document (deny by default; rules are data).
#[derive(uniffi::Object)]
pub struct Policy {
    inner: cb::policy::Policy,
}

#[uniffi::export]
impl Policy {
    /// Parses a TOML policy; errors name the line and field.
    #[uniffi::constructor]
    pub fn from_toml(text: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            inner: cb::policy::Policy::from_toml(&text)?,
        }))
    }

    /// Parses a JSON policy; errors name the line and field.
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            inner: cb::policy::Policy::from_json(&text)?,
        }))
    }

    /// The built-in default policy.
    #[uniffi::constructor]
    pub fn default_policy() -> Arc<Self> {
        Arc::new(Self {
            inner: cb::policy::Policy::default_policy(),
        })
    }

    /// Ids of the rules, in policy order.
    pub fn rule_ids(&self) -> Vec<String> {
        self.inner.rules.iter().map(|r| r.id.clone()).collect()
    }
}

/// The clinic's rules over one store. Every operation takes an [`Actor`].
#[derive(uniffi::Object)]
pub struct Clinic {
    inner: cb::Clinic,
}

fn actor(a: Actor) -> cb::Result<cb::Actor> {
    a.try_into()
}

#[uniffi::export(async_runtime = "tokio")]
impl Clinic {
    /// Opens a store (`memory:`, `sqlite:///path.db`, `sqlite::memory:`) and
    /// a clinic over it, with optional settings and policy (defaults
    /// otherwise). `audit_key` (Kotlin `ByteArray`, Swift `Data`, at least
    /// 32 random bytes) seals the audit trail; keep it outside the database.
    /// Without one the public development key is used and every
    /// verification says `keyed = false`: set one in production.
    #[uniffi::constructor(default(settings = None, policy = None, audit_key = None))]
    pub async fn open(
        url: String,
        settings: Option<Settings>,
        policy: Option<Arc<Policy>>,
        audit_key: Option<Vec<u8>>,
    ) -> Result<Arc<Self>> {
        let settings = settings.map(cb::Settings::try_from).transpose()?;
        let audit_key = audit_key
            .as_deref()
            .map(cb::audit::AuditKey::new)
            .transpose()?;
        // Checked before the store opens, so bad settings create no file.
        settings.as_ref().map(cb::Settings::validate).transpose()?;
        let store = carebase_storage::open(&url).await?;
        let mut inner = cb::Clinic::new(store);
        if let Some(key) = audit_key {
            inner = inner.with_audit_key(key);
        }
        if let Some(settings) = settings {
            inner = inner.with_settings(settings)?;
        }
        if let Some(policy) = policy {
            inner = inner.with_policy(policy.inner.clone());
        }
        Ok(Arc::new(Self { inner }))
    }

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        self.inner.settings().clone().into()
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        Arc::new(Policy {
            inner: (*self.inner.policy()).clone(),
        })
    }

    /// Replaces the access policy; needs `policy.manage`; audited.
    pub async fn replace_policy(&self, actor: Actor, policy: Arc<Policy>) -> Result<()> {
        let actor = self::actor(actor)?;
        Ok(self
            .inner
            .replace_policy(&actor, policy.inner.clone())
            .await?)
    }

    /// What the policy answers for `actor` asking `permission` (on `patient`),
    /// with its reasons. Writes nothing.
    #[uniffi::method(default(patient = None))]
    pub async fn explain_access(
        &self,
        actor: Actor,
        permission: Permission,
        patient: Option<String>,
    ) -> Result<Decision> {
        let actor = self::actor(actor)?;
        let patient = patient
            .as_deref()
            .map(|p| patient_id("patient", p))
            .transpose()?;
        Ok(self
            .inner
            .explain_access(&actor, permission.into(), patient)
            .await?
            .into())
    }

    // ------------------------------------------------------------ patients

    /// Registers a patient (optionally assigning an MRN in the same transaction).
    pub async fn register_patient(&self, actor: Actor, patient: NewPatient) -> Result<Patient> {
        let actor = self::actor(actor)?;
        let patient = patient.try_into()?;
        Ok(self.inner.register_patient(&actor, patient).await?.into())
    }

    /// One patient, masked to what the actor may see; audited.
    pub async fn get_patient(&self, actor: Actor, id: String) -> Result<Patient> {
        let actor = self::actor(actor)?;
        let id = patient_id("id", &id)?;
        Ok(self.inner.get_patient(&actor, id).await?.into())
    }

    /// Replaces a patient's details if `expected_version` is still current.
    pub async fn update_patient(
        &self,
        actor: Actor,
        id: String,
        expected_version: u64,
        details: PatientDetails,
    ) -> Result<Patient> {
        let actor = self::actor(actor)?;
        let mut f = Fields::default();
        let id = f.take(patient_id("id", &id));
        let details = details.into_core(&mut f);
        let id = f.done(|| id)?;
        Ok(self
            .inner
            .update_patient(&actor, id, expected_version, details)
            .await?
            .into())
    }

    /// Marks a patient inactive.
    pub async fn deactivate_patient(
        &self,
        actor: Actor,
        id: String,
        expected_version: u64,
    ) -> Result<Patient> {
        let actor = self::actor(actor)?;
        let id = patient_id("id", &id)?;
        Ok(self
            .inner
            .deactivate_patient(&actor, id, expected_version)
            .await?
            .into())
    }

    /// Makes an inactive patient active again.
    pub async fn reactivate_patient(
        &self,
        actor: Actor,
        id: String,
        expected_version: u64,
    ) -> Result<Patient> {
        let actor = self::actor(actor)?;
        let id = patient_id("id", &id)?;
        Ok(self
            .inner
            .reactivate_patient(&actor, id, expected_version)
            .await?
            .into())
    }

    /// Searches patients (cursor paging); each result is audited as read.
    pub async fn search_patients(&self, actor: Actor, query: PatientQuery) -> Result<PatientPage> {
        let actor = self::actor(actor)?;
        let query = query.try_into()?;
        Ok(self.inner.search_patients(&actor, &query).await?.into())
    }

    /// Allocates the next MRN of a facility (audited, attached to no one).
    pub async fn generate_mrn(&self, actor: Actor, facility: String) -> Result<Identifier> {
        let actor = self::actor(actor)?;
        Ok(self.inner.generate_mrn(&actor, &facility).await?.into())
    }

    // ------------------------------------------------------------ merge

    /// Likely duplicates of a patient, best first, with per-field scores.
    pub async fn find_duplicates(
        &self,
        actor: Actor,
        id: String,
        limit: u32,
    ) -> Result<Vec<DuplicateCandidate>> {
        let actor = self::actor(actor)?;
        let id = patient_id("id", &id)?;
        let found = self.inner.find_duplicates(&actor, id, limit).await?;
        Ok(found.into_iter().map(Into::into).collect())
    }

    /// Merges `merged` into `survivor` (both versions must be current).
    pub async fn merge_patients(
        &self,
        actor: Actor,
        survivor: String,
        survivor_version: u64,
        merged: String,
        merged_version: u64,
    ) -> Result<MergeRecord> {
        let actor = self::actor(actor)?;
        let mut f = Fields::default();
        let survivor = f.take(patient_id("survivor", &survivor));
        let merged = f.take(patient_id("merged", &merged));
        let (survivor, merged) = f.done(|| Some((survivor?, merged?)))?;
        Ok(self
            .inner
            .merge_patients(&actor, survivor, survivor_version, merged, merged_version)
            .await?
            .into())
    }

    /// Undoes a merge: the merged record returns to its prior state.
    pub async fn unmerge_patients(&self, actor: Actor, merge_id: String) -> Result<Patient> {
        let actor = self::actor(actor)?;
        let merge_id = types::merge_id("merge_id", &merge_id)?;
        Ok(self.inner.unmerge_patients(&actor, merge_id).await?.into())
    }

    /// The merge log of a patient, oldest first.
    pub async fn merge_history(&self, actor: Actor, patient: String) -> Result<Vec<MergeRecord>> {
        let actor = self::actor(actor)?;
        let patient = patient_id("patient", &patient)?;
        let log = self.inner.merge_history(&actor, patient).await?;
        Ok(log.into_iter().map(Into::into).collect())
    }

    // ------------------------------------------------------------ access

    /// Puts a practitioner on a patient's care team.
    pub async fn assign_care_team(
        &self,
        actor: Actor,
        patient: String,
        practitioner: String,
    ) -> Result<CareAssignment> {
        let actor = self::actor(actor)?;
        let (patient, practitioner) = patient_and_practitioner(&patient, &practitioner)?;
        Ok(self
            .inner
            .assign_care_team(&actor, patient, practitioner)
            .await?
            .into())
    }

    /// Takes a practitioner off a patient's care team.
    pub async fn remove_care_team(
        &self,
        actor: Actor,
        patient: String,
        practitioner: String,
    ) -> Result<()> {
        let actor = self::actor(actor)?;
        let (patient, practitioner) = patient_and_practitioner(&patient, &practitioner)?;
        Ok(self
            .inner
            .remove_care_team(&actor, patient, practitioner)
            .await?)
    }

    /// A patient's care team.
    pub async fn care_team(&self, actor: Actor, patient: String) -> Result<Vec<CareAssignment>> {
        let actor = self::actor(actor)?;
        let patient = patient_id("patient", &patient)?;
        let team = self.inner.care_team(&actor, patient).await?;
        Ok(team.into_iter().map(Into::into).collect())
    }

    /// Break-the-glass: emergency access with a mandatory reason, lasting
    /// `duration_secs` (settings default when `null`, bounded by the maximum).
    #[uniffi::method(default(duration_secs = None))]
    pub async fn request_emergency_access(
        &self,
        actor: Actor,
        patient: String,
        reason: String,
        duration_secs: Option<u64>,
    ) -> Result<BreakGlassGrant> {
        let actor = self::actor(actor)?;
        let mut f = Fields::default();
        let patient = f.take(patient_id("patient", &patient));
        let duration = f.opt(duration_secs.map(|s| seconds("duration", s)));
        let patient = f.done(|| patient)?;
        Ok(self
            .inner
            .request_emergency_access(&actor, patient, &reason, duration)
            .await?
            .into())
    }

    /// Break-the-glass grants no admin has reviewed yet, oldest first.
    pub async fn grants_awaiting_review(
        &self,
        actor: Actor,
        limit: u32,
    ) -> Result<Vec<BreakGlassGrant>> {
        let actor = self::actor(actor)?;
        let grants = self.inner.grants_awaiting_review(&actor, limit).await?;
        Ok(grants.into_iter().map(Into::into).collect())
    }

    /// Marks a grant reviewed, with an optional note.
    #[uniffi::method(default(note = None))]
    pub async fn review_emergency_access(
        &self,
        actor: Actor,
        grant: String,
        note: Option<String>,
    ) -> Result<BreakGlassGrant> {
        let actor = self::actor(actor)?;
        let grant = grant_id("grant", &grant)?;
        Ok(self
            .inner
            .review_emergency_access(&actor, grant, note.as_deref())
            .await?
            .into())
    }

    // ------------------------------------------------------------ audit

    /// Audit entries in recording order (page with `query.after`).
    pub async fn audit_log(&self, actor: Actor, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        let actor = self::actor(actor)?;
        let query = query.try_into()?;
        let entries = self.inner.audit_log(&actor, &query).await?;
        Ok(entries.into_iter().map(Into::into).collect())
    }

    /// Verifies the audit trail against the newest stored checkpoint and,
    /// when given, a checkpoint the host kept elsewhere; reports what it
    /// checked and the first problem.
    #[uniffi::method(default(trusted = None))]
    pub async fn verify_audit(
        &self,
        actor: Actor,
        trusted: Option<AuditCheckpoint>,
    ) -> Result<AuditVerification> {
        let actor = self::actor(actor)?;
        let trusted = trusted.map(|t| t.into_core("trusted")).transpose()?;
        Ok(self
            .inner
            .verify_audit(&actor, trusted.as_ref())
            .await?
            .into())
    }

    /// Verifies the trail and signs a checkpoint over every chain head;
    /// export it and keep it outside the database. A trail that fails
    /// verification is refused (`Conflict`).
    pub async fn audit_checkpoint(&self, actor: Actor) -> Result<AuditCheckpoint> {
        let actor = self::actor(actor)?;
        Ok(self.inner.audit_checkpoint(&actor).await?.into())
    }

    /// The public fingerprint of the audit key in use (for diagnostics).
    pub fn audit_key_id(&self) -> String {
        self.inner.audit_key_id().to_owned()
    }

    /// Who accessed a patient's record, oldest first (the query is audited too).
    #[uniffi::method(default(limit = None))]
    pub async fn who_accessed(
        &self,
        actor: Actor,
        patient: String,
        limit: Option<u32>,
    ) -> Result<Vec<AccessRecord>> {
        let actor = self::actor(actor)?;
        let patient = patient_id("patient", &patient)?;
        let log = self.inner.who_accessed(&actor, patient, limit).await?;
        Ok(log.into_iter().map(Into::into).collect())
    }

    // ------------------------------------------------------------ outbox

    /// The next events for `consumer` (after its acknowledged position).
    pub async fn poll_events(
        &self,
        actor: Actor,
        consumer: String,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>> {
        let actor = self::actor(actor)?;
        let events = self.inner.poll_events(&actor, &consumer, limit).await?;
        Ok(events.into_iter().map(Into::into).collect())
    }

    /// Events after a sequence number, for consumers keeping their own position.
    pub async fn events_after(
        &self,
        actor: Actor,
        after: u64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>> {
        let actor = self::actor(actor)?;
        let events = self.inner.events_after(&actor, after, limit).await?;
        Ok(events.into_iter().map(Into::into).collect())
    }

    /// Acknowledges every event up to `seq` for `consumer`; returns its position.
    pub async fn ack_events(&self, actor: Actor, consumer: String, seq: u64) -> Result<u64> {
        let actor = self::actor(actor)?;
        Ok(self.inner.ack_events(&actor, &consumer, seq).await?)
    }
}

fn patient_and_practitioner(
    patient: &str,
    practitioner: &str,
) -> cb::Result<(cb::PatientId, cb::PractitionerId)> {
    let mut f = Fields::default();
    let patient = f.take(patient_id("patient", patient));
    let practitioner = f.take(practitioner_id("practitioner", practitioner));
    f.done(|| Some((patient?, practitioner?)))
}
