//! Case notes: the contacts and events a worker records on a case (contacts count as units of the
//! etrap social work service).

use super::{clean_text, corrupt};
use crate::audit::{append_audit, AuditEvent};
use crate::error::{StoreError, StoreResult};
use crate::Store;
use chrono::{DateTime, TimeDelta, Utc};
use goldaw_core::access::Principal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What kind of contact a note records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    HomeVisit,
    PhoneCall,
    OfficeVisit,
    Meeting,
    CaseConference,
    Other,
}

impl NoteKind {
    pub const ALL: [NoteKind; 6] = [
        NoteKind::HomeVisit,
        NoteKind::PhoneCall,
        NoteKind::OfficeVisit,
        NoteKind::Meeting,
        NoteKind::CaseConference,
        NoteKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::HomeVisit => "home_visit",
            NoteKind::PhoneCall => "phone_call",
            NoteKind::OfficeVisit => "office_visit",
            NoteKind::Meeting => "meeting",
            NoteKind::CaseConference => "case_conference",
            NoteKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Contacts with the person count as units of the etrap social work service.
    pub(super) fn is_contact(self) -> bool {
        matches!(
            self,
            NoteKind::HomeVisit | NoteKind::PhoneCall | NoteKind::OfficeVisit | NoteKind::Meeting
        )
    }
}

/// A contact or event in the case's life.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseNote {
    pub id: Uuid,
    pub kind: NoteKind,
    pub happened_at: DateTime<Utc>,
    /// `None` when withheld (a sensitive case, a reader without the permission).
    pub text: Option<String>,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct NoteRow {
    pub(super) id: Uuid,
    pub(super) kind: String,
    pub(super) happened_at: DateTime<Utc>,
    pub(super) text_sealed: Vec<u8>,
    pub(super) author: String,
    pub(super) created_at: DateTime<Utc>,
}

impl Store {
    /// Records a contact or event. Contacts count as units of the etrap social work service.
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn add_case_note(
        &self,
        principal: &Principal,
        case_id: Uuid,
        kind: NoteKind,
        happened_at: DateTime<Utc>,
        text: &str,
    ) -> StoreResult<CaseNote> {
        let row = self.load_case_row(principal, case_id).await?;
        // Notes are case work: the same rule as the worker's actions.
        self.may_work_on(principal, &row)?;
        let Some(text) = clean_text("text", Some(text))? else {
            return Err(StoreError::refuse("text", "store-note-empty", vec![]));
        };
        let now = Utc::now();
        if happened_at > now + TimeDelta::minutes(5) {
            return Err(StoreError::refuse(
                "happened_at",
                "store-note-future",
                vec![],
            ));
        }
        let id = Uuid::now_v7();
        let sealed = self.seal_text("case text", Some(&text), &format!("case_notes.text:{id}"))?;
        with_db!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            append_audit!(self, tx, principal, AuditEvent::on("case.note", "case", case_id).with_detail(kind.as_str()));
            sqlx::query("INSERT INTO case_notes (id, case_id, kind, happened_at, text_sealed, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id)
                .bind(case_id)
                .bind(kind.as_str())
                .bind(happened_at)
                .bind(sealed)
                .bind(&principal.actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if kind.is_contact() {
                sqlx::query("UPDATE service_episodes SET units = COALESCE(units, 0) + 1, version = version + 1, updated_at = $1
                             WHERE case_id = $2 AND service_code = 'ETRAP_SW' AND ended_on IS NULL")
                    .bind(now).bind(case_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(CaseNote {
            id,
            kind,
            happened_at,
            text: Some(text),
            author: principal.actor.clone(),
            created_at: now,
        })
    }

    /// The case's notes, newest first (text withheld on sensitive cases without the permission).
    #[tracing::instrument(skip_all, fields(case_id = %case_id))]
    pub async fn case_notes(
        &self,
        principal: &Principal,
        case_id: Uuid,
    ) -> StoreResult<Vec<CaseNote>> {
        let row = self.load_case_row(principal, case_id).await?;
        let restricted = row.restricted_for(principal);
        let notes = self.notes_of(case_id, restricted).await?;
        self.audit(
            principal,
            AuditEvent::on("case.notes_read", "case", case_id)
                .with_detail(format!("{} notes", notes.len())),
        )
        .await?;
        Ok(notes)
    }

    /// The notes of a case the caller was already allowed to read, newest first; not audited here.
    pub(super) async fn notes_of(
        &self,
        case_id: Uuid,
        restricted: bool,
    ) -> StoreResult<Vec<CaseNote>> {
        let rows: Vec<NoteRow> = with_db!(self.db(), pool => {
            sqlx::query_as("SELECT id, kind, happened_at, text_sealed, author, created_at FROM case_notes WHERE case_id = $1 ORDER BY happened_at DESC, id DESC")
                .bind(case_id)
                .fetch_all(pool)
                .await?
        });
        let notes = rows
            .into_iter()
            .map(|n| {
                Ok(CaseNote {
                    id: n.id,
                    kind: NoteKind::parse(&n.kind).ok_or_else(|| corrupt("note kind", &n.kind))?,
                    happened_at: n.happened_at,
                    text: if restricted {
                        None
                    } else {
                        self.open_text(
                            "case text",
                            Some(&n.text_sealed),
                            &format!("case_notes.text:{}", n.id),
                        )?
                    },
                    author: n.author,
                    created_at: n.created_at,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(notes)
    }
}
