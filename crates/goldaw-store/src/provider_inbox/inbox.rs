//! The inbox of a provider's staff: the referrals to their organisation, a page at a time, and one
//! of them read.
//!
//! The order is the waiting list first (oldest first: the next to take when a place frees), then
//! new ones, then those accepted, started, and done. A page (issue #24) is one statement over the
//! index `service_referrals_provider (provider_id, status, sent_at, id)`: one range per status,
//! each cut at the page's size, merged in that order, so a page reads at most a page per status
//! whatever the organisation's history; the next page starts after the last key shown (a keyset
//! cursor: rank of the status, sent at, id). Whether consent closes a referral is read for the
//! whole page at once (`sharing.rs`).

use super::{provider_scope, ProviderReferral};
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::service_referrals::{ReferralRow, SELECT_REFERRAL};
use crate::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use goldaw_core::access::Principal;
use goldaw_core::paging::{decode_cursor, encode_cursor, page_size, CappedCount, COUNT_CAP};
use goldaw_core::service_referrals::ReferralStatus;
use serde::Serialize;
use uuid::Uuid;

/// The statuses in the inbox's order: a rank each (the last rank holds the finished ones).
const RANKS: [&[ReferralStatus]; 5] = [
    &[ReferralStatus::Waiting],
    &[ReferralStatus::Sent],
    &[ReferralStatus::Accepted],
    &[ReferralStatus::Started],
    &[
        ReferralStatus::Declined,
        ReferralStatus::Completed,
        ReferralStatus::Cancelled,
    ],
];

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    /// Only referrals in this status.
    pub status: Option<ReferralStatus>,
    /// The `next` of the page before.
    pub after: Option<String>,
    /// Rows on the page (`goldaw_core::paging::page_size`: 50 if absent, at most 200).
    pub limit: Option<u32>,
}

/// One page of the inbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxPage {
    pub items: Vec<ProviderReferral>,
    /// Give it as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
    /// Referrals still to answer or under way (waiting, new, accepted, started), up to 1,000.
    pub open: CappedCount,
}

/// A cursor that does not decode to an inbox key.
fn damaged() -> StoreError {
    StoreError::refuse("after", "store-page-link-damaged", vec![])
}

fn decode_after(cursor: &str) -> StoreResult<(usize, DateTime<Utc>, Uuid)> {
    let f = decode_cursor(cursor, 3).map_err(|_| damaged())?;
    let rank: usize = f[0].parse().map_err(|_| damaged())?;
    if rank >= RANKS.len() {
        return Err(damaged());
    }
    let at = DateTime::parse_from_rfc3339(&f[1])
        .map_err(|_| damaged())?
        .with_timezone(&Utc);
    let id: Uuid = f[2].parse().map_err(|_| damaged())?;
    Ok((rank, at, id))
}

impl Store {
    /// The first page of the referrals to the principal's organisation ([`Store::provider_inbox_page`]).
    pub async fn provider_inbox(
        &self,
        principal: &Principal,
        status: Option<ReferralStatus>,
    ) -> StoreResult<Vec<ProviderReferral>> {
        let query = InboxQuery {
            status,
            after: None,
            limit: None,
        };
        Ok(self.provider_inbox_page(principal, &query).await?.items)
    }

