//! FHIR R4 Patient and Practitioner import and export. The mappings
//! themselves are pure code in [`crate::patient::fhir`] and
//! [`crate::schedule::fhir::practitioner`]; here they meet registration's
//! and scheduling's rules, the policy and the audit.

use serde_json::Value;

use super::registration::NewPatient;
use super::Clinic;
use crate::actor::Actor;
use crate::error::FieldError;
use crate::ids::{PatientId, PractitionerId};
use crate::patient::fhir::{patient_from_fhir, patient_to_fhir};
use crate::patient::Patient;
use crate::policy::Permission;
use crate::schedule::fhir::{practitioner_from_fhir, practitioner_to_fhir};
use crate::schedule::{validate, Availability, NewPractitioner, Practitioner};
use crate::store::{ChangeSet, Versioned};
use crate::{Error, Result};

impl Clinic {
    /// Registers the patient a FHIR R4 Patient resource describes.
    ///
    /// An import is a registration: it needs `patient.register` and passes
    /// THE rules of [`Clinic::register_patient`] (every field checked,
    /// phones read with the clinic's region, identifiers' check digits, an
    /// MRN of `mrn_facility` when given, identifier uniqueness), written
    /// with its audit entry and `patient.registered` in one transaction.
    /// Field errors name FHIR paths (`name[0].family`, `telecom[1].value`).
    /// What carebase does not model is kept in [`Patient::fhir_extra`], so
    /// [`Clinic::export_patient_fhir`] gives the resource back (with the
    /// carebase id). `active: false` registers an inactive record.
    ///
    /// A resource with an identifier another patient holds is refused
    /// (`conflict`, `duplicate_identifier` naming the system), never
    /// merged into that patient: an update needs the version it replaces
    /// ([`Clinic::update_patient`]), so an import never overwrites a record
    /// unseen.
    pub async fn import_patient_fhir(
        &self,
        actor: &Actor,
        resource: Value,
        mrn_facility: Option<&str>,
    ) -> Result<Patient> {
        let attempt = self
            .authorize(actor, Permission::PatientRegister, None)
            .await?;
        self.audited(&attempt, async {
            let read = crate::document::read(resource, "resource");
            let imported = match &read {
                Ok(resource) => patient_from_fhir(resource),
                Err(refused) => Err(refused.clone()),
            };
            // A resource may be nested beyond what a recursive drop survives.
            if let Ok(resource) = read {
                crate::document::dismantle(resource);
            }
            let imported = imported?;
            let new = NewPatient {
                details: imported.details.clone(),
                mrn_facility: mrn_facility.map(str::to_owned),
            };
            let mut checked = self
                .check_registration(new)
                .map_err(|e| imported.fhir_error(e))?;
            checked.active = imported.active;
            checked.fhir_extra = Some(imported.fhir_extra);
            let (changes, patient) = self.prepare_checked(&attempt, checked).await?;
            self.store.apply(changes).await?;
            Ok(patient)
        })
        .await
    }

    /// One patient as a FHIR R4 Patient (`id` = the carebase id; what an
    /// import kept is written back where it still matches the record).
    /// Needs `patient.read` like [`Clinic::get_patient`], shows what that
    /// shows the actor (hidden fields' elements left out, the kept resource
    /// only to an actor who sees every field) and is audited the same way.
    pub async fn export_patient_fhir(&self, actor: &Actor, id: PatientId) -> Result<Value> {
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
            Ok(patient_to_fhir(&self.sight_of(&attempt).patient(patient)))
        })
        .await
    }

    /// Adds the practitioner a FHIR R4 Practitioner resource describes, with
    /// `time_zone` (FHIR has no zone for a person) and no availability yet.
    ///
    /// An import is an addition: it needs `schedule.manage` like
    /// [`Clinic::add_practitioner`] and passes its rules (the display name
    /// read from `name` as in [`crate::schedule::fhir::practitioner`], an
    /// IANA zone), every failing field reported at once, written with its
    /// audit entry in one transaction. Each import adds a new practitioner
    /// with a carebase id (the resource's own `id` is kept): carebase has no
    /// identifier to match a practitioner on, so an import never changes
    /// one already there. What carebase does not model is kept in
    /// [`Practitioner::fhir_extra`] for [`Clinic::export_practitioner_fhir`].
    pub async fn import_practitioner_fhir(
        &self,
        actor: &Actor,
        resource: Value,
        time_zone: &str,
    ) -> Result<Practitioner> {
        let attempt = self
            .authorize(actor, Permission::ScheduleManage, None)
            .await?;
        self.audited(&attempt, async {
            let read = crate::document::read(resource, "resource");
            let imported = match &read {
                Ok(resource) => practitioner_from_fhir(resource),
                Err(refused) => Err(refused.clone()),
            };
            // A resource may be nested beyond what a recursive drop survives.
            if let Ok(resource) = read {
                crate::document::dismantle(resource);
            }
            let (mut errors, imported) = match imported {
                Ok(imported) => (Vec::new(), Some(imported)),
                Err(Error::Validation { fields }) => (fields, None),
                Err(other) => return Err(other),
            };
            let new = NewPractitioner {
                id: None,
                name: imported
                    .as_ref()
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                time_zone: time_zone.to_owned(),
                availability: Availability::default(),
            };
            let mut rules = Vec::new();
            validate::new_practitioner(&mut rules, &new);
            // An unreadable name is already reported by the mapping.
            rules.retain(|e: &FieldError| imported.is_some() || e.field != "name");
            errors.extend(rules);
            let (Some(imported), true) = (imported, errors.is_empty()) else {
                return Err(Error::validation(errors));
            };
            let now = self.now();
            let practitioner = Practitioner {
                id: PractitionerId::new(),
                version: crate::Count64::new(1),
                name: new.name,
                time_zone: new.time_zone,
                availability: new.availability,
                active: imported.active,
                created_at: now,
                updated_at: now,
                fhir_extra: Some(imported.fhir_extra),
            };
            let audit = self.success(&attempt, Some(format!("practitioner:{}", practitioner.id)));
            self.store
                .apply(
                    ChangeSet::default()
                        .practitioner(Versioned::Insert(practitioner.clone()))
                        .audit(audit),
                )
                .await?;
            Ok(practitioner)
        })
        .await
    }

    /// One practitioner as a FHIR R4 Practitioner (`id` = the carebase id;
    /// what an import kept is written back where it still matches the
    /// record). Needs `schedule.read` like [`Clinic::get_practitioner`];
    /// the export is audited as a success with the practitioner named.
    pub async fn export_practitioner_fhir(
        &self,
        actor: &Actor,
        id: PractitionerId,
    ) -> Result<Value> {
        let attempt = self
            .authorize(actor, Permission::ScheduleRead, None)
            .await?;
        self.audited(&attempt, async {
            let practitioner = self
                .store
                .practitioner(id)
                .await?
                .ok_or_else(|| Error::not_found("practitioner"))?;
            let audit = self.success(&attempt, Some(format!("practitioner:{id}")));
            self.store.apply(ChangeSet::audit_only(vec![audit])).await?;
            Ok(practitioner_to_fhir(
                &practitioner,
                practitioner.fhir_extra.as_ref(),
            ))
        })
        .await
    }
}
