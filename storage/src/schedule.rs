//! What both SQL backends share about scheduling rows: the bound that keeps
//! overlap queries on an index range, the JSON remainder of an appointment
//! row, the text forms of the enums, and the practitioner cache.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use carebase::limits::MAX_DOCUMENT_DEPTH;
use carebase::schedule::validate::MAX_BLOCK_MINUTES;
use carebase::schedule::{Appointment, Cancellation, Practitioner, Reschedule, ResourceKind};
use carebase::{EntryId, Error, PractitionerId, Result, SeriesId};

/// The longest span (blocked or visit time) a stored appointment may have.
/// Overlap queries use it as a lower bound (`blocked_from > from − LOOKBACK`),
/// so they read an index range instead of a resource's whole history.
pub(crate) const LOOKBACK_HOURS: i64 = 48;

// Core never builds a longer block (visit plus buffers fit in a day).
const _: () = assert!((MAX_BLOCK_MINUTES as i64) <= LOOKBACK_HOURS * 60);

/// The lookback as a duration.
pub(crate) fn lookback() -> Duration {
    Duration::hours(LOOKBACK_HOURS)
}

/// `at − LOOKBACK`, saturating at the earliest instant.
pub(crate) fn lower_bound(at: DateTime<Utc>) -> DateTime<Utc> {
    at.checked_sub_signed(lookback())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Refuses an appointment the overlap queries could miss: a span longer
/// than [`LOOKBACK_HOURS`] or one that ends before it starts. Core's
/// validation never produces one; this guards the index bound.
pub(crate) fn check_spans(a: &Appointment) -> Result<()> {
    let fits = |from: DateTime<Utc>, until: DateTime<Utc>| {
        from <= until && until.signed_duration_since(from) <= lookback()
    };
    if fits(a.blocked_from, a.blocked_until) && fits(a.start, a.end) {
        Ok(())
    } else {
        Err(Error::invalid(
            "end",
            "out_of_range",
            format!(
                "an appointment must not end before it starts nor block more than {LOOKBACK_HOURS} hours"
            ),
        ))
    }
}

/// The part of an appointment stored as one JSON text column (`details`):
/// everything no query filters on.
#[derive(Serialize)]
struct DetailsOut<'a> {
    series: &'a Option<SeriesId>,
    cancellation: &'a Option<Cancellation>,
    reschedules: &'a [Reschedule],
    note: &'a Option<String>,
    fhir_extra: &'a Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encounter: &'a Option<EntryId>,
}

/// The decoded `details` column.
#[derive(Deserialize)]
pub(crate) struct AppointmentDetails {
    #[serde(default)]
    pub series: Option<SeriesId>,
    #[serde(default)]
    pub cancellation: Option<Cancellation>,
    #[serde(default)]
    pub reschedules: Vec<Reschedule>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub fhir_extra: Option<Value>,
    /// The check-in's encounter (absent in rows written before it existed).
    #[serde(default)]
    pub encounter: Option<EntryId>,
}

/// Levels of JSON the `details` column puts around an imported FHIR
/// resource: the details object, then `fhir_extra`, whose `resource` member
/// is the resource's own top level (see `carebase::schedule::fhir`).
pub(crate) const STORED_WRAPPING_DEPTH: usize = 2;

/// The deepest JSON [`parse_details`] decodes: one level under serde_json's
/// recursion limit of 128 (pinned by a test below).
pub(crate) const DECODED_DEPTH: usize = 127;

// What core accepts, the store can read back: the deepest document an import
// admits, as stored, stays below what the decoder reads (defect: an import
// nested 124 deep committed, then every read of it failed).
const _: () = assert!(STORED_WRAPPING_DEPTH + MAX_DOCUMENT_DEPTH <= DECODED_DEPTH);

/// The `details` JSON of an appointment.
pub(crate) fn details_json(a: &Appointment) -> Result<String> {
    serde_json::to_string(&DetailsOut {
        series: &a.series,
        cancellation: &a.cancellation,
        reschedules: &a.reschedules,
        note: &a.note,
        fhir_extra: &a.fhir_extra,
        encounter: &a.encounter,
    })
    .map_err(|_| crate::failure::unencodable("sql", "appointment details"))
}

