//! The ONE place a carebase error becomes a JavaScript rejection.
//!
//! The native error's message is [`MARKER`] followed by a JSON object
//! `{ code, message, ...details }`; `index.js` (`toJsError`) parses it and
//! throws an `Error` whose `.code` is the stable core code and whose details
//! (`fields`, `reason`, `location`, `detail`, `entity`, `field`, `scheme`,
//! `resource`, `appointment` and a storage failure's `kind`) are
//! properties; an optional detail core leaves empty is absent.

use carebase as cb;
use napi::Status;
use serde_json::{json, Value};

/// Prefix that tells `index.js` the message is a structured carebase error.
pub const MARKER: &str = "carebase-error:";

/// Converts a core error into the structured napi error.
pub fn to_js(err: cb::Error) -> napi::Error {
    let mut body = json!({ "code": err.code(), "message": err.to_string() });
    let details: Vec<(&str, Value)> = match &err {
        cb::Error::Validation { fields } => vec![("fields", json!(fields))],
        cb::Error::Forbidden { reason } => vec![("reason", json!(reason))],
        cb::Error::InvalidPolicy { location, .. } => vec![("location", json!(location))],
        cb::Error::Conflict { detail } => vec![("detail", json!(detail))],
        cb::Error::NotFound { entity, field } => {
            let mut details = vec![("entity", json!(entity))];
            details.extend(field.as_ref().map(|f| ("field", json!(f))));
            details
        }
        cb::Error::UnsupportedStore { scheme } => vec![("scheme", json!(scheme))],
        cb::Error::Storage { kind, .. } => vec![("kind", json!(kind))],
        cb::Error::DoubleBooking {
            resource,
            appointment,
        } => {
            let mut details = vec![("resource", json!(resource))];
            details.extend(appointment.map(|a| ("appointment", json!(a))));
            details
        }
        _ => Vec::new(),
    };
    if let Some(map) = body.as_object_mut() {
        for (key, value) in details {
            map.insert(key.to_owned(), value);
        }
    }
    napi::Error::new(Status::GenericFailure, format!("{MARKER}{body}"))
}

/// `?`-friendly conversion of core results.
pub trait JsResult<T> {
    /// Maps the error with [`to_js`].
    fn js(self) -> napi::Result<T>;
}

impl<T> JsResult<T> for cb::Result<T> {
    fn js(self) -> napi::Result<T> {
        self.map_err(to_js)
    }
}
