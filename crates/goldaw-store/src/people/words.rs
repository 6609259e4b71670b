//! Whole words of names (migration 0034, issues #19 and #24): the word indexes beside the trigram
//! ones. A search asks them first: every word typed as a whole word of the name (SQLite: the FTS5
//! table `persons_name_words` with a word tokenizer; PostgreSQL: the GIN `persons_name_words`
//! over the name's words for the nation, `persons_place_words` over them keyed by velayat and
//! etrap for a place). On PostgreSQL a part of a word or a typo is
//! looked up in the vocabulary of stored words (`person_name_words`, small) and the people holding
//! one of the words found are read through the same GINs: the trigram index's bitmap AND of the
//! posting lists of common trigrams (130-365 ms for a national search) is left to what the
//! vocabulary cannot answer (more than [`MAX_WORDS`] words). SQLite has the vocabulary too
//! (migration 0037, issue #24): the duplicate check looks a typo up in it on both databases
//! ([`Store::vocabulary_near`], [`any_words_indexed_condition`]).

use super::search::{fetch_rows, Arg, Sql};
use crate::db::Db;
use crate::error::StoreResult;
use crate::Store;
use goldaw_core::names::{may_be_typo_of, word_similarity};

/// At most this many stored words stand for one word typed (a part of a word or a typo); a
/// shorter or commoner piece matching more is looked up in the trigram index instead.
pub(super) const MAX_WORDS: usize = 400;

/// At most this many of the vocabulary's words holding a typo's pieces are read and compared;
/// the closest [`MAX_WORDS`] are kept.
const MAX_TYPO_READ: i64 = 20_000;

/// True when `word` is a folded word (`a-z0-9`, `goldaw_core::names::fold_name`): safe in an FTS5
/// phrase and a PostgreSQL array literal.
fn folded(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// The place words of SQLite's `persons_name_words` (migration 0034) a search within `unit` asks
/// for: `v` + the velayat's code for a velayat, `e` + velayat and etrap codes for an etrap or a
/// unit below one, lower case (TM-A -> `va`, TM-A-09-01 -> `ea09`). None for the nation or a code
/// of another shape (the SQL scope condition decides exactly either way).
pub(super) fn word_place(unit: &str) -> Option<String> {
    let parts: Vec<&str> = unit.split('-').collect();
    if parts.len() < 2
        || parts[0] != "TM"
        || !parts[1..]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return None;
    }
    let token = if parts.len() == 2 {
        format!("v{}", parts[1])
    } else {
        format!("e{}{}", parts[1], parts[2])
    };
    Some(token.to_ascii_lowercase())
}

/// PostgreSQL's keys of `words` for a search keyed by `place` ([`super::search::pg_place`]: a
/// velayat or an etrap code, as `goldaw_place_words` keys them, migration 0034; None for the
/// nation: the words themselves), as an array literal. None when a word is not a folded word.
pub(super) fn keyed_words<'a>(
    place: Option<&str>,
    words: impl IntoIterator<Item = &'a String>,
) -> Option<String> {
    let prefix = place.map(|p| format!("{p}:")).unwrap_or_default();
    let keys: Option<Vec<String>> = words
        .into_iter()
        .map(|w| folded(w).then(|| format!("{prefix}{w}")))
        .collect();
    Some(format!("{{{}}}", keys?.join(",")))
}

/// PostgreSQL's indexed expression of a name's words (migration 0034): the plain words for the
/// nation (`persons_name_words`), the words keyed by velayat and etrap within a place
/// (`persons_place_words`).
fn pg_words(place: Option<&str>) -> &'static str {
    match place {
        Some(_) => "goldaw_place_words(p.admin_unit, p.name_key)",
        None => "string_to_array(p.name_key, ' ')",
    }
}

/// `select` (which reads `FROM persons p`) reading the people the word index finds (SQLite:
/// through the FTS5 word table, which then leads the join).
pub(super) fn word_indexed(db: &Db, select: &str) -> String {
    match db {
        Db::Sqlite(_) => select.replace(
            "FROM persons p",
            "FROM persons_name_words CROSS JOIN persons p ON p.rowid = persons_name_words.rowid",
        ),
        Db::Postgres(_) => select.to_owned(),
    }
}

