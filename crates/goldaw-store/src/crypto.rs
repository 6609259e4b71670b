//! Sensitive values encrypted at rest with XChaCha20-Poly1305 (an AEAD), under a 32-byte key
//! the operator provides. Each sealed value is a fresh random 24-byte nonce followed by the
//! ciphertext and tag; the *context* (table, column and record id) is authenticated with it, so
//! a sealed value copied into another record or column does not open.
//!
//! The binary reads where the key is from its configuration (`--encryption-key-file` or
//! `GOLDAW_ENCRYPTION_KEY_FILE`, a file holding 64 hex digits; else `GOLDAW_ENCRYPTION_KEY`, the
//! 64 hex digits themselves) and passes it in ([`Secrets::from_file`], [`Secrets::from_hex_named`]);
//! the store reads no environment. Keep the key out of the database's backups: whoever has both
//! can read the sealed values; whoever has only the database cannot.

use crate::error::{StoreError, StoreResult};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use std::path::Path;

/// The setting naming the key file, as messages tell the operator to set it.
pub const KEY_FILE_ENV: &str = "GOLDAW_ENCRYPTION_KEY_FILE";
/// The setting holding the key itself.
pub const KEY_ENV: &str = "GOLDAW_ENCRYPTION_KEY";

pub struct Secrets {
    cipher: XChaCha20Poly1305,
    /// The secret of the statistics' record keys (cell-key perturbation), derived from the key.
    record_keys: [u8; 32],
    /// The audit chain's key, derived from the same key material (see `audit::AuditKey`).
    audit: crate::audit::AuditKey,
    /// The key of [`Secrets::keyed_digest`], derived like the record keys.
    lookup: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(…)")
    }
}

fn parse_hex_key(text: &str, whence: &str) -> StoreResult<[u8; 32]> {
    let hex = text.trim();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::Config(format!(
            "{whence} must hold a 256-bit key as 64 hexadecimal digits (make one with: goldaw key generate)"
        )));
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .map_err(|_| StoreError::Config(format!("{whence}: not hexadecimal")))?;
    }
    Ok(key)
}

/// A new random key as 64 hex digits.
pub fn generate_key_hex() -> StoreResult<String> {
    crate::sessions::random_token()
}

impl Secrets {
    pub fn from_key(key: [u8; 32]) -> Secrets {
        // A key of its own for the record keys, so that nothing about the encryption key could
        // be learnt from the statistics' noise: SHA-256 of a label and the key.
        use sha2::{Digest, Sha256};
        let record_keys: [u8; 32] = Sha256::new()
            .chain_update(b"goldaw statistics record keys v1\0")
            .chain_update(key)
            .finalize()
            .into();
        let lookup: [u8; 32] = Sha256::new()
            .chain_update(b"goldaw lookup digests v1\0")
            .chain_update(key)
            .finalize()
            .into();
        Secrets {
            cipher: XChaCha20Poly1305::new(Key::from_slice(&key)),
            record_keys,
            audit: crate::audit::AuditKey::derive(&key),
            lookup,
        }
    }

    /// A keyed digest of `data` (HMAC-SHA-256 under a key derived from the encryption key, with
    /// `label` naming the use): equal inputs match, but a value with few possible inputs (an IPv4
    /// address) cannot be recovered by hashing every candidate without the key.
    pub(crate) fn keyed_digest(&self, label: &str, data: &[u8]) -> Vec<u8> {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.lookup)
            .expect("HMAC takes a key of any length");
        mac.update(label.as_bytes());
        mac.update(b"\0");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// The record keys of the statistics' cell-key perturbation (`goldaw_core::cell_key`).
    pub fn record_keys(&self) -> goldaw_core::cell_key::RecordKeys {
        goldaw_core::cell_key::RecordKeys::new(self.record_keys)
    }

    /// The key the audit chain is keyed with.
    pub(crate) fn audit_key(&self) -> &crate::audit::AuditKey {
        &self.audit
    }

