//! A refusal of input by the store reaches the page in the reader's language, not in the store's
//! English (`StoreError::saying`, `i18n/*/store.ftl`); on every backend.

use goldaw_core::codes::Role;
use goldaw_store::Principal;
use reqwest::{header, StatusCode};

use crate::common;
use common::{add_account, allocated_case, client, csrf_of, sign_in};

const PASSWORD: &str = "Garagum 350000 km2";

goldaw_store::each_backend! {
    async fn an_empty_note_is_refused_in_the_readers_language_and_nothing_is_written(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let base = crate::common::TestApp::spawn(&store).await.base;
        let op = Principal::system("test");
        add_account(&store, "aman", Role::SocialWorker, "TM-A-05", PASSWORD).await;
        let case = allocated_case(&store, "TM-A-05", "aman").await;
        let c = client();
        let session = sign_in(&base, "aman", PASSWORD).await.1.unwrap();
        for (lang, expected, english) in [
            ("ru", "запись не может быть пустой", false),
            ("tk", "bellik boş bolup bilmez", false),
            ("en", "a note needs some text", true),
        ] {
            let cookies = format!("{session}; goldaw_lang={lang}");
            let page = c
                .get(format!("{base}/cases/{}", case.id))
                .header(header::COOKIE, &cookies)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let r = c
                .post(format!("{base}/cases/{}/notes", case.id))
                .header(header::COOKIE, &cookies)
                .form(&[
                    ("csrf", csrf_of(&page).as_str()),
                    ("kind", "phone_call"),
                    ("text", "   "),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b} {lang}");
            let text = r.text().await.unwrap();
            assert!(text.contains(expected), "{b} {lang}: {text}");
            if !english {
                // The store's English sentence stays out of a Russian or Turkmen page.
                assert!(!text.contains("a note needs some text"), "{b} {lang}");
            }
        }
        assert!(
            store.case_notes(&op, case.id).await.unwrap().is_empty(),
            "{b}: a refused note is not written"
        );
        store.close().await;
    }
}
