//! The indicators of issue #5 as published tables: one entry point, [`Store::indicator`], for every
//! indicator of `goldaw_core::indicators`. Each read is permission-checked (`ReadReports`; the
//! caseload `ReadCaseload`), scoped to the principal's units, suppressed, and audited (counts
//! only, never a person).

mod caseload;
mod coverage;
mod episodes;
mod gather;
mod publish;
mod workflow;

use crate::audit::AuditEvent;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::scope::unit_range;
use crate::statistics::Suppression;
use crate::Store;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::cell_key::{Counted, RecordKeys};
use goldaw_core::disclosure::{Published, Rule};
use goldaw_core::indicators::{is_gbv_value, tally, Column, Figure, Indicator, Measure, Note};
use goldaw_core::spreadsheet::{Cell, SpreadsheetCsv};
use goldaw_core::statistics::{Dimension, Period};
use publish::{count_figure, ratio_figure, Axis, Layout};
use serde::Serialize;
use std::collections::BTreeSet;

/// A published indicator table: the dimensions in the order asked, then the indicator's own
/// columns, then its figures; one row per non-empty cell, sorted by its values.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub indicator: Indicator,
    #[serde(serialize_with = "period_json")]
    pub period: Period,
    #[serde(serialize_with = "dimensions_json")]
    pub dimensions: Vec<Dimension>,
    pub columns: Vec<Column>,
    pub measures: Vec<Measure>,
    pub rows: Vec<TableRow>,
    /// Every total of the table as published with the same suppression: rows whose value is
    /// `total` where a column is summed over, and whose `admin_unit` is a velayat where etraps
    /// are rolled up. The sum of cells, so a person in two target groups counts in both. Empty
    /// for the service users (whose report has its own path) and the caseload (unsuppressed, by
    /// worker); timeliness totals carry no median.
    pub totals: Vec<TableRow>,
    /// The rule applied to the counts (threshold 0 when unsuppressed); publish it with the table
    /// so that readers know what a hidden cell can hold.
    pub rule: Rule,
    pub notes: Vec<Note>,
}

/// One row: the values of the dimensions and own columns, then one figure per measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    pub values: Vec<String>,
    pub figures: Vec<Figure>,
}

impl Table {
    /// The column names: dimensions, own columns, measures.
    pub fn header(&self) -> Vec<&'static str> {
        self.dimensions
            .iter()
            .map(|d| d.as_str())
            .chain(self.columns.iter().map(|c| c.as_str()))
            .chain(self.measures.iter().map(|m| m.as_str()))
            .collect()
    }

    /// The figure of `measure` in `row`, if the indicator has that measure.
    pub fn figure(&self, row: &TableRow, measure: Measure) -> Option<Figure> {
        let i = self.measures.iter().position(|m| *m == measure)?;
        row.figures.get(i).copied()
    }

    /// The table as CSV for a spreadsheet ([`SpreadsheetCsv`]: text that could be a formula is
    /// quoted): [`Table::header`], then the rows; a withheld or undefined figure is an empty cell.
    pub fn to_csv(&self) -> String {
        self.csv_of(&self.rows)
    }

    /// As [`Table::to_csv`], then the totals.
    pub fn to_csv_with_totals(&self) -> String {
        self.csv_of(self.rows.iter().chain(&self.totals))
    }

    fn csv_of<'a>(&self, rows: impl IntoIterator<Item = &'a TableRow>) -> String {
        let mut w = SpreadsheetCsv::new();
        w.row(self.header());
        for row in rows {
            let figures: Vec<String> = row.figures.iter().map(Figure::csv).collect();
            w.row(
                row.values
                    .iter()
                    .map(|v| Cell::Text(v))
                    .chain(figures.iter().map(|f| Cell::Number(f))),
            );
        }
        w.finish()
    }
}

fn dimensions_json<S: serde::Serializer>(dims: &[Dimension], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(dims.iter().map(|d| d.as_str()))
}

fn period_json<S: serde::Serializer>(p: &Period, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Period", 2)?;
    st.serialize_field("from", &p.from())?;
    st.serialize_field("to", &p.to())?;
    st.end()
}

