//! The audit log: every access to personal data, every change, every sign-in, appended in the
//! same transaction as what it records, and hash-chained so that editing or deleting a row is
//! detectable (`goldaw audit verify`).
//!
//! Each row's hash covers the previous row's hash and the row's own fields, each length-prefixed
//! so that no two different rows can hash alike by moving bytes between fields. `audit_head` holds
//! the last sequence number and hash: an append updates it first, which takes the write lock
//! (SQLite) or the row lock (PostgreSQL), so appends are serialised and gapless, and deleting the
//! last rows is detected too.
//!
//! **Keyed.** A plain SHA-256 chain can be recomputed by anyone who can write the database. From
//! the first event a process holding the operator's encryption key appends, each hash is an
//! HMAC-SHA-256 under a key derived from it ([`AuditKey`]); `audit_head.keyed_from` records that
//! event and every keyed hash covers it, so the start of the keyed part cannot be moved. Events
//! before it keep their plain hash (databases older than the keyed chain); changing one of them
//! breaks the link of the first keyed event, which cannot be recomputed without the key. Once the
//! chain is keyed, a process without the key may not append to it. `audit_head.key_check` (an HMAC
//! of a fixed text) tells a wrong key apart from a changed event.
//!
//! What the key cannot show: the newest events removed together with the head moved back, or the
//! whole keyed part replaced by a plain chain (it then looks like a database never written with the
//! key, which `verify` reports when given the key). An [`AuditAnchor`] kept outside the database
//! (`goldaw audit anchor`) shows both.

