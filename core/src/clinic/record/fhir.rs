//! FHIR R4 in and out of the health record: one resource of the record's
//! types imported as a new entry through the same pipeline as the named
//! operations (so an imported weight in `cm` is refused exactly as
//! `record_observation` would refuse it), and one entry exported through
//! the reader's sight (a codes-only reader's export carries no values and
//! nothing an import kept). The mapping itself is pure, in
//! `crate::record::fhir`.

use serde_json::Value;

use super::super::fhir::references_within_bounds;
use super::Clinic;
use crate::actor::Actor;
use crate::fhir::FhirRefs;
use crate::ids::{EntryId, PatientId};
use crate::policy::Permission;
use crate::record::fhir::{entry_from_fhir, entry_to_fhir, kept_fhir, FhirEntryImport};
use crate::record::ClinicalEntry;
use crate::store::ChangeSet;
use crate::{Error, Result};

impl Clinic {
    /// Imports one FHIR R4 resource (Encounter, Observation,
    /// DiagnosticReport, Condition, AllergyIntolerance, MedicationRequest,
    /// Procedure, Immunization) into `patient`'s record as a new entry:
    /// `record.write` on the patient; its subject must resolve to the
    /// patient through `references`; the entry passes every rule the named
    /// operations apply (codes, units, vital signs, allergy conflicts),
    /// with failing fields named by their FHIR path. What the entry does
    /// not model is kept in its `fhir`, so an export gives the resource
    /// back (with the carebase id). A DocumentReference is refused with
    /// the reason on its attachment.
    pub async fn import_entry_fhir(
        &self,
        actor: &Actor,
        patient: PatientId,
        import: FhirEntryImport,
    ) -> Result<ClinicalEntry> {
        let attempt = self
            .authorize(actor, Permission::RecordWrite, Some(patient))
            .await?;
        let FhirEntryImport {
            resource,
            references,
        } = import;
        self.audited(&attempt, async {
            references_within_bounds(&references)?;
            let resource = crate::document::read(resource, "resource")?;
            let refs = FhirRefs::from(references);
            let imported = entry_from_fhir(&resource, patient, &refs);
            let written = match imported {
                Ok(imported) => {
                    let first = self
                        .first_version(actor, patient, imported.entry.clone())
                        .await
                        .map_err(|e| imported.in_fhir_terms(e));
                    match first {
                        Ok(mut entry) => {
                            entry.fhir = kept_fhir(&resource, &entry);
                            self.store
                                .apply(self.entry_changes(&attempt, &entry, None))
                                .await
                                .map(|_| entry)
                        }
                        Err(refused) => Err(refused),
                    }
                }
                Err(refused) => Err(refused),
            };
            // A resource may be nested beyond what a recursive drop survives.
            crate::document::dismantle(resource);
            written
        })
        .await
    }

    /// The FHIR R4 resource of one entry's current version, as the actor
    /// may see it (`record.read`; a codes-only reader sees encounters,
    /// conditions and procedures with their codes and nothing an import
    /// kept). `not_found` for an entry the patient does not have, a
    /// retracted one or one the actor's view leaves out;
    /// `unsupported_kind` on `entry` for notes and documents, which have no
    /// FHIR form here. Audited like every read.
    pub async fn export_entry_fhir(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
    ) -> Result<Value> {
        let (attempt, sight) = self.record_reader(actor, patient).await?;
        self.audited(&attempt, async {
            let current = self
                .store
                .entry(patient, entry)
                .await?
                .filter(|e| !e.is_retracted())
                .and_then(|e| sight.show(e))
                .ok_or_else(|| Error::missing("entry", "entry"))?;
            let resource = entry_to_fhir(&current).ok_or_else(|| {
                Error::invalid(
                    "entry",
                    "unsupported_kind",
                    "notes and documents have no fhir form here",
                )
            })?;
            self.store
                .apply(ChangeSet::audit_only(vec![
                    self.success(&attempt, Some(format!("entry:{entry}")))
                ]))
                .await?;
            Ok(resource)
        })
        .await
    }
}
