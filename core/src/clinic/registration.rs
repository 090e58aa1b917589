//! Registering patients, one at a time and in batches, and allocating
//! MRNs: both registrations follow the same rules (`check_registration`,
//! `registration`); a batch takes its MRNs one block per facility.

use crate::Count32;
use crate::Count64;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Attempt, Clinic};
use crate::actor::Actor;
use crate::audit::Outcome;
use crate::error::Refusal;
use crate::events::{EventDraft, PATIENT_REGISTERED};
use crate::ids::PatientId;
use crate::limits::{MAX_BATCH_CHANGE_SETS, MAX_BATCH_PATIENTS, MAX_FACILITY_CHARS};
use crate::patient::normalize::SearchKeys;
use crate::patient::validate::validate_and_key;
use crate::patient::{Identifier, MrnNamespace, Patient, PatientDetails};
use crate::policy::Permission;
use crate::store::{ChangeSet, PatientWrite};
use crate::{Error, Result};

/// What registering a patient takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = [])))]
pub struct NewPatient {
    /// Demographics.
    pub details: PatientDetails,
    /// Facility whose MRN namespace assigns the patient an MRN (the number
    /// comes from a store sequence: never reused, skipped if registration fails).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub mrn_facility: Option<String>,
}

/// What `register_patients` answers: one answer per patient handed in,
/// in the same order, and the counts of each kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["registered", "refused"])))]
pub struct PatientRegistrations {
    /// One per patient handed in, in input order.
    pub answers: Vec<RegistrationAnswer>,
    /// How many were registered.
    pub registered: Count32,
    /// How many were refused.
    pub refused: Count32,
}

impl PatientRegistrations {
    fn from_answers(answers: Vec<RegistrationAnswer>) -> Self {
        let registered = answers.iter().filter(|a| a.patient.is_some()).count();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            registered: Count32::new(count(registered)),
            refused: Count32::new(count(answers.len() - registered)),
            answers,
        }
    }
}

/// The answer for one patient of a batch: exactly one of the two is set.
/// A record of two options rather than an enum so every host reads it the
/// same way (`answer.patient` / `answer.refusal`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["refusal"])))]
pub struct RegistrationAnswer {
    /// The registered patient, as `register_patient` answers it.
    pub patient: Option<Patient>,
    /// Why this patient was not registered (nothing of it was written).
    pub refusal: Option<Refusal>,
}

impl From<Result<Patient>> for RegistrationAnswer {
    fn from(outcome: Result<Patient>) -> Self {
        match outcome {
            Ok(patient) => Self {
                patient: Some(patient),
                refusal: None,
            },
            Err(error) => Self {
                patient: None,
                refusal: Some(Refusal::from(&error)),
            },
        }
    }
}

/// A registration that passed the rules needing no store: its details and
/// their search keys, the MRN namespace it asks a number of, and the
/// instant it was checked at.
pub(super) struct Checked {
    details: PatientDetails,
    keys: SearchKeys,
    namespace: Option<MrnNamespace>,
    now: DateTime<Utc>,
    /// False for a FHIR import of an inactive patient.
    pub(super) active: bool,
    /// What a FHIR import keeps ([`Patient::fhir_extra`]).
    pub(super) fhir_extra: Option<serde_json::Value>,
}

impl Clinic {
    pub(super) fn mrn_namespace(&self, facility: &str) -> Result<MrnNamespace> {
        if facility.chars().count() > MAX_FACILITY_CHARS {
            return Err(Error::invalid(
                "mrn_facility",
                "too_long",
                format!("at most {MAX_FACILITY_CHARS} characters"),
            ));
        }
        self.settings
            .mrn_namespaces
            .iter()
            .find(|ns| ns.facility == facility)
            .cloned()
            .ok_or_else(|| {
                Error::invalid(
                    "mrn_facility",
                    "unknown",
                    "no mrn namespace for this facility",
                )
            })
    }

    /// The next MRN of `ns`. Numbers come from a store sequence, so
    /// concurrent registrations never collide; a number whose registration
    /// then fails is skipped, never reused.
    async fn next_mrn(&self, ns: &MrnNamespace) -> Result<Identifier> {
        let n = self.store.allocate(&ns.counter_name()).await?;
        Ok(ns.mrn(n))
    }

    /// Registers a patient (optionally assigning an MRN in the same transaction).
    pub async fn register_patient(&self, actor: &Actor, new: NewPatient) -> Result<Patient> {
        let attempt = self
            .authorize(actor, Permission::PatientRegister, None)
            .await?;
        self.audited(&attempt, self.register_allowed(&attempt, new))
            .await
    }

