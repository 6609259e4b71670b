//! Unit tests of costing: reading cost models, unit and delivered costs, budgets and money.

use super::*;
use std::collections::BTreeMap;

/// A small model with round figures, so the expectations below can be worked out by hand.
const SMALL: &str = r#"
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
staff_hours_per_unit = 1.5
salary_per_month = 1200
working_hours_per_month = 150
overhead_share = 0.5
transport_per_unit = 0
materials_per_unit = 0.5
units_per_user_year = 100
source = "test"

[residential]
service = "RES"
cost_per_person_year = 36500

[mix]
A = 1.0
B = 0.5
"#;

fn small() -> CostModel {
    CostModel::from_toml(SMALL, "small.toml").unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn unit_cost_by_hand() {
    let m = small();
    // A: staff 2 h × (1600 ÷ 160 = 10/h) = 20; overhead 25% of 20 = 5; + transport 4 + materials 1 = 30.
    let a = &m.services["A"];
    assert!(close(a.staff_cost_per_unit(), 20.0));
    assert!(close(a.overhead_per_unit(), 5.0));
    assert!(close(a.unit_cost(), 30.0));
    // A place-year: 30 × 10 units = 300.
    assert!(close(a.cost_per_user_year(), 300.0));
    // B: 1.5 h × (1200 ÷ 150 = 8/h) = 12; overhead 50% = 6; + 0 + 0.5 = 18.5; × 100 = 1850.
    assert!(close(m.unit_cost("B").unwrap(), 18.5));
    assert!(close(m.cost_per_place_year("B").unwrap(), 1850.0));
    // Residential: 36,500 a person-year = 100 a bed-night; a place-year is the person-year.
    assert!(close(m.unit_cost("RES").unwrap(), 100.0));
    assert!(close(m.cost_per_place_year("RES").unwrap(), 36500.0));
    assert_eq!(m.unit_cost("C"), None);
    assert_eq!(m.services["A"].source, "");
    assert_eq!(m.services["B"].source, "test");
}

#[test]
fn unit_costs_csv_lists_services_then_residential() {
    assert_eq!(
        render_unit_costs_csv(&small()),
        "service,unit,unit_cost\nA,visit,30.00\nB,hour,18.50\nRES,bed_night,100.00\n"
    );
}

#[test]
fn shipped_model_unit_costs_by_hand() {
    let m = CostModel::shipped().unwrap();
    assert_eq!(m.currency, "TMT");
    // S01: 1.25 h × 1200/160 (7.5) = 9.375; × 1.20 = 11.25; + 3 transport = 14.25.
    assert!(close(m.unit_cost("S01").unwrap(), 14.25));
    // S03: 1.5 × 1500/160 (9.375) = 14.0625; × 1.25 = 17.578125; + 5 + 10 = 32.578125.
    assert!(close(m.unit_cost("S03").unwrap(), 32.578125));
    // S05: 2 × 1400/160 (8.75) = 17.5; × 1.35 = 23.625; + 5 + 8 = 36.625 (→ 36.63, halves away from zero).
    assert!(close(m.unit_cost("S05").unwrap(), 36.625));
    // S11: 3 × 8.75 = 26.25; × 1.5 = 39.375; + 15 = 54.375.
    assert!(close(m.unit_cost("S11").unwrap(), 54.375));
    // ETRAP_SW: 2 × 10 = 20; × 1.25 = 25; + 5 + 1 = 31; × 12 visits = 372 a case-year.
    assert!(close(m.cost_per_place_year("ETRAP_SW").unwrap(), 372.0));
    // RES_CARE: 36,000 ÷ 365 = 98.6301... → 98.63.
    let csv = render_unit_costs_csv(&m);
    assert!(csv.contains("\nS01,hour,14.25\n"), "{csv}");
    assert!(csv.contains("\nS03,visit,32.58\n"), "{csv}");
    assert!(csv.contains("\nS05,day,36.63\n"), "{csv}");
    assert!(csv.contains("\nS11,bed_night,54.38\n"), "{csv}");
    assert!(csv.ends_with("\nRES_CARE,bed_night,98.63\n"), "{csv}");
    // The mix, by hand (share × unit cost × units a year):
    // ETRAP_SW 1×372 + S01 .08×6840 + S02 .12×4104 + S03 .10×3127.5 + S04 .20×1152 + S05 .05×8057.5
    // + S06 .02×1728.125 + S07 .03×1140 + S08 .08×855 + S09 .04×598.125 + S10 .08×514.375 + S11 .03×1631.25
    // + S12 .04×299.0625 = 2,620.8425.
    assert!((m.cost_per_user_year_of_mix() - 2620.8425).abs() < 1e-6);
}

#[test]
fn shipped_model_matches_the_service_catalogue_and_says_where_figures_come_from() {
    let m = CostModel::shipped().unwrap();
    let catalogue = include_str!("../../../../../reference/services.csv");
    let mut rows = csv::Reader::from_reader(catalogue.as_bytes());
    let mut units = BTreeMap::new();
    for row in rows.records() {
        let row = row.unwrap();
        units.insert(row[0].to_string(), row[4].to_string());
    }
    for (code, s) in &m.services {
        assert_eq!(
            units.get(code),
            Some(&s.unit),
            "{code}: unit differs from services.csv"
        );
        assert!(!s.source.is_empty(), "{code} has no source");
    }
    assert_eq!(
        units.get(&m.residential.service).map(String::as_str),
        Some("bed_night")
    );
    assert!(!m.residential.source.is_empty());
    for code in (1..=12)
        .map(|i| format!("S{i:02}"))
        .chain(["ETRAP_SW".to_string()])
    {
        assert!(m.services.contains_key(&code), "{code} is not costed");
        assert!(m.mix.contains_key(&code), "{code} is not in the mix");
    }
    // Hotline callers are not service users.
    assert!(!m.mix.contains_key("HOTLINE"));
}

#[test]
fn delivered_costs_per_user_and_episode() {
    let m = small();
    let rows = delivered_costs(
        &m,
        &[
            Delivery {
                service: "A".into(),
                units: 120.0,
                users: 8,
                episodes: 10,
            },
            Delivery {
                service: "RES".into(),
                units: 730.0,
                users: 2,
                episodes: 0,
            },
        ],
    )
    .unwrap();
    // A: 120 × 30 = 3,600; ÷ 8 users = 450; ÷ 10 episodes = 360.
    assert!(close(rows[0].total, 3600.0));
    assert!(close(rows[0].cost_per_user.unwrap(), 450.0));
    assert!(close(rows[0].cost_per_episode.unwrap(), 360.0));
    // RES: 730 bed-nights × 100 = 73,000; ÷ 2 = 36,500 (two person-years); no episodes.
    assert!(close(rows[1].total, 73000.0));
    assert!(close(rows[1].cost_per_user.unwrap(), 36500.0));
    assert_eq!(rows[1].cost_per_episode, None);

    let e = delivered_costs(
        &m,
        &[Delivery {
            service: "Z".into(),
            units: 1.0,
            users: 1,
            episodes: 1,
        }],
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("service Z is not in the cost model"),
        "{e}"
    );
    let e = delivered_costs(
        &m,
        &[Delivery {
            service: "A".into(),
            units: -1.0,
            users: 1,
            episodes: 1,
        }],
    )
    .unwrap_err();
    assert!(e.to_string().contains("A.units"), "{e}");
}

#[test]
fn community_against_residential() {
    let rows = community_vs_residential(&small());
    // A: 300 a user-year against 36,500: 300/36500. B: 1850/36500.
    assert_eq!(rows.len(), 2);
    assert!(close(rows[0].community_per_user_year, 300.0));
    assert!(close(rows[0].ratio.unwrap(), 300.0 / 36500.0));
    assert!(close(rows[1].community_per_user_year, 1850.0));
    assert!(close(rows[1].residential_per_person_year, 36500.0));
}

#[test]
fn budget_ramps_linearly() {
    let m = small();
    // Mix: A 1.0 × 300 + B 0.5 × 1850 = 300 + 925 = 1,225 a user-year.
    assert!(close(m.cost_per_user_year_of_mix(), 1225.0));
    let rows = budget_by_year(
        &m,
        &BudgetInputs {
            population: 1_000_000,
            start_coverage: 0.0002,
            target_coverage: 0.001,
            from_year: 2026,
            to_year: 2030,
        },
    )
    .unwrap();
    // Coverage 0.02%, 0.04%, 0.06%, 0.08%, 0.1% of 1,000,000 = 200, 400, 600, 800, 1,000 users.
    let users: Vec<u64> = rows.iter().map(|r| r.users).collect();
    assert_eq!(users, [200, 400, 600, 800, 1000]);
    assert_eq!(
        render_budget_csv(&rows),
        "year,users,budget\n2026,200,245000.00\n2027,400,490000.00\n2028,600,735000.00\n\
         2029,800,980000.00\n2030,1000,1225000.00\n"
    );
}

#[test]
fn budget_users_round_halves_up_and_one_year_means_the_target() {
    let m = small();
    let rows = budget_by_year(
        &m,
        &BudgetInputs {
            population: 7_057_841,
            start_coverage: 0.0,
            target_coverage: 0.001,
            from_year: 2030,
            to_year: 2030,
        },
    )
    .unwrap();
    // 7,057,841 × 0.1% = 7,057.841 → 7,058 users; × 1,225 = 8,646,050.
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].users, 7058);
    assert!(close(rows[0].budget, 8_646_050.0));
    let half = budget_by_year(
        &m,
        &BudgetInputs {
            population: 2500,
            start_coverage: 0.0,
            target_coverage: 0.001,
            from_year: 2030,
            to_year: 2030,
        },
    )
    .unwrap();
    // 2.5 → 3.
    assert_eq!(half[0].users, 3);
}

