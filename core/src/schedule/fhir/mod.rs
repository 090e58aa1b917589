//! FHIR R4 JSON for scheduling: Appointment import and export, Schedule and
//! Slot round trips, and exporters from carebase's practitioners and free
//! slots. Pure functions over `serde_json::Value`: no I/O, no store.
//!
//! What carebase does not model is kept, so an export returns what was
//! imported:
//!
//! - [`FhirAppointment`], [`FhirSchedule`] and [`FhirSlot`] read the elements
//!   carebase understands into typed fields and keep every other element in
//!   `extra`; `from_fhir` then `to_fhir` gives back the same JSON value.
//! - [`appointment_from_fhir`] resolves the patient, practitioner and room
//!   references and requires what an appointment in carebase needs;
//!   [`ImportedAppointment::fhir_extra`] keeps the rest, which
//!   [`appointment_to_fhir`] merges back (its shape is below).
//!
//! Instants are read as RFC 3339 date-times with a zone and written in UTC
//! (`2013-12-10T09:00:00Z`, fractional seconds only when not zero); one no
//! host can represent (a year outside 1–9999, a leap second) is
//! `out_of_range`. Every resource read is first bounded as a document
//! ([`crate::document`]). Field
//! errors name FHIR paths such as `participant[1].actor.reference` and never
//! carry the values read.
//!
//! ## `Appointment::fhir_extra`
//!
//! An imported appointment keeps there what carebase does not model:
//!
//! ```json
//! {
//!   "source_id": "example",
//!   "resource": { "text": …, "serviceType": …, "participant": [ … ], … },
//!   "references": { "Patient/0190…": "Patient/example", … },
//!   "instants": { "start": "2013-12-10T10:00:00+01:00" }
//! }
//! ```
//!
//! - `source_id`: the `id` the resource had where it came from (the export
//!   uses the carebase id); absent when it had none.
//! - `resource`: every element but `resourceType`, `id`, `status`, `start`,
//!   `end` and `comment`, as written. `participant` keeps every entry in its
//!   order with all its elements; the `actor.reference` of the patient, the
//!   practitioner and the room entries is rewritten to the carebase reference
//!   (`Patient/<uuid>`, `Practitioner/<uuid>`, `Location/<uuid>` or
//!   `Device/<uuid>`).
//! - `references`: carebase reference → the reference text the source used,
//!   for those three entries, so the export restores the original text.
//! - `instants`: only when the source wrote `start` or `end` differently from
//!   carebase's UTC form; used while the instant is unchanged.
//!
//! [`appointment_to_fhir`] rebuilds the modelled elements from the
//! appointment and merges the rest back. A participant entry whose carebase
//! reference no longer matches the appointment (it was moved to another
//! practitioner or room) is replaced by a fresh entry; `cancelationReason` is
//! kept while its first code is the appointment's cancellation reason.

pub mod appointment;
pub mod practitioner;
pub mod schedule;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::FieldError;
use crate::ids::VisitTypeId;

// The generic helpers live in `crate::fhir`, shared with the health record;
// these re-exports keep every `schedule::fhir` path working.
pub(crate) use crate::fhir::{
    array, boolean, fail, instant, object, ordered, put_instant, put_str, resource_type, rest,
    string,
};
pub use crate::fhir::{
    format_instant, parse_instant, reference_parts, FhirReference, FhirRefs, Object,
};

pub use appointment::{
    appointment_from_fhir, appointment_to_fhir, fhir_source_id, FhirAppointment,
    ImportedAppointment, CANCELLATION_REASON_SYSTEM,
};
pub use practitioner::{practitioner_from_fhir, practitioner_to_fhir, ImportedPractitioner};
pub use schedule::{
    schedule_to_fhir, slot_id, slot_to_fhir, slots_bundle, FhirPeriod, FhirSchedule, FhirSlot,
    FhirSlotStatus,
};

/// Appointment.participant elements in FHIR R4 order.
const PARTICIPANT_ORDER: &str = "id extension modifierExtension type actor required status period";

/// One `Appointment.participant` (part of [`FhirAppointment`]): its actor
/// and every other element.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FhirParticipant {
    /// `actor`.
    #[serde(default)]
    pub actor: Option<FhirReference>,
    /// `type`, `required`, `status`, `period`, extensions…, as written.
    #[serde(default)]
    pub extra: Object,
}

impl fmt::Debug for FhirParticipant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirParticipant")
            .field(
                "reference",
                &self.actor.as_ref().and_then(|a| a.reference.as_deref()),
            )
            .finish_non_exhaustive()
    }
}

impl FhirParticipant {
    fn read(value: &Value, at: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
        let obj = object(value, at, errors)?;
        Some(Self {
            actor: obj
                .get("actor")
                .and_then(|a| FhirReference::read(a, &format!("{at}.actor"), errors)),
            extra: rest(obj, &["actor"]),
        })
    }

    /// The JSON object.
    pub fn to_fhir(&self) -> Value {
        let mut out = self.extra.clone();
        if let Some(actor) = &self.actor {
            out.insert("actor".into(), actor.to_fhir());
        }
        Value::Object(ordered(out, PARTICIPANT_ORDER))
    }
}

/// What importing a FHIR Appointment into a clinic takes
/// ([`crate::Clinic::import_appointment_fhir`]).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["visit_type", "migration"])))]
pub struct FhirAppointmentImport {
    /// The FHIR R4 Appointment resource (JSON). A JSON string is read as
    /// JSON text: that is how Kotlin and Swift hand it over (see
    /// [`crate::document::read`]).
    pub resource: Value,
    /// The visit type; when `None`, the one whose `code` equals a code of
    /// `appointmentType.coding` (ignoring case).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub visit_type: Option<VisitTypeId>,
    /// Reference text used in the resource → carebase id (see [`FhirRefs`]).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub references: BTreeMap<String, String>,
    /// A migration import: the record of a system being replaced, kept as
    /// it was instead of passing the booking rules. Needs
    /// `appointment.migrate` (not `appointment.book`) and is flagged in the
    /// audit (see [`crate::Clinic::import_appointment_fhir`]).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub migration: bool,
}

impl fmt::Debug for FhirAppointmentImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirAppointmentImport")
            .field("visit_type", &self.visit_type)
            .field("references", &self.references.len())
            .field("migration", &self.migration)
            .finish_non_exhaustive()
    }
}
