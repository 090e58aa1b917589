//! FHIR R4 Schedule and Slot: round-trip views, and exporters from a
//! practitioner's schedule and carebase's free slots.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::{Builder, Uuid};

use super::{
    array, boolean, fail, instant, object, ordered, put_instant, put_str, resource_type, rest,
    string, FhirReference, Object,
};
use crate::codes::code_enum;
use crate::error::FieldError;
use crate::schedule::model::{Practitioner, Slot, SlotPage, VisitType};
use crate::{Error, Result};

/// Schedule elements in FHIR R4 order.
const SCHEDULE_ORDER: &str =
    "resourceType id meta implicitRules language text contained extension \
    modifierExtension identifier active serviceCategory serviceType specialty actor \
    planningHorizon comment";

/// Slot elements in FHIR R4 order.
const SLOT_ORDER: &str = "resourceType id meta implicitRules language text contained extension \
    modifierExtension identifier serviceCategory serviceType specialty appointmentType \
    schedule status start end overbooked comment";

/// A FHIR `Period` of instants, with any other element as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FhirPeriod {
    /// `start`.
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    /// `end`.
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
    /// Every other element (`id`, `extension`), as written.
    #[serde(default)]
    pub extra: Object,
}

impl FhirPeriod {
    fn read(value: &Value, at: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
        let obj = object(value, at, errors)?;
        Some(Self {
            start: instant(obj, "start", at, errors),
            end: instant(obj, "end", at, errors),
            extra: rest(obj, &["start", "end"]),
        })
    }

    /// The JSON object.
    pub fn to_fhir(&self) -> Value {
        let mut out = self.extra.clone();
        put_instant(&mut out, "start", self.start);
        put_instant(&mut out, "end", self.end);
        Value::Object(ordered(out, "id extension start end"))
    }
}

/// A FHIR R4 Schedule: the elements carebase reads and every other one in
/// `extra`. `from_fhir` then `to_fhir` returns the same JSON value.
/// `planningHorizon` is read as instants: a date without a time is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FhirSchedule {
    /// `id`.
    #[serde(default)]
    pub id: Option<String>,
    /// `active`.
    #[serde(default)]
    pub active: Option<bool>,
    /// `actor`: whose schedule it is (at least one).
    pub actors: Vec<FhirReference>,
    /// `planningHorizon`.
    #[serde(default)]
    pub planning_horizon: Option<FhirPeriod>,
    /// `comment`.
    #[serde(default)]
    pub comment: Option<String>,
    /// Every other element, as written.
    #[serde(default)]
    pub extra: Object,
}

impl FhirSchedule {
    /// Reads a Schedule (a document within [`crate::document`]'s bounds);
    /// every failing field is reported with its path.
    pub fn from_fhir(resource: &Value) -> Result<Self> {
        crate::document::check_value(resource, "resource")?;
        let mut errors = Vec::new();
        let Some(obj) = object(resource, "", &mut errors) else {
            return Err(Error::validation(errors));
        };
        resource_type(obj, "Schedule", &mut errors);
        let actors: Vec<FhirReference> = array(obj, "actor", "", &mut errors)
            .iter()
            .enumerate()
            .filter_map(|(i, a)| FhirReference::read(a, &format!("actor[{i}]"), &mut errors))
            .collect();
        if !obj.contains_key("actor") {
            fail(&mut errors, "actor", "required", "a schedule has an actor");
        }
        let schedule = Self {
            id: string(obj, "id", "", &mut errors),
            active: boolean(obj, "active", "", &mut errors),
            actors,
            planning_horizon: obj
                .get("planningHorizon")
                .and_then(|p| FhirPeriod::read(p, "planningHorizon", &mut errors)),
            comment: string(obj, "comment", "", &mut errors),
            extra: rest(
                obj,
                &[
                    "resourceType",
                    "id",
                    "active",
                    "actor",
                    "planningHorizon",
                    "comment",
                ],
            ),
        };
        if errors.is_empty() {
            Ok(schedule)
        } else {
            Err(Error::validation(errors))
        }
    }

