//! Issue #18 on the pages, on every backend: the hotline's call log (a call logged with the risk
//! questions, its page, another line's operator and a social worker refused, the supervisors'
//! call-backs), a case opened from the call with the consents given on it, the consent panel and
//! page (record, refused disclosure, override refused to a worker, withdraw), the safety plan
//! (a high risk raises the case to critical), the quick exit on every page of hotline work, and
//! no personal data in any page title.

use goldaw_core::codes::{Priority, Role};
use goldaw_store::hotline::{LineRole, NewLine, NewLineMember};
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;

use crate::common::TestApp;

const PASSWORD: &str = "Köpetdag 2942 metr";

async fn account(
    store: &Store,
    name: &str,
    role: Role,
    scope: &str,
    sensitive: bool,
) -> uuid::Uuid {
    store
        .add_user(
            &Principal::system("test"),
            NewUser {
                username: name.into(),
                role,
                scope: scope.parse().unwrap(),
                sensitive,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap()
        .id
}

/// The page's `<title>`.
fn title(page: &str) -> &str {
    page.split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default()
}

/// Where a 303 sends the browser.
fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

goldaw_store::each_backend! {
    async fn the_hotline_consent_and_safety_pages_follow_the_survivors_path(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        let op = Principal::operator("test");
        for code in ["NGO-1", "NGO-2"] {
            store.add_hotline_line(&op, NewLine { code: code.into(), name: format!("Line {code}") }).await.unwrap();
        }
        let gul = account(&store, "gul", Role::Hotline, "TM", true).await;
        let other = account(&store, "other", Role::Hotline, "TM", true).await;
        let sup = account(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        account(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        for (line, user, part) in [("NGO-1", gul, LineRole::Operator), ("NGO-2", other, LineRole::Operator), ("NGO-1", sup, LineRole::Supervisor)] {
            store.set_line_member(&op, line, NewLineMember { user, line_role: part }).await.unwrap();
        }
        let gul_s = app.sign_in("gul", PASSWORD).await;
        let other_s = app.sign_in("other", PASSWORD).await;
        let sup_s = app.sign_in("sup", PASSWORD).await;
        let aman_s = app.sign_in("aman", PASSWORD).await;

        // The line's page: the new-call form with the risk questions, the quick exit.
        let (status, lines) = app.page(&gul_s, "/hotline").await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(lines.contains("/hotline/lines/NGO-1") && !lines.contains("NGO-2"), "{b}");
        let (status, line) = app.page(&gul_s, "/hotline/lines/NGO-1").await;
        assert_eq!(status, StatusCode::OK, "{b}");
        for field in ["immediate_danger", "children_at_risk", "weapons", "previous_incidents", "id=\"quick-exit\""] {
            assert!(line.contains(field), "{b}: {field}");
        }
        // Refused as given: nothing logged.
        let bad = app.submit(&gul_s, "/hotline/lines/NGO-1", "/hotline/calls", &[("line", "NGO-1"), ("minutes", "-3"),
            ("caller_age_band", "25-59"), ("about", "caller"), ("category", "violence_at_home"), ("outcome", "advice")]).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let no_time = app.submit(&gul_s, "/hotline/lines/NGO-1", "/hotline/calls", &[("line", "NGO-1"), ("minutes", "5"),
            ("caller_age_band", "25-59"), ("about", "caller"), ("category", "violence_at_home"), ("outcome", "call_back_agreed")]).await;
        assert_eq!(no_time.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(no_time.text().await.unwrap().contains("Gaýtadan jaň etmek ylalaşyldy"), "{b}");

        // The call at night, with the risk screening.
        let logged = app.submit(&gul_s, "/hotline/lines/NGO-1", "/hotline/calls", &[("line", "NGO-1"), ("minutes", "14"),
            ("caller_code", "Lale"), ("caller_age_band", "25-59"), ("caller_sex", "F"), ("caller_admin_unit", "TM-A-01"),
            ("about", "caller"), ("category", "violence_at_home"), ("immediate_danger", "yes"), ("previous_incidents", "yes"),
            ("outcome", "call_back_agreed"), ("call_back_at", "2020-01-01T09:00"), ("summary", "Her husband beat her tonight")]).await;
        assert_eq!(logged.status(), StatusCode::SEE_OTHER, "{b}");
        let call_page = location(&logged);
        assert!(call_page.starts_with("/hotline/calls/"), "{b}: {call_page}");
        let (status, page) = app.page(&gul_s, &call_page).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("In danger now") || page.contains("Häzir howp") || page.contains("Опасность сейчас"), "{b}");
        assert!(page.contains("id=\"call-critical\""), "{b}");
        assert!(!title(&page).contains("Lale") && !title(&page).contains("husband"), "{b}: {}", title(&page));

        // Another line's operator: no such call; a social worker: no hotline at all.
        assert_eq!(app.page(&other_s, &call_page).await.0, StatusCode::NOT_FOUND, "{b}");
        assert_eq!(app.page(&other_s, "/hotline/lines/NGO-1").await.0, StatusCode::NOT_FOUND, "{b}");
        assert_eq!(app.page(&aman_s, &call_page).await.0, StatusCode::FORBIDDEN, "{b}");
        assert_eq!(app.page(&aman_s, "/hotline").await.0, StatusCode::FORBIDDEN, "{b}");
        // The call-back is due: in the supervisor's queue, not the operator's.
        let (status, queue) = app.page(&sup_s, "/hotline/lines/NGO-1/call-backs").await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(queue.contains(&call_page), "{b}");
        assert_eq!(app.page(&gul_s, "/hotline/lines/NGO-1/call-backs").await.0, StatusCode::FORBIDDEN, "{b}");

        // The case from the call, with her consents to the etrap service and to NGOs, not to police.
        let version = page.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let opened = app.submit(&gul_s, &call_page, &format!("{call_page}/case"), &[("version", version.as_str()), ("admin_unit", "TM-A-01"),
            ("consent_assessment", "yes"), ("referral_kind", "ngo"), ("giver", "person"), ("method", "verbal_witnessed")]).await;
        assert_eq!(opened.status(), StatusCode::SEE_OTHER, "{b}");
        let case_page = location(&opened);
        let case_id: uuid::Uuid = case_page.trim_start_matches("/cases/").parse().unwrap();
        let again = app.submit(&gul_s, &call_page, &format!("{call_page}/case"), &[("version", version.as_str()), ("admin_unit", "TM-A-01")]).await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");

        // The etrap's team: the consent panel on the case page, the quick exit, no name in the title.
        let sup_p = store.case(&Principal::system("test"), case_id).await.unwrap();
        store.allocate_case(&Principal::system("test"), case_id, sup_p.version, "aman").await.unwrap();
        let (status, case) = app.page(&aman_s, &case_page).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(case.contains("id=\"consent-panel\"") && case.contains("id=\"quick-exit\""), "{b}");
        assert!(case.contains("id=\"safety-link\""), "{b}");
        assert!(!title(&case).contains("Lale"), "{b}: {}", title(&case));
        // Her name is hidden by default; shown on request, and that showing is audited.
        let h1 = case.split("id=\"case-name\">").nth(1).and_then(|h| h.split("</span>").next()).unwrap_or_default();
        assert!(!h1.contains("Lale") && !h1.is_empty() && case.contains("id=\"show-name\""), "{b}: {h1}");
        let (status, shown) = app.page(&aman_s, &format!("/cases/{case_id}/name")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(shown.contains("Lale") && !title(&shown).contains("Lale"), "{b}");
        let admin = Principal::user(uuid::Uuid::nil(), "admin", Role::Admin, "TM".parse().unwrap(), false);
        let q = goldaw_store::audit::AuditQuery { entity_id: Some(case_id.to_string()), limit: 200, ..Default::default() };
        let events = store.audit_events(&admin, &q).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.action == "case.name.show" && e.actor == "aman").count(), 1, "{b}");
        let consents = format!("/cases/{case_id}/consents");
        let (status, cpage) = app.page(&aman_s, &consents).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(cpage.matches("id=\"withdraw-").count(), 2, "{b}");

        // The police: refused for want of consent (nothing recorded); a worker may not override.
        let police = [("purpose", "police"), ("recipient", "Police of etrap A-01"), ("detail", "Threats")];
        let refused = app.submit(&aman_s, &consents, &format!("/cases/{case_id}/disclosures"), &police).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let over = app.submit(&aman_s, &consents, &format!("/cases/{case_id}/consent-overrides"),
            &[("purpose", "police"), ("reason", "life_in_danger"), ("note", "knife")]).await;
        assert_eq!(over.status(), StatusCode::FORBIDDEN, "{b}");
        let no_reason = app.submit(&sup_s, &consents, &format!("/cases/{case_id}/consent-overrides"),
            &[("purpose", "police"), ("note", "knife")]).await;
        assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        // Later she agrees, and it goes through.
        let agreed = app.submit(&aman_s, &consents, &consents, &[("purpose", "police"), ("giver", "person"), ("method", "signed")]).await;
        assert_eq!(agreed.status(), StatusCode::SEE_OTHER, "{b}");
        let shared = app.submit(&aman_s, &consents, &format!("/cases/{case_id}/disclosures"), &police).await;
        assert_eq!(shared.status(), StatusCode::SEE_OTHER, "{b}");
        let all = store.case_consents(&Principal::system("test"), case_id).await.unwrap();
        assert_eq!(all.disclosures.len(), 1, "{b}");
        assert_eq!(all.consents.len(), 3, "{b}");

        // She withdraws the consent to NGOs.
        let ngo = all.consents.iter().find(|c| c.provider_kind.as_deref() == Some("ngo")).unwrap();
        let (case_text, version_text) = (case_id.to_string(), ngo.version.to_string());
        let withdrawn = app.submit(&aman_s, &consents, &format!("/consents/{}/withdraw", ngo.id),
            &[("case", case_text.as_str()), ("version", version_text.as_str())]).await;
        assert_eq!(withdrawn.status(), StatusCode::SEE_OTHER, "{b}");
        let stale = app.submit(&aman_s, &consents, &format!("/consents/{}/withdraw", ngo.id),
            &[("case", case_text.as_str()), ("version", version_text.as_str())]).await;
        assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}: already withdrawn");
        let (_, cpage) = app.page(&aman_s, &consents).await;
        assert_eq!(cpage.matches("id=\"withdraw-").count(), 2, "{b}: police and assessment remain");

        // The safety plan: a high risk takes the critical deadlines.
        let safety = format!("/cases/{case_id}/safety-plan");
        let incomplete = app.submit(&aman_s, &safety, &safety, &[("revision", "0"), ("risk_level", "high"), ("risks", "knife")]).await;
        assert_eq!(incomplete.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let saved = app.submit(&aman_s, &safety, &safety, &[("revision", "0"), ("risk_level", "high"),
            ("risks", "He has a knife"), ("safe_contacts", "Her sister"), ("code_words", "blue scarf"), ("emergency", "Call 02")]).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{b}");
        let stale = app.submit(&aman_s, &safety, &safety, &[("revision", "0"), ("risk_level", "low"),
            ("risks", "x"), ("emergency", "y")]).await;
        assert_eq!(stale.status(), StatusCode::CONFLICT, "{b}");
        let (_, plan) = app.page(&aman_s, &safety).await;
        assert!(plan.contains("blue scarf") && plan.contains("id=\"safety-risk\" class=\"error\""), "{b}");
        assert!(!title(&plan).contains("Lale"), "{b}");
        let case = store.case(&Principal::system("test"), case_id).await.unwrap();
        assert_eq!(case.priority, Some(Priority::Critical), "{b}");
        // Out of scope: another etrap's worker finds no such case.
        account(&store, "far", Role::SocialWorker, "TM-B-01", true).await;
        let far = app.sign_in("far", PASSWORD).await;
        assert_eq!(app.page(&far, &safety).await.0, StatusCode::NOT_FOUND, "{b}");
        assert_eq!(app.page(&far, &consents).await.0, StatusCode::NOT_FOUND, "{b}");
    }
}
