//! FHIR R4 JSON for scheduling: exporting and importing appointments,
//! exporting a practitioner's schedule and pages of free slots. The mapping
//! itself is pure code in [`crate::schedule::fhir`].

use crate::Count64;
use std::collections::BTreeMap;

use chrono::Duration;
use serde_json::Value;

use super::appointments::reminders_for;
use super::Clinic;
use crate::actor::Actor;
use crate::ids::{AppointmentId, PractitionerId};
use crate::instant;
use crate::limits::{MAX_DOCUMENT_ITEMS, MAX_DOCUMENT_STRING_BYTES};
use crate::patient::PatientUse;
use crate::policy::Permission;
use crate::schedule::fhir::{self, FhirAppointmentImport, FhirRefs, ImportedAppointment};
use crate::schedule::slots::minutes;
use crate::schedule::validate::MAX_BLOCK_MINUTES;
use crate::schedule::{Appointment, AppointmentStatus, BookAppointment, SlotQuery, VisitType};
use crate::store::ChangeSet;
use crate::{Error, FieldError, Result};

/// The statuses an import may carry: those the `appointment.booked` event
/// contract (v1) admits, since an import is announced with that event.
const IMPORTABLE: [AppointmentStatus; 2] = [AppointmentStatus::Proposed, AppointmentStatus::Booked];

