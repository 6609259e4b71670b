//! Safety (issue #18, docs/survivors.md): pages that are safe on a shared device, and the safety
//! plan made with a survivor.
//!
//! - [`quick_exit`]: whose pages carry the quick exit (those who work on hotline calls or see
//!   sensitive records);
//! - [`RiskLevel`] and [`priority_for_risk`]: a high risk raises the case to the critical
//!   deadlines (through the case's own write, so the stored due dates follow);
//! - [`check_plan`]: what a safety plan needs before it is saved;
//! - [`check_neutral_site`]: the site the quick exit leaves to, as the operator sets it;
//! - [`name_on_page`]: how a page names a person of a case (hidden on a sensitive case).

use crate::access::{Permission, Principal};
use crate::codes::{code_enum, Priority};
use crate::ParseError;

/// Whether every page `principal` sees carries the quick exit: hotline work, or sight of
/// gender-based-violence and child-protection records.
pub fn quick_exit(principal: &Principal) -> bool {
    principal.role.is_some() && (principal.may(Permission::HotlineCalls) || principal.sensitive)
}

/// How a page names a person of a case: the case page, the lists of cases and tasks, the
/// assessment start form, an assessment's pages. Every page that prints a case's people asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOnPage {
    /// The name as recorded.
    Shown,
    /// Hidden on a sensitive case's pages even from a reader allowed to see it (a shared
    /// device): the case page's "Show the name" shows it, audited (`/cases/{id}/name`).
    Hidden,
    /// Withheld from this reader (no sight of sensitive records): the store gave no name.
    Restricted,
}

/// How a page names a person of a case that is `case_sensitive`, for a reader to whom the store
/// gave the name (`readable`) or not.
pub fn name_on_page(case_sensitive: bool, readable: bool) -> NameOnPage {
    match (readable, case_sensitive) {
        (false, _) => NameOnPage::Restricted,
        (true, true) => NameOnPage::Hidden,
        (true, false) => NameOnPage::Shown,
    }
}

/// The site the quick exit leaves to unless the operator sets another: a search page that says
/// nothing about why someone was on it.
pub const DEFAULT_NEUTRAL_SITE: &str = "https://www.google.com/";

/// The longest neutral site's address, in characters.
pub const MAX_NEUTRAL_SITE: usize = 500;

/// Why an address is refused as the quick exit's neutral site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeutralSiteRefusal {
    /// Not an absolute address (`https://host/...`), or not one at all.
    NotAbsolute,
    /// Not `https`: a plain `http` page shows in the network's logs what was left for, and any
    /// other scheme (`javascript:`, `data:`) is not a site.
    NotHttps,
    /// A user name or password in the address: it would be shown to anyone who looks.
    Credentials,
    /// Longer than [`MAX_NEUTRAL_SITE`].
    TooLong,
}

impl NeutralSiteRefusal {
    /// The stable code and translation key (`safety.ftl`).
    pub fn key(self) -> &'static str {
        match self {
            NeutralSiteRefusal::NotAbsolute => "quick-exit-site-not-absolute",
            NeutralSiteRefusal::NotHttps => "quick-exit-site-not-https",
            NeutralSiteRefusal::Credentials => "quick-exit-site-credentials",
            NeutralSiteRefusal::TooLong => "quick-exit-site-too-long",
        }
    }
}

/// The neutral site as the operator typed it, checked: an absolute `https` address with a host
/// and no credentials, at most [`MAX_NEUTRAL_SITE`] characters. Answers it as stored (the
/// parser's normal form: `https://Example.org` becomes `https://example.org/`).
pub fn check_neutral_site(input: &str) -> Result<String, NeutralSiteRefusal> {
    let input = input.trim();
    if input.chars().count() > MAX_NEUTRAL_SITE {
        return Err(NeutralSiteRefusal::TooLong);
    }
    let url = url::Url::parse(input).map_err(|_| NeutralSiteRefusal::NotAbsolute)?;
    if url.scheme() != "https" {
        return Err(NeutralSiteRefusal::NotHttps);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(NeutralSiteRefusal::NotAbsolute);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(NeutralSiteRefusal::Credentials);
    }
    let out = url.to_string();
    if out.chars().count() > MAX_NEUTRAL_SITE {
        return Err(NeutralSiteRefusal::TooLong);
    }
    Ok(out)
}

code_enum!(
    /// The risk the person faces, as judged with her when the plan is made or reviewed.
    RiskLevel, "risk level" {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
);

/// The priority a case must have at this risk, if the risk raises it: a high risk takes the
/// critical deadlines. A lower risk never lowers a priority set by the assessment.
pub fn priority_for_risk(risk: RiskLevel, current: Option<Priority>) -> Option<Priority> {
    match risk {
        RiskLevel::High if current != Some(Priority::Critical) => Some(Priority::Critical),
        _ => None,
    }
}

/// The parts of a safety plan (each sealed at rest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanParts<'a> {
    pub risks: &'a str,
    pub safe_contacts: &'a str,
    pub safe_places: &'a str,
    pub code_words: &'a str,
    pub emergency: &'a str,
}

/// Why a safety plan is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRefusal {
    /// A safety plan is made on a sensitive case (violence, a child at risk).
    NotSensitive,
    /// The plan says what the risks are and what to do in an emergency.
    Incomplete,
    /// A part is longer than a plan's part may be.
    TooLong,
}

