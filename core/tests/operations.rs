//! The operation list (`carebase::clinic_operations!`) and `Clinic` cannot
//! drift: a listed operation whose method is missing or typed differently
//! does not compile (`ClinicOperations`), and these tests fail when
//! `Clinic` gains a public async method the list lacks.

use std::collections::BTreeSet;
use std::path::Path;

use carebase::clinic::OPERATIONS;

/// The public async methods of every `impl Clinic` block under `core/src/clinic/`.
fn public_async_clinic_methods() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/clinic");
    let mut found = BTreeSet::new();
    // Every file below the folder, so a module split into a folder of its
    // own is still read.
    let mut files = Vec::new();
    let mut folders = vec![dir.clone()];
    while let Some(folder) = folders.pop() {
        for path in std::fs::read_dir(&folder)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
        {
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no sources under {}", dir.display());
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for item in file.items {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let is_clinic = block.trait_.is_none()
                && matches!(&*block.self_ty, syn::Type::Path(t) if t.path.is_ident("Clinic"));
            if !is_clinic {
                continue;
            }
            for member in block.items {
                let syn::ImplItem::Fn(method) = member else {
                    continue;
                };
                let public = matches!(method.vis, syn::Visibility::Public(_));
                if public && method.sig.asyncness.is_some() {
                    found.insert(method.sig.ident.to_string());
                }
            }
        }
    }
    found
}

#[test]
fn every_public_async_clinic_method_is_in_the_operation_list() {
    let listed: BTreeSet<String> = OPERATIONS.iter().map(|op| op.name.to_owned()).collect();
    let methods = public_async_clinic_methods();
    let unlisted: Vec<_> = methods.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&methods).collect();
    assert!(
        unlisted.is_empty(),
        "add to clinic_operations!: {unlisted:?}"
    );
    assert!(
        gone.is_empty(),
        "listed but not a public async method: {gone:?}"
    );
}

#[test]
fn the_operation_list_names_each_operation_once() {
    let names: BTreeSet<&str> = OPERATIONS.iter().map(|op| op.name).collect();
    assert_eq!(names.len(), OPERATIONS.len());
}

#[test]
fn the_operation_list_spells_types_as_written_give_or_take_spaces() {
    let explain = OPERATIONS.iter().find(|op| op.name == "explain_access");
    let explain = explain.map(|op| (op.takes_actor, op.args, op.returns));
    let (takes_actor, args, returns) = explain.unwrap_or_default();
    assert!(takes_actor);
    let args: Vec<_> = args
        .iter()
        .map(|a| (a.name, a.ty.replace(' ', "")))
        .collect();
    assert_eq!(
        args,
        [
            ("permission", "Permission".to_owned()),
            ("patient", "Option<PatientId>".to_owned())
        ]
    );
    assert_eq!(returns, "Decision");
}

#[test]
fn flattened_and_defaulted_arguments_are_marked() {
    let marks: Vec<_> = OPERATIONS
        .iter()
        .flat_map(|op| {
            op.args
                .iter()
                .map(move |a| (op.name, a.name, a.flatten, a.default))
        })
        .filter(|(_, _, flatten, default)| *flatten || *default)
        .collect();
    assert_eq!(
        marks,
        [
            ("register_patient", "new", true, false),
            ("search_patients", "query", false, true),
            ("patients_of_practitioner", "query", false, true),
            ("audit_log", "query", false, true),
            ("book_series", "series", true, false),
            ("import_appointment_fhir", "import", true, false),
            ("patient_timeline", "query", false, true),
            ("import_entry_fhir", "import", true, false),
            ("check_in_appointment", "check_in", false, true),
            ("record_lab_report", "report", true, false),
        ]
    );
}
