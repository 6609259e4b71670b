//! "Who opened this case": the supervisor's link on the case page and the page it leads to, in the
//! reader's language; a social worker gets neither. On every backend.

use goldaw_core::codes::Role;
use reqwest::{header, StatusCode};

use crate::common;
use common::{add_account, allocated_case, client, sign_in};

const PASSWORD: &str = "Garagum 350000 km2";

goldaw_store::each_backend! {
    async fn a_supervisor_sees_who_opened_a_case_and_a_worker_does_not(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let base = crate::common::TestApp::spawn(&store).await.base;
        add_account(&store, "sup", Role::Supervisor, "TM-A-05", PASSWORD).await;
        add_account(&store, "aman", Role::SocialWorker, "TM-A-05", PASSWORD).await;
        let case = allocated_case(&store, "TM-A-05", "aman").await;
        let c = client();
        let get = |session: String, path: String| {
            let (c, base) = (c.clone(), base.clone());
            async move {
                let r = c
                    .get(format!("{base}{path}"))
                    .header(header::COOKIE, session)
                    .header(header::ACCEPT_LANGUAGE, "tk")
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let aman = sign_in(&base, "aman", PASSWORD).await.1.unwrap();
        let sup = sign_in(&base, "sup", PASSWORD).await.1.unwrap();

        // The worker opens the case: no link for her, and the page is refused.
        let (status, page) = get(aman.clone(), format!("/cases/{}", case.id)).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(!page.contains("id=\"access-link\""), "{b}");
        let (status, _) = get(aman.clone(), format!("/cases/{}/access", case.id)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}");

        // The supervisor has the link, and the page lists the worker's reading in Turkmen.
        let (status, page) = get(sup.clone(), format!("/cases/{}", case.id)).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(
            page.contains(&format!("href=\"/cases/{}/access\"", case.id)),
            "{b}: {page}"
        );
        let (status, page) = get(sup.clone(), format!("/cases/{}/access", case.id)).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("<h1>Bu işi kim açdy</h1>"), "{b}: {page}");
        let row = "<td>aman</td><td>127.0.0.1</td><td><code>case.read</code></td><td>iş</td>";
        assert!(page.contains(row), "{b}: {page}");
        // The supervisor's own reading of the case page is listed too, before it (newest first).
        let sup_row = page.find("<td>sup</td>").expect("the supervisor's reading");
        assert!(sup_row < page.find(row).unwrap(), "{b}");

        // No such case, or not a case id: not found.
        let (status, _) = get(
            sup.clone(),
            format!("/cases/{}/access", uuid::Uuid::new_v4()),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (status, _) = get(sup.clone(), "/cases/not-an-id/access".into()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
    }
}
