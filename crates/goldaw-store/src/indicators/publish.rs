//! Suppression of an indicator's counts: the full table of the dimensions asked and the
//! indicator's own columns (every total, place rolled up through the hierarchy), suppressed with
//! `goldaw_core::disclosure`, then looked up cell by cell for the published rows and for the
//! totals that shares are taken of.

use crate::error::{StoreError, StoreResult};
use crate::statistics::breakdown_failed;
use crate::Store;
use goldaw_core::cell_key::{self, Counted};
use goldaw_core::disclosure::{self, Published, Rule, SuppressedTable};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::statistics::Dimension;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One axis of a table to suppress.
#[derive(Debug, Clone)]
pub(crate) enum Axis {
    /// A place: leaves under their velayat, so that the velayat totals are published too.
    Place(&'static str),
    /// Values that add up directly to the total.
    Flat(&'static str),
}

impl Axis {
    pub(crate) fn of(dim: Dimension) -> Axis {
        match dim {
            Dimension::AdminUnit => Axis::Place(dim.as_str()),
            other => Axis::Flat(other.as_str()),
        }
    }
}

/// How a table is laid out for suppression.
pub(crate) struct Layout {
    pub axes: Vec<Axis>,
    /// An axis whose values are not parts of one whole (the funnel's steps: a case is at several)
    /// is no axis at all: each of its values is a table of its own, suppressed on its own.
    pub separate: Option<usize>,
}

/// The published counts of a table, by key (`None` = the total of that axis).
pub(crate) struct Counts {
    separate: Option<usize>,
    parts: HashMap<String, Part>,
}

enum Part {
    /// Unsuppressed: every cell and total as counted.
    Plain(disclosure::Table),
    Suppressed(SuppressedTable),
    /// A table without axes: its one count.
    Single(Published<u64>),
}

impl Counts {
    /// The published count at `key` (one entry per axis, the separate one included), if the
    /// table has that cell.
    pub(crate) fn get(&self, key: &[Option<&str>]) -> Option<Published<u64>> {
        let (part, rest): (&str, Vec<Option<&str>>) = match self.separate {
            None => ("", key.to_vec()),
            Some(i) => {
                let v = (*key.get(i)?)?;
                let mut rest = key.to_vec();
                rest.remove(i);
                (v, rest)
            }
        };
        match self.parts.get(part)? {
            Part::Plain(t) => t.get(&rest).map(|value| Published::Shown { value }),
            Part::Suppressed(t) => t.get(&rest),
            Part::Single(p) => rest.is_empty().then_some(*p),
        }
    }

    /// Whether suppression had to hide zeros in some part (the standard rule falls back to it
    /// when a table cannot be protected with zeros shown): then every leaf must be listed, or a
    /// missing row would say "nobody here".
    pub(crate) fn hides_zeros(&self) -> bool {
        self.parts
            .values()
            .any(|p| matches!(p, Part::Suppressed(t) if t.rule().hides_zeros()))
    }

    /// Every published cell, totals included: `(key, count)`, the separate axis's value in its
    /// place.
    pub(crate) fn cells(&self) -> Vec<(Vec<Option<String>>, Published<u64>)> {
        let mut out = Vec::new();
        for (part, table) in &self.parts {
            let cells: Vec<(Vec<Option<String>>, Published<u64>)> = match table {
                Part::Plain(t) => t
                    .cells()
                    .map(|(k, value)| (k, Published::Shown { value }))
                    .collect(),
                Part::Suppressed(t) => t.rows().map(|r| (r.key, r.count)).collect(),
                Part::Single(p) => vec![(Vec::new(), *p)],
            };
            for (mut key, count) in cells {
                if let Some(i) = self.separate {
                    key.insert(i, Some(part.clone()));
                }
                out.push((key, count));
            }
        }
        out
    }
}

impl Store {
    /// Builds and suppresses the table of `leaves` (finest cells, one value per axis, each with
    /// the sum of its records' keys); with `perturb`, perturbs every shown count by its cell key
    /// (`goldaw_core::cell_key`), a total from all of its records.
    pub(crate) fn publish_counts(
        &self,
        layout: &Layout,
        leaves: &[(Vec<String>, Counted)],
        rule: Rule,
        perturb: bool,
    ) -> StoreResult<Counts> {
        let mut groups: BTreeMap<String, Vec<(Vec<String>, Counted)>> = BTreeMap::new();
        for (key, n) in leaves {
            match layout.separate {
                None => groups
                    .entry(String::new())
                    .or_default()
                    .push((key.clone(), *n)),
                Some(i) => {
                    let mut rest = key.clone();
                    let v = rest.remove(i);
                    groups.entry(v).or_default().push((rest, *n));
                }
            }
        }
        let axes: Vec<&Axis> = layout
            .axes
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != layout.separate)
            .map(|(_, a)| a)
            .collect();
        let mut parts = HashMap::with_capacity(groups.len());
        for (name, cells) in groups {
            parts.insert(name, self.publish_part(&axes, cells, rule, perturb)?);
        }
        Ok(Counts {
            separate: layout.separate,
            parts,
        })
    }

    fn publish_part(
        &self,
        axes: &[&Axis],
        cells: Vec<(Vec<String>, Counted)>,
        rule: Rule,
        perturb: bool,
    ) -> StoreResult<Part> {
        if axes.is_empty() {
            let mut all = Counted::default();
            for (_, c) in &cells {
                all += *c;
            }
            return Ok(Part::Single(cell_key::release(
                all.n,
                perturb.then(|| all.cell_key()),
                rule,
            )));
        }
        let catalogue = self.catalogue();
        let mut built = Vec::with_capacity(axes.len());
        for (i, axis) in axes.iter().enumerate() {
            let values: BTreeSet<&str> = cells.iter().map(|(v, _)| v[i].as_str()).collect();
            let dim = match axis {
                Axis::Place(name) => {
                    // Each unit under its parent, up to the units just below the country.
                    let mut pairs: HashMap<String, Option<String>> = HashMap::new();
                    for v in &values {
                        let mut code = v.to_string();
                        while let Some(parent) = parent_of(&catalogue, &code) {
                            if parent == "TM" {
                                break;
                            }
                            pairs.insert(code.clone(), Some(parent.clone()));
                            code = parent;
                        }
                        pairs.entry(code).or_insert(None);
                    }
                    disclosure::Dimension::hierarchy(name, pairs)
                }
                Axis::Flat(name) => disclosure::Dimension::flat(name, values),
            };
            built.push(dim.map_err(breakdown_failed)?);
        }
        let table =
            disclosure::Table::from_leaves(built.clone(), cells.iter().map(|(v, c)| (v, c.n)))
                .map_err(breakdown_failed)?;
        if rule.is_off() {
            return Ok(Part::Plain(table));
        }
        let published = disclosure::suppress(&table, rule)
            .map_err(|_| StoreError::refuse("by", "store-breakdown-too-fine", vec![]))?;
        if !perturb {
            return Ok(Part::Suppressed(published));
        }
        let keys = disclosure::Table::from_leaves(built, cells.iter().map(|(v, c)| (v, c.keys)))
            .and_then(|keys| published.perturbed(&keys))
            .map_err(breakdown_failed)?;
        Ok(Part::Suppressed(keys))
    }
}

/// The parent of an administrative unit, if it has one.
pub(crate) fn parent_of(catalogue: &crate::catalogue::Catalogue, code: &str) -> Option<String> {
    let code: AdminUnitCode = code.parse().ok()?;
    catalogue.admin_unit(&code)?.parent_code.clone()
}

/// The unit just below the country that `unit` lies in: its velayat, or a city with velayat
/// status.
pub(crate) fn velayat_of(catalogue: &crate::catalogue::Catalogue, unit: &str) -> String {
    let mut code = unit.to_owned();
    while let Some(parent) = parent_of(catalogue, &code) {
        if parent == "TM" {
            break;
        }
        code = parent;
    }
    code
}

/// A count as a figure.
pub(crate) fn count_figure(p: Option<Published<u64>>) -> goldaw_core::indicators::Figure {
    match p {
        Some(value) => goldaw_core::indicators::Figure::Count { value },
        None => goldaw_core::indicators::Figure::None,
    }
}

/// `part / whole × per`, shown only when both counts are: a share next to its count gives the
/// whole back, and next to the whole gives the part back. `None` when the whole is zero or
/// absent.
pub(crate) fn ratio_figure(
    part: Option<Published<u64>>,
    whole: Option<Published<u64>>,
    per: f64,
) -> goldaw_core::indicators::Figure {
    use goldaw_core::indicators::Figure;
    match (part, whole) {
        (_, None) | (None, _) | (_, Some(Published::Shown { value: 0 })) => Figure::None,
        (Some(Published::Shown { value: p }), Some(Published::Shown { value: w })) => {
            Figure::number(p as f64 / w as f64 * per)
        }
        (Some(Published::Suppressed { reason }), _)
        | (_, Some(Published::Suppressed { reason })) => Figure::Number {
            value: Published::Suppressed { reason },
        },
    }
}
