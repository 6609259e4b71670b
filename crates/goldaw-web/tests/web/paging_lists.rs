//! Issue #24, the remaining lists in the browser and the API: the provider's inbox and the users
//! page link to their next page and refuse a damaged link with a reason; the inbox's API names
//! the next page in a `Link` header; the audit page checks the events since its last check and
//! offers the whole chain on demand (a changed event found: tests/store/paging_lists.rs).

use crate::common::{api_client_for, TestApp};
use goldaw_core::codes::Role;
use goldaw_store::referrals::{NewProvider, ProviderKind};
use reqwest::StatusCode;

const PASSWORD: &str = "Köpetdag dagy 2942 m";

goldaw_store::each_backend! {
    async fn the_inbox_users_and_audit_pages_page_and_check_from_the_checkpoint(db: TestDb) {
        let store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        let op = goldaw_store::Principal::system("test");
        store
            .create_provider(&op, NewProvider {
                external_id: "PR-Y".into(),
                name: "Ýeňme".into(),
                kind: ProviderKind::Ngo,
                admin_unit: Some("TM-A-01".parse().unwrap()),
            })
            .await
            .unwrap();
        app.account("yenme", Role::Provider, "provider:PR-Y", PASSWORD).await;
        app.account("root", Role::Admin, "TM", PASSWORD).await;
        app.account("aman", Role::SocialWorker, "TM-A-01", PASSWORD).await;

        // The inbox: the count of open referrals; a damaged link refused with a reason.
        let yenme = app.sign_in("yenme", PASSWORD).await;
        let (status, page) = app.page(&yenme, "/provider").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"inbox-open\""), "{page}");
        assert!(!page.contains("id=\"next-page\""));
        let (status, page) = app.page(&yenme, "/provider?after=zz").await;
        assert!(status.is_client_error(), "{status}");
        assert!(!page.contains("id=\"inbox-open\""), "{page}");

        // The API: the array as before, the next page in a Link header, bad input a 4xx.
        let api = api_client_for(&store, &app.base, "yenme-api", Role::Provider, "provider:PR-Y").await;
        let (status, body) = api.send("GET", "/provider/referrals?limit=5", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.as_array().is_some_and(Vec::is_empty), "{body}");
        let (status, body) = api.send("GET", "/provider/referrals?after=zz", None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = api.send("GET", "/provider/referrals?limit=x", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

        // The users page: every account on the first page here (fewer than 50), no next link;
        // a page after "r" starts at "root"; a damaged link refused; a worker refused.
        let root = app.sign_in("root", PASSWORD).await;
        let (status, page) = app.page(&root, "/admin/users").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("aman") && page.contains("yenme"), "{page}");
        assert!(!page.contains("id=\"next-page\""));
        let after_r = goldaw_core::paging::encode_cursor(&["r"]);
        let (status, page) = app.page(&root, &format!("/admin/users?after={after_r}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("yenme") && !page.contains("value=\"aman\""), "{page}");
        let (status, _) = app.page(&root, "/admin/users?after=zz").await;
        assert!(status.is_client_error(), "{status}");
        let aman = app.sign_in("aman", PASSWORD).await;
        let (status, _) = app.page(&aman, "/admin/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The audit page: the first view checks the whole chain, the next only what came since,
        // with a link to check the whole chain.
        let (status, page) = app.page(&root, "/admin/audit").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"verify-all\""), "{page}");
        let (status, page) = app.page(&root, "/admin/audit").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("häzir barlandy"), "{page}"); // tk: "checked now"
        let (status, page) = app.page(&root, "/admin/audit?verify=all").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Žurnal bitewi") && !page.contains("id=\"verify-all\""), "{page}");
    }
}
