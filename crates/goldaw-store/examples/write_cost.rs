//! What a commit costs on SQLite (issue #20, item 2: `synchronous=FULL`): persons created through
//! the store, by one writer and by 8 at once, and person reads (each audited, group-committed) by
//! 8 readers, on a fresh database in a temporary folder on the disk the OS gives for it
//! (`TMPDIR`: put it on the disk goldaw would use).
//!
//! ```sh
//! nice -n 15 cargo run --release -p goldaw-store --example write_cost -- 2000
//! ```
//!
//! Prints operations a second and the median and 99th-percentile latency of each load (the store
//! runs `synchronous=FULL`), then the cost of a bare commit with NORMAL and with FULL on the same
//! disk; docs/operations.md has the figures.

use goldaw_core::people::PersonData;
use goldaw_store::{DatabaseUrl, Principal, Store};
use std::time::{Duration, Instant};

fn person(n: usize) -> PersonData {
    serde_json::from_value(serde_json::json!({
        "given_name": format!("Aýna{n}"), "family_name": "Orazowa", "sex": "F",
        "birth_date": "1990-04-02", "admin_unit": "TM-A-01"
    }))
    .expect("a valid person")
}

fn report(what: &str, mut took: Vec<Duration>, wall: Duration) {
    took.sort();
    let n = took.len();
    let at = |q: f64| took[((n as f64 * q) as usize).min(n - 1)];
    println!(
        "{what:<32} {n:>6} ops  {:>8.0} ops/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
        n as f64 / wall.as_secs_f64(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("goldaw-write-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let url = DatabaseUrl::Sqlite(dir.join("goldaw.db"));
    let store = Store::open(&url).await.expect("the store opens");
    let op = Principal::system("bench");

    // One writer: every create is one commit.
    let mut took = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        ids.push(store.create_person(&op, None, person(i)).await.unwrap().id);
        took.push(t.elapsed());
    }
    report("create person, 1 writer", took, start.elapsed());

    // 8 writers at once.
    let start = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let (store, op) = (store.clone(), op.clone());
            tokio::spawn(async move {
                let mut took = Vec::new();
                for i in 0..n / 8 {
                    let t = Instant::now();
                    store
                        .create_person(&op, None, person(n + w * n + i))
                        .await
                        .unwrap();
                    took.push(t.elapsed());
                }
                took
            })
        })
        .collect();
    let mut took = Vec::new();
    for t in tasks {
        took.extend(t.await.unwrap());
    }
    report("create person, 8 writers", took, start.elapsed());

    // 8 readers: each read is audited; the events are committed in groups.
    let start = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let (store, op, ids) = (store.clone(), op.clone(), ids.clone());
            tokio::spawn(async move {
                let mut took = Vec::new();
                for i in 0..n / 8 {
                    let t = Instant::now();
                    store
                        .person(&op, ids[(w * 131 + i) % ids.len()])
                        .await
                        .unwrap();
                    took.push(t.elapsed());
                }
                took
            })
        })
        .collect();
    let mut took = Vec::new();
    for t in tasks {
        took.extend(t.await.unwrap());
    }
    report("read person (audited), 8 readers", took, start.elapsed());

    store.close().await;

    // The commit alone, without goldaw, on the same disk: one row per transaction in WAL mode,
    // NORMAL against FULL (goldaw's store runs FULL; this is what FULL adds per commit).
    for mode in ["NORMAL", "FULL"] {
        let conn = rusqlite::Connection::open(dir.join(format!("raw-{mode}.db"))).expect("opens");
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {mode};
             CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);"
        ))
        .expect("set up");
        let mut took = Vec::with_capacity(n);
        let start = Instant::now();
        for i in 0..n {
            let t = Instant::now();
            conn.execute("INSERT INTO t (v) VALUES (?1)", [format!("row {i}")])
                .expect("insert");
            took.push(t.elapsed());
        }
        report(
            &format!("raw commit, synchronous={mode}"),
            took,
            start.elapsed(),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
