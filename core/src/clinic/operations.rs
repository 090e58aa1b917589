//! Every public [`Clinic`] operation, listed once.
//!
//! [`clinic_operations!`](crate::clinic_operations) hands the list to a
//! macro of the caller's ("callback" style), so each binding produces its
//! methods from it instead of from memory. From the same list this module
//! generates:
//!
//! - [`ClinicOperations`], a trait with one method per entry taking its
//!   arguments owned, implemented for `Clinic` by calling the inherent
//!   method: an entry whose method is missing or whose types differ does not
//!   compile;
//! - [`OPERATIONS`], the list as data (names and types as text) for tools
//!   and parity tests. `core/tests/operations.rs` fails when `Clinic` gains a
//!   public async method the list lacks.
//!
//! # The entry format (a contract: bindings match on it)
//!
//! ```text
//! fn get_patient(&actor, id: PatientId) -> Patient;
//! fn register_patient(&actor, #[flatten] new: NewPatient) -> Patient;
//! fn search_patients(&actor, #[default] query: PatientQuery) -> PatientPage;
//! ```
//!
//! - `&actor` first: the operation takes the acting [`Actor`] (by
//!   reference in the inherent method, owned in the trait).
//! - each argument is `name: OwnedType`; the names are the hosts' argument
//!   names (and JSON keys), the types what a host hands over, owned. The
//!   inherent method may borrow them (`&T`, `&str`, `Option<&T>`) or take a
//!   [`Duration`](chrono::Duration) as [`Minutes`]: [`Lend`] does the step.
//! - argument attributes are serde field attributes for the JSON form of
//!   the call: `#[flatten]` (the argument's fields are arguments of their
//!   own, e.g. `details` and `mrn_facility`) and `#[default]` (may be left
//!   out: read as an empty object).
//! - the return type is what `Ok` holds (`()` for nothing).
//!
//! Types are written unqualified: a callback expands them where it is
//! invoked, so it first brings them into scope with
//! `use carebase::clinic::operations::types::*;`.
//!
//! A callback matches the whole list with
//!
//! ```text
//! ($( fn $name:ident ( $(&$actor:ident $(,)?)? $( $(#[$attr:ident])* $arg:ident : $ty:ty ),* ) -> $ret:ty ; )*)
//! ```

use std::future::Future;

use chrono::Duration;

use super::Clinic;
use crate::actor::Actor;
use crate::minutes::Minutes;
use crate::Result;

/// The types the operation list (and `host_functions!`) names, for
/// callbacks to glob-import.
pub mod types {
    pub use crate::access::{BreakGlassGrant, CareAssignment};
    pub use crate::actor::{Actor, Role};
    pub use crate::audit::{
        AccessRecord, AuditCheckpoint, AuditEntry, AuditQuery, AuditVerification,
    };
    pub use crate::bytes::Bytes;
    pub use crate::clinic::{
        BookSeries, NewPatient, PatientRegistrations, RegistrationAnswer, Settings,
    };
    pub use crate::count::{Count32, Count64};
    pub use crate::events::OutboxEvent;
    pub use crate::ids::{
        ActorId, AppointmentId, EntryId, GrantId, MergeId, PatientId, PractitionerId,
    };
    pub use crate::minutes::Minutes;
    pub use crate::patient::{
        DuplicateCandidate, Identifier, MergeRecord, PageQuery, Patient, PatientDetails,
        PatientPage, PatientQuery,
    };
    pub use crate::policy::{Decision, Permission, Policy};
    pub use crate::record::fhir::FhirEntryImport;
    pub use crate::record::{
        Allergy, CheckIn, ClinicalEntry, Coding, Condition, DocumentContent, EncounterStatus,
        EntryBody, EntryPage, Immunization, LabReport, NewEncounter, NewEntry, NewLabReport,
        Observation, ObservationQuery, Prescription, PrescriptionStatus, Procedure, TimelineQuery,
    };
    pub use crate::schedule::fhir::FhirAppointmentImport;
    pub use crate::schedule::{
        Appointment, AppointmentQuery, AppointmentStatus, Availability, BookAppointment,
        CancelAppointment, DueReminder, NewPractitioner, NewResource, NewVisitType, Practitioner,
        RescheduleAppointment, Resource, SlotPage, SlotQuery, VisitType,
    };
    pub use chrono::{DateTime, Utc};
    pub use serde_json::Value;
}

