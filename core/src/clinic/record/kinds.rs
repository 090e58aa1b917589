//! One operation per kind of entry a clinician writes (a condition, an
//! allergy, a procedure, an immunization, a prescription, a note), each the
//! pipeline's `record_entry` with a typed body, plus what only
//! prescriptions have: the allergy check, renewal and their own status
//! moves.

use crate::Count32;
use chrono::{DateTime, Utc};

use super::{Change, Clinic, Target};
use crate::actor::Actor;
use crate::ids::{EntryId, PatientId};
use crate::record::{
    allergy_conflicts, Allergy, ClinicalEntry, ClinicalNote, Coding, Condition, EntryBody,
    EntryKind, EntryQuery, Immunization, NewEntry, Prescription, PrescriptionStatus, Procedure,
};
use crate::validation::Errors;
use crate::{Error, Result};

/// Allergy entries read per page while looking for conflicts.
const ALLERGY_PAGE: u32 = 200;

/// The audit note of a prescription's allergy overrides (ids only; the
/// reasons are in the entry the audit entry names).
pub(super) fn overrides_of(body: &EntryBody) -> Option<String> {
    let EntryBody::Prescription(p) = body else {
        return None;
    };
    if p.allergy_overrides.is_empty() {
        return None;
    }
    let ids: Vec<String> = p
        .allergy_overrides
        .iter()
        .map(|o| o.allergy.to_string())
        .collect();
    Some(format!("allergy override: {}", ids.join(", ")))
}

