//! Reading calendars and sending reminders: a patient's appointments or a
//! practitioner's schedule, the reminders that are due, and marking one sent.
//! Each appointment read is audited under its patient.

use crate::Count32;
use chrono::{DateTime, Utc};

use super::Clinic;
use crate::actor::Actor;
use crate::ids::AppointmentId;
use crate::policy::Permission;
use crate::schedule::{Appointment, AppointmentQuery, DueReminder};
use crate::store::{ChangeSet, ReminderSent};
use crate::{Error, FieldError, Result};

impl Clinic {
    /// A patient's appointments (`appointment.read` on the patient) or, with
    /// no patient, a practitioner's schedule (`calendar.read` on them).
    /// Each appointment read is audited under its patient.
    pub async fn list_appointments(
        &self,
        actor: &Actor,
        query: AppointmentQuery,
    ) -> Result<Vec<Appointment>> {
        let attempt = match (query.patient, query.practitioner) {
            (Some(patient), practitioner) => {
                self.authorize_for(
                    actor,
                    Permission::AppointmentRead,
                    Some(patient),
                    practitioner,
                )
                .await?
            }
            (None, Some(practitioner)) => {
                self.authorize_for(actor, Permission::CalendarRead, None, Some(practitioner))
                    .await?
            }
            (None, None) => {
                return Err(Error::invalid(
                    "patient",
                    "required",
                    "give a patient or a practitioner",
                ))
            }
        };
        self.audited(&attempt, async {
            let limit = query.limit.unwrap_or(Count32::new(100));
            if limit == 0 || limit > 1000 || query.to <= query.from {
                let mut errors = Vec::new();
                if limit == 0 || limit > 1000 {
                    errors.push(FieldError::new(
                        "limit",
                        "out_of_range",
                        "between 1 and 1000",
                    ));
                }
                if query.to <= query.from {
                    errors.push(FieldError::new(
                        "to",
                        "out_of_range",
                        "to must be after from",
                    ));
                }
                return Err(Error::validation(errors));
            }
            let found = self.store.appointments(&query).await?;
            let audit = found
                .iter()
                .map(|a| {
                    self.draft_for(
                        &attempt,
                        Some(a.patient),
                        crate::audit::Outcome::Success,
                        attempt.decision.audit_reason(),
                        Some(format!("appointment:{}", a.id)),
                    )
                })
                .collect::<Vec<_>>();
            if !audit.is_empty() {
                self.store.apply(ChangeSet::audit_only(audit)).await?;
            }
            self.shown_appointments(actor, found).await
        })
        .await
    }

    /// Unsent reminders due in `[from, to)` (each returned until marked sent).
    pub async fn due_reminders(
        &self,
        actor: &Actor,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: Count32,
    ) -> Result<Vec<DueReminder>> {
        let attempt = self
            .authorize(actor, Permission::ReminderSend, None)
            .await?;
        self.audited(&attempt, async {
            if limit == 0 || limit > 1000 {
                return Err(Error::invalid(
                    "limit",
                    "out_of_range",
                    "between 1 and 1000",
                ));
            }
            let due = self.store.due_reminders(from, to, limit.get()).await?;
            let audit: Vec<_> = due
                .iter()
                .map(|r| {
                    self.draft_for(
                        &attempt,
                        Some(r.patient),
                        crate::audit::Outcome::Success,
                        attempt.decision.audit_reason(),
                        Some(format!("appointment:{}", r.appointment)),
                    )
                })
                .collect();
            if !audit.is_empty() {
                self.store.apply(ChangeSet::audit_only(audit)).await?;
            }
            Ok(due)
        })
        .await
    }

    /// Marks one reminder sent; a second mark is a `conflict`, so a reminder
    /// goes out once even with two senders.
    pub async fn mark_reminder_sent(
        &self,
        actor: &Actor,
        appointment: AppointmentId,
        offset_minutes: Count32,
    ) -> Result<()> {
        let attempt = self
            .authorize(actor, Permission::ReminderSend, None)
            .await?;
        self.audited(&attempt, async {
            let stored = self
                .store
                .appointment(appointment)
                .await?
                .ok_or_else(|| Error::not_found("reminder"))?;
            let mut audit = self.success(&attempt, Some(format!("appointment:{appointment}")));
            audit.patient = Some(stored.patient);
            self.store
                .apply(
                    ChangeSet::default()
                        .reminder_sent(ReminderSent {
                            appointment,
                            offset_minutes: offset_minutes.get(),
                            at: self.now(),
                        })
                        .audit(audit),
                )
                .await?;
            Ok(())
        })
        .await
    }
}
