//! Issue #23, open doors: the public directory (places as a band, search by place and need), the
//! public's request for help (an intake referral; the limits), and partner agencies (their
//! referrals through the intake, the status mapped, the outcome only with consent, nothing of
//! anyone else's: not found).

use crate::helpers::{act, operator, staff};
use goldaw_core::codes::{CaseStatus, ReferralSource, Role};
use goldaw_core::directory::PlacesBand;
use goldaw_core::partners::{PartnerKind, PartnerStatus};
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::CaseQuery;
use goldaw_store::directory::{EntryChange, PublicSwitches};
use goldaw_store::partners::{FeedbackChange, NewPartner, PartnerReferralInput};
use goldaw_store::public_requests::{Limited, PublicRequest, RequestLimits};
use goldaw_store::referrals::{NewProvider, OfferRequest, ProviderKind};
use goldaw_store::{Principal, Store, StoreError};

fn no_names(_: &str) -> String {
    String::new()
}

fn request(unit: &str) -> PublicRequest {
    PublicRequest {
        for_someone_else: false,
        given_name: "Maral".into(),
        family_name: "".into(),
        sex: "F".into(),
        admin_unit: unit.into(),
        concern: "My son of 6 has cerebral palsy; we need day care so that I can work.".into(),
        contact: "+993 65 000000, after 18:00".into(),
        consent: true,
        service_code: Some("S05".into()),
    }
}

