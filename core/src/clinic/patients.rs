//! Reading, updating, deactivating and searching patients (registering
//! them and allocating MRNs: `registration.rs`).

use crate::Count32;
use crate::Count64;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use super::Clinic;
use crate::actor::Actor;
use crate::audit::Outcome;
use crate::events::{EventDraft, PATIENT_DEACTIVATED, PATIENT_REACTIVATED, PATIENT_UPDATED};
use crate::ids::PatientId;
use crate::limits::{MAX_CURSOR_CHARS, MAX_QUERY_TEXT_CHARS};
use crate::patient::normalize::{email_key, fold_words, phone_key};
use crate::patient::search::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::patient::validate::validate_details;
use crate::patient::{
    Patient, PatientDetails, PatientField, PatientPage, PatientQuery, PatientSearch, PatientUse,
    SearchPosition,
};
use crate::policy::{DenyReason, Permission};
use crate::store::{ChangeSet, PatientWrite};
use crate::validation::Errors;
use crate::{Error, Result};

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
    let limit = query.limit.unwrap_or(Count32::new(DEFAULT_LIMIT));
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
        limit: (limit + 1).get(),
    };
    Ok((search, limit.get()))
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
        expected_version: Count64,
        details: PatientDetails,
    ) -> Result<Patient> {
        let attempt = self
            .authorize(actor, Permission::PatientUpdate, Some(id))
            .await?;
        self.audited(&attempt, async {
            let now = self.now();
            validate_details(&details, now, &self.settings)?;
            let stored = self.current(id, expected_version.get()).await?;
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
                patient.version.get(),
                json!({ "patient_id": id, "version": patient.version, "changed_fields": changed }),
                now,
            );
            self.store
                .apply(
                    ChangeSet::default()
                        .patient(PatientWrite::update(
                            patient.clone(),
                            expected_version.get(),
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
            return Err(Error::stale(
                "patient",
                expected_version,
                stored.version.get(),
            ));
        }
        Ok(stored)
    }

    /// Marks a patient inactive (kept, readable, excluded from duplicates).
    pub async fn deactivate_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: Count64,
    ) -> Result<Patient> {
        self.set_active(actor, id, expected_version.get(), false)
            .await
    }

    /// Makes an inactive patient active again.
    pub async fn reactivate_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: Count64,
    ) -> Result<Patient> {
        self.set_active(actor, id, expected_version.get(), true)
            .await
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
                patient.version.get(),
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
