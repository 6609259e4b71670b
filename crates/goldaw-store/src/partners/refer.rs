//! A partner's referral: the person (registered in the etrap, as the hotline registers one) and
//! the concern become an intake referral in the etrap's queue, with the partner's kind as the
//! source (`school`, `police`, ...); the partner's record keeps the case it became and its
//! reference. The partner is told the reference and the status, nothing of the case.

use super::list::PartnerReferralView;
use crate::audit::{append_audit, AuditEvent};
use crate::cases::{clean_text, NewReferral};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::public_requests::new_reference;
use crate::Store;
use chrono::{NaiveDate, Utc};
use goldaw_core::access::Principal;
use goldaw_core::codes::Sex;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::names::PersonName;
use goldaw_core::partners::PartnerStatus;
use goldaw_core::people::PersonData;
use serde::Deserialize;
use uuid::Uuid;

/// A referral as a partner sends it (the API's body and the portal's form).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerReferralInput {
    pub given_name: String,
    #[serde(default)]
    pub family_name: Option<String>,
    /// `F` or `M`.
    pub sex: String,
    /// `YYYY-MM-DD`, if known.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<NaiveDate>,
    /// The etrap whose social work service should take it; it must lie in the partner's area.
    /// Absent: the partner's area, when that is an etrap.
    #[serde(default)]
    pub admin_unit: Option<String>,
    /// The concern, in the partner's words.
    pub concern: String,
    /// Whom the etrap may call back at the partner (a name, a phone).
    #[serde(default)]
    pub contact: Option<String>,
    /// The partner's own reference (a school's register number, a police report number).
    #[serde(default)]
    pub their_reference: Option<String>,
    /// Gender-based violence or child protection: the case's names need the sensitive permission.
    #[serde(default)]
    pub sensitive: bool,
}

fn bad_name(field: &str) -> StoreError {
    StoreError::refuse(
        field,
        "store-partner-name",
        vec![("field", SayArg::Text(field.to_owned()))],
    )
}

fn missing(field: &str) -> StoreError {
    StoreError::refuse(
        field,
        "store-field-required",
        vec![("field", SayArg::Text(field.to_owned()))],
    )
}

impl Store {
    /// Takes a partner's referral: `NotFound` for anyone but a partner's key; a refusal names
    /// the field that is wrong and nothing is written.
    #[tracing::instrument(skip_all)]
    pub async fn partner_refer(
        &self,
        principal: &Principal,
        input: PartnerReferralInput,
    ) -> StoreResult<PartnerReferralView> {
        let partner = self.partner_of(principal).await?;
        let area = AdminUnitCode::from_stored(partner.admin_unit.clone());
        let given: PersonName = input
            .given_name
            .trim()
            .parse()
            .map_err(|_| bad_name("given_name"))?;
        let family: Option<PersonName> = match input.family_name.as_deref().map(str::trim) {
            Some(f) if !f.is_empty() => Some(f.parse().map_err(|_| bad_name("family_name"))?),
            _ => None,
        };
        let sex: Sex = input.sex.trim().parse().map_err(|_| missing("sex"))?;
        let unit: AdminUnitCode = match input.admin_unit.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => u.parse().map_err(|_| missing("admin_unit"))?,
            _ => area.clone(),
        };
        self.check_place(&unit)?;
        if !unit.is_within(&area) {
            return Err(StoreError::refuse(
                "admin_unit",
                "store-partner-outside-area",
                vec![
                    ("unit", SayArg::Text(unit.to_string())),
                    ("area", SayArg::Text(area.to_string())),
                ],
            ));
        }
        let concern =
            clean_text("concern", Some(&input.concern))?.ok_or_else(|| missing("concern"))?;
        let contact = clean_text("contact", input.contact.as_deref())?;
        let theirs = match input.their_reference.as_deref().map(str::trim) {
            Some(r) if r.chars().count() > 100 => {
                return Err(StoreError::refuse(
                    "their_reference",
                    "store-field-too-long",
                    vec![
                        ("field", SayArg::Text("their_reference".into())),
                        ("limit", SayArg::Number(100)),
                    ],
                ))
            }
            Some(r) if !r.is_empty() => Some(r.to_owned()),
            _ => None,
        };
        let data = PersonData {
            given_name: given,
            family_name: family,
            sex,
            birth_date: input.birth_date,
            admin_unit: unit.clone(),
            settlement: None,
            receives_benefits: None,
            washington_group: Default::default(),
            target_groups: Default::default(),
            household_id: None,
            relationship: None,
        };
        // The partner has no account: its referral is registered by the server on its behalf,
        // named for the partner in the audit trail.
        let intake = Principal::operator("partner-referral")
            .with_actor(&principal.actor)
            .with_source(&principal.source);
        let referrer = match &contact {
            Some(c) => format!("{}: {c}", partner.name),
            None => partner.name.clone(),
        };
        let person = self.create_person(&intake, None, data).await?;
        let case = self
            .register_referral(
                &intake,
                NewReferral {
                    person: person.id,
                    admin_unit: unit.clone(),
                    referral_source: partner.kind.referral_source(),
                    referrer: Some(referrer),
                    concern: Some(concern),
                    provisional_priority: None,
                    sensitive: input.sensitive,
                    household_case: false,
                },
            )
            .await?;
        let id = Uuid::now_v7();
        let reference = new_reference('P')?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("partner.refer", "partner_referral", id)
                .with_detail(format!("case {} reference {reference}", case.id)));
            sqlx::query(
                "INSERT INTO partner_referrals (id, partner_id, case_id, reference, their_reference,
                    feedback_consent, version, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 1, $7)",
            )
            .bind(id)
            .bind(partner.id)
            .bind(case.id)
            .bind(&reference)
            .bind(&theirs)
            .bind(false)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(PartnerReferralView {
            id,
            reference,
            their_reference: theirs,
            created_at: now,
            status: PartnerStatus::Received,
            outcome: None,
        })
    }
}
