//! The routes of issue #20's items 4 and 5 in the authorization matrix, every role, in and out of
//! scope: a person's own data (supervisors, in scope), retention's years and dry run (the
//! ministry), legal holds (supervisors, on a case in scope). The writes are sent so that they
//! change nothing even where allowed (a stale version, an empty reason, no hold to lift).

use super::{token, world};
use goldaw_core::codes::{Priority, ReferralSource, Role};
use goldaw_store::cases::NewReferral;
use goldaw_store::testing::databases;
use goldaw_store::Principal;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const RULED: [(&str, &str); 7] = [
    ("get", "/api/v1/persons/{id}/own-data"),
    ("get", "/api/v1/retention/settings"),
    ("put", "/api/v1/retention/settings/{kind}"),
    ("get", "/api/v1/retention/plan"),
    ("get", "/api/v1/cases/{id}/legal-holds"),
    ("post", "/api/v1/cases/{id}/legal-holds"),
    ("post", "/api/v1/cases/{id}/legal-holds/lift"),
];

fn expected(role: Option<Role>, route: &str, inside: bool) -> StatusCode {
    use StatusCode as S;
    let Some(role) = role else {
        return S::UNAUTHORIZED;
    };
    match route {
        "own-data" | "holds" | "hold" | "lift" => {
            if role != Role::Supervisor {
                S::FORBIDDEN
            } else if !inside {
                S::NOT_FOUND
            } else {
                match route {
                    "own-data" | "holds" => S::OK,
                    // An empty reason; no hold to lift: refused, nothing written.
                    _ => S::UNPROCESSABLE_ENTITY,
                }
            }
        }
        "settings" | "plan" if role == Role::Ministry => S::OK,
        // A stale version: the ministry reaches the guard.
        "set-years" if role == Role::Ministry => S::CONFLICT,
        _ => S::FORBIDDEN,
    }
}

#[tokio::test]
async fn own_data_retention_and_legal_holds_follow_the_matrix() {
    for db in databases().await {
        let w = world(db.open_with_key().await).await;
        let op = Principal::system("test");
        let mut cases = Vec::new();
        for (person, unit) in [(&w.person_in, "TM-A-01"), (&w.person_out, "TM-S-02")] {
            let case = w
                .store
                .register_referral(
                    &op,
                    NewReferral {
                        person: person.parse().unwrap(),
                        admin_unit: unit.parse().unwrap(),
                        referral_source: ReferralSource::School,
                        referrer: None,
                        concern: Some("School reports absences".into()),
                        provisional_priority: Some(Priority::Support),
                        sensitive: false,
                        household_case: false,
                    },
                )
                .await
                .unwrap();
            cases.push(case.id.to_string());
        }
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor | Role::Ministry => "TM-A",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("retention-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (who, role, auth) in &callers {
            for inside in [true, false] {
                let (person, case) = if inside {
                    (&w.person_in, &cases[0])
                } else {
                    (&w.person_out, &cases[1])
                };
                let base = &w.base;
                let requests: Vec<(&str, reqwest::RequestBuilder)> = vec![
                    (
                        "own-data",
                        c.get(format!("{base}/api/v1/persons/{person}/own-data")),
                    ),
                    (
                        "settings",
                        c.get(format!("{base}/api/v1/retention/settings")),
                    ),
                    (
                        "set-years",
                        c.put(format!("{base}/api/v1/retention/settings/general"))
                            .json(&json!({"years": 6, "version": 0})),
                    ),
                    (
                        "plan",
                        c.get(format!("{base}/api/v1/retention/plan?as_of=2030-01-01")),
                    ),
                    (
                        "holds",
                        c.get(format!("{base}/api/v1/cases/{case}/legal-holds")),
                    ),
                    (
                        "hold",
                        c.post(format!("{base}/api/v1/cases/{case}/legal-holds"))
                            .json(&json!({"reason": "  "})),
                    ),
                    (
                        "lift",
                        c.post(format!("{base}/api/v1/cases/{case}/legal-holds/lift"))
                            .json(&json!({"version": 1, "reason": "no hold"})),
                    ),
                ];
                for (route, mut req) in requests {
                    if let Some(a) = auth {
                        req = req.header("Authorization", a);
                    }
                    let answer = req.send().await.unwrap();
                    let got = answer.status();
                    let want = expected(*role, route, inside);
                    if got != want {
                        let body = answer.text().await.unwrap_or_default();
                        failures.push(format!(
                            "{who:>14} {:3} {route}: got {got}, expected {want}: {body}",
                            if inside { "in" } else { "out" }
                        ));
                    } else if got == StatusCode::OK && route == "own-data" {
                        let v: Value = answer.json().await.unwrap();
                        assert_eq!(v["person"]["id"].as_str(), Some(person.as_str()));
                        assert_eq!(v["cases"][0]["case"]["concern"], "School reports absences");
                    }
                }
            }
        }
        // Nothing was written by the refused or stale requests.
        for case in &cases {
            assert!(w
                .store
                .legal_holds(&op, case.parse().unwrap())
                .await
                .unwrap()
                .is_empty());
        }
        let years = w.store.retention_settings(&op).await.unwrap();
        assert!(years.iter().all(|s| s.version == 1), "{years:?}");
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            db.backend,
            failures.join("\n")
        );
    }
}
