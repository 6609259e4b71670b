//! Group commit for the audit events of reads.
//!
//! A read of personal data must not be shown before its audit event is stored, but one write
//! transaction per read serialises every reader behind the database's single writer (SQLite) or
//! one commit flush each (PostgreSQL). So reads hand their event to one background writer and wait:
//! the writer takes every event waiting at that moment, appends them to the hash chain in one
//! transaction and answers each reader once it is committed. Under load the batches grow by
//! themselves (events arrive while the previous batch commits); alone, a read waits for one
//! commit as before.
//!
//! Changes do not come here: they append their event inside their own transaction
//! (`append_audit!`), so the change and its record commit or fail together.

use crate::audit::{audit_now, chain_hash, AuditEvent, ChainFields};
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use goldaw_core::access::Principal;
use tokio::sync::{mpsc, oneshot};

/// At most this many events per transaction: bounds a transaction's time and size.
const MAX_BATCH: usize = 512;
/// Rows per INSERT statement (10 parameters each, well under both databases' limits).
const ROWS_PER_INSERT: usize = 64;

struct Pending {
    actor: String,
    source: String,
    event: AuditEvent,
    done: oneshot::Sender<Result<(), String>>,
}

/// The handle readers use; the writer task ends when the last handle (the store) is dropped.
pub(crate) struct AuditWriter {
    queue: mpsc::UnboundedSender<Pending>,
}

impl AuditWriter {
    /// Starts the writer on the current tokio runtime.
    pub(crate) fn start(db: Db) -> AuditWriter {
        let (queue, incoming) = mpsc::unbounded_channel();
        tokio::spawn(run(db, incoming));
        AuditWriter { queue }
    }

    /// Appends one event and returns once it is committed.
    pub(crate) async fn append(&self, principal: &Principal, event: AuditEvent) -> StoreResult<()> {
        let (done, committed) = oneshot::channel();
        let pending = Pending {
            actor: principal.actor.clone(),
            source: principal.source.clone(),
            event,
            done,
        };
        let stopped = || StoreError::Config("the audit writer has stopped".into());
        self.queue.send(pending).map_err(|_| stopped())?;
        committed
            .await
            .map_err(|_| stopped())?
            .map_err(StoreError::AuditWrite)
    }
}

async fn run(db: Db, mut incoming: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while incoming.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcome = write_batch(&db, &batch).await.map_err(|e| {
            tracing::error!(error = %e, events = batch.len(), "audit batch failed");
            e.to_string()
        });
        for pending in batch.drain(..) {
            // A reader that went away (its request was cancelled) needs no answer.
            let _ = pending.done.send(outcome.clone());
        }
    }
}

/// One row as it is inserted, chained to the one before.
struct Row<'a> {
    seq: i64,
    at: chrono::DateTime<chrono::Utc>,
    pending: &'a Pending,
    prev: Vec<u8>,
    hash: Vec<u8>,
}

/// Reserves `batch.len()` sequence numbers on `audit_head` (taking the write lock first, as
/// `append_audit!` does), chains the rows in order, inserts them, and moves the head.
async fn write_batch(db: &Db, batch: &[Pending]) -> StoreResult<()> {
    let n = batch.len() as i64;
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let (last, mut prev): (i64, Vec<u8>) =
            sqlx::query_as("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                .bind(n)
                .fetch_one(&mut *tx)
                .await?;
        let at = audit_now();
        let mut rows = Vec::with_capacity(batch.len());
        for (i, pending) in batch.iter().enumerate() {
            let seq = last - n + 1 + i as i64;
            let hash = chain_hash(
                &prev,
                &ChainFields {
                    seq,
                    at,
                    actor: &pending.actor,
                    source: &pending.source,
                    action: pending.event.action,
                    entity: pending.event.entity,
                    entity_id: pending.event.entity_id.as_deref(),
                    detail: pending.event.detail.as_deref(),
                },
            );
            rows.push(Row { seq, at, pending, prev: std::mem::replace(&mut prev, hash.clone()), hash });
        }
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO audit_events (seq, at, actor, source, action, entity, entity_id, detail, prev_hash, hash) ",
            );
            insert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(row.seq)
                    .push_bind(row.at)
                    .push_bind(&row.pending.actor)
                    .push_bind(&row.pending.source)
                    .push_bind(row.pending.event.action)
                    .push_bind(row.pending.event.entity)
                    .push_bind(row.pending.event.entity_id.as_deref())
                    .push_bind(row.pending.event.detail.as_deref())
                    .push_bind(&row.prev)
                    .push_bind(&row.hash);
            });
            insert.build().execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    });
    Ok(())
}
