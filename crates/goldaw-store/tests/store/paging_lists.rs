//! Issue #24, the remaining lists, on every backend: the provider's inbox, a case's referrals and
//! the accounts, a page at a time (every row once through the pages, in the list's order; another
//! scope sees nothing; a damaged cursor refused); the inbox's consent for a whole page agrees with
//! the rule asked one referral at a time; the audit log checked from the last checkpoint still
//! finds a changed event.

use crate::helpers::{holistic_case, operator, sensitive_staff as user};
use goldaw_core::codes::{ReferralSource, Role};
use goldaw_store::audit::{AuditCheck, AuditEvent};
use goldaw_store::consent::{ConsentGiver, ConsentMethod, ConsentPurpose, NewConsent, Withdrawal};
use goldaw_store::provider_inbox::InboxQuery;
use goldaw_store::referrals::{
    DeclineReason, NewProvider, NewServiceReferral, OfferRequest, ProviderAction,
    ProviderActionKind, ProviderKind, ReferralStatus,
};
use goldaw_store::testing::TestDb;
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use std::collections::HashSet;
use uuid::Uuid;

fn damaged<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(&r, Err(StoreError::Invalid { say: Some(say), .. }) if say.key == "store-page-link-damaged")
}

async fn case_for(store: &Store, sup: &Principal, name: &str) -> (Uuid, Uuid) {
    holistic_case(
        store,
        sup,
        "aman",
        name,
        ReferralSource::School,
        "Needs day care",
    )
    .await
}

