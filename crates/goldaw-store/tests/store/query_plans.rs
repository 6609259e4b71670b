//! The indexes the load benchmark's profile asked for (issue #24, bench/README.md, "The
//! workforce's mix"): a referral's service episode is found through `service_episodes_referral`
//! (migration 0032), not by scanning every episode of the country for each referral read; the
//! unallocated cases of a velayat or the nation through `cases_unallocated` in the list's order,
//! and a worker's cases through `cases_worker`, which holds allocated cases only (0036). On
//! SQLite the plan is asked for (goldaw runs no ANALYZE, so the plan does not depend on the data);
//! on PostgreSQL, whose plans follow its statistics, the index is asked to exist as declared.

use goldaw_store::DatabaseUrl;

/// The join every read of a referral makes (`SELECT_REFERRAL`'s last join).
const REFERRAL_EPISODE: &str = "SELECT r.id, e.started_on, e.units FROM service_referrals r
     LEFT JOIN service_episodes e ON e.referral_id = r.id WHERE r.id = ?1";

/// The unallocated list at velayat or national scope, as `Store::case_page` chooses its page.
const UNALLOCATED: &str = "SELECT * FROM cases c
     WHERE (((c.admin_unit || '') >= ?1 AND (c.admin_unit || '') < ?2)
            OR ((c.transfer_to || '') >= ?1 AND (c.transfer_to || '') < ?2))
       AND c.status <> 'closed' AND c.worker_user_id IS NULL
     ORDER BY c.opened_on DESC, c.external_id DESC LIMIT 51";

/// The caseloads' count of the listed workers' open cases.
const CASELOAD: &str = "SELECT worker_user_id, count(*) FROM cases
     WHERE worker_user_id IN (?1, ?2) AND status <> 'closed' GROUP BY worker_user_id";

/// SQLite's plan of `sql`, one line per step.
fn sqlite_plan(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    stmt.query_map(params, |row| row.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

goldaw_store::each_backend! {
    async fn unallocated_and_allocated_cases_are_read_through_their_own_indexes(db: TestDb) {
        let _store = db.open().await;
        match &db.url {
            DatabaseUrl::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let plan = sqlite_plan(&conn, UNALLOCATED, ["TM", "TM."]);
                assert!(
                    plan.iter().any(|l| l.contains("USING INDEX cases_unallocated")),
                    "the unallocated list walks its index: {plan:?}"
                );
                assert!(
                    !plan.iter().any(|l| l.contains("TEMP B-TREE")),
                    "in the list's order, no sort: {plan:?}"
                );
                let plan = sqlite_plan(&conn, CASELOAD, [vec![1u8; 16], vec![2u8; 16]]);
                assert!(
                    plan.iter().any(|l| l.contains("cases_worker")),
                    "a worker's cases through cases_worker: {plan:?}"
                );
            }
            DatabaseUrl::Postgres(url) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                for (name, columns, condition) in [
                    ("cases_unallocated", "(opened_on, external_id)", "WHERE ((worker_user_id IS NULL) AND (status <> 'closed'::text))"),
                    ("cases_worker", "(worker_user_id, status)", "WHERE (worker_user_id IS NOT NULL)"),
                ] {
                    let def: (String,) = sqlx::query_as("SELECT indexdef FROM pg_indexes WHERE indexname = $1")
                        .bind(name)
                        .fetch_one(&mut conn)
                        .await
                        .unwrap();
                    assert!(def.0.contains(columns) && def.0.contains(condition), "{}", def.0);
                }
            }
        }
    }

    async fn a_referrals_episode_is_found_through_its_index(db: TestDb) {
        let _store = db.open().await;
        match &db.url {
            DatabaseUrl::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let plan = sqlite_plan(&conn, REFERRAL_EPISODE, [vec![0u8; 16]]);
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
