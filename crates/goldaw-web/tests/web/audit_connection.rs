//! The SQLite audit writer's own connection breaks while the server is busy (issue #20, item 2):
//! people are created and read through the API by several clients at once, and the connection
//! that commits the audit events of reads is broken under them. The batch it was writing is
//! refused (those reads answer the API's JSON 500, never the record without its event), no read
//! is answered without its audit event, no write is acknowledged without its own, the server goes
//! on serving reads on a new connection, and after a restart the whole chain verifies.
//! (Replaces the older unit test of `audit_writer`, which called the writer's function directly.)

use goldaw_core::codes::Role;
use goldaw_store::audit::{AuditCheck, AuditQuery, AuditRow};
use goldaw_store::users::NewUser;
use goldaw_store::{Principal, Store};
use reqwest::StatusCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// Reads answered 200, before and after the break.
    read_before: AtomicUsize,
    read_after: AtomicUsize,
    /// Reads refused, with the API's JSON error of an internal failure.
    refused: AtomicUsize,
    /// Anything else (a 500 that is not the JSON error, another status): must stay 0.
    unexpected: Mutex<Vec<String>>,
    /// People whose creation was acknowledged (201).
    created: Mutex<Vec<Uuid>>,
}

/// The audit events of `entity_id`, read as the operator.
async fn events_of(store: &Store, entity_id: &str) -> Vec<AuditRow> {
    store
        .audit_events(
            &Principal::system("test"),
            &AuditQuery {
                actor: None,
                entity_id: Some(entity_id.to_owned()),
                from: None,
                to: None,
                limit: 10_000,
            },
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broken_audit_writer_connection_refuses_reads_cleanly_and_the_server_recovers() {
    let db = goldaw_store::testing::sqlite().await;
    let store = db.open_with_key().await;
    let op = Principal::system("test");
    store
        .add_user(
            &op,
            NewUser {
                username: "sup".into(),
                role: Role::Supervisor,
                scope: "TM".parse().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap();
    let token = store.create_token(&op, "sup").await.unwrap();
    let app = crate::common::TestApp::spawn(&store).await;
    let client = reqwest::Client::new();
    let person = |name: String| {
        serde_json::json!({
            "given_name": name, "family_name": "Orazowa", "sex": "F",
            "birth_date": "1990-04-02", "admin_unit": "TM-A-01"
        })
    };
    let r = client
        .post(format!("{}/api/v1/persons", app.base))
        .bearer_auth(&token)
        .json(&person("Seed".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let seed: Uuid = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));
    let broken = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for w in 0..2 {
        let (base, token, seen, stop, client) = (
            app.base.clone(),
            token.clone(),
            seen.clone(),
            stop.clone(),
            client.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let r = client
                    .post(format!("{base}/api/v1/persons"))
                    .bearer_auth(&token)
                    .json(&person(format!("W{w}N{n}")))
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                if status == StatusCode::CREATED {
                    let v: serde_json::Value = r.json().await.unwrap();
                    let id: Uuid = v["id"].as_str().unwrap().parse().unwrap();
                    seen.created.lock().unwrap().push(id);
                } else {
                    let text = r.text().await.unwrap_or_default();
                    seen.unexpected
                        .lock()
                        .unwrap()
                        .push(format!("create: {status} {text}"));
                }
            }
        }));
    }
    for _ in 0..3 {
        let (base, token, seen, stop, broken, client) = (
            app.base.clone(),
            token.clone(),
            seen.clone(),
            stop.clone(),
            broken.clone(),
            client.clone(),
        );
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let after = broken.load(Ordering::SeqCst);
                let r = client
                    .get(format!("{base}/api/v1/persons/{seed}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                match status {
                    StatusCode::OK => {
                        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                        assert_eq!(v["id"].as_str(), Some(seed.to_string().as_str()));
                        if after {
                            seen.read_after.fetch_add(1, Ordering::Relaxed);
                        } else {
                            seen.read_before.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    StatusCode::INTERNAL_SERVER_ERROR
                        if serde_json::from_str::<serde_json::Value>(&text)
                            .is_ok_and(|v| v["error"]["code"] == "internal") =>
                    {
                        // Never the record: the API's error, and nothing of the person.
                        assert!(!text.contains("Orazowa"), "{text}");
                        seen.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => seen
                        .unexpected
                        .lock()
                        .unwrap()
                        .push(format!("read: {status} {text}")),
                }
            }
        }));
    }

    let wait_for = |what: &'static str, done: Box<dyn Fn(&Seen) -> bool + Send>| {
        let seen = seen.clone();
        async move {
            let started = Instant::now();
            while !done(&seen) {
                assert!(
                    started.elapsed() < Duration::from_secs(120),
                    "waited two minutes for {what}"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    wait_for(
        "reads and writes before the break",
        Box::new(|s: &Seen| {
            s.read_before.load(Ordering::Relaxed) >= 30 && s.created.lock().unwrap().len() >= 10
        }),
    )
    .await;
    let created_before_break = seen.created.lock().unwrap().len();
    broken.store(true, Ordering::SeqCst);
    assert!(
        store.break_audit_writer_connection().await,
        "the SQLite audit writer has a connection of its own to break"
    );
    // The batch on the broken connection is refused; later ones go through a new connection,
    // while the writes go on.
    wait_for(
        "a refused read, then reads and writes on a new connection",
        Box::new(move |s: &Seen| {
            s.refused.load(Ordering::Relaxed) >= 1
                && s.read_after.load(Ordering::Relaxed) >= 30
                && s.created.lock().unwrap().len() >= created_before_break + 10
        }),
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let unexpected = seen.unexpected.lock().unwrap().clone();
    assert!(unexpected.is_empty(), "{unexpected:?}");

    // No read answered without its event: every 200 has its `person.read`, and the refused
    // reads have none (their batch was not written at all).
    let answered =
        seen.read_before.load(Ordering::Relaxed) + seen.read_after.load(Ordering::Relaxed);
    let recorded = events_of(&store, &seed.to_string())
        .await
        .iter()
        .filter(|e| e.action == "person.read")
        .count();
    assert_eq!(
        recorded,
        answered,
        "{answered} reads answered, {} refused",
        seen.refused.load(Ordering::Relaxed)
    );
    // No write acknowledged without its event (a write records its event in its own
    // transaction, not through the writer: it was never refused).
    let created = seen.created.lock().unwrap().clone();
    let mut missing = Vec::new();
    for id in &created {
        let events = events_of(&store, &id.to_string()).await;
        if !events.iter().any(|e| e.action == "person.create") {
            missing.push(*id);
        }
    }
    assert!(
        missing.is_empty(),
        "acknowledged without their event: {missing:?}"
    );
    eprintln!(
        "audit writer broken under load: {answered} reads answered, {} refused, {} people created",
        seen.refused.load(Ordering::Relaxed),
        created.len()
    );

    // Restarted: the chain verifies from its first event to its last.
    drop(app);
    store.close().await;
    let store: Store = db.open_with_key().await;
    assert!(matches!(
        store.verify_audit().await.unwrap(),
        AuditCheck::Intact { .. }
    ));
    store.close().await;
}
