//! Bids: a provider's staff prepare a bid on a published tender, change it while it is a draft,
//! submit it before the deadline (then it is sealed: withdrawn, never changed), and see the
//! outcome. Who sees what of a bid is `goldaw_core::contracting::bid_sight`.

use super::{optional_text, refused, text, TenderReader, TenderRow, SELECT_TENDER};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::provider_inbox::provider_scope;
use crate::service_referrals::{corrupt, for_update};
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use goldaw_core::contracting::{
    bid_sight, may_prepare_bid, next_bid_status, BidAction, BidReader, BidSight, BidStatus,
    TenderStatus,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A bid prepared or changed (a draft).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidRequest {
    /// Price per unit, in tiyn.
    pub price_per_unit: i64,
    /// Units the provider commits to.
    pub units: i32,
    /// People the provider commits to serve.
    pub people: i32,
    /// Places (people served at once); absent = not limited.
    #[serde(default)]
    pub places: Option<i32>,
    /// Staff and their qualifications.
    pub staff: String,
    /// The method.
    pub method: String,
    #[serde(default)]
    pub documents: Option<String>,
    /// The version read, when changing a draft.
    #[serde(default)]
    pub version: Option<i32>,
}

/// Submit or withdraw a bid.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidActRequest {
    pub action: BidAction,
    pub version: i32,
}

/// A bid as its reader may see it: the content is absent while it is sealed, and after the award
/// other bidders see who bid at what price, the score and the rank only.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Bid {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub provider_external_id: String,
    pub provider_name: String,
    pub status: BidStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The content is sealed until the deadline.
    pub sealed: bool,
    pub price_per_unit: Option<i64>,
    pub units: Option<i32>,
    pub people: Option<i32>,
    pub places: Option<i32>,
    pub staff: Option<String>,
    pub method: Option<String>,
    pub documents: Option<String>,
    /// The bid is the reader's organisation's own.
    pub own: bool,
    /// What the reader may do to it now (its own organisation only).
    pub actions: Vec<BidAction>,
    pub version: i32,
}

#[derive(sqlx::FromRow, Clone)]
pub(crate) struct BidRow {
    pub(crate) id: Uuid,
    pub(crate) tender_id: Uuid,
    pub(crate) provider_id: Uuid,
    pub(crate) provider_external_id: String,
    pub(crate) provider_name: String,
    #[sqlx(try_from = "String")]
    pub(crate) status: BidStatus,
    pub(crate) price_per_unit: i64,
    pub(crate) units: i32,
    pub(crate) people: i32,
    pub(crate) places: Option<i32>,
    pub(crate) staff: String,
    pub(crate) method: String,
    pub(crate) documents: Option<String>,
    pub(crate) submitted_at: Option<DateTime<Utc>>,
    pub(crate) version: i32,
}

pub(crate) const SELECT_BID: &str = "SELECT b.id, b.tender_id, b.provider_id, pr.external_id AS provider_external_id,
        pr.name AS provider_name, b.status, b.price_per_unit, b.units, b.people, b.places, b.staff, b.method,
        b.documents, b.submitted_at, b.version
    FROM bids b JOIN providers pr ON pr.id = b.provider_id";

/// The bid's content, checked.
struct Content {
    price_per_unit: i64,
    units: i32,
    people: i32,
    places: Option<i32>,
    staff: String,
    method: String,
    documents: Option<String>,
}

fn content(req: &BidRequest) -> StoreResult<Content> {
    if req.price_per_unit <= 0 || req.units <= 0 || req.people <= 0 {
        return Err(StoreError::refuse(
            "price_per_unit",
            "contracting-positive",
            vec![],
        ));
    }
    if matches!(req.places, Some(p) if p < 0) {
        return Err(StoreError::refuse(
            "places",
            "store-places-negative",
            vec![],
        ));
    }
    Ok(Content {
        price_per_unit: req.price_per_unit,
        units: req.units,
        people: req.people,
        places: req.places,
        staff: text("staff", &req.staff)?,
        method: text("method", &req.method)?,
        documents: optional_text("documents", req.documents.as_deref())?,
    })
}

