//! Every bound carebase puts on what a host hands in, in one place.
//!
//! Hosts are untrusted: a document nested thousands deep, a list of a
//! million items or a string of forty megabytes must end in a typed
//! `validation` error, never a crash, a hang or a write that cannot be read
//! back. Each limit is documented here so hosts can show it; the rules that
//! apply them live beside the input they check.

use chrono::Duration;

// ---- errors ---------------------------------------------------------------

/// Most field errors one `validation` error lists; past it, one last entry
/// with the code [`TOO_MANY_ERRORS`] says the rest were left out. A host
/// shows a form's mistakes, not a hostile list's hundred thousand.
pub const MAX_FIELD_ERRORS: usize = 100;

/// Code of the entry that closes a capped list of field errors.
pub const TOO_MANY_ERRORS: &str = "too_many_errors";

// ---- patients -------------------------------------------------------------

/// Most patients one `register_patients` call takes; more is a `validation`
/// error naming `patients` (too_many) and nothing is registered. Equal to
/// [`MAX_DOCUMENT_ITEMS`], the longest list a host's reader hands over
/// whole (Node's stops counting one past it), so a longer list is refused,
/// never cut. A host registering more calls again per 1,000 and reports
/// its progress between calls.
pub const MAX_BATCH_PATIENTS: usize = MAX_DOCUMENT_ITEMS;

/// Most change sets a batch operation hands the store in one
/// [`Store::apply_each`](crate::store::Store::apply_each): what one batch
/// keeps prepared in memory at a time, and one group of transactions.
pub const MAX_BATCH_CHANGE_SETS: usize = 250;

/// Longest single piece of a patient's details: a name part, an address
/// part, an identifier system or value, a relationship, a phone or email.
/// Longer than any real one, short enough to index and show.
pub const MAX_TEXT_CHARS: usize = 200;

/// Most identifiers one patient carries (MRNs, national ids, insurance
/// numbers, one per system and facility).
pub const MAX_IDENTIFIERS: usize = 50;

/// Most names one patient carries (official, usual, maiden, nicknames…).
pub const MAX_NAMES: usize = 20;

/// Most given names in one name.
pub const MAX_GIVEN_NAMES: usize = 20;

/// Most prefixes (titles before) in one name.
pub const MAX_NAME_PREFIXES: usize = 10;

/// Most suffixes (titles after) in one name.
pub const MAX_NAME_SUFFIXES: usize = 10;

/// Most phones and emails of one patient or emergency contact.
pub const MAX_TELECOM: usize = 50;

/// Most postal addresses of one patient.
pub const MAX_ADDRESSES: usize = 20;

/// Most street lines in one address.
pub const MAX_ADDRESS_LINES: usize = 10;

/// Most emergency contacts of one patient.
pub const MAX_EMERGENCY_CONTACTS: usize = 20;

/// Longest preferred-language tag: BCP 47 advises supporting 35 characters.
pub const MAX_LANGUAGE_TAG_CHARS: usize = 35;

// ---- free text ------------------------------------------------------------

/// Longest break-the-glass reason or review note: a paragraph.
pub const MAX_REASON_CHARS: usize = 1000;

/// Longest appointment or cancellation note: a few paragraphs.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Longest reason of a practitioner's time off.
pub const MAX_TIME_OFF_REASON_CHARS: usize = 500;

/// Longest display name of a practitioner, room or visit type.
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;

/// Longest code (visit type, cancellation reason, facility): codes are
/// short machine words.
pub const MAX_CODE_CHARS: usize = 64;

/// Longest time-zone name; the longest IANA name is about 30 characters.
pub const MAX_TIME_ZONE_CHARS: usize = 64;

// ---- scheduling -----------------------------------------------------------

/// Most weekly windows of one practitioner (several a day, every day).
pub const MAX_WEEKLY_HOURS: usize = 100;

/// Most date exceptions (days off, extra hours) of one practitioner.
pub const MAX_DATE_EXCEPTIONS: usize = 1000;

/// Most absences of one practitioner.
pub const MAX_TIME_OFF: usize = 1000;

/// Most reminders of one visit type.
pub const MAX_REMINDERS: usize = 10;

/// Most practitioners one free-slot search considers.
pub const MAX_SLOT_PRACTITIONERS: usize = 200;

// ---- queries and callers --------------------------------------------------

/// Longest text criterion of a patient search (name, identifier, phone, email).
pub const MAX_QUERY_TEXT_CHARS: usize = 200;

/// Longest paging cursor. An id-order cursor is under 100 characters; a
/// name search's carries its name key, a folded name part of at most
/// [`MAX_TEXT_CHARS`] characters (four bytes each at most, in base64), so
/// it stays well under this.
pub const MAX_CURSOR_CHARS: usize = 4096;

