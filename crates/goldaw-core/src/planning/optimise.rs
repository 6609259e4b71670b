//! Where to open places under a budget so that the most need is met, against opening them in proportion to
//! population.
//!
//! # The problem
//!
//! Each candidate is an (etrap, service) with unmet need `g` (the gap of [`super::gaps`]: people needing the service
//! beyond the places that exist) and a cost `c` for one place for a year (from the cost model). Opening `x` places
//! meets `min(g, x)` need. Choose `x` for every candidate so that Σ c·x ≤ budget and Σ min(g, x) is largest.
//!
//! # Why cheapest-first is exact ([`optimise`])
//!
//! A place beyond `g` meets nothing, so an optimal plan opens at most `g` places per candidate, and each place it
//! opens meets exactly one person's need. The plan is then a set of individual places, and its need met is how many
//! places it holds. Of all sets of `k` places, the `k` cheapest cost the least; so if any set of `k` places fits the
//! budget, the `k` cheapest do. Cheapest-first opens places in increasing cost until the next cheapest does not
//! fit; every place left costs at least as much, so none fits, and no plan within the budget holds more places.
//! (This is a knapsack in which every item has the same value, which is why the greedy rule is exact here and not
//! in general.) Ties are broken by etrap then service code, so the result is deterministic.
//!
//! The objective counts every person's need the same, whatever the service: cheap services are filled first.
//! A ministry that wants to weigh services differently (residential alternatives, GBV shelter places) should give
//! them their own budget line and run the optimiser per line.
//!
//! # The baseline ([`proportional_baseline`])
//!
//! What a planner without need data would do: give each etrap a share of the budget in proportion to its
//! population, split it equally between the etrap's candidate services, and open as many whole places as each
//! share buys (need is not known, so places are not capped by it). Need met is `min(g, places)`.
//!
//! # Money
//!
//! Budgets and costs are whole tiyn (`u64`; 1 manat = 100 tiyn, [`super::costing::to_tiyn`]), so "never more than
//! the budget" is checked exactly, without floating-point error.

use serde::Serialize;

use super::costing::to_tiyn;
use super::gaps::DevelopmentPlan;

/// One (etrap, service) where places could be opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub etrap: String,
    pub service: String,
    /// The etrap's population (for the proportional baseline).
    pub population: u64,
    /// Unmet need: people needing the service beyond the existing places.
    pub need: u64,
    /// Cost of one place for a year, in tiyn.
    pub cost_per_place_tiyn: u64,
}

/// Places opened for one candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opened {
    pub etrap: String,
    pub service: String,
    pub need: u64,
    pub places: u64,
    /// min(need, places).
    pub need_met: u64,
    /// places × cost per place, in tiyn.
    pub cost_tiyn: u64,
}

/// A way of spending a budget: one line per candidate, in the candidates' order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    pub lines: Vec<Opened>,
    pub spent_tiyn: u64,
    pub need_met: u64,
}

/// The optimiser against the baseline under the same budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub budget_tiyn: u64,
    /// Σ need of the candidates.
    pub need_total: u64,
    /// Σ need × cost per place: what meeting every need costs, in tiyn.
    pub cost_of_all_need_tiyn: u128,
    pub optimised: Allocation,
    pub baseline: Allocation,
    /// optimised.need_met − baseline.need_met (never negative: the optimiser is exact).
    pub extra_need_met: u64,
}

/// Candidates from a development plan: every line with a gap, costs converted to tiyn. Lines with a cost that is
/// not a finite amount are left out (a cost model cannot produce them).
pub fn candidates_from_plan(plan: &DevelopmentPlan) -> Vec<Candidate> {
    plan.lines()
        .filter(|l| l.gap > 0)
        .filter_map(|l| {
            Some(Candidate {
                etrap: l.etrap.clone(),
                service: l.service.clone(),
                population: l.population,
                need: l.gap,
                cost_per_place_tiyn: to_tiyn(l.cost_per_place_year)?,
            })
        })
        .collect()
}

