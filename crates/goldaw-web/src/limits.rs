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

/// The API answers in its own JSON error, whatever refused the request (issue #20, item 3):
///
/// - a query string whose percent-decoding is not UTF-8 is refused (400) before any handler
///   reads it: decoded leniently it would become a filter that matches nothing or is dropped,
///   and the caller would get an answer to a question they did not ask;
/// - the body limit (`RequestBodyLimitLayer`, which answers 413 in plain text when the declared
///   length is over it) answers the API's `too_large` error.
pub(crate) async fn api_answers(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    if let Some(query) = request.uri().query() {
        if let Err(at) = query_is_utf8(query) {
            return ApiError::bad_request(format!(
                "the query string is not UTF-8 text after percent-decoding (at byte {at} of \
                 the query): send every value as UTF-8, percent-encoded"
            ))
            .into_response();
        }
    }
    let response = next.run(request).await;
    let json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !json {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the request body is over the limit of 1 MiB (attachments have their own, larger \
             limit): send less",
        )
        .into_response();
    }
    response
}

/// Whether every name and value of a query string decodes (percent-decoding, `+` as a space)
/// to UTF-8; the error is the position in the query where the undecodable part starts.
fn query_is_utf8(query: &str) -> Result<(), usize> {
    let mut start = 0;
    for part in query.split(['&', '=']) {
        let bytes = part.as_bytes();
        let mut decoded = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match bytes[i] {
                b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        decoded.push((h * 16 + l) as u8);
                        i += 3;
                    }
                    _ => {
                        decoded.push(b'%');
                        i += 1;
                    }
                },
                b => {
                    decoded.push(b);
                    i += 1;
                }
            }
        }
        if std::str::from_utf8(&decoded).is_err() {
            return Err(start);
        }
        start += part.len() + 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::query_is_utf8;

    #[test]
    fn a_query_is_utf8_text_once_decoded() {
        assert_eq!(query_is_utf8("name=Orazow&page=2"), Ok(()));
        assert_eq!(query_is_utf8("name=%C3%BDna+b&x"), Ok(()));
        assert_eq!(query_is_utf8("name=%C3%BD%"), Ok(()));
        assert_eq!(query_is_utf8("name=%zz%4"), Ok(()));
        assert_eq!(query_is_utf8("page=1&name=%FF"), Err(12));
        assert_eq!(query_is_utf8("name=%C3"), Err(5));
        assert_eq!(query_is_utf8("%80=1"), Err(0));
    }
}
