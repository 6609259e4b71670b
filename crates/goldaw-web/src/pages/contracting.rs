//! `/contracting`: social contracting on a page (docs/contracting.md): the tenders and contracts
//! the reader sees, the late monthly reports, and, for the ministry and planners, the
//! comparison of the ways a service is delivered (cost per unit and per person, suppressed as
//! published statistics are). The same store calls as `/api/v1/tenders`, `/contracts` and
//! `/contracting/comparison`. The tender's pages and forms are `contracting/tender.rs`, the
//! contract's `contracting/contract.rs`, the forms' fields `contracting/fields.rs`.

use super::common::render;
use super::extract::Signed;
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, NaiveDate, Utc};
use goldaw_core::access::Permission;
use goldaw_core::cases::ServiceCode;
use serde::Deserialize;

mod answer;
mod chart;
pub(super) use chart::{bars as chart_bars, Bar as ChartBar};
mod contract;
mod fields;
mod tender;
mod timeliness;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracting", get(overview))
        .route("/contracting/tenders/new", get(tender::new_form))
        .route("/contracting/tenders", post(tender::draft))
        .route("/contracting/tenders/{id}", get(tender::page))
        .route(
            "/contracting/tenders/{id}/edit",
            get(tender::edit_form).post(tender::edit),
        )
        .route("/contracting/tenders/{id}/action", post(tender::act))
        .route("/contracting/tenders/{id}/award", post(tender::award))
        .route("/contracting/tenders/{id}/contract", post(tender::sign))
        .route("/contracting/tenders/{id}/bids", post(tender::prepare_bid))
        .route("/contracting/bids/{id}", post(tender::change_bid))
        .route("/contracting/bids/{id}/action", post(tender::bid_act))
        .route("/contracting/bids/{id}/conflict", post(tender::conflict))
        .route("/contracting/bids/{id}/scores", post(tender::score))
        .route("/contracting/contracts/{id}", get(contract::page))
        .route("/contracting/contracts/{id}/action", post(contract::act))
        .route(
            "/contracting/contracts/{id}/reports",
            post(contract::draft_report),
        )
        .route("/contracting/reports/{id}/confirm", post(contract::confirm))
        .route("/contracting/reports/{id}/verify", post(contract::verify))
        .route("/contracting/reports/{id}/payment", post(contract::pay))
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    service: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

struct TenderLine {
    id: uuid::Uuid,
    title: String,
    service: String,
    units: String,
    status: String,
    deadline: String,
}

struct ContractLine {
    id: uuid::Uuid,
    provider: String,
    service: String,
    status: String,
    price: String,
    ceiling: String,
    delivered: i64,
    people: i64,
    paid: String,
}

struct LateLine {
    contract: uuid::Uuid,
    provider: String,
    service: String,
    month: String,
    due: String,
}

struct WayLine {
    way: String,
    units: String,
    people: String,
    cost: String,
    per_unit: String,
    per_person: String,
    goals: String,
    per_goal: String,
    at_home_3m: String,
    at_home_12m: String,
    timely: timeliness::TimelinessLine,
}

#[derive(Template)]
#[template(path = "contracting.html")]
struct Page {
    t: Translator,
    user: Option<UserView>,
    tenders: Vec<TenderLine>,
    contracts: Vec<ContractLine>,
    late: Vec<LateLine>,
    compares: bool,
    drafts: bool,
    ways: Vec<WayLine>,
    /// The charts (SVG drawn here) and the model's community against residential care.
    charts: Vec<String>,
    community: String,
    /// Delivered cost per person of the service and of residential care.
    delivered: String,
    service: String,
    from: String,
    to: String,
}

use fields::show_manat as manat;

fn money(v: Option<f64>) -> String {
    v.map(|m| format!("{m:.2}")).unwrap_or_default()
}

