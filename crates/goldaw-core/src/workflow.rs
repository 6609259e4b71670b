//! The statutory case workflow (WORKFLOW.md): which action moves a case from which status to
//! which, and why an action is refused.
//!
//! The rules are a pure function of the case's status and a few facts about it, so that the store,
//! the API and the pages all ask the same question and a refusal reads the same everywhere: a code
//! the pages translate, and an English sentence for the API and the logs.
//!
//! Who may work on a case ([`case_work`]) is here too: the one rule that the store's use cases
//! (case actions, notes, attachments, assessments, plans, referrals to services) and the pages
//! (which buttons to offer) ask.

use crate::access::{Permission, Principal};
use crate::codes::code_enum;
use crate::codes::{CaseStatus, Priority, Role};
use crate::ids::AdminUnitCode;
use crate::ParseError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

code_enum!(
    /// Why a case was closed (WORKFLOW.md).
    ClosureReason, "closure reason" {
        GoalsAchieved = "goals_achieved",
        NoFurtherService = "no_further_service",
        MovedAway = "moved_away",
        DeclinedSupport = "declined_support",
        ResidentialCare = "residential_care",
        Died = "died",
        Other = "other",
    }
);

code_enum!(
    /// What a person can do to a case's status. Allocation and notes do not move the status and
    /// are not actions here.
    CaseAction, "case action" {
        /// First contact made: the initial assessment (screening) begins.
        StartInitial = "start_initial",
        /// Screening done with a priority: critical or support go on, none closes the case.
        CompleteInitial = "complete_initial",
        /// The holistic assessment is done: the support plan is made next.
        CompleteHolistic = "complete_holistic",
        /// The supervisor approves the plan the person agreed to: services start.
        ApprovePlan = "approve_plan",
        /// From intensive support to lighter follow-up, and back.
        ToMonitoring = "to_monitoring",
        ToActive = "to_active",
        /// The worker asks to close; the supervisor approves.
        RequestClosure = "request_closure",
        ApproveClosure = "approve_closure",
        Reopen = "reopen",
        /// To another etrap's team; its supervisor accepts or declines.
        RequestTransfer = "request_transfer",
        AcceptTransfer = "accept_transfer",
        DeclineTransfer = "decline_transfer",
    }
);

impl CaseAction {
    /// Actions the supervisor decides; the others are the case worker's (the supervisor may do
    /// those too).
    pub fn needs_supervisor(self) -> bool {
        matches!(
            self,
            CaseAction::ApprovePlan
                | CaseAction::ApproveClosure
                | CaseAction::AcceptTransfer
                | CaseAction::DeclineTransfer
        )
    }
}

/// What the rules need to know about a case beyond its status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFacts {
    /// The priority the action sets (screening) or the case already has.
    pub priority: Option<Priority>,
    /// The latest support plan is submitted and the person's agreement (or views) recorded.
    pub plan_ready_for_approval: bool,
    /// A support plan was ever approved for this case.
    pub had_plan: bool,
    /// A closing review has been recorded since the plan.
    pub closing_review_done: bool,
    pub closure_requested: Option<ClosureReason>,
    pub transfer_pending: bool,
    /// An initial assessment (screening) of the case was completed against the instrument.
    pub initial_assessment_done: bool,
    /// A holistic assessment was completed since the case was referred (or last reopened).
    pub holistic_assessment_done: bool,
}

