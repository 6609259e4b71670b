//! The DHIS2 export (issue #5): published statistics as a DHIS2 `dataValueSets` JSON document,
//! through a mapping of goldaw's indicators and disaggregations to DHIS2's data elements,
//! category option combos and org units (`reference/dhis2_mapping.toml`, docs/dhis2.md).
//!
//! Pure: the caller runs the reports the mapping asks for (each suppressed as published) and
//! hands the rows here. A suppressed cell is left out of the data value set: DHIS2 has no
//! "withheld" value, and a zero or a guess would be a false figure.

use crate::disclosure::Published;
use crate::indicators::{Indicator, Measure, MeasureKind};
use crate::periods::CalendarPeriod;
use crate::statistics::Dimension;
use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The mapping shipped with goldaw: every identifier in it is a composed placeholder until the
/// ministry's DHIS2 instance gives its own (docs/dhis2.md).
pub const SHIPPED_MAPPING_TOML: &str = include_str!("../../../reference/dhis2_mapping.toml");
pub const SHIPPED_MAPPING_NAME: &str = "reference/dhis2_mapping.toml";

/// A DHIS2 identifier: 11 characters, letters and digits, the first a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Uid(String);

impl Uid {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_valid(s: &str) -> bool {
        s.len() == 11
            && s.bytes().all(|b| b.is_ascii_alphanumeric())
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
    }
}

impl FromStr for Uid {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if Uid::is_valid(s) {
            Ok(Uid(s.to_owned()))
        } else {
            Err(ParseError::new(format!(
                "'{s}' is not a DHIS2 identifier: 11 letters and digits, the first a letter"
            )))
        }
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which place a data element is reported at: the org unit of each value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The leaf unit of the person's record (etrap, city, borough): one value per unit.
    AdminUnit,
    /// The velayat (or city with velayat status): one value per velayat.
    Velayat,
    /// The whole of the caller's area, reported at the org unit of the area itself.
    Total,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::AdminUnit => "admin_unit",
            Place::Velayat => "velayat",
            Place::Total => "total",
        }
    }

    /// The report dimension that gives the place, if any.
    pub fn dimension(self) -> Option<Dimension> {
        match self {
            Place::AdminUnit => Some(Dimension::AdminUnit),
            Place::Velayat => Some(Dimension::Velayat),
            Place::Total => None,
        }
    }
}

impl FromStr for Place {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "admin_unit" => Ok(Place::AdminUnit),
            "velayat" => Ok(Place::Velayat),
            "total" => Ok(Place::Total),
            other => Err(ParseError::new(format!(
                "place '{other}' is unknown: use admin_unit, velayat or total"
            ))),
        }
    }
}

/// One data element: which count of which indicator, split how, reported at which place.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementMapping {
    pub indicator: Indicator,
    /// The count exported (a count: DHIS2 derives its own rates); by default the indicator's
    /// first.
    pub measure: Measure,
    pub place: Place,
    /// The disaggregation, in the order of the combo keys.
    pub by: Vec<Dimension>,
    pub data_element: Uid,
    /// Category option combo per tuple of values: the `by` values, then the values of the
    /// indicator's own columns (the funnel's step, ...); the empty tuple when there are none.
    pub combos: BTreeMap<Vec<String>, Uid>,
}

impl ElementMapping {
    /// The report's dimensions: the place (if any), then `by`. Rows handed to
    /// [`data_values`] have their values in this order.
    pub fn dimensions(&self) -> Vec<Dimension> {
        self.place
            .dimension()
            .into_iter()
            .chain(self.by.iter().copied())
            .collect()
    }
}

/// The whole mapping, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub data_set: Option<Uid>,
    pub attribute_option_combo: Option<Uid>,
    /// goldaw admin unit code → DHIS2 org unit.
    pub org_units: BTreeMap<String, Uid>,
    pub elements: Vec<ElementMapping>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    data_set: Option<String>,
    attribute_option_combo: Option<String>,
    org_units: BTreeMap<String, String>,
    #[serde(default)]
    data_element: Vec<RawElement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElement {
    indicator: String,
    measure: Option<String>,
    place: String,
    #[serde(default)]
    by: Vec<String>,
    data_element: String,
    category_option_combo: Option<String>,
    category_option_combos: Option<BTreeMap<String, String>>,
}