/// The inverse of [`details_json`].
pub(crate) fn parse_details(text: &str) -> Result<AppointmentDetails> {
    serde_json::from_str(text).map_err(|_| corrupt("appointment details"))
}

/// A stored value could not be decoded (same wording as the backends').
pub(crate) fn corrupt(what: &'static str) -> Error {
    crate::failure::corrupt("sql", what)
}

/// A stored resource kind (written as [`ResourceKind::as_str`]).
pub(crate) fn parse_kind(text: &str) -> Result<ResourceKind> {
    ResourceKind::parse(text).ok_or_else(|| corrupt("resource kind"))
}

/// A stored minutes/count column back to the `u32` it was written from.
pub(crate) fn to_u32(value: i64, what: &'static str) -> Result<u32> {
    u32::try_from(value).map_err(|_| corrupt(what))
}

/// The entity names of versioned-write errors.
pub(crate) const PRACTITIONER: &str = "practitioner";
/// See [`PRACTITIONER`].
pub(crate) const RESOURCE: &str = "resource";
/// See [`PRACTITIONER`].
pub(crate) const VISIT_TYPE: &str = "visit type";
/// See [`PRACTITIONER`].
pub(crate) const APPOINTMENT: &str = "appointment";
/// See [`PRACTITIONER`].
pub(crate) const REMINDER: &str = "reminder";

/// A stored reminder: offset, due time, sent mark.
pub(crate) type StoredReminder = (u32, DateTime<Utc>, Option<DateTime<Utc>>);

/// Which stored reminder keeps its sent mark: the one with the same offset
/// and due time (the reference store's rule). Returns the sent mark to
/// store for `(offset, due_at, given)` against the rows stored before.
pub(crate) fn kept_sent_at(
    previous: &[StoredReminder],
    offset: u32,
    due_at: DateTime<Utc>,
    given: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    previous
        .iter()
        .find(|(o, d, _)| *o == offset && *d == due_at)
        .map_or(given, |(_, _, sent)| *sent)
}

/// The statements of a versioned write with one bind order for both: the
/// id is parameter 1, `columns` follow from 2, and an update's expected
/// version is the last parameter. `mark` is the placeholder sigil (`?` for
/// SQLite, `$` for PostgreSQL); `key` is the id column.
pub(crate) fn write_sql(
    table: &str,
    key: &str,
    columns: &[&str],
    update: bool,
    mark: char,
) -> String {
    if update {
        let set: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = {mark}{}", i + 2))
            .collect();
        format!(
            "UPDATE {table} SET {} WHERE {key} = {mark}1 AND version = {mark}{}",
            set.join(", "),
            columns.len() + 2
        )
    } else {
        let values: Vec<String> = (1..=columns.len() + 1)
            .map(|i| format!("{mark}{i}"))
            .collect();
        format!(
            "INSERT INTO {table} ({key}, {}) VALUES ({})",
            columns.join(", "),
            values.join(", ")
        )
    }
}

/// The record of a versioned write and the version it expects (`None` for
/// an insert).
pub(crate) fn split<T>(write: carebase::store::Versioned<T>) -> (T, Option<u64>) {
    match write {
        carebase::store::Versioned::Insert(v) => (v, None),
        carebase::store::Versioned::Update {
            value,
            expected_version,
        } => (value, Some(expected_version)),
    }
}

/// The columns of a practitioner row after its id, in bind order.
pub(crate) const PRACTITIONER_COLUMNS: [&str; 8] = [
    "version",
    "name",
    "time_zone",
    "availability",
    "active",
    "created_at",
    "updated_at",
    "fhir_extra",
];

/// The columns of a resource row after its id, in bind order.
pub(crate) const RESOURCE_COLUMNS: [&str; 5] = ["version", "kind", "name", "time_zone", "active"];

/// The columns of a visit type row after its id, in bind order.
pub(crate) const VISIT_TYPE_COLUMNS: [&str; 10] = [
    "version",
    "code",
    "name",
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "horizon_days",
    "max_per_day",
    "reminder_offsets_minutes",
];