fn consent(provider: Option<&str>, kind: Option<ProviderKind>) -> NewConsent {
    NewConsent {
        person: None,
        purpose: ConsentPurpose::Referral,
        provider: provider.map(str::to_owned),
        provider_kind: kind,
        giver: ConsentGiver::Person,
        method: ConsentMethod::Signed,
        valid_from: None,
        valid_until: None,
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

async fn provider(store: &Store, ministry: &Principal, ext: &str, places: i32) -> Uuid {
    let p = store
        .create_provider(
            ministry,
            NewProvider {
                external_id: ext.into(),
                name: format!("Provider {ext}"),
                kind: ProviderKind::Ngo,
                admin_unit: Some("TM-A-01".parse().unwrap()),
            },
        )
        .await
        .unwrap();
    store
        .set_offer(
            ministry,
            p.id,
            OfferRequest {
                service_code: "S01".parse().unwrap(),
                admin_unit: "TM-A-01".parse().unwrap(),
                places: Some(places),
                service_point: None,
                active: true,
                version: None,
            },
        )
        .await
        .unwrap()
        .id
}

goldaw_store::each_backend! {
    async fn the_inbox_and_a_cases_referrals_page_every_row_once_and_the_pages_consent_agrees(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let ministry = user(&store, "min", Role::Ministry, "TM").await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let far = user(&store, "far", Role::SocialWorker, "TM-B-01").await;
        let yenme = user(&store, "yenme", Role::Provider, "provider:PR-Y").await;
        let other = user(&store, "other", Role::Provider, "provider:PR-Z").await;
        let offer = provider(&store, &ministry, "PR-Y", 2).await;
        let other_offer = provider(&store, &ministry, "PR-Z", 5).await;

        // Four people: A under no consent record (3 referrals), B whose consent is withdrawn
        // (2), C who consented to another provider only (1), D to every NGO (1).
        let mut refs = Vec::new();
        let mut cases = Vec::new();
        for (name, n) in [("Aýna", 3), ("Bägül", 2), ("Jeren", 1), ("Dünýä", 1)] {
            let (case, person) = case_for(&store, &sup, name).await;
            if name == "Bägül" {
                store.record_consent(&aman, case, consent(Some("PR-Y"), None)).await.unwrap();
            }
            for _ in 0..n {
                let r = store
                    .refer(&aman, case, NewServiceReferral {
                        person,
                        service_code: "S01".parse().unwrap(),
                        provider_service: Some(offer),
                        recipient: None,
                        info: Some("Mornings".into()),
                    })
                    .await
                    .unwrap();
                refs.push((name, r.id, r.version));
            }
            cases.push((name, case, person));
        }
        // One referral to the other organisation: never in PR-Y's inbox.
        let (_, a_case, a_person) = cases[0];
        let theirs = store
            .refer(&aman, a_case, NewServiceReferral {
                person: a_person,
                service_code: "S01".parse().unwrap(),
                provider_service: Some(other_offer),
                recipient: None,
                info: None,
            })
            .await
            .unwrap();
        // Consents after the referrals were made.
        let consents = store.case_consents(&aman, cases[1].1).await.unwrap();
        let c = &consents.consents[0];
        store.withdraw_consent(&aman, cases[1].1, c.id, Withdrawal { version: c.version }).await.unwrap();
        store.record_consent(&aman, cases[2].1, consent(Some("PR-Z"), None)).await.unwrap();
        store.record_consent(&aman, cases[3].1, consent(None, Some(ProviderKind::Ngo))).await.unwrap();

        // Statuses: two accepted (two places), the third accepted goes to the waiting list, one
        // declined, the rest new. A's referrals are refs 0..3.
        let ids: Vec<Uuid> = refs.iter().map(|r| r.1).collect();
        store.provider_act(&yenme, ids[0], pact(ProviderActionKind::Accept, refs[0].2)).await.unwrap();
        store.provider_act(&yenme, ids[1], pact(ProviderActionKind::Accept, refs[1].2)).await.unwrap();
        let w = store.provider_act(&yenme, ids[2], pact(ProviderActionKind::Accept, refs[2].2)).await.unwrap();
        assert_eq!(w.status, ReferralStatus::Waiting, "{b}");
        let d = store.provider_act(&yenme, ids[6], ProviderAction {
            reason: Some(DeclineReason::Other),
            ..pact(ProviderActionKind::Decline, refs[6].2)
        }).await;
        // D's referral is open to PR-Y (consent to every NGO): the decline goes through.
        assert!(d.is_ok(), "{b} {d:?}");

        // Every referral once through pages of two, in the inbox's order.
        let mut seen = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = store
                .provider_inbox_page(&yenme, &InboxQuery { status: None, after: after.clone(), limit: Some(2) })
                .await
                .unwrap();
            assert!(page.items.len() <= 2, "{b}");
            assert_eq!((page.open.shown, page.open.more), (6, false), "{b}: 1 waiting, 3 new, 2 accepted");
            seen.extend(page.items);
            pages += 1;
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
            assert!(pages < 10, "{b}: the pages do not end");
        }
        let seen_ids: Vec<Uuid> = seen.iter().map(|r| r.id).collect();
        assert_eq!(seen_ids.len(), 7, "{b}: {seen_ids:?}");
        assert_eq!(seen_ids.iter().collect::<HashSet<_>>().len(), 7, "{b}: a referral twice");
        assert!(!seen_ids.contains(&theirs.id), "{b}");
        assert_eq!(pages, 4, "{b}");
        // The order: waiting, new (by date sent), accepted, then the finished.
        let status_order: Vec<ReferralStatus> = seen.iter().map(|r| r.status).collect();
        assert_eq!(
            status_order,
            vec![
                ReferralStatus::Waiting,
                ReferralStatus::Sent,
                ReferralStatus::Sent,
                ReferralStatus::Sent,
                ReferralStatus::Accepted,
                ReferralStatus::Accepted,
                ReferralStatus::Declined,
            ],
            "{b}"
        );
        assert_eq!(&seen_ids[1..4], &[ids[3], ids[4], ids[5]], "{b}: new ones oldest first");
        // The whole page's consent agrees with the rule asked for one referral.
        for r in &seen {
            let one = store.provider_referral(&yenme, r.id).await.unwrap();
            assert_eq!(r.consent_withdrawn, one.consent_withdrawn, "{b}: {}", r.id);
            assert_eq!(r.restricted, one.restricted, "{b}: {}", r.id);
        }
        let closed: HashSet<Uuid> = seen.iter().filter(|r| r.consent_withdrawn).map(|r| r.id).collect();
        assert_eq!(closed, HashSet::from([ids[3], ids[4], ids[5]]), "{b}: B withdrew, C never consented to PR-Y");
        assert!(seen.iter().filter(|r| closed.contains(&r.id)).all(|r| r.given_name.is_none()), "{b}");
        assert!(seen.iter().any(|r| r.given_name.as_deref() == Some("Aýna")), "{b}");

        // A status filter; another organisation sees only its own; a damaged cursor is refused;
        // a forged one shows nothing of another organisation.
        let sent = store
            .provider_inbox_page(&yenme, &InboxQuery { status: Some(ReferralStatus::Sent), after: None, limit: None })
            .await
            .unwrap();
        assert_eq!(sent.items.len(), 3, "{b}");
        let forged = goldaw_core::paging::encode_cursor(&["0", "1970-01-01T00:00:00Z", &Uuid::nil().to_string()]);
        let theirs_page = store
            .provider_inbox_page(&other, &InboxQuery { status: None, after: Some(forged), limit: None })
            .await
            .unwrap();
        assert_eq!(theirs_page.items.iter().map(|r| r.id).collect::<Vec<_>>(), vec![theirs.id], "{b}");
        for bad in ["zz", "31", &goldaw_core::paging::encode_cursor(&["7", "1970-01-01T00:00:00Z", &Uuid::nil().to_string()])] {
            assert!(damaged(store.provider_inbox_page(&yenme, &InboxQuery { status: None, after: Some(bad.to_owned()), limit: None }).await), "{b}: {bad}");
        }
        assert!(matches!(store.provider_inbox_page(&aman, &InboxQuery::default()).await, Err(StoreError::Forbidden(_))), "{b}");

        // A case's referrals: newest first, every one once through pages of two.
        let mut listed = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.case_referral_page(&aman, a_case, after.as_deref(), Some(2)).await.unwrap();
            listed.extend(page.items.iter().map(|r| r.id));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(listed, vec![theirs.id, ids[2], ids[1], ids[0]], "{b}: newest first, each once");
        assert!(matches!(store.case_referral_page(&far, a_case, None, None).await, Err(StoreError::NotFound)), "{b}");
        assert!(matches!(store.case_referral_page(&far, a_case, Some("zz"), None).await, Err(StoreError::NotFound)), "{b}: the case answers first");
        assert!(damaged(store.case_referral_page(&aman, a_case, Some("zz"), None).await), "{b}");
        assert_eq!(store.case_referrals(&aman, a_case).await.unwrap().len(), 4, "{b}");
    }

    async fn the_accounts_page_every_account_once_for_admins_only(db: TestDb) {
        let store = db.open().await;
        let b = db.backend;
        let admin = user(&store, "admin1", Role::Admin, "TM").await;
        let worker = user(&store, "worker1", Role::SocialWorker, "TM-A-01").await;
        for i in 0..7 {
            user(&store, &format!("u{i:02}.x"), Role::SocialWorker, "TM-A-01").await;
        }
        let all = store.list_users(&operator()).await.unwrap();
        assert!(all.len() >= 9, "{b}");
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.list_users_page(&admin, after.as_deref(), Some(3)).await.unwrap();
            assert!(page.items.len() <= 3);
            seen.extend(page.items.into_iter().map(|u| u.username));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let mut expected: Vec<String> = all.into_iter().map(|u| u.username).collect();
        expected.sort();
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, expected, "{b}: every account once");
        assert_eq!(seen.len(), expected.len(), "{b}: none twice");
        assert!(matches!(store.list_users_page(&worker, None, None).await, Err(StoreError::Forbidden(_))), "{b}");
        assert!(damaged(store.list_users_page(&admin, Some("not-hex"), None).await), "{b}");
    }

    async fn the_audit_check_goes_on_from_its_checkpoint_and_still_finds_a_changed_event(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let admin = user(&store, "admin1", Role::Admin, "TM").await;
        for i in 0..5 {
            store.audit(&admin, AuditEvent::plain("test.event").with_detail(format!("{i}"))).await.unwrap();
        }
        let first = store.verify_audit_since_checkpoint().await.unwrap();
        assert!(matches!(first.check, AuditCheck::Intact { .. }), "{b}: {:?}", first.check);
        assert_eq!(first.checked_from, 1, "{b}: the first check walks the whole chain");
        let head1 = first.head.seq;
        for i in 0..3 {
            store.audit(&admin, AuditEvent::plain("test.event").with_detail(format!("more {i}"))).await.unwrap();
        }
        let second = store.verify_audit_since_checkpoint().await.unwrap();
        assert!(matches!(second.check, AuditCheck::Intact { .. }), "{b}: {:?}", second.check);
        assert_eq!(second.checked_from, head1 + 1, "{b}: only the new events");
        let head2 = second.head.seq;

        // A new event changed behind goldaw's back: the next check finds it.
        store.audit(&admin, AuditEvent::plain("test.event").with_detail("last")).await.unwrap();
        tamper(&db, &format!("UPDATE audit_events SET detail = 'changed' WHERE seq = {}", head2 + 1)).await;
        let third = store.verify_audit_since_checkpoint().await.unwrap();
        assert!(matches!(third.check, AuditCheck::Broken { seq, .. } if seq == head2 + 1), "{b}: {:?}", third.check);
        tamper(&db, &format!("UPDATE audit_events SET detail = 'last' WHERE seq = {}", head2 + 1)).await;

        // An event before the checkpoint changed: the whole-chain check finds it; so does the
        // incremental one when the event is the checkpoint's own.
        tamper(&db, "UPDATE audit_events SET detail = 'changed' WHERE seq = 2").await;
        assert!(matches!(store.verify_audit().await.unwrap(), AuditCheck::Broken { seq: 2, .. }), "{b}");
        tamper(&db, &format!("UPDATE audit_events SET hash = prev_hash WHERE seq = {head2}")).await;
        let at_cp = store.verify_audit_since_checkpoint().await.unwrap();
        assert!(matches!(at_cp.check, AuditCheck::Broken { seq, .. } if seq == head2), "{b}: {:?}", at_cp.check);

        // A checkpoint moved by someone without the key is not trusted: the whole chain is walked.
        tamper(&db, "UPDATE audit_verified SET seq = 1").await;
        let moved = store.verify_audit_since_checkpoint().await.unwrap();
        assert_eq!(moved.checked_from, 1, "{b}");
        assert!(matches!(moved.check, AuditCheck::Broken { seq: 2, .. }), "{b}: {:?}", moved.check);
    }
}

/// Runs SQL behind goldaw's back, as someone with access to the database would.
async fn tamper(db: &TestDb, sql: &str) {
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute_batch(sql).unwrap();
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
}
