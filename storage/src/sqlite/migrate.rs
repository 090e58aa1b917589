//! SQLite's schema versions: the files of `migrations/sqlite/` embedded at
//! build time (`build.rs`), applied in order on open, recorded in
//! `_sqlx_migrations` exactly as sqlx recorded them (version, description,
//! SHA-384 checksum), so a file written before carebase moved to rusqlite
//! opens and migrates, and an older carebase still reads what this one
//! wrote. A version this build does not know is refused (`schema_too_new`)
//! before anything runs; a changed or half-applied migration is refused too.

use std::time::Instant;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha384};

use carebase::{Result, StorageKind};

use super::error::db_error;

/// One embedded migration.
pub(crate) struct Migration {
    /// The number its file name starts with.
    pub version: i64,
    /// The rest of its file name, underscores as spaces (sqlx's form).
    pub description: &'static str,
    /// Its SQL.
    pub sql: &'static str,
}

/// Every migration this build ships, ascending.
pub(crate) const MIGRATIONS: &[Migration] =
    include!(concat!(env!("OUT_DIR"), "/sqlite_migrations.rs"));

/// The table sqlx created; kept, column for column.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// sqlx's checksum of a migration: SHA-384 of its text.
fn checksum(sql: &str) -> Vec<u8> {
    Sha384::digest(sql.as_bytes()).to_vec()
}

/// Brings the schema up to date in one `BEGIN IMMEDIATE` transaction (two
/// processes opening one new file do not both migrate it).
pub(crate) fn run(conn: &mut Connection) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_error("migrate"))?;
    let exists: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_error("migrate"))?;
    let applied: Vec<(i64, bool, Vec<u8>)> = if exists.is_some() {
        let mut stmt = tx
            .prepare("SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version")
            .map_err(db_error("migrate"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(db_error("migrate"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db_error("migrate"))?
    } else {
        Vec::new()
    };
    let versions: Vec<i64> = applied.iter().map(|(v, _, _)| *v).collect();
    let known: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
    super::refuse_newer("sqlite", &versions, &known)?;
    for (version, success, stored) in &applied {
        let Some(migration) = MIGRATIONS.iter().find(|m| m.version == *version) else {
            continue;
        };
        if !success {
            return Err(refused(
                "dirty",
                format!("migration {version} was left half applied"),
            ));
        }
        if *stored != checksum(migration.sql) {
            return Err(refused(
                "checksum",
                format!("migration {version} was changed after it was applied"),
            ));
        }
    }
    tx.execute_batch(CREATE_TABLE)
        .map_err(db_error("migrate"))?;
    for migration in MIGRATIONS.iter().filter(|m| !versions.contains(&m.version)) {
        let started = Instant::now();
        tx.execute_batch(migration.sql)
            .map_err(db_error("migrate"))?;
        let took = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (?, ?, TRUE, ?, ?)",
            params![
                migration.version,
                migration.description,
                checksum(migration.sql),
                took
            ],
        )
        .map_err(db_error("migrate"))?;
    }
    tx.commit().map_err(db_error("migrate"))
}

/// A migration state carebase will not touch.
fn refused(cause: &'static str, message: String) -> carebase::Error {
    crate::failure::report(crate::failure::Failure {
        backend: "sqlite",
        operation: "open",
        kind: StorageKind::Other,
        code: String::new(),
        cause,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let files = std::fs::read_dir(dir)
            .map(|d| d.filter(|e| e.is_ok()).count())
            .unwrap_or(0);
        assert_eq!(MIGRATIONS.len(), files);
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
    }

    #[test]
    fn descriptions_are_sqlx_s_words_of_the_file_name() {
        assert_eq!(MIGRATIONS[0].description, "init");
        assert!(MIGRATIONS
            .iter()
            .all(|m| !m.description.contains('_') && !m.description.is_empty()));
    }
}
