//! Booking, series, rescheduling, cancelling and status changes of
//! appointments, their listing, and reminders.

use crate::Count32;
use crate::Count64;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::scheduling::Bookable;
use super::{Attempt, Clinic};
use crate::actor::Actor;
use crate::events::{
    EventDraft, APPOINTMENT_BOOKED, APPOINTMENT_CANCELLED, APPOINTMENT_RESCHEDULED,
    APPOINTMENT_STATUS_CHANGED,
};
use crate::ids::{AppointmentId, PatientId, SeriesId};
use crate::instant;
use crate::patient::PatientUse;
use crate::policy::Permission;
use crate::schedule::slots::{
    blocked, day_range, fits_calendar, local_day, local_start, minutes, DayLimits, Occupancy,
    SlotRules, Unavailable,
};
use crate::schedule::validate::{self, MAX_BLOCK_MINUTES, MAX_SERIES};
use crate::schedule::{
    Appointment, AppointmentStatus, BookAppointment, BusyQuery, BusySpan, CancelAppointment,
    Cancellation, DayLimitCheck, Recurrence, Reminder, Reschedule, RescheduleAppointment,
    VisitType,
};
use crate::store::{ChangeSet, Reference, Versioned};
use crate::BookedResource;
use crate::{Error, FieldError, Result};

/// A recurring series: the first booking and how it repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BookSeries {
    /// The first occurrence.
    pub first: BookAppointment,
    /// How it repeats.
    pub recurrence: Recurrence,
}

