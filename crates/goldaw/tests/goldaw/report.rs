//! `goldaw report service-users` against counts the test works out itself from the files it
//! imported: a different path (plain Rust over the CSV rows) from the store's SQL and core's
//! splitting.

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

struct Person {
    id: String,
    unit: &'static str,
    sex: &'static str,
    /// (year, month, day)
    born: (i32, u32, u32),
    wg: [u8; 6],
    groups: Vec<&'static str>,
}

struct Episode {
    person: usize,
    service: &'static str,
    started: String,
    ended: Option<String>,
}

const UNITS: [&str; 5] = ["TM-A-01", "TM-A-02", "TM-B-01", "TM-L-01", "TM-S-01"];
const SERVICES: [&str; 8] = [
    "S01", "S04", "S10", "ETRAP_SW", "HOTLINE", "U_EDU", "U_HEALTH", "S05",
];
const GROUPS: [&str; 4] = [
    "large_family",
    "chronic_illness",
    "older_alone",
    "woman_gbv",
];

/// Writes households, persons, cases and episodes; returns what was written.
fn write_data(dir: &Path) -> (Vec<Person>, Vec<Episode>) {
    let mut rng = Rng(5);
    let mut persons = Vec::new();
    for i in 0..1500 {
        let mut wg = [0u8; 6];
        for a in wg.iter_mut() {
            *a = match rng.next(40) {
                0 => 3,
                1 => 4,
                2..=6 => 2,
                7..=9 => 0, // not asked
                _ => 1,
            };
        }
        let mut groups = Vec::new();
        for g in GROUPS {
            if rng.next(5) == 0 {
                groups.push(g);
            }
        }
        persons.push(Person {
            id: format!("P{i:05}"),
            unit: UNITS[rng.next(UNITS.len() as u64) as usize],
            sex: if rng.next(2) == 0 { "F" } else { "M" },
            born: (
                1935 + rng.next(87) as i32, // up to 2021: before the cases open
                1 + rng.next(12) as u32,
                1 + rng.next(28) as u32,
            ),
            wg,
            groups,
        });
    }
    // Edge of the age bands on the period's last day (2025-12-31).
    persons[0].born = (2007, 12, 31); // 18 that day
    persons[1].born = (2008, 1, 1); // 17
    persons[2].born = (1965, 12, 31); // 60 that day
    let mut episodes = Vec::new();
    for p in 0..persons.len() {
        for _ in 0..rng.next(3) {
            // Starts between 2023 and 2025: after birth and the case's opening, not in the future.
            let year = 2023 + rng.next(3) as i32;
            let started = format!("{year}-{:02}-{:02}", 1 + rng.next(12), 1 + rng.next(28));
            let ended = match rng.next(3) {
                0 => None,
                _ => Some(format!("{}-12-31", (year + rng.next(2) as i32).min(2025))),
            };
            episodes.push(Episode {
                person: p,
                service: SERVICES[rng.next(SERVICES.len() as u64) as usize],
                started,
                ended,
            });
        }
    }
    let mut households = String::from("household_id,admin_unit,settlement,address\n");
    let mut persons_csv = String::from("person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n");
    let mut cases = String::from(
        "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id\n",
    );
    let mut episodes_csv = String::from(
        "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units\n",
    );
    for (i, p) in persons.iter().enumerate() {
        writeln!(households, "H{i:05},{},rural,", p.unit).unwrap();
        let wg: Vec<String> =
            p.wg.iter()
                .map(|&a| if a == 0 { String::new() } else { a.to_string() })
                .collect();
        writeln!(
            persons_csv,
            "{},H{i:05},Aýna,Orazowa,{},{}-{:02}-{:02},{},rural,false,{},{}",
            p.id,
            p.sex,
            p.born.0,
            p.born.1,
            p.born.2,
            p.unit,
            wg.join(","),
            p.groups.join(";")
        )
        .unwrap();
        writeln!(
            cases,
            "C{i:05},{},{},2023-01-01,self,support,active,,",
            p.id, p.unit
        )
        .unwrap();
    }
    for (e, ep) in episodes.iter().enumerate() {
        writeln!(
            episodes_csv,
            "E{e:05},C{:05},{},{},,{},{},1",
            ep.person,
            persons[ep.person].id,
            ep.service,
            ep.started,
            ep.ended.clone().unwrap_or_default()
        )
        .unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("households.csv"), households).unwrap();
    std::fs::write(dir.join("persons.csv"), persons_csv).unwrap();
    std::fs::write(dir.join("cases.csv"), cases).unwrap();
    std::fs::write(dir.join("service_episodes.csv"), episodes_csv).unwrap();
    (persons, episodes)
}

/// The test's own reading of the report semantics.
fn expected(
    persons: &[Person],
    episodes: &[Episode],
    key: impl Fn(&Person, &str) -> Vec<Vec<String>>,
) -> BTreeMap<Vec<String>, u64> {
    let counted = [
        "S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09", "S10", "S11", "S12",
        "ETRAP_SW",
    ];
    let mut seen = std::collections::BTreeSet::new();
    for ep in episodes {
        // Every start is before 2026 by construction; so the end decides.
        let overlaps = ep.ended.as_deref().is_none_or(|e| e >= "2025-01-01");
        if !overlaps || !counted.contains(&ep.service) {
            continue;
        }
        for k in key(&persons[ep.person], ep.service) {
            seen.insert((k, ep.person));
        }
    }
    let mut out = BTreeMap::new();
    for (k, _) in seen {
        *out.entry(k).or_insert(0) += 1;
    }
    out
}

