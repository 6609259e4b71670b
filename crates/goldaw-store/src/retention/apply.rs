//! The run: each due case's free text removed and its sealed text destroyed, then each person
//! all of whose cases are due anonymised. One transaction per case and per person, each with its
//! audit event first and the rule asked again inside it (a hold set, a case reopened, a service
//! started since the plan leaves the record as it is, for the next run).

use super::plan::DueCase;
use super::RetentionOutcome;
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::service_referrals::for_update;
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use goldaw_core::access::Principal;
use goldaw_core::retention::{
    anonymised_external_id, case_kind, keeps_event_detail, may_set_years, verdict, year_only,
    RetentionYears, Verdict,
};
use uuid::Uuid;

/// What the anonymised name reads.
pub const ANONYMISED_NAME: &str = "—";

/// Nullable sealed text of a case, removed (the value and its nonce are gone).
const CLEARED: [&str; 10] = [
    "UPDATE assessments SET summary_sealed = NULL WHERE case_id = $1",
    "UPDATE assessment_items SET strengths_sealed = NULL, own_words_sealed = NULL, text_sealed = NULL
      WHERE assessment_id IN (SELECT id FROM assessments WHERE case_id = $1)",
    "UPDATE support_plans SET person_views_sealed = NULL WHERE case_id = $1",
    "UPDATE reviews SET person_view_sealed = NULL WHERE case_id = $1",
    "UPDATE review_goals SET person_view_sealed = NULL
      WHERE review_id IN (SELECT id FROM reviews WHERE case_id = $1)",
    "UPDATE service_referrals SET info_sealed = NULL, decision_note_sealed = NULL WHERE case_id = $1",
    "UPDATE disclosures SET detail_sealed = NULL WHERE case_id = $1",
    // The caller's code name is often the name she gave (it becomes her person's name when the
    // call becomes a case): it goes too, as [`ANONYMISED_NAME`].
    "UPDATE hotline_calls SET summary_sealed = NULL, caller_code = '—' WHERE case_id = $1",
    "UPDATE partner_referrals SET outcome_sealed = NULL WHERE case_id = $1",
    // Attached documents and safety plans go whole: they are nothing but the person's detail.
    "DELETE FROM safety_plans WHERE case_id = $1",
];

/// Sealed text that may not be empty: sealed again as the empty text, so the old value and its
/// nonce are gone and readers still open the row. (table.column, the rows' ids from the case).
const RESEALED: [(&str, &str, &str); 5] = [
    ("case_notes", "text", "SELECT id FROM case_notes WHERE case_id = $1"),
    (
        "plan_goals",
        "goal",
        "SELECT g.id FROM plan_goals g JOIN support_plans s ON s.id = g.plan_id WHERE s.case_id = $1",
    ),
    (
        "plan_actions",
        "who",
        "SELECT a.id FROM plan_actions a JOIN support_plans s ON s.id = a.plan_id WHERE s.case_id = $1",
    ),
    (
        "plan_actions",
        "what",
        "SELECT a.id FROM plan_actions a JOIN support_plans s ON s.id = a.plan_id WHERE s.case_id = $1",
    ),
    ("consent_overrides", "note", "SELECT id FROM consent_overrides WHERE case_id = $1"),
];

/// A person as the run reads them: birth date, anonymised, version, household, external id.
type PersonNow = (Option<NaiveDate>, Option<DateTime<Utc>>, i32, Uuid, String);

type CaseNow = (
    String,
    Option<NaiveDate>,
    bool,
    Option<DateTime<Utc>>,
    i32,
    Option<NaiveDate>,
);

impl Store {
    /// Runs retention on `as_of` (the operator's `goldaw retention --apply`; the ministry may
    /// too): what [`Store::retention_plan`] lists, each record checked again in its transaction.
    /// Needs the encryption key (sealed text is sealed again as empty).
    #[tracing::instrument(skip_all)]
    pub async fn apply_retention(
        &self,
        principal: &Principal,
        as_of: NaiveDate,
    ) -> StoreResult<RetentionOutcome> {
        if !may_set_years(principal) {
            return Err(StoreError::Forbidden(
                "the retention run is the ministry's and the operator's".into(),
            ));
        }
        self.secrets("retention (sealed text is destroyed by sealing it again as empty)")?;
        let plan = self.retention_plan(principal, as_of).await?;
        let years = self.retention_years().await?;
        let mut outcome = RetentionOutcome::default();
        for case in &plan.cases {
            if self.anonymise_case(principal, case, &years, as_of).await? {
                outcome.cases += 1;
            } else {
                outcome.skipped += 1;
            }
        }
        for person in &plan.persons {
            if self.anonymise_person(principal, *person).await? {
                outcome.persons += 1;
            }
        }
        self.audit(
            principal,
            AuditEvent::plain("retention.run").with_detail(format!(
                "as of {as_of}: {} cases, {} persons, {} skipped, {} held",
                outcome.cases,
                outcome.persons,
                outcome.skipped,
                plan.held.len()
            )),
        )
        .await?;
        if outcome.cases + outcome.persons > 0 {
            self.purge_sqlite_name_words().await?;
        }
        outcome.wal_truncated = self.truncate_sqlite_wal().await?;
        Ok(outcome)
    }

