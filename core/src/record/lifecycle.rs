//! What a host hands in to write the record, and each kind's life cycle:
//! which status may follow which, written once here so every path (a
//! status change, an amendment, an encounter finished from its appointment)
//! asks the same table.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{
    EncounterStatus, EntryBody, ObservationStatus, PrescriptionStatus, ProcedureStatus,
    ReportStatus,
};
use crate::ids::EntryId;
use crate::{Error, FieldError, Result};

/// How far ahead of the clinic's clock an effective time may be: device
/// clocks drift, a measurement is never in the future. Only a `planned`
/// encounter may lie further ahead (it is a booking of clinical time).
pub const CLOCK_SKEW_SECONDS: i64 = 300;

/// A new clinical entry, as a host hands it in: the clinic fills in the
/// id, version, author and times of writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// The clinical time (measured, started, performed, given, noted).
    pub effective_at: DateTime<Utc>,
    /// The encounter of the same patient it belongs to.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub encounter: Option<EntryId>,
    /// The typed content.
    pub body: EntryBody,
}

/// The problems of an effective time against the clinic's clock `now`
/// (on `field`): later than [`CLOCK_SKEW_SECONDS`] ahead is refused unless
/// the body is a planned encounter.
pub fn effective_time_problems(
    field: &str,
    effective_at: DateTime<Utc>,
    body: &EntryBody,
    now: DateTime<Utc>,
) -> Vec<FieldError> {
    let planned = matches!(body, EntryBody::Encounter(e) if e.status == EncounterStatus::Planned);
    if planned || effective_at <= now + Duration::seconds(CLOCK_SKEW_SECONDS) {
        return Vec::new();
    }
    vec![FieldError::new(
        field,
        "in_future",
        format!("must not be more than {CLOCK_SKEW_SECONDS} seconds ahead of the clinic's clock"),
    )]
}

/// Whether a kind's status may move from `from` to `to` (both codes of the
/// body's kind). A kind without a life cycle (notes, documents) has no
/// moves; conditions and allergies move freely between their statuses.
/// An encounter finishes only from `in-progress` (so `encounter.started`
/// always comes before `encounter.finished`) and is cancelled only before
/// it started (FHIR: "ended before it has begun").
fn may_move(body: &EntryBody, from: &str, to: &str) -> bool {
    use EncounterStatus as E;
    use ObservationStatus as O;
    use PrescriptionStatus as P;
    use ProcedureStatus as Pr;
    use ReportStatus as R;
    if from == to {
        return false;
    }
    match body {
        EntryBody::Encounter(_) => matches!(
            (E::parse(from), E::parse(to)),
            (
                Some(E::Planned),
                Some(E::Arrived | E::InProgress | E::Cancelled)
            ) | (Some(E::Arrived), Some(E::InProgress | E::Cancelled))
                | (Some(E::InProgress), Some(E::Finished))
        ),
        EntryBody::Observation(_) => matches!(
            (O::parse(from), O::parse(to)),
            (
                Some(O::Registered),
                Some(O::Preliminary | O::Final | O::Cancelled)
            ) | (Some(O::Preliminary), Some(O::Final | O::Cancelled))
                | (Some(O::Final), Some(O::Amended))
        ),
        EntryBody::DiagnosticReport(_) => matches!(
            (R::parse(from), R::parse(to)),
            (Some(R::Preliminary), Some(R::Final | R::Cancelled))
                | (Some(R::Final), Some(R::Amended))
        ),
        EntryBody::Prescription(_) => matches!(
            (P::parse(from), P::parse(to)),
            (
                Some(P::Active),
                Some(P::OnHold | P::Completed | P::Stopped | P::Cancelled)
            ) | (Some(P::OnHold), Some(P::Active | P::Stopped | P::Cancelled))
        ),
        EntryBody::Procedure(_) => matches!(
            (Pr::parse(from), Pr::parse(to)),
            (
                Some(Pr::Preparation),
                Some(Pr::InProgress | Pr::Completed | Pr::NotDone)
            ) | (Some(Pr::InProgress), Some(Pr::Completed | Pr::Stopped))
        ),
        EntryBody::Condition(_) | EntryBody::Allergy(_) => true,
        EntryBody::Immunization(_) | EntryBody::Note(_) | EntryBody::Document(_) => false,
    }
}

/// `body` moved to the status `to` (a code of its kind), with what the
/// move implies (an encounter's start or end time at `at` when it has
/// none). An unknown code is `validation` on `status`; a move the life
/// cycle does not allow is `conflict` `invalid_state`.
pub fn moved(body: &EntryBody, to: &str, at: DateTime<Utc>) -> Result<EntryBody> {
    let mut next = body.clone();
    let known = match &mut next {
        EntryBody::Encounter(e) => EncounterStatus::parse(to).map(|s| {
            e.status = s;
            if matches!(s, EncounterStatus::Arrived | EncounterStatus::InProgress) {
                e.started_at.get_or_insert(at);
            }
            if s == EncounterStatus::Finished {
                e.started_at.get_or_insert(at);
                e.ended_at.get_or_insert(at);
            }
        }),
        EntryBody::Observation(o) => ObservationStatus::parse(to).map(|s| o.status = s),
        EntryBody::DiagnosticReport(r) => ReportStatus::parse(to).map(|s| r.status = s),
        EntryBody::Condition(c) => super::ConditionStatus::parse(to).map(|s| c.clinical_status = s),
        EntryBody::Allergy(a) => super::AllergyStatus::parse(to).map(|s| a.clinical_status = s),
        EntryBody::Prescription(p) => PrescriptionStatus::parse(to).map(|s| p.status = s),
        EntryBody::Procedure(p) => ProcedureStatus::parse(to).map(|s| p.status = s),
        EntryBody::Immunization(i) => super::ImmunizationStatus::parse(to).map(|s| i.status = s),
        EntryBody::Note(_) | EntryBody::Document(_) => None,
    };
    if known.is_none() {
        return Err(Error::invalid(
            "status",
            "unknown_code",
            format!("not a status of a {} entry", body.kind()),
        ));
    }
    let from = body.status();
    if !may_move(body, from, to) {
        return Err(Error::invalid_state(
            "entry",
            &format!("cannot move from {from} to {to}"),
        ));
    }
    Ok(next)
}

/// The body an amendment stores: `amended` replaces `final` for an
/// observation or report that was already final (FHIR's meaning of
/// `amended`: changed after it was final). Everything else as given.
pub fn amended_body(previous: &EntryBody, mut body: EntryBody) -> EntryBody {
    match (previous, &mut body) {
        (EntryBody::Observation(was), EntryBody::Observation(now))
            if matches!(
                was.status,
                ObservationStatus::Final | ObservationStatus::Amended
            ) && now.status == ObservationStatus::Final =>
        {
            now.status = ObservationStatus::Amended;
        }
        (EntryBody::DiagnosticReport(was), EntryBody::DiagnosticReport(now))
            if matches!(was.status, ReportStatus::Final | ReportStatus::Amended)
                && now.status == ReportStatus::Final =>
        {
            now.status = ReportStatus::Amended;
        }
        _ => {}
    }
    body
}
