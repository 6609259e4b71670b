//! The pool pings a connection only when it was idle for a while (`db::pool_options`), not before
//! every query: a server restart that broke every idle connection must still not reach a request.

use goldaw_core::codes::Role;
use goldaw_store::testing::postgres;
use goldaw_store::users::NewUser;
use goldaw_store::{DatabaseUrl, Principal};
use sqlx::Connection;

#[tokio::test]
async fn connections_broken_while_idle_are_replaced_before_use() {
    let Some(db) = postgres().await else { return };
    let store = db.open().await;
    let admin = Principal::system("test");
    // Several connections in the pool, each used and idle again.
    for i in 0..4 {
        store
            .add_user(
                &admin,
                NewUser {
                    username: format!("idle-{i}"),
                    role: Role::SocialWorker,
                    scope: "TM-A-01".parse().unwrap(),
                    sensitive: false,
                    unsuppressed: false,
                    password: "Köpetdag dagy 2942 m".into(),
                },
            )
            .await
            .unwrap();
    }
    store.ping().await.unwrap();
    let before = store.list_users(&admin).await.unwrap().len();
    assert!(before >= 4);

    // What a server restart does to them: every backend of this database ends.
    let DatabaseUrl::Postgres(url) = &db.url else {
        unreachable!("postgres() gives a PostgreSQL database")
    };
    let name = url.rsplit('/').next().unwrap().to_owned();
    let mut other = sqlx::PgConnection::connect(url).await.unwrap();
    let ended: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&name)
    .fetch_all(&mut other)
    .await
    .unwrap();
    other.close().await.unwrap();
    assert!(!ended.is_empty(), "the store held no connection to end");

    // Idle for longer than the pool's threshold: each connection is pinged before use, the dead
    // ones are dropped and new ones opened, so every call succeeds.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for _ in 0..8 {
        let users = store.list_users(&admin).await.unwrap();
        assert_eq!(users.len(), before);
    }
    store.close().await;
}
