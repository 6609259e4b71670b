//! The referrals of a case, as its readers see them: newest first, a page at a time (issue #24)
//! on the index `service_referrals_case (case_id, sent_at, id)`, the next page after the last
//! referral shown (a keyset cursor: sent at, id).

use super::{ReferralRecord, ReferralRow, SELECT_REFERRAL};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use goldaw_core::access::Principal;
use goldaw_core::paging::{decode_cursor, encode_cursor, page_size, MAX_PAGE_SIZE};
use serde::Serialize;
use uuid::Uuid;

/// One page of a case's referrals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralPage {
    pub items: Vec<ReferralRecord>,
    /// Give it as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

fn damaged() -> StoreError {
    StoreError::refuse("after", "store-page-link-damaged", vec![])
}

impl Store {
    /// The referrals made from a case, newest first: the first page of the largest size (a case
    /// has a handful; [`Store::case_referral_page`] goes on).
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn case_referrals(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<Vec<ReferralRecord>> {
        Ok(self
            .case_referral_page(principal, case, None, Some(MAX_PAGE_SIZE))
            .await?
            .items)
    }

    /// A page of the referrals made from a case, newest first, after the cursor `after`.
    #[tracing::instrument(skip_all, fields(case = %case))]
    pub async fn case_referral_page(
        &self,
        principal: &Principal,
        case: Uuid,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> StoreResult<ReferralPage> {
        self.referral_case(principal, case).await?;
        let after = after
            .map(|c| {
                let f = decode_cursor(c, 2).map_err(|_| damaged())?;
                let at = DateTime::parse_from_rfc3339(&f[0])
                    .map_err(|_| damaged())?
                    .with_timezone(&Utc);
                let id: Uuid = f[1].parse().map_err(|_| damaged())?;
                Ok::<_, StoreError>((at, id))
            })
            .transpose()?;
        let limit = i64::from(page_size(limit));
        let sql = format!(
            "{SELECT_REFERRAL} WHERE r.case_id = $1{} ORDER BY r.sent_at DESC, r.id DESC LIMIT $2",
            if after.is_some() {
                " AND (r.sent_at, r.id) < ($3, $4)"
            } else {
                ""
            }
        );
        let mut rows: Vec<ReferralRow> = with_db!(self.db(), pool => {
            let mut q = sqlx::query_as(&sql).bind(case).bind(limit + 1);
            if let Some((at, id)) = after {
                q = q.bind(at).bind(id);
            }
            q.fetch_all(pool).await?
        });
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|r| {
                encode_cursor(&[
                    &r.sent_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                    &r.id.to_string(),
                ])
            })
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(|r| self.referral_record(principal, r))
            .collect::<StoreResult<Vec<_>>>()?;
        self.audit(principal, AuditEvent::on("referral.list", "case", case))
            .await?;
        Ok(ReferralPage { items, next })
    }

    /// Every referral of a case the caller was already allowed to read (the case file); not
    /// audited here.
    pub(crate) async fn referrals_of(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<Vec<ReferralRecord>> {
        let sql =
            format!("{SELECT_REFERRAL} WHERE r.case_id = $1 ORDER BY r.sent_at DESC, r.id DESC");
        let rows: Vec<ReferralRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(case).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|r| self.referral_record(principal, r))
            .collect()
    }
}
