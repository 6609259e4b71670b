//! `/api/v1/statistics` and `/api/v1/dhis2/data-value-sets` on SQLite and PostgreSQL: the
//! published table with hidden counts as `null` and a flag, the same figures the store
//! publishes (perturbed by at most 3 without the unsuppressed grant, exact with it), bad
//! parameters answered 400 naming the parameter, a period that is not a calendar one answered
//! 422 without the grant, the OpenAPI document.

use goldaw_core::codes::Role;
use goldaw_store::Principal;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common;
use crate::statistics_data;

goldaw_store::each_backend! {
    async fn the_api_publishes_the_table_with_hidden_counts_as_null(db: TestDb) {
        let store = db.open_with_key().await;
        statistics_data::load(&store).await;
        let base = statistics_data::serve(&store).await;
        let api = common::api_client_for(&store, &base, "ministry", Role::Ministry, "TM").await;

        let (status, list) = api.send("GET", "/statistics", None).await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<&str> = list["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"service_users") && names.contains(&"funnel"));
        assert!(
            names.contains(&"caseload"),
            "the ministry reads the caseload"
        );

        let (status, t) = api
            .send(
                "GET",
                "/statistics/service_users?period=2025&by=velayat,sex",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {t}", db.backend);
        assert_eq!(t["from"], "2025-01-01");
        assert_eq!(t["to"], "2025-12-31");
        assert_eq!(t["dimensions"], serde_json::json!(["velayat", "sex"]));
        assert_eq!(t["measures"], serde_json::json!(["users"]));
        assert_eq!(t["min_cell"], 5);
        // Without the grant the counts are perturbed, and the table says so.
        assert!(
            t["notes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["code"] == "perturbed"),
            "{t}"
        );
        let truth = store
            .indicator(
                &Principal::system("test"),
                goldaw_core::indicators::Indicator::ServiceUsers,
                goldaw_core::periods::CalendarPeriod::Year(2025).period(),
                &[
                    goldaw_core::statistics::Dimension::Velayat,
                    goldaw_core::statistics::Dimension::Sex,
                ],
                goldaw_store::statistics::Suppression::MinCell(0),
            )
            .await
            .unwrap();
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(rows.len(), truth.rows.len());
        let mut hidden = 0;
        for (row, true_row) in rows.iter().zip(&truth.rows) {
            assert_eq!(row["values"], serde_json::json!(true_row.values));
            let figure = &row["figures"][0];
            let n = true_row.figures[0].csv().parse::<u64>().unwrap();
            if figure["suppressed"] == true {
                hidden += 1;
                assert_eq!(figure["value"], Value::Null);
                assert!(["primary", "secondary"].contains(&figure["reason"].as_str().unwrap()));
            } else {
                let shown = figure["value"].as_u64().unwrap();
                assert!(shown.abs_diff(n) <= 3, "{}: {row} is {n}", db.backend);
                assert_eq!(shown == 0, n == 0, "{}: {row} is {n}", db.backend);
                assert_eq!(figure["reason"], Value::Null);
                assert!(!(1..5).contains(&n), "a small count shown: {row}");
            }
        }
        assert!(hidden >= 2, "Balkan's three people and a complement");

        // Bad parameters: 400, naming the parameter.
        for (query, param) in [
            ("period=2025&by=gender", "by:"),
            ("from=2025-01-01", "to:"),
            ("from=2025-02-30&to=2025-12-31", "from:"),
            ("period=2025Q5", "period:"),
            ("period=2025&min_cell=many", "min_cell:"),
            ("period=2025&sort=desc", "unknown parameter 'sort'"),
            ("", "from:"),
        ] {
            let (status, body) = api
                .send("GET", &format!("/statistics/service_users?{query}"), None)
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert_eq!(body["error"]["code"], "bad_request");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(param), "{query}: {message}");
        }
        let (status, _) = api.send("GET", "/statistics/users?period=2025", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = api
            .send(
                "GET",
                "/statistics/coverage?period=2025&by=disability",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        // Unsuppressed needs the grant.
        let (status, body) = api
            .send(
                "GET",
                "/statistics/service_users?period=2025&min_cell=0",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

        // Two periods a day apart (issue #16, item 10): without the grant not answered (422,
        // saying why and what to ask instead); with it, exact.
        let granted = granted_client(&store, &base).await;
        for query in [
            "from=2025-01-01&to=2025-06-29",
            "from=2025-01-01&to=2025-06-30",
        ] {
            for indicator in ["service_users", "funnel", "coverage"] {
                let path = format!("/statistics/{indicator}?{query}&by=velayat");
                let (status, body) = api.send("GET", &path, None).await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
                let message = body["error"]["message"].as_str().unwrap();
                assert!(
                    message.starts_with("period:") && message.contains("2025Q1"),
                    "{message}"
                );
                let (status, body) = granted.send("GET", &path, None).await;
                assert_eq!(status, StatusCode::OK, "{path}: {body}");
                assert!(body["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|n| n["code"] != "perturbed"));
            }
        }
        let (status, exact) = granted
            .send(
                "GET",
                "/statistics/service_users?period=2025&by=velayat,sex",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        for (row, true_row) in exact["rows"].as_array().unwrap().iter().zip(&truth.rows) {
            if row["figures"][0]["suppressed"] == false {
                assert_eq!(
                    row["figures"][0]["value"].to_string(),
                    true_row.figures[0].csv(),
                    "{row}"
                );
            }
        }

        // DHIS2: the shape DHIS2 reads.
        let (status, set) = api
            .send("GET", "/dhis2/data-value-sets?period=2025Q3", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{set}");
        assert_eq!(set["dataSet"], "gdwDsSvcUse");
        for v in set["dataValues"].as_array().unwrap() {
            assert_eq!(v["period"], "2025Q3");
            assert!(v["value"].is_string());
        }
        let (status, body) = api
            .send("GET", "/dhis2/data-value-sets?period=2025-07", None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("period:"));
    }
}

/// A client with a bearer token (the shared one cannot be given an account with the grant).
struct Granted {
    base: String,
    token: String,
}

impl Granted {
    async fn send(&self, _method: &str, path: &str, _body: Option<Value>) -> (StatusCode, Value) {
        let r = reqwest::Client::new()
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap())
    }
}

/// A ministry account with the grant to see unsuppressed statistics, and its API client.
async fn granted_client(store: &goldaw_store::Store, base: &str) -> Granted {
    let op = Principal::system("test");
    store
        .add_user(
            &op,
            goldaw_store::users::NewUser {
                username: "granted".into(),
                role: Role::Ministry,
                scope: "TM".parse().unwrap(),
                sensitive: false,
                unsuppressed: true,
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap();
    Granted {
        base: base.to_owned(),
        token: store.create_token(&op, "granted").await.unwrap(),
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_statistics_routes() {
    let doc =
        serde_json::to_value(<goldaw_web::api::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    let table = &doc["paths"]["/api/v1/statistics/{indicator}"]["get"];
    let params: Vec<&str> = table["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in ["indicator", "period", "from", "to", "by", "min_cell"] {
        assert!(params.contains(&p), "{p} in {params:?}");
    }
    assert!(doc["components"]["schemas"]["StatisticsTable"].is_object());
    assert!(doc["components"]["schemas"]["FigureJson"]["properties"]["suppressed"].is_object());
    assert!(doc["paths"]["/api/v1/dhis2/data-value-sets"]["get"].is_object());
}
