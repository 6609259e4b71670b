//! Issue #16 on every backend: a person named in a sensitive case is hidden like a sensitive
//! person on every read that reaches a person (items 1); every use case of a case's routes reads
//! the case through the one scoped read, which agrees with `goldaw_core::privacy` (item 2);
//! providers see a sensitive referral by its code and a cancelled one as cancelled (item 8).

use crate::helpers::{act, user};
use goldaw_core::codes::{Priority, ReferralSource, Role};
use goldaw_core::privacy::{case_sight, CaseScopeFacts, CaseSight, Unseen};
use goldaw_core::workflow::{CaseAction, ClosureReason};
use goldaw_store::cases::{ActionRequest, NewAssessment, NewReferral, NoteKind};
use goldaw_store::households::HouseholdQuery;
use goldaw_store::people::PersonQuery;
use goldaw_store::referrals::{
    NewProvider, NewServiceReferral, OfferRequest, ProviderAction, ProviderActionKind,
    ProviderKind, ReferralStatus,
};
use goldaw_store::testing::TestDb;
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

/// A person of TM-A-01 in household `household` (`None`: living alone).
async fn person(store: &Store, by: &Principal, name: &str, household: Option<&str>) -> Uuid {
    let mut data = json!({
        "given_name": name, "family_name": "Annaýewa", "sex": "F", "birth_date": "1990-04-02",
        "admin_unit": "TM-A-01"
    });
    if let Some(h) = household {
        data["household_id"] = json!(h);
    }
    store
        .create_person(by, None, serde_json::from_value(data).unwrap())
        .await
        .unwrap()
        .id
}

async fn household(store: &Store, by: &Principal, id: &str) -> Uuid {
    store
        .create_household(
            by,
            Some(id.parse().unwrap()),
            serde_json::from_value(json!({"admin_unit": "TM-A-01", "address": "Magtymguly 12"}))
                .unwrap(),
        )
        .await
        .unwrap()
        .id
}

fn referral(person: Uuid, sensitive: bool, household_case: bool) -> NewReferral {
    NewReferral {
        person,
        admin_unit: "TM-A-01".parse().unwrap(),
        referral_source: ReferralSource::Hotline,
        referrer: None,
        concern: Some("Her husband threatens her".into()),
        provisional_priority: None,
        sensitive,
        household_case,
    }
}

fn search(name: &str) -> PersonQuery {
    PersonQuery {
        name: Some(name.into()),
        limit: 50,
        ..Default::default()
    }
}

/// Runs SQL behind goldaw's back, as someone with access to the database would.
async fn raw(db: &TestDb, sql: &str) {
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute_batch(sql).unwrap();
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        }
    }
}

/// Whether a read answered "no such record".
fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound))
}

