//! The keyed audit chain and anchors, on every backend, against someone who can write the database:
//! they change an event and recompute every plain SHA-256 hash after it and the head, as anyone
//! can, since the plain chain's format is public.

use chrono::SecondsFormat;
use goldaw_store::audit::{AuditAnchor, AuditCheck, AuditEvent, AuditQuery, AuditRow};
use goldaw_store::crypto::Secrets;
use goldaw_store::testing::{databases, TestDb};
use goldaw_store::{DatabaseUrl, Principal, Store};
use serde_json::json;
use sha2::{Digest, Sha256};

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

fn bytes(db: &TestDb, b: &[u8]) -> String {
    let hex: String = b.iter().map(|b| format!("{b:02x}")).collect();
    match db.url {
        DatabaseUrl::Sqlite(_) => format!("X'{hex}'"),
        DatabaseUrl::Postgres(_) => format!("decode('{hex}', 'hex')"),
    }
}

/// The fields of a row as the chain hashes them, written from the description in
/// docs/architecture.md: what an attacker computes.
fn encode(put: &mut dyn FnMut(&[u8]), prev: &[u8], r: &AuditRow) {
    let mut field = |b: Option<&[u8]>| match b {
        None => put(&[0u8]),
        Some(b) => {
            put(&[1u8]);
            put(&(b.len() as u64).to_le_bytes());
            put(b);
        }
    };
    let at = r.at.to_rfc3339_opts(SecondsFormat::Micros, true);
    field(Some(prev));
    field(Some(&r.seq.to_le_bytes()));
    field(Some(at.as_bytes()));
    field(Some(r.actor.as_bytes()));
    field(Some(r.source.as_bytes()));
    field(Some(r.action.as_bytes()));
    field(r.entity.as_deref().map(str::as_bytes));
    field(r.entity_id.as_deref().map(str::as_bytes));
    field(r.detail.as_deref().map(str::as_bytes));
}

fn plain_hash(prev: &[u8], r: &AuditRow) -> Vec<u8> {
    let mut h = Sha256::new();
    encode(&mut |b| h.update(b), prev, r);
    h.finalize().to_vec()
}

/// The keyed hash, for someone who also holds the operator's key `material`.
fn keyed_hash(material: &[u8; 32], keyed_from: i64, prev: &[u8], r: &AuditRow) -> Vec<u8> {
    use hmac::Mac;
    let mut key = [0u8; 32];
    hkdf::Hkdf::<Sha256>::from_prk(material)
        .unwrap()
        .expand(b"goldaw audit chain v1", &mut key)
        .unwrap();
    let mut m = <hmac::Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    let mut lead = Vec::new();
    for b in [&b"goldaw audit event v1"[..], &keyed_from.to_le_bytes()[..]] {
        lead.push(1u8);
        lead.extend((b.len() as u64).to_le_bytes());
        lead.extend(b);
    }
    m.update(&lead);
    encode(&mut |b| m.update(b), prev, r);
    m.finalize().into_bytes().to_vec()
}

