//! The import's two paths, on every backend: into empty tables (plain inserts; on PostgreSQL the
//! tables are loaded bare and their keys, indexes and foreign keys rebuilt at the end) and into
//! tables that already hold rows (upserts). Both must give the same data, refuse the same rows
//! with the same words, and leave the schema as the migrations made it.

use goldaw_store::interchange::NoProgress;
use goldaw_store::testing::{databases, TestDb};
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

const HOUSEHOLDS: &str = "household_id,admin_unit,settlement,address
H1,TM-A-01,rural,\"Gökdepe, köçe 5\"
H2,TM-S-02,urban,
H3,TM-S-02,urban,jaý 7
";

// P2 and P3 share H1 and come one after the other; P4 lives alone; P5 is back in H1.
const PERSONS: &str = "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups
P1,H2,Aýna,Orazowa,F,1990-05-01,TM-S-02,urban,true,1,1,3,1,1,1,woman_gbv;adult_disability
P2,H1,Merdan,Orazow,M,2015-02-28,TM-A-01,rural,false,1,1,1,1,1,1,
P3,H1,Jeren,Orazowa,F,2012-01-02,TM-A-01,rural,false,1,1,1,1,1,1,
P4,,Gülnara,Annaýewa,F,1944-12-31,TM-S-02,urban,true,2,2,2,1,1,1,older_alone
P5,H1,Döwlet,Orazow,M,1985-07-15,TM-A-01,rural,,,,,,,,
";

const CASES: &str =
    "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id
C1,P1,TM-S-02,2025-03-01,hotline,critical,active,,W1
";

const EPISODES: &str =
    "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units
E1,C1,P1,S10,PR1,2025-03-02,,12
";

type Files = Vec<(&'static str, String)>;

fn files(households: &str, persons: &str) -> Files {
    vec![
        ("households.csv", households.to_owned()),
        ("persons.csv", persons.to_owned()),
        ("cases.csv", CASES.to_owned()),
        ("service_episodes.csv", EPISODES.to_owned()),
    ]
}

async fn import(store: &Store, files: &[(&str, String)]) -> Result<(), StoreError> {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    store
        .import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress))
        .await
        .map(|_| ())
}

async fn export(store: &Store) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    store
        .export_dir(&Principal::system("test"), dir.path())
        .await
        .unwrap();
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(entry.path()).unwrap(),
            )
        })
        .collect()
}

/// Every index, key, foreign key and trigger of the tables an import writes, as the database
/// describes them: what the import takes apart must come back exactly.
async fn schema(db: &TestDb) -> Vec<String> {
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let mut stmt = conn
                .prepare(
                    "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master
                     WHERE tbl_name IN ('households', 'persons', 'person_target_groups', 'cases', 'service_episodes')
                     ORDER BY type, name",
                )
                .unwrap();
            let rows = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<Vec<String>, _>>()
                .unwrap();
            rows
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let mut rows: Vec<String> = sqlx::query_scalar(
                "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
                 FROM pg_constraint WHERE conrelid <> 0
                 UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            rows.sort();
            conn.close().await.unwrap();
            rows
        }
    }
}

#[tokio::test]
async fn empty_and_filled_tables_give_the_same_data_and_the_same_schema() {
    for db in databases().await {
        // One store imports everything into empty tables...
        let store = db.open().await;
        let migrated = schema(&db).await;
        assert!(migrated.len() > 10, "{}: {migrated:?}", db.backend);
        import(&store, &files(HOUSEHOLDS, PERSONS))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        let at_once = export(&store).await;
        assert_eq!(
            schema(&db).await,
            migrated,
            "{}: the import into empty tables changed the schema",
            db.backend
        );
        assert_eq!(at_once["persons.csv"].lines().count(), 6, "{}", db.backend);
        assert!(
            at_once["persons.csv"].contains(
                "\nP4,,Gülnara,Annaýewa,F,1944-12-31,TM-S-02,urban,true,2,2,2,1,1,1,older_alone,"
            ),
            "{}: {}",
            db.backend,
            at_once["persons.csv"]
        );
        // ...and then again, into tables with rows: nothing changes.
        import(&store, &files(HOUSEHOLDS, PERSONS)).await.unwrap();
        assert_eq!(export(&store).await, at_once, "{}: re-import", db.backend);
        store.close().await;
    }
    // Households first, then persons into an empty persons table next to a filled households
    // table: the same data as all at once.
    for db in databases().await {
        let store = db.open().await;
        import(&store, &[("households.csv", HOUSEHOLDS.to_owned())])
            .await
            .unwrap();
        import(&store, &files(HOUSEHOLDS, PERSONS))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        let in_steps = export(&store).await;
        let other = databases().await;
        let reference = other
            .iter()
            .find(|o| o.backend == db.backend)
            .expect("same backend");
        let fresh = reference.open().await;
        import(&fresh, &files(HOUSEHOLDS, PERSONS)).await.unwrap();
        assert_eq!(in_steps, export(&fresh).await, "{}: in steps", db.backend);
        fresh.close().await;
        store.close().await;
    }
}

#[tokio::test]
async fn refusals_into_empty_tables_name_the_line_and_leave_nothing() {
    let cases: Vec<(&str, Files, &str)> = vec![
        (
            "duplicate household",
            files(&HOUSEHOLDS.replace("H3,", "H1,"), PERSONS),
            "households.csv line 4, column household_id: id 'H1' appears more than once in this file",
        ),
        (
            "duplicate person with a household",
            files(HOUSEHOLDS, &PERSONS.replace("P5,H1,", "P2,H1,")),
            "persons.csv line 6, column person_id: id 'P2' appears more than once in this file",
        ),
        (
            "duplicate person living alone",
            files(HOUSEHOLDS, &format!("{PERSONS}P4,,Jeren,Annaýewa,F,1950-01-01,TM-S-02,urban,,,,,,,,\n")),
            "persons.csv line 7, column person_id: id 'P4' appears more than once in this file",
        ),
        (
            "unknown household",
            files(HOUSEHOLDS, &PERSONS.replace("P3,H1,", "P3,H9,")),
            "persons.csv line 4, column household_id: unknown household 'H9'",
        ),
        (
            "unknown person in a case",
            vec![
                ("households.csv", HOUSEHOLDS.to_owned()),
                ("persons.csv", PERSONS.to_owned()),
                ("cases.csv", CASES.replace("C1,P1,", "C1,P8,")),
            ],
            "cases.csv line 2, column person_id: unknown person 'P8'",
        ),
    ];
    for db in databases().await {
        let store = db.open().await;
        let migrated = schema(&db).await;
        let before = export(&store).await;
        for (what, files, expected) in &cases {
            let err = import(&store, files)
                .await
                .expect_err(&format!("{}: {what} was accepted", db.backend));
            assert!(
                matches!(err, StoreError::Import(_)),
                "{}: {what}: {err}",
                db.backend
            );
            let message = err.to_string();
            assert!(
                message.starts_with(expected),
                "{}: {what}:\n  got      {message}\n  expected {expected}…",
                db.backend
            );
            assert_eq!(
                export(&store).await,
                before,
                "{}: {what} left data",
                db.backend
            );
            assert_eq!(
                schema(&db).await,
                migrated,
                "{}: {what}: keys and indexes are back",
                db.backend
            );
        }
        // The tables are still empty and take a good import.
        import(&store, &files(HOUSEHOLDS, PERSONS)).await.unwrap();
        assert_eq!(
            export(&store).await["persons.csv"].lines().count(),
            6,
            "{}",
            db.backend
        );
        store.close().await;
    }
}
