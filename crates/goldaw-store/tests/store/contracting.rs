//! Social contracting on every backend (issue #21): the ministry tenders day care for children
//! with disabilities in two etraps; three NGOs bid (one a minute late: refused); a committee
//! member declares a conflict with one bid; the weighted ranking picks the winner; the contract
//! puts the offer in the register; referrals are accepted and delivered; the month's report is
//! drafted from the deliveries, corrected by the provider, verified, and the payment is the
//! verified units × the price capped at the ceiling; the comparison shows the contracted cost per
//! person beside the state provider's. With the six refusals the issue lists.

use crate::helpers::{account, case_at, person_in, staff};
use chrono::{Datelike, Duration, Utc};
use goldaw_core::codes::{CaseStatus, Role};
use goldaw_core::contracting::{
    BidAction, BidStatus, ContractAction, ContractStatus, Criterion, DeliveryWay, ReportStatus,
    TenderAction, TenderStatus, Weights,
};
use goldaw_store::contracting::{
    AwardRequest, BidActRequest, BidRequest, ConfirmRequest, ConflictRequest, ContractActRequest,
    NewContract, NewTender, PaymentRequest, ScoreEntry, ScoreRequest, TenderActRequest,
    VerifyRequest,
};
use goldaw_store::referrals::{
    Delivery, NewProvider, NewServiceReferral, OfferRequest, ProviderAction, ProviderActionKind,
    ProviderKind,
};
use goldaw_store::{Principal, Store, StoreError};
use uuid::Uuid;

/// The key of a refusal, or a description of what came instead.
fn key_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid { say: Some(say), .. }) => say.key.to_owned(),
        other => format!("not a keyed refusal: {other:?}"),
    }
}

pub(crate) async fn provider(store: &Store, by: &Principal, ext: &str, kind: ProviderKind) -> Uuid {
    store
        .create_provider(
            by,
            NewProvider {
                external_id: ext.into(),
                name: format!("{ext} organisation"),
                kind,
                admin_unit: Some("TM-A-01".parse().unwrap()),
            },
        )
        .await
        .unwrap()
        .id
}

fn bid(price: i64) -> BidRequest {
    BidRequest {
        price_per_unit: price,
        units: 2000,
        people: 20,
        places: Some(10),
        staff: "Two special educators, a physiotherapist".into(),
        method: "Portage; individual development plans".into(),
        documents: Some("Licence, staff CVs".into()),
        version: None,
    }
}

fn scores(score: i32) -> ScoreRequest {
    ScoreRequest {
        scores: [
            Criterion::Method,
            Criterion::Staff,
            Criterion::Experience,
            Criterion::RuralReach,
        ]
        .into_iter()
        .map(|criterion| ScoreEntry { criterion, score })
        .collect(),
    }
}

fn pact(action: ProviderActionKind, version: i32) -> ProviderAction {
    ProviderAction {
        action,
        version,
        reason: None,
        note: None,
        on: None,
    }
}

/// A person of a case at the support plan in TM-A-01 referred to `offer`, accepted, started and
/// delivered `units` by `staff_of_provider`.
pub(crate) async fn delivered(
    store: &Store,
    sup: &Principal,
    worker: &Principal,
    staff_of_provider: &Principal,
    name: &str,
    offer: Uuid,
    units: i32,
) {
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
    let a = store
        .provider_act(
            staff_of_provider,
            r.id,
            pact(ProviderActionKind::Accept, r.version),
        )
        .await
        .unwrap();
    let s = store
        .provider_act(
            staff_of_provider,
            r.id,
            pact(ProviderActionKind::Start, a.version),
        )
        .await
        .unwrap();
    store
        .record_delivery(
            staff_of_provider,
            r.id,
            Delivery {
                units,
                delivered_on: None,
            },
        )
        .await
        .unwrap();
    let _ = s;
}