/// Why an action was refused. The code is stable: pages translate `refusal-<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "refusal")]
pub enum Refusal {
    #[error("'{action}' is not possible while the case is '{status}'")]
    OutOfOrder {
        status: CaseStatus,
        action: CaseAction,
    },
    #[error("screening must conclude with a priority: critical, support or none")]
    PriorityRequired,
    #[error("the support plan must be submitted, with the person's agreement or views recorded, before it is approved")]
    PlanNotReady,
    #[error("a closing review is needed before a case with a support plan is closed")]
    ClosingReviewMissing,
    #[error("closing needs a reason")]
    ClosureReasonRequired,
    #[error("nobody has asked to close this case")]
    NoClosureRequested,
    #[error("a transfer of this case is already waiting for the receiving etrap")]
    TransferPending,
    #[error("no transfer of this case is waiting")]
    NoTransferPending,
    /// Residential (tertiary) care is the last resort (DOMAIN.md): only on a court order or a
    /// referral from the ministry (MLSP).
    #[error("residential care needs a court order or a ministry (MLSP) referral: record the legal basis on the case first")]
    ResidentialNeedsLegalBasis,
    /// Referrals to services are made once the case is assessed, and not on a closed case.
    #[error("no referral to a service while the case is '{status}': specialized services from the holistic assessment on, universal services from the initial assessment on, never on a closed case")]
    ReferralNotNow { status: CaseStatus },
    /// Screening concludes a recorded initial assessment, not a guess.
    #[error("complete the initial assessment with the person (the screening questions) before the screening is concluded")]
    InitialAssessmentMissing,
    /// The support plan is built on a recorded holistic assessment.
    #[error("complete a holistic assessment with the person before the support plan is made")]
    HolisticAssessmentMissing,
    /// An initial assessment is made at screening, a holistic one in its step.
    #[error("no assessment of this kind while the case is '{status}': the initial assessment belongs to the screening, the holistic assessment to its own step")]
    AssessmentNotNow { status: CaseStatus },
    /// Two records of one person that a person must reconcile before they are merged.
    #[error("{0}")]
    Merge(crate::merges::MergeRefusal),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::OutOfOrder { .. } => "out_of_order",
            Refusal::PriorityRequired => "priority_required",
            Refusal::PlanNotReady => "plan_not_ready",
            Refusal::ClosingReviewMissing => "closing_review_missing",
            Refusal::ClosureReasonRequired => "closure_reason_required",
            Refusal::NoClosureRequested => "no_closure_requested",
            Refusal::TransferPending => "transfer_pending",
            Refusal::NoTransferPending => "no_transfer_pending",
            Refusal::ResidentialNeedsLegalBasis => "residential_needs_legal_basis",
            Refusal::ReferralNotNow { .. } => "referral_not_now",
            Refusal::InitialAssessmentMissing => "initial_assessment_missing",
            Refusal::HolisticAssessmentMissing => "holistic_assessment_missing",
            Refusal::AssessmentNotNow { .. } => "assessment_not_now",
            Refusal::Merge(r) => r.code(),
        }
    }
}

/// The status after `action`, or why it may not happen. Transfers and closure requests leave the
/// status as it is: they record a pending decision.
pub fn next_status(
    status: CaseStatus,
    action: CaseAction,
    facts: &CaseFacts,
) -> Result<CaseStatus, Refusal> {
    use CaseAction as A;
    use CaseStatus as S;
    let out_of_order = Err(Refusal::OutOfOrder { status, action });
    match (status, action) {
        (S::Referred, A::StartInitial) => Ok(S::InitialAssessment),
        (S::InitialAssessment, A::CompleteInitial) if !facts.initial_assessment_done => {
            Err(Refusal::InitialAssessmentMissing)
        }
        (S::InitialAssessment, A::CompleteInitial) => match facts.priority {
            Some(Priority::Critical | Priority::Support) => Ok(S::HolisticAssessment),
            // No further service: closed with advice or a referral to a universal service.
            Some(Priority::None) => Ok(S::Closed),
            None => Err(Refusal::PriorityRequired),
        },
        (S::HolisticAssessment, A::CompleteHolistic) if !facts.holistic_assessment_done => {
            Err(Refusal::HolisticAssessmentMissing)
        }
        (S::HolisticAssessment, A::CompleteHolistic) => Ok(S::SupportPlan),
        (S::SupportPlan, A::ApprovePlan) if facts.plan_ready_for_approval => Ok(S::Active),
        (S::SupportPlan, A::ApprovePlan) => Err(Refusal::PlanNotReady),
        // A revised plan while support runs: approving it replaces the plan, the status stays.
        (S::Active | S::Monitoring, A::ApprovePlan) if facts.plan_ready_for_approval => Ok(status),
        (S::Active, A::ToMonitoring) => Ok(S::Monitoring),
        (S::Monitoring, A::ToActive) => Ok(S::Active),
        (S::Closed, A::Reopen) => Ok(S::HolisticAssessment),
        (S::Closed, _) => out_of_order,
        (_, A::RequestClosure) if facts.transfer_pending => Err(Refusal::TransferPending),
        (_, A::RequestClosure) => Ok(status),
        (_, A::ApproveClosure) => match facts.closure_requested {
            None => Err(Refusal::NoClosureRequested),
            Some(_) if facts.had_plan && !facts.closing_review_done => {
                Err(Refusal::ClosingReviewMissing)
            }
            Some(_) => Ok(S::Closed),
        },
        (_, A::RequestTransfer) if facts.transfer_pending => Err(Refusal::TransferPending),
        (_, A::RequestTransfer) => Ok(status),
        (_, A::AcceptTransfer | A::DeclineTransfer) if !facts.transfer_pending => {
            Err(Refusal::NoTransferPending)
        }
        (_, A::AcceptTransfer | A::DeclineTransfer) => Ok(status),
        _ => out_of_order,
    }
}