/// Every event, oldest first.
async fn rows(store: &Store) -> Vec<AuditRow> {
    let mut rows = store
        .audit_events(
            &Principal::system("test"),
            &AuditQuery {
                limit: 10_000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    rows.reverse();
    rows
}

/// Gives event `seq` a new detail and recomputes the plain hash of it and every event after it,
/// and the head, keeping events `..seq` as they are (their hashes read from the database).
/// `extra` is more SQL run with it (on `audit_head`, say).
async fn rewrite(db: &TestDb, store: &Store, seq: i64, detail: &str, extra: &str) {
    let mut rows = rows(store).await;
    let mut prev = if seq == 1 {
        vec![0u8; 32]
    } else {
        stored_hash(db, store, seq - 1).await
    };
    let mut sql = String::new();
    for r in rows.iter_mut().filter(|r| r.seq >= seq) {
        if r.seq == seq {
            r.detail = Some(detail.to_owned());
        }
        let hash = plain_hash(&prev, r);
        sql.push_str(&format!(
            "UPDATE audit_events SET detail = {}, prev_hash = {}, hash = {} WHERE seq = {};\n",
            r.detail
                .as_deref()
                .map_or("NULL".to_owned(), |d| format!("'{d}'")),
            bytes(db, &prev),
            bytes(db, &hash),
            r.seq
        ));
        prev = hash;
    }
    sql.push_str(&format!(
        "UPDATE audit_head SET hash = {} WHERE id = 1;\n{extra}",
        bytes(db, &prev)
    ));
    tamper(db, &sql).await;
}

async fn stored_hash(db: &TestDb, store: &Store, seq: i64) -> Vec<u8> {
    let head = store.verify_audit_with(&[]).await.unwrap().head;
    if head.seq == seq {
        return head.hash;
    }
    // The hash of an earlier event is the next one's link; read it as an attacker would.
    match &db.url {
        DatabaseUrl::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row("SELECT hash FROM audit_events WHERE seq = ?1", [seq], |r| {
                r.get(0)
            })
            .unwrap(),
        DatabaseUrl::Postgres(url) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = $1")
                .bind(seq)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    }
}

async fn person(store: &Store, name: &str) {
    store
        .create_person(
            &Principal::system("test"),
            None,
            serde_json::from_value(
                json!({"given_name": name, "sex": "F", "admin_unit": "TM-L-01"}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
}

async fn read(store: &Store, id: &str) {
    store
        .audit(
            &Principal::system("test"),
            AuditEvent::on("test.read", "person", id),
        )
        .await
        .unwrap();
}

fn intact(check: AuditCheck, backend: &str) -> u64 {
    match check {
        AuditCheck::Intact { events } => events,
        other => panic!("{backend}: not intact: {other:?}"),
    }
}

goldaw_store::each_backend! {
    /// Changes (in their own transaction) and reads (group commit, on PostgreSQL also from a second
    /// process whose batches must take the long way) write one keyed chain, from the first event.
    multi_thread async fn changes_and_group_commit_write_one_keyed_chain(db: TestDb) {
        let a = db.open_with_key().await;
        let b = db.open_with_key().await;
        person(&a, "Aýna").await;
        let reads = (0..40).map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                if i % 10 == 3 {
                    person(&store, &format!("Jeren{i}")).await;
                }
                read(&store, &format!("r{i}")).await
            })
        });
        for r in futures::future::join_all(reads).await {
            r.unwrap();
        }
        let report = b.verify_audit_with(&[]).await.unwrap();
        assert_eq!(report.keyed_from, Some(1), "{}", db.backend);
        let events = intact(report.check, db.backend);
        assert!(events >= 45, "{}: {events}", db.backend);

        // Without the key the keyed part is not reported intact, and may not be written to.
        let keyless = db.open().await;
        assert_eq!(
            keyless.verify_audit().await.unwrap(),
            AuditCheck::KeyNeeded {
                events,
                keyed_from: 1
            },
            "{}",
            db.backend
        );
        let refused = keyless
            .audit(&Principal::system("test"), AuditEvent::plain("test.read"))
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.contains("needs the encryption key"), "{refused}");
        let refused = keyless
            .create_person(
                &Principal::system("test"),
                None,
                serde_json::from_value(
                    json!({"given_name": "Selbi", "sex": "F", "admin_unit": "TM-L-01"}),
                )
                .unwrap(),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.contains("needs the encryption key"), "{refused}");
        assert_eq!(
            intact(a.verify_audit().await.unwrap(), db.backend),
            events,
            "{}: nothing was written without the key",
            db.backend
        );
        for s in [a, b, keyless] {
            s.close().await;
        }
    }
}

