//! A merge carries the merged record's consents (pentest finding, 2026-12-07): a survivor's
//! withdrawal must keep governing her sharing after her two records become one, and an undo gives
//! her consents back to the record they were given on.

use crate::helpers::{case_at, person, sensitive_staff};
use crate::survivors::{consent, key};
use goldaw_core::codes::{CaseStatus, Role};
use goldaw_store::consent::{ConsentPurpose, NewDisclosure, Withdrawal};
use goldaw_store::merges::{MergeRequest, UndoRequest};
use serde_json::json;

goldaw_store::each_backend! {
    async fn a_withdrawn_consent_still_refuses_after_a_merge_and_goes_back_on_undo(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = sensitive_staff(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = sensitive_staff(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let born = json!({"given_name": "Jeren", "family_name": "Nurowa", "sex": "F", "birth_date": "1991-03-04", "admin_unit": "TM-A-01"});
        let kept = person(&store, born.clone()).await;
        let dup = person(&store, born).await;
        let case = case_at(&store, &sup, &aman, dup, "TM-A-01", CaseStatus::InitialAssessment).await;
        let police = || NewDisclosure {
            person: None,
            purpose: ConsentPurpose::Police,
            recipient: "Police of etrap A-01".into(),
            detail: None,
        };
        // She agreed to the police being told, then withdrew it.
        let given = store.record_consent(&aman, case.id, consent(ConsentPurpose::Police, None)).await.unwrap();
        store.withdraw_consent(&aman, case.id, given.id, Withdrawal { version: given.version }).await.unwrap();
        assert_eq!(key(&store.disclose(&aman, case.id, police()).await), Some("consent-refused-withdrawn"), "{b}");

        let version = |id| {
            let store = &store;
            let sup = &sup;
            async move { store.person(sup, id).await.unwrap().version }
        };
        let merge = store
            .merge_persons(&sup, kept, MergeRequest { merged: dup, kept_version: version(kept).await, merged_version: version(dup).await })
            .await
            .unwrap();
        assert_eq!(merge.moved.consents, [given.id], "{b}");
        // Her case is the kept record's now, and her withdrawal still holds there.
        assert_eq!(store.case(&sup, case.id).await.unwrap().person_id, Some(kept), "{b}");
        assert_eq!(key(&store.disclose(&aman, case.id, police()).await), Some("consent-refused-withdrawn"), "{b}");
        let listed = store.case_consents(&sup, case.id).await.unwrap();
        assert!(listed.governed, "{b}");
        assert_eq!(listed.consents.iter().map(|c| c.id).collect::<Vec<_>>(), [given.id], "{b}");

        // Undone: the consent is the duplicate record's again, with her case.
        store
            .undo_merge(&sup, merge.id, UndoRequest { kept_version: version(kept).await })
            .await
            .unwrap();
        assert_eq!(store.case(&sup, case.id).await.unwrap().person_id, Some(dup), "{b}");
        assert_eq!(key(&store.disclose(&aman, case.id, police()).await), Some("consent-refused-withdrawn"), "{b}");
        let listed = store.case_consents(&sup, case.id).await.unwrap();
        assert_eq!(listed.consents.iter().map(|c| c.person_id).collect::<Vec<_>>(), [dup], "{b}");
    }
}
