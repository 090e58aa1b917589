//! Setting up the schedule (practitioners, rooms, visit types,
//! availability) and searching free slots.

use crate::Count32;
use crate::Count64;
use std::collections::HashMap;

use crate::schedule::zone::Zone;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::Clinic;
use crate::actor::Actor;
use crate::ids::{PractitionerId, ResourceId, VisitTypeId};
use crate::limits::MAX_CURSOR_CHARS;
use crate::policy::Permission;
use crate::schedule::slots::{
    day_range, local_day, minutes, zone, DayLimits, Occupancy, SlotRules,
};
use crate::schedule::validate;
use crate::schedule::{
    AppointmentCount, Availability, BusyQuery, CountQuery, NewPractitioner, NewResource,
    NewVisitType, Practitioner, Resource, Slot, SlotPage, SlotQuery, VisitType,
};
use crate::store::{ChangeSet, Versioned};
use crate::{Error, FieldError, Result};

/// The widest free-slot search.
const MAX_SEARCH_DAYS: i64 = 92;
/// Default and largest page of free slots.
const DEFAULT_SLOTS: u32 = 20;
const MAX_SLOTS: u32 = 500;
/// Slots are computed a span of instants at a time, starting with about a
/// page's worth and doubling up to a day, so a first page costs one small
/// bookings query, not one for the whole range (see [`first_chunk`]).
const SHORTEST_CHUNK: Duration = Duration::hours(1);
const FIRST_CHUNK: Duration = Duration::hours(6);
const LONGEST_CHUNK: Duration = Duration::hours(24);

/// The span of the first chunk: long enough for `limit + 1` grid starts
/// if half the practitioners were open, between an hour and six. The
/// result does not depend on it, only how many store reads it takes.
fn first_chunk(bookables: &[Bookable], limit: u32) -> Duration {
    let starts_per_hour: i64 = bookables
        .iter()
        .map(|b| {
            60 / i64::from(
                b.practitioner
                    .availability
                    .slot_minutes
                    .clamp(Count32::new(1), Count32::new(60)),
            )
        })
        .sum();
    let minutes = (i64::from(limit) + 1) * 60 * 2 / starts_per_hour.max(1);
    Duration::minutes(minutes).clamp(SHORTEST_CHUNK, FIRST_CHUNK)
}

fn slot_cursor(slot: &Slot) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "s1:{}:{}",
        slot.start.timestamp_micros(),
        slot.practitioner
    ))
}

fn parse_slot_cursor(cursor: &str) -> Result<(DateTime<Utc>, PractitionerId)> {
    let bad = || {
        Error::invalid(
            "cursor",
            "invalid_cursor",
            "cursor is not one this api returned",
        )
    };
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let rest = text.strip_prefix("s1:").ok_or_else(bad)?;
    let (micros, id) = rest.split_once(':').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let start = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    let id = PractitionerId::parse("cursor", id).map_err(|_| bad())?;
    Ok((start, id))
}

/// A practitioner with its parsed zone.
pub(super) struct Bookable {
    pub practitioner: Practitioner,
    pub tz: Zone,
}

impl Bookable {
    /// Parses the stored zone (validated when it was written).
    fn of(practitioner: Practitioner) -> Result<Self> {
        let tz = zone(&practitioner.time_zone)
            .ok_or_else(|| Error::storage("stored practitioner has an unknown time zone"))?;
        Ok(Self { practitioner, tz })
    }
}

impl Clinic {
    /// Adds a practitioner (staff data) with their zone and availability.
    pub async fn add_practitioner(
        &self,
        actor: &Actor,
        new: NewPractitioner,
    ) -> Result<Practitioner> {
        let attempt = self
            .authorize(actor, Permission::ScheduleManage, None)
            .await?;
        self.audited(&attempt, async {
            let mut errors = Vec::new();
            validate::new_practitioner(&mut errors, &new);
            if !errors.is_empty() {
                return Err(Error::validation(errors));
            }
            let now = self.now();
            let practitioner = Practitioner {
                id: new.id.unwrap_or_default(),
                version: Count64::new(1),
                name: new.name,
                time_zone: new.time_zone,
                availability: new.availability,
                active: true,
                created_at: now,
                updated_at: now,
                fhir_extra: None,
            };
            let audit = self.success(&attempt, Some(format!("practitioner:{}", practitioner.id)));
            self.store
                .apply(
                    ChangeSet::default()
                        .practitioner(Versioned::Insert(practitioner.clone()))
                        .audit(audit),
                )
                .await?;
            Ok(practitioner)
        })
        .await
    }

