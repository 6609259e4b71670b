//! An import refusal names the line an editor shows, whatever the file's line endings: `\n`,
//! `\r\n` (Excel's and Python's default) or a lone `\r`, with quoted fields holding line breaks
//! and blank lines before the row. On every backend, into empty tables and into tables that
//! already hold rows, for the checks made as each row passes (a field, the file's shape) and
//! for those the database makes (PostgreSQL's set-based checks over its staging table).

use goldaw_store::interchange::NoProgress;
use goldaw_store::testing::databases;
use goldaw_store::{Principal, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Three households; H1's address is quoted and spans two lines (lines 2 and 3).
const HOUSEHOLDS: &str = "household_id,admin_unit,settlement,address
H1,TM-A-01,rural,\"Gökdepe,
köçe 5\"
H2,TM-S-02,urban,
H3,TM-S-02,urban,jaý 7
";

const PERSONS_HEADER: &str = "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n";

/// Persons P0001..P3000 on lines 2..3001 (the size of the report in issue #16).
fn persons() -> String {
    let mut text = PERSONS_HEADER.to_owned();
    for i in 1..=3000 {
        text.push_str(&format!(
            "P{i:04},H2,Aýna,Orazowa,F,1990-05-01,TM-S-02,urban,true,1,1,1,1,1,1,\n"
        ));
    }
    text
}

/// A person row in H2 with the id `id` and household `household`.
fn person(id: &str, household: &str) -> String {
    format!("{id},{household},Jeren,Annaýewa,F,1950-01-01,TM-S-02,urban,,,,,,,,\n")
}

/// The file with its rows ending in `ending`; the line break inside H1's quoted address stays a
/// bare `\n`, as Excel writes a line break inside a cell (an address may not hold a `\r`).
fn with_endings(text: &str, ending: &str) -> String {
    text.replace("Gökdepe,\n", "Gökdepe,\u{0}")
        .replace('\n', ending)
        .replace('\u{0}', "\n")
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

type Files = Vec<(&'static str, String)>;

/// The refusals, in LF: what, the files, the start of the message (naming the last row's line).
fn refusals() -> Vec<(&'static str, Files, &'static str)> {
    let households = |extra: &str| vec![("households.csv", format!("{HOUSEHOLDS}{extra}"))];
    let with_persons = |extra: String| {
        vec![
            ("households.csv", HOUSEHOLDS.to_owned()),
            ("persons.csv", format!("{}{extra}", persons())),
        ]
    };
    vec![
        (
            "a bad field after a quoted field over two lines",
            households("H4,TM-S-02,town,\n"),
            "households.csv line 6, column settlement:",
        ),
        (
            "a row of the wrong shape",
            households("H4,TM-S-02,urban,,extra\n"),
            "households.csv line 6: the row has 5 fields but the header has 4",
        ),
        (
            "a bad field after blank lines",
            households("\n\nH4,TM-S-02,town,\n"),
            "households.csv line 8, column settlement:",
        ),
        (
            "an unknown household (a check of the database)",
            with_persons(person("P3001", "H9")),
            "persons.csv line 3002, column household_id: unknown household 'H9'",
        ),
        (
            "an id twice in the file (a check of the database)",
            with_persons(person("P0005", "H3")),
            "persons.csv line 3002, column person_id: id 'P0005' appears more than once in this file",
        ),
        (
            "a bad field after 3000 rows",
            with_persons(person("P3001", "H2").replace(",F,", ",X,")),
            "persons.csv line 3002, column sex:",
        ),
    ]
}

#[tokio::test]
async fn refusals_name_the_editors_line_whatever_the_line_endings() {
    // Every wrong line is listed, not only the first.
    let mut wrong = Vec::new();
    for db in databases().await {
        let b = db.backend;
        for filled in [false, true] {
            let store = db.open().await;
            if filled {
                // The upsert path: the tables already hold rows.
                import(
                    &store,
                    &[
                        ("households.csv", HOUSEHOLDS.to_owned()),
                        (
                            "persons.csv",
                            format!("{PERSONS_HEADER}{}", person("Q1", "H3")),
                        ),
                    ],
                )
                .await
                .unwrap();
            }
            let before = export(&store).await;
            for (ending, name) in [("\n", "LF"), ("\r\n", "CRLF"), ("\r", "CR")] {
                for (what, files, expected) in refusals() {
                    let files: Vec<(&str, String)> = files
                        .into_iter()
                        .map(|(file, text)| (file, with_endings(&text, ending)))
                        .collect();
                    let err = import(&store, &files)
                        .await
                        .expect_err(&format!("{b} {name}: {what} was accepted"));
                    let message = err.to_string();
                    if !(matches!(err, StoreError::Import(_)) && message.starts_with(expected)) {
                        wrong.push(format!(
                            "{b}, {} tables, {name}: {what}:\n  got      {message}\n  expected {expected}…",
                            if filled { "filled" } else { "empty" },
                        ));
                    }
                    assert_eq!(export(&store).await, before, "{b} {name}: {what} left data");
                }
            }
            store.close().await;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A file written by Excel: rows end in `\r\n`, a line break inside a cell is a bare `\n`. It
/// imports, and the address keeps its line break.
#[tokio::test]
async fn an_excel_file_imports_with_its_line_breaks_in_cells() {
    let excel = with_endings(HOUSEHOLDS, "\r\n");
    assert!(excel.contains("Gökdepe,\nköçe 5\"\r\nH2"), "{excel:?}");
    for db in databases().await {
        let store = db.open().await;
        import(&store, &[("households.csv", excel.clone())])
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        let out = export(&store).await;
        assert!(
            out["households.csv"].contains("H1,TM-A-01,rural,\"Gökdepe,\nköçe 5\"\n"),
            "{}: {}",
            db.backend,
            out["households.csv"]
        );
        store.close().await;
    }
}
