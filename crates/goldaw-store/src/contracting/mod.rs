//! State social contracting (issue #21, docs/contracting.md): tenders, bids, the committee's
//! evaluation, contracts, monthly delivery reports and payments, and the comparison of the ways
//! a service is delivered. The rules are `goldaw_core::contracting`; every write has the shape of
//! `service_referrals/refer.rs` (the audit event first, the checks that read the database inside
//! the transaction, writes guarded by the version read).
//!
//! - `tenders`: draft, approve, publish, cancel; read and list (closed at the deadline on read);
//! - `bids`: a provider's bid prepared, changed, submitted (sealed), withdrawn; read as the
//!   rules of sight say;
//! - `evaluation`: conflicts declared, scores, the weighted ranking, the award;
//! - `contracts`: signed from the award (the offer in the register), amended, suspended, ended;
//! - `reports`: the monthly delivery report drafted, confirmed, verified; payments; late reports;
//! - `performance`: a contract's referrals accepted in time, its waiting list, its delivery
//!   month by month against the targets;
//! - `comparison`: cost per unit and per person by way of delivery.

mod bids;
mod comparison;
mod contracts;
mod evaluation;
mod performance;
mod reports;
mod tenders;

pub use bids::{Bid, BidActRequest, BidRequest};
pub use comparison::{Comparison, ComparisonRow, ResidentialDelivered};
pub use contracts::{Contract, ContractActRequest, ContractTerms, ContractVersion, NewContract};
pub use evaluation::{AwardRequest, ConflictRequest, RankedBid, ScoreEntry, ScoreRequest};
pub use reports::{
    ConfirmRequest, DeliveryReport, LateReport, Payment, PaymentRequest, VerifyRequest,
};
pub use tenders::{NewTender, Tender, TenderActRequest};

use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal, Scope};
use goldaw_core::contracting::{tender_status_now, ContractingRefusal, TenderStatus, Weights};
use uuid::Uuid;

/// The longest free text of a tender, a bid or a reason.
pub(crate) const MAX_TEXT: usize = 4000;

/// A contracting rule's refusal, as a refusal a person can read (422 with its key; the keys are
/// literal here so `tests/store/refusal_keys.rs` holds each to the three languages; each is
/// `ContractingRefusal::key`, which the core's test compares).
pub(crate) fn refused(field: &str, r: ContractingRefusal) -> StoreError {
    use ContractingRefusal as R;
    let order = |status: &str, action: &str| {
        vec![
            ("status", SayArg::Text(status.to_owned())),
            ("action", SayArg::Text(action.to_owned())),
        ]
    };
    match r {
        R::TenderOutOfOrder { status, action } => StoreError::refuse(
            field,
            "contracting-tender-out-of-order",
            order(status.as_str(), action.as_str()),
        ),
        R::BidOutOfOrder { status, action } => StoreError::refuse(
            field,
            "contracting-bid-out-of-order",
            order(status.as_str(), action.as_str()),
        ),
        R::ContractOutOfOrder { status, action } => StoreError::refuse(
            field,
            "contracting-contract-out-of-order",
            order(status.as_str(), action.as_str()),
        ),
        R::ReportOutOfOrder { status, action } => StoreError::refuse(
            field,
            "contracting-report-out-of-order",
            order(status.as_str(), action.as_str()),
        ),
        R::DeadlinePassed => StoreError::refuse(field, "contracting-deadline-passed", vec![]),
        R::TenderNotOpen => StoreError::refuse(field, "contracting-tender-not-open", vec![]),
        R::BidSealed => StoreError::refuse(field, "contracting-bid-sealed", vec![]),
        R::BidExists => StoreError::refuse(field, "contracting-bid-exists", vec![]),
        R::BidWithdrawn => StoreError::refuse(field, "contracting-bid-withdrawn-final", vec![]),
        R::BeforeDeadline => StoreError::refuse(field, "contracting-before-deadline", vec![]),
        R::WeightsNot100 => StoreError::refuse(field, "contracting-weights-not-100", vec![]),
        R::RankingIncomplete => StoreError::refuse(field, "contracting-ranking-incomplete", vec![]),
        R::ApproveOwnDraft => StoreError::refuse(field, "contracting-approve-own-draft", vec![]),
        R::OverCeiling => StoreError::refuse(field, "contracting-payment-over-ceiling", vec![]),
        R::ScoreRange => StoreError::refuse(field, "contracting-score-range", vec![]),
    }
}

