//! The caseload per social worker against the norm: an internal figure for supervision.

use super::gather::{instants, CaseRow, CASE_COLUMNS};
use crate::error::StoreResult;
use crate::Store;
use goldaw_core::codes::CaseStatus;
use goldaw_core::indicators::{Figure, NORM_CASES_A_YEAR, NORM_INTENSIVE, NORM_MONITORED};
use goldaw_core::statistics::{Dimension, Period};
use std::collections::BTreeMap;

/// The worker column's value for cases nobody holds.
pub(crate) const UNASSIGNED: &str = "unassigned";

/// One worker's cases in one cell.
#[derive(Default)]
struct Load {
    cases: u64,
    assessment: u64,
    intensive: u64,
    monitored: u64,
}

impl Store {
    /// Rows of the caseload: by the dimensions asked (the case's place) and the worker holding
    /// each case at the period's end (or when it closed), the cases held at any time in the
    /// period and those open at its end by stage, against the norm.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn caseload_rows(
        &self,
        range: &(String, String),
        period: &Period,
        dims: &[Dimension],
    ) -> StoreResult<Vec<(Vec<String>, Vec<Figure>)>> {
        let sql = format!(
            "{CASE_COLUMNS} WHERE admin_unit >= $1 AND admin_unit < $2 AND opened_on <= $3
               AND (closed_on IS NULL OR closed_on >= $4)"
        );
        let cases: Vec<CaseRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
                .bind(&range.0)
                .bind(&range.1)
                .bind(period.to())
                .bind(period.from())
                .fetch_all(pool)
                .await?
        });
        let registered: Vec<uuid::Uuid> = cases
            .iter()
            .filter(|c| !c.imported())
            .map(|c| c.id)
            .collect();
        let histories = self.histories(&registered).await?;
        let (_, end) = instants(period);
        let catalogue = self.catalogue();
        let mut loads: BTreeMap<Vec<String>, Load> = BTreeMap::new();
        for case in &cases {
            let (worker, status) = match histories.get(&case.id) {
                // Replay the history up to the period's end: the status it reached, the worker
                // last allocated (a transfer leaves the case with nobody until allocated anew).
                Some(events) if !case.imported() => {
                    let mut worker: Option<String> = None;
                    let mut status: Option<CaseStatus> = None;
                    for e in events.iter().take_while(|e| e.at < end) {
                        match e.action.as_str() {
                            "allocate" => worker = e.detail.clone(),
                            "accept_transfer" => worker = None,
                            _ => {}
                        }
                        if let Some(s) = e.to_status.as_deref().and_then(|s| s.parse().ok()) {
                            status = Some(s);
                        }
                    }
                    (worker, status)
                }
                // An imported case: its worker code now; its stage now, or closed if it closed
                // by the period's end. A case that closed after the period's end was open at it,
                // at a stage not recorded.
                _ => {
                    let status = match case.closed_on {
                        Some(c) if c <= period.to() => Some(CaseStatus::Closed),
                        _ => case
                            .status
                            .parse::<CaseStatus>()
                            .ok()
                            .filter(|s| *s != CaseStatus::Closed),
                    };
                    (case.worker_id.clone(), status)
                }
            };
            let mut key: Vec<String> = dims
                .iter()
                .map(|d| match d {
                    Dimension::Velayat => super::publish::velayat_of(&catalogue, &case.admin_unit),
                    _ => case.admin_unit.clone(),
                })
                .collect();
            key.push(
                worker
                    .filter(|w| !w.is_empty())
                    .unwrap_or_else(|| UNASSIGNED.to_owned()),
            );
            let load = loads.entry(key).or_default();
            load.cases += 1;
            match status {
                Some(
                    CaseStatus::Referred
                    | CaseStatus::InitialAssessment
                    | CaseStatus::HolisticAssessment
                    | CaseStatus::SupportPlan,
                ) => load.assessment += 1,
                Some(CaseStatus::Active) => load.intensive += 1,
                Some(CaseStatus::Monitoring) => load.monitored += 1,
                Some(CaseStatus::Closed) | None => {}
            }
        }
        // The yearly norm scaled to the period's length.
        let days = (period.to() - period.from()).num_days() + 1;
        let norm_in_period = NORM_CASES_A_YEAR as f64 * days as f64 / 365.0;
        Ok(loads
            .into_iter()
            .map(|(key, l)| {
                let figures = vec![
                    Figure::count(l.cases),
                    Figure::count(l.assessment),
                    Figure::count(l.intensive),
                    Figure::count(l.monitored),
                    Figure::number(l.intensive as f64 / NORM_INTENSIVE as f64 * 100.0),
                    Figure::number(l.monitored as f64 / NORM_MONITORED as f64 * 100.0),
                    Figure::number(l.cases as f64 / norm_in_period * 100.0),
                ];
                (key, figures)
            })
            .collect())
    }
}
