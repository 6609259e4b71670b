//! Issue #16, item 2: every route of a case goes through the one scoped read of the case.
//!
//! Each `/api/v1/cases/{id}...` path of the OpenAPI document, each `/cases/{id}...` page (the list
//! below, held to the pages' source) and each route that reaches a case through one of its
//! records is walked as every role that may not read the case: it answers exactly as it answers
//! for a case that does not exist (404, or 403 for a role that never reads cases), and the body
//! holds none of the case's data. A worker and a supervisor without the `sensitive` permission
//! walk a sensitive case of their own etrap: they see its code, never whom it is about nor any
//! of its text. A supervisor with the permission walks it too, so the data looked for is shown
//! where it may be.

use goldaw_core::attachments::{AttachmentKind, UploadedFile};
use goldaw_core::codes::{Priority, ReferralSource, Role};
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{ActionRequest, NewReferral, NoteKind};
use goldaw_store::referrals::{NewProvider, NewServiceReferral, OfferRequest, ProviderKind};
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use uuid::Uuid;

use crate::common;

const PASSWORD: &str = "Balkan daglary 1880";

/// Every page route under `/cases/{id}`. `every_case_route_is_walked` holds this list to the
/// pages' source: a new page of a case fails until it is listed here, and so walked.
const CASE_PAGES: &[(&str, &str)] = &[
    ("get", "/cases/{id}"),
    ("get", "/cases/{id}/access"),
    ("post", "/cases/{id}/action"),
    ("post", "/cases/{id}/allocate"),
    ("post", "/cases/{id}/assessments"),
    ("post", "/cases/{id}/attachments"),
    ("post", "/cases/{id}/legal-basis"),
    ("post", "/cases/{id}/notes"),
    ("post", "/cases/{id}/plan"),
    ("post", "/cases/{id}/plan/agreement"),
    ("post", "/cases/{id}/plan/submit"),
    ("post", "/cases/{id}/referrals"),
    ("post", "/cases/{id}/reviews"),
    // Issue #18: consents, the safety plan, the hidden name.
    ("get", "/cases/{id}/consents"),
    ("post", "/cases/{id}/consents"),
    ("post", "/cases/{id}/consent-overrides"),
    ("post", "/cases/{id}/disclosures"),
    ("get", "/cases/{id}/safety-plan"),
    ("post", "/cases/{id}/safety-plan"),
    ("get", "/cases/{id}/name"),
    ("post", "/cases/{id}/incident-date"),
    ("get", "/cases/{id}/legal-hold"),
    ("post", "/cases/{id}/legal-hold"),
    ("post", "/cases/{id}/legal-hold/lift"),
];

/// API routes that reach a case through one of its records (walked with that record's id).
const RECORD_ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/assessments/{id}"),
    ("put", "/api/v1/assessments/{id}"),
    ("post", "/api/v1/assessments/{id}/complete"),
    ("get", "/api/v1/attachments/{id}"),
    ("post", "/api/v1/referrals/{id}/cancel"),
];

/// The OpenAPI document's routes of one case: (method, path).
fn api_case_routes() -> BTreeSet<(String, String)> {
    let doc: Value =
        serde_json::to_value(<goldaw_web::api::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/cases/{id}") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.clone(), path.clone()));
        }
    }
    routes
}

#[test]
fn every_case_route_is_walked() {
    let of_a_case = |routes: BTreeSet<(String, String)>, prefix: &str| {
        routes
            .into_iter()
            .filter(|(_, p)| p.starts_with(prefix))
            .collect::<BTreeSet<_>>()
    };
    let listed: BTreeSet<(String, String)> = CASE_PAGES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        of_a_case(common::declared_routes("src/pages"), "/cases/{id}"),
        listed,
        "every page of a case is listed in CASE_PAGES (and so walked)"
    );
    // The API router holds exactly the case routes the OpenAPI document has, which are walked.
    let declared: BTreeSet<(String, String)> =
        of_a_case(common::declared_routes("src/api"), "/cases/{id}")
            .into_iter()
            .map(|(m, p)| (m, format!("/api/v1{p}")))
            .collect();
    let documented = api_case_routes();
    assert!(documented.len() >= 15, "{documented:?}");
    assert_eq!(
        declared, documented,
        "every API route of a case is documented"
    );
}

