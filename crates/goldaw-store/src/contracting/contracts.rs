//! Contracts: signed from the award with targets, the price per unit (the winning bid's), the
//! ceiling (within the tender's budget), the payment schedule and the period; amended with a new
//! version of the terms, suspended, resumed or ended early with a reason. Signing puts the
//! provider's offer in the register for every etrap of the tender (`providers::contracted`), so
//! referrals flow to it; a suspension or an end takes the offers out.

use super::{optional_text, reason, refused, text, TenderRow, SELECT_TENDER};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::providers::set_contracted_offer;
use crate::service_referrals::{corrupt, for_update};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::contracting::timeliness::Performance;
use goldaw_core::contracting::{
    next_contract_status, ContractAction, ContractStatus, TenderStatus,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A contract signed from an awarded tender.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContract {
    /// The most that will be paid, in tiyn: within the tender's maximum budget.
    pub ceiling: i64,
    pub target_people: i32,
    pub target_units: i32,
    #[serde(default)]
    pub target_outcomes: Option<String>,
    /// When payments fall due (e.g. "monthly, on the verified report").
    pub payment_schedule: String,
    /// Default: the tender's period.
    #[serde(default)]
    pub period_from: Option<NaiveDate>,
    #[serde(default)]
    pub period_to: Option<NaiveDate>,
    /// Places per etrap in the register; default: the bid's.
    #[serde(default)]
    pub places: Option<i32>,
}

/// New terms of a contract (an amendment).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractTerms {
    pub price_per_unit: i64,
    pub ceiling: i64,
    pub target_people: i32,
    pub target_units: i32,
    #[serde(default)]
    pub target_outcomes: Option<String>,
    pub payment_schedule: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    #[serde(default)]
    pub places: Option<i32>,
}

/// Amend (with the new terms), suspend, resume or end a contract; every action but resume
/// needs a reason.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractActRequest {
    pub action: ContractAction,
    pub version: i32,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub terms: Option<ContractTerms>,
}

/// One version of a contract's terms.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ContractVersion {
    pub amendment: i32,
    pub price_per_unit: i64,
    pub ceiling: i64,
    pub target_people: i32,
    pub target_units: i32,
    pub target_outcomes: Option<String>,
    pub payment_schedule: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub reason: Option<String>,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

/// A contract with its terms, versions, and delivery against its targets.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub bid_id: Uuid,
    pub provider_id: Uuid,
    pub provider_external_id: String,
    pub provider_name: String,
    pub service_code: String,
    pub admin_units: Vec<String>,
    pub status: ContractStatus,
    pub status_reason: Option<String>,
    pub amendment: i32,
    pub price_per_unit: i64,
    pub ceiling: i64,
    pub target_people: i32,
    pub target_units: i32,
    pub target_outcomes: Option<String>,
    pub payment_schedule: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub places: Option<i32>,
    pub signed_by: String,
    pub signed_at: DateTime<Utc>,
    pub versions: Vec<ContractVersion>,
    /// Units delivered on the contract's referrals in its period.
    pub delivered_units: i64,
    /// People served on them.
    pub people_served: i64,
    /// Referrals accepted or started now, and waiting.
    pub referrals_open: i64,
    pub referrals_waiting: i64,
    /// Due on verified reports, and paid.
    pub due_total: i64,
    pub paid_total: i64,
    /// The referrals made to it, accepted in time, waiting, and delivery month by month against
    /// the targets (`docs/contracting.md`); given when one contract is read, not in lists.
    pub performance: Option<Performance>,
    /// The reader keeps it (may act on it, verify and pay).
    pub keeper: bool,
    pub actions: Vec<ContractAction>,
    pub version: i32,
}

#[derive(sqlx::FromRow, Clone)]
pub(crate) struct ContractRow {
    pub(crate) id: Uuid,
    pub(crate) tender_id: Uuid,
    pub(crate) bid_id: Uuid,
    pub(crate) provider_id: Uuid,
    pub(crate) provider_external_id: String,
    pub(crate) provider_name: String,
    pub(crate) service_code: String,
    #[sqlx(try_from = "String")]
    pub(crate) status: ContractStatus,
    pub(crate) status_reason: Option<String>,
    pub(crate) amendment: i32,
    pub(crate) price_per_unit: i64,
    pub(crate) ceiling: i64,
    pub(crate) target_people: i32,
    pub(crate) target_units: i32,
    pub(crate) target_outcomes: Option<String>,
    pub(crate) payment_schedule: String,
    pub(crate) period_from: NaiveDate,
    pub(crate) period_to: NaiveDate,
    pub(crate) places: Option<i32>,
    pub(crate) signed_by: String,
    pub(crate) signed_at: DateTime<Utc>,
    pub(crate) version: i32,
}

