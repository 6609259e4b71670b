//! The indicators of issue #5 on SQLite and PostgreSQL, against counts this test works out itself
//! from the records it wrote: imported people, cases and episodes (files), and cases registered
//! in goldaw written with their history at chosen times (SQL), since the workflow stamps "now".
//! The expected figures are plain Rust over the generated records, not the store's code.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use goldaw_core::access::Scope;
use goldaw_core::codes::Role;
use goldaw_core::disclosure::{Published, Reason, Rule};
use goldaw_core::indicators::{Figure, Indicator, Note};
use goldaw_core::statistics::{Dimension, Period};
use goldaw_store::indicators::{Table, TableRow};
use goldaw_store::interchange::NoProgress;
use goldaw_store::statistics::Suppression;
use goldaw_store::testing::{databases, TestDb};
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::sync::Arc;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// The generated world

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.next(from.len() as u64) as usize]
    }
}

const UNITS: [&str; 4] = ["TM-A-01", "TM-A-02", "TM-B-01", "TM-L-01"];
const GROUPS: [&str; 4] = [
    "large_family",
    "chronic_illness",
    "older_alone",
    "youth_at_risk",
];
const SOURCES: [&str; 5] = ["self", "hotline", "school", "health", "benefits_list"];
const SERVICES: [&str; 7] = ["S01", "S04", "S10", "ETRAP_SW", "HOTLINE", "U_EDU", "S05"];
const PROVIDERS: [&str; 4] = ["PR-1", "PR-2", "PR-3", ""];
const WORKERS: [&str; 4] = ["u1", "u2", "u3", "u4"];
const STATUSES: [&str; 7] = [
    "referred",
    "initial_assessment",
    "holistic_assessment",
    "support_plan",
    "active",
    "monitoring",
    "closed",
];

struct Person {
    id: String,
    unit: &'static str,
    sex: &'static str,
    born: NaiveDate,
    disabled: bool,
    groups: Vec<&'static str>,
}

struct Imported {
    id: String,
    person: usize,
    opened: NaiveDate,
    source: &'static str,
    status: &'static str,
    priority: Option<&'static str>,
    closed: Option<NaiveDate>,
    worker: Option<&'static str>,
}

struct Episode {
    id: String,
    person: usize,
    service: &'static str,
    provider: &'static str,
    started: NaiveDate,
    ended: Option<NaiveDate>,
    units: u64,
    deliveries: Vec<(NaiveDate, u64)>,
}

#[derive(Clone)]
struct Ev {
    action: &'static str,
    at: DateTime<Utc>,
    to: Option<&'static str>,
    detail: Option<String>,
    /// For the steps with a deadline: whether the test made it fast (within) or slow (late).
    fast: Option<bool>,
}

/// A case registered in goldaw, with its whole history.
struct Flow {
    id: String,
    person: usize,
    source: &'static str,
    referred: DateTime<Utc>,
    events: Vec<Ev>,
    /// Goals of its plan, each with its ratings (review day, rating).
    goals: Vec<Vec<(NaiveDate, &'static str)>>,
}

impl Flow {
    fn status(&self) -> &'static str {
        self.events
            .iter()
            .rev()
            .find_map(|e| e.to)
            .unwrap_or("referred")
    }
    fn priority(&self) -> Option<String> {
        self.screening()
    }
    fn screening(&self) -> Option<String> {
        self.events
            .iter()
            .find(|e| e.action == "complete_initial")
            .and_then(|e| e.detail.clone())
    }
    fn closed_on(&self) -> Option<NaiveDate> {
        (self.status() == "closed").then(|| {
            local(
                self.events
                    .iter()
                    .rev()
                    .find(|e| e.to == Some("closed"))
                    .unwrap()
                    .at,
            )
        })
    }
}

struct World {
    persons: Vec<Person>,
    imported: Vec<Imported>,
    episodes: Vec<Episode>,
    flows: Vec<Flow>,
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The local day (Turkmenistan, UTC+5) of an instant.
fn local(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(5)).date_naive()
}

fn world() -> World {
    let mut rng = Rng(2025);
    let mut persons = Vec::new();
    for i in 0..420 {
        let mut groups = Vec::new();
        for g in GROUPS {
            if rng.chance(20) {
                groups.push(g);
            }
        }
        persons.push(Person {
            id: format!("P{i:04}"),
            unit: rng.pick(&UNITS),
            sex: if rng.chance(50) { "F" } else { "M" },
            born: NaiveDate::from_ymd_opt(
                1940 + rng.next(80) as i32,
                1 + rng.next(12) as u32,
                1 + rng.next(28) as u32,
            )
            .unwrap(),
            disabled: rng.chance(15),
            groups,
        });
    }
    // Imported cases of the first 260 persons, opened from mid-2024 to mid-2026.
    let mut imported = Vec::new();
    for person in 0..260 {
        let opened = d("2024-07-01") + Duration::days(rng.next(730) as i64);
        let status = rng.pick(&STATUSES);
        let priority = match status {
            "referred" | "initial_assessment" => None,
            "closed" => rng.pick(&[None, Some("none"), Some("support"), Some("critical")]),
            _ => Some(rng.pick(&["critical", "support", "support"])),
        };
        imported.push(Imported {
            id: format!("C{person:04}"),
            person,
            opened,
            source: rng.pick(&SOURCES),
            status,
            priority,
            closed: (status == "closed").then(|| opened + Duration::days(rng.next(200) as i64)),
            worker: rng.chance(85).then(|| rng.pick(&WORKERS)),
        });
    }
    // Cases registered in goldaw for the other persons.
    let mut flows = Vec::new();
    for person in 260..persons.len() {
        let referred = Utc.with_ymd_and_hms(2024, 10, 1, 6, 0, 0).unwrap()
            + Duration::days(rng.next(500) as i64)
            + Duration::hours(rng.next(6) as i64);
        let mut events = vec![
            Ev {
                action: "register",
                at: referred,
                to: Some("referred"),
                detail: Some("self".into()),
                fast: None,
            },
            Ev {
                action: "allocate",
                at: referred + Duration::hours(1),
                to: None,
                detail: Some((rng.pick(&WORKERS)).to_owned()),
                fast: None,
            },
        ];
        let mut flow = Flow {
            id: format!("F{person:04}"),
            person,
            source: rng.pick(&SOURCES),
            referred,
            events: Vec::new(),
            goals: Vec::new(),
        };
        // Up to where the case goes, each step fast (within any deadline) or slow (late).
        'steps: {
            if rng.chance(10) {
                break 'steps;
            }
            let start_fast = rng.chance(70);
            let started = referred
                + if start_fast {
                    Duration::hours(2)
                } else {
                    Duration::days(9)
                };
            events.push(Ev {
                action: "start_initial",
                at: started,
                to: Some("initial_assessment"),
                detail: None,
                fast: Some(start_fast),
            });
            if rng.chance(10) {
                break 'steps;
            }
            let initial_fast = start_fast && rng.chance(75);
            let screened = if initial_fast {
                referred + Duration::hours(4)
            } else {
                referred + Duration::days(10)
            };
            let priority = rng.pick(&["critical", "support", "support", "none"]);
            let closes = priority == "none";
            events.push(Ev {
                action: "complete_initial",
                at: screened,
                to: Some(if closes {
                    "closed"
                } else {
                    "holistic_assessment"
                }),
                detail: Some(priority.to_owned()),
                fast: Some(initial_fast),
            });
            if closes || rng.chance(10) {
                break 'steps;
            }
            let mut since = referred;
            let mut last = screened;
            for round in 0..2 {
                let holistic_fast = rng.chance(70);
                let holistic = if holistic_fast {
                    last + Duration::days(1)
                } else {
                    since + Duration::days(120)
                };
                events.push(Ev {
                    action: "complete_holistic",
                    at: holistic,
                    to: Some("support_plan"),
                    detail: None,
                    fast: Some(holistic_fast),
                });
                if rng.chance(20) {
                    break 'steps;
                }
                let plan_fast = rng.chance(70);
                let plan = holistic
                    + if plan_fast {
                        Duration::days(1)
                    } else {
                        Duration::days(40)
                    };
                events.push(Ev {
                    action: "approve_plan",
                    at: plan,
                    to: Some("active"),
                    detail: None,
                    fast: Some(plan_fast),
                });
                if round == 0 {
                    // Goals rated at reviews on distinct days after the plan.
                    for _ in 0..1 + rng.next(3) {
                        let mut ratings = Vec::new();
                        let mut day = local(plan);
                        for _ in 0..rng.next(4) {
                            day += Duration::days(1 + rng.next(90) as i64);
                            ratings.push((day, rng.pick(&["achieved", "partly", "not_achieved"])));
                        }
                        flow.goals.push(ratings);
                    }
                }
                last = plan;
                if rng.chance(30) {
                    last += Duration::days(20);
                    events.push(Ev {
                        action: "to_monitoring",
                        at: last,
                        to: Some("monitoring"),
                        detail: None,
                        fast: None,
                    });
                }
                if rng.chance(15) {
                    events.push(Ev {
                        action: "allocate",
                        at: last + Duration::hours(3),
                        to: None,
                        detail: Some((rng.pick(&WORKERS)).to_owned()),
                        fast: None,
                    });
                }
                if round == 1 || !rng.chance(35) {
                    break 'steps;
                }
                last += Duration::days(60);
                events.push(Ev {
                    action: "approve_closure",
                    at: last,
                    to: Some("closed"),
                    detail: Some("goals_achieved".into()),
                    fast: None,
                });
                if rng.chance(40) {
                    break 'steps;
                }
                last += Duration::days(10);
                since = last;
                events.push(Ev {
                    action: "reopen",
                    at: last,
                    to: Some("holistic_assessment"),
                    detail: None,
                    fast: None,
                });
            }
        }
        flow.events = events;
        flows.push(flow);
    }
    let mut episodes = Vec::new();
    for (p, _) in persons.iter().enumerate() {
        for _ in 0..rng.next(3) {
            let started = d("2024-03-01") + Duration::days(rng.next(900) as i64);
            let ended = rng
                .chance(60)
                .then(|| started + Duration::days(rng.next(300) as i64));
            let mut deliveries = Vec::new();
            if rng.chance(40) {
                for _ in 0..1 + rng.next(4) {
                    let span = ended.map_or(400, |e| (e - started).num_days().max(0) + 1);
                    deliveries.push((
                        started + Duration::days(rng.next(span as u64) as i64),
                        1 + rng.next(9),
                    ));
                }
            }
            episodes.push(Episode {
                id: format!("E{:05}", episodes.len()),
                person: p,
                service: rng.pick(&SERVICES),
                provider: rng.pick(&PROVIDERS),
                started,
                ended,
                units: 1 + rng.next(40),
                deliveries,
            });
        }
    }
    World {
        persons,
        imported,
        episodes,
        flows,
    }
}

