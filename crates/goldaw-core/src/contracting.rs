//! State social contracting (issue #21, docs/contracting.md): the rules, free of I/O.
//!
//! The ministry (or a velayat administration with a delegated budget: a `ministry` account scoped
//! to the velayat) tenders a service from the catalogue for some etraps; providers' staff bid;
//! the tender's committee declares conflicts and scores; the ranking picks the winner; the
//! contract puts the provider's offer in the register; each month a delivery report is drafted
//! from the deliveries, confirmed or corrected by the provider, verified by the ministry, and paid
//! (verified units × price, never beyond the ceiling).
//!
//! Held here, once, for the store, the API and the pages:
//! - the codes (statuses, actions, criteria, ways of delivery), one representation each;
//! - the state machines of the tender ([`next_tender_status`], with the close at the deadline
//!   computed from the clock on read: [`tender_status_now`]), the bid ([`next_bid_status`]), the
//!   contract ([`next_contract_status`]) and the delivery report ([`next_report_status`]);
//! - the weighted ranking ([`rank_bids`]) and the conflict rule ([`may_score`]);
//! - what a payment may be ([`payment_due`], [`check_payment`]);
//! - who may see a bid ([`bid_sight`]) and verify a report ([`may_verify`]);
//! - which monthly reports are late ([`late_reports`]);
//! - the refusals ([`ContractingRefusal`]), each with a stable code and a translation key.

use crate::access::{Permission, Principal, Scope};
use crate::codes::code_enum;
use crate::ParseError;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use uuid::Uuid;

pub mod timeliness;

code_enum!(
    /// Where a tender stands. `closed` is never stored: a published tender is closed from its
    /// deadline on ([`tender_status_now`]).
    TenderStatus, "tender status" {
        Draft = "draft",
        Approved = "approved",
        Published = "published",
        Closed = "closed",
        Awarded = "awarded",
        Cancelled = "cancelled",
    }
);

code_enum!(
    /// What the ministry does to a tender.
    TenderAction, "tender action" {
        Approve = "approve",
        Publish = "publish",
        Cancel = "cancel",
        Award = "award",
    }
);

code_enum!(
    /// Where a bid stands: prepared, submitted (sealed until the deadline), or withdrawn.
    BidStatus, "bid status" {
        Draft = "draft",
        Submitted = "submitted",
        Withdrawn = "withdrawn",
    }
);

code_enum!(
    /// What the provider does to its bid.
    BidAction, "bid action" {
        Change = "change",
        Submit = "submit",
        Withdraw = "withdraw",
    }
);

code_enum!(
    /// The evaluation criteria of a tender, each with its weight.
    Criterion, "criterion" {
        /// Price per unit: scored from the prices (the lowest gets 10), not by the members.
        Price = "price",
        /// Quality of the method.
        Method = "method",
        /// Staff and their qualifications.
        Staff = "staff",
        Experience = "experience",
        /// Reach in rural areas.
        RuralReach = "rural_reach",
    }
);

code_enum!(
    /// Where a contract stands.
    ContractStatus, "contract status" {
        Signed = "signed",
        Suspended = "suspended",
        Ended = "ended",
    }
);

code_enum!(
    /// What the ministry does to a contract.
    ContractAction, "contract action" {
        Amend = "amend",
        Suspend = "suspend",
        Resume = "resume",
        End = "end",
    }
);

code_enum!(
    /// Where a monthly delivery report stands.
    ReportStatus, "report status" {
        /// Drafted by goldaw from the deliveries on the contract's referrals.
        Drafted = "drafted",
        /// Confirmed (or corrected, with reasons) by the provider.
        Confirmed = "confirmed",
        /// Verified by the ministry: the payment due is fixed.
        Verified = "verified",
    }
);

code_enum!(
    /// What happens to a report.
    ReportAction, "report action" {
        Confirm = "confirm",
        Verify = "verify",
        Pay = "pay",
    }
);

code_enum!(
    /// The ways a service is delivered, compared by cost and outcome.
    DeliveryWay, "way of delivery" {
        /// A state provider.
        State = "state",
        /// An NGO (or private provider) under a contract from a tender.
        NgoContracted = "ngo_contracted",
        /// An NGO (or private provider) with other funding.
        NgoOther = "ngo_other",
    }
);

