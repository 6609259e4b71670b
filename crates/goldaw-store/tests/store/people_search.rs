//! People at national scale (issue #19), on every backend: the name index kept by every write
//! and by the import, the ranked search (either order, any spelling, a typo), the filters by
//! birth date, year and household, the duplicate check, each within scope and sensitivity.

use crate::helpers::{operator, sensitive_staff, staff, user};
use goldaw_core::codes::Role;
use goldaw_core::people::PersonData;
use goldaw_store::interchange::NoProgress;
use goldaw_store::people::{DuplicateQuery, PersonFilters, PersonQuery, PersonRecord};
use goldaw_store::{Principal, Store, StoreError};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

async fn add(
    store: &Store,
    id: &str,
    given: &str,
    family: Option<&str>,
    born: &str,
    unit: &str,
) -> Uuid {
    let mut v = json!({
        "given_name": given, "sex": "F", "birth_date": born, "admin_unit": unit
    });
    if let Some(f) = family {
        v["family_name"] = json!(f);
    }
    let data: PersonData = serde_json::from_value(v).unwrap();
    store
        .create_person(&operator(), Some(id.parse().unwrap()), data)
        .await
        .unwrap()
        .id
}

fn by_name(name: &str) -> PersonQuery {
    PersonQuery {
        name: Some(name.into()),
        limit: 50,
        ..Default::default()
    }
}

fn ids(found: &[PersonRecord]) -> Vec<&str> {
    found.iter().map(|p| p.person_id.as_str()).collect()
}

async fn search(store: &Store, who: &Principal, name: &str) -> Vec<String> {
    let found = store.search_persons(who, &by_name(name)).await.unwrap();
    ids(&found).into_iter().map(str::to_owned).collect()
}

/// A small world: one etrap of velayat A, one of velayat S.
async fn world(store: &Store) {
    add(
        store,
        "P1",
        "Maral",
        Some("Ýazowa"),
        "1980-02-03",
        "TM-A-01",
    )
    .await;
    add(
        store,
        "P2",
        "Maralgül",
        Some("Ýazowa"),
        "1981-03-04",
        "TM-A-01",
    )
    .await;
    add(store, "P3", "Aýna", Some("Ýazowa"), "1990-05-06", "TM-A-01").await;
    add(
        store,
        "P4",
        "Maral",
        Some("Gurbanowa"),
        "1980-02-03",
        "TM-A-01",
    )
    .await;
    add(
        store,
        "P5",
        "Maral",
        Some("Ýazowa"),
        "1975-01-01",
        "TM-S-02",
    )
    .await;
    add(
        store,
        "P6",
        "Ogulgerek",
        Some("Amanowa"),
        "1966-06-06",
        "TM-A-01",
    )
    .await;
}

