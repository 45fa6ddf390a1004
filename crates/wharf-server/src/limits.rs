//! Limits on request bodies and transfers, as one tower layer:
//!
//! - a request body that sends nothing for `body_read_timeout_secs` fails
//!   (the handler sees a body error; an upload session keeps what it had);
//! - global bounds on concurrent uploads (content requests with a body) and
//!   downloads (blob and package file GETs). A transfer holds its slot until
//!   its response body is finished or dropped; beyond the bound a client is
//!   told to come back (`Retry-After`), in its protocol's own error shape:
//!   OCI's `TOOMANYREQUESTS` (429), a plain-text 503 elsewhere.
//!
//! Requests with neither (manifest and page GETs, the hot path) pass straight
//! through, without an allocation.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use http::{header, Method, StatusCode};
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::{Layer, Service};
use tower_http::timeout::TimeoutBody;
use wharf_oci::{Code, OciError};

/// Seconds a refused client is asked to wait.
const RETRY_AFTER_SECS: &str = "1";

/// The layer: the body-read timeout and the two pools of transfer slots.
#[derive(Clone)]
pub(crate) struct TransferLimits {
    uploads: Arc<Semaphore>,
    downloads: Arc<Semaphore>,
    body_timeout: Duration,
}

impl TransferLimits {
    pub(crate) fn new(max_uploads: usize, max_downloads: usize, body_timeout: Duration) -> TransferLimits {
        TransferLimits {
            uploads: Arc::new(Semaphore::new(max_uploads)),
            downloads: Arc::new(Semaphore::new(max_downloads)),
            body_timeout,
        }
    }
}

impl<S> Layer<S> for TransferLimits {
    type Service = Limited<S>;

    fn layer(&self, inner: S) -> Limited<S> {
        Limited { inner, limits: self.clone() }
    }
}

/// The service [`TransferLimits`] wraps around the router.
#[derive(Clone)]
pub(crate) struct Limited<S> {
    inner: S,
    limits: TransferLimits,
}

type Boxed = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for Limited<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, Boxed>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let body = has_body(&req);
        let kind = classify(req.method(), req.uri().path(), body);
        if !body && kind.is_none() {
            return Either::Left(self.inner.call(req));
        }
        let permit = match kind {
            None => None,
            Some(kind) => {
                let pool = if kind == Kind::Upload { &self.limits.uploads } else { &self.limits.downloads };
                match pool.clone().try_acquire_owned() {
                    Ok(p) => Some(p),
                    Err(_) => {
                        let busy = busy(req.uri().path(), kind);
                        return Either::Right(Box::pin(async move { Ok(busy) }));
                    }
                }
            }
        };
        let timeout = self.limits.body_timeout;
        let req = if body { req.map(|b| Body::new(TimeoutBody::new(timeout, b))) } else { req };
        let call = self.inner.call(req);
        Either::Right(Box::pin(async move {
            let response = call.await?;
            Ok(match permit {
                Some(p) => hold_until_sent(response, p),
                None => response,
            })
        }))
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Upload,
    Download,
}

/// Which pool a request draws from, if any.
fn classify(method: &Method, path: &str, has_body: bool) -> Option<Kind> {
    let content = path.starts_with("/v2/") || path.starts_with("/pypi/");
    if !content {
        return None;
    }
    if matches!(*method, Method::PUT | Method::PATCH | Method::POST) && has_body {
        return Some(Kind::Upload);
    }
    let file = (path.starts_with("/v2/") && path.contains("/blobs/sha")) || path.contains("/files/");
    (*method == Method::GET && file).then_some(Kind::Download)
}

fn has_body(req: &Request) -> bool {
    let h = req.headers();
    h.contains_key(header::TRANSFER_ENCODING)
        || h.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).is_some_and(|v| v != "0")
}

/// Keeps `permit` until the response body is finished or dropped.
fn hold_until_sent(response: Response, permit: OwnedSemaphorePermit) -> Response {
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _held = &permit;
            frame
        }))
    })
}

fn busy(path: &str, kind: Kind) -> Response {
    let what = if kind == Kind::Upload { "uploads" } else { "downloads" };
    let message = format!("too many concurrent {what}; retry later");
    tracing::warn!(what, "transfer limit reached");
    if path.starts_with("/v2/") {
        return OciError::new(Code::TooManyRequests, message)
            .with_header(header::RETRY_AFTER, RETRY_AFTER_SECS)
            .into_response();
    }
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, RETRY_AFTER_SECS)], message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_counts_as_a_transfer() {
        let blob = "/v2/a/b/blobs/sha256:0123";
        assert_eq!(classify(&Method::GET, blob, false), Some(Kind::Download));
        assert_eq!(classify(&Method::HEAD, blob, false), None);
        assert_eq!(classify(&Method::PATCH, "/v2/a/blobs/uploads/x", true), Some(Kind::Upload));
        assert_eq!(classify(&Method::POST, "/v2/a/blobs/uploads/", false), None);
        assert_eq!(classify(&Method::POST, "/pypi/team/app/", true), Some(Kind::Upload));
        assert_eq!(classify(&Method::GET, "/pypi/team/simple/files/ab/x.whl", false), Some(Kind::Download));
        assert_eq!(classify(&Method::GET, "/v2/a/manifests/latest", false), None);
        assert_eq!(classify(&Method::POST, "/api/v1/tags", true), None);
    }
}