impl Mapping {
    /// The shipped mapping.
    pub fn shipped() -> Result<Mapping, ParseError> {
        Mapping::from_toml(SHIPPED_MAPPING_TOML, SHIPPED_MAPPING_NAME)
    }

    /// Reads and checks a mapping; an error names the file and the entry at fault.
    pub fn from_toml(text: &str, name: &str) -> Result<Mapping, ParseError> {
        let raw: RawMapping =
            toml::from_str(text).map_err(|e| ParseError::new(format!("{name}: {e}")))?;
        let at = |what: String, e: ParseError| ParseError::new(format!("{name}: {what}: {e}"));
        let data_set = raw
            .data_set
            .map(|u| u.parse())
            .transpose()
            .map_err(|e| at("data_set".into(), e))?;
        let attribute_option_combo = raw
            .attribute_option_combo
            .map(|u| u.parse())
            .transpose()
            .map_err(|e| at("attribute_option_combo".into(), e))?;
        let mut org_units = BTreeMap::new();
        for (code, uid) in raw.org_units {
            let uid: Uid = uid
                .parse()
                .map_err(|e| at(format!("org_units.\"{code}\""), e))?;
            org_units.insert(code, uid);
        }
        if raw.data_element.is_empty() {
            return Err(ParseError::new(format!(
                "{name}: no [[data_element]]: the mapping would export nothing"
            )));
        }
        let mut elements = Vec::with_capacity(raw.data_element.len());
        for (i, e) in raw.data_element.into_iter().enumerate() {
            let here = format!("data_element {} ({})", i + 1, e.data_element);
            let element = element(e).map_err(|e| at(here, e))?;
            elements.push(element);
        }
        Ok(Mapping {
            data_set,
            attribute_option_combo,
            org_units,
            elements,
        })
    }

    /// The org unit of a goldaw admin unit.
    pub fn org_unit(&self, code: &str) -> Result<&Uid, ParseError> {
        self.org_units.get(code).ok_or_else(|| {
            ParseError::new(format!(
                "the mapping has no org unit for {code}: add it under [org_units]"
            ))
        })
    }
}

fn element(e: RawElement) -> Result<ElementMapping, ParseError> {
    let indicator: Indicator = e.indicator.parse()?;
    let measure = match e.measure {
        Some(m) => m.parse::<Measure>()?,
        None => indicator
            .measures()
            .iter()
            .copied()
            .find(|m| m.kind() == MeasureKind::Count)
            .ok_or_else(|| ParseError::new(format!("{indicator} has no count to export")))?,
    };
    if !indicator.measures().contains(&measure) || measure.kind() != MeasureKind::Count {
        return Err(ParseError::new(format!(
            "measure '{measure}' is not a count of {indicator}: DHIS2 gets counts and derives its own rates"
        )));
    }
    let place: Place = e.place.parse()?;
    let by = Dimension::parse_list(&e.by.join(","))?;
    if by.len() != e.by.len() {
        return Err(ParseError::new("by has an empty name"));
    }
    indicator.check_dimensions(&by)?;
    if let Some(d) = place.dimension() {
        indicator.check_dimensions(&[d])?;
    }
    let columns = indicator.columns().iter().map(|c| c.as_str());
    let key_names: Vec<&str> = by.iter().map(|d| d.as_str()).chain(columns).collect();
    if let Some(d) = by
        .iter()
        .find(|d| matches!(d, Dimension::AdminUnit | Dimension::Velayat))
    {
        return Err(ParseError::new(format!(
            "'{d}' cannot be in by: the place is set by place = \"...\""
        )));
    }
    let data_element: Uid = e.data_element.parse()?;
    let combos = match (
        key_names.is_empty(),
        e.category_option_combo,
        e.category_option_combos,
    ) {
        (true, Some(one), None) => BTreeMap::from([(Vec::new(), one.parse()?)]),
        (false, None, Some(table)) => {
            let mut combos = BTreeMap::new();
            for (key, uid) in table {
                let values: Vec<String> = key.split(',').map(|v| v.trim().to_owned()).collect();
                if values.len() != key_names.len() || values.iter().any(String::is_empty) {
                    return Err(ParseError::new(format!(
                        "category option combo \"{key}\" must have {} comma-separated values, one per {}",
                        key_names.len(),
                        key_names.join(", ")
                    )));
                }
                let uid: Uid = uid.parse()?;
                if combos.insert(values, uid).is_some() {
                    return Err(ParseError::new(format!("\"{key}\" is listed twice")));
                }
            }
            combos
        }
        (true, _, _) => {
            return Err(ParseError::new(
                "without by (and without own columns), give one category_option_combo (DHIS2's default is HllvX50cXC0)",
            ))
        }
        (false, _, _) => {
            return Err(ParseError::new(format!(
                "give a [category_option_combos] table (\"value,value\" = uid, one value per {}), not category_option_combo",
                key_names.join(", ")
            )))
        }
    };
    Ok(ElementMapping {
        indicator,
        measure,
        place,
        by,
        data_element,
        combos,
    })
}

