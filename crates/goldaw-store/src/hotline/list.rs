//! A line's calls, one call read, and the queue of call-backs due: reads of personal data,
//! audited as the ids shown.

use super::{CallRecord, CallRow, SELECT_CALL};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use uuid::Uuid;

/// The most calls one list shows.
const LIST_LIMIT: i64 = 500;

impl Store {
    /// The latest calls of a line the principal works on, newest first.
    #[tracing::instrument(skip_all, fields(line = %line))]
    pub async fn line_calls(
        &self,
        principal: &Principal,
        line: &str,
    ) -> StoreResult<Vec<CallRecord>> {
        let (line_id, code, _) = self.line_for(principal, None, Some(line)).await?;
        let sql = format!(
            "{SELECT_CALL} WHERE c.line_id = $1 ORDER BY c.received_at DESC, c.id DESC LIMIT $2"
        );
        let rows: Vec<CallRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(line_id).bind(LIST_LIMIT).fetch_all(pool).await?
        });
        self.calls_shown(principal, "hotline.calls", &code, rows)
            .await
    }

    /// One call, for the staff of its line.
    #[tracing::instrument(skip_all, fields(call = %id))]
    pub async fn call(&self, principal: &Principal, id: Uuid) -> StoreResult<CallRecord> {
        let (row, _) = self.call_row(principal, id).await?;
        let record = self.call_record(row)?;
        self.audit(
            principal,
            AuditEvent::on("hotline.call.read", "hotline_call", id),
        )
        .await?;
        Ok(record)
    }

    /// The follow-up calls of a call, oldest first: for its line's staff.
    #[tracing::instrument(skip_all, fields(call = %id))]
    pub async fn call_follow_ups(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<Vec<CallRecord>> {
        let (row, _) = self.call_row(principal, id).await?;
        let sql = format!(
            "{SELECT_CALL} WHERE c.follows_call_id = $1 AND c.line_id = $2
             ORDER BY c.received_at, c.id LIMIT $3"
        );
        let rows: Vec<CallRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).bind(row.line_id).bind(LIST_LIMIT).fetch_all(pool).await?
        });
        let line = row.line_code.clone();
        self.calls_shown(principal, "hotline.follow_ups", &line, rows)
            .await
    }

    /// The line's calls with a call-back agreed for `until` or before and no follow-up call
    /// since: its supervisors' queue, oldest first.
    #[tracing::instrument(skip_all, fields(line = %line))]
    pub async fn call_backs_due(
        &self,
        principal: &Principal,
        line: &str,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<CallRecord>> {
        let (line_id, code, sight) = self.line_for(principal, None, Some(line)).await?;
        if !sight.queue {
            return Err(StoreError::Forbidden(
                "the queue of call-backs is for the line's supervisors".into(),
            ));
        }
        let sql = format!(
            "{SELECT_CALL} WHERE c.line_id = $1 AND c.call_back_at IS NOT NULL AND c.call_back_at <= $2
               AND NOT EXISTS (SELECT 1 FROM hotline_calls f WHERE f.follows_call_id = c.id
                               AND f.received_at >= c.received_at)
             ORDER BY c.call_back_at, c.id LIMIT $3"
        );
        let rows: Vec<CallRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(line_id).bind(until).bind(LIST_LIMIT).fetch_all(pool).await?
        });
        self.calls_shown(principal, "hotline.call_backs", &code, rows)
            .await
    }

    async fn calls_shown(
        &self,
        principal: &Principal,
        action: &'static str,
        line: &str,
        rows: Vec<CallRow>,
    ) -> StoreResult<Vec<CallRecord>> {
        let out = rows
            .into_iter()
            .map(|r| self.call_record(r))
            .collect::<StoreResult<Vec<_>>>()?;
        let ids: Vec<String> = out.iter().map(|c| c.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain(action).with_detail(format!("{line}: {}", ids.join(" "))),
        )
        .await?;
        Ok(out)
    }
}