goldaw_store::each_backend! {
    /// What someone with write access to the database does: change an event's detail, recompute the
    /// plain hashes after it and the head. A plain chain passes; the keyed one does not, nor does
    /// it when they also clear or move the start of the keyed part.
    async fn a_rewritten_event_with_recomputed_hashes_is_found(db: TestDb) {
        let store = db.open_with_key().await;
        person(&store, "Aýna").await;
        read(&store, "p1").await;
        read(&store, "p2").await;
        person(&store, "Jeren").await;
        let events = intact(store.verify_audit().await.unwrap(), db.backend);

        rewrite(&db, &store, 2, "rewritten", "").await;
        match store.verify_audit().await.unwrap() {
            AuditCheck::Broken { seq, reason } => {
                assert_eq!(seq, 2, "{}", db.backend);
                assert!(reason.contains("keyed hash"), "{reason}");
            }
            other => panic!("{}: the rewrite was not found: {other:?}", db.backend),
        }

        // The start moved past the rewritten event (the events before it made plain): the first
        // keyed event left covers the real start.
        rewrite(
            &db,
            &store,
            1,
            "rewritten",
            "UPDATE audit_head SET keyed_from = 3 WHERE id = 1;",
        )
        .await;
        let moved = store.verify_audit().await.unwrap();
        assert!(
            matches!(moved, AuditCheck::Broken { seq: 3, .. }),
            "{}: {moved:?}",
            db.backend
        );

        // The whole log made plain: with the key this is not passed as intact.
        rewrite(
            &db,
            &store,
            1,
            "rewritten",
            "UPDATE audit_head SET keyed_from = NULL, key_check = NULL WHERE id = 1;",
        )
        .await;
        assert_eq!(
            store.verify_audit().await.unwrap(),
            AuditCheck::Unkeyed { events },
            "{}",
            db.backend
        );
        store.close().await;
    }
}

goldaw_store::each_backend! {
    /// A database written before the chain was keyed (or without the key): its events keep their plain
    /// hashes, the first event written with the key starts the keyed part, and a change to an old
    /// event, recomputed up to the keyed part, is found where the keyed part begins.
    async fn a_plain_chain_keeps_its_hashes_and_the_keyed_part_follows_it(db: TestDb) {
        let old = db.open().await;
        person(&old, "Aýna").await;
        read(&old, "p1").await;
        let before = old.verify_audit_with(&[]).await.unwrap();
        assert_eq!(before.check, AuditCheck::Intact { events: 2 });
        assert_eq!(before.keyed_from, None);
        old.close().await;
        // As a database migrated from before 0013: the columns and the migration removed, the
        // migration runs again when the store opens.
        let undo = match db.url {
            DatabaseUrl::Sqlite(_) => {
                "ALTER TABLE audit_head DROP COLUMN keyed_from; ALTER TABLE audit_head DROP COLUMN key_check;"
            }
            DatabaseUrl::Postgres(_) => {
                "ALTER TABLE audit_head DROP COLUMN keyed_from, DROP COLUMN key_check;"
            }
        };
        tamper(
            &db,
            &format!("{undo} DELETE FROM _sqlx_migrations WHERE version = 13;"),
        )
        .await;

        let store = db.open_with_key().await;
        let migrated = store.verify_audit_with(&[]).await.unwrap();
        assert_eq!(migrated.head, before.head, "{}: hashes kept", db.backend);
        // With the key, but nothing keyed yet: not passed as intact until goldaw writes with it.
        assert_eq!(migrated.check, AuditCheck::Unkeyed { events: 2 });
        read(&store, "p2").await;
        person(&store, "Jeren").await;
        let after = store.verify_audit_with(&[]).await.unwrap();
        assert_eq!(after.keyed_from, Some(3), "{}", db.backend);
        assert_eq!(after.check, AuditCheck::Intact { events: 4 });

        // An old, plain event changed and the plain hashes recomputed up to the keyed part: the
        // first keyed event's link no longer holds, and cannot be recomputed.
        let mut sql = String::new();
        let all = rows(&store).await;
        let mut prev = vec![0u8; 32];
        for r in all.iter().filter(|r| r.seq < 3) {
            let mut r = r.clone();
            if r.seq == 1 {
                r.detail = Some("rewritten".into());
            }
            let hash = plain_hash(&prev, &r);
            sql.push_str(&format!(
                "UPDATE audit_events SET detail = {}, prev_hash = {}, hash = {} WHERE seq = {};\n",
                r.detail
                    .as_deref()
                    .map_or("NULL".to_owned(), |d| format!("'{d}'")),
                bytes(&db, &prev),
                bytes(&db, &hash),
                r.seq
            ));
            prev = hash;
        }
        tamper(&db, &sql).await;
        match store.verify_audit().await.unwrap() {
            AuditCheck::Broken { seq, reason } => {
                assert_eq!(seq, 3, "{}", db.backend);
                assert!(reason.contains("link"), "{reason}");
            }
            other => panic!("{}: not found: {other:?}", db.backend),
        }
        store.close().await;
    }
}

