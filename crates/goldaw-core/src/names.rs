//! Personal names, and the folded form used to find a person however their name was spelt.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAX_NAME_LEN: usize = 100;

/// A given or family name: 1 to 100 characters, no surrounding spaces, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PersonName {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s.trim().is_empty() {
            return Err(ParseError::new("a name is required"));
        }
        if s.trim() != s {
            return Err(ParseError::new("name has spaces at its start or end"));
        }
        if s.chars().count() > MAX_NAME_LEN {
            return Err(ParseError::new(format!(
                "name is longer than {MAX_NAME_LEN} characters"
            )));
        }
        if s.chars().any(char::is_control) {
            return Err(ParseError::new("name contains a control character"));
        }
        Ok(PersonName(s.to_owned()))
    }
}

impl TryFrom<String> for PersonName {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        s.parse()
    }
}

impl From<PersonName> for String {
    fn from(n: PersonName) -> String {
        n.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Folds a name to lower-case ASCII so that Turkmen Latin, Turkmen or Russian Cyrillic and plain
/// Latin spellings of the same name meet: "Aýna", "Айна" and "Ayna" all fold to "ayna";
/// "Şatlyk", "Шатлык" and "Shatlyk" to "shatlyk". `v` folds to `w` because Russian writes
/// Turkmen `w` as `в` and people type either. Anything else outside the map is dropped, apart
/// from digits and spaces (runs of spaces become one). `дж` (and `dzh`) fold to `j`.
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'a'..='z' | '0'..='9' => {
                let mut buf = [0u8; 4];
                let s = c.encode_utf8(&mut buf);
                push_folded(&mut out, s);
                continue;
            }
            ' ' | '-' | '\t' => " ",
            'ä' | 'á' | 'à' | 'â' | 'ə' => "a",
            'ç' => "ch",
            'ž' => "zh",
            'ň' | 'ñ' => "n",
            'ö' | 'ó' | 'ò' | 'ô' => "o",
            'ş' | 'š' => "sh",
            'ü' | 'ú' | 'ù' | 'û' => "u",
            'ý' | 'ÿ' => "y",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' | 'ı' => "i",
            'а' => "a",
            'б' => "b",
            'в' => "w",
            'г' => "g",
            'д' => "d",
            'е' | 'э' => "e",
            // After a consonant, Russian spelling uses ю, я, ё for Turkmen ü, ä, ö
            // (Гюльнара = Gülnara, Мяхри = Mähri); elsewhere they are y + vowel (Юсуп = Ýusup).
            'ё' if after_consonant(&out) => "o",
            'ё' => "yo",
            'ж' => "zh",
            'җ' => "j",
            'з' => "z",
            'и' => "i",
            'й' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'ң' => "n",
            'о' => "o",
            'ө' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ү' => "u",
            'ф' => "f",
            'х' => "h",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ы' => "y",
            'ю' if after_consonant(&out) => "u",
            'ю' => "yu",
            'я' if after_consonant(&out) => "a",
            'я' => "ya",
            'ә' => "a",
            'ъ' | 'ь' => "",
            _ => "",
        };
        push_folded(&mut out, mapped);
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    // Russian writes Turkmen `j` as дж (Ходжамов = Hojamow, Джерен = Jeren), and people type
    // its Latin transliteration `dzh` too. Migration 0023 applies the same replacement to the
    // stored `persons.name_key`: keep the two in step.
    if out.contains("dzh") {
        out = out.replace("dzh", "j");
    }
    out
}

fn after_consonant(out: &str) -> bool {
    out.chars()
        .last()
        .is_some_and(|c| c.is_ascii_lowercase() && !"aeiouy".contains(c))
}

fn push_folded(out: &mut String, s: &str) {
    for c in s.chars() {
        let c = if c == 'v' { 'w' } else { c };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
}

/// The words of a search, folded: "Maral Ýazow" and "Язов Марал" give the same two words, in
/// the order typed, each once.
pub fn search_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in fold_name(query).split(' ').filter(|w| !w.is_empty()) {
        if !terms.iter().any(|t| t == word) {
            terms.push(word.to_owned());
        }
    }
    terms
}

/// The shortest piece of a name the trigram index can look up.
pub const MIN_INDEXED: usize = 3;

/// How well a stored name answers a search, best first: the whole name in any order, then every
/// word typed as a whole word of the name, then the rest (parts of words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SearchTier {
    Exact = 0,
    WholeWords = 1,
    Partial = 2,
}