    /// Replaces a practitioner's weekly hours, exceptions, time off and
    /// limits if `expected_version` is still current. Existing appointments
    /// stay; only new bookings follow the new rules.
    pub async fn set_availability(
        &self,
        actor: &Actor,
        practitioner: PractitionerId,
        expected_version: Count64,
        availability: Availability,
    ) -> Result<Practitioner> {
        let attempt = self
            .authorize(actor, Permission::ScheduleManage, None)
            .await?;
        self.audited(&attempt, async {
            let mut errors = Vec::new();
            validate::availability(&mut errors, "", &availability);
            if !errors.is_empty() {
                return Err(Error::validation(errors));
            }
            let stored = self
                .store
                .practitioner(practitioner)
                .await?
                .ok_or_else(|| Error::not_found("practitioner"))?;
            let updated = Practitioner {
                version: expected_version + 1,
                availability,
                updated_at: self.now(),
                ..stored
            };
            let audit = self.success(&attempt, Some(format!("practitioner:{practitioner}")));
            self.store
                .apply(
                    ChangeSet::default()
                        .practitioner(Versioned::Update {
                            value: updated.clone(),
                            expected_version: expected_version.get(),
                        })
                        .audit(audit),
                )
                .await?;
            Ok(updated)
        })
        .await
    }

    /// One practitioner.
    pub async fn get_practitioner(
        &self,
        actor: &Actor,
        id: PractitionerId,
    ) -> Result<Practitioner> {
        let attempt = self
            .authorize(actor, Permission::ScheduleRead, None)
            .await?;
        self.audited(&attempt, async {
            self.store
                .practitioner(id)
                .await?
                .ok_or_else(|| Error::not_found("practitioner"))
        })
        .await
    }

    /// Every practitioner, by id.
    pub async fn list_practitioners(&self, actor: &Actor) -> Result<Vec<Practitioner>> {
        let attempt = self
            .authorize(actor, Permission::ScheduleRead, None)
            .await?;
        self.audited(&attempt, self.store.practitioners()).await
    }

    /// Adds a bookable room or device.
    pub async fn add_resource(&self, actor: &Actor, new: NewResource) -> Result<Resource> {
        let attempt = self
            .authorize(actor, Permission::ScheduleManage, None)
            .await?;
        self.audited(&attempt, async {
            let mut errors = Vec::new();
            validate::new_resource(&mut errors, &new);
            if !errors.is_empty() {
                return Err(Error::validation(errors));
            }
            let resource = Resource {
                id: ResourceId::new(),
                version: Count64::new(1),
                kind: new.kind,
                name: new.name,
                time_zone: new.time_zone,
                active: true,
            };
            let audit = self.success(&attempt, Some(format!("resource:{}", resource.id)));
            self.store
                .apply(
                    ChangeSet::default()
                        .resource(Versioned::Insert(resource.clone()))
                        .audit(audit),
                )
                .await?;
            Ok(resource)
        })
        .await
    }

    /// Every room and device, by id.
    pub async fn list_resources(&self, actor: &Actor) -> Result<Vec<Resource>> {
        let attempt = self
            .authorize(actor, Permission::ScheduleRead, None)
            .await?;
        self.audited(&attempt, self.store.resources()).await
    }

    /// Defines a visit type.
    pub async fn add_visit_type(&self, actor: &Actor, new: NewVisitType) -> Result<VisitType> {
        let attempt = self
            .authorize(actor, Permission::ScheduleManage, None)
            .await?;
        self.audited(&attempt, async {
            let mut errors = Vec::new();
            validate::visit_type(&mut errors, &new);
            if !errors.is_empty() {
                return Err(Error::validation(errors));
            }
            let visit = VisitType {
                id: VisitTypeId::new(),
                version: Count64::new(1),
                code: new.code,
                name: new.name,
                duration_minutes: new.duration_minutes,
                buffer_before_minutes: new.buffer_before_minutes,
                buffer_after_minutes: new.buffer_after_minutes,
                min_notice_minutes: new.min_notice_minutes,
                horizon_days: new.horizon_days,
                max_per_day: new.max_per_day,
                reminder_offsets_minutes: new.reminder_offsets_minutes,
            };
            let audit = self.success(&attempt, Some(format!("visit_type:{}", visit.id)));
            self.store
                .apply(
                    ChangeSet::default()
                        .visit_type(Versioned::Insert(visit.clone()))
                        .audit(audit),
                )
                .await?;
            Ok(visit)
        })
        .await
    }

