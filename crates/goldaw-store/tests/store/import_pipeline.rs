//! Large files: every row arrives, in order; a bad row deep in the file stops the import with its
//! line and writes nothing; the first refusal in file order wins (a row the database refuses before
//! a row that does not parse). Written for a parsing thread that handed rows over in batches of
//! 1,024 (measured and taken back, bench/README.md); kept because any such pipeline must pass them.

use goldaw_store::interchange::NoProgress;
use goldaw_store::{Principal, Store, StoreError};
use std::sync::Arc;

const HEADER: &str = "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups";

/// More rows than several batches of 1,024.
const ROWS: usize = 5000;

/// `ROWS` persons, one a line from line 2, all in household H1 unless `household` says otherwise
/// for a line, and with sex `X` (refused by the parser) on `bad_sex_line`.
fn persons(bad_household_line: Option<usize>, bad_sex_line: Option<usize>) -> String {
    let mut csv = format!("{HEADER}\n");
    for i in 0..ROWS {
        let line = i + 2;
        let household = if Some(line) == bad_household_line {
            "H9"
        } else {
            "H1"
        };
        let sex = if Some(line) == bad_sex_line { "X" } else { "F" };
        let groups = if i % 7 == 0 { "older_alone" } else { "" };
        csv.push_str(&format!(
            "P{i:05},{household},Aýna,Orazowa,{sex},1990-05-01,TM-S-02,urban,,,,,,,,{groups}\n"
        ));
    }
    csv
}

async fn import(store: &Store, persons: &str) -> Result<(), StoreError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("households.csv"),
        "household_id,admin_unit,settlement,address\nH1,TM-S-02,urban,\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("persons.csv"), persons).unwrap();
    store
        .import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress))
        .await
        .map(|_| ())
}

async fn exported_persons(store: &Store) -> String {
    let dir = tempfile::tempdir().unwrap();
    store
        .export_dir(&Principal::system("test"), dir.path())
        .await
        .unwrap();
    std::fs::read_to_string(dir.path().join("persons.csv")).unwrap()
}

fn refusal(result: Result<(), StoreError>, backend: &str) -> String {
    match result {
        Err(StoreError::Import(e)) => e.to_string(),
        other => panic!("{backend}: expected a refusal of the input, got {other:?}"),
    }
}

goldaw_store::each_backend! {
    async fn every_row_of_a_large_file_arrives_in_order(db: TestDb) {
        let store = db.open().await;
        import(&store, &persons(None, None))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        let out = exported_persons(&store).await;
        let ids: Vec<&str> = out
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap_or(""))
            .collect();
        let expected: Vec<String> = (0..ROWS).map(|i| format!("P{i:05}")).collect();
        assert_eq!(ids, expected, "{}", db.backend);
        assert_eq!(
            out.lines().filter(|l| l.contains(",older_alone")).count(),
            ROWS.div_ceil(7),
            "{}",
            db.backend
        );
    }
}

goldaw_store::each_backend! {
    async fn a_bad_row_deep_in_a_large_file_stops_the_import_with_its_line(db: TestDb) {
        let store = db.open().await;
        let said = refusal(import(&store, &persons(None, Some(4321))).await, db.backend);
        assert!(
            said.starts_with("persons.csv line 4321, column sex: 'X' is not a sex"),
            "{}: {said}",
            db.backend
        );
        assert_eq!(
            exported_persons(&store).await.lines().count(),
            1,
            "{}: a refused import wrote persons",
            db.backend
        );
    }
}

goldaw_store::each_backend! {
    async fn the_first_refusal_in_file_order_wins_over_a_later_unparsable_row(db: TestDb) {
        let store = db.open().await;
        // On SQLite line 1500 is refused (no household H9) before line 3500 (a bad sex) is
        // read: the earlier line is the one reported. PostgreSQL parses the whole file into its
        // staging table before it checks references set-wise, so there the bad sex comes first.
        let said = refusal(
            import(&store, &persons(Some(1500), Some(3500))).await,
            db.backend,
        );
        let expected = match db.backend {
            "sqlite" => "persons.csv line 1500, column household_id: unknown household 'H9'",
            _ => "persons.csv line 3500, column sex: 'X' is not a sex",
        };
        assert!(said.starts_with(expected), "{}: {said}", db.backend);
        // The database is as it was: a good import afterwards gives every row once.
        import(&store, &persons(None, None))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        assert_eq!(
            exported_persons(&store).await.lines().count(),
            ROWS + 1,
            "{}",
            db.backend
        );
    }
}
