//! The uniffi bindgen for carebase, built from this workspace so it always
//! matches the library's uniffi version:
//!
//! ```text
//! uniffi-bindgen generate --library <libcarebase_mobile.so> --language kotlin|swift --out-dir <dir>
//! ```
//!
//! It carries the bindings' configuration (`bindings-mobile/uniffi.toml`)
//! and reads nothing else, so it works from any folder: uniffi's own CLI
//! asks `cargo metadata` for each crate's `uniffi.toml` and dies with a
//! backtrace outside a cargo workspace. Bad usage is a one-line message and
//! exit status 2; a failed generation names what failed and exits with 1.

use std::path::PathBuf;
use std::process::ExitCode;

use uniffi::{GenerateOptions, TargetLanguage};

/// The bindings' configuration, compiled in.
const CONFIG: &str = include_str!("../../uniffi.toml");

const USAGE: &str = "usage: uniffi-bindgen generate --library <libcarebase_mobile.so|.dylib|.a> \
--language <kotlin|swift> [--language …] --out-dir <dir> [--no-format]";

/// What the command line asks for.
struct Request {
    library: String,
    languages: Vec<TargetLanguage>,
    out_dir: String,
    format: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Request, String> {
    match args.next().as_deref() {
        Some("generate") => {}
        Some("--help" | "-h") | None => return Err(USAGE.to_owned()),
        Some(other) => return Err(format!("unknown command '{other}'\n{USAGE}")),
    }
    let (mut library, mut out_dir, mut languages, mut format) = (None, None, Vec::new(), true);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--library" => library = Some(value("--library")?),
            "--out-dir" | "-o" => out_dir = Some(value("--out-dir")?),
            "--language" | "-l" => languages.push(match value("--language")?.as_str() {
                "kotlin" => TargetLanguage::Kotlin,
                "swift" => TargetLanguage::Swift,
                other => return Err(format!("unsupported language '{other}' (kotlin or swift)")),
            }),
            "--no-format" | "-n" => format = false,
            // `--library` is optional, as in uniffi's own CLI.
            path if !path.starts_with('-') && library.is_none() => library = Some(path.to_owned()),
            other => return Err(format!("unknown option '{other}'\n{USAGE}")),
        }
    }
    let library = library.ok_or(format!("which library? --library is missing\n{USAGE}"))?;
    if !std::path::Path::new(&library).is_file() {
        return Err(format!("no such library file: {library}"));
    }
    if languages.is_empty() {
        return Err(format!("which language? --language is missing\n{USAGE}"));
    }
    let out_dir = out_dir.ok_or(format!("where to? --out-dir is missing\n{USAGE}"))?;
    Ok(Request {
        library,
        languages,
        out_dir,
        format,
    })
}

fn generate(request: Request) -> Result<(), String> {
    let config = config_file()?;
    let generated = uniffi::generate(GenerateOptions {
        languages: request.languages,
        source: request.library.into(),
        out_dir: request.out_dir.into(),
        config_override: config.to_str().map(Into::into),
        format: request.format,
        crate_filter: None,
        metadata_no_deps: true,
    });
    let _ = std::fs::remove_file(&config);
    // `{:#}`: the chain of causes on one line, no backtrace.
    generated.map_err(|e| format!("generating the bindings failed: {e:#}"))
}

/// Writes the compiled-in configuration where uniffi reads it from.
fn config_file() -> Result<PathBuf, String> {
    let path = std::env::temp_dir().join(format!("carebase-uniffi-{}.toml", std::process::id()));
    std::fs::write(&path, CONFIG)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Err(usage) => {
            eprintln!("{usage}");
            ExitCode::from(2)
        }
        Ok(request) => match generate(request) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => {
                eprintln!("{failure}");
                ExitCode::FAILURE
            }
        },
    }
}