/// The keys of the contracting refusals of a reader who may not do what was asked (403):
/// `StoreError::Forbidden` carries the `en` text of the key, and the pages and the API, given that
/// message, find the key again ([`denial_key`]) to say it in the reader's language (the API: as
/// `Accept-Language` asks). Each key is in `i18n/{en,ru,tk}/contracting.ftl`.
pub const DENIALS: [&str; 9] = [
    "contracting-denied-tenders",
    "contracting-denied-contracts",
    "contracting-denied-comparison",
    "contracting-denied-conflicted",
    "contracting-denied-not-member",
    "contracting-denied-confirm",
    "contracting-denied-verify-own",
    "contracting-denied-verify-role",
    "contracting-denied-verify-confirmer",
];

/// A 403 of contracting: its message is the `en` text of `key` (one of [`DENIALS`]).
pub(crate) fn denied(key: &'static str) -> StoreError {
    debug_assert!(DENIALS.contains(&key), "{key} is not in DENIALS");
    StoreError::Forbidden(crate::error::english(key, &[]))
}

/// The key of a contracting 403 from its message, for the pages to say it in the reader's
/// language; `None` for any other message.
pub fn denial_key(message: &str) -> Option<&'static str> {
    DENIALS
        .iter()
        .find(|k| crate::error::english(k, &[]) == message)
        .copied()
}

/// Free text: trimmed, required, at most [`MAX_TEXT`] characters.
pub(crate) fn text(field: &str, value: &str) -> StoreResult<String> {
    crate::providers::required_text(field, value, MAX_TEXT)
}

/// Optional free text: trimmed, empty = none, at most [`MAX_TEXT`] characters.
pub(crate) fn optional_text(field: &str, value: Option<&str>) -> StoreResult<Option<String>> {
    match value.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => text(field, t).map(Some),
    }
}

/// A reason the action needs (cancel, award, suspend, end, a correction).
pub(crate) fn reason(value: Option<&str>) -> StoreResult<String> {
    match optional_text("reason", value)? {
        Some(r) => Ok(r),
        None => Err(StoreError::refuse(
            "reason",
            "contracting-reason-required",
            vec![],
        )),
    }
}

/// A tender as stored.
#[derive(sqlx::FromRow, Clone)]
pub(crate) struct TenderRow {
    pub(crate) id: Uuid,
    pub(crate) title: String,
    pub(crate) service_code: String,
    pub(crate) authority_unit: String,
    pub(crate) period_from: NaiveDate,
    pub(crate) period_to: NaiveDate,
    pub(crate) people: i32,
    pub(crate) units: i32,
    pub(crate) max_budget: i64,
    pub(crate) specification: String,
    pub(crate) documents: Option<String>,
    pub(crate) weight_price: i32,
    pub(crate) weight_method: i32,
    pub(crate) weight_staff: i32,
    pub(crate) weight_experience: i32,
    pub(crate) weight_rural_reach: i32,
    pub(crate) bid_deadline: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub(crate) status: TenderStatus,
    pub(crate) drafted_by: String,
    pub(crate) approved_by: Option<String>,
    pub(crate) published_at: Option<DateTime<Utc>>,
    pub(crate) cancel_reason: Option<String>,
    pub(crate) awarded_bid_id: Option<Uuid>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) version: i32,
}

pub(crate) const SELECT_TENDER: &str = "SELECT id, title, service_code, authority_unit, period_from, period_to,
        people, units, max_budget, specification, documents, weight_price, weight_method, weight_staff,
        weight_experience, weight_rural_reach, bid_deadline, status, drafted_by, approved_by,
        published_at, cancel_reason, awarded_bid_id, decision_reason, version FROM tenders";

