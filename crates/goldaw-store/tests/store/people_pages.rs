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
        let actions: Vec<&str> = hf.history.iter().map(|c| c.action.as_str()).collect();
        assert_eq!(actions, ["household.member_in", "household.member_in", "household.create"], "{b}: registered, two moved in");
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
        // A page out of time answers after the person it was checking, and the walk goes on from
        // there: with no time at all, one person a page, the same pairs.
        let mut timed = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = store
                .probable_duplicates_within(&sup, None, after.as_deref(), 50, std::time::Duration::ZERO)
                .await
                .unwrap();
            pages += 1;
            assert!(page.checked <= 1, "{b}: {} checked", page.checked);
            timed.extend(page.items);
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
            assert!(pages < 50, "{b}: the walk does not end");
        }
        assert_eq!(pair_ids(&timed), found, "{b}");
        assert!(pages >= 6, "{b}: {pages} pages");
        // Narrowed to a unit outside scope: not found; a damaged link: refused with a key.
        let far: goldaw_core::ids::AdminUnitCode = "TM-S-02".parse().unwrap();
        assert!(matches!(store.probable_duplicates(&sup, Some(&far), None, 50).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.probable_duplicates(&sup, None, Some("zz"), 50).await, Err(StoreError::Invalid { .. })), "{b}");
        // Only supervisors (they merge).
        let worker = staff(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        assert!(matches!(store.probable_duplicates(&worker, None, None, 50).await, Err(StoreError::Forbidden(_))), "{b}");
    }
}

/// A person, in a household if `home` is given.
async fn add_home(
    store: &Store,
    id: &str,
    given: &str,
    family: &str,
    born: &str,
    home: &str,
) -> Uuid {
    let v = json!({"given_name": given, "family_name": family, "sex": "F", "admin_unit": "TM-A-01",
        "birth_date": born, "household_id": home});
    let data: PersonData = serde_json::from_value(v).unwrap();
    store
        .create_person(&operator(), Some(id.parse().unwrap()), data)
        .await
        .unwrap()
        .id
}

goldaw_store::each_backend! {
    async fn the_probable_duplicates_find_every_kind_of_pair_from_the_indexes_each_once(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let trusted = sensitive_staff(&store, "trusted", Role::Supervisor, "TM-A-01").await;
        // Pairs whose birth dates differ: none of them shares a day, most no household.
        // Either order of the names, the same year.
        add(&store, "O1", "Maral", Some("Ýazowa"), Some("1980-02-03"), "TM-A-01").await;
        add(&store, "O2", "Ýazowa", Some("Maral"), Some("1980-07-09"), "TM-A-01").await;
        // Cyrillic, day and month swapped.
        add(&store, "C1", "Gülnara", Some("Amanowa"), Some("1975-05-06"), "TM-A-01").await;
        add(&store, "C2", "Гюльнара", Some("Аманова"), Some("1975-06-05"), "TM-A-01").await;
        // A typo in each name and one digit of the year wrong.
        add(&store, "T1", "Ogulgerek", Some("Berdiýewa"), Some("1990-01-20"), "TM-A-01").await;
        add(&store, "T2", "Ogulgerk", Some("Berdiewa"), Some("1960-01-20"), "TM-A-01").await;
        // The family name missing, the same day.
        add(&store, "M1", "Şatlyk", None, Some("1985-03-04"), "TM-A-01").await;
        add(&store, "M2", "Şatlyk", Some("Hojamow"), Some("1985-03-04"), "TM-A-01").await;
        // The same name, one digit of the year wrong.
        add(&store, "Y1", "Jeren", Some("Orazowa"), Some("1988-11-12"), "TM-A-01").await;
        add(&store, "Y2", "Jeren", Some("Orazowa"), Some("1998-11-12"), "TM-A-01").await;
        // The same household, birth dates far apart.
        store
            .create_household(&operator(), Some("HH".parse().unwrap()), household("TM-A-01", "Bitarap 3"))
            .await
            .unwrap();
        add_home(&store, "H1", "Aýna", "Nurymowa", "1970-04-04", "HH").await;
        add_home(&store, "H2", "Ayna", "Nurymowa", "2001-09-09", "HH").await;
        // A namesake born years apart elsewhere: not the same person.
        add(&store, "N1", "Aýna", Some("Nurymowa"), Some("1950-10-10"), "TM-A-01").await;
        // Outside the scope: the twin of O1, never listed.
        add(&store, "X1", "Maral", Some("Ýazowa"), Some("1980-02-03"), "TM-S-02").await;
        // Hidden (named in a sensitive case): the twin of Y1, listed only to who may see it.
        let hidden = add(&store, "S1", "Jeren", Some("Orazowa"), Some("1988-11-12"), "TM-A-01").await;
        let mut sensitive = referral(hidden, "TM-A-01");
        sensitive.sensitive = true;
        store.register_referral(&operator(), sensitive).await.unwrap();

        let want: Vec<(String, String)> = [("C1", "C2"), ("H1", "H2"), ("M1", "M2"), ("O1", "O2"), ("T1", "T2"), ("Y1", "Y2")]
            .iter()
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .collect();
        let pairs = all_pages(&store, &sup, 50).await;
        let found = pair_ids(&pairs);
        assert_eq!(found, want, "{b}: every planted pair, each once, nothing else");
        assert!(pairs.iter().all(|p| p.score >= 75), "{b}");
        // A page of one pair at a time: the same pairs, none lost or repeated across pages.
        let paged = pair_ids(&all_pages(&store, &sup, 1).await);
        assert_eq!(paged, want, "{b}");
        // A page says how many people it checked; nothing was cut.
        let page = store.probable_duplicates(&sup, None, None, 50).await.unwrap();
        assert_eq!(page.checked, 13, "{b}: the thirteen people in scope the supervisor sees");
        assert!(page.incomplete.is_empty(), "{b}");
        assert!(page.next.is_none(), "{b}");

        // Who may see the hidden person sees its pairs with Y1 and Y2 too.
        let wide = pair_ids(&all_pages(&store, &trusted, 2).await);
        for pair in [("S1", "Y1"), ("S1", "Y2")] {
            assert!(wide.contains(&(pair.0.to_owned(), pair.1.to_owned())), "{b}: {wide:?}");
        }
        assert_eq!(wide.len(), want.len() + 2, "{b}: {wide:?}");
        // Narrowed to a unit: the same walk within it.
        let here: goldaw_core::ids::AdminUnitCode = "TM-A-01".parse().unwrap();
        let narrowed = store.probable_duplicates(&sup, Some(&here), None, 50).await.unwrap();
        assert_eq!(pair_ids(&narrowed.items), want, "{b}");
    }
}

