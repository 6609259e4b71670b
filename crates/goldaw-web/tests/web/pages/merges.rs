//! Merging duplicate records through the pages, on every backend: from the people search to the
//! side-by-side comparison and the confirmation, and a refusal shown before anyone confirms.

use super::common::{client, csrf_of, sign_in};
use super::PASSWORD;
use goldaw_core::codes::Role;
use goldaw_core::people::PersonData;
use goldaw_store::testing::databases;
use goldaw_store::users::NewUser;
use goldaw_store::Principal;
use reqwest::{header, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_supervisor_merges_a_duplicate_from_the_people_search() {
    for db in databases().await {
        let store = db.open().await;
        let op = Principal::system("test");
        for (name, role) in [("sup", Role::Supervisor), ("aman", Role::SocialWorker)] {
            store
                .add_user(
                    &op,
                    NewUser {
                        username: name.into(),
                        role,
                        scope: "TM-A-01".parse().unwrap(),
                        sensitive: false,
                        unsuppressed: false,
                        password: PASSWORD.into(),
                    },
                )
                .await
                .unwrap();
        }
        let mut ids = Vec::new();
        for (given, birth) in [
            ("Jeren", "1985-06-01"),
            ("Dzheren", "1985-06-01"),
            ("Jerena", "1985-01-06"),
        ] {
            let data: PersonData =
                serde_json::from_value(json!({"given_name": given, "family_name": "Nurýagdyýewa",
                "sex": "F", "birth_date": birth, "admin_unit": "TM-A-01"}))
                .unwrap();
            ids.push(store.create_person(&op, None, data).await.unwrap().id);
        }
        let (kept, dup, other) = (ids[0], ids[1], ids[2]);
        let base = crate::common::TestApp::spawn(&store).await.base;
        let c = client();
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
        let sup = format!(
            "{}; goldaw_lang=en",
            sign_in(&base, "sup", PASSWORD).await.1.unwrap()
        );
        let aman = format!(
            "{}; goldaw_lang=en",
            sign_in(&base, "aman", PASSWORD).await.1.unwrap()
        );

        // The search offers the merge to the supervisor only.
        let (_, people) = get(sup.clone(), "/people?q=nuryagdyyewa".into()).await;
        assert!(
            people.contains(&format!("/people/merge?merged={dup}")),
            "{people}"
        );
        let (_, people) = get(aman.clone(), "/people?q=nuryagdyyewa".into()).await;
        assert!(!people.contains("/people/merge"), "{people}");
        assert_eq!(
            get(aman.clone(), format!("/people/merge?merged={dup}"))
                .await
                .0,
            StatusCode::FORBIDDEN
        );

        // The likely duplicates of the chosen record, then both side by side.
        let (status, page) = get(sup.clone(), format!("/people/merge?merged={dup}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains(&format!("/people/merge?merged={dup}&amp;kept={kept}")),
            "{}: {page}",
            db.backend
        );
        let (_, page) = get(
            sup.clone(),
            format!("/people/merge?merged={other}&kept={kept}"),
        )
        .await;
        assert!(page.contains("different birth dates"), "{page}");
        assert!(
            !page.contains("id=\"merge-confirm\""),
            "no confirmation for a refused merge"
        );
        let (_, page) = get(
            sup.clone(),
            format!("/people/merge?merged={dup}&kept={kept}"),
        )
        .await;
        assert!(page.contains("Jeren") && page.contains("Dzheren"), "{page}");
        assert!(page.contains("id=\"merge-confirm\""), "{page}");

        // Confirmed with the page's versions: merged, and the duplicate is gone from the search.
        let form = [
            ("csrf", csrf_of(&page)),
            ("kept", kept.to_string()),
            ("merged", dup.to_string()),
            ("kept_version", "1".into()),
            ("merged_version", "1".into()),
        ];
        let r = c
            .post(format!("{base}/people/merge"))
            .header(header::COOKIE, &sup)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", db.backend);
        let done = r.headers()[header::LOCATION].to_str().unwrap().to_owned();
        let (_, page) = get(sup.clone(), done).await;
        assert!(page.contains("The records were merged"), "{page}");
        let (_, people) = get(sup.clone(), "/people?q=nuryagdyyewa".into()).await;
        assert!(!people.contains(&format!("merged={dup}")), "{people}");
        assert!(people.contains(&format!("merged={kept}")));
        // The same form again: refused with the reason, as a page.
        let r = c
            .post(format!("{base}/people/merge"))
            .header(header::COOKIE, &sup)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("already merged"));
    }
}
