//! The duplicate check's typo through the vocabulary of stored words (issue #24; SQLite's
//! vocabulary: migration 0037), on every backend: a name asked with a typo, in either order, as a
//! part of a longer word, or joined where it is stored as two words, is found through the stored
//! words near it; namesakes elsewhere and names too far are not; a word nobody is near finds
//! nobody and refuses nothing; and the vocabulary follows a renamed and a deleted person.

use crate::helpers::{operator, staff};
use crate::name_words::words_are_exact;
use goldaw_core::codes::Role;
use goldaw_core::people::PersonData;
use goldaw_store::people::{DuplicateQuery, LikelyDuplicate};
use goldaw_store::{DatabaseUrl, Store};
use serde_json::json;
use uuid::Uuid;

async fn add(store: &Store, id: &str, given: &str, family: &str, unit: &str) -> Uuid {
    let data: PersonData = serde_json::from_value(json!({
        "given_name": given, "family_name": family, "sex": "M",
        "birth_date": "1990-01-02", "admin_unit": unit
    }))
    .unwrap();
    store
        .create_person(&operator(), Some(id.parse().unwrap()), data)
        .await
        .unwrap()
        .id
}

/// As the hotline's intake asks: the etrap, no birth date, no household.
fn asked(given: &str, family: &str) -> DuplicateQuery {
    DuplicateQuery {
        given_name: given.into(),
        family_name: Some(family.into()),
        birth_date: None,
        admin_unit: Some("TM-A-01".parse().unwrap()),
        household: None,
    }
}

fn ids(found: &[LikelyDuplicate]) -> Vec<Uuid> {
    found.iter().map(|c| c.id).collect()
}

/// Whether the vocabulary holds `word`.
async fn held(store: &Store, word: &str) -> bool {
    use sqlx::Connection;
    let n: i64 = match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_scalar("SELECT count(*) FROM person_name_words WHERE word = $1")
                .bind(word)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar("SELECT count(*) FROM person_name_words WHERE word = $1")
                .bind(word)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
    };
    n > 0
}

/// Deletes a person outright (no use case does; the vocabulary's delete trigger must still hold).
async fn delete(store: &Store, id: Uuid) {
    use sqlx::Connection;
    match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query("DELETE FROM persons WHERE id = $1")
                .bind(id)
                .execute(&mut c)
                .await
                .unwrap();
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query("DELETE FROM persons WHERE id = $1")
                .bind(id)
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
}

