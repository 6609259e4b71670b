//! Finding people: by name in any spelling and either order through the name indexes (whole
//! words: the word indexes of migration 0034, `people::words`; parts of words and typos: SQLite
//! the FTS5 trigram table `persons_name_index`, PostgreSQL the vocabulary of 0034 or pg_trgm on
//! `name_key`; migration 0016),
//! by birth date or year, by external id and by household. Scope and sensitivity are conditions
//! of the same query; the ranking (`goldaw_core::names::search_rank`) is done on at most
//! [`CANDIDATES`] people the index found, the exact names always among them.

use super::words::{any_words_condition, whole_words_condition, word_indexed};
use super::{require, PersonQuery, PersonRecord, PersonRow, MAX_PAGE, SCOPED, SELECT_PERSON};
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::scope::unit_range;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::names::{
    search_rank, search_terms, typo_pieces, word_similarity, SearchTier, MIN_INDEXED,
};
use std::collections::HashSet;

/// More ways to narrow a search than [`PersonQuery`]'s; every one set must hold.
#[derive(Debug, Clone, Default)]
pub struct PersonFilters {
    pub birth_date: Option<NaiveDate>,
    pub birth_year: Option<i32>,
    /// The household's id (`household_id` in the interchange files).
    pub household: Option<String>,
}

/// At most this many people matching a name are ranked for one search, from each tier (more when
/// the page asked for lies beyond it): five pages of 50. People whose whole name is the one typed
/// are always among them; a name matched by more people than this shows the best of the first
/// found: the page says to narrow. (It was 1,000: reading 1,000 candidates' keys for a family
/// name 100,000 people share cost PostgreSQL 32-40 ms at national scope, 6-10× the index's own
/// lookup, for a ranking that cannot be global at that size anyway; issue #19's goal is 5×.)
pub const CANDIDATES: u32 = 250;

/// A search pages at most this far (its `offset`): a name's candidates are ranked within a
/// window of the page asked for, and a browse of a scope reads every row it skips; past this,
/// narrowing (a unit, a birth year, a household) is the way, and the refusal says so. Without a
/// bound one request (`offset=4000000000`) made every statement read the whole table.
pub const MAX_OFFSET: u32 = 10_000;

/// The earliest and latest birth year a search accepts.
const YEARS: std::ops::RangeInclusive<i32> = 1850..=2200;

/// A parameter of a query built up in pieces.
pub(super) enum Arg {
    Text(String),
    Date(NaiveDate),
    Bool(bool),
    Int(i64),
    Uuid(uuid::Uuid),
}

/// A query and its parameters, numbered as they are added.
pub(super) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
    /// The scope's place token in the SQLite name index ([`scope_token`]): a name looked up in
    /// the index is looked up in the scope's places only.
    pub place: Option<String>,
    /// The scope's velayat or etrap code for PostgreSQL's place-keyed trigram index
    /// ([`pg_place`]).
    pub pg_place: Option<String>,
}

/// The velayat or etrap whose trigrams PostgreSQL's `persons_place_trgm` index (migration 0027)
/// keys: the scope itself for a velayat or an etrap, the etrap of a unit below one, none for the
/// nation.
pub(super) fn pg_place(unit: &str) -> Option<String> {
    let parts: Vec<&str> = unit.split('-').collect();
    (parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric())))
    .then(|| parts[..parts.len().min(3)].join("-"))
}

/// The trigrams of `piece` inside a word, keyed by `place`, as PostgreSQL's
/// `goldaw_place_trigrams` keys a name's (migration 0027), written as an array literal. None when
/// the piece is shorter than a trigram or holds anything but `a-z0-9` (the folded alphabet).
pub(super) fn place_trigrams(place: &str, piece: &str) -> Option<String> {
    let chars: Vec<char> = piece.chars().collect();
    if chars.len() < 3
        || !chars
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return None;
    }
    let keys: std::collections::BTreeSet<String> = chars
        .windows(3)
        .map(|w| format!("{place}:{}", w.iter().collect::<String>()))
        .collect();
    Some(format!(
        "{{{}}}",
        keys.into_iter().collect::<Vec<_>>().join(",")
    ))
}

