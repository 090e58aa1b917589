#![deny(missing_docs)]
#![deny(unsafe_code)]
//! Shared helpers for the carebase benches.
//!
//! * [`details_for`]: deterministic, varied patient demographics (accented
//!   names, birth dates, phones, emails, one unique identifier) derived from
//!   an index, so a bench can rebuild any stored patient's details to query
//!   for it without keeping them in memory.
//! * [`open_clinic`] / [`open_clinic_at`]: a [`Clinic`] over a SQLite file
//!   (WAL, `synchronous = NORMAL`, as `carebase-storage` opens it).
//! * [`RawBaseline`]: three rows like a registration's (patient, audit
//!   entry, outbox event) inserted with sqlx into a THINNER schema (no search
//!   keys, key tables, triggers or audit heads): the `patients` bench's
//!   `thinner_schema_sqlx`, kept for the record; it is not the same work.
//! * [`same_statements`]: the honest baselines, carebase's exact statements
//!   on carebase's own schema with rusqlite and with sqlx ([`capture`]
//!   checks them against what carebase runs); [`report`] prints p50, p99,
//!   ops/s and CPU per operation.
//! * [`pg_same_statements`]: the same on PostgreSQL, sqlx running carebase's
//!   exact statements ([`pg_capture`] reads them from sqlx's statement log).

pub mod capture;
pub mod pg_capture;
pub mod pg_same_statements;
pub mod report;
pub mod same_statements;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use carebase::patient::{
    Address, ContactPoint, ContactSystem, ContactUse, Gender, HumanName, Identifier, NameUse,
    PatientDetails,
};
use carebase::{Actor, ActorId, Clinic, Role};
use carebase_storage::SqliteStore;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tempfile::TempDir;
use uuid::Uuid;

/// Any failure of a bench helper.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result of a bench helper.
pub type Result<T> = std::result::Result<T, BoxError>;

/// Identifier system of the generated unique identifiers (no check digit).
pub const BENCH_ID_SYSTEM: &str = "urn:carebase:bench:id";

/// Family names, several with accents or non-ASCII letters.
pub const FAMILY_NAMES: &[&str] = &[
    "García",
    "Müller",
    "Nguyễn",
    "O'Brien",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Dvořák",
    "Łukasiewicz",
    "Østergaard",
    "Peña",
    "Søndergaard",
    "Kowalski",
    "Rossi",
    "Bianchi",
    "Dubois",
    "Lefèvre",
    "Schröder",
    "Fernández",
    "González",
    "Martínez",
    "Yılmaz",
    "Öztürk",
    "Papadopoulos",
    "Ivanova",
    "Novák",
    "Horváth",
    "Nakamura",
    "Tanaka",
    "Kim",
    "Park",
    "Chen",
    "Wang",
    "Singh",
    "Patel",
    "Okafor",
    "Mensah",
    "Haddad",
    "Cohen",
    "Silva",
    "Araújo",
    "Jönsson",
    "Virtanen",
    "Þórsson",
    "Murphy",
    "Zapata",
    "Álvarez",
    "Castro",
    "Moreau",
];

/// Given names, several with accents.
pub const GIVEN_NAMES: &[&str] = &[
    "José",
    "María",
    "Zoë",
    "Renée",
    "Søren",
    "Chloé",
    "François",
    "Jürgen",
    "Ana",
    "Lucía",
    "Noémie",
    "Thomas",
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Mateo",
    "Sofía",
    "Élodie",
    "Björn",
    "Agnieszka",
    "Mikołaj",
    "Dóra",
    "Ingrid",
    "Kenji",
    "Yuki",
    "Min-jun",
    "Wei",
    "Priya",
    "Arjun",
    "Chinedu",
    "Ama",
    "Fatima",
    "Omar",
    "Noa",
    "Joaquín",
    "Inés",
    "Çağla",
    "Ólafur",
    "Siobhán",
    "Seán",
    "Emiliana",
    "Ramón",
    "Aurélie",
    "Hélène",
    "Gaël",
    "Matías",
    "Léa",
    "Jan",
];

const CITIES: &[&str] = &[
    "Montréal",
    "São Paulo",
    "Zürich",
    "Kraków",
    "Reykjavík",
    "Lyon",
    "Dublin",
    "Austin",
];

