//! The instruments goldaw ships (`reference/instruments/`), and finding one by code and version.

use super::file::InstrumentError;
use super::model::Instrument;

/// The shipped instrument files, relative to `reference/instruments/`, with their text.
pub const DEFAULT_INSTRUMENT_FILES: &[(&str, &str)] = &[
    (
        "initial.toml",
        include_str!("../../../../reference/instruments/initial.toml"),
    ),
    (
        "holistic_adult.toml",
        include_str!("../../../../reference/instruments/holistic_adult.toml"),
    ),
    (
        "holistic_child.toml",
        include_str!("../../../../reference/instruments/holistic_child.toml"),
    ),
    (
        "review.toml",
        include_str!("../../../../reference/instruments/review.toml"),
    ),
];

/// The instruments goldaw ships (`reference/instruments/`), checked. Codes and versions are unique.
pub fn default_instruments() -> Result<Vec<Instrument>, InstrumentError> {
    let mut instruments: Vec<Instrument> = Vec::with_capacity(DEFAULT_INSTRUMENT_FILES.len());
    for &(file, text) in DEFAULT_INSTRUMENT_FILES {
        let instrument = Instrument::from_toml(text).map_err(|error| InstrumentError::Shipped {
            file,
            error: Box::new(error),
        })?;
        if instruments
            .iter()
            .any(|i| i.code == instrument.code && i.version == instrument.version)
        {
            return Err(InstrumentError::DuplicateShipped {
                code: instrument.code,
                version: instrument.version,
            });
        }
        instruments.push(instrument);
    }
    Ok(instruments)
}

/// The instrument `code` at `version` among `instruments` (to show an assessment with the questions it was
/// made with).
pub fn find_instrument<'a>(
    instruments: &'a [Instrument],
    code: &str,
    version: u32,
) -> Option<&'a Instrument> {
    instruments
        .iter()
        .find(|i| i.code == code && i.version == version)
}

/// The highest version of the instrument `code` among `instruments` (for a new assessment).
pub fn latest_instrument<'a>(instruments: &'a [Instrument], code: &str) -> Option<&'a Instrument> {
    instruments
        .iter()
        .filter(|i| i.code == code)
        .max_by_key(|i| i.version)
}
