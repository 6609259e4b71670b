//! Issue #23's leftovers, on every backend: a partner's keys issued per person (named in the audit
//! trail, revoked alone, the organisation still the scope; an organisation key from before keeps
//! working); the public's requests deleted after the operator's retention period, the address
//! kept only the hour its limit counts; the abuse limits as settings within bounds; the feedback
//! to a partner read from the consent register where it has a purpose (both ways).

use crate::helpers::{act, staff};
use goldaw_core::codes::Role;
use goldaw_core::partners::PartnerKind;
use goldaw_core::workflow::CaseAction;
use goldaw_store::audit::AuditQuery;
use goldaw_store::consent::{ConsentGiver, ConsentMethod, ConsentPurpose, NewConsent, Withdrawal};
use goldaw_store::directory::PublicSwitches;
use goldaw_store::partners::{FeedbackChange, NewPartner, PartnerReferralInput};
use goldaw_store::public_requests::{PublicRequest, RequestLimits};
use goldaw_store::testing::TestDb;
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use uuid::Uuid;

fn key_of<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> Option<(&str, &'static str)> {
    match r {
        Err(StoreError::Invalid {
            field,
            say: Some(say),
            ..
        }) => Some((field.as_str(), say.key)),
        _ => None,
    }
}

fn request() -> PublicRequest {
    PublicRequest {
        for_someone_else: false,
        given_name: "Maral".into(),
        family_name: "".into(),
        sex: "F".into(),
        admin_unit: "TM-A-05".into(),
        concern: "We need day care for my son.".into(),
        contact: "+993 65 000000".into(),
        consent: true,
        service_code: None,
    }
}

fn pupil(name: &str) -> PartnerReferralInput {
    PartnerReferralInput {
        given_name: name.into(),
        family_name: Some("Orazowa".into()),
        sex: "F".into(),
        birth_date: Some("2015-03-01".parse().unwrap()),
        admin_unit: None,
        concern: "Absent for three weeks.".into(),
        contact: None,
        their_reference: None,
        sensitive: false,
    }
}

