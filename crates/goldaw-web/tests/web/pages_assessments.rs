//! The assessment pages over HTTP: started from the case page, answered domain by domain through
//! the generated form (in the page's language, from the instrument data), refused while answers are
//! missing, completed, and read back; the screening then offers the proposed priority.

use goldaw_core::codes::{ReferralSource, Role};
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{ActionRequest, NewReferral};
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};
use serde_json::json;

use crate::common;
use common::{client, csrf_of, sign_in};

const PASSWORD: &str = "Garagum 350000 km2";

async fn add_user(store: &Store, name: &str, role: Role, sensitive: bool) {
    store
        .add_user(
            &Principal::system("test"),
            NewUser {
                username: name.into(),
                role,
                scope: "TM-A-05".parse().unwrap(),
                sensitive,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
}

struct Site {
    base: String,
    c: reqwest::Client,
}

impl Site {
    async fn get(&self, session: &str, path: &str) -> (StatusCode, String) {
        let r = self
            .c
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, session)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Posts a form; answers the status and where it sends the browser (or the page).
    async fn post(
        &self,
        session: &str,
        path: &str,
        form: &[(String, String)],
    ) -> (StatusCode, String) {
        let r = self
            .c
            .post(format!("{}{path}", self.base))
            .header(header::COOKIE, session)
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        (status, location.unwrap_or(r.text().await.unwrap()))
    }
}

fn pair(k: impl Into<String>, v: impl Into<String>) -> (String, String) {
    (k.into(), v.into())
}

/// The value of the `name` hidden field of a page.
fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no field {name}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_initial_assessment_is_done_through_the_form_and_proposes_the_screenings_priority() {
    let db = goldaw_store::testing::sqlite().await;
    let key = goldaw_store::crypto::Secrets::from_key([2u8; 32]);
    let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
    let base = crate::common::TestApp::spawn(&store).await.base;
    add_user(&store, "aman", Role::SocialWorker, true).await;
    add_user(&store, "maral", Role::SocialWorker, true).await;
    add_user(&store, "line", Role::Hotline, true).await;
    let op = Principal::system("test");
    let person = store
        .create_person(
            &op,
            None,
            serde_json::from_value(json!({"given_name": "Aýna", "family_name": "Saparowa",
                "sex": "F", "birth_date": "1991-09-09", "admin_unit": "TM-A-05"}))
            .unwrap(),
        )
        .await
        .unwrap();
    let case = store
        .register_referral(
            &op,
            NewReferral {
                person: person.id,
                admin_unit: "TM-A-05".parse().unwrap(),
                referral_source: ReferralSource::Health,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            },
        )
        .await
        .unwrap();
    let case = store
        .allocate_case(&op, case.id, case.version, "aman")
        .await
        .unwrap();
    store
        .act_on_case(
            &op,
            case.id,
            ActionRequest {
                action: CaseAction::StartInitial,
                version: case.version,
                priority: None,
                reason: None,
                transfer_to: None,
            },
        )
        .await
        .unwrap();
    let site = Site {
        base: base.clone(),
        c: client(),
    };
    // In English: the instrument's own English wording.
    let aman = format!(
        "{}; goldaw_lang=en",
        sign_in(&base, "aman", PASSWORD).await.1.unwrap()
    );
    let case_path = format!("/cases/{}", case.id);

    // The case page says why screening cannot conclude yet, and offers the initial assessment.
    let (status, page) = site.get(&aman, &case_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"assessment-hint\""), "{page}");
    assert!(
        !page.contains("id=\"action-complete_initial\""),
        "screening is not offered yet"
    );
    assert!(page.contains("id=\"start-initial\""));
    let csrf = csrf_of(&page);
    let (status, to) = site
        .post(
            &aman,
            &format!("{case_path}/assessments"),
            &[
                pair("csrf", &csrf),
                pair("instrument", "initial"),
                pair("person-0", person.id.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert!(to.starts_with("/assessments/"), "{to}");
    let form_path = to.clone();

    // Step 1 of 7: immediate safety, with the instrument's questions and answer labels.
    let (status, form) = site.get(&aman, &form_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("Is anyone in the household at risk of violence or abuse now?"),
        "{form}"
    );
    assert!(form.contains("Part 1 of 7"), "{form}");
    let p = person.id;
    let field = |item: &str| format!("a:{p}:{item}");
    let version = hidden(&form, "version");
    let (status, to) = site
        .post(
            &aman,
            &form_path,
            &[
                pair("csrf", &csrf),
                pair("version", &version),
                pair("step", "0"),
                pair("go", "next"),
                pair(field("safety_violence"), "yes"),
                pair(field("safety_neglect"), "no"),
                pair(field("safety_details"), "He threatened her with a knife"),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("{form_path}?step=1").as_str()
        )
    );
    // A stale version: refused as a conflict, nothing overwritten.
    let (status, _) = site
        .post(
            &aman,
            &form_path,
            &[
                pair("csrf", &csrf),
                pair("version", &version),
                pair("step", "0"),
                pair(field("safety_violence"), "no"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Completing now is refused on the check step, listing what is missing in the page's language.
    let (_, check) = site.get(&aman, &format!("{form_path}?step=6")).await;
    assert!(check.contains("Check and complete"), "{check}");
    let (status, page) = site
        .post(
            &aman,
            &format!("{form_path}/complete"),
            &[
                pair("csrf", &csrf),
                pair("version", hidden(&check, "version")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("cannot be completed yet"), "{page}");
    assert!(
        page.contains("Is anyone at risk of harming themselves or of suicide?"),
        "{page}"
    );

    // The other parts, step by step, as the form sends them.
    let held = store.instruments();
    let instrument = held.get("initial", 1).unwrap();
    for (step, domain) in instrument.domains.iter().enumerate() {
        let (_, form) = site.get(&aman, &format!("{form_path}?step={step}")).await;
        let mut fields = vec![
            pair("csrf", &csrf),
            pair("version", hidden(&form, "version")),
            pair("step", step.to_string()),
            pair("go", "next"),
        ];
        for item in &domain.items {
            let value = match item.answer {
                goldaw_core::instruments::AnswerKind::YesNo if item.code == "safety_violence" => {
                    "yes"
                }
                goldaw_core::instruments::AnswerKind::YesNo if item.code.starts_with("consent") => {
                    "yes"
                }
                goldaw_core::instruments::AnswerKind::YesNo => "no",
                goldaw_core::instruments::AnswerKind::Wg => "2",
                goldaw_core::instruments::AnswerKind::Text if item.code == "safety_details" => {
                    "He threatened her with a knife"
                }
                _ => "",
            };
            fields.push(pair(field(&item.code), value));
        }
        let (status, to) = site.post(&aman, &form_path, &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "step {step}: {to}");
    }
    let (_, check) = site.get(&aman, &format!("{form_path}?step=6")).await;
    assert!(check.contains("id=\"assessment-ready\""), "{check}");
    // Another worker of the etrap may read the draft, not change it: the read view.
    let maral = sign_in(&base, "maral", PASSWORD).await.1.unwrap();
    let (status, seen) = site.get(&maral, &form_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!seen.contains("id=\"assessment-form\"") && seen.contains("id=\"assessment-status\""));
    // The hotline reads no assessments.
    let line = sign_in(&base, "line", PASSWORD).await.1.unwrap();
    assert_eq!(site.get(&line, &form_path).await.0, StatusCode::FORBIDDEN);

    let (status, to) = site
        .post(
            &aman,
            &format!("{form_path}/complete"),
            &[
                pair("csrf", &csrf),
                pair("version", hidden(&check, "version")),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            format!("{case_path}#assessments").as_str()
        )
    );

    // The case page: completed, the screening offered with the proposal as its default.
    let (_, page) = site.get(&aman, &case_path).await;
    assert!(page.contains("id=\"action-complete_initial\""), "{page}");
    assert!(page.contains("id=\"priority-proposal\""), "{page}");
    assert!(
        page.contains("The initial assessment proposes: Critical"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"critical\" selected>"),
        "{page}"
    );
    assert!(!page.contains("id=\"assessment-hint\""));

    // The read view, in Turkmen (the default): the answers with the instrument's labels.
    let aman_tk = sign_in(&base, "aman", PASSWORD).await.1.unwrap();
    let (_, read) = site.get(&aman_tk, &form_path).await;
    assert!(read.contains("Tamamlandy"), "{read}");
    assert!(
        read.contains("Birneme kynçylyk bar"),
        "the WG label in Turkmen: {read}"
    );
    assert!(read.contains("He threatened her with a knife"));
    // Her record now holds the Washington Group answers: some difficulty, no disability.
    let her = store.person(&op, person.id).await.unwrap();
    assert_eq!(her.data.washington_group.seeing.map(|w| w.code()), Some(2));
    assert!(!her.disability);
}
