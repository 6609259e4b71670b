//! Bulk import and export, on every backend: the contract of INTERCHANGE.md.

use goldaw_store::interchange::NoProgress;
use goldaw_store::testing::{databases, TestDb};
use goldaw_store::{Principal, Store, StoreError};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

const HOUSEHOLDS: &str = "household_id,admin_unit,settlement,address
H1,TM-A-01,rural,\"Gökdepe, köçe 5\"
H2,TM-S-02,urban,\"Magtymguly şaýoly 12, jaý 4\"
";

const PERSONS: &str = "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups
P1,H1,Aýna,Orazowa,F,1990-05-01,TM-A-01,rural,true,1,1,3,1,1,1,woman_gbv;adult_disability
P2,H1,Merdan,Orazow,M,2015-02-28,TM-A-01,rural,false,1,1,1,1,1,1,
P3,,Gülnara,Annaýewa,F,1944-12-31,TM-S-02,urban,true,2,2,2,1,1,1,older_alone
P4,H2,Döwlet,Berdiýew,M,2009-07-15,TM-S-02,urban,,,,,,,,youth_at_risk
";

const CASES: &str =
    "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id
C1,P1,TM-A-01,2025-03-01,hotline,critical,active,,W1
C2,P3,TM-S-02,2024-01-10,benefits_list,support,closed,2025-01-10,W2
C3,P4,TM-S-02,2025-06-01,court,support,active,,W2
";

const EPISODES: &str =
    "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units
E1,C1,P1,S10,PR1,2025-03-02,,12
E2,C1,P2,U_EDU,,2025-04-01,,
E3,C2,P3,S02,PR2,2024-02-01,2025-01-10,150
E4,C3,P4,RES_CARE,PR3,2025-07-01,,30
";

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, content) in files {
        std::fs::write(dir.join(name), content).unwrap();
    }
}

/// Interchange files by name, as written into an import folder.
type Files = Vec<(&'static str, String)>;

fn good_files() -> Files {
    vec![
        ("households.csv", HOUSEHOLDS.to_owned()),
        ("persons.csv", PERSONS.to_owned()),
        ("cases.csv", CASES.to_owned()),
        ("service_episodes.csv", EPISODES.to_owned()),
    ]
}

async fn import(
    store: &Store,
    files: &[(&str, String)],
) -> Result<goldaw_store::interchange::ImportSummary, StoreError> {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    store
        .import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress))
        .await
}

/// Every exported file's content, by name.
async fn export(store: &Store) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    store
        .export_dir(&Principal::system("test"), dir.path())
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        out.insert(
            entry.file_name().to_string_lossy().into_owned(),
            std::fs::read_to_string(entry.path()).unwrap(),
        );
    }
    out
}

async fn fresh(db: &TestDb) -> Store {
    db.open().await
}

