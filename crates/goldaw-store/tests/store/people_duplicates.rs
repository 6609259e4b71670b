//! The duplicate check's household and its cheap sources (issues #19 and #24), on every
//! backend: a person asked for with a typo in each name, no birth date and the household's id is
//! found among the household's members, even when no piece of either name survives the typos;
//! a brother or sister in the same household is not made a likely duplicate; the household
//! counts only within the checker's scope; and a full list of people of exactly the name asked
//! settles the check (a typo's spelling is then not shown), while one short of it still shows
//! the typo's.

use crate::helpers::{operator, staff};
use goldaw_core::codes::Role;
use goldaw_core::people::{HouseholdData, PersonData};
use goldaw_store::people::DuplicateQuery;
use goldaw_store::Store;
use serde_json::json;
use uuid::Uuid;

/// A person of TM-A-01, in household `home` when given.
async fn add(
    store: &Store,
    id: &str,
    given: &str,
    family: &str,
    born: &str,
    home: Option<&str>,
) -> Uuid {
    let mut v = json!({"given_name": given, "family_name": family, "sex": "F", "admin_unit": "TM-A-01",
        "birth_date": born});
    if let Some(h) = home {
        v["household_id"] = json!(h);
    }
    let data: PersonData = serde_json::from_value(v).unwrap();
    store
        .create_person(&operator(), Some(id.parse().unwrap()), data)
        .await
        .unwrap()
        .id
}

async fn household(store: &Store, id: &str, unit: &str) {
    let data: HouseholdData =
        serde_json::from_value(json!({"admin_unit": unit, "address": "Bitarap 3"})).unwrap();
    store
        .create_household(&operator(), Some(id.parse().unwrap()), data)
        .await
        .unwrap();
}

/// As the intake asks: the etrap, no birth date, a household's id if known.
fn asked(given: &str, family: &str, home: Option<&str>) -> DuplicateQuery {
    DuplicateQuery {
        given_name: given.into(),
        family_name: Some(family.into()),
        birth_date: None,
        admin_unit: Some("TM-A-01".parse().unwrap()),
        household: home.map(str::to_owned),
    }
}

goldaw_store::each_backend! {
    async fn a_household_member_asked_with_typos_is_found_and_a_sibling_is_not(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        let worker = staff(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        household(&store, "H1", "TM-A-01").await;
        household(&store, "H2", "TM-A-01").await;
        // Short names: a typo in the middle letter of each leaves no piece the name index could
        // find ("Bawyr Owaz" for Batyr Öwez), so only the household finds him.
        let batyr = add(&store, "B1", "Batyr", "Öwez", "1970-04-04", Some("H1")).await;
        // Serdar lives with his brother Merdan and his sister Aýna.
        let serdar = add(&store, "S1", "Serdar", "Orazow", "1990-05-06", Some("H2")).await;
        let merdan = add(&store, "S2", "Merdan", "Orazow", "1993-01-02", Some("H2")).await;
        let ayna = add(&store, "S3", "Aýna", "Orazowa", "1995-03-04", Some("H2")).await;
        // Namesakes of Batyr elsewhere (another household): not found by a typo of his name.
        add(&store, "B2", "Batyr", "Öwez", "1985-08-09", None).await;

        let found = store.find_duplicates(&worker, &asked("Bavyr", "Öwaz", Some("H1"))).await.unwrap();
        let ids: Vec<Uuid> = found.iter().map(|c| c.id).collect();
        assert_eq!(ids, [batyr], "{b}: the household's member only: {found:?}");
        assert!(found[0].score >= 75, "{b}");
        // Without the household the same typos find nobody: the household is the source.
        let alone = store.find_duplicates(&worker, &asked("Bavyr", "Öwaz", None)).await.unwrap();
        assert!(alone.iter().all(|c| c.id != batyr), "{b}: {alone:?}");
        // An unknown household's id finds nothing more, and refuses nothing.
        let unknown = store.find_duplicates(&worker, &asked("Bavyr", "Öwaz", Some("NOPE"))).await.unwrap();
        assert_eq!(unknown.len(), alone.len(), "{b}");

        // Serdar asked with a typo in each name: he is found, his brother and sister are not,
        // though they live with him and share his family name.
        let found = store.find_duplicates(&worker, &asked("Serdor", "Orazw", Some("H2"))).await.unwrap();
        let ids: Vec<Uuid> = found.iter().map(|c| c.id).collect();
        assert_eq!(ids.first(), Some(&serdar), "{b}: {found:?}");
        assert!(!ids.contains(&merdan) && !ids.contains(&ayna), "{b}: {found:?}");
        // Asked with the household and without: the household adds ten for him.
        let without = store.find_duplicates(&worker, &asked("Serdor", "Orazw", None)).await.unwrap();
        let score = |f: &[goldaw_store::people::LikelyDuplicate]| f.iter().find(|c| c.id == serdar).map(|c| c.score);
        assert_eq!(score(&found), score(&without).map(|s| s + 10), "{b}: {found:?} {without:?}");

        // A worker of another etrap gives the same household's id: its members are not in her
        // scope, so nobody.
        let elsewhere = staff(&store, "elsewhere", Role::SocialWorker, "TM-S-02").await;
        let mut q = asked("Bavyr", "Öwaz", Some("H1"));
        q.admin_unit = None;
        assert!(store.find_duplicates(&elsewhere, &q).await.unwrap().is_empty(), "{b}");
        store.close().await;
    }

    async fn ten_people_of_exactly_the_name_settle_the_check(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        let worker = staff(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        // A typo's spelling of the name, and nine people of exactly the name asked.
        let typo = add(&store, "T0", "Maral", "Ýazowo", "1980-01-01", None).await;
        for i in 1..=9 {
            add(&store, &format!("N{i}"), "Maral", "Ýazowa", &format!("19{}0-02-03", i), None).await;
        }
        // Nine fill nine places of ten: the typo's spelling is found (its pieces) and shown.
        let found = store.find_duplicates(&worker, &asked("Maral", "Ýazowa", None)).await.unwrap();
        assert_eq!(found.len(), 10, "{b}: {found:?}");
        assert_eq!(found.last().map(|c| c.id), Some(typo), "{b}: {found:?}");
        assert!(found[..9].iter().all(|c| c.score == 88 && c.name == "Maral Ýazowa"), "{b}: {found:?}");
        // The tenth of exactly the name fills the list with the best anyone could score: those
        // ten are shown, best first, and nobody else.
        add(&store, "N10", "Maral", "Ýazowa", "2000-02-03", None).await;
        let found = store.find_duplicates(&worker, &asked("Maral", "Ýazowa", None)).await.unwrap();
        assert_eq!(found.len(), 10, "{b}");
        assert!(found.iter().all(|c| c.score == 88 && c.name == "Maral Ýazowa"), "{b}: {found:?}");
        assert!(found.iter().all(|c| c.id != typo), "{b}");
        // In either order, the same ten.
        let crossed = store.find_duplicates(&worker, &asked("Ýazowa", "Maral", None)).await.unwrap();
        let ids = |f: &[goldaw_store::people::LikelyDuplicate]| f.iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(&crossed), ids(&found), "{b}");
        store.close().await;
    }
}
