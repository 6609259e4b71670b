//! A referral is decided inside its transaction (issue #17): a case closed or an offer ended
//! after the worker read the case page, or at the same moment as the referral, never gets it;
//! the rule of when a case may refer (`goldaw_core::service_referrals::referral_open`) holds
//! through the store; an action out of order is refused with a translated message. On every
//! backend.

use goldaw_core::access::Scope;
use goldaw_core::codes::{CaseStatus, Priority, ReferralSource, Role};
use goldaw_core::people::PersonData;
use goldaw_core::workflow::{CaseAction, ClosureReason, Refusal};
use goldaw_store::audit::AuditQuery;
use goldaw_store::cases::{ActionRequest, NewReferral};
use goldaw_store::referrals::{
    NewProvider, NewServiceReferral, Offer, OfferRequest, ProviderAction, ProviderActionKind,
    ProviderKind, ReferralStatus,
};
use goldaw_store::testing::databases;
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

async fn user(store: &Store, name: &str, role: Role, scope: &str) -> Principal {
    let scope: Scope = scope.parse().unwrap();
    let rec = store
        .add_user(
            &Principal::system("test"),
            NewUser {
                username: name.into(),
                role,
                scope: scope.clone(),
                sensitive: true,
                unsuppressed: false,
                password: "Köpetdag dagy 2942 m".into(),
            },
        )
        .await
        .unwrap();
    Principal::user(rec.id, name, role, scope, true)
}

fn act(action: CaseAction, version: i32) -> ActionRequest {
    ActionRequest {
        action,
        version,
        priority: None,
        reason: None,
        transfer_to: None,
    }
}

/// A case assigned to "aman" for a new person, moved on to `until` (the initial or the holistic
/// assessment). Returns the case, its version and the person.
async fn case_at(
    store: &Store,
    sup: &Principal,
    name: &str,
    until: CaseStatus,
) -> (Uuid, i32, Uuid) {
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
                referral_source: ReferralSource::Outreach,
                referrer: None,
                concern: Some("Lives alone since the winter".into()),
                provisional_priority: None,
                sensitive: false,
                household_case: false,
            },
        )
        .await
        .unwrap();
    let case = store
        .allocate_case(sup, case.id, case.version, "aman")
        .await
        .unwrap();
    let mut case = store
        .act_on_case(sup, case.id, act(CaseAction::StartInitial, case.version))
        .await
        .unwrap();
    if until == CaseStatus::HolisticAssessment {
        goldaw_store::testing::assess(store, sup, case.id, "initial")
            .await
            .unwrap();
        case = store
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
    }
    assert_eq!(case.status, until);
    (case.id, case.version, person)
}

fn to_offer(person: Uuid, offer: Uuid) -> NewServiceReferral {
    NewServiceReferral {
        person,
        service_code: "S01".parse().unwrap(),
        provider_service: Some(offer),
        recipient: None,
        info: None,
    }
}

fn to_school(person: Uuid) -> NewServiceReferral {
    NewServiceReferral {
        person,
        service_code: "U_EDU".parse().unwrap(),
        provider_service: None,
        recipient: Some("School no. 12".into()),
        info: None,
    }
}

/// The register: one provider with an unlimited offer of S01 for the etrap.
async fn register(store: &Store, ministry: &Principal) -> Offer {
    let provider = store
        .create_provider(
            ministry,
            NewProvider {
                external_id: "PR-YENME".into(),
                name: "Ýeňme".into(),
                kind: ProviderKind::Ngo,
                admin_unit: Some("TM-A-01".parse().unwrap()),
            },
        )
        .await
        .unwrap();
    store
        .set_offer(
            ministry,
            provider.id,
            OfferRequest {
                service_code: "S01".parse().unwrap(),
                admin_unit: "TM-A-01".parse().unwrap(),
                places: None,
                service_point: None,
                active: true,
                version: None,
            },
        )
        .await
        .unwrap()
}

/// Ends the offer (the register's keeper unticks "Active").
async fn end_offer(
    store: &Store,
    ministry: &Principal,
    offer: &Offer,
) -> Result<Offer, StoreError> {
    store
        .set_offer(
            ministry,
            offer.provider_id,
            OfferRequest {
                service_code: "S01".parse().unwrap(),
                admin_unit: "TM-A-01".parse().unwrap(),
                places: None,
                service_point: None,
                active: false,
                version: Some(offer.version),
            },
        )
        .await
}

/// The sequence number of the newest audit event of `action` on `entity`.
async fn seq_of(store: &Store, admin: &Principal, entity: Uuid, action: &str) -> Option<i64> {
    store
        .audit_events(
            admin,
            &AuditQuery {
                actor: None,
                entity_id: Some(entity.to_string()),
                from: None,
                to: None,
                limit: 1_000,
            },
        )
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == action)
        .map(|e| e.seq)
}

