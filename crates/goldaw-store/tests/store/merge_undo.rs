//! Undoing a merge of duplicate people on every backend: everything that moved goes back, the
//! kept record gives back what it took, and every refusal (already undone, a later merge still
//! standing, a stale version, a worker, another etrap) leaves both records as they were.

use crate::helpers::{person, staff as user};
use goldaw_core::codes::{ReferralSource, Role};
use goldaw_store::audit::AuditCheck;
use goldaw_store::cases::NewReferral;
use goldaw_store::merges::{MergeRequest, UndoRequest};
use goldaw_store::{Principal, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

async fn version(store: &Store, id: Uuid) -> i32 {
    // Read by the operator: a merged record answers with the kept one, so read the row itself.
    store
        .person(&Principal::system("test"), id)
        .await
        .unwrap()
        .version
}

async fn merge(store: &Store, who: &Principal, kept: Uuid, merged: Uuid) -> Uuid {
    let (kv, mv) = (version(store, kept).await, version(store, merged).await);
    store
        .merge_persons(
            who,
            kept,
            MergeRequest {
                merged,
                kept_version: kv,
                merged_version: mv,
            },
        )
        .await
        .unwrap()
        .id
}

/// Undoes `merge` with the kept record's current version.
async fn undo_now(
    store: &Store,
    who: &Principal,
    merge: Uuid,
    kept: Uuid,
) -> Result<goldaw_store::merges::MergeRecord, StoreError> {
    let kept_version = version(store, kept).await;
    store
        .undo_merge(who, merge, UndoRequest { kept_version })
        .await
}

fn say_key(e: &StoreError) -> Option<&'static str> {
    match e {
        StoreError::Invalid { say, .. } => say.as_ref().map(|s| s.key),
        _ => None,
    }
}

goldaw_store::each_backend! {
    async fn an_undone_merge_gives_each_record_back_what_it_had(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let op = Principal::system("test");
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let elsewhere = user(&store, "merdan", Role::Supervisor, "TM-B-01").await;
        store
            .create_household(
                &op,
                Some("H-ORAZ".parse().unwrap()),
                serde_json::from_value(json!({"admin_unit": "TM-A-01"})).unwrap(),
            )
            .await
            .unwrap();
        // The kept record: alone, no birth date, no target group. The duplicate: in a
        // household, with a birth date, a target group and a case.
        let kept = person(&store, json!({"given_name": "Aýna", "family_name": "Orazowa", "sex": "F", "admin_unit": "TM-A-01"})).await;
        let dup = person(&store, json!({"given_name": "Ayna", "family_name": "Orazova", "sex": "F", "birth_date": "1990-04-02",
            "admin_unit": "TM-A-01", "household_id": "H-ORAZ", "relationship": "spouse", "target_groups": ["chronic_illness"]})).await;
        let case = store
            .register_referral(
                &op,
                NewReferral {
                    person: dup,
                    admin_unit: "TM-A-01".parse().unwrap(),
                    referral_source: ReferralSource::SelfReferral,
                    referrer: None,
                    concern: None,
                    provisional_priority: None,
                    sensitive: false,
                    household_case: false,
                },
            )
            .await
            .unwrap()
            .id;
        let before = store.person(&sup, kept).await.unwrap().data;

        let m = merge(&store, &sup, kept, dup).await;
        let merged_kept = store.person(&sup, kept).await.unwrap();
        assert_eq!(
            merged_kept.data.target_groups.to_field(),
            "chronic_illness",
            "{b}"
        );
        assert_eq!(
            store.case(&op, case).await.unwrap().person_id,
            Some(kept),
            "{b}"
        );

        // Refused: a worker may not; another etrap's supervisor finds no such merge; a stale
        // version of the kept record is a conflict. Nothing changes.
        assert!(
            matches!(
                store
                    .undo_merge(
                        &aman,
                        m,
                        UndoRequest {
                            kept_version: merged_kept.version
                        }
                    )
                    .await,
                Err(StoreError::Forbidden(_))
            ),
            "{b}"
        );
        assert!(
            matches!(
                store
                    .undo_merge(
                        &elsewhere,
                        m,
                        UndoRequest {
                            kept_version: merged_kept.version
                        }
                    )
                    .await,
                Err(StoreError::NotFound)
            ),
            "{b}"
        );
        assert!(
            matches!(
                store
                    .undo_merge(
                        &sup,
                        m,
                        UndoRequest {
                            kept_version: merged_kept.version - 1
                        }
                    )
                    .await,
                Err(StoreError::Conflict { .. })
            ),
            "{b}"
        );
        assert_eq!(
            store.case(&op, case).await.unwrap().person_id,
            Some(kept),
            "{b}: unchanged"
        );

        let undone = store
            .undo_merge(
                &sup,
                m,
                UndoRequest {
                    kept_version: merged_kept.version,
                },
            )
            .await
            .unwrap();
        assert_eq!(undone.undone_by.as_deref(), Some("sup"), "{b}");
        // The duplicate is a record of its own again, with its case; the kept record is as it
        // was before the merge (no birth date, alone, no target group).
        let dup_now = store.person(&sup, dup).await.unwrap();
        assert_eq!(dup_now.id, dup, "{b}: read by its id, it answers as itself");
        assert_eq!(
            dup_now.data.target_groups.to_field(),
            "chronic_illness",
            "{b}"
        );
        assert_eq!(
            store.case(&op, case).await.unwrap().person_id,
            Some(dup),
            "{b}"
        );
        let kept_now = store.person(&sup, kept).await.unwrap().data;
        assert_eq!(kept_now.birth_date, before.birth_date, "{b}");
        assert_eq!(kept_now.household_id, before.household_id, "{b}");
        assert_eq!(kept_now.relationship, before.relationship, "{b}");
        assert_eq!(kept_now.target_groups, before.target_groups, "{b}");
        let record = store.merge_record(&sup, m).await.unwrap();
        assert!(record.undone_at.is_some(), "{b}");
        let history = store.case_events(&sup, case).await.unwrap();
        assert!(
            history.iter().any(|e| e.action == "person_merge_undone"),
            "{b}: {history:?}"
        );

        // Twice: refused with the reason.
        let again = undo_now(&store, &sup, m, kept).await.unwrap_err();
        assert_eq!(
            say_key(&again),
            Some("store-merge-already-undone"),
            "{b}: {again}"
        );

        // Two merges into the kept record: the earlier one cannot be undone while the later
        // one stands.
        let other = person(&store, json!({"given_name": "Aýna", "family_name": "Orazowa", "sex": "F", "admin_unit": "TM-A-01"})).await;
        let first = merge(&store, &sup, kept, dup).await;
        let second = merge(&store, &sup, kept, other).await;
        let refused = undo_now(&store, &sup, first, kept).await.unwrap_err();
        assert_eq!(
            say_key(&refused),
            Some("store-merge-later-merge"),
            "{b}: {refused}"
        );
        undo_now(&store, &sup, second, kept).await.unwrap();
        undo_now(&store, &sup, first, kept).await.unwrap();
        assert_eq!(store.person(&sup, other).await.unwrap().id, other, "{b}");
        assert_eq!(
            store.case(&op, case).await.unwrap().person_id,
            Some(dup),
            "{b}"
        );
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditCheck::Intact { .. }
            ),
            "{b}"
        );
    }
}