impl Clinic {
    /// The patient's current allergy entries to `substance` (index reads by
    /// patient and code, page by page).
    async fn allergies_to(
        &self,
        patient: PatientId,
        substance: &Coding,
    ) -> Result<Vec<ClinicalEntry>> {
        let mut found = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .entries(&EntryQuery {
                    patient,
                    kinds: vec![EntryKind::Allergy],
                    code: Some((substance.system.clone(), substance.code.clone())),
                    from: None,
                    to: None,
                    include_retracted: false,
                    after,
                    limit: ALLERGY_PAGE,
                })
                .await?;
            let full = page.len() >= ALLERGY_PAGE as usize;
            after = page.last().map(ClinicalEntry::position);
            found.extend(page);
            if !full {
                return Ok(found);
            }
        }
    }

    /// A prescription may not meet a standing allergy of the patient unless
    /// the prescriber overrode that allergy with a reason: `allergy_conflict`
    /// naming the allergies not overridden. An override naming no
    /// conflicting allergy is a `validation` error (it would record a
    /// decision that was never made). Other kinds pass.
    pub(super) async fn allergy_rule(&self, patient: PatientId, body: &EntryBody) -> Result<()> {
        let EntryBody::Prescription(prescription) = body else {
            return Ok(());
        };
        let allergies = self.allergies_to(patient, &prescription.medication).await?;
        let conflicts = allergy_conflicts(&prescription.medication, &allergies);
        let mut errors = Errors::default();
        for (i, o) in prescription.allergy_overrides.iter().enumerate() {
            if !conflicts.contains(&o.allergy) {
                errors.add(
                    format!("body.allergy_overrides[{i}].allergy"),
                    "not_a_conflict",
                    "must name a standing allergy to the medication",
                );
            }
        }
        errors.finish()?;
        let unexplained: Vec<EntryId> = conflicts
            .into_iter()
            .filter(|id| {
                !prescription
                    .allergy_overrides
                    .iter()
                    .any(|o| o.allergy == *id)
            })
            .collect();
        if unexplained.is_empty() {
            Ok(())
        } else {
            Err(Error::AllergyConflict {
                allergies: unexplained,
            })
        }
    }

    /// Records `body` as a new entry at `effective_at`, in `encounter`.
    async fn record_body(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        body: EntryBody,
    ) -> Result<ClinicalEntry> {
        let entry = NewEntry {
            effective_at,
            encounter,
            body,
        };
        self.record_entry(actor, patient, &entry).await
    }

    /// Records a problem or diagnosis (`condition.recorded`).
    pub async fn record_condition(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        condition: &Condition,
    ) -> Result<ClinicalEntry> {
        let body = EntryBody::Condition(condition.clone());
        self.record_body(actor, patient, effective_at, encounter, body)
            .await
    }

    /// Records an allergy or intolerance; from then on prescriptions of
    /// its substance meet it while it stands.
    pub async fn record_allergy(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        allergy: &Allergy,
    ) -> Result<ClinicalEntry> {
        let body = EntryBody::Allergy(allergy.clone());
        self.record_body(actor, patient, effective_at, encounter, body)
            .await
    }

    /// Records a procedure that started at `effective_at` (its end, if
    /// given, may not come before).
    pub async fn record_procedure(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        procedure: &Procedure,
    ) -> Result<ClinicalEntry> {
        let body = EntryBody::Procedure(procedure.clone());
        self.record_body(actor, patient, effective_at, encounter, body)
            .await
    }

    /// Records a vaccine given (or not) at `effective_at`.
    pub async fn record_immunization(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        immunization: &Immunization,
    ) -> Result<ClinicalEntry> {
        let body = EntryBody::Immunization(immunization.clone());
        self.record_body(actor, patient, effective_at, encounter, body)
            .await
    }

    /// Issues a prescription (`prescription.issued`). Refused with
    /// `allergy_conflict` naming the patient's standing allergies to the
    /// medication, unless each is overridden in `allergy_overrides` with a
    /// reason: the overrides are kept in the entry and noted in its audit
    /// entry.
    pub async fn prescribe(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        prescription: &Prescription,
    ) -> Result<ClinicalEntry> {
        let body = EntryBody::Prescription(prescription.clone());
        self.record_body(actor, patient, effective_at, encounter, body)
            .await
    }

    /// Writes a clinical note authored by the actor's practitioner (an
    /// actor who is not a practitioner cannot author one). Its text is
    /// read only with `record.notes`.
    pub async fn write_note(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        title: Option<&str>,
        text: &str,
    ) -> Result<ClinicalEntry> {
        let Some(author) = actor.practitioner else {
            return Err(Error::invalid(
                "actor",
                "not_a_practitioner",
                "a note is authored by a practitioner",
            ));
        };
        let body = EntryBody::Note(ClinicalNote {
            author,
            title: title.map(str::to_owned),
            text: text.to_owned(),
        });
        self.record_body(actor, patient, effective_at, encounter, body)
            .await
    }

    /// Moves a prescription along its life cycle: active → on-hold,
    /// completed, stopped or cancelled; on-hold → active (or stopped,
    /// cancelled). An entry that is not a prescription is `not_found` on
    /// `entry`.
    pub async fn change_prescription_status(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
        expected_version: Count32,
        status: PrescriptionStatus,
    ) -> Result<ClinicalEntry> {
        let target = Target::of(EntryKind::Prescription, patient, entry, expected_version);
        self.move_standing(actor, target, status.as_str()).await
    }

    /// Renews a prescription: a NEW prescription entry that `replaces` the
    /// old one, and the old one moved to `ends_as` (`completed` or
    /// `stopped`), both in ONE change set, so there is never a moment with
    /// two standing or none. The new one passes the allergy check like any
    /// prescription. The new one takes effect at the clinic's now.
    pub async fn renew_prescription(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
        expected_version: Count32,
        ends_as: PrescriptionStatus,
        prescription: &Prescription,
    ) -> Result<ClinicalEntry> {
        let target = Target::of(EntryKind::Prescription, patient, entry, expected_version);
        let change = Change::Renew {
            ends_as,
            prescription,
        };
        let changed = self.change_standing(actor, target, change).await?;
        changed
            .alongside
            .into_iter()
            .next()
            .ok_or_else(|| Error::storage("a renewal wrote no new prescription"))
    }
}
