//! Errors as HTTP answers: a status and a JSON body `{"error": {"code", "message"}}` that says
//! what to do. Internal failures are logged in full and answered without detail.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use goldaw_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
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
        }
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
            StoreError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            // The workflow's refusal: the code names the rule (out_of_order, plan_not_ready, ...).
            StoreError::Refused(r) => ApiError::new(StatusCode::CONFLICT, r.code(), r.to_string()),
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
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
