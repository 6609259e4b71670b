//! Retention (issue #20, item 4): cases closed on different days, of different kinds, one under a
//! legal hold; the dry run lists exactly what is due and changes nothing; the run removes the due
//! cases' text (sealed text sealed again as empty), anonymises the one person all of whose cases
//! are due (name gone, birth date to the year) and leaves the held, the kept and the open alone;
//! the yearly statistics by age band and sex are the same before and after, with a person who
//! turned 18 in one of those years; the hold is set and lifted by a supervisor with a reason only;
//! the years are the ministry's; the audit chain verifies after the runs. What a run removes is
//! read back from the rows themselves (the case history's details, the external ids, the
//! addresses, a merged duplicate's name) and, on SQLite, from the bytes of the database file and
//! its WAL: planted strings found there before the run are gone after it.

use crate::helpers::{account, operator, staff};
use chrono::NaiveDate;
use goldaw_core::codes::Role;
use goldaw_core::retention::CaseKind;
use goldaw_core::statistics::{Dimension, Period};
use goldaw_store::audit::AuditCheck;
use goldaw_store::cases::NoteKind;
use goldaw_store::interchange::NoProgress;
use goldaw_store::statistics::Suppression;
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use std::sync::Arc;
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const PERSONS: &str = "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups
R1,,Aýna,Qylyjowa,F,1997-03-10,TM-A-01,rural,false,1,1,1,1,1,1,
R1B,,Aýna,Qylyjowa,F,1997-03-10,TM-A-01,rural,false,1,1,1,1,1,1,
R2,,Merdan,Orazow,M,2008-09-15,TM-A-01,rural,false,1,1,1,1,1,1,
R3,H1,Jeren,Ataýewa,F,1985-11-20,TM-A-01,urban,false,1,1,1,1,1,1,
R6,H1,Bahar,Ataýewa,F,1988-02-02,TM-A-01,urban,false,1,1,1,1,1,1,
R4,,Döwlet,Ataýew,M,1990-07-15,TM-A-01,urban,false,1,1,1,1,1,1,
R5,,Gülnara,Annaýewa,F,1960-12-31,TM-A-01,rural,true,2,2,2,1,1,1,older_alone
";

const HOUSEHOLDS: &str = "household_id,admin_unit,settlement,address
H1,TM-A-01,urban,QX-SHARED-5 Bagtyýarlyk
";

// R1 general (18 at closure), due 2020 (R1B her duplicate, merged into her; she lives alone);
// R3 and R6 live in H1, R6 has no case; R2 a child's, due 2026; R3 general, due 2023 but held;
// R4 general, closed 2023, due 2028; R5 one case due and one open.
const CASES: &str =
    "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id
K1,R1,TM-A-01,2014-01-20,school,support,closed,2015-06-30,
K2,R2,TM-A-01,2015-05-01,school,support,closed,2016-02-01,
K3,R3,TM-A-01,2016-12-01,self,support,closed,2018-01-15,
K4,R4,TM-A-01,2022-01-10,self,support,closed,2023-05-01,
K5,R5,TM-A-01,2013-02-01,hotline,support,closed,2014-01-10,
K6,R5,TM-A-01,2024-03-01,hotline,support,active,,
";

const EPISODES: &str =
    "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units
Q1,K1,R1,S04,,2014-02-01,2015-05-31,10
Q2,K2,R2,S10,,2015-06-01,2016-01-15,5
Q3,K3,R3,S04,,2017-01-01,2017-12-31,3
Q5,K5,R5,S04,,2013-03-01,2013-12-31,4
";

async fn load(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("households.csv"), HOUSEHOLDS).unwrap();
    std::fs::write(dir.path().join("persons.csv"), PERSONS).unwrap();
    std::fs::write(dir.path().join("cases.csv"), CASES).unwrap();
    std::fs::write(dir.path().join("service_episodes.csv"), EPISODES).unwrap();
    store
        .import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress))
        .await
        .unwrap();
}

