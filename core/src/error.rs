//! One error type for the whole public surface, with stable machine codes.
//!
//! Hosts switch on [`Error::code`], never on message text. Messages are
//! lowercase and never carry patient data (names, dates, contacts, values).

use crate::Count64;
use std::fmt;

use serde::Serialize;

use crate::codes::code_enum;
use crate::ids::{AppointmentId, EntryId};
use crate::limits::{MAX_FIELD_ERRORS, TOO_MANY_ERRORS};
use crate::policy::DenyReason;

/// Result alias used across carebase.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One failing input field: where it is and what rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Display))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldError {
    /// Path of the field, e.g. `names[0].family`.
    pub field: String,
    /// Stable rule code, e.g. `required`, `too_long`, `invalid_format`.
    pub code: String,
    /// Human-readable explanation without the offending value.
    pub message: String,
}

/// One item of a batch that was refused: the typed error for THAT item,
/// as data a host can keep in a list next to the items that succeeded (an
/// exception cannot sit in a list on every host). The same codes, fields
/// and serialized form as the error the single operation raises.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["code", "message", "fields"])))]
pub struct Refusal {
    /// The error's stable code ([`Error::code`]), e.g. `validation`.
    pub code: String,
    /// The error's message (lowercase, never patient data).
    pub message: String,
    /// Every failing field of a `validation` error; empty otherwise.
    pub fields: Vec<FieldError>,
    /// The whole error in its serialized form ([`Error::to_json`]): the
    /// code, the message and the variant's details (e.g. a conflict's).
    pub error: serde_json::Value,
}

impl From<&Error> for Refusal {
    fn from(error: &Error) -> Self {
        let fields = match error {
            Error::Validation { fields } => fields.clone(),
            _ => Vec::new(),
        };
        let form = serde_json::from_str(&error.to_json())
            .unwrap_or_else(|_| serde_json::json!({ "code": error.code() }));
        Self {
            code: error.code().to_owned(),
            message: error.to_string(),
            fields,
            error: form,
        }
    }
}

impl fmt::Display for FieldError {
    /// `names[0].family (required): must not be blank`: where, which rule,
    /// what it asks (never the value).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.field, self.code, self.message)
    }
}

impl FieldError {
    /// Builds a field error; `message` must not contain the input value.
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Why a write lost against the current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum), uniffi::export(Display))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConflictDetail {
    /// The caller's expected version is not the stored one.
    StaleVersion {
        /// Entity kind, e.g. `patient`.
        entity: String,
        /// The version the caller expected.
        expected: Count64,
        /// The version found in the store.
        actual: Count64,
    },
    /// Another patient already holds this value in the identifier system.
    DuplicateIdentifier {
        /// The identifier system (a URI, never patient data).
        system: String,
    },
    /// The entity exists but is in a state that forbids the change.
    InvalidState {
        /// Entity kind, e.g. `merge`.
        entity: String,
        /// Which state rule was broken, e.g. `already undone`.
        rule: String,
    },
    /// The entity already exists (e.g. a care-team assignment).
    AlreadyExists {
        /// Entity kind.
        entity: String,
    },
}

impl fmt::Display for ConflictDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StaleVersion {
                entity,
                expected,
                actual,
            } => write!(
                f,
                "stale {entity} version: expected {expected}, found {actual}"
            ),
            Self::DuplicateIdentifier { system } => {
                write!(f, "identifier value already in use in system {system}")
            }
            Self::InvalidState { entity, rule } => write!(f, "{entity} {rule}"),
            Self::AlreadyExists { entity } => write!(f, "{entity} already exists"),
        }
    }
}

/// ` (field f)` after a not-found message, when a field is named.
fn at_field(field: &Option<String>) -> String {
    field
        .as_deref()
        .map(|f| format!(" (field {f})"))
        .unwrap_or_default()
}

/// ` by appointment <id>` after a double-booking message, when the actor may know it.
fn by_appointment(appointment: &Option<AppointmentId>) -> String {
    appointment
        .map(|a| format!(" by appointment {a}"))
        .unwrap_or_default()
}

/// How many failing fields a validation message names before "and N more".
const NAMED_FIELDS: usize = 5;

/// `a (code), b (code) and N more`: the failing fields and their codes,
/// never their values, so an error nobody catches still says what failed.
fn failing(fields: &[FieldError]) -> String {
    let mut text = String::new();
    for (i, f) in fields.iter().take(NAMED_FIELDS).enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        let field = if f.field.is_empty() {
            "(input)"
        } else {
            &f.field
        };
        text.push_str(&format!("{field} ({})", f.code));
    }
    if fields.len() > NAMED_FIELDS {
        text.push_str(&format!(" and {} more", fields.len() - NAMED_FIELDS));
    }
    text
}

