//! When the case page offers a referral to a service (issue #17: the drift between the page and
//! the store, decided): the one rule is `goldaw_core::service_referrals::referral_open`, which the
//! store and the page both ask. A universal service may be referred to from the initial
//! assessment on (WORKFLOW.md: a case screened `none` closes "with advice or a referral to a
//! universal service"), a provider's specialized offer from the holistic assessment on, nothing
//! while the case is only referred.

use crate::common::{allocated_case, TestApp};
use goldaw_core::codes::{CaseStatus, Priority, Role};
use goldaw_core::workflow::CaseAction;
use goldaw_store::cases::ActionRequest;
use goldaw_store::referrals::{NewProvider, OfferRequest, ProviderKind};
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery";

fn act(action: CaseAction, version: i32, priority: Option<Priority>) -> ActionRequest {
    ActionRequest {
        action,
        version,
        priority,
        reason: None,
        transfer_to: None,
    }
}

goldaw_store::each_backend! {
    async fn the_case_page_offers_universal_services_from_the_initial_assessment_and_offers_from_the_holistic(db: TestDb) {
        let b = db.backend;
        let key = goldaw_store::crypto::Secrets::from_key([3u8; 32]);
        let store = Store::open_with_secrets(&db.url, Some(key)).await.unwrap();
        let app = TestApp::spawn(&store).await;
        let op = Principal::system("test");
        let provider = store
            .create_provider(&op, NewProvider {
                external_id: "PR1".into(),
                name: "Ýeňme Merkezi".into(),
                kind: ProviderKind::Ngo,
                admin_unit: None,
            })
            .await
            .unwrap();
        let offer = store
            .set_offer(&op, provider.id, OfferRequest {
                service_code: "S01".parse().unwrap(),
                admin_unit: "TM-A-01".parse().unwrap(),
                places: None,
                service_point: None,
                active: true,
                version: None,
            })
            .await
            .unwrap();
        app.account("aman", Role::SocialWorker, "TM-A-01", PASSWORD).await;
        let aman = format!("{}; goldaw_lang=en", app.sign_in("aman", PASSWORD).await);
        let case = allocated_case(&store, "TM-A-01", "aman").await;
        let path = format!("/cases/{}", case.id);
        let offered = |page: &str| {
            (
                page.contains("value=\"service:U_"),
                page.contains(&format!("value=\"offer:{}\"", offer.id)),
            )
        };

        // Referred: nothing to refer to yet.
        let (status, page) = app.page(&aman, &path).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(offered(&page), (false, false), "{b}: referred");
        assert!(!page.contains("id=\"refer-target\""), "{b}: no referral form while referred");

        // Initial assessment: the universal services, not the provider's offer.
        let c = store
            .act_on_case(&op, case.id, act(CaseAction::StartInitial, case.version, None))
            .await
            .unwrap();
        assert_eq!(c.status, CaseStatus::InitialAssessment);
        let (_, page) = app.page(&aman, &path).await;
        assert_eq!(offered(&page), (true, false), "{b}: initial assessment");

        // Holistic assessment: both.
        goldaw_store::testing::assess(&store, &op, case.id, "initial").await.unwrap();
        let c = store
            .act_on_case(&op, case.id, act(CaseAction::CompleteInitial, c.version, Some(Priority::Support)))
            .await
            .unwrap();
        assert_eq!(c.status, CaseStatus::HolisticAssessment, "{b}");
        let (_, page) = app.page(&aman, &path).await;
        assert_eq!(offered(&page), (true, true), "{b}: holistic assessment");
    }
}
