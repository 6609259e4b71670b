//! Attachments through the JSON API, over real HTTP on 127.0.0.1, on every backend: files are
//! accepted by content and size only, refused with the right status and a message naming the
//! field, and downloaded byte for byte with headers that keep a browser from rendering them.

use goldaw_core::codes::{ReferralSource, Role};
use goldaw_store::cases::NewReferral;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: usize = 5 * 1024 * 1024;
const BOUNDARY: &str = "goldaw-test-boundary-7f3a";

/// One part of a multipart body: name, file name, declared content type, bytes.
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content_type, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(f) = file_name {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(t) = content_type {
            body.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn upload(&self, token: &str, case: &str, parts: &[Part<'_>]) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/api/v1/cases/{case}/attachments", self.base))
            .bearer_auth(token)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(parts))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
        )
    }

    async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

async fn token(store: &Store, name: &str, role: Role, scope: &str) -> String {
    let op = Principal::system("test");
    store
        .add_user(
            &op,
            NewUser {
                username: name.into(),
                role,
                scope: scope.parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap();
    store.create_token(&op, name).await.unwrap()
}

fn pdf(size: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n% goldaw test\n".to_vec();
    b.resize(size, b' ');
    b
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];

goldaw_store::each_backend! {
    async fn files_are_accepted_by_content_and_size_and_come_back_byte_for_byte(db: TestDb) {
        let key = goldaw_store::crypto::Secrets::from_key([5u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        tokio::spawn(goldaw_web::serve(store.clone(), listener));
        let api = Api {
            base,
            http: reqwest::Client::new(),
        };
        let sup = token(&store, "sup", Role::Supervisor, "TM-A").await;
        let provider = token(&store, "ngo", Role::Provider, "provider:PR1").await;
        let op = Principal::system("test");
        let person = store
            .create_person(
                &op,
                None,
                serde_json::from_value(
                    json!({"given_name": "Aýna", "sex": "F", "admin_unit": "TM-A-01"}),
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
        let id = case.id.to_string();
        let b = db.backend;

        // PDF, PNG and JPEG are accepted; the type is the content's, whatever was declared.
        let big_pdf = pdf(LIMIT);
        let accepted: [(&str, &str, &[u8], &str); 4] = [
            (
                "Razylyk haty.pdf",
                "consent_form",
                &pdf(2000),
                "application/pdf",
            ),
            ("surat.png", "photo", PNG, "image/png"),
            ("şahadatnama.jpeg", "identity_document", JPEG, "image/jpeg"),
            // Exactly the limit passes the route's body limit and the store's.
            ("scan.pdf", "medical_report", &big_pdf, "application/pdf"),
        ];
        let mut ids = Vec::new();
        for (name, kind, bytes, mime) in accepted {
            let (status, record) = api
                .upload(
                    &sup,
                    &id,
                    &[
                        ("kind", None, None, kind.as_bytes()),
                        ("file", Some(name), Some("application/octet-stream"), bytes),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{b} {name}: {record}");
            assert_eq!(record["content_type"], mime, "{b} {name}");
            assert_eq!(record["size"], bytes.len(), "{b} {name}");
            assert_eq!(record["author"], "sup");
            ids.push((
                record["id"].as_str().unwrap().to_owned(),
                bytes.to_vec(),
                mime,
            ));
        }

        // Refusals: status, code, and a message naming the field.
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0This program cannot be run in DOS mode";
        let too_big = pdf(LIMIT + 1);
        let refusals: Vec<(Vec<Part>, StatusCode, &str, &str)> = vec![
            (
                vec![
                    ("kind", None, None, b"consent_form"),
                    ("file", Some("consent.pdf"), Some("application/pdf"), html),
                ],
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                "PDF, JPEG or PNG",
            ),
            (
                vec![
                    ("kind", None, None, b"other"),
                    ("file", Some("report.pdf"), Some("application/pdf"), exe),
                ],
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                "file:",
            ),
            (
                vec![
                    ("kind", None, None, b"other"),
                    ("file", Some("scan.pdf"), None, &too_big),
                ],
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "5 MiB",
            ),
            (
                vec![
                    ("kind", None, None, b"other"),
                    ("file", Some("empty.pdf"), None, b""),
                ],
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "file: the file is empty",
            ),
            (
                vec![("kind", None, None, b"other")],
                StatusCode::BAD_REQUEST,
                "bad_request",
                "file: missing",
            ),
            (
                vec![("file", Some("a.pdf"), None, b"%PDF-1.4")],
                StatusCode::BAD_REQUEST,
                "bad_request",
                "kind: missing",
            ),
            (
                vec![
                    ("kind", None, None, b"selfie"),
                    ("file", Some("a.pdf"), None, b"%PDF-1.4"),
                ],
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "kind:",
            ),
            (
                vec![
                    ("kind", None, None, b"other"),
                    ("comment", None, None, b"x"),
                    ("file", Some("a.pdf"), None, b"%PDF-1.4"),
                ],
                StatusCode::BAD_REQUEST,
                "bad_request",
                "comment: unknown field",
            ),
        ];
        for (parts, status, code, words) in &refusals {
            let (got, err) = api.upload(&sup, &id, parts).await;
            assert_eq!(got, *status, "{b}: {err}");
            assert_eq!(err["error"]["code"], *code, "{b}: {err}");
            let message = err["error"]["message"].as_str().unwrap();
            assert!(message.contains(words), "{b}: '{words}' in {message}");
        }
        // Not multipart at all.
        let r = api
            .http
            .post(format!("{}/api/v1/cases/{id}/attachments", api.base))
            .bearer_auth(&sup)
            .json(&json!({"kind": "other"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{b}");

        // A body announced far larger is answered 413 before it is sent: the server reads the
        // headers and a little, not the 100 MiB.
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /api/v1/cases/{id}/attachments HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {sup}\r\n\
             Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
            100 * 1024 * 1024
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&[b'x'; 4096]).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
            .await
            .expect("the server answers without waiting for the body")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{b}: {answer}");
        assert!(answer.contains("too_large"), "{b}: {answer}");

        // Nothing of the refused files was kept; every kept file was audited.
        let list: Value = api
            .get(&sup, &format!("/cases/{id}/attachments"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            list.as_array().unwrap().len(),
            accepted.len(),
            "{b}: {list}"
        );
        let added = store
            .audit_events(
                &Principal::user(
                    uuid::Uuid::nil(),
                    "a",
                    Role::Admin,
                    "TM".parse().unwrap(),
                    false,
                ),
                &goldaw_store::audit::AuditQuery {
                    actor: Some("sup".into()),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == "case.attachment_add")
            .count();
        assert_eq!(added, accepted.len(), "{b}");

        // Downloads: the same bytes, the stored type, a safe name, never sniffed or cached.
        for (attachment, bytes, mime) in &ids {
            let r = api.get(&sup, &format!("/attachments/{attachment}")).await;
            assert_eq!(r.status(), StatusCode::OK);
            let h = r.headers().clone();
            assert_eq!(h[header::CONTENT_TYPE], *mime);
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(h[header::CACHE_CONTROL], "no-store");
            let disposition = h[header::CONTENT_DISPOSITION].to_str().unwrap().to_owned();
            assert!(
                disposition.starts_with("attachment; filename=\""),
                "{disposition}"
            );
            assert_eq!(r.bytes().await.unwrap().as_ref(), bytes.as_slice(), "{b}");
            if *mime == "image/jpeg" {
                // A Turkmen name: ASCII in filename=, the whole name in filename*.
                assert!(
                    disposition.contains("filename=\"_ahadatnama.jpeg\""),
                    "{disposition}"
                );
                assert!(
                    disposition.contains("filename*=UTF-8''%C5%9Fahadatnama%2Ejpeg"),
                    "{disposition}"
                );
            }
        }

        // A provider sees none of it.
        for path in [
            format!("/cases/{id}/attachments"),
            format!("/attachments/{}", ids[0].0),
        ] {
            assert_eq!(
                api.get(&provider, &path).await.status(),
                StatusCode::FORBIDDEN
            );
        }
        let (status, _) = api
            .upload(
                &provider,
                &id,
                &[
                    ("kind", None, None, b"other"),
                    ("file", Some("a.png"), None, PNG),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}