#[tokio::test]
async fn the_rule_of_when_a_case_may_refer_holds_through_the_store() {
    for db in databases().await {
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let yenme = user(&store, "yenme", Role::Provider, "provider:PR-YENME").await;
        let offer = register(&store, &ministry).await;

        // At the initial assessment: a universal service yes, a specialized one not yet.
        let (case, _, person) = case_at(&store, &sup, "Jeren", CaseStatus::InitialAssessment).await;
        let school = store.refer(&aman, case, to_school(person)).await;
        assert!(
            matches!(&school, Ok(r) if r.status == ReferralStatus::Sent),
            "{b}: {school:?}"
        );
        let specialized = store.refer(&aman, case, to_offer(person, offer.id)).await;
        assert!(
            matches!(
                specialized,
                Err(StoreError::Refused(Refusal::ReferralNotNow {
                    status: CaseStatus::InitialAssessment
                }))
            ),
            "{b}: {specialized:?}"
        );

        // From the holistic assessment on: both.
        let (case, _, person) =
            case_at(&store, &sup, "Maral", CaseStatus::HolisticAssessment).await;
        store.refer(&aman, case, to_school(person)).await.unwrap();
        let sent = store
            .refer(&aman, case, to_offer(person, offer.id))
            .await
            .unwrap();

        // The provider's action out of order: refused, with the key the pages translate.
        let early = store
            .provider_act(
                &yenme,
                sent.id,
                ProviderAction {
                    action: ProviderActionKind::Start,
                    version: sent.version,
                    reason: None,
                    note: None,
                    on: None,
                },
            )
            .await;
        match &early {
            Err(StoreError::Invalid {
                field,
                message,
                say: Some(say),
            }) => {
                assert_eq!(field, "action", "{b}");
                assert_eq!(
                    message,
                    "“Start the service” is not possible while the referral is “Sent”: open it again to see what changed.",
                    "{b}"
                );
                assert_eq!(say.key, "store-referral-out-of-order", "{b}");
            }
            other => panic!("{b}: {other:?}"),
        }
    }
}

/// The message of the out-of-order refusal, and the names of its terms, are in the three
/// languages (the web's scan sees the key's literal; the terms come from core).
#[test]
fn the_out_of_order_refusal_is_translated() {
    use goldaw_core::service_referrals::{ReferralAction, ReferralStatus};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../goldaw-web/i18n");
    for lang in ["en", "ru", "tk"] {
        let mut text = String::new();
        for file in ["store.ftl", "cases.ftl"] {
            text.push_str(&std::fs::read_to_string(dir.join(lang).join(file)).unwrap());
        }
        let has = |key: &str| text.lines().any(|l| l.starts_with(&format!("{key} =")));
        assert!(has("store-referral-out-of-order"), "{lang}");
        for a in ReferralAction::ALL {
            assert!(has(a.key()), "{lang}: {}", a.key());
        }
        for s in ReferralStatus::ALL {
            assert!(has(&s.key()), "{lang}: {}", s.key());
        }
    }
}

/// The worker read the case page (the case open, the offer active); then the case was closed or
/// the offer ended; then the worker sends the referral: refused.
#[tokio::test]
async fn a_case_closed_or_an_offer_ended_after_the_page_was_read_gets_no_referral() {
    for db in databases().await {
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let offer = register(&store, &ministry).await;

        let (case, version, person) =
            case_at(&store, &sup, "Jeren", CaseStatus::HolisticAssessment).await;
        let page = store.case(&aman, case).await.unwrap();
        assert_eq!(page.status, CaseStatus::HolisticAssessment);
        let asked = store
            .act_on_case(
                &aman,
                case,
                ActionRequest {
                    reason: Some(ClosureReason::MovedAway),
                    ..act(CaseAction::RequestClosure, version)
                },
            )
            .await
            .unwrap();
        let closed = store
            .act_on_case(&sup, case, act(CaseAction::ApproveClosure, asked.version))
            .await
            .unwrap();
        assert_eq!(closed.status, CaseStatus::Closed);
        for new in [to_offer(person, offer.id), to_school(person)] {
            let late = store.refer(&aman, case, new).await;
            assert!(
                matches!(
                    late,
                    Err(StoreError::Refused(Refusal::ReferralNotNow {
                        status: CaseStatus::Closed
                    }))
                ),
                "{b}: {late:?}"
            );
        }

        let (case, _, person) =
            case_at(&store, &sup, "Maral", CaseStatus::HolisticAssessment).await;
        let choices = store
            .offers_for(&aman, &"S01".parse().unwrap(), &"TM-A-01".parse().unwrap())
            .await
            .unwrap();
        assert!(choices.iter().any(|o| o.id == offer.id), "{b}");
        end_offer(&store, &ministry, &offer).await.unwrap();
        let late = store.refer(&aman, case, to_offer(person, offer.id)).await;
        assert!(
            matches!(&late, Err(StoreError::Invalid { field, .. }) if field == "provider_service"),
            "{b}: {late:?}"
        );
        assert!(
            store.case_referrals(&aman, case).await.unwrap().is_empty(),
            "{b}"
        );
    }
}

