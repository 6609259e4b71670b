//! The audit: attacks a suppressed table the way a reader would (interval propagation over the
//! relations, and exact elimination for combinations of relations) and names the small hidden
//! counts still narrowed down too far. One algorithm, kept whole; its tests are in `tests.rs`.

use super::rule::{Reason, Rule};
use super::table::Table;
use std::collections::{HashMap, VecDeque};

/// An upper bound standing for "unbounded".
pub(super) const UNBOUNDED: i64 = i64::MAX / 4;

/// The audit's attacker: what a reader can deduce about each cell from the published table.
///
/// The reader is assumed to know everything published, including the rule and *why* each cell
/// is hidden: a primary cell lies in `1..=threshold-1` (`0..` when zeros are hidden), a secondary
/// one is at least the threshold (secondary cells are never zero or small). Every relation "total = sum of parts" then bounds each of its
/// cells by the others' bounds; applying them until nothing changes (interval propagation) gives
/// a range containing every value consistent with the table. The propagation stops after a
/// generous number of steps on pathological inputs; the ranges are then wider than a patient
/// reader's, which is why tests also attack with an exact solver.
fn attack(table: &Table, hidden: &[Option<Reason>], rule: Rule) -> Vec<(i64, i64)> {
    let threshold = i64::try_from(rule.threshold).unwrap_or(UNBOUNDED);
    let mut bounds: Vec<(i64, i64)> = table
        .counts
        .iter()
        .zip(hidden)
        .map(|(&c, h)| match h {
            None => {
                let c = i64::try_from(c).unwrap_or(UNBOUNDED);
                (c, c)
            }
            Some(Reason::Primary) => (rule.smallest_hidden(), threshold - 1),
            Some(Reason::Secondary) => (threshold, UNBOUNDED),
        })
        .collect();
    let mut queued = vec![false; table.relation_count()];
    let mut queue = VecDeque::new();
    let mut rels = Vec::new();
    for cell in (0..table.len()).filter(|&i| hidden[i].is_some()) {
        table.relations_of(cell, &mut rels);
        for &r in &rels {
            if !queued[r] {
                queued[r] = true;
                queue.push_back(r);
            }
        }
    }
    let mut budget = queue.len().saturating_mul(1000).max(100_000);
    let mut members = Vec::new();
    let mut changed = Vec::new();
    while let Some(r) = queue.pop_front() {
        queued[r] = false;
        if budget == 0 {
            break;
        }
        budget -= 1;
        table.members(r, &mut members);
        tighten(&members, &mut bounds, &mut changed);
        for &c in &changed {
            table.relations_of(c, &mut rels);
            for &r2 in &rels {
                if !queued[r2] {
                    queued[r2] = true;
                    queue.push_back(r2);
                }
            }
        }
    }
    bounds
}

/// One step of interval propagation on `members[0] = sum(members[1..])`. Upper bounds at or
/// above [`UNBOUNDED`] count as infinite, so sums never overflow.
fn tighten(members: &[usize], bounds: &mut [(i64, i64)], changed: &mut Vec<usize>) {
    changed.clear();
    let (total, parts) = (members[0], &members[1..]);
    let mut lo_sum = 0i64;
    let mut hi_sum = 0i64;
    let mut unbounded_parts = 0usize;
    for &p in parts {
        lo_sum = lo_sum.saturating_add(bounds[p].0).min(UNBOUNDED);
        if bounds[p].1 >= UNBOUNDED {
            unbounded_parts += 1;
        } else {
            hi_sum += bounds[p].1;
        }
    }
    let parts_hi = if unbounded_parts > 0 {
        UNBOUNDED
    } else {
        hi_sum
    };
    let (t_lo, t_hi) = bounds[total];
    let new_total = (t_lo.max(lo_sum), t_hi.min(parts_hi));
    if new_total != bounds[total] {
        bounds[total] = new_total;
        changed.push(total);
    }
    let (t_lo, t_hi) = bounds[total];
    for &p in parts {
        let (lo, hi) = bounds[p];
        let others_hi = if unbounded_parts > usize::from(hi >= UNBOUNDED) {
            UNBOUNDED
        } else if hi >= UNBOUNDED {
            hi_sum
        } else {
            hi_sum - hi
        };
        let others_lo = lo_sum - lo;
        let new_lo = if others_hi >= UNBOUNDED {
            lo
        } else {
            lo.max(t_lo - others_hi)
        };
        let new_hi = if t_hi >= UNBOUNDED {
            hi
        } else {
            hi.min(t_hi - others_lo)
        };
        if (new_lo, new_hi) != (lo, hi) {
            bounds[p] = (new_lo, new_hi);
            changed.push(p);
        }
    }
}

/// The audit: small hidden counts that interval propagation narrows below the rule's
/// protection, or that some combination of relations determines exactly.
pub(super) fn audit(table: &Table, hidden: &[Option<Reason>], rule: Rule) -> Vec<usize> {
    let bounds = attack(table, hidden, rule);
    let mut failing = failures(hidden, &bounds, rule);
    failing.extend(linearly_determined(table, hidden));
    failing.sort_unstable();
    failing.dedup();
    failing
}

