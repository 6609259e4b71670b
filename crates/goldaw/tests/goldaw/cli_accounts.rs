//! The operator's account commands for issue #16: API tokens expire after the configured
//! lifetime and `user list` shows it; wide grants an admin asked for are listed, approved and
//! rejected from the command line, where the operator's own grants apply directly.

use goldaw_core::codes::Role;
use goldaw_store::users::NewUser;
use goldaw_store::{DatabaseUrl, Principal, Store};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "Daşoguz welaýaty 1992";

fn goldaw(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_goldaw"))
        .current_dir(dir)
        .env_remove("GOLDAW_DATABASE_URL")
        .env_remove("GOLDAW_TOKEN_LIFETIME_DAYS")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn add(dir: &Path, name: &str, role: &str, scope: &str) -> String {
    ok(goldaw(
        dir,
        &[
            "user",
            "add",
            "--username",
            name,
            "--role",
            role,
            "--scope",
            scope,
        ],
        &[],
    ))
}

#[test]
fn tokens_expire_after_the_configured_days_and_the_list_says_when() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "maysa", "supervisor", "TM-D");
    let list = ok(goldaw(dir.path(), &["user", "list"], &[]));
    assert!(
        list.contains("maysa\tsupervisor\tTM-D\tfalse\tfalse\tactive\t-"),
        "no token yet: {list}"
    );
    // A lifetime out of range is refused with the reason, and no token is made.
    let out = goldaw(
        dir.path(),
        &["--token-lifetime-days", "0", "user", "token", "maysa"],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("1 to 3650 days"),
        "{}",
        text(&out.stderr)
    );
    ok(goldaw(
        dir.path(),
        &["user", "token", "maysa"],
        &[("GOLDAW_TOKEN_LIFETIME_DAYS", "30")],
    ));
    let expires = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let list = ok(goldaw(dir.path(), &["user", "list"], &[]));
    assert!(
        list.contains(&format!("expires {expires}")) && list.contains("last used never"),
        "{list}"
    );
}

#[tokio::test]
async fn the_operator_lists_approves_and_rejects_what_admins_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    // The operator's own grants apply directly, national ones too.
    add(dir.path(), "first", "admin", "TM");
    add(dir.path(), "nation", "ministry", "TM");
    let list = ok(goldaw(dir.path(), &["user", "list"], &[]));
    assert!(
        list.contains("nation\tministry\tTM\tfalse\tfalse\tactive"),
        "{list}"
    );

    // An admin asks for two national accounts (on the users page; here through the store).
    let url = DatabaseUrl::Sqlite(dir.path().join("goldaw-data").join("goldaw.db"));
    let store = Store::open(&url).await.unwrap();
    let first = store
        .list_users(&Principal::system("test"))
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "first")
        .unwrap();
    let admin = Principal::user(first.id, "first", Role::Admin, "TM".parse().unwrap(), false);
    for name in ["hotline", "planner"] {
        store
            .add_user(
                &admin,
                NewUser {
                    username: name.into(),
                    role: if name == "hotline" {
                        Role::Hotline
                    } else {
                        Role::Planner
                    },
                    scope: "TM".parse().unwrap(),
                    sensitive: false,
                    unsuppressed: false,
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
    }
    store.close().await;

    let requests = ok(goldaw(dir.path(), &["user", "requests"], &[]));
    assert!(
        requests.contains("hotline\thotline\tTM\tfalse\tfalse\ttrue\tfirst\t")
            && requests.contains("planner\tplanner\tTM"),
        "{requests}"
    );
    let list = ok(goldaw(dir.path(), &["user", "list"], &[]));
    assert!(
        list.contains("hotline\thotline\tTM\tfalse\tfalse\tawaiting-approval (grant waiting)"),
        "{list}"
    );
    assert!(ok(goldaw(dir.path(), &["user", "approve", "hotline"], &[])).contains("approved"));
    assert!(ok(goldaw(dir.path(), &["user", "reject", "planner"], &[])).contains("rejected"));
    let out = goldaw(dir.path(), &["user", "approve", "planner"], &[]);
    assert!(!out.status.success(), "nothing waits any more");
    assert!(
        text(&out.stderr).contains("no grant waits for 'planner'"),
        "{}",
        text(&out.stderr)
    );
    let list = ok(goldaw(dir.path(), &["user", "list"], &[]));
    assert!(
        list.contains("hotline\thotline\tTM\tfalse\tfalse\tactive"),
        "{list}"
    );
    assert!(
        list.contains("planner\tplanner\tTM\tfalse\tfalse\tnot-approved\t"),
        "rejected: still not approved: {list}"
    );
    assert_eq!(
        ok(goldaw(dir.path(), &["user", "requests"], &[]))
            .lines()
            .count(),
        1,
        "only the header"
    );
    let audit = ok(goldaw(dir.path(), &["audit", "verify"], &[]));
    assert!(audit.contains("intact"), "{audit}");
}