/// One caller: an API token and a signed-in page session with its form token.
struct Caller {
    id: Uuid,
    name: String,
    role: Role,
    token: String,
    session: String,
    csrf: String,
}

async fn caller(
    store: &Store,
    base: &str,
    name: &str,
    role: Role,
    scope: &str,
    sensitive: bool,
) -> Caller {
    let op = Principal::system("test");
    let user = store
        .add_user(
            &op,
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
        .unwrap();
    let token = store.create_token(&op, name).await.unwrap();
    let session = common::sign_in(base, name, PASSWORD).await.1.unwrap();
    if role == Role::Admin {
        common::enrol(store, base, &session, user.id, name).await;
    }
    let home = common::client()
        .get(format!("{base}/"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Caller {
        id: user.id,
        name: name.into(),
        role,
        token,
        session,
        csrf: common::csrf_of(&home),
    }
}

/// A case to walk, with the ids that reach it and what must not leak from it.
struct Target {
    label: &'static str,
    case: Uuid,
    version: i32,
    person: Uuid,
    assessment: Uuid,
    attachment: Uuid,
    referral: Uuid,
    /// Text and ids of the case that a reader outside it must never get.
    secrets: Vec<String>,
    /// Those of them the case's API and page show a reader with the permission.
    shown: Vec<String>,
}

const BOUNDARY: &str = "scope-walk-boundary";

fn multipart(csrf: Option<&str>) -> Vec<u8> {
    let mut body = String::new();
    if let Some(t) = csrf {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{t}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nother\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 x\r\n\
         --{BOUNDARY}--\r\n"
    ));
    body.into_bytes()
}

/// Sends `method path` to the API as `who`, with a body that would be valid for the case.
async fn api(
    base: &str,
    who: &Caller,
    method: &str,
    path: &str,
    t: &Target,
) -> (StatusCode, String) {
    let c = common::client();
    let url = format!("{base}{path}");
    let body = if path.ends_with("/actions") {
        json!({"action": "request_closure", "reason": "moved_away", "version": t.version})
    } else if path.ends_with("/allocation") {
        json!({"worker": "nobody", "version": t.version})
    } else if path.ends_with("/notes") {
        json!({"kind": "phone_call", "text": "Called"})
    } else if path.ends_with("/draft") {
        json!({"goals": [{"text": "Safe at home"}]})
    } else if path.ends_with("/reviews") {
        json!({"kind": "plan_review"})
    } else if path.ends_with("/referrals") {
        json!({"person": t.person, "service_code": "U_EDU", "recipient": "School 4"})
    } else if path.ends_with("/legal-bases") {
        json!({"kind": "court_order", "reference": "12/2026", "issued_on": "2026-01-05", "issued_by": "Court"})
    } else if path.ends_with("/assessments") {
        json!({"instrument": "holistic_adult"})
    } else if path.ends_with("/incident-date") {
        json!({"incident_on": "2026-01-05", "version": t.version})
    } else if method == "put" {
        json!({"version": 1, "answers": []})
    } else {
        json!({"version": 1})
    };
    let req = match method {
        "get" => c.get(&url),
        "put" => c.put(&url).json(&body),
        _ if path.ends_with("/attachments") => c
            .post(&url)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(None)),
        _ => c.post(&url).json(&body),
    };
    let r = req.bearer_auth(&who.token).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Sends `method path` to the pages as `who`, with the session's own form token and a form that
/// would be valid for the case.
async fn page(
    base: &str,
    who: &Caller,
    method: &str,
    path: &str,
    t: &Target,
) -> (StatusCode, String) {
    let c = common::client();
    let url = format!("{base}{path}");
    let version = t.version.to_string();
    let person = t.person.to_string();
    let no_plan = Uuid::now_v7().to_string();
    let form: Vec<(&str, &str)> = if path.ends_with("/action") {
        vec![
            ("action", "request_closure"),
            ("reason", "moved_away"),
            ("version", &version),
        ]
    } else if path.ends_with("/allocate") {
        vec![("worker", "nobody"), ("version", &version)]
    } else if path.ends_with("/notes") {
        vec![("kind", "phone_call"), ("text", "Called")]
    } else if path.ends_with("/legal-basis") {
        vec![
            ("kind", "court_order"),
            ("reference", "12/2026"),
            ("issued_on", "2026-01-02"),
            ("issued_by", "Court of Ahal"),
        ]
    } else if path.ends_with("/plan") {
        vec![("goals", "Safe at home")]
    } else if path.ends_with("/agreement") {
        vec![("plan", &no_plan), ("version", "1"), ("agrees", "yes")]
    } else if path.ends_with("/submit") {
        vec![("plan", &no_plan), ("version", "1")]
    } else if path.ends_with("/incident-date") {
        vec![("incident_on", "2026-01-05"), ("version", &version)]
    } else if path.ends_with("/reviews") {
        vec![("kind", "plan_review")]
    } else if path.ends_with("/referrals") {
        vec![
            ("person", &person),
            ("target", "service:U_EDU"),
            ("recipient", "School 4"),
        ]
    } else {
        vec![("instrument", "holistic_adult")]
    };
    let mut req = match method {
        "get" => c.get(&url),
        _ if path.ends_with("/attachments") => c
            .post(&url)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(Some(&who.csrf))),
        _ => {
            let mut fields = vec![("csrf", who.csrf.as_str())];
            fields.extend(form);
            c.post(&url).form(&fields)
        }
    };
    req = req.header(header::COOKIE, &who.session);
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The routes to walk for `t`, as (API or page, method, path with ids).
fn walk(t: &Target, case: Uuid) -> Vec<(bool, String, String)> {
    let mut out = Vec::new();
    for (method, path) in api_case_routes() {
        out.push((true, method, path.replace("{id}", &case.to_string())));
    }
    for (method, path) in RECORD_ROUTES {
        let id = if path.contains("assessments") {
            t.assessment
        } else if path.contains("attachments") {
            t.attachment
        } else {
            t.referral
        };
        // A record of no case, for the case that does not exist.
        let id = if case == t.case { id } else { case };
        out.push((
            true,
            method.to_string(),
            path.replace("{id}", &id.to_string()),
        ));
    }
    for (method, path) in CASE_PAGES {
        out.push((
            false,
            method.to_string(),
            path.replace("{id}", &case.to_string()),
        ));
    }
    out
}

/// A case in TM-A-01 in holistic assessment with a note, an assessment, a referral to a
/// provider with a note for it, and a document. `sensitive`: a gender-based-violence case of
/// the whole household (its subject and her son are named in it).
async fn target(store: &Store, lead: &Principal, offer: Uuid, sensitive: bool) -> Target {
    let (name, family, household) = if sensitive {
        ("Gülnar", "Annaýewa", Some("H-WALK"))
    } else {
        ("Oraz", "Berdiýew", None)
    };
    let mut secrets: Vec<String> = vec![name.into(), family.into(), "Ýeňme Merkezi".into()];
    let mut person_json = json!({"given_name": name, "family_name": family, "sex": "F",
        "birth_date": "1990-04-02", "admin_unit": "TM-A-01"});
    if let Some(h) = household {
        store
            .create_household(
                lead,
                Some(h.parse().unwrap()),
                serde_json::from_value(
                    json!({"admin_unit": "TM-A-01", "address": "Magtymguly köçesi 7"}),
                )
                .unwrap(),
            )
            .await
            .unwrap();
        person_json["household_id"] = json!(h);
        let son = store
            .create_person(
                lead,
                None,
                serde_json::from_value(json!({"given_name": "Merdan", "family_name": family,
                    "sex": "M", "birth_date": "2016-03-03", "admin_unit": "TM-A-01", "household_id": h}))
                .unwrap(),
            )
            .await
            .unwrap();
        secrets.extend([son.id.to_string(), "Merdan".into(), "Magtymguly".into()]);
    }
    // Of what follows, the case's reads and page show all to a reader who may see them.
    let mut shown: Vec<String> = vec![name.into(), "Ýeňme Merkezi".into()];
    let person = store
        .create_person(lead, None, serde_json::from_value(person_json).unwrap())
        .await
        .unwrap()
        .id;
    let tag = if sensitive { "S" } else { "P" };
    let concern = format!("CONCERN-{tag}-husband threatens");
    let case = store
        .register_referral(
            lead,
            NewReferral {
                person,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: ReferralSource::Health,
                referrer: Some(format!("REFERRER-{tag} Dr Aman")),
                concern: Some(concern.clone()),
                provisional_priority: None,
                sensitive,
                household_case: sensitive,
            },
        )
        .await
        .unwrap();
    let act = |action, version| ActionRequest {
        action,
        version,
        priority: None,
        reason: None,
        transfer_to: None,
    };
    let c = store
        .act_on_case(lead, case.id, act(CaseAction::StartInitial, case.version))
        .await
        .unwrap();
    let assessment = goldaw_store::testing::assess(store, lead, case.id, "initial")
        .await
        .unwrap()
        .id;
    let c = store
        .act_on_case(
            lead,
            case.id,
            ActionRequest {
                priority: Some(Priority::Support),
                ..act(CaseAction::CompleteInitial, c.version)
            },
        )
        .await
        .unwrap();
    let note = format!("NOTE-{tag} visited, bruises");
    store
        .add_case_note(
            lead,
            case.id,
            NoteKind::HomeVisit,
            chrono::Utc::now(),
            &note,
        )
        .await
        .unwrap();
    let info = format!("INFO-{tag} for the shelter");
    let referral = store
        .refer(
            lead,
            case.id,
            NewServiceReferral {
                person,
                service_code: "S01".parse().unwrap(),
                provider_service: Some(offer),
                recipient: None,
                info: Some(info.clone()),
            },
        )
        .await
        .unwrap()
        .id;
    let file_name = format!("FILE-{tag}-medical.pdf");
    let file = UploadedFile::parse(Some(&file_name), b"%PDF-1.4 walk".to_vec()).unwrap();
    let attachment = store
        .add_attachment(lead, case.id, AttachmentKind::MedicalReport, file)
        .await
        .unwrap()
        .id;
    shown.extend([
        person.to_string(),
        concern,
        format!("REFERRER-{tag}"),
        note,
        info,
        file_name,
    ]);
    secrets.extend(shown.iter().cloned());
    let version = store.case(lead, case.id).await.unwrap().version;
    assert_eq!(version, c.version);
    Target {
        label: if sensitive { "sensitive" } else { "plain" },
        case: case.id,
        version,
        person,
        assessment,
        attachment,
        referral,
        secrets,
        shown,
    }
}

fn leaks<'a>(body: &str, t: &'a Target) -> Vec<&'a str> {
    t.secrets
        .iter()
        .filter(|s| body.contains(s.as_str()))
        .map(String::as_str)
        .collect()
}