/// The referral and the close (or the end of the offer) at the same moment: whichever commits
/// first, never a referral committed after the case closed or the offer ended. The audit log's
/// order is the commit order (every write appends its event under the same lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_referral_racing_a_close_or_the_end_of_its_offer_never_lands_after_it() {
    const ROUNDS: usize = 6;
    for db in databases().await {
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let admin = user(&store, "adm", Role::Admin, "TM").await;
        let offer = register(&store, &ministry).await;

        for round in 0..ROUNDS {
            // A close racing the referral.
            let (case, version, person) = case_at(
                &store,
                &sup,
                &format!("Jeren{round}"),
                CaseStatus::HolisticAssessment,
            )
            .await;
            let asked = store
                .act_on_case(
                    &aman,
                    case,
                    ActionRequest {
                        reason: Some(ClosureReason::MovedAway),
                        ..act(CaseAction::RequestClosure, version)
                    },
                )
                .await
                .unwrap();
            let (s1, s2) = (store.clone(), store.clone());
            let (a, s) = (aman.clone(), sup.clone());
            let refer =
                tokio::spawn(async move { s1.refer(&a, case, to_offer(person, offer.id)).await });
            let close = tokio::spawn(async move {
                s2.act_on_case(&s, case, act(CaseAction::ApproveClosure, asked.version))
                    .await
            });
            let (referred, closed) = (refer.await.unwrap(), close.await.unwrap());
            let closed = closed.unwrap_or_else(|e| panic!("{b}: the close is never refused: {e}"));
            assert_eq!(closed.status, CaseStatus::Closed, "{b}");
            match referred {
                Ok(r) => {
                    let sent = seq_of(&store, &admin, r.id, "referral.send").await.unwrap();
                    let close = seq_of(&store, &admin, case, "case.action").await.unwrap();
                    assert!(
                        sent < close,
                        "{b}: a referral committed after the close ({sent} > {close})"
                    );
                }
                Err(e) => assert!(
                    matches!(
                        e,
                        StoreError::Refused(Refusal::ReferralNotNow {
                            status: CaseStatus::Closed
                        })
                    ),
                    "{b}: {e}"
                ),
            }
        }

        // The end of the offer racing a referral to it.
        let mut offer = offer;
        for round in 0..ROUNDS {
            let (case, _, person) = case_at(
                &store,
                &sup,
                &format!("Maral{round}"),
                CaseStatus::HolisticAssessment,
            )
            .await;
            if !offer.active {
                offer = store
                    .set_offer(
                        &ministry,
                        offer.provider_id,
                        OfferRequest {
                            service_code: "S01".parse().unwrap(),
                            admin_unit: "TM-A-01".parse().unwrap(),
                            places: None,
                            service_point: None,
                            active: true,
                            version: Some(offer.version),
                        },
                    )
                    .await
                    .unwrap();
            }
            let (s1, s2) = (store.clone(), store.clone());
            let (a, m) = (aman.clone(), ministry.clone());
            let current = offer.clone();
            let refer =
                tokio::spawn(async move { s1.refer(&a, case, to_offer(person, current.id)).await });
            let current = offer.clone();
            let end = tokio::spawn(async move { end_offer(&s2, &m, &current).await });
            let (referred, ended) = (refer.await.unwrap(), end.await.unwrap());
            offer = ended.unwrap_or_else(|e| panic!("{b}: ending the offer is never refused: {e}"));
            assert!(!offer.active, "{b}");
            match referred {
                Ok(r) => {
                    let sent = seq_of(&store, &admin, r.id, "referral.send").await.unwrap();
                    let end = seq_of(&store, &admin, offer.provider_id, "provider.offer")
                        .await
                        .unwrap();
                    assert!(
                        sent < end,
                        "{b}: a referral committed after the offer ended ({sent} > {end})"
                    );
                }
                Err(e) => assert!(
                    matches!(&e, StoreError::Invalid { field, .. } if field == "provider_service"),
                    "{b}: {e}"
                ),
            }
        }
    }
}
