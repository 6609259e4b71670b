//! An admin changes what an account may do and see, or whether it may sign in: checked like a
//! new account, versioned, audited, and seen by the account's sessions at once.

use goldaw_core::access::Scope;
use goldaw_core::codes::Role;
use goldaw_store::audit::AuditQuery;
use goldaw_store::sessions::Stage;
use goldaw_store::users::{NewUser, UserChange, UserRecord};
use goldaw_store::{Principal, Store, StoreError};

const PASSWORD: &str = "Köpetdag dagy 2942 m";

async fn account(store: &Store, name: &str, role: Role, scope: &str) -> UserRecord {
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
}

fn change(version: i32, role: Role, scope: &str) -> UserChange {
    UserChange {
        version,
        role,
        scope: scope.parse().unwrap(),
        // Not a wide grant: an admin's change applies at once (tests/accounts.rs has the
        // grants that wait for a second admin).
        sensitive: false,
        unsuppressed: false,
        enabled: true,
    }
}

async fn record(store: &Store, admin: &Principal, name: &str) -> UserRecord {
    store
        .list_users(admin)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == name)
        .unwrap()
}

goldaw_store::each_backend! {
    async fn an_admin_changes_an_accounts_access_and_its_sessions_follow_at_once(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        let admin_rec = account(&store, "admin", Role::Admin, "TM").await;
        let admin = Principal::user(
            admin_rec.id,
            "admin",
            Role::Admin,
            "TM".parse().unwrap(),
            false,
        );
        let aman = account(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let signed = store
            .sign_in("aman", PASSWORD, "127.0.0.1")
            .await
            .unwrap()
            .unwrap();
        let session = store.open_session(&signed, Stage::Active).await.unwrap();
        let token = store.create_token(&admin, "aman").await.unwrap();
        // Looked up once, so the session is kept in memory.
        store.session(&session, "127.0.0.1").await.unwrap().unwrap();

        // A supervisor of the velayat, seen by the session at once.
        let changed = store
            .change_user(
                &admin,
                "aman",
                change(aman.version, Role::Supervisor, "TM-A"),
            )
            .await
            .unwrap();
        assert_eq!(
            (changed.role, changed.scope.as_str(), changed.sensitive),
            (Role::Supervisor, "TM-A", false),
            "{b}"
        );
        assert_eq!(changed.version, aman.version + 1, "{b}");
        let now = store
            .session(&session, "127.0.0.1")
            .await
            .unwrap()
            .unwrap()
            .principal;
        assert_eq!(now.role, Some(Role::Supervisor), "{b}");
        assert_eq!(now.scope, Scope::Unit("TM-A".parse().unwrap()), "{b}");
        let by_token = store
            .principal_for_token(&token, "127.0.0.1")
            .await
            .unwrap();
        assert_eq!(by_token.and_then(|p| p.role), Some(Role::Supervisor), "{b}");

        // A change from the same reading is a conflict; nothing moves.
        let e = store
            .change_user(&admin, "aman", change(aman.version, Role::Planner, "TM"))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict { .. }), "{b}: {e}");

        // What a new account may not have, a changed one may not either.
        let v = changed.version;
        for (bad, field) in [
            (change(v, Role::SocialWorker, "provider:PR1"), "scope"),
            (change(v, Role::Provider, "TM-A-01"), "scope"),
            (change(v, Role::SocialWorker, "TM-Z-99"), "scope"),
            (
                UserChange {
                    unsuppressed: true,
                    ..change(v, Role::SocialWorker, "TM-A-01")
                },
                "unsuppressed",
            ),
        ] {
            match store.change_user(&admin, "aman", bad.clone()).await {
                Err(StoreError::Invalid { field: f, .. }) => assert_eq!(f, field, "{b}"),
                other => panic!("{b}: {bad:?} gave {other:?}"),
            }
        }
        assert_eq!(record(&store, &admin, "aman").await.version, v, "{b}");

        // Disabled: the session ends and the token stops at once. Enabled again: signing in
        // works, and a lockout from wrong passwords is lifted.
        let off = store
            .change_user(
                &admin,
                "aman",
                UserChange {
                    enabled: false,
                    ..change(v, Role::Supervisor, "TM-A")
                },
            )
            .await
            .unwrap();
        assert!(off.disabled, "{b}");
        assert!(
            store
                .session(&session, "127.0.0.1")
                .await
                .unwrap()
                .is_none(),
            "{b}"
        );
        assert!(
            store
                .principal_for_token(&token, "127.0.0.1")
                .await
                .unwrap()
                .is_none(),
            "{b}: the token is revoked"
        );
        for _ in 0..6 {
            let _ = store
                .sign_in("aman", "wrong wrong wrong", "127.0.0.1")
                .await;
        }
        let on = store
            .change_user(
                &admin,
                "aman",
                change(off.version, Role::Supervisor, "TM-A"),
            )
            .await
            .unwrap();
        assert!(!on.disabled && on.locked_until.is_none(), "{b}: {on:?}");
        assert!(
            store
                .sign_in("aman", PASSWORD, "127.0.0.1")
                .await
                .unwrap()
                .is_ok(),
            "{b}: signs in again"
        );

        // An admin cannot demote or disable themselves; others cannot change accounts at all.
        let e = store
            .change_user(
                &admin,
                "admin",
                change(admin_rec.version, Role::Planner, "TM"),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{b}: {e}");
        let e = store
            .change_user(&now, "aman", change(on.version, Role::Ministry, "TM"))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Forbidden(_)), "{b}: {e}");
        let e = store
            .change_user(&admin, "nobody", change(1, Role::Planner, "TM"))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound), "{b}: {e}");

        // Each change is in the audit log, with what the account could do before and after.
        let events = store
            .audit_events(
                &admin,
                &AuditQuery {
                    actor: None,
                    entity_id: Some(aman.id.to_string()),
                    from: None,
                    to: None,
                    limit: 100,
                },
            )
            .await
            .unwrap();
        let changes: Vec<&str> = events
            .iter()
            .filter(|e| e.action == "user.change")
            .filter_map(|e| e.detail.as_deref())
            .collect();
        assert_eq!(changes.len(), 3, "{b}: {changes:?}");
        assert!(
            changes.iter().any(|d| d
                .starts_with("social_worker TM-A-01 sensitive=false unsuppressed=false enabled=true -> supervisor TM-A sensitive=false")),
            "{b}: {changes:?}"
        );
        store.close().await;
    }
}
