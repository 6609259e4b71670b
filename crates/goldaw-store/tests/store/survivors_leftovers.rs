//! Issue #18's leftovers, on every backend: a call becomes a case in one transaction (the person,
//! the case, the consents and the call's link; a refusal half-way leaves nothing behind); the
//! quick exit's neutral site as an admin's setting (an https address or refused, nothing written);
//! a person's own data produced for a representative only with her consent to export or an
//! override, the refusal audited.

use crate::helpers::{operator, person_in, sensitive_staff as user, staff};
use crate::survivors::{call, consent, key, lines};
use goldaw_core::codes::Role;
use goldaw_store::consent::{ConsentPurpose, NewConsent, NewOverride, OverrideReason, Withdrawal};
use goldaw_store::hotline::{CallOutcome, CallToCase};
use goldaw_store::safety_plans::DEFAULT_NEUTRAL_SITE;
use goldaw_store::subject_access::OwnDataRecipient;
use goldaw_store::testing::TestDb;
use goldaw_store::{DatabaseUrl, StoreError};

/// A count read behind goldaw's back.
pub(crate) async fn count(db: &TestDb, sql: &str) -> i64 {
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

/// What a call become a case writes: persons, households, cases, the case's history, consents,
/// calls linked, and the audit events of those writes (reads are audited too, so only these).
async fn written(db: &TestDb) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM persons",
        "SELECT COUNT(*) FROM households",
        "SELECT COUNT(*) FROM cases",
        "SELECT COUNT(*) FROM case_events",
        "SELECT COUNT(*) FROM consents",
        "SELECT COUNT(*) FROM hotline_calls WHERE case_id IS NOT NULL",
        "SELECT COUNT(*) FROM audit_events WHERE action IN
            ('hotline.call.case', 'person.create', 'case.register', 'consent.record')",
    ] {
        out.push(count(db, sql).await);
    }
    out
}

fn to_case(version: i32, consents: Vec<NewConsent>) -> CallToCase {
    CallToCase {
        admin_unit: "TM-A-01".parse().unwrap(),
        person: None,
        sex: None,
        version,
        consents,
    }
}

goldaw_store::each_backend! {
    async fn a_call_becomes_a_case_in_one_transaction_and_a_refusal_half_way_writes_nothing(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let (ops1, _, _) = lines(&store).await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let stranger = person_in(&store, &operator(), "Jeren", "TM-A-01", "").await;
        let c = store.log_call(&ops1, call("NGO-1", CallOutcome::ReferredToEtrap)).await.unwrap();
        let before = written(&db).await;

        // The last consent names a provider nobody knows: seen inside the transaction, after the
        // person and the case were written; all of it is rolled back.
        let unknown = store
            .call_to_case(&ops1, c.id, to_case(c.version, vec![
                consent(ConsentPurpose::Assessment, None),
                consent(ConsentPurpose::Referral, Some("PR-NOBODY")),
            ]))
            .await;
        assert_eq!(key(&unknown), Some("consent-provider-unknown"), "{b}");
        assert_eq!(written(&db).await, before, "{b}: a refused call-to-case left rows behind");

        // A consent given for someone outside her household: the same.
        let outsider = store
            .call_to_case(&ops1, c.id, to_case(c.version, vec![
                consent(ConsentPurpose::Assessment, None),
                NewConsent { person: Some(stranger), ..consent(ConsentPurpose::Statistics, None) },
            ]))
            .await;
        assert_eq!(key(&outsider), Some("consent-person-not-household"), "{b}");
        assert_eq!(written(&db).await, before, "{b}");

        // A known person out of the hotline's sight (none such here: a made-up id) is refused too.
        let nobody = store
            .call_to_case(&ops1, c.id, CallToCase { person: Some(uuid::Uuid::now_v7()), ..to_case(c.version, vec![]) })
            .await;
        assert_eq!(key(&nobody), Some("store-person-not-in-scope"), "{b}");
        assert_eq!(written(&db).await, before, "{b}");

        let still = store.call(&ops1, c.id).await.unwrap();
        assert_eq!((still.case_id, still.version), (None, c.version), "{b}: the call is unchanged");

        // Given rightly, it is all written at once: one person and her household, one case with
        // its first history entry, both consents, the call linked, one audit event each.
        let case = store
            .call_to_case(&ops1, c.id, to_case(c.version, vec![
                consent(ConsentPurpose::Assessment, None),
                consent(ConsentPurpose::Statistics, None),
            ]))
            .await
            .unwrap();
        let after = written(&db).await;
        let grown: Vec<i64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
        assert_eq!(grown, vec![1, 1, 1, 1, 2, 1, 5], "{b}");
        let linked = store.call(&ops1, c.id).await.unwrap();
        assert_eq!(linked.case_id, Some(case.id), "{b}");
        assert_eq!(linked.version, c.version + 1, "{b}");
        let consents = store.case_consents(&sup, case.id).await.unwrap();
        assert!(consents.governed, "{b}");
        assert_eq!(consents.consents.len(), 2, "{b}");
        assert!(consents.consents.iter().all(|k| k.in_force), "{b}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM consents c JOIN cases k ON k.id = c.case_id AND k.person_id = c.person_id").await,
            2,
            "{b}: the consents are the new case's person's"
        );

        // Once a case, the call opens no other, and nothing more is written.
        let again = store.call_to_case(&ops1, c.id, to_case(linked.version, vec![])).await;
        assert_eq!(key(&again), Some("hotline-already-a-case"), "{b}");
        assert_eq!(written(&db).await, after, "{b}");
    }
}

