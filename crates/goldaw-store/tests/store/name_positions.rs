//! A national search of one word on PostgreSQL reads the btrees of a name's first and second
//! words (migration 0038, `people::search::WORD_POSITIONS`) and stops at its window; the word
//! GIN finds the rest. The same searches on SQLite (its word table), from one body: every person
//! of the word reachable through the pages, none twice, scope and sensitivity as everywhere.

use crate::helpers::{operator, sensitive_staff, staff};
use crate::name_words::page;
use goldaw_core::codes::Role;
use goldaw_core::people::PersonData;
use goldaw_store::people::{DuplicateQuery, PersonQuery, MAX_OFFSET};
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use serde_json::json;

async fn add(store: &Store, who: &Principal, id: &str, given: &str, family: &str, unit: &str) {
    let data: PersonData = serde_json::from_value(json!({
        "given_name": given, "family_name": family, "sex": "F",
        "birth_date": "1980-02-03", "admin_unit": unit
    }))
    .unwrap();
    store
        .create_person(who, Some(id.parse().unwrap()), data)
        .await
        .unwrap();
}

/// Every page of `limit` until an empty one, in order.
async fn walk(store: &Store, who: &Principal, name: &str, limit: u32) -> Vec<String> {
    let mut all = Vec::new();
    for n in 0..20 {
        let ids = page(store, who, name, n * limit, limit).await;
        if ids.is_empty() {
            break;
        }
        all.extend(ids);
    }
    all
}

