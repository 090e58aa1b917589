//! Registering, reading, updating, deactivating and searching patients,
//! and allocating MRNs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Attempt, Clinic};
use crate::actor::Actor;
use crate::audit::Outcome;
use crate::error::Refusal;
use crate::events::{
    EventDraft, PATIENT_DEACTIVATED, PATIENT_REACTIVATED, PATIENT_REGISTERED, PATIENT_UPDATED,
};
use crate::ids::PatientId;
use crate::limits::{
    MAX_BATCH_CHANGE_SETS, MAX_BATCH_PATIENTS, MAX_CURSOR_CHARS, MAX_FACILITY_CHARS,
    MAX_QUERY_TEXT_CHARS,
};
use crate::patient::normalize::{email_key, fold_words, phone_key};
use crate::patient::search::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::patient::validate::validate_details;
use crate::patient::{
    Identifier, MrnNamespace, Patient, PatientDetails, PatientField, PatientPage, PatientQuery,
    PatientSearch, PatientUse, SearchPosition,
};
use crate::policy::{DenyReason, Permission};
use crate::store::{ChangeSet, PatientWrite};
use crate::validation::Errors;
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
    pub registered: u32,
    /// How many were refused.
    pub refused: u32,
}

impl PatientRegistrations {
    fn from_answers(answers: Vec<RegistrationAnswer>) -> Self {
        let registered = answers.iter().filter(|a| a.patient.is_some()).count();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            registered: count(registered),
            refused: count(answers.len() - registered),
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

/// The cursor of a page that stopped at `position`: `p1:<id>` for a search
/// by id order, `n1:<id>:<name key>` for a search by name.
pub(super) fn cursor_for(position: &SearchPosition) -> String {
    match &position.name_key {
        None => URL_SAFE_NO_PAD.encode(format!("p1:{}", position.id)),
        Some(key) => URL_SAFE_NO_PAD.encode(format!("n1:{}:{key}", position.id)),
    }
}

/// The cursor of a page in id order that stopped at `id`.
pub(super) fn id_cursor(id: PatientId) -> String {
    cursor_for(&SearchPosition { name_key: None, id })
}

/// Reads a cursor [`id_cursor`] wrote.
pub(super) fn parse_id_cursor(cursor: &str) -> Result<PatientId> {
    parse_cursor(cursor, false).map(|position| position.id)
}

/// Reads a cursor [`cursor_for`] wrote. `by_name` says whether the search
/// has a name: a cursor of the other order is not one this search
/// returned.
pub(super) fn parse_cursor(cursor: &str, by_name: bool) -> Result<SearchPosition> {
    let bad = || {
        Error::invalid(
            "cursor",
            "invalid_cursor",
            "cursor is not one this api returned",
        )
    };
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (id, name_key) = match (text.strip_prefix("p1:"), text.strip_prefix("n1:")) {
        (Some(id), None) if !by_name => (id, None),
        (None, Some(rest)) if by_name => {
            let (id, key) = rest.split_once(':').ok_or_else(bad)?;
            (id, Some(key.to_owned()))
        }
        _ => return Err(bad()),
    };
    let id = PatientId::parse("cursor", id).map_err(|_| bad())?;
    Ok(SearchPosition { name_key, id })
}

/// Turns a host query into the store's normalized search, collecting every
/// invalid field; `phone_region` reads a phone typed without a country code.
fn normalize_query(
    query: &PatientQuery,
    phone_region: Option<&str>,
) -> Result<(PatientSearch, u32)> {
    let mut errors = Errors::default();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        errors.add(
            "limit",
            "out_of_range",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        );
    }
    let texts = [
        ("name", &query.name),
        ("identifier_system", &query.identifier_system),
        ("identifier_value", &query.identifier_value),
        ("phone", &query.phone),
        ("email", &query.email),
    ];
    for (field, value) in texts {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_QUERY_TEXT_CHARS)
        {
            errors.add(
                field,
                "too_long",
                format!("at most {MAX_QUERY_TEXT_CHARS} characters"),
            );
        }
    }
    fn short(v: &Option<String>) -> Option<&str> {
        v.as_deref()
            .filter(|v| v.chars().count() <= MAX_QUERY_TEXT_CHARS)
    }
    let mut name_prefixes = short(&query.name).map(fold_words).unwrap_or_default();
    // The longest prefix drives the store's index (it is the most
    // selective); a stable sort keeps the order of words of equal length,
    // so one query always pages by the same key.
    name_prefixes.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    if short(&query.name).is_some() && name_prefixes.is_empty() {
        errors.add("name", "invalid_format", "name has no letters or digits");
    }
    let phone = short(&query.phone).and_then(|p| phone_key(p, phone_region));
    if short(&query.phone).is_some() && phone.is_none() {
        errors.add("phone", "invalid_format", "phone needs at least 4 digits");
    }
    let email = short(&query.email).and_then(email_key);
    if short(&query.email).is_some() && email.is_none() {
        errors.add("email", "invalid_format", "email needs an @");
    }
    let after = match &query.cursor {
        Some(c) => match parse_cursor(c, !name_prefixes.is_empty()) {
            Ok(position) => Some(position),
            Err(Error::Validation { fields }) => {
                fields.into_iter().for_each(|f| errors.push(f));
                None
            }
            Err(other) => return Err(other),
        },
        None => None,
    };
    errors.finish()?;
    let search = PatientSearch {
        name_prefixes,
        birth_date: query.birth_date,
        identifier_system: query.identifier_system.clone(),
        identifier_value: query.identifier_value.clone(),
        phone,
        email,
        gender: query.gender,
        active: query.active,
        after,
        limit: limit + 1,
    };
    Ok((search, limit))
}

