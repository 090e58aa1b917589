//! A second copy of SQLite in the test process, as a host's `sqlite3` module
//! or pandas brings one: Debian's `libsqlite3.so.0` (package libsqlite3-0),
//! loaded with `dlopen` next to the SQLite carebase links. Only what a
//! reader needs: open, count, close.

#![allow(dead_code)]

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::Path;
use std::ptr;

use libloading::Library;

/// The system library the tests load (a different build from the one
/// libsqlite3-sys compiles into carebase).
pub const SYSTEM_SQLITE: &str = "libsqlite3.so.0";

const SQLITE_OK: c_int = 0;
const SQLITE_ROW: c_int = 100;
const SQLITE_OPEN_READONLY: c_int = 0x01;
const SQLITE_OPEN_READWRITE: c_int = 0x02;
const SQLITE_OPEN_URI: c_int = 0x40;

type Open = unsafe extern "C" fn(*const c_char, *mut *mut c_void, c_int, *const c_char) -> c_int;
type Prepare = unsafe extern "C" fn(
    *mut c_void,
    *const c_char,
    c_int,
    *mut *mut c_void,
    *mut *const c_char,
) -> c_int;
type Step = unsafe extern "C" fn(*mut c_void) -> c_int;
type ColumnInt64 = unsafe extern "C" fn(*mut c_void, c_int) -> i64;
type Finalize = unsafe extern "C" fn(*mut c_void) -> c_int;
type Close = unsafe extern "C" fn(*mut c_void) -> c_int;
type LibVersion = unsafe extern "C" fn() -> *const c_char;
type BusyTimeout = unsafe extern "C" fn(*mut c_void, c_int) -> c_int;

/// How long a connection waits for a lock, as Python's `sqlite3` does by
/// default (another process's last connection holds the database exclusively
/// for a moment while it closes).
const BUSY_TIMEOUT_MS: c_int = 5_000;

/// The loaded library and the functions the tests call.
pub struct ForeignSqlite {
    open: Open,
    prepare: Prepare,
    step: Step,
    column_int64: ColumnInt64,
    finalize: Finalize,
    close: Close,
    libversion: LibVersion,
    busy_timeout: BusyTimeout,
    /// Keeps the functions above loaded.
    _library: Library,
}

/// How the host opens the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peek {
    /// `sqlite3.connect(path)`: read-write (a SELECT only).
    ReadWrite,
    /// `sqlite3.connect("file:path?mode=ro", uri=True)`.
    ReadOnly,
}

impl ForeignSqlite {
    /// Loads the system SQLite; fails the test, saying what to install, when
    /// it is missing (the tests would otherwise prove nothing).
    pub fn load() -> Self {
        // SAFETY: loading a shared library runs its initializers; SQLite's
        // have no preconditions. RTLD_LOCAL (libloading's default) keeps its
        // symbols apart from the SQLite linked into this binary.
        let library = unsafe { Library::new(SYSTEM_SQLITE) }.unwrap_or_else(|e| {
            panic!(
                "these tests need a second SQLite library: install Debian's libsqlite3-0 \
                 (apt-get install libsqlite3-0) so {SYSTEM_SQLITE} loads ({e})"
            )
        });
        // SAFETY: each symbol is SQLite's public C API with the signature
        // declared above; the pointers are copied out while `library` stays
        // loaded in the returned value.
        unsafe {
            let open = *library.get::<Open>(b"sqlite3_open_v2\0").unwrap();
            let prepare = *library.get::<Prepare>(b"sqlite3_prepare_v2\0").unwrap();
            let step = *library.get::<Step>(b"sqlite3_step\0").unwrap();
            let column_int64 = *library
                .get::<ColumnInt64>(b"sqlite3_column_int64\0")
                .unwrap();
            let finalize = *library.get::<Finalize>(b"sqlite3_finalize\0").unwrap();
            let close = *library.get::<Close>(b"sqlite3_close\0").unwrap();
            let libversion = *library.get::<LibVersion>(b"sqlite3_libversion\0").unwrap();
            let busy_timeout = *library
                .get::<BusyTimeout>(b"sqlite3_busy_timeout\0")
                .unwrap();
            Self {
                open,
                prepare,
                step,
                column_int64,
                finalize,
                close,
                libversion,
                busy_timeout,
                _library: library,
            }
        }
    }

    /// The library's `sqlite3_libversion()`.
    pub fn version(&self) -> String {
        // SAFETY: returns a static NUL-terminated string.
        unsafe { CStr::from_ptr((self.libversion)()) }
            .to_string_lossy()
            .into_owned()
    }

    /// The address of this library's `sqlite3_libversion`, to tell the copy
    /// apart from the one linked into the binary.
    pub fn libversion_address(&self) -> usize {
        self.libversion as usize
    }

    /// Opens the file as a host would (with Python's default busy timeout).
    pub fn connect(&self, path: &Path, peek: Peek) -> ForeignConnection<'_> {
        let (name, flags) = match peek {
            Peek::ReadWrite => (path.display().to_string(), SQLITE_OPEN_READWRITE),
            Peek::ReadOnly => (
                format!("file:{}?mode=ro", path.display()),
                SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
            ),
        };
        let name = CString::new(name).unwrap();
        let mut db = ptr::null_mut();
        // SAFETY: a NUL-terminated name, an out pointer, valid flags, the
        // default VFS.
        let rc = unsafe { (self.open)(name.as_ptr(), &mut db, flags, ptr::null()) };
        assert_eq!(rc, SQLITE_OK, "the system sqlite could not open the file");
        // SAFETY: `db` is open.
        unsafe { (self.busy_timeout)(db, BUSY_TIMEOUT_MS) };
        ForeignConnection { lib: self, db }
    }
}

/// One open connection of the foreign library; closed on drop.
pub struct ForeignConnection<'a> {
    lib: &'a ForeignSqlite,
    db: *mut c_void,
}

impl ForeignConnection<'_> {
    /// The single integer a query such as `SELECT count(*) ...` returns.
    pub fn scalar(&self, sql: &str) -> i64 {
        let sql = CString::new(sql).unwrap();
        let mut stmt = ptr::null_mut();
        // SAFETY: `db` is open; `sql` is NUL-terminated (-1: read to NUL);
        // the statement is finalized before returning.
        unsafe {
            let rc = (self.lib.prepare)(self.db, sql.as_ptr(), -1, &mut stmt, ptr::null_mut());
            assert_eq!(
                rc, SQLITE_OK,
                "the system sqlite could not prepare the query"
            );
            let rc = (self.lib.step)(stmt);
            let value = (rc == SQLITE_ROW).then(|| (self.lib.column_int64)(stmt, 0));
            (self.lib.finalize)(stmt);
            value.expect("the system sqlite returned no row")
        }
    }
}

impl Drop for ForeignConnection<'_> {
    fn drop(&mut self) {
        // SAFETY: `db` is open and its statements are finalized.
        let rc = unsafe { (self.lib.close)(self.db) };
        if !std::thread::panicking() {
            assert_eq!(rc, SQLITE_OK, "the system sqlite could not close the file");
        }
    }
}
