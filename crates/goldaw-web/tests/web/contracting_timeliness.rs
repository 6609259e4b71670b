//! Issue #21's leftovers over real HTTP, on every backend: a contract's referrals accepted in
//! time and its delivery against the targets, in the API and on the contract's page (and the
//! comparison's timeliness table); a withdrawn bid is final, through the API and the pages; the
//! API's keyed refusals (a contracting 403, a rule's 422) in the language `Accept-Language` asks
//! for, the code unchanged.

use crate::common::TestApp;
use crate::contracting::{delivered, principal};
use crate::contracting_pages::{id_after, sent, version_of, world, PASSWORD};
use chrono::{Datelike, Duration, Utc};
use goldaw_core::codes::Role;
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// `method /api/v1{path}` with the bearer `token`, asking for `lang` if given.
async fn api(
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    lang: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let http = reqwest::Client::new();
    let url = format!("{base}/api/v1{path}");
    let mut req = match method {
        "GET" => http.get(url),
        "PUT" => http.put(url),
        _ => http.post(url),
    }
    .bearer_auth(token);
    if let Some(lang) = lang {
        req = req.header(reqwest::header::ACCEPT_LANGUAGE, lang);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
    )
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

goldaw_store::each_backend! {
    async fn timeliness_on_the_contract_a_final_withdrawal_and_refusals_in_the_readers_language(db: TestDb) {
        let secrets = goldaw_store::crypto::Secrets::from_key([7u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(secrets)).await.unwrap();
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        let base = app.base.clone();
        let (sup, aman, _, _) = world(&store, &app).await;
        let pc_store = principal(&store, "pc-staff", Role::Provider, "provider:PR-C").await;
        let op = Principal::system("test");
        let mut tokens = std::collections::HashMap::new();
        for name in ["min", "min2", "com1", "pra", "prc"] {
            tokens.insert(name, store.create_token(&op, name).await.unwrap());
        }
        let send = |who: &'static str, method: &'static str, path: String, lang: Option<&'static str>, body: Option<Value>| {
            let (base, token) = (base.clone(), tokens[who].clone());
            async move { api(&base, &token, method, &path, lang, body).await }
        };

        // A tender for S05 in TM-A-01 from this month, approved and published.
        let today = goldaw_core::deadlines::local_date(Utc::now());
        let month = today.with_day(1).unwrap();
        let (s, t) = send("min", "POST", "/tenders".into(), None, Some(json!({
            "title": "Day care", "service_code": "S05", "admin_units": ["TM-A-01"],
            "period_from": month, "period_to": month + Duration::days(360), "people": 20, "units": 2000,
            "max_budget": 10_000_000, "specification": "Daily habilitation",
            "weights": {"price": 40, "method": 20, "staff": 15, "experience": 15, "rural_reach": 10},
            "bid_deadline": (Utc::now() + Duration::hours(1)).to_rfc3339(), "committee": ["com1"]}))).await;
        assert_eq!(s, StatusCode::CREATED, "{b} {t}");
        let tid = id(&t);
        let (_, t) = send("min2", "POST", format!("/tenders/{tid}/actions"), None, Some(json!({"action": "approve", "version": t["version"]}))).await;
        let (s, t) = send("min", "POST", format!("/tenders/{tid}/actions"), None, Some(json!({"action": "publish", "version": t["version"]}))).await;
        assert_eq!(s, StatusCode::OK, "{t}");

        // A withdrawn bid through the API: final. The refusal in English, Russian and Turkmen.
        let bid = json!({"price_per_unit": 5_000, "units": 2000, "people": 20, "places": 10, "staff": "Two special educators", "method": "Portage"});
        let (_, a) = send("pra", "POST", format!("/tenders/{tid}/bids"), None, Some(bid.clone())).await;
        let (_, a) = send("pra", "POST", format!("/bids/{}/actions", id(&a)), None, Some(json!({"action": "submit", "version": a["version"]}))).await;
        let (s, a) = send("pra", "POST", format!("/bids/{}/actions", id(&a)), None, Some(json!({"action": "withdraw", "version": a["version"]}))).await;
        assert_eq!((s, a["status"].clone()), (StatusCode::OK, json!("withdrawn")), "{b}");
        for (lang, says) in [(None, "A withdrawal is final"), (Some("ru-RU,ru;q=0.9,en;q=0.8"), "Отзыв окончателен"), (Some("tk"), "Yzyna almak gutarnyklydyr")] {
            let (s, e) = send("pra", "POST", format!("/tenders/{tid}/bids"), lang, Some(bid.clone())).await;
            assert_eq!((s, e["error"]["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid")), "{b} {lang:?}: {e}");
            assert!(e["error"]["message"].as_str().unwrap().contains(says), "{b} {lang:?}: {e}");
        }
        let (_, own) = send("pra", "GET", format!("/tenders/{tid}/bids"), None, None).await;
        assert_eq!(own.as_array().unwrap().len(), 1, "{b}: nothing written: {own}");

        // Through the pages: B prepares, submits and withdraws; no bid form is offered again, and
        // a posted one is refused in the page's language (Turkmen).
        let pb = app.sign_in("prb", PASSWORD).await;
        let tender_page = format!("/contracting/tenders/{tid}");
        let bid_fields: Vec<(&str, &str)> = vec![("price_per_unit", "40"), ("units", "2000"), ("people", "20"), ("places", "10"), ("staff", "Two special educators"), ("method", "Portage"), ("documents", "")];
        let bids = format!("/contracting/tenders/{tid}/bids");
        sent(app.submit(&pb, &tender_page, &bids, &bid_fields).await, StatusCode::SEE_OTHER, b).await;
        let (_, page) = app.page(&pb, &tender_page).await;
        let bid_b = id_after(&page, "action=\"/contracting/bids/");
        let action = format!("/contracting/bids/{bid_b}/action");
        let v = version_of(&page, &action);
        sent(app.submit(&pb, &tender_page, &action, &[("action", "submit"), ("version", v.as_str())]).await, StatusCode::SEE_OTHER, b).await;
        let (_, page) = app.page(&pb, &tender_page).await;
        let v = version_of(&page, &action);
        sent(app.submit(&pb, &tender_page, &action, &[("action", "withdraw"), ("version", v.as_str())]).await, StatusCode::SEE_OTHER, b).await;
        let (_, page) = app.page(&pb, &tender_page).await;
        assert!(!page.contains("id=\"prepare-bid\""), "{b}: a withdrawal is final: {page}");
        let r = app.submit(&pb, &tender_page, &bids, &bid_fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(r.text().await.unwrap().contains("Yzyna almak gutarnyklydyr"), "{b}");

        // C bids; after the deadline a keeper who is not on the committee may not score (403), in
        // the language asked for, the code unchanged.
        let (_, c) = send("prc", "POST", format!("/tenders/{tid}/bids"), None, Some(bid.clone())).await;
        let (s, c) = send("prc", "POST", format!("/bids/{}/actions", id(&c)), None, Some(json!({"action": "submit", "version": c["version"]}))).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let bid_c = id(&c);
        store.testing_move_bid_deadline(tid.parse().unwrap(), Utc::now() - Duration::minutes(1)).await.unwrap();
        let scores = json!({"scores": [{"criterion": "method", "score": 7}, {"criterion": "staff", "score": 7}, {"criterion": "experience", "score": 7}, {"criterion": "rural_reach", "score": 7}]});
        for (lang, says) in [
            (None, "Only the tender's committee evaluates its bids."),
            (Some("fr, en;q=0.5"), "Only the tender's committee evaluates its bids."),
            (Some("ru"), "Заявки конкурса оценивает только его комиссия."),
            (Some("tk-TM, ru;q=0.8"), "Bäsleşigiň arzalaryna diňe onuň topary baha berýär."),
        ] {
            let (s, e) = send("min2", "POST", format!("/bids/{bid_c}/scores"), lang, Some(scores.clone())).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{b} {lang:?}: {e}");
            assert_eq!(e["error"]["code"], "forbidden", "{e}");
            assert_eq!(e["error"]["message"], says, "{b} {lang:?}");
        }

        // The award and the contract: 5 people, 2000 units to deliver in the year.
        let (s, _) = send("com1", "POST", format!("/bids/{bid_c}/scores"), None, Some(scores.clone())).await;
        assert_eq!(s, StatusCode::OK);
        let (_, t) = send("min", "GET", format!("/tenders/{tid}"), None, None).await;
        let (s, t) = send("min", "POST", format!("/tenders/{tid}/award"), None, Some(json!({"version": t["version"], "reason": "The only bid left"}))).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        let (s, c) = send("min", "POST", format!("/tenders/{tid}/contract"), None, Some(json!({"ceiling": 1_000_000, "target_people": 20, "target_units": 2000, "payment_schedule": "monthly"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let cid = id(&c);
        let (_, offers) = send("min", "GET", "/offers?service=S05&admin_unit=TM-A-01".into(), None, None).await;
        let offer = id(&offers[0]);
        // Five referrals, each accepted at once and delivered 2 units.
        for name in ["Aýgül", "Merjen", "Jeren", "Bahar", "Gülnar"] {
            delivered(&store, &sup, &aman, &pc_store, &offer, name, 2).await;
        }

        // The API: five referrals, all accepted within the deadline; this month's delivery
        // against the targets (5 of 20 people, 10 of 2000 units).
        let (s, c) = send("min", "GET", format!("/contracts/{cid}"), None, None).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let p = &c["performance"];
        assert_eq!(p["timeliness"]["referrals"], 5, "{b}: {p}");
        assert_eq!((p["timeliness"]["accepted_in_time"].clone(), p["timeliness"]["due"].clone()), (json!(5), json!(5)), "{p}");
        assert_eq!(p["timeliness"]["share_in_time"], 1.0, "{p}");
        assert_eq!(p["timeliness"]["waiting"], 0, "{p}");
        let m = &p["months"][0];
        assert_eq!((m["units_to_date"].clone(), m["people_to_date"].clone(), m["people_of_target"].clone()), (json!(10), json!(5), json!(0.25)), "{b}: {m}");
        let (_, list) = send("min", "GET", "/contracts".into(), None, None).await;
        assert!(list[0]["performance"].is_null(), "lists carry no performance: {list}");
        // The provider reads its own; another provider does not find it.
        let (s, own) = send("prc", "GET", format!("/contracts/{cid}"), None, None).await;
        assert_eq!((s, own["performance"]["timeliness"]["referrals"].clone()), (StatusCode::OK, json!(5)), "{b}");
        let (s, _) = send("pra", "GET", format!("/contracts/{cid}"), None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

        // The contract's page and the comparison's table.
        let min = app.sign_in("min", PASSWORD).await;
        let (s, page) = app.page(&min, &format!("/contracting/contracts/{cid}")).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(page.contains("id=\"performance\""), "{b}: {page}");
        assert!(page.contains("5 / 5 (100%)"), "accepted in time: {page}");
        assert!(page.contains("5 / 20 (25%)"), "people to date against the target: {page}");
        let (s, page) = app.page(&min, &format!("/contracting?service=S05&from={month}&to={today}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("id=\"comparison-timeliness\""), "{b}: {page}");
    }
}
