//! The case page's transfer form offers the other etraps to a reader who may ask for a transfer,
//! and no form to one who may not (the choices are built only in the first case); on every
//! backend.

use goldaw_core::codes::Role;
use reqwest::{header, StatusCode};

use crate::common;
use common::{add_account, allocated_case, client, sign_in};

const PASSWORD: &str = "Garagum 350000 km2";

goldaw_store::each_backend! {
    async fn the_transfer_choices_are_shown_to_those_who_may_ask_for_a_transfer(db: TestDb) {
        let store = db.open_with_key().await;
        let base = crate::common::TestApp::spawn(&store).await.base;
        for (name, role) in [
            ("sup", Role::Supervisor),
            ("aman", Role::SocialWorker),
            ("maral", Role::SocialWorker),
        ] {
            add_account(&store, name, role, "TM-A-05", PASSWORD).await;
        }
        let case = allocated_case(&store, "TM-A-05", "aman").await;
        let c = client();
        let page = |who: &'static str| {
            let (c, base, id) = (c.clone(), base.clone(), case.id);
            async move {
                let session = sign_in(&base, who, PASSWORD).await.1.unwrap();
                let r = c
                    .get(format!("{base}/cases/{id}"))
                    .header(header::COOKIE, session)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{who}");
                r.text().await.unwrap()
            }
        };
        // The supervisor may ask: every other etrap is offered, the case's own is not.
        let sup = page("sup").await;
        assert!(sup.contains("name=\"transfer_to\""), "{}", db.backend);
        assert!(sup.contains("<option value=\"TM-A-01\">"), "{}", db.backend);
        assert!(
            !sup.contains("<option value=\"TM-A-05\">"),
            "{}",
            db.backend
        );
        // A worker in scope to whom the case is not assigned reads it but may not ask.
        let maral = page("maral").await;
        assert!(maral.contains(&case.number), "{}", db.backend);
        assert!(!maral.contains("name=\"transfer_to\""), "{}", db.backend);
        assert!(
            !maral.contains("<option value=\"TM-A-01\">"),
            "{}",
            db.backend
        );
        store.close().await;
    }
}
