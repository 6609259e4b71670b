//! The duplicate check: people already known who may be the person described. Candidates come
//! from the indexes, never from a cut-off slice: everyone in scope born the same day (the index
//! on birth date), the household's members, everyone whose name holds every name typed (the word
//! index), and when a name may hold a typo, everyone whose name holds a stored word near each
//! name typed (the vocabulary of stored words, then the word index; issue #24). Each is scored by
//! `goldaw_core::names::duplicate_score` (names in either order, any spelling, typos, a missing
//! family name, birth date, etrap, household); the best few at or above `LIKELY_DUPLICATE` are
//! shown. Used at intake (page and API), before a merge, and for the supervisor's list. Reads
//! only what the score compares and the check shows ([`CandidateRow`]), never whole records;
//! shows the least needed to recognise someone; audited as the ids shown.

use super::require;
use super::search::{fetch_rows, indexed, name_condition, Arg, Sql};
use super::words::{any_words_indexed_condition, whole_words_condition, word_indexed};
use crate::audit::AuditEvent;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::scope::unit_range;
use crate::Store;
use chrono::Datelike;
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::Sex;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::names::{
    birth_date_typos, duplicate_check_settled, duplicate_score, duplicate_typo_word_floor,
    search_terms, typo_pieces, DuplicateProbe, LIKELY_DUPLICATE, MAX_DUPLICATES_SHOWN,
    MAX_NAME_LEN, MIN_INDEXED,
};
use serde::Serialize;
use std::collections::HashSet;
use uuid::Uuid;

/// What is known of the person being looked for.
#[derive(Debug, Clone, Default)]
pub struct DuplicateQuery {
    pub given_name: String,
    pub family_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Where the person lives (an etrap or below): only people there are compared.
    pub admin_unit: Option<AdminUnitCode>,
    /// The household's id (`household_id` in the interchange files): the same counts.
    pub household: Option<String>,
}

/// A person who may be the one described, with the least needed to recognise them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LikelyDuplicate {
    pub id: Uuid,
    /// How likely the same person, 0-100 (75 and above are shown).
    pub score: u8,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub admin_unit: String,
}

/// At most this many people of one candidate source are compared (born the same day: a few
/// hundred in the whole country). A source that holds more says so ([`Candidates::cut`]): the
/// supervisor's list states it ("more than").
pub const PER_SOURCE: i64 = 2000;

/// What the check reads of a candidate: what the score compares and what is shown (issue #24:
/// the intake's check read up to 4,000 whole records, 50-90 ms of CPU, to show ten).
pub(super) const SELECT_CANDIDATE: &str = "SELECT p.id, p.external_id, p.household_id,
        p.given_name, p.family_name, p.sex, p.birth_date, p.admin_unit
    FROM persons p";

/// A candidate as [`SELECT_CANDIDATE`] reads it.
#[derive(sqlx::FromRow)]
pub(super) struct CandidateRow {
    pub id: Uuid,
    pub external_id: String,
    pub household_id: Uuid,
    pub given_name: String,
    pub family_name: Option<String>,
    pub sex: String,
    pub birth_date: Option<NaiveDate>,
    pub admin_unit: String,
}

/// A known person as the score compares them. The household is compared by goldaw's id (a
/// household goldaw made for someone living alone holds nobody else, so it matches nobody).
pub(super) fn probe_of(row: &CandidateRow) -> DuplicateProbe {
    DuplicateProbe {
        birth_date: row.birth_date,
        admin_unit: Some(row.admin_unit.clone()),
        household: Some(row.household_id.to_string()),
        ..DuplicateProbe::new(&row.given_name, row.family_name.as_deref())
    }
}

/// The folded words of a person's names, as the check looks them up.
pub(super) fn words_of(given: &str, family: Option<&str>) -> Vec<String> {
    search_terms(&format!("{given} {}", family.unwrap_or("")))
}

/// Where the check looks: people of `lo..hi` (unit codes), hidden ones only when `sensitive`.
pub(super) struct Within<'a> {
    pub lo: &'a str,
    pub hi: &'a str,
    pub sensitive: bool,
}

/// How far the check looks.
#[derive(Clone, Copy)]
pub(super) enum Depth {
    /// Every source (the supervisor's list: every pair).
    Every,
    /// Until the sources asked hold enough to settle what is shown
    /// (`goldaw_core::names::duplicate_check_settled`), leaving out `except` (the person
    /// compared).
    UntilSettled { except: Option<Uuid> },
}

/// The people the check compares with a probe, from the indexes.
pub(super) struct Candidates {
    /// Each person once.
    pub rows: Vec<CandidateRow>,
    /// A source held more than [`PER_SOURCE`] people: only that many of it were read.
    pub cut: bool,
}