/// The reference map of an import is host input too: at most
/// [`MAX_DOCUMENT_ITEMS`] entries of at most [`MAX_DOCUMENT_STRING_BYTES`].
pub(super) fn references_within_bounds(references: &BTreeMap<String, String>) -> Result<()> {
    let mut errors = Vec::new();
    if references.len() > MAX_DOCUMENT_ITEMS {
        errors.push(FieldError::new(
            "references",
            "too_many",
            format!("at most {MAX_DOCUMENT_ITEMS} references"),
        ));
    }
    let longest = MAX_DOCUMENT_STRING_BYTES;
    if references
        .iter()
        .any(|(from, to)| from.len() > longest || to.len() > longest)
    {
        errors.push(FieldError::new(
            "references",
            "too_long",
            format!("references of at most {longest} bytes"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(errors))
    }
}

impl Clinic {
    /// One appointment as a FHIR R4 Appointment (`id` = the carebase id; what
    /// an import kept is merged back). Needs `appointment.read` like
    /// [`Clinic::get_appointment`]; the read is audited.
    pub async fn export_appointment_fhir(&self, actor: &Actor, id: AppointmentId) -> Result<Value> {
        let (attempt, appointment) = self
            .authorize_appointment(actor, Permission::AppointmentRead, id)
            .await?;
        self.audited(&attempt, async {
            let audit = self.success(&attempt, Some(format!("appointment:{id}")));
            self.store.apply(ChangeSet::audit_only(vec![audit])).await?;
            let shown = self.shown_appointment(actor, appointment).await?;
            Ok(fhir::appointment_to_fhir(&shown))
        })
        .await
    }

    /// Imports a FHIR R4 Appointment kept elsewhere as a new appointment.
    ///
    /// The resource is read by [`fhir::appointment_from_fhir`] (field errors
    /// with FHIR paths, before anything else; a resource past the document
    /// bounds is refused and dropped without recursion; so is a reference
    /// map past [`MAX_DOCUMENT_ITEMS`] entries). The visit type is the one
    /// given, else the one whose code matches `appointmentType.coding[].code`
    /// ignoring case (`appointmentType` `unknown_visit_type` otherwise).
    /// Only `proposed` and `booked` resources are imported for now (`status`
    /// `unsupported_status` otherwise).
    ///
    /// An import is a booking: it needs `appointment.book` on the patient
    /// and practitioner and passes THE booking rules of
    /// [`Clinic::book_appointment`] (patient state, hours and grid, notice,
    /// horizon, per-day limits, overlaps), and `end` must be `start` plus
    /// the visit type's duration (`end` `out_of_range`), as booking makes it.
    ///
    /// A migration import ([`FhirAppointmentImport::migration`]) brings the
    /// records of a system being replaced over as they were: it needs
    /// `appointment.migrate` instead (system and admin in the default
    /// policy), keeps the FHIR times (no hours, grid, notice, horizon,
    /// per-day or duration rule; the visit with its buffers must fit in a
    /// day) and its audit entry is flagged `booking rules skipped
    /// (migration)`. Both refuse a patient whose record takes no bookings,
    /// references that do not exist (`not_found` naming the field) and
    /// double bookings (the store's check over the span widened by the
    /// visit type's buffers, which must stay within the instants every host
    /// represents: `out_of_range`). Written with its audit entry and
    /// `appointment.booked`.
    pub async fn import_appointment_fhir(
        &self,
        actor: &Actor,
        import: FhirAppointmentImport,
    ) -> Result<Appointment> {
        let FhirAppointmentImport {
            resource,
            visit_type,
            references,
            migration,
        } = import;
        let read = crate::document::read(resource, "resource");
        let imported = match (references_within_bounds(&references), &read) {
            (Err(refused), _) => Err(refused),
            (Ok(()), Err(refused)) => Err(refused.clone()),
            (Ok(()), Ok(resource)) => {
                fhir::appointment_from_fhir(resource, &FhirRefs::from(references))
            }
        };
        // A resource may be nested beyond what a recursive drop survives.
        if let Ok(resource) = read {
            crate::document::dismantle(resource);
        }
        let imported = imported?;
        if !IMPORTABLE.contains(&imported.status) {
            return Err(Error::invalid(
                "status",
                "unsupported_status",
                "carebase imports proposed or booked appointments",
            ));
        }
        let permission = if migration {
            Permission::AppointmentMigrate
        } else {
            Permission::AppointmentBook
        };
        let attempt = self
            .authorize_for(
                actor,
                permission,
                Some(imported.patient),
                Some(imported.practitioner),
            )
            .await?;
        let written = self
            .audited(&attempt, async {
                let visit = match visit_type {
                    Some(id) => self.load_visit_type(id).await?,
                    None => {
                        self.visit_type_by_code(&imported.appointment_type_codes)
                            .await?
                    }
                };
                if migration {
                    self.migrate(&attempt, imported, &visit).await
                } else {
                    self.import_booking(&attempt, imported, &visit).await
                }
            })
            .await;
        self.disclosed(actor, written).await
    }

    /// An import under the booking rules: the booking it stands for goes
    /// through [`Clinic::book_occurrences`] like any other.
    async fn import_booking(
        &self,
        attempt: &super::Attempt<'_>,
        imported: ImportedAppointment,
        visit: &VisitType,
    ) -> Result<Appointment> {
        if imported.end - imported.start != minutes(visit.duration_minutes.get()) {
            return Err(Error::invalid(
                "end",
                "out_of_range",
                "end must be start plus the visit type's duration",
            ));
        }
        let booking = BookAppointment {
            patient: imported.patient,
            practitioner: imported.practitioner,
            room: imported.room,
            visit_type: visit.id,
            start: imported.start,
            status: Some(imported.status),
            note: imported.note,
        };
        let booked = self
            .book_occurrences(
                attempt,
                &booking,
                vec![imported.start],
                None,
                Some(imported.fhir_extra),
            )
            .await?;
        booked
            .into_iter()
            .next()
            .ok_or_else(|| Error::storage("import produced no appointment"))
    }

    /// A migration import: the record as it was, flagged in the audit.
    async fn migrate(
        &self,
        attempt: &super::Attempt<'_>,
        imported: ImportedAppointment,
        visit: &VisitType,
    ) -> Result<Appointment> {
        self.require_patient(imported.patient, PatientUse::Schedule)
            .await?;
        self.store
            .practitioner(imported.practitioner)
            .await?
            .ok_or_else(|| Error::missing("practitioner", "practitioner"))?;
        if let Some(room) = imported.room {
            self.store
                .resource(room)
                .await?
                .ok_or_else(|| Error::missing("resource", "room"))?;
        }
        let before = -minutes(visit.buffer_before_minutes.get());
        let blocked_from = instant::add("start", imported.start, before)?;
        let blocked_until = instant::add(
            "end",
            imported.end,
            minutes(visit.buffer_after_minutes.get()),
        )?;
        if blocked_until - blocked_from > minutes(MAX_BLOCK_MINUTES) {
            return Err(Error::invalid(
                "end",
                "out_of_range",
                "the visit with its buffers must fit in a day",
            ));
        }
        let now = self.now();
        let appointment = Appointment {
            id: AppointmentId::new(),
            version: Count64::new(1),
            patient: imported.patient,
            practitioner: imported.practitioner,
            room: imported.room,
            visit_type: visit.id,
            status: imported.status,
            start: imported.start,
            end: imported.end,
            blocked_from,
            blocked_until,
            series: None,
            cancellation: None,
            reschedules: Vec::new(),
            reminders: reminders_for(visit, imported.start, now),
            note: imported.note,
            fhir_extra: Some(imported.fhir_extra),
            encounter: None,
            booked_by: attempt.actor.id,
            created_at: now,
            updated_at: now,
        };
        self.write_bookings(
            attempt,
            std::slice::from_ref(&appointment),
            Vec::new(),
            Some("booking rules skipped (migration)"),
        )
        .await?;
        self.shown_appointment(attempt.actor, appointment).await
    }

    /// The visit type whose code matches one of `codes` (first code first),
    /// ignoring case.
    async fn visit_type_by_code(&self, codes: &[String]) -> Result<VisitType> {
        let visits = self.store.visit_types().await?;
        codes
            .iter()
            .find_map(|code| {
                visits
                    .iter()
                    .find(|v| v.code.eq_ignore_ascii_case(code.trim()))
            })
            .cloned()
            .ok_or_else(|| {
                Error::invalid(
                    "appointmentType",
                    "unknown_visit_type",
                    "no visit type has a code of appointmentType.coding; give visit_type",
                )
            })
    }

    /// A practitioner's FHIR R4 Schedule ([`fhir::schedule_to_fhir`]); the
    /// planning horizon runs from now to the furthest any visit type may be
    /// booked ahead (at most the last instant carebase stores). Needs
    /// `schedule.read`; staff data, so not audited.
    pub async fn export_schedule_fhir(
        &self,
        actor: &Actor,
        practitioner: PractitionerId,
    ) -> Result<Value> {
        let attempt = self
            .authorize(actor, Permission::ScheduleRead, None)
            .await?;
        self.audited(&attempt, async {
            let found = self
                .store
                .practitioner(practitioner)
                .await?
                .ok_or_else(|| Error::not_found("practitioner"))?;
            let now = self.now();
            let horizon = self
                .store
                .visit_types()
                .await?
                .iter()
                .map(|v| v.horizon_days)
                .max()
                .map(|days| {
                    let end = instant::saturating_add(now, Duration::days(i64::from(days)));
                    (now, instant::clamp(end))
                });
            Ok(fhir::schedule_to_fhir(&found, horizon))
        })
        .await
    }

    /// One page of [`Clinic::find_free_slots`] as a FHIR R4 `searchset`
    /// Bundle of Slots ([`fhir::slots_bundle`]): deterministic slot ids, and
    /// the next page's cursor as the `next` link `?cursor=<cursor>`.
    pub async fn export_free_slots_fhir(&self, actor: &Actor, query: SlotQuery) -> Result<Value> {
        let visit_type = query.visit_type;
        let page = self.find_free_slots(actor, query).await?;
        let visit = self.load_visit_type(visit_type).await?;
        Ok(fhir::slots_bundle(&page, &visit))
    }
}
