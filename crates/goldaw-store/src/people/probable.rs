//! The supervisor's list of probable duplicates in scope (issue #19, item 2): pairs of people
//! the duplicate check's scoring (`goldaw_core::names::duplicate_score`) rates at or above
//! `LIKELY_DUPLICATE`, a page at a time, each pair linking to the merge.
//!
//! Comparing everyone with everyone is out of the question, so people are compared within
//! blocks read from the indexes, walked in order with a keyset cursor:
//!
//! 1. **born the same day** (`persons_birth_date`): every pair of a day is scored: names in either
//!    order, any spelling, typos, a missing family name, etrap and household all count;
//! 2. **no birth date**: each person without one against everyone in scope with the same folded
//!    name (`persons_name_key`).
//!
//! A pair whose birth dates differ (a typo in the date) is not listed unless the household is
//! the same; the merge page's own check finds it from either record.

use super::duplicates::probe_of;
use super::search::{fetch_people, Arg, Sql};
use super::{require, PersonRow, SELECT_PERSON};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::scope::unit_range;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::names::{duplicate_score, fold_name, LIKELY_DUPLICATE};
use goldaw_core::paging::{decode_cursor, encode_cursor};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// People read for one step of the walk; a page takes a few steps.
const STEP: i64 = 2000;
/// Steps one page may take before it answers (with fewer pairs, and the cursor on).
const MAX_STEPS: usize = 8;

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

/// One page of the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DuplicatePage {
    /// Best first within the page.
    pub items: Vec<DuplicatePair>,
    /// Give it as `after` for the next page; `None` when the walk is done.
    pub next: Option<String>,
}

