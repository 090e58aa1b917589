//! The host's audit key: what makes the trail tamper-evident against someone
//! who can write the database. Entries are sealed and checkpoints signed
//! with HMAC-SHA256 under keys derived from it; without it a forger can
//! recompute neither.

use std::fmt;
use std::sync::{Arc, OnceLock};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::limits::{AUDIT_KEY_MAX_BYTES, AUDIT_KEY_MIN_BYTES};
use crate::{Error, Result};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The well-known key a clinic uses when the host gives none. It is public,
/// so a trail sealed with it proves nothing against someone who can write
/// the database: verification reports say `keyed: false`. Production hosts
/// must set their own key ([`crate::Clinic::with_audit_key`]).
pub const DEVELOPMENT_AUDIT_KEY: &[u8; 32] = b"carebase-development-audit-key!!";

/// Labels separating what each derived key signs, so an entry seal can
/// never be replayed as a checkpoint signature or a key fingerprint.
const ENTRY_LABEL: &[u8] = b"carebase/audit/entry/v2";
const CHECKPOINT_LABEL: &[u8] = b"carebase/audit/checkpoint/v1";
const KEY_ID_LABEL: &[u8] = b"carebase/audit/key-id";

/// Hex digits of a key id (a 64-bit fingerprint).
pub(crate) const KEY_ID_LEN: usize = 16;

/// A secret key the host keeps outside the database (a secrets manager, an
/// HSM-wrapped file, an environment variable). Cheap to clone. `Debug`
/// shows only the public [`AuditKey::key_id`]; the bytes are never stored,
/// logged or put in an error.
#[derive(Clone)]
pub struct AuditKey(Arc<Keys>);

struct Keys {
    entry: [u8; 32],
    checkpoint: [u8; 32],
    key_id: String,
    development: bool,
}

impl AuditKey {
    /// A key from the host's secret bytes: at least
    /// [`AUDIT_KEY_MIN_BYTES`], at most [`AUDIT_KEY_MAX_BYTES`], not one
    /// byte repeated (a zeroed buffer is a bug, not a key).
    pub fn new(secret: &[u8]) -> Result<Self> {
        if secret.len() < AUDIT_KEY_MIN_BYTES {
            return Err(Error::invalid(
                "audit_key",
                "invalid_value",
                format!("an audit key has at least {AUDIT_KEY_MIN_BYTES} bytes"),
            ));
        }
        if secret.len() > AUDIT_KEY_MAX_BYTES {
            return Err(Error::invalid(
                "audit_key",
                "too_long",
                format!("an audit key has at most {AUDIT_KEY_MAX_BYTES} bytes"),
            ));
        }
        if secret.iter().all(|b| *b == secret[0]) {
            return Err(Error::invalid(
                "audit_key",
                "invalid_value",
                "an audit key must be random bytes, not one byte repeated",
            ));
        }
        Ok(Self::derive(secret))
    }

    /// The public development key ([`DEVELOPMENT_AUDIT_KEY`]).
    pub fn development() -> Self {
        Self::derive(DEVELOPMENT_AUDIT_KEY)
    }

    fn derive(secret: &[u8]) -> Self {
        let key_id = hex::encode(&mac(secret, KEY_ID_LABEL)[..KEY_ID_LEN / 2]);
        Self(Arc::new(Keys {
            entry: mac(secret, ENTRY_LABEL),
            checkpoint: mac(secret, CHECKPOINT_LABEL),
            key_id,
            development: secret == DEVELOPMENT_AUDIT_KEY,
        }))
    }

    /// A short public fingerprint (16 hex digits) naming the key in seals,
    /// checkpoints and reports, so a wrong key is told apart from tampering.
    pub fn key_id(&self) -> &str {
        &self.0.key_id
    }

    /// Whether this is the public development key.
    pub fn is_development(&self) -> bool {
        self.0.development
    }

    /// HMAC of `message` under the entry key.
    pub(crate) fn seal_entry(&self, message: &[u8]) -> [u8; 32] {
        mac(&self.0.entry, message)
    }

    /// HMAC of `message` under the checkpoint key.
    pub(crate) fn sign_checkpoint(&self, message: &[u8]) -> [u8; 32] {
        mac(&self.0.checkpoint, message)
    }

