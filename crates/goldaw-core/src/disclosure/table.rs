//! The table being protected: its dimensions (trees of values under "total") and the dense
//! lattice of counts, marginals included, where the relations "total = sum of parts" a cell takes
//! part in are found by arithmetic on its index.

use crate::ParseError;
use std::collections::HashMap;

/// The node index of "total" in every dimension.
pub(super) const TOTAL: usize = 0;

/// The largest table [`Table::from_leaves`] builds. A published table is read by people; one of
/// millions of cells is a mistake in the query, and would make the caller wait on suppression.
pub const MAX_CELLS: usize = 4_000_000;

/// One way of splitting a table (place, sex, age band, ...): a tree of values under "total".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    pub(super) name: String,
    /// Node `i >= 1` is `values[i - 1]`; node 0 is the total.
    pub(super) values: Vec<String>,
    /// Parent node of each node (the total's entry is unused).
    pub(super) parent: Vec<usize>,
    pub(super) children: Vec<Vec<usize>>,
    pub(super) index: HashMap<String, usize>,
    /// Internal nodes, deepest first: the order in which totals are summed from their parts.
    pub(super) rollup_order: Vec<usize>,
}

impl Dimension {
    /// A dimension whose values all add up directly to the total (sex, age band, service, ...).
    pub fn flat<S: AsRef<str>>(
        name: &str,
        values: impl IntoIterator<Item = S>,
    ) -> Result<Dimension, ParseError> {
        Dimension::hierarchy(name, values.into_iter().map(|v| (v, None)))
    }

