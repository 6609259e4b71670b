//! Need against supply from the database, per etrap and service: the input of the costed draft service
//! development plan (`goldaw_core::planning::gaps`; docs/planning.md says where each figure comes from).
//!
//! Only aggregate counts leave this module: people are counted here by their ids, which never leave it. The read
//! is audited as a statistics read (`statistics.read`, the unit asked for and the number of etraps), and limited
//! to the caller's scope: a unit outside it is `NotFound`, like any record. A reader without the unsuppressed grant
//! gets each line's count of people as any statistic is published (`gaps::protected_input`: perturbed by its cell
//! key, or withheld when small and replaced by the population estimate).
//!
//! - **Places** (supply): the places of the active offers of active providers (`provider_services`). An offer for
//!   an etrap, or for a unit inside it (a city's borough), counts in that etrap; an offer for a velayat or the
//!   whole country covers all the etraps under it, so its places are shared between them in proportion to their
//!   population (largest remainders, so the shares add up to the places). Offers without a number of places
//!   ("not limited") cannot be counted and are reported apart.
//! - **Assessed** (need known from casework): people of open cases who need the service by their support plan (an
//!   action naming the service, in any plan not superseded), by an open referral (sent, accepted, started) or by
//!   an open service episode, and who are not on its waiting list. Counted once per unit and service.
//! - **Waiting**: people of open cases with a referral to the service on a provider's waiting list.
//! - **Assessments missing**: an etrap counts as assessed once one of its cases has reached the end of the
//!   holistic assessment (`holistic_done_at`, or a status from `support_plan` on); elsewhere the need is
//!   estimated from the population with the caller's rate per service.
//! - **Population**: the `population` table (latest year, the etrap's own rows or else the sum of its
//!   sub-units'), else the etrap's `admin_units.population`, else an estimate: the velayat's population less
//!   its etraps' known populations, shared equally between the etraps without a figure.

use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::{audit::AuditEvent, Store};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::cell_key::Counted;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::planning::gaps::{self, NeedInput};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where an etrap's population figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PopulationBasis {
    /// The `population` table (imported `population.csv`), its latest year.
    Table,
    /// The unit's own population in the reference data (`admin_units.csv`).
    Reference,
    /// The velayat's population less its etraps' known populations, shared equally.
    Estimated,
    /// Nothing to go on: counted as 0.
    Unknown,
}

impl PopulationBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            PopulationBasis::Table => "table",
            PopulationBasis::Reference => "reference",
            PopulationBasis::Estimated => "estimated",
            PopulationBasis::Unknown => "unknown",
        }
    }
}

/// One etrap of the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanningEtrap {
    pub code: String,
    pub velayat: String,
    pub population: u64,
    pub population_basis: PopulationBasis,
    /// At least one case has reached the end of the holistic assessment here.
    pub assessed: bool,
}

/// Need and supply per etrap and service, ready for `gaps::development_plan`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedsAndSupply {
    /// The unit the figures cover (the one asked for, or the caller's scope where that is smaller).
    pub unit: String,
    /// In code order.
    pub etraps: Vec<PlanningEtrap>,
    /// One per etrap and service of the rates, in etrap then service order.
    pub inputs: Vec<NeedInput>,
    /// Etrap → velayat, for `development_plan`.
    pub parents: BTreeMap<String, String>,
    /// Active offers in or over these etraps without a number of places: not counted as places.
    pub unlimited_offers: u64,
    /// Whether the counts of people are protected (a reader without the unsuppressed grant):
    /// perturbed, or withheld where small.
    pub protected: bool,
    /// The lines (etrap, service) whose count of people was withheld: their need is the
    /// population estimate.
    pub withheld: BTreeSet<(String, String)>,
}

/// The etrap level of the unit tree: units whose parent is a velayat (or Ashgabat), i.e. whose grandparent is
/// the country.
struct Tree {
    parent: BTreeMap<String, Option<String>>,
    population: BTreeMap<String, Option<i64>>,
}

