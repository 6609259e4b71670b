//! A partner's own referrals, a page at a time (issue #20, item 5; docs/partners.md): newest
//! first, keyset-paged like the provider's inbox. Two schools refer in turn; each walks its own
//! list page by page and gets exactly its own referrals, in order, with no page of the other's;
//! a cursor made on the other school's list shows only the reader's own; a damaged cursor is
//! refused with its key; staff are not partners.

use crate::helpers::staff;
use goldaw_core::codes::Role;
use goldaw_core::partners::PartnerKind;
use goldaw_store::partners::{NewPartner, PartnerReferralInput, PartnerReferralQuery};
use goldaw_store::{Principal, Store, StoreError};
use uuid::Uuid;

fn pupil(name: &str) -> PartnerReferralInput {
    PartnerReferralInput {
        given_name: name.into(),
        family_name: Some("Orazowa".into()),
        sex: "F".into(),
        birth_date: Some("2015-03-01".parse().unwrap()),
        admin_unit: None,
        concern: "Absent for three weeks; the family has no income.".into(),
        contact: Some("Class teacher, +993 12 000000".into()),
        their_reference: None,
        sensitive: false,
    }
}

fn query(after: Option<String>, limit: u32) -> PartnerReferralQuery {
    PartnerReferralQuery {
        after,
        limit: Some(limit),
    }
}

/// Every page of `who`'s list, `limit` at a time, following `next` to the end.
async fn walk(store: &Store, who: &Principal, limit: u32) -> Vec<Vec<Uuid>> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .partner_referrals_page(who, &query(after, limit))
            .await
            .unwrap();
        pages.push(page.items.iter().map(|v| v.id).collect::<Vec<_>>());
        match page.next {
            Some(next) => after = Some(next),
            None => return pages,
        }
        assert!(pages.len() < 20, "the pages do not end");
    }
}

goldaw_store::each_backend! {
    async fn a_partner_pages_through_its_own_referrals_and_never_sees_another_partners(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let admin = staff(&store, "root", Role::Admin, "TM").await;
        let school = |name: &str| NewPartner {
            name: name.into(),
            kind: PartnerKind::School,
            admin_unit: "TM-A-05".parse().unwrap(),
        };
        let a = store.create_partner(&admin, school("School 12")).await.unwrap();
        let o = store.create_partner(&admin, school("School 3")).await.unwrap();
        let key_a = store.issue_partner_key(&admin, a.id, "Mrs Orazowa").await.unwrap();
        let key_o = store.issue_partner_key(&admin, o.id, "Mr Baýramow").await.unwrap();
        let pa = store.principal_for_partner_key(&key_a, "192.0.2.1").await.unwrap().unwrap();
        let po = store.principal_for_partner_key(&key_o, "192.0.2.2").await.unwrap().unwrap();

        // In turn: seven of School 12's, five of School 3's between them.
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        for i in 0..12 {
            if i % 2 == 0 || i == 11 {
                mine.push(store.partner_refer(&pa, pupil(&format!("Aýna{i}"))).await.unwrap().id);
            } else {
                theirs.push(store.partner_refer(&po, pupil(&format!("Jeren{i}"))).await.unwrap().id);
            }
        }
        mine.reverse();
        theirs.reverse();

        // Pages of three: 3, 3, 1, newest first, exactly School 12's.
        let pages = walk(&store, &pa, 3).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1], "{b}");
        assert_eq!(pages.concat(), mine, "{b}");
        // Pages of two for School 3: 2, 2, 1, exactly its own.
        let pages = walk(&store, &po, 2).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1], "{b}");
        assert_eq!(pages.concat(), theirs, "{b}");
        // One page of the lot, and the first page without a size (50).
        assert_eq!(walk(&store, &pa, 200).await, [mine.clone()], "{b}");
        assert_eq!(
            store.partner_referrals(&pa).await.unwrap().iter().map(|v| v.id).collect::<Vec<_>>(),
            mine,
            "{b}"
        );

        // A cursor made on School 3's list, given by School 12: School 12's own after that
        // place, never School 3's.
        let first = store.partner_referrals_page(&po, &query(None, 2)).await.unwrap();
        let cross = store.partner_referrals_page(&pa, &query(first.next, 200)).await.unwrap();
        assert!(!cross.items.is_empty(), "{b}");
        assert!(cross.items.iter().all(|v| mine.contains(&v.id)), "{b}");

        // A damaged cursor: refused with its key, for the page to say.
        for bad in ["zz", "00", "ab.cd.ef", &"a".repeat(2000)] {
            match store.partner_referrals_page(&pa, &query(Some(bad.to_owned()), 3)).await {
                Err(StoreError::Invalid { say: Some(say), .. }) => {
                    assert_eq!(say.key, "store-page-link-damaged", "{b}")
                }
                other => panic!("{b}: {bad}: {other:?}"),
            }
        }
        // Staff are not partners.
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-05").await;
        assert!(store.partner_referrals_page(&sup, &query(None, 3)).await.is_err(), "{b}");
    }
}