/// Only people who could score [`LIKELY_DUPLICATE`] against a probe born on `born`: without a
/// birth date, born the same year or on a typo of the date (`birth_date_typos`). Anyone else
/// scores at most 70 (`goldaw_core::names::duplicate_score`) unless in the same household, whose
/// members are a source of their own; so leaving them out loses nothing and keeps a common
/// name's candidates few.
fn date_condition(sql: &mut Sql, probe: &DuplicateProbe) {
    let Some(born) = probe.birth_date else {
        return;
    };
    let mut any = vec!["p.birth_date IS NULL".to_owned()];
    let from = NaiveDate::from_ymd_opt(born.year(), 1, 1);
    let to = NaiveDate::from_ymd_opt(born.year() + 1, 1, 1);
    if let (Some(from), Some(to)) = (from, to) {
        let a = sql.arg(Arg::Date(from));
        let b = sql.arg(Arg::Date(to));
        any.push(format!("(p.birth_date >= {a} AND p.birth_date < {b})"));
    }
    let typos: Vec<String> = birth_date_typos(born)
        .into_iter()
        .map(|d| sql.arg(Arg::Date(d)))
        .collect();
    if !typos.is_empty() {
        any.push(format!("p.birth_date IN ({})", typos.join(", ")));
    }
    sql.push(&format!(" AND ({})", any.join(" OR ")));
}

