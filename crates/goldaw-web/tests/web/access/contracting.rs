//! The contracting routes of the authorization matrix (docs/contracting.md): every role against
//! every route, with records that do not exist (so no call changes anything). Who may not use a
//! route at all is refused (403); who may finds nothing (404) or reads a list (200).

use super::{token, world};
use goldaw_core::codes::Role;
use goldaw_store::testing::databases;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const RULED: [(&str, &str); 29] = [
    ("get", "/api/v1/tenders"),
    ("post", "/api/v1/tenders"),
    ("get", "/api/v1/tenders/{id}"),
    ("put", "/api/v1/tenders/{id}"),
    ("post", "/api/v1/tenders/{id}/actions"),
    ("get", "/api/v1/tenders/{id}/bids"),
    ("post", "/api/v1/tenders/{id}/bids"),
    ("get", "/api/v1/tenders/{id}/ranking"),
    ("post", "/api/v1/tenders/{id}/award"),
    ("post", "/api/v1/tenders/{id}/contract"),
    ("get", "/api/v1/bids/{id}"),
    ("put", "/api/v1/bids/{id}"),
    ("post", "/api/v1/bids/{id}/actions"),
    ("post", "/api/v1/bids/{id}/conflicts"),
    ("post", "/api/v1/bids/{id}/scores"),
    ("get", "/api/v1/contracts"),
    ("get", "/api/v1/contracts/{id}"),
    ("post", "/api/v1/contracts/{id}/actions"),
    ("get", "/api/v1/contracts/{id}/reports"),
    ("post", "/api/v1/contracts/{id}/reports"),
    ("post", "/api/v1/reports/{id}/confirm"),
    ("post", "/api/v1/reports/{id}/verify"),
    ("post", "/api/v1/reports/{id}/payments"),
    ("get", "/api/v1/contracting/late-reports"),
    ("get", "/api/v1/contracting/comparison"),
    ("get", "/api/v1/costing/unit-costs"),
    ("get", "/api/v1/costing/community-vs-residential"),
    ("get", "/api/v1/costing/budget"),
    ("get", "/api/v1/costing/delivered"),
];