/// The actions that `next_status` would allow now: what the case page offers.
pub fn available_actions(status: CaseStatus, facts: &CaseFacts) -> Vec<CaseAction> {
    CaseAction::ALL
        .iter()
        .copied()
        .filter(|a| {
            // Screening is offered even without a priority yet: the form asks for it.
            let facts = if *a == CaseAction::CompleteInitial {
                CaseFacts {
                    priority: Some(Priority::Support),
                    ..facts.clone()
                }
            } else {
                facts.clone()
            };
            next_status(status, *a, &facts).is_ok()
        })
        .collect()
}

/// What the rule of case work ([`case_work`]) needs to know about a case the reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseWorkFacts<'a> {
    /// The etrap whose team holds the case.
    pub admin_unit: &'a str,
    /// The etrap a transfer waits to be accepted by.
    pub transfer_to: Option<&'a str>,
    /// The social worker the case is allocated to.
    pub worker: Option<Uuid>,
    /// Names and text are withheld from the reader: `privacy::case_sight` gave the code only (a
    /// sensitive case, or a hidden person, and a reader without the `sensitive` permission).
    pub restricted: bool,
}

/// Why a reader may not work on a case. The English is the store's `Forbidden` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WorkRefusal {
    #[error("this is a sensitive case: working on it needs the sensitive permission")]
    Sensitive,
    /// The role lacks the permission the work needs.
    #[error("your role may not do this ({0:?})")]
    Permission(Permission),
    #[error("only a supervisor of the receiving etrap accepts or declines a transfer")]
    NotReceiving,
    #[error("the case lies outside your scope (it waits for your decision on the transfer only)")]
    OutsideScope,
    #[error("only the assigned social worker or a supervisor works on this case")]
    NotAssigned,
}

/// What a reader may do on a case ([`case_work`]): each part allowed, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseWork {
    /// Case work: screening, assessments, notes, attachments, support plans, referrals to
    /// services, and the worker's actions ([`CaseAction::needs_supervisor`] is false).
    pub work: Result<(), WorkRefusal>,
    /// The supervisor's decisions on a case of their team: approving a plan or a closure.
    pub decide: Result<(), WorkRefusal>,
    /// Accepting or declining a transfer that waits for the reader's etrap.
    pub decide_transfer: Result<(), WorkRefusal>,
}

impl CaseWork {
    /// Whether the reader may take `action` (who they are; the workflow asks [`next_status`]).
    pub fn action(&self, action: CaseAction) -> Result<(), WorkRefusal> {
        match action {
            CaseAction::AcceptTransfer | CaseAction::DeclineTransfer => self.decide_transfer,
            a if a.needs_supervisor() => self.decide,
            _ => self.work,
        }
    }

    /// Whether the reader may do the case's work (what the pages ask before offering a form).
    pub fn may_work(&self) -> bool {
        self.work.is_ok()
    }
}

