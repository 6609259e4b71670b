//! People and households through the store, on every backend: scope, sensitivity, versions.

use goldaw_core::access::{Principal, Scope};
use goldaw_core::codes::Role;
use goldaw_core::people::{HouseholdData, PersonData};
use goldaw_store::households::HouseholdQuery;
use goldaw_store::people::PersonQuery;
use goldaw_store::StoreError;
use serde_json::json;

fn person(v: serde_json::Value) -> PersonData {
    serde_json::from_value(v).unwrap()
}

fn worker(unit: &str, sensitive: bool) -> Principal {
    Principal::user(
        uuid::Uuid::nil(),
        &format!("worker-{unit}"),
        Role::SocialWorker,
        Scope::Unit(unit.parse().unwrap()),
        sensitive,
    )
}

fn query(name: &str) -> PersonQuery {
    PersonQuery {
        name: Some(name.into()),
        limit: 50,
        ..Default::default()
    }
}

goldaw_store::each_backend! {
    async fn people_are_found_in_any_spelling_and_only_within_scope(db: TestDb) {
        let store = db.open().await;
        let admin = Principal::system("test");
        let ayna = store
            .create_person(&admin, Some("P1".parse().unwrap()), person(json!({
                "given_name": "Aýna", "family_name": "Orazowa", "sex": "F", "birth_date": "1990-05-01",
                "admin_unit": "TM-A-01", "settlement": "rural",
                "washington_group": {"seeing": 1, "walking": 3}
            })))
            .await
            .unwrap();
        assert_eq!(ayna.person_id, "P1");
        assert_eq!(ayna.version, 1);
        assert!(
            ayna.disability,
            "{}: WG walking 3 is a disability",
            db.backend
        );
        assert_eq!(
            ayna.data.household_id, None,
            "living alone: the household is goldaw's own"
        );
        let other = store
            .create_person(&admin, None, person(json!({
                "given_name": "Merdan", "family_name": "Orazow", "sex": "M", "admin_unit": "TM-S-02"
            })))
            .await
            .unwrap();
        assert_eq!(
            other.person_id,
            other.id.to_string(),
            "no external id given: goldaw's id serves"
        );

        // Cyrillic and plain Latin spellings find the Turkmen Latin name.
        for spelling in ["Айна", "ayna", "ORAZOWA AY", "оразова"] {
            let found = store
                .search_persons(&admin, &query(spelling))
                .await
                .unwrap();
            assert_eq!(
                found
                    .iter()
                    .map(|p| p.person_id.as_str())
                    .collect::<Vec<_>>(),
                ["P1"],
                "{}: {spelling}",
                db.backend
            );
        }
        let by_id = store
            .search_persons(
                &admin,
                &PersonQuery {
                    external_id: Some("P1".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(by_id.len(), 1);

        // A worker in TM-A-01 sees Aýna, and not Merdan in Ashgabat, not even by id.
        let ahal = worker("TM-A-01", false);
        assert_eq!(store.person(&ahal, ayna.id).await.unwrap().person_id, "P1");
        assert!(
            matches!(
                store.person(&ahal, other.id).await,
                Err(StoreError::NotFound)
            ),
            "{}",
            db.backend
        );
        let seen = store.search_persons(&ahal, &query("orazow")).await.unwrap();
        assert_eq!(
            seen.iter()
                .map(|p| p.person_id.as_str())
                .collect::<Vec<_>>(),
            ["P1"],
            "{}",
            db.backend
        );
        // Asking for another unit does not widen the scope.
        let widened = store
            .search_persons(
                &ahal,
                &PersonQuery {
                    admin_unit: Some("TM-S".parse().unwrap()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(widened.is_empty(), "{}", db.backend);
        // A velayat supervisor sees the etraps inside it; a sibling velayat does not.
        assert!(store.person(&worker("TM-A", false), ayna.id).await.is_ok());
        assert!(store.person(&worker("TM-B", false), ayna.id).await.is_err());
        // A provider has no place scope at all.
        let provider = Principal::user(
            uuid::Uuid::nil(),
            "ngo",
            Role::Provider,
            Scope::Provider("PR1".into()),
            false,
        );
        assert!(store.person(&provider, ayna.id).await.is_err());
        assert!(matches!(
            store.search_persons(&provider, &query("ayna")).await,
            Err(StoreError::Forbidden(_))
        ));
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn sensitive_people_need_the_sensitive_permission(db: TestDb) {
        let store = db.open().await;
        let admin = Principal::system("test");
        let survivor = store
            .create_person(&admin, None, person(json!({
                "given_name": "Jeren", "sex": "F", "admin_unit": "TM-L-01", "target_groups": ["woman_gbv"]
            })))
            .await
            .unwrap();
        let plain = worker("TM-L-01", false);
        assert!(
            matches!(
                store.person(&plain, survivor.id).await,
                Err(StoreError::NotFound)
            ),
            "{}",
            db.backend
        );
        assert!(store
            .search_persons(&plain, &query("jeren"))
            .await
            .unwrap()
            .is_empty());
        let trusted = worker("TM-L-01", true);
        assert_eq!(
            store.person(&trusted, survivor.id).await.unwrap().id,
            survivor.id
        );
        // Without the permission, nobody can record someone as a survivor either.
        let err = store
            .create_person(&plain, None, person(json!({
                "given_name": "Selbi", "sex": "F", "admin_unit": "TM-L-01", "target_groups": ["woman_gbv"]
            })))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Forbidden(_)),
            "{}: {err}",
            db.backend
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn a_stale_update_is_a_conflict_never_a_silent_overwrite(db: TestDb) {
        let store = db.open().await;
        let admin = Principal::system("test");
        let p = store
            .create_person(
                &admin,
                None,
                person(json!({"given_name": "Batyr", "sex": "M", "admin_unit": "TM-M-03"})),
            )
            .await
            .unwrap();
        let mut first = p.data.clone();
        first.receives_benefits = Some(true);
        let updated = store
            .update_person(&admin, p.id, p.version, first)
            .await
            .unwrap();
        assert_eq!(updated.version, 2);
        assert_eq!(updated.data.receives_benefits, Some(true));
        let mut second = p.data.clone();
        second.receives_benefits = Some(false);
        let err = store
            .update_person(&admin, p.id, p.version, second)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    expected: 1,
                    actual: 2
                }
            ),
            "{}: {err}",
            db.backend
        );
        assert_eq!(
            store
                .person(&admin, p.id)
                .await
                .unwrap()
                .data
                .receives_benefits,
            Some(true)
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn writes_are_checked_against_reference_data_and_scope(db: TestDb) {
        let store = db.open().await;
        let admin = Principal::system("test");
        for (unit, expected) in [
            ("TM-Q-01", "unknown administrative unit"),
            ("TM", "not the whole country"),
        ] {
            let err = store
                .create_person(
                    &admin,
                    None,
                    person(json!({"given_name": "X", "sex": "M", "admin_unit": unit})),
                )
                .await
                .unwrap_err();
            assert!(err.to_string().contains(expected), "{}: {err}", db.backend);
        }
        let err = store
            .create_person(
                &worker("TM-A-01", false),
                None,
                person(json!({"given_name": "X", "sex": "M", "admin_unit": "TM-A-02"})),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Forbidden(_)),
            "{}: {err}",
            db.backend
        );
        let err = store
            .create_person(&admin, None, person(json!({"given_name": "X", "sex": "M", "admin_unit": "TM-A-02", "household_id": "NOPE"})))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown household 'NOPE'"),
            "{}: {err}",
            db.backend
        );
        let future = chrono::Utc::now().date_naive() + chrono::Days::new(2);
        let err = store
            .create_person(&admin, None, person(json!({"given_name": "X", "sex": "M", "admin_unit": "TM-A-02", "birth_date": future})))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("in the future"),
            "{}: {err}",
            db.backend
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn households_hold_members_with_their_relationship(db: TestDb) {
        let store = db.open().await;
        let admin = Principal::system("test");
        let data: HouseholdData = serde_json::from_value(json!({"admin_unit": "TM-D-10", "settlement": "urban", "address": "Gurbansoltan eje köçesi 3"})).unwrap();
        let h = store
            .create_household(&admin, Some("H77".parse().unwrap()), data)
            .await
            .unwrap();
        for (name, relationship) in [("Serdar", "head"), ("Maýsa", "spouse"), ("Oraz", "child")] {
            store
                .create_person(&admin, None, person(json!({
                    "given_name": name, "sex": if name == "Maýsa" { "F" } else { "M" }, "admin_unit": "TM-D-10",
                    "household_id": "H77", "relationship": relationship
                })))
                .await
                .unwrap();
        }
        let read = store.household(&admin, h.id).await.unwrap();
        assert_eq!(read.members.len(), 3, "{}", db.backend);
        assert_eq!(
            read.members[0].relationship.as_deref(),
            Some("head"),
            "{}: the head comes first",
            db.backend
        );
        let listed = store
            .search_households(
                &admin,
                &HouseholdQuery {
                    external_id: Some("H77".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert!(
            store.household(&worker("TM-A", false), h.id).await.is_err(),
            "{}: out of scope",
            db.backend
        );
        let mut moved = read.data.clone();
        moved.address = Some("Täze köçe 1".into());
        let v2 = store
            .update_household(&admin, h.id, 1, moved.clone())
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        assert!(matches!(
            store.update_household(&admin, h.id, 1, moved).await,
            Err(StoreError::Conflict { .. })
        ));
        let dup = serde_json::from_value(json!({"admin_unit": "TM-D-10"})).unwrap();
        let err = store
            .create_household(&admin, Some("H77".parse().unwrap()), dup)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("already exists"),
            "{}: {err}",
            db.backend
        );
        store.close().await;
    }
}
