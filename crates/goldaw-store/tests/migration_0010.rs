//! Migration 0010 rebuilds `persons` and `households` on SQLite as WITHOUT ROWID tables keyed by
//! their id. It must be safe on a database with data: every row, every reference to them (cases,
//! episodes, target groups, merges, a merged record), their indexes and the reporting trigger
//! must come through. On PostgreSQL the migration does nothing; the same data must survive it.

use goldaw_store::testing::{databases, TestDb};
use goldaw_store::DatabaseUrl;
use std::borrow::Cow;

/// Households H1 (two members), H2 (one); P3 was merged into P1; P1 has two target groups, a
/// case and an episode (so a `report_service_uses` row), P2 an episode without a case.
const DATA: &str = "
INSERT INTO admin_units (code, parent_code, level, name_tk, name_en, name_ru, sort_order)
    VALUES ('TM', NULL, 'country', 'Türkmenistan', 'Turkmenistan', 'Туркменистан', 0);
INSERT INTO services (code, level, unit, sort_order) VALUES ('S10', 'secondary', 'hour', 1);
INSERT INTO households (id, external_id, admin_unit, settlement, address, implicit, version, created_at, updated_at)
VALUES (x'0190000000007000800000000000000a', 'H1', 'TM', 'rural', 'köçe 5', 0, 1, 't', 't'),
       (x'0190000000007000800000000000000b', 'H2', 'TM', NULL, NULL, 1, 2, 't', 't');
INSERT INTO persons (id, external_id, household_id, given_name, family_name, name_key, sex, birth_date,
    admin_unit, settlement, disability, target_groups, sensitive, version, created_at, updated_at)
VALUES (x'01900000000070008000000000000001', 'P1', x'0190000000007000800000000000000a', 'Aýna', 'Orazowa',
        'orazowa ayna', 'F', '1990-05-01', 'TM', 'rural', 1, 'woman_gbv;adult_disability', 1, 3, 't', 't'),
       (x'01900000000070008000000000000002', 'P2', x'0190000000007000800000000000000a', 'Merdan', NULL,
        'merdan', 'M', NULL, 'TM', NULL, 0, '', 0, 1, 't', 't'),
       (x'01900000000070008000000000000003', 'P3', x'0190000000007000800000000000000b', 'Ayna', 'Orazowa',
        'orazowa ayna', 'F', '1990-05-01', 'TM', NULL, 0, '', 0, 1, 't', 't');
UPDATE persons SET merged_into = x'01900000000070008000000000000001' WHERE external_id = 'P3';
INSERT INTO person_target_groups (person_id, target_group)
VALUES (x'01900000000070008000000000000001', 'woman_gbv'),
       (x'01900000000070008000000000000001', 'adult_disability');
INSERT INTO person_merges (id, kept_id, merged_id, at, actor, moved)
VALUES (x'019000000000700080000000000000f1', x'01900000000070008000000000000001',
        x'01900000000070008000000000000003', 't', 'test', '{}');
INSERT INTO cases (id, external_id, person_id, admin_unit, opened_on, referral_source, status, version, created_at, updated_at)
VALUES (x'019000000000700080000000000000c1', 'C1', x'01900000000070008000000000000001', 'TM', '2025-03-01',
        'hotline', 'active', 1, 't', 't');
INSERT INTO service_episodes (id, external_id, case_id, person_id, service_code, started_on, version, created_at, updated_at)
VALUES (x'019000000000700080000000000000e1', 'E1', x'019000000000700080000000000000c1',
        x'01900000000070008000000000000001', 'S10', '2025-03-02', 1, 't', 't'),
       (x'019000000000700080000000000000e2', 'E2', NULL,
        x'01900000000070008000000000000002', 'S10', '2025-04-01', 1, 't', 't');
";

/// Everything the data above put in, read back row by row with the links followed by joins.
const DUMP: &str = "
SELECT 'household ' || hex(id) || ' ' || external_id || ' ' || admin_unit || ' ' || COALESCE(settlement, '-')
       || ' ' || COALESCE(address, '-') || ' ' || implicit || ' ' || version FROM households
