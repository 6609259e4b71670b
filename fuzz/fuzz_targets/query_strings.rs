//! The API's query strings as axum's `Query` reads them (serde_urlencoded) into the filters'
//! field types: codes, unit codes, numbers and flags. Any bytes; a refusal is fine, a panic is a
//! bug.
#![no_main]

use goldaw_core::codes::CaseStatus;
use goldaw_core::ids::AdminUnitCode;
use libfuzzer_sys::fuzz_target;

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

fuzz_target!(|data: &[u8]| {
    let _ = serde_urlencoded::from_bytes::<Filters>(data);
    let _ = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data);
});