goldaw_store::each_backend! {
    async fn partner_keys_are_per_person_revoked_alone_and_old_organisation_keys_still_work(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let admin = staff(&store, "root", Role::Admin, "TM").await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-05").await;
        let school = store.create_partner(&admin, NewPartner { name: "School 12".into(), kind: PartnerKind::School, admin_unit: "TM-A-05".parse().unwrap() }).await.unwrap();
        let other = store.create_partner(&admin, NewPartner { name: "School 3".into(), kind: PartnerKind::School, admin_unit: "TM-A-05".parse().unwrap() }).await.unwrap();
        // A holder is required, without "/" or control characters; admins only.
        assert_eq!(key_of(&store.issue_partner_key(&admin, school.id, "  ").await), Some(("holder", "store-field-required")), "{b}");
        assert_eq!(key_of(&store.issue_partner_key(&admin, school.id, "a/b").await), Some(("holder", "store-partner-holder")), "{b}");
        assert!(matches!(store.issue_partner_key(&sup, school.id, "x").await, Err(StoreError::Forbidden(_))), "{b}");
        let head = store.issue_partner_key(&admin, school.id, "Mrs Orazowa").await.unwrap();
        let teacher = store.issue_partner_key(&admin, school.id, "Mr Amanow").await.unwrap();
        let keys = store.list_partner_keys(&admin).await.unwrap();
        assert_eq!(keys.len(), 2, "{b}");
        assert!(keys.iter().all(|k| k.partner_id == school.id), "{b}");
        let head_id = keys.iter().find(|k| k.holder.as_deref() == Some("Mrs Orazowa")).unwrap().id;

        // Both act for the organisation (one scope: its referrals), each named in the trail.
        let p1 = store.principal_for_partner_key(&head, "192.0.2.1").await.unwrap().unwrap();
        let p2 = store.principal_for_partner_key(&teacher, "192.0.2.2").await.unwrap().unwrap();
        assert_eq!(p1.user_id, Some(school.id));
        assert_eq!(p2.user_id, Some(school.id));
        assert_eq!(p1.actor, "partner:School 12/Mrs Orazowa", "{b}");
        let sent = store.partner_refer(&p1, pupil("Jeren")).await.unwrap();
        assert_eq!(store.partner_referral(&p2, sent.id).await.unwrap().id, sent.id, "{b}: the organisation's");
        let trail = store.audit_events(&admin, &AuditQuery { actor: Some("partner:School 12/Mr Amanow".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert!(!trail.is_empty(), "{b}: the teacher's read is in the trail under their name");

        // One key revoked: its holder is out, the other still in. Another organisation's key id,
        // or the same key twice: not found.
        assert!(matches!(store.revoke_partner_key(&admin, other.id, head_id).await, Err(StoreError::NotFound)), "{b}");
        store.revoke_partner_key(&admin, school.id, head_id).await.unwrap();
        assert!(matches!(store.revoke_partner_key(&admin, school.id, head_id).await, Err(StoreError::NotFound)), "{b}");
        assert!(store.principal_for_partner_key(&head, "x").await.unwrap().is_none(), "{b}");
        assert!(store.principal_for_partner_key(&teacher, "x").await.unwrap().is_some(), "{b}");

        // A key from before keys had holders: an organisation key, still working.
        sql(&db, "UPDATE partner_tokens SET holder = NULL").await;
        let old = store.principal_for_partner_key(&teacher, "x").await.unwrap().unwrap();
        assert_eq!(old.actor, "partner:School 12", "{b}");
        assert_eq!(store.list_partner_keys(&admin).await.unwrap()[0].holder, None, "{b}");
    }

    async fn public_requests_go_after_the_retention_and_the_address_after_the_hour(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let limits = RequestLimits::default();
        let first = store.submit_public_request("192.0.2.7", request(), limits).await.unwrap().unwrap();
        // The request's row keeps no address; the mark keeps the keyed digest for the limit.
        assert_eq!(count(&db, "SELECT COUNT(*) FROM public_requests WHERE length(address_hash) = 0").await, 1, "{b}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM public_request_marks").await, 1, "{b}");
        // A hundred days pass for the first request, two hours for its mark.
        sql(&db, &format!("UPDATE public_requests SET created_at = '2020-01-01T00:00:00+00:00' WHERE reference = '{}'", first.reference)).await;
        sql(&db, "UPDATE public_request_marks SET created_at = '2020-01-01T00:00:00+00:00'").await;
        let second = store.submit_public_request("192.0.2.7", request(), limits).await.unwrap().unwrap();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM public_requests").await, 1, "{b}: the old request is gone");
        assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM public_requests WHERE reference = '{}'", second.reference)).await, 1, "{b}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM public_request_marks").await, 1, "{b}: the old mark is gone");
        // The case it became stays.
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-05").await;
        assert!(store.case(&sup, first.case_id).await.is_ok(), "{b}");
        // The per-address limit still counts the hour.
        let tight = RequestLimits { per_address_per_hour: 2, ..limits };
        store.submit_public_request("192.0.2.7", request(), tight).await.unwrap().unwrap();
        assert!(store.submit_public_request("192.0.2.7", request(), tight).await.unwrap().is_err(), "{b}");
    }

    async fn the_abuse_limits_are_settings_within_bounds(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let admin = staff(&store, "root", Role::Admin, "TM").await;
        let before = store.public_switches().await.unwrap();
        assert_eq!((before.per_address_per_hour, before.global_per_hour, before.retention_days), (3, 200, 90), "{b}: the defaults");
        for (bad, field) in [
            (PublicSwitches { per_address_per_hour: 0, ..before }, "per_address_per_hour"),
            (PublicSwitches { per_address_per_hour: 101, ..before }, "per_address_per_hour"),
            (PublicSwitches { global_per_hour: 0, ..before }, "global_per_hour"),
            (PublicSwitches { retention_days: 0, ..before }, "retention_days"),
            (PublicSwitches { retention_days: 4000, ..before }, "retention_days"),
        ] {
            assert_eq!(key_of(&store.set_public_switches(&admin, bad).await), Some((field, "store-public-limit-range")), "{b}: {field}");
            assert_eq!(store.public_switches().await.unwrap(), before, "{b}: nothing written");
        }
        let set = PublicSwitches { per_address_per_hour: 1, global_per_hour: 5000, retention_days: 30, ..before };
        store.set_public_switches(&admin, set).await.unwrap();
        let now = store.public_switches().await.unwrap();
        assert_eq!(now, set, "{b}");
        assert_eq!(now.limits(), RequestLimits { per_address_per_hour: 1, global_per_hour: 5000, retention_days: 30 });
        // The setting holds: one request from an address, the second refused.
        store.submit_public_request("192.0.2.9", request(), now.limits()).await.unwrap().unwrap();
        assert!(store.submit_public_request("192.0.2.9", request(), now.limits()).await.unwrap().is_err(), "{b}");
    }

    async fn the_feedback_to_the_police_follows_the_consent_register_both_ways(db: TestDb) {
        let b = db.backend;
        let store = db.open_with_key().await;
        let admin = staff(&store, "root", Role::Admin, "TM").await;
        let sup = staff(&store, "sup", Role::Supervisor, "TM-A-05").await;
        let worker = staff(&store, "aman", Role::SocialWorker, "TM-A-05").await;
        let police = store.create_partner(&admin, NewPartner { name: "Police of etrap 5".into(), kind: PartnerKind::Police, admin_unit: "TM-A-05".parse().unwrap() }).await.unwrap();
        let school = store.create_partner(&admin, NewPartner { name: "School 12".into(), kind: PartnerKind::School, admin_unit: "TM-A-05".parse().unwrap() }).await.unwrap();
        let pk = store.issue_partner_key(&admin, police.id, "Inspector Nurmuhammedow").await.unwrap();
        let sk = store.issue_partner_key(&admin, school.id, "Mrs Orazowa").await.unwrap();
        let p = store.principal_for_partner_key(&pk, "x").await.unwrap().unwrap();
        let s = store.principal_for_partner_key(&sk, "x").await.unwrap().unwrap();
        let by_police = store.partner_refer(&p, pupil("Jeren")).await.unwrap();
        let by_school = store.partner_refer(&s, pupil("Aýna")).await.unwrap();
        let mut cases = Vec::new();
        for _ in 0..2 {
            let queue = store.list_cases(&sup, &goldaw_store::cases::CaseQuery { unallocated: true, limit: 50, ..Default::default() }).await.unwrap();
            let c = store.case(&sup, queue[0].id).await.unwrap();
            let c = store.allocate_case(&sup, c.id, c.version, "aman").await.unwrap();
            let c = store.act_on_case(&worker, c.id, act(CaseAction::StartInitial, c.version)).await.unwrap();
            let fb = store.case_partner_referral(&worker, c.id).await.unwrap().unwrap();
            store.record_partner_feedback(&worker, c.id, FeedbackChange { version: fb.version, consent: true, outcome: Some("Support from Monday.".into()) }).await.unwrap();
            cases.push((fb.partner_name.clone(), c.id));
        }
        let police_case = cases.iter().find(|(n, _)| n.starts_with("Police")).unwrap().1;
        let school_case = cases.iter().find(|(n, _)| n.starts_with("School")).unwrap().1;
        // Nobody under consent records: the family's agreement the etrap recorded is enough.
        assert_eq!(outcome(&store, &p, by_police.id).await.as_deref(), Some("Support from Monday."), "{b}");
        // Under consent records: the police read it only with a police consent in force.
        let consent = |purpose| NewConsent { person: None, purpose, provider: None, provider_kind: None, giver: ConsentGiver::ParentOrGuardian, method: ConsentMethod::Signed, valid_from: None, valid_until: None };
        store.record_consent(&worker, police_case, consent(ConsentPurpose::Assessment)).await.unwrap();
        assert_eq!(outcome(&store, &p, by_police.id).await, None, "{b}: governed, no police consent");
        let given = store.record_consent(&worker, police_case, consent(ConsentPurpose::Police)).await.unwrap();
        assert_eq!(outcome(&store, &p, by_police.id).await.as_deref(), Some("Support from Monday."), "{b}: consent given");
        assert_eq!(store.partner_referrals(&p).await.unwrap()[0].outcome.as_deref(), Some("Support from Monday."), "{b}: the list agrees");
        store.withdraw_consent(&worker, police_case, given.id, Withdrawal { version: given.version }).await.unwrap();
        assert_eq!(outcome(&store, &p, by_police.id).await, None, "{b}: withdrawn");
        assert_eq!(store.partner_referrals(&p).await.unwrap()[0].outcome, None, "{b}: the list agrees");
        // A school: the register has no purpose for it; the family's agreement is the basis.
        store.record_consent(&worker, school_case, consent(ConsentPurpose::Assessment)).await.unwrap();
        assert_eq!(outcome(&store, &s, by_school.id).await.as_deref(), Some("Support from Monday."), "{b}");
    }
}

async fn outcome(store: &Store, who: &Principal, id: Uuid) -> Option<String> {
    store.partner_referral(who, id).await.unwrap().outcome
}

/// Runs SQL behind goldaw's back.
async fn sql(db: &TestDb, sql: &str) {
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

/// A count read behind goldaw's back.
async fn count(db: &TestDb, sql: &str) -> i64 {
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.query_row(sql, [], |r| r.get(0)).unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            n
        }
    }
}
