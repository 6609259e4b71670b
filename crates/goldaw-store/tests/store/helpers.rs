//! The store tests' world: accounts by role, a person, a case at a given status, so that a new
//! test needs a few lines of set-up. Each backend's fresh database comes from
//! `goldaw_store::each_backend!` (or `goldaw_store::testing::databases`).

use goldaw_core::access::Scope;
use goldaw_core::codes::{CaseStatus, Priority, ReferralSource, Role};
use goldaw_core::people::PersonData;
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::{ActionRequest, CaseRecord, NewReferral};
use goldaw_store::testing::assess;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use serde_json::{json, Value};
use uuid::Uuid;

/// The password of every account [`account`] makes.
pub const PASSWORD: &str = "Köpetdag dagy 2942 m";

/// The operator on the server, as tests set things up.
pub fn operator() -> Principal {
    Principal::system("test")
}

/// A new account made by the operator, and its principal (signed in from nowhere).
pub async fn account(
    store: &Store,
    name: &str,
    role: Role,
    scope: &str,
    sensitive: bool,
    unsuppressed: bool,
) -> Principal {
    let scope: Scope = scope.parse().unwrap();
    let rec = store
        .add_user(
            &operator(),
            NewUser {
                username: name.into(),
                role,
                scope: scope.clone(),
                sensitive,
                unsuppressed,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    Principal::user(rec.id, name, role, scope, sensitive).with_unsuppressed(unsuppressed)
}

/// An account with `role` in `scope` (a unit code or `provider:ID`), without the unsuppressed grant.
pub async fn user(
    store: &Store,
    name: &str,
    role: Role,
    scope: &str,
    sensitive: bool,
) -> Principal {
    account(store, name, role, scope, sensitive, false).await
}

/// An account that may not see sensitive records.
pub async fn staff(store: &Store, name: &str, role: Role, scope: &str) -> Principal {
    user(store, name, role, scope, false).await
}

/// An account that may see sensitive records.
pub async fn sensitive_staff(store: &Store, name: &str, role: Role, scope: &str) -> Principal {
    user(store, name, role, scope, true).await
}

/// A case action at `version`, with no priority, reason or transfer.
pub fn act(action: CaseAction, version: i32) -> ActionRequest {
    ActionRequest {
        action,
        version,
        priority: None,
        reason: None,
        transfer_to: None,
    }
}

/// A person registered by the operator from JSON fields (`PersonData`'s).
pub async fn person(store: &Store, data: Value) -> Uuid {
    let data: PersonData = serde_json::from_value(data).unwrap();
    store
        .create_person(&operator(), None, data)
        .await
        .unwrap()
        .id
}

/// A woman named `name` of `unit`, in the target groups `groups` (`;`-separated), registered by `who`.
pub async fn person_in(
    store: &Store,
    who: &Principal,
    name: &str,
    unit: &str,
    groups: &str,
) -> Uuid {
    let data: PersonData = serde_json::from_value(json!({
        "given_name": name, "family_name": "Annaýewa", "sex": "F", "birth_date": "1990-04-02",
        "admin_unit": unit, "target_groups": groups.split(';').filter(|g| !g.is_empty()).collect::<Vec<_>>()
    }))
    .unwrap();
    store.create_person(who, None, data).await.unwrap().id
}

/// A hotline referral of `person` to `unit` (not sensitive, critical).
pub fn referral(person: Uuid, unit: &str) -> NewReferral {
    NewReferral {
        person,
        admin_unit: unit.parse().unwrap(),
        referral_source: ReferralSource::Hotline,
        referrer: Some("Hotline operator 7".into()),
        concern: Some("Her husband threatens her; she has a son of 9".into()),
        provisional_priority: Some(Priority::Critical),
        sensitive: false,
        household_case: false,
    }
}

/// A case of `person` in `unit` registered by `sup` and, past `referred`, allocated to `worker`
/// and taken by them to `status` (up to `support_plan`, with the initial and holistic assessments
/// done and priority `support`).
pub async fn case_at(
    store: &Store,
    sup: &Principal,
    worker: &Principal,
    person: Uuid,
    unit: &str,
    status: CaseStatus,
) -> CaseRecord {
    let mut case = store
        .register_referral(sup, referral(person, unit))
        .await
        .unwrap();
    if status == CaseStatus::Referred {
        return case;
    }
    case = store
        .allocate_case(sup, case.id, case.version, &worker.actor)
        .await
        .unwrap();
    let steps = [
        (
            CaseAction::StartInitial,
            None,
            None,
            CaseStatus::InitialAssessment,
        ),
        (
            CaseAction::CompleteInitial,
            Some(Priority::Support),
            Some("initial"),
            CaseStatus::HolisticAssessment,
        ),
        (
            CaseAction::CompleteHolistic,
            None,
            Some("holistic_adult"),
            CaseStatus::SupportPlan,
        ),
    ];
    for (action, priority, instrument, reached) in steps {
        if let Some(code) = instrument {
            assess(store, worker, case.id, code).await.unwrap();
        }
        let request = ActionRequest {
            priority,
            ..act(action, case.version)
        };
        case = store.act_on_case(worker, case.id, request).await.unwrap();
        if reached == status {
            return case;
        }
    }
    panic!("case_at: {status:?} needs a plan approved; add its steps here")
}

/// A case in holistic assessment, assigned to `worker`, for a new person in TM-A-01 (screened
/// `support`), registered from `source` with `concern`.
pub async fn holistic_case(
    store: &Store,
    sup: &Principal,
    worker: &str,
    name: &str,
    source: ReferralSource,
    concern: &str,
) -> (Uuid, Uuid) {
    let data: PersonData = serde_json::from_value(json!({
        "given_name": name, "family_name": "Annaýewa", "sex": "F", "birth_date": "1990-04-02",
        "admin_unit": "TM-A-01", "target_groups": []
    }))
    .unwrap();
    let person = store.create_person(sup, None, data).await.unwrap().id;
    let case = store
        .register_referral(
            sup,
            NewReferral {
                person,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: source,
                referrer: None,
                concern: Some(concern.into()),
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            },
        )
        .await
        .unwrap();
    let case = store
        .allocate_case(sup, case.id, case.version, worker)
        .await
        .unwrap();
    let case = store
        .act_on_case(sup, case.id, act(CaseAction::StartInitial, case.version))
        .await
        .unwrap();
    goldaw_store::testing::assess(store, sup, case.id, "initial")
        .await
        .unwrap();
    let case = store
        .act_on_case(
            sup,
            case.id,
            ActionRequest {
                priority: Some(Priority::Support),
                ..act(CaseAction::CompleteInitial, case.version)
            },
        )
        .await
        .unwrap();
    assert_eq!(case.status, CaseStatus::HolisticAssessment);
    (case.id, person)
}
