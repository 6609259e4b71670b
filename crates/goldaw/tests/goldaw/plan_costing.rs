//! `goldaw plan cost` and `goldaw plan budget` as a script uses them: the real binary, figures worked out by hand.

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

/// A: 2 h × 1600/160 = 20 staff; + 25% overhead = 25; + 4 transport + 1 materials = 30.00 a visit; × 10 visits
/// = 300 a user-year. B: 1 h × 1200/150 = 8; + 50% = 12; + 0.5 = 12.50 an hour; × 40 = 500 a user-year.
/// Residential: 36,500 ÷ 365 = 100.00 a bed-night. Mix: 1.0 × 300 + 0.2 × 500 = 400 a user-year.
const MODEL: &str = r#"
currency = "TMT"
price_year = 2024

[services.A]
unit = "visit"
staff_hours_per_unit = 2
salary_per_month = 1600
working_hours_per_month = 160
overhead_share = 0.25
transport_per_unit = 4
materials_per_unit = 1
units_per_user_year = 10

[services.B]
unit = "hour"
staff_hours_per_unit = 1
salary_per_month = 1200
working_hours_per_month = 150
overhead_share = 0.5
transport_per_unit = 0
materials_per_unit = 0.5
units_per_user_year = 40

[residential]
service = "RES_CARE"
cost_per_person_year = 36500

[mix]
A = 1.0
B = 0.2
"#;

#[test]
fn plan_cost_prints_unit_costs_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.toml"), MODEL).unwrap();
    let out = goldaw(
        dir.path(),
        &["plan", "cost", "--model", "model.toml", "--format", "csv"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "service,unit,unit_cost\nA,visit,30.00\nB,hour,12.50\nRES_CARE,bed_night,100.00\n"
    );
}

#[test]
fn plan_cost_with_the_built_in_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = goldaw(dir.path(), &["plan", "cost", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.starts_with("service,unit,unit_cost\n"), "{csv}");
    // S01: 1.25 h × 1200/160 = 9.375; × 1.2 = 11.25; + 3 = 14.25. S04: 2 × 10 × 1.25 + 5 + 2 = 32.
    // RES_CARE: 36,000 ÷ 365 = 98.63.
    assert!(csv.contains("\nS01,hour,14.25\n"), "{csv}");
    assert!(csv.contains("\nS04,visit,32.00\n"), "{csv}");
    assert!(csv.ends_with("\nRES_CARE,bed_night,98.63\n"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 14 + 1);
}

#[test]
fn plan_budget_ramps_to_the_target_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.toml"), MODEL).unwrap();
    let out = goldaw(
        dir.path(),
        &[
            "plan",
            "budget",
            "--model",
            "model.toml",
            "--target-coverage",
            "0.001",
            "--population",
            "1000000",
            "--from",
            "2026",
            "--to",
            "2030",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Coverage 0.02% (default start), 0.04%, 0.06%, 0.08%, 0.1% of 1,000,000; × 400 a user-year.
    assert_eq!(
        text(&out.stdout),
        "year,users,budget\n2026,200,80000.00\n2027,400,160000.00\n2028,600,240000.00\n2029,800,320000.00\n\
         2030,1000,400000.00\n"
    );
}

#[test]
fn plan_budget_with_the_built_in_model_and_a_start_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let out = goldaw(
        dir.path(),
        &[
            "plan",
            "budget",
            "--target-coverage",
            "0.001",
            "--start-coverage",
            "0.001",
            "--population",
            "1000000",
            "--from",
            "2030",
            "--to",
            "2030",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // 1,000 users × 2,620.8425 (the built-in mix, worked out in costing.rs's tests) = 2,620,842.50.
    assert_eq!(
        text(&out.stdout),
        "year,users,budget\n2030,1000,2620842.50\n"
    );
}

#[test]
fn a_bad_model_names_the_file_the_key_and_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        MODEL.replace("overhead_share = 0.25", "overhead_share = 25"),
    )
    .unwrap();
    let out = goldaw(dir.path(), &["plan", "cost", "--model", "bad.toml"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.toml: services.A.overhead_share: must be a share between 0 and 1"),
        "{err}"
    );

    let out = goldaw(dir.path(), &["plan", "cost", "--model", "missing.toml"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cannot read the cost model file missing.toml"));

    let out = goldaw(
        dir.path(),
        &[
            "plan",
            "budget",
            "--target-coverage",
            "2",
            "--population",
            "10",
            "--from",
            "2025",
            "--to",
            "2026",
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("target coverage must be a share between 0 and 1"));
}
