//! Referrals to services (docs/referrals.md): a social worker refers a person of a case (the
//! case's person or a member of their household) to a provider's offer, or to a universal service
//! of another sector by naming the recipient. Residential (tertiary) care is refused without a
//! court order or a ministry referral. The rules (when a case may refer, the referral's statuses
//! and their order) are `goldaw_core::service_referrals`; this module reads and writes them.
//!
//! "Referral" here always means a referral to a service. A new case coming in is *intake*
//! (`crate::cases`), though some public names keep the old word for it (`Store::register_referral`,
//! `NewReferral`, `ReferralSource`): they mean intake.
//!
//! - `refer`: a referral made;
//! - `cancel`: an open referral cancelled by the case's worker;
//! - `list`: the referrals of a case;
//! - `offers`: the offers a case may be referred to;
//! - `legal_basis`: the court order or ministry referral that residential care needs.

mod cancel;
mod legal_basis;
mod list;
pub use list::ReferralPage;
mod offers;
mod refer;

use crate::cases::CaseRow;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::scope::person_hidden;
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::Principal;
use goldaw_core::cases::ServiceCode;
use goldaw_core::privacy;
use goldaw_core::service_referrals::ReferralRefusal;
pub use goldaw_core::service_referrals::{DeclineReason, LegalBasisKind, ReferralStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A referral of a person of the case to a service.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServiceReferral {
    /// The person referred: the case's person or a member of their household.
    pub person: Uuid,
    #[schema(value_type = String)]
    pub service_code: ServiceCode,
    /// The provider's offer (specialized and residential services).
    #[serde(default)]
    pub provider_service: Option<Uuid>,
    /// Universal services (U_*): the school, clinic or office referred to.
    #[serde(default)]
    pub recipient: Option<String>,
    /// What the provider needs to know, shared with the person's consent: sealed.
    #[serde(default)]
    pub info: Option<String>,
}

/// A court order or a ministry referral recorded on a case.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLegalBasis {
    pub kind: LegalBasisKind,
    /// The number of the order or the referral letter.
    pub reference: String,
    pub issued_on: NaiveDate,
    /// The court or the ministry office.
    pub issued_by: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LegalBasis {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: LegalBasisKind,
    pub reference: String,
    pub issued_on: NaiveDate,
    pub issued_by: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A referral as the case's worker and supervisor see it. On a sensitive case (or a referral of a
/// hidden person) a reader without the sensitive permission sees its code only: the service,
/// the status, the dates and units; not whom, to which provider or recipient, nor the note.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    /// `None` when withheld (see `restricted`).
    pub person_id: Option<Uuid>,
    pub service_code: String,
    pub provider_service_id: Option<Uuid>,
    pub provider_external_id: Option<String>,
    pub provider_name: Option<String>,
    pub recipient: Option<String>,
    pub status: ReferralStatus,
    pub decision_reason: Option<DeclineReason>,
    /// `None` when withheld (a sensitive case, a reader without the permission).
    pub info: Option<String>,
    pub legal_basis_id: Option<Uuid>,
    /// The person, provider, recipient, legal basis and note are withheld from this reader.
    pub restricted: bool,
    pub sent_at: DateTime<Utc>,
    pub sent_by: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub units: Option<i32>,
    /// Send it back with a cancellation (no lost updates).
    pub version: i32,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReferralRow {
    pub(crate) id: Uuid,
    pub(crate) case_id: Uuid,
    pub(crate) person_id: Uuid,
    pub(crate) service_code: String,
    pub(crate) provider_service_id: Option<Uuid>,
    pub(crate) provider_external_id: Option<String>,
    pub(crate) provider_name: Option<String>,
    pub(crate) offer_unit: Option<String>,
    pub(crate) recipient: Option<String>,
    #[sqlx(try_from = "String")]
    pub(crate) status: ReferralStatus,
    pub(crate) info_sealed: Option<Vec<u8>>,
    pub(crate) decision_reason: Option<String>,
    pub(crate) legal_basis_id: Option<Uuid>,
    pub(crate) sent_at: DateTime<Utc>,
    pub(crate) sent_by: String,
    pub(crate) decided_at: Option<DateTime<Utc>>,
    pub(crate) decided_by: Option<String>,
    pub(crate) version: i32,
    pub(crate) given_name: String,
    pub(crate) sex: String,
    pub(crate) birth_date: Option<NaiveDate>,
    pub(crate) case_unit: String,
    pub(crate) case_number: String,
    /// The case is sensitive or about a hidden person, or the person referred is hidden.
    pub(crate) sensitive: bool,
    pub(crate) started_on: Option<NaiveDate>,
    pub(crate) ended_on: Option<NaiveDate>,
    pub(crate) units: Option<i32>,
}

pub(crate) const SELECT_REFERRAL: &str = concat!(
    "SELECT r.id, r.case_id, r.person_id, r.service_code,
        r.provider_service_id, pr.external_id AS provider_external_id, pr.name AS provider_name,
        o.admin_unit AS offer_unit, r.recipient, r.status, r.info_sealed, r.decision_reason,
        r.legal_basis_id, r.sent_at, r.sent_by, r.decided_at, r.decided_by, r.version,
        p.given_name, p.sex, p.birth_date, c.admin_unit AS case_unit, c.external_id AS case_number,
        (c.sensitive OR ",
    person_hidden!("cp"),
    " OR ",
    person_hidden!("p"),
    ") AS sensitive, e.started_on, e.ended_on, e.units
    FROM service_referrals r
    JOIN cases c ON c.id = r.case_id
    JOIN persons cp ON cp.id = c.person_id
    JOIN persons p ON p.id = r.person_id
    LEFT JOIN providers pr ON pr.id = r.provider_id
    LEFT JOIN provider_services o ON o.id = r.provider_service_id
    LEFT JOIN service_episodes e ON e.referral_id = r.id"
);

/// A decline reason as stored.
pub(crate) fn decline_reason(stored: Option<&str>) -> StoreResult<Option<DeclineReason>> {
    stored
        .map(|s| s.parse().map_err(|e| corrupt("decline reason", e)))
        .transpose()
}

/// Locks the rows a write reads to decide (`SELECT … FOR UPDATE`) on PostgreSQL. SQLite needs
/// none: its write transaction, begun by the audit event, holds the whole database.
pub(crate) fn for_update(store: &Store) -> &'static str {
    match store.db() {
        crate::db::Db::Sqlite(_) => "",
        crate::db::Db::Postgres(_) => " FOR UPDATE",
    }
}

/// The provider's (or the worker's) action out of the referral's order, as a refusal a person can
/// read: the key the pages translate, with the status and the action as terms, and its `en` text
/// as the English message (one text, `StoreError::refuse`).
pub(crate) fn out_of_order(refusal: ReferralRefusal) -> StoreError {
    let ReferralRefusal::OutOfOrder { status, action } = refusal;
    debug_assert_eq!(refusal.key(), "store-referral-out-of-order");
    StoreError::refuse(
        refusal.field(),
        "store-referral-out-of-order",
        vec![
            ("status", SayArg::Term(status.key())),
            ("action", SayArg::Term(action.key().to_owned())),
        ],
    )
}

/// A referral's status and version as they are inside a writing transaction (locked on
/// PostgreSQL: see [`for_update`]).
#[derive(sqlx::FromRow)]
pub(crate) struct ReferralNow {
    #[sqlx(try_from = "String")]
    pub(crate) status: ReferralStatus,
    pub(crate) version: i32,
}

/// The query for [`ReferralNow`], with the lock of the backend.
pub(crate) fn referral_now_sql(store: &Store) -> String {
    format!(
        "SELECT status, version FROM service_referrals WHERE id = $1{}",
        for_update(store)
    )
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

impl Store {
    /// The case, through the one scoped read every case route uses (not audited: callers audit).
    pub(crate) async fn referral_case(
        &self,
        principal: &Principal,
        case: Uuid,
    ) -> StoreResult<CaseRow> {
        self.load_case_row(principal, case).await
    }

    /// One referral, read without scope: callers check the case's scope.
    pub(crate) async fn referral_row(&self, id: Uuid) -> StoreResult<ReferralRow> {
        let sql = format!("{SELECT_REFERRAL} WHERE r.id = $1");
        let row: Option<ReferralRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// A referral as the case's readers see it (withheld parts for a restricted reader).
    pub(crate) fn referral_record(
        &self,
        principal: &Principal,
        row: ReferralRow,
    ) -> StoreResult<ReferralRecord> {
        let restricted = privacy::restricted(principal, row.sensitive);
        let info = if restricted {
            None
        } else {
            self.open_text(
                "referral text",
                row.info_sealed.as_deref(),
                &format!("service_referrals.info:{}", row.id),
            )?
        };
        let shown = |v| if restricted { None } else { v };
        Ok(ReferralRecord {
            id: row.id,
            case_id: row.case_id,
            person_id: shown(Some(row.person_id)),
            service_code: row.service_code,
            provider_service_id: shown(row.provider_service_id),
            provider_external_id: if restricted {
                None
            } else {
                row.provider_external_id
            },
            provider_name: if restricted { None } else { row.provider_name },
            recipient: if restricted { None } else { row.recipient },
            status: row.status,
            decision_reason: decline_reason(row.decision_reason.as_deref())?,
            info,
            legal_basis_id: shown(row.legal_basis_id),
            restricted,
            sent_at: row.sent_at,
            sent_by: row.sent_by,
            decided_at: row.decided_at,
            decided_by: row.decided_by,
            started_on: row.started_on,
            ended_on: row.ended_on,
            units: row.units,
            version: row.version,
        })
    }
}
