//! Issue #16, accounts: two-factor codes cannot be guessed or replayed, a failed sign-in records
//! a username only if it is one, wide grants need a second admin, a new password ends the other
//! sessions, and API tokens expire and say when they were last used. Each on both databases.

use chrono::{Duration, Utc};
use goldaw_core::accounts::NOT_A_USERNAME;
use goldaw_core::codes::Role;
use goldaw_store::audit::AuditQuery;
use goldaw_store::grants::Decision;
use goldaw_store::sessions::Stage;
use goldaw_store::testing::TestDb;
use goldaw_store::two_factor::CodeCheck;
use goldaw_store::users::{NewUser, SignInRefusal, TokenLifetime, UserChange, UserRecord};
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError, StoreOptions};

const PASSWORD: &str = "Garagum çölü 350 müň";
const SOURCE: &str = "10.1.2.3";

async fn open(db: &TestDb, token_lifetime: TokenLifetime) -> Store {
    Store::open_with_options(
        &db.url,
        StoreOptions {
            secrets: Some(goldaw_store::crypto::Secrets::from_key([9u8; 32])),
            token_lifetime,
        },
    )
    .await
    .unwrap()
}

fn new_user(name: &str, role: Role, scope: &str, sensitive: bool) -> NewUser {
    NewUser {
        username: name.into(),
        role,
        scope: scope.parse().unwrap(),
        sensitive,
        unsuppressed: false,
        password: PASSWORD.into(),
    }
}

/// An account made by the operator (applied directly, whatever it grants).
async fn account(
    store: &Store,
    name: &str,
    role: Role,
    scope: &str,
    sensitive: bool,
) -> UserRecord {
    store
        .add_user(
            &Principal::system("test"),
            new_user(name, role, scope, sensitive),
        )
        .await
        .unwrap()
}

fn principal_of(u: &UserRecord) -> Principal {
    Principal::user(
        u.id,
        &u.username,
        u.role,
        u.scope.parse().unwrap(),
        u.sensitive,
    )
}

async fn record(store: &Store, name: &str) -> UserRecord {
    store
        .list_users(&Principal::system("test"))
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == name)
        .unwrap()
}

/// Signs in with the password and opens a session at the stage the account is sent to.
async fn password_session(store: &Store, name: &str) -> (Principal, String, Stage) {
    let p = store
        .sign_in(name, PASSWORD, SOURCE)
        .await
        .unwrap()
        .unwrap_or_else(|r| panic!("{name}: {r:?}"));
    let stage = store.stage_after_password(&p).await.unwrap();
    let token = store.open_session(&p, stage).await.unwrap();
    (p, token, stage)
}

/// An account with two factors set up: signed in once with password and code.
async fn enrolled(store: &Store, name: &str, role: Role, scope: &str) -> UserRecord {
    let u = account(store, name, role, scope, false).await;
    let (p, token, stage) = password_session(store, name).await;
    assert_eq!(stage, Stage::Enrol, "{name} must set up two factors");
    store.start_totp_enrolment(&p).await.unwrap();
    let code = store.unused_totp_for_tests(u.id, name).await.unwrap();
    assert_eq!(
        store.check_totp(&p, &token, &code).await.unwrap(),
        CodeCheck::Accepted
    );
    u
}

/// A six-digit code that is not the account's for any step near now.
async fn wrong_code(store: &Store, u: &UserRecord) -> String {
    let right = store
        .current_totp_for_tests(u.id, &u.username)
        .await
        .unwrap();
    let n: u32 = right.parse().unwrap();
    format!("{:06}", (n + 500_000) % 1_000_000)
}

async fn behind_its_back(db: &TestDb, sql: &str) {
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute_batch(sql).unwrap();
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}

