//! Safety plans (issue #18, docs/survivors.md): made with the person on a sensitive case — the
//! risks, safe contacts, safe places, code words, what to do in an emergency — sealed at rest like
//! the case's other narratives, and versioned: each save (a review at a contact) is a new
//! revision, guarded by the revision read. A high risk raises the case to the critical deadlines
//! in the same transaction (`goldaw_core::safety::priority_for_risk`), and the stored due dates
//! are recomputed there as in every write that changes what a case owes.
//!
//! - `save`: a plan made or reviewed;
//! - `read`: the plan in force and its revisions (an audited read);
//! - `neutral_site`: where the pages' quick exit leaves to (an operator's setting).

mod neutral_site;
mod read;
mod save;

pub use neutral_site::DEFAULT_NEUTRAL_SITE;

use chrono::{DateTime, Utc};
pub use goldaw_core::safety::RiskLevel;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the plan says, each part sealed with the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SafetyPlanParts {
    /// The risks she faces (required).
    pub risks: String,
    /// People she can call.
    #[serde(default)]
    pub safe_contacts: String,
    /// Where she can go.
    #[serde(default)]
    pub safe_places: String,
    /// Words agreed with those who help.
    #[serde(default)]
    pub code_words: String,
    /// What to do in an emergency (required).
    pub emergency: String,
}

/// A plan made or reviewed.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSafetyPlan {
    /// The revision read (0 when the case has no plan yet): a plan saved since is a conflict.
    pub revision: i32,
    pub risk_level: RiskLevel,
    pub plan: SafetyPlanParts,
}

/// A revision of the plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SafetyPlan {
    pub case_id: Uuid,
    pub revision: i32,
    pub risk_level: RiskLevel,
    pub plan: SafetyPlanParts,
    pub made_by: String,
    pub made_at: DateTime<Utc>,
}

/// One revision in the plan's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SafetyPlanRevision {
    pub revision: i32,
    pub risk_level: RiskLevel,
    pub made_by: String,
    pub made_at: DateTime<Utc>,
}

/// The plan in force (the latest revision) and every revision, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SafetyPlanFile {
    pub current: Option<SafetyPlan>,
    pub revisions: Vec<SafetyPlanRevision>,
    /// The reader may make or review the plan (works on the case, and it is sensitive).
    pub may_edit: bool,
}

/// Where a plan is sealed: its row.
pub(crate) fn seal_context(id: Uuid) -> String {
    format!("safety_plans.plan:{id}")
}
