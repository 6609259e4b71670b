//! Contracting on every backend, beyond the path (`contracting.rs`): a draft changed by
//! its keepers (and the refusals: out of sight, not permitted, stale, not a draft any more, bad
//! input with nothing written); the 403s carrying a key in the three languages; the units
//! delivered for the costing pages, filtered by scope in SQL and suppressed; the comparison's
//! goals achieved and follow-up outcomes.

use crate::contracting::{delivered, provider};
use crate::helpers::{sensitive_staff, staff};
use chrono::{Datelike, Duration, Utc};
use goldaw_core::codes::Role;
use goldaw_core::contracting::{DeliveryWay, TenderAction, TenderStatus, Weights};
use goldaw_store::contracting::{denial_key, NewTender, TenderActRequest, DENIALS};
use goldaw_store::referrals::{OfferRequest, ProviderKind};
use goldaw_store::StoreError;

fn key_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid { say: Some(say), .. }) => say.key.to_owned(),
        other => format!("not a keyed refusal: {other:?}"),
    }
}

fn tender(title: &str) -> NewTender {
    let today = goldaw_core::deadlines::local_date(Utc::now());
    NewTender {
        title: title.into(),
        service_code: "S05".parse().unwrap(),
        admin_units: vec!["TM-A-01".parse().unwrap()],
        period_from: today,
        period_to: today + Duration::days(300),
        people: 10,
        units: 1000,
        max_budget: 5_000_000,
        specification: "Day care".into(),
        documents: None,
        weights: Weights {
            price: 50,
            method: 20,
            staff: 10,
            experience: 10,
            rural_reach: 10,
        },
        bid_deadline: Utc::now() + Duration::days(3),
        committee: vec!["com1".into()],
    }
}

goldaw_store::each_backend! {
    async fn a_draft_is_changed_by_its_keepers_and_only_while_a_draft(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let min = staff(&store, "min", Role::Ministry, "TM").await;
        let min2 = staff(&store, "min2", Role::Ministry, "TM").await;
        let velayat = staff(&store, "vel", Role::Ministry, "TM-A").await;
        let prov = staff(&store, "pra", Role::Provider, "provider:PR-A").await;
        staff(&store, "com1", Role::Ministry, "TM").await;
        staff(&store, "com2", Role::Planner, "TM").await;
        let t = store.draft_tender(&min, tender("Day care")).await.unwrap();

        // Another keeper changes it: new terms, new etraps and committee, a new version.
        let mut changed = tender("Day care for children with disabilities");
        changed.admin_units.push("TM-A-02".parse().unwrap());
        changed.committee = vec!["com1".into(), "com2".into()];
        let t2 = store.change_tender(&min2, t.id, t.version, changed.clone()).await.unwrap();
        assert_eq!(t2.title, "Day care for children with disabilities", "{b}");
        assert_eq!(t2.admin_units, vec!["TM-A-01", "TM-A-02"]);
        assert_eq!(t2.committee, vec!["com1", "com2"]);
        assert_eq!(t2.version, t.version + 1);

        // Refused: a stale version (409), out of sight (404), not permitted (403), bad input.
        assert!(matches!(store.change_tender(&min, t.id, t.version, changed.clone()).await, Err(StoreError::Conflict { .. })), "{b}");
        assert!(matches!(store.change_tender(&velayat, t.id, t2.version, changed.clone()).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.change_tender(&prov, t.id, t2.version, changed.clone()).await, Err(StoreError::Forbidden(_))), "{b}");
        let mut bad = changed.clone();
        bad.weights.price = 10;
        bad.title = "Not written".into();
        assert_eq!(key_of(store.change_tender(&min, t.id, t2.version, bad).await), "contracting-weights-not-100");
        let mut outsider = changed.clone();
        outsider.committee = vec!["pra".into()];
        outsider.title = "Not written either".into();
        assert_eq!(key_of(store.change_tender(&min, t.id, t2.version, outsider).await), "contracting-committee-member-unknown");
        let now = store.tender(&min, t.id).await.unwrap();
        assert_eq!((now.title.as_str(), now.version, now.committee.len()), ("Day care for children with disabilities", t2.version, 2), "{b}: nothing written");

        // Approved, it is no longer changed.
        let approved = store
            .tender_act(&min2, t.id, TenderActRequest { action: TenderAction::Approve, version: now.version, reason: None })
            .await
            .unwrap();
        assert_eq!(approved.status, TenderStatus::Approved);
        assert_eq!(key_of(store.change_tender(&min, t.id, approved.version, changed).await), "contracting-tender-not-draft", "{b}");
    }
}

