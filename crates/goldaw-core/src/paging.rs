//! Paging every list the same way (issue #24): a page size within bounds, and a way to the next
//! page that stays cheap however deep it goes — a *keyset cursor*, the sort key of the last row
//! shown, so the next page is "the rows after this key" read from an index, never "skip the first
//! N rows".
//!
//! A cursor is opaque to the reader: the fields of the key, each hex-encoded, joined by `.`
//! (safe in a URL as it is). A cursor that does not decode is refused with a reason; one that
//! decodes to a key no row has just starts after that key (nothing is shown that the reader
//! could not see anyway: the scope condition is applied to every page).

use crate::ParseError;

/// Rows on a page when the reader does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The most rows on one page.
pub const MAX_PAGE_SIZE: u32 = 200;
/// Counts stop here and say "more than" (a count of the whole nation's rows costs a scan).
pub const COUNT_CAP: u32 = 1000;

/// The page size asked for, within 1..=[`MAX_PAGE_SIZE`].
pub fn page_size(asked: Option<u32>) -> u32 {
    asked.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE)
}

/// The cursor naming the key `fields`.
pub fn encode_cursor(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| f.bytes().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(".")
}

/// The `n` fields of a cursor made by [`encode_cursor`].
pub fn decode_cursor(cursor: &str, n: usize) -> Result<Vec<String>, ParseError> {
    let bad = || {
        ParseError::new("the page link is damaged (the 'after' value does not decode): start again from the first page")
    };
    if cursor.len() > 1000 {
        return Err(bad());
    }
    let fields: Vec<String> = cursor
        .split('.')
        .map(|hex| {
            if hex.len() % 2 != 0 {
                return Err(bad());
            }
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    u8::from_str_radix(hex.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad())
                })
                .collect::<Result<Vec<u8>, _>>()?;
            String::from_utf8(bytes).map_err(|_| bad())
        })
        .collect::<Result<_, _>>()?;
    if fields.len() != n {
        return Err(bad());
    }
    Ok(fields)
}

/// A count that stops at a cap: `more` says there are more than `shown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CappedCount {
    pub shown: u32,
    /// There are more than `shown`.
    pub more: bool,
}

impl CappedCount {
    /// From a count read with `LIMIT cap + 1`.
    pub fn of(counted: i64, cap: u32) -> CappedCount {
        let counted = u32::try_from(counted.max(0)).unwrap_or(u32::MAX);
        if counted > cap {
            CappedCount {
                shown: cap,
                more: true,
            }
        } else {
            CappedCount {
                shown: counted,
                more: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_damage() {
        let c = encode_cursor(&["1778700000", "A-05/2026/0007", ""]);
        assert!(c.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '.'));
        assert_eq!(
            decode_cursor(&c, 3).unwrap(),
            vec!["1778700000", "A-05/2026/0007", ""]
        );
        assert!(decode_cursor(&c, 2).is_err());
        assert!(decode_cursor("zz", 1).is_err());
        assert!(decode_cursor("abc", 1).is_err());
        assert!(decode_cursor("ff", 1).is_err());
        assert!(decode_cursor(&"a".repeat(2000), 1).is_err());
    }

    #[test]
    fn sizes_and_counts_stay_in_bounds() {
        assert_eq!(page_size(None), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(100_000)), MAX_PAGE_SIZE);
        assert_eq!(
            CappedCount::of(5, 10),
            CappedCount {
                shown: 5,
                more: false
            }
        );
        assert_eq!(
            CappedCount::of(11, 10),
            CappedCount {
                shown: 10,
                more: true
            }
        );
    }
}