UNION ALL
SELECT 'person ' || hex(p.id) || ' ' || p.external_id || ' in ' || h.external_id || ' ' || p.given_name || ' '
       || COALESCE(p.family_name, '-') || ' ' || p.name_key || ' ' || p.sex || ' ' || COALESCE(p.birth_date, '-')
       || ' ' || p.disability || ' ' || p.target_groups || ' ' || p.sensitive || ' ' || p.version
       || ' merged into ' || COALESCE(m.external_id, '-')
FROM persons p JOIN households h ON h.id = p.household_id LEFT JOIN persons m ON m.id = p.merged_into
UNION ALL
SELECT 'group ' || p.external_id || ' ' || g.target_group
FROM person_target_groups g JOIN persons p ON p.id = g.person_id
UNION ALL
SELECT 'merge ' || k.external_id || ' kept, ' || m.external_id || ' merged'
FROM person_merges x JOIN persons k ON k.id = x.kept_id JOIN persons m ON m.id = x.merged_id
UNION ALL
SELECT 'case ' || c.external_id || ' of ' || p.external_id FROM cases c JOIN persons p ON p.id = c.person_id
UNION ALL
SELECT 'episode ' || e.external_id || ' of ' || p.external_id || ' case ' || COALESCE(c.external_id, '-')
FROM service_episodes e JOIN persons p ON p.id = e.person_id LEFT JOIN cases c ON c.id = e.case_id
UNION ALL
SELECT 'use ' || p.external_id || ' ' || u.service_code || ' ' || u.admin_unit || ' ' || u.target_groups
FROM report_service_uses u JOIN persons p ON p.id = u.person_id
ORDER BY 1";

fn rows(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows
}

/// The migrations of a release before this one.
fn up_to_0009(mut migrator: sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    migrator.migrations = Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|m| m.version <= 9)
            .cloned()
            .collect(),
    );
    migrator
}

/// A SQLite database migrated up to 0009 only, as a release before this one left it.
async fn sqlite_at_0009(path: &std::path::Path) {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    up_to_0009(sqlx::migrate!("./migrations/sqlite"))
        .run(&pool)
        .await
        .unwrap();
    pool.close().await;
}

fn open(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    conn
}

