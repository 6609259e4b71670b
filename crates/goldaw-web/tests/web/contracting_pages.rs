//! Social contracting through the pages (forms with CSRF, over real HTTP, on every backend;
//! issue #21): the ministry drafts, changes, approves and publishes a tender; three NGOs bid
//! (one a minute late: refused); a member declares a conflict; the ranking and the award with
//! reasons; the contract signed (its offer in the register); the month's report drafted,
//! corrected, verified and paid, capped at the ceiling; the contract suspended and resumed.
//! With the refusals on pages: out of sight 404, not permitted 403, a stale version 409, bad
//! input 422 with nothing written. The browser walks the same path in `contracting_browser.rs`.

use crate::common::{api_client_for as client_for, TestApp};
use crate::contracting::{delivered, principal};
use chrono::{Datelike, Duration, Utc};
use goldaw_core::codes::Role;
use goldaw_store::Store;
use reqwest::StatusCode;
use serde_json::json;

pub(crate) const PASSWORD: &str = "Köpetdag 2942 metr";

/// Where a 303 sends the browser.
fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The answer's status is `want` (else the test fails with its page); where it sends next.
pub(crate) async fn sent(
    r: reqwest::Response,
    want: StatusCode,
    what: impl std::fmt::Display,
) -> String {
    let status = r.status();
    let to = location(&r);
    let body = r.text().await.unwrap_or_default();
    assert_eq!(status, want, "{what}: {body}");
    to
}

