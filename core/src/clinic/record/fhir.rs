//! FHIR R4 in and out of the health record: one resource of the record's
//! types imported as a new entry through the same pipeline as the named
//! operations (so an imported weight in `cm` is refused exactly as
//! `record_observation` would refuse it), and one entry exported through
//! the reader's sight (a codes-only reader's export carries no values and
//! nothing an import kept). The mapping itself is pure, in
//! `crate::record::fhir`.
//!
//! A DocumentReference comes with its bytes inline (`data`) and goes in
//! like `attach_document`: the same checks, the bytes kept through the
//! blob port before the entry. Its export carries the bytes again as
//! `data` for a reader with `record.notes` (so `export(import(x))` is `x`
//! for a clinician), read from the blob port and checked; without
//! `record.notes` the attachment has no `data` and no title, and nothing
//! an import kept. carebase gives no `url`: it serves bytes through
//! `read_document`, not at an address.

use serde_json::Value;

use super::super::fhir::references_within_bounds;
use super::documents::attachment_problems;
use super::Clinic;
use crate::actor::Actor;
use crate::fhir::FhirRefs;
use crate::ids::{EntryId, PatientId};
use crate::policy::Permission;
use crate::record::fhir::{
    entry_from_fhir, entry_to_fhir, kept_fhir, with_data, FhirEntryImport, ImportedEntry,
};
use crate::record::{ClinicalEntry, EntryBody};
use crate::store::ChangeSet;
use crate::validation::Errors;
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
    /// back (with the carebase id). A DocumentReference brings its bytes
    /// as `content[0].attachment.data` and passes `attach_document`'s
    /// checks (content type, size); a stated `size` or `hash` (base64
    /// SHA-1) must agree with them; one with only a `url` is refused
    /// (carebase does not fetch). Its bytes are kept before its entry.
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
                    self.write_imported(actor, &attempt, patient, &resource, imported)
                        .await
                }
                Err(refused) => Err(refused),
            };
            // A resource may be nested beyond what a recursive drop survives.
            crate::document::dismantle(resource);
            written
        })
        .await
    }

    /// Writes an imported entry: its checks, its bytes (a document's)
    /// through the blob port, then the entry with what the import kept.
    async fn write_imported(
        &self,
        actor: &Actor,
        attempt: &super::super::Attempt<'_>,
        patient: PatientId,
        resource: &Value,
        imported: ImportedEntry,
    ) -> Result<ClinicalEntry> {
        let in_fhir_terms = |e| imported.in_fhir_terms(e);
        if let (Some(bytes), EntryBody::Document(d)) = (&imported.bytes, &imported.entry.body) {
            let mut errors = Errors::default();
            attachment_problems(&mut errors, &d.content_type, bytes);
            errors.finish().map_err(in_fhir_terms)?;
        }
        let mut entry = self
            .first_version(actor, patient, imported.entry.clone())
            .await
            .map_err(in_fhir_terms)?;
        entry.fhir = kept_fhir(resource, &entry);
        if let Some(bytes) = &imported.bytes {
            self.document_blobs()?.put(bytes.as_slice()).await?;
        }
        self.store
            .apply(self.entry_changes(attempt, &entry, None))
            .await?;
        Ok(entry)
    }

    /// The FHIR R4 resource of one entry's current version, as the actor
    /// may see it (`record.read`; a codes-only reader sees encounters,
    /// conditions and procedures with their codes and nothing an import
    /// kept). `not_found` for an entry the patient does not have, a
    /// retracted one or one the actor's view leaves out (billing's codes
    /// view has no documents); `unsupported_kind` on `entry` for notes,
    /// which have no FHIR form here. A document's DocumentReference
    /// carries its bytes as `data` only for a reader with `record.notes`.
    /// Audited like every read.
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
            let mut resource = entry_to_fhir(&current).ok_or_else(|| {
                Error::invalid("entry", "unsupported_kind", "notes have no fhir form here")
            })?;
            if let EntryBody::Document(document) = &current.body {
                if sight.sees_notes() {
                    with_data(&mut resource, &self.document_bytes(document).await?);
                }
            }
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