goldaw_store::each_backend! {
    async fn a_tender_goes_from_the_draft_to_a_paid_contract_and_the_comparison(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let min = staff(&store, "min", Role::Ministry, "TM").await;
        let min2 = staff(&store, "min2", Role::Ministry, "TM").await;
        let c1 = staff(&store, "com1", Role::Ministry, "TM").await;
        let c2 = staff(&store, "com2", Role::Planner, "TM").await;
        let analyst = account(&store, "analyst", Role::Ministry, "TM", false, true).await;
        let sup = crate::helpers::sensitive_staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = crate::helpers::sensitive_staff(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let pa = staff(&store, "pra", Role::Provider, "provider:PR-A").await;
        let pb = staff(&store, "prb", Role::Provider, "provider:PR-B").await;
        let pc = staff(&store, "prc", Role::Provider, "provider:PR-C").await;
        let pst = staff(&store, "prst", Role::Provider, "provider:PR-ST").await;
        provider(&store, &min, "PR-A", ProviderKind::Ngo).await;
        provider(&store, &min, "PR-B", ProviderKind::Ngo).await;
        provider(&store, &min, "PR-C", ProviderKind::Ngo).await;
        let state = provider(&store, &min, "PR-ST", ProviderKind::State).await;

        // 1. The tender: drafted, approved by another keeper, published.
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let month = today.with_day(1).unwrap();
        let new = || NewTender {
            title: "Day care for children with disabilities".into(),
            service_code: "S05".parse().unwrap(),
            admin_units: vec!["TM-A-01".parse().unwrap(), "TM-A-02".parse().unwrap()],
            period_from: month,
            period_to: month + Duration::days(360),
            people: 20,
            units: 2000,
            max_budget: 10_000_000,
            specification: "Daily habilitation for children aged 3 to 7".into(),
            documents: Some("Licence; staff list".into()),
            weights: Weights { price: 40, method: 20, staff: 15, experience: 15, rural_reach: 10 },
            bid_deadline: Utc::now() + Duration::hours(1),
            committee: vec!["com1".into(), "com2".into()],
        };
        // A social worker may not tender; weights not adding up to 100 are refused.
        assert!(matches!(store.draft_tender(&aman, new()).await, Err(StoreError::Forbidden(_))), "{b}");
        let mut bad = new();
        bad.weights.price = 50;
        assert_eq!(key_of(store.draft_tender(&min, bad).await), "contracting-weights-not-100", "{b}");
        let mut outsider = new();
        outsider.committee = vec!["pra".into()];
        assert_eq!(key_of(store.draft_tender(&min, outsider).await), "contracting-committee-member-unknown");
        let tender = store.draft_tender(&min, new()).await.unwrap();
        assert_eq!(tender.status, TenderStatus::Draft);
        // A draft is not seen by providers.
        assert!(matches!(store.tender(&pa, tender.id).await, Err(StoreError::NotFound)), "{b}");
        assert_eq!(
            key_of(store.tender_act(&min, tender.id, TenderActRequest { action: TenderAction::Approve, version: tender.version, reason: None }).await),
            "contracting-approve-own-draft"
        );
        let tender = store
            .tender_act(&min2, tender.id, TenderActRequest { action: TenderAction::Approve, version: tender.version, reason: None })
            .await
            .unwrap();
        let tender = store
            .tender_act(&min, tender.id, TenderActRequest { action: TenderAction::Publish, version: tender.version, reason: None })
            .await
            .unwrap();
        assert_eq!(tender.status, TenderStatus::Published, "{b}");
        assert_eq!(store.tender(&pa, tender.id).await.unwrap().status, TenderStatus::Published);
        assert_eq!(store.list_tenders(&pc).await.unwrap().len(), 1);

        // 2. Bids: two submitted, one prepared too late.
        let bid_a = store.prepare_bid(&pa, tender.id, bid(5_000)).await.unwrap();
        let bid_a = store.bid_act(&pa, bid_a.id, BidActRequest { action: BidAction::Submit, version: bid_a.version }).await.unwrap();
        assert_eq!(bid_a.status, BidStatus::Submitted);
        let bid_b = store.prepare_bid(&pb, tender.id, bid(4_000)).await.unwrap();
        let bid_b = store.bid_act(&pb, bid_b.id, BidActRequest { action: BidAction::Submit, version: bid_b.version }).await.unwrap();
        let bid_c = store.prepare_bid(&pc, tender.id, bid(3_000)).await.unwrap();
        // Refusal: a changed bid after submission (sealed); nothing changed.
        let mut change = bid(3_900);
        change.version = Some(bid_b.version);
        assert_eq!(key_of(store.change_bid(&pb, bid_b.id, change).await), "contracting-bid-sealed", "{b}");
        assert_eq!(store.bid(&pb, bid_b.id).await.unwrap().price_per_unit, Some(4_000));
        // Refusal: a provider reading another provider's bid before the award: as if none.
        assert!(matches!(store.bid(&pb, bid_a.id).await, Err(StoreError::NotFound)), "{b}");
        assert!(store.tender_bids(&pb, tender.id).await.unwrap().iter().all(|x| x.own));
        // The keepers see that bids exist, sealed.
        let sealed = store.bid(&min, bid_a.id).await.unwrap();
        assert!(sealed.sealed && sealed.price_per_unit.is_none(), "{b}");
        // The committee does not score before the deadline.
        assert_eq!(key_of(store.score_bid(&c1, bid_a.id, scores(9)).await), "contracting-before-deadline");

        // Refusal: a bid after the deadline (a minute late).
        store.testing_move_bid_deadline(tender.id, Utc::now() - Duration::minutes(1)).await.unwrap();
        assert_eq!(store.tender(&pa, tender.id).await.unwrap().status, TenderStatus::Closed, "{b}");
        assert_eq!(
            key_of(store.bid_act(&pc, bid_c.id, BidActRequest { action: BidAction::Submit, version: bid_c.version }).await),
            "contracting-deadline-passed",
            "{b}"
        );
        assert_eq!(key_of(store.prepare_bid(&pc, tender.id, bid(3_000)).await), "contracting-deadline-passed");
        assert_eq!(store.bid(&pc, bid_c.id).await.unwrap().status, BidStatus::Draft);
        // Opened: the keepers see the content.
        assert_eq!(store.bid(&min, bid_a.id).await.unwrap().price_per_unit, Some(5_000));

        // 3. Evaluation: c2 declares a conflict with B's bid and may not score it.
        store.declare_conflict(&c2, bid_b.id, ConflictRequest { statement: "My sister chairs PR-B".into() }).await.unwrap();
        assert!(matches!(store.score_bid(&c2, bid_b.id, scores(10)).await, Err(StoreError::Forbidden(_))), "{b}");
        // Not a member: refused; a provider: not even found.
        assert!(matches!(store.score_bid(&min2, bid_a.id, scores(1)).await, Err(StoreError::Forbidden(_))));
        assert!(matches!(store.score_bid(&pa, bid_a.id, scores(10)).await, Err(StoreError::NotFound)));
        // The ranking waits for every score.
        store.score_bid(&c1, bid_a.id, scores(9)).await.unwrap();
        assert_eq!(key_of(store.ranking(&min, tender.id).await), "contracting-ranking-incomplete");
        store.score_bid(&c1, bid_b.id, scores(5)).await.unwrap();
        store.score_bid(&c2, bid_a.id, scores(8)).await.unwrap();
        let ranking = store.ranking(&c1, tender.id).await.unwrap();
        // A: price 4000/5000 × 10 = 8 → 320, method..reach 8.5 × 60 = 510 → 83.
        // B: price 10 → 400, 5 × 60 = 300 → 70 (c2's conflict keeps c2 out).
        assert_eq!(ranking[0].provider_external_id, "PR-A", "{b} {ranking:?}");
        assert_eq!(ranking[0].ranked.total, 83.0);
        assert_eq!(ranking[1].ranked.total, 70.0);
        assert_eq!(ranking[1].conflicts, ["com2"]);
        // Bidders see no ranking before the award.
        assert!(matches!(store.ranking(&pb, tender.id).await, Err(StoreError::NotFound)));
        let tender = store.tender(&min, tender.id).await.unwrap();
        let awarded = store
            .award_tender(&min, tender.id, AwardRequest { version: tender.version, reason: "Best method and rural reach; price within budget".into() })
            .await
            .unwrap();
        assert_eq!(awarded.status, TenderStatus::Awarded);
        assert_eq!(awarded.awarded_bid, Some(bid_a.id));
        // After the award the bidders see the outcome: who bid, at what price, the ranking.
        let seen = store.ranking(&pb, tender.id).await.unwrap();
        assert_eq!(seen[0].provider_external_id, "PR-A");
        assert!(seen[1].conflicts.is_empty(), "the bidders do not see who declared");
        let other = store.bid(&pb, bid_a.id).await.unwrap();
        assert_eq!(other.price_per_unit, Some(5_000));
        assert!(other.method.is_none(), "{b}: the method stays the bidder's");
        // A provider that did not submit sees no other bid.
        assert!(matches!(store.bid(&pc, bid_a.id).await, Err(StoreError::NotFound)));

        // 4. The contract: price 5000 tiyn a day, ceiling 25000; the offer is in the register.
        assert_eq!(
            key_of(store.sign_contract(&min, tender.id, NewContract {
                ceiling: 20_000_000, target_people: 20, target_units: 2000, target_outcomes: None,
                payment_schedule: "monthly".into(), period_from: None, period_to: None, places: None,
            }).await),
            "contracting-ceiling-over-budget"
        );
        let contract = store
            .sign_contract(&min, tender.id, NewContract {
                ceiling: 25_000,
                target_people: 20,
                target_units: 2000,
                target_outcomes: Some("80% of children reach their plan's goals at 6 months".into()),
                payment_schedule: "monthly, on the verified report".into(),
                period_from: None,
                period_to: None,
                places: None,
            })
            .await
            .unwrap();
        assert_eq!(contract.price_per_unit, 5_000);
        assert_eq!(contract.versions.len(), 1);
        let offers = store.offers_for(&aman, &"S05".parse().unwrap(), &"TM-A-01".parse().unwrap()).await.unwrap();
        assert_eq!(offers.len(), 1, "{b}");
        assert_eq!(offers[0].provider_external_id, "PR-A");
        assert_eq!(offers[0].places, Some(10));
        assert_eq!(store.offers_for(&aman, &"S05".parse().unwrap(), &"TM-A-02".parse().unwrap()).await.unwrap().len(), 1);
        // Other providers do not see the contract.
        assert!(matches!(store.contract(&pb, contract.id).await, Err(StoreError::NotFound)));
        // Amended: a new version of the terms.
        let contract = store
            .contract_act(&min, contract.id, ContractActRequest {
                action: ContractAction::Amend,
                version: contract.version,
                reason: Some("Places raised after the first month".into()),
                terms: Some(goldaw_store::contracting::ContractTerms {
                    price_per_unit: 5_000, ceiling: 25_000, target_people: 20, target_units: 2000,
                    target_outcomes: contract.target_outcomes.clone(), payment_schedule: contract.payment_schedule.clone(),
                    period_from: contract.period_from, period_to: contract.period_to, places: Some(12),
                }),
            })
            .await
            .unwrap();
        assert_eq!(contract.amendment, 2);
        assert_eq!(contract.versions.len(), 2, "{b}");
        assert_eq!(store.offers_for(&aman, &"S05".parse().unwrap(), &"TM-A-01".parse().unwrap()).await.unwrap()[0].places, Some(12));

        // Referrals accepted and delivered: 3 days and 2 days, two children.
        let offer = offers[0].id;
        delivered(&store, &sup, &aman, &pa, "Aýgül", offer, 3).await;
        delivered(&store, &sup, &aman, &pa, "Merjen", offer, 2).await;

        // 5. The month's report, drafted from the deliveries.
        let ym = month.format("%Y-%m").to_string();
        let report = store.draft_report(&pa, contract.id, &ym).await.unwrap();
        assert_eq!((report.drafted_units, report.drafted_people), (5, 2), "{b}");
        // Refusal: verifying one's own organisation's report.
        assert!(matches!(
            store.verify_report(&pa, report.id, VerifyRequest { version: report.version, units: None, note: None }).await,
            Err(StoreError::Forbidden(_))
        ), "{b}");
        // Not confirmed yet: not verified.
        assert_eq!(
            key_of(store.verify_report(&min, report.id, VerifyRequest { version: report.version, units: None, note: None }).await),
            "contracting-report-out-of-order"
        );
        // A correction needs its reason.
        assert_eq!(
            key_of(store.confirm_report(&pa, report.id, ConfirmRequest { version: report.version, units: Some(6), people: None, reason: None }).await),
            "contracting-reason-required"
        );
        let report = store
            .confirm_report(&pa, report.id, ConfirmRequest { version: report.version, units: Some(6), people: None, reason: Some("One day on paper, not yet recorded".into()) })
            .await
            .unwrap();
        assert_eq!(report.status, ReportStatus::Confirmed);
        let report = store
            .verify_report(&min, report.id, VerifyRequest { version: report.version, units: None, note: Some("Sampled 2 deliveries".into()) })
            .await
            .unwrap();
        // 6 × 5000 = 30000, capped at the ceiling: 25000.
        assert_eq!(report.amount_due, Some(25_000), "{b}");
        // Refusal: a payment over the ceiling; nothing recorded.
        assert_eq!(
            key_of(store.record_payment(&min, report.id, PaymentRequest { amount: 25_001, paid_on: None }).await),
            "contracting-payment-over-ceiling"
        );
        assert!(matches!(store.record_payment(&pa, report.id, PaymentRequest { amount: 1, paid_on: None }).await, Err(StoreError::Forbidden(_))));
        let report = store.record_payment(&min, report.id, PaymentRequest { amount: 25_000, paid_on: None }).await.unwrap();
        assert_eq!(report.paid, 25_000);
        assert_eq!(
            key_of(store.record_payment(&min, report.id, PaymentRequest { amount: 1, paid_on: None }).await),
            "contracting-payment-over-ceiling"
        );
        let contract = store.contract(&pa, contract.id).await.unwrap();
        assert_eq!((contract.delivered_units, contract.people_served, contract.paid_total), (5, 2, 25_000), "{b}");

        // 6. The comparison: the state provider delivers too.
        let state_offer = store
            .set_offer(&min, state, OfferRequest {
                service_code: "S05".parse().unwrap(),
                admin_unit: "TM-A-01".parse().unwrap(),
                places: None,
                service_point: None,
                active: true,
                version: None,
            })
            .await
            .unwrap();
        delivered(&store, &sup, &aman, &pst, "Ogulgerek", state_offer.id, 4).await;
        let cmp = store.delivery_comparison(&analyst, &"S05".parse().unwrap(), month, today).await.unwrap();
        let row = |w: DeliveryWay| cmp.rows.iter().find(|r| r.way == w).unwrap().clone();
        let contracted = row(DeliveryWay::NgoContracted);
        assert_eq!((contracted.units, contracted.people), (Some(5), Some(2)), "{b}");
        assert_eq!(contracted.cost_per_person, Some(125.0));
        let st = row(DeliveryWay::State);
        assert_eq!((st.units, st.people), (Some(4), Some(1)));
        let model = cmp.model_unit_cost.unwrap();
        assert!((st.cost_per_person.unwrap() - 4.0 * model).abs() < 0.05, "{st:?} {model}");
        // Without the grant, the small counts are suppressed.
        let plain = store.delivery_comparison(&min, &"S05".parse().unwrap(), month, today).await.unwrap();
        assert!(plain.rows.iter().all(|r| r.people.is_none() || r.people == Some(0)), "{b}");
        // And with them what they received: units and cost (one person's units are hers).
        assert!(plain.rows.iter().all(|r| r.people.is_some() || (r.units.is_none() && r.cost.is_none())), "{b}: {:?}", plain.rows);
        assert!(matches!(store.delivery_comparison(&pa, &"S05".parse().unwrap(), month, today).await, Err(StoreError::Forbidden(_))));

        // Suspended: the offer leaves the register; ended with a reason.
        let contract = store.contract(&min, contract.id).await.unwrap();
        let contract = store
            .contract_act(&min, contract.id, ContractActRequest { action: ContractAction::Suspend, version: contract.version, reason: Some("Inspection".into()), terms: None })
            .await
            .unwrap();
        assert_eq!(contract.status, ContractStatus::Suspended);
        assert!(store.offers_for(&aman, &"S05".parse().unwrap(), &"TM-A-02".parse().unwrap()).await.unwrap().is_empty(), "{b}");
        assert_eq!(
            key_of(store.contract_act(&min, contract.id, ContractActRequest { action: ContractAction::End, version: contract.version, reason: None, terms: None }).await),
            "contracting-reason-required"
        );
        let ended = store
            .contract_act(&min, contract.id, ContractActRequest { action: ContractAction::End, version: contract.version, reason: Some("Provider closed the centre".into()), terms: None })
            .await
            .unwrap();
        assert_eq!(ended.status, ContractStatus::Ended);
        assert_eq!(ended.status_reason.as_deref(), Some("Provider closed the centre"));
    }
}

goldaw_store::each_backend! {
    async fn a_tender_is_cancelled_with_a_reason_and_seen_only_in_scope(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let velayat = staff(&store, "velayat", Role::Ministry, "TM-A").await;
        let other = staff(&store, "other", Role::Ministry, "TM-B").await;
        staff(&store, "com1", Role::Ministry, "TM").await;
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let new = NewTender {
            title: "Personal assistants".into(),
            service_code: "S01".parse().unwrap(),
            admin_units: vec!["TM-A-01".parse().unwrap()],
            period_from: today,
            period_to: today + Duration::days(30),
            people: 5,
            units: 100,
            max_budget: 100_000,
            specification: "Spec".into(),
            documents: None,
            weights: Weights { price: 100, method: 0, staff: 0, experience: 0, rural_reach: 0 },
            bid_deadline: Utc::now() + Duration::hours(2),
            committee: vec!["com1".into()],
        };
        let mut outside = new.clone();
        outside.admin_units = vec!["TM-B-01".parse().unwrap()];
        assert_eq!(key_of(store.draft_tender(&velayat, outside).await), "contracting-unit-out-of-scope", "{b}");
        let mut universal = new.clone();
        universal.service_code = "U_EDU".parse().unwrap();
        assert_eq!(key_of(store.draft_tender(&velayat, universal).await), "contracting-service-not-offered");
        let t = store.draft_tender(&velayat, new).await.unwrap();
        // Another velayat's administration: not found.
        assert!(matches!(store.tender(&other, t.id).await, Err(StoreError::NotFound)), "{b}");
        assert_eq!(
            key_of(store.tender_act(&velayat, t.id, TenderActRequest { action: TenderAction::Cancel, version: t.version, reason: Some("  ".into()) }).await),
            "contracting-reason-required"
        );
        // A stale version is a conflict.
        assert!(matches!(
            store.tender_act(&velayat, t.id, TenderActRequest { action: TenderAction::Cancel, version: t.version + 1, reason: Some("x".into()) }).await,
            Err(StoreError::Conflict { .. })
        ));
        let cancelled = store
            .tender_act(&velayat, t.id, TenderActRequest { action: TenderAction::Cancel, version: t.version, reason: Some("Budget moved".into()) })
            .await
            .unwrap();
        assert_eq!(cancelled.status, TenderStatus::Cancelled);
        assert_eq!(cancelled.cancel_reason.as_deref(), Some("Budget moved"));
        assert_eq!(
            key_of(store.tender_act(&velayat, t.id, TenderActRequest { action: TenderAction::Approve, version: cancelled.version, reason: None }).await),
            "contracting-tender-out-of-order"
        );
    }
}
