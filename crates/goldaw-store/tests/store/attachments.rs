//! Attachments on a case, on every backend: sealed at rest, read back whole, refused to whoever
//! may not see the case's documents, and audited.

use crate::helpers::user;
use goldaw_core::attachments::{AttachmentKind, FileRefusal, UploadedFile, MAX_ATTACHMENT_BYTES};
use goldaw_core::codes::{ReferralSource, Role};
use goldaw_core::people::PersonData;
use goldaw_store::audit::AuditQuery;
use goldaw_store::cases::NewReferral;
use goldaw_store::testing::TestDb;
use goldaw_store::{DatabaseUrl, Principal, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

const NAME: &str = "Aýna-razylyk-haty.pdf";
const MARKER: &str = "MARKER-Zq81-consent-of-Ayna";

/// A case in TM-A-01 allocated to `worker`; `sensitive` makes it a sensitive case.
async fn case(store: &Store, sup: &Principal, worker: &str, sensitive: bool) -> Uuid {
    let data: PersonData = serde_json::from_value(json!({
        "given_name": "Aýna", "family_name": "Orazowa", "sex": "F", "admin_unit": "TM-A-01"
    }))
    .unwrap();
    let person = store.create_person(sup, None, data).await.unwrap().id;
    let case = store
        .register_referral(
            sup,
            NewReferral {
                person,
                admin_unit: "TM-A-01".parse().unwrap(),
                referral_source: ReferralSource::School,
                referrer: None,
                concern: None,
                provisional_priority: None,
                sensitive,
                household_case: false,
            },
        )
        .await
        .unwrap();
    store
        .allocate_case(sup, case.id, case.version, worker)
        .await
        .unwrap()
        .id
}

fn pdf() -> Vec<u8> {
    format!("%PDF-1.4\n% {MARKER}\n1 0 obj <<>> endobj\n%%EOF\n").into_bytes()
}

/// Whether `needle` appears anywhere in the stored data: the whole SQLite file, or the
/// attachments table's columns on PostgreSQL.
async fn stored_contains(db: &TestDb, needle: &str) -> bool {
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
            let bytes = std::fs::read(path).unwrap();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        }
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM attachments WHERE position($1::bytea in filename_sealed) > 0
                   OR position($1::bytea in content_sealed) > 0
                   OR position($1::bytea in convert_to(content_type || kind || author, 'UTF8')) > 0",
            )
            .bind(needle.as_bytes())
            .fetch_one(&mut conn)
            .await
            .unwrap();
            n > 0
        }
    }
}

fn audit_reader() -> Principal {
    Principal::user(
        Uuid::nil(),
        "auditor",
        Role::Admin,
        "TM".parse().unwrap(),
        false,
    )
}

goldaw_store::each_backend! {
    async fn a_file_is_sealed_at_rest_read_back_whole_and_audited(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A", false).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", false).await;
        let id = case(&store, &sup, "aman", false).await;

        let file = UploadedFile::parse(Some(NAME), pdf()).unwrap();
        let added = store
            .add_attachment(&aman, id, AttachmentKind::ConsentForm, file)
            .await
            .unwrap();
        assert_eq!(added.content_type, "application/pdf");
        assert_eq!(added.size, pdf().len() as i64);
        assert_eq!(added.file_name, NAME);

        // Neither the name nor the content can be read from the database without the key; the
        // plain columns can (the search itself works).
        assert!(!stored_contains(&db, NAME).await, "{}", db.backend);
        assert!(!stored_contains(&db, MARKER).await, "{}", db.backend);
        assert!(
            stored_contains(&db, "application/pdf").await,
            "{}",
            db.backend
        );

        // The supervisor lists and downloads it: the same bytes, its SHA-256 checked.
        let list = store.case_attachments(&sup, id).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].kind, AttachmentKind::ConsentForm);
        assert_eq!(list[0].file_name, NAME);
        assert_eq!(list[0].author, "aman");
        assert_eq!(list[0].sha256.len(), 64);
        let content = store.attachment(&sup, added.id).await.unwrap();
        assert_eq!(content.bytes, pdf());
        assert_eq!(content.file_name.as_str(), NAME);
        assert_eq!(content.record.sha256, added.sha256);

        // The case's history says a document was attached; the audit log who did what, by ids
        // and codes only, never the file's name.
        let events = store.case_events(&sup, id).await.unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.action == "attachment_added"
                    && e.detail.as_deref() == Some("consent_form"))
        );
        let audit = store
            .audit_events(
                &audit_reader(),
                &AuditQuery {
                    limit: 200,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let actions: Vec<(&str, &str)> = audit
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str()))
            .collect();
        for wanted in [
            ("aman", "case.attachment_add"),
            ("sup", "case.attachments_read"),
            ("sup", "case.attachment_read"),
        ] {
            assert!(
                actions.contains(&wanted),
                "{}: {wanted:?} in {actions:?}",
                db.backend
            );
        }
        assert!(audit
            .iter()
            .all(|e| !e.detail.as_deref().unwrap_or_default().contains("razylyk")));

        // A checksum changed outside goldaw: the download is refused as damaged, not served.
        let tamper = "UPDATE attachments SET sha256 = $1 WHERE id = $2";
        match &db.url {
            DatabaseUrl::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.execute(
                    &tamper.replace('$', "?"),
                    rusqlite::params![vec![0u8; 32], added.id.as_bytes().to_vec()],
                )
                .unwrap();
            }
            DatabaseUrl::Postgres(url) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query(tamper)
                    .bind(vec![0u8; 32])
                    .bind(added.id)
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
        let r = store.attachment(&sup, added.id).await;
        assert!(
            matches!(r, Err(StoreError::Corrupt(_))),
            "{}: {r:?}",
            db.backend
        );
    }
}