    /// The JSON resource.
    pub fn to_fhir(&self) -> Value {
        let mut out = self.extra.clone();
        out.insert("resourceType".into(), json!("Schedule"));
        put_str(&mut out, "id", self.id.as_deref());
        if let Some(active) = self.active {
            out.insert("active".into(), json!(active));
        }
        let actors = self.actors.iter().map(FhirReference::to_fhir).collect();
        out.insert("actor".into(), Value::Array(actors));
        if let Some(horizon) = &self.planning_horizon {
            out.insert("planningHorizon".into(), horizon.to_fhir());
        }
        put_str(&mut out, "comment", self.comment.as_deref());
        Value::Object(ordered(out, SCHEDULE_ORDER))
    }
}

code_enum! {
    /// `Slot.status`.
    pub enum FhirSlotStatus {
        /// `busy`.
        Busy = "busy",
        /// `free`.
        Free = "free",
        /// `busy-unavailable`.
        BusyUnavailable = "busy-unavailable",
        /// `busy-tentative`.
        BusyTentative = "busy-tentative",
        /// `entered-in-error`.
        EnteredInError = "entered-in-error",
    }
}

/// A FHIR R4 Slot: the elements carebase reads (schedule, status, start and
/// end are required by FHIR) and every other one in `extra`. `from_fhir`
/// then `to_fhir` returns the same JSON value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FhirSlot {
    /// `id`.
    #[serde(default)]
    pub id: Option<String>,
    /// `schedule`.
    pub schedule: FhirReference,
    /// `status`.
    pub status: FhirSlotStatus,
    /// `start`.
    pub start: DateTime<Utc>,
    /// `end`.
    pub end: DateTime<Utc>,
    /// `overbooked`.
    #[serde(default)]
    pub overbooked: Option<bool>,
    /// `comment`.
    #[serde(default)]
    pub comment: Option<String>,
    /// Every other element, as written.
    #[serde(default)]
    pub extra: Object,
}

impl FhirSlot {
    /// Reads a Slot (a document within [`crate::document`]'s bounds); every
    /// failing field is reported with its path.
    pub fn from_fhir(resource: &Value) -> Result<Self> {
        crate::document::check_value(resource, "resource")?;
        let mut errors = Vec::new();
        let Some(obj) = object(resource, "", &mut errors) else {
            return Err(Error::validation(errors));
        };
        resource_type(obj, "Slot", &mut errors);
        for key in ["schedule", "status", "start", "end"] {
            if !obj.contains_key(key) {
                fail(&mut errors, key, "required", "required by fhir");
            }
        }
        let id = string(obj, "id", "", &mut errors);
        let schedule = obj
            .get("schedule")
            .and_then(|s| FhirReference::read(s, "schedule", &mut errors));
        let status = string(obj, "status", "", &mut errors).and_then(|code| {
            let status = FhirSlotStatus::parse(&code);
            if status.is_none() {
                fail(
                    &mut errors,
                    "status",
                    "unsupported_status",
                    "busy, free, busy-unavailable, busy-tentative or entered-in-error",
                );
            }
            status
        });
        let start = instant(obj, "start", "", &mut errors);
        let end = instant(obj, "end", "", &mut errors);
        let overbooked = boolean(obj, "overbooked", "", &mut errors);
        let comment = string(obj, "comment", "", &mut errors);
        let extra = rest(
            obj,
            &[
                "resourceType",
                "id",
                "schedule",
                "status",
                "start",
                "end",
                "overbooked",
                "comment",
            ],
        );
        match (schedule, status, start, end) {
            (Some(schedule), Some(status), Some(start), Some(end)) if errors.is_empty() => {
                Ok(Self {
                    id,
                    schedule,
                    status,
                    start,
                    end,
                    overbooked,
                    comment,
                    extra,
                })
            }
            _ => Err(Error::validation(errors)),
        }
    }

    /// The JSON resource.
    pub fn to_fhir(&self) -> Value {
        let mut out = self.extra.clone();
        out.insert("resourceType".into(), json!("Slot"));
        put_str(&mut out, "id", self.id.as_deref());
        out.insert("schedule".into(), self.schedule.to_fhir());
        out.insert("status".into(), json!(self.status.as_str()));
        put_instant(&mut out, "start", Some(self.start));
        put_instant(&mut out, "end", Some(self.end));
        if let Some(overbooked) = self.overbooked {
            out.insert("overbooked".into(), json!(overbooked));
        }
        put_str(&mut out, "comment", self.comment.as_deref());
        Value::Object(ordered(out, SLOT_ORDER))
    }
}

