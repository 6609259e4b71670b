//! `goldaw report ID` for the indicators other than service users, on both databases: imported
//! files, and CSV worked out by this test from the rows it wrote (plain Rust, not the store's
//! code); JSON; suppression; bad input with the reason.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::process::{Command, Output};

fn goldaw(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir)
        .env_remove("GOLDAW_DATABASE_URL")
        .args(args)
        .output()
        .expect("goldaw runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const UNITS: [&str; 3] = ["TM-A-01", "TM-B-01", "TM-L-01"];
const SOURCES: [&str; 4] = ["self", "school", "police", "benefits_list"];
const STATUSES: [&str; 5] = [
    "referred",
    "holistic_assessment",
    "active",
    "monitoring",
    "closed",
];
const SERVICES: [&str; 4] = ["S01", "S04", "ETRAP_SW", "U_HEALTH"];
const PROVIDERS: [&str; 3] = ["NGO-1", "STATE-2", ""];

struct Case {
    unit: &'static str,
    sex: &'static str,
    opened: String,
    source: &'static str,
    status: &'static str,
    priority: &'static str,
    worker: &'static str,
}

struct Episode {
    unit: &'static str,
    service: &'static str,
    provider: &'static str,
    started: String,
    ended: String,
    units: u64,
}

/// One person per case; returns the cases and episodes written.
fn write_data(dir: &Path) -> (Vec<Case>, Vec<Episode>) {
    let mut rng = Rng(77);
    let mut cases = Vec::new();
    let mut episodes = Vec::new();
    let mut households = String::from("household_id,admin_unit,settlement,address\n");
    let mut persons = String::from("person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n");
    let mut cases_csv = String::from(
        "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id\n",
    );
    let mut episodes_csv = String::from(
        "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units\n",
    );
    for i in 0..500 {
        let unit = UNITS[rng.next(3) as usize];
        let sex = if rng.next(2) == 0 { "F" } else { "M" };
        writeln!(households, "H{i},{unit},rural,").unwrap();
        writeln!(
            persons,
            "P{i},H{i},Aýna,Orazowa,{sex},1980-05-05,{unit},rural,false,1,1,1,1,1,1,"
        )
        .unwrap();
        let status = STATUSES[rng.next(5) as usize];
        let priority = match status {
            "referred" => "",
            _ => ["critical", "support", "support"][rng.next(3) as usize],
        };
        // From 2024 to mid-2026: nothing in the future.
        let year = 2024 + rng.next(3);
        let months = if year == 2026 { 6 } else { 12 };
        let opened = format!("{year}-{:02}-{:02}", 1 + rng.next(months), 1 + rng.next(28));
        let closed = if status == "closed" { "2026-06-30" } else { "" };
        let worker = ["W1", "W2", ""][rng.next(3) as usize];
        let source = SOURCES[rng.next(4) as usize];
        writeln!(
            cases_csv,
            "C{i},P{i},{unit},{opened},{source},{priority},{status},{closed},{worker}"
        )
        .unwrap();
        cases.push(Case {
            unit,
            sex,
            opened,
            source,
            status,
            priority,
            worker,
        });
        for e in 0..rng.next(3) {
            let year = 2024 + rng.next(3);
            let months = if year == 2026 { 6 } else { 12 };
            let ep = Episode {
                unit,
                service: SERVICES[rng.next(4) as usize],
                provider: PROVIDERS[rng.next(3) as usize],
                started: format!("{year}-{:02}-01", 1 + rng.next(months)),
                ended: if rng.next(2) == 0 {
                    String::new()
                } else {
                    format!("{year}-12-31")
                },
                units: 1 + rng.next(20),
            };
            writeln!(
                episodes_csv,
                "E{i}-{e},C{i},P{i},{},{},{},{},{}",
                ep.service, ep.provider, ep.started, ep.ended, ep.units
            )
            .unwrap();
            episodes.push(ep);
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("households.csv"), households).unwrap();
    std::fs::write(dir.join("persons.csv"), persons).unwrap();
    std::fs::write(dir.join("cases.csv"), cases_csv).unwrap();
    std::fs::write(dir.join("service_episodes.csv"), episodes_csv).unwrap();
    (cases, episodes)
}

fn in_2025(day: &str) -> bool {
    ("2025-01-01"..="2025-12-31").contains(&day)
}

fn csv_of(header: &str, rows: &BTreeMap<Vec<String>, String>) -> String {
    let mut s = format!("{header}\n");
    for (k, v) in rows {
        writeln!(s, "{},{v}", k.join(",")).unwrap();
    }
    s
}

/// Counts per key, with the share of each among the keys sharing all but the last value.
fn with_shares(counts: BTreeMap<Vec<String>, u64>) -> BTreeMap<Vec<String>, String> {
    counts
        .iter()
        .map(|(k, n)| {
            let all: u64 = counts
                .iter()
                .filter(|(o, _)| o[..o.len() - 1] == k[..k.len() - 1])
                .map(|(_, m)| m)
                .sum();
            let share = format!("{:.2}", *n as f64 * 100.0 / all as f64);
            let share = share.trim_end_matches('0').trim_end_matches('.').to_owned();
            (k.clone(), format!("{n},{share}"))
        })
        .collect()
}

#[tokio::test]
async fn indicator_reports_match_an_independent_count() {
    for db in goldaw_store::testing::databases().await {
        let url = db.url.to_string();
        indicators_on(&url);
    }
}

fn indicators_on(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (cases, episodes) = write_data(&dir.path().join("in"));
    let out = goldaw(dir.path(), &["--database-url", url, "import", "in"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = |id: &str, by: &str, extra: &[&str]| {
        let mut args = vec![
            "--database-url",
            url,
            "report",
            id,
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--by",
            by,
        ];
        args.extend_from_slice(extra);
        goldaw(dir.path(), &args)
    };
    let opened: Vec<&Case> = cases.iter().filter(|c| in_2025(&c.opened)).collect();

    // Funnel by place: imported cases count on their opening day at the steps their status shows.
    let mut want: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for c in &opened {
        let steps: &[&str] = match c.status {
            "referred" => &["referral"],
            "holistic_assessment" | "closed" => &["referral", "initial_assessment"],
            _ => &[
                "referral",
                "initial_assessment",
                "holistic_assessment",
                "support_plan",
            ],
        };
        for s in steps {
            *want.entry(vec![c.unit.into(), s.to_string()]).or_default() += 1;
        }
    }
    let out = report("funnel", "admin_unit", &["--min-cell", "0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = want
        .iter()
        .map(|(k, n)| (k.clone(), n.to_string()))
        .collect();
    assert_eq!(text(&out.stdout), csv_of("admin_unit,step,cases", &rows));
    assert!(
        text(&out.stderr).contains("imported cases"),
        "the note goes to stderr"
    );

    // Priority by sex, with shares.
    let mut want: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for c in opened.iter().filter(|c| !c.priority.is_empty()) {
        *want
            .entry(vec![c.sex.into(), c.priority.into()])
            .or_default() += 1;
    }
    let out = report("priority", "sex", &["--min-cell", "0"]);
    assert_eq!(
        text(&out.stdout),
        csv_of("sex,priority,cases,share", &with_shares(want))
    );

    // Referral sources (the dashed spelling works too), in total.
    let mut want: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for c in &opened {
        *want.entry(vec![c.source.into()]).or_default() += 1;
    }
    let out = report("referral-sources", "", &["--min-cell", "0"]);
    assert_eq!(
        text(&out.stdout),
        csv_of("source,cases,share", &with_shares(want))
    );

    // Episodes and units by service and provider (no deliveries recorded: an episode's units
    // count in the period it started).
    let mut want: BTreeMap<Vec<String>, (u64, u64)> = BTreeMap::new();
    for e in &episodes {
        let overlaps = e.started.as_str() <= "2025-12-31"
            && (e.ended.is_empty() || e.ended.as_str() >= "2025-01-01");
        if overlaps {
            let provider = if e.provider.is_empty() {
                "none"
            } else {
                e.provider
            };
            let w = want
                .entry(vec![e.unit.into(), e.service.into(), provider.into()])
                .or_default();
            w.0 += 1;
            if in_2025(&e.started) {
                w.1 += e.units;
            }
        }
    }
    let out = report("episodes", "admin_unit,service", &["--min-cell", "0"]);
    let rows = want
        .iter()
        .map(|(k, (n, u))| (k.clone(), format!("{n},{u}")))
        .collect();
    assert_eq!(
        text(&out.stdout),
        csv_of("admin_unit,service,provider,episodes,units", &rows)
    );

    // Caseload: cases open at some time in 2025 by worker code; stage at the end of the year.
    let mut want: BTreeMap<Vec<String>, [u64; 4]> = BTreeMap::new();
    for c in cases.iter().filter(|c| c.opened.as_str() <= "2025-12-31") {
        let worker = if c.worker.is_empty() {
            "unassigned"
        } else {
            c.worker
        };
        let w = want.entry(vec![worker.into()]).or_default();
        w[0] += 1;
        match c.status {
            "referred" | "holistic_assessment" => w[1] += 1,
            "active" => w[2] += 1,
            "monitoring" => w[3] += 1,
            // Closed after the year: open at its end, at a stage not recorded.
            _ => {}
        }
    }
    let fmt = |x: f64| {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    let rows = want
        .iter()
        .map(|(k, w)| {
            (
                k.clone(),
                format!(
                    "{},{},{},{},{},{},{}",
                    w[0],
                    w[1],
                    w[2],
                    w[3],
                    fmt(w[2] as f64 * 4.0),
                    fmt(w[3] as f64 * 4.0),
                    fmt(w[0] as f64 / 75.0 * 100.0)
                ),
            )
        })
        .collect();
    let out = report("caseload", "", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        csv_of(
            "worker,cases,assessment,intensive,monitored,intensive_of_norm,monitored_of_norm,year_of_norm",
            &rows
        )
    );

    // Coverage by velayat: the shipped reference data has velayat populations (2022 census).
    let out = report("coverage", "velayat", &["--min-cell", "0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let row = stdout
        .lines()
        .find(|l| l.starts_with("TM-B,"))
        .expect("a row for Balkan");
    let f: Vec<&str> = row.split(',').collect();
    assert_eq!(f[2], "529895", "{row}");
    let users: f64 = f[1].parse().unwrap();
    let per: f64 = f[3].parse().unwrap();
    assert!((per - users / 529_895.0 * 1e5).abs() < 0.01, "{row}");
    assert!(text(&out.stderr).contains("population figures of 2022"));
    // By etrap: no etrap population ships, and none is invented.
    let out = report("coverage", "admin_unit", &["--min-cell", "0"]);
    for line in text(&out.stdout).lines().skip(1) {
        assert!(line.ends_with(",,,"), "no population, no rate: {line}");
    }
    assert!(
        text(&out.stderr).contains("no population figure for TM-A-01"),
        "{}",
        text(&out.stderr)
    );

    // JSON: the whole table with the rule, hidden figures with their reason, and the notes.
    let out = report("funnel", "admin_unit,sex", &["--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["indicator"], "funnel");
    assert_eq!(json["dimensions"], serde_json::json!(["admin_unit", "sex"]));
    assert_eq!(json["columns"], serde_json::json!(["step"]));
    assert_eq!(json["rule"]["threshold"], 5);
    let rows = json["rows"].as_array().unwrap();
    assert!(rows
        .iter()
        .any(|r| r["figures"][0]["value"]["status"] == "suppressed"
            && r["figures"][0]["value"]["reason"] == "primary"));
    assert!(!json["totals"].as_array().unwrap().is_empty());
    assert_eq!(json["notes"][0]["note"], "imported_cases_dated_at_opening");
    let out = report("service_users", "sex", &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["measures"], serde_json::json!(["users"]));

    // Suppressed (k = 5): no count from 1 to 4 shown; totals follow with --totals.
    let out = report("funnel", "admin_unit,sex", &["--totals"]);
    let csv = text(&out.stdout);
    for line in csv.lines().skip(1) {
        let n = line.rsplit(',').next().unwrap();
        if let Ok(n) = n.parse::<u64>() {
            assert!(n == 0 || n >= 5, "{line}");
        }
    }
    assert!(
        csv.lines().any(|l| l.starts_with("TM-A,total,")),
        "velayat totals: {csv}"
    );
    assert!(
        csv.lines().any(|l| l.starts_with("total,total,referral,")),
        "{csv}"
    );

    // Bad input, named.
    let out = report("nonsense", "", &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("'nonsense'"),
        "{}",
        text(&out.stderr)
    );
    let out = report("coverage", "disability", &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot be split by 'disability'") && err.contains("age_band"),
        "{err}"
    );
    let out = report("caseload", "sex", &[]);
    assert!(text(&out.stderr).contains("cannot be split by 'sex'"));
    let out = goldaw(
        dir.path(),
        &[
            "--database-url",
            url,
            "report",
            "funnel",
            "--from",
            "2025-12-31",
            "--to",
            "2025-01-01",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("after it ends"),
        "{}",
        text(&out.stderr)
    );
}