    /// A dimension with a hierarchy, given as `(value, parent)` pairs in any order; `None` as
    /// parent means the value adds up directly to the total. For place: velayats have parent
    /// `None` (the nation is the total), etraps have their velayat. Leaves may sit at different
    /// depths (Ashgabat's boroughs under a city with velayat status).
    pub fn hierarchy<S: AsRef<str>>(
        name: &str,
        units: impl IntoIterator<Item = (S, Option<S>)>,
    ) -> Result<Dimension, ParseError> {
        let mut units: Vec<(String, Option<String>)> = units
            .into_iter()
            .map(|(v, p)| (v.as_ref().to_owned(), p.map(|p| p.as_ref().to_owned())))
            .collect();
        // Nodes are numbered in value order, whatever order the caller gives (callers build the
        // pairs from hash maps). Suppression breaks ties between equal cells by node number, so
        // the same counts must always hide the same cells: two publications of one table that
        // hid different complementary cells would, side by side, give the hidden ones away.
        units.sort_by(|a, b| a.0.cmp(&b.0));
        let mut index = HashMap::with_capacity(units.len());
        let mut values = Vec::with_capacity(units.len());
        for (value, _) in &units {
            if value.is_empty() {
                return Err(ParseError::new(format!(
                    "dimension '{name}' has an empty value"
                )));
            }
            if index.insert(value.clone(), values.len() + 1).is_some() {
                return Err(ParseError::new(format!(
                    "dimension '{name}' lists '{value}' twice"
                )));
            }
            values.push(value.clone());
        }
        if values.is_empty() {
            return Err(ParseError::new(format!("dimension '{name}' has no values")));
        }
        let mut parent = vec![TOTAL; values.len() + 1];
        let mut children = vec![Vec::new(); values.len() + 1];
        for (i, (value, up)) in units.iter().enumerate() {
            let p = match up {
                None => TOTAL,
                Some(up) => *index.get(up).ok_or_else(|| {
                    ParseError::new(format!(
                        "in dimension '{name}', the parent '{up}' of '{value}' is not listed"
                    ))
                })?,
            };
            parent[i + 1] = p;
            children[p].push(i + 1);
        }
        // Depth by walking up; a walk longer than the number of values is a cycle.
        let mut depth = vec![0usize; values.len() + 1];
        for node in 1..=values.len() {
            let (mut at, mut steps) = (node, 0);
            while at != TOTAL {
                at = parent[at];
                steps += 1;
                if steps > values.len() {
                    return Err(ParseError::new(format!(
                        "dimension '{name}' has a cycle through '{}'",
                        values[node - 1]
                    )));
                }
            }
            depth[node] = steps;
        }
        let mut rollup_order: Vec<usize> = (0..=values.len())
            .filter(|&n| !children[n].is_empty())
            .collect();
        rollup_order.sort_by_key(|&n| std::cmp::Reverse(depth[n]));
        Ok(Dimension {
            name: name.to_owned(),
            values,
            parent,
            children,
            index,
            rollup_order,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of nodes, the total included.
    pub(super) fn size(&self) -> usize {
        self.values.len() + 1
    }

    /// The value of a node; `None` for the total.
    pub(super) fn value(&self, node: usize) -> Option<&str> {
        node.checked_sub(1)
            .and_then(|i| self.values.get(i))
            .map(String::as_str)
    }

    pub(super) fn node_of(&self, value: Option<&str>) -> Option<usize> {
        match value {
            None => Some(TOTAL),
            Some(v) => self.index.get(v).copied(),
        }
    }
}

/// A cell's coordinates: one entry per dimension, `None` where the cell is the total over it.
pub type Key = Vec<Option<String>>;

/// Counts for every combination of every node of every dimension, marginals included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub(super) dimensions: Vec<Dimension>,
    /// `strides[d]`: how far apart in `counts` two cells differing by one node in dimension `d` are.
    pub(super) strides: Vec<usize>,
    pub(super) counts: Vec<u64>,
}

impl Table {
    /// Builds the table from counts at the leaves (the finest value of every dimension) and sums
    /// every total. Counts given twice for the same leaves are added, so a caller may pass one
    /// row per group or per person; leaves not given are zero.
    pub fn from_leaves<K, S>(
        dimensions: Vec<Dimension>,
        leaves: impl IntoIterator<Item = (K, u64)>,
    ) -> Result<Table, ParseError>
    where
        K: AsRef<[S]>,
        S: AsRef<str>,
    {
        if dimensions.is_empty() {
            return Err(ParseError::new("a table needs at least one dimension"));
        }
        for (i, d) in dimensions.iter().enumerate() {
            if dimensions[..i].iter().any(|e| e.name == d.name) {
                return Err(ParseError::new(format!(
                    "dimension '{}' is listed twice",
                    d.name
                )));
            }
        }
        let mut strides = vec![1usize; dimensions.len()];
        let mut cells = 1usize;
        for d in (0..dimensions.len()).rev() {
            strides[d] = cells;
            cells = cells
                .checked_mul(dimensions[d].size())
                .filter(|&c| c <= MAX_CELLS)
                .ok_or_else(|| {
                    ParseError::new(format!(
                        "the table would have more than {MAX_CELLS} cells: too many to publish"
                    ))
                })?;
        }
        let mut table = Table {
            dimensions,
            strides,
            counts: vec![0; cells],
        };
        for (key, count) in leaves {
            let key = key.as_ref();
            if key.len() != table.dimensions.len() {
                return Err(ParseError::new(format!(
                    "a key has {} values but the table has {} dimensions",
                    key.len(),
                    table.dimensions.len()
                )));
            }
            let mut at = 0;
            for ((d, dim), value) in table.dimensions.iter().enumerate().zip(key) {
                let value = value.as_ref();
                let node = dim.index.get(value).copied().ok_or_else(|| {
                    ParseError::new(format!("'{value}' is not a value of '{}'", dim.name))
                })?;
                if !dim.children[node].is_empty() {
                    return Err(ParseError::new(format!(
                        "'{value}' is not a finest value of '{}': counts are given at the \
                         finest level and summed upwards",
                        dim.name
                    )));
                }
                at += node * table.strides[d];
            }
            table.counts[at] = add(table.counts[at], count)?;
        }
        table.roll_up()?;
        Ok(table)
    }

    /// Sums every total from its parts, one dimension at a time, deepest nodes first, so that a
    /// total over several dimensions is the sum of totals already computed.
    fn roll_up(&mut self) -> Result<(), ParseError> {
        for d in 0..self.dimensions.len() {
            let stride = self.strides[d];
            let block = stride * self.dimensions[d].size();
            for &node in &self.dimensions[d].rollup_order {
                for base in (0..self.counts.len()).step_by(block) {
                    for inner in 0..stride {
                        let mut sum = 0u64;
                        for &child in &self.dimensions[d].children[node] {
                            sum = add(sum, self.counts[base + child * stride + inner])?;
                        }
                        self.counts[base + node * stride + inner] = sum;
                    }
                }
            }
        }
        Ok(())
    }

    pub fn dimensions(&self) -> &[Dimension] {
        &self.dimensions
    }

    /// Number of cells, marginals included.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The count at a key (`None` in a position = the total over that dimension).
    pub fn get(&self, key: &[Option<&str>]) -> Option<u64> {
        self.index_of(key).map(|i| self.counts[i])
    }

    /// Every cell with its key, in storage order (the total of a dimension before its values).
    pub fn cells(&self) -> impl Iterator<Item = (Key, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, &c)| (self.key_of(i), c))
    }