/// Population rows (unit, sex, band, year, population). 2024 is the year the 2025 reports use:
/// TM-A-01 and the velayats TM-A and TM-B have figures; TM-L-01 only for 2020; 2026 is after.
fn population() -> Vec<(&'static str, &'static str, &'static str, i32, u64)> {
    let mut rows = Vec::new();
    for (unit, base) in [("TM-A-01", 9_000), ("TM-A", 400_000), ("TM-B", 300_000)] {
        for (s, sex) in ["F", "M"].iter().enumerate() {
            for (b, band) in ["0-17", "18-59", "60+"].iter().enumerate() {
                let n = base + 1000 * (s as u64) + 100 * (b as u64);
                rows.push((unit, *sex, *band, 2024, n));
                rows.push((unit, *sex, *band, 2026, n * 2));
            }
        }
    }
    for sex in ["F", "M"] {
        for band in ["0-17", "18-59", "60+"] {
            rows.push(("TM-L-01", sex, band, 2020, 5_000));
        }
    }
    rows
}

fn write_files(w: &World, dir: &std::path::Path) {
    let mut households = String::from("household_id,admin_unit,settlement,address\n");
    let mut persons = String::from("person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n");
    for (i, p) in w.persons.iter().enumerate() {
        let settlement = if i % 3 == 0 { "urban" } else { "rural" };
        writeln!(households, "H{i:04},{},{settlement},", p.unit).unwrap();
        let walking = if p.disabled { 3 } else { 1 };
        writeln!(
            persons,
            "{},H{i:04},Aýna,Orazowa,{},{},{},{settlement},false,1,1,{walking},1,1,1,{}",
            p.id,
            p.sex,
            p.born,
            p.unit,
            p.groups.join(";")
        )
        .unwrap();
    }
    let mut cases = String::from(
        "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id\n",
    );
    for c in &w.imported {
        writeln!(
            cases,
            "{},{},{},{},{},{},{},{},{}",
            c.id,
            w.persons[c.person].id,
            w.persons[c.person].unit,
            c.opened,
            c.source,
            c.priority.unwrap_or(""),
            c.status,
            c.closed.map(|d| d.to_string()).unwrap_or_default(),
            c.worker.unwrap_or("")
        )
        .unwrap();
    }
    let mut episodes = String::from(
        "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units\n",
    );
    for e in &w.episodes {
        writeln!(
            episodes,
            "{},,{},{},{},{},{},{}",
            e.id,
            w.persons[e.person].id,
            e.service,
            e.provider,
            e.started,
            e.ended.map(|d| d.to_string()).unwrap_or_default(),
            e.units
        )
        .unwrap();
    }
    let mut pop = String::from("admin_unit,sex,age_band,population,year\n");
    for (unit, sex, band, year, n) in population() {
        writeln!(pop, "{unit},{sex},{band},{n},{year}").unwrap();
    }
    std::fs::write(dir.join("households.csv"), households).unwrap();
    std::fs::write(dir.join("persons.csv"), persons).unwrap();
    std::fs::write(dir.join("cases.csv"), cases).unwrap();
    std::fs::write(dir.join("service_episodes.csv"), episodes).unwrap();
    std::fs::write(dir.join("population.csv"), pop).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Writing the registered cases' history straight into the tables

enum Raw {
    Lite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

macro_rules! exec {
    ($raw:expr, $sql:expr $(, $b:expr)* $(,)?) => {
        match $raw {
            Raw::Lite(p) => { sqlx::query($sql)$(.bind($b))*.execute(p).await.unwrap(); }
            Raw::Pg(p) => { sqlx::query($sql)$(.bind($b))*.execute(p).await.unwrap(); }
        }
    };
}

async fn raw(db: &TestDb) -> Raw {
    match &db.url {
        DatabaseUrl::Sqlite(path) => Raw::Lite(
            sqlx::SqlitePool::connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(std::time::Duration::from_secs(30)),
            )
            .await
            .unwrap(),
        ),
        DatabaseUrl::Postgres(url) => Raw::Pg(sqlx::PgPool::connect(url).await.unwrap()),
    }
}

async fn ids(raw: &Raw, table: &str) -> HashMap<String, Uuid> {
    let sql = format!("SELECT external_id, id FROM {table}");
    let rows: Vec<(String, Uuid)> = match raw {
        Raw::Lite(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
        Raw::Pg(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
    };
    rows.into_iter().collect()
}

/// A store holding the world: files imported, registered cases, plans, reviews and deliveries
/// written with their times.
async fn load(db: &TestDb, w: &World) -> Store {
    // With the operator's key: readers without the unsuppressed grant get counts perturbed with it.
    let store = db.open_with_key().await;
    let dir = tempfile::tempdir().unwrap();
    write_files(w, dir.path());
    store
        .import_dir(&Principal::system("test"), dir.path(), Arc::new(NoProgress))
        .await
        .unwrap();
    let raw = raw(db).await;
    let persons = ids(&raw, "persons").await;
    let now = Utc::now();
    for f in &w.flows {
        let case = Uuid::new_v4();
        let person = &w.persons[f.person];
        exec!(
            &raw,
            "INSERT INTO cases (id, external_id, person_id, admin_unit, opened_on, referral_source, priority,
                status, closed_on, version, created_at, updated_at, referred_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10, $11)",
            case,
            &f.id,
            persons[&person.id],
            person.unit,
            local(f.referred),
            f.source,
            f.priority(),
            f.status(),
            f.closed_on(),
            now,
            f.referred
        );
        let mut status: Option<&str> = None;
        for e in &f.events {
            exec!(
                &raw,
                "INSERT INTO case_events (id, case_id, at, actor, action, from_status, to_status, detail)
                 VALUES ($1, $2, $3, 'test', $4, $5, $6, $7)",
                Uuid::new_v4(),
                case,
                e.at,
                e.action,
                status,
                e.to,
                e.detail.as_deref()
            );
            status = e.to.or(status);
        }
        if !f.goals.is_empty() {
            let plan = Uuid::new_v4();
            exec!(
                &raw,
                "INSERT INTO support_plans (id, case_id, number, status, author, version, created_at, updated_at)
                 VALUES ($1, $2, 1, 'approved', 'test', 1, $3, $3)",
                plan,
                case,
                now
            );
            // One review per day, rating every goal rated that day.
            let mut reviews: BTreeMap<NaiveDate, Uuid> = BTreeMap::new();
            for (position, ratings) in f.goals.iter().enumerate() {
                let goal = Uuid::new_v4();
                exec!(
                    &raw,
                    "INSERT INTO plan_goals (id, plan_id, position, goal_sealed) VALUES ($1, $2, $3, $4)",
                    goal,
                    plan,
                    position as i32,
                    vec![0u8; 4]
                );
                for (day, rating) in ratings {
                    let review = match reviews.get(day) {
                        Some(r) => *r,
                        None => {
                            let r = Uuid::new_v4();
                            exec!(
                                &raw,
                                "INSERT INTO reviews (id, case_id, plan_id, kind, held_on, author, created_at)
                                 VALUES ($1, $2, $3, 'plan_review', $4, 'test', $5)",
                                r,
                                case,
                                plan,
                                *day,
                                now
                            );
                            reviews.insert(*day, r);
                            r
                        }
                    };
                    exec!(
                        &raw,
                        "INSERT INTO review_goals (review_id, goal_id, rating) VALUES ($1, $2, $3)",
                        review,
                        goal,
                        *rating
                    );
                }
            }
        }
    }
    let episodes = ids(&raw, "service_episodes").await;
    for e in &w.episodes {
        for (day, units) in &e.deliveries {
            exec!(
                &raw,
                "INSERT INTO service_deliveries (id, episode_id, delivered_on, units, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, 'test', $5)",
                Uuid::new_v4(),
                episodes[&e.id],
                *day,
                *units as i32,
                now
            );
        }
    }
    store
}

// ---------------------------------------------------------------------------------------------
// The test's own reading of the definitions

const FROM: &str = "2025-01-01";
const TO: &str = "2025-12-31";

fn period() -> Period {
    Period::new(d(FROM), d(TO)).unwrap()
}

fn in_period(day: NaiveDate) -> bool {
    day >= d(FROM) && day <= d(TO)
}

/// The first instant after the period (its last local day ends).
fn period_end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 31, 19, 0, 0).unwrap()
}

