//! `goldaw report dhis2` on SQLite and PostgreSQL: the data value set of a period by the shipped
//! mapping and by one given with `--mapping`, checked against counts this test works out from the
//! files it imported (plain Rust, not the store's code): every exported value is the true count
//! of its cell and never a small one; hidden cells are left out; bad input is refused by name.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::process::{Command, Output};

fn goldaw(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir)
        .env_remove("GOLDAW_DATABASE_URL")
        .env_remove("GOLDAW_DHIS2_MAPPING")
        .args(args)
        .output()
        .expect("goldaw runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// (unit, how many people): enough in each that every cell is large, but for two women in
/// TM-A-01 without a birth date (age band `unknown`): a small cell.
const UNITS: [(&str, usize); 3] = [("TM-A-01", 300), ("TM-A-02", 200), ("TM-B-01", 150)];

struct Person {
    unit: &'static str,
    sex: &'static str,
    band: &'static str,
    counted: bool,
}

/// Writes the files; answers each person with their cell and whether they count in 2025.
fn write_data(dir: &Path) -> Vec<Person> {
    let mut people = Vec::new();
    let mut households = String::from("household_id,admin_unit,settlement,address\n");
    let mut persons = String::from("person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n");
    let mut cases = String::from(
        "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id\n",
    );
    let mut episodes = String::from(
        "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units\n",
    );
    let mut i = 0usize;
    for (unit, n) in UNITS {
        for _ in 0..n {
            let sex = if i.is_multiple_of(3) { "M" } else { "F" };
            // Born in the first half of the year: the age on 2025-12-31 is 2025 − year.
            let (year, band) = match i % 5 {
                _ if i == 1 || i == 2 => (0, "unknown"),
                0 => (2012, "0-17"),
                1 | 2 => (1985, "18-59"),
                _ => (1950, "60+"),
            };
            let born = if year == 0 {
                String::new()
            } else {
                format!("{year}-03-15")
            };
            let service = if i % 6 == 5 { "U_HEALTH" } else { "S01" };
            let (started, ended) = if i % 8 == 7 {
                ("2024-02-01", "2024-12-31") // over before 2025
            } else {
                ("2025-03-01", "")
            };
            writeln!(households, "H{i},{unit},rural,").unwrap();
            writeln!(
                persons,
                "P{i},H{i},Aýna,Orazowa,{sex},{born},{unit},rural,false,1,1,1,1,1,1,"
            )
            .unwrap();
            writeln!(cases, "C{i},P{i},{unit},2024-01-05,self,support,active,,").unwrap();
            writeln!(episodes, "E{i},C{i},P{i},{service},,{started},{ended},2").unwrap();
            people.push(Person {
                unit,
                sex,
                band,
                counted: service == "S01" && ended.is_empty(),
            });
            i += 1;
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in [
        ("households.csv", households),
        ("persons.csv", persons),
        ("cases.csv", cases),
        ("service_episodes.csv", episodes),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    people
}

/// Users per (unit, sex, age band).
type Cells = BTreeMap<(String, String, String), u64>;

/// The true count of each (unit, sex, age band), and of each unit.
fn true_counts(people: &[Person]) -> (Cells, BTreeMap<String, u64>) {
    let mut cells = Cells::new();
    let mut units = BTreeMap::new();
    for p in people.iter().filter(|p| p.counted) {
        *cells
            .entry((p.unit.to_owned(), p.sex.to_owned(), p.band.to_owned()))
            .or_insert(0) += 1;
        *units.entry(p.unit.to_owned()).or_insert(0) += 1;
    }
    (cells, units)
}

#[tokio::test]
async fn the_dhis2_export_gives_true_counts_and_leaves_hidden_ones_out() {
    for db in goldaw_store::testing::databases().await {
        let url = db.url.to_string();
        let dir = tempfile::tempdir().unwrap();
        let people = write_data(&dir.path().join("in"));
        let out = goldaw(dir.path(), &["--database-url", &url, "import", "in"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let (cells, units) = true_counts(&people);

        // The shipped mapping, written to a file.
        let out = goldaw(
            dir.path(),
            &[
                "--database-url",
                &url,
                "report",
                "dhis2",
                "--period",
                "2025",
                "--output",
                "set.json",
            ],
        );
        assert!(
            out.status.success(),
            "{}: {}",
            db.backend,
            text(&out.stderr)
        );
        let set: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("set.json")).unwrap())
                .unwrap();
        assert_eq!(set["dataSet"], "gdwDsSvcUse");
        let values = set["dataValues"].as_array().unwrap();
        let org = |unit: &str| {
            format!("ou{}", unit.replace('-', ""))
                + &"0".repeat(11 - 2 - unit.replace('-', "").len())
        };
        let coc = |sex: &str, band: &str| {
            let b = match band {
                "0-17" => "0017",
                "18-59" => "1859",
                "60+" => "60pl",
                _ => "unkn",
            };
            format!("gdwCoc{sex}{b}")
        };
        let mut exported_cells = 0;
        for v in values {
            assert_eq!(v["period"], "2025");
            let n: u64 = v["value"].as_str().unwrap().parse().unwrap();
            assert!(n >= 5, "{}: a small count was exported: {v}", db.backend);
            match v["dataElement"].as_str().unwrap() {
                "gdwSvcUsrSA" => {
                    exported_cells += 1;
                    let cell = cells.iter().find(|((u, s, b), _)| {
                        v["orgUnit"] == org(u).as_str()
                            && v["categoryOptionCombo"] == coc(s, b).as_str()
                    });
                    let (_, true_n) = cell.unwrap_or_else(|| panic!("{v} is no cell"));
                    assert_eq!(n, *true_n, "{}: {v}", db.backend);
                }
                "gdwSvcUsrTo" => {
                    assert_eq!(v["orgUnit"], "ouTM0000000");
                    assert_eq!(n, units.values().sum::<u64>());
                }
                "gdwSvcUsrDi" => {
                    // Nobody has a disability here: every counted person is "false".
                    assert_eq!(v["categoryOptionCombo"], "gdwCocDisNo");
                    let unit = units
                        .keys()
                        .find(|u| v["orgUnit"] == org(u).as_str())
                        .unwrap();
                    assert_eq!(n, units[unit]);
                }
                other => panic!("unexpected data element {other}"),
            }
        }
        let small = cells.values().filter(|n| (1..5).contains(*n)).count();
        assert!(small > 0, "the data has small cells");
        assert!(exported_cells + small <= cells.len());
        assert!(exported_cells > 0, "{set}");

        // A mapping of one's own: by velayat only, to standard output.
        std::fs::write(
            dir.path().join("mine.toml"),
            "[org_units]\n\"TM-A\" = \"ouAhal00001\"\n\"TM-B\" = \"ouBalkan001\"\n\n[[data_element]]\nindicator = \"service_users\"\nplace = \"velayat\"\ndata_element = \"deUsersVel1\"\ncategory_option_combo = \"HllvX50cXC0\"\n",
        )
        .unwrap();
        let out = goldaw(
            dir.path(),
            &[
                "--database-url",
                &url,
                "report",
                "dhis2",
                "--mapping",
                "mine.toml",
                "--period",
                "2025Q2",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let set: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(set.get("dataSet").is_none());
        let values = set["dataValues"].as_array().unwrap();
        let ahal = units["TM-A-01"] + units["TM-A-02"];
        let mut got: Vec<(String, String)> = values
            .iter()
            .map(|v| {
                assert_eq!(v["period"], "2025Q2");
                assert_eq!(v["dataElement"], "deUsersVel1");
                (
                    v["orgUnit"].as_str().unwrap().to_owned(),
                    v["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("ouAhal00001".to_owned(), ahal.to_string()),
                ("ouBalkan001".to_owned(), units["TM-B-01"].to_string())
            ],
            "{}",
            db.backend
        );

        // Refusals name what is wrong.
        for (args, needle) in [
            (vec!["--period", "2025-04"], "2025Q1"),
            (vec!["--period", "2025W14"], "202501"),
            (
                vec!["--period", "2025", "--mapping", "missing.toml"],
                "missing.toml",
            ),
        ] {
            let mut all = vec!["--database-url", url.as_str(), "report", "dhis2"];
            all.extend(args.iter());
            let out = goldaw(dir.path(), &all);
            assert!(!out.status.success(), "{args:?}");
            assert!(
                text(&out.stderr).contains(needle),
                "{args:?}: {}",
                text(&out.stderr)
            );
        }
        std::fs::write(
            dir.path().join("narrow.toml"),
            "[org_units]\n\"TM-A\" = \"ouAhal00001\"\n\n[[data_element]]\nindicator = \"service_users\"\nplace = \"admin_unit\"\ndata_element = \"deUsersEtr1\"\ncategory_option_combo = \"HllvX50cXC0\"\n",
        )
        .unwrap();
        let out = goldaw(
            dir.path(),
            &[
                "--database-url",
                &url,
                "report",
                "dhis2",
                "--mapping",
                "narrow.toml",
                "--period",
                "2025",
            ],
        );
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains("no org unit for TM-A-01"),
            "{}",
            text(&out.stderr)
        );
    }
}
