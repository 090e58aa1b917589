//! The SQLite engine under [`super::SqliteStore`]: ONE writer thread owning
//! the write connection, a few read connections used on the caller's
//! thread, and a checkpointer.
//!
//! **Group commit.** Writes are jobs sent to the writer. It takes the first
//! waiting job, opens `BEGIN IMMEDIATE`, and runs it inside a `SAVEPOINT`;
//! jobs that arrive meanwhile join the same transaction, each in its own
//! savepoint (at most [`MAX_BATCH`] jobs or [`MAX_BATCH_TIME`] of work), so
//! a job that fails rolls back alone and the others stay. Then one `COMMIT`
//! (one WAL sync for the whole batch), and only then is every caller
//! answered: nobody hears `Ok` for a change that is not durable. A failed
//! COMMIT fails every job of the batch with its error (nothing of it was
//! written; the kind tells the caller whether retrying helps). Reads' audit
//! entries are change sets like any other, so a read returns only after its
//! audit entry committed.
//!
//! **Failure.** A job that panics is rolled back to its savepoint and its
//! caller hears `closed` (its answer channel is dropped); if the writer
//! thread itself ever stops, every waiting and later caller hears `closed`
//! too, never hangs.
//!
//! **Reads** run on the caller's thread on a pooled read connection (WAL
//! lets them run beside the writer, and no thread hop is paid per read). An
//! in-memory database has one connection only: its reads use the writer's
//! connection under its lock.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use carebase::{Error, Result};

use super::error::{closed, db_error};

/// Most jobs in one write transaction.
pub(crate) const MAX_BATCH: usize = 256;

/// Most time the writer keeps adding jobs to one transaction before it
/// commits (callers wait for the commit, so this bounds their extra wait).
pub(crate) const MAX_BATCH_TIME: Duration = Duration::from_millis(10);

/// Read connections kept open between reads.
pub(crate) const READ_CONNECTIONS: usize = 4;

/// How often the checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// What the writer hands back after running a job inside its savepoint:
/// whether to keep its writes, and how to answer its caller once the
/// transaction's fate (commit or not) is known.
pub(crate) struct Ran {
    keep: bool,
    answer: Box<dyn FnOnce(Result<()>) + Send>,
}

/// A write: runs on the writer thread, inside the batch's transaction
/// (`None` when no transaction could be had: the job then only builds the
/// answer that carries that failure to its caller).
type Job = Box<dyn FnOnce(Option<&mut Connection>) -> Ran + Send>;

/// How a caller is answered once its transaction's fate is known.
type Answer = Box<dyn FnOnce(Result<()>) + Send>;

/// Opens one more connection to the database (reads, the checkpointer).
pub(crate) type Opener = Box<dyn Fn() -> Result<Connection> + Send + Sync>;

/// A queued job's answer to come (`None`: the writer was gone).
pub(crate) type Pending<T> = Option<tokio::sync::oneshot::Receiver<Result<T>>>;

/// Waits for a queued job's answer; a writer that is gone (closed, or its
/// thread stopped) answers `closed`, never hangs the caller.
pub(crate) async fn answer<T>(operation: &'static str, pending: Pending<T>) -> Result<T> {
    match pending {
        Some(answered) => answered.await.unwrap_or_else(|_| Err(closed(operation))),
        None => Err(closed(operation)),
    }
}

/// Shared by the store's handle, the writer and the checkpointer.
struct Shared {
    /// The writer's connection (`None` once closed); reads of an in-memory
    /// database lock it too.
    write: Mutex<Option<Connection>>,
    /// Idle read connections (file databases only).
    readers: Mutex<Vec<Connection>>,
    /// Opens a read connection; `None` for an in-memory database.
    open_reader: Option<Opener>,
    /// Set once the store is closed: calls fail with `closed`.
    closed: AtomicBool,
    /// Write transactions committed (tests observe grouping).
    commits: AtomicU64,
    /// Whether something was committed since the last checkpoint.
    dirty: AtomicBool,
    /// Test hook: while `true`, the writer waits before each COMMIT.
    hold: (Mutex<bool>, Condvar),
}

