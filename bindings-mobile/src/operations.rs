//! Every `carebase::Clinic` operation, listed once for this binding: its
//! host-facing arguments (core's own types), its result, optional
//! arguments' defaults, and the call into core.
//!
//! `clinic_operations!(callback)` hands the whole list to `callback`, a
//! `macro_rules!` that turns it into methods (`lib.rs`: one exported uniffi
//! impl block). Each entry reads
//!
//! ```text
//! /// docs
//! fn name(actor, arg: Type, optional: Option<Type> = None, …) -> Result
//!     = |clinic| clinic.name(&actor, arg, optional, …);
//! ```
//!
//! `actor` (an `Actor`) comes first in every operation; `= None` makes an
//! argument optional in the host; the body is the future the method
//! awaits. A new core operation is one entry here.

/// Calls `$callback! { entries }` with every operation (see the module docs).
macro_rules! clinic_operations {
    ($callback:ident) => {
        $callback! {
            // ---- patients (core/src/clinic/patients.rs)
            /// Registers a patient (and assigns an MRN in the same write
            /// when `mrn_facility` is set).
            fn register_patient(actor, patient: NewPatient) -> Patient
                = |c| c.register_patient(&actor, patient);
            /// One patient, masked to what the actor may see; audited.
            fn get_patient(actor, id: PatientId) -> Patient
                = |c| c.get_patient(&actor, id);
            /// Replaces a patient's details if `expected_version` is current.
            fn update_patient(actor, id: PatientId, expected_version: u64, details: PatientDetails) -> Patient
                = |c| c.update_patient(&actor, id, expected_version, details);
            /// Marks a patient inactive.
            fn deactivate_patient(actor, id: PatientId, expected_version: u64) -> Patient
                = |c| c.deactivate_patient(&actor, id, expected_version);
            /// Makes an inactive patient active again.
            fn reactivate_patient(actor, id: PatientId, expected_version: u64) -> Patient
                = |c| c.reactivate_patient(&actor, id, expected_version);
            /// Searches patients (cursor paging); each result is audited as read.
            fn search_patients(actor, query: PatientQuery) -> PatientPage
                = |c| c.search_patients(&actor, &query);
            /// Allocates the next MRN of a facility (audited, attached to no one).
            fn generate_mrn(actor, facility: String) -> Identifier
                = |c| c.generate_mrn(&actor, &facility);

            // ---- merge (core/src/clinic/merge.rs)
            /// Likely duplicates of a patient, best first, with per-field scores.
            fn find_duplicates(actor, id: PatientId, limit: u32) -> Vec<DuplicateCandidate>
                = |c| c.find_duplicates(&actor, id, limit);
            /// Merges `merged` into `survivor` (both versions must be current).
            fn merge_patients(
                actor,
                survivor: PatientId,
                survivor_version: u64,
                merged: PatientId,
                merged_version: u64,
            ) -> MergeRecord
                = |c| c.merge_patients(&actor, survivor, survivor_version, merged, merged_version);
            /// Undoes a merge: the merged record returns to its prior state.
            fn unmerge_patients(actor, merge_id: MergeId) -> Patient
                = |c| c.unmerge_patients(&actor, merge_id);
            /// The merge log of a patient, oldest first.
            fn merge_history(actor, patient: PatientId) -> Vec<MergeRecord>
                = |c| c.merge_history(&actor, patient);

            // ---- access (core/src/clinic/access.rs, mod.rs)
            /// Puts a practitioner on a patient's care team.
            fn assign_care_team(actor, patient: PatientId, practitioner: PractitionerId) -> CareAssignment
                = |c| c.assign_care_team(&actor, patient, practitioner);
            /// Takes a practitioner off a patient's care team.
            fn remove_care_team(actor, patient: PatientId, practitioner: PractitionerId) -> ()
                = |c| c.remove_care_team(&actor, patient, practitioner);
            /// A patient's care team.
            fn care_team(actor, patient: PatientId) -> Vec<CareAssignment>
                = |c| c.care_team(&actor, patient);
            /// What the policy answers for `actor` asking `permission` (on
            /// `patient`), with its reasons. Writes nothing.
            fn explain_access(actor, permission: Permission, patient: Option<PatientId> = None) -> Decision
                = |c| c.explain_access(&actor, permission, patient);
            /// Break-the-glass: emergency access with a mandatory reason, for
            /// `duration` (the settings' default when absent, at most their
            /// maximum).
            fn request_emergency_access(
                actor,
                patient: PatientId,
                reason: String,
                duration: Option<TimeSpan> = None,
            ) -> BreakGlassGrant
                = |c| c.request_emergency_access(&actor, patient, &reason, duration);
            /// Break-the-glass grants no admin has reviewed yet, oldest first.
            fn grants_awaiting_review(actor, limit: u32) -> Vec<BreakGlassGrant>
                = |c| c.grants_awaiting_review(&actor, limit);
            /// Marks a grant reviewed, with an optional note.
            fn review_emergency_access(actor, grant: GrantId, note: Option<String> = None) -> BreakGlassGrant
                = |c| c.review_emergency_access(&actor, grant, note.as_deref());
            /// Replaces the access policy; needs `policy.manage`; audited.
            fn replace_policy(actor, policy: Policy) -> ()
                = |c| c.replace_policy(&actor, policy);

            // ---- audit (core/src/clinic/audit.rs)
            /// Audit entries in recording order (page with `query.after`).
            fn audit_log(actor, query: AuditQuery) -> Vec<AuditEntry>
                = |c| c.audit_log(&actor, &query);
            /// Verifies the audit trail against the newest stored checkpoint
            /// and, when given, one the host kept elsewhere.
            fn verify_audit(actor, trusted: Option<AuditCheckpoint> = None) -> AuditVerification
                = |c| c.verify_audit(&actor, trusted.as_ref());
            /// Verifies the trail and signs a checkpoint over every chain head;
            /// keep it outside the database.
            fn audit_checkpoint(actor) -> AuditCheckpoint
                = |c| c.audit_checkpoint(&actor);
            /// Who accessed a patient's record, oldest first (the query is
            /// audited too).
            fn who_accessed(actor, patient: PatientId, limit: Option<u32> = None) -> Vec<AccessRecord>
                = |c| c.who_accessed(&actor, patient, limit);

            // ---- outbox (core/src/clinic/outbox.rs)
            /// The next events for `consumer` (after its acknowledged position).
            fn poll_events(actor, consumer: String, limit: u32) -> Vec<OutboxEvent>
                = |c| c.poll_events(&actor, &consumer, limit);
            /// Events after a sequence number, for consumers keeping their own
            /// position.
            fn events_after(actor, after: u64, limit: u32) -> Vec<OutboxEvent>
                = |c| c.events_after(&actor, after, limit);
            /// Acknowledges every event up to `seq` for `consumer`; returns its
            /// position.
            fn ack_events(actor, consumer: String, seq: u64) -> u64
                = |c| c.ack_events(&actor, &consumer, seq);

            // ---- scheduling set-up (core/src/clinic/scheduling.rs)
            /// Adds a practitioner with their time zone and availability.
            fn add_practitioner(actor, practitioner: NewPractitioner) -> Practitioner
                = |c| c.add_practitioner(&actor, practitioner);
            /// Replaces a practitioner's availability if `expected_version` is
            /// current. Existing appointments stay.
            fn set_availability(
                actor,
                practitioner: PractitionerId,
                expected_version: u64,
                availability: Availability,
            ) -> Practitioner
                = |c| c.set_availability(&actor, practitioner, expected_version, availability);
            /// One practitioner.
            fn get_practitioner(actor, id: PractitionerId) -> Practitioner
                = |c| c.get_practitioner(&actor, id);
            /// Every practitioner, by id.
            fn list_practitioners(actor) -> Vec<Practitioner>
                = |c| c.list_practitioners(&actor);
            /// Adds a bookable room or device.
            fn add_resource(actor, resource: NewResource) -> Resource
                = |c| c.add_resource(&actor, resource);
            /// Every room and device, by id.
            fn list_resources(actor) -> Vec<Resource>
                = |c| c.list_resources(&actor);
            /// Defines a visit type.
            fn add_visit_type(actor, visit_type: NewVisitType) -> VisitType
                = |c| c.add_visit_type(&actor, visit_type);
            /// Every visit type, by id.
            fn list_visit_types(actor) -> Vec<VisitType>
                = |c| c.list_visit_types(&actor);
            /// Free slots for a visit type, ordered by start then practitioner;
            /// page with `next_cursor`.
            fn find_free_slots(actor, query: SlotQuery) -> SlotPage
                = |c| c.find_free_slots(&actor, query);

            // ---- appointments (core/src/clinic/appointments.rs)
            /// Books one appointment; an overlapping one of the practitioner,
            /// room or patient is `double_booking` naming it.
            fn book_appointment(actor, booking: BookAppointment) -> Appointment
                = |c| c.book_appointment(&actor, booking);
            /// Books a recurring series: every occurrence or none.
            fn book_series(actor, series: BookSeries) -> Vec<Appointment>
                = |c| c.book_series(&actor, series);
            /// One appointment; audited.
            fn get_appointment(actor, id: AppointmentId) -> Appointment
                = |c| c.get_appointment(&actor, id);
            /// Moves an appointment if `expected_version` is current.
            fn reschedule_appointment(
                actor,
                id: AppointmentId,
                expected_version: u64,
                change: RescheduleAppointment,
            ) -> Appointment
                = |c| c.reschedule_appointment(&actor, id, expected_version, change);
            /// Cancels an appointment with a reason code.
            fn cancel_appointment(
                actor,
                id: AppointmentId,
                expected_version: u64,
                cancel: CancelAppointment,
            ) -> Appointment
                = |c| c.cancel_appointment(&actor, id, expected_version, cancel);
            /// Moves an appointment along its life cycle.
            fn change_appointment_status(
                actor,
                id: AppointmentId,
                expected_version: u64,
                status: AppointmentStatus,
            ) -> Appointment
                = |c| c.change_appointment_status(&actor, id, expected_version, status);
            /// A patient's or a practitioner's appointments starting in a range.
            fn list_appointments(actor, query: AppointmentQuery) -> Vec<Appointment>
                = |c| c.list_appointments(&actor, query);
            /// Unsent reminders due in `[from, to)`, each returned until marked
            /// sent.
            fn due_reminders(actor, from: Instant, to: Instant, limit: u32) -> Vec<DueReminder>
                = |c| c.due_reminders(&actor, from, to, limit);
            /// Marks one reminder sent; a second mark is a conflict.
            fn mark_reminder_sent(actor, appointment: AppointmentId, offset_minutes: u32) -> ()
                = |c| c.mark_reminder_sent(&actor, appointment, offset_minutes);

            // ---- FHIR R4 (core/src/clinic/fhir.rs): JSON text in and out
            /// One appointment as a FHIR R4 Appointment; audited like a read.
            fn export_appointment_fhir(actor, id: AppointmentId) -> Json
                = |c| c.export_appointment_fhir(&actor, id);
            /// Imports a FHIR R4 Appointment as a new appointment; field errors
            /// name FHIR paths.
            fn import_appointment_fhir(actor, import: FhirAppointmentImport) -> Appointment
                = |c| c.import_appointment_fhir(&actor, import);
            /// A practitioner's FHIR R4 Schedule.
            fn export_schedule_fhir(actor, practitioner: PractitionerId) -> Json
                = |c| c.export_schedule_fhir(&actor, practitioner);
            /// One page of free slots as a FHIR R4 `searchset` Bundle of Slots.
            fn export_free_slots_fhir(actor, query: SlotQuery) -> Json
                = |c| c.export_free_slots_fhir(&actor, query);
        }
    };
}

pub(crate) use clinic_operations;