/// The criteria members score (price is computed from the prices).
pub const SCORED: [Criterion; 4] = [
    Criterion::Method,
    Criterion::Staff,
    Criterion::Experience,
    Criterion::RuralReach,
];

/// The highest score a member gives on one criterion.
pub const MAX_SCORE: i32 = 10;

/// Days after a month's end by which its delivery report is due.
pub const REPORT_GRACE_DAYS: u64 = 5;

/// Why contracting refused an action. `code()` is stable; `key()` is the translation key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContractingRefusal {
    #[error("'{action}' is not possible while the tender is '{status}'")]
    TenderOutOfOrder {
        status: TenderStatus,
        action: TenderAction,
    },
    #[error("'{action}' is not possible while the bid is '{status}'")]
    BidOutOfOrder {
        status: BidStatus,
        action: BidAction,
    },
    #[error("'{action}' is not possible while the contract is '{status}'")]
    ContractOutOfOrder {
        status: ContractStatus,
        action: ContractAction,
    },
    #[error("'{action}' is not possible while the report is '{status}'")]
    ReportOutOfOrder {
        status: ReportStatus,
        action: ReportAction,
    },
    /// A bid after the deadline (or a withdrawal): never.
    #[error("the deadline for bids has passed")]
    DeadlinePassed,
    /// Bidding on a tender that is not published.
    #[error("the tender is not open for bids")]
    TenderNotOpen,
    /// A submitted bid is sealed: it may be withdrawn, not changed.
    #[error("a submitted bid cannot be changed; it may only be withdrawn")]
    BidSealed,
    /// The organisation already has a bid on the tender (one bid per organisation and tender).
    #[error("the organisation already has a bid on this tender")]
    BidExists,
    /// The organisation withdrew its bid on the tender: a withdrawal is final, a new bid would
    /// change the sealed one by another door.
    #[error("the organisation withdrew its bid on this tender; a withdrawal is final")]
    BidWithdrawn,
    /// Evaluation before the deadline: the bids are still sealed.
    #[error("the bids are sealed until the deadline")]
    BeforeDeadline,
    /// The weights of the criteria must add up to 100.
    #[error("the weights of the criteria must add up to 100")]
    WeightsNot100,
    /// A bid without a score on some criterion from a member without a conflict.
    #[error("every bid needs a score on every criterion before the ranking")]
    RankingIncomplete,
    /// The approver drafted the tender: four eyes.
    #[error("a tender is approved by someone other than who drafted it")]
    ApproveOwnDraft,
    /// A payment beyond what is due or beyond the ceiling.
    #[error("the payment would exceed the contract's ceiling or what is due on the report")]
    OverCeiling,
    /// A score outside 0..=10.
    #[error("a score is a whole number from 0 to 10")]
    ScoreRange,
}