impl Store {
    /// The table of `indicator` over `period`, split by `dims` (each one the indicator accepts),
    /// within the principal's scope, suppressed as asked (`docs/statistics.md`).
    #[tracing::instrument(skip_all, fields(indicator = ?indicator))]
    pub async fn indicator(
        &self,
        principal: &Principal,
        indicator: Indicator,
        period: Period,
        dims: &[Dimension],
        suppression: Suppression,
    ) -> StoreResult<Table> {
        indicator
            .check_dimensions(dims)
            .map_err(|_| dimension_refused(indicator, dims))?;
        if indicator == Indicator::ServiceUsers {
            // The service-users report as it is (its CSV and its audit event are relied on).
            let report = self
                .service_users(principal, period, dims, suppression)
                .await?;
            return Ok(Table {
                indicator,
                period,
                dimensions: report.dimensions,
                columns: Vec::new(),
                measures: indicator.measures().to_vec(),
                rows: report
                    .rows
                    .into_iter()
                    .map(|r| TableRow {
                        values: r.values,
                        figures: vec![Figure::Count { value: r.count }],
                    })
                    .collect(),
                totals: Vec::new(),
                rule: report.rule,
                notes: if report.perturbed {
                    vec![Note::Perturbed]
                } else {
                    Vec::new()
                },
            });
        }
        require(principal, Permission::ReadReports)?;
        if indicator.is_internal() {
            require(principal, Permission::ReadCaseload)?;
        }
        let range = unit_range(principal).ok_or(StoreError::NotFound)?;
        may_ask(principal, suppression)?;
        // The caseload is internal and about the service's workers, not the people served: as
        // it is not suppressed, it is not perturbed either, and any period may be asked.
        let released = if indicator.is_internal() {
            None
        } else {
            Some(self.released(principal, Some(&period))?)
        };
        let keys = released.as_ref().and_then(|r| r.keys.as_ref());
        let mut built = match indicator {
            Indicator::ServiceUsers => unreachable!("answered above"),
            Indicator::Coverage => {
                self.coverage(principal, &range, &period, dims, suppression, keys)
                    .await?
            }
            Indicator::Caseload => Built {
                totals: Vec::new(),
                rows: self
                    .caseload_rows(&range, &period, dims)
                    .await?
                    .into_iter()
                    .map(|(values, figures)| TableRow { values, figures })
                    .collect(),
                rule: Rule::OFF,
                notes: vec![Note::Internal],
            },
            Indicator::Funnel => {
                let g = self.funnel_records(&range, &period).await?;
                self.counted(
                    principal,
                    indicator,
                    g,
                    &period,
                    dims,
                    suppression,
                    &BTreeSet::new(),
                    keys,
                )?
            }
            Indicator::Priority => {
                let g = self.priority_records(&range, &period).await?;
                self.counted(
                    principal,
                    indicator,
                    g,
                    &period,
                    dims,
                    suppression,
                    &BTreeSet::new(),
                    keys,
                )?
            }
            Indicator::ReferralSources => {
                let g = self.source_records(&range, &period).await?;
                self.counted(
                    principal,
                    indicator,
                    g,
                    &period,
                    dims,
                    suppression,
                    &BTreeSet::new(),
                    keys,
                )?
            }
            Indicator::Episodes => {
                let e = self.episode_records(&range, &period).await?;
                self.counted(
                    principal,
                    indicator,
                    e.gathered,
                    &period,
                    dims,
                    suppression,
                    &e.gbv_providers,
                    keys,
                )?
            }
            Indicator::Timeliness => {
                let g = self.timeliness_records(&range, &period).await?;
                self.counted(
                    principal,
                    indicator,
                    g,
                    &period,
                    dims,
                    suppression,
                    &BTreeSet::new(),
                    keys,
                )?
            }
            Indicator::Outcomes => {
                let g = self.outcome_records(&range, &period).await?;
                self.counted(
                    principal,
                    indicator,
                    g,
                    &period,
                    dims,
                    suppression,
                    &BTreeSet::new(),
                    keys,
                )?
            }
        };
        if keys.is_some() && !built.rule.is_off() {
            built.notes.push(Note::Perturbed);
        }
        self.audit(
            principal,
            AuditEvent::plain(audit_action(indicator)).with_detail(format!(
                "{}..{} by [{}], {} rows, k={}",
                period.from(),
                period.to(),
                dims.iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                built.rows.len(),
                built.rule.threshold()
            )),
        )
        .await?;
        Ok(Table {
            indicator,
            period,
            dimensions: dims.to_vec(),
            columns: indicator.columns().to_vec(),
            measures: indicator.measures().to_vec(),
            rows: built.rows,
            totals: built.totals,
            rule: built.rule,
            notes: built.notes,
        })
    }

