//! The statistics and DHIS2 routes of the authorization matrix: every role, in its own area and
//! asking for a unit outside it (statistics are always of the caller's own area, so "outside"
//! is the same question: nobody reads another area's figures).

use super::{token, world};
use goldaw_core::codes::Role;
use goldaw_store::testing::databases;
use reqwest::StatusCode;

pub const RULED: [(&str, &str); 3] = [
    ("get", "/api/v1/statistics"),
    ("get", "/api/v1/statistics/{indicator}"),
    ("get", "/api/v1/dhis2/data-value-sets"),
];

/// Reports are read by social workers, supervisors, planners and the ministry (providers have
/// no area); the DHIS2 export by planners and the ministry.
fn expected(role: Option<Role>, route: &str) -> StatusCode {
    let Some(role) = role else {
        return StatusCode::UNAUTHORIZED;
    };
    let reads = matches!(
        role,
        Role::SocialWorker | Role::Supervisor | Role::Planner | Role::Ministry
    );
    let exports = matches!(role, Role::Planner | Role::Ministry);
    let allowed = if route.contains("dhis2") {
        exports
    } else {
        reads
    };
    if allowed {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    }
}

#[tokio::test]
async fn statistics_are_read_by_report_roles_and_exported_by_planners_and_the_ministry() {
    for db in databases().await {
        let w = world(db.open_with_key().await).await;
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor | Role::Planner => "TM-A",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("stat-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (who, role, auth) in &callers {
            for (_, route) in RULED {
                let path = match route {
                    "/api/v1/statistics/{indicator}" => {
                        "/api/v1/statistics/service_users?period=2025&by=admin_unit".to_owned()
                    }
                    "/api/v1/dhis2/data-value-sets" => format!("{route}?period=2025Q1"),
                    other => other.to_owned(),
                };
                let mut req = c.get(format!("{}{path}", w.base));
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let got = req.send().await.unwrap().status();
                let want = expected(*role, route);
                if got != want {
                    failures.push(format!("{who:>14} {route:36} got {got}, expected {want}"));
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