impl ContractingRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            ContractingRefusal::TenderOutOfOrder { .. } => "tender_out_of_order",
            ContractingRefusal::BidOutOfOrder { .. } => "bid_out_of_order",
            ContractingRefusal::ContractOutOfOrder { .. } => "contract_out_of_order",
            ContractingRefusal::ReportOutOfOrder { .. } => "report_out_of_order",
            ContractingRefusal::DeadlinePassed => "bid_deadline_passed",
            ContractingRefusal::TenderNotOpen => "tender_not_open",
            ContractingRefusal::BidSealed => "bid_sealed",
            ContractingRefusal::BidExists => "bid_exists",
            ContractingRefusal::BidWithdrawn => "bid_withdrawn",
            ContractingRefusal::BeforeDeadline => "bids_sealed_until_deadline",
            ContractingRefusal::WeightsNot100 => "weights_not_100",
            ContractingRefusal::RankingIncomplete => "ranking_incomplete",
            ContractingRefusal::ApproveOwnDraft => "approve_own_draft",
            ContractingRefusal::OverCeiling => "payment_over_ceiling",
            ContractingRefusal::ScoreRange => "score_range",
        }
    }

    /// The translation key (`crates/goldaw-web/i18n/*/contracting.ftl`).
    pub fn key(&self) -> &'static str {
        match self {
            ContractingRefusal::TenderOutOfOrder { .. } => "contracting-tender-out-of-order",
            ContractingRefusal::BidOutOfOrder { .. } => "contracting-bid-out-of-order",
            ContractingRefusal::ContractOutOfOrder { .. } => "contracting-contract-out-of-order",
            ContractingRefusal::ReportOutOfOrder { .. } => "contracting-report-out-of-order",
            ContractingRefusal::DeadlinePassed => "contracting-deadline-passed",
            ContractingRefusal::TenderNotOpen => "contracting-tender-not-open",
            ContractingRefusal::BidSealed => "contracting-bid-sealed",
            ContractingRefusal::BidExists => "contracting-bid-exists",
            ContractingRefusal::BidWithdrawn => "contracting-bid-withdrawn-final",
            ContractingRefusal::BeforeDeadline => "contracting-before-deadline",
            ContractingRefusal::WeightsNot100 => "contracting-weights-not-100",
            ContractingRefusal::RankingIncomplete => "contracting-ranking-incomplete",
            ContractingRefusal::ApproveOwnDraft => "contracting-approve-own-draft",
            ContractingRefusal::OverCeiling => "contracting-payment-over-ceiling",
            ContractingRefusal::ScoreRange => "contracting-score-range",
        }
    }

    /// The status and the action an out-of-order refusal names (codes), if it names them.
    pub fn status_and_action(&self) -> Option<(&'static str, &'static str)> {
        match self {
            ContractingRefusal::TenderOutOfOrder { status, action } => {
                Some((status.as_str(), action.as_str()))
            }
            ContractingRefusal::BidOutOfOrder { status, action } => {
                Some((status.as_str(), action.as_str()))
            }
            ContractingRefusal::ContractOutOfOrder { status, action } => {
                Some((status.as_str(), action.as_str()))
            }
            ContractingRefusal::ReportOutOfOrder { status, action } => {
                Some((status.as_str(), action.as_str()))
            }
            _ => None,
        }
    }
}

