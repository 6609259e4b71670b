//! Suppression of a table: primary suppression of small counts, secondary suppression until no
//! hidden count can be worked out, and the suppressed table as it is published.

use super::audit::audit;
use super::rule::{Published, PublishedRow, Reason, Rule};
use super::table::{Dimension, Key, Table};
use crate::ParseError;
use std::collections::{HashMap, VecDeque};

/// A table after suppression. It holds the true counts so that rates can be derived, but gives
/// them out only as [`Published`] figures.
#[derive(Debug, Clone)]
pub struct SuppressedTable {
    pub(super) table: Table,
    pub(super) rule: Rule,
    pub(super) hidden: Vec<Option<Reason>>,
    /// The shown counts after cell-key perturbation ([`SuppressedTable::perturbed`]), if any.
    pub(super) perturbed: Option<Vec<u64>>,
}

impl SuppressedTable {
    /// The rule applied; it hides zeros if the requested one could not protect the table
    /// with zeros shown. Publish it with the table: readers need to know what a hidden cell
    /// can hold.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    pub fn dimensions(&self) -> &[Dimension] {
        self.table.dimensions()
    }

    pub fn get(&self, key: &[Option<&str>]) -> Option<Published<u64>> {
        self.table.index_of(key).map(|i| self.published(i))
    }

    /// Every cell, marginals included, as it is published.
    pub fn rows(&self) -> impl Iterator<Item = PublishedRow> + '_ {
        (0..self.table.len()).map(|i| PublishedRow {
            key: self.table.key_of(i),
            count: self.published(i),
        })
    }

    /// How many cells are withheld, for each reason: `(primary, secondary)`.
    pub fn suppressed_counts(&self) -> (usize, usize) {
        let primary = self
            .hidden
            .iter()
            .filter(|h| **h == Some(Reason::Primary))
            .count();
        let secondary = self
            .hidden
            .iter()
            .filter(|h| **h == Some(Reason::Secondary))
            .count();
        (primary, secondary)
    }

    /// Keys of the small hidden counts that the audit's attacker can narrow to a range narrower
    /// than the rule allows. Empty for every table [`suppress`] returns; callers may check it
    /// again before release.
    pub fn unprotected(&self) -> Vec<Key> {
        audit(&self.table, &self.hidden, self.rule)
            .into_iter()
            .map(|i| self.table.key_of(i))
            .collect()
    }

    /// Whether the shown counts are perturbed.
    pub fn is_perturbed(&self) -> bool {
        self.perturbed.is_some()
    }

    /// The table as a reader without the unsuppressed grant gets it: every shown count perturbed
    /// by its cell key (`crate::cell_key`), a total as a cell of its own. `keys` is the same
    /// table (the same dimensions and values) built from the sums of the record keys of each
    /// leaf's records instead of their counts ([`crate::cell_key::Counted::keys`]), so that
    /// every total's entry is the sum of the keys of every record in it. A count the noise takes
    /// below the threshold is hidden as secondary; hidden cells stay hidden, zeros stay zero.
    /// The suppression pattern was chosen on the true counts, and the audit's attacker, who was
    /// given those exactly, is only weaker against perturbed ones.
    pub fn perturbed(mut self, keys: &Table) -> Result<SuppressedTable, ParseError> {
        if keys.dimensions != self.table.dimensions {
            return Err(ParseError::new(
                "the record keys are not of the same table as the counts",
            ));
        }
        let mut shown = self.table.counts.clone();
        for (cell, value) in shown.iter_mut().enumerate() {
            if self.hidden[cell].is_some() {
                continue;
            }
            let key = crate::cell_key::cell_key(keys.counts[cell]);
            match crate::cell_key::release(*value, Some(key), self.rule) {
                Published::Shown { value: v } => *value = v,
                Published::Suppressed { reason } => self.hidden[cell] = Some(reason),
            }
        }
        self.perturbed = Some(shown);
        Ok(self)
    }

    pub(super) fn published(&self, cell: usize) -> Published<u64> {
        match self.hidden[cell] {
            Some(reason) => Published::Suppressed { reason },
            None => Published::Shown {
                value: match &self.perturbed {
                    Some(shown) => shown[cell],
                    None => self.table.counts[cell],
                },
            },
        }
    }
}

/// Suppression could not protect every small count: the table must not be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} small counts could still be worked out after suppression: the table cannot be published", .0.len())]
pub struct Unprotectable(pub Vec<Key>);

/// Applies the rule: primary suppression of small counts, secondary suppression until no
/// relation has exactly one hidden cell, then the audit, hiding more cells until the attacker
/// cannot narrow any small hidden count below the rule's protection. When that is impossible
/// with zeros shown, the table is suppressed again with zeros hidden (see [`Rule::hiding_zeros`]);
/// [`SuppressedTable::rule`] says which rule was applied in the end.
pub fn suppress(table: &Table, rule: Rule) -> Result<SuppressedTable, Unprotectable> {
    match suppress_with(table, rule) {
        Err(_) if !rule.hide_zeros && !rule.is_off() => suppress_with(table, rule.hiding_zeros()),
        done => done,
    }
}

