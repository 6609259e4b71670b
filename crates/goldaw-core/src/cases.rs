//! Cases and service episodes as plain records. The case workflow (issue: case management)
//! extends these with assessments, plans and transitions; the interchange fields stay as they are.

use crate::codes::{code_enum, CaseStatus, Priority, ReferralSource, ServiceLevel};
use crate::ids::{AdminUnitCode, ExternalId};
use crate::ParseError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One case: a person's (or household's) episode with the etrap social work service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseData {
    pub person_id: ExternalId,
    pub admin_unit: AdminUnitCode,
    pub opened_on: NaiveDate,
    pub referral_source: ReferralSource,
    pub priority: Option<Priority>,
    pub status: CaseStatus,
    pub closed_on: Option<NaiveDate>,
    /// The assigned worker, by the id another system gave them (users arrive with access control).
    pub worker_id: Option<ExternalId>,
}

impl CaseData {
    /// Consistency within the record; `Err` names the offending field.
    pub fn check(&self, today: NaiveDate) -> Result<(), (&'static str, ParseError)> {
        if self.opened_on > today {
            return Err((
                "opened_on",
                ParseError::new(format!("opened_on {} is in the future", self.opened_on)),
            ));
        }
        match (self.status, self.closed_on) {
            (CaseStatus::Closed, None) => {
                return Err((
                    "closed_on",
                    ParseError::new("a closed case needs its closed_on date"),
                ))
            }
            (status, Some(_)) if status != CaseStatus::Closed => {
                return Err((
                    "closed_on",
                    ParseError::new(format!(
                        "closed_on is set but the status is '{status}', not 'closed'"
                    )),
                ))
            }
            (_, Some(closed)) if closed < self.opened_on => {
                return Err((
                    "closed_on",
                    ParseError::new(format!(
                        "closed_on {closed} is before opened_on {}",
                        self.opened_on
                    )),
                ))
            }
            (_, Some(closed)) if closed > today => {
                return Err((
                    "closed_on",
                    ParseError::new(format!("closed_on {closed} is in the future")),
                ))
            }
            _ => {}
        }
        if self.status.requires_priority()
            && self.priority.is_none()
            && self.status != CaseStatus::Closed
        {
            return Err((
                "priority",
                ParseError::new(format!(
                    "a case in status '{}' has been screened and needs a priority (critical, support or none)",
                    self.status
                )),
            ));
        }
        Ok(())
    }
}

/// A service code: `S01`..`S12`, `ETRAP_SW`, `HOTLINE`, `RES_CARE`, `U_*`. Whether it is in the
/// catalogue, and its level, is reference data the store holds.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceCode(String);

impl ServiceCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn from_stored(code: String) -> ServiceCode {
        ServiceCode(code)
    }
}

impl std::str::FromStr for ServiceCode {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            Ok(ServiceCode(s.to_owned()))
        } else {
            Err(ParseError::new(format!(
                "'{s}' is not a service code (like S01 or ETRAP_SW)"
            )))
        }
    }
}

impl TryFrom<String> for ServiceCode {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        s.parse()
    }
}

impl From<ServiceCode> for String {
    fn from(c: ServiceCode) -> String {
        c.0
    }
}

impl std::fmt::Display for ServiceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

code_enum!(
    /// Where a support plan is: the worker's draft, submitted with the person's agreement or
    /// views, approved by the supervisor, or superseded by a later approved revision.
    PlanStatus, "support plan status" {
        Draft = "draft",
        Submitted = "submitted",
        Approved = "approved",
        Superseded = "superseded",
    }
);

/// The etrap social work service: the case's own work, the episode every case has.
pub const ETRAP_SOCIAL_WORK: &str = "ETRAP_SW";
/// The hotline: an entry channel, counted in calls.
pub const HOTLINE: &str = "HOTLINE";

/// How a case reaches a service of the catalogue. The one rule that the providers' register
/// (which services may be offered), the referral form (which may be chosen) and the referral
/// itself follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceRoute {
    /// The case's own work (etrap social work, the hotline): never referred to, so never
    /// offered in the register.
    OwnWork,
    /// A universal service of another sector: referred to by naming the recipient (a school, a
    /// clinic), without a provider's offer.
    Recipient,
    /// A secondary or tertiary service: providers offer it in the register, and a case is
    /// referred to an offer.
    Register,
}

impl ServiceRoute {
    /// The route of the service `code` of catalogue level `level`.
    pub fn of(code: &str, level: ServiceLevel) -> ServiceRoute {
        if code == ETRAP_SOCIAL_WORK || code == HOTLINE {
            ServiceRoute::OwnWork
        } else if level == ServiceLevel::Universal {
            ServiceRoute::Recipient
        } else {
            ServiceRoute::Register
        }
    }

