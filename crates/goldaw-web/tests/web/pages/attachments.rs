//! The case page's attachments through the browser's form, on every backend.

use super::common::{client, csrf_of, sign_in};
use super::PASSWORD;
use goldaw_core::codes::{ReferralSource, Role};
use goldaw_store::cases::NewReferral;
use goldaw_store::testing::databases;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};

const BOUNDARY: &str = "----goldawFormBoundary";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR page test";

/// A multipart body as a browser sends the form: the token first, then the kind and the file.
fn form(csrf: &str, kind: &str, file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn a_supervisor_attaches_a_file_through_the_case_page_and_downloads_it() {
    for db in databases().await {
        let key = goldaw_store::crypto::Secrets::from_key([8u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
        let op = Principal::system("test");
        store
            .add_user(
                &op,
                NewUser {
                    username: "sup".into(),
                    role: Role::Supervisor,
                    scope: "TM-A".parse().unwrap(),
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
                serde_json::from_value(
                    serde_json::json!({"given_name": "Maral", "sex": "F", "admin_unit": "TM-A-01"}),
                )
                .unwrap(),
            )
            .await
            .unwrap();
        let case = store
            .register_referral(
                &op,
                NewReferral {
                    person: person.id,
                    admin_unit: "TM-A-01".parse().unwrap(),
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
        let base = crate::common::TestApp::spawn(&store).await.base;
        let (_, session) = sign_in(&base, "sup", PASSWORD).await;
        let cookie = format!("{}; goldaw_lang=en", session.unwrap());
        let c = client();
        let page_url = format!("{base}/cases/{}", case.id);
        let page = c
            .get(&page_url)
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"attachment-form\""), "{page}");
        assert!(page.contains("enctype=\"multipart/form-data\""));
        assert!(page.contains("accept=\".pdf,.jpg,.jpeg,.png\""));
        assert!(page.contains("Court order"), "the kinds are translated");
        let csrf = csrf_of(&page);
        let post = |body: Vec<u8>| {
            c.post(format!("{base}/cases/{}/attachments", case.id))
                .header(header::COOKIE, &cookie)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(body)
                .send()
        };

        // Refusals are pages with a translated sentence, and keep nothing.
        let r = post(form(
            &csrf,
            "consent_form",
            "consent.pdf",
            b"<html>not a pdf</html>",
        ))
        .await
        .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{}",
            db.backend
        );
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Only PDF, JPEG and PNG files can be attached"));
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(5 * 1024 * 1024 + 1, b' ');
        let r = post(form(&csrf, "other", "scan.pdf", &big)).await.unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("larger than the limit of 5 MiB"));
        let r = post(form("forged", "photo", "a.png", PNG)).await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "a forged form reads no file"
        );
        let r = post(form(&csrf, "", "a.png", PNG)).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Choose what kind of document it is"));
        assert!(store
            .case_attachments(&op, case.id)
            .await
            .unwrap()
            .is_empty());

        // The form as a browser sends it: back to the case, where the file is listed.
        let r = post(form(&csrf, "photo", "Maral öýde.png", PNG))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", db.backend);
        assert_eq!(
            r.headers()[header::LOCATION],
            format!("/cases/{}#attachments", case.id)
        );
        let page = c
            .get(&page_url)
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let listed = store.case_attachments(&op, case.id).await.unwrap();
        assert_eq!(listed.len(), 1);
        let link = format!("/attachments/{}", listed[0].id);
        assert!(page.contains(&link), "{page}");
        assert!(page.contains("Maral öýde.png"));
        assert!(
            page.contains("Document attached"),
            "the case history says so"
        );
        let r = c
            .get(format!("{base}{link}"))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "image/png");
        assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    }
}
