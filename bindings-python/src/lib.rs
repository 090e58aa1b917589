//! `carebase._native`: the Python binding's native half.
//!
//! Every clinic operation is one method taking its arguments as one JSON
//! object (decoded with serde into core types) and returning its result as
//! JSON (the core types' own serde form). The pure-Python package
//! (`python/carebase`) turns those into dataclasses, enums and exceptions.
//! A method here converts, calls core, converts back: no clinic rule lives
//! in this crate. Work runs on one process-wide tokio runtime with the GIL
//! released, so Python threads run operations in parallel.

mod convert;

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use carebase::audit::{AuditCheckpoint, AuditKey, AuditQuery};
use carebase::clinic::{BookSeries, NewPatient};
use carebase::patient::{IdentifierSystem, MrnNamespace, PatientDetails, PatientQuery};
use carebase::policy::{Permission, Policy};
use carebase::schedule::fhir::FhirAppointmentImport;
use carebase::schedule::{
    AppointmentQuery, AppointmentStatus, Availability, BookAppointment, CancelAppointment,
    NewPractitioner, NewResource, NewVisitType, Recurrence, RescheduleAppointment, SlotQuery,
};
use carebase::{
    Actor, ActorId, AppointmentId, Clinic, GrantId, MergeId, PatientId, PractitionerId, Settings,
    VisitTypeId,
};
use chrono::{DateTime, Duration, Utc};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
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