goldaw_store::each_backend! {
    async fn the_contracting_403s_carry_a_key(db: TestDb) {
        let store = db.open_with_key().await;
        let worker = staff(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        match store.list_tenders(&worker).await {
            Err(StoreError::Forbidden(m)) => assert_eq!(denial_key(&m), Some("contracting-denied-tenders"), "{m}"),
            other => panic!("{other:?}"),
        }
        match store.delivered_units(&worker, Utc::now().date_naive(), Utc::now().date_naive()).await {
            Err(StoreError::Forbidden(m)) => assert_eq!(denial_key(&m), Some("contracting-denied-comparison")),
            other => panic!("{other:?}"),
        }
        // Each key has its English text (not the key itself), distinct from the others.
        let texts: std::collections::BTreeSet<String> = DENIALS.iter().map(|k| goldaw_store::error::english(k, &[])).collect();
        assert_eq!(texts.len(), DENIALS.len());
        assert!(DENIALS.iter().all(|k| !texts.contains(*k)));
    }
}

goldaw_store::each_backend! {
    async fn delivered_units_and_the_comparison_keep_to_the_scope_in_sql(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let min = staff(&store, "min", Role::Ministry, "TM").await;
        let planner_a = staff(&store, "plan-a", Role::Planner, "TM-A").await;
        let planner_b = staff(&store, "plan-b", Role::Planner, "TM-B").await;
        let unsuppressed = crate::helpers::account(&store, "plan-u", Role::Planner, "TM-A", false, true).await;
        let sup = sensitive_staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = sensitive_staff(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let pst = staff(&store, "prst", Role::Provider, "provider:PR-ST").await;
        let state = provider(&store, &min, "PR-ST", ProviderKind::State).await;
        let offer = store
            .set_offer(&min, state, OfferRequest { service_code: "S05".parse().unwrap(), admin_unit: "TM-A-01".parse().unwrap(), places: None, service_point: None, active: true, version: None })
            .await
            .unwrap()
            .id;
        delivered(&store, &sup, &aman, &pst, "Aýna", offer, 3).await;
        delivered(&store, &sup, &aman, &pst, "Jeren", offer, 4).await;
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let from = today.with_day(1).unwrap();

        // In TM-A: the units, people hidden (2 < 5) unless the reader holds the grant.
        let rows = store.delivered_units(&planner_a, from, today).await.unwrap();
        let s05 = rows.iter().find(|r| r.service_code == "S05").expect("S05 delivered");
        assert_eq!((s05.units, s05.people), (7, None), "{b}");
        let rows = store.delivered_units(&unsuppressed, from, today).await.unwrap();
        let s05 = rows.iter().find(|r| r.service_code == "S05").unwrap();
        assert_eq!((s05.units, s05.people, s05.episodes), (7, Some(2), Some(2)), "{b}");
        // Outside TM-B's scope: nothing.
        assert!(store.delivered_units(&planner_b, from, today).await.unwrap().is_empty(), "{b}");
        // A period that ends before it starts: refused with a key.
        assert_eq!(key_of(store.delivered_units(&planner_a, today, from - Duration::days(1)).await), "contracting-period-order");

        // The comparison: the state's units in TM-A, none in TM-B; the model's community cost
        // against residential care is there.
        let s05: goldaw_core::cases::ServiceCode = "S05".parse().unwrap();
        let cmp = store.delivery_comparison(&unsuppressed, &s05, from, today).await.unwrap();
        let row = cmp.rows.iter().find(|r| r.way == DeliveryWay::State).unwrap();
        assert_eq!((row.units, row.people, row.goals_achieved), (Some(7), Some(2), Some(0)), "{b}");
        assert!(row.cost_per_goal.is_none(), "no goal achieved: no cost per goal");
        assert!(cmp.community_per_user_year.is_some() && cmp.residential_per_person_year.is_some(), "{cmp:?}");
        let cmp = store.delivery_comparison(&planner_b, &s05, from, today).await.unwrap();
        assert!(cmp.rows.iter().all(|r| r.units == Some(0)), "{b}: {cmp:?}");
    }
}
