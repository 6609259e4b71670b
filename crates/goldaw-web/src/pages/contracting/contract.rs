//! A contract on pages: `/contracting/contracts/{id}` (terms, versions, delivery against the
//! targets, the monthly reports with their payments) and the forms it posts: amend, suspend,
//! resume, end (with a reason); draft a month's report; confirm or correct it (the provider's
//! staff); verify it (the ministry, never the provider's own organisation); record a payment.
//! The forms are offered as the store's answer says (`Contract::keeper`, `actions`, the report's
//! status); the store decides again.

use super::answer::done;
use super::fields::{
    action_choices, date, manat, number, opt_date, opt_manat, opt_number, opt_text, show_manat,
};
use super::timeliness::{line, TimelinessLine};
use crate::i18n::Translator;
use crate::pages::common::render;
use crate::pages::error::{OrRefuse, PageError, PageResult};
use crate::pages::extract::{Posted, Signed};
use crate::pages::UserView;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use goldaw_core::access::Permission;
use goldaw_core::contracting::{ContractAction, ReportStatus};
use goldaw_store::contracting::{
    ConfirmRequest, Contract, ContractActRequest, ContractTerms, DeliveryReport, PaymentRequest,
    VerifyRequest,
};
use goldaw_store::StoreError;
use serde::Deserialize;
use uuid::Uuid;

struct ReportLine {
    r: DeliveryReport,
    month: String,
    status: String,
    due: String,
    paid: String,
    left: String,
    /// Each payment: the day, the amount in manat, who recorded it.
    payments: Vec<String>,
    may_confirm: bool,
    may_verify: bool,
    may_pay: bool,
}

/// One month of the contract against its targets.
struct MonthLine {
    month: String,
    timely: TimelinessLine,
    units: i64,
    /// "to date / target (share)".
    units_to_date: String,
    people_new: String,
    people_to_date: String,
    goals: String,
}

struct VersionLine {
    amendment: i32,
    price: String,
    ceiling: String,
    targets: String,
    period: String,
    reason: String,
    by: String,
}

#[derive(Template)]
#[template(path = "contracting_contract.html")]
struct ContractPage {
    t: Translator,
    user: Option<UserView>,
    csrf: String,
    c: Contract,
    status: String,
    price: String,
    ceiling: String,
    due: String,
    paid: String,
    versions: Vec<VersionLine>,
    /// The timeliness of all the contract's referrals, and month by month.
    timely: Option<TimelinessLine>,
    months: Vec<MonthLine>,
    reports: Vec<ReportLine>,
    actions: Vec<(String, String)>,
    may_amend: bool,
    may_draft: bool,
    month: String,
    today: String,
}

