//! The case workflow through the JSON API alone, over real HTTP on 127.0.0.1, on every backend:
//! a hotline call becomes a case, is allocated, screened critical and followed, with the
//! workflow's refusals answered as 409 with the rule's code.

use goldaw_core::codes::Role;
use goldaw_store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common;
use common::api_client_for as client_for;

goldaw_store::each_backend! {
    async fn a_hotline_call_through_the_api_alone(db: TestDb) {
        let secrets = goldaw_store::crypto::Secrets::from_key([9u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(secrets))
            .await
            .unwrap();
        let base = crate::common::TestApp::spawn(&store).await.base;
        let hotline = client_for(&store, &base, "line", Role::Hotline, "TM").await;
        let sup = client_for(&store, &base, "sup", Role::Supervisor, "TM-A-05").await;
        let aman = client_for(&store, &base, "aman", Role::SocialWorker, "TM-A-05").await;
        let provider = client_for(&store, &base, "prov", Role::Provider, "provider:PR1").await;

        // The hotline registers the caller (a code name for now) and her referral.
        let (status, person) = hotline
            .send("POST", "/persons", Some(json!({"given_name": "Caller-7", "sex": "F", "admin_unit": "TM-A-05", "target_groups": ["woman_gbv"]})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{} {person}", db.backend);
        let (status, case) = hotline
            .send("POST", "/cases", Some(json!({
                "person": person["id"], "admin_unit": "TM-A-05", "referral_source": "hotline",
                "concern": "Threatened at home; a son of 9", "provisional_priority": "critical", "sensitive": true
            })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        let id = case["id"].as_str().unwrap().to_owned();
        assert_eq!(case["status"], "referred");
        assert_eq!(case["due"][0]["step"], "first_contact");
        // Unknown fields and bad codes are refused with the field named.
        let (status, err) = hotline
            .send("POST", "/cases", Some(json!({"person": person["id"], "admin_unit": "TM-A-05", "referral_source": "pigeon"})))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("referral source"),
            "{err}"
        );

        // A provider reads nothing of it.
        let (status, _) = provider.send("GET", &format!("/cases/{id}"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The supervisor sees the allocation task and allocates.
        // (a page of tasks since issue #24: `tasks` and the cursor `next`)
        let (_, tasks) = sup.send("GET", "/tasks", None).await;
        assert!(
            tasks["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["case_id"] == id.as_str() && t["kind"] == "allocate"),
            "{tasks}"
        );
        let (status, case) = sup
            .send(
                "PUT",
                &format!("/cases/{id}/allocation"),
                Some(json!({"worker": "aman", "version": case["version"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(case["worker"], "aman");

        // Out of order: 409 with the rule's code; a stale version: 409 conflict.
        let (status, err) = aman
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "approve_plan", "version": case["version"]})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a worker does not approve plans: {err}"
        );
        let (status, err) = aman
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "complete_holistic", "version": case["version"]})),
            )
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("out_of_order")),
            "{err}"
        );
        let v = case["version"].as_i64().unwrap();
        let (_, case) = aman
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "start_initial", "version": v})),
            )
            .await;
        assert_eq!(case["status"], "initial_assessment", "{case}");
        let (status, err) = aman
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "complete_initial", "priority": "critical", "version": v})),
            )
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict")),
            "{err}"
        );
        // Screening concludes the initial assessment done with her, not a guess.
        let (status, err) = aman
            .send("POST", &format!("/cases/{id}/actions"), Some(json!({"action": "complete_initial", "priority": "critical", "version": case["version"]})))
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("initial_assessment_missing")),
            "{err}"
        );
        // She is at risk of violence now: the assessment proposes critical, the screening's default.
        let initial = common::assess_via_api(
            &aman,
            &id,
            "initial",
            &[
                ("safety_violence", json!("yes")),
                (
                    "presenting_need_own_words",
                    json!("I want to be safe with my son"),
                ),
            ],
        )
        .await;
        assert_eq!(initial["proposed_priority"], "critical", "{initial}");
        assert_eq!(initial["critical_reasons"], json!(["safety_violence"]));
        let (_, case) = aman
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "complete_initial", "version": case["version"]})),
            )
            .await;
        assert_eq!(case["status"], "holistic_assessment", "{case}");
        assert_eq!(case["priority"], "critical");

        // A home visit, then the notes and the history.
        let (status, note) = aman
            .send(
                "POST",
                &format!("/cases/{id}/notes"),
                Some(json!({"kind": "home_visit", "text": "Safety plan made with her"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{note}");
        let (_, notes) = sup.send("GET", &format!("/cases/{id}/notes"), None).await;
        assert_eq!(notes[0]["text"], "Safety plan made with her");
        let (_, events) = sup.send("GET", &format!("/cases/{id}/events"), None).await;
        let actions: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "register",
                "allocate",
                "start_initial",
                "assessment_started",
                "assessment_completed",
                "complete_initial"
            ]
        );

        // The worker's caseload counts the case as intensive work.
        let (_, loads) = aman.send("GET", "/caseload", None).await;
        assert_eq!(loads[0]["intensive"], 1, "{loads}");
        assert_eq!(loads[0]["norm_intensive"], 25);

        // The holistic assessment done with her, a plan is made with her, agreed, submitted and
        // approved.
        let (status, err) = aman
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "complete_holistic", "version": case["version"]})),
            )
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("holistic_assessment_missing")),
            "{err}"
        );
        let holistic = common::assess_via_api(
            &aman,
            &id,
            "holistic_adult",
            &[("safety_abuse_risk", json!(3)), ("work_access", json!(2))],
        )
        .await;
        assert_eq!(
            holistic["domain_needs"][0]["domain"], "safety_abuse",
            "{holistic}"
        );
        let (_, case) = aman
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "complete_holistic", "version": case["version"]})),
            )
            .await;
        assert_eq!(case["status"], "support_plan", "{case}");
        let (status, plan) = aman
            .send("PUT", &format!("/cases/{id}/plans/draft"), Some(json!({
                "goals": [{"text": "Feel safe at home", "domain": "safety"}, {"text": "A job", "domain": "employment"},
                          {"text": "My son at school", "domain": "education"}],
                "actions": [
                    {"goal": 0, "who": "Psychologist", "what": "Weekly sessions", "service_code": "S10"},
                    {"goal": 0, "who": "Legal aid", "what": "Protection order", "service_code": "S06"},
                    {"goal": 1, "who": "Employment office", "what": "Job search", "service_code": "U_EMPLOY"},
                    {"goal": 2, "who": "School", "what": "A place for her son", "service_code": "U_EDU", "due_on": "2027-01-10"}
                ]
            })))
            .await;
        assert_eq!(status, StatusCode::OK, "{plan}");
        let pid = plan["id"].as_str().unwrap().to_owned();
        let (status, err) = aman
            .send(
                "POST",
                &format!("/plans/{pid}/submit"),
                Some(json!({"version": plan["version"]})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "agreement first: {err}"
        );
        let (_, plan) = aman
            .send(
                "POST",
                &format!("/plans/{pid}/agreement"),
                Some(json!({"version": plan["version"], "agrees": true})),
            )
            .await;
        let (_, plan) = aman
            .send(
                "POST",
                &format!("/plans/{pid}/submit"),
                Some(json!({"version": plan["version"]})),
            )
            .await;
        assert_eq!(plan["status"], "submitted", "{plan}");
        let (_, case) = sup.send("GET", &format!("/cases/{id}"), None).await;
        let (_, case) = sup
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "approve_plan", "version": case["version"]})),
            )
            .await;
        assert_eq!(case["status"], "active", "{case}");

        // A review records outcomes; the closing review comes before the closure.
        let goals: Vec<Value> = plan["goals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| json!({"goal": g["id"], "rating": "achieved"}))
            .collect();
        let (status, review) = aman
            .send("POST", &format!("/cases/{id}/reviews"), Some(json!({"kind": "closing", "goals": goals, "living_at_home": true, "feels_safe": 9, "satisfaction": 8})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{review}");
        let (_, case) = aman.send("POST", &format!("/cases/{id}/actions"), Some(json!({"action": "request_closure", "reason": "goals_achieved", "version": case["version"]}))).await;
        let (_, case) = sup
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "approve_closure", "version": case["version"]})),
            )
            .await;
        assert_eq!(
            (case["status"].as_str(), case["closure_reason"].as_str()),
            (Some("closed"), Some("goals_achieved")),
            "{case}"
        );

        // The OpenAPI document describes the case routes.
        let doc: Value = reqwest::get(format!("{base}/api/openapi.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for path in [
            "/api/v1/cases",
            "/api/v1/cases/{id}/actions",
            "/api/v1/tasks",
            "/api/v1/caseload",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} is documented");
        }
    }
}