    /// An indicator that counts records (cases, episodes, goals): tallied per cell, suppressed
    /// on the full table, then each row's figures.
    #[allow(clippy::too_many_arguments)]
    fn counted(
        &self,
        principal: &Principal,
        indicator: Indicator,
        gathered: workflow::Gathered,
        period: &Period,
        dims: &[Dimension],
        suppression: Suppression,
        gbv_providers: &BTreeSet<String>,
        keys: Option<&RecordKeys>,
    ) -> StoreResult<Built> {
        let tallies = tally(&gathered.records, dims, period, keys);
        let columns = indicator.columns();
        let timeliness = indicator == Indicator::Timeliness;
        let mut axes: Vec<Axis> = dims.iter().map(|d| Axis::of(*d)).collect();
        axes.extend(columns.iter().map(|c| Axis::Flat(c.as_str())));
        if timeliness {
            // Within the deadline or not: suppressed with the table, so that neither part of a
            // shown count of cases can be worked out from the other.
            axes.push(Axis::Flat(SPLIT));
        }
        // The funnel's steps are not parts of a whole (a case is at several): each step is a
        // table of its own. The same for timeliness.
        let separate =
            matches!(indicator, Indicator::Funnel | Indicator::Timeliness).then_some(dims.len());
        let mut leaves: Vec<(Vec<String>, Counted)> = Vec::new();
        for (key, t) in &tallies {
            if timeliness {
                let within = Counted {
                    n: t.within,
                    keys: t.within_keys,
                };
                let late = Counted {
                    n: t.late,
                    keys: t.late_keys,
                };
                // The rest of the cell's cases and of its keys (modulo 2³²).
                let unknown = Counted {
                    n: t.count - t.within - t.late,
                    keys: u64::from(goldaw_core::cell_key::cell_key(
                        t.keys.wrapping_sub(t.within_keys).wrapping_sub(t.late_keys),
                    )),
                };
                for (split, c) in [(WITHIN, within), (LATE, late), (NO_DEADLINE, unknown)] {
                    if c.n > 0 {
                        let mut k = key.clone();
                        k.push(split.to_owned());
                        leaves.push((k, c));
                    }
                }
            } else {
                leaves.push((
                    key.clone(),
                    Counted {
                        n: t.count,
                        keys: t.keys,
                    },
                ));
            }
        }
        let provider_at = columns
            .iter()
            .position(|c| *c == Column::Provider)
            .map(|i| dims.len() + i);
        let gbv = tallies.keys().any(|key| {
            dims.iter().zip(key).any(|(d, v)| is_gbv_value(*d, v))
                || provider_at.is_some_and(|i| gbv_providers.contains(&key[i]))
        });
        let rule = self.indicator_rule(principal, suppression, gbv)?;
        let layout = Layout { axes, separate };
        let counts = self.publish_counts(&layout, &leaves, rule, keys.is_some())?;
        // Units add up like counts; their totals are those of the same cells. They are shown
        // where the episodes are, as delivered (docs/statistics.md, "Differencing").
        let units = if indicator == Indicator::Episodes {
            let units: Vec<(Vec<String>, Counted)> = tallies
                .iter()
                .map(|(k, t)| {
                    let c = Counted {
                        n: t.units,
                        keys: 0,
                    };
                    (k.clone(), c)
                })
                .collect();
            Some(self.publish_counts(&layout, &units, Rule::OFF, false)?)
        } else {
            None
        };
        // The figures of the cell at `k` (one entry per dimension and own column; `None` = the
        // total), with its tally when it is a leaf (medians are given for leaves only).
        let figures = |k: &[Option<&str>], t: Option<&goldaw_core::indicators::Tally>| {
            let mut k = k.to_vec();
            if timeliness {
                k.push(None);
            }
            let count = counts.get(&k);
            match indicator {
                Indicator::Priority | Indicator::ReferralSources | Indicator::Outcomes => {
                    // The share of the row among all values of the own column.
                    let mut whole = k.clone();
                    whole[dims.len()] = None;
                    vec![
                        count_figure(count),
                        ratio_figure(count, counts.get(&whole), 100.0),
                    ]
                }
                Indicator::Episodes => {
                    let delivered = units.as_ref().and_then(|u| u.get(&k));
                    vec![
                        count_figure(count),
                        match (count, delivered) {
                            (Some(Published::Shown { .. }), Some(d)) => count_figure(Some(d)),
                            (Some(Published::Suppressed { reason }), _) => Figure::Count {
                                value: Published::Suppressed { reason },
                            },
                            _ => Figure::None,
                        },
                    ]
                }
                Indicator::Timeliness => {
                    let median = match (count, t.and_then(|t| t.median_days())) {
                        (Some(Published::Shown { .. }), Some(m)) => Figure::number(m),
                        (Some(Published::Suppressed { reason }), Some(_)) => Figure::Number {
                            value: Published::Suppressed { reason },
                        },
                        _ => Figure::None,
                    };
                    let with_split = |split: &'static str| {
                        let mut key = k.clone();
                        if let Some(last) = key.last_mut() {
                            *last = Some(split);
                        }
                        counts.get(&key)
                    };
                    // A value of the split that no case of the table took is a zero.
                    let zero = Published::Shown { value: 0 };
                    let within = with_split(WITHIN).unwrap_or(zero);
                    let late = with_split(LATE).unwrap_or(zero);
                    let undated = with_split(NO_DEADLINE).unwrap_or(zero);
                    let (within, share) = match (t, within, late, undated) {
                        // No deadline applied to any case of the cell: nothing to be within.
                        (Some(t), ..) if t.within + t.late == 0 => (Figure::None, Figure::None),
                        (None, Published::Shown { value: 0 }, Published::Shown { value: 0 }, _) => {
                            (Figure::None, Figure::None)
                        }
                        // A share is of the cases a deadline applied to: all of them, or unknown.
                        (_, w, _, Published::Shown { value: 0 }) => {
                            (count_figure(Some(w)), ratio_figure(Some(w), count, 100.0))
                        }
                        (_, w, ..) => (count_figure(Some(w)), Figure::None),
                    };
                    vec![count_figure(count), median, within, share]
                }
                _ => vec![count_figure(count)],
            }
        };
        let leaf_places = leaf_places(dims, tallies.keys());
        let (leaf_cells, total_cells): (Vec<_>, Vec<_>) = counts
            .cells()
            .into_iter()
            .filter(|(key, _)| !timeliness || key.last() == Some(&None))
            .map(|(mut key, _)| {
                if timeliness {
                    key.pop();
                }
                key
            })
            .partition(|key| !is_total(dims, key, &leaf_places));
        let row_of = |key: &[Option<String>], t: Option<&goldaw_core::indicators::Tally>| {
            let k: Vec<Option<&str>> = key.iter().map(Option::as_deref).collect();
            TableRow {
                values: key
                    .iter()
                    .map(|v| v.clone().unwrap_or_else(|| TOTAL.to_owned()))
                    .collect(),
                figures: figures(&k, t),
            }
        };
        let rule = if counts.hides_zeros() {
            rule.hiding_zeros()
        } else {
            rule
        };
        let mut rows: Vec<TableRow> = if rule.hides_zeros() {
            // Every leaf, the empty ones too: hidden like the small ones.
            leaf_cells
                .iter()
                .map(|key| {
                    let values: Vec<String> = key.iter().flatten().cloned().collect();
                    row_of(key, tallies.get(&values))
                })
                .collect()
        } else {
            tallies
                .iter()
                .map(|(key, t)| {
                    let key: Vec<Option<String>> = key.iter().cloned().map(Some).collect();
                    row_of(&key, Some(t))
                })
                .collect()
        };
        rows.sort_by(|a, b| a.values.cmp(&b.values));
        let mut totals: Vec<TableRow> = total_cells.iter().map(|key| row_of(key, None)).collect();
        totals.sort_by(|a, b| a.values.cmp(&b.values));
        Ok(Built {
            rows,
            totals,
            rule,
            notes: if gathered.imported {
                vec![Note::ImportedCasesDatedAtOpening]
            } else {
                Vec::new()
            },
        })
    }

    /// Service users against the population of the same cell.
    #[tracing::instrument(skip_all)]
    async fn coverage(
        &self,
        principal: &Principal,
        range: &(String, String),
        period: &Period,
        dims: &[Dimension],
        suppression: Suppression,
        keys: Option<&RecordKeys>,
    ) -> StoreResult<Built> {
        // The same counts as the service-users report: one scan of the narrow table, and the
        // same record keys, so that a cell shows the same users in both.
        let counts = self
            .service_user_counts(&range.0, &range.1, period, dims, keys)
            .await?;
        let rule = self.indicator_rule(principal, suppression, false)?;
        let axes = dims.iter().map(|d| Axis::of(*d)).collect();
        let published = self.publish_counts(
            &Layout {
                axes,
                separate: None,
            },
            &counts,
            rule,
            keys.is_some(),
        )?;
        let denominators = self.denominators(period).await?;
        let scope = range.0.clone();
        let mut missing: BTreeSet<String> = BTreeSet::new();
        let mut figures = |k: &[Option<&str>]| {
            let value_of = |dim: Dimension| dims.iter().position(|d| *d == dim).and_then(|i| k[i]);
            let place = value_of(Dimension::AdminUnit)
                .or(value_of(Dimension::Velayat))
                .unwrap_or(&scope);
            let population = if value_of(Dimension::AgeBand) == Some("unknown") {
                None
            } else {
                denominators.of(
                    place,
                    value_of(Dimension::Sex),
                    value_of(Dimension::AgeBand),
                )
            };
            if population.is_none() {
                missing.insert(place.to_owned());
            }
            let users = published.get(k);
            let pop = population.map(|value| Published::Shown { value });
            vec![
                count_figure(users),
                count_figure(pop),
                ratio_figure(users, pop, 100_000.0),
                ratio_figure(users, pop, 100.0),
            ]
        };
        let leaf_places = leaf_places(dims, counts.iter().map(|(k, _)| k));
        let (leaf_cells, total_cells): (Vec<_>, Vec<_>) = published
            .cells()
            .into_iter()
            .map(|(key, _)| key)
            .partition(|key| !is_total(dims, key, &leaf_places));
        let rule = if published.hides_zeros() {
            rule.hiding_zeros()
        } else {
            rule
        };
        let mut row_of = |key: &[Option<String>]| {
            let k: Vec<Option<&str>> = key.iter().map(Option::as_deref).collect();
            TableRow {
                values: key
                    .iter()
                    .map(|v| v.clone().unwrap_or_else(|| TOTAL.to_owned()))
                    .collect(),
                figures: figures(&k),
            }
        };
        let mut rows: Vec<TableRow> = if rule.hides_zeros() {
            leaf_cells.iter().map(|key| row_of(key)).collect()
        } else {
            counts
                .iter()
                .map(|(values, _)| {
                    let key: Vec<Option<String>> = values.iter().cloned().map(Some).collect();
                    row_of(&key)
                })
                .collect()
        };
        rows.sort_by(|a, b| a.values.cmp(&b.values));
        let mut totals: Vec<TableRow> = total_cells.iter().map(|key| row_of(key)).collect();
        totals.sort_by(|a, b| a.values.cmp(&b.values));
        let mut notes = Vec::new();
        if let Some(year) = denominators.year {
            notes.push(Note::PopulationYear { year });
        }
        if !missing.is_empty() {
            notes.push(Note::PopulationNotAvailable {
                units: missing.into_iter().collect(),
            });
        }
        Ok(Built {
            rows,
            totals,
            rule,
            notes,
        })
    }

    /// The rule for an indicator's table: the standard one, the strict one for a table that
    /// shows cells about gender-based violence or child protection (`gbv`), or none for those
    /// with the unsuppressed grant who ask for none.
    pub(crate) fn indicator_rule(
        &self,
        principal: &Principal,
        suppression: Suppression,
        gbv: bool,
    ) -> StoreResult<Rule> {
        may_ask(principal, suppression)?;
        match suppression {
            Suppression::MinCell(k) if k <= 1 => Ok(Rule::OFF),
            // A higher threshold than the strict rule's is kept, with its protection.
            Suppression::MinCell(k) if gbv && k > Rule::SENSITIVE.threshold() => {
                Rule::new(k, Rule::SENSITIVE.protection())
                    .map(Rule::hiding_zeros)
                    .map_err(|_| protection_refused(k, Rule::SENSITIVE.protection()))
            }
            _ if gbv => Ok(Rule::SENSITIVE),
            Suppression::Standard => Ok(Rule::STANDARD),
            Suppression::MinCell(k) => Rule::new(k, 1).map_err(|_| protection_refused(k, 1)),
        }
    }
}

