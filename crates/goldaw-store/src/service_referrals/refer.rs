//! A referral made: a person of the case referred to a provider's offer or to a universal service.
//!
//! The write's shape (as `Store::act_on_case`): the permission checked on the case as read; then
//! one transaction that writes the audit event first (so it holds the lock every writer takes
//! first: the audit head's row, on SQLite the database's write lock), reads what decides the
//! referral (the case's status, the person's household, the offer and its provider, the legal
//! basis), on PostgreSQL locking the case's and the offer's rows (`FOR UPDATE`), and writes. A case
//! closed or an offer ended by another writer is seen here, or waits until this one commits.

use super::{corrupt, for_update, NewServiceReferral, ReferralRecord};
use crate::audit::{append_audit, AuditEvent};
use crate::cases::clean_text;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::scope::{person_visible, MARK_NAMED_IN_CASE};
use crate::Store;
use chrono::Utc;
use goldaw_core::access::Principal;
use goldaw_core::codes::{CaseStatus, ReferralSource, ServiceLevel};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::service_referrals::check_referral_open;
use goldaw_core::workflow::Refusal;
use uuid::Uuid;

/// The case as it is inside the referral's transaction.
#[derive(sqlx::FromRow)]
struct CaseNow {
    status: String,
    person_id: Uuid,
    admin_unit: String,
    referral_source: String,
}

/// The offer and its provider as they are inside the referral's transaction.
#[derive(sqlx::FromRow)]
struct OfferNow {
    provider_id: Uuid,
    service_code: String,
    admin_unit: String,
    active: bool,
    provider_active: bool,
}

