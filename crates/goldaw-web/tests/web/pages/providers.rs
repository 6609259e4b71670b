//! The register of providers through the pages, on every backend: the ministry registers a
//! provider, a service point and an offer with places, changes the places; a stale form, bad
//! input and a worker are refused, and nothing changes.

use super::common::{client, csrf_of, sign_in};
use super::PASSWORD;
use goldaw_core::codes::Role;
use goldaw_store::testing::databases;
use goldaw_store::users::NewUser;
use goldaw_store::Principal;
use reqwest::{header, StatusCode};

#[tokio::test]
async fn the_ministry_keeps_the_register_of_providers_through_the_pages() {
    for db in databases().await {
        let b = db.backend;
        // With a key: the ministry's national account signs in with two factors.
        let store = db.open_with_key().await;
        let op = Principal::system("test");
        for (name, role, scope) in [
            ("min", Role::Ministry, "TM"),
            ("aman", Role::SocialWorker, "TM-A-01"),
        ] {
            store
                .add_user(
                    &op,
                    NewUser {
                        username: name.into(),
                        role,
                        scope: scope.parse().unwrap(),
                        sensitive: false,
                        unsuppressed: false,
                        password: PASSWORD.into(),
                    },
                )
                .await
                .unwrap();
        }
        let base = crate::common::TestApp::spawn(&store).await.base;
        let c = client();
        let min = format!(
            "{}; goldaw_lang=en",
            sign_in(&base, "min", PASSWORD).await.1.unwrap()
        );
        let aman = format!(
            "{}; goldaw_lang=en",
            sign_in(&base, "aman", PASSWORD).await.1.unwrap()
        );
        let get = |cookie: String, path: String| {
            let (c, base) = (c.clone(), base.clone());
            async move {
                let r = c
                    .get(format!("{base}{path}"))
                    .header(header::COOKIE, cookie)
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let post = |cookie: String, path: String, form: Vec<(&'static str, String)>| {
            let (c, base) = (c.clone(), base.clone());
            async move {
                let r = c
                    .post(format!("{base}{path}"))
                    .header(header::COOKIE, cookie)
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                let location = r
                    .headers()
                    .get(header::LOCATION)
                    .map(|l| l.to_str().unwrap().to_owned());
                (r.status(), location, r.text().await.unwrap())
            }
        };

        let (status, page) = get(min.clone(), "/providers".into()).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("No provider is registered yet"), "{page}");
        assert!(
            page.contains("href=\"/providers\""),
            "the menu links the register"
        );
        let csrf = csrf_of(&page);

        // A worker may not see or change the register.
        assert_eq!(
            get(aman.clone(), "/providers".into()).await.0,
            StatusCode::FORBIDDEN
        );

        let (status, to, _) = post(
            min.clone(),
            "/providers".into(),
            vec![
                ("csrf", csrf.clone()),
                ("external_id", "PR-YENME".into()),
                ("name", "Ýeňme".into()),
                ("kind", "ngo".into()),
                ("admin_unit", "TM-A-01".into()),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}");
        let provider_path = to.unwrap();
        let id: uuid::Uuid = provider_path
            .strip_prefix("/providers/")
            .unwrap()
            .parse()
            .unwrap();
        // The same id again: refused, naming the id.
        let (status, _, page) = post(
            min.clone(),
            "/providers".into(),
            vec![
                ("csrf", csrf.clone()),
                ("external_id", "PR-YENME".into()),
                ("name", "Another".into()),
                ("kind", "state".into()),
                ("admin_unit", "".into()),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(
            page.contains("PR-YENME") && page.contains("already registered"),
            "{page}"
        );

        // A service point, then an offer of two places there.
        let (status, _, _) = post(
            min.clone(),
            format!("{provider_path}/points"),
            vec![
                ("csrf", csrf.clone()),
                ("name", "Day centre".into()),
                ("admin_unit", "TM-A-01".into()),
                ("address", "Magtymguly köçesi 5".into()),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}");
        let point = store.provider(&op, id).await.unwrap().service_points[0].id;
        let offer_form = |places: &str, version: Option<i32>| {
            let mut f = vec![
                ("csrf", csrf.clone()),
                ("service_code", "S01".to_string()),
                ("admin_unit", "TM-A-01".to_string()),
                ("service_point", point.to_string()),
                ("places", places.to_string()),
                ("active", "true".to_string()),
            ];
            if let Some(v) = version {
                f.push(("version", v.to_string()));
            }
            f
        };
        let (status, _, _) = post(
            min.clone(),
            format!("{provider_path}/offers"),
            offer_form("2", None),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}");
        let (_, page) = get(min.clone(), provider_path.clone()).await;
        assert!(page.contains("Day centre"), "{page}");
        assert!(page.contains("(S01)"), "the offer is listed: {page}");
        let offer = store.provider(&op, id).await.unwrap().offers[0].clone();
        assert_eq!(
            (offer.places, offer.free_places, offer.service_point_id),
            (Some(2), Some(2), Some(point))
        );

        // Bad places: refused with the field named; nothing changed.
        let (status, _, page) = post(
            min.clone(),
            format!("{provider_path}/offers"),
            offer_form("two", Some(offer.version)),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(
            page.contains("places") && page.contains("whole number"),
            "{page}"
        );
        let (status, _, page) = post(
            min.clone(),
            format!("{provider_path}/offers"),
            offer_form("-1", Some(offer.version)),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(page.contains("cannot be negative"), "{page}");
        assert_eq!(
            store.provider(&op, id).await.unwrap().offers[0].places,
            Some(2)
        );

        // Three places, then the same (now stale) form again: a conflict, not an overwrite.
        let (status, _, _) = post(
            min.clone(),
            format!("{provider_path}/offers"),
            offer_form("3", Some(offer.version)),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}");
        let (status, _, _) = post(
            min.clone(),
            format!("{provider_path}/offers"),
            offer_form("9", Some(offer.version)),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}");
        assert_eq!(
            store.provider(&op, id).await.unwrap().offers[0].places,
            Some(3)
        );

        // The provider's details, changed with their version; a stale change is refused.
        let version = store.provider(&op, id).await.unwrap().version;
        let details = |name: &str, version: i32| {
            vec![
                ("csrf", csrf.clone()),
                ("version", version.to_string()),
                ("name", name.to_string()),
                ("kind", "ngo".to_string()),
                ("admin_unit", "TM-A-01".to_string()),
                ("active", "true".to_string()),
            ]
        };
        let (status, _, _) = post(
            min.clone(),
            provider_path.clone(),
            details("Ýeňme NGO", version),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}");
        let (status, _, _) =
            post(min.clone(), provider_path.clone(), details("Lost", version)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}");
        let mut unknown_kind = details("X", version + 1);
        unknown_kind[3].1 = "cooperative".into();
        let (status, _, page) = post(min.clone(), provider_path.clone(), unknown_kind).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {page}");
        let (_, page) = get(min.clone(), "/providers".into()).await;
        assert!(page.contains("Ýeňme NGO"), "{page}");
        assert!(page.contains("3 places, 3 free"), "{page}");
        assert!(!page.contains("Lost"));

        // The service point: renamed through its form; ending it is refused while the offer
        // is delivered there (the page says which), then allowed once the offer has ended.
        let point_form = |name: &str, open: bool, version: i32| {
            let mut f = vec![
                ("csrf", csrf.clone()),
                ("version", version.to_string()),
                ("name", name.to_string()),
                ("admin_unit", "TM-A-02".to_string()),
                ("address", "Bitarap Türkmenistan şaýoly 5".to_string()),
            ];
            if open {
                f.push(("active", "true".to_string()));
            }
            f
        };
        let point_path = format!("{provider_path}/points/{point}");
        let (status, _, _) = post(
            min.clone(),
            point_path.clone(),
            point_form(
                "Day centre Ýeňme",
                true,
                store.provider(&op, id).await.unwrap().version,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}");
        let (status, _, page) = post(
            min.clone(),
            point_path.clone(),
            point_form(
                "Day centre Ýeňme",
                false,
                store.provider(&op, id).await.unwrap().version,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(page.contains("S01 in TM-A-01"), "{page}");
        let offer = store.provider(&op, id).await.unwrap().offers[0].clone();
        let mut ended_offer = offer_form("3", Some(offer.version));
        ended_offer.retain(|(k, _)| *k != "active");
        let (status, _, _) =
            post(min.clone(), format!("{provider_path}/offers"), ended_offer).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}");
        let (status, _, _) = post(
            min.clone(),
            point_path.clone(),
            point_form(
                "Day centre Ýeňme",
                false,
                store.provider(&op, id).await.unwrap().version,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}");
        let sp = store.provider(&op, id).await.unwrap().service_points[0].clone();
        assert_eq!(
            (sp.name.as_str(), sp.admin_unit.as_str(), sp.active),
            ("Day centre Ýeňme", "TM-A-02", false),
            "{b}"
        );
        let (_, page) = get(min.clone(), provider_path.clone()).await;
        assert!(
            page.contains("Day centre Ýeňme") && page.contains("ended"),
            "{page}"
        );
        // Ended points are not offered for new offers.
        assert!(
            !page.contains(&format!("<option value=\"{point}\">")),
            "{b}: an ended point is offered"
        );

        // A worker's forms are refused, and an unknown provider is not found.
        let (status, _, _) = post(
            aman.clone(),
            format!("{provider_path}/offers"),
            offer_form("50", None),
        )
        .await;
        assert!(status.is_client_error(), "{b}: {status}");
        assert_eq!(
            store.provider(&op, id).await.unwrap().offers[0].places,
            Some(3)
        );
        assert_eq!(
            get(min.clone(), format!("/providers/{}", uuid::Uuid::now_v7()))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
    }
}
