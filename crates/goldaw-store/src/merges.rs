//! Merging duplicate people: two records of one person become one, with the history kept.
//!
//! The merged record's cases, service episodes, referrals to services, assessment items and
//! consents (withdrawn ones too, with the overrides and disclosures) move to the kept record, which may also take a birth date it lacked, the merged record's target
//! groups and (when it lived alone) the merged record's household: the rules are
//! `goldaw_core::merges`. The merged record stays, marked `merged_into`; search and duplicate
//! checks no longer find it, and reading it by id answers with the kept record. A
//! `person_merges` row says who merged what, when, and exactly what moved (ids, as JSON), so the
//! merge can be audited and undone; the merge is audited and written to each moved case's history.
//!
//! Who: a supervisor (the permission to approve case decisions) who can see both records and
//! every case of the merged one. Both records' versions guard the merge (no lost updates).

use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::people::{require, PersonRecord};
use crate::scope::{person_visible, unit_range, MARK_NAMED_IN_HOUSEHOLD};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::merges::{plan_merge, MergeRefusal, MergeSide};
use goldaw_core::people::TargetGroups;
use goldaw_core::workflow::Refusal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A merge asked for: the record to fold into the kept one, and both versions as read.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate record, merged into the kept one.
    pub merged: Uuid,
    /// The kept record's version as read.
    pub kept_version: i32,
    /// The merged record's version as read.
    pub merged_version: i32,
}

/// One assessment item that moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MovedItem {
    pub assessment: Uuid,
    pub item: String,
}

/// The kept record's household before it joined the merged record's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HouseholdMove {
    pub from: Uuid,
    pub to: Uuid,
    pub relationship_before: Option<String>,
}

/// Exactly what a merge changed: enough to undo it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Moved {
    pub cases: Vec<Uuid>,
    pub service_episodes: Vec<Uuid>,
    pub referrals: Vec<Uuid>,
    pub assessment_items: Vec<MovedItem>,
    /// The kept record took the merged record's household.
    pub household: Option<HouseholdMove>,
    /// The kept record took the merged record's birth date.
    pub birth_date_filled: Option<NaiveDate>,
    /// Target groups the kept record took from the merged one.
    pub target_groups_added: Vec<String>,
    /// The merged record's consents, withdrawn ones included: a withdrawal must keep governing
    /// her sharing after the merge (without them the kept record would answer as a person never
    /// put under consent records, and every share would go through). Absent from merges recorded
    /// before they moved.
    #[serde(default)]
    pub consents: Vec<Uuid>,
    /// The supervisors' overrides of her consent, and what was shared on what basis: her
    /// record's history stays whole.
    #[serde(default)]
    pub consent_overrides: Vec<Uuid>,
    #[serde(default)]
    pub disclosures: Vec<Uuid>,
}

/// A merge as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MergeRecord {
    pub id: Uuid,
    pub kept: Uuid,
    pub merged: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub moved: Moved,
    /// When the merge was undone, and by whom (`undo_merge`).
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_by: Option<String>,
}

/// Undoing a merge asked for: the kept record's version as read (no lost updates).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UndoRequest {
    pub kept_version: i32,
}

#[derive(sqlx::FromRow)]
struct MergeRow {
    id: Uuid,
    kept_id: Uuid,
    merged_id: Uuid,
    at: DateTime<Utc>,
    actor: String,
    moved: String,
    undone_at: Option<DateTime<Utc>>,
    undone_by: Option<String>,
}

impl MergeRow {
    fn record(self) -> StoreResult<MergeRecord> {
        Ok(MergeRecord {
            id: self.id,
            kept: self.kept_id,
            merged: self.merged_id,
            at: self.at,
            actor: self.actor,
            moved: serde_json::from_str(&self.moved).map_err(|e| corrupt("merge", e))?,
            undone_at: self.undone_at,
            undone_by: self.undone_by,
        })
    }
}

