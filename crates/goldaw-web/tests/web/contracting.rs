//! Social contracting through the JSON API over real HTTP, on every backend (issue #21): the
//! ministry tenders day care for children with disabilities in two etraps, three NGOs bid (one a
//! minute late: refused), a member declares a conflict, the ranking picks the winner, the
//! contract puts the offer in the register, deliveries are reported, corrected, verified and
//! paid (capped at the ceiling), and the comparison shows the contracted cost per person beside
//! the state provider's; with the six refusals. The cases and deliveries are set up through the
//! store (the referral's own API path is `api_referrals.rs`).

use crate::common::api_client_for as client_for;
use chrono::{Datelike, Duration, Utc};
use goldaw_core::codes::{CaseStatus, ReferralSource, Role};
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{ActionRequest, NewReferral};
use goldaw_store::referrals::{Delivery, NewServiceReferral, ProviderAction, ProviderActionKind};
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A store-side account (for the set-up through the store).
pub(crate) async fn principal(store: &Store, name: &str, role: Role, scope: &str) -> Principal {
    let op = Principal::system("test");
    let rec = store
        .add_user(
            &op,
            NewUser {
                username: name.into(),
                role,
                scope: scope.parse().unwrap(),
                sensitive: true,
                unsuppressed: false,
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap();
    Principal::user(rec.id, name, role, scope.parse().unwrap(), true)
}

fn act(action: CaseAction, version: i32) -> ActionRequest {
    ActionRequest {
        action,
        version,
        priority: None,
        reason: None,
        transfer_to: None,
    }
}

/// A child in TM-A-01 with a case at the support plan, referred to `offer`, accepted, started and
/// delivered `units` by `provider`'s staff.
pub(crate) async fn delivered(
    store: &Store,
    sup: &Principal,
    aman: &Principal,
    provider: &Principal,
    offer: &str,
    name: &str,
    units: i32,
) {
    let person = store
        .create_person(sup, None, serde_json::from_value(json!({"given_name": name, "sex": "F", "birth_date": "2021-03-03", "admin_unit": "TM-A-01"})).unwrap())
        .await
        .unwrap()
        .id;
    let case = store
        .register_referral(
            sup,
            NewReferral {
                person,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: ReferralSource::Health,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            },
        )
        .await
        .unwrap();
    let mut case = store
        .allocate_case(sup, case.id, case.version, &aman.actor)
        .await
        .unwrap();
    case = store
        .act_on_case(aman, case.id, act(CaseAction::StartInitial, case.version))
        .await
        .unwrap();
    goldaw_store::testing::assess(store, aman, case.id, "initial")
        .await
        .unwrap();
    case = store
        .act_on_case(
            aman,
            case.id,
            ActionRequest {
                priority: Some(goldaw_core::codes::Priority::Support),
                ..act(CaseAction::CompleteInitial, case.version)
            },
        )
        .await
        .unwrap();
    goldaw_store::testing::assess(store, aman, case.id, "holistic_adult")
        .await
        .unwrap();
    case = store
        .act_on_case(
            aman,
            case.id,
            act(CaseAction::CompleteHolistic, case.version),
        )
        .await
        .unwrap();
    assert_eq!(case.status, CaseStatus::SupportPlan);
    let r = store
        .refer(
            aman,
            case.id,
            NewServiceReferral {
                person,
                service_code: "S05".parse().unwrap(),
                provider_service: Some(offer.parse().unwrap()),
                recipient: None,
                info: None,
            },
        )
        .await
        .unwrap();
    let mut version = r.version;
    for action in [ProviderActionKind::Accept, ProviderActionKind::Start] {
        version = store
            .provider_act(
                provider,
                r.id,
                ProviderAction {
                    action,
                    version,
                    reason: None,
                    note: None,
                    on: None,
                },
            )
            .await
            .unwrap()
            .version;
    }
    store
        .record_delivery(
            provider,
            r.id,
            Delivery {
                units,
                delivered_on: None,
            },
        )
        .await
        .unwrap();
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

goldaw_store::each_backend! {
    async fn a_tender_to_a_paid_contract_through_the_api(db: TestDb) {
        let secrets = goldaw_store::crypto::Secrets::from_key([9u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(secrets)).await.unwrap();
        let b = db.backend;
        let app = crate::common::TestApp::spawn(&store).await;
        let base = app.base.clone();
        let min = client_for(&store, &base, "min", Role::Ministry, "TM").await;
        let min2 = client_for(&store, &base, "min2", Role::Ministry, "TM").await;
        let c1 = client_for(&store, &base, "com1", Role::Ministry, "TM").await;
        let c2 = client_for(&store, &base, "com2", Role::Planner, "TM").await;
        let pa = client_for(&store, &base, "pra", Role::Provider, "provider:PR-A").await;
        let pb = client_for(&store, &base, "prb", Role::Provider, "provider:PR-B").await;
        let pc = client_for(&store, &base, "prc", Role::Provider, "provider:PR-C").await;
        let sup = principal(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = principal(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let pa_store = principal(&store, "pa-staff", Role::Provider, "provider:PR-A").await;
        let pst_store = principal(&store, "pst-staff", Role::Provider, "provider:PR-ST").await;
        for (ext, kind) in [("PR-A", "ngo"), ("PR-B", "ngo"), ("PR-C", "ngo"), ("PR-ST", "state")] {
            let (s, p) = min.send("POST", "/providers", Some(json!({"external_id": ext, "name": ext, "kind": kind}))).await;
            assert_eq!(s, StatusCode::CREATED, "{p}");
        }

        // The tender, approved by another keeper, published.
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let month = today.with_day(1).unwrap();
        let (s, t) = min.send("POST", "/tenders", Some(json!({
            "title": "Day care for children with disabilities", "service_code": "S05",
            "admin_units": ["TM-A-01", "TM-A-02"], "period_from": month, "period_to": month + Duration::days(360),
            "people": 20, "units": 2000, "max_budget": 10_000_000, "specification": "Daily habilitation",
            "weights": {"price": 40, "method": 20, "staff": 15, "experience": 15, "rural_reach": 10},
            "bid_deadline": (Utc::now() + Duration::hours(1)).to_rfc3339(), "committee": ["com1", "com2"]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{b} {t}");
        let tid = id(&t);
        let (s, _) = pa.send("GET", &format!("/tenders/{tid}"), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "a draft is not the providers'");
        let (s, t) = min2.send("POST", &format!("/tenders/{tid}/actions"), Some(json!({"action": "approve", "version": t["version"]}))).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        let (s, t) = min.send("POST", &format!("/tenders/{tid}/actions"), Some(json!({"action": "publish", "version": t["version"]}))).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        assert_eq!(t["status"], "published");

        // Three bids: A and B submitted, C prepared and a minute late.
        let bid = |price: i64| json!({"price_per_unit": price, "units": 2000, "people": 20, "places": 10, "staff": "Two special educators", "method": "Portage"});
        let mut bids = Vec::new();
        for (who, price) in [(&pa, 5_000), (&pb, 4_000)] {
            let (s, d) = who.send("POST", &format!("/tenders/{tid}/bids"), Some(bid(price))).await;
            assert_eq!(s, StatusCode::CREATED, "{d}");
            let (s, d) = who.send("POST", &format!("/bids/{}/actions", id(&d)), Some(json!({"action": "submit", "version": d["version"]}))).await;
            assert_eq!(s, StatusCode::OK, "{d}");
            bids.push(d);
        }
        let (bid_a, bid_b) = (id(&bids[0]), id(&bids[1]));
        let (_, late) = pc.send("POST", &format!("/tenders/{tid}/bids"), Some(bid(3_000))).await;
        // Refused: a changed bid after submission.
        let mut changed = bid(3_900);
        changed["version"] = bids[1]["version"].clone();
        let (s, e) = pb.send("PUT", &format!("/bids/{bid_b}"), Some(changed)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("sealed"), "{e}");
        // Refused: a provider reading another provider's bid before the award.
        let (s, _) = pb.send("GET", &format!("/bids/{bid_a}"), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
        // Refused: a bid after the deadline.
        store.testing_move_bid_deadline(tid.parse().unwrap(), Utc::now() - Duration::minutes(1)).await.unwrap();
        let (s, e) = pc.send("POST", &format!("/bids/{}/actions", id(&late)), Some(json!({"action": "submit", "version": late["version"]}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("deadline"), "{e}");

        // The committee: c2 declares a conflict with B's bid; refused: scoring it.
        let scores = |n: i32| json!({"scores": [{"criterion": "method", "score": n}, {"criterion": "staff", "score": n}, {"criterion": "experience", "score": n}, {"criterion": "rural_reach", "score": n}]});
        let (s, _) = c2.send("POST", &format!("/bids/{bid_b}/conflicts"), Some(json!({"statement": "Related to PR-B's director"}))).await;
        assert_eq!(s, StatusCode::OK);
        let (s, e) = c2.send("POST", &format!("/bids/{bid_b}/scores"), Some(scores(10))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        for (who, bid, n) in [(&c1, &bid_a, 9), (&c1, &bid_b, 5), (&c2, &bid_a, 8)] {
            let (s, e) = who.send("POST", &format!("/bids/{bid}/scores"), Some(scores(n))).await;
            assert_eq!(s, StatusCode::OK, "{e}");
        }
        let (s, ranking) = c1.send("GET", &format!("/tenders/{tid}/ranking"), None).await;
        assert_eq!(s, StatusCode::OK, "{ranking}");
        assert_eq!(ranking[0]["provider_external_id"], "PR-A", "{ranking}");
        assert_eq!(ranking[0]["total"], 83.0);
        let (_, t) = min.send("GET", &format!("/tenders/{tid}"), None).await;
        let (s, t) = min.send("POST", &format!("/tenders/{tid}/award"), Some(json!({"version": t["version"], "reason": "Best weighted score"}))).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        assert_eq!(t["awarded_bid"], bid_a.as_str());
        let (s, seen) = pb.send("GET", &format!("/tenders/{tid}/ranking"), None).await;
        assert_eq!(s, StatusCode::OK, "the bidders see the outcome after the award: {seen}");

        // The contract; the offer appears in the register.
        let (s, c) = min.send("POST", &format!("/tenders/{tid}/contract"), Some(json!({"ceiling": 25_000, "target_people": 20, "target_units": 2000, "payment_schedule": "monthly"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let cid = id(&c);
        let (s, offers) = min.send("GET", "/offers?service=S05&admin_unit=TM-A-02", None).await;
        assert_eq!(s, StatusCode::OK, "{offers}");
        assert_eq!(offers[0]["provider_external_id"], "PR-A", "{offers}");
        let (_, offers) = min.send("GET", "/offers?service=S05&admin_unit=TM-A-01", None).await;
        let offer = id(&offers[0]);

        // Referrals accepted and delivered (3 and 2 days).
        delivered(&store, &sup, &aman, &pa_store, &offer, "Aýgül", 3).await;
        delivered(&store, &sup, &aman, &pa_store, &offer, "Merjen", 2).await;

        // The month's report: drafted, corrected by the provider, verified, paid.
        let (s, r) = pa.send("POST", &format!("/contracts/{cid}/reports"), Some(json!({"month": month.format("%Y-%m").to_string()}))).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!((r["drafted_units"].clone(), r["drafted_people"].clone()), (json!(5), json!(2)), "{b}");
        let rid = id(&r);
        // Refused: verifying one's own organisation's report.
        let (s, _) = pa.send("POST", &format!("/reports/{rid}/verify"), Some(json!({"version": r["version"]}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, r) = pa.send("POST", &format!("/reports/{rid}/confirm"), Some(json!({"version": r["version"], "units": 6, "reason": "One day not yet recorded"}))).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let (s, r) = min.send("POST", &format!("/reports/{rid}/verify"), Some(json!({"version": r["version"], "note": "Sampled two deliveries"}))).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["amount_due"], 25_000, "6 × 5000 = 30000, capped at the ceiling");
        // Refused: a payment over the ceiling.
        let (s, e) = min.send("POST", &format!("/reports/{rid}/payments"), Some(json!({"amount": 25_001}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let (s, r) = min.send("POST", &format!("/reports/{rid}/payments"), Some(json!({"amount": 25_000}))).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(r["paid"], 25_000);

        // The comparison: the state provider's cost per person beside the contracted one.
        let (_, state) = min.send("GET", "/providers", None).await;
        let st = state.as_array().unwrap().iter().find(|p| p["external_id"] == "PR-ST").unwrap().clone();
        let (s, so) = min.send("PUT", &format!("/providers/{}/offers", id(&st)), Some(json!({"service_code": "S05", "admin_unit": "TM-A-01"}))).await;
        assert_eq!(s, StatusCode::OK, "{so}");
        delivered(&store, &sup, &aman, &pst_store, &id(&so), "Ogulgerek", 4).await;
        let analyst = client_for(&store, &base, "analyst", Role::Ministry, "TM").await;
        let (s, cmp) = analyst.send("GET", &format!("/contracting/comparison?service=S05&from={month}&to={today}"), None).await;
        assert_eq!(s, StatusCode::OK, "{cmp}");
        let row = |way: &str| cmp["rows"].as_array().unwrap().iter().find(|r| r["way"] == way).unwrap().clone();
        // Two people and one: hidden, and what they received with them (units, cost); the price
        // of a unit stays.
        for way in ["ngo_contracted", "state"] {
            assert_eq!(row(way)["suppressed"], true, "{cmp}");
            assert!(row(way)["units"].is_null() && row(way)["cost"].is_null() && row(way)["people"].is_null(), "{cmp}");
        }
        assert!(row("ngo_contracted")["cost_per_unit"].as_f64().unwrap() == 50.0, "{cmp}");
        assert!(row("state")["cost_per_unit"].as_f64().is_some(), "{cmp}");

        // The page: the velayat's ministry sees the comparison of its area, not the nation's
        // tender (its authority is the nation's ministry).
        app.account("velmin", Role::Ministry, "TM-A", "correct horse battery").await;
        let session = app.sign_in("velmin", "correct horse battery").await;
        let (s, page) = app.page(&session, &format!("/contracting?service=S05&from={month}&to={today}")).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(!page.contains("Day care for children with disabilities"), "{b} {page}");
        assert!(page.contains("id=\"comparison\""), "{page}");
        // Providers see the page without the comparison; a social worker may not.
        let (s, page) = app.page(&app.sign_in("pra", "correct horse battery").await, "/contracting").await;
        assert_eq!(s, StatusCode::OK);
        assert!(!page.contains("id=\"comparison\""), "{page}");
        assert!(page.contains("Day care for children with disabilities"), "{page}");
        assert!(page.contains("id=\"contracts\"") && page.contains("250.00"), "the provider's own contract, paid: {page}");
    }
}
