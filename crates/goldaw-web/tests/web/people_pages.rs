//! A person's and a household's page, and the probable duplicates (issue #19), through the web
//! on every backend: what is shown and linked, the edit with its version (303; stale 409;
//! a bad field 422, nothing written), and the refusals (out of scope 404, a role 403).

use goldaw_core::codes::Role;
use goldaw_core::people::PersonData;
use goldaw_store::Principal;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;

const PASSWORD: &str = "Köpetdag 2942 metr";

fn version_of(page: &str) -> String {
    page.split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

goldaw_store::each_backend! {
    async fn a_person_page_is_read_and_edited_in_scope_with_its_version(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        let op = Principal::system("test");
        let home = store
            .create_household(&op, Some("H7".parse().unwrap()),
                serde_json::from_value(json!({"admin_unit": "TM-A-01", "address": "Magtymguly 5"})).unwrap())
            .await
            .unwrap();
        let mut ids = Vec::new();
        for data in [
            json!({"given_name": "Maral", "family_name": "Ýazowa", "sex": "F", "birth_date": "1980-02-03", "admin_unit": "TM-A-01", "household_id": "H7", "relationship": "head"}),
            json!({"given_name": "Марал", "family_name": "Язова", "sex": "F", "birth_date": "1980-02-03", "admin_unit": "TM-A-01"}),
        ] {
            let data: PersonData = serde_json::from_value(data).unwrap();
            ids.push(store.create_person(&op, None, data).await.unwrap().id);
        }
        let (maral, twin) = (ids[0], ids[1]);
        let case = store
            .register_referral(&op, goldaw_store::cases::NewReferral {
                person: maral,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: goldaw_core::codes::ReferralSource::Health,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            })
            .await
            .unwrap();
        app.account("sup", Role::Supervisor, "TM-A-01", PASSWORD).await;
        app.account("far", Role::Supervisor, "TM-S-02", PASSWORD).await;
        app.account("plan", Role::Planner, "TM-A", PASSWORD).await;
        app.account("worker", Role::SocialWorker, "TM-A-01", PASSWORD).await;
        let sup = app.sign_in("sup", PASSWORD).await;

        // The page: who, the household (linked), the case (linked), the history.
        let path = format!("/people/{maral}");
        let (status, page) = app.page(&sup, &path).await;
        assert_eq!(status, StatusCode::OK, "{b}: {page}");
        assert!(page.contains("Ýazowa Maral"), "{b}");
        assert!(page.contains(&format!("href=\"/households/{}\"", home.id)), "{b}");
        assert!(page.contains(&format!("href=\"/cases/{}\"", case.id)), "{b}");
        assert!(page.contains("id=\"person-history\""), "{b}");
        // In Turkmen and Russian too.
        let (_, tk) = app.page(&format!("{sup}; goldaw_lang=tk"), &path).await;
        assert!(tk.contains("Ýazgynyň taryhy") && tk.contains("Maşgala baştutany"), "{b}");
        let (_, ru) = app.page(&format!("{sup}; goldaw_lang=ru"), &path).await;
        assert!(ru.contains("История записи"), "{b}");
        // Linked from the search and from the case page.
        let (_, search) = app.page(&sup, "/people?q=maral").await;
        assert!(search.contains(&format!("href=\"/people/{maral}\"")), "{b}");
        let (_, case_page) = app.page(&sup, &format!("/cases/{}", case.id)).await;
        assert!(case_page.contains(&format!("href=\"/people/{maral}\"")), "{b}");

        // The supervisor's probable duplicates (the twin in Cyrillic), each pair linked to the merge.
        let (status, dups) = app.page(&sup, "/people/duplicates").await;
        assert_eq!(status, StatusCode::OK, "{b}: {dups}");
        assert!(dups.contains("/people/merge?merged="), "{b}: {dups}");
        assert!(dups.contains("id=\"duplicates-checked\""), "{b}: the page says how many it checked");
        let (status, _) = app.page(&sup, "/people/duplicates?after=zz").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

        // Edit at the version shown: 303 back to the page, the change in the history.
        let version = version_of(&page);
        let form = |given: &'static str, born: &'static str, v: String| {
            vec![
                ("version", v), ("given_name", given.to_owned()), ("family_name", "Ýazowa".to_owned()),
                ("birth_date", born.to_owned()), ("sex", "F".to_owned()), ("settlement", "urban".to_owned()),
                ("receives_benefits", "yes".to_owned()), ("relationship", "head".to_owned()),
            ]
        };
        let send = |fields: Vec<(&'static str, String)>| {
            let (app, sup, path) = (&app, &sup, path.clone());
            async move {
                let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.submit(sup, &path, &path, &borrowed).await.status()
            }
        };
        assert_eq!(send(form("Merjen", "1980-02-03", version.clone())).await, StatusCode::SEE_OTHER, "{b}");
        let (_, page) = app.page(&sup, &path).await;
        assert!(page.contains("Ýazowa Merjen"), "{b}");
        // The same version again: someone changed it meanwhile (409), nothing written.
        assert_eq!(send(form("Bibi", "1980-02-03", version.clone())).await, StatusCode::CONFLICT, "{b}");
        // A date that is not one: 422, nothing written.
        let now = version_of(&page);
        assert_eq!(send(form("Bibi", "1980-02-31", now.clone())).await, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let record = store.person(&op, maral).await.unwrap();
        assert_eq!(record.data.given_name.as_str(), "Merjen", "{b}");
        assert_eq!(record.version.to_string(), now, "{b}");

        // The household: its members; the address changed at its version.
        let hpath = format!("/households/{}", home.id);
        let (status, hpage) = app.page(&sup, &hpath).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(hpage.contains(&format!("href=\"/people/{maral}\"")), "{b}");
        let hv = version_of(&hpage);
        let r = app.submit(&sup, &hpath, &hpath, &[("version", &hv), ("address", "Bitarap 7"), ("settlement", "")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        // The twin moves in, found by the id goldaw gave her.
        let r = app
            .submit(&sup, &hpath, &format!("{hpath}/members"), &[("person", &twin.to_string()), ("relationship", "sibling")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, hpage) = app.page(&sup, &hpath).await;
        assert!(hpage.contains("Bitarap 7") && hpage.contains(&format!("href=\"/people/{twin}\"")), "{b}");
        let r = app.submit(&sup, &hpath, &format!("{hpath}/members"), &[("person", "NOBODY"), ("relationship", "")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");


        // Out of scope: 404 (as if nobody were there); a role that does not read people: 403.
        let far = app.sign_in("far", PASSWORD).await;
        assert_eq!(app.page(&far, &path).await.0, StatusCode::NOT_FOUND, "{b}");
        assert_eq!(app.page(&far, &hpath).await.0, StatusCode::NOT_FOUND, "{b}");
        let r = app.submit(&far, "/people", &path, &[("version", &now), ("given_name", "X"), ("sex", "F")]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{b}");
        let plan = app.sign_in("plan", PASSWORD).await;
        assert_eq!(app.page(&plan, &path).await.0, StatusCode::FORBIDDEN, "{b}");
        let worker = app.sign_in("worker", PASSWORD).await;
        assert_eq!(app.page(&worker, "/people/duplicates").await.0, StatusCode::FORBIDDEN, "{b}");
        let (status, wpage) = app.page(&worker, &path).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(!wpage.contains("person-merge"), "{b}: only supervisors merge");
        assert_eq!(store.person(&op, maral).await.unwrap().data.given_name.as_str(), "Merjen", "{b}");
    }
}

async fn principal(store: &goldaw_store::Store, name: &str, role: Role) -> Principal {
    let rec = store
        .add_user(
            &Principal::system("test"),
            goldaw_store::users::NewUser {
                username: name.into(),
                role,
                scope: "TM-A-01".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    Principal::user(rec.id, name, role, "TM-A-01".parse().unwrap(), false)
}

fn act(
    action: goldaw_core::workflow::CaseAction,
    version: i32,
) -> goldaw_store::cases::ActionRequest {
    goldaw_store::cases::ActionRequest {
        action,
        version,
        priority: None,
        reason: None,
        transfer_to: None,
    }
}

goldaw_store::each_backend! {
    async fn the_plan_is_written_as_rows_and_the_legal_basis_on_the_case_page(db: TestDb) {
        use goldaw_core::workflow::CaseAction;
        let b = db.backend;
        let store = db.open_with_key().await;
        let app = TestApp::spawn(&store).await;
        let sup = principal(&store, "sup", Role::Supervisor).await;
        let aman = principal(&store, "aman", Role::SocialWorker).await;
        let person = store
            .create_person(&sup, None, serde_json::from_value(json!({"given_name": "Jeren", "sex": "F", "birth_date": "1990-03-03", "admin_unit": "TM-A-01"})).unwrap())
            .await
            .unwrap()
            .id;
        let case = store
            .register_referral(&sup, goldaw_store::cases::NewReferral {
                person,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: goldaw_core::codes::ReferralSource::Health,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            })
            .await
            .unwrap();
        let mut case = store.allocate_case(&sup, case.id, case.version, "aman").await.unwrap();
        case = store.act_on_case(&aman, case.id, act(CaseAction::StartInitial, case.version)).await.unwrap();
        goldaw_store::testing::assess(&store, &aman, case.id, "initial").await.unwrap();
        case = store
            .act_on_case(&aman, case.id, goldaw_store::cases::ActionRequest {
                priority: Some(goldaw_core::codes::Priority::Support),
                ..act(CaseAction::CompleteInitial, case.version)
            })
            .await
            .unwrap();
        goldaw_store::testing::assess(&store, &aman, case.id, "holistic_adult").await.unwrap();
        case = store.act_on_case(&aman, case.id, act(CaseAction::CompleteHolistic, case.version)).await.unwrap();
        let path = format!("/cases/{}", case.id);
        let worker = app.sign_in("aman", PASSWORD).await;

        // The plan as rows: two goals, two actions (one for the second goal, a service chosen).
        let (status, page) = app.page(&worker, &path).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("name=\"goal_text_0\"") && page.contains("name=\"action_service_0\""), "{b}");
        assert!(page.contains("<option value=\"U_EDU\""), "{b}: services from the catalogue");
        let r = app
            .submit(&worker, &path, &format!("{path}/plan"), &[
                ("goal_text_0", "Feel safe at home"), ("goal_text_1", "A school place for my son"),
                ("goal_text_2", ""),
                ("action_who_0", "Psychologist"), ("action_what_0", "Weekly sessions"), ("action_due_0", ""),
                ("action_service_0", "S10"), ("action_goal_0", "1"),
                ("action_who_1", "School"), ("action_what_1", "A place for her son"), ("action_due_1", "2027-01-10"),
                ("action_service_1", "U_EDU"), ("action_goal_1", "2"),
                ("action_who_2", ""), ("action_what_2", ""), ("action_due_2", ""), ("action_service_2", ""), ("action_goal_2", ""),
            ])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}: {}", r.text().await.unwrap());
        let plans = store.case_plans(&aman, case.id).await.unwrap();
        let plan = &plans[0];
        assert_eq!(plan.goals.len(), 2, "{b}");
        assert_eq!(plan.actions.len(), 2, "{b}");
        assert_eq!(plan.actions[1].goal_id, Some(plan.goals[1].id), "{b}: the action serves goal 2");
        assert_eq!(plan.actions[1].service_code.as_deref(), Some("U_EDU"), "{b}");
        assert_eq!(plan.actions[1].due_on.map(|d| d.to_string()).as_deref(), Some("2027-01-10"), "{b}");
        // The form shows the rows again; a row removed is gone, the rest kept.
        let (_, page) = app.page(&worker, &path).await;
        assert!(page.contains("value=\"Weekly sessions\""), "{b}");
        let version = plan.version.to_string();
        let r = app
            .submit(&worker, &path, &format!("{path}/plan"), &[
                ("version", version.as_str()),
                ("goal_text_0", "Feel safe at home"), ("goal_text_1", "A school place for my son"),
                ("action_who_0", "Psychologist"), ("action_what_0", "Weekly sessions"), ("action_remove_0", "yes"),
                ("action_who_1", "School"), ("action_what_1", "A place for her son"), ("action_goal_1", "2"),
            ])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let plans = store.case_plans(&aman, case.id).await.unwrap();
        assert_eq!(plans[0].actions.len(), 1, "{b}");
        assert_eq!(plans[0].actions[0].who.as_deref(), Some("School"), "{b}");
        // An action without "what": 422, the plan unchanged.
        let r = app
            .submit(&worker, &path, &format!("{path}/plan"), &[
                ("version", &plans[0].version.to_string()), ("goal_text_0", "Feel safe"),
                ("action_who_0", "Psychologist"), ("action_what_0", ""),
            ])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(store.case_plans(&aman, case.id).await.unwrap()[0].goals.len(), 2, "{b}");

        // The legal basis: the worker sees the section without the form; the supervisor records.
        assert!(!page.contains("id=\"legal-basis-form\""), "{b}");
        let boss = app.sign_in("sup", PASSWORD).await;
        let (_, page) = app.page(&boss, &path).await;
        assert!(page.contains("id=\"legal-basis-form\""), "{b}");
        let action = format!("{path}/legal-basis");
        let r = app
            .submit(&boss, &path, &action, &[("kind", "court_order"), ("reference", "17/2026"), ("issued_on", "2026-13-01"), ("issued_by", "Court of Ahal")])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{b}: a date that is not one");
        let r = app
            .submit(&boss, &path, &action, &[("kind", "court_order"), ("reference", "17/2026"), ("issued_on", "2026-01-05"), ("issued_by", "Court of Ahal")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, page) = app.page(&worker, &path).await;
        assert!(page.contains("17/2026") && page.contains("Court of Ahal"), "{b}");
        assert_eq!(store.case_legal_bases(&sup, case.id).await.unwrap().len(), 1, "{b}");
        // The worker may not record one (the store says so too).
        let r = app
            .submit(&worker, &path, &action, &[("kind", "court_order"), ("reference", "18/2026"), ("issued_on", "2026-01-05"), ("issued_by", "Court")])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{b}");
        assert_eq!(store.case_legal_bases(&sup, case.id).await.unwrap().len(), 1, "{b}");
    }
}
