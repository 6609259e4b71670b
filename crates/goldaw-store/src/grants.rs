//! Four eyes on wide grants (issue #16, item 9; the rule is `goldaw_core::accounts`).
//!
//! When an admin gives an account a wide grant that it did not have (a new account, or a change
//! in `Store::change_user`), the grant is stored here as a request and the account keeps what it
//! had (a new account cannot sign in yet). A second admin approves or rejects it; neither the
//! admin who asked nor the account concerned may approve. The operator's command line applies
//! wide grants directly, and approves or rejects requests too. Every request and decision is
//! audited with the account (`user.create`/`user.change`, `grant.approve`, `grant.reject`).
//!
//! A request applies to the account as it was when asked (`user_version`): if the account
//! changed since, approving it is refused and the admin asks again. A change applied to the
//! account, or a newer request, closes a waiting one as `replaced`; there is at most one
//! waiting request per account (a unique index).

use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::users::describe;
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::accounts::{self, Grant, GrantActions, PendingGrant};
use goldaw_core::codes::Role;
use uuid::Uuid;

/// Stores a request for `$grant` on account `$user` (at its version `$user_version`) by
/// `$principal`, inside transaction `$tx`, replacing a request waiting for the account.
macro_rules! insert_request {
    ($tx:ident, $principal:expr, $user:expr, $grant:expr, $user_version:expr, $now:expr) => {{
        let principal: &goldaw_core::access::Principal = $principal;
        let grant: &goldaw_core::accounts::Grant = $grant;
        let requested_by = principal.user_id.ok_or_else(|| {
            $crate::error::StoreError::Forbidden("only an admin's account asks for a grant".into())
        })?;
        $crate::grants::close_pending!($tx, principal, $user, "replaced", $now);
        sqlx::query(
            "INSERT INTO grant_requests (id, user_id, role, scope, sensitive, unsuppressed, user_version,
                requested_by, requested_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind($user)
        .bind(grant.role.as_str())
        .bind(grant.scope.to_stored())
        .bind(grant.sensitive)
        .bind(grant.unsuppressed)
        .bind($user_version)
        .bind(requested_by)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_request;

/// Closes the request waiting for account `$user`, if any, with `$decision`, inside `$tx`.
macro_rules! close_pending {
    ($tx:ident, $principal:expr, $user:expr, $decision:expr, $now:expr) => {{
        let principal: &goldaw_core::access::Principal = $principal;
        sqlx::query(
            "UPDATE grant_requests SET decision = $1, decided_by = $2, decided_at = $3, version = version + 1
             WHERE user_id = $4 AND decision IS NULL",
        )
        .bind($decision)
        .bind(&principal.actor)
        .bind($now)
        .bind($user)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use close_pending;

/// A wide grant waiting for a second admin.
#[derive(Debug, Clone)]
pub struct GrantRequest {
    pub id: Uuid,
    /// The account it is for.
    pub account: Uuid,
    pub username: String,
    /// `true` if the account is new (it cannot sign in until the grant is approved).
    pub new_account: bool,
    /// What the account would hold once approved.
    pub role: Role,
    pub scope: String,
    pub sensitive: bool,
    pub unsuppressed: bool,
    /// The admin who asked.
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// Sent back with the decision.
    pub version: i32,
    /// What the reader may do with it (`goldaw_core::accounts::grant_actions`).
    pub actions: GrantActions,
}

/// How a request was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: Uuid,
    user_id: Uuid,
    username: String,
    approved: bool,
    totp_enabled: bool,
    role: String,
    scope: String,
    sensitive: bool,
    unsuppressed: bool,
    user_version: i32,
    requested_by: Uuid,
    requested_by_name: String,
    requested_at: DateTime<Utc>,
    version: i32,
}

impl RequestRow {
    fn grant(&self) -> StoreResult<Grant> {
        Ok(Grant {
            role: self
                .role
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("role: {e}")))?,
            scope: self
                .scope
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("scope: {e}")))?,
            sensitive: self.sensitive,
            unsuppressed: self.unsuppressed,
        })
    }

    fn pending(&self) -> PendingGrant {
        PendingGrant {
            requested_by: self.requested_by,
            account: self.user_id,
        }
    }
}

const SELECT_REQUEST: &str = "SELECT g.id, g.user_id, u.username, u.approved, u.totp_enabled, g.role, g.scope,
        g.sensitive, g.unsuppressed, g.user_version, g.requested_by, r.username AS requested_by_name,
        g.requested_at, g.version
     FROM grant_requests g JOIN users u ON u.id = g.user_id JOIN users r ON r.id = g.requested_by
     WHERE g.decision IS NULL";

fn manage_users(principal: &Principal) -> StoreResult<()> {
    if principal.may(Permission::ManageUsers) {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "managing users needs the admin role".into(),
        ))
    }
}

