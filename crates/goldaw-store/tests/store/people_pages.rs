//! A person's and a household's page (issue #19, item 3) and the supervisor's list of probable
//! duplicates (item 2), on every backend: what the reader sees (only the cases in scope), the
//! history of changes, the edits with their version (409 stale, nothing written), and the
//! refusals (out of scope 404, a hidden person 404, a role 403).

use crate::helpers::{operator, referral, sensitive_staff, staff};
use goldaw_core::codes::{Relationship, Role};
use goldaw_core::people::{HouseholdData, PersonData};
use goldaw_store::people::DuplicatePair;
use goldaw_store::{Principal, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

async fn add(
    store: &Store,
    id: &str,
    given: &str,
    family: Option<&str>,
    born: Option<&str>,
    unit: &str,
) -> Uuid {
    let mut v = json!({"given_name": given, "sex": "F", "admin_unit": unit});
    if let Some(f) = family {
        v["family_name"] = json!(f);
    }
    if let Some(b) = born {
        v["birth_date"] = json!(b);
    }
    let data: PersonData = serde_json::from_value(v).unwrap();
    store
        .create_person(&operator(), Some(id.parse().unwrap()), data)
        .await
        .unwrap()
        .id
}

fn household(unit: &str, address: &str) -> HouseholdData {
    serde_json::from_value(json!({"admin_unit": unit, "address": address})).unwrap()
}

goldaw_store::each_backend! {
    async fn a_person_page_shows_what_the_reader_may_see_and_keeps_the_history(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let velayat = staff(&store, "vsup", Role::Supervisor, "TM-A").await;
        let home = store
            .create_household(&operator(), Some("H1".parse().unwrap()), household("TM-A-01", "Magtymguly 5"))
            .await
            .unwrap();
        let maral = add(&store, "P1", "Maral", Some("Ýazowa"), Some("1980-02-03"), "TM-A-01").await;
        let son = add(&store, "P2", "Aman", Some("Ýazow"), Some("2010-05-06"), "TM-A-01").await;
        // Both move into the household from its page's use case: the person's own update.
        let p = store.person(&sup, maral).await.unwrap();
        store.move_to_household(&sup, home.id, maral, p.version, Some(Relationship::Head)).await.unwrap();
        let s = store.person(&sup, son).await.unwrap();
        store.move_to_household(&sup, home.id, son, s.version, Some(Relationship::Child)).await.unwrap();
        // A case here, and one in another etrap of the velayat (outside `sup`'s scope).
        let here = store.register_referral(&operator(), referral(maral, "TM-A-01")).await.unwrap();
        let there = store.register_referral(&operator(), referral(maral, "TM-A-02")).await.unwrap();

        let file = store.person_file(&sup, maral).await.unwrap();
        assert_eq!(file.person.person_id, "P1", "{b}");
        let h = file.household.as_ref().expect("the household");
        assert_eq!(h.id, home.id, "{b}");
        let members: Vec<&str> = h.members.iter().map(|m| m.person_id.as_str()).collect();
        assert_eq!(members, ["P1", "P2"], "{b}: the head first");
        let cases: Vec<Uuid> = file.cases.iter().map(|c| c.id).collect();
        assert_eq!(cases, [here.id], "{b}: only the case in scope");
        let wide = store.person_file(&velayat, maral).await.unwrap();
        assert_eq!(wide.cases.len(), 2, "{b}: the velayat sees both");
        assert!(wide.cases.iter().any(|c| c.id == there.id), "{b}");
        // The history: registered, then moved into the household (the fields named).
        let actions: Vec<&str> = file.history.iter().map(|c| c.action.as_str()).collect();
        assert_eq!(actions, ["person.update", "person.create"], "{b}");
        let detail = file.history[0].detail.clone().unwrap_or_default();
        assert!(detail.contains("changed: household_id,relationship"), "{b}: {detail}");
        assert_eq!(file.history[0].actor, "sup", "{b}");

        // An edit at the version read; the same version again is stale: 409, nothing written.
        let current = file.person.clone();
        let mut data = current.data.clone();
        data.given_name = "Merjen".parse().unwrap();
        let changed = store.update_person(&sup, maral, current.version, data.clone()).await.unwrap();
        assert_eq!(changed.version, current.version + 1, "{b}");
        data.given_name = "Bibi".parse().unwrap();
        let stale = store.update_person(&sup, maral, current.version, data).await;
        assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{b}: {stale:?}");
        let after = store.person_file(&sup, maral).await.unwrap();
        assert_eq!(after.person.data.given_name.as_str(), "Merjen", "{b}");
        assert!(after.history[0].detail.as_deref().unwrap_or_default().ends_with("changed: given_name"), "{b}: {:?}", after.history[0]);

        // Out of scope: 404, as if nobody were there; a role that does not read people: 403.
        let elsewhere = staff(&store, "other", Role::Supervisor, "TM-S-02").await;
        assert!(matches!(store.person_file(&elsewhere, maral).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.household_file(&elsewhere, home.id).await, Err(StoreError::NotFound)), "{b}");
        let planner = staff(&store, "plan", Role::Planner, "TM").await;
        assert!(matches!(store.person_file(&planner, maral).await, Err(StoreError::Forbidden(_))), "{b}");
        let hotline = staff(&store, "hot", Role::Hotline, "TM").await;
        assert!(matches!(store.person_file(&hotline, maral).await, Err(StoreError::Forbidden(_))), "{b}");

        // The household's page: its members and history; its address changed at the version.
        let hf = store.household_file(&sup, home.id).await.unwrap();
        assert_eq!(hf.household.members.len(), 2, "{b}");
        assert_eq!(hf.history.len(), 1, "{b}: registered");
        let mut hd = hf.household.data.clone();
        hd.address = Some("Bitarap 7".into());
        store.update_household(&sup, home.id, hf.household.version, hd.clone()).await.unwrap();
        let stale = store.update_household(&sup, home.id, hf.household.version, hd).await;
        assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{b}");
        let hf = store.household_file(&sup, home.id).await.unwrap();
        assert_eq!(hf.household.data.address.as_deref(), Some("Bitarap 7"), "{b}");
        assert!(hf.history[0].detail.as_deref().unwrap_or_default().ends_with("changed: address"), "{b}");

        // Someone living alone keeps their own household: nobody else moves into it.
        let alone = add(&store, "P3", "Jeren", None, None, "TM-A-01").await;
        let alone_file = store.person_file(&sup, alone).await.unwrap();
        let own = alone_file.household.expect("their own household");
        assert!(own.implicit, "{b}");
        let s = store.person(&sup, son).await.unwrap();
        let refused = store.move_to_household(&sup, own.id, son, s.version, None).await;
        assert!(matches!(refused, Err(StoreError::Invalid { .. })), "{b}: {refused:?}");
        assert_eq!(store.person(&sup, son).await.unwrap().version, s.version, "{b}: nothing written");
        // A worker out of the household's scope cannot move anyone into it.
        let far = add(&store, "P4", "Ogul", None, None, "TM-S-02").await;
        let far_person = store.person(&elsewhere, far).await.unwrap();
        let refused = store.move_to_household(&elsewhere, home.id, far, far_person.version, None).await;
        assert!(matches!(refused, Err(StoreError::NotFound)), "{b}: {refused:?}");
    }
}

goldaw_store::each_backend! {
    async fn a_hidden_person_is_not_found_and_their_sensitive_cases_only_by_those_who_may(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let trusted = sensitive_staff(&store, "trusted", Role::Supervisor, "TM-A-01").await;
        let maral = add(&store, "P1", "Maral", Some("Ýazowa"), Some("1980-02-03"), "TM-A-01").await;
        let mut sensitive = referral(maral, "TM-A-01");
        sensitive.sensitive = true;
        let case = store.register_referral(&operator(), sensitive).await.unwrap();
        // Named in a sensitive case: hidden from a reader without the sensitive permission.
        assert!(matches!(store.person_file(&sup, maral).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.person_by_external_id(&sup, "P1").await, Err(StoreError::NotFound)), "{b}");
        let file = store.person_file(&trusted, maral).await.unwrap();
        assert_eq!(file.cases.iter().map(|c| c.id).collect::<Vec<_>>(), [case.id], "{b}");
        assert_eq!(store.person_by_external_id(&trusted, "P1").await.unwrap().id, maral, "{b}");
    }
}

fn pair_ids(pairs: &[DuplicatePair]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .map(|p| {
            let (a, b) = (p.first.person_id.clone(), p.second.person_id.clone());
            if a < b {
                (a, b)
            } else {
                (b, a)
            }
        })
        .collect();
    out.sort();
    out
}

async fn all_pages(store: &Store, who: &Principal, limit: u32) -> Vec<DuplicatePair> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..50 {
        let page = store
            .probable_duplicates(who, None, after.as_deref(), limit)
            .await
            .unwrap();
        out.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => return out,
        }
    }
    panic!("the walk does not end");
}

