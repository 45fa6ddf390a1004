//! The JSON admin API under `/api/v1/`. Errors are `{"error": "..."}`.

use axum::extract::{FromRequest, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use wharf_core::policy::{self, Action, Decision, Principal, Resource};
use wharf_core::{Reference, RepoName, Tag};

use crate::AppState;

/// The one authorization point of the admin API (a route layer over all of
/// it): every operation needs [`Action::Admin`].
pub(crate) async fn require_admin(req: Request, next: Next) -> Response {
    let principal = req.extensions().get::<Principal>().cloned().unwrap_or(Principal::Anonymous);
    match policy::authorize(&principal, Action::Admin, &Resource::Registry) {
        Decision::Allow => next.run(req).await,
        Decision::Deny => error(StatusCode::FORBIDDEN, "administrator access required"),
    }
}

/// The admin API's one error shape: `{"error": "..."}`.
fn error(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, Json(json!({ "error": msg.into() }))).into_response()
}

/// A JSON request body whose rejections (bad JSON, missing fields, wrong
/// content type, too large) are answered in the admin API's error shape.
pub(crate) struct JsonBody<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(e) => Err(error(e.status(), e.body_text())),
        }
    }
}

/// Unknown paths and methods under `/api/v1/`.
pub(crate) async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such admin API endpoint")
}

pub(crate) async fn method_not_allowed() -> Response {
    error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

#[derive(Deserialize)]
pub(crate) struct TagRequest {
    /// `<repo>:<tag>` or `<repo>@<digest>`.
    source: String,
    /// `<repo>:<tag>`.
    target: String,
}

fn bad(msg: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, msg)
}

/// Splits `repo:tag` or `repo@digest`.
pub fn split_image_ref(s: &str) -> Option<(RepoName, Reference)> {
    if let Some((repo, digest)) = s.split_once('@') {
        return Some((repo.parse().ok()?, Reference::Digest(digest.parse().ok()?)));
    }
    let (repo, tag) = s.rsplit_once(':')?;
    Some((repo.parse().ok()?, Reference::Tag(tag.parse().ok()?)))
}

/// `POST /api/v1/tags`: point a tag at an existing manifest (promotion).
pub(crate) async fn create_tag(State(state): State<AppState>, JsonBody(req): JsonBody<TagRequest>) -> Response {
    let Some((src, src_ref)) = split_image_ref(&req.source) else {
        return bad(format!("invalid source {:?}: expected <repo>:<tag> or <repo>@<digest>", req.source));
    };
    let Some((dst, Reference::Tag(dst_tag))) = split_image_ref(&req.target) else {
        return bad(format!("invalid target {:?}: expected <repo>:<tag>", req.target));
    };
    let dst_tag: Tag = dst_tag;
    match state.registry.promote(&src, &src_ref, &dst, &dst_tag).await {
        Ok(digest) => (
            StatusCode::CREATED,
            Json(json!({ "repository": dst.as_str(), "tag": dst_tag.as_str(), "digest": digest.to_string() })),
        )
            .into_response(),
        Err(e) if e.status.is_client_error() => error(e.status, e.message),
        Err(e) => error(e.status, "internal server error"),
    }
}

#[derive(Deserialize)]
pub(crate) struct PackageRequest {
    namespace: String,
    project: String,
    version: Option<String>,
    filename: Option<String>,
    reason: Option<String>,
}

fn pypi_result(r: Result<u64, wharf_pypi::PypiError>) -> Response {
    match r {
        Ok(n) => (StatusCode::OK, Json(json!({ "files": n }))).into_response(),
        Err(wharf_pypi::PypiError::NotFound) => error(StatusCode::NOT_FOUND, "no matching files"),
        Err(e) if e.is_client_error() => bad(e.to_string()),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal server error"),
    }
}

async fn set_yanked(state: AppState, req: PackageRequest, yanked: bool) -> Response {
    let Ok(ns) = req.namespace.parse::<wharf_pypi::Namespace>() else {
        return bad(format!("invalid namespace {:?}", req.namespace));
    };
    let r = state
        .index
        .set_yanked(&ns, &req.project, req.version.as_deref(), req.filename.as_deref(), yanked, req.reason.as_deref())
        .await;
    pypi_result(r)
}

/// `POST /api/v1/pypi/yank`: yank a file, a release or a project (PEP 592).
pub(crate) async fn yank(State(state): State<AppState>, JsonBody(req): JsonBody<PackageRequest>) -> Response {
    set_yanked(state, req, true).await
}

/// `POST /api/v1/pypi/unyank`
pub(crate) async fn unyank(State(state): State<AppState>, JsonBody(req): JsonBody<PackageRequest>) -> Response {
    set_yanked(state, req, false).await
}

/// `POST /api/v1/pypi/delete`: delete a file, a release or a project.
pub(crate) async fn delete_package(State(state): State<AppState>, JsonBody(req): JsonBody<PackageRequest>) -> Response {
    let Ok(ns) = req.namespace.parse::<wharf_pypi::Namespace>() else {
        return bad(format!("invalid namespace {:?}", req.namespace));
    };
    pypi_result(state.index.delete(&ns, &req.project, req.version.as_deref(), req.filename.as_deref()).await)
}

#[cfg(test)]
mod tests {
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    use super::*;

    async fn echo(JsonBody(req): JsonBody<TagRequest>) -> Response {
        error(StatusCode::IM_A_TEAPOT, format!("{} {}", req.source, req.target))
    }

    #[tokio::test]
    async fn admin_api_errors_are_json() {
        let app = Router::new().route("/t", post(echo)).method_not_allowed_fallback(method_not_allowed);
        for (method, ct, body, status) in [
            ("POST", Some("application/json"), "{not json", StatusCode::BAD_REQUEST),
            ("POST", Some("application/json"), r#"{"source":"a:b"}"#, StatusCode::UNPROCESSABLE_ENTITY),
            ("POST", Some("text/plain"), r#"{"source":"a:b","target":"c:d"}"#, StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ("POST", None, "", StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ("GET", None, "", StatusCode::METHOD_NOT_ALLOWED),
            ("POST", Some("application/json"), r#"{"source":"a:b","target":"c:d"}"#, StatusCode::IM_A_TEAPOT),
        ] {
            let mut req = Request::builder().method(method).uri("/t");
            if let Some(ct) = ct {
                req = req.header(http::header::CONTENT_TYPE, ct);
            }
            let resp = app.clone().oneshot(req.body(axum::body::Body::from(body)).unwrap()).await.unwrap();
            assert_eq!(resp.status(), status, "{body}");
            assert_eq!(resp.headers()[http::header::CONTENT_TYPE], "application/json", "{body}");
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}: {v}");
        }
    }
}