    pub(super) fn index_of(&self, key: &[Option<&str>]) -> Option<usize> {
        if key.len() != self.dimensions.len() {
            return None;
        }
        let mut at = 0;
        for (d, value) in key.iter().enumerate() {
            at += self.dimensions[d].node_of(*value)? * self.strides[d];
        }
        Some(at)
    }

    pub(super) fn node(&self, cell: usize, d: usize) -> usize {
        (cell / self.strides[d]) % self.dimensions[d].size()
    }

    pub(super) fn key_of(&self, cell: usize) -> Key {
        (0..self.dimensions.len())
            .map(|d| {
                self.dimensions[d]
                    .value(self.node(cell, d))
                    .map(str::to_owned)
            })
            .collect()
    }

    /// A relation is named by its total cell and the dimension along which it sums.
    pub(super) fn relation_id(&self, total: usize, d: usize) -> usize {
        total * self.dimensions.len() + d
    }

    pub(super) fn relation_count(&self) -> usize {
        self.counts.len() * self.dimensions.len()
    }

    /// The relations a cell takes part in: as the total of each dimension where its node has
    /// children, and as a part of its parent's relation in each dimension where it is not the
    /// total. At most two per dimension: this is the index of relations by cell.
    pub(super) fn relations_of(&self, cell: usize, out: &mut Vec<usize>) {
        out.clear();
        for d in 0..self.dimensions.len() {
            let dim = &self.dimensions[d];
            let node = self.node(cell, d);
            if !dim.children[node].is_empty() {
                out.push(self.relation_id(cell, d));
            }
            if node != TOTAL {
                let total = cell - node * self.strides[d] + dim.parent[node] * self.strides[d];
                out.push(self.relation_id(total, d));
            }
        }
    }

    /// The cells of a relation: its total first, then its parts.
    pub(super) fn members(&self, relation: usize, out: &mut Vec<usize>) {
        out.clear();
        let d = relation % self.dimensions.len();
        let total = relation / self.dimensions.len();
        let node = self.node(total, d);
        let base = total - node * self.strides[d];
        out.push(total);
        for &child in &self.dimensions[d].children[node] {
            out.push(base + child * self.strides[d]);
        }
    }

    /// Every relation of the table, for tests.
    #[cfg(test)]
    pub(super) fn all_relations(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.counts.len()).flat_map(move |cell| {
            (0..self.dimensions.len())
                .filter(move |&d| !self.dimensions[d].children[self.node(cell, d)].is_empty())
                .map(move |d| self.relation_id(cell, d))
        })
    }
}

fn add(a: u64, b: u64) -> Result<u64, ParseError> {
    a.checked_add(b)
        .ok_or_else(|| ParseError::new("a count is too large to add up"))
}
