//! The web shell over HTTP: cookie flags, CSRF, sign-in limits, sessions, and who sees which page.

use goldaw_core::codes::Role;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::{header, StatusCode};

use crate::common;
use common::{client, cookies, csrf_of, enrol, sign_in, sign_in_full, value_of};

mod attachments;
mod merges;
mod providers;

const PASSWORD: &str = "Amyderýa 1437 km";

async fn site(secure_cookies: bool) -> (String, Store) {
    let db = goldaw_store::testing::sqlite().await;
    let store = db.open().await;
    std::mem::forget(db); // keep the folder for the server's lifetime
    let op = Principal::system("test");
    for (name, role) in [("worker", Role::SocialWorker), ("planner", Role::Planner)] {
        store
            .add_user(
                &op,
                NewUser {
                    username: name.into(),
                    role,
                    scope: "TM-L".parse().unwrap(),
                    sensitive: false,
                    unsuppressed: false,
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(goldaw_web::serve_with(
        store.clone(),
        listener,
        goldaw_web::ServeOptions {
            secure_cookies,
            ..Default::default()
        },
    ));
    (base, store)
}

#[tokio::test]
async fn cookies_are_httponly_strict_and_secure_behind_tls() {
    for secure in [false, true] {
        let (base, _) = site(secure).await;
        let r = client().get(format!("{base}/login")).send().await.unwrap();
        let csrf_cookie = cookies(&r)
            .into_iter()
            .find(|c| c.starts_with("goldaw_login_csrf="))
            .unwrap();
        assert!(
            csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"),
            "{csrf_cookie}"
        );
        assert_eq!(csrf_cookie.contains("Secure"), secure, "{csrf_cookie}");
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
                ("username", "worker"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let session = cookies(&r)
            .into_iter()
            .find(|c| c.starts_with("goldaw_session="))
            .unwrap();
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Strict"),
            "{session}"
        );
        assert_eq!(session.contains("Secure"), secure, "{session}");
    }
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let (base, _) = site(false).await;
    // Sign-in without the double-submit cookie: refused, nobody signed in.
    let r = client()
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", "forged"),
            ("username", "worker"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(cookies(&r)
        .iter()
        .all(|c| !c.starts_with("goldaw_session=")));
    // Sign-out with a wrong token: refused, the session still works.
    let (_, session) = sign_in(&base, "worker", PASSWORD).await;
    let session = session.unwrap();
    let c = client();
    let r = c
        .post(format!("{base}/logout"))
        .header(header::COOKIE, &session)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        c.get(format!("{base}/"))
            .header(header::COOKIE, &session)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // With the page's own token, sign-out ends it.
    let page = c
        .get(format!("{base}/"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = c
        .post(format!("{base}/logout"))
        .header(header::COOKIE, &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .get(format!("{base}/"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the old cookie no longer signs in"
    );
    assert_eq!(r.headers()[header::LOCATION], "/login");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_then_the_address() {
    let (base, _) = site(false).await;
    for _ in 0..4 {
        assert_eq!(
            sign_in(&base, "worker", "wrong password!!").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in(&base, "worker", "wrong password!!").await.0,
        StatusCode::UNAUTHORIZED
    );
    // The account is locked now: the right password does not open it.
    let (status, session) = sign_in(&base, "worker", PASSWORD).await;
    assert_eq!((status, session), (StatusCode::UNAUTHORIZED, None));
    // Guessing other accounts from the same address is cut off too.
    for i in 0..(goldaw_web::pages::MAX_FAILURES_PER_ADDRESS) {
        sign_in(&base, &format!("guess{i}"), "wrong password!!").await;
    }
    assert_eq!(
        sign_in(&base, "planner", PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn pages_need_a_session_and_the_role_for_them() {
    let (base, _) = site(false).await;
    let c = client();
    for path in ["/", "/people", "/people?q=a"] {
        let r = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()[header::LOCATION], "/login");
    }
    let (_, planner) = sign_in(&base, "planner", PASSWORD).await;
    let r = c
        .get(format!("{base}/people?q=a"))
        .header(header::COOKIE, planner.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "planners do not browse people"
    );
    let (_, worker) = sign_in(&base, "worker", PASSWORD).await;
    let r = c
        .get(format!("{base}/people?q=a"))
        .header(header::COOKIE, worker.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // An unknown or malformed session cookie is no session.
    let r = c
        .get(format!("{base}/"))
        .header(header::COOKIE, "goldaw_session=../../etc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The language choice is a cookie; an unknown language falls back to Turkmen.
    let r = c.get(format!("{base}/lang/xx")).send().await.unwrap();
    assert!(cookies(&r).iter().any(|c| c.starts_with("goldaw_lang=tk")));
    let r = c
        .get(format!("{base}/login"))
        .header(header::COOKIE, "goldaw_lang=ru")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Вход в goldaw"));
}

#[tokio::test]
async fn admins_must_set_up_two_factor_sign_in_and_then_use_it() {
    let db = goldaw_store::testing::sqlite().await;
    let key = goldaw_store::crypto::Secrets::from_hex(&"5a".repeat(32)).unwrap();
    let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
    let op = Principal::system("test");
    let admin = store
        .add_user(
            &op,
            NewUser {
                username: "root".into(),
                role: Role::Admin,
                scope: "TM".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let base = crate::common::TestApp::spawn(&store).await.base;
    let c = client();

    let sign_in_admin = || async {
        let s = sign_in_full(&base, "root", PASSWORD).await;
        (s.location.unwrap(), s.session.unwrap())
    };
    // The password alone is not enough: the admin is sent to set up two factors.
    let (next, session) = sign_in_admin().await;
    assert_eq!(next, "/login/enrol");
    let home = c
        .get(format!("{base}/"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::SEE_OTHER, "not signed in yet");
    let page = c
        .get(format!("{base}/login/enrol"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("otpauth://totp/goldaw:root?secret="),
        "the key is shown"
    );
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let post_code = |path: &'static str, session: String, csrf: String, code: String| {
        let c = c.clone();
        let base = base.clone();
        async move {
            c.post(format!("{base}{path}"))
                .header(header::COOKIE, session)
                .form(&[("csrf", csrf), ("code", code)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        post_code(
            "/login/enrol",
            session.clone(),
            csrf.clone(),
            "000000".into()
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    let code = store
        .current_totp_for_tests(admin.id, "root")
        .await
        .unwrap();
    assert_eq!(
        post_code("/login/enrol", session.clone(), csrf.clone(), code).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        c.get(format!("{base}/"))
            .header(header::COOKIE, &session)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // Next time: password, then the code.
    let (next, session) = sign_in_admin().await;
    assert_eq!(next, "/login/totp");
    let page = c
        .get(format!("{base}/login/totp"))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("otpauth://"), "the key is never shown again");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        post_code(
            "/login/totp",
            session.clone(),
            "forged".into(),
            "123456".into()
        )
        .await,
        StatusCode::FORBIDDEN
    );
    // A code is good once: the one used to set up is refused, a new one signs in.
    let used = store
        .current_totp_for_tests(admin.id, "root")
        .await
        .unwrap();
    let code = store.unused_totp_for_tests(admin.id, "root").await.unwrap();
    if used != code {
        assert_eq!(
            post_code("/login/totp", session.clone(), csrf.clone(), used).await,
            StatusCode::UNAUTHORIZED,
            "a code already used"
        );
    }
    assert_eq!(
        post_code("/login/totp", session.clone(), csrf, code).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        c.get(format!("{base}/"))
            .header(header::COOKIE, &session)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // The secret is sealed: not in the database file as its base32 nor raw.
    let goldaw_store::DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!()
    };
    let mut bytes = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    assert!(
        !String::from_utf8_lossy(&bytes).contains("otpauth"),
        "no otpauth URL stored"
    );
}

#[tokio::test]
async fn without_the_encryption_key_two_factor_pages_say_so() {
    let (base, store) = site(false).await;
    store
        .add_user(
            &Principal::system("test"),
            NewUser {
                username: "root".into(),
                role: Role::Admin,
                scope: "TM".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let (status, session) = sign_in(&base, "root", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let r = client()
        .get(format!("{base}/login/enrol"))
        .header(header::COOKIE, session.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        r.text().await.unwrap().contains("şifrleme açary"),
        "the Turkmen message about the missing key"
    );
}

#[tokio::test]
async fn admins_manage_users_and_read_the_audit_log_others_cannot() {
    let db = goldaw_store::testing::sqlite().await;
    let key = goldaw_store::crypto::Secrets::from_hex(&"7e".repeat(32)).unwrap();
    let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
    let op = Principal::system("test");
    let root = store
        .add_user(
            &op,
            NewUser {
                username: "root".into(),
                role: Role::Admin,
                scope: "TM".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    store
        .add_user(
            &op,
            NewUser {
                username: "worker".into(),
                role: Role::SocialWorker,
                scope: "TM-L".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let base = crate::common::TestApp::spawn(&store).await.base;
    let c = client();

    // The admin signs in with both factors.
    let (_, admin) = sign_in(&base, "root", PASSWORD).await;
    let admin = admin.unwrap();
    enrol(&store, &base, &admin, root.id, "root").await;

    let page = c
        .get(format!("{base}/admin/users"))
        .header(header::COOKIE, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains(">worker<"), "{page}");
    let csrf = csrf_of(&page);
    let add = |csrf: String, name: &'static str, password: &'static str| {
        let (c, base, admin) = (c.clone(), base.clone(), admin.clone());
        async move {
            c.post(format!("{base}/admin/users"))
                .header(header::COOKIE, admin)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("username", name),
                    ("role", "hotline"),
                    // A velayat: a national scope would wait for a second admin
                    // (tests/pages_accounts.rs).
                    ("scope", "TM-L"),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        add("forged".into(), "maysa", PASSWORD).await.status(),
        StatusCode::FORBIDDEN
    );
    let weak = add(csrf.clone(), "maysa", "short").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The store's refusal in the page's language (Turkmen, the default), not its English.
    let weak = weak.text().await.unwrap();
    assert!(weak.contains("azyndan 12 belgi"), "{weak}");
    assert!(!weak.contains("at least 12"), "{weak}");
    let added = add(csrf.clone(), "maysa", PASSWORD).await;
    assert_eq!(added.status(), StatusCode::OK);
    assert!(added.text().await.unwrap().contains(">maysa<"));
    assert!(store.sign_in("maysa", PASSWORD, "t").await.unwrap().is_ok());
    let r = c
        .post(format!("{base}/admin/users/disable"))
        .header(header::COOKIE, &admin)
        .form(&[("csrf", csrf.as_str()), ("username", "maysa")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        store
            .sign_in("maysa", PASSWORD, "t")
            .await
            .unwrap()
            .is_err(),
        "disabled"
    );
    // Her access changed through the page: enabled again as a social worker of Lebap; the same
    // form sent again is stale.
    let maysa = store
        .list_users(&Principal::system("test"))
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "maysa")
        .unwrap();
    let version = maysa.version.to_string();
    let change = || {
        c.post(format!("{base}/admin/users/change"))
            .header(header::COOKIE, &admin)
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "maysa"),
                ("version", version.as_str()),
                ("role", "social_worker"),
                ("scope", "TM-L"),
                ("enabled", "true"),
            ])
            .send()
    };
    assert_eq!(change().await.unwrap().status(), StatusCode::OK);
    let signed = store
        .sign_in("maysa", PASSWORD, "t")
        .await
        .unwrap()
        .expect("enabled again");
    assert_eq!(signed.role, Some(Role::SocialWorker));
    assert_eq!(change().await.unwrap().status(), StatusCode::CONFLICT);

    let audit = c
        .get(format!("{base}/admin/audit?actor=root"))
        .header(header::COOKIE, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(audit.status(), StatusCode::OK);
    let audit = audit.text().await.unwrap();
    assert!(
        audit.contains("user.disable")
            && audit.contains("user.create")
            && audit.contains("user.change"),
        "{audit}"
    );
    assert!(
        audit.contains("Žurnal bitewi"),
        "the chain check is shown (in Turkmen by default)"
    );
    let csv = c
        .get(format!("{base}/admin/audit.csv?actor=root"))
        .header(header::COOKIE, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        csv.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("seq,at,actor,source,action,entity,entity_id,detail\n"));
    assert!(csv.lines().skip(1).all(|l| l.contains(",root,")), "{csv}");

    // A social worker sees neither page.
    let (_, worker) = sign_in(&base, "worker", PASSWORD).await;
    let worker = worker.unwrap();
    for path in ["/admin/users", "/admin/audit", "/admin/audit.csv"] {
        assert_eq!(
            c.get(format!("{base}{path}"))
                .header(header::COOKIE, &worker)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[tokio::test]
async fn people_change_their_own_password() {
    let (base, store) = site(false).await;
    let (_, worker) = sign_in(&base, "worker", PASSWORD).await;
    let worker = worker.unwrap();
    let c = client();
    let page = c
        .get(format!("{base}/account/password"))
        .header(header::COOKIE, &worker)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let change = |current: &'static str, new: &'static str| {
        let (c, base, worker, csrf) = (c.clone(), base.clone(), worker.clone(), csrf.clone());
        async move {
            c.post(format!("{base}/account/password"))
                .header(header::COOKIE, worker)
                .form(&[("csrf", csrf.as_str()), ("current", current), ("new", new)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        change("wrong current pw", "Täze açarsöz 2026").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        change(PASSWORD, "short").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(change(PASSWORD, "Täze açarsöz 2026").await, StatusCode::OK);
    assert!(store
        .sign_in("worker", PASSWORD, "t")
        .await
        .unwrap()
        .is_err());
    assert!(store
        .sign_in("worker", "Täze açarsöz 2026", "t")
        .await
        .unwrap()
        .is_ok());
}

#[tokio::test]
async fn an_admin_changes_a_deadline_and_the_calendar_and_bad_input_is_refused() {
    let db = goldaw_store::testing::sqlite().await;
    let key = goldaw_store::crypto::Secrets::from_hex(&"5d".repeat(32)).unwrap();
    let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
    let op = Principal::system("test");
    let root = store
        .add_user(
            &op,
            NewUser {
                username: "root".into(),
                role: Role::Admin,
                scope: "TM".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let base = crate::common::TestApp::spawn(&store).await.base;
    let c = client();
    let (_, admin) = sign_in(&base, "root", PASSWORD).await;
    let admin = admin.unwrap();
    enrol(&store, &base, &admin, root.id, "root").await;
    let page = c
        .get(format!("{base}/admin/settings"))
        .header(header::COOKIE, &admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("amount-holistic_assessment-support"),
        "{page}"
    );
    assert!(
        page.contains("2026-05-18"),
        "the shipped holidays are listed"
    );
    let csrf = csrf_of(&page);
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let (c, base, admin) = (c.clone(), base.clone(), admin.clone());
        async move {
            c.post(format!("{base}{path}"))
                .header(header::COOKIE, admin)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let rule = |amount: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("step", "holistic_assessment".to_owned()),
            ("priority", "support".to_owned()),
            ("amount", amount.to_owned()),
            ("unit", "working_days".to_owned()),
        ]
    };
    // Bad input: refused with the reason, nothing changed.
    let bad = post("/admin/settings/deadline", rule("-3")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("whole number"));
    let kept = store
        .deadline_rules()
        .into_iter()
        .find(|r| r.step.as_str() == "holistic_assessment" && r.priority.as_str() == "support")
        .unwrap();
    assert_eq!(kept.amount, 45);
    // A good change takes effect at once and is audited.
    let ok = post("/admin/settings/deadline", rule("40")).await;
    assert!(
        ok.status().is_success() || ok.status().is_redirection(),
        "{}",
        ok.status()
    );
    let changed = store
        .deadline_rules()
        .into_iter()
        .find(|r| r.step.as_str() == "holistic_assessment" && r.priority.as_str() == "support")
        .unwrap();
    assert_eq!(changed.amount, 40);
    let events = store
        .audit_events(
            &op,
            &goldaw_store::audit::AuditQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.action == "settings.deadline"
        && e.detail.as_deref() == Some("45 working_days -> 40 working_days")));
    // A holiday with a bad date is refused; a good one is added and counts at once.
    let holiday = |day: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("day", day.to_owned()),
            ("name_tk", "Synag güni".to_owned()),
            ("name_ru", "Тестовый день".to_owned()),
            ("name_en", "Test day".to_owned()),
        ]
    };
    assert_eq!(
        post("/admin/settings/holiday", holiday("2026-02-30"))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    post("/admin/settings/holiday", holiday("2026-12-01")).await;
    let day: chrono::NaiveDate = "2026-12-01".parse().unwrap();
    assert!(!store.deadlines().calendar.is_working_day(day));
    // Others may not.
    store
        .add_user(
            &op,
            NewUser {
                username: "sup".into(),
                role: Role::Supervisor,
                scope: "TM".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let (_, sup) = sign_in(&base, "sup", PASSWORD).await;
    let status = c
        .get(format!("{base}/admin/settings"))
        .header(header::COOKIE, sup.unwrap())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
}
