//! The SQLite engine under [`super::SqliteStore`]: ONE write connection
//! taken in turns, a few read connections used on the caller's thread, a
//! writer thread for the turns no caller takes, and a checkpointer.
//!
//! **Group commit, leader and followers.** A write is a job put on a queue.
//! A caller that finds the write connection idle takes the turn itself and
//! runs the batch on its own thread (the leader): `BEGIN IMMEDIATE`, its
//! job inside a `SAVEPOINT`, then every job queued meanwhile, each in its
//! own savepoint (at most [`MAX_BATCH`] jobs or [`MAX_BATCH_TIME`] of
//! work), so a job that fails rolls back alone and the others stay. Then
//! one `COMMIT` (one WAL write for the whole batch), and only then is every
//! caller answered: nobody hears `Ok` for a change that is not durable. A
//! failed COMMIT fails every job of the batch with its error (nothing of it
//! was written; the kind tells the caller whether retrying helps). Callers
//! that find the turn taken queue their job and wait; when a leader is done
//! and jobs wait, the writer thread takes the turn and runs batches until
//! the queue is empty, so a leader is never kept past its own batch and
//! nobody waits for a caller that is gone. An uncontended write thus costs
//! no thread hop at all; under contention one hop per batch. Reads' audit
//! entries are change sets like any other, so a read returns only after
//! its audit entry committed.
//!
//! A leader blocks its thread for one batch, as reads do: SQLite's calls do
//! not wait on anything of the runtime's, and a batch is bounded.
//!
//! **Failure.** A job that panics is rolled back to its savepoint and its
//! caller hears `closed` (its answer channel is dropped). If the writer
//! thread itself ever stops, the store closes: every waiting and later
//! caller hears `closed`, never hangs.
//!
//! **Reads** run on the caller's thread on a pooled read connection (WAL
//! lets them run beside the writer, and no thread hop is paid per read). An
//! in-memory database has one connection only: its reads use the write
//! connection under its lock.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use carebase::{Error, Result};

use super::error::{closed, db_error};

/// Most jobs in one write transaction.
pub(crate) const MAX_BATCH: usize = 256;

/// Most time a batch keeps adding jobs to one transaction before it
/// commits (callers wait for the commit, so this bounds their extra wait).
pub(crate) const MAX_BATCH_TIME: Duration = Duration::from_millis(10);

/// Read connections kept open between reads.
pub(crate) const READ_CONNECTIONS: usize = 4;

/// How often the checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// WAL frames (pages) past which the checkpointer restarts the WAL from its
/// beginning even while commits keep coming (16 MiB of 4 KiB pages),
/// holding the writer for the last, small copy.
pub(crate) const RESTART_AFTER_FRAMES: u32 = 4096;

/// The size, in bytes, SQLite cuts the WAL file back to when it writes it
/// from its beginning again: eight times the restart size (128 MiB at
/// [`RESTART_AFTER_FRAMES`], twice the writer's 64 MiB safety net), so only
/// a WAL that a long reader or a burst grew far past its usual size gives
/// the disk back. Not less: under a sustained stream of audited searches
/// the WAL runs at 80–100 MiB, and a 32 MiB limit cut it back every cycle;
/// growing the file again cost those searches' p99 (page 50: 5–8 ms
/// became 20–100 ms), where reusing it costs nothing.
pub(crate) fn wal_size_limit(restart_after: u32) -> i64 {
    8 * i64::from(restart_after) * 4096
}

/// Copies the checkpointer makes back to back, off the writer's turn, while
/// the WAL is past [`RESTART_AFTER_FRAMES`]: each takes what was committed
/// during the one before.
const CATCH_UP_ROUNDS: usize = 8;

/// The most frames a catch-up copy may have taken for the checkpointer to
/// hold the writer for the next (2 MiB): that copy takes what was committed
/// meanwhile, so it is about as small, and one commit waits for it and its
/// two syncs.
const SMALL_COPY_FRAMES: i64 = 512;