#[test]
fn budget_refusals() {
    let m = small();
    let ok = BudgetInputs {
        population: 1000,
        start_coverage: 0.0,
        target_coverage: 0.001,
        from_year: 2025,
        to_year: 2030,
    };
    let bad = |f: fn(&mut BudgetInputs)| {
        let mut i = ok.clone();
        f(&mut i);
        budget_by_year(&m, &i).unwrap_err().to_string()
    };
    assert!(bad(|i| i.target_coverage = 1.5).contains("target coverage"));
    assert!(bad(|i| i.start_coverage = -0.1).contains("start coverage"));
    assert!(bad(|i| i.to_year = 2020).contains("before the first year"));
    assert!(bad(|i| i.to_year = 9999).contains("longer than"));
    let mut no_mix = m.clone();
    no_mix.mix.clear();
    assert!(budget_by_year(&no_mix, &ok)
        .unwrap_err()
        .to_string()
        .contains("no [mix]"));
}

fn refusal(text: &str) -> String {
    CostModel::from_toml(text, "my.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn parse_errors_name_the_file_the_key_and_why() {
    let e = refusal(&SMALL.replace("overhead_share = 0.25", "overhead_share = 1.5"));
    assert_eq!(
        e,
        "my.toml: services.A.overhead_share: must be a share between 0 and 1 (0.25 = 25%), got 1.5"
    );
    let e = refusal(&SMALL.replace("salary_per_month = 1600", "salary_per_month = \"lots\""));
    assert_eq!(
        e,
        "my.toml: services.A.salary_per_month: expected a number, got text"
    );
    let e = refusal(&SMALL.replace("transport_per_unit = 4", "transport_per_unit = -4"));
    assert_eq!(
        e,
        "my.toml: services.A.transport_per_unit: must be 0 or more, got -4"
    );
    let e = refusal(&SMALL.replace(
        "working_hours_per_month = 160",
        "working_hours_per_month = 0",
    ));
    assert_eq!(
        e,
        "my.toml: services.A.working_hours_per_month: must be more than 0, got 0"
    );
    let e = refusal(&SMALL.replace("materials_per_unit = 1\n", ""));
    assert_eq!(e, "my.toml: services.A.materials_per_unit: missing");
    let e = refusal(&SMALL.replace(
        "materials_per_unit = 1\n",
        "materials_per_unit = 1\nmaterial = 2\n",
    ));
    assert!(
        e.starts_with("my.toml: services.A.material: unknown key (expected one of: unit, "),
        "{e}"
    );
    let e = refusal(&SMALL.replace("A = 1.0", "Q = 1.0"));
    assert!(
        e.starts_with("my.toml: mix.Q: this service is not in the model"),
        "{e}"
    );
    let e = refusal(&SMALL.replace("B = 0.5", "B = 2"));
    assert!(e.starts_with("my.toml: mix.B: must be a share"), "{e}");
    let e = refusal(&SMALL.replace("service = \"RES\"", "service = \"A\""));
    assert!(
        e.starts_with("my.toml: residential.service: A is also a [services.A] table"),
        "{e}"
    );
    let e = refusal(&SMALL.replace("price_year = 2024", "price_year = \"2024\""));
    assert!(
        e.starts_with("my.toml: price_year: expected a whole number"),
        "{e}"
    );
    let e = refusal(&SMALL.replace("[residential]", "[residentail]"));
    assert!(e.starts_with("my.toml: residentail: unknown key"), "{e}");
    let e = refusal(&SMALL.replace("unit = \"visit\"", "unit = \"\""));
    assert_eq!(e, "my.toml: services.A.unit: must not be empty");
}

#[test]
fn toml_syntax_errors_give_the_line() {
    let e = refusal("currency = \"TMT\"\nprice_year = = 2024\n");
    assert!(e.starts_with("my.toml, line 2: "), "{e}");
}

#[test]
fn money_rounds_at_output_only() {
    assert_eq!(Money(2.675).to_string(), "2.68"); // 267.49999… × 100 rounds to 267.5 → 268 (halves away)
    assert_eq!(Money(-0.001).to_string(), "0.00");
    assert_eq!(Money(1234567.891).to_string(), "1234567.89");
    assert_eq!(to_tiyn(12.345), Some(1235));
    assert_eq!(to_tiyn(-1.0), None);
    assert_eq!(to_tiyn(f64::NAN), None);
}
