//! Assessments through the JSON API alone, over real HTTP on 127.0.0.1, on every backend: the
//! instruments readable by version, a household's initial assessment drafted, refused where wrong
//! (422 naming item and person, 409 on a stale save), completed, and its Washington Group answers
//! on the person's record.

use goldaw_core::codes::Role;
use goldaw_store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common;
use common::api_client_for as client_for;

goldaw_store::each_backend! {
    async fn a_household_is_assessed_through_the_api(db: TestDb) {
        let b = db.backend;
        let secrets = goldaw_store::crypto::Secrets::from_key([8u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(secrets))
            .await
            .unwrap();
        let base = crate::common::TestApp::spawn(&store).await.base;
        let sup = client_for(&store, &base, "sup", Role::Supervisor, "TM-A-05").await;
        let aman = client_for(&store, &base, "aman", Role::SocialWorker, "TM-A-05").await;
        let line = client_for(&store, &base, "line", Role::Hotline, "TM").await;
        let planner = client_for(&store, &base, "plan", Role::Planner, "TM").await;

        // The instruments are reference data: every version, for any signed-in caller.
        let (status, list) = planner.send("GET", "/instruments", None).await;
        assert_eq!(status, StatusCode::OK, "{b}: {list}");
        let initial = list
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "initial")
            .unwrap();
        assert_eq!(
            (initial["version"].as_u64(), initial["in_force"].as_bool()),
            (Some(1), Some(true))
        );
        assert!(initial["title"]["tk"]
            .as_str()
            .unwrap()
            .starts_with("Ilkinji baha beriş"));
        let (status, def) = planner.send("GET", "/instruments/initial/1", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(def["domains"][2]["code"], "functioning");
        assert_eq!(def["domains"][2]["items"][0]["answer"], "wg");
        let (status, _) = planner.send("GET", "/instruments/initial/9", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A mother, her son of 10 and a case for her household, screening begun.
        let (_, household) = sup
            .send(
                "POST",
                "/households",
                Some(json!({"household_id": "H-77", "admin_unit": "TM-A-05"})),
            )
            .await;
        assert!(household["id"].is_string(), "{household}");
        let mut people = Vec::new();
        for (name, born) in [("Bahar", "1987-05-05"), ("Döwlet", "2016-01-10")] {
            let (status, p) = sup
                .send(
                    "POST",
                    "/persons",
                    Some(
                        json!({"given_name": name, "family_name": "Orazowa", "sex": "F",
                    "birth_date": born, "admin_unit": "TM-A-05", "household_id": "H-77"}),
                    ),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{p}");
            people.push(p["id"].as_str().unwrap().to_owned());
        }
        let (mother, son) = (people[0].clone(), people[1].clone());
        let (_, case) = sup
            .send(
                "POST",
                "/cases",
                Some(json!({"person": mother, "admin_unit": "TM-A-05",
                "referral_source": "school", "household_case": true})),
            )
            .await;
        let id = case["id"].as_str().unwrap().to_owned();
        let (_, case) = sup
            .send(
                "PUT",
                &format!("/cases/{id}/allocation"),
                Some(json!({"worker": "aman", "version": case["version"]})),
            )
            .await;
        // Too early: the case is not in screening yet.
        let (status, err) = aman
            .send(
                "POST",
                &format!("/cases/{id}/assessments"),
                Some(json!({"instrument": "initial"})),
            )
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("assessment_not_now")),
            "{err}"
        );
        aman.send(
            "POST",
            &format!("/cases/{id}/actions"),
            Some(json!({"action": "start_initial", "version": case["version"]})),
        )
        .await;

        let (status, a) = aman
            .send(
                "POST",
                &format!("/cases/{id}/assessments"),
                Some(json!({"instrument": "initial", "persons": [mother, son]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {a}");
        assert_eq!(
            (
                a["instrument_code"].as_str(),
                a["instrument_version"].as_u64()
            ),
            (Some("initial"), Some(1))
        );
        assert_eq!(a["persons"][1]["age"], 10);
        assert_eq!(a["missing"].as_array().unwrap().len(), 16 + 6);
        let aid = a["id"].as_str().unwrap().to_owned();
        let path = format!("/assessments/{aid}");

        // A bad answer: 422 naming the item and the person; nothing written.
        let (status, err) = aman
            .send(
                "PUT",
                &path,
                Some(json!({"version": a["version"], "answers": [
                {"person": son, "item": "wg_walking", "value": 7}]})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("item 'wg_walking' for Döwlet Orazowa"),
            "{message}"
        );
        let (status, err) = aman
            .send(
                "PUT",
                &path,
                Some(json!({"version": a["version"], "answers": [
                {"person": son, "item": "wg_walking", "value": 3, "colour": "red"}]})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown fields are refused: {err}"
        );

        // Saved in parts: numbers, booleans or the form's words; the person's own words sealed.
        let (status, a) = aman
            .send("PUT", &path, Some(json!({"version": a["version"], "answers": [
                {"person": son, "item": "wg_walking", "value": 3},
                {"person": mother, "item": "safety_violence", "value": false},
                {"person": mother, "item": "presenting_need_own_words", "value": "My son cannot walk to school"}
            ]})))
            .await;
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!(a["version"], 2);
        let own = a["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["item"] == "presenting_need_own_words")
            .unwrap();
        assert_eq!(
            own["value"],
            json!({"type": "text", "value": "My son cannot walk to school"})
        );
        // A stale save: 409 conflict, never a silent overwrite.
        let (status, err) = aman
            .send("PUT", &path, Some(json!({"version": 1, "answers": [{"person": son, "item": "wg_walking", "value": 1}]})))
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict"))
        );
        // Completion is refused while answers are missing, naming them.
        let (status, err) = aman
            .send(
                "POST",
                &format!("{path}/complete"),
                Some(json!({"version": a["version"]})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("for Bahar Orazowa"),
            "{err}"
        );

        // The rest answered, completed; the son's record now shows the disability.
        let rest: Vec<Value> = a["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let item = m["item"].as_str().unwrap();
                let value = if item.starts_with("wg_") {
                    json!(1)
                } else {
                    json!(item.starts_with("consent"))
                };
                json!({"person": m["person"], "item": item, "value": value})
            })
            .collect();
        let (_, a) = aman
            .send(
                "PUT",
                &path,
                Some(json!({"version": a["version"], "answers": rest})),
            )
            .await;
        assert_eq!(a["missing"], json!([]), "{a}");
        let (status, done) = aman
            .send(
                "POST",
                &format!("{path}/complete"),
                Some(json!({"version": a["version"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["status"], "completed");
        assert!(done["proposed_priority"].is_null());
        let (_, person) = sup.send("GET", &format!("/persons/{son}"), None).await;
        assert_eq!(
            (
                person["disability"].as_bool(),
                person["washington_group"]["walking"].as_u64()
            ),
            (Some(true), Some(3)),
            "{person}"
        );

        // Read back, listed on the case; the hotline reads no assessments.
        let (status, read) = sup.send("GET", &path, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read["answers"].as_array().unwrap().len(), 23);
        let (_, listed) = sup
            .send("GET", &format!("/cases/{id}/assessments"), None)
            .await;
        assert_eq!(listed[0]["id"], aid.as_str());
        let (status, _) = line.send("GET", &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The OpenAPI document describes the routes.
        let doc: Value = reqwest::get(format!("{base}/api/openapi.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for route in [
            "/api/v1/cases/{id}/assessments",
            "/api/v1/assessments/{id}",
            "/api/v1/assessments/{id}/complete",
            "/api/v1/instruments/{code}/{version}",
        ] {
            assert!(doc["paths"][route].is_object(), "{route} is documented");
        }
        assert!(doc["components"]["schemas"]["AssessmentRecord"].is_object());
    }
}