    /// Every visit type, by id.
    pub async fn list_visit_types(&self, actor: &Actor) -> Result<Vec<VisitType>> {
        let attempt = self
            .authorize(actor, Permission::ScheduleRead, None)
            .await?;
        self.audited(&attempt, self.store.visit_types()).await
    }

    /// Free slots for a visit type with any of the practitioners (and the
    /// room, if given) in `[from, to)`: availability − exceptions − time off
    /// − bookings (with buffers) − notice, horizon and per-day limits.
    /// Ordered by start then practitioner id; the same state gives the same
    /// pages. Shows no patient data, so it is not audited.
    pub async fn find_free_slots(&self, actor: &Actor, query: SlotQuery) -> Result<SlotPage> {
        let attempt = self
            .authorize(actor, Permission::ScheduleRead, None)
            .await?;
        self.audited(&attempt, self.free_slots(query)).await
    }

    async fn free_slots(&self, query: SlotQuery) -> Result<SlotPage> {
        let mut errors = Vec::new();
        let limit = query.limit.unwrap_or(Count32::new(DEFAULT_SLOTS));
        if limit == 0 || limit > MAX_SLOTS {
            errors.push(FieldError::new(
                "limit",
                "out_of_range",
                format!("limit must be between 1 and {MAX_SLOTS}"),
            ));
        }
        validate::slot_practitioners(&mut errors, &query);
        crate::instant::check(&mut errors, "from", query.from);
        crate::instant::check(&mut errors, "to", query.to);
        if query.to <= query.from || query.to - query.from > Duration::days(MAX_SEARCH_DAYS) {
            errors.push(FieldError::new(
                "to",
                "out_of_range",
                format!("to must be after from, at most {MAX_SEARCH_DAYS} days later"),
            ));
        }
        let after = match query.cursor.as_deref().map(parse_slot_cursor) {
            Some(Ok(after)) => Some(after),
            Some(Err(Error::Validation { fields })) => {
                errors.extend(fields);
                None
            }
            Some(Err(other)) => return Err(other),
            None => None,
        };
        if !errors.is_empty() {
            return Err(Error::validation(errors));
        }
        let visit = self.load_visit_type(query.visit_type).await?;
        if let Some(room) = query.room {
            self.load_resource(room).await?;
        }
        let mut ids = query.practitioners.clone();
        ids.sort();
        ids.dedup();
        let bookables = self.load_bookables(&ids).await?;
        let now = self.now();
        let from = match after {
            Some((start, _)) => start.max(query.from),
            None => query.from,
        };
        let practitioner_ids: Vec<PractitionerId> =
            bookables.iter().map(|b| b.practitioner.id).collect();
        // Bookings in the way of a candidate's blocked span.
        let margin_before = minutes(visit.buffer_before_minutes.get());
        let margin_after =
            minutes((visit.duration_minutes + visit.buffer_after_minutes.get()).get());
        let mut slots: Vec<Slot> = Vec::new();
        let mut counted = HashMap::new();
        let mut chunk_start = from;
        let mut chunk = first_chunk(&bookables, limit.get());
        while chunk_start < query.to && slots.len() <= usize::from(limit) {
            let chunk_end = (chunk_start + chunk).min(query.to);
            chunk = (chunk * 2).min(LONGEST_CHUNK);
            let busy = self
                .store
                .busy(&BusyQuery {
                    practitioners: practitioner_ids.clone(),
                    rooms: query.room.into_iter().collect(),
                    patients: Vec::new(),
                    from: chunk_start - margin_before,
                    to: chunk_end + margin_after,
                })
                .await?;
            let occupancy = Occupancy::new(&busy);
            let rules = SlotRules {
                visit: &visit,
                now,
                room: query.room,
                occupancy: &occupancy,
                except: None,
            };
            let mut found: Vec<(usize, DateTime<Utc>)> = bookables
                .iter()
                .enumerate()
                .flat_map(|(i, b)| {
                    rules
                        .free_starts(&b.practitioner, &b.tz, chunk_start, chunk_end)
                        .into_iter()
                        .map(move |start| (i, start))
                })
                .filter(|(i, start)| {
                    after.is_none_or(|a| (*start, bookables[*i].practitioner.id) > a)
                })
                .collect();
            found.sort_by_key(|(i, start)| (*start, bookables[*i].practitioner.id));
            let wanted = usize::from(limit) + 1 - slots.len();
            let kept = self
                .within_day_limits(&bookables, &visit, found, wanted, &mut counted)
                .await?;
            slots.extend(kept.into_iter().map(|(i, start)| Slot {
                practitioner: bookables[i].practitioner.id,
                room: query.room,
                start,
                end: start + minutes(visit.duration_minutes.get()),
            }));
            chunk_start = chunk_end;
        }
        let next_cursor = if slots.len() > usize::from(limit) {
            slots.truncate(usize::from(limit));
            slots.last().map(slot_cursor)
        } else {
            None
        };
        Ok(SlotPage { slots, next_cursor })
    }

