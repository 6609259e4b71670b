//! Issue #18's last item, on every backend: the incident date on a call and on a sensitive case
//! (refused in the future, before the person's birth, on a case that is not sensitive, by a
//! reader who does not work on the case, on a stale version; carried over when the call becomes
//! a case), the survivor code (random, valid, unique, stable, no part of a name; given at the
//! first read to a sensitive case without one), and the statistics' time from incident to report
//! against counts this test computes from the rows it wrote (consent filter, suppression).

use crate::helpers::{act, operator, person_in, referral, sensitive_staff as user, staff};
use crate::survivors::{call, consent, key, lines};
use crate::survivors_leftovers::count;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use goldaw_core::codes::Role;
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{IncidentDateChange, NewReferral};
use goldaw_store::consent::{ConsentPurpose, Withdrawal};
use goldaw_store::gbv_statistics::{GbvDimension, GbvMeasure, GbvQuery, GbvTable};
use goldaw_store::hotline::{CallCategory, CallOutcome, CallToCase, NewCall, RiskScreening};
use goldaw_store::testing::TestDb;
use goldaw_store::{DatabaseUrl, StoreError};
use std::collections::HashSet;

/// A statement run behind goldaw's back (to make a case as migration 0033 found it).
async fn exec(db: &TestDb, sql: &str) {
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute(sql, []).unwrap();
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
}

/// A case's id as a literal of the backend's SQL (a blob on SQLite).
fn id_sql(db: &TestDb, id: uuid::Uuid) -> String {
    match &db.url {
        DatabaseUrl::Sqlite(_) => format!("X'{}'", id.simple()),
        DatabaseUrl::Postgres(_) => format!("'{id}'"),
    }
}

fn today() -> NaiveDate {
    goldaw_core::deadlines::local_date(Utc::now())
}

fn to_case(version: i32) -> CallToCase {
    CallToCase {
        admin_unit: "TM-A-01".parse().unwrap(),
        person: None,
        sex: None,
        version,
        consents: vec![],
    }
}

fn sensitive(person: uuid::Uuid) -> NewReferral {
    NewReferral {
        sensitive: true,
        ..referral(person, "TM-A-01")
    }
}

