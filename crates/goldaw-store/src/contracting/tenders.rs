//! Tenders: drafted by the ministry (or a velayat administration) for a service in some etraps,
//! approved by another keeper, published to every provider, closed at the deadline by itself
//! (computed on read), or cancelled with a reason. The award is in `evaluation.rs`.

use super::{optional_text, reason, refused, text, TenderReader, TenderRow, SELECT_TENDER};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::{nation, Permission, Principal};
use goldaw_core::cases::{ServiceCode, ServiceRoute};
use goldaw_core::codes::Role;
use goldaw_core::contracting::{
    next_tender_status, ContractingRefusal, TenderAction, TenderStatus, Weights,
};
use goldaw_core::ids::AdminUnitCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A tender drafted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTender {
    pub title: String,
    /// A specialized service of the catalogue (one offered through the register).
    #[schema(value_type = String)]
    pub service_code: ServiceCode,
    /// The etraps it covers, within the drafter's scope.
    #[schema(value_type = Vec<String>)]
    pub admin_units: Vec<AdminUnitCode>,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// People to serve.
    pub people: i32,
    /// Units of service to deliver.
    pub units: i32,
    /// The maximum budget, in tiyn (1 manat = 100 tiyn).
    pub max_budget: i64,
    /// The service specification a bid must meet.
    pub specification: String,
    /// The documents a bid must carry.
    #[serde(default)]
    pub documents: Option<String>,
    /// The weights of the criteria, in percent, adding up to 100.
    pub weights: Weights,
    /// Bids are taken until this moment, never after.
    pub bid_deadline: DateTime<Utc>,
    /// The committee: usernames of ministry or planner accounts who declare conflicts and score.
    pub committee: Vec<String>,
}

/// An action on a tender: approve, publish, cancel (with a reason). The award is its own route.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderActRequest {
    pub action: TenderAction,
    /// The version read (no lost updates).
    pub version: i32,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A tender as its reader sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tender {
    pub id: Uuid,
    pub title: String,
    pub service_code: String,
    pub authority_unit: String,
    pub admin_units: Vec<String>,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub people: i32,
    pub units: i32,
    pub max_budget: i64,
    pub specification: String,
    pub documents: Option<String>,
    pub weights: Weights,
    pub bid_deadline: DateTime<Utc>,
    /// The status now: `closed` from the deadline on.
    pub status: TenderStatus,
    pub drafted_by: String,
    pub approved_by: Option<String>,
    pub cancel_reason: Option<String>,
    pub awarded_bid: Option<Uuid>,
    pub decision_reason: Option<String>,
    /// The committee's usernames (keepers and members only).
    pub committee: Vec<String>,
    /// Submitted bids (keepers and members only).
    pub bids_submitted: Option<i64>,
    /// The reader keeps this tender.
    pub keeper: bool,
    /// The reader sits on its committee.
    pub member: bool,
    /// What the reader may do to it now.
    pub actions: Vec<TenderAction>,
    pub version: i32,
}

/// A tender's terms, checked.
struct Checked {
    title: String,
    specification: String,
    documents: Option<String>,
    units: Vec<AdminUnitCode>,
}

/// Who may be on a committee: ministry and planner accounts.
fn committee_role(role: &str) -> bool {
    role == Role::Ministry.as_str() || role == Role::Planner.as_str()
}

