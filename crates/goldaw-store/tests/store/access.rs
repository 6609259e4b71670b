//! Accounts, sign-in and the audit chain, on every backend.

use goldaw_core::access::Scope;
use goldaw_core::codes::Role;
use goldaw_store::audit::AuditCheck;
use goldaw_store::testing::{databases, TestDb};
use goldaw_store::users::{NewUser, SignInRefusal};
use goldaw_store::{DatabaseUrl, Principal, StoreError};
use serde_json::json;

const PASSWORD: &str = "Köpetdag dagy 2942 m";

fn new_user(username: &str) -> NewUser {
    NewUser {
        username: username.into(),
        role: Role::SocialWorker,
        scope: "TM-A-01".parse().unwrap(),
        sensitive: false,
        unsuppressed: false,
        password: PASSWORD.into(),
    }
}

/// Runs one SQL statement behind goldaw's back, as someone with access to the database would.
async fn tamper(db: &TestDb, sql: &str) {
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
    async fn sign_in_checks_the_password_and_locks_after_repeated_failures(db: TestDb) {
        let store = db.open().await;
        let op = Principal::system("test");
        store.add_user(&op, new_user("aman")).await.unwrap();
        let ok = store
            .sign_in("aman", PASSWORD, "127.0.0.1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ok.role, Some(Role::SocialWorker));
        assert_eq!(ok.scope, Scope::Unit("TM-A-01".parse().unwrap()));
        assert_eq!(
            store
                .sign_in("nobody", PASSWORD, "127.0.0.1")
                .await
                .unwrap()
                .unwrap_err(),
            SignInRefusal::WrongCredentials
        );
        for _ in 0..4 {
            assert_eq!(
                store
                    .sign_in("aman", "wrong password!!", "10.0.0.9")
                    .await
                    .unwrap()
                    .unwrap_err(),
                SignInRefusal::WrongCredentials
            );
        }
        assert!(
            matches!(
                store
                    .sign_in("aman", "wrong password!!", "10.0.0.9")
                    .await
                    .unwrap(),
                Err(SignInRefusal::Locked { .. })
            ),
            "{}",
            db.backend
        );
        // Locked: even the right password is refused until the lock ends.
        assert!(
            matches!(
                store.sign_in("aman", PASSWORD, "127.0.0.1").await.unwrap(),
                Err(SignInRefusal::Locked { .. })
            ),
            "{}",
            db.backend
        );
        let admin = Principal::user(
            uuid::Uuid::nil(),
            "admin",
            Role::Admin,
            "TM".parse().unwrap(),
            false,
        );
        let failed = store
            .audit_events(
                &admin,
                &goldaw_store::audit::AuditQuery {
                    actor: Some("aman".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            failed
                .iter()
                .filter(|e| e.action == "signin.failed")
                .count(),
            6,
            "{}",
            db.backend
        );
        assert_eq!(failed.iter().filter(|e| e.action == "signin.ok").count(), 1);
        assert!(failed.iter().any(|e| e.source == "10.0.0.9"));
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn accounts_are_checked_and_only_admins_manage_them(db: TestDb) {
        let store = db.open().await;
        let op = Principal::system("test");
        let short = NewUser {
            password: "short".into(),
            ..new_user("aman")
        };
        assert!(store
            .add_user(&op, short)
            .await
            .unwrap_err()
            .to_string()
            .contains("at least 12"));
        let bad_scope = NewUser {
            scope: "TM-Q-77".parse().unwrap(),
            ..new_user("aman")
        };
        assert!(store
            .add_user(&op, bad_scope)
            .await
            .unwrap_err()
            .to_string()
            .contains("unknown administrative unit"));
        store.add_user(&op, new_user("aman")).await.unwrap();
        assert!(store
            .add_user(&op, new_user("aman"))
            .await
            .unwrap_err()
            .to_string()
            .contains("taken"));
        let worker = store.sign_in("aman", PASSWORD, "x").await.unwrap().unwrap();
        assert!(matches!(
            store.add_user(&worker, new_user("other")).await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store.list_users(&worker).await,
            Err(StoreError::Forbidden(_))
        ));
        store.close().await;
    }
}

#[tokio::test]
async fn a_changed_or_deleted_audit_row_is_detected_and_named() {
    for db in databases().await {
        let store = db.open().await;
        let op = Principal::system("test");
        for name in ["Aýna", "Jeren", "Selbi"] {
            let p = store
                .create_person(
                    &op,
                    None,
                    serde_json::from_value(
                        json!({"given_name": name, "sex": "F", "admin_unit": "TM-L-01"}),
                    )
                    .unwrap(),
                )
                .await
                .unwrap();
            store.person(&op, p.id).await.unwrap();
        }
        let AuditCheck::Intact { events } = store.verify_audit().await.unwrap() else {
            panic!("{}: a fresh log must be intact", db.backend)
        };
        assert!(events >= 6, "{}: {events}", db.backend);

        tamper(
            &db,
            "UPDATE audit_events SET actor = 'someone else' WHERE seq = 3",
        )
        .await;
        match store.verify_audit().await.unwrap() {
            AuditCheck::Broken { seq, reason } => {
                assert_eq!(seq, 3, "{}", db.backend);
                assert!(reason.contains("changed"), "{reason}");
            }
            other => panic!("{}: tampering not detected: {other:?}", db.backend),
        }
        store.close().await;
    }
    for db in databases().await {
        let store = db.open().await;
        let op = Principal::system("test");
        for _ in 0..3 {
            store
                .audit(&op, goldaw_store::audit::AuditEvent::plain("test.event"))
                .await
                .unwrap();
        }
        let last = 3;
        tamper(&db, &format!("DELETE FROM audit_events WHERE seq = {last}")).await;
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditCheck::Broken { seq: 3, .. }
            ),
            "{}: removing the last event",
            db.backend
        );
        tamper(&db, "DELETE FROM audit_events WHERE seq = 1").await;
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditCheck::Broken { seq: 2, .. }
            ),
            "{}: removing the first event",
            db.backend
        );
        store.close().await;
    }
}

