//! Issue #18's story in real headless Chromium, as far as the pages go: a woman calls the
//! hotline at night; the call is logged with the risk screening; she agrees to the etrap
//! service and to NGOs' support, not to the police; the case is opened from the call; the
//! operator's quick exit (Escape twice) leaves the site and nothing readable behind; the worker
//! makes a safety plan (high risk: the case turns critical); sharing with the police is refused
//! for want of consent, then goes through once she agrees; she withdraws her consent to NGOs.

use crate::webdriver::Driver;
use goldaw_core::codes::Role;
use goldaw_store::hotline::{LineRole, NewLine, NewLineMember};
use goldaw_store::users::NewUser;
use goldaw_store::Principal;
use serde_json::json;

const PASSWORD: &str = "Amyderýa 1415 km";

async fn sign_in(browser: &Driver, site: &str, username: &str) {
    browser.goto(&format!("{site}/login")).await;
    browser.type_into("#username", username).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.second_factor(username).await;
}

/// Sets a form field's value (selects included) as a person choosing it would.
async fn set(browser: &Driver, id: &str, value: &str) {
    browser.find(&format!("#{id}")).await;
    browser
        .cmd(
            "POST",
            "/execute/sync",
            json!({"script": "document.getElementById(arguments[0]).value = arguments[1];", "args": [id, value]}),
        )
        .await;
}

async fn script(browser: &Driver, js: &str) -> serde_json::Value {
    browser
        .cmd("POST", "/execute/sync", json!({"script": js, "args": []}))
        .await
}

