//! The authorization matrix for the web pages: every page route (read from the router's source,
//! so a new `.route(…)` without a rule here fails) against anonymous callers and every role.

use goldaw_core::codes::Role;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};

use crate::common;
use std::collections::BTreeSet;

const PASSWORD: &str = "Balkan daglary 1880";

/// (method, path) of every page route with a rule below.
const RULED: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/login"),
    ("post", "/login"),
    ("get", "/login/totp"),
    ("post", "/login/totp"),
    ("get", "/login/enrol"),
    ("post", "/login/enrol"),
    ("post", "/logout"),
    ("get", "/lang/{code}"),
    ("get", "/people"),
    ("get", "/contracting"),
    ("get", "/contracting/tenders/new"),
    ("post", "/contracting/tenders"),
    ("get", "/contracting/tenders/{id}"),
    ("get", "/contracting/tenders/{id}/edit"),
    ("post", "/contracting/tenders/{id}/edit"),
    ("post", "/contracting/tenders/{id}/action"),
    ("post", "/contracting/tenders/{id}/award"),
    ("post", "/contracting/tenders/{id}/contract"),
    ("post", "/contracting/tenders/{id}/bids"),
    ("post", "/contracting/bids/{id}"),
    ("post", "/contracting/bids/{id}/action"),
    ("post", "/contracting/bids/{id}/conflict"),
    ("post", "/contracting/bids/{id}/scores"),
    ("get", "/contracting/contracts/{id}"),
    ("post", "/contracting/contracts/{id}/action"),
    ("post", "/contracting/contracts/{id}/reports"),
    ("post", "/contracting/reports/{id}/confirm"),
    ("post", "/contracting/reports/{id}/verify"),
    ("post", "/contracting/reports/{id}/payment"),
    ("get", "/costing"),
    ("get", "/account/password"),
    ("post", "/account/password"),
    ("get", "/admin/users"),
    ("post", "/admin/users"),
    ("post", "/admin/users/disable"),
    ("post", "/admin/users/change"),
    ("post", "/admin/users/grants"),
    ("get", "/admin/audit"),
    ("get", "/admin/audit.csv"),
    // Case management
    ("get", "/cases"),
    ("get", "/cases/new"),
    ("post", "/cases/new"),
    ("get", "/cases/{id}"),
    ("get", "/cases/{id}/access"),
    ("post", "/cases/{id}/action"),
    ("post", "/cases/{id}/allocate"),
    ("post", "/cases/{id}/legal-basis"),
    ("post", "/cases/{id}/notes"),
    ("post", "/cases/{id}/plan"),
    ("post", "/cases/{id}/plan/agreement"),
    ("post", "/cases/{id}/plan/submit"),
    ("post", "/cases/{id}/reviews"),
    ("get", "/admin/settings"),
    ("post", "/admin/settings/deadline"),
    ("post", "/admin/settings/holiday"),
    ("post", "/admin/settings/holiday/remove"),
    ("post", "/admin/settings/quick-exit"),
    ("post", "/cases/{id}/referrals"),
    ("get", "/provider"),
    ("post", "/provider/referrals/{id}/action"),
    ("post", "/provider/referrals/{id}/delivery"),
    ("get", "/tasks"),
    ("get", "/caseload"),
    // Assessments
    ("post", "/cases/{id}/assessments"),
    ("get", "/assessments/{id}"),
    ("post", "/assessments/{id}"),
    ("post", "/assessments/{id}/complete"),
    ("post", "/cases/{id}/attachments"),
    ("get", "/attachments/{id}"),
    ("get", "/people/merge"),
    ("post", "/people/merge"),
    ("get", "/people/merge/{id}"),
    ("post", "/people/merge/{id}/undo"),
    // Issue #19: a person's and a household's page, the probable duplicates.
    ("get", "/people/duplicates"),
    ("get", "/people/{id}"),
    ("post", "/people/{id}"),
    ("get", "/households/{id}"),
    ("post", "/households/{id}"),
    ("post", "/households/{id}/members"),
    // Planning
    ("get", "/planning"),
    ("get", "/planning/velayat"),
    ("get", "/planning/velayat/{velayat}"),
    ("get", "/planning/velayat/{velayat}/print"),
    ("get", "/planning/velayat/{velayat}/plan.xlsx"),
    // The register of providers
    ("get", "/providers"),
    ("post", "/providers"),
    ("get", "/providers/{id}"),
    ("post", "/providers/{id}"),
    ("post", "/providers/{id}/points"),
    ("post", "/providers/{id}/points/{point}"),
    ("post", "/providers/{id}/offers"),
    // Statistics
    ("get", "/statistics"),
    ("get", "/statistics.csv"),
    ("get", "/statistics.xlsx"),
    ("get", "/statistics/dashboard"),
    ("get", "/statistics/dhis2.json"),
    // The workforce register
    ("get", "/workforce"),
    ("post", "/workforce/staff"),
    ("get", "/workforce/staff/{id}"),
    ("post", "/workforce/staff/{id}/training"),
    ("post", "/workforce/staff/{id}/certification"),
    ("post", "/workforce/staff/{id}/promote"),
    ("post", "/workforce/staff/{id}/leave"),
    ("post", "/workforce/supervision"),
    ("post", "/workforce/posts"),
    ("post", "/workforce/courses"),
    // Issue #23, open doors (rules in `doors_expected`).
    ("get", "/directory"),
    ("get", "/directory/services/{id}"),
    ("get", "/directory/leaflet/{unit}"),
    ("get", "/help"),
    ("post", "/help"),
    ("get", "/directory/manage"),
    ("post", "/directory/manage/switches"),
    ("post", "/directory/manage/entries/{id}"),
    ("post", "/directory/manage/contacts"),
    ("get", "/partner"),
    ("post", "/partner/signin"),
    ("post", "/partner/signout"),
    ("get", "/partner/referrals/new"),
    ("post", "/partner/referrals"),
    ("get", "/partner/referrals/{id}"),
    ("get", "/partners"),
    ("post", "/partners"),
    ("post", "/partners/{id}/keys"),
    ("post", "/partners/{id}/revoke"),
    ("post", "/partners/{id}/revoke-key"),
    ("get", "/partners/feedback/{case}"),
    ("post", "/partners/feedback/{case}"),
    // Issue #18, the survivor's path (rules in `survivors_expected`).
    ("get", "/hotline"),
    ("get", "/hotline/lines/{code}"),
    ("get", "/hotline/lines/{code}/call-backs"),
    ("post", "/hotline/calls"),
    ("get", "/hotline/calls/{id}"),
    ("post", "/hotline/calls/{id}/case"),
    ("get", "/cases/{id}/consents"),
    ("post", "/cases/{id}/consents"),
    ("post", "/consents/{id}/withdraw"),
    ("post", "/cases/{id}/consent-overrides"),
    ("post", "/cases/{id}/disclosures"),
    ("get", "/cases/{id}/safety-plan"),
    ("post", "/cases/{id}/safety-plan"),
    ("get", "/cases/{id}/name"),
    ("post", "/cases/{id}/incident-date"),
    ("get", "/survivors/statistics"),
    // Issue #20: a person's own data, retention, legal holds.
    ("get", "/people/{id}/own-data"),
    ("get", "/retention"),
    ("post", "/retention/years"),
    ("get", "/cases/{id}/legal-hold"),
    ("post", "/cases/{id}/legal-hold"),
    ("post", "/cases/{id}/legal-hold/lift"),
];

