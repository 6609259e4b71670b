//! The CSV importers' parsing (goldaw-core `interchange`): any bytes, read as each of the six
//! interchange files, header then rows, as the store's reader does. Refusals are fine; a panic,
//! an overflow or a hang is a bug.
#![no_main]

use goldaw_core::interchange::{
    AdminUnitRow, CaseRow, EpisodeRow, HouseholdRow, Layout, PersonRow, PopulationRow, Row,
    ALL_FILES,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