    /// SQLite: rewrites the word index of names (migration 0034) without the deleted entries.
    /// FTS5 marks a removed name's words deleted and keeps them in its segments until a merge;
    /// `optimize` merges every segment into one, so the anonymised names' words are gone from the
    /// file (the freed pages zeroed by `secure_delete`, the WAL emptied next). PostgreSQL: the
    /// word index holds no text past a vacuum, and the vocabulary's triggers already removed the
    /// words no name holds.
    async fn purge_sqlite_name_words(&self) -> StoreResult<()> {
        let crate::db::Db::Sqlite(pool) = self.db() else {
            return Ok(());
        };
        sqlx::query("INSERT INTO persons_name_words (persons_name_words) VALUES ('optimize')")
            .execute(pool)
            .await?;
        Ok(())
    }

    /// SQLite: copies the whole WAL into the database and empties it (`wal_checkpoint(TRUNCATE)`),
    /// so the page images written before the run, which hold the text it removed, are gone from
    /// the `-wal` file too (the database's own pages were overwritten with `secure_delete`,
    /// `db::sqlite_options`). `Some(false)` when a reader kept it from finishing within the busy
    /// timeout (the next run, or the next quiet checkpoint, does it); `None` on PostgreSQL.
    async fn truncate_sqlite_wal(&self) -> StoreResult<Option<bool>> {
        let crate::db::Db::Sqlite(pool) = self.db() else {
            return Ok(None);
        };
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(pool)
            .await?;
        if busy != 0 {
            tracing::warn!("retention: the WAL could not be emptied (a reader held it); it keeps old page images until the next checkpoint reuses them");
        }
        Ok(Some(busy == 0))
    }