/// The token of the places within `unit` in the SQLite name index's `place` column (migration
/// 0027, which computes each person's token in SQL: `'##' || lower(replace(substr(admin_unit,
/// 4), '-', '')) || '#'`). A person's token is `##` and her unit's code after `TM-` without
/// dashes, closed by `#`; a scope's is the same without the `#`, so the trigram index finds the
/// scope's places and those below it as a substring. None for the nation (no narrowing needed)
/// or a code of another shape (the index is then asked for the name only; the SQL scope
/// condition decides exactly either way).
pub(super) fn scope_token(unit: &str) -> Option<String> {
    let rest = unit.strip_prefix("TM-")?;
    let compact: String = rest.chars().filter(|c| *c != '-').collect();
    (!compact.is_empty() && compact.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| format!("##{}", compact.to_ascii_lowercase()))
}

impl Sql {
    /// `select` followed by the scope condition (its parameters $1-$3) and not merged.
    pub fn scoped(select: &str, lo: &str, hi: &str, sensitive: bool) -> Sql {
        Sql {
            text: format!("{select} WHERE {SCOPED} AND p.merged_into IS NULL"),
            args: vec![
                Arg::Text(lo.to_owned()),
                Arg::Text(hi.to_owned()),
                Arg::Bool(sensitive),
            ],
            place: scope_token(lo),
            pg_place: pg_place(lo),
        }
    }

    /// A query of no scope (the vocabulary's).
    pub fn plain(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
            place: None,
            pg_place: None,
        }
    }

    /// Adds a parameter and returns its placeholder.
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }
}

/// Runs a [`Sql`] returning rows of type `$row`.
///
/// On PostgreSQL the statement is not kept prepared (`persistent(false)`): it is planned for
/// the names and places it is given each time. A kept statement gets PostgreSQL's generic plan
/// after five runs on a connection, and for a name lookup the values decide the plan: a
/// national typo search ran in 20 ms with its own plan and 350-370 ms with the generic one, on
/// whichever pooled connections had switched (p95 386 ms over 20 runs, 2026-12-07 evening).
/// Planning costs about a millisecond; SQLite (no statistics, plans without the values) keeps
/// its statements prepared.
macro_rules! fetch_rows {
    ($store:expr, $sql:expr, $row:ty) => {{
        let sql: &Sql = &$sql;
        let persistent = matches!($store.db(), $crate::db::Db::Sqlite(_));
        let rows: Vec<$row> = with_db!($store.db(), pool => {
            let mut q = sqlx::query_as::<_, $row>(&sql.text).persistent(persistent);
            for a in &sql.args {
                q = match a {
                    Arg::Text(t) => q.bind(t.as_str()),
                    Arg::Date(d) => q.bind(*d),
                    Arg::Bool(b) => q.bind(*b),
                    Arg::Int(i) => q.bind(*i),
                    Arg::Uuid(u) => q.bind(*u),
                };
            }
            q.fetch_all(pool).await?
        });
        rows
    }};
}
pub(super) use fetch_rows;

/// Runs a [`Sql`] returning person rows.
macro_rules! fetch_people {
    ($store:expr, $sql:expr) => {
        $crate::people::search::fetch_rows!($store, $sql, PersonRow)
    };
}

/// The candidates' keys only: what the ranking reads (issue #24: a common name's 1,000 candidates
/// read as whole records cost 25-35 ms of CPU a search; their keys, a few, and the page's
/// records are then read by id).
const SELECT_KEYS: &str =
    "SELECT p.id, p.name_key, p.external_id FROM persons p JOIN households h ON h.id = p.household_id";

/// [`SELECT_KEYS`] without the household, for a search that does not ask for one (every person
/// has a household: the join only serves the household filter, and cost a probe of the
/// households' key per candidate, about half of a national lookup's 250 candidates).
const SELECT_KEYS_ALONE: &str = "SELECT p.id, p.name_key, p.external_id FROM persons p";