/// Adds to `sql` (a [`word_indexed`] select) the condition that every one of `terms` is a whole
/// word of the name, within the scope's places. False (nothing added) when a term is not a
/// folded word: the caller then leaves whole words to the trigram tier.
pub(super) fn whole_words_condition(db: &Db, sql: &mut Sql, terms: &[String]) -> bool {
    if terms.is_empty() || !terms.iter().all(|t| folded(t)) {
        return false;
    }
    match db {
        Db::Sqlite(_) => {
            let mut query: Vec<String> = terms
                .iter()
                .map(|t| format!("name_key : \"{t}\""))
                .collect();
            if let Some(place) = sql.pg_place.as_deref().and_then(word_place) {
                query.push(format!("place : \"{place}\""));
            }
            let arg = sql.arg(Arg::Text(query.join(" AND ")));
            sql.push(&format!(" AND persons_name_words MATCH {arg}"));
        }
        Db::Postgres(_) => {
            let Some(keys) = keyed_words(sql.pg_place.as_deref(), terms) else {
                return false;
            };
            let words = pg_words(sql.pg_place.as_deref());
            let arg = sql.arg(Arg::Text(keys));
            sql.push(&format!(" AND {words} @> {arg}::text[]"));
        }
    }
    true
}

/// Adds to `sql` (a PostgreSQL select) the condition that for each of `groups` the name holds
/// one of its words (stored words from [`Store::vocabulary_holding`] or
/// [`Store::vocabulary_close_to`]), within the scope's places. False when a word is not folded.
pub(super) fn any_words_condition(sql: &mut Sql, groups: &[Vec<String>]) -> bool {
    let mut conditions = Vec::new();
    for group in groups {
        let Some(keys) = keyed_words(sql.pg_place.as_deref(), group) else {
            return false;
        };
        let words = pg_words(sql.pg_place.as_deref());
        let arg = sql.arg(Arg::Text(keys));
        conditions.push(format!(" AND {words} && {arg}::text[]"));
    }
    for c in conditions {
        sql.push(&c);
    }
    true
}

/// Adds to `sql` (a [`word_indexed`] select) the condition that for each of `groups` the name
/// holds one of its words (stored words: [`Store::vocabulary_near`]), within the scope's places:
/// SQLite through the FTS5 word table, one query
/// (`(name_key : "w1" OR name_key : "w2") AND (…) AND place : "ea09"`), PostgreSQL through the
/// GINs ([`any_words_condition`]). False (nothing added) when a group is empty or a word is not
/// folded.
pub(super) fn any_words_indexed_condition(db: &Db, sql: &mut Sql, groups: &[Vec<String>]) -> bool {
    if groups.is_empty()
        || groups
            .iter()
            .any(|g| g.is_empty() || !g.iter().all(|w| folded(w)))
    {
        return false;
    }
    match db {
        Db::Sqlite(_) => {
            let mut query: Vec<String> = groups
                .iter()
                .map(|g| {
                    let any: Vec<String> =
                        g.iter().map(|w| format!("name_key : \"{w}\"")).collect();
                    format!("({})", any.join(" OR "))
                })
                .collect();
            if let Some(place) = sql.pg_place.as_deref().and_then(word_place) {
                query.push(format!("place : \"{place}\""));
            }
            let arg = sql.arg(Arg::Text(query.join(" AND ")));
            sql.push(&format!(" AND persons_name_words MATCH {arg}"));
            true
        }
        Db::Postgres(_) => any_words_condition(sql, groups),
    }
}

impl Store {
    /// The stored words (the vocabulary, `person_name_words`: migration 0034 on PostgreSQL,
    /// 0037 on SQLite) holding one of `pieces`, at most [`MAX_TYPO_READ`]; None when a piece is
    /// not a folded word or more hold one.
    async fn vocabulary_holding_any(&self, pieces: &[String]) -> StoreResult<Option<Vec<String>>> {
        if pieces.is_empty() || !pieces.iter().all(|p| folded(p)) {
            return Ok(None);
        }
        let mut sql = Sql::plain("SELECT word FROM person_name_words WHERE ");
        let likes: Vec<String> = pieces
            .iter()
            .map(|p| {
                let a = sql.arg(Arg::Text(format!("%{p}%")));
                format!("word LIKE {a}")
            })
            .collect();
        sql.push(&likes.join(" OR "));
        let l = sql.arg(Arg::Int(MAX_TYPO_READ + 1));
        sql.push(&format!(" LIMIT {l}"));
        let words: Vec<(String,)> = fetch_rows!(self, sql, (String,));
        if words.len() as i64 > MAX_TYPO_READ {
            return Ok(None);
        }
        Ok(Some(words.into_iter().map(|(w,)| w).collect()))
    }