pub(crate) const SELECT_CONTRACT: &str = "SELECT c.id, c.tender_id, c.bid_id, c.provider_id,
        pr.external_id AS provider_external_id, pr.name AS provider_name, c.service_code, c.status,
        c.status_reason, c.amendment, c.price_per_unit, c.ceiling, c.target_people, c.target_units,
        c.target_outcomes, c.payment_schedule, c.period_from, c.period_to, c.places, c.signed_by,
        c.signed_at, c.version
    FROM contracts c JOIN providers pr ON pr.id = c.provider_id";

/// Units, people and referrals delivered on a contract's referrals between two days: deliveries
/// on referrals to the provider's offers of the service in the tender's etraps.
pub(crate) const DELIVERED: &str = "SELECT CAST(COALESCE(SUM(d.units), 0) AS BIGINT), COUNT(DISTINCT r.person_id), COUNT(DISTINCT r.id)
    FROM service_deliveries d
    JOIN service_episodes e ON e.id = d.episode_id
    JOIN service_referrals r ON r.id = e.referral_id
    JOIN provider_services o ON o.id = r.provider_service_id
    WHERE r.provider_id = $1 AND r.service_code = $2
      AND o.admin_unit IN (SELECT admin_unit FROM tender_units WHERE tender_id = $3)
      AND d.delivered_on >= $4 AND d.delivered_on <= $5";

/// The terms checked.
struct Checked {
    price_per_unit: i64,
    ceiling: i64,
    target_people: i32,
    target_units: i32,
    target_outcomes: Option<String>,
    payment_schedule: String,
    period_from: NaiveDate,
    period_to: NaiveDate,
    places: Option<i32>,
}

fn check_terms(t: &ContractTerms, max_budget: i64) -> StoreResult<Checked> {
    if t.price_per_unit <= 0 || t.ceiling <= 0 || t.target_people <= 0 || t.target_units <= 0 {
        return Err(StoreError::refuse(
            "ceiling",
            "contracting-positive",
            vec![],
        ));
    }
    if t.ceiling > max_budget {
        return Err(StoreError::refuse(
            "ceiling",
            "contracting-ceiling-over-budget",
            vec![],
        ));
    }
    if t.period_to < t.period_from {
        return Err(StoreError::refuse(
            "period_to",
            "contracting-period-order",
            vec![],
        ));
    }
    if matches!(t.places, Some(p) if p < 0) {
        return Err(StoreError::refuse(
            "places",
            "store-places-negative",
            vec![],
        ));
    }
    Ok(Checked {
        price_per_unit: t.price_per_unit,
        ceiling: t.ceiling,
        target_people: t.target_people,
        target_units: t.target_units,
        target_outcomes: optional_text("target_outcomes", t.target_outcomes.as_deref())?,
        payment_schedule: text("payment_schedule", &t.payment_schedule)?,
        period_from: t.period_from,
        period_to: t.period_to,
        places: t.places,
    })
}