impl Store {
    /// The grants waiting for a second admin, oldest first, with what `principal` may do with
    /// each.
    #[tracing::instrument(skip_all)]
    pub async fn grant_requests(&self, principal: &Principal) -> StoreResult<Vec<GrantRequest>> {
        manage_users(principal)?;
        let sql = format!("{SELECT_REQUEST} ORDER BY g.requested_at, g.id");
        let rows: Vec<RequestRow> =
            with_db!(self.db(), pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                let grant = r.grant()?;
                Ok(GrantRequest {
                    id: r.id,
                    account: r.user_id,
                    actions: accounts::grant_actions(principal, &r.pending()),
                    username: r.username,
                    new_account: !r.approved,
                    role: grant.role,
                    scope: r.scope,
                    sensitive: r.sensitive,
                    unsuppressed: r.unsuppressed,
                    requested_by: r.requested_by_name,
                    requested_at: r.requested_at,
                    version: r.version,
                })
            })
            .collect()
    }

    /// Approves or rejects the waiting request `id` (at `version`). Approving applies the grant
    /// to the account, if the account has not changed since the request, and lets a new account
    /// sign in; its sessions follow at once. An account whose new grant needs two factors and
    /// that has none yet signs in again and sets them up. Rejecting leaves the account as it is.
    #[tracing::instrument(skip_all, fields(grant = %id))]
    pub async fn decide_grant(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i32,
        decision: Decision,
    ) -> StoreResult<()> {
        manage_users(principal)?;
        let sql = format!("{SELECT_REQUEST} AND g.id = $1");
        let request: RequestRow = with_db!(self.db(), pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        })
        .ok_or(StoreError::NotFound)?;
        if request.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                actual: request.version,
            });
        }
        let grant = request.grant()?;
        let action = match decision {
            Decision::Approve => {
                accounts::may_approve(principal, &request.pending())
                    .map_err(|why| StoreError::Forbidden(why.message().into()))?;
                self.check_access(grant.role, &grant.scope, grant.unsuppressed)?;
                "grant.approve"
            }
            Decision::Reject => {
                if !accounts::grant_actions(principal, &request.pending()).reject {
                    return Err(StoreError::Forbidden(
                        "deciding on grants needs the admin role".into(),
                    ));
                }
                "grant.reject"
            }
        };
        let ends_sessions = decision == Decision::Approve
            && accounts::two_factor_required(&grant)
            && !request.totp_enabled;
        let detail = format!(
            "{} {}, asked by {}",
            request.username,
            describe(&grant),
            request.requested_by_name
        );
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on(action, "user", request.user_id).with_detail(detail));
            let decided = sqlx::query(
                "UPDATE grant_requests SET decision = $1, decided_by = $2, decided_at = $3, version = version + 1
                 WHERE id = $4 AND version = $5 AND decision IS NULL",
            )
            .bind(if decision == Decision::Approve { "approved" } else { "rejected" })
            .bind(&principal.actor)
            .bind(now)
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            if decided.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            if decision == Decision::Approve {
                let applied = sqlx::query(
                    "UPDATE users SET role = $1, scope = $2, sensitive = $3, unsuppressed = $4, approved = TRUE,
                        version = version + 1, updated_at = $5
                     WHERE id = $6 AND version = $7",
                )
                .bind(grant.role.as_str())
                .bind(grant.scope.to_stored())
                .bind(grant.sensitive)
                .bind(grant.unsuppressed)
                .bind(now)
                .bind(request.user_id)
                .bind(request.user_version)
                .execute(&mut *tx)
                .await?;
                if applied.rows_affected() != 1 {
                    return Err(StoreError::refuse("grant", "store-grant-outdated", vec![("user", SayArg::Text(request.username.clone()))]));
                }
                if ends_sessions {
                    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL")
                        .bind(now).bind(request.user_id).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        });
        self.inner.sessions.forget_user(request.user_id);
        Ok(())
    }
}
