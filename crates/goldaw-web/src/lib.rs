//! The goldaw web server: a JSON API under `/api/v1` documented at `/api/openapi.json`,
//! and `/health`. Handlers only translate HTTP to store calls: every rule lives in the store
//! or the domain, and every store call carries the principal asking.

pub mod api;
mod assets;
pub mod client_addr;
mod error;
mod files;
pub mod headers;
pub mod pages;
pub mod planning_export;
mod principal;
pub mod statistics;
pub mod statistics_export;

use axum::Router;
use goldaw_store::Store;
use std::net::SocketAddr;
use tokio::net::TcpListener;

pub use client_addr::{ClientAddr, TrustedProxies};
pub use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Mark cookies `Secure`: set when goldaw is reached over HTTPS (behind a TLS proxy).
    pub secure_cookies: bool,
    pub limiter: std::sync::Arc<pages::SignInLimiter>,
    /// Whose `X-Forwarded-For` names the client ([`client_addr`]).
    pub trusted_proxies: std::sync::Arc<TrustedProxies>,
}

/// How the server is run.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    pub secure_cookies: bool,
    /// The reverse proxies whose `X-Forwarded-For` is believed (none by default).
    pub trusted_proxies: TrustedProxies,
}

/// The whole application as a router (tests serve it on an ephemeral port).
pub fn app(store: Store, options: ServeOptions) -> Router {
    let state = AppState {
        store,
        secure_cookies: options.secure_cookies,
        limiter: std::sync::Arc::new(pages::SignInLimiter::new()),
        trusted_proxies: std::sync::Arc::new(options.trusted_proxies),
    };
    let router = api::router()
        .merge(pages::router())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1 << 20))
        // File uploads: their own, larger limit (files.rs), so merged after the general one.
        .merge(api::upload_router())
        .merge(pages::upload_router())
        .merge(assets::router())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    headers::protect(router)
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(store: Store, listener: TcpListener) -> std::io::Result<()> {
    serve_with(store, listener, ServeOptions::default()).await
}

pub async fn serve_with(
    store: Store,
    listener: TcpListener,
    options: ServeOptions,
) -> std::io::Result<()> {
    let app = app(store, options);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
