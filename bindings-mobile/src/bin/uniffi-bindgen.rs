//! The uniffi bindgen, built from this workspace so it always matches the
//! library's uniffi version: `uniffi-bindgen generate --library <lib.so> …`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