#[tokio::test]
async fn no_password_or_token_is_readable_in_the_database_file() {
    let db = goldaw_store::testing::sqlite().await;
    let store = db.open().await;
    let op = Principal::system("test");
    store.add_user(&op, new_user("aman")).await.unwrap();
    let token = store.create_token(&op, "aman").await.unwrap();
    store.close().await;
    let DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!()
    };
    let mut bytes = std::fs::read(path).unwrap();
    // The WAL may hold the latest pages: search it too.
    if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(
        haystack.contains("aman"),
        "the file was read (the username is there)"
    );
    assert!(!haystack.contains(PASSWORD), "the password is in the file");
    assert!(!haystack.contains(&token), "the token is in the file");
    assert!(
        !haystack.contains(&token[4..20]),
        "part of the token is in the file"
    );
    assert!(
        haystack.contains("$argon2id$"),
        "passwords are stored as argon2id hashes"
    );
}

goldaw_store::each_backend! {
    async fn sessions_end_on_sign_out_and_after_the_idle_timeout(db: TestDb) {
        let store = db.open().await;
        store
            .add_user(&Principal::system("test"), new_user("aman"))
            .await
            .unwrap();
        let who = store
            .sign_in("aman", PASSWORD, "127.0.0.1")
            .await
            .unwrap()
            .unwrap();
        let token = store
            .open_session(&who, goldaw_store::sessions::Stage::Active)
            .await
            .unwrap();
        let s = store
            .session(&token, "127.0.0.1")
            .await
            .unwrap()
            .expect("a fresh session works");
        assert_eq!(s.principal.actor, "aman");
        assert_eq!(s.csrf.len(), 64);
        assert!(store
            .session("0".repeat(64).as_str(), "x")
            .await
            .unwrap()
            .is_none());
        // Idle for longer than the timeout: gone.
        let stale = match db.backend {
            "sqlite" => "UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00+00:00'",
            _ => "UPDATE sessions SET last_seen_at = now() - interval '31 minutes'",
        };
        tamper(&db, stale).await;
        // Kept in memory, the session is read again after SESSION_CACHE_TTL; here at once.
        store.forget_cached_sessions();
        assert!(
            store.session(&token, "127.0.0.1").await.unwrap().is_none(),
            "{}",
            db.backend
        );
        let token = store
            .open_session(&who, goldaw_store::sessions::Stage::Active)
            .await
            .unwrap();
        store.end_session(&token).await.unwrap();
        assert!(
            store.session(&token, "127.0.0.1").await.unwrap().is_none(),
            "{}",
            db.backend
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    /// Reads hand their events to the group-commit writer while changes append inside their own
    /// transactions: under concurrency the chain must stay gapless and intact, with every event once.
    multi_thread async fn concurrent_reads_and_writes_keep_the_audit_chain_whole(db: TestDb) {
        use goldaw_store::audit::{AuditEvent, AuditQuery};
        let store = db.open().await;
        let op = Principal::system("test");
        let before = match store.verify_audit().await.unwrap() {
            AuditCheck::Intact { events } => events,
            other => panic!("{}: {other:?}", db.backend),
        };
        const READS: usize = 300;
        const WRITES: usize = 10;
        let reads = futures::future::join_all((0..READS).map(|i| {
            let (store, op) = (store.clone(), op.clone());
            tokio::spawn(async move {
                store
                    .audit(&op, AuditEvent::on("test.read", "person", format!("r{i}")))
                    .await
            })
        }));
        let writes = futures::future::join_all((0..WRITES).map(|i| {
            let (store, op) = (store.clone(), op.clone());
            tokio::spawn(async move {
                store
                    .create_person(
                        &op,
                        None,
                        serde_json::from_value(json!({
                            "given_name": format!("Maýsa{i}"), "sex": "F", "admin_unit": "TM-L-01"
                        }))
                        .unwrap(),
                    )
                    .await
                    .map(|_| ())
            })
        }));
        let (reads, writes) = tokio::join!(reads, writes);
        for r in reads.into_iter().chain(writes) {
            r.unwrap().unwrap();
        }
        let events = match store.verify_audit().await.unwrap() {
            AuditCheck::Intact { events } => events,
            other => panic!(
                "{}: the chain broke under concurrency: {other:?}",
                db.backend
            ),
        };
        assert!(
            events >= before + (READS + WRITES) as u64,
            "{}: {events} events after {before}",
            db.backend
        );
        let rows = store
            .audit_events(
                &op,
                &AuditQuery {
                    actor: Some(op.actor.clone()),
                    limit: 10_000,
                    ..AuditQuery::default()
                },
            )
            .await
            .unwrap();
        let read_rows: Vec<_> = rows.iter().filter(|r| r.action == "test.read").collect();
        let mut ids: Vec<_> = read_rows
            .iter()
            .filter_map(|r| r.entity_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), READS, "{}: every read recorded once", db.backend);
        assert_eq!(read_rows.len(), READS, "{}", db.backend);
        // Events of one group commit share their time: fewer times than reads shows the grouping.
        let mut times: Vec<_> = read_rows.iter().map(|r| r.at).collect();
        times.sort();
        times.dedup();
        assert!(
            times.len() < READS / 2,
            "{}: {} commits for {READS} concurrent reads",
            db.backend,
            times.len()
        );
        store.close().await;
    }
}