    async fn register_allowed(&self, attempt: &Attempt<'_>, new: NewPatient) -> Result<Patient> {
        let (changes, patient) = self.prepare_registration(attempt, new).await?;
        self.store.apply(changes).await?;
        Ok(patient)
    }

    /// Registers many patients, each exactly as [`Self::register_patient`]
    /// would (validation, MRN, identifier uniqueness, its audit entry and
    /// `patient.registered` event in the same transaction as the patient),
    /// answering per patient in input order: registered, or refused with
    /// that patient's error. One refused patient stops none of the others.
    ///
    /// The policy is asked once for the call: `patient.register` concerns
    /// no existing patient, so its decision cannot differ between items; a
    /// denied actor gets one `forbidden`. At most
    /// [`MAX_BATCH_PATIENTS`] per call (a host shows progress between
    /// calls); the store gets them [`MAX_BATCH_CHANGE_SETS`] at a time.
    pub async fn register_patients(
        &self,
        actor: &Actor,
        patients: Vec<NewPatient>,
    ) -> Result<PatientRegistrations> {
        let attempt = self
            .authorize(actor, Permission::PatientRegister, None)
            .await?;
        self.audited(&attempt, async {
            if patients.len() > MAX_BATCH_PATIENTS {
                return Err(Error::invalid(
                    "patients",
                    "too_many",
                    format!("at most {MAX_BATCH_PATIENTS} patients per call"),
                ));
            }
            Ok(())
        })
        .await?;
        let mut answers = Vec::with_capacity(patients.len());
        let mut patients = patients.into_iter();
        loop {
            let chunk: Vec<NewPatient> = patients.by_ref().take(MAX_BATCH_CHANGE_SETS).collect();
            if chunk.is_empty() {
                break;
            }
            answers.extend(self.register_chunk(&attempt, chunk).await);
        }
        Ok(PatientRegistrations::from_answers(answers))
    }

    /// One store round of [`Self::register_patients`]: every patient
    /// checked, the MRNs of the valid ones allocated in one block per
    /// facility, the valid ones applied each on its own, each refusal
    /// audited as `failed` like a refused single registration.
    async fn register_chunk(
        &self,
        attempt: &Attempt<'_>,
        chunk: Vec<NewPatient>,
    ) -> Vec<RegistrationAnswer> {
        let checked: Vec<Result<Checked>> = chunk
            .into_iter()
            .map(|new| self.check_registration(new))
            .collect();
        let mut mrns = self.allocate_mrns(&checked).await;
        let mut outcomes: Vec<Result<Patient>> = Vec::with_capacity(checked.len());
        let mut change_sets = Vec::with_capacity(checked.len());
        let mut applied_at = Vec::with_capacity(checked.len());
        for (at, checked) in checked.into_iter().enumerate() {
            let mrn = mrns.remove(&at).transpose();
            match checked.and_then(|checked| Ok((checked, mrn?))) {
                Ok((checked, mrn)) => {
                    let (changes, patient) = self.registration(attempt, checked, mrn);
                    applied_at.push(outcomes.len());
                    change_sets.push(changes);
                    outcomes.push(Ok(patient));
                }
                Err(error) => outcomes.push(Err(error)),
            }
        }
        let mut applied = self.store.apply_each(change_sets).await.into_iter();
        for at in applied_at {
            let result = applied.next().unwrap_or_else(|| {
                Err(Error::storage(
                    "the store answered fewer change sets than it was given",
                ))
            });
            if let (Err(error), Some(outcome)) = (result, outcomes.get_mut(at)) {
                *outcome = Err(error);
            }
        }
        let failures: Vec<_> = outcomes
            .iter()
            .filter_map(|outcome| outcome.as_ref().err())
            .map(|error| self.draft(attempt, Outcome::Failed, error.code().to_owned(), None))
            .collect();
        if !failures.is_empty() {
            // As in `audited`: the refusals matter more than their records.
            let _ = self.store.apply(ChangeSet::audit_only(failures)).await;
        }
        outcomes.into_iter().map(RegistrationAnswer::from).collect()
    }

