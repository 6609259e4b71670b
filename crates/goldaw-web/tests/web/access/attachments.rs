//! The attachment routes of the authorization matrix: every role, in and out of scope.

use super::{token, world};
use goldaw_core::attachments::{AttachmentKind, UploadedFile};
use goldaw_core::codes::{ReferralSource, Role};
use goldaw_store::cases::NewReferral;
use goldaw_store::testing::databases;
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;

pub const RULED: [(&str, &str); 3] = [
    ("get", "/api/v1/cases/{id}/attachments"),
    ("post", "/api/v1/cases/{id}/attachments"),
    ("get", "/api/v1/attachments/{id}"),
];

/// A case in TM-A-01 (`inside`) or TM-S-02, unallocated, registered by the operator, with one
/// attachment. Staff who work cases read its documents in scope; only a supervisor (the case
/// is nobody's) adds one; the hotline and everyone else never see documents.
fn expected(role: Option<Role>, method: &str, path: &str, inside: bool) -> StatusCode {
    use StatusCode as S;
    let Some(role) = role else {
        return S::UNAUTHORIZED;
    };
    let staff = matches!(role, Role::SocialWorker | Role::Supervisor);
    match (method, path) {
        ("post", _) => match role {
            // The hotline may read the calls it registered: this one it did not.
            Role::Hotline => S::NOT_FOUND,
            _ if !staff => S::FORBIDDEN,
            _ if !inside => S::NOT_FOUND,
            Role::Supervisor => S::CREATED,
            _ => S::FORBIDDEN,
        },
        ("get", _) if !staff => S::FORBIDDEN,
        ("get", _) if inside => S::OK,
        ("get", _) => S::NOT_FOUND,
        _ => panic!("no rule for {method} {path}"),
    }
}

const BOUNDARY: &str = "matrix-boundary";

fn upload_body() -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nother\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 x\r\n\
         --{BOUNDARY}--\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn the_attachment_routes_hold_for_every_role_in_and_out_of_scope() {
    for db in databases().await {
        let key = goldaw_store::crypto::Secrets::from_key([6u8; 32]);
        let w = world(Store::open_with_secrets(&db.url, Some(key)).await.unwrap()).await;
        let op = Principal::system("test");
        let mut targets = Vec::new();
        for (unit, person) in [("TM-A-01", &w.person_in), ("TM-S-02", &w.person_out)] {
            let case = w
                .store
                .register_referral(
                    &op,
                    NewReferral {
                        person: person.parse().unwrap(),
                        admin_unit: unit.parse().unwrap(),
                        referral_source: ReferralSource::School,
                        referrer: None,
                        concern: None,
                        provisional_priority: None,
                        sensitive: false,
                        household_case: false,
                    },
                )
                .await
                .unwrap();
            let file =
                UploadedFile::parse(Some("a.png"), b"\x89PNG\r\n\x1a\n...".to_vec()).unwrap();
            let attachment = w
                .store
                .add_attachment(&op, case.id, AttachmentKind::Photo, file)
                .await
                .unwrap();
            targets.push((case.id, attachment.id));
        }
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor => "TM-A",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("att-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (who, role, auth) in &callers {
            for (method, route) in RULED {
                for inside in [true, false] {
                    let (case, attachment) = targets[usize::from(!inside)];
                    let path = route
                        .replace("cases/{id}", &format!("cases/{case}"))
                        .replace("attachments/{id}", &format!("attachments/{attachment}"));
                    let url = format!("{}{path}", w.base);
                    let mut req = match method {
                        "get" => c.get(&url),
                        _ => c
                            .post(&url)
                            .header(
                                "content-type",
                                format!("multipart/form-data; boundary={BOUNDARY}"),
                            )
                            .body(upload_body()),
                    };
                    if let Some(a) = auth {
                        req = req.header("Authorization", a);
                    }
                    let got = req.send().await.unwrap().status();
                    let want = expected(*role, method, route, inside);
                    if got != want {
                        failures.push(format!(
                            "{who:>14} {method:4} {route:34} {:3} got {got}, expected {want}",
                            if inside { "in" } else { "out" }
                        ));
                    }
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