/// Where `name_key` (a folded stored name) stands for the search `terms` ([`search_terms`]):
/// its tier and a similarity in 0..=1 to order within it (closer spellings, fewer other words).
pub fn search_rank(terms: &[String], name_key: &str) -> (SearchTier, f64) {
    let words: Vec<&str> = name_key.split(' ').filter(|w| !w.is_empty()).collect();
    if terms.is_empty() || words.is_empty() {
        return (SearchTier::Partial, 0.0);
    }
    let whole = terms.iter().all(|t| words.contains(&t.as_str()));
    let tier = if whole && words.iter().all(|w| terms.iter().any(|t| t == w)) {
        SearchTier::Exact
    } else if whole {
        SearchTier::WholeWords
    } else {
        SearchTier::Partial
    };
    let per_term: f64 = terms
        .iter()
        .map(|t| {
            words
                .iter()
                .map(|w| word_similarity(t, w))
                .fold(0.0, f64::max)
        })
        .sum::<f64>()
        / terms.len() as f64;
    // Among equals, a name with fewer words beyond those typed first.
    let extra = words.len().saturating_sub(terms.len()) as f64;
    (tier, per_term / (1.0 + 0.1 * extra))
}

/// Pieces of a word of which at least one survives one typo (a letter wrong, missing or added):
/// its two halves when each is long enough to look up; of a word of four or five letters its
/// first and last three (a typo in its middle letter escapes them). Empty for a shorter word.
pub fn typo_pieces(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    let n = chars.len();
    let half = n / 2;
    if half >= MIN_INDEXED {
        vec![
            chars[..half].iter().collect(),
            chars[half..].iter().collect(),
        ]
    } else if n > MIN_INDEXED {
        vec![
            chars[..MIN_INDEXED].iter().collect(),
            chars[n - MIN_INDEXED..].iter().collect(),
        ]
    } else {
        Vec::new()
    }
}

/// A folded word as it compares for duplicates: the Russian spellings of Turkmen sounds meet
/// their Turkmen letters (дж and ж as j, kh as h) and doubled letters count once
/// ("Аманнияз" and "Amanyaz" still differ by the typo, not by the spelling convention).
pub fn compare_key(folded: &str) -> String {
    let s = folded
        .replace(' ', "")
        .replace("dzh", "j")
        .replace("zh", "j")
        .replace("kh", "h");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// 1 for the same word, falling by the share of letters to change (Damerau-Levenshtein: a swap
/// of two neighbours is one change), counted on at least five letters: one typo in a short name
/// weighs as in a name of five. Compared as [`compare_key`]s (spelling conventions meet) and as
/// folded, the closer of the two: a letter dropped between two equal ones ("Maal" for "Maral")
/// is one change as folded, two once `compare_key` counts the doubled letter once.
pub fn word_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let on = |a: &str, b: &str| {
        let longest = a.chars().count().max(b.chars().count());
        if longest == 0 {
            return 0.0;
        }
        1.0 - strsim::damerau_levenshtein(a, b) as f64 / longest.max(5) as f64
    };
    on(&compare_key(a), &compare_key(b)).max(on(a, b))
}

/// What is known of a person for the duplicate check, names folded ([`fold_name`]).
#[derive(Debug, Clone, Default)]
pub struct DuplicateProbe {
    pub given: String,
    pub family: Option<String>,
    pub birth_date: Option<chrono::NaiveDate>,
    pub admin_unit: Option<String>,
    pub household: Option<String>,
}

impl DuplicateProbe {
    /// A probe from names as typed; empty names count as absent.
    pub fn new(given: &str, family: Option<&str>) -> Self {
        DuplicateProbe {
            given: fold_name(given),
            family: family.map(fold_name).filter(|f| !f.is_empty()),
            ..Default::default()
        }
    }
}

/// A duplicate at or above this score (0-100) is shown.
pub const LIKELY_DUPLICATE: u8 = 75;
/// At most this many likely duplicates are shown, best first.
pub const MAX_DUPLICATES_SHOWN: usize = 10;

