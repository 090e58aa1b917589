//! The two conversions every call goes through, each written once:
//! JSON arguments from Python into core types (core's `api::Arguments`: a
//! mismatch becomes a `validation` error naming the field path, never the
//! value), and a core error into the Python exception of its code.

use carebase::api::{Arguments, Mode};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyModule;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a call failed: a core error (mapped to its exception class) or a bug
/// in the binding itself.
pub enum Failure {
    /// A `carebase::Error`, raised as the exception class of its code.
    Core(carebase::Error),
    /// Something that should never happen (e.g. a result that cannot be encoded).
    Internal(String),
}

impl From<carebase::Error> for Failure {
    fn from(e: carebase::Error) -> Self {
        Failure::Core(e)
    }
}

/// Decodes the JSON arguments of a call that is not one of the operation
/// list's (`open`, the manual clock) with core's reader: the text is bounded,
/// and a bad field is a `validation` error naming its path with a code by
/// serde's error category, never by message text; the value is never echoed.
pub fn parse<A: DeserializeOwned>(json: &str) -> carebase::Result<A> {
    let mut args = Arguments::parse(json)?;
    let value = args.take::<A>("", Mode::Flatten);
    args.finish()?;
    value.ok_or_else(|| carebase::Error::storage("arguments read without error are missing"))
}

/// Encodes a result for Python.
pub fn encode<R: Serialize>(value: &R) -> Result<String, Failure> {
    serde_json::to_string(value).map_err(|e| Failure::Internal(e.to_string()))
}

/// THE error mapping: a core error becomes the `carebase` exception class of
/// its code (`carebase._errors._from_native`), carrying its details.
pub fn into_py_err(py: Python<'_>, failure: Failure) -> PyErr {
    let err = match failure {
        Failure::Internal(message) => {
            return PyRuntimeError::new_err(format!("carebase internal error: {message}"))
        }
        Failure::Core(err) => err,
    };
    let build = || -> PyResult<PyErr> {
        let module = PyModule::import(py, "carebase._errors")?;
        let exc =
            module.call_method1("_from_native", (err.code(), err.to_string(), err.to_json()))?;
        Ok(PyErr::from_value(exc))
    };
    match build() {
        Ok(e) | Err(e) => e,
    }
}