/// Both records side by side, before a merge is confirmed.
#[derive(Debug, Clone)]
pub struct MergePreview {
    pub kept: PersonRecord,
    pub merged: PersonRecord,
    pub kept_cases: u32,
    pub merged_cases: u32,
    /// Why the merge would be refused now, if it would.
    pub refusal: Option<MergeRefusal>,
}

#[derive(sqlx::FromRow)]
struct SideRow {
    id: Uuid,
    sex: String,
    birth_date: Option<NaiveDate>,
    household_id: Uuid,
    implicit: bool,
    merged_into: Option<Uuid>,
    version: i32,
    relationship: Option<String>,
    target_groups: String,
}

/// The kept record's fields a merge sets and its undo sets back, guarded by its version.
const SET_KEPT_FIELDS: &str =
    "UPDATE persons SET birth_date = $1, household_id = $2, relationship = $3,
    target_groups = $4, sensitive = $5, version = version + 1, updated_at = $6
    WHERE id = $7 AND version = $8 AND merged_into IS NULL";

/// How many `merged_into` links are followed when a merged record is read (a merged record's
/// kept one may itself be merged later).
const MAX_HOPS: usize = 8;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn side_of(row: &SideRow) -> StoreResult<MergeSide> {
    Ok(MergeSide {
        id: row.id,
        sex: row.sex.parse().map_err(|e| corrupt("sex", e))?,
        birth_date: row.birth_date,
        household: row.household_id,
        lives_alone: row.implicit,
        merged: row.merged_into.is_some(),
    })
}

fn refused(r: MergeRefusal) -> StoreError {
    StoreError::Refused(Refusal::Merge(r))
}