/// Writes a tender's etraps and committee inside its transaction `$tx` (a new draft's, and a
/// changed draft's after the old rows are deleted): each member must be an active ministry or
/// planner account (`contracting-committee-member-unknown`, nothing written).
macro_rules! write_units_and_committee {
    ($tx:ident, $id:expr, $units:expr, $committee:expr) => {
        for unit in $units {
            sqlx::query("INSERT INTO tender_units (tender_id, admin_unit) VALUES ($1, $2)")
                .bind($id)
                .bind(unit.as_str())
                .execute(&mut *$tx)
                .await?;
        }
        for name in $committee {
            let found: Option<(Uuid, String, bool)> =
                sqlx::query_as("SELECT id, role, disabled FROM users WHERE username = $1")
                    .bind(name.trim())
                    .fetch_optional(&mut *$tx)
                    .await?;
            match found {
                Some((user, role, false)) if committee_role(&role) => {
                    sqlx::query(
                        "INSERT INTO tender_committee (tender_id, user_id, username) VALUES ($1, $2, $3)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind($id)
                    .bind(user)
                    .bind(name.trim())
                    .execute(&mut *$tx)
                    .await?;
                }
                _ => {
                    return Err(StoreError::refuse(
                        "committee",
                        "contracting-committee-member-unknown",
                        vec![("user", SayArg::Text(name.trim().to_owned()))],
                    ))
                }
            }
        }
    };
}

impl Store {
    /// Drafts a tender. The drafter's scope is the tender's authority; its etraps lie in it.
    #[tracing::instrument(skip_all)]
    pub async fn draft_tender(&self, principal: &Principal, new: NewTender) -> StoreResult<Tender> {
        require(principal, Permission::Contracting)?;
        let authority = principal.unit_scope().cloned().unwrap_or_else(nation);
        let Checked {
            title,
            specification,
            documents,
            units,
        } = self.check_tender(&new, &authority)?;
        let now = Utc::now();
        let id = Uuid::now_v7();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("tender.draft", "tender", id)
                .with_detail(format!("{} in {} units", new.service_code, units.len())));
            sqlx::query("INSERT INTO tenders (id, title, service_code, authority_unit, period_from, period_to, people, units,
                             max_budget, specification, documents, weight_price, weight_method, weight_staff,
                             weight_experience, weight_rural_reach, bid_deadline, status, drafted_by, version, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'draft', $18, 1, $19, $19)")
                .bind(id)
                .bind(&title)
                .bind(new.service_code.as_str())
                .bind(authority.as_str())
                .bind(new.period_from)
                .bind(new.period_to)
                .bind(new.people)
                .bind(new.units)
                .bind(new.max_budget)
                .bind(&specification)
                .bind(documents.as_deref())
                .bind(new.weights.price)
                .bind(new.weights.method)
                .bind(new.weights.staff)
                .bind(new.weights.experience)
                .bind(new.weights.rural_reach)
                .bind(new.bid_deadline)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            write_units_and_committee!(tx, id, &units, &new.committee);
            tx.commit().await?;
        });
        self.tender(principal, id).await
    }

    /// Changes a draft (its keepers): the same terms and checks as a new draft, inside the
    /// tender's authority; the etraps and the committee are replaced. Only a draft changes
    /// (`contracting-tender-not-draft`): once approved its terms are what was approved.
    #[tracing::instrument(skip_all, fields(tender = %id))]
    pub async fn change_tender(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
        new: NewTender,
    ) -> StoreResult<Tender> {
        let row = self.kept_tender(principal, id).await?;
        let authority: AdminUnitCode = row
            .authority_unit
            .parse()
            .map_err(|e| crate::service_referrals::corrupt("authority_unit", e))?;
        let Checked {
            title,
            specification,
            documents,
            units,
        } = self.check_tender(&new, &authority)?;
        let lock = crate::service_referrals::for_update(self);
        let sql = format!("{SELECT_TENDER} WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("tender.change", "tender", id)
                .with_detail(format!("{} in {} units", new.service_code, units.len())));
            let now_row: TenderRow = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if now_row.version != version {
                return Err(StoreError::Conflict { expected: version, actual: now_row.version });
            }
            let now = Utc::now();
            let status = now_row.status_now(now);
            if status != TenderStatus::Draft {
                return Err(StoreError::refuse("tender", "contracting-tender-not-draft", vec![
                    ("status", SayArg::Text(status.as_str().to_owned())),
                ]));
            }
            let updated = sqlx::query("UPDATE tenders SET title = $1, service_code = $2, period_from = $3, period_to = $4,
                    people = $5, units = $6, max_budget = $7, specification = $8, documents = $9, weight_price = $10,
                    weight_method = $11, weight_staff = $12, weight_experience = $13, weight_rural_reach = $14,
                    bid_deadline = $15, version = version + 1, updated_at = $16
                 WHERE id = $17 AND version = $18")
                .bind(&title)
                .bind(new.service_code.as_str())
                .bind(new.period_from)
                .bind(new.period_to)
                .bind(new.people)
                .bind(new.units)
                .bind(new.max_budget)
                .bind(&specification)
                .bind(documents.as_deref())
                .bind(new.weights.price)
                .bind(new.weights.method)
                .bind(new.weights.staff)
                .bind(new.weights.experience)
                .bind(new.weights.rural_reach)
                .bind(new.bid_deadline)
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            sqlx::query("DELETE FROM tender_units WHERE tender_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM tender_committee WHERE tender_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            write_units_and_committee!(tx, id, &units, &new.committee);
            tx.commit().await?;
        });
        self.tender(principal, id).await
    }

    /// The checks of a tender's terms that need no transaction (a draft, or a draft changed):
    /// the texts, the service (offered through the register), the etraps (inside `authority`),
    /// the period, the amounts, the weights, the deadline ahead, the committee's size.
    fn check_tender(&self, new: &NewTender, authority: &AdminUnitCode) -> StoreResult<Checked> {
        let title = text("title", &new.title)?;
        let specification = text("specification", &new.specification)?;
        let documents = optional_text("documents", new.documents.as_deref())?;
        let catalogue = self.catalogue();
        let Some(service) = catalogue.service(&new.service_code) else {
            return Err(StoreError::refuse(
                "service_code",
                "store-service-unknown",
                vec![("service", SayArg::Text(new.service_code.to_string()))],
            ));
        };
        if service.route() != ServiceRoute::Register {
            return Err(StoreError::refuse(
                "service_code",
                "contracting-service-not-offered",
                vec![("service", SayArg::Text(new.service_code.to_string()))],
            ));
        }
        if new.admin_units.is_empty() || new.admin_units.len() > 100 {
            return Err(StoreError::refuse(
                "admin_units",
                "contracting-units-required",
                vec![],
            ));
        }
        let mut units: Vec<AdminUnitCode> = new.admin_units.clone();
        units.sort();
        units.dedup();
        for unit in &units {
            self.check_place(unit)?;
            if !unit.is_within(authority) {
                return Err(StoreError::refuse(
                    "admin_units",
                    "contracting-unit-out-of-scope",
                    vec![("unit", SayArg::Text(unit.to_string()))],
                ));
            }
        }
        if new.period_to < new.period_from {
            return Err(StoreError::refuse(
                "period_to",
                "contracting-period-order",
                vec![],
            ));
        }
        if new.people <= 0 || new.units <= 0 || new.max_budget <= 0 {
            return Err(StoreError::refuse("people", "contracting-positive", vec![]));
        }
        new.weights.check().map_err(|r| refused("weights", r))?;
        let now = Utc::now();
        if new.bid_deadline <= now {
            return Err(StoreError::refuse(
                "bid_deadline",
                "contracting-deadline-in-past",
                vec![],
            ));
        }
        if new.committee.is_empty() || new.committee.len() > 20 {
            return Err(StoreError::refuse(
                "committee",
                "contracting-committee-required",
                vec![],
            ));
        }
        Ok(Checked {
            title,
            specification,
            documents,
            units,
        })
    }

    /// Approves, publishes or cancels a tender (the award: [`Store::award_tender`]). Approval is
    /// by a keeper other than the drafter; publishing needs a deadline still ahead; a cancel
    /// needs a reason.
    #[tracing::instrument(skip_all, fields(tender = %id))]
    pub async fn tender_act(
        &self,
        principal: &Principal,
        id: Uuid,
        req: TenderActRequest,
    ) -> StoreResult<Tender> {
        self.kept_tender(principal, id).await?;
        if req.action == TenderAction::Award {
            return Err(StoreError::refuse(
                "action",
                "contracting-award-route",
                vec![],
            ));
        }
        let why = match req.action {
            TenderAction::Cancel => Some(reason(req.reason.as_deref())?),
            _ => None,
        };
        let lock = crate::service_referrals::for_update(self);
        let sql = format!("{SELECT_TENDER} WHERE id = $1{lock}");
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("tender.act", "tender", id)
                .with_detail(req.action.as_str()));
            let row: TenderRow = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if row.version != req.version {
                return Err(StoreError::Conflict { expected: req.version, actual: row.version });
            }
            let now = Utc::now();
            let next = next_tender_status(row.status_now(now), req.action)
                .map_err(|r| refused("action", r))?;
            if req.action == TenderAction::Approve && row.drafted_by == principal.actor {
                return Err(refused("action", ContractingRefusal::ApproveOwnDraft));
            }
            if req.action == TenderAction::Publish && row.bid_deadline <= now {
                return Err(StoreError::refuse("bid_deadline", "contracting-deadline-in-past", vec![]));
            }
            let updated = sqlx::query("UPDATE tenders SET status = $1,
                    approved_by = CASE WHEN $2 THEN $3 ELSE approved_by END,
                    published_at = CASE WHEN $4 THEN $5 ELSE published_at END,
                    cancel_reason = COALESCE($6, cancel_reason),
                    version = version + 1, updated_at = $5
                 WHERE id = $7 AND version = $8")
                .bind(next.as_str())
                .bind(req.action == TenderAction::Approve)
                .bind(&principal.actor)
                .bind(req.action == TenderAction::Publish)
                .bind(now)
                .bind(why.as_deref())
                .bind(id)
                .bind(req.version)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: req.version, actual: req.version + 1 });
            }
            tx.commit().await?;
        });
        self.tender(principal, id).await
    }

    /// One tender as the reader may see it (`NotFound` out of sight).
    #[tracing::instrument(skip_all, fields(tender = %id))]
    pub async fn tender(&self, principal: &Principal, id: Uuid) -> StoreResult<Tender> {
        let (row, reader) = self.visible_tender(principal, id).await?;
        self.tender_view(row, &reader).await
    }

    /// The tenders the reader may see, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn list_tenders(&self, principal: &Principal) -> StoreResult<Vec<Tender>> {
        let may = principal.may(Permission::Contracting)
            || principal.may(Permission::ProviderWork)
            || principal.may(Permission::Planning);
        if !may {
            return Err(super::denied("contracting-denied-tenders"));
        }
        let sql = format!("{SELECT_TENDER} ORDER BY created_at DESC, id DESC LIMIT 500");
        let rows: Vec<TenderRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        let mut out = Vec::new();
        for row in rows {
            let reader = self.tender_reader(principal, &row).await?;
            if goldaw_core::contracting::tender_visible(
                reader.keeper,
                reader.committee,
                reader.provider.is_some(),
                row.published_at.is_some(),
            ) {
                out.push(self.tender_view(row, &reader).await?);
            }
        }
        Ok(out)
    }

    pub(crate) async fn tender_view(
        &self,
        row: TenderRow,
        reader: &TenderReader,
    ) -> StoreResult<Tender> {
        let now = Utc::now();
        let status = row.status_now(now);
        let (units, committee, submitted): (Vec<(String,)>, Vec<(String,)>, (i64,)) = with_db!(self.db(), pool => {
            let units = sqlx::query_as("SELECT admin_unit FROM tender_units WHERE tender_id = $1 ORDER BY admin_unit")
                .bind(row.id)
                .fetch_all(pool)
                .await?;
            let committee = sqlx::query_as("SELECT username FROM tender_committee WHERE tender_id = $1 ORDER BY username")
                .bind(row.id)
                .fetch_all(pool)
                .await?;
            let submitted = sqlx::query_as("SELECT COUNT(*) FROM bids WHERE tender_id = $1 AND status = 'submitted'")
                .bind(row.id)
                .fetch_one(pool)
                .await?;
            (units, committee, submitted)
        });
        let inside = reader.keeper || reader.committee;
        let actions = if reader.keeper {
            TenderAction::ALL
                .iter()
                .copied()
                .filter(|a| next_tender_status(status, *a).is_ok())
                .collect()
        } else {
            vec![]
        };
        Ok(Tender {
            id: row.id,
            weights: row.weights(),
            title: row.title,
            service_code: row.service_code,
            authority_unit: row.authority_unit,
            admin_units: units.into_iter().map(|(u,)| u).collect(),
            period_from: row.period_from,
            period_to: row.period_to,
            people: row.people,
            units: row.units,
            max_budget: row.max_budget,
            specification: row.specification,
            documents: row.documents,
            bid_deadline: row.bid_deadline,
            status,
            drafted_by: row.drafted_by,
            approved_by: row.approved_by,
            cancel_reason: row.cancel_reason,
            awarded_bid: row
                .awarded_bid_id
                .filter(|_| status == TenderStatus::Awarded),
            decision_reason: row.decision_reason,
            committee: if inside {
                committee.into_iter().map(|(u,)| u).collect()
            } else {
                vec![]
            },
            bids_submitted: inside.then_some(submitted.0),
            keeper: reader.keeper,
            member: reader.committee,
            actions,
            version: row.version,
        })
    }
}