/// The reminders of a visit at `start` still in the future at `now` (and
/// due at an instant every host represents).
pub(super) fn reminders_for(
    visit: &VisitType,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Reminder> {
    let mut reminders: Vec<Reminder> = visit
        .reminder_offsets_minutes
        .iter()
        .filter_map(|offset| {
            let due_at = start.checked_sub_signed(minutes((*offset).get()))?;
            Some(Reminder {
                offset_minutes: *offset,
                due_at,
                sent_at: None,
            })
        })
        .filter(|r| r.due_at >= now && instant::is_representable(r.due_at))
        .collect();
    reminders.sort_by_key(|r| (r.due_at, r.offset_minutes));
    reminders
}

/// `from → to` is not an allowed move.
pub(super) fn bad_transition(from: AppointmentStatus, to: AppointmentStatus) -> Error {
    Error::invalid(
        "status",
        "invalid_transition",
        format!("cannot go from {from} to {to}"),
    )
}

/// An unavailable start as the error the caller sees.
fn unavailable(field: &str, why: Unavailable) -> Error {
    match why {
        Unavailable::Taken {
            resource,
            appointment,
        } => Error::double_booking(resource, appointment),
        other => Error::invalid(field, other.code(), other.message()),
    }
}

/// The per-day limits the store re-checks for new starts of `visit` with
/// `bookable`: one per local day, reported on the field of its first start.
fn day_limit_checks(
    bookable: &Bookable,
    visit: &VisitType,
    starts: &[(String, DateTime<Utc>)],
) -> Vec<DayLimitCheck> {
    let limits = DayLimits::of(&bookable.practitioner, visit);
    if !limits.apply() {
        return Vec::new();
    }
    let mut checks: Vec<DayLimitCheck> = Vec::new();
    for (field, start) in starts {
        let day = local_day(&bookable.tz, *start);
        let range = day_range(bookable.practitioner.id, &bookable.tz, day);
        if checks.iter().any(|c| c.range == range) {
            continue;
        }
        checks.push(DayLimitCheck {
            field: field.clone(),
            range,
            visit_type: visit.id,
            limits,
        });
    }
    checks
}

/// The ids `appointment` stores, each of which must name an existing record.
fn references(appointment: &Appointment) -> Vec<Reference> {
    let mut refs = vec![
        Reference::patient(appointment.patient, "patient"),
        Reference::practitioner(appointment.practitioner, "practitioner"),
        Reference::visit_type(appointment.visit_type, "visit_type"),
    ];
    refs.extend(
        appointment
            .room
            .map(|room| Reference::resource(room, "room")),
    );
    refs
}

/// The active appointment of `patient` overlapping `[start, end)`.
fn patient_taken(
    busy: &[BusySpan],
    patient: PatientId,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: Option<AppointmentId>,
) -> Option<Unavailable> {
    busy.iter()
        .find(|s| {
            s.patient == patient && Some(s.appointment) != except && s.start < end && start < s.end
        })
        .map(|s| Unavailable::Taken {
            resource: BookedResource::Patient,
            appointment: s.appointment,
        })
}

impl Clinic {
    /// The active appointments of the practitioner, room and patient around
    /// `[first, last]`: enough for overlaps and per-day limits.
    async fn busy_around(
        &self,
        bookable: &Bookable,
        room: Option<crate::ids::ResourceId>,
        patient: PatientId,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
    ) -> Result<Vec<BusySpan>> {
        let margin = minutes(MAX_BLOCK_MINUTES) + Duration::hours(26);
        self.store
            .busy(&BusyQuery {
                practitioners: vec![bookable.practitioner.id],
                rooms: room.into_iter().collect(),
                patients: vec![patient],
                from: first - margin,
                to: last + margin,
            })
            .await
    }

    /// Books one appointment at a start the free-slot search would return.
    /// The store re-checks overlaps inside its transaction, so of two
    /// concurrent bookers of one slot exactly one wins and the other gets
    /// `double_booking` naming the winner's appointment.
    pub async fn book_appointment(
        &self,
        actor: &Actor,
        booking: BookAppointment,
    ) -> Result<Appointment> {
        let attempt = self
            .authorize_for(
                actor,
                Permission::AppointmentBook,
                Some(booking.patient),
                Some(booking.practitioner),
            )
            .await?;
        let booked = self
            .audited(&attempt, async {
                let series = self
                    .book_occurrences(&attempt, &booking, vec![booking.start], None, None)
                    .await?;
                series
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::storage("booking produced no appointment"))
            })
            .await;
        self.disclosed(actor, booked).await
    }

    /// Books a recurring series: every occurrence (same local time every N
    /// weeks, in the practitioner's zone) is checked and they are written in
    /// one transaction — all of them or none.
    pub async fn book_series(&self, actor: &Actor, series: BookSeries) -> Result<Vec<Appointment>> {
        let first = &series.first;
        let attempt = self
            .authorize_for(
                actor,
                Permission::AppointmentBook,
                Some(first.patient),
                Some(first.practitioner),
            )
            .await?;
        let booked = self.audited(&attempt, async {
            let mut errors = Vec::new();
            validate::booking(&mut errors, "", first);
            validate::recurrence(&mut errors, &series.recurrence);
            if !errors.is_empty() {
                return Err(Error::validation(errors));
            }
            let bookable = self.load_bookable(first.practitioner).await?;
            let tz = bookable.tz;
            let local = first.start.with_timezone(&tz).naive_local();
            let r = &series.recurrence;
            let count = r.count.unwrap_or(Count32::new(MAX_SERIES + 1));
            let mut starts = Vec::new();
            let mut errors = Vec::new();
            for k in 0..count.get() {
                let step = Duration::weeks(i64::from(k) * i64::from(r.every_weeks));
                let Some(at) = local.checked_add_signed(step) else {
                    errors.push(instant::out_of_range(format!("occurrences[{k}].start")));
                    break;
                };
                if r.until.is_some_and(|until| at.date() > until) {
                    break;
                }
                if k >= MAX_SERIES {
                    errors.push(FieldError::new(
                        "recurrence",
                        "too_many",
                        format!("a series has at most {MAX_SERIES} occurrences"),
                    ));
                    break;
                }
                match local_start(&tz, at) {
                    Some(start) if !instant::is_representable(start) => {
                        errors.push(instant::out_of_range(format!("occurrences[{k}].start")));
                        break;
                    }
                    Some(start) => starts.push(start),
                    None => errors.push(FieldError::new(
                        format!("occurrences[{k}].start"),
                        "outside_hours",
                        "the local time does not exist on that date (clock change)",
                    )),
                }
            }
            if !errors.is_empty() {
                return Err(Error::validation(errors));
            }
            self.book_occurrences(&attempt, first, starts, Some(SeriesId::new()), None)
                .await
        });
        self.disclosed(actor, booked.await).await
    }

    /// THE booking rules: checks every start (patient state, practitioner,
    /// room, hours and grid, notice, horizon, per-day limits, overlaps) and
    /// writes them all in one change set. Booking, series and FHIR import
    /// all come through here; `fhir_extra` is what an import keeps.
    pub(super) async fn book_occurrences(
        &self,
        attempt: &Attempt<'_>,
        booking: &BookAppointment,
        starts: Vec<DateTime<Utc>>,
        series: Option<SeriesId>,
        fhir_extra: Option<serde_json::Value>,
    ) -> Result<Vec<Appointment>> {
        let mut errors = Vec::new();
        validate::booking(&mut errors, "", booking);
        if !errors.is_empty() {
            return Err(Error::validation(errors));
        }
        self.require_patient(booking.patient, PatientUse::Schedule)
            .await?;
        let visit = self.load_visit_type(booking.visit_type).await?;
        let bookable = self.load_bookable(booking.practitioner).await?;
        if !bookable.practitioner.active {
            return Err(Error::invalid(
                "practitioner",
                "inactive",
                "the practitioner is not active",
            ));
        }
        if let Some(room) = booking.room {
            self.load_resource(room).await?;
        }
        let single = starts.len() == 1;
        let field_of = |k: usize| {
            if single {
                "start".to_owned()
            } else {
                format!("occurrences[{k}].start")
            }
        };
        let beyond: Vec<FieldError> = starts
            .iter()
            .enumerate()
            .filter(|(_, start)| !fits_calendar(&visit, **start))
            .map(|(k, _)| instant::out_of_range(field_of(k)))
            .collect();
        if !beyond.is_empty() {
            return Err(Error::validation(beyond));
        }
        let (Some(first), Some(last)) = (starts.first().copied(), starts.last().copied()) else {
            return Ok(Vec::new());
        };
        let mut busy = self
            .busy_around(&bookable, booking.room, booking.patient, first, last)
            .await?;
        let now = self.now();
        let mut appointments = Vec::with_capacity(starts.len());
        let mut failures = Vec::new();
        for (k, start) in starts.into_iter().enumerate() {
            let occupancy = Occupancy::new(&busy);
            let rules = SlotRules {
                visit: &visit,
                now,
                room: booking.room,
                occupancy: &occupancy,
                except: None,
            };
            let end = start + minutes(visit.duration_minutes.get());
            let why = rules
                .check(&bookable.practitioner, &bookable.tz, start)
                .or_else(|| patient_taken(&busy, booking.patient, start, end, None));
            if let Some(why) = why {
                if single {
                    return Err(unavailable("start", why));
                }
                failures.push(FieldError::new(
                    format!("occurrences[{k}].start"),
                    why.code(),
                    why.message(),
                ));
                continue;
            }
            let (blocked_from, blocked_until) = blocked(&visit, start);
            let appointment = Appointment {
                id: AppointmentId::new(),
                version: Count64::new(1),
                patient: booking.patient,
                practitioner: booking.practitioner,
                room: booking.room,
                visit_type: visit.id,
                status: booking.status.unwrap_or(AppointmentStatus::Booked),
                start,
                end,
                blocked_from,
                blocked_until,
                series,
                cancellation: None,
                reschedules: Vec::new(),
                reminders: reminders_for(&visit, start, now),
                note: booking.note.clone(),
                fhir_extra: fhir_extra.clone(),
                encounter: None,
                booked_by: attempt.actor.id,
                created_at: now,
                updated_at: now,
            };
            busy.push(BusySpan::from(&appointment));
            appointments.push(appointment);
        }
        if !failures.is_empty() {
            return Err(Error::validation(failures));
        }
        let starts: Vec<(String, DateTime<Utc>)> = appointments
            .iter()
            .enumerate()
            .map(|(k, a)| (field_of(k), a.start))
            .collect();
        let day_limits = day_limit_checks(&bookable, &visit, &starts);
        self.write_bookings(attempt, &appointments, day_limits, None)
            .await?;
        self.shown_appointments(attempt.actor, appointments).await
    }

    /// Writes new appointments with their audit entries and events;
    /// `flag`, when given, is added to each audit entry's reason.
    pub(super) async fn write_bookings(
        &self,
        attempt: &Attempt<'_>,
        appointments: &[Appointment],
        day_limits: Vec<DayLimitCheck>,
        flag: Option<&str>,
    ) -> Result<()> {
        let mut changes = ChangeSet::default().day_limits(day_limits);
        for a in appointments {
            changes.references.extend(references(a));
            let mut audit = self.success(attempt, Some(format!("appointment:{}", a.id)));
            audit.patient = Some(a.patient);
            if let Some(flag) = flag {
                audit.reason = format!("{}; {flag}", audit.reason);
            }
            changes.audit.push(audit);
            changes.events.push(EventDraft::new(
                APPOINTMENT_BOOKED,
                Some(a.patient),
                &a.id.to_string(),
                a.version.get(),
                json!({
                    "appointment_id": a.id,
                    "patient_id": a.patient,
                    "practitioner_id": a.practitioner,
                    "room_id": a.room,
                    "visit_type_id": a.visit_type,
                    "series_id": a.series,
                    "status": a.status,
                    "start": a.start,
                    "end": a.end,
                    "version": a.version,
                    "booked_at": a.created_at,
                }),
                a.created_at,
            ));
            changes
                .scheduling
                .appointments
                .push(Versioned::Insert(a.clone()));
        }
        self.store.apply(changes).await?;
        Ok(())
    }

    /// Loads an appointment and authorizes `permission` on it (its patient
    /// and practitioner are the relationship targets).
    pub(super) async fn authorize_appointment<'a>(
        &self,
        actor: &'a Actor,
        permission: Permission,
        id: AppointmentId,
    ) -> Result<(Attempt<'a>, Appointment)> {
        let appointment = self
            .store
            .appointment(id)
            .await?
            .ok_or_else(|| Error::not_found("appointment"))?;
        let attempt = self
            .authorize_for(
                actor,
                permission,
                Some(appointment.patient),
                Some(appointment.practitioner),
            )
            .await?;
        Ok((attempt, appointment))
    }

    /// One appointment; the read is audited.
    pub async fn get_appointment(&self, actor: &Actor, id: AppointmentId) -> Result<Appointment> {
        let (attempt, appointment) = self
            .authorize_appointment(actor, Permission::AppointmentRead, id)
            .await?;
        self.audited(&attempt, async {
            let audit = self.success(&attempt, Some(format!("appointment:{id}")));
            self.store.apply(ChangeSet::audit_only(vec![audit])).await?;
            self.shown_appointment(actor, appointment).await
        })
        .await
    }

    /// The change set of a new state of an appointment: the versioned
    /// update, its audit entry and its event `kind`.
    pub(super) fn appointment_change(
        &self,
        attempt: &Attempt<'_>,
        updated: &Appointment,
        expected_version: u64,
        kind: &str,
        payload: serde_json::Value,
    ) -> ChangeSet {
        let audit = self.success(attempt, Some(format!("appointment:{}", updated.id)));
        let event = EventDraft::new(
            kind,
            Some(updated.patient),
            &updated.id.to_string(),
            updated.version.get(),
            payload,
            updated.updated_at,
        );
        ChangeSet::default()
            .references(references(updated))
            .appointment(Versioned::Update {
                value: updated.clone(),
                expected_version,
            })
            .audit(audit)
            .event(event)
    }

    /// Moves a proposed or booked appointment to a new start (and optionally
    /// another practitioner or room); the old time goes into its history.
    pub async fn reschedule_appointment(
        &self,
        actor: &Actor,
        id: AppointmentId,
        expected_version: Count64,
        change: RescheduleAppointment,
    ) -> Result<Appointment> {
        let (attempt, current) = self
            .authorize_appointment(actor, Permission::AppointmentReschedule, id)
            .await?;
        let moved = self.audited(&attempt, async {
            if current.version != expected_version {
                return Err(Error::stale(
                    "appointment",
                    expected_version.get(),
                    current.version.get(),
                ));
            }
            if !matches!(
                current.status,
                AppointmentStatus::Proposed | AppointmentStatus::Booked
            ) {
                return Err(Error::invalid(
                    "status",
                    "invalid_transition",
                    format!(
                        "cannot reschedule an appointment that is {}",
                        current.status
                    ),
                ));
            }
            self.require_patient(current.patient, PatientUse::Schedule)
                .await?;
            let practitioner = change.practitioner.unwrap_or(current.practitioner);
            if practitioner != current.practitioner
                && !attempt.actor.has_role(crate::actor::Role::FrontDesk)
                && !attempt.actor.has_role(crate::actor::Role::System)
            {
                // Moving to another practitioner is a new booking with them.
                self.authorize_for(
                    attempt.actor,
                    Permission::AppointmentBook,
                    Some(current.patient),
                    Some(practitioner),
                )
                .await?;
            }
            let room = change.room.or(current.room);
            let visit = self.load_visit_type(current.visit_type).await?;
            if !fits_calendar(&visit, change.start) {
                return Err(Error::validation(vec![instant::out_of_range("start")]));
            }
            let bookable = self.load_bookable(practitioner).await?;
            if let Some(room) = change.room {
                self.load_resource(room).await?;
            }
            let busy = self
                .busy_around(&bookable, room, current.patient, change.start, change.start)
                .await?;
            let occupancy = Occupancy::new(&busy);
            let now = self.now();
            let rules = SlotRules {
                visit: &visit,
                now,
                room,
                occupancy: &occupancy,
                except: Some(id),
            };
            let end = change.start + minutes(visit.duration_minutes.get());
            if let Some(why) = rules
                .check(&bookable.practitioner, &bookable.tz, change.start)
                .or_else(|| patient_taken(&busy, current.patient, change.start, end, Some(id)))
            {
                return Err(unavailable("start", why));
            }
            let (blocked_from, blocked_until) = blocked(&visit, change.start);
            let mut updated = current.clone();
            updated.version = expected_version + 1;
            updated.reschedules.push(Reschedule {
                from_start: current.start,
                from_end: current.end,
                from_practitioner: current.practitioner,
                from_room: current.room,
                at: now,
                by: attempt.actor.id,
            });
            updated.practitioner = practitioner;
            updated.room = room;
            updated.start = change.start;
            updated.end = end;
            updated.blocked_from = blocked_from;
            updated.blocked_until = blocked_until;
            updated.reminders = reminders_for(&visit, change.start, now);
            updated.updated_at = now;
            let payload = json!({
                "appointment_id": id,
                "patient_id": updated.patient,
                "practitioner_id": updated.practitioner,
                "room_id": updated.room,
                "from_practitioner_id": current.practitioner,
                "from_start": current.start,
                "start": updated.start,
                "end": updated.end,
                "version": updated.version,
                "rescheduled_at": now,
            });
            let limits = day_limit_checks(&bookable, &visit, &[("start".to_owned(), change.start)]);
            let changes = self
                .appointment_change(
                    &attempt,
                    &updated,
                    expected_version.get(),
                    APPOINTMENT_RESCHEDULED,
                    payload,
                )
                .day_limits(limits);
            self.store.apply(changes).await?;
            self.shown_appointment(actor, updated).await
        });
        self.disclosed(actor, moved.await).await
    }

    /// Cancels with a reason; flagged late inside the clinic's window.
    pub async fn cancel_appointment(
        &self,
        actor: &Actor,
        id: AppointmentId,
        expected_version: Count64,
        cancel: CancelAppointment,
    ) -> Result<Appointment> {
        let (attempt, current) = self
            .authorize_appointment(actor, Permission::AppointmentCancel, id)
            .await?;
        self.audited(&attempt, async {
            let mut errors = Vec::new();
            validate::cancellation(&mut errors, &cancel);
            if !errors.is_empty() {
                return Err(Error::validation(errors));
            }
            if current.version != expected_version {
                return Err(Error::stale(
                    "appointment",
                    expected_version.get(),
                    current.version.get(),
                ));
            }
            if !current.status.can_become(AppointmentStatus::Cancelled) {
                return Err(bad_transition(current.status, AppointmentStatus::Cancelled));
            }
            let now = self.now();
            let window = self.settings.late_cancellation_window;
            let late = instant::saturating_add(now, window) > current.start;
            let mut updated = current.clone();
            updated.version = expected_version + 1;
            updated.status = AppointmentStatus::Cancelled;
            updated.cancellation = Some(Cancellation {
                reason: cancel.reason,
                note: cancel.note,
                late,
                at: now,
                by: attempt.actor.id,
            });
            updated.reminders.clear();
            updated.updated_at = now;
            let payload = json!({
                "appointment_id": id,
                "patient_id": updated.patient,
                "practitioner_id": updated.practitioner,
                "visit_type_id": updated.visit_type,
                "start": updated.start,
                "reason": cancel.reason,
                "late": late,
                "version": updated.version,
                "cancelled_at": now,
            });
            let changes = self.appointment_change(
                &attempt,
                &updated,
                expected_version.get(),
                APPOINTMENT_CANCELLED,
                payload,
            );
            self.store.apply(changes).await?;
            self.shown_appointment(actor, updated).await
        })
        .await
    }

    /// Moves along the life cycle: proposed → booked, booked → arrived or
    /// noshow, arrived → fulfilled. Cancelling has its own operation.
    pub async fn change_appointment_status(
        &self,
        actor: &Actor,
        id: AppointmentId,
        expected_version: Count64,
        status: AppointmentStatus,
    ) -> Result<Appointment> {
        let (attempt, current) = self
            .authorize_appointment(actor, Permission::AppointmentStatus, id)
            .await?;
        self.audited(&attempt, async {
            if status == AppointmentStatus::Cancelled {
                return Err(Error::invalid(
                    "status",
                    "use_cancel",
                    "cancel with cancel_appointment, which takes a reason",
                ));
            }
            let (updated, payload) = self
                .status_moved(&current, expected_version, status)
                .await?;
            let changes = self.appointment_change(
                &attempt,
                &updated,
                expected_version.get(),
                APPOINTMENT_STATUS_CHANGED,
                payload,
            );
            self.store.apply(changes).await?;
            self.shown_appointment(actor, updated).await
        })
        .await
    }
}