/// Who may use the route at all, and what they meet with an id that names nothing.
#[derive(Clone, Copy)]
enum Rule {
    /// Everyone signed in: nothing found.
    Absent,
    /// Only these roles; they find nothing (404), the others are refused (403).
    AbsentFor(&'static [Role]),
    /// Only these roles; they read a list or a form's refusal (`ok`), the others are refused.
    ListFor(&'static [Role], StatusCode),
}

const KEEPER: &[Role] = &[Role::Ministry];
const PROVIDER: &[Role] = &[Role::Provider];

fn bid_body() -> Value {
    json!({"price_per_unit": 100, "units": 1, "people": 1, "staff": "s", "method": "m"})
}

fn calls() -> Vec<(&'static str, String, Option<Value>, Rule)> {
    let id = uuid::Uuid::now_v7();
    let deadline = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let tender = json!({"title": "t", "service_code": "S05", "admin_units": ["TM-A-01"],
        "period_from": "2027-01-01", "period_to": "2027-12-31", "people": 1, "units": 1,
        "max_budget": 100, "specification": "s", "weights": {"price": 100, "method": 0, "staff": 0,
        "experience": 0, "rural_reach": 0}, "bid_deadline": deadline, "committee": ["nobody-here"]});
    vec![
        (
            "GET",
            "/tenders".into(),
            None,
            Rule::ListFor(
                &[Role::Ministry, Role::Provider, Role::Planner],
                StatusCode::OK,
            ),
        ),
        // The ministry reaches the form's refusal (no such committee member): nothing written.
        (
            "POST",
            "/tenders".into(),
            Some(tender.clone()),
            Rule::ListFor(KEEPER, StatusCode::UNPROCESSABLE_ENTITY),
        ),
        ("GET", format!("/tenders/{id}"), None, Rule::Absent),
        (
            "PUT",
            format!("/tenders/{id}"),
            Some(json!({"version": 1, "tender": tender})),
            Rule::AbsentFor(KEEPER),
        ),
        (
            "POST",
            format!("/tenders/{id}/actions"),
            Some(json!({"action": "approve", "version": 1})),
            Rule::AbsentFor(KEEPER),
        ),
        ("GET", format!("/tenders/{id}/bids"), None, Rule::Absent),
        (
            "POST",
            format!("/tenders/{id}/bids"),
            Some(bid_body()),
            Rule::AbsentFor(PROVIDER),
        ),
        ("GET", format!("/tenders/{id}/ranking"), None, Rule::Absent),
        (
            "POST",
            format!("/tenders/{id}/award"),
            Some(json!({"version": 1, "reason": "r"})),
            Rule::AbsentFor(KEEPER),
        ),
        (
            "POST",
            format!("/tenders/{id}/contract"),
            Some(
                json!({"ceiling": 1, "target_people": 1, "target_units": 1, "payment_schedule": "m"}),
            ),
            Rule::AbsentFor(KEEPER),
        ),
        ("GET", format!("/bids/{id}"), None, Rule::Absent),
        (
            "PUT",
            format!("/bids/{id}"),
            Some(bid_body()),
            Rule::AbsentFor(PROVIDER),
        ),
        (
            "POST",
            format!("/bids/{id}/actions"),
            Some(json!({"action": "submit", "version": 1})),
            Rule::AbsentFor(PROVIDER),
        ),
        (
            "POST",
            format!("/bids/{id}/conflicts"),
            Some(json!({"statement": "s"})),
            Rule::Absent,
        ),
        (
            "POST",
            format!("/bids/{id}/scores"),
            Some(json!({"scores": [{"criterion": "method", "score": 5}]})),
            Rule::Absent,
        ),
        (
            "GET",
            "/contracts".into(),
            None,
            Rule::ListFor(&[Role::Ministry, Role::Provider], StatusCode::OK),
        ),
        ("GET", format!("/contracts/{id}"), None, Rule::Absent),
        (
            "POST",
            format!("/contracts/{id}/actions"),
            Some(json!({"action": "suspend", "version": 1, "reason": "r"})),
            Rule::AbsentFor(KEEPER),
        ),
        (
            "GET",
            format!("/contracts/{id}/reports"),
            None,
            Rule::Absent,
        ),
        (
            "POST",
            format!("/contracts/{id}/reports"),
            Some(json!({"month": "2026-01"})),
            Rule::Absent,
        ),
        (
            "POST",
            format!("/reports/{id}/confirm"),
            Some(json!({"version": 1})),
            Rule::Absent,
        ),
        (
            "POST",
            format!("/reports/{id}/verify"),
            Some(json!({"version": 1})),
            Rule::Absent,
        ),
        (
            "POST",
            format!("/reports/{id}/payments"),
            Some(json!({"amount": 1})),
            Rule::AbsentFor(KEEPER),
        ),
        (
            "GET",
            "/contracting/late-reports".into(),
            None,
            Rule::ListFor(&[Role::Ministry, Role::Provider], StatusCode::OK),
        ),
        (
            "GET",
            "/contracting/comparison?service=S05&from=2026-01-01&to=2026-12-31".into(),
            None,
            Rule::ListFor(&[Role::Ministry, Role::Planner], StatusCode::OK),
        ),
        // The cost model (item 7): planners and the ministry.
        (
            "GET",
            "/costing/unit-costs".into(),
            None,
            Rule::ListFor(&[Role::Ministry, Role::Planner], StatusCode::OK),
        ),
        (
            "GET",
            "/costing/community-vs-residential".into(),
            None,
            Rule::ListFor(&[Role::Ministry, Role::Planner], StatusCode::OK),
        ),
        (
            "GET",
            "/costing/budget?population=1000000&start=0.0002&target=0.001&from=2027&to=2030".into(),
            None,
            Rule::ListFor(&[Role::Ministry, Role::Planner], StatusCode::OK),
        ),
        (
            "GET",
            "/costing/delivered?from=2026-01-01&to=2026-12-31".into(),
            None,
            Rule::ListFor(&[Role::Ministry, Role::Planner], StatusCode::OK),
        ),
    ]
}

fn expected(role: Option<Role>, rule: Rule) -> StatusCode {
    let Some(role) = role else {
        return StatusCode::UNAUTHORIZED;
    };
    match rule {
        Rule::Absent => StatusCode::NOT_FOUND,
        Rule::AbsentFor(roles) if roles.contains(&role) => StatusCode::NOT_FOUND,
        Rule::ListFor(roles, ok) if roles.contains(&role) => ok,
        _ => StatusCode::FORBIDDEN,
    }
}

#[tokio::test]
async fn every_role_meets_the_contracting_routes_as_the_table_says() {
    for db in databases().await {
        let w = world(db.open().await).await;
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                _ => "TM-A",
            };
            let t = token(&w.store, &format!("contracting-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (method, path, body, rule) in calls() {
            for (who, role, auth) in &callers {
                let url = format!("{}/api/v1{path}", w.base);
                let mut req = match method {
                    "GET" => c.get(url),
                    "PUT" => c.put(url),
                    _ => c.post(url),
                };
                if let Some(b) = &body {
                    req = req.json(b);
                }
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let got = req.send().await.unwrap().status();
                let want = expected(*role, rule);
                if got != want {
                    failures.push(format!(
                        "{} {method} {path} as {who}: {got}, expected {want}",
                        db.backend
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