/// The contract page.
pub(super) async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<Uuid>,
) -> PageResult {
    let p = signed.principal().clone();
    let c = state.store.contract(&p, id).await.or_refuse(&signed)?;
    let reports = state
        .store
        .contract_reports(&p, id)
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let provider = !c.keeper && p.may(Permission::ProviderWork);
    let today = goldaw_core::deadlines::local_date(chrono::Utc::now());
    let reports = reports
        .into_iter()
        .map(|r| {
            let due = r.amount_due.unwrap_or(0);
            ReportLine {
                month: r.month.format("%Y-%m").to_string(),
                status: t.t(&format!("contracting-report-status-{}", r.status.as_str())),
                due: r.amount_due.map(show_manat).unwrap_or_default(),
                paid: show_manat(r.paid),
                left: show_manat((due - r.paid).max(0)),
                payments: r
                    .payments
                    .iter()
                    .map(|p| {
                        format!(
                            "{} · {} · {}",
                            p.paid_on,
                            show_manat(p.amount),
                            p.recorded_by
                        )
                    })
                    .collect(),
                may_confirm: provider && r.status == ReportStatus::Drafted,
                may_verify: c.keeper
                    && r.status == ReportStatus::Confirmed
                    && r.confirmed_by.as_deref() != Some(p.actor.as_str()),
                may_pay: c.keeper && r.status == ReportStatus::Verified && r.paid < due,
                r,
            }
        })
        .collect();
    let actions = action_choices(
        c.actions
            .iter()
            .copied()
            .filter(|a| *a != ContractAction::Amend),
        ContractAction::as_str,
        t,
    );
    let versions = c
        .versions
        .iter()
        .map(|v| VersionLine {
            amendment: v.amendment,
            price: show_manat(v.price_per_unit),
            ceiling: show_manat(v.ceiling),
            targets: format!("{} / {}", v.target_people, v.target_units),
            period: format!("{} – {}", v.period_from, v.period_to),
            reason: v.reason.clone().unwrap_or_default(),
            by: v.changed_by.clone(),
        })
        .collect();
    let hidden = t.t("contracting-suppressed");
    let count = |n: Option<i64>| n.map_or_else(|| hidden.clone(), |n| n.to_string());
    let of_target = |n: Option<i64>, share: Option<f64>, target: i32| match (n, share) {
        (Some(n), Some(s)) => format!("{n} / {target} ({:.0}%)", s * 100.0),
        (Some(n), None) => format!("{n} / {target}"),
        (None, _) => hidden.clone(),
    };
    let months = c
        .performance
        .as_ref()
        .map(|p| {
            p.months
                .iter()
                .map(|m| MonthLine {
                    month: m.month.format("%Y-%m").to_string(),
                    timely: line(&m.timeliness, t),
                    units: m.units,
                    units_to_date: of_target(
                        Some(m.units_to_date),
                        m.units_of_target,
                        c.target_units,
                    ),
                    people_new: count(m.people_new),
                    people_to_date: of_target(
                        m.people_to_date,
                        m.people_of_target,
                        c.target_people,
                    ),
                    goals: match (m.goals_achieved, m.goals_achieved_to_date) {
                        (Some(g), Some(all)) => format!("{g} ({all})"),
                        (None, Some(all)) => format!("{hidden} ({all})"),
                        (Some(g), None) => format!("{g} ({hidden})"),
                        (None, None) => hidden.clone(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let timely = c.performance.as_ref().map(|p| line(&p.timeliness, t));
    let page = ContractPage {
        csrf: signed.session.csrf.clone(),
        timely,
        months,
        user: signed.user(),
        status: t.t(&format!("contracting-contract-{}", c.status.as_str())),
        price: show_manat(c.price_per_unit),
        ceiling: show_manat(c.ceiling),
        due: show_manat(c.due_total),
        paid: show_manat(c.paid_total),
        versions,
        reports,
        actions,
        may_amend: c.actions.contains(&ContractAction::Amend),
        may_draft: c.keeper || provider,
        month: today.format("%Y-%m").to_string(),
        today: today.to_string(),
        c,
        t: t.clone_lang(),
    };
    Ok(render(page))
}

#[derive(Deserialize)]
pub(super) struct ActForm {
    action: String,
    version: String,
    #[serde(default)]
    reason: String,
    // The new terms (an amendment).
    #[serde(default)]
    price_per_unit: String,
    #[serde(default)]
    ceiling: String,
    #[serde(default)]
    target_people: String,
    #[serde(default)]
    target_units: String,
    #[serde(default)]
    target_outcomes: String,
    #[serde(default)]
    payment_schedule: String,
    #[serde(default)]
    period_from: String,
    #[serde(default)]
    period_to: String,
    #[serde(default)]
    places: String,
}

impl ActForm {
    fn read(&self, action: ContractAction) -> Result<ContractActRequest, StoreError> {
        let terms = if action == ContractAction::Amend {
            Some(ContractTerms {
                price_per_unit: manat("price_per_unit", &self.price_per_unit)?,
                ceiling: manat("ceiling", &self.ceiling)?,
                target_people: number("target_people", &self.target_people)?,
                target_units: number("target_units", &self.target_units)?,
                target_outcomes: opt_text(&self.target_outcomes),
                payment_schedule: self.payment_schedule.clone(),
                period_from: date("period_from", &self.period_from)?,
                period_to: date("period_to", &self.period_to)?,
                places: opt_number("places", &self.places)?,
            })
        } else {
            None
        };
        Ok(ContractActRequest {
            action,
            version: number("version", &self.version)?,
            reason: opt_text(&self.reason),
            terms,
        })
    }
}

/// Amend, suspend, resume or end.
pub(super) async fn act(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<ActForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let Ok(action) = form.action.parse::<ContractAction>() else {
        return Ok(signed.unreadable_form());
    };
    let result = match form.read(action) {
        Ok(req) => state.store.contract_act(signed.principal(), id, req).await,
        Err(e) => Err(e),
    };
    Ok(done(
        &signed,
        result,
        format!("/contracting/contracts/{id}"),
    ))
}

#[derive(Deserialize)]
pub(super) struct DraftForm {
    #[serde(default)]
    month: String,
}

/// Drafts (or drafts again) the month's report.
pub(super) async fn draft_report(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<DraftForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let result = state
        .store
        .draft_report(signed.principal(), id, &form.month)
        .await;
    Ok(done(
        &signed,
        result,
        format!("/contracting/contracts/{id}"),
    ))
}

/// The report's contract (`NotFound` when the report is out of sight).
async fn report_contract(
    state: &AppState,
    signed: &Signed,
    report: Uuid,
) -> Result<Uuid, PageError> {
    Ok(state
        .store
        .report(signed.principal(), report)
        .await
        .or_refuse(signed)?
        .contract_id)
}

#[derive(Deserialize)]
pub(super) struct ConfirmForm {
    version: String,
    #[serde(default)]
    units: String,
    #[serde(default)]
    people: String,
    #[serde(default)]
    reason: String,
}

/// The provider confirms the report, or corrects it with a reason.
pub(super) async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<ConfirmForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let contract = report_contract(&state, &signed, id).await?;
    let req = (|| {
        Ok::<_, StoreError>(ConfirmRequest {
            version: number("version", &form.version)?,
            units: opt_number("units", &form.units)?,
            people: opt_number("people", &form.people)?,
            reason: opt_text(&form.reason),
        })
    })();
    let result = match req {
        Ok(r) => state.store.confirm_report(signed.principal(), id, r).await,
        Err(e) => Err(e),
    };
    Ok(done(
        &signed,
        result,
        format!("/contracting/contracts/{contract}"),
    ))
}

#[derive(Deserialize)]
pub(super) struct VerifyForm {
    version: String,
    #[serde(default)]
    units: String,
    #[serde(default)]
    note: String,
}

/// The ministry verifies the report (the units after sampling, at most those reported).
pub(super) async fn verify(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<VerifyForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let contract = report_contract(&state, &signed, id).await?;
    let req = (|| {
        Ok::<_, StoreError>(VerifyRequest {
            version: number("version", &form.version)?,
            units: opt_number("units", &form.units)?,
            note: opt_text(&form.note),
        })
    })();
    let result = match req {
        Ok(r) => state.store.verify_report(signed.principal(), id, r).await,
        Err(e) => Err(e),
    };
    Ok(done(
        &signed,
        result,
        format!("/contracting/contracts/{contract}"),
    ))
}

#[derive(Deserialize)]
pub(super) struct PaymentForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    paid_on: String,
}

/// A payment made on the verified report.
pub(super) async fn pay(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    posted: Posted<PaymentForm>,
) -> PageResult {
    let Posted { signed, form } = posted;
    let contract = report_contract(&state, &signed, id).await?;
    let req = (|| {
        Ok::<_, StoreError>(PaymentRequest {
            amount: opt_manat("amount", &form.amount)?.ok_or_else(|| {
                StoreError::refuse(
                    "amount",
                    "contracting-form-money",
                    vec![("field", goldaw_store::error::SayArg::Text("amount".into()))],
                )
            })?,
            paid_on: opt_date("paid_on", &form.paid_on)?,
        })
    })();
    let result = match req {
        Ok(r) => state.store.record_payment(signed.principal(), id, r).await,
        Err(e) => Err(e),
    };
    Ok(done(
        &signed,
        result,
        format!("/contracting/contracts/{contract}"),
    ))
}