/// How soon the checkpointer comes back while the WAL is past
/// [`RESTART_AFTER_FRAMES`] and its copies have not caught up.
const CATCH_UP_EVERY: Duration = Duration::from_millis(10);

/// How long a restarting checkpoint sleeps each time a reader still reads
/// the WAL's frames, and how many times it sleeps before it gives up (and
/// lets the writer go): the writer is held at most about
/// `READER_WAIT_STEP × READER_WAIT_TRIES` for readers.
const READER_WAIT_STEP: Duration = Duration::from_micros(100);
const READER_WAIT_TRIES: i32 = 20;

/// What a job hands back after running inside its savepoint: whether to
/// keep its writes, and how to answer its caller once the transaction's
/// fate (commit or not) is known.
pub(crate) struct Ran {
    keep: bool,
    answer: Box<dyn FnOnce(Result<()>) + Send>,
}

/// A write: runs inside a batch's transaction on whichever thread holds the
/// turn (`None` when no transaction could be had: the job then only builds
/// the answer that carries that failure to its caller).
type Job = Box<dyn FnOnce(Option<&mut Connection>) -> Ran + Send>;

/// How a caller is answered once its transaction's fate is known.
type Answer = Box<dyn FnOnce(Result<()>) + Send>;

/// Opens one more connection to the database (reads, the checkpointer).
pub(crate) type Opener = Box<dyn Fn() -> Result<Connection> + Send + Sync>;

/// A queued job's answer to come.
type Pending<T> = tokio::sync::oneshot::Receiver<Result<T>>;

/// Waits for a queued job's answer; a job dropped unanswered (it panicked,
/// or the store closed under it) answers `closed`, never hangs the caller.
async fn answer<T>(operation: &'static str, pending: Pending<T>) -> Result<T> {
    pending.await.unwrap_or_else(|_| Err(closed(operation)))
}

/// Who holds the write connection's turn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Turn {
    /// Nobody: the next caller leads. The queue is empty.
    Idle,
    /// A caller runs a batch on its own thread.
    Caller,
    /// The writer thread runs batches until the queue is empty.
    Writer,
}

/// The jobs waiting for the write connection and whose turn it is.
struct Queue {
    jobs: VecDeque<Job>,
    turn: Turn,
    /// No job is taken any more (the store closed, or its writer stopped).
    closed: bool,
}

/// Shared by the store's handle, the writer and the checkpointer.
struct Shared {
    /// The write connection (`None` once closed); reads of an in-memory
    /// database lock it too.
    write: Mutex<Option<Connection>>,
    /// Waiting jobs and the turn. Locked after `write`, never before it.
    queue: Mutex<Queue>,
    /// Wakes the writer thread when the turn is handed to it or the store
    /// closes.
    wake: Condvar,
    /// Idle read connections (file databases only).
    readers: Mutex<Vec<Connection>>,
    /// Opens a read connection; `None` for an in-memory database.
    open_reader: Option<Opener>,
    /// Set once the store is closed: reads fail with `closed`.
    closed: AtomicBool,
    /// Write transactions committed (tests observe grouping).
    commits: AtomicU64,
    /// Whether something was committed since the last checkpoint.
    dirty: AtomicBool,
    /// Test hook: while `true`, every batch waits before its COMMIT.
    hold: (Mutex<bool>, Condvar),
    /// Test hook: batches waiting before their COMMIT while held.
    held: AtomicU64,
    /// How long, in microseconds, a batch keeps adding jobs
    /// ([`MAX_BATCH_TIME`]; a test hook lengthens it so a loaded machine
    /// cannot split a batch the test counts).
    batch_time: AtomicU64,
    /// WAL frames past which the checkpointer restarts the WAL
    /// ([`RESTART_AFTER_FRAMES`]; a test hook lowers it).
    restart_after: AtomicU32,
}

/// The running engine: the shared state and the threads.
pub(crate) struct Engine {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stop_checkpointer: Mutex<Option<mpsc::Sender<()>>>,
}

