//! The audit log: every access to personal data, every change, every sign-in, appended in the
//! same transaction as what it records, and hash-chained so that editing or deleting a row is
//! detectable (`goldaw audit verify`).
//!
//! Each row's hash is SHA-256 over the previous row's hash and the row's own fields, each
//! length-prefixed so that no two different rows can hash alike by moving bytes between fields.
//! `audit_head` holds the last sequence number and hash: an append updates it first, which takes
//! the write lock (SQLite) or the row lock (PostgreSQL), so appends are serialised and gapless,
//! and deleting the last rows is detected too.

use crate::error::StoreResult;
use crate::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::TryStreamExt;
use goldaw_core::access::{Permission, Principal};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What happened, to which record. Never holds personal data beyond ids.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// `person.read`, `person.create`, `signin.failed`, …
    pub action: &'static str,
    pub entity: Option<&'static str>,
    pub entity_id: Option<String>,
    /// A short note (counts, ids of search results, a reason).
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn on(action: &'static str, entity: &'static str, id: impl ToString) -> AuditEvent {
        AuditEvent {
            action,
            entity: Some(entity),
            entity_id: Some(id.to_string()),
            detail: None,
        }
    }

    pub fn plain(action: &'static str) -> AuditEvent {
        AuditEvent {
            action,
            entity: None,
            entity_id: None,
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> AuditEvent {
        self.detail = Some(detail.into());
        self
    }
}

/// Audit time: UTC to the microsecond, the precision both databases keep, so the hash computed at
/// write time is the hash recomputed from what was stored.
pub(crate) fn audit_now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

#[derive(Clone, Copy)]
pub(crate) struct ChainFields<'a> {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub source: &'a str,
    pub action: &'a str,
    pub entity: Option<&'a str>,
    pub entity_id: Option<&'a str>,
    pub detail: Option<&'a str>,
}

pub(crate) fn chain_hash(prev: &[u8], f: &ChainFields) -> Vec<u8> {
    let mut h = Sha256::new();
    let mut field = |bytes: Option<&[u8]>| match bytes {
        None => h.update([0u8]),
        Some(b) => {
            h.update([1u8]);
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        }
    };
    field(Some(prev));
    field(Some(&f.seq.to_le_bytes()));
    field(Some(
        f.at.to_rfc3339_opts(SecondsFormat::Micros, true).as_bytes(),
    ));
    field(Some(f.actor.as_bytes()));
    field(Some(f.source.as_bytes()));
    field(Some(f.action.as_bytes()));
    field(f.entity.map(str::as_bytes));
    field(f.entity_id.map(str::as_bytes));
    field(f.detail.map(str::as_bytes));
    h.finalize().to_vec()
}

