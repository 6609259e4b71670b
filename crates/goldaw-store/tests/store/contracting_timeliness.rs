//! A contract's performance on every backend (issue #21, item 6): the referrals made to its
//! provider, accepted within WORKFLOW.md's deadline or late, declined, waiting, month by month
//! against the targets, with the figures the test computes from the referrals it makes; the same
//! timeliness in the comparison by way of delivery; small counts hidden without the grant. And a
//! withdrawn bid is final: the organisation bids no more on that tender. Residential care costed
//! from its deliveries beside the community service's.

use crate::contracting::provider;
use crate::helpers::{account, case_at, person_in, sensitive_staff, staff};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use goldaw_core::codes::{CaseStatus, Role};
use goldaw_core::contracting::{BidAction, Criterion, DeliveryWay, TenderAction, Weights};
use goldaw_store::contracting::{
    AwardRequest, BidActRequest, BidRequest, Contract, NewContract, NewTender, ScoreEntry,
    ScoreRequest, TenderActRequest,
};
use goldaw_store::referrals::{
    Delivery, NewServiceReferral, ProviderAction, ProviderActionKind, ProviderKind,
};
use goldaw_store::{Principal, Store, StoreError};
use uuid::Uuid;

fn key_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid { say: Some(say), .. }) => say.key.to_owned(),
        other => format!("not a keyed refusal: {other:?}"),
    }
}

fn bid() -> BidRequest {
    BidRequest {
        price_per_unit: 5_000,
        units: 100,
        people: 10,
        places: Some(50),
        staff: "Two special educators".into(),
        method: "Portage".into(),
        documents: None,
        version: None,
    }
}

fn tender(from: NaiveDate) -> NewTender {
    NewTender {
        title: "Day care".into(),
        service_code: "S05".parse().unwrap(),
        admin_units: vec!["TM-A-01".parse().unwrap()],
        period_from: from,
        period_to: from + Duration::days(360),
        people: 10,
        units: 100,
        max_budget: 10_000_000,
        specification: "Daily habilitation".into(),
        documents: None,
        weights: Weights {
            price: 40,
            method: 20,
            staff: 15,
            experience: 15,
            rural_reach: 10,
        },
        bid_deadline: Utc::now() + Duration::hours(1),
        committee: vec!["com1".into()],
    }
}

/// A contract with `pa`'s organisation for S05 in TM-A-01 from `from`: 10 people, 100 units.
async fn contract(
    store: &Store,
    min: &Principal,
    min2: &Principal,
    com: &Principal,
    pa: &Principal,
    from: NaiveDate,
) -> Contract {
    let t = store.draft_tender(min, tender(from)).await.unwrap();
    let t = store
        .tender_act(
            min2,
            t.id,
            TenderActRequest {
                action: TenderAction::Approve,
                version: t.version,
                reason: None,
            },
        )
        .await
        .unwrap();
    let t = store
        .tender_act(
            min,
            t.id,
            TenderActRequest {
                action: TenderAction::Publish,
                version: t.version,
                reason: None,
            },
        )
        .await
        .unwrap();
    let b = store.prepare_bid(pa, t.id, bid()).await.unwrap();
    store
        .bid_act(
            pa,
            b.id,
            BidActRequest {
                action: BidAction::Submit,
                version: b.version,
            },
        )
        .await
        .unwrap();
    store
        .testing_move_bid_deadline(t.id, Utc::now() - Duration::minutes(1))
        .await
        .unwrap();
    let scores = [
        Criterion::Method,
        Criterion::Staff,
        Criterion::Experience,
        Criterion::RuralReach,
    ]
    .into_iter()
    .map(|criterion| ScoreEntry {
        criterion,
        score: 7,
    })
    .collect();
    store
        .score_bid(com, b.id, ScoreRequest { scores })
        .await
        .unwrap();
    let t = store.tender(min, t.id).await.unwrap();
    store
        .award_tender(
            min,
            t.id,
            AwardRequest {
                version: t.version,
                reason: "The only bid".into(),
            },
        )
        .await
        .unwrap();
    store
        .sign_contract(
            min,
            t.id,
            NewContract {
                ceiling: 1_000_000,
                target_people: 10,
                target_units: 100,
                target_outcomes: Some("Most children reach their goals".into()),
                payment_schedule: "monthly".into(),
                period_from: None,
                period_to: None,
                places: Some(50),
            },
        )
        .await
        .unwrap()
}

