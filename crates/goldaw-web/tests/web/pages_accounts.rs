//! Issue #16, accounts, through the pages on both databases: a wide grant waits for a second
//! admin on the users page; wrong codes at the code form lock the account and count towards the
//! address's limit; a new password ends the account's other sessions; the users page shows
//! when API tokens expire and were last used.

use crate::common;

use common::{client, cookies, csrf_of, sign_in, sign_in_full};
use goldaw_core::codes::Role;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};

const PASSWORD: &str = "Murgap derýasy 852 km";

async fn serve(store: &Store) -> String {
    let base = crate::common::TestApp::spawn(store).await.base;
    base
}

async fn account(store: &Store, name: &str, role: Role, scope: &str) -> uuid::Uuid {
    store
        .add_user(
            &Principal::system("test"),
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
        .unwrap()
        .id
}

/// Signs in (both factors where needed); the cookie header, with English pages.
async fn signed_in(base: &str, name: &str) -> String {
    let (_, session) = sign_in(base, name, PASSWORD).await;
    format!("{}; goldaw_lang=en", session.unwrap())
}

async fn get(base: &str, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = client()
        .get(format!("{base}{path}"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post(base: &str, cookie: &str, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = client()
        .post(format!("{base}{path}"))
        .header(header::COOKIE, cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The value of the first `name="NAME"` field after `after` on a page.
fn field_after(page: &str, after: &str, name: &str) -> String {
    let from = page
        .find(after)
        .unwrap_or_else(|| panic!("no {after} in {page}"));
    page[from..]
        .split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

goldaw_store::each_backend! {
    async fn a_second_admin_approves_a_wide_grant_on_the_users_page(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let base = serve(&store).await;
        account(&store, "first", Role::Admin, "TM").await;
        account(&store, "second", Role::Admin, "TM").await;
        account(&store, "sup", Role::Supervisor, "TM-A").await;
        account(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        store
            .create_token(&Principal::system("test"), "worker")
            .await
            .unwrap();
        let first = signed_in(&base, "first").await;
        let second = signed_in(&base, "second").await;

        // The first admin makes a national supervisor with the sensitive permission.
        let (_, page) = get(&base, &first, "/admin/users").await;
        assert!(page.contains("Nothing is waiting."), "{b}");
        assert!(
            page.contains("expires ") && page.contains("last used never"),
            "{b}: the token's expiry and last use are shown: {page}"
        );
        let csrf = csrf_of(&page);
        let (status, page) = post(
            &base,
            &first,
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "nation"),
                ("role", "supervisor"),
                ("scope", "TM"),
                ("sensitive", "true"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("needs a second admin"), "{b}: {page}");
        assert!(page.contains("Awaits a second admin"), "{b}");
        // The admin who asked may reject (withdraw) but not approve.
        assert!(!page.contains("value=\"approve\""), "{b}");
        assert!(page.contains("value=\"reject\""), "{b}");
        assert!(
            store
                .sign_in("nation", PASSWORD, "t")
                .await
                .unwrap()
                .is_err(),
            "{b}: cannot sign in yet"
        );
        let id = field_after(&page, "id=\"grants\"", "id");
        let version = field_after(&page, "id=\"grants\"", "version");
        let decide = |cookie: String, csrf: String, decision: &'static str| {
            let (base, id, version) = (base.clone(), id.clone(), version.clone());
            async move {
                post(
                    &base,
                    &cookie,
                    "/admin/users/grants",
                    &[
                        ("csrf", csrf.as_str()),
                        ("id", id.as_str()),
                        ("version", version.as_str()),
                        ("decision", decision),
                    ],
                )
                .await
            }
        };
        let (status, page) = decide(first.clone(), csrf.clone(), "approve").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}: {page}");
        assert!(page.contains("another admin must approve"), "{b}");
        // A supervisor cannot decide at all.
        let sup = signed_in(&base, "sup").await;
        let (_, home) = get(&base, &sup, "/").await;
        let (status, _) = decide(sup.clone(), csrf_of(&home), "approve").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
        assert!(
            store
                .sign_in("nation", PASSWORD, "t")
                .await
                .unwrap()
                .is_err(),
            "{b}: still waiting"
        );

        // The second admin sees the approve button and approves.
        let (_, page) = get(&base, &second, "/admin/users").await;
        assert!(page.contains("value=\"approve\""), "{b}");
        let (status, page) = decide(second.clone(), csrf_of(&page), "approve").await;
        assert_eq!(status, StatusCode::OK, "{b}: {page}");
        assert!(page.contains("Approved"), "{b}");
        assert!(page.contains("Nothing is waiting."), "{b}");
        // Sent again: decided already.
        let (status, _) = decide(second.clone(), csrf_of(&page), "approve").await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}");
        // The new account signs in, and must set up two factors first.
        let s = sign_in_full(&base, "nation", PASSWORD).await;
        assert_eq!(s.location.as_deref(), Some("/login/enrol"), "{b}");
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn wrong_codes_lock_the_account_and_count_towards_the_address_limit(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let base = serve(&store).await;
        account(&store, "root", Role::Admin, "TM").await;
        account(&store, "other", Role::Admin, "TM").await;
        // Both set two factors up (their first sign-in).
        signed_in(&base, "root").await;
        signed_in(&base, "other").await;

        // Password right, then five wrong codes: the fifth ends the session and locks root.
        let s = sign_in_full(&base, "root", PASSWORD).await;
        assert_eq!(s.location.as_deref(), Some("/login/totp"), "{b}");
        let session = s.session.unwrap();
        let (_, form) = get(&base, &session, "/login/totp").await;
        let csrf = csrf_of(&form);
        for i in 1..=4 {
            let (status, page) = post(
                &base,
                &session,
                "/login/totp",
                &[("csrf", &csrf), ("code", "000000")],
            )
            .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}: code {i}");
            assert!(page.contains("name=\"code\""), "{b}: the code form again");
        }
        let r = client()
            .post(format!("{base}/login/totp"))
            .header(header::COOKIE, &session)
            .form(&[("csrf", csrf.as_str()), ("code", "000000")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{b}");
        assert!(
            cookies(&r)
                .iter()
                .any(|c| c.starts_with("goldaw_session=;") && c.contains("Max-Age=0")),
            "{b}: the session cookie is cleared"
        );
        let page = r.text().await.unwrap();
        assert!(page.contains("name=\"password\""), "{b}: back to sign-in");
        let r = client()
            .get(format!("{base}/login/totp"))
            .header(header::COOKIE, &session)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()[header::LOCATION],
            "/login",
            "{b}: the session has ended"
        );
        let again = sign_in_full(&base, "root", PASSWORD).await;
        assert_eq!(
            again.status,
            StatusCode::UNAUTHORIZED,
            "{b}: locked, even with the right password"
        );

        // The address has 6 failures (five codes, the locked sign-in); 14 wrong passwords for
        // nobody make 20, the limit. Then even the right code of another account is not checked
        // at the code form.
        let s = sign_in_full(&base, "other", PASSWORD).await;
        let session = s.session.unwrap();
        let (_, form) = get(&base, &session, "/login/totp").await;
        let csrf = csrf_of(&form);
        for _ in 0..14 {
            let r = sign_in_full(&base, "nobody", "wrong password 123").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{b}");
        }
        let code = store
            .unused_totp_for_tests(
                store
                    .list_users(&Principal::system("test"))
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|u| u.username == "other")
                    .unwrap()
                    .id,
                "other",
            )
            .await
            .unwrap();
        let (status, _) = post(
            &base,
            &session,
            "/login/totp",
            &[("csrf", &csrf), ("code", &code)],
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{b}");
        let (status, _) = get(&base, &session, "/").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{b}: not signed in");
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn a_new_password_on_the_page_ends_the_accounts_other_sessions(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let base = serve(&store).await;
        account(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        let here = signed_in(&base, "worker").await;
        let there = signed_in(&base, "worker").await;
        let (_, page) = get(&base, &here, "/account/password").await;
        let (status, _) = post(
            &base,
            &here,
            "/account/password",
            &[
                ("csrf", &csrf_of(&page)),
                ("current", PASSWORD),
                ("new", "Täze açarsöz 2026 ýyl"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(get(&base, &here, "/").await.0, StatusCode::OK, "{b}");
        let r = client()
            .get(format!("{base}/"))
            .header(header::COOKIE, &there)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b}: signed out");
        assert_eq!(r.headers()[header::LOCATION], "/login", "{b}");
        store.close().await;
    }
}
