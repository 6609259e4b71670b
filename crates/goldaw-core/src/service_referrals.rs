//! Referrals of a person of a case to a service (docs/referrals.md): the rules, free of I/O.
//!
//! In goldaw a *referral* is a referral to a service: a social worker refers a person of a case to
//! a provider's offer (specialized and residential services) or names the recipient of a
//! universal service. A new case coming in is *intake*; some older public names still call it a
//! referral (`ReferralSource`, `Store::register_referral`): they keep their names for the API and
//! the tests, and mean intake.
//!
//! Held here, once, for the store, the API and the pages:
//! - the closed lists a referral is written with (its status, the provider's actions, the
//!   reasons of a decline, the kinds of provider and of legal basis), one representation each:
//!   the API's, the database's and the pages' code are the same `as_str`;
//! - when a case may refer ([`referral_open`]);
//! - the referral's state machine ([`next_referral_status`]), the outcome of an accept against the
//!   places of the offer ([`accept_outcome`]), and the actions a reader may take now
//!   ([`referral_actions`]), as `workflow::available_actions` does for the case;
//! - the refusal of an action out of order ([`ReferralRefusal`]), with a stable code and the key
//!   of its message in the translation files.

use crate::codes::{CaseStatus, ServiceLevel};
use crate::workflow::Refusal;
use crate::ParseError;

/// Declares a closed list of codes written as they are in the API, the database and the forms.
/// The API document shows each as a string with its codes (the derived schema, so the document
/// stays as it was when the store declared them).
macro_rules! referral_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every code, in the order the pages list them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| ParseError::new(format!(
                        concat!("'{}' is not a ", $what, " (expected one of: {})"),
                        s,
                        [$($code),+].join(", ")
                    )))
            }
        }

        /// Rows decode straight into the code (`#[sqlx(try_from = "String")]`).
        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> { s.parse() }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

referral_enum!(
    /// Who runs a provider.
    ProviderKind, "provider kind" { State = "state", Ngo = "ngo", Private = "private" }
);

referral_enum!(
    /// Where a referral stands (docs/referrals.md).
    ReferralStatus, "referral status" {
        Sent = "sent",
        Accepted = "accepted",
        Waiting = "waiting",
        Declined = "declined",
        Started = "started",
        Completed = "completed",
        Cancelled = "cancelled",
    }
);

referral_enum!(
    /// Why a provider declined a referral.
    DeclineReason, "decline reason" {
        NoCapacity = "no_capacity",
        NotEligible = "not_eligible",
        PersonDeclined = "person_declined",
        Other = "other",
    }
);

referral_enum!(
    /// What makes residential care lawful (DOMAIN.md: tertiary level).
    LegalBasisKind, "legal basis kind" { CourtOrder = "court_order", MlspReferral = "mlsp_referral" }
);

referral_enum!(
    /// What a provider does with a referral.
    ProviderActionKind, "provider action" {
        Accept = "accept",
        Wait = "wait",
        Decline = "decline",
        Start = "start",
        Complete = "complete",
    }
);

referral_enum!(
    /// Everything that moves a referral, or records on it: the provider's actions, the units
    /// delivered (the provider's too, the status stays `started`), and the worker's cancel.
    ReferralAction, "referral action" {
        Accept = "accept",
        Wait = "wait",
        Decline = "decline",
        Start = "start",
        Deliver = "deliver",
        Complete = "complete",
        Cancel = "cancel",
    }
);

impl From<ProviderActionKind> for ReferralAction {
    fn from(a: ProviderActionKind) -> ReferralAction {
        match a {
            ProviderActionKind::Accept => ReferralAction::Accept,
            ProviderActionKind::Wait => ReferralAction::Wait,
            ProviderActionKind::Decline => ReferralAction::Decline,
            ProviderActionKind::Start => ReferralAction::Start,
            ProviderActionKind::Complete => ReferralAction::Complete,
        }
    }
}

impl ReferralAction {
    /// Done by the staff of the provider referred to (the others: by the case's worker).
    pub fn is_providers(self) -> bool {
        !matches!(self, ReferralAction::Cancel)
    }