    /// Whether a provider may offer the service in the register (and a case be referred to
    /// that offer).
    pub fn offered_in_register(self) -> bool {
        self == ServiceRoute::Register
    }

    /// Whether a case may be referred to the service at all.
    pub fn referable(self) -> bool {
        self != ServiceRoute::OwnWork
    }
}

/// One person receiving one service over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpisodeData {
    pub case_id: Option<ExternalId>,
    pub person_id: ExternalId,
    pub service_code: ServiceCode,
    pub provider_id: Option<ExternalId>,
    pub started_on: NaiveDate,
    /// `None` = still receiving.
    pub ended_on: Option<NaiveDate>,
    /// Units of service delivered (visits, hours, days, bed-nights: the service's unit), whole.
    pub units: Option<u32>,
}

impl EpisodeData {
    pub fn check(&self, today: NaiveDate) -> Result<(), (&'static str, ParseError)> {
        if self.started_on > today {
            return Err((
                "started_on",
                ParseError::new(format!("started_on {} is in the future", self.started_on)),
            ));
        }
        if let Some(end) = self.ended_on {
            if end < self.started_on {
                return Err((
                    "ended_on",
                    ParseError::new(format!(
                        "ended_on {end} is before started_on {}",
                        self.started_on
                    )),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_work_is_never_offered_nor_referred_and_universal_services_have_no_offers() {
        use ServiceRoute::*;
        for level in [
            ServiceLevel::Universal,
            ServiceLevel::Secondary,
            ServiceLevel::Tertiary,
        ] {
            for code in [ETRAP_SOCIAL_WORK, HOTLINE] {
                let route = ServiceRoute::of(code, level);
                assert_eq!(route, OwnWork, "{code} {level:?}");
                assert!(!route.offered_in_register() && !route.referable());
            }
        }
        assert_eq!(
            ServiceRoute::of("U_EDU", ServiceLevel::Universal),
            Recipient
        );
        assert!(!Recipient.offered_in_register() && Recipient.referable());
        for (code, level) in [
            ("S01", ServiceLevel::Secondary),
            ("S11", ServiceLevel::Secondary),
            ("RES_CARE", ServiceLevel::Tertiary),
        ] {
            let route = ServiceRoute::of(code, level);
            assert_eq!(route, Register, "{code}");
            assert!(route.offered_in_register() && route.referable());
        }
    }

    fn d(s: &str) -> NaiveDate {
        crate::people::parse_date(s).unwrap()
    }

    fn case() -> CaseData {
        CaseData {
            person_id: "P1".parse().unwrap(),
            admin_unit: "TM-A-01".parse().unwrap(),
            opened_on: d("2024-01-10"),
            referral_source: ReferralSource::Hotline,
            priority: Some(Priority::Critical),
            status: CaseStatus::Active,
            closed_on: None,
            worker_id: None,
        }
    }

    #[test]
    fn closed_on_goes_with_closed_status_only() {
        let today = d("2026-11-22");
        assert!(case().check(today).is_ok());
        let mut c = case();
        c.status = CaseStatus::Closed;
        assert_eq!(c.check(today).unwrap_err().0, "closed_on");
        c.closed_on = Some(d("2024-01-09"));
        assert_eq!(c.check(today).unwrap_err().0, "closed_on");
        c.closed_on = Some(d("2024-03-01"));
        assert!(c.check(today).is_ok());
        let mut open = case();
        open.closed_on = Some(d("2024-03-01"));
        assert_eq!(open.check(today).unwrap_err().0, "closed_on");
    }

    #[test]
    fn screened_cases_need_a_priority() {
        let today = d("2026-11-22");
        let mut c = case();
        c.priority = None;
        assert_eq!(c.check(today).unwrap_err().0, "priority");
        c.status = CaseStatus::Referred;
        assert!(c.check(today).is_ok());
        c.opened_on = d("2027-01-01");
        assert_eq!(c.check(today).unwrap_err().0, "opened_on");
    }

    #[test]
    fn episodes_end_after_they_start() {
        let today = d("2026-11-22");
        let mut e = EpisodeData {
            case_id: None,
            person_id: "P1".parse().unwrap(),
            service_code: "S10".parse().unwrap(),
            provider_id: None,
            started_on: d("2025-01-01"),
            ended_on: Some(d("2024-12-31")),
            units: Some(3),
        };
        assert_eq!(e.check(today).unwrap_err().0, "ended_on");
        e.ended_on = Some(d("2025-01-01"));
        assert!(e.check(today).is_ok());
        assert!("s01".parse::<ServiceCode>().is_err());
        assert!("RES_CARE".parse::<ServiceCode>().is_ok());
    }
}
