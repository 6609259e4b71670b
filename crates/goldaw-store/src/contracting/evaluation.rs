//! The evaluation: from the deadline on, the committee's members declare any conflict of interest
//! per bid (a member with a conflict does not score that bid) and score each bid on each scored
//! criterion; the weighted ranking follows (`goldaw_core::contracting::rank_bids`); a keeper
//! awards the tender to the first of the ranking with the committee's reasons. All of it is
//! audited, and the bidders see the ranking after the award.

use super::bids::{opened, BidRow, SELECT_BID};
use super::{reason, refused, text, TenderRow, SELECT_TENDER};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::service_referrals::for_update;
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::Principal;
use goldaw_core::contracting::{
    may_score, next_tender_status, rank_bids, BidStatus, BidToRank, ContractingRefusal, Criterion,
    Ranked, Score, TenderAction, MAX_SCORE,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A member's declaration of a conflict of interest with a bid.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictRequest {
    /// What the conflict is.
    pub statement: String,
}

/// A member's scores of one bid.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    pub scores: Vec<ScoreEntry>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreEntry {
    /// A scored criterion (`method`, `staff`, `experience`, `rural_reach`): the price is scored
    /// from the prices.
    pub criterion: Criterion,
    /// 0 to 10.
    pub score: i32,
}

/// The award: the first of the ranking, with the committee's reasons.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardRequest {
    pub version: i32,
    pub reason: String,
}

/// A bid's place in the ranking, with its provider.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RankedBid {
    pub provider_external_id: String,
    pub provider_name: String,
    pub price_per_unit: i64,
    #[serde(flatten)]
    pub ranked: Ranked,
    /// Members who declared a conflict with this bid (keepers and members only).
    pub conflicts: Vec<String>,
}

/// The rows a ranking is computed from: the tender's submitted bids, the scores and the
/// conflicts declared, read through `$conn` (a pool, or `&mut *tx` inside a transaction).
macro_rules! ranking_reads {
    ($conn:expr, $tender:expr) => {{
        let sql = format!("{SELECT_BID} WHERE b.tender_id = $1 AND b.status = 'submitted' ORDER BY b.created_at, b.id");
        let bids: Vec<BidRow> = sqlx::query_as(&sql).bind($tender).fetch_all($conn).await?;
        let scores: Vec<ScoreRow> = sqlx::query_as(
            "SELECT s.bid_id, s.user_id, s.criterion, s.score FROM bid_scores s
             JOIN bids b ON b.id = s.bid_id WHERE b.tender_id = $1",
        )
        .bind($tender)
        .fetch_all($conn)
        .await?;
        let conflicts: Vec<ConflictRow> = sqlx::query_as(
            "SELECT c.bid_id, c.user_id, u.username FROM bid_conflicts c
             JOIN bids b ON b.id = c.bid_id JOIN users u ON u.id = c.user_id
             WHERE b.tender_id = $1 ORDER BY u.username",
        )
        .bind($tender)
        .fetch_all($conn)
        .await?;
        (bids, scores, conflicts)
    }};
}

type ScoreRow = (Uuid, Uuid, String, i32);
type ConflictRow = (Uuid, Uuid, String);

/// The weighted ranking of the rows read (`goldaw_core::contracting::rank_bids`), with each
/// bid's provider and the members who declared a conflict with it.
fn ranked(
    tender: &TenderRow,
    bids: Vec<BidRow>,
    scores: Vec<ScoreRow>,
    conflicts: Vec<ConflictRow>,
) -> StoreResult<Vec<RankedBid>> {
    let mut parsed = Vec::with_capacity(scores.len());
    for (bid, member, criterion, score) in scores {
        parsed.push(Score {
            bid,
            member,
            criterion: criterion
                .parse()
                .map_err(|e| crate::service_referrals::corrupt("criterion", e))?,
            score,
        });
    }
    let pairs: Vec<(Uuid, Uuid)> = conflicts.iter().map(|(b, u, _)| (*b, *u)).collect();
    let to_rank: Vec<BidToRank> = bids
        .iter()
        .map(|b| BidToRank {
            id: b.id,
            price_per_unit: b.price_per_unit,
            submitted_at: b.submitted_at.unwrap_or(DateTime::<Utc>::MIN_UTC),
        })
        .collect();
    let ranked = rank_bids(&tender.weights(), &to_rank, &parsed, &pairs)
        .map_err(|r| refused("ranking", r))?;
    Ok(ranked
        .into_iter()
        .filter_map(|r| {
            let b = bids.iter().find(|b| b.id == r.bid)?;
            Some(RankedBid {
                provider_external_id: b.provider_external_id.clone(),
                provider_name: b.provider_name.clone(),
                price_per_unit: b.price_per_unit,
                conflicts: conflicts
                    .iter()
                    .filter(|(bid, _, _)| *bid == b.id)
                    .map(|(_, _, name)| name.clone())
                    .collect(),
                ranked: r,
            })
        })
        .collect())
}

