//! Providers and referrals to services on every backend: the register with places, a referral
//! accepted, the waiting list, a decline with its reason, a service started, delivered and
//! completed; residential care refused without a legal basis; scope and versions.

use crate::helpers::{holistic_case, sensitive_staff as user};
use goldaw_core::codes::{ReferralSource, Role};
use goldaw_core::workflow::Refusal;
use goldaw_store::referrals::{
    DeclineReason, Delivery, LegalBasisKind, NewLegalBasis, NewProvider, NewServicePoint,
    NewServiceReferral, OfferRequest, ProviderAction, ProviderActionKind, ProviderChange,
    ProviderKind, ReferralStatus, ServicePointChange,
};
use goldaw_store::{Principal, Store, StoreError};
use uuid::Uuid;

const CONCERN: &str = "Her husband threatens her; she has a son of 9";

/// A case in holistic assessment, assigned to `worker`, for a new person.
async fn case_for(
    store: &Store,
    sup: &Principal,
    worker: &str,
    name: &str,
    source: ReferralSource,
) -> (Uuid, Uuid) {
    holistic_case(store, sup, worker, name, source, CONCERN).await
}

fn to_offer(person: Uuid, service: &str, offer: Uuid) -> NewServiceReferral {
    NewServiceReferral {
        person,
        service_code: service.parse().unwrap(),
        provider_service: Some(offer),
        recipient: None,
        info: Some("Uses a wheelchair; prefers mornings".into()),
    }
}

fn pact(action: ProviderActionKind, version: i32) -> ProviderAction {
    ProviderAction {
        action,
        version,
        reason: None,
        note: None,
        on: None,
    }
}