/// Every failure carebase reports.
///
/// Its serde form is THE form hosts receive: `code` (= [`Error::code`]) and
/// the variant's details as snake_case fields, e.g.
/// `{"code": "not_found", "entity": "patient", "field": null}`;
/// [`Error::to_json`] adds the `message`. Bindings build their idiomatic
/// error from it generically (a class or case per `code`), never by
/// restating the variants.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Error),
    uniffi(name = "CarebaseError")
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Error {
    /// Input broke one or more rules; `fields` lists ALL of them.
    #[error("validation failed: {}", failing(fields))]
    Validation {
        /// Every failing field.
        fields: Vec<FieldError>,
    },
    /// The entity does not exist (or the actor may not know it exists).
    #[error("{entity} not found{}", at_field(field))]
    NotFound {
        /// Entity kind, e.g. `patient`.
        entity: String,
        /// The input field that referred to it (e.g. `practitioner`), when
        /// the operation would have stored the reference.
        field: Option<String>,
    },
    /// The change lost against current state; nothing was written.
    #[error("conflict: {detail}")]
    Conflict {
        /// What conflicted.
        detail: ConflictDetail,
    },
    /// The practitioner, room or patient already has an active appointment
    /// overlapping the requested time; nothing was written.
    #[error(
        "double booking: {resource} already booked{}",
        by_appointment(appointment)
    )]
    DoubleBooking {
        /// What is taken: the practitioner, the room or the patient.
        resource: BookedResource,
        /// The conflicting appointment (an id, never patient data); `None`
        /// when the actor may not read it (`appointment.read`): another
        /// patient's booking is not theirs to learn about, only that the
        /// time is taken.
        appointment: Option<AppointmentId>,
    },
    /// A prescription's medication meets standing allergies of the patient
    /// that the prescriber did not override (with a reason); nothing was
    /// written. Names the allergy entries, never the substance.
    #[error("allergy conflict: {} standing allergies to the medication", allergies.len())]
    AllergyConflict {
        /// The conflicting allergy entries of the patient's record.
        allergies: Vec<EntryId>,
    },
    /// The access policy denied the request.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Why: which rules were considered and why none allowed.
        reason: DenyReason,
    },
    /// A policy document could not be loaded.
    #[error("invalid policy at {location}: {problem}")]
    InvalidPolicy {
        /// `line L, column C` and/or a field path.
        location: String,
        /// What is wrong there.
        problem: String,
    },
    /// The store URL names no supported backend.
    #[error("unsupported store url scheme '{scheme}'")]
    UnsupportedStore {
        /// The scheme that was given (empty when the url has none).
        scheme: String,
    },
    /// The backend failed (I/O, database, corruption); nothing was written.
    #[error("storage error ({kind}): {problem}")]
    Storage {
        /// What kind of failure, so a host knows whether to retry, wait for
        /// the server, restore a backup or upgrade.
        kind: StorageKind,
        /// What the backend said, scrubbed of values.
        problem: String,
    },
}

code_enum! {
    /// What kind of storage failure happened: what a host can do about it.
    pub enum StorageKind {
        /// Lost a race the backend could not resolve (busy database,
        /// serialization failure, deadlock, no free connection in time):
        /// the same call may succeed if tried again. Nothing was written.
        Retryable = "retryable",
        /// The database server cannot be reached or went away.
        Unavailable = "unavailable",
        /// Stored data cannot be read (a damaged file, a row that does not
        /// decode): restore from a backup.
        Corrupt = "corrupt",
        /// The database was written by a newer carebase: upgrade the library.
        SchemaTooNew = "schema_too_new",
        /// The store was closed.
        Closed = "closed",
        /// Anything else (a bug, a misconfiguration): see the message.
        Other = "other",
    }
}

code_enum! {
    /// What a double booking found taken: a closed set, so every host gets
    /// a typed value (Python `BookedResource`, TypeScript a string union,
    /// Kotlin/Swift an enum) instead of text to compare.
    pub enum BookedResource {
        /// The practitioner already sees someone then.
        Practitioner = "practitioner",
        /// The room is already in use then.
        Room = "room",
        /// The patient is already booked elsewhere then.
        Patient = "patient",
    }
}

/// [`Error`] under its Kotlin/Swift name, so the methods exported for it
/// attach to that type (uniffi finds a type's methods by the name of the
/// `impl`'s type).
#[cfg(feature = "uniffi")]
pub type CarebaseError = Error;