/// How likely `candidate` is the person `probe` describes, 0-100: the names in either order,
/// however spelt (folded, Cyrillic or Latin) and with a typo or two, weigh 65; the birth date
/// 30 (the same day all of it, a typo of it — [`birth_date_typo`] — three quarters, the same
/// year half, unknown 60 %, a different one nothing); the same etrap 5 and the same household
/// 10 more. A missing family name (on either side) compares the given name with both of the
/// other's and counts 75 % of it.
///
/// The household counts only when every name compared is the same but for a typo
/// ([`HOUSEHOLD_NAME_SIMILARITY`]): siblings share a household and a family name, not a given
/// name, so a sister with another given name is not made a likely duplicate by living with her.
///
/// So a candidate born in another year, not by a typo, and not in the same household scores at
/// most 70: the candidate queries may leave such people out ([`birth_date_typos`]).
pub fn duplicate_score(probe: &DuplicateProbe, candidate: &DuplicateProbe) -> u8 {
    let (name, weakest) = name_similarity(probe, candidate);
    let date = match (probe.birth_date, candidate.birth_date) {
        (Some(a), Some(b)) if a == b => 1.0,
        (Some(a), Some(b)) if birth_date_typo(a, b) => DATE_TYPO,
        (Some(a), Some(b)) if chrono::Datelike::year(&a) == chrono::Datelike::year(&b) => 0.5,
        (Some(_), Some(_)) => 0.0,
        _ => DATE_UNKNOWN,
    };
    let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    let mut score = NAME_WEIGHT * name + DATE_WEIGHT * date;
    if same(&probe.admin_unit, &candidate.admin_unit) {
        score += UNIT_WEIGHT;
    }
    if same(&probe.household, &candidate.household) && weakest >= HOUSEHOLD_NAME_SIMILARITY {
        score += HOUSEHOLD_WEIGHT;
    }
    (score.clamp(0.0, 1.0) * 100.0).round() as u8
}

/// The weights of [`duplicate_score`] (of 1): the names, the birth date, the same unit, the same
/// household; and the birth date's share for a typo of it and for a date unknown on either side.
/// [`duplicate_typo_word_floor`] is derived from them.
const NAME_WEIGHT: f64 = 0.65;
const DATE_WEIGHT: f64 = 0.30;
const UNIT_WEIGHT: f64 = 0.05;
const HOUSEHOLD_WEIGHT: f64 = 0.10;
const DATE_TYPO: f64 = 0.75;
const DATE_UNKNOWN: f64 = 0.6;

/// The least [`word_similarity`] a stored word may have to a word asked for (of a given name and
/// a family name of one word each) and still belong to a likely duplicate, for a candidate the
/// duplicate check reaches only through a typo: one not born the same day (those are read by the
/// birth date) and not of the household (read by the household). The vocabulary of stored words
/// is read down to this floor (`goldaw_store::people::duplicates`, issue #24), so it must lose
/// nobody [`duplicate_score`] would show:
///
/// - such a candidate's birth date counts at most [`DATE_TYPO`] of [`DATE_WEIGHT`] when the
///   probe's is known (a typo of it: the same year counts less, an unknown date [`DATE_UNKNOWN`]
///   less still), [`DATE_UNKNOWN`] when it is not; the unit at most [`UNIT_WEIGHT`] (when the
///   probe has one); the household nothing;
/// - so it is shown (rounded to at least [`LIKELY_DUPLICATE`]: `score >= 0.745`) only when the
///   names' similarity `n` reaches `(0.745 - DATE_WEIGHT * date - unit) / NAME_WEIGHT`: 0.723
///   with a birth date, 0.792 without;
/// - `n` is the mean of two words' similarities (given and family, in the better order; a
///   missing family name counts 0.75 of one word, below both), and the other is at most 1, so
///   each word needs `2n - 1`: **0.446 with a birth date, 0.585 without**.
///
/// A hair lower, so that floating-point rounding loses nobody either. The test
/// `the_typo_floor_loses_nobody_the_score_shows` fails if the weights change so that it would.
pub fn duplicate_typo_word_floor(probe: &DuplicateProbe) -> f64 {
    let date = if probe.birth_date.is_some() {
        DATE_TYPO
    } else {
        DATE_UNKNOWN
    };
    let unit = if probe.admin_unit.is_some() {
        UNIT_WEIGHT
    } else {
        0.0
    };
    let shown = (f64::from(LIKELY_DUPLICATE) - 0.5) / 100.0;
    let names = (shown - DATE_WEIGHT * date - unit) / NAME_WEIGHT;
    (2.0 * names - 1.0 - 1e-9).max(0.0)
}

/// The same household adds to the score only for a candidate whose every name is at least this
/// close to the probe's ([`word_similarity`]): one typo, or a Turkmen letter mistyped in a
/// name of seven (ş is two letters folded), but not another name two letters away in five
/// (Merdan and Serdar, Aýna and Aýnur: brothers and sisters).
pub const HOUSEHOLD_NAME_SIMILARITY: f64 = 0.7;

/// Whether a stored word may be, in the name of a likely duplicate reached through a typo, the
/// word `typed`: at least `floor` close ([`duplicate_typo_word_floor`]), or a part of it (a name
/// written as two words where one was typed, "Ogul Jahan" for "Oguljahan", compares whole:
/// [`compare_key`] drops the space).
pub fn may_be_typo_of(typed: &str, stored: &str, floor: f64) -> bool {
    word_similarity(typed, stored) >= floor || compare_key(typed).contains(&compare_key(stored))
}