/// A server over a fresh database with two providers (an offer of PR1's in TM-A-01), the
/// etrap's supervisor with the permission, and two cases he works: a plain one and a sensitive
/// one of a whole household.
struct World {
    base: String,
    store: Store,
    lead: Caller,
    plain: Target,
    sensitive: Target,
}

async fn world(db: &goldaw_store::testing::TestDb) -> World {
    let key = goldaw_store::crypto::Secrets::from_key([9u8; 32]);
    let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
    let base = crate::common::TestApp::spawn(&store).await.base;
    let op = Principal::system("test");
    for (ext, name) in [("PR1", "Ýeňme Merkezi"), ("PR2", "Gyzyl Ýarymaý")] {
        store
            .create_provider(
                &op,
                NewProvider {
                    external_id: ext.into(),
                    name: name.into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: None,
                },
            )
            .await
            .unwrap();
    }
    let providers = store.list_providers(&op).await.unwrap();
    let pr1 = providers.iter().find(|p| p.external_id == "PR1").unwrap();
    let offer = store
        .set_offer(
            &op,
            pr1.id,
            OfferRequest {
                service_code: "S01".parse().unwrap(),
                admin_unit: "TM-A-01".parse().unwrap(),
                places: None,
                service_point: None,
                active: true,
                version: None,
            },
        )
        .await
        .unwrap();
    // The etrap's supervisor with the permission registers and works both cases.
    let lead_caller = caller(&store, &base, "lead", Role::Supervisor, "TM-A", true).await;
    let lead = Principal::user(
        lead_caller.id,
        "lead",
        Role::Supervisor,
        "TM-A".parse().unwrap(),
        true,
    );
    let plain = target(&store, &lead, offer.id, false).await;
    let sensitive = target(&store, &lead, offer.id, true).await;
    World {
        base,
        store,
        lead: lead_caller,
        plain,
        sensitive,
    }
}