goldaw_store::each_backend! {
    async fn the_quick_exits_neutral_site_is_an_admins_setting_and_only_an_https_address(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let admin = staff(&store, "admin", Role::Admin, "TM").await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        assert_eq!(&*store.quick_exit_site(), DEFAULT_NEUTRAL_SITE, "{b}: the default until set");

        // Not an admin: refused, nothing written.
        let forbidden = store.set_quick_exit_site(&sup, "https://weather.gov.tm/").await;
        assert!(matches!(forbidden, Err(StoreError::Forbidden(_))), "{b}");
        // Not an absolute https address: refused with the reason, nothing written.
        for (bad, why) in [
            ("weather.gov.tm", "quick-exit-site-not-absolute"),
            ("", "quick-exit-site-not-absolute"),
            ("http://weather.gov.tm/", "quick-exit-site-not-https"),
            ("javascript:alert(document.cookie)", "quick-exit-site-not-https"),
            ("https://admin:secret@weather.gov.tm/", "quick-exit-site-credentials"),
        ] {
            let r = store.set_quick_exit_site(&admin, bad).await;
            assert_eq!(key(&r), Some(why), "{b}: {bad}");
        }
        let long = format!("https://weather.gov.tm/{}", "x".repeat(600));
        assert_eq!(key(&store.set_quick_exit_site(&admin, &long).await), Some("quick-exit-site-too-long"), "{b}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM settings WHERE key = 'safety.quick_exit_site'").await, 0, "{b}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_events WHERE action = 'settings.quick_exit_site'").await, 0, "{b}");
        assert_eq!(&*store.quick_exit_site(), DEFAULT_NEUTRAL_SITE, "{b}");

        // Set: in force at once, audited, kept across a restart.
        let set = store.set_quick_exit_site(&admin, " https://Weather.gov.tm ").await.unwrap();
        assert_eq!(set, "https://weather.gov.tm/", "{b}");
        assert_eq!(&*store.quick_exit_site(), "https://weather.gov.tm/", "{b}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_events WHERE action = 'settings.quick_exit_site'").await, 1, "{b}");
        drop(store);
        let again = db.open_with_key().await;
        assert_eq!(&*again.quick_exit_site(), "https://weather.gov.tm/", "{b}: read at start");
    }
}

