//! Delivery and payment: each month's report is drafted from what goldaw knows (units delivered
//! on the contract's referrals, people served), the provider confirms or corrects it with
//! reasons, the ministry verifies it (not its own organisation's, not the one who confirmed), and
//! the payment due is the verified units × the price, never beyond the ceiling; payments are
//! recorded as made. Months past their due day without a confirmed report are late (tasks).

use super::contracts::DELIVERED;
use super::{optional_text, reason, refused};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::service_referrals::{corrupt, for_update};
use crate::Store;
use chrono::{Months, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::contracting::{
    check_payment, late_reports, may_verify, month_of, next_report_status, parse_month,
    payment_due, report_due, ContractStatus, ReportAction, ReportStatus, VerifyRefusal,
};
use goldaw_core::deadlines::local_date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The provider's confirmation: the drafted figures as they are, or corrected with a reason.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub version: i32,
    /// Corrected units (absent: as drafted).
    #[serde(default)]
    pub units: Option<i32>,
    /// Corrected people served (absent: as drafted).
    #[serde(default)]
    pub people: Option<i32>,
    /// Why, when corrected.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The ministry's verification (after sampling deliveries, if it did).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub version: i32,
    /// The units verified: at most those reported (absent: all reported).
    #[serde(default)]
    pub units: Option<i32>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A payment made on a verified report.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// In tiyn.
    pub amount: i64,
    /// Default: today.
    #[serde(default)]
    pub paid_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Payment {
    pub id: Uuid,
    pub amount: i64,
    pub paid_on: NaiveDate,
    pub recorded_by: String,
}

/// A month's delivery report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryReport {
    pub id: Uuid,
    pub contract_id: Uuid,
    /// The month's first day.
    pub month: NaiveDate,
    pub status: ReportStatus,
    pub drafted_units: i32,
    pub drafted_people: i32,
    pub drafted_referrals: i32,
    pub reported_units: Option<i32>,
    pub reported_people: Option<i32>,
    pub correction_reason: Option<String>,
    pub confirmed_by: Option<String>,
    pub verified_units: Option<i32>,
    pub verification_note: Option<String>,
    pub verified_by: Option<String>,
    /// Verified units × price, capped at what the ceiling leaves.
    pub amount_due: Option<i64>,
    pub paid: i64,
    pub payments: Vec<Payment>,
    pub version: i32,
}

/// A month whose report is late.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LateReport {
    pub contract_id: Uuid,
    pub provider_external_id: String,
    pub provider_name: String,
    pub service_code: String,
    pub month: NaiveDate,
    pub due: NaiveDate,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: Uuid,
    contract_id: Uuid,
    month: NaiveDate,
    #[sqlx(try_from = "String")]
    status: ReportStatus,
    drafted_units: i32,
    drafted_people: i32,
    drafted_referrals: i32,
    reported_units: Option<i32>,
    reported_people: Option<i32>,
    correction_reason: Option<String>,
    confirmed_by: Option<String>,
    verified_units: Option<i32>,
    verification_note: Option<String>,
    verified_by: Option<String>,
    amount_due: Option<i64>,
    version: i32,
}

const SELECT_REPORT: &str = "SELECT id, contract_id, month, status, drafted_units, drafted_people, drafted_referrals,
        reported_units, reported_people, correction_reason, confirmed_by, verified_units, verification_note,
        verified_by, amount_due, version FROM delivery_reports";

