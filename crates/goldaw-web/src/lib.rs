//! The goldaw web server: a JSON API under `/api/v1` documented at `/api/openapi.json`,
//! and `/health`. Handlers only translate HTTP to store calls: every rule lives in the store
//! or the domain, and every store call carries the principal asking.

pub mod api;
mod assets;
pub mod client_addr;
mod error;
mod files;
pub mod headers;
pub(crate) mod i18n;
mod limits;
pub mod pages;
pub mod planning_export;
mod principal;
mod server;
pub mod spreadsheet;
pub mod statistics;
pub mod statistics_export;

use axum::Router;
use goldaw_store::Store;
use std::time::Duration;
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
    /// The DHIS2 mapping file exports use; `None`: the shipped one ([`ServeOptions::dhis2_mapping`]).
    pub dhis2_mapping: Option<std::sync::Arc<std::path::Path>>,
    /// How long a dashboard is served from memory ([`ServeOptions::dashboard_cache`]).
    pub dashboard_cache: Duration,
}

/// How the server is run.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub secure_cookies: bool,
    /// The reverse proxies whose `X-Forwarded-For` is believed (none by default).
    pub trusted_proxies: TrustedProxies,
    /// A connection must send a whole request head within this time, and is closed when idle or
    /// when it takes none of an answer for this long (`server.rs`).
    pub header_read_timeout: Duration,
    /// A request not answered within this time, its upload included, is stopped with 503.
    pub request_timeout: Duration,
    /// Connections open at once. When full, the oldest that has sent no request is closed to
    /// make room; if all are working on requests, a new one is answered 503 and closed.
    pub max_connections: usize,
    /// The DHIS2 mapping (TOML) of the exports; `None`: the shipped one. Read at each export,
    /// so that a changed file needs no restart.
    pub dhis2_mapping: Option<std::path::PathBuf>,
    /// How long a dashboard is served from memory: new episodes show within this time (zero:
    /// every view is made from the store).
    pub dashboard_cache: Duration,
}

impl ServeOptions {
    /// Enough to send a request head over a slow mobile link; short enough that connections
    /// which never finish theirs are soon closed.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// An attachment at the upload limit over a slow link (about 0.5 Mbit/s), or a large export.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
    /// Well below the usual limit of 1,024 open files, which the database and files share.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
    /// Ten minutes: new episodes show soon enough, and a national dashboard is made rarely.
    pub const DEFAULT_DASHBOARD_CACHE: Duration = Duration::from_secs(600);

    /// The dashboard cache from its setting (`GOLDAW_DASHBOARD_CACHE_SECONDS`): a whole number of
    /// seconds; anything else is logged and the default used.
    pub fn dashboard_cache_from(setting: Option<&str>) -> Duration {
        match setting {
            Some(v) => match v.trim().parse::<u64>() {
                Ok(s) => Duration::from_secs(s),
                Err(_) => {
                    tracing::warn!(value = %v, "GOLDAW_DASHBOARD_CACHE_SECONDS is not a whole number of seconds; using 600");
                    Self::DEFAULT_DASHBOARD_CACHE
                }
            },
            None => Self::DEFAULT_DASHBOARD_CACHE,
        }
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            secure_cookies: false,
            trusted_proxies: TrustedProxies::none(),
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            dhis2_mapping: None,
            dashboard_cache: Self::DEFAULT_DASHBOARD_CACHE,
        }
    }
}

/// The whole application as a router (tests serve it on an ephemeral port).
pub fn app(store: Store, options: ServeOptions) -> Router {
    let state = AppState {
        store,
        secure_cookies: options.secure_cookies,
        limiter: std::sync::Arc::new(pages::SignInLimiter::new()),
        trusted_proxies: std::sync::Arc::new(options.trusted_proxies),
        dhis2_mapping: options.dhis2_mapping.map(std::sync::Arc::from),
        dashboard_cache: options.dashboard_cache,
    };
    let router = api::router()
        .merge(pages::router())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1 << 20))
        // File uploads: their own, larger limit (files.rs), so merged after the general one.
        .merge(api::upload_router())
        .merge(pages::upload_router())
        .merge(assets::router())
        .layer(axum::middleware::from_fn_with_state(
            options.request_timeout,
            limits::request_timeout,
        ))
        .layer(axum::middleware::from_fn(limits::api_answers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    headers::protect(router)
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight (with the default
/// [`ServeOptions`]).
pub async fn serve(store: Store, listener: TcpListener) -> std::io::Result<()> {
    serve_with(store, listener, ServeOptions::default()).await
}

pub async fn serve_with(
    store: Store,
    listener: TcpListener,
    options: ServeOptions,
) -> std::io::Result<()> {
    let bounds = server::Limits {
        header_read_timeout: options.header_read_timeout,
        request_timeout: options.request_timeout,
        max_connections: options.max_connections.max(1),
    };
    let app = app(store, options);
    let busy = server::busy_answer(&limits::busy_text());
    server::run(listener, app, bounds, busy, shutdown_signal()).await
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
