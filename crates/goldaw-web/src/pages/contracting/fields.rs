//! The contracting forms' fields read into the store's requests: amounts in manat (two decimals)
//! to tiyn, whole numbers, dates, a deadline, lists. A field that does not read is a refusal
//! with a key naming the field (`contracting-form-…`), before anything is written.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use goldaw_store::error::SayArg;
use goldaw_store::StoreError;

fn bad(field: &'static str, key: &'static str) -> StoreError {
    StoreError::refuse(field, key, vec![("field", SayArg::Text(field.to_owned()))])
}

/// An amount in manat ("1250", "1250.5", "1250.50") as tiyn; at most two decimals, not negative.
pub(super) fn manat(field: &'static str, text: &str) -> Result<i64, StoreError> {
    let t = text.trim().replace([' ', '\u{a0}'], "");
    let (whole, frac, separated) = match t.split_once(['.', ',']) {
        Some((w, f)) => (w.to_owned(), f.to_owned(), true),
        None => (t.clone(), String::new(), false),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(&whole) || (separated && !digits(&frac)) || frac.len() > 2 {
        return Err(bad(field, "contracting-form-money"));
    }
    let cents = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().unwrap_or(0) * 10,
        _ => frac.parse::<i64>().unwrap_or(0),
    };
    whole
        .parse::<i64>()
        .ok()
        .and_then(|w| w.checked_mul(100))
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(|| bad(field, "contracting-form-money"))
}

/// An optional amount in manat: empty is none.
pub(super) fn opt_manat(field: &'static str, text: &str) -> Result<Option<i64>, StoreError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        manat(field, text).map(Some)
    }
}

/// A whole number (negative numbers read, the store refuses them with its own key).
pub(super) fn number(field: &'static str, text: &str) -> Result<i32, StoreError> {
    text.trim()
        .parse()
        .map_err(|_| bad(field, "contracting-form-number"))
}

/// An optional whole number: empty is none.
pub(super) fn opt_number(field: &'static str, text: &str) -> Result<Option<i32>, StoreError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        number(field, text).map(Some)
    }
}

pub(super) fn date(field: &'static str, text: &str) -> Result<NaiveDate, StoreError> {
    text.trim()
        .parse()
        .map_err(|_| bad(field, "contracting-form-date"))
}

pub(super) fn opt_date(field: &'static str, text: &str) -> Result<Option<NaiveDate>, StoreError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        date(field, text).map(Some)
    }
}

/// A moment from a `datetime-local` field ("2026-12-07T17:00", seconds optional), read as UTC
/// (the form says so).
pub(super) fn moment(field: &'static str, text: &str) -> Result<DateTime<Utc>, StoreError> {
    let t = text.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .map(|n| Utc.from_utc_datetime(&n))
        .ok_or_else(|| bad(field, "contracting-form-moment"))
}

/// A list typed as words separated by commas, semicolons, spaces or lines.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split([',', ';', ' ', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Empty is none.
pub(super) fn opt_text(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// An amount in tiyn as manat with two decimals.
pub(crate) fn show_manat(tiyn: i64) -> String {
    let sign = if tiyn < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (tiyn / 100).abs(), (tiyn % 100).abs())
}

/// The actions a form's select offers: each action's code and its label in the reader's
/// language (`contracting-act-{code}`), the tender's and the contract's alike.
pub(super) fn action_choices<A: Copy>(
    actions: impl IntoIterator<Item = A>,
    code: fn(A) -> &'static str,
    t: &crate::i18n::Translator,
) -> Vec<(String, String)> {
    actions
        .into_iter()
        .map(|a| {
            let c = code(a);
            (c.to_owned(), t.t(&format!("contracting-act-{c}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manat_reads_to_tiyn_and_refuses_what_is_not_an_amount() {
        assert_eq!(manat("a", "50").unwrap(), 5000);
        assert_eq!(manat("a", "50.5").unwrap(), 5050);
        assert_eq!(manat("a", " 1 250,05 ").unwrap(), 125_005);
        for bad in ["", "-1", "1.234", "abc", "1.", ".5", "99999999999999999999"] {
            assert!(manat("a", bad).is_err(), "{bad}");
        }
        assert_eq!(show_manat(125_005), "1250.05");
        assert_eq!(show_manat(-5), "-0.05");
    }

    #[test]
    fn a_deadline_reads_from_the_browser_field() {
        let m = moment("d", "2026-12-07T17:30").unwrap();
        assert_eq!(m.to_rfc3339(), "2026-12-07T17:30:00+00:00");
        assert!(moment("d", "tomorrow").is_err());
    }
}
