//! Issue #23, open doors, over HTTP and in Chromium: the public pages without signing in, the
//! request form's abuse limits (429 for a burst, the honeypot, the size, the form's clock), the
//! operator's switches, the partner API (a school's key; its own referrals only: 404 otherwise),
//! and the issue's browser test on a phone-sized window with the axe-core audit.

use crate::common::TestApp;
use crate::webdriver::Driver;
use goldaw_core::codes::{CaseStatus, Role};
use goldaw_core::partners::PartnerKind;
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{ActionRequest, CaseQuery};
use goldaw_store::directory::PublicSwitches;
use goldaw_store::partners::NewPartner;
use goldaw_store::referrals::{NewProvider, OfferRequest, ProviderKind};
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

fn field_of(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no field {name}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn switches(store: &Store, min_seconds: u32, directory: bool, requests: bool) {
    store
        .set_public_switches(
            &Principal::system("test"),
            PublicSwitches {
                directory,
                requests,
                form_min_seconds: min_seconds,
                per_address_per_hour: 3,
                global_per_hour: 200,
                retention_days: 90,
            },
        )
        .await
        .unwrap();
}

/// A day-care offer for children with disabilities in Gökdepe.
async fn day_care(store: &Store) -> uuid::Uuid {
    let op = Principal::system("test");
    let provider = store
        .create_provider(
            &op,
            NewProvider {
                external_id: "PR5".into(),
                name: "Umyt Day Centre".into(),
                kind: ProviderKind::Ngo,
                admin_unit: None,
            },
        )
        .await
        .unwrap();
    store
        .set_offer(
            &op,
            provider.id,
            OfferRequest {
                service_code: "S05".parse().unwrap(),
                admin_unit: "TM-A-05".parse().unwrap(),
                places: Some(2),
                service_point: None,
                active: true,
                version: None,
            },
        )
        .await
        .unwrap()
        .id
}

async fn help_form(app: &TestApp) -> String {
    let r = app
        .client
        .get(format!("{}/help", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    field_of(&r.text().await.unwrap(), "token")
}

fn request_fields(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("token", token.to_owned()),
        ("website", String::new()),
        ("for_whom", "self".into()),
        ("given_name", "Maral".into()),
        ("sex", "F".into()),
        ("admin_unit", "TM-A-05".into()),
        ("concern", "My son needs day care.".into()),
        ("contact", "+993 65 000000".into()),
        ("consent", "yes".into()),
        ("service", "S05".into()),
    ]
}

async fn post_help(app: &TestApp, fields: &[(&str, String)]) -> (StatusCode, String) {
    let r = app
        .client
        .post(format!("{}/help", app.base))
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// An account of Gökdepe's team and its principal.
async fn member(store: &Store, name: &str, role: Role) -> Principal {
    let rec = store
        .add_user(
            &Principal::system("test"),
            goldaw_store::users::NewUser {
                username: name.into(),
                role,
                scope: "TM-A-05".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap();
    Principal::user(rec.id, name, role, "TM-A-05".parse().unwrap(), false)
}

async fn referred(store: &Store, sup: &Principal) -> usize {
    store
        .list_cases(
            sup,
            &CaseQuery {
                status: Some(CaseStatus::Referred),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .len()
}

goldaw_store::each_backend! {
    async fn the_public_pages_need_no_sign_in_and_the_form_holds_its_limits(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        let offer = day_care(&store).await;
        let sup = Principal::user(uuid::Uuid::now_v7(), "sup", Role::Supervisor, "TM-A-05".parse().unwrap(), false);

        // The directory, a service, a leaflet: no sign-in, the security headers, small.
        for path in ["/directory?place=TM-A-05&q=day+care+child+disability", &format!("/directory/services/{offer}"), "/directory/leaflet/TM-A-05", "/help"] {
            let r = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{b}: {path}");
            assert!(r.headers().get(header::CONTENT_SECURITY_POLICY).is_some(), "{b}: {path}");
            let page = r.text().await.unwrap();
            assert!(!page.contains("<script"), "{b}: {path}: no script");
            assert!(page.len() < 40_000, "{b}: {path}: {} bytes", page.len());
        }
        let (_, page) = app.page("goldaw_lang=en", "/directory?place=TM-A-05&q=day+care+child+disability").await;
        assert!(page.contains("Day care for children with disabilities") && page.contains("A few free places"), "{b}: {page}");
        assert!(!page.contains(">2<") && !page.contains(" 2 "), "{b}: never the exact small number");
        // Unknown things: 404, never an error.
        for path in ["/directory/services/00000000-0000-0000-0000-000000000000", "/directory/services/nope", "/directory/leaflet/XX"] {
            let r = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{b}: {path}");
        }

        // Sent at once (the form's clock, 4 seconds by default): refused, nothing written.
        let token = help_form(&app).await;
        let (status, _) = post_help(&app, &request_fields(&token)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: too fast");
        assert_eq!(referred(&store, &sup).await, 0, "{b}");

        switches(&store, 0, true, true).await;
        // The honeypot filled in: refused.
        let mut bot = request_fields(&help_form(&app).await);
        bot[1].1 = "http://spam.example".into();
        assert_eq!(post_help(&app, &bot).await.0, StatusCode::BAD_REQUEST, "{b}: honeypot");
        // A forged token: refused.
        let forged = request_fields("deadbeef");
        assert_eq!(post_help(&app, &forged).await.0, StatusCode::BAD_REQUEST, "{b}: forged token");
        // Oversized: refused before it is read whole.
        let mut big = request_fields(&help_form(&app).await);
        big[6].1 = "x".repeat(20_000);
        assert_eq!(post_help(&app, &big).await.0, StatusCode::PAYLOAD_TOO_LARGE, "{b}: oversized");
        // Too long for the field, within the body limit: 422 with the form again.
        let mut long = request_fields(&help_form(&app).await);
        long[6].1 = "x".repeat(2_500);
        assert_eq!(post_help(&app, &long).await.0, StatusCode::UNPROCESSABLE_ENTITY, "{b}: too long");
        assert_eq!(referred(&store, &sup).await, 0, "{b}: nothing written");

        // A burst from one address: three taken, then 429.
        for i in 0..3 {
            let (status, page) = post_help(&app, &request_fields(&help_form(&app).await)).await;
            assert_eq!(status, StatusCode::OK, "{b}: request {i}: {page}");
            assert!(page.contains("id=\"reference\">H-"), "{b}");
        }
        let r = app.client.post(format!("{}/help", app.base)).form(&request_fields(&help_form(&app).await)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{b}: burst");
        assert!(r.headers().get(header::RETRY_AFTER).is_some(), "{b}");
        assert_eq!(referred(&store, &sup).await, 3, "{b}");

        // Switched off: the pages say whom to call instead.
        switches(&store, 0, false, false).await;
        for path in ["/directory", "/help"] {
            let r = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{b}: {path}");
        }
        assert_eq!(post_help(&app, &request_fields(&token)).await.0, StatusCode::SERVICE_UNAVAILABLE, "{b}");
        // The switches are the admin's: a signed-in worker may not post them (403).
        app.account("aman", Role::SocialWorker, "TM-A-05", "correct horse battery").await;
        let aman = app.sign_in("aman", "correct horse battery").await;
        let r = app.submit(&aman, "/", "/directory/manage/switches", &[("directory", "on"), ("form_min_seconds", "0"), ("per_address_per_hour", "3"), ("global_per_hour", "200"), ("retention_days", "90")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{b}");
        assert!(!store.public_switches().await.unwrap().directory, "{b}");
    }

    async fn a_school_refers_through_the_api_and_sees_only_its_own_referrals(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        let op = Principal::system("test");
        let school = store.create_partner(&op, NewPartner { name: "School 12".into(), kind: PartnerKind::School, admin_unit: "TM-A-05".parse().unwrap() }).await.unwrap();
        let other = store.create_partner(&op, NewPartner { name: "School 3".into(), kind: PartnerKind::School, admin_unit: "TM-A-05".parse().unwrap() }).await.unwrap();
        let key = store.issue_partner_key(&op, school.id, "Mrs Orazowa").await.unwrap();
        let other_key = store.issue_partner_key(&op, other.id, "Mr Baýramow").await.unwrap();
        let http = reqwest::Client::new();
        let call = |method: &'static str, path: String, key: String, body: Option<Value>| {
            let http = http.clone();
            let base = app.base.clone();
            async move {
                let url = format!("{base}/api/v1{path}");
                let mut req = if method == "GET" { http.get(url) } else { http.post(url) };
                req = req.bearer_auth(key);
                if let Some(b) = body { req = req.json(&b); }
                let r = req.send().await.unwrap();
                let status = r.status();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let pupil = json!({"given_name": "Jeren", "family_name": "Orazowa", "sex": "F", "birth_date": "2015-03-01",
                           "concern": "Absent for three weeks.", "contact": "Class teacher", "their_reference": "12/44"});
        let (status, sent) = call("POST", "/partner/referrals".into(), key.clone(), Some(pupil.clone())).await;
        assert_eq!(status, StatusCode::OK, "{b}: {sent}");
        assert_eq!(sent["status"], "received", "{b}");
        let id = sent["id"].as_str().unwrap().to_owned();
        assert!(sent.get("case_id").is_none(), "{b}: nothing of the case");

        // The case goes through screening in the etrap.
        let sup = member(&store, "sup", Role::Supervisor).await;
        let worker = member(&store, "aman", Role::SocialWorker).await;
        let queue = store.list_cases(&sup, &CaseQuery { status: Some(CaseStatus::Referred), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(queue.len(), 1, "{b}");
        let case = store.case(&sup, queue[0].id).await.unwrap();
        assert_eq!(case.referral_source.as_str(), "school", "{b}");
        let case = store.allocate_case(&sup, case.id, case.version, "aman").await.unwrap();
        store.act_on_case(&worker, case.id, ActionRequest { action: CaseAction::StartInitial, version: case.version, priority: None, reason: None, transfer_to: None }).await.unwrap();
        let (_, seen) = call("GET", format!("/partner/referrals/{id}"), key.clone(), None).await;
        assert_eq!(seen["status"], "being_assessed", "{b}: {seen}");
        assert!(seen["outcome"].is_null(), "{b}");

        // The family agrees to feedback: the outcome shows.
        let fb = store.case_partner_referral(&worker, case.id).await.unwrap().unwrap();
        store.record_partner_feedback(&worker, case.id, goldaw_store::partners::FeedbackChange { version: fb.version, consent: true, outcome: Some("Support under way with the family.".into()) }).await.unwrap();
        let (_, list) = call("GET", "/partner/referrals".into(), key.clone(), None).await;
        assert_eq!(list[0]["outcome"], "Support under way with the family.", "{b}: {list}");
        // The case page leads the worker to that feedback.
        let session = app.sign_in("aman", "correct horse battery").await;
        let (status, page) = app.page(&session, &format!("/cases/{}", case.id)).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains(&format!("href=\"/partners/feedback/{}\"", case.id)), "{b}: the case page links the feedback");

        // Another school: 404 for it, an empty list. A user's token, no token, a made-up key: 401.
        let (status, _) = call("GET", format!("/partner/referrals/{id}"), other_key.clone(), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (_, theirs) = call("GET", "/partner/referrals".into(), other_key.clone(), None).await;
        assert_eq!(theirs, json!([]), "{b}");
        let (status, _) = call("GET", format!("/partner/referrals/{}", uuid::Uuid::now_v7()), key.clone(), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (status, _) = call("GET", "/partner/referrals".into(), format!("gpk_{}", "0".repeat(64)), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}");
        let user_token = store.create_token(&op, "aman").await.unwrap();
        let (status, _) = call("GET", "/partner/referrals".into(), user_token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}: a user's token is not a partner's key");
        // The partner's key reads no case: a case route answers 401 to it.
        let (status, _) = call("GET", format!("/cases/{}", case.id), key.clone(), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}");
        // Bad input: 422, nothing written.
        let (status, body) = call("POST", "/partner/referrals".into(), key.clone(), Some(json!({"given_name": "", "sex": "F", "concern": "x"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {body}");
        let (status, _) = call("POST", "/partner/referrals".into(), key.clone(), Some(json!({"given_name": "A", "sex": "F", "concern": "x", "admin_unit": "TM-L-02"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: outside the area");
        let (status, _) = call("POST", "/partner/referrals".into(), key.clone(), Some(json!({"given_name": "A", "sex": "F", "concern": "x", "case": "1"}))).await;
        assert!(status.is_client_error(), "{b}: unknown field");
        let (_, list) = call("GET", "/partner/referrals".into(), key.clone(), None).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{b}");

        // The OpenAPI document lists the partner routes.
        let doc: Value = app.client.get(format!("{}/api/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
        assert!(doc["paths"]["/api/v1/partner/referrals"]["post"].is_object(), "{b}");
        assert!(doc["paths"]["/api/v1/partner/referrals/{id}"]["get"].is_object(), "{b}");
    }
}

/// The issue's browser test: on a phone-sized window, without signing in, find day care for a
/// child with a disability in an etrap, open its page, send a request; the etrap's supervisor
/// sees it in the intake queue. Then axe-core (scripts/axe.sh) audits the public pages.
#[tokio::test]
async fn a_visitor_on_a_phone_finds_day_care_and_asks_for_help_in_chromium() {
    let Some(browser) = Driver::start("360,740").await else {
        return;
    };
    let db = goldaw_store::testing::sqlite().await;
    let store = db.open_with_key().await;
    let offer = day_care(&store).await;
    switches(&store, 0, true, true).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve(store.clone(), listener));

    browser.goto(&format!("{site}/directory")).await;
    browser.click("a[lang=en]").await;
    assert_eq!(
        browser
            .text_becomes("#directory-title", "Where to turn for help")
            .await,
        "Where to turn for help"
    );
    browser.click("#place option[value='TM-A-05']").await;
    browser
        .type_into("#q", "day care for a child with a disability")
        .await;
    browser.click("#search").await;
    assert_eq!(
        browser.text_becomes("#found", "One service found").await,
        "One service found"
    );
    browser.click("#results a").await;
    assert_eq!(
        browser
            .text_becomes("#service-title", "Day care for children with disabilities")
            .await,
        "Day care for children with disabilities"
    );
    assert!(browser
        .url()
        .await
        .ends_with(&format!("/directory/services/{offer}")));
    assert_eq!(browser.text("#places").await, "A few free places");
    let service_page = browser.url().await;
    browser.click("#ask").await;
    browser.find("#help-title").await;
    let help_page = browser.url().await;
    browser.type_into("#given_name", "Maral").await;
    browser.click("#sex-F").await;
    browser
        .type_into(
            "#concern",
            "My son of 6 has cerebral palsy; I need day care so that I can work.",
        )
        .await;
    browser
        .type_into("#contact", "+993 65 000000 after 18:00")
        .await;
    browser.click("#consent").await;
    browser.click("#send").await;
    assert_eq!(
        browser
            .text_becomes("#sent-title", "Your request was received")
            .await,
        "Your request was received"
    );
    let reference = browser.text("#reference").await;
    assert!(reference.starts_with("H-"), "{reference}");

    // The etrap supervisor sees it in the intake queue.
    let op = Principal::system("test");
    let sup = Principal::user(
        uuid::Uuid::now_v7(),
        "sup",
        Role::Supervisor,
        "TM-A-05".parse().unwrap(),
        false,
    );
    let queue = store
        .list_cases(
            &sup,
            &CaseQuery {
                status: Some(CaseStatus::Referred),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    let case = store.case(&op, queue[0].id).await.unwrap();
    assert_eq!(case.referral_source.as_str(), "self");
    assert!(case.concern.unwrap().contains("cerebral palsy"));

    // The accessibility audit of the public pages.
    match std::env::var("GOLDAW_AXE_JS") {
        Ok(path) => {
            let axe = std::fs::read_to_string(&path).unwrap();
            let leaflet = format!("{site}/directory/leaflet/TM-A-05");
            let search = format!("{site}/directory?place=TM-A-05&q=day+care");
            for page in [
                search.as_str(),
                service_page.as_str(),
                help_page.as_str(),
                leaflet.as_str(),
            ] {
                browser.goto(page).await;
                browser.find("main").await;
                let result = browser
                    .cmd(
                        "POST",
                        "/execute/async",
                        json!({
                            "script": format!("{axe}\nconst done = arguments[arguments.length - 1];\
                                axe.run(document, {{resultTypes: ['violations']}}).then(r => done(JSON.stringify(r.violations.map(v => [v.id, v.impact, v.nodes.length, v.nodes[0] && v.nodes[0].target])))).catch(e => done('error: ' + e));"),
                            "args": []
                        }),
                    )
                    .await;
                assert_eq!(result.as_str(), Some("[]"), "axe on {page}: {result}");
            }
        }
        Err(_) => {
            eprintln!("GOLDAW_AXE_JS not set (scripts/axe.sh): the axe-core audit is skipped")
        }
    }
    browser.quit().await;
}
