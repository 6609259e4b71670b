//! The JSON API over real HTTP on 127.0.0.1, on every backend.

use goldaw_core::codes::Role;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Serves the app on an ephemeral port; returns its base URL and a client signed in as a
/// national supervisor with the sensitive permission.
async fn spawn(store: Store) -> (String, reqwest::Client) {
    let op = Principal::system("test");
    store
        .add_user(
            &op,
            NewUser {
                username: "sup".into(),
                role: Role::Supervisor,
                scope: "TM".parse().unwrap(),
                sensitive: true,
                unsuppressed: false,
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap();
    let token = store.create_token(&op, "sup").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = goldaw_web::serve(store, listener).await;
    });
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    (format!("http://{addr}"), client)
}

async fn body(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

goldaw_store::each_backend! {
    async fn health_and_the_openapi_document(db: TestDb) {
        let (base, c) = spawn(db.open().await).await;
        let (status, health) = body(c.get(format!("{base}/health")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{}", db.backend);
        assert_eq!(health["status"], "ok");
        let (status, doc) = body(
            c.get(format!("{base}/api/openapi.json"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/persons",
            "/api/v1/persons/{id}",
            "/api/v1/households",
            "/api/v1/households/{id}",
            "/health",
        ] {
            assert!(
                doc["paths"].get(path).is_some(),
                "{path} missing from the OpenAPI document"
            );
        }
        for schema in [
            "PersonRecord",
            "PersonCreate",
            "PersonUpdate",
            "HouseholdRecord",
            "ErrorBody",
            "Sex",
            "TargetGroup",
        ] {
            assert!(
                doc["components"]["schemas"].get(schema).is_some(),
                "schema {schema} missing"
            );
        }
        // The code lists appear as their codes, not as Rust names.
        assert_eq!(
            doc["components"]["schemas"]["Sex"]["enum"],
            json!(["F", "M"])
        );
        let (status, err) = body(c.get(format!("{base}/no/such/page")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(err["error"]["code"], "not_found");
    }
}

goldaw_store::each_backend! {
    async fn persons_can_be_created_read_searched_and_updated_with_version_checks(db: TestDb) {
        let (base, c) = spawn(db.open().await).await;
        let (status, created) = body(
            c.post(format!("{base}/api/v1/persons"))
                .json(&json!({
                    "person_id": "EXT-1", "given_name": "Aýgül", "family_name": "Rejepowa", "sex": "F",
                    "birth_date": "1985-03-08", "admin_unit": "TM-M-03", "settlement": "rural",
                    "receives_benefits": true, "washington_group": {"hearing": 4},
                    "target_groups": ["adult_disability"]
                }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {created}", db.backend);
        assert_eq!(created["disability"], true);
        assert_eq!(created["person_id"], "EXT-1");
        let id = created["id"].as_str().unwrap().to_owned();

        let (status, read) = body(
            c.get(format!("{base}/api/v1/persons/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read["given_name"], "Aýgül");
        assert_eq!(read["target_groups"], json!(["adult_disability"]));

        let (_, found) = body(
            c.get(format!(
                "{base}/api/v1/persons?name=%D0%B0%D0%B9%D0%B3%D1%8E%D0%BB"
            ))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(
            found["items"].as_array().unwrap().len(),
            1,
            "{}: Cyrillic search: {found}",
            db.backend
        );
        let (_, found) = body(
            c.get(format!("{base}/api/v1/persons?external_id=EXT-1"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(found["items"][0]["id"], id.as_str());
        let (_, none) = body(
            c.get(format!("{base}/api/v1/persons?external_id=EXT-2"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(none["items"].as_array().unwrap().is_empty());

        let mut change = read.clone();
        let obj = change.as_object_mut().unwrap();
        for k in ["id", "person_id", "disability", "created_at", "updated_at"] {
            obj.remove(k);
        }
        obj.insert("receives_benefits".into(), json!(false));
        let (status, v2) = body(
            c.put(format!("{base}/api/v1/persons/{id}"))
                .json(&change)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {v2}", db.backend);
        assert_eq!(v2["version"], 2);
        // The same edit again, made from the old version: refused, not overwritten.
        let (status, err) = body(
            c.put(format!("{base}/api/v1/persons/{id}"))
                .json(&change)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{}", db.backend);
        assert_eq!(err["error"]["code"], "conflict");
        assert!(err["error"]["message"].as_str().unwrap().contains("reload"));
    }
}

goldaw_store::each_backend! {
    async fn bad_requests_get_clear_errors_and_the_server_keeps_serving(db: TestDb) {
        let (base, c) = spawn(db.open().await).await;
        let post = |v: Value| c.post(format!("{base}/api/v1/persons")).json(&v).send();
        let cases = [
            (
                json!({"given_name": "A", "sex": "X", "admin_unit": "TM-A-01"}),
                "sex",
            ),
            (
                json!({"given_name": "A", "sex": "F", "admin_unit": "TM-A-01", "nickname": "Ai"}),
                "nickname",
            ),
            (
                json!({"given_name": "", "sex": "F", "admin_unit": "TM-A-01"}),
                "name",
            ),
            (
                json!({"given_name": "A", "sex": "F", "admin_unit": "TM-A-01", "birth_date": "2001-02-30"}),
                "birth_date",
            ),
            (
                json!({"given_name": "A", "sex": "F", "admin_unit": "TM-A-01", "washington_group": {"seeing": 7}}),
                "Washington Group",
            ),
            (
                json!({"given_name": "A", "sex": "F", "admin_unit": "TM-Q-01"}),
                "unknown administrative unit",
            ),
            (json!({"given_name": "A", "sex": "F"}), "admin_unit"),
        ];
        for (input, mentions) in cases {
            let (status, err) = body(post(input.clone()).await.unwrap()).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}: {input}: {err}",
                db.backend
            );
            let message = err["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(mentions),
                "{}: {input}: {message}",
                db.backend
            );
        }
        let r = c
            .post(format!("{base}/api/v1/persons"))
            .header("content-type", "application/json")
            .body("{\"given_name\": ")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error());
        let (_, err) = body(r).await;
        assert_eq!(err["error"]["code"], "invalid");
        let (status, _) = body(
            c.get(format!("{base}/api/v1/persons/not-a-uuid"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = body(
            c.get(format!(
                "{base}/api/v1/persons/0190f1f0-0000-7000-8000-000000000000"
            ))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, err) = body(
            c.get(format!("{base}/api/v1/persons?colour=red"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(err["error"]["message"].as_str().unwrap().contains("colour"));
        let r = c
            .post(format!("{base}/api/v1/persons"))
            .body(vec![b'x'; 2 << 20])
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert!(
            r.status() == StatusCode::PAYLOAD_TOO_LARGE
                || r.status() == StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            r.status()
        );
        let (status, _) = body(c.get(format!("{base}/health")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{}: still serving", db.backend);
    }
}

goldaw_store::each_backend! {
    async fn households_with_members_over_the_api(db: TestDb) {
        let (base, c) = spawn(db.open().await).await;
        let (status, h) = body(
            c.post(format!("{base}/api/v1/households"))
                .json(&json!({"household_id": "H-API", "admin_unit": "TM-B-01", "settlement": "rural", "address": "Balkan, köçe 1"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {h}", db.backend);
        let (status, _) = body(
            c.post(format!("{base}/api/v1/persons"))
                .json(&json!({"given_name": "Kerim", "sex": "M", "admin_unit": "TM-B-01", "household_id": "H-API", "relationship": "head"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, read) = body(
            c.get(format!(
                "{base}/api/v1/households/{}",
                h["id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read["members"][0]["given_name"], "Kerim");
        assert_eq!(read["members"][0]["relationship"], "head");
        let (_, list) = body(
            c.get(format!("{base}/api/v1/households?admin_unit=TM-B"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            list["items"].as_array().unwrap().len(),
            1,
            "{}: {list}",
            db.backend
        );
    }
}