#[tokio::test]
async fn sqlite_persons_and_households_are_rebuilt_without_rowid_with_their_data() {
    let db: TestDb = goldaw_store::testing::sqlite().await;
    let DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!("testing::sqlite gives a SQLite URL")
    };
    sqlite_at_0009(path).await;
    let before = {
        let conn = open(path);
        conn.execute_batch(DATA).unwrap();
        rows(&conn, DUMP)
    };
    assert_eq!(before.len(), 13, "{before:#?}");
    assert!(before.contains(&"use P1 S10 TM woman_gbv;adult_disability".to_owned()));

    // Opening the store runs 0010 (and loads the shipped reference data, which names 'TM' too).
    let store = db.open().await;
    drop(store);

    let conn = open(path);
    assert_eq!(rows(&conn, DUMP), before, "the rows or their links changed");
    assert_eq!(
        rows(
            &conn,
            "SELECT 'fk ' || \"table\" || ' ' || parent FROM pragma_foreign_key_check"
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        rows(&conn, "SELECT integrity_check FROM pragma_integrity_check"),
        ["ok"]
    );
    for table in ["persons", "households"] {
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.ends_with("WITHOUT ROWID"), "{table}: {sql}");
    }
    // The indexes and the trigger came back, and nothing of the rebuild was left behind.
    assert_eq!(
        rows(
            &conn,
            "SELECT type || ' ' || name FROM sqlite_master
             WHERE tbl_name IN ('persons', 'households') AND sql IS NOT NULL ORDER BY 1"
        ),
        [
            "index persons_admin_unit",
            "index persons_household",
            "table households",
            "table persons",
            "trigger report_service_uses_person_update"
        ]
    );
    assert_eq!(
        rows(
            &conn,
            "SELECT name FROM sqlite_master WHERE name LIKE 'migration_0010%'"
        ),
        Vec::<String>::new()
    );
    // The trigger still keeps the reporting table.
    conn.execute(
        "UPDATE persons SET target_groups = 'woman_gbv' WHERE external_id = 'P1'",
        [],
    )
    .unwrap();
    assert!(rows(&conn, DUMP).contains(&"use P1 S10 TM woman_gbv".to_owned()));
    // The keys still hold: no person without a household, no second person with the same id.
    let orphan = conn.execute(
        "INSERT INTO persons (id, external_id, household_id, given_name, name_key, sex, admin_unit,
             disability, created_at, updated_at)
         VALUES (x'01900000000070008000000000000009', 'P9', x'ffff', 'X', 'x', 'F', 'TM', 0, 't', 't')",
        [],
    );
    assert!(orphan.is_err(), "a person without a household was accepted");
    let twice = conn.execute(
        "INSERT INTO households (id, external_id, admin_unit, created_at, updated_at)
         VALUES (x'0190000000007000800000000000000a', 'H9', 'TM', 't', 't')",
        [],
    );
    assert!(
        twice.is_err(),
        "a second household with the same id was accepted"
    );
    // And the store reads them: an export has every row.
    let store = db.open().await;
    let dir = tempfile::tempdir().unwrap();
    store
        .export_dir(&goldaw_store::Principal::system("test"), dir.path())
        .await
        .unwrap();
    let persons = std::fs::read_to_string(dir.path().join("persons.csv")).unwrap();
    assert_eq!(persons.lines().count(), 4, "{persons}");
}

/// A reference left without its row would make the rebuild's commit fail: the migration is
/// all or nothing, and the database stays as it was.
#[tokio::test]
async fn sqlite_rebuild_that_loses_a_referenced_row_is_rolled_back() {
    let db: TestDb = goldaw_store::testing::sqlite().await;
    let DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!("testing::sqlite gives a SQLite URL")
    };
    sqlite_at_0009(path).await;
    let mut conn = open(path);
    conn.execute_batch(DATA).unwrap();
    let before = rows(&conn, DUMP);
    // The migration as shipped, with one person (who has a case) not put back.
    let sql = include_str!("../migrations/sqlite/0010_persons_without_rowid.sql").replace(
        "FROM migration_0010_persons ORDER BY id;",
        "FROM migration_0010_persons WHERE external_id <> 'P1' ORDER BY id;",
    );
    assert!(sql.contains("external_id <> 'P1'"));
    let tx = conn.transaction().unwrap();
    tx.execute_batch(&sql).unwrap();
    let refused = tx.commit();
    assert!(
        refused.is_err(),
        "the commit should fail: P1's case lost its person"
    );
    drop(conn);
    let conn = open(path);
    assert_eq!(rows(&conn, DUMP), before);
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'persons'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
}

/// Both backends go from 0009 to 0010 (PostgreSQL's does nothing: its tables have no rowid) and
/// record it.
#[tokio::test]
async fn every_backend_migrates_from_0009_to_0010() {
    for db in databases().await {
        let applied = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let versions: Vec<i64> = match &db.url {
            DatabaseUrl::Sqlite(path) => {
                sqlite_at_0009(path).await;
                drop(db.open().await);
                let conn = open(path);
                let mut stmt = conn.prepare(applied).unwrap();
                let versions = stmt
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                versions
            }
            DatabaseUrl::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                up_to_0009(sqlx::migrate!("./migrations/postgres"))
                    .run(&pool)
                    .await
                    .unwrap();
                drop(db.open().await);
                let versions = sqlx::query_scalar(applied).fetch_all(&pool).await.unwrap();
                pool.close().await;
                versions
            }
        };
        assert!(versions.contains(&9), "{}: {versions:?}", db.backend);
        assert!(versions.contains(&10), "{}: {versions:?}", db.backend);
    }
}
