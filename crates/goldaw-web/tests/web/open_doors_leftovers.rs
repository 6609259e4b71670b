//! Issue #23's leftovers in the browser's pages: an admin issues a key to a named person of a
//! partner organisation on `/partners` (a key without a holder refused), the key works in the
//! partner API, and revoking that one key ends it; the abuse limits are set on
//! `/directory/manage` within bounds (out of bounds refused, nothing changed).

use crate::common::TestApp;
use goldaw_core::codes::Role;
use goldaw_core::partners::PartnerKind;
use goldaw_store::partners::NewPartner;
use goldaw_store::Principal;
use reqwest::StatusCode;

const PASSWORD: &str = "Köpetdag dagy 2942 m";

goldaw_store::each_backend! {
    async fn an_admin_issues_and_revokes_a_persons_partner_key_and_sets_the_limits(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        let op = Principal::system("test");
        let school = store
            .create_partner(&op, NewPartner { name: "School 12".into(), kind: PartnerKind::School, admin_unit: "TM-A-05".parse().unwrap() })
            .await
            .unwrap();
        app.account("root", Role::Admin, "TM", PASSWORD).await;
        let root = app.sign_in("root", PASSWORD).await;

        // No holder: refused with a reason, no key.
        let r = app.submit(&root, "/partners", &format!("/partners/{}/keys", school.id), &[("holder", " ")]).await;
        assert!(r.status().is_client_error(), "{b}: {}", r.status());
        assert!(store.list_partner_keys(&op).await.unwrap().is_empty(), "{b}");
        // Named: the key is shown once, the register lists its holder.
        let r = app.submit(&root, "/partners", &format!("/partners/{}/keys", school.id), &[("holder", "Mrs Orazowa")]).await;
        assert_eq!(r.status(), StatusCode::OK, "{b}");
        let page = r.text().await.unwrap();
        let key = page.split("<code id=\"issued-key\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        assert!(key.starts_with("gpk_"), "{b}: {key}");
        assert!(page.contains("Mrs Orazowa"), "{b}: {page}");
        let http = reqwest::Client::new();
        let list = |key: String| {
            let http = http.clone();
            let url = format!("{}/api/v1/partner/referrals", app.base);
            async move { http.get(url).bearer_auth(key).send().await.unwrap().status() }
        };
        assert_eq!(list(key.clone()).await, StatusCode::OK, "{b}");
        // Revoked alone: the key stops working.
        let id = store.list_partner_keys(&op).await.unwrap()[0].id.to_string();
        let r = app.submit(&root, "/partners", &format!("/partners/{}/revoke-key", school.id), &[("key", id.as_str())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        assert_eq!(list(key).await, StatusCode::UNAUTHORIZED, "{b}");

        // The limits: out of bounds refused, nothing changed; within bounds saved.
        let before = store.public_switches().await.unwrap();
        let fields = |per: &'static str| [("directory", "on"), ("requests", "on"), ("form_min_seconds", "4"), ("per_address_per_hour", per), ("global_per_hour", "200"), ("retention_days", "30")];
        let r = app.submit(&root, "/directory/manage", "/directory/manage/switches", &fields("0")).await;
        assert!(r.status().is_client_error(), "{b}: {}", r.status());
        assert_eq!(store.public_switches().await.unwrap(), before, "{b}");
        let r = app.submit(&root, "/directory/manage", "/directory/manage/switches", &fields("5")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let now = store.public_switches().await.unwrap();
        assert_eq!((now.per_address_per_hour, now.retention_days), (5, 30), "{b}");
        let (_, page) = app.page(&root, "/directory/manage").await;
        assert!(page.contains("name=\"per_address_per_hour\" min=\"1\" max=\"100\" value=\"5\""), "{b}");
    }
}