/// A tender's status now: a published tender is closed from its deadline on, by itself.
pub fn tender_status_now(
    stored: TenderStatus,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> TenderStatus {
    if stored == TenderStatus::Published && now >= deadline {
        TenderStatus::Closed
    } else {
        stored
    }
}

/// The tender's state machine (on the status now, [`tender_status_now`]).
pub fn next_tender_status(
    status: TenderStatus,
    action: TenderAction,
) -> Result<TenderStatus, ContractingRefusal> {
    use TenderAction as A;
    use TenderStatus as S;
    match (status, action) {
        (S::Draft, A::Approve) => Ok(S::Approved),
        (S::Approved, A::Publish) => Ok(S::Published),
        (S::Closed, A::Award) => Ok(S::Awarded),
        (S::Draft | S::Approved | S::Published | S::Closed, A::Cancel) => Ok(S::Cancelled),
        _ => Err(ContractingRefusal::TenderOutOfOrder { status, action }),
    }
}

/// Whether an organisation may prepare a bid on a tender, given the statuses of the bids it
/// already has on it: one bid per organisation and tender, and a withdrawal is final (a new bid
/// after it would change the sealed bid by another door; docs/contracting.md).
pub fn may_prepare_bid(existing: &[BidStatus]) -> Result<(), ContractingRefusal> {
    if existing.contains(&BidStatus::Withdrawn) {
        Err(ContractingRefusal::BidWithdrawn)
    } else if existing.is_empty() {
        Ok(())
    } else {
        Err(ContractingRefusal::BidExists)
    }
}

/// The bid's state machine, given the tender's status now: nothing after the deadline, nothing
/// on a tender not published, and a submitted bid is sealed (withdrawn, never changed).
pub fn next_bid_status(
    tender: TenderStatus,
    status: BidStatus,
    action: BidAction,
) -> Result<BidStatus, ContractingRefusal> {
    match tender {
        TenderStatus::Published => {}
        TenderStatus::Closed | TenderStatus::Awarded => {
            return Err(ContractingRefusal::DeadlinePassed)
        }
        _ => return Err(ContractingRefusal::TenderNotOpen),
    }
    use BidAction as A;
    use BidStatus as S;
    match (status, action) {
        (S::Draft, A::Change) => Ok(S::Draft),
        (S::Draft, A::Submit) => Ok(S::Submitted),
        (S::Submitted, A::Withdraw) => Ok(S::Withdrawn),
        (S::Submitted, A::Change) => Err(ContractingRefusal::BidSealed),
        _ => Err(ContractingRefusal::BidOutOfOrder { status, action }),
    }
}

/// The contract's state machine.
pub fn next_contract_status(
    status: ContractStatus,
    action: ContractAction,
) -> Result<ContractStatus, ContractingRefusal> {
    use ContractAction as A;
    use ContractStatus as S;
    match (status, action) {
        (S::Signed, A::Amend) => Ok(S::Signed),
        (S::Suspended, A::Amend) => Ok(S::Suspended),
        (S::Signed, A::Suspend) => Ok(S::Suspended),
        (S::Suspended, A::Resume) => Ok(S::Signed),
        (S::Signed | S::Suspended, A::End) => Ok(S::Ended),
        _ => Err(ContractingRefusal::ContractOutOfOrder { status, action }),
    }
}

/// The delivery report's state machine: a payment is recorded on a verified report only.
pub fn next_report_status(
    status: ReportStatus,
    action: ReportAction,
) -> Result<ReportStatus, ContractingRefusal> {
    use ReportAction as A;
    use ReportStatus as S;
    match (status, action) {
        (S::Drafted | S::Confirmed, A::Confirm) => Ok(S::Confirmed),
        (S::Confirmed, A::Verify) => Ok(S::Verified),
        (S::Verified, A::Pay) => Ok(S::Verified),
        _ => Err(ContractingRefusal::ReportOutOfOrder { status, action }),
    }
}

/// The weights of a tender's criteria, in percent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub price: i32,
    pub method: i32,
    pub staff: i32,
    pub experience: i32,
    pub rural_reach: i32,
}

impl Weights {
    pub fn of(&self, c: Criterion) -> i32 {
        match c {
            Criterion::Price => self.price,
            Criterion::Method => self.method,
            Criterion::Staff => self.staff,
            Criterion::Experience => self.experience,
            Criterion::RuralReach => self.rural_reach,
        }
    }

    /// Each weight from 0 to 100, together 100.
    pub fn check(&self) -> Result<(), ContractingRefusal> {
        let all = Criterion::ALL.iter().map(|c| self.of(*c));
        if all.clone().any(|w| !(0..=100).contains(&w)) || all.sum::<i32>() != 100 {
            return Err(ContractingRefusal::WeightsNot100);
        }
        Ok(())
    }
}

/// A submitted bid as the ranking sees it.
#[derive(Debug, Clone)]
pub struct BidToRank {
    pub id: Uuid,
    pub price_per_unit: i64,
    pub submitted_at: DateTime<Utc>,
}

/// One member's score of one bid on one criterion.
#[derive(Debug, Clone, Copy)]
pub struct Score {
    pub bid: Uuid,
    pub member: Uuid,
    pub criterion: Criterion,
    pub score: i32,
}

/// A bid's place in the ranking.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Ranked {
    pub bid: Uuid,
    /// 1 is the winner.
    pub rank: u32,
    /// The weighted total, 0 to 100, rounded to two decimals.
    pub total: f64,
    /// The price criterion's score (0 to 10): the lowest price over this one, × 10.
    pub price_score: f64,
    /// The average score of the members without a conflict, per scored criterion, in
    /// [`SCORED`] order.
    pub averages: Vec<f64>,
}

/// Whether `member` may score `bid`: a member on the committee who declared no conflict with it.
pub fn may_score(on_committee: bool, conflict_declared: bool) -> bool {
    on_committee && !conflict_declared
}

