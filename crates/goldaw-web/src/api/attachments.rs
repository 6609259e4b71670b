//! `/api/v1/cases/{id}/attachments`, `/api/v1/attachments/{id}`: documents on a case.
//!
//! These routes take bodies up to [`UPLOAD_BODY_LIMIT`] (the other routes 1 MiB): the app
//! merges [`router`] outside the general limit.

use crate::error::{ApiError, ErrorBody};
use crate::files::{
    announced_too_large, file_response, read_upload, UploadError, UPLOAD_BODY_LIMIT,
};
use crate::principal::Caller;
use crate::AppState;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use goldaw_core::attachments::{
    AttachmentKind, FileRefusal, UploadedFile, ACCEPTED_TYPES, MAX_ATTACHMENT_BYTES,
};
use goldaw_store::cases::AttachmentRecord;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/attachments", get(list).post(upload))
        .route("/attachments/{id}", get(download))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

/// The form of an upload, for the OpenAPI document.
#[allow(dead_code)] // read field by field from the multipart stream
#[derive(utoipa::ToSchema)]
pub struct UploadForm {
    pub kind: AttachmentKind,
    /// The file: PDF, JPEG or PNG (recognised by its content), at most 5 MiB.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "file: larger than the limit of {} MiB ({MAX_ATTACHMENT_BYTES} bytes)",
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        ),
    )
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> ApiError {
        match e {
            UploadError::TooLarge => too_large(),
            UploadError::UnknownField(name) => ApiError::bad_request(format!(
                "{name}: unknown field (send the fields kind and file)"
            )),
            UploadError::Malformed(detail) => ApiError::bad_request(detail),
            // The API has no form token.
            UploadError::Forged => ApiError::bad_request("csrf: unknown field"),
        }
    }
}

impl From<FileRefusal> for ApiError {
    fn from(r: FileRefusal) -> ApiError {
        match r {
            FileRefusal::TooLarge => too_large(),
            FileRefusal::WrongType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                format!("file: only {ACCEPTED_TYPES} files are accepted, recognised by their content (not their name or declared type); this file is none of them"),
            ),
            FileRefusal::Empty => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "file: the file is empty",
            ),
        }
    }
}

/// The case's attachments, newest first (staff who work cases in scope; sensitive cases need
/// the sensitive permission).
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<AttachmentRecord>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Vec<AttachmentRecord>>, ApiError> {
    let Path(id) = id?;
    Ok(Json(state.store.case_attachments(&principal, id).await?))
}

/// Attach a file (multipart/form-data: `kind` and `file`). Accepted by content: PDF, JPEG or PNG
/// (415 otherwise), at most 5 MiB (413 otherwise); a missing field is 400.
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases", params(("id" = Uuid, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentRecord), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<AttachmentRecord>), ApiError> {
    let Path(id) = id?;
    // Who may attach, and whether the body can fit, before any of it is read.
    state.store.may_attach(&principal, id).await?;
    if announced_too_large(&headers) {
        return Err(too_large());
    }
    let multipart = multipart.map_err(|r| {
        ApiError::bad_request(format!(
            "send multipart/form-data with the fields kind and file ({})",
            r.body_text()
        ))
    })?;
    let form = read_upload(multipart, None).await?;
    let kind: AttachmentKind = form
        .kind
        .ok_or_else(|| ApiError::bad_request("kind: missing (consent_form, court_order, medical_report, identity_document, school_report, photo or other)"))?
        .trim()
        .parse()
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("kind: {e}")))?;
    let (name, bytes) = form.file.ok_or_else(|| {
        ApiError::bad_request("file: missing (send the document as the field file)")
    })?;
    let file = UploadedFile::parse(name.as_deref(), bytes)?;
    let record = state
        .store
        .add_attachment(&principal, id, kind, file)
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// The file itself, as it was attached: its type, `Content-Disposition: attachment`, never cached.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The file's bytes, with the type its content showed when it was attached",
               content(("application/pdf"), ("image/jpeg"), ("image/png"))),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    Caller(principal): Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id?;
    Ok(file_response(state.store.attachment(&principal, id).await?))
}