goldaw_store::each_backend! {
    async fn a_good_import_is_complete_and_a_second_changes_nothing(db: TestDb) {
        let store = fresh(&db).await;
        let summary = import(&store, &good_files())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        let counts: Vec<(String, u64)> = summary.files;
        assert_eq!(
            counts,
            vec![
                ("households.csv".into(), 2),
                ("persons.csv".into(), 4),
                ("cases.csv".into(), 3),
                ("service_episodes.csv".into(), 4)
            ],
            "{}",
            db.backend
        );
        let first = export(&store).await;
        import(&store, &good_files()).await.unwrap();
        let second = export(&store).await;
        assert_eq!(first, second, "{}: re-import changed the data", db.backend);
        // Nothing doubled: four people, the implicit household of P3 not exported as a household.
        assert_eq!(first["persons.csv"].lines().count(), 5, "{}", db.backend);
        assert_eq!(first["households.csv"].lines().count(), 3, "{}", db.backend);
        assert!(
            first["persons.csv"].contains(
                "\nP3,,Gülnara,Annaýewa,F,1944-12-31,TM-S-02,urban,true,2,2,2,1,1,1,older_alone,\n"
            ),
            "{}: {}",
            db.backend,
            first["persons.csv"]
        );
        // Target groups come back in the contract's order, whatever order they came in.
        assert!(
            first["persons.csv"].contains(",woman_gbv;adult_disability,"),
            "{}",
            db.backend
        );
        assert!(
            first["service_episodes.csv"].contains("\nE2,C1,P2,U_EDU,,2025-04-01,,\n"),
            "{}",
            db.backend
        );
        assert!(
            first["households.csv"].contains("\"Gökdepe, köçe 5\""),
            "{}",
            db.backend
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn export_import_export_is_identical(db: TestDb) {
        let store = fresh(&db).await;
        import(&store, &good_files()).await.unwrap();
        // Also a person created through the API, who has no external id of their own.
        let data = serde_json::from_value(serde_json::json!({
            "given_name": "Maýsa", "family_name": "Gurbanowa", "sex": "F", "birth_date": "1999-01-01",
            "admin_unit": "TM-M-03", "target_groups": ["family_difficult"]
        }))
        .unwrap();
        store
            .create_person(&Principal::system("test"), None, data)
            .await
            .unwrap();
        let first = export(&store).await;
        store.close().await;

        let empty = match db.backend {
            "sqlite" => goldaw_store::testing::sqlite().await,
            _ => goldaw_store::testing::postgres().await.unwrap(),
        };
        let second_store = empty.open().await;
        let files: Vec<(&str, String)> =
            first.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        import(&second_store, &files)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        let second = export(&second_store).await;
        assert_eq!(
            first.keys().collect::<Vec<_>>(),
            second.keys().collect::<Vec<_>>()
        );
        for (name, content) in &first {
            assert_eq!(
                content, &second[name],
                "{}: {name} differs after a round trip",
                db.backend
            );
        }
        assert!(first["persons.csv"].contains("Maýsa"));
        second_store.close().await;
    }
}

/// Replaces `from` by `to` in one file of the good set (the replaced text must be there).
fn with_change(file: &str, from: &str, to: &str) -> Files {
    good_files()
        .into_iter()
        .map(|(name, content)| {
            if name == file {
                assert!(content.contains(from), "fixture lacks {from:?}");
                (name, content.replacen(from, to, 1))
            } else {
                (name, content)
            }
        })
        .collect()
}

#[tokio::test]
async fn each_kind_of_bad_row_is_refused_with_file_line_column_and_nothing_written() {
    let cases: Vec<(&str, Files, &str)> = vec![
        ("bad sex", with_change("persons.csv", "P2,H1,Merdan,Orazow,M,", "P2,H1,Merdan,Orazow,X,"),
            "persons.csv line 3, column sex: 'X' is not a sex"),
        ("impossible date", with_change("persons.csv", "2015-02-28", "2015-02-30"),
            "persons.csv line 3, column birth_date: '2015-02-30' is not a date that exists"),
        ("future birth", with_change("persons.csv", "2015-02-28", "2099-01-01"),
            "persons.csv line 3, column birth_date: birth date 2099-01-01 is in the future"),
        ("service before birth", with_change("service_episodes.csv", "E2,C1,P2,U_EDU,,2025-04-01", "E2,C1,P2,U_EDU,,2014-04-01"),
            "service_episodes.csv line 3, column started_on: started_on 2014-04-01 is before the person's birth date 2015-02-28"),
        ("unknown admin unit", with_change("households.csv", "H2,TM-S-02", "H2,TM-Q-99"),
            "households.csv line 3, column admin_unit: unknown administrative unit 'TM-Q-99'"),
        ("malformed admin unit", with_change("persons.csv", "TM-A-01,rural,false", "Ahal,rural,false"),
            "persons.csv line 3, column admin_unit: 'Ahal' is not an administrative unit code"),
        ("unknown service", with_change("service_episodes.csv", ",S10,", ",S13,"),
            "service_episodes.csv line 2, column service_code: unknown service code 'S13'"),
        ("unknown target group", with_change("persons.csv", "older_alone", "old_alone"),
            "persons.csv line 4, column target_groups: 'old_alone' is not a target group"),
        ("unknown referral source", with_change("cases.csv", "hotline", "neighbour"),
            "cases.csv line 2, column referral_source: 'neighbour' is not a referral source"),
        ("duplicate person id", with_change("persons.csv", "P4,H2,", "P2,H2,"),
            "persons.csv line 5, column person_id: id 'P2' appears more than once in this file"),
        ("duplicate household id", with_change("households.csv", "H2,TM-S-02", "H1,TM-S-02"),
            "households.csv line 3, column household_id: id 'H1' appears more than once in this file"),
        ("duplicate episode id", with_change("service_episodes.csv", "E4,", "E1,"),
            "service_episodes.csv line 5, column episode_id: id 'E1' appears more than once in this file"),
        ("unknown column", with_change("households.csv", "household_id,admin_unit,settlement,address", "household_id,admin_unit,settlement,address,phone"),
            "households.csv line 1, column phone: unknown column 'phone'"),
        ("missing column", with_change("cases.csv", ",worker_id\n", "\n"),
            "cases.csv line 1, column worker_id: column 'worker_id' is missing from the header"),
        ("residential care without court or ministry", with_change("cases.csv", "C3,P4,TM-S-02,2025-06-01,court", "C3,P4,TM-S-02,2025-06-01,school"),
            "service_episodes.csv line 5, column service_code: residential care (RES_CARE) is tertiary and needs a case referred by a court order (court) or the ministry (mlsp), but case 'C3' was referred by 'school'"),
        ("residential care without a case", with_change("service_episodes.csv", "E4,C3,", "E4,,"),
            "service_episodes.csv line 5, column service_code: residential care (RES_CARE) is tertiary and needs a case referred by a court order (court) or the ministry (mlsp), but it has no case_id"),
        ("unknown household", with_change("persons.csv", "P4,H2,", "P4,H9,"),
            "persons.csv line 5, column household_id: unknown household 'H9'"),
        ("unknown person", with_change("cases.csv", "C1,P1,", "C1,P7,"),
            "cases.csv line 2, column person_id: unknown person 'P7'"),
        ("unknown case", with_change("service_episodes.csv", "E3,C2,", "E3,C9,"),
            "service_episodes.csv line 4, column case_id: unknown case 'C9'"),
        ("closed without date", with_change("cases.csv", "closed,2025-01-10", "closed,"),
            "cases.csv line 3, column closed_on: a closed case needs its closed_on date"),
        ("episode ends before it starts", with_change("service_episodes.csv", "2024-02-01,2025-01-10", "2024-02-01,2023-01-10"),
            "service_episodes.csv line 4, column ended_on: ended_on 2023-01-10 is before started_on 2024-02-01"),
        ("wrong number of fields", with_change("persons.csv", "P2,H1,Merdan,Orazow,M,2015-02-28,", "P2,H1,Merdan,Orazow,M,2015-02-28,,"),
            "persons.csv line 3: the row has 17 fields but the header has 16"),
        ("washington group answer out of range", with_change("persons.csv", "1,1,3,1,1,1,woman_gbv", "1,1,5,1,1,1,woman_gbv"),
            "persons.csv line 2, column wg_walking: '5' is not a Washington Group answer"),
        ("not a boolean", with_change("persons.csv", "urban,true,2,2,2", "urban,yes,2,2,2"),
            "persons.csv line 4, column receives_benefits: 'yes' is not true or false"),
        ("negative units", with_change("service_episodes.csv", ",12\n", ",-12\n"),
            "service_episodes.csv line 2, column units: '-12' is not a whole number of zero or more"),
    ];
    for db in databases().await {
        let store = fresh(&db).await;
        // Something already there, which a refused import must leave exactly as it was.
        import(
            &store,
            &[(
                "households.csv",
                "household_id,admin_unit,settlement,address\nH0,TM-L-01,rural,\n".to_owned(),
            )],
        )
        .await
        .unwrap();
        let before = export(&store).await;
        for (what, files, expected) in &cases {
            let err = import(&store, files)
                .await
                .expect_err(&format!("{}: {what} was accepted", db.backend));
            let message = err.to_string();
            assert!(
                matches!(err, StoreError::Import(_)),
                "{}: {what}: {message}",
                db.backend
            );
            assert!(
                message.starts_with(expected),
                "{}: {what}:\n  got      {message}\n  expected {expected}…",
                db.backend
            );
            assert_eq!(
                export(&store).await,
                before,
                "{}: {what} left data behind",
                db.backend
            );
        }
        // Refused imports into the empty persons table dropped its secondary indexes to build them
        // at the end: the rollback must have brought them back.
        if let goldaw_store::DatabaseUrl::Sqlite(path) = &db.url {
            let conn = rusqlite::Connection::open(path).unwrap();
            let n: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' AND sql IS NOT NULL", [], |r| r.get(0))
                .unwrap();
            assert_eq!(
                n, 4,
                "persons_admin_unit, persons_household, persons_name_key and persons_birth_date are back"
            );
        }
        if let goldaw_store::DatabaseUrl::Postgres(url) = &db.url {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let (keys, indexes): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM pg_constraint WHERE conrelid = 'persons'::regclass AND contype = 'f'),
                        (SELECT count(*) FROM pg_indexes WHERE tablename = 'persons')",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(
                (keys, indexes),
                (3, 12),
                "persons' foreign keys (household, admin unit, merged_into) and its twelve indexes (with the name search's three, the place-keyed trigrams of migration 0027, the two word indexes of 0034 and the two word-position btrees of 0038) are back"
            );
        }
        // And the store still works afterwards.
        import(&store, &good_files()).await.unwrap();
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn files_that_are_not_csv_or_not_utf8_are_refused_cleanly(db: TestDb) {
        let store = fresh(&db).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("persons.csv"),
            b"person_id,household_id\xff\xfe\n",
        )
        .unwrap();
        let err = store
            .import_dir(&Principal::system("t"), dir.path(), Arc::new(NoProgress))
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with("persons.csv"),
            "{}: {err}",
            db.backend
        );
        write(dir.path(), &[("persons.csv", "")]);
        let err = store
            .import_dir(&Principal::system("t"), dir.path(), Arc::new(NoProgress))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("empty"), "{}: {err}", db.backend);
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn admin_units_and_population_can_be_imported_and_checked(db: TestDb) {
        let store = fresh(&db).await;
        let units = "code,name_tk,name_en,name_ru,level,parent_code,population,population_year,source\nTM-A-01-01,Täze obasy,New Village,Новое село,village,TM-A-01,1200,2022,test\n";
        let population = "admin_unit,sex,age_band,population,year\nTM-A-01,F,0-17,10500,2022\nTM-A-01-01,M,60+,80,2022\n";
        import(
            &store,
            &[
                ("admin_units.csv", units.to_owned()),
                ("population.csv", population.to_owned()),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        assert!(store.catalogue().has_admin_unit("TM-A-01-01"));
        let out = export(&store).await;
        assert!(
            out["population.csv"].contains("TM-A-01-01,M,60+,80,2022"),
            "{}",
            db.backend
        );
        assert!(
            out["admin_units.csv"].ends_with(
                "TM-A-01-01,Täze obasy,New Village,Новое село,village,TM-A-01,1200,2022,test\n"
            ),
            "{}",
            db.backend
        );
        let orphan = "code,name_tk,name_en,name_ru,level,parent_code,population,population_year,source\nTM-Z-01,X,X,X,etrap,TM-Z,,,\n";
        let err = import(&store, &[("admin_units.csv", orphan.to_owned())])
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "admin_units.csv line 2, column parent_code: unknown parent unit 'TM-Z'"
            ),
            "{}: {err}",
            db.backend
        );
        let bad_pop = "admin_unit,sex,age_band,population,year\nTM-A-01,F,0-18,10,2022\n";
        let err = import(&store, &[("population.csv", bad_pop.to_owned())])
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("population.csv line 2, column age_band"),
            "{}: {err}",
            db.backend
        );
        store.close().await;
    }
}
