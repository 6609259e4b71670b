//! The fuzz targets' bodies (fuzz/fuzz_targets, issue #20 item 3) as an ordinary test, so that CI
//! runs them on stable without cargo-fuzz: the seed inputs of `fuzz/corpus/` and many mutations
//! of them (bytes flipped, inserted, deleted, repeated, seeds spliced, characters that parsers
//! trip on), from a fixed seed, so every run tries the same inputs and a failure replays. A
//! refusal is fine; a panic, or a person that parses but does not serialise back to itself, fails
//! and prints the input.
//!
//! `GOLDAW_FUZZ_ITERATIONS` (default 3,000 per target) tries more; cargo-fuzz
//! (fuzz/README.md) explores far more widely, guided by coverage.

use goldaw_core::codes::CaseStatus;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::interchange::{
    AdminUnitRow, CaseRow, EpisodeRow, HouseholdRow, Layout, PersonRow, PopulationRow, Row,
    ALL_FILES,
};
use goldaw_core::people::{HouseholdData, PersonData};
use std::path::Path;

/// xorshift64*: small, fixed, enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&[u8]] = &[
    b",",
    b"\"",
    b"\"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b"-",
    b"=",
    b"&",
    b"%",
    b"%FF",
    b"%C3",
    b"+",
    b"0",
    b"-1",
    b"4294967296",
    b"99999999999999999999",
    b"1e309",
    b"2026-02-30",
    b"0000-01-01",
    b"9999-12-31",
    b"TM-",
    b"TM-A-01",
    b"\xc3\xbd",
    b"\xff",
    b"\x00",
    b"null",
    b"[]",
    b"{}",
    b"\"given_name\":",
    b"true",
    b"\xe2\x80\xae",
    b"          ",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut input = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(7) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 => input.insert(at, rng.next() as u8),
            2 if at < input.len() => {
                let end = (at + 1 + rng.below(8)).min(input.len());
                input.drain(at..end);
            }
            3 if at < input.len() => {
                let end = (at + 1 + rng.below(32)).min(input.len());
                let chunk = input[at..end].to_vec();
                for _ in 0..=rng.below(3) {
                    input.splice(at..at, chunk.iter().copied());
                }
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                input.splice(at..at, other[from..].iter().copied());
            }
            5 => input.truncate(at),
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())];
                input.splice(at..at, token.iter().copied());
            }
        }
    }
    input
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

fn iterations() -> usize {
    std::env::var("GOLDAW_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000)
}

/// Runs `body` on the seeds and their mutations; a panic fails with the input that caused it.
fn run(target: &str, seed: u64, body: fn(&[u8])) {
    let seeds = seeds(target);
    let mut rng = Rng(seed);
    let mut inputs: Vec<Vec<u8>> = seeds.clone();
    for _ in 0..iterations() {
        inputs.push(mutate(&mut rng, &seeds));
    }
    for input in &inputs {
        if std::panic::catch_unwind(|| body(input)).is_err() {
            panic!(
                "{target}: the input {:?} (as text: {:?}) panicked; add it to fuzz/corpus/{target}",
                input,
                String::from_utf8_lossy(input)
            );
        }
    }
}

/// fuzz_targets/interchange_csv.rs
fn interchange_csv(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let spec = ALL_FILES[which as usize % ALL_FILES.len()];
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let Ok(header) = reader.headers().cloned() else {
        return;
    };
    let Ok(layout) = Layout::from_header(spec, header.iter()) else {
        return;
    };
    let mut record = csv::StringRecord::new();
    while let Ok(true) = reader.read_record(&mut record) {
        let row = Row {
            layout: &layout,
            record: &record,
        };
        match spec.file {
            "admin_units.csv" => drop(AdminUnitRow::parse(&row)),
            "population.csv" => drop(PopulationRow::parse(&row)),
            "households.csv" => drop(HouseholdRow::parse(&row)),
            "persons.csv" => drop(PersonRow::parse(&row, today)),
            "cases.csv" => drop(CaseRow::parse(&row, today)),
            _ => drop(EpisodeRow::parse(&row, today)),
        }
    }
}

/// fuzz_targets/api_bodies.rs
fn api_bodies(data: &[u8]) {
    if let Ok(person) = serde_json::from_slice::<PersonData>(data) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let _ = person.check_dates(today);
        let again = serde_json::to_vec(&person).expect("a parsed person serialises");
        let back: PersonData = serde_json::from_slice(&again).expect("and parses back");
        assert_eq!(back, person);
    }
    let _ = serde_json::from_slice::<HouseholdData>(data);
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Filters {
    name: Option<String>,
    admin_unit: Option<AdminUnitCode>,
    status: Option<CaseStatus>,
    #[serde(default)]
    mine: bool,
    limit: Option<u32>,
    offset: Option<u32>,
}

/// fuzz_targets/query_strings.rs
fn query_strings(data: &[u8]) {
    let _ = serde_urlencoded::from_bytes::<Filters>(data);
    let _ = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data);
}

#[test]
fn the_csv_importers_parsing_survives_mutated_files() {
    // Each file kind, by the first byte: the persons seed as every file, and mutations of it.
    run("interchange_csv", 0x2026_1207_0001, interchange_csv);
}

#[test]
fn the_api_bodies_survive_mutated_json() {
    run("api_bodies", 0x2026_1207_0002, api_bodies);
}

#[test]
fn the_query_strings_survive_mutated_queries() {
    run("query_strings", 0x2026_1207_0003, query_strings);
}
