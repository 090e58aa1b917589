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
//!
//! After uniffi writes the files it finishes core's error ([`finish`]): the
//! Kotlin exception's `message` and Swift's `errorDescription` become core's
//! message (the text every host shows, naming the failing fields) instead
//! of uniffi's dump of the fields.

use std::path::{Path, PathBuf};
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
        out_dir: request.out_dir.clone().into(),
        config_override: config.to_str().map(Into::into),
        format: request.format,
        crate_filter: None,
        metadata_no_deps: true,
    });
    let _ = std::fs::remove_file(&config);
    // `{:#}`: the chain of causes on one line, no backtrace.
    generated.map_err(|e| format!("generating the bindings failed: {e:#}"))?;
    finish(Path::new(&request.out_dir))
}

/// One edit of a generated file: every `from` in the text after `after`
/// becomes `to`; at least one must be there.
struct Edit {
    after: &'static str,
    from: &'static str,
    to: &'static str,
}

/// The edits of core's generated file per language (see the module docs).
const KOTLIN: &[Edit] = &[
    Edit {
        after: "sealed class CarebaseException",
        from: "override val message\n            get() = \"",
        to: "override val message\n            get() = describe()\n        private val uniffiFields get() = \"",
    },
];

const SWIFT: &[Edit] = &[Edit {
    after: "enum CarebaseError",
    from: "var errorDescription: String? {\n        String(reflecting: self)",
    to: "var errorDescription: String? {\n        describe()",
}];

/// Applies the edits to core's files under `out_dir` (`carebase.kt`,
/// `carebase.swift`), wherever uniffi put them.
fn finish(out_dir: &Path) -> Result<(), String> {
    for (name, edits) in [("carebase.kt", KOTLIN), ("carebase.swift", SWIFT)] {
        for path in find(out_dir, name) {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut text = text;
            for edit in edits {
                let start = text.find(edit.after).ok_or_else(|| changed(&path, edit))?;
                let (head, tail) = text.split_at(start);
                if !tail.contains(edit.from) {
                    return Err(changed(&path, edit));
                }
                text = format!("{head}{}", tail.replace(edit.from, edit.to));
            }
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn changed(path: &Path, edit: &Edit) -> String {
    format!(
        "{}: uniffi's output no longer has `{}` (after `{}`): update src/bin/uniffi-bindgen.rs",
        path.display(),
        edit.from.lines().next().unwrap_or_default(),
        edit.after
    )
}

/// Files called `name` under `dir`, at any depth (Kotlin nests packages).
fn find(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(find(&path, name));
        } else if path.file_name().is_some_and(|n| n == name) {
            found.push(path);
        }
    }
    found
}

/// Writes the compiled-in configuration where uniffi reads it from.
fn config_file() -> Result<PathBuf, String> {
    let path = std::env::temp_dir().join(format!("carebase-uniffi-{}.toml", std::process::id()));
    std::fs::write(&path, CONFIG).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
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