/// The refusal of a split the indicator does not accept (`Indicator::check_dimensions`).
fn dimension_refused(indicator: Indicator, dims: &[Dimension]) -> StoreError {
    let accepted = indicator.dimensions();
    let dimension = dims
        .iter()
        .find(|d| !accepted.contains(d))
        .map(|d| d.as_str())
        .unwrap_or_default();
    let accepted: Vec<&str> = accepted.iter().map(|d| d.as_str()).collect();
    StoreError::refuse(
        "by",
        "store-indicator-dimension",
        vec![
            ("indicator", SayArg::Text(indicator.as_str().to_owned())),
            ("dimension", SayArg::Text(dimension.to_owned())),
            ("detail", SayArg::Text(accepted.join(", "))),
        ],
    )
}

/// The refusal of a threshold too low for the protection the rule needs (`Rule::new`): a hidden
/// count lies in 1..threshold-1, which must leave room for `protection`.
fn protection_refused(threshold: u64, protection: u64) -> StoreError {
    StoreError::refuse(
        "min_cell",
        "store-min-cell-protection",
        vec![
            ("limit", SayArg::Number(threshold as i64)),
            ("to", SayArg::Number(threshold.saturating_sub(1) as i64)),
            ("number", SayArg::Number(protection as i64 + 2)),
        ],
    )
}

