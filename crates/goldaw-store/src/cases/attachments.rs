//! Documents attached to a case: a consent form, a court order, a medical report, a photo.
//!
//! The file's name and its bytes are sealed with the operator's key, each bound to its column and
//! row; a SHA-256 of the plain bytes is kept beside them and checked on every read. Who may attach
//! is who may write notes (the assigned worker, a supervisor in scope); who may read is staff who
//! work cases in scope. Sensitive cases need the sensitive permission for both, the hotline and
//! providers never see attachments, and a case outside scope is not found. Every upload, list and
//! download is audited (ids, kind, type and size; never the file's name).

use super::history::{insert_case_event, NewCaseEvent};
use super::{corrupt, CaseRow};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::people::require;
use crate::Store;
use chrono::{DateTime, Utc};
use goldaw_core::access::{Permission, Principal};
use goldaw_core::attachments::{AttachmentKind, FileName, FileType, UploadedFile};
use goldaw_core::codes::CaseStatus;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// An attachment as listed: everything but the bytes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: AttachmentKind,
    /// The name the file was sent with, cleaned (no folders, the real type's extension).
    #[schema(value_type = String)]
    pub file_name: String,
    /// The type the file's bytes show: `application/pdf`, `image/jpeg` or `image/png`.
    pub content_type: String,
    /// In bytes.
    pub size: i64,
    /// SHA-256 of the file, hexadecimal.
    pub sha256: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// An attachment with its bytes, for download.
#[derive(Debug, Clone)]
pub struct AttachmentContent {
    pub record: AttachmentRecord,
    pub file_type: FileType,
    pub file_name: FileName,
    pub bytes: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: Uuid,
    case_id: Uuid,
    kind: String,
    filename_sealed: Vec<u8>,
    content_type: String,
    /// INTEGER in both databases: the limit is far below 2^31.
    size: i32,
    sha256: Vec<u8>,
    author: String,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ContentRow {
    #[sqlx(flatten)]
    row: AttachmentRow,
    content_sealed: Vec<u8>,
}

const SELECT_ATTACHMENT: &str = "SELECT id, case_id, kind, filename_sealed, content_type, size, sha256, author, created_at FROM attachments";

const WHAT: &str = "attachments";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Whether the principal may attach a file to the case now: checked before a large upload
    /// is read, and again by [`Store::add_attachment`].
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn may_attach(&self, principal: &Principal, case_id: Uuid) -> StoreResult<()> {
        let row = self.load_case_row(principal, case_id).await?;
        // Attaching is case work: the same rule as notes.
        self.may_work_on(principal, &row)
    }