/// The running engine: the queue to the writer and the threads.
pub(crate) struct Engine {
    shared: Arc<Shared>,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stop_checkpointer: Mutex<Option<mpsc::Sender<()>>>,
}

/// Locks a mutex whose data stays valid after a panic elsewhere (a
/// connection, a list of connections, a flag).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Engine {
    /// Starts the writer (and, for a file, the checkpointer) over `write`.
    pub(crate) fn start(write: Connection, open_reader: Option<Opener>) -> Result<Self> {
        let file = open_reader.is_some();
        let shared = Arc::new(Shared {
            write: Mutex::new(Some(write)),
            readers: Mutex::new(Vec::new()),
            open_reader,
            closed: AtomicBool::new(false),
            commits: AtomicU64::new(0),
            dirty: AtomicBool::new(false),
            hold: (Mutex::new(false), Condvar::new()),
        });
        let (send, receive) = mpsc::channel::<Job>();
        let writer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("carebase-sqlite-writer".into())
                .spawn(move || write_loop(&shared, &receive))
                .map_err(|_| closed("start"))?
        };
        let mut threads = vec![writer];
        let mut stop_checkpointer = None;
        if file {
            let (stop, stopped) = mpsc::channel::<()>();
            let shared = shared.clone();
            if let Ok(thread) = std::thread::Builder::new()
                .name("carebase-sqlite-checkpoint".into())
                .spawn(move || checkpoint_loop(&shared, &stopped))
            {
                threads.push(thread);
                stop_checkpointer = Some(stop);
            }
        }
        Ok(Self {
            shared,
            jobs: Mutex::new(Some(send)),
            threads: Mutex::new(threads),
            stop_checkpointer: Mutex::new(stop_checkpointer),
        })
    }

    /// Runs `work` on the writer inside the next write transaction (in a
    /// savepoint of its own) and answers once that transaction committed.
    /// An `Err` from `work` rolls back its own writes only.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        answer(operation, self.submit(operation, work)).await
    }

    /// Queues `work` for the writer without waiting; [`answer`] waits for
    /// its outcome. Jobs queued one after another keep their order.
    pub(crate) fn submit<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Pending<T> {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |conn| {
            let done = conn.map(work);
            Ran {
                keep: matches!(done, Some(Ok(_))),
                answer: Box::new(move |commit| {
                    let answer_with = match done {
                        Some(done) => done.and_then(|value| commit.map(|()| value)),
                        None => Err(commit.err().unwrap_or_else(|| closed(operation))),
                    };
                    let _ = answer.send(answer_with);
                }),
            }
        });
        let jobs = lock(&self.jobs);
        match jobs.as_ref().map(|jobs| jobs.send(job)) {
            Some(Ok(())) => Some(answered),
            _ => None,
        }
    }

    /// Runs `read` on a read connection on this thread (the writer's
    /// connection for an in-memory database).
    pub(crate) fn read<T>(
        &self,
        operation: &'static str,
        read: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        let shared = &self.shared;
        if shared.closed.load(Ordering::Acquire) {
            return Err(closed(operation));
        }
        let Some(open) = &shared.open_reader else {
            return match lock(&shared.write).as_ref() {
                Some(conn) => read(conn),
                None => Err(closed(operation)),
            };
        };
        let idle = lock(&shared.readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open()?,
        };
        let result = read(&conn);
        let mut readers = lock(&shared.readers);
        if readers.len() < READ_CONNECTIONS && !shared.closed.load(Ordering::Acquire) {
            readers.push(conn);
        }
        result
    }

    /// Stops taking work, lets the writer finish what is queued, waits for
    /// the threads and closes every connection.
    pub(crate) fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        lock(&self.jobs).take();
        lock(&self.stop_checkpointer).take();
        self.hold_commits(false);
        let threads: Vec<JoinHandle<()>> = lock(&self.threads).drain(..).collect();
        for thread in threads {
            let _ = thread.join();
        }
        lock(&self.shared.readers).clear();
        lock(&self.shared.write).take();
    }

    /// Write transactions committed so far.
    pub(crate) fn commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Acquire)
    }

    /// Test hook: while held, the writer waits before each COMMIT.
    pub(crate) fn hold_commits(&self, hold: bool) {
        let (flag, changed) = &self.shared.hold;
        *lock(flag) = hold;
        changed.notify_all();
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.close();
    }
}

