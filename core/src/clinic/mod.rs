//! [`Clinic`]: the one entry point. Every operation takes an [`Actor`], runs
//! validate → authorize → load → rule → one atomic change set (change + audit
//! + events), and audits denials and failures too.

mod access;
mod appointments;
mod audit;
mod calendar;
mod check_in;
mod fhir;
mod fhir_people;
mod merge;
pub mod operations;
mod outbox;
mod patients;
mod record;
mod registration;
mod scheduling;
mod sight;

pub use crate::settings::Settings;
pub use appointments::BookSeries;
pub use operations::{ClinicOperations, Operation, OPERATIONS};
pub use registration::{NewPatient, PatientRegistrations, RegistrationAnswer};

use std::future::Future;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::actor::Actor;
use crate::audit::{AuditDraft, AuditKey, Outcome};
use crate::clock::{Clock, SystemClock};
use crate::ids::{AuditEntryId, PatientId, PractitionerId};
use crate::limits::MAX_ACTOR_ROLES;
use crate::policy::{AccessFacts, Decision, DenyReason, Permission, Policy};
use crate::store::{BlobStore, ChangeSet, Store};
use crate::{Error, Result};

/// An actor is host input too: its roles are copied into every audit entry
/// and walked by every decision, so their number is bounded.
fn check_actor(actor: &Actor) -> Result<()> {
    if actor.roles.len() > MAX_ACTOR_ROLES {
        return Err(Error::invalid(
            "actor.roles",
            "too_many",
            format!("at most {MAX_ACTOR_ROLES} roles"),
        ));
    }
    Ok(())
}

/// The clinic's rules over one store. Cheap to clone and share across tasks.
#[derive(Clone)]
pub struct Clinic {
    store: Arc<dyn Store>,
    policy: Arc<RwLock<Arc<Policy>>>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    audit_key: AuditKey,
    /// Where documents' bytes live (the store's own by default).
    blobs: Option<Arc<dyn BlobStore>>,
}

/// Who asks for what about whom, carried through one operation.
struct Attempt<'a> {
    actor: &'a Actor,
    permission: Permission,
    patient: Option<PatientId>,
    /// The facts the decision was made on (reused to decide what the
    /// actor sees of the same patient).
    facts: AccessFacts,
    decision: Decision,
}

impl Clinic {
    /// A clinic over `store` with the default policy, settings and system
    /// clock, sealing the audit trail with the public development key until
    /// [`Clinic::with_audit_key`] gives it the host's.
    pub fn new(store: Arc<dyn Store>) -> Self {
        let audit_key = AuditKey::development();
        store.use_audit_key(audit_key.clone());
        Self {
            policy: Arc::new(RwLock::new(Arc::new(Policy::default_policy()))),
            clock: Arc::new(SystemClock),
            settings: Arc::new(Settings::default()),
            audit_key,
            blobs: store.blobs(),
            store,
        }
    }

    /// Keeps documents' bytes in `blobs` instead of the blob store that
    /// belongs with the store ([`Store::blobs`]).
    pub fn with_blobs(mut self, blobs: Arc<dyn BlobStore>) -> Self {
        self.blobs = Some(blobs);
        self
    }

