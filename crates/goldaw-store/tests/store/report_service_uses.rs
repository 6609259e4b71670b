//! The service-users report follows every writer, on every backend. The report reads
//! `report_service_uses` (migration 0008), which triggers keep; after each kind of write (a person
//! created and changed column by column, Washington Group answers from an assessment, the etrap
//! social work episode of a screened case, a referral started and completed by a provider, a
//! merge of duplicate people, imports into a full and into an empty database, a refused import)
//! the report must equal what this test counts itself from the base tables: `service_episodes`
//! joined to `persons`, read with plain SQL, split by the report semantics written out here.

use crate::helpers::{act, person};
use chrono::{Datelike, NaiveDate, TimeDelta, Utc};
use goldaw_core::codes::{Priority, ReferralSource, Role};
use goldaw_core::disclosure::Published;
use goldaw_core::indicators::{Figure, Indicator};
use goldaw_core::instruments::AnswerKind;
use goldaw_core::people::PersonData;
use goldaw_core::statistics::{Dimension, Period, SERVICE_USER_SERVICES};
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{
    ActionRequest, AnswerInput, AssessmentSave, NewAssessment, NewReferral, RawAnswer,
};
use goldaw_store::interchange::NoProgress;
use goldaw_store::merges::MergeRequest;
use goldaw_store::people::PersonQuery;
use goldaw_store::referrals::{
    Delivery, NewProvider, NewServiceReferral, OfferRequest, ProviderAction, ProviderActionKind,
    ProviderKind,
};
use goldaw_store::statistics::Suppression;
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

/// One episode with its person, straight from the base tables.
#[derive(Debug)]
struct Base {
    person: Uuid,
    service: String,
    started: NaiveDate,
    ended: Option<NaiveDate>,
    unit: String,
    sex: String,
    birth: Option<NaiveDate>,
    wg: [Option<i32>; 6],
    settlement: Option<String>,
    groups: String,
}

type BaseRow = (
    Uuid,
    String,
    NaiveDate,
    Option<NaiveDate>,
    String,
    String,
    Option<NaiveDate>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<String>,
    String,
);

const BASE_SQL: &str =
    "SELECT e.person_id, e.service_code, e.started_on, e.ended_on, p.admin_unit, p.sex,
        p.birth_date, CAST(p.wg_seeing AS INTEGER), CAST(p.wg_hearing AS INTEGER),
        CAST(p.wg_walking AS INTEGER), CAST(p.wg_cognition AS INTEGER),
        CAST(p.wg_selfcare AS INTEGER), CAST(p.wg_communication AS INTEGER), p.settlement,
        p.target_groups
    FROM service_episodes e JOIN persons p ON p.id = e.person_id";

async fn base(store: &Store) -> Vec<Base> {
    use sqlx::Connection;
    let rows: Vec<BaseRow> = match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_as(BASE_SQL).fetch_all(&mut c).await.unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(BASE_SQL).fetch_all(&mut c).await.unwrap()
        }
    };
    rows.into_iter()
        .map(|r| Base {
            person: r.0,
            service: r.1,
            started: r.2,
            ended: r.3,
            unit: r.4,
            sex: r.5,
            birth: r.6,
            wg: [r.7, r.8, r.9, r.10, r.11, r.12],
            settlement: r.13,
            groups: r.14,
        })
        .collect()
}

/// Runs SQL statements on the database behind `store` (one string per statement).
async fn execute(store: &Store, statements: &[&str]) {
    use sqlx::Connection;
    match store.url() {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            for sql in statements {
                sqlx::query(sql).execute(&mut c).await.unwrap();
            }
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            for sql in statements {
                sqlx::query(sql).execute(&mut c).await.unwrap();
            }
        }
    }
}