fn pact(action: ProviderActionKind, version: i32, on: Option<NaiveDate>) -> ProviderAction {
    ProviderAction {
        action,
        version,
        reason: None,
        note: None,
        on,
    }
}

/// A child of a case at the support plan (priority support) in TM-A-01 referred to `offer`.
async fn referred(
    store: &Store,
    sup: &Principal,
    worker: &Principal,
    name: &str,
    offer: Uuid,
) -> (Uuid, i32) {
    let person = person_in(store, sup, name, "TM-A-01", "").await;
    let case = case_at(
        store,
        sup,
        worker,
        person,
        "TM-A-01",
        CaseStatus::SupportPlan,
    )
    .await;
    let r = store
        .refer(
            worker,
            case.id,
            NewServiceReferral {
                person,
                service_code: "S05".parse().unwrap(),
                provider_service: Some(offer),
                recipient: None,
                info: None,
            },
        )
        .await
        .unwrap();
    (r.id, r.version)
}

/// Days, one decimal, as the figures are given.
fn days(d: Duration) -> f64 {
    (d.num_seconds() as f64 / 86_400.0 * 10.0).round() / 10.0
}

goldaw_store::each_backend! {
    async fn a_contract_shows_its_referrals_accepted_in_time_and_its_waiting_list_against_targets(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let min = staff(&store, "min", Role::Ministry, "TM").await;
        let min2 = staff(&store, "min2", Role::Ministry, "TM").await;
        let com = staff(&store, "com1", Role::Ministry, "TM").await;
        let analyst = account(&store, "analyst", Role::Ministry, "TM", false, true).await;
        let sup = sensitive_staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = sensitive_staff(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let pa = staff(&store, "pra", Role::Provider, "provider:PR-A").await;
        let pb = staff(&store, "prb", Role::Provider, "provider:PR-B").await;
        provider(&store, &min, "PR-A", ProviderKind::Ngo).await;
        provider(&store, &min, "PR-B", ProviderKind::Ngo).await;
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let this_month = today.with_day(1).unwrap();
        let last_month = this_month.checked_sub_months(Months::new(1)).unwrap();
        let c = contract(&store, &min, &min2, &com, &pa, last_month).await;
        let offer = store.offers_for(&aman, &"S05".parse().unwrap(), &"TM-A-01".parse().unwrap()).await.unwrap()[0].id;

        // Last month, sent on the 2nd at 09:00 in Ashgabat: six accepted (four 12 hours on, in
        // time under any rule; one 20 and one 30 days on, late), one declined, one waiting.
        let sent: DateTime<Utc> = Utc
            .with_ymd_and_hms(last_month.year(), last_month.month(), 2, 4, 0, 0)
            .unwrap();
        let start_on = last_month + Duration::days(4);
        let after = [12, 12, 12, 12, 20 * 24, 30 * 24];
        let mut served = Vec::new();
        for (i, hours) in after.iter().enumerate() {
            let (id, v) = referred(&store, &sup, &aman, &format!("Çaga{i}"), offer).await;
            let a = store.provider_act(&pa, id, pact(ProviderActionKind::Accept, v, None)).await.unwrap();
            if i < 2 {
                // Two of them started and delivered 10 units each last month.
                store.provider_act(&pa, id, pact(ProviderActionKind::Start, a.version, Some(start_on))).await.unwrap();
                store.record_delivery(&pa, id, Delivery { units: 10, delivered_on: Some(start_on) }).await.unwrap();
                served.push(id);
            }
            store.testing_move_referral_times(id, sent, Some(sent + Duration::hours(*hours))).await.unwrap();
        }
        let (declined, v) = referred(&store, &sup, &aman, "Gyz", offer).await;
        store
            .provider_act(&pa, declined, ProviderAction { reason: Some("no_capacity".parse().unwrap()), ..pact(ProviderActionKind::Decline, v, None) })
            .await
            .unwrap();
        store.testing_move_referral_times(declined, sent, Some(sent + Duration::hours(12))).await.unwrap();
        let (waiting, v) = referred(&store, &sup, &aman, "Oglan", offer).await;
        store.provider_act(&pa, waiting, pact(ProviderActionKind::Wait, v, None)).await.unwrap();
        store.testing_move_referral_times(waiting, sent, Some(sent + Duration::hours(1))).await.unwrap();
        // This month: one accepted at once, started and delivered 3 units today (and the first
        // served child 5 more); one not answered yet.
        let (now_one, v) = referred(&store, &sup, &aman, "Täze", offer).await;
        let a = store.provider_act(&pa, now_one, pact(ProviderActionKind::Accept, v, None)).await.unwrap();
        store.provider_act(&pa, now_one, pact(ProviderActionKind::Start, a.version, None)).await.unwrap();
        store.record_delivery(&pa, now_one, Delivery { units: 3, delivered_on: None }).await.unwrap();
        store.record_delivery(&pa, served[0], Delivery { units: 5, delivered_on: None }).await.unwrap();
        let _ = referred(&store, &sup, &aman, "Soňky", offer).await;

        // The reader with the grant sees every figure.
        let read = store.contract(&analyst, c.id).await.unwrap();
        let p = read.performance.expect("one contract read carries its performance");
        let whole = &p.timeliness;
        assert_eq!(whole.referrals, Some(10), "{b}: {whole:?}");
        assert_eq!((whole.accepted, whole.declined, whole.waiting, whole.unanswered), (Some(7), Some(1), Some(1), Some(1)), "{b}");
        // In time: the four at 12 hours and today's; the divisor leaves out only today's
        // unanswered one (its deadline is ahead): 5 of 9.
        assert_eq!((whole.accepted_in_time, whole.due), (Some(5), Some(9)), "{b}");
        assert_eq!(whole.share_in_time, Some(0.556));
        // Days to acceptance: 0.0 (today's), 0.5 × 4, 20, 30: median 0.5, 90th percentile (the
        // 7th of 7 by nearest rank) 30.
        assert_eq!((whole.median_days, whole.p90_days), (Some(0.5), Some(30.0)), "{b}");
        let oldest = days(Utc::now() - sent);
        assert!((whole.oldest_waiting_days.unwrap() - oldest).abs() <= 0.1, "{b}: {whole:?} against {oldest}");
        assert!(!whole.suppressed);
        // Month by month: last month and this one.
        let months: Vec<NaiveDate> = p.months.iter().map(|m| m.month).collect();
        assert_eq!(months, [last_month, this_month], "{b}");
        let (last, now) = (&p.months[0], &p.months[1]);
        assert_eq!(last.timeliness.referrals, Some(8));
        assert_eq!((last.timeliness.accepted_in_time, last.timeliness.due), (Some(4), Some(8)), "{b}");
        assert_eq!((last.timeliness.median_days, last.timeliness.p90_days), (Some(0.5), Some(30.0)));
        assert_eq!(now.timeliness.referrals, Some(2));
        assert_eq!((last.units, last.units_to_date, last.units_of_target), (20, 20, Some(0.2)), "{b}");
        assert_eq!((now.units, now.units_to_date, now.units_of_target), (8, 28, Some(0.28)), "{b}");
        assert_eq!((last.people_new, last.people_to_date, last.people_of_target), (Some(2), Some(2), Some(0.2)), "{b}");
        assert_eq!((now.people_new, now.people_to_date, now.people_of_target), (Some(1), Some(3), Some(0.3)), "{b}");
        assert_eq!(now.goals_achieved_to_date, Some(0));

        // A keeper without the grant: counts of 1 to 4 hidden, with what is computed from them.
        let plain = store.contract(&min, c.id).await.unwrap().performance.unwrap();
        let whole = &plain.timeliness;
        assert_eq!((whole.referrals, whole.accepted, whole.due, whole.accepted_in_time), (Some(10), Some(7), Some(9), Some(5)), "{b}");
        assert_eq!((whole.declined, whole.waiting, whole.oldest_waiting_days, whole.unanswered), (None, None, None, None), "{b}");
        assert!(whole.suppressed);
        let last = &plain.months[0];
        assert_eq!((last.timeliness.accepted_in_time, last.timeliness.share_in_time), (None, None), "{b}: 4 in time is hidden");
        assert_eq!((last.people_new, last.people_to_date, last.people_of_target), (None, None, None));
        assert_eq!(last.units_to_date, 20, "units are not people: shown");
        // The provider reads its own contract's figures (suppressed as a report); another
        // provider does not find the contract; lists carry no performance.
        assert_eq!(store.contract(&pa, c.id).await.unwrap().performance.unwrap().timeliness.referrals, Some(10));
        assert!(matches!(store.contract(&pb, c.id).await, Err(StoreError::NotFound)), "{b}");
        assert!(store.list_contracts(&min).await.unwrap().iter().all(|c| c.performance.is_none()));

        // The comparison by way of delivery carries the same timeliness for the contracted way.
        let s05 = "S05".parse().unwrap();
        let cmp = store.delivery_comparison(&analyst, &s05, last_month, today).await.unwrap();
        let row = cmp.rows.iter().find(|r| r.way == DeliveryWay::NgoContracted).unwrap();
        assert_eq!(row.timeliness.referrals, Some(10), "{b}: {row:?}");
        assert_eq!((row.timeliness.accepted_in_time, row.timeliness.due, row.timeliness.median_days), (Some(5), Some(9), Some(0.5)));
        let state = cmp.rows.iter().find(|r| r.way == DeliveryWay::State).unwrap();
        assert_eq!(state.timeliness.referrals, Some(0), "{b}");
        // From this month on, only this month's two (hidden without the grant).
        let cmp = store.delivery_comparison(&min, &s05, this_month, today).await.unwrap();
        let row = cmp.rows.iter().find(|r| r.way == DeliveryWay::NgoContracted).unwrap();
        assert_eq!((row.timeliness.referrals, row.timeliness.suppressed), (None, true), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn a_withdrawn_bid_is_final(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let min = staff(&store, "min", Role::Ministry, "TM").await;
        let min2 = staff(&store, "min2", Role::Ministry, "TM").await;
        staff(&store, "com1", Role::Ministry, "TM").await;
        let pa = staff(&store, "pra", Role::Provider, "provider:PR-A").await;
        provider(&store, &min, "PR-A", ProviderKind::Ngo).await;
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let t = store.draft_tender(&min, tender(today)).await.unwrap();
        let t = store.tender_act(&min2, t.id, TenderActRequest { action: TenderAction::Approve, version: t.version, reason: None }).await.unwrap();
        let t = store.tender_act(&min, t.id, TenderActRequest { action: TenderAction::Publish, version: t.version, reason: None }).await.unwrap();
        let first = store.prepare_bid(&pa, t.id, bid()).await.unwrap();
        // One bid per organisation: a second draft is refused.
        assert_eq!(key_of(store.prepare_bid(&pa, t.id, bid()).await), "contracting-bid-exists", "{b}");
        let first = store.bid_act(&pa, first.id, BidActRequest { action: BidAction::Submit, version: first.version }).await.unwrap();
        store.bid_act(&pa, first.id, BidActRequest { action: BidAction::Withdraw, version: first.version }).await.unwrap();
        // Withdrawn: no new bid by another door, before the deadline as after; nothing written.
        let mut cheaper = bid();
        cheaper.price_per_unit = 4_000;
        assert_eq!(key_of(store.prepare_bid(&pa, t.id, cheaper).await), "contracting-bid-withdrawn-final", "{b}");
        let bids = store.tender_bids(&pa, t.id).await.unwrap();
        assert_eq!(bids.len(), 1, "{b}: {bids:?}");
        assert_eq!(bids[0].status, goldaw_core::contracting::BidStatus::Withdrawn);
    }
}

goldaw_store::each_backend! {
    async fn residential_care_is_costed_from_what_was_delivered_beside_the_model(db: TestDb) {
        use goldaw_core::planning::costing::CostModel;
        use goldaw_store::referrals::{LegalBasisKind, NewLegalBasis, OfferRequest};
        let store = db.open_with_key().await;
        let b = db.backend;
        let min = staff(&store, "min", Role::Ministry, "TM").await;
        let analyst = account(&store, "analyst", Role::Ministry, "TM", false, true).await;
        let planner_b = staff(&store, "plan-b", Role::Planner, "TM-B").await;
        let sup = sensitive_staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = sensitive_staff(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let home_staff = staff(&store, "home", Role::Provider, "provider:PR-HOME").await;
        let state_staff = staff(&store, "prst", Role::Provider, "provider:PR-ST").await;
        let home = provider(&store, &min, "PR-HOME", ProviderKind::State).await;
        let state = provider(&store, &min, "PR-ST", ProviderKind::State).await;
        let offer = |service: &str, unit: &str| OfferRequest {
            service_code: service.parse().unwrap(),
            admin_unit: unit.parse().unwrap(),
            places: None,
            service_point: None,
            active: true,
            version: None,
        };
        let res_offer = store.set_offer(&min, home, offer("RES_CARE", "TM-A")).await.unwrap().id;
        let day_offer = store.set_offer(&min, state, offer("S05", "TM-A-01")).await.unwrap().id;
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let from = today.with_day(1).unwrap();

        // Two people in residential care (a court order each): 30 and 20 bed-nights this month.
        for (name, nights) in [("Maral", 30), ("Ogulbike", 20)] {
            let person = person_in(&store, &sup, name, "TM-A-01", "").await;
            let case = case_at(&store, &sup, &aman, person, "TM-A-01", CaseStatus::SupportPlan).await;
            store
                .record_legal_basis(&sup, case.id, NewLegalBasis {
                    kind: LegalBasisKind::CourtOrder,
                    reference: format!("No. {nights}/2026"),
                    issued_on: from,
                    issued_by: "Court of the etrap".into(),
                })
                .await
                .unwrap();
            let r = store
                .refer(&aman, case.id, NewServiceReferral { person, service_code: "RES_CARE".parse().unwrap(), provider_service: Some(res_offer), recipient: None, info: None })
                .await
                .unwrap();
            let a = store.provider_act(&home_staff, r.id, pact(ProviderActionKind::Accept, r.version, None)).await.unwrap();
            store.provider_act(&home_staff, r.id, pact(ProviderActionKind::Start, a.version, Some(from))).await.unwrap();
            store.record_delivery(&home_staff, r.id, Delivery { units: nights, delivered_on: Some(from) }).await.unwrap();
        }
        // Day care in the community: three children, 4, 5 and 6 days.
        for (name, days) in [("Aýna", 4), ("Jeren", 5), ("Bahar", 6)] {
            crate::contracting::delivered(&store, &sup, &aman, &state_staff, name, day_offer, days).await;
        }

        // The figures the test computes from the shipped cost model.
        let model = CostModel::shipped().unwrap();
        let round = |c: f64| (c * 100.0).round() / 100.0;
        let night = model.unit_cost("RES_CARE").unwrap();
        let day = model.unit_cost("S05").unwrap();
        let residential_cost = round(50.0 * night);
        let community_cost = round(15.0 * day);
        let s05 = "S05".parse().unwrap();
        let cmp = store.delivery_comparison(&analyst, &s05, from, today).await.unwrap();
        let res = &cmp.residential_delivered;
        assert_eq!((res.units, res.people, res.suppressed), (Some(50), Some(2), false), "{b}: {res:?}");
        assert_eq!(res.cost, Some(residential_cost));
        assert_eq!(res.cost_per_person, Some(round(residential_cost / 2.0)), "{b}");
        assert_eq!(cmp.community_delivered_per_person, Some(round(community_cost / 3.0)), "{b}");
        // Beside the model's per person-year, which is not the delivered figure.
        assert!(cmp.residential_per_person_year.is_some());
        // Without the grant: two people are hidden, and with them the bed-nights and the costs
        // (two women's bed-nights are near enough the length of each one's stay).
        let plain = store.delivery_comparison(&min, &s05, from, today).await.unwrap();
        let res = &plain.residential_delivered;
        assert_eq!((res.units, res.people, res.cost_per_person, res.suppressed), (None, None, None, true), "{b}");
        assert_eq!(res.cost, None, "{b}");
        // The same for each way of delivery: three people hidden, their units and cost with them.
        for row in plain.rows.iter().filter(|r| r.suppressed) {
            assert_eq!((row.units, row.people, row.cost), (None, None, None), "{b}: {row:?}");
        }
        assert!(plain.rows.iter().any(|r| r.suppressed), "{b}: {:?}", plain.rows);
        assert_eq!(plain.community_delivered_per_person, None, "three people are hidden too");
        // Out of the reader's scope: nothing.
        let other = store.delivery_comparison(&planner_b, &s05, from, today).await.unwrap();
        assert_eq!((other.residential_delivered.units, other.residential_delivered.people), (Some(0), Some(0)), "{b}");
        assert_eq!(other.community_delivered_per_person, None);
    }
}