/// The weighted ranking of the submitted bids: the price criterion from the prices, the other
/// criteria the average of the scores of the members without a conflict with the bid (a score by
/// a conflicted member is ignored, whatever the store let through), weighted; ties go to the
/// lower price, then to the earlier bid. Refused while some bid lacks a score on some criterion.
pub fn rank_bids(
    weights: &Weights,
    bids: &[BidToRank],
    scores: &[Score],
    conflicts: &[(Uuid, Uuid)],
) -> Result<Vec<Ranked>, ContractingRefusal> {
    weights.check()?;
    let lowest = bids
        .iter()
        .map(|b| b.price_per_unit)
        .filter(|p| *p > 0)
        .min();
    let mut ranked: Vec<(Ranked, &BidToRank)> = Vec::with_capacity(bids.len());
    for bid in bids {
        let price_score = match lowest {
            Some(low) if bid.price_per_unit > 0 => {
                low as f64 / bid.price_per_unit as f64 * f64::from(MAX_SCORE)
            }
            _ => 0.0,
        };
        let mut total = price_score * f64::from(weights.price);
        let mut averages = Vec::with_capacity(SCORED.len());
        for criterion in SCORED {
            let given: Vec<i32> = scores
                .iter()
                .filter(|s| s.bid == bid.id && s.criterion == criterion)
                .filter(|s| !conflicts.contains(&(s.bid, s.member)))
                .map(|s| s.score)
                .collect();
            if given.is_empty() {
                if weights.of(criterion) == 0 {
                    averages.push(0.0);
                    continue;
                }
                return Err(ContractingRefusal::RankingIncomplete);
            }
            let avg = f64::from(given.iter().sum::<i32>()) / given.len() as f64;
            total += avg * f64::from(weights.of(criterion));
            averages.push(avg);
        }
        let total = total / f64::from(MAX_SCORE);
        ranked.push((
            Ranked {
                bid: bid.id,
                rank: 0,
                total: (total * 100.0).round() / 100.0,
                price_score: (price_score * 100.0).round() / 100.0,
                averages,
            },
            bid,
        ));
    }
    ranked.sort_by(|(a, ab), (b, bb)| {
        b.total
            .total_cmp(&a.total)
            .then(ab.price_per_unit.cmp(&bb.price_per_unit))
            .then(ab.submitted_at.cmp(&bb.submitted_at))
            .then(ab.id.cmp(&bb.id))
    });
    Ok(ranked
        .into_iter()
        .enumerate()
        .map(|(i, (mut r, _))| {
            r.rank = i as u32 + 1;
            r
        })
        .collect())
}

/// What is due on a verified report: verified units × price, never beyond what the ceiling
/// leaves after what was already due on earlier reports. Saturating: no overflow on any input.
pub fn payment_due(verified_units: i64, price_per_unit: i64, ceiling: i64, due_before: i64) -> i64 {
    let earned = verified_units.max(0).saturating_mul(price_per_unit.max(0));
    let left = ceiling.saturating_sub(due_before).max(0);
    earned.min(left)
}

/// A payment recorded on a report: positive, and within what is due on it (so within the
/// ceiling) after what was paid on it already.
pub fn check_payment(amount: i64, due: i64, paid_before: i64) -> Result<(), ContractingRefusal> {
    if amount <= 0 || amount > due.saturating_sub(paid_before) {
        return Err(ContractingRefusal::OverCeiling);
    }
    Ok(())
}

/// Whether a reader sees a tender at all: its keepers and its committee always; every provider
/// organisation's staff once it was published (also after its close, award or cancellation);
/// nobody else (as if it did not exist).
pub fn tender_visible(keeper: bool, committee: bool, provider: bool, was_published: bool) -> bool {
    keeper || committee || (provider && was_published)
}

/// Who reads a tender's bids, as far as bids are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BidReader {
    /// The reader keeps the tender (contracting permission, tender in scope).
    pub keeper: bool,
    /// The reader sits on the tender's committee.
    pub committee: bool,
    /// The bid is the reader's organisation's own.
    pub own: bool,
    /// The reader's organisation submitted a bid on this tender.
    pub bidder: bool,
}

