//! Who is calling: every API request must carry `Authorization: Bearer <token>`; without a valid
//! one the answer is 401 before any handler runs. The principal carries the caller's role, scope
//! and address into every store call, which checks the permission and filters by scope.

use crate::client_addr::ClientAddr;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use goldaw_core::access::Principal;

pub struct Caller(pub Principal);

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let source = ClientAddr::of(parts, state).to_string();
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized("sign in: send Authorization: Bearer <token> (goldaw user token USERNAME makes one)"));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("the Authorization header must be: Bearer <token>"))?;
        match state.store.principal_for_token(token, &source).await? {
            Some(principal) => Ok(Caller(principal)),
            None => Err(unauthorized(
                "the token is not valid (unknown, revoked, or its account is disabled)",
            )),
        }
    }
}
