//! `Clinic` scheduling operations, mirroring core's `clinic/scheduling.rs`
//! (practitioners, rooms, visit types, free slots) and
//! `clinic/appointments.rs` (booking, moving, cancelling, status, listing,
//! reminders), and `clinic/fhir.rs` (FHIR R4 JSON, crossing as JSON text).
//! A second exported impl block of the same object: each method
//! converts its arguments, calls core, and converts the result.

use carebase as cb;

use crate::error::Result;
use crate::types::*;
use crate::Clinic;

fn core_actor(a: Actor) -> cb::Result<cb::Actor> {
    a.try_into()
}

#[uniffi::export(async_runtime = "tokio")]
impl Clinic {
    // ------------------------------------------------------------ schedule set-up

    /// Adds a practitioner (staff data) with their time zone and availability;
    /// needs `schedule.manage`.
    pub async fn add_practitioner(
        &self,
        actor: Actor,
        practitioner: NewPractitioner,
    ) -> Result<Practitioner> {
        let actor = core_actor(actor)?;
        let new = practitioner.try_into()?;
        Ok(self.inner.add_practitioner(&actor, new).await?.into())
    }

    /// Replaces a practitioner's weekly hours, exceptions, time off and limits
    /// if `expected_version` is still current. Existing appointments stay.
    pub async fn set_availability(
        &self,
        actor: Actor,
        practitioner: String,
        expected_version: u64,
        availability: Availability,
    ) -> Result<Practitioner> {
        let actor = core_actor(actor)?;
        let mut f = Fields::default();
        let id = f.take(practitioner_id("practitioner", &practitioner));
        let availability = availability.into_core(&mut f, "");
        let (id, availability) = f.done(|| Some((id?, availability?)))?;
        Ok(self
            .inner
            .set_availability(&actor, id, expected_version, availability)
            .await?
            .into())
    }

    /// One practitioner.
    pub async fn get_practitioner(&self, actor: Actor, id: String) -> Result<Practitioner> {
        let actor = core_actor(actor)?;
        let id = practitioner_id("id", &id)?;
        Ok(self.inner.get_practitioner(&actor, id).await?.into())
    }

