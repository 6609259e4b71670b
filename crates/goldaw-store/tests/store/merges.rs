//! Merging duplicate people on every backend: what moves, what the kept record takes, how the
//! merged record answers afterwards, and every refusal leaving both records as they were.

use crate::helpers::{person, staff as user};
use goldaw_core::codes::{Priority, ReferralSource, Role};
use goldaw_core::merges::MergeRefusal;
use goldaw_core::people::PersonData;
use goldaw_core::workflow::{CaseAction, Refusal};
use goldaw_store::cases::{ActionRequest, NewReferral};
use goldaw_store::merges::MergeRequest;
use goldaw_store::people::PersonQuery;
use goldaw_store::referrals::NewServiceReferral;
use goldaw_store::{Principal, Store, StoreError};
use serde_json::{json, Value};
use uuid::Uuid;

async fn case_of(store: &Store, person: Uuid, unit: &str) -> Uuid {
    store
        .register_referral(
            &Principal::system("test"),
            NewReferral {
                person,
                admin_unit: unit.parse().unwrap(),
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
        .id
}

async fn version(store: &Store, id: Uuid) -> i32 {
    let (v,): (i32,) = raw(store, "SELECT version FROM persons WHERE id = $1", id).await;
    v
}

/// One row of a raw query with one uuid parameter (reads what the store does not show).
async fn raw<T>(store: &Store, sql: &str, id: Uuid) -> T
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    use sqlx::Connection;
    match store.url() {
        goldaw_store::DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_as(sql)
                .bind(id)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
        goldaw_store::DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(sql)
                .bind(id)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
    }
}

fn request(merged: Uuid, kept_version: i32, merged_version: i32) -> MergeRequest {
    MergeRequest {
        merged,
        kept_version,
        merged_version,
    }
}

goldaw_store::each_backend! {
    async fn a_duplicate_moves_into_the_kept_record_with_its_history(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let op = Principal::system("test");
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        store
            .create_household(
                &op,
                Some("H-ORAZ".parse().unwrap()),
                serde_json::from_value(json!({"admin_unit": "TM-A-01"})).unwrap(),
            )
            .await
            .unwrap();
        // Registered at the hotline alone, without a birth date; and from the benefit list, in
        // her household, with a birth date and a target group.
        let kept = person(&store, json!({"given_name": "Aýna", "family_name": "Orazowa", "sex": "F", "admin_unit": "TM-A-01"})).await;
        let dup = person(&store, json!({"given_name": "Ayna", "family_name": "Orazova", "sex": "F", "birth_date": "1990-04-02",
            "admin_unit": "TM-A-01", "household_id": "H-ORAZ", "relationship": "spouse", "target_groups": ["chronic_illness"]})).await;
        let case = case_of(&store, dup, "TM-A-01").await;
        let c = store.case(&op, case).await.unwrap();
        let c = store
            .allocate_case(&sup, case, c.version, "aman")
            .await
            .unwrap();
        let act = |action, version, priority| ActionRequest {
            action,
            version,
            priority,
            reason: None,
            transfer_to: None,
        };
        let c = store
            .act_on_case(&aman, case, act(CaseAction::StartInitial, c.version, None))
            .await
            .unwrap();
        // Screening concludes the initial assessment of the duplicate record.
        let initial = goldaw_store::testing::assess(&store, &aman, case, "initial")
            .await
            .unwrap();
        store
            .act_on_case(
                &aman,
                case,
                act(
                    CaseAction::CompleteInitial,
                    c.version,
                    Some(Priority::Support),
                ),
            )
            .await
            .unwrap();
        let referral = store
            .refer(
                &aman,
                case,
                NewServiceReferral {
                    person: dup,
                    service_code: "U_BENEFIT".parse().unwrap(),
                    provider_service: None,
                    recipient: Some("Etrap benefits office".into()),
                    info: None,
                },
            )
            .await
            .unwrap();
        let (episode,): (Uuid,) = raw(
            &store,
            "SELECT id FROM service_episodes WHERE person_id = $1",
            dup,
        )
        .await;

        let merge = store
            .merge_persons(
                &sup,
                kept,
                request(dup, version(&store, kept).await, version(&store, dup).await),
            )
            .await
            .unwrap();
        let m = &merge.moved;
        assert_eq!(m.cases, [case], "{b}");
        assert_eq!(m.service_episodes, [episode], "{b}");
        assert_eq!(m.referrals, [referral.id], "{b}");
        assert_eq!(m.assessment_items.len(), initial.answers.len(), "{b}");
        assert!(m
            .assessment_items
            .iter()
            .all(|i| i.assessment == initial.id));
        assert_eq!(m.birth_date_filled, Some("1990-04-02".parse().unwrap()));
        assert_eq!(m.target_groups_added, ["chronic_illness"]);
        let household = m.household.as_ref().expect("she joins her household");
        assert_eq!(household.relationship_before, None);

        // The kept record now has her birth date, household and target group.
        let now = store.person(&sup, kept).await.unwrap();
        assert_eq!(now.data.birth_date, Some("1990-04-02".parse().unwrap()));
        assert_eq!(now.data.household_id.as_ref().unwrap().as_str(), "H-ORAZ");
        assert_eq!(now.data.target_groups.to_field(), "chronic_illness");
        // The case, its episode and its referral are hers under the kept record.
        assert_eq!(store.case(&sup, case).await.unwrap().person_id, Some(kept));
        let (owner,): (Uuid,) = raw(
            &store,
            "SELECT person_id FROM service_referrals WHERE id = $1",
            referral.id,
        )
        .await;
        assert_eq!(owner, kept);
        let events = store.case_events(&sup, case).await.unwrap();
        assert!(
            events.iter().any(|e| e.action == "person_merged"
                && e.detail.as_deref() == Some(format!("merge {}", merge.id).as_str())),
            "{b}: {events:?}"
        );

        // The merged record: not found by search, duplicate checks or household lists; read by
        // id it answers with the kept one; it cannot be changed or merged again.
        let found = store
            .search_persons(
                &sup,
                &PersonQuery {
                    name: Some("orazov".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            found.iter().map(|p| p.id).collect::<Vec<_>>(),
            [kept],
            "{b}"
        );
        let candidates = store
            .likely_duplicates(
                &sup,
                &"TM-A-01".parse().unwrap(),
                "Ayna",
                Some("Orazova"),
                Some("1990-04-02".parse().unwrap()),
            )
            .await
            .unwrap();
        assert!(candidates.iter().all(|c| c.person != dup), "{candidates:?}");
        assert_eq!(store.person(&sup, dup).await.unwrap().id, kept);
        let members = store
            .household(&sup, household.to)
            .await
            .unwrap()
            .members
            .into_iter()
            .map(|m| m.id)
            .collect::<Vec<_>>();
        assert_eq!(members, [kept], "{b}");
        let data: PersonData = serde_json::from_value(
            json!({"given_name": "Ayna", "sex": "F", "admin_unit": "TM-A-01"}),
        )
        .unwrap();
        let r = store
            .update_person(&sup, dup, version(&store, dup).await, data)
            .await;
        assert!(
            matches!(
                r,
                Err(StoreError::Refused(Refusal::Merge(
                    MergeRefusal::AlreadyMerged
                )))
            ),
            "{r:?}"
        );
        let r = store
            .merge_persons(
                &sup,
                kept,
                request(dup, version(&store, kept).await, version(&store, dup).await),
            )
            .await;
        assert!(
            matches!(
                r,
                Err(StoreError::Refused(Refusal::Merge(
                    MergeRefusal::AlreadyMerged
                )))
            ),
            "{r:?}"
        );

        // What moved is recorded, for the audit and for an undo.
        let (merged_into,): (Option<Uuid>,) =
            raw(&store, "SELECT merged_into FROM persons WHERE id = $1", dup).await;
        assert_eq!(merged_into, Some(kept));
        let (actor, moved): (String, String) = raw(
            &store,
            "SELECT actor, moved FROM person_merges WHERE id = $1",
            merge.id,
        )
        .await;
        assert_eq!(actor, "sup");
        let moved: Value = serde_json::from_str(&moved).unwrap();
        assert_eq!(moved["cases"], json!([case]));
        assert_eq!(moved["service_episodes"], json!([episode]));
        let audit = store
            .audit_events(
                &Principal::user(Uuid::nil(), "a", Role::Admin, "TM".parse().unwrap(), false),
                &goldaw_store::audit::AuditQuery {
                    actor: Some("sup".into()),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(audit.iter().any(|e| e.action == "person.merge"
            && e.entity_id.as_deref() == Some(kept.to_string().as_str())
            && e.detail
                .as_deref()
                .unwrap_or_default()
                .contains(&dup.to_string())));
    }
}

goldaw_store::each_backend! {
    async fn merges_that_a_person_must_resolve_or_may_not_make_are_refused_and_change_nothing(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let op = Principal::system("test");
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let worker = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let far = user(&store, "far", Role::Supervisor, "TM-B").await;
        let admin = user(&store, "root", Role::Admin, "TM").await;
        for (id, unit) in [("H-1", "TM-A-01"), ("H-2", "TM-A-01")] {
            store
                .create_household(
                    &op,
                    Some(id.parse().unwrap()),
                    serde_json::from_value(json!({"admin_unit": unit})).unwrap(),
                )
                .await
                .unwrap();
        }
        let p = |extra: Value| {
            let mut data = json!({"given_name": "Merjen", "sex": "F", "admin_unit": "TM-A-01"});
            data.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            person(&store, data)
        };
        let kept = p(json!({"birth_date": "2001-09-01", "household_id": "H-1"})).await;
        let other_date = p(json!({"birth_date": "2001-01-09"})).await;
        let male = p(json!({"sex": "M"})).await;
        let other_household = p(json!({"household_id": "H-2"})).await;
        let fine = p(json!({})).await;
        // A duplicate whose case lies in another etrap, outside the supervisor's scope.
        let elsewhere = p(json!({})).await;
        case_of(&store, elsewhere, "TM-A-02").await;

        let refused = |r: Result<_, StoreError>, want: MergeRefusal| match r {
            Err(StoreError::Refused(Refusal::Merge(got))) => assert_eq!(got, want, "{b}"),
            other => panic!("{b}: expected {want:?}, got {other:?}"),
        };
        let kv = version(&store, kept).await;
        for (dup, want) in [
            (kept, MergeRefusal::SamePerson),
            (other_date, MergeRefusal::BirthDatesDiffer),
            (male, MergeRefusal::SexDiffers),
            (other_household, MergeRefusal::HouseholdsDiffer),
        ] {
            let dv = version(&store, dup).await;
            refused(
                store.merge_persons(&sup, kept, request(dup, kv, dv)).await,
                want,
            );
        }
        // A stale version of either record.
        let fv = version(&store, fine).await;
        let r = store
            .merge_persons(&sup, kept, request(fine, kv - 1, fv))
            .await;
        assert!(matches!(r, Err(StoreError::Conflict { .. })), "{b}: {r:?}");
        let r = store
            .merge_persons(&sup, kept, request(fine, kv, fv + 1))
            .await;
        assert!(matches!(r, Err(StoreError::Conflict { .. })), "{b}: {r:?}");
        // Not a supervisor; not in scope; a case the supervisor cannot see.
        for who in [&worker, &admin] {
            let r = store.merge_persons(who, kept, request(fine, kv, fv)).await;
            assert!(matches!(r, Err(StoreError::Forbidden(_))), "{b}: {r:?}");
        }
        let r = store.merge_persons(&far, kept, request(fine, kv, fv)).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{b}: {r:?}");
        let ev = version(&store, elsewhere).await;
        let r = store
            .merge_persons(&sup, kept, request(elsewhere, kv, ev))
            .await;
        match r {
            Err(StoreError::Forbidden(m)) => assert!(m.contains("outside your scope"), "{m}"),
            other => panic!("{b}: {other:?}"),
        }
        // Nothing changed by any of it.
        assert_eq!(version(&store, kept).await, kv, "{b}");
        assert_eq!(version(&store, elsewhere).await, ev, "{b}");
        let (merges,): (i64,) = raw(
            &store,
            "SELECT COUNT(*) FROM person_merges WHERE kept_id = $1",
            kept,
        )
        .await;
        assert_eq!(merges, 0);
        // The preview says why before anyone confirms.
        let preview = store.merge_preview(&sup, kept, male).await.unwrap();
        assert_eq!(preview.refusal, Some(MergeRefusal::SexDiffers));
        assert_eq!(preview.kept.id, kept);
        assert_eq!(preview.merged.id, male);
        // And the one that may be merged is.
        let done = store
            .merge_persons(&sup, kept, request(fine, kv, fv))
            .await
            .unwrap();
        assert!(done.moved.cases.is_empty());
        assert_eq!(version(&store, kept).await, kv + 1);
        // Into a record that was merged away: refused.
        let nv = version(&store, other_date).await;
        refused(
            store
                .merge_persons(&sup, fine, request(other_date, fv + 1, nv))
                .await,
            MergeRefusal::AlreadyMerged,
        );
    }
}