goldaw_store::each_backend! {
    async fn a_national_search_of_one_word_finds_it_in_every_place_of_the_name(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        let op = operator();
        // Stored family name first: "Maral" as the first word (a family name), the second (a
        // given name) and the third (a given name of two words).
        add(&store, &op, "F1", "Aýna", "Maral", "TM-A-01").await;
        add(&store, &op, "G1", "Maral", "Ýazowa", "TM-A-01").await;
        add(&store, &op, "G2", "Maral", "Gurbanowa", "TM-B-01").await;
        add(&store, &op, "G3", "Maral", "Berdiýewa", "TM-L-05").await;
        add(&store, &op, "T1", "Ogul Maral", "Amanowa", "TM-D-10").await;
        add(&store, &op, "X1", "Maralgül", "Amanowa", "TM-D-10").await;
        add(&store, &op, "N1", "Merdan", "Orazow", "TM-A-01").await;
        let sens = sensitive_staff(&store, "sens", Role::SocialWorker, "TM-A-01").await;
        // A survivor's record: hidden from whoever may not see sensitive people.
        let data: PersonData = serde_json::from_value(json!({
            "given_name": "Maral", "family_name": "Gizlinowa", "sex": "F", "birth_date": "1990-01-01",
            "admin_unit": "TM-A-01", "target_groups": ["woman_gbv"]
        }))
        .unwrap();
        store.create_person(&sens, Some("H1".parse().unwrap()), data).await.unwrap();
        let nation = staff(&store, "nation", Role::Supervisor, "TM").await;
        let velayat = staff(&store, "velayat", Role::Supervisor, "TM-A").await;
        // Pages of two: the positions' people fill the first pages, the GIN's the later ones;
        // every person of the word once, the part of a word (X1) after the whole words, the
        // hidden person never.
        let all = walk(&store, &nation, "maral", 2).await;
        let mut sorted = all.clone();
        sorted.sort();
        let mut unique = sorted.clone();
        unique.dedup();
        assert_eq!(unique, sorted, "{b}: a person on two pages: {all:?}");
        assert_eq!(sorted, ["F1", "G1", "G2", "G3", "T1", "X1"], "{b}: {all:?}");
        assert_eq!(all.last().map(String::as_str), Some("X1"), "{b}: whole words first: {all:?}");
        // One page of everyone: the same people.
        let mut one = page(&store, &nation, "Марал", 0, 50).await;
        one.sort();
        assert_eq!(one, ["F1", "G1", "G2", "G3", "T1", "X1"], "{b}");
        // The same word in a velayat: its people only (the place-keyed indexes).
        let mut vel = walk(&store, &velayat, "maral", 2).await;
        vel.sort();
        assert_eq!(vel, ["F1", "G1"], "{b}");
        // A typo: the stored words close to it, one at a time, the closest first (the positions'
        // btrees for the nation); every holder of the close word once, the farther word
        // ("maralgul") not close enough to show.
        for (who, expected) in [(&nation, vec!["F1", "G1", "G2", "G3", "T1"]), (&velayat, vec!["F1", "G1"])] {
            let all = walk(&store, who, "Marral", 2).await;
            let mut sorted = all.clone();
            sorted.sort();
            assert_eq!(sorted, expected, "{b}: {all:?}");
        }
        // A word nobody holds as a whole word or a part: nobody; the hidden person to her reader.
        assert!(walk(&store, &nation, "gizlinowa", 2).await.is_empty(), "{b}");
        let national_sensitive = sensitive_staff(&store, "nsens", Role::Supervisor, "TM").await;
        assert_eq!(walk(&store, &national_sensitive, "gizlinowa", 2).await, ["H1"], "{b}");
        store.close().await;
    }

    async fn paging_past_the_bound_and_a_name_longer_than_any_are_refused(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        add(&store, &operator(), "P1", "Maral", "Ýazowa", "TM-A-01").await;
        let nation = staff(&store, "nation", Role::Supervisor, "TM").await;
        let refused = |r: Result<Vec<goldaw_store::people::PersonRecord>, StoreError>| match r {
            Err(StoreError::Invalid { field, say, .. }) => {
                assert_eq!(field, "offset", "{b}");
                assert_eq!(say.map(|s| s.key), Some("store-people-offset"), "{b}");
            }
            other => panic!("{b}: {other:?}"),
        };
        // A name search and a browse, past the bound and at the far end of u32: refused, no panic.
        for name in [Some("maral"), None] {
            for offset in [MAX_OFFSET + 1, u32::MAX] {
                let q = PersonQuery { name: name.map(str::to_owned), offset, limit: 200, ..Default::default() };
                refused(store.search_persons(&nation, &q).await);
            }
            // At the bound: answered (nobody that far).
            let q = PersonQuery { name: name.map(str::to_owned), offset: MAX_OFFSET, limit: 200, ..Default::default() };
            assert!(store.search_persons(&nation, &q).await.unwrap().is_empty(), "{b}");
        }
        // The duplicate check: a name longer than any stored one is refused, field named.
        let long = "a".repeat(101);
        for (given, family, field) in [(long.as_str(), None, "given_name"), ("Maral", Some(long.as_str()), "family_name")] {
            let q = DuplicateQuery { given_name: given.into(), family_name: family.map(str::to_owned), ..Default::default() };
            match store.find_duplicates(&nation, &q).await {
                Err(StoreError::Invalid { field: f, .. }) => assert_eq!(f, field, "{b}"),
                other => panic!("{b}: {other:?}"),
            }
        }
        let q = DuplicateQuery { given_name: "Maral".into(), family_name: Some("Ýazowa".into()), ..Default::default() };
        assert_eq!(store.find_duplicates(&nation, &q).await.unwrap().len(), 1, "{b}");
        store.close().await;
    }

    async fn the_national_search_of_one_word_walks_a_position_index_in_name_order(db: TestDb) {
        let _store = db.open().await;
        if let DatabaseUrl::Postgres(url) = &db.url {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            // The tables are all but empty: with the sequential scan and bitmaps ruled out, the
            // statement `people::search` sends for each position is answered from its btree, in
            // the order asked for (no sort), so it can stop at the window.
            sqlx::query("SET enable_seqscan = off").execute(&mut conn).await.unwrap();
            sqlx::query("SET enable_bitmapscan = off").execute(&mut conn).await.unwrap();
            for (position, index) in [(1, "persons_first_word"), (2, "persons_second_word")] {
                let rows: Vec<(String,)> = sqlx::query_as(&format!(
                    "EXPLAIN SELECT p.id, p.name_key, p.external_id FROM persons p
                     WHERE p.admin_unit >= 'TM' AND p.admin_unit < 'TM.' AND p.merged_into IS NULL
                       AND split_part(p.name_key, ' ', {position}) = 'maral'
                     ORDER BY p.name_key LIMIT 250"
                ))
                .fetch_all(&mut conn)
                .await
                .unwrap();
                let plan = rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n");
                assert!(plan.contains(index), "{plan}");
                assert!(!plan.contains("Sort"), "{plan}");
            }
        }
    }
}
