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
//!
//! SQLite: the writer has a connection of its own, outside the pool, so a batch never waits for a
//! pool slot behind the readers it is answering, and that connection does not checkpoint the WAL
//! when it commits unless the WAL passed 1,000 pages; see [`checkpointer`] for who does.

use crate::audit::{audit_now, AuditEvent, AuditKey, ChainFields, Head, Link};
use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use goldaw_core::access::Principal;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, SqlitePool};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// At most this many events per transaction: bounds a transaction's time and size.
const MAX_BATCH: usize = 512;
/// Rows per INSERT statement (10 parameters each, well under both databases' limits).
const ROWS_PER_INSERT: usize = 64;
/// SQLite: the WAL is checkpointed at most this often, and only after the writer committed.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// SQLite: the audit writer's own connection checkpoints only past this many WAL pages.
// SQLite's own default: measured against 4,096 (bench/README.md), the larger bound served more
// pages a second but its rarer, larger checkpoints inside a commit held every waiting reader and
// doubled the p99 (about 100-120 ms against 65-72 ms).
const WRITER_AUTOCHECKPOINT_PAGES: &str = "1000";

/// Chains `$batch` after event `$head.seq - len` whose hash is `$head.hash` (the head as the
/// reservation returned it), hashed as `$key` and the head say, inserts the rows in `$tx` and
/// moves the head's hash; evaluates to the new head. (A macro: `$tx` is either backend's.)
macro_rules! insert_rows {
    ($tx:ident, $key:expr, $batch:expr, $head:expr) => {{
        let batch: &[Pending] = $batch;
        let head: Head = $head;
        let first = head.seq - batch.len() as i64 + 1;
        let link = Link::for_append($key, &head, first)?;
        let (rows, prev) = chain(&link, batch, first - 1, head.hash);
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
            insert.build().execute(&mut *$tx).await?;
        }
        sqlx::query("UPDATE audit_head SET hash = $1, keyed_from = $2, key_check = $3 WHERE id = 1")
            .bind(&prev)
            .bind(link.keyed_from())
            .bind(link.key_check())
            .execute(&mut *$tx)
            .await?;
        Head {
            seq: head.seq,
            hash: prev,
            keyed_from: link.keyed_from(),
            key_check: link.key_check().map(<[u8]>::to_vec),
        }
    }};
}

/// What the writer is asked to do.
enum Msg {
    Append(Pending),
    /// Close the writer's own connections (the store is closing); answered once they are.
    Close(oneshot::Sender<()>),
    /// Tests only (`Store::break_audit_writer_connection`): puts the writer's own connection in
    /// a state where every write on it fails, as a broken connection would; answered whether
    /// there was one to break.
    #[cfg(feature = "testing")]
    Break(oneshot::Sender<bool>),
}

struct Pending {
    actor: String,
    source: String,
    event: AuditEvent,
    done: oneshot::Sender<Result<(), String>>,
}

/// The handle readers use; the writer task ends when the last handle (the store) is dropped.
pub(crate) struct AuditWriter {
    queue: mpsc::UnboundedSender<Msg>,
}

impl AuditWriter {
    /// Starts the writer on the current tokio runtime; `key` keys the chain (see `audit`).
    pub(crate) fn start(db: Db, key: Option<AuditKey>) -> AuditWriter {
        let (queue, incoming) = mpsc::unbounded_channel();
        tokio::spawn(run(db, key, incoming));
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
        self.queue
            .send(Msg::Append(pending))
            .map_err(|_| stopped())?;
        committed
            .await
            .map_err(|_| stopped())?
            .map_err(StoreError::AuditWrite)
    }

    /// Tests only: breaks the writer's own connection (see [`Msg::Break`]).
    #[cfg(feature = "testing")]
    pub(crate) async fn break_own_connection(&self) -> bool {
        let (done, broken) = oneshot::channel();
        self.queue.send(Msg::Break(done)).is_ok() && broken.await.unwrap_or(false)
    }

    /// Closes the writer's own connections (SQLite); later events go through the pool.
    pub(crate) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.queue.send(Msg::Close(done)).is_ok() {
            let _ = closed.await;
        }
    }
}

