//! The word indexes beside the trigram ones (migration 0034, issues #19 and #24): whole words
//! are answered from them first, parts of words fill the page after; every write, the import and
//! a merge keep them exact (SQLite: FTS5's integrity check against the persons themselves; both:
//! the vocabulary is the set of words of the stored names, no more, no fewer); and
//! the search's statements read them.

use crate::helpers::{operator, staff};
use goldaw_core::codes::Role;
use goldaw_core::people::PersonData;
use goldaw_store::interchange::NoProgress;
use goldaw_store::merges::MergeRequest;
use goldaw_store::people::PersonQuery;
use goldaw_store::{DatabaseUrl, Principal, Store};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

async fn add(store: &Store, id: &str, given: &str, family: &str, unit: &str) -> Uuid {
    let data: PersonData = serde_json::from_value(json!({
        "given_name": given, "family_name": family, "sex": "F",
        "birth_date": "1980-02-03", "admin_unit": unit
    }))
    .unwrap();
    store
        .create_person(&operator(), Some(id.parse().unwrap()), data)
        .await
        .unwrap()
        .id
}

/// PostgreSQL's plan of `sql`, one line a step.
async fn pg_plan(conn: &mut sqlx::PgConnection, sql: &str) -> String {
    let rows: Vec<(String,)> = sqlx::query_as(&format!("EXPLAIN {sql}"))
        .fetch_all(conn)
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n")
}

/// The external ids of one page of a name search, in the order shown.
pub(crate) async fn page(
    store: &Store,
    who: &Principal,
    name: &str,
    offset: u32,
    limit: u32,
) -> Vec<String> {
    let q = PersonQuery {
        name: Some(name.into()),
        limit,
        offset,
        ..Default::default()
    };
    store
        .search_persons(who, &q)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.person_id.as_str().to_owned())
        .collect()
}

async fn found(store: &Store, who: &Principal, name: &str) -> Vec<String> {
    let mut ids = page(store, who, name, 0, 50).await;
    ids.sort();
    ids
}

/// SQLite: FTS5's integrity check of the word index against its content (the persons, through
/// the view of migration 0034) passes. Both: the vocabulary (PostgreSQL 0034, SQLite 0037) is
/// exactly the words of the stored names.
pub(crate) async fn words_are_exact(store: &Store, b: &str, when: &str) {
    use sqlx::Connection;
    match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO persons_name_words (persons_name_words, rank) VALUES ('integrity-check', 1)",
            )
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{b}: {when}: the word index differs from the persons: {e}"));
            // The vocabulary (migration 0037): exactly the words of the stored names, split here
            // as the folded keys are (on spaces), not as the triggers do.
            let keys: Vec<(String,)> = sqlx::query_as("SELECT name_key FROM persons")
                .fetch_all(&mut c)
                .await
                .unwrap();
            let held: std::collections::BTreeSet<String> = keys
                .iter()
                .flat_map(|(k,)| k.split(' ').filter(|w| !w.is_empty()).map(str::to_owned))
                .collect();
            let stored: Vec<(String,)> =
                sqlx::query_as("SELECT word FROM person_name_words ORDER BY word")
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
            let stored: std::collections::BTreeSet<String> =
                stored.into_iter().map(|(w,)| w).collect();
            let extra: Vec<&String> = stored.difference(&held).collect();
            let missing: Vec<&String> = held.difference(&stored).collect();
            assert!(
                extra.is_empty(),
                "{b}: {when}: words no name holds: {extra:?}"
            );
            assert!(
                missing.is_empty(),
                "{b}: {when}: words missing: {missing:?}"
            );
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let (extra, missing): (Vec<String>, Vec<String>) = sqlx::query_as(
                "WITH held AS (SELECT DISTINCT w FROM persons, unnest(string_to_array(name_key, ' ')) AS w WHERE w <> '')
                 SELECT ARRAY(SELECT word FROM person_name_words EXCEPT SELECT w FROM held ORDER BY 1),
                        ARRAY(SELECT w FROM held EXCEPT SELECT word FROM person_name_words ORDER BY 1)",
            )
            .fetch_one(&mut c)
            .await
            .unwrap();
            assert!(
                extra.is_empty(),
                "{b}: {when}: words no name holds: {extra:?}"
            );
            assert!(
                missing.is_empty(),
                "{b}: {when}: words missing: {missing:?}"
            );
        }
    }
}