fn line(c: &Candidate, places: u64) -> Opened {
    Opened {
        etrap: c.etrap.clone(),
        service: c.service.clone(),
        need: c.need,
        places,
        need_met: places.min(c.need),
        cost_tiyn: places.saturating_mul(c.cost_per_place_tiyn),
    }
}

fn allocation(candidates: &[Candidate], places: &[u64]) -> Allocation {
    let lines: Vec<Opened> = candidates
        .iter()
        .zip(places)
        .map(|(c, &p)| line(c, p))
        .collect();
    Allocation {
        spent_tiyn: lines.iter().map(|l| l.cost_tiyn).sum(),
        need_met: lines.iter().map(|l| l.need_met).sum(),
        lines,
    }
}

/// Opens places cheapest-first until the budget cannot buy another (module docs: this is exact).
pub fn optimise(budget_tiyn: u64, candidates: &[Candidate]) -> Allocation {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&candidates[a], &candidates[b]);
        (x.cost_per_place_tiyn, &x.etrap, &x.service).cmp(&(
            y.cost_per_place_tiyn,
            &y.etrap,
            &y.service,
        ))
    });
    let mut places = vec![0u64; candidates.len()];
    let mut left = budget_tiyn;
    for i in order {
        let c = &candidates[i];
        let n = match c.cost_per_place_tiyn {
            0 => c.need,
            cost => c.need.min(left / cost),
        };
        places[i] = n;
        left -= n * c.cost_per_place_tiyn; // n × cost ≤ left by construction
        if c.cost_per_place_tiyn > 0 && n < c.need {
            // The cheapest remaining place does not fit, so no dearer one does.
            break;
        }
    }
    allocation(candidates, &places)
}

/// Spends the budget in proportion to population, then equally between each etrap's services (module docs).
pub fn proportional_baseline(budget_tiyn: u64, candidates: &[Candidate]) -> Allocation {
    // Population and number of candidate services per etrap (each etrap's population counted once).
    let mut etraps: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for c in candidates {
        let e = etraps.entry(&c.etrap).or_insert((c.population, 0));
        e.1 += 1;
    }
    let total_population: u128 = etraps.values().map(|&(p, _)| u128::from(p)).sum();
    let places: Vec<u64> = candidates
        .iter()
        .map(|c| {
            let (population, services) = etraps[c.etrap.as_str()];
            if c.cost_per_place_tiyn == 0 {
                return c.need;
            }
            if total_population == 0 {
                return 0;
            }
            // Floors at every step, so the shares never add up to more than the budget.
            let etrap_share = u128::from(budget_tiyn) * u128::from(population) / total_population;
            let share = etrap_share / u128::from(services);
            u64::try_from(share / u128::from(c.cost_per_place_tiyn)).unwrap_or(u64::MAX)
        })
        .collect();
    allocation(candidates, &places)
}

/// The optimiser and the baseline under the same budget.
pub fn compare(budget_tiyn: u64, candidates: &[Candidate]) -> Comparison {
    let optimised = optimise(budget_tiyn, candidates);
    let baseline = proportional_baseline(budget_tiyn, candidates);
    Comparison {
        budget_tiyn,
        need_total: candidates.iter().map(|c| c.need).sum(),
        cost_of_all_need_tiyn: candidates
            .iter()
            .map(|c| u128::from(c.need) * u128::from(c.cost_per_place_tiyn))
            .sum(),
        extra_need_met: optimised.need_met.saturating_sub(baseline.need_met),
        optimised,
        baseline,
    }
}

/// The first line of [`render_comparison_csv`]'s output.
pub const COMPARISON_CSV_HEADER: &str = "etrap,service,unmet_need,cost_per_place,optimised_places,optimised_need_met,optimised_cost,proportional_places,proportional_need_met,proportional_cost";

/// Tiyn as manat with two decimals, a dot and no thousands separator (`123456` → `1234.56`), exactly.
pub fn tiyn_text(tiyn: u64) -> String {
    format!("{}.{:02}", tiyn / 100, tiyn % 100)
}

