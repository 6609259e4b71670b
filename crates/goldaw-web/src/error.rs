//! Errors as HTTP answers: a status and a JSON body `{"error": {"code", "message"}}` that says
//! what to do. Internal failures are logged in full and answered without detail.
//!
//! A refusal the store made with a translation key (a rule's 422, a contracting 403) carries the
//! key with its answer; [`translate_errors`], a layer on the API's routes, writes the message in
//! the language the request's `Accept-Language` asks for (en, ru, tk; English by default). The
//! status and the `code` never change with the language.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use goldaw_store::error::Say;
use goldaw_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The refusal's translation key and arguments, with what comes before the text (the field
    /// refused, as `"field: "`), when the store gave one.
    pub say: Option<(String, Say)>,
}

/// The message of an answer in other languages: put on the response by [`ApiError`], read by
/// [`translate_errors`].
#[derive(Clone)]
struct Translatable {
    code: String,
    prefix: String,
    say: Say,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: unauthorized, not_found, conflict, forbidden, invalid,
    /// bad_request, internal, timeout (not answered in time); too_large (a body over the limit,
    /// 413) and unsupported_type (a body that is not JSON, or an attachment of a type not
    /// accepted: 415); or, for a case action
    /// the workflow refuses, the rule: out_of_order, priority_required, plan_not_ready,
    /// closing_review_missing, closure_reason_required, no_closure_requested, transfer_pending,
    /// no_transfer_pending, residential_needs_legal_basis, referral_not_now,
    /// initial_assessment_missing, holistic_assessment_missing, assessment_not_now; for a merge of
    /// duplicate people, merge_same_person, merge_already_merged, merge_sex_differs,
    /// merge_birth_dates_differ, merge_households_differ, merge_assessments_overlap.
    pub code: String,
    /// What went wrong and what to do, for a person.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            say: None,
        }
    }

    /// The same answer, its message translatable from `say` (after `prefix`).
    pub fn saying(mut self, prefix: impl Into<String>, say: Say) -> Self {
        self.say = Some((prefix.into(), say));
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record")
            }
            e @ StoreError::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            StoreError::Forbidden(m) => {
                // A contracting 403 names its rule by a key (`DENIALS`).
                let key = goldaw_store::contracting::denial_key(&m);
                let e = ApiError::new(StatusCode::FORBIDDEN, "forbidden", m);
                match key {
                    Some(key) => e.saying("", Say { key, args: vec![] }),
                    None => e,
                }
            }
            // The workflow's refusal: the code names the rule (out_of_order, plan_not_ready, ...).
            StoreError::Refused(r) => ApiError::new(StatusCode::CONFLICT, r.code(), r.to_string()),
            StoreError::Invalid {
                field,
                message,
                say: Some(say),
            } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{field}: {message}"),
            )
            .saying(format!("{field}: "), say),
            e @ (StoreError::Invalid { .. } | StoreError::Import(_)) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
            }
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request; it has been logged",
                )
            }
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection;
        match &r {
            // Not JSON at all: the body is not read (415, as HTTP says).
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                "send the body as JSON, with the header Content-Type: application/json",
            ),
            // Over the body limit while it was read (a body without a declared length).
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "the request body is over the limit of 1 MiB: send less",
                )
            }
            _ => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", r.body_text()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::bad_request(r.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        // A malformed id cannot name a record: answer as for any unknown id.
        let _ = r;
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let translatable = self.say.map(|(prefix, say)| Translatable {
            code: self.code.to_owned(),
            prefix,
            say,
        });
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(t) = translatable {
            response.extensions_mut().insert(t);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// The language an API request asks for by its `Accept-Language` (in the order given, as
/// `fluent_langneg` negotiates): `en`, `ru` or `tk`; English when it names none of them.
pub fn api_language(headers: &axum::http::HeaderMap) -> &'static str {
    use fluent_langneg::{
        convert_vec_str_to_langids_lossy, negotiate_languages, parse_accepted_languages,
        NegotiationStrategy,
    };
    const OFFERED: [&str; 3] = ["en", "ru", "tk"];
    let Some(asked) = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return "en";
    };
    let requested = parse_accepted_languages(asked);
    let available = convert_vec_str_to_langids_lossy(OFFERED);
    let chosen = negotiate_languages(&requested, &available, None, NegotiationStrategy::Lookup);
    chosen
        .first()
        .and_then(|id| OFFERED.iter().find(|c| id.language.as_str() == **c))
        .copied()
        .unwrap_or("en")
}

/// The API's error answers in the request's language: a keyed refusal's message is written
/// again from its key when the request asks for Russian or Turkmen (English is what it holds).
pub async fn translate_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let lang = api_language(request.headers());
    let response = next.run(request).await;
    if lang == "en" {
        return response;
    }
    let Some(t) = response.extensions().get::<Translatable>().cloned() else {
        return response;
    };
    let message = format!(
        "{}{}",
        t.prefix,
        crate::i18n::Translator::new(Some(lang)).say(&t.say)
    );
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let body = ErrorBody {
        error: ErrorDetail {
            code: t.code,
            message,
        },
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.insert(
        axum::http::header::CONTENT_LANGUAGE,
        axum::http::HeaderValue::from_static(lang),
    );
    Response::from_parts(parts, axum::body::Body::from(json))
}
