//! The authorization matrix: every route of the OpenAPI document against every role, in scope
//! and out of scope, with the expected status. A route added to the API without a row here
//! fails `every_route_has_a_rule`.

use goldaw_core::codes::Role;
use goldaw_store::testing::databases;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

mod attachments;
mod contracting;
mod merges;
mod people;
mod retention;
mod statistics;
mod survivors;
mod workforce;

/// The routes with a rule in `matrix`, as (method, OpenAPI path).
const RULED: [(&str, &str); 10] = [
    ("get", "/health"),
    ("get", "/api/openapi.json"),
    ("get", "/api/v1/persons"),
    ("post", "/api/v1/persons"),
    ("get", "/api/v1/persons/{id}"),
    ("put", "/api/v1/persons/{id}"),
    ("get", "/api/v1/households"),
    ("post", "/api/v1/households"),
    ("get", "/api/v1/households/{id}"),
    ("put", "/api/v1/households/{id}"),
];

struct World {
    base: String,
    /// A person and a household in TM-A-01 (inside the Ahal scopes) and in TM-S-02 (outside).
    person_in: String,
    person_out: String,
    household_in: String,
    household_out: String,
    store: Store,
}

async fn world(store: Store) -> World {
    let op = Principal::system("test");
    let mk_person = |unit: &str, id: &str| {
        serde_json::from_value(
            json!({"given_name": "Oraz", "sex": "M", "admin_unit": unit, "household_id": id}),
        )
        .unwrap()
    };
    let h_in = store
        .create_household(
            &op,
            Some("H-IN".parse().unwrap()),
            serde_json::from_value(json!({"admin_unit": "TM-A-01"})).unwrap(),
        )
        .await
        .unwrap();
    let h_out = store
        .create_household(
            &op,
            Some("H-OUT".parse().unwrap()),
            serde_json::from_value(json!({"admin_unit": "TM-S-02"})).unwrap(),
        )
        .await
        .unwrap();
    let p_in = store
        .create_person(&op, None, mk_person("TM-A-01", "H-IN"))
        .await
        .unwrap();
    let p_out = store
        .create_person(&op, None, mk_person("TM-S-02", "H-OUT"))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = store.clone();
    tokio::spawn(async move {
        let _ = goldaw_web::serve(served, listener).await;
    });
    World {
        base: format!("http://{addr}"),
        person_in: p_in.id.to_string(),
        person_out: p_out.id.to_string(),
        household_in: h_in.id.to_string(),
        household_out: h_out.id.to_string(),
        store,
    }
}