/// The highest score anyone could reach against `probe` ([`duplicate_score`] with the names,
/// the birth date, the unit and the household all the same).
pub fn best_possible_score(probe: &DuplicateProbe) -> u8 {
    let mut score: f64 = NAME_WEIGHT
        + DATE_WEIGHT
            * if probe.birth_date.is_some() {
                1.0
            } else {
                DATE_UNKNOWN
            };
    if probe.admin_unit.is_some() {
        score += UNIT_WEIGHT;
    }
    if probe.household.is_some() {
        score += HOUSEHOLD_WEIGHT;
    }
    (score.clamp(0.0, 1.0) * 100.0).round() as u8
}

/// Whether the candidates found so far (their `scores`) already settle the check, so that the
/// dearer candidate sources (a name as part of others, a typo's pieces) need not be asked: they
/// hold [`MAX_DUPLICATES_SHOWN`] people scoring as high as anyone could
/// ([`best_possible_score`]), so nobody found later would be shown before them (ties aside,
/// which keep those found first). A common full name in an etrap without a birth date is the
/// usual case: the people of exactly that name fill the list.
pub fn duplicate_check_settled(probe: &DuplicateProbe, scores: &[u8]) -> bool {
    let best = best_possible_score(probe);
    scores.iter().filter(|&&s| s >= best).count() >= MAX_DUPLICATES_SHOWN
}

/// A birth date as its eight digits, `YYYYMMDD` (none for a year outside 0-9999).
fn date_digits(d: chrono::NaiveDate) -> Option<[u8; 8]> {
    use chrono::Datelike;
    if !(0..=9999).contains(&d.year()) {
        return None;
    }
    let s = format!("{:04}{:02}{:02}", d.year(), d.month(), d.day());
    let mut out = [0u8; 8];
    out.copy_from_slice(s.as_bytes());
    Some(out)
}