/// Hands every public `Clinic` operation to `$callback!` (see the module
/// documentation of `carebase::clinic::operations` for the entry format).
/// Grouped as the files of `core/src/clinic/` are.
#[macro_export]
macro_rules! clinic_operations {
    ($callback:path) => {
        $callback! {
            // patients.rs
            fn register_patient(&actor, #[flatten] new: NewPatient) -> Patient;
            fn register_patients(&actor, patients: Vec<NewPatient>) -> PatientRegistrations;
            fn generate_mrn(&actor, facility: String) -> Identifier;
            fn get_patient(&actor, id: PatientId) -> Patient;
            fn update_patient(&actor, id: PatientId, expected_version: Count64, details: PatientDetails) -> Patient;
            fn deactivate_patient(&actor, id: PatientId, expected_version: Count64) -> Patient;
            fn reactivate_patient(&actor, id: PatientId, expected_version: Count64) -> Patient;
            fn search_patients(&actor, #[default] query: PatientQuery) -> PatientPage;
            // merge.rs
            fn find_duplicates(&actor, id: PatientId, limit: Count32) -> Vec<DuplicateCandidate>;
            fn merge_patients(&actor, survivor: PatientId, survivor_version: Count64, merged: PatientId, merged_version: Count64) -> MergeRecord;
            fn unmerge_patients(&actor, merge_id: MergeId) -> Patient;
            fn merge_history(&actor, patient: PatientId) -> Vec<MergeRecord>;
            // access.rs
            fn assign_care_team(&actor, patient: PatientId, practitioner: PractitionerId) -> CareAssignment;
            fn remove_care_team(&actor, patient: PatientId, practitioner: PractitionerId) -> ();
            fn care_team(&actor, patient: PatientId) -> Vec<CareAssignment>;
            fn patients_of_practitioner(&actor, practitioner: PractitionerId, #[default] query: PageQuery) -> PatientPage;
            fn request_emergency_access(&actor, patient: PatientId, reason: String, duration: Option<Minutes>) -> BreakGlassGrant;
            fn grants_awaiting_review(&actor, limit: Count32) -> Vec<BreakGlassGrant>;
            fn review_emergency_access(&actor, grant: GrantId, note: Option<String>) -> BreakGlassGrant;
            // mod.rs
            fn replace_policy(&actor, policy: Policy) -> ();
            fn explain_access(&actor, permission: Permission, patient: Option<PatientId>) -> Decision;
            // audit.rs
            fn audit_log(&actor, #[default] query: AuditQuery) -> Vec<AuditEntry>;
            fn verify_audit(&actor, trusted: Option<AuditCheckpoint>) -> AuditVerification;
            fn audit_checkpoint(&actor) -> AuditCheckpoint;
            fn who_accessed(&actor, patient: PatientId, limit: Option<Count32>) -> Vec<AccessRecord>;
            // outbox.rs
            fn poll_events(&actor, consumer: String, limit: Count32) -> Vec<OutboxEvent>;
            fn events_after(&actor, after: Vec<Count64>, limit: Count32) -> Vec<OutboxEvent>;
            fn ack_events(&actor, consumer: String, partition: Count32, seq: Count64) -> Count64;
            // scheduling.rs
            fn add_practitioner(&actor, practitioner: NewPractitioner) -> Practitioner;
            fn set_availability(&actor, practitioner: PractitionerId, expected_version: Count64, availability: Availability) -> Practitioner;
            fn get_practitioner(&actor, id: PractitionerId) -> Practitioner;
            fn list_practitioners(&actor) -> Vec<Practitioner>;
            fn add_resource(&actor, resource: NewResource) -> Resource;
            fn list_resources(&actor) -> Vec<Resource>;
            fn add_visit_type(&actor, visit_type: NewVisitType) -> VisitType;
            fn list_visit_types(&actor) -> Vec<VisitType>;
            fn find_free_slots(&actor, query: SlotQuery) -> SlotPage;
            // appointments.rs
            fn book_appointment(&actor, booking: BookAppointment) -> Appointment;
            fn book_series(&actor, #[flatten] series: BookSeries) -> Vec<Appointment>;
            fn get_appointment(&actor, id: AppointmentId) -> Appointment;
            fn reschedule_appointment(&actor, id: AppointmentId, expected_version: Count64, change: RescheduleAppointment) -> Appointment;
            fn cancel_appointment(&actor, id: AppointmentId, expected_version: Count64, cancel: CancelAppointment) -> Appointment;
            fn change_appointment_status(&actor, id: AppointmentId, expected_version: Count64, status: AppointmentStatus) -> Appointment;
            fn list_appointments(&actor, query: AppointmentQuery) -> Vec<Appointment>;
            fn due_reminders(&actor, from: DateTime<Utc>, to: DateTime<Utc>, limit: Count32) -> Vec<DueReminder>;
            fn mark_reminder_sent(&actor, appointment: AppointmentId, offset_minutes: Count32) -> ();
            // fhir.rs
            fn export_appointment_fhir(&actor, id: AppointmentId) -> Value;
            fn import_appointment_fhir(&actor, #[flatten] import: FhirAppointmentImport) -> Appointment;
            fn export_schedule_fhir(&actor, practitioner: PractitionerId) -> Value;
            fn export_free_slots_fhir(&actor, query: SlotQuery) -> Value;
            // fhir_people.rs
            fn import_patient_fhir(&actor, resource: Value, mrn_facility: Option<String>) -> Patient;
            fn export_patient_fhir(&actor, id: PatientId) -> Value;
            fn import_practitioner_fhir(&actor, resource: Value, time_zone: String) -> Practitioner;
            fn export_practitioner_fhir(&actor, id: PractitionerId) -> Value;
            // record/mod.rs
            fn record_entry(&actor, patient: PatientId, entry: NewEntry) -> ClinicalEntry;
            fn change_entry_status(&actor, patient: PatientId, entry: EntryId, expected_version: Count32, status: String) -> ClinicalEntry;
            fn amend_entry(&actor, patient: PatientId, entry: EntryId, expected_version: Count32, body: EntryBody, reason: String) -> ClinicalEntry;
            fn retract_entry(&actor, patient: PatientId, entry: EntryId, expected_version: Count32, reason: String) -> ClinicalEntry;
            // record/reads.rs
            fn patient_timeline(&actor, patient: PatientId, #[default] query: TimelineQuery) -> EntryPage;
            fn entry_history(&actor, patient: PatientId, entry: EntryId) -> Vec<ClinicalEntry>;
            fn latest_vitals(&actor, patient: PatientId) -> EntryPage;
            fn latest_observations(&actor, patient: PatientId, codes: Vec<Coding>) -> EntryPage;
            fn observations_across_patients(&actor, query: ObservationQuery) -> EntryPage;
            // record/kinds.rs
            fn record_condition(&actor, patient: PatientId, effective_at: DateTime<Utc>, encounter: Option<EntryId>, condition: Condition) -> ClinicalEntry;
            fn record_allergy(&actor, patient: PatientId, effective_at: DateTime<Utc>, encounter: Option<EntryId>, allergy: Allergy) -> ClinicalEntry;
            fn record_procedure(&actor, patient: PatientId, effective_at: DateTime<Utc>, encounter: Option<EntryId>, procedure: Procedure) -> ClinicalEntry;
            fn record_immunization(&actor, patient: PatientId, effective_at: DateTime<Utc>, encounter: Option<EntryId>, immunization: Immunization) -> ClinicalEntry;
            fn prescribe(&actor, patient: PatientId, effective_at: DateTime<Utc>, encounter: Option<EntryId>, prescription: Prescription) -> ClinicalEntry;
            fn change_prescription_status(&actor, patient: PatientId, entry: EntryId, expected_version: Count32, status: PrescriptionStatus) -> ClinicalEntry;
            fn renew_prescription(&actor, patient: PatientId, entry: EntryId, expected_version: Count32, ends_as: PrescriptionStatus, prescription: Prescription) -> ClinicalEntry;
            fn write_note(&actor, patient: PatientId, effective_at: DateTime<Utc>, encounter: Option<EntryId>, title: Option<String>, text: String) -> ClinicalEntry;
            // record/fhir.rs
            fn import_entry_fhir(&actor, patient: PatientId, #[flatten] import: FhirEntryImport) -> ClinicalEntry;
            fn export_entry_fhir(&actor, patient: PatientId, entry: EntryId) -> Value;
            // record/encounters.rs
            fn start_encounter(&actor, patient: PatientId, encounter: NewEncounter) -> ClinicalEntry;
            fn change_encounter_status(&actor, patient: PatientId, entry: EntryId, expected_version: Count32, status: EncounterStatus) -> ClinicalEntry;
            fn finish_encounter(&actor, patient: PatientId, entry: EntryId, expected_version: Count32, ended_at: Option<DateTime<Utc>>) -> ClinicalEntry;
            fn cancel_encounter(&actor, patient: PatientId, entry: EntryId, expected_version: Count32, reason: String) -> ClinicalEntry;
            // check_in.rs
            fn check_in_appointment(&actor, appointment: AppointmentId, expected_version: Count64, #[default] check_in: CheckIn) -> Appointment;
            // record/labs.rs
            fn record_observation(&actor, patient: PatientId, effective_at: DateTime<Utc>, encounter: Option<EntryId>, observation: Observation) -> ClinicalEntry;
            fn record_lab_report(&actor, patient: PatientId, effective_at: DateTime<Utc>, encounter: Option<EntryId>, #[flatten] report: NewLabReport) -> LabReport;
            // record/documents.rs
            fn attach_document(&actor, patient: PatientId, effective_at: DateTime<Utc>, encounter: Option<EntryId>, content_type: String, title: Option<String>, bytes: Bytes) -> ClinicalEntry;
            fn read_document(&actor, patient: PatientId, entry: EntryId) -> DocumentContent;
        }
    };
}

/// One argument of an operation, as [`OPERATIONS`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argument {
    /// The host-facing name (and JSON key).
    pub name: &'static str,
    /// The owned Rust type as `stringify!` spells it: the list's tokens
    /// separated by spaces (`Option < PatientId >`).
    pub ty: &'static str,
    /// `#[flatten]`: the argument's fields are passed as arguments.
    pub flatten: bool,
    /// `#[default]`: the argument may be left out.
    pub default: bool,
}

/// One operation, as [`OPERATIONS`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The `Clinic` method name.
    pub name: &'static str,
    /// Whether the acting [`Actor`] comes first.
    pub takes_actor: bool,
    /// The other arguments, in order.
    pub args: &'static [Argument],
    /// What `Ok` holds, spelt like [`Argument::ty`] (`()` for nothing).
    pub returns: &'static str,
}

/// Byte equality usable in constants (attribute names).
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Builds [`OPERATIONS`], [`ClinicOperations`] and its impl from the list.
macro_rules! generate {
    ($(
        fn $name:ident ( $(&$actor:ident $(,)?)? $( $(#[$attr:ident])* $arg:ident : $ty:ty ),* ) -> $ret:ty ;
    )*) => {
        /// Every public `Clinic` operation, in the order of the list.
        pub const OPERATIONS: &[Operation] = &[$(
            Operation {
                name: stringify!($name),
                takes_actor: false $(|| same(stringify!($actor), "actor"))?,
                args: &[$(Argument {
                    name: stringify!($arg),
                    ty: stringify!($ty),
                    flatten: false $(|| same(stringify!($attr), "flatten"))*,
                    default: false $(|| same(stringify!($attr), "default"))*,
                }),*],
                returns: stringify!($ret),
            },
        )*];

        /// Every public `Clinic` operation with owned arguments: what a
        /// binding calls. Implemented for [`Clinic`] by the inherent methods.
        /// An operation takes as many arguments as its hosts show (a
        /// document's envelope, type, title and bytes), so the count is
        /// not capped.
        #[allow(clippy::too_many_arguments)]
        pub trait ClinicOperations {
            $(
                #[doc = concat!("[`Clinic::", stringify!($name), "`] with owned arguments.")]
                fn $name(&self, $($actor: Actor,)? $($arg: $ty),*)
                    -> impl Future<Output = Result<$ret>> + Send;
            )*
        }

        #[allow(clippy::too_many_arguments)]
        impl ClinicOperations for Clinic {
            $(
                fn $name(&self, $($actor: Actor,)? $($arg: $ty),*)
                    -> impl Future<Output = Result<$ret>> + Send
                {
                    async move { inherent::$name(self, $(&$actor,)? $(&$arg),*).await }
                }
            )*
        }

        /// The inherent methods, called where [`ClinicOperations`] is not
        /// in scope: `Clinic::name` here can only mean the inherent method,
        /// so a missing one is a compile error, never a call to itself.
        mod inherent {
            use super::types::*;
            use super::{Clinic, Lend};

            $(
                #[allow(clippy::too_many_arguments)]
                pub(super) async fn $name(
                    clinic: &Clinic,
                    $($actor: &Actor,)?
                    $($arg: &$ty),*
                ) -> crate::Result<$ret> {
                    Clinic::$name(clinic, $($actor,)? $(Lend::lend($arg)),*).await
                }
            )*
        }
    };
}

use types::*;

clinic_operations!(generate);

/// How an owned argument is handed to an inherent method that borrows it.
pub trait Lend<'a, T> {
    /// The form the inherent method takes.
    fn lend(&'a self) -> T;
}

impl<'a, T> Lend<'a, &'a T> for T {
    fn lend(&'a self) -> &'a T {
        self
    }
}

impl<'a> Lend<'a, &'a str> for String {
    fn lend(&'a self) -> &'a str {
        self
    }
}

impl<'a, T> Lend<'a, Option<&'a T>> for Option<T> {
    fn lend(&'a self) -> Option<&'a T> {
        self.as_ref()
    }
}

impl<'a> Lend<'a, Option<&'a str>> for Option<String> {
    fn lend(&'a self) -> Option<&'a str> {
        self.as_deref()
    }
}

impl<'a> Lend<'a, Option<Duration>> for Option<Minutes> {
    fn lend(&'a self) -> Option<Duration> {
        self.map(Minutes::to_duration)
    }
}

impl<T: Clone> Lend<'_, T> for T {
    fn lend(&self) -> T {
        self.clone()
    }
}