goldaw_store::each_backend! {
    async fn the_incident_date_of_a_sensitive_case_is_checked_guarded_and_set_by_who_works_on_it(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let other = user(&store, "merdan", Role::SocialWorker, "TM-A-01").await;
        let far = user(&store, "far", Role::Supervisor, "TM-A-02").await;
        let planner = staff(&store, "plan", Role::Planner, "TM").await;
        // Born 1990-04-02 (helpers::person_in).
        let person = person_in(&store, &operator(), "Ogulgerek", "TM-A-01", "").await;
        let case = store.register_referral(&sup, sensitive(person)).await.unwrap();
        let case = store.allocate_case(&sup, case.id, case.version, &aman.actor).await.unwrap();
        assert_eq!(case.incident_on, None, "{b}");
        let set = |on: Option<NaiveDate>, version| IncidentDateChange { incident_on: on, version };
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let unchanged = |c: &goldaw_store::cases::CaseRecord, version, on: Option<NaiveDate>| {
            assert_eq!((c.version, c.incident_on), (version, on), "{b}: the case changed");
        };

        // The rule's refusals, each writing nothing.
        let future = store.set_incident_date(&aman, case.id, set(Some(today() + Duration::days(1)), case.version)).await;
        assert_eq!(key(&future), Some("incident-date-future"), "{b}");
        let before_birth = store.set_incident_date(&aman, case.id, set(Some(day("1990-04-01")), case.version)).await;
        assert_eq!(key(&before_birth), Some("incident-date-before-birth"), "{b}");
        unchanged(&store.case(&sup, case.id).await.unwrap(), case.version, None);

        // Who may not: outside scope it does not exist; a role without case work, and a worker
        // the case is not allocated to, are refused.
        assert!(matches!(store.set_incident_date(&far, case.id, set(Some(day("2026-01-05")), case.version)).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.set_incident_date(&planner, case.id, set(Some(day("2026-01-05")), case.version)).await, Err(StoreError::Forbidden(_))), "{b}");
        assert!(matches!(store.set_incident_date(&other, case.id, set(Some(day("2026-01-05")), case.version)).await, Err(StoreError::Forbidden(_))), "{b}");
        unchanged(&store.case(&sup, case.id).await.unwrap(), case.version, None);

        // Set by the worker: the version moves on, the audit trail has it first.
        let on = today() - Duration::days(3);
        let done = store.set_incident_date(&aman, case.id, set(Some(on), case.version)).await.unwrap();
        unchanged(&done, case.version + 1, Some(on));
        assert_eq!(
            count(&db, &format!("SELECT COUNT(*) FROM audit_events WHERE action = 'case.incident_date' AND entity_id = '{}'", case.id)).await,
            1,
            "{b}"
        );
        // A stale version is refused and changes nothing.
        let stale = store.set_incident_date(&sup, case.id, set(Some(day("2025-12-01")), case.version)).await;
        assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{b}: {stale:?}");
        unchanged(&store.case(&sup, case.id).await.unwrap(), done.version, Some(on));
        // The born day itself is allowed; cleared with none.
        let born = store.set_incident_date(&sup, case.id, set(Some(day("1990-04-02")), done.version)).await.unwrap();
        assert_eq!(born.incident_on, Some(day("1990-04-02")), "{b}");
        let cleared = store.set_incident_date(&sup, case.id, set(None, born.version)).await.unwrap();
        unchanged(&cleared, born.version + 1, None);

        // A reader without the sensitive permission sees neither the date nor the code.
        let plain = staff(&store, "plainsup", Role::Supervisor, "TM-A-01").await;
        store.set_incident_date(&sup, case.id, set(Some(on), cleared.version)).await.unwrap();
        if let Ok(seen) = store.case(&plain, case.id).await {
            assert!(seen.restricted, "{b}");
            assert_eq!((seen.incident_on, seen.survivor_code), (None, None), "{b}");
        }

        // Not a sensitive case: refused by the rule.
        let other_person = person_in(&store, &operator(), "Maral", "TM-A-01", "").await;
        let plain_case = store.register_referral(&sup, referral(other_person, "TM-A-01")).await.unwrap();
        assert!(!plain_case.sensitive, "{b}");
        let refused = store.set_incident_date(&sup, plain_case.id, set(Some(on), plain_case.version)).await;
        assert_eq!(key(&refused), Some("incident-date-not-sensitive"), "{b}");
        assert_eq!(plain_case.survivor_code, None, "{b}: a case that is not sensitive has no survivor code");
    }
}

