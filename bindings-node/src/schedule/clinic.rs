//! The scheduling methods of the `Clinic` class (core's
//! `clinic/scheduling.rs`, `clinic/appointments.rs` and `clinic/fhir.rs`).
//! Each converts its arguments, calls core, and converts the result; FHIR
//! resources cross as plain objects.

use carebase as cb;
use napi::Result;
use napi_derive::napi;

use super::types::*;
use crate::clinic::Clinic;
use crate::convert::{list, Check};
use crate::error::JsResult;
use crate::types::Actor;

#[napi]
impl Clinic {
    /// Adds a practitioner (staff data) with their time zone and availability.
    #[napi(strict)]
    pub async fn add_practitioner(
        &self,
        actor: Actor,
        practitioner: NewPractitioner,
    ) -> Result<Practitioner> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let new = c.new_practitioner(practitioner);
        c.done().js()?;
        Ok(self.inner.add_practitioner(&actor, new).await.js()?.into())
    }

    /// Replaces a practitioner's availability; `expectedVersion` must be current.
    #[napi(strict)]
    pub async fn set_availability(
        &self,
        actor: Actor,
        practitioner: String,
        expected_version: f64,
        availability: Availability,
    ) -> Result<Practitioner> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.practitioner_id("practitioner", &practitioner);
        let version = c.count("expected_version", expected_version);
        let availability = c.availability("", availability);
        c.done().js()?;
        let updated = self
            .inner
            .set_availability(&actor, id, version, availability);
        Ok(updated.await.js()?.into())
    }

    /// One practitioner.
    #[napi(strict)]
    pub async fn get_practitioner(&self, actor: Actor, id: String) -> Result<Practitioner> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.practitioner_id("id", &id);
        c.done().js()?;
        Ok(self.inner.get_practitioner(&actor, id).await.js()?.into())
    }

    /// Every practitioner, by id.
    #[napi(strict)]
    pub async fn list_practitioners(&self, actor: Actor) -> Result<Vec<Practitioner>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        c.done().js()?;
        Ok(list(self.inner.list_practitioners(&actor).await.js()?))
    }

    /// Adds a bookable room or device.
    #[napi(strict)]
    pub async fn add_resource(&self, actor: Actor, resource: NewResource) -> Result<Resource> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        c.done().js()?;
        let new = cb::schedule::NewResource {
            kind: resource.kind.into(),
            name: resource.name,
            time_zone: resource.time_zone,
        };
        Ok(self.inner.add_resource(&actor, new).await.js()?.into())
    }

    /// Every room and device, by id.
    #[napi(strict)]
    pub async fn list_resources(&self, actor: Actor) -> Result<Vec<Resource>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        c.done().js()?;
        Ok(list(self.inner.list_resources(&actor).await.js()?))
    }

    /// Defines a visit type.
    #[napi(strict)]
    pub async fn add_visit_type(
        &self,
        actor: Actor,
        visit_type: NewVisitType,
    ) -> Result<VisitType> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let new = c.new_visit_type(visit_type);
        c.done().js()?;
        Ok(self.inner.add_visit_type(&actor, new).await.js()?.into())
    }

    /// Every visit type, by id.
    #[napi(strict)]
    pub async fn list_visit_types(&self, actor: Actor) -> Result<Vec<VisitType>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        c.done().js()?;
        Ok(list(self.inner.list_visit_types(&actor).await.js()?))
    }

    /// Free slots for a visit type; page on with `nextCursor`.
    #[napi(strict)]
    pub async fn find_free_slots(&self, actor: Actor, query: SlotQuery) -> Result<SlotPage> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let query = c.slot_query(query);
        c.done().js()?;
        Ok(self.inner.find_free_slots(&actor, query).await.js()?.into())
    }

    /// Books one appointment at a start the free-slot search would return.
    #[napi(strict)]
    pub async fn book_appointment(
        &self,
        actor: Actor,
        booking: BookAppointment,
    ) -> Result<Appointment> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let booking = c.booking("", booking);
        c.done().js()?;
        Ok(self
            .inner
            .book_appointment(&actor, booking)
            .await
            .js()?
            .into())
    }

    /// Books a recurring series: all occurrences or none.
    #[napi(strict)]
    pub async fn book_series(&self, actor: Actor, series: BookSeries) -> Result<Vec<Appointment>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let series = c.series(series);
        c.done().js()?;
        Ok(list(self.inner.book_series(&actor, series).await.js()?))
    }

    /// One appointment.
    #[napi(strict)]
    pub async fn get_appointment(&self, actor: Actor, id: String) -> Result<Appointment> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.appointment_id("id", &id);
        c.done().js()?;
        Ok(self.inner.get_appointment(&actor, id).await.js()?.into())
    }

    /// Moves an appointment; the old time goes into `reschedules`.
    #[napi(strict)]
    pub async fn reschedule_appointment(
        &self,
        actor: Actor,
        id: String,
        expected_version: f64,
        change: RescheduleAppointment,
    ) -> Result<Appointment> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.appointment_id("id", &id);
        let version = c.count("expected_version", expected_version);
        let change = c.reschedule(change);
        c.done().js()?;
        let moved = self
            .inner
            .reschedule_appointment(&actor, id, version, change);
        Ok(moved.await.js()?.into())
    }

    /// Cancels with a reason; flagged `late` inside the clinic's window.
    #[napi(strict)]
    pub async fn cancel_appointment(
        &self,
        actor: Actor,
        id: String,
        expected_version: f64,
        cancel: CancelAppointment,
    ) -> Result<Appointment> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.appointment_id("id", &id);
        let version = c.count("expected_version", expected_version);
        c.done().js()?;
        let cancelled = self
            .inner
            .cancel_appointment(&actor, id, version, cancel.into());
        Ok(cancelled.await.js()?.into())
    }

    /// Moves along the life cycle (cancelling is `cancelAppointment`).
    #[napi(strict)]
    pub async fn change_appointment_status(
        &self,
        actor: Actor,
        id: String,
        expected_version: f64,
        status: AppointmentStatus,
    ) -> Result<Appointment> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.appointment_id("id", &id);
        let version = c.count("expected_version", expected_version);
        c.done().js()?;
        let changed = self
            .inner
            .change_appointment_status(&actor, id, version, status.into());
        Ok(changed.await.js()?.into())
    }

    /// A patient's appointments or, with only `practitioner`, their schedule.
    #[napi(strict)]
    pub async fn list_appointments(
        &self,
        actor: Actor,
        query: AppointmentQuery,
    ) -> Result<Vec<Appointment>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let query = c.appointment_query(query);
        c.done().js()?;
        Ok(list(
            self.inner.list_appointments(&actor, query).await.js()?,
        ))
    }

    /// Unsent reminders due in `[from, to)`, each returned until marked sent.
    #[napi(strict)]
    pub async fn due_reminders(
        &self,
        actor: Actor,
        from: String,
        to: String,
        limit: f64,
    ) -> Result<Vec<DueReminder>> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let from = c.instant("from", &from);
        let to = c.instant("to", &to);
        let limit = c.small("limit", limit);
        c.done().js()?;
        Ok(list(
            self.inner
                .due_reminders(&actor, from, to, limit)
                .await
                .js()?,
        ))
    }

    /// Marks one reminder sent; a second mark rejects with `conflict`.
    #[napi(strict)]
    pub async fn mark_reminder_sent(
        &self,
        actor: Actor,
        appointment: String,
        offset_minutes: f64,
    ) -> Result<()> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let appointment = c.appointment_id("appointment", &appointment);
        let offset = c.small("offset_minutes", offset_minutes);
        c.done().js()?;
        let marked = self.inner.mark_reminder_sent(&actor, appointment, offset);
        marked.await.js()
    }

    /// One appointment as a FHIR R4 Appointment (`id` is the carebase id;
    /// what an import kept is merged back). The read is audited.
    #[napi(strict, ts_return_type = "Promise<Record<string, unknown>>")]
    pub async fn export_appointment_fhir(
        &self,
        actor: Actor,
        id: String,
    ) -> Result<serde_json::Value> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.appointment_id("id", &id);
        c.done().js()?;
        self.inner.export_appointment_fhir(&actor, id).await.js()
    }

    /// Imports a FHIR R4 Appointment kept elsewhere as a new appointment;
    /// field errors name FHIR paths (`start`, `participant[0].actor.reference`).
    /// An import passes the booking rules and must last the visit type's
    /// duration; `migration: true` keeps the record as it was, needs
    /// `appointment.migrate` and is flagged in the audit.
    #[napi(strict)]
    pub async fn import_appointment_fhir(
        &self,
        actor: Actor,
        fhir_import: FhirAppointmentImport,
    ) -> Result<Appointment> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let import = c.fhir_import(fhir_import);
        c.done().js()?;
        let imported = self.inner.import_appointment_fhir(&actor, import);
        Ok(imported.await.js()?.into())
    }

    /// A practitioner's hours as a FHIR R4 Schedule.
    #[napi(strict, ts_return_type = "Promise<Record<string, unknown>>")]
    pub async fn export_schedule_fhir(
        &self,
        actor: Actor,
        practitioner: String,
    ) -> Result<serde_json::Value> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let id = c.practitioner_id("practitioner", &practitioner);
        c.done().js()?;
        self.inner.export_schedule_fhir(&actor, id).await.js()
    }

    /// One page of `findFreeSlots` as a FHIR R4 `searchset` Bundle of Slots;
    /// the next page's cursor is the `next` link `?cursor=<cursor>`.
    #[napi(strict, ts_return_type = "Promise<Record<string, unknown>>")]
    pub async fn export_free_slots_fhir(
        &self,
        actor: Actor,
        query: SlotQuery,
    ) -> Result<serde_json::Value> {
        let mut c = Check::default();
        let actor = c.actor(actor);
        let query = c.slot_query(query);
        c.done().js()?;
        self.inner.export_free_slots_fhir(&actor, query).await.js()
    }
}
