//! The survivor's path routes (issue #18) in the authorization matrix: every role, with ids and
//! a line code that name no record. A role allowed the route gets 404 (or its answer), any other
//! 403, and nobody learns more.

use super::{token, world};
use goldaw_core::codes::Role;
use goldaw_store::testing::databases;
use reqwest::StatusCode;
use serde_json::json;

pub const RULED: [(&str, &str); 16] = [
    ("post", "/api/v1/hotline/lines"),
    ("put", "/api/v1/hotline/lines/{code}/members"),
    ("get", "/api/v1/hotline/lines/{code}/calls"),
    ("get", "/api/v1/hotline/lines/{code}/call-backs"),
    ("post", "/api/v1/hotline/calls"),
    ("get", "/api/v1/hotline/calls/{id}"),
    ("post", "/api/v1/hotline/calls/{id}/case"),
    ("get", "/api/v1/cases/{id}/consents"),
    ("post", "/api/v1/cases/{id}/consents"),
    ("post", "/api/v1/consents/{id}/withdraw"),
    ("post", "/api/v1/cases/{id}/consent-overrides"),
    ("post", "/api/v1/cases/{id}/disclosures"),
    ("get", "/api/v1/cases/{id}/safety-plan"),
    ("post", "/api/v1/cases/{id}/safety-plan"),
    ("put", "/api/v1/cases/{id}/incident-date"),
    ("get", "/api/v1/survivors/statistics"),
];

fn expected(role: Option<Role>, path: &str) -> StatusCode {
    use StatusCode as S;
    let Some(role) = role else {
        return S::UNAUTHORIZED;
    };
    let when = |allowed: bool, answer: S| if allowed { answer } else { S::FORBIDDEN };
    let line_staff = matches!(role, Role::Hotline | Role::Supervisor);
    let reads_cases = matches!(role, Role::SocialWorker | Role::Supervisor | Role::Hotline);
    match path {
        "/api/v1/hotline/lines" => when(role == Role::Admin, S::CREATED),
        "/api/v1/hotline/lines/{code}/members" => when(role == Role::Admin, S::NOT_FOUND),
        p if p.starts_with("/api/v1/hotline/") => when(line_staff, S::NOT_FOUND),
        // Counts for those who read reports in an area (the provider's scope is none).
        "/api/v1/survivors/statistics" => when(
            matches!(
                role,
                Role::SocialWorker | Role::Supervisor | Role::Planner | Role::Ministry
            ),
            S::OK,
        ),
        _ => when(reads_cases, S::NOT_FOUND),
    }
}

#[tokio::test]
async fn the_survivor_routes_deny_every_role_without_the_permission() {
    for db in databases().await {
        let w = world(db.open_with_key().await).await;
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor => "TM-A",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("surv-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let nobody = "0190a0b0-0000-7000-8000-00000000000a";
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (i, (who, role, auth)) in callers.iter().enumerate() {
            for (method, route) in RULED.iter() {
                let path = route
                    .replace("{id}", nobody)
                    .replace("{code}", "NOPE")
                    .replace(
                    "/survivors/statistics",
                    "/survivors/statistics?measure=calls&from=2026-01-01&to=2026-03-31&by=category",
                );
                let url = format!("{}{path}", w.base);
                let body = match *route {
                    "/api/v1/hotline/lines" => json!({"code": format!("L{i}"), "name": "Line"}),
                    "/api/v1/hotline/lines/{code}/members" => {
                        json!({"user": nobody, "line_role": "operator"})
                    }
                    "/api/v1/hotline/calls" => json!({"line": "NOPE", "duration_seconds": 60,
                        "caller_age_band": "25-59", "about": "caller", "category": "information",
                        "outcome": "advice"}),
                    "/api/v1/hotline/calls/{id}/case" => {
                        json!({"admin_unit": "TM-A-01", "version": 1})
                    }
                    "/api/v1/cases/{id}/consents" => json!({"purpose": "police", "giver": "person",
                        "method": "signed"}),
                    "/api/v1/consents/{id}/withdraw" => json!({"case": nobody, "version": 1}),
                    "/api/v1/cases/{id}/consent-overrides" => json!({"purpose": "police",
                        "reason": "court_order", "note": "Order 4"}),
                    "/api/v1/cases/{id}/disclosures" => json!({"purpose": "police",
                        "recipient": "Police"}),
                    "/api/v1/cases/{id}/safety-plan" => json!({"revision": 0, "risk_level": "high",
                        "plan": {"risks": "r", "emergency": "e"}}),
                    "/api/v1/cases/{id}/incident-date" => {
                        json!({"incident_on": "2026-01-01", "version": 1})
                    }
                    _ => json!({}),
                };
                let mut req = match *method {
                    "get" => c.get(&url),
                    "put" => c.put(&url).json(&body),
                    _ => c.post(&url).json(&body),
                };
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let got = req.send().await.unwrap().status();
                let want = expected(*role, route);
                if got != want {
                    failures.push(format!(
                        "{who:>14} {method:4} {route:44} got {got}, expected {want}"
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            db.backend,
            failures.join("\n")
        );
    }
}