goldaw_store::each_backend! {
    async fn the_incident_date_said_on_a_call_is_carried_to_its_case_and_checked_against_her_birth(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let (ops1, _, _) = lines(&store).await;
        let on = today() - Duration::days(2);

        // In the future: refused, no call logged.
        let calls = count(&db, "SELECT COUNT(*) FROM hotline_calls").await;
        let future = store.log_call(&ops1, NewCall { incident_on: Some(today() + Duration::days(1)), ..call("NGO-1", CallOutcome::ReferredToEtrap) }).await;
        assert_eq!(key(&future), Some("incident-date-future"), "{b}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM hotline_calls").await, calls, "{b}");

        // Carried over in the call's one transaction.
        let c = store.log_call(&ops1, NewCall { incident_on: Some(on), ..call("NGO-1", CallOutcome::ReferredToEtrap) }).await.unwrap();
        assert_eq!(c.incident_on, Some(on), "{b}");
        assert_eq!(store.call(&ops1, c.id).await.unwrap().incident_on, Some(on), "{b}");
        let case = store.call_to_case(&ops1, c.id, to_case(c.version)).await.unwrap();
        assert!(case.sensitive, "{b}");
        assert_eq!(case.incident_on, Some(on), "{b}: carried over");
        assert!(case.survivor_code.is_some(), "{b}");

        // A known person born after the date the caller gave: the whole act is refused.
        let young = person_in(&store, &operator(), "Aýna", "TM-A-01", "").await; // born 1990-04-02
        let old = store.log_call(&ops1, NewCall { incident_on: Some("1989-12-31".parse().unwrap()), ..call("NGO-1", CallOutcome::ReferredToEtrap) }).await.unwrap();
        let cases = count(&db, "SELECT COUNT(*) FROM cases").await;
        let refused = store.call_to_case(&ops1, old.id, CallToCase { person: Some(young), ..to_case(old.version) }).await;
        assert_eq!(key(&refused), Some("incident-date-before-birth"), "{b}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM cases").await, cases, "{b}: nothing written");
        let still = store.call(&ops1, old.id).await.unwrap();
        assert_eq!((still.case_id, still.version), (None, old.version), "{b}");

        // A call that opens a case that is not sensitive keeps its date on the call only.
        let disability = store.log_call(&ops1, NewCall { category: CallCategory::Disability, incident_on: Some(on), ..call("NGO-1", CallOutcome::ReferredToEtrap) }).await.unwrap();
        let plain = store.call_to_case(&ops1, disability.id, to_case(disability.version)).await.unwrap();
        assert!(!plain.sensitive, "{b}");
        assert_eq!((plain.incident_on, plain.survivor_code), (None, None), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn a_survivor_code_is_random_unique_stable_and_given_once_to_a_case_without_one(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let names = ["Ogulgerek", "Bahargül", "Jemal", "Dursungül", "Enejan", "Mähri"];
        let mut codes = HashSet::new();
        let mut cases = Vec::new();
        for name in names {
            let person = person_in(&store, &operator(), name, "TM-A-01", "").await;
            let case = store.register_referral(&sup, sensitive(person)).await.unwrap();
            let code = case.survivor_code.clone().expect("a sensitive case has a survivor code");
            assert!(goldaw_core::survivor_code::is_valid(&code), "{b}: {code}");
            // Nothing of her: no four letters of her names, no birth year, no etrap, no number.
            let upper = format!("{name}ANNAÝEWA").to_uppercase();
            let letters: Vec<char> = upper.chars().collect();
            for w in letters.windows(4) {
                let part: String = w.iter().collect();
                assert!(!code.contains(&part), "{b}: {code} holds {part}");
            }
            for part in ["1990", "A-01", "A01", case.number.as_str()] {
                assert!(!code.contains(part), "{b}: {code} holds {part}");
            }
            assert!(codes.insert(code), "{b}: a code given twice");
            cases.push(case);
        }
        // Not a sequence: codes of cases registered one after the other share no prefix run.
        let sorted: Vec<&str> = cases.iter().map(|c| c.survivor_code.as_deref().unwrap()).collect();
        assert!(sorted.windows(2).any(|w| w[0][2..6] != w[1][2..6]), "{b}: codes in sequence");

        // Stable: every read and every write keeps it.
        let first = &cases[0];
        let code = first.survivor_code.clone();
        assert_eq!(store.case(&sup, first.id).await.unwrap().survivor_code, code, "{b}");
        let worker = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let moved = store.allocate_case(&sup, first.id, first.version, &worker.actor).await.unwrap();
        assert_eq!(moved.survivor_code, code, "{b}");
        let started = store.act_on_case(&worker, first.id, act(CaseAction::StartInitial, moved.version)).await.unwrap();
        assert_eq!(started.survivor_code, code, "{b}");
        let set = store.set_incident_date(&sup, first.id, IncidentDateChange { incident_on: Some(today()), version: store.case(&sup, first.id).await.unwrap().version }).await.unwrap();
        assert_eq!(set.survivor_code, code, "{b}");
        assert_eq!(count(&db, "SELECT COUNT(DISTINCT survivor_code) FROM cases").await, names.len() as i64, "{b}");

        // A sensitive case as migration 0033 found it (no code): given one at its first full
        // read, audited, and the same ever after; the unique index holds.
        let second = &cases[1];
        exec(&db, &format!("UPDATE cases SET survivor_code = NULL WHERE id = {}", id_sql(&db, second.id))).await;
        let given = store.case(&sup, second.id).await.unwrap().survivor_code.expect("given at read");
        assert!(goldaw_core::survivor_code::is_valid(&given), "{b}");
        assert!(!codes.contains(&given) || Some(&given) == second.survivor_code.as_ref(), "{b}");
        assert_eq!(store.case(&sup, second.id).await.unwrap().survivor_code.as_deref(), Some(given.as_str()), "{b}");
        assert_eq!(
            count(&db, &format!("SELECT COUNT(*) FROM audit_events WHERE action = 'case.survivor_code' AND entity_id = '{}'", second.id)).await,
            1,
            "{b}: given once"
        );
        assert_eq!(
            count(&db, &format!("SELECT COUNT(*) FROM audit_events WHERE detail LIKE '%{given}%'")).await,
            0,
            "{b}: the code is not written into the audit trail"
        );
        let third = &cases[2];
        let clash = match &db.url {
            DatabaseUrl::Sqlite(path) => rusqlite::Connection::open(path)
                .unwrap()
                .execute(&format!("UPDATE cases SET survivor_code = '{given}' WHERE id = {}", id_sql(&db, third.id)), [])
                .is_err(),
            DatabaseUrl::Postgres(url) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query(&format!("UPDATE cases SET survivor_code = '{given}' WHERE id = {}", id_sql(&db, third.id)))
                    .execute(&mut conn)
                    .await
                    .is_err()
            }
        };
        assert!(clash, "{b}: two cases with one code");
    }
}

