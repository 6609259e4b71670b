//! The name index narrowed to the reader's places (migration 0027, found by the load benchmark
//! of issue #24): a search at etrap or velayat scope asks the index for the name and the scope's
//! places. Here: every scope level finds exactly its own people (units below an etrap included),
//! and a person who moves is found in her new place only.

use crate::helpers::{operator, staff};
use goldaw_core::codes::Role;
use goldaw_core::people::PersonData;
use goldaw_store::people::PersonQuery;
use goldaw_store::{Principal, Store};
use serde_json::json;

async fn add(store: &Store, id: &str, unit: &str) {
    let data: PersonData = serde_json::from_value(json!({
        "given_name": "Maral", "family_name": "Ýazowa", "sex": "F",
        "birth_date": "1980-02-03", "admin_unit": unit
    }))
    .unwrap();
    store
        .create_person(&operator(), Some(id.parse().unwrap()), data)
        .await
        .unwrap();
}

async fn found(store: &Store, who: &Principal, name: &str) -> Vec<String> {
    let q = PersonQuery {
        name: Some(name.into()),
        limit: 50,
        ..Default::default()
    };
    let mut ids: Vec<String> = store
        .search_persons(who, &q)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.person_id.as_str().to_owned())
        .collect();
    ids.sort();
    ids
}

goldaw_store::each_backend! {
    async fn each_scope_finds_its_own_places_and_a_move_is_followed(db: TestDb) {
        let store = db.open().await;
        // An etrap, a unit below it, another etrap of the same velayat whose code starts the
        // same way in the index's compact form, another velayat.
        add(&store, "N1", "TM-A-09").await;
        add(&store, "N2", "TM-A-09-01").await;
        add(&store, "N3", "TM-A-01").await;
        add(&store, "N4", "TM-B-01").await;
        let b = db.backend;
        let etrap = staff(&store, "etrap", Role::Supervisor, "TM-A-09").await;
        let below = staff(&store, "below", Role::Supervisor, "TM-A-09-01").await;
        let other = staff(&store, "other", Role::Supervisor, "TM-A-01").await;
        let velayat = staff(&store, "velayat", Role::Supervisor, "TM-A").await;
        let nation = staff(&store, "nation", Role::Supervisor, "TM").await;
        // Whole words and parts of words both go through the index (three letters or more).
        for name in ["Maral Ýazowa", "ral azow"] {
            assert_eq!(found(&store, &etrap, name).await, ["N1", "N2"], "{b}: {name}");
            assert_eq!(found(&store, &below, name).await, ["N2"], "{b}: {name}");
            assert_eq!(found(&store, &other, name).await, ["N3"], "{b}: {name}");
            assert_eq!(found(&store, &velayat, name).await, ["N1", "N2", "N3"], "{b}: {name}");
            assert_eq!(found(&store, &nation, name).await, ["N1", "N2", "N3", "N4"], "{b}: {name}");
        }
        // N4 moves to the etrap: found there, no longer in velayat B's places.
        let n4 = store
            .search_persons(&nation, &PersonQuery { external_id: Some("N4".into()), limit: 5, ..Default::default() })
            .await
            .unwrap()
            .remove(0);
        let mut data = n4.data.clone();
        data.admin_unit = "TM-A-09".parse().unwrap();
        store.update_person(&nation, n4.id, n4.version, data).await.unwrap();
        assert_eq!(found(&store, &etrap, "maral yazowa").await, ["N1", "N2", "N4"], "{b}");
        let velayat_b = staff(&store, "velayatb", Role::Supervisor, "TM-B").await;
        assert!(found(&store, &velayat_b, "maral yazowa").await.is_empty(), "{b}");
        store.close().await;
    }
}
