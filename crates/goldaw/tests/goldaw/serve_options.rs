//! `goldaw serve`'s HTTP options are checked before anything starts: a wrong value stops it with
//! a message that names the option and says what it takes.

use std::process::Command;

fn serve_with(env: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir.path())
        .env_remove("GOLDAW_DATABASE_URL")
        .env_remove("GOLDAW_TRUSTED_PROXIES")
        .envs(env.iter().copied())
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .output()
        .expect("goldaw runs");
    // Nothing was created: the refusal came before the database was opened.
    assert!(
        !dir.path().join("goldaw-data").exists(),
        "goldaw-data was created"
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_trusted_proxy_list_refuses_to_start_and_says_why() {
    let (ok, err) = serve_with(&[], &["--trusted-proxies", "127.0.0.1, proxy.local"]);
    assert!(!ok);
    assert!(err.contains("--trusted-proxies"), "{err}");
    assert!(
        err.contains("\"proxy.local\" is neither an IP address nor a CIDR range"),
        "{err}"
    );

    let (ok, err) = serve_with(&[("GOLDAW_TRUSTED_PROXIES", "0.0.0.0/0")], &[]);
    assert!(!ok);
    assert!(err.contains("would trust every address"), "{err}");
}

#[test]
fn timeouts_and_the_connection_bound_must_be_positive_numbers() {
    for (option, value) in [
        ("--header-read-timeout", "0"),
        ("--request-timeout", "ten"),
        ("--max-connections", "0"),
    ] {
        let (ok, err) = serve_with(&[], &[option, value]);
        assert!(!ok, "{option} {value}");
        assert!(err.contains(option) && err.contains(value), "{err}");
    }
}