/// The writer: one transaction per batch of waiting jobs, until the store
/// is closed (every sender dropped).
fn write_loop(shared: &Shared, jobs: &mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut guard = lock(&shared.write);
        let Some(conn) = guard.as_mut() else {
            drop(guard);
            (first(None).answer)(Err(closed("apply")));
            continue;
        };
        let mut answers: Vec<Answer> = Vec::new();
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Not one write can happen now (another process held the lock
            // past the busy timeout): this job fails, the next ones retry.
            let error = db_error("apply")(e);
            drop(guard);
            (first(None).answer)(Err(error));
            continue;
        }
        let started = Instant::now();
        let mut broken: Option<Error> = None;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            let (answer, failed) = in_savepoint(conn, job);
            answers.push(answer);
            if let Some(error) = failed {
                broken = Some(error);
                break;
            }
            if conn.is_autocommit() {
                // SQLite rolled the whole transaction back (disk full, I/O).
                broken = Some(crate::failure::detected(
                    "sqlite",
                    "apply",
                    carebase::StorageKind::Unavailable,
                    "the write transaction was rolled back by sqlite",
                ));
                break;
            }
            if answers.len() < MAX_BATCH && started.elapsed() < MAX_BATCH_TIME {
                next = jobs.try_recv().ok();
            }
        }
        let outcome = match broken {
            Some(error) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(error)
            }
            None => {
                wait_while_held(shared);
                match conn.execute_batch("COMMIT") {
                    Ok(()) => {
                        shared.commits.fetch_add(1, Ordering::AcqRel);
                        shared.dirty.store(true, Ordering::Release);
                        Ok(())
                    }
                    Err(e) => {
                        let error = db_error("commit")(e);
                        let _ = conn.execute_batch("ROLLBACK");
                        Err(error)
                    }
                }
            }
        };
        drop(guard);
        for answer in answers {
            answer(outcome.clone());
        }
    }
}

/// Runs `job` in a savepoint of the open transaction: kept (released) when
/// it succeeded, rolled back to when it failed or panicked. A failure
/// beside the answer means the savepoint itself could not be set or undone:
/// the transaction can no longer be trusted and the batch fails whole.
fn in_savepoint(conn: &mut Connection, job: Job) -> (Answer, Option<Error>) {
    if let Err(e) = conn.execute_batch("SAVEPOINT job") {
        return (job(None).answer, Some(db_error("apply")(e)));
    }
    let (keep, answer) = match catch_unwind(AssertUnwindSafe(|| job(Some(&mut *conn)))) {
        Ok(ran) => (ran.keep, ran.answer),
        // The job's answer channel was dropped while unwinding: its caller
        // hears `closed`.
        Err(_) => (false, Box::new(|_| ()) as Answer),
    };
    let undone = if keep {
        conn.execute_batch("RELEASE job")
    } else {
        conn.execute_batch("ROLLBACK TO job; RELEASE job")
    };
    (answer, undone.err().map(|e| db_error("apply")(e)))
}

/// Test hook: waits while commits are held.
fn wait_while_held(shared: &Shared) {
    let (flag, changed) = &shared.hold;
    let mut held = lock(flag);
    while *held {
        held = changed.wait(held).unwrap_or_else(|e| e.into_inner());
    }
}

/// Copies the WAL into the database off the request path, so no request
/// pays for a checkpoint's fsyncs. PASSIVE never blocks readers or the
/// writer; a failed checkpoint is retried on the next tick.
fn checkpoint_loop(shared: &Shared, stop: &mpsc::Receiver<()>) {
    let Some(open) = &shared.open_reader else {
        return;
    };
    let Ok(conn) = open() else {
        return;
    };
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        if shared.dirty.swap(false, Ordering::AcqRel) {
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
        }
    }
}