    /// Keeps `file` on the case, sealed, and writes it to the case's history.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn add_attachment(
        &self,
        principal: &Principal,
        case_id: Uuid,
        kind: AttachmentKind,
        file: UploadedFile,
    ) -> StoreResult<AttachmentRecord> {
        let row = self.load_case_row(principal, case_id).await?;
        self.may_work_on(principal, &row)?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let secrets = self.secrets(WHAT)?;
        let name_sealed = secrets.seal(
            file.name().as_str().as_bytes(),
            &format!("attachments.filename:{id}"),
        )?;
        let content_sealed = secrets.seal(file.bytes(), &format!("attachments.content:{id}"))?;
        let sha256 = Sha256::digest(file.bytes()).to_vec();
        let size = i32::try_from(file.len()).map_err(|e| corrupt("attachment size", e))?;
        let content_type = file.file_type().mime();
        let status: Option<CaseStatus> = row.status.parse().ok();
        let event = AuditEvent::on("case.attachment_add", "case", case_id).with_detail(format!(
            "attachment {id}: {kind}, {content_type}, {size} bytes"
        ));
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, event);
            sqlx::query(
                "INSERT INTO attachments (id, case_id, kind, filename_sealed, content_type, size, sha256, content_sealed, author, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(case_id)
            .bind(kind.as_str())
            .bind(&name_sealed)
            .bind(content_type)
            .bind(size)
            .bind(&sha256)
            .bind(&content_sealed)
            .bind(&principal.actor)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            insert_case_event(&mut *tx, &NewCaseEvent::new(case_id, principal, "attachment_added", now)
                .statuses(status, status)
                .detail(Some(kind.as_str()))).await?;
            tx.commit().await?;
        });
        Ok(AttachmentRecord {
            id,
            case_id,
            kind,
            file_name: file.name().as_str().to_owned(),
            content_type: content_type.to_owned(),
            size: i64::from(size),
            sha256: hex(&sha256),
            author: principal.actor.clone(),
            created_at: now,
        })
    }

    /// The case's attachments, newest first (without their bytes).
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn case_attachments(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<AttachmentRecord>> {
        self.case_for_attachments(principal, case_id).await?;
        let list = self.attachments_of(case_id).await?;
        self.audit(
            principal,
            AuditEvent::on("case.attachments_read", "case", case_id)
                .with_detail(format!("{} attachments", list.len())),
        )
        .await?;
        Ok(list)
    }

    /// The attachments of a case the caller was already allowed to list; not audited here.
    pub(super) async fn attachments_of(&self, case_id: Uuid) -> StoreResult<Vec<AttachmentRecord>> {
        let rows: Vec<AttachmentRow> = with_db!(self.db(), pool => {
            sqlx::query_as(&format!("{SELECT_ATTACHMENT} WHERE case_id = $1 ORDER BY created_at DESC, id DESC"))
                .bind(case_id)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|r| self.attachment_record(r).map(|(record, _)| record))
            .collect()
    }

    /// One attachment with its bytes, checked against its SHA-256; audited.
    #[tracing::instrument(skip_all, fields(attachment_id = %id))]
    pub async fn attachment(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> StoreResult<AttachmentContent> {
        // Deny by default before looking anything up: a role that never reads documents learns
        // nothing of which ids exist.
        require(principal, Permission::WorkCases)?;
        let found: Option<ContentRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, case_id, kind, filename_sealed, content_type, size, sha256, author, created_at, content_sealed
                            FROM attachments WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let ContentRow {
            row,
            content_sealed,
        } = found.ok_or(StoreError::NotFound)?;
        let case_id = row.case_id;
        // Out of scope answers as an unknown id does.
        self.case_for_attachments(principal, case_id).await?;
        let (record, file_type) = self.attachment_record(row)?;
        let bytes = self
            .secrets(WHAT)?
            .open(&content_sealed, &format!("attachments.content:{id}"))?;
        if hex(&Sha256::digest(&bytes)) != record.sha256 {
            return Err(corrupt(
                "attachment",
                format!("{id} does not match its SHA-256"),
            ));
        }
        self.audit(
            principal,
            AuditEvent::on("case.attachment_read", "attachment", id)
                .with_detail(format!("case {case_id}")),
        )
        .await?;
        Ok(AttachmentContent {
            file_name: FileName::from_stored(record.file_name.clone()),
            record,
            file_type,
            bytes,
        })
    }

    /// The case, if the principal may see its attachments: staff who work cases, in scope, with
    /// the sensitive permission for a sensitive case.
    async fn case_for_attachments(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<CaseRow> {
        require(principal, Permission::WorkCases)?;
        let row = self.load_case_row(principal, case_id).await?;
        if row.restricted_for(principal) {
            return Err(StoreError::Forbidden(
                "this is a sensitive case: its documents need the sensitive permission".into(),
            ));
        }
        Ok(row)
    }

    fn attachment_record(&self, r: AttachmentRow) -> StoreResult<(AttachmentRecord, FileType)> {
        let name = self.secrets(WHAT)?.open(
            &r.filename_sealed,
            &format!("attachments.filename:{}", r.id),
        )?;
        let file_type = FileType::from_mime(&r.content_type)
            .ok_or_else(|| corrupt("attachment type", &r.content_type))?;
        Ok((
            AttachmentRecord {
                id: r.id,
                case_id: r.case_id,
                kind: r.kind.parse().map_err(|e| corrupt("attachment kind", e))?,
                file_name: String::from_utf8(name).map_err(|e| corrupt("attachment name", e))?,
                content_type: r.content_type,
                size: i64::from(r.size),
                sha256: hex(&r.sha256),
                author: r.author,
                created_at: r.created_at,
            },
            file_type,
        ))
    }
}