/// Who may work on a case (WORKFLOW.md, "Who may do what"): the one rule.
///
/// - Nobody works on a case they see by its code only (a sensitive case without the
///   `sensitive` permission).
/// - The case's work is for those with `WorkCases` in the case's etrap: a social worker only on a
///   case allocated to them, a supervisor (and the operator) on any case of their scope.
/// - A supervisor's decisions (`ApproveCases`) are taken in the case's etrap.
/// - A transfer is accepted or declined by a supervisor of the receiving etrap; until then the
///   case is not theirs to work on.
///
/// Decided (issue #17): the three copies this replaces disagreed in two places. The assessment
/// page offered work to a supervisor of the etrap a transfer waits for, and the store refused
/// it: the store was right (the case is the sending team's until the transfer is accepted).
/// The page also offered nothing on a closed case: that is the workflow's step, not who the
/// reader is, and the page keeps it beside this rule.
pub fn case_work(principal: &Principal, case: &CaseWorkFacts<'_>) -> CaseWork {
    if case.restricted {
        let no = Err(WorkRefusal::Sensitive);
        return CaseWork {
            work: no,
            decide: no,
            decide_transfer: no,
        };
    }
    let sees = |unit: &str| {
        unit.parse::<AdminUnitCode>()
            .is_ok_and(|u| principal.can_see_unit(&u))
    };
    let permission = |p: Permission| {
        if principal.may(p) {
            Ok(())
        } else {
            Err(WorkRefusal::Permission(p))
        }
    };
    let decide_transfer = permission(Permission::ApproveCases).and_then(|()| {
        if case.transfer_to.is_some_and(sees) {
            Ok(())
        } else {
            Err(WorkRefusal::NotReceiving)
        }
    });
    let home = if sees(case.admin_unit) {
        Ok(())
    } else {
        Err(WorkRefusal::OutsideScope)
    };
    let decide = home.and_then(|()| permission(Permission::ApproveCases));
    let work = home
        .and_then(|()| permission(Permission::WorkCases))
        .and_then(|()| {
            if principal.role == Some(Role::SocialWorker) && case.worker != principal.user_id {
                Err(WorkRefusal::NotAssigned)
            } else {
                Ok(())
            }
        });
    CaseWork {
        work,
        decide,
        decide_transfer,
    }
}