/// A small linear congruential generator (Knuth's MMIX constants): enough
/// to vary bench data deterministically without the `rand` crate.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator from `seed` (scrambled so nearby seeds diverge at once).
    pub fn new(seed: u64) -> Self {
        // One splitmix64 round decorrelates consecutive seeds.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self(z ^ (z >> 31))
    }

    /// The next 32 well-mixed bits (the high half of the state).
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }

    /// A number in `0..n` (`n` > 0; 0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let wide = (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32());
        wide % n
    }

    /// One element of a non-empty slice (`None` when empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

fn pick_str(rng: &mut Lcg, items: &[&str]) -> String {
    rng.pick(items).copied().unwrap_or("Doe").to_owned()
}

/// The unique identifier value of patient `index`.
pub fn identifier_value(index: u64) -> String {
    format!("B{index:010}")
}

/// ASCII-only lowercase letters of `text` (for email local parts).
fn ascii_letters(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The demographics of patient number `index`: the same index always gives
/// the same details. Every patient has a family and one or two given names
/// (often accented), a birth date between 1930 and 2019, a gender, a mobile
/// phone, an email, an address and a unique identifier in
/// [`BENCH_ID_SYSTEM`] (see [`identifier_value`]).
pub fn details_for(index: u64) -> PatientDetails {
    let mut rng = Lcg::new(index);
    let family = pick_str(&mut rng, FAMILY_NAMES);
    let mut given = vec![pick_str(&mut rng, GIVEN_NAMES)];
    if rng.below(4) == 0 {
        given.push(pick_str(&mut rng, GIVEN_NAMES));
    }
    let epoch = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap_or_default();
    let birth_date = epoch + chrono::Days::new(rng.below(90 * 365));
    let gender = match rng.below(10) {
        0..=4 => Gender::Female,
        5..=8 => Gender::Male,
        _ => Gender::Other,
    };
    let phone = format!(
        "+1 ({:03}) {:03}-{:04}",
        200 + rng.below(800),
        rng.below(1000),
        rng.below(10_000)
    );
    let email = format!(
        "{}.{}{}@example.org",
        ascii_letters(&given[0]),
        ascii_letters(&family),
        index
    );
    PatientDetails {
        identifiers: vec![Identifier {
            system: BENCH_ID_SYSTEM.to_owned(),
            value: identifier_value(index),
        }],
        names: vec![HumanName {
            usage: Some(NameUse::Official),
            family: Some(family),
            given,
            ..HumanName::default()
        }],
        gender: Some(gender),
        birth_date: Some(birth_date),
        telecom: vec![
            ContactPoint {
                system: ContactSystem::Phone,
                value: phone,
                usage: Some(ContactUse::Mobile),
            },
            ContactPoint {
                system: ContactSystem::Email,
                value: email,
                usage: Some(ContactUse::Home),
            },
        ],
        addresses: vec![Address {
            lines: vec![format!("{} Rue Principale", 1 + rng.below(999))],
            city: Some(pick_str(&mut rng, CITIES)),
            postal_code: Some(format!("{:05}", rng.below(100_000))),
            ..Address::default()
        }],
        language: Some("fr-CA".to_owned()),
        ..PatientDetails::default()
    }
}

/// Syllables of the generated long tail of rare names.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ten", "vo", "zu", "bel", "dor", "fin", "gar", "hul", "is", "jo", "ke",
    "lun", "mar", "nes", "or", "pa", "qui", "ros", "sul", "tor", "ul", "vin", "wa", "xe", "ya",
    "zen",
];

/// A name drawn the way a clinic's register looks: half of the time one of
/// `common`, weighted by rank like real surname tables (rank r has weight
/// 1/(r+1), so the first, e.g. Smith or García, is about 9% of all
/// patients), otherwise a rare generated name of two or three syllables.
fn skewed_name(rng: &mut Lcg, common: &[&str]) -> String {
    if rng.below(2) == 0 {
        let total: f64 = (1..=common.len()).map(|r| 1.0 / r as f64).sum();
        let mut target = (rng.below(1_000_000) as f64 / 1_000_000.0) * total;
        for (rank, name) in common.iter().enumerate() {
            target -= 1.0 / (rank + 1) as f64;
            if target <= 0.0 {
                return (*name).to_owned();
            }
        }
        return common.last().copied().unwrap_or("Doe").to_owned();
    }
    let parts = 2 + rng.below(2);
    let mut name = String::new();
    for _ in 0..parts {
        name.push_str(rng.pick(SYLLABLES).copied().unwrap_or("na"));
    }
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or(name)
}