goldaw_store::each_backend! {
    async fn a_typo_is_found_through_the_stored_words_near_it(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        let worker = staff(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        let merdan = add(&store, "V1", "Merdan", "Myradowa", "TM-A-01").await;
        // Another given name two letters away, the same family name: not him.
        let serdar = add(&store, "V2", "Serdar", "Myradowa", "TM-A-01").await;
        // His namesake in another etrap: out of the check's place.
        let away = add(&store, "V3", "Merdan", "Myradowa", "TM-A-02").await;
        // A given name stored as two words.
        let ogul = add(&store, "V4", "Ogul Jahan", "Berdiýewa", "TM-A-01").await;
        words_are_exact(&store, b, "created").await;

        // A typo in the family name, in either order, in Cyrillic.
        for (given, family) in [("Merdan", "Myradowo"), ("Myradowo", "Merdan"), ("Мердан", "Мырадова")] {
            let found = store.find_duplicates(&worker, &asked(given, family)).await.unwrap();
            assert_eq!(ids(&found), [merdan], "{b}: {given} {family}: {found:?}");
            assert!(found[0].score >= 75, "{b}");
        }
        assert!(!held(&store, "myradowo").await, "{b}: the typo is no stored word");
        // A typo in each name.
        let found = store.find_duplicates(&worker, &asked("Merdam", "Myradova")).await.unwrap();
        assert_eq!(ids(&found), [merdan], "{b}: {found:?}");
        // A word typed that is a part of the stored one (a letter missing at its end): not a
        // whole word, found as a typo.
        let found = store.find_duplicates(&worker, &asked("Merdan", "Myradow")).await.unwrap();
        assert_eq!(ids(&found), [merdan], "{b}: {found:?}");
        // Joined where it is stored as two words, and a typo in the family name.
        let found = store.find_duplicates(&worker, &asked("Oguljahan", "Berdiyewo")).await.unwrap();
        assert_eq!(ids(&found), [ogul], "{b}: {found:?}");
        // The exact name: him (his namesake elsewhere and Serdar are not shown).
        let found = store.find_duplicates(&worker, &asked("Merdan", "Myradowa")).await.unwrap();
        assert_eq!(ids(&found), [merdan], "{b}: {found:?}");
        assert!(!ids(&found).contains(&serdar) && !ids(&found).contains(&away), "{b}");
        // From the other etrap's worker (scope TM-A-02): his namesake there only.
        let there = staff(&store, "there", Role::SocialWorker, "TM-A-02").await;
        let mut q = asked("Merdan", "Myradowo");
        q.admin_unit = None;
        assert_eq!(ids(&store.find_duplicates(&there, &q).await.unwrap()), [away], "{b}");
        // Words no stored word is near: nobody, and no error.
        let found = store.find_duplicates(&worker, &asked("Qwertyu", "Zxcvbnm")).await.unwrap();
        assert!(found.is_empty(), "{b}: {found:?}");
        store.close().await;
    }

    async fn the_vocabulary_follows_a_renamed_and_a_deleted_person(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        let worker = staff(&store, "worker", Role::Supervisor, "TM-A-01").await;
        let jeren = add(&store, "R1", "Jeren", "Quwwatowa", "TM-A-01").await;
        let other = add(&store, "R2", "Jeren", "Tachmuradowa", "TM-A-01").await;
        assert!(held(&store, "quwwatowa").await && held(&store, "tachmuradowa").await, "{b}");
        // Her family name corrected: the old word leaves (nobody else holds it), the shared
        // given name stays, the new one comes; a typo of the new one finds her.
        let p = store.person(&worker, jeren).await.unwrap();
        let mut data = p.data.clone();
        data.family_name = Some("Saparowa".parse().unwrap());
        store.update_person(&worker, jeren, p.version, data).await.unwrap();
        assert!(!held(&store, "quwwatowa").await, "{b}: the old word is gone");
        assert!(held(&store, "jeren").await && held(&store, "saparowa").await, "{b}");
        words_are_exact(&store, b, "renamed").await;
        let found = store.find_duplicates(&worker, &asked("Jeren", "Saparowo")).await.unwrap();
        assert_eq!(ids(&found), [jeren], "{b}: {found:?}");
        assert!(store.find_duplicates(&worker, &asked("Jeren", "Quwwatowo")).await.unwrap().is_empty(), "{b}");
        // The other Jeren deleted: her family name leaves, the given name they shared stays.
        delete(&store, other).await;
        assert!(!held(&store, "tachmuradowa").await, "{b}");
        assert!(held(&store, "jeren").await, "{b}: she still holds it");
        words_are_exact(&store, b, "deleted").await;
        // And the last holder of a word deleted: it goes too.
        delete(&store, jeren).await;
        assert!(!held(&store, "jeren").await && !held(&store, "saparowa").await, "{b}");
        words_are_exact(&store, b, "all deleted").await;
        store.close().await;
    }

    async fn someone_registered_under_one_name_alone_is_found_with_a_typo_of_the_date(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        // Registered by the given name only, born 1990-01-02 in TM-A-01.
        let data: PersonData = serde_json::from_value(json!({
            "given_name": "Merdan", "sex": "M", "birth_date": "1990-01-02", "admin_unit": "TM-A-01"
        }))
        .unwrap();
        let alone = store.create_person(&operator(), Some("A1".parse().unwrap()), data).await.unwrap().id;
        let other = add(&store, "A2", "Merdan", "Orazow", "TM-A-01").await;
        let worker = staff(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        // Asked with both names and a typo of the date (a digit wrong): he scores 76 and is shown.
        let q = DuplicateQuery {
            birth_date: Some("1990-01-03".parse().unwrap()),
            ..asked("Merdan", "Myradow")
        };
        let found = store.find_duplicates(&worker, &q).await.unwrap();
        assert!(ids(&found).contains(&alone), "{b}: {found:?}");
        assert!(!ids(&found).contains(&other), "{b}: another family name is another man: {found:?}");
        // Born another year, not by a typo: not shown.
        let q = DuplicateQuery {
            birth_date: Some("1975-06-07".parse().unwrap()),
            ..asked("Merdan", "Myradow")
        };
        assert!(!ids(&store.find_duplicates(&worker, &q).await.unwrap()).contains(&alone), "{b}");
        store.close().await;
    }
}
