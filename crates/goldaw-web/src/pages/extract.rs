//! What every page handler starts from, as axum extractors:
//!
//! - [`Signed`]: the signed-in session (second factor done) and the page's language; anyone else
//!   is sent to the sign-in page.
//! - [`Posted<F>`]: a form sent by the signed-in session, read only once its CSRF token matches
//!   the session's. `F` does not carry the token itself: the body is read twice, once for the token
//!   and once for the form.
//!
//! A refusal is a [`Response`] ready to send: a redirect, or a page in the person's language that
//! says what went wrong.

use super::common::render;
use super::{current_session, translator, UserView};
use crate::client_addr::ClientAddr;
use crate::i18n::Translator;
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use goldaw_core::access::{Permission, Principal};
use goldaw_store::sessions::Session;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The largest form body read (attachments have their own limit and route).
const FORM_LIMIT: usize = 256 * 1024;

pub struct Signed {
    pub session: Session,
    pub t: Translator,
}

impl Signed {
    pub fn principal(&self) -> &Principal {
        &self.session.principal
    }

    /// What the layout shows about the user.
    pub fn user(&self) -> Option<UserView> {
        Some(UserView::of(&self.session))
    }

    /// Deny by default: the page needs `permission`, and only user accounts browse.
    /// `Some` is the refusal page to send.
    pub fn deny_unless(&self, permission: Permission) -> Option<Response> {
        let p = self.principal();
        if p.role.is_some() && p.may(permission) {
            None
        } else {
            Some(message_page(
                &self.t,
                self.user(),
                StatusCode::FORBIDDEN,
                "access-denied",
                "access-denied-text",
            ))
        }
    }

    /// The page for a form whose fields could not be read (a tampered or outdated form).
    pub fn unreadable_form(&self) -> Response {
        message_page(
            &self.t,
            self.user(),
            StatusCode::BAD_REQUEST,
            "refused",
            "form-unreadable-short",
        )
    }

    /// A page that says what went wrong, in the person's language.
    pub fn refuse(&self, status: StatusCode, text: String) -> Response {
        message_page_text(&self.t, self.user(), status, "refused", text)
    }

    #[allow(dead_code)] // the case pages use it
    /// The "no such record" page (also for records outside scope: existence does not leak).
    pub fn not_found(&self) -> Response {
        message_page(
            &self.t,
            self.user(),
            StatusCode::NOT_FOUND,
            "not-found",
            "not-found-text",
        )
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let addr = ClientAddr::of(parts, state);
        match current_session(state, &parts.headers, addr).await? {
            Some(session) => Ok(Signed {
                session,
                t: translator(&parts.headers),
            }),
            None => Err(Redirect::to("/login").into_response()),
        }
    }
}

/// A form posted by the signed-in session with the session's CSRF token.
pub struct Posted<F> {
    pub signed: Signed,
    pub form: F,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<F: DeserializeOwned + Send> FromRequest<AppState> for Posted<F> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let forged = |signed: &Signed| {
            message_page(
                &signed.t,
                signed.user(),
                StatusCode::FORBIDDEN,
                "refused",
                "form-expired",
            )
        };
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(forged(&signed));
        }
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return Err(message_page(
                &signed.t,
                signed.user(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "refused",
                "form-too-large",
            ));
        };
        let token: CsrfField = match serde_urlencoded::from_bytes(&bytes) {
            Ok(t) => t,
            Err(_) => return Err(forged(&signed)),
        };
        if token.csrf.is_empty() || token.csrf != signed.session.csrf {
            return Err(forged(&signed));
        }
        match serde_urlencoded::from_bytes::<F>(&bytes) {
            Ok(form) => Ok(Posted { signed, form }),
            Err(e) => {
                let text = signed
                    .t
                    .t_with("form-unreadable", &[("detail", e.to_string().into())]);
                Err(signed.refuse(StatusCode::BAD_REQUEST, text))
            }
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    t: &'a Translator,
    user: Option<UserView>,
    title: String,
    text: String,
}

/// A short page with a title and a sentence, both translation keys.
pub fn message_page(
    t: &Translator,
    user: Option<UserView>,
    status: StatusCode,
    title_key: &str,
    text_key: &str,
) -> Response {
    message_page_text(t, user, status, title_key, t.t(text_key))
}

pub fn message_page_text(
    t: &Translator,
    user: Option<UserView>,
    status: StatusCode,
    title_key: &str,
    text: String,
) -> Response {
    let mut r = render(MessagePage {
        t,
        user,
        title: t.t(title_key),
        text,
    });
    *r.status_mut() = status;
    r
}

#[allow(dead_code)] // the case pages use it
/// After a successful post: back to a page (303, so a reload does not post again).
pub fn see_other(to: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}