/// [`details_for`] with frequency-skewed names (see [`skewed_name`]): the
/// common names dominate, so a one- to three-letter prefix such as "s",
/// "ga" or "ngu" matches tens of thousands of patients in a million.
pub fn skewed_details_for(index: u64) -> PatientDetails {
    let mut details = details_for(index);
    let mut rng = Lcg::new(index ^ 0x5EED_5EED);
    let family = skewed_name(&mut rng, FAMILY_NAMES);
    let given = skewed_name(&mut rng, GIVEN_NAMES);
    if let Some(name) = details.names.first_mut() {
        name.family = Some(family);
        if let Some(first) = name.given.first_mut() {
            *first = given;
        }
    }
    details
}

/// A front-desk actor: may register, read and search every patient.
pub fn front_desk() -> Actor {
    Actor::new(ActorId::new(), vec![Role::FrontDesk])
}

/// The `sqlite://` URL of a database file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A clinic over a fresh SQLite file in a new temporary directory, opened
/// with `carebase_storage::open`. Keep the [`TempDir`] alive while the
/// clinic is used: dropping it deletes the database.
pub async fn open_clinic() -> Result<(TempDir, Clinic)> {
    let dir = tempfile::tempdir()?;
    let store = carebase_storage::open(&sqlite_url(&dir.path().join("carebase.db"))).await?;
    Ok((dir, Clinic::new(store)))
}

/// A clinic over the SQLite file at `path` (created and migrated if
/// missing). The concrete store is returned too so the caller can close it.
pub async fn open_clinic_at(path: &Path) -> Result<(Arc<SqliteStore>, Clinic)> {
    let store = Arc::new(SqliteStore::open(&sqlite_url(path)).await?);
    let clinic = Clinic::new(store.clone());
    Ok((store, clinic))
}

/// Schema of the raw baseline: the column shapes of carebase-storage's
/// `patients`, `audit_entries` and `outbox_events`, with their indexes.
const RAW_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS patients (
        id          TEXT    NOT NULL PRIMARY KEY,
        version     INTEGER NOT NULL,
        active      INTEGER NOT NULL,
        merged_into TEXT,
        created_at  TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL,
        gender      TEXT,
        birth_date  TEXT,
        details     TEXT    NOT NULL)",
    "CREATE INDEX IF NOT EXISTS patients_birth_date ON patients (birth_date, id)",
    "CREATE TABLE IF NOT EXISTS audit_entries (
        id          TEXT    NOT NULL PRIMARY KEY,
        patient_id  TEXT    NOT NULL,
        chain_seq   INTEGER NOT NULL,
        at          TEXT    NOT NULL,
        actor_id    TEXT    NOT NULL,
        roles       TEXT    NOT NULL,
        action      TEXT    NOT NULL,
        outcome     TEXT    NOT NULL,
        reason      TEXT    NOT NULL,
        break_glass TEXT,
        subject     TEXT,
        prev_hash   TEXT    NOT NULL,
        hash        TEXT    NOT NULL,
        UNIQUE (patient_id, chain_seq))",
    "CREATE INDEX IF NOT EXISTS audit_entries_actor ON audit_entries (actor_id, id)",
    "CREATE TABLE IF NOT EXISTS outbox_events (
        seq             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
        id              TEXT    NOT NULL,
        kind            TEXT    NOT NULL,
        schema_version  INTEGER NOT NULL,
        patient_id      TEXT,
        payload         TEXT    NOT NULL,
        idempotency_key TEXT    NOT NULL,
        occurred_at     TEXT    NOT NULL)",
    "CREATE INDEX IF NOT EXISTS outbox_events_idempotency_key ON outbox_events (idempotency_key)",
];