/// The comparison as CSV, byte for byte what other tools read: the header [`COMPARISON_CSV_HEADER`], then one
/// line per candidate in the candidates' order, each ending in `\n`. `unmet_need` is the candidate's gap;
/// places and need met are whole numbers; amounts are manat with two decimals (exact: they are whole tiyn).
/// No totals line: the optimiser's and the baseline's totals are the columns' sums.
/// Written for a spreadsheet ([`SpreadsheetCsv`]): text that could be read as a formula is quoted.
pub fn render_comparison_csv(comparison: &Comparison, candidates: &[Candidate]) -> String {
    use crate::spreadsheet::{Cell, SpreadsheetCsv};
    let mut w = SpreadsheetCsv::new();
    w.row(COMPARISON_CSV_HEADER.split(','));
    for ((c, o), b) in candidates
        .iter()
        .zip(&comparison.optimised.lines)
        .zip(&comparison.baseline.lines)
    {
        let figures = [
            c.need.to_string(),
            tiyn_text(c.cost_per_place_tiyn),
            o.places.to_string(),
            o.need_met.to_string(),
            tiyn_text(o.cost_tiyn),
            b.places.to_string(),
            b.need_met.to_string(),
            tiyn_text(b.cost_tiyn),
        ];
        w.row(
            [Cell::Text(&c.etrap), Cell::Text(&c.service)]
                .into_iter()
                .chain(figures.iter().map(|f| Cell::Number(f))),
        );
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(etrap: &str, service: &str, population: u64, need: u64, cost: u64) -> Candidate {
        Candidate {
            etrap: etrap.into(),
            service: service.into(),
            population,
            need,
            cost_per_place_tiyn: cost,
        }
    }

    #[test]
    fn cheapest_first_by_hand() {
        let cs = [
            cand("E1", "A", 100, 5, 300), // 5 places at 300 = 1,500
            cand("E1", "B", 100, 4, 100), // 4 places at 100 = 400
            cand("E2", "A", 300, 3, 200), // 3 places at 200 = 600
        ];
        // Budget 1,500: B all 4 (400, 1,100 left), E2 A all 3 (600, 500 left), E1 A 1 (300, 200 left).
        let a = optimise(1500, &cs);
        let places: Vec<u64> = a.lines.iter().map(|l| l.places).collect();
        assert_eq!(places, [1, 4, 3]);
        assert_eq!((a.spent_tiyn, a.need_met), (1300, 8));

        // Baseline: E1 gets 1,500 × 100/400 = 375, split over 2 services = 187 each; E2 gets 1,125.
        // E1 A: 187/300 = 0; E1 B: 187/100 = 1; E2 A: 1,125/200 = 5 places, of which 3 meet need.
        let b = proportional_baseline(1500, &cs);
        let places: Vec<u64> = b.lines.iter().map(|l| l.places).collect();
        assert_eq!(places, [0, 1, 5]);
        assert_eq!((b.spent_tiyn, b.need_met), (1100, 4));

        let c = compare(1500, &cs);
        assert_eq!(c.extra_need_met, 4);
        assert_eq!(c.need_total, 12);
        assert_eq!(c.cost_of_all_need_tiyn, 1500 + 400 + 600);
    }

    #[test]
    fn candidates_come_from_a_plans_gaps() {
        use crate::planning::costing::CostModel;
        use crate::planning::gaps::{development_plan, NeedInput};
        let m = CostModel::shipped().unwrap();
        let need = |service: &str, assessed: u64, places: u64| NeedInput {
            etrap: "TM-A-01".into(),
            service: service.into(),
            assessed: Some(assessed),
            waiting: 0,
            population: 50_000,
            rate: 0.0,
            places,
        };
        let plan = development_plan(
            &m,
            &[need("S04", 10, 4), need("S01", 2, 5)],
            &Default::default(),
        )
        .unwrap();
        // S04: gap 6; a place-year is 32.00 a visit × 36 visits = 1,152.00 = 115,200 tiyn. S01 has no gap.
        assert_eq!(
            candidates_from_plan(&plan),
            [cand("TM-A-01", "S04", 50_000, 6, 115_200)]
        );
    }

    #[test]
    fn free_places_and_empty_input() {
        let a = optimise(0, &[cand("E", "A", 1, 3, 0), cand("E", "B", 1, 2, 5)]);
        assert_eq!((a.need_met, a.spent_tiyn), (3, 0));
        assert_eq!(optimise(100, &[]).need_met, 0);
        assert_eq!(
            proportional_baseline(100, &[cand("E", "A", 0, 3, 5)]).need_met,
            0
        );
    }

    /// A small deterministic generator (xorshift64*), so the property tests need no dependency and always test
    /// the same cases.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn random_case(rng: &mut Rng) -> (u64, Vec<Candidate>) {
        let etraps = 1 + rng.below(6);
        let mut cs = Vec::new();
        for e in 0..etraps {
            let population = rng.below(200_000);
            for s in 0..1 + rng.below(5) {
                // Some free places and some zero needs, to reach the edges.
                let cost = if rng.below(20) == 0 {
                    0
                } else {
                    1 + rng.below(5_000_000)
                };
                cs.push(cand(
                    &format!("E{e}"),
                    &format!("S{s}"),
                    population,
                    rng.below(60),
                    cost,
                ));
            }
        }
        let all: u128 = cs
            .iter()
            .map(|c| u128::from(c.need) * u128::from(c.cost_per_place_tiyn))
            .sum();
        let budget = match rng.below(4) {
            0 => 0,
            1 => u64::try_from(all).unwrap() + rng.below(1000),
            _ => rng.below(u64::try_from(all).unwrap() + 1),
        };
        (budget, cs)
    }

    /// The best possible need met, by trying every number of places for every candidate (tiny cases only).
    fn brute_force(budget: u64, cs: &[Candidate]) -> u64 {
        fn go(budget: u64, cs: &[Candidate]) -> u64 {
            let Some((c, rest)) = cs.split_first() else {
                return 0;
            };
            (0..=c.need)
                .filter(|&x| x * c.cost_per_place_tiyn <= budget)
                .map(|x| x + go(budget - x * c.cost_per_place_tiyn, rest))
                .max()
                .unwrap_or(0)
        }
        go(budget, cs)
    }

    #[test]
    fn properties_hold_on_random_cases() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..2000 {
            let (budget, cs) = random_case(&mut rng);
            let c = compare(budget, &cs);
            assert!(c.optimised.spent_tiyn <= budget, "over budget: {c:?}");
            assert!(
                c.baseline.spent_tiyn <= budget,
                "baseline over budget: {c:?}"
            );
            assert!(
                c.optimised.need_met >= c.baseline.need_met,
                "worse than the baseline: {c:?}"
            );
            assert!(c.optimised.lines.iter().all(|l| l.places <= l.need));
            if u128::from(budget) >= c.cost_of_all_need_tiyn {
                assert_eq!(
                    c.optimised.need_met, c.need_total,
                    "budget covers all need: {c:?}"
                );
            }
        }
    }

    #[test]
    fn cheapest_first_equals_brute_force_on_small_cases() {
        let mut rng = Rng(42);
        for _ in 0..500 {
            let cs: Vec<Candidate> = (0..1 + rng.below(4))
                .map(|i| cand("E", &format!("S{i}"), 1, rng.below(5), 1 + rng.below(9)))
                .collect();
            let budget = rng.below(60);
            assert_eq!(
                optimise(budget, &cs).need_met,
                brute_force(budget, &cs),
                "{budget} {cs:?}"
            );
        }
    }

    #[test]
    fn the_comparison_as_csv() {
        let cs = [
            cand("E1", "A", 100, 5, 300),
            cand("E1", "B", 100, 4, 100),
            cand("E2", "A", 300, 3, 200),
        ];
        let c = compare(1500, &cs);
        assert_eq!(
            render_comparison_csv(&c, &cs),
            "etrap,service,unmet_need,cost_per_place,optimised_places,optimised_need_met,optimised_cost,proportional_places,proportional_need_met,proportional_cost\n\
             E1,A,5,3.00,1,1,3.00,0,0,0.00\n\
             E1,B,4,1.00,4,4,4.00,1,1,1.00\n\
             E2,A,3,2.00,3,3,6.00,5,3,10.00\n"
        );
        assert_eq!(tiyn_text(123_456), "1234.56");
        assert_eq!(tiyn_text(5), "0.05");
    }
}