/// The GBVIMS band of the days from an incident to its report, as the test reckons it.
fn band(days: Option<i64>) -> &'static str {
    match days {
        None => "unknown",
        Some(0) => "same_day",
        Some(1..=3) => "1_3_days",
        Some(4..=7) => "4_7_days",
        Some(8..=30) => "8_30_days",
        Some(_) => "over_30_days",
    }
}

goldaw_store::each_backend! {
    async fn the_statistics_count_the_time_from_incident_to_report_of_consenting_survivors(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let (ops1, _, _) = lines(&store).await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let planner = goldaw_store::Principal::user(uuid::Uuid::nil(), "plan", Role::Planner, "TM".parse().unwrap(), false);
        let open = planner.clone().with_unsuppressed(true);
        // Every call came in yesterday at noon, Turkmenistan's time: the report's day.
        let reported = today() - Duration::days(1);
        let noon = goldaw_core::deadlines::LOCAL_OFFSET
            .from_local_datetime(&reported.and_hms_opt(12, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        // (days from the incident to the call, consent to statistics: given / withdrawn / none)
        #[derive(Clone, Copy, PartialEq)]
        enum Stats { Given, Withdrawn, None }
        let mut plan: Vec<(Option<i64>, Stats)> = vec![(Some(0), Stats::Given); 11];
        plan.extend([
            (Some(2), Stats::Given),
            (Some(3), Stats::Given),
            (Some(5), Stats::Given),
            (Some(12), Stats::Given),
            (Some(45), Stats::Given),
            (None, Stats::Given),
            (Some(1), Stats::None),
            (Some(0), Stats::Withdrawn),
        ]);
        let mut codes = Vec::new();
        for (days, stats) in &plan {
            let c = store
                .log_call(&ops1, NewCall {
                    received_at: Some(noon),
                    screening: RiskScreening::default(),
                    incident_on: days.map(|d| reported - Duration::days(d)),
                    ..call("NGO-1", CallOutcome::ReferredToEtrap)
                })
                .await
                .unwrap();
            let consents = match stats {
                Stats::None => vec![],
                _ => vec![consent(ConsentPurpose::Statistics, None)],
            };
            let case = store.call_to_case(&ops1, c.id, CallToCase { consents, ..to_case(c.version) }).await.unwrap();
            if *stats == Stats::Withdrawn {
                let k = store.case_consents(&sup, case.id).await.unwrap();
                let k = k.consents.iter().find(|k| k.purpose == ConsentPurpose::Statistics).unwrap();
                store.withdraw_consent(&sup, case.id, k.id, Withdrawal { version: k.version }).await.unwrap();
            }
            codes.push(case.survivor_code.clone().unwrap());
        }
        // What the test expects, from what it wrote.
        let expected = |survivors_only: bool, b: &str| {
            plan.iter()
                .filter(|(_, s)| !survivors_only || *s == Stats::Given)
                .filter(|(d, _)| band(*d) == b)
                .count() as u64
        };
        let bands = ["same_day", "1_3_days", "4_7_days", "8_30_days", "over_30_days", "unknown"];
        let q = |measure, by: Vec<GbvDimension>| GbvQuery { measure, from: today() - Duration::days(3), to: today(), by };
        let cell = |t: &GbvTable, key: &[Option<&str>]| {
            t.rows.iter().find(|r| r.key.iter().map(|k| k.as_deref()).collect::<Vec<_>>() == key).map(|r| r.count)
        };

        // With the grant: every band as counted here; only those who consent, once each.
        let t = store.gbv_statistics(&open, q(GbvMeasure::Survivors, vec![GbvDimension::ReportDelay])).await.unwrap();
        for band in bands {
            assert_eq!(cell(&t, &[Some(band)]), Some(Some(expected(true, band))), "{b}: survivors {band}");
        }
        assert_eq!(cell(&t, &[None]), Some(Some(plan.len() as u64 - 2)), "{b}: the two without consent are not counted");
        // Calls are anonymous and counted without consent: all of them.
        let t = store.gbv_statistics(&open, q(GbvMeasure::Calls, vec![GbvDimension::ReportDelay])).await.unwrap();
        for band in bands {
            assert_eq!(cell(&t, &[Some(band)]), Some(Some(expected(false, band))), "{b}: calls {band}");
        }
        // Split with another dimension.
        let t = store.gbv_statistics(&open, q(GbvMeasure::Survivors, vec![GbvDimension::ReportDelay, GbvDimension::Sex])).await.unwrap();
        assert_eq!(cell(&t, &[Some("same_day"), Some("F")]), Some(Some(expected(true, "same_day"))), "{b}");
        assert_eq!(cell(&t, &[Some("same_day"), Some("M")]), Some(Some(0)), "{b}");

        // Without the grant: the stricter rule (counts 0-9 hidden); the band of eleven shows.
        let t = store.gbv_statistics(&planner, q(GbvMeasure::Survivors, vec![GbvDimension::ReportDelay])).await.unwrap();
        assert_eq!((t.threshold, t.hides_zeros), (10, true), "{b}");
        for band in bands {
            let n = expected(true, band);
            let shown = cell(&t, &[Some(band)]).unwrap();
            if n < 10 {
                assert_eq!(shown, None, "{b}: {band} ({n}) shown");
            } else {
                assert!(shown.is_none() || shown == Some(n), "{b}: {band} shown wrong");
            }
        }
        assert_eq!(cell(&t, &[Some("same_day")]), Some(Some(11)), "{b}");

        // No survivor code, no case id leaves in a table.
        let text = serde_json::to_string(&t).unwrap();
        for code in &codes {
            assert!(!text.contains(code.as_str()), "{b}: a survivor code in a table");
        }

        // The survivors a table counts all carry a code: one made before 0033 is given one.
        exec(&db, "UPDATE cases SET survivor_code = NULL").await;
        let t = store.gbv_statistics(&open, q(GbvMeasure::Survivors, vec![GbvDimension::ReportDelay])).await.unwrap();
        assert_eq!(cell(&t, &[None]), Some(Some(plan.len() as u64 - 2)), "{b}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM cases WHERE sensitive AND survivor_code IS NOT NULL").await,
            plan.len() as i64 - 2,
            "{b}: the counted survivors were given their codes"
        );
    }
}