/// All-zero previous hash of a chain's first entry (as carebase uses).
const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An instant as carebase-storage stores it (RFC 3339, nine fraction digits).
fn ts(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The thinner-schema sqlx comparison (NOT carebase's schema, see the
/// crate docs): its own SQLite file with the same pragmas and pool
/// size as carebase-storage, and an insert that writes rows shaped like a
/// registration writes to `patients`, `audit_entries` and `outbox_events`.
pub struct RawBaseline {
    pool: SqlitePool,
    actor: String,
    _dir: TempDir,
}

impl RawBaseline {
    /// Creates a fresh database file in a temporary directory (deleted on
    /// drop): WAL, `synchronous = NORMAL`, foreign keys on, 5 s busy
    /// timeout, 4 pooled connections.
    pub async fn new() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let url = sqlite_url(&dir.path().join("raw.db"));
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(carebase_storage::DEFAULT_MAX_CONNECTIONS)
            .connect_with(options)
            .await?;
        for statement in RAW_SCHEMA {
            sqlx::query(statement).execute(&pool).await?;
        }
        Ok(Self {
            pool,
            actor: Uuid::now_v7().to_string(),
            _dir: dir,
        })
    }

    /// Inserts one patient in ONE transaction (`BEGIN IMMEDIATE`, as
    /// carebase-storage does): the patient row with its details as JSON, one
    /// audit row whose hash is the SHA-256 of its fields, and one outbox
    /// event. Returns the new patient id.
    pub async fn insert_one(&self, details: &PatientDetails) -> Result<Uuid> {
        let id = Uuid::now_v7();
        let id_text = id.to_string();
        let now = ts(&Utc::now());
        let details_json = serde_json::to_string(details)?;

        let audit_id = Uuid::now_v7().to_string();
        let roles = r#"["front_desk"]"#;
        let (action, outcome, reason) = ("patient.register", "success", "front-desk-demographics");
        let canonical = serde_json::json!({
            "id": audit_id, "patient": id_text, "seq": 1, "at": now, "actor": self.actor,
            "roles": roles, "action": action, "outcome": outcome, "reason": reason,
            "prev_hash": ZERO_HASH,
        });
        let hash = hex::encode(Sha256::digest(serde_json::to_vec(&canonical)?));

        let payload =
            serde_json::json!({ "patient_id": id_text, "version": 1, "registered_at": now })
                .to_string();

        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO patients \
             (id, version, active, merged_into, created_at, updated_at, gender, birth_date, details) \
             VALUES (?, 1, 1, NULL, ?, ?, ?, ?, ?)",
        )
        .bind(&id_text)
        .bind(&now)
        .bind(&now)
        .bind(details.gender.map(|g| g.as_str()))
        .bind(details.birth_date.map(|d| d.format("%Y-%m-%d").to_string()))
        .bind(&details_json)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO audit_entries (id, patient_id, chain_seq, at, actor_id, roles, action, \
             outcome, reason, break_glass, subject, prev_hash, hash) \
             VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
        )
        .bind(&audit_id)
        .bind(&id_text)
        .bind(&now)
        .bind(&self.actor)
        .bind(roles)
        .bind(action)
        .bind(outcome)
        .bind(reason)
        .bind(ZERO_HASH)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox_events (id, kind, schema_version, patient_id, payload, \
             idempotency_key, occurred_at) VALUES (?, 'patient.registered', 1, ?, ?, ?, ?)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(&id_text)
        .bind(&payload)
        .bind(format!("patient.registered:{id_text}:1"))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Rows in the baseline's `patients` table.
    pub async fn count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM patients")
            .fetch_one(&self.pool)
            .await?)
    }
}

/// Nearest-rank percentile `q` (0.0..=1.0) of an ascending slice; 0 when empty.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A schema of its own on a PostgreSQL bench server, dropped by
/// [`PgSchema::drop_now`].
pub struct PgSchema {
    admin: carebase_storage::PgConnectOptions,
    name: String,
}

impl PgSchema {
    /// Creates `carebase_bench_<uuid>` through the admin connection.
    pub async fn create(admin: &carebase_storage::PgConnectOptions) -> Result<Self> {
        use sqlx::ConnectOptions;
        let name = format!("carebase_bench_{}", Uuid::now_v7().simple());
        let mut conn = admin.connect().await?;
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await?;
        Ok(Self {
            admin: admin.clone(),
            name,
        })
    }

    /// Connection options whose search path is this schema.
    pub fn options(&self) -> carebase_storage::PgConnectOptions {
        self.admin
            .clone()
            .options([("search_path", self.name.as_str())])
    }

    /// Drops the schema and everything in it.
    pub async fn drop_now(self) -> Result<()> {
        use sqlx::ConnectOptions;
        let mut conn = self.admin.connect().await?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name))
            .execute(&mut conn)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_deterministic_and_varied() {
        assert!(details_for(7) == details_for(7));
        let distinct: std::collections::HashSet<String> = (0..200)
            .filter_map(|i| details_for(i).names[0].family.clone())
            .collect();
        assert!(distinct.len() > 20);
    }

    #[test]
    fn generated_details_pass_carebase_validation() {
        let now = NaiveDate::from_ymd_opt(2025, 1, 1)
            .unwrap_or_default()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        let settings = carebase::Settings::default();
        for i in 0..500 {
            let details = details_for(i);
            assert_eq!(
                carebase::patient::validate::validate_details(&details, now, &settings),
                Ok(())
            );
        }
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&v, 1.0), 100);
        assert_eq!(percentile(&[], 0.5), 0);
    }
}