async fn token(store: &Store, username: &str, role: Role, scope: &str) -> String {
    let op = Principal::system("test");
    store
        .add_user(
            &op,
            NewUser {
                username: username.into(),
                role,
                scope: scope.parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap();
    store.create_token(&op, username).await.unwrap()
}

/// Sends `method path` with `auth` and, for writes, a body valid for `unit`; returns the status.
async fn call(w: &World, auth: Option<&str>, method: &str, path: &str, unit: &str) -> StatusCode {
    let c = reqwest::Client::new();
    let url = format!("{}{path}", w.base);
    let mut req = match method {
        "get" => c.get(&url),
        "post" => c.post(&url),
        "put" => c.put(&url),
        other => panic!("no rule for method {other}"),
    };
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let op = Principal::system("test");
    let mut body = if path.contains("persons") {
        let household = if unit == "TM-A-01" { "H-IN" } else { "H-OUT" };
        json!({"given_name": "Ýusup", "sex": "M", "admin_unit": unit, "household_id": household})
    } else {
        json!({"admin_unit": unit})
    };
    if method == "put" {
        // The current version, so that only the rules decide the answer.
        let id = path.rsplit('/').next().unwrap().parse().unwrap();
        let version = if path.contains("persons") {
            w.store.person(&op, id).await.unwrap().version
        } else {
            w.store.household(&op, id).await.unwrap().version
        };
        body["version"] = json!(version);
    }
    if method != "get" {
        req = req.json(&body);
    }
    req.send().await.unwrap().status()
}

/// Who may do what, in and out of scope. `in` = the record or target lies in TM-A-01.
fn expected(role: Option<Role>, method: &str, path: &str, inside: bool) -> StatusCode {
    use StatusCode as S;
    if path == "/health" || path == "/api/openapi.json" {
        return S::OK;
    }
    let Some(role) = role else {
        return S::UNAUTHORIZED;
    };
    let reads = matches!(role, Role::SocialWorker | Role::Supervisor);
    let writes = reads || role == Role::Hotline;
    let item = path.ends_with("{id}");
    match (method, item) {
        // Searching is scoped, never refused for a reader: out-of-scope records are just absent.
        ("get", false) => {
            if reads {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        ("get", true) => match (reads, inside) {
            (false, _) => S::FORBIDDEN,
            (true, true) => S::OK,
            (true, false) => S::NOT_FOUND,
        },
        ("post", _) => match (writes, inside) {
            (false, _) => S::FORBIDDEN,
            (true, true) => S::CREATED,
            (true, false) => S::FORBIDDEN,
        },
        ("put", _) => match (writes && reads, inside) {
            (false, _) => S::FORBIDDEN,
            (true, true) => S::OK,
            (true, false) => S::NOT_FOUND,
        },
        _ => panic!("no rule for {method} {path}"),
    }
}

#[tokio::test]
async fn every_route_has_a_rule() {
    let doc: Value =
        serde_json::to_value(<goldaw_web::api::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.clone(), path.clone()));
        }
    }
    routes.insert(("get".into(), "/api/openapi.json".into()));
    let ruled: BTreeSet<(String, String)> = RULED
        .iter()
        .chain(CASE_RULED.iter())
        .chain(REFERRAL_RULED.iter())
        .chain(ASSESSMENT_RULED.iter())
        .chain(attachments::RULED.iter())
        .chain(merges::RULED.iter())
        .chain(contracting::RULED.iter())
        .chain(people::RULED.iter())
        .chain(statistics::RULED.iter())
        .chain(workforce::RULED.iter())
        .chain(survivors::RULED.iter())
        .chain(retention::RULED.iter())
        // Partner keys only: every user's token and none are 401 (open_doors.rs tests it).
        .chain(
            [
                ("get", "/api/v1/partner/referrals"),
                ("post", "/api/v1/partner/referrals"),
                ("get", "/api/v1/partner/referrals/{id}"),
            ]
            .iter(),
        )
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        routes, ruled,
        "every route needs a row in the authorization matrix (RULED and expected())"
    );
}

