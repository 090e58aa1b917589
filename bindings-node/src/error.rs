//! The ONE place a carebase error becomes a rejection: the message is
//! [`MARKER`] followed by core's serialized error (`Error::to_json`: `code`,
//! `message` and the variant's snake_case details). `index.js` rebuilds it
//! as a `CarebaseError` generically, converting the details with the
//! generated shape of `Error`, so no variant is restated here.

use napi::Status;

/// Prefix that tells `index.js` the message is core's serialized error.
pub const MARKER: &str = "carebase-error:";

/// Converts a core error into the structured napi error.
pub fn to_js(err: carebase::Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("{MARKER}{}", err.to_json()))
}

/// A value core produced that could not be encoded (a bug): a storage
/// error of kind `other`, like core's own encoding failure.
pub fn internal(what: &str) -> napi::Error {
    to_js(carebase::Error::storage(format!(
        "the {what} could not be encoded"
    )))
}

/// `?`-friendly conversion of core results.
pub trait JsResult<T> {
    /// Maps the error with [`to_js`].
    fn js(self) -> napi::Result<T>;
}

impl<T> JsResult<T> for carebase::Result<T> {
    fn js(self) -> napi::Result<T> {
        self.map_err(to_js)
    }
}
