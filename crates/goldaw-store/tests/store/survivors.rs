//! Issue #18, the survivor's path, on every backend: the hotline's call log scoped to its line,
//! the queue of call-backs, a call become a case with the consents given on it, consent that
//! governs a referral, a provider's read and a disclosure to the police or health, the
//! supervisor's override (permission and reason required), an expired consent, and a withdrawal
//! that closes the provider's view.

use crate::helpers::{act, operator, sensitive_staff as user};
use chrono::{Duration, Utc};
use goldaw_core::codes::{CaseStatus, Priority, ReferralSource, Role, Sex};
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::ActionRequest;
use goldaw_store::consent::{
    ConsentGiver, ConsentMethod, ConsentPurpose, NewConsent, NewDisclosure, NewOverride,
    OverrideReason, Withdrawal,
};
use goldaw_store::hotline::{
    AgeBand, CallAbout, CallCategory, CallOutcome, CallToCase, LineRole, NewCall, NewLine,
    NewLineMember, RiskScreening,
};
use goldaw_store::referrals::{
    NewProvider, NewServiceReferral, OfferRequest, ProviderAction, ProviderActionKind, ProviderKind,
};
use goldaw_store::{Principal, Store, StoreError};

/// The key of a refusal, if it is one.
pub(crate) fn key(r: &Result<impl std::fmt::Debug, StoreError>) -> Option<&'static str> {
    match r {
        Err(StoreError::Invalid { say: Some(say), .. }) => Some(say.key),
        _ => None,
    }
}

pub(crate) fn call(line: &str, outcome: CallOutcome) -> NewCall {
    NewCall {
        line: line.into(),
        received_at: Some(Utc::now() - Duration::hours(1)),
        duration_seconds: 840,
        caller_code: Some("Gül".into()),
        caller_age_band: AgeBand::Adult,
        caller_sex: Some(Sex::Female),
        caller_admin_unit: Some("TM-A-01".parse().unwrap()),
        about: CallAbout::Caller,
        category: CallCategory::ViolenceAtHome,
        screening: RiskScreening {
            immediate_danger: true,
            children_at_risk: true,
            weapons: false,
            previous_incidents: true,
        },
        outcome,
        emergency_consent: false,
        call_back_at: None,
        follows: None,
        summary: Some("Her husband beat her tonight; two children at home".into()),
        incident_on: None,
    }
}

pub(crate) fn consent(purpose: ConsentPurpose, provider: Option<&str>) -> NewConsent {
    NewConsent {
        person: None,
        purpose,
        provider: provider.map(str::to_owned),
        provider_kind: None,
        giver: ConsentGiver::Person,
        method: ConsentMethod::VerbalWitnessed,
        valid_from: None,
        valid_until: None,
    }
}

/// Two lines: NGO-1 with an operator and a supervisor, NGO-2 with another operator.
pub(crate) async fn lines(store: &Store) -> (Principal, Principal, Principal) {
    let op = operator();
    for code in ["NGO-1", "NGO-2"] {
        store
            .add_hotline_line(
                &op,
                NewLine {
                    code: code.into(),
                    name: format!("Line {code}"),
                },
            )
            .await
            .unwrap();
    }
    let ops1 = user(store, "ops1", Role::Hotline, "TM").await;
    let ops2 = user(store, "ops2", Role::Hotline, "TM").await;
    let linesup = user(store, "linesup", Role::Supervisor, "TM-A").await;
    for (line, who, role) in [
        ("NGO-1", &ops1, LineRole::Operator),
        ("NGO-1", &linesup, LineRole::Supervisor),
        ("NGO-2", &ops2, LineRole::Operator),
    ] {
        store
            .set_line_member(
                &op,
                line,
                NewLineMember {
                    user: who.user_id.unwrap(),
                    line_role: role,
                },
            )
            .await
            .unwrap();
    }
    (ops1, ops2, linesup)
}

