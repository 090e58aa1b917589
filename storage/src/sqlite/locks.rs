//! File locks that no other copy of SQLite in the process can break.
//!
//! Hosts load their own SQLite next to carebase's (Python's `sqlite3`,
//! pandas, an ORM): two copies of the library in one process. SQLite's unix
//! VFS locks with POSIX advisory (`fcntl`) locks, which belong to the
//! *process*: when the other copy closes any descriptor of the database, every
//! lock carebase holds on it vanishes, and because `F_GETLK` never reports the
//! caller's own locks, the other copy then believes it is alone. It truncates
//! the `-shm` and, closing as the "last connection", checkpoints and deletes
//! the `-wal` carebase still writes to: acknowledged writes are lost at the
//! next crash (SQLite's "How To Corrupt" page, section 2.2).
//!
//! On Linux and Android (64-bit) carebase's copy of SQLite therefore takes
//! *open file description* (OFD) locks instead (`F_OFD_SETLK`, Linux 3.15).
//! They belong to an open file description, not to the process: closing
//! another descriptor leaves them alone, and they conflict with the other
//! copy's POSIX locks even inside one process, so that copy sees carebase as
//! another process and keeps its hands off the WAL, exactly as between
//! processes. SQLite routes every system call through a table it lets us
//! override (`xSetSystemCall`); [`install`] replaces `fcntl` and `close` in
//! the table of the SQLite linked into this crate (libsqlite3-sys), once,
//! before the first connection. It needs only SQLite's C API, whatever driver
//! sits on top.
//!
//! How the replacement stays transparent to SQLite:
//! - SQLite counts locks per inode and may take a lock through one
//!   connection's descriptor and release it through another's. POSIX allows
//!   that; with OFD locks the lock would stay behind on the first description.
//!   So every lock request for one file goes through ONE open file
//!   description of our own (a [`LockFile`], opened on the first request),
//!   and `F_GETLK` asks through it too, so our own locks are never reported to
//!   us, as with POSIX.
//! - SQLite believes `close` releases the locks of a file (it defers closing
//!   while it still holds some). When the last of its descriptors of a file is
//!   closed, the lock description is closed too, releasing what is left (the
//!   `-shm` dead-man switch, which SQLite never unlocks explicitly).
//! - Closing one of *our* descriptors drops the other copy's POSIX locks in
//!   turn. SQLite never closes a descriptor while it holds a lock on the file
//!   through another one (it keeps it pending), and in WAL mode every open
//!   connection holds a shared lock on the database: carebase's descriptors
//!   of a database are closed together with its last connection, after that
//!   connection's attempt to take the exclusive lock it needs to delete the
//!   WAL has failed against the other copy's shared lock.
//! - A forked child closes its copies of the lock descriptors (an atfork
//!   handler), so a child that outlives its parent does not keep the parent's
//!   locks alive; the child starts a table of its own.
//!
//! The table belongs to the SQLite linked into this binary, shared by
//! anything else in it that links libsqlite3-sys (a Rust host using rusqlite,
//! say). Such a host must open its first carebase store before its own
//! connections: a lock its connection took the POSIX way would not be
//! released the OFD way. The bindings' SQLite is private to them.
//!
//! Elsewhere the classic POSIX locks stay, with the hazard above: macOS and
//! iOS have no public OFD locks (and Apple's arm64 calling convention for the
//! variadic `fcntl` would not match this wrapper), 32-bit targets take
//! `struct flock64` through other command numbers, and a Linux kernel before
//! 3.15 refuses OFD requests (detected on the first lock, after which the
//! table is left as SQLite's default). Windows locks per handle and is not
//! affected. See `docs/sqlite-file.md`.

/// Makes carebase's SQLite take locks no other copy in the process can
/// break (where the platform has them; a no-op elsewhere). Runs once per
/// process and must run before the first connection: a lock taken with the
/// old system call and released with the new one would stay behind.
pub(crate) fn install() {
    #[cfg(all(
        any(target_os = "linux", target_os = "android"),
        target_pointer_width = "64"
    ))]
    ofd::install();
}

