//! `/survivors/statistics`: anonymised statistics for the survivors' services (issue #18, item
//! 5; docs/survivors.md): survivors (with their consent to statistics), their referrals to
//! services and the hotline's calls, split by up to three dimensions, suppressed with the
//! stricter rule for violence. The same store call as `/api/v1/survivors/statistics`.

use super::common::render;
use super::extract::Signed;
use super::hotline::Opt;
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate, Utc};
use goldaw_core::access::Permission;
use goldaw_store::gbv_statistics::{GbvDimension, GbvMeasure, GbvQuery};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/survivors/statistics", get(page))
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    measure: Option<String>,
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

struct Line {
    cells: Vec<String>,
    count: String,
    hidden: bool,
}

#[derive(Template)]
#[template(path = "gbv_statistics.html")]
struct Page {
    t: Translator,
    user: Option<UserView>,
    measures: Vec<Opt>,
    measure: String,
    from: String,
    to: String,
    by: String,
    dimensions: Vec<Opt>,
    headers: Vec<String>,
    lines: Vec<Line>,
    rule: String,
}

fn label(t: &Translator, d: GbvDimension, value: Option<&str>) -> String {
    match value {
        None => t.t("gbv-total"),
        Some(v) => match d {
            GbvDimension::Category => match v {
                "not_from_call" | "unknown" => v.to_owned(),
                _ => t.t(&format!("hotline-category-{v}")),
            },
            GbvDimension::Outcome => t.t(&format!("hotline-outcome-{v}")),
            GbvDimension::AgeBand => t.t(&format!("hotline-age-{}", v.replace('+', "-plus"))),
            GbvDimension::Sex if v != "unknown" => t.t(&format!("sex-{v}")),
            GbvDimension::ReportDelay => t.t(&format!("gbv-delay-{v}")),
            _ => v.to_owned(),
        },
    }
}

async fn page(
    State(state): State<AppState>,
    signed: Signed,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    signed.require(Permission::ReadReports)?;
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let t = &signed.t;
    let today = goldaw_core::deadlines::local_date(Utc::now());
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let measure: GbvMeasure = p
        .measure
        .as_deref()
        .and_then(|m| m.parse().ok())
        .unwrap_or(GbvMeasure::Survivors);
    let from = p
        .from
        .as_deref()
        .and_then(|d| d.parse().ok())
        .unwrap_or(year_start);
    let to =
        p.to.as_deref()
            .and_then(|d| d.parse().ok())
            .unwrap_or(today);
    let by_text = p.by.clone().unwrap_or_else(|| "category".to_owned());
    let by = goldaw_store::gbv_statistics::parse_dimensions(Some(&by_text)).or_refuse(&signed)?;
    let table = state
        .store
        .gbv_statistics(
            signed.principal(),
            GbvQuery {
                measure,
                from,
                to,
                by,
            },
        )
        .await
        .or_refuse(&signed)?;
    let dims = table.dimensions.clone();
    let lines = table
        .rows
        .iter()
        .map(|r| Line {
            cells: dims
                .iter()
                .zip(&r.key)
                .map(|(d, v)| label(t, *d, v.as_deref()))
                .collect(),
            count: r
                .count
                .map(|c| c.to_string())
                .unwrap_or_else(|| t.t("gbv-hidden")),
            hidden: r.count.is_none(),
        })
        .collect();
    Ok(render(Page {
        user: signed.user(),
        measures: GbvMeasure::ALL
            .iter()
            .map(|m| Opt {
                code: m.as_str().to_owned(),
                label: t.t(&format!("gbv-measure-{m}")),
            })
            .collect(),
        measure: measure.as_str().to_owned(),
        from: from.to_string(),
        to: to.to_string(),
        by: by_text,
        dimensions: measure
            .dimensions()
            .iter()
            .map(|d| Opt {
                code: d.as_str().to_owned(),
                label: t.t(&format!("gbv-dimension-{d}")),
            })
            .collect(),
        headers: dims
            .iter()
            .map(|d| t.t(&format!("gbv-dimension-{d}")))
            .collect(),
        lines,
        rule: if table.threshold > 0 {
            t.t_with("gbv-rule", &[("count", table.threshold.into())])
        } else {
            String::new()
        },
        t: t.clone_lang(),
    }))
}
