//! The two conversions every call goes through, each written once:
//! JSON arguments from Python into core types (a type mismatch becomes a
//! `validation` error naming the field path, never the value), and a core
//! error into the Python exception of its code.

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

/// Decodes the JSON arguments of a call. Errors name the field path and a
/// stable code; the offending value is never echoed (it may be patient data).
/// Core bounds the nesting first (`too_deep` naming the argument): serde_json
/// would stop at its own limit with an error that names nothing.
pub fn parse<A: DeserializeOwned>(json: &str) -> carebase::Result<A> {
    carebase::document::check_arguments(json)?;
    let mut de = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| field_error(&e))?;
    de.end()
        .map_err(|_| carebase::Error::invalid("(input)", "invalid_format", "trailing input"))?;
    Ok(value)
}

fn field_error(e: &serde_path_to_error::Error<serde_json::Error>) -> carebase::Error {
    let mut field = e.path().to_string();
    if field == "." {
        field.clear();
    }
    let text = e.inner().to_string();
    let (code, message) = if text.starts_with("missing field") {
        if let Some(name) = text.split('`').nth(1) {
            field = if field.is_empty() {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            };
        }
        ("required", "is required")
    } else if text.starts_with("invalid type") {
        ("invalid_type", "has the wrong type")
    } else if text.starts_with("unknown variant") {
        ("invalid_value", "is not one of the allowed values")
    } else if text.starts_with("invalid value") || text.starts_with("invalid length") {
        ("invalid_value", "is out of range or not an allowed value")
    } else {
        ("invalid_format", "is not in the expected format")
    };
    if field.is_empty() {
        field = "(input)".to_owned();
    }
    carebase::Error::invalid(field, code, message)
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
