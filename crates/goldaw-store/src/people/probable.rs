//! The supervisor's list of probable duplicates in scope (issue #19, item 2): pairs of people
//! the duplicate check's scoring (`goldaw_core::names::duplicate_score`) rates at or above
//! `LIKELY_DUPLICATE`, a page at a time, each pair linking to the merge.
//!
//! Everyone in scope is checked as the intake checks a person: the candidates come from the
//! indexes (born the same day, the household's members, the name in either order and any
//! spelling, a typo or two in the names, a typo in the birth date:
//! `Store::duplicate_candidates`), never from a cut-off slice. People are walked in the order of
//! their id with a keyset cursor, at most [`WALK`] a page. A pair is listed once: by the first
//! of the two walked, or, when the first's candidates did not hold the second (the sources are
//! not symmetric: "Maral" holds in "Maral Ýazowa", not the other way round), by the second. A
//! source holding more than `PER_SOURCE` people is read to that bound, and the page says so
//! (`incomplete`, "more than").

use super::duplicates::{
    probe_of, words_of, CandidateRow, Depth, Within, PER_SOURCE, SELECT_CANDIDATE,
};
use super::require;
use super::search::{fetch_rows, Arg, Sql};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::scope::unit_range;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::names::{duplicate_score, LIKELY_DUPLICATE};
use goldaw_core::paging::{decode_cursor, encode_cursor};
use serde::Serialize;
use std::collections::HashSet;
use uuid::Uuid;

/// People one page checks at most (each is a few index lookups); the page answers sooner once
/// it holds `limit` pairs.
pub const WALK: i64 = 200;

/// How long one page may check people before it answers with what it found and the link on
/// (pentest finding, 2026-12-07: at velayat or national scope a page of very common names could
/// hold the server for seconds, and a loop of requests all of it). The page says how many people
/// it checked; the next page goes on from there, nothing is skipped.
pub const PAGE_BUDGET: std::time::Duration = std::time::Duration::from_millis(1500);

/// One side of a pair: the least needed to recognise someone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairSide {
    pub id: Uuid,
    pub person_id: String,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    pub admin_unit: String,
}

/// Two records that may be the same person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DuplicatePair {
    pub first: PairSide,
    pub second: PairSide,
    /// 0-100, as the duplicate check scores (75 and above are listed).
    pub score: u8,
}

/// Someone compared with fewer people than the check found: a source of candidates held more
/// than `more_than` people in scope (a very common name, or a day most people are registered
/// as born on), and only that many of it were read. Narrow to a unit to compare them all.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncompleteCheck {
    pub person: PairSide,
    pub more_than: u32,
}

/// One page of the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DuplicatePage {
    /// Best first within the page.
    pub items: Vec<DuplicatePair>,
    /// Give it as `after` for the next page; `None` when the walk is done.
    pub next: Option<String>,
    /// How many people of the scope this page compared with everyone in scope (at most
    /// 200 a page, fewer once `limit` pairs are found).
    pub checked: u32,
    /// The people of this page whose check was bounded: compared with the first `more_than`
    /// candidates of a source only. Empty when nothing was cut.
    pub incomplete: Vec<IncompleteCheck>,
}

fn side(r: &CandidateRow) -> PairSide {
    PairSide {
        id: r.id,
        person_id: r.external_id.clone(),
        name: match &r.family_name {
            Some(f) => format!("{f} {}", r.given_name),
            None => r.given_name.clone(),
        },
        birth_date: r.birth_date,
        admin_unit: r.admin_unit.clone(),
    }
}

fn damaged() -> StoreError {
    StoreError::refuse("after", "store-page-link-damaged", vec![])
}

/// Where the walk stands: after the person with this id.
fn decode(after: Option<&str>) -> StoreResult<Option<Uuid>> {
    let Some(after) = after else {
        return Ok(None);
    };
    let f = decode_cursor(after, 2).map_err(|_| damaged())?;
    match f[0].as_str() {
        "p" => Ok(Some(f[1].parse().map_err(|_| damaged())?)),
        _ => Err(damaged()),
    }
}