    /// Every practitioner, by id.
    pub async fn list_practitioners(&self, actor: Actor) -> Result<Vec<Practitioner>> {
        let actor = core_actor(actor)?;
        let all = self.inner.list_practitioners(&actor).await?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// Adds a bookable room or device; needs `schedule.manage`.
    pub async fn add_resource(&self, actor: Actor, resource: NewResource) -> Result<Resource> {
        let actor = core_actor(actor)?;
        Ok(self
            .inner
            .add_resource(&actor, resource.into())
            .await?
            .into())
    }

    /// Every room and device, by id.
    pub async fn list_resources(&self, actor: Actor) -> Result<Vec<Resource>> {
        let actor = core_actor(actor)?;
        let all = self.inner.list_resources(&actor).await?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// Defines a visit type; needs `schedule.manage`.
    pub async fn add_visit_type(
        &self,
        actor: Actor,
        visit_type: NewVisitType,
    ) -> Result<VisitType> {
        let actor = core_actor(actor)?;
        Ok(self
            .inner
            .add_visit_type(&actor, visit_type.into())
            .await?
            .into())
    }

    /// Every visit type, by id.
    pub async fn list_visit_types(&self, actor: Actor) -> Result<Vec<VisitType>> {
        let actor = core_actor(actor)?;
        let all = self.inner.list_visit_types(&actor).await?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// Free slots for a visit type with any of the practitioners (and the room,
    /// if given), ordered by start then practitioner; page with `next_cursor`.
    pub async fn find_free_slots(&self, actor: Actor, query: SlotQuery) -> Result<SlotPage> {
        let actor = core_actor(actor)?;
        let query = query.try_into()?;
        Ok(self.inner.find_free_slots(&actor, query).await?.into())
    }

    // ------------------------------------------------------------ appointments

    /// Books one appointment; an overlapping active appointment of the
    /// practitioner, room or patient is `DoubleBooking` naming it.
    pub async fn book_appointment(
        &self,
        actor: Actor,
        booking: BookAppointment,
    ) -> Result<Appointment> {
        let actor = core_actor(actor)?;
        let booking = booking.try_into()?;
        Ok(self.inner.book_appointment(&actor, booking).await?.into())
    }

    /// Books a recurring series: every occurrence or none.
    pub async fn book_series(&self, actor: Actor, series: BookSeries) -> Result<Vec<Appointment>> {
        let actor = core_actor(actor)?;
        let series = series.try_into()?;
        let booked = self.inner.book_series(&actor, series).await?;
        Ok(booked.into_iter().map(Into::into).collect())
    }

    /// One appointment; audited.
    pub async fn get_appointment(&self, actor: Actor, id: String) -> Result<Appointment> {
        let actor = core_actor(actor)?;
        let id = appointment_id("id", &id)?;
        Ok(self.inner.get_appointment(&actor, id).await?.into())
    }

    /// Moves an appointment if `expected_version` is still current; the old
    /// time is kept in `reschedules`.
    pub async fn reschedule_appointment(
        &self,
        actor: Actor,
        id: String,
        expected_version: u64,
        change: RescheduleAppointment,
    ) -> Result<Appointment> {
        let actor = core_actor(actor)?;
        let mut f = Fields::default();
        let id = f.take(appointment_id("id", &id));
        let change = f.take(change.try_into());
        let (id, change) = f.done(|| Some((id?, change?)))?;
        Ok(self
            .inner
            .reschedule_appointment(&actor, id, expected_version, change)
            .await?
            .into())
    }

    /// Cancels an appointment with a reason code (flagged late inside the
    /// clinic's late-cancellation window).
    pub async fn cancel_appointment(
        &self,
        actor: Actor,
        id: String,
        expected_version: u64,
        cancel: CancelAppointment,
    ) -> Result<Appointment> {
        let actor = core_actor(actor)?;
        let id = appointment_id("id", &id)?;
        Ok(self
            .inner
            .cancel_appointment(&actor, id, expected_version, cancel.into())
            .await?
            .into())
    }

    /// Moves an appointment along its life cycle (arrived, fulfilled, no-show,
    /// or confirms a proposal).
    pub async fn change_appointment_status(
        &self,
        actor: Actor,
        id: String,
        expected_version: u64,
        status: AppointmentStatus,
    ) -> Result<Appointment> {
        let actor = core_actor(actor)?;
        let id = appointment_id("id", &id)?;
        Ok(self
            .inner
            .change_appointment_status(&actor, id, expected_version, status.into())
            .await?
            .into())
    }

    /// A patient's or a practitioner's appointments starting in a range.
    pub async fn list_appointments(
        &self,
        actor: Actor,
        query: AppointmentQuery,
    ) -> Result<Vec<Appointment>> {
        let actor = core_actor(actor)?;
        let query = query.try_into()?;
        let found = self.inner.list_appointments(&actor, query).await?;
        Ok(found.into_iter().map(Into::into).collect())
    }

    /// Unsent reminders due in `[from, to)` (RFC 3339), each returned until
    /// marked sent.
    pub async fn due_reminders(
        &self,
        actor: Actor,
        from: String,
        to: String,
        limit: u32,
    ) -> Result<Vec<DueReminder>> {
        let actor = core_actor(actor)?;
        let mut f = Fields::default();
        let from = f.take(instant("from", &from));
        let to = f.take(instant("to", &to));
        let (from, to) = f.done(|| Some((from?, to?)))?;
        let due = self.inner.due_reminders(&actor, from, to, limit).await?;
        Ok(due.into_iter().map(Into::into).collect())
    }

    /// Marks one reminder sent; a second mark is a `Conflict`.
    pub async fn mark_reminder_sent(
        &self,
        actor: Actor,
        appointment: String,
        offset_minutes: u32,
    ) -> Result<()> {
        let actor = core_actor(actor)?;
        let appointment = appointment_id("appointment", &appointment)?;
        Ok(self
            .inner
            .mark_reminder_sent(&actor, appointment, offset_minutes)
            .await?)
    }

    // ------------------------------------------------------------ FHIR R4

    /// One appointment as a FHIR R4 Appointment (JSON text; `id` is the
    /// carebase id, what an import kept is merged back). Audited like
    /// `get_appointment`.
    pub async fn export_appointment_fhir(&self, actor: Actor, id: String) -> Result<String> {
        let actor = core_actor(actor)?;
        let id = appointment_id("id", &id)?;
        Ok(self
            .inner
            .export_appointment_fhir(&actor, id)
            .await?
            .to_string())
    }

    /// Imports a FHIR R4 Appointment kept elsewhere as a new appointment;
    /// field errors name FHIR paths (`start`, `participant[1].actor.reference`).
    pub async fn import_appointment_fhir(
        &self,
        actor: Actor,
        import: FhirAppointmentImport,
    ) -> Result<Appointment> {
        let actor = core_actor(actor)?;
        let import = import.try_into()?;
        Ok(self
            .inner
            .import_appointment_fhir(&actor, import)
            .await?
            .into())
    }

    /// A practitioner's FHIR R4 Schedule (JSON text).
    pub async fn export_schedule_fhir(&self, actor: Actor, practitioner: String) -> Result<String> {
        let actor = core_actor(actor)?;
        let practitioner = practitioner_id("practitioner", &practitioner)?;
        Ok(self
            .inner
            .export_schedule_fhir(&actor, practitioner)
            .await?
            .to_string())
    }

    /// One page of `find_free_slots` as a FHIR R4 `searchset` Bundle of Slots
    /// (JSON text); the next page's cursor is in the `next` link.
    pub async fn export_free_slots_fhir(&self, actor: Actor, query: SlotQuery) -> Result<String> {
        let actor = core_actor(actor)?;
        let query = query.try_into()?;
        Ok(self
            .inner
            .export_free_slots_fhir(&actor, query)
            .await?
            .to_string())
    }
}
