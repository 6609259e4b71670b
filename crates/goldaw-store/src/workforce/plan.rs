//! The register against the plan: per etrap, velayat and the nation, the actual stock (posts,
//! filled, vacant, staff and their full-time equivalents, trained, certified) beside the
//! requirement (the requirement calculator per etrap, `goldaw_core::planning::workforce`) and the
//! projection from the actual stock and the observed leaving rate (`goldaw_core::workforce::
//! scenario_from_register`, projected by `goldaw_core::planning::projection::project`); open cases
//! per full-time equivalent of social-work staff against the 25 + 25 norm.
//!
//! Counts of staff, not of people served: planners (who read no staff record) see them as they are.
//! Audited as `workforce.plan.read` with the unit.

use super::{range_of, today};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::{Datelike, NaiveDate};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::planning::projection::project;
use goldaw_core::planning::workforce::RequirementInputs;
use goldaw_core::workforce::{
    caseload_per_fte, certified_on, in_post_on, last_complete_year, observe_year,
    scenario_from_register, ObservedYear, Position, UnitStock,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The seeds' leaving rate, used when the register shows nobody in post at the start of the
/// observed year.
pub const SEEDS_ATTRITION: f64 = 0.20;

/// One year of the projection from the register (unrounded; round for display).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProjectedYear {
    pub year: i32,
    pub inflow: f64,
    pub leavers: f64,
    pub stock: f64,
}

/// The register beside the plan for one unit and what lies under it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WorkforcePlan {
    /// The unit covered (the one asked for, or the caller's scope where that is smaller).
    pub unit: String,
    pub as_of: NaiveDate,
    /// Each etrap of the unit, in code order.
    pub etraps: Vec<UnitStock>,
    /// Each velayat of the unit: its etraps and its own (velayat-level) posts and staff.
    pub velayats: Vec<UnitStock>,
    /// The unit as a whole.
    pub total: UnitStock,
    /// Social-work staff (social workers, seniors, supervisors) of the unit in the observed year.
    pub observed: ObservedYear,
    /// The leaving rate the projection uses: the observed one, or the seeds' 20% without a stock.
    pub attrition: f64,
    pub attrition_observed: bool,
    /// From the end of the observed year to `until`.
    pub projection: Vec<ProjectedYear>,
}

/// The units' tree from the reference data: each unit's velayat and etrap (depth 1 and 2).
struct Units {
    parent: BTreeMap<String, Option<String>>,
}

impl Units {
    fn depth(&self, code: &str) -> usize {
        let mut depth = 0;
        let mut at = code;
        while let Some(Some(p)) = self.parent.get(at) {
            depth += 1;
            at = p;
            if depth > 16 {
                break;
            }
        }
        depth
    }

    /// The ancestor (or self) at `depth`, if the unit lies that deep.
    fn at_depth(&self, code: &str, depth: usize) -> Option<String> {
        let mut d = self.depth(code);
        if d < depth || !self.parent.contains_key(code) {
            return None;
        }
        let mut at = code.to_owned();
        while d > depth {
            at = self.parent.get(&at)?.clone()?;
            d -= 1;
        }
        Some(at)
    }
}

/// Where a row of `code` counts: its etrap, else its velayat's own line.
fn bucket<'a>(
    units: &Units,
    etraps: &'a mut BTreeMap<String, UnitStock>,
    velayat_own: &'a mut BTreeMap<String, UnitStock>,
    code: &str,
) -> Option<&'a mut UnitStock> {
    if let Some(e) = units.at_depth(code, 2) {
        return Some(etraps.entry(e.clone()).or_insert_with(|| UnitStock {
            unit: e,
            ..UnitStock::default()
        }));
    }
    let v = units.at_depth(code, 1)?;
    Some(velayat_own.entry(v.clone()).or_insert_with(|| UnitStock {
        unit: v,
        ..UnitStock::default()
    }))
}