goldaw_store::each_backend! {
    async fn a_lines_calls_are_its_staffs_and_its_supervisors_see_the_call_backs_due(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let (ops1, ops2, linesup) = lines(&store).await;
        let worker = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;

        // Refused as given, nothing written.
        let no_time = store.log_call(&ops1, call("NGO-1", CallOutcome::CallBackAgreed)).await;
        assert_eq!(key(&no_time), Some("hotline-call-back-needs-time"), "{b}");
        let no_consent = store.log_call(&ops1, call("NGO-1", CallOutcome::PassedToPolice)).await;
        assert_eq!(key(&no_consent), Some("hotline-emergency-needs-consent"), "{b}");
        assert!(store.line_calls(&ops1, "NGO-1").await.unwrap().is_empty(), "{b}");

        let first = store
            .log_call(&ops1, NewCall {
                call_back_at: Some(Utc::now() - Duration::minutes(10)),
                ..call("NGO-1", CallOutcome::CallBackAgreed)
            })
            .await
            .unwrap();
        assert!(first.critical && first.screening.immediate_danger, "{b}");
        assert_eq!(first.summary.as_deref(), Some("Her husband beat her tonight; two children at home"));
        let advice = store.log_call(&ops1, NewCall { category: CallCategory::Information, ..call("NGO-1", CallOutcome::Advice) }).await.unwrap();
        assert_eq!(store.line_calls(&ops1, "NGO-1").await.unwrap().len(), 2, "{b}");

        // Another line's operator, a social worker: not theirs.
        assert!(matches!(store.call(&ops2, first.id).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.line_calls(&ops2, "NGO-1").await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.call(&worker, first.id).await, Err(StoreError::Forbidden(_))), "{b}");
        assert!(matches!(store.line_calls(&worker, "NGO-1").await, Err(StoreError::Forbidden(_))), "{b}");
        assert_eq!(store.call(&linesup, advice.id).await.unwrap().outcome, CallOutcome::Advice);

        // The queue of call-backs: the line's supervisors only.
        assert!(matches!(store.call_backs_due(&ops1, "NGO-1", Utc::now()).await, Err(StoreError::Forbidden(_))), "{b}");
        let due = store.call_backs_due(&linesup, "NGO-1", Utc::now()).await.unwrap();
        assert_eq!(due.iter().map(|c| c.id).collect::<Vec<_>>(), vec![first.id], "{b}");

        // A follow-up from another line is refused; from the line it clears the queue.
        let other = store.log_call(&ops2, NewCall { follows: Some(first.id), ..call("NGO-2", CallOutcome::Advice) }).await;
        assert_eq!(key(&other), Some("hotline-follow-up-other-line"), "{b}");
        let follow = store
            .log_call(&ops1, NewCall { follows: Some(first.id), received_at: None, ..call("NGO-1", CallOutcome::Advice) })
            .await
            .unwrap();
        assert_eq!(follow.follows, Some(first.id));
        assert!(store.call_backs_due(&linesup, "NGO-1", Utc::now()).await.unwrap().is_empty(), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn consent_governs_the_survivors_referral_disclosures_and_the_providers_view(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let (ops1, _, _) = lines(&store).await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let ngo = user(&store, "ngo", Role::Provider, "provider:PR-NGO").await;
        let provider = store
            .create_provider(&ministry, NewProvider {
                external_id: "PR-NGO".into(),
                name: "Women's centre".into(),
                kind: ProviderKind::Ngo,
                admin_unit: Some("TM-A-01".parse().unwrap()),
            })
            .await
            .unwrap();
        let offer = store
            .set_offer(&ministry, provider.id, OfferRequest {
                service_code: "S01".parse().unwrap(),
                admin_unit: "TM-A-01".parse().unwrap(),
                places: Some(5),
                service_point: None,
                active: true,
                version: None,
            })
            .await
            .unwrap();

        // The call at night, then the case in one step with her consents.
        let c = store.log_call(&ops1, call("NGO-1", CallOutcome::ReferredToEtrap)).await.unwrap();
        let case = store
            .call_to_case(&ops1, c.id, CallToCase {
                admin_unit: "TM-A-01".parse().unwrap(),
                person: None,
                sex: None,
                version: c.version,
                consents: vec![
                    consent(ConsentPurpose::Assessment, None),
                    consent(ConsentPurpose::Referral, Some("PR-NGO")),
                ],
            })
            .await
            .unwrap();
        assert!(case.sensitive, "{b}");
        assert_eq!(case.priority, Some(Priority::Critical), "{b}");
        assert_eq!(case.referral_source, ReferralSource::Hotline);
        assert_eq!(store.call(&ops1, c.id).await.unwrap().case_id, Some(case.id));
        let again = store.call_to_case(&ops1, c.id, CallToCase { admin_unit: "TM-A-01".parse().unwrap(), person: None, sex: None, version: c.version + 1, consents: vec![] }).await;
        assert_eq!(key(&again), Some("hotline-already-a-case"), "{b}");

        // The etrap's team takes it to the holistic assessment.
        let case = store.allocate_case(&sup, case.id, case.version, "aman").await.unwrap();
        let case = store.act_on_case(&sup, case.id, act(CaseAction::StartInitial, case.version)).await.unwrap();
        goldaw_store::testing::assess(&store, &sup, case.id, "initial").await.unwrap();
        let case = store
            .act_on_case(&sup, case.id, ActionRequest { priority: Some(Priority::Support), ..act(CaseAction::CompleteInitial, case.version) })
            .await
            .unwrap();
        assert_eq!(case.status, CaseStatus::HolisticAssessment);
        let person = case.person_id.unwrap();
        let to_ngo = || NewServiceReferral {
            person,
            service_code: "S01".parse().unwrap(),
            provider_service: Some(offer.id),
            recipient: None,
            info: Some("Psychological support; call only on her sister's number".into()),
        };
        let referral = store.refer(&aman, case.id, to_ngo()).await.unwrap();

        // The police: refused for want of consent; an override needs the permission and a reason.
        let police = || NewDisclosure { person: None, purpose: ConsentPurpose::Police, recipient: "Police of etrap A-01".into(), detail: Some("Threats with a knife".into()) };
        assert_eq!(key(&store.disclose(&aman, case.id, police()).await), Some("consent-refused-missing"), "{b}");
        let over = |reason: Option<OverrideReason>, note: Option<&str>| NewOverride { person: None, purpose: ConsentPurpose::Police, provider: None, reason, note: note.map(str::to_owned) };
        assert!(matches!(store.override_consent(&aman, case.id, over(Some(OverrideReason::LifeInDanger), Some("knife"))).await, Err(StoreError::Forbidden(_))), "{b}");
        assert_eq!(key(&store.override_consent(&sup, case.id, over(None, Some("knife"))).await), Some("consent-override-needs-reason"), "{b}");
        assert_eq!(key(&store.override_consent(&sup, case.id, over(Some(OverrideReason::LifeInDanger), None)).await), Some("consent-override-needs-reason"), "{b}");
        assert_eq!(key(&store.disclose(&aman, case.id, police()).await), Some("consent-refused-missing"), "{b}");
        // Later she agrees, and it goes through.
        store.record_consent(&aman, case.id, consent(ConsentPurpose::Police, None)).await.unwrap();
        let shared = store.disclose(&aman, case.id, police()).await.unwrap();
        assert_eq!(shared.basis, "consent");

        // An expired consent to health refuses; a supervisor's override with a reason allows.
        let today = goldaw_core::deadlines::local_date(Utc::now());
        store
            .record_consent(&aman, case.id, NewConsent { valid_from: Some(today - Duration::days(30)), valid_until: Some(today - Duration::days(1)), ..consent(ConsentPurpose::Health, None) })
            .await
            .unwrap();
        let health = NewDisclosure { purpose: ConsentPurpose::Health, recipient: "Etrap hospital".into(), ..police() };
        assert_eq!(key(&store.disclose(&aman, case.id, health.clone()).await), Some("consent-refused-expired"), "{b}");
        store
            .override_consent(&sup, case.id, NewOverride { purpose: ConsentPurpose::Health, ..over(Some(OverrideReason::LifeInDanger), Some("Injuries need treatment tonight")) })
            .await
            .unwrap();
        assert_eq!(store.disclose(&aman, case.id, health).await.unwrap().basis, "override");

        // The provider reads the referral while she consents.
        let seen = store.provider_referral(&ngo, referral.id).await.unwrap();
        assert!(!seen.restricted && !seen.consent_withdrawn, "{b}");
        assert!(seen.info.is_some());

        // She withdraws consent for the NGO: its view closes, it may not act, no new referral.
        let all = store.case_consents(&aman, case.id).await.unwrap();
        assert!(all.governed);
        let ngo_consent = all.consents.iter().find(|c| c.provider.as_deref() == Some("PR-NGO")).unwrap();
        assert!(ngo_consent.in_force);
        let stale = store.withdraw_consent(&aman, case.id, ngo_consent.id, Withdrawal { version: ngo_consent.version + 1 }).await;
        assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{b}");
        let gone = store.withdraw_consent(&aman, case.id, ngo_consent.id, Withdrawal { version: ngo_consent.version }).await.unwrap();
        assert!(gone.withdrawn_at.is_some() && !gone.in_force);
        let closed = store.provider_referral(&ngo, referral.id).await.unwrap();
        assert!(closed.restricted && closed.consent_withdrawn, "{b}");
        assert!(closed.given_name.is_none() && closed.info.is_none() && closed.service_code.is_none(), "{b}");
        let inbox = store.provider_inbox(&ngo, None).await.unwrap();
        assert!(inbox.iter().all(|r| r.consent_withdrawn && r.given_name.is_none()), "{b}");
        let accept = store
            .provider_act(&ngo, referral.id, ProviderAction { action: ProviderActionKind::Accept, version: closed.version, reason: None, note: None, on: None })
            .await;
        assert_eq!(key(&accept), Some("consent-refused-withdrawn"), "{b}");
        assert_eq!(key(&store.refer(&aman, case.id, to_ngo()).await), Some("consent-refused-withdrawn"), "{b}");

        // The case shows it all: consents, the override, the disclosures.
        let all = store.case_consents(&sup, case.id).await.unwrap();
        assert_eq!(all.consents.len(), 4, "{b}");
        assert_eq!(all.overrides.len(), 1, "{b}");
        assert_eq!(all.overrides[0].reason, OverrideReason::LifeInDanger);
        assert_eq!(all.disclosures.len(), 2, "{b}");
    }
}

/// A case from an advice call about violence (sensitive; no danger, so no priority yet),
/// allocated to `worker` by `sup`.
async fn survivor_case(
    store: &Store,
    ops: &Principal,
    sup: &Principal,
    worker: &str,
    consents: Vec<NewConsent>,
) -> goldaw_store::cases::CaseRecord {
    let c = store
        .log_call(
            ops,
            NewCall {
                screening: RiskScreening::default(),
                ..call("NGO-1", CallOutcome::ReferredToEtrap)
            },
        )
        .await
        .unwrap();
    let case = store
        .call_to_case(
            ops,
            c.id,
            CallToCase {
                admin_unit: "TM-A-01".parse().unwrap(),
                person: None,
                sex: None,
                version: c.version,
                consents,
            },
        )
        .await
        .unwrap();
    store
        .allocate_case(sup, case.id, case.version, worker)
        .await
        .unwrap()
}

fn plan(
    revision: i32,
    risk: goldaw_store::safety_plans::RiskLevel,
) -> goldaw_store::safety_plans::NewSafetyPlan {
    goldaw_store::safety_plans::NewSafetyPlan {
        revision,
        risk_level: risk,
        plan: goldaw_store::safety_plans::SafetyPlanParts {
            risks: "He comes home drunk on Fridays".into(),
            safe_contacts: "Her sister Maýsa".into(),
            safe_places: "The neighbour's house".into(),
            code_words: "Bring the blue scarf".into(),
            emergency: "Call 02, then the line; go to the neighbour".into(),
        },
    }
}

goldaw_store::each_backend! {
    async fn a_safety_plan_is_versioned_sealed_and_a_high_risk_takes_the_critical_deadlines(db: TestDb) {
        use goldaw_store::safety_plans::RiskLevel;
        let store = db.open_with_key().await;
        let b = db.backend;
        let (ops1, _, _) = lines(&store).await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let other = user(&store, "other", Role::SocialWorker, "TM-A-02").await;
        let plain = crate::helpers::staff(&store, "plain", Role::SocialWorker, "TM-A-01").await;
        let ngo = user(&store, "ngo", Role::Provider, "provider:PR-NGO").await;
        let case = survivor_case(&store, &ops1, &sup, "aman", vec![]).await;
        assert!(case.sensitive, "{b}");
        assert_eq!(case.priority, None, "{b}");

        // Refused as given or to whom may not: nothing written.
        let mut empty = plan(0, RiskLevel::Medium);
        empty.plan.emergency = "  ".into();
        assert_eq!(key(&store.save_safety_plan(&aman, case.id, empty).await), Some("safety-plan-incomplete"), "{b}");
        assert!(matches!(store.save_safety_plan(&other, case.id, plan(0, RiskLevel::Medium)).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.save_safety_plan(&ngo, case.id, plan(0, RiskLevel::Medium)).await, Err(StoreError::Forbidden(_))), "{b}");
        assert!(matches!(store.save_safety_plan(&ops1, case.id, plan(0, RiskLevel::Medium)).await, Err(StoreError::Forbidden(_))), "{b}");
        assert!(store.safety_plan(&aman, case.id).await.unwrap().current.is_none(), "{b}");

        // The first plan, at a medium risk: the priority stays.
        let first = store.save_safety_plan(&aman, case.id, plan(0, RiskLevel::Medium)).await.unwrap();
        assert_eq!(first.revision, 1, "{b}");
        assert_eq!(store.case(&sup, case.id).await.unwrap().priority, None, "{b}");
        // A save on the revision read before: a conflict, nothing written.
        let stale = store.save_safety_plan(&aman, case.id, plan(0, RiskLevel::High)).await;
        assert!(matches!(stale, Err(StoreError::Conflict { expected: 0, actual: 1 })), "{b}: {stale:?}");
        assert_eq!(store.safety_plan(&aman, case.id).await.unwrap().revisions.len(), 1, "{b}");

        // Reviewed at the next contact: the risk is high, the case takes the critical deadlines.
        let before = store.case(&sup, case.id).await.unwrap();
        let mut reviewed = plan(1, RiskLevel::High);
        reviewed.plan.risks = "He threatened her with a knife".into();
        store.save_safety_plan(&aman, case.id, reviewed).await.unwrap();
        let after = store.case(&sup, case.id).await.unwrap();
        assert_eq!(after.priority, Some(Priority::Critical), "{b}");
        assert_eq!(after.version, before.version + 1, "{b}");
        let history = store.case_events(&sup, case.id).await.unwrap();
        assert!(history.iter().any(|e| e.action == "safety_plan_risk_raised"), "{b}");
        // A stale case version read elsewhere now conflicts: the plan went through the case's guard.
        let act_stale = store.act_on_case(&aman, case.id, act(CaseAction::StartInitial, before.version)).await;
        assert!(matches!(act_stale, Err(StoreError::Conflict { .. })), "{b}");

        let file = store.safety_plan(&sup, case.id).await.unwrap();
        let current = file.current.unwrap();
        assert_eq!((current.revision, current.risk_level), (2, RiskLevel::High), "{b}");
        assert_eq!(current.plan.risks, "He threatened her with a knife");
        assert_eq!(current.plan.code_words, "Bring the blue scarf");
        assert_eq!(file.revisions.iter().map(|r| r.revision).collect::<Vec<_>>(), vec![2, 1], "{b}");
        assert!(file.may_edit, "{b}");
        // Without the sensitive permission the plan is not read at all.
        assert!(matches!(store.safety_plan(&plain, case.id).await, Err(StoreError::Forbidden(_) | StoreError::NotFound)), "{b}");
        // A plan is for a sensitive case.
        let person = crate::helpers::person_in(&store, &sup, "Jeren", "TM-A-01", "").await;
        let ordinary = crate::helpers::case_at(&store, &sup, &aman, person, "TM-A-01", CaseStatus::InitialAssessment).await;
        assert_eq!(key(&store.save_safety_plan(&aman, ordinary.id, plan(0, RiskLevel::Low)).await), Some("safety-plan-not-sensitive"), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn refused_shares_are_audited_and_consent_governs_transfers_and_universal_services(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let (ops1, _, _) = lines(&store).await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let admin = Principal::user(uuid::Uuid::nil(), "admin", Role::Admin, "TM".parse().unwrap(), false);
        let case = survivor_case(&store, &ops1, &sup, "aman", vec![consent(ConsentPurpose::Assessment, None)]).await;
        let case = store.act_on_case(&sup, case.id, act(CaseAction::StartInitial, case.version)).await.unwrap();

        // The police without consent: refused, and the refusal is in the audit trail.
        let police = NewDisclosure { person: None, purpose: ConsentPurpose::Police, recipient: "Police A-01".into(), detail: None };
        assert_eq!(key(&store.disclose(&aman, case.id, police).await), Some("consent-refused-missing"), "{b}");
        let refused = |events: &[goldaw_store::audit::AuditRow], what: &str| {
            events.iter().filter(|e| e.action == "consent.refused" && e.detail.as_deref().is_some_and(|d| d.starts_with(what))).count()
        };
        let q = goldaw_store::audit::AuditQuery { entity_id: Some(case.id.to_string()), limit: 100, ..Default::default() };
        let events = store.audit_events(&admin, &q).await.unwrap();
        assert_eq!(refused(&events, "police"), 1, "{b}");
        assert!(!events.iter().any(|e| e.action == "consent.disclose"), "{b}: the refused act left its own event");

        // A universal service (a state one) needs consent to a referral to the state's services.
        let universal = || NewServiceReferral {
            person: case.person_id.unwrap(),
            service_code: "U_HOUSING".parse().unwrap(),
            provider_service: None,
            recipient: Some("Housing office of etrap A-01".into()),
            info: None,
        };
        assert_eq!(key(&store.refer(&aman, case.id, universal()).await), Some("consent-refused-missing"), "{b}");
        store
            .record_consent(&aman, case.id, NewConsent { provider_kind: Some(ProviderKind::State), ..consent(ConsentPurpose::Referral, None) })
            .await
            .unwrap();
        store.refer(&aman, case.id, universal()).await.unwrap();

        // A transfer to another etrap: refused without consent (nothing changes), allowed with it.
        let case = store.case(&sup, case.id).await.unwrap();
        let transfer = |version| ActionRequest { transfer_to: Some("TM-A-02".parse().unwrap()), ..act(CaseAction::RequestTransfer, version) };
        assert_eq!(key(&store.act_on_case(&sup, case.id, transfer(case.version)).await), Some("consent-refused-missing"), "{b}");
        let unchanged = store.case(&sup, case.id).await.unwrap();
        assert_eq!((unchanged.version, unchanged.transfer_to.clone()), (case.version, None), "{b}");
        store.record_consent(&aman, case.id, consent(ConsentPurpose::Transfer, None)).await.unwrap();
        let moved = store.act_on_case(&sup, case.id, transfer(case.version)).await.unwrap();
        assert_eq!(moved.transfer_to.as_deref(), Some("TM-A-02"), "{b}");

        let events = store.audit_events(&admin, &q).await.unwrap();
        assert_eq!(refused(&events, "referral"), 1, "{b}");
        assert_eq!(refused(&events, "transfer"), 1, "{b}");
    }
}

goldaw_store::each_backend! {
    async fn the_survivors_statistics_count_only_consented_survivors_and_hide_small_counts(db: TestDb) {
        use goldaw_store::gbv_statistics::{GbvDimension, GbvMeasure, GbvQuery, GbvTable};
        let store = db.open_with_key().await;
        let b = db.backend;
        let (ops1, _, _) = lines(&store).await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let planner = Principal::user(uuid::Uuid::nil(), "plan", Role::Planner, "TM".parse().unwrap(), false);
        let open = planner.clone().with_unsuppressed(true);
        let cats = [CallCategory::ViolenceAtHome, CallCategory::ChildAtRisk, CallCategory::Information, CallCategory::ViolenceAtHome];
        let mut calls = Vec::new();
        for i in 0..13 {
            let c = store
                .log_call(&ops1, NewCall { category: cats[i % cats.len()], screening: RiskScreening::default(), ..call("NGO-1", CallOutcome::Advice) })
                .await
                .unwrap();
            calls.push(c);
        }
        // Three survivors from violence calls: one consents to statistics, one withdraws it,
        // one never gives it.
        let stats = || vec![consent(ConsentPurpose::Statistics, None)];
        let mut cases = Vec::new();
        for (i, consents) in [stats(), stats(), vec![]].into_iter().enumerate() {
            let c = &calls[i * 4];
            assert_eq!(c.category, CallCategory::ViolenceAtHome);
            let case = store
                .call_to_case(&ops1, c.id, CallToCase { admin_unit: "TM-A-01".parse().unwrap(), person: None, sex: None, version: c.version, consents })
                .await
                .unwrap();
            cases.push(case);
        }
        let second = store.case_consents(&sup, cases[1].id).await.unwrap();
        let k = second.consents.iter().find(|c| c.purpose == ConsentPurpose::Statistics).unwrap();
        store.withdraw_consent(&sup, cases[1].id, k.id, Withdrawal { version: k.version }).await.unwrap();

        let today = goldaw_core::deadlines::local_date(Utc::now());
        let q = |measure, by: Vec<GbvDimension>| GbvQuery { measure, from: today - Duration::days(40), to: today, by };
        let count = |t: &GbvTable, key: &[Option<&str>]| {
            t.rows.iter().find(|r| r.key.iter().map(|k| k.as_deref()).collect::<Vec<_>>() == key).map(|r| r.count)
        };
        // With the grant: the counts the test computes from the rows it wrote.
        let t = store.gbv_statistics(&open, q(GbvMeasure::Calls, vec![GbvDimension::Category])).await.unwrap();
        assert_eq!(t.threshold, 0, "{b}");
        assert_eq!(count(&t, &[None]), Some(Some(calls.len() as u64)), "{b}");
        for cat in CallCategory::ALL {
            let expected = calls.iter().filter(|c| c.category == *cat).count() as u64;
            assert_eq!(count(&t, &[Some(cat.as_str())]), Some(Some(expected)), "{b}: {cat}");
        }
        let t = store.gbv_statistics(&open, q(GbvMeasure::Survivors, vec![GbvDimension::Category, GbvDimension::Sex])).await.unwrap();
        assert_eq!(count(&t, &[None, None]), Some(Some(1)), "{b}: only the survivor who consents");
        assert_eq!(count(&t, &[Some("violence_at_home"), Some("F")]), Some(Some(1)), "{b}");
        assert_eq!(count(&t, &[Some("child_at_risk"), None]), Some(Some(0)), "{b}");
        let t = store.gbv_statistics(&open, q(GbvMeasure::Calls, vec![GbvDimension::Velayat, GbvDimension::Outcome])).await.unwrap();
        assert_eq!(count(&t, &[Some("TM-A"), Some("advice")]), Some(Some(calls.len() as u64)), "{b}");

        // Without it: the stricter rule hides the small counts and the zeros.
        let t = store.gbv_statistics(&planner, q(GbvMeasure::Calls, vec![GbvDimension::Category])).await.unwrap();
        assert_eq!((t.threshold, t.hides_zeros), (10, true), "{b}");
        for cat in CallCategory::ALL {
            assert_eq!(count(&t, &[Some(cat.as_str())]), Some(None), "{b}: {cat} shown");
        }
        let t = store.gbv_statistics(&planner, q(GbvMeasure::Survivors, vec![GbvDimension::Sex])).await.unwrap();
        assert!(t.rows.iter().all(|r| r.count.is_none()), "{b}: a single survivor is never shown");

        // Who may not, and what is not asked right.
        assert!(matches!(store.gbv_statistics(&ops1, q(GbvMeasure::Calls, vec![])).await, Err(StoreError::Forbidden(_))), "{b}");
        let wrong = store.gbv_statistics(&open, q(GbvMeasure::Survivors, vec![GbvDimension::Line])).await;
        assert_eq!(key(&wrong), Some("gbv-dimension-not-for-measure"), "{b}");
        let backwards = store.gbv_statistics(&open, GbvQuery { from: today, to: today - Duration::days(1), ..q(GbvMeasure::Calls, vec![]) }).await;
        assert_eq!(key(&backwards), Some("gbv-period"), "{b}");
    }
}
