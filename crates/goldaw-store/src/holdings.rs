//! What a database holds, in a few counts: for the operator's commands that must tell an empty or
//! demo database from one with real data (`goldaw serve --demo`). Operator only.

use crate::error::{StoreError, StoreResult};
use crate::Store;
use goldaw_core::access::{Permission, Principal};

/// What [`Store::holdings`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    /// Every account's username, in order.
    pub accounts: Vec<String>,
    pub people: i64,
    pub households: i64,
    pub cases: i64,
    pub providers: i64,
    /// Whether the audit log has an event with the marker action asked about.
    pub marked: bool,
    /// The first event of the audit log by an actor not among those asked about (failed sign-ins
    /// aside: anyone can cause one by typing a name).
    pub first_other_event: Option<OtherEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OtherEvent {
    pub seq: i64,
    pub actor: String,
    pub action: String,
}

impl Holdings {
    /// Nothing a person put there: no accounts, people, households, cases or providers (the
    /// reference data shipped with goldaw and the audit log aside).
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
            && self.people == 0
            && self.households == 0
            && self.cases == 0
            && self.providers == 0
    }
}

impl Store {
    /// Counts what the database holds; `actors` are the audit log's actors to leave out of
    /// `first_other_event`, `marker` the action `marked` looks for.
    pub async fn holdings(
        &self,
        principal: &Principal,
        actors: &[&str],
        marker: &str,
    ) -> StoreResult<Holdings> {
        if !principal.may(Permission::BulkData) {
            return Err(StoreError::Forbidden(
                "what a whole database holds is for the operator on the server".into(),
            ));
        }
        // Placeholders $2.. for the actors (none: `NOT IN` over an empty list is not SQL).
        let others = if actors.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = (0..actors.len()).map(|i| format!("${}", i + 2)).collect();
            format!(" AND actor NOT IN ({})", list.join(", "))
        };
        let other_sql = format!(
            "SELECT seq, actor, action FROM audit_events WHERE action <> $1{others}
             ORDER BY seq LIMIT 1"
        );
        let count = "SELECT (SELECT COUNT(*) FROM persons), (SELECT COUNT(*) FROM households),
                            (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM providers)";
        let h = with_db!(self.db(), pool => {
            let accounts: Vec<String> =
                sqlx::query_scalar("SELECT username FROM users ORDER BY username")
                    .fetch_all(pool)
                    .await?;
            let (people, households, cases, providers): (i64, i64, i64, i64) =
                sqlx::query_as(count).fetch_one(pool).await?;
            let marked: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM audit_events WHERE action = $1 LIMIT 1")
                    .bind(marker)
                    .fetch_optional(pool)
                    .await?;
            let mut other = sqlx::query_as::<_, OtherEvent>(&other_sql)
                .bind("signin.failed");
            for actor in actors {
                other = other.bind(*actor);
            }
            Holdings {
                accounts,
                people,
                households,
                cases,
                providers,
                marked: marked.is_some(),
                first_other_event: other.fetch_optional(pool).await?,
            }
        });
        Ok(h)
    }
}
