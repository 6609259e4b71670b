//! The public directory (issue #23): the rules of what the public reads about a service, pure.
//!
//! - [`places_band`]: free places as a range, never an exact small number (a count of 1 or 2 in a
//!   small etrap can point at a family);
//! - [`matches_need`]: search by need in plain words, in any of the three languages, forgiving of
//!   word endings ("disability" finds "disabilities", "ребёнок" finds "ребёнка" poorly, so the
//!   stem is the first three quarters of the word).

use serde::Serialize;

/// What the public is told about an offer's places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PlacesBand {
    /// The offer is not limited in places (home-based work, sessions).
    Open,
    /// No free place now; new people go on the waiting list.
    WaitingList,
    /// Some free places: fewer than ten (never the exact number).
    Few,
    /// Ten or more free places.
    Many,
}

impl PlacesBand {
    /// The code the pages translate (`directory-places-<code>`).
    pub fn as_str(self) -> &'static str {
        match self {
            PlacesBand::Open => "open",
            PlacesBand::WaitingList => "waiting",
            PlacesBand::Few => "few",
            PlacesBand::Many => "many",
        }
    }
}

/// Free places as the public reads them: `free` is places minus those taken (`None`: not
/// limited). Below ten the band says only "a few"; none free is the waiting list.
pub fn places_band(free: Option<i64>) -> PlacesBand {
    match free {
        None => PlacesBand::Open,
        Some(n) if n <= 0 => PlacesBand::WaitingList,
        Some(n) if n < 10 => PlacesBand::Few,
        Some(_) => PlacesBand::Many,
    }
}

/// The longest search the public may type (characters); longer is cut, not refused.
pub const MAX_QUERY: usize = 200;

/// Lower-case words of at least three letters (shorter ones, "a", "in", "с", carry no need).
pub fn query_words(query: &str) -> Vec<String> {
    query
        .chars()
        .take(MAX_QUERY)
        .collect::<String>()
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_owned)
        .take(12)
        .collect()
}

/// The stem a word is matched by: its first three quarters, at least four letters.
fn stem(word: &str) -> String {
    let n = word.chars().count();
    let keep = (n * 3).div_ceil(4).max(4).min(n);
    word.chars().take(keep).collect()
}

/// Whether every word of the query (its stem) is found in `haystack` (any case). An empty query
/// matches everything.
pub fn matches_need(words: &[String], haystack: &str) -> bool {
    let hay = haystack.to_lowercase();
    words.iter().all(|w| hay.contains(&stem(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_numbers_are_never_shown() {
        assert_eq!(places_band(None), PlacesBand::Open);
        assert_eq!(places_band(Some(0)), PlacesBand::WaitingList);
        assert_eq!(places_band(Some(-2)), PlacesBand::WaitingList);
        for n in 1..10 {
            assert_eq!(places_band(Some(n)), PlacesBand::Few, "{n}");
        }
        assert_eq!(places_band(Some(10)), PlacesBand::Many);
        assert_eq!(places_band(Some(250)), PlacesBand::Many);
    }

    #[test]
    fn plain_words_find_the_service_in_three_languages() {
        let en = "Day care for children with disabilities";
        let ru = "Дневной уход за детьми с инвалидностью";
        let tk = "Maýyplygy bolan çagalar üçin gündizki ideg";
        assert!(matches_need(&query_words("day care child disability"), en));
        assert!(matches_need(
            &query_words("Day care for a child with a disability"),
            en
        ));
        assert!(matches_need(&query_words("дневной уход инвалидность"), ru));
        assert!(matches_need(&query_words("çaga gündizki"), tk));
        assert!(!matches_need(&query_words("shelter"), en));
        assert!(matches_need(&query_words(""), en), "no words: everything");
        assert!(
            matches_need(&query_words("a to in"), en),
            "short words are ignored"
        );
    }

    #[test]
    fn hostile_queries_are_bounded() {
        let long = "x".repeat(100_000);
        let words = query_words(&long);
        assert_eq!(words.len(), 1);
        assert!(words[0].chars().count() <= MAX_QUERY);
        assert!(query_words(&"abc ".repeat(1000)).len() <= 12);
        assert!(!matches_need(
            &query_words("<script>alert(1)</script>"),
            "day care"
        ));
    }
}
