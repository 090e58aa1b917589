//! `carebase-codegen`: writes `api.json` and the host code generated from
//! it (see the library, `carebase_codegen`).
//!
//! ```text
//! carebase-codegen [--root <workspace>]
//! ```
//!
//! Files are rewritten only when their text changes; `tools/codegen/check.sh`
//! runs it and fails when a committed file was stale.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    // `cargo run` names this package's directory at run time; the path
    // baked in at build time is only a fallback, because cargo reuses a
    // binary built in another checkout that shares the target directory.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let mut root = manifest_dir.join("../..");
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--root", Some(dir)) => root = PathBuf::from(dir),
            _ => {
                eprintln!("usage: carebase-codegen [--root <workspace>]");
                return ExitCode::from(2);
            }
        }
    }
    match carebase_codegen::run(&root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("carebase-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
