//! A refusal of input by the store reaches the page in the reader's language, not in the store's
//! English (`StoreError::saying`, `i18n/*/store.ftl`); on every backend.

use goldaw_core::codes::{ReferralSource, Role};
use goldaw_store::cases::NewReferral;
use goldaw_store::testing::databases;
use goldaw_store::users::NewUser;
use goldaw_store::Principal;
use reqwest::{header, StatusCode};
use serde_json::json;

mod common;
use common::{client, csrf_of, sign_in};

const PASSWORD: &str = "Garagum 350000 km2";

#[tokio::test]
async fn an_empty_note_is_refused_in_the_readers_language_and_nothing_is_written() {
    for db in databases().await {
        let b = db.backend;
        let store = db.open_with_key().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(goldaw_web::serve(store.clone(), listener));
        let op = Principal::system("test");
        store
            .add_user(
                &op,
                NewUser {
                    username: "aman".into(),
                    role: Role::SocialWorker,
                    scope: "TM-A-05".parse().unwrap(),
                    sensitive: false,
                    unsuppressed: false,
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        let person = store
            .create_person(
                &op,
                None,
                serde_json::from_value(json!({"given_name": "Aýna", "family_name": "Saparowa",
                    "sex": "F", "birth_date": "1991-09-09", "admin_unit": "TM-A-05"}))
                .unwrap(),
            )
            .await
            .unwrap();
        let case = store
            .register_referral(
                &op,
                NewReferral {
                    person: person.id,
                    admin_unit: "TM-A-05".parse().unwrap(),
                    referral_source: ReferralSource::Health,
                    referrer: None,
                    concern: None,
                    provisional_priority: None,
                    sensitive: false,
                    household_case: false,
                },
            )
            .await
            .unwrap();
        store
            .allocate_case(&op, case.id, case.version, "aman")
            .await
            .unwrap();
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