fn suppress_with(table: &Table, rule: Rule) -> Result<SuppressedTable, Unprotectable> {
    let mut hidden = primary(table, rule);
    if rule.is_off() {
        return Ok(SuppressedTable {
            table: table.clone(),
            rule,
            hidden,
            perturbed: None,
        });
    }
    let seeds: Vec<usize> = (0..table.len()).filter(|&i| hidden[i].is_some()).collect();
    close_singletons(table, &mut hidden, seeds);
    loop {
        let failing = audit(table, &hidden, rule);
        if failing.is_empty() {
            break;
        }
        let mut added = Vec::new();
        for cell in failing {
            if let Some(extra) = nearest_visible(table, &hidden, cell) {
                if hidden[extra].is_none() {
                    hidden[extra] = Some(Reason::Secondary);
                    added.push(extra);
                }
            }
        }
        if added.is_empty() {
            let keys = audit(table, &hidden, rule)
                .into_iter()
                .map(|i| table.key_of(i))
                .collect();
            return Err(Unprotectable(keys));
        }
        close_singletons(table, &mut hidden, added);
    }
    Ok(SuppressedTable {
        table: table.clone(),
        rule,
        hidden,
        perturbed: None,
    })
}

/// Primary suppression: every count from 1 to threshold − 1, and zeros when the rule says so.
/// By default zeros are shown: a zero names nobody, and many zeros are known to every reader
/// anyway (no men among the users of a service for women).
pub(super) fn primary(table: &Table, rule: Rule) -> Vec<Option<Reason>> {
    table
        .counts
        .iter()
        .map(|&c| rule.is_small(c).then_some(Reason::Primary))
        .collect()
}

/// Secondary suppression, first stage: while some relation has exactly one hidden cell (which
/// is then its total minus its visible parts, or the other way round), hide the smallest
/// non-zero visible cell of that relation. A zero is never chosen: hidden or not, every reader
/// can put it at 0 when zeros are shown elsewhere, and a relation whose only other cells are
/// zeros still has a non-zero total or part to hide (the hidden cell is non-zero, and so is the
/// sum it belongs to). Only relations touching a newly hidden cell are looked at again.
pub(super) fn close_singletons(table: &Table, hidden: &mut [Option<Reason>], seeds: Vec<usize>) {
    let mut queued = vec![false; table.relation_count()];
    let mut queue = VecDeque::new();
    let mut rels = Vec::new();
    let mut members = Vec::new();
    let push_relations_of =
        |cell: usize, queue: &mut VecDeque<usize>, queued: &mut [bool], rels: &mut Vec<usize>| {
            table.relations_of(cell, rels);
            for &r in rels.iter() {
                if !queued[r] {
                    queued[r] = true;
                    queue.push_back(r);
                }
            }
        };
    for cell in seeds {
        push_relations_of(cell, &mut queue, &mut queued, &mut rels);
    }
    while let Some(r) = queue.pop_front() {
        queued[r] = false;
        table.members(r, &mut members);
        let hidden_here = members.iter().filter(|&&m| hidden[m].is_some()).count();
        if hidden_here != 1 {
            continue;
        }
        let pick = members
            .iter()
            .copied()
            .filter(|&m| hidden[m].is_none() && table.counts[m] > 0)
            .min_by_key(|&m| (table.counts[m], m));
        if let Some(pick) = pick {
            hidden[pick] = Some(Reason::Secondary);
            push_relations_of(pick, &mut queue, &mut queued, &mut rels);
        }
    }
}

/// The visible non-zero cell closest to `cell` through relations (breadth first, smallest count
/// first among equally close ones), for when the attacker can still narrow `cell` down.
fn nearest_visible(table: &Table, hidden: &[Option<Reason>], cell: usize) -> Option<usize> {
    let mut seen = HashMap::new();
    seen.insert(cell, ());
    let mut frontier = vec![cell];
    let (mut rels, mut members) = (Vec::new(), Vec::new());
    while !frontier.is_empty() {
        let mut next = Vec::new();
        let mut best: Option<usize> = None;
        for &c in &frontier {
            table.relations_of(c, &mut rels);
            for &r in &rels {
                table.members(r, &mut members);
                for &m in &members {
                    if seen.insert(m, ()).is_some() {
                        continue;
                    }
                    if hidden[m].is_none() {
                        if table.counts[m] > 0
                            && best.is_none_or(|b| (table.counts[m], m) < (table.counts[b], b))
                        {
                            best = Some(m);
                        }
                    } else {
                        next.push(m);
                    }
                }
            }
        }
        if best.is_some() {
            return best;
        }
        frontier = next;
    }
    None
}