/// Components of hidden cells larger than this are not checked by [`linearly_determined`]: the
/// elimination is cubic in their size. Interval propagation still audits them.
pub const LINEAR_AUDIT_LIMIT: usize = 300;

/// A prime above any count, for exact elimination: relations have coefficients 0 and ±1, and no
/// minor of a system this size is a multiple of it.
const PRIME: u64 = (1 << 61) - 1;

fn mul_mod(a: u64, b: u64) -> u64 {
    let product = (u128::from(a) * u128::from(b)) % u128::from(PRIME);
    // Below PRIME, so it fits.
    u64::try_from(product).unwrap_or(0)
}

fn inverse_mod(a: u64) -> u64 {
    let (mut result, mut base, mut exp) = (1u64, a, PRIME - 2);
    while exp > 0 {
        if exp & 1 == 1 {
            result = mul_mod(result, base);
        }
        base = mul_mod(base, base);
        exp >>= 1;
    }
    result
}

/// Small hidden counts that a combination of relations determines exactly, whatever the bounds:
/// interval propagation looks at one relation at a time and misses, for example, a cell fixed by
/// adding two rows of a hierarchy and subtracting a column. A cell is determined exactly when
/// its unit vector lies in the row space of the relations restricted to the hidden cells; that
/// is decided by Gaussian elimination modulo a large prime, one connected component of hidden
/// cells at a time (components up to [`LINEAR_AUDIT_LIMIT`] cells).
fn linearly_determined(table: &Table, hidden: &[Option<Reason>]) -> Vec<usize> {
    // Union-find over hidden cells linked by a relation.
    let mut root: Vec<usize> = (0..table.len()).collect();
    fn find(root: &mut [usize], mut x: usize) -> usize {
        while root[x] != x {
            root[x] = root[root[x]];
            x = root[x];
        }
        x
    }
    let (mut rels, mut members) = (Vec::new(), Vec::new());
    for cell in (0..table.len()).filter(|&i| hidden[i].is_some()) {
        table.relations_of(cell, &mut rels);
        for &r in &rels {
            table.members(r, &mut members);
            for &m in &members {
                if hidden[m].is_some() {
                    let (a, b) = (find(&mut root, cell), find(&mut root, m));
                    root[a] = b;
                }
            }
        }
    }
    let mut components: HashMap<usize, Vec<usize>> = HashMap::new();
    for cell in (0..table.len()).filter(|&i| hidden[i].is_some()) {
        let r = find(&mut root, cell);
        components.entry(r).or_default().push(cell);
    }
    let mut determined = Vec::new();
    for cells in components.values() {
        if cells.len() > LINEAR_AUDIT_LIMIT
            || !cells.iter().any(|&c| hidden[c] == Some(Reason::Primary))
        {
            continue;
        }
        let column: HashMap<usize, usize> =
            cells.iter().enumerate().map(|(j, &c)| (c, j)).collect();
        let mut relations: Vec<usize> = Vec::new();
        for &cell in cells {
            table.relations_of(cell, &mut rels);
            relations.extend_from_slice(&rels);
        }
        relations.sort_unstable();
        relations.dedup();
        let n = cells.len();
        let mut rows: Vec<Vec<u64>> = relations
            .iter()
            .map(|&r| {
                table.members(r, &mut members);
                let mut row = vec![0u64; n];
                for (k, m) in members.iter().enumerate() {
                    if let Some(&j) = column.get(m) {
                        row[j] = if k == 0 { 1 } else { PRIME - 1 };
                    }
                }
                row
            })
            .collect();
        let mut pivots = Vec::new();
        let mut next = 0;
        for c in 0..n {
            let Some(p) = (next..rows.len()).find(|&i| rows[i][c] != 0) else {
                continue;
            };
            rows.swap(next, p);
            let f = inverse_mod(rows[next][c]);
            for v in rows[next].iter_mut() {
                *v = mul_mod(*v, f);
            }
            let pivot_row = rows[next].clone();
            for (i, row) in rows.iter_mut().enumerate() {
                if i != next && row[c] != 0 {
                    let f = row[c];
                    for (v, &p) in row.iter_mut().zip(&pivot_row) {
                        *v = (*v + PRIME - mul_mod(f, p)) % PRIME;
                    }
                }
            }
            pivots.push((next, c));
            next += 1;
        }
        let mut is_pivot = vec![false; n];
        for &(_, c) in &pivots {
            is_pivot[c] = true;
        }
        for (r, c) in pivots {
            let alone = (0..n).all(|j| is_pivot[j] || rows[r][j] == 0);
            if alone && hidden[cells[c]] == Some(Reason::Primary) {
                determined.push(cells[c]);
            }
        }
    }
    determined
}

/// Small hidden counts whose attacked range is narrower than the rule's protection.
fn failures(hidden: &[Option<Reason>], bounds: &[(i64, i64)], rule: Rule) -> Vec<usize> {
    let need = i64::try_from(rule.protection).unwrap_or(UNBOUNDED);
    (0..hidden.len())
        .filter(|&i| hidden[i] == Some(Reason::Primary) && bounds[i].1 - bounds[i].0 < need)
        .collect()
}
