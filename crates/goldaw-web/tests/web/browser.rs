//! The web shell in real headless Chromium (Debian's chromium and chromium-driver, installed by
//! scripts/test.sh), driven over the W3C WebDriver protocol on 127.0.0.1.
//!
//! The WebDriver client is in `webdriver/`, shared with the planning browser test.

use crate::webdriver;

use goldaw_core::codes::Role;
use goldaw_store::users::NewUser;
use goldaw_store::Principal;
use serde_json::json;

use webdriver::{Driver, ELEMENT};

#[tokio::test]
async fn sign_in_wrong_password_language_switch_and_sign_out_in_chromium() {
    let Some(browser) = Driver::start("1024,800").await else {
        return;
    };
    let db = goldaw_store::testing::sqlite().await;
    let store = db.open().await;
    let op = Principal::system("test");
    store
        .add_user(
            &op,
            NewUser {
                username: "aman".into(),
                role: Role::SocialWorker,
                scope: "TM-A-05".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: "Gökdepe gala 1881".into(),
            },
        )
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve(store.clone(), listener));

    // Anyone arriving is sent to the sign-in page, in Turkmen by default.
    browser.goto(&format!("{site}/")).await;
    assert_eq!(
        browser.text_becomes("h1", "goldaw ulgamyna girmek").await,
        "goldaw ulgamyna girmek"
    );
    assert!(browser.url().await.ends_with("/login"));

    // A wrong password: refused, with the reason, on the same page.
    browser.type_into("#username", "aman").await;
    browser.type_into("#password", "not the password").await;
    browser.click("#sign-in").await;
    assert_eq!(
        browser
            .text_becomes("#message", "Ulanyjy ady ýa-da açarsöz nädogry.")
            .await,
        "Ulanyjy ady ýa-da açarsöz nädogry."
    );

    // The right one: the home page for a social worker, with their etrap.
    browser.type_into("#username", "aman").await;
    browser.type_into("#password", "Gökdepe gala 1881").await;
    browser.click("#sign-in").await;
    assert_eq!(
        browser.text_becomes("#home-title", "Baş sahypa").await,
        "Baş sahypa"
    );
    assert_eq!(
        browser.text_becomes("#role", "Durmuş işgäri").await,
        "Durmuş işgäri"
    );
    assert_eq!(
        browser.text_becomes("#scope", "Gökdepe etraby").await,
        "Gökdepe etraby"
    );

    // Switching to Russian keeps the person where they are, and stays switched.
    browser.click("a[lang=ru]").await;
    assert_eq!(
        browser.text_becomes("#home-title", "Главная").await,
        "Главная"
    );
    assert_eq!(
        browser.text_becomes("#role", "Социальный работник").await,
        "Социальный работник"
    );
    browser.click("a[lang=en]").await;
    assert_eq!(browser.text_becomes("#home-title", "Home").await, "Home");

    // Signing out ends the session: home sends back to sign-in.
    browser.click("#sign-out").await;
    assert_eq!(
        browser.text_becomes("h1", "Sign in to goldaw").await,
        "Sign in to goldaw"
    );
    browser.goto(&format!("{site}/")).await;
    assert_eq!(
        browser.text_becomes("h1", "Sign in to goldaw").await,
        "Sign in to goldaw"
    );
    browser.quit().await;
}

impl Driver {
    /// Signs in through the form and waits for the home page.
    async fn sign_in(&self, site: &str, username: &str, password: &str) {
        self.goto(&format!("{site}/login")).await;
        self.type_into("#username", username).await;
        self.type_into("#password", password).await;
        self.click("#sign-in").await;
        self.second_factor(username).await;
    }

    async fn sign_out(&self) {
        self.click("#sign-out").await;
        self.find("#username").await;
    }
}

