//! SQLite: the audit writer commits on a connection that does not checkpoint, and a background
//! connection checkpoints the WAL instead (`audit_writer.rs`). These tests hold that the WAL stays
//! bounded under a stream of read events, and that the chain stays whole, on both databases.

use goldaw_store::audit::{AuditCheck, AuditEvent};
use goldaw_store::{DatabaseUrl, Principal};
use std::time::Duration;

/// Sequential read events, each its own commit: without a checkpoint the WAL would hold every
/// one of them (three pages or more each, 4 KiB a page).
const READS: usize = 3_000;

fn wal_bytes(url: &DatabaseUrl) -> u64 {
    let DatabaseUrl::Sqlite(path) = url else {
        return 0;
    };
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

goldaw_store::each_backend! {
    multi_thread async fn the_wal_is_checkpointed_in_the_background_and_stays_bounded(db: TestDb) {
        let store = db.open().await;
        let op = Principal::system("test");
        let mut largest = 0;
        for i in 0..READS {
            store
                .audit(&op, AuditEvent::on("test.read", "person", i))
                .await
                .unwrap();
            if i % 100 == 0 {
                largest = largest.max(wal_bytes(&db.url));
            }
        }
        // One interval for the last checkpoint, then one more commit starts the WAL over.
        tokio::time::sleep(Duration::from_millis(600)).await;
        store
            .audit(&op, AuditEvent::on("test.read", "person", "last"))
            .await
            .unwrap();
        largest = largest.max(wal_bytes(&db.url));
        if db.backend == "sqlite" {
            // 3,000 commits unchecked grow the WAL past 50 MiB; the writer's own checkpoint past
            // 1,000 pages (4 MiB) bounds it when the background one cannot catch up. A checkpoint
            // cannot pass a reader still on an older snapshot, so on a loaded machine (the whole
            // suite on two cores) the WAL was seen at 9-16 MiB before the next one caught up: the
            // bound is 24 MiB, still far under the 50 MiB an unchecked WAL reaches.
            assert!(
                largest < 24 << 20,
                "the WAL grew to {largest} bytes over {READS} commits"
            );
            assert!(largest > 0, "no WAL seen: is the database in WAL mode?");
        }
        match store.verify_audit().await.unwrap() {
            AuditCheck::Intact { events } => {
                assert!(events > READS as u64, "{}: {events} events", db.backend)
            }
            other => panic!("{}: the chain is broken: {other:?}", db.backend),
        }
        store.close().await;
    }
}

goldaw_store::each_backend! {
    /// A store that closes finishes its batches first, and a store opened after it carries on the
    /// same chain.
    async fn closing_the_store_closes_the_writer_and_the_chain_carries_on(db: TestDb) {
        let op = Principal::system("test");
        let first = db.open().await;
        first
            .audit(&op, AuditEvent::on("test.read", "person", "before"))
            .await
            .unwrap();
        first.close().await;
        drop(first);
        let second = db.open().await;
        second
            .audit(&op, AuditEvent::on("test.read", "person", "after"))
            .await
            .unwrap();
        match second.verify_audit().await.unwrap() {
            AuditCheck::Intact { events } => assert!(events >= 2, "{}: {events}", db.backend),
            other => panic!("{}: the chain is broken: {other:?}", db.backend),
        }
        second.close().await;
    }
}