/// The value of the hidden `version` field of the form posting to `action` on `page`.
pub(crate) fn version_of(page: &str, action: &str) -> String {
    let at = page
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form to {action} on {page}"));
    let rest = &page[at..];
    let v = rest
        .find("name=\"version\" value=\"")
        .unwrap_or_else(|| panic!("no version in the form to {action}"));
    let rest = &rest[v + "name=\"version\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The id after `prefix` in a page or address (the first one).
pub(crate) fn id_after(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[at + prefix.len()..].chars().take(36).collect()
}

/// The accounts and providers of the story; returns the store-side principals the deliveries
/// are recorded with.
pub(crate) async fn world(
    store: &Store,
    app: &TestApp,
) -> (
    goldaw_store::Principal,
    goldaw_store::Principal,
    goldaw_store::Principal,
    goldaw_store::Principal,
) {
    let min = client_for(store, &app.base, "setup-min", Role::Ministry, "TM").await;
    for (ext, kind) in [
        ("PR-A", "ngo"),
        ("PR-B", "ngo"),
        ("PR-C", "ngo"),
        ("PR-ST", "state"),
    ] {
        let (s, p) = min
            .send(
                "POST",
                "/providers",
                Some(json!({"external_id": ext, "name": format!("{ext} centre"), "kind": kind})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
    }
    for (name, role, scope) in [
        ("min", Role::Ministry, "TM"),
        ("min2", Role::Ministry, "TM"),
        ("velmin", Role::Ministry, "TM-A"),
        ("com1", Role::Ministry, "TM"),
        ("com2", Role::Planner, "TM"),
        ("pra", Role::Provider, "provider:PR-A"),
        ("prb", Role::Provider, "provider:PR-B"),
        ("prc", Role::Provider, "provider:PR-C"),
    ] {
        app.account(name, role, scope, PASSWORD).await;
    }
    let sup = principal(store, "sup", Role::Supervisor, "TM-A-01").await;
    let aman = principal(store, "aman", Role::SocialWorker, "TM-A-01").await;
    let pa = principal(store, "pa-staff", Role::Provider, "provider:PR-A").await;
    let pst = principal(store, "pst-staff", Role::Provider, "provider:PR-ST").await;
    (sup, aman, pa, pst)
}

goldaw_store::each_backend! {
    async fn a_tender_to_a_paid_contract_through_the_pages(db: TestDb) {
        let secrets = goldaw_store::crypto::Secrets::from_key([7u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(secrets)).await.unwrap();
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        let (sup, aman, pa_store, pst_store) = world(&store, &app).await;
        let min = app.sign_in("min", PASSWORD).await;
        let min2 = app.sign_in("min2", PASSWORD).await;
        let c1 = app.sign_in("com1", PASSWORD).await;
        let c2 = app.sign_in("com2", PASSWORD).await;
        let pa = app.sign_in("pra", PASSWORD).await;
        let pb = app.sign_in("prb", PASSWORD).await;
        let pc = app.sign_in("prc", PASSWORD).await;
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let month = today.with_day(1).unwrap();
        let deadline = (Utc::now() + Duration::hours(2)).format("%Y-%m-%dT%H:%M").to_string();
        let period_to = (month + Duration::days(360)).to_string();
        let month_s = month.to_string();
        let tender_fields = |budget: &'static str, title: &'static str| -> Vec<(&'static str, String)> {
            vec![
                ("title", title.into()), ("service_code", "S05".into()),
                ("admin_units", "TM-A-01, TM-A-02".into()), ("period_from", month_s.clone()),
                ("period_to", period_to.clone()), ("people", "20".into()), ("units", "2000".into()),
                ("max_budget", budget.into()), ("specification", "Daily habilitation".into()),
                ("documents", "Licence".into()), ("weight_price", "40".into()), ("weight_method", "20".into()),
                ("weight_staff", "15".into()), ("weight_experience", "15".into()),
                ("weight_rural_reach", "10".into()), ("bid_deadline", deadline.clone()),
                ("committee", "com1 com2".into()),
            ]
        };
        let as_refs = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
        let post = |session: String, page: String, action: String, fields: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.submit(&session, &page, &action, &f).await
            }
        };

        // Bad input: an amount that is not one; refused with the field named, nothing written.
        let r = post(min.clone(), "/contracting/tenders/new".into(), "/contracting/tenders".into(), as_refs(&tender_fields("100 000,123", "Day care"))).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(r.text().await.unwrap().contains("max_budget"));
        let (_, overview) = app.page(&min, "/contracting").await;
        assert!(overview.contains("id=\"no-tenders\""), "{b}: nothing written: {overview}");
        // A provider or a planner may not open the tender form.
        assert_eq!(app.page(&pa, "/contracting/tenders/new").await.0, StatusCode::FORBIDDEN);

        // The draft, then changed.
        let r = post(min.clone(), "/contracting/tenders/new".into(), "/contracting/tenders".into(), as_refs(&tender_fields("100000", "Day care"))).await;
        let to = sent(r, StatusCode::SEE_OTHER, b).await;
        let tender_page = to;
        let tid = id_after(&tender_page, "/contracting/tenders/");
        let edit = format!("/contracting/tenders/{tid}/edit");
        let (s, form) = app.page(&min, &edit).await;
        assert_eq!(s, StatusCode::OK);
        let mut fields = tender_fields("100000", "Day care for children with disabilities");
        fields.push(("version", version_of(&form, &edit)));
        let r = post(min.clone(), edit.clone(), edit.clone(), fields).await;
        sent(r, StatusCode::SEE_OTHER, b).await;
        let (_, page) = app.page(&min, &tender_page).await;
        assert!(page.contains("Day care for children with disabilities"), "{page}");
        // Out of sight: a draft for a provider, a tender of the nation for a velayat's keeper.
        assert_eq!(app.page(&pa, &tender_page).await.0, StatusCode::NOT_FOUND, "{b}");
        let vel = app.sign_in("velmin", PASSWORD).await;
        assert_eq!(app.page(&vel, &tender_page).await.0, StatusCode::NOT_FOUND, "{b}");

        // Approved by another keeper (not its drafter); a stale version is 409.
        let act = format!("/contracting/tenders/{tid}/action");
        let v1 = version_of(&page, &act);
        let r = post(min.clone(), tender_page.clone(), act.clone(), vec![("action", "approve".into()), ("version", v1.clone())]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "the drafter does not approve: {b}");
        let r = post(min2.clone(), tender_page.clone(), act.clone(), vec![("action", "approve".into()), ("version", v1.clone())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let r = post(min.clone(), tender_page.clone(), act.clone(), vec![("action", "publish".into()), ("version", v1.clone())]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "a stale version: {b}");
        let (_, page) = app.page(&min, &tender_page).await;
        let r = post(min.clone(), tender_page.clone(), act.clone(), vec![("action", "publish".into()), ("version", version_of(&page, &act))]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, page) = app.page(&pa, &tender_page).await;
        assert!(page.contains("id=\"prepare-bid\""), "published: the providers bid: {page}");

        // Three bids: A and B submitted, C prepared and a minute late.
        let bid_fields = |price: &str| vec![("price_per_unit", price.to_owned()), ("units", "2000".to_owned()), ("people", "20".to_owned()), ("places", "10".to_owned()), ("staff", "Two special educators".to_owned()), ("method", "Portage".to_owned()), ("documents", String::new())];
        let bids = format!("/contracting/tenders/{tid}/bids");
        let mut bid_ids = Vec::new();
        for (who, price) in [(&pa, "50"), (&pb, "40"), (&pc, "30")] {
            let r = post(who.clone(), tender_page.clone(), bids.clone(), bid_fields(price)).await;
            sent(r, StatusCode::SEE_OTHER, b).await;
            let (_, page) = app.page(who, &tender_page).await;
            let bid = id_after(&page, "action=\"/contracting/bids/");
            if price != "30" {
                let action = format!("/contracting/bids/{bid}/action");
                let r = post(who.clone(), tender_page.clone(), action.clone(), vec![("action", "submit".into()), ("version", version_of(&page, &action))]).await;
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
            }
            bid_ids.push(bid);
        }
        let (bid_a, bid_b, bid_c) = (bid_ids[0].clone(), bid_ids[1].clone(), bid_ids[2].clone());
        // Refused: a changed bid after submission (sealed).
        let mut changed = bid_fields("39");
        changed.push(("version", "2".into()));
        let r = post(pb.clone(), tender_page.clone(), format!("/contracting/bids/{bid_b}"), changed).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        // Another provider's bid before the award is out of sight: its forms find nothing.
        let r = post(pb.clone(), tender_page.clone(), format!("/contracting/bids/{bid_a}/action"), vec![("action", "withdraw".into()), ("version", "2".into())]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{b}");
        let (_, page) = app.page(&pb, &tender_page).await;
        assert!(!page.contains("PR-A centre"), "B does not see A's bid before the award: {page}");
        // Refused: a bid after the deadline.
        let (_, page_c) = app.page(&pc, &tender_page).await;
        store.testing_move_bid_deadline(tid.parse().unwrap(), Utc::now() - Duration::minutes(1)).await.unwrap();
        let action = format!("/contracting/bids/{bid_c}/action");
        let r = post(pc.clone(), tender_page.clone(), action.clone(), vec![("action", "submit".into()), ("version", version_of(&page_c, &action))]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        // The pages speak Turkmen unless asked otherwise: "the deadline for bids has passed".
        assert!(r.text().await.unwrap().contains("Arzalaryň möhleti geçdi"), "{b}");

        // The committee: com2 declares a conflict with B's bid; refused (403): scoring it.
        let (_, page) = app.page(&c2, &tender_page).await;
        assert!(page.contains("class=\"inline score-form\""), "{page}");
        let r = post(c2.clone(), tender_page.clone(), format!("/contracting/bids/{bid_b}/conflict"), vec![("statement", "Related to PR-B's director".into())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let scores = |n: &str| vec![("method", n.to_owned()), ("staff", n.to_owned()), ("experience", n.to_owned()), ("rural_reach", n.to_owned())];
        let r = post(c2.clone(), tender_page.clone(), format!("/contracting/bids/{bid_b}/scores"), scores("10")).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{b}");
        assert!(r.text().await.unwrap().contains("Siz bu arza bilen gyzyklanmalaryň gapma-garşylygyny yglan etdiňiz"), "the 403 says why in the reader's language, from the keys");
        // Refused: a score out of range, and one that is not a number.
        let r = post(c1.clone(), tender_page.clone(), format!("/contracting/bids/{bid_a}/scores"), scores("11")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let r = post(c1.clone(), tender_page.clone(), format!("/contracting/bids/{bid_a}/scores"), scores("ten")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (_, page) = app.page(&min, &tender_page).await;
        assert!(page.contains("id=\"ranking-note\""), "the ranking waits for the scores: {page}");
        for (who, bid, n) in [(&c1, &bid_a, "9"), (&c1, &bid_b, "5"), (&c2, &bid_a, "8")] {
            let r = post(who.clone(), tender_page.clone(), format!("/contracting/bids/{bid}/scores"), scores(n)).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        }
        let (_, page) = app.page(&min, &tender_page).await;
        let ranking = &page[page.find("id=\"ranking\"").expect("the ranking")..];
        assert!(ranking.find("PR-A centre").unwrap() < ranking.find("PR-B centre").unwrap(), "{ranking}");
        assert!(ranking.contains("83.00"), "{ranking}");
        assert!(ranking.contains("com2"), "the keepers see who declared a conflict: {ranking}");

        // The award with reasons; the bidders then see the ranking without the conflicts.
        let award = format!("/contracting/tenders/{tid}/award");
        let r = post(min.clone(), tender_page.clone(), award.clone(), vec![("version", version_of(&page, &award)), ("reason", String::new())]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "the reasons are required: {b}");
        let r = post(min.clone(), tender_page.clone(), award.clone(), vec![("version", version_of(&page, &award)), ("reason", "Best weighted score".into())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, page) = app.page(&pb, &tender_page).await;
        assert!(page.contains("id=\"ranking\"") && page.contains("Best weighted score"), "{page}");
        assert!(!page.contains("com2"), "bidders never see who declared a conflict: {page}");

        // The contract; refused: a ceiling above the budget; the offer appears in the register.
        let sign = format!("/contracting/tenders/{tid}/contract");
        let contract_fields = |ceiling: &str| vec![("ceiling", ceiling.to_owned()), ("target_people", "20".to_owned()), ("target_units", "2000".to_owned()), ("target_outcomes", "Goals met for 15".to_owned()), ("payment_schedule", "monthly".to_owned()), ("period_from", String::new()), ("period_to", String::new()), ("places", String::new())];
        let r = post(min.clone(), tender_page.clone(), sign.clone(), contract_fields("100000.01")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let r = post(min.clone(), tender_page.clone(), sign.clone(), contract_fields("250")).await;
        let to = sent(r, StatusCode::SEE_OTHER, b).await;
        let contract_page = to;
        let cid = id_after(&contract_page, "/contracting/contracts/");
        let api = client_for(&store, &app.base, "reader", Role::Ministry, "TM").await;
        let (s, offers) = api.send("GET", "/offers?service=S05&admin_unit=TM-A-01", None).await;
        assert_eq!(s, StatusCode::OK, "{offers}");
        assert_eq!(offers[0]["provider_external_id"], "PR-A", "{offers}");
        let offer = offers[0]["id"].as_str().unwrap().to_owned();
        // Out of sight: another provider's contract.
        assert_eq!(app.page(&pb, &contract_page).await.0, StatusCode::NOT_FOUND, "{b}");

        // Referrals accepted and delivered (3 and 2 days).
        delivered(&store, &sup, &aman, &pa_store, &offer, "Aýgül", 3).await;
        delivered(&store, &sup, &aman, &pa_store, &offer, "Merjen", 2).await;

        // The month's report: drafted by the provider, corrected, verified, paid.
        let reports = format!("/contracting/contracts/{cid}/reports");
        let r = post(pa.clone(), contract_page.clone(), reports.clone(), vec![("month", "2020-13".into())]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let r = post(pa.clone(), contract_page.clone(), reports.clone(), vec![("month", month.format("%Y-%m").to_string())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, page) = app.page(&pa, &contract_page).await;
        assert!(page.contains("class=\"drafted\">5 "), "drafted from the deliveries: {page}");
        let rid = id_after(&page, "action=\"/contracting/reports/");
        let confirm = format!("/contracting/reports/{rid}/confirm");
        let v = version_of(&page, &confirm);
        // Refused (403): verifying one's own organisation's report.
        let r = post(pa.clone(), contract_page.clone(), format!("/contracting/reports/{rid}/verify"), vec![("version", v.clone())]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{b}");
        let r = post(pa.clone(), contract_page.clone(), confirm.clone(), vec![("version", v.clone()), ("units", "6".into()), ("people", String::new()), ("reason", "One day not yet recorded".into())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, page) = app.page(&min, &contract_page).await;
        let verify = format!("/contracting/reports/{rid}/verify");
        let r = post(min.clone(), contract_page.clone(), verify.clone(), vec![("version", version_of(&page, &verify)), ("units", String::new()), ("note", "Sampled two deliveries".into())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, page) = app.page(&min, &contract_page).await;
        assert!(page.contains("class=\"amount-due\">250.00<"), "6 × 50.00 = 300.00, capped at the ceiling: {page}");
        // Refused: a payment over the ceiling; then the payment.
        let pay = format!("/contracting/reports/{rid}/payment");
        let r = post(min.clone(), contract_page.clone(), pay.clone(), vec![("amount", "250.01".into()), ("paid_on", String::new())]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let r = post(min.clone(), contract_page.clone(), pay.clone(), vec![("amount", "250".into()), ("paid_on", String::new())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, page) = app.page(&pa, &contract_page).await;
        assert!(page.contains("id=\"paid-total\">250.00<"), "{page}");

        // Suspended (a reason is needed), the offer leaves the register; resumed, it is back.
        let act = format!("/contracting/contracts/{cid}/action");
        let (_, page) = app.page(&min, &contract_page).await;
        let r = post(min.clone(), contract_page.clone(), act.clone(), vec![("action", "suspend".into()), ("version", version_of(&page, &act)), ("reason", String::new())]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let r = post(min.clone(), contract_page.clone(), act.clone(), vec![("action", "suspend".into()), ("version", version_of(&page, &act)), ("reason", "Inspection".into())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, offers) = api.send("GET", "/offers?service=S05&admin_unit=TM-A-01", None).await;
        assert!(offers.as_array().unwrap().iter().all(|o| o["provider_external_id"] != "PR-A"), "{offers}");
        let (_, page) = app.page(&min, &contract_page).await;
        let r = post(min.clone(), contract_page.clone(), act.clone(), vec![("action", "resume".into()), ("version", version_of(&page, &act)), ("reason", String::new())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, offers) = api.send("GET", "/offers?service=S05&admin_unit=TM-A-01", None).await;
        assert_eq!(offers[0]["provider_external_id"], "PR-A", "{offers}");
        // A provider may not act on the contract (it has no such form; the store refuses).
        let r = post(pa.clone(), contract_page.clone(), act.clone(), vec![("action", "end".into()), ("version", "1".into()), ("reason", "x".into())]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{b}");

        // The comparison: the state provider's cost per person beside the contracted one.
        let (_, providers) = api.send("GET", "/providers", None).await;
        let st = providers.as_array().unwrap().iter().find(|p| p["external_id"] == "PR-ST").unwrap().clone();
        let (s, so) = api.send("PUT", &format!("/providers/{}/offers", st["id"].as_str().unwrap()), Some(json!({"service_code": "S05", "admin_unit": "TM-A-01"}))).await;
        assert_eq!(s, StatusCode::OK, "{so}");
        delivered(&store, &sup, &aman, &pst_store, so["id"].as_str().unwrap(), "Ogulgerek", 4).await;
        let (_, page) = app.page(&min, &format!("/contracting?service=S05&from={month}&to={today}")).await;
        assert!(page.contains("id=\"comparison\""), "{page}");
        assert!(page.contains("50.00"), "the contracted cost per unit: {page}");
    }
}