/// Whether the principal may ask for this suppression: none, or a threshold below the standard
/// one, needs the unsuppressed grant. Checked before anything else (a period, the counts), so
/// that a reader who never may is told so (403) whatever else the question holds.
pub(crate) fn may_ask(principal: &Principal, suppression: Suppression) -> StoreResult<()> {
    match suppression {
        _ if principal.may(Permission::ReadUnsuppressed) => Ok(()),
        Suppression::MinCell(k) if k <= 1 => Err(StoreError::Forbidden(
            "statistics without small-cell suppression need the unsuppressed grant".into(),
        )),
        // A threshold below the standard one weakens the protection: the same grant.
        Suppression::MinCell(k) if k < Rule::STANDARD.threshold() => {
            Err(StoreError::Forbidden(format!(
                "a threshold below {} needs the grant to see unsuppressed statistics",
                Rule::STANDARD.threshold()
            )))
        }
        _ => Ok(()),
    }
}

/// What an indicator's own part yields.
struct Built {
    rows: Vec<TableRow>,
    totals: Vec<TableRow>,
    rule: Rule,
    notes: Vec<Note>,
}

/// The value of a column in a total row, for "all values".
pub const TOTAL: &str = "total";

/// The place values of the leaves (the admin_unit column), to tell them from the velayats they
/// roll up to.
fn leaf_places<'a>(
    dims: &[Dimension],
    keys: impl Iterator<Item = &'a Vec<String>>,
) -> BTreeSet<String> {
    match dims.iter().position(|d| *d == Dimension::AdminUnit) {
        Some(i) => keys.map(|k| k[i].clone()).collect(),
        None => BTreeSet::new(),
    }
}

/// Whether a cell of the full table is a total: some column summed over, or a place that is
/// not a leaf (a velayat the etraps roll up to).
fn is_total(dims: &[Dimension], key: &[Option<String>], leaf_places: &BTreeSet<String>) -> bool {
    key.iter().any(Option::is_none)
        || dims
            .iter()
            .position(|d| *d == Dimension::AdminUnit)
            .is_some_and(|i| key[i].as_ref().is_some_and(|v| !leaf_places.contains(v)))
}

/// The hidden axis of timeliness and its values.
const SPLIT: &str = "deadline";
const WITHIN: &str = "within";
const LATE: &str = "late";
const NO_DEADLINE: &str = "no_deadline";

/// The audit action of a report read.
fn audit_action(indicator: Indicator) -> &'static str {
    match indicator {
        Indicator::ServiceUsers => "report.service_users",
        Indicator::Coverage => "report.coverage",
        Indicator::Funnel => "report.funnel",
        Indicator::Priority => "report.priority",
        Indicator::ReferralSources => "report.referral_sources",
        Indicator::Episodes => "report.episodes",
        Indicator::Caseload => "report.caseload",
        Indicator::Timeliness => "report.timeliness",
        Indicator::Outcomes => "report.outcomes",
    }
}
