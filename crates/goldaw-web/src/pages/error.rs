//! The error of a page handler, [`PageError`]: what the store refused, told to the reader in
//! their language with their navigation (as `ApiError` does for the API), or an answer already
//! made (a refusal page, a redirect). Handlers return [`PageResult`] and use `?`:
//! `store_call().await.or_refuse(&signed)?`, `signed.require(Permission::…)?`.

use super::common::{refusal_page, server_error};
use super::extract::Signed;
use super::UserView;
use crate::i18n::Translator;
use axum::response::{IntoResponse, Response};
use goldaw_core::access::Permission;
use goldaw_store::StoreError;

/// Why a page is not the page asked for (boxed: a handler's `Result` stays small).
pub struct PageError(Box<Kind>);

enum Kind {
    /// The store answered a refusal (or failed): shown as the refusal page.
    Store {
        t: Translator,
        user: Option<UserView>,
        error: StoreError,
    },
    /// An answer already made: a refusal page, a redirect, an internal error.
    Page(Response),
}

/// What a page handler returns.
pub type PageResult = Result<Response, PageError>;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match *self.0 {
            Kind::Store { t, user, error } => refusal_page(&t, user, error),
            Kind::Page(r) => r,
        }
    }
}

impl From<Response> for PageError {
    fn from(r: Response) -> Self {
        PageError(Box::new(Kind::Page(r)))
    }
}

impl Signed {
    /// The store's refusal `e`, for this reader.
    pub fn fail(&self, error: StoreError) -> PageError {
        PageError(Box::new(Kind::Store {
            t: self.t.clone_lang(),
            user: self.user(),
            error,
        }))
    }

    /// Deny by default: `Err` is the refusal page unless the reader may `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), PageError> {
        match self.deny_unless(permission) {
            Some(r) => Err(PageError::from(r)),
            None => Ok(()),
        }
    }
}

/// A store answer in a page handler: the value, or the refusal page for the reader.
pub trait OrRefuse<T> {
    fn or_refuse(self, signed: &Signed) -> Result<T, PageError>;
}

impl<T> OrRefuse<T> for Result<T, StoreError> {
    fn or_refuse(self, signed: &Signed) -> Result<T, PageError> {
        self.map_err(|e| signed.fail(e))
    }
}

/// A store answer where only an internal failure is possible (no reader to tell): the value,
/// or the plain internal-error answer.
pub trait OrServerError<T> {
    fn or_server_error(self) -> Result<T, PageError>;
}

impl<T> OrServerError<T> for Result<T, StoreError> {
    fn or_server_error(self) -> Result<T, PageError> {
        self.map_err(|e| PageError::from(server_error(e)))
    }
}
