//! Settings an admin changes without a new release: the deadline rules and the working-day
//! calendar. Shipped defaults come from `reference/` (inserted where absent, never overwriting an
//! admin's change); every change is audited and takes effect at once.

use crate::audit::{append_audit, AuditEvent};
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::{NaiveDate, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::deadlines::{Calendar, DeadlineRule, Deadlines};
use serde::Serialize;

/// A public holiday in the working-day calendar.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HolidayRecord {
    pub day: NaiveDate,
    pub name_en: String,
    pub name_ru: String,
    pub name_tk: String,
}

pub(crate) async fn load_deadlines(db: &Db) -> StoreResult<Deadlines> {
    type RuleRow = (String, String, i64, String);
    let (rules, days): (Vec<RuleRow>, Vec<(NaiveDate,)>) = with_db!(db, pool => {
        (
            sqlx::query_as("SELECT step, priority, CAST(amount AS BIGINT), unit FROM deadline_rules")
                .fetch_all(pool)
                .await?,
            sqlx::query_as("SELECT day FROM holidays").fetch_all(pool).await?,
        )
    });
    let rules = rules
        .into_iter()
        .map(|(step, priority, amount, unit)| {
            DeadlineRule::parse(&step, &priority, &amount.to_string(), &unit)
                .map_err(|e| StoreError::Corrupt(format!("deadline rule {step}/{priority}: {e}")))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Deadlines::new(
        rules,
        Calendar::new(days.into_iter().map(|(d,)| d)),
    ))
}

impl Store {
    /// The rules in force, in the order of the workflow.
    pub fn deadline_rules(&self) -> Vec<DeadlineRule> {
        let deadlines = self.deadlines();
        let mut rules: Vec<DeadlineRule> = goldaw_core::deadlines::Step::ALL
            .iter()
            .flat_map(|s| {
                [
                    goldaw_core::codes::Priority::Critical,
                    goldaw_core::codes::Priority::Support,
                ]
                .into_iter()
                .filter_map(|p| deadlines.rule(*s, p).copied())
            })
            .collect();
        rules.dedup();
        rules
    }

    /// Changes one deadline rule (an admin). Audited with the old and new values.
    pub async fn set_deadline_rule(
        &self,
        principal: &Principal,
        rule: DeadlineRule,
    ) -> StoreResult<()> {
        require(principal, Permission::ManageSettings)?;
        let old = self
            .deadlines()
            .rule(rule.step, rule.priority)
            .map(|r| format!("{} {}", r.amount, r.unit))
            .unwrap_or_else(|| "none".to_owned());
        let event = AuditEvent::on(
            "settings.deadline",
            "deadline_rule",
            format!("{}/{}", rule.step, rule.priority),
        )
        .with_detail(format!("{old} -> {} {}", rule.amount, rule.unit));
        let now = Utc::now();
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            sqlx::query(
                "INSERT INTO deadline_rules (step, priority, amount, unit, updated_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (step, priority) DO UPDATE SET amount = excluded.amount,
                   unit = excluded.unit, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(rule.step.as_str())
            .bind(rule.priority.as_str())
            .bind(i64::from(rule.amount))
            .bind(rule.unit.as_str())
            .bind(&principal.actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.reload_deadlines().await?;
        self.refresh_stale_due_dates().await.map(|_| ())
    }

    /// The public holidays of the calendar, by date.
    pub async fn holidays(&self, principal: &Principal) -> StoreResult<Vec<HolidayRecord>> {
        require(principal, Permission::ManageSettings)?;
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as("SELECT day, name_en, name_ru, name_tk FROM holidays ORDER BY day")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Adds a holiday, or renames the one on that day.
    pub async fn set_holiday(&self, principal: &Principal, h: HolidayRecord) -> StoreResult<()> {
        require(principal, Permission::ManageSettings)?;
        for (field, name) in [
            ("name_en", &h.name_en),
            ("name_ru", &h.name_ru),
            ("name_tk", &h.name_tk),
        ] {
            if name.trim().is_empty() {
                return Err(StoreError::refuse(field, "store-holiday-names", vec![]));
            }
        }
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("settings.holiday", "holiday", h.day));
            sqlx::query(
                "INSERT INTO holidays (day, name_en, name_ru, name_tk) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (day) DO UPDATE SET name_en = excluded.name_en,
                   name_ru = excluded.name_ru, name_tk = excluded.name_tk",
            )
            .bind(h.day)
            .bind(h.name_en.trim())
            .bind(h.name_ru.trim())
            .bind(h.name_tk.trim())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.reload_deadlines().await?;
        self.refresh_stale_due_dates().await.map(|_| ())
    }

    /// Removes a holiday (a working day again). `NotFound` if the day is not a holiday.
    pub async fn remove_holiday(&self, principal: &Principal, day: NaiveDate) -> StoreResult<()> {
        require(principal, Permission::ManageSettings)?;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("settings.holiday_removed", "holiday", day));
            let done = sqlx::query("DELETE FROM holidays WHERE day = $1")
                .bind(day)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            tx.commit().await?;
        });
        self.reload_deadlines().await?;
        self.refresh_stale_due_dates().await.map(|_| ())
    }
}
