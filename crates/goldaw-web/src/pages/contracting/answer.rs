//! What a contracting form answers: back to its page (303), or the refusal in the reader's
//! language. A contracting 403 carries the `en` text of one of the store's keys
//! (`goldaw_store::contracting::DENIALS`): it is shown in the reader's language, not as the
//! generic "not allowed".

use crate::pages::common::refusal;
use crate::pages::extract::{see_other, Signed};
use axum::http::StatusCode;
use axum::response::Response;
use goldaw_store::StoreError;

/// The refusal page for `e`.
pub(super) fn refused(signed: &Signed, e: StoreError) -> Response {
    if let StoreError::Forbidden(message) = &e {
        if let Some(key) = goldaw_store::contracting::denial_key(message) {
            return signed.refuse(StatusCode::FORBIDDEN, signed.t.t(key));
        }
    }
    refusal(signed, e)
}

/// After a form's store call: to `to` (303), or the refusal page.
pub(super) fn done<T>(signed: &Signed, result: Result<T, StoreError>, to: String) -> Response {
    match result {
        Ok(_) => see_other(&to),
        Err(e) => refused(signed, e),
    }
}