goldaw_store::each_backend! {
    async fn only_case_staff_in_scope_with_the_permission_see_or_add_documents(db: TestDb) {
        let store = db.open_with_key().await;
        let sup = user(&store, "sup", Role::Supervisor, "TM-A", true).await;
        let aman = user(&store, "aman", Role::SocialWorker, "TM-A-01", true).await;
        let other = user(&store, "other", Role::SocialWorker, "TM-A-01", false).await;
        let far = user(&store, "far", Role::SocialWorker, "TM-B-01", true).await;
        let hotline = user(&store, "line", Role::Hotline, "TM", true).await;
        let provider = user(&store, "ngo", Role::Provider, "provider:PR1", true).await;
        let plain = case(&store, &sup, "aman", false).await;
        let sensitive = case(&store, &sup, "aman", true).await;
        let file = || UploadedFile::parse(Some("a.pdf"), pdf()).unwrap();
        let kind = AttachmentKind::MedicalReport;

        // Refusals, each leaving nothing behind.
        let refused = [
            (&provider, plain, "provider"),
            (&other, plain, "a worker the case is not allocated to"),
            (&other, sensitive, "without the sensitive permission"),
        ];
        for (who, case_id, why) in refused {
            let r = store.add_attachment(who, case_id, kind, file()).await;
            assert!(matches!(r, Err(StoreError::Forbidden(_))), "{why}: {r:?}");
            assert!(matches!(
                store.may_attach(who, case_id).await,
                Err(StoreError::Forbidden(_))
            ));
        }
        // Out of scope, or (the hotline) not a call it registered: not found.
        for who in [&far, &hotline] {
            let r = store.add_attachment(who, plain, kind, file()).await;
            assert!(
                matches!(r, Err(StoreError::NotFound)),
                "{}: {r:?}",
                who.actor
            );
        }
        assert!(store
            .case_attachments(&sup, plain)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .case_attachments(&sup, sensitive)
            .await
            .unwrap()
            .is_empty());

        // Bad files never reach the store: empty, too large, not PDF/JPEG/PNG.
        assert_eq!(
            UploadedFile::parse(Some("a.pdf"), Vec::new()).unwrap_err(),
            FileRefusal::Empty
        );
        let mut big = pdf();
        big.resize(MAX_ATTACHMENT_BYTES + 1, b' ');
        assert_eq!(
            UploadedFile::parse(Some("a.pdf"), big).unwrap_err(),
            FileRefusal::TooLarge
        );
        assert_eq!(
            UploadedFile::parse(Some("a.pdf"), b"<html><script>".to_vec()).unwrap_err(),
            FileRefusal::WrongType
        );

        // The allocated worker attaches to both; readers are staff in scope with the permission.
        let a = store
            .add_attachment(&aman, plain, kind, file())
            .await
            .unwrap();
        let s = store
            .add_attachment(&aman, sensitive, kind, file())
            .await
            .unwrap();
        assert_eq!(
            store.case_attachments(&other, plain).await.unwrap().len(),
            1
        );
        assert!(store.attachment(&other, a.id).await.is_ok());
        for r in [
            store.case_attachments(&other, sensitive).await.map(|_| ()),
            store.attachment(&other, s.id).await.map(|_| ()),
            store.case_attachments(&hotline, plain).await.map(|_| ()),
            store.attachment(&provider, a.id).await.map(|_| ()),
        ] {
            assert!(matches!(r, Err(StoreError::Forbidden(_))), "{r:?}");
        }
        for r in [
            store.case_attachments(&far, plain).await.map(|_| ()),
            store.attachment(&far, a.id).await.map(|_| ()),
            store.attachment(&sup, Uuid::now_v7()).await.map(|_| ()),
        ] {
            assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
        }
        assert_eq!(
            store.attachment(&sup, s.id).await.unwrap().bytes,
            pdf(),
            "with the permission"
        );
    }
}

#[tokio::test]
async fn without_the_encryption_key_nothing_is_attached() {
    let db = goldaw_store::testing::sqlite().await;
    let keyed = db.open_with_key().await;
    let sup = user(&keyed, "sup", Role::Supervisor, "TM-A", false).await;
    user(&keyed, "aman", Role::SocialWorker, "TM-A-01", false).await;
    let id = case(&keyed, &sup, "aman", false).await;
    keyed.close().await;
    let store = db.open().await;
    let file = UploadedFile::parse(Some("a.png"), b"\x89PNG\r\n\x1a\nrest".to_vec()).unwrap();
    let r = store
        .add_attachment(&sup, id, AttachmentKind::Photo, file)
        .await;
    match r {
        Err(StoreError::Config(m)) => assert!(m.contains("encryption key"), "{m}"),
        other => panic!("{other:?}"),
    }
}