fn to_i32(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Store {
    /// Drafts (or drafts again, while the provider has not confirmed it) the month's report of a
    /// contract from the deliveries on its referrals. The contract's keepers or its provider.
    #[tracing::instrument(skip_all, fields(contract = %contract))]
    pub async fn draft_report(
        &self,
        principal: &Principal,
        contract: Uuid,
        month: &str,
    ) -> StoreResult<DeliveryReport> {
        let (row, _) = self.visible_contract(principal, contract).await?;
        let month = parse_month(month)
            .map_err(|_| StoreError::refuse("month", "contracting-month-invalid", vec![]))?;
        let today = local_date(Utc::now());
        if month > month_of(today) || month < month_of(row.period_from) || month > row.period_to {
            return Err(StoreError::refuse(
                "month",
                "contracting-month-outside",
                vec![],
            ));
        }
        let last = month
            .checked_add_months(Months::new(1))
            .and_then(|m| m.pred_opt())
            .unwrap_or(month);
        let from = month.max(row.period_from);
        let to = last.min(row.period_to);
        let id = Uuid::now_v7();
        let lock = for_update(self);
        let existing_sql = format!("SELECT id, status, version FROM delivery_reports WHERE contract_id = $1 AND month = $2{lock}");
        let report_id = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("report.draft", "contract", contract)
                .with_detail(month.format("%Y-%m").to_string()));
            let (units, people, referrals): (i64, i64, i64) = sqlx::query_as(DELIVERED)
                .bind(row.provider_id)
                .bind(&row.service_code)
                .bind(row.tender_id)
                .bind(from)
                .bind(to)
                .fetch_one(&mut *tx)
                .await?;
            let existing: Option<(Uuid, String, i32)> = sqlx::query_as(&existing_sql)
                .bind(contract)
                .bind(month)
                .fetch_optional(&mut *tx)
                .await?;
            let now = Utc::now();
            let report_id = match existing {
                None => {
                    sqlx::query("INSERT INTO delivery_reports (id, contract_id, month, status, drafted_units, drafted_people,
                                     drafted_referrals, version, created_at, updated_at)
                                 VALUES ($1, $2, $3, 'drafted', $4, $5, $6, 1, $7, $7)")
                        .bind(id)
                        .bind(contract)
                        .bind(month)
                        .bind(to_i32(units))
                        .bind(to_i32(people))
                        .bind(to_i32(referrals))
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    id
                }
                Some((rid, status, version)) => {
                    if status != ReportStatus::Drafted.as_str() {
                        return Err(StoreError::refuse("month", "contracting-report-confirmed", vec![]));
                    }
                    sqlx::query("UPDATE delivery_reports SET drafted_units = $1, drafted_people = $2, drafted_referrals = $3,
                                     version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6")
                        .bind(to_i32(units))
                        .bind(to_i32(people))
                        .bind(to_i32(referrals))
                        .bind(now)
                        .bind(rid)
                        .bind(version)
                        .execute(&mut *tx)
                        .await?;
                    rid
                }
            };
            tx.commit().await?;
            report_id
        });
        self.report(principal, report_id).await
    }

    /// The provider confirms the drafted report, or corrects it with a reason.
    #[tracing::instrument(skip_all, fields(report = %id))]
    pub async fn confirm_report(
        &self,
        principal: &Principal,
        id: Uuid,
        req: ConfirmRequest,
    ) -> StoreResult<DeliveryReport> {
        let report = self.report_row(id).await?;
        let (contract, keeper) = self.visible_contract(principal, report.contract_id).await?;
        if keeper || self.reader_provider(principal).await? != Some(contract.provider_id) {
            return Err(super::denied("contracting-denied-confirm"));
        }
        let units = req.units.unwrap_or(report.drafted_units);
        let people = req.people.unwrap_or(report.drafted_people);
        if units < 0 || people < 0 {
            return Err(StoreError::refuse("units", "contracting-positive", vec![]));
        }
        let corrected = units != report.drafted_units || people != report.drafted_people;
        let why = if corrected {
            Some(reason(req.reason.as_deref())?)
        } else {
            optional_text("reason", req.reason.as_deref())?
        };
        let lock = for_update(self);
        let sql = format!("SELECT status, version FROM delivery_reports WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("report.confirm", "report", id)
                .with_detail(if corrected { "corrected" } else { "as drafted" }));
            let (status, actual): (String, i32) = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let status: ReportStatus = status.parse().map_err(|e| corrupt("report status", e))?;
            next_report_status(status, ReportAction::Confirm).map_err(|r| refused("action", r))?;
            if actual != req.version {
                return Err(StoreError::Conflict { expected: req.version, actual });
            }
            let now = Utc::now();
            let updated = sqlx::query("UPDATE delivery_reports SET status = 'confirmed', reported_units = $1, reported_people = $2,
                                           correction_reason = $3, confirmed_by = $4, confirmed_at = $5,
                                           version = version + 1, updated_at = $5
                                       WHERE id = $6 AND version = $7")
                .bind(units)
                .bind(people)
                .bind(why.as_deref())
                .bind(&principal.actor)
                .bind(now)
                .bind(id)
                .bind(req.version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: req.version, actual: req.version + 1 });
            }
            tx.commit().await?;
        });
        self.report(principal, id).await
    }

    /// The ministry verifies a confirmed report: the payment due is fixed (verified units × price,
    /// capped at what the ceiling leaves after the reports verified before).
    #[tracing::instrument(skip_all, fields(report = %id))]
    pub async fn verify_report(
        &self,
        principal: &Principal,
        id: Uuid,
        req: VerifyRequest,
    ) -> StoreResult<DeliveryReport> {
        let report = self.report_row(id).await?;
        let (contract, _) = self.visible_contract(principal, report.contract_id).await?;
        match may_verify(
            principal,
            &contract.provider_external_id,
            report.confirmed_by.as_deref(),
        ) {
            Ok(()) => {}
            Err(VerifyRefusal::OwnOrganisation) => {
                return Err(super::denied("contracting-denied-verify-own"))
            }
            Err(VerifyRefusal::NotPermitted) => {
                return Err(super::denied("contracting-denied-verify-role"))
            }
        }
        // Keepers only (the tender's authority in scope).
        let (_, keeper) = self.visible_contract(principal, report.contract_id).await?;
        if !keeper {
            return Err(StoreError::NotFound);
        }
        let note = optional_text("note", req.note.as_deref())?;
        let lock = for_update(self);
        let sql = format!("{SELECT_REPORT} WHERE id = $1{lock}");
        let contract_sql =
            format!("SELECT price_per_unit, ceiling FROM contracts WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("report.verify", "report", id));
            let now_report: ReportRow = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            next_report_status(now_report.status, ReportAction::Verify).map_err(|r| refused("action", r))?;
            if now_report.version != req.version {
                return Err(StoreError::Conflict { expected: req.version, actual: now_report.version });
            }
            if now_report.confirmed_by.as_deref() == Some(principal.actor.as_str()) {
                return Err(super::denied("contracting-denied-verify-confirmer"));
            }
            let reported = now_report.reported_units.unwrap_or(0);
            let units = req.units.unwrap_or(reported);
            if units < 0 || units > reported {
                return Err(StoreError::refuse("units", "contracting-verified-over-reported", vec![]));
            }
            let (price, ceiling): (i64, i64) = sqlx::query_as(&contract_sql)
                .bind(contract.id)
                .fetch_one(&mut *tx)
                .await?;
            let (due_before,): (i64,) = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(amount_due), 0) AS BIGINT) FROM delivery_reports WHERE contract_id = $1 AND status = 'verified'")
                .bind(contract.id)
                .fetch_one(&mut *tx)
                .await?;
            let due = payment_due(i64::from(units), price, ceiling, due_before);
            let updated = sqlx::query("UPDATE delivery_reports SET status = 'verified', verified_units = $1, verification_note = $2,
                                           verified_by = $3, verified_at = $4, amount_due = $5, version = version + 1, updated_at = $4
                                       WHERE id = $6 AND version = $7")
                .bind(units)
                .bind(note.as_deref())
                .bind(&principal.actor)
                .bind(Utc::now())
                .bind(due)
                .bind(id)
                .bind(req.version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: req.version, actual: req.version + 1 });
            }
            tx.commit().await?;
        });
        self.report(principal, id).await
    }

    /// Records a payment made on a verified report: never more than is due on it (so never
    /// beyond the ceiling).
    #[tracing::instrument(skip_all, fields(report = %id))]
    pub async fn record_payment(
        &self,
        principal: &Principal,
        id: Uuid,
        req: PaymentRequest,
    ) -> StoreResult<DeliveryReport> {
        require(principal, Permission::Contracting)?;
        let report = self.report_row(id).await?;
        let (contract, keeper) = self.visible_contract(principal, report.contract_id).await?;
        if !keeper {
            return Err(StoreError::NotFound);
        }
        let today = local_date(Utc::now());
        let paid_on = req.paid_on.unwrap_or(today);
        if paid_on > today {
            return Err(StoreError::refuse(
                "paid_on",
                "contracting-paid-in-future",
                vec![],
            ));
        }
        let lock = for_update(self);
        let sql = format!("{SELECT_REPORT} WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("report.pay", "report", id)
                .with_detail(format!("{} tiyn on {paid_on}", req.amount)));
            let now_report: ReportRow = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            next_report_status(now_report.status, ReportAction::Pay).map_err(|r| refused("action", r))?;
            let (paid_before,): (i64,) = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM contract_payments WHERE report_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            check_payment(req.amount, now_report.amount_due.unwrap_or(0), paid_before)
                .map_err(|r| refused("amount", r))?;
            sqlx::query("INSERT INTO contract_payments (id, contract_id, report_id, amount, paid_on, recorded_by, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(Uuid::now_v7())
                .bind(contract.id)
                .bind(id)
                .bind(req.amount)
                .bind(paid_on)
                .bind(&principal.actor)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.report(principal, id).await
    }

    /// One report (the contract's keepers and provider).
    #[tracing::instrument(skip_all, fields(report = %id))]
    pub async fn report(&self, principal: &Principal, id: Uuid) -> StoreResult<DeliveryReport> {
        let row = self.report_row(id).await?;
        self.visible_contract(principal, row.contract_id).await?;
        self.report_view(row).await
    }

    /// A contract's reports, by month.
    #[tracing::instrument(skip_all, fields(contract = %contract))]
    pub async fn contract_reports(
        &self,
        principal: &Principal,
        contract: Uuid,
    ) -> StoreResult<Vec<DeliveryReport>> {
        self.visible_contract(principal, contract).await?;
        let sql = format!("{SELECT_REPORT} WHERE contract_id = $1 ORDER BY month");
        let rows: Vec<ReportRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(contract).fetch_all(pool).await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.report_view(row).await?);
        }
        Ok(out)
    }

    /// The months whose report is late, on the contracts the reader sees (signed ones): the
    /// provider's staff and the keepers see them as tasks.
    #[tracing::instrument(skip_all)]
    pub async fn late_delivery_reports(
        &self,
        principal: &Principal,
    ) -> StoreResult<Vec<LateReport>> {
        let contracts = self.list_contracts(principal).await?;
        let today = local_date(Utc::now());
        let mut out = Vec::new();
        for c in contracts
            .into_iter()
            .filter(|c| c.status == ContractStatus::Signed)
        {
            let confirmed: Vec<(NaiveDate,)> = with_db!(self.db(), pool => {
                sqlx::query_as("SELECT month FROM delivery_reports WHERE contract_id = $1 AND status <> 'drafted'")
                    .bind(c.id)
                    .fetch_all(pool)
                    .await?
            });
            let confirmed: Vec<NaiveDate> = confirmed.into_iter().map(|(m,)| m).collect();
            for month in late_reports(c.period_from, c.period_to, today, &confirmed) {
                out.push(LateReport {
                    contract_id: c.id,
                    provider_external_id: c.provider_external_id.clone(),
                    provider_name: c.provider_name.clone(),
                    service_code: c.service_code.clone(),
                    month,
                    due: report_due(month),
                });
            }
        }
        Ok(out)
    }

    async fn report_row(&self, id: Uuid) -> StoreResult<ReportRow> {
        let sql = format!("{SELECT_REPORT} WHERE id = $1");
        let row: Option<ReportRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    async fn report_view(&self, row: ReportRow) -> StoreResult<DeliveryReport> {
        let payments: Vec<Payment> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, amount, paid_on, recorded_by FROM contract_payments WHERE report_id = $1 ORDER BY recorded_at, id")
                .bind(row.id)
                .fetch_all(pool)
                .await?
        });
        Ok(DeliveryReport {
            id: row.id,
            contract_id: row.contract_id,
            month: row.month,
            status: row.status,
            drafted_units: row.drafted_units,
            drafted_people: row.drafted_people,
            drafted_referrals: row.drafted_referrals,
            reported_units: row.reported_units,
            reported_people: row.reported_people,
            correction_reason: row.correction_reason,
            confirmed_by: row.confirmed_by,
            verified_units: row.verified_units,
            verification_note: row.verification_note,
            verified_by: row.verified_by,
            amount_due: row.amount_due,
            paid: payments.iter().map(|p| p.amount).sum(),
            payments,
            version: row.version,
        })
    }
}