goldaw_store::each_backend! {
    async fn the_history_follows_merges_and_moves(db: TestDb) {
        use goldaw_store::merges::{MergeRequest, UndoRequest};
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let op = operator();
        let first = store
            .create_household(&op, Some("H1".parse().unwrap()), household("TM-A-01", "Magtymguly 5"))
            .await
            .unwrap();
        let second = store
            .create_household(&op, Some("H2".parse().unwrap()), household("TM-A-01", "Bitarap 7"))
            .await
            .unwrap();
        let kept = add(&store, "K1", "Maral", Some("Ýazowa"), Some("1980-02-03"), "TM-A-01").await;
        let dup = add(&store, "D1", "Марал", Some("Язова"), Some("1980-02-03"), "TM-A-01").await;
        // The duplicate has a history of its own: registered, then its name changed.
        let d = store.person(&sup, dup).await.unwrap();
        let mut data = d.data.clone();
        data.given_name = "Maral".parse().unwrap();
        store.update_person(&sup, dup, d.version, data).await.unwrap();
        // The kept record moves into one household, then into another.
        for home in [first.id, second.id] {
            let k = store.person(&sup, kept).await.unwrap();
            store.move_to_household(&sup, home, kept, k.version, Some(Relationship::Head)).await.unwrap();
        }
        let actions = |h: &Vec<goldaw_store::people::PersonChange>| h.iter().map(|c| c.action.clone()).collect::<Vec<_>>();
        // Each household's history has the member moving, by id.
        let h1 = store.household_file(&sup, first.id).await.unwrap();
        assert_eq!(actions(&h1.history), ["household.member_out", "household.member_in", "household.create"], "{b}");
        let h2 = store.household_file(&sup, second.id).await.unwrap();
        assert_eq!(actions(&h2.history), ["household.member_in", "household.create"], "{b}");
        assert_eq!(h2.history[0].detail.as_deref(), Some(format!("person {kept}").as_str()), "{b}");
        // A change of nothing but the name moves no one.
        assert!(h1.history.iter().all(|c| c.record == first.id.to_string()), "{b}");

        // The duplicate merged into the kept record: its history is now the kept one's.
        let version = |id: Uuid| {
            let store = &store;
            async move { store.person(&operator(), id).await.unwrap().version }
        };
        let merge = store
            .merge_persons(&sup, kept, MergeRequest { merged: dup, kept_version: version(kept).await, merged_version: version(dup).await })
            .await
            .unwrap();
        let file = store.person_file(&sup, kept).await.unwrap();
        assert_eq!(
            actions(&file.history),
            ["person.merge", "person.update", "person.update", "person.update", "person.create", "person.create"],
            "{b}"
        );
        let records: Vec<String> = file.history.iter().map(|c| c.record.clone()).collect();
        let (k, d) = (kept.to_string(), dup.to_string());
        assert_eq!(records, [k.clone(), k.clone(), k.clone(), d.clone(), d.clone(), k.clone()], "{b}: whose each change was");
        assert!(file.history[1].detail.as_deref().unwrap_or_default().ends_with("changed: household_id"), "{b}: {:?}", file.history[1]);
        // The merged record's page is the kept one's.
        let via_dup = store.person_file(&sup, dup).await.unwrap();
        assert_eq!(via_dup.person.id, kept, "{b}");
        assert_eq!(via_dup.history.len(), file.history.len(), "{b}");

        // The merge undone: the duplicate takes its history back.
        store.undo_merge(&sup, merge.id, UndoRequest { kept_version: version(kept).await }).await.unwrap();
        let file = store.person_file(&sup, kept).await.unwrap();
        assert_eq!(
            actions(&file.history),
            ["person.merge_undo", "person.merge", "person.update", "person.update", "person.create"],
            "{b}"
        );
        assert!(file.history.iter().all(|c| c.record == k), "{b}");
        let back = store.person_file(&sup, dup).await.unwrap();
        assert_eq!(back.person.id, dup, "{b}");
        assert_eq!(actions(&back.history), ["person.update", "person.create"], "{b}");
    }
}
