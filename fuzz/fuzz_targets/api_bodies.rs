//! The API's JSON bodies of people and households (goldaw-core's `PersonData`, `HouseholdData`,
//! with their codes, names, dates and Washington Group answers): any bytes. A refusal is fine; a
//! panic is a bug. What parses must check its dates without panicking and serialise back.
#![no_main]

use goldaw_core::people::{HouseholdData, PersonData};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(person) = serde_json::from_slice::<PersonData>(data) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let _ = person.check_dates(today);
        let again = serde_json::to_vec(&person).expect("a parsed person serialises");
        let back: PersonData = serde_json::from_slice(&again).expect("and parses back");
        assert_eq!(back, person);
    }
    let _ = serde_json::from_slice::<HouseholdData>(data);
});
