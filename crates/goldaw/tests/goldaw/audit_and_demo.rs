//! `goldaw audit anchor` / `audit verify --anchor` and `serve --demo`'s refusal of real data, as an
//! operator runs them: the real program, on SQLite and PostgreSQL.

use goldaw_store::testing::{databases, TestDb};
use goldaw_store::{DatabaseUrl, Principal, Store};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "5f3c0c6f1a2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6";
const OTHER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn url(db: &TestDb) -> String {
    match &db.url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

/// `goldaw --database-url URL ARGS` in `dir`, with the encryption key `key` (or none).
fn goldaw(dir: &Path, db: &TestDb, key: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_goldaw"));
    cmd.current_dir(dir)
        .env_remove("GOLDAW_DATABASE_URL")
        .env_remove("GOLDAW_ENCRYPTION_KEY_FILE")
        .env_remove("GOLDAW_ENCRYPTION_KEY")
        .arg("--database-url")
        .arg(url(db))
        .args(args)
        .stdin(Stdio::null());
    if let Some(key) = key {
        cmd.env("GOLDAW_ENCRYPTION_KEY", key);
    }
    cmd.output().expect("goldaw runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs SQL behind goldaw's back, as someone with access to the database would.
async fn tamper(db: &TestDb, sql: &str) {
    use sqlx::Connection;
    match &db.url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
}

fn write_persons(dir: &Path, name: &str) {
    let data = dir.join(name);
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("persons.csv"),
        "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n\
         P1,,Aýna,Orazowa,F,1990-05-01,TM-A-01,rural,true,,,,,,,\n",
    )
    .unwrap();
}

goldaw_store::each_backend! {
    async fn an_anchor_kept_outside_finds_removed_events_and_the_key_is_needed_to_check(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let b = db.backend;
        write_persons(dir.path(), "in");
        let out = goldaw(dir.path(), &db, Some(KEY), &["import", "in"]);
        assert!(out.status.success(), "{b}: {}", text(&out.stderr));

        let out = goldaw(dir.path(), &db, Some(KEY), &["audit", "anchor"]);
        assert!(out.status.success(), "{b}: {}", text(&out.stderr));
        let anchor = text(&out.stdout).trim().to_owned();
        assert!(
            anchor.starts_with("1:") && anchor.len() == 66,
            "{b}: {anchor}"
        );

        // Two more events (the import again changes nothing but is recorded).
        for _ in 0..2 {
            let out = goldaw(dir.path(), &db, Some(KEY), &["import", "in"]);
            assert!(out.status.success(), "{b}: {}", text(&out.stderr));
        }
        let out = goldaw(
            dir.path(),
            &db,
            Some(KEY),
            &["audit", "verify", "--anchor", &anchor],
        );
        assert!(out.status.success(), "{b}: {}", text(&out.stderr));
        let said = text(&out.stdout);
        assert!(
            said.contains("audit log intact: 3 events, all keyed")
                && said.contains(&format!("passes through the anchor {anchor}")),
            "{b}: {said}"
        );

        // Without the key: not passed as intact, and says why.
        let out = goldaw(dir.path(), &db, None, &["audit", "verify"]);
        assert!(!out.status.success(), "{b}: passed without the key");
        let err = text(&out.stderr);
        assert!(
            err.contains("events 1 to 3 are keyed") && err.contains("only with the encryption key"),
            "{b}: {err}"
        );
        // Another key: refused, saying so.
        let out = goldaw(dir.path(), &db, Some(OTHER_KEY), &["audit", "verify"]);
        assert!(!out.status.success(), "{b}: passed with another key");
        let err = text(&out.stderr);
        assert!(
            err.contains("not the one this database's audit log is keyed with"),
            "{b}: {err}"
        );
        // A malformed anchor: what an anchor looks like.
        let out = goldaw(
            dir.path(),
            &db,
            Some(KEY),
            &["audit", "verify", "--anchor", "1:abc"],
        );
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("SEQ:HASH"), "{b}");

        // Every event from the anchored one on removed, and the head moved back to the start: the
        // log that is left is a valid chain (zero events), which only the anchor shows is short.
        let zero = match db.url {
            DatabaseUrl::Sqlite(_) => "zeroblob(32)",
            DatabaseUrl::Postgres(_) => "decode(repeat('00', 32), 'hex')",
        };
        tamper(
            &db,
            &format!(
                "DELETE FROM audit_events; UPDATE audit_head SET seq = 0, hash = {zero}, keyed_from = NULL, key_check = NULL WHERE id = 1;"
            ),
        )
        .await;
        let out = goldaw(dir.path(), &db, None, &["audit", "verify"]);
        assert!(
            out.status.success(),
            "{b}: an emptied log is a valid chain: {}",
            text(&out.stderr)
        );
        let out = goldaw(
            dir.path(),
            &db,
            Some(KEY),
            &["audit", "verify", "--anchor", &anchor],
        );
        assert!(!out.status.success(), "{b}: truncation passed the anchor");
        let err = text(&out.stderr);
        assert!(
            err.contains("audit log broken at event 1") && err.contains("removed"),
            "{b}: {err}"
        );
    }
}

/// What the database holds, and the head of its audit log: to show that nothing was written.
async fn state(db: &TestDb) -> (goldaw_store::holdings::Holdings, String) {
    let store = Store::open(&db.url).await.unwrap();
    let h = store
        .holdings(&Principal::system("test"), &[], "demo.load")
        .await
        .unwrap();
    let head = store.verify_audit_with(&[]).await.unwrap().head.to_string();
    store.close().await;
    (h, head)
}

fn serve_demo(dir: &Path, db: &TestDb) -> (Child, String) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir)
        .env_remove("GOLDAW_DATABASE_URL")
        .env_remove("GOLDAW_ENCRYPTION_KEY_FILE")
        .env_remove("GOLDAW_ENCRYPTION_KEY")
        .args([
            "--database-url",
            &url(db),
            "serve",
            "--demo",
            "--listen",
            &listen,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, listen)
}