    /// The provider's decision on the referral: it records who decided, when, and why.
    pub fn decides(self) -> bool {
        matches!(
            self,
            ReferralAction::Accept | ReferralAction::Wait | ReferralAction::Decline
        )
    }

    /// The key of the action's name in the translation files (`store.ftl`).
    pub fn key(self) -> &'static str {
        match self {
            ReferralAction::Accept => "store-referral-action-accept",
            ReferralAction::Wait => "store-referral-action-wait",
            ReferralAction::Decline => "store-referral-action-decline",
            ReferralAction::Start => "store-referral-action-start",
            ReferralAction::Deliver => "store-referral-action-deliver",
            ReferralAction::Complete => "store-referral-action-complete",
            ReferralAction::Cancel => "store-referral-action-cancel",
        }
    }
}

impl ReferralStatus {
    /// Occupies a place of the offer.
    pub fn holds_place(self) -> bool {
        matches!(self, ReferralStatus::Accepted | ReferralStatus::Started)
    }

    /// Still open: the worker may cancel it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ReferralStatus::Sent
                | ReferralStatus::Waiting
                | ReferralStatus::Accepted
                | ReferralStatus::Started
        )
    }

    /// The key of the status's name in the translation files (`cases.ftl`).
    pub fn key(self) -> String {
        format!("referral-status-{}", self.as_str())
    }
}

/// An action on a referral refused because of where the referral stands. The code is stable
/// (`referral_out_of_order`); the pages show [`ReferralRefusal::key`] with the status and the
/// action as terms; the API and the command line keep the English sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferralRefusal {
    #[error("{}", out_of_order_message(*status, *action))]
    OutOfOrder {
        status: ReferralStatus,
        action: ReferralAction,
    },
}

/// The English sentences the store gave before the rules moved here (the API keeps them).
fn out_of_order_message(status: ReferralStatus, action: ReferralAction) -> String {
    match action {
        ReferralAction::Cancel => format!("a referral that is {status} cannot be cancelled"),
        ReferralAction::Deliver => {
            format!("units are recorded on a started service; this referral is {status}")
        }
        _ => format!("'{action}' is not possible while the referral is {status}"),
    }
}

impl ReferralRefusal {
    /// Stable: the API and the logs.
    pub fn code(&self) -> &'static str {
        match self {
            ReferralRefusal::OutOfOrder { .. } => "referral_out_of_order",
        }
    }

    /// The key of the message in the translation files (`store.ftl`); its arguments are
    /// `status` and `action`, each itself a key (a term).
    pub fn key(&self) -> &'static str {
        match self {
            ReferralRefusal::OutOfOrder { .. } => "store-referral-out-of-order",
        }
    }

    /// The field of the request the refusal is about, as the API has named it: the action the
    /// provider sent, or the referral's status for a cancel and a delivery.
    pub fn field(&self) -> &'static str {
        match self {
            ReferralRefusal::OutOfOrder {
                action: ReferralAction::Cancel | ReferralAction::Deliver,
                ..
            } => "status",
            ReferralRefusal::OutOfOrder { .. } => "action",
        }
    }
}

/// Where `action` takes a referral that is `from`; the refusal when the action is out of order.
/// `Accept` answers `Accepted`: whether a place is free is [`accept_outcome`]'s to say, inside
/// the writing transaction.
pub fn next_referral_status(
    from: ReferralStatus,
    action: ReferralAction,
) -> Result<ReferralStatus, ReferralRefusal> {
    use ReferralAction as A;
    use ReferralStatus as S;
    match (action, from) {
        (A::Accept, S::Sent | S::Waiting) => Ok(S::Accepted),
        (A::Wait, S::Sent) => Ok(S::Waiting),
        (A::Decline, S::Sent | S::Waiting | S::Accepted) => Ok(S::Declined),
        (A::Start, S::Accepted) => Ok(S::Started),
        (A::Deliver, S::Started) => Ok(S::Started),
        (A::Complete, S::Started) => Ok(S::Completed),
        (A::Cancel, s) if s.is_open() => Ok(S::Cancelled),
        _ => Err(ReferralRefusal::OutOfOrder {
            status: from,
            action,
        }),
    }
}

