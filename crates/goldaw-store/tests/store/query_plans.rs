//! The indexes the load benchmark's profile asked for (issue #24, bench/README.md, "The
//! workforce's mix"): a referral's service episode is found through `service_episodes_referral`
//! (migration 0032), not by scanning every episode of the country for each referral read. On
//! SQLite the plan is asked for (goldaw runs no ANALYZE, so the plan does not depend on the data);
//! on PostgreSQL, whose plans follow its statistics, the index is asked to exist as declared.

use goldaw_store::DatabaseUrl;

/// The join every read of a referral makes (`SELECT_REFERRAL`'s last join).
const REFERRAL_EPISODE: &str = "SELECT r.id, e.started_on, e.units FROM service_referrals r
     LEFT JOIN service_episodes e ON e.referral_id = r.id WHERE r.id = ?1";

goldaw_store::each_backend! {
    async fn a_referrals_episode_is_found_through_its_index(db: TestDb) {
        let _store = db.open().await;
        match &db.url {
            DatabaseUrl::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let mut stmt = conn
                    .prepare(&format!("EXPLAIN QUERY PLAN {REFERRAL_EPISODE}"))
                    .unwrap();
                let plan: Vec<String> = stmt
                    .query_map([vec![0u8; 16]], |row| row.get::<_, String>(3))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                let episodes: Vec<&String> = plan.iter().filter(|l| l.contains(" e ")).collect();
                assert!(
                    episodes.iter().all(|l| l.starts_with("SEARCH") && l.contains("service_episodes_referral")),
                    "the episode must be searched through its index, not scanned: {plan:?}"
                );
                assert!(!episodes.is_empty(), "{plan:?}");
            }
            DatabaseUrl::Postgres(url) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                let def: (String,) = sqlx::query_as(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'service_episodes_referral'",
                )
                .fetch_one(&mut conn)
                .await
                .unwrap();
                assert!(def.0.contains("(referral_id)"), "{}", def.0);
                assert!(def.0.contains("WHERE (referral_id IS NOT NULL)"), "{}", def.0);
            }
        }
    }
}