impl Store {
    /// Signs the contract of an awarded tender with the winning bid's provider and price, and
    /// puts the provider's offer of the service in the register for each etrap of the tender.
    #[tracing::instrument(skip_all, fields(tender = %tender))]
    pub async fn sign_contract(
        &self,
        principal: &Principal,
        tender: Uuid,
        new: NewContract,
    ) -> StoreResult<Contract> {
        let row = self.kept_tender(principal, tender).await?;
        if row.status_now(Utc::now()) != TenderStatus::Awarded {
            return Err(StoreError::refuse(
                "tender",
                "contracting-not-awarded",
                vec![],
            ));
        }
        let Some(bid_id) = row.awarded_bid_id else {
            return Err(StoreError::refuse(
                "tender",
                "contracting-not-awarded",
                vec![],
            ));
        };
        let bid = self.bid_row(bid_id).await?;
        let terms = check_terms(
            &ContractTerms {
                price_per_unit: bid.price_per_unit,
                ceiling: new.ceiling,
                target_people: new.target_people,
                target_units: new.target_units,
                target_outcomes: new.target_outcomes.clone(),
                payment_schedule: new.payment_schedule.clone(),
                period_from: new.period_from.unwrap_or(row.period_from),
                period_to: new.period_to.unwrap_or(row.period_to),
                places: new.places.or(bid.places),
            },
            row.max_budget,
        )?;
        let id = Uuid::now_v7();
        let lock = for_update(self);
        let sql = format!("{SELECT_TENDER} WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("contract.sign", "contract", id)
                .with_detail(format!("tender {tender}, provider {}", bid.provider_external_id)));
            let now_row: TenderRow = sqlx::query_as(&sql)
                .bind(tender)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if now_row.status != TenderStatus::Awarded || now_row.awarded_bid_id != Some(bid_id) {
                return Err(StoreError::refuse("tender", "contracting-not-awarded", vec![]));
            }
            let signed: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM contracts WHERE tender_id = $1")
                .bind(tender)
                .fetch_optional(&mut *tx)
                .await?;
            if signed.is_some() {
                return Err(StoreError::refuse("tender", "contracting-contract-exists", vec![]));
            }
            let now = Utc::now();
            sqlx::query("INSERT INTO contracts (id, tender_id, bid_id, provider_id, service_code, status, amendment,
                             price_per_unit, ceiling, target_people, target_units, target_outcomes, payment_schedule,
                             period_from, period_to, places, signed_by, signed_at, version, updated_at)
                         VALUES ($1, $2, $3, $4, $5, 'signed', 1, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $16)")
                .bind(id)
                .bind(tender)
                .bind(bid_id)
                .bind(bid.provider_id)
                .bind(&now_row.service_code)
                .bind(terms.price_per_unit)
                .bind(terms.ceiling)
                .bind(terms.target_people)
                .bind(terms.target_units)
                .bind(terms.target_outcomes.as_deref())
                .bind(&terms.payment_schedule)
                .bind(terms.period_from)
                .bind(terms.period_to)
                .bind(terms.places)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO contract_versions (contract_id, amendment, price_per_unit, ceiling, target_people,
                             target_units, target_outcomes, payment_schedule, period_from, period_to, reason, changed_by, changed_at)
                         VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11)")
                .bind(id)
                .bind(terms.price_per_unit)
                .bind(terms.ceiling)
                .bind(terms.target_people)
                .bind(terms.target_units)
                .bind(terms.target_outcomes.as_deref())
                .bind(&terms.payment_schedule)
                .bind(terms.period_from)
                .bind(terms.period_to)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let units: Vec<(String,)> = sqlx::query_as("SELECT admin_unit FROM tender_units WHERE tender_id = $1 ORDER BY admin_unit")
                .bind(tender)
                .fetch_all(&mut *tx)
                .await?;
            for (unit,) in &units {
                set_contracted_offer!(tx, bid.provider_id, &now_row.service_code, unit, terms.places, true, now);
            }
            tx.commit().await?;
        });
        self.contract(principal, id).await
    }

    /// Amends (a new version of the terms), suspends, resumes or ends a contract.
    #[tracing::instrument(skip_all, fields(contract = %id))]
    pub async fn contract_act(
        &self,
        principal: &Principal,
        id: Uuid,
        req: ContractActRequest,
    ) -> StoreResult<Contract> {
        require(principal, Permission::Contracting)?;
        let row = self.contract_row(id).await?;
        let tender = self.kept_tender(principal, row.tender_id).await?;
        let why = match req.action {
            ContractAction::Resume => optional_text("reason", req.reason.as_deref())?,
            _ => Some(reason(req.reason.as_deref())?),
        };
        let terms = match (req.action, &req.terms) {
            (ContractAction::Amend, Some(t)) => Some(check_terms(t, tender.max_budget)?),
            (ContractAction::Amend, None) => {
                return Err(StoreError::refuse(
                    "terms",
                    "contracting-terms-required",
                    vec![],
                ))
            }
            _ => None,
        };
        let lock = for_update(self);
        let sql = format!("SELECT status, version, amendment FROM contracts WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("contract.act", "contract", id)
                .with_detail(req.action.as_str()));
            let (status, actual, amendment): (String, i32, i32) = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let status: ContractStatus = status.parse().map_err(|e| corrupt("contract status", e))?;
            let next = next_contract_status(status, req.action).map_err(|r| refused("action", r))?;
            if actual != req.version {
                return Err(StoreError::Conflict { expected: req.version, actual });
            }
            let now = Utc::now();
            let updated = match &terms {
                Some(t) => {
                    sqlx::query("INSERT INTO contract_versions (contract_id, amendment, price_per_unit, ceiling, target_people,
                                     target_units, target_outcomes, payment_schedule, period_from, period_to, reason, changed_by, changed_at)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
                        .bind(id)
                        .bind(amendment + 1)
                        .bind(t.price_per_unit)
                        .bind(t.ceiling)
                        .bind(t.target_people)
                        .bind(t.target_units)
                        .bind(t.target_outcomes.as_deref())
                        .bind(&t.payment_schedule)
                        .bind(t.period_from)
                        .bind(t.period_to)
                        .bind(why.as_deref())
                        .bind(&principal.actor)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE contracts SET amendment = $1, price_per_unit = $2, ceiling = $3, target_people = $4,
                                     target_units = $5, target_outcomes = $6, payment_schedule = $7, period_from = $8,
                                     period_to = $9, places = $10, version = version + 1, updated_at = $11
                                 WHERE id = $12 AND version = $13")
                        .bind(amendment + 1)
                        .bind(t.price_per_unit)
                        .bind(t.ceiling)
                        .bind(t.target_people)
                        .bind(t.target_units)
                        .bind(t.target_outcomes.as_deref())
                        .bind(&t.payment_schedule)
                        .bind(t.period_from)
                        .bind(t.period_to)
                        .bind(t.places)
                        .bind(now)
                        .bind(id)
                        .bind(req.version)
                        .execute(&mut *tx)
                        .await?
                }
                None => sqlx::query("UPDATE contracts SET status = $1, status_reason = $2, version = version + 1, updated_at = $3
                                     WHERE id = $4 AND version = $5")
                    .bind(next.as_str())
                    .bind(why.as_deref())
                    .bind(now)
                    .bind(id)
                    .bind(req.version)
                    .execute(&mut *tx)
                    .await?,
            };
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: req.version, actual: req.version + 1 });
            }
            // The register follows: offers active while the contract is signed, with its places.
            let places = terms.as_ref().map(|t| t.places).unwrap_or(row.places);
            let active = next == ContractStatus::Signed;
            let units: Vec<(String,)> = sqlx::query_as("SELECT admin_unit FROM tender_units WHERE tender_id = $1 ORDER BY admin_unit")
                .bind(row.tender_id)
                .fetch_all(&mut *tx)
                .await?;
            for (unit,) in &units {
                set_contracted_offer!(tx, row.provider_id, &row.service_code, unit, places, active, now);
            }
            tx.commit().await?;
        });
        self.contract(principal, id).await
    }

    pub(crate) async fn contract_row(&self, id: Uuid) -> StoreResult<ContractRow> {
        let sql = format!("{SELECT_CONTRACT} WHERE c.id = $1");
        let row: Option<ContractRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// A contract the reader may see: its keepers, or its provider's staff. Returns whether the
    /// reader keeps it.
    pub(crate) async fn visible_contract(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<(ContractRow, bool)> {
        let row = self.contract_row(id).await?;
        let tender = self.tender_row(row.tender_id).await?;
        let reader = self.tender_reader(principal, &tender).await?;
        if reader.keeper {
            return Ok((row, true));
        }
        if reader.provider == Some(row.provider_id) {
            return Ok((row, false));
        }
        Err(StoreError::NotFound)
    }

    /// One contract with its versions and its delivery against the targets.
    #[tracing::instrument(skip_all, fields(contract = %id))]
    pub async fn contract(&self, principal: &Principal, id: Uuid) -> StoreResult<Contract> {
        let (row, keeper) = self.visible_contract(principal, id).await?;
        self.audit(principal, AuditEvent::on("contract.read", "contract", id))
            .await?;
        let performance = self.contract_performance(principal, &row, keeper).await?;
        let mut view = self.contract_view(row, keeper).await?;
        view.performance = Some(performance);
        Ok(view)
    }

    /// The contracts the reader may see: a keeper's in scope, a provider's own.
    #[tracing::instrument(skip_all)]
    pub async fn list_contracts(&self, principal: &Principal) -> StoreResult<Vec<Contract>> {
        if !principal.may(Permission::Contracting) && !principal.may(Permission::ProviderWork) {
            return Err(super::denied("contracting-denied-contracts"));
        }
        let sql = format!("{SELECT_CONTRACT} ORDER BY c.signed_at DESC, c.id DESC LIMIT 500");
        let rows: Vec<ContractRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        let mut out = Vec::new();
        for row in rows {
            let tender = self.tender_row(row.tender_id).await?;
            let reader = self.tender_reader(principal, &tender).await?;
            if reader.keeper || reader.provider == Some(row.provider_id) {
                out.push(self.contract_view(row, reader.keeper).await?);
            }
        }
        Ok(out)
    }

    pub(crate) async fn contract_view(
        &self,
        row: ContractRow,
        keeper: bool,
    ) -> StoreResult<Contract> {
        type Counts = (i64, i64, i64);
        type Gathered = (
            Vec<ContractVersion>,
            Vec<(String,)>,
            Counts,
            (i64, i64),
            (i64, i64),
        );
        let (versions, units, delivered, referrals, money): Gathered = with_db!(self.db(), pool => {
            let versions = sqlx::query_as("SELECT amendment, price_per_unit, ceiling, target_people, target_units, target_outcomes,
                                                  payment_schedule, period_from, period_to, reason, changed_by, changed_at
                                           FROM contract_versions WHERE contract_id = $1 ORDER BY amendment")
                .bind(row.id)
                .fetch_all(pool)
                .await?;
            let units = sqlx::query_as("SELECT admin_unit FROM tender_units WHERE tender_id = $1 ORDER BY admin_unit")
                .bind(row.tender_id)
                .fetch_all(pool)
                .await?;
            let delivered = sqlx::query_as(DELIVERED)
                .bind(row.provider_id)
                .bind(&row.service_code)
                .bind(row.tender_id)
                .bind(row.period_from)
                .bind(row.period_to)
                .fetch_one(pool)
                .await?;
            let referrals = sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN r.status IN ('accepted', 'started') THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN r.status = 'waiting' THEN 1 ELSE 0 END), 0)
                 FROM service_referrals r JOIN provider_services o ON o.id = r.provider_service_id
                 WHERE r.provider_id = $1 AND r.service_code = $2
                   AND o.admin_unit IN (SELECT admin_unit FROM tender_units WHERE tender_id = $3)")
                .bind(row.provider_id)
                .bind(&row.service_code)
                .bind(row.tender_id)
                .fetch_one(pool)
                .await?;
            let money = sqlx::query_as(
                "SELECT (SELECT CAST(COALESCE(SUM(amount_due), 0) AS BIGINT) FROM delivery_reports WHERE contract_id = $1 AND status = 'verified'),
                        (SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM contract_payments WHERE contract_id = $1)")
                .bind(row.id)
                .fetch_one(pool)
                .await?;
            (versions, units, delivered, referrals, money)
        });
        let actions = if keeper {
            ContractAction::ALL
                .iter()
                .copied()
                .filter(|a| next_contract_status(row.status, *a).is_ok())
                .collect()
        } else {
            vec![]
        };
        Ok(Contract {
            id: row.id,
            tender_id: row.tender_id,
            bid_id: row.bid_id,
            provider_id: row.provider_id,
            provider_external_id: row.provider_external_id,
            provider_name: row.provider_name,
            service_code: row.service_code,
            admin_units: units.into_iter().map(|(u,)| u).collect(),
            status: row.status,
            status_reason: row.status_reason,
            amendment: row.amendment,
            price_per_unit: row.price_per_unit,
            ceiling: row.ceiling,
            target_people: row.target_people,
            target_units: row.target_units,
            target_outcomes: row.target_outcomes,
            payment_schedule: row.payment_schedule,
            period_from: row.period_from,
            period_to: row.period_to,
            places: row.places,
            signed_by: row.signed_by,
            signed_at: row.signed_at,
            versions,
            delivered_units: delivered.0,
            people_served: delivered.1,
            referrals_open: referrals.0,
            referrals_waiting: referrals.1,
            due_total: money.0,
            paid_total: money.1,
            performance: None,
            keeper,
            actions,
            version: row.version,
        })
    }
}