/// The report semantics of INTERCHANGE.md, written out for the test: distinct persons with an
/// episode of a counted service overlapping the period, once per cell they fall in.
fn expected(
    rows: &[Base],
    period: (NaiveDate, NaiveDate),
    dims: &[&str],
    within: &str,
) -> Vec<(Vec<String>, u64)> {
    let counted = [
        "S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09", "S10", "S11", "S12",
        "ETRAP_SW",
    ];
    let (from, to) = period;
    let mut seen = BTreeSet::new();
    for r in rows {
        let overlaps = r.started <= to && r.ended.is_none_or(|e| e >= from);
        if !overlaps || !counted.contains(&r.service.as_str()) || !r.unit.starts_with(within) {
            continue;
        }
        let mut cells: Vec<Vec<String>> = vec![vec![]];
        for dim in dims {
            let values: Vec<String> = match *dim {
                "admin_unit" => vec![r.unit.clone()],
                // Leaf units here are all TM-X-NN, in velayat TM-X.
                "velayat" => vec![r.unit[..4].to_owned()],
                "sex" => vec![r.sex.clone()],
                "age_band" => vec![match r.birth {
                    None => "unknown".to_owned(),
                    Some(b) => {
                        let mut age = to.year() - b.year();
                        if (to.month(), to.day()) < (b.month(), b.day()) {
                            age -= 1;
                        }
                        match age {
                            ..0 => "unknown",
                            0..18 => "0-17",
                            18..60 => "18-59",
                            _ => "60+",
                        }
                        .to_owned()
                    }
                }],
                "disability" => vec![r.wg.iter().any(|a| a.is_some_and(|a| a >= 3)).to_string()],
                "target_group" if r.groups.is_empty() => vec!["none".to_owned()],
                "target_group" => r.groups.split(';').map(str::to_owned).collect(),
                "service" => vec![r.service.clone()],
                "settlement" => vec![r.settlement.clone().unwrap_or_else(|| "unknown".into())],
                other => panic!("no dimension {other} in this test"),
            };
            cells = cells
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push(v.clone());
                        c
                    })
                })
                .collect();
        }
        for cell in cells {
            seen.insert((cell, r.person));
        }
    }
    let mut counts: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for (cell, _) in seen {
        *counts.entry(cell).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

/// Today in Ashgabat, the day the store writes as an episode's start or end.
fn today() -> NaiveDate {
    (Utc::now() + TimeDelta::hours(5)).date_naive()
}

fn periods() -> Vec<(NaiveDate, NaiveDate)> {
    let t = today();
    vec![
        // Up to today: what the API wrote, ongoing or ended today.
        (t - TimeDelta::days(30), t),
        // From tomorrow: only what is still running.
        (t + TimeDelta::days(1), t + TimeDelta::days(60)),
        // Imported history.
        (
            NaiveDate::from_ymd_opt(2021, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2021, 12, 31).unwrap(),
        ),
        (
            NaiveDate::from_ymd_opt(2021, 2, 1).unwrap(),
            NaiveDate::from_ymd_opt(2021, 2, 28).unwrap(),
        ),
        // Everything.
        (
            NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            t + TimeDelta::days(60),
        ),
    ]
}

const TABLES: [&[&str]; 6] = [
    &["admin_unit", "sex", "age_band", "disability"],
    &["admin_unit", "sex", "age_band"],
    &["velayat", "service", "target_group"],
    &["settlement", "age_band"],
    &["service"],
    &[],
];

/// The report (unsuppressed) of `principal` equals the test's own count of the base tables for
/// every period and table above. Returns the national total of persons over everything.
async fn check(store: &Store, planner: &Principal, what: &str) -> u64 {
    let rows = base(store).await;
    let op = Principal::system("test");
    let mut total = 0;
    // The totals of all periods from one scan: each equals the test's own count.
    let all: Vec<Period> = periods()
        .into_iter()
        .map(|(from, to)| Period::new(from, to).unwrap())
        .collect();
    for (who, within) in [(&op, "TM"), (planner, "TM-A")] {
        let reports = store
            .service_user_totals(who, &all, Suppression::MinCell(0))
            .await
            .unwrap();
        assert_eq!(reports.len(), all.len());
        for (period, report) in periods().into_iter().zip(reports) {
            let got: Vec<(Vec<String>, u64)> = report
                .rows
                .iter()
                .map(|r| (r.values.clone(), r.count.value().unwrap()))
                .collect();
            assert_eq!(
                got,
                expected(&rows, period, &[], within),
                "totals after {what}: {}..{} within {within}",
                period.0,
                period.1
            );
        }
    }
    for period in periods() {
        let p = Period::new(period.0, period.1).unwrap();
        for dims in TABLES {
            let parsed = Dimension::parse_list(&dims.join(",")).unwrap();
            for (who, within) in [(&op, "TM"), (planner, "TM-A")] {
                let report = store
                    .service_users(who, p, &parsed, Suppression::MinCell(0))
                    .await
                    .unwrap();
                let got: Vec<(Vec<String>, u64)> = report
                    .rows
                    .iter()
                    .map(|r| (r.values.clone(), r.count.value().unwrap()))
                    .collect();
                let want = expected(&rows, period, dims, within);
                assert_eq!(
                    got, want,
                    "after {what}: {}..{} by {dims:?} within {within}",
                    period.0, period.1
                );
                // Coverage counts its users from the same table: the same cells and counts.
                if Indicator::Coverage.check_dimensions(&parsed).is_ok() {
                    let coverage = store
                        .indicator(
                            who,
                            Indicator::Coverage,
                            p,
                            &parsed,
                            Suppression::MinCell(0),
                        )
                        .await
                        .unwrap();
                    let users: Vec<(Vec<String>, u64)> = coverage
                        .rows
                        .iter()
                        .map(|r| match r.figures[0] {
                            Figure::Count {
                                value: Published::Shown { value },
                            } => (r.values.clone(), value),
                            other => panic!("coverage users {other:?} in {r:?}"),
                        })
                        .collect();
                    assert_eq!(
                        users, want,
                        "coverage after {what}: {}..{} by {dims:?} within {within}",
                        period.0, period.1
                    );
                }
                if dims.is_empty() && within == "TM" && period.0.year() == 2000 {
                    total = want.first().map_or(0, |(_, n)| *n);
                }
            }
        }
    }
    total
}

async fn user(store: &Store, name: &str, role: Role, scope: &str) -> Principal {
    crate::helpers::account(store, name, role, scope, true, role == Role::Planner).await
}

/// Replaces some fields of the person's record (the rest as recorded).
async fn update(store: &Store, id: Uuid, changes: Value) {
    let op = Principal::system("test");
    let current = store.person(&op, id).await.unwrap();
    let mut data = serde_json::to_value(&current.data).unwrap();
    for (k, v) in changes.as_object().unwrap() {
        data[k] = v.clone();
    }
    let data: PersonData = serde_json::from_value(data).unwrap();
    store
        .update_person(&op, id, current.version, data)
        .await
        .unwrap();
}

/// A case of `person` allocated to `worker` and started, in initial assessment.
async fn case_of(store: &Store, sup: &Principal, worker: &Principal, person: Uuid) -> Uuid {
    let case = store
        .register_referral(
            sup,
            NewReferral {
                person,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: ReferralSource::SelfReferral,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive: false,
                household_case: true,
            },
        )
        .await
        .unwrap();
    let case = store
        .allocate_case(sup, case.id, case.version, &worker.actor)
        .await
        .unwrap();
    store
        .act_on_case(worker, case.id, act(CaseAction::StartInitial, case.version))
        .await
        .unwrap()
        .id
}

/// Completes the initial assessment of the case (about `persons` too: household members),
/// answering every Washington Group question 1 except those in `wg` (person, item, answer).
async fn assess(
    store: &Store,
    worker: &Principal,
    case: Uuid,
    persons: Vec<Uuid>,
    wg: &[(Uuid, &str, i64)],
) {
    let started = store
        .start_assessment(
            worker,
            case,
            NewAssessment {
                instrument: "initial".into(),
                persons,
            },
        )
        .await
        .unwrap();
    let instruments = store.instruments();
    let instrument = instruments
        .get(&started.instrument_code, started.instrument_version)
        .unwrap();
    let answers = started
        .missing
        .iter()
        .map(|m| {
            // As goldaw_store::testing::assess answers, with the Washington Group answers given.
            let value = match instrument.item(&m.item).map(|i| i.answer) {
                Some(AnswerKind::Wg) => RawAnswer::Number(
                    wg.iter()
                        .find(|(p, item, _)| *p == m.person && *item == m.item)
                        .map_or(1, |(_, _, a)| *a),
                ),
                Some(AnswerKind::YesNo) => RawAnswer::Flag(m.item.starts_with("consent")),
                Some(AnswerKind::Need) => RawAnswer::Number(1),
                Some(AnswerKind::Scale0To10) => RawAnswer::Number(5),
                _ => RawAnswer::Number(1),
            };
            AnswerInput {
                person: m.person,
                item: m.item.clone(),
                value: Some(value),
                strengths: None,
                own_words: None,
            }
        })
        .collect();
    let saved = store
        .save_assessment(
            worker,
            started.id,
            AssessmentSave {
                version: started.version,
                answers,
                persons: None,
            },
        )
        .await
        .unwrap();
    assert!(saved.missing.is_empty(), "{:?}", saved.missing);
    store
        .complete_assessment(worker, saved.id, saved.version)
        .await
        .unwrap();
}

/// Concludes the screening with priority support: the etrap social work episode starts.
async fn screen(store: &Store, worker: &Principal, case: Uuid) {
    let c = store.case(worker, case).await.unwrap();
    store
        .act_on_case(
            worker,
            case,
            ActionRequest {
                priority: Some(Priority::Support),
                ..act(CaseAction::CompleteInitial, c.version)
            },
        )
        .await
        .unwrap();
}

fn write_files(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

const PERSONS_HEADER: &str = "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n";
const EPISODES_HEADER: &str =
    "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units\n";

/// Persons and episodes of the past: overlapping episodes of one person, a hotline call (not a
/// service use), an episode ending in January 2021, people in three units.
fn first_import(dir: &Path) {
    write_files(
        dir,
        &[
            (
                "persons.csv",
                &format!(
                    "{PERSONS_HEADER}\
                     IMP-1,,Bahar,Ataýewa,F,1950-07-01,TM-A-02,urban,true,1,1,3,1,1,1,older_alone\n\
                     IMP-2,,Serdar,Ataýew,M,2010-02-28,TM-B-01,rural,false,,,,,,,\n\
                     IMP-3,,Jeren,Ataýewa,F,,TM-A-01,,,1,2,1,1,1,1,woman_gbv;large_family\n"
                ),
            ),
            (
                "service_episodes.csv",
                &format!(
                    "{EPISODES_HEADER}\
                     E-1,,IMP-1,S02,,2021-02-01,2021-06-30,4\n\
                     E-2,,IMP-1,ETRAP_SW,,2021-01-15,,9\n\
                     E-3,,IMP-2,HOTLINE,,2021-03-03,2021-03-03,1\n\
                     E-4,,IMP-3,S10,,2020-06-01,2021-01-31,30\n\
                     E-5,,IMP-3,S10,,2021-02-10,2021-02-20,5\n"
                ),
            ),
        ],
    );
}

/// Changes to what the first import wrote: a person's sex, unit and settlement; the hotline call
/// recorded as a shelter stay instead; an episode moved to another person with a new end.
fn second_import(dir: &Path) {
    write_files(
        dir,
        &[
            (
                "persons.csv",
                &format!(
                    "{PERSONS_HEADER}\
                     IMP-2,,Serdar,Ataýew,F,2010-02-28,TM-A-02,urban,false,,,,,,,\n"
                ),
            ),
            (
                "service_episodes.csv",
                &format!(
                    "{EPISODES_HEADER}\
                     E-3,,IMP-2,S10,,2021-03-03,2021-04-30,1\n\
                     E-4,,IMP-1,S10,,2020-06-01,2021-02-15,30\n"
                ),
            ),
        ],
    );
}

async fn import(store: &Store, dir: &Path) -> Result<(), StoreError> {
    store
        .import_dir(&Principal::system("test"), dir, Arc::new(NoProgress))
        .await
        .map(|_| ())
}

goldaw_store::each_backend! {
    async fn the_report_follows_every_writer(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let op = Principal::system("test");
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let planner = user(&store, "plan", Role::Planner, "TM-A").await;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let yenme = user(&store, "yenme", Role::Provider, "provider:PR-YENME").await;

        store
            .create_household(
                &op,
                Some("H-1".parse().unwrap()),
                serde_json::from_value(json!({"admin_unit": "TM-A-01", "settlement": "rural"}))
                    .unwrap(),
            )
            .await
            .unwrap();
        let ayna = person(&store, json!({"given_name": "Aýna", "family_name": "Annaýewa", "sex": "F",
            "birth_date": "1990-04-02", "admin_unit": "TM-A-01", "household_id": "H-1", "settlement": "rural"})).await;
        let merdan = person(&store, json!({"given_name": "Merdan", "family_name": "Annaýew", "sex": "M",
            "birth_date": "2015-05-05", "admin_unit": "TM-A-01", "household_id": "H-1", "settlement": "rural"})).await;
        // The same woman twice: registered at the hotline without a birth date, and from the
        // benefit list with one and a target group.
        let kept = person(
            &store,
            json!({"given_name": "Gözel", "family_name": "Orazowa", "sex": "F",
            "admin_unit": "TM-A-01"}),
        )
        .await;
        let dup = person(&store, json!({"given_name": "Gozel", "family_name": "Orazova", "sex": "F",
            "birth_date": "1985-03-03", "admin_unit": "TM-A-01", "target_groups": ["chronic_illness"]})).await;
        assert_eq!(check(&store, &planner, "persons created").await, 0, "{b}");

        // Screened with priority support: the etrap social work episode starts (cases writer).
        let case_a = case_of(&store, &sup, &aman, ayna).await;
        assess(&store, &aman, case_a, vec![], &[]).await;
        screen(&store, &aman, case_a).await;
        assert_eq!(check(&store, &planner, "a screening").await, 1, "{b}");

        // The totals of one scan are published like the report: one user is a small count,
        // hidden under the standard rule; without the grant, no switching suppression off; a
        // provider has no area to count in.
        let days = [
            Period::new(today(), today()).unwrap(),
            Period::new(
                today() - TimeDelta::days(400),
                today() - TimeDelta::days(300),
            )
            .unwrap(),
        ];
        let totals = store
            .service_user_totals(&planner, &days, Suppression::Standard)
            .await
            .unwrap();
        for (period, total) in days.iter().zip(&totals) {
            let alone = store
                .service_users(&planner, *period, &[], Suppression::Standard)
                .await
                .unwrap();
            assert_eq!(total.rows, alone.rows, "{b} {period:?}");
            assert_eq!(total.rule, alone.rule, "{b} {period:?}");
        }
        assert!(
            totals[0].rows[0].count.value().is_none(),
            "{b}: 1 is hidden"
        );
        assert!(totals[1].rows.is_empty(), "{b}: nobody then");
        assert!(
            matches!(
                store
                    .service_user_totals(&aman, &days, Suppression::MinCell(0))
                    .await,
                Err(StoreError::Forbidden(_))
            ),
            "{b}"
        );
        assert!(store
            .service_user_totals(&yenme, &days, Suppression::Standard)
            .await
            .is_err());

        // Her record changes, one column at a time.
        for (what, change) in [
            ("sex", json!({"sex": "M"})),
            ("birth date", json!({"birth_date": "1960-01-01"})),
            ("settlement", json!({"settlement": "urban"})),
            (
                "target groups",
                json!({"target_groups": ["large_family", "chronic_illness"]}),
            ),
            (
                "Washington Group answers",
                json!({"washington_group": {"seeing": 3, "walking": 1}}),
            ),
        ] {
            update(&store, ayna, change).await;
            check(&store, &planner, what).await;
        }
        let report = store
            .service_users(
                &op,
                Period::new(today(), today()).unwrap(),
                &[Dimension::Sex, Dimension::Disability],
                Suppression::MinCell(0),
            )
            .await
            .unwrap();
        assert_eq!(report.rows.len(), 1, "{b}");
        assert_eq!(
            report.rows[0].values,
            ["M", "true"],
            "{b}: the changes are seen"
        );

        // Her son's screening includes her: answering 'no difficulty' seeing replaces her 3, so
        // she no longer has a disability (assessments write to the person). His episode starts.
        let case_m = case_of(&store, &sup, &aman, merdan).await;
        assess(
            &store,
            &aman,
            case_m,
            vec![merdan, ayna],
            &[(merdan, "wg_walking", 4)],
        )
        .await;
        assert!(!store.person(&op, ayna).await.unwrap().disability, "{b}");
        check(&store, &planner, "an assessment's Washington Group answers").await;
        screen(&store, &aman, case_m).await;
        assert_eq!(
            check(&store, &planner, "a second screening").await,
            2,
            "{b}"
        );

        // A provider takes a referral: the episode starts with the service, then ends.
        let provider = store
            .create_provider(
                &ministry,
                NewProvider {
                    external_id: "PR-YENME".into(),
                    name: "Ýeňme".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: Some("TM-A-01".parse().unwrap()),
                },
            )
            .await
            .unwrap();
        let offer = store
            .set_offer(
                &ministry,
                provider.id,
                OfferRequest {
                    service_code: "S05".parse().unwrap(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    places: Some(3),
                    service_point: None,
                    active: true,
                    version: None,
                },
            )
            .await
            .unwrap();
        let referral = store
            .refer(
                &aman,
                case_m,
                NewServiceReferral {
                    person: merdan,
                    service_code: "S05".parse().unwrap(),
                    provider_service: Some(offer.id),
                    recipient: None,
                    info: None,
                },
            )
            .await
            .unwrap();
        let pact = |action, version| ProviderAction {
            action,
            version,
            reason: None,
            note: None,
            on: None,
        };
        let accepted = store
            .provider_act(
                &yenme,
                referral.id,
                pact(ProviderActionKind::Accept, referral.version),
            )
            .await
            .unwrap();
        check(&store, &planner, "a referral accepted").await;
        let started = store
            .provider_act(
                &yenme,
                referral.id,
                pact(ProviderActionKind::Start, accepted.version),
            )
            .await
            .unwrap();
        check(&store, &planner, "a referral started").await;
        let delivered = store
            .record_delivery(
                &yenme,
                referral.id,
                Delivery {
                    units: 2,
                    delivered_on: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(delivered.units, Some(2), "{b}");
        store
            .provider_act(
                &yenme,
                referral.id,
                pact(ProviderActionKind::Complete, delivered.version),
            )
            .await
            .unwrap();
        check(&store, &planner, "an episode ended").await;
        let by_service = store
            .service_users(
                &op,
                Period::new(today() + TimeDelta::days(1), today() + TimeDelta::days(2)).unwrap(),
                &[Dimension::Service],
                Suppression::MinCell(0),
            )
            .await
            .unwrap();
        assert!(
            by_service.rows.iter().all(|r| r.values[0] != "S05"),
            "{b}: the ended service is not counted after its end"
        );
        let _ = started;

        // Two records of one woman, each with a case; merged, her episodes move to the kept
        // record, which takes the birth date and target group; she counts once.
        for who in [kept, dup] {
            let case = case_of(&store, &sup, &aman, who).await;
            assess(&store, &aman, case, vec![], &[]).await;
            screen(&store, &aman, case).await;
        }
        assert_eq!(
            check(&store, &planner, "two screenings of one woman").await,
            4,
            "{b}"
        );
        let version = |id| {
            let store = store.clone();
            async move {
                store
                    .person(&Principal::system("test"), id)
                    .await
                    .unwrap()
                    .version
            }
        };
        store
            .merge_persons(
                &sup,
                kept,
                MergeRequest {
                    merged: dup,
                    kept_version: version(kept).await,
                    merged_version: version(dup).await,
                },
            )
            .await
            .unwrap();
        assert_eq!(check(&store, &planner, "a merge").await, 3, "{b}");

        // The unit last (she leaves the planner's velayat), then imports into a full database.
        update(
            &store,
            ayna,
            json!({"admin_unit": "TM-B-01", "household_id": null}),
        )
        .await;
        check(&store, &planner, "a move to another velayat").await;
        let dir = tempfile::tempdir().unwrap();
        first_import(dir.path());
        import(&store, dir.path()).await.unwrap();
        assert_eq!(check(&store, &planner, "an import").await, 5, "{b}");
        second_import(dir.path());
        import(&store, dir.path()).await.unwrap();
        assert_eq!(check(&store, &planner, "a second import").await, 6, "{b}");
    }
}

goldaw_store::each_backend! {
    async fn an_import_into_an_empty_database_fills_the_table_and_leaves_the_triggers_working(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let planner = user(&store, "plan", Role::Planner, "TM-A").await;
        let dir = tempfile::tempdir().unwrap();

        // Refused (an episode of an unknown person): nothing written, nothing left behind.
        first_import(dir.path());
        let episodes = std::fs::read_to_string(dir.path().join("service_episodes.csv")).unwrap();
        std::fs::write(
            dir.path().join("service_episodes.csv"),
            format!("{episodes}E-9,,IMP-404,S01,,2021-01-01,,1\n"),
        )
        .unwrap();
        let refused = import(&store, dir.path()).await;
        assert!(
            matches!(refused, Err(StoreError::Import(_))),
            "{b}: {refused:?}"
        );
        assert_eq!(check(&store, &planner, "a refused import").await, 0, "{b}");

        first_import(dir.path());
        import(&store, dir.path()).await.unwrap();
        assert_eq!(
            check(&store, &planner, "an import into an empty database").await,
            2,
            "{b}"
        );
        // The triggers are back: writes after the import are followed.
        let op = Principal::system("test");
        let imported = store
            .search_persons(
                &op,
                &PersonQuery {
                    name: None,
                    external_id: Some("IMP-3".into()),
                    admin_unit: None,
                    limit: 10,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        assert_eq!(imported.len(), 1, "{b}");
        update(
            &store,
            imported[0].id,
            json!({"sex": "M", "admin_unit": "TM-B-01"}),
        )
        .await;
        check(&store, &planner, "a change after the import").await;
        second_import(dir.path());
        import(&store, dir.path()).await.unwrap();
        assert_eq!(check(&store, &planner, "a second import").await, 3, "{b}");
    }
}

goldaw_store::each_backend! {
    async fn the_migration_fills_the_table_from_the_data_already_there(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let planner = user(&store, "plan", Role::Planner, "TM-A").await;
        let dir = tempfile::tempdir().unwrap();
        first_import(dir.path());
        import(&store, dir.path()).await.unwrap();
        second_import(dir.path());
        import(&store, dir.path()).await.unwrap();
        // Back to the schema before migration 0008, data kept; opening again migrates.
        let undo: &[&str] = if db.url.is_sqlite() {
            &[
                "DROP TRIGGER report_service_uses_episode_insert",
                "DROP TRIGGER report_service_uses_episode_update",
                "DROP TRIGGER report_service_uses_episode_delete",
                "DROP TRIGGER report_service_uses_person_update",
                "DROP VIEW report_service_uses_source",
                "DROP TABLE report_service_uses",
                "DELETE FROM _sqlx_migrations WHERE version = 8",
            ]
        } else {
            &[
                "DROP TRIGGER report_service_uses_episodes_inserted ON service_episodes",
                "DROP TRIGGER report_service_uses_episodes_updated ON service_episodes",
                "DROP TRIGGER report_service_uses_episodes_deleted ON service_episodes",
                "DROP TRIGGER report_service_uses_person_updated ON persons",
                "DROP FUNCTION report_service_uses_episodes_inserted()",
                "DROP FUNCTION report_service_uses_episodes_updated()",
                "DROP FUNCTION report_service_uses_episodes_deleted()",
                "DROP FUNCTION report_service_uses_person_updated()",
                "DROP FUNCTION report_service_uses_refresh(UUID[])",
                "DROP VIEW report_service_uses_source",
                "DROP TABLE report_service_uses",
                "DELETE FROM _sqlx_migrations WHERE version = 8",
            ]
        };
        execute(&store, undo).await;
        drop(store);
        let store = db.open_with_key().await;
        assert_eq!(check(&store, &planner, "the migration").await, 3, "{b}");
        // Episodes written directly (as by an operator's SQL) are followed too, deletions included.
        execute(
            &store,
            &["DELETE FROM service_episodes WHERE external_id = 'E-2'"],
        )
        .await;
        assert_eq!(
            check(&store, &planner, "an episode deleted").await,
            3,
            "{b}"
        );
    }
}

goldaw_store::each_backend! {
    async fn the_counted_services_are_the_contract_s(db: TestDb) {
        // The view of migration 0008 lists the counted services in SQL; one episode of every service
        // in the catalogue shows that its list is SERVICE_USER_SERVICES.
        let store = db.open_with_key().await;
        let b = db.backend;
        // The catalogue as shipped (reference/services.csv), first column.
        let shipped = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reference/services.csv"),
        )
        .unwrap();
        let services: Vec<String> = shipped
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        assert!(services.len() > SERVICE_USER_SERVICES.len(), "{b}");
        let mut persons = PERSONS_HEADER.to_string();
        let mut episodes = EPISODES_HEADER.to_string();
        let mut cases = String::from("case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id\n");
        for (i, code) in services.iter().enumerate() {
            persons.push_str(&format!("P{i},,Aýna,,F,1990-01-01,TM-A-01,,,,,,,,,\n"));
            cases.push_str(&format!(
                "C{i},P{i},TM-A-01,2024-01-01,court,support,active,,\n"
            ));
            episodes.push_str(&format!("E{i},C{i},P{i},{code},,2024-01-01,,\n"));
        }
        let dir = tempfile::tempdir().unwrap();
        write_files(
            dir.path(),
            &[
                ("persons.csv", &persons),
                ("cases.csv", &cases),
                ("service_episodes.csv", &episodes),
            ],
        );
        import(&store, dir.path()).await.unwrap();
        let report = store
            .service_users(
                &Principal::system("test"),
                Period::new(
                    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
                    NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
                )
                .unwrap(),
                &[Dimension::Service],
                Suppression::MinCell(0),
            )
            .await
            .unwrap();
        let counted: BTreeSet<String> = report.rows.iter().map(|r| r.values[0].clone()).collect();
        let contract: BTreeSet<String> = SERVICE_USER_SERVICES
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(counted, contract, "{b}");
    }
}