/// Runs one statement binding `id` on the database behind `store` (to close a case in the past).
async fn execute(store: &Store, sql: &str, id: Uuid) {
    use sqlx::Connection;
    match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(sql).bind(id).execute(&mut c).await.unwrap();
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).bind(id).execute(&mut c).await.unwrap();
        }
    }
}

/// One text column of the rows `sql` selects for `id`, read from the tables themselves.
async fn raw_texts(store: &Store, sql: &str, id: Uuid) -> Vec<Option<String>> {
    use sqlx::Connection;
    let rows: Vec<(Option<String>,)> = match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_as(sql)
                .bind(id)
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(sql)
                .bind(id)
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
    };
    rows.into_iter().map(|(t,)| t).collect()
}

/// SQLite: whether `needle` is anywhere in the bytes of the database file or its WAL (free
/// pages, free space in pages, old page images); `None` on PostgreSQL.
fn on_disk(store: &Store, needle: &str) -> Option<bool> {
    let DatabaseUrl::Sqlite(path) = store.url() else {
        return None;
    };
    let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
    Some([path.clone(), wal].iter().any(|file| {
        std::fs::read(file)
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
    }))
}

/// What the run must remove, planted where it lives: the family name (R1's and her merged
/// duplicate's), the address of the household she lives in alone, a free-text case event detail,
/// the code name she gave the hotline.
const PLANTED: [&str; 4] = ["ylyjowa", "QX-ALONE-7", "QX-EVENT-DETAIL", "QX-CALLER-GUL"];

/// goldaw's id of the case or person imported as `external`.
async fn id_of(store: &Store, table: &str, external: &str) -> Uuid {
    use sqlx::Connection;
    let sql = format!("SELECT id FROM {table} WHERE external_id = $1");
    let (id,): (Uuid,) = match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_as(&sql)
                .bind(external)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(&sql)
                .bind(external)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
    };
    id
}

/// The yearly service-user counts by age band and sex, 2013 to 2017, unsuppressed.
async fn yearly(store: &Store, planner: &Principal) -> Vec<Vec<(Vec<String>, String)>> {
    let mut out = Vec::new();
    for year in 2013..=2017 {
        let period = Period::new(d(&format!("{year}-01-01")), d(&format!("{year}-12-31"))).unwrap();
        let report = store
            .service_users(
                planner,
                period,
                &[Dimension::AgeBand, Dimension::Sex],
                Suppression::MinCell(0),
            )
            .await
            .unwrap();
        let mut rows: Vec<(Vec<String>, String)> = report
            .rows
            .into_iter()
            .map(|r| (r.values, format!("{:?}", r.count)))
            .collect();
        rows.sort();
        out.push(rows);
    }
    out
}

fn numbers(plan: &[goldaw_store::retention::DueCase]) -> Vec<String> {
    plan.iter().map(|c| c.number.clone()).collect()
}

