//! Helpers every page module uses: rendering a template, the internal-error answer, a store
//! refusal as a page in the reader's language, the 303 after a form, and numbers, times and place
//! names as people read them. Page modules import from here, never from each other.

use super::extract::{message_page, message_page_text, see_other, Signed};
use super::UserView;
use crate::i18n::Translator;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use goldaw_core::deadlines::LOCAL_OFFSET;
use goldaw_store::StoreError;

pub(crate) fn server_error(e: goldaw_store::StoreError) -> Response {
    tracing::error!(error = %e, "page failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

pub(crate) fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A local date and time as a person in Turkmenistan reads it.
pub(crate) fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&LOCAL_OFFSET)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A unit's name in the page's language (reference data carries all three).
pub(crate) fn unit_name(unit: &goldaw_store::catalogue::AdminUnit, t: &Translator) -> String {
    match t.lang() {
        "ru" => unit.name_ru.clone(),
        "en" => unit.name_en.clone(),
        _ => unit.name_tk.clone(),
    }
}

/// A whole number with thousands grouped: `1,241` in English, `1 241` (no-break space) in Russian and Turkmen.
pub(crate) fn count(n: u64, lang: &str) -> String {
    let digits = n.to_string();
    let sep = if lang == "en" { "," } else { "\u{a0}" };
    // The first group has 1 to 3 digits, every other group 3 (the digits are ASCII: byte indices are safe).
    let head = match digits.len() % 3 {
        0 => 3,
        r => r,
    }
    .min(digits.len());
    let mut out = digits[..head].to_owned();
    for k in (head..digits.len()).step_by(3) {
        out.push_str(sep);
        out.push_str(&digits[k..k + 3]);
    }
    out
}

/// Text for an SVG: `<`, `>`, `&` and quotes escaped.
pub(crate) fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A store refusal as a page in the person's language.
pub(crate) fn refusal(signed: &Signed, e: StoreError) -> Response {
    refusal_page(&signed.t, signed.user(), e)
}

/// A store refusal as a page in `t`'s language, with the reader's navigation.
pub(crate) fn refusal_page(t: &Translator, user: Option<UserView>, e: StoreError) -> Response {
    let (status, text) = match e {
        StoreError::NotFound => {
            return message_page(
                t,
                user,
                StatusCode::NOT_FOUND,
                "not-found",
                "not-found-text",
            )
        }
        StoreError::Forbidden(_) => (StatusCode::FORBIDDEN, t.t("access-denied-text")),
        StoreError::Conflict { .. } => (StatusCode::CONFLICT, t.t("conflict-text")),
        StoreError::Refused(r) => (
            StatusCode::CONFLICT,
            t.t_with(
                &format!("refusal-{}", r.code()),
                &[
                    (
                        "status",
                        match r {
                            goldaw_core::workflow::Refusal::OutOfOrder { status, .. }
                            | goldaw_core::workflow::Refusal::ReferralNotNow { status }
                            | goldaw_core::workflow::Refusal::AssessmentNotNow { status } => {
                                t.t(&format!("case-status-{status}"))
                            }
                            _ => String::new(),
                        }
                        .into(),
                    ),
                    (
                        "action",
                        match r {
                            goldaw_core::workflow::Refusal::OutOfOrder { action, .. } => {
                                t.t(&format!("action-{action}"))
                            }
                            _ => String::new(),
                        }
                        .into(),
                    ),
                ],
            ),
        ),
        StoreError::Invalid { say: Some(say), .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, t.say(&say))
        }
        StoreError::Invalid { field, message, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t_with(
                "invalid-field",
                &[("field", field.into()), ("detail", message.into())],
            ),
        ),
        other => return server_error(other),
    };
    message_page_text(t, user, status, "refused", text)
}

/// After a form's store call: back to `to` (303), or the refusal page.
pub(crate) fn after<T>(signed: &Signed, result: Result<T, StoreError>, to: String) -> Response {
    after_to(signed, result, |_| to)
}

/// After a form's store call whose answer says where to go next (the record it made): to
/// `to(answer)` (303), or the refusal page.
pub(crate) fn after_to<T>(
    signed: &Signed,
    result: Result<T, StoreError>,
    to: impl FnOnce(T) -> String,
) -> Response {
    match result {
        Ok(v) => see_other(&to(v)),
        Err(e) => refusal(signed, e),
    }
}

/// What the reader may do on a case, asked of the one rule of case work
/// (`goldaw_core::workflow::case_work`); every page that offers a form on a case asks here, and
/// the store decides again.
pub(crate) fn case_work(
    p: &goldaw_core::access::Principal,
    case: &goldaw_store::cases::CaseRecord,
) -> goldaw_core::workflow::CaseWork {
    let facts = goldaw_core::workflow::CaseWorkFacts {
        admin_unit: &case.admin_unit,
        transfer_to: case.transfer_to.as_deref(),
        worker: case.worker_user_id,
        restricted: case.restricted,
    };
    goldaw_core::workflow::case_work(p, &facts)
}