impl Store {
    /// Prepares the organisation's bid on a published tender (a draft; one open bid per
    /// organisation and tender).
    #[tracing::instrument(skip_all, fields(tender = %tender))]
    pub async fn prepare_bid(
        &self,
        principal: &Principal,
        tender: Uuid,
        req: BidRequest,
    ) -> StoreResult<Bid> {
        provider_scope(principal)?;
        let (_, reader) = self.visible_tender(principal, tender).await?;
        let Some(provider) = reader.provider else {
            return Err(StoreError::NotFound);
        };
        let c = content(&req)?;
        let id = Uuid::now_v7();
        let lock = for_update(self);
        let tender_sql = format!("{SELECT_TENDER} WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("bid.prepare", "bid", id)
                .with_detail(format!("tender {tender}")));
            let row: TenderRow = sqlx::query_as(&tender_sql)
                .bind(tender)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            next_bid_status(row.status_now(Utc::now()), BidStatus::Draft, BidAction::Change)
                .map_err(|r| refused("tender", r))?;
            // One bid per organisation and tender, a withdrawal final (`may_prepare_bid`).
            let existing: Vec<(String,)> = sqlx::query_as(
                "SELECT status FROM bids WHERE tender_id = $1 AND provider_id = $2")
                .bind(tender)
                .bind(provider)
                .fetch_all(&mut *tx)
                .await?;
            let existing = existing
                .into_iter()
                .map(|(s,)| s.parse::<BidStatus>().map_err(|e| corrupt("bid status", e)))
                .collect::<StoreResult<Vec<_>>>()?;
            may_prepare_bid(&existing).map_err(|r| refused("tender", r))?;
            let now = Utc::now();
            sqlx::query("INSERT INTO bids (id, tender_id, provider_id, status, price_per_unit, units, people, places,
                             staff, method, documents, created_by, version, created_at, updated_at)
                         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12)")
                .bind(id)
                .bind(tender)
                .bind(provider)
                .bind(c.price_per_unit)
                .bind(c.units)
                .bind(c.people)
                .bind(c.places)
                .bind(&c.staff)
                .bind(&c.method)
                .bind(c.documents.as_deref())
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.bid(principal, id).await
    }

    /// Changes a draft bid. A submitted bid is sealed: refused (withdraw it and bid again).
    #[tracing::instrument(skip_all, fields(bid = %id))]
    pub async fn change_bid(
        &self,
        principal: &Principal,
        id: Uuid,
        req: BidRequest,
    ) -> StoreResult<Bid> {
        let bid = self.own_bid(principal, id).await?;
        let Some(version) = req.version else {
            return Err(StoreError::refuse(
                "version",
                "contracting-version-required",
                vec![],
            ));
        };
        let c = content(&req)?;
        self.bid_write(principal, &bid, BidAction::Change, version, Some(c))
            .await?;
        self.bid(principal, id).await
    }

    /// Submits (before the deadline) or withdraws (before the deadline) a bid.
    #[tracing::instrument(skip_all, fields(bid = %id))]
    pub async fn bid_act(
        &self,
        principal: &Principal,
        id: Uuid,
        req: BidActRequest,
    ) -> StoreResult<Bid> {
        let bid = self.own_bid(principal, id).await?;
        if req.action == BidAction::Change {
            return Err(StoreError::refuse(
                "action",
                "contracting-bid-change-route",
                vec![],
            ));
        }
        self.bid_write(principal, &bid, req.action, req.version, None)
            .await?;
        self.bid(principal, id).await
    }

    /// The organisation's own bid, or `NotFound`.
    async fn own_bid(&self, principal: &Principal, id: Uuid) -> StoreResult<BidRow> {
        let ext = provider_scope(principal)?.to_owned();
        let row = self.bid_row(id).await?;
        if row.provider_external_id != ext {
            return Err(StoreError::NotFound);
        }
        Ok(row)
    }

    /// One write on a bid: the audit event first, the tender's status now and the bid's, the
    /// state machine, the write guarded by the version.
    async fn bid_write(
        &self,
        principal: &Principal,
        bid: &BidRow,
        action: BidAction,
        version: i32,
        change: Option<Content>,
    ) -> StoreResult<()> {
        let lock = for_update(self);
        let tender_sql = format!("{SELECT_TENDER} WHERE id = $1{lock}");
        let bid_sql = format!("SELECT status, version FROM bids WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("bid.act", "bid", bid.id)
                .with_detail(action.as_str()));
            let tender: TenderRow = sqlx::query_as(&tender_sql)
                .bind(bid.tender_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let (status, actual): (String, i32) = sqlx::query_as(&bid_sql)
                .bind(bid.id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let status: BidStatus = status
                .parse()
                .map_err(|e| crate::service_referrals::corrupt("bid status", e))?;
            let now = Utc::now();
            // The rule first: a sealed bid or a late one is refused as such, whatever version.
            let next = next_bid_status(tender.status_now(now), status, action)
                .map_err(|r| refused("action", r))?;
            if actual != version {
                return Err(StoreError::Conflict { expected: version, actual });
            }
            let updated = match &change {
                Some(c) => sqlx::query("UPDATE bids SET price_per_unit = $1, units = $2, people = $3, places = $4,
                                            staff = $5, method = $6, documents = $7, version = version + 1, updated_at = $8
                                        WHERE id = $9 AND version = $10")
                    .bind(c.price_per_unit)
                    .bind(c.units)
                    .bind(c.people)
                    .bind(c.places)
                    .bind(&c.staff)
                    .bind(&c.method)
                    .bind(c.documents.as_deref())
                    .bind(now)
                    .bind(bid.id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?,
                None => sqlx::query("UPDATE bids SET status = $1,
                                        submitted_at = CASE WHEN $2 THEN $3 ELSE submitted_at END,
                                        withdrawn_at = CASE WHEN $4 THEN $3 ELSE withdrawn_at END,
                                        version = version + 1, updated_at = $3
                                     WHERE id = $5 AND version = $6")
                    .bind(next.as_str())
                    .bind(action == BidAction::Submit)
                    .bind(now)
                    .bind(action == BidAction::Withdraw)
                    .bind(bid.id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?,
            };
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub(crate) async fn bid_row(&self, id: Uuid) -> StoreResult<BidRow> {
        let sql = format!("{SELECT_BID} WHERE b.id = $1");
        let row: Option<BidRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// One bid as the reader may see it; `NotFound` when the reader may not see it at all (a
    /// provider reading another's bid before the award, or any draft not its own).
    #[tracing::instrument(skip_all, fields(bid = %id))]
    pub async fn bid(&self, principal: &Principal, id: Uuid) -> StoreResult<Bid> {
        let row = self.bid_row(id).await?;
        let (tender, reader) = self.visible_tender(principal, row.tender_id).await?;
        let bidders = self.bidders(tender.id).await?;
        let view = bid_view(&tender, &reader, &bidders, row).ok_or(StoreError::NotFound)?;
        self.audit(principal, AuditEvent::on("bid.read", "bid", id))
            .await?;
        Ok(view)
    }

    /// The bids on a tender the reader may see.
    #[tracing::instrument(skip_all, fields(tender = %tender))]
    pub async fn tender_bids(&self, principal: &Principal, tender: Uuid) -> StoreResult<Vec<Bid>> {
        let (row, reader) = self.visible_tender(principal, tender).await?;
        let rows = self.bid_rows(tender).await?;
        let bidders = self.bidders(tender).await?;
        let shown: Vec<Bid> = rows
            .into_iter()
            .filter_map(|b| bid_view(&row, &reader, &bidders, b))
            .collect();
        self.audit(
            principal,
            AuditEvent::on("tender.bids", "tender", tender)
                .with_detail(format!("{} shown", shown.len())),
        )
        .await?;
        Ok(shown)
    }

    pub(crate) async fn bid_rows(&self, tender: Uuid) -> StoreResult<Vec<BidRow>> {
        let sql = format!("{SELECT_BID} WHERE b.tender_id = $1 ORDER BY b.created_at, b.id");
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(tender).fetch_all(pool).await?
        }))
    }

    /// The organisations that submitted a bid (and did not withdraw it).
    async fn bidders(&self, tender: Uuid) -> StoreResult<Vec<Uuid>> {
        let rows: Vec<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT DISTINCT provider_id FROM bids WHERE tender_id = $1 AND status = 'submitted'")
                .bind(tender)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(p,)| p).collect())
    }
}

/// A bid as the reader may see it, or `None`.
fn bid_view(tender: &TenderRow, reader: &TenderReader, bidders: &[Uuid], b: BidRow) -> Option<Bid> {
    let now = Utc::now();
    let status_now = tender.status_now(now);
    let own = reader.provider == Some(b.provider_id);
    let sight = bid_sight(
        BidReader {
            keeper: reader.keeper,
            committee: reader.committee,
            own,
            bidder: reader.provider.is_some_and(|p| bidders.contains(&p)),
        },
        status_now,
    );
    // Only its own organisation sees a draft; the outcome names the submitted bids.
    if !own && b.status == BidStatus::Draft {
        return None;
    }
    if sight == BidSight::Outcome && b.status != BidStatus::Submitted {
        return None;
    }
    let full = sight == BidSight::Full;
    let price = matches!(sight, BidSight::Full | BidSight::Outcome);
    let actions = if own {
        BidAction::ALL
            .iter()
            .copied()
            .filter(|a| next_bid_status(status_now, b.status, *a).is_ok())
            .collect()
    } else {
        vec![]
    };
    match sight {
        BidSight::None => None,
        _ => Some(Bid {
            id: b.id,
            tender_id: b.tender_id,
            provider_external_id: b.provider_external_id,
            provider_name: b.provider_name,
            status: b.status,
            submitted_at: b.submitted_at,
            sealed: sight == BidSight::Sealed,
            price_per_unit: price.then_some(b.price_per_unit),
            units: full.then_some(b.units),
            people: full.then_some(b.people),
            places: if full { b.places } else { None },
            staff: full.then_some(b.staff),
            method: full.then_some(b.method),
            documents: if full { b.documents } else { None },
            own,
            actions,
            version: b.version,
        }),
    }
}

/// Whether the tender's bids are open to its keepers and committee (from the deadline on).
pub(crate) fn opened(status: TenderStatus) -> bool {
    matches!(status, TenderStatus::Closed | TenderStatus::Awarded)
}
