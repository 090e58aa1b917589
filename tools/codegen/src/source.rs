//! What the schemas do not carry, read from core's source with `syn`: the
//! doc comment of each operation and host function, and the declared order
//! of every struct's fields (JSON Schema objects are unordered; hosts show
//! fields, and take positional arguments, in the order core declares them).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// One named field of a struct or enum variant.
#[derive(Debug, Clone)]
pub struct Field {
    /// The field name (serde's, carebase renames none).
    pub name: String,
    /// `#[serde(flatten)]`: the fields of `ty` stand in its place.
    pub flatten: bool,
    /// The last path segment of its type (what a flattened field expands).
    pub ty: String,
}

/// What the source says.
#[derive(Debug, Default)]
pub struct Source {
    /// Doc text of every `pub` fn of an `impl Clinic` block and of
    /// `api/functions.rs`, by name.
    pub docs: BTreeMap<String, String>,
    /// Fields of every struct with named fields, by struct name (several
    /// structs may share a name).
    pub structs: BTreeMap<String, Vec<Vec<Field>>>,
    /// Fields of every enum variant with named fields, by `Enum::Variant`.
    pub variants: BTreeMap<String, Vec<Field>>,
}

/// The doc comment of an item, lines joined, the leading space dropped.
pub fn doc_of(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                let line = s.value();
                lines.push(line.strip_prefix(' ').unwrap_or(&line).to_owned());
            }
        }
    }
    lines.join("\n").trim().to_owned()
}

fn fields_of(fields: &syn::Fields) -> Option<Vec<Field>> {
    let syn::Fields::Named(named) = fields else {
        return None;
    };
    Some(
        named
            .named
            .iter()
            .filter_map(|f| {
                let name = f.ident.as_ref()?.to_string();
                let flatten = f.attrs.iter().any(|a| {
                    a.path().is_ident("serde")
                        && a.meta
                            .require_list()
                            .is_ok_and(|l| l.tokens.to_string().contains("flatten"))
                });
                let ty = match &f.ty {
                    syn::Type::Path(p) => p
                        .path
                        .segments
                        .last()
                        .map(|s| s.ident.to_string())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                Some(Field { name, flatten, ty })
            })
            .collect(),
    )
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

impl Source {
    /// Reads every `.rs` file under `core/src`.
    pub fn read(core_src: &Path) -> Result<Source, String> {
        let mut files = Vec::new();
        rust_files(core_src, &mut files);
        if files.is_empty() {
            return Err(format!("no Rust sources under {}", core_src.display()));
        }
        let mut source = Source::default();
        for path in files {
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let file = syn::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let functions = path.ends_with("api/functions.rs");
            source.scan(&file.items, functions);
        }
        Ok(source)
    }

    fn scan(&mut self, items: &[syn::Item], functions: bool) {
        for item in items {
            match item {
                syn::Item::Struct(s) => {
                    if let Some(fields) = fields_of(&s.fields) {
                        self.structs
                            .entry(s.ident.to_string())
                            .or_default()
                            .push(fields);
                    }
                }
                syn::Item::Enum(e) => {
                    for v in &e.variants {
                        if let Some(fields) = fields_of(&v.fields) {
                            self.variants
                                .insert(format!("{}::{}", e.ident, v.ident), fields);
                        }
                    }
                }
                syn::Item::Impl(block) if block.trait_.is_none() => {
                    let clinic =
                        matches!(&*block.self_ty, syn::Type::Path(t) if t.path.is_ident("Clinic"));
                    for member in &block.items {
                        if let syn::ImplItem::Fn(f) = member {
                            let public = matches!(f.vis, syn::Visibility::Public(_));
                            if clinic && public {
                                self.docs.insert(f.sig.ident.to_string(), doc_of(&f.attrs));
                            }
                        }
                    }
                }
                syn::Item::Fn(f) if functions => {
                    if matches!(f.vis, syn::Visibility::Public(_)) {
                        self.docs.insert(f.sig.ident.to_string(), doc_of(&f.attrs));
                    }
                }
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        self.scan(inner, functions);
                    }
                }
                _ => {}
            }
        }
    }

    /// `fields` with each flattened field replaced by its type's fields.
    fn expand(&self, fields: &[Field], depth: usize) -> Vec<String> {
        let mut out = Vec::new();
        for f in fields {
            if f.flatten && depth < 4 {
                if let Some(inner) = self.structs.get(&f.ty).and_then(|all| all.first()) {
                    out.extend(self.expand(inner, depth + 1));
                }
            } else {
                out.push(f.name.clone());
            }
        }
        out
    }

    /// The declared order of `properties`: from the struct named `name`
    /// (or the enum variant `name` as `Enum::Variant`) whose fields cover
    /// them; properties the source does not name go last, sorted.
    pub fn order(&self, name: &str, properties: &[String]) -> Vec<String> {
        let mut candidates: Vec<Vec<String>> = Vec::new();
        if let Some(fields) = self.variants.get(name) {
            candidates.push(self.expand(fields, 0));
        }
        for fields in self.structs.get(name).into_iter().flatten() {
            candidates.push(self.expand(fields, 0));
        }
        let best = candidates
            .into_iter()
            .max_by_key(|c| properties.iter().filter(|p| c.contains(p)).count())
            .unwrap_or_default();
        let mut order: Vec<String> = best
            .into_iter()
            .filter(|f| properties.contains(f))
            .collect();
        let mut rest: Vec<String> = properties
            .iter()
            .filter(|p| !order.contains(p))
            .cloned()
            .collect();
        rest.sort();
        order.extend(rest);
        order
    }
}
