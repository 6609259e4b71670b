//! Issue #18's last item on the pages and the API, on every backend: the incident date on the
//! call form and the call's page, carried to the case; the case page's survivor code and the
//! incident date's form (refused in the future, on a stale version, to a reader out of scope);
//! `PUT /api/v1/cases/{id}/incident-date` and its refusals; the statistics page and API split by
//! the time from incident to report; no survivor code in a page title.

use goldaw_core::codes::Role;
use goldaw_store::hotline::{LineRole, NewLine, NewLineMember};
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{api_client_for, TestApp};

const PASSWORD: &str = "Köpetdag 2942 metr";

async fn account(store: &Store, name: &str, role: Role, scope: &str) -> uuid::Uuid {
    store
        .add_user(
            &Principal::system("test"),
            NewUser {
                username: name.into(),
                role,
                scope: scope.parse().unwrap(),
                sensitive: true,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap()
        .id
}

fn title(page: &str) -> &str {
    page.split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn today() -> chrono::NaiveDate {
    goldaw_core::deadlines::local_date(chrono::Utc::now())
}

goldaw_store::each_backend! {
    async fn the_incident_date_goes_from_the_call_form_to_the_case_page_and_its_form(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        let op = Principal::operator("test");
        store.add_hotline_line(&op, NewLine { code: "NGO-1".into(), name: "Line NGO-1".into() }).await.unwrap();
        let gul = account(&store, "gul", Role::Hotline, "TM").await;
        store.set_line_member(&op, "NGO-1", NewLineMember { user: gul, line_role: LineRole::Operator }).await.unwrap();
        account(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        account(&store, "far", Role::SocialWorker, "TM-A-02").await;
        let gul_s = app.sign_in("gul", PASSWORD).await;
        let aman_s = app.sign_in("aman", PASSWORD).await;
        let far_s = app.sign_in("far", PASSWORD).await;

        let (_, line) = app.page(&gul_s, "/hotline/lines/NGO-1").await;
        assert!(line.contains("id=\"incident_on\""), "{b}: the call form asks the incident's date");
        let fields = |incident: &str| {
            vec![("line", "NGO-1".to_owned()), ("minutes", "9".to_owned()), ("caller_code", "Lale".to_owned()),
                ("caller_age_band", "25-59".to_owned()), ("caller_sex", "F".to_owned()), ("about", "caller".to_owned()),
                ("category", "violence_at_home".to_owned()), ("outcome", "referred_to_etrap".to_owned()),
                ("incident_on", incident.to_owned())]
        };
        let as_refs = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
        // In the future, or not a date: refused with the reason (Turkmen by default), nothing logged.
        let tomorrow = (today() + chrono::Duration::days(1)).to_string();
        for (bad, says) in [(tomorrow.as_str(), "geljekde"), ("31.12.2025", "ÝÝÝÝ-AA-GG")] {
            let f = as_refs(&fields(bad));
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = app.submit(&gul_s, "/hotline/lines/NGO-1", "/hotline/calls", &f).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}: {bad}");
            assert!(r.text().await.unwrap().contains(says), "{b}: {bad}");
        }
        let on = (today() - chrono::Duration::days(4)).to_string();
        let f = as_refs(&fields(&on));
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let logged = app.submit(&gul_s, "/hotline/lines/NGO-1", "/hotline/calls", &f).await;
        assert_eq!(logged.status(), StatusCode::SEE_OTHER, "{b}");
        let call_page = location(&logged);
        let (_, page) = app.page(&gul_s, &call_page).await;
        assert!(page.contains(&format!("id=\"call-incident\">{on}<")), "{b}: the call shows the date");
        let version = page.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let opened = app.submit(&gul_s, &call_page, &format!("{call_page}/case"), &[("version", version.as_str()), ("admin_unit", "TM-A-01")]).await;
        assert_eq!(opened.status(), StatusCode::SEE_OTHER, "{b}");
        let case_page = location(&opened);
        let case_id: uuid::Uuid = case_page.trim_start_matches("/cases/").parse().unwrap();
        let sys = Principal::system("test");
        let case = store.case(&sys, case_id).await.unwrap();
        assert_eq!(case.incident_on.map(|d| d.to_string()).as_deref(), Some(on.as_str()), "{b}: carried over");
        let code = case.survivor_code.clone().unwrap();
        store.allocate_case(&sys, case_id, case.version, "aman").await.unwrap();

        // The case page: the survivor code, the form with the date; no code in the title.
        let (status, page) = app.page(&aman_s, &case_page).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("id=\"survivor-code\"") && page.contains(&code), "{b}: the code is shown");
        assert!(!title(&page).contains(&code), "{b}: {}", title(&page));
        assert!(page.contains("id=\"incident-form\"") && page.contains(&format!("value=\"{on}\"")), "{b}");
        let version = store.case(&sys, case_id).await.unwrap().version.to_string();
        let action = format!("/cases/{case_id}/incident-date");
        // Refused: the future (nothing changes), a stale version, a worker of another etrap.
        let r = app.submit(&aman_s, &case_page, &action, &[("version", version.as_str()), ("incident_on", tomorrow.as_str())]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(r.text().await.unwrap().contains("geljekde"), "{b}");
        let r = app.submit(&aman_s, &case_page, &action, &[("version", "1"), ("incident_on", "2026-01-02")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{b}");
        let r = app.submit(&far_s, "/cases", &action, &[("version", version.as_str()), ("incident_on", "2026-01-02")]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{b}");
        assert_eq!(store.case(&sys, case_id).await.unwrap().incident_on.map(|d| d.to_string()).as_deref(), Some(on.as_str()), "{b}");
        // Set.
        let earlier = (today() - chrono::Duration::days(40)).to_string();
        let r = app.submit(&aman_s, &case_page, &action, &[("version", version.as_str()), ("incident_on", earlier.as_str())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        assert_eq!(location(&r), case_page, "{b}");
        let (_, page) = app.page(&aman_s, &case_page).await;
        assert!(page.contains(&format!("value=\"{earlier}\"")), "{b}");
        assert!(page.contains(&code), "{b}: the code is the same");
    }
}

goldaw_store::each_backend! {
    async fn the_api_sets_the_incident_date_and_splits_the_statistics_by_the_time_to_report(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        let sup = api_client_for(&store, &app.base, "sup", Role::Supervisor, "TM-A-01").await;
        let far = api_client_for(&store, &app.base, "far", Role::Supervisor, "TM-A-02").await;
        let planner = api_client_for(&store, &app.base, "plan", Role::Planner, "TM").await;
        let (status, person) = sup.send("POST", "/persons", Some(json!({"given_name": "Bägül", "family_name": "Durdyýewa",
            "sex": "F", "birth_date": "1990-04-02", "admin_unit": "TM-A-01"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {person}");
        let (status, case) = sup.send("POST", "/cases", Some(json!({"person": person["id"], "admin_unit": "TM-A-01",
            "referral_source": "self", "sensitive": true}))).await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {case}");
        let id = case["id"].as_str().unwrap().to_owned();
        let code = case["survivor_code"].as_str().expect("a survivor code").to_owned();
        assert!(goldaw_core::survivor_code::is_valid(&code), "{b}: {code}");
        let version = case["version"].as_i64().unwrap();
        let path = format!("/cases/{id}/incident-date");

        let (status, body) = sup.send("PUT", &path, Some(json!({"incident_on": "1990-04-01", "version": version}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("incident_on:"), "{b}: {body}");
        let (status, _) = sup.send("PUT", &path, Some(json!({"incident_on": "2026-13-01", "version": version}))).await;
        assert!(status.is_client_error(), "{b}: a date that is not one");
        let (status, _) = far.send("PUT", &path, Some(json!({"incident_on": "2026-01-01", "version": version}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (status, _) = planner.send("PUT", &path, Some(json!({"incident_on": "2026-01-01", "version": version}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
        let on = (today() - chrono::Duration::days(6)).to_string();
        let (status, set) = sup.send("PUT", &path, Some(json!({"incident_on": on, "version": version}))).await;
        assert_eq!(status, StatusCode::OK, "{b}: {set}");
        assert_eq!(set["incident_on"], json!(on), "{b}");
        assert_eq!(set["survivor_code"], json!(code), "{b}: stable");
        let (status, _) = sup.send("PUT", &path, Some(json!({"incident_on": on, "version": version}))).await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}");

        // The statistics' new dimension, in the API and the OpenAPI document.
        let from = (today() - chrono::Duration::days(10)).to_string();
        let (status, table) = planner
            .send("GET", &format!("/survivors/statistics?measure=survivors&from={from}&to={}&by=report_delay", today()), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {table}");
        assert_eq!(table["dimensions"], json!(["report_delay"]), "{b}");
        let keys: Vec<String> = table["rows"].as_array().unwrap().iter()
            .filter_map(|r| r["key"][0].as_str().map(str::to_owned)).collect();
        for band in ["same_day", "1_3_days", "4_7_days", "8_30_days", "over_30_days", "unknown"] {
            assert!(keys.iter().any(|k| k == band), "{b}: {band} missing");
        }
        assert!(!table.to_string().contains(&code), "{b}");
        let doc: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", app.base)).await.unwrap().json().await.unwrap();
        assert!(doc["paths"]["/api/v1/cases/{id}/incident-date"]["put"].is_object(), "{b}");
        assert!(doc.to_string().contains("report_delay"), "{b}");

        // The page: the dimension offered and its bands in the reader's language.
        account(&store, "plan2", Role::Planner, "TM").await;
        let s = app.sign_in("plan2", PASSWORD).await;
        let (status, page) = app.page(&s, &format!("/survivors/statistics?measure=survivors&from={from}&by=report_delay")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("Wakadan ýüz tutulýança geçen wagt") && page.contains("30 günden köp"), "{b}");
        assert!(!page.contains(&code), "{b}");
    }
}
