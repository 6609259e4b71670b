//! The duplicate check: people already known who may be the person described. Candidates come
//! from the indexes, never from a cut-off slice: everyone in scope born the same day (the index
//! on birth date), everyone whose name holds every name typed (the name index), and when a name
//! may hold a typo, everyone whose name holds a piece of each name that survives it. Each is
//! scored by `goldaw_core::names::duplicate_score` (names in either order, any spelling, typos,
//! a missing family name, birth date, etrap, household); the best few at or above
//! `LIKELY_DUPLICATE` are shown. Used at intake (page and API), before a merge, and for the
//! supervisor's list. Shows the least needed to recognise someone; audited as the ids shown.

use super::search::{fetch_people, indexed_select, name_condition, Arg, Sql};
use super::{require, PersonRow, SELECT_PERSON};
use crate::audit::AuditEvent;
use crate::error::StoreResult;
use crate::scope::unit_range;
use crate::Store;
use chrono::NaiveDate;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::Sex;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::names::{
    duplicate_score, search_terms, typo_pieces, DuplicateProbe, LIKELY_DUPLICATE,
    MAX_DUPLICATES_SHOWN, MIN_INDEXED,
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

/// At most this many people of one source are scored (born the same day: a few hundred in the
/// whole country).
const PER_SOURCE: i64 = 2000;

pub(super) fn probe_of(row: &PersonRow) -> DuplicateProbe {
    DuplicateProbe {
        birth_date: row.birth_date,
        admin_unit: Some(row.admin_unit.clone()),
        household: (!row.household_implicit).then(|| row.household_external_id.clone()),
        ..DuplicateProbe::new(&row.given_name, row.family_name.as_deref())
    }
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
        let probe = DuplicateProbe {
            birth_date: query.birth_date,
            admin_unit: query.admin_unit.as_ref().map(|u| u.as_str().to_owned()),
            household: query.household.clone(),
            ..DuplicateProbe::new(&query.given_name, query.family_name.as_deref())
        };
        if probe.given.is_empty() {
            return Ok(Vec::new());
        }
        let scoped = |select: &str| Sql::scoped(select, &lo, &hi, principal.sensitive);
        let mut rows: Vec<PersonRow> = Vec::new();
        // Born the same day, in scope: the index on (birth_date, admin_unit).
        if let Some(born) = query.birth_date {
            let mut sql = scoped(SELECT_PERSON);
            let d = sql.arg(Arg::Date(born));
            let l = sql.arg(Arg::Int(PER_SOURCE));
            sql.push(&format!(" AND p.birth_date = {d} LIMIT {l}"));
            rows.extend(fetch_people!(self, sql));
        }
        // Every name typed, each as part of the name, in either order: the name index.
        let words: Vec<String> = search_terms(&format!(
            "{} {}",
            query.given_name,
            query.family_name.as_deref().unwrap_or("")
        ));
        let exact: Vec<Vec<String>> = words.iter().map(|w| vec![w.clone()]).collect();
        let mut sql = scoped(&indexed_select(self.db()));
        name_condition(self.db(), &mut sql, &exact);
        let l = sql.arg(Arg::Int(PER_SOURCE));
        sql.push(&format!(" LIMIT {l}"));
        rows.extend(fetch_people!(self, sql));
        // A typo or two: a piece of each name that survives one (two names, so two typos in
        // different names; the birth date catches the rest). The halves of the long names
        // (six letters or more) when there are any; else the ends of the shorter ones.
        let long: Vec<Vec<String>> = words
            .iter()
            .filter(|w| w.chars().count() >= 2 * MIN_INDEXED)
            .map(|w| typo_pieces(w))
            .collect();
        let pieces: Vec<Vec<String>> = if long.is_empty() {
            words.iter().map(|w| typo_pieces(w)).collect()
        } else {
            long
        };
        if words.len() > 1 && pieces.iter().all(|p| !p.is_empty()) {
            let mut sql = scoped(&indexed_select(self.db()));
            name_condition(self.db(), &mut sql, &pieces);
            let l = sql.arg(Arg::Int(PER_SOURCE));
            sql.push(&format!(" LIMIT {l}"));
            rows.extend(fetch_people!(self, sql));
        }
        let mut seen = HashSet::new();
        let mut found: Vec<LikelyDuplicate> = rows
            .into_iter()
            .filter(|r| Some(r.id) != except && seen.insert(r.id))
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
}