#[tokio::test]
async fn a_survivors_call_becomes_a_case_with_her_consents_a_safety_plan_and_a_quick_exit() {
    let Some(browser) = Driver::start("1280,1000").await else {
        return;
    };
    let db = goldaw_store::testing::sqlite().await;
    let key = goldaw_store::crypto::Secrets::from_hex(&"6b".repeat(32)).unwrap();
    let store = goldaw_store::Store::open_with_secrets(&db.url, Some(key))
        .await
        .unwrap();
    let op = Principal::system("test");
    let mut ids = Vec::new();
    for (name, role, scope) in [
        ("gul", Role::Hotline, "TM"),
        ("aman", Role::SocialWorker, "TM-A-01"),
    ] {
        let u = store
            .add_user(
                &op,
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
            .unwrap();
        ids.push(u.id);
    }
    store
        .add_hotline_line(
            &op,
            NewLine {
                code: "NGO-1".into(),
                name: "Women's line".into(),
            },
        )
        .await
        .unwrap();
    store
        .set_line_member(
            &op,
            "NGO-1",
            NewLineMember {
                user: ids[0],
                line_role: LineRole::Operator,
            },
        )
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve(store.clone(), listener));

    // The call at night, with the risk screening.
    sign_in(&browser, &site, "gul").await;
    browser.goto(&format!("{site}/hotline/lines/NGO-1")).await;
    browser.find("#quick-exit").await;
    browser.replace_text("#minutes", "18").await;
    browser.type_into("#caller_code", "Lale").await;
    set(&browser, "caller_age_band", "25-59").await;
    set(&browser, "caller_sex", "F").await;
    set(&browser, "caller_admin_unit", "TM-A-01").await;
    set(&browser, "category", "violence_at_home").await;
    browser.click("#immediate_danger").await;
    browser.click("#previous_incidents").await;
    set(&browser, "outcome", "referred_to_etrap").await;
    browser
        .type_into("#summary", "Her husband beat her tonight")
        .await;
    browser.click("#log-call").await;
    browser.find("#call-critical").await;
    let title = script(&browser, "return document.title;").await;
    assert!(
        !title.as_str().unwrap_or_default().contains("Lale"),
        "{title}"
    );

    // The case from the call: the etrap service and NGOs, not the police.
    set(&browser, "case_admin_unit", "TM-A-01").await;
    browser.click("#consent_assessment").await;
    set(&browser, "referral_kind", "ngo").await;
    browser.click("#open-case").await;
    browser.find("#case-number").await;
    let case_url = browser.url().await;
    let case_id: uuid::Uuid = case_url.rsplit('/').next().unwrap().parse().unwrap();

    // The quick exit: Escape twice leaves for a neutral site, replacing the page in the tab's
    // history, and ends the session, so going back shows only the sign-in form.
    let before = script(&browser, "return history.length;").await;
    browser
        .cmd(
            "POST",
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": "\u{E00C}"}, {"type": "keyUp", "value": "\u{E00C}"},
                {"type": "keyDown", "value": "\u{E00C}"}, {"type": "keyUp", "value": "\u{E00C}"}]}]}),
        )
        .await;
    let started = std::time::Instant::now();
    while browser.url().await.starts_with(&site) {
        assert!(
            started.elapsed().as_secs() < 10,
            "the quick exit did not leave"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let after = script(&browser, "return history.length;").await;
    if after.is_number() {
        assert_eq!(
            before, after,
            "the quick exit added an entry to the tab's history"
        );
    }
    browser.cmd("POST", "/back", json!({})).await;
    browser.find("#username").await;
    assert!(!browser.exists("#case-number").await);
    browser.goto(&case_url).await;
    browser.find("#username").await;

    // The etrap's worker: the consent panel, her name hidden, the safety plan.
    let case = store.case(&op, case_id).await.unwrap();
    store
        .allocate_case(&op, case_id, case.version, "aman")
        .await
        .unwrap();
    sign_in(&browser, &site, "aman").await;
    browser.goto(&case_url).await;
    browser.find("#consent-panel").await;
    assert!(!browser.text("#case-name").await.contains("Lale"));
    browser.click("#safety-link").await;
    browser
        .type_into("#risks", "He has a knife and drinks")
        .await;
    browser.type_into("#safe_contacts", "Her sister").await;
    browser.type_into("#code_words", "blue scarf").await;
    browser
        .type_into("#emergency", "Call 02, go to the neighbour")
        .await;
    set(&browser, "risk_level", "high").await;
    browser.click("#save-safety-plan").await;
    browser.find("#safety-risk").await;
    let case = store.case(&op, case_id).await.unwrap();
    assert_eq!(case.priority, Some(goldaw_core::codes::Priority::Critical));

    // The police: refused for want of consent; later she agrees, and it goes through.
    browser
        .goto(&format!("{site}/cases/{case_id}/consents"))
        .await;
    set(&browser, "disclosure_purpose", "police").await;
    browser
        .type_into("#recipient", "Police of etrap A-01")
        .await;
    browser.click("#disclose").await;
    browser.find("main p").await;
    assert!(!browser.exists("#disclosure-form").await);
    browser
        .goto(&format!("{site}/cases/{case_id}/consents"))
        .await;
    set(&browser, "purpose", "police").await;
    set(&browser, "method", "signed").await;
    browser.click("#record-consent").await;
    set(&browser, "disclosure_purpose", "police").await;
    browser
        .type_into("#recipient", "Police of etrap A-01")
        .await;
    browser.click("#disclose").await;
    browser.find("#disclosure-list").await;

    // She withdraws her consent to NGOs.
    let consents = store.case_consents(&op, case_id).await.unwrap();
    let ngo = consents
        .consents
        .iter()
        .find(|c| c.provider_kind.as_deref() == Some("ngo"))
        .unwrap();
    browser.click(&format!("#withdraw-{}", ngo.id)).await;
    let started = std::time::Instant::now();
    while browser.exists(&format!("#withdraw-{}", ngo.id)).await {
        assert!(
            started.elapsed().as_secs() < 10,
            "the withdrawal did not show"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let consents = store.case_consents(&op, case_id).await.unwrap();
    assert!(consents
        .consents
        .iter()
        .any(|c| c.provider_kind.as_deref() == Some("ngo") && c.withdrawn_at.is_some()));
    browser.quit().await;
}