async fn run(db: Db, key: Option<AuditKey>, mut incoming: mpsc::UnboundedReceiver<Msg>) {
    let key = key.as_ref();
    let mut messages = Vec::with_capacity(MAX_BATCH);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // PostgreSQL only: the chain's head as this writer last left it (see `write_batch_pg`).
    let mut head: Option<Head> = None;
    // SQLite only: the writer's own connection and the checkpointer it wakes.
    let mut own = match &db {
        Db::Sqlite(pool) => Own::open(pool).await,
        Db::Postgres(_) => None,
    };
    while incoming.recv_many(&mut messages, MAX_BATCH).await > 0 {
        let mut close = None;
        for msg in messages.drain(..) {
            match msg {
                Msg::Append(p) => batch.push(p),
                Msg::Close(done) => close = Some(done),
                #[cfg(feature = "testing")]
                Msg::Break(done) => {
                    let broke = match own.as_mut() {
                        Some(o) => sqlx::query("PRAGMA query_only = ON")
                            .execute(&mut o.conn)
                            .await
                            .is_ok(),
                        None => false,
                    };
                    let _ = done.send(broke);
                }
            }
        }
        if !batch.is_empty() {
            let written = match &db {
                Db::Postgres(pool) => write_batch_pg(pool, key, &batch, &mut head).await,
                Db::Sqlite(pool) => write_sqlite(pool, key, &mut own, &batch).await,
            };
            let outcome = written.map_err(|e| {
                tracing::error!(error = %e, events = batch.len(), "audit batch failed");
                e.to_string()
            });
            for pending in batch.drain(..) {
                // A reader that went away (its request was cancelled) needs no answer.
                let _ = pending.done.send(outcome.clone());
            }
        }
        if let Some(done) = close {
            if let Some(own) = own.take() {
                own.close().await;
            }
            let _ = done.send(());
        }
    }
    if let Some(own) = own {
        own.close().await;
    }
}

/// SQLite: writes a batch on the writer's own connection, or through the pool if it has none.
/// A batch that fails on the own connection is refused (its readers get an error: no read is
/// answered unrecorded) and the connection is replaced before the next batch, in case it was the
/// connection that broke; if a new one cannot be opened, later batches go through the pool.
/// Tested under load through the server: `goldaw-web`'s `tests/web/audit_connection.rs`
/// (`Store::break_audit_writer_connection`, the `testing` feature).
async fn write_sqlite(
    pool: &SqlitePool,
    key: Option<&AuditKey>,
    own: &mut Option<Own>,
    batch: &[Pending],
) -> StoreResult<()> {
    let Some(conn) = own.as_mut() else {
        return write_batch(&Db::Sqlite(pool.clone()), key, batch)
            .await
            .map(|_| ());
    };
    let written = conn.write(key, batch).await;
    if written.is_err() {
        if let Some(broken) = own.take() {
            broken.close().await;
        }
        *own = Own::open(pool).await;
    }
    written
}

/// SQLite: the audit writer's own connection, and the background checkpointer.
struct Own {
    conn: SqliteConnection,
    /// Moves after every commit; the checkpointer waits on it, and ends when it is dropped.
    committed: watch::Sender<u64>,
    checkpointer: tokio::task::JoinHandle<()>,
}

impl Own {
    /// Opens the connections; `None` (and the pool is used, checkpointing as it commits) if
    /// either cannot be opened.
    async fn open(pool: &SqlitePool) -> Option<Own> {
        let options = pool.connect_options();
        // The bound: a checkpoint in the writer itself once the WAL passes 1,000 pages (4 MiB).
        // A PASSIVE checkpoint from another connection never ends with every frame copied while
        // the writer keeps committing, so without this the WAL would grow without end.
        let writer = (*options)
            .clone()
            .pragma("wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES);
        let conn = SqliteConnection::connect_with(&writer).await;
        let checkpoints = SqliteConnection::connect_with(&options).await;
        match (conn, checkpoints) {
            (Ok(conn), Ok(checkpoints)) => {
                let (committed, wake) = watch::channel(0);
                Some(Own {
                    conn,
                    committed,
                    checkpointer: tokio::spawn(checkpointer(checkpoints, wake)),
                })
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "the audit writer uses the pool: its own connection did not open");
                None
            }
        }
    }

    async fn write(&mut self, key: Option<&AuditKey>, batch: &[Pending]) -> StoreResult<()> {
        let n = batch.len() as i64;
        let mut tx = self.conn.begin().await?;
        let head: Head = sqlx::query_as(RESERVE).bind(n).fetch_one(&mut *tx).await?;
        let _ = insert_rows!(tx, key, batch, head);
        tx.commit().await?;
        self.committed.send_modify(|n| *n = n.wrapping_add(1));
        Ok(())
    }

    async fn close(self) {
        drop(self.committed);
        let _ = self.checkpointer.await;
        if let Err(e) = self.conn.close().await {
            tracing::warn!(error = %e, "closing the audit writer's connection");
        }
    }
}

/// Checkpoints the WAL from a connection of its own, at most every [`CHECKPOINT_EVERY`] and only
/// after the writer committed, so that neither the audit writer nor a reader's request pays for
/// it. `PASSIVE` never waits for readers or blocks the writer; it copies every frame no reader
/// still needs, and once all are copied the next commit starts the WAL over from its beginning.
/// While the writer commits without pause a checkpoint from here never catches up (new frames
/// arrive while it copies); then the writer's own checkpoint past 1,000 pages bounds the WAL.
async fn checkpointer(mut conn: SqliteConnection, mut committed: watch::Receiver<u64>) {
    while committed.changed().await.is_ok() {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut conn)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
    // The last one, so that a closing store leaves the WAL copied.
    let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
}

