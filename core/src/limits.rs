//! Every bound carebase puts on what a host hands in, in one place.
//!
//! Hosts are untrusted: a document nested thousands deep, a list of a
//! million items or a string of forty megabytes must end in a typed
//! `validation` error, never a crash, a hang or a write that cannot be read
//! back. Each limit is documented here so hosts can show it; the rules that
//! apply them live beside the input they check.

/// Fewest bytes in a host's audit key: HMAC-SHA256 is only as strong as a
/// 256-bit key, and a shorter one is almost always a password or a typo.
pub const AUDIT_KEY_MIN_BYTES: usize = 32;

/// Most bytes in a host's audit key: HMAC hashes longer keys down to 32 bytes
/// anyway, so anything beyond this is a mistake (a file instead of a key).
pub const AUDIT_KEY_MAX_BYTES: usize = 1024;