/// How much of a bid a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BidSight {
    /// Not at all: as if it did not exist.
    None,
    /// That it exists, and when it was submitted: its content is sealed until the deadline.
    Sealed,
    /// Everything: the bidder's own, or the keepers and the committee after the deadline.
    Full,
    /// The outcome after the award: who bid, at what price, the scores and the rank.
    Outcome,
}

/// How much of a bid `reader` sees while the tender is `tender` (its status now).
pub fn bid_sight(reader: BidReader, tender: TenderStatus) -> BidSight {
    if reader.own {
        return BidSight::Full;
    }
    let opened = matches!(tender, TenderStatus::Closed | TenderStatus::Awarded);
    if reader.keeper || reader.committee {
        return if opened {
            BidSight::Full
        } else {
            BidSight::Sealed
        };
    }
    if reader.bidder && tender == TenderStatus::Awarded {
        return BidSight::Outcome;
    }
    BidSight::None
}

/// Why a reader may not verify a delivery report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyRefusal {
    /// Not a keeper of contracts.
    NotPermitted,
    /// The reader belongs to the organisation that delivered (or confirmed the report).
    OwnOrganisation,
}

/// Whether `reader` may verify a report of the contract with `provider_external_id`, confirmed
/// by `confirmed_by`: the contracting permission, and not the provider's own staff nor the
/// person who confirmed it (a provider account that somehow held the permission is refused by
/// the organisation rule too).
pub fn may_verify(
    reader: &Principal,
    provider_external_id: &str,
    confirmed_by: Option<&str>,
) -> Result<(), VerifyRefusal> {
    let own_org = matches!(&reader.scope, Scope::Provider(p) if p == provider_external_id);
    if own_org || confirmed_by == Some(reader.actor.as_str()) {
        return Err(VerifyRefusal::OwnOrganisation);
    }
    if !reader.may(Permission::Contracting) {
        return Err(VerifyRefusal::NotPermitted);
    }
    Ok(())
}

/// The first day of the month of `day`.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Parses a month written `YYYY-MM` into its first day.
pub fn parse_month(text: &str) -> Result<NaiveDate, crate::ParseError> {
    NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d")
        .map_err(|_| crate::ParseError::new(format!("'{text}' is not a month (YYYY-MM)")))
}

/// The day a month's report is due: [`REPORT_GRACE_DAYS`] after the month's end.
pub fn report_due(month: NaiveDate) -> NaiveDate {
    let next = month_of(month)
        .checked_add_months(Months::new(1))
        .unwrap_or(month);
    next.checked_add_days(chrono::Days::new(REPORT_GRACE_DAYS - 1))
        .unwrap_or(next)
}

/// The months of a contract's period whose report is late on `today`: due before today and not
/// confirmed by the provider (`confirmed` lists the months that are). The task list shows them.
pub fn late_reports(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    confirmed: &[NaiveDate],
) -> Vec<NaiveDate> {
    let mut late = Vec::new();
    let mut month = month_of(from);
    let last = month_of(to);
    while month <= last && report_due(month) < today {
        if !confirmed.contains(&month) {
            late.push(month);
        }
        match month.checked_add_months(Months::new(1)) {
            Some(m) => month = m,
            None => break,
        }
    }
    late
}

/// The way a delivery by a provider of `kind` counts in the comparison: a state provider; an NGO
/// or private provider with a contract for the service; or one with other funding.
pub fn delivery_way(
    kind: crate::service_referrals::ProviderKind,
    under_contract: bool,
) -> DeliveryWay {
    use crate::service_referrals::ProviderKind;
    match (kind, under_contract) {
        (ProviderKind::State, _) => DeliveryWay::State,
        (_, true) => DeliveryWay::NgoContracted,
        (_, false) => DeliveryWay::NgoOther,
    }
}

