//! The workforce register in real headless Chromium (issue #22): a supervisor records a
//! supervision session and her worker's completed training; the planner sees the etrap's vacancies
//! on the plan.

use crate::webdriver::Driver;
use chrono::Datelike;
use goldaw_core::codes::Role;
use goldaw_store::users::NewUser;
use goldaw_store::workforce::{NewCourse, NewPost, NewStaff};
use goldaw_store::Principal;
use serde_json::json;

const PASSWORD: &str = "Garagum derýasy 1388";

async fn sign_in(browser: &Driver, site: &str, username: &str) {
    browser.goto(&format!("{site}/login")).await;
    browser.type_into("#username", username).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.second_factor(username).await;
    browser.find("#home-title").await;
}

#[tokio::test]
async fn a_supervisor_records_supervision_and_training_and_the_planner_sees_vacancies() {
    let Some(browser) = Driver::start("1280,1000").await else {
        return;
    };
    let db = goldaw_store::testing::sqlite().await;
    let key = goldaw_store::crypto::Secrets::from_hex(&"5a".repeat(32)).unwrap();
    let store = goldaw_store::Store::open_with_secrets(&db.url, Some(key))
        .await
        .unwrap();
    let op = Principal::system("test");
    for (name, role, scope) in [
        ("maral", Role::Supervisor, "TM-A-01"),
        ("aman", Role::SocialWorker, "TM-A-01"),
        ("plan", Role::Planner, "TM-A"),
    ] {
        store
            .add_user(
                &op,
                NewUser {
                    username: name.into(),
                    role,
                    scope: scope.parse().unwrap(),
                    sensitive: false,
                    unsuppressed: false,
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
    }
    let mut posts = Vec::new();
    for (id, unit) in [
        ("B-1", "TM-A-01"),
        ("B-2", "TM-A-01"),
        ("B-3", "TM-A-01"),
        ("B-4", "TM-A-02"),
    ] {
        let p = store
            .create_post(
                &op,
                NewPost {
                    external_id: id.parse().unwrap(),
                    admin_unit: unit.parse().unwrap(),
                    organisation: "MLSP".into(),
                    position: "social_worker".into(),
                    fte_percent: None,
                    funded_from: "2024-01-01".parse().unwrap(),
                },
            )
            .await
            .unwrap();
        posts.push(p.id);
    }
    let staff = |id: &str, name: &str, position: &str, user: &str, post: uuid::Uuid| {
        serde_json::from_value::<NewStaff>(json!({
            "external_id": id, "given_name": name, "family_name": "Orazowa", "admin_unit": "TM-A-01",
            "organisation": "MLSP", "org_kind": "state", "position": position, "employment": "full_time",
            "hired_on": "2024-01-10", "username": user, "post_id": post
        }))
        .unwrap()
    };
    store
        .hire_staff(&op, staff("BS-1", "Maral", "supervisor", "maral", posts[0]))
        .await
        .unwrap();
    let aman = store
        .hire_staff(
            &op,
            staff("BS-2", "Aman", "social_worker", "aman", posts[1]),
        )
        .await
        .unwrap()
        .id;
    let year = goldaw_core::deadlines::local_date(chrono::Utc::now()).year();
    let course = store
        .create_course(
            &op,
            NewCourse {
                external_id: "BC-1".parse().unwrap(),
                topic: "Case management".into(),
                hours: 24,
                trainer: None,
                starts_on: chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
                ends_on: chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
                place: None,
            },
        )
        .await
        .unwrap()
        .id;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve(store.clone(), listener));

    // The supervisor records a one-to-one session with Aman.
    sign_in(&browser, &site, "maral").await;
    browser.click("a[lang=en]").await;
    // Aman has never been supervised: her supervision is due on Maral's task list.
    browser.goto(&format!("{site}/tasks")).await;
    let due = browser.text("#supervision-due").await;
    assert!(
        due.contains("Aman"),
        "the supervision due is on the task list: {due}"
    );
    browser.goto(&format!("{site}/workforce")).await;
    browser
        .click(&format!("#workers option[value='{aman}']"))
        .await;
    browser.click("#sv_form option[value='one_to_one']").await;
    browser
        .type_into("#actions", "Visit the family with the school")
        .await;
    browser.click("#record-supervision").await;
    browser.find("#staff").await;
    // Supervised today: no longer due.
    browser.goto(&format!("{site}/tasks")).await;
    browser.find("#overdue-count").await;
    assert!(
        !browser.exists("#supervision-due").await,
        "the session recorded, Aman's supervision is no longer due"
    );
    // ... and Aman's completed training, on her record.
    browser
        .goto(&format!("{site}/workforce/staff/{aman}"))
        .await;
    browser
        .click(&format!("#course_id option[value='{course}']"))
        .await;
    browser.click("#status option[value='completed']").await;
    browser.click("#record-training").await;
    assert_eq!(
        browser
            .text_becomes("td.status-completed", "Completed")
            .await,
        "Completed"
    );
    let text = browser.text("#supervision").await;
    assert!(
        text.contains("One-to-one") && text.contains("Visit the family with the school"),
        "{text}"
    );
    assert!(browser.text("#cpd").await.contains("24 of 40"));
    browser.click("#sign-out").await;
    browser.find("#username").await;

    // The planner sees each etrap's vacancies beside the plan.
    sign_in(&browser, &site, "plan").await;
    browser.click("a[lang=en]").await;
    browser.goto(&format!("{site}/planning")).await;
    assert_eq!(browser.text_becomes("#wf-vacant-TM-A-01", "1").await, "1");
    assert_eq!(browser.text_becomes("#wf-vacant-TM-A-02", "1").await, "1");
    assert!(browser
        .text("#workforce-register")
        .await
        .contains("The register against the plan"));
    browser.quit().await;
}