/// The date eight digits `YYYYMMDD` write, if it is one.
fn date_of_digits(ds: &[u8; 8]) -> Option<chrono::NaiveDate> {
    let num = |r: std::ops::Range<usize>| {
        ds[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    chrono::NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(4..6)?, num(6..8)?)
}

/// Whether `b` is `a` written with a typo: day and month swapped (03.02 for 02.03), one digit
/// wrong (1980 for 1989, 12 for 13), or two neighbouring digits swapped (1908 for 1980).
/// Not the same date.
pub fn birth_date_typo(a: chrono::NaiveDate, b: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    if a == b {
        return false;
    }
    if a.year() == b.year() && a.day() == b.month() && a.month() == b.day() {
        return true;
    }
    let (Some(x), Some(y)) = (date_digits(a), date_digits(b)) else {
        return false;
    };
    let differ: Vec<usize> = (0..8).filter(|&i| x[i] != y[i]).collect();
    match differ.as_slice() {
        [_] => true,
        [i, j] => *j == i + 1 && x[*i] == y[*j] && x[*j] == y[*i],
        _ => false,
    }
}

/// Every date [`birth_date_typo`] counts as a typo of `d`: the candidate queries of the
/// duplicate check ask for these besides the same year.
pub fn birth_date_typos(d: chrono::NaiveDate) -> Vec<chrono::NaiveDate> {
    use chrono::Datelike;
    let mut out = std::collections::BTreeSet::new();
    if let Some(swapped) = chrono::NaiveDate::from_ymd_opt(d.year(), d.day(), d.month()) {
        out.insert(swapped);
    }
    let Some(digits) = date_digits(d) else {
        return Vec::new();
    };
    for i in 0..8 {
        for c in b'0'..=b'9' {
            let mut t = digits;
            t[i] = c;
            out.extend(date_of_digits(&t));
        }
        if i + 1 < 8 {
            let mut t = digits;
            t.swap(i, i + 1);
            out.extend(date_of_digits(&t));
        }
    }
    out.remove(&d);
    out.into_iter().collect()
}

/// The names' similarity (0..=1) and the weakest single name's in the comparison chosen.
fn name_similarity(p: &DuplicateProbe, c: &DuplicateProbe) -> (f64, f64) {
    let s = word_similarity;
    match (&p.family, &c.family) {
        (Some(pf), Some(cf)) => {
            let straight = (s(&p.given, &c.given), s(pf, cf));
            let crossed = (s(&p.given, cf), s(pf, &c.given));
            let sum = |(a, b): (f64, f64)| a + b;
            let best = if sum(crossed) > sum(straight) {
                crossed
            } else {
                straight
            };
            (sum(best) / 2.0, best.0.min(best.1))
        }
        (None, Some(cf)) => {
            let g = s(&p.given, &c.given).max(s(&p.given, cf));
            (0.75 * g, g)
        }
        (Some(pf), None) => {
            let g = s(&p.given, &c.given).max(s(pf, &c.given));
            (0.75 * g, g)
        }
        (None, None) => {
            let g = s(&p.given, &c.given);
            (g, g)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_name_fold_together() {
        assert_eq!(fold_name("Aýna"), "ayna");
        assert_eq!(fold_name("Айна"), "ayna");
        assert_eq!(fold_name("AYNA"), "ayna");
        assert_eq!(fold_name("Şatlyk"), "shatlyk");
        assert_eq!(fold_name("Шатлык"), "shatlyk");
        assert_eq!(fold_name("Döwletow"), fold_name("Довлетов"));
        assert_eq!(fold_name("Gurbanowa  Ogulgerek "), "gurbanowa ogulgerek");
        assert_eq!(fold_name("Çary"), fold_name("Чары"));
        assert_eq!(fold_name("Гюльнара"), fold_name("Gülnara"));
        assert_eq!(fold_name("Мяхри"), fold_name("Mähri"));
        assert_eq!(fold_name("Юсуп"), "yusup");
        assert_eq!(fold_name("Aýgül"), fold_name("Айгюль"));
        // дж is Turkmen j: Ходжамов is Hojamow, Джерен is Jeren, whatever the transliteration.
        assert_eq!(fold_name("Ходжамов"), "hojamow");
        assert_eq!(fold_name("Hojamow"), "hojamow");
        assert_eq!(fold_name("Khodzhamov"), "khojamow");
        assert_eq!(fold_name("Джерен"), fold_name("Jeren"));
        assert_eq!(fold_name("Шатлык Ходжамов"), fold_name("Şatlyk Hojamow"));
        // ж alone stays: Жанна is not Janna to the index (the duplicate score counts it as j).
        assert_eq!(fold_name("Жанна"), "zhanna");
        assert_eq!(
            compare_key(&fold_name("Жанна")),
            compare_key(&fold_name("Janna"))
        );
    }

    #[test]
    fn names_are_parsed_not_trusted() {
        assert!("Maýsa".parse::<PersonName>().is_ok());
        assert!("".parse::<PersonName>().is_err());
        assert!("  ".parse::<PersonName>().is_err());
        assert!(" Maýsa".parse::<PersonName>().is_err());
        assert!("a\u{0}b".parse::<PersonName>().is_err());
        assert!("x".repeat(101).parse::<PersonName>().is_err());
    }

    #[test]
    fn search_ranks_whole_names_in_either_order_first() {
        let terms = search_terms("Maral Ýazow");
        assert_eq!(terms, vec!["maral", "yazow"]);
        assert_eq!(search_terms("Язов  Марал"), vec!["yazow", "maral"]);
        assert_eq!(search_rank(&terms, "yazow maral").0, SearchTier::Exact);
        assert_eq!(
            search_rank(&terms, "yazow maral gurban").0,
            SearchTier::WholeWords
        );
        assert_eq!(
            search_rank(&terms, "yazowa maralgul").0,
            SearchTier::Partial
        );
        let one = search_terms("yazow");
        let (_, close) = search_rank(&one, "yazowa aman");
        let (_, far) = search_rank(&one, "kayazowly aman");
        assert!(close > far, "{close} > {far}");
        assert_eq!(search_rank(&[], "x").0, SearchTier::Partial);
    }

    #[test]
    fn typo_pieces_cover_one_typo() {
        assert_eq!(typo_pieces("ogulgerek"), vec!["ogul", "gerek"]);
        assert_eq!(typo_pieces("aman"), vec!["ama", "man"]);
        assert!(typo_pieces("ata").is_empty());
        // One typo leaves one half whole.
        for typo in ["ogulgerrk", "ozulgerek", "ogulgerk"] {
            assert!(
                typo_pieces("ogulgerek")
                    .iter()
                    .any(|p| typo.contains(p.as_str())),
                "{typo}"
            );
        }
    }

    fn probe(given: &str, family: Option<&str>, born: Option<&str>) -> DuplicateProbe {
        DuplicateProbe {
            birth_date: born.map(|b| b.parse().unwrap()),
            admin_unit: Some("TM-A-01".into()),
            ..DuplicateProbe::new(given, family)
        }
    }

    #[test]
    fn duplicates_score_spellings_orders_typos_and_missing_names() {
        let known = probe("Maral", Some("Ýazowa"), Some("1980-02-03"));
        let likely = |p: &DuplicateProbe| duplicate_score(p, &known) >= LIKELY_DUPLICATE;
        assert_eq!(duplicate_score(&known, &known), 100);
        assert!(likely(&probe("Марал", Some("Язова"), Some("1980-02-03"))));
        assert!(likely(&probe("Yazowa", Some("Maral"), Some("1980-02-03"))));
        assert!(likely(&probe("Marak", Some("Yazoa"), Some("1980-02-03"))));
        assert!(likely(&probe("Maral", None, Some("1980-02-03"))));
        assert!(likely(&probe("Maral", Some("Ýazowa"), None)));
        // A namesake born another year, or another person born the same day, is not.
        assert!(!likely(&probe("Maral", Some("Ýazowa"), Some("1991-07-08"))));
        assert!(!likely(&probe(
            "Gurban",
            Some("Amanow"),
            Some("1980-02-03")
        )));
        // Russian conventions meet the Turkmen letters.
        assert_eq!(
            compare_key(&fold_name("Джерен")),
            compare_key(&fold_name("Jeren"))
        );
        assert_eq!(compare_key(&fold_name("Аманнияз")), "amaniyaz");
        // The household adds to a weaker match.
        let mut weak = probe("Maral", Some("Yazowa"), Some("1980-05-07"));
        let before = duplicate_score(&weak, &known);
        let mut known_home = known.clone();
        known_home.household = Some("H1".into());
        weak.household = Some("H1".into());
        assert_eq!(duplicate_score(&weak, &known_home), before + 10);
        // A birth date with a typo: day and month swapped, one digit wrong, two swapped.
        assert!(likely(&probe("Maral", Some("Ýazowa"), Some("1980-03-02"))));
        assert!(likely(&probe("Maral", Some("Ýazowa"), Some("1989-02-03"))));
        assert!(likely(&probe("Maral", Some("Yazowa"), Some("1908-02-03"))));
        assert!(likely(&probe("Marak", Some("Yazowa"), Some("1960-02-03"))));
        // A namesake born years apart in another household is not.
        assert!(!likely(&probe("Maral", Some("Ýazowa"), Some("1975-02-03"))));
    }

    /// A probe or a record in household H1 of TM-A-01 (as the intake asks with a household id).
    fn at_home(
        given: &str,
        family: &str,
        born: Option<&str>,
        home: Option<&str>,
    ) -> DuplicateProbe {
        DuplicateProbe {
            household: home.map(str::to_owned),
            ..probe(given, Some(family), born)
        }
    }

    #[test]
    fn the_household_finds_the_same_person_with_typos_but_not_a_sibling() {
        // Serdar lives with his brother Merdan and his sister Aýna; the caller gives a typo in
        // each name, no birth date, and the household's id.
        let serdar = at_home("Serdar", "Orazow", Some("1990-05-06"), Some("H1"));
        let merdan = at_home("Merdan", "Orazow", Some("1993-01-02"), Some("H1"));
        let ayna = at_home("Aýna", "Orazowa", Some("1995-03-04"), Some("H1"));
        let asked = at_home("Serdor", "Orazw", None, Some("H1"));
        let score = |c: &DuplicateProbe| duplicate_score(&asked, c);
        assert!(score(&serdar) >= LIKELY_DUPLICATE, "{}", score(&serdar));
        // The household counts for him: ten more than the same record elsewhere.
        let elsewhere = |c: &DuplicateProbe| DuplicateProbe {
            household: Some("H2".into()),
            ..c.clone()
        };
        assert_eq!(score(&serdar), score(&elsewhere(&serdar)) + 10);
        // Not for his brother, whose given name is another (three letters of six differ), nor
        // his sister: the household adds nothing and neither is a likely duplicate, though
        // the brother would reach 75 if it counted.
        assert!(word_similarity("serdor", "merdan") < HOUSEHOLD_NAME_SIMILARITY);
        assert_eq!(score(&merdan), score(&elsewhere(&merdan)));
        assert!(score(&merdan) < LIKELY_DUPLICATE, "{}", score(&merdan));
        assert!(
            score(&merdan) + 10 >= LIKELY_DUPLICATE,
            "{}",
            score(&merdan)
        );
        assert!(score(&ayna) < LIKELY_DUPLICATE, "{}", score(&ayna));
        // A Turkmen letter mistyped (ş folds to two letters) is still a typo of the same name;
        // and the names given in the other order compare crossed, the household counting too.
        let gulshat = at_home("Gülşat", "Amanowa", Some("1980-02-03"), Some("H1"));
        let typed = at_home("Gülkat", "Amanowa", None, Some("H1"));
        assert!(word_similarity("gulkat", "gulshat") >= HOUSEHOLD_NAME_SIMILARITY);
        assert_eq!(
            duplicate_score(&typed, &gulshat),
            duplicate_score(&typed, &elsewhere(&gulshat)) + 10
        );
        let crossed = at_home("Amanowa", "Gülşat", None, Some("H1"));
        assert_eq!(
            duplicate_score(&crossed, &gulshat),
            duplicate_score(&crossed, &elsewhere(&gulshat)) + 10
        );
    }

    #[test]
    fn the_typo_floor_loses_nobody_the_score_shows() {
        // Spellings of a word at every distance: letters changed from either end, dropped,
        // added, and the other word's spelling (either order).
        let spellings = |w: &str| {
            let chars: Vec<char> = w.chars().collect();
            let mut out = vec![w.to_owned()];
            for k in 1..=chars.len() {
                let mut front = chars.clone();
                let mut back = chars.clone();
                for i in 0..k {
                    front[i] = 'x';
                    back[chars.len() - 1 - i] = 'q';
                }
                out.push(front.iter().collect());
                out.push(back.iter().collect());
                out.push(
                    chars[..chars.len() - k.min(chars.len() - 1)]
                        .iter()
                        .collect(),
                );
                out.push(format!("{w}{}", "z".repeat(k)));
            }
            out
        };
        let mut least = Vec::new();
        // Thirteen letters: seven changed leave 0.46, just above the floor with a birth date.
        for (born, family) in [
            (Some("1980-02-03"), "myradowa"),
            (Some("1980-02-03"), "gurbanmyradow"),
            (None, "myradowa"),
            (None, "gurbanmyradow"),
        ] {
            let asked = probe("Merdan", Some(family), born);
            let floor = duplicate_typo_word_floor(&asked);
            // The least similarity of a word among the shown (the other word anything).
            let mut least_shown = f64::MAX;
            let mut given_words = spellings("merdan");
            given_words.push(family.into());
            let mut family_words = spellings(family);
            family_words.push("merdan".into());
            for g in &given_words {
                for f in &family_words {
                    // The best a candidate reached only through a typo can do: a typo of the
                    // birth date (or none known), the same unit, no household.
                    let known = probe(g, Some(f), born.map(|_| "1980-02-04"));
                    if duplicate_score(&asked, &known) < LIKELY_DUPLICATE {
                        continue;
                    }
                    for typed in ["merdan", family] {
                        let best = word_similarity(typed, g).max(word_similarity(typed, f));
                        assert!(
                            best >= floor,
                            "{born:?}: {g} {f} is shown, but its word for {typed} ({best}) is under the floor {floor}"
                        );
                        least_shown = least_shown.min(best);
                    }
                }
            }
            least.push((born, floor, least_shown));
        }
        // The floor is close to what is shown (the thirteen-letter name's 0.46 with a birth
        // date, 0.62 = 1 - 5/13 without): not so low that the vocabulary reads every word.
        for born in [Some("1980-02-03"), None] {
            let (floor, shown) = least
                .iter()
                .filter(|l| l.0 == born)
                .fold((0.0, f64::MAX), |a, l| (l.1, a.1.min(l.2)));
            assert!(shown - floor < 0.04, "{born:?}: {shown} {floor}");
        }
        // At the boundary: one word exact, the other half changed (similarity 0.5) is shown
        // with a typo of the birth date, not without a birth date (the floors: 0.446, 0.585).
        let dated = probe("Merdan", Some("Myradowa"), Some("1980-02-03"));
        let undated = probe("Merdan", Some("Myradowa"), None);
        assert!((duplicate_typo_word_floor(&dated) - 0.446).abs() < 0.001);
        assert!((duplicate_typo_word_floor(&undated) - 0.585).abs() < 0.001);
        let half = probe("Merdan", Some("Myraxxxx"), Some("1980-02-04"));
        assert!((word_similarity("myradowa", "myraxxxx") - 0.5).abs() < 1e-9);
        assert!(duplicate_score(&dated, &half) >= LIKELY_DUPLICATE);
        assert!(duplicate_score(&undated, &half) < LIKELY_DUPLICATE);
        // A part of the word typed is kept below the floor: a name written as two words.
        assert!(may_be_typo_of("oguljahan", "ogul", 0.585));
        assert!(!may_be_typo_of("oguljahan", "ogulgerek", 0.585));
        assert!(may_be_typo_of("myradowa", "myradowo", 0.585));
        let split = probe("Ogul Jahan", Some("Myradowa"), None);
        let joined = probe("Oguljahan", Some("Myradowa"), None);
        assert!(duplicate_score(&joined, &split) >= LIKELY_DUPLICATE);
        // A missing family name on either side needs the given name whole: above any floor.
        let alone = probe("Merdan", None, Some("1980-02-04"));
        assert!(duplicate_score(&dated, &alone) >= LIKELY_DUPLICATE);
        let typo_alone = probe("Merdam", None, Some("1980-02-04"));
        assert!(duplicate_score(&dated, &typo_alone) < LIKELY_DUPLICATE);
    }

    #[test]
    fn a_letter_dropped_between_two_equal_ones_is_one_typo() {
        // As folded one change; as compare_key ("mal" for "maral") it would be two.
        for (typed, name) in [("maal", "maral"), ("jeen", "jeren"), ("lle", "lale")] {
            assert!((word_similarity(typed, name) - 0.8).abs() < 1e-9, "{typed}");
        }
        // Spelling conventions still meet through compare_key.
        assert!(word_similarity("amanniyaz", "amaniyaz") > 0.99);
        assert!(word_similarity("zhanna", "janna") > 0.99);
        // Asked with the household, a typo in each name: found; a sister is still not.
        let maral = at_home("Maral", "Gurbanowa", Some("1990-05-06"), Some("H1"));
        let jeren = at_home("Jeren", "Gurbanowa", Some("1992-05-06"), Some("H1"));
        let asked = at_home("Maal", "Gurbtnowa", None, Some("H1"));
        assert!(duplicate_score(&asked, &maral) >= LIKELY_DUPLICATE);
        assert!(duplicate_score(&asked, &jeren) < LIKELY_DUPLICATE);
    }

    #[test]
    fn the_check_is_settled_by_ten_people_scoring_the_best_possible() {
        // The best possible score is what the same record scores against itself.
        for p in [
            probe("Maral", Some("Ýazowa"), Some("1980-02-03")),
            probe("Maral", Some("Ýazowa"), None),
            probe("Maral", None, None),
            at_home("Maral", "Ýazowa", None, Some("H1")),
            at_home("Maral", "Ýazowa", Some("1980-02-03"), Some("H1")),
            DuplicateProbe::new("Maral", Some("Ýazowa")),
        ] {
            assert_eq!(
                duplicate_score(&p, &p.clone()),
                best_possible_score(&p),
                "{p:?}"
            );
        }
        assert_eq!(
            best_possible_score(&probe("Maral", Some("Ýazowa"), None)),
            88
        );
        let p = probe("Maral", Some("Ýazowa"), None);
        assert!(!duplicate_check_settled(&p, &[88; 9]));
        assert!(duplicate_check_settled(&p, &[88; 10]));
        assert!(!duplicate_check_settled(&p, &[87; 20]));
        let mut mixed = vec![80, 75, 76];
        mixed.extend([88; 10]);
        assert!(duplicate_check_settled(&p, &mixed));
    }

    #[test]
    fn a_birth_date_typo_is_a_swap_or_one_digit() {
        use chrono::Datelike;
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        let born = d("1980-02-03");
        for typo in [
            "1980-03-02",
            "1989-02-03",
            "1980-02-08",
            "1980-02-13",
            "1980-12-03",
            "1908-02-03",
            "0980-02-03",
        ] {
            assert!(birth_date_typo(born, d(typo)), "{typo}");
        }
        for other in [
            "1980-02-03",
            "1981-03-02",
            "1975-02-03",
            "1980-05-07",
            "2003-02-01",
        ] {
            assert!(!birth_date_typo(born, d(other)), "{other}");
        }
        // The list the queries ask for is exactly the dates the score counts as typos, and the
        // relation is symmetric (a pair is the same seen from either side). A typo of a date
        // keeps its year or changes one or two of its digits: every such year is walked.
        for born in [
            "1980-02-03",
            "2000-12-31",
            "1966-06-06",
            "1999-01-10",
            "2024-02-29",
        ] {
            let born = d(born);
            let typos = birth_date_typos(born);
            assert!(!typos.is_empty());
            let digits = format!("{:04}", born.year()).into_bytes();
            let mut years = std::collections::BTreeSet::new();
            for i in 0..4 {
                for j in 0..4 {
                    for a in b'0'..=b'9' {
                        for b in b'0'..=b'9' {
                            let mut y = digits.clone();
                            y[i] = a;
                            y[j] = b;
                            years.insert(String::from_utf8(y).unwrap().parse::<i32>().unwrap());
                        }
                    }
                }
            }
            for year in years {
                let mut day = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
                while day.year() == year {
                    assert_eq!(
                        birth_date_typo(born, day),
                        typos.contains(&day),
                        "{born} {day}"
                    );
                    if birth_date_typo(born, day) {
                        assert!(birth_date_typo(day, born), "{born} {day}");
                    }
                    day = day.succ_opt().unwrap();
                }
            }
        }
    }
}
