//! FHIR R4 Patient import and export. The mapping itself is pure code in
//! [`crate::patient::fhir`]; here it meets registration's rules, the
//! policy and the audit.

use serde_json::Value;

use super::registration::NewPatient;
use super::Clinic;
use crate::actor::Actor;
use crate::ids::PatientId;
use crate::patient::fhir::{patient_from_fhir, patient_to_fhir};
use crate::patient::Patient;
use crate::policy::Permission;
use crate::store::ChangeSet;
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
}