/// [`run_with`] for core calls whose result goes back as JSON.
fn run<A, R, F, Fut>(py: Python<'_>, args: String, work: F) -> PyResult<String>
where
    A: DeserializeOwned,
    R: Serialize,
    F: FnOnce(A) -> Fut + Send,
    Fut: Future<Output = carebase::Result<R>>,
{
    run_with(py, args, move |a: A| async move {
        let value = work(a).await?;
        encode(&value)
    })
}

/// Settings as they cross the boundary: durations in microseconds; a missing
/// value keeps core's default.
#[derive(Deserialize, Serialize)]
struct SettingsWire {
    #[serde(default)]
    identifier_systems: Vec<IdentifierSystem>,
    #[serde(default)]
    mrn_namespaces: Vec<MrnNamespace>,
    #[serde(default)]
    break_glass_default: Option<i64>,
    #[serde(default)]
    break_glass_max: Option<i64>,
    #[serde(default)]
    late_cancellation_window: Option<i64>,
    #[serde(default)]
    phone_region: Option<String>,
}

impl SettingsWire {
    fn into_settings(self) -> Settings {
        let defaults = Settings::default();
        Settings {
            identifier_systems: self.identifier_systems,
            mrn_namespaces: self.mrn_namespaces,
            break_glass_default: self
                .break_glass_default
                .map_or(defaults.break_glass_default, Duration::microseconds),
            break_glass_max: self
                .break_glass_max
                .map_or(defaults.break_glass_max, Duration::microseconds),
            late_cancellation_window: self
                .late_cancellation_window
                .map_or(defaults.late_cancellation_window, Duration::microseconds),
            phone_region: self.phone_region,
        }
    }

    fn from_settings(s: &Settings) -> Self {
        Self {
            identifier_systems: s.identifier_systems.clone(),
            mrn_namespaces: s.mrn_namespaces.clone(),
            break_glass_default: s.break_glass_default.num_microseconds(),
            break_glass_max: s.break_glass_max.num_microseconds(),
            late_cancellation_window: s.late_cancellation_window.num_microseconds(),
            phone_region: s.phone_region.clone(),
        }
    }
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
    settings: Option<SettingsWire>,
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
        let settings = a.settings.map(SettingsWire::into_settings);
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

/// Declares the clinic operations: each one names its JSON arguments (the
/// acting `actor` is always first) and the core call they feed.
macro_rules! operations {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($field:ident : $ty:ty),* $(,)?) => |$c:ident, $a:ident| $body:expr;
    )*) => {
        #[pymethods]
        impl NativeClinic {
            $(
                $(#[$doc])*
                fn $name(&self, py: Python<'_>, args: String) -> PyResult<String> {
                    #[derive(Deserialize)]
                    struct Args {
                        actor: Actor,
                        $($field: $ty,)*
                    }
                    let $c = self.inner.clone();
                    run(py, args, move |$a: Args| async move { $body })
                }
            )*

            /// The settings in force, as JSON.
            fn settings(&self, py: Python<'_>) -> PyResult<String> {
                let wire = SettingsWire::from_settings(self.inner.settings());
                encode(&wire).map_err(|f| into_py_err(py, f))
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
    };
}

operations! {
    /// `Clinic::register_patient`.
    fn register_patient(details: PatientDetails, mrn_facility: Option<String>) => |c, a| {
        c.register_patient(&a.actor, NewPatient { details: a.details, mrn_facility: a.mrn_facility }).await
    };
    /// `Clinic::get_patient`.
    fn get_patient(id: PatientId) => |c, a| c.get_patient(&a.actor, a.id).await;
    /// `Clinic::update_patient`.
    fn update_patient(id: PatientId, expected_version: u64, details: PatientDetails) => |c, a| {
        c.update_patient(&a.actor, a.id, a.expected_version, a.details).await
    };
    /// `Clinic::deactivate_patient`.
    fn deactivate_patient(id: PatientId, expected_version: u64) => |c, a| {
        c.deactivate_patient(&a.actor, a.id, a.expected_version).await
    };
    /// `Clinic::reactivate_patient`.
    fn reactivate_patient(id: PatientId, expected_version: u64) => |c, a| {
        c.reactivate_patient(&a.actor, a.id, a.expected_version).await
    };
    /// `Clinic::search_patients`.
    fn search_patients(query: Option<PatientQuery>) => |c, a| {
        c.search_patients(&a.actor, &a.query.unwrap_or_default()).await
    };
    /// `Clinic::generate_mrn`.
    fn generate_mrn(facility: String) => |c, a| c.generate_mrn(&a.actor, &a.facility).await;
    /// `Clinic::find_duplicates`.
    fn find_duplicates(id: PatientId, limit: u32) => |c, a| {
        c.find_duplicates(&a.actor, a.id, a.limit).await
    };
    /// `Clinic::merge_patients`.
    fn merge_patients(
        survivor: PatientId,
        survivor_version: u64,
        merged: PatientId,
        merged_version: u64,
    ) => |c, a| {
        c.merge_patients(&a.actor, a.survivor, a.survivor_version, a.merged, a.merged_version).await
    };
    /// `Clinic::unmerge_patients`.
    fn unmerge_patients(merge_id: MergeId) => |c, a| c.unmerge_patients(&a.actor, a.merge_id).await;
    /// `Clinic::merge_history`.
    fn merge_history(patient: PatientId) => |c, a| c.merge_history(&a.actor, a.patient).await;
    /// `Clinic::assign_care_team`.
    fn assign_care_team(patient: PatientId, practitioner: PractitionerId) => |c, a| {
        c.assign_care_team(&a.actor, a.patient, a.practitioner).await
    };
    /// `Clinic::remove_care_team`.
    fn remove_care_team(patient: PatientId, practitioner: PractitionerId) => |c, a| {
        c.remove_care_team(&a.actor, a.patient, a.practitioner).await
    };
    /// `Clinic::care_team`.
    fn care_team(patient: PatientId) => |c, a| c.care_team(&a.actor, a.patient).await;
    /// `Clinic::explain_access`.
    fn explain_access(permission: Permission, patient: Option<PatientId>) => |c, a| {
        c.explain_access(&a.actor, a.permission, a.patient).await
    };
    /// `Clinic::request_emergency_access` (`duration` in microseconds).
    fn request_emergency_access(patient: PatientId, reason: String, duration: Option<i64>) => |c, a| {
        let duration = a.duration.map(Duration::microseconds);
        c.request_emergency_access(&a.actor, a.patient, &a.reason, duration).await
    };
    /// `Clinic::grants_awaiting_review`.
    fn grants_awaiting_review(limit: u32) => |c, a| c.grants_awaiting_review(&a.actor, a.limit).await;
    /// `Clinic::review_emergency_access`.
    fn review_emergency_access(grant: GrantId, note: Option<String>) => |c, a| {
        c.review_emergency_access(&a.actor, a.grant, a.note.as_deref()).await
    };
    /// `Clinic::audit_log`.
    fn audit_log(query: Option<AuditQuery>) => |c, a| {
        c.audit_log(&a.actor, &a.query.unwrap_or_default()).await
    };
    /// `Clinic::verify_audit` (optionally against a checkpoint the host kept).
    fn verify_audit(trusted: Option<AuditCheckpoint>) => |c, a| {
        c.verify_audit(&a.actor, a.trusted.as_ref()).await
    };
    /// `Clinic::audit_checkpoint`.
    fn audit_checkpoint() => |c, a| c.audit_checkpoint(&a.actor).await;
    /// `Clinic::who_accessed`.
    fn who_accessed(patient: PatientId, limit: Option<u32>) => |c, a| {
        c.who_accessed(&a.actor, a.patient, a.limit).await
    };
    /// `Clinic::poll_events`.
    fn poll_events(consumer: String, limit: u32) => |c, a| {
        c.poll_events(&a.actor, &a.consumer, a.limit).await
    };
    /// `Clinic::events_after`.
    fn events_after(after: u64, limit: u32) => |c, a| c.events_after(&a.actor, a.after, a.limit).await;
    /// `Clinic::ack_events`.
    fn ack_events(consumer: String, seq: u64) => |c, a| c.ack_events(&a.actor, &a.consumer, a.seq).await;
    /// `Clinic::replace_policy` (the policy as a JSON document).
    fn replace_policy(policy: serde_json::Value) => |c, a| {
        let policy = load_policy(&a.policy)?;
        c.replace_policy(&a.actor, policy).await
    };

    // ---- scheduling (core/src/clinic/scheduling.rs)
    /// `Clinic::add_practitioner`.
    fn add_practitioner(practitioner: NewPractitioner) => |c, a| {
        c.add_practitioner(&a.actor, a.practitioner).await
    };
    /// `Clinic::set_availability`.
    fn set_availability(
        practitioner: PractitionerId,
        expected_version: u64,
        availability: Availability,
    ) => |c, a| {
        c.set_availability(&a.actor, a.practitioner, a.expected_version, a.availability).await
    };
    /// `Clinic::get_practitioner`.
    fn get_practitioner(id: PractitionerId) => |c, a| c.get_practitioner(&a.actor, a.id).await;
    /// `Clinic::list_practitioners`.
    fn list_practitioners() => |c, a| c.list_practitioners(&a.actor).await;
    /// `Clinic::add_resource`.
    fn add_resource(resource: NewResource) => |c, a| c.add_resource(&a.actor, a.resource).await;
    /// `Clinic::list_resources`.
    fn list_resources() => |c, a| c.list_resources(&a.actor).await;
    /// `Clinic::add_visit_type`.
    fn add_visit_type(visit_type: NewVisitType) => |c, a| {
        c.add_visit_type(&a.actor, a.visit_type).await
    };
    /// `Clinic::list_visit_types`.
    fn list_visit_types() => |c, a| c.list_visit_types(&a.actor).await;
    /// `Clinic::find_free_slots`.
    fn find_free_slots(query: SlotQuery) => |c, a| c.find_free_slots(&a.actor, a.query).await;

    // ---- appointments (core/src/clinic/appointments.rs)
    /// `Clinic::book_appointment`.
    fn book_appointment(booking: BookAppointment) => |c, a| {
        c.book_appointment(&a.actor, a.booking).await
    };
    /// `Clinic::book_series`.
    fn book_series(first: BookAppointment, recurrence: Recurrence) => |c, a| {
        let series = BookSeries { first: a.first, recurrence: a.recurrence };
        c.book_series(&a.actor, series).await
    };
    /// `Clinic::get_appointment`.
    fn get_appointment(id: AppointmentId) => |c, a| c.get_appointment(&a.actor, a.id).await;
    /// `Clinic::reschedule_appointment`.
    fn reschedule_appointment(
        id: AppointmentId,
        expected_version: u64,
        change: RescheduleAppointment,
    ) => |c, a| {
        c.reschedule_appointment(&a.actor, a.id, a.expected_version, a.change).await
    };
    /// `Clinic::cancel_appointment`.
    fn cancel_appointment(
        id: AppointmentId,
        expected_version: u64,
        cancel: CancelAppointment,
    ) => |c, a| {
        c.cancel_appointment(&a.actor, a.id, a.expected_version, a.cancel).await
    };
    /// `Clinic::change_appointment_status`.
    fn change_appointment_status(
        id: AppointmentId,
        expected_version: u64,
        status: AppointmentStatus,
    ) => |c, a| {
        c.change_appointment_status(&a.actor, a.id, a.expected_version, a.status).await
    };
    /// `Clinic::list_appointments`.
    fn list_appointments(query: AppointmentQuery) => |c, a| {
        c.list_appointments(&a.actor, a.query).await
    };
    /// `Clinic::due_reminders`.
    fn due_reminders(from: DateTime<Utc>, to: DateTime<Utc>, limit: u32) => |c, a| {
        c.due_reminders(&a.actor, a.from, a.to, a.limit).await
    };
    /// `Clinic::mark_reminder_sent`.
    fn mark_reminder_sent(appointment: AppointmentId, offset_minutes: u32) => |c, a| {
        c.mark_reminder_sent(&a.actor, a.appointment, a.offset_minutes).await
    };

    // ---- FHIR R4 JSON (core/src/clinic/fhir.rs)
    /// `Clinic::export_appointment_fhir`.
    fn export_appointment_fhir(id: AppointmentId) => |c, a| {
        c.export_appointment_fhir(&a.actor, a.id).await
    };
    /// `Clinic::import_appointment_fhir`.
    fn import_appointment_fhir(
        resource: serde_json::Value,
        visit_type: Option<VisitTypeId>,
        references: Option<BTreeMap<String, String>>,
        migration: Option<bool>,
    ) => |c, a| {
        let import = FhirAppointmentImport {
            resource: a.resource,
            visit_type: a.visit_type,
            references: a.references.unwrap_or_default(),
            migration: a.migration.unwrap_or(false),
        };
        c.import_appointment_fhir(&a.actor, import).await
    };
    /// `Clinic::export_schedule_fhir`.
    fn export_schedule_fhir(practitioner: PractitionerId) => |c, a| {
        c.export_schedule_fhir(&a.actor, a.practitioner).await
    };
    /// `Clinic::export_free_slots_fhir`.
    fn export_free_slots_fhir(query: SlotQuery) => |c, a| {
        c.export_free_slots_fhir(&a.actor, a.query).await
    };
}

fn policy_result(py: Python<'_>, policy: carebase::Result<Policy>) -> PyResult<String> {
    policy
        .map_err(Failure::Core)
        .and_then(|p| encode(&p))
        .map_err(|f| into_py_err(py, f))
}

/// Parses and checks a TOML policy document; returns it as JSON.
#[pyfunction]
fn policy_from_toml(py: Python<'_>, text: &str) -> PyResult<String> {
    policy_result(py, Policy::from_toml(text))
}

/// Parses and checks a JSON policy document; returns it as JSON.
#[pyfunction]
fn policy_from_json(py: Python<'_>, text: &str) -> PyResult<String> {
    policy_result(py, Policy::from_json(text))
}

/// The default policy as JSON.
#[pyfunction]
fn default_policy(py: Python<'_>) -> PyResult<String> {
    policy_result(py, Ok(Policy::default_policy()))
}

/// A fresh time-ordered (v7) id, as text.
#[pyfunction]
fn new_id() -> String {
    ActorId::new().to_string()
}

/// The JSON Schema of an event type's payload, if it exists.
#[pyfunction]
fn event_schema(kind: &str, version: u32) -> Option<&'static str> {
    carebase::events::schema(kind, version)
}

/// Every event type with its schema version.
#[pyfunction]
fn event_types() -> Vec<(&'static str, u32)> {
    carebase::events::EVENT_TYPES.to_vec()
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClinic>()?;
    m.add_class::<ManualClock>()?;
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(policy_from_toml, m)?)?;
    m.add_function(wrap_pyfunction!(policy_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(default_policy, m)?)?;
    m.add_function(wrap_pyfunction!(new_id, m)?)?;
    m.add_function(wrap_pyfunction!(event_schema, m)?)?;
    m.add_function(wrap_pyfunction!(event_types, m)?)?;
    m.add("DEFAULT_POLICY_TOML", carebase::policy::DEFAULT_POLICY_TOML)?;
    Ok(())
}
