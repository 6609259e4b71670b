//! goldaw's own accept loop, so that slow or half-open connections cannot shut others out.
//!
//! `axum::serve` sets no timer on hyper's connections: a connection that never finishes its
//! headers is held for ever, and 3,000 of them exhausted the usual 1,024 open files. Here:
//!
//! - **Header-read timeout**: a connection that has not sent a whole request head within
//!   `header_read_timeout` is closed. hyper starts the clock again after each answer, so an idle
//!   keep-alive connection is closed after the same time.
//! - **Write stalls**: a client that takes none of an answer for `header_read_timeout` is dropped
//!   (it would otherwise hold its connection for ever by not reading).
//! - **Request timeout** (`lib.rs`, [`crate::limits`]): a request not answered within
//!   `request_timeout`, its body upload included, is answered 503.
//! - **A bound on open connections**: at most `max_connections`, which keeps goldaw below the
//!   open-files limit, so it never stops accepting. When all are taken, the connection that has
//!   waited longest without sending a request is closed to make room: a flood of half-open
//!   connections only displaces itself, and a client that sends its request at once is served.
//!   Only when every connection is working on a request does a new one get a short 503 at once
//!   (rather than waiting in the queue).
//! - An `accept` that fails for the process (out of files or memory) is retried after a short
//!   pause (not in a busy loop), logged at most once a second.
//!
//! Only HTTP/1.1 is served (as `axum::serve` did with axum's default features): goldaw sits
//! behind a reverse proxy that speaks HTTP/2 to browsers if wanted.

use crate::client_addr::Peer;
use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio_io_timeout::TimeoutStream;

/// The limits of the accept loop (from [`crate::ServeOptions`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
}

/// After an accept error that is not the client's: wait this long before the next accept.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// How long the accept loop waits for the slot of a connection it closed to make room.
const EVICTION_WAIT: Duration = Duration::from_millis(100);

/// Whether a connection has sent a request yet, shared by its task and the accept loop: either
/// its first request starts or the loop closes it, never both.
struct Opening {
    state: AtomicU8,
    evicted: Notify,
}

const WAITING: u8 = 0;
const STARTED: u8 = 1;
const EVICTED: u8 = 2;

impl Opening {
    fn new() -> Opening {
        Opening {
            state: AtomicU8::new(WAITING),
            evicted: Notify::new(),
        }
    }

    /// A request arrived: the connection may no longer be closed to make room.
    fn start(&self) {
        let _ = self
            .state
            .compare_exchange(WAITING, STARTED, Ordering::AcqRel, Ordering::Acquire);
    }

    fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    /// Closes the connection if it has still sent no request; `false` if it has.
    fn evict(&self) -> bool {
        let evicted = self
            .state
            .compare_exchange(WAITING, EVICTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if evicted {
            self.evicted.notify_one();
        }
        evicted
    }
}

/// Closes the connection that has waited longest without a request; `false` if none is waiting.
/// Entries of connections that started a request or ended are dropped on the way.
fn evict_oldest(waiting: &mut VecDeque<Weak<Opening>>) -> bool {
    while let Some(entry) = waiting.pop_front() {
        if entry.upgrade().is_some_and(|o| o.evict()) {
            return true;
        }
    }
    false
}

/// Serves `app` on `listener` until `shutdown` completes; then accepts nothing more and waits for
/// the requests in flight, at most `request_timeout` (no request takes longer).
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    busy_answer: Arc<[u8]>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut last_logged: Option<Instant> = None;
    // Connections in the order accepted, to find the oldest that has sent no request.
    let mut waiting: VecDeque<Weak<Opening>> = VecDeque::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                if last_logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                    tracing::error!(error = %e, "accept failed; trying again");
                    last_logged = Some(Instant::now());
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) if evict_oldest(&mut waiting) => {
                match tokio::time::timeout(EVICTION_WAIT, slots.clone().acquire_owned()).await {
                    Ok(Ok(slot)) => slot,
                    _ => {
                        refuse_busy(stream, &busy_answer);
                        continue;
                    }
                }
            }
            Err(_) => {
                refuse_busy(stream, &busy_answer);
                continue;
            }
        };
        let opening = Arc::new(Opening::new());
        if waiting.len() >= 2 * limits.max_connections {
            // At most `max_connections` are open, so this keeps the queue short.
            waiting.retain(|w| w.upgrade().is_some_and(|o| o.is_waiting()));
        }
        waiting.push_back(Arc::downgrade(&opening));
        let mut io = TimeoutStream::new(stream);
        io.set_write_timeout(Some(limits.header_read_timeout));
        let io = TokioIo::new(Box::pin(io));
        let app = app.clone();
        let started = opening.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            started.start();
            request.extensions_mut().insert(Peer(peer));
            let mut app = app.clone();
            async move { tower::Service::call(&mut app, request.map(Body::new)).await }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(io, service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            tokio::select! {
                result = connection => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, %peer, "connection closed");
                    }
                }
                _ = opening.evicted.notified() => {
                    tracing::debug!(%peer, "closed a connection without a request to make room");
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    // Idle connections close at once; each request in flight is bounded by the request timeout.
    let grace = limits.request_timeout + Duration::from_secs(1);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open at shutdown were dropped");
    }
    Ok(())
}

/// Errors of one connection, not of the listener: the next accept goes ahead at once.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// A full server: the 503 answer if the socket takes it at once (it always has room for a short
/// one), then close. Nothing waits on the client.
fn refuse_busy(stream: TcpStream, answer: &[u8]) {
    let _ = stream.try_write(answer);
    drop(stream);
}

/// The whole HTTP answer for a full server: 503, retry in a few seconds, the text in every
/// language goldaw speaks (the request, and so its language cookie, is not read).
pub(crate) fn busy_answer(text: &str) -> Arc<[u8]> {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n\
         Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\nContent-Length: {}\r\n\r\n{text}",
        text.len()
    )
    .into_bytes()
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A client that asks for a large answer and reads none of it loses its connection after
    /// the timeout, and with it the only slot: the next client is served, not refused.
    #[tokio::test]
    async fn a_client_that_reads_nothing_cannot_keep_the_slot() {
        let big = bytes_of(32 << 20);
        let app = Router::new()
            .route("/big", get(move || async move { big }))
            .route("/small", get(|| async { "small" }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = Limits {
            header_read_timeout: Duration::from_millis(500),
            request_timeout: Duration::from_secs(5),
            max_connections: 1,
        };
        tokio::spawn(run(
            listener,
            app,
            limits,
            busy_answer("busy"),
            std::future::pending(),
        ));

        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut reader = socket.connect(addr).await.unwrap();
        reader
            .write_all(b"GET /big HTTP/1.1\r\nHost: goldaw\r\n\r\n")
            .await
            .unwrap();
        // While it holds the slot, others are told the server is busy.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(get_small(addr).await.starts_with("HTTP/1.1 503"));

        tokio::time::sleep(Duration::from_millis(1500)).await;
        let answer = get_small(addr).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // The reader got only part of the answer before its connection was dropped.
        let mut got = 0usize;
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_secs(5), reader.read(&mut buf)).await
        {
            if n == 0 {
                break;
            }
            got += n;
        }
        assert!(got < 32 << 20, "read all {got} bytes");
    }

    fn bytes_of(n: usize) -> axum::body::Bytes {
        axum::body::Bytes::from(vec![b'x'; n])
    }

    async fn get_small(addr: std::net::SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /small HTTP/1.1\r\nHost: goldaw\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }
}
