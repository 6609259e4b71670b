//! The workforce register's routes in the authorization matrix: every role against every route
//! (issue #22). A staff record outside the reader's sight answers 404, as one that does not exist;
//! a role that may not do something answers 403; bodies are built so that a permitted caller
//! reaches the rules (a stale version: 409; an unknown course: 422) and nothing else changes.

use super::{token, world};
use goldaw_core::codes::Role;
use goldaw_store::testing::databases;
use goldaw_store::workforce::{NewCourse, NewPost, NewStaff};
use goldaw_store::Principal;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const RULED: [(&str, &str); 16] = [
    ("get", "/api/v1/workforce/staff"),
    ("post", "/api/v1/workforce/staff"),
    ("get", "/api/v1/workforce/staff/{id}"),
    ("post", "/api/v1/workforce/staff/{id}/leave"),
    ("post", "/api/v1/workforce/staff/{id}/promotions"),
    ("post", "/api/v1/workforce/staff/{id}/training"),
    ("post", "/api/v1/workforce/staff/{id}/certifications"),
    ("get", "/api/v1/workforce/posts"),
    ("post", "/api/v1/workforce/posts"),
    ("put", "/api/v1/workforce/posts/{id}/holder"),
    ("get", "/api/v1/workforce/courses"),
    ("post", "/api/v1/workforce/courses"),
    ("post", "/api/v1/workforce/supervisions"),
    ("get", "/api/v1/workforce/supervision-tasks"),
    ("get", "/api/v1/workforce/plan"),
    ("put", "/api/v1/workforce/norms"),
];

/// What `role` gets on `route` (see the bodies in the test).
fn expected(role: Option<Role>, method: &str, route: &str) -> StatusCode {
    use Role::*;
    use StatusCode as S;
    let Some(role) = role else {
        return S::UNAUTHORIZED;
    };
    let keeper = matches!(role, Ministry | Supervisor);
    let yes = |ok: bool, status: S| if ok { status } else { S::FORBIDDEN };
    let record = |status: S| if keeper { status } else { S::NOT_FOUND };
    match (method, route.trim_start_matches("/api/v1/workforce")) {
        ("get", "/staff") => yes(keeper || role == SocialWorker, S::OK),
        ("post", "/staff") => yes(keeper, S::CREATED),
        ("get", "/staff/{id}") => record(S::OK),
        ("post", "/staff/{id}/leave") | ("post", "/staff/{id}/promotions") => record(S::CONFLICT),
        ("post", "/staff/{id}/training") | ("post", "/staff/{id}/certifications") => {
            record(S::UNPROCESSABLE_ENTITY)
        }
        ("get", "/posts") => yes(keeper || role == Planner, S::OK),
        ("post", "/posts") => yes(role == Ministry, S::CREATED),
        ("put", "/posts/{id}/holder") => record(S::CONFLICT),
        ("get", "/courses") => yes(keeper || role == SocialWorker, S::OK),
        ("post", "/courses") => yes(keeper, S::CREATED),
        ("post", "/supervisions") => yes(role == Supervisor, S::UNPROCESSABLE_ENTITY),
        ("get", "/supervision-tasks") => yes(keeper, S::OK),
        ("get", "/plan") => yes(matches!(role, Planner | Ministry), S::OK),
        ("put", "/norms") => yes(role == Ministry, S::OK),
        _ => panic!("no rule for {method} {route}"),
    }
}

#[tokio::test]
async fn the_workforce_routes_hold_for_every_role() {
    for db in databases().await {
        let w = world(db.open().await).await;
        let op = Principal::system("test");
        let staff_id = w
            .store
            .hire_staff(
                &op,
                serde_json::from_value::<NewStaff>(json!({
                    "external_id": "ACC-1", "given_name": "Aýna", "family_name": "Berdiýewa",
                    "admin_unit": "TM-A-01", "organisation": "MLSP", "org_kind": "state",
                    "position": "social_worker", "employment": "full_time", "hired_on": "2024-01-01"
                }))
                .unwrap(),
            )
            .await
            .unwrap()
            .id;
        let post_id = w
            .store
            .create_post(
                &op,
                NewPost {
                    external_id: "ACC-P".parse().unwrap(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    organisation: "MLSP".into(),
                    position: "social_worker".into(),
                    fte_percent: None,
                    funded_from: "2024-01-01".parse().unwrap(),
                },
            )
            .await
            .unwrap()
            .id;
        w.store
            .create_course(
                &op,
                NewCourse {
                    external_id: "ACC-C".parse().unwrap(),
                    topic: "Case management".into(),
                    hours: 8,
                    trainer: None,
                    starts_on: "2025-01-01".parse().unwrap(),
                    ends_on: "2025-01-01".parse().unwrap(),
                    place: None,
                },
            )
            .await
            .unwrap();
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor => "TM-A",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("wf-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let today = goldaw_core::deadlines::local_date(chrono::Utc::now()).to_string();
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        let mut n = 0;
        for (who, role, auth) in &callers {
            for (method, route) in RULED {
                n += 1;
                let path = match route {
                    r if r.starts_with("/api/v1/workforce/posts/{id}") => {
                        r.replace("{id}", &post_id.to_string())
                    }
                    r => r.replace("{id}", &staff_id.to_string()),
                };
                let body: Value = match (method, route.trim_start_matches("/api/v1/workforce")) {
                    ("post", "/staff") => json!({
                        "external_id": format!("ACC-H{n}"), "given_name": "Maral", "family_name": "Annaýewa",
                        "admin_unit": "TM-A-01", "organisation": "MLSP", "org_kind": "state",
                        "position": "social_worker", "employment": "full_time", "hired_on": "2025-01-01"}),
                    ("post", "/staff/{id}/leave") => {
                        json!({"version": 999, "left_on": "2025-01-01", "reason": "resigned"})
                    }
                    ("post", "/staff/{id}/promotions") => {
                        json!({"version": 999, "to_position": "senior_social_worker", "effective_on": "2025-01-01"})
                    }
                    ("post", "/staff/{id}/training") => {
                        json!({"course_id": uuid::Uuid::now_v7(), "status": "enrolled"})
                    }
                    ("post", "/staff/{id}/certifications") => {
                        json!({"name": "x", "certified_on": "2099-01-01"})
                    }
                    ("post", "/posts") => {
                        json!({"external_id": format!("ACC-P{n}"), "admin_unit": "TM-A-01",
                        "organisation": "MLSP", "position": "social_worker", "funded_from": "2025-01-01"})
                    }
                    ("put", "/posts/{id}/holder") => {
                        json!({"version": 999, "staff_id": staff_id, "since": "2024-06-01"})
                    }
                    ("post", "/courses") => {
                        json!({"external_id": format!("ACC-C{n}"), "topic": "Supervision", "hours": 4,
                        "starts_on": "2025-02-01", "ends_on": "2025-02-01"})
                    }
                    ("post", "/supervisions") => {
                        json!({"held_on": today, "form": "one_to_one", "workers": [staff_id]})
                    }
                    ("put", "/norms") => json!({"cpd_hours": 40, "supervisions_per_month": 1}),
                    _ => Value::Null,
                };
                let url = format!("{}{path}", w.base);
                let mut req = match method {
                    "get" => c.get(&url),
                    "post" => c.post(&url).json(&body),
                    _ => c.put(&url).json(&body),
                };
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let got = req.send().await.unwrap().status();
                let want = expected(*role, method, route);
                if got != want {
                    failures.push(format!(
                        "{who:>14} {method:4} {route:45} got {got}, expected {want}"
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
