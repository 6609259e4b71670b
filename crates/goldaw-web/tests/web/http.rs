//! The HTTP layer on every backend: who the client is behind a reverse proxy
//! (`GOLDAW_TRUSTED_PROXIES`), the browser protections on every answer, and a server that slow or
//! half-open connections cannot fill.

use goldaw_core::codes::Role;
use goldaw_store::audit::AuditQuery;
use goldaw_store::testing::databases;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use goldaw_web::{ServeOptions, TrustedProxies};
use reqwest::{header, StatusCode};

use crate::common;
use crate::webdriver;
use common::{client, cookies, value_of};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use webdriver::Driver;

const PASSWORD: &str = "Köpetdag 2942 m belent";

async fn serve(store: &Store, options: ServeOptions) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve_with(store.clone(), listener, options));
    base
}

async fn add_user(store: &Store, name: &str, role: Role) {
    store
        .add_user(
            &Principal::system("test"),
            NewUser {
                username: name.into(),
                role,
                scope: "TM-A".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
}

/// Signs in through the form with `X-Forwarded-For: xff` (if any); answers the status.
async fn sign_in_from(base: &str, xff: Option<&str>, user: &str, password: &str) -> StatusCode {
    let c = client();
    let with_xff = |r: reqwest::RequestBuilder| match xff {
        Some(v) => r.header("x-forwarded-for", v),
        None => r,
    };
    let form = with_xff(c.get(format!("{base}/login")))
        .send()
        .await
        .unwrap();
    let csrf = value_of(
        cookies(&form)
            .iter()
            .find(|c| c.starts_with("goldaw_login_csrf="))
            .unwrap(),
    );
    with_xff(c.post(format!("{base}/login")))
        .header(header::COOKIE, format!("goldaw_login_csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

/// The source of the newest audit event with this action.
async fn last_source(store: &Store, action: &str) -> String {
    let events = store
        .audit_events(
            &Principal::system("test"),
            &AuditQuery {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    events
        .into_iter()
        .find(|e| e.action == action)
        .unwrap_or_else(|| panic!("no {action} event"))
        .source
}

/// Fails sign-in (an unknown user: no account gets locked) until the address is limited.
async fn exhaust_limit(base: &str, xff: impl Fn(usize) -> String) {
    for i in 0..goldaw_web::pages::MAX_FAILURES_PER_ADDRESS as usize {
        let status = sign_in_from(base, Some(&xff(i)), "nobody", "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
}

goldaw_store::each_backend! {
    async fn behind_a_trusted_proxy_the_forwarded_client_is_audited_and_limited(db: TestDb) {
        let store = db.open_with_key().await;
        add_user(&store, "worker", Role::SocialWorker).await;
        let options = ServeOptions {
            trusted_proxies: "127.0.0.1".parse().unwrap(),
            ..Default::default()
        };
        let base = serve(&store, options).await;

        // One client behind the proxy fails until its address is limited; what it writes left
        // of the proxy's entry is its own claim and changes nothing.
        exhaust_limit(&base, |i| format!("192.0.2.{i}, 198.51.100.1")).await;
        let status = sign_in_from(&base, Some("198.51.100.1"), "worker", PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{}", db.backend);
        assert_eq!(last_source(&store, "signin.failed").await, "198.51.100.1");

        // Another client behind the same proxy is not shut out, and is audited as itself.
        let status = sign_in_from(&base, Some("198.51.100.2"), "worker", PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", db.backend);
        assert_eq!(last_source(&store, "signin.ok").await, "198.51.100.2");

        // The API's principal carries the forwarded client into the audit log too.
        let token = store
            .create_token(&Principal::system("test"), "worker")
            .await
            .unwrap();
        let r = reqwest::Client::new()
            .get(format!("{base}/api/v1/persons?name=orazow"))
            .bearer_auth(&token)
            .header("x-forwarded-for", "203.0.113.77")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", db.backend);
        assert_eq!(last_source(&store, "person.search").await, "203.0.113.77");
    }
}

goldaw_store::each_backend! {
    async fn from_an_untrusted_peer_the_forwarded_header_is_ignored(db: TestDb) {
        let store = db.open_with_key().await;
        add_user(&store, "worker", Role::SocialWorker).await;
        // The default (no proxy trusted) and a list that does not name this peer.
        for trusted in [TrustedProxies::none(), "10.0.0.0/8".parse().unwrap()] {
            let options = ServeOptions {
                trusted_proxies: trusted.clone(),
                ..Default::default()
            };
            let base = serve(&store, options).await;
            // A client inventing a new address for every attempt is still one address.
            exhaust_limit(&base, |i| format!("198.51.100.{i}")).await;
            let status = sign_in_from(&base, Some("203.0.113.1"), "worker", PASSWORD).await;
            assert_eq!(
                status,
                StatusCode::TOO_MANY_REQUESTS,
                "{} trusting {trusted}",
                db.backend
            );
            assert_eq!(last_source(&store, "signin.failed").await, "127.0.0.1");
        }
    }
}

/// The protections every answer must carry; `cacheable` for the static files alone.
fn assert_protected(r: &reqwest::Response, what: &str, cacheable: bool) {
    let h = r.headers();
    let get = |name: &str| {
        h.get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
    };
    let csp = get("content-security-policy");
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    let cache = get("cache-control");
    if cacheable {
        assert!(cache.contains("max-age=31536000"), "{what}: {cache}");
    } else {
        assert_eq!(cache, "no-store", "{what}");
    }
}

/// No inline script, handler or style in a page: the policy would block it.
fn assert_nothing_inline(page: &str, what: &str) {
    for forbidden in ["<style", "style=", "onclick=", "javascript:"] {
        assert!(!page.contains(forbidden), "{what} has {forbidden}");
    }
    for tag in page.split("<script").skip(1) {
        assert!(
            tag.split('>').next().unwrap().contains(" src=\"/static/"),
            "{what} has an inline script"
        );
    }
}

goldaw_store::each_backend! {
    async fn every_answer_carries_the_browser_protections_and_pages_inline_nothing(db: TestDb) {
        let store = db.open_with_key().await;
        add_user(&store, "worker", Role::SocialWorker).await;
        add_user(&store, "planner", Role::Planner).await;
        let base = serve(&store, ServeOptions::default()).await;
        let c = client();
        let get = |path: &str, session: Option<&str>| {
            let mut r = c.get(format!("{base}{path}"));
            if let Some(s) = session {
                r = r.header(header::COOKIE, s.to_owned());
            }
            r.send()
        };
        let worker = common::sign_in(&base, "worker", PASSWORD).await.1.unwrap();
        let planner = common::sign_in(&base, "planner", PASSWORD).await.1.unwrap();

        // Pages, signed in or not, found or refused.
        let mut stylesheets = Vec::new();
        for (path, session, status) in [
            ("/login", None, StatusCode::OK),
            ("/", Some(&worker), StatusCode::OK),
            ("/people?q=orazow", Some(&worker), StatusCode::OK),
            ("/people", Some(&planner), StatusCode::FORBIDDEN),
            ("/statistics/dashboard", Some(&planner), StatusCode::OK),
            ("/planning", Some(&planner), StatusCode::OK),
        ] {
            let what = format!("{} GET {path}", db.backend);
            let r = get(path, session.map(String::as_str)).await.unwrap();
            assert_eq!(r.status(), status, "{what}");
            assert_protected(&r, &what, false);
            let page = r.text().await.unwrap();
            assert_nothing_inline(&page, &what);
            for part in page.split("<link rel=\"stylesheet\" href=\"").skip(1) {
                stylesheets.push(part.split('"').next().unwrap().replace("&#x2f;", "/"));
            }
        }
        // The message page's "go back" works through a served script.
        let refused = get("/people", Some(&planner)).await.unwrap();
        let refused = refused.text().await.unwrap();
        assert!(refused.contains("id=\"go-back\""), "{refused}");
        let script = refused
            .split("<script src=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();

        // The API, the health check, a path that does not exist.
        let token = store
            .create_token(&Principal::system("test"), "worker")
            .await
            .unwrap();
        let r = reqwest::Client::new()
            .get(format!("{base}/api/v1/persons?name=orazow"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_protected(&r, "API", false);
        for path in ["/api/v1/persons", "/health", "/no/such/page"] {
            let r = get(path, None).await.unwrap();
            assert_protected(&r, path, false);
        }

        // The stylesheets and the script: cached, of their own type, never sniffed.
        assert!(stylesheets.len() >= 3, "{stylesheets:?}");
        stylesheets.push(script);
        for href in &stylesheets {
            assert!(href.contains("?v="), "{href}");
            let r = get(href, None).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{href}");
            assert_protected(&r, href, true);
            let kind = r.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                kind.starts_with("text/css") || kind.starts_with("text/javascript"),
                "{href}: {kind}"
            );
        }
        assert_eq!(
            get("/static/nothing.css", None).await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
    }
}

impl Driver {
    async fn run(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Waits (up to 10 s) until the page's address ends with `tail`; answers the last address.
    async fn url_ending(&self, tail: &str) -> String {
        let started = Instant::now();
        loop {
            let url = self.url().await;
            if url.ends_with(tail) || started.elapsed() > Duration::from_secs(10) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the browser refused under the Content-Security-Policy, from its console.
    async fn csp_violations(&self) -> Vec<String> {
        let log = self
            .cmd("POST", "/se/log", json!({"type": "browser"}))
            .await;
        let entries = log
            .as_array()
            .unwrap_or_else(|| panic!("no browser log: {log}"));
        entries
            .iter()
            .filter_map(|e| e["message"].as_str())
            .filter(|m| {
                m.contains("Content Security Policy") || m.contains("Content-Security-Policy")
            })
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test]
async fn in_chromium_pages_are_styled_scripts_run_and_back_after_sign_out_shows_nothing() {
    let Some(browser) = Driver::start("1024,800").await else {
        return;
    };
    for db in databases().await {
        let store = db.open_with_key().await;
        add_user(&store, "worker", Role::SocialWorker).await;
        let site = serve(&store, ServeOptions::default()).await;
        let backend = db.backend;

        browser.goto(&format!("{site}/login")).await;
        browser.type_into("#username", "worker").await;
        browser.type_into("#password", PASSWORD).await;
        browser.click("#sign-in").await;
        browser.find("#home-title").await;
        // The stylesheet applies (the page background of base.css).
        assert_eq!(
            browser
                .run("return getComputedStyle(document.body).backgroundColor")
                .await,
            "rgb(246, 247, 249)",
            "{backend}"
        );

        // A search that names a person; switching the language stays on it (the language link
        // alone sends the page's address, to goldaw).
        let search = "/people?q=Orazowa";
        browser.goto(&format!("{site}{search}")).await;
        browser.find("#q").await;
        browser.click("a[lang=ru]").await;
        browser.find("a[lang=ru][aria-current]").await;
        assert!(browser.url().await.ends_with(search), "{backend}");

        // A page's own stylesheet applies too.
        browser.goto(&format!("{site}/statistics/dashboard")).await;
        browser.find("#dashboard-title").await;
        assert_eq!(
            browser
                .run("return getComputedStyle(document.querySelector('.headlines')).display")
                .await,
            "grid",
            "{backend}"
        );

        // The message page's "back" link is shown and steps back, by its script file.
        let missing = format!("{site}/cases/{}", uuid::Uuid::nil());
        browser.goto(&missing).await;
        browser.find("#message-title").await;
        assert_eq!(
            browser
                .run("return document.getElementById('go-back-item').hidden")
                .await,
            false,
            "{backend}"
        );
        browser.click("#go-back").await;
        let url = browser.url_ending("/statistics/dashboard").await;
        assert!(url.ends_with("/statistics/dashboard"), "{backend}: {url}");

        // After sign-out, the back button does not show the search again: it was not kept.
        browser.goto(&format!("{site}{search}")).await;
        browser.find("#q").await;
        browser.click("#sign-out").await;
        browser.find("#username").await;
        browser.cmd("POST", "/back", json!({})).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            !browser.exists("#q").await,
            "{backend}: the search is shown"
        );
        browser.find("#username").await;

        let blocked = browser.csp_violations().await;
        assert!(blocked.is_empty(), "{backend}: {blocked:#?}");
    }
    browser.quit().await;
}

/// Connections that send half a request head and then nothing.
async fn half_open(site: &str, n: usize) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let addr = site.trim_start_matches("http://");
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: goldaw\r\nX-Slow: ")
            .await
            .unwrap();
        held.push(s);
    }
    held
}

/// What the server does to a connection, waiting at most `limit`: `Some(text)` once it closed
/// (with what it wrote first), `None` if it was still open.
async fn closed_within(s: &mut tokio::net::TcpStream, limit: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn half_open_connections_are_closed_and_cannot_keep_others_out() {
    const TIMEOUT: Duration = Duration::from_secs(1);
    const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
    const BOUND: usize = 40;
    for db in databases().await {
        let store = db.open_with_key().await;
        add_user(&store, "worker", Role::SocialWorker).await;
        let options = ServeOptions {
            header_read_timeout: TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            max_connections: BOUND,
            ..Default::default()
        };
        let site = serve(&store, options).await;
        let backend = db.backend;

        // Fewer than the bound: the others are served at once, pages included.
        let mut slow = half_open(&site, BOUND - 5).await;
        let started = Instant::now();
        let r = client().get(format!("{site}/health")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{backend}");
        let session = common::sign_in(&site, "worker", PASSWORD).await.1.unwrap();
        let r = client()
            .get(format!("{site}/people"))
            .header(header::COOKIE, &session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{backend}");
        assert!(
            started.elapsed() < TIMEOUT,
            "{backend}: {:?}",
            started.elapsed()
        );

        // The half-open ones are closed after the header timeout, not held.
        for s in &mut slow {
            let closed = closed_within(s, 3 * TIMEOUT).await;
            assert!(
                closed.is_some(),
                "{backend}: still open after {:?}",
                started.elapsed()
            );
        }
        let after = started.elapsed();
        assert!(after < 3 * TIMEOUT, "{backend}: closed after {after:?}");

        // More than the bound: the connections that have waited longest without a request are
        // closed to make room, so a normal client is served at once while the flood goes on.
        let started = Instant::now();
        let flood = half_open(&site, 3 * BOUND).await;
        let watched: Vec<_> = flood
            .into_iter()
            .map(|mut s| {
                tokio::spawn(async move {
                    let answer = closed_within(&mut s, 3 * TIMEOUT).await;
                    (answer, started.elapsed())
                })
            })
            .collect();
        let r = client().get(format!("{site}/health")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{backend}");
        let r = client()
            .get(format!("{site}/people"))
            .header(header::COOKIE, &session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{backend}");
        let served = started.elapsed();
        assert!(served < TIMEOUT, "{backend}: served after {served:?}");
        let mut made_room = 0;
        for w in watched {
            let (answer, at) = w.await.unwrap();
            let answer = answer.unwrap_or_else(|| panic!("{backend}: still open after {at:?}"));
            assert_eq!(answer, "", "{backend}: a half-open connection was answered");
            if at < TIMEOUT {
                made_room += 1;
            }
        }
        assert!(
            made_room >= 2 * BOUND,
            "{backend}: only {made_room} closed early"
        );

        // Every connection working on a request (a body that never comes): a new one is told at
        // once, in every language, that the server is busy; once those requests time out it is
        // served again.
        let addr = site.trim_start_matches("http://");
        let mut working = Vec::new();
        for _ in 0..BOUND {
            use tokio::io::AsyncWriteExt;
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(
                b"POST /login HTTP/1.1\r\nHost: goldaw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=",
            )
            .await
            .unwrap();
            working.push(s);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let answer = closed_within(&mut s, TIMEOUT / 2).await;
        let answer = answer.unwrap_or_else(|| panic!("{backend}: no answer when full"));
        assert!(answer.starts_with("HTTP/1.1 503"), "{backend}: {answer}");
        for busy in ["goldaw is busy", "goldaw häzir", "goldaw сейчас"] {
            assert!(answer.contains(busy), "{answer}");
        }
        loop {
            let r = client().get(format!("{site}/health")).send().await;
            if r.as_ref().is_ok_and(|r| r.status() == StatusCode::OK) {
                break;
            }
            assert!(
                started.elapsed() < REQUEST_TIMEOUT + 2 * TIMEOUT,
                "{backend}: shut out for {:?}: {r:?}",
                started.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(working);
    }
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_503_on_pages_and_the_api() {
    use tokio::io::AsyncWriteExt;
    const LIMIT: Duration = Duration::from_secs(1);
    for db in databases().await {
        let store = db.open_with_key().await;
        add_user(&store, "worker", Role::SocialWorker).await;
        let token = store
            .create_token(&Principal::system("test"), "worker")
            .await
            .unwrap();
        let options = ServeOptions {
            request_timeout: LIMIT,
            // Longer than the request timeout: the request's, not the connection's, runs out.
            header_read_timeout: 10 * LIMIT,
            ..Default::default()
        };
        let site = serve(&store, options).await;
        let backend = db.backend;
        let addr = site.trim_start_matches("http://");
        // A body announced and never finished: the handler waits for it.
        for (path, extra) in [
            (
                "/login",
                "Cookie: goldaw_lang=en\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    .to_owned(),
            ),
            (
                "/api/v1/persons",
                format!("Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"),
            ),
        ] {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: goldaw\r\n{extra}Content-Length: 1000\r\n\r\nusername="
            );
            s.write_all(head.as_bytes()).await.unwrap();
            let started = Instant::now();
            let answer = closed_within(&mut s, 5 * LIMIT).await.unwrap_or_else(|| {
                panic!("{backend} {path}: no answer after {:?}", started.elapsed())
            });
            assert!(started.elapsed() >= LIMIT, "{backend} {path}");
            assert!(
                answer.starts_with("HTTP/1.1 503"),
                "{backend} {path}: {answer}"
            );
            assert!(answer.contains("no-store"), "{answer}");
            if path.starts_with("/api") {
                assert!(answer.contains("\"code\":\"timeout\""), "{answer}");
            } else {
                assert!(answer.contains("took too long to answer"), "{answer}");
            }
        }
        // Nothing of it was recorded: no person was created.
        let r = reqwest::Client::new()
            .get(format!("{site}/api/v1/persons?name=a"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "{backend}: the server still serves"
        );
    }
}
