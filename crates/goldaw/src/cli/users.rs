//! `goldaw user …`: the operator's account commands.

use anyhow::{bail, Context};
use clap::Subcommand;
use goldaw_core::access::Scope;
use goldaw_core::codes::Role;
use goldaw_store::grants::Decision;
use goldaw_store::users::{NewUser, UserChange};
use goldaw_store::Store;
use std::io::BufRead;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input (first line).
    Add {
        #[arg(long)]
        username: String,
        /// social_worker, supervisor, provider, hotline, planner, ministry or admin.
        #[arg(long)]
        role: String,
        /// An administrative unit code (TM for the nation), or provider:ID for provider staff.
        #[arg(long)]
        scope: String,
        /// May see gender-based-violence and child-protection records in scope.
        #[arg(long)]
        sensitive: bool,
        /// May see statistics without small-cell suppression (planner and ministry only).
        #[arg(long)]
        unsuppressed: bool,
    },
    /// Print a new API token for the user (as the last line). It is shown only once. It expires
    /// after --token-lifetime-days (default 90).
    Token { username: String },
    /// List accounts, with when each live API token expires and was last used.
    List,
    /// List the grants admins asked for that wait for a second admin.
    Requests,
    /// Approve the grant waiting for an account (the operator is the second pair of eyes).
    Approve { username: String },
    /// Reject the grant waiting for an account: it keeps what it has.
    Reject { username: String },
    /// Disable an account and revoke its tokens.
    Disable { username: String },
    /// Change an account's role, scope or permissions, or enable it again (which also lifts a
    /// lockout): what is not given stays as it is. The way back in for a locked-out admin.
    Change {
        username: String,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        scope: Option<String>,
        /// true or false.
        #[arg(long)]
        sensitive: Option<bool>,
        /// true or false (planner and ministry only).
        #[arg(long)]
        unsuppressed: Option<bool>,
        /// Enable the account (and lift a lockout).
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Disable the account and revoke its tokens.
        #[arg(long)]
        disable: bool,
    },
}

pub async fn run_user(store: &Store, cmd: &UserCommand) -> anyhow::Result<()> {
    let operator = super::operator("user");
    match cmd {
        UserCommand::Add {
            username,
            role,
            scope,
            sensitive,
            unsuppressed,
        } => {
            let role: Role = role.parse()?;
            let scope: Scope = scope.parse().context("--scope")?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            if password.is_empty() {
                bail!("no password on standard input: pipe it in, e.g. printf '%s\\n' \"$PASSWORD\" | goldaw user add …");
            }
            let user = store
                .add_user(
                    &operator,
                    NewUser {
                        username: username.clone(),
                        role,
                        scope,
                        sensitive: *sensitive,
                        unsuppressed: *unsuppressed,
                        password,
                    },
                )
                .await?;
            println!(
                "created {} ({}, scope {})",
                user.username, user.role, user.scope
            );
        }
        UserCommand::Token { username } => {
            let token = store
                .create_token(&operator, username)
                .await
                .with_context(|| format!("no token for '{username}'"))?;
            eprintln!("a new API token for {username}; keep it secret, it is not shown again:");
            println!("{token}");
        }
        UserCommand::List => {
            println!("username\trole\tscope\tsensitive\tunsuppressed\tstatus\ttokens");
            let now = chrono::Utc::now();
            for u in store.list_users(&operator).await? {
                let status = if u.disabled {
                    "disabled"
                } else if !u.approved && u.awaiting_approval {
                    "awaiting-approval"
                } else if !u.approved {
                    "not-approved"
                } else if u.locked_until.is_some_and(|t| t > now) {
                    "locked"
                } else {
                    "active"
                };
                let tokens: Vec<String> = u
                    .tokens
                    .iter()
                    .map(|t| {
                        format!(
                            "{} {}, last used {}",
                            if t.expired(now) { "expired" } else { "expires" },
                            t.expires_at.map_or_else(
                                || "-".to_owned(),
                                |e| e.format("%Y-%m-%dT%H:%MZ").to_string()
                            ),
                            t.last_used_at.map_or_else(
                                || "never".to_owned(),
                                |e| e.format("%Y-%m-%dT%H:%MZ").to_string()
                            )
                        )
                    })
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{status}{}\t{}",
                    u.username,
                    u.role,
                    u.scope,
                    u.sensitive,
                    u.unsuppressed,
                    if u.awaiting_approval {
                        " (grant waiting)"
                    } else {
                        ""
                    },
                    if tokens.is_empty() {
                        "-".to_owned()
                    } else {
                        tokens.join("; ")
                    }
                );
            }
        }
        UserCommand::Requests => {
            println!(
                "username\trole\tscope\tsensitive\tunsuppressed\tnew_account\tasked_by\tasked_at"
            );
            for g in store.grant_requests(&operator).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    g.username,
                    g.role,
                    g.scope,
                    g.sensitive,
                    g.unsuppressed,
                    g.new_account,
                    g.requested_by,
                    g.requested_at.format("%Y-%m-%dT%H:%MZ")
                );
            }
        }
        UserCommand::Approve { username } | UserCommand::Reject { username } => {
            let decision = if matches!(cmd, UserCommand::Approve { .. }) {
                Decision::Approve
            } else {
                Decision::Reject
            };
            let request = store
                .grant_requests(&operator)
                .await?
                .into_iter()
                .find(|g| &g.username == username)
                .with_context(|| {
                    format!("no grant waits for '{username}' (goldaw user requests lists them)")
                })?;
            store
                .decide_grant(&operator, request.id, request.version, decision)
                .await
                .with_context(|| format!("cannot decide on the grant for '{username}'"))?;
            println!(
                "{} the grant for {username}: {} {}",
                if decision == Decision::Approve {
                    "approved"
                } else {
                    "rejected"
                },
                request.role,
                request.scope
            );
        }
        UserCommand::Disable { username } => {
            store
                .disable_user(&operator, username)
                .await
                .with_context(|| format!("cannot disable '{username}'"))?;
            println!("disabled {username}; its tokens are revoked");
        }
        UserCommand::Change {
            username,
            role,
            scope,
            sensitive,
            unsuppressed,
            enable,
            disable,
        } => {
            let current = store
                .list_users(&operator)
                .await?
                .into_iter()
                .find(|u| &u.username == username)
                .with_context(|| format!("no account '{username}'"))?;
            let change = UserChange {
                version: current.version,
                role: match role {
                    Some(r) => r.parse().context("--role")?,
                    None => current.role,
                },
                scope: scope
                    .as_deref()
                    .unwrap_or(&current.scope)
                    .parse()
                    .context("--scope")?,
                sensitive: sensitive.unwrap_or(current.sensitive),
                unsuppressed: unsuppressed.unwrap_or(current.unsuppressed),
                enabled: if *enable {
                    true
                } else if *disable {
                    false
                } else {
                    !current.disabled
                },
            };
            let user = store
                .change_user(&operator, username, change)
                .await
                .with_context(|| format!("cannot change '{username}'"))?;
            println!(
                "changed {} ({}, scope {}, sensitive {}, unsuppressed {}, {})",
                user.username,
                user.role,
                user.scope,
                user.sensitive,
                user.unsuppressed,
                if user.disabled { "disabled" } else { "active" }
            );
        }
    }
    Ok(())
}
