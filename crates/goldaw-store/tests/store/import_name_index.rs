//! The name index and the bulk import (issue #19): into an empty database the import fills the
//! index once at the end instead of row by row (SQLite: its insert trigger is dropped for the
//! load and put back; PostgreSQL: every index of the empty tables is rebuilt), so these tests
//! check what a user sees either way: everyone imported is found by name, a refused import leaves
//! the index and its upkeep as they were, and writes after the import are indexed again.

use crate::helpers::staff;
use goldaw_core::codes::Role;
use goldaw_store::interchange::NoProgress;
use goldaw_store::people::PersonQuery;
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

const HEADER: &str = "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups";

fn persons(dir: &Path, rows: &[&str]) {
    std::fs::write(
        dir.join("persons.csv"),
        format!("{HEADER}\n{}\n", rows.join("\n")),
    )
    .unwrap();
}

async fn import(store: &Store, dir: &Path) -> Result<(), StoreError> {
    store
        .import_dir(&Principal::system("test"), dir, Arc::new(NoProgress))
        .await
        .map(|_| ())
}

async fn search(store: &Store, who: &Principal, name: &str) -> Vec<String> {
    let query = PersonQuery {
        name: Some(name.into()),
        limit: 50,
        ..Default::default()
    };
    let found = store.search_persons(who, &query).await.unwrap();
    found.into_iter().map(|p| p.person_id).collect()
}

/// How many of the name indexes' upkeep objects the database holds: SQLite's insert triggers
/// (trigrams, words and the vocabulary of words), PostgreSQL's GIN indexes on the folded name.
async fn upkeep(store: &Store) -> i64 {
    use sqlx::Connection;
    match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_scalar(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'
                  AND name IN ('persons_name_index_insert', 'persons_name_words_insert',
                               'person_name_words_insert')",
            )
            .fetch_one(&mut c)
            .await
            .unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(
                "SELECT count(*) FROM pg_indexes WHERE tablename = 'persons' AND indexdef LIKE '%gin%name_key%'",
            )
            .fetch_one(&mut c)
            .await
            .unwrap()
        }
    }
}

goldaw_store::each_backend! {
    async fn an_import_into_an_empty_database_indexes_every_name_once_and_keeps_the_upkeep(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        let nat = staff(&store, "nat", Role::Supervisor, "TM").await;
        let before = upkeep(&store).await;
        assert!(before >= 1, "{b}: the migrations made the index's upkeep");
        if store.url().is_sqlite() {
            assert_eq!(before, 3, "{b}: the three insert triggers");
        }
        let dir = tempfile::tempdir().unwrap();

        // Refused on its last row (a sex nobody has): nothing written, the upkeep in place.
        persons(dir.path(), &[
            "N1,,Şatlyk,Hojamow,M,1970-07-07,TM-A-01,urban,,,,,,,,",
            "N2,,Maral,Ýazowa,F,1985-02-03,TM-A-01,rural,,,,,,,,",
            "N3,,Aýna,Täzeýewa,Q,1990-05-06,TM-S-02,rural,,,,,,,,",
        ]);
        let refused = import(&store, dir.path()).await;
        assert!(matches!(refused, Err(StoreError::Import(_))), "{b}: {refused:?}");
        assert_eq!(upkeep(&store).await, before, "{b}: a refused import keeps the upkeep");
        assert!(search(&store, &nat, "Şatlyk").await.is_empty(), "{b}");

        // Into the empty table: every name found, in any spelling, each once.
        persons(dir.path(), &[
            "N1,,Şatlyk,Hojamow,M,1970-07-07,TM-A-01,urban,,,,,,,,",
            "N2,,Maral,Ýazowa,F,1985-02-03,TM-A-01,rural,,,,,,,,",
            "N3,,Aýna,Täzeýewa,F,1990-05-06,TM-S-02,rural,,,,,,,,",
        ]);
        import(&store, dir.path()).await.unwrap();
        assert_eq!(upkeep(&store).await, before, "{b}: the upkeep is back after the import");
        crate::name_words::words_are_exact(&store, b, "after an import into an empty database").await;
        assert_eq!(search(&store, &nat, "Шатлык Ходжамов").await, ["N1"], "{b}");
        assert_eq!(search(&store, &nat, "maral yazowa").await, ["N2"], "{b}");
        assert_eq!(search(&store, &nat, "tazeyewa").await, ["N3"], "{b}");
        assert_eq!(search(&store, &nat, "Hojamaw").await, ["N1"], "{b}: a typo, through the trigrams");
        // The scope's place narrows the index too (the place token written by the fill).
        let velayat_s = staff(&store, "sup-s", Role::Supervisor, "TM-S").await;
        assert_eq!(search(&store, &velayat_s, "ayna").await, ["N3"], "{b}");
        assert!(search(&store, &velayat_s, "maral").await.is_empty(), "{b}");

        // Writes after the import are indexed: a new person, and a second import's upsert.
        let data = serde_json::from_value(json!({
            "given_name": "Ogulgerek", "family_name": "Amanowa", "sex": "F",
            "birth_date": "2001-01-01", "admin_unit": "TM-A-01"
        }))
        .unwrap();
        store.create_person(&crate::helpers::operator(), Some("N4".parse().unwrap()), data).await.unwrap();
        assert_eq!(search(&store, &nat, "ogulgerek").await, ["N4"], "{b}");
        persons(dir.path(), &["N2,,Maral,Berdiýewa,F,1985-02-03,TM-A-01,rural,,,,,,,,"]);
        import(&store, dir.path()).await.unwrap();
        assert_eq!(search(&store, &nat, "maral berdiyewa").await, ["N2"], "{b}");
        assert!(search(&store, &nat, "yazowa").await.is_empty(), "{b}: the old name left the index");
        crate::name_words::words_are_exact(&store, b, "after a second import").await;
        store.close().await;
    }
}
