//! Sessions kept in memory (`session_cache`): every change made through the store takes effect on
//! the next request, and a change made behind the store's back within `SESSION_CACHE_TTL`.

use goldaw_core::codes::Role;
use goldaw_store::sessions::{Stage, SESSION_CACHE_TTL};
use goldaw_store::testing::TestDb;
use goldaw_store::users::NewUser;
use goldaw_store::{DatabaseUrl, Principal, Store};

const PASSWORD: &str = "Köpetdag dagy 2942 m";

async fn account(store: &Store, name: &str, role: Role) -> Principal {
    store
        .add_user(
            &Principal::system("test"),
            NewUser {
                username: name.into(),
                role,
                scope: "TM-A-01".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    store
        .sign_in(name, PASSWORD, "127.0.0.1")
        .await
        .unwrap()
        .unwrap()
}

/// A session opened and looked up once, so that it is kept in memory.
async fn looked_up(store: &Store, who: &Principal, stage: Stage) -> String {
    let token = store.open_session(who, stage).await.unwrap();
    let s = store.session(&token, "127.0.0.1").await.unwrap().unwrap();
    assert_eq!(s.stage, stage);
    token
}

async fn live(store: &Store, token: &str) -> Option<goldaw_store::sessions::Session> {
    store.session(token, "10.0.0.9").await.unwrap()
}

/// Runs one SQL statement behind goldaw's back.
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
    async fn signing_out_ends_a_kept_session_at_once_and_only_that_one(db: TestDb) {
        let store = db.open().await;
        let aman = account(&store, "aman", Role::SocialWorker).await;
        let first = looked_up(&store, &aman, Stage::Active).await;
        let second = looked_up(&store, &aman, Stage::Active).await;
        store.end_session(&first).await.unwrap();
        assert!(live(&store, &first).await.is_none(), "{}", db.backend);
        let other = live(&store, &second)
            .await
            .expect("the other session goes on");
        // The address is the request's, not the one the session was first read with.
        assert_eq!(other.principal.source, "10.0.0.9");
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn disabling_an_account_ends_its_kept_sessions_at_once(db: TestDb) {
        let store = db.open().await;
        let admin = account(&store, "admin", Role::Admin).await;
        let aman = account(&store, "aman", Role::SocialWorker).await;
        let maya = account(&store, "maya", Role::SocialWorker).await;
        let aman_token = looked_up(&store, &aman, Stage::Active).await;
        let maya_token = looked_up(&store, &maya, Stage::Active).await;
        store.disable_user(&admin, "aman").await.unwrap();
        assert!(live(&store, &aman_token).await.is_none(), "{}", db.backend);
        assert!(live(&store, &maya_token).await.is_some(), "{}", db.backend);
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn a_password_change_reads_the_account_again(db: TestDb) {
        let store = db.open().await;
        let aman = account(&store, "aman", Role::SocialWorker).await;
        let token = looked_up(&store, &aman, Stage::Active).await;
        // A supervisor's role given behind the store's back is not seen while the session is
        // kept; the password change, made through the store, drops what was kept.
        behind_its_back(
            &db,
            "UPDATE users SET role = 'supervisor' WHERE username = 'aman'",
        )
        .await;
        assert_eq!(
            live(&store, &token).await.unwrap().principal.role,
            Some(Role::SocialWorker),
            "{}: kept",
            db.backend
        );
        let asking = live(&store, &token).await.unwrap();
        assert_eq!(asking.principal.user_id, aman.user_id);
        store
            .change_password(&asking, PASSWORD, "Gyzylgaýa 1978 daglar")
            .await
            .unwrap();
        assert_eq!(
            live(&store, &token).await.unwrap().principal.role,
            Some(Role::Supervisor),
            "{}: read again",
            db.backend
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn the_second_factor_moves_a_kept_session_on_at_once(db: TestDb) {
        let store = db.open_with_key().await;
        let admin = account(&store, "admin", Role::Admin).await;
        let token = looked_up(&store, &admin, Stage::Enrol).await;
        store.start_totp_enrolment(&admin).await.unwrap();
        let code = store
            .current_totp_for_tests(admin.user_id.unwrap(), "admin")
            .await
            .unwrap();
        assert_eq!(
            store.check_totp(&admin, &token, &code).await.unwrap(),
            goldaw_store::two_factor::CodeCheck::Accepted
        );
        assert_eq!(
            live(&store, &token).await.unwrap().stage,
            Stage::Active,
            "{}",
            db.backend
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    /// The documented bound: what changes outside this process (the command line, another server,
    /// SQL by hand) is seen within `SESSION_CACHE_TTL`, never later.
    async fn changes_made_elsewhere_are_seen_within_the_ttl(db: TestDb) {
        let store = db.open().await;
        let aman = account(&store, "aman", Role::SocialWorker).await;
        let maya = account(&store, "maya", Role::SocialWorker).await;
        let aman_token = looked_up(&store, &aman, Stage::Active).await;
        let maya_token = looked_up(&store, &maya, Stage::Active).await;
        behind_its_back(
            &db,
            "UPDATE users SET scope = 'TM-A-02' WHERE username = 'aman'",
        )
        .await;
        behind_its_back(
            &db,
            "UPDATE users SET disabled = TRUE WHERE username = 'maya'",
        )
        .await;
        tokio::time::sleep(SESSION_CACHE_TTL + std::time::Duration::from_millis(200)).await;
        let aman_now = live(&store, &aman_token).await.unwrap();
        assert_eq!(
            aman_now.principal.scope.to_stored(),
            "TM-A-02",
            "{}",
            db.backend
        );
        assert!(live(&store, &maya_token).await.is_none(), "{}", db.backend);
        store.close().await;
    }
}