/// Whether a case in this status counts as intensive (active) or monitored against the norm of
/// 25 + 25 (WORKFLOW.md): every open case before monitoring is intensive work.
pub fn counts_as_intensive(status: CaseStatus) -> bool {
    !matches!(status, CaseStatus::Monitoring | CaseStatus::Closed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseAction as A;
    use CaseStatus as S;

    #[test]
    fn the_statutory_path_runs_from_referral_to_closure() {
        let mut facts = CaseFacts::default();
        let mut s = S::Referred;
        s = next_status(s, A::StartInitial, &facts).unwrap();
        assert_eq!(s, S::InitialAssessment);
        facts.priority = Some(Priority::Critical);
        facts.initial_assessment_done = true;
        s = next_status(s, A::CompleteInitial, &facts).unwrap();
        assert_eq!(s, S::HolisticAssessment);
        facts.holistic_assessment_done = true;
        s = next_status(s, A::CompleteHolistic, &facts).unwrap();
        assert_eq!(s, S::SupportPlan);
        facts.plan_ready_for_approval = true;
        s = next_status(s, A::ApprovePlan, &facts).unwrap();
        assert_eq!(s, S::Active);
        facts.had_plan = true;
        s = next_status(s, A::ToMonitoring, &facts).unwrap();
        assert_eq!(s, S::Monitoring);
        assert_eq!(next_status(s, A::RequestClosure, &facts), Ok(S::Monitoring));
        facts.closure_requested = Some(ClosureReason::GoalsAchieved);
        assert_eq!(
            next_status(s, A::ApproveClosure, &facts),
            Err(Refusal::ClosingReviewMissing)
        );
        facts.closing_review_done = true;
        s = next_status(s, A::ApproveClosure, &facts).unwrap();
        assert_eq!(s, S::Closed);
        assert_eq!(next_status(s, A::Reopen, &facts), Ok(S::HolisticAssessment));
    }

    #[test]
    fn out_of_order_actions_are_refused_with_the_status_and_action() {
        let facts = CaseFacts {
            priority: Some(Priority::Support),
            ..CaseFacts::default()
        };
        let r = next_status(S::Referred, A::ApprovePlan, &facts).unwrap_err();
        assert_eq!(
            r,
            Refusal::OutOfOrder {
                status: S::Referred,
                action: A::ApprovePlan
            }
        );
        assert_eq!(r.code(), "out_of_order");
        assert!(r.to_string().contains("'approve_plan'"), "{r}");
        assert!(next_status(S::Closed, A::StartInitial, &facts).is_err());
        assert!(next_status(S::Active, A::CompleteHolistic, &facts).is_err());
        assert!(next_status(S::Referred, A::Reopen, &facts).is_err());
    }

    #[test]
    fn screening_needs_a_priority_and_none_closes() {
        let none = CaseFacts {
            initial_assessment_done: true,
            ..CaseFacts::default()
        };
        assert_eq!(
            next_status(S::InitialAssessment, A::CompleteInitial, &none),
            Err(Refusal::PriorityRequired)
        );
        let no_service = CaseFacts {
            priority: Some(Priority::None),
            initial_assessment_done: true,
            ..CaseFacts::default()
        };
        assert_eq!(
            next_status(S::InitialAssessment, A::CompleteInitial, &no_service),
            Ok(S::Closed)
        );
    }

    #[test]
    fn screening_and_the_holistic_step_need_a_completed_assessment() {
        let critical = CaseFacts {
            priority: Some(Priority::Critical),
            ..CaseFacts::default()
        };
        let r = next_status(S::InitialAssessment, A::CompleteInitial, &critical).unwrap_err();
        assert_eq!(r, Refusal::InitialAssessmentMissing);
        assert_eq!(r.code(), "initial_assessment_missing");
        let r = next_status(S::HolisticAssessment, A::CompleteHolistic, &critical).unwrap_err();
        assert_eq!(r, Refusal::HolisticAssessmentMissing);
        assert!(r.to_string().contains("holistic assessment"), "{r}");
        // Out of order stays out of order, whatever was assessed.
        let assessed = CaseFacts {
            initial_assessment_done: true,
            holistic_assessment_done: true,
            ..critical
        };
        assert!(matches!(
            next_status(S::Referred, A::CompleteHolistic, &assessed),
            Err(Refusal::OutOfOrder { .. })
        ));
        assert_eq!(
            Refusal::AssessmentNotNow { status: S::Active }.code(),
            "assessment_not_now"
        );
    }

    #[test]
    fn a_plan_is_approved_only_when_submitted_with_the_persons_view() {
        let facts = CaseFacts::default();
        assert_eq!(
            next_status(S::SupportPlan, A::ApprovePlan, &facts),
            Err(Refusal::PlanNotReady)
        );
        assert!(A::ApprovePlan.needs_supervisor());
        assert!(!A::RequestClosure.needs_supervisor());
    }

    #[test]
    fn a_revised_plan_is_approved_while_support_runs_and_the_status_stays() {
        let ready = CaseFacts {
            plan_ready_for_approval: true,
            had_plan: true,
            ..CaseFacts::default()
        };
        for s in [S::Active, S::Monitoring] {
            assert_eq!(next_status(s, A::ApprovePlan, &ready), Ok(s));
            assert!(available_actions(s, &ready).contains(&A::ApprovePlan));
            // Nothing submitted: not offered, refused as out of order.
            let none = CaseFacts {
                had_plan: true,
                ..CaseFacts::default()
            };
            assert!(!available_actions(s, &none).contains(&A::ApprovePlan));
            assert!(next_status(s, A::ApprovePlan, &none).is_err());
        }
        assert!(next_status(S::Closed, A::ApprovePlan, &ready).is_err());
    }

    #[test]
    fn closure_and_transfer_wait_for_a_decision() {
        let facts = CaseFacts::default();
        assert_eq!(
            next_status(S::Active, A::ApproveClosure, &facts),
            Err(Refusal::NoClosureRequested)
        );
        assert_eq!(
            next_status(S::Active, A::AcceptTransfer, &facts),
            Err(Refusal::NoTransferPending)
        );
        let pending = CaseFacts {
            transfer_pending: true,
            ..CaseFacts::default()
        };
        assert_eq!(
            next_status(S::Active, A::RequestTransfer, &pending),
            Err(Refusal::TransferPending)
        );
        assert_eq!(
            next_status(S::Active, A::RequestClosure, &pending),
            Err(Refusal::TransferPending)
        );
        assert_eq!(
            next_status(S::HolisticAssessment, A::AcceptTransfer, &pending),
            Ok(S::HolisticAssessment)
        );
        // A case without a plan closes without a closing review.
        let asked = CaseFacts {
            closure_requested: Some(ClosureReason::MovedAway),
            ..CaseFacts::default()
        };
        assert_eq!(
            next_status(S::HolisticAssessment, A::ApproveClosure, &asked),
            Ok(S::Closed)
        );
    }

    #[test]
    fn the_offered_actions_are_exactly_the_allowed_ones() {
        let facts = CaseFacts::default();
        assert_eq!(
            available_actions(S::Referred, &facts),
            vec![A::StartInitial, A::RequestClosure, A::RequestTransfer]
        );
        assert_eq!(available_actions(S::Closed, &facts), vec![A::Reopen]);
        // Screening is offered once the initial assessment is complete, not before.
        assert!(!available_actions(S::InitialAssessment, &facts).contains(&A::CompleteInitial));
        let screened = CaseFacts {
            initial_assessment_done: true,
            ..CaseFacts::default()
        };
        assert!(available_actions(S::InitialAssessment, &screened).contains(&A::CompleteInitial));
        assert!(!available_actions(S::HolisticAssessment, &screened).contains(&A::CompleteHolistic));
    }

    #[test]
    fn monitoring_counts_apart_from_intensive_work() {
        assert!(counts_as_intensive(S::Active));
        assert!(counts_as_intensive(S::Referred));
        assert!(!counts_as_intensive(S::Monitoring));
        assert!(!counts_as_intensive(S::Closed));
    }

    mod who_works {
        use super::super::*;
        use crate::access::{Permission, Principal, Scope};
        use crate::codes::Role;
        use uuid::Uuid;

        const OWN: Uuid = Uuid::from_u128(7);
        const OTHER: Uuid = Uuid::from_u128(8);

        fn who(role: Role, scope: &str, sensitive: bool) -> Principal {
            Principal::user(OWN, "u", role, scope.parse::<Scope>().unwrap(), sensitive)
        }

        /// A case of TM-A-01, allocated to `worker`.
        fn case(worker: Option<Uuid>) -> CaseWorkFacts<'static> {
            CaseWorkFacts {
                admin_unit: "TM-A-01",
                transfer_to: None,
                worker,
                restricted: false,
            }
        }

        const WORK: Result<(), WorkRefusal> = Ok(());

        fn perm(p: Permission) -> Result<(), WorkRefusal> {
            Err(WorkRefusal::Permission(p))
        }

        /// Each role against each situation of a case: (work, decide, decide_transfer).
        #[test]
        fn each_role_in_each_situation() {
            use WorkRefusal::{NotAssigned, NotReceiving, OutsideScope, Sensitive};
            let worker = who(Role::SocialWorker, "TM-A-01", false);
            let supervisor = who(Role::Supervisor, "TM-A", false);
            let receiving = who(Role::Supervisor, "TM-B", false);
            let elsewhere = who(Role::SocialWorker, "TM-B-01", false);
            let hotline = who(Role::Hotline, "TM", true);
            let operator = Principal::system("t");
            let incoming = CaseWorkFacts {
                transfer_to: Some("TM-B-02"),
                ..case(Some(OWN))
            };
            let restricted = CaseWorkFacts {
                restricted: true,
                ..case(Some(OWN))
            };
            type Row<'a> = (
                &'a str,
                &'a Principal,
                CaseWorkFacts<'a>,
                [Result<(), WorkRefusal>; 3],
            );
            let table: Vec<Row<'_>> = vec![
                (
                    "worker, own case",
                    &worker,
                    case(Some(OWN)),
                    [
                        WORK,
                        perm(Permission::ApproveCases),
                        perm(Permission::ApproveCases),
                    ],
                ),
                (
                    "worker, colleague's case",
                    &worker,
                    case(Some(OTHER)),
                    [
                        Err(NotAssigned),
                        perm(Permission::ApproveCases),
                        perm(Permission::ApproveCases),
                    ],
                ),
                (
                    "worker, unallocated case",
                    &worker,
                    case(None),
                    [
                        Err(NotAssigned),
                        perm(Permission::ApproveCases),
                        perm(Permission::ApproveCases),
                    ],
                ),
                (
                    "worker, sensitive case without the permission",
                    &worker,
                    restricted,
                    [Err(Sensitive); 3],
                ),
                (
                    "worker of another etrap",
                    &elsewhere,
                    case(Some(OWN)),
                    [
                        Err(OutsideScope),
                        Err(OutsideScope),
                        perm(Permission::ApproveCases),
                    ],
                ),
                (
                    "supervisor, any case of the team",
                    &supervisor,
                    case(Some(OTHER)),
                    [WORK, WORK, Err(NotReceiving)],
                ),
                (
                    "supervisor, unallocated case",
                    &supervisor,
                    case(None),
                    [WORK, WORK, Err(NotReceiving)],
                ),
                (
                    "supervisor, sensitive case without the permission",
                    &supervisor,
                    restricted,
                    [Err(Sensitive); 3],
                ),
                (
                    "supervisor of the sending etrap, transfer waiting",
                    &supervisor,
                    incoming,
                    [WORK, WORK, Err(NotReceiving)],
                ),
                (
                    "supervisor of the receiving etrap",
                    &receiving,
                    incoming,
                    [Err(OutsideScope), Err(OutsideScope), WORK],
                ),
                (
                    "supervisor of another etrap, no transfer",
                    &receiving,
                    case(None),
                    [Err(OutsideScope), Err(OutsideScope), Err(NotReceiving)],
                ),
                (
                    "hotline, its own call",
                    &hotline,
                    case(None),
                    [
                        perm(Permission::WorkCases),
                        perm(Permission::ApproveCases),
                        perm(Permission::ApproveCases),
                    ],
                ),
                (
                    "operator (national scope: both etraps)",
                    &operator,
                    incoming,
                    [WORK, WORK, WORK],
                ),
            ];
            for (what, p, facts, [work, decide, transfer]) in table {
                let got = case_work(p, &facts);
                assert_eq!(got.work, work, "{what}: work");
                assert_eq!(got.decide, decide, "{what}: decide");
                assert_eq!(got.decide_transfer, transfer, "{what}: transfer");
                assert_eq!(got.may_work(), work.is_ok(), "{what}");
            }
        }

        #[test]
        fn roles_that_never_work_on_cases_are_refused_by_permission() {
            for role in [Role::Provider, Role::Planner, Role::Ministry, Role::Admin] {
                let scope = if role == Role::Provider {
                    "provider:PR1"
                } else {
                    "TM"
                };
                let got = case_work(&who(role, scope, true), &case(Some(OWN)));
                assert!(!got.may_work(), "{role}");
                assert!(
                    got.decide.is_err() && got.decide_transfer.is_err(),
                    "{role}"
                );
            }
        }

        #[test]
        fn each_action_asks_its_part() {
            let worker = who(Role::SocialWorker, "TM-A-01", false);
            let work = case_work(&worker, &case(Some(OWN)));
            for a in CaseAction::ALL {
                let expected =
                    if matches!(a, CaseAction::AcceptTransfer | CaseAction::DeclineTransfer) {
                        work.decide_transfer
                    } else if a.needs_supervisor() {
                        work.decide
                    } else {
                        work.work
                    };
                assert_eq!(work.action(*a), expected, "{a}");
            }
            assert_eq!(
                work.action(CaseAction::ApprovePlan)
                    .unwrap_err()
                    .to_string(),
                "your role may not do this (ApproveCases)"
            );
        }

        #[test]
        fn a_cleared_reader_works_on_a_sensitive_case_as_on_any() {
            // `restricted` is what the reader sees: with the permission, a sensitive case is not
            // restricted and the ordinary rule applies.
            let cleared = who(Role::SocialWorker, "TM-A-01", true);
            assert!(case_work(&cleared, &case(Some(OWN))).may_work());
        }
    }
}