fn band(p: &Person) -> &'static str {
    // Age on 2025-12-31 by comparing (month, day) with the last day of the year: always reached.
    let age = 2025 - p.born.0;
    if age < 18 {
        "0-17"
    } else if age < 60 {
        "18-59"
    } else {
        "60+"
    }
}

fn disabled(p: &Person) -> &'static str {
    if p.wg.iter().any(|&a| a >= 3) {
        "true"
    } else {
        "false"
    }
}

fn csv_of(header: &str, counts: &BTreeMap<Vec<String>, u64>) -> String {
    let mut s = format!("{header}\n");
    for (k, n) in counts {
        writeln!(s, "{},{n}", k.join(",")).unwrap();
    }
    s
}

#[tokio::test]
async fn service_users_match_an_independent_count_and_small_cells_are_hidden() {
    for db in goldaw_store::testing::databases().await {
        // Test URLs carry no password, so the displayed form is the whole URL.
        let url = db.url.to_string();
        service_users_on(&url);
    }
}

fn service_users_on(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (persons, episodes) = write_data(&dir.path().join("in"));
    let out = goldaw(dir.path(), &["--database-url", url, "import", "in"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = |by: &str, extra: &[&str]| {
        let mut args = vec![
            "--database-url",
            url,
            "report",
            "service-users",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--by",
            by,
            "--format",
            "csv",
        ];
        args.extend_from_slice(extra);
        goldaw(dir.path(), &args)
    };

    // Unsuppressed, byte for byte.
    let by = "admin_unit,sex,age_band,disability";
    let want = expected(&persons, &episodes, |p, _| {
        vec![vec![
            p.unit.into(),
            p.sex.into(),
            band(p).into(),
            disabled(p).into(),
        ]]
    });
    let out = report(by, &["--min-cell", "0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        csv_of("admin_unit,sex,age_band,disability,count", &want)
    );
    assert!(
        want.len() > 20,
        "a table worth testing: {} cells",
        want.len()
    );

    // Velayat, service and target group (a person counted once in each of hers; `none`).
    let want = expected(&persons, &episodes, |p, service| {
        let velayat = &p.unit[..4];
        let groups = if p.groups.is_empty() {
            vec!["none"]
        } else {
            p.groups.clone()
        };
        groups
            .into_iter()
            .map(|g| vec![velayat.to_owned(), service.to_owned(), g.to_owned()])
            .collect()
    });
    let out = report("velayat,service,target_group", &["--min-cell", "0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        csv_of("velayat,service,target_group,count", &want)
    );

    // The total: distinct persons.
    let want = expected(&persons, &episodes, |_, _| vec![vec![]]);
    let out = report("", &["--min-cell", "0"]);
    assert_eq!(
        text(&out.stdout),
        format!("count\n{}\n", want[&Vec::<String>::new()])
    );

    // Suppressed (k = 5 by default): no count from 1 to 4 is shown, every shown count is true,
    // and every small count is hidden.
    let exact = expected(&persons, &episodes, |p, _| {
        vec![vec![
            p.unit.into(),
            p.sex.into(),
            band(p).into(),
            disabled(p).into(),
        ]]
    });
    let out = report(by, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let published = text(&out.stdout);
    let mut hidden = 0;
    for line in published.lines().skip(1) {
        let (key, count) = line.rsplit_once(',').unwrap();
        let key: Vec<String> = key.split(',').map(str::to_owned).collect();
        let truth = exact[&key];
        if count.is_empty() {
            hidden += 1;
        } else {
            let n: u64 = count.parse().unwrap();
            assert_eq!(n, truth, "{line}");
            assert!(n >= 5, "a small count was published: {line}");
        }
        if (1..5).contains(&truth) {
            assert!(count.is_empty(), "small count shown: {line}");
        }
    }
    let small = exact.values().filter(|&&n| (1..5).contains(&n)).count();
    assert!(
        small > 0 && hidden >= small,
        "{hidden} hidden, {small} small"
    );

    // Bad input: named, non-zero exit.
    let out = report("admin_unit,gender", &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unknown dimension 'gender'"),
        "{}",
        text(&out.stderr)
    );
    let out = goldaw(
        dir.path(),
        &[
            "--database-url",
            url,
            "report",
            "service-users",
            "--from",
            "2025-12-31",
            "--to",
            "2025-01-01",
            "--format",
            "csv",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("after it ends"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_refused_import_says_its_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    std::fs::write(
        dir.path().join("in/persons.csv"),
        "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n\
         P1,,Aýna,Orazowa,F,1990-02-30,TM-A-01,rural,true,,,,,,,\n",
    )
    .unwrap();
    let out = goldaw(dir.path(), &["import", "in"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.matches("persons.csv line 2").count(), 1, "{err}");
}