/// Locks a mutex whose data stays valid after a panic elsewhere (a
/// connection, a list of connections or jobs, a flag).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A job running `work` and answering through a oneshot channel once its
/// transaction's fate is known.
fn job_of<T: Send + 'static>(
    operation: &'static str,
    work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
) -> (Job, Pending<T>) {
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
    (job, answered)
}

impl Engine {
    /// Starts the writer thread (and, for a file, the checkpointer) over
    /// `write`.
    pub(crate) fn start(write: Connection, open_reader: Option<Opener>) -> Result<Self> {
        let file = open_reader.is_some();
        let shared = Arc::new(Shared {
            write: Mutex::new(Some(write)),
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                turn: Turn::Idle,
                closed: false,
            }),
            wake: Condvar::new(),
            readers: Mutex::new(Vec::new()),
            open_reader,
            closed: AtomicBool::new(false),
            commits: AtomicU64::new(0),
            dirty: AtomicBool::new(false),
            hold: (Mutex::new(false), Condvar::new()),
            held: AtomicU64::new(0),
            batch_time: AtomicU64::new(MAX_BATCH_TIME.as_micros() as u64),
            restart_after: AtomicU32::new(RESTART_AFTER_FRAMES),
        });
        let writer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("carebase-sqlite-writer".into())
                .spawn(move || write_loop(&shared))
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
            threads: Mutex::new(threads),
            stop_checkpointer: Mutex::new(stop_checkpointer),
        })
    }

    /// Runs `work` inside the next write transaction (in a savepoint of its
    /// own) and answers once that transaction committed. On this thread
    /// when the write connection is idle, else in the batch of whoever
    /// holds the turn. An `Err` from `work` rolls back its own writes only.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (job, pending) = job_of(operation, work);
        if !self.enqueue(vec![job]) {
            return Err(closed(operation));
        }
        answer(operation, pending).await
    }

    /// [`Self::write`] for many jobs at once, answered in order: queued
    /// together (in their order), so they share batches.
    pub(crate) async fn write_each<T: Send + 'static, W>(
        &self,
        operation: &'static str,
        works: Vec<W>,
    ) -> Vec<Result<T>>
    where
        W: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (jobs, pending): (Vec<Job>, Vec<Pending<T>>) = works
            .into_iter()
            .map(|work| job_of(operation, work))
            .unzip();
        if !self.enqueue(jobs) {
            return pending.iter().map(|_| Err(closed(operation))).collect();
        }
        let mut answers = Vec::with_capacity(pending.len());
        for pending in pending {
            answers.push(answer(operation, pending).await);
        }
        answers
    }

    /// Queues `jobs`; when the write connection was idle, this thread takes
    /// the turn and runs one batch (beginning with the first of `jobs`)
    /// before it returns. `false` (nothing queued) once the store closed.
    fn enqueue(&self, jobs: Vec<Job>) -> bool {
        let shared = &self.shared;
        let lead = {
            let mut queue = lock(&shared.queue);
            if queue.closed {
                return false;
            }
            queue.jobs.extend(jobs);
            let idle = queue.turn == Turn::Idle;
            if idle {
                queue.turn = Turn::Caller;
            }
            idle
        };
        if lead {
            let turn = CallerTurn(shared);
            let first = lock(&shared.queue).jobs.pop_front();
            if let Some(first) = first {
                run_batch(shared, first);
            }
            drop(turn);
        }
        true
    }

    /// Runs `read` on a read connection on this thread (the write
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

    /// Stops taking work, lets the jobs already queued finish, waits for
    /// the threads and closes every connection.
    pub(crate) fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        lock(&self.shared.queue).closed = true;
        self.shared.wake.notify_all();
        lock(&self.stop_checkpointer).take();
        self.hold_commits(false);
        let threads: Vec<JoinHandle<()>> = lock(&self.threads).drain(..).collect();
        for thread in threads {
            let _ = thread.join();
        }
        lock(&self.shared.readers).clear();
        lock(&self.shared.write).take();
    }

    /// Runs `work` on the write connection between batches (outside any
    /// transaction), for settings SQLite refuses inside one.
    pub(crate) fn between_batches<T>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        match lock(&self.shared.write).as_ref() {
            Some(conn) => work(conn).map_err(db_error("configure")),
            None => Err(closed("configure")),
        }
    }

    /// Write transactions committed so far.
    pub(crate) fn commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Acquire)
    }

    /// Test hook: batches waiting before their COMMIT, and jobs queued
    /// for the write connection, so a test waits for a state instead of
    /// sleeping a fixed time.
    pub(crate) fn waiting(&self) -> (u64, usize) {
        let held = self.shared.held.load(Ordering::Acquire);
        (held, lock(&self.shared.queue).jobs.len())
    }

    /// Test hook: how long a batch keeps adding queued jobs.
    pub(crate) fn set_batch_time(&self, time: Duration) {
        let micros = u64::try_from(time.as_micros()).unwrap_or(u64::MAX);
        self.shared.batch_time.store(micros, Ordering::Relaxed);
    }

    /// Test hook: WAL frames past which the checkpointer restarts the WAL.
    /// The WAL file's size limit follows it ([`wal_size_limit`]).
    pub(crate) fn set_restart_after(&self, frames: u32) -> Result<()> {
        self.shared.restart_after.store(frames, Ordering::Relaxed);
        match lock(&self.shared.write).as_ref() {
            Some(conn) => conn
                .execute_batch(&format!(
                    "PRAGMA journal_size_limit = {}",
                    wal_size_limit(frames)
                ))
                .map_err(db_error("connect")),
            None => Err(closed("connect")),
        }
    }

    /// Test hook: while held, every batch waits before its COMMIT.
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

