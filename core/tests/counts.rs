//! Counts cross to every host as the host expects them (Kotlin `Int`/`Long`,
//! Swift `Int32`/`Int64`) because no public type holds a bare unsigned
//! integer: every count, limit, version, sequence number, offset and size
//! is a `Count32` or a `Count64` (`core/src/count.rs`). uniffi would show a
//! `u32` as Kotlin's `UInt`, which a Kotlin host cannot pass `2` to.
//!
//! The public surface is what `api.json` lists (every operation's and host
//! function's arguments and result, every type of `$defs`, the error and
//! the settings); this test reads each of those types' declarations in
//! `core/src` and names every field still declared with an unsigned
//! integer. The rule for a new field or argument: write `Count32` where you
//! would write `u32`, `Count64` where you would write `u64`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use quote::ToTokens;
use serde_json::Value;

const UNSIGNED: &[&str] = &["u8", "u16", "u32", "u64", "u128", "usize"];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every identifier in a type's text (`Option<Vec<u32>>` → Option, Vec, u32).
fn idents(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `text` holds an unsigned integer. A byte buffer (`Vec<u8>`, a
/// document's content: Kotlin `ByteArray`, Swift `Data`) is bytes, not a
/// count of anything.
fn unsigned_in(text: &str) -> bool {
    let without_bytes = text.replace(' ', "").replace("Vec<u8>", "Bytes");
    idents(&without_bytes)
        .iter()
        .any(|word| UNSIGNED.contains(&word.as_str()))
}

/// Each struct and enum declared in core's sources, by name: its fields as
/// (path, type text).
fn declarations() -> BTreeMap<String, Vec<(String, String)>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for path in rust_files(&src) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Ok(file) = syn::parse_file(&text) else {
            continue;
        };
        let mut items: Vec<syn::Item> = file.items;
        while let Some(item) = items.pop() {
            let public = |vis: &syn::Visibility| matches!(vis, syn::Visibility::Public(_));
            let (name, fields) = match item {
                syn::Item::Struct(s) if public(&s.vis) => {
                    (s.ident.to_string(), fields_of("", &s.fields))
                }
                syn::Item::Enum(e) if public(&e.vis) => {
                    let mut all = Vec::new();
                    for variant in &e.variants {
                        all.extend(fields_of(&format!("{}.", variant.ident), &variant.fields));
                    }
                    (e.ident.to_string(), all)
                }
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = m.content {
                        items.extend(inner);
                    }
                    continue;
                }
                _ => continue,
            };
            let relative = path
                .strip_prefix(&src)
                .unwrap_or(&path)
                .display()
                .to_string();
            let fields = fields
                .into_iter()
                .map(|(field, ty)| (format!("{relative}: {name}.{field}"), ty))
                .collect::<Vec<_>>();
            found.entry(name).or_default().extend(fields);
        }
    }
    found
}

fn fields_of(prefix: &str, fields: &syn::Fields) -> Vec<(String, String)> {
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let name = field
                .ident
                .as_ref()
                .map_or_else(|| i.to_string(), ToString::to_string);
            (
                format!("{prefix}{name}"),
                field.ty.to_token_stream().to_string(),
            )
        })
        .collect()
}

fn api() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("api.json: {e}"))
}

/// The names of every type the public surface reaches, and every argument
/// or result typed with an unsigned integer.
fn public_surface(api: &Value, offending: &mut Vec<String>) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = ["Error", "Settings"].map(str::to_owned).into();
    if let Some(defs) = api["$defs"].as_object() {
        names.extend(defs.keys().cloned());
    }
    for list in ["operations", "functions"] {
        for entry in api[list].as_array().into_iter().flatten() {
            let name = entry["name"].as_str().unwrap_or_default();
            let mut typed = vec![("->".to_owned(), entry["returns"]["type"].clone())];
            for arg in entry["args"].as_array().into_iter().flatten() {
                let arg_name = arg["name"].as_str().unwrap_or_default().to_owned();
                typed.push((arg_name, arg["type"].clone()));
            }
            for (arg, ty) in typed {
                let ty = ty.as_str().unwrap_or_default();
                if unsigned_in(ty) {
                    offending.push(format!("api.json: {list} {name}({arg}: {ty})"));
                }
                names.extend(idents(ty));
            }
        }
    }
    names
}

#[test]
fn no_public_type_or_argument_is_an_unsigned_integer() {
    let api = api();
    let mut offending = Vec::new();
    let names = public_surface(&api, &mut offending);
    let declared = declarations();
    // What the listed types hold, to the bottom (a `#[serde(flatten)]`
    // field's type has no `$defs` entry of its own).
    let mut names = names;
    let mut todo: Vec<String> = names.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        for (_, ty) in declared.get(&name).into_iter().flatten() {
            for word in idents(ty) {
                if declared.contains_key(&word) && names.insert(word.clone()) {
                    todo.push(word);
                }
            }
        }
    }
    let mut checked = 0;
    for name in &names {
        // `{T}Page` is the generic `Page<T>`.
        let key = if declared.contains_key(name) {
            name.as_str()
        } else if name.ends_with("Page") && declared.contains_key("Page") {
            "Page"
        } else {
            continue;
        };
        checked += 1;
        for (path, ty) in &declared[key] {
            if unsigned_in(ty) {
                offending.push(format!("{path}: {}", ty.replace(' ', "")));
            }
        }
    }
    assert!(
        checked > 80,
        "only {checked} public types found in core/src"
    );
    offending.sort();
    offending.dedup();
    assert!(
        offending.is_empty(),
        "public counts must be Count32/Count64 (Kotlin Int/Long), not unsigned integers \
         (write `Count32` for `u32`, `Count64` for `u64`):\n  {}",
        offending.join("\n  ")
    );
}

#[test]
fn an_unsigned_integer_anywhere_in_a_type_is_found() {
    assert!(unsigned_in("Option<Vec<u32>>"));
    assert!(unsigned_in("BTreeMap<String, u64>"));
    assert!(!unsigned_in("Option<Count32>"));
}

#[test]
fn a_byte_buffer_is_bytes_not_a_count() {
    assert!(!unsigned_in("Vec < u8 >"));
    assert!(unsigned_in("Vec<u16>"));
}