    /// The duplicate check's typo (both databases): the stored words that may stand for `term`
    /// (a word of the name asked for) in a likely duplicate's name: those holding one of its
    /// `pieces` (`goldaw_core::names::typo_pieces`: one survives a typo) that
    /// `goldaw_core::names::may_be_typo_of` keeps at `floor`
    /// (`goldaw_core::names::duplicate_typo_word_floor`). Every one, or None when more than
    /// [`MAX_WORDS`] are (the trigram index's pieces answer then): the check loses nobody to a
    /// cut. Empty when no stored word is near: nobody is reached through this word's typo.
    pub(super) async fn vocabulary_near(
        &self,
        term: &str,
        pieces: &[String],
        floor: f64,
    ) -> StoreResult<Option<Vec<String>>> {
        let Some(words) = self.vocabulary_holding_any(pieces).await? else {
            return Ok(None);
        };
        let mut near: Vec<String> = words
            .into_iter()
            .filter(|w| may_be_typo_of(term, w, floor))
            .collect();
        if near.len() > MAX_WORDS {
            return Ok(None);
        }
        near.sort();
        Ok(Some(near))
    }

    /// PostgreSQL: the stored words holding `piece` (a part of a word typed), at most
    /// [`MAX_WORDS`]; None when more do (the trigram index answers then).
    pub(super) async fn vocabulary_holding(&self, piece: &str) -> StoreResult<Option<Vec<String>>> {
        if !folded(piece) {
            return Ok(None);
        }
        let mut sql = Sql::plain("SELECT word FROM person_name_words WHERE word LIKE $1 LIMIT $2");
        sql.arg(Arg::Text(format!("%{piece}%")));
        sql.arg(Arg::Int(MAX_WORDS as i64 + 1));
        let words: Vec<(String,)> = fetch_rows!(self, sql, (String,));
        Ok((words.len() <= MAX_WORDS).then(|| words.into_iter().map(|w| w.0).collect()))
    }

    /// PostgreSQL: the stored words holding one of `pieces` (a typed word's typo pieces,
    /// `goldaw_core::names::typo_pieces`) at least `floor` close to `term`
    /// (`goldaw_core::names::word_similarity`), the closest [`MAX_WORDS`]; None when a piece is
    /// not a folded word or the vocabulary holds too many to read.
    pub(super) async fn vocabulary_close_to(
        &self,
        term: &str,
        pieces: &[String],
        floor: f64,
    ) -> StoreResult<Option<Vec<String>>> {
        let Some(words) = self.vocabulary_holding_any(pieces).await? else {
            return Ok(None);
        };
        let mut close: Vec<(f64, String)> = words
            .into_iter()
            .map(|w| (word_similarity(term, &w), w))
            .filter(|(s, _)| *s >= floor)
            .collect();
        close.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        close.truncate(MAX_WORDS);
        Ok(Some(close.into_iter().map(|(_, w)| w).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::{keyed_words, word_place};

    #[test]
    fn the_place_words_and_keys_follow_the_migration() {
        // The place words as migration 0034's triggers write them, for a person's unit.
        let person = |unit: &str| {
            let c = unit[3..].to_lowercase();
            let mut parts = c.split('-');
            let v = parts.next().unwrap_or("").to_owned();
            let e = parts.next().unwrap_or("").to_owned();
            [format!("v{v}"), format!("e{v}{e}")]
        };
        assert_eq!(word_place("TM"), None);
        assert_eq!(word_place("TM-A").as_deref(), Some("va"));
        assert_eq!(word_place("TM-A-09").as_deref(), Some("ea09"));
        assert_eq!(word_place("TM-A-09-01").as_deref(), Some("ea09"));
        assert_eq!(word_place("TM-A-\"x"), None);
        assert_eq!(word_place("XX-A"), None);
        for (scope, unit, within) in [
            ("TM-A", "TM-A-09-01", true),
            ("TM-A-09", "TM-A-09", true),
            ("TM-A-09-01", "TM-A-09-01", true),
            ("TM-A-09", "TM-A-01", false),
            ("TM-A-01", "TM-B-01", false),
            ("TM-S", "TM-A-01", false),
        ] {
            let token = word_place(scope).unwrap();
            assert_eq!(person(unit).contains(&token), within, "{scope} {unit}");
        }
        let w = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            keyed_words(None, &w(&["maral", "yazowa"])).as_deref(),
            Some("{maral,yazowa}")
        );
        assert_eq!(
            keyed_words(Some("TM-A-09"), &w(&["maral"])).as_deref(),
            Some("{TM-A-09:maral}")
        );
        assert_eq!(keyed_words(None, &w(&["ma,ral"])), None);
        assert_eq!(keyed_words(None, &w(&["}"])), None);
    }
}
