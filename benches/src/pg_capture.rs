//! The statements carebase really executes on PostgreSQL, captured from
//! sqlx's own statement log.
//!
//! sqlx reports every statement it finishes as a `tracing` event of target
//! `sqlx::query` (`summary`, and `db.statement` with the whole text when
//! the summary is shorter). [`install`] sets a process-wide subscriber that
//! listens to that target only; while [`capture`] runs, each statement's
//! text (parameters unexpanded, as sent to the server) is recorded in the
//! order sqlx finished it. Nothing in the product is hooked.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

static INSTALL: Once = Once::new();
static RECORDING: AtomicBool = AtomicBool::new(false);
static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static SPANS: AtomicU64 = AtomicU64::new(1);

const TARGET: &str = "sqlx::query";

/// Listens to sqlx's statement events, ignores everything else.
struct StatementLog;

/// The text of one statement event: the whole statement when sqlx gives
/// it, else its summary (which then is the whole statement).
#[derive(Default)]
struct Statement {
    summary: String,
    statement: String,
}

impl Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_owned(),
            "db.statement" => self.statement = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if matches!(field.name(), "summary" | "db.statement") {
            let text = format!("{value:?}");
            let text = text
                .trim_matches('"')
                .replace("\\n", "\n")
                .replace("\\\"", "\"");
            self.record_str(field, &text);
        }
    }
}

impl Subscriber for StatementLog {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.target() == TARGET {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == TARGET
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(SPANS.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if !RECORDING.load(Ordering::SeqCst) || event.metadata().target() != TARGET {
            return;
        }
        let mut statement = Statement::default();
        event.record(&mut statement);
        let text = if statement.statement.trim().is_empty() {
            statement.summary
        } else {
            statement.statement.trim().to_owned()
        };
        if let Ok(mut statements) = STATEMENTS.lock() {
            statements.push(text);
        }
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// Installs the statement log as this process's subscriber (idempotent;
/// does nothing when another subscriber was set first).
pub fn install() {
    INSTALL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(StatementLog);
    });
}

/// Runs `work` and answers the statements sqlx finished meanwhile, on any
/// connection of this process, in order. Not reentrant: one capture at a
/// time per process.
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
        .unwrap_or_default();
    (out, statements)
}