/// A DHIS2 `dataValueSets` import document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValueSet {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_set: Option<Uid>,
    pub data_values: Vec<DataValue>,
}

/// One value; DHIS2 takes the value as a string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValue {
    pub data_element: Uid,
    pub period: String,
    pub org_unit: Uid,
    pub category_option_combo: Uid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_option_combo: Option<Uid>,
    pub value: String,
}

/// The data values of one data element for `period`, from its table's rows (values in the
/// order of [`ElementMapping::dimensions`], then the indicator's own columns; the count of
/// [`ElementMapping::measure`]). `scope_unit` is the caller's area, the org unit of
/// a [`Place::Total`] element. Suppressed cells are left out; a place or combination of values
/// the mapping does not cover is an error that names it, so that nothing is dropped silently.
pub fn data_values<'a>(
    mapping: &Mapping,
    element: &ElementMapping,
    period: CalendarPeriod,
    scope_unit: &str,
    rows: impl IntoIterator<Item = (&'a [String], Published<u64>)>,
) -> Result<Vec<DataValue>, ParseError> {
    let places = usize::from(element.place.dimension().is_some());
    let width = places + element.by.len() + element.indicator.columns().len();
    let mut out = Vec::new();
    for (values, count) in rows {
        if values.len() != width {
            return Err(ParseError::new(format!(
                "a row of {} has {} values, the mapping expects {width}",
                element.indicator,
                values.len(),
            )));
        }
        let Some(value) = count.value() else {
            continue; // withheld: not exported
        };
        let unit = if places == 1 {
            values[0].as_str()
        } else {
            scope_unit
        };
        let key = &values[places..];
        let combo = element.combos.get(key).ok_or_else(|| {
            let names: Vec<&str> = element
                .by
                .iter()
                .map(|d| d.as_str())
                .chain(element.indicator.columns().iter().map(|c| c.as_str()))
                .collect();
            ParseError::new(format!(
                "the mapping of {} ({}) has no category option combo for \"{}\" ({}): add it",
                element.indicator,
                element.data_element,
                key.join(","),
                names.join(",")
            ))
        })?;
        out.push(DataValue {
            data_element: element.data_element.clone(),
            period: period.to_string(),
            org_unit: mapping.org_unit(unit)?.clone(),
            category_option_combo: combo.clone(),
            attribute_option_combo: mapping.attribute_option_combo.clone(),
            value: value.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::Reason;

    const MAPPING: &str = r#"
data_set = "dsGoldaw001"

[org_units]
"TM" = "ouTM0000000"
"TM-A" = "ouTMA000000"
"TM-A-01" = "ouTMA010000"

[[data_element]]
indicator = "service_users"
place = "admin_unit"
by = ["sex", "age_band"]
data_element = "deSvcUsers1"
[data_element.category_option_combos]
"F,0-17" = "cocF0017xxx"
"M,0-17" = "cocM0017xxx"

[[data_element]]
indicator = "service_users"
place = "total"
data_element = "deSvcUsers2"
category_option_combo = "HllvX50cXC0"
"#;

    /// The indicator line of the mapping's second (total) element, to swap in tests.
    const TOTAL_IS: &str = "indicator = \"service_users\"\nplace = \"total\"\n";

    fn row(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn uids_are_eleven_letters_and_digits_starting_with_a_letter() {
        assert!("HllvX50cXC0".parse::<Uid>().is_ok());
        for bad in [
            "",
            "HllvX50cXC",
            "HllvX50cXC00",
            "1llvX50cXC0",
            "Hllv-50cXC0",
            "HllvX50cXÇ",
        ] {
            assert!(bad.parse::<Uid>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_mapping_reads_and_the_shipped_one_is_valid() {
        let m = Mapping::from_toml(MAPPING, "test.toml").unwrap();
        assert_eq!(m.data_set.as_ref().unwrap().as_str(), "dsGoldaw001");
        assert_eq!(m.elements.len(), 2);
        assert_eq!(
            m.elements[0].dimensions(),
            [Dimension::AdminUnit, Dimension::Sex, Dimension::AgeBand]
        );
        assert_eq!(m.elements[1].dimensions(), []);
        assert_eq!(m.elements[0].measure, Measure::Users);
        // An indicator with its own column: the step is part of the key.
        let funnel = MAPPING.replace(
            "indicator = \"service_users\"\nplace = \"total\"\ndata_element = \"deSvcUsers2\"\ncategory_option_combo = \"HllvX50cXC0\"",
            "indicator = \"funnel\"\nplace = \"total\"\nby = [\"sex\"]\ndata_element = \"deSvcUsers2\"\n[data_element.category_option_combos]\n\"F,referral\" = \"cocFrefxxxx\"",
        );
        let m2 = Mapping::from_toml(&funnel, "f.toml").unwrap();
        assert_eq!(m2.elements[1].measure, Measure::Cases);
        let rows = [(row(&["F", "referral"]), Published::Shown { value: 9 })];
        let values = data_values(
            &m2,
            &m2.elements[1],
            CalendarPeriod::Year(2025),
            "TM",
            rows.iter().map(|(v, c)| (v.as_slice(), *c)),
        )
        .unwrap();
        assert_eq!(values[0].category_option_combo.as_str(), "cocFrefxxxx");
        let shipped = Mapping::shipped().unwrap();
        assert!(shipped.org_units.contains_key("TM"));
        assert!(shipped.org_units.contains_key("TM-A-09-02"));
        assert!(!shipped.elements.is_empty());
    }

    #[test]
    fn a_bad_mapping_is_refused_naming_the_entry() {
        let cases = [
            (MAPPING.replace("ouTMA000000", "bad"), "org_units.\"TM-A\""),
            (
                MAPPING.replace("\"sex\", \"age_band\"", "\"sex\", \"age\""),
                "unknown dimension 'age'",
            ),
            (
                MAPPING.replace("\"sex\", \"age_band\"", "\"sex\", \"velayat\""),
                "place is set by",
            ),
            (
                MAPPING.replace("\"F,0-17\"", "\"F\""),
                "2 comma-separated values",
            ),
            (
                MAPPING.replace("place = \"total\"", "place = \"district\""),
                "place 'district'",
            ),
            (
                MAPPING.replace("category_option_combo = ", "category_option_comb = "),
                "unknown field",
            ),
            (
                MAPPING.replace("deSvcUsers2", "deSvcUsers"),
                "data_element 2",
            ),
            (
                MAPPING.replace(TOTAL_IS, "indicator = \"users\"\nplace = \"total\"\n"),
                "'users'",
            ),
            (
                MAPPING.replace(
                    TOTAL_IS,
                    "indicator = \"coverage\"\nmeasure = \"per_100000\"\nplace = \"total\"\n",
                ),
                "not a count",
            ),
            (
                MAPPING.replace(TOTAL_IS, "indicator = \"funnel\"\nplace = \"total\"\n"),
                "one value per step",
            ),
        ];
        for (text, needle) in cases {
            let e = Mapping::from_toml(&text, "m.toml").unwrap_err().to_string();
            assert!(
                e.starts_with("m.toml") && e.contains(needle),
                "{needle}: {e}"
            );
        }
        let none = "[org_units]\nTM = \"ouTM0000000\"\n";
        assert!(Mapping::from_toml(none, "m")
            .unwrap_err()
            .to_string()
            .contains("export nothing"));
    }

    #[test]
    fn data_values_leave_suppressed_cells_out_and_name_what_is_not_mapped() {
        let m = Mapping::from_toml(MAPPING, "test.toml").unwrap();
        let rows = [
            (
                row(&["TM-A-01", "F", "0-17"]),
                Published::Shown { value: 12 },
            ),
            (
                row(&["TM-A-01", "M", "0-17"]),
                Published::Suppressed {
                    reason: Reason::Primary,
                },
            ),
            (row(&["TM-A", "M", "0-17"]), Published::Shown { value: 0 }),
        ];
        let q1 = CalendarPeriod::Quarter(2025, 1);
        let values = data_values(
            &m,
            &m.elements[0],
            q1,
            "TM",
            rows.iter().map(|(v, c)| (v.as_slice(), *c)),
        )
        .unwrap();
        assert_eq!(values.len(), 2, "the suppressed cell is left out");
        assert_eq!(values[0].org_unit.as_str(), "ouTMA010000");
        assert_eq!(values[0].category_option_combo.as_str(), "cocF0017xxx");
        assert_eq!(values[0].value, "12");
        assert_eq!(values[0].period, "2025Q1");
        assert_eq!(values[1].value, "0");
        // A total goes to the caller's area.
        let total = [(Vec::new(), Published::Shown { value: 40 })];
        let values = data_values(
            &m,
            &m.elements[1],
            q1,
            "TM-A",
            total.iter().map(|(v, c)| (v.as_slice(), *c)),
        )
        .unwrap();
        assert_eq!(values[0].org_unit.as_str(), "ouTMA000000");
        assert_eq!(values[0].category_option_combo.as_str(), "HllvX50cXC0");
        // Not mapped: an org unit, a combination of values.
        let unmapped = [(
            row(&["TM-B-01", "F", "0-17"]),
            Published::Shown { value: 7 },
        )];
        let e = data_values(
            &m,
            &m.elements[0],
            q1,
            "TM",
            unmapped.iter().map(|(v, c)| (v.as_slice(), *c)),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("TM-B-01"), "{e}");
        let unmapped = [(row(&["TM-A-01", "F", "60+"]), Published::Shown { value: 7 })];
        let e = data_values(
            &m,
            &m.elements[0],
            q1,
            "TM",
            unmapped.iter().map(|(v, c)| (v.as_slice(), *c)),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("\"F,60+\""), "{e}");
        // A suppressed cell that is not mapped is not an error: nothing of it is exported.
        let hidden = [(
            row(&["TM-B-01", "F", "60+"]),
            Published::Suppressed {
                reason: Reason::Secondary,
            },
        )];
        assert!(data_values(
            &m,
            &m.elements[0],
            q1,
            "TM",
            hidden.iter().map(|(v, c)| (v.as_slice(), *c)),
        )
        .unwrap()
        .is_empty());
    }

    #[test]
    fn the_document_has_dhis2s_field_names_and_string_values() {
        let set = DataValueSet {
            data_set: Some("dsGoldaw001".parse().unwrap()),
            data_values: vec![DataValue {
                data_element: "deSvcUsers1".parse().unwrap(),
                period: "202501".into(),
                org_unit: "ouTMA010000".parse().unwrap(),
                category_option_combo: "HllvX50cXC0".parse().unwrap(),
                attribute_option_combo: None,
                value: "5".into(),
            }],
        };
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(
            json,
            r#"{"dataSet":"dsGoldaw001","dataValues":[{"dataElement":"deSvcUsers1","period":"202501","orgUnit":"ouTMA010000","categoryOptionCombo":"HllvX50cXC0","value":"5"}]}"#
        );
    }
}