/// Reserves `$1` sequence numbers: returns the new last number, the hash before them and where
/// the keyed part begins.
const RESERVE: &str =
    "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash, keyed_from, key_check";

/// One row as it is inserted, chained to the one before.
struct Row<'a> {
    seq: i64,
    at: chrono::DateTime<chrono::Utc>,
    pending: &'a Pending,
    prev: Vec<u8>,
    hash: Vec<u8>,
}

/// The way every change appends: reserves `batch.len()` sequence numbers on `audit_head` (taking
/// the write lock or the row lock first, as `append_audit!` does), chains the rows in order,
/// inserts them, and moves the head. Returns the chain's new head.
async fn write_batch(db: &Db, key: Option<&AuditKey>, batch: &[Pending]) -> StoreResult<Head> {
    let n = batch.len() as i64;
    let head = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let head: Head = sqlx::query_as(RESERVE).bind(n).fetch_one(&mut *tx).await?;
        let head = insert_rows!(tx, key, batch, head);
        tx.commit().await?;
        head
    });
    Ok(head)
}

/// Chains `batch` after the event `after` whose hash is `prev`, hashed as `link` says; returns
/// the rows and the last hash.
fn chain<'a>(
    link: &Link,
    batch: &'a [Pending],
    after: i64,
    mut prev: Vec<u8>,
) -> (Vec<Row<'a>>, Vec<u8>) {
    let at = audit_now();
    let mut rows = Vec::with_capacity(batch.len());
    for (i, pending) in batch.iter().enumerate() {
        let seq = after + 1 + i as i64;
        let hash = link.hash(
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
        rows.push(Row {
            seq,
            at,
            pending,
            prev: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    (rows, prev)
}

/// PostgreSQL: the whole batch in one statement, so one round trip instead of five (begin, take
/// the head, insert, move the head, commit).
///
/// The writer chains the batch after the head it last wrote (`head`, read once at start), and the
/// statement moves `audit_head` only if it still holds that seq and hash; the rows are inserted
/// only if it moved, all in the statement's own transaction. Changes append their events in their
/// own transactions (`append_audit!`), so the head may have moved since: then nothing is written
/// and the batch goes the long way (`write_batch`, which takes the row lock first). A statement
/// that failed leaves the head unknown; it is read again.
async fn write_batch_pg(
    pool: &sqlx::PgPool,
    key: Option<&AuditKey>,
    batch: &[Pending],
    head: &mut Option<Head>,
) -> StoreResult<()> {
    let known = match head.take() {
        Some(h) => h,
        None => {
            sqlx::query_as("SELECT seq, hash, keyed_from, key_check FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?
        }
    };
    let link = Link::for_append(key, &known, known.seq + 1)?;
    let (rows, last_hash) = chain(&link, batch, known.seq, known.hash.clone());
    let new_seq = known.seq + batch.len() as i64;
    let inserted = sqlx::query(
        "WITH head AS (
             UPDATE audit_head SET seq = $1, hash = $2, keyed_from = $15, key_check = $16
             WHERE id = 1 AND seq = $3 AND hash = $4 AND keyed_from IS NOT DISTINCT FROM $17
             RETURNING seq
         )
         INSERT INTO audit_events
             (seq, at, actor, source, action, entity, entity_id, detail, prev_hash, hash)
         SELECT r.* FROM unnest($5::BIGINT[], $6::TIMESTAMPTZ[], $7::TEXT[], $8::TEXT[],
                                $9::TEXT[], $10::TEXT[], $11::TEXT[], $12::TEXT[],
                                $13::BYTEA[], $14::BYTEA[])
             AS r(seq, at, actor, source, action, entity, entity_id, detail, prev_hash, hash)
         WHERE EXISTS (SELECT 1 FROM head)",
    )
    .bind(new_seq)
    .bind(&last_hash)
    .bind(known.seq)
    .bind(&known.hash)
    .bind(rows.iter().map(|r| r.seq).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.at).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.pending.actor.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.pending.source.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.pending.event.action)
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.pending.event.entity)
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.pending.event.entity_id.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.pending.event.detail.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| r.prev.as_slice()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.hash.as_slice()).collect::<Vec<_>>())
    .bind(link.keyed_from())
    .bind(link.key_check())
    .bind(known.keyed_from)
    .execute(pool)
    .await?
    .rows_affected();
    match inserted {
        n if n == rows.len() as u64 => {
            *head = Some(Head {
                seq: new_seq,
                hash: last_hash,
                keyed_from: link.keyed_from(),
                key_check: link.key_check().map(<[u8]>::to_vec),
            });
            Ok(())
        }
        // Nothing was written: someone else appended meanwhile.
        0 => {
            *head = Some(write_batch(&Db::Postgres(pool.clone()), key, batch).await?);
            Ok(())
        }
        // Cannot happen (the condition holds for every row or none); the head is read again.
        n => Err(StoreError::Config(format!(
            "the audit batch wrote {n} of {} events",
            rows.len()
        ))),
    }
}