fn band(p: &Person) -> &'static str {
    let end = d(TO);
    let mut age = end.year() - p.born.year();
    if (end.month(), end.day()) < (p.born.month(), p.born.day()) {
        age -= 1;
    }
    match age {
        0..=17 => "0-17",
        18..=59 => "18-59",
        _ => "60+",
    }
}

/// The values of one person for the dimensions (several for target groups).
fn values(p: &Person, dim: Dimension) -> Vec<String> {
    match dim {
        Dimension::AdminUnit => vec![p.unit.to_owned()],
        Dimension::Velayat => vec![p.unit[..4].to_owned()],
        Dimension::Sex => vec![p.sex.to_owned()],
        Dimension::AgeBand => vec![band(p).to_owned()],
        Dimension::Disability => vec![p.disabled.to_string()],
        Dimension::TargetGroup if p.groups.is_empty() => vec!["none".to_owned()],
        Dimension::TargetGroup => p.groups.iter().map(|g| g.to_string()).collect(),
        Dimension::Settlement => unimplemented!("not used here"),
        Dimension::Service => unimplemented!("episodes give their own"),
    }
}

/// Every key of `p` for `dims`, each followed by `own`.
fn keys(p: &Person, dims: &[Dimension], own: &[&str]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for dim in dims {
        let vs = values(p, *dim);
        out = out
            .into_iter()
            .flat_map(|k| {
                vs.iter().map(move |v| {
                    let mut k = k.clone();
                    k.push(v.clone());
                    k
                })
            })
            .collect();
    }
    for k in &mut out {
        k.extend(own.iter().map(|s| s.to_string()));
    }
    out
}

/// Distinct ids per key.
fn distinct(items: impl IntoIterator<Item = (Vec<String>, String)>) -> BTreeMap<Vec<String>, u64> {
    let set: BTreeSet<(Vec<String>, String)> = items.into_iter().collect();
    let mut out = BTreeMap::new();
    for (k, _) in set {
        *out.entry(k).or_insert(0) += 1;
    }
    out
}

fn imported_steps(c: &Imported) -> Vec<&'static str> {
    let mut steps = vec!["referral"];
    let screened = match c.status {
        "holistic_assessment" | "support_plan" | "active" | "monitoring" => true,
        "closed" => c.priority.is_some(),
        _ => false,
    };
    if screened {
        steps.push("initial_assessment");
    }
    if matches!(c.status, "support_plan" | "active" | "monitoring") {
        steps.push("holistic_assessment");
    }
    if matches!(c.status, "active" | "monitoring") {
        steps.push("support_plan");
    }
    steps
}

fn step_of(action: &str) -> Option<&'static str> {
    match action {
        "complete_initial" => Some("initial_assessment"),
        "complete_holistic" => Some("holistic_assessment"),
        "approve_plan" => Some("support_plan"),
        _ => None,
    }
}

fn expected_funnel(w: &World, dims: &[Dimension]) -> BTreeMap<Vec<String>, u64> {
    let mut items = Vec::new();
    for c in w.imported.iter().filter(|c| in_period(c.opened)) {
        for step in imported_steps(c) {
            for k in keys(&w.persons[c.person], dims, &[step]) {
                items.push((k, c.id.clone()));
            }
        }
    }
    for f in &w.flows {
        let p = &w.persons[f.person];
        if in_period(local(f.referred)) {
            items.extend(
                keys(p, dims, &["referral"])
                    .into_iter()
                    .map(|k| (k, f.id.clone())),
            );
        }
        for e in f.events.iter().filter(|e| in_period(local(e.at))) {
            if let Some(step) = step_of(e.action) {
                items.extend(
                    keys(p, dims, &[step])
                        .into_iter()
                        .map(|k| (k, f.id.clone())),
                );
            }
        }
    }
    distinct(items)
}

fn expected_priority(w: &World, dims: &[Dimension]) -> BTreeMap<Vec<String>, u64> {
    let mut items = Vec::new();
    for c in w.imported.iter().filter(|c| in_period(c.opened)) {
        if let Some(pr) = c.priority {
            items.extend(
                keys(&w.persons[c.person], dims, &[pr])
                    .into_iter()
                    .map(|k| (k, c.id.clone())),
            );
        }
    }
    for f in &w.flows {
        for e in f
            .events
            .iter()
            .filter(|e| e.action == "complete_initial" && in_period(local(e.at)))
        {
            let pr = e.detail.as_deref().unwrap();
            items.extend(
                keys(&w.persons[f.person], dims, &[pr])
                    .into_iter()
                    .map(|k| (k, f.id.clone())),
            );
        }
    }
    distinct(items)
}

fn expected_sources(w: &World, dims: &[Dimension]) -> BTreeMap<Vec<String>, u64> {
    let mut items = Vec::new();
    for c in w.imported.iter().filter(|c| in_period(c.opened)) {
        items.extend(
            keys(&w.persons[c.person], dims, &[c.source])
                .into_iter()
                .map(|k| (k, c.id.clone())),
        );
    }
    for f in w.flows.iter().filter(|f| in_period(local(f.referred))) {
        items.extend(
            keys(&w.persons[f.person], dims, &[f.source])
                .into_iter()
                .map(|k| (k, f.id.clone())),
        );
    }
    distinct(items)
}