    pub fn from_hex(hex: &str) -> StoreResult<Secrets> {
        Secrets::from_hex_named(hex, "the encryption key")
    }

    /// As [`Secrets::from_hex`], with errors naming where the key came from (such as
    /// [`KEY_ENV`]).
    pub fn from_hex_named(hex: &str, name: &str) -> StoreResult<Secrets> {
        parse_hex_key(hex, name).map(Secrets::from_key)
    }

    pub fn from_file(path: &Path) -> StoreResult<Secrets> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            StoreError::Config(format!(
                "cannot read the encryption key file {}: {e}",
                path.display()
            ))
        })?;
        parse_hex_key(
            &text,
            &format!("the encryption key file {}", path.display()),
        )
        .map(Secrets::from_key)
    }

    pub fn seal(&self, plaintext: &[u8], context: &str) -> StoreResult<Vec<u8>> {
        let mut nonce = [0u8; 24];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Config("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> StoreResult<Vec<u8>> {
        if sealed.len() < 24 + 16 {
            return Err(StoreError::Corrupt(format!(
                "{context}: sealed value too short"
            )));
        }
        let (nonce, body) = sealed.split_at(24);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: context.as_bytes() })
            .map_err(|_| StoreError::Corrupt(format!("{context}: cannot be decrypted with this key (wrong key, or the value was changed)")))
    }
}

/// Error for a feature that needs the key when none was given.
pub fn key_missing(what: &str) -> StoreError {
    StoreError::Config(format!(
        "{what} needs the encryption key: set {KEY_FILE_ENV} to a file holding 64 hexadecimal digits \
         (goldaw key generate prints one), or {KEY_ENV}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_key_and_the_context() {
        let s = Secrets::from_hex(&"ab".repeat(32)).unwrap();
        let a = s.seal(b"JBSWY3DPEHPK3PXP", "users.totp_secret:1").unwrap();
        let b = s.seal(b"JBSWY3DPEHPK3PXP", "users.totp_secret:1").unwrap();
        assert_ne!(a, b, "a fresh nonce every time");
        assert!(!a.windows(8).any(|w| w == b"JBSWY3DP"));
        assert_eq!(
            s.open(&a, "users.totp_secret:1").unwrap(),
            b"JBSWY3DPEHPK3PXP"
        );
        assert!(
            s.open(&a, "users.totp_secret:2").is_err(),
            "moved to another record"
        );
        let other = Secrets::from_hex(&"cd".repeat(32)).unwrap();
        assert!(
            other.open(&a, "users.totp_secret:1").is_err(),
            "another key"
        );
        let mut flipped = a.clone();
        flipped[30] ^= 1;
        assert!(
            s.open(&flipped, "users.totp_secret:1").is_err(),
            "changed bytes"
        );
        assert!(Secrets::from_hex("short")
            .unwrap_err()
            .to_string()
            .contains("64 hexadecimal digits"));
        assert_eq!(generate_key_hex().unwrap().len(), 64);
    }

    #[test]
    fn keyed_digests_match_equal_inputs_and_depend_on_the_key_and_the_use() {
        let a = Secrets::from_key([7; 32]);
        let b = Secrets::from_key([8; 32]);
        let d = a.keyed_digest("public request address v1", b"127.0.0.1");
        assert_eq!(d, a.keyed_digest("public request address v1", b"127.0.0.1"));
        assert_ne!(d, b.keyed_digest("public request address v1", b"127.0.0.1"));
        assert_ne!(d, a.keyed_digest("another use", b"127.0.0.1"));
        assert_ne!(d, a.keyed_digest("public request address v1", b"127.0.0.2"));
        // Not the plain SHA-256 of the address that anyone could recompute.
        use sha2::{Digest, Sha256};
        assert_ne!(d, Sha256::digest(b"127.0.0.1").to_vec());
    }
}
