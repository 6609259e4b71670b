//! The browser protections on every answer goldaw gives (pages, API, downloads, errors):
//!
//! - `Content-Security-Policy`: scripts, styles, images, fonts and connections from goldaw
//!   itself only, no inline script or style (the templates link `/static/` files instead,
//!   `assets.rs`), no plugins, no `<base>`, forms post only to goldaw, and no site may frame a
//!   page (clickjacking). An injected `<script>` or `onerror=` in a name does not run.
//!   Downloads of attachments keep their own, stricter policy (`files.rs`).
//! - `X-Content-Type-Options: nosniff`: a file is only ever what its type says.
//! - `Referrer-Policy: no-referrer`: an address that names a person or a search never leaves
//!   with a link. The language links alone send the page's address, to goldaw itself, to come
//!   back to the same page (`referrerpolicy` on the link in `base.html`).
//! - `Cache-Control: no-store` unless the answer set its own (only the static files do): no page
//!   or answer with personal data is kept on disk, so after sign-out the back button of a shared
//!   office computer shows nothing.

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; base-uri 'none'; \
     object-src 'none'; frame-ancestors 'none'; form-action 'self'";

/// Adds the headers to every answer of `router` (its fallback included).
pub(crate) fn protect(router: Router) -> Router {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}
