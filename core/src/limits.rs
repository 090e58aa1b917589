//! Every bound carebase puts on what a host hands in, in one place.
//!
//! Hosts are untrusted: a document nested thousands deep, a list of a
//! million items or a string of forty megabytes must end in a typed
//! `validation` error, never a crash, a hang or a write that cannot be read
//! back. Each limit is documented here so hosts can show it; the rules that
//! apply them live beside the input they check.
