//! `carebase._native`: the Python binding's native half, a door with no
//! clinic rule and no per-operation code. Every operation goes through
//! `Clinic.call(name, json)` = `carebase::api::call` (core reads the
//! arguments and answers its types' serde form); an error becomes the
//! exception class of its code (`carebase._errors._from_native`). Work runs
//! on one process-wide tokio runtime with the GIL released.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, LazyLock};

use carebase::api::{Arguments, Mode};
use carebase::audit::AuditKey;
use carebase::policy::Policy;
use carebase::{Clinic, Clock, Settings};
use chrono::{DateTime, Duration, Utc};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;

/// The one tokio runtime of the process, created on first use.
static RUNTIME: LazyLock<std::io::Result<Runtime>> = LazyLock::new(|| {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().thread_name("carebase").build()
});

/// Runs `work` on the runtime with the GIL released. A core error becomes
/// the exception of its code; a panic in core a `RuntimeError` (a bug to fix
/// in core), never a `BaseException` unwinding into Python.
fn run<T: Send>(
    py: Python<'_>,
    work: impl Future<Output = carebase::Result<T>> + Send,
) -> PyResult<T> {
    let rt = RUNTIME
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the carebase runtime: {e}")))?;
    match py.detach(|| catch_unwind(AssertUnwindSafe(|| rt.block_on(work)))) {
        Ok(done) => done.map_err(|e| raise(py, &e)),
        Err(panic) => {
            let text = (panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(internal(&format!("core panicked: {text}")))
        }
    }
}

/// A bug in the binding or core, not a clinic error.
fn internal(problem: &str) -> PyErr {
    PyRuntimeError::new_err(format!("carebase internal error: {problem}"))
}

/// THE error mapping: a core error becomes the `carebase` exception class of
/// its code, carrying its details (`carebase._errors._from_native`).
fn raise(py: Python<'_>, err: &carebase::Error) -> PyErr {
    let details = (err.code(), err.to_string(), err.to_json());
    PyModule::import(py, "carebase._errors")
        .and_then(|module| module.call_method1("_from_native", details))
        .map_or_else(|e| e, PyErr::from_value)
}

/// Reads argument `name` (the whole object with [`Mode::Flatten`]) of a call
/// outside the operation list with core's reader: bounded text, a bad field
/// a `validation` error naming its path, never the value.
fn parse<A: DeserializeOwned>(py: Python<'_>, json: &str, name: &str, mode: Mode) -> PyResult<A> {
    let read = || {
        let mut args = Arguments::parse(json)?;
        let value = args.take::<A>(name, mode);
        args.finish()?;
        value.ok_or_else(|| carebase::Error::storage("arguments read without error are missing"))
    };
    read().map_err(|e| raise(py, &e))
}

/// A result as JSON text.
fn json<R: Serialize + ?Sized>(value: &R) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| internal(&e.to_string()))
}

/// A clock tests move by hand (`carebase::ManualClock`).
#[pyclass(frozen, module = "carebase._native")]
struct ManualClock {
    inner: Arc<carebase::ManualClock>,
}

#[pymethods]
impl ManualClock {
    /// A clock standing at `{"at": …}`.
    #[new]
    fn new(py: Python<'_>, args: String) -> PyResult<Self> {
        let start: DateTime<Utc> = parse(py, &args, "at", Mode::Member)?;
        let inner = Arc::new(carebase::ManualClock::new(start));
        Ok(Self { inner })
    }

    /// Moves time by `{"by": …}` (saturating at the calendar's ends).
    fn advance(&self, py: Python<'_>, args: String) -> PyResult<()> {
        let by = parse(py, &args, "by", Mode::Member);
        by.map(|by| self.inner.advance(Duration::microseconds(by)))
    }

    /// Jumps to `{"at": …}`.
    fn set(&self, py: Python<'_>, args: String) -> PyResult<()> {
        parse(py, &args, "at", Mode::Member).map(|at| self.inner.set(at))
    }

    /// The current instant as JSON.
    fn now(&self) -> PyResult<String> {
        json(&self.inner.now())
    }
}

/// A `carebase::Clinic` over an opened store.
#[pyclass(frozen, name = "Clinic", module = "carebase._native")]
struct NativeClinic {
    inner: Clinic,
}