/// Starts `serve --demo` and waits until it answers; then stops it.
fn serve_demo_until_it_answers(dir: &Path, db: &TestDb) {
    let (mut child, listen) = serve_demo(dir, db);
    let started = Instant::now();
    loop {
        if std::net::TcpStream::connect(&listen).is_ok() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "{}: serve --demo stopped ({status}): {}",
                db.backend,
                text(&out.stderr)
            );
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("{}: serve --demo did not listen within 90 s", db.backend);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `serve --demo` refuses a database that holds anything but the demo, before writing anything.
fn refused(dir: &Path, db: &TestDb) -> String {
    let (child, _) = serve_demo(dir, db);
    let out = child.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "{}: serve --demo took it",
        db.backend
    );
    text(&out.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_loads_an_empty_or_demo_database_and_refuses_real_data() {
    for db in databases().await {
        let b = db.backend;
        // Real data: one imported person, no demo. Refused, saying what it found, and nothing
        // written (not even the demo's key).
        let dir = tempfile::tempdir().unwrap();
        write_persons(dir.path(), "in");
        let out = goldaw(dir.path(), &db, Some(KEY), &["import", "in"]);
        assert!(out.status.success(), "{b}: {}", text(&out.stderr));
        let before = state(&db).await;
        let err = refused(dir.path(), &db);
        assert!(
            err.contains("not loading the demo")
                && err.contains("people 1")
                && err.contains("--database-url"),
            "{b}: {err}"
        );
        assert_eq!(state(&db).await, before, "{b}: something was written");
        assert!(!dir.path().join("goldaw-data/demo-encryption.key").exists());
        let out = goldaw(dir.path(), &db, Some(KEY), &["demo"]);
        assert!(!out.status.success(), "{b}: goldaw demo took it");
        assert!(text(&out.stderr).contains("not loading the demo"), "{b}");
        assert_eq!(state(&db).await, before, "{b}: something was written");
    }
    for db in databases().await {
        let b = db.backend;
        // Empty: loaded; the demo's own: loaded again.
        let dir = tempfile::tempdir().unwrap();
        serve_demo_until_it_answers(dir.path(), &db);
        let (first, _) = state(&db).await;
        assert!(first.marked && first.people > 0, "{b}: {first:?}");
        assert_eq!(first.accounts.len(), 6, "{b}: {first:?}");
        assert!(
            first.accounts.iter().any(|a| a == "demo-ministry"),
            "{b}: {first:?}"
        );
        serve_demo_until_it_answers(dir.path(), &db);
        let (again, _) = state(&db).await;
        assert_eq!(
            (again.people, again.accounts.len()),
            (first.people, 6),
            "{b}"
        );

        // Someone imports real people into the demo's database: no longer the demo's own.
        let key =
            std::fs::read_to_string(dir.path().join("goldaw-data/demo-encryption.key")).unwrap();
        write_persons(dir.path(), "real");
        let out = goldaw(dir.path(), &db, Some(key.trim()), &["import", "real"]);
        assert!(out.status.success(), "{b}: {}", text(&out.stderr));
        let before = state(&db).await;
        let err = refused(dir.path(), &db);
        assert!(err.contains("'import' by system:import"), "{b}: {err}");
        assert_eq!(state(&db).await, before, "{b}: something was written");
    }
    for db in databases().await {
        let b = db.backend;
        // An account that is not the demo's, added to a demo database.
        let dir = tempfile::tempdir().unwrap();
        let out = goldaw(dir.path(), &db, None, &["demo"]);
        assert!(out.status.success(), "{b}: {}", text(&out.stderr));
        let mut add = Command::new(env!("CARGO_BIN_EXE_goldaw"))
            .current_dir(dir.path())
            .env_remove("GOLDAW_DATABASE_URL")
            .env_remove("GOLDAW_ENCRYPTION_KEY_FILE")
            .env_remove("GOLDAW_ENCRYPTION_KEY")
            .args(["--database-url", &url(&db)])
            .args([
                "user",
                "add",
                "--username",
                "maysa",
                "--role",
                "supervisor",
                "--scope",
                "TM-D",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            writeln!(add.stdin.take().unwrap(), "Daşoguz welaýaty 1992").unwrap();
        }
        let out = add.wait_with_output().unwrap();
        assert!(out.status.success(), "{b}: {}", text(&out.stderr));
        let before = state(&db).await;
        let err = refused(dir.path(), &db);
        assert!(
            err.contains("accounts that are not the demo's: maysa"),
            "{b}: {err}"
        );
        assert_eq!(state(&db).await, before, "{b}: something was written");
    }
}
