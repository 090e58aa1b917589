//! `carebase._native`: the Python binding's native half.
//!
//! Every clinic operation goes through one entry point, `Clinic.call(name,
//! json)`, which is `carebase::api::call`: the arguments are one JSON object
//! read by core (errors by category at their paths), the result is the core
//! types' own serde form, an error core's serialized form. The pure-Python
//! package (`python/carebase`) turns those into dataclasses, enums and
//! exceptions. No clinic rule and no per-operation code lives in this crate. Work runs on one process-wide tokio runtime with the GIL
//! released, so Python threads run operations in parallel.

mod convert;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use carebase::audit::AuditKey;
use carebase::policy::Policy;
use carebase::{Clinic, Settings};
use chrono::{DateTime, Duration, Utc};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::runtime::Runtime;

use convert::{encode, into_py_err, parse, Failure};

/// The one tokio runtime of the process, created on first use.
static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

fn runtime() -> PyResult<&'static Runtime> {
    let built = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("carebase")
            .build()
            .map_err(|e| e.to_string())
    });
    match built {
        Ok(rt) => Ok(rt),
        Err(e) => Err(PyRuntimeError::new_err(format!(
            "cannot start the carebase runtime: {e}"
        ))),
    }
}

/// Decodes `args`, runs `work` on the runtime with the GIL released, and
/// returns its value; any failure becomes the matching Python exception.
fn run_with<A, T, F, Fut>(py: Python<'_>, args: String, work: F) -> PyResult<T>
where
    A: DeserializeOwned,
    T: Send,
    F: FnOnce(A) -> Fut + Send,
    Fut: Future<Output = Result<T, Failure>>,
{
    let rt = runtime()?;
    py.detach(move || {
        let args: A = parse(&args)?;
        // A panic in core must not unwind into Python as a BaseException:
        // it becomes a RuntimeError (and is a bug to fix in core).
        catch_unwind(AssertUnwindSafe(|| rt.block_on(work(args))))
            .unwrap_or_else(|panic| Err(Failure::Internal(panic_message(panic.as_ref()))))
    })
    .map_err(|f| into_py_err(py, f))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("core panicked: {text}")
}

/// A policy document as a JSON value, loaded through core's document loader
/// (so errors are `invalid_policy` with a location).
fn load_policy(doc: &serde_json::Value) -> carebase::Result<Policy> {
    Policy::from_json(&doc.to_string())
}

/// A clock tests move by hand (`carebase::ManualClock`); instants are RFC 3339.
#[pyclass(frozen, module = "carebase._native")]
struct ManualClock {
    inner: Arc<carebase::ManualClock>,
}

#[derive(Deserialize)]
struct InstantArg {
    at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct DurationArg {
    by: i64,
}

#[pymethods]
impl ManualClock {
    /// A clock standing at `{"at": <RFC 3339>}`.
    #[new]
    fn new(py: Python<'_>, args: String) -> PyResult<Self> {
        let start = run_with(py, args, |a: InstantArg| async move { Ok(a.at) })?;
        Ok(Self {
            inner: Arc::new(carebase::ManualClock::new(start)),
        })
    }

    /// Moves time by `{"by": <microseconds>}`.
    fn advance(&self, py: Python<'_>, args: String) -> PyResult<()> {
        let clock = self.inner.clone();
        run_with(py, args, move |a: DurationArg| async move {
            clock.advance(Duration::microseconds(a.by));
            Ok(())
        })
    }

    /// Jumps to `{"at": <RFC 3339>}`.
    fn set(&self, py: Python<'_>, args: String) -> PyResult<()> {
        let clock = self.inner.clone();
        run_with(py, args, move |a: InstantArg| async move {
            clock.set(a.at);
            Ok(())
        })
    }

    /// The current instant as JSON.
    fn now(&self, py: Python<'_>) -> PyResult<String> {
        use carebase::Clock;
        encode(&self.inner.now()).map_err(|f| into_py_err(py, f))
    }
}

/// A `carebase::Clinic` over an opened store.
#[pyclass(frozen, name = "Clinic", module = "carebase._native")]
struct NativeClinic {
    inner: Clinic,
}

#[derive(Deserialize)]
struct OpenArgs {
    url: String,
    #[serde(default)]
    settings: Option<Settings>,
    #[serde(default)]
    policy: Option<serde_json::Value>,
}

/// Opens the store `url` names (`memory:`, `sqlite:///path.db`,
/// `sqlite::memory:`) and returns a clinic over it. `audit_key` (bytes,
/// passed beside the JSON so it never sits in an argument string) seals the
/// audit trail; without it the public development key is used.
#[pyfunction]
#[pyo3(signature = (args, clock=None, audit_key=None))]
fn open(
    py: Python<'_>,
    args: String,
    clock: Option<&Bound<'_, ManualClock>>,
    audit_key: Option<&[u8]>,
) -> PyResult<NativeClinic> {
    let clock: Option<Arc<dyn carebase::Clock>> = match clock {
        Some(c) => Some(c.get().inner.clone()),
        None => None,
    };
    let audit_key = audit_key.map(AuditKey::new);
    let inner = run_with(py, args, move |a: OpenArgs| async move {
        let audit_key = audit_key.transpose()?;
        let policy = a.policy.as_ref().map(load_policy).transpose()?;
        let settings = a.settings;
        // Checked before the store opens, so bad settings create no file.
        settings.as_ref().map(Settings::validate).transpose()?;
        let store = carebase_storage::open(&a.url).await?;
        let mut clinic = Clinic::new(store);
        if let Some(key) = audit_key {
            clinic = clinic.with_audit_key(key);
        }
        if let Some(settings) = settings {
            clinic = clinic.with_settings(settings)?;
        }
        if let Some(policy) = policy {
            clinic = clinic.with_policy(policy);
        }
        if let Some(clock) = clock {
            clinic = clinic.with_clock(clock);
        }
        Ok(clinic)
    })?;
    Ok(NativeClinic { inner })
}

#[pymethods]
impl NativeClinic {
    /// Runs the operation of core's list named `operation` with its JSON
    /// arguments (`actor` and the listed names) through `carebase::api::call`
    /// and returns the result's JSON: one entry point for every operation,
    /// so the binding has each one by construction.
    fn call(&self, py: Python<'_>, operation: &str, args: String) -> PyResult<String> {
        let clinic = self.inner.clone();
        let rt = runtime()?;
        py.detach(move || {
            catch_unwind(AssertUnwindSafe(|| {
                rt.block_on(carebase::api::call(&clinic, operation, &args))
                    .map_err(Failure::Core)
            }))
            .unwrap_or_else(|panic| Err(Failure::Internal(panic_message(panic.as_ref()))))
        })
        .map_err(|f| into_py_err(py, f))
    }

    /// The settings in force, as JSON (core's serde form: whole minutes).
    fn settings(&self, py: Python<'_>) -> PyResult<String> {
        encode(self.inner.settings()).map_err(|f| into_py_err(py, f))
    }

    /// The policy in force, as JSON.
    fn policy(&self, py: Python<'_>) -> PyResult<String> {
        encode(&*self.inner.policy()).map_err(|f| into_py_err(py, f))
    }

    /// The public fingerprint of the audit key in use.
    fn audit_key_id(&self) -> String {
        self.inner.audit_key_id().to_owned()
    }
}

/// The names of core's operation list (`carebase::clinic::operations::OPERATIONS`),
/// in order: what the parity test holds the Python `Clinic` to.
#[pyfunction]
fn operations() -> Vec<&'static str> {
    carebase::clinic::operations::OPERATIONS
        .iter()
        .map(|o| o.name)
        .collect()
}

/// Runs the host function named `function` (`carebase::api::FUNCTIONS`)
/// with its JSON arguments; returns the result's JSON.
#[pyfunction]
fn call_function(py: Python<'_>, function: &str, args: String) -> PyResult<String> {
    carebase::api::call_function(function, &args).map_err(|e| into_py_err(py, Failure::Core(e)))
}

/// The names of the host functions, in order.
#[pyfunction]
fn functions() -> Vec<&'static str> {
    carebase::api::FUNCTIONS.iter().map(|f| f.name).collect()
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClinic>()?;
    m.add_class::<ManualClock>()?;
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(operations, m)?)?;
    m.add_function(wrap_pyfunction!(functions, m)?)?;
    m.add_function(wrap_pyfunction!(call_function, m)?)?;
    m.add("DEFAULT_POLICY_TOML", carebase::policy::DEFAULT_POLICY_TOML)?;
    Ok(())
}
