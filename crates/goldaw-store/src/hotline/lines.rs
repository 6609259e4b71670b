//! The register of hotline lines and their staff: kept by admins (or the operator's CLI).

use super::{Line, LineRole, NewLine, NewLineMember};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::Utc;
use goldaw_core::access::{Permission, Principal};
use uuid::Uuid;

impl Store {
    /// Adds a hotline line.
    #[tracing::instrument(skip_all)]
    pub async fn add_hotline_line(&self, principal: &Principal, new: NewLine) -> StoreResult<Line> {
        require(principal, Permission::ManageUsers)?;
        let code = new.code.trim().to_owned();
        let name = new.name.trim().to_owned();
        let code_ok = !code.is_empty()
            && code.len() <= 32
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if !code_ok {
            return Err(StoreError::refuse(
                "code",
                "hotline-line-code-invalid",
                vec![("code", SayArg::Text(code))],
            ));
        }
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::refuse(
                "name",
                "hotline-line-name-invalid",
                vec![],
            ));
        }
        let id = Uuid::now_v7();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("hotline.line.add", "hotline_line", id).with_detail(code.clone()));
            let exists: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM hotline_lines WHERE code = $1")
                .bind(&code)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                return Err(StoreError::refuse("code", "hotline-line-exists", vec![("code", SayArg::Text(code))]));
            }
            sqlx::query("INSERT INTO hotline_lines (id, code, name, created_at) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(&code)
                .bind(&name)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(Line { id, code, name })
    }

    /// Makes an account a member of a line (or changes its part). Only hotline staff and
    /// supervisors work on a line.
    #[tracing::instrument(skip_all)]
    pub async fn set_line_member(
        &self,
        principal: &Principal,
        line_code: &str,
        member: NewLineMember,
    ) -> StoreResult<()> {
        require(principal, Permission::ManageUsers)?;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("hotline.line.member", "user", member.user)
                .with_detail(format!("{line_code}: {}", member.line_role)));
            let line: (Uuid,) = sqlx::query_as("SELECT id FROM hotline_lines WHERE code = $1")
                .bind(line_code)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let role: (String,) = sqlx::query_as("SELECT role FROM users WHERE id = $1")
                .bind(member.user)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            if !matches!(role.0.as_str(), "hotline" | "supervisor") {
                return Err(StoreError::refuse("user", "hotline-member-role", vec![]));
            }
            sqlx::query("INSERT INTO hotline_line_members (line_id, user_id, line_role) VALUES ($1, $2, $3)
                         ON CONFLICT (line_id, user_id) DO UPDATE SET line_role = $3")
                .bind(line.0)
                .bind(member.user)
                .bind(member.line_role.as_str())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The lines the principal works on, with the part on each.
    pub async fn my_lines(&self, principal: &Principal) -> StoreResult<Vec<(Line, LineRole)>> {
        require(principal, Permission::HotlineCalls)?;
        let rows: Vec<(Uuid, String, String, String)> = with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT l.id, l.code, l.name, m.line_role FROM hotline_lines l
                 JOIN hotline_line_members m ON m.line_id = l.id WHERE m.user_id = $1 ORDER BY l.code",
            )
            .bind(principal.user_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, code, name, role)| {
                let role = role
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("line role: {e}")))?;
                Ok((Line { id, code, name }, role))
            })
            .collect()
    }
}