use crate::error::{SayArg, StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::TryStreamExt;
use goldaw_core::access::{Permission, Principal};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

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

/// The audit chain's key: HKDF-Expand (RFC 5869) of the operator's encryption key with a label of
/// its own, so the chain's MACs and the sealed values never share a key. The encryption key is
/// already 32 uniformly random bytes, so the Extract step is skipped (RFC 5869, section 3.3), and
/// 32 bytes are one block: HMAC-SHA-256(key, label || 0x01). Written out rather than with the
/// `hkdf` crate because that API returns errors that cannot happen here; a test holds it to `hkdf`.
#[derive(Clone)]
pub struct AuditKey {
    mac: HmacSha256,
    check: [u8; 32],
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

const KEY_LABEL: &[u8] = b"goldaw audit chain v1";
const KEY_CHECK_TEXT: &[u8] = b"goldaw audit key check v1";
/// The first field of every keyed hash (a version, should the format ever change).
const KEYED_DOMAIN: &[u8] = b"goldaw audit event v1";

/// HMAC-SHA-256 with a 32-byte key. HMAC pads a key shorter than SHA-256's 64-byte block with
/// zeros (RFC 2104), so the key given padded is the same key, and `KeyInit::new` takes a full
/// block without the length check of `new_from_slice` (which cannot fail for HMAC either).
fn hmac_with(key: &[u8; 32]) -> HmacSha256 {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <HmacSha256 as KeyInit>::new(&block.into())
}

impl AuditKey {
    pub(crate) fn derive(encryption_key: &[u8; 32]) -> AuditKey {
        let mut expand = hmac_with(encryption_key);
        expand.update(KEY_LABEL);
        expand.update(&[1u8]);
        let key: [u8; 32] = expand.finalize().into_bytes().into();
        let mac = hmac_with(&key);
        let mut check = mac.clone();
        check.update(KEY_CHECK_TEXT);
        AuditKey {
            mac,
            check: check.finalize().into_bytes().into(),
        }
    }

    /// What `audit_head.key_check` holds for this key.
    pub(crate) fn check(&self) -> &[u8] {
        &self.check
    }
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

/// Feeds one field, length-prefixed (`None` and `Some("")` differ).
fn field(put: &mut dyn FnMut(&[u8]), bytes: Option<&[u8]>) {
    match bytes {
        None => put(&[0u8]),
        Some(b) => {
            put(&[1u8]);
            put(&(b.len() as u64).to_le_bytes());
            put(b);
        }
    }
}

/// The link and the fields of a row, as hashed (plain or keyed alike).
fn encode(put: &mut dyn FnMut(&[u8]), prev: &[u8], f: &ChainFields) {
    field(put, Some(prev));
    field(put, Some(&f.seq.to_le_bytes()));
    field(
        put,
        Some(f.at.to_rfc3339_opts(SecondsFormat::Micros, true).as_bytes()),
    );
    field(put, Some(f.actor.as_bytes()));
    field(put, Some(f.source.as_bytes()));
    field(put, Some(f.action.as_bytes()));
    field(put, f.entity.map(str::as_bytes));
    field(put, f.entity_id.map(str::as_bytes));
    field(put, f.detail.map(str::as_bytes));
}

/// The plain hash of events before the keyed part: SHA-256.
pub(crate) fn chain_hash(prev: &[u8], f: &ChainFields) -> Vec<u8> {
    let mut h = Sha256::new();
    encode(&mut |b| h.update(b), prev, f);
    h.finalize().to_vec()
}

/// The keyed hash: HMAC-SHA-256 under the audit key, over a version, the first keyed event's
/// number (so that the keyed part cannot be made to start elsewhere) and what the plain hash covers.
pub(crate) fn keyed_hash(key: &AuditKey, keyed_from: i64, prev: &[u8], f: &ChainFields) -> Vec<u8> {
    let mut m = key.mac.clone();
    let mut put = |b: &[u8]| m.update(b);
    field(&mut put, Some(KEYED_DOMAIN));
    field(&mut put, Some(&keyed_from.to_le_bytes()));
    encode(&mut put, prev, f);
    m.finalize().into_bytes().to_vec()
}

/// The MAC of a checkpoint of the chain (`audit_verified`): the event's number and hash under
/// the audit key, with a label of its own (never equal to an event's keyed hash).
fn checkpoint_mac(key: &AuditKey, seq: i64, hash: &[u8]) -> Vec<u8> {
    let mut m = key.mac.clone();
    let mut put = |b: &[u8]| m.update(b);
    field(&mut put, Some(b"goldaw audit checkpoint v1"));
    field(&mut put, Some(&seq.to_le_bytes()));
    field(&mut put, Some(hash));
    m.finalize().into_bytes().to_vec()
}

/// The row `audit_head`: the last event's number and hash, and where the keyed part begins.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Head {
    pub seq: i64,
    pub hash: Vec<u8>,
    pub keyed_from: Option<i64>,
    pub key_check: Option<Vec<u8>>,
}

/// How the events of one append are hashed: decided from the head and the key this process holds.
pub(crate) struct Link<'k> {
    key: Option<&'k AuditKey>,
    keyed_from: Option<i64>,
}

impl<'k> Link<'k> {
    /// For an append whose first event is `first`, after a head that says where the keyed part
    /// begins (`None`: not yet). With the key, an unkeyed chain becomes keyed at `first`; a keyed
    /// chain takes events only from a process holding the key it was keyed with.
    pub(crate) fn for_append(
        key: Option<&'k AuditKey>,
        head: &Head,
        first: i64,
    ) -> StoreResult<Link<'k>> {
        match (key, head.keyed_from) {
            (None, None) => Ok(Link {
                key: None,
                keyed_from: None,
            }),
            (Some(key), None) => Ok(Link {
                key: Some(key),
                keyed_from: Some(first),
            }),
            (Some(key), Some(from)) if head.key_check.as_deref() == Some(key.check()) => Ok(Link {
                key: Some(key),
                keyed_from: Some(from),
            }),
            (Some(_), Some(from)) => Err(wrong_key(from)),
            (None, Some(from)) => Err(StoreError::Config(format!(
                "the audit log is keyed from event {from}: writing to it needs the encryption key \
                 goldaw serves this database with (set {} as for goldaw serve)",
                crate::crypto::KEY_FILE_ENV
            ))),
        }
    }

    pub(crate) fn hash(&self, prev: &[u8], f: &ChainFields) -> Vec<u8> {
        match (self.key, self.keyed_from) {
            (Some(key), Some(from)) if f.seq >= from => keyed_hash(key, from, prev, f),
            _ => chain_hash(prev, f),
        }
    }

    /// `audit_head.keyed_from` and `key_check` after this append.
    pub(crate) fn keyed_from(&self) -> Option<i64> {
        self.keyed_from
    }

    pub(crate) fn key_check(&self) -> Option<&[u8]> {
        self.key.map(AuditKey::check)
    }
}

