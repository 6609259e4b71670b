//! `goldaw plan gaps` and `goldaw plan optimise` from the database, as other tools read them: on the demo
//! data, byte for byte where the figures can be worked out independently (Balkan, where the demo has no
//! casework and no providers, so need is population × rate), and the optimiser's CSV against its rules.

use std::path::Path;
use std::process::{Command, Output};

fn goldaw(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir)
        .env_remove("GOLDAW_DATABASE_URL")
        .env_remove("GOLDAW_ENCRYPTION_KEY")
        .env_remove("GOLDAW_ENCRYPTION_KEY_FILE")
        .args(args)
        .output()
        .expect("goldaw runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The planned services: (code, share of users in reference/costing.toml's [mix] in hundredths, cost of a
/// place for a year in manat as an exact fraction (numerator, denominator) worked out from the same file).
const SERVICES: [(&str, u64, (u64, u64)); 12] = [
    ("S01", 8, (6840, 1)),
    ("S02", 12, (4104, 1)),
    ("S03", 10, (6255, 2)),
    ("S04", 20, (1152, 1)),
    ("S05", 5, (16115, 2)),
    ("S06", 2, (13825, 8)),
    ("S07", 3, (1140, 1)),
    ("S08", 8, (855, 1)),
    ("S09", 4, (4785, 8)),
    ("S10", 8, (4115, 8)),
    ("S11", 3, (6525, 4)),
    ("S12", 4, (4785, 16)),
];

/// Tiyn as manat with two decimals.
fn manat(tiyn: u64) -> String {
    format!("{}.{:02}", tiyn / 100, tiyn % 100)
}

/// `n` × num/den manat in tiyn, rounded half up.
fn tiyn_of(n: u64, (num, den): (u64, u64)) -> u64 {
    (2 * n * num * 100 + den) / (2 * den)
}

/// The plan of Balkan worked out by hand: 529,895 people (2022 census) in 8 etraps without figures of their
/// own, shared equally (66,237 in the first seven, 66,236 in the eighth); need = population × 0.1% × the
/// service's share, to the nearest person; no places, so the gap is the need.
fn balkan_expected() -> String {
    let mut out = String::from(
        "velayat,etrap,service,population,need,basis,places,gap,cost_per_place_year,cost\n",
    );
    for i in 1..=8u64 {
        let population = 529_895 / 8 + u64::from(i <= 529_895 % 8);
        for (service, share, cost) in SERVICES {
            // population × 0.001 × share/100, to the nearest person (halves up)
            let need = (2 * population * share + 100_000) / 200_000;
            out.push_str(&format!(
                "TM-B,TM-B-{i:02},{service},{population},{need},population_rate,0,{need},{},{}\n",
                manat(tiyn_of(1, cost)),
                manat(tiyn_of(need, cost))
            ));
        }
    }
    out
}

#[test]
fn plan_gaps_and_optimise_from_the_demo_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = goldaw(d, &["demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("demo providers with offers and places: 5"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("demo-planner"));

    // Balkan, byte for byte.
    let out = goldaw(d, &["plan", "gaps", "--velayat", "TM-B", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), balkan_expected());

    // Ahal: the demo's providers and Gökdepe's casework.
    let out = goldaw(d, &["plan", "gaps", "--velayat", "TM-A", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 9 * 12);
    assert!(rows.iter().all(|r| r.len() == 10 && r[0] == "TM-A"));
    let gokdepe: Vec<&Vec<&str>> = rows.iter().filter(|r| r[1] == "TM-A-05").collect();
    assert!(
        gokdepe.iter().all(|r| r[5] == "assessments"),
        "the demo's cases in Gökdepe give assessed need: {gokdepe:?}"
    );
    let places = |etrap: &str, service: &str| -> u64 {
        rows.iter()
            .find(|r| r[1] == etrap && r[2] == service)
            .unwrap()[6]
            .parse()
            .unwrap()
    };
    // Offers of one etrap count there; the velayat-wide S04 offer's 60 places are shared by population.
    assert_eq!(places("TM-A-03", "S03"), 8);
    assert_eq!(places("TM-A-01", "S01"), 4);
    let s04: u64 = rows
        .iter()
        .filter(|r| r[2] == "S04")
        .map(|r| r[6].parse::<u64>().unwrap())
        .sum();
    assert_eq!(s04, 60);
    for r in &rows {
        let (need, places, gap): (u64, u64, u64) = (
            r[4].parse().unwrap(),
            r[6].parse().unwrap(),
            r[7].parse().unwrap(),
        );
        assert_eq!(gap, need.saturating_sub(places), "{r:?}");
    }

    // The workbook.
    let out = goldaw(
        d,
        &[
            "plan",
            "gaps",
            "--velayat",
            "TM-A",
            "--format",
            "xlsx",
            "--output",
            "ahal.xlsx",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(d.join("ahal.xlsx")).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "an XLSX file is a zip");

    // Refusals: what was wrong and what to write.
    let out = goldaw(
        d,
        &["plan", "gaps", "--velayat", "TM-A-05", "--format", "csv"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--velayat TM-A-05: not a velayat"),
        "{}",
        text(&out.stderr)
    );
    let out = goldaw(
        d,
        &["plan", "gaps", "--velayat", "TM-A", "--format", "xlsx"],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("give --output FILE"));
    let out = goldaw(
        d,
        &["plan", "optimise", "--budget", "12.345", "--format", "csv"],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--budget 12.345: write the budget in manat"));

    // The optimiser in Balkan under 100,000 manat.
    let out = goldaw(
        d,
        &[
            "plan",
            "optimise",
            "--budget",
            "100000",
            "--velayat",
            "TM-B",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("etrap,service,unmet_need,cost_per_place,optimised_places,optimised_need_met,optimised_cost,proportional_places,proportional_need_met,proportional_cost")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // Every (etrap, service) of Balkan has a gap (no places).
    assert_eq!(rows.len(), 96);
    let tiyn = |s: &str| -> u64 {
        let (m, t) = s.split_once('.').unwrap();
        assert_eq!(t.len(), 2, "{s}");
        m.parse::<u64>().unwrap() * 100 + t.parse::<u64>().unwrap()
    };
    let sum = |col: usize| {
        rows.iter()
            .map(|r| r[col].parse::<u64>().unwrap())
            .sum::<u64>()
    };
    let spent = |col: usize| rows.iter().map(|r| tiyn(r[col])).sum::<u64>();
    assert!(
        spent(6) <= 10_000_000 && spent(9) <= 10_000_000,
        "within the budget"
    );
    assert!(
        sum(5) > sum(8),
        "the optimiser meets more need: {} vs {}",
        sum(5),
        sum(8)
    );
    // The cheapest places (S12, 299.06 a year) are all opened.
    for r in rows.iter().filter(|r| r[1] == "S12") {
        assert_eq!(r[3], "299.06");
        assert_eq!(r[4], r[2], "{r:?}");
    }
    let summary = text(&out.stderr);
    assert!(
        summary.contains(&format!("{} more", sum(5) - sum(8))),
        "{summary}"
    );
}
