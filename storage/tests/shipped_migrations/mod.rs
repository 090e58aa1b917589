//! The schema versions this build ships, read from the migration files, so
//! tests about applied versions do not change with every new migration.

#![allow(dead_code)]

/// The versions of `storage/migrations/<backend>/NNNN_*.sql`, ascending.
pub fn versions(backend: &str) -> Vec<i64> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut versions: Vec<i64> = std::fs::read_dir(&dir)
        .expect("migrations directory")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let (number, _) = name.strip_suffix(".sql")?.split_once('_')?;
            number.parse().ok()
        })
        .collect();
    versions.sort_unstable();
    assert!(!versions.is_empty(), "no migrations in {}", dir.display());
    versions
}

/// The newest shipped version.
pub fn newest(backend: &str) -> i64 {
    versions(backend).last().copied().unwrap_or_default()
}
