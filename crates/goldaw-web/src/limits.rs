//! The request timeout: a request not answered within the limit (its body upload included) is
//! stopped and answered 503, a page in the reader's language or the API's JSON error. What the
//! stopped request did in an open transaction is rolled back; a change committed just before
//! cannot be, hence the advice to check before sending it again.
//!
//! Written here rather than with tower-http's `TimeoutLayer`, which answers an empty body: a
//! person should read what happened. The limit itself is `ServeOptions::request_timeout`.

use crate::pages::extract::message_page;
use crate::ApiError;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

pub(crate) async fn request_timeout(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let t = crate::pages::translator(request.headers());
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) if api => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request was not answered within {} seconds and was stopped: check whether it \
                 took effect before sending it again",
                limit.as_secs()
            ),
        )
        .into_response(),
        Err(_) => message_page(
            &t,
            None,
            StatusCode::SERVICE_UNAVAILABLE,
            "http-timeout-title",
            "http-timeout",
        ),
    }
}

/// The text of the answer to a connection the full server cannot take, in every language (it is
/// written before the request, and so its language, is read).
pub(crate) fn busy_text() -> String {
    crate::pages::LANGUAGES
        .iter()
        .map(|(code, _)| crate::i18n::Translator::new(Some(code)).t("http-busy"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