/// An accepted referral takes a place when one is free (`places` absent: not limited; `taken`:
/// the referrals of the offer accepted or started), else it goes to the waiting list.
pub fn accept_outcome(places: Option<i32>, taken: i64) -> ReferralStatus {
    if places.is_some_and(|p| taken >= i64::from(p)) {
        ReferralStatus::Waiting
    } else {
        ReferralStatus::Accepted
    }
}

/// Who reads a referral, for the actions offered to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralReader {
    /// Staff of the provider organisation the referral is to (`ProviderWork` in its scope).
    Provider,
    /// The case's assigned social worker, or a supervisor who may work on the case.
    CaseWorker,
    /// Anyone else who may read the case: sees the referral, acts on none.
    Reader,
}

/// The actions `reader` may take on a referral that is `status` now: what a page offers.
pub fn referral_actions(status: ReferralStatus, reader: ReferralReader) -> Vec<ReferralAction> {
    ReferralAction::ALL
        .iter()
        .copied()
        .filter(|a| match reader {
            ReferralReader::Provider => a.is_providers(),
            ReferralReader::CaseWorker => !a.is_providers(),
            ReferralReader::Reader => false,
        })
        .filter(|a| next_referral_status(status, *a).is_ok())
        .collect()
}

/// Whether a case that is `status` may refer to a service of `level` now.
///
/// DECISION (issue #17, docs/referrals.md): a universal service may be referred to from the
/// initial assessment on, since WORKFLOW.md closes a case screened `none` "with advice or a
/// referral to a universal service"; a specialized (secondary) or residential (tertiary) service
/// from the holistic assessment on; no service while the case is `referred` (not yet screened) or
/// `closed`. The store refuses by this rule and the pages offer by it.
pub fn referral_open(status: CaseStatus, level: ServiceLevel) -> bool {
    use CaseStatus as S;
    match status {
        S::Referred | S::Closed => false,
        S::InitialAssessment => level == ServiceLevel::Universal,
        S::HolisticAssessment | S::SupportPlan | S::Active | S::Monitoring => true,
    }
}

