//! Figures of the statistics dashboard (issue #5) that are not indicators of their own.

use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::scope::unit_range;
use crate::Store;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::disclosure::{Published, Reason, Rule};

impl Store {
    /// Cases open now (any status but closed) in the principal's area, published like any
    /// statistic: a count from 1 to 4 is withheld. Sensitive cases count too, without anything
    /// that says which they are. Audited as a report read.
    pub async fn open_cases(&self, principal: &Principal) -> StoreResult<Published<u64>> {
        require(principal, Permission::ReadReports)?;
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        // The (admin_unit, status) index answers this without reading the cases.
        let sql = "SELECT COUNT(*) FROM cases WHERE admin_unit >= $1 AND admin_unit < $2 AND status <> 'closed'";
        let n: i64 = with_db!(self.db(), pool => {
            sqlx::query_scalar(sql).bind(&lo).bind(&hi).fetch_one(pool).await?
        });
        let n = u64::try_from(n).unwrap_or(0);
        self.audit(
            principal,
            AuditEvent::plain("report.open_cases").with_detail(format!("in {lo}")),
        )
        .await?;
        let threshold = Rule::STANDARD.threshold();
        Ok(if (1..threshold).contains(&n) {
            Published::Suppressed {
                reason: Reason::Primary,
            }
        } else {
            Published::Shown { value: n }
        })
    }
}