    /// Whether `tag` (hex) is the entry HMAC of `message`, in constant time.
    pub(crate) fn entry_matches(&self, message: &[u8], tag: &str) -> bool {
        matches(&self.0.entry, message, tag)
    }

    /// Whether `tag` (hex) is the checkpoint HMAC of `message`, in constant time.
    pub(crate) fn checkpoint_matches(&self, message: &[u8], tag: &str) -> bool {
        matches(&self.0.checkpoint, message, tag)
    }
}

/// The development key, derived once.
pub(crate) fn development_key() -> &'static AuditKey {
    static KEY: OnceLock<AuditKey> = OnceLock::new();
    KEY.get_or_init(AuditKey::development)
}

impl Default for AuditKey {
    /// The development key: a clinic without a host key still seals, and
    /// says so in every verification report.
    fn default() -> Self {
        Self::development()
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey")
            .field("key_id", &self.0.key_id)
            .field("development", &self.0.development)
            .finish_non_exhaustive()
    }
}

fn hmac_of(key: &[u8]) -> HmacSha256 {
    // RFC 2104: HMAC takes keys of every length, so the fallback (a zero key)
    // never runs; it only keeps library code free of panics.
    HmacSha256::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()))
}

fn mac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut m = hmac_of(key);
    m.update(message);
    m.finalize().into_bytes().into()
}

fn matches(key: &[u8], message: &[u8], tag: &str) -> bool {
    let Ok(tag) = hex::decode(tag) else {
        return false;
    };
    let mut m = hmac_of(key);
    m.update(message);
    m.verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_shorter_than_32_bytes_is_refused_without_echoing_it() {
        let err = AuditKey::new(b"short secret").unwrap_err();
        assert_eq!(err.code(), "validation");
        assert!(!format!("{err:?}").contains("short secret"));
    }

    #[test]
    fn a_repeated_byte_is_not_a_key() {
        assert!(AuditKey::new(&[0u8; 32]).is_err());
        assert!(AuditKey::new(&[7u8; 64]).is_err());
    }

    #[test]
    fn a_key_over_the_maximum_is_too_long() {
        let long: Vec<u8> = (0..=AUDIT_KEY_MAX_BYTES).map(|i| i as u8).collect();
        let err = AuditKey::new(&long).unwrap_err();
        let Error::Validation { fields } = err else {
            panic!("validation expected")
        };
        assert_eq!(fields[0].code, "too_long");
    }

    #[test]
    fn debug_shows_the_fingerprint_and_never_the_secret() {
        let secret = b"0123456789abcdef0123456789abcdef-host-secret";
        let key = AuditKey::new(secret).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.key_id()));
        assert!(!shown.contains("host-secret"));
        assert!(!shown.contains(&hex::encode(secret)));
    }

    #[test]
    fn the_key_id_is_a_stable_fingerprint_that_differs_between_keys() {
        let a = AuditKey::new(&[1u8, 2].repeat(16)).unwrap();
        let b = AuditKey::new(&[2u8, 1].repeat(16)).unwrap();
        assert_eq!(
            a.key_id(),
            AuditKey::new(&[1u8, 2].repeat(16)).unwrap().key_id()
        );
        assert_ne!(a.key_id(), b.key_id());
        assert_eq!(a.key_id().len(), KEY_ID_LEN);
    }

    #[test]
    fn the_development_key_is_marked_as_such() {
        assert!(AuditKey::development().is_development());
        assert!(AuditKey::new(DEVELOPMENT_AUDIT_KEY)
            .unwrap()
            .is_development());
        assert!(!AuditKey::new(&[1u8, 2].repeat(16))
            .unwrap()
            .is_development());
    }

    #[test]
    fn entry_and_checkpoint_keys_differ() {
        let key = AuditKey::development();
        assert_ne!(key.seal_entry(b"x"), key.sign_checkpoint(b"x"));
        assert!(key.entry_matches(b"x", &hex::encode(key.seal_entry(b"x"))));
        assert!(!key.checkpoint_matches(b"x", &hex::encode(key.seal_entry(b"x"))));
        assert!(!key.entry_matches(b"x", "not hex"));
    }
}