    /// One case's text; `false` when the case is no longer due.
    #[tracing::instrument(skip_all, fields(case = %due.case_id))]
    async fn anonymise_case(
        &self,
        principal: &Principal,
        due: &DueCase,
        years: &RetentionYears,
        as_of: NaiveDate,
    ) -> StoreResult<bool> {
        let id = due.case_id;
        let lock = for_update(self);
        let now = Utc::now();
        // The empty text sealed per row, made before the transaction needs them.
        let secrets = self.secrets("retention")?;
        let done = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("retention.anonymise", "case", id)
                .with_detail(format!("{} case closed {}", due.kind, due.closed_on)));
            let row: Option<CaseNow> = sqlx::query_as(&format!(
                "SELECT c.status, c.closed_on, c.sensitive, c.anonymised_at, c.version, p.birth_date
                   FROM cases c JOIN persons p ON p.id = c.person_id WHERE c.id = $1{lock}"
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((status, closed_on, sensitive, anonymised, version, birth)) = row else {
                return Err(StoreError::NotFound);
            };
            let held: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM legal_holds WHERE case_id = $1 AND lifted_at IS NULL")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let closed = closed_on.filter(|_| status == "closed");
            let still_due = anonymised.is_none()
                && closed.is_some_and(|c| {
                    verdict(Some(c), case_kind(sensitive, birth, c), years, held.is_some(), as_of) == Verdict::Due
                });
            if still_due {
                for statement in CLEARED {
                    sqlx::query(statement).bind(id).execute(&mut *tx).await?;
                }
                sqlx::query("DELETE FROM attachments WHERE case_id = $1").bind(id).execute(&mut *tx).await?;
                // The history keeps its actions, statuses, places and dates; of the details only
                // the codes the statistics replay (goldaw_core::retention::keeps_event_detail).
                let events: Vec<(Uuid, String, String)> = sqlx::query_as(
                    "SELECT id, action, detail FROM case_events WHERE case_id = $1 AND detail IS NOT NULL",
                )
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
                for (event, action, detail) in events {
                    if !keeps_event_detail(&action, &detail) {
                        sqlx::query("UPDATE case_events SET detail = NULL WHERE id = $1")
                            .bind(event)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                for (table, column, rows) in RESEALED {
                    let ids: Vec<(Uuid,)> = sqlx::query_as(rows).bind(id).fetch_all(&mut *tx).await?;
                    let update = format!("UPDATE {table} SET {column}_sealed = $1 WHERE id = $2");
                    for (row,) in ids {
                        let empty = secrets.seal(b"", &format!("{table}.{column}:{row}"))?;
                        sqlx::query(&update).bind(empty).bind(row).execute(&mut *tx).await?;
                    }
                }
                let updated = sqlx::query(
                    "UPDATE cases SET referrer_sealed = NULL, concern_sealed = NULL, anonymised_at = $1,
                        version = version + 1, updated_at = $1
                      WHERE id = $2 AND version = $3",
                )
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::Conflict { expected: version, actual: version + 1 });
                }
                tx.commit().await?;
            }
            still_due
        });
        Ok(done)
    }

    /// One person's name and birth date; `false` when they are no longer due.
    #[tracing::instrument(skip_all, fields(person = %id))]
    async fn anonymise_person(&self, principal: &Principal, id: Uuid) -> StoreResult<bool> {
        let lock = for_update(self);
        let now = Utc::now();
        let done = with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("retention.anonymise", "person", id));
            let row: Option<PersonNow> = sqlx::query_as(&format!(
                "SELECT birth_date, anonymised_at, version, household_id, external_id FROM persons WHERE id = $1{lock}"
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((birth, anonymised, version, household, external)) = row else {
                return Err(StoreError::NotFound);
            };
            // Every case naming them was anonymised (by this run or before), and nothing of
            // theirs is running: asked again here, under the writers' lock.
            let (left,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM case_persons n JOIN cases c ON c.id = n.case_id
                  WHERE n.person_id = $1 AND c.anonymised_at IS NULL",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let (running,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM service_episodes WHERE person_id = $1 AND ended_on IS NULL")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let still_due = anonymised.is_none() && left == 0 && running == 0;
            if still_due {
                let updated = sqlx::query(
                    "UPDATE persons SET given_name = $1, family_name = NULL, name_key = '', birth_date = $2,
                        external_id = $3, anonymised_at = $4, updated_at = $4, version = version + 1
                      WHERE id = $5 AND version = $6",
                )
                .bind(ANONYMISED_NAME)
                .bind(birth.map(year_only))
                .bind(anonymised_external_id(id))
                .bind(now)
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::Conflict { expected: version, actual: version + 1 });
                }
                // (household, the person's external id before and after)
                let mut households = vec![(household, external, anonymised_external_id(id))];
                // The records merged into theirs (duplicates of the same person, and those merged
                // into a duplicate) hold their name too: anonymised with them.
                let mut merged = vec![id];
                while let Some(into) = merged.pop() {
                    let duplicates: Vec<(Uuid, Option<NaiveDate>, Uuid, String)> = sqlx::query_as(
                        "SELECT id, birth_date, household_id, external_id FROM persons
                          WHERE merged_into = $1 AND anonymised_at IS NULL",
                    )
                    .bind(into)
                    .fetch_all(&mut *tx)
                    .await?;
                    for (duplicate, born, lived, was) in duplicates {
                        sqlx::query(
                            "UPDATE persons SET given_name = $1, family_name = NULL, name_key = '', birth_date = $2,
                                external_id = $3, anonymised_at = $4, updated_at = $4, version = version + 1
                              WHERE id = $5",
                        )
                        .bind(ANONYMISED_NAME)
                        .bind(born.map(year_only))
                        .bind(anonymised_external_id(duplicate))
                        .bind(now)
                        .bind(duplicate)
                        .execute(&mut *tx)
                        .await?;
                        households.push((lived, was, anonymised_external_id(duplicate)));
                        merged.push(duplicate);
                    }
                }
                for (home, was, now_id) in households {
                    // A household goldaw made for one person carries her external id in its own.
                    sqlx::query(
                        "UPDATE households SET external_id = $1, version = version + 1, updated_at = $2
                          WHERE id = $3 AND implicit AND external_id = $4",
                    )
                    .bind(format!("~{now_id}"))
                    .bind(now)
                    .bind(home)
                    .bind(format!("~{was}"))
                    .execute(&mut *tx)
                    .await?;
                    // The address goes when nobody who lives there keeps a name: not while a
                    // member (not merged away) is not anonymised.
                    sqlx::query(
                        "UPDATE households SET address = NULL, version = version + 1, updated_at = $2
                          WHERE id = $1 AND address IS NOT NULL AND NOT EXISTS (
                            SELECT 1 FROM persons m WHERE m.household_id = $1 AND m.anonymised_at IS NULL
                               AND m.merged_into IS NULL)",
                    )
                    .bind(home)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
            still_due
        });
        Ok(done)
    }
}