impl TenderRow {
    pub(crate) fn weights(&self) -> Weights {
        Weights {
            price: self.weight_price,
            method: self.weight_method,
            staff: self.weight_staff,
            experience: self.weight_experience,
            rural_reach: self.weight_rural_reach,
        }
    }

    /// The status now: published and past the deadline is closed.
    pub(crate) fn status_now(&self, now: DateTime<Utc>) -> TenderStatus {
        tender_status_now(self.status, self.bid_deadline, now)
    }
}

/// Who the reader is to a tender.
#[derive(Debug, Clone)]
pub(crate) struct TenderReader {
    /// Keeps the tender: the contracting permission and the tender's authority in scope.
    pub(crate) keeper: bool,
    /// Named on the tender's committee.
    pub(crate) committee: bool,
    /// The reader's provider organisation (its id), if the reader is a provider's staff.
    pub(crate) provider: Option<Uuid>,
}

impl Store {
    /// A tender as stored, unscoped (callers decide who may see it).
    pub(crate) async fn tender_row(&self, id: Uuid) -> StoreResult<TenderRow> {
        let sql = format!("{SELECT_TENDER} WHERE id = $1");
        let row: Option<TenderRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// The reader's provider organisation (its id), for a provider's staff; `None` otherwise.
    pub(crate) async fn reader_provider(&self, principal: &Principal) -> StoreResult<Option<Uuid>> {
        if !principal.may(Permission::ProviderWork) {
            return Ok(None);
        }
        let Scope::Provider(ext) = &principal.scope else {
            return Ok(None);
        };
        let found: Option<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id FROM providers WHERE external_id = $1")
                .bind(ext)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.map(|(id,)| id))
    }

    /// Who the reader is to the tender.
    pub(crate) async fn tender_reader(
        &self,
        principal: &Principal,
        tender: &TenderRow,
    ) -> StoreResult<TenderReader> {
        let keeper = principal.may(Permission::Contracting)
            && tender
                .authority_unit
                .parse()
                .is_ok_and(|u| principal.can_see_unit(&u));
        let committee = match principal.user_id {
            Some(user) => with_db!(self.db(), pool => {
                sqlx::query_as::<_, (Uuid,)>("SELECT user_id FROM tender_committee WHERE tender_id = $1 AND user_id = $2")
                    .bind(tender.id)
                    .bind(user)
                    .fetch_optional(pool)
                    .await?
            })
            .is_some(),
            None => false,
        };
        let provider = self.reader_provider(principal).await?;
        Ok(TenderReader {
            keeper,
            committee,
            provider,
        })
    }

    /// A tender the reader may see, with who the reader is to it; `NotFound` otherwise (a
    /// draft is seen by its keepers and committee only, a published one by every provider).
    pub(crate) async fn visible_tender(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<(TenderRow, TenderReader)> {
        let row = self.tender_row(id).await?;
        let reader = self.tender_reader(principal, &row).await?;
        let seen = goldaw_core::contracting::tender_visible(
            reader.keeper,
            reader.committee,
            reader.provider.is_some(),
            row.published_at.is_some(),
        );
        if !seen {
            return Err(StoreError::NotFound);
        }
        Ok((row, reader))
    }

    /// The tender for a keeper's write: `NotFound` out of sight, `Forbidden` for a reader who
    /// sees it but does not keep it.
    pub(crate) async fn kept_tender(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<TenderRow> {
        crate::people::require(principal, Permission::Contracting)?;
        let (row, reader) = self.visible_tender(principal, id).await?;
        if !reader.keeper {
            return Err(StoreError::NotFound);
        }
        Ok(row)
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// Tests only (the `testing` feature): the clock passes a tender's deadline, which is moved
    /// to `at`. The close is computed from the clock on read, so this is what a later moment
    /// looks like; no route calls it.
    pub async fn testing_move_bid_deadline(
        &self,
        tender: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        with_db!(self.db(), pool => {
            sqlx::query("UPDATE tenders SET bid_deadline = $1 WHERE id = $2")
                .bind(at)
                .bind(tender)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
