//! The caseload page (`/caseload`): each worker's open cases against the norm.

use crate::i18n::Translator;
use crate::pages::common::render;
use crate::pages::error::{OrRefuse, PageResult};
use crate::pages::extract::Signed;
use crate::pages::UserView;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use goldaw_core::access::Permission;

struct LoadView {
    username: String,
    intensive: u32,
    monitoring: u32,
    year: u32,
    intensive_pct: u32,
    monitoring_pct: u32,
    over: bool,
    /// Her own norms: the full-time norms scaled by her share of full time (workforce register).
    norm_intensive: u32,
    norm_monitored: u32,
    norm_year: u32,
    /// "100%" for a full-time or unlinked account, her share otherwise.
    fte: String,
}

#[derive(Template)]
#[template(path = "caseload.html")]
struct CaseloadPage {
    t: Translator,
    user: Option<UserView>,
    loads: Vec<LoadView>,
    norm_text: String,
    /// Whether any row's norms are scaled (part-time staff): the page then says so.
    any_scaled: bool,
}

pub(super) async fn caseload(State(state): State<AppState>, signed: Signed) -> PageResult {
    signed.require(Permission::WorkCases)?;
    let loads = state
        .store
        .caseloads(signed.principal())
        .await
        .or_refuse(&signed)?;
    let pct = |n: u32, norm: u32| (n * 100).checked_div(norm).unwrap_or(0).min(100);
    use goldaw_store::cases::{NORM_INTENSIVE, NORM_MONITORED, NORM_PER_YEAR};
    let norm_text = signed.t.t_with(
        "caseload-norm",
        &[
            ("intensive", NORM_INTENSIVE.into()),
            ("monitored", NORM_MONITORED.into()),
            ("year", NORM_PER_YEAR.into()),
        ],
    );
    let any_scaled = loads.iter().any(|l| l.fte_percent.is_some_and(|p| p < 100));
    Ok(render(CaseloadPage {
        norm_text,
        any_scaled,
        user: signed.user(),
        t: signed.t.clone_lang(),
        loads: loads
            .into_iter()
            .map(|l| LoadView {
                intensive_pct: pct(l.intensive, l.norm_intensive),
                monitoring_pct: pct(l.monitoring, l.norm_monitored),
                username: l.username,
                intensive: l.intensive,
                monitoring: l.monitoring,
                year: l.last_12_months,
                over: l.over_norm,
                norm_intensive: l.norm_intensive,
                norm_monitored: l.norm_monitored,
                norm_year: l.norm_per_year,
                fte: format!("{}%", l.fte_percent.unwrap_or(100)),
            })
            .collect(),
    }))
}