#[tokio::test]
async fn a_hotline_call_becomes_a_case_that_is_allocated_screened_and_followed_in_chromium() {
    let Some(browser) = Driver::start("1024,800").await else {
        return;
    };
    let db = goldaw_store::testing::sqlite().await;
    let key = goldaw_store::crypto::Secrets::from_key([5u8; 32]);
    let store = goldaw_store::Store::open_with_secrets(&db.url, Some(key))
        .await
        .unwrap();
    let op = Principal::system("test");
    let password = "Gökdepe gala 1881";
    for (name, role, scope) in [
        ("line", Role::Hotline, "TM"),
        ("sup", Role::Supervisor, "TM-A-05"),
        ("aman", Role::SocialWorker, "TM-A-05"),
    ] {
        store
            .add_user(
                &op,
                NewUser {
                    username: name.into(),
                    role,
                    scope: scope.parse().unwrap(),
                    sensitive: true,
                    unsuppressed: false,
                    password: password.into(),
                },
            )
            .await
            .unwrap();
    }
    // A psychologists' NGO offering counselling (S10) in the etrap, with its staff account.
    use goldaw_store::referrals::{NewProvider, OfferRequest, ProviderKind};
    let ngo = store
        .create_provider(
            &op,
            NewProvider {
                external_id: "PR-PSY".into(),
                name: "Ýaşyl ýol".into(),
                kind: ProviderKind::Ngo,
                admin_unit: Some("TM-A-05".parse().unwrap()),
            },
        )
        .await
        .unwrap();
    store
        .set_offer(
            &op,
            ngo.id,
            OfferRequest {
                service_code: "S10".parse().unwrap(),
                admin_unit: "TM-A-05".parse().unwrap(),
                places: Some(5),
                service_point: None,
                active: true,
                version: None,
            },
        )
        .await
        .unwrap();
    store
        .add_user(
            &op,
            NewUser {
                username: "psy".into(),
                role: Role::Provider,
                scope: "provider:PR-PSY".parse().unwrap(),
                // Counselling after violence at home: staff without the permission would see
                // the referral by its code only (docs/privacy.md).
                sensitive: true,
                unsuppressed: false,
                password: password.into(),
            },
        )
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve(store.clone(), listener));

    // The hotline operator takes an anonymous call from a woman at risk, in English.
    browser.goto(&format!("{site}/login")).await;
    browser.click("a[lang=en]").await;
    browser.sign_in(&site, "line", password).await;
    browser.goto(&format!("{site}/cases/new")).await;
    browser.click("#anonymous").await;
    browser.click("#sex option[value=F]").await;
    browser.click("#admin_unit option[value=TM-A-05]").await;
    browser
        .type_into("#concern", "Her husband threatens her; a son of 9")
        .await;
    browser.click("#priority option[value=critical]").await;
    browser.click("#sensitive").await;
    browser.click("#register").await;
    let number = browser.text("#case-number").await;
    assert!(number.starts_with("A-05/"), "{number}");
    assert_eq!(
        browser.text_becomes("#case-priority", "Critical").await,
        "Critical"
    );
    assert_eq!(
        browser.text_becomes("#case-status", "Referred").await,
        "Referred"
    );
    browser.sign_out().await;

    // The supervisor finds it among the tasks and allocates it, seeing each worker's load.
    browser.sign_in(&site, "sup", password).await;
    browser.goto(&format!("{site}/tasks")).await;
    assert!(browser.text("#tasks").await.contains(&number));
    browser.click("#tasks a").await;
    browser.click("#worker option[value=aman]").await;
    browser.click("#allocate").await;
    assert_eq!(browser.text_becomes("#case-worker", "aman").await, "aman");
    browser.sign_out().await;

    // The social worker makes first contact, screens the case critical and records a home visit.
    browser.sign_in(&site, "aman", password).await;
    browser.goto(&format!("{site}/tasks")).await;
    let tasks = browser.text("#tasks").await;
    assert!(tasks.contains("First contact"), "{tasks}");
    browser.click("#tasks a").await;
    browser.click("#action-start_initial").await;
    assert_eq!(
        browser
            .text_becomes("#case-status", "Initial assessment")
            .await,
        "Initial assessment"
    );
    // The initial assessment with her, on the tablet: one part after another, each saved. She is
    // at risk of violence now; she consents.
    assert!(browser
        .text("#assessment-hint")
        .await
        .contains("initial assessment"));
    browser.click("#start-initial").await;
    for step in 0..6 {
        let part = format!("Part {} of 7", step + 1);
        assert_eq!(
            browser.text_becomes("#assessment-position", &part).await,
            part
        );
        browser.click_all("input[type=radio][value=no]").await;
        browser.click_all("input[type=radio][value='1']").await;
        match step {
            0 => {
                browser
                    .click("input[name$=':safety_violence'][value=yes]")
                    .await;
                browser
                    .type_into(
                        "textarea[name$=':safety_details']",
                        "Her husband threatens her; she and her son of 9 stay with a neighbour",
                    )
                    .await;
            }
            4 => {
                browser
                    .type_into(
                        "textarea[name$=':presenting_need_own_words']",
                        "I want to be safe with my son",
                    )
                    .await;
            }
            5 => browser.click_all("input[type=radio][value=yes]").await,
            _ => {}
        }
        browser.click("#save-next").await;
    }
    assert_eq!(
        browser
            .text_becomes("#assessment-position", "Part 7 of 7")
            .await,
        "Part 7 of 7"
    );
    browser.find("#assessment-ready").await;
    browser.click("#complete-assessment").await;
    // Screening: the assessment's proposal is shown and chosen already.
    let proposal = browser
        .text_containing("#priority-proposal", "Critical")
        .await;
    assert!(
        proposal.contains("at risk of violence or abuse now"),
        "{proposal}"
    );
    browser.click("#action-complete_initial").await;
    assert_eq!(
        browser
            .text_becomes("#case-status", "Holistic assessment")
            .await,
        "Holistic assessment"
    );
    browser
        .type_into("#note-text", "Home visit: safety plan agreed")
        .await;
    browser.click("#add-note").await;
    assert!(browser
        .text("#note-list")
        .await
        .contains("Home visit: safety plan agreed"));
    let history = browser.text("#history").await;
    assert!(
        history
            .contains("Complete the initial assessment: Initial assessment → Holistic assessment"),
        "{history}"
    );
    // Out of order is not even offered: no plan approval on the page.
    let offered = browser
        .cmd(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": "#action-approve_plan"}),
        )
        .await;
    assert_eq!(offered.as_array().map(Vec::len), Some(0));
    let case_url = browser.url().await;
    // Her caseload counts one intensive case against the norm of 25.
    browser.goto(&format!("{site}/caseload")).await;
    let load = browser.text("#caseload").await;
    assert!(load.contains("aman") && load.contains("1 / 25"), "{load}");

    // The holistic assessment done with her, through the form: fourteen domains; her safety is
    // the high need, in her own words.
    browser.goto(&case_url).await;
    browser.click("#start-holistic_adult").await;
    for step in 0..14 {
        let part = format!("Part {} of 15", step + 1);
        assert_eq!(
            browser.text_becomes("#assessment-position", &part).await,
            part
        );
        browser.click_all("input[type=radio][value='1']").await;
        if browser.exists("#q-safety_abuse_risk").await {
            browser
                .click("input[name$=':safety_abuse_risk'][value='3']")
                .await;
            browser.click("#q-safety_abuse_risk summary").await;
            browser
                .type_into(
                    "#q-safety_abuse_risk textarea[name^='w:']",
                    "I am afraid to go home after dark",
                )
                .await;
            browser
                .type_into(
                    "textarea[name$=':safety_wants_change']",
                    "To live without fear with my son",
                )
                .await;
        }
        browser.click("#save-next").await;
    }
    browser.find("#assessment-ready").await;
    browser.click("#complete-assessment").await;
    browser.click("#action-complete_holistic").await;
    assert_eq!(
        browser.text_becomes("#case-status", "Support plan").await,
        "Support plan"
    );
    // The needs the assessment found stand next to the plan form.
    let needs = browser.text("#assessment-needs").await;
    assert!(
        needs.starts_with("Safety from abuse, neglect and violence") && needs.contains("3 high"),
        "{needs}"
    );
    // The plan as rows (issue #19): a goal per row; each action who, what, by when, and the
    // service chosen from the catalogue (set by value, as a keyboard user would by typing).
    browser
        .type_into("#goal-text-0", "I want to feel safe at home")
        .await;
    browser
        .type_into("#goal-text-1", "A school place for my son")
        .await;
    for (row, (who, what, service)) in [
        ("Psychologist", "Weekly sessions", "S10"),
        ("Legal aid", "Protection order", "S06"),
        ("Employment office", "Job search support", "U_EMPLOY"),
        ("Polyclinic No. 2", "Health check", "U_HEALTH"),
        ("School", "A place for her son", "U_EDU"),
    ]
    .into_iter()
    .enumerate()
    {
        browser.type_into(&format!("#action-who-{row}"), who).await;
        browser
            .type_into(&format!("#action-what-{row}"), what)
            .await;
        let chosen = browser
            .cmd(
                "POST",
                "/execute/sync",
                json!({"script": format!("const s = document.querySelector('#action-service-{row}'); s.value = '{service}'; return s.value;"), "args": []}),
            )
            .await;
        assert_eq!(chosen, service);
    }
    browser
        .cmd(
            "POST",
            "/execute/sync",
            json!({"script": "document.querySelector('#action-due-4').value = '2027-01-10'; document.querySelector('#action-goal-4').value = '2'; return 1;", "args": []}),
        )
        .await;
    browser.click("#save-plan").await;
    assert!(browser
        .text("#plan-goals")
        .await
        .contains("A school place for my son"));
    assert!(browser
        .text("#plan-actions")
        .await
        .contains("Legal aid — Protection order [S06]"));
    browser.click("#agrees-yes").await;
    browser.click("#record-agreement").await;
    assert_eq!(
        browser
            .text_becomes("#plan-agreement", "The person agrees with the plan")
            .await,
        "The person agrees with the plan"
    );
    browser.click("#submit-plan").await;
    assert_eq!(
        browser
            .text_becomes("#plan-status", "Submitted for approval")
            .await,
        "Submitted for approval"
    );
    browser.sign_out().await;

    // The supervisor approves the plan: support starts.
    browser.sign_in(&site, "sup", password).await;
    browser.goto(&case_url).await;
    browser.click("#action-approve_plan").await;
    assert_eq!(
        browser.text_becomes("#case-status", "Active support").await,
        "Active support"
    );
    // While support runs the plan can be revised: the form says that saving starts a revision.
    assert!(browser.exists("#plan-revision-note").await);
    browser.sign_out().await;

    // The worker refers her to the psychologists and her son to a school place.
    browser.sign_in(&site, "aman", password).await;
    browser.goto(&case_url).await;
    let offer = browser
        .cmd(
            "POST",
            "/element",
            json!({"using": "css selector", "value": "#refer-target option[value^='offer:']"}),
        )
        .await;
    let offer = offer[ELEMENT].as_str().unwrap().to_owned();
    browser
        .cmd("POST", &format!("/element/{offer}/click"), json!({}))
        .await;
    browser
        .type_into("#refer-info", "Needs counselling after violence at home")
        .await;
    browser.click("#refer").await;
    // Universal services: employment support, health, and a school place for her son. The list
    // of services is long: choose by value, as a keyboard user would by typing.
    for (service, recipient) in [
        ("U_EMPLOY", "Employment office"),
        ("U_HEALTH", "Polyclinic No. 2"),
        ("U_EDU", "School No. 5"),
    ] {
        let chosen = browser
            .cmd(
                "POST",
                "/execute/sync",
                json!({"script": format!("const s = document.querySelector('#refer-target'); s.value = 'service:{service}'; return s.value;"), "args": []}),
            )
            .await;
        assert_eq!(chosen, format!("service:{service}"));
        browser.type_into("#refer-recipient", recipient).await;
        browser.click("#refer").await;
        browser.text_containing("#referral-list", recipient).await;
    }
    let referrals = browser
        .text_containing("#referral-list", "School No. 5")
        .await;
    assert!(
        referrals.contains("Ýaşyl ýol")
            && referrals.contains("School No. 5")
            && referrals.contains("Employment office")
            && referrals.contains("Polyclinic No. 2"),
        "{referrals}"
    );
    browser.sign_out().await;

    // The provider sees the referral (not the case), accepts it, starts and delivers sessions.
    browser.sign_in(&site, "psy", password).await;
    browser.goto(&format!("{site}/provider")).await;
    let inbox = browser.text_containing("#inbox", "Needs counselling").await;
    assert!(
        inbox.contains("Needs counselling after violence at home"),
        "{inbox}"
    );
    assert!(
        !inbox.contains("Her husband threatens her"),
        "the provider sees no case text"
    );
    browser.click("#inbox button.accept").await;
    assert_eq!(
        browser
            .text_becomes("#inbox .referral-status", "Accepted")
            .await,
        "Accepted"
    );
    browser.click("#inbox button.start").await;
    assert_eq!(
        browser
            .text_becomes("#inbox .referral-status", "Service started")
            .await,
        "Service started"
    );
    // Two deliveries of one session each.
    browser.click("#inbox button.deliver").await;
    browser.text_containing("#inbox", "Service started").await;
    browser.click("#inbox button.deliver").await;
    browser.text_containing("#inbox", "Service started").await;
    // The provider may not open the case itself.
    browser.goto(&case_url).await;
    let denied = browser.text_containing("h1", "Access denied").await;
    assert_eq!(denied, "Access denied");
    browser.goto(&format!("{site}/provider")).await;
    browser.sign_out().await;

    // The worker sees the service running with its units, records the closing review with
    // outcomes and asks to close; the supervisor closes.
    browser.sign_in(&site, "aman", password).await;
    browser.goto(&case_url).await;
    let referrals = browser.text("#referral-list").await;
    assert!(
        referrals.contains("Service started") && referrals.contains(" 2"),
        "{referrals}"
    );
    browser.click("#review-kind option[value=closing]").await;
    let ratings = browser
        .cmd(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": "select[id^=rating-] option[value=achieved]"}),
        )
        .await;
    for option in ratings.as_array().unwrap() {
        let id = option[ELEMENT].as_str().unwrap();
        browser
            .cmd("POST", &format!("/element/{id}/click"), json!({}))
            .await;
    }
    browser.type_into("#feels_safe", "9").await;
    browser.click("#add-review").await;
    assert!(browser
        .text("#review-list")
        .await
        .contains("Closing review"));
    browser
        .click("#reason-request_closure option[value=goals_achieved]")
        .await;
    browser.click("#action-request_closure").await;
    assert!(browser.text("#pending").await.contains("Goals achieved"));
    browser.sign_out().await;
    browser.sign_in(&site, "sup", password).await;
    browser.goto(&case_url).await;
    browser.click("#action-approve_closure").await;
    assert_eq!(
        browser.text_becomes("#case-status", "Closed").await,
        "Closed"
    );
    browser.quit().await;
}