/// The columns of an appointment row after its id, in bind order.
pub(crate) const APPOINTMENT_COLUMNS: [&str; 15] = [
    "patient_id",
    "practitioner_id",
    "room_id",
    "visit_type_id",
    "status",
    "active",
    "start_at",
    "end_at",
    "blocked_from",
    "blocked_until",
    "version",
    "booked_by",
    "created_at",
    "updated_at",
    "details",
];

/// Practitioners as last read, by id. A slot search reads every
/// practitioner it searches, and parsing their availability documents cost
/// more than the rest of that read; the store reads only `(id, version)`
/// pairs while nothing changed. Sound because a practitioner's version
/// grows with every write (`Versioned::Update` stores `expected + 1`), in
/// this process or any other sharing the database.
#[derive(Default)]
pub(crate) struct PractitionerCache {
    entries: Mutex<HashMap<PractitionerId, Practitioner>>,
}

impl PractitionerCache {
    /// The practitioners of `versions` (id and stored version, in order),
    /// if every one is cached at that version.
    pub(crate) fn lookup(&self, versions: &[(PractitionerId, u64)]) -> Option<Vec<Practitioner>> {
        let entries = self.entries.lock().ok()?;
        versions
            .iter()
            .map(|(id, version)| entries.get(id).filter(|p| p.version == *version).cloned())
            .collect()
    }

    /// Remembers `all`, as one read returned them, in place of what was cached.
    pub(crate) fn remember(&self, all: &[Practitioner]) {
        if let Ok(mut entries) = self.entries.lock() {
            *entries = all.iter().map(|p| (p.id, p.clone())).collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use carebase::conformance::largest_fhir_appointment;
    use carebase::schedule::fhir::{appointment_from_fhir, FhirRefs};
    use carebase::schedule::AppointmentStatus;
    use carebase::{ActorId, AppointmentId, PatientId, PractitionerId, VisitTypeId};

    use super::*;
    use carebase::Count64;

    /// Deepest nesting of a JSON text (brackets outside strings).
    fn depth(text: &str) -> usize {
        let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
        for c in text.chars() {
            match (in_string, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (true, false, '"') | (false, _, '"') => in_string = !in_string,
                (false, _, '[' | '{') => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                (false, _, ']' | '}') => depth -= 1,
                _ => {}
            }
        }
        deepest
    }

    #[test]
    fn details_written_before_the_encounter_link_read_back_without_one() {
        let old =
            r#"{"series":null,"cancellation":null,"reschedules":[],"note":null,"fhir_extra":null}"#;
        assert_eq!(parse_details(old).map(|d| d.encounter).ok(), Some(None));
    }

    #[test]
    fn serde_json_decodes_exactly_the_depth_the_store_assumes() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(serde_json::from_str::<Value>(&nested(DECODED_DEPTH)).is_ok());
        assert!(serde_json::from_str::<Value>(&nested(DECODED_DEPTH + 1)).is_err());
    }

    #[test]
    fn the_deepest_accepted_import_is_stored_within_what_is_decoded() {
        let (patient, practitioner) = (PatientId::new(), PractitionerId::new());
        let start = Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0).single().unwrap();
        let end = start + Duration::minutes(30);
        let resource = largest_fhir_appointment(patient, practitioner, start, end, 0);
        let imported = appointment_from_fhir(&resource, &FhirRefs::new()).unwrap();
        let appointment = Appointment {
            id: AppointmentId::new(),
            version: Count64::new(1),
            patient,
            practitioner,
            room: None,
            visit_type: VisitTypeId::new(),
            status: AppointmentStatus::Booked,
            start,
            end,
            blocked_from: start,
            blocked_until: end,
            series: None,
            cancellation: None,
            reschedules: Vec::new(),
            reminders: Vec::new(),
            note: None,
            fhir_extra: Some(imported.fhir_extra.clone()),
            encounter: None,
            booked_by: ActorId::new(),
            created_at: start,
            updated_at: start,
        };
        let text = details_json(&appointment).unwrap();
        assert_eq!(depth(&text), STORED_WRAPPING_DEPTH + MAX_DOCUMENT_DEPTH);
        let details = parse_details(&text).unwrap();
        assert_eq!(details.fhir_extra, Some(imported.fhir_extra));
    }
}