impl Store {
    /// The register beside the plan for `unit` (planners and the ministry, within scope), observed
    /// in `year` (default: the last complete year) and projected to `until` with `inflow` by year.
    #[tracing::instrument(skip_all, fields(unit = %unit))]
    pub async fn workforce_against_plan(
        &self,
        principal: &Principal,
        unit: &AdminUnitCode,
        year: Option<i32>,
        until: i32,
        inflow: &BTreeMap<i32, f64>,
    ) -> StoreResult<WorkforcePlan> {
        require(principal, Permission::Planning)?;
        let scope = principal.unit_scope().ok_or(StoreError::NotFound)?;
        let catalogue = self.catalogue();
        if catalogue.admin_unit(unit).is_none() {
            return Err(StoreError::NotFound);
        }
        let covered = if unit.is_within(scope) {
            unit.clone()
        } else if scope.is_within(unit) {
            scope.clone()
        } else {
            return Err(StoreError::NotFound);
        };
        let today = today();
        let year = year.unwrap_or_else(|| last_complete_year(today));
        if !(1990..today.year()).contains(&year) {
            return Err(StoreError::refuse("year", "store-workforce-year", vec![]));
        }
        let units = Units {
            parent: catalogue
                .admin_units
                .iter()
                .map(|u| (u.code.clone(), u.parent_code.clone()))
                .collect(),
        };
        let inside = |code: &str| AdminUnitCode::from_stored(code.to_owned()).is_within(&covered);
        let (lo, hi) = range_of(&covered);
        type StaffRow = (Uuid, String, String, i32, NaiveDate, Option<NaiveDate>);
        type Rows = (
            Vec<(String, Option<Uuid>)>,
            Vec<StaffRow>,
            Vec<(Uuid,)>,
            Vec<(Uuid, NaiveDate, Option<NaiveDate>)>,
            Vec<(String, i64)>,
        );
        let (posts, staff, completed, certs, cases): Rows = with_db!(self.db(), pool => {
            let posts = sqlx::query_as(
                "SELECT admin_unit, holder_id FROM workforce_posts
                  WHERE admin_unit >= $1 AND admin_unit < $2 AND funded_from <= $3
                    AND (abolished_on IS NULL OR abolished_on > $3)")
                .bind(&lo).bind(&hi).bind(today).fetch_all(pool).await?;
            let staff = sqlx::query_as(
                "SELECT id, admin_unit, position, fte_percent, hired_on, left_on FROM workforce_staff
                  WHERE admin_unit >= $1 AND admin_unit < $2")
                .bind(&lo).bind(&hi).fetch_all(pool).await?;
            let completed = sqlx::query_as(
                "SELECT DISTINCT a.staff_id FROM workforce_attendance a JOIN workforce_staff s ON s.id = a.staff_id
                  WHERE a.status = 'completed' AND s.admin_unit >= $1 AND s.admin_unit < $2")
                .bind(&lo).bind(&hi).fetch_all(pool).await?;
            let certs = sqlx::query_as(
                "SELECT c.staff_id, c.certified_on, c.expires_on FROM workforce_certifications c
                   JOIN workforce_staff s ON s.id = c.staff_id WHERE s.admin_unit >= $1 AND s.admin_unit < $2")
                .bind(&lo).bind(&hi).fetch_all(pool).await?;
            let cases = sqlx::query_as(
                "SELECT admin_unit, COUNT(*) FROM cases WHERE status <> 'closed' AND admin_unit >= $1 AND admin_unit < $2
                  GROUP BY admin_unit")
                .bind(&lo).bind(&hi).fetch_all(pool).await?;
            (posts, staff, completed, certs, cases)
        });
        let trained: BTreeSet<Uuid> = completed.into_iter().map(|(id,)| id).collect();
        let certified: BTreeSet<Uuid> = certs
            .into_iter()
            .filter(|(_, given, expires)| certified_on(*given, *expires, today))
            .map(|(id, _, _)| id)
            .collect();
        // Etraps (depth 2) and velayats (depth 1) of the covered unit, with the requirement.
        let populations = self.etrap_population_figures().await?;
        let mut etraps: BTreeMap<String, UnitStock> = BTreeMap::new();
        let mut velayat_own: BTreeMap<String, UnitStock> = BTreeMap::new();
        let with_population: Vec<(String, u64)> = populations
            .iter()
            .filter(|(code, p)| inside(code) && **p > 0)
            .map(|(c, p)| (c.clone(), *p))
            .collect();
        let requirement: BTreeMap<String, u64> = if with_population.is_empty() {
            BTreeMap::new()
        } else {
            let inputs = RequirementInputs {
                population: with_population,
                other_lines: Vec::new(),
                horizon: None,
                ..RequirementInputs::seeds_2021()
            };
            inputs
                .compute()
                .map_err(|e| StoreError::Reference(e.to_string()))?
                .units
                .into_iter()
                .map(|u| (u.code, u.workers))
                .collect()
        };
        for code in populations.keys().filter(|c| inside(c)) {
            etraps.insert(
                code.clone(),
                UnitStock {
                    unit: code.clone(),
                    requirement: requirement.get(code).copied(),
                    ..UnitStock::default()
                },
            );
        }
        for (code, holder) in &posts {
            if let Some(b) = bucket(&units, &mut etraps, &mut velayat_own, code) {
                b.posts += 1;
                if holder.is_some() {
                    b.filled += 1;
                } else {
                    b.vacant += 1;
                }
            }
        }
        let mut history: Vec<(NaiveDate, Option<NaiveDate>)> = Vec::new();
        for (id, code, position, fte, hired, left) in &staff {
            let social_work = position
                .parse::<Position>()
                .is_ok_and(Position::is_social_work);
            if social_work {
                history.push((*hired, *left));
            }
            if !in_post_on(*hired, *left, today) {
                continue;
            }
            if let Some(b) = bucket(&units, &mut etraps, &mut velayat_own, code) {
                b.staff += 1;
                b.fte += f64::from(*fte) / 100.0;
                if social_work {
                    b.social_work_fte += f64::from(*fte) / 100.0;
                }
                if trained.contains(id) {
                    b.trained += 1;
                }
                if certified.contains(id) {
                    b.certified += 1;
                }
            }
        }
        for (code, n) in &cases {
            if let Some(b) = bucket(&units, &mut etraps, &mut velayat_own, code) {
                b.open_cases += u64::try_from(*n).unwrap_or(0);
            }
        }
        for e in etraps.values_mut() {
            e.caseload_per_fte = caseload_per_fte(e.open_cases, e.social_work_fte);
        }
        // Velayats: their etraps and their own line.
        let mut velayats: BTreeMap<String, UnitStock> = BTreeMap::new();
        for e in etraps.values() {
            if let Some(v) = units.at_depth(&e.unit, 1) {
                velayats
                    .entry(v.clone())
                    .or_insert_with(|| UnitStock {
                        unit: v,
                        ..UnitStock::default()
                    })
                    .add(e);
            }
        }
        for (v, own) in &velayat_own {
            velayats
                .entry(v.clone())
                .or_insert_with(|| UnitStock {
                    unit: v.clone(),
                    ..UnitStock::default()
                })
                .add(own);
        }
        let mut total = UnitStock {
            unit: covered.as_str().to_owned(),
            ..UnitStock::default()
        };
        for v in velayats.values() {
            total.add(v);
        }
        let observed = observe_year(year, &history)
            .ok_or_else(|| StoreError::refuse("year", "store-workforce-year", vec![]))?;
        let scenario = scenario_from_register(&observed, SEEDS_ATTRITION, inflow);
        let projection = project(&scenario, until.max(year))
            .map_err(|_| StoreError::refuse("until", "store-workforce-until", vec![]))?
            .into_iter()
            .map(|r| ProjectedYear {
                year: r.year,
                inflow: r.inflow,
                leavers: r.leavers,
                stock: r.stock,
            })
            .collect();
        self.audit(
            principal,
            AuditEvent::on("workforce.plan.read", "admin_unit", covered.as_str()),
        )
        .await?;
        Ok(WorkforcePlan {
            unit: covered.as_str().to_owned(),
            as_of: today,
            etraps: etraps.into_values().collect(),
            velayats: velayats.into_values().collect(),
            total,
            attrition: scenario.attrition,
            attrition_observed: observed.leaving_rate().is_some(),
            observed,
            projection,
        })
    }
}