goldaw_store::each_backend! {
    async fn the_supervisor_lists_probable_duplicates_in_scope_a_page_at_a_time(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        add(&store, "A1", "Maral", Some("Ýazowa"), Some("1980-02-03"), "TM-A-01").await;
        // Cyrillic, family name first: the same person.
        add(&store, "A2", "Марал", Some("Язова"), Some("1980-02-03"), "TM-A-01").await;
        // A stranger born the same day.
        add(&store, "A3", "Aýna", Some("Gurbanowa"), Some("1980-02-03"), "TM-A-01").await;
        // The family name missing, the same day.
        add(&store, "A4", "Aýna", None, Some("1980-02-03"), "TM-A-01").await;
        // The same name, one without a birth date.
        add(&store, "B1", "Ogulgerek", Some("Amanowa"), Some("1966-06-06"), "TM-A-01").await;
        add(&store, "B2", "Ogulgerek", Some("Amanowa"), None, "TM-A-01").await;
        // Outside the scope: never listed.
        add(&store, "C1", "Maral", Some("Ýazowa"), Some("1980-02-03"), "TM-S-02").await;

        let pairs = all_pages(&store, &sup, 50).await;
        let found = pair_ids(&pairs);
        let want = |a: &str, c: &str| (a.to_owned(), c.to_owned());
        assert!(found.contains(&want("A1", "A2")), "{b}: {found:?}");
        assert!(found.contains(&want("A3", "A4")), "{b}: {found:?}");
        assert!(found.contains(&want("B1", "B2")), "{b}: {found:?}");
        assert!(!found.contains(&want("A1", "A3")), "{b}: a stranger: {found:?}");
        assert!(found.iter().all(|(x, y)| x != "C1" && y != "C1"), "{b}: out of scope: {found:?}");
        assert!(pairs.iter().all(|p| p.score >= 75), "{b}");
        let unique: std::collections::HashSet<_> = found.iter().collect();
        assert_eq!(unique.len(), found.len(), "{b}: each pair once");
        // A page at a time: the same pairs, none lost or repeated.
        let paged = pair_ids(&all_pages(&store, &sup, 1).await);
        assert_eq!(paged, found, "{b}");
        // Narrowed to a unit outside scope: not found; a damaged link: refused with a key.
        let far: goldaw_core::ids::AdminUnitCode = "TM-S-02".parse().unwrap();
        assert!(matches!(store.probable_duplicates(&sup, Some(&far), None, 50).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.probable_duplicates(&sup, None, Some("zz"), 50).await, Err(StoreError::Invalid { .. })), "{b}");
        // Only supervisors (they merge).
        let worker = staff(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        assert!(matches!(store.probable_duplicates(&worker, None, None, 50).await, Err(StoreError::Forbidden(_))), "{b}");
    }
}