/// Which maskable fields differ between two versions (for `patient.updated`).
fn changed_fields(before: &PatientDetails, after: &PatientDetails) -> Vec<&'static str> {
    let (a, b) = (before, after);
    PatientField::ALL
        .into_iter()
        .filter(|f| match f {
            PatientField::Identifiers => a.identifiers != b.identifiers,
            PatientField::Names => a.names != b.names,
            PatientField::Gender => a.gender != b.gender,
            PatientField::BirthDate => a.birth_date != b.birth_date,
            PatientField::Telecom => a.telecom != b.telecom,
            PatientField::Addresses => a.addresses != b.addresses,
            PatientField::Language => a.language != b.language,
            PatientField::EmergencyContacts => a.emergency_contacts != b.emergency_contacts,
            PatientField::Deceased => (a.deceased, a.deceased_at) != (b.deceased, b.deceased_at),
        })
        .map(|f| f.as_str())
        .collect()
}

/// `incoming` with the fields the actor cannot see taken from `stored`, so a
/// partial view never erases what it could not show.
fn keep_hidden(
    stored: &PatientDetails,
    incoming: PatientDetails,
    hidden: &[PatientField],
) -> PatientDetails {
    let mut d = incoming;
    for f in hidden {
        match f {
            PatientField::Identifiers => d.identifiers = stored.identifiers.clone(),
            PatientField::Names => d.names = stored.names.clone(),
            PatientField::Gender => d.gender = stored.gender,
            PatientField::BirthDate => d.birth_date = stored.birth_date,
            PatientField::Telecom => d.telecom = stored.telecom.clone(),
            PatientField::Addresses => d.addresses = stored.addresses.clone(),
            PatientField::Language => d.language = stored.language.clone(),
            PatientField::EmergencyContacts => {
                d.emergency_contacts = stored.emergency_contacts.clone()
            }
            PatientField::Deceased => {
                d.deceased = stored.deceased;
                d.deceased_at = stored.deceased_at;
            }
        }
    }
    d
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
        Ok(Identifier {
            system: ns.system.clone(),
            value: ns.format(n),
        })
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
    /// prepared, the valid ones applied each on its own, each refusal
    /// audited as `failed` like a refused single registration.
    async fn register_chunk(
        &self,
        attempt: &Attempt<'_>,
        chunk: Vec<NewPatient>,
    ) -> Vec<RegistrationAnswer> {
        let mut outcomes: Vec<Result<Patient>> = Vec::with_capacity(chunk.len());
        let mut change_sets = Vec::with_capacity(chunk.len());
        let mut applied_at = Vec::with_capacity(chunk.len());
        for new in chunk {
            match self.prepare_registration(attempt, new).await {
                Ok((changes, patient)) => {
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

    /// Everything registering one patient writes, and what the actor is
    /// answered once it is written: shared by the single and the batch
    /// operation so both follow the same rules.
    async fn prepare_registration(
        &self,
        attempt: &Attempt<'_>,
        new: NewPatient,
    ) -> Result<(ChangeSet, Patient)> {
        let now = self.now();
        let checked = validate_details(&new.details, now, &self.settings);
        let namespace = new
            .mrn_facility
            .as_deref()
            .map(|facility| self.mrn_namespace(facility))
            .transpose();
        // Every invalid field at once: the details' and the facility's.
        let namespace = match (checked, namespace) {
            (Ok(()), Ok(namespace)) => namespace,
            (Err(Error::Validation { mut fields }), Err(Error::Validation { fields: more })) => {
                fields.extend(more);
                return Err(Error::validation(fields));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let id = PatientId::new();
        let mut details = new.details;
        if let Some(ns) = namespace {
            details.identifiers.push(self.next_mrn(&ns).await?);
        }
        let patient = Patient {
            id,
            version: 1,
            details,
            active: true,
            merged_into: None,
            created_at: now,
            updated_at: now,
            hidden_fields: Vec::new(),
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
            .patient(PatientWrite::insert(patient.clone(), self.phone_region()))
            .audit(audit)
            .event(event);
        Ok((changes, sight.patient(patient)))
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

    /// One patient, masked to what the actor may see; the read is audited.
    pub async fn get_patient(&self, actor: &Actor, id: PatientId) -> Result<Patient> {
        let attempt = self
            .authorize(actor, Permission::PatientRead, Some(id))
            .await?;
        self.audited(&attempt, async {
            let patient = self
                .store
                .patient(id)
                .await?
                .ok_or_else(|| Error::not_found("patient"))?;
            self.store
                .apply(ChangeSet::audit_only(vec![self.success(&attempt, None)]))
                .await?;
            Ok(self.sight_of(&attempt).patient(patient))
        })
        .await
    }

    /// Replaces a patient's details if `expected_version` is still current.
    /// Fields hidden from the actor keep their stored values.
    pub async fn update_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: u64,
        details: PatientDetails,
    ) -> Result<Patient> {
        let attempt = self
            .authorize(actor, Permission::PatientUpdate, Some(id))
            .await?;
        self.audited(&attempt, async {
            let now = self.now();
            validate_details(&details, now, &self.settings)?;
            let stored = self.current(id, expected_version).await?;
            stored.accepts(PatientUse::UpdateDetails, "patient")?;
            // An update changes what the policy lets it change AND the actor
            // sees: a field it was never shown comes back empty, not erased.
            let sight = self.sight_of(&attempt);
            let hidden: Vec<PatientField> = PatientField::ALL
                .into_iter()
                .filter(|f| !sight.sees(*f) || !attempt.decision.visible_fields.contains(f))
                .collect();
            let details = keep_hidden(&stored.details, details, &hidden);
            let changed = changed_fields(&stored.details, &details);
            let patient = Patient {
                version: stored.version + 1,
                details,
                updated_at: now,
                ..stored
            };
            let event = EventDraft::new(
                PATIENT_UPDATED,
                Some(id),
                &id.to_string(),
                patient.version,
                json!({ "patient_id": id, "version": patient.version, "changed_fields": changed }),
                now,
            );
            self.store
                .apply(
                    ChangeSet::default()
                        .patient(PatientWrite::update(
                            patient.clone(),
                            expected_version,
                            self.phone_region(),
                        ))
                        .audit(self.success(&attempt, None))
                        .event(event),
                )
                .await?;
            Ok(sight.patient(patient))
        })
        .await
    }

    /// Loads a patient and checks the caller's expected version.
    pub(super) async fn current(&self, id: PatientId, expected_version: u64) -> Result<Patient> {
        let stored = self
            .store
            .patient(id)
            .await?
            .ok_or_else(|| Error::not_found("patient"))?;
        if stored.version != expected_version {
            return Err(Error::stale("patient", expected_version, stored.version));
        }
        Ok(stored)
    }

    /// Marks a patient inactive (kept, readable, excluded from duplicates).
    pub async fn deactivate_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: u64,
    ) -> Result<Patient> {
        self.set_active(actor, id, expected_version, false).await
    }

    /// Makes an inactive patient active again.
    pub async fn reactivate_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: u64,
    ) -> Result<Patient> {
        self.set_active(actor, id, expected_version, true).await
    }

    async fn set_active(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: u64,
        active: bool,
    ) -> Result<Patient> {
        let attempt = self
            .authorize(actor, Permission::PatientDeactivate, Some(id))
            .await?;
        self.audited(&attempt, async {
            let now = self.now();
            let stored = self.current(id, expected_version).await?;
            stored.accepts(PatientUse::ChangeStatus, "patient")?;
            if stored.active == active {
                let rule = if active {
                    "is already active"
                } else {
                    "is already inactive"
                };
                return Err(Error::invalid_state("patient", rule));
            }
            let patient = Patient {
                version: stored.version + 1,
                active,
                updated_at: now,
                ..stored
            };
            let kind = if active {
                PATIENT_REACTIVATED
            } else {
                PATIENT_DEACTIVATED
            };
            let event = EventDraft::new(
                kind,
                Some(id),
                &id.to_string(),
                patient.version,
                json!({ "patient_id": id, "version": patient.version }),
                now,
            );
            self.store
                .apply(
                    ChangeSet::default()
                        .patient(PatientWrite::update(
                            patient.clone(),
                            expected_version,
                            self.phone_region(),
                        ))
                        .audit(self.success(&attempt, None))
                        .event(event),
                )
                .await?;
            Ok(self.sight_of(&attempt).patient(patient))
        })
        .await
    }

    /// Searches patients; every patient returned is audited as read.
    /// Results show what the actor sees of any patient, and a filter on a
    /// field it does not see (a phone for billing, a birth date for an
    /// admin) is refused as `forbidden` naming the filter, audited as a
    /// denial: a match would confirm the hidden value.
    pub async fn search_patients(
        &self,
        actor: &Actor,
        query: &PatientQuery,
    ) -> Result<PatientPage> {
        let attempt = self
            .authorize(actor, Permission::PatientSearch, None)
            .await?;
        let sight = self.sight(actor, None).await?;
        let refused = sight.refused_filters(query);
        if !refused.is_empty() {
            let reason = DenyReason {
                fields: refused,
                ..attempt.decision.deny_reason()
            };
            return Err(self.deny(&attempt, reason).await);
        }
        self.audited(&attempt, async {
            let (search, limit) = normalize_query(query, self.phone_region())?;
            let mut hits = self.store.search_patients(&search).await?;
            let next_cursor = if hits.len() > limit as usize {
                hits.truncate(limit as usize);
                hits.last().map(|hit| cursor_for(&hit.position()))
            } else {
                None
            };
            let found: Vec<Patient> = hits.into_iter().map(|hit| hit.patient).collect();
            let reason = attempt.decision.audit_reason();
            let mut audit: Vec<_> = found
                .iter()
                .map(|p| {
                    self.draft_for(&attempt, Some(p.id), Outcome::Success, reason.clone(), None)
                })
                .collect();
            if audit.is_empty() {
                audit.push(self.success(&attempt, None));
            }
            self.store.apply(ChangeSet::audit_only(audit)).await?;
            Ok(PatientPage {
                items: found.into_iter().map(|p| sight.patient(p)).collect(),
                next_cursor,
            })
        })
        .await
    }
}
