//! Reviews: of the plan while support runs (each goal rated achieved, partly or not achieved),
//! the closing review, and the outcome follow-ups about 3 and 6-12 months after closure, each
//! with the standard outcome set of ASSESSMENT.md and the person's view.

use super::{clean_text, corrupt};
use crate::audit::{append_audit, AuditEvent};
use crate::due_dates::refresh_due_dates;
use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::Principal;
use goldaw_core::codes::CaseStatus;
use goldaw_core::deadlines::local_date;
use goldaw_core::workflow::CaseAction;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    PlanReview,
    Closing,
    FollowUpShort,
    FollowUpLong,
}

impl ReviewKind {
    pub const ALL: [ReviewKind; 4] = [
        ReviewKind::PlanReview,
        ReviewKind::Closing,
        ReviewKind::FollowUpShort,
        ReviewKind::FollowUpLong,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::PlanReview => "plan_review",
            ReviewKind::Closing => "closing",
            ReviewKind::FollowUpShort => "follow_up_short",
            ReviewKind::FollowUpLong => "follow_up_long",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewKind> {
        ReviewKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoalRating {
    Achieved,
    Partly,
    NotAchieved,
}

impl GoalRating {
    pub fn as_str(self) -> &'static str {
        match self {
            GoalRating::Achieved => "achieved",
            GoalRating::Partly => "partly",
            GoalRating::NotAchieved => "not_achieved",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncomeChange {
    Up,
    Same,
    Down,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalReviewInput {
    pub goal: Uuid,
    pub rating: GoalRating,
    #[serde(default)]
    pub person_view: Option<String>,
}

/// A review as recorded with the person.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    #[schema(value_type = ReviewKind)]
    pub kind: Option<ReviewKind>,
    /// When it was held; today if absent.
    #[serde(default)]
    pub held_on: Option<NaiveDate>,
    /// Plan and closing reviews: every goal of the approved plan, rated.
    #[serde(default)]
    pub goals: Vec<GoalReviewInput>,
    #[serde(default)]
    pub living_at_home: Option<bool>,
    #[serde(default)]
    pub family_together: Option<bool>,
    #[serde(default)]
    pub in_education_or_work: Option<bool>,
    #[serde(default)]
    pub income_change: Option<IncomeChange>,
    /// The person's own rating, 0-10.
    #[serde(default)]
    pub feels_safe: Option<u8>,
    /// 0-10.
    #[serde(default)]
    pub satisfaction: Option<u8>,
    #[serde(default)]
    pub person_view: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GoalReview {
    pub goal: Uuid,
    pub rating: GoalRating,
    pub person_view: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub kind: ReviewKind,
    pub held_on: NaiveDate,
    pub goals: Vec<GoalReview>,
    pub living_at_home: Option<bool>,
    pub family_together: Option<bool>,
    pub in_education_or_work: Option<bool>,
    pub income_change: Option<IncomeChange>,
    pub feels_safe: Option<i32>,
    pub satisfaction: Option<i32>,
    pub person_view: Option<String>,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: Uuid,
    case_id: Uuid,
    plan_id: Option<Uuid>,
    kind: String,
    held_on: NaiveDate,
    living_at_home: Option<bool>,
    family_together: Option<bool>,
    in_education_or_work: Option<bool>,
    income_change: Option<String>,
    feels_safe: Option<i32>,
    satisfaction: Option<i32>,
    person_view_sealed: Option<Vec<u8>>,
    author: String,
    created_at: DateTime<Utc>,
}

impl Store {
    /// Records a review. A plan or closing review rates every goal of the approved plan; a
    /// follow-up is held after closure. A plan review resets the review clock.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn record_review(
        &self,
        principal: &Principal,
        case_id: Uuid,
        input: ReviewInput,
    ) -> StoreResult<ReviewRecord> {
        let row = self.load_case_row(principal, case_id).await?;
        let status: CaseStatus = row.status.parse().map_err(|e| corrupt("case status", e))?;
        let Some(kind) = input.kind else {
            return Err(StoreError::refuse(
                "kind",
                "store-review-kind-missing",
                vec![],
            ));
        };
        // Follow-ups are case work on a closed case; other reviews on an open one.
        let as_action = if status == CaseStatus::Closed {
            CaseAction::Reopen
        } else {
            CaseAction::ToActive
        };
        self.may_act(principal, &row, as_action)?;
        let today = local_date(Utc::now());
        let held_on = input.held_on.unwrap_or(today);
        if held_on > today {
            return Err(StoreError::refuse("held_on", "store-review-future", vec![]));
        }
        for (field, v) in [
            ("feels_safe", input.feels_safe),
            ("satisfaction", input.satisfaction),
        ] {
            if v.is_some_and(|v| v > 10) {
                return Err(StoreError::refuse(
                    field,
                    "store-review-rating-range",
                    vec![],
                ));
            }
        }
        let plan: Option<(Uuid,)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id FROM support_plans WHERE case_id = $1 AND status = 'approved'")
                .bind(case_id).fetch_optional(pool).await?
        });
        let plan_id = plan.map(|(id,)| id);
        match kind {
            ReviewKind::PlanReview
                if !matches!(status, CaseStatus::Active | CaseStatus::Monitoring) =>
            {
                return Err(StoreError::refuse(
                    "kind",
                    "store-review-plan-not-now",
                    vec![],
                ))
            }
            ReviewKind::Closing if status == CaseStatus::Closed => {
                return Err(StoreError::refuse(
                    "kind",
                    "store-review-closing-closed",
                    vec![],
                ))
            }
            ReviewKind::FollowUpShort | ReviewKind::FollowUpLong
                if status != CaseStatus::Closed =>
            {
                return Err(StoreError::refuse(
                    "kind",
                    "store-review-follow-up-open",
                    vec![],
                ))
            }
            _ => {}
        }
        // Plan and closing reviews rate each goal of the approved plan, once.
        let rated =
            matches!(kind, ReviewKind::PlanReview | ReviewKind::Closing) && plan_id.is_some();
        let goal_ids: Vec<(Uuid,)> = match plan_id {
            Some(p) if rated => with_db!(self.db(), pool => {
                sqlx::query_as("SELECT id FROM plan_goals WHERE plan_id = $1").bind(p).fetch_all(pool).await?
            }),
            _ => Vec::new(),
        };
        let mut ratings = Vec::new();
        for (i, g) in input.goals.iter().enumerate() {
            if !goal_ids.iter().any(|(id,)| *id == g.goal)
                || input.goals[..i].iter().any(|o| o.goal == g.goal)
            {
                return Err(StoreError::refuse(
                    &format!("goals[{i}].goal"),
                    "store-review-goal-unknown",
                    vec![],
                ));
            }
            ratings.push((
                g.goal,
                g.rating,
                clean_text(&format!("goals[{i}].person_view"), g.person_view.as_deref())?,
            ));
        }
        if rated && ratings.len() != goal_ids.len() {
            return Err(StoreError::refuse(
                "goals",
                "store-review-goals-unrated",
                vec![
                    ("rated", SayArg::Number(ratings.len() as i64)),
                    ("count", SayArg::Number(goal_ids.len() as i64)),
                ],
            ));
        }
        let id = Uuid::now_v7();
        let view = clean_text("person_view", input.person_view.as_deref())?;
        let view_sealed = self.seal_text(
            "case text",
            view.as_deref(),
            &format!("reviews.person_view:{id}"),
        )?;
        let mut goal_views = Vec::new();
        for (goal, rating, v) in &ratings {
            goal_views.push((
                *goal,
                *rating,
                self.seal_text(
                    "case text",
                    v.as_deref(),
                    &format!("review_goals.person_view:{id}:{goal}"),
                )?,
            ));
        }
        let now = Utc::now();
        let income = input.income_change.map(|c| match c {
            IncomeChange::Up => "up",
            IncomeChange::Same => "same",
            IncomeChange::Down => "down",
        });
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("case.review", "case", case_id).with_detail(kind.as_str()));
            sqlx::query(
                "INSERT INTO reviews (id, case_id, plan_id, kind, held_on, living_at_home, family_together,
                    in_education_or_work, income_change, feels_safe, satisfaction, person_view_sealed, author, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(id).bind(case_id).bind(plan_id.filter(|_| rated)).bind(kind.as_str()).bind(held_on)
            .bind(input.living_at_home).bind(input.family_together).bind(input.in_education_or_work)
            .bind(income).bind(input.feels_safe.map(i32::from)).bind(input.satisfaction.map(i32::from))
            .bind(view_sealed).bind(&principal.actor).bind(now)
            .execute(&mut *tx).await?;
            for (goal, rating, sealed) in &goal_views {
                sqlx::query("INSERT INTO review_goals (review_id, goal_id, rating, person_view_sealed) VALUES ($1, $2, $3, $4)")
                    .bind(id).bind(goal).bind(rating.as_str()).bind(sealed.as_deref())
                    .execute(&mut *tx).await?;
            }
            if kind == ReviewKind::PlanReview {
                sqlx::query("UPDATE cases SET last_review_at = $1 WHERE id = $2").bind(now).bind(case_id).execute(&mut *tx).await?;
            }
            refresh_due_dates!(self, tx, &[case_id]);
            tx.commit().await?;
        });
        let reviews = self.case_reviews(principal, case_id).await?;
        reviews
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// The case's reviews, newest first.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn case_reviews(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<ReviewRecord>> {
        let case = self.load_case_row(principal, case_id).await?;
        let restricted = case.restricted_for(principal);
        let out = self.reviews_of(case_id, restricted).await?;
        self.audit(
            principal,
            AuditEvent::on("review.read", "case", case_id)
                .with_detail(format!("{} reviews", out.len())),
        )
        .await?;
        Ok(out)
    }

    /// The reviews of a case the caller was already allowed to read, newest first; not audited here.
    pub(super) async fn reviews_of(
        &self,
        case_id: Uuid,
        restricted: bool,
    ) -> StoreResult<Vec<ReviewRecord>> {
        let rows: Vec<ReviewRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, case_id, plan_id, kind, held_on, living_at_home, family_together, in_education_or_work,
                                   income_change, feels_safe, satisfaction, person_view_sealed, author, created_at
                            FROM reviews WHERE case_id = $1 ORDER BY created_at DESC")
                .bind(case_id).fetch_all(pool).await?
        });
        let goals: Vec<(Uuid, Uuid, String, Option<Vec<u8>>)> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT g.review_id, g.goal_id, g.rating, g.person_view_sealed FROM review_goals g
                            JOIN reviews r ON r.id = g.review_id WHERE r.case_id = $1")
                .bind(case_id).fetch_all(pool).await?
        });
        let open = |sealed: Option<&[u8]>, context: String| -> StoreResult<Option<String>> {
            if restricted {
                Ok(None)
            } else {
                self.open_text("case text", sealed, &context)
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut rated = Vec::new();
            for (review, goal, rating, sealed) in &goals {
                if *review != r.id {
                    continue;
                }
                rated.push(GoalReview {
                    goal: *goal,
                    rating: match rating.as_str() {
                        "achieved" => GoalRating::Achieved,
                        "partly" => GoalRating::Partly,
                        _ => GoalRating::NotAchieved,
                    },
                    person_view: open(
                        sealed.as_deref(),
                        format!("review_goals.person_view:{}:{goal}", r.id),
                    )?,
                });
            }
            out.push(ReviewRecord {
                kind: ReviewKind::parse(&r.kind).ok_or_else(|| corrupt("review kind", &r.kind))?,
                income_change: match r.income_change.as_deref() {
                    Some("up") => Some(IncomeChange::Up),
                    Some("same") => Some(IncomeChange::Same),
                    Some("down") => Some(IncomeChange::Down),
                    _ => None,
                },
                person_view: open(
                    r.person_view_sealed.as_deref(),
                    format!("reviews.person_view:{}", r.id),
                )?,
                goals: rated,
                id: r.id,
                case_id: r.case_id,
                plan_id: r.plan_id,
                held_on: r.held_on,
                living_at_home: r.living_at_home,
                family_together: r.family_together,
                in_education_or_work: r.in_education_or_work,
                feels_safe: r.feels_safe,
                satisfaction: r.satisfaction,
                author: r.author,
                created_at: r.created_at,
            });
        }
        Ok(out)
    }
}
