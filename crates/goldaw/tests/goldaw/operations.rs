//! Operating goldaw for real (issue #20): a backup taken while a load writes restores every
//! person acknowledged before it began, with its audit chain, and serves; a server killed with
//! SIGKILL under concurrent writes loses nothing it acknowledged. The real program, both databases.

use goldaw_core::access::Scope;
use goldaw_core::codes::Role;
use goldaw_core::people::PersonData;
use goldaw_store::audit::AuditCheck;
use goldaw_store::crypto::Secrets;
use goldaw_store::users::NewUser;
use goldaw_store::{DatabaseUrl, Principal, Store};
use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const KEY: &str = "5f3c0c6f1a2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6";
const PASSWORD: &str = "Köpetdag dagy 2942 m";

fn url(db: &DatabaseUrl) -> String {
    match db {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

fn command(dir: &Path, db: &DatabaseUrl, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_goldaw"));
    cmd.current_dir(dir)
        .env_remove("GOLDAW_DATABASE_URL")
        .env_remove("GOLDAW_ENCRYPTION_KEY_FILE")
        .env("GOLDAW_ENCRYPTION_KEY", KEY)
        .arg("--database-url")
        .arg(url(db))
        .args(args)
        .stdin(Stdio::null());
    cmd
}

fn goldaw(dir: &Path, db: &DatabaseUrl, args: &[&str]) -> Output {
    command(dir, db, args).output().expect("goldaw runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn open(db: &DatabaseUrl) -> Store {
    Store::open_with_secrets(db, Some(Secrets::from_hex(KEY).unwrap()))
        .await
        .unwrap()
}

/// A supervisor of TM-A-01 and an API token for them.
async fn supervisor_token(store: &Store) -> String {
    let op = Principal::system("test");
    store
        .add_user(
            &op,
            NewUser {
                username: "sup".into(),
                role: Role::Supervisor,
                scope: "TM-A-01".parse::<Scope>().unwrap(),
                sensitive: false,
                unsuppressed: false,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    store.create_token(&op, "sup").await.unwrap()
}

fn person(n: usize) -> PersonData {
    serde_json::from_value(serde_json::json!({
        "given_name": format!("Aýna{n}"), "family_name": "Orazowa", "sex": "F",
        "birth_date": "1990-04-02", "admin_unit": "TM-A-01"
    }))
    .unwrap()
}

/// Every person id in the database, read behind goldaw's back.
async fn person_ids(db: &DatabaseUrl) -> HashSet<Uuid> {
    use sqlx::Connection;
    match db {
        DatabaseUrl::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM persons")
                .fetch_all(&mut c)
                .await
                .unwrap();
            let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&mut c)
                .await
                .unwrap();
            assert_eq!(ok, "ok", "integrity_check of {}", path.display());
            c.close().await.unwrap();
            ids.into_iter().collect()
        }
        DatabaseUrl::Postgres(u) => {
            let mut c = sqlx::PgConnection::connect(u).await.unwrap();
            let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM persons")
                .fetch_all(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
            ids.into_iter().collect()
        }
    }
}

async fn assert_chain_intact(db: &DatabaseUrl, what: &str) {
    let store = open(db).await;
    let check = store.verify_audit().await.unwrap();
    store.close().await;
    assert!(
        matches!(check, AuditCheck::Intact { .. }),
        "{what}: the audit chain: {check:?}"
    );
}

fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("127.0.0.1:{}", l.local_addr().unwrap().port())
}

/// `goldaw serve` on `db`, answering `/health` (or a panic with its log).
async fn serve(dir: &Path, db: &DatabaseUrl) -> (Child, String) {
    let listen = free_port();
    let mut child = command(dir, db, &["serve", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://{listen}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/health")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().unwrap();
            panic!("serve stopped ({status}): {}", text(&out.stderr));
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("serve did not answer /health within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, base)
}

fn sigkill(mut child: Child) {
    // std's kill is SIGKILL on Unix: no shutdown, no flush, no goodbye.
    child.kill().unwrap();
    let _ = child.wait();
}

goldaw_store::each_backend! {
    /// `goldaw backup` while persons are being written: the copy passes its checks, and restored
    /// into an empty database it holds every person acknowledged before the backup began, its
    /// chain verifies, and it serves. Restoring over data is refused without --force; a changed
    /// copy is refused.
    multi_thread async fn a_backup_under_load_restores_every_acknowledged_person_and_serves(db: TestDb) {
        let b = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let store = open(&db.url).await;
        let token = supervisor_token(&store).await;
        let acked: Arc<Mutex<Vec<Uuid>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let load = {
            let (store, acked, stop) = (store.clone(), acked.clone(), stop.clone());
            tokio::spawn(async move {
                let op = Principal::system("load");
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let rec = store.create_person(&op, None, person(n)).await.unwrap();
                    acked.lock().unwrap().push(rec.id);
                    n += 1;
                }
            })
        };
        while acked.lock().unwrap().len() < 30 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let before: Vec<Uuid> = acked.lock().unwrap().clone();
        let backup_dir = dir.path().join("bk");
        let out = {
            let (d, u, bk) = (dir.path().to_owned(), db.url.clone(), backup_dir.clone());
            tokio::task::spawn_blocking(move || {
                goldaw(&d, &u, &["backup", "--output", bk.to_str().unwrap()])
            })
            .await
            .unwrap()
        };
        let during = acked.lock().unwrap().len() - before.len();
        stop.store(true, Ordering::Relaxed);
        load.await.unwrap();
        store.close().await;
        assert!(out.status.success(), "{b}: backup: {}", text(&out.stderr));
        let said = text(&out.stdout);
        assert!(said.contains("audit chain intact"), "{b}: {said}");
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(backup_dir.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["backend"], b);
        assert!(manifest["schema_version"].as_i64().unwrap() >= 14, "{manifest}");
        assert!(manifest["audit_head"].as_str().unwrap().contains(':'), "{manifest}");
        if b == "sqlite" {
            assert!(said.contains("integrity_check: ok"), "{said}");
        }
        eprintln!("{b}: {} persons acknowledged before the backup, {during} while it ran", before.len());

        // A second backup into the same folder is refused.
        let again = goldaw(dir.path(), &db.url, &["backup", "--output", backup_dir.to_str().unwrap()]);
        assert!(!again.status.success());
        assert!(text(&again.stderr).contains("not empty"), "{b}: {}", text(&again.stderr));

        // Restored into an empty database.
        let target = goldaw_store::testing::backend(b).await.unwrap();
        let out = goldaw(dir.path(), &target.url, &["restore", "--input", backup_dir.to_str().unwrap()]);
        assert!(out.status.success(), "{b}: restore: {}", text(&out.stderr));
        let restored = person_ids(&target.url).await;
        let missing = before.iter().filter(|id| !restored.contains(id)).count();
        assert_eq!(missing, 0, "{b}: acknowledged persons missing from the restored copy");
        assert_chain_intact(&target.url, "restored").await;

        // Over data: refused, unchanged; forced: done.
        let out = goldaw(dir.path(), &target.url, &["restore", "--input", backup_dir.to_str().unwrap()]);
        assert!(!out.status.success(), "{b}: restored over data");
        let err = text(&out.stderr);
        assert!(err.contains("holds data") && err.contains("--force"), "{b}: {err}");
        let out = goldaw(dir.path(), &target.url, &["restore", "--force", "--input", backup_dir.to_str().unwrap()]);
        assert!(out.status.success(), "{b}: forced restore: {}", text(&out.stderr));
        assert_chain_intact(&target.url, "restored with --force").await;

        // A copy changed after the backup is refused before anything is touched.
        let bad_dir = dir.path().join("bad");
        std::fs::create_dir(&bad_dir).unwrap();
        for f in std::fs::read_dir(&backup_dir).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, bad_dir.join(f.file_name().unwrap())).unwrap();
        }
        let copy = bad_dir.join(manifest["file"].as_str().unwrap());
        let mut bytes = std::fs::read(&copy).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&copy, bytes).unwrap();
        let fresh = goldaw_store::testing::backend(b).await.unwrap();
        let out = goldaw(dir.path(), &fresh.url, &["restore", "--input", bad_dir.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("truncated or changed"), "{b}: {}", text(&out.stderr));

        // The restored database serves: the person and the token of before the backup.
        let (child, base) = serve(dir.path(), &target.url).await;
        let answer = reqwest::Client::new()
            .get(format!("{base}/api/v1/persons/{}", before[0]))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let body = answer.text().await.unwrap();
        sigkill(child);
        assert_eq!(status, 200, "{b}: {body}");
        assert!(body.contains(&before[0].to_string()), "{b}: {body}");
    }

    /// `goldaw serve` killed with SIGKILL three times under concurrent writes through the API:
    /// after each restart every write it acknowledged is there, the database is intact and the
    /// audit chain verifies.
    multi_thread async fn sigkill_under_concurrent_writes_loses_no_acknowledged_write(db: TestDb) {
        let b = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let store = open(&db.url).await;
        let token = supervisor_token(&store).await;
        store.close().await;
        let acked: Arc<Mutex<Vec<Uuid>>> = Arc::default();
        let mut attempted = 0usize;
        let mut found = 0usize;
        const ROUNDS: usize = 3;
        const WRITERS: usize = 4;
        const PER_ROUND: usize = 40;
        for round in 0..ROUNDS {
            let (child, base) = serve(dir.path(), &db.url).await;
            let target = acked.lock().unwrap().len() + PER_ROUND;
            let stop = Arc::new(AtomicBool::new(false));
            let tried = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let writers: Vec<_> = (0..WRITERS)
                .map(|w| {
                    let (base, token, acked, stop, tried) =
                        (base.clone(), token.clone(), acked.clone(), stop.clone(), tried.clone());
                    tokio::spawn(async move {
                        let client = reqwest::Client::new();
                        let mut n = 0;
                        while !stop.load(Ordering::Relaxed) {
                            n += 1;
                            tried.fetch_add(1, Ordering::Relaxed);
                            let body = serde_json::json!({
                                "given_name": format!("R{round}W{w}N{n}"), "family_name": "Orazowa",
                                "sex": "F", "birth_date": "1990-04-02", "admin_unit": "TM-A-01"
                            });
                            let Ok(r) = client
                                .post(format!("{base}/api/v1/persons"))
                                .bearer_auth(&token)
                                .json(&body)
                                .send()
                                .await
                            else {
                                break; // the server is gone
                            };
                            if r.status() != 201 {
                                break;
                            }
                            let Ok(v) = r.json::<serde_json::Value>().await else { break };
                            let id: Uuid = v["id"].as_str().unwrap().parse().unwrap();
                            acked.lock().unwrap().push(id);
                        }
                    })
                })
                .collect();
            let started = Instant::now();
            while acked.lock().unwrap().len() < target {
                assert!(started.elapsed() < Duration::from_secs(300), "{b}: the writes did not go through");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // Killed while the writers are still sending.
            sigkill(child);
            stop.store(true, Ordering::Relaxed);
            for w in writers {
                w.await.unwrap();
            }
            attempted += tried.load(Ordering::Relaxed);
            let present = person_ids(&db.url).await;
            let acked_now = acked.lock().unwrap().clone();
            found = acked_now.iter().filter(|id| present.contains(id)).count();
            let lost = acked_now.len() - found;
            eprintln!(
                "{b}: round {round}: SIGKILL; {} acknowledged so far, {found} found after it, lost: {lost}",
                acked_now.len()
            );
            assert_eq!(lost, 0, "{b}: round {round}: acknowledged writes lost");
        }
        let acked_total = acked.lock().unwrap().len();
        eprintln!(
            "{b}: {ROUNDS} SIGKILLs, {attempted} writes sent, {acked_total} acknowledged, \
             {found} found after the restarts, lost: {}",
            acked_total - found
        );
        // Restarted once more: it serves, and the chain holds every event.
        let (child, _) = serve(dir.path(), &db.url).await;
        sigkill(child);
        assert_chain_intact(&db.url, "after the kills").await;
    }
}
