//! Issue #18's leftovers on the pages, on every backend: the quick exit's neutral site set by an
//! admin on the settings page (an https address, else refused with the reason and nothing
//! changed) and carried by every quick exit; a sensitive case's name hidden on every page that
//! prints it (lists of cases and tasks, the case page's assessment start form, an assessment's
//! pages) until shown on request.

use goldaw_core::codes::{ReferralSource, Role};
use goldaw_core::people::PersonData;
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{ActionRequest, NewAssessment, NewReferral};
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

/// An attribute's text as the browser reads it (the template escapes `&`).
fn unescaped(s: &str) -> String {
    s.replace("&#38;", "&").replace("&amp;", "&")
}

/// The address the page's quick exit leaves to.
fn quick_exit_href(page: &str) -> Option<String> {
    let link = page.split("id=\"quick-exit\"").nth(1)?;
    Some(unescaped(link.split("href=\"").nth(1)?.split('"').next()?))
}

/// The value of the settings page's neutral-site field.
fn site_field(page: &str) -> Option<String> {
    let input = page.split("id=\"quick-exit-site-input\"").nth(1)?;
    Some(unescaped(
        input.split("value=\"").nth(1)?.split('"').next()?,
    ))
}

goldaw_store::each_backend! {
    async fn an_admin_sets_the_quick_exits_neutral_site_and_every_quick_exit_leaves_to_it(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        account(&store, "root", Role::Admin, "TM", false).await;
        account(&store, "gul", Role::Hotline, "TM", true).await;
        let root = app.sign_in("root", PASSWORD).await;
        let gul = app.sign_in("gul", PASSWORD).await;

        let (status, home) = app.page(&gul, "/").await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(quick_exit_href(&home).as_deref(), Some("https://www.google.com/"), "{b}: the default");
        let (status, settings) = app.page(&root, "/admin/settings").await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(settings.contains("id=\"quick-exit-site-input\"") && settings.contains("value=\"https://www.google.com/\""), "{b}");

        // Refused with the reason in the reader's language (Turkmen by default); nothing changes.
        for (bad, says) in [
            ("http://weather.gov.tm/", "https salgysy"),
            ("weather.gov.tm", "doly salgy"),
            ("javascript:alert(1)", "https salgysy"),
        ] {
            let r = app.submit(&root, "/admin/settings", "/admin/settings/quick-exit", &[("site", bad)]).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}: {bad}");
            assert!(r.text().await.unwrap().contains(says), "{b}: {bad}");
        }
        assert_eq!(quick_exit_href(&app.page(&gul, "/").await.1).as_deref(), Some("https://www.google.com/"), "{b}");

        // Not an admin: refused.
        let forbidden = app.submit(&gul, "/account/password", "/admin/settings/quick-exit", &[("site", "https://example.org/")]).await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN, "{b}");

        // Set: every quick exit leaves to it at once; the settings page shows it.
        let ok = app.submit(&root, "/admin/settings", "/admin/settings/quick-exit", &[("site", "https://weather.gov.tm/ashgabat?d=1&u=c")]).await;
        assert_eq!(ok.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, home) = app.page(&gul, "/hotline").await;
        assert_eq!(quick_exit_href(&home).as_deref(), Some("https://weather.gov.tm/ashgabat?d=1&u=c"), "{b}");
        assert!(!home.contains("?d=1&u=c"), "{b}: the & is escaped in the attribute");
        assert_eq!(site_field(&app.page(&root, "/admin/settings").await.1).as_deref(), Some("https://weather.gov.tm/ashgabat?d=1&u=c"), "{b}");
        assert_eq!(&*store.quick_exit_site(), "https://weather.gov.tm/ashgabat?d=1&u=c", "{b}");
    }
}