/// A caller's turn at the write connection. Ending it (also by unwinding)
/// hands the jobs that queued meanwhile to the writer thread, or leaves the
/// connection idle for the next caller.
///
/// The writer thread is woken only when it has something to do: jobs to
/// run, or a closing store's turn to see end. Waking it after every
/// uncontended write cost that write a futex wake and, on a busy two-core
/// machine, a context switch: issue 12 measured it in the register p50.
struct CallerTurn<'s>(&'s Shared);

impl Drop for CallerTurn<'_> {
    fn drop(&mut self) {
        let mut queue = lock(&self.0.queue);
        let hand_over = !queue.jobs.is_empty();
        queue.turn = if hand_over { Turn::Writer } else { Turn::Idle };
        let closing = queue.closed;
        drop(queue);
        if hand_over || closing {
            self.0.wake.notify_all();
        }
    }
}

/// Closes the store when the writer thread stops, however it stops: the
/// jobs still queued are dropped (their callers hear `closed`) and no job
/// is taken any more.
struct WriterGone<'s>(&'s Shared);

impl Drop for WriterGone<'_> {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        let dropped = {
            let mut queue = lock(&self.0.queue);
            queue.closed = true;
            std::mem::take(&mut queue.jobs)
        };
        drop(dropped);
    }
}

/// The writer thread: runs batches whenever a caller's turn ended with
/// jobs waiting, until the store is closed and its queue empty.
fn write_loop(shared: &Shared) {
    let _gone = WriterGone(shared);
    loop {
        let first = {
            let mut queue = lock(&shared.queue);
            loop {
                if queue.turn == Turn::Writer {
                    match queue.jobs.pop_front() {
                        Some(job) => break job,
                        None => queue.turn = Turn::Idle,
                    }
                }
                if queue.closed && queue.turn == Turn::Idle {
                    return;
                }
                queue = shared.wake.wait(queue).unwrap_or_else(|e| e.into_inner());
            }
        };
        run_batch(shared, first);
    }
}