goldaw_store::each_backend! {
    async fn a_person_named_in_a_sensitive_case_is_hidden_on_every_read_that_reaches_a_person(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let plain = user(&store, "plain", Role::SocialWorker, "TM-A-01", false).await;
        let plain_sup = user(&store, "plainsup", Role::Supervisor, "TM-A-01", false).await;
        let hotline = user(&store, "line", Role::Hotline, "TM", false).await;
        household(&store, &sup, "H-1").await;
        let mother = person(&store, &sup, "Gülnar", Some("H-1")).await;
        let son = person(&store, &sup, "Merdan", Some("H-1")).await;
        let neighbour = person(&store, &sup, "Jeren", None).await;
        // Intake records no target group: only the case is marked sensitive, for the household.
        let case = store
            .register_referral(&sup, referral(mother, true, true))
            .await
            .unwrap();

        // The reader without the permission: the mother and the son are gone, by id and by name,
        // the household with them; the neighbour is still there.
        for who in [mother, son] {
            assert!(not_found(store.person(&plain, who).await), "{b}");
        }
        assert!(store.person(&plain, neighbour).await.is_ok(), "{b}");
        let found = store
            .search_persons(&plain, &search("Annaýewa"))
            .await
            .unwrap();
        let ids: Vec<Uuid> = found.iter().map(|p| p.id).collect();
        assert_eq!(ids, [neighbour], "{b}: search");
        let all = HouseholdQuery {
            limit: 50,
            ..Default::default()
        };
        let hs = store.search_households(&plain, &all).await.unwrap();
        assert!(hs.iter().all(|h| h.household_id != "H-1"), "{b}: {hs:?}");
        let h1 = store
            .search_households(
                &sup,
                &HouseholdQuery {
                    external_id: Some("H-1".into()),
                    limit: 5,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(h1.len(), 1, "{b}");
        assert!(not_found(store.household(&plain, h1[0].id).await), "{b}");
        // The duplicate check at intake (the hotline's too) finds neither.
        for who in [&plain, &hotline] {
            let candidates = store
                .likely_duplicates(
                    who,
                    &"TM-A-01".parse().unwrap(),
                    "Gülnar",
                    Some("Annaýewa"),
                    None,
                )
                .await
                .unwrap();
            assert!(candidates.iter().all(|c| c.person != mother), "{b}");
        }
        // A merge preview needs both records.
        assert!(
            not_found(store.merge_preview(&plain_sup, neighbour, mother).await),
            "{b}"
        );
        // Nobody without the permission adds a person to the household, nor registers a case
        // for the hidden person.
        let data = serde_json::from_value(json!({"given_name": "Täze", "sex": "M",
            "admin_unit": "TM-A-01", "household_id": "H-1"}))
        .unwrap();
        let r = store.create_person(&plain, None, data).await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })), "{b}: {r:?}");
        let r = store
            .register_referral(&plain, referral(son, false, false))
            .await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })), "{b}: {r:?}");
        // The case shows its code, not whom it is about: no id, no name.
        let seen = store.case(&plain, case.id).await.unwrap();
        assert!(seen.restricted && seen.person_id.is_none() && seen.person_name.is_none());
        let shown = serde_json::to_string(&seen).unwrap();
        assert!(
            !shown.contains(&mother.to_string()) && !shown.contains("Gülnar"),
            "{b}: {shown}"
        );

        // With the permission everything is there.
        assert!(store.person(&sup, son).await.is_ok(), "{b}");
        assert_eq!(
            store.household(&sup, h1[0].id).await.unwrap().members.len(),
            2,
            "{b}"
        );
        assert_eq!(
            store.case(&sup, case.id).await.unwrap().person_id,
            Some(mother)
        );

        // A person who joins the household later is named by its case too.
        let data = serde_json::from_value(json!({"given_name": "Bäbek", "sex": "M",
            "admin_unit": "TM-A-01", "household_id": "H-1"}))
        .unwrap();
        let baby = store.create_person(&sup, None, data).await.unwrap();
        assert!(not_found(store.person(&plain, baby.id).await), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn people_a_sensitive_case_refers_or_assesses_are_hidden_and_stay_hidden_after_it_closes(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let plain = user(&store, "plain", Role::SocialWorker, "TM-A-01", false).await;
        household(&store, &sup, "H-2").await;
        let mother = person(&store, &sup, "Aýna", Some("H-2")).await;
        let son = person(&store, &sup, "Merdan", Some("H-2")).await;
        let daughter = person(&store, &sup, "Bahar", Some("H-2")).await;
        // A case about the mother alone: the household stays visible, the children too.
        let case = store
            .register_referral(&sup, referral(mother, true, false))
            .await
            .unwrap();
        assert!(store.person(&plain, son).await.is_ok(), "{b}");
        assert!(store.person(&plain, daughter).await.is_ok(), "{b}");
        let case = store
            .act_on_case(&sup, case.id, act(CaseAction::StartInitial, case.version))
            .await
            .unwrap();
        // The initial assessment names the son; a referral to a universal service the daughter.
        store
            .start_assessment(
                &sup,
                case.id,
                NewAssessment {
                    instrument: "initial".into(),
                    persons: vec![mother, son],
                },
            )
            .await
            .unwrap();
        assert!(not_found(store.person(&plain, son).await), "{b}: assessed");
        assert!(store.person(&plain, daughter).await.is_ok(), "{b}");
        let sent = store
            .refer(
                &sup,
                case.id,
                NewServiceReferral {
                    person: daughter,
                    service_code: "U_EDU".parse().unwrap(),
                    provider_service: None,
                    recipient: Some("School 12".into()),
                    info: Some("Needs a quiet place to learn".into()),
                },
            )
            .await
            .unwrap();
        assert!(
            not_found(store.person(&plain, daughter).await),
            "{b}: referred"
        );
        // The referral, read by a reader without the permission, carries no person either.
        let listed = store.case_referrals(&plain, case.id).await.unwrap();
        assert_eq!(listed.len(), 1, "{b}");
        let r = &listed[0];
        assert!(
            r.restricted && r.person_id.is_none() && r.info.is_none(),
            "{b}"
        );
        assert!(r.recipient.is_none() && r.provider_name.is_none(), "{b}");
        assert_eq!(r.service_code, "U_EDU");
        let shown = serde_json::to_string(&listed).unwrap();
        assert!(
            !shown.contains(&daughter.to_string()) && !shown.contains("School 12"),
            "{b}: {shown}"
        );
        assert_eq!(
            store.case_referrals(&sup, case.id).await.unwrap()[0].person_id,
            Some(sent.person_id.unwrap())
        );

        // Closed: once named, always hidden (what was learnt in the case does not go away).
        let case = store.case(&sup, case.id).await.unwrap();
        let case = store
            .act_on_case(
                &sup,
                case.id,
                ActionRequest {
                    reason: Some(ClosureReason::MovedAway),
                    ..act(CaseAction::RequestClosure, case.version)
                },
            )
            .await
            .unwrap();
        let closed = store
            .act_on_case(&sup, case.id, act(CaseAction::ApproveClosure, case.version))
            .await
            .unwrap();
        assert_eq!(closed.status, goldaw_core::codes::CaseStatus::Closed);
        for who in [mother, son, daughter] {
            assert!(not_found(store.person(&plain, who).await), "{b}: closed");
        }
        // A later, ordinary case about one of them is sensitive too: it would name them.
        let later = store
            .register_referral(&sup, referral(son, false, false))
            .await
            .unwrap();
        assert!(later.sensitive, "{b}");
        let seen = store.case(&plain, later.id).await.unwrap();
        assert!(seen.restricted && seen.person_id.is_none(), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn a_case_about_a_hidden_person_is_treated_as_sensitive_even_unmarked(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let plain = user(&store, "plain", Role::Supervisor, "TM-A-01", false).await;
        let who = person(&store, &sup, "Ogulbibi", None).await;
        // An ordinary case, opened before anything sensitive was known.
        let older = store
            .register_referral(&sup, referral(who, false, false))
            .await
            .unwrap();
        assert!(!older.sensitive);
        assert!(
            store
                .case(&plain, older.id)
                .await
                .unwrap()
                .person_name
                .is_some(),
            "{b}"
        );
        store
            .register_referral(&sup, referral(who, true, false))
            .await
            .unwrap();
        let seen = store.case(&plain, older.id).await.unwrap();
        assert!(seen.sensitive && seen.restricted, "{b}");
        assert!(seen.person_id.is_none() && seen.person_name.is_none() && seen.concern.is_none());
        // Its notes' text, its history of access, and working on it need the permission too.
        let r = store
            .add_case_note(
                &plain,
                older.id,
                NoteKind::PhoneCall,
                chrono::Utc::now(),
                "x",
            )
            .await;
        assert!(matches!(r, Err(StoreError::Forbidden(_))), "{b}: {r:?}");
        let r = store.case_access(&plain, older.id, 50).await;
        assert!(matches!(r, Err(StoreError::Forbidden(_))), "{b}: {r:?}");
        assert!(store.case_access(&sup, older.id, 50).await.is_ok(), "{b}");
        let listed = store
            .list_cases(
                &plain,
                &goldaw_store::cases::CaseQuery {
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(listed.iter().all(|c| c.person_name.is_none()), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn the_migration_hides_the_people_that_existing_sensitive_cases_name(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        household(&store, &sup, "H-3").await;
        let mother = person(&store, &sup, "Gülnar", Some("H-3")).await;
        let son = person(&store, &sup, "Merdan", Some("H-3")).await;
        let neighbour = person(&store, &sup, "Jeren", None).await;
        store
            .register_referral(&sup, referral(mother, true, true))
            .await
            .unwrap();
        store
            .register_referral(&sup, referral(neighbour, false, false))
            .await
            .unwrap();
        drop(store);
        // The database as it was before migration 0011: no mark, no view, no indexes.
        raw(
            &db,
            "DROP VIEW case_persons;
             DROP INDEX service_referrals_person;
             DROP INDEX assessment_persons_person;
             ALTER TABLE persons DROP COLUMN named_in_sensitive_case;
             DELETE FROM _sqlx_migrations WHERE version = 11;",
        )
        .await;
        // Opening migrates.
        let store = db.open_with_key().await;
        let plain = user(&store, "plain", Role::SocialWorker, "TM-A-01", false).await;
        assert!(not_found(store.person(&plain, mother).await), "{b}");
        assert!(not_found(store.person(&plain, son).await), "{b}");
        assert!(store.person(&plain, neighbour).await.is_ok(), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn the_scoped_read_of_a_case_agrees_with_the_rule_in_core_for_every_role(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A", true).await;
        let line = user(&store, "line", Role::Hotline, "TM", true).await;
        let other_line = user(&store, "line2", Role::Hotline, "TM", true).await;
        let alone = person(&store, &sup, "Aýgül", None).await;
        let far = store
            .create_person(
                &Principal::system("t"),
                None,
                serde_json::from_value(
                    json!({"given_name": "Oraz", "sex": "M", "admin_unit": "TM-S-02"}),
                )
                .unwrap(),
            )
            .await
            .unwrap()
            .id;
        let mut cases = Vec::new();
        // Plain and sensitive, registered by the supervisor and by the hotline, here and far.
        for (by, who, unit, sensitive) in [
            (&sup, alone, "TM-A-01", false),
            (&sup, alone, "TM-A-01", true),
            (&line, far, "TM-S-02", false),
            (&line, far, "TM-S-02", true),
        ] {
            let new = NewReferral {
                admin_unit: unit.parse().unwrap(),
                ..referral(who, sensitive, false)
            };
            cases.push(store.register_referral(by, new).await.unwrap());
        }
        // One waits for a transfer into TM-B.
        let moving = store.case(&sup, cases[0].id).await.unwrap();
        store
            .act_on_case(
                &sup,
                moving.id,
                ActionRequest {
                    transfer_to: Some("TM-B-02".parse().unwrap()),
                    ..act(CaseAction::RequestTransfer, moving.version)
                },
            )
            .await
            .unwrap();
        let mut readers = vec![sup.clone(), line.clone(), other_line];
        for (i, role) in Role::ALL.iter().enumerate() {
            for (j, scope) in ["TM-A-01", "TM-A-02", "TM-B", "TM"].iter().enumerate() {
                for sensitive in [false, true] {
                    let scope = if *role == Role::Provider {
                        "provider:PR1"
                    } else {
                        scope
                    };
                    let name = format!("r{i}-{j}-{sensitive}");
                    readers.push(Principal::user(
                        Uuid::now_v7(),
                        &name,
                        *role,
                        scope.parse().unwrap(),
                        sensitive,
                    ));
                }
            }
        }
        let op = Principal::system("t");
        let mut checked = 0;
        for case in &cases {
            let truth = store.case(&op, case.id).await.unwrap();
            let registered_by = if case.admin_unit == "TM-S-02" {
                line.user_id
            } else {
                sup.user_id
            };
            let facts = CaseScopeFacts {
                admin_unit: &truth.admin_unit,
                transfer_to: truth.transfer_to.as_deref(),
                registered_by,
                sensitive: truth.sensitive,
            };
            for reader in &readers {
                let want = case_sight(reader, &facts);
                // The case itself and a route of it (its referrals) give the same answer.
                for got in [
                    store.case(reader, case.id).await.map(|c| c.restricted),
                    store
                        .case_referrals(reader, case.id)
                        .await
                        .map(|_| want == Ok(CaseSight::CodeOnly)),
                ] {
                    let ok = match (&want, &got) {
                        (Ok(sight), Ok(restricted)) => sight.restricted() == *restricted,
                        (Err(Unseen::NotFound), Err(StoreError::NotFound)) => true,
                        (Err(Unseen::Forbidden), Err(StoreError::Forbidden(_))) => true,
                        _ => false,
                    };
                    assert!(
                        ok,
                        "{b}: {} {:?} {:?} on {} {}: core {want:?}, store {got:?}",
                        reader.actor, reader.role, reader.scope, case.number, case.sensitive
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 200, "{checked}");
    }
}

goldaw_store::each_backend! {
    async fn the_hotline_reads_the_referrals_of_the_calls_it_registered_only(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let line = user(&store, "line", Role::Hotline, "TM", true).await;
        let who = person(&store, &sup, "Aýna", None).await;
        let theirs = store
            .register_referral(&sup, referral(who, false, false))
            .await
            .unwrap();
        let own = store
            .register_referral(&line, referral(who, false, false))
            .await
            .unwrap();
        let case = store
            .act_on_case(
                &sup,
                theirs.id,
                act(CaseAction::StartInitial, theirs.version),
            )
            .await
            .unwrap();
        let sent = store
            .refer(
                &sup,
                case.id,
                NewServiceReferral {
                    person: who,
                    service_code: "U_HEALTH".parse().unwrap(),
                    provider_service: None,
                    recipient: Some("Clinic 3".into()),
                    info: Some("Speaks Russian".into()),
                },
            )
            .await
            .unwrap();
        assert!(
            not_found(store.case_referrals(&line, theirs.id).await),
            "{b}"
        );
        assert!(not_found(store.case_events(&line, theirs.id).await), "{b}");
        assert!(store.case_referrals(&line, own.id).await.is_ok(), "{b}");
        // Nor does it cancel one (it does not work cases at all).
        let r = store.cancel_referral(&line, sent.id, sent.version).await;
        assert!(matches!(r, Err(StoreError::Forbidden(_))), "{b}: {r:?}");
        // A worker of another etrap: the referrals of a case they cannot read do not exist.
        let far = user(&store, "far", Role::SocialWorker, "TM-B-01", true).await;
        assert!(
            not_found(store.case_referrals(&far, theirs.id).await),
            "{b}"
        );
        assert!(
            not_found(store.cancel_referral(&far, sent.id, sent.version).await),
            "{b}"
        );
    }
}

goldaw_store::each_backend! {
    async fn providers_see_a_sensitive_referral_by_its_code_and_a_cancelled_one_as_cancelled(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM", false).await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let plain = user(&store, "ngo", Role::Provider, "provider:PR-Y", false).await;
        let cleared = user(&store, "ngo-lead", Role::Provider, "provider:PR-Y", true).await;
        let provider = store
            .create_provider(
                &ministry,
                NewProvider {
                    external_id: "PR-Y".into(),
                    name: "Ýeňme".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: None,
                },
            )
            .await
            .unwrap();
        let offer = store
            .set_offer(
                &ministry,
                provider.id,
                OfferRequest {
                    service_code: "S01".parse().unwrap(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    places: None,
                    service_point: None,
                    active: true,
                    version: None,
                },
            )
            .await
            .unwrap();
        let mut sent = Vec::new();
        for (name, sensitive) in [("Aýna", false), ("Gülnar", true)] {
            let who = person(&store, &sup, name, None).await;
            let case = store
                .register_referral(&sup, referral(who, sensitive, false))
                .await
                .unwrap();
            let case = store
                .act_on_case(&sup, case.id, act(CaseAction::StartInitial, case.version))
                .await
                .unwrap();
            goldaw_store::testing::assess(&store, &sup, case.id, "initial")
                .await
                .unwrap();
            store
                .act_on_case(
                    &sup,
                    case.id,
                    ActionRequest {
                        priority: Some(Priority::Support),
                        ..act(CaseAction::CompleteInitial, case.version)
                    },
                )
                .await
                .unwrap();
            let r = store
                .refer(
                    &sup,
                    case.id,
                    NewServiceReferral {
                        person: who,
                        service_code: "S01".parse().unwrap(),
                        provider_service: Some(offer.id),
                        recipient: None,
                        info: Some(format!("{name} uses a wheelchair")),
                    },
                )
                .await
                .unwrap();
            sent.push(r);
        }
        let (ordinary, sensitive) = (&sent[0], &sent[1]);

        // Without the permission: the sensitive referral's code, status and place, no name, no note.
        let seen = store.provider_referral(&plain, sensitive.id).await.unwrap();
        assert!(seen.restricted, "{b}");
        assert_eq!(seen.service_code.as_deref(), Some("S01"));
        assert_eq!(seen.status, ReferralStatus::Sent);
        assert!(seen.given_name.is_none() && seen.info.is_none() && seen.birth_year.is_none());
        let inbox =
            serde_json::to_string(&store.provider_inbox(&plain, None).await.unwrap()).unwrap();
        assert!(!inbox.contains("Gülnar"), "{b}: {inbox}");
        assert!(inbox.contains("Aýna uses a wheelchair"), "{b}: {inbox}");
        // With it, and for an ordinary referral, what serving the person needs.
        let full = store
            .provider_referral(&cleared, sensitive.id)
            .await
            .unwrap();
        assert_eq!(full.given_name.as_deref(), Some("Gülnar"), "{b}");
        assert!(
            !store
                .provider_referral(&plain, ordinary.id)
                .await
                .unwrap()
                .restricted
        );
        // Accepting works without seeing the name; the answer stays restricted.
        let accepted = store
            .provider_act(
                &plain,
                sensitive.id,
                ProviderAction {
                    action: ProviderActionKind::Accept,
                    version: seen.version,
                    reason: None,
                    note: None,
                    on: None,
                },
            )
            .await
            .unwrap();
        assert!(accepted.restricted && accepted.given_name.is_none(), "{b}");

        // The worker cancels: the provider sees only that, permission or not.
        let current = store.case_referrals(&sup, ordinary.case_id).await.unwrap();
        store
            .cancel_referral(&sup, ordinary.id, current[0].version)
            .await
            .unwrap();
        for who in [&plain, &cleared] {
            let gone = store.provider_referral(who, ordinary.id).await.unwrap();
            assert_eq!(gone.status, ReferralStatus::Cancelled, "{b}");
            assert!(gone.restricted);
            assert!(
                gone.given_name.is_none() && gone.info.is_none() && gone.service_code.is_none()
            );
            assert!(
                gone.sent_at.is_none() && gone.referring_unit.is_none(),
                "{b}"
            );
            let inbox =
                serde_json::to_string(&store.provider_inbox(who, None).await.unwrap()).unwrap();
            assert!(!inbox.contains("Aýna"), "{b}: {inbox}");
        }
    }
}

goldaw_store::each_backend! {
    async fn no_role_downloads_the_bulk_export_that_holds_hidden_people(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let dir = tempfile::tempdir().unwrap();
        // National scope and the sensitive permission, as the ministry may have: still not.
        for role in Role::ALL {
            let scope = if *role == Role::Provider {
                "provider:PR1"
            } else {
                "TM"
            };
            let who = Principal::user(Uuid::now_v7(), "x", *role, scope.parse().unwrap(), true);
            let r = store.export_dir(&who, dir.path()).await;
            assert!(
                matches!(r, Err(StoreError::Forbidden(_))),
                "{b}: {role}: {r:?}"
            );
        }
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "{b}"
        );
        // The operator on the server may.
        assert!(store
            .export_dir(&Principal::system("export"), dir.path())
            .await
            .is_ok());
    }
}
