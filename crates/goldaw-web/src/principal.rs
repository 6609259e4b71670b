//! Who is calling. Until sign-in exists (the access issue), every request acts as the local
//! operator with national scope, exactly as the CLI does; the extractor is the one place that
//! changes when users, sessions and tokens arrive, because every handler already takes it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use goldaw_core::access::Principal;

pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = crate::ApiError;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller(Principal::system("api")))
    }
}
