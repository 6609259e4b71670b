//! Helpers the web tests share: the running application ([`TestApp`]), a browser-like client over
//! the sign-in form, accounts and a case to work on.
// Each test module uses a different part of this module.
#![allow(dead_code)]

use goldaw_store::Store;
use reqwest::{header, redirect, StatusCode};

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The value of a `Set-Cookie` header's cookie.
pub fn value_of(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// The value of the first `name="csrf"` field of a page.
pub fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

pub struct SignIn {
    pub status: StatusCode,
    /// Where the answer sends the browser next, if anywhere.
    pub location: Option<String>,
    /// The session cookie as `name=value`, if one was set.
    pub session: Option<String>,
}

/// Signs in through the form, with the form's own CSRF cookie and field.
pub async fn sign_in_full(base: &str, user: &str, password: &str) -> SignIn {
    let c = client();
    let form = c.get(format!("{base}/login")).send().await.unwrap();
    let csrf = value_of(
        cookies(&form)
            .iter()
            .find(|c| c.starts_with("goldaw_login_csrf="))
            .unwrap(),
    );
    let r = c
        .post(format!("{base}/login"))
        .header(header::COOKIE, format!("goldaw_login_csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    SignIn {
        status: r.status(),
        location: r
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned()),
        session: cookies(&r)
            .into_iter()
            .find(|c| c.starts_with("goldaw_session="))
            .map(|c| c.split(';').next().unwrap().to_owned()),
    }
}

/// Signs in; returns the status and the session cookie. An account that must use two factors
/// (admins, wide grants) completes them as a person with an authenticator app would: it sets
/// them up from the key the page shows, and answers the code form later with a code not used yet.
pub async fn sign_in(base: &str, user: &str, password: &str) -> (StatusCode, Option<String>) {
    let s = sign_in_full(base, user, password).await;
    if let (Some(next), Some(session)) = (s.location.as_deref(), s.session.as_deref()) {
        if next == "/login/enrol" || next == "/login/totp" {
            second_factor(base, user, session, next).await;
        }
    }
    (s.status, s.session)
}

/// Per site and username: the two-factor key set up, and the last time step whose code was sent
/// (a code is good once).
type Keys = std::collections::HashMap<(String, String), (Vec<u8>, u64)>;

/// The two-factor keys this test process set up: the authenticator app of the tests.
static AUTHENTICATOR: std::sync::LazyLock<std::sync::Mutex<Keys>> =
    std::sync::LazyLock::new(Default::default);

/// Answers the second-factor form at `path` (`/login/enrol` or `/login/totp`) for a session.
pub async fn second_factor(base: &str, user: &str, session: &str, path: &str) {
    let c = client();
    let page = c
        .get(format!("{base}{path}"))
        .header(header::COOKIE, session)
        .send()
        .await
        .unwrap();
    if page.status() != StatusCode::OK {
        // No form to answer (a server without its key, say): the session stays waiting.
        return;
    }
    let page = page.text().await.unwrap();
    let key = (base.to_owned(), user.to_owned());
    if let Some(encoded) = page
        .split("id=\"secret\" readonly value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
    {
        let secret = totp_rs::Secret::Encoded(encoded.to_owned())
            .to_bytes()
            .unwrap();
        AUTHENTICATOR
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), (secret, 0));
    }
    let code = loop {
        let (secret, last) = AUTHENTICATOR
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
            .unwrap_or_else(|| {
                panic!("no two-factor key known for {user}: sign in with common::sign_in first")
            });
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 30;
        // The current step's code, or the next one's if that was used (one step of drift is
        // allowed); else wait for the clock.
        let step = now.max(last + 1);
        if step <= now + 1 {
            AUTHENTICATOR
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key.clone(), (secret.clone(), step));
            let totp = totp_rs::TOTP::new(
                totp_rs::Algorithm::SHA1,
                6,
                0,
                30,
                secret,
                Some("goldaw".into()),
                user.to_owned(),
            )
            .unwrap();
            break totp.generate(step * 30);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    let r = c
        .post(format!("{base}{path}"))
        .header(header::COOKIE, session)
        .form(&[("csrf", csrf_of(&page)), ("code", code)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "second factor of {user} at {path}"
    );
}

/// Completes a pending two-factor enrolment with the code an authenticator app would show;
/// nothing to do if the session is signed in already ([`sign_in`] sets two factors up).
pub async fn enrol(store: &Store, base: &str, session: &str, user: uuid::Uuid, username: &str) {
    let c = client();
    let r = c
        .get(format!("{base}/login/enrol"))
        .header(header::COOKIE, session)
        .send()
        .await
        .unwrap();
    if r.status() != StatusCode::OK {
        return;
    }
    let page = r.text().await.unwrap();
    let code = store.unused_totp_for_tests(user, username).await.unwrap();
    let r = c
        .post(format!("{base}/login/enrol"))
        .header(header::COOKIE, session)
        .form(&[("csrf", csrf_of(&page)), ("code", code)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "enrolment of {username}");
}

/// A client with a bearer token for a new user.
pub async fn api_client_for(
    store: &Store,
    base: &str,
    name: &str,
    role: goldaw_core::codes::Role,
    scope: &str,
) -> ApiClient {
    let op = goldaw_store::Principal::system("test");
    store
        .add_user(
            &op,
            goldaw_store::users::NewUser {
                username: name.into(),
                role,
                scope: scope.parse().unwrap(),
                sensitive: true,
                unsuppressed: false,
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap();
    let token = store.create_token(&op, name).await.unwrap();
    ApiClient {
        base: base.to_owned(),
        token,
        http: reqwest::Client::new(),
    }
}

/// A JSON API client signed in with a bearer token.
pub struct ApiClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl ApiClient {
    /// Sends `method /api/v1{path}` with an optional JSON body; answers the status and the JSON.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let url = format!("{}/api/v1{path}", self.base);
        let mut req = match method {
            "GET" => self.http.get(url),
            "PUT" => self.http.put(url),
            _ => self.http.post(url),
        }
        .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
        )
    }
}

/// Does an assessment of the case's person with `instrument` through the API alone: starts it,
/// answers each required item unremarkably (no risk, no difficulty, need 1, consent given) plus
/// `extra` answers, and completes it. Answers the completed assessment.
pub async fn assess_via_api(
    api: &ApiClient,
    case_id: &str,
    instrument: &str,
    extra: &[(&str, serde_json::Value)],
) -> serde_json::Value {
    use serde_json::json;
    let (status, started) = api
        .send(
            "POST",
            &format!("/cases/{case_id}/assessments"),
            Some(json!({ "instrument": instrument })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let (_, definition) = api
        .send(
            "GET",
            &format!(
                "/instruments/{}/{}",
                started["instrument_code"].as_str().unwrap(),
                started["instrument_version"]
            ),
            None,
        )
        .await;
    let kind_of = |code: &str| -> String {
        definition["domains"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["items"].as_array().unwrap())
            .find(|i| i["code"] == code)
            .map(|i| i["answer"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let person = started["persons"][0]["id"].clone();
    let mut answers: Vec<serde_json::Value> = started["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let item = m["item"].as_str().unwrap();
            let value = match kind_of(item).as_str() {
                "yes_no" => json!(item.starts_with("consent")),
                "scale_0_10" => json!(5),
                _ => json!(1),
            };
            json!({"person": m["person"], "item": item, "value": value})
        })
        .collect();
    for (item, value) in extra {
        answers.retain(|a| a["item"] != *item);
        answers.push(json!({"person": person, "item": item, "value": value}));
    }
    let (status, saved) = api
        .send(
            "PUT",
            &format!("/assessments/{}", started["id"].as_str().unwrap()),
            Some(json!({"version": started["version"], "answers": answers})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["missing"], json!([]), "{saved}");
    let (status, done) = api
        .send(
            "POST",
            &format!("/assessments/{}/complete", saved["id"].as_str().unwrap()),
            Some(json!({"version": saved["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "completed");
    done
}

/// Adds an account with `password` (by the system, as an operator would from the command line).
pub async fn add_account(
    store: &Store,
    username: &str,
    role: goldaw_core::codes::Role,
    scope: &str,
    password: &str,
) {
    store
        .add_user(
            &goldaw_store::Principal::system("test"),
            goldaw_store::users::NewUser {
                username: username.into(),
                role,
                scope: scope.parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: password.into(),
            },
        )
        .await
        .unwrap();
}

/// A health referral of Aýna Saparowa (born 1991) in `unit`, allocated to `worker`.
pub async fn allocated_case(
    store: &Store,
    unit: &str,
    worker: &str,
) -> goldaw_store::cases::CaseRecord {
    let op = goldaw_store::Principal::system("test");
    let person = store
        .create_person(
            &op,
            None,
            serde_json::from_value(serde_json::json!({"given_name": "Aýna",
                "family_name": "Saparowa", "sex": "F", "birth_date": "1991-09-09",
                "admin_unit": unit}))
            .unwrap(),
        )
        .await
        .unwrap();
    let case = store
        .register_referral(
            &op,
            goldaw_store::cases::NewReferral {
                person: person.id,
                admin_unit: unit.parse().unwrap(),
                referral_source: goldaw_core::codes::ReferralSource::Health,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            },
        )
        .await
        .unwrap();
    store
        .allocate_case(&op, case.id, case.version, worker)
        .await
        .unwrap()
}

/// The routes declared in the source of every module under `dir` (relative to this crate):
/// `.route("PATH", get(..).post(..))`, as (method, path). Every module is read, so a new
/// module's routes are found too.
pub fn declared_routes(dir: &str) -> std::collections::BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let sources: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let mut routes = std::collections::BTreeSet::new();
    for source in &sources {
        for chunk in source.split(".route(").skip(1) {
            let Some(chunk) = chunk.trim_start().strip_prefix('"') else {
                continue;
            };
            let Some((path, rest)) = chunk.split_once('"') else {
                continue;
            };
            // The handlers of this route: up to where the next builder call or item starts.
            let end = [".route(", ".merge(", ".layer(", "\n}"]
                .iter()
                .filter_map(|m| rest.find(m))
                .min()
                .unwrap_or(rest.len());
            let call = &rest[..end];
            for method in ["get", "post", "put", "delete", "patch"] {
                if call.contains(&format!("{method}(")) {
                    routes.insert((method.to_owned(), path.to_owned()));
                }
            }
        }
    }
    routes
}

/// The application served on an ephemeral port over a store, with a browser-like client.
pub struct TestApp {
    pub store: Store,
    /// The site's base address, `http://127.0.0.1:PORT`.
    pub base: String,
    /// A client that shows redirects instead of following them.
    pub client: reqwest::Client,
}

impl TestApp {
    /// Serves `store` (a clone of it: the caller keeps using its own).
    pub async fn spawn(store: &Store) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(goldaw_web::serve(store.clone(), listener));
        TestApp {
            store: store.clone(),
            base,
            client: client(),
        }
    }

    /// Adds an account with `password` (as the operator would).
    pub async fn account(
        &self,
        username: &str,
        role: goldaw_core::codes::Role,
        scope: &str,
        password: &str,
    ) {
        add_account(&self.store, username, role, scope, password).await;
    }

    /// Signs in through the form (two factors included where the account needs them); the session
    /// cookie as `name=value`. Panics if the sign-in is refused.
    pub async fn sign_in(&self, user: &str, password: &str) -> String {
        let (status, session) = sign_in(&self.base, user, password).await;
        session.unwrap_or_else(|| panic!("{user} could not sign in: {status}"))
    }

    /// GETs `path` with the session cookie.
    pub async fn get(&self, session: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, session)
            .send()
            .await
            .unwrap()
    }

    /// GETs the page at `path`: its status and text.
    pub async fn page(&self, session: &str, path: &str) -> (StatusCode, String) {
        let r = self.get(session, path).await;
        (r.status(), r.text().await.unwrap())
    }

    /// Submits a form on the page at `form_page` to `action`, with the page's CSRF field added.
    pub async fn submit(
        &self,
        session: &str,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (status, page) = self.page(session, form_page).await;
        assert_eq!(status, StatusCode::OK, "{form_page}: {page}");
        let csrf = csrf_of(&page);
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(format!("{}{action}", self.base))
            .header(header::COOKIE, session)
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}
