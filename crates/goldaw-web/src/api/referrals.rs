//! `/api/v1/providers`, `/api/v1/offers`, `/api/v1/cases/{id}/referrals`,
//! `/api/v1/referrals`: the register of providers and referrals to services (docs/referrals.md).
//!
//! By use case: `providers` (the register: providers, service points, offers), `case` (referring
//! from a case, legal bases, cancelling) and `inbox` (the provider's side of a referral). This
//! module holds the routes.

mod case;
mod inbox;
mod providers;

pub use self::case::*;
pub use self::inbox::*;
pub use self::providers::*;

use crate::AppState;
use axum::routing::{get, post, put};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/providers", get(list_providers).post(create_provider))
        .route("/providers/{id}", get(read_provider).put(update_provider))
        .route("/providers/{id}/points", post(add_point))
        .route("/providers/{id}/points/{point}", put(update_point))
        .route("/providers/{id}/offers", put(set_offer))
        .route("/offers", get(offers))
        .route("/cases/{id}/referrals", get(case_referrals).post(refer))
        .route("/cases/{id}/legal-bases", post(legal_basis))
        .route("/referrals/{id}/cancel", post(cancel))
        .route("/provider/referrals", get(inbox))
        .route("/provider/referrals/{id}", get(provider_read))
        .route("/provider/referrals/{id}/actions", post(provider_act))
        .route("/provider/referrals/{id}/deliveries", post(deliver))
}