/// A practitioner's Schedule: `id` is the practitioner id, `active` theirs,
/// one actor `Practitioner/<id>` with their name, the planning horizon when
/// given, and their weekly hours as text in `comment`.
pub fn schedule_to_fhir(
    practitioner: &Practitioner,
    horizon: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Value {
    FhirSchedule {
        id: Some(practitioner.id.to_string()),
        active: Some(practitioner.active),
        actors: vec![FhirReference {
            display: Some(practitioner.name.clone()),
            ..FhirReference::to(format!("Practitioner/{}", practitioner.id))
        }],
        planning_horizon: horizon.map(|(start, end)| FhirPeriod {
            start: Some(start),
            end: Some(end),
            extra: Object::new(),
        }),
        comment: weekly_text(practitioner),
        extra: Object::new(),
    }
    .to_fhir()
}

/// "Weekly hours (Europe/Berlin): Monday 09:00-12:00, …; slots every 15 minutes".
fn weekly_text(practitioner: &Practitioner) -> Option<String> {
    let availability = &practitioner.availability;
    let mut weekly = availability.weekly.clone();
    if weekly.is_empty() {
        return None;
    }
    weekly.sort_by_key(|w| (w.weekday, w.start));
    let hours: Vec<String> = weekly
        .iter()
        .map(|w| {
            let mut text = format!(
                "{:?} {}-{}",
                w.weekday,
                w.start.format("%H:%M"),
                w.end.format("%H:%M")
            );
            if let Some(from) = w.valid_from {
                text.push_str(&format!(" from {from}"));
            }
            if let Some(until) = w.valid_until {
                text.push_str(&format!(" until {until}"));
            }
            text
        })
        .collect();
    Some(format!(
        "Weekly hours ({}): {}; slots every {} minutes",
        practitioner.time_zone,
        hours.join(", "),
        availability.slot_minutes
    ))
}

/// The id of a free slot: a UUID (version 8) derived from its practitioner,
/// room, visit type and start, so the same slot always gets the same id.
pub fn slot_id(slot: &Slot, visit: &VisitType) -> String {
    let room = slot.room.map(|r| r.to_string()).unwrap_or_default();
    let key = format!(
        "carebase:slot:v1:{}:{}:{}:{}",
        slot.practitioner,
        room,
        visit.id,
        slot.start.timestamp_micros()
    );
    let digest = Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let id: Uuid = Builder::from_custom_bytes(bytes).into_uuid();
    id.to_string()
}

/// A free slot as a FHIR Slot: deterministic id ([`slot_id`]), schedule
/// `Schedule/<practitioner id>`, status `free`, start, end, and the visit
/// type's code and name as `appointmentType`.
pub fn slot_to_fhir(slot: &Slot, visit: &VisitType) -> Value {
    let mut extra = Object::new();
    extra.insert(
        "appointmentType".into(),
        json!({"coding": [{"code": visit.code, "display": visit.name}]}),
    );
    FhirSlot {
        id: Some(slot_id(slot, visit)),
        schedule: FhirReference::to(format!("Schedule/{}", slot.practitioner)),
        status: FhirSlotStatus::Free,
        start: slot.start,
        end: slot.end,
        overbooked: None,
        comment: None,
        extra,
    }
    .to_fhir()
}

/// One page of free slots as a FHIR `searchset` Bundle of Slots; the next
/// page's cursor is the `next` link `?cursor=<cursor>`.
pub fn slots_bundle(page: &SlotPage, visit: &VisitType) -> Value {
    let mut bundle = json!({"resourceType": "Bundle", "type": "searchset"});
    if let (Some(cursor), Some(obj)) = (&page.next_cursor, bundle.as_object_mut()) {
        obj.insert(
            "link".into(),
            json!([{"relation": "next", "url": format!("?cursor={cursor}")}]),
        );
    }
    let entries: Vec<Value> = page
        .slots
        .iter()
        .map(|slot| {
            json!({
                "fullUrl": format!("urn:uuid:{}", slot_id(slot, visit)),
                "resource": slot_to_fhir(slot, visit),
                "search": {"mode": "match"},
            })
        })
        .collect();
    if let (false, Some(obj)) = (entries.is_empty(), bundle.as_object_mut()) {
        obj.insert("entry".into(), Value::Array(entries));
    }
    bundle
}
