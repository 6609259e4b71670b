//! How strictly a table is protected ([`Rule`]), and what a published figure is: a value, or
//! the reason it is withheld.

use super::table::Key;
use crate::codes::TargetGroup;
use crate::ParseError;
use serde::Serialize;

/// How strictly a table is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Counts from 1 to `threshold - 1` are hidden; 0 and 1 switch suppression off.
    pub(super) threshold: u64,
    /// How wide, at least, a reader's range for a small hidden count must stay after every
    /// published figure is used against it: `1` = it cannot be worked out exactly; `3` = at least
    /// four values remain possible.
    pub(super) protection: u64,
    /// Whether zeros below the threshold are hidden too. With zeros shown, a reader knows that a
    /// hidden small count is at least 1: someone is there. That is itself the secret in a table
    /// about violence, and it can pin counts down (four hidden parts of a hidden total below 5
    /// are each exactly 1), so hidden counts must then be able to be zero.
    pub(super) hide_zeros: bool,
}

impl Rule {
    /// Published tables in general: counts 1–4 hidden, and none can be worked out exactly.
    pub const STANDARD: Rule = Rule {
        threshold: 5,
        protection: 1,
        hide_zeros: false,
    };

    /// Tables about gender-based violence or child protection: counts 1–9 hidden, and a reader
    /// cannot narrow one down to fewer than four possible values. Zeros are hidden too, so a
    /// hidden cell does not even say that someone is there (`docs/statistics.md`).
    pub const SENSITIVE: Rule = Rule {
        threshold: 10,
        protection: 3,
        hide_zeros: true,
    };

    /// No suppression: for those with the grant to see unsuppressed statistics.
    pub const OFF: Rule = Rule {
        threshold: 0,
        protection: 0,
        hide_zeros: false,
    };

    /// A rule with another threshold. `protection` cannot exceed `threshold - 2`: a reader who
    /// is told a count was hidden as small already knows it lies in `1..=threshold-1`, so no
    /// amount of secondary suppression could leave a wider range than that.
    pub fn new(threshold: u64, protection: u64) -> Result<Rule, ParseError> {
        if threshold <= 1 {
            return Ok(Rule::OFF);
        }
        if protection > threshold - 2 {
            return Err(ParseError::new(format!(
                "with threshold {threshold} a hidden count is known to lie in 1..={}, so the \
                 protection can be at most {}",
                threshold - 1,
                threshold - 2
            )));
        }
        Ok(Rule {
            threshold,
            protection,
            hide_zeros: false,
        })
    }

    /// The same rule, hiding zeros as well (counts from 0 to threshold − 1).
    pub fn hiding_zeros(self) -> Rule {
        Rule {
            hide_zeros: !self.is_off(),
            ..self
        }
    }

    /// The rule for a table that shows these target groups: [`Rule::SENSITIVE`] as soon as one
    /// of them is sensitive (the groups whose records need the `sensitive` permission), since
    /// the table then says something about survivors of violence or children at risk.
    pub fn for_groups(groups: impl IntoIterator<Item = TargetGroup>) -> Rule {
        if groups.into_iter().any(TargetGroup::is_sensitive) {
            Rule::SENSITIVE
        } else {
            Rule::STANDARD
        }
    }

    pub fn threshold(&self) -> u64 {
        self.threshold
    }

    pub fn protection(&self) -> u64 {
        self.protection
    }

    pub fn hides_zeros(&self) -> bool {
        self.hide_zeros
    }

    pub fn is_off(&self) -> bool {
        self.threshold <= 1
    }

    /// Whether the rule hides `count` as small: 1 to threshold − 1, and 0 when it hides zeros.
    pub fn is_small(&self, count: u64) -> bool {
        !self.is_off() && count < self.threshold && (count >= 1 || self.hide_zeros)
    }

    /// The smallest value a reader can assume for a count hidden as small.
    pub(super) fn smallest_hidden(&self) -> i64 {
        if self.hide_zeros {
            0
        } else {
            1
        }
    }
}

impl Default for Rule {
    fn default() -> Self {
        Rule::STANDARD
    }
}

/// Why a cell is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The count itself is below the threshold: 1 to threshold − 1, or 0 to threshold − 1 when
    /// the rule hides zeros.
    Primary,
    /// The count is not small, but showing it would let a reader work out a small one.
    Secondary,
}

/// A published figure: its value, or why it is withheld. A CSV writes a withheld figure as an
/// empty cell; the API says why.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Published<T> {
    Shown { value: T },
    Suppressed { reason: Reason },
}

impl<T: Copy> Published<T> {
    /// The value, or `None` when withheld (an empty cell in a CSV).
    pub fn value(&self) -> Option<T> {
        match self {
            Published::Shown { value } => Some(*value),
            Published::Suppressed { .. } => None,
        }
    }

    pub fn is_suppressed(&self) -> bool {
        matches!(self, Published::Suppressed { .. })
    }
}

/// One row of a published table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedRow {
    pub key: Key,
    pub count: Published<u64>,
}
