//! The one typed error hosts see: Kotlin `CarebaseException.<Case>`, Swift
//! `CarebaseError.<case>`. Built from core's [`carebase::Error`] in ONE place
//! (`From` below); nothing else in this crate constructs it.

use crate::types::{ConflictDetail, DenyReason, FieldError, StorageKind};

/// Every failure carebase reports, one case per stable core code.
/// Messages never carry patient data.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CarebaseError {
    /// `validation`: input broke one or more rules; `fields` lists ALL of them.
    #[error("validation failed on {} field(s)", fields.len())]
    Validation {
        /// Every failing field.
        fields: Vec<FieldError>,
    },
    /// `not_found`: the entity does not exist (or may not be known to exist).
    #[error("{entity} not found")]
    NotFound {
        /// Entity kind, e.g. `patient`.
        entity: String,
        /// The input field that referred to it, when the operation would
        /// have stored the reference (e.g. `practitioner`).
        field: Option<String>,
    },
    /// `conflict`: the change lost against current state; nothing was written.
    #[error("conflict")]
    Conflict {
        /// What conflicted.
        detail: ConflictDetail,
    },
    /// `double_booking`: the practitioner, room or patient already has an
    /// active appointment overlapping the requested time; nothing was written.
    #[error("double booking: {resource} already booked")]
    DoubleBooking {
        /// What is taken: `practitioner`, `room` or `patient`.
        resource: String,
        /// The conflicting appointment's id; `null`/`nil` when the actor may
        /// not read it (another patient's booking: only that the time is taken).
        appointment: Option<String>,
    },
    /// `forbidden`: the access policy denied the request.
    #[error("forbidden: {}", reason.summary)]
    Forbidden {
        /// Why: the permission and each rule considered.
        reason: DenyReason,
    },
    /// `invalid_policy`: a policy document could not be loaded.
    #[error("invalid policy at {location}: {problem}")]
    InvalidPolicy {
        /// `line L, column C` and/or a field path.
        location: String,
        /// What is wrong.
        problem: String,
    },
    /// `unsupported_store`: the store URL names no supported backend.
    #[error("unsupported store url scheme {scheme}")]
    UnsupportedStore {
        /// The scheme that was given.
        scheme: String,
    },
    /// `storage`: the backend failed; nothing was written.
    #[error("storage error: {description}")]
    Storage {
        /// What a host can do about it: retry, wait for the server,
        /// restore a backup, upgrade carebase.
        kind: StorageKind,
        /// Backend message, scrubbed of values.
        description: String,
    },
    /// A code this binding does not know yet (a newer core); `code` is stable.
    #[error("{code}: {description}")]
    Other {
        /// The core error code.
        code: String,
        /// The core message (never patient data).
        description: String,
    },
}

impl From<carebase::Error> for CarebaseError {
    fn from(err: carebase::Error) -> Self {
        use carebase::Error as E;
        match err {
            E::Validation { fields } => Self::Validation {
                fields: fields.into_iter().map(Into::into).collect(),
            },
            E::NotFound { entity, field } => Self::NotFound { entity, field },
            E::Conflict { detail } => Self::Conflict {
                detail: detail.into(),
            },
            E::DoubleBooking {
                resource,
                appointment,
            } => Self::DoubleBooking {
                resource,
                appointment: appointment.map(|a| a.to_string()),
            },
            E::Forbidden { reason } => Self::Forbidden {
                reason: reason.into(),
            },
            E::InvalidPolicy { location, message } => Self::InvalidPolicy {
                location,
                problem: message,
            },
            E::UnsupportedStore { scheme } => Self::UnsupportedStore { scheme },
            E::Storage { kind, message } => Self::Storage {
                kind: kind.into(),
                description: message,
            },
            other => Self::Other {
                code: other.code().to_owned(),
                description: other.to_string(),
            },
        }
    }
}

/// Result of every exported call.
pub type Result<T, E = CarebaseError> = std::result::Result<T, E>;
