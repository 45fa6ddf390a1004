//! Connections: the accept loop, and the limits that keep one client from
//! holding the server for everyone else.
//!
//! - At most `max_connections` at once (never more than the process's file
//!   descriptors allow); beyond it a client gets a canned `503` with
//!   `Retry-After` and the socket is closed.
//! - hyper's header-read timeout: a request head must arrive in full within
//!   `header_read_timeout_secs` of the connection being ready for one (new,
//!   or idle between keep-alive requests), which closes half-sent heads
//!   (slowloris) and idle keep-alive connections.
//! - An idle timeout: a connection on which no byte has moved either way for
//!   `idle_timeout_secs` while no handler runs (a client that stopped
//!   reading a download) is dropped.
//!
//! Request bodies that stall are ended by the body-read timeout in
//! [`crate::routes`].

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// Connection limits, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

/// File descriptors kept back from `max_connections` for the database,
/// blob files and the listener.
const FD_RESERVE: u64 = 256;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the soft
/// limit now in force.
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut lim = getrlimit(Resource::Nofile);
    if lim.current != lim.maximum {
        lim.current = lim.maximum;
        if let Err(e) = setrlimit(Resource::Nofile, lim) {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for
/// open connections to finish their requests (the caller bounds how long).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let fd_room = raise_fd_limit().saturating_sub(FD_RESERVE).max(16);
    let max = limits.max_connections.min(usize::try_from(fd_room).unwrap_or(usize::MAX));
    if max < limits.max_connections {
        tracing::warn!(max_connections = max, "max_connections lowered to fit the open-file limit");
    }
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept:
                    // back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Responses go out as soon as they are ready: without TCP_NODELAY a
        // streamed body after its headers can wait for a delayed ACK (~40 ms).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            refuse(tcp);
            continue;
        };
        let activity = Arc::new(Activity::default());
        let io = TokioIo::new(Tracked { inner: tcp, activity: activity.clone() });
        let (app, requests) = (app.clone(), activity.clone());
        let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
            let running = requests.start_request();
            let app = app.clone();
            async move {
                let response = app.oneshot(req).await;
                drop(running);
                response
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(io, service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            tokio::select! {
                r = conn => if let Err(e) = r { tracing::debug!(error = %e, "connection ended with an error") },
                () = idle_watch(&activity, limits.idle_timeout) => tracing::debug!("idle connection closed"),
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Answers a connection over the limit without reading from it.
fn refuse(tcp: TcpStream) {
    static LAST_WARN: AtomicU64 = AtomicU64::new(0);
    let now = millis();
    if now.saturating_sub(LAST_WARN.swap(now, Ordering::Relaxed)) > 10_000 {
        tracing::warn!("connection limit reached; refusing new connections with 503");
    }
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-type: text/plain\r\ncontent-length: 33\r\nconnection: close\r\n\r\ntoo many connections, retry later\n";
    // The socket buffer of a fresh connection takes this at once; if not,
    // the client gets a plain close.
    let _ = tcp.try_write(BUSY);
}

/// When a connection last moved bytes, and how many handlers run on it.
#[derive(Default)]
struct Activity {
    last_progress_ms: AtomicU64,
    running: AtomicUsize,
}

struct Running(Arc<Activity>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.touch();
        self.0.running.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Activity {
    fn touch(&self) {
        self.last_progress_ms.store(millis(), Ordering::Relaxed);
    }

    fn start_request(self: &Arc<Self>) -> Running {
        self.running.fetch_add(1, Ordering::Relaxed);
        Running(self.clone())
    }
}

/// Resolves once the connection has been idle for `idle`.
async fn idle_watch(activity: &Activity, idle: Duration) {
    activity.touch();
    let idle_ms = idle.as_millis() as u64;
    loop {
        let quiet = millis().saturating_sub(activity.last_progress_ms.load(Ordering::Relaxed));
        if quiet >= idle_ms && activity.running.load(Ordering::Relaxed) == 0 {
            return;
        }
        let wait = idle_ms.saturating_sub(quiet).max(250);
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
}

/// Milliseconds since the first call (a monotonic clock).
fn millis() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// A socket that records when bytes last moved.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl Tracked {
    fn note<T>(&self, r: &Poll<io::Result<T>>) {
        if matches!(r, Poll::Ready(Ok(_))) {
            self.activity.touch();
        }
    }
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.note(&r);
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.note(&r);
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.note(&r);
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
