//! Figures of the statistics dashboard (issue #5) that are not indicators of their own.

use crate::audit::AuditEvent;
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::release::pg_key_sum;
use crate::scope::unit_range;
use crate::Store;
use goldaw_core::access::{Permission, Principal};
use goldaw_core::cell_key::{self, Counted};
use goldaw_core::disclosure::{Published, Rule};

impl Store {
    /// Cases open now (any status but closed) in the principal's area, published like any
    /// statistic: a count from 1 to 4 is withheld, and for readers without the unsuppressed
    /// grant the count is perturbed by its cell key (the keys of the open cases), so that two
    /// days' figures do not tell how many cases opened or closed in between. Sensitive cases
    /// count too, without anything that says which they are. Audited as a report read.
    pub async fn open_cases(&self, principal: &Principal) -> StoreResult<Published<u64>> {
        require(principal, Permission::ReadReports)?;
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let released = self.released(principal, None)?;
        const WHERE: &str =
            "FROM cases WHERE admin_unit >= $1 AND admin_unit < $2 AND status <> 'closed'";
        let open = match (&released.keys, self.db()) {
            (None, db) => {
                // The (admin_unit, status) index answers this without reading the cases.
                let sql = format!("SELECT COUNT(*) {WHERE}");
                let n: i64 = with_db!(db, pool => {
                    sqlx::query_scalar(&sql).bind(&lo).bind(&hi).fetch_one(pool).await?
                });
                Counted {
                    n: u64::try_from(n).unwrap_or(0),
                    keys: 0,
                }
            }
            (Some(keys), Db::Postgres(pool)) => {
                let sql = format!("SELECT COUNT(*), {} {WHERE}", pg_key_sum("id", 3));
                let (n, sum): (i64, i64) = sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(keys.secret().to_vec())
                    .fetch_one(pool)
                    .await?;
                Counted {
                    n: u64::try_from(n).unwrap_or(0),
                    keys: u64::try_from(sum).unwrap_or(0),
                }
            }
            (Some(keys), Db::Sqlite(pool)) => {
                // SQLite has no hash function: the ids are keyed here.
                let sql = format!("SELECT id {WHERE}");
                let ids: Vec<uuid::Uuid> = sqlx::query_scalar(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_all(pool)
                    .await?;
                let mut open = Counted::default();
                for id in &ids {
                    open += Counted::one(keys.of(id));
                }
                open
            }
        };
        self.audit(
            principal,
            AuditEvent::plain("report.open_cases").with_detail(format!("in {lo}")),
        )
        .await?;
        Ok(cell_key::release(
            open.n,
            released.keys.as_ref().map(|_| open.cell_key()),
            Rule::STANDARD,
        ))
    }
}