/// Longest outbox consumer name.
pub const MAX_CONSUMER_CHARS: usize = 100;

/// Most roles one actor holds (each role once is already fewer).
pub const MAX_ACTOR_ROLES: usize = 16;

// ---- settings -------------------------------------------------------------

/// Most identifier systems a clinic configures.
pub const MAX_IDENTIFIER_SYSTEMS: usize = 100;

/// Most MRN namespaces (facilities) a clinic configures.
pub const MAX_MRN_NAMESPACES: usize = 100;

/// Fewest digits an MRN is padded to: shorter numbers are easy to mistype
/// into another patient's.
pub const MIN_MRN_DIGITS: u32 = 4;

/// Most digits an MRN is padded to: a 64-bit counter has at most 20.
pub const MAX_MRN_DIGITS: u32 = 18;

/// Longest facility code (it names the facility's MRN counter).
pub const MAX_FACILITY_CHARS: usize = 32;

/// Longest MRN prefix (e.g. `N` or `NORTH-`).
pub const MAX_MRN_PREFIX_CHARS: usize = 16;

/// Longest break-the-glass grant a clinic may allow: past a week an
/// emergency is no longer one.
pub const MAX_BREAK_GLASS: Duration = Duration::days(7);

/// Longest late-cancellation window: the furthest a visit can be booked
/// ahead (ten years), beyond which every cancellation would be late.
pub const MAX_LATE_CANCELLATION_WINDOW: Duration = Duration::days(3650);

// ---- documents ------------------------------------------------------------
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

// ---- instants -------------------------------------------------------------

/// Earliest calendar year of an instant or date carebase accepts or stores.
/// Python's `datetime`, Java's and Swift's date types and JavaScript's `Date`
/// all represent years 1 to 9999; chrono goes further (year 0, negative
/// years), so an instant outside that range would be stored and then fail in
/// every host that reads it (`crate::instant`).
pub const MIN_YEAR: i32 = 1;

/// Latest calendar year of an instant or date carebase accepts or stores
/// (see [`MIN_YEAR`]).
pub const MAX_YEAR: i32 = 9999;

// ---- audit key ------------------------------------------------------------

/// Fewest bytes in a host's audit key: HMAC-SHA256 is only as strong as a
/// 256-bit key, and a shorter one is almost always a password or a typo.
pub const AUDIT_KEY_MIN_BYTES: usize = 32;

/// Most bytes in a host's audit key: HMAC hashes longer keys down to 32 bytes
/// anyway, so anything beyond this is a mistake (a file instead of a key).
pub const AUDIT_KEY_MAX_BYTES: usize = 1024;

// ---- terminology ----------------------------------------------------------

/// Longest UCUM unit expression: real units are a few dozen characters
/// (`mL/(kg.min)`); this bounds the parser's work on a hostile one.
pub const MAX_UNIT_CHARS: usize = 256;

/// Deepest nesting of parentheses in a UCUM unit expression: the parser
/// recurses once per level, so the depth is bounded before anything else.
pub const MAX_UNIT_NESTING: usize = 16;

/// Largest exponent (either sign) of one unit in a UCUM expression
/// (`10*23`, `m3`): beyond it nothing physical is meant.
pub const MAX_UNIT_EXPONENT: i32 = 99;

// ---- health record: conditions to documents -------------------------------

/// Longest short text of a clinical entry: a title, a lot number, a coding's
/// display, a reason for an override. A line, not a letter.
pub const MAX_RECORD_TEXT_CHARS: usize = 500;

/// Longest free text of a prescription's instructions: a paragraph.
pub const MAX_INSTRUCTIONS_CHARS: usize = 2_000;

/// Longest clinical note: about ten printed pages, more than any real
/// consultation note, and small enough to read back in one row.
pub const MAX_CLINICAL_NOTE_CHARS: usize = 20_000;

/// Largest document (a scanned letter, an image) kept through the blob
/// port: 20 MiB, a multi-page scan at a readable resolution. Bigger files
/// belong in an imaging archive, not in the patient record.
pub const MAX_ATTACHMENT_BYTES: usize = 20 << 20;

/// Longest MIME content type of a document (RFC 6838 caps each of type and
/// subtype at 127 characters).
pub const MAX_CONTENT_TYPE_CHARS: usize = 255;

/// Most refills one prescription allows: a year of monthly refills and
/// more; past it the prescriber writes a new one.
pub const MAX_REFILLS: u32 = 99;

/// Most items in one list of a clinical entry's body (reactions,
/// manifestations, performers, allergy overrides).
pub const MAX_RECORD_ITEMS: usize = 50;
