//! Statistical disclosure control for published tables (issue #5, "Statistics for decisions").
//!
//! Reports are cross-tabulations of service users by place, sex, age band, disability, target
//! group, service and so on, published *with* every marginal total and with place rolled up
//! etrap → velayat → nation (INTERCHANGE.md, "Report semantics"). A count of 1 in "women 60+ with
//! a disability in etrap X who received GBV support" points at a person, so small counts are
//! hidden (primary suppression). Hiding them is not enough when totals are published: a hidden
//! cell is the total minus the visible parts. Secondary suppression hides further cells until no
//! hidden cell can be worked out from the published ones, and an audit attacks the result the
//! way a reader would before it is released. `docs/statistics.md` explains the method.
//!
//! A table is the full lattice of its dimensions: every combination of every value of every
//! dimension, where each dimension is a tree whose root is "total" (a flat dimension is a tree of
//! depth one; place is nation → velayat → etrap, or deeper). Each internal node gives one linear
//! relation per combination of the other dimensions: the cell at the node equals the sum of the
//! cells at its children. The lattice is stored densely, so a cell is an index and its relations
//! are found by arithmetic on that index — no relation list to scan.

mod audit;
mod rates;
mod rule;
mod suppress;
mod table;
#[cfg(test)]
mod tests;

pub use audit::LINEAR_AUDIT_LIMIT;
pub use rates::{rates, RateRow};
pub use rule::{Published, PublishedRow, Reason, Rule};
pub use suppress::{suppress, SuppressedTable, Unprotectable};
pub use table::{Dimension, Key, Table, MAX_CELLS};
