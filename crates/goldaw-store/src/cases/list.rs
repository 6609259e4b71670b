//! The list of cases in the reader's scope, the soonest due first.

use super::read::{clocks_of, scoped, CaseRow, CASE_COLUMNS, CASE_FROM};
use super::{corrupt, full_name, parse_opt};
use crate::audit::AuditEvent;
use crate::error::StoreResult;
use crate::people::require;
use crate::scope::unit_range;
use crate::Store;
use chrono::{NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::codes::{CaseStatus, Priority};
use goldaw_core::deadlines::Due;
use serde::Serialize;
use uuid::Uuid;

/// One line of a case list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseSummary {
    pub id: Uuid,
    pub number: String,
    pub person_name: Option<String>,
    pub admin_unit: String,
    pub status: CaseStatus,
    pub priority: Option<Priority>,
    pub sensitive: bool,
    pub worker: Option<String>,
    pub opened_on: NaiveDate,
    /// The next step due, if any.
    pub next_due: Option<Due>,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub status: Option<CaseStatus>,
    /// Only the cases assigned to the principal.
    pub mine: bool,
    /// Only cases with no worker yet.
    pub unallocated: bool,
    /// The case number, exactly.
    pub number: Option<String>,
    pub include_closed: bool,
    pub limit: u32,
    pub offset: u32,
}

impl Store {
    /// Cases in scope, the soonest due first.
    #[tracing::instrument(skip_all)]
    pub async fn list_cases(
        &self,
        principal: &Principal,
        query: &CaseQuery,
    ) -> StoreResult<Vec<CaseSummary>> {
        require(principal, Permission::ReadCases)?;
        let Some((lo, hi)) = unit_range(principal) else {
            return Ok(Vec::new());
        };
        let mut sql = format!(
            "SELECT {CASE_COLUMNS} {CASE_FROM} WHERE {}",
            scoped(principal)
        );
        let mut next = 4;
        if query.status.is_some() {
            sql.push_str(&format!(" AND c.status = ${next}"));
            next += 1;
        } else if !query.include_closed {
            sql.push_str(" AND c.status <> 'closed'");
        }
        if query.mine {
            sql.push_str(" AND c.worker_user_id = $3");
        }
        if query.unallocated {
            sql.push_str(" AND c.worker_user_id IS NULL");
        }
        if query.number.is_some() {
            sql.push_str(&format!(" AND c.external_id = ${next}"));
            next += 1;
        }
        sql.push_str(&format!(
            " ORDER BY c.opened_on DESC, c.external_id LIMIT ${next} OFFSET ${}",
            next + 1
        ));
        let limit = i64::from(query.limit.clamp(1, crate::people::MAX_PAGE));
        let rows: Vec<CaseRow> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&sql).bind(&lo).bind(&hi).bind(principal.user_id);
            if let Some(s) = query.status {
                q = q.bind(s.as_str());
            }
            if let Some(n) = &query.number {
                q = q.bind(n);
            }
            q.bind(limit).bind(i64::from(query.offset)).fetch_all(pool).await?
        });
        let now = Utc::now();
        let deadlines = self.deadlines();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let status: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
            let priority = parse_opt::<Priority>("priority", row.priority.as_deref())?;
            let clocks = clocks_of(&row, status, priority);
            let restricted = row.restricted_for(principal);
            out.push(CaseSummary {
                id: row.id,
                person_name: (!restricted)
                    .then(|| full_name(&row.given_name, row.family_name.as_deref())),
                number: row.external_id,
                admin_unit: row.admin_unit,
                status,
                priority,
                sensitive: row.sensitive,
                worker: row.worker,
                opened_on: row.opened_on,
                next_due: deadlines.pending(&clocks, now).into_iter().next(),
            });
        }
        let ids: Vec<String> = out.iter().map(|c| c.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain("case.list").with_detail(format!(
                "{} listed: {}",
                ids.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(out)
    }
}
