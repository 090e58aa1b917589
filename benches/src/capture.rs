//! The statements carebase really executes, captured from SQLite itself.
//!
//! An automatic extension (`sqlite3_auto_extension`) installs
//! `sqlite3_trace_v2` on every connection opened in this process after
//! [`install`], so the store's writer and readers are traced without a hook
//! in the product. While [`capture`] runs, each statement's text (as
//! prepared, parameters unexpanded) is recorded in execution order;
//! statements run by triggers are left out (SQLite runs them inside the
//! statement that fired them).

#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

use libsqlite3_sys as ffi;

static INSTALL: Once = Once::new();
static RECORDING: AtomicBool = AtomicBool::new(false);
static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Called by SQLite for each statement a traced connection starts.
unsafe extern "C" fn on_trace(
    event: c_uint,
    _context: *mut c_void,
    _statement: *mut c_void,
    sql: *mut c_void,
) -> c_int {
    if event != ffi::SQLITE_TRACE_STMT as c_uint || !RECORDING.load(Ordering::SeqCst) {
        return 0;
    }
    if sql.is_null() {
        return 0;
    }
    // SAFETY: for SQLITE_TRACE_STMT, SQLite passes the statement's SQL as a
    // NUL-terminated string valid for the duration of the callback.
    let text = unsafe { CStr::from_ptr(sql as *const c_char) }.to_string_lossy();
    if text.starts_with("--") {
        return 0;
    }
    if let Ok(mut statements) = STATEMENTS.lock() {
        statements.push(text.into_owned());
    }
    0
}

/// Called by SQLite for every connection opened after [`install`].
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection SQLite is opening; the callback is a
    // plain function with the signature `sqlite3_trace_v2` expects.
    unsafe {
        ffi::sqlite3_trace_v2(
            db,
            ffi::SQLITE_TRACE_STMT as c_uint,
            Some(on_trace),
            std::ptr::null_mut(),
        );
    }
    ffi::SQLITE_OK
}

/// Traces every SQLite connection opened from now on in this process
/// (idempotent). Connections opened before stay untraced.
pub fn install() {
    INSTALL.call_once(|| {
        // SAFETY: registers a function with the signature SQLite calls
        // automatic extensions with; it only installs a trace callback.
        unsafe {
            ffi::sqlite3_auto_extension(Some(on_open));
        }
    });
}

/// Runs `work` and answers the statements every traced connection started
/// meanwhile, in order, without pragmas: those are other connections'
/// housekeeping (a read connection sets them once when opened, the
/// checkpointer checkpoints every 200 ms), not the work's statements.
/// Not reentrant: one capture at a time per process.
pub async fn capture<T>(work: impl std::future::Future<Output = T>) -> (T, Vec<String>) {
    install();
    if let Ok(mut statements) = STATEMENTS.lock() {
        statements.clear();
    }
    RECORDING.store(true, Ordering::SeqCst);
    let out = work.await;
    RECORDING.store(false, Ordering::SeqCst);
    let statements = STATEMENTS
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default()
        .into_iter()
        .filter(|s| !s.starts_with("PRAGMA"))
        .collect();
    (out, statements)
}
