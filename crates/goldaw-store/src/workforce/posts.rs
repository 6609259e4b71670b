//! The establishment: funded posts per etrap and organisation (the ministry keeps them), filled by
//! one member of staff or vacant, since when. A supervisor fills her scope's vacant posts.

use super::{code, range_of, short_text, today, StaffRecord};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{SayArg, StoreError, StoreResult};
use crate::people::require;
use crate::service_referrals::for_update;
use crate::Store;
use chrono::{NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::ids::{AdminUnitCode, ExternalId};
use goldaw_core::workforce::{may_keep_establishment, staff_sight, Position, StaffSight};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A new funded post.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPost {
    /// The ministry's id of the post (unique).
    #[schema(value_type = String)]
    pub external_id: ExternalId,
    pub admin_unit: AdminUnitCode,
    pub organisation: String,
    pub position: String,
    /// Share of full time in percent; 100 when omitted.
    #[serde(default)]
    pub fte_percent: Option<u32>,
    /// Funded from this day; vacant from it until filled.
    pub funded_from: NaiveDate,
}

/// A post and who holds it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PostRecord {
    pub id: Uuid,
    pub external_id: String,
    pub admin_unit: String,
    pub organisation: String,
    pub position: String,
    pub fte_percent: i32,
    pub funded_from: NaiveDate,
    pub abolished_on: Option<NaiveDate>,
    /// The staff record holding it; none: vacant.
    pub holder_id: Option<Uuid>,
    pub holder: Option<String>,
    /// Filled (or vacant) since.
    pub since: NaiveDate,
    pub version: i32,
}

impl Store {
    /// Adds a funded post (the ministry).
    #[tracing::instrument(skip_all)]
    pub async fn create_post(
        &self,
        principal: &Principal,
        new: NewPost,
    ) -> StoreResult<PostRecord> {
        if !may_keep_establishment(principal) {
            return Err(StoreError::Forbidden(
                "only the ministry keeps the establishment".into(),
            ));
        }
        if !principal.can_see_unit(&new.admin_unit) {
            return Err(StoreError::NotFound);
        }
        self.check_place(&new.admin_unit)?;
        let organisation = short_text("organisation", &new.organisation)?;
        let position: Position = code("position", &new.position)?;
        let fte = new.fte_percent.unwrap_or(100);
        if !(1..=100).contains(&fte) {
            return Err(StoreError::refuse(
                "fte_percent",
                "store-workforce-fte-part",
                vec![],
            ));
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("workforce.post.create", "post", id)
                .with_detail(format!("{} {} in {}", new.external_id, position, new.admin_unit.as_str())));
            let taken: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workforce_posts WHERE external_id = $1")
                .bind(new.external_id.as_str()).fetch_optional(&mut *tx).await?;
            if taken.is_some() {
                return Err(StoreError::refuse("external_id", "store-workforce-id-taken",
                    vec![("id", SayArg::Text(new.external_id.to_string()))]));
            }
            sqlx::query("INSERT INTO workforce_posts (id, external_id, admin_unit, organisation, position, fte_percent, funded_from,
                                                      abolished_on, holder_id, since, version, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $7, 1, $8)")
                .bind(id)
                .bind(new.external_id.as_str())
                .bind(new.admin_unit.as_str())
                .bind(&organisation)
                .bind(position.as_str())
                .bind(fte as i32)
                .bind(new.funded_from)
                .bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        let posts = self.posts_in(&new.admin_unit, Some(id)).await?;
        posts.into_iter().next().ok_or(StoreError::NotFound)
    }

