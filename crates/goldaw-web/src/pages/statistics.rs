//! The statistics pages (issue #5; docs/statistics-outputs.md), for those who read reports:
//!
//! - `/statistics`: choose an indicator, a period (two dates, or a preset year, quarter or
//!   month) and the dimensions to split by (checkboxes, with a position each for the order);
//!   see the published table, hidden cells marked and explained, with two SVG charts drawn here
//!   (bars by place, bars over the months or quarters of the period). A GET form: it changes
//!   nothing. `/statistics.csv` and `/statistics.xlsx` download the same table.
//! - `/statistics/dashboard`: the headline figures of the caller's area (an etrap, a velayat,
//!   the nation) with a chart over this year's months and one by place.
//! - `/statistics/dhis2.json?period=2025Q1`: the DHIS2 data value set, for planners and the
//!   ministry.
//!
//! The table is the source of truth: every chart has a title and a description, and shows only
//! what the table publishes (a hidden bar is drawn as a mark, never as a height).
//!
//! By use case: `report` (the report page), `downloads` (CSV, XLSX, DHIS2), `dashboard`, and
//! `charts` (the SVG charts they draw); this module holds the routes, the permission check and
//! numbers as people read them.

mod charts;
mod dashboard;
mod downloads;
mod report;

use self::dashboard::dashboard;
use self::downloads::{dhis2_download, report_csv, report_xlsx};
use self::report::report_page;
use crate::i18n::Translator;
use crate::pages::common::count;
use crate::pages::extract::{message_page, Signed};
use crate::statistics::{self, Figure, Measure};
use crate::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::disclosure::Published;
use goldaw_core::statistics::Dimension;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/statistics", get(report_page))
        .route("/statistics.csv", get(report_csv))
        .route("/statistics.xlsx", get(report_xlsx))
        .route("/statistics/dashboard", get(dashboard))
        .route("/statistics/dhis2.json", get(dhis2_download))
}

/// The mark a hidden figure shows instead of its value (explained under the table).
pub(super) const HIDDEN_MARK: &str = "•";

/// The refusal page, unless the caller reads statistics (the permission and an area).
pub(super) fn deny(signed: &Signed) -> Option<Response> {
    if statistics::may_read(signed.principal()) {
        return None;
    }
    Some(
        signed
            .deny_unless(Permission::ReadReports)
            .unwrap_or_else(|| {
                message_page(
                    &signed.t,
                    signed.user(),
                    StatusCode::FORBIDDEN,
                    "access-denied",
                    "stat-no-area",
                )
            }),
    )
}

// ----- numbers for people ----------------------------------------------------------------------

/// A decimal number with the page's separator: `10.5` in English, `10,5` in Russian and Turkmen.
pub(super) fn decimal(x: f64, places: usize, lang: &str) -> String {
    let text = format!("{x:.places$}");
    if lang == "en" {
        text
    } else {
        text.replace('.', ",")
    }
}

/// A published figure for people: grouped digits for a count, one decimal for a rate or a
/// median (three for a percentage of the population, which is small), the hidden mark, or a
/// dash where the figure is not defined.
pub(super) fn figure(f: Figure, measure: Measure, lang: &str) -> String {
    match f {
        Figure::Count {
            value: Published::Shown { value },
        } => count(value, lang),
        Figure::Number {
            value: Published::Shown { value },
        } => decimal(value, if measure == Measure::Percent { 3 } else { 1 }, lang),
        Figure::Count { .. } | Figure::Number { .. } => HIDDEN_MARK.to_owned(),
        Figure::None => "–".to_owned(),
    }
}

/// The length of a bar: `None` when there is nothing to draw (hidden or undefined).
pub(super) fn bar_value(f: Figure) -> Option<f64> {
    match f {
        Figure::Count {
            value: Published::Shown { value },
        } => Some(value as f64),
        Figure::Number {
            value: Published::Shown { value },
        } => Some(value),
        _ => None,
    }
}

/// The area a principal's statistics cover, by name.
pub(super) fn area_name(state: &AppState, principal: &Principal, t: &Translator) -> String {
    let code = principal
        .unit_scope()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    crate::planning_export::unit_name(&state.store.catalogue(), &code, t.lang())
}

/// By velayat for the nation, by unit below it otherwise (a velayat's etraps, an etrap's own
/// figure or its boroughs).
pub(super) fn place_dimension(principal: &Principal) -> Dimension {
    match principal.unit_scope() {
        Some(code) if code.as_str() == "TM" => Dimension::Velayat,
        _ => Dimension::AdminUnit,
    }
}