goldaw_store::each_backend! {
    async fn a_sensitive_cases_name_is_hidden_on_every_page_that_lists_it_until_shown(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        let sys = Principal::system("test");
        let sup_id = account(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        account(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let sup = Principal::user(sup_id, "sup", Role::Supervisor, "TM-A-01".parse().unwrap(), true);
        let her: PersonData = serde_json::from_value(serde_json::json!({
            "given_name": "Bägül", "family_name": "Durdyýewa", "sex": "F", "birth_date": "1990-04-02",
            "admin_unit": "TM-A-01"
        }))
        .unwrap();
        let her = store.create_person(&sys, None, her).await.unwrap();
        let case = store
            .register_referral(&sup, NewReferral {
                person: her.id,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: ReferralSource::Hotline,
                referrer: None,
                concern: Some("Violence at home".into()),
                provisional_priority: None,
                sensitive: true,
                household_case: false,
            })
            .await
            .unwrap();
        let case = store.allocate_case(&sup, case.id, case.version, "aman").await.unwrap();
        let case = store
            .act_on_case(&sup, case.id, ActionRequest { action: CaseAction::StartInitial, version: case.version, priority: None, reason: None, transfer_to: None })
            .await
            .unwrap();
        let aman = app.sign_in("aman", PASSWORD).await;
        let case_page = format!("/cases/{}", case.id);

        // The worker may see the name, yet no page prints it unasked: the lists of cases and
        // tasks, the case page with its assessment start form (Turkmen by default).
        for path in ["/cases", "/cases?show=mine", "/tasks", case_page.as_str()] {
            let (status, page) = app.page(&aman, path).await;
            assert_eq!(status, StatusCode::OK, "{b}: {path}");
            assert!(page.contains(&case.number), "{b}: {path} lists the case");
            assert!(!page.contains("Bägül") && !page.contains("Durdyýewa"), "{b}: {path} shows her name");
        }
        let (_, page) = app.page(&aman, &case_page).await;
        assert!(page.contains("id=\"start-initial\""), "{b}: the start form is offered");
        assert!(page.contains("Adam 1 (ady gizlenen)"), "{b}: the start form names her by number");

        // An assessment's pages: the completed view (its people named by number), then a new
        // draft's form.
        let done = goldaw_store::testing::assess(&store, &sup, case.id, "initial").await.unwrap();
        let (status, view) = app.page(&aman, &format!("/assessments/{}", done.id)).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(view.contains("Adam 1 (ady gizlenen)"), "{b}: the assessment names her by number");
        assert!(!view.contains("Bägül") && !view.contains("Durdyýewa"), "{b}: the assessment page shows her name");
        let started = store
            .start_assessment(&sup, case.id, NewAssessment { instrument: "initial".into(), persons: vec![] })
            .await
            .unwrap();
        let (status, form) = app.page(&aman, &format!("/assessments/{}", started.id)).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(form.contains("id=\"assessment-form\""), "{b}: the draft's form");
        assert!(!form.contains("Bägül") && !form.contains("Durdyýewa"), "{b}: the assessment form shows her name");

        // Shown on request, and that showing is the one page with her name.
        let (status, shown) = app.page(&aman, &format!("{case_page}/name")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(shown.contains("Bägül"), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn the_own_data_page_goes_to_a_representative_only_with_her_consent(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let app = TestApp::spawn(&store).await;
        let sys = Principal::system("test");
        let sup_id = account(&store, "sup", Role::Supervisor, "TM-A-01", true).await;
        let sup = Principal::user(sup_id, "sup", Role::Supervisor, "TM-A-01".parse().unwrap(), true);
        let her: PersonData = serde_json::from_value(serde_json::json!({
            "given_name": "Bägül", "sex": "F", "admin_unit": "TM-A-01"
        }))
        .unwrap();
        let her = store.create_person(&sys, None, her).await.unwrap();
        let case = store
            .register_referral(&sup, NewReferral {
                person: her.id,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: ReferralSource::Hotline,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive: true,
                household_case: false,
            })
            .await
            .unwrap();
        // Under consent records: she consented to an assessment only.
        store
            .record_consent(&sup, case.id, goldaw_store::consent::NewConsent {
                person: None,
                purpose: goldaw_store::consent::ConsentPurpose::Assessment,
                provider: None,
                provider_kind: None,
                giver: goldaw_store::consent::ConsentGiver::Person,
                method: goldaw_store::consent::ConsentMethod::Signed,
                valid_from: None,
                valid_until: None,
            })
            .await
            .unwrap();
        let s = app.sign_in("sup", PASSWORD).await;
        let own = format!("/people/{}/own-data", her.id);

        let (status, page) = app.page(&s, &own).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("id=\"for-representative\"") && page.contains("Adamyň özi üçin"), "{b}");
        let (status, page) = app.page(&s, &format!("{own}?for=representative")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(page.contains("razylyk bermedi") && !page.contains("Bägül"), "{b}: the refusal, not her data");
        let (status, _) = app.page(&s, &format!("{own}?for=lawyer")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
    }
}