#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    target_pointer_width = "64"
))]
#[allow(unsafe_code)]
mod ofd {
    use std::collections::BTreeMap;
    use std::ffi::{c_int, c_void, CString};
    use std::mem::MaybeUninit;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Mutex, MutexGuard, Once, PoisonError, TryLockError};

    /// A file as SQLite identifies it: device and inode.
    type FileKey = (u64, u64);

    /// Our open file description of one file, which holds every lock
    /// carebase's SQLite takes on it.
    struct LockFile {
        /// The descriptor of our own open file description (never one of
        /// SQLite's, so closing theirs cannot end it).
        lock_fd: c_int,
        /// SQLite's descriptors of this file that asked for a lock and are
        /// still open.
        users: usize,
    }

    /// Every file carebase's SQLite holds locks on.
    struct Table {
        /// Which fork generation the entries belong to (see [`FORKS`]).
        generation: u64,
        /// SQLite's descriptors that asked for a lock, and their file.
        by_fd: BTreeMap<c_int, FileKey>,
        files: BTreeMap<FileKey, LockFile>,
    }

    static TABLE: Mutex<Table> = Mutex::new(Table {
        generation: 0,
        by_fd: BTreeMap::new(),
        files: BTreeMap::new(),
    });

    /// Bumped in every forked child: entries of an older generation are the
    /// parent's, and the child forgets them before its first lock.
    static FORKS: AtomicU64 = AtomicU64::new(0);

    /// Set when the kernel refuses OFD requests (before Linux 3.15): from
    /// then on every call goes to the system unchanged, as SQLite's default.
    static UNSUPPORTED: AtomicBool = AtomicBool::new(false);

    /// The table, forgetting a parent's entries after a fork. A poisoned lock
    /// is still consistent: nothing below panics between two updates that
    /// belong together (only allocation failure could, and that aborts).
    fn table() -> MutexGuard<'static, Table> {
        let mut table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = FORKS.load(Ordering::SeqCst);
        if table.generation != generation {
            // The child's copies of the lock descriptors were closed by
            // `forget_locks_in_child`; SQLite's own are left as any
            // inherited descriptor is.
            table.by_fd.clear();
            table.files.clear();
            table.generation = generation;
        }
        table
    }

    pub(super) fn install() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            // SAFETY: `sqlite3_vfs_find` initializes SQLite if needed and
            // returns a registered VFS or null; the "unix" VFS is a static
            // that lives as long as the process. `xSetSystemCall` swaps one
            // pointer in the VFS's system call table (shared by every unix
            // VFS variant); we run before carebase opens its first
            // connection, so no file of this SQLite is open yet (a Rust host
            // sharing this SQLite must open carebase first, see the module
            // comment). The replacements have the C signatures SQLite calls
            // them with (see `routed_fcntl` for the variadic one); SQLite
            // stores them as a generic function pointer, as its API
            // prescribes. `pthread_atfork` only registers a handler.
            unsafe {
                let vfs = libsqlite3_sys::sqlite3_vfs_find(c"unix".as_ptr());
                if vfs.is_null() || (*vfs).iVersion < 3 {
                    return;
                }
                let Some(set) = (*vfs).xSetSystemCall else {
                    return;
                };
                let fcntl: unsafe extern "C" fn(c_int, c_int, *mut c_void) -> c_int = routed_fcntl;
                let close: unsafe extern "C" fn(c_int) -> c_int = routed_close;
                let fcntl = std::mem::transmute::<
                    unsafe extern "C" fn(c_int, c_int, *mut c_void) -> c_int,
                    unsafe extern "C" fn(),
                >(fcntl);
                let close = std::mem::transmute::<
                    unsafe extern "C" fn(c_int) -> c_int,
                    unsafe extern "C" fn(),
                >(close);
                if set(vfs, c"close".as_ptr(), Some(close)) != libsqlite3_sys::SQLITE_OK {
                    return;
                }
                if set(vfs, c"fcntl".as_ptr(), Some(fcntl)) != libsqlite3_sys::SQLITE_OK {
                    // Both or neither: restore the default close.
                    set(vfs, c"close".as_ptr(), None);
                    return;
                }
                let child: unsafe extern "C" fn() = forget_locks_in_child;
                libc::pthread_atfork(None, None, Some(child));
            }
        });
    }

    /// SQLite's `fcntl`, with lock requests turned into OFD requests on the
    /// file's lock description; every other command goes to the system as is.
    ///
    /// SQLite calls this through a variadic pointer (`int (*)(int, int, ...)`)
    /// with at most one argument after `cmd`. On the targets this module is
    /// built for (64-bit Linux and Android: x86-64 System V, AAPCS64 on
    /// Linux, RISC-V, ...) a variadic integer or pointer argument is passed
    /// exactly like a named one, so a fixed three-argument function receives
    /// it; an `int` argument arrives in a register read as a pointer and is
    /// passed on to the system's `fcntl` unchanged, as glibc itself does.
    ///
    /// # Safety
    /// Called by SQLite with a descriptor it owns and, for the lock commands,
    /// a pointer to a valid `struct flock`.
    unsafe extern "C" fn routed_fcntl(fd: c_int, cmd: c_int, arg: *mut c_void) -> c_int {
        let ofd_cmd = match cmd {
            libc::F_GETLK => libc::F_OFD_GETLK,
            libc::F_SETLK => libc::F_OFD_SETLK,
            libc::F_SETLKW => libc::F_OFD_SETLKW,
            // SAFETY: the caller's arguments, passed on unchanged.
            _ => return unsafe { libc::fcntl(fd, cmd, arg) },
        };
        if arg.is_null() {
            // SAFETY: as above; the system answers EFAULT.
            return unsafe { libc::fcntl(fd, cmd, arg) };
        }
        let lock_fd = match lock_fd_for(fd) {
            Ok(Some(lock_fd)) => lock_fd,
            // SAFETY: as above (no OFD locks on this kernel).
            Ok(None) => return unsafe { libc::fcntl(fd, cmd, arg) },
            Err(errno) => {
                set_errno(errno);
                return -1;
            }
        };
        let request = arg.cast::<libc::flock>();
        // SAFETY: for the lock commands SQLite passes a valid, aligned
        // `struct flock` (64-bit offsets on 64-bit targets, the layout of
        // `libc::flock`); we read it into a copy.
        let mut lock = unsafe { std::ptr::read(request) };
        // OFD requests must name no process (EINVAL otherwise); SQLite
        // leaves the field uninitialized.
        lock.l_pid = 0;
        // SAFETY: `lock_fd` is open: it is closed only once no descriptor of
        // its file asks for locks, and `fd` (open, since SQLite is using it)
        // is one that does. `lock` is a valid `struct flock`.
        let rc = unsafe { libc::fcntl(lock_fd, ofd_cmd, &mut lock as *mut libc::flock) };
        if rc == 0 && cmd == libc::F_GETLK {
            // SAFETY: the caller's struct, valid as read above; it receives
            // the conflicting lock (or F_UNLCK) as F_GETLK would report it.
            unsafe { std::ptr::write(request, lock) };
        }
        rc
    }

    /// The lock description of `fd`'s file, opened on its first request;
    /// `None` when the kernel has no OFD locks; an errno when the description
    /// cannot be opened (the lock request then fails, rather than mixing
    /// POSIX and OFD locks on one file).
    fn lock_fd_for(fd: c_int) -> Result<Option<c_int>, c_int> {
        if UNSUPPORTED.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let mut table = table();
        if let Some(key) = table.by_fd.get(&fd).copied() {
            if let Some(file) = table.files.get(&key) {
                return Ok(Some(file.lock_fd));
            }
        }
        let key = file_key(fd)?;
        if let Some(file) = table.files.get_mut(&key) {
            file.users += 1;
            let lock_fd = file.lock_fd;
            table.by_fd.insert(fd, key);
            return Ok(Some(lock_fd));
        }
        let lock_fd = open_lock_fd(fd, key)?;
        if !ofd_locks_work(lock_fd)? {
            UNSUPPORTED.store(true, Ordering::SeqCst);
            close_quietly(lock_fd);
            return Ok(None);
        }
        table.files.insert(key, LockFile { lock_fd, users: 1 });
        table.by_fd.insert(fd, key);
        Ok(Some(lock_fd))
    }

    /// SQLite's `close`: when the last descriptor of a file that asked for
    /// locks is closed, the file's lock description is closed too, releasing
    /// whatever locks are left, as closing it would with POSIX locks.
    ///
    /// # Safety
    /// Called by SQLite with a descriptor it owns and no longer uses.
    unsafe extern "C" fn routed_close(fd: c_int) -> c_int {
        if !UNSUPPORTED.load(Ordering::SeqCst) {
            let mut table = table();
            if let Some(key) = table.by_fd.remove(&fd) {
                let last = match table.files.get_mut(&key) {
                    Some(file) => {
                        file.users = file.users.saturating_sub(1);
                        file.users == 0
                    }
                    None => false,
                };
                if last {
                    if let Some(file) = table.files.remove(&key) {
                        close_quietly(file.lock_fd);
                    }
                }
            }
        }
        // SAFETY: the caller's descriptor, closed as SQLite asked. The table
        // guard is gone, so errno is the close's own.
        unsafe { libc::close(fd) }
    }

    /// Closes this child's copies of the lock descriptors after a fork, so
    /// the parent's locks end with the parent; the child's first lock starts
    /// a new table. If another thread held the table at the fork, its copies
    /// stay open in the child (nothing else is safe to do there).
    extern "C" fn forget_locks_in_child() {
        FORKS.fetch_add(1, Ordering::SeqCst);
        let table = match TABLE.try_lock() {
            Ok(table) => table,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        for file in table.files.values() {
            close_quietly(file.lock_fd);
        }
    }

    /// The device and inode of an open descriptor.
    #[allow(clippy::unnecessary_cast)] // dev_t and ino_t differ per target
    fn file_key(fd: c_int) -> Result<FileKey, c_int> {
        let mut stat = MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `stat` is a writable buffer of the right type; fstat
        // fills it when it returns 0.
        let rc = unsafe { libc::fstat(fd, stat.as_mut_ptr()) };
        if rc != 0 {
            return Err(errno());
        }
        // SAFETY: fstat succeeded, so `stat` is initialized.
        let stat = unsafe { stat.assume_init() };
        Ok((stat.st_dev as u64, stat.st_ino as u64))
    }

    /// A new open file description of `fd`'s file, read-write when the file
    /// allows it (so any connection, read-only or not, can lock through it),
    /// close-on-exec and above the standard descriptors (a stray write to
    /// fd 2 must never land in a database). Reopened through `/proc` so it
    /// is not `fd`'s own description; without `/proc`, a duplicate of `fd`
    /// (then SQLite's descriptor shares the description: its mode limits the
    /// locks, and a forked child keeps them alive until it closes both).
    fn open_lock_fd(fd: c_int, key: FileKey) -> Result<c_int, c_int> {
        if let Ok(path) = CString::new(format!("/proc/self/fd/{fd}")) {
            let flags = libc::O_RDWR | libc::O_CLOEXEC | libc::O_NOCTTY;
            let reopened = loop {
                // SAFETY: `path` is a NUL-terminated string; open has no
                // other preconditions.
                let reopened = unsafe { libc::open(path.as_ptr(), flags) };
                if reopened >= 0 || errno() != libc::EINTR {
                    break reopened;
                }
            };
            if reopened >= 0 {
                let lock_fd = above_standard(reopened);
                match lock_fd.and_then(file_key) {
                    Ok(found) if found == key => return lock_fd,
                    _ => {
                        if let Ok(lock_fd) = lock_fd {
                            close_quietly(lock_fd);
                        }
                    }
                }
            }
        }
        // SAFETY: F_DUPFD_CLOEXEC on a descriptor SQLite owns and is using.
        let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
        if dup < 0 {
            return Err(errno());
        }
        Ok(dup)
    }

    /// `fd` itself when it is above 2, else a close-on-exec duplicate above 2
    /// (and `fd` closed).
    fn above_standard(fd: c_int) -> Result<c_int, c_int> {
        if fd > 2 {
            return Ok(fd);
        }
        // SAFETY: `fd` was just opened by us.
        let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
        let result = if dup < 0 { Err(errno()) } else { Ok(dup) };
        close_quietly(fd);
        result
    }

    /// Whether the kernel takes OFD requests (Linux 3.15 and later): a probe
    /// on a fresh lock description, which holds no locks yet.
    fn ofd_locks_work(lock_fd: c_int) -> Result<bool, c_int> {
        // SAFETY: `flock` is plain data; all-zero is a valid value.
        let mut probe: libc::flock = unsafe { std::mem::zeroed() };
        probe.l_type = libc::F_RDLCK as libc::c_short;
        probe.l_whence = libc::SEEK_SET as libc::c_short;
        // SAFETY: `lock_fd` is our open descriptor, `probe` a valid flock.
        let rc = unsafe { libc::fcntl(lock_fd, libc::F_OFD_GETLK, &mut probe as *mut libc::flock) };
        match rc {
            0 => Ok(true),
            _ if errno() == libc::EINVAL => Ok(false),
            _ => Err(errno()),
        }
    }

    /// Closes one of our own descriptors; there is nothing to do about a
    /// failure (the descriptor is gone either way on Linux).
    fn close_quietly(fd: c_int) {
        // SAFETY: `fd` is a descriptor this module opened and nothing else
        // uses.
        unsafe { libc::close(fd) };
    }

    fn errno() -> c_int {
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO)
    }

    fn set_errno(value: c_int) {
        // SAFETY: the thread's errno location, valid for the thread's life.
        unsafe {
            #[cfg(target_os = "android")]
            {
                *libc::__errno() = value;
            }
            #[cfg(not(target_os = "android"))]
            {
                *libc::__errno_location() = value;
            }
        }
    }
}