goldaw_store::each_backend! {
    async fn whole_words_come_first_and_parts_of_words_fill_the_page(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        add(&store, "W1", "Maral", "Ýazowa", "TM-A-01").await;
        add(&store, "W2", "Maral", "Gurbanowa", "TM-A-01").await;
        add(&store, "W3", "Maralgül", "Ýazowa", "TM-A-01").await;
        add(&store, "W4", "Aýmaral", "Amanowa", "TM-A-01").await;
        add(&store, "W5", "Maral", "Berdiýewa", "TM-A-02").await;
        let etrap = staff(&store, "etrap", Role::Supervisor, "TM-A-01").await;
        let nation = staff(&store, "nation", Role::Supervisor, "TM").await;
        // The whole word's people fill a page of two: nothing else is on it.
        let first = page(&store, &etrap, "maral", 0, 2).await;
        let mut sorted = first.clone();
        sorted.sort();
        assert_eq!(sorted, ["W1", "W2"], "{b}");
        // The next page holds the parts of words, which the whole words did not fill.
        let mut second = page(&store, &etrap, "maral", 2, 2).await;
        second.sort();
        assert_eq!(second, ["W3", "W4"], "{b}");
        assert!(page(&store, &etrap, "maral", 4, 2).await.is_empty(), "{b}");
        // One page holding both tiers: whole words first.
        let all = page(&store, &etrap, "maral", 0, 10).await;
        assert_eq!(all.len(), 4, "{b}: {all:?}");
        assert!(all[..2].contains(&"W1".to_owned()) && all[..2].contains(&"W2".to_owned()), "{b}: {all:?}");
        // The nation sees the other etrap's whole word too; a part of a word within a word.
        assert_eq!(found(&store, &nation, "maral").await, ["W1", "W2", "W3", "W4", "W5"], "{b}");
        assert_eq!(found(&store, &nation, "ymar").await, ["W4"], "{b}");
        assert_eq!(found(&store, &nation, "maral yazowa").await, ["W1", "W3"], "{b}");
        // A typo of a word no one has as typed: the close word's people only.
        assert_eq!(found(&store, &nation, "Berdiyeva Marak").await, ["W5"], "{b}");
        assert!(found(&store, &nation, "Qwertyuiop").await.is_empty(), "{b}");
        store.close().await;
    }

    async fn the_word_indexes_follow_every_write_the_import_and_a_merge(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let nation = staff(&store, "nation", Role::Supervisor, "TM").await;
        let etrap = staff(&store, "etrap", Role::Supervisor, "TM-A-01").await;
        let other = staff(&store, "other", Role::Supervisor, "TM-A-02").await;
        add(&store, "E1", "Jeren", "Quwwatowa", "TM-A-01").await;
        add(&store, "E2", "Jeren", "Annaýewa", "TM-A-01").await;
        words_are_exact(&store, b, "created").await;
        // A corrected family name: the old word goes (from the vocabulary too: no one else
        // holds it), the shared given name stays; a move to another etrap follows.
        let e1 = store
            .search_persons(&nation, &PersonQuery { external_id: Some("E1".into()), limit: 1, ..Default::default() })
            .await
            .unwrap()
            .remove(0);
        let mut data = e1.data.clone();
        data.family_name = Some("Saparowa".parse().unwrap());
        data.admin_unit = "TM-A-02".parse().unwrap();
        store.update_person(&nation, e1.id, e1.version, data).await.unwrap();
        assert!(found(&store, &nation, "quwwatowa").await.is_empty(), "{b}: the old word is gone");
        assert!(found(&store, &nation, "uwwat").await.is_empty(), "{b}: and its parts");
        assert_eq!(found(&store, &other, "jeren saparowa").await, ["E1"], "{b}");
        assert!(found(&store, &etrap, "jeren saparowa").await.is_empty(), "{b}: she moved away");
        assert_eq!(found(&store, &etrap, "jeren").await, ["E2"], "{b}");
        words_are_exact(&store, b, "edited and moved").await;
        // The import: new people and an upsert changing a name.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("persons.csv"), "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups
E2,,Jeren,Hydyrowa,F,1980-02-03,TM-A-01,rural,,,,,,,,
E3,,Aýsoltan,Kakajanowa,F,1980-02-03,TM-A-01,urban,,,,,,,,
E4,,Aýsoltan,Kakajanowa,F,1980-02-03,TM-A-01,urban,,,,,,,,
").unwrap();
        store.import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress)).await.unwrap();
        assert_eq!(found(&store, &etrap, "kakajanowa aysoltan").await, ["E3", "E4"], "{b}");
        assert_eq!(found(&store, &etrap, "kajan").await, ["E3", "E4"], "{b}");
        assert_eq!(found(&store, &etrap, "jeren hydyrowa").await, ["E2"], "{b}");
        assert!(found(&store, &nation, "annayewa").await.is_empty(), "{b}");
        words_are_exact(&store, b, "imported").await;
        // A merge: the merged record is no longer found, the kept one is.
        let ids = |q: &str| PersonQuery { external_id: Some(q.into()), limit: 1, ..Default::default() };
        let e3 = store.search_persons(&nation, &ids("E3")).await.unwrap().remove(0);
        let e4 = store.search_persons(&nation, &ids("E4")).await.unwrap().remove(0);
        store
            .merge_persons(&etrap, e3.id, MergeRequest { merged: e4.id, kept_version: e3.version, merged_version: e4.version })
            .await
            .unwrap();
        assert_eq!(found(&store, &etrap, "kakajanowa").await, ["E3"], "{b}");
        assert_eq!(found(&store, &etrap, "kajan").await, ["E3"], "{b}");
        words_are_exact(&store, b, "merged").await;
        store.close().await;
    }

    async fn the_searches_statements_read_the_word_indexes(db: TestDb) {
        let _store = db.open().await;
        match &db.url {
            DatabaseUrl::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                // The whole-word tier's statement (people::words::word_indexed and
                // whole_words_condition) within an etrap.
                let sql = "EXPLAIN QUERY PLAN SELECT p.id, p.name_key, p.external_id
                    FROM persons_name_words CROSS JOIN persons p ON p.rowid = persons_name_words.rowid
                    JOIN households h ON h.id = p.household_id
                    WHERE p.admin_unit >= ?1 AND p.admin_unit < ?2 AND p.merged_into IS NULL
                      AND persons_name_words MATCH ?3 LIMIT 1000";
                let mut stmt = conn.prepare(sql).unwrap();
                let plan: Vec<String> = stmt
                    .query_map(["TM-A-01", "TM-A-01.", "name_key : \"maral\" AND place : \"ea01\""], |row| row.get::<_, String>(3))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                assert!(plan[0].contains("VIRTUAL TABLE INDEX") && plan[0].contains("persons_name_words"), "{plan:?}");
                assert!(plan.iter().any(|l| l.contains("SEARCH p USING INTEGER PRIMARY KEY")), "{plan:?}");
            }
            DatabaseUrl::Postgres(url) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                // PostgreSQL's plans follow its statistics: with a sequential scan and a walk of a
                // whole index ruled out (the tables are all but empty), the
                // whole words and the parts found in the vocabulary read persons_name_words, the
                // vocabulary its trigram index.
                sqlx::query("SET enable_seqscan = off").execute(&mut conn).await.unwrap();
                sqlx::query("SET enable_indexscan = off").execute(&mut conn).await.unwrap();
                let whole = pg_plan(&mut conn, "SELECT p.id FROM persons p
                    WHERE p.merged_into IS NULL
                      AND goldaw_place_words(p.admin_unit, p.name_key) @> '{TM-A-01:maral,TM-A-01:yazowa}'::text[] LIMIT 1000").await;
                assert!(whole.contains("persons_place_words"), "{whole}");
                let national = pg_plan(&mut conn, "SELECT p.id FROM persons p
                    WHERE p.merged_into IS NULL
                      AND string_to_array(p.name_key, ' ') @> '{maral,yazowa}'::text[] LIMIT 1000").await;
                assert!(national.contains("persons_name_words"), "{national}");
                let any = pg_plan(&mut conn, "SELECT p.id FROM persons p
                    WHERE string_to_array(p.name_key, ' ') && '{maral,maralgul}'::text[] LIMIT 1000").await;
                assert!(any.contains("persons_name_words"), "{any}");
                let vocabulary = pg_plan(&mut conn, "SELECT word FROM person_name_words WHERE word LIKE '%aral%' LIMIT 401").await;
                assert!(vocabulary.contains("person_name_words_trgm"), "{vocabulary}");
            }
        }
    }
}
