//! The survivor code (issue #18, item 5; docs/survivors.md): the only identifier a sensitive
//! (gender-based violence or child protection) case carries into the anonymised statistics, and
//! the one its team may quote where a name must not be said (GBVIMS: "a code per survivor, no
//! identifying information").
//!
//! It tells nothing about the person or the case: no part of a name, a birth date, an etrap, or a
//! sequence that would give away the order of registration — eight characters drawn at random
//! from an alphabet without look-alikes (no 0/O, 1/I/L, nor U), and a check character (Luhn mod
//! 30), so a code read out or copied by hand with one character wrong, or two neighbours swapped
//! (but `2` and `Z`, Luhn's blind spot), is seen to be wrong: `S-7KX3-9QF2-M`. 30^8 is about
//! 6.6e11: a code cannot be guessed, and the store keeps them unique (a unique index; a clash is
//! drawn again). A code once given is never changed.

/// The characters of a code: digits and capitals without look-alikes (nor U, as Crockford's
/// base 32); 30 of them: Luhn mod N sees every single wrong character only for an even N.
pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Random characters in a code (without the check character).
pub const RANDOM_CHARS: usize = 8;

/// The random bytes [`from_random`] takes: enough that at least eight fall in the unbiased range
/// (bytes from 240 up are skipped so that every character is equally likely).
pub const RANDOM_BYTES: usize = 16;

fn value(c: u8) -> Option<usize> {
    ALPHABET.iter().position(|a| *a == c)
}

/// The check character of `chars` (Luhn mod N over the alphabet).
fn check_char(chars: &[u8]) -> Option<u8> {
    let n = ALPHABET.len();
    let mut sum = 0;
    // From the right, the rightmost character doubled (the check character will sit after it).
    for (i, c) in chars.iter().rev().enumerate() {
        let mut v = value(*c)?;
        if i % 2 == 0 {
            v *= 2;
            v = v / n + v % n;
        }
        sum += v;
    }
    Some(ALPHABET[(n - sum % n) % n])
}

/// A code from random bytes, or `None` if too few of them fell in the unbiased range (the caller
/// draws again; with 16 bytes that happens about once in 10^13).
pub fn from_random(bytes: &[u8; RANDOM_BYTES]) -> Option<String> {
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let chars: Vec<u8> = bytes
        .iter()
        .filter(|b| **b < limit)
        .take(RANDOM_CHARS)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()])
        .collect();
    if chars.len() < RANDOM_CHARS {
        return None;
    }
    let check = check_char(&chars)?;
    let text = String::from_utf8(chars).ok()?;
    Some(format!("S-{}-{}-{}", &text[..4], &text[4..], check as char))
}

/// Whether `code` is a well-formed survivor code whose check character holds (case and
/// spaces forgiven: a code read out on the phone).
pub fn is_valid(code: &str) -> bool {
    let cleaned: Vec<u8> = code
        .trim()
        .to_ascii_uppercase()
        .bytes()
        .filter(|b| !matches!(b, b'-' | b' '))
        .collect();
    let Some((b'S', rest)) = cleaned.split_first() else {
        return false;
    };
    if rest.len() != RANDOM_CHARS + 1 || rest.iter().any(|c| value(*c).is_none()) {
        return false;
    }
    let (chars, check) = rest.split_at(RANDOM_CHARS);
    check_char(chars) == Some(check[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(seed: u8) -> [u8; RANDOM_BYTES] {
        let mut b = [0u8; RANDOM_BYTES];
        for (i, x) in b.iter_mut().enumerate() {
            *x = seed
                .wrapping_mul(37)
                .wrapping_add((i as u8).wrapping_mul(101));
        }
        b
    }

    #[test]
    fn a_code_is_readable_and_checks() {
        let code = from_random(&bytes(7)).unwrap();
        assert_eq!(code.len(), 13, "{code}");
        assert!(code.starts_with("S-"));
        assert!(!code[2..].contains(['0', 'O', '1', 'I', 'L']), "{code}");
        assert!(is_valid(&code));
        assert!(is_valid(&code.to_lowercase()));
        assert!(is_valid(&code.replace('-', " ")));
    }

    #[test]
    fn one_wrong_character_or_two_swapped_are_seen() {
        for seed in 0..50u8 {
            let code = from_random(&bytes(seed)).unwrap();
            let chars: Vec<char> = code.chars().collect();
            // Every single substitution in the random part or the check character.
            for pos in [2, 3, 4, 5, 7, 8, 9, 10, 12] {
                for a in ALPHABET {
                    let a = *a as char;
                    if a == chars[pos] {
                        continue;
                    }
                    let mut wrong = chars.clone();
                    wrong[pos] = a;
                    let wrong: String = wrong.into_iter().collect();
                    assert!(!is_valid(&wrong), "{code} -> {wrong}");
                }
            }
            // Neighbours swapped within a group.
            for pos in [2, 3, 4, 7, 8, 9] {
                // Luhn's one blind spot: the first and last characters of the alphabet swapped.
                let pair = [chars[pos], chars[pos + 1]];
                if pair[0] == pair[1] || pair == ['2', 'Z'] || pair == ['Z', '2'] {
                    continue;
                }
                let mut swapped = chars.clone();
                swapped.swap(pos, pos + 1);
                let swapped: String = swapped.into_iter().collect();
                assert!(!is_valid(&swapped), "{code} -> {swapped}");
            }
        }
    }

    #[test]
    fn skewed_bytes_are_skipped_and_too_few_refused() {
        let mut b = [255u8; RANDOM_BYTES];
        assert_eq!(from_random(&b), None);
        b[..RANDOM_CHARS].copy_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(from_random(&b).unwrap()[..11], *"S-2345-6789");
        assert!(!is_valid("S-2345-6789"));
        assert!(!is_valid("X-2345-6789-A"));
        assert!(!is_valid(""));
    }
}
