//! The `goldaw` program as an operator uses it: real processes, real files, 127.0.0.1 only.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn goldaw(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir)
        .env_remove("GOLDAW_DATABASE_URL")
        .args(args)
        .output()
        .expect("goldaw runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn plan_workforce_reproduces_the_seeds_table_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = String::from("start_year = 2021\nstart_stock = 45\nattrition = 0.20\n[inflow]\n2022 = 140\n2023 = 250\n2024 = 250\n");
    for year in 2025..=2030 {
        scenario.push_str(&format!("{year} = 250\n"));
    }
    std::fs::write(dir.path().join("seeds.toml"), scenario).unwrap();
    let out = goldaw(
        dir.path(),
        &[
            "plan",
            "workforce",
            "--scenario",
            "seeds.toml",
            "--until",
            "2030",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "year,inflow,leavers,stock\n2021,0,0,45\n2022,140,9,176\n2023,250,35,391\n2024,250,78,563\n2025,250,113,700\n\
         2026,250,140,810\n2027,250,162,898\n2028,250,180,968\n2029,250,194,1025\n2030,250,205,1070\n"
    );
    std::fs::write(
        dir.path().join("bad.toml"),
        "start_year = 2021\nstart_stock = 45\nattrition = 1.5\n",
    )
    .unwrap();
    let out = goldaw(
        dir.path(),
        &[
            "plan",
            "workforce",
            "--scenario",
            "bad.toml",
            "--until",
            "2030",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("attrition"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_refused_import_exits_non_zero_names_the_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("in");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("persons.csv"),
        "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups\n\
         P1,,Aýna,Orazowa,F,1990-05-01,TM-A-01,rural,true,,,,,,,\n\
         P2,,Merdan,Orazow,Q,2015-02-28,TM-A-01,rural,false,,,,,,,\n",
    )
    .unwrap();
    let out = goldaw(dir.path(), &["import", "in"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("persons.csv line 3, column sex: 'Q' is not a sex"),
        "{err}"
    );
    let out = goldaw(dir.path(), &["export", "out"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let persons = std::fs::read_to_string(dir.path().join("out/persons.csv")).unwrap();
    assert_eq!(
        persons.lines().count(),
        1,
        "only the header: nothing was written\n{persons}"
    );
    // The default database is an SQLite file under ./goldaw-data/.
    assert!(dir.path().join("goldaw-data/goldaw.db").exists());

    // Fixed, the same files import, and importing them twice adds nothing.
    let fixed = std::fs::read_to_string(data.join("persons.csv"))
        .unwrap()
        .replace(",Q,", ",M,");
    std::fs::write(data.join("persons.csv"), fixed).unwrap();
    for _ in 0..2 {
        let out = goldaw(dir.path(), &["import", "in"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    goldaw(dir.path(), &["export", "out"]);
    let persons = std::fs::read_to_string(dir.path().join("out/persons.csv")).unwrap();
    assert_eq!(persons.lines().count(), 3, "{persons}");
}

#[test]
fn a_bad_database_url_is_refused_with_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let out = goldaw(
        dir.path(),
        &[
            "--database-url",
            "mysql://root:hunter2@localhost/db",
            "migrate",
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("sqlite://PATH"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password must not be printed: {err}"
    );
}

#[test]
fn the_pool_size_is_read_from_the_environment_and_a_bad_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = |pool: &str| {
        Command::new(env!("CARGO_BIN_EXE_goldaw"))
            .current_dir(dir.path())
            .env_remove("GOLDAW_DATABASE_URL")
            .env("GOLDAW_DATABASE_POOL", pool)
            .args(["--database-url", "sqlite://pool.db", "migrate"])
            .output()
            .expect("goldaw runs")
    };
    for bad in ["0", "1", "many", "501", "-4"] {
        let out = run(bad);
        assert!(
            !out.status.success(),
            "GOLDAW_DATABASE_POOL={bad} was taken"
        );
        let err = text(&out.stderr);
        assert!(
            err.contains("GOLDAW_DATABASE_POOL") && err.contains("from 2 to 500"),
            "{bad}: {err}"
        );
        assert!(
            !dir.path().join("pool.db").exists(),
            "{bad}: a refused setting must not create the database"
        );
    }
    let out = run(" 4 ");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("pool.db").exists());
}

#[test]
fn serve_demo_on_a_fresh_folder_serves_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir.path())
        .env_remove("GOLDAW_DATABASE_URL")
        .args(["serve", "--demo", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while http_get(&listen, "/health", None).is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("goldaw serve --demo did not answer within 60 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // The demo's accounts exist; an operator makes a token for one, as the README says, with the
    // demo's key (the audit log of a database goldaw served is keyed).
    let out = Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir.path())
        .env_remove("GOLDAW_DATABASE_URL")
        .env(
            "GOLDAW_ENCRYPTION_KEY_FILE",
            "goldaw-data/demo-encryption.key",
        )
        .args(["user", "token", "demo-supervisor"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert!(token.starts_with("gdw_"), "{token}");
    assert!(
        http_get(&listen, "/api/v1/persons?external_id=DEMO-P0001", None).is_none(),
        "no token, no data"
    );
    let answer = loop {
        match http_get(
            &listen,
            "/api/v1/persons?external_id=DEMO-P0001",
            Some(&token),
        ) {
            Some(body) => break body,
            None if started.elapsed() < Duration::from_secs(60) => {
                std::thread::sleep(Duration::from_millis(200))
            }
            None => {
                let _ = child.kill();
                panic!("goldaw serve --demo did not answer within 60 s");
            }
        }
    };
    let health = http_get(&listen, "/health", None).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.contains("\"person_id\":\"DEMO-P0001\""), "{answer}");
    assert!(health.contains("\"status\":\"ok\""), "{health}");
}

/// A minimal HTTP/1.1 GET (the test needs no client library); `None` unless the answer is 200.
fn http_get(addr: &str, path: &str, token: Option<&str>) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.starts_with("HTTP/1.1 200").then_some(out)
}

#[test]
fn users_tokens_and_audit_from_the_command_line() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let add = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_goldaw"))
            .current_dir(dir.path())
            .env_remove("GOLDAW_DATABASE_URL")
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
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = add("short");
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("at least 12"),
        "{}",
        text(&weak.stderr)
    );
    let ok = add("Daşoguz welaýaty 1992");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let out = goldaw(dir.path(), &["user", "token", "maysa"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .starts_with("gdw_"));
    let list = goldaw(dir.path(), &["user", "list"]);
    assert!(
        text(&list.stdout).contains("maysa\tsupervisor\tTM-D\tfalse\tfalse\tactive"),
        "{}",
        text(&list.stdout)
    );
    let out = goldaw(dir.path(), &["user", "disable", "maysa"]);
    assert!(out.status.success());
    assert!(text(&goldaw(dir.path(), &["user", "list"]).stdout).contains("disabled"));
    let out = goldaw(dir.path(), &["user", "token", "maysa"]);
    assert!(!out.status.success(), "a disabled account gets no token");
    // Enabled again as a planner of the nation; what is not given stays.
    let out = goldaw(
        dir.path(),
        &[
            "user", "change", "maysa", "--enable", "--role", "planner", "--scope", "TM",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&goldaw(dir.path(), &["user", "list"]).stdout)
            .contains("maysa\tplanner\tTM\tfalse\tfalse\tactive"),
        "enabled as a planner"
    );
    // A refused change names the reason and changes nothing.
    let out = goldaw(
        dir.path(),
        &["user", "change", "maysa", "--scope", "provider:PR1"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("provider scope"),
        "{}",
        text(&out.stderr)
    );
    let out = goldaw(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("audit log intact: 4 events"),
        "{}",
        text(&out.stdout)
    );
    let out = goldaw(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "x",
            "--role",
            "boss",
            "--scope",
            "TM",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("'boss' is not a role"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn plan_requirement_reproduces_the_seeds_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = goldaw(dir.path(), &["plan", "requirement", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.starts_with("line,value\n"), "{csv}");
    for line in [
        "etrap_social_workers,807",
        "people_per_etrap_social_worker,7476",
        "total,1241",
        "people_per_worker_2030,5077",
    ] {
        assert!(csv.lines().any(|l| l == line), "{line} missing from\n{csv}");
    }
}