impl Store {
    /// The likely duplicates of the person `query` describes, best first, at most
    /// `MAX_DUPLICATES_SHOWN`, within the principal's scope and sensitivity.
    /// Who registers people or reads them may ask (the hotline registers, it does not browse).
    #[tracing::instrument(skip_all)]
    pub async fn find_duplicates(
        &self,
        principal: &Principal,
        query: &DuplicateQuery,
    ) -> StoreResult<Vec<LikelyDuplicate>> {
        if !principal.may(Permission::RegisterReferral) {
            require(principal, Permission::ReadPeople)?;
        }
        // A name longer than any stored one (core's `MAX_NAME_LEN`) can match nobody; refused
        // before its every candidate is compared letter by letter.
        for (field, name) in [
            ("given_name", Some(query.given_name.as_str())),
            ("family_name", query.family_name.as_deref()),
        ] {
            if name.is_some_and(|n| n.chars().count() > MAX_NAME_LEN) {
                return Err(StoreError::refuse(
                    field,
                    "store-people-name-length",
                    vec![("max", SayArg::Text(MAX_NAME_LEN.to_string()))],
                ));
            }
        }
        let found = self.duplicates_unaudited(principal, query, None).await?;
        let ids: Vec<String> = found.iter().map(|c| c.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain("person.duplicate_check").with_detail(format!(
                "{} found: {}",
                ids.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(found)
    }

    /// The check without its audit event; `except` is left out (the person compared).
    pub(crate) async fn duplicates_unaudited(
        &self,
        principal: &Principal,
        query: &DuplicateQuery,
        except: Option<Uuid>,
    ) -> StoreResult<Vec<LikelyDuplicate>> {
        let Some((mut lo, mut hi)) = unit_range(principal) else {
            return Ok(Vec::new());
        };
        if let Some(unit) = &query.admin_unit {
            // The place asked about narrows the check, never beyond the scope.
            if !principal.can_see_unit(unit) {
                return Ok(Vec::new());
            }
            lo = unit.as_str().to_owned();
            hi = format!("{}.", unit.as_str());
        }
        // The household by its id in the files (unique, indexed); one nobody holds counts for
        // nobody. Its members are read within scope like any candidate.
        let household = match &query.household {
            Some(h) => {
                let sql = Sql {
                    text: "SELECT id FROM households WHERE external_id = $1".to_owned(),
                    args: vec![Arg::Text(h.clone())],
                    place: None,
                    pg_place: None,
                };
                fetch_rows!(self, sql, (Uuid,)).first().map(|(id,)| *id)
            }
            None => None,
        };
        let probe = DuplicateProbe {
            birth_date: query.birth_date,
            admin_unit: query.admin_unit.as_ref().map(|u| u.as_str().to_owned()),
            household: household.map(|h| h.to_string()),
            ..DuplicateProbe::new(&query.given_name, query.family_name.as_deref())
        };
        if probe.given.is_empty() {
            return Ok(Vec::new());
        }
        let words = words_of(&query.given_name, query.family_name.as_deref());
        let within = Within {
            lo: &lo,
            hi: &hi,
            sensitive: principal.sensitive,
        };
        let rows = self
            .duplicate_candidates(&within, &probe, &words, Depth::UntilSettled { except })
            .await?
            .rows;
        let mut found: Vec<LikelyDuplicate> = rows
            .into_iter()
            .filter(|r| Some(r.id) != except)
            .filter_map(|r| {
                let score = duplicate_score(&probe, &probe_of(&r));
                (score >= LIKELY_DUPLICATE).then(|| LikelyDuplicate {
                    id: r.id,
                    score,
                    name: match &r.family_name {
                        Some(f) => format!("{} {f}", r.given_name),
                        None => r.given_name.clone(),
                    },
                    birth_date: r.birth_date,
                    sex: r.sex.parse().ok(),
                    admin_unit: r.admin_unit,
                })
            })
            .collect();
        found.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
        found.truncate(MAX_DUPLICATES_SHOWN);
        Ok(found)
    }

    /// The people the check compares with `probe` (whose names are `words`), each once, the
    /// cheap sources first:
    ///
    /// 1. everyone in scope born the same day (the index on birth date);
    /// 2. the household's members (the index on the household; a household is small);
    /// 3. everyone whose name holds every word, in either order: as whole words through the
    ///    word index (`people::words`, within the scope's places) when 4 is asked too, else as
    ///    parts of words through the trigram index;
    /// 4. a typo or two: everyone whose name holds, for each word, a stored word holding a piece
    ///    of it that survives one (two names, so two typos in different names; the birth date
    ///    and the household catch the rest) and near enough to be shown: the vocabulary of
    ///    stored words answers which (`Store::vocabulary_near`,
    ///    `goldaw_core::names::duplicate_typo_word_floor`), the word index who holds them; the
    ///    trigram index's pieces when the vocabulary cannot. The pieces are the halves of the
    ///    long words (six letters or more) when there are any, else the ends of the shorter ones.
    ///
    /// 3 and 4 only among people who could score high enough on the birth date
    /// ([`date_condition`]). With [`Depth::UntilSettled`], 4 (whose common pieces, `zowa`, read
    /// long posting lists and match thousands) is asked only when the sources before have not
    /// settled what is shown (`goldaw_core::names::duplicate_check_settled`: ten people scoring
    /// the best anyone could). Each source reads at most [`PER_SOURCE`] people and says when it
    /// held more. (The exact full name through the plain index on `name_key` is no source: that
    /// index does not hold the place, so a common name read its namesakes of the whole country,
    /// 3,500 rows for one etrap's check, 45 ms on SQLite; the name index finds them within the
    /// scope's places.)
    pub(super) async fn duplicate_candidates(
        &self,
        within: &Within<'_>,
        probe: &DuplicateProbe,
        words: &[String],
        depth: Depth,
    ) -> StoreResult<Candidates> {
        let scoped = |select: &str| Sql::scoped(select, within.lo, within.hi, within.sensitive);
        let mut rows: Vec<CandidateRow> = Vec::new();
        let mut seen = HashSet::new();
        let mut cut = false;
        let mut read = |found: Vec<CandidateRow>, rows: &mut Vec<CandidateRow>| {
            cut |= found.len() as i64 > PER_SOURCE;
            rows.extend(
                found
                    .into_iter()
                    .take(PER_SOURCE as usize)
                    .filter(|r| seen.insert(r.id)),
            );
        };
        let settled = |rows: &[CandidateRow]| match depth {
            Depth::Every => false,
            Depth::UntilSettled { except } => {
                let scores: Vec<u8> = rows
                    .iter()
                    .filter(|r| Some(r.id) != except)
                    .map(|r| duplicate_score(probe, &probe_of(r)))
                    .collect();
                duplicate_check_settled(probe, &scores)
            }
        };
        let limit = |sql: &mut Sql| {
            let l = sql.arg(Arg::Int(PER_SOURCE + 1));
            sql.push(&format!(" LIMIT {l}"));
        };
        // Whether the people born the same day were more than one source reads: the typo floor
        // below assumes they were all compared.
        let mut born_cut = false;
        if let Some(born) = probe.birth_date {
            let mut sql = scoped(SELECT_CANDIDATE);
            let d = sql.arg(Arg::Date(born));
            sql.push(&format!(" AND p.birth_date = {d}"));
            limit(&mut sql);
            let found = fetch_rows!(self, sql, CandidateRow);
            born_cut = found.len() as i64 > PER_SOURCE;
            read(found, &mut rows);
        }
        if let Some(home) = probe
            .household
            .as_deref()
            .and_then(|h| h.parse::<Uuid>().ok())
        {
            let mut sql = scoped(SELECT_CANDIDATE);
            let h = sql.arg(Arg::Uuid(home));
            sql.push(&format!(" AND p.household_id = {h}"));
            limit(&mut sql);
            read(fetch_rows!(self, sql, CandidateRow), &mut rows);
        }
        if words.is_empty() {
            return Ok(Candidates { rows, cut });
        }
        // 2b. Someone registered under one of the names alone (no family name), born on a typo
        // of the date or the same year: scores up to 76 (`duplicate_score`: 75% of the name, a
        // typo of the date, the same unit) and holds not every word typed, so no name source
        // below reaches them. The plain index on the folded name: few people have a name of one
        // word, so this reads few rows even for a common given name.
        if words.len() > 1 && probe.birth_date.is_some() {
            let mut sql = scoped(SELECT_CANDIDATE);
            let alone: Vec<String> = words
                .iter()
                .map(|w| sql.arg(Arg::Text(w.clone())))
                .collect();
            sql.push(&format!(" AND p.name_key IN ({})", alone.join(", ")));
            date_condition(&mut sql, probe);
            limit(&mut sql);
            read(fetch_rows!(self, sql, CandidateRow), &mut rows);
        }
        // The words a typo is looked for in (source 4) and the pieces of each that survive one:
        // the long words (six letters or more) when there are any, else every word.
        let long: Vec<(&String, Vec<String>)> = words
            .iter()
            .filter(|w| w.chars().count() >= 2 * MIN_INDEXED)
            .map(|w| (w, typo_pieces(w)))
            .collect();
        let typed: Vec<(&String, Vec<String>)> = if long.is_empty() {
            words.iter().map(|w| (w, typo_pieces(w))).collect()
        } else {
            long
        };
        let typo_source = words.len() > 1 && typed.iter().all(|(_, p)| !p.is_empty());
        // 3. Every word, exactly, through the word index (one posting list a word, within the
        // scope's places). A name holding a word typed only as part of a longer word
        // ("myradow" in "myradowa") is a typo's, which source 4 reaches: so only when it will
        // be asked; else every word as part of a word, through the trigram index.
        let mut sql = scoped(&word_indexed(self.db(), SELECT_CANDIDATE));
        if !(typo_source && whole_words_condition(self.db(), &mut sql, words)) {
            let exact: Vec<Vec<String>> = words.iter().map(|w| vec![w.clone()]).collect();
            sql = scoped(&indexed(self.db(), SELECT_CANDIDATE));
            name_condition(self.db(), &mut sql, &exact);
        }
        date_condition(&mut sql, probe);
        limit(&mut sql);
        read(fetch_rows!(self, sql, CandidateRow), &mut rows);
        if !typo_source || settled(&rows) {
            return Ok(Candidates { rows, cut });
        }
        // 4. A typo: through the vocabulary, the stored words holding a piece of each word typed
        // and near enough to it to be shown (`duplicate_typo_word_floor`: derived from the
        // score, it loses nobody), then the people holding one of each word's through the word
        // index: a few exact posting lists, where the trigram index's pieces (`myra`, `dowa`)
        // matched thousands in an etrap, read the cut of 2,001 and scored each (issue #24). Only
        // for a given and a family name of one word each, for which the floor is derived;
        // otherwise, or when the vocabulary cannot answer (too many words), the pieces as before.
        // Nor when the people born that day were cut (a common date in a wide scope): the floor
        // counts on every one of them having been compared, and one beyond the cut needs far
        // less of a name to be shown.
        let single = !born_cut
            && !probe.given.contains(' ')
            && probe.family.as_deref().is_some_and(|f| !f.contains(' '));
        let mut near: Option<Vec<Vec<String>>> = None;
        if single {
            let floor = duplicate_typo_word_floor(probe);
            let mut found = Vec::new();
            for (word, pieces) in &typed {
                match self.vocabulary_near(word, pieces, floor).await? {
                    Some(words) => found.push(words),
                    None => break,
                }
            }
            near = (found.len() == typed.len()).then_some(found);
        }
        let mut sql = scoped(&word_indexed(self.db(), SELECT_CANDIDATE));
        let ask = match near {
            // A word no stored word is near: nobody is reached through a typo.
            Some(groups) if groups.iter().any(Vec::is_empty) => false,
            Some(groups) if any_words_indexed_condition(self.db(), &mut sql, &groups) => true,
            _ => {
                let pieces: Vec<Vec<String>> = typed.into_iter().map(|(_, p)| p).collect();
                sql = scoped(&indexed(self.db(), SELECT_CANDIDATE));
                name_condition(self.db(), &mut sql, &pieces);
                true
            }
        };
        if ask {
            date_condition(&mut sql, probe);
            limit(&mut sql);
            read(fetch_rows!(self, sql, CandidateRow), &mut rows);
        }
        Ok(Candidates { rows, cut })
    }
}
