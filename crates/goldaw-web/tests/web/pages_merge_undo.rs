//! A merge as recorded, and undoing it from its page: the supervisor is sent to the merge's page
//! after merging, undoes it there (in Turkmen), and the two records are separate again; undoing
//! twice is refused with the reason. On every backend.

use goldaw_core::codes::Role;
use goldaw_core::people::PersonData;
use goldaw_store::Principal;
use reqwest::{header, StatusCode};
use serde_json::json;

use crate::common;
use common::{add_account, client, csrf_of, sign_in};

const PASSWORD: &str = "Garagum 350000 km2";

fn value_after<'a>(page: &'a str, marker: &str) -> &'a str {
    let start = page.find(marker).expect(marker) + marker.len();
    let rest = &page[start..];
    &rest[..rest.find('"').unwrap()]
}

goldaw_store::each_backend! {
    async fn a_supervisor_undoes_a_merge_from_its_page(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let base = crate::common::TestApp::spawn(&store).await.base;
        let op = Principal::system("test");
        add_account(&store, "sup", Role::Supervisor, "TM-A-05", PASSWORD).await;
        let mut ids = Vec::new();
        for data in [
            json!({"given_name": "Aýna", "family_name": "Orazowa", "sex": "F", "admin_unit": "TM-A-05"}),
            json!({"given_name": "Ayna", "family_name": "Orazova", "sex": "F", "birth_date": "1990-04-02", "admin_unit": "TM-A-05"}),
        ] {
            let data: PersonData = serde_json::from_value(data).unwrap();
            ids.push(store.create_person(&op, None, data).await.unwrap().id);
        }
        let (kept, dup) = (ids[0], ids[1]);
        let c = client();
        let session = sign_in(&base, "sup", PASSWORD).await.1.unwrap();
        let cookies = format!("{session}; goldaw_lang=tk");
        let get = |path: String| {
            let (c, base, cookies) = (c.clone(), base.clone(), cookies.clone());
            async move {
                let r = c
                    .get(format!("{base}{path}"))
                    .header(header::COOKIE, cookies)
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };

        // Merge from the comparison page; the answer leads to the merge's own page.
        let (status, page) = get(format!("/people/merge?merged={dup}&kept={kept}")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let r = c
            .post(format!("{base}/people/merge"))
            .header(header::COOKIE, &cookies)
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("kept", &kept.to_string()),
                (
                    "kept_version",
                    value_after(&page, "name=\"kept_version\" value=\""),
                ),
                ("merged", &dup.to_string()),
                (
                    "merged_version",
                    value_after(&page, "name=\"merged_version\" value=\""),
                ),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let to = r.headers()[header::LOCATION].to_str().unwrap().to_owned();
        assert!(
            to.starts_with("/people/merge/") && to.ends_with("?done=true"),
            "{b}: {to}"
        );
        let merge_id = to["/people/merge/".len()..to.len() - "?done=true".len()].to_owned();
        let (status, page) = get(to.clone()).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("Birleşdirmäni ýatyrmak"), "{b}: {page}");
        assert!(page.contains("id=\"merge-undo\""), "{b}");
        assert_eq!(
            store.person(&op, dup).await.unwrap().id,
            kept,
            "{b}: merged"
        );

        // Undo it there (the form as the page has it).
        let undo_form = || {
            c.post(format!("{base}/people/merge/{merge_id}/undo"))
                .header(header::COOKIE, &cookies)
                .form(&[
                    ("csrf", csrf_of(&page)),
                    (
                        "kept_version",
                        value_after(&page, "name=\"kept_version\" value=\"").to_owned(),
                    ),
                ])
                .send()
        };
        let r = undo_form().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (status, done) = get(format!("/people/merge/{merge_id}?undone=true")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(done.contains("Birleşdirme ýatyryldy"), "{b}: {done}");
        assert!(done.contains("id=\"merge-undone\""), "{b}");
        assert!(
            !done.contains("id=\"merge-undo\""),
            "{b}: no second undo offered"
        );
        assert_eq!(
            store.person(&op, dup).await.unwrap().id,
            dup,
            "{b}: separate again"
        );

        // Undoing twice (an old form sent again) is refused with the reason, in Turkmen.
        let r = undo_form().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Bu birleşdirme eýýäm ýatyryldy"),
            "{b}"
        );
        store.close().await;
    }
}