impl Tree {
    fn depth(&self, code: &str) -> usize {
        let mut depth = 0;
        let mut at = code;
        while let Some(Some(p)) = self.parent.get(at) {
            depth += 1;
            at = p;
            if depth > 16 {
                break; // a cycle in reference data; never in the shipped file
            }
        }
        depth
    }

    /// The etrap (depth 2) a unit lies in, if it is at depth 2 or deeper.
    fn etrap_of(&self, code: &str) -> Option<String> {
        let mut at = code.to_owned();
        let mut depth = self.depth(&at);
        if depth < 2 || !self.parent.contains_key(&at) {
            return None;
        }
        while depth > 2 {
            at = self.parent.get(&at)?.clone()?;
            depth -= 1;
        }
        Some(at)
    }

    fn etraps(&self) -> Vec<String> {
        self.parent
            .keys()
            .filter(|c| self.depth(c) == 2)
            .cloned()
            .collect()
    }
}

/// `total` shared in proportion to `weights` by largest remainders (ties to the earlier entry); equally when
/// every weight is 0. The shares add up to `total`.
pub fn share_by_weight(total: u64, weights: &[u64]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let weights: Vec<u128> = if sum == 0 {
        vec![1; weights.len()]
    } else {
        weights.iter().map(|&w| u128::from(w)).collect()
    };
    let sum: u128 = weights.iter().sum();
    let total = u128::from(total);
    let mut shares: Vec<u128> = weights.iter().map(|w| total * w / sum).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest remainder first; stable, so ties go to the earlier entry.
    order.sort_by_key(|&i| std::cmp::Reverse(total * weights[i] % sum));
    let mut left = total - shares.iter().sum::<u128>();
    for i in order {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
        .into_iter()
        .map(|s| u64::try_from(s).unwrap_or(u64::MAX))
        .collect()
}

impl Store {
    /// Need and supply for every etrap in `unit` (a velayat, the country or an etrap) that the caller's scope
    /// holds, for every service of `rates` (service code → share of the population needing it, used where
    /// assessments are missing). Needs the planning permission; audited as a statistics read.
    #[tracing::instrument(skip_all, fields(unit = %unit))]
    pub async fn needs_and_supply(
        &self,
        principal: &Principal,
        unit: &AdminUnitCode,
        rates: &BTreeMap<String, f64>,
    ) -> StoreResult<NeedsAndSupply> {
        require(principal, Permission::Planning)?;
        let scope = principal.unit_scope().ok_or(StoreError::NotFound)?;
        let released = self.released(principal, None)?;
        let catalogue = self.catalogue();
        if catalogue.admin_unit(unit).is_none() {
            return Err(StoreError::NotFound);
        }
        // The smaller of the two where one holds the other; otherwise the unit is outside scope.
        let covered = if unit.is_within(scope) {
            unit.clone()
        } else if scope.is_within(unit) {
            scope.clone()
        } else {
            return Err(StoreError::NotFound);
        };
        for (service, rate) in rates {
            if !(0.0..=1.0).contains(rate) {
                return Err(StoreError::refuse(
                    "rate",
                    "store-rate-range",
                    vec![
                        ("service", SayArg::Text(service.to_string())),
                        ("rate", SayArg::Text(rate.to_string())),
                    ],
                ));
            }
        }
        let tree = Tree {
            parent: catalogue
                .admin_units
                .iter()
                .map(|u| (u.code.clone(), u.parent_code.clone()))
                .collect(),
            population: catalogue
                .admin_units
                .iter()
                .map(|u| (u.code.clone(), u.population))
                .collect(),
        };
        let all_etraps = tree.etraps();
        let populations = self.etrap_populations(&tree, &all_etraps).await?;
        let inside = |code: &str| AdminUnitCode::from_stored(code.to_owned()).is_within(&covered);
        let etraps: Vec<String> = all_etraps.iter().filter(|e| inside(e)).cloned().collect();
        let wanted: BTreeSet<&str> = etraps.iter().map(String::as_str).collect();
        let (lo, hi) = (
            covered.as_str().to_owned(),
            format!("{}.", covered.as_str()),
        );

        // Places, by etrap and service.
        let offers: Vec<(String, String, Option<i32>)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT o.admin_unit, o.service_code, o.places FROM provider_services o
                 JOIN providers pr ON pr.id = o.provider_id
                 WHERE o.active = $1 AND pr.active = $1 ORDER BY o.admin_unit, o.service_code, o.id",
            )
            .bind(true)
            .fetch_all(pool)
            .await?
        });
        let mut places: BTreeMap<(String, String), u64> = BTreeMap::new();
        let mut unlimited_offers = 0u64;
        for (offer_unit, service, offer_places) in offers {
            if !rates.contains_key(&service) {
                continue;
            }
            // The etraps the offer serves: its own etrap, or every etrap under a velayat or the country.
            let served: Vec<&String> = match tree.etrap_of(&offer_unit) {
                Some(e) => all_etraps.iter().filter(|x| **x == e).collect(),
                None => {
                    let over = AdminUnitCode::from_stored(offer_unit.clone());
                    all_etraps
                        .iter()
                        .filter(|e| AdminUnitCode::from_stored((*e).clone()).is_within(&over))
                        .collect()
                }
            };
            if !served.iter().any(|e| wanted.contains(e.as_str())) {
                continue;
            }
            let Some(n) = offer_places else {
                unlimited_offers += 1;
                continue;
            };
            let n = u64::try_from(n).unwrap_or(0);
            let weights: Vec<u64> = served.iter().map(|e| populations[*e].0).collect();
            for (e, share) in served.iter().zip(share_by_weight(n, &weights)) {
                if wanted.contains(e.as_str()) {
                    *places.entry(((*e).clone(), service.clone())).or_default() += share;
                }
            }
        }

        // Etraps with a case past the holistic assessment.
        let assessed_units: Vec<(String,)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT DISTINCT admin_unit FROM cases
                 WHERE admin_unit >= $1 AND admin_unit < $2
                   AND (holistic_done_at IS NOT NULL OR status IN ('support_plan', 'active', 'monitoring'))",
            )
            .bind(&lo)
            .bind(&hi)
            .fetch_all(pool)
            .await?
        });
        let assessed_etraps: BTreeSet<String> = assessed_units
            .into_iter()
            .filter_map(|(u,)| tree.etrap_of(&u))
            .collect();

        // People waiting, and people with an assessed need who are not waiting, per unit and service.
        // Listed by id (each person once per unit and service), to be counted and keyed here.
        let waiting_rows: Vec<(String, String, uuid::Uuid)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT DISTINCT c.admin_unit, r.service_code, r.person_id
                 FROM service_referrals r JOIN cases c ON c.id = r.case_id
                 WHERE r.status = 'waiting' AND c.status <> 'closed'
                   AND c.admin_unit >= $1 AND c.admin_unit < $2",
            )
            .bind(&lo)
            .bind(&hi)
            .fetch_all(pool)
            .await?
        });
        let assessed_rows: Vec<(String, String, uuid::Uuid)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT DISTINCT n.unit, n.service, n.person FROM (
                     SELECT c.admin_unit AS unit, a.service_code AS service, c.person_id AS person
                       FROM plan_actions a JOIN support_plans p ON p.id = a.plan_id JOIN cases c ON c.id = p.case_id
                      WHERE a.service_code IS NOT NULL AND p.status <> 'superseded' AND c.status <> 'closed'
                        AND c.admin_unit >= $1 AND c.admin_unit < $2
                     UNION
                     SELECT c.admin_unit, r.service_code, r.person_id
                       FROM service_referrals r JOIN cases c ON c.id = r.case_id
                      WHERE r.status IN ('sent', 'accepted', 'started') AND c.status <> 'closed'
                        AND c.admin_unit >= $1 AND c.admin_unit < $2
                     UNION
                     SELECT c.admin_unit, e.service_code, e.person_id
                       FROM service_episodes e JOIN cases c ON c.id = e.case_id
                      WHERE e.ended_on IS NULL AND c.status <> 'closed'
                        AND c.admin_unit >= $1 AND c.admin_unit < $2
                 ) n
                 WHERE NOT EXISTS (
                     SELECT 1 FROM service_referrals w JOIN cases wc ON wc.id = w.case_id
                      WHERE w.status = 'waiting' AND wc.status <> 'closed'
                        AND w.person_id = n.person AND w.service_code = n.service)",
            )
            .bind(&lo)
            .bind(&hi)
            .fetch_all(pool)
            .await?
        });
        // Per etrap and service: the people, and the sum of their record keys when the counts are
        // to be perturbed.
        let keys = released.keys.as_ref();
        let by_etrap = |rows: Vec<(String, String, uuid::Uuid)>| {
            let mut out: BTreeMap<(String, String), Counted> = BTreeMap::new();
            for (u, service, person) in rows {
                if let Some(e) = tree.etrap_of(&u) {
                    *out.entry((e, service)).or_default() +=
                        Counted::one(keys.map_or(0, |k| k.of(&person)));
                }
            }
            out
        };
        let waiting = by_etrap(waiting_rows);
        let assessed = by_etrap(assessed_rows);

        let mut answer = NeedsAndSupply {
            unit: covered.as_str().to_owned(),
            etraps: Vec::new(),
            inputs: Vec::new(),
            parents: BTreeMap::new(),
            unlimited_offers,
            protected: released.perturbs(),
            withheld: BTreeSet::new(),
        };
        for e in &etraps {
            let velayat = tree.parent.get(e).cloned().flatten().unwrap_or_default();
            let (population, basis) = populations[e];
            let is_assessed = assessed_etraps.contains(e);
            answer.parents.insert(e.clone(), velayat.clone());
            answer.etraps.push(PlanningEtrap {
                code: e.clone(),
                velayat,
                population,
                population_basis: basis,
                assessed: is_assessed,
            });
            for (service, rate) in rates {
                let key = (e.clone(), service.clone());
                let assessed_here = assessed.get(&key).copied().unwrap_or_default();
                let waiting_here = waiting.get(&key).copied().unwrap_or_default();
                let input = NeedInput {
                    etrap: e.clone(),
                    service: service.clone(),
                    assessed: is_assessed.then_some(assessed_here.n),
                    waiting: waiting_here.n,
                    population,
                    rate: *rate,
                    places: places.get(&key).copied().unwrap_or(0),
                };
                if !released.perturbs() {
                    answer.inputs.push(input);
                    continue;
                }
                // The people the line counts: assessed and waiting, or waiting alone.
                let mut people = waiting_here;
                if is_assessed {
                    people += assessed_here;
                }
                let (input, withheld) = gaps::protected_input(&input, people.cell_key());
                if withheld {
                    answer.withheld.insert(key);
                }
                answer.inputs.push(input);
            }
        }
        self.audit(
            principal,
            AuditEvent::on("statistics.read", "admin_unit", &answer.unit)
                .with_detail(format!("needs and supply: {} etraps", answer.etraps.len())),
        )
        .await?;
        Ok(answer)
    }

    /// Every etrap's population as the plan counts it (module docs): the workforce register's
    /// requirement per etrap (issue #22) is worked out from these.
    pub(crate) async fn etrap_population_figures(&self) -> StoreResult<BTreeMap<String, u64>> {
        let catalogue = self.catalogue();
        let tree = Tree {
            parent: catalogue
                .admin_units
                .iter()
                .map(|u| (u.code.clone(), u.parent_code.clone()))
                .collect(),
            population: catalogue
                .admin_units
                .iter()
                .map(|u| (u.code.clone(), u.population))
                .collect(),
        };
        let etraps = tree.etraps();
        Ok(self
            .etrap_populations(&tree, &etraps)
            .await?
            .into_iter()
            .map(|(code, (population, _))| (code, population))
            .collect())
    }

    /// Every etrap's population and where it comes from (module docs).
    #[tracing::instrument(skip_all)]
    async fn etrap_populations(
        &self,
        tree: &Tree,
        etraps: &[String],
    ) -> StoreResult<BTreeMap<String, (u64, PopulationBasis)>> {
        let rows: Vec<(String, i32, i64)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT admin_unit, year, CAST(SUM(population) AS BIGINT) FROM population GROUP BY admin_unit, year",
            )
            .fetch_all(pool)
            .await?
        });
        // etrap → year → (own rows, sub-units' rows)
        let mut table: BTreeMap<String, BTreeMap<i32, (Option<i64>, i64)>> = BTreeMap::new();
        for (unit, year, n) in rows {
            let Some(e) = tree.etrap_of(&unit) else {
                continue;
            };
            let cell = table.entry(e.clone()).or_default().entry(year).or_default();
            if unit == e {
                cell.0 = Some(cell.0.unwrap_or(0) + n);
            } else {
                cell.1 += n;
            }
        }
        let mut out: BTreeMap<String, (u64, PopulationBasis)> = BTreeMap::new();
        for e in etraps {
            let from_table = table
                .get(e)
                .and_then(|years| years.iter().next_back())
                .map(|(_, (own, subs))| own.unwrap_or(*subs));
            let figure = match (from_table, tree.population.get(e).copied().flatten()) {
                (Some(n), _) => Some((n, PopulationBasis::Table)),
                (None, Some(n)) => Some((n, PopulationBasis::Reference)),
                (None, None) => None,
            };
            if let Some((n, basis)) = figure {
                out.insert(e.clone(), (u64::try_from(n).unwrap_or(0), basis));
            }
        }
        // The rest: the velayat's population less the known etraps', shared equally.
        let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in etraps {
            if !out.contains_key(e) {
                let v = tree.parent.get(e).cloned().flatten().unwrap_or_default();
                missing.entry(v).or_default().push(e.clone());
            }
        }
        for (velayat, without) in missing {
            let known: u64 = etraps
                .iter()
                .filter(|e| tree.parent.get(*e).cloned().flatten().as_deref() == Some(&velayat))
                .filter_map(|e| out.get(e).map(|(n, _)| *n))
                .sum();
            let velayat_population = tree
                .population
                .get(&velayat)
                .copied()
                .flatten()
                .and_then(|n| u64::try_from(n).ok());
            match velayat_population {
                Some(total) if total > known => {
                    let shares = share_by_weight(total - known, &vec![1; without.len()]);
                    for (e, n) in without.into_iter().zip(shares) {
                        out.insert(e, (n, PopulationBasis::Estimated));
                    }
                }
                _ => {
                    for e in without {
                        out.insert(e, (0, PopulationBasis::Unknown));
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::share_by_weight;

    #[test]
    fn shares_add_up_and_follow_the_weights() {
        assert_eq!(share_by_weight(10, &[1, 1, 1]), [4, 3, 3]);
        assert_eq!(share_by_weight(7, &[100, 300]), [2, 5]);
        assert_eq!(share_by_weight(5, &[0, 0]), [3, 2]);
        assert_eq!(share_by_weight(0, &[5, 6]), [0, 0]);
        assert!(share_by_weight(3, &[]).is_empty());
        for total in 0..50u64 {
            let w = [17, 0, 3, 80];
            assert_eq!(share_by_weight(total, &w).iter().sum::<u64>(), total);
        }
    }
}
