//! People at national scale through the JSON API (issue #19), on every backend: the ranked
//! search by a full name in either order and by birth date, the likely-duplicates endpoint, its
//! refusals, and both in the OpenAPI document with their parameters in the query.

use goldaw_core::codes::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common;
use common::api_client_for as client_for;

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

goldaw_store::each_backend! {
    async fn people_are_searched_and_checked_for_duplicates_through_the_api(db: TestDb) {
        let store = db.open().await;
        let base = common::TestApp::spawn(&store).await.base;
        let sup = client_for(&store, &base, "sup", Role::Supervisor, "TM-D-02").await;
        let b = db.backend;
        let mut made = Vec::new();
        for (given, family, born) in [
            ("Maral", "Ýazowa", "1980-02-03"),
            ("Maralgül", "Ýazowa", "1981-02-03"),
            ("Aýna", "Berdiýewa", "1980-02-03"),
        ] {
            let (status, p) = sup
                .send("POST", "/persons", Some(json!({"given_name": given, "family_name": family,
                    "sex": "F", "birth_date": born, "admin_unit": "TM-D-02"})))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{b}: {p}");
            made.push(p["id"].as_str().unwrap().to_owned());
        }
        // Given name first, as people say it: the exact name first.
        let (status, found) = sup.send("GET", "/persons?name=Maral%20%C3%9Dazowa", None).await;
        assert_eq!(status, StatusCode::OK, "{b}: {found}");
        assert_eq!(ids(&found), [made[0].clone(), made[1].clone()], "{b}");
        let (_, found) = sup.send("GET", "/persons?birth_date=1980-02-03", None).await;
        assert_eq!(ids(&found).len(), 2, "{b}: {found}");
        let (_, found) = sup.send("GET", "/persons?birth_year=1981", None).await;
        assert_eq!(ids(&found), [made[1].clone()], "{b}");
        let (status, err) = sup.send("GET", "/persons?birth_year=12", None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {err}");
        // Paging past the bound: refused with what to do instead, for a name and a browse alike.
        for path in ["/persons?name=maral&offset=10001", "/persons?offset=4294967295"] {
            let (status, err) = sup.send("GET", path, None).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {err}");
            assert!(err.to_string().contains("10000"), "{b}: {err}");
        }
        let long = "a".repeat(101);
        let (status, err) = sup
            .send("GET", &format!("/persons/likely-duplicates?given_name={long}"), None)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {err}");

        // Likely duplicates: Cyrillic, family name first, a typo; best first, the score shown.
        let (status, dups) = sup
            .send("GET", "/persons/likely-duplicates?given_name=%D0%AF%D0%B7%D0%BE%D0%B2%D0%B0&family_name=Marall&birth_date=1980-02-03&admin_unit=TM-D-02", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {dups}");
        let items = dups["items"].as_array().unwrap();
        assert_eq!(items[0]["id"], made[0].as_str(), "{b}: {dups}");
        assert!(items[0]["score"].as_u64().unwrap() >= 75, "{b}: {dups}");
        assert!(items.len() <= 10);
        assert!(!ids(&dups).contains(&made[2]), "{b}: a stranger born the same day");
        // Out of scope: nothing, as if nobody were there.
        let (status, dups) = sup
            .send("GET", "/persons/likely-duplicates?given_name=Maral&family_name=Yazowa&admin_unit=TM-A-01", None)
            .await;
        assert_eq!((status, dups["items"].as_array().unwrap().len()), (StatusCode::OK, 0), "{b}");
        // Refused: without the given name, a bad date, an unknown parameter, a role that
        // neither registers nor reads people.
        for path in [
            "/persons/likely-duplicates?family_name=Yazowa",
            "/persons/likely-duplicates?given_name=Maral&birth_date=1980-13-40",
            "/persons/likely-duplicates?given_name=Maral&nickname=x",
        ] {
            let (status, err) = sup.send("GET", path, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {path}: {err}");
        }
        let planner = client_for(&store, &base, "plan", Role::Planner, "TM").await;
        let (status, _) = planner
            .send("GET", "/persons/likely-duplicates?given_name=Maral", None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
        let hotline = client_for(&store, &base, "line", Role::Hotline, "TM").await;
        let (status, dups) = hotline
            .send("GET", "/persons/likely-duplicates?given_name=Maral&family_name=Yazowa&birth_date=1980-02-03", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(dups["items"][0]["id"], made[0].as_str(), "{b}: the hotline checks at intake");

        // The OpenAPI document: the endpoint, its parameters in the query.
        let doc: Value = reqwest::get(format!("{base}/api/openapi.json")).await.unwrap().json().await.unwrap();
        for (path, name) in [
            ("/api/v1/persons/likely-duplicates", "given_name"),
            ("/api/v1/persons/likely-duplicates", "birth_date"),
            ("/api/v1/persons", "name"),
            ("/api/v1/persons", "birth_year"),
        ] {
            let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap_or_else(|| panic!("{path}"));
            let p = params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{path} {name}"));
            assert_eq!(p["in"], "query", "{path} {name}");
        }
        let item = &doc["components"]["schemas"]["DuplicateItem"]["properties"];
        assert!(item["id"].is_object() && item["score"].is_object(), "{item}");
        store.close().await;
    }
}