/// `open`'s arguments. The policy arrives as a document so that a bad one
/// is `invalid_policy` naming its location, as from `Policy.from_json`.
#[derive(Deserialize)]
struct OpenArgs {
    url: String,
    settings: Option<Settings>,
    policy: Option<serde_json::Value>,
}

/// Opens the store `url` names and returns a clinic over it. `audit_key`
/// travels beside the JSON so it never sits in an argument string.
#[pyfunction]
#[pyo3(signature = (args, clock=None, audit_key=None))]
fn open(
    py: Python<'_>,
    args: String,
    clock: Option<&Bound<'_, ManualClock>>,
    audit_key: Option<&[u8]>,
) -> PyResult<NativeClinic> {
    let a: OpenArgs = parse(py, &args, "", Mode::Flatten)?;
    let clock: Option<Arc<dyn Clock>> = clock.map(|c| c.get().inner.clone() as Arc<dyn Clock>);
    let audit_key = audit_key.map(AuditKey::new);
    let inner = run(py, async move {
        let audit_key = audit_key.transpose()?;
        let policy = a.policy.map(|doc| Policy::from_json(&doc.to_string()));
        let policy = policy.transpose()?;
        // Checked before the store opens, so bad settings create no file.
        a.settings.as_ref().map(Settings::validate).transpose()?;
        // Each option given is applied; the others keep core's defaults.
        let clinic = Clinic::new(carebase_storage::open(&a.url).await?);
        let clinic = audit_key.into_iter().fold(clinic, Clinic::with_audit_key);
        let clinic = a
            .settings
            .into_iter()
            .try_fold(clinic, Clinic::with_settings)?;
        let clinic = policy.into_iter().fold(clinic, Clinic::with_policy);
        Ok(clock.into_iter().fold(clinic, Clinic::with_clock))
    })?;
    Ok(NativeClinic { inner })
}

#[pymethods]
impl NativeClinic {
    /// Runs the operation of core's list named `operation` with its JSON
    /// arguments through `carebase::api::call` and returns the result's
    /// JSON: one entry point, so the binding has every operation.
    fn call(&self, py: Python<'_>, operation: &str, args: String) -> PyResult<String> {
        run(py, carebase::api::call(&self.inner, operation, &args))
    }

    /// [`call`](Self::call) with bytes beside the JSON text (a document's
    /// content, never inside the JSON): the operation's `Bytes` argument
    /// in, a result's bytes out as `(json, bytes or None)`. The length is
    /// bounded before the bytes are copied out of Python.
    #[pyo3(signature = (operation, args, data=None))]
    fn call_bytes(
        &self,
        py: Python<'_>,
        operation: &str,
        args: String,
        data: Option<&[u8]>,
    ) -> PyResult<(String, Option<Py<PyBytes>>)> {
        if let Some(data) = data {
            carebase::api::check_bytes(data.len()).map_err(|e| raise(py, &e))?;
        }
        let data = data.map(<[u8]>::to_vec);
        let reply = run(
            py,
            carebase::api::call_with_bytes(&self.inner, operation, &args, data),
        )?;
        let bytes = reply.bytes.map(|b| PyBytes::new(py, &b).unbind());
        Ok((reply.json, bytes))
    }

    /// The settings in force, as JSON.
    fn settings(&self) -> PyResult<String> {
        json(self.inner.settings())
    }

    /// The policy in force, as JSON.
    fn policy(&self) -> PyResult<String> {
        json(&*self.inner.policy())
    }

    /// The public fingerprint of the audit key in use.
    fn audit_key_id(&self) -> String {
        self.inner.audit_key_id().to_owned()
    }
}

/// The names of core's operation list, in order: what the parity test
/// holds the Python `Clinic` to.
#[pyfunction]
fn operations() -> Vec<&'static str> {
    let list = carebase::clinic::operations::OPERATIONS.iter();
    list.map(|o| o.name).collect()
}

/// Runs the host function named `function` (`carebase::api::FUNCTIONS`)
/// with its JSON arguments; returns the result's JSON.
#[pyfunction]
fn call_function(py: Python<'_>, function: &str, args: String) -> PyResult<String> {
    carebase::api::call_function(function, &args).map_err(|e| raise(py, &e))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClinic>()?;
    m.add_class::<ManualClock>()?;
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(operations, m)?)?;
    m.add_function(wrap_pyfunction!(call_function, m)?)?;
    m.add("DEFAULT_POLICY_TOML", carebase::policy::DEFAULT_POLICY_TOML)?;
    Ok(())
}
