//! Issue #20's pages: a person's own data printed for a supervisor (everything in scope, the text
//! opened; 403 for a worker, 404 for another etrap's supervisor); the ministry's retention page
//! (the years set through the form, a bad number refused with nothing written); a supervisor's
//! legal hold set and lifted through the forms, a missing reason refused.

use crate::common::TestApp;
use chrono::Utc;
use goldaw_core::codes::{ReferralSource, Role};
use goldaw_store::cases::{NewReferral, NoteKind};
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;

const PASSWORD: &str = "Balkan daglary 1880";

goldaw_store::each_backend! {
    async fn own_data_retention_and_holds_through_the_pages(db: TestDb) {
        let b = db.backend;
        let store: Store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        let op = Principal::system("test");
        app.account("sup", Role::Supervisor, "TM-A", PASSWORD).await;
        app.account("sup-b", Role::Supervisor, "TM-B", PASSWORD).await;
        app.account("worker", Role::SocialWorker, "TM-A-01", PASSWORD).await;
        app.account("ministry", Role::Ministry, "TM", PASSWORD).await;
        let person = store
            .create_person(&op, None, serde_json::from_value(serde_json::json!({
                "given_name": "Maýsa", "family_name": "Gurbanowa", "sex": "F",
                "birth_date": "1988-02-03", "admin_unit": "TM-A-01"})).unwrap())
            .await
            .unwrap();
        let case = store
            .register_referral(&op, NewReferral {
                person: person.id,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: ReferralSource::Health,
                referrer: Some("Clinic nurse Jemal".into()),
                concern: Some("Cannot pay for her insulin".into()),
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            })
            .await
            .unwrap();
        store
            .add_case_note(&op, case.id, NoteKind::HomeVisit, Utc::now(), "Met her mother at home")
            .await
            .unwrap();

        // A person's own data, printable, in the reader's language.
        let sup = app.sign_in("sup", PASSWORD).await;
        let path = format!("/people/{}/own-data", person.id);
        let (status, page) = app.page(&sup, &path).await;
        assert_eq!(status, StatusCode::OK, "{b}: {page}");
        for shown in ["Maýsa", "Gurbanowa", "1988-02-03", "Cannot pay for her insulin", "Clinic nurse Jemal",
                      "Met her mother at home", &case.number, "planning-print.css"] {
            assert!(page.contains(shown), "{b}: {shown} missing");
        }
        assert!(!page.contains("own-data-"), "{b}: an untranslated key");
        let (_, ru) = app.page(&format!("{sup}; goldaw_lang=ru"), &path).await;
        assert!(ru.contains("Всё, что хранится о человеке"), "{b}");
        let worker = app.sign_in("worker", PASSWORD).await;
        assert_eq!(app.page(&worker, &path).await.0, StatusCode::FORBIDDEN, "{b}");
        let sup_b = app.sign_in("sup-b", PASSWORD).await;
        let (status, page) = app.page(&sup_b, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        assert!(!page.contains("Maýsa"), "{b}");

        // The ministry's retention page: the years per kind, set through the form.
        let ministry = app.sign_in("ministry", PASSWORD).await;
        let (status, page) = app.page(&ministry, "/retention").await;
        assert_eq!(status, StatusCode::OK, "{b}: {page}");
        assert!(page.contains("id=\"retention-years\""), "{b}");
        assert_eq!(app.page(&sup, "/retention").await.0, StatusCode::FORBIDDEN, "{b}");
        let r = app.submit(&ministry, "/retention", "/retention/years",
            &[("kind", "general"), ("years", "0"), ("version", "1")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let r = app.submit(&ministry, "/retention", "/retention/years",
            &[("kind", "general"), ("years", "7"), ("version", "1")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let years = store.retention_settings(&op).await.unwrap();
        assert_eq!(years.iter().find(|s| s.kind == "general").map(|s| s.years), Some(7), "{b}");

        // A legal hold, set and lifted by the supervisor with a reason.
        let hold_page = format!("/cases/{}/legal-hold", case.id);
        let (status, page) = app.page(&sup, &hold_page).await;
        assert_eq!(status, StatusCode::OK, "{b}: {page}");
        assert!(page.contains("id=\"hold-form\""), "{b}");
        let r = app.submit(&sup, &hold_page, &hold_page, &[("reason", "   ")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(store.legal_holds(&op, case.id).await.unwrap().is_empty(), "{b}");
        let r = app.submit(&sup, &hold_page, &hold_page, &[("reason", "Complaint 7/2026 under review")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, page) = app.page(&sup, &hold_page).await;
        assert!(page.contains("id=\"lift-form\"") && page.contains("Complaint 7/2026 under review"), "{b}");
        assert_eq!(app.page(&worker, &hold_page).await.0, StatusCode::FORBIDDEN, "{b}");
        assert_eq!(app.page(&sup_b, &hold_page).await.0, StatusCode::NOT_FOUND, "{b}");
        let lift = format!("{hold_page}/lift");
        let r = app.submit(&sup, &hold_page, &lift, &[("version", "1"), ("reason", "Complaint closed")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let holds = store.legal_holds(&op, case.id).await.unwrap();
        assert_eq!(holds.len(), 1, "{b}");
        assert_eq!(holds[0].lift_reason.as_deref(), Some("Complaint closed"), "{b}");
    }
}