goldaw_store::each_backend! {
    async fn a_persons_own_data_goes_to_a_representative_only_with_her_consent_or_an_override(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let (ops1, _, _) = lines(&store).await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let c = store.log_call(&ops1, call("NGO-1", CallOutcome::ReferredToEtrap)).await.unwrap();
        let case = store
            .call_to_case(&ops1, c.id, to_case(c.version, vec![consent(ConsentPurpose::Assessment, None)]))
            .await
            .unwrap();
        let person = case.person_id.unwrap();
        let refusals = "SELECT COUNT(*) FROM audit_events WHERE action = 'consent.refused'";
        let produced = "SELECT COUNT(*) FROM audit_events WHERE action = 'person.own_data'";

        // For herself: her right of access, no consent asked.
        let own = store.subject_access_for(&sup, person, OwnDataRecipient::Person).await.unwrap();
        assert_eq!(own.person.id, person, "{b}");
        assert_eq!(own.cases.len(), 1, "{b}");
        assert_eq!(count(&db, produced).await, 1, "{b}");

        // For a representative: refused without her consent to export, the refusal audited and
        // nothing produced.
        let refused = store.subject_access_for(&sup, person, OwnDataRecipient::Representative).await;
        assert_eq!(key(&refused), Some("consent-refused-missing"), "{b}");
        assert_eq!(count(&db, refusals).await, 1, "{b}");
        assert_eq!(count(&db, produced).await, 1, "{b}");

        // She consents: produced, and audited as for a representative.
        let given = store.record_consent(&sup, case.id, consent(ConsentPurpose::Export, None)).await.unwrap();
        let doc = store.subject_access_for(&sup, person, OwnDataRecipient::Representative).await.unwrap();
        assert_eq!(doc.person.id, person, "{b}");
        assert_eq!(count(&db, produced).await, 2, "{b}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM audit_events WHERE action = 'person.own_data' AND detail LIKE '%; for representative'").await,
            1,
            "{b}"
        );

        // She withdraws it: refused again, with that reason.
        store.withdraw_consent(&sup, case.id, given.id, Withdrawal { version: given.version }).await.unwrap();
        let withdrawn = store.subject_access_for(&sup, person, OwnDataRecipient::Representative).await;
        assert_eq!(key(&withdrawn), Some("consent-refused-withdrawn"), "{b}");
        assert_eq!(count(&db, refusals).await, 2, "{b}");

        // A court orders it: the supervisor's override with that reason allows it.
        store
            .override_consent(&sup, case.id, NewOverride {
                person: None,
                purpose: ConsentPurpose::Export,
                provider: None,
                reason: Some(OverrideReason::CourtOrder),
                note: Some("Court of etrap A-01, case 12/2026".into()),
            })
            .await
            .unwrap();
        assert!(store.subject_access_for(&sup, person, OwnDataRecipient::Representative).await.is_ok(), "{b}");

        // Someone never under consent records (no consent, not from a call): a representative's
        // copy needs her consent all the same; nobody may presume it.
        let other = person_in(&store, &operator(), "Jeren", "TM-A-01", "").await;
        let refused = store.subject_access_for(&sup, other, OwnDataRecipient::Representative).await;
        assert_eq!(key(&refused), Some("consent-refused-missing"), "{b}");
        assert_eq!(count(&db, refusals).await, 3, "{b}");
        assert!(store.subject_access_for(&sup, other, OwnDataRecipient::Person).await.is_ok(), "{b}");
    }
}

goldaw_store::each_backend! {
    async fn a_person_named_in_anothers_case_gets_only_her_part_of_it(db: TestDb) {
        let store = db.open_with_key().await;
        let b = db.backend;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A-01").await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01").await;
        let member = |name: &str| {
            serde_json::json!({"given_name": name, "family_name": "Orazowa", "sex": "F", "birth_date": "1988-01-02",
                               "admin_unit": "TM-A-01", "household_id": "H-ORAZ"})
        };
        store
            .create_household(
                &operator(),
                Some("H-ORAZ".parse().unwrap()),
                serde_json::from_value(serde_json::json!({"admin_unit": "TM-A-01"})).unwrap(),
            )
            .await
            .unwrap();
        let her = crate::helpers::person(&store, member("Maýsa")).await;
        let mut his = member("Batyr");
        his["sex"] = "M".into();
        let him = crate::helpers::person(&store, his).await;
        // A household case about her: he, a member of the household, is named in it.
        let mut new = crate::helpers::referral(her, "TM-A-01");
        new.household_case = true;
        let case = store.register_referral(&sup, new).await.unwrap();
        let case = store.allocate_case(&sup, case.id, case.version, "aman").await.unwrap();
        store
            .add_case_note(&aman, case.id, goldaw_store::cases::NoteKind::HomeVisit, chrono::Utc::now(), "QX she hides the bruises")
            .await
            .unwrap();

        // Her copy holds her case whole.
        let hers = store.subject_access_for(&sup, her, OwnDataRecipient::Person).await.unwrap();
        assert_eq!(hers.cases.len(), 1, "{b}");
        assert_eq!(hers.cases[0].part, "subject", "{b}");
        assert_eq!(hers.cases[0].notes.len(), 1, "{b}");
        assert!(hers.cases[0].case.concern.is_some(), "{b}");

        // His copy: that the case exists and his part in it, nothing of hers.
        let his = store.subject_access_for(&sup, him, OwnDataRecipient::Person).await.unwrap();
        assert_eq!(his.cases.len(), 1, "{b}");
        let named = &his.cases[0];
        assert_eq!((named.part.as_str(), named.case.number.as_str()), ("named", case.number.as_str()), "{b}");
        assert_eq!((named.case.person_id, named.case.person_name.as_deref()), (None, None), "{b}");
        assert_eq!((named.case.concern.as_deref(), named.case.referrer.as_deref()), (None, None), "{b}");
        assert!(named.notes.is_empty() && named.events.is_empty() && named.plans.is_empty(), "{b}");
        assert!(named.assessments.is_empty() && named.reviews.is_empty() && named.referrals.is_empty(), "{b}");
        // (His household's record lists its members, her among them: that is his own record.)
        let text = serde_json::to_string(&his.cases).unwrap();
        for secret in ["QX she hides", "Maýsa", "threatens her"] {
            assert!(!text.contains(secret), "{b}: {secret} in his copy");
        }
    }
}
