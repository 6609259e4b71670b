//! The merge routes of the authorization matrix: every role, in and out of scope.

use super::{token, world};
use goldaw_core::codes::Role;
use goldaw_store::testing::databases;
use goldaw_store::Principal;
use reqwest::StatusCode;
use serde_json::json;

pub const RULED: [(&str, &str); 3] = [
    ("post", "/api/v1/persons/{id}/merge"),
    ("get", "/api/v1/merges/{id}"),
    ("post", "/api/v1/merges/{id}/undo"),
];

/// Merging a person into themselves, so that no call changes anything: a supervisor in scope
/// reaches the rules (409), out of scope the record is absent (404); nobody else may merge.
fn expected(role: Option<Role>, inside: bool) -> StatusCode {
    match role {
        None => StatusCode::UNAUTHORIZED,
        Some(Role::Supervisor) if inside => StatusCode::CONFLICT,
        Some(Role::Supervisor) => StatusCode::NOT_FOUND,
        Some(_) => StatusCode::FORBIDDEN,
    }
}

#[tokio::test]
async fn only_a_supervisor_in_scope_reaches_the_merge_rules() {
    for db in databases().await {
        let w = world(db.open().await).await;
        let op = Principal::system("test");
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor => "TM-A",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("merge-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (who, role, auth) in &callers {
            for inside in [true, false] {
                let person = if inside { &w.person_in } else { &w.person_out };
                let version = w
                    .store
                    .person(&op, person.parse().unwrap())
                    .await
                    .unwrap()
                    .version;
                let mut req = c
                    .post(format!("{}/api/v1/persons/{person}/merge", w.base))
                    .json(&json!({"merged": person, "kept_version": version, "merged_version": version}));
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let got = req.send().await.unwrap().status();
                let want = expected(*role, inside);
                if got != want {
                    failures.push(format!(
                        "{who:>14} {:3} got {got}, expected {want}",
                        if inside { "in" } else { "out" }
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

/// A merge as recorded and undoing it, with an id that names no merge: a supervisor gets 404
/// (the answer for a merge outside scope too), anyone else 403, nobody learns more.
#[tokio::test]
async fn only_a_supervisor_reaches_a_merge_record_and_its_undo() {
    for db in databases().await {
        let w = world(db.open().await).await;
        let c = reqwest::Client::new();
        let id = uuid::Uuid::new_v4();
        let mut failures = Vec::new();
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("undo-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        for (who, role, auth) in &callers {
            let want = match role {
                None => StatusCode::UNAUTHORIZED,
                Some(Role::Supervisor) => StatusCode::NOT_FOUND,
                Some(_) => StatusCode::FORBIDDEN,
            };
            for undo in [false, true] {
                let mut req = if undo {
                    c.post(format!("{}/api/v1/merges/{id}/undo", w.base))
                        .json(&json!({"kept_version": 1}))
                } else {
                    c.get(format!("{}/api/v1/merges/{id}", w.base))
                };
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let got = req.send().await.unwrap().status();
                if got != want {
                    failures.push(format!("{who:>14} undo={undo} got {got}, expected {want}"));
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
