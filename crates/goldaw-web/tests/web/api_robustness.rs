//! The API answers what it documents, in its JSON error, whatever the client sends (issue #20,
//! item 3): an oversized body is 413 `too_large` (declared or streamed), a body that is not JSON
//! is 415 `unsupported_type`, a query string that is not UTF-8 is 400, never an unfiltered list.

use goldaw_core::codes::Role;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;
use serde_json::Value;

async fn spawn(store: Store) -> (String, reqwest::Client, String) {
    let op = Principal::system("test");
    store
        .add_user(
            &op,
            NewUser {
                username: "sup".into(),
                role: Role::Supervisor,
                scope: "TM".parse().unwrap(),
                sensitive: false,
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
    (format!("http://{addr}"), client, token)
}

/// The status and the JSON error's code (a panic if the body is not the API's JSON error).
async fn error_of(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let text = r.text().await.unwrap();
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    let code = v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code ({status}): {text}"));
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{text}"
    );
    (status, code.to_owned())
}

async fn persons(c: &reqwest::Client, base: &str) -> usize {
    let r = c
        .get(format!("{base}/api/v1/persons"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    v["items"].as_array().map_or(0, Vec::len)
}

goldaw_store::each_backend! {
    async fn bodies_too_large_or_not_json_and_queries_not_utf8_are_refused_as_documented(db: TestDb) {
        let b = db.backend;
        let (base, c, token) = spawn(db.open().await).await;
        let before = persons(&c, &base).await;
        let person = r#"{"given_name":"Aýna","sex":"F","admin_unit":"TM-A-01"}"#;

        // Over the limit, with its length declared: 413 in the API's JSON.
        let r = c
            .post(format!("{base}/api/v1/persons"))
            .header("content-type", "application/json")
            .body(vec![b' '; 2 << 20])
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await, (StatusCode::PAYLOAD_TOO_LARGE, "too_large".into()), "{b}");

        // Over the limit, streamed without a declared length: the same.
        {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let addr = base.trim_start_matches("http://");
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let head = format!(
                "POST /api/v1/persons HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            let chunk = vec![b' '; 64 << 10];
            for _ in 0..40 {
                let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat();
                if stream.write_all(&framed).await.is_err() {
                    break; // the server answered and closed
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n").await;
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer).await;
            let answer = String::from_utf8_lossy(&answer);
            assert!(answer.starts_with("HTTP/1.1 413"), "{b}: {answer}");
            assert!(answer.contains("\"too_large\""), "{b}: {answer}");
        }

        // A JSON body sent as something else, or with no type: 415, not 422.
        for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
            let mut req = c.post(format!("{base}/api/v1/persons")).body(person);
            if let Some(t) = content_type {
                req = req.header("content-type", t);
            }
            let r = req.send().await.unwrap();
            assert_eq!(
                error_of(r).await,
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type".into()),
                "{b}: {content_type:?}"
            );
        }

        // A name filter that is not UTF-8 once decoded: 400, not the whole list.
        for query in ["name=%FF", "name=Ora%C3", "page=1&name=%80%80"] {
            let r = c.get(format!("{base}/api/v1/persons?{query}")).send().await.unwrap();
            assert_eq!(error_of(r).await, (StatusCode::BAD_REQUEST, "bad_request".into()), "{b}: {query}");
        }
        // Good UTF-8 is still answered.
        let r = c.get(format!("{base}/api/v1/persons?name=%C3%BDna")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{b}");

        // Nothing of the refused requests was written.
        assert_eq!(persons(&c, &base).await, before, "{b}");
        // And the right request still works.
        let r = c
            .post(format!("{base}/api/v1/persons"))
            .header("content-type", "application/json")
            .body(person)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{b}");
    }
}

/// Every schema a closed object (`additionalProperties: false`) takes part in through `allOf`
/// (anywhere: components, list items, answers), with the path to it. Such a combination admits no
/// object (each part forbids the other's fields), so no answer could validate against it.
fn closed_all_of(doc: &Value, at: &str, v: &Value, found: &mut Vec<String>) {
    let resolve = |part: &Value| -> Value {
        match part["$ref"].as_str() {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or_default();
                doc["components"]["schemas"][name].clone()
            }
            None => part.clone(),
        }
    };
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(parts)) = map.get("allOf") {
                if parts
                    .iter()
                    .any(|p| resolve(p)["additionalProperties"] == Value::Bool(false))
                {
                    found.push(at.to_owned());
                }
            }
            for (k, child) in map {
                closed_all_of(doc, &format!("{at}/{k}"), child, found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                closed_all_of(doc, &format!("{at}/{i}"), child, found);
            }
        }
        _ => {}
    }
}

#[test]
fn no_schema_of_the_document_combines_a_closed_object_through_all_of() {
    use utoipa::OpenApi;
    let doc = serde_json::to_value(goldaw_web::api::ApiDoc::openapi()).unwrap();
    let mut found = Vec::new();
    closed_all_of(&doc, "", &doc, &mut found);
    assert!(found.is_empty(), "unsatisfiable allOf at {found:?}");

    // The two lists that had one: their items are the merged records, which are closed objects
    // holding the data's fields and the record's own.
    for (path, list, record, fields) in [
        (
            "/api/v1/persons",
            "PersonList",
            "PersonRecord",
            ["given_name", "id", "version"],
        ),
        (
            "/api/v1/households",
            "HouseholdList",
            "HouseholdRecord",
            ["admin_unit", "id", "members"],
        ),
    ] {
        let answer =
            &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(
            answer["$ref"],
            format!("#/components/schemas/{list}"),
            "{path}"
        );
        let items = &doc["components"]["schemas"][list]["properties"]["items"]["items"];
        assert_eq!(
            items["$ref"],
            format!("#/components/schemas/{record}"),
            "{path}"
        );
        let schema = &doc["components"]["schemas"][record];
        assert_eq!(schema["type"], "object", "{record}: {schema}");
        for field in fields {
            assert!(
                schema["properties"].get(field).is_some(),
                "{record} lacks {field}: {schema}"
            );
        }
    }
}