impl PlanRefusal {
    pub fn key(self) -> &'static str {
        match self {
            PlanRefusal::NotSensitive => "safety-plan-not-sensitive",
            PlanRefusal::Incomplete => "safety-plan-incomplete",
            PlanRefusal::TooLong => "safety-plan-too-long",
        }
    }
}

/// The longest part of a plan, in characters.
pub const MAX_PART: usize = 4000;

/// Whether a safety plan may be saved on a case (`sensitive`) as given.
pub fn check_plan(sensitive: bool, parts: &PlanParts<'_>) -> Result<(), PlanRefusal> {
    if !sensitive {
        return Err(PlanRefusal::NotSensitive);
    }
    if parts.risks.trim().is_empty() || parts.emergency.trim().is_empty() {
        return Err(PlanRefusal::Incomplete);
    }
    let all = [
        parts.risks,
        parts.safe_contacts,
        parts.safe_places,
        parts.code_words,
        parts.emergency,
    ];
    if all.iter().any(|p| p.chars().count() > MAX_PART) {
        return Err(PlanRefusal::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use crate::codes::Role;
    use uuid::Uuid;

    fn who(role: Role, sensitive: bool) -> Principal {
        Principal::user(
            Uuid::nil(),
            "u",
            role,
            Scope::Unit(crate::access::nation()),
            sensitive,
        )
    }

    #[test]
    fn a_sensitive_cases_names_are_hidden_on_pages_and_withheld_names_stay_withheld() {
        assert_eq!(name_on_page(false, true), NameOnPage::Shown);
        assert_eq!(name_on_page(true, true), NameOnPage::Hidden);
        assert_eq!(name_on_page(true, false), NameOnPage::Restricted);
        assert_eq!(name_on_page(false, false), NameOnPage::Restricted);
    }

    #[test]
    fn the_neutral_site_is_an_absolute_https_address_without_credentials() {
        assert_eq!(
            check_neutral_site(" https://Example.org ").as_deref(),
            Ok("https://example.org/")
        );
        assert_eq!(
            check_neutral_site(DEFAULT_NEUTRAL_SITE).as_deref(),
            Ok(DEFAULT_NEUTRAL_SITE)
        );
        assert_eq!(
            check_neutral_site("https://weather.gov.tm/ashgabat?d=1").as_deref(),
            Ok("https://weather.gov.tm/ashgabat?d=1")
        );
        for (bad, why) in [
            ("", NeutralSiteRefusal::NotAbsolute),
            ("www.google.com", NeutralSiteRefusal::NotAbsolute),
            ("/logout", NeutralSiteRefusal::NotAbsolute),
            ("https://", NeutralSiteRefusal::NotAbsolute),
            ("http://example.org/", NeutralSiteRefusal::NotHttps),
            ("javascript:alert(1)", NeutralSiteRefusal::NotHttps),
            ("data:text/html,hi", NeutralSiteRefusal::NotHttps),
            ("ftp://example.org/", NeutralSiteRefusal::NotHttps),
            (
                "https://me:pw@example.org/",
                NeutralSiteRefusal::Credentials,
            ),
            ("https://me@example.org/", NeutralSiteRefusal::Credentials),
        ] {
            assert_eq!(check_neutral_site(bad), Err(why), "{bad}");
        }
        let long = format!("https://example.org/{}", "a".repeat(MAX_NEUTRAL_SITE));
        assert_eq!(check_neutral_site(&long), Err(NeutralSiteRefusal::TooLong));
    }

    #[test]
    fn hotline_staff_and_those_who_see_sensitive_records_get_the_quick_exit() {
        assert!(quick_exit(&who(Role::Hotline, false)));
        assert!(quick_exit(&who(Role::Supervisor, false)));
        assert!(quick_exit(&who(Role::SocialWorker, true)));
        assert!(!quick_exit(&who(Role::SocialWorker, false)));
        assert!(!quick_exit(&who(Role::Planner, false)));
        assert!(!quick_exit(&Principal::operator("t")));
    }

    #[test]
    fn a_high_risk_raises_the_case_to_critical_and_nothing_lowers_it() {
        assert_eq!(
            priority_for_risk(RiskLevel::High, Some(Priority::Support)),
            Some(Priority::Critical)
        );
        assert_eq!(
            priority_for_risk(RiskLevel::High, None),
            Some(Priority::Critical)
        );
        assert_eq!(
            priority_for_risk(RiskLevel::High, Some(Priority::Critical)),
            None
        );
        assert_eq!(
            priority_for_risk(RiskLevel::Low, Some(Priority::Critical)),
            None
        );
    }

    #[test]
    fn a_plan_names_the_risks_and_the_emergency_on_a_sensitive_case() {
        let ok = PlanParts {
            risks: "He drinks on Fridays",
            emergency: "Call 03, go to the neighbour",
            ..Default::default()
        };
        assert_eq!(check_plan(true, &ok), Ok(()));
        assert_eq!(check_plan(false, &ok), Err(PlanRefusal::NotSensitive));
        assert_eq!(
            check_plan(
                true,
                &PlanParts {
                    emergency: " ",
                    ..ok.clone()
                }
            ),
            Err(PlanRefusal::Incomplete)
        );
        let long = "x".repeat(MAX_PART + 1);
        assert_eq!(
            check_plan(
                true,
                &PlanParts {
                    code_words: &long,
                    ..ok
                }
            ),
            Err(PlanRefusal::TooLong)
        );
    }
}
