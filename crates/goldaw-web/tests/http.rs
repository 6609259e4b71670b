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

mod common;
use common::{client, cookies, value_of};

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

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_audited_and_limited() {
    for db in databases().await {
        let store = db.open().await;
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

#[tokio::test]
async fn from_an_untrusted_peer_the_forwarded_header_is_ignored() {
    for db in databases().await {
        let store = db.open().await;
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