goldaw_store::each_backend! {
    async fn a_referral_is_accepted_waits_is_declined_started_delivered_and_completed(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let other = user(&store, "other", Role::SocialWorker, "TM-A-01").await;
        let yenme = user(&store, "yenme", Role::Provider, "provider:PR-YENME").await;
        let stranger = user(&store, "redc", Role::Provider, "provider:PR-RC").await;

        // The ministry registers the provider with one place for S01 in the etrap.
        assert!(matches!(
            store
                .create_provider(
                    &aman,
                    NewProvider {
                        external_id: "X".into(),
                        name: "X".into(),
                        kind: ProviderKind::Ngo,
                        admin_unit: None
                    }
                )
                .await,
            Err(StoreError::Forbidden(_))
        ));
        let provider = store
            .create_provider(
                &ministry,
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
            .create_provider(
                &ministry,
                NewProvider {
                    external_id: "PR-RC".into(),
                    name: "Red Crescent".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: None,
                },
            )
            .await
            .unwrap();
        let offer = store
            .set_offer(
                &ministry,
                provider.id,
                OfferRequest {
                    service_code: "S01".parse().unwrap(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    places: Some(1),
                    service_point: None,
                    active: true,
                    version: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(offer.free_places, Some(1), "{b}");
        // A stale version of the provider is refused.
        let changed = store
            .update_provider(
                &ministry,
                provider.id,
                ProviderChange {
                    version: provider.version,
                    name: "Ýeňme NGO".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: None,
                    active: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(changed.version, provider.version + 1);
        let stale = store
            .update_provider(
                &ministry,
                provider.id,
                ProviderChange {
                    version: provider.version,
                    name: "again".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: None,
                    active: true,
                },
            )
            .await;
        assert!(
            matches!(stale, Err(StoreError::Conflict { .. })),
            "{b} {stale:?}"
        );

        // Offers are listed for a worker choosing where to refer.
        let offers = store
            .offers_for(&aman, &"S01".parse().unwrap(), &"TM-A-01".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(offers.len(), 1);
        assert!(store
            .offers_for(&aman, &"S01".parse().unwrap(), &"TM-B-01".parse().unwrap())
            .await
            .unwrap()
            .is_empty());

        let (case1, p1) = case_for(&store, &sup, "aman", "Aýna", ReferralSource::Hotline).await;
        let (case2, p2) = case_for(&store, &sup, "aman", "Bägül", ReferralSource::Hotline).await;

        // Only the assigned worker or a supervisor refers.
        let forbidden = store
            .refer(&other, case1, to_offer(p1, "S01", offer.id))
            .await;
        assert!(
            matches!(forbidden, Err(StoreError::Forbidden(_))),
            "{b} {forbidden:?}"
        );

        let r1 = store
            .refer(&aman, case1, to_offer(p1, "S01", offer.id))
            .await
            .unwrap();
        assert_eq!(r1.status, ReferralStatus::Sent);
        let r2 = store
            .refer(&sup, case2, to_offer(p2, "S01", offer.id))
            .await
            .unwrap();

        // The provider's inbox: its own referrals only, with the least fields.
        let inbox = store.provider_inbox(&yenme, None).await.unwrap();
        assert_eq!(inbox.len(), 2, "{b}");
        assert!(store
            .provider_inbox(&stranger, None)
            .await
            .unwrap()
            .is_empty());
        let seen = store.provider_referral(&yenme, r1.id).await.unwrap();
        assert_eq!(seen.given_name.as_deref(), Some("Aýna"));
        assert_eq!(seen.birth_year, Some(1990));
        assert_eq!(seen.referring_unit.as_deref(), Some("TM-A-01"));
        assert_eq!(
            seen.info.as_deref(),
            Some("Uses a wheelchair; prefers mornings")
        );
        let shown = serde_json::to_string(&seen).unwrap();
        assert!(
            !shown.contains("husband"),
            "the concern never reaches the provider: {shown}"
        );
        assert!(!shown.contains("Annaýewa"), "nor the family name: {shown}");
        // Another organisation: as if the referral did not exist.
        assert!(matches!(
            store.provider_referral(&stranger, r1.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store
                .provider_act(
                    &stranger,
                    r1.id,
                    pact(ProviderActionKind::Accept, seen.version)
                )
                .await,
            Err(StoreError::NotFound)
        ));
        // A worker is not a provider.
        assert!(matches!(
            store.provider_referral(&aman, r1.id).await,
            Err(StoreError::Forbidden(_))
        ));

        // One place: the first is accepted, the second goes to the waiting list.
        let a1 = store
            .provider_act(
                &yenme,
                r1.id,
                pact(ProviderActionKind::Accept, seen.version),
            )
            .await
            .unwrap();
        assert_eq!(a1.status, ReferralStatus::Accepted, "{b}");
        // A stale version is refused.
        let stale = store
            .provider_act(&yenme, r1.id, pact(ProviderActionKind::Start, seen.version))
            .await;
        assert!(
            matches!(stale, Err(StoreError::Conflict { .. })),
            "{b} {stale:?}"
        );
        let a2 = store
            .provider_act(&yenme, r2.id, pact(ProviderActionKind::Accept, r2.version))
            .await
            .unwrap();
        assert_eq!(a2.status, ReferralStatus::Waiting, "{b}");
        let offers = store
            .offers_for(&aman, &"S01".parse().unwrap(), &"TM-A-01".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(offers[0].free_places, Some(0));
        assert_eq!(offers[0].waiting, 1);
        // The waiting list heads the inbox.
        let inbox = store.provider_inbox(&yenme, None).await.unwrap();
        assert_eq!(inbox[0].id, r2.id);

        // Declining needs a reason; the worker sees it.
        let no_reason = store
            .provider_act(&yenme, r2.id, pact(ProviderActionKind::Decline, a2.version))
            .await;
        assert!(matches!(no_reason, Err(StoreError::Invalid { .. })));
        let d2 = store
            .provider_act(
                &yenme,
                r2.id,
                ProviderAction {
                    reason: Some(DeclineReason::NoCapacity),
                    note: Some("Full until spring".into()),
                    ..pact(ProviderActionKind::Decline, a2.version)
                },
            )
            .await
            .unwrap();
        assert_eq!(d2.status, ReferralStatus::Declined);
        let listed = store.case_referrals(&aman, case2).await.unwrap();
        assert_eq!(listed[0].status, ReferralStatus::Declined);
        assert_eq!(listed[0].decision_reason, Some(DeclineReason::NoCapacity));
        assert_eq!(listed[0].provider_external_id.as_deref(), Some("PR-YENME"));

        // Start, deliver 3 units, complete.
        let s1 = store
            .provider_act(&yenme, r1.id, pact(ProviderActionKind::Start, a1.version))
            .await
            .unwrap();
        assert_eq!(s1.status, ReferralStatus::Started);
        assert_eq!(s1.units, Some(0));
        let del = store
            .record_delivery(
                &yenme,
                r1.id,
                Delivery {
                    units: 3,
                    delivered_on: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(del.units, Some(3), "{b}");
        let c1 = store
            .provider_act(
                &yenme,
                r1.id,
                pact(ProviderActionKind::Complete, del.version),
            )
            .await
            .unwrap();
        assert_eq!(c1.status, ReferralStatus::Completed);
        assert!(c1.ended_on.is_some());
        let listed = store.case_referrals(&aman, case1).await.unwrap();
        assert_eq!(listed[0].units, Some(3));
        assert_eq!(listed[0].status, ReferralStatus::Completed);
        // The episode carries the readable id "<case number>/<service>/<n>".
        let case = store.case(&aman, case1).await.unwrap();
        let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
        assert_eq!(case.number, format!("A-01/{year}/0001"));

        // The worker cancels an open referral with its version; a stale one is refused.
        let r3 = store
            .refer(&aman, case2, to_offer(p2, "S01", offer.id))
            .await
            .unwrap();
        let stale = store.cancel_referral(&aman, r3.id, r3.version + 1).await;
        assert!(matches!(stale, Err(StoreError::Conflict { .. })));
        let cancelled = store
            .cancel_referral(&aman, r3.id, r3.version)
            .await
            .unwrap();
        assert_eq!(cancelled.status, ReferralStatus::Cancelled);
        assert!(matches!(
            store.cancel_referral(&aman, r3.id, cancelled.version).await,
            Err(StoreError::Invalid { .. })
        ));

        // A universal service names its recipient instead of a provider.
        let u = store
            .refer(
                &aman,
                case1,
                NewServiceReferral {
                    person: p1,
                    service_code: "U_EMPLOY".parse().unwrap(),
                    provider_service: None,
                    recipient: Some("Employment office of the etrap".into()),
                    info: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            u.recipient.as_deref(),
            Some("Employment office of the etrap")
        );
        assert!(u.provider_external_id.is_none());
    }
}

goldaw_store::each_backend! {
    async fn residential_care_needs_a_court_order_or_a_ministry_referral(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let home = store
            .create_provider(
                &ministry,
                NewProvider {
                    external_id: "PR-HOME".into(),
                    name: "Residential home".into(),
                    kind: ProviderKind::State,
                    admin_unit: None,
                },
            )
            .await
            .unwrap();
        let offer = store
            .set_offer(
                &ministry,
                home.id,
                OfferRequest {
                    service_code: "RES_CARE".parse().unwrap(),
                    admin_unit: "TM-A".parse().unwrap(),
                    places: None,
                    service_point: None,
                    active: true,
                    version: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(offer.free_places, None);

        let (case, person) = case_for(&store, &sup, "aman", "Jeren", ReferralSource::Hotline).await;
        let refused = store
            .refer(&aman, case, to_offer(person, "RES_CARE", offer.id))
            .await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Refused(Refusal::ResidentialNeedsLegalBasis))
            ),
            "{b} {refused:?}"
        );
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("court order"), "{message}");

        // Only a supervisor records the legal basis.
        let basis = NewLegalBasis {
            kind: LegalBasisKind::CourtOrder,
            reference: "No. 118/2026".into(),
            issued_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
            issued_by: "Court of the etrap".into(),
        };
        assert!(matches!(
            store.record_legal_basis(&aman, case, basis.clone()).await,
            Err(StoreError::Forbidden(_))
        ));
        let recorded = store.record_legal_basis(&sup, case, basis).await.unwrap();
        let sent = store
            .refer(&aman, case, to_offer(person, "RES_CARE", offer.id))
            .await
            .unwrap();
        assert_eq!(sent.legal_basis_id, Some(recorded.id), "{b}");

        // A case referred by a court needs nothing more.
        let (court_case, court_person) =
            case_for(&store, &sup, "aman", "Maral", ReferralSource::Court).await;
        let sent = store
            .refer(
                &aman,
                court_case,
                to_offer(court_person, "RES_CARE", offer.id),
            )
            .await
            .unwrap();
        assert_eq!(sent.status, ReferralStatus::Sent);
        assert_eq!(sent.legal_basis_id, None);

        // A crisis shelter is secondary: no legal basis needed (no offer here: invalid, not refused).
        let shelter = store
            .refer(&aman, case, to_offer(person, "S11", offer.id))
            .await;
        assert!(
            matches!(shelter, Err(StoreError::Invalid { .. })),
            "{shelter:?}"
        );
    }
}

goldaw_store::each_backend! {
    /// Staff of a provider accept at the same moment for its last places: the places are counted
    /// inside the write, so no more are accepted than there are places, and the rest wait.
    async fn concurrent_accepts_never_take_more_places_than_there_are(db: TestDb) {
        const PLACES: i32 = 2;
        const REFERRALS: usize = 6;
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let yenme = user(&store, "yenme", Role::Provider, "provider:PR-YENME").await;
        let provider = store
            .create_provider(
                &ministry,
                NewProvider {
                    external_id: "PR-YENME".into(),
                    name: "Ýeňme".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: Some("TM-A-01".parse().unwrap()),
                },
            )
            .await
            .unwrap();
        let offer = store
            .set_offer(
                &ministry,
                provider.id,
                OfferRequest {
                    service_code: "S01".parse().unwrap(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    places: Some(PLACES),
                    service_point: None,
                    active: true,
                    version: None,
                },
            )
            .await
            .unwrap();
        let mut referrals = Vec::new();
        for i in 0..REFERRALS {
            let (case, person) = case_for(
                &store,
                &sup,
                "aman",
                &format!("Aýna{i}"),
                ReferralSource::SelfReferral,
            )
            .await;
            referrals.push(
                store
                    .refer(&sup, case, to_offer(person, "S01", offer.id))
                    .await
                    .unwrap(),
            );
        }
        let accepts = referrals.iter().map(|r| {
            let (store, yenme) = (&store, &yenme);
            async move {
                store
                    .provider_act(yenme, r.id, pact(ProviderActionKind::Accept, r.version))
                    .await
            }
        });
        let outcomes = futures::future::join_all(accepts).await;
        let mut accepted = 0;
        for outcome in outcomes {
            match outcome.unwrap().status {
                ReferralStatus::Accepted => accepted += 1,
                ReferralStatus::Waiting => {}
                other => panic!("{b}: unexpected {other:?}"),
            }
        }
        assert_eq!(accepted, PLACES, "{b}: exactly the places are taken");
        let now = store.offer(&ministry, offer.id).await.unwrap();
        assert_eq!(now.free_places, Some(0), "{b}");
        assert_eq!(now.waiting, (REFERRALS - PLACES as usize) as i64, "{b}");
    }
}

goldaw_store::each_backend! {
    async fn a_service_point_is_changed_and_ends_only_when_no_active_offer_is_delivered_there(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let worker = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let provider = store
            .create_provider(
                &ministry,
                NewProvider {
                    external_id: "PR-NUR".into(),
                    name: "Nur".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: Some("TM-A-01".parse().unwrap()),
                },
            )
            .await
            .unwrap();
        let provider = store
            .add_service_point(
                &ministry,
                provider.id,
                NewServicePoint {
                    name: "Day centre".into(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    address: Some("Magtymguly köçesi 12".into()),
                },
            )
            .await
            .unwrap();
        let point = provider.service_points[0].id;
        let offer = store
            .set_offer(
                &ministry,
                provider.id,
                OfferRequest {
                    service_code: "S01".parse().unwrap(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    places: Some(4),
                    service_point: Some(point),
                    active: true,
                    version: None,
                },
            )
            .await
            .unwrap();
        let change = |version: i32, active: bool| ServicePointChange {
            version,
            name: "Day centre Nur".into(),
            admin_unit: "TM-A-02".parse().unwrap(),
            address: Some("Bitarap Türkmenistan şaýoly 5".into()),
            active,
        };

        // Moved and renamed: the provider's version moves on, so a second change from the
        // same reading is a conflict, not a silent overwrite.
        let changed = store
            .update_service_point(
                &ministry,
                provider.id,
                point,
                change(provider.version, true),
            )
            .await
            .unwrap();
        assert_eq!(changed.version, provider.version + 1, "{b}");
        let p = &changed.service_points[0];
        assert_eq!(
            (
                p.name.as_str(),
                p.admin_unit.as_str(),
                p.address.as_deref(),
                p.active
            ),
            (
                "Day centre Nur",
                "TM-A-02",
                Some("Bitarap Türkmenistan şaýoly 5"),
                true
            ),
            "{b}"
        );
        let stale = store
            .update_service_point(
                &ministry,
                provider.id,
                point,
                change(provider.version, true),
            )
            .await
            .unwrap_err();
        assert!(matches!(stale, StoreError::Conflict { .. }), "{b}: {stale}");

        // It cannot end while an active offer is delivered there; the refusal names the offer.
        let refused = store
            .update_service_point(
                &ministry,
                provider.id,
                point,
                change(changed.version, false),
            )
            .await
            .unwrap_err();
        match &refused {
            StoreError::Invalid { field, message, .. } => {
                assert_eq!(field, "active", "{b}");
                assert!(message.contains("S01 in TM-A-01"), "{b}: {message}");
            }
            other => panic!("{b}: {other}"),
        }
        assert!(
            store
                .provider(&ministry, provider.id)
                .await
                .unwrap()
                .service_points[0]
                .active,
            "{b}: unchanged after the refusal"
        );

        // The offer ends, then the point can; an ended point takes no new active offer.
        store
            .set_offer(
                &ministry,
                provider.id,
                OfferRequest {
                    service_code: "S01".parse().unwrap(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    places: Some(4),
                    service_point: Some(point),
                    active: false,
                    version: Some(offer.version),
                },
            )
            .await
            .unwrap();
        let ended = store
            .update_service_point(
                &ministry,
                provider.id,
                point,
                change(changed.version, false),
            )
            .await
            .unwrap();
        assert!(!ended.service_points[0].active, "{b}");
        let reopened_offer = store
            .set_offer(
                &ministry,
                provider.id,
                OfferRequest {
                    service_code: "S02".parse().unwrap(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    places: None,
                    service_point: Some(point),
                    active: true,
                    version: None,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&reopened_offer, StoreError::Invalid { field, .. } if field == "service_point"),
            "{b}: {reopened_offer}"
        );

        // Only those who keep the register; a point of another provider is not found.
        let e = store
            .update_service_point(&worker, provider.id, point, change(ended.version, true))
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Forbidden(_)), "{b}: {e}");
        let e = store
            .update_service_point(
                &ministry,
                provider.id,
                Uuid::now_v7(),
                change(ended.version, true),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound), "{b}: {e}");
        store.close().await;
    }
}

goldaw_store::each_backend! {
    async fn an_offer_set_while_its_point_ends_never_leaves_an_active_offer_at_an_ended_point(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let mut provider = store
            .create_provider(
                &ministry,
                NewProvider {
                    external_id: "PR-RACE".into(),
                    name: "Bagtyýar".into(),
                    kind: ProviderKind::Ngo,
                    admin_unit: Some("TM-A-01".parse().unwrap()),
                },
            )
            .await
            .unwrap();
        // One round per service: a new point, then ending it and offering there at once.
        for (round, service) in [
            "S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09",
        ]
        .into_iter()
        .enumerate()
        {
            provider = store
                .add_service_point(
                    &ministry,
                    provider.id,
                    NewServicePoint {
                        name: format!("Point {round}"),
                        admin_unit: "TM-A-01".parse().unwrap(),
                        address: None,
                    },
                )
                .await
                .unwrap();
            let point = provider.service_points.last().unwrap();
            let (point_id, version) = (point.id, provider.version);
            let end = store.update_service_point(
                &ministry,
                provider.id,
                point_id,
                ServicePointChange {
                    version,
                    name: format!("Point {round}"),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    address: None,
                    active: false,
                },
            );
            let offer = store.set_offer(
                &ministry,
                provider.id,
                OfferRequest {
                    service_code: service.parse().unwrap(),
                    admin_unit: "TM-A-01".parse().unwrap(),
                    places: Some(3),
                    service_point: Some(point_id),
                    active: true,
                    version: None,
                },
            );
            let (ended, offered) = tokio::join!(end, offer);
            // Whichever went first, the other is refused with its reason; never both.
            match (&ended, &offered) {
                (Ok(_), Err(StoreError::Invalid { field, .. })) => {
                    assert_eq!(field, "service_point", "{b} round {round}")
                }
                (Err(StoreError::Invalid { field, .. }), Ok(_)) => {
                    assert_eq!(field, "active", "{b} round {round}")
                }
                other => panic!("{b} round {round}: {other:?}"),
            }
            provider = store.provider(&ministry, provider.id).await.unwrap();
            let point_active = provider
                .service_points
                .iter()
                .find(|p| p.id == point_id)
                .unwrap()
                .active;
            let active_offer_there = offered.as_ref().is_ok_and(|o| o.active);
            assert!(
                point_active || !active_offer_there,
                "{b} round {round}: an active offer at an ended point"
            );
        }
        store.close().await;
    }
}