    /// The posts of `unit` (or only post `only`), with their holders' names.
    async fn posts_in(
        &self,
        unit: &AdminUnitCode,
        only: Option<Uuid>,
    ) -> StoreResult<Vec<PostRecord>> {
        let (lo, hi) = range_of(unit);
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT p.id, p.external_id, p.admin_unit, p.organisation, p.position, p.fte_percent, p.funded_from,
                        p.abolished_on, p.holder_id,
                        CASE WHEN s.id IS NULL THEN NULL ELSE s.given_name || ' ' || s.family_name END AS holder,
                        p.since, p.version
                   FROM workforce_posts p LEFT JOIN workforce_staff s ON s.id = p.holder_id
                  WHERE p.admin_unit >= $1 AND p.admin_unit < $2 AND ($3 IS NULL OR p.id = $3)
                  ORDER BY p.admin_unit, p.external_id LIMIT 5000")
                .bind(&lo)
                .bind(&hi)
                .bind(only)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The establishment of the reader's scope (the ministry, supervisors, planners), or `unit`
    /// inside it. A post names its holder: planners, who read no staff record, get the posts
    /// without names.
    #[tracing::instrument(skip_all)]
    pub async fn list_posts(
        &self,
        principal: &Principal,
        unit: Option<&AdminUnitCode>,
    ) -> StoreResult<Vec<PostRecord>> {
        let named = matches!(staff_sight(principal), StaffSight::Unit(_));
        if !named {
            require(principal, Permission::Planning)?;
        }
        let scope = principal.unit_scope().ok_or(StoreError::NotFound)?.clone();
        let unit = match unit {
            Some(u) if u.is_within(&scope) => u.clone(),
            Some(_) => return Err(StoreError::NotFound),
            None => scope,
        };
        let mut posts = self.posts_in(&unit, None).await?;
        if !named {
            for p in &mut posts {
                p.holder = None;
                p.holder_id = None;
            }
        }
        self.audit(
            principal,
            AuditEvent::on("workforce.post.list", "admin_unit", unit.as_str())
                .with_detail(format!("{} posts", posts.len())),
        )
        .await?;
        Ok(posts)
    }

    /// Fills a vacant post with a member of staff in post from `since` (the ministry, or a supervisor
    /// in her scope). A post she held before falls vacant from the same day.
    #[tracing::instrument(skip_all, fields(post = %post))]
    pub async fn fill_post(
        &self,
        principal: &Principal,
        post: Uuid,
        version: i32,
        staff: Uuid,
        since: NaiveDate,
    ) -> StoreResult<PostRecord> {
        let (person, rights): (StaffRecord, _) = self.staff_row(principal, staff).await?;
        if !rights.change {
            return Err(StoreError::Forbidden(
                "only the ministry and supervisors fill posts".into(),
            ));
        }
        if person.left_on.is_some() {
            return Err(StoreError::refuse(
                "staff",
                "store-workforce-already-left",
                vec![],
            ));
        }
        if since < person.hired_on || since > today() + chrono::TimeDelta::days(366) {
            return Err(StoreError::refuse(
                "since",
                "store-workforce-date-far",
                vec![],
            ));
        }
        let lock = for_update(self);
        let post_sql = format!("SELECT admin_unit, holder_id, abolished_on, version FROM workforce_posts WHERE id = $1{lock}");
        let now = Utc::now();
        let unit: String = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("workforce.post.fill", "post", post)
                .with_detail(format!("staff {staff} from {since}")));
            let found: Option<(String, Option<Uuid>, Option<NaiveDate>, i32)> = sqlx::query_as(&post_sql)
                .bind(post).fetch_optional(&mut *tx).await?;
            let Some((unit, holder, abolished, now_version)) = found else {
                return Err(StoreError::NotFound);
            };
            if !principal.can_see_unit(&AdminUnitCode::from_stored(unit.clone())) {
                return Err(StoreError::NotFound);
            }
            if now_version != version {
                return Err(StoreError::Conflict { expected: version, actual: now_version });
            }
            if holder.is_some() || abolished.is_some() {
                return Err(StoreError::refuse("post_id", "store-workforce-post-taken", vec![]));
            }
            sqlx::query("UPDATE workforce_posts SET holder_id = NULL, since = $1, version = version + 1, updated_at = $2 WHERE holder_id = $3")
                .bind(since).bind(now).bind(staff).execute(&mut *tx).await?;
            let done = sqlx::query("UPDATE workforce_posts SET holder_id = $1, since = $2, version = version + 1, updated_at = $3
                                    WHERE id = $4 AND version = $5")
                .bind(staff).bind(since).bind(now).bind(post).bind(version)
                .execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict { expected: version, actual: version + 1 });
            }
            tx.commit().await?;
            unit
        });
        let posts = self
            .posts_in(&AdminUnitCode::from_stored(unit), Some(post))
            .await?;
        posts.into_iter().next().ok_or(StoreError::NotFound)
    }
}