#[tokio::test]
async fn every_route_of_a_case_answers_a_reader_outside_it_as_for_no_case_and_shows_nothing() {
    for db in goldaw_store::testing::databases().await {
        let World {
            base,
            store,
            lead: lead_caller,
            plain,
            sensitive,
        } = world(&db).await;
        // Everyone who may not read the cases, each with the sensitive permission so that scope
        // alone is what keeps them out.
        let mut outsiders = Vec::new();
        for (name, role, scope) in [
            ("worker-b", Role::SocialWorker, "TM-B-01"),
            ("supervisor-b", Role::Supervisor, "TM-B"),
            ("hotline", Role::Hotline, "TM"),
            ("provider-referred", Role::Provider, "provider:PR1"),
            ("provider-other", Role::Provider, "provider:PR2"),
            ("planner", Role::Planner, "TM"),
            ("ministry", Role::Ministry, "TM"),
            ("admin", Role::Admin, "TM"),
        ] {
            outsiders.push(caller(&store, &base, name, role, scope, true).await);
        }
        assert_eq!(
            outsiders
                .iter()
                .map(|c| c.role)
                .collect::<BTreeSet<_>>()
                .len(),
            Role::ALL.len(),
            "every role walks"
        );
        let mut failures = Vec::new();
        for t in [&plain, &sensitive] {
            let ghost = Uuid::now_v7();
            for who in &outsiders {
                let reads_cases = matches!(
                    who.role,
                    Role::SocialWorker | Role::Supervisor | Role::Hotline
                );
                for ((is_api, method, path), (_, _, ghost_path)) in
                    walk(t, t.case).into_iter().zip(walk(t, ghost))
                {
                    let send = |p: String| {
                        let (base, who, method) = (&base, who, method.clone());
                        async move {
                            if is_api {
                                api(base, who, &method, &p, t).await
                            } else {
                                page(base, who, &method, &p, t).await
                            }
                        }
                    };
                    let (status, body) = send(path.clone()).await;
                    let (no_case, _) = send(ghost_path).await;
                    let line = format!("{:17} {} {method:4} {path}", who.name, t.label);
                    if status != no_case {
                        failures.push(format!("{line}: {status}, but {no_case} for no case"));
                    }
                    let allowed = if reads_cases {
                        [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN]
                    } else {
                        [StatusCode::FORBIDDEN, StatusCode::FORBIDDEN]
                    };
                    if !allowed.contains(&status) {
                        failures.push(format!("{line}: {status}"));
                    }
                    let is_case = path.ends_with(&t.case.to_string());
                    if reads_cases && method == "get" && is_case && status != StatusCode::NOT_FOUND
                    {
                        failures.push(format!("{line}: {status}, expected 404"));
                    }
                    let leaked = leaks(&body, t);
                    if !leaked.is_empty() {
                        failures.push(format!("{line}: shows {leaked:?}"));
                    }
                }
            }
        }

        // Without the sensitive permission, in the case's own etrap: the sensitive case's code.
        let mut restricted = Vec::new();
        for (name, role, scope) in [
            ("worker-a", Role::SocialWorker, "TM-A-01"),
            ("supervisor-a", Role::Supervisor, "TM-A"),
        ] {
            restricted.push(caller(&store, &base, name, role, scope, false).await);
        }
        let t = &sensitive;
        for who in &restricted {
            for (is_api, method, path) in walk(t, t.case) {
                let (status, body) = if is_api {
                    api(&base, who, &method, &path, t).await
                } else {
                    page(&base, who, &method, &path, t).await
                };
                let line = format!("{:17} {} {method:4} {path}", who.name, t.label);
                let leaked = leaks(&body, t);
                if !leaked.is_empty() {
                    failures.push(format!("{line} ({status}): shows {leaked:?}"));
                }
                // Reading shows the code or is refused; nothing is changed.
                let ok = if method == "get" {
                    status == StatusCode::OK || status == StatusCode::FORBIDDEN
                } else {
                    status.is_client_error()
                };
                if !ok {
                    failures.push(format!("{line}: {status}"));
                }
            }
            let (status, body) =
                api(&base, who, "get", &format!("/api/v1/cases/{}", t.case), t).await;
            let seen: Value = serde_json::from_str(&body).unwrap_or_default();
            let code_only = seen["restricted"] == true && seen["person_id"] == Value::Null;
            if status != StatusCode::OK || !code_only {
                failures.push(format!("{}: not the code only: {status} {body}", who.name));
            }
        }

        // Where it may be read, the data looked for is there: the walk would see a leak.
        let mut shown = String::new();
        for path in ["", "/notes", "/referrals", "/attachments"] {
            let url = format!("/api/v1/cases/{}{path}", sensitive.case);
            shown.push_str(&api(&base, &lead_caller, "get", &url, &sensitive).await.1);
        }
        shown.push_str(
            &page(
                &base,
                &lead_caller,
                "get",
                &format!("/cases/{}", sensitive.case),
                &sensitive,
            )
            .await
            .1,
        );
        for s in &sensitive.shown {
            assert!(
                shown.contains(s.as_str()),
                "{}: {s} is not shown to the lead",
                db.backend
            );
        }
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            db.backend,
            failures.join("\n")
        );
    }
}

