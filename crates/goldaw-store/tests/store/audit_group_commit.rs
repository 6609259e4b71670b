//! The group commit of read events when someone else appends to the chain between two batches:
//! a second process on the same database (another `goldaw serve`, the command line), or a change
//! committing its own event. On PostgreSQL the writer chains a batch after the head it last wrote
//! and writes it in one statement that only applies if the head is still there; these tests make
//! the head move under it and check that nothing is lost, doubled or misplaced.

use goldaw_store::audit::{AuditCheck, AuditEvent, AuditQuery};
use goldaw_store::{Principal, Store};
use serde_json::json;

async fn events(store: &Store, backend: &str) -> u64 {
    match store.verify_audit().await.unwrap() {
        AuditCheck::Intact { events } => events,
        other => panic!("{backend}: the chain is broken: {other:?}"),
    }
}

async fn read(store: &Store, who: &Principal, id: &str) {
    store
        .audit(who, AuditEvent::on("test.read", "person", id))
        .await
        .unwrap();
}

goldaw_store::each_backend! {
    async fn a_batch_after_another_process_appended_lands_after_its_events(db: TestDb) {
        let a = db.open().await;
        let b = db.open().await;
        let op = Principal::system("test");
        let before = events(&a, db.backend).await;

        read(&a, &op, "a1").await; // a's writer now knows the head
        read(&b, &op, "b1").await; // another writer moves it
        b.create_person(
            &op,
            None,
            serde_json::from_value(
                json!({"given_name": "Maýsa", "sex": "F", "admin_unit": "TM-L-01"}),
            )
            .unwrap(),
        )
        .await
        .unwrap(); // and a change, in its own transaction
        read(&a, &op, "a2").await; // a's head is stale: this batch must go after b's events
        read(&a, &op, "a3").await; // and the next one after it

        let after = events(&a, db.backend).await;
        // Four reads and the person created (its event, at least).
        assert!(after > before + 4, "{}: {before} -> {after}", db.backend);
        let rows = a
            .audit_events(
                &op,
                &AuditQuery {
                    actor: Some(op.actor.clone()),
                    limit: 1_000,
                    ..AuditQuery::default()
                },
            )
            .await
            .unwrap();
        // Newest first.
        let reads: Vec<_> = rows
            .iter()
            .filter(|r| r.action == "test.read")
            .filter_map(|r| r.entity_id.as_deref())
            .collect();
        assert_eq!(reads, ["a3", "a2", "b1", "a1"], "{}", db.backend);
        a.close().await;
        b.close().await;
    }
}

goldaw_store::each_backend! {
    /// Two writers (two processes) batching reads at once, with changes between: every event once,
    /// the chain intact.
    multi_thread async fn two_writers_at_once_keep_the_chain_whole(db: TestDb) {
        let a = db.open().await;
        let b = db.open().await;
        let op = Principal::system("test");
        let before = events(&a, db.backend).await;
        const READS: usize = 200;
        let tasks = (0..READS).map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let op = op.clone();
            tokio::spawn(async move {
                if i % 50 == 7 {
                    store
                        .create_person(
                            &op,
                            None,
                            serde_json::from_value(json!({
                                "given_name": format!("Döwlet{i}"), "sex": "M", "admin_unit": "TM-L-01"
                            }))
                            .unwrap(),
                        )
                        .await
                        .unwrap();
                }
                store
                    .audit(&op, AuditEvent::on("test.read", "person", format!("r{i}")))
                    .await
            })
        });
        for r in futures::future::join_all(tasks).await {
            r.unwrap().unwrap();
        }
        let after = events(&b, db.backend).await;
        assert!(after >= before + READS as u64, "{}", db.backend);
        let rows = a
            .audit_events(
                &op,
                &AuditQuery {
                    actor: Some(op.actor.clone()),
                    limit: 10_000,
                    ..AuditQuery::default()
                },
            )
            .await
            .unwrap();
        let mut ids: Vec<_> = rows
            .iter()
            .filter(|r| r.action == "test.read")
            .filter_map(|r| r.entity_id.clone())
            .collect();
        assert_eq!(ids.len(), READS, "{}: every read once", db.backend);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), READS, "{}: no read twice", db.backend);
        a.close().await;
        b.close().await;
    }
}