goldaw_store::each_backend! {
    async fn a_full_name_is_found_in_either_order_and_any_spelling_ranked(db: TestDb) {
        let store = db.open().await;
        world(&store).await;
        let velayat = staff(&store, "sup", Role::Supervisor, "TM-A").await;
        let b = db.backend;
        // Given name first, as people say it; Cyrillic; family first: the same answer, the
        // exact name first, then the longer names holding both words.
        for spelling in ["Maral Ýazowa", "Марал Язова", "yazowa maral", "ÝAZOWA  MARAL"] {
            let found = search(&store, &velayat, spelling).await;
            assert_eq!(found, ["P1", "P2"], "{b}: {spelling}");
        }
        // A whole word before a part of a word: "Maral" is P1's and P4's given name, part of P2's.
        let found = search(&store, &velayat, "maral").await;
        assert_eq!(found.len(), 3, "{b}: {found:?}");
        assert_eq!(found[2], "P2", "{b}: a part of a word comes last: {found:?}");
        // Out of scope: P5 (TM-S-02) is never found from velayat A.
        assert!(!found.contains(&"P5".to_owned()), "{b}");
        let national = staff(&store, "nat", Role::Supervisor, "TM").await;
        assert!(search(&store, &national, "maral yazowa").await.contains(&"P5".to_owned()), "{b}");
        // A typo, when nothing matches as typed.
        assert_eq!(search(&store, &velayat, "Ogulgerrek Amanowa").await, ["P6"], "{b}");
        assert_eq!(search(&store, &velayat, "Maral Yazowo").await, ["P1", "P2"], "{b}");
        // A name nobody has.
        assert!(search(&store, &velayat, "Zzyzx Qwerty").await.is_empty(), "{b}");
        // Short words are matched too (no index for them).
        assert_eq!(search(&store, &velayat, "ay yazowa").await, ["P3"], "{b}");
        // Paged: the second page continues the first.
        let mut q = by_name("yazowa");
        q.limit = 2;
        let first = store.search_persons(&velayat, &q).await.unwrap();
        q.offset = 2;
        let second = store.search_persons(&velayat, &q).await.unwrap();
        assert_eq!(first.len() + second.len(), 3, "{b}");
        assert!(first.iter().all(|p| second.iter().all(|s| s.id != p.id)), "{b}");
        store.close().await;
    }

    async fn the_index_follows_every_write_and_the_import(db: TestDb) {
        let store = db.open().await;
        world(&store).await;
        let nat = staff(&store, "nat", Role::Supervisor, "TM").await;
        let b = db.backend;
        let p6 = store.search_persons(&nat, &by_name("ogulgerek")).await.unwrap();
        let mut data = p6[0].data.clone();
        data.family_name = Some("Berdiýewa".parse().unwrap());
        store.update_person(&nat, p6[0].id, p6[0].version, data).await.unwrap();
        assert_eq!(search(&store, &nat, "ogulgerek berdiyewa").await, ["P6"], "{b}");
        assert!(search(&store, &nat, "ogulgerek amanowa").await.is_empty(), "{b}: the old name is gone");
        // The import, into a table holding people (upserts) and as new rows.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("persons.csv"), "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups
P3,,Aýna,Täzeýewa,F,1990-05-06,TM-A-01,rural,,,,,,,,
P9,,Şatlyk,Hojamow,M,1970-07-07,TM-A-01,urban,,,,,,,,
").unwrap();
        store.import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress)).await.unwrap();
        assert_eq!(search(&store, &nat, "Шатлык Ходжамов").await, ["P9"], "{b}: дж is Turkmen j");
        assert_eq!(search(&store, &nat, "Ходжамов").await, ["P9"], "{b}: дж is Turkmen j");
        assert_eq!(search(&store, &nat, "Şatlyk Hojamow").await, ["P9"], "{b}");
        assert_eq!(search(&store, &nat, "tazeyewa").await, ["P3"], "{b}");
        assert!(!search(&store, &nat, "ayna").await.is_empty(), "{b}");
        assert_eq!(search(&store, &nat, "ayna yazowa").await.len(), 0, "{b}: P3's old family name left the index");
        store.close().await;
    }

    async fn people_are_found_by_birth_date_year_household_and_id(db: TestDb) {
        let store = db.open().await;
        world(&store).await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A").await;
        let b = db.backend;
        let q = PersonQuery { limit: 50, ..Default::default() };
        let date = |d: &str| PersonFilters { birth_date: Some(d.parse().unwrap()), ..Default::default() };
        let found = store.search_persons_by(&sup, &q, &date("1980-02-03")).await.unwrap();
        assert_eq!(ids(&found), ["P4", "P1"], "{b}: ordered by folded name");
        let found = store
            .search_persons_by(&sup, &by_name("maral"), &date("1980-02-03"))
            .await
            .unwrap();
        assert_eq!(found.len(), 2, "{b}");
        let year = PersonFilters { birth_year: Some(1981), ..Default::default() };
        assert_eq!(ids(&store.search_persons_by(&sup, &q, &year).await.unwrap()), ["P2"], "{b}");
        let bad = PersonFilters { birth_year: Some(99999), ..Default::default() };
        match store.search_persons_by(&sup, &q, &bad).await {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "birth_year", "{b}"),
            other => panic!("{b}: {other:?}"),
        }
        let by_id = PersonQuery { external_id: Some("P3".into()), limit: 5, ..Default::default() };
        assert_eq!(ids(&store.search_persons(&sup, &by_id).await.unwrap()), ["P3"], "{b}");
        // A household's members.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("households.csv"), "household_id,admin_unit,settlement,address\nH7,TM-A-01,rural,köçe 1\n").unwrap();
        std::fs::write(dir.path().join("persons.csv"), "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups
P7,H7,Jeren,Nurowa,F,2001-01-01,TM-A-01,rural,,,,,,,,
P8,H7,Nury,Nurow,M,1970-01-01,TM-A-01,rural,,,,,,,,
").unwrap();
        store.import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress)).await.unwrap();
        let home = PersonFilters { household: Some("H7".into()), ..Default::default() };
        assert_eq!(ids(&store.search_persons_by(&sup, &q, &home).await.unwrap()), ["P8", "P7"], "{b}");
        // Outside scope, the same filters find nothing.
        let other = staff(&store, "other", Role::Supervisor, "TM-S").await;
        assert!(store.search_persons_by(&other, &q, &home).await.unwrap().is_empty(), "{b}");
        store.close().await;
    }

    async fn sensitive_people_stay_hidden_from_search_and_duplicates(db: TestDb) {
        let store = db.open().await;
        world(&store).await;
        let b = db.backend;
        let sens = sensitive_staff(&store, "sens", Role::SocialWorker, "TM-A-01").await;
        let data: PersonData = serde_json::from_value(json!({
            "given_name": "Bahar", "family_name": "Gizlinowa", "sex": "F", "birth_date": "1999-09-09",
            "admin_unit": "TM-A-01", "target_groups": ["woman_gbv"]
        })).unwrap();
        store.create_person(&sens, Some("S1".parse().unwrap()), data).await.unwrap();
        let plain = staff(&store, "plain", Role::SocialWorker, "TM-A-01").await;
        assert!(search(&store, &plain, "bahar gizlinowa").await.is_empty(), "{b}");
        assert_eq!(search(&store, &sens, "bahar gizlinowa").await, ["S1"], "{b}");
        let q = DuplicateQuery {
            given_name: "Bahar".into(),
            family_name: Some("Gizlinowa".into()),
            birth_date: Some("1999-09-09".parse().unwrap()),
            ..Default::default()
        };
        assert!(store.find_duplicates(&plain, &q).await.unwrap().is_empty(), "{b}");
        assert_eq!(store.find_duplicates(&sens, &q).await.unwrap().len(), 1, "{b}");
        store.close().await;
    }

    async fn the_duplicate_check_finds_every_variant_and_no_stranger(db: TestDb) {
        let store = db.open().await;
        world(&store).await;
        let b = db.backend;
        let worker = staff(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        let check = |given: &'static str, family: Option<&'static str>, born: Option<&'static str>| DuplicateQuery {
            given_name: given.into(),
            family_name: family.map(str::to_owned),
            birth_date: born.map(|d| d.parse().unwrap()),
            admin_unit: Some("TM-A-01".parse().unwrap()),
            household: None,
        };
        let p1 = search(&store, &worker, "maral yazowa").await;
        assert_eq!(p1[0], "P1");
        let p1 = store.search_persons(&worker, &by_name("maral yazowa")).await.unwrap()[0].id;
        for (what, q) in [
            ("as typed", check("Maral", Some("Ýazowa"), Some("1980-02-03"))),
            ("either order", check("Ýazowa", Some("Maral"), Some("1980-02-03"))),
            ("Cyrillic", check("Марал", Some("Язова"), Some("1980-02-03"))),
            ("two typos", check("Marak", Some("Yazoaw"), Some("1980-02-03"))),
            ("typo, no date", check("Maral", Some("Yazowo"), None)),
            ("no family name", check("Maral", None, Some("1980-02-03"))),
        ] {
            let found = store.find_duplicates(&worker, &q).await.unwrap();
            assert_eq!(found.first().map(|c| c.id), Some(p1), "{b}: {what}: {found:?}");
            assert!(found.len() <= 10);
            assert!(found.windows(2).all(|w| w[0].score >= w[1].score), "{b}: best first");
        }
        // A stranger born the same day is not a likely duplicate; nor anyone for an unknown name.
        let found = store.find_duplicates(&worker, &check("Gurban", Some("Berdiýew"), Some("1980-02-03"))).await.unwrap();
        assert!(found.is_empty(), "{b}: {found:?}");
        // Out of scope: P5 is Maral Ýazowa too, in TM-S-02.
        let found = store.find_duplicates(&worker, &check("Maral", Some("Ýazowa"), Some("1975-01-01"))).await.unwrap();
        assert!(found.iter().all(|c| c.admin_unit == "TM-A-01"), "{b}: {found:?}");
        // Who may ask: the hotline yes (it registers), a planner who reads neither no.
        let hotline = staff(&store, "hotline", Role::Hotline, "TM").await;
        assert!(!store.find_duplicates(&hotline, &check("Maral", Some("Ýazowa"), Some("1980-02-03"))).await.unwrap().is_empty(), "{b}");
        let provider = user(&store, "planner", Role::Planner, "TM", false).await;
        assert!(matches!(
            store.find_duplicates(&provider, &check("Maral", None, None)).await,
            Err(StoreError::Forbidden(_))
        ), "{b}");
        store.close().await;
    }
}
