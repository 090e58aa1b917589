//! Lists `migrations/sqlite/NNNN_description.sql` for the SQLite migrator
//! (`src/sqlite/migrate.rs`), so a new migration is a new file and nothing
//! else. PostgreSQL's are read by `sqlx::migrate!`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=build.rs");
    // Read at run time: a build script compiled once may run for a checkout
    // at another path (a shared target dir), and must list THAT checkout's files.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("migrations/sqlite");
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
        found.push((version, description.replace('_', " "), name.to_owned()));
    }
    found.sort();
    let mut out = String::from("&[\n");
    // The crate's own manifest dir, read when the crate compiles, so the
    // list never names another checkout's files.
    for (version, description, file) in found {
        writeln!(
            out,
            "    Migration {{ version: {version}, description: {description:?}, sql: include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/migrations/sqlite/{file}\")) }},"
        )
        .expect("write to a string");
    }
    out.push(']');
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("sqlite_migrations.rs");
    std::fs::write(target, out).expect("write the migration list");
}
