//! Careers: a promotion along the path (social worker → senior social worker → supervisor), with
//! its date, so that the number of seniors and supervisors can be planned. A promotion may move her
//! into another vacant post; the one she held then falls vacant from the same day.

use super::{code, today, StaffRecord};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::service_referrals::for_update;
use crate::Store;
use chrono::{NaiveDate, TimeDelta, Utc};
use goldaw_core::access::Principal;
use goldaw_core::ids::AdminUnitCode;
use goldaw_core::workforce::{promotion_allowed, Position};
use serde::Deserialize;
use uuid::Uuid;

/// A promotion.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionRequest {
    pub version: i32,
    /// `senior_social_worker` or `supervisor`.
    pub to_position: String,
    pub effective_on: NaiveDate,
    /// A vacant post she moves into, if any.
    #[serde(default)]
    pub post_id: Option<Uuid>,
}

impl Store {
    /// Promotes a member of staff (the ministry, a supervisor in her scope).
    #[tracing::instrument(skip_all, fields(staff = %id))]
    pub async fn promote_staff(
        &self,
        principal: &Principal,
        id: Uuid,
        request: PromotionRequest,
    ) -> StoreResult<StaffRecord> {
        let (staff, rights) = self.staff_row(principal, id).await?;
        if !rights.change {
            return Err(StoreError::Forbidden(
                "only the ministry and supervisors record promotions".into(),
            ));
        }
        if staff.left_on.is_some() {
            return Err(StoreError::refuse(
                "staff",
                "store-workforce-already-left",
                vec![],
            ));
        }
        let from: Position = code("position", &staff.position)?;
        let to: Position = code("to_position", &request.to_position)?;
        if !promotion_allowed(from, to) {
            return Err(StoreError::refuse(
                "to_position",
                "store-workforce-promotion",
                vec![],
            ));
        }
        if request.effective_on < staff.hired_on
            || request.effective_on > today() + TimeDelta::days(366)
        {
            return Err(StoreError::refuse(
                "effective_on",
                "store-workforce-date-far",
                vec![],
            ));
        }
        let lock = for_update(self);
        let staff_sql =
            format!("SELECT position, version FROM workforce_staff WHERE id = $1{lock}");
        let post_sql = format!("SELECT admin_unit, holder_id, abolished_on, version FROM workforce_posts WHERE id = $1{lock}");
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("workforce.staff.promote", "staff", id)
                .with_detail(format!("{from} -> {to} on {}", request.effective_on)));
            let (position, version): (String, i32) = sqlx::query_as(&staff_sql).bind(id).fetch_one(&mut *tx).await?;
            if version != request.version || position != from.as_str() {
                return Err(StoreError::Conflict { expected: request.version, actual: version });
            }
            let done = sqlx::query("UPDATE workforce_staff SET position = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
                .bind(to.as_str()).bind(now).bind(id).bind(version).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            sqlx::query("INSERT INTO workforce_career_steps (id, staff_id, from_position, to_position, effective_on, recorded_by, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(Uuid::now_v7()).bind(id).bind(from.as_str()).bind(to.as_str()).bind(request.effective_on)
                .bind(&principal.actor).bind(now).execute(&mut *tx).await?;
            if let Some(post) = request.post_id {
                let found: Option<(String, Option<Uuid>, Option<NaiveDate>, i32)> = sqlx::query_as(&post_sql)
                    .bind(post).fetch_optional(&mut *tx).await?;
                let Some((unit, holder, abolished, post_version)) = found else {
                    return Err(StoreError::refuse("post_id", "store-workforce-post-unknown", vec![]));
                };
                if !principal.can_see_unit(&AdminUnitCode::from_stored(unit)) {
                    return Err(StoreError::refuse("post_id", "store-workforce-post-unknown", vec![]));
                }
                if holder.is_some() || abolished.is_some() {
                    return Err(StoreError::refuse("post_id", "store-workforce-post-taken", vec![]));
                }
                sqlx::query("UPDATE workforce_posts SET holder_id = NULL, since = $1, version = version + 1, updated_at = $2 WHERE holder_id = $3")
                    .bind(request.effective_on).bind(now).bind(id).execute(&mut *tx).await?;
                let done = sqlx::query("UPDATE workforce_posts SET holder_id = $1, since = $2, version = version + 1, updated_at = $3
                                        WHERE id = $4 AND version = $5")
                    .bind(id).bind(request.effective_on).bind(now).bind(post).bind(post_version)
                    .execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict { expected: post_version, actual: post_version + 1 });
                }
            }
            tx.commit().await?;
        });
        Ok(self.staff_row(principal, id).await?.0)
    }
}
