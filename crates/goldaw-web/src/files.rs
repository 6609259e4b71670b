//! File uploads and downloads, shared by the API and the pages.
//!
//! An upload is `multipart/form-data` with the fields `kind` and `file` (and, from a page, the
//! form's `csrf` token before the file). The file is read chunk by chunk and dropped as soon as it
//! passes [`MAX_ATTACHMENT_BYTES`], so a large body is never held in memory; the routes that take
//! uploads have their own body limit, [`UPLOAD_BODY_LIMIT`], instead of the 1 MiB of every other
//! route, and a body announced larger than that is refused before it is read.
//! A download is sent as a file to save, never to render: see [`file_response`].

use axum::body::Body;
use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use goldaw_core::attachments::MAX_ATTACHMENT_BYTES;
use goldaw_store::cases::AttachmentContent;

/// The largest request body an upload route reads: the largest file plus room for the form's
/// other fields and the multipart framing.
pub const UPLOAD_BODY_LIMIT: usize = MAX_ATTACHMENT_BYTES + 64 * 1024;

/// The longest text field (`kind`, `csrf`) of an upload form.
const MAX_TEXT_FIELD: usize = 256;

/// The fields of an upload form, as sent.
#[derive(Debug, Default)]
pub struct Upload {
    pub kind: Option<String>,
    /// The file's name as the sender gave it, and its bytes (at most the limit).
    pub file: Option<(Option<String>, Vec<u8>)>,
}

/// Why an upload form could not be read.
#[derive(Debug)]
pub enum UploadError {
    /// The file (or the whole body) is larger than the limit.
    TooLarge,
    /// A field nobody asked for.
    UnknownField(String),
    /// A field sent twice, or a text field too long, or broken multipart framing.
    Malformed(String),
    /// A page's form without its session's token before the file.
    Forged,
}

/// Whether the request announces a body larger than any accepted upload.
pub fn announced_too_large(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > UPLOAD_BODY_LIMIT as u64)
}

fn from_multipart(e: MultipartError) -> UploadError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        UploadError::TooLarge
    } else {
        UploadError::Malformed(e.body_text())
    }
}

async fn read_text(mut field: Field<'_>, name: &str) -> Result<String, UploadError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(from_multipart)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TEXT_FIELD {
            return Err(UploadError::Malformed(format!("{name}: too long")));
        }
    }
    String::from_utf8(bytes).map_err(|_| UploadError::Malformed(format!("{name}: not UTF-8 text")))
}

/// Reads the form. With `csrf` (a page), the `csrf` field must come before the file and match:
/// no file is read for a forged form.
pub async fn read_upload(
    mut multipart: Multipart,
    csrf: Option<&str>,
) -> Result<Upload, UploadError> {
    let mut upload = Upload::default();
    let mut token_ok = csrf.is_none();
    while let Some(mut field) = multipart.next_field().await.map_err(from_multipart)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "csrf" if csrf.is_some() => {
                let sent = read_text(field, "csrf").await?;
                token_ok = !sent.is_empty() && Some(sent.as_str()) == csrf;
                if !token_ok {
                    return Err(UploadError::Forged);
                }
            }
            "kind" if upload.kind.is_none() => upload.kind = Some(read_text(field, "kind").await?),
            "file" if upload.file.is_none() => {
                if !token_ok {
                    return Err(UploadError::Forged);
                }
                let file_name = field.file_name().map(str::to_owned);
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(from_multipart)? {
                    if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
                        // Stop here: the rest of the body is not read.
                        return Err(UploadError::TooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                upload.file = Some((file_name, bytes));
            }
            "kind" | "file" => {
                return Err(UploadError::Malformed(format!(
                    "{name}: sent more than once"
                )))
            }
            _ => return Err(UploadError::UnknownField(name)),
        }
    }
    if !token_ok {
        return Err(UploadError::Forged);
    }
    Ok(upload)
}

/// The file as a download: its stored type, `attachment` with a safe name (ASCII, and the full
/// name in UTF-8 by RFC 6266/5987), never sniffed, never cached, sandboxed if opened anyway.
pub fn file_response(content: AttachmentContent) -> Response {
    let encoded = percent_encoding::utf8_percent_encode(
        content.file_name.as_str(),
        percent_encoding::NON_ALPHANUMERIC,
    );
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{encoded}",
        content.file_name.ascii_fallback()
    );
    let mut response = Body::from(content.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content.file_type.mime()),
    );
    // Both parts are ASCII by construction; fall back to a plain "attachment" all the same.
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}
