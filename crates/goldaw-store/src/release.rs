//! How a reader's statistics are released (`goldaw_core::cell_key`, issue #16 item 10): every
//! statistics read (the reports and indicators, the charts over time, the dashboard's open
//! cases, the planning counts) asks [`Store::released`] first. Readers without the unsuppressed
//! grant get calendar periods only and perturbed counts; the record keys that perturb them come
//! from the operator's key, so they are summed where the rows are counted and never leave the
//! store.

use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use goldaw_core::access::Principal;
use goldaw_core::cell_key::{RecordKeys, Release};
use goldaw_core::statistics::Period;

/// The release of one read: exact, or protected with the keys to perturb with.
pub(crate) struct Released {
    pub keys: Option<RecordKeys>,
}

impl Released {
    /// Whether counts are perturbed (then `keys` is set).
    pub fn perturbs(&self) -> bool {
        self.keys.is_some()
    }
}

impl Store {
    /// The release of `principal`'s statistics over `period` (`None` for figures of now: the
    /// dashboard's open cases, the planning counts). Refuses a period that is not a calendar
    /// month, quarter or year to a reader without the unsuppressed grant (with the reason in
    /// the reader's language), and gives the record keys when the counts are to be perturbed.
    /// Without the operator's key a protected release cannot be made: `goldaw serve` always has
    /// one; a store opened without it answers such reads with a configuration error.
    pub(crate) fn released(
        &self,
        principal: &Principal,
        period: Option<&Period>,
    ) -> StoreResult<Released> {
        let release = Release::of(principal);
        if let Some(period) = period {
            // The one refusal whose English is not its en text yet: the core's sentence names
            // the calendar periods to ask instead (2025Q1, ...), which the API's callers read
            // and the en text (disclosure.ftl) lacks. To convert: give the text a `{ $detail }`
            // with those periods, then `StoreError::refuse`.
            release
                .check_period(period)
                .map_err(|e| StoreError::Invalid {
                    field: "period".to_owned(),
                    message: e.to_string(),
                    say: Some(crate::error::Say {
                        key: "disclosure-period-not-calendar",
                        args: vec![
                            ("from", SayArg::Text(e.from.to_string())),
                            ("to", SayArg::Text(e.to.to_string())),
                        ],
                    }),
                })?;
        }
        let keys = match release {
            Release::Exact => None,
            Release::Protected => Some(
                self.secrets("statistics for readers without the unsuppressed grant (counts are perturbed with a key derived from it)")?
                    .record_keys(),
            ),
        };
        Ok(Released { keys })
    }
}

/// PostgreSQL: the sum of the record keys (`RecordKeys::of`) of the UUID column `column`, modulo
/// 2³², as a BIGINT (0 over no rows, where `SUM` is NULL); the secret is bound as parameter
/// `$param` (bytea). `sha256` is built into PostgreSQL from version 11, so keys are summed where
/// the rows are grouped.
pub(crate) fn pg_key_sum(column: &str, param: usize) -> String {
    format!(
        "CAST(COALESCE(MOD(SUM(('x' || encode(substring(sha256(${param}::bytea || uuid_send({column})) from 1 for 4), 'hex'))::bit(32)::bigint), 4294967296), 0) AS BIGINT)"
    )
}