/// A ratio rounded to two decimals, `None` when the divisor is 0.
pub fn per(amount: f64, count: i64) -> Option<f64> {
    (count > 0).then(|| (amount / count as f64 * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    #[test]
    fn a_published_tender_closes_at_its_deadline_by_itself() {
        let deadline = at(0);
        assert_eq!(
            tender_status_now(TenderStatus::Published, deadline, at(-1)),
            TenderStatus::Published
        );
        assert_eq!(
            tender_status_now(TenderStatus::Published, deadline, at(0)),
            TenderStatus::Closed
        );
        assert_eq!(
            tender_status_now(TenderStatus::Draft, deadline, at(5)),
            TenderStatus::Draft
        );
    }

    #[test]
    fn every_tender_transition() {
        for s in TenderStatus::ALL {
            for a in TenderAction::ALL {
                let r = next_tender_status(*s, *a);
                let ok = matches!(
                    (s, a),
                    (TenderStatus::Draft, TenderAction::Approve)
                        | (TenderStatus::Approved, TenderAction::Publish)
                        | (TenderStatus::Closed, TenderAction::Award)
                        | (
                            TenderStatus::Draft
                                | TenderStatus::Approved
                                | TenderStatus::Published
                                | TenderStatus::Closed,
                            TenderAction::Cancel
                        )
                );
                assert_eq!(r.is_ok(), ok, "{s} {a}");
            }
        }
    }

    #[test]
    fn bids_are_sealed_and_never_late() {
        use BidAction as A;
        use BidStatus as S;
        let open = TenderStatus::Published;
        assert_eq!(next_bid_status(open, S::Draft, A::Submit), Ok(S::Submitted));
        assert_eq!(
            next_bid_status(open, S::Submitted, A::Change),
            Err(ContractingRefusal::BidSealed)
        );
        assert_eq!(
            next_bid_status(open, S::Submitted, A::Withdraw),
            Ok(S::Withdrawn)
        );
        for a in BidAction::ALL {
            assert_eq!(
                next_bid_status(TenderStatus::Closed, S::Draft, *a),
                Err(ContractingRefusal::DeadlinePassed)
            );
            assert_eq!(
                next_bid_status(TenderStatus::Approved, S::Draft, *a),
                Err(ContractingRefusal::TenderNotOpen)
            );
        }
        assert!(next_bid_status(open, S::Withdrawn, A::Submit).is_err());
    }

    #[test]
    fn contracts_and_reports_follow_their_order() {
        use ContractAction as A;
        use ContractStatus as S;
        assert_eq!(
            next_contract_status(S::Signed, A::Suspend),
            Ok(S::Suspended)
        );
        assert_eq!(next_contract_status(S::Suspended, A::Resume), Ok(S::Signed));
        assert_eq!(next_contract_status(S::Suspended, A::End), Ok(S::Ended));
        assert!(next_contract_status(S::Ended, A::Amend).is_err());
        assert!(next_contract_status(S::Signed, A::Resume).is_err());
        assert_eq!(
            next_report_status(ReportStatus::Drafted, ReportAction::Verify),
            Err(ContractingRefusal::ReportOutOfOrder {
                status: ReportStatus::Drafted,
                action: ReportAction::Verify
            })
        );
        assert_eq!(
            next_report_status(ReportStatus::Confirmed, ReportAction::Verify),
            Ok(ReportStatus::Verified)
        );
        assert!(next_report_status(ReportStatus::Confirmed, ReportAction::Pay).is_err());
    }

    fn weights() -> Weights {
        Weights {
            price: 40,
            method: 20,
            staff: 15,
            experience: 15,
            rural_reach: 10,
        }
    }

    #[test]
    fn the_ranking_weighs_the_scores_and_ignores_a_conflicted_member() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (m1, m2) = (Uuid::from_u128(10), Uuid::from_u128(11));
        let bids = [
            BidToRank {
                id: a,
                price_per_unit: 1000,
                submitted_at: at(-10),
            },
            BidToRank {
                id: b,
                price_per_unit: 800,
                submitted_at: at(-5),
            },
        ];
        let mut scores = Vec::new();
        for c in SCORED {
            scores.push(Score {
                bid: a,
                member: m1,
                criterion: c,
                score: 9,
            });
            scores.push(Score {
                bid: b,
                member: m1,
                criterion: c,
                score: 5,
            });
            // m2 declared a conflict with b and scores it 10: ignored.
            scores.push(Score {
                bid: b,
                member: m2,
                criterion: c,
                score: 10,
            });
        }
        let ranked = rank_bids(&weights(), &bids, &scores, &[(b, m2)]).unwrap();
        // a: price 8 × 40 + 9 × 60 = 860 → 86; b: 10 × 40 + 5 × 60 = 700 → 70.
        assert_eq!(ranked[0].bid, a);
        assert_eq!(ranked[0].total, 86.0);
        assert_eq!(ranked[1].total, 70.0);
        assert_eq!(ranked[1].rank, 2);
        // Without any score on b from a member without a conflict, no ranking.
        let only_m2: Vec<Score> = scores.iter().copied().filter(|s| s.member == m2).collect();
        assert_eq!(
            rank_bids(&weights(), &bids[1..], &only_m2, &[(b, m2)]),
            Err(ContractingRefusal::RankingIncomplete)
        );
        let mut bad = weights();
        bad.price = 41;
        assert_eq!(
            rank_bids(&bad, &bids, &scores, &[]),
            Err(ContractingRefusal::WeightsNot100)
        );
    }

    #[test]
    fn a_payment_never_passes_the_ceiling() {
        assert_eq!(payment_due(10, 500, 100_000, 0), 5_000);
        assert_eq!(payment_due(10, 500, 6_000, 3_000), 3_000);
        assert_eq!(payment_due(10, 500, 6_000, 7_000), 0);
        assert_eq!(payment_due(i64::MAX, i64::MAX, 10, 0), 10);
        assert!(check_payment(3_000, 3_000, 0).is_ok());
        assert_eq!(
            check_payment(3_001, 3_000, 0),
            Err(ContractingRefusal::OverCeiling)
        );
        assert!(check_payment(1, 3_000, 3_000).is_err());
        assert!(check_payment(0, 3_000, 0).is_err());
    }

    #[test]
    fn bids_are_seen_as_the_rules_say() {
        let r = |keeper, committee, own, bidder| BidReader {
            keeper,
            committee,
            own,
            bidder,
        };
        use TenderStatus as T;
        assert_eq!(
            bid_sight(r(false, false, true, true), T::Published),
            BidSight::Full
        );
        assert_eq!(
            bid_sight(r(true, false, false, false), T::Published),
            BidSight::Sealed
        );
        assert_eq!(
            bid_sight(r(false, true, false, false), T::Closed),
            BidSight::Full
        );
        assert_eq!(
            bid_sight(r(false, false, false, true), T::Closed),
            BidSight::None
        );
        assert_eq!(
            bid_sight(r(false, false, false, true), T::Awarded),
            BidSight::Outcome
        );
        assert_eq!(
            bid_sight(r(false, false, false, false), T::Awarded),
            BidSight::None
        );
    }

    #[test]
    fn late_reports_are_the_months_due_and_not_confirmed() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(report_due(d(2026, 1, 1)), d(2026, 2, 5));
        let late = late_reports(
            d(2026, 1, 10),
            d(2026, 12, 31),
            d(2026, 4, 6),
            &[d(2026, 2, 1)],
        );
        assert_eq!(late, [d(2026, 1, 1), d(2026, 3, 1)]);
        assert!(late_reports(d(2026, 1, 1), d(2026, 12, 31), d(2026, 2, 5), &[]).is_empty());
    }

    #[test]
    fn one_bid_per_organisation_and_a_withdrawal_is_final() {
        use BidStatus as S;
        assert_eq!(may_prepare_bid(&[]), Ok(()));
        assert_eq!(
            may_prepare_bid(&[S::Draft]),
            Err(ContractingRefusal::BidExists)
        );
        assert_eq!(
            may_prepare_bid(&[S::Submitted]),
            Err(ContractingRefusal::BidExists)
        );
        assert_eq!(
            may_prepare_bid(&[S::Withdrawn]),
            Err(ContractingRefusal::BidWithdrawn)
        );
        let refusal = may_prepare_bid(&[S::Withdrawn]).unwrap_err();
        assert_eq!(
            (refusal.code(), refusal.key()),
            ("bid_withdrawn", "contracting-bid-withdrawn-final")
        );
    }
}