/// The routes declared in the pages' source.
fn declared_routes() -> BTreeSet<(String, String)> {
    common::declared_routes("src/pages")
}

#[test]
fn every_page_route_has_a_rule() {
    let ruled: BTreeSet<(String, String)> = RULED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let declared = declared_routes();
    assert!(
        declared.len() >= RULED.len(),
        "the route scan found too little: {declared:?}"
    );
    assert_eq!(
        declared, ruled,
        "every page route needs a rule in this matrix"
    );
}

/// What a caller gets: `None` = anonymous; forms are sent with a forged CSRF token.
fn expected(role: Option<Role>, method: &str, path: &str) -> StatusCode {
    use StatusCode as S;
    if let Some(status) = doors_expected(role, method, path) {
        return status;
    }
    if let Some(status) = survivors_expected(role, method, path) {
        return status;
    }
    let Some(role) = role else {
        return match (method, path) {
            ("get", "/login") => S::OK,
            ("post", "/login") => S::FORBIDDEN,
            _ => S::SEE_OTHER,
        };
    };
    let admin = role == Role::Admin;
    let reads = matches!(role, Role::SocialWorker | Role::Supervisor);
    let case_staff = reads || role == Role::Hotline;
    let allowed = |yes: bool| if yes { S::OK } else { S::FORBIDDEN };
    match (method, path) {
        ("get", "/cases") | ("get", "/cases/new") => allowed(case_staff),
        // No such case: the same answer as a case outside scope.
        ("get", "/cases/{id}") if case_staff => S::NOT_FOUND,
        ("get", "/cases/{id}") => S::FORBIDDEN,
        // Who opened a case: supervisors; no such case here.
        ("get", "/cases/{id}/access") if role == Role::Supervisor => S::NOT_FOUND,
        ("get", "/cases/{id}/access") => S::FORBIDDEN,
        // Issue #20: supervisors; no such person or case here. The ministry's retention page.
        ("get", "/people/{id}/own-data") | ("get", "/cases/{id}/legal-hold")
            if role == Role::Supervisor =>
        {
            S::NOT_FOUND
        }
        ("get", "/people/{id}/own-data") | ("get", "/cases/{id}/legal-hold") => S::FORBIDDEN,
        ("get", "/retention") => allowed(role == Role::Ministry),
        // Assessments are for those who read people; no such one here.
        ("get", "/assessments/{id}") if reads => S::NOT_FOUND,
        ("get", "/assessments/{id}") => S::FORBIDDEN,
        ("get", "/tasks") | ("get", "/caseload") => allowed(reads),
        // No such attachment: the same answer as one outside scope.
        ("get", "/attachments/{id}") if reads => S::NOT_FOUND,
        ("get", "/attachments/{id}") => S::FORBIDDEN,
        // Without a record chosen: how to start a merge (supervisors only).
        ("get", "/people/merge") => allowed(role == Role::Supervisor),
        // A merge as recorded: supervisors; no such merge here.
        ("get", "/people/merge/{id}") if role == Role::Supervisor => S::NOT_FOUND,
        ("get", "/people/merge/{id}") => S::FORBIDDEN,
        // Issue #19: the probable duplicates are the supervisors' (they merge); a person's or a
        // household's page is for those who read people; no such record here.
        ("get", "/people/duplicates") => allowed(role == Role::Supervisor),
        ("get", "/people/{id}") | ("get", "/households/{id}") if reads => S::NOT_FOUND,
        ("get", "/people/{id}") | ("get", "/households/{id}") => S::FORBIDDEN,
        ("get", "/provider") => allowed(role == Role::Provider),
        // The workforce register: those who keep or read staff records; no such record here.
        ("get", "/workforce") => allowed(matches!(
            role,
            Role::SocialWorker | Role::Supervisor | Role::Ministry
        )),
        ("get", "/workforce/staff/{id}") => S::NOT_FOUND,
        // Contracting (docs/contracting.md): the ministry, the providers' staff, planners.
        ("get", "/contracting") => allowed(matches!(
            role,
            Role::Ministry | Role::Provider | Role::Planner
        )),
        // The tender form: the ministry; a tender or contract that does not exist: not found,
        // the same answer as one out of sight (docs/contracting.md).
        ("get", "/contracting/tenders/new") => allowed(role == Role::Ministry),
        // The cost model on a page: planners and the ministry.
        ("get", "/costing") => allowed(matches!(role, Role::Planner | Role::Ministry)),
        ("get", p) if p.starts_with("/contracting/") => S::NOT_FOUND,
        // The register: the ministry and admins; no such provider here.
        ("get", "/providers") => allowed(matches!(role, Role::Ministry | Role::Admin)),
        ("get", "/providers/{id}") if matches!(role, Role::Ministry | Role::Admin) => S::NOT_FOUND,
        ("get", "/providers/{id}") => S::FORBIDDEN,
        // Planners and the ministry (not admins: WORKFLOW.md); the users here have scope TM-A, so
        // its plan is theirs.
        ("get", p) if p.starts_with("/planning") => {
            allowed(matches!(role, Role::Planner | Role::Ministry))
        }
        // Reports: the roles that read them and have an area (users here have TM-A); the
        // DHIS2 download (no period given: refused as a bad parameter) for planners and the
        // ministry.
        ("get", "/statistics/dhis2.json") => match role {
            Role::Planner | Role::Ministry => S::BAD_REQUEST,
            _ => S::FORBIDDEN,
        },
        ("get", p) if p.starts_with("/statistics") => allowed(matches!(
            role,
            Role::SocialWorker | Role::Supervisor | Role::Planner | Role::Ministry
        )),
        ("get", "/") | ("get", "/login") | ("get", "/account/password") => S::OK,
        ("get", "/people") => {
            if reads {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        ("get", p) if p.starts_with("/admin") => {
            if admin {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        // A fully signed-in session has no second factor pending: back home.
        ("get", "/login/totp")
        | ("get", "/login/enrol")
        | ("post", "/login/totp")
        | ("post", "/login/enrol") => S::SEE_OTHER,
        ("get", "/lang/{code}") => S::SEE_OTHER,
        // Every form with a forged token is refused, whoever sends it (sign-in included).
        ("post", p) if p.starts_with("/admin") && !admin => S::FORBIDDEN,
        ("post", _) => S::FORBIDDEN,
        _ => panic!("no rule for {method} {path}"),
    }
}

async fn signed_in(store: &Store, base: &str, username: &str, role: Role) -> String {
    let op = Principal::system("test");
    let user = store
        .add_user(
            &op,
            NewUser {
                username: username.into(),
                role,
                scope: if role == Role::Provider {
                    "provider:PR1"
                } else {
                    "TM-A"
                }
                .parse()
                .unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let session = common::sign_in(base, username, PASSWORD).await.1.unwrap();
    if role == Role::Admin {
        common::enrol(store, base, &session, user.id, username).await;
    }
    session
}

#[tokio::test]
async fn the_page_matrix_holds_for_anonymous_callers_and_every_role() {
    let db = goldaw_store::testing::sqlite().await;
    let key = goldaw_store::crypto::Secrets::from_hex(&"3c".repeat(32)).unwrap();
    let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
    let base = crate::common::TestApp::spawn(&store).await.base;
    let mut callers: Vec<(String, Option<Role>, Option<String>)> =
        vec![("anonymous".into(), None, None)];
    for (i, role) in Role::ALL.iter().enumerate() {
        callers.push((
            role.to_string(),
            Some(*role),
            Some(signed_in(&store, &base, &format!("user{i}"), *role).await),
        ));
    }
    let c = common::client();
    let mut failures = Vec::new();
    for (who, role, session) in &callers {
        for (method, route) in RULED {
            let path = route
                .replace("{code}", "ru")
                .replace("{velayat}", "TM-A")
                .replace("{id}", "0190a0b0-0000-7000-8000-000000000001")
                .replace("{point}", "0190a0b0-0000-7000-8000-000000000002");
            let mut req = match *method {
                "get" => c.get(format!("{base}{path}")),
                _ => c.post(format!("{base}{path}")).form(&[
                    ("csrf", "forged"),
                    ("username", "x"),
                    ("password", "y"),
                    ("code", "123456"),
                    ("current", "a"),
                    ("new", "b"),
                    ("role", "admin"),
                    ("scope", "TM"),
                ]),
            };
            if let Some(s) = session {
                req = req.header(header::COOKIE, s);
            }
            let got = req.send().await.unwrap().status();
            let want = expected(*role, method, route);
            if got != want {
                failures.push(format!(
                    "{who:>14} {method:4} {route:22} got {got}, expected {want}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Issue #23: the public pages answer anyone (no record: 404; a form without its token: 400 or
/// 403); the partner portal sends whoever has no partner key back to `/partner`; the ministry's
/// and admins' pages need their permission; `{unit}` and `{case}` are left unreplaced here, so a
/// leaflet is not found and the feedback page's address is not a case id (400).
fn doors_expected(role: Option<Role>, method: &str, path: &str) -> Option<StatusCode> {
    use StatusCode as S;
    let signed = role.is_some();
    let status = match (method, path) {
        ("get", "/directory") | ("get", "/help") | ("get", "/partner") => S::OK,
        ("get", "/directory/services/{id}") | ("get", "/directory/leaflet/{unit}") => S::NOT_FOUND,
        ("post", "/help") => S::BAD_REQUEST,
        ("post", "/partner/signin") | ("post", "/partner/signout") => S::FORBIDDEN,
        ("get", "/partner/referrals/new")
        | ("post", "/partner/referrals")
        | ("get", "/partner/referrals/{id}") => S::SEE_OTHER,
        ("post", "/partners/feedback/{case}") => S::BAD_REQUEST,
        ("get", "/partners/feedback/{case}") if signed => S::BAD_REQUEST,
        ("get", "/directory/manage") if signed => {
            if matches!(role, Some(Role::Admin | Role::Ministry)) {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        ("get", "/partners") if signed => {
            if role == Some(Role::Admin) {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        (_, p) if p.starts_with("/directory/manage") || p.starts_with("/partners") => {
            if signed {
                S::FORBIDDEN
            } else {
                S::SEE_OTHER
            }
        }
        _ => return None,
    };
    Some(status)
}

/// Issue #18: the hotline's pages for the lines' staff (no line `ru`, no such call: 404), the
/// consents page for those who read cases (no such case: 404); every other role 403. Forms with
/// a forged token fall to the general rule (403).
fn survivors_expected(role: Option<Role>, method: &str, path: &str) -> Option<StatusCode> {
    use StatusCode as S;
    let role = role?;
    if method != "get" {
        return None;
    }
    let line_staff = matches!(role, Role::Hotline | Role::Supervisor);
    let case_staff = matches!(role, Role::SocialWorker | Role::Supervisor | Role::Hotline);
    let when = |yes: bool, answer: S| Some(if yes { answer } else { S::FORBIDDEN });
    match path {
        "/hotline" => when(line_staff, S::OK),
        // Counts for those who read reports in an area (the provider's has none: refused).
        "/survivors/statistics" => when(
            matches!(
                role,
                Role::SocialWorker | Role::Supervisor | Role::Planner | Role::Ministry
            ),
            S::OK,
        ),
        p if p.starts_with("/hotline/") => when(line_staff, S::NOT_FOUND),
        "/cases/{id}/consents" | "/cases/{id}/safety-plan" | "/cases/{id}/name" => {
            when(case_staff, S::NOT_FOUND)
        }
        _ => None,
    }
}
