//! Referrals to services through the JSON API alone, over real HTTP on 127.0.0.1, on every
//! backend: the ministry registers a provider and its offer, a worker refers, the provider
//! accepts, starts and records delivery; residential care without a legal basis answers 409
//! `residential_needs_legal_basis`.

use goldaw_core::codes::Role;
use goldaw_store::Store;
use reqwest::StatusCode;
use serde_json::json;

use crate::common;
use common::api_client_for as client_for;

goldaw_store::each_backend! {
    async fn a_referral_through_the_api_alone(db: TestDb) {
        let secrets = goldaw_store::crypto::Secrets::from_key([9u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(secrets))
            .await
            .unwrap();
        let base = crate::common::TestApp::spawn(&store).await.base;
        let ministry = client_for(&store, &base, "min", Role::Ministry, "TM").await;
        let sup = client_for(&store, &base, "sup", Role::Supervisor, "TM-A-05").await;
        let aman = client_for(&store, &base, "aman", Role::SocialWorker, "TM-A-05").await;
        let yenme = client_for(&store, &base, "yenme", Role::Provider, "provider:PR-Y").await;
        let other = client_for(&store, &base, "redc", Role::Provider, "provider:PR-RC").await;

        // The register: a provider, its offer of S01 with two places, a residential home.
        let (status, provider) = ministry
            .send(
                "POST",
                "/providers",
                Some(json!({"external_id": "PR-Y", "name": "Ýeňme", "kind": "ngo"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{} {provider}", db.backend);
        let (status, offer) = ministry
            .send(
                "PUT",
                &format!("/providers/{}/offers", provider["id"].as_str().unwrap()),
                Some(json!({"service_code": "S01", "admin_unit": "TM-A-05", "places": 2})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{offer}");
        let (_, home) = ministry
            .send(
                "POST",
                "/providers",
                Some(json!({"external_id": "PR-HOME", "name": "Home", "kind": "state"})),
            )
            .await;
        let (_, res_offer) = ministry
            .send(
                "PUT",
                &format!("/providers/{}/offers", home["id"].as_str().unwrap()),
                Some(json!({"service_code": "RES_CARE", "admin_unit": "TM-A"})),
            )
            .await;
        let (status, _) = aman
            .send(
                "POST",
                "/providers",
                Some(json!({"external_id": "X", "name": "X", "kind": "ngo"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // A case in holistic assessment, assigned to aman.
        let (_, person) = sup
            .send("POST", "/persons", Some(json!({"given_name": "Aýna", "family_name": "Annaýewa", "sex": "F", "birth_date": "1988-02-01", "admin_unit": "TM-A-05", "target_groups": []})))
            .await;
        let (status, case) = sup
            .send(
                "POST",
                "/cases",
                Some(json!({"person": person["id"], "admin_unit": "TM-A-05",
                "referral_source": "self", "concern": "Lives alone since the stroke"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        let id = case["id"].as_str().unwrap().to_owned();
        let (_, case) = sup
            .send(
                "PUT",
                &format!("/cases/{id}/allocation"),
                Some(json!({"worker": "aman", "version": case["version"]})),
            )
            .await;
        let (_, case) = aman
            .send(
                "POST",
                &format!("/cases/{id}/actions"),
                Some(json!({"action": "start_initial", "version": case["version"]})),
            )
            .await;
        common::assess_via_api(&aman, &id, "initial", &[]).await;
        let (status, case) = aman
            .send("POST", &format!("/cases/{id}/actions"), Some(json!({"action": "complete_initial", "priority": "support", "version": case["version"]})))
            .await;
        assert_eq!(status, StatusCode::OK, "{case}");

        // Where S01 may be had.
        let (status, offers) = aman
            .send("GET", "/offers?service=S01&admin_unit=TM-A-05", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{offers}");
        assert_eq!(offers[0]["free_places"], 2);

        // Residential care without a legal basis: refused with the rule's code.
        let (status, err) = aman
            .send(
                "POST",
                &format!("/cases/{id}/referrals"),
                Some(json!({"person": person["id"],
                "service_code": "RES_CARE", "provider_service": res_offer["id"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(
            err["error"]["code"], "residential_needs_legal_basis",
            "{err}"
        );

        // Refer to S01; the provider accepts, starts and records delivery.
        let (status, referral) = aman
            .send("POST", &format!("/cases/{id}/referrals"), Some(json!({"person": person["id"],
                "service_code": "S01", "provider_service": offer["id"], "info": "Needs help mornings"})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{referral}");
        let rid = referral["id"].as_str().unwrap().to_owned();
        let (status, _) = other
            .send("GET", &format!("/provider/referrals/{rid}"), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, inbox) = yenme.send("GET", "/provider/referrals", None).await;
        assert_eq!(inbox.as_array().map(Vec::len), Some(1), "{inbox}");
        let (status, seen) = yenme
            .send("GET", &format!("/provider/referrals/{rid}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(seen["given_name"], "Aýna");
        assert_eq!(seen["birth_year"], 1988);
        assert!(!seen.to_string().contains("stroke"), "{seen}");
        let (status, accepted) = yenme
            .send(
                "POST",
                &format!("/provider/referrals/{rid}/actions"),
                Some(json!({"action": "accept", "version": seen["version"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{accepted}");
        assert_eq!(accepted["status"], "accepted");
        let (status, err) = yenme
            .send(
                "POST",
                &format!("/provider/referrals/{rid}/actions"),
                Some(json!({"action": "start", "version": seen["version"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "conflict");
        let (status, started) = yenme
            .send(
                "POST",
                &format!("/provider/referrals/{rid}/actions"),
                Some(json!({"action": "start", "version": accepted["version"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let (status, delivered) = yenme
            .send(
                "POST",
                &format!("/provider/referrals/{rid}/deliveries"),
                Some(json!({"units": 3})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{delivered}");
        assert_eq!(delivered["units"], 3);

        // The worker sees it on the case.
        let (_, listed) = aman
            .send("GET", &format!("/cases/{id}/referrals"), None)
            .await;
        assert_eq!(listed[0]["status"], "started", "{listed}");
        assert_eq!(listed[0]["units"], 3);
    }
}