    /// The MRN of every checked registration that asks for one, by its
    /// index: one block of numbers per facility, handed out in input order
    /// (so a batch costs one store round trip per facility). A facility
    /// whose block cannot be had answers its error for each of its patients.
    async fn allocate_mrns(
        &self,
        checked: &[Result<Checked>],
    ) -> BTreeMap<usize, Result<Identifier>> {
        let mut by_facility: BTreeMap<&str, (&MrnNamespace, Vec<usize>)> = BTreeMap::new();
        for (at, checked) in checked.iter().enumerate() {
            if let Ok(Checked {
                namespace: Some(ns),
                ..
            }) = checked
            {
                by_facility
                    .entry(ns.facility.as_str())
                    .or_insert_with(|| (ns, Vec::new()))
                    .1
                    .push(at);
            }
        }
        let mut mrns = BTreeMap::new();
        for (ns, indexes) in by_facility.into_values() {
            let count = u32::try_from(indexes.len()).unwrap_or(u32::MAX);
            match self.store.allocate_block(&ns.counter_name(), count).await {
                Ok(numbers) => {
                    for (at, n) in indexes.into_iter().zip(numbers) {
                        mrns.insert(at, Ok(ns.mrn(n)));
                    }
                }
                Err(error) => {
                    for at in indexes {
                        mrns.insert(at, Err(error.clone()));
                    }
                }
            }
        }
        mrns
    }

    /// Everything registering one patient writes, and what the actor is
    /// answered once it is written: shared by the single and the batch
    /// operation so both follow the same rules.
    async fn prepare_registration(
        &self,
        attempt: &Attempt<'_>,
        new: NewPatient,
    ) -> Result<(ChangeSet, Patient)> {
        let checked = self.check_registration(new)?;
        self.prepare_checked(attempt, checked).await
    }

    /// [`Self::prepare_registration`] of details already checked (a FHIR
    /// import checks them itself to name FHIR paths).
    pub(super) async fn prepare_checked(
        &self,
        attempt: &Attempt<'_>,
        checked: Checked,
    ) -> Result<(ChangeSet, Patient)> {
        let mrn = match &checked.namespace {
            Some(ns) => Some(self.next_mrn(ns).await?),
            None => None,
        };
        Ok(self.registration(attempt, checked, mrn))
    }

    /// A registration's rules that need no store: every invalid field at
    /// once, the details' and the MRN facility's.
    pub(super) fn check_registration(&self, new: NewPatient) -> Result<Checked> {
        let now = self.now();
        let checked = validate_and_key(&new.details, now, &self.settings);
        let namespace = new
            .mrn_facility
            .as_deref()
            .map(|facility| self.mrn_namespace(facility))
            .transpose();
        let (keys, namespace) = match (checked, namespace) {
            (Ok(keys), Ok(namespace)) => (keys, namespace),
            (Err(Error::Validation { mut fields }), Err(Error::Validation { fields: more })) => {
                fields.extend(more);
                return Err(Error::validation(fields));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        Ok(Checked {
            details: new.details,
            keys,
            namespace,
            now,
            active: true,
            fhir_extra: None,
        })
    }

    /// The change set registering a checked patient (with its MRN, when
    /// one was allocated) and the patient as the actor sees it.
    fn registration(
        &self,
        attempt: &Attempt<'_>,
        checked: Checked,
        mrn: Option<Identifier>,
    ) -> (ChangeSet, Patient) {
        let Checked {
            mut details,
            keys,
            now,
            active,
            fhir_extra,
            ..
        } = checked;
        let id = PatientId::new();
        details.identifiers.extend(mrn);
        let patient = Patient {
            id,
            version: Count64::new(1),
            details,
            active,
            merged_into: None,
            created_at: now,
            updated_at: now,
            hidden_fields: Vec::new(),
            fhir_extra,
        };
        let sight = self.sight_of_new(attempt.actor, id);
        let mut audit = self.success(attempt, None);
        audit.patient = Some(id);
        let event = EventDraft::new(
            PATIENT_REGISTERED,
            Some(id),
            &id.to_string(),
            1,
            json!({ "patient_id": id, "version": 1, "registered_at": now }),
            now,
        );
        let changes = ChangeSet::default()
            .patient(PatientWrite::Insert {
                patient: patient.clone(),
                keys,
            })
            .audit(audit)
            .event(event);
        (changes, sight.patient(patient))
    }

    /// Allocates the next MRN of a facility (audited, not yet attached to anyone).
    pub async fn generate_mrn(&self, actor: &Actor, facility: &str) -> Result<Identifier> {
        let attempt = self.authorize(actor, Permission::MrnGenerate, None).await?;
        self.audited(&attempt, async {
            let ns = self.mrn_namespace(facility)?;
            let mrn = self.next_mrn(&ns).await?;
            let audit = self.success(&attempt, Some(format!("mrn:{}", ns.facility)));
            self.store.apply(ChangeSet::audit_only(vec![audit])).await?;
            Ok(mrn)
        })
        .await
    }
}