impl Store {
    /// The record to read for `id`: itself, or the record it was merged into (followed while the
    /// principal may see each link). `NotFound` when outside scope.
    pub(crate) async fn current_person_id(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<Uuid> {
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let sql = format!(
            "SELECT merged_into FROM persons p WHERE p.admin_unit >= $1 AND p.admin_unit < $2 AND {} AND p.id = $4",
            person_visible!("p", "$3")
        );
        let mut current = id;
        for _ in 0..MAX_HOPS {
            let found: Option<(Option<Uuid>,)> = with_db!(self.db(), pool => {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(principal.sensitive)
                    .bind(current)
                    .fetch_optional(pool)
                    .await?
            });
            match found {
                None => return Err(StoreError::NotFound),
                Some((None,)) => return Ok(current),
                Some((Some(next),)) => current = next,
            }
        }
        Err(corrupt(
            "person",
            format!("{id}: merged more than {MAX_HOPS} times over"),
        ))
    }

    async fn merge_side(&self, principal: &Principal, id: Uuid) -> StoreResult<SideRow> {
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let sql = format!(
            "SELECT p.id, p.sex, p.birth_date, p.household_id, h.implicit, p.merged_into, p.version,
                    p.relationship, p.target_groups
             FROM persons p JOIN households h ON h.id = p.household_id
             WHERE p.admin_unit >= $1 AND p.admin_unit < $2 AND {} AND p.id = $4",
            person_visible!("p", "$3")
        );
        let row: Option<SideRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&sql)
            .bind(&lo)
            .bind(&hi)
            .bind(principal.sensitive)
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound)
    }

    fn may_merge(principal: &Principal) -> StoreResult<()> {
        require(principal, Permission::ReadPeople)?;
        require(principal, Permission::ApproveCases)
    }

    /// Both records, and whether they may be merged, for the confirmation page. Audited as a
    /// read of both.
    #[tracing::instrument(skip_all, fields(kept = %kept, merged = %merged))]
    pub async fn merge_preview(
        &self,
        principal: &Principal,
        kept: Uuid,
        merged: Uuid,
    ) -> StoreResult<MergePreview> {
        Store::may_merge(principal)?;
        let (k, m) = (
            self.merge_side(principal, kept).await?,
            self.merge_side(principal, merged).await?,
        );
        let refusal = plan_merge(&side_of(&k)?, &side_of(&m)?).err();
        let count = |person: Uuid| async move {
            let (n,): (i64,) = with_db!(self.db(), pool => {
                sqlx::query_as("SELECT COUNT(*) FROM cases WHERE person_id = $1")
                    .bind(person)
                    .fetch_one(pool)
                    .await?
            });
            StoreResult::Ok(u32::try_from(n).unwrap_or(u32::MAX))
        };
        let preview = MergePreview {
            kept_cases: count(kept).await?,
            merged_cases: count(merged).await?,
            kept: self.load_person(principal, kept).await?,
            merged: self.load_person(principal, merged).await?,
            refusal,
        };
        self.audit(
            principal,
            AuditEvent::on("person.merge_preview", "person", kept)
                .with_detail(format!("compared with {merged}")),
        )
        .await?;
        Ok(preview)
    }

    /// Merges `request.merged` into `kept`; refused with the reason when the records disagree on
    /// who the person is, when either was changed since read, or when a case of the merged record
    /// lies outside the principal's scope.
    #[tracing::instrument(skip_all, fields(kept = %kept))]
    pub async fn merge_persons(
        &self,
        principal: &Principal,
        kept: Uuid,
        request: MergeRequest,
    ) -> StoreResult<MergeRecord> {
        Store::may_merge(principal)?;
        let (lo, hi) = unit_range(principal).ok_or(StoreError::NotFound)?;
        let k = self.merge_side(principal, kept).await?;
        let m = self.merge_side(principal, request.merged).await?;
        let changes = plan_merge(&side_of(&k)?, &side_of(&m)?).map_err(refused)?;
        for (row, version) in [(&k, request.kept_version), (&m, request.merged_version)] {
            if row.version != version {
                return Err(StoreError::Conflict {
                    expected: version,
                    actual: row.version,
                });
            }
        }
        // The kept record takes the merged record's target groups (a protection need recorded on
        // either record stays recorded).
        let parse_groups = |s: &str| {
            s.parse::<TargetGroups>()
                .map_err(|e| corrupt("target groups", e))
        };
        let (kept_groups, merged_groups) = (
            parse_groups(&k.target_groups)?,
            parse_groups(&m.target_groups)?,
        );
        let added: Vec<_> = merged_groups
            .iter()
            .filter(|g| !kept_groups.0.contains(g))
            .collect();
        let mut groups = kept_groups.clone();
        groups.0.extend(added.iter().copied());
        let household = changes.household.map(|to| HouseholdMove {
            from: k.household_id,
            to,
            relationship_before: k.relationship.clone(),
        });
        let mut moved = Moved {
            household: household.clone(),
            birth_date_filled: changes.birth_date,
            target_groups_added: added.iter().map(|g| g.as_str().to_owned()).collect(),
            ..Moved::default()
        };
        let id = Uuid::now_v7();
        let now = Utc::now();
        let merged = request.merged;
        let event = AuditEvent::on("person.merge", "person", kept)
            .with_detail(format!("merged {merged} into it (merge {id})"));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            let done = sqlx::query("UPDATE persons SET merged_into = $1, version = version + 1, updated_at = $2
                                    WHERE id = $3 AND version = $4 AND merged_into IS NULL")
                .bind(kept).bind(now).bind(merged).bind(request.merged_version)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: request.merged_version, actual: request.merged_version + 1 });
            }
            let done = sqlx::query(SET_KEPT_FIELDS)
            .bind(k.birth_date.or(changes.birth_date))
            .bind(changes.household.unwrap_or(k.household_id))
            .bind(if changes.household.is_some() { m.relationship.as_deref() } else { k.relationship.as_deref() })
            .bind(groups.to_field())
            .bind(groups.is_sensitive())
            .bind(now)
            .bind(kept)
            .bind(request.kept_version)
            .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: request.kept_version, actual: request.kept_version + 1 });
            }
            for group in &added {
                sqlx::query("INSERT INTO person_target_groups (person_id, target_group) VALUES ($1, $2)")
                    .bind(kept).bind(group.as_str()).execute(&mut *tx).await?;
            }
            // Only cases in scope move; any left means the merged record has a case the
            // principal cannot see, and nothing is changed.
            let cases: Vec<(Uuid,)> = sqlx::query_as(
                "UPDATE cases SET person_id = $1, version = version + 1, updated_at = $2
                 WHERE person_id = $3 AND admin_unit >= $4 AND admin_unit < $5 RETURNING id",
            )
            .bind(kept).bind(now).bind(merged).bind(&lo).bind(&hi)
            .fetch_all(&mut *tx).await?;
            let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases WHERE person_id = $1")
                .bind(merged).fetch_one(&mut *tx).await?;
            if left > 0 {
                return Err(StoreError::Forbidden(format!(
                    "the duplicate record has {left} case(s) outside your scope: a supervisor whose scope covers them merges these records"
                )));
            }
            let (overlap,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM assessment_items a JOIN assessment_items b
                   ON b.assessment_id = a.assessment_id AND b.item = a.item
                 WHERE a.person_id = $1 AND b.person_id = $2",
            )
            .bind(merged).bind(kept).fetch_one(&mut *tx).await?;
            if overlap > 0 {
                return Err(refused(MergeRefusal::AssessmentsOverlap));
            }
            let episodes: Vec<(Uuid,)> = sqlx::query_as(
                "UPDATE service_episodes SET person_id = $1, version = version + 1, updated_at = $2 WHERE person_id = $3 RETURNING id",
            )
            .bind(kept).bind(now).bind(merged).fetch_all(&mut *tx).await?;
            let referrals: Vec<(Uuid,)> = sqlx::query_as(
                "UPDATE service_referrals SET person_id = $1, version = version + 1, updated_at = $2 WHERE person_id = $3 RETURNING id",
            )
            .bind(kept).bind(now).bind(merged).fetch_all(&mut *tx).await?;
            let items: Vec<(Uuid, String)> = sqlx::query_as(
                "UPDATE assessment_items SET person_id = $1 WHERE person_id = $2 RETURNING assessment_id, item",
            )
            .bind(kept).bind(merged).fetch_all(&mut *tx).await?;
            let consents: Vec<(Uuid,)> = sqlx::query_as(
                "UPDATE consents SET person_id = $1, version = version + 1 WHERE person_id = $2 RETURNING id",
            )
            .bind(kept).bind(merged).fetch_all(&mut *tx).await?;
            let overrides: Vec<(Uuid,)> = sqlx::query_as(
                "UPDATE consent_overrides SET person_id = $1 WHERE person_id = $2 RETURNING id",
            )
            .bind(kept).bind(merged).fetch_all(&mut *tx).await?;
            let disclosures: Vec<(Uuid,)> = sqlx::query_as(
                "UPDATE disclosures SET person_id = $1 WHERE person_id = $2 RETURNING id",
            )
            .bind(kept).bind(merged).fetch_all(&mut *tx).await?;
            moved.consents = consents.into_iter().map(|(c,)| c).collect();
            moved.consent_overrides = overrides.into_iter().map(|(c,)| c).collect();
            moved.disclosures = disclosures.into_iter().map(|(c,)| c).collect();
            moved.cases = cases.into_iter().map(|(c,)| c).collect();
            moved.service_episodes = episodes.into_iter().map(|(e,)| e).collect();
            moved.referrals = referrals.into_iter().map(|(r,)| r).collect();
            moved.assessment_items = items
                .into_iter()
                .map(|(assessment, item)| MovedItem { assessment, item })
                .collect();
            for case in &moved.cases {
                sqlx::query(
                    "INSERT INTO case_events (id, case_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, 'person_merged', $5)",
                )
                .bind(Uuid::now_v7()).bind(case).bind(now).bind(&principal.actor).bind(format!("merge {id}"))
                .execute(&mut *tx).await?;
            }
            // The kept record now carries what named the merged one in a sensitive case.
            sqlx::query(MARK_NAMED_IN_HOUSEHOLD).bind(kept).execute(&mut *tx).await?;
            let json = serde_json::to_string(&moved).map_err(|e| corrupt("merge", e))?;
            sqlx::query("INSERT INTO person_merges (id, kept_id, merged_id, at, actor, moved) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id).bind(kept).bind(merged).bind(now).bind(&principal.actor).bind(json)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(MergeRecord {
            id,
            kept,
            merged,
            at: now,
            actor: principal.actor.clone(),
            moved,
            undone_at: None,
            undone_by: None,
        })
    }

    /// A merge as recorded, for those who may merge and can see both records; `NotFound`
    /// otherwise. Audited as a read of the kept record.
    #[tracing::instrument(skip_all, fields(merge = %id))]
    pub async fn merge_record(&self, principal: &Principal, id: Uuid) -> StoreResult<MergeRecord> {
        Store::may_merge(principal)?;
        let record = self.load_merge(principal, id).await?;
        self.audit(
            principal,
            AuditEvent::on("person.merge_read", "person", record.kept)
                .with_detail(format!("merge {id}")),
        )
        .await?;
        Ok(record)
    }

    async fn load_merge(&self, principal: &Principal, id: Uuid) -> StoreResult<MergeRecord> {
        let row: Option<MergeRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, kept_id, merged_id, at, actor, moved, undone_at, undone_by FROM person_merges WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let record = row.ok_or(StoreError::NotFound)?.record()?;
        // Both records must be in the principal's scope (the same answer as no such merge).
        self.merge_side(principal, record.kept).await?;
        self.merge_side(principal, record.merged).await?;
        Ok(record)
    }

    /// Undoes a merge: the duplicate record is separate again and takes back exactly what moved
    /// (cases, service episodes, referrals to services, assessment answers, consents, overrides and disclosures); the kept record gives
    /// back the household, birth date and target groups it took. Refused while a later merge into
    /// the kept record stands (undo that first), when the kept record was itself merged since,
    /// or when the merge was already undone; a stale `kept_version` is a conflict. Records that
    /// were added to the kept record after the merge stay with it: nothing tells whose they were.
    #[tracing::instrument(skip_all, fields(merge = %id))]
    pub async fn undo_merge(
        &self,
        principal: &Principal,
        id: Uuid,
        request: UndoRequest,
    ) -> StoreResult<MergeRecord> {
        Store::may_merge(principal)?;
        let record = self.load_merge(principal, id).await?;
        if record.undone_at.is_some() {
            return Err(StoreError::refuse(
                "merge",
                "store-merge-already-undone",
                vec![],
            ));
        }
        let k = self.merge_side(principal, record.kept).await?;
        let m = self.merge_side(principal, record.merged).await?;
        if k.merged_into.is_some() || m.merged_into != Some(record.kept) {
            return Err(StoreError::refuse(
                "merge",
                "store-merge-merged-since",
                vec![],
            ));
        }
        let (later,): (i64,) = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT COUNT(*) FROM person_merges WHERE kept_id = $1 AND at > $2 AND undone_at IS NULL")
                .bind(record.kept)
                .bind(record.at)
                .fetch_one(pool)
                .await?
        });
        if later > 0 {
            return Err(StoreError::refuse(
                "merge",
                "store-merge-later-merge",
                vec![],
            ));
        }
        if k.version != request.kept_version {
            return Err(StoreError::Conflict {
                expected: request.kept_version,
                actual: k.version,
            });
        }
        let moved = &record.moved;
        let mut groups = k
            .target_groups
            .parse::<TargetGroups>()
            .map_err(|e| corrupt("target groups", e))?;
        groups
            .0
            .retain(|g| !moved.target_groups_added.iter().any(|a| a == g.as_str()));
        // The household and the birth date go back only if they are still what the merge set.
        let household = moved.household.as_ref().filter(|h| h.to == k.household_id);
        let birth_date = match moved.birth_date_filled {
            Some(filled) if k.birth_date == Some(filled) => None,
            _ => k.birth_date,
        };
        let now = Utc::now();
        let (kept, merged) = (record.kept, record.merged);
        let event = AuditEvent::on("person.merge_undo", "person", kept)
            .with_detail(format!("separated {merged} again (merge {id})"));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            let done = sqlx::query("UPDATE person_merges SET undone_at = $1, undone_by = $2 WHERE id = $3 AND undone_at IS NULL")
                .bind(now).bind(&principal.actor).bind(id)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::refuse("merge", "store-merge-already-undone", vec![]));
            }
            let done = sqlx::query("UPDATE persons SET merged_into = NULL, version = version + 1, updated_at = $1
                                    WHERE id = $2 AND merged_into = $3")
                .bind(now).bind(merged).bind(kept)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: m.version, actual: m.version + 1 });
            }
            let done = sqlx::query(SET_KEPT_FIELDS)
            .bind(birth_date)
            .bind(household.map_or(k.household_id, |h| h.from))
            .bind(match household { Some(h) => h.relationship_before.as_deref(), None => k.relationship.as_deref() })
            .bind(groups.to_field())
            .bind(groups.is_sensitive())
            .bind(now)
            .bind(kept)
            .bind(request.kept_version)
            .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict { expected: request.kept_version, actual: request.kept_version + 1 });
            }
            for group in &moved.target_groups_added {
                sqlx::query("DELETE FROM person_target_groups WHERE person_id = $1 AND target_group = $2")
                    .bind(kept).bind(group).execute(&mut *tx).await?;
            }
            // Each moved record goes back only if it is still the kept record's.
            for case in &moved.cases {
                sqlx::query("UPDATE cases SET person_id = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND person_id = $4")
                    .bind(merged).bind(now).bind(case).bind(kept)
                    .execute(&mut *tx).await?;
                sqlx::query(
                    "INSERT INTO case_events (id, case_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, 'person_merge_undone', $5)",
                )
                .bind(Uuid::now_v7()).bind(case).bind(now).bind(&principal.actor).bind(format!("merge {id}"))
                .execute(&mut *tx).await?;
            }
            for episode in &moved.service_episodes {
                sqlx::query("UPDATE service_episodes SET person_id = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND person_id = $4")
                    .bind(merged).bind(now).bind(episode).bind(kept)
                    .execute(&mut *tx).await?;
            }
            for referral in &moved.referrals {
                sqlx::query("UPDATE service_referrals SET person_id = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND person_id = $4")
                    .bind(merged).bind(now).bind(referral).bind(kept)
                    .execute(&mut *tx).await?;
            }
            for item in &moved.assessment_items {
                sqlx::query("UPDATE assessment_items SET person_id = $1 WHERE assessment_id = $2 AND item = $3 AND person_id = $4")
                    .bind(merged).bind(item.assessment).bind(&item.item).bind(kept)
                    .execute(&mut *tx).await?;
            }
            for consent in &moved.consents {
                sqlx::query("UPDATE consents SET person_id = $1, version = version + 1 WHERE id = $2 AND person_id = $3")
                    .bind(merged).bind(consent).bind(kept)
                    .execute(&mut *tx).await?;
            }
            for (table, ids) in [("consent_overrides", &moved.consent_overrides), ("disclosures", &moved.disclosures)] {
                for id in ids {
                    sqlx::query(&format!("UPDATE {table} SET person_id = $1 WHERE id = $2 AND person_id = $3"))
                        .bind(merged).bind(id).bind(kept)
                        .execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        });
        Ok(MergeRecord {
            undone_at: Some(now),
            undone_by: Some(principal.actor.clone()),
            ..record
        })
    }
}