/// One write transaction: `first`, then the jobs queued behind it (at most
/// [`MAX_BATCH`] or [`MAX_BATCH_TIME`]), each in its savepoint, one COMMIT,
/// then every caller answered. Runs on whichever thread holds the turn.
fn run_batch(shared: &Shared, first: Job) {
    let mut guard = lock(&shared.write);
    let Some(conn) = guard.as_mut() else {
        drop(guard);
        (first(None).answer)(Err(closed("apply")));
        return;
    };
    if !conn.is_autocommit() {
        // A batch that unwound past its COMMIT left its transaction open:
        // none of it was answered as written, so it is undone.
        let _ = conn.execute_batch("ROLLBACK");
    }
    let mut answers: Vec<Answer> = Vec::new();
    if let Err(e) = control(conn, "BEGIN IMMEDIATE") {
        // Not one write can happen now (another process held the lock
        // past the busy timeout): this job fails, the next ones retry.
        let error = db_error("apply")(e);
        drop(guard);
        (first(None).answer)(Err(error));
        return;
    }
    let started = Instant::now();
    let batch_time = Duration::from_micros(shared.batch_time.load(Ordering::Relaxed));
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
        if answers.len() < MAX_BATCH && started.elapsed() < batch_time {
            next = lock(&shared.queue).jobs.pop_front();
        }
    }
    let outcome = match broken {
        Some(error) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(error)
        }
        None => {
            wait_while_held(shared);
            match control(conn, "COMMIT") {
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

/// Runs `job` in a savepoint of the open transaction: kept (released) when
/// it succeeded, rolled back to when it failed or panicked. A failure
/// beside the answer means the savepoint itself could not be set or undone:
/// the transaction can no longer be trusted and the batch fails whole.
fn in_savepoint(conn: &mut Connection, job: Job) -> (Answer, Option<Error>) {
    if let Err(e) = control(conn, "SAVEPOINT job") {
        return (job(None).answer, Some(db_error("apply")(e)));
    }
    let (keep, answer) = match catch_unwind(AssertUnwindSafe(|| job(Some(&mut *conn)))) {
        Ok(ran) => (ran.keep, ran.answer),
        // The job's answer channel was dropped while unwinding: its caller
        // hears `closed`.
        Err(_) => (false, Box::new(|_| ()) as Answer),
    };
    let undone = if keep {
        control(conn, "RELEASE job")
    } else {
        conn.execute_batch("ROLLBACK TO job; RELEASE job")
    };
    (answer, undone.err().map(|e| db_error("apply")(e)))
}

/// Runs a transaction-control statement (`BEGIN`, `SAVEPOINT`, `RELEASE`,
/// `COMMIT`) on a cached prepared statement: every change set runs four of
/// them, and parsing each anew was carebase's cost, not SQLite's.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Test hook: waits while commits are held.
fn wait_while_held(shared: &Shared) {
    let (flag, changed) = &shared.hold;
    let mut held = lock(flag);
    if !*held {
        return;
    }
    shared.held.fetch_add(1, Ordering::AcqRel);
    while *held {
        held = changed.wait(held).unwrap_or_else(|e| e.into_inner());
    }
    shared.held.fetch_sub(1, Ordering::AcqRel);
}

/// Copies the WAL into the database off the request path, and restarts
/// it from its beginning so it stays small.
///
/// Each tick after a commit, a PASSIVE checkpoint copies the WAL into the
/// database without blocking the writer or readers. SQLite writes a new
/// transaction at the WAL's beginning only when everything in it was copied
/// when that transaction began; under a steady stream of commits a copy
/// seldom catches the end (commits land while it runs), so the WAL grew
/// until the writer's own safety-net checkpoint made one commit pay for a
/// large copy and its syncs. So the checkpointer restarts it:
/// - for free when a copy caught the end and nothing was committed since
///   (checked holding the write connection, so nothing commits meanwhile);
/// - past [`RESTART_AFTER_FRAMES`], it copies back to back (at most
///   [`CATCH_UP_ROUNDS`], each taking what was committed during the one
///   before); once a copy was small ([`SMALL_COPY_FRAMES`]), it holds the
///   write connection for a RESTART checkpoint, which copies the rest
///   (about as small: its two syncs are what one commit may wait for) and
///   waits, briefly, for readers still reading the WAL's frames. When the
///   copies do not shrink (commits outpace them), nothing is held and the
///   checkpointer comes back soon; the safety net stays.
///
/// A failed checkpoint is retried on the next tick.
fn checkpoint_loop(shared: &Shared, stop: &mpsc::Receiver<()>) {
    let Some(open) = &shared.open_reader else {
        return;
    };
    let Ok(conn) = open() else {
        return;
    };
    // Only a RESTART checkpoint waits (for the write lock, which it gets at
    // once holding the write connection, and for readers): briefly.
    if conn.busy_handler(Some(wait_briefly)).is_err() {
        return;
    }
    let mut next = CHECKPOINT_EVERY;
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(next) {
        next = CHECKPOINT_EVERY;
        if shared.dirty.swap(false, Ordering::AcqRel) && copy_and_restart(shared, &conn) {
            // Still long: come back soon, whether or not more was committed.
            shared.dirty.store(true, Ordering::Release);
            next = CATCH_UP_EVERY;
        }
    }
}

/// What `PRAGMA wal_checkpoint` answers.
struct Checkpoint {
    /// It could not copy everything (a reader, or another checkpoint).
    busy: bool,
    /// Frames in the WAL when it began.
    frames: i64,
    /// Frames of the WAL in the database when it ended.
    copied: i64,
}

impl Checkpoint {
    /// Everything in the WAL when it began is in the database.
    fn caught_up(&self) -> bool {
        !self.busy && self.copied == self.frames
    }
}

/// How a checkpoint runs.
#[derive(Clone, Copy)]
enum Mode {
    /// Copies what no reader still needs; waits for nobody.
    Passive,
    /// Takes the write lock, copies everything and waits (through the busy
    /// handler) until no reader reads the WAL's frames, so the next commit
    /// writes at the WAL's beginning.
    Restart,
}

/// Runs one checkpoint.
fn checkpoint(conn: &Connection, mode: Mode) -> rusqlite::Result<Checkpoint> {
    let sql = match mode {
        Mode::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
        Mode::Restart => "PRAGMA wal_checkpoint(RESTART)",
    };
    conn.query_row(sql, [], |row| {
        Ok(Checkpoint {
            busy: row.get::<_, i64>(0)? != 0,
            frames: row.get(1)?,
            copied: row.get(2)?,
        })
    })
}

/// One tick of the checkpointer (see [`checkpoint_loop`]); `true` when
/// the WAL is still past [`RESTART_AFTER_FRAMES`] and was not restarted.
fn copy_and_restart(shared: &Shared, conn: &Connection) -> bool {
    let restart_after = i64::from(shared.restart_after.load(Ordering::Relaxed));
    let mut copied_before: Option<i64> = None;
    for _ in 0..CATCH_UP_ROUNDS {
        let commits = shared.commits.load(Ordering::Acquire);
        let Ok(copy) = checkpoint(conn, Mode::Passive) else {
            return false;
        };
        let long = copy.frames >= restart_after;
        if copy.frames == 0 || !(long || copy.caught_up()) {
            return false;
        }
        // What this copy took: at most the frames committed during the one
        // before (the first one's is not known).
        let small = copied_before.is_some_and(|before| copy.copied - before <= SMALL_COPY_FRAMES);
        if copy.caught_up() || (long && small) {
            let _turn = lock(&shared.write);
            let quiet = shared.commits.load(Ordering::Acquire) == commits;
            if (quiet && copy.caught_up()) || (long && small) {
                return checkpoint(conn, Mode::Restart).map_or(long, |r| long && r.busy);
            }
        }
        if !long {
            return false;
        }
        copied_before = Some(copy.copied);
    }
    true
}

/// The checkpointer's busy handler: sleeps [`READER_WAIT_STEP`] at most
/// [`READER_WAIT_TRIES`] times, then gives up.
fn wait_briefly(tries: i32) -> bool {
    if tries >= READER_WAIT_TRIES {
        return false;
    }
    std::thread::sleep(READER_WAIT_STEP);
    true
}