impl Store {
    /// A page of the probable duplicates among the people in the supervisor's scope (narrowed to
    /// `unit` if given): the next people of the walk, each checked against everyone in scope,
    /// until `limit` pairs are found, [`WALK`] people are checked or [`PAGE_BUDGET`] has passed.
    /// Supervisors only (they merge); audited as the ids shown.
    pub async fn probable_duplicates(
        &self,
        principal: &Principal,
        unit: Option<&AdminUnitCode>,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<DuplicatePage> {
        self.probable_duplicates_within(principal, unit, after, limit, PAGE_BUDGET)
            .await
    }

    /// [`Store::probable_duplicates`] answering once `budget` has passed (after the person being
    /// checked): the page holds what was found so far and the link on.
    #[tracing::instrument(skip_all)]
    pub async fn probable_duplicates_within(
        &self,
        principal: &Principal,
        unit: Option<&AdminUnitCode>,
        after: Option<&str>,
        limit: u32,
        budget: std::time::Duration,
    ) -> StoreResult<DuplicatePage> {
        let started = std::time::Instant::now();
        require(principal, Permission::ReadPeople)?;
        require(principal, Permission::ApproveCases)?;
        let after = decode(after)?;
        let Some((mut lo, mut hi)) = unit_range(principal) else {
            return Ok(DuplicatePage {
                items: Vec::new(),
                next: None,
                checked: 0,
                incomplete: Vec::new(),
            });
        };
        if let Some(unit) = unit {
            if !principal.can_see_unit(unit) {
                return Err(StoreError::NotFound);
            }
            lo = unit.as_str().to_owned();
            hi = format!("{}.", unit.as_str());
        }
        let limit = limit.clamp(1, goldaw_core::paging::MAX_PAGE_SIZE) as usize;
        let within = Within {
            lo: &lo,
            hi: &hi,
            sensitive: principal.sensitive,
        };
        // The next people of the walk.
        let mut sql = Sql::scoped(SELECT_CANDIDATE, &lo, &hi, principal.sensitive);
        if let Some(id) = after {
            let a = sql.arg(Arg::Uuid(id));
            sql.push(&format!(" AND p.id > {a}"));
        }
        let l = sql.arg(Arg::Int(WALK));
        sql.push(&format!(" ORDER BY p.id LIMIT {l}"));
        let walk: Vec<CandidateRow> = fetch_rows!(self, sql, CandidateRow);
        let mut items: Vec<DuplicatePair> = Vec::new();
        let mut incomplete = Vec::new();
        let mut seen = HashSet::new();
        let mut checked = 0;
        let mut next = None;
        for (i, person) in walk.iter().enumerate() {
            let probe = probe_of(person);
            let words = words_of(&person.given_name, person.family_name.as_deref());
            let found = self
                .duplicate_candidates(&within, &probe, &words, Depth::Every)
                .await?;
            if found.cut {
                incomplete.push(IncompleteCheck {
                    person: side(person),
                    more_than: PER_SOURCE as u32,
                });
            }
            for other in &found.rows {
                if other.id == person.id {
                    continue;
                }
                let score = duplicate_score(&probe, &probe_of(other));
                if score < LIKELY_DUPLICATE {
                    continue;
                }
                let key = (person.id.min(other.id), person.id.max(other.id));
                if !seen.insert(key) {
                    continue;
                }
                // Walked before this person: listed then, unless its own candidates missed
                // this person.
                if other.id < person.id {
                    let back = self
                        .duplicate_candidates(
                            &within,
                            &probe_of(other),
                            &words_of(&other.given_name, other.family_name.as_deref()),
                            Depth::Every,
                        )
                        .await?;
                    if back.rows.iter().any(|r| r.id == person.id) {
                        continue;
                    }
                }
                // The older record first: it is the one usually kept.
                let (first, second) = if person.id < other.id {
                    (person, other)
                } else {
                    (other, person)
                };
                items.push(DuplicatePair {
                    first: side(first),
                    second: side(second),
                    score,
                });
            }
            checked += 1;
            let last = i + 1 == walk.len();
            if !last && (items.len() >= limit || started.elapsed() >= budget) {
                next = Some(person.id);
                break;
            }
            if last && walk.len() as i64 == WALK {
                next = Some(person.id);
            }
        }
        items.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(a.first.id.cmp(&b.first.id))
                .then(a.second.id.cmp(&b.second.id))
        });
        let ids: Vec<String> = items
            .iter()
            .flat_map(|p| [p.first.id.to_string(), p.second.id.to_string()])
            .chain(incomplete.iter().map(|c| c.person.id.to_string()))
            .collect();
        self.audit(
            principal,
            AuditEvent::plain("person.probable_duplicates").with_detail(format!(
                "{} pairs, {} checked, {} incomplete: {}",
                items.len(),
                checked,
                incomplete.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(DuplicatePage {
            items,
            next: next.map(|id: Uuid| encode_cursor(&["p", &id.to_string()])),
            checked,
            incomplete,
        })
    }
}
