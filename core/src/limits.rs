//! Every bound carebase puts on what a host hands in, in one place.
//!
//! Hosts are untrusted: a document nested thousands deep, a list of a
//! million items or a string of forty megabytes must end in a typed
//! `validation` error, never a crash, a hang or a write that cannot be read
//! back. Each limit is documented here so hosts can show it; the rules that
//! apply them live beside the input they check.

// ------------------------------------------------------------ documents ---
//
// A document is structured data a host hands over whole: a FHIR resource, a
// policy in TOML or JSON. Checked before anything else reads it, and without
// recursion, so no document can exhaust the stack (`crate::document`).

/// Deepest nesting of arrays and objects in a document (the document itself
/// is level 1). Real FHIR resources nest to about 10–15 levels; 64 leaves a
/// wide margin and keeps what a store writes around a document (at most a
/// few more levels, see `STORED_WRAPPING_DEPTH` in `carebase-storage`) far
/// below the 128 levels serde_json decodes.
pub const MAX_DOCUMENT_DEPTH: usize = 64;

/// Largest document in bytes: the length of the text handed in, or of the
/// compact JSON of a value a host built. A FHIR Appointment is a few
/// kilobytes and a policy rarely more; 1 MiB bounds the memory and time one
/// call costs.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// Longest string (or member name) inside a document, in bytes of UTF-8.
/// Enough for any narrative or note an appointment carries.
pub const MAX_DOCUMENT_STRING_BYTES: usize = 64 << 10;

/// Most items in one array, or members in one object, of a document. A
/// resource's lists (participants, codings, extensions) hold a handful.
pub const MAX_DOCUMENT_ITEMS: usize = 1_000;

/// Most bound violations reported for one document: past that, more of the
/// same tells the host nothing and only costs time.
pub const MAX_DOCUMENT_ERRORS: usize = 20;

// ------------------------------------------------------------- instants ---

/// Earliest calendar year of an instant or date carebase accepts or stores.
/// Python's `datetime`, Java's and Swift's date types and JavaScript's `Date`
/// all represent years 1 to 9999; chrono goes further (year 0, negative
/// years), so an instant outside that range would be stored and then fail in
/// every host that reads it (`crate::instant`).
pub const MIN_YEAR: i32 = 1;

/// Latest calendar year of an instant or date carebase accepts or stores
/// (see [`MIN_YEAR`]).
pub const MAX_YEAR: i32 = 9999;

// ------------------------------------------------------------ audit key ---

/// Fewest bytes in a host's audit key: HMAC-SHA256 is only as strong as a
/// 256-bit key, and a shorter one is almost always a password or a typo.
pub const AUDIT_KEY_MIN_BYTES: usize = 32;

/// Most bytes in a host's audit key: HMAC hashes longer keys down to 32 bytes
/// anyway, so anything beyond this is a mistake (a file instead of a key).
pub const AUDIT_KEY_MAX_BYTES: usize = 1024;