goldaw_store::each_backend! {
    async fn retention_anonymises_what_is_due_keeps_the_held_and_the_statistics(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        load(&store).await;
        let op = operator();
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let other = staff(&store, "sup2", Role::Supervisor, "TM-A-02").await;
        let worker = staff(&store, "worker", Role::SocialWorker, "TM-A-01").await;
        let ministry = staff(&store, "ministry", Role::Ministry, "TM").await;
        let planner = account(&store, "planner", Role::Planner, "TM", false, true).await;
        let r1 = id_of(&store, "persons", "R1").await;
        let r1b = id_of(&store, "persons", "R1B").await;
        let r3 = id_of(&store, "persons", "R3").await;
        let r5 = id_of(&store, "persons", "R5").await;
        let k3 = id_of(&store, "cases", "K3").await;

        // A case of R1 made through the workflow, with sealed text (referrer, concern, a note),
        // then closed in 2015.
        let k7 = store.register_referral(&sup, crate::helpers::referral(r1, "TM-A-01")).await.unwrap();
        store.allocate_case(&sup, k7.id, k7.version, "worker").await.unwrap();
        store
            .add_case_note(&sup, k7.id, NoteKind::PhoneCall, chrono::Utc::now(), "She lives with her aunt")
            .await
            .unwrap();
        execute(&store, "UPDATE cases SET status = 'closed', closed_on = '2015-08-01' WHERE id = $1", k7.id).await;
        // Free text in the case history (as an older version, an import or a hand edit may have
        // left it), an address on the household goldaw made for her, and her duplicate merged
        // into her record.
        execute(&store, "UPDATE case_events SET detail = 'QX-EVENT-DETAIL her uncle drinks' WHERE case_id = $1 AND action = 'register'", k7.id).await;
        execute(&store, "UPDATE households SET address = 'QX-ALONE-7 Magtymguly' WHERE id = (SELECT household_id FROM persons WHERE id = $1)", r1).await;
        // She had called a hotline first: the call's code name is the name she gave.
        let (line_operator, _, _) = crate::survivors::lines(&store).await;
        let mut her_call = crate::survivors::call("NGO-1", goldaw_store::hotline::CallOutcome::Advice);
        her_call.caller_code = Some("QX-CALLER-GUL".into());
        store.log_call(&line_operator, her_call).await.unwrap();
        execute(&store, "UPDATE hotline_calls SET case_id = $1 WHERE caller_code = 'QX-CALLER-GUL'", k7.id).await;
        let (v1, v1b) = (store.person(&op, r1).await.unwrap().version, store.person(&op, r1b).await.unwrap().version);
        store
            .merge_persons(&sup, r1, goldaw_store::merges::MergeRequest { merged: r1b, kept_version: v1, merged_version: v1b })
            .await
            .unwrap();
        for needle in PLANTED {
            assert_ne!(on_disk(&store, needle), Some(false), "{b}: {needle} is not on disk before the run");
        }

        // Legal holds: supervisors only, in scope, with a reason; one at a time.
        assert!(matches!(store.set_legal_hold(&worker, k3, "court").await, Err(StoreError::Forbidden(_))), "{b}");
        assert!(matches!(store.set_legal_hold(&ministry, k3, "court").await, Err(StoreError::Forbidden(_))), "{b}");
        assert!(matches!(store.set_legal_hold(&other, k3, "court").await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.set_legal_hold(&sup, k3, "  \n ").await, Err(StoreError::Invalid { .. })), "{b}");
        assert!(store.legal_holds(&sup, k3).await.unwrap().is_empty(), "{b}: refused holds wrote nothing");
        let hold = store.set_legal_hold(&sup, k3, "Court order 14/2025: keep the file").await.unwrap();
        assert_eq!(hold.set_by, "sup", "{b}");
        assert!(matches!(store.set_legal_hold(&sup, k3, "again").await, Err(StoreError::Invalid { .. })), "{b}");

        // The years are the ministry's.
        let settings = store.retention_settings(&ministry).await.unwrap();
        assert_eq!(settings.iter().map(|s| (s.kind.as_str(), s.years)).collect::<Vec<_>>(),
            [("child", 10), ("general", 5), ("sensitive", 10)], "{b}");
        assert!(matches!(store.retention_settings(&sup).await, Err(StoreError::Forbidden(_))), "{b}");
        let general = settings.iter().find(|s| s.kind == "general").unwrap().clone();
        assert!(matches!(store.set_retention_years(&planner, CaseKind::General, 7, general.version).await, Err(StoreError::Forbidden(_))), "{b}");
        assert!(matches!(store.set_retention_years(&ministry, CaseKind::General, 0, general.version).await, Err(StoreError::Invalid { .. })), "{b}");
        assert!(matches!(store.set_retention_years(&ministry, CaseKind::General, 7, general.version + 1).await, Err(StoreError::Conflict { .. })), "{b}");

        let as_of = d("2025-12-31");
        // Kept 20 years, nothing general is due.
        let longer = store.set_retention_years(&ministry, CaseKind::General, 20, general.version).await.unwrap();
        assert_eq!(longer.updated_by.as_deref(), Some("ministry"), "{b}");
        let plan = store.retention_plan(&ministry, as_of).await.unwrap();
        assert!(plan.cases.is_empty() && plan.persons.is_empty(), "{b}: {:?}", numbers(&plan.cases));
        store.set_retention_years(&ministry, CaseKind::General, 5, longer.version).await.unwrap();

        // The dry run: the due cases, oldest closure first; R1 the only person (R5 has an open
        // case, R2's is a child's case kept 10 years, R3's is held, R4's closed in 2023).
        assert!(matches!(store.retention_plan(&sup, as_of).await, Err(StoreError::Forbidden(_))), "{b}");
        let plan = store.retention_plan(&ministry, as_of).await.unwrap();
        assert_eq!(numbers(&plan.cases), ["K5".to_owned(), "K1".into(), k7.number.clone()], "{b}");
        assert_eq!(plan.cases.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(), ["general"; 3], "{b}");
        assert_eq!(plan.persons, [r1], "{b}");
        assert_eq!(numbers(&plan.held), ["K3"], "{b}");
        // Nothing changed by it.
        assert_eq!(store.person(&op, r1).await.unwrap().data.given_name.as_str(), "Aýna", "{b}");
        // A day before R2's child case is due, and the day it is.
        let later = store.retention_plan(&ministry, d("2026-02-01")).await.unwrap();
        assert!(numbers(&later.cases).contains(&"K2".to_owned()), "{b}");
        assert!(!numbers(&plan.cases).contains(&"K2".to_owned()), "{b}");

        let before = yearly(&store, &planner).await;
        assert!(before.iter().any(|y| !y.is_empty()), "{b}: the statistics count someone");

        // The run.
        assert!(matches!(store.apply_retention(&sup, as_of).await, Err(StoreError::Forbidden(_))), "{b}");
        // Her family name is a word of the vocabulary (PostgreSQL 0034, SQLite 0037) until then.
        let vocabulary = if store.url().is_sqlite() {
            "SELECT word FROM person_name_words WHERE word LIKE '%ylyjowa%' AND $1 IS NOT NULL"
        } else {
            "SELECT word FROM person_name_words WHERE word LIKE '%ylyjowa%' AND $1::uuid IS NOT NULL"
        };
        assert_eq!(raw_texts(&store, vocabulary, r1).await, [Some("qylyjowa".to_owned())], "{b}");
        let done = store.apply_retention(&op, as_of).await.unwrap();
        assert_eq!((done.cases, done.persons, done.skipped), (3, 1, 0), "{b}");
        assert_eq!(done.wal_truncated, store.url().is_sqlite().then_some(true), "{b}");

        // R1: no name, the birth date to the year (1 July).
        let p1 = store.person(&op, r1).await.unwrap();
        assert_eq!(p1.data.given_name.as_str(), "—", "{b}");
        assert!(p1.data.family_name.is_none(), "{b}");
        assert_eq!(p1.data.birth_date, Some(d("1997-07-01")), "{b}");
        // The rows themselves. The case history keeps the worker it was allocated to (the
        // caseload replays it), not the free text.
        let detail = "SELECT detail FROM case_events WHERE case_id = $1 AND action = ";
        assert_eq!(raw_texts(&store, &format!("{detail}'register'"), k7.id).await, [None], "{b}");
        assert_eq!(raw_texts(&store, "SELECT caller_code FROM hotline_calls WHERE case_id = $1", k7.id).await, [Some("—".to_owned())], "{b}");
        assert_eq!(raw_texts(&store, &format!("{detail}'allocate'"), k7.id).await, [Some("worker".to_owned())], "{b}");
        // Her external id and her duplicate's go, and with them those of the households goldaw
        // made for each; the duplicate's name and birth date go with hers.
        for who in [r1, r1b] {
            let row = raw_texts(&store, "SELECT external_id || ' ' || given_name || ' ' || COALESCE(family_name, '-')
                || ' [' || name_key || '] ' || birth_date FROM persons WHERE id = $1", who).await;
            assert_eq!(row, [Some(format!("~{who} — - [] 1997-07-01"))], "{b}");
            let home = raw_texts(&store, "SELECT h.external_id || ' ' || COALESCE(h.address, '-')
                FROM households h JOIN persons p ON p.household_id = h.id WHERE p.id = $1", who).await;
            assert_eq!(home, [Some(format!("~~{who} -"))], "{b}");
        }
        // SQLite: none of the planted text is left in the bytes of the file or of its WAL (the
        // word index of migration 0034 removes a deleted name's words at once).
        for needle in PLANTED {
            assert_ne!(on_disk(&store, needle), Some(true), "{b}: {needle} is still on disk");
        }
        // The vocabulary of stored words (PostgreSQL 0034, SQLite 0037) no longer holds her
        // family name: nobody else has it.
        let words = raw_texts(&store, vocabulary, r1).await;
        assert!(words.is_empty(), "{b}: {words:?}");
        // K7's text: gone, and what may not be empty is sealed again as empty; the file reads.
        let file = store.case_file(&op, k7.id).await.unwrap();
        assert_eq!(file.case.concern, None, "{b}");
        assert_eq!(file.case.referrer, None, "{b}");
        assert_eq!(file.notes.len(), 1, "{b}");
        assert_eq!(file.notes[0].text.as_deref(), Some(""), "{b}");
        // The held, the kept and the open: as they were.
        assert_eq!(store.person(&op, r3).await.unwrap().data.given_name.as_str(), "Jeren", "{b}");
        assert_eq!(store.person(&op, r5).await.unwrap().data.given_name.as_str(), "Gülnara", "{b}");
        // The same yearly statistics: R1 turned 18 in 2015, counted 0-17 in 2014 and 18-59 in 2015
        // before and after.
        assert_eq!(yearly(&store, &planner).await, before, "{b}");

        // A second run finds nothing but the held case; lifting the hold (a reason, the version)
        // makes it due, and R3 with it.
        let plan = store.retention_plan(&ministry, as_of).await.unwrap();
        assert!(plan.cases.is_empty() && plan.persons.is_empty(), "{b}: {:?}", numbers(&plan.cases));
        assert_eq!(numbers(&plan.held), ["K3"], "{b}");
        assert!(matches!(store.lift_legal_hold(&sup, k3, hold.version, "").await, Err(StoreError::Invalid { .. })), "{b}");
        assert!(matches!(store.lift_legal_hold(&sup, k3, hold.version + 1, "Order lifted").await, Err(StoreError::Conflict { .. })), "{b}");
        assert!(matches!(store.lift_legal_hold(&other, k3, hold.version, "Order lifted").await, Err(StoreError::NotFound)), "{b}");
        let lifted = store.lift_legal_hold(&sup, k3, hold.version, "Order lifted 2/2026").await.unwrap();
        assert_eq!(lifted.lifted_by.as_deref(), Some("sup"), "{b}");
        assert!(matches!(store.lift_legal_hold(&sup, k3, lifted.version, "again").await, Err(StoreError::Invalid { .. })), "{b}");
        let plan = store.retention_plan(&ministry, as_of).await.unwrap();
        assert_eq!(numbers(&plan.cases), ["K3"], "{b}");
        assert_eq!(plan.persons, [r3], "{b}");
        let done = store.apply_retention(&op, as_of).await.unwrap();
        assert_eq!((done.cases, done.persons), (1, 1), "{b}");
        assert_eq!(store.person(&op, r3).await.unwrap().data.birth_date, Some(d("1985-07-01")), "{b}");
        // R6 still lives in H1, under her name: its address stays.
        let address = "SELECT h.address FROM households h JOIN persons p ON p.household_id = h.id WHERE p.id = $1";
        assert_eq!(raw_texts(&store, address, r3).await, [Some("QX-SHARED-5 Bagtyýarlyk".to_owned())], "{b}");
        assert_eq!(raw_texts(&store, "SELECT external_id FROM persons WHERE id = $1", r3).await, [Some(format!("~{r3}"))], "{b}");
        // An anonymised case takes no hold.
        assert!(matches!(store.set_legal_hold(&sup, k3, "too late").await, Err(StoreError::Invalid { .. })), "{b}");
        assert_eq!(yearly(&store, &planner).await, before, "{b}");

        // Every step audited, and the chain holds.
        assert!(matches!(store.verify_audit().await.unwrap(), AuditCheck::Intact { .. }), "{b}");
    }
}