impl Store {
    /// A committee member declares a conflict of interest with a bid: from then on the member may
    /// not score it (and a score given before is dropped). From the deadline until the award.
    #[tracing::instrument(skip_all, fields(bid = %bid))]
    pub async fn declare_conflict(
        &self,
        principal: &Principal,
        bid: Uuid,
        req: ConflictRequest,
    ) -> StoreResult<()> {
        let (row, member) = self.member_bid(principal, bid).await?;
        let statement = text("statement", &req.statement)?;
        let lock = for_update(self);
        let sql = format!("{SELECT_TENDER} WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("bid.conflict", "bid", bid));
            let tender: TenderRow = sqlx::query_as(&sql)
                .bind(row.tender_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            evaluation_open(&tender)?;
            sqlx::query("INSERT INTO bid_conflicts (bid_id, user_id, statement, declared_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT DO NOTHING")
                .bind(bid)
                .bind(member)
                .bind(&statement)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM bid_scores WHERE bid_id = $1 AND user_id = $2")
                .bind(bid)
                .bind(member)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A committee member scores a bid (scoring again replaces the member's scores). Refused
    /// with `Forbidden` for a member who declared a conflict with the bid.
    #[tracing::instrument(skip_all, fields(bid = %bid))]
    pub async fn score_bid(
        &self,
        principal: &Principal,
        bid: Uuid,
        req: ScoreRequest,
    ) -> StoreResult<()> {
        let (row, member) = self.member_bid(principal, bid).await?;
        if req.scores.is_empty() || req.scores.len() > Criterion::ALL.len() {
            return Err(StoreError::refuse(
                "scores",
                "contracting-scores-required",
                vec![],
            ));
        }
        for entry in &req.scores {
            if entry.criterion == Criterion::Price {
                return Err(StoreError::refuse(
                    "criterion",
                    "contracting-price-not-scored",
                    vec![],
                ));
            }
            if !(0..=MAX_SCORE).contains(&entry.score) {
                return Err(refused("score", ContractingRefusal::ScoreRange));
            }
        }
        if row.status != BidStatus::Submitted {
            return Err(StoreError::refuse(
                "bid",
                "contracting-bid-not-submitted",
                vec![],
            ));
        }
        let lock = for_update(self);
        let sql = format!("{SELECT_TENDER} WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("bid.score", "bid", bid)
                .with_detail(req.scores.iter().map(|s| format!("{}={}", s.criterion, s.score)).collect::<Vec<_>>().join(" ")));
            let tender: TenderRow = sqlx::query_as(&sql)
                .bind(row.tender_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            evaluation_open(&tender)?;
            // The conflict, read inside the write: a declaration made meanwhile is seen here.
            let conflict: Option<(Uuid,)> = sqlx::query_as(
                "SELECT user_id FROM bid_conflicts WHERE bid_id = $1 AND user_id = $2")
                .bind(bid)
                .bind(member)
                .fetch_optional(&mut *tx)
                .await?;
            if !may_score(true, conflict.is_some()) {
                return Err(super::denied("contracting-denied-conflicted"));
            }
            let now = Utc::now();
            for entry in &req.scores {
                sqlx::query("DELETE FROM bid_scores WHERE bid_id = $1 AND user_id = $2 AND criterion = $3")
                    .bind(bid)
                    .bind(member)
                    .bind(entry.criterion.as_str())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO bid_scores (bid_id, user_id, criterion, score, scored_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(bid)
                    .bind(member)
                    .bind(entry.criterion.as_str())
                    .bind(entry.score)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The weighted ranking: for the keepers and the committee from the deadline on, for the
    /// bidders after the award. Refused while a bid lacks a score on some criterion.
    #[tracing::instrument(skip_all, fields(tender = %tender))]
    pub async fn ranking(
        &self,
        principal: &Principal,
        tender: Uuid,
    ) -> StoreResult<Vec<RankedBid>> {
        let (row, reader) = self.visible_tender(principal, tender).await?;
        let status = row.status_now(Utc::now());
        let inside = reader.keeper || reader.committee;
        let bidder = match reader.provider {
            Some(p) => self
                .bid_rows(tender)
                .await?
                .iter()
                .any(|b| b.provider_id == p && b.status == BidStatus::Submitted),
            None => false,
        };
        let may = (inside && opened(status))
            || (bidder && status == goldaw_core::contracting::TenderStatus::Awarded);
        if !may {
            return Err(StoreError::NotFound);
        }
        let ranked = self.rank(&row).await?;
        self.audit(
            principal,
            AuditEvent::on("tender.ranking", "tender", tender),
        )
        .await?;
        Ok(ranked
            .into_iter()
            .map(|mut r| {
                if !inside {
                    r.conflicts.clear();
                }
                r
            })
            .collect())
    }

    /// The ranking of a tender's submitted bids (unaudited: callers audit).
    async fn rank(&self, tender: &TenderRow) -> StoreResult<Vec<RankedBid>> {
        let (bids, scores, conflicts) = with_db!(self.db(), pool => {
            ranking_reads!(pool, tender.id)
        });
        ranked(tender, bids, scores, conflicts)
    }

    /// Awards a closed tender to the first of the ranking, with the committee's reasons.
    #[tracing::instrument(skip_all, fields(tender = %tender))]
    pub async fn award_tender(
        &self,
        principal: &Principal,
        tender: Uuid,
        req: AwardRequest,
    ) -> StoreResult<super::Tender> {
        let row = self.kept_tender(principal, tender).await?;
        let why = reason(Some(&req.reason))?;
        next_tender_status(row.status_now(Utc::now()), TenderAction::Award)
            .map_err(|r| refused("action", r))?;
        let lock = for_update(self);
        let sql = format!("{SELECT_TENDER} WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            // The audit event first: it takes the lock every writer takes, scores included, so
            // the ranking read below is the one the award is made on.
            append_audit!(self, tx, principal, AuditEvent::on("tender.award", "tender", tender));
            let now_row: TenderRow = sqlx::query_as(&sql)
                .bind(tender)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if now_row.version != req.version {
                return Err(StoreError::Conflict { expected: req.version, actual: now_row.version });
            }
            let now = Utc::now();
            next_tender_status(now_row.status_now(now), TenderAction::Award)
                .map_err(|r| refused("action", r))?;
            let (bids, scores, conflicts) = ranking_reads!(&mut *tx, tender);
            let ranking = ranked(&now_row, bids, scores, conflicts)?;
            let Some(first) = ranking.first() else {
                return Err(StoreError::refuse("tender", "contracting-no-bids", vec![]));
            };
            let winner = first.ranked.bid;
            let updated = sqlx::query("UPDATE tenders SET status = 'awarded', awarded_bid_id = $1, decision_reason = $2,
                                          decided_by = $3, decided_at = $4, version = version + 1, updated_at = $4
                                       WHERE id = $5 AND version = $6")
                .bind(winner)
                .bind(&why)
                .bind(&principal.actor)
                .bind(now)
                .bind(tender)
                .bind(req.version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: req.version, actual: req.version + 1 });
            }
            tx.commit().await?;
        });
        self.tender(principal, tender).await
    }

    /// A bid the principal evaluates: a member of its tender's committee (`Forbidden` for anyone
    /// else who sees the tender, `NotFound` for who does not). Returns the member's user id.
    async fn member_bid(&self, principal: &Principal, bid: Uuid) -> StoreResult<(BidRow, Uuid)> {
        let row = self.bid_row(bid).await?;
        let (_, reader) = self.visible_tender(principal, row.tender_id).await?;
        if reader.provider.is_some() && !reader.committee {
            return Err(StoreError::NotFound);
        }
        match (reader.committee, principal.user_id) {
            (true, Some(user)) => Ok((row, user)),
            _ => Err(super::denied("contracting-denied-not-member")),
        }
    }
}

/// Evaluation is open from the deadline until the award (or a cancel).
fn evaluation_open(tender: &TenderRow) -> StoreResult<()> {
    match tender.status_now(Utc::now()) {
        goldaw_core::contracting::TenderStatus::Closed => Ok(()),
        goldaw_core::contracting::TenderStatus::Published => {
            Err(refused("tender", ContractingRefusal::BeforeDeadline))
        }
        status => Err(refused(
            "tender",
            ContractingRefusal::TenderOutOfOrder {
                status,
                action: TenderAction::Award,
            },
        )),
    }
}
