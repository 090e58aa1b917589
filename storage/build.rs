//! Lists `migrations/sqlite/NNNN_description.sql` for the SQLite migrator
//! (`src/sqlite/migrate.rs`), so a new migration is a new file and nothing
//! else. PostgreSQL's are read by `sqlx::migrate!`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=build.rs");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut found: Vec<(i64, String, String)> = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("storage/migrations/sqlite") {
        let path = entry.expect("migration entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some((number, description)) = name
            .strip_suffix(".sql")
            .and_then(|stem| stem.split_once('_'))
        else {
            continue;
        };
        let version: i64 = number.parse().expect("migration number");
        // sqlx's description: the file name's words, underscores as spaces.
        found.push((
            version,
            description.replace('_', " "),
            path.display().to_string(),
        ));
    }
    found.sort();
    let mut out = String::from("&[\n");
    for (version, description, path) in found {
        writeln!(
            out,
            "    Migration {{ version: {version}, description: {description:?}, sql: include_str!({path:?}) }},"
        )
        .expect("write to a string");
    }
    out.push(']');
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("sqlite_migrations.rs");
    std::fs::write(target, out).expect("write the migration list");
}
