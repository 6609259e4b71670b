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
}

#[derive(Template)]
#[template(path = "caseload.html")]
struct CaseloadPage {
    t: Translator,
    user: Option<UserView>,
    loads: Vec<LoadView>,
    norm_intensive: u32,
    norm_monitored: u32,
    norm_year: u32,
    norm_text: String,
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
    Ok(render(CaseloadPage {
        norm_text,
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
            })
            .collect(),
        norm_intensive: NORM_INTENSIVE,
        norm_monitored: NORM_MONITORED,
        norm_year: NORM_PER_YEAR,
    }))
}