pub(crate) fn wrong_key(keyed_from: i64) -> StoreError {
    StoreError::Config(format!(
        "the encryption key given is not the one this database's audit log is keyed with (from \
         event {keyed_from}): give the key goldaw served this database with"
    ))
}

/// Appends `$event` by `$principal` inside transaction `$tx` (either backend), for `$store` (whose
/// key, if it holds one, keys the chain). Call it before any other statement of a write
/// transaction: it takes the write lock.
macro_rules! append_audit {
    ($store:expr, $tx:ident, $principal:expr, $event:expr) => {{
        let event: &$crate::audit::AuditEvent = &$event;
        let principal: &goldaw_core::access::Principal = $principal;
        // `seq` is the new event's number, `hash` still the previous event's.
        let head: $crate::audit::Head = sqlx::query_as(
            "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash, keyed_from, key_check",
        )
        .fetch_one(&mut *$tx)
        .await?;
        let link = $crate::audit::Link::for_append($store.audit_key(), &head, head.seq)?;
        let at = $crate::audit::audit_now();
        let hash = link.hash(
            &head.hash,
            &$crate::audit::ChainFields {
                seq: head.seq,
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
        .bind(head.seq)
        .bind(at)
        .bind(&principal.actor)
        .bind(&principal.source)
        .bind(event.action)
        .bind(event.entity)
        .bind(event.entity_id.as_deref())
        .bind(event.detail.as_deref())
        .bind(&head.hash)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1, keyed_from = $2, key_check = $3 WHERE id = 1")
            .bind(&hash)
            .bind(link.keyed_from())
            .bind(link.key_check())
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
    /// Every event checked: order, links, content (the keyed part with the key), and the head.
    Intact { events: u64 },
    /// The first row whose content, link or position does not match the chain.
    Broken { seq: i64, reason: String },
    /// Checked without the key: the order, the links, the head and the events before
    /// `keyed_from` hold, but the content of the keyed events cannot be checked without the key.
    KeyNeeded { events: u64, keyed_from: i64 },
    /// Checked with the key, and intact, but no event is keyed: either nothing ever wrote to this
    /// database with the key (every `goldaw serve` does), or the keyed part was replaced by a
    /// plain chain, which anyone who can write the database can compute.
    Unkeyed { events: u64 },
}

/// A point the chain must pass through: an event's number and hash as `goldaw audit anchor`
/// printed them (`SEQ:HASH`), kept outside the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchor {
    pub seq: i64,
    pub hash: Vec<u8>,
}

impl std::fmt::Display for AuditAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.seq)?;
        self.hash.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::str::FromStr for AuditAnchor {
    type Err = StoreError;

    fn from_str(text: &str) -> StoreResult<AuditAnchor> {
        // `why`: colon, number or digits (the part that is missing).
        let refuse = |why: &str| {
            StoreError::refuse(
                "anchor",
                "store-audit-anchor-form",
                vec![
                    ("value", SayArg::Text(text.to_owned())),
                    ("reason", SayArg::Text(why.to_owned())),
                ],
            )
        };
        let (seq, hex) = text.trim().split_once(':').ok_or_else(|| refuse("colon"))?;
        let seq: i64 = seq
            .parse()
            .ok()
            .filter(|s| *s >= 0)
            .ok_or_else(|| refuse("number"))?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(refuse("digits"));
        }
        let hash = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| refuse("digits"))?;
        Ok(AuditAnchor { seq, hash })
    }
}

