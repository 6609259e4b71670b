//! A reference a person can read out on the phone: a letter, then eight characters of an
//! alphabet without look-alikes (no 0/O, 1/I/L), in two groups: `H-7KX3-9QF2`. 31^8 is about
//! 8.5e11, so guessing one is hopeless, and it tells nothing about how many there are.

use crate::error::{StoreError, StoreResult};

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A new random reference starting with `prefix` (`H` for help requests, `P` for partners).
pub fn new_reference(prefix: char) -> StoreResult<String> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| StoreError::Config(format!("no randomness for a reference: {e}")))?;
    // 256 is not a multiple of 31: the bias (at most 1 in 8) does not matter for a reference.
    let chars: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    Ok(format!("{prefix}-{}-{}", &chars[..4], &chars[4..]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_are_readable() {
        let r = super::new_reference('H').unwrap();
        assert_eq!(r.len(), 11);
        assert!(r.starts_with("H-"));
        assert!(!r.contains(['0', 'O', '1', 'I', 'L']));
        assert_ne!(r, super::new_reference('H').unwrap());
    }
}
