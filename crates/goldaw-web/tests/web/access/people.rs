//! The people routes of issue #19 in the authorization matrix: every role, in and out of scope.

use super::{token, world};
use goldaw_core::codes::Role;
use goldaw_store::testing::databases;
use reqwest::StatusCode;
use serde_json::Value;

pub const RULED: [(&str, &str); 3] = [
    ("get", "/api/v1/persons/likely-duplicates"),
    ("get", "/api/v1/persons/probable-duplicates"),
    ("get", "/api/v1/persons/{id}/file"),
];

/// The duplicate check: who registers people or reads them may ask (the hotline at intake);
/// anyone else is refused. Out of scope it answers, with nobody in it.
fn expected(role: Option<Role>) -> StatusCode {
    match role {
        None => StatusCode::UNAUTHORIZED,
        Some(Role::SocialWorker | Role::Supervisor | Role::Hotline) => StatusCode::OK,
        Some(_) => StatusCode::FORBIDDEN,
    }
}

#[tokio::test]
async fn only_who_registers_or_reads_people_checks_for_duplicates() {
    for db in databases().await {
        let w = world(db.open().await).await;
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("dup-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (who, role, auth) in &callers {
            for unit in ["TM-A-01", "TM-S-02"] {
                // The world's people are named Ýusup.
                let mut req = c.get(format!(
                    "{}/api/v1/persons/likely-duplicates?given_name=%C3%9Dusup&admin_unit={unit}",
                    w.base
                ));
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let r = req.send().await.unwrap();
                let got = r.status();
                if got != expected(*role) {
                    failures.push(format!("{who} {unit}: {got}"));
                } else if got == StatusCode::OK && unit == "TM-S-02" {
                    let body: Value = r.json().await.unwrap();
                    if !body["items"].as_array().unwrap().is_empty() {
                        failures.push(format!("{who} {unit}: someone out of scope: {body}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}: {failures:#?}", db.backend);
    }
}

/// A person's file: who reads people, in scope (404 outside it); the probable duplicates:
/// supervisors only (they merge).
#[tokio::test]
async fn only_who_reads_people_sees_a_file_and_only_supervisors_the_probable_duplicates() {
    for db in databases().await {
        let w = world(db.open().await).await;
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("file-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (who, role, auth) in &callers {
            let reads = matches!(role, Some(Role::SocialWorker | Role::Supervisor));
            let checks = [
                (
                    format!("/api/v1/persons/{}/file", w.person_in),
                    match role {
                        None => StatusCode::UNAUTHORIZED,
                        Some(_) if reads => StatusCode::OK,
                        Some(_) => StatusCode::FORBIDDEN,
                    },
                ),
                (
                    format!("/api/v1/persons/{}/file", w.person_out),
                    match role {
                        None => StatusCode::UNAUTHORIZED,
                        Some(_) if reads => StatusCode::NOT_FOUND,
                        Some(_) => StatusCode::FORBIDDEN,
                    },
                ),
                (
                    "/api/v1/persons/probable-duplicates".to_owned(),
                    match role {
                        None => StatusCode::UNAUTHORIZED,
                        Some(Role::Supervisor) => StatusCode::OK,
                        Some(_) => StatusCode::FORBIDDEN,
                    },
                ),
                (
                    "/api/v1/persons/probable-duplicates?admin_unit=TM-S-02".to_owned(),
                    match role {
                        None => StatusCode::UNAUTHORIZED,
                        Some(Role::Supervisor) => StatusCode::NOT_FOUND,
                        Some(_) => StatusCode::FORBIDDEN,
                    },
                ),
            ];
            for (path, want) in checks {
                let mut req = c.get(format!("{}{path}", w.base));
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let r = req.send().await.unwrap();
                let got = r.status();
                if got != want {
                    failures.push(format!("{who} {path}: got {got}, expected {want}"));
                } else if got == StatusCode::OK && path.ends_with("/file") {
                    let body: Value = r.json().await.unwrap();
                    if body["person"]["id"] != w.person_in.as_str() {
                        failures.push(format!("{who} {path}: {body}"));
                    }
                } else if got == StatusCode::OK {
                    // The list says how many people it checked and whom it could not check whole.
                    let body: Value = r.json().await.unwrap();
                    if body["checked"].as_u64().is_none_or(|n| n < 1)
                        || !body["incomplete"].is_array()
                    {
                        failures.push(format!("{who} {path}: {body}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}: {failures:#?}", db.backend);
    }
}
