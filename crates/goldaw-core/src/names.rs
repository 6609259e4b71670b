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
/// from digits and spaces (runs of spaces become one).
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
}