goldaw_store::each_backend! {
    async fn the_authorization_matrix_holds_for_every_role_in_and_out_of_scope(db: TestDb) {
        let w = world(db.open().await).await;
        // (who, the role the server should see, the Authorization header)
        let mut callers: Vec<(String, Option<Role>, Option<String>)> = vec![
            ("anonymous".into(), None, None),
            (
                "bogus token".into(),
                None,
                Some(
                    "Bearer gdw_0000000000000000000000000000000000000000000000000000000000000000"
                        .into(),
                ),
            ),
            (
                "not bearer".into(),
                None,
                Some("Basic YWRtaW46YWRtaW4=".into()),
            ),
        ];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor => "TM-A",
                Role::Hotline | Role::Ministry | Role::Planner | Role::Admin => "TM-A-01",
                Role::SocialWorker => "TM-A-01",
            };
            let t = token(&w.store, &format!("user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let mut failures = Vec::new();
        for (who, role, auth) in &callers {
            for (method, route) in RULED {
                for inside in [true, false] {
                    let path = route
                        .replace(
                            "persons/{id}",
                            &format!(
                                "persons/{}",
                                if inside { &w.person_in } else { &w.person_out }
                            ),
                        )
                        .replace(
                            "households/{id}",
                            &format!(
                                "households/{}",
                                if inside {
                                    &w.household_in
                                } else {
                                    &w.household_out
                                }
                            ),
                        );
                    let unit = if inside { "TM-A-01" } else { "TM-S-02" };
                    let got = call(&w, auth.as_deref(), method, &path, unit).await;
                    let want = expected(*role, method, route, inside);
                    if got != want {
                        failures.push(format!(
                            "{who:>14} {method:4} {route:26} {:7} got {got}, expected {want}",
                            if inside { "inside" } else { "outside" }
                        ));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            db.backend,
            failures.join("\n")
        );
    }
}

goldaw_store::each_backend! {
    async fn a_worker_cannot_reach_another_etraps_person_even_by_id(db: TestDb) {
        let w = world(db.open().await).await;
        let t = token(&w.store, "aman", Role::SocialWorker, "TM-A-01").await;
        let c = reqwest::Client::new();
        let get = |path: String| {
            c.get(format!("{}{path}", w.base))
                .header("Authorization", format!("Bearer {t}"))
                .send()
        };
        assert_eq!(
            get(format!("/api/v1/persons/{}", w.person_in))
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        let r = get(format!("/api/v1/persons/{}", w.person_out))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{}", db.backend);
        let body: Value = get("/api/v1/persons?name=oraz".into())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<&str> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [w.person_in.as_str()],
            "{}: search shows only the worker's etrap",
            db.backend
        );
        let r = c
            .get(format!("{}/api/v1/persons", w.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap()),
            Some("Bearer")
        );
        // Disabling the account revokes its token at once.
        w.store
            .disable_user(&Principal::system("test"), "aman")
            .await
            .unwrap();
        assert_eq!(
            get(format!("/api/v1/persons/{}", w.person_in))
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
        // Every read was audited, with who and from where.
        let events = w
            .store
            .audit_events(
                &admin(),
                &goldaw_store::audit::AuditQuery {
                    actor: Some("aman".into()),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let reads: Vec<_> = events
            .iter()
            .filter(|e| e.action == "person.read")
            .collect();
        assert_eq!(reads.len(), 1, "{}: {events:?}", db.backend);
        assert_eq!(reads[0].entity_id.as_deref(), Some(w.person_in.as_str()));
        assert_eq!(reads[0].source, "127.0.0.1");
        assert!(events.iter().any(|e| e.action == "person.search"));
    }
}

fn admin() -> Principal {
    Principal::user(
        uuid::Uuid::nil(),
        "admin",
        Role::Admin,
        "TM".parse().unwrap(),
        false,
    )
}

/// The case routes, with a rule in `expected_for_cases`.
const CASE_RULED: [(&str, &str); 17] = [
    ("get", "/api/v1/cases"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases/{id}"),
    ("post", "/api/v1/cases/{id}/actions"),
    ("put", "/api/v1/cases/{id}/allocation"),
    ("get", "/api/v1/cases/{id}/notes"),
    ("post", "/api/v1/cases/{id}/notes"),
    ("get", "/api/v1/cases/{id}/events"),
    ("get", "/api/v1/cases/{id}/access"),
    ("get", "/api/v1/cases/{id}/plans"),
    ("put", "/api/v1/cases/{id}/plans/draft"),
    ("post", "/api/v1/plans/{id}/agreement"),
    ("post", "/api/v1/plans/{id}/submit"),
    ("get", "/api/v1/cases/{id}/reviews"),
    ("post", "/api/v1/cases/{id}/reviews"),
    ("get", "/api/v1/tasks"),
    ("get", "/api/v1/caseload"),
];

/// Who may do what to a case in TM-A-01 (`inside`) or TM-S-02, nobody's own: the case is
/// unallocated and was registered by the operator. Bodies are valid but such that no call
/// changes the case's status (so the order of callers does not matter).
fn expected_for_cases(role: Option<Role>, method: &str, path: &str, inside: bool) -> StatusCode {
    use StatusCode as S;
    let Some(role) = role else {
        return S::UNAUTHORIZED;
    };
    let (worker, supervisor, hotline) = (
        role == Role::SocialWorker,
        role == Role::Supervisor,
        role == Role::Hotline,
    );
    let reads = worker || supervisor || hotline;
    // A case the caller may not see is absent: 404, whatever the route.
    let item = |in_scope: S| {
        if !reads {
            S::FORBIDDEN
        } else if hotline || !inside {
            S::NOT_FOUND
        } else {
            in_scope
        }
    };
    match (method, path) {
        ("get", "/api/v1/cases") => {
            if reads {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        ("post", "/api/v1/cases") => match (reads, hotline || inside) {
            (true, true) => S::CREATED,
            _ => S::FORBIDDEN,
        },
        ("get", "/api/v1/tasks") | ("get", "/api/v1/caseload") => {
            if worker || supervisor {
                S::OK
            } else {
                S::FORBIDDEN
            }
        }
        // Who opened the case: supervisors, in their scope.
        ("get", "/api/v1/cases/{id}/access") => match (supervisor, inside) {
            (true, true) => S::OK,
            (true, false) => S::NOT_FOUND,
            _ => S::FORBIDDEN,
        },
        ("get", _) if path.starts_with("/api/v1/cases/{id}") => item(S::OK),
        // approve_closure with nothing requested: the supervisor is refused by the workflow.
        ("post", "/api/v1/cases/{id}/actions") => item(if supervisor {
            S::CONFLICT
        } else {
            S::FORBIDDEN
        }),
        ("put", "/api/v1/cases/{id}/allocation") => {
            if !supervisor {
                S::FORBIDDEN
            } else if inside {
                S::UNPROCESSABLE_ENTITY
            } else {
                S::NOT_FOUND
            }
        }
        ("post", "/api/v1/cases/{id}/notes") => {
            item(if supervisor { S::CREATED } else { S::FORBIDDEN })
        }
        // A plan before the holistic assessment, a follow-up before closure: invalid.
        ("put", "/api/v1/cases/{id}/plans/draft") | ("post", "/api/v1/cases/{id}/reviews") => {
            item(if supervisor {
                S::UNPROCESSABLE_ENTITY
            } else {
                S::FORBIDDEN
            })
        }
        // No such plan.
        ("post", p) if p.starts_with("/api/v1/plans/") => {
            if reads {
                S::NOT_FOUND
            } else {
                S::FORBIDDEN
            }
        }
        _ => panic!("no rule for {method} {path}"),
    }
}

#[tokio::test]
async fn the_case_routes_follow_the_workflow_table_for_every_role() {
    use goldaw_store::cases::NewReferral;
    for db in databases().await {
        let key = goldaw_store::crypto::Secrets::from_key([3u8; 32]);
        let w = world(Store::open_with_secrets(&db.url, Some(key)).await.unwrap()).await;
        let op = Principal::system("test");
        let mut cases = Vec::new();
        for (unit, person) in [("TM-A-01", &w.person_in), ("TM-S-02", &w.person_out)] {
            let referral = NewReferral {
                person: person.parse().unwrap(),
                admin_unit: unit.parse().unwrap(),
                referral_source: goldaw_core::codes::ReferralSource::School,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            };
            cases.push(w.store.register_referral(&op, referral).await.unwrap());
        }
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor => "TM-A",
                Role::Hotline | Role::Ministry | Role::Planner | Role::Admin => "TM-A-01",
                Role::SocialWorker => "TM-A-01",
            };
            let t = token(&w.store, &format!("case-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (who, role, auth) in &callers {
            for (method, route) in CASE_RULED {
                for inside in [true, false] {
                    let (case, person) = if inside {
                        (&cases[0], &w.person_in)
                    } else {
                        (&cases[1], &w.person_out)
                    };
                    let version = w.store.case(&op, case.id).await.unwrap().version;
                    let path = route
                        .replace("cases/{id}", &format!("cases/{}", case.id))
                        .replace("plans/{id}", "plans/0190a0b0-0000-7000-8000-000000000009");
                    let body = match (method, route) {
                        ("post", "/api/v1/cases") => {
                            json!({"person": person, "admin_unit": case.admin_unit, "referral_source": "school"})
                        }
                        (_, r) if r.ends_with("/actions") => {
                            json!({"action": "approve_closure", "version": version})
                        }
                        (_, r) if r.ends_with("/allocation") => {
                            json!({"worker": "nobody", "version": version})
                        }
                        (_, r) if r.ends_with("/notes") => {
                            json!({"kind": "phone_call", "text": "Called"})
                        }
                        (_, r) if r.ends_with("/draft") => json!({"goals": [{"text": "x"}]}),
                        (_, r) if r.ends_with("/reviews") => json!({"kind": "follow_up_short"}),
                        (_, r) if r.ends_with("/agreement") => {
                            json!({"version": 1, "agrees": true})
                        }
                        _ => json!({"version": 1}),
                    };
                    let url = format!("{}{path}", w.base);
                    let mut req = match method {
                        "get" => c.get(&url),
                        "put" => c.put(&url).json(&body),
                        _ => c.post(&url).json(&body),
                    };
                    if let Some(a) = auth {
                        req = req.header("Authorization", a);
                    }
                    let got = req.send().await.unwrap().status();
                    let want = expected_for_cases(*role, method, route, inside);
                    if got != want {
                        failures.push(format!(
                            "{who:>14} {method:4} {route:34} {:7} got {got}, expected {want}",
                            if inside { "in" } else { "out" }
                        ));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            db.backend,
            failures.join("\n")
        );
    }
}

/// The provider and referral routes, with a rule in `expected_for_referrals`.
const REFERRAL_RULED: [(&str, &str); 16] = [
    ("get", "/api/v1/providers"),
    ("post", "/api/v1/providers"),
    ("get", "/api/v1/providers/{id}"),
    ("put", "/api/v1/providers/{id}"),
    ("post", "/api/v1/providers/{id}/points"),
    ("put", "/api/v1/providers/{id}/points/{point}"),
    ("put", "/api/v1/providers/{id}/offers"),
    ("get", "/api/v1/offers"),
    ("get", "/api/v1/cases/{id}/referrals"),
    ("post", "/api/v1/cases/{id}/referrals"),
    ("post", "/api/v1/cases/{id}/legal-bases"),
    ("post", "/api/v1/referrals/{id}/cancel"),
    ("get", "/api/v1/provider/referrals"),
    ("get", "/api/v1/provider/referrals/{id}"),
    ("post", "/api/v1/provider/referrals/{id}/actions"),
    ("post", "/api/v1/provider/referrals/{id}/deliveries"),
];

/// The permission boundary of the provider and referral routes, with ids that name no record:
/// a role allowed the route gets 404 (or its answer), any other 403, and nobody learns more.
fn expected_for_referrals(role: Option<Role>, method: &str, path: &str) -> StatusCode {
    use StatusCode as S;
    let Some(role) = role else {
        return S::UNAUTHORIZED;
    };
    let register = matches!(role, Role::Admin | Role::Ministry);
    let reads_cases = matches!(role, Role::SocialWorker | Role::Supervisor | Role::Hotline);
    let works = matches!(role, Role::SocialWorker | Role::Supervisor);
    let provider = role == Role::Provider;
    let when = |allowed: bool, answer: S| if allowed { answer } else { S::FORBIDDEN };
    match (method, path) {
        ("get", "/api/v1/providers") => when(register, S::OK),
        ("post", "/api/v1/providers") => when(register, S::CREATED),
        (_, p) if p.starts_with("/api/v1/providers/") => when(register, S::NOT_FOUND),
        ("get", "/api/v1/offers") => when(register || reads_cases, S::OK),
        (_, "/api/v1/cases/{id}/legal-bases") => when(role == Role::Supervisor, S::NOT_FOUND),
        (_, p) if p.starts_with("/api/v1/cases/") => when(reads_cases, S::NOT_FOUND),
        (_, "/api/v1/referrals/{id}/cancel") => when(works, S::NOT_FOUND),
        ("get", "/api/v1/provider/referrals") => when(provider, S::OK),
        (_, p) if p.starts_with("/api/v1/provider/referrals/") => when(provider, S::NOT_FOUND),
        _ => panic!("no rule for {method} {path}"),
    }
}

goldaw_store::each_backend! {
    async fn the_provider_and_referral_routes_deny_every_role_without_the_permission(db: TestDb) {
        let key = goldaw_store::crypto::Secrets::from_key([4u8; 32]);
        let w = world(Store::open_with_secrets(&db.url, Some(key)).await.unwrap()).await;
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor => "TM-A",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("ref-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let nobody = "0190a0b0-0000-7000-8000-00000000000a";
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (i, (who, role, auth)) in callers.iter().enumerate() {
            for (method, route) in REFERRAL_RULED.iter() {
                let path = route.replace("{id}", nobody).replace("{point}", nobody);
                let url = format!("{}{path}", w.base);
                let body = match *route {
                    "/api/v1/providers/{id}/points/{point}" => {
                        json!({"version": 1, "name": "Merkez", "admin_unit": "TM-A-01", "active": true})
                    }
                    "/api/v1/providers" => {
                        json!({"external_id": format!("PRX{i}"), "name": "Ýol", "kind": "ngo"})
                    }
                    "/api/v1/providers/{id}" => {
                        json!({"version": 1, "name": "Ýol", "kind": "ngo", "active": true})
                    }
                    "/api/v1/providers/{id}/points" => {
                        json!({"name": "Merkez", "admin_unit": "TM-A-01"})
                    }
                    "/api/v1/providers/{id}/offers" => {
                        json!({"service_code": "S01", "admin_unit": "TM-A-01", "places": 3})
                    }
                    "/api/v1/cases/{id}/referrals" => {
                        json!({"person": nobody, "service_code": "S01"})
                    }
                    "/api/v1/cases/{id}/legal-bases" => {
                        json!({"kind": "court_order", "reference": "12/2026", "issued_on": "2026-01-05", "issued_by": "Court"})
                    }
                    "/api/v1/provider/referrals/{id}/actions" => {
                        json!({"action": "accept", "version": 1})
                    }
                    "/api/v1/provider/referrals/{id}/deliveries" => json!({"units": 2}),
                    _ => json!({"version": 1}),
                };
                let mut req = match *method {
                    "get" if *route == "/api/v1/offers" => {
                        c.get(format!("{url}?service=S01&admin_unit=TM-A-01"))
                    }
                    "get" => c.get(&url),
                    "put" => c.put(&url).json(&body),
                    _ => c.post(&url).json(&body),
                };
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let got = req.send().await.unwrap().status();
                let want = expected_for_referrals(*role, method, route);
                if got != want {
                    failures.push(format!(
                        "{who:>14} {method:4} {route:44} got {got}, expected {want}"
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            db.backend,
            failures.join("\n")
        );
    }
}

/// The assessment and instrument routes, with a rule in `expected_for_assessments`.
const ASSESSMENT_RULED: [(&str, &str); 7] = [
    ("get", "/api/v1/cases/{id}/assessments"),
    ("post", "/api/v1/cases/{id}/assessments"),
    ("get", "/api/v1/assessments/{id}"),
    ("put", "/api/v1/assessments/{id}"),
    ("post", "/api/v1/assessments/{id}/complete"),
    ("get", "/api/v1/instruments"),
    ("get", "/api/v1/instruments/{code}/{version}"),
];

/// Who may do what to the assessments of a case in screening in TM-A-01 (`inside`) or TM-S-02,
/// nobody's own (the operator started a draft initial assessment of each). Bodies are valid; no
/// call completes anything, so the order of callers does not matter.
fn expected_for_assessments(
    role: Option<Role>,
    method: &str,
    path: &str,
    inside: bool,
) -> StatusCode {
    use StatusCode as S;
    let Some(role) = role else {
        return S::UNAUTHORIZED;
    };
    // The instruments are reference data for every signed-in caller.
    if path.starts_with("/api/v1/instruments") {
        return S::OK;
    }
    // Assessments are read by those who read people: not the hotline, planners or providers.
    let reads = matches!(role, Role::SocialWorker | Role::Supervisor);
    let supervisor = role == Role::Supervisor;
    if !reads {
        return S::FORBIDDEN;
    }
    if !inside {
        return S::NOT_FOUND;
    }
    match (method, path) {
        ("get", _) => S::OK,
        // The case is not the worker's: only the supervisor works on it. A holistic assessment
        // is not made during screening; a draft with nothing answered does not complete.
        ("post", "/api/v1/cases/{id}/assessments") if supervisor => S::CONFLICT,
        ("put", "/api/v1/assessments/{id}") if supervisor => S::OK,
        ("post", "/api/v1/assessments/{id}/complete") if supervisor => S::UNPROCESSABLE_ENTITY,
        _ => S::FORBIDDEN,
    }
}

#[tokio::test]
async fn the_assessment_routes_follow_the_workflow_table_for_every_role() {
    use goldaw_core::workflow::CaseAction;
    use goldaw_store::cases::{ActionRequest, NewAssessment, NewReferral};
    for db in databases().await {
        let key = goldaw_store::crypto::Secrets::from_key([6u8; 32]);
        let w = world(Store::open_with_secrets(&db.url, Some(key)).await.unwrap()).await;
        let op = Principal::system("test");
        let mut targets = Vec::new();
        for (unit, person) in [("TM-A-01", &w.person_in), ("TM-S-02", &w.person_out)] {
            let referral = NewReferral {
                person: person.parse().unwrap(),
                admin_unit: unit.parse().unwrap(),
                referral_source: goldaw_core::codes::ReferralSource::School,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            };
            let case = w.store.register_referral(&op, referral).await.unwrap();
            let case = w
                .store
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
            let a = w
                .store
                .start_assessment(
                    &op,
                    case.id,
                    NewAssessment {
                        instrument: "initial".into(),
                        persons: vec![],
                    },
                )
                .await
                .unwrap();
            targets.push((case.id, a.id));
        }
        let mut callers: Vec<(String, Option<Role>, Option<String>)> =
            vec![("anonymous".into(), None, None)];
        for (i, role) in Role::ALL.iter().enumerate() {
            let scope = match role {
                Role::Provider => "provider:PR1",
                Role::Supervisor => "TM-A",
                _ => "TM-A-01",
            };
            let t = token(&w.store, &format!("as-user{i}"), *role, scope).await;
            callers.push((role.to_string(), Some(*role), Some(format!("Bearer {t}"))));
        }
        let c = reqwest::Client::new();
        let mut failures = Vec::new();
        for (who, role, auth) in &callers {
            for (method, route) in ASSESSMENT_RULED {
                for inside in [true, false] {
                    let (case, assessment) = targets[usize::from(!inside)];
                    let version = w.store.assessment(&op, assessment).await.unwrap().version;
                    let path = route
                        .replace("cases/{id}", &format!("cases/{case}"))
                        .replace("assessments/{id}", &format!("assessments/{assessment}"))
                        .replace("{code}/{version}", "initial/1");
                    let body = match (method, route) {
                        ("post", "/api/v1/cases/{id}/assessments") => {
                            json!({"instrument": "holistic_adult"})
                        }
                        ("put", _) => json!({"version": version, "answers": []}),
                        _ => json!({"version": version}),
                    };
                    let url = format!("{}{path}", w.base);
                    let mut req = match method {
                        "get" => c.get(&url),
                        "put" => c.put(&url).json(&body),
                        _ => c.post(&url).json(&body),
                    };
                    if let Some(a) = auth {
                        req = req.header("Authorization", a);
                    }
                    let got = req.send().await.unwrap().status();
                    let want = expected_for_assessments(*role, method, route, inside);
                    if got != want {
                        failures.push(format!(
                            "{who:>14} {method:4} {route:38} {:7} got {got}, expected {want}",
                            if inside { "in" } else { "out" }
                        ));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{}:\n{}",
            db.backend,
            failures.join("\n")
        );
    }
}
