//! A request for help from the public becomes an intake referral: a person registered in the
//! etrap (as the hotline would), a case in `referred` with the source `self` (for oneself or
//! one's family) or `outreach` (someone asking for another), the contact and the concern sealed
//! as the case's referrer and concern text, and the request's row with its reference.
//!
//! The store's part of the abuse limits: every field bounded, the per-address limit counted in
//! `public_request_marks` (the keyed digest of the address, kept one hour) and the global one in
//! `public_requests`, over the last hour; a request's row is deleted after the operator's
//! retention period (on the next request: the range starts at the oldest row). The form's own part (the honeypot field, the
//! minimum time a form is open, the body size) is the web's (`goldaw_web::pages::directory`).

use super::reference::new_reference;
use crate::audit::{append_audit, AuditEvent};
use crate::cases::{clean_text, NewReferral};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::{Duration, Utc};
use goldaw_core::access::Principal;
use goldaw_core::codes::{ReferralSource, Sex};
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::names::PersonName;
use goldaw_core::people::PersonData;
use uuid::Uuid;

/// The longest account of what is happening, and of how to make contact (characters).
pub const MAX_CONCERN: usize = 2000;
pub const MAX_CONTACT: usize = 300;

/// What the form sends.
#[derive(Debug, Clone)]
pub struct PublicRequest {
    /// For oneself or one's family (`self`), or for someone else (`outreach`).
    pub for_someone_else: bool,
    pub given_name: String,
    pub family_name: String,
    pub sex: String,
    /// The etrap whose social work service should answer.
    pub admin_unit: String,
    pub concern: String,
    /// How to contact them safely: a phone, an address, a time.
    pub contact: String,
    /// The person agreed to be contacted.
    pub consent: bool,
    /// The directory service the request was sent from, if any.
    pub service_code: Option<String>,
}

/// How many requests are taken in an hour: from one address, and from everyone; and how long a
/// request's row is kept (the operator's settings, `Store::public_switches`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    pub per_address_per_hour: i64,
    pub global_per_hour: i64,
    /// Days a request's row (reference, case, etrap, source) is kept before it is deleted.
    pub retention_days: i64,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            per_address_per_hour: 3,
            global_per_hour: 200,
            retention_days: 90,
        }
    }
}

/// Too many requests: from this address, or from everyone (try again later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Address,
    Global,
}

/// What the person is told: the reference to quote.
#[derive(Debug, Clone)]
pub struct PublicReceipt {
    pub reference: String,
    /// The case it became (for the tests and the log; never shown to the public).
    pub case_id: Uuid,
}

fn too_long(field: &str, limit: usize) -> StoreError {
    StoreError::refuse(
        field,
        "store-field-too-long",
        vec![
            ("field", SayArg::Text(field.to_owned())),
            ("limit", SayArg::Number(limit as i64)),
        ],
    )
}

fn required(field: &str) -> StoreError {
    StoreError::refuse(
        field,
        "store-field-required",
        vec![("field", SayArg::Text(field.to_owned()))],
    )
}

/// Bounded one-line text: control characters refused (none belongs in a name or a phone).
fn line(field: &str, text: &str, max: usize) -> StoreResult<String> {
    let t = text.trim();
    if t.chars().count() > max {
        return Err(too_long(field, max));
    }
    if t.chars().any(char::is_control) {
        return Err(StoreError::refuse(
            field,
            "store-public-control-characters",
            vec![("field", SayArg::Text(field.to_owned()))],
        ));
    }
    Ok(t.to_owned())
}

/// The address as kept: a digest keyed with the server's secret, so the table lists no one's
/// address and an IPv4 address cannot be found again by hashing all four billion of them.
pub(crate) fn address_hash(secrets: &crate::crypto::Secrets, address: &str) -> Vec<u8> {
    secrets.keyed_digest("public request address v1", address.as_bytes())
}