/// Item 8 in the API and the provider's inbox page: staff of the provider referred to, without
/// the sensitive permission, see the sensitive referral by its code (no name, no note) and the
/// ordinary one in full; once the worker cancels it, only that it was cancelled.
#[tokio::test]
async fn a_provider_sees_a_sensitive_referral_by_its_code_and_a_cancelled_one_as_cancelled() {
    for db in goldaw_store::testing::databases().await {
        let w = world(&db).await;
        let b = db.backend;
        let staff = caller(
            &w.store,
            &w.base,
            "ngo-staff",
            Role::Provider,
            "provider:PR1",
            false,
        )
        .await;
        let inbox = || async {
            let c = common::client();
            let page = c
                .get(format!("{}/provider", w.base))
                .header(header::COOKIE, &staff.session)
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), StatusCode::OK);
            let api = c
                .get(format!("{}/api/v1/provider/referrals", w.base))
                .bearer_auth(&staff.token)
                .send()
                .await
                .unwrap();
            assert_eq!(api.status(), StatusCode::OK);
            format!(
                "{}{}",
                page.text().await.unwrap(),
                api.text().await.unwrap()
            )
        };
        let seen = inbox().await;
        let sensitive_leaks: Vec<&str> = ["Gülnar", "INFO-S for the shelter"]
            .into_iter()
            .filter(|s| seen.contains(s))
            .collect();
        assert!(sensitive_leaks.is_empty(), "{b}: {sensitive_leaks:?}");
        assert!(
            seen.contains("Oraz") && seen.contains("INFO-P for the shelter"),
            "{b}"
        );
        // The page says why the name is missing, in the reader's language (Turkmen by default).
        assert!(seen.contains("duýgur ugrukdyrma"), "{b}");

        // The worker cancels the ordinary referral.
        let lead = Principal::user(
            w.lead.id,
            "lead",
            Role::Supervisor,
            "TM-A".parse().unwrap(),
            true,
        );
        let current = w.store.case_referrals(&lead, w.plain.case).await.unwrap();
        w.store
            .cancel_referral(&lead, w.plain.referral, current[0].version)
            .await
            .unwrap();
        let seen = inbox().await;
        for gone in ["Oraz", "INFO-P for the shelter"] {
            assert!(!seen.contains(gone), "{b}: {gone} still shown");
        }
        assert!(seen.contains("ýatyryldy"), "{b}: cancelled");
    }
}