/// [`referral_open`], as the refusal the store gives (409 `referral_not_now`).
pub fn check_referral_open(status: CaseStatus, level: ServiceLevel) -> Result<(), Refusal> {
    if referral_open(status, level) {
        Ok(())
    } else {
        Err(Refusal::ReferralNotNow { status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus as C;
    use ReferralAction as A;
    use ReferralStatus as S;
    use ServiceLevel as L;

    #[test]
    fn every_status_and_level_has_its_decision() {
        let expected = [
            (C::Referred, L::Universal, false),
            (C::Referred, L::Secondary, false),
            (C::Referred, L::Tertiary, false),
            (C::InitialAssessment, L::Universal, true),
            (C::InitialAssessment, L::Secondary, false),
            (C::InitialAssessment, L::Tertiary, false),
            (C::HolisticAssessment, L::Universal, true),
            (C::HolisticAssessment, L::Secondary, true),
            (C::HolisticAssessment, L::Tertiary, true),
            (C::SupportPlan, L::Universal, true),
            (C::SupportPlan, L::Secondary, true),
            (C::SupportPlan, L::Tertiary, true),
            (C::Active, L::Universal, true),
            (C::Active, L::Secondary, true),
            (C::Active, L::Tertiary, true),
            (C::Monitoring, L::Universal, true),
            (C::Monitoring, L::Secondary, true),
            (C::Monitoring, L::Tertiary, true),
            (C::Closed, L::Universal, false),
            (C::Closed, L::Secondary, false),
            (C::Closed, L::Tertiary, false),
        ];
        assert_eq!(expected.len(), C::ALL.len() * L::ALL.len(), "every pair");
        for (status, level, open) in expected {
            assert_eq!(referral_open(status, level), open, "{status} {level}");
            let checked = check_referral_open(status, level);
            if open {
                assert_eq!(checked, Ok(()));
            } else {
                assert_eq!(checked, Err(Refusal::ReferralNotNow { status }));
                assert_eq!(checked.unwrap_err().code(), "referral_not_now");
            }
        }
    }

    #[test]
    fn the_state_machine_moves_a_referral_only_in_order() {
        let allowed = [
            (S::Sent, A::Accept, S::Accepted),
            (S::Waiting, A::Accept, S::Accepted),
            (S::Sent, A::Wait, S::Waiting),
            (S::Sent, A::Decline, S::Declined),
            (S::Waiting, A::Decline, S::Declined),
            (S::Accepted, A::Decline, S::Declined),
            (S::Accepted, A::Start, S::Started),
            (S::Started, A::Deliver, S::Started),
            (S::Started, A::Complete, S::Completed),
            (S::Sent, A::Cancel, S::Cancelled),
            (S::Waiting, A::Cancel, S::Cancelled),
            (S::Accepted, A::Cancel, S::Cancelled),
            (S::Started, A::Cancel, S::Cancelled),
        ];
        for from in S::ALL {
            for action in A::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| f == from && a == action)
                    .map(|(_, _, to)| *to);
                let got = next_referral_status(*from, *action);
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{action} from {from}"),
                    None => {
                        let refusal = got.expect_err("out of order");
                        assert_eq!(
                            refusal,
                            ReferralRefusal::OutOfOrder {
                                status: *from,
                                action: *action
                            }
                        );
                        assert_eq!(refusal.code(), "referral_out_of_order");
                        assert_eq!(refusal.key(), "store-referral-out-of-order");
                    }
                }
            }
        }
    }

    #[test]
    fn the_refusals_keep_the_english_the_api_gave() {
        let r = next_referral_status(S::Completed, A::Start).unwrap_err();
        assert_eq!(
            r.to_string(),
            "'start' is not possible while the referral is completed"
        );
        assert_eq!(r.field(), "action");
        let r = next_referral_status(S::Cancelled, A::Cancel).unwrap_err();
        assert_eq!(
            r.to_string(),
            "a referral that is cancelled cannot be cancelled"
        );
        assert_eq!(r.field(), "status");
        let r = next_referral_status(S::Accepted, A::Deliver).unwrap_err();
        assert_eq!(
            r.to_string(),
            "units are recorded on a started service; this referral is accepted"
        );
        assert_eq!(r.field(), "status");
    }

    #[test]
    fn an_accept_waits_when_no_place_is_free() {
        assert_eq!(accept_outcome(None, 1_000), S::Accepted);
        assert_eq!(accept_outcome(Some(2), 1), S::Accepted);
        assert_eq!(accept_outcome(Some(2), 2), S::Waiting);
        assert_eq!(accept_outcome(Some(0), 0), S::Waiting);
    }

    #[test]
    fn each_reader_is_offered_what_it_may_do_now() {
        use ReferralReader as R;
        assert_eq!(
            referral_actions(S::Sent, R::Provider),
            [A::Accept, A::Wait, A::Decline]
        );
        assert_eq!(
            referral_actions(S::Waiting, R::Provider),
            [A::Accept, A::Decline]
        );
        assert_eq!(
            referral_actions(S::Accepted, R::Provider),
            [A::Decline, A::Start]
        );
        assert_eq!(
            referral_actions(S::Started, R::Provider),
            [A::Deliver, A::Complete]
        );
        for s in [S::Completed, S::Declined, S::Cancelled] {
            assert!(referral_actions(s, R::Provider).is_empty(), "{s}");
            assert!(referral_actions(s, R::CaseWorker).is_empty(), "{s}");
        }
        for s in [S::Sent, S::Waiting, S::Accepted, S::Started] {
            assert_eq!(referral_actions(s, R::CaseWorker), [A::Cancel], "{s}");
        }
        for s in S::ALL {
            assert!(referral_actions(*s, R::Reader).is_empty());
            assert_eq!(s.is_open(), !referral_actions(*s, R::CaseWorker).is_empty());
        }
    }

    #[test]
    fn codes_round_trip() {
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>().unwrap(), *s);
            assert_eq!(S::try_from(s.as_str().to_owned()).unwrap(), *s);
        }
        for a in ProviderActionKind::ALL {
            assert_eq!(ReferralAction::from(*a).as_str(), a.as_str());
        }
        let err = "lost".parse::<S>().unwrap_err().to_string();
        assert!(err.contains("'lost' is not a referral status"), "{err}");
        assert_eq!(
            serde_json::to_string(&DeclineReason::PersonDeclined).unwrap(),
            "\"person_declined\""
        );
    }
}