    /// A page of the referrals to the principal's organisation, in the inbox's order.
    #[tracing::instrument(skip_all)]
    pub async fn provider_inbox_page(
        &self,
        principal: &Principal,
        query: &InboxQuery,
    ) -> StoreResult<InboxPage> {
        let ext = provider_scope(principal)?;
        let after = query.after.as_deref().map(decode_after).transpose()?;
        let limit = i64::from(page_size(query.limit));
        // One member per status, in the inbox's order; the ranks before the cursor's are done.
        let mut members = Vec::new();
        let mut keyset_used = false;
        for (rank, statuses) in RANKS.iter().enumerate() {
            if after.is_some_and(|(r, _, _)| rank < r) {
                continue;
            }
            let keyset = if after.is_some_and(|(r, _, _)| rank == r) {
                " AND (r.sent_at, r.id) > ($3, $4)"
            } else {
                ""
            };
            for s in statuses.iter() {
                if query.status.is_some_and(|want| want != *s) {
                    continue;
                }
                keyset_used |= !keyset.is_empty();
                members.push(format!(
                    "SELECT * FROM (SELECT r.id, CAST({rank} AS BIGINT) AS rk, r.sent_at FROM service_referrals r
                     WHERE r.provider_id = $1 AND r.status = '{}'{keyset}
                     ORDER BY r.sent_at, r.id LIMIT $2) m{}",
                    s.as_str(),
                    members.len()
                ));
            }
        }
        let provider: Option<(Uuid, String)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, kind FROM providers WHERE external_id = $1")
                .bind(ext)
                .fetch_optional(pool)
                .await?
        });
        let Some((provider_id, kind)) = provider else {
            // An account scoped to an organisation the register no longer holds sees nothing.
            return Ok(InboxPage {
                items: Vec::new(),
                next: None,
                open: CappedCount::of(0, COUNT_CAP),
            });
        };
        let keys: Vec<(Uuid, i64, DateTime<Utc>)> = if members.is_empty() {
            Vec::new()
        } else {
            let sql = format!(
                "SELECT id, rk, sent_at FROM ({}) k ORDER BY rk, sent_at, id LIMIT $2",
                members.join(" UNION ALL ")
            );
            with_db!(self.db(), pool => {
                let mut q = sqlx::query_as(&sql).bind(provider_id).bind(limit + 1);
                if let Some((_, at, id)) = after.filter(|_| keyset_used) {
                    q = q.bind(at).bind(id);
                }
                q.fetch_all(pool).await?
            })
        };
        let more = keys.len() as i64 > limit;
        let keys = &keys[..keys.len().min(limit as usize)];
        let next = if more {
            keys.last().map(|(id, rk, at)| {
                encode_cursor(&[
                    &rk.to_string(),
                    &at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                    &id.to_string(),
                ])
            })
        } else {
            None
        };
        let rows: Vec<ReferralRow> = if keys.is_empty() {
            Vec::new()
        } else {
            let sql = format!(
                "{SELECT_REFERRAL} WHERE r.id IN ({})",
                (1..=keys.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            with_db!(self.db(), pool => {
                let mut q = sqlx::query_as(&sql);
                for (id, _, _) in keys {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await?
            })
        };
        let mut rows = rows;
        let order: std::collections::HashMap<Uuid, usize> =
            keys.iter().enumerate().map(|(i, k)| (k.0, i)).collect();
        rows.sort_by_key(|r| order.get(&r.id).copied().unwrap_or(usize::MAX));
        let open: (i64,) = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT COUNT(*) FROM (SELECT 1 FROM service_referrals
                 WHERE provider_id = $1 AND status IN ('waiting', 'sent', 'accepted', 'started')
                 LIMIT $2) o",
            )
            .bind(provider_id)
            .bind(i64::from(COUNT_CAP) + 1)
            .fetch_one(pool)
            .await?
        });
        let closes = self.consent_closes_page(ext, &kind, &rows).await?;
        let mut items = Vec::with_capacity(rows.len());
        for (row, closed) in rows.into_iter().zip(closes) {
            items.push(self.provider_view_with(principal, row, closed)?);
        }
        let ids: Vec<String> = items.iter().map(|r| r.id.to_string()).collect();
        self.audit(
            principal,
            AuditEvent::plain("referral.inbox").with_detail(format!(
                "{ext}: {} listed: {}",
                ids.len(),
                ids.join(" ")
            )),
        )
        .await?;
        Ok(InboxPage {
            items,
            next,
            open: CappedCount::of(open.0, COUNT_CAP),
        })
    }

    /// One referral to the principal's organisation, with the minimum fields.
    #[tracing::instrument(skip_all, fields(referral = %id))]
    pub async fn provider_referral(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<ProviderReferral> {
        let row = self.provider_row(principal, id).await?;
        let view = self.provider_view(principal, row).await?;
        self.audit(principal, AuditEvent::on("referral.read", "referral", id))
            .await?;
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank_of(status: ReferralStatus) -> usize {
        RANKS.iter().position(|r| r.contains(&status)).unwrap_or(99)
    }

    #[test]
    fn every_status_has_one_rank_in_the_inbox_order() {
        for s in ReferralStatus::ALL {
            assert_eq!(RANKS.iter().filter(|r| r.contains(s)).count(), 1, "{s}");
        }
        assert_eq!(rank_of(ReferralStatus::Waiting), 0);
        assert_eq!(rank_of(ReferralStatus::Completed), 4);
    }

    #[test]
    fn a_damaged_cursor_is_refused() {
        assert!(decode_after("zz").is_err());
        assert!(decode_after(&encode_cursor(&[
            "9",
            "2026-01-01T00:00:00Z",
            &Uuid::nil().to_string()
        ]))
        .is_err());
        assert!(decode_after(&encode_cursor(&[
            "1",
            "yesterday",
            &Uuid::nil().to_string()
        ]))
        .is_err());
        let ok = encode_cursor(&["1", "2026-01-01T00:00:00.123456Z", &Uuid::nil().to_string()]);
        assert_eq!(decode_after(&ok).unwrap().0, 1);
    }
}