impl Store {
    /// Takes a request for help from `address` (the client's IP). `Ok(Err(Limited))` when a
    /// limit is reached (nothing written); a refusal names the field that is wrong.
    #[tracing::instrument(skip_all)]
    pub async fn submit_public_request(
        &self,
        address: &str,
        req: PublicRequest,
        limits: RequestLimits,
    ) -> StoreResult<Result<PublicReceipt, Limited>> {
        // 1. Everything a visitor sends, checked before anything is read or written.
        let given = line("given_name", &req.given_name, 100)?;
        let given: PersonName = given.parse().map_err(|_| required("given_name"))?;
        let family = line("family_name", &req.family_name, 100)?;
        let family: Option<PersonName> = if family.is_empty() {
            None
        } else {
            Some(family.parse().map_err(|_| too_long("family_name", 100))?)
        };
        let sex: Sex = req.sex.parse().map_err(|_| required("sex"))?;
        let unit: AdminUnitCode = line("admin_unit", &req.admin_unit, 20)?
            .parse()
            .map_err(|_| required("admin_unit"))?;
        self.check_place(&unit)?;
        let concern =
            clean_text("concern", Some(&req.concern))?.ok_or_else(|| required("concern"))?;
        if concern.chars().count() > MAX_CONCERN {
            return Err(too_long("concern", MAX_CONCERN));
        }
        let contact = line("contact", &req.contact, MAX_CONTACT)?;
        if contact.is_empty() {
            return Err(required("contact"));
        }
        if !req.consent {
            return Err(StoreError::refuse(
                "consent",
                "store-public-consent",
                vec![],
            ));
        }
        let service_code = match req.service_code.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => {
                let known = self.catalogue().services.iter().any(|s| s.code == code);
                known.then(|| code.to_owned())
            }
            _ => None,
        };
        let source = if req.for_someone_else {
            ReferralSource::Outreach
        } else {
            ReferralSource::SelfReferral
        };

        // 2. The limits, over the last hour.
        let hash = address_hash(self.secrets("public requests")?, address);
        let since = Utc::now() - Duration::hours(1);
        let (from_address, everyone): (i64, i64) = with_db!(self.db(), pool => {
            let (a,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM public_request_marks WHERE address_hash = $1 AND created_at > $2")
                .bind(&hash).bind(since).fetch_one(pool).await?;
            let (g,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM public_requests WHERE created_at > $1")
                .bind(since).fetch_one(pool).await?;
            (a, g)
        });
        if from_address >= limits.per_address_per_hour {
            return Ok(Err(Limited::Address));
        }
        if everyone >= limits.global_per_hour {
            return Ok(Err(Limited::Global));
        }

        // 3. The intake, as the hotline registers one: the person, then the case. The public
        // form acts as the server itself (it has no account), named so in the audit trail.
        let intake = Principal::operator("public-request").with_source(address);
        let data = PersonData {
            given_name: given,
            family_name: family,
            sex,
            birth_date: None,
            admin_unit: unit.clone(),
            settlement: None,
            receives_benefits: None,
            washington_group: Default::default(),
            target_groups: Default::default(),
            household_id: None,
            relationship: None,
        };
        let person = self.create_person(&intake, None, data).await?;
        let case = self
            .register_referral(
                &intake,
                NewReferral {
                    person: person.id,
                    admin_unit: unit.clone(),
                    referral_source: source,
                    referrer: Some(format!("{}: {contact}", source.as_str())),
                    concern: Some(concern),
                    provisional_priority: None,
                    sensitive: false,
                    household_case: false,
                },
            )
            .await?;
        let id = Uuid::now_v7();
        let reference = new_reference('H')?;
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, &intake, AuditEvent::on("public.request", "case", case.id)
                .with_detail(format!("reference {reference} source {}", source.as_str())));
            sqlx::query(
                "INSERT INTO public_requests (id, reference, case_id, admin_unit, source, service_code,
                    consent_contact, address_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(&reference)
            .bind(case.id)
            .bind(unit.as_str())
            .bind(source.as_str())
            .bind(service_code)
            .bind(true)
            .bind(Vec::<u8>::new())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // The address, for the hour the per-address limit counts; then gone, as are the
            // requests past the retention period (both ranges start at the oldest row: cheap).
            sqlx::query("INSERT INTO public_request_marks (address_hash, created_at) VALUES ($1, $2)")
                .bind(&hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM public_request_marks WHERE created_at < $1")
                .bind(since)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM public_requests WHERE created_at < $1")
                .bind(now - Duration::days(limits.retention_days.max(1)))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(Ok(PublicReceipt {
            reference,
            case_id: case.id,
        }))
    }
}