fn side(r: &PersonRow) -> PairSide {
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

/// Where the walk stands: after this birth date, or in the second part after this folded name.
enum Cursor {
    Start,
    BornAfter(NaiveDate),
    NamedAfter(String),
}

impl Cursor {
    fn decode(after: Option<&str>) -> StoreResult<Cursor> {
        let Some(after) = after else {
            return Ok(Cursor::Start);
        };
        let f = decode_cursor(after, 2).map_err(|_| damaged())?;
        match f[0].as_str() {
            "d" => Ok(Cursor::BornAfter(f[1].parse().map_err(|_| damaged())?)),
            "n" => Ok(Cursor::NamedAfter(f[1].clone())),
            _ => Err(damaged()),
        }
    }

    fn encode(&self) -> Option<String> {
        match self {
            Cursor::Start => None,
            Cursor::BornAfter(d) => Some(encode_cursor(&["d", &d.to_string()])),
            Cursor::NamedAfter(k) => Some(encode_cursor(&["n", k])),
        }
    }
}

/// Every pair of `rows` (one block) scoring at or above the bar, each pair once.
fn pairs_in(rows: &[&PersonRow], seen: &mut HashSet<(Uuid, Uuid)>, out: &mut Vec<DuplicatePair>) {
    let probes: Vec<_> = rows.iter().map(|r| probe_of(r)).collect();
    for i in 0..rows.len() {
        for j in i + 1..rows.len() {
            let (a, b) = (rows[i], rows[j]);
            if a.id == b.id {
                continue;
            }
            let key = if a.id < b.id {
                (a.id, b.id)
            } else {
                (b.id, a.id)
            };
            let score = duplicate_score(&probes[i], &probes[j]);
            if score >= LIKELY_DUPLICATE && seen.insert(key) {
                // The older record first: it is the one usually kept.
                let (first, second) = if a.id < b.id { (a, b) } else { (b, a) };
                out.push(DuplicatePair {
                    first: side(first),
                    second: side(second),
                    score,
                });
            }
        }
    }
}

fn name_key(r: &PersonRow) -> String {
    match &r.family_name {
        Some(f) => fold_name(&format!("{f} {}", r.given_name)),
        None => fold_name(&r.given_name),
    }
}

impl Store {
    /// A page of the probable duplicates among the people in the supervisor's scope (narrowed to
    /// `unit` if given), at least `limit` pairs unless the walk ends or a page's reading budget
    /// is spent. Supervisors only (they merge); audited as the ids shown.
    #[tracing::instrument(skip_all)]
    pub async fn probable_duplicates(
        &self,
        principal: &Principal,
        unit: Option<&AdminUnitCode>,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<DuplicatePage> {
        require(principal, Permission::ReadPeople)?;
        require(principal, Permission::ApproveCases)?;
        let mut cursor = Cursor::decode(after)?;
        let Some((mut lo, mut hi)) = unit_range(principal) else {
            return Ok(DuplicatePage {
                items: Vec::new(),
                next: None,
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
        let scoped = || Sql::scoped(SELECT_PERSON, &lo, &hi, principal.sensitive);
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut steps = 0;
        while items.len() < limit && steps < MAX_STEPS {
            steps += 1;
            match &cursor {
                Cursor::Start | Cursor::BornAfter(_) => {
                    // The next days, whole: read a step of people, drop the last day if the step
                    // cut it (unless it is the only one: a day of more than a step is read to
                    // the step, the rest of it not compared).
                    let mut sql = scoped();
                    sql.push(" AND p.birth_date IS NOT NULL");
                    if let Cursor::BornAfter(d) = &cursor {
                        let a = sql.arg(Arg::Date(*d));
                        sql.push(&format!(" AND p.birth_date > {a}"));
                    }
                    let l = sql.arg(Arg::Int(STEP + 1));
                    sql.push(&format!(" ORDER BY p.birth_date, p.id LIMIT {l}"));
                    let rows: Vec<PersonRow> = fetch_people!(self, sql);
                    let full = rows.len() as i64 > STEP;
                    let mut days: BTreeMap<NaiveDate, Vec<&PersonRow>> = BTreeMap::new();
                    for r in rows.iter().take(STEP as usize) {
                        if let Some(d) = r.birth_date {
                            days.entry(d).or_default().push(r);
                        }
                    }
                    if full && days.len() > 1 {
                        days.pop_last();
                    }
                    let Some(last) = days.keys().next_back().copied() else {
                        cursor = Cursor::NamedAfter(String::new());
                        continue;
                    };
                    for day in days.values() {
                        pairs_in(day, &mut seen, &mut items);
                    }
                    cursor = if full {
                        Cursor::BornAfter(last)
                    } else {
                        Cursor::NamedAfter(String::new())
                    };
                }
                Cursor::NamedAfter(after_key) => {
                    // People without a birth date, by folded name, each name's people compared.
                    let mut sql = scoped();
                    let a = sql.arg(Arg::Text(after_key.clone()));
                    let l = sql.arg(Arg::Int(STEP / 4));
                    sql.push(&format!(
                        " AND p.birth_date IS NULL AND p.name_key > {a} ORDER BY p.name_key LIMIT {l}"
                    ));
                    let undated: Vec<PersonRow> = fetch_people!(self, sql);
                    let full = undated.len() as i64 >= STEP / 4;
                    let mut keys: Vec<String> = undated.iter().map(name_key).collect();
                    keys.dedup();
                    // A cut name is read whole on the next step (it comes again after the last
                    // whole one).
                    if full && keys.len() > 1 {
                        keys.pop();
                    }
                    let Some(last) = keys.last().cloned() else {
                        cursor = Cursor::Start;
                        break;
                    };
                    let mut sql = scoped();
                    let placeholders: Vec<String> =
                        keys.iter().map(|k| sql.arg(Arg::Text(k.clone()))).collect();
                    let l = sql.arg(Arg::Int(STEP * 4));
                    sql.push(&format!(
                        " AND p.name_key IN ({}) ORDER BY p.name_key, p.id LIMIT {l}",
                        placeholders.join(", ")
                    ));
                    let named: Vec<PersonRow> = fetch_people!(self, sql);
                    let mut by_name: BTreeMap<String, Vec<&PersonRow>> = BTreeMap::new();
                    for r in &named {
                        by_name.entry(name_key(r)).or_default().push(r);
                    }
                    for group in by_name.values() {
                        // Only pairs with someone undated: the dated pairs were the first part's.
                        let mut found = Vec::new();
                        pairs_in(group, &mut seen, &mut found);
                        items.extend(found.into_iter().filter(|p| {
                            p.first.birth_date.is_none() || p.second.birth_date.is_none()
                        }));
                    }
                    cursor = if full {
                        Cursor::NamedAfter(last)
                    } else {
                        Cursor::Start
                    };
                    if !full {
                        break;
                    }
                }
            }
        }
        items.sort_by_key(|p| std::cmp::Reverse(p.score));
        let ids: Vec<String> = items
            .iter()
            .flat_map(|p| [p.first.id.to_string(), p.second.id.to_string()])
            .collect();
        self.audit(
            principal,
            AuditEvent::plain("person.probable_duplicates").with_detail(format!(
                "{} pairs: {}",
                items.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(DuplicatePage {
            items,
            next: cursor.encode(),
        })
    }
}
