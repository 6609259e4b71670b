//! `/contracting`: social contracting on a page (docs/contracting.md): the tenders and contracts
//! the reader sees, the late monthly reports, and, for the ministry and planners, the
//! comparison of the ways a service is delivered (cost per unit and per person, suppressed as
//! published statistics are). The same store calls as `/api/v1/tenders`, `/contracts` and
//! `/contracting/comparison`; the actions are in the API for now.

use super::common::render;
use super::extract::Signed;
use super::UserView;
use crate::i18n::Translator;
use crate::pages::error::{OrRefuse, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate, Utc};
use goldaw_core::access::Permission;
use goldaw_core::cases::ServiceCode;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/contracting", get(overview))
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    service: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

struct TenderLine {
    title: String,
    service: String,
    units: String,
    status: String,
    deadline: String,
}

struct ContractLine {
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
    provider: String,
    service: String,
    month: String,
    due: String,
}

struct WayLine {
    way: String,
    units: i64,
    people: String,
    cost: String,
    per_unit: String,
    per_person: String,
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
    ways: Vec<WayLine>,
    service: String,
    from: String,
    to: String,
}

/// An amount in tiyn as manat with two decimals.
fn manat(tiyn: i64) -> String {
    format!("{}.{:02}", tiyn / 100, (tiyn % 100).abs())
}

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
    if compares {
        if let Ok(code) = service.parse::<ServiceCode>() {
            let cmp = state
                .store
                .delivery_comparison(&principal, &code, from, to)
                .await
                .or_refuse(&signed)?;
            ways = cmp
                .rows
                .into_iter()
                .map(|r| WayLine {
                    way: t.t(&format!("contracting-way-{}", r.way.as_str())),
                    units: r.units,
                    people: match r.people {
                        Some(n) => n.to_string(),
                        None => t.t("contracting-suppressed"),
                    },
                    cost: money(r.cost),
                    per_unit: money(r.cost_per_unit),
                    per_person: money(r.cost_per_person),
                })
                .collect();
        }
    }
    let user = signed.user();
    let tenders: Vec<TenderLine> = tenders
        .into_iter()
        .map(|x| TenderLine {
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
        ways,
        service,
        from: from.to_string(),
        to: to.to_string(),
        t: signed.t,
    };
    Ok(render(page))
}