/// Appends `$event` by `$principal` inside transaction `$tx` (either backend).
/// Call it before any other statement of a write transaction: it takes the write lock.
macro_rules! append_audit {
    ($tx:ident, $principal:expr, $event:expr) => {{
        let event: &$crate::audit::AuditEvent = &$event;
        let principal: &goldaw_core::access::Principal = $principal;
        let (seq, prev): (i64, Vec<u8>) =
            sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut *$tx)
                .await?;
        let at = $crate::audit::audit_now();
        let hash = $crate::audit::chain_hash(
            &prev,
            &$crate::audit::ChainFields {
                seq,
                at,
                actor: &principal.actor,
                source: &principal.source,
                action: event.action,
                entity: event.entity,
                entity_id: event.entity_id.as_deref(),
                detail: event.detail.as_deref(),
            },
        );
        sqlx::query(
            "INSERT INTO audit_events (seq, at, actor, source, action, entity, entity_id, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(seq)
        .bind(at)
        .bind(&principal.actor)
        .bind(&principal.source)
        .bind(event.action)
        .bind(event.entity)
        .bind(event.entity_id.as_deref())
        .bind(event.detail.as_deref())
        .bind(&prev)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use append_audit;

/// One row of the log as an admin sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub source: String,
    pub action: String,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub detail: Option<String>,
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    seq: i64,
    at: DateTime<Utc>,
    actor: String,
    source: String,
    action: String,
    entity: Option<String>,
    entity_id: Option<String>,
    detail: Option<String>,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

/// The outcome of `verify_audit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCheck {
    Intact {
        events: u64,
    },
    /// The first row whose content, link or position does not match the chain.
    Broken {
        seq: i64,
        reason: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
}

impl Store {
    /// Records one event (reads, sign-ins) and returns once it is committed. Events from
    /// concurrent callers share a transaction (group commit, see `audit_writer`).
    pub async fn audit(&self, principal: &Principal, event: AuditEvent) -> StoreResult<()> {
        self.inner.audit_writer.append(principal, event).await
    }

    /// Walks the whole chain in order and recomputes every hash.
    pub async fn verify_audit(&self) -> StoreResult<AuditCheck> {
        let mut expected_seq = 1i64;
        let mut prev = vec![0u8; 32];
        let mut failure: Option<AuditCheck> = None;
        with_db!(self.db(), pool => {
            let mut rows = sqlx::query_as::<_, StoredRow>(
                "SELECT seq, at, actor, source, action, entity, entity_id, detail, prev_hash, hash
                 FROM audit_events ORDER BY seq",
            )
            .fetch(pool);
            while let Some(r) = rows.try_next().await? {
                let reason = if r.seq != expected_seq {
                    Some(format!("expected event {expected_seq} here: events are missing or renumbered"))
                } else if r.prev_hash != prev {
                    Some("its link to the previous event does not match: an earlier event was changed or removed".to_owned())
                } else {
                    let fields = ChainFields {
                        seq: r.seq,
                        at: r.at,
                        actor: &r.actor,
                        source: &r.source,
                        action: &r.action,
                        entity: r.entity.as_deref(),
                        entity_id: r.entity_id.as_deref(),
                        detail: r.detail.as_deref(),
                    };
                    (chain_hash(&r.prev_hash, &fields) != r.hash)
                        .then(|| "its content does not match its hash: the event was changed".to_owned())
                };
                if let Some(reason) = reason {
                    failure = Some(AuditCheck::Broken { seq: r.seq, reason });
                    break;
                }
                prev = r.hash;
                expected_seq += 1;
            }
        });
        if let Some(f) = failure {
            return Ok(f);
        }
        let (head_seq, head_hash): (i64, Vec<u8>) = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?
        });
        if head_seq != expected_seq - 1 || head_hash != prev {
            return Ok(AuditCheck::Broken {
                seq: expected_seq,
                reason: format!("the log ends at event {} but {head_seq} were written: the last events were removed", expected_seq - 1),
            });
        }
        Ok(AuditCheck::Intact {
            events: (expected_seq - 1) as u64,
        })
    }

    /// Events for the audit page and export, newest first.
    pub async fn audit_events(
        &self,
        principal: &Principal,
        q: &AuditQuery,
    ) -> StoreResult<Vec<AuditRow>> {
        if !principal.may(Permission::ReadAudit) {
            return Err(crate::StoreError::Forbidden(
                "reading the audit log needs the admin role".into(),
            ));
        }
        let mut sql = String::from(
            "SELECT seq, at, actor, source, action, entity, entity_id, detail FROM audit_events WHERE 1 = 1",
        );
        let mut n = 0;
        let mut next = |sql: &mut String, cond: &str| {
            n += 1;
            sql.push_str(&format!(" AND {cond} ${n}"));
        };
        if q.actor.is_some() {
            next(&mut sql, "actor =");
        }
        if q.entity_id.is_some() {
            next(&mut sql, "entity_id =");
        }
        if q.from.is_some() {
            next(&mut sql, "at >=");
        }
        if q.to.is_some() {
            next(&mut sql, "at <");
        }
        sql.push_str(&format!(
            " ORDER BY seq DESC LIMIT {}",
            q.limit.clamp(1, 10_000)
        ));
        let rows = with_db!(self.db(), pool => {
            let mut query = sqlx::query_as::<_, AuditRow>(&sql);
            if let Some(a) = &q.actor { query = query.bind(a); }
            if let Some(e) = &q.entity_id { query = query.bind(e); }
            if let Some(f) = q.from { query = query.bind(f); }
            if let Some(t) = q.to { query = query.bind(t); }
            query.fetch_all(pool).await?
        });
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_depends_on_every_field_and_on_the_link() {
        let at = audit_now();
        let base = ChainFields {
            seq: 1,
            at,
            actor: "a",
            source: "s",
            action: "x",
            entity: Some("person"),
            entity_id: Some("1"),
            detail: None,
        };
        let h = chain_hash(&[0; 32], &base);
        assert_ne!(h, chain_hash(&[1; 32], &base));
        assert_ne!(h, chain_hash(&[0; 32], &ChainFields { seq: 2, ..base }));
        assert_ne!(h, chain_hash(&[0; 32], &ChainFields { actor: "b", ..base }));
        assert_ne!(
            h,
            chain_hash(
                &[0; 32],
                &ChainFields {
                    detail: Some(""),
                    ..base
                }
            )
        );
        // Moving a byte from one field to the next changes the hash (length prefixes).
        assert_ne!(
            chain_hash(
                &[0; 32],
                &ChainFields {
                    actor: "ab",
                    source: "",
                    ..base
                }
            ),
            chain_hash(
                &[0; 32],
                &ChainFields {
                    actor: "a",
                    source: "b",
                    ..base
                }
            )
        );
        assert_eq!(h, chain_hash(&[0; 32], &base));
    }
}