async fn intake_count(store: &Store, sup: &Principal) -> usize {
    store
        .list_cases(
            sup,
            &CaseQuery {
                status: Some(CaseStatus::Referred),
                limit: 200,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .len()
}

fn pupil(name: &str) -> PartnerReferralInput {
    PartnerReferralInput {
        given_name: name.into(),
        family_name: Some("Orazowa".into()),
        sex: "F".into(),
        birth_date: Some("2015-03-01".parse().unwrap()),
        admin_unit: None,
        concern: "Absent for three weeks; the family has no income.".into(),
        contact: Some("Class teacher, +993 12 000000".into()),
        their_reference: Some("SCH-12/44".into()),
        sensitive: false,
    }
}

goldaw_store::each_backend! {
    async fn the_directory_shows_places_as_a_band_and_finds_by_place_and_need(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let op = operator();
        let provider = store.create_provider(&op, NewProvider {
            external_id: "PR1".into(), name: "Ýeňme Merkezi".into(), kind: ProviderKind::Ngo, admin_unit: None,
        }).await.unwrap();
        let offer = store.set_offer(&op, provider.id, OfferRequest {
            service_code: "S05".parse().unwrap(), admin_unit: "TM-A-05".parse().unwrap(),
            places: Some(3), service_point: None, active: true, version: None,
        }).await.unwrap();
        let elsewhere = store.set_offer(&op, provider.id, OfferRequest {
            service_code: "S05".parse().unwrap(), admin_unit: "TM-L-02".parse().unwrap(),
            places: Some(40), service_point: None, active: true, version: None,
        }).await.unwrap();
        let place = "TM-A-05".parse().unwrap();
        let names = |code: &str| if code == "S05" { "Day care for children with disabilities".to_owned() } else { String::new() };
        let found = store.directory(Some(&place), "day care child disability", &names).await.unwrap();
        assert_eq!(found.len(), 1, "{b}");
        assert_eq!(found[0].id, offer.id, "{b}");
        assert_eq!(found[0].places, PlacesBand::Few, "{b}: 3 places are 'a few', never 3");
        assert!(store.directory(Some(&place), "shelter", &names).await.unwrap().is_empty(), "{b}");
        let all = store.directory(None, "", &no_names).await.unwrap();
        assert_eq!(all.len(), 2, "{b}");
        assert_eq!(all.iter().find(|e| e.id == elsewhere.id).unwrap().places, PlacesBand::Many, "{b}");

        // The ministry's description; unpublished, the offer is gone from the public directory.
        let ministry = staff(&store, "min", Role::Ministry, "TM").await;
        store.set_directory_entry(&ministry, offer.id, EntryChange {
            version: 0, description_en: "Weekdays 8 to 17, with transport.".into(), published: true, ..Default::default()
        }).await.unwrap();
        let e = store.directory_entry(offer.id).await.unwrap().unwrap();
        assert_eq!(e.description("en"), "Weekdays 8 to 17, with transport.", "{b}");
        assert_eq!(e.description("tk"), "Weekdays 8 to 17, with transport.", "{b}: falls back to a written one");
        // A stale version is a conflict; a worker may not edit it.
        let stale = store.set_directory_entry(&ministry, offer.id, EntryChange { version: 0, published: false, ..Default::default() }).await;
        assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{b}: {stale:?}");
        let worker = staff(&store, "aman", Role::SocialWorker, "TM-A-05").await;
        let refused = store.set_directory_entry(&worker, offer.id, EntryChange { version: 1, ..Default::default() }).await;
        assert!(matches!(refused, Err(StoreError::Forbidden(_))), "{b}: {refused:?}");
        store.set_directory_entry(&ministry, offer.id, EntryChange { version: 1, published: false, ..Default::default() }).await.unwrap();
        assert!(store.directory_entry(offer.id).await.unwrap().is_none(), "{b}");

        // The switches: admins only; absent is on.
        assert!(store.public_switches().await.unwrap().directory, "{b}");
        let off = PublicSwitches { directory: false, requests: false, form_min_seconds: 0, per_address_per_hour: 3, global_per_hour: 200, retention_days: 90 };
        assert!(store.set_public_switches(&ministry, off).await.is_err(), "{b}");
        let admin = staff(&store, "root", Role::Admin, "TM").await;
        store.set_public_switches(&admin, off).await.unwrap();
        assert_eq!(store.public_switches().await.unwrap(), off, "{b}");
    }

    async fn a_public_request_becomes_an_intake_referral_within_its_limits(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-05").await;
        let limits = RequestLimits { per_address_per_hour: 2, global_per_hour: 3, ..RequestLimits::default() };
        let receipt = store.submit_public_request("192.0.2.7", request("TM-A-05"), limits).await.unwrap().unwrap();
        assert!(receipt.reference.starts_with("H-"), "{b}");
        let case = store.case(&sup, receipt.case_id).await.unwrap();
        assert_eq!(case.status, CaseStatus::Referred, "{b}");
        assert_eq!(case.referral_source, ReferralSource::SelfReferral, "{b}");
        assert_eq!(case.admin_unit, "TM-A-05", "{b}");
        assert!(case.concern.as_deref().unwrap().contains("cerebral palsy"), "{b}");
        assert_eq!(intake_count(&store, &sup).await, 1, "{b}");

        // Someone asking for another: outreach.
        let other = PublicRequest { for_someone_else: true, ..request("TM-A-05") };
        let r2 = store.submit_public_request("192.0.2.7", other, limits).await.unwrap().unwrap();
        assert_eq!(store.case(&sup, r2.case_id).await.unwrap().referral_source, ReferralSource::Outreach, "{b}");

        // The same address again: limited, nothing written.
        let limited = store.submit_public_request("192.0.2.7", request("TM-A-05"), limits).await.unwrap();
        assert_eq!(limited.unwrap_err(), Limited::Address, "{b}");
        // Another address: one more, then everyone is limited.
        store.submit_public_request("192.0.2.8", request("TM-A-05"), limits).await.unwrap().unwrap();
        let limited = store.submit_public_request("192.0.2.9", request("TM-A-05"), limits).await.unwrap();
        assert_eq!(limited.unwrap_err(), Limited::Global, "{b}");
        assert_eq!(intake_count(&store, &sup).await, 3, "{b}");

        // Hostile or missing input: refused by field, nothing written.
        let generous = RequestLimits::default();
        for (bad, field) in [
            (PublicRequest { consent: false, ..request("TM-A-05") }, "consent"),
            (PublicRequest { concern: "x".repeat(2001), ..request("TM-A-05") }, "concern"),
            (PublicRequest { concern: "   ".into(), ..request("TM-A-05") }, "concern"),
            (PublicRequest { contact: "".into(), ..request("TM-A-05") }, "contact"),
            (PublicRequest { given_name: "Ma\u{0}ral".into(), ..request("TM-A-05") }, "given_name"),
            (PublicRequest { sex: "X".into(), ..request("TM-A-05") }, "sex"),
            (PublicRequest { admin_unit: "TM-A".into(), ..request("TM-A") }, "admin_unit"),
            (PublicRequest { admin_unit: "'; DROP TABLE cases; --".into(), ..request("x") }, "admin_unit"),
        ] {
            match store.submit_public_request("192.0.2.50", bad, generous).await {
                Err(StoreError::Invalid { field: f, .. }) => assert_eq!(f, field, "{b}"),
                other => panic!("{b}: {field}: {other:?}"),
            }
        }
        assert_eq!(intake_count(&store, &sup).await, 3, "{b}: nothing written");
    }

    async fn a_school_refers_through_its_key_and_reads_only_its_own_referrals(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let admin = staff(&store, "root", Role::Admin, "TM").await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-05").await;
        let worker = staff(&store, "aman", Role::SocialWorker, "TM-A-05").await;
        let school = store.create_partner(&admin, NewPartner {
            name: "School 12".into(), kind: PartnerKind::School, admin_unit: "TM-A-05".parse().unwrap(),
        }).await.unwrap();
        let other = store.create_partner(&admin, NewPartner {
            name: "School 3".into(), kind: PartnerKind::School, admin_unit: "TM-A-05".parse().unwrap(),
        }).await.unwrap();
        // Only admins keep the register.
        assert!(matches!(store.create_partner(&sup, NewPartner {
            name: "x".into(), kind: PartnerKind::Police, admin_unit: "TM-A-05".parse().unwrap(),
        }).await, Err(StoreError::Forbidden(_))), "{b}");
        let key = store.issue_partner_key(&admin, school.id, "Mrs Orazowa, head teacher").await.unwrap();
        let other_key = store.issue_partner_key(&admin, other.id, "Mr Baýramow").await.unwrap();
        let p = store.principal_for_partner_key(&key, "192.0.2.1").await.unwrap().unwrap();
        let q = store.principal_for_partner_key(&other_key, "192.0.2.2").await.unwrap().unwrap();
        assert!(store.principal_for_partner_key("gpk_nope", "x").await.unwrap().is_none(), "{b}");

        let sent = store.partner_refer(&p, pupil("Jeren")).await.unwrap();
        assert_eq!(sent.status, PartnerStatus::Received, "{b}");
        assert!(sent.reference.starts_with("P-"), "{b}");
        // The etrap has it in its intake queue, source school.
        let queue = store.list_cases(&sup, &CaseQuery { status: Some(CaseStatus::Referred), limit: 50, ..Default::default() }).await.unwrap();
        assert_eq!(queue.len(), 1, "{b}");
        let case = store.case(&sup, queue[0].id).await.unwrap();
        assert_eq!(case.referral_source, ReferralSource::School, "{b}");
        assert!(case.referrer.as_deref().unwrap().starts_with("School 12"), "{b}");

        // The partner reads the case nowhere: as a case reader it is refused.
        assert!(store.case(&p, case.id).await.is_err(), "{b}");
        // Another school: not found, and its own list is empty.
        assert!(matches!(store.partner_referral(&q, sent.id).await, Err(StoreError::NotFound)), "{b}");
        assert!(store.partner_referrals(&q).await.unwrap().is_empty(), "{b}");
        // Staff are not partners.
        assert!(store.partner_referrals(&sup).await.is_err(), "{b}");
        // Outside its area: refused, nothing written.
        let away = PartnerReferralInput { admin_unit: Some("TM-L-02".into()), ..pupil("Aýna") };
        assert!(matches!(store.partner_refer(&p, away).await, Err(StoreError::Invalid { .. })), "{b}");
        assert_eq!(store.partner_referrals(&p).await.unwrap().len(), 1, "{b}");

        // Screening: being assessed.
        let case = store.allocate_case(&sup, case.id, case.version, "aman").await.unwrap();
        let case = store.act_on_case(&worker, case.id, act(CaseAction::StartInitial, case.version)).await.unwrap();
        assert_eq!(store.partner_referral(&p, sent.id).await.unwrap().status, PartnerStatus::BeingAssessed, "{b}");

        // The outcome without the family's agreement: not shown.
        let fb = store.case_partner_referral(&worker, case.id).await.unwrap().unwrap();
        store.record_partner_feedback(&worker, case.id, FeedbackChange {
            version: fb.version, consent: false, outcome: Some("Day care from Monday.".into()),
        }).await.unwrap();
        assert_eq!(store.partner_referral(&p, sent.id).await.unwrap().outcome, None, "{b}");
        // With it: shown.
        store.record_partner_feedback(&worker, case.id, FeedbackChange {
            version: fb.version + 1, consent: true, outcome: Some("Day care from Monday.".into()),
        }).await.unwrap();
        let seen = store.partner_referral(&p, sent.id).await.unwrap();
        assert_eq!(seen.outcome.as_deref(), Some("Day care from Monday."), "{b}");
        // A worker of another etrap: not found; a stale version: conflict.
        let far = staff(&store, "far", Role::SocialWorker, "TM-L-02").await;
        assert!(matches!(store.record_partner_feedback(&far, case.id, FeedbackChange {
            version: fb.version + 2, consent: true, outcome: None,
        }).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.record_partner_feedback(&worker, case.id, FeedbackChange {
            version: fb.version, consent: true, outcome: None,
        }).await, Err(StoreError::Conflict { .. })), "{b}");

        // Revoked keys stop working.
        store.revoke_partner_keys(&admin, school.id).await.unwrap();
        assert!(store.principal_for_partner_key(&key, "x").await.unwrap().is_none(), "{b}");
    }
}