async fn overview(
    State(state): State<AppState>,
    signed: Signed,
    params: Result<Query<Params>, QueryRejection>,
) -> PageResult {
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let principal = signed.principal().clone();
    let tenders = state
        .store
        .list_tenders(&principal)
        .await
        .or_refuse(&signed)?;
    let t = &signed.t;
    let contracting = principal.may(Permission::Contracting);
    let reads_contracts = contracting || principal.may(Permission::ProviderWork);
    let (contracts, late) = if reads_contracts {
        (
            state
                .store
                .list_contracts(&principal)
                .await
                .or_refuse(&signed)?,
            state
                .store
                .late_delivery_reports(&principal)
                .await
                .or_refuse(&signed)?,
        )
    } else {
        (vec![], vec![])
    };
    let compares = contracting || principal.may(Permission::Planning);
    let today = goldaw_core::deadlines::local_date(Utc::now());
    let from = p.from.unwrap_or_else(|| {
        today
            .with_day(1)
            .and_then(|d| d.with_month(1))
            .unwrap_or(today)
    });
    let to = p.to.unwrap_or(today);
    let service = p.service.unwrap_or_else(|| "S05".to_owned());
    let mut ways = Vec::new();
    let mut charts = Vec::new();
    let mut community = String::new();
    let mut delivered = String::new();
    if compares {
        if let Ok(code) = service.parse::<ServiceCode>() {
            let cmp = state
                .store
                .delivery_comparison(&principal, &code, from, to)
                .await
                .or_refuse(&signed)?;
            let hidden = t.t("contracting-suppressed");
            let none = t.t("contracting-none");
            let say = |v: Option<f64>, suppressed: bool| match v {
                Some(m) => format!("{m:.2}"),
                None if suppressed => hidden.clone(),
                None => none.clone(),
            };
            let rate = |n: Option<i64>, r: Option<f64>| match (n, r) {
                (Some(n), Some(r)) => format!("{:.0}% ({n})", r * 100.0),
                (None, _) => hidden.clone(),
                _ => none.clone(),
            };
            let name = |w: goldaw_core::contracting::DeliveryWay| {
                t.t(&format!("contracting-way-{}", w.as_str()))
            };
            type Pick = fn(&goldaw_store::contracting::ComparisonRow) -> Option<f64>;
            let per_person: Pick = |r| r.cost_per_person;
            let per_goal: Pick = |r| r.cost_per_goal;
            let per_unit: Pick = |r| r.cost_per_unit;
            for (id, key, pick) in [
                (
                    "chart-per-person",
                    "contracting-cost-per-person",
                    per_person,
                ),
                ("chart-per-goal", "contracting-cost-per-goal", per_goal),
                ("chart-per-unit", "contracting-cost-per-unit", per_unit),
            ] {
                let bars: Vec<chart::Bar> = cmp
                    .rows
                    .iter()
                    .map(|r| chart::Bar {
                        label: name(r.way),
                        value: pick(r),
                        text: say(pick(r), r.suppressed),
                    })
                    .collect();
                charts.push(chart::bars(id, &t.t(key), &bars));
            }
            if let (Some(c), Some(r), Some(ratio)) = (
                cmp.community_per_user_year,
                cmp.residential_per_person_year,
                cmp.community_to_residential,
            ) {
                community = t.t_with(
                    "contracting-community-text",
                    &[
                        ("value", format!("{c:.2}").into()),
                        ("baseline", format!("{r:.2}").into()),
                        ("percent", format!("{:.0}", ratio * 100.0).into()),
                    ],
                );
            }
            // What was delivered, beside the model: the service per person, residential care
            // per person, in the same area and period.
            let residential = &cmp.residential_delivered;
            delivered = t.t_with(
                "contracting-delivered-text",
                &[
                    ("from", from.to_string().into()),
                    ("to", to.to_string().into()),
                    ("service", cmp.service_code.clone().into()),
                    (
                        "value",
                        say(
                            cmp.community_delivered_per_person,
                            cmp.rows.iter().any(|r| r.suppressed),
                        )
                        .into(),
                    ),
                    (
                        "baseline",
                        say(residential.cost_per_person, residential.suppressed).into(),
                    ),
                    (
                        "count",
                        residential
                            .units
                            .map_or_else(|| hidden.clone(), |u| u.to_string())
                            .into(),
                    ),
                ],
            );
            ways = cmp
                .rows
                .into_iter()
                .map(|r| WayLine {
                    way: name(r.way),
                    units: r.units.map_or_else(|| hidden.clone(), |u| u.to_string()),
                    people: match r.people {
                        Some(n) => n.to_string(),
                        None => hidden.clone(),
                    },
                    cost: money(r.cost),
                    per_unit: money(r.cost_per_unit),
                    per_person: say(r.cost_per_person, r.suppressed),
                    goals: r
                        .goals_achieved
                        .map_or_else(|| hidden.clone(), |g| g.to_string()),
                    per_goal: say(r.cost_per_goal, r.suppressed),
                    at_home_3m: rate(r.followed_3m, r.at_home_3m),
                    at_home_12m: rate(r.followed_12m, r.at_home_12m),
                    timely: timeliness::line(&r.timeliness, t),
                })
                .collect();
        }
    }
    let user = signed.user();
    let tenders: Vec<TenderLine> = tenders
        .into_iter()
        .map(|x| TenderLine {
            id: x.id,
            title: x.title,
            service: x.service_code,
            units: x.admin_units.join(", "),
            status: t.t(&format!("contracting-tender-{}", x.status.as_str())),
            deadline: x.bid_deadline.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    let contracts: Vec<ContractLine> = contracts
        .into_iter()
        .map(|c| ContractLine {
            id: c.id,
            provider: c.provider_name,
            service: c.service_code,
            status: t.t(&format!("contracting-contract-{}", c.status.as_str())),
            price: manat(c.price_per_unit),
            ceiling: manat(c.ceiling),
            delivered: c.delivered_units,
            people: c.people_served,
            paid: manat(c.paid_total),
        })
        .collect();
    let late: Vec<LateLine> = late
        .into_iter()
        .map(|l| LateLine {
            contract: l.contract_id,
            provider: l.provider_name,
            service: l.service_code,
            month: l.month.format("%Y-%m").to_string(),
            due: l.due.to_string(),
        })
        .collect();
    let page = Page {
        user,
        tenders,
        contracts,
        late,
        compares,
        drafts: contracting,
        ways,
        charts,
        community,
        delivered,
        service,
        from: from.to_string(),
        to: to.to_string(),
        t: signed.t,
    };
    Ok(render(page))
}