impl Store {
    /// Refers a person of the case to a service. Residential (tertiary) care is refused without
    /// a legal basis on the case or a court or ministry referral source. When the case may refer
    /// is `goldaw_core::service_referrals::referral_open`.
    #[tracing::instrument(skip_all, fields(case = %case, offer = ?new.provider_service))]
    pub async fn refer(
        &self,
        principal: &Principal,
        case: Uuid,
        new: NewServiceReferral,
    ) -> StoreResult<ReferralRecord> {
        // Who may: the case as the scoped read gives it (NotFound outside scope).
        let facts = self.referral_case(principal, case).await?;
        self.may_work_on(principal, &facts)?;
        let catalogue = self.catalogue();
        let Some(service) = catalogue.service(&new.service_code) else {
            return Err(StoreError::refuse(
                "service_code",
                "store-service-unknown",
                vec![("service", SayArg::Text(new.service_code.to_string()))],
            ));
        };
        let level = service.level;
        let route = service.route();
        let universal = level == ServiceLevel::Universal;
        // The audit event names the provider: an offer's provider never changes, so it is read
        // here; whether the offer may take the referral is read inside the transaction.
        let provider_of_offer: Option<String> = match (universal, new.provider_service) {
            (false, Some(offer)) => with_db!(self.db(), pool => {
                sqlx::query_as::<_, (String,)>("SELECT pr.external_id FROM provider_services o
                                                JOIN providers pr ON pr.id = o.provider_id WHERE o.id = $1")
                    .bind(offer)
                    .fetch_optional(pool)
                    .await?
            })
            .map(|(ext,)| ext),
            _ => None,
        };
        let detail = match (&provider_of_offer, new.provider_service) {
            (Some(ext), Some(offer)) => format!("{} to {ext} ({offer})", new.service_code),
            _ => format!("{} (universal)", new.service_code),
        };
        let id = Uuid::now_v7();
        let now = Utc::now();
        let lock = for_update(self);
        let case_sql = format!(
            "SELECT status, person_id, admin_unit, referral_source FROM cases WHERE id = $1{lock}"
        );
        let offer_sql = format!(
            "SELECT o.provider_id, o.service_code, o.admin_unit, o.active, pr.active AS provider_active
             FROM provider_services o JOIN providers pr ON pr.id = o.provider_id WHERE o.id = $1{lock}"
        );
        let refused: Option<Refusal> = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("referral.send", "referral", id).with_detail(format!("case {case}: {detail}")));
            // The case now, locked: a close (or anything else) waits for this referral or was first.
            let now_case: CaseNow = sqlx::query_as(&case_sql)
                .bind(case)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let status: CaseStatus = now_case
                .status
                .parse()
                .map_err(|e| corrupt("case status", e))?;
            check_referral_open(status, level).map_err(StoreError::Refused)?;
            if !route.referable() {
                return Err(StoreError::refuse("service_code", "store-refer-own-work", vec![]));
            }
            // The person: the case's or a member of the same household.
            let person_ok: Option<(Uuid,)> = sqlx::query_as(concat!(
                "SELECT p.id FROM persons p WHERE p.id = $1
                   AND (p.id = $2 OR p.household_id = $3)
                   AND p.merged_into IS NULL AND ", person_visible!("p", "$4")))
                .bind(new.person)
                .bind(now_case.person_id)
                .bind(facts.person_household_id)
                .bind(principal.sensitive)
                .fetch_optional(&mut *tx)
                .await?;
            if person_ok.is_none() {
                return Err(StoreError::refuse("person", "store-refer-not-household", vec![]));
            }
            let info = clean_text("info", new.info.as_deref())?;
            let recipient = clean_text("recipient", new.recipient.as_deref())?;
            let (offer, recipient) = if universal {
                if new.provider_service.is_some() {
                    return Err(StoreError::refuse("provider_service", "store-refer-universal-offer", vec![]));
                }
                let Some(r) = recipient else {
                    return Err(StoreError::refuse("recipient", "store-refer-recipient-missing", vec![]));
                };
                // Issue #18: a universal service is a state one; the person's consent to a
                // referral to a state provider (or an override), read here.
                if let Err(refusal) = crate::consent::consent_basis!(&mut *tx, case, new.person, goldaw_core::consent::ConsentPurpose::Referral,
                    goldaw_core::consent::Recipient::Provider { id: "", kind: "state" }, goldaw_core::deadlines::local_date(now)) {
                    tx.rollback().await?;
                    return Err(self.refused_share(principal, case, goldaw_core::consent::ConsentPurpose::Referral, &r, refusal).await);
                }
                (None, Some(r))
            } else {
                let Some(offer_id) = new.provider_service else {
                    return Err(StoreError::refuse("provider_service", "store-refer-offer-missing", vec![]));
                };
                // The offer now, locked: an offer ended meanwhile refuses the referral.
                let found: Option<OfferNow> = sqlx::query_as(&offer_sql)
                    .bind(offer_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(offer) = found else {
                    return Err(StoreError::refuse("provider_service", "store-refer-offer-unknown", vec![]));
                };
                if offer.service_code != new.service_code.as_str() {
                    return Err(StoreError::refuse("provider_service", "store-refer-offer-other-service", vec![("service", SayArg::Text(offer.service_code.to_string())), ("expected", SayArg::Text(new.service_code.to_string()))]));
                }
                if !offer.active || !offer.provider_active {
                    return Err(StoreError::refuse("provider_service", "store-refer-offer-inactive", vec![]));
                }
                let covers = match (
                    now_case.admin_unit.parse::<AdminUnitCode>(),
                    offer.admin_unit.parse::<AdminUnitCode>(),
                ) {
                    (Ok(case_unit), Ok(offer_unit)) => case_unit.is_within(&offer_unit),
                    _ => false,
                };
                if !covers {
                    return Err(StoreError::refuse("provider_service", "store-refer-offer-other-unit", vec![("area", SayArg::Text(offer.admin_unit.to_string())), ("unit", SayArg::Text(now_case.admin_unit.to_string()))]));
                }
                if recipient.is_some() {
                    return Err(StoreError::refuse("recipient", "store-refer-offer-recipient", vec![]));
                }
                // Issue #18: the person's consent to this provider (or an override), read here.
                let (ext, kind): (String, String) = sqlx::query_as("SELECT external_id, kind FROM providers WHERE id = $1")
                    .bind(offer.provider_id).fetch_one(&mut *tx).await?;
                if let Err(refusal) = crate::consent::consent_basis!(&mut *tx, case, new.person, goldaw_core::consent::ConsentPurpose::Referral,
                    goldaw_core::consent::Recipient::Provider { id: &ext, kind: &kind }, goldaw_core::deadlines::local_date(now)) {
                    tx.rollback().await?;
                    return Err(self.refused_share(principal, case, goldaw_core::consent::ConsentPurpose::Referral, &ext, refusal).await);
                }
                (Some((offer_id, offer.provider_id)), None)
            };
            // Residential care is the last resort: a court order or a ministry referral.
            let mut legal_basis: Option<Uuid> = None;
            let mut refused = None;
            if level == ServiceLevel::Tertiary {
                let source: ReferralSource = now_case
                    .referral_source
                    .parse()
                    .map_err(|e| corrupt("referral source", e))?;
                let basis: Option<(Uuid,)> = sqlx::query_as(
                    "SELECT id FROM legal_bases WHERE case_id = $1 ORDER BY recorded_at DESC, id DESC LIMIT 1")
                    .bind(case)
                    .fetch_optional(&mut *tx)
                    .await?;
                legal_basis = basis.map(|(id,)| id);
                if legal_basis.is_none() && !source.permits_residential_care() {
                    refused = Some(Refusal::ResidentialNeedsLegalBasis);
                }
            }
            if refused.is_some() {
                // Nothing is sent; the refusal itself is audited below, on its own.
                tx.rollback().await?;
            } else {
                let info_sealed = self.seal_text(
                    "referral text",
                    info.as_deref(),
                    &format!("service_referrals.info:{id}"),
                )?;
                sqlx::query("INSERT INTO service_referrals (id, case_id, person_id, service_code, provider_service_id, provider_id,
                                 recipient, status, info_sealed, legal_basis_id, sent_at, sent_by, version, updated_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, 'sent', $8, $9, $10, $11, 1, $10)")
                    .bind(id)
                    .bind(case)
                    .bind(new.person)
                    .bind(new.service_code.as_str())
                    .bind(offer.map(|(o, _)| o))
                    .bind(offer.map(|(_, p)| p))
                    .bind(recipient.as_deref())
                    .bind(info_sealed)
                    .bind(legal_basis)
                    .bind(now)
                    .bind(&principal.actor)
                    .execute(&mut *tx)
                    .await?;
                // A sensitive case names the person it refers.
                sqlx::query(MARK_NAMED_IN_CASE).bind(case).execute(&mut *tx).await?;
                tx.commit().await?;
            }
            refused
        });
        if let Some(refusal) = refused {
            self.audit(
                principal,
                AuditEvent::on("referral.refused", "case", case).with_detail(format!(
                    "{}: {}",
                    new.service_code,
                    refusal.code()
                )),
            )
            .await?;
            return Err(StoreError::Refused(refusal));
        }
        let row = self.referral_row(id).await?;
        self.referral_record(principal, row)
    }
}