/// A candidate's `(id, name_key, external_id)`, as [`SELECT_KEYS`] reads it.
type KeyRow = (uuid::Uuid, String, String);

/// `select` (which reads `FROM persons p`) reading the people the name index finds.
pub(super) fn indexed(db: &Db, select: &str) -> String {
    match db {
        Db::Sqlite(_) => select.replace(
            "FROM persons p",
            "FROM persons_name_index CROSS JOIN persons p ON p.rowid = persons_name_index.rowid",
        ),
        Db::Postgres(_) => select.to_owned(),
    }
}

/// Adds to `sql` (an [`indexed_select`]) the condition that each group of `groups` has a piece
/// in the folded name: pieces of a group are alternatives, the groups all must hold. Pieces
/// shorter than the index can look up are plain `LIKE`s. Pieces are folded: `a-z0-9` only.
pub(super) fn name_condition(db: &Db, sql: &mut Sql, groups: &[Vec<String>]) {
    let mut fts: Vec<String> = Vec::new();
    for group in groups.iter().filter(|g| !g.is_empty()) {
        let indexed = group.iter().all(|p| p.chars().count() >= MIN_INDEXED);
        match db {
            Db::Sqlite(_) if indexed => fts.push(format!(
                "({})",
                group
                    .iter()
                    .map(|p| format!("name_key : \"{p}\""))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            )),
            _ => {
                // PostgreSQL in a velayat or an etrap: the place-keyed trigram index first.
                if let (Db::Postgres(_), Some(place)) = (db, sql.pg_place.clone()) {
                    let keyed: Option<Vec<String>> =
                        group.iter().map(|p| place_trigrams(&place, p)).collect();
                    if let Some(keyed) = keyed {
                        let any: Vec<String> = keyed
                            .into_iter()
                            .map(|k| {
                                let arg = sql.arg(Arg::Text(k));
                                format!(
                                    "goldaw_place_trigrams(p.admin_unit, p.name_key) @> {arg}::text[]"
                                )
                            })
                            .collect();
                        sql.push(&format!(" AND ({})", any.join(" OR ")));
                    }
                }
                let likes: Vec<String> = group
                    .iter()
                    .map(|p| {
                        let arg = sql.arg(Arg::Text(format!("%{p}%")));
                        format!("p.name_key LIKE {arg}")
                    })
                    .collect();
                sql.push(&format!(" AND ({})", likes.join(" OR ")));
            }
        }
    }
    if let Db::Sqlite(_) = db {
        if fts.is_empty() {
            // Nothing the index can look up: every person in scope is read, through the rowid
            // the join needs.
            sql.text = sql.text.replace(
                "persons_name_index CROSS JOIN persons p ON p.rowid = persons_name_index.rowid",
                "persons p",
            );
        } else {
            // Within the scope's places: the index reads the scope's matches only, not the
            // country's (an etrap's search of a common name: 2-8 ms of CPU instead of 0.2-0.3 s).
            if let Some(place) = &sql.place {
                fts.push(format!("place : \"{place}\""));
            }
            let arg = sql.arg(Arg::Text(fts.join(" AND ")));
            sql.push(&format!(" AND persons_name_index MATCH {arg}"));
        }
    }
}

/// PostgreSQL: the scope's range of `sql` (a [`Sql::scoped`]) written so that the planner cannot
/// answer it from `persons_admin_unit`, for the statements of a name search, which the name
/// indexes narrow (keyed by place within a velayat or an etrap). sqlx's statements are prepared,
/// and after five runs PostgreSQL may keep a generic plan, which guesses that a range holds 0.5%
/// of the people and ANDs a bitmap of it with the name index's: at national scope a bitmap of
/// all seven million, 165-175 ms a statement (found by EXPLAIN of the generic plan, issue #19).
/// The range is then checked on the rows the name index found.
fn scope_not_indexed(db: &Db, sql: &mut Sql) {
    if let Db::Postgres(_) = db {
        sql.text = sql.text.replacen(
            "p.admin_unit >= $1 AND p.admin_unit < $2",
            "(p.admin_unit || '') COLLATE \"C\" >= $1 AND (p.admin_unit || '') COLLATE \"C\" < $2",
            1,
        );
    }
}

