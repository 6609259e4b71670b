//! Merging a duplicate person through the JSON API, on every backend: the merge, how the merged
//! record answers afterwards, and the refusals with their codes.

use goldaw_core::codes::Role;
use goldaw_store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common;
use common::api_client_for as client_for;

goldaw_store::each_backend! {
    async fn a_supervisor_merges_a_duplicate_and_the_api_answers_for_it(db: TestDb) {
        let key = goldaw_store::crypto::Secrets::from_key([2u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
        let base = crate::common::TestApp::spawn(&store).await.base;
        let sup = client_for(&store, &base, "sup", Role::Supervisor, "TM-D-02").await;
        let worker = client_for(&store, &base, "aman", Role::SocialWorker, "TM-D-02").await;
        let b = db.backend;
        let new_person = |birth: &str| {
            json!({"given_name": "Gurbangül", "family_name": "Ataýewa", "sex": "F",
                   "birth_date": birth, "admin_unit": "TM-D-02"})
        };
        let (_, kept) = sup
            .send("POST", "/persons", Some(new_person("1958-03-08")))
            .await;
        let (_, dup) = sup
            .send("POST", "/persons", Some(new_person("1958-03-08")))
            .await;
        let (_, other) = sup
            .send("POST", "/persons", Some(new_person("1958-08-03")))
            .await;
        let (status, case) = sup
            .send("POST", "/cases", Some(json!({"person": dup["id"], "admin_unit": "TM-D-02", "referral_source": "self"})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {case}");
        let kept_id = kept["id"].as_str().unwrap();
        let merge = |merged: &Value, kv: &Value, mv: &Value| json!({"merged": merged["id"], "kept_version": kv, "merged_version": mv});

        // A worker may not merge; a conflict of birth dates is for a person to resolve.
        let path = format!("/persons/{kept_id}/merge");
        let (status, _) = worker
            .send(
                "POST",
                &path,
                Some(merge(&dup, &kept["version"], &dup["version"])),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
        let (status, err) = sup
            .send(
                "POST",
                &path,
                Some(merge(&other, &kept["version"], &other["version"])),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {err}");
        assert_eq!(err["error"]["code"], "merge_birth_dates_differ", "{err}");
        assert!(err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("different birth dates"));
        // A stale version; a body without the versions.
        let (status, err) = sup
            .send("POST", &path, Some(merge(&dup, &json!(7), &dup["version"])))
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict"))
        );
        let (status, err) = sup
            .send("POST", &path, Some(json!({"merged": dup["id"]})))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("kept_version"));

        // The merge: the case moves, the duplicate answers with the kept record.
        let (status, record) = sup
            .send(
                "POST",
                &path,
                Some(merge(&dup, &kept["version"], &dup["version"])),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {record}");
        assert_eq!(record["kept"], kept["id"]);
        assert_eq!(record["merged"], dup["id"]);
        assert_eq!(record["moved"]["cases"], json!([case["id"]]));
        assert_eq!(record["actor"], "sup");
        let (_, read) = sup
            .send(
                "GET",
                &format!("/persons/{}", dup["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(read["id"], kept["id"], "{b}");
        let (_, case_now) = sup
            .send(
                "GET",
                &format!("/cases/{}", case["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(case_now["person_id"], kept["id"]);
        let (_, found) = sup.send("GET", "/persons?name=atayewa", None).await;
        let ids: Vec<&Value> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["id"])
            .collect();
        assert!(!ids.contains(&&dup["id"]), "{b}: {found}");
        // Again: the duplicate is merged already.
        let (_, kept_now) = sup.send("GET", &format!("/persons/{kept_id}"), None).await;
        let (status, err) = sup
            .send(
                "POST",
                &path,
                Some(merge(&dup, &kept_now["version"], &json!(2))),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(err["error"]["code"], "merge_already_merged", "{err}");
    }
}
