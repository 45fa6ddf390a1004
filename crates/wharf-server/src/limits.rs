//! Global bounds on concurrent transfers: uploads (requests with a body that
//! writes content) and downloads (blob and package file GETs). A transfer
//! holds its slot until its response body is finished or dropped; beyond the
//! bound a client is told to come back (`Retry-After`), in its protocol's
//! own error shape: OCI's `TOOMANYREQUESTS` (429), a plain-text 503 elsewhere.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, Method, StatusCode};
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wharf_oci::{Code, OciError};

/// Seconds a refused client is asked to wait.
const RETRY_AFTER_SECS: &str = "1";

/// The two pools of transfer slots.
#[derive(Clone)]
pub(crate) struct Transfers {
    uploads: Arc<Semaphore>,
    downloads: Arc<Semaphore>,
}

impl Transfers {
    pub(crate) fn new(max_uploads: usize, max_downloads: usize) -> Transfers {
        Transfers { uploads: Arc::new(Semaphore::new(max_uploads)), downloads: Arc::new(Semaphore::new(max_downloads)) }
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

/// The middleware: take a slot or refuse.
pub(crate) async fn limit_transfers(State(t): State<Transfers>, req: Request, next: Next) -> Response {
    let Some(kind) = classify(req.method(), req.uri().path(), has_body(&req)) else {
        return next.run(req).await;
    };
    let pool = if kind == Kind::Upload { &t.uploads } else { &t.downloads };
    let Ok(permit) = pool.clone().try_acquire_owned() else {
        return busy(req.uri().path(), kind);
    };
    let response = next.run(req).await;
    hold_until_sent(response, permit)
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
