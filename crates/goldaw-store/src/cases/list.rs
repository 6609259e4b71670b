//! The list of cases in the reader's scope, newest first, a page at a time (issue #24): sorted
//! and cut in the database on the index `cases_opened_number` (or `cases_unit_opened` in a small scope;
//! the unallocated ones on `cases_unallocated`),
//! the next page after the last case shown (a keyset cursor: opened on, number), so a page costs
//! the same at national scope as in one etrap, on page 1 or page 100.

use super::read::{clocks_of, scoped, CaseRow, CASE_COLUMNS, CASE_JOINS};
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
use goldaw_core::paging::{decode_cursor, encode_cursor};
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
    /// Rows to skip: kept for older API clients; `after` is the cheap way on.
    pub offset: u32,
    /// The `next` of the page before (a keyset cursor).
    pub after: Option<String>,
}

/// One page of cases.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseSummary>,
    /// Give it as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

impl Store {
    /// Cases in scope, newest first: one page ([`Store::case_page`]).
    pub async fn list_cases(
        &self,
        principal: &Principal,
        query: &CaseQuery,
    ) -> StoreResult<Vec<CaseSummary>> {
        Ok(self.case_page(principal, query).await?.items)
    }

    /// A page of the cases in scope, newest first (opened on, then number, both descending).
    #[tracing::instrument(skip_all)]
    pub async fn case_page(
        &self,
        principal: &Principal,
        query: &CaseQuery,
    ) -> StoreResult<CasePage> {
        require(principal, Permission::ReadCases)?;
        let after = match &query.after {
            Some(c) => {
                let f = decode_cursor(c, 2).map_err(|_| damaged())?;
                let day: NaiveDate = f[0].parse().map_err(|_| damaged())?;
                Some((day, f[1].clone()))
            }
            None => None,
        };
        let Some((lo, hi)) = unit_range(principal) else {
            return Ok(CasePage {
                items: Vec::new(),
                next: None,
            });
        };
        // In a velayat or the nation the scope reads the units as expressions no index answers,
        // so the database walks `cases_opened_number` in the list's order and stops at the
        // page's end, instead of sorting every case in scope (in an etrap, few: the unit index).
        let scope = if principal.role != Some(goldaw_core::codes::Role::Hotline)
            && lo.matches('-').count() < 2
        {
            "(((c.admin_unit || '') >= $1 AND (c.admin_unit || '') < $2)
              OR ((c.transfer_to || '') >= $1 AND (c.transfer_to || '') < $2))
             AND ($3 IS NULL OR $3 IS NOT NULL)"
        } else {
            scoped(principal)
        };
        // The page's cases are chosen from `cases` alone, then joined to their people and
        // workers: whatever plan the database picks, it joins a page of rows, not every case in
        // scope (PostgreSQL joined all 4,660 unallocated cases' people before sorting).
        let mut sql = format!("SELECT * FROM cases c WHERE {scope}");
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
            // The open ones are in `cases_unallocated` (migration 0036), in the list's order; its
            // condition is repeated word for word so both databases see that the index holds
            // every case asked for (a status asked for other than closed is open too).
            sql.push_str(" AND c.worker_user_id IS NULL");
            if query.status.is_some_and(|s| s != CaseStatus::Closed) {
                sql.push_str(" AND c.status <> 'closed'");
            }
        }
        if query.number.is_some() {
            sql.push_str(&format!(" AND c.external_id = ${next}"));
            next += 1;
        }
        if after.is_some() {
            sql.push_str(&format!(
                " AND (c.opened_on, c.external_id) < (${next}, ${})",
                next + 1
            ));
            next += 2;
        }
        const ORDER: &str = " ORDER BY c.opened_on DESC, c.external_id DESC";
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM ({sql}{ORDER} LIMIT ${next} OFFSET ${}) c {CASE_JOINS}{ORDER}",
            next + 1,
        );
        let limit = i64::from(query.limit.clamp(1, crate::people::MAX_PAGE));
        let mut rows: Vec<CaseRow> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&sql).bind(&lo).bind(&hi).bind(principal.user_id);
            if let Some(s) = query.status {
                q = q.bind(s.as_str());
            }
            if let Some(n) = &query.number {
                q = q.bind(n);
            }
            if let Some((day, number)) = &after {
                q = q.bind(day).bind(number);
            }
            q.bind(limit + 1).bind(i64::from(query.offset)).fetch_all(pool).await?
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last()
                .map(|r| encode_cursor(&[&r.opened_on.to_string(), &r.external_id]))
        } else {
            None
        };
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
        Ok(CasePage { items: out, next })
    }
}

/// A cursor that does not decode to a case's key.
fn damaged() -> crate::error::StoreError {
    crate::error::StoreError::refuse("after", "store-page-link-damaged", vec![])
}
