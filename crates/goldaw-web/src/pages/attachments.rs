//! The case page's attachments: the list with download links, the upload form, the download.
//!
//! The upload route takes bodies up to `files::UPLOAD_BODY_LIMIT` and so is merged outside the
//! general limit ([`upload_router`]). Its form is `multipart/form-data` with the session's CSRF
//! token as the first field: no file is read for a form without it.

use super::common::{after, refusal};
use super::extract::{message_page, message_page_text, Signed};
use crate::files::{
    announced_too_large, file_response, read_upload, UploadError, UPLOAD_BODY_LIMIT,
};
use crate::i18n::Translator;
use crate::pages::error::PageResult;
use crate::AppState;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use goldaw_core::access::Permission;
use goldaw_core::attachments::{AttachmentKind, FileRefusal, UploadedFile, MAX_ATTACHMENT_BYTES};
use goldaw_core::deadlines::LOCAL_OFFSET;
use goldaw_store::cases::CaseRecord;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/attachments/{id}", get(download))
}

/// The upload route, with its own body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/attachments", post(upload))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

pub(super) struct AttachmentView {
    pub(super) id: Uuid,
    pub(super) kind: String,
    pub(super) file_name: String,
    pub(super) size: String,
    pub(super) author: String,
    pub(super) when: String,
}

/// What the case page shows of the attachments (`case_attachments.html`).
pub(super) struct AttachmentsSection {
    /// Whether the reader may see the case's documents at all.
    pub(super) shown: bool,
    pub(super) may_attach: bool,
    pub(super) items: Vec<AttachmentView>,
    pub(super) kinds: Vec<(&'static str, String)>,
    pub(super) accept: &'static str,
}

/// A size as a person reads it: bytes, KiB or MiB.
fn size_text(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.0} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The section for `case`, from the attachments its case file carried (listed there only for
/// staff who work cases, on a case whose content they may see).
pub(super) fn section(
    signed: &Signed,
    case: &CaseRecord,
    items: Vec<goldaw_store::cases::AttachmentRecord>,
) -> AttachmentsSection {
    let p = signed.principal();
    let t = &signed.t;
    let shown = p.may(Permission::WorkCases) && !case.restricted;
    AttachmentsSection {
        shown,
        may_attach: shown && crate::pages::common::case_work(p, case).may_work(),
        items: items
            .into_iter()
            .map(|a| AttachmentView {
                id: a.id,
                kind: t.t(&format!("attachment-kind-{}", a.kind)),
                file_name: a.file_name,
                size: size_text(a.size),
                author: a.author,
                when: a
                    .created_at
                    .with_timezone(&LOCAL_OFFSET)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            })
            .collect(),
        kinds: AttachmentKind::ALL
            .iter()
            .map(|k| (k.as_str(), t.t(&format!("attachment-kind-{k}"))))
            .collect(),
        accept: ".pdf,.jpg,.jpeg,.png",
    }
}

/// A refused upload, in the person's language.
fn refused(signed: &Signed, status: StatusCode, key: &str) -> Response {
    message_page(&signed.t, signed.user(), status, "refused", key)
}

fn too_large(signed: &Signed) -> Response {
    let t: &Translator = &signed.t;
    let text = t.t_with(
        "attachment-too-large",
        &[("size", (MAX_ATTACHMENT_BYTES / (1024 * 1024)).into())],
    );
    message_page_text(
        t,
        signed.user(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "refused",
        text,
    )
}

async fn upload(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, PathRejection>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    // Not a multipart form: not ours (as a form with a wrong token).
    let Ok(multipart) = multipart else {
        return Ok(refused(&signed, StatusCode::FORBIDDEN, "form-expired"));
    };
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    if let Err(e) = state.store.may_attach(signed.principal(), id).await {
        return Err(signed.fail(e));
    }
    if announced_too_large(&headers) {
        return Ok(too_large(&signed));
    }
    let form = match read_upload(multipart, Some(&signed.session.csrf)).await {
        Ok(f) => f,
        Err(UploadError::Forged) => {
            return Ok(refused(&signed, StatusCode::FORBIDDEN, "form-expired"))
        }
        Err(UploadError::TooLarge) => return Ok(too_large(&signed)),
        Err(UploadError::UnknownField(_) | UploadError::Malformed(_)) => {
            return Ok(signed.unreadable_form())
        }
    };
    let Some(Ok(kind)) = form.kind.map(|k| k.parse::<AttachmentKind>()) else {
        return Ok(refused(
            &signed,
            StatusCode::BAD_REQUEST,
            "attachment-kind-needed",
        ));
    };
    let Some((name, bytes)) = form.file else {
        return Ok(refused(
            &signed,
            StatusCode::BAD_REQUEST,
            "attachment-file-needed",
        ));
    };
    let file = match UploadedFile::parse(name.as_deref(), bytes) {
        Ok(f) => f,
        Err(FileRefusal::TooLarge) => return Ok(too_large(&signed)),
        Err(FileRefusal::Empty) => {
            return Ok(refused(
                &signed,
                StatusCode::BAD_REQUEST,
                "attachment-empty",
            ))
        }
        Err(FileRefusal::WrongType) => {
            return Ok(refused(
                &signed,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "attachment-wrong-type",
            ))
        }
    };
    Ok(after(
        &signed,
        state
            .store
            .add_attachment(signed.principal(), id, kind, file)
            .await,
        format!("/cases/{id}#attachments"),
    ))
}

async fn download(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<Uuid>, PathRejection>,
) -> PageResult {
    signed.require(Permission::WorkCases)?;
    let Ok(Path(id)) = id else {
        return Ok(signed.not_found());
    };
    Ok(match state.store.attachment(signed.principal(), id).await {
        Ok(content) => file_response(content),
        Err(e) => refusal(&signed, e),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_a_person_reads_them() {
        assert_eq!(super::size_text(900), "900 B");
        assert_eq!(super::size_text(20 * 1024), "20 KiB");
        assert_eq!(super::size_text(5 * 1024 * 1024), "5.0 MiB");
    }
}