#[cfg(feature = "uniffi")]
#[uniffi::export]
impl CarebaseError {
    /// The stable machine code hosts switch on: `validation`, `not_found`,
    /// `conflict`, `double_booking`, `allergy_conflict`, `forbidden`, `invalid_policy`,
    /// `unsupported_store` or `storage`.
    #[uniffi::method(name = "code")]
    pub fn foreign_code(&self) -> String {
        self.code().to_owned()
    }

    /// What failed, naming the failing fields (never their values): the
    /// message every host shows (Kotlin's `message`, Swift's
    /// `errorDescription` and `description`).
    #[uniffi::method(name = "describe")]
    pub fn foreign_message(&self) -> String {
        self.to_string()
    }
}

impl Error {
    /// The stable machine code hosts switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "validation",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::DoubleBooking { .. } => "double_booking",
            Self::AllergyConflict { .. } => "allergy_conflict",
            Self::Forbidden { .. } => "forbidden",
            Self::InvalidPolicy { .. } => "invalid_policy",
            Self::UnsupportedStore { .. } => "unsupported_store",
            Self::Storage { .. } => "storage",
        }
    }

    /// Validation error with every failing field, capped: past
    /// [`MAX_FIELD_ERRORS`] the rest are dropped and one last entry (field
    /// `""`, code [`TOO_MANY_ERRORS`]) says so, so a hostile input cannot
    /// make a huge error. The one place a validation error is built from a
    /// collected list; joining two capped lists keeps a single marker.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let total = fields.len();
        let mut fields: Vec<FieldError> = fields
            .into_iter()
            .filter(|f| f.code != TOO_MANY_ERRORS)
            .collect();
        if fields.len() < total || fields.len() > MAX_FIELD_ERRORS {
            fields.truncate(MAX_FIELD_ERRORS);
            fields.push(FieldError::new(
                "",
                TOO_MANY_ERRORS,
                format!("more than {MAX_FIELD_ERRORS} field errors; the rest are not listed"),
            ));
        }
        Self::Validation { fields }
    }

    /// Validation error for a single field.
    pub fn invalid(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            fields: vec![FieldError::new(field, code, message)],
        }
    }

    /// Not-found error for an entity kind.
    pub fn not_found(entity: &str) -> Self {
        Self::NotFound {
            entity: entity.to_owned(),
            field: None,
        }
    }

    /// Not-found error for a reference an operation would store: `field`
    /// named the `entity` that does not exist.
    pub fn missing(entity: &str, field: &str) -> Self {
        Self::NotFound {
            entity: entity.to_owned(),
            field: Some(field.to_owned()),
        }
    }

    /// Conflict on a stale version.
    pub fn stale(entity: &str, expected: u64, actual: u64) -> Self {
        Self::Conflict {
            detail: ConflictDetail::StaleVersion {
                entity: entity.to_owned(),
                expected: Count64::new(expected),
                actual: Count64::new(actual),
            },
        }
    }

    /// Conflict on an entity state rule.
    pub fn invalid_state(entity: &str, rule: &str) -> Self {
        Self::Conflict {
            detail: ConflictDetail::InvalidState {
                entity: entity.to_owned(),
                rule: rule.to_owned(),
            },
        }
    }

    /// The `resource` is taken by `appointment`.
    pub fn double_booking(resource: BookedResource, appointment: AppointmentId) -> Self {
        Self::DoubleBooking {
            resource,
            appointment: Some(appointment),
        }
    }

    /// Storage failure of no particular kind; `message` must not contain
    /// patient data.
    pub fn storage(message: impl Into<String>) -> Self {
        Self::storage_of(StorageKind::Other, message)
    }

    /// Storage failure of a `kind` a host can act on; `message` must not
    /// contain patient data.
    pub fn storage_of(kind: StorageKind, message: impl Into<String>) -> Self {
        Self::Storage {
            kind,
            problem: message.into(),
        }
    }

    /// The error as every host receives it: the serde form (`code` and the
    /// details) plus `message`, the `Display` text. JSON text, built here
    /// once so no binding restates a variant.
    pub fn to_json(&self) -> String {
        let mut form = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(form)) => form,
            // Unreachable (every detail is plain data); the code still goes.
            _ => serde_json::Map::from_iter([("code".to_owned(), self.code().into())]),
        };
        form.insert("message".to_owned(), self.to_string().into());
        serde_json::Value::Object(form).to_string()
    }

    /// Whether trying the same call again may succeed (a storage failure of
    /// kind [`StorageKind::Retryable`]).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Storage {
                kind: StorageKind::Retryable,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn errors(n: usize) -> Vec<FieldError> {
        (0..n)
            .map(|i| FieldError::new(format!("f[{i}]"), "required", "must not be blank"))
            .collect()
    }

    fn fields(err: Error) -> Vec<FieldError> {
        match err {
            Error::Validation { fields } => fields,
            _ => Vec::new(),
        }
    }

    /// One error of every variant (the match makes a new variant a compile
    /// error here until it has an example).
    fn one_of_each() -> Vec<Error> {
        let all = vec![
            Error::invalid("names[0].family", "required", "is required"),
            Error::missing("practitioner", "practitioner"),
            Error::stale("patient", 1, 2),
            Error::double_booking(BookedResource::Room, AppointmentId::new()),
            Error::AllergyConflict {
                allergies: vec![EntryId::new()],
            },
            Error::Forbidden {
                reason: DenyReason {
                    permission: crate::policy::Permission::AuditRead,
                    steps: Vec::new(),
                    fields: Vec::new(),
                },
            },
            Error::InvalidPolicy {
                location: "line 1, column 2".to_owned(),
                problem: "unknown role".to_owned(),
            },
            Error::UnsupportedStore {
                scheme: "mysql".to_owned(),
            },
            Error::storage_of(StorageKind::Retryable, "database is locked"),
        ];
        for e in &all {
            match e {
                Error::Validation { .. }
                | Error::NotFound { .. }
                | Error::Conflict { .. }
                | Error::DoubleBooking { .. }
                | Error::AllergyConflict { .. }
                | Error::Forbidden { .. }
                | Error::InvalidPolicy { .. }
                | Error::UnsupportedStore { .. }
                | Error::Storage { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_error_serializes_with_its_code_as_the_tag() {
        for e in one_of_each() {
            let form = serde_json::to_value(&e).unwrap_or_default();
            assert_eq!(form["code"], e.code(), "{e:?}");
        }
    }

    #[test]
    fn the_host_form_adds_the_message_to_the_details() {
        let e = Error::missing("practitioner", "room");
        let form: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap_or_default();
        assert_eq!(
            form,
            serde_json::json!({
                "code": "not_found",
                "entity": "practitioner",
                "field": "room",
                "message": "practitioner not found (field room)",
            })
        );
        let e = Error::storage_of(StorageKind::SchemaTooNew, "written by version 9");
        let form: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap_or_default();
        assert_eq!(form["kind"], "schema_too_new");
        assert_eq!(form["problem"], "written by version 9");
        let conflict: serde_json::Value =
            serde_json::from_str(&Error::stale("patient", 1, 2).to_json()).unwrap_or_default();
        assert_eq!(conflict["detail"]["kind"], "stale_version");
    }

    #[test]
    fn a_validation_message_names_the_failing_fields_and_codes() {
        let e = Error::validation(vec![
            FieldError::new("names[0].family", "required", "is required"),
            FieldError::new("birth_date", "in_future", "must not be in the future"),
        ]);
        assert_eq!(
            e.to_string(),
            "validation failed: names[0].family (required), birth_date (in_future)"
        );
    }

    #[test]
    fn a_long_validation_message_names_five_fields_and_counts_the_rest() {
        let e = Error::validation(errors(8));
        assert_eq!(
            e.to_string(),
            "validation failed: f[0] (required), f[1] (required), f[2] (required), \
             f[3] (required), f[4] (required) and 3 more"
        );
        let capped = Error::validation(errors(150)).to_string();
        assert!(capped.ends_with("and 96 more"), "{capped}");
    }

    #[test]
    fn joining_two_capped_lists_keeps_one_marker_at_the_end() {
        let mut joined = fields(Error::validation(errors(150)));
        joined.extend(fields(Error::validation(errors(150))));
        let capped = fields(Error::validation(joined));
        assert_eq!(capped.len(), MAX_FIELD_ERRORS + 1);
        let markers = capped.iter().filter(|f| f.code == TOO_MANY_ERRORS).count();
        assert_eq!(markers, 1);
        assert_eq!(capped[MAX_FIELD_ERRORS].code, TOO_MANY_ERRORS);
    }

    proptest! {
        #[test]
        fn a_validation_error_keeps_the_first_hundred_and_marks_only_what_it_dropped(
            n in 0usize..400,
        ) {
            let found = fields(Error::validation(errors(n)));
            prop_assert_eq!(found.len(), n.min(MAX_FIELD_ERRORS) + usize::from(n > MAX_FIELD_ERRORS));
            prop_assert_eq!(&found[..n.min(MAX_FIELD_ERRORS)], &errors(n)[..n.min(MAX_FIELD_ERRORS)]);
            prop_assert_eq!(found.last().is_some_and(|f| f.code == TOO_MANY_ERRORS), n > MAX_FIELD_ERRORS);
        }
    }
}