/// Every order of up to three words, joined as the stored key is (more words: as typed).
pub(super) fn orders(terms: &[String]) -> Vec<String> {
    let mut out = vec![terms.join(" ")];
    if terms.len() == 2 {
        out.push(format!("{} {}", terms[1], terms[0]));
    } else if terms.len() == 3 {
        for [a, b, c] in [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            out.push(format!("{} {} {}", terms[a], terms[b], terms[c]));
        }
    }
    out
}

impl Store {
    /// People matching the query within scope: by name, best first; otherwise by folded name.
    pub async fn search_persons(
        &self,
        principal: &Principal,
        query: &PersonQuery,
    ) -> StoreResult<Vec<PersonRecord>> {
        self.search_persons_by(principal, query, &PersonFilters::default())
            .await
    }

    /// [`Store::search_persons`] with the further filters: birth date or year, household.
    #[tracing::instrument(skip_all)]
    pub async fn search_persons_by(
        &self,
        principal: &Principal,
        query: &PersonQuery,
        filters: &PersonFilters,
    ) -> StoreResult<Vec<PersonRecord>> {
        require(principal, Permission::ReadPeople)?;
        if let Some(year) = filters.birth_year {
            if !YEARS.contains(&year) {
                return Err(StoreError::refuse(
                    "birth_year",
                    "store-people-birth-year",
                    vec![
                        ("year", SayArg::Text(year.to_string())),
                        ("from", SayArg::Text(YEARS.start().to_string())),
                        ("to", SayArg::Text(YEARS.end().to_string())),
                    ],
                ));
            }
        }
        if query.offset > MAX_OFFSET {
            return Err(StoreError::refuse(
                "offset",
                "store-people-offset",
                vec![
                    ("offset", SayArg::Text(query.offset.to_string())),
                    ("max", SayArg::Text(MAX_OFFSET.to_string())),
                ],
            ));
        }
        let Some((mut lo, mut hi)) = unit_range(principal) else {
            return Ok(Vec::new());
        };
        if let Some(unit) = &query.admin_unit {
            // Narrow to the requested unit, but never beyond the scope.
            if !principal.can_see_unit(unit) {
                return Ok(Vec::new());
            }
            lo = unit.as_str().to_owned();
            hi = format!("{}.", unit.as_str());
        }
        let limit = query.limit.clamp(1, MAX_PAGE);
        let offset = query.offset;
        let terms = query.name.as_deref().map(search_terms).unwrap_or_default();
        let filtered = |select: &str| {
            let mut sql = Sql::scoped(select, &lo, &hi, principal.sensitive);
            if let Some(e) = &query.external_id {
                let a = sql.arg(Arg::Text(e.clone()));
                sql.push(&format!(" AND p.external_id = {a}"));
            }
            if let Some(d) = filters.birth_date {
                let a = sql.arg(Arg::Date(d));
                sql.push(&format!(" AND p.birth_date = {a}"));
            }
            if let Some(y) = filters.birth_year {
                let from = NaiveDate::from_ymd_opt(y, 1, 1);
                let to = NaiveDate::from_ymd_opt(y + 1, 1, 1);
                if let (Some(from), Some(to)) = (from, to) {
                    let a = sql.arg(Arg::Date(from));
                    let b = sql.arg(Arg::Date(to));
                    sql.push(&format!(" AND p.birth_date >= {a} AND p.birth_date < {b}"));
                }
            }
            if let Some(h) = &filters.household {
                let a = sql.arg(Arg::Text(h.clone()));
                sql.push(&format!(" AND h.external_id = {a}"));
            }
            sql
        };
        let found: Vec<PersonRecord> = if terms.is_empty() {
            let mut sql = filtered(SELECT_PERSON);
            let l = sql.arg(Arg::Int(i64::from(limit)));
            let o = sql.arg(Arg::Int(i64::from(offset)));
            sql.push(&format!(
                " ORDER BY p.name_key, p.external_id LIMIT {l} OFFSET {o}"
            ));
            fetch_people!(self, sql)
                .into_iter()
                .map(PersonRow::into_record)
                .collect::<StoreResult<_>>()?
        } else {
            let window = (offset + limit).max(CANDIDATES);
            let keys = if filters.household.is_some() {
                SELECT_KEYS
            } else {
                SELECT_KEYS_ALONE
            };
            let (rows, typo) = self
                .name_candidates(&filtered, keys, &terms, window, (offset + limit) as usize)
                .await?;
            // Ranked on the stored folded name (`name_key`, written by `name_key_of`), then the
            // page's records read by id: the same scope and sensitivity conditions again.
            let mut seen = HashSet::new();
            let mut ranked: Vec<(SearchTier, f64, String, String, uuid::Uuid)> = Vec::new();
            for (id, key, external_id) in rows {
                if !seen.insert(id) {
                    continue;
                }
                let (tier, similarity) = search_rank(&terms, &key);
                if typo && similarity < TYPO_SIMILARITY {
                    continue;
                }
                ranked.push((tier, similarity, key, external_id, id));
            }
            ranked.sort_by(|a, b| {
                a.0.cmp(&b.0)
                    .then(b.1.total_cmp(&a.1))
                    .then_with(|| a.2.cmp(&b.2))
                    .then_with(|| a.3.cmp(&b.3))
            });
            let page: Vec<uuid::Uuid> = ranked
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|r| r.4)
                .collect();
            if page.is_empty() {
                Vec::new()
            } else {
                let mut sql = filtered(SELECT_PERSON);
                scope_not_indexed(self.db(), &mut sql);
                let ids: Vec<String> = page.iter().map(|id| sql.arg(Arg::Uuid(*id))).collect();
                sql.push(&format!(" AND p.id IN ({})", ids.join(", ")));
                let mut records = fetch_people!(self, sql)
                    .into_iter()
                    .map(PersonRow::into_record)
                    .collect::<StoreResult<Vec<_>>>()?;
                let order: std::collections::HashMap<uuid::Uuid, usize> =
                    page.iter().enumerate().map(|(i, id)| (*id, i)).collect();
                records.sort_by_key(|r| order.get(&r.id).copied().unwrap_or(usize::MAX));
                records
            }
        };
        // Every record shown is a record read: the event lists them (ids only, not the query,
        // which may hold a name).
        let ids: Vec<String> = found.iter().map(|p| p.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain("person.search").with_detail(format!(
                "{} found: {}",
                ids.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(found)
    }
}

impl Store {
    /// The keys of the people whose name answers `terms`, at most `window` from each tier, and
    /// whether they were found through a typo's pieces. `filtered` gives a select with the
    /// scope, sensitivity and the other filters. The tiers, best first, each asked only when
    /// the ones before have not filled the page (`need`: offset and limit; a later tier's people
    /// rank after every one of an earlier tier's, so they could not be on it):
    /// 1. the whole name in any order (`name_key IN (...)`, the plain index);
    /// 2. every word typed as a whole word of the name: the word index (migration 0034); on
    ///    PostgreSQL one word typed is read as the stored words of tiers 3 and 4 are
    ///    ([`Store::people_of_word`]);
    /// 3. every word typed as part of a word of the name: PostgreSQL the vocabulary and the word
    ///    index, SQLite (or a piece the vocabulary holds too many words for) the trigram index;
    /// 4. only when nothing matched: a typo, each long word's pieces.
    async fn name_candidates(
        &self,
        scoped: &(dyn Fn(&str) -> Sql + Sync),
        keys: &str,
        terms: &[String],
        window: u32,
        need: usize,
    ) -> StoreResult<(Vec<KeyRow>, bool)> {
        let db = self.db();
        let filtered = |select: &str| {
            let mut sql = scoped(select);
            scope_not_indexed(db, &mut sql);
            sql
        };
        let limited = |sql: &mut Sql| {
            let l = sql.arg(Arg::Int(i64::from(window)));
            sql.push(&format!(" LIMIT {l}"));
        };
        let distinct = |rows: &[KeyRow]| rows.iter().map(|r| r.0).collect::<HashSet<_>>().len();
        let mut rows: Vec<KeyRow> = Vec::new();
        // 1. The whole name, in any order: the plain index on name_key. Every later tier ranks
        // after it: when it fills the page, nothing else could be on it.
        let mut sql = filtered(keys);
        let names: Vec<String> = orders(terms)
            .into_iter()
            .map(|n| sql.arg(Arg::Text(n)))
            .collect();
        sql.push(&format!(" AND p.name_key IN ({})", names.join(", ")));
        limited(&mut sql);
        rows.extend(fetch_rows!(self, sql, KeyRow));
        if distinct(&rows) >= need {
            return Ok((rows, false));
        }
        // 2. Every word typed, as a whole word: the word index.
        if let (Db::Postgres(_), [term]) = (db, terms) {
            rows.extend(
                self.people_of_words(scoped, keys, term, std::slice::from_ref(term), window)
                    .await?,
            );
        } else {
            let mut sql = filtered(&word_indexed(db, keys));
            if whole_words_condition(db, &mut sql, terms) {
                limited(&mut sql);
                rows.extend(fetch_rows!(self, sql, KeyRow));
            }
        }
        if distinct(&rows) >= need {
            return Ok((rows, false));
        }
        // 3. Every word typed, as part of a word.
        let groups: Vec<Vec<String>> = terms.iter().map(|t| vec![t.clone()]).collect();
        let mut vocabulary: Option<Vec<Vec<String>>> = None;
        if let Db::Postgres(_) = db {
            let mut found = Vec::new();
            for t in terms {
                match self.vocabulary_holding(t).await? {
                    Some(words) => found.push(words),
                    None => break,
                }
            }
            vocabulary = (found.len() == terms.len()).then_some(found);
        }
        match vocabulary {
            // A word typed that no stored word holds: nobody has it.
            Some(words) if words.iter().any(Vec::is_empty) => {}
            Some(words) => {
                if let [term] = terms {
                    // The word typed is a stored word too: tier 2 read its holders already.
                    let others: Vec<String> =
                        words[0].iter().filter(|w| *w != term).cloned().collect();
                    rows.extend(
                        self.people_of_words(scoped, keys, term, &others, window)
                            .await?,
                    );
                } else {
                    let mut sql = filtered(keys);
                    if any_words_condition(&mut sql, &words) {
                        limited(&mut sql);
                        rows.extend(fetch_rows!(self, sql, KeyRow));
                    }
                }
            }
            None => {
                let mut sql = filtered(&indexed(db, keys));
                name_condition(db, &mut sql, &groups);
                limited(&mut sql);
                rows.extend(fetch_rows!(self, sql, KeyRow));
            }
        }
        if !rows.is_empty() {
            return Ok((rows, false));
        }
        // 4. Nobody: a typo, perhaps. Each long word's halves (one survives one typo), then
        // only names close enough are kept (by the caller).
        let groups: Vec<Vec<String>> = terms.iter().map(|t| typo_pieces(t)).collect();
        if groups.iter().all(Vec::is_empty) {
            return Ok((rows, false));
        }
        if let Db::Postgres(_) = db {
            // A name is kept when its words' similarity to those typed, averaged, reaches
            // TYPO_SIMILARITY: a word of it for one typed can be no further than this.
            let n = terms.len() as f64;
            let floor = (n * TYPO_SIMILARITY - (n - 1.0)).max(0.0);
            let mut found = Vec::new();
            for (t, pieces) in terms.iter().zip(&groups) {
                if pieces.is_empty() {
                    continue;
                }
                match self.vocabulary_close_to(t, pieces, floor).await? {
                    Some(words) => found.push(words),
                    None => break,
                }
            }
            if found.len() == groups.iter().filter(|g| !g.is_empty()).count() {
                if found.iter().any(Vec::is_empty) {
                    return Ok((rows, true));
                }
                if let ([term], [words]) = (terms, found.as_slice()) {
                    rows.extend(
                        self.people_of_words(scoped, keys, term, words, window)
                            .await?,
                    );
                    return Ok((rows, true));
                }
                let mut sql = filtered(keys);
                if any_words_condition(&mut sql, &found) {
                    limited(&mut sql);
                    rows.extend(fetch_rows!(self, sql, KeyRow));
                    return Ok((rows, true));
                }
            }
        }
        let mut sql = filtered(&indexed(db, keys));
        name_condition(db, &mut sql, &groups);
        limited(&mut sql);
        rows.extend(fetch_rows!(self, sql, KeyRow));
        Ok((rows, true))
    }

    /// PostgreSQL: the keys of at most `window` people whose name holds one of `words` (stored
    /// words, or the word typed) as a whole word, the words closest to `term` first
    /// (`goldaw_core::names::word_similarity`, which orders the ranking too), each word's people
    /// read until the window is full — an early stop the word GINs cannot make in one
    /// statement: their bitmap of every word asked for is built whole first (a typo's 28 close
    /// words in a velayat, 500,000 entries: 86 ms). The first [`ONE_BY_ONE`] words one at a
    /// time, the rest together. Within a velayat or an etrap each word is one posting list of
    /// the place-keyed GIN (`persons_place_words`); for the nation, the btrees of a name's first
    /// and second words in name order ([`WORD_POSITIONS`], migration 0038), then the word GIN for
    /// the people these have not given (a third word, or a word few people hold).
    async fn people_of_words(
        &self,
        scoped: &(dyn Fn(&str) -> Sql + Sync),
        keys: &str,
        term: &str,
        words: &[String],
        window: u32,
    ) -> StoreResult<Vec<KeyRow>> {
        let db = self.db();
        let mut ordered: Vec<(f64, &String)> = words
            .iter()
            .map(|w| (word_similarity(term, w), w))
            .collect();
        ordered.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let national = scoped(keys).pg_place.is_none();
        let mut rows: Vec<KeyRow> = Vec::new();
        let mut seen: HashSet<uuid::Uuid> = HashSet::new();
        let mut add = |found: Vec<KeyRow>, rows: &mut Vec<KeyRow>| {
            rows.extend(found.into_iter().filter(|r| seen.insert(r.0)));
        };
        let left = |rows: &[KeyRow]| i64::from(window) - rows.len() as i64;
        for (i, (_, word)) in ordered.iter().enumerate() {
            if left(&rows) <= 0 {
                break;
            }
            let group: Vec<String> = if i < ONE_BY_ONE {
                vec![(*word).clone()]
            } else {
                ordered[i..].iter().map(|(_, w)| (*w).clone()).collect()
            };
            if national && group.len() == 1 {
                for position in WORD_POSITIONS {
                    // The scope's range as written (`scoped`, not `scope_not_indexed`'s): planned
                    // for the nation's values it covers everyone, so the planner walks the
                    // position's index in name order and stops; the rewritten range is estimated
                    // to hold 0.5% of the people, and the planner would read the word's every
                    // entry (a bitmap of 100,000) to fill the window.
                    let mut sql = scoped(keys);
                    let w = sql.arg(Arg::Text((*word).clone()));
                    let l = sql.arg(Arg::Int(left(&rows)));
                    sql.push(&format!(
                        " AND split_part(p.name_key, ' ', {position}) = {w} ORDER BY p.name_key LIMIT {l}"
                    ));
                    add(fetch_rows!(self, sql, KeyRow), &mut rows);
                    if left(&rows) <= 0 {
                        return Ok(rows);
                    }
                }
            }
            // The place's posting list of the word (or the rest of the words together); for the
            // nation, the people the positions have not given. The whole window: its first rows
            // may repeat people already read.
            let mut sql = scoped(keys);
            scope_not_indexed(db, &mut sql);
            if !any_words_condition(&mut sql, std::slice::from_ref(&group)) {
                continue;
            }
            let l = sql.arg(Arg::Int(i64::from(window)));
            sql.push(&format!(" LIMIT {l}"));
            add(fetch_rows!(self, sql, KeyRow), &mut rows);
            if group.len() > 1 {
                break;
            }
        }
        Ok(rows)
    }
}

/// [`Store::people_of_words`] reads the people of this many stored words one word at a time
/// (the closest first, stopping when the window is full), those of any further words together.
const ONE_BY_ONE: usize = 8;

/// The words of a name PostgreSQL indexes by their place in it (migration 0038: `split_part` of
/// `name_key`, then the name, in btrees): a national search of one word asks for it as the
/// first word, then the second, in name order, and stops at the window. The word GIN
/// (`persons_name_words`) cannot stop early: a family name 100,000 people share is a bitmap of
/// all of them built before the first row is read, 14 ms of a 29 ms statement (issue #19's goal
/// is 5x the bare lookup, 2-4 ms); through the position's btree the window costs 2-4 ms. A word
/// found too few times in these places goes on to the word GIN (a third word, a word found by
/// few people: a short posting list).
const WORD_POSITIONS: [u8; 2] = [1, 2];

/// A name found through a typo's pieces is shown when its words are at least this close to
/// those typed (one or two letters in a name of six).
const TYPO_SIMILARITY: f64 = 0.65;

#[cfg(test)]
mod tests {
    use super::{pg_place, place_trigrams, scope_token};

    #[test]
    fn the_scope_range_a_search_rewrites_is_the_scopes_first_condition() {
        // `scope_not_indexed` replaces this text of `SCOPED`; if SCOPED changed, so must it.
        assert!(super::super::SCOPED.starts_with("p.admin_unit >= $1 AND p.admin_unit < $2 AND "));
    }

    #[test]
    fn postgres_keys_a_search_by_the_velayat_or_etrap_of_the_scope() {
        assert_eq!(pg_place("TM"), None);
        assert_eq!(pg_place("TM-A").as_deref(), Some("TM-A"));
        assert_eq!(pg_place("TM-A-09").as_deref(), Some("TM-A-09"));
        assert_eq!(pg_place("TM-A-09-01").as_deref(), Some("TM-A-09"));
        assert_eq!(pg_place("TM-A-'1"), None);
        // The inner trigrams only, each keyed, as an array literal.
        assert_eq!(
            place_trigrams("TM-A", "maral").as_deref(),
            Some("{TM-A:ara,TM-A:mar,TM-A:ral}")
        );
        assert_eq!(place_trigrams("TM-A", "ay"), None);
        assert_eq!(place_trigrams("TM-A", "a,b}"), None);
    }

    #[test]
    fn a_scope_token_is_the_prefix_of_its_places_tokens() {
        // The places' tokens as migration 0027 writes them.
        let place = |unit: &str| {
            format!(
                "##{}#",
                unit.get(3..).unwrap_or("").replace('-', "").to_lowercase()
            )
        };
        assert_eq!(scope_token("TM"), None);
        assert_eq!(scope_token("TM-A").as_deref(), Some("##a"));
        assert_eq!(scope_token("TM-A-09").as_deref(), Some("##a09"));
        for (scope, unit, within) in [
            ("TM-A", "TM-A-09-01", true),
            ("TM-A-09", "TM-A-09", true),
            ("TM-A-09", "TM-A-09-01", true),
            ("TM-A-09", "TM-A-01", false),
            ("TM-A-01", "TM-B-01", false),
            ("TM-S", "TM-A-01", false),
        ] {
            let token = scope_token(scope).unwrap();
            assert_eq!(place(unit).contains(&token), within, "{scope} {unit}");
        }
        // Anything that is not a plain code asks the index for the name only.
        assert_eq!(scope_token("TM-\"x"), None);
        assert_eq!(scope_token("XX-A"), None);
    }
}