/// Per (step, priority): (cases, median days, within).
fn expected_timeliness(w: &World) -> BTreeMap<Vec<String>, (u64, f64, u64)> {
    let mut per: BTreeMap<Vec<String>, Vec<(f64, bool)>> = BTreeMap::new();
    for f in &w.flows {
        let screened = f.screening();
        // The latest occurrence of each step in the period counts.
        let mut latest: BTreeMap<&str, &Ev> = BTreeMap::new();
        for e in f.events.iter().filter(|e| in_period(local(e.at))) {
            let step = match e.action {
                "start_initial" => "first_contact",
                "complete_initial" => "initial_assessment",
                "complete_holistic" => "holistic_assessment",
                "approve_plan" => "support_plan",
                _ => continue,
            };
            latest.insert(step, e);
        }
        for (step, e) in latest {
            let priority = match step {
                "first_contact" | "initial_assessment" => {
                    if screened.as_deref() == Some("critical") {
                        "critical"
                    } else {
                        "support"
                    }
                }
                _ => screened.as_deref().unwrap(),
            };
            let since = f
                .events
                .iter()
                .filter(|r| {
                    r.action == "reopen"
                        && r.at < e.at
                        && step != "first_contact"
                        && step != "initial_assessment"
                })
                .map(|r| r.at)
                .next_back()
                .unwrap_or(f.referred);
            let days = (e.at - since).num_seconds() as f64 / 86_400.0;
            per.entry(vec![step.to_owned(), priority.to_owned()])
                .or_default()
                .push((days, e.fast.unwrap()));
        }
    }
    per.into_iter()
        .map(|(k, mut v)| {
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            let n = v.len();
            let median = if n % 2 == 1 {
                v[n / 2].0
            } else {
                (v[n / 2 - 1].0 + v[n / 2].0) / 2.0
            };
            (
                k,
                (n as u64, median, v.iter().filter(|x| x.1).count() as u64),
            )
        })
        .collect()
}

fn expected_outcomes(w: &World, dims: &[Dimension]) -> BTreeMap<Vec<String>, u64> {
    let mut items = Vec::new();
    for f in &w.flows {
        for (g, ratings) in f.goals.iter().enumerate() {
            let Some((_, rating)) = ratings
                .iter()
                .filter(|(day, _)| in_period(*day))
                .max_by_key(|(day, _)| *day)
            else {
                continue;
            };
            items.extend(
                keys(&w.persons[f.person], dims, &[rating])
                    .into_iter()
                    .map(|k| (k, format!("{}/{g}", f.id))),
            );
        }
    }
    distinct(items)
}

/// By (service, provider): (episodes, units in the period).
fn expected_episodes(w: &World) -> BTreeMap<Vec<String>, (u64, u64)> {
    let mut out: BTreeMap<Vec<String>, (u64, u64)> = BTreeMap::new();
    for e in &w.episodes {
        let overlaps = e.started <= d(TO) && e.ended.is_none_or(|x| x >= d(FROM));
        if !overlaps {
            continue;
        }
        let units = if e.deliveries.is_empty() {
            if in_period(e.started) {
                e.units
            } else {
                0
            }
        } else {
            e.deliveries
                .iter()
                .filter(|(day, _)| in_period(*day))
                .map(|(_, u)| u)
                .sum()
        };
        let provider = if e.provider.is_empty() {
            "none"
        } else {
            e.provider
        };
        let entry = out
            .entry(vec![e.service.to_owned(), provider.to_owned()])
            .or_default();
        entry.0 += 1;
        entry.1 += units;
    }
    out
}

/// Per worker: (cases, assessment, intensive, monitored).
fn expected_caseload(w: &World) -> BTreeMap<String, (u64, u64, u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64, u64, u64)> = BTreeMap::new();
    let mut add = |worker: Option<String>, status: Option<&str>| {
        let e = out
            .entry(worker.unwrap_or_else(|| "unassigned".into()))
            .or_default();
        e.0 += 1;
        match status {
            Some("referred" | "initial_assessment" | "holistic_assessment" | "support_plan") => {
                e.1 += 1
            }
            Some("active") => e.2 += 1,
            Some("monitoring") => e.3 += 1,
            _ => {}
        }
    };
    for c in &w.imported {
        if c.opened > d(TO) || c.closed.is_some_and(|x| x < d(FROM)) {
            continue;
        }
        let status = match c.closed {
            Some(x) if x <= d(TO) => Some("closed"),
            Some(_) => None,
            None => Some(c.status),
        };
        add(c.worker.map(str::to_owned), status);
    }
    for f in &w.flows {
        if local(f.referred) > d(TO) || f.closed_on().is_some_and(|x| x < d(FROM)) {
            continue;
        }
        let before: Vec<&Ev> = f.events.iter().filter(|e| e.at < period_end()).collect();
        let worker = before
            .iter()
            .rfind(|e| e.action == "allocate")
            .and_then(|e| e.detail.clone());
        let status = before.iter().filter_map(|e| e.to).next_back();
        add(worker, status);
    }
    out
}

/// Service users (persons with a counted episode overlapping the period) by admin unit, sex and
/// age band.
fn expected_users(w: &World) -> BTreeMap<Vec<String>, u64> {
    let counted = ["S01", "S04", "S05", "S10", "ETRAP_SW"];
    let mut items = Vec::new();
    for e in &w.episodes {
        let overlaps = e.started <= d(TO) && e.ended.is_none_or(|x| x >= d(FROM));
        if overlaps && counted.contains(&e.service) {
            let p = &w.persons[e.person];
            items.push((
                vec![p.unit.to_owned(), p.sex.to_owned(), band(p).to_owned()],
                p.id.clone(),
            ));
        }
    }
    distinct(items)
}

// ---------------------------------------------------------------------------------------------
// Reading tables

fn count(f: &Figure) -> Option<u64> {
    match f {
        Figure::Count {
            value: Published::Shown { value },
        } => Some(*value),
        _ => None,
    }
}

fn number(f: &Figure) -> Option<f64> {
    match f {
        Figure::Number {
            value: Published::Shown { value },
        } => Some(*value),
        _ => None,
    }
}

/// The first figure of every row, as counts (all shown).
fn counts_of(t: &Table) -> BTreeMap<Vec<String>, u64> {
    t.rows
        .iter()
        .map(|r| {
            (
                r.values.clone(),
                count(&r.figures[0]).expect("unsuppressed"),
            )
        })
        .collect()
}

async fn table(
    store: &Store,
    who: &Principal,
    ind: Indicator,
    dims: &[Dimension],
    s: Suppression,
) -> Table {
    store.indicator(who, ind, period(), dims, s).await.unwrap()
}

fn operator() -> Principal {
    Principal::system("test")
}

fn user(role: Role, unit: &str) -> Principal {
    Principal::user(
        Uuid::new_v4(),
        "reader",
        role,
        Scope::Unit(unit.parse().unwrap()),
        false,
    )
}

const OFF: Suppression = Suppression::MinCell(0);

// ---------------------------------------------------------------------------------------------