/// What `verify_audit_with` found, and where the chain stood.
#[derive(Debug, Clone)]
pub struct AuditReport {
    pub check: AuditCheck,
    /// The first keyed event, if the chain is keyed.
    pub keyed_from: Option<i64>,
    /// The head the check walked to: an anchor to keep, when the check passed.
    pub head: AuditAnchor,
    /// The first event this check walked: 1 for the whole chain, later when it went on from
    /// where the last check ended ([`Store::verify_audit_since_checkpoint`]).
    pub checked_from: i64,
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
        Ok(self.verify_audit_with(&[]).await?.check)
    }

    /// As [`Store::verify_audit`], and the chain must pass through every anchor: the event of
    /// each anchor's number exists and has its hash.
    ///
    /// The head is read first and the events up to it are walked: events appended meanwhile are
    /// left for the next check (each append commits its events and the head together).
    pub async fn verify_audit_with(&self, anchors: &[AuditAnchor]) -> StoreResult<AuditReport> {
        let head = self.audit_head().await?;
        self.walk_audit(&head, 1, vec![0u8; 32], anchors).await
    }

    async fn audit_head(&self) -> StoreResult<Head> {
        Ok(with_db!(self.db(), pool => {
            sqlx::query_as("SELECT seq, hash, keyed_from, key_check FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?
        }))
    }

    /// Checks the chain from event `from` (whose link must be `prev`) to the head read.
    async fn walk_audit(
        &self,
        head: &Head,
        from: i64,
        prev: Vec<u8>,
        anchors: &[AuditAnchor],
    ) -> StoreResult<AuditReport> {
        let key = self.audit_key();
        let report = |check: AuditCheck| AuditReport {
            check,
            keyed_from: head.keyed_from,
            head: AuditAnchor {
                seq: head.seq,
                hash: head.hash.clone(),
            },
            checked_from: from,
        };
        let broken = |seq: i64, reason: String| report(AuditCheck::Broken { seq, reason });
        if let Some(from) = head.keyed_from {
            if from < 1 || from > head.seq {
                return Ok(broken(
                    from,
                    format!("audit_head says the keyed events begin at {from}, but the log has events 1 to {}: it was changed", head.seq),
                ));
            }
            if key.is_some_and(|k| head.key_check.as_deref() != Some(k.check())) {
                return Ok(broken(
                    from,
                    format!("{}, or audit_head's key check was changed", wrong_key(from)),
                ));
            }
        }
        let mut expected_seq = from;
        let mut prev = prev;
        let mut failure: Option<(i64, String)> = None;
        with_db!(self.db(), pool => {
            let mut rows = sqlx::query_as::<_, StoredRow>(
                "SELECT seq, at, actor, source, action, entity, entity_id, detail, prev_hash, hash
                 FROM audit_events WHERE seq >= $2 AND seq <= $1 ORDER BY seq",
            )
            .bind(head.seq)
            .bind(from)
            .fetch(pool);
            while let Some(r) = rows.try_next().await? {
                let keyed_from = head.keyed_from.filter(|from| r.seq >= *from);
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
                    match (keyed_from, key) {
                        (None, _) => (chain_hash(&r.prev_hash, &fields) != r.hash)
                            .then(|| "its content does not match its hash: the event was changed".to_owned()),
                        (Some(from), Some(key)) => (keyed_hash(key, from, &r.prev_hash, &fields) != r.hash)
                            .then(|| "its content does not match its keyed hash: the event was changed (its hash cannot be recomputed without the key)".to_owned()),
                        // Without the key the content of a keyed event cannot be checked.
                        (Some(_), None) => None,
                    }
                };
                let reason = reason.or_else(|| {
                    anchors.iter().find(|a| a.seq == r.seq && a.hash != r.hash).map(|a| {
                        format!("it does not match the anchor {a}: the log was rewritten up to here")
                    })
                });
                if let Some(reason) = reason {
                    failure = Some((r.seq, reason));
                    break;
                }
                prev = r.hash;
                expected_seq += 1;
            }
        });
        if let Some((seq, reason)) = failure {
            return Ok(broken(seq, reason));
        }
        let last = expected_seq - 1;
        if head.seq != last || head.hash != prev {
            return Ok(broken(
                expected_seq,
                format!("the log ends at event {last} but {} were written: the last events were removed", head.seq),
            ));
        }
        if let Some(a) = anchors.iter().find(|a| a.seq > last) {
            return Ok(broken(
                a.seq,
                format!("the log ends at event {last}, before the anchor {a}: the newest events were removed"),
            ));
        }
        if let Some(a) = anchors.iter().find(|a| a.seq == 0 && a.hash != [0u8; 32]) {
            return Ok(broken(
                0,
                format!("the anchor {a} is not the start of any log"),
            ));
        }
        let events = last as u64;
        Ok(report(match (head.keyed_from, key) {
            (Some(keyed_from), None) => AuditCheck::KeyNeeded { events, keyed_from },
            (None, Some(_)) if events > 0 => AuditCheck::Unkeyed { events },
            _ => AuditCheck::Intact { events },
        }))
    }

    /// Checks the events appended since the last check that passed (issue #24: `/admin/audit`
    /// no longer walks the whole chain on every view), then records the head as the new
    /// checkpoint (`audit_verified`).
    ///
    /// The checkpoint is trusted only with a valid MAC under the audit key (a process without
    /// the key trusts it only on an unkeyed chain); an untrusted one (moved by someone without
    /// the key) makes this a whole-chain check. Beyond the new events it checks that the event the
    /// checkpoint names still has its hash and that the log did not end before it (the newest
    /// events removed with the head moved back). A change to an event *before* the checkpoint is
    /// found by the whole-chain check (`verify_audit`, `goldaw audit verify`, the page's "check
    /// the whole chain"), which an operator runs on a schedule (docs/paging-and-due-dates.md).
    pub async fn verify_audit_since_checkpoint(&self) -> StoreResult<AuditReport> {
        let head = self.audit_head().await?;
        let cp: (i64, Vec<u8>, Option<Vec<u8>>) = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT seq, hash, mac FROM audit_verified WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        let (cp_seq, cp_hash, cp_mac) = cp;
        let trusted = cp_seq > 0
            && match self.audit_key() {
                Some(key) => {
                    cp_mac.as_deref() == Some(checkpoint_mac(key, cp_seq, &cp_hash).as_slice())
                }
                None => head.keyed_from.is_none(),
            };
        let report = if !trusted {
            self.walk_audit(&head, 1, vec![0u8; 32], &[]).await?
        } else {
            let broken = |reason: String| AuditReport {
                check: AuditCheck::Broken {
                    seq: cp_seq,
                    reason,
                },
                keyed_from: head.keyed_from,
                head: AuditAnchor {
                    seq: head.seq,
                    hash: head.hash.clone(),
                },
                checked_from: cp_seq,
            };
            if cp_seq > head.seq {
                return Ok(broken(format!(
                    "the last check passed at event {cp_seq}, but the log now ends at event {}: the newest events were removed",
                    head.seq
                )));
            }
            let stored: Option<(Vec<u8>,)> = with_db!(self.db(), pool => {
                sqlx::query_as("SELECT hash FROM audit_events WHERE seq = $1")
                    .bind(cp_seq)
                    .fetch_optional(pool)
                    .await?
            });
            if stored.map(|(h,)| h) != Some(cp_hash.clone()) {
                return Ok(broken(format!(
                    "event {cp_seq}, where the last check ended, was changed or removed"
                )));
            }
            self.walk_audit(&head, cp_seq + 1, cp_hash, &[]).await?
        };
        let advanced = if trusted {
            head.seq > cp_seq
        } else {
            head.seq > 0
        };
        if advanced
            && matches!(
                report.check,
                AuditCheck::Intact { .. } | AuditCheck::Unkeyed { .. }
            )
        {
            let mac = self
                .audit_key()
                .map(|key| checkpoint_mac(key, head.seq, &head.hash));
            with_db!(self.db(), pool => {
                sqlx::query(
                    "UPDATE audit_verified SET seq = $1, hash = $2, mac = $3, checked_at = $4
                     WHERE id = 1 AND (seq < $1 OR $5)",
                )
                .bind(head.seq)
                .bind(&head.hash)
                .bind(mac)
                .bind(Utc::now())
                .bind(!trusted)
                .execute(pool)
                .await?;
            });
        }
        Ok(report)
    }

    /// Events for the audit page and export, newest first.
    pub async fn audit_events(
        &self,
        principal: &Principal,
        q: &AuditQuery,
    ) -> StoreResult<Vec<AuditRow>> {
        self.audit_events_before(principal, q, None).await
    }

    /// A page of events, newest first, older than event `before` (the last `seq` of the page
    /// before; issue #24): a range of the primary key or of the actor's or record's index, as
    /// cheap on the hundredth page as on the first.
    pub async fn audit_events_before(
        &self,
        principal: &Principal,
        q: &AuditQuery,
        before: Option<i64>,
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
        if before.is_some() {
            next(&mut sql, "seq <");
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
            if let Some(b) = before { query = query.bind(b); }
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

    #[test]
    fn the_audit_key_is_hkdf_expand_of_the_encryption_key_under_its_own_label() {
        let material = [7u8; 32];
        let mut expected = [0u8; 32];
        hkdf::Hkdf::<Sha256>::from_prk(&material)
            .unwrap()
            .expand(KEY_LABEL, &mut expected)
            .unwrap();
        // The MAC under the derived key, computed with the length-checked constructor.
        let mut reference = <HmacSha256 as Mac>::new_from_slice(&expected).unwrap();
        reference.update(KEY_CHECK_TEXT);
        let key = AuditKey::derive(&material);
        assert_eq!(key.check(), reference.finalize().into_bytes().as_slice());
        assert_ne!(key.check(), AuditKey::derive(&[8u8; 32]).check());
    }

    #[test]
    fn the_keyed_hash_needs_the_key_and_covers_where_the_keyed_part_begins() {
        let base = ChainFields {
            seq: 5,
            at: audit_now(),
            actor: "a",
            source: "s",
            action: "x",
            entity: None,
            entity_id: None,
            detail: Some("d"),
        };
        let key = AuditKey::derive(&[7u8; 32]);
        let h = keyed_hash(&key, 3, &[0; 32], &base);
        assert_eq!(h, keyed_hash(&key, 3, &[0; 32], &base));
        assert_ne!(h, chain_hash(&[0; 32], &base), "not the plain hash");
        assert_ne!(
            h,
            keyed_hash(&AuditKey::derive(&[8u8; 32]), 3, &[0; 32], &base)
        );
        assert_ne!(
            h,
            keyed_hash(&key, 4, &[0; 32], &base),
            "the start is covered"
        );
        assert_ne!(
            h,
            keyed_hash(
                &key,
                3,
                &[0; 32],
                &ChainFields {
                    detail: Some("e"),
                    ..base
                }
            )
        );
    }

    #[test]
    fn an_anchor_reads_back_what_it_prints_and_refuses_anything_else() {
        let a = AuditAnchor {
            seq: 42,
            hash: (0..32).collect(),
        };
        let text = a.to_string();
        assert_eq!(text.len(), 3 + 64);
        assert_eq!(text.parse::<AuditAnchor>().unwrap(), a);
        for (bad, says) in [
            ("42", "no colon"),
            ("x:00", "event number"),
            ("-1:00", "event number"),
            ("42:abc", "64 hexadecimal digits"),
            (&format!("42:{}", "g".repeat(64)), "64 hexadecimal digits"),
        ] {
            let e = bad.parse::<AuditAnchor>().unwrap_err().to_string();
            assert!(e.contains(says) && e.contains("SEQ:HASH"), "{bad}: {e}");
        }
    }
}