goldaw_store::each_backend! {
    async fn five_wrong_codes_end_the_session_and_lock_the_account_whatever_the_password_does(db: TestDb) {
        let b = db.backend;
        let store = open(&db, TokenLifetime::default()).await;
        let root = enrolled(&store, "root", Role::Admin, "TM").await;
        let wrong = wrong_code(&store, &root).await;

        let (p, first, stage) = password_session(&store, "root").await;
        assert_eq!(stage, Stage::Totp, "{b}");
        for _ in 0..3 {
            assert_eq!(
                store.check_totp(&p, &first, &wrong).await.unwrap(),
                CodeCheck::Refused,
                "{b}"
            );
        }
        // The right password again does not start the count again.
        let (p, second, _) = password_session(&store, "root").await;
        assert_eq!(
            store.check_totp(&p, &second, &wrong).await.unwrap(),
            CodeCheck::Refused,
            "{b}: the fourth"
        );
        let locked = store.check_totp(&p, &second, &wrong).await.unwrap();
        let CodeCheck::Locked { until } = locked else {
            panic!("{b}: the fifth wrong code locks, got {locked:?}");
        };
        assert!(until > Utc::now() + Duration::minutes(14), "{b}: {until}");
        // Both sessions waiting for a code have ended; the account is locked like after five
        // wrong passwords, and even the right code is refused now.
        assert!(
            store.session(&second, SOURCE).await.unwrap().is_none(),
            "{b}"
        );
        assert!(
            store.session(&first, SOURCE).await.unwrap().is_none(),
            "{b}"
        );
        assert!(
            matches!(
                store.sign_in("root", PASSWORD, SOURCE).await.unwrap(),
                Err(SignInRefusal::Locked { .. })
            ),
            "{b}: the password is refused while locked"
        );
        let right = store.unused_totp_for_tests(root.id, "root").await.unwrap();
        assert!(
            matches!(
                store.check_totp(&p, &first, &right).await.unwrap(),
                CodeCheck::Locked { .. }
            ),
            "{b}: no code is checked while locked"
        );
        let failed = store
            .audit_events(
                &Principal::system("test"),
                &AuditQuery {
                    actor: Some("root".into()),
                    entity_id: None,
                    from: None,
                    to: None,
                    limit: 100,
                },
            )
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "signin.totp.failed")
            .count();
        assert_eq!(failed, 6, "{b}: every refused code is audited");
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn a_code_is_good_once(db: TestDb) {
        let b = db.backend;
        let store = open(&db, TokenLifetime::default()).await;
        let root = enrolled(&store, "root", Role::Admin, "TM").await;
        // The code that set two factors up (this step's or the next) is used.
        let (p, token, _) = password_session(&store, "root").await;
        let current = store.current_totp_for_tests(root.id, "root").await.unwrap();
        let fresh = store.unused_totp_for_tests(root.id, "root").await.unwrap();
        if current != fresh {
            assert_eq!(
                store.check_totp(&p, &token, &current).await.unwrap(),
                CodeCheck::Refused,
                "{b}: the code already used"
            );
        }
        assert_eq!(
            store.check_totp(&p, &token, &fresh).await.unwrap(),
            CodeCheck::Accepted,
            "{b}"
        );
        // The same code again, from another session: refused.
        let (p, other, _) = password_session(&store, "root").await;
        assert_eq!(
            store.check_totp(&p, &other, &fresh).await.unwrap(),
            CodeCheck::Refused,
            "{b}: replayed"
        );
        assert_eq!(
            store.session(&other, SOURCE).await.unwrap().unwrap().stage,
            Stage::Totp,
            "{b}: the replaying session is not signed in"
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn a_failed_sign_in_records_the_username_only_if_it_is_one(db: TestDb) {
        let b = db.backend;
        let store = open(&db, TokenLifetime::default()).await;
        account(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        // A password typed into the username field, a valid but unknown name, a known one.
        for typed in ["Garagum çölü 350 müň", "nobody", "aman"] {
            assert_eq!(
                store
                    .sign_in(typed, "wrong password here", SOURCE)
                    .await
                    .unwrap(),
                Err(SignInRefusal::WrongCredentials),
                "{b}"
            );
        }
        let events = store
            .audit_events(
                &Principal::system("test"),
                &AuditQuery {
                    actor: None,
                    entity_id: None,
                    from: None,
                    to: None,
                    limit: 100,
                },
            )
            .await
            .unwrap();
        let actors: Vec<&str> = events
            .iter()
            .filter(|e| e.action == "signin.failed")
            .map(|e| e.actor.as_str())
            .rev()
            .collect();
        assert_eq!(actors, [NOT_A_USERNAME, "nobody", "aman"], "{b}");
        assert!(
            events.iter().all(|e| !format!("{e:?}").contains("Garagum")),
            "{b}: the typed text is nowhere in the log"
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn a_wide_grant_waits_for_a_second_admin_and_the_account_keeps_its_access(db: TestDb) {
        let b = db.backend;
        let store = open(&db, TokenLifetime::default()).await;
        let first = principal_of(&account(&store, "first", Role::Admin, "TM", false).await);
        let second = principal_of(&account(&store, "second", Role::Admin, "TM", false).await);

        // A national account with the sensitive permission, made by one admin: it cannot sign in.
        let made = store
            .add_user(&first, new_user("nation", Role::Supervisor, "TM", true))
            .await
            .unwrap();
        assert!(!made.approved && made.awaiting_approval, "{b}");
        assert_eq!(
            store.sign_in("nation", PASSWORD, SOURCE).await.unwrap(),
            Err(SignInRefusal::WrongCredentials),
            "{b}: not before approval"
        );
        let requests = store.grant_requests(&first).await.unwrap();
        assert_eq!(requests.len(), 1, "{b}");
        let request = &requests[0];
        assert!(request.new_account && request.sensitive, "{b}");
        assert!(!request.actions.approve && request.actions.reject, "{b}");
        // The admin who asked cannot approve; a supervisor cannot even look.
        assert!(
            matches!(
                store
                    .decide_grant(&first, request.id, request.version, Decision::Approve)
                    .await,
                Err(StoreError::Forbidden(_))
            ),
            "{b}"
        );
        let sup = principal_of(&account(&store, "sup", Role::Supervisor, "TM-A", false).await);
        assert!(matches!(
            store.grant_requests(&sup).await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store
                .decide_grant(&sup, request.id, request.version, Decision::Approve)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(
            !record(&store, "nation").await.approved,
            "{b}: refusals change nothing"
        );
        // The second admin approves: it signs in, and must set up two factors first.
        assert!(
            store.grant_requests(&second).await.unwrap()[0]
                .actions
                .approve
        );
        store
            .decide_grant(&second, request.id, request.version, Decision::Approve)
            .await
            .unwrap();
        assert!(
            store.grant_requests(&second).await.unwrap().is_empty(),
            "{b}"
        );
        let (p, _, stage) = password_session(&store, "nation").await;
        assert_eq!(
            stage,
            Stage::Enrol,
            "{b}: a wide account sets up two factors"
        );
        assert!(p.sensitive, "{b}");

        // Widening an existing account: it keeps its access until a second admin approves.
        let aman = account(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        let (_, session, _) = password_session(&store, "aman").await;
        let asked = store
            .change_user(
                &first,
                "aman",
                UserChange {
                    version: aman.version,
                    role: Role::Supervisor,
                    scope: "TM".parse().unwrap(),
                    sensitive: false,
                    unsuppressed: false,
                    enabled: true,
                },
            )
            .await
            .unwrap();
        assert!(asked.awaiting_approval, "{b}");
        assert_eq!(
            (asked.role, asked.scope.as_str()),
            (Role::SocialWorker, "TM-A-01"),
            "{b}"
        );
        let seen = store.session(&session, SOURCE).await.unwrap().unwrap();
        assert_eq!(seen.principal.role, Some(Role::SocialWorker), "{b}");
        // Rejected: nothing changes. Asked again and approved: the session has the new access.
        let request = store.grant_requests(&second).await.unwrap().remove(0);
        store
            .decide_grant(&second, request.id, request.version, Decision::Reject)
            .await
            .unwrap();
        let after = record(&store, "aman").await;
        assert_eq!(
            (after.role, after.scope.as_str(), after.awaiting_approval),
            (Role::SocialWorker, "TM-A-01", false),
            "{b}"
        );
        store
            .change_user(
                &first,
                "aman",
                UserChange {
                    version: after.version,
                    role: Role::Supervisor,
                    scope: "TM".parse().unwrap(),
                    sensitive: false,
                    unsuppressed: false,
                    enabled: true,
                },
            )
            .await
            .unwrap();
        let request = store.grant_requests(&second).await.unwrap().remove(0);
        store
            .decide_grant(&second, request.id, request.version, Decision::Approve)
            .await
            .unwrap();
        assert_eq!(record(&store, "aman").await.scope, "TM", "{b}");
        // It had no second factor: its session ended, so that it signs in again and sets one up.
        assert!(
            store.session(&session, SOURCE).await.unwrap().is_none(),
            "{b}"
        );

        // Narrowing needs nobody; nor does a grant within a velayat.
        let narrowed = store
            .change_user(
                &first,
                "nation",
                UserChange {
                    version: record(&store, "nation").await.version,
                    role: Role::Supervisor,
                    scope: "TM-A".parse().unwrap(),
                    sensitive: true,
                    unsuppressed: false,
                    enabled: true,
                },
            )
            .await
            .unwrap();
        assert!(
            !narrowed.awaiting_approval && narrowed.scope == "TM-A",
            "{b}"
        );
        let local = store
            .add_user(&first, new_user("local", Role::Supervisor, "TM-A", false))
            .await
            .unwrap();
        assert!(local.approved && !local.awaiting_approval, "{b}");
        // One admin making another is four eyes too, whatever the scope.
        let admin = store
            .add_user(&first, new_user("third", Role::Admin, "TM-A-01", false))
            .await
            .unwrap();
        assert!(!admin.approved, "{b}");
        // Nobody approves a grant to their own account.
        let third = principal_of(&admin);
        let own = store
            .grant_requests(&first)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.username == "third")
            .unwrap();
        assert!(matches!(
            store
                .decide_grant(&third, own.id, own.version, Decision::Approve)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn a_grant_asked_for_an_account_that_changed_since_is_not_applied(db: TestDb) {
        let b = db.backend;
        let store = open(&db, TokenLifetime::default()).await;
        let first = principal_of(&account(&store, "first", Role::Admin, "TM", false).await);
        let second = principal_of(&account(&store, "second", Role::Admin, "TM", false).await);
        let aman = account(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        let wide = UserChange {
            version: aman.version,
            role: Role::SocialWorker,
            scope: "TM-A-01".parse().unwrap(),
            sensitive: true,
            unsuppressed: false,
            enabled: true,
        };
        store.change_user(&first, "aman", wide).await.unwrap();
        let request = store.grant_requests(&second).await.unwrap().remove(0);
        // The account holder changes their password meanwhile (the account's version moves).
        let (_, token, _) = password_session(&store, "aman").await;
        let session = store.session(&token, SOURCE).await.unwrap().unwrap();
        store
            .change_password(&session, PASSWORD, "Amyderýa derýasy 2540 km")
            .await
            .unwrap();
        let refused = store
            .decide_grant(&second, request.id, request.version, Decision::Approve)
            .await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid { field, .. }) if field == "grant"),
            "{b}: {refused:?}"
        );
        let now = record(&store, "aman").await;
        assert!(
            !now.sensitive && now.awaiting_approval,
            "{b}: nothing applied"
        );
        // An admin cannot make an API token for a wide account (only the operator can).
        account(&store, "wide", Role::Supervisor, "TM", false).await;
        assert!(matches!(
            store.create_token(&first, "wide").await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(store
            .create_token(&Principal::system("test"), "wide")
            .await
            .is_ok());
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn a_new_password_ends_the_accounts_other_sessions(db: TestDb) {
        let b = db.backend;
        let store = open(&db, TokenLifetime::default()).await;
        account(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        account(&store, "bahar", Role::SocialWorker, "TM-A-01", false).await;
        let (_, mine, _) = password_session(&store, "aman").await;
        let (_, elsewhere, _) = password_session(&store, "aman").await;
        let (_, someone_else, _) = password_session(&store, "bahar").await;
        // Looked up, so they are kept in memory too.
        store.session(&elsewhere, SOURCE).await.unwrap().unwrap();
        let session = store.session(&mine, SOURCE).await.unwrap().unwrap();
        // A wrong current password changes nothing.
        assert!(store
            .change_password(&session, "not the password", "Amyderýa derýasy 2540 km")
            .await
            .is_err());
        assert!(
            store.session(&elsewhere, SOURCE).await.unwrap().is_some(),
            "{b}"
        );
        store
            .change_password(&session, PASSWORD, "Amyderýa derýasy 2540 km")
            .await
            .unwrap();
        assert!(
            store.session(&elsewhere, SOURCE).await.unwrap().is_none(),
            "{b}: the other session ended"
        );
        assert!(store.session(&mine, SOURCE).await.unwrap().is_some(), "{b}");
        assert!(
            store
                .session(&someone_else, SOURCE)
                .await
                .unwrap()
                .is_some(),
            "{b}: other accounts' sessions stay"
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn api_tokens_expire_and_say_when_they_were_last_used(db: TestDb) {
        let b = db.backend;
        let store = open(&db, TokenLifetime::days(7).unwrap()).await;
        account(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        let op = Principal::system("test");
        let token = store.create_token(&op, "aman").await.unwrap();
        let listed = record(&store, "aman").await.tokens;
        assert_eq!(listed.len(), 1, "{b}");
        let expires = listed[0].expires_at.unwrap();
        let week = Utc::now() + Duration::days(7);
        assert!(
            (expires - week).num_seconds().abs() < 60,
            "{b}: the configured lifetime, {expires}"
        );
        assert!(listed[0].last_used_at.is_none(), "{b}: never used yet");
        assert!(store
            .principal_for_token(&token, SOURCE)
            .await
            .unwrap()
            .is_some());
        let used = record(&store, "aman").await.tokens[0].last_used_at;
        assert!(
            used.is_some_and(|u| (Utc::now() - u).num_seconds() < 60),
            "{b}: {used:?}"
        );
        // Past its expiry it opens nothing, and the list says it expired.
        behind_its_back(
            &db,
            match db.backend {
                "sqlite" => "UPDATE api_tokens SET expires_at = '2020-01-01T00:00:00+00:00'",
                _ => "UPDATE api_tokens SET expires_at = '2020-01-01T00:00:00Z'",
            },
        )
        .await;
        assert!(
            store
                .principal_for_token(&token, SOURCE)
                .await
                .unwrap()
                .is_none(),
            "{b}: expired"
        );
        assert!(
            record(&store, "aman").await.tokens[0].expired(Utc::now()),
            "{b}"
        );
        store.close().await;
    }
}