goldaw_store::each_backend! {
    async fn every_indicator_matches_an_independent_count(db: TestDb) {
        let w = world();
        let store = load(&db, &w).await;
        let who = operator();
        let b = db.backend;

        // Funnel: in total and by place and sex.
        for dims in [vec![], vec![Dimension::AdminUnit, Dimension::Sex]] {
            let t = table(&store, &who, Indicator::Funnel, &dims, OFF).await;
            assert_eq!(
                counts_of(&t),
                expected_funnel(&w, &dims),
                "{b} funnel {dims:?}"
            );
        }
        let t = table(&store, &who, Indicator::Funnel, &[], OFF).await;
        let steps = counts_of(&t);
        assert!(
            steps[&vec!["referral".to_owned()]] > steps[&vec!["initial_assessment".to_owned()]]
                && steps[&vec!["support_plan".to_owned()]] > 10,
            "{b}: a funnel worth testing: {steps:?}"
        );
        assert!(t
            .notes
            .iter()
            .any(|n| n.code() == "imported_cases_dated_at_opening"));

        // Priority mix by velayat, with shares of the velayat's screened cases.
        let t = table(
            &store,
            &who,
            Indicator::Priority,
            &[Dimension::Velayat],
            OFF,
        )
        .await;
        let want = expected_priority(&w, &[Dimension::Velayat]);
        assert_eq!(counts_of(&t), want, "{b} priority");
        for r in &t.rows {
            let all: u64 = want
                .iter()
                .filter(|(k, _)| k[0] == r.values[0])
                .map(|(_, n)| n)
                .sum();
            let share = number(&r.figures[1]).unwrap();
            assert!(
                (share - want[&r.values] as f64 * 100.0 / all as f64).abs() < 1e-9,
                "{b} {r:?}"
            );
        }

        // Referral sources by target group: a case counts once in each of its person's groups.
        let t = table(
            &store,
            &who,
            Indicator::ReferralSources,
            &[Dimension::TargetGroup],
            OFF,
        )
        .await;
        assert_eq!(
            counts_of(&t),
            expected_sources(&w, &[Dimension::TargetGroup]),
            "{b} sources"
        );

        // Timeliness: cases, median days and within the deadline per step and priority.
        let t = table(&store, &who, Indicator::Timeliness, &[], OFF).await;
        let want = expected_timeliness(&w);
        assert_eq!(
            t.rows.iter().map(|r| r.values.clone()).collect::<Vec<_>>(),
            want.keys().cloned().collect::<Vec<_>>(),
            "{b} timeliness cells"
        );
        for r in &t.rows {
            let (cases, median, within) = want[&r.values];
            assert_eq!(count(&r.figures[0]), Some(cases), "{b} {r:?}");
            assert!(
                (number(&r.figures[1]).unwrap() - median).abs() < 1e-6,
                "{b} median {r:?} want {median}"
            );
            assert_eq!(count(&r.figures[2]), Some(within), "{b} within {r:?}");
            let share = number(&r.figures[3]).unwrap();
            assert!((share - within as f64 * 100.0 / cases as f64).abs() < 1e-9);
        }
        assert!(
            want.values()
                .any(|(n, _, within)| *within > 0 && within < n),
            "{b}: both fast and slow steps: {want:?}"
        );

        // Outcomes by sex: each goal once, with its latest rating in the period.
        let t = table(&store, &who, Indicator::Outcomes, &[Dimension::Sex], OFF).await;
        let want = expected_outcomes(&w, &[Dimension::Sex]);
        assert_eq!(counts_of(&t), want, "{b} outcomes");
        assert!(
            want.values().sum::<u64>() > 20,
            "{b}: outcomes worth testing"
        );

        // Episodes and units by service and provider.
        let t = table(
            &store,
            &who,
            Indicator::Episodes,
            &[Dimension::Service],
            OFF,
        )
        .await;
        let want = expected_episodes(&w);
        let got: BTreeMap<Vec<String>, (u64, u64)> = t
            .rows
            .iter()
            .map(|r| {
                (
                    r.values.clone(),
                    (count(&r.figures[0]).unwrap(), count(&r.figures[1]).unwrap()),
                )
            })
            .collect();
        assert_eq!(got, want, "{b} episodes");

        // Caseload per worker: held in the period, open at its end by stage, against the norm.
        let t = table(
            &store,
            &who,
            Indicator::Caseload,
            &[],
            Suppression::Standard,
        )
        .await;
        let want = expected_caseload(&w);
        let got: BTreeMap<String, (u64, u64, u64, u64)> = t
            .rows
            .iter()
            .map(|r| {
                let c: Vec<u64> = r.figures[..4].iter().map(|f| count(f).unwrap()).collect();
                (r.values[0].clone(), (c[0], c[1], c[2], c[3]))
            })
            .collect();
        assert_eq!(got, want, "{b} caseload");
        for r in &t.rows {
            let intensive = count(&r.figures[2]).unwrap() as f64;
            assert!(
                (number(&r.figures[4]).unwrap() - intensive * 4.0).abs() < 1e-9,
                "25 = 100%"
            );
            let held = count(&r.figures[0]).unwrap() as f64;
            assert!(
                (number(&r.figures[6]).unwrap() - held / 75.0 * 100.0).abs() < 1e-9,
                "a year is 75"
            );
        }
        assert_eq!(t.rule, Rule::OFF);

        // Coverage: users against the 2024 population; no figure invented where none exists.
        let dims = [Dimension::AdminUnit, Dimension::Sex, Dimension::AgeBand];
        let t = table(&store, &who, Indicator::Coverage, &dims, OFF).await;
        assert_eq!(counts_of(&t), expected_users(&w), "{b} coverage users");
        let pop: HashMap<(&str, &str, &str), u64> = population()
            .into_iter()
            .filter(|r| r.3 == 2024)
            .map(|(u, s, a, _, n)| ((u, s, a), n))
            .collect();
        for r in &t.rows {
            let users = count(&r.figures[0]).unwrap() as f64;
            match pop.get(&(
                r.values[0].as_str(),
                r.values[1].as_str(),
                r.values[2].as_str(),
            )) {
                Some(n) => {
                    assert_eq!(count(&r.figures[1]), Some(*n), "{b} {r:?}");
                    assert!(
                        (number(&r.figures[2]).unwrap() - users / *n as f64 * 1e5).abs() < 1e-9
                    );
                    assert!(
                        (number(&r.figures[3]).unwrap() - users / *n as f64 * 100.0).abs() < 1e-12
                    );
                }
                None => assert_eq!(
                    r.figures[1..],
                    [Figure::None, Figure::None, Figure::None],
                    "{b} {r:?}"
                ),
            }
        }
        let missing = t
            .notes
            .iter()
            .find_map(|n| match n {
                goldaw_core::indicators::Note::PopulationNotAvailable { units } => {
                    Some(units.clone())
                }
                _ => None,
            })
            .expect("the rows without a population are named");
        assert!(missing.contains(&"TM-A-02".to_owned()) && missing.contains(&"TM-L-01".to_owned()));
        assert!(!missing.contains(&"TM-A-01".to_owned()), "{missing:?}");
        assert!(t
            .notes
            .contains(&goldaw_core::indicators::Note::PopulationYear { year: 2024 }));
        // By velayat: the velayats' own figures; TM-L has none, and none is made up from its etraps.
        let t = table(
            &store,
            &who,
            Indicator::Coverage,
            &[Dimension::Velayat],
            OFF,
        )
        .await;
        let velayat_pop =
            |v: &str| -> u64 { pop.iter().filter(|(k, _)| k.0 == v).map(|(_, n)| n).sum() };
        for r in &t.rows {
            match r.values[0].as_str() {
                v @ ("TM-A" | "TM-B") => {
                    assert_eq!(count(&r.figures[1]), Some(velayat_pop(v)), "{b}")
                }
                _ => assert_eq!(r.figures[1], Figure::None, "{b} {r:?}"),
            }
        }
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Suppression

/// What a reader can do with everything a table publishes (its cells and every total): for each
/// relation "a total is the sum of its parts" along one column, bound each hidden figure by the
/// others, until nothing changes. Returns the hidden cells whose count it pins to one value.
fn attack(t: &Table, k: u64) -> Vec<(Vec<String>, u64, u64)> {
    let columns = t.dimensions.len() + t.columns.len();
    // Published cells: the rows, the totals, and the leaves not listed (zero: rows are the
    // non-empty cells, unless the rule hides zeros, when every leaf is listed).
    let mut cells: BTreeMap<Vec<String>, Option<u64>> = BTreeMap::new();
    let mut reasons: BTreeMap<Vec<String>, Reason> = BTreeMap::new();
    for r in t.rows.iter().chain(&t.totals) {
        let key = r.values[..columns].to_vec();
        match &r.figures[0] {
            Figure::Count {
                value: Published::Shown { value },
            } => {
                cells.insert(key, Some(*value));
            }
            Figure::Count {
                value: Published::Suppressed { reason },
            } => {
                reasons.insert(key.clone(), *reason);
                cells.insert(key, None);
            }
            other => panic!("a count: {other:?}"),
        }
    }
    // The values of each column, and which value each rolls up to.
    let parent = |col: usize, v: &str| -> Option<String> {
        if v == "total" {
            return None;
        }
        let place = col < t.dimensions.len() && t.dimensions[col] == Dimension::AdminUnit;
        if place && v.matches('-').count() == 2 {
            return Some(v[..4].to_owned());
        }
        Some("total".to_owned())
    };
    let mut leaves_per_col: Vec<BTreeSet<String>> = vec![BTreeSet::new(); columns];
    for key in cells.keys() {
        for (c, v) in key.iter().enumerate() {
            if cells
                .keys()
                .all(|other| parent(c, &other[c]).as_deref() != Some(v))
            {
                leaves_per_col[c].insert(v.clone());
            }
        }
    }
    // Unlisted leaves are zeros.
    let mut all = vec![Vec::new()];
    for col in &leaves_per_col {
        all = all
            .into_iter()
            .flat_map(|k: Vec<String>| {
                col.iter()
                    .map(move |v| [k.clone(), vec![v.clone()]].concat())
            })
            .collect();
    }
    for key in all {
        cells.entry(key).or_insert(Some(0));
    }
    let big = 1_000_000u64;
    let mut lo: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    let mut hi: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for (key, v) in &cells {
        let (l, h) = match (v, reasons.get(key)) {
            (Some(v), _) => (*v, *v),
            (None, Some(Reason::Primary)) => (u64::from(!t.rule.hides_zeros()), k - 1),
            (None, _) => (k, big),
        };
        lo.insert(key.clone(), l);
        hi.insert(key.clone(), h);
    }
    // Relations: for each cell and column whose value has children, cell = Σ children.
    let mut relations: Vec<(Vec<String>, Vec<Vec<String>>)> = Vec::new();
    for key in cells.keys() {
        for c in 0..columns {
            let parts: Vec<Vec<String>> = cells
                .keys()
                .filter(|o| {
                    parent(c, &o[c]).as_deref() == Some(key[c].as_str())
                        && (0..columns).all(|j| j == c || o[j] == key[j])
                })
                .cloned()
                .collect();
            if !parts.is_empty() {
                relations.push((key.clone(), parts));
            }
        }
    }
    loop {
        let mut changed = false;
        for (total, parts) in &relations {
            let sum_lo: u64 = parts.iter().map(|p| lo[p]).sum();
            let sum_hi: u64 = parts.iter().map(|p| hi[p]).sum::<u64>().min(big);
            if sum_lo > lo[total] {
                lo.insert(total.clone(), sum_lo);
                changed = true;
            }
            if sum_hi < hi[total] {
                hi.insert(total.clone(), sum_hi);
                changed = true;
            }
            for p in parts {
                let others_hi: u64 = parts.iter().filter(|q| *q != p).map(|q| hi[q]).sum();
                let others_lo: u64 = parts.iter().filter(|q| *q != p).map(|q| lo[q]).sum();
                let new_lo = lo[total].saturating_sub(others_hi.min(big));
                let new_hi = hi[total].saturating_sub(others_lo);
                if new_lo > lo[p] {
                    lo.insert(p.clone(), new_lo);
                    changed = true;
                }
                if new_hi < hi[p] {
                    hi.insert(p.clone(), new_hi);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    reasons
        .iter()
        .filter(|(_, r)| **r == Reason::Primary)
        .filter(|(key, _)| hi[*key] - lo[*key] < t.rule.protection())
        .map(|(key, _)| (key.clone(), lo[key], hi[key]))
        .collect()
}

/// Shown counts are true; small ones are hidden as primary; totals are as published.
fn check_suppressed(t: &Table, truth: &BTreeMap<Vec<String>, u64>, what: &str) -> usize {
    let k = t.rule.threshold();
    // Perturbed for a reader without the grant: off by at most 3, a zero only for nobody.
    let perturbed = t.notes.contains(&Note::Perturbed);
    let mut hidden = 0;
    for r in &t.rows {
        let n = truth.get(&r.values).copied().unwrap_or(0);
        match &r.figures[0] {
            Figure::Count {
                value: Published::Shown { value },
            } if perturbed => {
                assert!(value.abs_diff(n) <= 3, "{what} {r:?} is {n}");
                assert_eq!(*value == 0, n == 0, "{what} {r:?} is {n}");
                assert!(
                    n >= k || (n == 0 && !t.rule.hides_zeros()),
                    "{what}: a small count is shown: {r:?}"
                );
                assert!(*value >= k || *value == 0, "{what}: {r:?} looks small");
            }
            Figure::Count {
                value: Published::Shown { value },
            } => {
                assert_eq!(*value, n, "{what} {r:?}");
                assert!(
                    n >= k || (n == 0 && !t.rule.hides_zeros()),
                    "{what}: a small count is shown: {r:?}"
                );
            }
            Figure::Count {
                value: Published::Suppressed { reason },
            } => {
                hidden += 1;
                if *reason == Reason::Primary {
                    assert!(n < k, "{what} {r:?} is {n}");
                } else {
                    assert!(
                        n >= k,
                        "{what}: a secondary cell is at least k: {r:?} is {n}"
                    );
                }
            }
            other => panic!("{what}: {other:?}"),
        }
        // A rate or share of a hidden count is hidden too.
        if r.figures[0].is_suppressed() {
            for f in &r.figures[1..] {
                assert!(
                    matches!(f, Figure::None) || f.is_suppressed(),
                    "{what}: {r:?}"
                );
            }
        }
    }
    hidden
}

goldaw_store::each_backend! {
    async fn hidden_cells_cannot_be_recovered_from_totals_and_neighbours(db: TestDb) {
        let w = world();
        let store = load(&db, &w).await;
        let b = db.backend;
        // The attacker here is given the exact release (the grant, standard suppression): its
        // arithmetic assumes shown counts are exact. Without the grant the same tables are
        // perturbed too (checked below, and in tests/differencing.rs), which only weakens it.
        let reader = user(Role::Ministry, "TM");
        let ministry = reader.clone().with_unsuppressed(true);
        let mut hidden_total = 0;

        // Funnel by place and sex, each step a table of its own.
        let dims = [Dimension::AdminUnit, Dimension::Sex];
        let t = table(
            &store,
            &ministry,
            Indicator::Funnel,
            &dims,
            Suppression::Standard,
        )
        .await;
        assert_eq!(t.rule, Rule::STANDARD, "{b}");
        hidden_total += check_suppressed(&t, &expected_funnel(&w, &dims), "funnel");
        for step in [
            "referral",
            "initial_assessment",
            "holistic_assessment",
            "support_plan",
        ] {
            let part = Table {
                rows: t
                    .rows
                    .iter()
                    .filter(|r| r.values[2] == step)
                    .cloned()
                    .collect(),
                totals: t
                    .totals
                    .iter()
                    .filter(|r| r.values[2] == step)
                    .cloned()
                    .collect(),
                ..t.clone()
            };
            let found = attack(&part, 5);
            assert!(found.is_empty(), "{b} funnel {step}: recovered {found:?}");
        }
        // The same table without the grant: hidden where the exact one is (and where the noise
        // took a count below 5), every shown count within 3 of the truth.
        let p = table(
            &store,
            &reader,
            Indicator::Funnel,
            &dims,
            Suppression::Standard,
        )
        .await;
        assert!(p.notes.contains(&Note::Perturbed), "{b}");
        check_suppressed(&p, &expected_funnel(&w, &dims), "funnel, perturbed");
        for (exact, perturbed) in t.rows.iter().zip(&p.rows) {
            assert_eq!(exact.values, perturbed.values);
            assert!(
                !exact.figures[0].is_suppressed() || perturbed.figures[0].is_suppressed(),
                "{b}: {exact:?} / {perturbed:?}"
            );
        }

        // Priority by place: the shares and the totals do not give a hidden count back.
        let t = table(
            &store,
            &ministry,
            Indicator::Priority,
            &[Dimension::AdminUnit],
            Suppression::Standard,
        )
        .await;
        hidden_total += check_suppressed(
            &t,
            &expected_priority(&w, &[Dimension::AdminUnit]),
            "priority",
        );
        let found = attack(&t, 5);
        assert!(found.is_empty(), "{b} priority: recovered {found:?}");

        // Referral sources by velayat and age band.
        let dims = [Dimension::Velayat, Dimension::AgeBand];
        let t = table(
            &store,
            &ministry,
            Indicator::ReferralSources,
            &dims,
            Suppression::Standard,
        )
        .await;
        hidden_total += check_suppressed(&t, &expected_sources(&w, &dims), "sources");
        let found = attack(&t, 5);
        assert!(found.is_empty(), "{b} sources: recovered {found:?}");

        // Outcomes by place.
        let t = table(
            &store,
            &ministry,
            Indicator::Outcomes,
            &[Dimension::AdminUnit],
            Suppression::Standard,
        )
        .await;
        hidden_total += check_suppressed(
            &t,
            &expected_outcomes(&w, &[Dimension::AdminUnit]),
            "outcomes",
        );
        let found = attack(&t, 5);
        assert!(found.is_empty(), "{b} outcomes: recovered {found:?}");

        // Without secondary suppression the same attacker does recover cells: it is not blind.
        let t = table(
            &store,
            &operator(),
            Indicator::Priority,
            &[Dimension::AdminUnit],
            OFF,
        )
        .await;
        let naive = primary_only(&t, 5);
        assert!(
            !attack(&naive, 5).is_empty(),
            "{b}: the attacker finds what primary suppression leaves open"
        );

        assert!(
            hidden_total > 10,
            "{b}: tables with small cells: {hidden_total} hidden"
        );

        // GBV: episodes by place and service show S10, so the strict rule (k = 10, zeros hidden)
        // applies, and every leaf is listed, so that a missing row does not say "nobody here".
        let dims = [Dimension::AdminUnit, Dimension::Service];
        let t = table(
            &store,
            &ministry,
            Indicator::Episodes,
            &dims,
            Suppression::Standard,
        )
        .await;
        assert_eq!(t.rule, Rule::SENSITIVE, "{b}");
        let mut truth: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for e in &w.episodes {
            if e.started <= d(TO) && e.ended.is_none_or(|x| x >= d(FROM)) {
                let provider = if e.provider.is_empty() {
                    "none"
                } else {
                    e.provider
                };
                let key = vec![
                    w.persons[e.person].unit.to_owned(),
                    e.service.to_owned(),
                    provider.to_owned(),
                ];
                *truth.entry(key).or_default() += 1;
            }
        }
        check_suppressed(&t, &truth, "episodes");
        let distinct = |i: usize| {
            t.rows
                .iter()
                .map(|r| r.values[i].clone())
                .collect::<BTreeSet<_>>()
                .len()
        };
        assert_eq!(
            t.rows.len(),
            distinct(0) * distinct(1) * distinct(2),
            "{b}: every leaf listed"
        );
        let zeros: Vec<&TableRow> = t
            .rows
            .iter()
            .filter(|r| !truth.contains_key(&r.values))
            .collect();
        assert!(
            !zeros.is_empty() && zeros.iter().all(|r| r.figures[0].is_suppressed()),
            "{b}: zeros hidden"
        );
        let found = attack(&t, 10);
        assert!(found.is_empty(), "{b} episodes: recovered {found:?}");
        // A table without a GBV cell keeps the standard rule; by provider alone it is strict
        // again, since a provider of S10 delivers it.
        let t = table(
            &store,
            &ministry,
            Indicator::Funnel,
            &[Dimension::Sex],
            Suppression::Standard,
        )
        .await;
        assert_eq!(t.rule, Rule::STANDARD);
        let t = table(
            &store,
            &ministry,
            Indicator::Episodes,
            &[],
            Suppression::Standard,
        )
        .await;
        assert_eq!(t.rule, Rule::SENSITIVE, "{b}");

        // Service users by place, service and age band: S10 is a GBV service, so the same
        // strict rule, every leaf listed, zeros hidden.
        let dims = [Dimension::AdminUnit, Dimension::Service, Dimension::AgeBand];
        let t = table(
            &store,
            &ministry,
            Indicator::ServiceUsers,
            &dims,
            Suppression::Standard,
        )
        .await;
        assert_eq!(t.rule, Rule::SENSITIVE, "{b}: service users by service");
        let counted = ["S01", "S04", "S05", "S10", "ETRAP_SW"];
        // Distinct persons per (place, service).
        let users: BTreeSet<(Vec<String>, &str)> = w
            .episodes
            .iter()
            .filter(|e| {
                e.started <= d(TO)
                    && e.ended.is_none_or(|x| x >= d(FROM))
                    && counted.contains(&e.service)
            })
            .map(|e| {
                let p = &w.persons[e.person];
                let key = vec![p.unit.to_owned(), e.service.to_owned(), band(p).to_owned()];
                (key, p.id.as_str())
            })
            .collect();
        let mut truth: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for (key, _) in users {
            *truth.entry(key).or_default() += 1;
        }
        assert!(
            truth.keys().any(|k| k[1] == "S10"),
            "the world has S10 users"
        );
        check_suppressed(&t, &truth, "service users by service");
        let seen = |i: usize| truth.keys().map(|k| &k[i]).collect::<BTreeSet<_>>().len();
        assert_eq!(
            t.rows.len(),
            seen(0) * seen(1) * seen(2),
            "{b}: every leaf listed"
        );
        for r in &t.rows {
            let n = truth.get(&r.values).copied().unwrap_or(0);
            assert!(
                n >= Rule::SENSITIVE.threshold() || r.figures[0].is_suppressed(),
                "{b}: {:?} = {n} is shown",
                r.values
            );
        }
        assert!(
            t.rows.iter().any(|r| !truth.contains_key(&r.values)),
            "{b}: some leaf is empty, and listed"
        );
        // The same question by sex alone shows no GBV cell: the standard rule.
        let t = table(
            &store,
            &ministry,
            Indicator::ServiceUsers,
            &[Dimension::Sex],
            Suppression::Standard,
        )
        .await;
        assert_eq!(t.rule, Rule::STANDARD, "{b}");
        // Nobody in the period: an empty table, not a refusal.
        let empty = store
            .indicator(
                &ministry,
                Indicator::ServiceUsers,
                Period::new(d("1990-01-01"), d("1990-12-31")).unwrap(),
                &[Dimension::AdminUnit, Dimension::Sex],
                Suppression::Standard,
            )
            .await
            .unwrap();
        assert!(empty.rows.is_empty(), "{b}: {:?}", empty.rows);
        // A threshold below the standard one needs the grant, as turning it off does.
        for ind in [Indicator::ServiceUsers, Indicator::Funnel] {
            let e = store
                .indicator(
                    &reader,
                    ind,
                    period(),
                    &[Dimension::Sex],
                    Suppression::MinCell(3),
                )
                .await
                .unwrap_err();
            assert!(matches!(e, StoreError::Forbidden(_)), "{b} {ind:?}: {e}");
            let t = table(
                &store,
                &ministry,
                ind,
                &[Dimension::Sex],
                Suppression::MinCell(3),
            )
            .await;
            assert_eq!(t.rule.threshold(), 3, "{b} {ind:?}");
        }

        // Unsuppressed figures need the grant.
        let e = store
            .indicator(&reader, Indicator::Funnel, period(), &[], OFF)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Forbidden(_)), "{b}: {e}");
        let granted = ministry.clone();
        assert_eq!(
            table(&store, &granted, Indicator::Funnel, &dims[..1], OFF)
                .await
                .rule,
            Rule::OFF
        );
        store.close().await;
    }
}

/// A copy of `t` (unsuppressed) with only the primary rule applied: counts 1..k-1 hidden.
fn primary_only(t: &Table, k: u64) -> Table {
    let hide = |r: &TableRow| {
        let mut r = r.clone();
        if let Some(n) = count(&r.figures[0]) {
            if (1..k).contains(&n) {
                r.figures[0] = Figure::Count {
                    value: Published::Suppressed {
                        reason: Reason::Primary,
                    },
                };
            }
        }
        r
    };
    Table {
        rows: t.rows.iter().map(hide).collect(),
        totals: t.totals.iter().map(hide).collect(),
        rule: Rule::STANDARD,
        ..t.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Who sees what

goldaw_store::each_backend! {
    async fn reports_are_scoped_permission_checked_and_audited(db: TestDb) {
        let w = world();
        let store = load(&db, &w).await;
        let b = db.backend;

        // A social worker of TM-A-01 sees her etrap's cases only.
        let worker = user(Role::SocialWorker, "TM-A-01");
        let t = table(
            &store,
            &worker,
            Indicator::ReferralSources,
            &[Dimension::AdminUnit],
            Suppression::Standard,
        )
        .await;
        assert!(
            !t.rows.is_empty() && t.rows.iter().all(|r| r.values[0] == "TM-A-01"),
            "{b}"
        );
        let want: u64 = expected_sources(&w, &[Dimension::AdminUnit])
            .iter()
            .filter(|(k, _)| k[0] == "TM-A-01")
            .map(|(_, n)| n)
            .sum();
        let total = t
            .totals
            .iter()
            .find(|r| r.values == ["TM-A-01", "total"])
            .and_then(|r| count(&r.figures[0]))
            .expect("shown");
        // Without the grant, perturbed: within 3 of the truth.
        assert!(
            total.abs_diff(want) <= 3 && t.notes.contains(&Note::Perturbed),
            "{b}: her etrap's referrals: {total} for {want}"
        );

        // The caseload: supervisors (their scope) and the ministry; not workers, planners,
        // providers or admins.
        for role in [
            Role::SocialWorker,
            Role::Planner,
            Role::Provider,
            Role::Hotline,
            Role::Admin,
        ] {
            let e = store
                .indicator(
                    &user(role, "TM"),
                    Indicator::Caseload,
                    period(),
                    &[],
                    Suppression::Standard,
                )
                .await
                .unwrap_err();
            assert!(matches!(e, StoreError::Forbidden(_)), "{b} {role:?}: {e}");
        }
        let sup = user(Role::Supervisor, "TM-B");
        let t = table(
            &store,
            &sup,
            Indicator::Caseload,
            &[Dimension::AdminUnit],
            Suppression::Standard,
        )
        .await;
        assert!(
            !t.rows.is_empty() && t.rows.iter().all(|r| r.values[0].starts_with("TM-B-")),
            "{b}"
        );
        table(
            &store,
            &user(Role::Ministry, "TM"),
            Indicator::Caseload,
            &[],
            Suppression::Standard,
        )
        .await;

        // No reports for the hotline or admins; a provider has no place to count in.
        for role in [Role::Hotline, Role::Admin] {
            let e = store
                .indicator(
                    &user(role, "TM"),
                    Indicator::Funnel,
                    period(),
                    &[],
                    Suppression::Standard,
                )
                .await
                .unwrap_err();
            assert!(matches!(e, StoreError::Forbidden(_)), "{b} {role:?}: {e}");
        }
        let provider = Principal::user(
            Uuid::new_v4(),
            "pr",
            Role::Provider,
            Scope::Provider("PR-1".into()),
            false,
        );
        let e = store
            .indicator(
                &provider,
                Indicator::Episodes,
                period(),
                &[],
                Suppression::Standard,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound), "{b}: {e}");

        // Bad input: a dimension the indicator does not accept, named with the ones it does.
        let e = store
            .indicator(
                &operator(),
                Indicator::Coverage,
                period(),
                &[Dimension::Disability],
                Suppression::Standard,
            )
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, StoreError::Invalid { .. })
                && msg.contains("'disability'")
                && msg.contains("age_band"),
            "{b}: {msg}"
        );
        let e = store
            .indicator(
                &operator(),
                Indicator::Caseload,
                period(),
                &[Dimension::Sex],
                Suppression::Standard,
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("cannot be split by 'sex'"),
            "{b}: {e}"
        );

        // Audited as report reads: the indicator, the period, no person.
        let admin = user(Role::Admin, "TM");
        let events = store
            .audit_events(
                &admin,
                &goldaw_store::audit::AuditQuery {
                    actor: Some("reader".into()),
                    limit: 200,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let read = events
            .iter()
            .find(|e| e.action == "report.referral_sources")
            .expect("audited");
        let detail = read.detail.clone().unwrap_or_default();
        assert!(
            detail.contains("2025-01-01..2025-12-31") && detail.contains("admin_unit"),
            "{b}: {detail}"
        );
        assert!(events.iter().any(|e| e.action == "report.caseload"), "{b}");
        store.close().await;
    }
}

#[test]
fn unknown_indicators_and_backward_periods_are_refused_with_the_reason() {
    let e = "users".parse::<Indicator>().unwrap_err().to_string();
    assert!(
        e.contains("'users'") && e.contains("service_users") && e.contains("timeliness"),
        "{e}"
    );
    let e = Period::new(d("2025-12-31"), d("2025-01-01"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("after it ends"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Through the workflow itself: the history the indicators read is the one the workflow writes

#[tokio::test]
async fn a_case_taken_through_the_workflow_counts_at_each_step_it_reached() {
    use goldaw_core::codes::{Priority, ReferralSource};
    use goldaw_core::people::PersonData;
    use goldaw_core::workflow::CaseAction;
    use goldaw_store::cases::{ActionRequest, NewReferral};
    use goldaw_store::testing::assess;
    use goldaw_store::users::NewUser;

    for db in databases().await {
        let store = db.open_with_key().await;
        let b = db.backend;
        let mut accounts = Vec::new();
        for (name, role) in [("sona", Role::Supervisor), ("aman", Role::SocialWorker)] {
            let rec = store
                .add_user(
                    &Principal::system("test"),
                    NewUser {
                        username: name.into(),
                        role,
                        scope: "TM-A-01".parse().unwrap(),
                        sensitive: false,
                        unsuppressed: false,
                        password: "Köpetdag dagy 2942 m".into(),
                    },
                )
                .await
                .unwrap();
            accounts.push(Principal::user(
                rec.id,
                name,
                role,
                Scope::Unit("TM-A-01".parse().unwrap()),
                false,
            ));
        }
        let (sup, worker) = (&accounts[0], &accounts[1]);
        let data: PersonData = serde_json::from_value(serde_json::json!({
            "given_name": "Maral", "family_name": "Annaýewa", "sex": "F", "birth_date": "1990-04-02",
            "admin_unit": "TM-A-01", "target_groups": ["large_family"]
        }))
        .unwrap();
        let person = store.create_person(sup, None, data).await.unwrap().id;
        let case = store
            .register_referral(
                sup,
                NewReferral {
                    person,
                    admin_unit: "TM-A-01".parse().unwrap(),
                    referral_source: ReferralSource::School,
                    referrer: None,
                    concern: None,
                    provisional_priority: None,
                    sensitive: false,
                    household_case: false,
                },
            )
            .await
            .unwrap();
        let mut case = store
            .allocate_case(sup, case.id, case.version, "aman")
            .await
            .unwrap();
        for (action, priority, instrument) in [
            (CaseAction::StartInitial, None, None),
            (
                CaseAction::CompleteInitial,
                Some(Priority::Support),
                Some("initial"),
            ),
            (CaseAction::CompleteHolistic, None, Some("holistic_adult")),
        ] {
            if let Some(code) = instrument {
                assess(&store, worker, case.id, code).await.unwrap();
            }
            case = store
                .act_on_case(
                    worker,
                    case.id,
                    ActionRequest {
                        action,
                        version: case.version,
                        priority,
                        reason: None,
                        transfer_to: None,
                    },
                )
                .await
                .unwrap();
        }
        let today = local(Utc::now());
        let period = Period::new(today - Duration::days(1), today + Duration::days(1)).unwrap();
        let read = |ind: Indicator, dims: Vec<Dimension>| {
            let store = store.clone();
            async move {
                store
                    .indicator(&operator(), ind, period, &dims, OFF)
                    .await
                    .unwrap()
            }
        };
        let t = read(Indicator::Funnel, vec![Dimension::AdminUnit]).await;
        let want: BTreeMap<Vec<String>, u64> =
            ["referral", "initial_assessment", "holistic_assessment"]
                .iter()
                .map(|s| (vec!["TM-A-01".to_owned(), s.to_string()], 1))
                .collect();
        assert_eq!(counts_of(&t), want, "{b}");
        assert!(t.notes.is_empty(), "{b}: no imported case");
        let t = read(Indicator::Priority, vec![]).await;
        assert_eq!(
            counts_of(&t),
            BTreeMap::from([(vec!["support".to_owned()], 1)]),
            "{b}"
        );
        let t = read(Indicator::ReferralSources, vec![Dimension::TargetGroup]).await;
        assert_eq!(
            counts_of(&t),
            BTreeMap::from([(vec!["large_family".to_owned(), "school".to_owned()], 1)]),
            "{b}"
        );
        // Done within seconds: every step within its deadline.
        let t = read(Indicator::Timeliness, vec![]).await;
        let steps: Vec<Vec<String>> = t.rows.iter().map(|r| r.values.clone()).collect();
        assert_eq!(
            steps,
            [
                ["first_contact", "support"],
                ["holistic_assessment", "support"],
                ["initial_assessment", "support"]
            ]
            .map(|r| r.map(str::to_owned).to_vec()),
            "{b}"
        );
        for r in &t.rows {
            assert_eq!(
                (count(&r.figures[0]), count(&r.figures[2])),
                (Some(1), Some(1)),
                "{b} {r:?}"
            );
            assert!(number(&r.figures[1]).unwrap() < 0.01, "{b}: {r:?}");
        }
        // The etrap social work episode screening started.
        let t = read(Indicator::Episodes, vec![Dimension::Service]).await;
        assert_eq!(
            counts_of(&t),
            BTreeMap::from([(vec!["ETRAP_SW".to_owned(), "none".to_owned()], 1)]),
            "{b}"
        );
        // Aman holds it, at the planning step.
        let t = store
            .indicator(sup, Indicator::Caseload, period, &[], Suppression::Standard)
            .await
            .unwrap();
        assert_eq!(t.rows.len(), 1, "{b}");
        assert_eq!(t.rows[0].values, ["aman"]);
        assert_eq!(
            t.rows[0].figures[..4].iter().map(count).collect::<Vec<_>>(),
            [Some(1), Some(1), Some(0), Some(0)]
        );
        store.close().await;
    }
}