    /// The first `wanted` of `found` (ordered candidates, each a bookable's
    /// index and a start) whose local day is not full. Days are counted by
    /// the store only for the candidates that could make the page, a
    /// growing batch at a time, and remembered in `counted` for the rest of
    /// the search: a first page costs one small count, not one per
    /// practitioner and day.
    async fn within_day_limits(
        &self,
        bookables: &[Bookable],
        visit: &VisitType,
        found: Vec<(usize, DateTime<Utc>)>,
        wanted: usize,
        counted: &mut HashMap<(usize, NaiveDate), AppointmentCount>,
    ) -> Result<Vec<(usize, DateTime<Utc>)>> {
        let limits: Vec<DayLimits> = bookables
            .iter()
            .map(|b| DayLimits::of(&b.practitioner, visit))
            .collect();
        if !limits.iter().any(DayLimits::apply) {
            return Ok(found.into_iter().take(wanted).collect());
        }
        let day_of = |(i, start): (usize, DateTime<Utc>)| (i, local_day(&bookables[i].tz, start));
        let mut kept = Vec::with_capacity(wanted);
        let mut rest = found.as_slice();
        let mut batch_size = wanted;
        while kept.len() < wanted && !rest.is_empty() {
            let (batch, after) = rest.split_at(batch_size.min(rest.len()));
            rest = after;
            batch_size *= 2;
            let mut days: Vec<(usize, NaiveDate)> = batch
                .iter()
                .map(|c| day_of(*c))
                .filter(|(i, _)| limits[*i].apply())
                .filter(|day| !counted.contains_key(day))
                .collect();
            days.sort();
            days.dedup();
            if !days.is_empty() {
                let ranges = days
                    .iter()
                    .map(|(i, day)| {
                        day_range(bookables[*i].practitioner.id, &bookables[*i].tz, *day)
                    })
                    .collect();
                let counts = self
                    .store
                    .appointment_counts(&CountQuery {
                        visit_type: visit.id,
                        ranges,
                    })
                    .await?;
                if counts.len() != days.len() {
                    return Err(Error::storage(
                        "store returned a different number of counts than ranges",
                    ));
                }
                counted.extend(days.into_iter().zip(counts));
            }
            for candidate in batch {
                let day = day_of(*candidate);
                let count = counted.get(&day).copied().unwrap_or_default();
                if limits[day.0].full(count).is_none() {
                    kept.push(*candidate);
                    if kept.len() == wanted {
                        break;
                    }
                }
            }
        }
        Ok(kept)
    }

    pub(super) async fn load_visit_type(&self, id: VisitTypeId) -> Result<VisitType> {
        self.store
            .visit_type(id)
            .await?
            .ok_or_else(|| Error::missing("visit type", "visit_type"))
    }

    pub(super) async fn load_resource(&self, id: ResourceId) -> Result<Resource> {
        let resource = self
            .store
            .resource(id)
            .await?
            .ok_or_else(|| Error::missing("resource", "room"))?;
        if !resource.active {
            return Err(Error::invalid(
                "room",
                "inactive",
                "the resource is not active",
            ));
        }
        Ok(resource)
    }

    /// The active practitioners among `ids` (one store read); an unknown id
    /// is `not_found`.
    async fn load_bookables(&self, ids: &[PractitionerId]) -> Result<Vec<Bookable>> {
        let all = self.store.practitioners().await?;
        let mut bookables = Vec::with_capacity(ids.len());
        for id in ids {
            let practitioner = all
                .iter()
                .find(|p| p.id == *id)
                .cloned()
                .ok_or_else(|| Error::missing("practitioner", "practitioners"))?;
            if practitioner.active {
                bookables.push(Bookable::of(practitioner)?);
            }
        }
        Ok(bookables)
    }

    pub(super) async fn load_bookable(&self, id: PractitionerId) -> Result<Bookable> {
        let practitioner = self
            .store
            .practitioner(id)
            .await?
            .ok_or_else(|| Error::missing("practitioner", "practitioner"))?;
        Bookable::of(practitioner)
    }
}