/// An anchor kept outside the database finds what the key cannot: the newest events removed with
/// the head moved back, and a log rewritten by someone who holds the key as well.
#[tokio::test]
async fn an_anchor_finds_removed_and_rewritten_events() {
    for db in databases().await {
        let store = db.open_with_key().await;
        person(&store, "Aýna").await;
        read(&store, "p1").await;
        read(&store, "p2").await;
        let anchor = store.verify_audit_with(&[]).await.unwrap().head;
        assert_eq!(anchor.seq, 3, "{}", db.backend);
        let back: AuditAnchor = anchor.to_string().parse().unwrap();
        read(&store, "p3").await;
        let later = store
            .verify_audit_with(std::slice::from_ref(&back))
            .await
            .unwrap();
        assert_eq!(later.check, AuditCheck::Intact { events: 4 });

        // The last two events removed and the head moved back to the event before them.
        let hash2 = stored_hash(&db, &store, 2).await;
        tamper(
            &db,
            &format!(
                "DELETE FROM audit_events WHERE seq >= 3; UPDATE audit_head SET seq = 2, hash = {} WHERE id = 1;",
                bytes(&db, &hash2)
            ),
        )
        .await;
        assert_eq!(
            store.verify_audit().await.unwrap(),
            AuditCheck::Intact { events: 2 },
            "{}: without the anchor this cannot be seen",
            db.backend
        );
        match store
            .verify_audit_with(std::slice::from_ref(&back))
            .await
            .unwrap()
            .check
        {
            AuditCheck::Broken { seq, reason } => {
                assert_eq!(seq, 3, "{}", db.backend);
                assert!(reason.contains("removed"), "{reason}");
            }
            other => panic!("{}: truncation not found: {other:?}", db.backend),
        }
    }
    for db in databases().await {
        // Someone with the key too rewrites event 2 and keys the log again from 1, as goldaw would.
        let store = db.open_with_key().await;
        person(&store, "Aýna").await;
        read(&store, "p1").await;
        let anchor = store.verify_audit_with(&[]).await.unwrap().head;
        read(&store, "p2").await;
        let mut sql = String::new();
        let mut prev = stored_hash(&db, &store, 1).await;
        for mut r in rows(&store).await.into_iter().filter(|r| r.seq >= 2) {
            if r.seq == 2 {
                r.detail = Some("rewritten".into());
            }
            let hash = keyed_hash(&[7u8; 32], 1, &prev, &r);
            sql.push_str(&format!(
                "UPDATE audit_events SET detail = {}, prev_hash = {}, hash = {} WHERE seq = {};\n",
                r.detail
                    .as_deref()
                    .map_or("NULL".to_owned(), |d| format!("'{d}'")),
                bytes(&db, &prev),
                bytes(&db, &hash),
                r.seq
            ));
            prev = hash;
        }
        sql.push_str(&format!(
            "UPDATE audit_head SET hash = {} WHERE id = 1;",
            bytes(&db, &prev)
        ));
        tamper(&db, &sql).await;
        assert_eq!(
            store.verify_audit().await.unwrap(),
            AuditCheck::Intact { events: 3 },
            "{}: with the key a rewrite passes",
            db.backend
        );
        match store
            .verify_audit_with(std::slice::from_ref(&anchor))
            .await
            .unwrap()
            .check
        {
            AuditCheck::Broken { seq, reason } => {
                assert_eq!(seq, 2, "{}", db.backend);
                assert!(reason.contains("anchor"), "{reason}");
            }
            other => panic!("{}: rewrite not found: {other:?}", db.backend),
        }
        store.close().await;
    }
}

goldaw_store::each_backend! {
    /// A key other than the one the log was keyed with is refused when the store opens, saying so.
    async fn a_wrong_key_is_refused_clearly(db: TestDb) {
        let store = db.open_with_key().await;
        read(&store, "p1").await;
        store.close().await;
        let Err(e) = Store::open_with_secrets(&db.url, Some(Secrets::from_key([9u8; 32]))).await
        else {
            panic!("{}: opened with another key", db.backend)
        };
        let e = e.to_string();
        assert!(
            e.contains("not the one this database's audit log is keyed with"),
            "{}: {e}",
            db.backend
        );
    }
}