    /// Seals and verifies the audit trail with the host's key, which must
    /// stay outside the database: with it, someone who can write the
    /// database can no longer forge or silently delete audit entries.
    /// Hands the key to the store too, so both always use the same one.
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.store.use_audit_key(key.clone());
        self.audit_key = key;
        self
    }

    /// The fingerprint of the audit key in use (public; for diagnostics).
    pub fn audit_key_id(&self) -> &str {
        self.audit_key.key_id()
    }

    /// Replaces the access policy (host configuration, not audited).
    pub fn with_policy(self, policy: Policy) -> Self {
        *self.policy.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(policy);
        self
    }

    /// Replaces the settings once they pass [`Settings::validate`]; bad
    /// settings are a `validation` error naming each one
    /// (`settings.break_glass_max`, …), never a clinic running on them.
    pub fn with_settings(mut self, settings: Settings) -> Result<Self> {
        settings.validate()?;
        self.settings = Arc::new(settings);
        Ok(self)
    }

    /// Replaces the clock (tests move time by hand).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store underneath, for hosts that need raw reads.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The region phone numbers without a country code are read in.
    fn phone_region(&self) -> Option<&str> {
        self.settings.phone_region.as_deref()
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        self.policy
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the access policy at run time; needs `policy.manage`, checks
    /// the policy (one built in code gets the same checks as a document) and
    /// is audited.
    pub async fn replace_policy(&self, actor: &Actor, policy: Policy) -> Result<()> {
        let attempt = self
            .authorize(actor, Permission::PolicyManage, None)
            .await?;
        self.audited(&attempt, async {
            policy.validate()?;
            self.store
                .apply(ChangeSet::audit_only(vec![self.success(&attempt, None)]))
                .await?;
            *self.policy.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(policy);
            Ok(())
        })
        .await
    }

    /// Now, truncated to microseconds so every store round-trips it exactly.
    fn now(&self) -> DateTime<Utc> {
        let now = self.clock.now();
        now.duration_trunc(Duration::microseconds(1)).unwrap_or(now)
    }

    /// The facts the policy needs about `actor` and `patient`.
    async fn facts(&self, actor: &Actor, patient: Option<PatientId>) -> Result<AccessFacts> {
        let Some(target) = patient else {
            return Ok(AccessFacts::default());
        };
        let on_care_team = match actor.practitioner {
            Some(pr) => self.store.is_on_care_team(target, pr).await?,
            None => false,
        };
        let break_glass = self
            .store
            .active_grant(actor.id, target, self.now())
            .await?
            .map(|g| g.id);
        Ok(AccessFacts {
            has_target: true,
            own_record: actor.patient == Some(target),
            on_care_team,
            break_glass,
            own_schedule: false,
        })
    }

    /// What the policy answers for `actor` asking `permission` on `patient`,
    /// with its reasons. Reads no patient data and writes nothing.
    pub async fn explain_access(
        &self,
        actor: &Actor,
        permission: Permission,
        patient: Option<PatientId>,
    ) -> Result<Decision> {
        check_actor(actor)?;
        let facts = self.facts(actor, patient).await?;
        Ok(self.policy().decide(actor, permission, &facts))
    }

    /// Decides; a denial is audited and returned as `forbidden` with its reason.
    async fn authorize<'a>(
        &self,
        actor: &'a Actor,
        permission: Permission,
        patient: Option<PatientId>,
    ) -> Result<Attempt<'a>> {
        self.authorize_for(actor, permission, patient, None).await
    }

    /// [`Self::authorize`] for something that also belongs to a
    /// practitioner's schedule (the `own_schedule` relationship).
    async fn authorize_for<'a>(
        &self,
        actor: &'a Actor,
        permission: Permission,
        patient: Option<PatientId>,
        practitioner: Option<PractitionerId>,
    ) -> Result<Attempt<'a>> {
        check_actor(actor)?;
        let mut facts = self.facts(actor, patient).await?;
        facts.own_schedule = practitioner.is_some() && actor.practitioner == practitioner;
        let decision = self.policy().decide(actor, permission, &facts);
        let attempt = Attempt {
            actor,
            permission,
            patient,
            facts,
            decision,
        };
        if attempt.decision.allowed {
            return Ok(attempt);
        }
        let reason = attempt.decision.deny_reason();
        Err(self.deny(&attempt, reason).await)
    }

    /// Audits `attempt` as denied for `reason` and returns the `forbidden`
    /// error: the one way a request is refused by the policy.
    async fn deny(&self, attempt: &Attempt<'_>, reason: DenyReason) -> Error {
        let draft = self.draft(attempt, Outcome::Denied, reason.to_string(), None);
        match self.store.apply(ChangeSet::audit_only(vec![draft])).await {
            Ok(_) => Error::Forbidden { reason },
            Err(e) => e,
        }
    }

    /// An audit entry for `attempt` about its own patient.
    fn draft(
        &self,
        attempt: &Attempt<'_>,
        outcome: Outcome,
        reason: String,
        subject: Option<String>,
    ) -> AuditDraft {
        self.draft_for(attempt, attempt.patient, outcome, reason, subject)
    }

    /// An audit entry for `attempt` about `patient` (e.g. each search result).
    fn draft_for(
        &self,
        attempt: &Attempt<'_>,
        patient: Option<PatientId>,
        outcome: Outcome,
        reason: String,
        subject: Option<String>,
    ) -> AuditDraft {
        AuditDraft {
            id: AuditEntryId::new(),
            at: self.now(),
            actor: attempt.actor.id,
            roles: attempt.actor.roles.clone(),
            action: attempt.permission.as_str().to_owned(),
            patient,
            outcome,
            reason,
            break_glass: attempt.decision.break_glass,
            subject,
        }
    }

    /// The success entry for `attempt`.
    fn success(&self, attempt: &Attempt<'_>, subject: Option<String>) -> AuditDraft {
        self.draft(
            attempt,
            Outcome::Success,
            attempt.decision.audit_reason(),
            subject,
        )
    }

    /// Runs the allowed part of an operation; a failure is audited (outcome
    /// `failed`, reason = the error code) before it is returned.
    async fn audited<T>(
        &self,
        attempt: &Attempt<'_>,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        match work.await {
            Ok(value) => Ok(value),
            Err(err) => {
                let draft = self.draft(attempt, Outcome::Failed, err.code().to_owned(), None);
                // The original error matters more than a failed failure-record:
                // when the store is down both fail and the caller sees `storage`.
                let _ = self.store.apply(ChangeSet::audit_only(vec![draft])).await;
                Err(err)
            }
        }
    }
}
